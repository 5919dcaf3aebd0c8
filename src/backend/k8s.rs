//! Kubernetes container pieces shared by the engines that run steps as pods.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::names;
use crate::ir::{EnvValue, Pipeline, Resources, Step, POD_SELECTOR_LABELS};

/// Makes a literal survive Kubernetes' `$(VAR)` expansion of env values, command and args:
/// Kubernetes turns `$$` into `$` and leaves every other `$` alone, so doubling each `$` gives
/// back exactly the input (kubernetes `third_party/forked/golang/expansion/expand.go`).
pub fn escape_dollars(s: &str) -> String {
    s.replace('$', "$$")
}

/// Annotation with the exact ZenML step name (ZenML's Kubernetes orchestrator sets it too).
pub const STEP_NAME_ANNOTATION: &str = "zenml.io/step-name";

/// Labels on every object zenc emits.
pub fn managed_labels() -> BTreeMap<String, String> {
    BTreeMap::from([("app.kubernetes.io/managed-by".to_string(), "zenc".to_string())])
}

/// Labels of a step's pod: pipeline, snapshot and step (`ir::POD_SELECTOR_LABELS`, values from
/// the one shared sanitiser), then the pod settings' own labels, which win.
pub fn pod_labels(p: &Pipeline, s: &Step) -> BTreeMap<String, String> {
    let [pipeline, snapshot, step] = POD_SELECTOR_LABELS;
    let mut labels = BTreeMap::from([
        (pipeline.to_string(), names::label_value(p.name())),
        (snapshot.to_string(), names::label_value(p.snapshot_id())),
        (step.to_string(), names::label_value(s.name())),
    ]);
    labels.extend(s.pod().labels().iter().map(|(k, v)| (k.clone(), v.clone())));
    labels
}

/// Annotation with the pipeline's description.
pub const DESCRIPTION_ANNOTATION: &str = "zenml.io/description";

/// The exact ZenML names, for people and tools looking at the cluster, and the pipeline's
/// description and tags (`zenml.io/tags`: a JSON list, since a tag may hold any character).
pub fn pipeline_annotations(p: &Pipeline) -> BTreeMap<String, String> {
    let mut a = BTreeMap::from([
        ("zenml.io/snapshot-id".to_string(), p.snapshot_id().to_string()),
        ("zenml.io/pipeline-name".to_string(), p.name().to_string()),
    ]);
    if let Some(d) = p.description() {
        a.insert(DESCRIPTION_ANNOTATION.into(), d.to_string());
    }
    if !p.tags().is_empty() {
        a.insert("zenml.io/tags".into(), serde_json::to_string(p.tags()).expect("strings serialize"));
    }
    a
}

/// Holds a single `{`: a literal `{{` is written `$(ZENC_LBRACE){` so Argo (directly, or
/// under Kubeflow Pipelines) never sees `{{`, and Kubernetes' own `$(VAR)` expansion puts the
/// brace back in the container.
pub const LBRACE_VAR: &str = "ZENC_LBRACE";
/// Argo's per-run id: the same in every step of a Workflow, new for every Workflow (also
/// for each CronWorkflow firing), unchanged by retries.
/// Rewrites every `{` that starts a `{{` as `$(ZENC_LBRACE)`, so the text has no `{{` left.
pub fn protect_braces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '{' && chars.peek() == Some(&'{') {
            // An odd run of `$` before it would swallow our `$(` as `$$(`: Kubernetes reads
            // `$` + `{` as a plain `$`, so write that `$` as `$$`.
            if out.chars().rev().take_while(|&d| d == '$').count() % 2 == 1 {
                out.push('$');
            }
            out.push_str("$(");
            out.push_str(LBRACE_VAR);
            out.push(')');
        } else {
            out.push(c);
        }
    }
    out
}

/// One `EnvVar` of a container.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvEntry {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(rename = "valueFrom", skip_serializing_if = "Option::is_none")]
    pub value_from: Option<Value>,
}

/// How an engine writes each kind of env value.
pub trait EnvText {
    /// A literal that must reach the container unchanged.
    fn literal(&self, s: &str) -> String;
    /// A Kubernetes-native literal from pod settings (`$(VAR)` intended).
    fn native(&self, s: &str) -> String;
    /// The engine's run-id expression.
    fn run_id(&self) -> String;
}

/// The step's environment as Kubernetes `EnvVar`s.
pub fn env_entries(step: &Step, text: &dyn EnvText) -> Vec<EnvEntry> {
    step.env()
        .iter()
        .map(|e| {
            let (value, value_from) = match e.value() {
                EnvValue::Literal(s) => (Some(text.literal(s)), None),
                EnvValue::Kubernetes(s) => (Some(text.native(s)), None),
                EnvValue::RunId => (Some(text.run_id()), None),
                EnvValue::Secret { name, key } => {
                    (None, Some(serde_json::json!({"secretKeyRef": {"name": name, "key": key}})))
                }
                EnvValue::ValueFrom(v) => (None, Some(v.clone())),
            };
            EnvEntry { name: e.name().to_string(), value, value_from }
        })
        .collect()
}

/// `ResourceRequirements` with quantity strings; `None` when empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceRequirements {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub requests: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, String>,
}

pub fn resources(r: &Resources) -> Option<ResourceRequirements> {
    if r.is_empty() {
        return None;
    }
    let strings =
        |m: &BTreeMap<String, crate::ir::Quantity>| m.iter().map(|(k, q)| (k.clone(), q.to_string())).collect();
    Some(ResourceRequirements { requests: strings(r.requests()), limits: strings(r.limits()) })
}

/// Every string inside a JSON value, with its position (`[0].value`), for engine checks.
pub fn strings_in<'a>(value: &'a Value, at: String, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::String(s) => out.push((at, s)),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                strings_in(v, format!("{at}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                out.push((format!("{at}.{k} (key)"), k));
                strings_in(v, format!("{at}.{k}"), out);
            }
        }
        _ => {}
    }
}

/// Kubernetes' `$(VAR)` expansion of env values, command and args, re-implemented from
/// expand.go so that output checks and tests can replay what the kubelet does: `$$` → `$`,
/// `$(NAME)` → the value when `NAME` is in `env`, anything else unchanged.
pub fn kubelet_expand(input: &str, env: &[(&str, &str)]) -> String {
    let b = input.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && i + 1 < b.len() {
            match b[i + 1] {
                b'$' => {
                    out.push('$');
                    i += 2;
                    continue;
                }
                b'(' => {
                    if let Some(end) = input[i + 2..].find(')') {
                        let name = &input[i + 2..i + 2 + end];
                        if let Some((_, v)) = env.iter().find(|(k, _)| *k == name) {
                            out.push_str(v);
                            i += 3 + end;
                            continue;
                        }
                    }
                }
                _ => {}
            }
        }
        let c = input[i..].chars().next().expect("in bounds");
        out.push(c);
        i += c.len_utf8();
    }
    out
}
