//! Command line: files in, files out, warnings on stderr. Exit 0 ok, 1 bad input, 2 usage.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;

use clap::Parser;

use crate::Error;

mod args;
mod compile;
pub mod write;

pub use args::{compile_options, BuildArgs, CheckArgs, Cli, Command, CompileArgs, EngineArgs, Target};

/// The input's file name without directories, for messages (`-` is `<stdin>`). Outputs never
/// contain it.
pub fn source_name(input: &str) -> String {
    if input == "-" {
        return "<stdin>".into();
    }
    Path::new(input).file_name().map_or_else(|| input.to_string(), |n| n.to_string_lossy().into_owned())
}

/// A wrong combination of arguments: exit code 2, like clap's own usage errors.
#[derive(Debug)]
pub(crate) struct UsageError(String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

pub(crate) fn usage(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(message.into()))
}

/// Run the CLI; returns the exit code: 0, 1 or 2, whatever happens to the output streams.
pub fn run<I: IntoIterator<Item = OsString>>(args: I) -> i32 {
    keep_standard_streams_reserved();
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match execute(&cli) {
        Ok(code) => code,
        Err(e) => {
            if let Some(u) = e.downcast_ref::<UsageError>() {
                say(format_args!("error: {u}"));
                return 2;
            }
            // A closed pipe (`zenc … | head`) is the reader's choice, not an error.
            if e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) {
                return 0;
            }
            match e.downcast_ref::<Error>() {
                Some(err) => say(format_args!("error: {err}")),
                None => say(format_args!("error: {e:#}")),
            }
            1
        }
    }
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

fn execute(cli: &Cli) -> anyhow::Result<i32> {
    match &cli.command {
        Command::Check(args) => compile::check_command(args),
        Command::Compile(args) => compile::compile_command(args),
    }
}
