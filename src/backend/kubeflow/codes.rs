//! Kubeflow Pipelines' warning and error codes (see `crate::diagnostic`). Kept sorted by code.

use crate::diagnostic::Code;

pub const CONCURRENCY: Code = Code::warning("kubeflow-concurrency", "concurrency policy Allow or Replace: approximated by `max_concurrency`",
        "KFP recurring runs have `max_concurrency` (1 to 10) only: Allow becomes 10, and \
         Replace (cancel the running run) becomes 1, which skips the new run instead.\n\nUse \
         Forbid for an exact match.");
pub const DAG_TASKS: Code = Code::warning("kubeflow-dag-tasks", "over 100 steps: more Argo tasks in one DAG than Argo 4's full CRDs allow",
        "KFP's API server runs the IR on Argo Workflows and makes two Argo tasks of every step (a \
         driver and the executor), all in one DAG template for the pipeline's root DAG. Argo 4's \
         full CRDs (what Argo's own v4 release manifests install) allow at most 200 tasks per DAG \
         template, so the API server refuses the run's Workflow there; KFP's own manifests install \
         Argo's minimal CRDs, which have no such limit.\n\nNothing to do on a cluster installed \
         from KFP's manifests. Otherwise install Argo's minimal CRDs, split the pipeline into \
         pipelines of at most 100 steps, or compile it for argo, which nests DAGs.");
pub const ENV_FROM: Code = Code::warning("kubeflow-env-from", "`env_from`: KFP has no `envFrom`",
        "Whole Secrets or ConfigMaps as environment cannot be declared in KFP's PlatformSpec; \
         the steps listed do not get those variables.\n\nName each variable with a \
         `secretKeyRef`/`configMapKeyRef` env entry instead.");
pub const ENV_ORDER: Code = Code::warning("kubeflow-env-order", "a pod-settings `$(VAR)` refers to a variable KFP adds later",
        "KFP appends Secret, field-path and run-id variables after the container's env, and \
         Kubernetes expands `$(VAR)` only for variables defined earlier, so the reference \
         stays literal.\n\nRead the variable in the step's code instead of composing it in an \
         env value.");
pub const ENV_VALUE_FROM: Code = Code::warning("kubeflow-env-value-from", "an env `valueFrom` other than a field path, Secret key or ConfigMap key",
        "KFP's PlatformSpec can set variables from those three sources only (no \
         resourceFieldRef, for example); the variable is dropped.\n\nSet it another way (a \
         literal, or read it in the step).");
pub const EXECUTION_MODE: Code = Code::warning("kubeflow-execution-mode", "`stop_on_failure`/`fail_fast`: KFP has no failure policy",
        "In KFP a failed task skips its dependants and lets independent tasks run — ZenML's \
         continue_on_failure, whatever the snapshot says.\n\nAccept it, or compile for argo.");
pub const PARALLELISM: Code = Code::warning("kubeflow-parallelism", "`max_parallelism`: KFP has no pipeline-wide limit",
        "KFP limits the parallelism of loops only; every ready task starts.\n\nCap pods with a \
         ResourceQuota on the namespace if the limit matters.");
pub const POD_AFFINITY: Code = Code::warning("kubeflow-pod-affinity", "pod (anti-)affinity: KFP carries node affinity only",
        "KFP's PlatformSpec has node affinity terms but no pod affinity or anti-affinity; \
         those are dropped for the steps listed.\n\nUse node selectors or node affinity.");
pub const POD_SPEC: Code = Code::warning("kubeflow-pod-spec", "a pod-spec field KFP's PlatformSpec has no place for",
        "`hostIPC`, the scheduler name, a step service account, the termination grace period \
         and other `additional_pod_spec_args` cannot be set per task in KFP; they are \
         dropped.\n\nSet the service account when creating the run; compile for argo or \
         airflow if the rest matters.");
pub const RESOURCE: Code = Code::warning("kubeflow-resource", "an extended resource other than one GPU kind",
        "The KFP IR has fields for CPU, memory and one accelerator type; ephemeral storage, \
         hugepages and device-plugin resources are dropped.\n\nUse a node selector for \
         nodes that have them, or compile for another engine.");
pub const RUN_ONCE: Code = Code::warning("kubeflow-run-once", "a run-once schedule: KFP has no one-off schedule",
        "Nothing runs by itself.\n\nAt the time shown, create a run from the IR (`kfp run \
         create --package-file …`).");
pub const RUN_SETTINGS: Code = Code::warning("kubeflow-run-settings", "`--namespace`/`--service-account`: chosen when a KFP run is created",
        "The KFP IR has no namespace or service account: the namespace comes from the \
         experiment, the service account from the run request (the recurring-run body carries \
         `service_account`).\n\nPass them to `kfp run create` or in the Kubeflow UI.");
