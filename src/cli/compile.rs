//! `compile`, `check` and `graph`: read the input, compile it, report, then write the files,
//! compare them (`--check`), or draw the graph.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::args::{CheckArgs, CompileArgs, EngineArgs, GraphArgs, Target, WarningArgs};
use super::config::{self, Resolved, Source};
use super::policy::{Level, Policy};
use super::report::{Reporter, Summary};
use super::write::{self, Destination};
use super::{diff, graph, source_name, usage, UsageError, EXIT_DRIFT, EXIT_FAILURE, EXIT_OK};
use crate::diagnostic::codes;
use crate::render::Renderer;
use crate::{compile_ir, load_ir, Artifact, Engine, Error, Pipeline, Warning};

fn read_input(input: &str) -> anyhow::Result<String> {
    let read = || {
        if input == "-" {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map(|_| text).map_err(|e| format!("standard input: {e}"))
        } else {
            if let Ok(meta) = std::fs::metadata(input) {
                make_room_for(meta.len());
            }
            std::fs::read_to_string(input).map_err(|e| format!("{input}: {e}"))
        }
    };
    read().map_err(|message| anyhow::Error::new(Error::new(crate::ErrorKind::Io { message })))
}

/// Reserves and frees a block the size of the input before it is read. glibc serves a large
/// block (an 18 MB snapshot) from its own `mmap` and unmaps it when freed: its pages are given
/// back as soon as the input is parsed, and the pipeline and the outputs built next fault in
/// fresh ones (a 5,000-step Argo compile: 13,600 page faults, about a sixth of its time).
/// Freeing a block that size first raises glibc's mmap threshold to it (its "dynamic
/// threshold"), so the input is read into the heap, whose pages the next allocations reuse:
/// 8,200 faults, the same peak memory. glibc raises the threshold up to 32 MiB (larger inputs
/// are read as before); with another allocator this is one allocation more.
fn make_room_for(len: u64) {
    let mut room: Vec<u8> = Vec::new();
    // Allocated (not only planned): `black_box` keeps the compiler from removing it.
    if room.try_reserve_exact(usize::try_from(len).unwrap_or(0).saturating_add(1)).is_ok() {
        drop(std::hint::black_box(room));
    }
}

/// Settings from the flags and the configuration file; a malformed flag value is a usage error.
fn settings(
    source: &Source,
    target: Option<Target>,
    engine: &EngineArgs,
    args: &super::BuildArgs,
    warnings: &WarningArgs,
    reporter: &mut Reporter,
) -> anyhow::Result<Resolved> {
    reporter.set_quiet(args.quiet);
    let resolved = config::resolve(source, target, engine, args, warnings)?;
    // The file's values are checked as they are read; what fails here is a flag's.
    resolved.build.check().map_err(|e| anyhow::Error::new(UsageError::Value(e)))?;
    Ok(resolved)
}

/// An input compiled for some engines.
struct Compiled {
    pipeline: Pipeline,
    files: Vec<(Engine, Artifact)>,
    warnings: Vec<Warning>,
}

/// The input text: fetched from a ZenML server with `--server` (its warnings added), else the
/// file or stdin.
fn input_text(remote: &crate::fetch::RemoteArgs, input: &str, warnings: &mut Vec<Warning>) -> anyhow::Result<String> {
    match crate::fetch::remote_input(remote, input)? {
        Some((text, fetched)) => {
            warnings.extend(fetched);
            Ok(text)
        }
        None => read_input(input),
    }
}

fn compile_input(
    input: &str,
    remote: &crate::fetch::RemoteArgs,
    engines: &[Engine],
    resolved: &Resolved,
    reporter: &mut Reporter,
) -> anyhow::Result<Compiled> {
    let name = source_name(input);
    reporter.set_input(input, &name);
    let mut fetched = Vec::new();
    let text = input_text(remote, input, &mut fetched)?;
    // The input text is freed once parsed: the IR holds what the outputs need.
    let (pipeline, mut warnings) = load_ir(text, &name, &resolved.build.to_options()?)?;
    warnings.splice(0..0, fetched);
    let renderer = Renderer::new(resolved.templates.as_deref())?;
    let mut files = Vec::new();
    for (i, &engine) in engines.iter().enumerate() {
        let steps = pipeline.steps().len();
        let what = format!("compiling {steps} steps for {} ({}/{})…", engine.name(), i + 1, engines.len());
        reporter.progress(steps, &what);
        let opts = resolved.engine_options(engine);
        let artifacts = compile_ir(&pipeline, &name, engine, &opts, &renderer, &mut warnings)?;
        files.extend(artifacts.into_iter().map(|a| (engine, a)));
    }
    Ok(Compiled { pipeline, files, warnings })
}

