//! Fuzzing: every fixture (`fixtures/ok`, `fixtures/err`), mutated, through the whole compile
//! of every engine. For each input, whatever it is:
//!
//! * reading and validating it returns `Ok` or a user error, never a panic or an internal error;
//! * each engine then compiles it or refuses it with a user error;
//! * on success every output parses (YAML, JSON) and reads back through the engine's own
//!   check (graph, image, command, run id), and compiling again gives the same bytes;
//! * no input takes longer than `ZENC_FUZZ_CASE_SECS` (default 60): a watchdog stops the run.
//!
//! Mutations: byte flips, deletions, duplications and syntax tokens in the text; in the parsed
//! value, strings replaced by hostile ones, huge and negative numbers, wrong types, deleted and
//! duplicated keys and list items, subtrees spliced in from other fixtures, and step-graph edits
//! (cycles, self-loops, unknown upstream steps, many or colliding steps); options (`--kind`,
//! `--airflow-version`, `--flavor`, …) vary too. Inputs are at most `MAX_INPUT` bytes.
//!
//! `cargo test` runs a fixed, seeded budget. Longer runs (README, "Development"):
//! `ZENC_FUZZ_SECS=1800 ZENC_FUZZ_SEED=7 cargo test --release --test fuzz -- --nocapture`
//! (`ZENC_FUZZ_ITERS=N` for a case count). Each distinct failure is saved as a fixture-style
//! reproducer (`<case>.json|yaml` + `<case>.args`) in `target/tmp/fuzz/` (or `$ZENC_FUZZ_OUT`);
//! `current.*` there is the input being compiled, left behind if the process aborts.

// Random numbers and wall-clock times are cast on purpose; the generators and the
// driver loop read best top to bottom.
#![allow(clippy::cast_possible_truncation, clippy::cast_precision_loss, clippy::too_many_lines)]

mod common;

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use zenc::render::Renderer;
use zenc::{load_ir, Engine, Options};

/// Inputs larger than this are not generated: the invariant is about bounded inputs.
const MAX_INPUT: usize = 256 * 1024;
/// Cases of a plain `cargo test` (debug build: about 10 s on the project's machine).
const DEFAULT_ITERS: u64 = 300;
const DEFAULT_SEED: u64 = 0x5eed_2e4c;

/// Failures whose fix is on another branch of issue 8, not yet merged into this one: listed in
/// the report, not failing the test. (text found in the failure, where it is fixed.) An entry
/// goes when its fix is merged, so that from then on the fuzzer guards the fix.
const KNOWN: &[(&str, &str)] = &[];

/// SplitMix64: a tiny, well-mixed generator, so a seed reproduces a run on any platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Strings that have broken compilers like this one: template and substitution syntax of each
/// engine, YAML and Python specials, code-page cookies, non-characters, control characters,
/// dates, durations, quantities, crons, zones, and long names.
#[rustfmt::skip]
fn hostile_strings() -> Vec<String> {
    let mut v: Vec<String> = [
        "", " ", "-", "_", ".", "..", "a", "A", "0", "-1", "1e3", "0x1F", "0o17", "1_000", "NaN", ".inf", "yes", "no",
        "on", "off", "null", "~", "true", "{{", "}}", "{{workflow.uid}}", "{{ run_id }}", "{%", "{#", "{\r", "a{\n", "{{$}}",
        "{{$.inputs.parameters['x']}}", "$(params.x)", "$(context.pipelineRun.uid)", "$(VAR)", "$$", "$", "${HOME}",
        "\"", "'", "\\", "\\n", "\n", "\r\n", "\r", "\t", "\u{0}", "\u{7}", "\u{1b}[31m", "\u{85}", "\u{a0}",
        "\u{2028}", "\u{2029}", "\u{feff}", "\u{fffe}", "\u{ffff}", "\u{1fffe}", "\u{d7ff}", "é", "日本語", "🦀",
        "\u{202e}txt.exe", "---", "...", "#", "# x", "- a", "a: b", "&a", "*a", "<<", "!!python/object:os.system",
        "%YAML 1.1", "@", "`", "|", ">", "? x", "\"\"\"", "'''", "coding=utf-7", "# -*- coding: unicode_escape -*-",
        "__import__('os').system('id')", "\"); import os; os.system(\"id\"); (\"", "</script>", "a b", "A_B.c-d",
        "a/b", "../../etc/passwd", "/dev/null", "UPPER_case", "2030-01-01T00:00:00", "2030-01-01T00:00:00+1é1",
        "2030-01-01T00:00:00+01:00", "+1é1", "+05:30", "Z", ".123456789", "-00:00", "2030-13-45T25:61:61Z",
        "1970-01-01", "9999-12-31T23:59:59.999999999Z", "P1D", "PT6H", "PT0S", "-PT1H", "@daily", "@every 1h",
        "* * * * *", "0 0 * * 7", "61 25 32 13 8", "*/0 * * * *", "0 0 30 2 *", "CRON_TZ=UTC 0 0 * * *",
        "Europe/Paris", "Mars/Olympus", "UTC", "100Gi", "1.5", "0.001", "1e400", "-1Gi", "1Ki", "16GB", "512MiB",
        "1 GB", "kubernetes", "kubeflow", "tekton", "airflow", "vertex", "local", "Allow", "Forbid", "Replace",
        "continue_on_failure", "stop_on_failure", "fail_fast", "nvidia.com/gpu", "ZENML_STORE_API_KEY",
        "ZENML_STORE_PASSWORD", "ZENC_LBRACE", "PATH", "KFP_RUN_ID", "orchestrator.kubernetes", "orchestrator:k8s",
    ]
    .iter()
    .map(std::string::ToString::to_string)
    .collect();
    v.push("a".repeat(64));
    v.push("x".repeat(253));
    v.push("Step_".repeat(40));
    v.push("{{".repeat(50));
    v.push("$(".repeat(50));
    v.push("é".repeat(300));
    v.push("\n".repeat(100));
    v
}

