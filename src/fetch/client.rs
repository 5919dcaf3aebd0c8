//! A minimal ZenML REST client: server info, API-key login, authenticated GETs.
//!
//! Login follows ZenML's own client (`zenml/zen_stores/rest_zen_store.py`,
//! `get_or_generate_api_token`): `POST /api/v1/login` with the form fields
//! `grant_type=zenml-api-key` and `password=<service-account API key>` answers an OAuth token
//! (`access_token`), sent as `Authorization: Bearer …` on every later request. A server whose
//! `auth_scheme` is `NO_AUTH` (`zenml login --local`) needs neither.

use std::fmt;
use std::time::Duration;

use super::json::Json;
use super::FetchError;

/// Where the REST API lives below the server URL (`zenml/constants.py`: `API + VERSION_1`).
const API: &str = "/api/v1";
/// ZenML's `OAuthGrantTypes.ZENML_API_KEY`.
const GRANT_API_KEY: &str = "zenml-api-key";
/// Oldest server with the pipeline-snapshot API (the `pipeline_snapshots` migration ships in
/// 0.90.0).
pub const OLDEST_VERSION: (u64, u64) = (0, 90);
/// Newest ZenML release zenc was tested against.
pub const TESTED_VERSION: (u64, u64) = (0, 98);
/// Snapshots of many thousands of steps are several MB; ureq's default limit is 10 MB.
const BODY_LIMIT: u64 = 1 << 30;

/// A credential. Its `Debug` never shows the value, so it cannot leak into a log or an error.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// How to authenticate, in ZenML's order of preference for a workload.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// `ZENML_STORE_API_TOKEN`: a ready bearer token.
    pub token: Option<Secret>,
    /// A service-account API key, exchanged for a token at login.
    pub api_key: Option<Secret>,
    /// `ZENML_STORE_VERIFY_SSL`: `false` turns certificate checks off; a path names a CA bundle.
    pub verify_ssl: Option<String>,
}

/// What `GET /api/v1/info` says about the server (`ServerModel`).
#[derive(Debug, Clone)]
pub struct ServerInfo {
    pub version: String,
    pub auth_scheme: String,
}

/// A logged-in connection to one ZenML server.
pub struct Server {
    /// Server URL without a trailing `/`.
    pub url: String,
    pub info: ServerInfo,
    agent: ureq::Agent,
    token: Option<Secret>,
    /// Every credential value, to scrub from any text the server sends back.
    secrets: Vec<Secret>,
}

impl Server {
    /// Reach the server, check its version, and log in if it requires it.
    pub fn connect(url: &str, creds: Credentials) -> Result<Server, FetchError> {
        let url = url.trim_end_matches('/').to_string();
        if !(url.starts_with("http://") || url.starts_with("https://")) || url.contains(char::is_whitespace) {
            return Err(FetchError::BadUrl { url });
        }
        let agent = agent(creds.verify_ssl.as_deref())?;
        let secrets: Vec<Secret> = creds.token.iter().chain(creds.api_key.iter()).cloned().collect();
        let mut server = Server {
            info: ServerInfo { version: String::new(), auth_scheme: String::new() },
            url,
            agent,
            token: None,
            secrets,
        };
        server.info = server.server_info()?;
        check_version(&server.url, &server.info.version)?;
        if server.info.auth_scheme == "NO_AUTH" {
            return Ok(server);
        }
        if let Some(token) = creds.token {
            server.token = Some(token);
        } else if let Some(key) = creds.api_key {
            server.token = Some(server.login(&key)?);
        } else {
            return Err(FetchError::AuthRequired { url: server.url.clone() });
        }
        Ok(server)
    }

    fn server_info(&self) -> Result<ServerInfo, FetchError> {
        let path = format!("{API}/info");
        let (status, body) = self.send(self.agent.get(format!("{}{path}", self.url)), &path)?;
        let not_zenml = |what: String| FetchError::NotZenml { url: self.url.clone(), what };
        if status != 200 {
            return Err(not_zenml(format!("GET {path} answered HTTP {status}")));
        }
        let info: Json =
            serde_json::from_str(&body).map_err(|_| not_zenml(format!("GET {path} did not answer JSON")))?;
        let field = |k: &str| info.get(k).and_then(Json::as_str).map(str::to_string);
        match (field("version"), field("auth_scheme")) {
            (Some(version), Some(auth_scheme)) => Ok(ServerInfo { version, auth_scheme }),
            _ => Err(not_zenml(format!("GET {path} has no `version` and `auth_scheme`"))),
        }
    }

    fn login(&self, key: &Secret) -> Result<Secret, FetchError> {
        let path = format!("{API}/login");
        let request = self.agent.post(format!("{}{path}", self.url));
        let response = request.send_form([("grant_type", GRANT_API_KEY), ("password", key.expose())]);
        let (status, body) = self.read(response, &path)?;
        if status == 401 || status == 403 {
            return Err(FetchError::BadKey { url: self.url.clone(), status, detail: self.detail(&body) });
        }
        if status != 200 {
            return Err(FetchError::Http { path, status, detail: self.detail(&body) });
        }
        let answer: Json = serde_json::from_str(&body)
            .map_err(|_| FetchError::BadResponse { path: path.clone(), what: "not JSON" })?;
        match answer.get("access_token").and_then(Json::as_str) {
            Some(token) if !token.is_empty() => Ok(Secret::new(token.to_string())),
            _ => Err(FetchError::BadResponse { path, what: "no `access_token` in the login answer" }),
        }
    }

