//! Tekton's `$(…)` substitution, and the escaping that carries a literal past it.

use super::RUN_ID;
use crate::backend::k8s::{Carrier, EnvText};

/// Holds a single `$`: a literal `$(` is written `$(ZENC_DOLLAR)(`, which Tekton leaves alone
/// (not one of its prefixes) and Kubernetes' own `$(VAR)` expansion turns back into `$(`.
pub const DOLLAR: Carrier = Carrier { var: "ZENC_DOLLAR", value: "$" };
/// Prefixes Tekton substitutes or validates inside `$(…)`; anything else is left for Kubernetes
/// (tektoncd/pipeline `pkg/substitution`, `pkg/apis/pipeline/v1/*_validation.go`).
const TEKTON_PREFIXES: &[&str] =
    &["params", "context", "tasks", "finally", "workspaces", "results", "steps", "step", "credentials"];

/// Escaping for Tekton steps: `$` for Kubernetes, `$(` through `ZENC_DOLLAR`.
pub struct TektonText;

impl EnvText for TektonText {
    fn literal(&self, s: &str) -> String {
        escape_literal(s)
    }
    fn native(&self, s: &str) -> String {
        // `$(VAR)` is meant for Kubernetes; `task::lower` refuses Tekton's own prefixes here.
        s.to_string()
    }
    fn run_id(&self) -> String {
        RUN_ID.to_string()
    }
}

/// Makes a literal survive Tekton's `$(…)` replacement and then Kubernetes' `$(VAR)` expansion:
/// a `$` before `(` becomes `$(ZENC_DOLLAR)` (Tekton sees no `$(` of its own, Kubernetes puts
/// the `$` back), every other `$` becomes `$$` (Kubernetes turns it back into `$`). Tekton's
/// `strings.Replacer` has no escape of its own: `$$(params.x)` would still be replaced.
pub fn escape_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
        } else if chars.peek() == Some(&'(') {
            out.push_str("$(");
            out.push_str(DOLLAR.var);
            out.push(')');
        } else {
            out.push_str("$$");
        }
    }
    out
}

/// The first `$(…)` in `s` that Tekton would substitute or validate, if any.
pub fn tekton_reference(s: &str) -> Option<&str> {
    let mut rest = s;
    while let Some(i) = rest.find("$(") {
        let inner = &rest[i + 2..];
        let end = inner.find(')').map_or(inner.len(), |e| e + 1);
        let prefix = inner.split(['.', '[', ')']).next().unwrap_or_default();
        if TEKTON_PREFIXES.contains(&prefix) {
            return Some(&rest[i..i + 2 + end]);
        }
        rest = inner;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::substitute::{kubelet_expand, tekton_replace};

    #[test]
    fn escaped_literals_survive_tekton_then_kubernetes() {
        let known = [("params.x", "P"), ("context.pipelineRun.uid", "U"), ("params.zenml-run-id", "R")];
        let env = [(DOLLAR.var, "$"), ("HOME", "/root"), ("X", "x")];
        for s in [
            "$(params.x)",
            "$$(params.x)",
            "$(context.pipelineRun.uid)",
            "$(HOME) $$(HOME) $HOME $$ $",
            "$",
            "$(",
            "end$",
            "$$$((",
            "€$(X)",
        ] {
            let out = escape_literal(s);
            assert_eq!(tekton_reference(&out), None, "{s} -> {out}");
            let after_tekton = tekton_replace(&out, &known);
            assert_eq!(after_tekton, out, "Tekton changed {out}");
            assert_eq!(kubelet_expand(&after_tekton, &env), s, "{s}");
        }
    }

    #[test]
    fn finds_tekton_references() {
        assert_eq!(tekton_reference("a $(params.x) b"), Some("$(params.x)"));
        assert_eq!(tekton_reference("$(HOME) $(context.taskRun.name)"), Some("$(context.taskRun.name)"));
        assert_eq!(tekton_reference("$(params[\"a\"])"), Some("$(params[\"a\"])"));
        assert_eq!(tekton_reference("$(HOME) $(ZENC_DOLLAR)(params.x)"), None);
        assert_eq!(tekton_reference("$(paramsx)"), None);
    }
}
