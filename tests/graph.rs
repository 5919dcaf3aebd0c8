//! `zenc graph` through the real binary: a snapshot per format, determinism, hostile step names
//! (`fixtures/ok/injection.yaml`) staying labels, and Graphviz's own parser on the DOT output.

use std::path::Path;
use std::process::{Command, Output, Stdio};

const ZENC: &str = env!("CARGO_BIN_EXE_zenc");
const FIXTURES: &[&str] = &["diamond.json", "manual_full.yaml", "per_step_images.json", "injection.yaml"];

fn graph(fixture: &str, format: &str) -> Output {
    Command::new(ZENC)
        .args(["graph", &format!("fixtures/ok/{fixture}"), "--format", format, "--no-config"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .expect("zenc runs")
}

fn text(fixture: &str, format: &str) -> String {
    let out = graph(fixture, format);
    assert_eq!(out.status.code(), Some(0), "{fixture}: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "graph prints no warnings: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn settings(fixture: &str) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_snapshot_suffix(fixture);
    s.set_input_file(Path::new("fixtures/ok").join(fixture));
    s.set_omit_expression(true);
    s
}

#[test]
fn mermaid_and_dot_snapshots() {
    for fixture in FIXTURES {
        for format in ["mermaid", "dot"] {
            let out = text(fixture, format);
            assert_eq!(out, text(fixture, format), "{fixture}: deterministic");
            settings(fixture).bind(|| insta::assert_snapshot!(format, out));
        }
    }
}

/// The step names of `injection.yaml`, as the graph shows them (control characters escaped).
fn injection_names() -> Vec<String> {
    ["step \"one\"\n{{x}} $(y)", "yes", "null", "0x1F", "\"\"\"python\"\"\"", "{% raw %}.json"]
        .iter()
        .map(|n| n.chars().map(|c| if c.is_control() { c.escape_debug().to_string() } else { c.to_string() }).collect())
        .collect()
}

#[test]
fn mermaid_labels_hold_any_step_name() {
    let out = text("injection.yaml", "mermaid");
    let nodes: Vec<&str> = out.lines().filter(|l| l.trim_start().starts_with('n') && l.contains("[\"")).collect();
    assert_eq!(nodes.len(), 6);
    for (line, name) in nodes.iter().zip(injection_names()) {
        // `nI["label"]`: one quoted label, no quote or bracket inside, decoding to the name.
        let label = line.trim().split_once("[\"").unwrap().1.strip_suffix("\"]").unwrap();
        let without_breaks = label.replace("<br/>", "");
        assert!(!without_breaks.contains(['"', '[', ']', '<', '>', '`', '%', '\n']), "{line}");
        let first = label.split("<br/>").next().unwrap();
        assert_eq!(decode_mermaid(first), name, "{line}");
    }
    let edges = out.lines().filter(|l| l.contains("-->")).count();
    assert_eq!(edges, 5);
}

fn decode_mermaid(label: &str) -> String {
    let mut out = String::new();
    let mut rest = label;
    while let Some(i) = rest.find('#') {
        out.push_str(&rest[..i]);
        let end = i + rest[i..].find(';').unwrap();
        out.push(char::from_u32(rest[i + 1..end].parse().unwrap()).unwrap());
        rest = &rest[end + 1..];
    }
    out + rest
}

/// A DOT double-quoted string as Graphviz reads a label: `\"` is a quote, `\\` a backslash,
/// `\n` a line break.
fn decode_dot(quoted: &str) -> Vec<String> {
    let inner = quoted.strip_prefix('"').and_then(|q| q.strip_suffix('"')).unwrap_or(quoted);
    let (mut lines, mut line) = (Vec::new(), String::new());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n') => lines.push(std::mem::take(&mut line)),
                Some(other) => line.push(other),
                None => panic!("dangling backslash in {quoted}"),
            },
            (c, false) => line.push(c),
        }
    }
    lines.push(line);
    lines
}

