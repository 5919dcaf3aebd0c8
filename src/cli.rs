//! Command line: files in, files out, warnings on stderr. Exit 0 ok, 1 bad input, 2 usage.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};

use crate::backend::{Engine, EngineOptions, ObjectKind};
use crate::ir::{BuildOptions, SecretRef};
use crate::{compile, load_ir, Error, Options};

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
    /// Parse and validate a snapshot; print warnings; write nothing.
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
    /// Write the output to FILE (atomically; `-` = stdout) instead of stdout. Missing parent
    /// directories are created.
    #[arg(long, short = 'o', value_name = "FILE", conflicts_with = "out_dir")]
    pub output: Option<PathBuf>,
    /// Write one file per target into DIR, named `<input stem>.<target>.<ext>`.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// `run` (default): Argo Workflow, or CronWorkflow + WorkflowTemplate when scheduled.
    /// Tekton: Pipeline + PipelineRun, or Pipeline + CronJob (+ RBAC) when scheduled.
    /// `template` (alias `pipeline`): a WorkflowTemplate / Tekton Pipeline with a fixed name,
    /// for `kubectl apply`.
    #[arg(long, value_enum, default_value_t = ObjectKind::Run)]
    pub kind: ObjectKind,
    /// Airflow major version the DAG file is written for: 3 (default), or 2 for Airflow 2.9+
    /// with cncf.kubernetes provider 8+.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u8).range(2..=3))]
    pub airflow_version: u8,
    /// Do not write; exit 1 if the existing output files differ from what would be written.
    #[arg(long)]
    pub check: bool,
    /// Directory with user copies of templates (`<engine>/<file>.j2`) overriding the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    #[command(flatten)]
    pub build: BuildArgs,
    #[command(flatten)]
    pub remote: crate::fetch::RemoteArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Snapshot file, or `-` for stdin; with --server, a snapshot id or name.
    pub input: String,
    /// Engines to check the pipeline against (lowered, not written): one engine or `all`.
    #[arg(long, short = 't', value_parser = parse_target, default_value = "all")]
    pub target: Target,
    #[command(flatten)]
    pub build: BuildArgs,
    #[command(flatten)]
    pub remote: crate::fetch::RemoteArgs,
}

/// Deployment choices shared by `compile` and `check`.
#[derive(Debug, Args, Default)]
pub struct BuildArgs {
    /// Image for steps the snapshot has no image for (the plain REST shape has none).
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// ZenML server URL the steps report to (sets ZENML_STORE_URL).
    #[arg(long, value_name = "URL")]
    pub zenml_url: Option<String>,
    /// Kubernetes Secret with a ZenML service-account API key: NAME[:KEY], KEY defaults to
    /// `api-key`. Sets ZENML_STORE_API_KEY by reference; the value never enters the spec.
    #[arg(long, value_name = "NAME[:KEY]")]
    pub zenml_secret: Option<String>,
    /// Namespace of the emitted objects.
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
    /// Validated library options.
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
        engine: EngineOptions {
            source_name: source_name(&args.input),
            kind: args.kind,
            airflow_version: args.airflow_version,
        },
        templates: args.templates.clone(),
    })
}

/// The input's file name without directories: the output must not depend on where it lives.
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

/// Run the CLI; returns the exit code.
pub fn run<I: IntoIterator<Item = OsString>>(args: I) -> i32 {
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
                eprintln!("error: {u}");
                return 2;
            }
            // A closed pipe (`zenc … | head`) is the reader's choice, not an error.
            if e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) {
                return 0;
            }
            match e.downcast_ref::<Error>() {
                Some(err) => eprintln!("error: {err}"),
                None => eprintln!("error: {e:#}"),
            }
            1
        }
    }
}

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

fn print_warnings(warnings: &[crate::Warning], quiet: bool) {
    if quiet {
        return;
    }
    for w in warnings {
        eprintln!("{w}");
    }
}

fn execute(cli: &Cli) -> anyhow::Result<i32> {
    match &cli.command {
        Command::Check(args) => {
            let text = input_text(&args.remote, &args.input, args.build.quiet)?;
            let name = source_name(&args.input);
            let opts = Options {
                build: args.build.to_options()?,
                engine: EngineOptions { source_name: name.clone(), ..EngineOptions::default() },
                templates: None,
            };
            let (pipeline, _) = load_ir(&text, &name, &opts.build)?;
            // Lower for every engine asked: an input only one engine rejects is not `ok`.
            let output = compile(&text, &name, &args.target.engines(), &opts)?;
            print_warnings(&output.warnings, args.build.quiet);
            let engines: Vec<&str> = args.target.engines().iter().map(|e| e.name()).collect();
            eprintln!(
                "ok: pipeline `{}` with {} step(s) ({})",
                pipeline.name,
                pipeline.steps.len(),
                engines.join(", ")
            );
            Ok(0)
        }
        Command::Compile(args) => compile_command(args),
        Command::Fetch(args) => crate::fetch::run(args),
    }
}