fn hostile_numbers() -> Vec<Value> {
    let mut v: Vec<Value> =
        [0i64, 1, -1, 2, 7, 59, 60, 61, 100, 1000, 10_000, 10_001, 65_535, 86_400, 99_999_999_999_999]
            .iter()
            .map(|&n| Value::from(n))
            .collect();
    v.extend([i64::from(i32::MAX), i64::from(i32::MAX) + 1, i64::from(i32::MIN), i64::MAX, i64::MIN].map(Value::from));
    v.extend([u64::MAX, 1 << 53, (1 << 53) + 1].map(Value::from));
    v.extend([0.5, -0.5, 1e-300, 1e308, -1e308, 0.1 + 0.2, 2.5e9].map(Value::from));
    v
}

/// Text fragments for byte-level insertion: syntax of both formats.
#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "{", "}", "[", "]", ",", ":", "\"", "'", "- ", "\n", "\n  ", "\t", "&a ", "*a", "<<: *a", "!!binary ",
    "!!str ", "? ", "|\n", ">-\n", "#", "null", "1e999", "-0", "99999999999999999999999", "\\u0000", "\\ud800",
    "---\n", "...\n", "%TAG ! x\n", "\u{feff}", "\u{fffe}", "é",
];

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Json,
    Yaml,
}

struct Seed {
    name: String,
    text: String,
    value: Option<Value>,
    format: Format,
    args: Vec<String>,
    /// From `fixtures/ok`.
    valid: bool,
}

fn seeds() -> Vec<Seed> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut paths: Vec<PathBuf> = ["ok", "err"]
        .iter()
        .flat_map(|d| std::fs::read_dir(root.join(d)).unwrap().map(|e| e.unwrap().path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("json" | "yaml")))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            let format = if path.extension().unwrap() == "json" { Format::Json } else { Format::Yaml };
            let value = match format {
                Format::Json => serde_json::from_str(&text).ok(),
                Format::Yaml => serde_yaml::from_str(&text).ok(),
            };
            let valid = path.parent().unwrap().ends_with("ok");
            Seed { name: common::file_name(path), text, value, format, args: common::fixture_args(path), valid }
        })
        .collect()
}

/// One generated input, with the fixture-style flags it is compiled with.
struct Case {
    name: String,
    text: String,
    args: Vec<String>,
    /// Compile a second time and compare the bytes (costs a compile, so not every case).
    twice: bool,
}

#[derive(Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

