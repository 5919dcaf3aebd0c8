//! No credential from the input reaches an output, a warning or an error message, whatever
//! the flags: every fixture (`fixtures/ok` × every engine, `fixtures/err`) is scanned for
//! every credential-like value it carries.

mod common;

use std::path::Path;

use serde_json::Value;
use zenc::{compile, Engine, Options};

/// Variables ZenML configures its store from that hold no credential.
const STORE_SETTINGS: &[&str] = &[
    "URL",
    "TYPE",
    "VERIFY_SSL",
    "HTTP_TIMEOUT",
    "CONNECTION_POOL_SIZE",
    "SSL_CA",
    "SSL_CERT",
    "SSL_VERIFY_SERVER_CERT",
    "DRIVER",
    "DATABASE",
    "POOL_SIZE",
    "MAX_OVERFLOW",
    "POOL_PRE_PING",
    "BACKUP_STRATEGY",
    "BACKUP_DIRECTORY",
    "BACKUP_DATABASE",
];

/// A ZenML store or secrets-store variable other than the plain settings above.
fn is_store_credential(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["ZENML_STORE_", "ZENML_SECRETS_STORE_", "ZENML_BACKUP_SECRETS_STORE_"]
        .iter()
        .find_map(|p| upper.strip_prefix(p))
        .is_some_and(|rest| !STORE_SETTINGS.contains(&rest))
}

/// A setting or parameter key that names a credential (`api_token`, `client_password`, …).
fn is_credential_key(key: &str) -> bool {
    // References to Kubernetes Secrets and ZenML secret switches hold no value.
    const REFERENCES: &[&str] =
        &["image_pull_secrets", "secretRef", "secretKeyRef", "secretName", "pass_zenml_token_as_secret"];
    let lower = key.to_ascii_lowercase();
    !REFERENCES.contains(&key)
        && ["password", "passwd", "token", "secret", "api_key", "apikey", "credential", "username", "private_key"]
            .iter()
            .any(|w| lower.contains(w))
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        Value::Object(m) => m.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// `user:password` of a URL in `s`, if any.
fn userinfo(s: &str) -> Option<String> {
    let rest = s.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    authority.rsplit_once('@').map(|(u, _)| u.to_string())
}

/// Every credential-like value of the input: values of ZenML store credentials in
/// `environment` maps and pod-settings `env` lists, user information in URLs, and every string
/// under a credential-named key anywhere else (parameters, orchestrator settings, secrets).
fn credentials(v: &Value, key: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if key == "environment" {
                for (name, value) in m {
                    if is_store_credential(name) {
                        strings(value, out);
                    }
                }
            }
            if let (Some(Value::String(name)), Some(value)) = (m.get("name"), m.get("value")) {
                if is_store_credential(name) {
                    strings(value, out);
                }
            }
            for (k, value) in m {
                if key != "environment" && is_credential_key(k) {
                    strings(value, out);
                }
                credentials(value, k, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| credentials(v, key, out)),
        // A whole environment written as one string (`"KEY=value"`) is a credential too.
        Value::String(s) if key == "environment" || key == "env" => out.push(s.clone()),
        Value::String(s) => out.extend(userinfo(s)),
        _ => {}
    }
}

fn input_credentials(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let value: Value = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).unwrap_or(Value::Null)
    } else {
        serde_yaml::from_str(&text).unwrap_or(Value::Null)
    };
    let mut found = Vec::new();
    credentials(&value, "", &mut found);
    // Short values ("1", "True") would match by chance.
    found.retain(|s| s.len() >= 6);
    found.sort();
    found.dedup();
    found
}

/// The fixture's options, then the same without `--zenml-secret`, then without server flags.
fn flag_variants(path: &Path) -> Vec<Options> {
    let full = common::options(path);
    let mut no_secret = full.clone();
    no_secret.build.zenml_secret = None;
    let mut bare = no_secret.clone();
    bare.build.zenml_url = None;
    vec![full, no_secret, bare]
}

fn assert_clean(what: &str, text: &str, secrets: &[String]) {
    for s in secrets {
        let escaped = serde_json::to_string(s).unwrap();
        let escaped = &escaped[1..escaped.len() - 1];
        assert!(!text.contains(s.as_str()) && !text.contains(escaped), "{what} contains the credential `{s}`:\n{text}");
    }
}

#[test]
fn no_output_or_warning_contains_an_input_credential() {
    let mut scanned = 0;
    insta::glob!("../fixtures", "ok/*.{json,yaml}", |path| {
        let secrets = input_credentials(path);
        let name = common::file_name(path);
        let text = std::fs::read_to_string(path).unwrap();
        scanned += secrets.len();
        for opts in flag_variants(path) {
            for &engine in Engine::ALL {
                let out = compile(&text, &name, &[engine], &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
                for (_, artifact) in &out.files {
                    assert_clean(&format!("{name} → {}", artifact.suffix), &artifact.content, &secrets);
                }
                assert_clean(&format!("{name} warnings"), &common::warnings_text(&out.warnings), &secrets);
            }
        }
    });
    // The scan is only as good as its input: `zenml_credentials_in_input.json` carries them.
    assert!(scanned >= 20, "only {scanned} credential values found in fixtures/ok");
}

#[test]
fn no_error_message_contains_an_input_credential() {
    insta::glob!("../fixtures", "err/*.{json,yaml}", |path| {
        let secrets = input_credentials(path);
        let name = common::file_name(path);
        let text = std::fs::read_to_string(path).unwrap();
        for opts in flag_variants(path) {
            if let Err(e) = compile(&text, &name, Engine::ALL, &opts) {
                assert_clean(&name, &e.to_string(), &secrets);
            }
        }
    });
}

#[test]
fn the_scan_finds_what_it_looks_for() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ok/zenml_credentials_in_input.json");
    let found = input_credentials(&path);
    for want in [
        "zenml-cred-pipeline-api-key-7f3a9c",
        "zenml-cred-step0-api-token-3e8b",
        "zenml-cred-pod-api-token-c81d",
        "zenml-cred-stack-password-90b1",
        "zenml-cred-step1-param-password-1c9e",
        "zenml-cred-step0-nested-token-77d0",
        "zenml-cred-client-password-0d4e",
        "zenml-cred-url-user0:zenml-cred-url-password0",
        "8a99d284-1f06-46a4-9ad7-f079a749a45e",
    ] {
        assert!(found.iter().any(|f| f.contains(want)), "{want} not found in {found:?}");
    }
    assert!(!found.iter().any(|f| f == "plain-pod-value" || f == "zenml-api-key-by-ref"), "{found:?}");
}
