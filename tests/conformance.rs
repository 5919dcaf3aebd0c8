//! The engines' own validators (`tests/conformance/`, see its README) accept the output of every
//! fixture: one test per engine, each writing that engine's outputs for all `fixtures/ok/`
//! inputs and checking them with one `validate` call.
//!
//! The validators install themselves into `~/.cache/zenc-conformance` (or `$CONFORMANCE_VENVS`)
//! on first use. Where that cannot work, `ZENC_SKIP_CONFORMANCE=1` (read by `build.rs`) turns
//! these tests into ignored ones, so `cargo test` lists each with the reason instead of passing
//! silently. `ZENC_CONFORMANCE_OUT=DIR` keeps the checked files in `DIR/<engine>/` (CI hands the
//! Kubernetes ones to a real API server).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use zenc::{compile, Engine};

/// YAML manifests held in the `data` of ConfigMaps in a YAML output.
fn embedded_manifests(text: &str) -> Vec<String> {
    let Ok(docs) = zenc::verify::yaml_documents(text) else { return Vec::new() };
    docs.iter()
        .filter(|d| d["kind"] == "ConfigMap")
        .flat_map(|d| d["data"].as_object().into_iter().flatten())
        .filter(|(k, _)| k.ends_with(".yaml"))
        .filter_map(|(_, v)| v.as_str().map(str::to_string))
        .collect()
}

/// Writes `engine`'s outputs of every fixture into a directory; returns the files to validate.
struct Outputs {
    dir: PathBuf,
    files: Vec<PathBuf>,
    _temp: Option<tempfile::TempDir>,
}

fn write_outputs(engine: Engine) -> Outputs {
    let (dir, temp) = if let Some(out) = std::env::var_os("ZENC_CONFORMANCE_OUT") {
        let dir = PathBuf::from(out).join(engine.name());
        // Files of a fixture that no longer exists must not be checked again.
        let _ = std::fs::remove_dir_all(&dir);
        (dir, None)
    } else {
        let temp = tempfile::Builder::new().prefix("zenc-conformance-").tempdir().unwrap();
        (temp.path().to_path_buf(), Some(temp))
    };
    std::fs::create_dir_all(&dir).unwrap();
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ok"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("json" | "yaml")))
        .collect();
    fixtures.sort();
    let mut files = Vec::new();
    for path in &fixtures {
        let text = std::fs::read_to_string(path).unwrap();
        let name = common::file_name(path);
        let opts = common::options(path);
        if engine == Engine::Airflow && opts.engine.airflow_version == 2 {
            // The validators ship Airflow 3 only; the Airflow 2 form is ast-checked.
            continue;
        }
        let output = compile(&text, &name, &[engine], &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
        for (_, artifact) in output.files {
            // Request bodies beside the spec (Kubeflow's recurring run) are checked by the
            // engine's own `check`; the validators take engine specs only.
            if artifact.suffix.ends_with(".json") {
                continue;
            }
            let stem = name.replace('.', "_");
            // Manifests carried inside ConfigMaps (the PipelineRun a Tekton CronJob creates)
            // are engine objects too: validate them on their own.
            for (i, embedded) in embedded_manifests(&artifact.content).into_iter().enumerate() {
                let file = dir.join(format!("{stem}.embedded-{i}.yaml"));
                std::fs::write(&file, embedded).unwrap();
                files.push(file);
            }
            let file = dir.join(format!("{stem}.{}", artifact.suffix));
            std::fs::write(&file, artifact.content).unwrap();
            files.push(file);
        }
    }
    Outputs { dir, files, _temp: temp }
}

/// `validate <args> <files>` must accept every file.
fn validate(engine: Engine, args: &[&str], files: &[PathBuf]) {
    let validate = common::conformance_dir().join("validate");
    let result = Command::new(&validate)
        .args(args)
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", validate.display()));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "{} conformance ({}) failed:\n{stderr}", engine.name(), args.join(" "));
}

/// Check `engine`'s outputs with the validator `target` (after installing the venvs it needs,
/// once, before any parallel `validate` call could race to do it).
fn check(engine: Engine, venvs: &str, target: &str) -> Outputs {
    common::conformance_setup(venvs);
    let out = write_outputs(engine);
    assert!(!out.files.is_empty(), "no {} outputs in {}", engine.name(), out.dir.display());
    validate(engine, &[target], &out.files);
    out
}

#[test]
#[cfg_attr(zenc_skip_conformance, ignore = "ZENC_SKIP_CONFORMANCE=1: Argo's validators not run")]
fn argo_accepts_every_fixture() {
    let out = check(Engine::Argo, "core", "argo");
    // zenc targets Argo 3.6+ as well as 4.x: the 3.7 schema must accept the same files.
    validate(Engine::Argo, &["argo", "--argo-version", "v3.7.18"], &out.files);
}

#[test]
#[cfg_attr(zenc_skip_conformance, ignore = "ZENC_SKIP_CONFORMANCE=1: Tekton's validators not run")]
fn tekton_accepts_every_fixture() {
    // Pipeline/PipelineRun plus the CronJob, RBAC and ConfigMap of a schedule.
    check(Engine::Tekton, "core,kfp,airflow", "auto");
}

#[test]
#[cfg_attr(zenc_skip_conformance, ignore = "ZENC_SKIP_CONFORMANCE=1: Airflow's validators not run")]
fn airflow_accepts_every_fixture() {
    check(Engine::Airflow, "core,airflow", "airflow");
}

#[test]
#[cfg_attr(zenc_skip_conformance, ignore = "ZENC_SKIP_CONFORMANCE=1: Kubeflow's validators not run")]
fn kubeflow_accepts_every_fixture() {
    check(Engine::Kubeflow, "core,kfp", "kubeflow");
}

#[test]
#[cfg_attr(zenc_skip_conformance, ignore = "ZENC_SKIP_CONFORMANCE=1: Vertex AI's validators not run")]
fn vertex_accepts_every_fixture() {
    // Vertex AI runs the KFP v2 IR: KFP's own proto and loader check it (one document).
    check(Engine::Vertex, "core,kfp", "kubeflow");
}