fn compile_command(args: &CompileArgs) -> anyhow::Result<i32> {
    let engines = args.target.engines();
    let to_stdout = args.out_dir.is_none() && args.output.as_deref().is_none_or(|p| p == Path::new("-"));
    if args.target == Target::All && args.out_dir.is_none() {
        return Err(usage("--target all writes several files: pass --out-dir DIR"));
    }
    if args.check && to_stdout {
        return Err(usage("--check compares files: pass -o FILE or --out-dir DIR"));
    }
    if let Some(dir) = &args.templates {
        if !dir.is_dir() {
            return Err(usage(format!("--templates {}: no such directory", dir.display())));
        }
    }
    let text = input_text(&args.remote, &args.input, args.build.quiet)?;
    let opts = compile_options(args)?;
    let mut output = compile(&text, &source_name(&args.input), &engines, &opts)?;
    output.warnings.extend(unused_options(args, &engines));
    print_warnings(&output.warnings, args.build.quiet);

    let mut targets: Vec<(PathBuf, &str)> = Vec::new();
    // Where each suffix lands: `--out-dir` → `DIR/<input stem>.<suffix>`; `-o FILE` → FILE for
    // the main spec and `<FILE stem>.<suffix>` beside it for the rest.
    let place = |suffix: &str| -> PathBuf {
        match (&args.out_dir, &args.output) {
            (Some(dir), _) => dir.join(format!("{}.{suffix}", output_stem(&args.input))),
            (None, Some(path)) => beside(path, suffix),
            (None, None) => unreachable!("stdout is handled below"),
        }
    };
    let mut stale_optional = Vec::new();
    if !to_stdout {
        for (i, (_, artifact)) in output.files.iter().enumerate() {
            let path = match (&args.out_dir, &args.output) {
                (None, Some(path)) if i == 0 => path.clone(),
                _ => place(&artifact.suffix),
            };
            targets.push((path, &artifact.content));
        }
        for engine in &engines {
            for suffix in engine.optional_suffixes() {
                let path = place(suffix);
                if path.is_file() && !targets.iter().any(|(t, _)| *t == path) {
                    stale_optional.push(path);
                }
            }
        }
    } else {
        // stdout gets the main spec only: a second file (a request body) cannot share a stream.
        let (first, rest) = output.files.split_first().expect("a target writes at least one file");
        for (_, artifact) in rest {
            if !args.build.quiet {
                eprintln!(
                    "note: `{}` is not printed on stdout: pass -o FILE or --out-dir DIR to write it",
                    artifact.suffix
                );
            }
        }
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(first.1.content.as_bytes())?;
        stdout.flush()?;
        return Ok(0);
    }

    if args.check {
        let mut stale = 0;
        for (path, content) in &targets {
            if std::fs::read_to_string(path).ok().as_deref() != Some(*content) {
                eprintln!("out of date: {}", path.display());
                stale += 1;
            }
        }
        for path in &stale_optional {
            eprintln!("no longer produced: {}", path.display());
            stale += 1;
        }
        return Ok(if stale == 0 { 0 } else { 1 });
    }
    write_all_atomically(&targets)?;
    for path in &stale_optional {
        std::fs::remove_file(path).with_context(|| format!("cannot remove the outdated {}", path.display()))?;
        if !args.build.quiet {
            eprintln!("note: removed {}: this pipeline no longer produces it", path.display());
        }
    }
    Ok(0)
}

/// Options the user gave that do nothing for these targets: say so rather than ignore them.
fn unused_options(args: &CompileArgs, engines: &[Engine]) -> Vec<crate::Warning> {
    let mut out = Vec::new();
    let has = |e: Engine| engines.contains(&e);
    if args.kind != ObjectKind::Run && !has(Engine::Argo) && !has(Engine::Tekton) {
        out.push(crate::Warning::new("option-unused", "--kind only applies to the argo and tekton targets"));
    }
    if args.airflow_version != 3 && !has(Engine::Airflow) {
        out.push(crate::Warning::new("option-unused", "--airflow-version only applies to the airflow target"));
    }
    out
}

/// Every temporary file is written before any is renamed into place, so a failure (a full
/// disk, a target that is a directory) leaves every existing output file as it was.
pub fn write_all_atomically(targets: &[(PathBuf, &str)]) -> anyhow::Result<()> {
    let mut staged = Vec::with_capacity(targets.len());
    for (path, content) in targets {
        if path.is_dir() {
            bail!("cannot write {}: it is a directory", path.display());
        }
        staged.push((path, stage(path, content)?));
    }
    for (path, tmp) in staged {
        tmp.persist(path).map_err(|e| e.error).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// `dir/pipe.yaml` + `kubeflow.recurring-run.json` → `dir/pipe.kubeflow.recurring-run.json`.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let stem = path.file_stem().map_or_else(|| "pipeline".into(), |s| s.to_string_lossy().into_owned());
    path.with_file_name(format!("{stem}.{suffix}"))
}

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

/// Write `content` to a temporary file next to `path` (creating the directory), ready to be
/// renamed over it: readers never see half a file.
fn stage(path: &Path, content: &str) -> anyhow::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create directory {}", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".zenc-")
        .tempfile_in(dir)
        .map_err(|e| anyhow::anyhow!("cannot write into {}: {}", dir.display(), e.kind()))?;
    tmp.write_all(content.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
    tmp.as_file().sync_all().ok();
    set_mode(tmp.path(), path);
    Ok(tmp)
}

/// Write one file atomically (see `write_all_atomically`).
pub fn write_atomically(path: &Path, content: &str) -> anyhow::Result<()> {
    write_all_atomically(&[(path.to_path_buf(), content)])
}

/// A temp file is created 0600; give the result the target's mode, or the usual 0644.
#[cfg(unix)]
fn set_mode(tmp: &Path, target: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(target).map(|m| m.permissions().mode() & 0o7777).unwrap_or(0o644);
    let _ = std::fs::set_permissions(tmp, std::fs::Permissions::from_mode(mode));
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: &Path) {}
