//! The container environment as Kubernetes `EnvVar`s, and the escaping that carries a literal
//! past Kubernetes' `$(VAR)` expansion and an engine's own substitution.

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::ir::{EnvValue, Step};

/// Makes a literal survive Kubernetes' `$(VAR)` expansion of env values, command and args:
/// Kubernetes turns `$$` into `$` and leaves every other `$` alone, so doubling each `$` gives
/// back exactly the input (kubernetes `third_party/forked/golang/expansion/expand.go`).
pub fn escape_dollars(s: &str) -> String {
    if !s.contains('$') {
        return s.to_string();
    }
    s.replace('$', "$$")
}

/// `protect_braces(&escape_dollars(s))` without copying the text twice.
pub fn escape_literal(s: &str) -> String {
    let escaped = escape_dollars(s);
    if escaped.contains("{{") {
        protect_braces(&escaped)
    } else {
        escaped
    }
}

/// Holds a single `{`: a literal `{{` is written `$(ZENC_LBRACE){` so Argo (directly, or under
/// Kubeflow Pipelines) never sees `{{`, and Kubernetes' own `$(VAR)` expansion puts the brace
/// back in the container.
pub const LBRACE: Carrier = Carrier { var: "ZENC_LBRACE", value: "{" };

/// Rewrites every `{` that starts a `{{` as `$(ZENC_LBRACE)`, so the text has no `{{` left.
pub fn protect_braces(s: &str) -> String {
    // Nearly every value has no `{{`: copy it whole.
    if !s.contains("{{") {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '{' && chars.peek() == Some(&'{') {
            // An odd run of `$` before it would swallow our `$(` as `$$(`: Kubernetes reads
            // `$` + `{` as a plain `$`, so write that `$` as `$$`.
            if out.chars().rev().take_while(|&d| d == '$').count() % 2 == 1 {
                out.push('$');
            }
            out.push_str("$(");
            out.push_str(LBRACE.var);
            out.push(')');
        } else {
            out.push(c);
        }
    }
    out
}

/// A variable zenc adds to a container to carry one character past an engine's substitution:
/// the escaped text says `$(VAR)`, which only Kubernetes expands, after the engine is done.
#[derive(Debug, Clone, Copy)]
pub struct Carrier {
    pub var: &'static str,
    pub value: &'static str,
}

impl Carrier {
    /// A step variable of the carrier's name would be shadowed: refuse it. `purpose` ends the
    /// help line (``zenc reserves `VAR` to carry <purpose>``).
    pub fn reserve(&self, s: &Step, engine: &'static str, purpose: &str) -> Result<()> {
        if s.env().iter().all(|e| e.name() != self.var) {
            return Ok(());
        }
        Err(Error::new(ErrorKind::Unsupported {
            engine,
            what: format!("an environment variable named `{}` in step `{}`", self.var, s.name()),
            help: format!("zenc reserves `{}` to carry {purpose}; rename the variable", self.var),
        })
        .at(s.path()))
    }

    /// When a value refers to the carrier, its variable goes first in `env`, so that every
    /// later env value and the command line can refer to it.
    pub fn add_if_used<'a>(&self, env: &mut Vec<EnvEntry>, argv: impl IntoIterator<Item = &'a String>) {
        let reference = format!("$({})", self.var);
        let used = argv.into_iter().any(|v| v.contains(&reference))
            || env.iter().filter_map(|e| e.value.as_ref()).any(|v| v.contains(&reference));
        if used {
            env.insert(0, EnvEntry::literal(self.var, self.value));
        }
    }
}

/// One `EnvVar` of a container.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvEntry {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(rename = "valueFrom", skip_serializing_if = "Option::is_none")]
    pub value_from: Option<Value>,
}

impl EnvEntry {
    pub fn literal(name: impl Into<String>, value: impl Into<String>) -> EnvEntry {
        EnvEntry { name: name.into(), value: Some(value.into()), value_from: None }
    }
}

/// How an engine writes each kind of env value.
pub trait EnvText {
    /// A literal that must reach the container unchanged.
    fn literal(&self, s: &str) -> String;
    /// A Kubernetes-native literal from pod settings (`$(VAR)` intended).
    fn native(&self, s: &str) -> String;
    /// The engine's run-id expression.
    fn run_id(&self) -> String;
}

/// The step's environment as Kubernetes `EnvVar`s.
pub fn env_entries(step: &Step, text: &dyn EnvText) -> Vec<EnvEntry> {
    step.env()
        .iter()
        .map(|e| {
            let (value, value_from) = match e.value() {
                EnvValue::Literal(s) => (Some(text.literal(s)), None),
                EnvValue::Kubernetes(s) => (Some(text.native(s)), None),
                EnvValue::RunId => (Some(text.run_id()), None),
                EnvValue::Secret { name, key } => {
                    (None, Some(serde_json::json!({"secretKeyRef": {"name": name, "key": key}})))
                }
                EnvValue::ValueFrom(v) => (None, Some(v.clone())),
            };
            EnvEntry { name: e.name().to_string(), value, value_from }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::substitute::kubelet_expand;

    #[test]
    fn braces_never_survive_as_double() {
        for s in ["{{workflow.name}}", "{{{x}}}", "{{", "a{b{{c", "{ {", "}}"] {
            let out = protect_braces(s);
            assert!(!out.contains("{{"), "{s} -> {out}");
            assert_eq!(out.replace("$(ZENC_LBRACE)", "{"), s);
        }
        assert_eq!(protect_braces("{x}"), "{x}");
    }

    #[test]
    fn escape_literal_is_dollars_then_braces() {
        for s in ["", "plain", "$x", "{{x}}", "${{x}}", "$${{", "{x}", "a$b{{c}}$"] {
            assert_eq!(escape_literal(s), protect_braces(&escape_dollars(s)), "{s}");
        }
    }

    /// Every string of up to `len` characters of `alphabet`.
    fn all_strings(alphabet: &[char], len: usize) -> Vec<String> {
        let mut all = vec![String::new()];
        let mut last = all.clone();
        for _ in 0..len {
            last = last.iter().flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}"))).collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    #[test]
    fn fast_paths_agree_with_the_character_scan_on_every_short_string() {
        let env = [(LBRACE.var, "{")];
        for s in all_strings(&['$', '{', '}', '(', ')', 'a', '\u{2028}'], 6) {
            let braces = protect_braces(&s);
            assert!(!braces.contains("{{"), "{s:?} -> {braces:?}");
            assert_eq!(kubelet_expand(&braces, &env), kubelet_expand(&s, &[]), "{s:?}");
            if !s.contains("{{") {
                assert_eq!(braces, s);
            }
            let dollars = escape_dollars(&s);
            assert_eq!(kubelet_expand(&dollars, &[]), s, "{s:?}");
            assert_eq!(escape_literal(&s), protect_braces(&dollars), "{s:?}");
            assert_eq!(kubelet_expand(&escape_literal(&s), &env), s, "{s:?}");
        }
    }

    #[test]
    fn a_dollar_before_braces_stays_a_dollar() {
        let env = [(LBRACE.var, "{")];
        // Kubernetes-native values (not `$`-escaped): what Kubernetes makes of the original.
        for s in ["${{x}}", "$${{x}}", "$$${{x}}", "a$b{{c}}"] {
            assert_eq!(kubelet_expand(&protect_braces(s), &env), kubelet_expand(s, &[]), "{s}");
        }
    }
}
