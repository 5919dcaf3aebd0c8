//! The engine-neutral, validated pipeline. A `Pipeline` exists only if `build` accepted it:
//! every upstream exists, the graph is acyclic, quantities and schedules are valid.

pub mod build;
pub mod graph;
pub mod quantity;
pub mod schedule;
pub mod syntax;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

pub use build::{build, BuildOptions, SecretRef};
pub use quantity::Quantity;
pub use schedule::{Concurrency, Cron, Schedule, Trigger, UtcDateTime};

/// Prevents construction outside `ir::build` while keeping fields readable.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sealed(());

/// A validated pipeline.
#[derive(Debug, Clone, Serialize)]
pub struct Pipeline {
    /// ZenML pipeline name, verbatim.
    pub name: String,
    /// Snapshot UUID every step loads (`--snapshot_id`).
    pub snapshot_id: String,
    /// Orchestrator flavor of the snapshot's stack (`kubernetes`, `kubeflow`, ...), if known.
    pub flavor: Option<String>,
    /// The environment variable the step containers read their run id from.
    pub run_id_env: String,
    /// What happens to the rest of the run when a step fails.
    pub failure_mode: FailureMode,
    /// Steps in a stable topological order (input order among independent steps).
    pub steps: Vec<Step>,
    pub schedule: Option<Schedule>,
    /// At most this many steps at once.
    pub parallelism: Option<u32>,
    /// Delete finished runs after this many seconds.
    pub ttl_seconds_after_finished: Option<u64>,
    /// Pipeline tags (ZenML `tags`).
    pub tags: Vec<String>,
    /// What the pipeline does (the snapshot's description), for engine UIs.
    pub description: Option<String>,
    /// Kubernetes namespace for the emitted objects, if chosen.
    pub namespace: Option<String>,
    /// Service account for step pods that do not set their own.
    pub service_account: Option<String>,
    /// True for a dynamic snapshot compiled to one orchestration step.
    pub dynamic: bool,
    #[serde(skip)]
    pub sealed: Sealed,
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
    pub name: String,
    /// Where the step is in the input (`metadata.step_configurations.train`, `steps[1]`), for
    /// errors the engines raise about it.
    #[serde(skip)]
    pub path: String,
    /// Container image reference.
    pub image: String,
    /// Container command (ZenML's entrypoint module).
    pub command: Vec<String>,
    /// Container arguments (`--snapshot_id`, `--step_name`, ...).
    pub args: Vec<String>,
    /// Container environment in order; names are unique.
    pub env: Vec<EnvVar>,
    /// Kubernetes `envFrom` entries, verbatim.
    pub env_from: Vec<Value>,
    /// Requests and limits keyed by Kubernetes resource name (`cpu`, `memory`, `nvidia.com/gpu`).
    pub resources: Resources,
    /// Retries the engine must perform, when the flavor leaves retries to the engine.
    pub retry: Option<Retry>,
    /// ZenML's in-process retry settings, for the record (engines do not act on them).
    pub zenml_retry: Option<Retry>,
    /// Names of steps that must finish first (`spec.upstream_steps`).
    pub upstream: Vec<String>,
    /// Step deadline in seconds.
    pub timeout_seconds: Option<u64>,
    /// Kubernetes pod-level settings.
    pub pod: PodSettings,
    #[serde(skip)]
    pub sealed: Sealed,
}

/// An environment variable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvVar {
    pub name: String,
    pub value: EnvValue,
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
    pub requests: BTreeMap<String, Quantity>,
    pub limits: BTreeMap<String, Quantity>,
}

impl Resources {
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
    pub limit: u32,
    /// Seconds before the first retry.
    pub delay_seconds: u64,
    /// Delay multiplier per retry (0 or 1: constant delay).
    pub backoff_factor: u64,
}

/// Pod-level Kubernetes settings of a step (ZenML `KubernetesPodSettings` + orchestrator settings).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PodSettings {
    pub node_selector: BTreeMap<String, String>,
    pub affinity: Option<Value>,
    pub tolerations: Vec<Value>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub volumes: Vec<Value>,
    pub volume_mounts: Vec<Value>,
    pub host_ipc: bool,
    pub scheduler_name: Option<String>,
    pub image_pull_secrets: Vec<String>,
    /// Container security context (camelCase), including `privileged`.
    pub security_context: Option<Value>,
    pub service_account: Option<String>,
    /// Seconds the pod gets to stop.
    pub termination_grace_period_seconds: Option<u64>,
    /// Further `PodSpec` fields, camelCase keys (`priorityClassName`).
    pub extra_pod_spec: BTreeMap<String, Value>,
}
