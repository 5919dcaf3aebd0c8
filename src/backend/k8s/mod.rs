//! What the engines that run each step as a Kubernetes pod share: labels and annotations,
//! resources, the container environment and its escaping (`env`), CronJob-style schedules
//! (`cron`), and the check that engine syntax stays out of fields that cannot escape it
//! (`verbatim`).

pub mod cron;
pub mod env;
pub mod size;
pub mod verbatim;

use std::collections::BTreeMap;

use serde::Serialize;

use super::names;
use crate::ir::{Pipeline, Quantity, Resources, Step, POD_SELECTOR_LABELS};

pub use env::{env_entries, escape_dollars, escape_literal, protect_braces, Carrier, EnvEntry, EnvText, LBRACE};

/// A name that many places of a context hold: a task's, in the `dependencies` / `runAfter` of
/// the tasks after it; a shared template's, in each task running it. One allocation, shared:
/// 5,000 steps copied their upstream names 14,000 times. Written as the string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedName(std::rc::Rc<str>);

impl SharedName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for SharedName {
    fn from(s: &str) -> SharedName {
        SharedName(s.into())
    }
}

impl std::ops::Deref for SharedName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Serialize for SharedName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Annotation with the exact ZenML step name (ZenML's Kubernetes orchestrator sets it too).
pub const STEP_NAME_ANNOTATION: &str = "zenml.io/step-name";

/// Annotation with the pipeline's description.
pub const DESCRIPTION_ANNOTATION: &str = "zenml.io/description";

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

/// `ResourceRequirements` with quantity strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceRequirements {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub requests: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, String>,
}

/// The step's requests and limits as Kubernetes writes them; `None` when it sets none.
pub fn resources(r: &Resources) -> Option<ResourceRequirements> {
    if r.is_empty() {
        return None;
    }
    let strings = |m: &BTreeMap<String, Quantity>| m.iter().map(|(k, q)| (k.clone(), q.to_string())).collect();
    Some(ResourceRequirements { requests: strings(r.requests()), limits: strings(r.limits()) })
}
