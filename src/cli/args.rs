//! The command line's clap types: subcommands, their arguments, and the library options they
//! turn into.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::backend::{Engine, EngineOptions, ObjectKind};
use crate::diagnostic::codes;
use crate::ir::{syntax, BuildOptions, SecretRef};
use crate::{Error, Options};

/// Compile ZenML pipeline snapshots into native workflow-engine specs (`--target`).
#[derive(Debug, Parser)]
#[command(name = "zenc", version, about, long_about = None, after_help = super::help::AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// How warnings and errors are printed on stderr: `human` text, or `json`, one object per
    /// line (schema in README, "Diagnostics for machines").
    #[arg(long, global = true, value_enum, value_name = "FORMAT", default_value_t = MessageFormat::Human, help_heading = GLOBAL)]
    pub message_format: MessageFormat,
    /// Read settings from FILE (a zenc.toml, or a pyproject.toml with [tool.zenc]) instead of
    /// the one found from the current directory upward.
    #[arg(long, global = true, value_name = "FILE", help_heading = GLOBAL)]
    pub config: Option<PathBuf>,
    /// Ignore configuration files: only the command line counts.
    #[arg(long, global = true, conflicts_with = "config", help_heading = GLOBAL)]
    pub no_config: bool,
}

/// Help heading of the options every command takes, so a command's own options read first.
const GLOBAL: &str = "Global options";

/// `--message-format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MessageFormat {
    /// `warning[code]: message` and `error: message` lines, for people.
    Human,
    /// One JSON object per line, for CI tools.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compile a snapshot (ZenML JSON or zenc YAML) for a target engine.
    #[command(after_help = super::help::COMPILE_AFTER_HELP)]
    Compile(CompileArgs),
    /// Everything `compile` does (parse, validate, lower, render; the same warnings), writing nothing.
    Check(CheckArgs),
    /// Draw the pipeline's steps and edges as a Mermaid or Graphviz DOT graph.
    #[command(after_help = super::help::GRAPH_AFTER_HELP)]
    Graph(GraphArgs),
    /// Explain a warning or error code: what was lost, why, what to do (no CODE: list them all).
    Explain(ExplainArgs),
    /// Print the settings zenc would use (zenc.toml, pyproject.toml, flags) and where each comes from.
    Config(ConfigArgs),
    /// Print a shell completion script: `zenc completions bash > /etc/bash_completion.d/zenc`.
    Completions(CompletionsArgs),
    /// Print the manual page (roff), or write one page per command into a directory.
    Man(ManArgs),
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

/// `--target`'s help: `what`, with `{engines}` and `{files}` replaced by the engines of the
/// registry and the files some of them write beside the spec.
fn target_help(what: &str) -> String {
    let names: Vec<&str> = Engine::ALL.iter().map(|e| e.name()).collect();
    let files: Vec<String> =
        Engine::ALL.iter().flat_map(|e| e.optional_suffixes()).map(|s| format!("`<stem>.{s}`")).collect();
    what.replace("{engines}", &names.join(", ")).replace("{files}", &files.join(", "))
}

const TARGET_COMPILE: &str = "Target engine ({engines}), or `all` with --out-dir; required unless zenc.toml sets \
     `target`. With a schedule, some also write {files} (beside -o FILE; not printed on stdout)";

pub(super) fn parse_target(s: &str) -> Result<Target, String> {
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
    /// Target engine (from the engine registry), or `all` with --out-dir; required unless
    /// zenc.toml sets `target`. A schedule's request body (Kubeflow's recurring run) is a
    /// second file beside -o FILE, not printed on stdout.
    #[arg(long, short = 't', value_parser = parse_target, help = target_help(TARGET_COMPILE))]
    pub target: Option<Target>,
    /// Write the output to FILE (`-` = stdout) instead of stdout. A regular file is replaced
    /// atomically (a symlink: the file it points to); a device or FIFO is written through.
    /// Missing parent directories are created.
    #[arg(long, short = 'o', value_name = "FILE", conflicts_with = "out_dir")]
    pub output: Option<PathBuf>,
    /// Write one file per target into DIR, named `<input stem>.<target>.<ext>`.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Do not write; exit 3 if the existing output files differ from what would be written (a
    /// unified diff on stdout), are missing, or are no longer produced.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub build: BuildArgs,
    #[command(flatten)]
    pub warnings: WarningArgs,
    #[command(flatten)]
    pub remote: crate::fetch::RemoteArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Snapshot file, or `-` for stdin; with --server, a snapshot id or name.
    pub input: String,
    /// Engines to check the pipeline against (lowered, not written): one engine or `all`
    /// (default: zenc.toml's `target`, else all).
    #[arg(long, short = 't', value_parser = parse_target)]
    pub target: Option<Target>,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub build: BuildArgs,
    #[command(flatten)]
    pub warnings: WarningArgs,
    #[command(flatten)]
    pub remote: crate::fetch::RemoteArgs,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Snapshot file, or `-` for stdin; with --server, a snapshot id or name.
    pub input: String,
    /// `mermaid` (GitHub renders it in Markdown) or `dot` (Graphviz).
    #[arg(long, short = 'f', value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
    /// Write the graph to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub build: BuildArgs,
    #[command(flatten)]
    pub remote: crate::fetch::RemoteArgs,
}

