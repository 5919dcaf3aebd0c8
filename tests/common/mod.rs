//! Shared test helpers: fixture options, insta settings.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use clap::Parser;
use zenc::cli::{compile_options, Cli, Command};
use zenc::Options;

/// Flags every fixture is compiled with: a real deployment would pass them too.
pub const DEFAULT_ARGS: &[&str] = &["--zenml-url", "https://zenml.example.com", "--zenml-secret", "zenml-api-key"];

/// Options for a fixture: the defaults plus the flags in `<fixture>.args`, if present,
/// parsed by the real CLI parser.
pub fn options(path: &Path) -> Options {
    options_with(path, &fixture_args(path)).unwrap_or_else(|e| panic!("{}.args: {e}", path.display()))
}

/// The flags in `<fixture>.args` (whitespace-separated, `#` comment lines), if present.
pub fn fixture_args(path: &Path) -> Vec<String> {
    let sidecar = PathBuf::from(format!("{}.args", path.display()));
    let extra = std::fs::read_to_string(&sidecar).unwrap_or_default();
    extra
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(|l| l.split_whitespace())
        .map(String::from)
        .collect()
}

/// Options from `extra` flags (an `.args` file's), plus the defaults unless `--no-defaults`.
pub fn options_with(path: &Path, extra: &[String]) -> Result<Options, String> {
    let mut args: Vec<String> =
        vec!["zenc".into(), "compile".into(), path.display().to_string(), "--target".into(), "argo".into()];
    if !extra.iter().any(|a| a == "--no-defaults") {
        args.extend(DEFAULT_ARGS.iter().map(std::string::ToString::to_string));
    }
    args.extend(extra.iter().filter(|a| *a != "--no-defaults").cloned());
    let cli = Cli::try_parse_from(&args).map_err(|e| e.to_string())?;
    let Command::Compile(c) = cli.command else { unreachable!() };
    compile_options(&c).map_err(|e| e.to_string())
}

pub fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// insta settings: snapshots in the top-level `snapshots/`, input shown to the reviewer.
pub fn settings(path: &Path) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_input_file(path);
    s.set_description(format!("zenc output for {}", file_name(path)));
    s.set_omit_expression(true);
    s
}

pub fn warnings_text(warnings: &[zenc::Warning]) -> String {
    warnings.iter().map(|w| format!("{w}\n")).collect()
}

/// The engines' validators, in the repository (`tests/conformance/README.md`).
pub fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

/// Where `tests/conformance/setup` installs the validators' virtual environments.
pub fn conformance_venvs() -> PathBuf {
    std::env::var_os("CONFORMANCE_VENVS").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").expect("HOME or CONFORMANCE_VENVS")).join(".cache/zenc-conformance"),
        PathBuf::from,
    )
}

/// Run `tests/conformance/setup --only <venvs>`: installs on first use (about 75 s), a no-op
/// afterwards. A failure names the way out, since a machine without Python cannot pass it.
pub fn conformance_setup(venvs: &str) {
    let setup = conformance_dir().join("setup");
    let out = std::process::Command::new(&setup)
        .args(["--only", venvs, "--quiet"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", setup.display()));
    assert!(
        out.status.success(),
        "{} failed (needs Python 3.10+ and the package registry):\n{}\n\
         ZENC_SKIP_CONFORMANCE=1 skips the engines' validators (the tests are then reported as ignored)",
        setup.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}
