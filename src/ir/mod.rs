//! The engine-neutral, validated pipeline. A `Pipeline` exists only if `build` accepted it:
//! every upstream exists, the graph is acyclic, quantities and schedules are valid.

pub mod build;
pub mod graph;
pub mod quantity;
pub mod schedule;
pub mod syntax;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

pub use build::{build, BuildOptions, SecretRef};
pub use quantity::Quantity;
pub use schedule::{Concurrency, Cron, Schedule, Trigger, UtcDateTime};

/// A validated pipeline.
#[derive(Debug, Clone, Serialize)]
pub struct Pipeline {
    /// ZenML pipeline name, verbatim.
    name: String,
    /// Snapshot UUID every step loads (`--snapshot_id`).
    snapshot_id: String,
    /// Orchestrator flavor of the snapshot's stack (`kubernetes`, `kubeflow`, ...), if known.
    flavor: Option<String>,
    /// The environment variable the step containers read their run id from.
    run_id_env: String,
    /// What happens to the rest of the run when a step fails.
    failure_mode: FailureMode,
    /// Steps in a stable topological order (input order among independent steps).
    steps: Vec<Step>,
    schedule: Option<Schedule>,
    /// At most this many steps at once.
    parallelism: Option<u32>,
    /// Delete finished runs after this many seconds.
    ttl_seconds_after_finished: Option<u64>,
    /// Pipeline tags (ZenML `tags`).
    tags: Vec<String>,
    /// What the pipeline does (the snapshot's description), for engine UIs.
    description: Option<String>,
    /// Kubernetes namespace for the emitted objects, if chosen.
    namespace: Option<String>,
    /// Service account for step pods that do not set their own.
    service_account: Option<String>,
    /// True for a dynamic snapshot compiled to one orchestration step.
    dynamic: bool,
}

impl Pipeline {
    /// ZenML pipeline name, verbatim.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Snapshot UUID every step loads (`--snapshot_id`).
    pub fn snapshot_id(&self) -> &str {
        &self.snapshot_id
    }
    /// Orchestrator flavor of the snapshot's stack, if known.
    pub fn flavor(&self) -> Option<&str> {
        self.flavor.as_deref()
    }
    /// The environment variable the step containers read their run id from.
    pub fn run_id_env(&self) -> &str {
        &self.run_id_env
    }
    pub fn failure_mode(&self) -> FailureMode {
        self.failure_mode
    }
    /// Steps in a stable topological order: every step comes after its upstream steps.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }
    pub fn schedule(&self) -> Option<&Schedule> {
        self.schedule.as_ref()
    }
    /// At most this many steps at once.
    pub fn parallelism(&self) -> Option<u32> {
        self.parallelism
    }
    /// Delete finished runs after this many seconds.
    pub fn ttl_seconds_after_finished(&self) -> Option<u64> {
        self.ttl_seconds_after_finished
    }
    pub fn tags(&self) -> &[String] {
        &self.tags
    }
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
    /// Kubernetes namespace for the emitted objects, if chosen.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }
    /// Service account for step pods that do not set their own.
    pub fn service_account(&self) -> Option<&str> {
        self.service_account.as_deref()
    }
    /// True for a dynamic snapshot compiled to one orchestration step.
    pub fn is_dynamic(&self) -> bool {
        self.dynamic
    }
}

impl Step {
    /// ZenML invocation id, verbatim.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Where the step is in the input, for errors about it.
    pub fn path(&self) -> &str {
        &self.path
    }
    pub fn image(&self) -> &str {
        &self.image
    }
    pub fn command(&self) -> &[String] {
        &self.command
    }
    pub fn args(&self) -> &[String] {
        &self.args
    }
    /// Container environment in order; names are unique.
    pub fn env(&self) -> &[EnvVar] {
        &self.env
    }
    /// Kubernetes `envFrom` entries, verbatim.
    pub fn env_from(&self) -> &[Value] {
        &self.env_from
    }
    pub fn resources(&self) -> &Resources {
        &self.resources
    }
    /// Retries the engine must perform, when the flavor leaves retries to the engine.
    pub fn retry(&self) -> Option<Retry> {
        self.retry
    }
    /// Names of steps that must finish first.
    pub fn upstream(&self) -> &[String] {
        &self.upstream
    }
    /// Step deadline in seconds.
    pub fn timeout_seconds(&self) -> Option<u64> {
        self.timeout_seconds
    }
    pub fn pod(&self) -> &PodSettings {
        &self.pod
    }
}

impl EnvVar {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn value(&self) -> &EnvValue {
        &self.value
    }
}

/// ZenML `execution_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureMode {
    /// Independent branches keep running; dependants of a failed step are skipped (default).
    ContinueOnFailure,
    /// No new steps start after a failure; running ones finish.
    StopOnFailure,
    /// Running steps are stopped too.
    FailFast,
}

/// One container run of the pipeline.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// ZenML invocation id (the key of `step_configurations`), verbatim.
    name: String,
    /// Where the step is in the input (`metadata.step_configurations.train`, `steps[1]`), for
    /// errors the engines raise about it.
    #[serde(skip)]
    path: String,
    /// Container image reference.
    image: String,
    /// Container command (ZenML's entrypoint module): one list that steps share.
    #[serde(serialize_with = "slice")]
    command: Arc<[String]>,
    /// Container arguments (`--snapshot_id`, `--step_name`, ...).
    args: Vec<String>,
    /// Container environment in order; names are unique. Steps without an environment of
    /// their own share one list.
    #[serde(serialize_with = "slice")]
    env: Arc<[EnvVar]>,
    /// Kubernetes `envFrom` entries, verbatim.
    env_from: Vec<Value>,
    /// Requests and limits keyed by Kubernetes resource name (`cpu`, `memory`, `nvidia.com/gpu`).
    resources: Resources,
    /// Retries the engine must perform, when the flavor leaves retries to the engine.
    retry: Option<Retry>,
    /// ZenML's in-process retry settings, for the record (engines do not act on them).
    zenml_retry: Option<Retry>,
    /// Names of steps that must finish first (`spec.upstream_steps`).
    upstream: Vec<String>,
    /// Step deadline in seconds.
    timeout_seconds: Option<u64>,
    /// Kubernetes pod-level settings.
    pod: PodSettings,
}

