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
    pub environment: Vec<(String, Value)>,
    pub resources: Option<ResourceSettings>,
    pub retry: Option<RetryConfig>,
    /// Step-level (already merged with pipeline-level) orchestrator settings.
    pub orchestrator: OrchestratorSettings,
    /// Where the step's settings are written; their paths are spelled only for a diagnostic.
    pub places: Places,
    /// Set when the step runs on a ZenML step operator instead of the orchestrator.
    pub step_operator: bool,
}

/// Where a step's settings are in the input. A snapshot step's follow from its path (a path
/// string per setting and step was a tenth of loading 5,000 steps, for errors that seldom come).
#[derive(Debug, Clone)]
pub enum Places {
    /// `metadata.step_configurations.<name>`: `.config.settings.resources`, `.config.retry`, ...
    /// and the orchestrator settings at their key, when the step has them.
    Snapshot { orchestrator_path: Option<String> },
    /// Written out (the YAML form, the single step of a dynamic pipeline).
    Written(Box<WrittenPlaces>),
}

impl Default for Places {
    fn default() -> Self {
        Places::Written(Box::default())
    }
}

/// The paths of a step's settings, written out.
#[derive(Debug, Clone, Default)]
pub struct WrittenPlaces {
    pub upstream: String,
    pub environment: String,
    pub resources: String,
    pub retry: String,
    pub orchestrator: String,
    /// Kubernetes pod settings (`...pod_settings`, `steps[1].pod`).
    pub pod: String,
    /// The step deadline (`...active_deadline_seconds`, `steps[1].timeout`).
    pub timeout: String,
}

impl RawStep {
    fn snapshot_path(&self, tail: &str) -> String {
        let mut path = String::with_capacity(self.path.len() + tail.len());
        path.push_str(&self.path);
        path.push_str(tail);
        path
    }

    /// The path of the upstream list in two parts, joined only for an error; `path` is the
    /// step's (it moves into the IR before the graph is checked).
    pub fn upstream_place<'a>(&'a self, path: &'a str) -> [&'a str; 2] {
        match &self.places {
            Places::Snapshot { .. } => [path, ".spec.upstream_steps"],
            Places::Written(w) => [&w.upstream, ""],
        }
    }

    pub fn environment_path(&self) -> String {
        match &self.places {
            Places::Snapshot { .. } => self.snapshot_path(".config.environment"),
            Places::Written(w) => w.environment.clone(),
        }
    }

    pub fn resources_path(&self) -> String {
        match &self.places {
            Places::Snapshot { .. } => self.snapshot_path(".config.settings.resources"),
            Places::Written(w) => w.resources.clone(),
        }
    }

    pub fn retry_path(&self) -> String {
        match &self.places {
            Places::Snapshot { .. } => self.snapshot_path(".config.retry"),
            Places::Written(w) => w.retry.clone(),
        }
    }

    /// The step's orchestrator settings (`...config.settings["orchestrator:k8s"]`), or where
    /// they would be.
    pub fn orchestrator_path(&self) -> String {
        match &self.places {
            Places::Snapshot { orchestrator_path: Some(path) } => path.clone(),
            Places::Snapshot { orchestrator_path: None } => self.snapshot_path(".config.settings"),
            Places::Written(w) => w.orchestrator.clone(),
        }
    }

    pub fn pod_path(&self) -> String {
        match &self.places {
            Places::Snapshot { .. } => self.orchestrator_path() + ".pod_settings",
            Places::Written(w) => w.pod.clone(),
        }
    }

    pub fn timeout_path(&self) -> String {
        match &self.places {
            Places::Snapshot { .. } => self.orchestrator_path() + ".active_deadline_seconds",
            Places::Written(w) => w.timeout.clone(),
        }
    }
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
