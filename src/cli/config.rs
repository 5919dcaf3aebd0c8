//! Project settings: `zenc.toml`, or `[tool.zenc]` in `pyproject.toml`, the first found from
//! the current directory upward (`zenc.toml` first in each directory), or `--config FILE`.
//! The command line wins over the file, the file over the defaults. Unknown keys are errors:
//! a typo must not be ignored.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use serde::Deserialize;

use super::args::{parse_target, BuildArgs, EngineArgs, Target, WarningArgs};
use super::policy::{Lists, Policy};
use super::UsageError;
use crate::backend::{Engine, EngineOptions, ObjectKind};

pub const FILE_NAME: &str = "zenc.toml";
const PYPROJECT: &str = "pyproject.toml";

/// The settings a file may hold: the deployment options of `compile`, per-target options in
/// `[argo]`, `[tekton]`, `[airflow]`, and the warning policy.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileSettings {
    target: Option<String>,
    image: Option<String>,
    zenml_url: Option<String>,
    zenml_secret: Option<String>,
    namespace: Option<String>,
    service_account: Option<String>,
    run_id_env: Option<String>,
    flavor: Option<String>,
    timezone: Option<String>,
    /// Relative to the file's directory.
    templates: Option<PathBuf>,
    deny_warnings: Option<bool>,
    #[serde(default)]
    deny: Vec<String>,
    #[serde(default)]
    allow: Vec<String>,
    argo: Option<KindTable>,
    tekton: Option<KindTable>,
    airflow: Option<AirflowTable>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct KindTable {
    kind: Option<String>,
    /// Tekton only: `--tekton-launcher-image`.
    launcher_image: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AirflowTable {
    version: Option<u8>,
}

/// `pyproject.toml`: only `[tool.zenc]` is ours, everything else is ignored.
#[derive(Deserialize)]
struct PyProject {
    tool: Option<Tool>,
}

#[derive(Deserialize)]
struct Tool {
    zenc: Option<FileSettings>,
}

/// A configuration file read.
#[derive(Debug)]
struct ConfigFile {
    path: PathBuf,
    /// Key prefix of our table (`tool.zenc.` in a pyproject), for messages.
    prefix: &'static str,
    settings: FileSettings,
}

/// Where settings may come from (the global `--config` / `--no-config`).
#[derive(Debug, Clone, Default)]
pub struct Source {
    pub explicit: Option<PathBuf>,
    pub disabled: bool,
}

fn config_error(path: &Path, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError::Config { file: path.display().to_string(), message: message.into() })
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).map_err(|e| config_error(path, format!("cannot read it: {e}")))
}

/// Read `path`: a pyproject's `[tool.zenc]` (`None` when it has none), or a whole zenc.toml.
fn load(path: &Path) -> anyhow::Result<Option<ConfigFile>> {
    let text = read(path)?;
    let parse_error = |e: toml::de::Error| config_error(path, e.to_string().trim_end());
    if path.file_name().is_some_and(|n| n == PYPROJECT) {
        let project: PyProject = match toml::from_str(&text) {
            Ok(p) => p,
            // Someone else's broken pyproject is not our business, unless it holds our table.
            Err(e) if text.contains("tool.zenc") => return Err(parse_error(e)),
            Err(_) => return Ok(None),
        };
        let settings = project.tool.and_then(|t| t.zenc);
        return Ok(settings.map(|settings| ConfigFile { path: path.to_path_buf(), prefix: "tool.zenc.", settings }));
    }
    let settings = toml::from_str(&text).map_err(parse_error)?;
    Ok(Some(ConfigFile { path: path.to_path_buf(), prefix: "", settings }))
}

/// The file that applies: `--config`, else the first of `zenc.toml` / `pyproject.toml` with
/// `[tool.zenc]` in `start` or a directory above it.
fn find(source: &Source, start: Option<&Path>) -> anyhow::Result<Option<ConfigFile>> {
    if source.disabled {
        return Ok(None);
    }
    if let Some(path) = &source.explicit {
        return match load(path)? {
            Some(file) => Ok(Some(file)),
            None => Err(config_error(path, "has no [tool.zenc] table")),
        };
    }
    let Some(start) = start else { return Ok(None) };
    for dir in start.ancestors() {
        for name in [FILE_NAME, PYPROJECT] {
            let path = dir.join(name);
            if path.is_file() {
                if let Some(file) = load(&path)? {
                    return Ok(Some(file));
                }
            }
        }
    }
    Ok(None)
}