/// Keys zenc reads (README, "What zenc reads", and the YAML form): mutations go mostly to
/// these and what is below them, not to the many keys of a ZenML export that zenc ignores.
#[rustfmt::skip]
const READ_KEYS: &[&str] = &[
    "id", "name", "snapshot_id", "project_id", "stack_id", "flavor", "flavor_name", "is_dynamic", "images",
    "image", "upstream_steps", "environment", "resources", "retry", "execution_mode", "schedule", "steps",
    "upstream", "command", "args", "pod", "timeout", "parallelism", "service_account", "tags", "cpu_count",
    "memory", "gpu_count", "max_retries", "delay", "backoff", "pod_settings", "node_selectors", "affinity",
    "tolerations", "requests", "limits", "annotations", "labels", "volumes", "volume_mounts", "host_ipc",
    "scheduler_name", "image_pull_secrets", "env", "env_from", "container_security_context",
    "additional_pod_spec_args", "service_account_name", "step_pod_service_account_name", "privileged",
    "active_deadline_seconds", "backoff_limit_margin", "pod_stop_grace_period", "max_parallelism",
    "ttl_seconds_after_finished", "kubernetes_namespace", "concurrency_policy", "starting_deadline_seconds",
    "successful_jobs_history_limit", "failed_jobs_history_limit", "successful_history_limit",
    "failed_history_limit", "cron_expression", "interval_second", "run_once_start_time", "start_time", "end_time",
    "catchup", "active", "cron", "interval", "run_once", "start", "end", "timezone", "parent_image", "skip_build",
    "step_operator", "orchestrator", "description", "docker",
];

/// Every node's path; `read` when the node or one above it is a key zenc reads.
fn paths(v: &Value, at: &mut Vec<Seg>, read: bool, out: &mut Vec<(Vec<Seg>, bool)>) {
    out.push((at.clone(), read));
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                // `orchestrator:<component>` / `orchestrator.<flavor>` settings keys.
                let r = read || READ_KEYS.contains(&k.as_str()) || k.starts_with("orchestrator");
                at.push(Seg::Key(k.clone()));
                paths(child, at, r, out);
                at.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                at.push(Seg::Index(i));
                paths(child, at, read, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn node_mut<'a>(v: &'a mut Value, path: &[Seg]) -> &'a mut Value {
    path.iter().fold(v, |v, seg| match seg {
        Seg::Key(k) => &mut v[k.as_str()],
        Seg::Index(i) => &mut v[*i],
    })
}

fn random_path(rng: &mut Rng, v: &Value) -> Vec<Seg> {
    let mut all = Vec::new();
    paths(v, &mut Vec::new(), false, &mut all);
    let interesting: Vec<&Vec<Seg>> = all.iter().filter(|(_, i)| *i).map(|(p, _)| p).collect();
    if !interesting.is_empty() && !rng.one_in(5) {
        return (*rng.pick(&interesting)).clone();
    }
    rng.pick(&all).0.clone()
}

fn random_leaf(rng: &mut Rng, strings: &[String], numbers: &[Value]) -> Value {
    match rng.below(8) {
        0..=3 => Value::from(rng.pick(strings).clone()),
        4 | 5 => rng.pick(numbers).clone(),
        6 => Value::Bool(rng.one_in(2)),
        _ => Value::Null,
    }
}

/// The step table of either input shape: (names, a way to reach each step's upstream list).
fn step_names(v: &Value) -> Vec<String> {
    if let Some(m) = v.pointer("/metadata/step_configurations").and_then(Value::as_object) {
        return m.keys().cloned().collect();
    }
    v.get("steps")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|s| s.get("name").and_then(Value::as_str).map(str::to_string)).collect())
        .unwrap_or_default()
}

fn step_mut<'a>(v: &'a mut Value, name: &str) -> Option<&'a mut Value> {
    if v.pointer("/metadata/step_configurations").is_some() {
        return v.pointer_mut("/metadata/step_configurations").and_then(|m| m.get_mut(name));
    }
    v.get_mut("steps")?.as_array_mut()?.iter_mut().find(|s| s.get("name").and_then(Value::as_str) == Some(name))
}

/// `v[key]`, making `v` an object first if an earlier mutation made it something else.
fn field<'a>(v: &'a mut Value, key: &str) -> &'a mut Value {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    v.as_object_mut().unwrap().entry(key).or_insert(Value::Null)
}

