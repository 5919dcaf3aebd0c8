//! Documentation that cannot rot: README's code table is the code tables', every code the
//! sources report is in it, README's command-line examples run, and `--help`, the completions
//! and the man page come from the binary.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use zenc::diagnostic::{self, Severity};

const ZENC: &str = env!("CARGO_BIN_EXE_zenc");
const START: &str =
    "<!-- codes:start: generated from the code tables (src/diagnostic/codes.rs, src/backend/*/codes.rs) -->\n";
const END: &str = "<!-- codes:end -->";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

fn zenc(args: &[&str]) -> Output {
    Command::new(ZENC).args(args).current_dir(root()).stdin(Stdio::null()).output().expect("zenc runs")
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_omit_expression(true);
    s
}

#[test]
fn readme_code_table_is_generated_from_the_code_table() {
    let text = readme();
    let start = text.find(START).expect("README has the codes:start marker") + START.len();
    let end = start + text[start..].find(END).expect("README has the codes:end marker");
    let wanted = diagnostic::markdown_table();
    if text[start..end] == wanted {
        return;
    }
    if std::env::var_os("ZENC_BLESS").is_some() {
        std::fs::write(root().join("README.md"), format!("{}{wanted}{}", &text[..start], &text[end..])).unwrap();
        return;
    }
    panic!("README's code table is stale: run `ZENC_BLESS=1 cargo test --test docs`");
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Every `pub const NAME: Code = Code::<kind>("code", …` in `text`: (NAME, code).
fn code_constants(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices(": Code = Code::") {
        let name = text[..i].rsplit(' ').next().unwrap();
        let rest = &text[i..];
        let lit = &rest[rest.find('"').unwrap() + 1..];
        out.push((name, &lit[..lit.find('"').unwrap()]));
    }
    out
}

/// A code is a constant (`Warning::new(&codes::X, …)`), so an unknown code does not compile.
/// What remains to check: every constant is in its table's `CODES` (else `zenc explain` and
/// README miss it), and every listed code is reported by some source.
#[test]
fn every_code_constant_is_listed_and_used() {
    let files: Vec<(PathBuf, String)> =
        sources(&root().join("src")).into_iter().map(|p| (p.clone(), std::fs::read_to_string(&p).unwrap())).collect();
    let mut defined = BTreeSet::new();
    for (path, text) in &files {
        for (name, code) in code_constants(text) {
            assert!(diagnostic::lookup(code).is_some(), "{}: `{code}` is not in its table's CODES", path.display());
            defined.insert(code);
            // Uses: the constant's name outside its definition and its table.
            let uses: usize = files
                .iter()
                .map(|(_, t)| {
                    t.lines()
                        .filter(|l| !l.contains(": Code = Code::") && !l.contains("pub const CODES"))
                        .map(|l| l.match_indices(name).filter(|(i, _)| is_word(l, *i, name.len())).count())
                        .sum::<usize>()
                })
                .sum();
            assert!(uses > 0, "{}: `{code}` ({name}) is reported nowhere: remove it", path.display());
        }
    }
    let listed: BTreeSet<&str> = diagnostic::all().map(|l| l.code.code).collect();
    assert_eq!(listed, defined, "every listed code is a constant in src/");
}

/// `name` at byte `i` of `line` is a whole identifier.
fn is_word(line: &str, i: usize, len: usize) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    !line[..i].ends_with(ident) && !line[i + len..].starts_with(ident)
}

