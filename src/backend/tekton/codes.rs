//! Tekton's warning and error codes (see `crate::diagnostic`). Kept sorted by code.

use crate::diagnostic::Code;

pub const CATCHUP: Code = Code::warning("tekton-catchup", "`catchup: true`: CronJobs do not catch up missed runs",
        "A Kubernetes CronJob starts at most one late run (within startingDeadlineSeconds); \
         missed intervals are not replayed.\n\nCreate the missed PipelineRuns by hand, or set \
         `catchup: false`.");
pub const FAILURE_MODE: Code = Code::warning("tekton-failure-mode", "`continue_on_failure` with parallel branches, or `fail_fast`",
        "Tekton starts no new task after a failure and lets running tasks finish — ZenML's \
         stop_on_failure. With continue_on_failure, independent branches stop too; with \
         fail_fast, running tasks are not stopped.\n\nUse stop_on_failure, or accept the \
         difference.");
pub const INTERVAL: Code = Code::warning("tekton-interval", "an interval that is no exact cron: `@every`, counted from the controller",
        "Intervals that divide an hour or a day (or are one day or one week) become an exact \
         cron anchored at the start time. Others become `@every <d>`, counted from when the \
         CronJob controller last scheduled it, so the times drift from ZenML's.\n\nUse such an \
         interval, or a cron schedule.");
pub const PARALLELISM: Code = Code::warning("tekton-parallelism", "`max_parallelism`: Tekton has no per-run limit",
        "Every task whose upstream tasks are done starts at once.\n\nCap pods with a \
         ResourceQuota on the namespace if the limit matters.");
pub const POD_FIELD: Code = Code::warning("tekton-pod-field", "a pod field Tekton's pod template cannot carry",
        "Tekton builds task pods from a pod template that lacks some PodSpec fields (`hostIPC`, \
         `terminationGracePeriodSeconds`, other `additional_pod_spec_args`); those are \
         dropped.\n\nCompile for argo or airflow if the step needs them.");
pub const RETRY_BACKOFF: Code = Code::warning("tekton-retry-backoff", "retry delay and backoff: Tekton retries at once",
        "Tekton's task `retries` is a count; a failed task is retried immediately, without the \
         delay and backoff factor ZenML's retry config sets.\n\nMake the step's own code wait \
         if it needs a pause between attempts.");
pub const RUN_ONCE: Code = Code::warning("tekton-run-once", "a run-once schedule: emitted the Pipeline and a PipelineRun",
        "Neither Tekton nor Kubernetes CronJobs have a one-off schedule, so nothing runs by \
         itself.\n\nAt the time shown, `kubectl create -f` the PipelineRun.");
pub const RUN_SETTINGS: Code = Code::warning("tekton-run-settings", "`--kind pipeline`: PipelineRun settings are not in the output",
        "The service account and pod settings (node selectors, tolerations, affinity, image \
         pull secrets) belong to the PipelineRun, which --kind pipeline does not emit.\n\nPass \
         them when starting the run (`tkn pipeline start --serviceaccount …`, a PipelineRun \
         with a pod template), or use --kind run.");
pub const SCHEDULE_WINDOW: Code = Code::warning("tekton-schedule-window", "schedule `start_time`/`end_time`: CronJobs have no window",
        "The CronJob fires from when it is applied until it is deleted or suspended.\n\nApply \
         it at the start time and delete (or suspend) it at the end.");
pub const TOO_LARGE: Code = Code::error("tekton-too-large", "a PipelineRun too large for etcd once Tekton has copied its spec into its status",
        "etcd stores at most 1.5 MiB per object (the API server's default `--max-request-bytes`). \
         A running PipelineRun holds its tasks twice — in its spec, and in `status.pipelineSpec`, \
         which Tekton copies there — plus a reference to every TaskRun, so it outgrows etcd at \
         about half the size of its spec; zenc computes that size and refuses instead of \
         writing a run the cluster cannot keep.\n\nCompile with `--kind pipeline` (the Pipeline \
         is its own object, and steps that differ only in their name share one Task: a \
         PipelineRun that names the Pipeline holds ≈180 bytes per step once plus ≈130 per TaskRun \
         reference: ≈5,000 alike steps), \
         compile for Argo or Airflow, or split the pipeline. The message says how many steps of \
         this pipeline fit.");
pub const TTL: Code = Code::warning("tekton-ttl", "`ttl_seconds_after_finished`: Tekton has no per-run TTL",
        "Finished PipelineRuns (and their pods) are kept until something prunes them.\n\nRun \
         Tekton's pruner, or `tkn pipelinerun delete --keep N` on a schedule.");

pub const CODES: &[Code] = &[CATCHUP, FAILURE_MODE, INTERVAL, PARALLELISM, POD_FIELD, RETRY_BACKOFF, RUN_ONCE, RUN_SETTINGS, SCHEDULE_WINDOW, TOO_LARGE, TTL];
