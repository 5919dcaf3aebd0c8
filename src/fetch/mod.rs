//! `zenc fetch`: read a snapshot from a ZenML server and hydrate it into the JSON zenc reads.
//!
//! `GET /api/v1/pipeline_snapshots/{id}` answers the snapshot with its nested stack, build and
//! schedule *unhydrated* (their `metadata` is `null`: no orchestrator flavor, no image names).
//! ZenML's own orchestrators hydrate them lazily; this does the same, replacing each nested
//! object by `GET /api/v1/{stacks,pipeline_builds,schedules}/{id}` — exactly what
//! `snapshot.stack.hydrate()` etc. put there (zenml.md §5e). Key order is kept as sent.

pub mod client;
pub mod json;

use std::fmt;
use std::path::PathBuf;

use crate::cli::write;
use crate::diagnostic::codes;
use clap::Args;

use crate::Warning;
use client::{Credentials, Secret, Server};
use json::Json;

/// How to log in to the server, shared by `fetch` and `compile --server`.
#[derive(Debug, Clone, Default, Args)]
pub struct LoginArgs {
    /// File holding a ZenML service-account API key (default: $ZENML_STORE_API_KEY; a key is
    /// never accepted on the command line). Not needed for a server without authentication.
    #[arg(long, value_name = "FILE", requires = "server")]
    pub api_key_file: Option<PathBuf>,
    /// Project in which to look up a snapshot name (default: the server's default project).
    #[arg(long, value_name = "NAME|ID", requires = "server")]
    pub project: Option<String>,
}

/// `zenc fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Snapshot UUID, or the name of a named snapshot.
    #[arg(value_name = "SNAPSHOT_ID|NAME")]
    pub snapshot: String,
    /// ZenML server URL.
    #[arg(long, value_name = "URL", env = "ZENML_STORE_URL", hide_env_values = true, value_parser = server_url)]
    pub server: String,
    #[command(flatten)]
    pub login: LoginArgs,
    /// Write the snapshot JSON to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Do not print warnings.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// `--server` on `compile` and `check`: the input names a snapshot on that server.
#[derive(Debug, Clone, Default, Args)]
pub struct RemoteArgs {
    /// Fetch the snapshot named by the input (an id or name) from this ZenML server, as
    /// `zenc fetch` does, instead of reading a file.
    #[arg(long, value_name = "URL", value_parser = server_url)]
    pub server: Option<String>,
    #[command(flatten)]
    pub login: LoginArgs,
}

/// `--server` values: an http(s) URL (a bad one is a usage error, exit 2).
fn server_url(s: &str) -> Result<String, String> {
    if (s.starts_with("http://") || s.starts_with("https://")) && !s.contains(char::is_whitespace) {
        Ok(s.to_string())
    } else {
        Err(format!("`{s}` is not a ZenML server URL: pass an http:// or https:// URL"))
    }
}

