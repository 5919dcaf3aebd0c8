//! KFP's cron, names and resource fields, and the escaping corpus through Kubernetes' expansion.

use std::collections::BTreeMap;

use serde_json::json;

use super::executor::resources;
use super::recurring_run::six_field_cron;
use crate::backend::kfp::{PIPELINE_RULE, TASK_RULE};
use crate::backend::names;
use crate::ir::{Cron, EnvValue};

#[test]
fn cron_gets_seconds_and_sunday_zero() {
    let six = |c: &str| six_field_cron(&Cron::parse(c).unwrap());
    assert_eq!(six("30 2 * * 1-5"), "0 30 2 * * 1-5");
    assert_eq!(six("0 0 * * 7"), "0 0 0 * * 0");
    assert_eq!(six("0 0 * * 5-7"), "0 0 0 * * 5-6,0");
    assert_eq!(six("@daily"), "0 0 0 * * *");
}

#[test]
fn task_names_are_kfp_safe_and_unique() {
    let names = ["preprocess_data", "Preprocess_Data", "preprocess-data", "1st step", "x".repeat(80).leak()];
    let out = names::assign(&names, &TASK_RULE, &[], "Kubeflow").unwrap();
    assert_eq!(out[2], "preprocess-data");
    assert_ne!(out[0], out[1]);
    assert_eq!(out[3], "1st-step");
    for n in &out {
        assert!(
            n.len() <= 63 && n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{n}"
        );
    }
    let pipeline = names::sanitize("Train_And_Evaluate!", &PIPELINE_RULE);
    assert_eq!(pipeline, "train-and-evaluate");
}

#[test]
fn quantities_are_kubernetes_strings() {
    let text = "name: p\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubeflow\nimage: i\n\
                steps: [{name: a, pod: {resources: {limits: {cpu: 500m, memory: 2Gi, nvidia.com/gpu: 2}, \
                requests: {memory: 1Gi}}}}]\n";
    let (p, _) = crate::load_ir(text, "p.yaml", &Default::default()).unwrap();
    let json = serde_json::to_value(resources(&p.steps()[0])).unwrap();
    assert_eq!(
        json,
        json!({"resourceCpuLimit": "500m", "resourceMemoryLimit": "2Gi", "resourceMemoryRequest": "1Gi",
               "accelerator": {"resourceType": "nvidia.com/gpu", "resourceCount": "2"}})
    );
}

/// Kubernetes' `$(VAR)` expansion for text whose every `$` is doubled: `$$` → `$`.
fn kubelet(s: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(end) = after.strip_prefix('(').and_then(|a| a.find(')')) {
            let name = &after[1..=end];
            match env.get(name) {
                Some(v) => out.push_str(v),
                None => out.push_str(&rest[i..i + end + 3]),
            }
            rest = &after[end + 2..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// KFP's launcher replaces its own placeholders in command/args (none may be present).
fn kfp_placeholders(s: &str) -> String {
    assert!(!s.contains("{{$"), "a KFP placeholder survived: {s}");
    s.to_string()
}

#[test]
fn injection_corpus_reaches_the_container_unchanged() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/ok/injection.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let opts = crate::Options::default();
    let (ir, _) = crate::load_ir(&text, "injection.yaml", &opts.build).unwrap();
    let out = crate::compile(&text, "injection.yaml", &[crate::Engine::Kubeflow], &opts).unwrap();
    let docs = crate::validate::yaml_documents(&out.files[0].1.content).unwrap();
    let tasks = docs[0]["root"]["dag"]["tasks"].as_object().unwrap();
    for step in ir.steps() {
        let task = tasks.values().find(|t| t["taskInfo"]["name"] == json!(step.name())).unwrap();
        let comp = task["componentRef"]["name"].as_str().unwrap();
        let label = docs[0]["components"][comp]["executorLabel"].as_str().unwrap();
        let c = &docs[0]["deploymentSpec"]["executors"][label]["container"];
        // KFP copies env verbatim; the kubelet expands env values in order.
        let mut env = BTreeMap::new();
        for e in c["env"].as_array().unwrap() {
            let value = kubelet(e["value"].as_str().unwrap(), &env);
            env.insert(e["name"].as_str().unwrap().to_string(), value);
        }
        for e in step.env() {
            if let EnvValue::Literal(v) = e.value() {
                assert_eq!(env.get(e.name()), Some(v), "env {} of `{}`", e.name(), step.name());
            }
        }
        let args: Vec<String> = c["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| kubelet(&kfp_placeholders(a.as_str().unwrap()), &env))
            .collect();
        assert_eq!(args, step.args(), "args of `{}`", step.name());
        let i = args.iter().position(|a| a == "--step_name").unwrap();
        assert_eq!(args[i + 1], step.name());
    }
}
