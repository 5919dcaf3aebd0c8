//! `zenc fetch` and `compile --server` against a stand-in ZenML server on 127.0.0.1.
//!
//! The stand-in answers what ZenML 0.98's REST API answers (shapes checked against a real
//! server: `python/tests` runs the same commands against one): `/api/v1/info`, `/api/v1/login`,
//! the snapshot with its nested stack/build/schedule *unhydrated* (their `metadata` null, as
//! `fixtures/ok/line_two_steps.rest_shape.json`), and each nested object on its own endpoint.
//! Fetching must rebuild the hydrated fixture exactly.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use zenc::fetch::json::Json;

const ZENC: &str = env!("CARGO_BIN_EXE_zenc");
const KEY: &str = "ZENKEY_c2VjcmV0LWtleS12YWx1ZQ";
const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.workload-token.sig";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ok").join(name)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A fixture as the stand-in serves it: in the file's key order (`serde_json::Value` would sort).
fn served(path: &Path) -> Json {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `served` with its top-level `name` replaced.
fn named(path: &Path, name: &str) -> Json {
    let mut snap = served(path);
    *snap.get_mut("name").unwrap() = Json::String(name.into());
    snap
}

/// One HTTP request as the stand-in saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    authorization: Option<String>,
    body: String,
}

/// How the stand-in behaves.
#[derive(Clone)]
struct Behaviour {
    version: &'static str,
    auth: bool,
    /// Snapshots by id: the hydrated JSON; the server strips nested metadata itself.
    snapshots: Vec<Json>,
    /// Nested objects that were deleted (404 KeyError).
    missing: Vec<String>,
    /// The login endpoint echoes the posted form in its error (a careless server).
    echo_login: bool,
    /// No `pipeline_snapshots` route at all.
    no_snapshot_route: bool,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            version: "0.98.0",
            auth: false,
            snapshots: vec![served(&fixture("line_two_steps.json"))],
            missing: Vec::new(),
            echo_login: false,
            no_snapshot_route: false,
        }
    }
}

