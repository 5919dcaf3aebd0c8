//! A pipeline of 300 steps — a real fixture's step copied into a layered DAG with cross-layer
//! edges (`tests/bench/synth.rs`, the scale bench's generator) — through every engine: each
//! output is read back and compared with the IR (`verify`), then accepted by the engine's own
//! validators (`tests/conformance`, skipped visibly as in `tests/conformance.rs`). Only
//! acceptance is asserted, never bytes: the shapes engines give large pipelines may change.
//!
//! Tekton also with `--kind pipeline`, where the alike steps run one shared Task.
//!
//! `ZENC_CONFORMANCE_OUT=DIR` keeps the checked files in `DIR/large/<engine>/` (and
//! `DIR/large/tekton-pipeline/`; CI hands the Kubernetes ones to a real API server).

mod common;
#[path = "bench/synth.rs"]
mod synth;

use std::path::PathBuf;
use std::process::Command;

use zenc::ir::SecretRef;
use zenc::{compile, load_ir, BuildOptions, Engine, EngineOptions, ObjectKind, Options};

/// More than any fixture, and past Argo's 200 templates per Workflow and tasks per DAG.
const STEPS: usize = 300;

fn options(kind: ObjectKind) -> Options {
    Options {
        engine: EngineOptions { kind, ..EngineOptions::default() },
        build: BuildOptions {
            zenml_url: Some("https://zenml.example.com".into()),
            zenml_secret: Some(SecretRef { name: "zenml-api-key".into(), key: "api-key".into() }),
            ..BuildOptions::default()
        },
        ..Options::default()
    }
}

/// `engine`'s files for the synthetic pipeline, after `verify` found each step's task as the
/// IR has it.
fn compiled(engine: Engine, kind: ObjectKind) -> Vec<zenc::Artifact> {
    let text = synth::snapshot(synth::Shape::Layered, STEPS);
    let name = format!("synthetic_layered_{STEPS}.json");
    let opts = options(kind);
    let (ir, _) = load_ir(&text, &name, &opts.build).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(ir.steps().len(), STEPS);
    let out = compile(&text, &name, &[engine], &opts).unwrap_or_else(|e| panic!("{name} → {}: {e}", engine.name()));
    let artifacts: Vec<_> = out.files.into_iter().map(|(_, a)| a).collect();
    zenc::verify::check(engine, &ir, &artifacts).unwrap_or_else(|e| panic!("{name} → {}: {e}", engine.name()));
    artifacts
}

#[test]
fn every_engine_compiles_300_steps_as_the_ir_says() {
    for &engine in Engine::ALL {
        assert!(!compiled(engine, ObjectKind::Run).is_empty(), "{}: no output", engine.name());
    }
}

/// 300 alike steps: one shared Task, and a Pipeline of 300 references to it.
#[test]
fn tekton_pipeline_kind_shares_one_task_for_300_steps() {
    let artifacts = compiled(Engine::Tekton, ObjectKind::Template);
    let docs = zenc::verify::yaml_documents(&artifacts[0].content).unwrap();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["Task", "Pipeline"]);
    let tasks = docs[1]["spec"]["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), STEPS);
    assert!(tasks.iter().all(|t| t["taskRef"]["name"] == docs[0]["metadata"]["name"]));
}

/// Write `engine`'s spec files for `kind` and run `validate <args>` on them.
fn validated(engine: Engine, kind: ObjectKind, venvs: &str, args: &[&[&str]]) {
    common::conformance_setup(venvs);
    let (dir, _temp) = if let Some(out) = std::env::var_os("ZENC_CONFORMANCE_OUT") {
        let sub =
            if kind == ObjectKind::Run { engine.name().to_string() } else { format!("{}-pipeline", engine.name()) };
        let dir = PathBuf::from(out).join("large").join(sub);
        let _ = std::fs::remove_dir_all(&dir);
        (dir, None)
    } else {
        let temp = tempfile::Builder::new().prefix("zenc-large-").tempdir().unwrap();
        (temp.path().to_path_buf(), Some(temp))
    };
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    // Request bodies beside a spec (a schedule's) are not engine specs: none here.
    for artifact in compiled(engine, kind).into_iter().filter(|a| !a.suffix.ends_with(".json")) {
        let file = dir.join(format!("synthetic_layered_{STEPS}.{}", artifact.suffix));
        std::fs::write(&file, artifact.content).unwrap();
        files.push(file);
    }
    let validate = common::conformance_dir().join("validate");
    for args in args {
        let result = Command::new(&validate).args(*args).args(&files).output().unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(result.status.success(), "{} conformance ({}) failed:\n{stderr}", engine.name(), args.join(" "));
    }
}

#[test]
#[cfg_attr(zenc_skip_conformance, ignore = "ZENC_SKIP_CONFORMANCE=1: Argo's validators not run")]
fn argo_accepts_300_steps() {
    validated(Engine::Argo, ObjectKind::Run, "core", &[&["argo"], &["argo", "--argo-version", "v3.7.18"]]);
}

#[test]
#[cfg_attr(zenc_skip_conformance, ignore = "ZENC_SKIP_CONFORMANCE=1: Tekton's validators not run")]
fn tekton_accepts_300_steps() {
    validated(Engine::Tekton, ObjectKind::Run, "core,kfp,airflow", &[&["auto"]]);
}

#[test]
#[cfg_attr(zenc_skip_conformance, ignore = "ZENC_SKIP_CONFORMANCE=1: Tekton's validators not run")]
fn tekton_accepts_300_steps_as_a_pipeline_and_a_shared_task() {
    validated(Engine::Tekton, ObjectKind::Template, "core,kfp,airflow", &[&["auto"]]);
}

#[test]
#[cfg_attr(zenc_skip_conformance, ignore = "ZENC_SKIP_CONFORMANCE=1: Airflow's validators not run")]
fn airflow_accepts_300_steps() {
    validated(Engine::Airflow, ObjectKind::Run, "core,airflow", &[&["airflow"]]);
}

#[test]
#[cfg_attr(zenc_skip_conformance, ignore = "ZENC_SKIP_CONFORMANCE=1: Kubeflow's validators not run")]
fn kubeflow_accepts_300_steps() {
    validated(Engine::Kubeflow, ObjectKind::Run, "core,kfp", &[&["kubeflow"]]);
}

#[test]
#[cfg_attr(zenc_skip_conformance, ignore = "ZENC_SKIP_CONFORMANCE=1: Vertex AI's validators not run")]
fn vertex_accepts_300_steps() {
    validated(Engine::Vertex, ObjectKind::Run, "core,kfp", &[&["kubeflow"]]);
}