/// Print the warnings the policy does not allow; the denied ones as errors. Returns how many
/// were reported and how many of those were denied.
fn report_warnings(warnings: &[Warning], policy: &Policy, reporter: &mut Reporter) -> (usize, usize) {
    let (mut reported, mut denied) = (0, 0);
    for w in warnings {
        match policy.level(w.code) {
            Level::Allow => continue,
            Level::Warn => reporter.warning(w, false),
            Level::Deny => {
                reporter.warning(w, true);
                denied += 1;
            }
        }
        reported += 1;
    }
    (reported, denied)
}

fn deny(reporter: &mut Reporter, denied: usize, what: &str) -> i32 {
    let message = format!(
        "{denied} denied warning{} (--deny-warnings, -D, or zenc.toml's deny): {what}",
        if denied == 1 { "" } else { "s" }
    );
    reporter.failure(&codes::WARNINGS_DENIED, &message, None);
    EXIT_FAILURE
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `check`: everything `compile` does for these engines, warnings included, but no writing.
pub(super) fn check_command(args: &CheckArgs, source: &Source, reporter: &mut Reporter) -> anyhow::Result<i32> {
    let resolved = settings(source, args.target, &args.engine, &args.build, &args.warnings, reporter)?;
    let engines = resolved.target.unwrap_or(Target::All).engines();
    // Lower for every engine asked: an input only one engine rejects is not `ok`.
    let mut compiled = compile_input(&args.input, &args.remote, &engines, &resolved, reporter)?;
    compiled.warnings.extend(args.engine.unused(&engines));
    let (reported, denied) = report_warnings(&compiled.warnings, &resolved.policy, reporter);
    if denied > 0 {
        return Ok(deny(reporter, denied, "the input does not pass"));
    }
    let names: Vec<&'static str> = engines.iter().map(|e| e.name()).collect();
    let p = &compiled.pipeline;
    let human =
        format!("ok: pipeline `{}` with {} step(s) ({})", p.name().escape_debug(), p.steps().len(), names.join(", "));
    let mut summary = Summary::new("check", p.name(), p.steps().len(), names);
    summary.warnings = reported;
    reporter.summary(&human, &summary);
    Ok(EXIT_OK)
}

/// `graph`: the pipeline as Mermaid or DOT. Warnings are `check`'s business: none are printed.
pub(super) fn graph_command(args: &GraphArgs, source: &Source, reporter: &mut Reporter) -> anyhow::Result<i32> {
    let resolved = settings(source, None, &EngineArgs::default(), &args.build, &WarningArgs::default(), reporter)?;
    let name = source_name(&args.input);
    reporter.set_input(&args.input, &name);
    let text = input_text(&args.remote, &args.input, &mut Vec::new())?;
    let (pipeline, _) = load_ir(&text, &name, &resolved.build.to_options()?)?;
    let out = graph::render(&pipeline, args.format);
    let dest = match &args.output {
        Some(path) => write::destination(path)?,
        None => Destination::Stdout,
    };
    write::write_all(&[(dest, out.as_str())])?;
    Ok(EXIT_OK)
}

pub(super) fn compile_command(args: &CompileArgs, source: &Source, reporter: &mut Reporter) -> anyhow::Result<i32> {
    let resolved = settings(source, args.target, &args.engine, &args.build, &args.warnings, reporter)?;
    let Some(target) = resolved.target else {
        let names: Vec<&str> = Engine::ALL.iter().map(|e| e.name()).collect();
        return Err(usage(format!("no target: pass --target {}|all, or set `target` in zenc.toml", names.join("|"))));
    };
    let engines = target.engines();
    if target == Target::All && args.out_dir.is_none() {
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
    // Not freed: the process ends after this command, and freeing 5,000 steps' IR, contexts
    // and outputs piece by piece took 4–5 % of a compile (`perf`, README "Performance").
    let mut compiled =
        std::mem::ManuallyDrop::new(compile_input(&args.input, &args.remote, &engines, &resolved, reporter)?);
    compiled.warnings.extend(args.engine.unused(&engines));
    let (reported, denied) = report_warnings(&compiled.warnings, &resolved.policy, reporter);
    if denied > 0 {
        return Ok(deny(reporter, denied, "nothing written"));
    }
    let p = &compiled.pipeline;
    let names: Vec<&'static str> = engines.iter().map(|e| e.name()).collect();
    let mut summary = Summary::new("compile", p.name(), p.steps().len(), names);
    summary.warnings = reported;
    if let Some(stream) = stream {
        return write_stream(stream, &compiled, summary, reporter);
    }
    let (targets, stale_optional) = plan_files(args, &engines, &compiled.files)?;
    if args.check {
        return check_files(&targets, &stale_optional, reporter);
    }
    reporter.progress(p.steps().len(), &format!("writing {}…", plural(targets.len(), "file")));
    summary.files = targets.iter().map(|(path, _, _)| path.display().to_string()).collect();
    let outputs: Vec<(Destination, &str)> = targets.into_iter().map(|(_, dest, content)| (dest, content)).collect();
    write::write_all(&outputs)?;
    for path in &stale_optional {
        std::fs::remove_file(path).with_context(|| format!("cannot remove the outdated {}", path.display()))?;
        let shown = path.display().to_string();
        reporter.note(
            &codes::OUTPUT_REMOVED,
            &format!("removed {shown}: this pipeline no longer produces it"),
            Some(&shown),
        );
    }
    summarize(p, &summary, reporter);
    Ok(EXIT_OK)
}

/// One stream, one document: the main spec goes to stdout, a device or a FIFO; a second file
/// (a request body) cannot share it.
fn write_stream(
    stream: Destination,
    compiled: &Compiled,
    mut summary: Summary<'_>,
    reporter: &mut Reporter,
) -> anyhow::Result<i32> {
    let (first, rest) = compiled.files.split_first().expect("a target writes at least one file");
    for (_, artifact) in rest {
        let message = format!(
            "`{}` is not written to a stream, device or FIFO: pass -o FILE or --out-dir DIR to write it",
            artifact.suffix
        );
        reporter.note(&codes::OUTPUT_SKIPPED, &message, None);
    }
    let shown = match &stream {
        Destination::Through(path) => Some(path.display().to_string()),
        _ => None,
    };
    write::write_all(&[(stream, first.1.content.as_str())])?;
    // Stdout is the output itself: no summary beside it.
    if let Some(path) = shown {
        summary.files.push(path);
        summarize(&compiled.pipeline, &summary, reporter);
    }
    Ok(EXIT_OK)
}

/// ``wrote FILES: pipeline `p`, N steps, M warnings``.
fn summarize(p: &Pipeline, summary: &Summary<'_>, reporter: &mut Reporter) {
    let human = format!(
        "wrote {}: pipeline `{}`, {}, {}",
        summary.files.join(", "),
        p.name().escape_debug(),
        plural(p.steps().len(), "step"),
        plural(summary.warnings, "warning")
    );
    reporter.summary(&human, summary);
}

/// A file to write: the path as the user sees it, where it really goes, the content.
type Planned<'a> = (PathBuf, Destination, &'a str);

/// Where each file goes, and the optional files of earlier compiles this one no longer
/// produces. `--out-dir` → `DIR/<input stem>.<suffix>`; `-o FILE` → FILE for the main spec and
/// `<FILE stem>.<suffix>` beside it for the rest.
fn plan_files<'a>(
    args: &CompileArgs,
    engines: &[Engine],
    files: &'a [(Engine, Artifact)],
) -> anyhow::Result<(Vec<Planned<'a>>, Vec<PathBuf>)> {
    let place = |suffix: &str| -> PathBuf {
        match (&args.out_dir, &args.output) {
            (Some(dir), _) => dir.join(format!("{}.{suffix}", output_stem(&args.input))),
            (None, Some(path)) => beside(path, suffix),
            (None, None) => unreachable!("stdout is no file"),
        }
    };
    let mut targets: Vec<Planned<'a>> = Vec::new();
    for (i, (_, artifact)) in files.iter().enumerate() {
        let path = match (&args.out_dir, &args.output) {
            (None, Some(path)) if i == 0 => path.clone(),
            _ => place(&artifact.suffix),
        };
        let dest = write::destination(&path)?;
        targets.push((path, dest, &artifact.content));
    }
    let mut stale_optional = Vec::new();
    for engine in engines {
        for suffix in engine.optional_suffixes() {
            let path = place(suffix);
            if path.is_file() && !targets.iter().any(|(t, _, _)| *t == path) {
                stale_optional.push(path);
            }
        }
    }
    Ok((targets, stale_optional))
}

