//! Airflow renders every templated operator argument with Jinja, once: the escaping that
//! makes a string come out of that rendering unchanged.

use crate::backend::k8s;

/// Suffixes that make Airflow read a templated string as a template *file* name when they are
/// in an operator's `template_ext` (apache/airflow#16922). The KPO of cncf.kubernetes 10.25 has
/// `template_ext = ()`; older providers had `("yml", "yaml", "json")` and other operators add
/// `sql`. `endswith` is not dot-aware, so the suffixes are matched without a dot.
const TEMPLATE_SUFFIXES: &[&str] = &["json", "yaml", "yml", "sql"];

/// Makes `s` come out of Airflow's Jinja rendering unchanged. Jinja starts code at `{{`,
/// `{%` and `{#`, turns `\r\n`/`\r` into `\n` and drops one trailing `\n`; each of those
/// characters is written as a Jinja string expression instead (`{{ '{' }}`), and so is a `{`
/// before one (it would open the expression's `{{`). A string ending
/// in a `template_ext` suffix gets an empty expression appended so it is not read as a file
/// name. Airflow renders once, so the result renders back to `s` exactly.
pub fn protect_jinja(s: &str) -> String {
    // Most strings hold none of those characters: copied whole, not character by character.
    if plain(s) {
        return not_a_file_name(s.to_string());
    }
    protect_each(s)
}

/// Whether `s` holds none of the characters Jinja changes.
fn plain(s: &str) -> bool {
    !s.bytes().any(|b| matches!(b, b'{' | b'\r' | b'\n'))
}

/// `s` with an empty expression appended when it ends in a `template_ext` suffix.
fn not_a_file_name(mut s: String) -> String {
    if TEMPLATE_SUFFIXES.iter().any(|x| s.ends_with(x)) {
        s.push_str("{{ '' }}");
    }
    s
}

/// `protect_jinja`, character by character.
fn protect_each(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        let rest = &s[i + c.len_utf8()..];
        match c {
            // Also before a character written as an expression: `{` + `{{ '\r' }}` is `{{{`.
            '{' if rest.starts_with(['{', '%', '#', '\r']) || rest == "\n" => out.push_str("{{ '{' }}"),
            '\r' => out.push_str("{{ '\\r' }}"),
            '\n' if rest.is_empty() => out.push_str("{{ '\\n' }}"),
            c => out.push(c),
        }
    }
    if TEMPLATE_SUFFIXES.iter().any(|x| out.ends_with(x)) {
        out.push_str("{{ '' }}");
    }
    out
}

/// A ZenML literal in `cmds`/`arguments`/env: survives Kubernetes' `$(VAR)` and Airflow's Jinja.
pub fn literal(s: &str) -> String {
    let escaped = k8s::escape_dollars(s);
    if plain(&escaped) {
        not_a_file_name(escaped)
    } else {
        protect_each(&escaped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Jinja's lexer for Airflow's default environment, reduced to what `protect_jinja`
    /// emits: data, and `{{ '<escaped>' }}` string expressions.
    fn jinja_render(src: &str) -> String {
        let norm = src.replace("\r\n", "\n").replace('\r', "\n");
        let norm = norm.strip_suffix('\n').unwrap_or(&norm);
        let mut out = String::new();
        let mut rest = norm;
        while let Some(i) = rest.find(['{']) {
            let (head, tail) = rest.split_at(i);
            out.push_str(head);
            if let Some(expr) = tail.strip_prefix("{{ '") {
                let end = expr.find("' }}").expect("closed expression");
                out.push_str(&expr[..end].replace("\\r", "\r").replace("\\n", "\n"));
                rest = &expr[end + 4..];
            } else {
                assert!(!tail.starts_with("{{") && !tail.starts_with("{%") && !tail.starts_with("{#"), "{src}");
                out.push('{');
                rest = &tail[1..];
            }
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn jinja_protection_round_trips() {
        for s in [
            "{{ run_id }}",
            "{% if x %}{# c #}{%- endif %}",
            "{{{triple}}}",
            "{",
            "a{b",
            "{{",
            "line1\nline2\r\nline3\r",
            "ends\n",
            "config.json",
            "query.sql",
            "x.yml",
            "",
            "héllo ✓",
            "{\r",
            "a{\r\nb",
            "{\n",
        ] {
            let p = protect_jinja(s);
            assert_eq!(jinja_render(&p), s, "{s:?} -> {p:?}");
            assert!(!TEMPLATE_SUFFIXES.iter().any(|x| p.ends_with(x)), "{p}");
        }
        assert_eq!(protect_jinja("plain text"), "plain text");
        for s in ["$x.json", "a$b", "{{$x}}", "q.sql", "", "x\n"] {
            assert_eq!(literal(s), protect_jinja(&k8s::escape_dollars(s)), "{s:?}");
        }
        assert_eq!(protect_jinja("{{x}}"), "{{ '{' }}{x}}");
    }

    #[test]
    fn fast_paths_agree_with_the_character_scan_on_every_short_string() {
        let alphabet = ['$', '{', '%', '#', '\r', '\n', 's', 'q', 'l', '\u{2028}'];
        let mut all = vec![String::new()];
        let mut last = all.clone();
        for _ in 0..5 {
            last = last.iter().flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}"))).collect();
            all.extend(last.iter().cloned());
        }
        for s in all {
            let p = protect_jinja(&s);
            assert_eq!(p, protect_each(&s), "{s:?}");
            assert_eq!(jinja_render(&p), s, "{s:?} -> {p:?}");
            assert!(!TEMPLATE_SUFFIXES.iter().any(|x| p.ends_with(x)), "{p:?}");
            assert_eq!(literal(&s), protect_jinja(&k8s::escape_dollars(&s)), "{s:?}");
        }
    }
}