fn add_upstream(v: &mut Value, step: &str, upstream: &str) {
    let snapshot = v.pointer("/metadata/step_configurations").is_some();
    let Some(s) = step_mut(v, step) else { return };
    let list = if snapshot { field(field(s, "spec"), "upstream_steps") } else { field(s, "upstream") };
    match list {
        Value::Array(a) => a.push(Value::from(upstream)),
        other => *other = Value::from(vec![upstream]),
    }
}

/// A copy of step `from` named `to` (in the snapshot shape also under its config name).
fn clone_step(v: &mut Value, from: &str, to: &str) {
    let Some(mut s) = step_mut(v, from).cloned() else { return };
    if let Some(m) = v.pointer_mut("/metadata/step_configurations").and_then(Value::as_object_mut) {
        if s.pointer("/config/name").is_some() {
            *field(field(&mut s, "config"), "name") = Value::from(to);
        }
        m.insert(to.to_string(), s);
    } else if let Some(a) = v.get_mut("steps").and_then(Value::as_array_mut) {
        *field(&mut s, "name") = Value::from(to);
        a.push(s);
    }
}

fn mutate_graph(rng: &mut Rng, v: &mut Value, strings: &[String]) {
    let names = step_names(v);
    if names.is_empty() {
        return;
    }
    let a = rng.pick(&names).clone();
    let b = rng.pick(&names).clone();
    match rng.below(6) {
        // A cycle through two steps (or a self-loop when a == b).
        0 => {
            add_upstream(v, &a, &b);
            add_upstream(v, &b, &a);
        }
        1 => add_upstream(v, &a, &a),
        2 => {
            let to = rng.pick(strings).clone();
            add_upstream(v, &a, &to);
        }
        // Names that collide once sanitised for an engine, or that need hashing.
        3 => {
            let to = match rng.below(4) {
                0 => a.to_uppercase(),
                1 => a.replace('_', "-"),
                2 => format!("{a}{}", rng.pick(strings)),
                _ => rng.pick(strings).clone(),
            };
            clone_step(v, &a, &to);
            if rng.one_in(2) {
                add_upstream(v, &to, &b);
            }
        }
        // Many steps: a chain or a fan-out from one of the existing steps.
        4 => {
            let n = 2 + rng.below(150);
            let chain = rng.one_in(2);
            let mut prev = a.clone();
            for i in 0..n {
                let to = format!("{a}_{i}");
                clone_step(v, &a, &to);
                add_upstream(v, &to, &prev);
                if chain {
                    prev = to;
                }
            }
        }
        // A long cycle.
        _ => {
            let n = 3 + rng.below(60);
            for i in 0..n {
                clone_step(v, &a, &format!("c{i}"));
            }
            for i in 0..n {
                add_upstream(v, &format!("c{i}"), &format!("c{}", (i + 1) % n));
            }
        }
    }
}

/// Characters for in-place edits: multi-byte ones (byte slicing), separators, signs, digits.
const TWEAK_CHARS: &[char] = &[
    'é', 'ß', '日', '🦀', '\u{fffe}', '\u{0}', '\n', '0', '1', '9', '-', '+', ':', '.', '/', '*', ',', ' ', '_', 'Z',
    'T', 'e', '{', '}', '$', '(', '%', '\'', '"', '\\', '#', '@',
];

fn tweak_string(rng: &mut Rng, s: &mut String) {
    let mut chars: Vec<char> = s.chars().collect();
    for _ in 0..=rng.below(3) {
        let at = rng.below(chars.len() + 1);
        match rng.below(5) {
            0 if at < chars.len() => chars[at] = *rng.pick(TWEAK_CHARS),
            1 if at < chars.len() => {
                chars.remove(at);
            }
            2 => {
                let end = (at + 1 + rng.below(8)).min(chars.len());
                let copy = chars[at..end].to_vec();
                chars.splice(at..at, copy);
            }
            3 => chars.truncate(at),
            _ => chars.insert(at, *rng.pick(TWEAK_CHARS)),
        }
    }
    *s = chars.into_iter().collect();
}

