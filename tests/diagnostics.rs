//! Diagnostics through the real binary: JSON lines (schema and snapshots), `-D`/`-A`/
//! `--deny-warnings`, exit codes, `--check` drift with diffs, the summary and the progress line.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const ZENC: &str = env!("CARGO_BIN_EXE_zenc");
const SERVER: &[&str] = &["--zenml-url", "https://zenml.example.com", "--zenml-secret", "zenml-api-key"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// zenc from the repository root (so `fixtures/…` paths are short and stable), no config.
fn zenc(args: &[&str]) -> Output {
    zenc_env(args, &[])
}

fn zenc_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(ZENC);
    cmd.args(args).arg("--no-config").current_dir(root()).stdin(Stdio::null());
    cmd.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("zenc runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zenc-diag-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_omit_expression(true);
    s
}

/// Every stderr line is one JSON object with exactly the documented keys, in order.
fn json_lines(o: &Output) -> Vec<Value> {
    let diagnostic = ["type", "severity", "code", "message", "help", "file", "path", "step", "engine"];
    let summary = ["type", "command", "pipeline", "steps", "engines", "files", "warnings"];
    stderr(o)
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
            let mut sorted_expected: Vec<&str> =
                if v["type"] == "summary" { summary.to_vec() } else { diagnostic.to_vec() };
            sorted_expected.sort_unstable();
            let mut sorted = keys.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, sorted_expected, "{line}");
            if v["type"] == "diagnostic" {
                let code = v["code"].as_str().unwrap();
                let entry = zenc::diagnostic::lookup(code).unwrap_or_else(|| panic!("`{code}` is not in the table"));
                if v["severity"] != "error" {
                    assert_eq!(v["severity"], entry.code.severity.name(), "{line}");
                }
            }
            v
        })
        .collect()
}

