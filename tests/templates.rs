//! Templates: all registered, all compile, none bypasses the escaper.

use std::path::Path;

use zenc::render::{templates, Renderer};

fn template_files() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut out = Vec::new();
    for engine in std::fs::read_dir(&root).unwrap() {
        let engine = engine.unwrap().path();
        for file in std::fs::read_dir(&engine).unwrap() {
            let file = file.unwrap().path();
            out.push(file.strip_prefix(&root).unwrap().to_string_lossy().into_owned());
        }
    }
    out.sort();
    out
}

#[test]
fn every_template_file_is_registered_and_vice_versa() {
    let mut registered: Vec<String> = templates().into_iter().map(|(n, _)| n).collect();
    registered.sort();
    assert_eq!(template_files(), registered);
}

#[test]
fn every_engine_has_a_template_folder() {
    for engine in zenc::Engine::ALL {
        assert!(templates().iter().any(|(n, _)| n.starts_with(&format!("{}/", engine.name()))), "{}", engine.name());
    }
}

#[test]
fn templates_compile() {
    // Embedded templates compile on first use: compile them all here.
    Renderer::new(None).unwrap().compile_all().expect("all built-in templates parse");
}

#[test]
fn no_template_bypasses_the_escaper() {
    for (name, source) in templates() {
        for banned in ["|safe", "| safe", "autoescape false", "indent("] {
            assert!(!source.contains(banned), "{name} uses `{banned}`");
        }
        assert!(name.ends_with(".yaml.j2") || name.ends_with(".py.j2"), "{name}: unknown escaping mode");
    }
}

#[test]
fn a_broken_user_template_is_reported_with_its_path() {
    let dir = std::env::temp_dir().join(format!("zenc-tpl-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("argo")).unwrap();
    std::fs::write(dir.join("argo/workflow.yaml.j2"), "{% if %}").unwrap();
    let err = Renderer::new(Some(&dir)).err().expect("broken template refused");
    assert!(err.to_string().contains("workflow.yaml.j2"), "{err}");
}
