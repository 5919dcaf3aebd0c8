//! Syntax of the values the command line and the snapshot name for Kubernetes and the
//! engines: time zones, namespaces, object names, variables, URLs. One rule per function,
//! shared by `ir::build` (input errors) and the CLI's argument parsers (usage errors).

use crate::error::{Error, Result};

use super::build::is_dns_subdomain;

/// An IANA time-zone name as the engines look it up: exact spelling (Go's `LoadLocation`
/// reads a file of that name, so `europe/paris` fails there), from the bundled tz database so
/// the answer does not depend on the machine zenc runs on.
pub fn timezone(tz: &str) -> Result<()> {
    let db = jiff::tz::TimeZoneDatabase::bundled();
    let known = tz != "Etc/Unknown" && db.get(tz).is_ok_and(|zone| zone.iana_name() == Some(tz));
    if !known {
        return Err(Error::invalid(
            "time zone",
            tz,
            "an IANA time zone name, spelled as in the tz database, such as `Europe/Paris`, `America/New_York` or `UTC`",
        ));
    }
    Ok(())
}

/// A Kubernetes namespace: an RFC 1123 label (namespaces cannot contain dots).
pub fn namespace(ns: &str) -> Result<()> {
    if !is_dns_label(ns) {
        return Err(Error::invalid(
            "namespace",
            ns,
            "a Kubernetes namespace: at most 63 lower-case letters, digits and `-`, starting and ending with a letter or digit, e.g. `ml-pipelines`",
        ));
    }
    Ok(())
}

/// A Kubernetes object name (ServiceAccount, Secret): an RFC 1123 subdomain.
pub fn object_name(what: &str, name: &str) -> Result<()> {
    if !is_dns_subdomain(name) {
        return Err(Error::invalid(
            what,
            name,
            "a Kubernetes object name: lower-case letters, digits, `-` and `.` (at most 253), starting and ending with a letter or digit",
        ));
    }
    Ok(())
}

/// An environment variable name every engine passes through untouched: the long-standing
/// Kubernetes rule (`C_IDENTIFIER` plus `-` and `.`), with no `{`, `$` or `(` for an engine to
/// read as its own syntax.
pub fn env_name(name: &str) -> Result<()> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '-' || c == '.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    if !ok {
        return Err(Error::invalid(
            "environment variable name",
            name,
            "letters, digits, `_`, `-` and `.`, not starting with a digit",
        ));
    }
    Ok(())
}

/// The run-id variable: a valid name that is not one zenc already sets (server access, stack,
/// the fixed ZenML switches, the carriers of `{` and `$`): two entries of one name would let the
/// run id replace the API key or the server URL.
pub fn run_id_env(name: &str) -> Result<()> {
    env_name(name)?;
    let managed = name.starts_with("ZENML_STORE_")
        || name.starts_with("ZENC_")
        || matches!(
            name,
            "ZENML_ACTIVE_STACK_ID"
                | "ZENML_ACTIVE_PROJECT_ID"
                | "DISABLE_CREDENTIALS_DISK_CACHING"
                | "ZENML_ENABLE_REPO_INIT_WARNINGS"
        );
    if managed {
        return Err(Error::invalid(
            "run-id variable",
            name,
            "a variable zenc does not set itself (not `ZENML_STORE_*`, `ZENML_ACTIVE_*`, `ZENC_*`, \
             `DISABLE_CREDENTIALS_DISK_CACHING` or `ZENML_ENABLE_REPO_INIT_WARNINGS`), e.g. `ZENML_KUBERNETES_RUN_ID`",
        ));
    }
    Ok(())
}

/// The ZenML server URL: `http://` or `https://` and a host; no spaces or control
/// characters, and no `user:password@` (the URL is written into the spec in clear).
pub fn http_url(url: &str) -> Result<()> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let authority = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
    if authority.is_some_and(|a| a.contains('@')) {
        return Err(Error::invalid(
            "ZenML server URL",
            "(not shown: it contains credentials)",
            "a URL without `user:password@`: the URL is written into the spec in clear; pass the API key with --zenml-secret",
        ));
    }
    let ok = authority.is_some_and(|a| !a.is_empty() && !a.starts_with(':'))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        return Err(Error::invalid(
            "ZenML server URL",
            url,
            "an http:// or https:// URL with a host, e.g. `https://zenml.example.com`",
        ));
    }
    Ok(())
}

/// A key of a Kubernetes Secret's `data`.
pub fn secret_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > 253 || !key.chars().all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)) {
        return Err(Error::invalid("secret key", key, "letters, digits, `-`, `_` or `.`, e.g. `api-key`"));
    }
    Ok(())
}

/// RFC 1123 label: at most 63 of `[a-z0-9-]`, alphanumeric at both ends.
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_run_id_variable_is_none_zenc_sets() {
        for name in [
            "ZENML_STORE_API_KEY",
            "ZENML_STORE_URL",
            "ZENML_ACTIVE_STACK_ID",
            "ZENC_LBRACE",
            "ZENC_DOLLAR",
            "DISABLE_CREDENTIALS_DISK_CACHING",
            "ZENML_ENABLE_REPO_INIT_WARNINGS",
            "9X",
        ] {
            assert!(super::run_id_env(name).is_err(), "{name}");
        }
        for name in ["ZENML_KUBERNETES_RUN_ID", "MY_RUN_ID", "KFP_RUN_ID"] {
            assert!(super::run_id_env(name).is_ok(), "{name}");
        }
    }

    use super::*;

    #[test]
    fn time_zones_are_real_iana_names_in_exact_spelling() {
        for ok in ["Europe/Paris", "America/Argentina/Buenos_Aires", "UTC", "Etc/GMT+5", "US/Pacific", "Asia/Kolkata"] {
            assert!(timezone(ok).is_ok(), "{ok}");
        }
        for bad in
            ["Mars/Olympus", "europe/paris", "Local", "", "Etc/Unknown", "Europe/Paris ", "/etc/passwd", "+01:00"]
        {
            assert!(timezone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn namespaces_are_dns_labels() {
        assert!(namespace("ml-pipelines").is_ok());
        assert!(namespace(&"a".repeat(63)).is_ok());
        for bad in ["ml.pipelines", "ML", "-a", "a-", "", &"a".repeat(64), "a_b"] {
            assert!(namespace(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_need_a_scheme_and_a_host() {
        for ok in ["https://zenml.example.com", "http://10.0.0.1:8080/api", "https://h?x=1"] {
            assert!(http_url(ok).is_ok(), "{ok}");
        }
        for bad in
            ["zenml.example.com", "ftp://h", "https://", "https:///path", "https://h x", "https://h\n", "https://:80"]
        {
            assert!(http_url(bad).is_err(), "{bad}");
        }
        let err = http_url("https://me:hunter2@zenml.example.com").unwrap_err().to_string();
        assert!(!err.contains("hunter2") && err.contains("--zenml-secret"), "{err}");
    }

    #[test]
    fn names_and_keys() {
        assert!(object_name("service account", "zenml-steps").is_ok());
        assert!(object_name("service account", "Zenml").is_err());
        assert!(env_name("ZENML_RUN_ID").is_ok());
        assert!(env_name("1X").is_err() && env_name("A$B").is_err() && env_name("").is_err());
        assert!(secret_key("api-key").is_ok() && secret_key("API_KEY.v2").is_ok());
        assert!(secret_key("").is_err() && secret_key("a/b").is_err());
    }
}