#[test]
fn json_diagnostics_of_a_compile_carry_code_path_step_and_engine() {
    let input = "fixtures/ok/k8s_pod_settings_env_secrets.json";
    let mut args = vec!["check", input, "--message-format", "json"];
    args.extend_from_slice(SERVER);
    let out = zenc(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines = json_lines(&out);
    let step_warning = lines.iter().find(|v| v["code"] == "resources-overridden").expect("a step warning");
    assert_eq!(step_warning["step"], "transform");
    assert_eq!(step_warning["file"], input, "the input as given");
    assert!(step_warning["path"].as_str().unwrap().starts_with("metadata.step_configurations.transform."));
    assert!(lines.iter().any(|v| v["code"] == "tekton-ttl" && v["engine"] == "tekton"));
    assert_eq!(lines.last().unwrap()["type"], "summary");
    settings().bind(|| insta::assert_snapshot!("json-check-k8s-pod-settings", stderr(&out)));
}

#[test]
fn json_errors_usage_and_config_errors_are_json_too() {
    let cases: &[(&str, &[&str], i32)] = &[
        ("error-cycle", &["compile", "fixtures/err/cycle.yaml", "-t", "argo"], 1),
        ("error-engine", &["check", "fixtures/err/argo_reserved_env.yaml"], 1),
        ("error-unreadable", &["check", "fixtures/nonexistent.json"], 1),
        ("usage-clap", &["compile", "fixtures/ok/diamond.json", "--target", "nomad"], 2),
        ("usage-value", &["check", "fixtures/ok/diamond.json", "--namespace", "ML"], 2),
        ("usage-deny-unknown", &["check", "fixtures/ok/diamond.json", "-D", "argo-katchup"], 2),
        ("usage-no-target", &["compile", "fixtures/ok/diamond.json"], 2),
    ];
    let mut shown = String::new();
    for (name, args, code) in cases {
        let mut args = args.to_vec();
        args.extend(["--message-format", "json"]);
        let out = zenc(&args);
        assert_eq!(out.status.code(), Some(*code), "{name}: {}", stderr(&out));
        let lines = json_lines(&out);
        assert_eq!(lines.len(), 1, "{name}: one error, nothing else: {}", stderr(&out));
        assert_eq!(lines[0]["severity"], "error", "{name}");
        shown.push_str(&format!("=== {name} (exit {code})\n{}", stderr(&out)));
    }
    settings().bind(|| insta::assert_snapshot!("json-errors", shown));
}

#[test]
fn human_text_is_unchanged_by_codes() {
    // The same error as text: `error: …` with its location and help, no code in it.
    let out = zenc(&["compile", "fixtures/err/cycle.yaml", "-t", "argo"]);
    let err = stderr(&out);
    assert!(
        err.starts_with("error: steps form a cycle: `a` -> `b` -> `c` -> `a`\n  --> cycle.yaml: steps[2]"),
        "{err}"
    );
}

/// A nightly schedule with catch-up: exactly two warnings for Argo, `schedule-timezone` and
/// `argo-catchup` (a hand-written input has no stack to warn about).
const NIGHTLY: &str = "name: nightly\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\n\
                       image: app:1\nschedule: {cron: \"0 2 * * *\", catchup: true}\nsteps: [{name: a}, {name: b, upstream: [a]}]\n";

/// `compile` of `input` for Argo with the server flags and `extra`.
fn compile_argo(input: &Path, extra: &[&str]) -> Output {
    compile_for(input, "argo", extra)
}

fn compile_for(input: &Path, target: &str, extra: &[&str]) -> Output {
    let mut args = vec!["compile", input.to_str().unwrap(), "-t", target];
    args.extend_from_slice(SERVER);
    args.extend_from_slice(extra);
    zenc(&args)
}

#[test]
fn denied_warnings_are_errors_and_nothing_is_written() {
    let dir = tmp("deny");
    let input = dir.join("nightly.yaml");
    std::fs::write(&input, NIGHTLY).unwrap();
    let target = dir.join("p.yaml");
    let o = target.to_str().unwrap();
    std::fs::write(&target, "before\n").unwrap();
    for flags in [&["--deny-warnings"][..], &["-D", "argo-catchup"], &["-D", "tekton-ttl,argo-catchup"]] {
        let mut extra = vec!["-o", o];
        extra.extend_from_slice(flags);
        let out = compile_argo(&input, &extra);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{flags:?}: {err}");
        assert!(err.contains("error[argo-catchup]: "), "{flags:?}: {err}");
        assert!(
            err.ends_with("error: 1 denied warning (--deny-warnings, -D, or zenc.toml's deny): nothing written\n")
                || flags[0] == "--deny-warnings",
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "before\n", "{flags:?}: nothing written");
    }
    // -A beats the blanket --deny-warnings: with both warnings allowed, it compiles.
    let out = compile_argo(&input, &["-o", o, "--deny-warnings", "-A", "argo-catchup,schedule-timezone"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!("wrote {o}: pipeline `nightly`, 2 steps, 0 warnings\n"),
        "allowed: not shown, not counted"
    );
    // -q hides warnings, never denied ones.
    let out = compile_argo(&input, &["-q", "-D", "argo-catchup"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("error[argo-catchup]") && !stderr(&out).contains("warning["), "{}", stderr(&out));
    // `check` denies the same way.
    let out = zenc(&["check", input.to_str().unwrap(), "-t", "argo", "-D", "argo-catchup"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn deny_and_allow_take_only_warning_codes() {
    for (flags, expected) in [
        (&["-D", "argo-katchup"][..], "no such warning code"),
        (&["-A", "cycle"], "`cycle` is an error"),
        (&["-D", "tekton-ttl", "-A", "tekton-ttl"], "both denied"),
    ] {
        let mut args = vec!["check", "fixtures/ok/diamond.json"];
        args.extend_from_slice(flags);
        let out = zenc(&args);
        assert_eq!(out.status.code(), Some(2), "{flags:?}");
        assert!(stderr(&out).contains(expected), "{flags:?}: {}", stderr(&out));
    }
}

#[test]
fn check_says_missing_out_of_date_or_no_longer_produced_and_exits_3_with_a_diff() {
    let dir = tmp("check");
    let d = dir.to_str().unwrap();
    let compile = |input: &str, extra: &[&str]| {
        let mut args = vec!["compile", input, "-t", "all", "--out-dir", d, "-q"];
        args.extend_from_slice(SERVER);
        args.extend_from_slice(extra);
        zenc(&args)
    };
    assert_eq!(compile("fixtures/ok/schedule_cron.json", &[]).status.code(), Some(0));
    let clean = compile("fixtures/ok/schedule_cron.json", &["--check"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
    assert!(clean.stdout.is_empty() && clean.stderr.is_empty());

    let argo = dir.join("schedule_cron.argo.yaml");
    let text = std::fs::read_to_string(&argo).unwrap();
    std::fs::write(&argo, text.replacen("\"0 2 * * 1-5\"", "\"0 3 * * 1-5\"", 1)).unwrap();
    std::fs::remove_file(dir.join("schedule_cron.tekton.yaml")).unwrap();
    let out = compile("fixtures/ok/schedule_cron.json", &["--check"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&format!("out of date: {}", argo.display())), "{err}");
    assert!(err.contains(&format!("missing: {}", dir.join("schedule_cron.tekton.yaml").display())), "{err}");
    let diff = String::from_utf8(out.stdout).unwrap();
    let header = format!("--- {0}\n+++ {0}\n@@ ", argo.display());
    assert!(diff.starts_with(&header), "{diff}");
    assert!(diff.contains("\n-") && diff.contains("0 3 * * 1-5") && diff.contains("\n+"), "{diff}");
    assert!(!diff.contains('\x1b'), "no colour when stdout is not a terminal");
    let coloured = zenc_env(
        &["compile", "fixtures/ok/schedule_cron.json", "-t", "argo", "-o", argo.to_str().unwrap(), "--check", "-q"],
        &[("CLICOLOR_FORCE", "1"), ("ZENC_UNUSED", "")],
    );
    assert_eq!(coloured.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&coloured.stdout).contains("\x1b[31m-"), "CLICOLOR_FORCE colours");
    let plain = zenc_env(
        &["compile", "fixtures/ok/schedule_cron.json", "-t", "argo", "-o", argo.to_str().unwrap(), "--check"],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
    );
    assert!(!String::from_utf8_lossy(&plain.stdout).contains('\x1b'), "NO_COLOR wins");

    // The same name, unscheduled now: the recurring-run body is no longer produced.
    let renamed = dir.join("in/schedule_cron.json");
    std::fs::create_dir_all(renamed.parent().unwrap()).unwrap();
    std::fs::copy(root().join("fixtures/ok/diamond.json"), &renamed).unwrap();
    let out = compile(renamed.to_str().unwrap(), &["--check"]);
    let obsolete = dir.join("schedule_cron.kubeflow.recurring-run.json");
    assert!(stderr(&out).contains(&format!("no longer produced: {}", obsolete.display())), "{}", stderr(&out));
    // As JSON: one drift record per file, named in `file`.
    let out = compile("fixtures/ok/schedule_cron.json", &["--check", "--message-format", "json"]);
    assert_eq!(out.status.code(), Some(3));
    let codes: Vec<(String, String)> = json_lines(&out)
        .iter()
        .map(|v| (v["code"].as_str().unwrap().to_string(), v["file"].as_str().unwrap().to_string()))
        .collect();
    assert!(codes.contains(&("out-of-date".into(), argo.display().to_string())), "{codes:?}");
    assert!(codes.contains(&("output-missing".into(), dir.join("schedule_cron.tekton.yaml").display().to_string())));
}

#[test]
fn a_summary_follows_a_write_to_files_but_not_to_stdout() {
    let dir = tmp("summary");
    let input = dir.join("nightly.yaml");
    std::fs::write(&input, NIGHTLY).unwrap();
    let target = dir.join("p.yaml");
    let o = target.to_str().unwrap();
    let out = compile_for(&input, "kubeflow", &["-o", o, "--timezone", "UTC"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    let recurring = dir.join("p.kubeflow.recurring-run.json");
    let wanted = format!("wrote {o}, {}: pipeline `nightly`, 2 steps, ", recurring.display());
    assert!(err.lines().last().unwrap().starts_with(&wanted), "{err}");
    assert!(zenc_quiet(&input, o).stderr.is_empty(), "-q: no summary");
    let out = compile_argo(&input, &[]);
    assert!(!stderr(&out).contains("wrote"), "stdout is the output: {}", stderr(&out));
    // JSON: the files written, in order, and the warnings reported.
    let out = compile_argo(&input, &["-o", o, "--message-format", "json", "-A", "schedule-timezone"]);
    let summary = json_lines(&out).pop().unwrap();
    assert_eq!(summary["files"], serde_json::json!([o]));
    assert_eq!((summary["steps"].as_u64(), summary["warnings"].as_u64()), (Some(2), Some(1)));
}

fn zenc_quiet(input: &Path, o: &str) -> Output {
    compile_argo(input, &["-o", o, "-q"])
}

/// A pipeline of `n` steps in a chain, as zenc YAML.
fn chain(n: usize) -> String {
    let mut text = String::from(
        "name: big\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\nimage: app:1\nsteps:\n  - name: s0\n",
    );
    for i in 1..n {
        text.push_str(&format!("  - name: s{i}\n    upstream: [s{}]\n", i - 1));
    }
    text
}

#[test]
fn a_progress_line_shows_on_a_terminal_only_for_big_inputs() {
    let dir = tmp("progress");
    let big = dir.join("big.yaml");
    std::fs::write(&big, chain(5_001)).unwrap();
    let args = [
        "check",
        big.to_str().unwrap(),
        "-t",
        "argo",
        "--zenml-url",
        "https://z.example.com",
        "-A",
        "no-zenml-secret",
        "-A",
        "argo-workflow-size",
    ];
    // Not a terminal: no progress line.
    let out = zenc(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("compiling"), "{}", stderr(&out));
    // A terminal, through util-linux `script` (skipped where it is missing).
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped the terminal half: no `script`");
        return;
    }
    let line = std::iter::once(ZENC).chain(args).map(|a| format!("'{a}'")).collect::<Vec<_>>().join(" ");
    let out = Command::new("script")
        .args(["-qec", &format!("{line} --no-config"), "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .expect("script runs");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(screen.contains("\r\x1b[2Kcompiling 5001 steps for argo (1/1)…"), "{screen:?}");
    assert!(screen.contains("\r\x1b[2Kok: pipeline `big` with 5001 step(s)"), "cleared before the summary: {screen:?}");
    // A small input stays quiet on a terminal too.
    let small = dir.join("small.yaml");
    std::fs::write(&small, chain(3)).unwrap();
    let out = Command::new("script")
        .args(["-qec", &format!("'{ZENC}' check '{}' -t argo -q --no-config", small.display()), "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("compiling"));
}

#[test]
fn every_code_explains_itself() {
    for code in zenc::diagnostic::all().map(|l| l.code) {
        let out = zenc(&["explain", code.code]);
        assert_eq!(out.status.code(), Some(0), "{}", code.code);
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.starts_with(&format!("{}[{}]: {}\n", code.severity.name(), code.code, code.summary)), "{text}");
        assert!(text.lines().skip(1).all(|l| l.chars().count() <= 80), "{text}");
    }
    let out = zenc(&["explain", "catchup"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("did you mean `argo-catchup`, `tekton-catchup`, `airflow-catchup-start`, `vertex-catchup`?"),
        "{}",
        stderr(&out)
    );
    let list = String::from_utf8(zenc(&["explain"]).stdout).unwrap();
    assert_eq!(list.lines().count(), zenc::diagnostic::all().count());
    settings().bind(|| {
        insta::assert_snapshot!(
            "explain-argo-catchup",
            String::from_utf8(zenc(&["explain", "argo-catchup"]).stdout).unwrap()
        );
    });
}
