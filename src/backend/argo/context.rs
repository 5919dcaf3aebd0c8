//! The typed contexts of Argo's templates.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::backend::k8s::cron::CronFields;
use crate::backend::k8s::{EnvEntry, ResourceRequirements};

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
    pub dag: DagTemplate,
    /// One container template per step, in DAG order.
    pub steps: Vec<StepTemplate>,
}

/// `{name: ...}` object reference.
#[derive(Debug, Serialize)]
pub struct NameRef {
    pub name: String,
}

/// The entrypoint DAG template.
#[derive(Debug, Serialize)]
pub struct DagTemplate {
    pub name: &'static str,
    /// Argo's `failFast`: stop scheduling after the first failure.
    pub fail_fast: bool,
    pub tasks: Vec<DagTask>,
}

#[derive(Debug, Serialize)]
pub struct DagTask {
    pub name: String,
    pub template: String,
    /// Task names that must succeed first.
    pub dependencies: Vec<String>,
}

/// A container template for one step.
#[derive(Debug, Serialize)]
pub struct StepTemplate {
    pub name: String,
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

#[derive(Debug, Serialize)]
pub struct RetryStrategy {
    /// Retries after the first attempt.
    pub limit: u32,
    /// `Always`: like ZenML's Job, retry failed containers and pod errors (evictions).
    pub retry_policy: &'static str,
    pub backoff: Option<Backoff>,
}

#[derive(Debug, Serialize)]
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
