//! Everything zenc tells on stderr: warnings, errors, notes, `--check` drift, the summary and
//! the progress line, as text for people or as JSON lines (`--message-format json`).
//!
//! JSON schema (README, "Diagnostics for machines"), one object per line, every key always
//! present: `{"type":"diagnostic","severity","code","message","help","file","path","step",
//! "engine"}`, and after a successful `compile` or `check` `{"type":"summary","command",
//! "pipeline","steps","engines","files","warnings"}`.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::say;
use crate::diagnostic::Severity;
use crate::{Error, Warning};

/// One diagnostic as a JSON line.
#[derive(Debug, Serialize)]
struct Record<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    severity: Severity,
    code: &'a str,
    /// The message without location or help (the text a person sees after `error: `).
    message: &'a str,
    help: Option<&'a str>,
    /// The file concerned: the input (as named on the command line, `<stdin>`), a
    /// configuration file, or for drift codes the output file.
    file: Option<&'a str>,
    /// JSON path in the input (or a configuration key, or an option such as `--namespace`).
    path: Option<&'a str>,
    step: Option<&'a str>,
    engine: Option<&'a str>,
}

/// What a successful `compile` or `check` did.
#[derive(Debug, Serialize)]
pub struct Summary<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    pub command: &'static str,
    pub pipeline: &'a str,
    pub steps: usize,
    pub engines: Vec<&'static str>,
    /// Files written (compile), in writing order; empty for stdout and for `check`.
    pub files: Vec<String>,
    /// Warnings reported (allowed ones are not counted).
    pub warnings: usize,
}

impl<'a> Summary<'a> {
    pub fn new(command: &'static str, pipeline: &'a str, steps: usize, engines: Vec<&'static str>) -> Self {
        Summary { kind: "summary", command, pipeline, steps, engines, files: Vec::new(), warnings: 0 }
    }
}

/// Steps above which the progress line shows from the start (else after `PROGRESS_AFTER`).
const PROGRESS_STEPS: usize = 5_000;
const PROGRESS_AFTER: Duration = Duration::from_secs(1);

/// The one writer of stderr messages.
pub struct Reporter {
    json: bool,
    quiet: bool,
    /// The input as named on the command line (`<stdin>` for `-`): JSON `file` of warnings,
    /// and of errors about the input (whose text names the file without directories).
    input: Option<String>,
    /// The input's name as errors carry it (`source_name`).
    input_name: Option<String>,
    start: Instant,
    terminal: bool,
    /// A progress line is on screen and must be cleared before the next message.
    progress_shown: bool,
}

impl Reporter {
    pub fn new(json: bool) -> Self {
        Reporter {
            json,
            quiet: false,
            input: None,
            input_name: None,
            start: Instant::now(),
            terminal: std::io::stderr().is_terminal(),
            progress_shown: false,
        }
    }

    /// `-q`: no warnings, notes, summary or progress; errors and drift still show.
    pub fn set_quiet(&mut self, quiet: bool) {
        self.quiet = quiet;
    }

    /// `input` as given on the command line, `name` as messages show it.
    pub fn set_input(&mut self, input: &str, name: &str) {
        self.input = Some(if input == "-" { name.to_string() } else { input.to_string() });
        self.input_name = Some(name.to_string());
    }

    fn line(&mut self, human: impl std::fmt::Display, record: &Record<'_>) {
        self.clear_progress();
        if self.json {
            say(serde_json::to_string(record).expect("a record serializes"));
        } else {
            say(human);
        }
    }

    /// A warning; `denied` ones are shown as errors (even with `-q`).
    pub fn warning(&mut self, w: &Warning, denied: bool) {
        if self.quiet && !denied {
            return;
        }
        let input = self.input.clone();
        let record = Record {
            kind: "diagnostic",
            severity: if denied { Severity::Error } else { Severity::Warning },
            code: w.code,
            message: &w.message,
            help: None,
            file: input.as_deref(),
            path: w.path.as_deref(),
            step: w.step.as_deref(),
            engine: w.engine,
        };
        if denied {
            let mut text = format!("error[{}]: {}", w.code, w.message);
            if let Some(path) = &w.path {
                text.push_str(&format!("\n  --> {path}"));
            }
            self.line(text, &record);
        } else {
            self.line(w, &record);
        }
    }

    /// An input error, as `error: …` with its location and help.
    pub fn error(&mut self, e: &Error) {
        let (message, help) = e.message_and_help();
        let file = match (&e.location.file, &*e.kind) {
            (Some(f), _) if Some(f) == self.input_name.as_ref() => self.input.clone(),
            // The input that cannot be read (the text names it already).
            (None, crate::ErrorKind::Io { .. }) => self.input.clone(),
            (other, _) => other.clone(),
        };
        let record = Record {
            kind: "diagnostic",
            severity: Severity::Error,
            code: e.code(),
            message: &message,
            help: help.as_deref(),
            file: file.as_deref(),
            path: e.location.path.as_deref(),
            step: e.location.step.as_deref(),
            engine: e.engine,
        };
        self.line(format_args!("error: {e}"), &record);
    }

    /// Any other error (`usage`, `config`, `write-failed`, `warnings-denied`).
    pub fn failure(&mut self, code: &'static crate::diagnostic::Code, message: &str, file: Option<&str>) {
        let record = Record {
            kind: "diagnostic",
            severity: code.severity,
            code: code.code,
            message,
            help: None,
            file,
            path: None,
            step: None,
            engine: None,
        };
        self.line(format_args!("error: {message}"), &record);
    }

    /// A note about what was written (not with `-q`).
    pub fn note(&mut self, code: &'static crate::diagnostic::Code, message: &str, file: Option<&str>) {
        if self.quiet {
            return;
        }
        let record = Record {
            kind: "diagnostic",
            severity: code.severity,
            code: code.code,
            message,
            help: None,
            file,
            path: None,
            step: None,
            engine: None,
        };
        self.line(format_args!("note: {message}"), &record);
    }

    /// `--check` found `file` out of date, missing or obsolete; `what` is the human prefix.
    pub fn drift(&mut self, code: &'static crate::diagnostic::Code, what: &str, file: &str) {
        let message = format!("{what}: {file}");
        let record = Record {
            kind: "diagnostic",
            severity: code.severity,
            code: code.code,
            message: &message,
            help: None,
            file: Some(file),
            path: None,
            step: None,
            engine: None,
        };
        self.line(&message, &record);
    }

    /// The summary (not with `-q`): `human` for people, `summary` as JSON.
    pub fn summary(&mut self, human: &str, summary: &Summary<'_>) {
        self.clear_progress();
        if self.quiet {
            return;
        }
        if self.json {
            say(serde_json::to_string(summary).expect("a summary serializes"));
        } else {
            say(human);
        }
    }

    /// One progress line on a terminal, for a big input (over `PROGRESS_STEPS` steps) or a
    /// slow one (after `PROGRESS_AFTER`); replaced by the next one, cleared before any message.
    pub fn progress(&mut self, steps: usize, text: &str) {
        if self.json || self.quiet || !self.terminal {
            return;
        }
        if steps <= PROGRESS_STEPS && self.start.elapsed() < PROGRESS_AFTER {
            return;
        }
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{text}");
        let _ = err.flush();
        self.progress_shown = true;
    }

    pub fn clear_progress(&mut self) {
        if self.progress_shown {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.progress_shown = false;
        }
    }
}
