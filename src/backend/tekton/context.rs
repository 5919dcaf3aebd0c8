//! The typed contexts of Tekton's templates.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::backend::k8s::cron::CronFields;
use crate::backend::k8s::{EnvEntry, ResourceRequirements, SharedName};

/// Input of `templates/tekton/pipeline.yaml.j2` (`--kind pipeline`); its tasks are laid out by
/// `tasks.yaml.j2`, shared with the PipelineRun's inline `pipelineSpec`.
#[derive(Debug, Serialize)]
pub struct PipelineContext {
    /// Header comment lines (`backend::header`).
    pub header: Vec<String>,
    /// Fixed `metadata.name` (≤63), for `kubectl apply`.
    pub name: String,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// One pipeline task per step, in topological order.
    pub tasks: Vec<TaskContext>,
    /// The Task objects `tasks` refer to (`share`), written before the Pipeline.
    pub shared: Vec<SharedTaskContext>,
}

/// A pipeline task: an inline `taskSpec` of one step, or a reference to a shared Task.
#[derive(Debug, Serialize)]
pub struct TaskContext {
    /// Pipeline-task name (DNS-1123 label, ≤30).
    pub name: SharedName,
    /// Pipeline-task names that must finish first.
    pub run_after: Vec<SharedName>,
    /// Retries after the first attempt (only when the flavor leaves retries to the engine).
    pub retries: Option<u32>,
    /// Task deadline, Go duration (`1h0m0s`).
    pub timeout: Option<String>,
    /// `taskRef.name`: the shared Task this task runs (a `SharedTaskContext` of the same
    /// output); `None`: `spec` is inline.
    pub task_ref: Option<SharedName>,
    /// `params[0]`: the step name, where the shared Task declares its param (a Task has that
    /// one param or none).
    pub param: Option<Param>,
    /// `taskSpec`, when `task_ref` is `None`.
    pub spec: Option<TaskSpec>,
}

/// A pipeline task's param: `{name, value}`.
#[derive(Debug, Serialize)]
pub struct Param {
    pub name: &'static str,
    pub value: String,
}

/// The one-step Task a pipeline task runs: inline (`taskSpec`) or shared (a Task's `spec`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskSpec {
    /// `taskSpec.metadata.labels` (a shared Task's `metadata.labels`).
    pub labels: BTreeMap<String, String>,
    /// `taskSpec.metadata.annotations` (a shared Task's `metadata.annotations`).
    pub annotations: BTreeMap<String, String>,
    /// `volumes`.
    pub volumes: Vec<Value>,
    /// The one step.
    pub step: StepContext,
}

/// Input of `templates/tekton/task.yaml.j2`: one Task object that the pipeline tasks of steps
/// differing only in their name run, with the step name as a param.
#[derive(Debug, Serialize)]
pub struct SharedTaskContext {
    pub header: Vec<String>,
    /// `metadata.name`: `zenml-` and a hash of the content (`share::content_hash`), so that a
    /// changed Task is a new object and runs already started keep theirs.
    pub name: String,
    pub namespace: Option<String>,
    /// Params the step refers to (`$(params.<name>)`), all strings.
    pub params: Vec<&'static str>,
    /// Labels and annotations (Tekton copies them to each TaskRun and pod), volumes and step.
    pub spec: TaskSpec,
}

/// The step container.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepContext {
    pub image: String,
    /// Escaped for Tekton and Kubernetes (see `TektonText`).
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub env: Vec<EnvEntry>,
    pub env_from: Vec<Value>,
    /// Step `computeResources`.
    pub compute_resources: Option<ResourceRequirements>,
    pub volume_mounts: Vec<Value>,
    /// Container security context.
    pub security_context: Option<Value>,
}