fn tweak_number(rng: &mut Rng, n: &serde_json::Number) -> Value {
    let f = n.as_f64().unwrap_or(0.0);
    let i = n.as_i64().unwrap_or(f as i64);
    match rng.below(8) {
        0 => Value::from(i.wrapping_add(1)),
        1 => Value::from(i.wrapping_sub(1)),
        2 => Value::from(i.wrapping_neg()),
        3 => Value::from(i.saturating_mul(1 << (1 + rng.below(40)))),
        4 => Value::from(f / 3.0),
        5 => Value::from(u64::MAX - rng.below(2) as u64),
        6 => Value::from(n.to_string()),
        _ => Value::from(0),
    }
}

fn mutate_value(rng: &mut Rng, v: &mut Value, donors: &[Seed], strings: &[String], numbers: &[Value]) {
    if rng.one_in(6) {
        return mutate_graph(rng, v, strings);
    }
    let path = random_path(rng, v);
    let node = node_mut(v, &path);
    // Small edits keep a value close to valid, where the parsers of dates, quantities, crons
    // and numeric ranges have their corner cases.
    if rng.one_in(2) {
        match node {
            Value::String(s) => return tweak_string(rng, s),
            Value::Number(n) => return *node = tweak_number(rng, n),
            _ => {}
        }
    }
    match rng.below(10) {
        0 => *node = Value::from(rng.pick(strings).clone()),
        1 => *node = rng.pick(numbers).clone(),
        // Wrong type for what is there.
        2 => {
            *node = match rng.below(5) {
                0 => Value::Null,
                1 => Value::Bool(true),
                2 => Value::Array(vec![node.clone()]),
                3 => Value::Object(Map::from_iter([("x".to_string(), node.clone())])),
                _ => Value::from(node.to_string()),
            }
        }
        // Delete: the key from its object, the item from its list.
        3 => {
            if let Some((last, parent)) = path.split_last() {
                match (node_mut(v, parent), last) {
                    (Value::Object(m), Seg::Key(k)) => {
                        m.remove(k);
                    }
                    (Value::Array(a), Seg::Index(i)) => {
                        a.remove(*i);
                    }
                    _ => {}
                }
            }
        }
        // Duplicate, or add a key with a hostile name.
        4 => match node {
            Value::Array(a) if !a.is_empty() => {
                let item = a[rng.below(a.len())].clone();
                for _ in 0..=rng.below(3) {
                    a.push(item.clone());
                }
            }
            Value::Object(m) => {
                let key = if rng.one_in(2) || m.is_empty() {
                    rng.pick(strings).clone()
                } else {
                    format!("{}{}", m.keys().nth(rng.below(m.len())).unwrap(), rng.pick(strings))
                };
                let value = if !m.is_empty() && rng.one_in(2) {
                    m.values().nth(rng.below(m.len())).unwrap().clone()
                } else {
                    random_leaf(rng, strings, numbers)
                };
                m.insert(key, value);
            }
            _ => *node = random_leaf(rng, strings, numbers),
        },
        // Edit a string in place.
        5 => {
            if let Value::String(s) = node {
                let h = rng.pick(strings);
                match rng.below(3) {
                    0 => s.push_str(h),
                    1 => s.insert_str(0, h),
                    _ => {
                        let cut = s.char_indices().map(|(i, _)| i).nth(rng.below(s.chars().count() + 1));
                        s.insert_str(cut.unwrap_or(s.len()), h);
                    }
                }
            } else {
                *node = Value::from(rng.pick(strings).clone());
            }
        }
        // Splice in a subtree from another fixture.
        6 | 7 => {
            let donor = rng.pick(donors);
            if let Some(d) = &donor.value {
                let p = random_path(rng, d);
                let mut d = d.clone();
                *node = std::mem::take(node_mut(&mut d, &p));
            }
        }
        // Big: a long string, a long list, nesting.
        8 => {
            *node = match rng.below(3) {
                0 => Value::from(rng.pick(strings).repeat(1 + rng.below(2000))),
                1 => Value::Array(vec![node.clone(); 1 + rng.below(200)]),
                _ => (0..=rng.below(100)).fold(node.clone(), |acc, _| Value::Array(vec![acc])),
            }
        }
        _ => *node = random_leaf(rng, strings, numbers),
    }
}