/// Where a resolved setting comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Flag(String),
    File,
    Default,
}

/// One line of `zenc config`.
#[derive(Debug)]
struct Entry {
    key: &'static str,
    /// TOML value, or `None` when unset.
    value: Option<toml::Value>,
    origins: Vec<Origin>,
}

/// The settings a command runs with.
#[derive(Debug)]
pub struct Resolved {
    pub target: Option<Target>,
    /// Deployment options, the file's filled in under the flags'.
    pub build: BuildArgs,
    pub templates: Option<PathBuf>,
    argo_kind: ObjectKind,
    tekton_kind: ObjectKind,
    tekton_launcher_image: Option<String>,
    airflow_version: u8,
    pub policy: Policy,
    file: Option<PathBuf>,
    entries: Vec<Entry>,
}

impl Resolved {
    /// Engine options for one target (`--kind` applies to argo and tekton alike; the file can
    /// set each).
    pub fn engine_options(&self, engine: Engine) -> EngineOptions {
        let kind = match engine {
            Engine::Tekton => self.tekton_kind,
            _ => self.argo_kind,
        };
        EngineOptions {
            kind,
            airflow_version: self.airflow_version,
            tekton_launcher_image: self.tekton_launcher_image.clone(),
        }
    }

    /// `zenc config`: each setting as a TOML line, with where it comes from.
    pub fn describe(&self) -> String {
        let mut out = match &self.file {
            Some(path) => format!("# configuration file: {}\n", path.display()),
            None => "# configuration file: none\n".to_string(),
        };
        let lines: Vec<(String, String)> = self
            .entries
            .iter()
            .map(|e| {
                let origin: Vec<String> = e
                    .origins
                    .iter()
                    .map(|o| match o {
                        Origin::Flag(flag) => flag.clone(),
                        Origin::File => self.file.as_ref().map_or_else(String::new, |p| p.display().to_string()),
                        Origin::Default => "default".into(),
                    })
                    .collect();
                match &e.value {
                    Some(v) => (format!("{} = {v}", e.key), origin.join(", ")),
                    None => (format!("# {} (not set)", e.key), String::new()),
                }
            })
            .collect();
        let width = lines.iter().filter(|(_, o)| !o.is_empty()).map(|(l, _)| l.chars().count()).max().unwrap_or(0);
        for (line, origin) in lines {
            if origin.is_empty() {
                out.push_str(&format!("{line}\n"));
            } else {
                let pad = width.saturating_sub(line.chars().count());
                out.push_str(&format!("{line}{}  # {origin}\n", " ".repeat(pad)));
            }
        }
        out
    }
}

fn string(v: &str) -> toml::Value {
    toml::Value::String(v.to_string())
}

/// Resolve the settings of a command from its flags and the configuration file.
pub fn resolve(
    source: &Source,
    target: Option<Target>,
    engine: &EngineArgs,
    build: &BuildArgs,
    warnings: &WarningArgs,
) -> anyhow::Result<Resolved> {
    let cwd = std::env::current_dir().ok();
    let file = find(source, cwd.as_deref())?;
    let mut r = Resolver { file: file.as_ref(), entries: Vec::new() };
    let target = r.target(target)?;
    let build = r.build(build)?;
    let templates = r.templates(engine)?;
    let (argo_kind, tekton_kind, airflow_version) = r.engines(engine)?;
    let tekton_launcher_image = r.launcher_image(engine)?;
    let policy = r.policy(warnings)?;
    Ok(Resolved {
        target,
        build,
        templates,
        argo_kind,
        tekton_kind,
        tekton_launcher_image,
        airflow_version,
        policy,
        file: file.as_ref().map(|f| f.path.clone()),
        entries: r.entries,
    })
}

/// Merges one command's flags with the file, recording each setting for `zenc config`.
struct Resolver<'a> {
    file: Option<&'a ConfigFile>,
    entries: Vec<Entry>,
}