/// A list steps share, written as the list it is.
fn slice<T: Serialize, S: serde::Serializer>(list: &Arc<[T]>, serializer: S) -> Result<S::Ok, S::Error> {
    list[..].serialize(serializer)
}

/// An environment variable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvVar {
    name: String,
    value: EnvValue,
}

/// Where an environment variable's value comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvValue {
    /// A literal that must reach the container byte for byte.
    Literal(String),
    /// A literal from Kubernetes pod settings: `$(VAR)` references in it are meant for Kubernetes.
    Kubernetes(String),
    /// The engine's per-run id (same in all steps of a run, new per run, stable on retry).
    RunId,
    /// A key of a Kubernetes Secret (never a value).
    Secret { name: String, key: String },
    /// A Kubernetes `valueFrom` object from pod settings, verbatim.
    ValueFrom(Value),
}

/// Requests and limits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Resources {
    requests: BTreeMap<String, Quantity>,
    limits: BTreeMap<String, Quantity>,
}

impl Resources {
    /// Requests by Kubernetes resource name.
    pub fn requests(&self) -> &BTreeMap<String, Quantity> {
        &self.requests
    }
    /// Limits by Kubernetes resource name.
    pub fn limits(&self) -> &BTreeMap<String, Quantity> {
        &self.limits
    }

    pub fn is_empty(&self) -> bool {
        self.requests.is_empty() && self.limits.is_empty()
    }

    /// GPUs asked for (`nvidia.com/gpu` limit, else request).
    pub fn gpus(&self) -> Option<u128> {
        self.limits.get(GPU_RESOURCE).or_else(|| self.requests.get(GPU_RESOURCE)).map(Quantity::units)
    }
}

/// Labels zenc puts on every step pod — pipeline name, snapshot id, step name, as label
/// values — for the selectors of platform teams. A pod-settings label with one of these keys
/// wins (as on ZenML's own pods), with a warning.
pub const POD_SELECTOR_LABELS: [&str; 3] = ["zenml.io/pipeline", "zenml.io/snapshot-id", "zenml.io/step"];

/// The Kubernetes resource name ZenML's `gpu_count` maps to.
pub const GPU_RESOURCE: &str = "nvidia.com/gpu";

/// Engine retry policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Retry {
    /// Retries after the first attempt.
    limit: u32,
    /// Seconds before the first retry.
    delay_seconds: u64,
    /// Delay multiplier per retry (0 or 1: constant delay).
    backoff_factor: u64,
}

impl Retry {
    /// Retries after the first attempt.
    pub fn limit(self) -> u32 {
        self.limit
    }
    /// Seconds before the first retry.
    pub fn delay_seconds(self) -> u64 {
        self.delay_seconds
    }
    /// Delay multiplier per retry (0 or 1: constant delay).
    pub fn backoff_factor(self) -> u64 {
        self.backoff_factor
    }
}

/// Pod-level Kubernetes settings of a step (ZenML `KubernetesPodSettings` + orchestrator settings).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PodSettings {
    node_selector: BTreeMap<String, String>,
    affinity: Option<Value>,
    tolerations: Vec<Value>,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    volumes: Vec<Value>,
    volume_mounts: Vec<Value>,
    host_ipc: bool,
    scheduler_name: Option<String>,
    image_pull_secrets: Vec<String>,
    /// Container security context (camelCase), including `privileged`.
    security_context: Option<Value>,
    service_account: Option<String>,
    /// Seconds the pod gets to stop.
    termination_grace_period_seconds: Option<u64>,
    /// Further `PodSpec` fields, camelCase keys (`priorityClassName`).
    extra_pod_spec: BTreeMap<String, Value>,
}

impl PodSettings {
    pub fn node_selector(&self) -> &BTreeMap<String, String> {
        &self.node_selector
    }
    pub fn affinity(&self) -> Option<&Value> {
        self.affinity.as_ref()
    }
    pub fn tolerations(&self) -> &[Value] {
        &self.tolerations
    }
    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.labels
    }
    pub fn annotations(&self) -> &BTreeMap<String, String> {
        &self.annotations
    }
    pub fn volumes(&self) -> &[Value] {
        &self.volumes
    }
    pub fn volume_mounts(&self) -> &[Value] {
        &self.volume_mounts
    }
    pub fn host_ipc(&self) -> bool {
        self.host_ipc
    }
    pub fn scheduler_name(&self) -> Option<&str> {
        self.scheduler_name.as_deref()
    }
    pub fn image_pull_secrets(&self) -> &[String] {
        &self.image_pull_secrets
    }
    /// Container security context (camelCase), including `privileged`.
    pub fn security_context(&self) -> Option<&Value> {
        self.security_context.as_ref()
    }
    pub fn service_account(&self) -> Option<&str> {
        self.service_account.as_deref()
    }
    /// Seconds the pod gets to stop.
    pub fn termination_grace_period_seconds(&self) -> Option<u64> {
        self.termination_grace_period_seconds
    }
    /// Further `PodSpec` fields, camelCase keys (`priorityClassName`).
    pub fn extra_pod_spec(&self) -> &BTreeMap<String, Value> {
        &self.extra_pod_spec
    }
}
