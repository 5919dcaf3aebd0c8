//! Command line: files in, files out, warnings on stderr. Exit 0 ok, 1 bad input, 2 usage.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::backend::{Engine, EngineOptions, ObjectKind};
use crate::ir::{syntax, BuildOptions, SecretRef};
use crate::{compile, load_ir, Error, Options};

pub mod write;

use write::Destination;

/// Compile ZenML pipeline snapshots into Argo, Tekton, Airflow and Kubeflow specs.
#[derive(Debug, Parser)]
#[command(name = "zenc", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compile a snapshot (ZenML JSON or zenc YAML) for a target engine.
    Compile(CompileArgs),
    /// Everything `compile` does (parse, validate, lower, render; the same warnings), writing nothing.
    Check(CheckArgs),
    /// Read a snapshot from a ZenML server and hydrate it (stack, build, schedule) into the
    /// JSON `compile` reads.
    Fetch(crate::fetch::FetchArgs),
}

/// `--target` values: one engine, or `all` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    One(Engine),
    /// Every engine zenc supports (needs --out-dir).
    All,
}

fn parse_target(s: &str) -> Result<Target, String> {
    if s == "all" {
        return Ok(Target::All);
    }
    Engine::from_name(s).map(Target::One).ok_or_else(|| {
        let names: Vec<&str> = Engine::ALL.iter().map(|e| e.name()).collect();
        format!("unknown target `{s}`; expected one of: {}, all", names.join(", "))
    })
}

#[derive(Debug, Args)]
pub struct CompileArgs {
    /// Snapshot file (`.json` = ZenML snapshot, `.yaml` = zenc pipeline), or `-` for stdin; with
    /// --server, a snapshot id or name.
    pub input: String,
    /// Target engine (argo, tekton, airflow, kubeflow), or `all` with --out-dir. Kubeflow with a
    /// schedule also writes `<stem>.kubeflow.recurring-run.json` (beside -o FILE; not printed on
    /// stdout).
    #[arg(long, short = 't', value_parser = parse_target)]
    pub target: Target,
    /// Write the output to FILE (`-` = stdout) instead of stdout. A regular file is replaced
    /// atomically (a symlink: the file it points to); a device or FIFO is written through.
    /// Missing parent directories are created.
    #[arg(long, short = 'o', value_name = "FILE", conflicts_with = "out_dir")]
    pub output: Option<PathBuf>,
    /// Write one file per target into DIR, named `<input stem>.<target>.<ext>`.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Do not write; exit 1 if the existing output files differ from what would be written.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub build: BuildArgs,
    #[command(flatten)]
    pub remote: crate::fetch::RemoteArgs,
}

/// An image reference: not empty, no spaces or control characters.
fn parse_image(s: &str) -> Result<String, String> {
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("expected an image reference without spaces, e.g. `registry.example.com/tools/kubectl:1.34`".into());
    }
    Ok(s.to_string())
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Snapshot file, or `-` for stdin; with --server, a snapshot id or name.
    pub input: String,
    /// Engines to check the pipeline against (lowered, not written): one engine or `all`.
    #[arg(long, short = 't', value_parser = parse_target, default_value = "all")]
    pub target: Target,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub build: BuildArgs,
    #[command(flatten)]
    pub remote: crate::fetch::RemoteArgs,
}