impl Resolver<'_> {
    fn settings(&self) -> Option<&FileSettings> {
        self.file.map(|f| &f.settings)
    }

    /// `tool.zenc.` in a pyproject, else nothing.
    fn prefix(&self) -> &'static str {
        self.file.map_or("", |f| f.prefix)
    }

    /// A bad value in the file, at `key`.
    fn bad(&self, key: &str, message: impl std::fmt::Display) -> anyhow::Error {
        let path = self.file.map_or_else(PathBuf::new, |f| f.path.clone());
        config_error(&path, format!("{}{key}: {message}", self.prefix()))
    }

    fn target(&mut self, flag: Option<Target>) -> anyhow::Result<Option<Target>> {
        let file = match self.settings().and_then(|f| f.target.as_deref()) {
            Some(t) => Some(parse_target(t).map_err(|e| self.bad("target", e))?),
            None => None,
        };
        Ok(pick(&mut self.entries, "target", flag, "--target", file, None, |t| string(&target_name(*t))))
    }

    /// The flags' deployment options over the file's, which follow the same rules.
    fn build(&mut self, flags: &BuildArgs) -> anyhow::Result<BuildArgs> {
        let fs = self.settings();
        let from_file = BuildArgs {
            image: fs.and_then(|f| f.image.clone()),
            zenml_url: fs.and_then(|f| f.zenml_url.clone()),
            zenml_secret: fs.and_then(|f| f.zenml_secret.clone()),
            namespace: fs.and_then(|f| f.namespace.clone()),
            service_account: fs.and_then(|f| f.service_account.clone()),
            run_id_env: fs.and_then(|f| f.run_id_env.clone()),
            flavor: fs.and_then(|f| f.flavor.clone()),
            timezone: fs.and_then(|f| f.timezone.clone()),
            quiet: false,
        };
        if let Some(file) = self.file {
            let prefix = file.prefix;
            from_file
                .check_as(|key| format!("{prefix}{key}"))
                .map_err(|e| anyhow::Error::new(UsageError::Value(e.in_file(&file.path.display().to_string()))))?;
        }
        let mut merged = flags.clone();
        let fields: [(&'static str, &mut Option<String>, Option<String>); 8] = [
            ("image", &mut merged.image, from_file.image),
            ("zenml-url", &mut merged.zenml_url, from_file.zenml_url),
            ("zenml-secret", &mut merged.zenml_secret, from_file.zenml_secret),
            ("namespace", &mut merged.namespace, from_file.namespace),
            ("service-account", &mut merged.service_account, from_file.service_account),
            ("run-id-env", &mut merged.run_id_env, from_file.run_id_env),
            ("flavor", &mut merged.flavor, from_file.flavor),
            ("timezone", &mut merged.timezone, from_file.timezone),
        ];
        for (key, slot, file) in fields {
            *slot = pick(&mut self.entries, key, slot.take(), &format!("--{key}"), file, None, |v| string(v));
        }
        Ok(merged)
    }

    /// `--templates` (from the current directory) over the file's (from the file's directory).
    fn templates(&mut self, engine: &EngineArgs) -> anyhow::Result<Option<PathBuf>> {
        let file = match (self.settings().and_then(|f| f.templates.as_ref()), self.file) {
            (Some(dir), Some(file)) => {
                let dir = file.path.parent().unwrap_or(Path::new(".")).join(dir);
                if !dir.is_dir() {
                    return Err(self.bad("templates", format_args!("{} is no directory", dir.display())));
                }
                Some(dir)
            }
            _ => None,
        };
        if let Some(dir) = engine.templates.as_ref().filter(|d| !d.is_dir()) {
            return Err(super::usage(format!("--templates {}: no such directory", dir.display())));
        }
        let show = |d: &PathBuf| string(&d.display().to_string());
        Ok(pick(&mut self.entries, "templates", engine.templates.clone(), "--templates", file, None, show))
    }

    /// Argo's and Tekton's object kinds and the Airflow version.
    fn engines(&mut self, engine: &EngineArgs) -> anyhow::Result<(ObjectKind, ObjectKind, u8)> {
        let fs = self.settings();
        let kind_of = |table: Option<&KindTable>, key: &str| -> anyhow::Result<Option<ObjectKind>> {
            match table.and_then(|t| t.kind.as_deref()) {
                Some(k) => ObjectKind::from_str(k, false)
                    .map(Some)
                    .map_err(|_| self.bad(key, format_args!("`{k}` is not a kind; expected `run` or `template`"))),
                None => Ok(None),
            }
        };
        let argo_file = kind_of(fs.and_then(|f| f.argo.as_ref()), "argo.kind")?;
        let tekton_file = kind_of(fs.and_then(|f| f.tekton.as_ref()), "tekton.kind")?;
        let airflow_file = fs.and_then(|f| f.airflow.as_ref()).and_then(|a| a.version);
        if let Some(v) = airflow_file.filter(|v| !(2..=3).contains(v)) {
            return Err(self.bad("airflow.version", format_args!("{v} is not supported; expected 2 or 3")));
        }
        let defaults = EngineOptions::default();
        let show = |k: &ObjectKind| string(k.to_possible_value().expect("no skipped values").get_name());
        let entries = &mut self.entries;
        let argo = pick(entries, "argo.kind", engine.kind, "--kind", argo_file, Some(defaults.kind), show);
        let tekton = pick(entries, "tekton.kind", engine.kind, "--kind", tekton_file, Some(defaults.kind), show);
        let version = pick(
            entries,
            "airflow.version",
            engine.airflow_version,
            "--airflow-version",
            airflow_file,
            Some(defaults.airflow_version),
            |v| toml::Value::Integer(i64::from(*v)),
        );
        let given = "a default is given";
        Ok((argo.expect(given), tekton.expect(given), version.expect(given)))
    }

    /// `--tekton-launcher-image` over `[tekton] launcher-image`.
    fn launcher_image(&mut self, engine: &EngineArgs) -> anyhow::Result<Option<String>> {
        let key = "tekton.launcher-image";
        let file = match self.settings().and_then(|f| f.tekton.as_ref()).and_then(|t| t.launcher_image.as_deref()) {
            Some(image) => Some(super::args::parse_image(image).map_err(|e| self.bad(key, e))?),
            None => None,
        };
        let flag = engine.tekton_launcher_image.clone();
        Ok(pick(&mut self.entries, key, flag, "--tekton-launcher-image", file, None, |v| string(v)))
    }

    /// The warning policy: flags' lists and the file's.
    fn policy(&mut self, warnings: &WarningArgs) -> anyhow::Result<Policy> {
        let flags =
            Lists::new(warnings.deny_warnings, &warnings.deny, &warnings.allow, ("-D", "-A")).map_err(super::usage)?;
        let file = match self.settings() {
            Some(f) => {
                let names = (format!("{}deny", self.prefix()), format!("{}allow", self.prefix()));
                Lists::new(f.deny_warnings.unwrap_or(false), &f.deny, &f.allow, (&names.0, &names.1))
                    .map_err(|e| config_error(&self.file.expect("settings come from a file").path, e))?
            }
            None => Lists::default(),
        };
        let deny_all = match (flags.deny_all, self.settings().and_then(|f| f.deny_warnings)) {
            (true, _) => Origin::Flag("--deny-warnings".into()),
            (false, Some(_)) => Origin::File,
            (false, None) => Origin::Default,
        };
        let value = Some(toml::Value::Boolean(flags.deny_all || file.deny_all));
        self.entries.push(Entry { key: "deny-warnings", value, origins: vec![deny_all] });
        self.entries.push(list_entry("deny", &flags.deny, "-D", &file.deny));
        self.entries.push(list_entry("allow", &flags.allow, "-A", &file.allow));
        Ok(Policy { flags, file })
    }
}

