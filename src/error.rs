//! Errors and warnings: data plus one `Display`, always pointing at the input.

use std::fmt;

/// Where in the input an error or warning comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The input file as the user named it (`-` is shown as `<stdin>`).
    pub file: Option<String>,
    /// JSON path inside the input, e.g. `metadata.step_configurations.train.config.retry`.
    pub path: Option<String>,
    /// The step the path is in, when zenc knows it (JSON diagnostics; not in the text).
    pub step: Option<String>,
}

/// What went wrong. All wording lives in `Error`'s `Display`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input could not be read.
    Io { message: String },
    /// The input is not valid JSON/YAML or does not have the expected shape.
    Parse { format: &'static str, message: String },
    /// The pipeline has no steps.
    EmptyPipeline,
    /// Two steps share a name.
    DuplicateStep { step: String },
    /// A step names an upstream step that does not exist.
    UnknownUpstream { step: String, upstream: String, known: Vec<String> },
    /// The steps form a cycle (first name repeated at the end).
    Cycle { chain: Vec<String> },
    /// A value has the wrong form.
    InvalidValue { what: String, value: String, expected: String },
    /// A value has the wrong shape, described without echoing it (it may hold a credential).
    InvalidShape { what: String, found: String, expected: String },
    /// A cron expression that no engine would accept.
    BadCron { expr: String, reason: String },
    /// Steps with no image and no `--image` fallback.
    MissingImage { steps: Vec<String> },
    /// The orchestrator flavor is unknown, so the run-id variable is unknown.
    UnknownFlavor { flavor: Option<String> },
    /// Two inputs would get the same engine name.
    NameCollision { engine: &'static str, first: String, second: String, name: String },
    /// The engine cannot express this input.
    Unsupported { engine: &'static str, what: String, help: String },
    /// An engine's own refusal, with a code from the engine's table (`tekton-too-large`).
    Engine { code: &'static crate::diagnostic::Code, message: String, help: String },
    /// A bug in a template of ours.
    Template { engine: &'static str, template: String, message: String },
    /// A broken internal invariant.
    Internal { message: String },
}

/// A user-facing error: what is wrong, where, and what would be right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Boxed: errors travel through every `Result`, the common path stays small.
    pub kind: Box<ErrorKind>,
    pub location: Location,
    /// The engine whose lowering failed, if any (JSON diagnostics; not in the text).
    pub engine: Option<&'static str>,
}

impl Error {
    pub fn new(kind: ErrorKind) -> Self {
        Error { kind: Box::new(kind), location: Location::default(), engine: None }
    }

    /// Attach a JSON path (keeps an already more precise one).
    #[must_use]
    pub fn at(mut self, path: impl Into<String>) -> Self {
        if self.location.path.is_none() {
            self.location.path = Some(path.into());
        }
        self
    }

    /// Attach the input file name (keeps an existing one).
    #[must_use]
    pub fn in_file(mut self, file: &str) -> Self {
        if self.location.file.is_none() {
            self.location.file = Some(file.to_string());
        }
        self
    }

    /// Shortcut for the most common error.
    pub fn invalid(what: impl Into<String>, value: impl Into<String>, expected: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidValue { what: what.into(), value: value.into(), expected: expected.into() })
    }

    /// The stable code of this error (`zenc explain CODE`).
    pub fn code(&self) -> &'static str {
        crate::diagnostic::error_code(&self.kind).code
    }

    /// The message and the help line, without the location (JSON diagnostics).
    pub fn message_and_help(&self) -> (String, Option<String>) {
        let mut message = String::new();
        let help = self.headline(&mut message).expect("writing to a String cannot fail");
        (message, help)
    }

    /// True for bugs of ours, as opposed to bad input.
    pub fn is_internal(&self) -> bool {
        matches!(*self.kind, ErrorKind::Template { .. } | ErrorKind::Internal { .. })
    }
}

/// Most names an error lists: a message stays readable (and small) for a 100,000-step input.
const MAX_LISTED: usize = 10;

/// `` `a`, `b`, `c` ``; past `MAX_LISTED` names, the first ones and how many more there are.
fn ticked(names: &[String]) -> String {
    let shown: Vec<String> = names.iter().take(MAX_LISTED).map(|n| format!("`{n}`")).collect();
    match names.len().saturating_sub(MAX_LISTED) {
        0 => shown.join(", "),
        more => format!("{}, … and {more} more ({} in all)", shown.join(", "), names.len()),
    }
}

/// `` `a` -> `b` -> `a` ``; a longer cycle shows its first steps, its length, and its closing edge.
fn cycle_chain(chain: &[String]) -> String {
    let steps = chain.len().saturating_sub(1);
    let ticked: Vec<String> = chain.iter().map(|s| format!("`{s}`")).collect();
    if steps <= MAX_LISTED {
        return ticked.join(" -> ");
    }
    let head = &ticked[..MAX_LISTED - 2];
    format!("{} -> … ({} more) -> {} ({steps} steps)", head.join(" -> "), steps - head.len(), ticked[steps])
}

impl Error {
    /// Write the message; return the help line.
    fn headline(&self, f: &mut impl fmt::Write) -> Result<Option<String>, fmt::Error> {
        let help: Option<String> = match &*self.kind {
            ErrorKind::Io { message } => {
                write!(f, "cannot read input: {message}")?;
                None
            }
            ErrorKind::Parse { format, message } => {
                write!(f, "invalid {format}: {message}")?;
                None
            }
            ErrorKind::EmptyPipeline => {
                write!(f, "the pipeline has no steps")?;
                Some("a static pipeline needs at least one step".into())
            }
            ErrorKind::DuplicateStep { step } => {
                write!(f, "step `{step}` is defined twice")?;
                Some("step names must be unique".into())
            }
            ErrorKind::UnknownUpstream { step, upstream, known } => {
                write!(f, "step `{step}` depends on unknown step `{upstream}`")?;
                Some(format!("known steps are {}", ticked(known)))
            }
            ErrorKind::Cycle { chain } => {
                write!(f, "steps form a cycle: {}", cycle_chain(chain))?;
                Some("remove one of these upstream edges".into())
            }
            ErrorKind::InvalidValue { what, value, expected } => {
                write!(f, "invalid {what} `{}`", value.escape_debug())?;
                Some(format!("expected {expected}"))
            }
            ErrorKind::InvalidShape { what, found, expected } => {
                write!(f, "invalid {what}: {found}")?;
                Some(format!("expected {expected}"))
            }
            ErrorKind::BadCron { expr, reason } => {
                write!(f, "invalid cron expression `{}`: {reason}", expr.escape_debug())?;
                Some("use five fields `minute hour day-of-month month day-of-week`, e.g. `0 2 * * 1-5`, or @hourly/@daily/@weekly/@monthly/@yearly".into())
            }
            ErrorKind::MissingImage { steps } => {
                write!(f, "no container image for step(s) {}", ticked(steps))?;
                Some("the snapshot has no build images (the plain REST shape has none): pass `--image IMAGE`, or export the snapshot with its build hydrated".into())
            }
            ErrorKind::UnknownFlavor { flavor } => {
                match flavor {
                    Some(fl) => write!(f, "unknown orchestrator flavor `{fl}`: cannot tell which variable carries the run id")?,
                    None => write!(f, "the snapshot does not say which orchestrator flavor its stack uses, so the run-id variable is unknown")?,
                }
                Some("pass `--flavor kubernetes|kubeflow|tekton|airflow|vertex|sagemaker|zenc`, or `--run-id-env NAME` with the variable your stack's orchestrator reads".into())
            }
            ErrorKind::NameCollision { engine, first, second, name } => {
                write!(f, "steps `{first}` and `{second}` both become `{name}` in {engine}")?;
                Some("rename one of the steps".into())
            }
            ErrorKind::Unsupported { engine, what, help } => {
                write!(f, "{engine} cannot express {what}")?;
                Some(help.clone())
            }
            ErrorKind::Engine { message, help, .. } => {
                write!(f, "{message}")?;
                Some(help.clone())
            }
            ErrorKind::Template { engine, template, message } => {
                write!(f, "internal error in the {engine} template `{template}`: {message}")?;
                Some("this is a bug in zenc, please report it with the input file".into())
            }
            ErrorKind::Internal { message } => {
                write!(f, "internal error: {message}")?;
                Some("this is a bug in zenc, please report it with the input file".into())
            }
        };
        Ok(help)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let help = self.headline(f)?;
        match (&self.location.file, &self.location.path) {
            (Some(file), Some(path)) => write!(f, "\n  --> {file}: {path}")?,
            (Some(file), None) => write!(f, "\n  --> {file}")?,
            (None, Some(path)) => write!(f, "\n  --> {path}")?,
            (None, None) => {}
        }
        if let Some(help) = help {
            write!(f, "\n  = help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Something zenc did not carry over, or carried over approximately.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Warning {
    /// Stable short name, e.g. `argo-catchup` (for grepping and README).
    pub code: &'static str,
    /// What was lost or changed, and why.
    pub message: String,
    /// JSON path of the input value concerned.
    pub path: Option<String>,
    /// The step concerned, when zenc knows it (JSON diagnostics; not in the text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// The engine whose output it concerns (JSON diagnostics; not in the text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<&'static str>,
}

impl Warning {
    /// A warning of `code`, one of the constants of the code tables (`crate::diagnostic`).
    pub fn new(code: &'static crate::diagnostic::Code, message: impl Into<String>) -> Self {
        Warning { code: code.code, message: message.into(), path: None, step: None, engine: None }
    }

    #[must_use]
    pub fn at(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "warning[{}]: {}", self.code, self.message)?;
        if let Some(path) = &self.path {
            write!(f, "\n  --> {path}")?;
        }
        Ok(())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("step_{i}")).collect()
    }

    #[test]
    fn long_lists_are_cut() {
        assert_eq!(ticked(&names(2)), "`step_0`, `step_1`");
        let text = ticked(&names(20_000));
        assert!(text.starts_with("`step_0`, `step_1`,"), "{text}");
        assert!(text.ends_with("`step_9`, … and 19990 more (20000 in all)"), "{text}");
    }

    #[test]
    fn long_cycles_are_cut() {
        let mut chain = names(3);
        chain.push("step_0".into());
        assert_eq!(cycle_chain(&chain), "`step_0` -> `step_1` -> `step_2` -> `step_0`");
        let mut chain = names(50_000);
        chain.push("step_0".into());
        let text = cycle_chain(&chain);
        assert!(text.starts_with("`step_0` -> `step_1` -> "), "{text}");
        assert!(text.ends_with("`step_7` -> … (49992 more) -> `step_0` (50000 steps)"), "{text}");
    }

    #[test]
    fn messages_about_huge_inputs_stay_small() {
        let mut chain = names(50_000);
        chain.push("step_0".into());
        let cycle = Error::new(ErrorKind::Cycle { chain }).to_string();
        let unknown =
            Error::new(ErrorKind::UnknownUpstream { step: "a".into(), upstream: "b".into(), known: names(20_000) })
                .to_string();
        let images = Error::new(ErrorKind::MissingImage { steps: names(20_000) }).to_string();
        for text in [cycle, unknown, images] {
            assert!(text.len() < 1000, "{} bytes: {text}", text.len());
        }
    }
}
