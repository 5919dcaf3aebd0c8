//! Test-only verification (feature `verify`, never in the binary): each engine's output read
//! back into the same [`TaskView`]s — what every step's container gets once the engine and
//! Kubernetes have done their substitutions — and one comparison of those views with the IR.
//! The replays of those substitutions live in `substitute`; an engine's reader is
//! `verify/<engine>.rs`, listed in [`read_back`].

mod airflow;
mod argo;
mod kubeflow;
pub mod substitute;
mod tekton;
mod vertex;

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::backend::{k8s, Artifact, Engine};
use crate::error::{Error, ErrorKind, Result};
use crate::ir::{EnvValue, Pipeline, Quantity, Step};

/// What the readers put where the engine's run id goes: every engine resolves its own
/// expression (`{{workflow.uid}}`, `$(context.pipelineRun.uid)`, …) to one value per run.
pub const RUN_ID: &str = "<engine run id>";

/// One task of an engine's output, as its container will see it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskView {
    /// The engine's name of the task.
    pub name: String,
    /// The ZenML step name the output records for it (annotation, `taskInfo.name`), if any.
    pub step: Option<String>,
    /// Engine names of the tasks it waits for.
    pub upstream: Vec<String>,
    /// Tasks it also waits for as part of a group (Argo's nested DAGs): a superset of the
    /// steps it depends on there.
    pub group_waits: Vec<String>,
    pub image: String,
    /// Command and arguments after the engine's substitution and Kubernetes' expansion.
    pub argv: Vec<String>,
    /// The container environment after substitution and expansion, in order.
    pub env: Vec<(String, EnvView)>,
    /// Pod labels; `None` when the engine has no per-step pod labels.
    pub labels: Option<BTreeMap<String, String>>,
    /// Requests and limits by Kubernetes resource name, as the pod will get them.
    pub resources: Resources,
}

/// Requests and limits by resource name (quantity strings).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resources {
    pub requests: BTreeMap<String, String>,
    pub limits: BTreeMap<String, String>,
}

/// Where an env var's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum EnvView {
    Value(String),
    /// A key of a Kubernetes Secret.
    Secret {
        name: String,
        key: String,
    },
    /// Another Kubernetes `valueFrom`, verbatim.
    From(Value),
}

/// Read `engine`'s output back; `None` when this machine cannot (Airflow's reader needs
/// `python3`).
pub fn read_back(engine: Engine, artifacts: &[Artifact]) -> Result<Option<Vec<TaskView>>> {
    match engine {
        Engine::Argo => argo::read_back(artifacts).map(Some),
        Engine::Tekton => tekton::read_back(artifacts).map(Some),
        Engine::Airflow => airflow::read_back(artifacts),
        Engine::Kubeflow => kubeflow::read_back(artifacts).map(Some),
        Engine::Vertex => vertex::read_back(artifacts).map(Some),
    }
}

/// Read `engine`'s output for `pipeline` back and compare it with the IR.
pub fn check(engine: Engine, pipeline: &Pipeline, artifacts: &[Artifact]) -> Result<()> {
    match read_back(engine, artifacts)? {
        Some(views) => compare(pipeline, &views),
        None => Ok(()),
    }
}

/// The one comparison: one task per step with the step's upstream edges, image, command line,
/// run id and literal environment exactly; Secret references never turned into values; the
/// pod labels zenc promises; no resource the IR does not have, neither CPU nor memory lost.
pub fn compare(p: &Pipeline, views: &[TaskView]) -> Result<()> {
    let views = in_step_order(p, views)?;
    check_graph(p, &views)?;
    for (step, view) in p.steps().iter().zip(&views) {
        let at = |what: String| bug(format!("step `{}`: {what}", step.name()));
        if view.image != step.image() {
            return Err(at(format!("image `{}`, not `{}`", view.image, step.image())));
        }
        let argv: Vec<&str> = step.command().iter().chain(step.args()).map(String::as_str).collect();
        if view.argv != argv {
            return Err(at(format!("the container runs {:?}, not {argv:?}", view.argv)));
        }
        compare_env(step, view).map_err(at)?;
        if let Some(labels) = &view.labels {
            for (key, want) in k8s::pod_labels(p, step) {
                if labels.get(&key) != Some(&want) {
                    return Err(at(format!("pod label `{key}` is {:?}, not `{want}`", labels.get(&key))));
                }
            }
        }
        compare_resources(step, &view.resources).map_err(at)?;
    }
    Ok(())
}