fn mutate_text(rng: &mut Rng, text: &str, strings: &[String]) -> String {
    let mut b = text.as_bytes().to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(b.len() + 1);
        match rng.below(7) {
            0 if !b.is_empty() => {
                let i = at.min(b.len() - 1);
                b[i] ^= 1 << rng.below(8);
            }
            1 => {
                let end = (at + 1 + rng.below(64)).min(b.len());
                b.drain(at..end);
            }
            2 => {
                let end = (at + 1 + rng.below(256)).min(b.len());
                let copy = b[at..end].to_vec();
                b.splice(at..at, copy);
            }
            3 => {
                b.splice(at..at, rng.pick(TOKENS).bytes());
            }
            4 => {
                b.splice(at..at, rng.pick(strings).bytes());
            }
            // Deep nesting: parsers must refuse it, not overflow the stack. (Not deeper: the
            // YAML scanner takes time quadratic in the depth, 0.4 s at 10,000 levels.)
            5 => {
                let open = if rng.one_in(2) { "[" } else { "{\"a\":" };
                b.splice(at..at, open.repeat(1 + rng.below(2_000)).bytes());
            }
            _ => b.truncate(at),
        }
    }
    // zenc reads text: invalid UTF-8 never gets past reading the file.
    String::from_utf8_lossy(&b).into_owned()
}

/// A YAML alias bomb (each level doubles the expanded size).
fn alias_bomb(levels: usize) -> String {
    let mut s = "a0: &a0 [\"lol\", \"lol\"]\n".to_string();
    for i in 1..levels {
        s.push_str(&format!("a{i}: &a{i} [*a{}, *a{}, *a{}, *a{}]\n", i - 1, i - 1, i - 1, i - 1));
    }
    s
}

fn mutate_args(rng: &mut Rng, args: &mut Vec<String>, strings: &[String]) {
    // Values without whitespace: `.args` files split on it.
    let word = |rng: &mut Rng| loop {
        let s = rng.pick(strings);
        if !s.is_empty() && !s.contains(char::is_whitespace) {
            return s.clone();
        }
    };
    match rng.below(9) {
        0 => args.extend(["--kind".into(), "template".into()]),
        1 => args.extend(["--airflow-version".into(), "2".into()]),
        2 => {
            let f = *rng.pick(&["kubernetes", "kubeflow", "tekton", "airflow", "vertex", "sagemaker"]);
            args.extend(["--flavor".into(), f.into()]);
        }
        3 => args.extend(["--timezone".into(), rng.pick(&["Europe/Paris", "UTC", "America/St_Johns"]).to_string()]),
        4 => args.extend(["--image".into(), "registry.example.com/x:1".into()]),
        5 => args.extend(["--namespace".into(), word(rng)]),
        6 => args.extend(["--service-account".into(), word(rng)]),
        7 => args.extend(["--run-id-env".into(), word(rng)]),
        _ => args.push("--no-defaults".into()),
    }
}

fn generate(rng: &mut Rng, seeds: &[Seed], strings: &[String], numbers: &[Value]) -> Case {
    // Mostly valid fixtures: a mutation of a valid input reaches the engines more often.
    let seed = loop {
        let s = rng.pick(seeds);
        if s.valid || rng.one_in(4) {
            break s;
        }
    };
    let mut args = seed.args.clone();
    if rng.one_in(4) {
        mutate_args(rng, &mut args, strings);
    }
    let text = match (&seed.value, rng.below(10)) {
        (Some(v), 0..=7) => {
            let mut v = v.clone();
            for _ in 0..[1, 1, 1, 2, 3][rng.below(5)] {
                mutate_value(rng, &mut v, seeds, strings, numbers);
            }
            let text = match seed.format {
                Format::Json if rng.one_in(2) => serde_json::to_string(&v).unwrap(),
                Format::Json => serde_json::to_string_pretty(&v).unwrap(),
                Format::Yaml => serde_yaml::to_string(&v).unwrap(),
            };
            if rng.one_in(10) {
                mutate_text(rng, &text, strings)
            } else {
                text
            }
        }
        _ if seed.format == Format::Yaml && rng.one_in(8) => format!("{}{}", alias_bomb(3 + rng.below(20)), seed.text),
        _ => mutate_text(rng, &seed.text, strings),
    };
    let text = if text.len() > MAX_INPUT { seed.text.clone() } else { text };
    Case { name: seed.name.clone(), text, args, twice: rng.one_in(8) }
}

/// What broke, in words that group equal bugs (no numbers, no input values).
#[derive(Debug)]
struct Failure {
    signature: String,
    detail: String,
}

