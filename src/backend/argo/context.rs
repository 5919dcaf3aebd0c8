//! The typed contexts of Argo's templates.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::backend::k8s::cron::CronFields;
use crate::backend::k8s::{EnvEntry, ResourceRequirements, SharedName};

/// Input of `templates/argo/workflow.yaml.j2`.
#[derive(Debug, Serialize)]
pub struct WorkflowContext {
    /// Header comment lines (`backend::header`).
    pub header: Vec<String>,
    /// `Workflow` or `WorkflowTemplate`.
    pub kind: &'static str,
    /// Fixed name (WorkflowTemplate), or `None`.
    pub name: Option<String>,
    /// `generateName` (Workflow), or `None`.
    pub generate_name: Option<String>,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// Workflow-level default service account.
    pub service_account_name: Option<String>,
    /// Most steps running at once.
    pub parallelism: Option<u32>,
    /// Union of the steps' image pull secrets (Argo sets them per workflow only).
    pub image_pull_secrets: Vec<NameRef>,
    /// Seconds a finished workflow is kept.
    pub ttl_seconds_after_completion: Option<u64>,
    /// Name of the entrypoint DAG template.
    pub entrypoint: &'static str,
    /// DAG templates: the entrypoint, then (over 200 steps) one per group of steps.
    pub dags: Vec<DagTemplate>,
    /// Container templates: one per set of steps that differ only in name, in first-use order.
    pub steps: Vec<StepTemplate>,
}

/// `{name: ...}` object reference.
#[derive(Debug, Serialize)]
pub struct NameRef {
    pub name: String,
}

/// A DAG template: the entrypoint, or one group of steps.
#[derive(Debug, Serialize)]
pub struct DagTemplate {
    pub name: String,
    /// Argo's `failFast`: stop scheduling after the first failure.
    pub fail_fast: bool,
    pub tasks: Vec<DagTask>,
}

#[derive(Debug, Serialize)]
pub struct DagTask {
    pub name: SharedName,
    pub template: SharedName,
    /// Task names that must succeed first.
    pub dependencies: Vec<SharedName>,
    /// Values of the template's input parameters.
    pub arguments: Vec<Param>,
}

/// An Argo parameter: a task's argument or (without a value) a template's input.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Param {
    pub name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A container template: of one step, or shared by steps that differ only in name (which
/// then arrives as input parameters).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepTemplate {
    pub name: String,
    /// Input parameters (names only) of a shared template.
    pub inputs: Vec<Param>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub image: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub env: Vec<EnvEntry>,
    pub env_from: Vec<Value>,
    pub resources: Option<ResourceRequirements>,
    pub volume_mounts: Vec<Value>,
    /// Container security context.
    pub security_context: Option<Value>,
    pub node_selector: BTreeMap<String, String>,
    pub affinity: Option<Value>,
    pub tolerations: Vec<Value>,
    pub volumes: Vec<Value>,
    pub service_account_name: Option<String>,
    pub scheduler_name: Option<String>,
    pub priority_class_name: Option<String>,
    /// JSON merged into the pod spec for fields a template has no slot for (`hostIPC`, ...).
    pub pod_spec_patch: Option<String>,
    pub retry_strategy: Option<RetryStrategy>,
    /// Step deadline in seconds.
    pub active_deadline_seconds: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetryStrategy {
    /// Retries after the first attempt.
    pub limit: u32,
    /// `Always`: like ZenML's Job, retry failed containers and pod errors (evictions).
    pub retry_policy: &'static str,
    pub backoff: Option<Backoff>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backoff {
    /// First delay, Go duration (`10s`).
    pub duration: String,
    /// Multiplier per retry, when above 1.
    pub factor: Option<u64>,
}

/// Input of `templates/argo/cron-workflow.yaml.j2`.
#[derive(Debug, Serialize)]
pub struct CronContext {
    pub header: Vec<String>,
    /// CronWorkflow name (≤52 characters: Argo appends a timestamp for each run).
    pub name: String,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// The WorkflowTemplate each run instantiates.
    pub template_name: String,
    /// Cron expressions (`@every 6h` for intervals).
    pub schedules: Vec<String>,
    pub timezone: Option<String>,
    /// Concurrency policy, starting deadline, history limits, `suspend`.
    #[serde(flatten)]
    pub cron: CronFields,
}
