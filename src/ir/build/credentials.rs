//! Which variables hold credentials: ZenML store credentials never enter a spec; other
//! credential-looking names are written as given, with a warning.

use serde_json::Value;

use crate::diagnostic::codes;
use crate::error::Warning;

/// Prefixes of the variables ZenML configures its store and secrets stores from
/// (`GlobalConfiguration.get_config_environment_vars`, zenml.md §2).
pub(super) const ZENML_STORE_PREFIXES: [&str; 3] =
    ["ZENML_STORE_", "ZENML_SECRETS_STORE_", "ZENML_BACKUP_SECRETS_STORE_"];

/// Words that make a store variable a credential: `API_KEY`, `API_TOKEN`, `PASSWORD`,
/// `USERNAME`, `SSL_KEY`, a secrets store's `AUTH_CONFIG`, …
pub(super) const STORE_CREDENTIAL_WORDS: [&str; 9] =
    ["KEY", "APIKEY", "TOKEN", "PASSWORD", "PASSWD", "SECRET", "AUTH", "CREDENTIALS", "USERNAME"];

pub(super) fn words(name: &str) -> impl Iterator<Item = String> + '_ {
    name.split(['_', '-', '.']).map(str::to_ascii_uppercase)
}

/// True for a ZenML store credential: its value never goes into a spec, whatever the flags
/// (the steps get the API key by reference, from `--zenml-secret`). A store URL counts when
/// it carries `user:password@`.
pub(super) fn is_zenml_credential(name: &str, value: Option<&str>) -> bool {
    let upper = name.to_ascii_uppercase();
    let Some(rest) = ZENML_STORE_PREFIXES.iter().find_map(|p| upper.strip_prefix(p)) else {
        return false;
    };
    words(rest).any(|w| STORE_CREDENTIAL_WORDS.contains(&w.as_str()))
        || (rest == "URL" && value.is_some_and(|v| mask_userinfo(v).is_some() || query_has_credential(v)))
}

/// A URL query naming a credential (`mysql://host/db?password=…`).
pub(super) fn query_has_credential(url: &str) -> bool {
    url.split_once('?').is_some_and(|(_, query)| {
        query.split('&').any(|pair| {
            let key = pair.split('=').next().unwrap_or_default();
            words(key).any(|w| STORE_CREDENTIAL_WORDS.contains(&w.as_str()))
        })
    })
}

/// `scheme://***@host/…` when `url` carries user information, else `None`.
pub(super) fn mask_userinfo(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // The user part may be a token too (`https://<token>@host`): mask all of it.
    let (_, host) = authority.rsplit_once('@')?;
    Some(format!("{scheme}://***@{host}{}", &rest[authority.len()..]))
}

/// A variable name that reads like a credential (`HF_TOKEN`, `DB_PASSWORD`, `WANDB_API_KEY`):
/// its literal value is written as given (ZenML does the same), with a warning.
pub(super) fn looks_like_credential(name: &str) -> bool {
    let w: Vec<String> = words(name).collect();
    w.iter()
        .any(|w| ["PASSWORD", "PASSWD", "TOKEN", "SECRET", "APIKEY", "CREDENTIAL", "CREDENTIALS"].contains(&w.as_str()))
        || w.windows(2).any(|p| p[1] == "KEY" && ["API", "ACCESS", "PRIVATE"].contains(&p[0].as_str()))
}

/// How a JSON value is described in an error, without its content.
pub(super) fn shape(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

pub(super) fn credential_dropped(name: &str, path: &str) -> Warning {
    let what = if name.eq_ignore_ascii_case("ZENML_STORE_URL") {
        "carries a user, password or token, a ZenML server credential"
    } else {
        "is a ZenML server credential"
    };
    Warning::new(
        &codes::CREDENTIAL_DROPPED,
        format!("`{name}` {what}: left out, no spec ever holds its value (steps authenticate with `--zenml-secret`)"),
    )
    .at(path)
}

pub(super) fn credential_in_clear(name: &str, path: &str) -> Warning {
    Warning::new(
        &codes::ENV_CREDENTIAL,
        format!("`{name}` looks like a credential and its value is written into the spec in clear text; keep it in a ZenML secret or a Kubernetes Secret (pod settings `env` with `valueFrom.secretKeyRef`)"),
    )
    .at(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zenml_store_credentials() {
        for name in [
            "ZENML_STORE_API_KEY",
            "ZENML_STORE_API_TOKEN",
            "ZENML_STORE_PASSWORD",
            "ZENML_STORE_USERNAME",
            "ZENML_STORE_SSL_KEY",
            "zenml_store_api_key",
            "ZENML_SECRETS_STORE_AUTH_CONFIG",
            "ZENML_BACKUP_SECRETS_STORE_AUTH_CONFIG",
            "ZENML_SECRETS_STORE_VAULT_TOKEN",
        ] {
            assert!(is_zenml_credential(name, Some("x")), "{name}");
        }
        for name in
            ["ZENML_STORE_URL", "ZENML_STORE_TYPE", "ZENML_STORE_VERIFY_SSL", "ZENML_STORE_SSL_CA", "MY_API_KEY"]
        {
            assert!(!is_zenml_credential(name, Some("https://zenml.example.com")), "{name}");
        }
        assert!(is_zenml_credential("ZENML_STORE_URL", Some("mysql://root:hunter2@db:3306/zenml")));
        assert!(is_zenml_credential("ZENML_STORE_URL", Some("mysql://db/zenml?ssl=1&password=hunter2")));
        assert!(!is_zenml_credential("ZENML_STORE_URL", Some("mysql://db/zenml?ssl=1")));
        assert_eq!(mask_userinfo("https://u:p@h.example/x?y").as_deref(), Some("https://***@h.example/x?y"));
        assert_eq!(mask_userinfo("https://h.example/a@b"), None);
    }

    #[test]
    fn credential_looking_names() {
        for name in ["HF_TOKEN", "DB_PASSWORD", "WANDB_API_KEY", "AWS_SECRET_ACCESS_KEY", "gcp-credentials", "apikey"] {
            assert!(looks_like_credential(name), "{name}");
        }
        for name in ["MAX_TOKENS", "TOKENIZER", "KEY_COLUMN", "LOG_LEVEL", "MONKEY"] {
            assert!(!looks_like_credential(name), "{name}");
        }
    }
}
