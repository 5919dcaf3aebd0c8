//! Serde mirror of the parts of ZenML's `PipelineSnapshotResponse` JSON that zenc reads.
//! Keys not listed here are ignored: a snapshot carries many ids, timestamps and stack
//! metadata that do not change how a step runs. No logic lives here.

use serde::Deserialize;
use serde_json::Value;

use super::settings::{OrderedMap, StepSettings};

/// A `PipelineSnapshotResponse` (`model_dump(mode="json")`).
#[derive(Debug, Deserialize)]
pub struct Snapshot {
    /// Snapshot UUID: the `--snapshot_id` of every step container.
    pub id: String,
    pub body: Body,
    /// `null` when the snapshot was fetched with `hydrate=false`.
    pub metadata: Option<Metadata>,
    #[serde(default)]
    pub resources: Option<Resources>,
}

#[derive(Debug, Deserialize)]
pub struct Body {
    #[serde(default)]
    pub project_id: Option<String>,
    #[serde(default)]
    pub is_dynamic: bool,
}

#[derive(Debug, Deserialize)]
pub struct Metadata {
    /// The snapshot's description (ZenML: `PipelineSnapshotResponseMetadata.description`).
    #[serde(default)]
    pub description: Option<String>,
    pub pipeline_configuration: PipelineConfiguration,
    /// Keyed by invocation id, in ZenML's (topological) order.
    #[serde(default)]
    pub step_configurations: OrderedMap<Step>,
}

#[derive(Debug, Deserialize)]
pub struct PipelineConfiguration {
    pub name: String,
    #[serde(default)]
    pub execution_mode: Option<String>,
    #[serde(default)]
    pub settings: Option<OrderedMap<Value>>,
    #[serde(default)]
    pub environment: Option<OrderedMap<Value>>,
    #[serde(default)]
    pub tags: Option<Vec<Value>>,
}

#[derive(Debug, Deserialize)]
pub struct Step {
    pub spec: StepSpec,
    pub config: StepConfig,
}

#[derive(Debug, Deserialize)]
pub struct StepSpec {
    #[serde(default)]
    pub upstream_steps: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct StepConfig {
    #[serde(default)]
    pub settings: Option<StepSettings>,
    #[serde(default)]
    pub environment: Option<OrderedMap<Value>>,
    #[serde(default)]
    pub retry: Option<Value>,
    #[serde(default)]
    pub step_operator: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub struct Resources {
    #[serde(default)]
    pub stack: Option<NestedStack>,
    #[serde(default)]
    pub build: Option<NestedBuild>,
    #[serde(default)]
    pub schedule: Option<NestedSchedule>,
}

#[derive(Debug, Deserialize)]
pub struct NestedStack {
    pub id: String,
    /// `null` unless the nested stack was hydrated.
    #[serde(default)]
    pub metadata: Option<StackMetadata>,
}

#[derive(Debug, Deserialize)]
pub struct StackMetadata {
    #[serde(default)]
    pub components: OrderedMap<Vec<Component>>,
    #[serde(default)]
    pub environment: Option<OrderedMap<Value>>,
}

#[derive(Debug, Deserialize)]
pub struct Component {
    pub name: String,
    pub body: ComponentBody,
}

#[derive(Debug, Deserialize)]
pub struct ComponentBody {
    pub flavor_name: String,
}

#[derive(Debug, Deserialize)]
pub struct NestedBuild {
    /// `null` unless the nested build was hydrated (the plain REST shape has no images).
    #[serde(default)]
    pub metadata: Option<BuildMetadata>,
}

#[derive(Debug, Deserialize)]
pub struct BuildMetadata {
    #[serde(default)]
    pub images: OrderedMap<BuildItem>,
}

#[derive(Debug, Deserialize)]
pub struct BuildItem {
    pub image: String,
}

#[derive(Debug, Deserialize)]
pub struct NestedSchedule {
    #[serde(default)]
    pub name: Option<String>,
    pub body: ScheduleBody,
}

/// ZenML `Schedule` as stored: naive UTC datetimes, ISO-8601 interval.
#[derive(Debug, Deserialize)]
pub struct ScheduleBody {
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub cron_expression: Option<String>,
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub end_time: Option<String>,
    #[serde(default)]
    pub interval_second: Option<Value>,
    #[serde(default)]
    pub catchup: Option<bool>,
    #[serde(default)]
    pub run_once_start_time: Option<String>,
}