    /// `GET /api/v1/<path>` with query parameters: the parsed body, or `None` for "no such
    /// entity" (HTTP 404 naming a missing object, not a missing route).
    pub fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Option<Json>, FetchError> {
        let path = format!("{API}{path}");
        let mut request = self.agent.get(format!("{}{path}", self.url));
        for (k, v) in query {
            request = request.query(*k, *v);
        }
        if let Some(token) = &self.token {
            request = request.header("Authorization", format!("Bearer {}", token.expose()));
        }
        let (status, body) = self.send(request, &path)?;
        match status {
            200 => {
                serde_json::from_str(&body).map(Some).map_err(|_| FetchError::BadResponse { path, what: "not JSON" })
            }
            // ZenML answers a missing entity with `{"detail": ["KeyError", "…"]}`; FastAPI's
            // bare `{"detail": "Not Found"}` means the route does not exist on this server.
            404 if body.contains("KeyError") => Ok(None),
            404 => Err(FetchError::NoRoute { url: self.url.clone(), path, version: self.info.version.clone() }),
            401 | 403 => Err(FetchError::Denied { path, status, detail: self.detail(&body) }),
            _ => Err(FetchError::Http { path, status, detail: self.detail(&body) }),
        }
    }

    fn send(
        &self,
        request: ureq::RequestBuilder<ureq::typestate::WithoutBody>,
        path: &str,
    ) -> Result<(u16, String), FetchError> {
        self.read(request.call(), path)
    }

    fn read(
        &self,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
        path: &str,
    ) -> Result<(u16, String), FetchError> {
        let unreachable =
            |e: ureq::Error| FetchError::Unreachable { url: self.url.clone(), reason: self.scrub(&e.to_string()) };
        let mut response = response.map_err(unreachable)?;
        let status = response.status().as_u16();
        let body = response.body_mut().with_config().limit(BODY_LIMIT).read_to_string().map_err(|e| {
            FetchError::Unreachable {
                url: self.url.clone(),
                reason: format!("reading {path}: {}", self.scrub(&e.to_string())),
            }
        })?;
        Ok((status, body))
    }

    /// The server's own explanation from an error body, without any credential in it.
    fn detail(&self, body: &str) -> String {
        let text = match serde_json::from_str::<Json>(body).ok().as_ref().and_then(|j| j.get("detail")) {
            Some(Json::String(s)) => s.clone(),
            Some(Json::Array(parts)) => parts.iter().filter_map(Json::as_str).collect::<Vec<_>>().join(": "),
            _ => body.chars().take(300).collect(),
        };
        self.scrub(text.trim())
    }

    /// Replace every credential value in `text`, as sent and as form-encoded: servers and
    /// proxies may echo requests.
    fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in self.secrets.iter().map(Secret::expose).filter(|s| !s.is_empty()) {
            for form in [secret.to_string(), form_encode(secret, true), form_encode(secret, false)] {
                out = out.replace(&form, "<redacted>");
            }
        }
        out
    }
}

/// `application/x-www-form-urlencoded`, as the login form is sent.
fn form_encode(value: &str, upper: bool) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => (b as char).to_string(),
            b' ' => "+".into(),
            _ if upper => format!("%{b:02X}"),
            _ => format!("%{b:02x}"),
        })
        .collect()
}

fn agent(verify_ssl: Option<&str>) -> Result<ureq::Agent, FetchError> {
    use ureq::tls::{RootCerts, TlsConfig};
    let mut tls = TlsConfig::builder();
    match verify_ssl.map(str::trim) {
        None | Some("" | "true" | "True" | "1") => {}
        Some("false" | "False" | "0") => tls = tls.disable_verification(true),
        Some(path) => {
            let pem = std::fs::read(path)
                .map_err(|e| FetchError::CaBundle { path: path.to_string(), reason: e.to_string() })?;
            let certs: Vec<_> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(FetchError::CaBundle { path: path.to_string(), reason: "no PEM certificate in it".into() });
            }
            tls = tls.root_certs(RootCerts::new_with_certs(&certs));
        }
    }
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .user_agent(format!("zenc/{}", env!("CARGO_PKG_VERSION")))
        .tls_config(tls.build())
        .build();
    Ok(config.into())
}

/// `0.98.0`, `0.90.0rc1` → (0, 98) / (0, 90); `None` when it is not a version number.
pub fn major_minor(version: &str) -> Option<(u64, u64)> {
    let mut parts = version.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor: String = parts.next()?.chars().take_while(char::is_ascii_digit).collect();
    Some((major, minor.parse().ok()?))
}

fn check_version(url: &str, version: &str) -> Result<(), FetchError> {
    match major_minor(version) {
        Some(v) if v < OLDEST_VERSION => Err(FetchError::TooOld { url: url.to_string(), version: version.to_string() }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(major_minor("0.98.0"), Some((0, 98)));
        assert_eq!(major_minor("0.90.0rc0"), Some((0, 90)));
        assert_eq!(major_minor("1.2"), Some((1, 2)));
        assert_eq!(major_minor("dev"), None);
        assert!(check_version("u", "0.89.3").is_err());
        assert!(check_version("u", "0.90.0").is_ok());
        assert!(check_version("u", "1.0.0").is_ok());
    }

    #[test]
    fn secrets_do_not_debug_print() {
        let creds = Credentials { api_key: Some(Secret::new("ZENKEY_abc".into())), ..Credentials::default() };
        assert!(!format!("{creds:?}").contains("ZENKEY_abc"));
    }
}
