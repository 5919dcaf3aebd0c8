//! `zenc.toml` / `[tool.zenc]` through the real binary: found from the current directory
//! upward, flags win, `zenc config` shows each setting's origin, unknown keys and bad values are
//! usage errors naming the file and the key.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const ZENC: &str = env!("CARGO_BIN_EXE_zenc");

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ok").join(name).display().to_string()
}

/// A fresh project directory with `sub/` below it.
fn project(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zenc-config-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    dir
}

fn zenc_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(ZENC).args(args).current_dir(dir).stdin(Stdio::null()).output().expect("zenc runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const SETTINGS: &str = r#"
target = "argo"
zenml-url = "https://zenml.example.com"
zenml-secret = "zenml-api-key"
namespace = "ml-pipelines"
timezone = "Europe/Paris"

[tekton]
kind = "pipeline"
"#;

#[test]
fn a_zenc_toml_above_the_current_directory_supplies_the_flags() {
    let dir = project("upward");
    std::fs::write(dir.join("zenc.toml"), SETTINGS).unwrap();
    let sub = dir.join("sub");
    let out = zenc_in(&sub, &["compile", &fixture("schedule_cron.json")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let yaml = stdout(&out);
    assert!(yaml.contains("kind: CronWorkflow"), "target from the file");
    assert!(yaml.contains("\"https://zenml.example.com\"") && yaml.contains("\"zenml-api-key\""));
    assert!(yaml.contains("namespace: \"ml-pipelines\"") && yaml.contains("Europe/Paris"), "{yaml}");
    assert!(!stderr(&out).contains("no-zenml-url"), "{}", stderr(&out));
    // The same as passing every flag.
    let flags = zenc_in(
        &sub,
        &[
            "compile",
            &fixture("schedule_cron.json"),
            "--no-config",
            "-t",
            "argo",
            "--zenml-url",
            "https://zenml.example.com",
            "--zenml-secret",
            "zenml-api-key",
            "--namespace",
            "ml-pipelines",
            "--timezone",
            "Europe/Paris",
        ],
    );
    assert_eq!(out.stdout, flags.stdout);
    // Flags win.
    let out = zenc_in(&sub, &["compile", &fixture("schedule_cron.json"), "--namespace", "other", "-t", "tekton"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("namespace: \"other\""));
    // Per-target options: tekton's kind from the file, argo's default.
    assert!(!stdout(&out).contains("kind: \"PipelineRun\""), "[tekton] kind = pipeline");
    // --no-config ignores the file.
    let out = zenc_in(&sub, &["compile", &fixture("diamond.json"), "--no-config"]);
    assert_eq!(out.status.code(), Some(2), "no target without the file");
}

#[test]
fn pyproject_tool_zenc_counts_and_zenc_toml_comes_first() {
    let dir = project("pyproject");
    std::fs::write(
        dir.join("pyproject.toml"),
        "[project]\nname = \"ml\"\n\n[tool.zenc]\ntarget = \"airflow\"\nnamespace = \"from-pyproject\"\n",
    )
    .unwrap();
    let out = zenc_in(&dir.join("sub"), &["config"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = stdout(&out);
    assert!(shown.contains(&format!("# configuration file: {}", dir.join("pyproject.toml").display())), "{shown}");
    assert!(shown.contains("namespace = \"from-pyproject\""), "{shown}");
    // A pyproject without [tool.zenc] is passed over; a zenc.toml beside it wins.
    std::fs::write(dir.join("sub/pyproject.toml"), "[project]\nname = \"other\"\n").unwrap();
    std::fs::write(dir.join("zenc.toml"), "namespace = \"from-zenc-toml\"\n").unwrap();
    let shown = stdout(&zenc_in(&dir.join("sub"), &["config"]));
    assert!(shown.contains("namespace = \"from-zenc-toml\""), "{shown}");
    // A broken pyproject that is not ours does not stop the search.
    std::fs::write(dir.join("sub/pyproject.toml"), "[project\n").unwrap();
    assert_eq!(zenc_in(&dir.join("sub"), &["config"]).status.code(), Some(0));
}

#[test]
fn zenc_config_shows_each_setting_and_its_origin() {
    let dir = project("show");
    std::fs::write(dir.join("zenc.toml"), SETTINGS).unwrap();
    let out = zenc_in(&dir.join("sub"), &["config", "--namespace", "from-flag", "-D", "argo-catchup"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = stdout(&out).replace(&dir.display().to_string(), "<project>");
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_omit_expression(true);
    s.bind(|| insta::assert_snapshot!("zenc-config", shown));
    // What it prints is a zenc.toml that resolves to the same settings.
    let copy = project("show-copy");
    let printed: String = stdout(&out)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{}\n", l.split("  #").next().unwrap().trim_end()))
        .collect();
    std::fs::write(copy.join("zenc.toml"), printed).unwrap();
    let again = zenc_in(&copy, &["config"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(stdout(&again).contains("namespace = \"from-flag\""));
    assert!(stdout(&again).contains("deny = [\"argo-catchup\"]"));
}

#[test]
fn unknown_keys_and_bad_values_are_usage_errors_naming_file_and_key() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("zenc.toml", "namspace = \"ml\"\n", &["unknown field `namspace`", "line 1"]),
        ("zenc.toml", "[argo]\nkind = \"run\"\nretries = 3\n", &["unknown field `retries`", "line 3"]),
        ("zenc.toml", "[kubeflow]\n", &["unknown field `kubeflow`"]),
        ("zenc.toml", "namespace = \"ML\"\n", &["invalid namespace `ML`", "zenc.toml: namespace"]),
        ("zenc.toml", "target = \"nomad\"\n", &["target: unknown target `nomad`"]),
        ("zenc.toml", "[tekton]\nkind = \"job\"\n", &["tekton.kind: `job` is not a kind"]),
        ("zenc.toml", "[airflow]\nversion = 1\n", &["airflow.version: 1 is not supported"]),
        ("zenc.toml", "deny = [\"argo-katchup\"]\n", &["deny argo-katchup: no such warning code"]),
        ("zenc.toml", "templates = \"nowhere\"\n", &["templates: ", "is no directory"]),
        ("zenc.toml", "zenml-url = 42\n", &["invalid type: integer `42`, expected a string"]),
        ("pyproject.toml", "[tool.zenc]\nnamespace = \"ML\"\n", &["pyproject.toml: tool.zenc.namespace"]),
        ("pyproject.toml", "[tool.zenc]\nflavour = \"x\"\n", &["unknown field `flavour`"]),
    ];
    for (i, (file, text, expected)) in cases.iter().enumerate() {
        let dir = project(&format!("bad-{i}"));
        std::fs::write(dir.join(file), text).unwrap();
        let out = zenc_in(&dir.join("sub"), &["check", &fixture("diamond.json")]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{text}: {err}");
        assert!(err.contains(&dir.join(file).display().to_string()), "{text}: names the file: {err}");
        for e in *expected {
            assert!(err.contains(e), "{text}: `{e}` in {err}");
        }
    }
}

#[test]
fn config_flag_reads_that_file_and_relative_templates_follow_the_file() {
    let dir = project("explicit");
    std::fs::create_dir_all(dir.join("conf/tpl/argo")).unwrap();
    let builtin =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/argo/workflow.yaml.j2")).unwrap();
    std::fs::write(dir.join("conf/tpl/argo/workflow.yaml.j2"), builtin.replace("kind: ", "# custom\nkind: ")).unwrap();
    std::fs::write(dir.join("conf/zenc.toml"), "target = \"argo\"\ntemplates = \"tpl\"\n").unwrap();
    let out = zenc_in(&dir, &["compile", &fixture("diamond.json"), "--config", "conf/zenc.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("# custom"));
    // A pyproject given explicitly must have the table.
    std::fs::write(dir.join("pyproject.toml"), "[project]\nname = \"x\"\n").unwrap();
    let out = zenc_in(&dir, &["config", "--config", "pyproject.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("has no [tool.zenc] table"), "{}", stderr(&out));
    assert_eq!(zenc_in(&dir, &["config", "--config", "x.toml", "--no-config"]).status.code(), Some(2));
}

#[test]
fn the_file_denies_and_allows_warnings() {
    let dir = project("policy");
    // A hand-written input without a schedule has one warning here: no --zenml-url.
    let plain = "name: p\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\nimage: app:1\n\
                 steps: [{name: a}]\n";
    let scheduled = format!("{plain}schedule: {{cron: \"0 2 * * *\", catchup: true, timezone: UTC}}\n");
    std::fs::write(dir.join("plain.yaml"), plain).unwrap();
    std::fs::write(dir.join("scheduled.yaml"), scheduled).unwrap();
    std::fs::write(dir.join("zenc.toml"), "deny-warnings = true\nallow = [\"no-zenml-url\"]\n").unwrap();
    let out = zenc_in(&dir, &["check", "plain.yaml", "-t", "argo"]);
    assert_eq!(out.status.code(), Some(0), "allowed: {}", stderr(&out));
    let out = zenc_in(&dir, &["check", "scheduled.yaml", "-t", "argo"]);
    assert_eq!(out.status.code(), Some(1), "denied: {}", stderr(&out));
    assert!(stderr(&out).contains("error[argo-catchup]"));
    // The command line's allow beats the file's deny.
    let out = zenc_in(&dir, &["check", "scheduled.yaml", "-t", "argo", "-A", "argo-catchup"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
