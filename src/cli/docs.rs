//! `zenc explain`, `zenc completions`, `zenc man`: documentation from the code table and the
//! clap definition, so it cannot drift from what the binary does.

use std::io::Write;

use clap::CommandFactory;

use super::args::{Cli, CompletionsArgs, ExplainArgs, ManArgs};
use super::{help, usage};
use crate::diagnostic::{self, Listed};

/// Width `explain` wraps its paragraphs to.
const WIDTH: usize = 80;

/// `zenc explain [CODE]`.
pub fn explain(args: &ExplainArgs) -> anyhow::Result<String> {
    let Some(wanted) = &args.code else {
        let width = diagnostic::all().map(|l| l.code.code.len()).max().unwrap_or(0);
        let mut out = String::new();
        for Listed { code: c, engine } in diagnostic::all() {
            let engine = engine.map_or("", |e| e.name());
            out.push_str(&format!("{:width$}  {:7}  {engine:8}  {}\n", c.code, c.severity.name(), c.summary));
        }
        return Ok(out);
    };
    // `warning[argo-catchup]` pasted whole works too.
    let code = wanted.rsplit('[').next().unwrap_or(wanted).trim_end_matches(']').trim();
    let Some(Listed { code: c, engine }) = diagnostic::lookup(code) else {
        let near: Vec<String> = diagnostic::all()
            .filter(|l| l.code.code.contains(code) || code.contains(l.code.code))
            .map(|l| format!("`{}`", l.code.code))
            .collect();
        let hint = if near.is_empty() { String::new() } else { format!(" (did you mean {}?)", near.join(", ")) };
        return Err(usage(format!("no code `{code}`{hint}; `zenc explain` lists every code")));
    };
    let mut out = format!("{}[{}]: {}\n", c.severity.name(), c.code, c.summary);
    if let Some(engine) = engine {
        out.push_str(&format!("engine: {}\n", engine.name()));
    }
    for paragraph in c.explanation.split("\n\n") {
        out.push('\n');
        out.push_str(&wrap(paragraph, WIDTH));
    }
    Ok(out)
}

/// Greedy word wrap; each line ends with `\n`.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// `zenc completions SHELL`.
pub fn completions(args: &CompletionsArgs, out: &mut dyn Write) {
    clap_complete::generate(args.shell, &mut Cli::command(), "zenc", out);
}

/// `zenc man [--out-dir DIR]`.
pub fn man(args: &ManArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    match &args.out_dir {
        None => main_page(out)?,
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            // One page per command (`zenc-compile.1`, …), then ours over clap's `zenc.1`.
            clap_mangen::generate_to(Cli::command(), dir)?;
            let mut page = Vec::new();
            main_page(&mut page)?;
            std::fs::write(dir.join("zenc.1"), page)?;
        }
    }
    Ok(())
}

/// `zenc.1`: clap's sections, then exit status, examples, files and environment.
fn main_page(out: &mut dyn Write) -> std::io::Result<()> {
    let cmd = Cli::command();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    man.render_subcommands_section(out)?;
    section(out, "EXIT STATUS", help::exit_status!(), false)?;
    section(out, "EXAMPLES", help::examples!(), false)?;
    section(
        out,
        "FILES",
        "  zenc.toml, or [tool.zenc] in pyproject.toml: settings (zenml-url, zenml-secret, \
         namespace, service-account, timezone, target, image, flavor, run-id-env, templates, \
         deny-warnings, deny, allow; [argo] kind, [tekton] kind, [airflow] version), found in \
         the current directory or above; the command line wins. `zenc config` shows them.",
        true,
    )?;
    section(
        out,
        "ENVIRONMENT",
        "  NO_COLOR: no colour in --check diffs. CLICOLOR_FORCE: colour even when stdout is not \
         a terminal.",
        true,
    )?;
    man.render_version_section(out)
}

/// A section of our own text, roff specials escaped: `filled` text is one paragraph, else
/// every line is kept as it is (examples, the exit-status table).
fn section(out: &mut dyn Write, title: &str, text: &str, filled: bool) -> std::io::Result<()> {
    writeln!(out, ".SH \"{title}\"")?;
    writeln!(out, "{}", if filled { ".PP" } else { ".nf" })?;
    for line in text.lines() {
        let line = line.trim_start_matches(|c| filled && c == ' ').replace('\\', "\\e").replace('-', "\\-");
        // A leading `.` or `'` would be a request.
        let line = if line.starts_with(['.', '\'']) { format!("\\&{line}") } else { line };
        writeln!(out, "{line}")?;
    }
    if !filled {
        writeln!(out, ".fi")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_word_boundaries() {
        assert_eq!(wrap("aaa bbb ccc", 7), "aaa bbb\nccc\n");
        assert_eq!(wrap("", 7), "");
    }

    #[test]
    fn a_pasted_warning_prefix_is_accepted() {
        let out = explain(&ExplainArgs { code: Some("warning[argo-catchup]".into()) }).unwrap();
        assert!(out.starts_with("warning[argo-catchup]: "), "{out}");
    }
}
