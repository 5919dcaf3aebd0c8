//! The escaping corpus (`fixtures/ok/injection.yaml`): every value must reach the container
//! exactly as written, after the YAML parser, the engine's own substitution and Kubernetes'
//! `$(VAR)` expansion have all had their turn.

mod common;

use std::path::Path;

use serde_json::Value;
use zenc::backend::k8s::env::kubelet_expand;
use zenc::ir::EnvValue;
use zenc::validate::yaml_documents;
use zenc::{compile, load_ir, Engine};

fn corpus() -> (String, zenc::Options) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ok/injection.yaml");
    (std::fs::read_to_string(&path).unwrap(), common::options(&path))
}

/// What a container sees of a list of Kubernetes env entries: each value expanded against the
/// entries before it, as the kubelet does.
fn container_env(env: &[Value]) -> Vec<(String, String)> {
    let mut seen: Vec<(String, String)> = Vec::new();
    for e in env {
        let name = e["name"].as_str().unwrap().to_string();
        if let Some(v) = e["value"].as_str() {
            let refs: Vec<(&str, &str)> = seen.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let value = kubelet_expand(v, &refs);
            seen.push((name, value));
        }
    }
    seen
}

#[test]
fn argo_containers_get_the_exact_strings() {
    let (text, opts) = corpus();
    let (ir, _) = load_ir(&text, "injection.yaml", &opts.build).unwrap();
    let out = compile(&text, "injection.yaml", &[Engine::Argo], &opts).unwrap();
    let docs = yaml_documents(&out.files[0].1.content).unwrap();
    let templates: Vec<&Value> =
        docs[0]["spec"]["templates"].as_array().unwrap().iter().filter(|t| t.get("container").is_some()).collect();
    assert_eq!(templates.len(), ir.steps().len());
    for (step, t) in ir.steps().iter().zip(templates) {
        // Argo would substitute any `{{…}}` left in the template; only the run id may remain.
        let raw = serde_json::to_string(t).unwrap().replace("{{workflow.uid}}", "");
        assert!(!raw.contains("{{"), "step {:?}: Argo would template {raw}", step.name());
        let c = &t["container"];
        let env = container_env(c["env"].as_array().unwrap());
        let lookup: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        for var in step.env() {
            if let EnvValue::Literal(want) = var.value() {
                let got = env.iter().find(|(k, _)| *k == var.name()).map(|(_, v)| v.as_str());
                assert_eq!(got, Some(want.as_str()), "step {:?} env {}", step.name(), var.name());
            }
        }
        let args: Vec<String> =
            c["args"].as_array().unwrap().iter().map(|a| kubelet_expand(a.as_str().unwrap(), &lookup)).collect();
        assert_eq!(args, step.args(), "step {:?}", step.name());
        assert_eq!(args.last().unwrap(), &step.name(), "--step_name is the exact step name");
    }
}

#[test]
fn doubled_dollars_survive_kubernetes() {
    let env = [("HOME", "/root"), ("X", "x")];
    for s in ["$(HOME)", "$$", "$", "a$b", "$(X)$(X)", "$$(X)", "end$", "$(unclosed", "€$(X)"] {
        assert_eq!(kubelet_expand(&zenc::backend::k8s::escape_dollars(s), &env), s, "{s}");
    }
    assert_eq!(kubelet_expand("$(X)", &env), "x");
}
