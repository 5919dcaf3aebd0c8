//! The typed context of Airflow's DAG template.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde::ser::{SerializeMap, Serializer};
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
    /// Module constants: what the tasks share, written once.
    pub shared: Shared,
    /// `default_args`: the value most tasks have, for each operator argument that has one.
    pub defaults: DefaultArgs,
    /// One KubernetesPodOperator per step, in topological order: what differs from `defaults`.
    /// Templates read it through [`view::Tasks`](super::view::Tasks), not converted with the rest.
    #[serde(skip)]
    pub tasks: Arc<Vec<TaskContext>>,
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

/// Values several tasks share, as module constants (`_ENV`, `_SECRETS`, …). Sharing is safe
/// where Airflow renders a copy: a dict or list field renders into a new one, `env_vars` as a
/// dict becomes fresh `V1EnvVar`s per task, `Secret`s are not templated. A `V1EnvVar` list would
/// be rendered in place, so it is never shared.
#[derive(Debug, Default, Serialize)]
pub struct Shared {
    /// `_ENV`: the most common environment, as a dict (templated); `None` when every task keeps
    /// an ordered list.
    pub env: Option<Vec<EnvPair>>,
    /// `_SECRETS`: the most common non-empty secret list.
    pub secrets: Option<Vec<SecretEnv>>,
    /// `_RESOURCES`: the most common resources. Rendered in place, which changes nothing:
    /// quantities have no Jinja in them.
    pub container_resources: Option<ContainerResources>,
    /// `_POD_SPEC`: the most common base pod (Kubernetes API JSON). Not templated; the operator
    /// merges it into a deep copy of its own pod and never changes it.
    pub full_pod_spec: Option<Value>,
    /// `_ARGS`: the arguments every task starts with (templated; empty: none).
    pub args: Vec<String>,
    /// `_LABELS`: the pod labels every task has (values templated; empty: none).
    pub labels: BTreeMap<String, String>,
    /// `_ANNOTATIONS`: the pod annotations every task has (values templated; empty: none).
    pub annotations: BTreeMap<String, String>,
}

/// `default_args` of the DAG. The shared values that are module constants (`_ENV`,
/// `_SECRETS`, `_RESOURCES`, `_POD_SPEC`) are in it whenever [`Shared`] has them.
#[derive(Debug, Default, Serialize)]
pub struct DefaultArgs {
    /// The namespace of every pod (templated).
    pub namespace: Option<String>,
    /// The most common image (templated).
    pub image: Option<String>,
    /// The most common command (templated).
    pub cmds: Option<Vec<String>>,
    /// The most common number of retries.
    pub retries: Option<u32>,
    /// What every task has for these; `None` when they differ or none has one.
    pub node_selector: Option<BTreeMap<String, String>>,
    pub service_account_name: Option<String>,
    pub image_pull_secrets: Option<Vec<String>>,
    pub schedulername: Option<String>,
    pub priority_class_name: Option<String>,
    /// Seconds the pod gets to stop.
    pub termination_grace_period: Option<u64>,
    /// Seconds before a retry.
    pub retry_delay_seconds: Option<u64>,
    /// Airflow 3: delay multiplier (number); Airflow 2: `True` (factor 2).
    pub retry_exponential_backoff: Option<Value>,
    /// Task deadline in seconds.
    pub execution_timeout_seconds: Option<u64>,
}

