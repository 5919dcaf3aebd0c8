//! Reading our own output back: every YAML document parses, and the fields a step needs
//! (image, command, arguments, run id) are where the engine looks for them. The per-engine
//! field checks live next to each backend (`backend::<engine>::check`).

use serde_json::Value;

use crate::backend::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::ir::Pipeline;

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

/// Check `artifacts`, the output of `engine` for `pipeline`.
pub fn check(engine: Engine, pipeline: &Pipeline, artifacts: &[crate::Artifact]) -> Result<()> {
    use crate::backend::{airflow, argo, kubeflow, tekton};
    match engine {
        Engine::Argo => argo::check::check(pipeline, artifacts),
        Engine::Tekton => tekton::check::check(pipeline, artifacts),
        Engine::Airflow => airflow::check::check(pipeline, artifacts),
        Engine::Kubeflow => kubeflow::check::check(pipeline, artifacts),
    }
}

/// The labels read back from a step's pod metadata carry `k8s::pod_labels`.
pub fn check_pod_labels(pipeline: &Pipeline, step: &crate::ir::Step, read: &Value) -> Result<()> {
    for (key, want) in crate::backend::k8s::pod_labels(pipeline, step) {
        if read[key.as_str()].as_str() != Some(want.as_str()) {
            return Err(bug(format!(
                "step `{}`: pod label `{key}` is {}, not `{want}`",
                step.name(),
                read[key.as_str()]
            )));
        }
    }
    Ok(())
}

/// The step graph read back from an output: per step, in IR order, its engine name and the
/// engine names it waits for. Checks that the edges are exactly `spec.upstream_steps`.
pub fn check_graph(pipeline: &Pipeline, read: &[(String, Vec<String>)]) -> Result<()> {
    if read.len() != pipeline.steps().len() {
        return Err(bug(format!("{} tasks for {} steps", read.len(), pipeline.steps().len())));
    }
    let step_of: std::collections::HashMap<&str, &str> =
        read.iter().zip(pipeline.steps()).map(|((name, _), s)| (name.as_str(), s.name())).collect();
    for (step, (name, deps)) in pipeline.steps().iter().zip(read) {
        let mut got = deps
            .iter()
            .map(|d| {
                step_of.get(d.as_str()).copied().ok_or_else(|| bug(format!("task `{name}` waits for unknown `{d}`")))
            })
            .collect::<Result<Vec<&str>>>()?;
        let mut want: Vec<&str> = step.upstream().iter().map(String::as_str).collect();
        got.sort_unstable();
        got.dedup();
        want.sort_unstable();
        want.dedup();
        if got != want {
            return Err(bug(format!("step `{}` waits for {got:?}, the input says {want:?}", step.name())));
        }
    }
    Ok(())
}

/// Strings of a JSON array (missing or not an array: empty).
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_check_catches_a_lost_or_extra_edge() {
        let text = "name: p\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubeflow\nimage: i\n\
                    steps: [{name: a}, {name: b, upstream: [a]}, {name: c, upstream: [a, b]}]\n";
        let (p, _) = crate::load_ir(text, "p.yaml", &Default::default()).unwrap();
        let read = |edges: [&[&str]; 3]| -> Vec<(String, Vec<String>)> {
            ["ta", "tb", "tc"]
                .iter()
                .zip(edges)
                .map(|(n, e)| (n.to_string(), e.iter().map(|s| s.to_string()).collect()))
                .collect()
        };
        assert!(check_graph(&p, &read([&[], &["ta"], &["tb", "ta"]])).is_ok());
        assert!(check_graph(&p, &read([&[], &["ta"], &["tb"]])).is_err(), "lost edge");
        assert!(check_graph(&p, &read([&["tc"], &["ta"], &["ta", "tb"]])).is_err(), "extra edge");
        assert!(check_graph(&p, &read([&[], &["zz"], &["ta", "tb"]])).is_err(), "unknown task");
    }
}