struct StandIn {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl StandIn {
    fn start(b: Behaviour) -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                serve(stream, &b, &log);
            }
        });
        StandIn { url, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// The nested object without what only hydration adds (ZenML's plain response).
fn unhydrated(v: &mut Json) {
    for key in ["metadata", "resources"] {
        if let Some(slot) = v.get_mut(key) {
            *slot = Json::Null;
        }
    }
}

fn id_of(j: &Json) -> Option<&str> {
    j.get("id").and_then(Json::as_str)
}

/// Status and body of the answer to `req`.
fn route(b: &Behaviour, req: &Seen) -> (u16, String) {
    let not_found =
        |what: &str| (404, json!({"detail": ["KeyError", format!("\"No {what} with this ID found\"")]}).to_string());
    let (path, query) = req.target.split_once('?').unwrap_or((&req.target, ""));
    if path == "/api/v1/info" {
        let scheme = if b.auth { "OAUTH2_PASSWORD_BEARER" } else { "NO_AUTH" };
        let info = json!({"id": "9478c435-87b9-4548-8235-63c9a5b61735", "version": b.version, "auth_scheme": scheme});
        return (200, info.to_string());
    }
    if path == "/api/v1/login" {
        let form: BTreeMap<String, String> =
            req.body.split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_string(), decode(v))).collect();
        if form.get("grant_type").map(String::as_str) == Some("zenml-api-key")
            && form.get("password").map(String::as_str) == Some(KEY)
        {
            return (200, json!({"access_token": TOKEN, "token_type": "bearer", "expires_in": 3600}).to_string());
        }
        let detail =
            if b.echo_login { format!("invalid credentials: {}", req.body) } else { "invalid credentials".into() };
        return (401, json!({"detail": ["CredentialsNotValid", detail]}).to_string());
    }
    if b.auth && req.authorization.as_deref() != Some(&format!("Bearer {TOKEN}")) {
        return (401, json!({"detail": ["CredentialsNotValid", "Authentication error: invalid token"]}).to_string());
    }
    if b.no_snapshot_route && path.starts_with("/api/v1/pipeline_snapshots") {
        return (404, json!({"detail": "Not Found"}).to_string());
    }
    if path == "/api/v1/pipeline_snapshots" {
        let name = decode(query.split('&').find_map(|kv| kv.strip_prefix("name=")).unwrap_or(""));
        let name = name.strip_prefix("equals:").unwrap_or(&name);
        let items: Vec<Value> = b
            .snapshots
            .iter()
            .filter(|s| s.get("name").and_then(Json::as_str) == Some(name))
            .map(|s| {
                let pipeline =
                    s.get("metadata").and_then(|m| m.get("pipeline_configuration")).and_then(|p| p.get("name"));
                json!({"id": id_of(s), "name": name, "metadata": null,
                       "resources": {"pipeline": {"name": pipeline.and_then(Json::as_str)}}})
            })
            .collect();
        return (
            200,
            json!({"index": 1, "max_size": 20, "total_pages": 1, "total": items.len(), "items": items}).to_string(),
        );
    }
    let parts: Vec<&str> = path.trim_start_matches("/api/v1/").split('/').collect();
    let [endpoint, id] = parts.as_slice() else { return (404, json!({"detail": "Not Found"}).to_string()) };
    if b.missing.iter().any(|m| m == id) {
        return not_found(endpoint);
    }
    for snap in &b.snapshots {
        if *endpoint == "pipeline_snapshots" && id_of(snap) == Some(id) {
            let mut plain = snap.clone();
            let resources = plain.get_mut("resources").unwrap();
            for key in ["stack", "build", "schedule"] {
                if let Some(nested) = resources.get_mut(key).filter(|v| !v.is_null()) {
                    unhydrated(nested);
                }
            }
            return (200, serde_json::to_string(&plain).unwrap());
        }
        for (key, ep) in [("stack", "stacks"), ("build", "pipeline_builds"), ("schedule", "schedules")] {
            let nested = snap.get("resources").and_then(|r| r.get(key));
            if let Some(nested) = nested.filter(|n| *endpoint == ep && id_of(n) == Some(id)) {
                return (200, serde_json::to_string(nested).unwrap());
            }
        }
    }
    not_found(endpoint)
}

fn serve(stream: TcpStream, b: &Behaviour, log: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut words = line.split_whitespace();
    let (method, target) = (words.next().unwrap_or("").to_string(), words.next().unwrap_or("").to_string());
    let (mut length, mut authorization) = (0, None);
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').unwrap_or((&header, ""));
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().unwrap_or(0),
            "authorization" => authorization = Some(value.trim().to_string()),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let req = Seen { method, target, authorization, body: String::from_utf8_lossy(&body).into_owned() };
    let (status, text) = route(b, &req);
    log.lock().unwrap().push(req);
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
}