/// One `KubernetesPodOperator`: its ids and what differs from [`DefaultArgs`] (`None` or empty:
/// not written, the default applies). Strings marked *templated* are already Jinja-protected.
/// The arguments tasks seldom set are in `pod` and `more` (`None` when the task sets none of
/// them), which keeps the template's work per task small.
#[derive(Debug, Serialize)]
pub struct TaskContext {
    pub task_id: TaskId,
    /// Pod name stem (templated; KPO adds a random suffix).
    pub name: String,
    /// `image`, `cmds`, `env`, `pod` and `more` are all `None`, as for most tasks: the template
    /// tests this instead of each of them.
    pub plain: bool,
    /// Container image (templated).
    pub image: Option<String>,
    /// Container command (templated).
    pub cmds: Option<Vec<String>>,
    /// Container arguments after `_ARGS` (templated).
    pub arguments: Vec<String>,
    /// Environment; `None`: `_ENV` as it is.
    pub env: Option<TaskEnv>,
    /// Secrets, resources and node selector of this task (written before the labels).
    pub pod: Option<TaskPod>,
    /// Pod labels besides `_LABELS` (values templated).
    pub labels: Pairs,
    /// Pod annotations besides `_ANNOTATIONS` (values templated).
    pub annotations: Pairs,
    /// The other arguments of this task (written after the annotations).
    pub more: Option<TaskMore>,
    /// Task ids that must finish first.
    pub upstream: Vec<TaskId>,
}

/// A task id (a string to templates), one copy shared by the task and those that wait for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskId(pub Arc<str>);

impl Serialize for TaskId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Map entries in key order (a map to templates). A task's own labels and annotations are one
/// or two: a vector holds them without a tree's node, and the keys zenc sets are not copied.
#[derive(Debug, Default, PartialEq)]
pub struct Pairs(pub Vec<(Cow<'static, str>, String)>);

impl Serialize for Pairs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// The arguments of a task between its environment and its labels (see [`TaskContext`]).
#[derive(Debug, Default, PartialEq, Serialize)]
pub struct TaskPod {
    /// Secret-backed variables (`Secret("env", …)`, not templated); `Some([])`: none.
    pub secrets: Option<Vec<SecretEnv>>,
    /// Resources of this task only.
    pub container_resources: Option<ContainerResources>,
    /// No resources, where `_RESOURCES` is the default.
    pub no_container_resources: bool,
    /// Node selector (values templated).
    pub node_selector: BTreeMap<String, String>,
}

/// The arguments of a task after its annotations (see [`TaskContext`]).
#[derive(Debug, Default, PartialEq, Serialize)]
pub struct TaskMore {
    pub service_account_name: Option<String>,
    pub image_pull_secrets: Vec<String>,
    pub schedulername: Option<String>,
    pub priority_class_name: Option<String>,
    /// Seconds the pod gets to stop.
    pub termination_grace_period: Option<u64>,
    /// Kubernetes API JSON (camelCase) of a base pod for everything the operator has no typed
    /// argument for (tolerations, affinity, volumes, `valueFrom`, …) of this task only; not
    /// templated.
    pub full_pod_spec: Option<Value>,
    /// No base pod, where `_POD_SPEC` is the default.
    pub no_full_pod_spec: bool,
    /// Retries after the first attempt (0 when ZenML retries in-process).
    pub retries: Option<u32>,
    /// Seconds before a retry.
    pub retry_delay_seconds: Option<u64>,
    /// Airflow 3: delay multiplier (number); Airflow 2: `True` (factor 2).
    pub retry_exponential_backoff: Option<Value>,
    /// Task deadline in seconds.
    pub execution_timeout_seconds: Option<u64>,
}

/// A task's `env_vars` when it is not `_ENV`.
#[derive(Debug, Serialize)]
pub struct TaskEnv {
    /// A dict that starts from `_ENV` (`{**_ENV, …}`); `vars` are what it adds or changes.
    pub extends_shared: bool,
    /// A `V1EnvVar` list instead of a dict: a value refers to another variable (`$(VAR)`),
    /// so the order is kept exactly.
    pub ordered: bool,
    /// Name and value (templated), in order.
    pub vars: Vec<EnvPair>,
}

/// `k8s.V1ResourceRequirements(requests=…, limits=…)`: either side may be absent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ContainerResources {
    /// Requests by resource name, Kubernetes quantities (`500m`, `2Gi`).
    pub requests: Option<BTreeMap<String, String>>,
    /// Limits by resource name.
    pub limits: Option<BTreeMap<String, String>>,
}

/// A literal environment variable.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct EnvPair {
    pub name: String,
    pub value: String,
}

/// `Secret("env", deploy_target, secret, key)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SecretEnv {
    pub env: String,
    pub secret: String,
    pub key: String,
}