/// Why fetching failed. All wording lives in `Display`.
#[derive(Debug)]
pub enum FetchError {
    BadUrl { url: String },
    Unreachable { url: String, reason: String },
    NotZenml { url: String, what: String },
    TooOld { url: String, version: String },
    NoRoute { url: String, path: String, version: String },
    AuthRequired { url: String },
    BadKey { url: String, status: u16, detail: String },
    Denied { path: String, status: u16, detail: String },
    KeyFile { path: PathBuf, reason: String },
    CaBundle { path: String, reason: String },
    NotFound { snapshot: String, url: String },
    Ambiguous { name: String, candidates: Vec<String> },
    Http { path: String, status: u16, detail: String },
    BadResponse { path: String, what: &'static str },
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let help: String = match self {
            FetchError::BadUrl { url } => {
                write!(f, "`{url}` is not a ZenML server URL")?;
                "pass an http:// or https:// URL, e.g. `--server https://zenml.example.com`".into()
            }
            FetchError::Unreachable { url, reason } => {
                write!(f, "cannot reach the ZenML server at {url}: {reason}")?;
                "check the URL and that the server is running (`zenml login --local` starts one on 127.0.0.1)".into()
            }
            FetchError::NotZenml { url, what } => {
                write!(f, "{url} does not look like a ZenML server: {what}")?;
                "pass the URL `zenml status` shows for the server, without the `/api/v1` part".into()
            }
            FetchError::TooOld { url, version } => {
                write!(f, "the ZenML server at {url} runs ZenML {version}, which has no pipeline snapshots")?;
                format!(
                    "zenc reads snapshots of ZenML {}.{} and later (tested with {}.{}); upgrade the server",
                    client::OLDEST_VERSION.0,
                    client::OLDEST_VERSION.1,
                    client::TESTED_VERSION.0,
                    client::TESTED_VERSION.1
                )
            }
            FetchError::NoRoute { url, path, version } => {
                write!(f, "the ZenML server at {url} (version {version}) has no `{path}` endpoint")?;
                "zenc and the server disagree on the REST API: use a ZenML server of the version zenc was tested with (0.98)".into()
            }
            FetchError::AuthRequired { url } => {
                write!(f, "the ZenML server at {url} requires authentication and no credentials were given")?;
                "set ZENML_STORE_API_KEY to a service-account API key (`zenml service-account create zenc`), or pass `--api-key-file FILE`".into()
            }
            FetchError::BadKey { url, status, detail } => {
                write!(f, "the ZenML server at {url} rejected the API key (HTTP {status}: {detail})")?;
                "check that the key is current (`zenml service-account api-key <account> list`) and belongs to this server".into()
            }
            FetchError::Denied { path, status, detail } => {
                write!(f, "access denied to {path} (HTTP {status}: {detail})")?;
                "the service account needs read access to the snapshot, its stack and its build".into()
            }
            FetchError::KeyFile { path, reason } => {
                write!(f, "cannot read the API key file {}: {reason}", path.display())?;
                "the file must hold the service-account API key on its first line".into()
            }
            FetchError::CaBundle { path, reason } => {
                write!(f, "ZENML_STORE_VERIFY_SSL={path}: {reason}")?;
                "set it to a PEM CA bundle, `true` (default) or `false`".into()
            }
            FetchError::NotFound { snapshot, url } => {
                write!(f, "no snapshot `{snapshot}` on the ZenML server at {url}")?;
                "list snapshots with `zenml pipeline snapshot list`; a name is looked up in one project (`--project`)"
                    .into()
            }
            FetchError::Ambiguous { name, candidates } => {
                write!(f, "{} snapshots are named `{name}`: {}", candidates.len(), candidates.join(", "))?;
                "pass the snapshot id instead of its name".into()
            }
            FetchError::Http { path, status, detail } => {
                write!(f, "the ZenML server answered HTTP {status} to {path}: {detail}")?;
                "retry; if it persists, the server log says more".into()
            }
            FetchError::BadResponse { path, what } => {
                write!(f, "unexpected answer from the ZenML server to {path}: {what}")?;
                "zenc was tested with ZenML 0.98 servers; please report this with the server version".into()
            }
        };
        write!(f, "\n  = help: {help}")
    }
}

impl std::error::Error for FetchError {}

/// Credentials from the environment and `--api-key-file`, never from the command line.
fn credentials(login: &LoginArgs) -> Result<Credentials, FetchError> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let api_key = match &login.api_key_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| FetchError::KeyFile { path: path.clone(), reason: e.to_string() })?;
            let key = text.lines().next().unwrap_or("").trim().to_string();
            if key.is_empty() {
                return Err(FetchError::KeyFile { path: path.clone(), reason: "it is empty".into() });
            }
            Some(Secret::new(key))
        }
        None => env("ZENML_STORE_API_KEY").map(|k| Secret::new(k.trim().to_string())),
    };
    Ok(Credentials {
        // An explicit key file wins over a token the environment happens to carry.
        token: if login.api_key_file.is_some() { None } else { env("ZENML_STORE_API_TOKEN").map(Secret::new) },
        api_key,
        verify_ssl: env("ZENML_STORE_VERIFY_SSL"),
    })
}

/// Fetch and hydrate `snapshot` (a UUID or a name) from the server at `url`.
pub fn fetch(url: &str, login: &LoginArgs, snapshot: &str) -> Result<(Json, Vec<Warning>), FetchError> {
    let server = Server::connect(url, credentials(login)?)?;
    let mut warnings = Vec::new();
    if client::major_minor(&server.info.version).is_some_and(|v| v > client::TESTED_VERSION) {
        warnings.push(Warning::new(
            &codes::ZENML_VERSION,
            format!(
                "the ZenML server runs {}, newer than the ZenML {}.{} zenc was tested with; if the snapshot does not compile, please report it",
                server.info.version,
                client::TESTED_VERSION.0,
                client::TESTED_VERSION.1
            ),
        ));
    }
    let id = match parse_uuid(snapshot) {
        Some(id) => id,
        None => lookup_name(&server, snapshot, login.project.as_deref())?,
    };
    let mut snap = server
        .get(&format!("/pipeline_snapshots/{id}"), &[("hydrate", "true")])?
        .ok_or_else(|| FetchError::NotFound { snapshot: snapshot.to_string(), url: server.url.clone() })?;
    if snap.get("metadata").is_none_or(Json::is_null) {
        return Err(FetchError::BadResponse {
            path: format!("/api/v1/pipeline_snapshots/{id}"),
            what: "the snapshot has no `metadata` although it was asked for hydrated",
        });
    }
    hydrate(&server, &mut snap, &mut warnings)?;
    Ok((snap, warnings))
}