fn failure(signature: impl Into<String>, detail: impl Into<String>) -> Failure {
    Failure { signature: signature.into(), detail: detail.into() }
}

/// Compile `case` for every engine and check the invariants. `Ok(None)`: the input was refused;
/// `Ok(Some(n))`: it was valid and `n` engines compiled it.
fn exercise(case: &Case, opts: &Options, renderer: &Renderer) -> Result<Option<usize>, Failure> {
    let (pipeline, warnings) = match load_ir(&case.text, &case.name, &opts.build) {
        Ok(x) => x,
        Err(e) if e.is_internal() => return Err(failure("load: internal error", e.to_string())),
        Err(e) => {
            let _ = e.to_string();
            return Ok(None);
        }
    };
    let mut compiled = 0;
    for &engine in Engine::ALL {
        let mut w = warnings.clone();
        let artifacts = match zenc::compile_ir(&pipeline, &case.name, engine, &opts.engine, renderer, &mut w) {
            Ok(a) => a,
            Err(e) if e.is_internal() => {
                return Err(failure(
                    format!("{}: internal error: {}", engine.name(), shape(&e.to_string())),
                    e.to_string(),
                ))
            }
            Err(e) => {
                let _ = e.to_string();
                continue;
            }
        };
        for a in &artifacts {
            let parsed = if a.suffix.ends_with(".json") {
                serde_json::from_str::<Value>(&a.content).map(drop).map_err(|e| e.to_string())
            } else if a.suffix.ends_with(".yaml") {
                zenc::verify::yaml_documents(&a.content).map(drop).map_err(|e| e.to_string())
            } else {
                Ok(())
            };
            parsed.map_err(|e| failure(format!("{}: {} does not parse", engine.name(), a.suffix), e))?;
        }
        zenc::verify::check(engine, &pipeline, &artifacts).map_err(|e| {
            failure(format!("{}: read-back check: {}", engine.name(), shape(&e.to_string())), e.to_string())
        })?;
        let _ = w.iter().map(ToString::to_string).count();
        if case.twice
            && zenc::compile_ir(&pipeline, &case.name, engine, &opts.engine, renderer, &mut Vec::new()).ok()
                != Some(artifacts)
        {
            return Err(failure(format!("{}: not deterministic", engine.name()), String::new()));
        }
        compiled += 1;
    }
    Ok(Some(compiled))
}

/// The first line of a message without its numbers and quoted values, to group failures.
fn shape(message: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    for c in message.lines().next().unwrap_or_default().chars() {
        match c {
            '`' => {
                quoted = !quoted;
                out.push('`');
            }
            _ if quoted => {}
            '0'..='9' => {
                if !out.ends_with('N') {
                    out.push('N');
                }
            }
            _ => out.push(c),
        }
    }
    out
}

thread_local! {
    /// Set while a case runs: its panic is recorded here instead of printed.
    static IN_CASE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static PANIC: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

fn out_dir() -> PathBuf {
    std::env::var_os("ZENC_FUZZ_OUT").map_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz"), PathBuf::from)
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| v.parse().unwrap_or_else(|_| panic!("{name}={v}: not a number")))
}

/// Save `case` as a fixture-style reproducer `<dir>/<stem>.<ext>` + `.args`.
fn save(dir: &Path, stem: &str, case: &Case) -> PathBuf {
    let ext = Path::new(&case.name).extension().and_then(|e| e.to_str()).unwrap_or("yaml");
    let file = dir.join(format!("{stem}.{ext}"));
    std::fs::write(&file, &case.text).unwrap();
    std::fs::write(dir.join(format!("{stem}.{ext}.args")), format!("# from {}\n{}\n", case.name, case.args.join("\n")))
        .unwrap();
    file
}

