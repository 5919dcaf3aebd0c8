//! Every fixture in `fixtures/err/` must fail with the message a user sees, snapshotted.
//! A fixture named `<engine>_*.{json,yaml}` is compiled for that engine only.

mod common;

use zenc::{compile, Engine};

#[test]
fn error_fixtures_fail_clearly() {
    insta::glob!("../fixtures", "err/*.{json,yaml}", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = common::file_name(path);
        let engines: Vec<Engine> = match Engine::ALL.iter().find(|e| name.starts_with(&format!("{}_", e.name()))) {
            Some(&e) => vec![e],
            None => Engine::ALL.to_vec(),
        };
        let opts = common::options(path);
        let Err(err) = compile(&text, &name, &engines, &opts) else {
            panic!("{name} compiled, but it is an error fixture")
        };
        assert!(!err.is_internal(), "{name}: internal error {err}");
        common::settings(path).bind(|| insta::assert_snapshot!("error", format!("error: {err}")));
    });
}
