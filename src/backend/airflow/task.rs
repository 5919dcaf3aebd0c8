//! One step as a `KubernetesPodOperator`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::{json, Map, Value};

use super::jinja::{literal, protect_jinja};
use super::{codes, ContainerResources, EnvPair, Pairs, SecretEnv, TaskId, RUN_ID};
use crate::backend::{alike, k8s};
use crate::error::Warning;
use crate::ir::{EnvValue, Pipeline, Quantity, Step, POD_SELECTOR_LABELS};

/// The KPO's container name: `full_pod_spec` is merged into the operator's pod by index, and
/// the operator's own container is called `base`.
const BASE_CONTAINER: &str = "base";

/// Every argument of one step's operator, before `share` takes out what tasks have in common.
/// Strings marked *templated* are already Jinja-protected. The operators of alike steps hold
/// the first one's values (`Rc`), with only the name put in (`Args`, `Entries`): most of them
/// are shared by `share`, so copying them per task would be thrown away.
#[derive(Debug, PartialEq)]
pub struct Operator {
    pub task_id: TaskId,
    /// Pod name stem (templated).
    pub name: String,
    /// Container image (templated).
    pub image: Rc<String>,
    /// Container command (templated).
    pub cmds: Rc<Vec<String>>,
    /// Container arguments (templated).
    pub arguments: Args,
    /// Literal variables (templated), in order; one list for the operators of alike steps.
    pub env: Rc<Vec<EnvPair>>,
    /// A value refers to another variable (a pod-settings `$(VAR)`): the order must be kept.
    pub env_ordered: bool,
    /// Secret-backed variables (not templated).
    pub secrets: Rc<Vec<SecretEnv>>,
    pub container_resources: Option<Rc<ContainerResources>>,
    /// Node selector (values templated).
    pub node_selector: Rc<BTreeMap<String, String>>,
    /// Pod labels (values templated).
    pub labels: Entries,
    /// Pod annotations (values templated).
    pub annotations: Entries,
    pub service_account_name: Option<String>,
    pub image_pull_secrets: Rc<Vec<String>>,
    pub schedulername: Option<String>,
    pub priority_class_name: Option<String>,
    /// Seconds the pod gets to stop.
    pub termination_grace_period: Option<u64>,
    /// Kubernetes API JSON of a base pod (not templated).
    pub full_pod_spec: Option<Rc<Value>>,
    pub retry: TaskRetry,
    /// Task deadline in seconds.
    pub execution_timeout_seconds: Option<u64>,
    /// Task ids that must finish first.
    pub upstream: Vec<TaskId>,
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

/// A list as the first alike step's, with some items replaced (in index order).
#[derive(Debug, Default)]
pub struct Args {
    base: Rc<Vec<String>>,
    set: Vec<(usize, String)>,
}

impl Args {
    pub fn len(&self) -> usize {
        self.base.len()
    }

    pub fn get(&self, i: usize) -> Option<&String> {
        match self.set.iter().find(|(j, _)| *j == i) {
            Some((_, v)) => Some(v),
            None => self.base.get(i),
        }
    }

    /// The items from index `start` on; the replaced ones moved, not copied.
    pub fn into_tail(mut self, start: usize) -> Vec<String> {
        (start..self.len())
            .map(|i| match self.set.iter_mut().find(|(j, _)| *j == i) {
                Some((_, v)) => std::mem::take(v),
                None => self.base[i].clone(),
            })
            .collect()
    }
}

impl From<Vec<String>> for Args {
    fn from(items: Vec<String>) -> Args {
        Args { base: Rc::new(items), set: Vec::new() }
    }
}

impl PartialEq for Args {
    fn eq(&self, other: &Args) -> bool {
        self.len() == other.len() && (0..self.len()).all(|i| self.get(i) == other.get(i))
    }
}

/// A map as the first alike step's, with the value of one key it has replaced.
#[derive(Debug, Default)]
pub struct Entries {
    base: Rc<BTreeMap<String, String>>,
    set: Option<(&'static str, String)>,
}

impl Entries {
    pub fn get(&self, k: &str) -> Option<&String> {
        match &self.set {
            Some((key, v)) if *key == k => Some(v),
            _ => self.base.get(k),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.base.iter().map(move |(k, v)| match &self.set {
            Some((key, set)) if key == k => (k, set),
            _ => (k, v),
        })
    }

    /// Whether `other` is a copy of the same map, but for its replaced entry.
    pub fn same_base(&self, other: &Entries) -> bool {
        Rc::ptr_eq(&self.base, &other.base)
    }

    /// The key whose value is replaced.
    pub fn set_key(&self) -> Option<&'static str> {
        self.set.as_ref().map(|(k, _)| *k)
    }