/// `compile --check`: each file missing or out of date (with a diff on stdout), each file no
/// longer produced; exit 3 if there is any.
fn check_files(
    targets: &[(PathBuf, Destination, &str)],
    obsolete: &[PathBuf],
    reporter: &mut Reporter,
) -> anyhow::Result<i32> {
    let colour = diff::stdout_colour();
    let mut drift = 0;
    for (path, dest, wanted) in targets {
        let shown = path.display().to_string();
        let current = match dest {
            Destination::File(file) if !file.exists() => {
                reporter.drift(&codes::OUTPUT_MISSING, "missing", &shown);
                drift += 1;
                continue;
            }
            Destination::File(file) => std::fs::read(file).with_context(|| format!("cannot read {shown}"))?,
            // Not a regular file (a FIFO at that path): nothing to compare with.
            _ => Vec::new(),
        };
        if current != wanted.as_bytes() {
            reporter.drift(&codes::OUT_OF_DATE, "out of date", &shown);
            let text = diff::unified(&shown, &String::from_utf8_lossy(&current), wanted, colour);
            std::io::stdout().lock().write_all(text.as_bytes())?;
            drift += 1;
        }
    }
    for path in obsolete {
        reporter.drift(&codes::OUTPUT_OBSOLETE, "no longer produced", &path.display().to_string());
        drift += 1;
    }
    Ok(if drift == 0 { EXIT_OK } else { EXIT_DRIFT })
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
