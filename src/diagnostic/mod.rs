//! Every code zenc reports — warnings, errors, `--check` drift, notes — with its severity,
//! one-line meaning and long explanation: the one source of `zenc explain`, of the JSON
//! diagnostics' `severity`, and of README's code table (a test regenerates and compares it).
//!
//! A code is a [`Code`] constant: engine-neutral ones in [`codes`], each engine's in
//! `backend/<engine>/codes.rs`, listed through the engine registry. Warnings and errors are made
//! from those constants, so a code that is not in a table does not compile. Adding a code: one
//! constant in the right file, its name in that file's `CODES`, then `ZENC_BLESS=1 cargo test
//! --test docs` to refresh README's table.

pub mod codes;

use serde::Serialize;

use crate::backend::Engine;
use crate::error::ErrorKind;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Nothing is written; exit 1 (2 for usage and configuration errors, 3 for `--check` drift).
    Error,
    /// Something was not carried over, or only approximately; `-D`/`--deny-warnings` make it
    /// an error, `-A` silences it.
    Warning,
    /// Information about what was written (never an error, never denied).
    Note,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// One diagnostic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code {
    /// Stable kebab-case name (`argo-catchup`), as printed in `warning[argo-catchup]`; an
    /// engine's codes start with its name.
    pub code: &'static str,
    pub severity: Severity,
    /// One line: when it is reported (README's table).
    pub summary: &'static str,
    /// What was lost, why, and what to do (`zenc explain`). Paragraphs separated by blank lines.
    pub explanation: &'static str,
}

impl Code {
    pub const fn error(code: &'static str, summary: &'static str, explanation: &'static str) -> Code {
        Code { code, severity: Severity::Error, summary, explanation }
    }

    pub const fn warning(code: &'static str, summary: &'static str, explanation: &'static str) -> Code {
        Code { code, severity: Severity::Warning, summary, explanation }
    }

    pub const fn note(code: &'static str, summary: &'static str, explanation: &'static str) -> Code {
        Code { code, severity: Severity::Note, summary, explanation }
    }
}

/// A code and the engine whose table lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listed {
    pub code: &'static Code,
    pub engine: Option<Engine>,
}

/// Every code: the engine-neutral ones, then each engine's in registry order (each table
/// sorted by code).
pub fn all() -> impl Iterator<Item = Listed> {
    let neutral = codes::CODES.iter().map(|code| Listed { code, engine: None });
    let engines = Engine::ALL.iter().flat_map(|&e| e.codes().iter().map(move |code| Listed { code, engine: Some(e) }));
    neutral.chain(engines)
}

/// The entry for `code`.
pub fn lookup(code: &str) -> Option<Listed> {
    all().find(|l| l.code.code == code)
}

/// The code of an error kind (exhaustive: a new kind needs a code).
pub fn error_code(kind: &ErrorKind) -> &'static Code {
    match kind {
        ErrorKind::Io { .. } => &codes::INPUT_UNREADABLE,
        ErrorKind::Parse { .. } => &codes::PARSE_ERROR,
        ErrorKind::EmptyPipeline => &codes::EMPTY_PIPELINE,
        ErrorKind::DuplicateStep { .. } => &codes::DUPLICATE_STEP,
        ErrorKind::UnknownUpstream { .. } => &codes::UNKNOWN_UPSTREAM,
        ErrorKind::Cycle { .. } => &codes::CYCLE,
        ErrorKind::InvalidValue { .. } => &codes::INVALID_VALUE,
        ErrorKind::InvalidShape { .. } => &codes::INVALID_SHAPE,
        ErrorKind::BadCron { .. } => &codes::BAD_CRON,
        ErrorKind::MissingImage { .. } => &codes::MISSING_IMAGE,
        ErrorKind::UnknownFlavor { .. } => &codes::UNKNOWN_FLAVOR,
        ErrorKind::NameCollision { .. } => &codes::NAME_COLLISION,
        ErrorKind::Unsupported { .. } => &codes::UNSUPPORTED,
        ErrorKind::Engine { code, .. } => code,
        ErrorKind::Template { .. } => &codes::INTERNAL_TEMPLATE,
        ErrorKind::Internal { .. } => &codes::INTERNAL,
    }
}

/// README's table of codes, as the test compares it.
pub fn markdown_table() -> String {
    let mut out = String::from("| code | severity | engine | when |\n|---|---|---|---|\n");
    for Listed { code: c, engine } in all() {
        let engine = engine.map_or("", Engine::name);
        out.push_str(&format!(
            "| `{}` | {} | {engine} | {} |\n",
            c.code,
            c.severity.name(),
            c.summary.replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_well_formed() {
        let tables = std::iter::once((None, codes::CODES)).chain(Engine::ALL.iter().map(|&e| (Some(e), e.codes())));
        for (engine, table) in tables {
            for pair in table.windows(2) {
                assert!(pair[0].code < pair[1].code, "`{}` must come after `{}`", pair[1].code, pair[0].code);
            }
            for c in table {
                let ok = c
                    .code
                    .split('-')
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
                assert!(ok, "`{}` is not kebab-case", c.code);
                let named = Engine::ALL.iter().find(|e| c.code.starts_with(&format!("{}-", e.name())));
                assert_eq!(named.copied(), engine, "`{}` must start with its engine's name, and only then", c.code);
                assert!(!c.summary.contains('\n') && !c.summary.ends_with('.'), "`{}`: summary is one line", c.code);
                assert!(c.explanation.ends_with(['.', ')']), "`{}`: explanation ends a sentence", c.code);
                assert!(!c.explanation.contains("  "), "`{}`: explanation has a double space", c.code);
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for l in all() {
            assert!(seen.insert(l.code.code), "`{}` is listed twice", l.code.code);
        }
    }
}
