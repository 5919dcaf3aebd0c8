//! One step as a `KubernetesPodOperator`.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::{json, Map, Value};

use super::jinja::{literal, protect_jinja};
use super::{codes, ContainerResources, EnvPair, SecretEnv, RUN_ID};
use crate::backend::{alike, k8s};
use crate::error::Warning;
use crate::ir::{EnvValue, Pipeline, Quantity, Step, POD_SELECTOR_LABELS};

/// The KPO's container name: `full_pod_spec` is merged into the operator's pod by index, and
/// the operator's own container is called `base`.
const BASE_CONTAINER: &str = "base";

/// Every argument of one step's operator, before `share` takes out what tasks have in common.
/// Strings marked *templated* are already Jinja-protected.
#[derive(Debug, PartialEq)]
pub struct Operator {
    pub task_id: String,
    /// Pod name stem (templated).
    pub name: String,
    /// Container image (templated).
    pub image: String,
    /// Container command (templated).
    pub cmds: Vec<String>,
    /// Container arguments (templated).
    pub arguments: Vec<String>,
    /// Literal variables (templated), in order; one list for the operators of alike steps.
    pub env: Rc<Vec<EnvPair>>,
    /// A value refers to another variable (a pod-settings `$(VAR)`): the order must be kept.
    pub env_ordered: bool,
    /// Secret-backed variables (not templated).
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
    /// Kubernetes API JSON of a base pod (not templated).
    pub full_pod_spec: Option<Value>,
    pub retry: TaskRetry,
    /// Task deadline in seconds.
    pub execution_timeout_seconds: Option<u64>,
    /// Task ids that must finish first.
    pub upstream: Vec<String>,
}

/// A task's retry arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRetry {
    /// Retries after the first attempt (0 when ZenML retries in-process).
    pub retries: u32,
    /// Seconds before a retry.
    pub retry_delay_seconds: Option<u64>,
    /// Airflow 3: delay multiplier (number); Airflow 2: `True` (factor 2).
    pub retry_exponential_backoff: Option<Value>,
}

/// The operator of step `s`.
pub fn lower(
    p: &Pipeline,
    s: &Step,
    task_id: &str,
    pod_name: &str,
    upstream: Vec<String>,
    airflow2: bool,
    warnings: &mut Vec<Warning>,
) -> Operator {
    let (env, secrets, value_from) = env(s);
    // Kubernetes expands `$(VAR)` from the variables before it, so such a value needs its order.
    let env_ordered = s.env().iter().any(|e| matches!(e.value(), EnvValue::Kubernetes(v) if v.contains("$(")));
    let (full_pod_spec, priority_class_name) = full_pod_spec(s, value_from);
    let protect_values =
        |m: &BTreeMap<String, String>| m.iter().map(|(k, v)| (k.clone(), protect_jinja(v))).collect::<BTreeMap<_, _>>();
    let mut annotations = protect_values(s.pod().annotations());
    annotations.insert(k8s::STEP_NAME_ANNOTATION.into(), protect_jinja(s.name()));
    let mut labels = protect_values(&k8s::pod_labels(p, s));
    labels.extend(k8s::managed_labels());
    Operator {
        task_id: task_id.to_string(),
        name: pod_name.to_string(),
        image: protect_jinja(s.image()),
        cmds: s.command().iter().map(|c| literal(c)).collect(),
        arguments: s.args().iter().map(|a| literal(a)).collect(),
        env: Rc::new(env),
        env_ordered,
        secrets,
        container_resources: container_resources(s),
        node_selector: protect_values(s.pod().node_selector()),
        labels,
        annotations,
        service_account_name: s.pod().service_account().or(p.service_account()).map(String::from),
        image_pull_secrets: s.pod().image_pull_secrets().to_vec(),
        schedulername: s.pod().scheduler_name().map(String::from),
        priority_class_name,
        termination_grace_period: s.pod().termination_grace_period_seconds(),
        full_pod_spec,
        retry: retry(s, airflow2, warnings),
        execution_timeout_seconds: s.timeout_seconds(),
        upstream,
    }
}

/// The operator of step `s`, alike the step of `first` (`backend::alike`): a copy of `first` with
/// the name of `s` put in, and its own ids, upstream tasks, retries and timeout.
#[allow(clippy::too_many_arguments)]
pub fn renamed(
    first: &Operator,
    p: &Pipeline,
    s: &Step,
    task_id: &str,
    pod_name: &str,
    upstream: Vec<String>,
    airflow2: bool,
    warnings: &mut Vec<Warning>,
) -> Operator {
    let mut arguments = first.arguments.clone();
    let mut literal_name = None;
    for i in alike::name_positions(s) {
        literal_name.get_or_insert_with(|| literal(s.name())).clone_into(&mut arguments[i]);
    }
    let name = protect_jinja(s.name());
    let mut labels = first.labels.clone();
    if let Some(v) = labels.get_mut(POD_SELECTOR_LABELS[2]) {
        name.clone_into(v);
    }
    let mut annotations = first.annotations.clone();
    annotations.insert(k8s::STEP_NAME_ANNOTATION.into(), name);
    Operator {
        task_id: task_id.to_string(),
        name: pod_name.to_string(),
        image: first.image.clone(),
        cmds: first.cmds.clone(),
        arguments,
        env: Rc::clone(&first.env),
        env_ordered: first.env_ordered,
        secrets: first.secrets.clone(),
        container_resources: first.container_resources.clone(),
        node_selector: first.node_selector.clone(),
        labels,
        annotations,
        service_account_name: s.pod().service_account().or(p.service_account()).map(String::from),
        image_pull_secrets: first.image_pull_secrets.clone(),
        schedulername: first.schedulername.clone(),
        priority_class_name: first.priority_class_name.clone(),
        termination_grace_period: first.termination_grace_period,
        full_pod_spec: first.full_pod_spec.clone(),
        retry: retry(s, airflow2, warnings),
        execution_timeout_seconds: s.timeout_seconds(),
        upstream,
    }
}

