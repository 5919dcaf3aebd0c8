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
pub const RUN_ONCE: Code = Code::warning("argo-run-once", "a run-once schedule: emitted a WorkflowTemplate to submit at that time",
        "Argo has no one-off schedule. The output is a WorkflowTemplate, and nothing runs \
         unless someone submits it.\n\nAt the time shown, run `argo submit --from \
         workflowtemplate/<name>` (or schedule that command elsewhere).");
pub const SCHEDULE_WINDOW: Code = Code::warning("argo-schedule-window", "schedule `start_time`/`end_time`: CronWorkflows have no window",
        "The CronWorkflow fires from when it is applied until it is deleted or suspended; the \
         schedule's start and end are not carried.\n\nApply it at the start time and delete \
         (or suspend) it at the end.");

pub const CODES: &[Code] = &[ANNOTATION_DROPPED, CATCHUP, FAIL_FAST, INTERVAL_ANCHOR, RUN_ONCE, SCHEDULE_WINDOW];
