//! Airflow itself reads our DAG files: the conformance validator's JSON summary (a real
//! DagBag import) must show each step's task with the right image, command, arguments,
//! environment, resources and upstream tasks; and after the Jinja rendering an Airflow worker
//! does (`tests/airflow/render.py`), every value must be exactly what the step needs.
//! Uses the in-tree validators (`tests/conformance/`); ignored under `ZENC_SKIP_CONFORMANCE=1`
//! like `tests/conformance.rs`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use zenc::backend::airflow::{protect_jinja, RUN_ID};
use zenc::backend::k8s::{escape_dollars, resources};
use zenc::ir::{EnvValue, Pipeline};
use zenc::{compile, load_ir, Engine};

const FIXTURES: &[&str] = &[
    "diamond.json",
    "k8s_pod_settings_env_secrets.json",
    "injection.yaml",
    "pod_env_reference.yaml",
    "manual_full.yaml",
];
const RENDERED_RUN_ID: &str = "manual__2030-01-01T00:00:00+00:00";

fn airflow_python() -> PathBuf {
    common::conformance_venvs().join("airflow/bin/python")
}

fn run_json(cmd: &mut Command) -> Value {
    let out = cmd.output().expect("run");
    assert!(out.status.success(), "{:?} failed:\n{}", cmd, String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// What each step's `--step_name`-carrying argument list looks like in the file.
fn file_args(p: &Pipeline, step: usize) -> Vec<String> {
    p.steps()[step].args().iter().map(|a| protect_jinja(&escape_dollars(a))).collect()
}

#[test]
#[cfg_attr(zenc_skip_conformance, ignore = "ZENC_SKIP_CONFORMANCE=1: Airflow's DagBag import not run")]
#[allow(clippy::too_many_lines)] // One fixture at a time, read top to bottom.
fn airflow_reads_and_renders_what_we_meant() {
    let validate = common::conformance_dir().join("validate");
    // This test may run before any `validate` call has installed the Airflow venv.
    common::conformance_setup("core,airflow");
    assert!(airflow_python().exists(), "no Airflow venv after setup");
    let temp = tempfile::Builder::new().prefix("zenc-airflow-summary-").tempdir().unwrap();
    let dir = temp.path();
    let mut files = Vec::new();
    let mut pipelines = Vec::new();
    for name in FIXTURES {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ok").join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        let opts = common::options(&path);
        let (ir, _) = load_ir(&text, name, &opts.build).unwrap();
        let out = compile(&text, name, &[Engine::Airflow], &opts).unwrap();
        let file = dir.join(format!("{}.py", name.replace('.', "_")));
        std::fs::write(&file, &out.files[0].1.content).unwrap();
        files.push(file);
        pipelines.push(ir);
    }

    let summary = run_json(Command::new(&validate).arg("airflow").args(&files));
    let rendered =
        run_json(Command::new(airflow_python()).arg("tests/airflow/render.py").arg(RENDERED_RUN_ID).args(&files));

    for ((file, p), result) in files.iter().zip(&pipelines).zip(summary["files"].as_array().unwrap()) {
        let file_name = file.file_name().unwrap().to_str().unwrap();
        assert_eq!(result["ok"], true, "{file_name}: {}", result["errors"]);
        let tasks = result["dags"][0]["tasks"].as_array().unwrap();
        assert_eq!(tasks.len(), p.steps().len(), "{file_name}");
        // Steps ↔ tasks through their (unique) argument lists.
        let task_of: Vec<&Value> = (0..p.steps().len())
            .map(|i| {
                let want = Value::from(file_args(p, i));
                tasks
                    .iter()
                    .find(|t| t["arguments"] == want)
                    .unwrap_or_else(|| panic!("{file_name}: no task for step {i}"))
            })
            .collect();
        let id_of: BTreeMap<&str, &str> =
            p.steps().iter().zip(&task_of).map(|(s, t)| (s.name(), t["task_id"].as_str().unwrap())).collect();

        for (step, task) in p.steps().iter().zip(&task_of) {
            let at = format!("{file_name} step `{}`", step.name());
            assert_eq!(task["operator_class"], "KubernetesPodOperator", "{at}");
            assert_eq!(task["image"], protect_jinja(step.image()), "{at}");
            let cmds: Vec<String> = step.command().iter().map(|c| protect_jinja(&escape_dollars(c))).collect();
            assert_eq!(task["cmds"], Value::from(cmds), "{at}");
            // env_vars: literal values; secrets and valueFrom go elsewhere. A dict's order
            // does not matter, so the file may start from the shared `_ENV`; once a value
            // refers to another variable (`$(VAR)`), the order must be the step's.
            let want_env: Vec<(String, String)> = step
                .env()
                .iter()
                .filter_map(|e| {
                    let v = match e.value() {
                        EnvValue::Literal(v) => protect_jinja(&escape_dollars(v)),
                        EnvValue::Kubernetes(v) => protect_jinja(v),
                        EnvValue::RunId => RUN_ID.to_string(),
                        _ => return None,
                    };
                    Some((e.name().to_string(), v))
                })
                .collect();
            let got_env: Vec<(String, String)> = task["env_vars"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| (e["name"].as_str().unwrap().to_string(), e["value"].as_str().unwrap().to_string()))
                .collect();
            let refers = step.env().iter().any(|e| matches!(e.value(), EnvValue::Kubernetes(v) if v.contains("$(")));
            if refers {
                assert_eq!(got_env, want_env, "{at}: env order");
            }
            let as_map = |env: &[(String, String)]| env.iter().cloned().collect::<BTreeMap<_, _>>();
            assert_eq!(got_env.len(), want_env.len(), "{at}: a variable twice");
            assert_eq!(as_map(&got_env), as_map(&want_env), "{at}");
            assert!(got_env.iter().any(|(n, v)| n == p.run_id_env() && v == RUN_ID), "{at}: run id");
            match resources(step.resources()) {
                None => assert!(task["container_resources"].is_null(), "{at}"),
                Some(r) => {
                    assert_eq!(task["container_resources"]["requests"], serde_json::json!(r.requests), "{at}");
                    assert_eq!(task["container_resources"]["limits"], serde_json::json!(r.limits), "{at}");
                }
            }
            let want_up: BTreeSet<&str> = step.upstream().iter().map(|u| id_of[u.as_str()]).collect();
            let got_up: BTreeSet<&str> =
                task["upstream_task_ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
            assert_eq!(got_up, want_up, "{at}");

            // After Airflow's Jinja: the pod gets exactly the Kubernetes-escaped originals.
            let pod = &rendered[file_name][task["task_id"].as_str().unwrap()];
            let k8s_args: Vec<String> = step.args().iter().map(|a| escape_dollars(a)).collect();
            assert_eq!(pod["args"], Value::from(k8s_args), "{at}");
            assert_eq!(pod["image"], step.image(), "{at}");
            let pod_env: BTreeMap<&str, &Value> =
                pod["env"].as_array().unwrap().iter().map(|e| (e["name"].as_str().unwrap(), e)).collect();
            for e in step.env() {
                let got = pod_env.get(e.name()).unwrap_or_else(|| panic!("{at}: no env {}", e.name()));
                match e.value() {
                    EnvValue::Literal(v) => assert_eq!(got["value"], escape_dollars(v), "{at}: {}", e.name()),
                    EnvValue::Kubernetes(v) => assert_eq!(got["value"], v.as_str(), "{at}: {}", e.name()),
                    EnvValue::RunId => assert_eq!(got["value"], RENDERED_RUN_ID, "{at}: {}", e.name()),
                    EnvValue::Secret { name, key } => {
                        assert_eq!(got["valueFrom"]["secretKeyRef"], serde_json::json!({"name": name, "key": key}));
                    }
                    EnvValue::ValueFrom(v) => assert_eq!(&got["valueFrom"], v, "{at}: {}", e.name()),
                }
            }
            assert_eq!(pod["annotations"]["zenml.io/step-name"], step.name(), "{at}");
        }
    }
}