    /// The whole map.
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// The entries `keep` accepts, in key order; the replaced value moved, not copied.
    pub fn into_pairs(self, keep: impl Fn(&str, &str) -> bool) -> Pairs {
        let mut set = self.set;
        let mut pairs = Vec::new();
        for (k, v) in self.base.iter() {
            if let Some((key, value)) = set.as_mut().filter(|(key, _)| key == k) {
                if keep(key, value) {
                    pairs.push((Cow::Borrowed(*key), std::mem::take(value)));
                }
            } else if keep(k, v) {
                pairs.push((Cow::Owned(k.clone()), v.clone()));
            }
        }
        Pairs(pairs)
    }
}

#[cfg(test)]
impl Entries {
    /// A copy with the value of `key` replaced.
    pub fn replaced(&self, key: &'static str, value: &str) -> Entries {
        Entries { base: Rc::clone(&self.base), set: Some((key, value.into())) }
    }
}

impl From<BTreeMap<String, String>> for Entries {
    fn from(map: BTreeMap<String, String>) -> Entries {
        Entries { base: Rc::new(map), set: None }
    }
}

impl PartialEq for Entries {
    fn eq(&self, other: &Entries) -> bool {
        self.iter().eq(other.iter())
    }
}

/// The operator of step `s`.
pub fn lower(
    p: &Pipeline,
    s: &Step,
    task_id: TaskId,
    pod_name: String,
    upstream: Vec<TaskId>,
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
        task_id,
        name: pod_name,
        image: Rc::new(protect_jinja(s.image())),
        cmds: Rc::new(s.command().iter().map(|c| literal(c)).collect()),
        arguments: s.args().iter().map(|a| literal(a)).collect::<Vec<_>>().into(),
        env: Rc::new(env),
        env_ordered,
        secrets: Rc::new(secrets),
        container_resources: container_resources(s).map(Rc::new),
        node_selector: Rc::new(protect_values(s.pod().node_selector())),
        labels: labels.into(),
        annotations: annotations.into(),
        service_account_name: s.pod().service_account().or(p.service_account()).map(String::from),
        image_pull_secrets: Rc::new(s.pod().image_pull_secrets().to_vec()),
        schedulername: s.pod().scheduler_name().map(String::from),
        priority_class_name,
        termination_grace_period: s.pod().termination_grace_period_seconds(),
        full_pod_spec: full_pod_spec.map(Rc::new),
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
    task_id: TaskId,
    pod_name: String,
    upstream: Vec<TaskId>,
    airflow2: bool,
    warnings: &mut Vec<Warning>,
) -> Operator {
    let mut set: Vec<(usize, String)> = alike::name_positions(s).map(|i| (i, String::new())).collect();
    // Usually one position: the name is copied only for more.
    if let Some(((_, last), others)) = set.split_last_mut() {
        *last = literal(s.name());
        for (_, v) in others {
            v.clone_from(last);
        }
    }
    let arguments = Args { base: Rc::clone(&first.arguments.base), set };
    let name = protect_jinja(s.name());
    let label = POD_SELECTOR_LABELS[2];
    let labels = Entries {
        base: Rc::clone(&first.labels.base),
        set: first.labels.base.contains_key(label).then(|| (label, name.clone())),
    };
    // `lower` always sets the step-name annotation.
    let annotations =
        Entries { base: Rc::clone(&first.annotations.base), set: Some((k8s::STEP_NAME_ANNOTATION, name)) };
    Operator {
        task_id,
        name: pod_name,
        image: Rc::clone(&first.image),
        cmds: Rc::clone(&first.cmds),
        arguments,
        env: Rc::clone(&first.env),
        env_ordered: first.env_ordered,
        secrets: Rc::clone(&first.secrets),
        container_resources: first.container_resources.clone(),
        node_selector: Rc::clone(&first.node_selector),
        labels,
        annotations,
        service_account_name: s.pod().service_account().or(p.service_account()).map(String::from),
        image_pull_secrets: Rc::clone(&first.image_pull_secrets),
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