#[test]
fn graphviz_parses_the_dot_output() {
    if Command::new("dot").arg("-V").output().is_err() {
        // CI installs graphviz (.ci/run); a machine without it skips, saying so.
        eprintln!("skipped: Graphviz `dot` is not installed");
        return;
    }
    for fixture in FIXTURES {
        let dot_file = std::env::temp_dir().join(format!("zenc-graph-{}-{fixture}.dot", std::process::id()));
        std::fs::write(&dot_file, text(fixture, "dot")).unwrap();
        // `-Tplain`: one `node NAME x y w h LABEL …` line per node, `edge TAIL HEAD …` per edge.
        let out = Command::new("dot").arg("-Tplain").arg(&dot_file).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && stderr.is_empty(), "{fixture}: {stderr}");
        let plain = String::from_utf8(out.stdout).unwrap();
        let nodes: Vec<&str> = plain.lines().filter(|l| l.starts_with("node n")).collect();
        let edges = plain.lines().filter(|l| l.starts_with("edge ")).count();
        let mermaid = text(fixture, "mermaid");
        assert_eq!(nodes.len(), mermaid.lines().filter(|l| l.contains("[\"") && !l.contains("legend")).count());
        assert_eq!(edges, mermaid.lines().filter(|l| l.contains("-->")).count(), "{fixture}");
        if *fixture == "injection.yaml" {
            for (line, name) in nodes.iter().zip(injection_names()) {
                // The label is the 7th field; it is quoted when it has spaces or specials.
                let label = plain_field(line, 6);
                assert_eq!(decode_dot(&label)[0], name, "{line}");
            }
        }
    }
}

/// Field `n` of a `-Tplain` line, where quoted fields may contain spaces and `\"`.
fn plain_field(line: &str, n: usize) -> String {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    while chars.peek().is_some() {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            field.push(chars.next().unwrap());
            while let Some(c) = chars.next() {
                field.push(c);
                if c == '\\' {
                    field.push(chars.next().unwrap());
                } else if c == '"' {
                    break;
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ' ' {
                    break;
                }
                field.push(c);
                chars.next();
            }
        }
        fields.push(field);
    }
    fields[n].clone()
}

/// Mermaid's own parser, when a directory with `npm install mermaid@11 jsdom` is named by
/// `ZENC_MERMAID_DIR` (not in CI: it is 130 npm packages): the hostile names are one node each,
/// their labels decode to the names, and the edges are the pipeline's.
#[test]
fn mermaid_parses_the_mermaid_output() {
    let Some(dir) = std::env::var_os("ZENC_MERMAID_DIR").map(std::path::PathBuf::from) else {
        eprintln!("skipped: set ZENC_MERMAID_DIR to a directory with `npm install mermaid@11 jsdom`");
        return;
    };
    let script = dir.join("zenc_mermaid_parse.mjs");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/graph/mermaid_parse.mjs"), &script).unwrap();
    for fixture in FIXTURES {
        let file = std::env::temp_dir().join(format!("zenc-graph-{}-{fixture}.mmd", std::process::id()));
        let mermaid = text(fixture, "mermaid");
        std::fs::write(&file, &mermaid).unwrap();
        let out = Command::new("node").arg(&script).arg(&file).output().expect("node runs");
        assert!(out.status.success(), "{fixture}: {}", String::from_utf8_lossy(&out.stderr));
        let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(parsed["type"], "flowchart-v2");
        let nodes = parsed["nodes"].as_array().unwrap();
        let steps = mermaid.lines().filter(|l| l.trim_start().starts_with('n') && l.contains("[\"")).count();
        assert_eq!(nodes.len(), steps + 1, "{fixture}: the steps and the legend, nothing injected");
        assert_eq!(parsed["edges"], mermaid.lines().filter(|l| l.contains("-->")).count());
        if *fixture == "injection.yaml" {
            for (node, name) in nodes.iter().skip(1).zip(injection_names()) {
                let label = node[1].as_str().unwrap();
                assert_eq!(label.split("<br>").next().unwrap(), name);
            }
        }
    }
}