/// Run zenc with a clean ZenML environment plus `env`.
fn zenc(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(ZENC);
    for var in ["ZENML_STORE_URL", "ZENML_STORE_API_KEY", "ZENML_STORE_API_TOKEN", "ZENML_STORE_VERIFY_SSL"] {
        cmd.env_remove(var);
    }
    for var in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied()).args(args).stdin(Stdio::null()).output().expect("zenc runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zenc-fetch-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The error text a user sees, with the stand-in's random port masked.
fn error_text(out: &Output, server: &StandIn) -> String {
    stderr(out).replace(&server.url, "http://127.0.0.1:PORT")
}

fn assert_error_snapshot(name: &str, text: &str) {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_omit_expression(true);
    s.set_description("zenc fetch error against a stand-in ZenML server");
    s.bind(|| insta::assert_snapshot!(name, text));
}

/// Keys of `metadata.step_configurations`, in the order of `text` (zenc's order-keeping reader).
fn step_keys(text: &str) -> Vec<String> {
    let v: Json = serde_json::from_str(text).unwrap();
    match v.get("metadata").and_then(|m| m.get("step_configurations")) {
        Some(Json::Object(entries)) => entries.iter().map(|(k, _)| k.clone()).collect(),
        _ => panic!("no step_configurations"),
    }
}

/// `%3A` → `:`, `+`/`%20` → space: enough of form decoding for the names used here.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn fetch_rebuilds_the_hydrated_snapshot_from_the_plain_rest_shape() {
    let server = StandIn::start(Behaviour::default());
    let hydrated = fixture("line_two_steps.json");
    let id = read_json(&hydrated)["id"].as_str().unwrap().to_string();
    let out = zenc(&["fetch", &id, "--server", &server.url], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let fetched: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(fetched, read_json(&hydrated));
    let paths: Vec<String> = server.seen().iter().map(|r| r.target.split('?').next().unwrap().to_string()).collect();
    let stack = fetched["resources"]["stack"]["id"].as_str().unwrap();
    let build = fetched["resources"]["build"]["id"].as_str().unwrap();
    assert_eq!(
        paths,
        [
            "/api/v1/info".to_string(),
            format!("/api/v1/pipeline_snapshots/{id}"),
            format!("/api/v1/stacks/{stack}"),
            format!("/api/v1/pipeline_builds/{build}"),
        ]
    );
    assert!(server.seen().iter().skip(1).all(|r| r.target.contains("hydrate=true")));
}

#[test]
fn fetch_keeps_the_server_key_order_of_steps_and_environment() {
    // 20 fan-out steps: sorted keys would put `fan_in` before `process_00`.
    let id = read_json(&fixture("fan_out_fan_in_20.json"))["id"].as_str().unwrap().to_string();
    let snapshots = vec![served(&fixture("fan_out_fan_in_20.json"))];
    let server = StandIn::start(Behaviour { snapshots, ..Behaviour::default() });
    let out = zenc(&["fetch", &id, "--server", &server.url], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let fetched = step_keys(&String::from_utf8(out.stdout).unwrap());
    let original = step_keys(&std::fs::read_to_string(fixture("fan_out_fan_in_20.json")).unwrap());
    assert_eq!(fetched, original);
    assert_eq!(fetched.first().map(String::as_str), Some("source"), "not sorted: `fan_in` would come first");
}

#[test]
fn compile_from_the_server_equals_compile_of_the_fetched_file() {
    let snap_path = fixture("schedule_cron.json");
    let id = read_json(&snap_path)["id"].as_str().unwrap().to_string();
    let server = StandIn::start(Behaviour { snapshots: vec![served(&snap_path)], ..Behaviour::default() });
    let dir = tmp("compile");
    let fetched = dir.join("schedule_cron.json");
    let out = zenc(&["fetch", &id, "--server", &server.url, "-o", fetched.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "-o writes the file, not stdout");
    assert_eq!(read_json(&fetched), read_json(&snap_path), "the schedule is hydrated too");
    let flags = ["-t", "argo", "--zenml-url", "https://zenml.example.com", "--zenml-secret", "zenml-api-key"];
    let from_file = zenc(&[&["compile", fetched.to_str().unwrap()][..], &flags].concat(), &[]);
    let from_fixture = zenc(&[&["compile", snap_path.to_str().unwrap()][..], &flags].concat(), &[]);
    assert_eq!(from_file.status.code(), Some(0), "{}", stderr(&from_file));
    assert_eq!(from_file.stdout, from_fixture.stdout);
    let remote = zenc(&[&["compile", "--server", &server.url, &id][..], &flags].concat(), &[]);
    assert_eq!(remote.status.code(), Some(0), "{}", stderr(&remote));
    // The same bytes: the output never names where the input came from.
    assert_eq!(remote.stdout, from_file.stdout);
    let check = zenc(&["check", "--server", &server.url, &id, "-q"], &[]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
}

#[test]
fn a_named_snapshot_is_looked_up_exactly() {
    let snap = named(&fixture("line_two_steps.json"), "nightly:train v2");
    let server = StandIn::start(Behaviour { snapshots: vec![snap.clone()], ..Behaviour::default() });
    let out = zenc(&["fetch", "nightly:train v2", "--server", &server.url, "--project", "ml"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let fetched: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(fetched["id"].as_str(), id_of(&snap));
    let list = &server.seen()[1].target;
    assert!(decode(list).contains("name=equals:nightly:train v2"), "{list}");
    assert!(list.contains("project=ml"), "{list}");
}

#[test]
fn an_ambiguous_name_lists_the_candidates() {
    let a = named(&fixture("line_two_steps.json"), "nightly");
    let b = named(&fixture("diamond.json"), "nightly");
    let server = StandIn::start(Behaviour { snapshots: vec![a, b], ..Behaviour::default() });
    let out = zenc(&["fetch", "nightly", "--server", &server.url], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_error_snapshot("fetch_ambiguous_name", &error_text(&out, &server));
}

#[test]
fn an_api_key_from_the_environment_is_exchanged_for_a_token_and_never_shown() {
    let server = StandIn::start(Behaviour { auth: true, ..Behaviour::default() });
    let id = read_json(&fixture("line_two_steps.json"))["id"].as_str().unwrap().to_string();
    let out = zenc(&["fetch", &id, "--server", &server.url], &[("ZENML_STORE_API_KEY", KEY)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let seen = server.seen();
    assert_eq!(seen[1].method, "POST");
    assert_eq!(seen[1].target, "/api/v1/login");
    assert_eq!(seen[1].body, format!("grant_type=zenml-api-key&password={KEY}"));
    assert!(seen[0].authorization.is_none() && seen[1].authorization.is_none());
    assert!(seen[2..].iter().all(|r| r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}")[..])));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(!all.contains(KEY) && !all.contains(TOKEN));
}

#[test]
fn an_api_key_file_and_a_ready_token_work_too() {
    let server = StandIn::start(Behaviour { auth: true, ..Behaviour::default() });
    let id = read_json(&fixture("line_two_steps.json"))["id"].as_str().unwrap().to_string();
    let dir = tmp("keyfile");
    let key_file = dir.join("key");
    std::fs::write(&key_file, format!("{KEY}\n")).unwrap();
    // The file wins over a stale token in the environment.
    let out = zenc(
        &["fetch", &id, "--server", &server.url, "--api-key-file", key_file.to_str().unwrap()],
        &[("ZENML_STORE_API_TOKEN", "stale")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let token = StandIn::start(Behaviour { auth: true, ..Behaviour::default() });
    let out = zenc(&["fetch", &id], &[("ZENML_STORE_URL", &token.url), ("ZENML_STORE_API_TOKEN", TOKEN)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(token.seen().iter().all(|r| r.target != "/api/v1/login"), "a token needs no login");
}

#[test]
fn a_rejected_key_is_reported_without_echoing_it() {
    let server = StandIn::start(Behaviour { auth: true, echo_login: true, ..Behaviour::default() });
    let out = zenc(
        &["fetch", "3183e814-e85b-4e82-b208-191a28a0078d", "--server", &server.url],
        &[("ZENML_STORE_API_KEY", "ZENKEY_d3Jvbmc+a2V5/dmFsdWU=")],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = error_text(&out, &server);
    assert!(!text.contains("d3Jvbmc") && !text.contains("dmFsdWU"), "{text}");
    assert_error_snapshot("fetch_bad_key", &text);
}

#[test]
fn a_server_with_authentication_and_no_key() {
    let server = StandIn::start(Behaviour { auth: true, ..Behaviour::default() });
    let out = zenc(&["fetch", "3183e814-e85b-4e82-b208-191a28a0078d", "--server", &server.url], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_error_snapshot("fetch_auth_required", &error_text(&out, &server));
}

#[test]
fn an_unknown_snapshot() {
    let server = StandIn::start(Behaviour::default());
    let out = zenc(&["fetch", "11111111-2222-3333-4444-555555555555", "--server", &server.url], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_error_snapshot("fetch_unknown_snapshot", &error_text(&out, &server));
}

#[test]
fn an_unreachable_server() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let out = zenc(&["fetch", "11111111-2222-3333-4444-555555555555", "--server", &url], &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out).replace(&url, "http://127.0.0.1:PORT");
    assert!(text.starts_with("error: cannot reach the ZenML server at http://127.0.0.1:PORT: "), "{text}");
    assert!(text.contains("= help: check the URL"), "{text}");
}

#[test]
fn a_server_too_old_for_snapshots() {
    let server = StandIn::start(Behaviour { version: "0.85.2", ..Behaviour::default() });
    let out = zenc(&["fetch", "11111111-2222-3333-4444-555555555555", "--server", &server.url], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_error_snapshot("fetch_server_too_old", &error_text(&out, &server));
}

#[test]
fn a_server_without_the_snapshot_route() {
    let server = StandIn::start(Behaviour { no_snapshot_route: true, ..Behaviour::default() });
    let out = zenc(&["fetch", "3183e814-e85b-4e82-b208-191a28a0078d", "--server", &server.url], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_error_snapshot("fetch_no_snapshot_route", &error_text(&out, &server));
}

#[test]
fn a_newer_server_is_a_warning() {
    let server = StandIn::start(Behaviour { version: "0.99.1", ..Behaviour::default() });
    let out = zenc(&["fetch", "3183e814-e85b-4e82-b208-191a28a0078d", "--server", &server.url], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).starts_with("warning[zenml-version]: the ZenML server runs 0.99.1"), "{}", stderr(&out));
    let quiet = zenc(&["fetch", "3183e814-e85b-4e82-b208-191a28a0078d", "--server", &server.url, "-q"], &[]);
    assert!(quiet.stderr.is_empty());
}

#[test]
fn a_deleted_build_is_a_warning_and_compile_then_asks_for_an_image() {
    let snap = read_json(&fixture("line_two_steps.json"));
    let build = snap["resources"]["build"]["id"].as_str().unwrap().to_string();
    let id = snap["id"].as_str().unwrap().to_string();
    let server = StandIn::start(Behaviour { missing: vec![build.clone()], ..Behaviour::default() });
    let out = zenc(&["fetch", &id, "--server", &server.url], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("warning[fetch-missing]: the snapshot's build {build} no longer exists")));
    let fetched: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(fetched["resources"]["build"]["metadata"].is_null());
}

#[test]
fn a_failed_fetch_leaves_the_output_file_alone() {
    let server = StandIn::start(Behaviour::default());
    let dir = tmp("atomic");
    let target = dir.join("snap.json");
    std::fs::write(&target, "previous\n").unwrap();
    let out = zenc(
        &["fetch", "11111111-2222-3333-4444-555555555555", "--server", &server.url, "-o", target.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "previous\n");
}

#[test]
fn usage_errors_exit_2() {
    let out = zenc(&["fetch", "3183e814-e85b-4e82-b208-191a28a0078d"], &[]);
    assert_eq!(out.status.code(), Some(2), "no server: {}", stderr(&out));
    let out = zenc(&["compile", "x.json", "-t", "argo", "--api-key-file", "k"], &[]);
    assert_eq!(out.status.code(), Some(2), "--api-key-file needs --server: {}", stderr(&out));
    let out = zenc(&["fetch", "x", "--server", "ftp://zenml"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`ftp://zenml` is not a ZenML server URL"), "{}", stderr(&out));
}

#[test]
fn a_ca_bundle_that_is_not_one_is_named() {
    let server = StandIn::start(Behaviour::default());
    let dir = tmp("ca");
    let not_pem = dir.join("ca.pem");
    std::fs::write(&not_pem, "not a certificate\n").unwrap();
    for (value, reason) in
        [(not_pem.to_str().unwrap(), "no PEM certificate in it"), ("/nonexistent/ca.pem", "No such file or directory")]
    {
        let out = zenc(
            &["fetch", "3183e814-e85b-4e82-b208-191a28a0078d", "--server", &server.url],
            &[("ZENML_STORE_VERIFY_SSL", value)],
        );
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr(&out).starts_with(&format!("error: ZENML_STORE_VERIFY_SSL={value}: {reason}")),
            "{}",
            stderr(&out)
        );
    }
    let off = zenc(
        &["fetch", "3183e814-e85b-4e82-b208-191a28a0078d", "--server", &server.url],
        &[("ZENML_STORE_VERIFY_SSL", "false")],
    );
    assert_eq!(off.status.code(), Some(0), "{}", stderr(&off));
}
