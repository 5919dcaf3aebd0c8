//! Argo's warning and error codes (see `crate::diagnostic`). Kept sorted by code.

use crate::diagnostic::Code;

pub const ANNOTATION_DROPPED: Code = Code::warning("argo-annotation-dropped", "the pipeline name contains `{{`: no `zenml.io/pipeline-name` annotation",
        "Argo templates `{{…}}` in every string of a workflow and has no escape for it, and \
         annotations are not expanded by Kubernetes, so zenc's `$(ZENC_LBRACE)` trick does not \
         apply there. The annotation is left out; the steps still run and report to ZenML \
         under the right pipeline.\n\nRename the pipeline without `{{` to get the annotation.");
pub const CATCHUP: Code = Code::warning("argo-catchup", "`catchup: true`: Argo does not catch up missed runs",
        "A CronWorkflow runs at most one late run (within startingDeadlineSeconds) after a \
         controller outage; missed intervals are not replayed.\n\nReplay a range by hand with \
         `argo cron backfill`, or set `catchup: false` to say what happens.");
pub const FAIL_FAST: Code = Code::warning("argo-fail-fast", "`fail_fast`: running steps are not stopped",
        "Argo's `failFast: true` stops scheduling new steps after a failure but lets the \
         running ones finish; ZenML's fail_fast also stops them.\n\nNothing to do if letting \
         running steps finish is acceptable; otherwise use stop_on_failure, which Argo \
         expresses exactly.");
pub const INTERVAL_ANCHOR: Code = Code::warning("argo-interval-anchor", "an interval schedule with a start time: `@every` ignores the anchor",
        "Argo's `@every 6h` counts from when the controller loads the CronWorkflow, not from \
         the schedule's start time, so runs happen at other times of day than in \
         ZenML.\n\nUse a cron schedule to fix the times of day.");
pub const NESTED_DAG: Code = Code::warning("argo-nested-dag", "over 200 steps: nested DAGs make some steps wait for steps they do not depend on",
        "Argo 4's CRDs allow at most 200 tasks per DAG template, so zenc runs larger pipelines as \
         groups of at most 200 steps, each group a DAG template that the entrypoint DAG runs as \
         one task. Inside a group every dependency is exact; a group starts only when every \
         group it depends on has finished. For chains and fans that changes nothing; for other \
         shapes some steps start later than they could, and a failed step stops the groups after \
         its own (with `continue_on_failure`, steps there that do not depend on it do not run \
         either).\n\nThe warning names the first steps that wait longer. Nothing to do if that is \
         acceptable; otherwise split the pipeline, or compile it for Airflow, which has no such \
         limit.");
pub const RUN_ONCE: Code = Code::warning("argo-run-once", "a run-once schedule: emitted a WorkflowTemplate to submit at that time",
        "Argo has no one-off schedule. The output is a WorkflowTemplate, and nothing runs \
         unless someone submits it.\n\nAt the time shown, run `argo submit --from \
         workflowtemplate/<name>` (or schedule that command elsewhere).");
pub const SCHEDULE_WINDOW: Code = Code::warning("argo-schedule-window", "schedule `start_time`/`end_time`: CronWorkflows have no window",
        "The CronWorkflow fires from when it is applied until it is deleted or suspended; the \
         schedule's start and end are not carried.\n\nApply it at the start time and delete \
         (or suspend) it at the end.");

pub const WORKFLOW_SIZE: Code = Code::warning("argo-workflow-size", "the running Workflow will exceed the Argo controller's default 1 MiB `MAX_WORKFLOW_SIZE`",
        "Argo's workflow-controller refuses to keep a Workflow whose spec and status together \
         exceed `MAX_WORKFLOW_SIZE` (default 1 MiB): the run fails with \"workflow is longer than \
         maximum allowed size\" once its status has grown. zenc estimates the Workflow as the \
         compact JSON of the spec plus about 110 bytes of status per step (a run from a \
         WorkflowTemplate also copies the template's spec into its status).\n\nSet \
         `MAX_WORKFLOW_SIZE=1572864` (etcd's limit) in the workflow-controller's environment, or \
         offload node status to a database (`persistence.nodeStatusOffLoad: true` in the \
         workflow-controller ConfigMap). Above 1.5 MiB zenc refuses the pipeline: etcd stores no \
         larger object.");

pub const TOO_LARGE: Code = Code::error("argo-too-large", "a Workflow too large for etcd once running",
        "etcd stores at most 1.5 MiB per object (the API server's default `--max-request-bytes`), \
         and a running Workflow holds its spec plus a status that grows with every step. zenc \
         estimates both (the spec exactly, ≈110 B of status per step) and refuses instead of \
         writing a Workflow the cluster cannot keep. A WorkflowTemplate's runs copy its spec, so \
         the same holds for `--kind template` and schedules.\n\nSplit the pipeline (the message \
         says how many steps fit), or compile it for Airflow, whose DAG file has no such limit.");
pub const TOO_MANY_TEMPLATES: Code = Code::error("argo-too-many-templates", "more than the 200 templates Argo 4's CRDs allow",
        "Argo 4's CRDs allow at most 200 templates per Workflow. Steps that differ only in name \
         share one template and large DAGs nest, so this happens only when many steps have \
         settings of their own (image, resources, pod settings).\n\nGive steps the same settings \
         where they can share them, or split the pipeline.");
pub const CODES: &[Code] = &[
    ANNOTATION_DROPPED,
    CATCHUP,
    FAIL_FAST,
    INTERVAL_ANCHOR,
    NESTED_DAG,
    RUN_ONCE,
    SCHEDULE_WINDOW,
    TOO_LARGE,
    TOO_MANY_TEMPLATES,
    WORKFLOW_SIZE,
];