/// The views matched to the IR's steps: by recorded step name when every view has one, else
/// by position (those engines keep the step order).
fn in_step_order<'a>(p: &Pipeline, views: &'a [TaskView]) -> Result<Vec<&'a TaskView>> {
    if views.len() != p.steps().len() {
        return Err(bug(format!("{} tasks for {} steps", views.len(), p.steps().len())));
    }
    if views.iter().any(|v| v.step.is_none()) {
        return Ok(views.iter().collect());
    }
    p.steps()
        .iter()
        .map(|s| {
            views
                .iter()
                .find(|v| v.step.as_deref() == Some(s.name()))
                .ok_or_else(|| bug(format!("no task for step `{}`", s.name())))
        })
        .collect()
}

/// The edges read back are exactly `spec.upstream_steps`; an upstream step in a group the task
/// waits for as a whole (Argo's nested DAGs) counts as an edge.
fn check_graph(p: &Pipeline, views: &[&TaskView]) -> Result<()> {
    let step_of: HashMap<&str, &str> = views.iter().zip(p.steps()).map(|(v, s)| (v.name.as_str(), s.name())).collect();
    let steps = |view: &TaskView, names: &[String]| {
        names
            .iter()
            .map(|d| {
                step_of
                    .get(d.as_str())
                    .copied()
                    .ok_or_else(|| bug(format!("task `{}` waits for unknown `{d}`", view.name)))
            })
            .collect::<Result<std::collections::HashSet<&str>>>()
    };
    for (step, view) in p.steps().iter().zip(views) {
        let got = steps(view, &view.upstream)?;
        let group = steps(view, &view.group_waits)?;
        let want: std::collections::HashSet<&str> = step.upstream().iter().map(String::as_str).collect();
        if !got.is_subset(&want) || want.iter().any(|w| !got.contains(w) && !group.contains(w)) {
            let mut got: Vec<&str> = got.into_iter().collect();
            let mut want: Vec<&str> = want.into_iter().collect();
            got.sort_unstable();
            want.sort_unstable();
            return Err(bug(format!("step `{}` waits for {got:?}, the input says {want:?}", step.name())));
        }
    }
    Ok(())
}

/// Literals and the run id arrive exactly; a Secret stays a reference (or is left out, with
/// the engine's warning); pod-settings values are present where the engine carries them.
fn compare_env(step: &Step, view: &TaskView) -> std::result::Result<(), String> {
    let got = |name: &str| view.env.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v);
    for var in step.env() {
        let found = got(var.name());
        let ok = match (var.value(), found) {
            (EnvValue::Literal(want), Some(EnvView::Value(v))) => v == want,
            (EnvValue::RunId, Some(EnvView::Value(v))) => v == RUN_ID,
            (EnvValue::Secret { name, key }, Some(EnvView::Secret { name: n, key: k })) => name == n && key == k,
            (EnvValue::Secret { .. }, None) | (EnvValue::Kubernetes(_) | EnvValue::ValueFrom(_), _) => true,
            // A literal or the run id missing or not a value; a Secret turned into something else.
            _ => false,
        };
        if !ok {
            return Err(format!("env `{}` is {found:?}, the input says {:?}", var.name(), var.value()));
        }
    }
    Ok(())
}