/// Replace the nested stack, build and schedule by their hydrated versions.
fn hydrate(server: &Server, snap: &mut Json, warnings: &mut Vec<Warning>) -> Result<(), FetchError> {
    let Some(resources) = snap.get_mut("resources") else {
        return Ok(());
    };
    for (key, endpoint, consequence) in [
        ("stack", "stacks", "its orchestrator flavor is unknown (pass --flavor to compile)"),
        ("build", "pipeline_builds", "it has no image names (pass --image to compile)"),
        ("schedule", "schedules", "its schedule is as the snapshot lists it"),
    ] {
        let Some(nested) = resources.get_mut(key) else { continue };
        let Some(id) = nested.get("id").and_then(Json::as_str).and_then(parse_uuid) else { continue };
        match server.get(&format!("/{endpoint}/{id}"), &[("hydrate", "true")])? {
            Some(full) => *nested = full,
            None => warnings.push(
                Warning::new(
                    &codes::FETCH_MISSING,
                    format!("the snapshot's {key} {id} no longer exists on the server: {consequence}"),
                )
                .at(format!("resources.{key}")),
            ),
        }
    }
    Ok(())
}

/// A named snapshot: names are looked up exactly (`equals:` keeps a `:` in a name literal).
fn lookup_name(server: &Server, name: &str, project: Option<&str>) -> Result<String, FetchError> {
    let filter = format!("equals:{name}");
    let mut query = vec![("name", filter.as_str()), ("size", "20"), ("hydrate", "false")];
    if let Some(p) = project {
        query.push(("project", p));
    }
    let not_found = || FetchError::NotFound { snapshot: name.to_string(), url: server.url.clone() };
    let page = server.get("/pipeline_snapshots", &query)?.ok_or_else(not_found)?;
    let items = page.get("items").and_then(Json::as_array).unwrap_or(&[]);
    let ids: Vec<&str> = items.iter().filter_map(|s| s.get("id").and_then(Json::as_str)).collect();
    match ids.as_slice() {
        [] => Err(not_found()),
        [one] => Ok(one.to_string()),
        many => {
            let candidates = items
                .iter()
                .zip(many)
                .map(|(s, id)| {
                    let pipeline = s
                        .get("resources")
                        .and_then(|r| r.get("pipeline"))
                        .and_then(|p| p.get("name"))
                        .and_then(Json::as_str)
                        .unwrap_or("?");
                    format!("{id} (pipeline `{pipeline}`)")
                })
                .collect();
            Err(FetchError::Ambiguous { name: name.to_string(), candidates })
        }
    }
}

/// The canonical lower-case form of a UUID, or `None`.
fn parse_uuid(s: &str) -> Option<String> {
    let lower = s.trim().to_ascii_lowercase();
    let groups: Vec<&str> = lower.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    let ok = groups.len() == 5
        && groups.iter().zip(lens).all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()));
    ok.then_some(lower)
}

/// The JSON text of a fetched snapshot (pretty, ZenML's key order, one trailing newline).
pub fn to_text(snapshot: &Json) -> String {
    let mut text = serde_json::to_string_pretty(snapshot).expect("JSON values serialize");
    text.push('\n');
    text
}

/// `zenc fetch`: writes the snapshot; returns the warnings for the CLI to report.
pub fn run(args: &FetchArgs) -> anyhow::Result<Vec<Warning>> {
    let (snapshot, warnings) = fetch(&args.server, &args.login, &args.snapshot)?;
    let text = to_text(&snapshot);
    let dest = match args.output.as_deref() {
        Some(path) => write::destination(path)?,
        None => write::Destination::Stdout,
    };
    write::write_all(&[(dest, text.as_str())])?;
    Ok(warnings)
}

/// The input text of `compile`/`check`: fetched when `--server` is given, else `None`.
pub fn remote_input(remote: &RemoteArgs, input: &str) -> anyhow::Result<Option<(String, Vec<Warning>)>> {
    let Some(url) = &remote.server else { return Ok(None) };
    let (snapshot, warnings) = fetch(url, &remote.login, input)?;
    Ok(Some((to_text(&snapshot), warnings)))
}

#[cfg(test)]
mod tests {
    use super::parse_uuid;

    #[test]
    fn uuids() {
        assert_eq!(
            parse_uuid("0B9BD5A0-4c61-4a8b-9f5b-2d1f6f0c7a11").as_deref(),
            Some("0b9bd5a0-4c61-4a8b-9f5b-2d1f6f0c7a11")
        );
        assert_eq!(parse_uuid("nightly-train"), None);
        assert_eq!(parse_uuid("0b9bd5a0-4c61-4a8b-9f5b-2d1f6f0c7a1"), None);
        assert_eq!(parse_uuid("0b9bd5a0-4c61-4a8b-9f5b-2d1f6f0c7a1g"), None);
    }
}
