//! The input as read, before validation: every value remembers its input path.

use serde_json::Value;

use super::settings::{Number, OrchestratorSettings, ResourceSettings, RetryConfig};

/// A pipeline as read, before validation. Paths point into the input for error messages.
#[derive(Debug, Clone, Default)]
pub struct RawPipeline {
    pub name: String,
    pub snapshot_id: String,
    pub snapshot_id_path: String,
    pub project_id: Option<String>,
    pub stack_id: Option<String>,
    /// Orchestrator flavor of the snapshot's stack, when the input says.
    pub flavor: Option<String>,
    pub dynamic: bool,
    pub execution_mode: Option<String>,
    pub execution_mode_path: String,
    pub tags: Vec<String>,
    pub description: Option<String>,
    /// Components of the snapshot's stack: `(type, name, flavor)`, when the stack is hydrated.
    pub stack_components: Vec<(String, String, String)>,
    /// Image for the whole pipeline (ZenML's `orchestrator` build key).
    pub image: Option<String>,
    /// Stack-level environment (applied before each step's own).
    pub stack_environment: Vec<(String, Value)>,
    /// Pipeline-level orchestrator settings (parallelism, TTL, schedule knobs).
    pub orchestrator: OrchestratorSettings,
    pub orchestrator_path: String,
    pub parallelism: Option<Number>,
    pub parallelism_path: String,
    pub schedule: Option<RawSchedule>,
    pub steps: Vec<RawStep>,
    /// Where the steps and the images are written in this input format.
    pub steps_path: String,
    pub images_path: String,
}

/// One step as read.
#[derive(Debug, Clone, Default)]
pub struct RawStep {
    /// Invocation id: the key of `step_configurations`.
    pub name: String,
    /// Path of the step itself (`metadata.step_configurations.train`, `steps[1]`).
    pub path: String,
    pub image: Option<String>,
    pub command: Option<Vec<String>>,
    pub args: Option<Vec<String>>,
    pub upstream: Vec<String>,
    pub upstream_path: String,
    pub environment: Vec<(String, Value)>,
    pub environment_path: String,
    pub resources: Option<ResourceSettings>,
    pub resources_path: String,
    pub retry: Option<RetryConfig>,
    pub retry_path: String,
    /// Step-level (already merged with pipeline-level) orchestrator settings.
    pub orchestrator: OrchestratorSettings,
    pub orchestrator_path: String,
    /// Path of the Kubernetes pod settings (`...pod_settings`, `steps[1].pod`).
    pub pod_path: String,
    /// Path of the step deadline (`...active_deadline_seconds`, `steps[1].timeout`).
    pub timeout_path: String,
    /// Set when the step runs on a ZenML step operator instead of the orchestrator.
    pub step_operator: bool,
}

/// A schedule as read.
#[derive(Debug, Clone, Default)]
pub struct RawSchedule {
    pub path: String,
    pub name: Option<String>,
    pub active: bool,
    pub cron: Option<String>,
    pub interval: Option<Value>,
    pub run_once: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub catchup: bool,
    pub timezone: Option<String>,
    pub concurrency_policy: Option<String>,
    pub starting_deadline_seconds: Option<Number>,
    pub successful_history_limit: Option<Number>,
    pub failed_history_limit: Option<Number>,
    /// Where the knobs above are written: `[concurrency, deadline, successful, failed]`.
    pub knob_paths: [String; 4],
}