/// `env_vars` (templated), `secrets`, and the `valueFrom` variables the operator has no
/// argument for (they go into `full_pod_spec`).
fn env(s: &Step) -> (Vec<EnvPair>, Vec<SecretEnv>, Vec<Value>) {
    let mut env_vars = Vec::new();
    let mut secrets = Vec::new();
    let mut value_from = Vec::new();
    for e in s.env() {
        let value = match e.value() {
            EnvValue::Literal(v) => literal(v),
            // Pod-settings values mean their `$(VAR)` for Kubernetes.
            EnvValue::Kubernetes(v) => protect_jinja(v),
            EnvValue::RunId => RUN_ID.to_string(),
            EnvValue::Secret { name, key } => {
                secrets.push(SecretEnv { env: e.name().to_string(), secret: name.clone(), key: key.clone() });
                continue;
            }
            EnvValue::ValueFrom(v) => {
                value_from.push(json!({"name": e.name(), "valueFrom": v}));
                continue;
            }
        };
        env_vars.push(EnvPair { name: protect_jinja(e.name()), value });
    }
    (env_vars, secrets, value_from)
}

/// Kubernetes API JSON of a base pod for what the operator has no typed argument for, and the
/// priority class (which it has).
fn full_pod_spec(s: &Step, value_from: Vec<Value>) -> (Option<Value>, Option<String>) {
    let pod = s.pod();
    let mut container = Map::new();
    container.insert("name".into(), BASE_CONTAINER.into());
    if !value_from.is_empty() {
        container.insert("env".into(), Value::Array(value_from));
    }
    if !s.env_from().is_empty() {
        container.insert("envFrom".into(), Value::Array(s.env_from().to_vec()));
    }
    if !pod.volume_mounts().is_empty() {
        container.insert("volumeMounts".into(), Value::Array(pod.volume_mounts().to_vec()));
    }
    if let Some(sc) = pod.security_context() {
        container.insert("securityContext".into(), sc.clone());
    }
    let mut spec: Map<String, Value> = pod.extra_pod_spec().clone().into_iter().collect();
    let priority_class_name = spec.remove("priorityClassName").and_then(|v| v.as_str().map(str::to_string));
    if !pod.tolerations().is_empty() {
        spec.insert("tolerations".into(), Value::Array(pod.tolerations().to_vec()));
    }
    if let Some(a) = pod.affinity() {
        spec.insert("affinity".into(), a.clone());
    }
    if !pod.volumes().is_empty() {
        spec.insert("volumes".into(), Value::Array(pod.volumes().to_vec()));
    }
    if pod.host_ipc() {
        spec.insert("hostIPC".into(), Value::Bool(true));
    }
    let full = (container.len() > 1 || !spec.is_empty()).then(|| {
        spec.insert("containers".into(), json!([Value::Object(container)]));
        json!({"metadata": {}, "spec": spec})
    });
    (full, priority_class_name)
}

/// Retries (0 when ZenML retries in-process), their delay and backoff.
fn retry(s: &Step, airflow2: bool, warnings: &mut Vec<Warning>) -> TaskRetry {
    let Some(r) = s.retry() else {
        return TaskRetry { retries: 0, retry_delay_seconds: None, retry_exponential_backoff: None };
    };
    let backoff = (r.backoff_factor() > 1).then(|| {
        if !airflow2 {
            return Value::from(r.backoff_factor());
        }
        if r.backoff_factor() != 2 {
            warnings.push(Warning::new(
                &codes::BACKOFF_FACTOR,
                format!(
                    "step `{}`: Airflow 2 doubles the retry delay; backoff factor {} is not carried",
                    s.name(),
                    r.backoff_factor()
                ),
            ));
        }
        Value::Bool(true)
    });
    TaskRetry { retries: r.limit(), retry_delay_seconds: Some(r.delay_seconds()), retry_exponential_backoff: backoff }
}

/// The step's resources; `None` when it sets none.
fn container_resources(s: &Step) -> Option<ContainerResources> {
    let side = |m: &BTreeMap<String, Quantity>| {
        (!m.is_empty()).then(|| m.iter().map(|(k, q)| (k.clone(), q.to_string())).collect())
    };
    let r = s.resources();
    (!r.is_empty()).then(|| ContainerResources { requests: side(r.requests()), limits: side(r.limits()) })
}
