//! Every fixture in `fixtures/ok/` through every engine: the IR and each output are read
//! back and checked, then snapshotted (with the warnings a user would see).

mod common;

use zenc::{compile, load_ir, Engine};

#[test]
fn fixtures_compile() {
    insta::glob!("../fixtures", "ok/*.{json,yaml}", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = common::file_name(path);
        let opts = common::options(path);
        let (ir, warnings) = load_ir(&text, &name, &opts.build).unwrap_or_else(|e| panic!("{name}: {e}"));
        common::settings(path).bind(|| {
            insta::assert_yaml_snapshot!("ir", ir);
            insta::assert_snapshot!("ir-warnings", common::warnings_text(&warnings));
        });
        for &engine in Engine::ALL {
            let out =
                compile(&text, &name, &[engine], &opts).unwrap_or_else(|e| panic!("{name} → {}: {e}", engine.name()));
            let artifacts: Vec<_> = out.files.iter().map(|(_, a)| a.clone()).collect();
            zenc::verify::check(engine, &ir, &artifacts).unwrap_or_else(|e| panic!("{name} → {}: {e}", engine.name()));
            // Same input, same bytes.
            let again = compile(&text, &name, &[engine], &opts).unwrap();
            assert_eq!(out.files, again.files, "{name}: output is not deterministic");
            let mut shown = String::new();
            for a in &artifacts {
                shown.push_str(&format!("=== {}\n{}", a.suffix, a.content));
            }
            let engine_warnings: Vec<_> = out.warnings.iter().filter(|w| !warnings.contains(w)).cloned().collect();
            if !engine_warnings.is_empty() {
                shown.push_str("=== warnings\n");
                shown.push_str(&common::warnings_text(&engine_warnings));
            }
            common::settings(path).bind(|| insta::assert_snapshot!(engine.name(), shown));
        }
    });
}
