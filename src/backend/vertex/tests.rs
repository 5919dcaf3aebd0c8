//! The run-id wrapper in a real shell, and the Vertex AI output's shape.

use serde_json::Value;

use super::*;
use crate::verify::yaml_documents;

/// Runs the wrapper with `/bin/sh` the way a container does (`sh -c SCRIPT RUN_ID PROGRAM
/// ARGS…`), PROGRAM being a script that prints its arguments and the variable; returns them.
fn run_wrapper(var: &str, run_id: &str, args: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("python");
    std::fs::write(&program, format!("#!/bin/sh\nprintf '%s\\0' \"${var}\" \"$0\" \"$@\"\n")).unwrap();
    std::fs::set_permissions(&program, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = std::process::Command::new(SHELL[0])
        .args([SHELL[1], &wrapper_script(var), run_id, program.to_str().unwrap()])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    text.split_terminator('\0').map(String::from).collect()
}

/// Nothing in the run id or the command line is read as shell code.
#[test]
fn the_wrapper_passes_hostile_values_unchanged() {
    let run_id = "run-1 $(id) `x` \"q\" 'a' ; rm -rf / \n$HOME";
    let args = ["-m", "zenml.entrypoints.entrypoint", "--step_name", "a b;$(x) `y` \"z\" $HOME *", ""];
    let got = run_wrapper("ZENML_VERTEX_RUN_ID", run_id, &args);
    assert_eq!(got[0], run_id, "the variable");
    assert!(got[1].ends_with("/python"), "the program itself: {}", got[1]);
    assert_eq!(got[2..], args.map(String::from), "the arguments");
}

fn vertex(text: &str) -> (Vec<Value>, Option<Value>, Vec<crate::Warning>) {
    let out = crate::compile(text, "p.yaml", &[crate::Engine::Vertex], &crate::Options::default()).unwrap();
    let docs = yaml_documents(&out.files[0].1.content).unwrap();
    let schedule = out.files.get(1).map(|(_, a)| serde_json::from_str(&a.content).unwrap());
    (docs, schedule, out.warnings)
}

const PIPELINE: &str = "name: nightly\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: vertex\n\
                        image: registry.example.com/app:1.0\n";

#[test]
fn gpus_take_their_type_from_the_gke_accelerator_selector() {
    let text = format!(
        "{PIPELINE}steps: [{{name: train, resources: {{cpu_count: 4, memory: 16GB, gpu_count: 2}}, \
         pod: {{node_selectors: {{cloud.google.com/gke-accelerator: nvidia-tesla-t4}}}}}}]\n"
    );
    let (docs, _, _) = vertex(&text);
    let r = &docs[0]["deploymentSpec"]["executors"]["exec-train"]["container"]["resources"];
    assert_eq!(r["accelerator"]["type"], "NVIDIA_TESLA_T4");
    assert_eq!(r["accelerator"]["resourceType"], "NVIDIA_TESLA_T4");
    assert_eq!(r["accelerator"]["count"], "2");
    assert_eq!(r["cpuLimit"], 4.0);
    assert_eq!(r["resourceCpuLimit"], "4");
    assert_eq!(r["memoryLimit"], 16.0);
    assert_eq!(r["resourceMemoryLimit"], "16G");

    let text = format!("{PIPELINE}steps: [{{name: train, resources: {{gpu_count: 1}}}}]\n");
    let (docs, _, warnings) = vertex(&text);
    assert!(docs[0]["deploymentSpec"]["executors"]["exec-train"]["container"].get("resources").is_none());
    assert!(warnings.iter().any(|w| w.code == "vertex-gpu-type"), "{warnings:?}");

    let text = format!(
        "{PIPELINE}steps: [{{name: train, resources: {{gpu_count: 1}}, pod: {{node_selectors: \
         {{cloud.google.com/gke-accelerator: nvidia-tesla-x9}}}}}}]\n"
    );
    let err = crate::compile(&text, "p.yaml", &[crate::Engine::Vertex], &crate::Options::default()).unwrap_err();
    assert!(err.to_string().contains("NVIDIA_TESLA_T4"), "lists the types: {err}");
}

#[test]
fn a_schedule_is_a_body_with_the_spec_inline() {
    let text = format!(
        "{PIPELINE}execution_mode: stop_on_failure\nsteps: [{{name: a}}, {{name: b}}]\n\
         schedule: {{cron: \"30 2 * * 1-5\", timezone: Europe/Paris, concurrency_policy: Forbid, start: \"2030-01-01T00:00:00\"}}\n"
    );
    let (docs, schedule, warnings) = vertex(&text);
    let body = schedule.expect("a schedule body");
    assert_eq!(body["cron"], "TZ=Europe/Paris 30 2 * * 1-5");
    assert_eq!(body["startTime"], "2030-01-01T00:00:00Z");
    assert_eq!(body["maxConcurrentRunCount"], "1");
    assert_eq!(body["maxConcurrentActiveRunCount"], "1");
    let job = &body["createPipelineJobRequest"]["pipelineJob"];
    assert_eq!(job["pipelineSpec"], docs[0]);
    assert_eq!(job["runtimeConfig"]["failurePolicy"], "PIPELINE_FAILURE_POLICY_FAIL_FAST");
    assert!(warnings.iter().any(|w| w.code == "vertex-schedule"), "{warnings:?}");

    let text = format!("{PIPELINE}steps: [{{name: a}}]\nschedule: {{interval: 420}}\n");
    let (_, schedule, warnings) = vertex(&text);
    assert!(schedule.is_none() && warnings.iter().any(|w| w.code == "vertex-interval"), "{warnings:?}");
}

#[test]
fn what_vertex_might_substitute_is_refused() {
    for (step, env) in [("a {{$.pipeline_job_name}}", "{}"), ("a $$ b", "{}"), ("a $(X) b", "{X: \"1\"}")] {
        let text = format!("{PIPELINE}environment: {env}\nsteps: [{{name: {step:?}}}]\n");
        let err = crate::compile(&text, "p.yaml", &[crate::Engine::Vertex], &crate::Options::default());
        assert!(err.is_err(), "{step}");
    }
    // `$(y)` names no variable of the step: it reaches the step as written either way.
    let text = format!("{PIPELINE}steps: [{{name: \"a $(y)\"}}]\n");
    assert!(crate::compile(&text, "p.yaml", &[crate::Engine::Vertex], &crate::Options::default()).is_ok());
}

/// Vertex AI derives a PipelineJob id from `pipelineInfo.name` plus `-%Y%m%d%H%M%S`, and the id
/// must match `^[a-z][-a-z0-9]{0,127}$` (aiplatform `constants/pipeline.py`).
#[test]
fn pipeline_names_make_valid_job_ids() {
    for name in ["train_and_evaluate", "9diamond", "Ünïcode pipeline", "-x-", &"long_name".repeat(30)] {
        let id = format!("{}-20300101000000", names::sanitize(name, &PIPELINE_RULE));
        let ok = id.len() <= 128
            && id.starts_with(|c: char| c.is_ascii_lowercase())
            && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        assert!(ok, "{name:?} -> {id}");
    }
}
