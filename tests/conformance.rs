//! The engines' own validators (`../shared/conformance`) accept the output of every fixture.
//!
//! Each engine's outputs for all `fixtures/ok/` inputs are written to a temporary directory
//! and checked with one `validate <target>` call. Where the validators are not installed the
//! test fails, unless `ZENC_SKIP_CONFORMANCE=1` says to skip them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use zenc::{compile, Engine};

fn shared_dir() -> PathBuf {
    std::env::var_os("ZENC_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

/// The validator target for an engine's output files.
fn validator(engine: Engine) -> &'static str {
    match engine {
        Engine::Argo => "argo",
        // Pipeline/PipelineRun plus the CronJob, RBAC and ConfigMap of a schedule.
        Engine::Tekton => "auto",
        Engine::Airflow => "airflow",
        Engine::Kubeflow => "kubeflow",
    }
}

/// YAML manifests held in the `data` of ConfigMaps in a YAML output.
fn embedded_manifests(text: &str) -> Vec<String> {
    let Ok(docs) = zenc::validate::yaml_documents(text) else { return Vec::new() };
    docs.iter()
        .filter(|d| d["kind"] == "ConfigMap")
        .flat_map(|d| d["data"].as_object().into_iter().flatten())
        .filter(|(k, _)| k.ends_with(".yaml"))
        .filter_map(|(_, v)| v.as_str().map(str::to_string))
        .collect()
}

#[test]
fn engines_accept_every_fixture() {
    let validate = shared_dir().join("conformance/validate");
    if !validate.exists() {
        // Passing without the engines' validators would claim what was not checked.
        assert!(
            std::env::var("ZENC_SKIP_CONFORMANCE").is_ok_and(|v| v == "1"),
            "{} not found: put the shared material beside the repository, set ZENC_SHARED=<dir>, \
             or ZENC_SKIP_CONFORMANCE=1 to skip the engines' validators",
            validate.display()
        );
        eprintln!("skipped (ZENC_SKIP_CONFORMANCE=1): engines' validators");
        return;
    }
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ok"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("json" | "yaml")))
        .collect();
    fixtures.sort();
    let out = std::env::temp_dir().join(format!("zenc-conformance-{}", std::process::id()));
    for &engine in Engine::ALL {
        let dir = out.join(engine.name());
        std::fs::create_dir_all(&dir).unwrap();
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
        let result = Command::new(&validate).arg(validator(engine)).args(&files).output().expect("run validate");
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(result.status.success(), "{} conformance failed:\n{stderr}", engine.name());
        eprintln!("{}: {}", engine.name(), stderr.lines().last().unwrap_or_default());
    }
    let _ = std::fs::remove_dir_all(&out);
}