/// The flag's value, else the file's, else the default; recorded for `zenc config`.
fn pick<T>(
    entries: &mut Vec<Entry>,
    key: &'static str,
    flag: Option<T>,
    flag_name: &str,
    file: Option<T>,
    default: Option<T>,
    show: impl Fn(&T) -> toml::Value,
) -> Option<T> {
    let (value, origin) = match (flag, file, default) {
        (Some(v), _, _) => (Some(v), Origin::Flag(flag_name.to_string())),
        (None, Some(v), _) => (Some(v), Origin::File),
        (None, None, d) => (d, Origin::Default),
    };
    entries.push(Entry { key, value: value.as_ref().map(show), origins: vec![origin] });
    value
}

fn list_entry(key: &'static str, flags: &BTreeSet<String>, flag: &str, file: &BTreeSet<String>) -> Entry {
    let mut origins = Vec::new();
    if !flags.is_empty() {
        origins.push(Origin::Flag(flag.to_string()));
    }
    if !file.is_empty() {
        origins.push(Origin::File);
    }
    if origins.is_empty() {
        origins.push(Origin::Default);
    }
    let all: BTreeSet<&String> = flags.iter().chain(file).collect();
    Entry { key, value: Some(toml::Value::Array(all.into_iter().map(|c| string(c)).collect())), origins }
}

fn target_name(t: Target) -> String {
    match t {
        Target::One(e) => e.name().to_string(),
        Target::All => "all".into(),
    }
}
