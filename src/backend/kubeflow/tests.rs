//! KFP's cron, names and resource fields.

use serde_json::json;

use super::executor::resources;
use super::recurring_run::six_field_cron;
use crate::backend::kfp::{PIPELINE_RULE, TASK_RULE};
use crate::backend::names;
use crate::ir::Cron;

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
    let (p, _) = crate::load_ir(text, "p.yaml", &crate::BuildOptions::default()).unwrap();
    let json = serde_json::to_value(resources(&p.steps()[0])).unwrap();
    assert_eq!(
        json,
        json!({"resourceCpuLimit": "500m", "resourceMemoryLimit": "2Gi", "resourceMemoryRequest": "1Gi",
               "accelerator": {"resourceType": "nvidia.com/gpu", "resourceCount": "2"}})
    );
}

/// The IR documents of `text` for `engine`, parsed.
fn ir(text: &str, engine: crate::Engine) -> Vec<serde_json::Value> {
    let opts = crate::Options::default();
    let out = crate::compile(text, "p.yaml", &[engine], &opts).unwrap();
    let pipeline = crate::load_ir(text, "p.yaml", &opts.build).unwrap().0;
    crate::verify::check(engine, &pipeline, &[out.files[0].1.clone()]).unwrap();
    crate::verify::yaml_documents(&out.files[0].1.content).unwrap()
}

/// Steps that differ only in name share one component and executor, which takes the name as
/// the `step_name` input; a step that differs otherwise, and a name that is no label value,
/// keep their own executor with the name as a literal argument and their per-step pod
/// metadata. Read back, every container runs its own step (Kubeflow and Vertex AI).
#[test]
fn steps_that_differ_only_in_name_share_one_executor() {
    let text = concat!(
        "name: shared\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\n",
        "image: registry.example.com/app:1.0\nsteps:\n",
        "  - name: a\n",
        "  - {name: b, upstream: [a]}\n",
        "  - {name: c, upstream: [a]}\n",
        "  - {name: gpu, upstream: [b], image: registry.example.com/gpu:1.0}\n",
        "  - {name: odd name, upstream: [c]}\n",
    );
    for engine in [crate::Engine::Kubeflow, crate::Engine::Vertex] {
        let docs = ir(text, engine);
        let spec = &docs[0];
        let executors = spec["deploymentSpec"]["executors"].as_object().unwrap();
        let mut labels: Vec<&str> = executors.keys().map(String::as_str).collect();
        labels.sort_unstable();
        assert_eq!(labels, ["exec-gpu", "exec-odd-name", "exec-zenml-step"], "{engine:?}");
        let args = &executors["exec-zenml-step"]["container"]["args"];
        assert!(args.as_array().unwrap().contains(&json!("{{$.inputs.parameters['step_name']}}")));
        assert!(executors["exec-gpu"]["container"]["args"].as_array().unwrap().contains(&json!("gpu")));
        let tasks = &spec["root"]["dag"]["tasks"];
        for (task, step) in [("a", "a"), ("b", "b"), ("c", "c")] {
            assert_eq!(tasks[task]["componentRef"]["name"], "comp-zenml-step");
            assert_eq!(tasks[task]["inputs"]["parameters"]["step_name"]["runtimeValue"]["constant"], step);
        }
        assert!(tasks["gpu"]["inputs"]["parameters"].get("step_name").is_none());
        if engine == crate::Engine::Kubeflow {
            let platform = &docs[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"];
            let shared = &platform["exec-zenml-step"]["podMetadata"];
            assert_eq!(shared["labels"]["zenml.io/pipeline"], "shared");
            assert!(shared["labels"].get("zenml.io/step").is_none(), "one entry serves three steps");
            assert_eq!(platform["exec-gpu"]["podMetadata"]["labels"]["zenml.io/step"], "gpu");
            assert_eq!(platform["exec-odd-name"]["podMetadata"]["annotations"]["zenml.io/step-name"], "odd name");
        }
    }
}
