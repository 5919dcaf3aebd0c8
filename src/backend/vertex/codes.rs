//! Vertex AI Pipelines' warning and error codes (see `crate::diagnostic`). Kept sorted by code.

use crate::diagnostic::Code;

pub const CATCHUP: Code = Code::warning(
    "vertex-catchup",
    "`catchup: true`: Vertex AI schedules do not replay missed runs",
    "A Vertex AI schedule catches up only when a paused schedule is resumed with `catch_up`; \
     runs missed otherwise are not replayed.\n\nResume a paused schedule with catch-up, or set \
     `catchup: false` to say what happens.",
);
pub const CONCURRENCY: Code = Code::warning(
    "vertex-concurrency",
    "concurrency policy Replace: Vertex AI skips the new run instead",
    "A Vertex AI schedule can limit the runs that are active at once \
     (`maxConcurrentActiveRunCount`) but cannot cancel a running one for the next: Replace \
     becomes a limit of 1, which skips the new run (Forbid).\n\nUse Forbid or Allow, which \
     Vertex AI expresses exactly.",
);
pub const FAILURE_POLICY: Code = Code::warning(
    "vertex-failure-policy",
    "`stop_on_failure`/`fail_fast`: the failure policy is chosen when a run is created",
    "The KFP IR has no failure policy: a PipelineJob's `runtimeConfig.failurePolicy` has one. \
     Vertex AI's FAIL_FAST starts no new task after a failure and lets running tasks finish \
     (ZenML's stop_on_failure); FAIL_SLOW (the default) lets independent tasks run \
     (continue_on_failure). There is no way to stop running tasks (fail_fast).\n\nThe schedule \
     body zenc writes carries the policy; for a single run, pass `failure_policy=\"fast\"` to \
     `aiplatform.PipelineJob`.",
);
pub const GPU_TYPE: Code = Code::warning(
    "vertex-gpu-type",
    "GPUs without a GPU type (or a GPU type without GPUs)",
    "Vertex AI needs an accelerator type (`NVIDIA_TESLA_T4`, `NVIDIA_L4`, …) for GPUs; zenc takes \
     it from the pod settings' node selector `cloud.google.com/gke-accelerator`, as ZenML's \
     Vertex orchestrator does (GKE labels such as `nvidia-l4` or the type names themselves). \
     Without one the step runs without a GPU; a type without a GPU count asks for none.\n\nAdd \
     the node selector to the step's pod settings (`KubernetesPodSettings(node_selectors=\
     {\"cloud.google.com/gke-accelerator\": \"nvidia-l4\"})`).",
);
pub const INTERVAL: Code = Code::warning(
    "vertex-interval",
    "an interval that is no exact cron: no schedule written",
    "Vertex AI schedules are cron expressions. Intervals that divide an hour or a day (or are one \
     day or one week) become an exact cron anchored at the start time; others cannot be \
     expressed, and no schedule body is written.\n\nUse such an interval, or a cron schedule.",
);
pub const PARALLELISM: Code = Code::warning(
    "vertex-parallelism",
    "`max_parallelism`: the KFP IR has no pipeline-wide limit",
    "Vertex AI starts every task whose upstream tasks are done.\n\nNothing equivalent exists; \
     accept it, or order the steps.",
);
pub const POD_SETTINGS: Code = Code::warning(
    "vertex-pod-settings",
    "Kubernetes pod settings: Vertex AI runs steps without them",
    "Vertex AI runs each step as a custom job on machines it picks: node selectors (other than \
     the GPU type), tolerations, affinity, volumes, pod labels and annotations, security \
     context, service account, image pull secrets, host IPC, scheduler, grace period, `env_from`, \
     `valueFrom` variables and other pod-spec fields have no place there and are dropped.\n\n\
     Configure what matters on the Vertex AI side (machine types, the service account and \
     network of the PipelineJob).",
);
pub const RESOURCES: Code = Code::warning(
    "vertex-resources",
    "requests, extended resources or a size above Vertex AI's machines",
    "Vertex AI reads resource limits only (a request with no limit becomes the limit), has no \
     fields for resources other than CPU, memory and one GPU kind, and picks a machine with at \
     most 96 CPUs and 624 GB of memory.\n\nSet limits; drop other resources; stay within the \
     machine sizes.",
);
pub const RUN_ONCE: Code = Code::warning(
    "vertex-run-once",
    "a run-once schedule: no schedule body written",
    "zenc writes a schedule body for cron (and cron-like interval) schedules only.\n\nAt the time \
     shown, create a PipelineJob from the spec (`aiplatform.PipelineJob(template_path=…).submit()`).",
);
pub const RUN_SETTINGS: Code = Code::warning(
    "vertex-run-settings",
    "`--namespace`/`--service-account`: no Kubernetes objects on Vertex AI",
    "Vertex AI has no namespaces; its service account is a Google Cloud service account chosen \
     when a PipelineJob is created.\n\nPass `service_account` when submitting (or in the schedule \
     body's `createPipelineJobRequest.pipelineJob.serviceAccount`).",
);
pub const SCHEDULE: Code = Code::warning(
    "vertex-schedule",
    "the schedule is a separate Schedule request body",
    "A Vertex AI schedule is not part of the pipeline IR: zenc writes `<stem>.vertex.schedule.json`, \
     the body of POST …/locations/L/schedules with the compiled IR inline. It lacks what only \
     the deployment knows: `createPipelineJobRequest.parent` and the pipeline root \
     (`runtimeConfig.gcsOutputDirectory`).\n\nAdd both (the warning prints a `jq` command) and \
     POST the body; for an inactive ZenML schedule, pause it after creating it.",
);
pub const SCHEDULE_LIMITS: Code = Code::warning(
    "vertex-schedule-limits",
    "starting deadline or history limits: Vertex AI schedules have none",
    "A Vertex AI schedule starts late runs whenever it can and keeps every PipelineJob.\n\nDelete \
     old runs with the Vertex AI API or console.",
);
pub const SECRET: Code = Code::warning(
    "vertex-secret",
    "a Kubernetes Secret reference (`--zenml-secret`, `secretKeyRef`): not expressible",
    "Vertex AI pipeline steps take environment values only, no references to a secret, and zenc \
     never writes a credential's value. The variable (`ZENML_STORE_API_KEY` for --zenml-secret) \
     is left out.\n\nGive the steps their ZenML credentials another way: an image whose \
     entrypoint reads the API key from Secret Manager, or a server reachable without one.",
);
pub const TAGS: Code = Code::warning(
    "vertex-tags",
    "pipeline tags: the KFP IR has no place for them",
    "`pipelineInfo` has a name, a display name and a description. Vertex AI labels belong to \
     the PipelineJob and follow label syntax.\n\nLabel the PipelineJob when creating it.",
);
pub const TIMEOUT: Code = Code::warning(
    "vertex-timeout",
    "a step timeout: the KFP IR has no task timeout",
    "Vertex AI pipeline tasks run until they end.\n\nMake the step's own code stop in time.",
);
pub const TTL: Code = Code::warning(
    "vertex-ttl",
    "`ttl_seconds_after_finished`: Vertex AI keeps PipelineJobs",
    "Finished PipelineJobs stay until deleted.\n\nDelete old runs with the Vertex AI API or console.",
);

pub const CODES: &[Code] = &[
    CATCHUP,
    CONCURRENCY,
    FAILURE_POLICY,
    GPU_TYPE,
    INTERVAL,
    PARALLELISM,
    POD_SETTINGS,
    RESOURCES,
    RUN_ONCE,
    RUN_SETTINGS,
    SCHEDULE,
    SCHEDULE_LIMITS,
    SECRET,
    TAGS,
    TIMEOUT,
    TTL,
];
