//! `compile` and `check`: read the input, compile it, write or compare the files.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::args::{BuildArgs, CheckArgs, CompileArgs, EngineArgs, Target};
use super::write::{self, Destination};
use super::{say, source_name, usage};
use crate::{compile, load_ir, Error, Options};

fn read_input(input: &str) -> anyhow::Result<String> {
    if input == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("cannot read standard input")?;
        return Ok(text);
    }
    std::fs::read_to_string(input)
        .map_err(|e| anyhow::Error::new(Error::new(crate::ErrorKind::Io { message: format!("{input}: {e}") })))
}

fn print_warnings(warnings: &[crate::Warning], quiet: bool) {
    if quiet {
        return;
    }
    for w in warnings {
        say(w);
    }
}

/// Options from the command line; a bad value is a usage error.
fn options(engine: &EngineArgs, build: &BuildArgs) -> anyhow::Result<Options> {
    engine.check_templates()?;
    build.check().map_err(|e| usage(e.to_string()))?;
    Ok(Options { build: build.to_options()?, engine: engine.to_options(), templates: engine.templates.clone() })
}

/// `check`: everything `compile` does for these engines, warnings included, but no writing.
pub(super) fn check_command(args: &CheckArgs) -> anyhow::Result<i32> {
    let engines = args.target.engines();
    let opts = options(&args.engine, &args.build)?;
    let text = read_input(&args.input)?;
    let name = source_name(&args.input);
    let (pipeline, _) = load_ir(&text, &name, &opts.build)?;
    // Lower for every engine asked: an input only one engine rejects is not `ok`.
    let mut output = compile(&text, &name, &engines, &opts)?;
    output.warnings.extend(args.engine.unused(&engines));
    print_warnings(&output.warnings, args.build.quiet);
    let names: Vec<&str> = engines.iter().map(|e| e.name()).collect();
    say(format_args!(
        "ok: pipeline `{}` with {} step(s) ({})",
        pipeline.name.escape_debug(),
        pipeline.steps.len(),
        names.join(", ")
    ));
    Ok(0)
}

pub(super) fn compile_command(args: &CompileArgs) -> anyhow::Result<i32> {
    let engines = args.target.engines();
    if args.target == Target::All && args.out_dir.is_none() {
        return Err(usage("--target all writes several files: pass --out-dir DIR"));
    }
    // Where -o points decides the rest: a regular file (or a new one) gets every file of the
    // target; stdout, a device or a FIFO gets the main spec only.
    let stream = match (&args.out_dir, &args.output) {
        (Some(_), _) => None,
        (None, None) => Some(Destination::Stdout),
        (None, Some(path)) => Some(write::destination(path)?).filter(|d| !d.is_file()),
    };
    if args.check && stream.is_some() {
        return Err(usage("--check compares files: pass -o FILE (a regular file) or --out-dir DIR"));
    }
    let opts = options(&args.engine, &args.build)?;
    let text = read_input(&args.input)?;
    let mut output = compile(&text, &source_name(&args.input), &engines, &opts)?;
    output.warnings.extend(args.engine.unused(&engines));
    print_warnings(&output.warnings, args.build.quiet);

    if let Some(stream) = stream {
        // One stream, one document: a second file (a request body) cannot share it.
        let (first, rest) = output.files.split_first().expect("a target writes at least one file");
        for (_, artifact) in rest {
            if !args.build.quiet {
                say(format_args!(
                    "note: `{}` is not written to a stream, device or FIFO: pass -o FILE or --out-dir DIR to write it",
                    artifact.suffix
                ));
            }
        }
        write::write_all(&[(stream, first.1.content.as_str())])?;
        return Ok(0);
    }

    // Where each suffix lands: `--out-dir` → `DIR/<input stem>.<suffix>`; `-o FILE` → FILE for
    // the main spec and `<FILE stem>.<suffix>` beside it for the rest.
    let place = |suffix: &str| -> PathBuf {
        match (&args.out_dir, &args.output) {
            (Some(dir), _) => dir.join(format!("{}.{suffix}", output_stem(&args.input))),
            (None, Some(path)) => beside(path, suffix),
            (None, None) => unreachable!("stdout is handled above"),
        }
    };
    let mut targets: Vec<(PathBuf, Destination, &str)> = Vec::new();
    for (i, (_, artifact)) in output.files.iter().enumerate() {
        let path = match (&args.out_dir, &args.output) {
            (None, Some(path)) if i == 0 => path.clone(),
            _ => place(&artifact.suffix),
        };
        let dest = write::destination(&path)?;
        targets.push((path, dest, &artifact.content));
    }
    let mut stale_optional = Vec::new();
    for engine in &engines {
        for suffix in engine.optional_suffixes() {
            let path = place(suffix);
            if path.is_file() && !targets.iter().any(|(t, _, _)| *t == path) {
                stale_optional.push(path);
            }
        }
    }

    if args.check {
        let mut stale = 0;
        for (path, dest, content) in &targets {
            let current = match dest {
                Destination::File(file) => std::fs::read_to_string(file).ok(),
                _ => None,
            };
            if current.as_deref() != Some(*content) {
                say(format_args!("out of date: {}", path.display()));
                stale += 1;
            }
        }
        for path in &stale_optional {
            say(format_args!("no longer produced: {}", path.display()));
            stale += 1;
        }
        return Ok(if stale == 0 { 0 } else { 1 });
    }
    let outputs: Vec<(Destination, &str)> = targets.into_iter().map(|(_, dest, content)| (dest, content)).collect();
    write::write_all(&outputs)?;
    for path in &stale_optional {
        std::fs::remove_file(path).with_context(|| format!("cannot remove the outdated {}", path.display()))?;
        if !args.build.quiet {
            say(format_args!("note: removed {}: this pipeline no longer produces it", path.display()));
        }
    }
    Ok(0)
}

/// `dir/pipe.yaml` + `kubeflow.recurring-run.json` → `dir/pipe.kubeflow.recurring-run.json`.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let stem = path.file_stem().map_or_else(|| "pipeline".into(), |s| s.to_string_lossy().into_owned());
    path.with_file_name(format!("{stem}.{suffix}"))
}

/// File names under `--out-dir` keep the input's stem (a file name, not content).
fn output_stem(input: &str) -> String {
    if input == "-" {
        return "pipeline".into();
    }
    let name = source_name(input);
    let lower = name.to_ascii_lowercase();
    for ext in [".json", ".yaml", ".yml"] {
        if lower.ends_with(ext) {
            return name[..name.len() - ext.len()].to_string();
        }
    }
    name
}