/// How the engines write their output, shared by `compile` and `check` (which lowers and
/// renders exactly as `compile` would).
#[derive(Debug, Args)]
pub struct EngineArgs {
    /// `run` (default): Argo Workflow, or CronWorkflow + WorkflowTemplate when scheduled.
    /// Tekton: one self-contained PipelineRun, or a CronJob (+ RBAC, ConfigMap) creating them
    /// when scheduled. `template` (alias `pipeline`): a WorkflowTemplate / Tekton Pipeline with
    /// a fixed name, for `kubectl apply` (Tekton, scheduled: + the CronJob running it by name).
    #[arg(long, value_enum, default_value_t = ObjectKind::Run)]
    pub kind: ObjectKind,
    /// Airflow major version the DAG file is written for: 3 (default), or 2 for Airflow 2.9+
    /// with cncf.kubernetes provider 8+.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u8).range(2..=3))]
    pub airflow_version: u8,
    /// Directory with user copies of templates (`<engine>/<file>.j2`) overriding the built-in
    /// ones. A YAML template whose output does not parse is an error naming it.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Image of the pod that a scheduled Tekton pipeline's CronJob starts to create each
    /// PipelineRun (needs `kubectl` and `/bin/sh`; default `registry.k8s.io/kubectl:v1.34.1`).
    #[arg(long, value_name = "IMAGE", value_parser = parse_image)]
    pub tekton_launcher_image: Option<String>,
}

/// Deployment choices shared by `compile` and `check`. A malformed value is a usage error
/// (exit 2) saying what would be right.
#[derive(Debug, Args, Default)]
pub struct BuildArgs {
    /// Image for steps the snapshot has no image for (the plain REST shape has none).
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// ZenML server URL the steps report to (sets ZENML_STORE_URL): http:// or https://.
    #[arg(long, value_name = "URL")]
    pub zenml_url: Option<String>,
    /// Kubernetes Secret with a ZenML service-account API key: NAME[:KEY], KEY defaults to
    /// `api-key`. Sets ZENML_STORE_API_KEY by reference; the value never enters the spec.
    #[arg(long, value_name = "NAME[:KEY]")]
    pub zenml_secret: Option<String>,
    /// Namespace of the emitted objects (a DNS-1123 label).
    #[arg(long)]
    pub namespace: Option<String>,
    /// Service account of step pods that do not set one.
    #[arg(long, value_name = "NAME")]
    pub service_account: Option<String>,
    /// Variable carrying the run id (default: the one the snapshot's orchestrator flavor reads).
    #[arg(long, value_name = "NAME")]
    pub run_id_env: Option<String>,
    /// Orchestrator flavor of the ZenML stack, when the snapshot does not say
    /// (kubernetes, kubeflow, tekton, airflow, vertex, sagemaker, zenc).
    #[arg(long, value_name = "FLAVOR")]
    pub flavor: Option<String>,
    /// IANA time zone for cron schedules (ZenML stores none), e.g. `Europe/Paris`.
    #[arg(long, value_name = "ZONE")]
    pub timezone: Option<String>,
    /// Do not print warnings.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

impl BuildArgs {
    /// Check every value against its syntax rule. The CLI reports a failure as a usage error
    /// (exit 2), with the option and what would be right; `ir::build` applies the same rules
    /// to library callers.
    pub fn check(&self) -> Result<(), Error> {
        let check = |value: &Option<String>, flag: &str, rule: fn(&str) -> crate::Result<()>| match value {
            Some(v) => rule(v).map_err(|e| e.at(flag)),
            None => Ok(()),
        };
        check(&self.zenml_url, "--zenml-url", syntax::http_url)?;
        check(&self.namespace, "--namespace", syntax::namespace)?;
        check(&self.service_account, "--service-account", |v| syntax::object_name("service account", v))?;
        check(&self.run_id_env, "--run-id-env", syntax::env_name)?;
        check(&self.timezone, "--timezone", syntax::timezone)?;
        self.to_options().map(drop)
    }

    /// Library options.
    pub fn to_options(&self) -> Result<BuildOptions, Error> {
        Ok(BuildOptions {
            image: self.image.clone(),
            zenml_url: self.zenml_url.clone(),
            zenml_secret: self.zenml_secret.as_deref().map(SecretRef::parse).transpose()?,
            namespace: self.namespace.clone(),
            service_account: self.service_account.clone(),
            run_id_env: self.run_id_env.clone(),
            flavor: self.flavor.clone(),
            timezone: self.timezone.clone(),
        })
    }
}

impl EngineArgs {
    pub fn to_options(&self) -> EngineOptions {
        EngineOptions {
            kind: self.kind,
            airflow_version: self.airflow_version,
            tekton_launcher_image: self.tekton_launcher_image.clone(),
        }
    }