/// Every value read back is one the IR has for that resource; CPU, memory and the GPUs the
/// step asks for are all there.
fn compare_resources(step: &Step, got: &Resources) -> std::result::Result<(), String> {
    let r = step.resources();
    let has = |name: &str, value: &str| {
        let value = Quantity::parse(value);
        [r.requests().get(name), r.limits().get(name)]
            .into_iter()
            .flatten()
            .any(|q| value.as_ref().is_some_and(|v| v.value_cmp(q).is_eq()))
    };
    for (name, value) in got.requests.iter().chain(&got.limits) {
        if !has(name, value) {
            return Err(format!("resource `{name}` is `{value}`, which the input does not ask for"));
        }
    }
    let kept = |name: &String| got.requests.contains_key(name) || got.limits.contains_key(name);
    // GPUs may be left out: without a GPU type Vertex AI cannot ask for them (with a warning).
    let core = |name: &String| matches!(name.as_str(), "cpu" | "memory");
    if let Some(lost) = r.requests().keys().chain(r.limits().keys()).find(|n| core(n) && !kept(n)) {
        return Err(format!("resource `{lost}` is lost"));
    }
    Ok(())
}

/// Parse a (multi-document) YAML text into JSON values, as Kubernetes would read it.
pub fn yaml_documents(text: &str) -> Result<Vec<Value>> {
    let mut docs = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        let value: Value =
            serde::Deserialize::deserialize(doc).map_err(|e| bug(format!("output is not valid YAML: {e}")))?;
        if !value.is_null() {
            docs.push(value);
        }
    }
    Ok(docs)
}

/// An output that does not match the pipeline: a bug of ours.
pub fn bug(message: String) -> Error {
    Error::new(ErrorKind::Internal { message })
}

/// Strings of a JSON array (missing or not an array: empty).
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect()).unwrap_or_default()
}

/// The main file of an engine's output.
fn main_file(artifacts: &[Artifact]) -> Result<&str> {
    artifacts.first().map(|a| a.content.as_str()).ok_or_else(|| bug("no output".into()))
}

/// A Kubernetes `resources` object as requests and limits.
fn k8s_resources(v: &Value) -> Resources {
    let side = |m: &Value| {
        m.as_object()
            .into_iter()
            .flatten()
            .map(|(k, q)| (k.clone(), q.as_str().map_or_else(|| q.to_string(), str::to_string)))
            .collect()
    };
    Resources { requests: side(&v["requests"]), limits: side(&v["limits"]) }
}

/// String values of a JSON object.
fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object().into_iter().flatten().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect()
}

/// Kubernetes `EnvVar`s as the container sees them: each value expanded against the entries
/// before it (after `replace` applied the engine's own substitution to it).
fn container_env(env: &[Value], replace: impl Fn(&str) -> String) -> Vec<(String, EnvView)> {
    let mut out: Vec<(String, EnvView)> = Vec::new();
    for e in env {
        let name = e["name"].as_str().unwrap_or_default().to_string();
        let view = match (e["value"].as_str(), e.get("valueFrom")) {
            (Some(v), _) => {
                let visible = values(&out);
                EnvView::Value(substitute::kubelet_expand(&replace(v), &visible))
            }
            (None, Some(from)) => env_from(from),
            (None, None) => EnvView::Value(String::new()),
        };
        out.push((name, view));
    }
    out
}

/// A Kubernetes `valueFrom`.
fn env_from(from: &Value) -> EnvView {
    match (
        from.pointer("/secretKeyRef/name").and_then(Value::as_str),
        from.pointer("/secretKeyRef/key").and_then(Value::as_str),
    ) {
        (Some(name), Some(key)) if from.as_object().is_some_and(|o| o.len() == 1) => {
            EnvView::Secret { name: name.to_string(), key: key.to_string() }
        }
        _ => EnvView::From(from.clone()),
    }
}

/// The plain values of an environment, for `$(VAR)` expansion.
fn values(env: &[(String, EnvView)]) -> Vec<(&str, &str)> {
    env.iter()
        .filter_map(|(k, v)| match v {
            EnvView::Value(v) => Some((k.as_str(), v.as_str())),
            _ => None,
        })
        .collect()
}