#[test]
fn mutated_fixtures_never_crash_any_engine() {
    let seed = env_u64("ZENC_FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    let secs = env_u64("ZENC_FUZZ_SECS");
    let iters = env_u64("ZENC_FUZZ_ITERS").unwrap_or(if secs.is_some() { u64::MAX } else { DEFAULT_ITERS });
    let deadline = secs.map(|s| Instant::now() + Duration::from_secs(s));
    let case_limit = Duration::from_secs(env_u64("ZENC_FUZZ_CASE_SECS").unwrap_or(60));
    let dir = out_dir();
    std::fs::create_dir_all(&dir).unwrap();

    let seeds = seeds();
    let strings = hostile_strings();
    let numbers = hostile_numbers();
    let renderer = Renderer::new(None).unwrap();
    let mut rng = Rng(seed);

    // Panics of a case are caught and recorded, not printed once per case.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !IN_CASE.get() {
            return default_hook(info);
        }
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(std::string::ToString::to_string)
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        PANIC.with(|p| *p.borrow_mut() = Some(format!("panic at {at}: {}", shape(&msg))));
    }));

    // Watchdog: a case running longer than the limit is a hang; the input is in `current.*`.
    let started = Instant::now();
    let case_start = Arc::new(AtomicU64::new(0));
    let busy = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let (case_start, busy, done, dir) = (case_start.clone(), busy.clone(), done.clone(), dir.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let since = started.elapsed().as_millis() as u64 - case_start.load(Ordering::Relaxed);
                if busy.load(Ordering::Relaxed) && since > case_limit.as_millis() as u64 {
                    // Not eprintln!: the test harness would hold it back until the end.
                    use std::io::Write;
                    let _ = writeln!(
                        std::io::stderr(),
                        "fuzz: one input took over {case_limit:?}: see {}/current.*",
                        dir.display()
                    );
                    std::process::exit(1);
                }
            }
        })
    };

    let mut failures: BTreeMap<String, (PathBuf, String, u64)> = BTreeMap::new();
    let (mut cases, mut usage, mut valid, mut outputs) = (0u64, 0u64, 0u64, 0u64);
    let mut slowest = (Duration::ZERO, String::new());
    while cases < iters && deadline.is_none_or(|d| Instant::now() < d) {
        cases += 1;
        let case = generate(&mut rng, &seeds, &strings, &numbers);
        let Ok(opts) = common::options_with(Path::new(&case.name), &case.args) else {
            // A usage error (exit 2): the CLI stops before reading the input.
            usage += 1;
            continue;
        };
        save(&dir, "current", &case);
        case_start.store(started.elapsed().as_millis() as u64, Ordering::Relaxed);
        busy.store(true, Ordering::Relaxed);
        let t = Instant::now();
        IN_CASE.set(true);
        let result = catch_unwind(AssertUnwindSafe(|| exercise(&case, &opts, &renderer)));
        IN_CASE.set(false);
        busy.store(false, Ordering::Relaxed);
        if t.elapsed() > slowest.0 {
            slowest = (t.elapsed(), save(&dir, "slowest", &case).display().to_string());
        }
        let failed = match result {
            Ok(Ok(compiled)) => {
                valid += u64::from(compiled.is_some());
                outputs += compiled.unwrap_or(0) as u64;
                None
            }
            Ok(Err(f)) => Some(f),
            Err(_) => {
                let sig = PANIC.with(|p| p.borrow_mut().take()).unwrap_or_else(|| "panic".into());
                Some(failure(sig, String::new()))
            }
        };
        if let Some(f) = failed {
            let entry = failures.entry(f.signature.clone()).or_insert_with(|| {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                f.signature.hash(&mut h);
                let path = save(&dir, &format!("fail-{:016x}", h.finish()), &case);
                (path, f.detail.chars().take(500).collect(), 0)
            });
            entry.2 += 1;
        }
    }
    done.store(true, Ordering::Relaxed);
    watchdog.join().unwrap();
    let _ = std::panic::take_hook();

    let known = |sig: &str, detail: &str| KNOWN.iter().find(|(text, _)| sig.contains(text) || detail.contains(text));
    let mut report = format!(
        "fuzz: seed {seed:#x}: {cases} inputs ({usage} usage errors, {valid} valid pipelines, {outputs} engine \
         outputs checked), slowest {:?} for {}; {} distinct failures\n",
        slowest.0,
        slowest.1,
        failures.len()
    );
    let mut new = 0;
    for (sig, (path, detail, n)) in &failures {
        let note = if let Some((_, fix)) = known(sig, detail) {
            format!(" (known, fixed in {fix})")
        } else {
            new += 1;
            String::new()
        };
        report.push_str(&format!("  {n:>5}× {sig}{note}\n         {}\n         {detail}\n", path.display()));
    }
    eprintln!("{report}");
    assert!(new == 0, "{report}");
}