    /// Options given that do nothing for these targets: say so rather than ignore them.
    fn unused(&self, engines: &[Engine]) -> Vec<crate::Warning> {
        let mut out = Vec::new();
        let has = |e: Engine| engines.contains(&e);
        if self.kind != ObjectKind::Run && !has(Engine::Argo) && !has(Engine::Tekton) {
            out.push(crate::Warning::new("option-unused", "--kind only applies to the argo and tekton targets"));
        }
        if self.airflow_version != 3 && !has(Engine::Airflow) {
            out.push(crate::Warning::new("option-unused", "--airflow-version only applies to the airflow target"));
        }
        if self.tekton_launcher_image.is_some() && !has(Engine::Tekton) {
            out.push(crate::Warning::new("option-unused", "--tekton-launcher-image only applies to the tekton target"));
        }
        out
    }

    /// A `--templates` directory that does not exist is a usage mistake.
    fn check_templates(&self) -> anyhow::Result<()> {
        match &self.templates {
            Some(dir) if !dir.is_dir() => Err(usage(format!("--templates {}: no such directory", dir.display()))),
            _ => Ok(()),
        }
    }
}

impl Target {
    pub fn engines(self) -> Vec<Engine> {
        match self {
            Target::One(engine) => vec![engine],
            Target::All => Engine::ALL.to_vec(),
        }
    }
}

/// Library options from `compile` arguments (also used by tests for `*.args` fixtures).
pub fn compile_options(args: &CompileArgs) -> Result<Options, Error> {
    Ok(Options {
        build: args.build.to_options()?,
        engine: args.engine.to_options(),
        templates: args.engine.templates.clone(),
    })
}

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
struct UsageError(String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn usage(message: impl Into<String>) -> anyhow::Error {
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

fn read_input(input: &str) -> anyhow::Result<String> {
    if input == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("cannot read standard input")?;
        return Ok(text);
    }
    std::fs::read_to_string(input)
        .map_err(|e| anyhow::Error::new(Error::new(crate::ErrorKind::Io { message: format!("{input}: {e}") })))
}

/// The input text: fetched from a ZenML server with `--server`, else the file or stdin.
fn input_text(remote: &crate::fetch::RemoteArgs, input: &str, quiet: bool) -> anyhow::Result<String> {
    match crate::fetch::remote_input(remote, input, quiet)? {
        Some(text) => Ok(text),
        None => read_input(input),
    }
}

pub(crate) fn print_warnings(warnings: &[crate::Warning], quiet: bool) {
    if quiet {
        return;
    }
    for w in warnings {
        say(w);
    }
}

fn execute(cli: &Cli) -> anyhow::Result<i32> {
    match &cli.command {
        Command::Check(args) => check_command(args),
        Command::Compile(args) => compile_command(args),
        Command::Fetch(args) => crate::fetch::run(args),
    }
}

/// Options from the command line; a bad value is a usage error.
fn options(engine: &EngineArgs, build: &BuildArgs) -> anyhow::Result<Options> {
    engine.check_templates()?;
    build.check().map_err(|e| usage(e.to_string()))?;
    Ok(Options { build: build.to_options()?, engine: engine.to_options(), templates: engine.templates.clone() })
}

/// `check`: everything `compile` does for these engines, warnings included, but no writing.
fn check_command(args: &CheckArgs) -> anyhow::Result<i32> {
    let engines = args.target.engines();
    let opts = options(&args.engine, &args.build)?;
    let text = input_text(&args.remote, &args.input, args.build.quiet)?;
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

fn compile_command(args: &CompileArgs) -> anyhow::Result<i32> {
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
    let text = input_text(&args.remote, &args.input, args.build.quiet)?;
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