/// Command and arguments expanded against the whole environment.
fn argv(command: &Value, args: &Value, env: &[(String, EnvView)], replace: impl Fn(&str) -> String) -> Vec<String> {
    let visible = values(env);
    strings(command).iter().chain(&strings(args)).map(|a| substitute::kubelet_expand(&replace(a), &visible)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(name: &str, upstream: &[&str]) -> TaskView {
        TaskView {
            name: name.into(),
            step: None,
            upstream: upstream.iter().map(std::string::ToString::to_string).collect(),
            group_waits: Vec::new(),
            image: "i".into(),
            argv: Vec::new(),
            env: Vec::new(),
            labels: None,
            resources: Resources::default(),
        }
    }

    #[test]
    fn graph_check_catches_a_lost_or_extra_edge() {
        let text = "name: p\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubeflow\nimage: i\n\
                    steps: [{name: a}, {name: b, upstream: [a]}, {name: c, upstream: [a, b]}]\n";
        let (p, _) = crate::load_ir(text, "p.yaml", &crate::BuildOptions::default()).unwrap();
        let graph = |edges: [&[&str]; 3]| {
            let views: Vec<TaskView> = ["ta", "tb", "tc"].iter().zip(edges).map(|(n, e)| view(n, e)).collect();
            check_graph(&p, &views.iter().collect::<Vec<_>>())
        };
        assert!(graph([&[], &["ta"], &["tb", "ta"]]).is_ok());
        assert!(graph([&[], &["ta"], &["tb"]]).is_err(), "lost edge");
        assert!(graph([&["tc"], &["ta"], &["ta", "tb"]]).is_err(), "extra edge");
        assert!(graph([&[], &["zz"], &["ta", "tb"]]).is_err(), "unknown task");
    }

    #[test]
    fn the_comparison_sees_a_changed_argument_or_env_value() {
        let text = "name: p\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\nimage: i\n\
                    environment: {A: \"$(x)\"}\nsteps: [{name: a}]\n";
        let (p, _) = crate::load_ir(text, "p.yaml", &crate::BuildOptions::default()).unwrap();
        let out = crate::compile(text, "p.yaml", &[Engine::Argo], &crate::Options::default()).unwrap();
        let artifacts: Vec<Artifact> = out.files.into_iter().map(|(_, a)| a).collect();
        let good = read_back(Engine::Argo, &artifacts).unwrap().unwrap();
        assert!(compare(&p, &good).is_ok());
        let mut bad = good.clone();
        bad[0].argv.push("--extra".into());
        assert!(compare(&p, &bad).is_err(), "argv");
        let mut bad = good.clone();
        bad[0].env.push(("A".into(), EnvView::Value("x".into())));
        assert!(compare(&p, &bad).is_err(), "env");
        let mut bad = good;
        bad[0].resources.limits.insert("cpu".into(), "1".into());
        assert!(compare(&p, &bad).is_err(), "resources");
    }

    /// Each engine's reader sees what its output says: a changed image, environment value or
    /// edge in the text is a failure.
    #[test]
    fn every_reader_notices_a_changed_output() {
        let text = "name: p\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\n\
                    image: reg.example/img:1\nenvironment: {GREETING: hello-there}\n\
                    steps: [{name: first}, {name: second, upstream: [first]}]\n";
        let (p, _) = crate::load_ir(text, "p.yaml", &crate::BuildOptions::default()).unwrap();
        for &engine in Engine::ALL {
            let out = crate::compile(text, "p.yaml", &[engine], &crate::Options::default()).unwrap();
            let artifacts: Vec<Artifact> = out.files.into_iter().map(|(_, a)| a).collect();
            if read_back(engine, &artifacts).unwrap().is_none() {
                continue;
            }
            check(engine, &p, &artifacts).unwrap_or_else(|e| panic!("{}: {e}", engine.name()));
            for (from, to) in [("img:1", "img:2"), ("hello-there", "hello-where")] {
                let mut changed = artifacts.clone();
                changed[0].content = changed[0].content.replace(from, to);
                assert!(check(engine, &p, &changed).is_err(), "{}: `{from}` → `{to}` not noticed", engine.name());
            }
        }
    }
}
