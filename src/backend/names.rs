//! Deterministic, collision-free engine names derived from step and pipeline names.
//!
//! A name is lower-cased and every run of characters outside the allowed set becomes one
//! `-`. When that changes nothing, the name is kept. When two names would collide, or a name
//! has to be cut to fit the length budget, the changed ones get `-` + six hex characters of
//! a hash of the *original* name, so the result depends only on the input.

use rustc_hash::{FxBuildHasher, FxHashMap};

use crate::error::{Error, ErrorKind, Result};
use crate::ir::{Pipeline, Step};

/// What one engine accepts for one kind of name.
#[derive(Debug, Clone, Copy)]
pub struct NameRule {
    /// Longest allowed name.
    pub max_len: usize,
    /// The first character must be a letter (Argo DAG tasks, Tekton-derived labels).
    pub start_letter: bool,
    /// Keep `.` (Kubernetes subdomain names) instead of turning it into `-`.
    pub allow_dots: bool,
    /// Keep `_` (Airflow ids).
    pub allow_underscore: bool,
    /// Keep upper case (Airflow ids).
    pub allow_upper: bool,
}

impl NameRule {
    /// A DNS-1123 label of at most `max_len` characters.
    pub const fn dns_label(max_len: usize) -> NameRule {
        NameRule { max_len, start_letter: false, allow_dots: false, allow_underscore: false, allow_upper: false }
    }

    fn allowed(&self, c: char) -> bool {
        c.is_ascii_lowercase()
            || c.is_ascii_digit()
            || (self.allow_upper && c.is_ascii_uppercase())
            || (self.allow_dots && c == '.')
            || (self.allow_underscore && c == '_')
    }
}

const HASH_LEN: usize = 6;

/// FNV-1a, 64 bit: tiny, stable across platforms and releases.
pub fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Six hex characters of [`fnv1a`].
pub fn short_hash(s: &str) -> String {
    format!("{:06x}", fnv1a(s) >> 40)
}

/// The plain transformation, before any budget or collision handling.
fn base(name: &str, rule: &NameRule) -> String {
    // The usual name is already valid: the loop below would copy it unchanged.
    let valid = name
        .starts_with(|c: char| if rule.start_letter { c.is_ascii_alphabetic() } else { c.is_ascii_alphanumeric() })
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(|c| rule.allowed(c))
        && !name.contains("..");
    if valid {
        return name.to_string();
    }
    // Byte by byte: every allowed character is ASCII, so each byte of a multi-byte character
    // is outside the set and its run becomes one `-`, as the character would.
    let mut out = String::with_capacity(name.len());
    let mut last = 0u8;
    for &b in name.as_bytes() {
        let b = if rule.allow_upper { b } else { b.to_ascii_lowercase() };
        if b.is_ascii() && rule.allowed(char::from(b)) {
            // `..` is never valid (an empty DNS label; Airflow rejects it in ids).
            if b == b'.' && last == b'.' {
                out.push('-');
            }
            out.push(char::from(b));
            last = b;
        } else if last != b'-' {
            out.push('-');
            last = b'-';
        }
    }
    let end = out.trim_end_matches(|c: char| !c.is_ascii_alphanumeric()).len();
    out.truncate(end);
    let start = end - out.trim_start_matches(|c: char| !c.is_ascii_alphanumeric()).len();
    out.drain(..start);
    if out.is_empty() {
        out.push('x');
    }
    if rule.start_letter && !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert_str(0, "s-");
    }
    out
}

fn with_hash(stem: &str, original: &str, rule: &NameRule) -> String {
    let keep = rule.max_len.saturating_sub(HASH_LEN + 1);
    let mut cut: String = stem.chars().take(keep).collect();
    while cut.ends_with(|c: char| !c.is_ascii_alphanumeric()) {
        cut.pop();
    }
    if cut.is_empty() {
        cut.push('x');
    }
    format!("{cut}-{}", short_hash(original))
}

/// One name on its own (a pipeline or object name): cut with a hash when too long.
pub fn sanitize(name: &str, rule: &NameRule) -> String {
    let b = base(name, rule);
    if b.len() > rule.max_len {
        with_hash(&b, name, rule)
    } else {
        b
    }
}

/// Kubernetes label-value syntax: empty, or at most 63 of `[-_.A-Za-z0-9]`, starting and
/// ending with a letter or digit.
pub fn is_label_value(s: &str) -> bool {
    s.is_empty()
        || (s.len() <= 63
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.ends_with(|c: char| c.is_ascii_alphanumeric()))
}

