//! Command line: files in, files out, diagnostics on stderr (text or JSON lines). Exit 0 ok,
//! 1 bad input, 2 usage, 3 `--check` drift.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;

use clap::Parser;

use crate::diagnostic::codes;
use crate::Error;

mod args;
mod compile;
mod config;
mod diff;
mod docs;
mod graph;
mod help;
mod policy;
mod report;
pub mod write;

pub use args::{
    compile_options, BuildArgs, CheckArgs, Cli, Command, CompileArgs, EngineArgs, GraphFormat, MessageFormat, Target,
    WarningArgs,
};
use report::Reporter;

/// Exit status: success.
pub const EXIT_OK: i32 = 0;
/// Exit status: the input is wrong, or an output cannot be written; nothing was written.
pub const EXIT_FAILURE: i32 = 1;
/// Exit status: the command line or the configuration cannot be used.
pub const EXIT_USAGE: i32 = 2;
/// Exit status: `compile --check` found an output out of date, missing, or no longer produced.
pub const EXIT_DRIFT: i32 = 3;

/// The input's file name without directories, for messages (`-` is `<stdin>`). Outputs never
/// contain it.
pub fn source_name(input: &str) -> String {
    if input == "-" {
        return "<stdin>".into();
    }
    Path::new(input).file_name().map_or_else(|| input.to_string(), |n| n.to_string_lossy().into_owned())
}

/// The command line or the configuration cannot be used as given: exit code 2, like clap's own
/// usage errors.
#[derive(Debug)]
pub(crate) enum UsageError {
    /// A wrong combination of arguments (code `usage`).
    Text(String),
    /// A malformed option or configuration value (its own code, e.g. `invalid-value`).
    Value(Error),
    /// A configuration file that cannot be read or parsed, or has an unknown key (`config`).
    Config { file: String, message: String },
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UsageError::Text(message) => f.write_str(message),
            UsageError::Value(e) => e.fmt(f),
            UsageError::Config { file, message } => write!(f, "{file}: {message}"),
        }
    }
}

impl std::error::Error for UsageError {}

pub(crate) fn usage(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError::Text(message.into()))
}

/// Run the CLI; returns the exit code (0–3), whatever happens to the output streams.
pub fn run<I: IntoIterator<Item = OsString>>(args: I) -> i32 {
    keep_standard_streams_reserved();
    let args: Vec<OsString> = args.into_iter().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() && wants_json(&args) => {
            // The format was asked for, even if the rest of the line is wrong.
            let text = e.render().to_string();
            let message = text.lines().next().unwrap_or_default().trim_start_matches("error: ");
            Reporter::new(true).failure(&codes::USAGE, message, None);
            return EXIT_USAGE;
        }
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    let mut reporter = Reporter::new(cli.message_format == MessageFormat::Json);
    match execute(&cli, &mut reporter) {
        Ok(code) => code,
        Err(e) => {
            reporter.clear_progress();
            if let Some(u) = e.downcast_ref::<UsageError>() {
                match u {
                    UsageError::Text(message) => reporter.failure(&codes::USAGE, message, None),
                    UsageError::Value(err) => reporter.error(err),
                    UsageError::Config { file, message } => {
                        reporter.failure(&codes::CONFIG, &format!("{file}: {message}"), Some(file));
                    }
                }
                return EXIT_USAGE;
            }
            // A closed pipe (`zenc … | head`) is the reader's choice, not an error.
            if e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) {
                return EXIT_OK;
            }
            if let Some(err) = e.downcast_ref::<Error>() {
                reporter.error(err);
            } else if e.downcast_ref::<crate::fetch::FetchError>().is_some() {
                reporter.failure(&codes::FETCH_FAILED, &format!("{e:#}"), None);
            } else {
                reporter.failure(&codes::WRITE_FAILED, &format!("{e:#}"), None);
            }
            EXIT_FAILURE
        }
    }
}

/// `--message-format json` (or `=json`) among raw arguments that clap refused.
fn wants_json(args: &[OsString]) -> bool {
    args.windows(2).any(|w| w[0] == "--message-format" && w[1] == "json")
        || args.iter().any(|a| a == "--message-format=json")
}

/// One line on stderr. A closed or broken stderr (`2>&-`, `2>&1 | head -c 10`) loses the
/// message but must not turn into a panic and exit code 101.
pub(crate) fn say(line: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// With stdin, stdout or stderr closed at start, the next file opened would take its
/// descriptor, and a message meant for stderr would land in an output file. Open /dev/null in
/// every free slot of 0–2 (keeping it open), as coreutils do.
#[cfg(unix)]
fn keep_standard_streams_reserved() {
    use std::os::fd::{AsRawFd, IntoRawFd};
    while let Ok(f) = std::fs::OpenOptions::new().read(true).write(true).open("/dev/null") {
        if f.as_raw_fd() > 2 {
            break;
        }
        let _ = f.into_raw_fd();
    }
}

#[cfg(not(unix))]
fn keep_standard_streams_reserved() {}

fn execute(cli: &Cli, reporter: &mut Reporter) -> anyhow::Result<i32> {
    let source = config::Source { explicit: cli.config.clone(), disabled: cli.no_config };
    let stdout = || std::io::stdout().lock();
    match &cli.command {
        Command::Check(args) => compile::check_command(args, &source, reporter),
        Command::Compile(args) => compile::compile_command(args, &source, reporter),
        Command::Graph(args) => compile::graph_command(args, &source, reporter),
        Command::Config(args) => {
            let resolved = config::resolve(&source, args.target, &args.engine, &args.build, &args.warnings)?;
            stdout().write_all(resolved.describe().as_bytes())?;
            Ok(EXIT_OK)
        }
        Command::Explain(args) => {
            stdout().write_all(docs::explain(args)?.as_bytes())?;
            Ok(EXIT_OK)
        }
        Command::Completions(args) => {
            docs::completions(args, &mut stdout());
            Ok(EXIT_OK)
        }
        Command::Man(args) => {
            docs::man(args, &mut stdout())?;
            Ok(EXIT_OK)
        }
        Command::Fetch(args) => {
            reporter.set_quiet(args.quiet);
            for w in crate::fetch::run(args)? {
                reporter.warning(&w, false);
            }
            Ok(EXIT_OK)
        }
    }
}
