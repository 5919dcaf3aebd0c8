//! The escaping corpus (`fixtures/ok/injection.yaml`): every value must reach the container
//! exactly as written, after the YAML parser, the engine's own substitution and Kubernetes'
//! `$(VAR)` expansion have all had their turn. One round trip serves every engine: its output
//! read back (`verify::read_back`, which replays those substitutions) and compared with the IR.

mod common;

use std::path::Path;

use zenc::ir::EnvValue;
use zenc::verify::substitute::kubelet_expand;
use zenc::verify::{self, EnvView};
use zenc::{compile, load_ir, Engine};

#[test]
fn every_engine_delivers_the_exact_strings() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ok/injection.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let opts = common::options(&path);
    let (ir, _) = load_ir(&text, "injection.yaml", &opts.build).unwrap();
    for &engine in Engine::ALL {
        let out = compile(&text, "injection.yaml", &[engine], &opts).unwrap();
        let artifacts: Vec<_> = out.files.into_iter().map(|(_, a)| a).collect();
        let Some(views) = verify::read_back(engine, &artifacts).unwrap() else {
            eprintln!("skipped: {} needs python3 to read its output back", engine.name());
            continue;
        };
        verify::compare(&ir, &views).unwrap_or_else(|e| panic!("{}: {e}", engine.name()));
        // The comparison's own words, spelled out for the corpus: each literal, the step name.
        for step in ir.steps() {
            let view = views.iter().find(|v| v.argv.ends_with(&[step.name().to_string()])).unwrap();
            for var in step.env() {
                if let EnvValue::Literal(want) = var.value() {
                    let got = view.env.iter().rev().find(|(n, _)| n == var.name()).map(|(_, v)| v);
                    assert_eq!(got, Some(&EnvView::Value(want.clone())), "{}: {}", engine.name(), var.name());
                }
            }
        }
    }
}

/// `--kind pipeline`: `yes`, `null` and `0x1F` share one Tekton Task (step name as a param,
/// run id from the pod's label) and still get every hostile value exactly.
#[test]
fn tekton_shared_tasks_deliver_the_exact_strings() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ok/injection.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let opts = common::options_with(&path, &["--kind".into(), "pipeline".into()]).unwrap();
    let (ir, _) = load_ir(&text, "injection.yaml", &opts.build).unwrap();
    let out = compile(&text, "injection.yaml", &[Engine::Tekton], &opts).unwrap();
    let artifacts: Vec<_> = out.files.into_iter().map(|(_, a)| a).collect();
    assert_eq!(artifacts[0].content.matches("\nkind: Task\n").count(), 1, "one shared Task");
    let views = verify::read_back(Engine::Tekton, &artifacts).unwrap().unwrap();
    verify::compare(&ir, &views).unwrap();
}

#[test]
fn doubled_dollars_survive_kubernetes() {
    let env = [("HOME", "/root"), ("X", "x")];
    for s in ["$(HOME)", "$$", "$", "a$b", "$(X)$(X)", "$$(X)", "end$", "$(unclosed", "€$(X)"] {
        assert_eq!(kubelet_expand(&zenc::backend::k8s::escape_dollars(s), &env), s, "{s}");
    }
    assert_eq!(kubelet_expand("$(X)", &env), "x");
}