#[test]
fn every_warning_the_fixtures_produce_is_in_the_table() {
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(root().join("fixtures/ok")).unwrap() {
        let path = entry.unwrap().path();
        if !path.extension().is_some_and(|e| e == "json" || e == "yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let opts = common::options(&path);
        let out = zenc::compile(&text, &common::file_name(&path), zenc::Engine::ALL, &opts).unwrap();
        for w in out.warnings {
            let entry = diagnostic::lookup(w.code)
                .unwrap_or_else(|| panic!("{}: `{}` not in the table", path.display(), w.code));
            assert_eq!(entry.code.severity, Severity::Warning, "{}", w.code);
            if let Some(engine) = entry.engine {
                assert_eq!(w.engine, Some(engine.name()), "`{}` comes from its engine", w.code);
            }
            seen.insert(w.code);
        }
    }
    assert!(seen.len() > 20, "the fixtures exercise many codes: {seen:?}");
}

#[test]
fn readme_names_only_codes_that_exist() {
    let text = readme();
    let engines: Vec<String> = zenc::Engine::ALL.iter().map(|e| format!("{}-", e.name())).collect();
    for token in text.split('`').skip(1).step_by(2) {
        let looks_like_code = engines.iter().any(|e| token.starts_with(e.as_str()))
            && token.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if looks_like_code {
            assert!(diagnostic::lookup(token).is_some(), "README names `{token}`, which is no code");
        }
    }
}

/// README's `sh ci` blocks of the "Command line" section, with the exit status each expects.
fn readme_examples() -> Vec<(String, i32)> {
    let text = readme();
    let start = text.find("\n## Command line\n").expect("README has a Command line section");
    let section = &text[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let mut blocks = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```sh ci") else { continue };
        let exit = info.trim().strip_prefix("exit=").map_or(0, |n| n.parse().unwrap());
        let body: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
        blocks.push((body.join("\n") + "\n", exit));
    }
    blocks
}

#[test]
fn readme_command_line_examples_run() {
    let blocks = readme_examples();
    assert!(blocks.len() >= 8, "README's command-line section has its examples: {}", blocks.len());
    let dir = std::env::temp_dir().join(format!("zenc-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(root().join("fixtures/ok/diamond.json"), dir.join("snapshot.json")).unwrap();
    std::fs::copy(root().join("fixtures/ok/schedule_cron.json"), dir.join("scheduled.json")).unwrap();
    let bin = Path::new(ZENC).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    for (block, exit) in blocks {
        let out = Command::new("bash")
            .args(["-euo", "pipefail", "-c", &block])
            .current_dir(&dir)
            .env("PATH", &path)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(exit),
            "README example:\n{block}\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(dir.join("deploy/pipeline.argo.yaml").is_file() && dir.join("pipeline.mmd").is_file());
}

#[test]
fn help_shows_examples_and_exit_statuses() {
    let mut shown = String::new();
    for args in [&["--help"][..], &["compile", "--help"], &["graph", "--help"]] {
        let out = zenc(args);
        assert_eq!(out.status.code(), Some(0));
        shown.push_str(&format!("=== zenc {}\n{}", args.join(" "), String::from_utf8(out.stdout).unwrap()));
    }
    assert!(shown.contains("Exit status:\n  0  success") && shown.contains("  3  compile --check"));
    settings().bind(|| insta::assert_snapshot!("help", shown));
}

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = zenc(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        for word in ["compile", "graph", "explain", "message-format", "deny-warnings"] {
            assert!(script.contains(word), "{shell} completes `{word}`");
        }
    }
    // bash loads it and registers a completion for `zenc`.
    let script = String::from_utf8(zenc(&["completions", "bash"]).stdout).unwrap();
    let file = std::env::temp_dir().join(format!("zenc-{}.bash", std::process::id()));
    std::fs::write(&file, script).unwrap();
    let out = Command::new("bash").args(["-c", &format!("source '{}' && complete -p zenc", file.display())]).output();
    if let Ok(out) = out {
        assert!(String::from_utf8_lossy(&out.stdout).contains("zenc"), "{}", String::from_utf8_lossy(&out.stderr));
    }
    for (shell, check) in [("zsh", &["-n"][..]), ("fish", &["--no-execute"])] {
        let script = zenc(&["completions", shell]).stdout;
        let file = std::env::temp_dir().join(format!("zenc-{}.{shell}", std::process::id()));
        std::fs::write(&file, script).unwrap();
        match Command::new(shell).args(check).arg(&file).output() {
            Ok(out) => assert!(out.status.success(), "{shell}: {}", String::from_utf8_lossy(&out.stderr)),
            Err(_) => eprintln!("skipped: no {shell} to check its completion script"),
        }
    }
}

#[test]
fn the_man_page_has_the_sections_and_groff_reads_it() {
    let out = zenc(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    let page = String::from_utf8(out.stdout).unwrap();
    for section in ["NAME", "SYNOPSIS", "OPTIONS", "SUBCOMMANDS", "\"EXIT STATUS\"", "\"EXAMPLES\"", "\"FILES\""] {
        assert!(page.contains(&format!(".SH {section}")), "{section}:\n{page}");
    }
    assert!(page.contains("compile \\-\\-check: an output file is out of date"), "{page}");
    let file = std::env::temp_dir().join(format!("zenc-{}.1", std::process::id()));
    std::fs::write(&file, &page).unwrap();
    match Command::new("groff").args(["-man", "-Tutf8", "-ww", "-z"]).arg(&file).output() {
        Ok(out) => assert!(out.status.success() && out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr)),
        Err(_) => eprintln!("skipped: no groff to read the page"),
    }
    let dir = std::env::temp_dir().join(format!("zenc-man-{}", std::process::id()));
    assert_eq!(zenc(&["man", "--out-dir", dir.to_str().unwrap()]).status.code(), Some(0));
    for name in ["zenc.1", "zenc-compile.1", "zenc-check.1", "zenc-graph.1", "zenc-explain.1", "zenc-config.1"] {
        assert!(dir.join(name).is_file(), "{name}");
    }
    assert_eq!(std::fs::read_to_string(dir.join("zenc.1")).unwrap(), page);
}
