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