/// Input of `templates/tekton/pipelinerun.yaml.j2`: a self-contained run (`pipelineSpec`
/// inline) that `kubectl create` accepts any number of times, or a run of a Pipeline by name.
#[derive(Debug, Serialize)]
pub struct RunContext {
    pub header: Vec<String>,
    /// `generateName` (≤27 characters, ends with `-`).
    pub generate_name: String,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// `pipelineRef.name`: the Pipeline this run instantiates (`--kind pipeline` with a
    /// schedule); `None`: the run carries `tasks` inline as `pipelineSpec`.
    pub pipeline_ref: Option<String>,
    /// `pipelineSpec.tasks` when `pipeline_ref` is `None`, else empty.
    pub tasks: Vec<TaskContext>,
    /// `timeouts.pipeline`: `0s` (no deadline; ZenML has no pipeline deadline, and Tekton's
    /// 60-minute default would cut long runs and cap every task timeout).
    pub pipeline_timeout: &'static str,
    /// `taskRunTemplate.serviceAccountName`.
    pub service_account_name: Option<String>,
    /// `taskRunTemplate.podTemplate`: pod settings every step shares.
    pub pod_template: Option<PodTemplate>,
    /// Per-task settings where steps differ.
    pub task_run_specs: Vec<TaskRunSpec>,
}

/// One `taskRunSpecs[]` entry.
#[derive(Debug, Serialize)]
pub struct TaskRunSpec {
    pub pipeline_task_name: String,
    pub service_account_name: Option<String>,
    pub pod_template: Option<PodTemplate>,
}

/// Tekton's `pod.Template` (the pod fields Tekton lets a run set).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodTemplate {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Env every step of the run shares (`run::share`): Tekton appends it to each step's env.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<NameRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduler_name: Option<String>,
    /// `additional_pod_spec_args` keys that `pod.Template` has (camelCase), verbatim.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl PodTemplate {
    pub fn is_empty(&self) -> bool {
        *self == PodTemplate::default()
    }
}

/// `{name: ...}` object reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NameRef {
    pub name: String,
}

/// `PodSpec` fields a Tekton `pod.Template` carries (pkg/apis/pipeline/pod/template.go).
pub const POD_TEMPLATE_KEYS: &[&str] = &[
    "automountServiceAccountToken",
    "dnsConfig",
    "dnsPolicy",
    "enableServiceLinks",
    "hostAliases",
    "hostNetwork",
    "hostUsers",
    "priorityClassName",
    "runtimeClassName",
    "securityContext",
    "topologySpreadConstraints",
];

/// Input of `templates/tekton/schedule.yaml.j2`: a CronJob whose pod (the launcher) creates a
/// PipelineRun, with the ServiceAccount, Role, RoleBinding and ConfigMap it needs.
#[derive(Debug, Serialize)]
pub struct CronContext {
    pub header: Vec<String>,
    /// CronJob name (≤52); also the ServiceAccount, Role, RoleBinding and ConfigMap name, and
    /// the `SCHEDULE_LABEL` value of the PipelineRuns it creates.
    pub name: String,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// Five-field cron expression or macro.
    pub schedule: String,
    /// IANA zone (`timeZone`).
    pub time_zone: Option<String>,
    /// CronJob concurrency policy, starting deadline, history limits and `suspend`, for the
    /// launcher Jobs (the script applies policy and limits to the PipelineRuns).
    #[serde(flatten)]
    pub cron: CronFields,
    /// Role verbs on `pipelineruns`: what the launcher script does with these settings.
    pub verbs: Vec<&'static str>,
    /// Launcher image: `kubectl` and a POSIX `/bin/sh`.
    pub image: String,
    pub command: Vec<String>,
    /// Launcher env: `ZENC_SCHEDULE`, `ZENC_CONCURRENCY_POLICY`, `HOME`, and the history limits
    /// that are set, `ZENC_KEEP_SUCCEEDED`, `ZENC_KEEP_FAILED` (our own values: no `$` in them).
    pub env: Vec<EnvEntry>,
    /// Mount path of the ConfigMap.
    pub mount_path: &'static str,
    /// ConfigMap `data`: the launcher script; the PipelineRun manifest is embedded at render
    /// time (`MANIFEST_KEY`).
    pub data: BTreeMap<&'static str, String>,
}
