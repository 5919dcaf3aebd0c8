//! Serde model of zenc's hand-written YAML pipeline format: the same information as a ZenML
//! snapshot, written by a person. Strict: unknown keys are typos and fail the load.

use serde::Deserialize;
use serde_json::Value;

use super::settings::{Number, OrderedMap, PodSettings, ResourceSettings, RetryConfig};

/// A whole hand-written pipeline.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualPipeline {
    pub name: String,
    /// The ZenML snapshot the step containers load (`--snapshot_id`).
    pub snapshot_id: String,
    #[serde(default)]
    pub project_id: Option<String>,
    #[serde(default)]
    pub stack_id: Option<String>,
    /// Orchestrator flavor of the ZenML stack (decides the run-id variable and retries).
    #[serde(default)]
    pub flavor: Option<String>,
    /// Default image of every step.
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub execution_mode: Option<String>,
    #[serde(default)]
    pub environment: Option<OrderedMap<Value>>,
    #[serde(default)]
    pub resources: Option<ResourceSettings>,
    #[serde(default)]
    pub retry: Option<RetryConfig>,
    #[serde(default)]
    pub pod: Option<PodSettings>,
    #[serde(default)]
    pub service_account: Option<String>,
    /// Step timeout in seconds, for every step.
    #[serde(default)]
    pub timeout: Option<Number>,
    /// At most this many steps at once.
    #[serde(default)]
    pub parallelism: Option<Number>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// What the pipeline does, for people (engine UIs show it).
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub schedule: Option<ManualSchedule>,
    pub steps: Vec<ManualStep>,
}

/// One step of the hand-written format.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualStep {
    pub name: String,
    #[serde(default)]
    pub image: Option<String>,
    /// Replaces ZenML's step entrypoint command (rarely wanted).
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// Replaces ZenML's step entrypoint arguments (rarely wanted).
    #[serde(default)]
    pub args: Option<Vec<String>>,
    #[serde(default)]
    pub environment: Option<OrderedMap<Value>>,
    #[serde(default)]
    pub resources: Option<ResourceSettings>,
    #[serde(default)]
    pub retry: Option<RetryConfig>,
    #[serde(default)]
    pub pod: Option<PodSettings>,
    #[serde(default)]
    pub service_account: Option<String>,
    #[serde(default)]
    pub timeout: Option<Number>,
    #[serde(default)]
    pub upstream: Vec<String>,
}

/// A schedule in the hand-written format (ZenML `Schedule` plus what engines add).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualSchedule {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub cron: Option<String>,
    /// Seconds (`21600`) or an ISO-8601 duration (`PT6H`).
    #[serde(default)]
    pub interval: Option<Value>,
    #[serde(default)]
    pub run_once: Option<String>,
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
    #[serde(default)]
    pub catchup: Option<bool>,
    /// IANA time zone of the cron expression (`Europe/Paris`).
    #[serde(default)]
    pub timezone: Option<String>,
    /// `Allow`, `Forbid` or `Replace`.
    #[serde(default)]
    pub concurrency_policy: Option<String>,
    #[serde(default)]
    pub starting_deadline_seconds: Option<Number>,
    #[serde(default)]
    pub successful_history_limit: Option<Number>,
    #[serde(default)]
    pub failed_history_limit: Option<Number>,
}
