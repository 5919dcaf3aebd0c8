//! The typed context of Airflow's DAG template.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// Input of `templates/airflow/dag.py.j2`.
#[derive(Debug, Serialize)]
pub struct DagContext {
    /// Header comment lines (`backend::header`).
    pub header: Vec<String>,
    /// Module docstring (a Python string literal once escaped).
    pub docstring: String,
    /// Emit Airflow 2.9+ imports and parameter names instead of Airflow 3's.
    pub airflow2: bool,
    pub dag_id: String,
    /// The schedule's fields (all unset without one).
    #[serde(flatten)]
    pub schedule: DagSchedule,
    /// Tasks of one DAG run at once (pipeline `parallelism`).
    pub max_active_tasks: Option<u32>,
    /// Stop the run at the first failed task (`fail_fast`, Airflow 2: `fail_stop`).
    pub fail_fast: bool,
    pub tags: Vec<String>,
    /// `description` shown in the Airflow UI: the pipeline's description.
    pub description: Option<String>,
    /// Some task needs the `Secret` import.
    pub uses_secrets: bool,
    /// Some task needs the `PodGenerator` import.
    pub uses_pod_spec: bool,
    /// One KubernetesPodOperator per step, in topological order.
    pub tasks: Vec<TaskContext>,
}

/// The DAG's schedule arguments.
#[derive(Debug, Default, Serialize)]
pub struct DagSchedule {
    /// Cron schedule: five fields, read in `timezone`.
    pub cron: Option<String>,
    /// IANA time zone of the cron schedule.
    pub timezone: Option<String>,
    /// Interval schedule, in seconds.
    pub interval_seconds: Option<u64>,
    /// A single run at `start_date` (`@once`).
    pub once: bool,
    /// First run moment, ISO 8601 with `+00:00` (UTC).
    pub start_date: Option<String>,
    /// Last run moment, ISO 8601 with `+00:00` (UTC).
    pub end_date: Option<String>,
    pub catchup: bool,
    /// DAG runs at once (1 when the schedule forbids overlapping runs).
    pub max_active_runs: Option<u32>,
    /// Created paused (schedule inactive) or not; `None` leaves Airflow's config default.
    pub is_paused_upon_creation: Option<bool>,
}

/// One `KubernetesPodOperator`. Strings marked *templated* are already Jinja-protected.
#[derive(Debug, Serialize)]
pub struct TaskContext {
    pub task_id: String,
    /// Pod name stem (templated; KPO adds a random suffix).
    pub name: String,
    pub namespace: Option<String>,
    /// Container image (templated).
    pub image: String,
    /// Container command (templated).
    pub cmds: Vec<String>,
    /// Container arguments (templated).
    pub arguments: Vec<String>,
    /// `V1EnvVar(name, value)` entries (templated), in order.
    pub env_vars: Vec<EnvPair>,
    /// Secret-backed variables (`Secret("env", …)`, not templated).
    pub secrets: Vec<SecretEnv>,
    pub container_resources: Option<ContainerResources>,
    /// Node selector (values templated).
    pub node_selector: BTreeMap<String, String>,
    /// Pod labels (values templated).
    pub labels: BTreeMap<String, String>,
    /// Pod annotations (values templated).
    pub annotations: BTreeMap<String, String>,
    pub service_account_name: Option<String>,
    pub image_pull_secrets: Vec<String>,
    pub schedulername: Option<String>,
    pub priority_class_name: Option<String>,
    /// Seconds the pod gets to stop.
    pub termination_grace_period: Option<u64>,
    /// Kubernetes API JSON (camelCase) of a base pod for everything the operator has no typed
    /// argument for (tolerations, affinity, volumes, `valueFrom`, …); not templated.
    pub full_pod_spec: Option<Value>,
    /// `retries`, `retry_delay`, `retry_exponential_backoff`.
    #[serde(flatten)]
    pub retry: TaskRetry,
    /// Task deadline in seconds.
    pub execution_timeout_seconds: Option<u64>,
    /// Task ids that must finish first.
    pub upstream: Vec<String>,
}

/// A task's retry arguments.
#[derive(Debug, Serialize)]
pub struct TaskRetry {
    /// Retries after the first attempt (0 when ZenML retries in-process).
    pub retries: u32,
    /// Seconds before a retry.
    pub retry_delay_seconds: Option<u64>,
    /// Airflow 3: delay multiplier (number); Airflow 2: `True` (factor 2).
    pub retry_exponential_backoff: Option<Value>,
}

/// `k8s.V1ResourceRequirements(requests=…, limits=…)`: either side may be absent.
#[derive(Debug, Serialize)]
pub struct ContainerResources {
    /// Requests by resource name, Kubernetes quantities (`500m`, `2Gi`).
    pub requests: Option<BTreeMap<String, String>>,
    /// Limits by resource name.
    pub limits: Option<BTreeMap<String, String>>,
}

/// A literal environment variable.
#[derive(Debug, Serialize)]
pub struct EnvPair {
    pub name: String,
    pub value: String,
}

/// `Secret("env", deploy_target, secret, key)`.
#[derive(Debug, Serialize)]
pub struct SecretEnv {
    pub env: String,
    pub secret: String,
    pub key: String,
}