pub const SCHEDULE: Code = Code::warning("kubeflow-schedule", "the schedule is a separate recurring-run request body",
        "A KFP schedule is not part of the pipeline IR: zenc writes \
         `<stem>.kubeflow.recurring-run.json`, the body of POST /apis/v2beta1/recurringruns, \
         and the warning prints the equivalent `kfp recurring-run create` command.\n\nAdd \
         `experiment_id` and POST the body, or run the command.");
pub const SCHEDULE_LIMITS: Code = Code::warning("kubeflow-schedule-limits", "starting deadline or history limits: KFP recurring runs have none",
        "KFP starts late runs whenever it can and keeps every run.\n\nDelete old runs with the \
         KFP API or UI.");
pub const SECURITY_CONTEXT: Code = Code::warning("kubeflow-security-context", "container security settings beyond user, group and non-root",
        "KFP's PlatformSpec security context has runAsUser, runAsGroup and runAsNonRoot only; \
         capabilities, privileged, read-only root filesystem and the rest are \
         dropped.\n\nEnforce them with a namespace policy, or compile for another engine.");
pub const TAGS: Code = Code::warning("kubeflow-tags", "pipeline tags: the KFP IR has no place for them",
        "KFP's `pipelineInfo` has a name, a display name and a description, but no tags; the \
         pipeline's tags are not in the output.\n\nTag the pipeline or its runs in the \
         Kubeflow UI or API.");
pub const TIMEOUT: Code = Code::warning("kubeflow-timeout", "a step timeout: per pod attempt in KFP",
        "The KFP IR has no task timeout; zenc sets the pod's activeDeadlineSeconds, which \
         counts per attempt, so with retries the step may run longer in total.\n\nAccept it, \
         or lower the timeout.");
pub const TIMEZONE: Code = Code::warning("kubeflow-timezone", "a schedule time zone: KFP uses one cluster-wide zone",
        "KFP reads every cron schedule in the zone of the scheduledworkflow controller \
         (CRON_SCHEDULE_TIMEZONE, UTC by default); the schedule's zone is ignored.\n\nWrite \
         the cron expression in the cluster's zone.");
pub const TOLERATION: Code = Code::warning("kubeflow-toleration", "a toleration key KFP's PlatformSpec does not have",
        "KFP tolerations have key, operator, value, effect and tolerationSeconds; other keys \
         are dropped.\n\nRemove them from the pod settings.");
pub const TOO_LARGE: Code = Code::error("kubeflow-too-large", "the Argo Workflow KFP makes of the pipeline is over the API server's 3 MiB",
        "KFP does not run the IR itself: its API server compiles it into an Argo Workflow in which \
         every step takes a driver task holding the step's task spec, an executor task, and \
         another copy of the task spec in the root component — about 1 KB per step, whatever \
         zenc writes. zenc estimates that Workflow from the IR (leaving out what depends on the \
         KFP version, so the estimate errs low) and refuses above 3 MiB, the request size the \
         Kubernetes API server accepts whatever etcd allows.\n\nSplit the pipeline (the message \
         says how many steps fit under etcd's default 1.5 MiB), or compile it for Airflow, whose \
         DAG file has no such limit.");
pub const VOLUME: Code = Code::warning("kubeflow-volume", "a volume KFP cannot mount, or a mount option it lacks",
        "KFP mounts PVCs, emptyDirs, Secrets and ConfigMaps only, declares volumes only with a \
         mount, and has no readOnly/mountPropagation on mounts; the rest is dropped.\n\nUse \
         one of those volume kinds, or compile for another engine.");
pub const WORKFLOW_SIZE: Code = Code::warning("kubeflow-workflow-size", "the Argo Workflow KFP makes of the pipeline will pass 1 MiB while it runs",
        "KFP's API server compiles the IR into an Argo Workflow of about 1.5 KB per step (each \
         step's task spec twice, plus its driver and executor tasks), and a run adds about 600 B \
         of compressed node status per step. Over 1 MiB Argo's controller fails the run \
         (\"workflow is longer than maximum allowed size\") unless `MAX_WORKFLOW_SIZE` is raised \
         and node status offloaded to a database, which KFP's manifests do not configure; a \
         Workflow over 1.5 MiB is refused by etcd's default `--max-request-bytes` \
         (\"etcdserver: request is too large\"). The message gives zenc's estimates.\n\nOn a \
         cluster you run: set `MAX_WORKFLOW_SIZE` on the workflow-controller, enable \
         `persistence.nodeStatusOffLoad`, and raise etcd's limit if needed. Otherwise split the \
         pipeline, or compile it for Airflow.");

pub const CODES: &[Code] = &[CONCURRENCY, DAG_TASKS, ENV_FROM, ENV_ORDER, ENV_VALUE_FROM, EXECUTION_MODE, PARALLELISM, POD_AFFINITY, POD_SPEC, RESOURCE, RUN_ONCE, RUN_SETTINGS, SCHEDULE, SCHEDULE_LIMITS, SECURITY_CONTEXT, TAGS, TIMEOUT, TIMEZONE, TOLERATION, TOO_LARGE, VOLUME, WORKFLOW_SIZE];