/// `graph --format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A code as printed in `warning[CODE]` or in a JSON diagnostic's `code`.
    pub code: Option<String>,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// As for `compile`: shows which target would be used.
    #[arg(long, short = 't', value_parser = parse_target)]
    pub target: Option<Target>,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub build: BuildArgs,
    #[command(flatten)]
    pub warnings: WarningArgs,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `zenc.1` and one `zenc-<command>.1` per command into DIR instead of printing
    /// `zenc.1`.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// Which warnings are errors, and which are not shown, shared by `compile` and `check`. A
/// code-specific choice beats the blanket `--deny-warnings`; the command line beats zenc.toml.
#[derive(Debug, Args, Default)]
pub struct WarningArgs {
    /// Treat every warning as an error: print them as errors, write nothing, exit 1.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Treat warning CODE as an error (repeat, or separate codes with commas).
    #[arg(short = 'D', long = "deny", value_name = "CODE", value_delimiter = ',')]
    pub deny: Vec<String>,
    /// Do not report warning CODE (repeat, or separate codes with commas).
    #[arg(short = 'A', long = "allow", value_name = "CODE", value_delimiter = ',')]
    pub allow: Vec<String>,
}

/// How the engines write their output, shared by `compile` and `check` (which lowers and
/// renders exactly as `compile` would).
#[derive(Debug, Args, Default)]
pub struct EngineArgs {
    /// `run` (default): Argo Workflow, or CronWorkflow + WorkflowTemplate when scheduled.
    /// Tekton: one self-contained PipelineRun, or a CronJob (+ RBAC, ConfigMap) creating them
    /// when scheduled. `template` (alias `pipeline`): a WorkflowTemplate / Tekton Pipeline (and
    /// the Tasks its alike steps share) with a fixed name, for `kubectl apply` (Tekton,
    /// scheduled: + the CronJob running it by name).
    #[arg(long, value_enum)]
    pub kind: Option<ObjectKind>,
    /// Airflow major version the DAG file is written for: 3 (default), or 2 for Airflow 2.9+
    /// with cncf.kubernetes provider 8+.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(2..=3))]
    pub airflow_version: Option<u8>,
    /// Directory with user copies of templates (`<engine>/<file>.j2`) overriding the built-in
    /// ones. A YAML template whose output does not parse is an error naming it.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Image of the pod that a scheduled Tekton pipeline's CronJob starts to create each
    /// PipelineRun (needs `kubectl` and `/bin/sh`; default `registry.k8s.io/kubectl:v1.34.1`).
    #[arg(long, value_name = "IMAGE", value_parser = parse_image)]
    pub tekton_launcher_image: Option<String>,
}

/// An image reference: not empty, no spaces or control characters.
pub(super) fn parse_image(s: &str) -> Result<String, String> {
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("expected an image reference without spaces, e.g. `registry.example.com/tools/kubectl:1.34`".into());
    }
    Ok(s.to_string())
}

/// Deployment choices shared by `compile` and `check`. A malformed value is a usage error
/// (exit 2) saying what would be right.
#[derive(Debug, Clone, Args, Default)]
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
        self.check_as(|key| format!("--{key}"))
    }

    /// `check`, naming a value's place with `at(key)` (`zenml-url` → `--zenml-url`, or the key
    /// of a configuration file).
    pub fn check_as(&self, at: impl Fn(&str) -> String) -> Result<(), Error> {
        let check = |value: &Option<String>, key: &str, rule: &dyn Fn(&str) -> crate::Result<()>| match value {
            Some(v) => rule(v).map_err(|e| e.at(at(key))),
            None => Ok(()),
        };
        check(&self.zenml_url, "zenml-url", &syntax::http_url)?;
        // `SecretRef::parse` names the flag; the key may be a configuration file's.
        let secret = |v: &str| {
            SecretRef::parse(v).map(drop).map_err(|mut e| {
                e.location.path = None;
                e
            })
        };
        check(&self.zenml_secret, "zenml-secret", &secret)?;
        check(&self.namespace, "namespace", &syntax::namespace)?;
        check(&self.service_account, "service-account", &|v| syntax::object_name("service account", v))?;
        check(&self.run_id_env, "run-id-env", &syntax::run_id_env)?;
        check(&self.timezone, "timezone", &syntax::timezone)
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
    /// Options from the flags alone (defaults for the rest).
    pub fn to_options(&self) -> EngineOptions {
        let default = EngineOptions::default();
        EngineOptions {
            kind: self.kind.unwrap_or(default.kind),
            airflow_version: self.airflow_version.unwrap_or(default.airflow_version),
            tekton_launcher_image: self.tekton_launcher_image.clone(),
        }
    }

    /// Options given that do nothing for these targets: say so rather than ignore them.
    pub(super) fn unused(&self, engines: &[Engine]) -> Vec<crate::Warning> {
        let mut out = Vec::new();
        let has = |e: Engine| engines.contains(&e);
        if self.kind.is_some_and(|k| k != ObjectKind::Run) && !has(Engine::Argo) && !has(Engine::Tekton) {
            out.push(crate::Warning::new(&codes::OPTION_UNUSED, "--kind only applies to the argo and tekton targets"));
        }
        if self.airflow_version.is_some_and(|v| v != 3) && !has(Engine::Airflow) {
            out.push(crate::Warning::new(
                &codes::OPTION_UNUSED,
                "--airflow-version only applies to the airflow target",
            ));
        }
        if self.tekton_launcher_image.is_some() && !has(Engine::Tekton) {
            out.push(crate::Warning::new(
                &codes::OPTION_UNUSED,
                "--tekton-launcher-image only applies to the tekton target",
            ));
        }
        out
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