/// `s` as a label value, the same for every engine: kept when already valid; otherwise every
/// run of other characters becomes `-`, the text is cut to leave room, and `-` plus six hex
/// characters of a hash of `s` is appended — so two different names do not share a value.
pub fn label_value(s: &str) -> String {
    if is_label_value(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || "-_.".contains(c) {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let keep = 63 - (HASH_LEN + 1);
    let cut: String = out.trim_start_matches(|c: char| !c.is_ascii_alphanumeric()).chars().take(keep).collect();
    let cut = cut.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
    if cut.is_empty() {
        short_hash(s)
    } else {
        format!("{cut}-{}", short_hash(s))
    }
}

/// Names for a set of inputs (step names), unique among themselves and distinct from
/// `reserved`. An input whose name is already valid keeps it.
pub fn assign(originals: &[&str], rule: &NameRule, reserved: &[&str], engine: &'static str) -> Result<Vec<String>> {
    let bases: Vec<String> = originals.iter().map(|o| base(o, rule)).collect();
    let mut counts: FxHashMap<&str, usize> = FxHashMap::with_capacity_and_hasher(bases.len(), FxBuildHasher);
    for b in &bases {
        *counts.entry(b.as_str()).or_default() += 1;
    }
    let shared = counts.values().any(|&c| c > 1);
    let hashed: Vec<bool> = originals
        .iter()
        .zip(&bases)
        .map(|(orig, b)| {
            let collides = counts[b.as_str()] > 1;
            let exact = *orig == b.as_str();
            b.len() > rule.max_len || reserved.contains(&b.as_str()) || (collides && !exact)
        })
        .collect();
    drop(counts);
    let any_hashed = hashed.contains(&true);
    let out: Vec<String> = bases
        .into_iter()
        .zip(&hashed)
        .zip(originals)
        .map(|((b, &h), orig)| if h { with_hash(&b, orig, rule) } else { b })
        .collect();
    // Unchanged, pairwise different bases, none reserved (those are hashed): nothing to check.
    if !any_hashed && !shared {
        return Ok(out);
    }
    // A hash collision, or a hashed name equal to another input's plain name: refuse.
    let mut seen: FxHashMap<&str, usize> = FxHashMap::with_capacity_and_hasher(out.len(), FxBuildHasher);
    for (i, name) in out.iter().enumerate() {
        if let Some(&j) = seen.get(name.as_str()) {
            return Err(Error::new(ErrorKind::NameCollision {
                engine,
                first: originals[j].to_string(),
                second: originals[i].to_string(),
                name: name.clone(),
            }));
        }
        if reserved.contains(&name.as_str()) {
            return Err(Error::new(ErrorKind::NameCollision {
                engine,
                first: originals[i].to_string(),
                second: name.clone(),
                name: name.clone(),
            }));
        }
        seen.insert(name, i);
    }
    Ok(out)
}

/// The engine names of a pipeline's steps (`assign` over them), in step order, and of each
/// step's upstream steps.
#[derive(Debug)]
pub struct StepNames<'a> {
    names: Vec<String>,
    /// Step name → index.
    index: FxHashMap<&'a str, usize>,
}

impl<'a> StepNames<'a> {
    pub fn assign(p: &'a Pipeline, rule: &NameRule, reserved: &[&str], engine: &'static str) -> Result<StepNames<'a>> {
        let originals: Vec<&str> = p.steps().iter().map(Step::name).collect();
        let names = assign(&originals, rule, reserved, engine)?;
        let mut index = FxHashMap::with_capacity_and_hasher(originals.len(), FxBuildHasher);
        index.extend(originals.iter().enumerate().map(|(i, n)| (*n, i)));
        Ok(StepNames { names, index })
    }

    /// One name per step, in step order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The names, no longer needed for upstream lookups.
    pub fn into_names(self) -> Vec<String> {
        self.names
    }

    /// The engine names of the steps `s` waits for.
    pub fn upstream(&self, s: &Step) -> Vec<String> {
        self.upstream_indices(s).map(|u| self.names[u].clone()).collect()
    }

    /// The indices of the steps `s` waits for.
    pub fn upstream_indices<'s>(&'s self, s: &'s Step) -> impl ExactSizeIterator<Item = usize> + 's {
        s.upstream().iter().map(|u| self.index[u.as_str()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LABEL: NameRule = NameRule::dns_label(63);

    #[test]
    fn valid_names_are_kept() {
        assert_eq!(assign(&["load-data", "x", "a1"], &LABEL, &[], "t").unwrap(), ["load-data", "x", "a1"]);
    }

    #[test]
    fn invalid_characters_become_dashes() {
        assert_eq!(sanitize("Load_Data", &LABEL), "load-data");
        assert_eq!(sanitize("step.with.dots", &LABEL), "step-with-dots");
        assert_eq!(sanitize("trailing_underscore_", &LABEL), "trailing-underscore");
        assert_eq!(sanitize("__", &LABEL), "x");
        assert_eq!(sanitize("héllo wörld", &LABEL), "h-llo-w-rld");
        let dotted = NameRule { allow_dots: true, ..LABEL };
        assert_eq!(sanitize("a..b", &dotted), "a.-.b");
        assert_eq!(sanitize("a...b", &dotted), "a.-.-.b");
        let rule = NameRule { start_letter: true, ..LABEL };
        assert_eq!(sanitize("1_starts_with_digit", &rule), "s-1-starts-with-digit");
    }

    #[test]
    fn collisions_get_stable_hashes_and_exact_names_win() {
        let names = ["preprocess_data", "Preprocess_Data", "preprocess-data", "PREPROCESS-DATA"];
        let out = assign(&names, &LABEL, &[], "t").unwrap();
        assert_eq!(out[2], "preprocess-data");
        for (o, n) in names.iter().zip(&out).filter(|(o, _)| **o != "preprocess-data") {
            assert_eq!(*n, format!("preprocess-data-{}", short_hash(o)));
        }
        // Same input, same output; and a name does not depend on unrelated steps.
        assert_eq!(out, assign(&names, &LABEL, &[], "t").unwrap());
    }

    #[test]
    fn long_names_are_cut_with_a_hash() {
        let a = "a_very_long_step_name_that_clearly_exceeds_the_kubernetes_limit_of_63_chars";
        let b = "a_very_long_step_name_that_clearly_exceeds_the_kubernetes_limit_of_63_chars_v2";
        let out = assign(&[a, b], &LABEL, &[], "t").unwrap();
        assert!(out.iter().all(|n| n.len() <= 63));
        assert_ne!(out[0], out[1]);
        assert!(out[0].ends_with(&short_hash(a)));
    }

    #[test]
    fn reserved_names_are_avoided() {
        let out = assign(&["main", "other"], &LABEL, &["main"], "t").unwrap();
        assert_eq!(out[0], format!("main-{}", short_hash("main")));
        assert_eq!(out[1], "other");
    }

    #[test]
    fn label_values_are_valid_and_stable() {
        for kept in ["train_and_evaluate", "Load.Data-2", "0b9bd5a0-4c61-4a8b-9f5b-2d1f6f0c7a11", "", "x"] {
            assert_eq!(label_value(kept), kept);
        }
        assert_eq!(label_value("my pipeline"), format!("my-pipeline-{}", short_hash("my pipeline")));
        assert_eq!(label_value("__x__"), format!("x-{}", short_hash("__x__")));
        assert_eq!(label_value("ünïcode"), format!("n-code-{}", short_hash("ünïcode")));
        assert_eq!(label_value("***"), short_hash("***"));
        let long = "a".repeat(64);
        assert_eq!(label_value(&long), format!("{}-{}", "a".repeat(56), short_hash(&long)));
        // Names that sanitise alike stay apart.
        assert_ne!(label_value("a b"), label_value("a/b"));
        for s in ["my pipeline", "__x__", "ünïcode", "***", &long, "{{x}}", "$(params.x)", "a.-", "-"] {
            let v = label_value(s);
            assert!(is_label_value(&v) && !v.is_empty(), "{s} -> {v}");
            assert_eq!(v, label_value(s));
        }
    }

    /// `base` as it was written first, a character at a time.
    fn base_by_chars(name: &str, rule: &NameRule) -> String {
        let mut out = String::new();
        for c in name.chars() {
            let c = if rule.allow_upper { c } else { c.to_ascii_lowercase() };
            if rule.allowed(c) {
                if c == '.' && out.ends_with('.') {
                    out.push('-');
                }
                out.push(c);
            } else if !out.ends_with('-') {
                out.push('-');
            }
        }
        let out = out.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        let out = if out.is_empty() { "x".to_string() } else { out.to_string() };
        if rule.start_letter && !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
            format!("s-{out}")
        } else {
            out
        }
    }

    #[test]
    fn base_reads_bytes_as_characters_would_be_read() {
        let rules = [
            LABEL,
            NameRule { start_letter: true, ..LABEL },
            NameRule { allow_dots: true, ..LABEL },
            NameRule { allow_underscore: true, allow_upper: true, allow_dots: true, ..LABEL },
        ];
        let names = [
            "step_000123",
            "Load_Data",
            "héllo wörld",
            "ÄÖÜ",
            "a..b",
            "a...b",
            ".a.",
            "É.É",
            "1x",
            "__",
            "",
            "-a-",
            "a\u{2028}b",
            "ǅx",
            "_Ab.c_",
            "日本語_step",
            "a\u{0}b",
            "K\u{212a}",
            "Ω..ω",
        ];
        for rule in &rules {
            for name in names {
                assert_eq!(base(name, rule), base_by_chars(name, rule), "{name:?}");
            }
        }
    }

    #[test]
    fn hash_is_stable() {
        assert_eq!(short_hash("preprocess_data"), short_hash("preprocess_data"));
        assert_eq!(short_hash(""), "cbf29c");
    }
}
