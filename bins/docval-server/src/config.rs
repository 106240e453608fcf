//! Server configuration: embedded defaults, a TOML file, and the vendor image's environment.
//!
//! Precedence: defaults < `--config FILE` < environment < command line.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("config file {path}: {message}")]
    File { path: String, message: String },
    #[error("{0}")]
    Invalid(String),
}

/// One client of the server.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    pub id: String,
    /// Where results are POSTed; `None`: the result only goes back to the client.
    #[serde(default)]
    pub result_server_url: Option<String>,
}

/// Where the trust store comes from: the `[trust]` table of the TOML file and the `TRUST_*` /
/// `DOCVAL_TEST_PKI` environment variables (see [`emrtd_trust`]). By default the embedded DE/NL
/// master lists, never the test PKI.
pub type TrustConfig = emrtd_trust::TrustSources;

/// Timeouts of a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// From the WebSocket upgrade to the StartMessage.
    pub start_message: Duration,
    /// For each APDU response from the phone.
    pub response: Duration,
    /// The whole session.
    pub session: Duration,
    /// v2: from ACCEPT to the next frame while the phone reads the chip itself (the iOS user
    /// has up to 60 s to present the document); also what ends sessions an iOS client before
    /// 2.13 abandoned after a local NFC error without closing its socket (notes §4.3 E4).
    pub v2_reading: Duration,
    /// v2: the whole session (the user's time to present the document included).
    pub v2_session: Duration,
}

impl Default for Timeouts {
    /// iOS ends an NFC session after about 20 s and its URLSession request timeout is 4 s:
    /// a phone that does not answer an APDU within 4 s has lost the chip.
    fn default() -> Self {
        Timeouts {
            start_message: Duration::from_secs(10),
            response: Duration::from_secs(4),
            session: Duration::from_secs(60),
            v2_reading: Duration::from_secs(120),
            v2_session: Duration::from_secs(300),
        }
    }
}

/// Result POST behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PostConfig {
    pub timeout: Duration,
    pub retries: u32,
    /// Pause before retry n is `backoff * n`.
    pub backoff: Duration,
}

impl Default for PostConfig {
    fn default() -> Self {
        PostConfig {
            timeout: Duration::from_secs(3),
            retries: 3,
            backoff: Duration::from_millis(200),
        }
    }
}

/// The whole configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub clients: Vec<ClientConfig>,
    pub include_binary_files: bool,
    pub server_name: String,
    /// A value the `Authorization` header of the handshake must equal.
    pub required_authorization: Option<String>,
    pub trust: TrustConfig,
    pub timeouts: Timeouts,
    pub post: PostConfig,
    /// Sessions at once; more are refused with HTTP 503 before the upgrade.
    pub max_sessions: usize,
    /// Largest WebSocket message from a client (a response APDU is at most 65 538 bytes).
    pub max_message_bytes: usize,
    /// v2: largest WebSocket message from a client (each file arrives whole, a DG2 with a face
    /// is tens of kB; notes §2 recommend at least 1 MiB).
    pub v2_max_message_bytes: usize,
    /// Allow BAC after a failed PACE (reported in `errors`).
    pub bac_fallback: bool,
    /// TLS certificate chain and key (PEM) for wss://.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// RFC 9421 signing of the result POST (HMAC-SHA256 with a shared key).
    pub result_signing: Option<crate::signing::SigningKey>,
}

pub const DEFAULT_CLIENT_ID: &str = "YOUR CLIENT ID";

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([0, 0, 0, 0], 8080)),
            clients: vec![ClientConfig {
                id: DEFAULT_CLIENT_ID.to_string(),
                result_server_url: None,
            }],
            include_binary_files: false,
            server_name: "docval".to_string(),
            required_authorization: None,
            trust: TrustConfig::default(),
            timeouts: Timeouts::default(),
            post: PostConfig::default(),
            max_sessions: 10_000,
            max_message_bytes: 70_000,
            v2_max_message_bytes: (1 << 20) + 64,
            bac_fallback: false,
            tls: None,
            result_signing: None,
        }
    }
}

/// The TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    #[serde(default)]
    clients: Vec<ClientConfig>,
    include_binary_files: Option<bool>,
    server_name: Option<String>,
    required_authorization: Option<String>,
    trust: Option<TrustConfig>,
    start_message_timeout_ms: Option<u64>,
    response_timeout_ms: Option<u64>,
    session_timeout_ms: Option<u64>,
    v2_reading_timeout_ms: Option<u64>,
    v2_session_timeout_ms: Option<u64>,
    post_timeout_ms: Option<u64>,
    post_retries: Option<u32>,
    max_sessions: Option<usize>,
    bac_fallback: Option<bool>,
    tls_certificate: Option<PathBuf>,
    tls_private_key: Option<PathBuf>,
    /// `keyid` of the RFC 9421 result signature.
    result_signing_key_id: Option<String>,
    /// A file holding the shared HMAC key of the result signature.
    result_signing_key_file: Option<PathBuf>,
}

impl Config {
    /// Applies a TOML configuration file.
    pub fn apply_toml(&mut self, text: &str, path: &str) -> Result<(), ConfigError> {
        let f: FileConfig = toml::from_str(text).map_err(|e| ConfigError::File {
            path: path.to_string(),
            message: e.to_string(),
        })?;
        if let Some(l) = f.listen {
            self.listen = l;
        }
        if !f.clients.is_empty() {
            self.clients = f.clients;
        }
        if let Some(b) = f.include_binary_files {
            self.include_binary_files = b;
        }
        if let Some(n) = f.server_name {
            self.server_name = n;
        }
        if f.required_authorization.is_some() {
            self.required_authorization = f.required_authorization;
        }
        if let Some(t) = f.trust {
            self.trust = t;
        }
        let ms = Duration::from_millis;
        if let Some(v) = f.start_message_timeout_ms {
            self.timeouts.start_message = ms(v);
        }
        if let Some(v) = f.response_timeout_ms {
            self.timeouts.response = ms(v);
        }
        if let Some(v) = f.session_timeout_ms {
            self.timeouts.session = ms(v);
        }
        if let Some(v) = f.v2_reading_timeout_ms {
            self.timeouts.v2_reading = ms(v);
        }
        if let Some(v) = f.v2_session_timeout_ms {
            self.timeouts.v2_session = ms(v);
        }
        if let Some(v) = f.post_timeout_ms {
            self.post.timeout = ms(v);
        }
        if let Some(v) = f.post_retries {
            self.post.retries = v;
        }
        if let Some(v) = f.max_sessions {
            self.max_sessions = v;
        }
        if let Some(v) = f.bac_fallback {
            self.bac_fallback = v;
        }
        match (f.result_signing_key_id, f.result_signing_key_file) {
            (Some(id), Some(file)) => {
                let secret = std::fs::read(&file).map_err(|e| ConfigError::File {
                    path: file.display().to_string(),
                    message: e.to_string(),
                })?;
                let trimmed: Vec<u8> = secret.trim_ascii().to_vec();
                if trimmed.len() < 16 {
                    return Err(ConfigError::Invalid("result signing key shorter than 16 bytes".into()));
                }
                self.result_signing = Some(crate::signing::SigningKey {
                    key_id: id,
                    secret: zeroize::Zeroizing::new(trimmed),
                });
            }
            (None, None) => {}
            _ => {
                return Err(ConfigError::Invalid(
                    "result_signing_key_id and result_signing_key_file go together".into(),
                ));
            }
        }
        match (f.tls_certificate, f.tls_private_key) {
            (Some(c), Some(k)) => self.tls = Some((c, k)),
            (None, None) => {}
            _ => {
                return Err(ConfigError::Invalid(
                    "tls_certificate and tls_private_key go together".into(),
                ));
            }
        }
        Ok(())
    }

    /// Applies the vendor image's environment variables (`CLIENT_IDS`, `RESULT_SERVER_URLS`,
    /// `WS_ENDPOINT_INCLUDE_BINARY_FILES_IN_RESULT`, `SERVER_NAME`, `LISTEN`,
    /// `WS_ENDPOINT_REQUIRED_AUTHORIZATION`) and the trust store's (`TRUST_MASTER_LISTS`,
    /// `TRUST_MASTER_LIST_ROOTS`, `TRUST_CSCA`, `TRUST_CRLS`, `TRUST_UNVERIFIED_MASTER_LISTS`,
    /// `TRUST_EMBEDDED_MASTER_LISTS`, `TRUST_MASTER_LIST_MAX_AGE_DAYS`, `DOCVAL_TEST_PKI`) read
    /// through `get`.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(ids) = get("CLIENT_IDS").filter(|s| !s.trim().is_empty()) {
            let ids: Vec<String> = ids
                .split(';')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            let urls: Vec<String> = get("RESULT_SERVER_URLS")
                .unwrap_or_default()
                .split(';')
                .map(|s| s.trim().to_string())
                .collect();
            if urls.iter().filter(|u| !u.is_empty()).count() > ids.len() {
                return Err(ConfigError::Invalid(format!(
                    "RESULT_SERVER_URLS has more entries than CLIENT_IDS ({})",
                    ids.len()
                )));
            }
            self.clients = ids
                .into_iter()
                .enumerate()
                .map(|(i, id)| ClientConfig {
                    id,
                    result_server_url: urls.get(i).filter(|u| !u.is_empty()).cloned(),
                })
                .collect();
        } else if get("RESULT_SERVER_URLS").is_some_and(|u| !u.trim().is_empty()) {
            // One URL for the default client.
            let url = get("RESULT_SERVER_URLS").unwrap_or_default();
            for c in &mut self.clients {
                c.result_server_url = Some(url.trim().to_string());
            }
        }
        if let Some(v) = get("WS_ENDPOINT_INCLUDE_BINARY_FILES_IN_RESULT") {
            self.include_binary_files = match v.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" | "" => false,
                other => {
                    return Err(ConfigError::Invalid(format!(
                        "WS_ENDPOINT_INCLUDE_BINARY_FILES_IN_RESULT: {other:?} is not true/false"
                    )));
                }
            };
        }
        if let Some(n) = get("SERVER_NAME").filter(|s| !s.is_empty()) {
            self.server_name = n;
        }
        if let Some(a) = get("WS_ENDPOINT_REQUIRED_AUTHORIZATION").filter(|s| !s.is_empty()) {
            self.required_authorization = Some(a);
        }
        self.trust
            .apply_env(&get)
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        if let Some(l) = get("LISTEN").filter(|s| !s.is_empty()) {
            self.listen = l
                .parse()
                .map_err(|_| ConfigError::Invalid(format!("LISTEN: {l:?} is not an address like 0.0.0.0:8080")))?;
        }
        self.validate()
    }

    /// Checks the configuration for mistakes a deployer would want to hear about at start-up.
    pub fn validate(&self) -> Result<(), ConfigError> {
        // SERVER_NAME goes into the result POST's User-Agent, the /metrics labels and the log.
        if self.server_name.is_empty()
            || self.server_name.len() > 64
            || !self
                .server_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        {
            return Err(ConfigError::Invalid(format!(
                "SERVER_NAME must be 1-64 characters of A-Z a-z 0-9 - _ . : (got {:?})",
                self.server_name
            )));
        }
        if self.clients.is_empty() {
            return Err(ConfigError::Invalid("no client ids configured".into()));
        }
        for c in &self.clients {
            if let Some(u) = &c.result_server_url
                && !(u.starts_with("http://") || u.starts_with("https://"))
            {
                return Err(ConfigError::Invalid(format!(
                    "result server URL of client {:?} is not http(s): {u}",
                    c.id
                )));
            }
        }
        Ok(())
    }

    pub fn client(&self, id: &str) -> Option<&ClientConfig> {
        self.clients.iter().find(|c| c.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn embedded_defaults() {
        let c = Config::default();
        assert_eq!(c.listen.to_string(), "0.0.0.0:8080");
        assert_eq!(c.client(DEFAULT_CLIENT_ID).unwrap().result_server_url, None);
        assert!(!c.trust.has_configured_sources());
        assert!(c.trust.embedded_master_lists);
        assert!(!c.trust.test_pki, "the test PKI is never a default");
    }

    #[test]
    fn vendor_environment() {
        let mut c = Config::default();
        c.apply_env(env(&[
            ("CLIENT_IDS", "a;b;c"),
            ("RESULT_SERVER_URLS", "http://127.0.0.1:1/r;;https://x.example/r"),
            ("WS_ENDPOINT_INCLUDE_BINARY_FILES_IN_RESULT", "true"),
            ("SERVER_NAME", "desk-1"),
            ("LISTEN", "127.0.0.1:9000"),
        ]))
        .unwrap();
        assert_eq!(c.clients.len(), 3);
        assert_eq!(
            c.client("a").unwrap().result_server_url.as_deref(),
            Some("http://127.0.0.1:1/r")
        );
        assert_eq!(c.client("b").unwrap().result_server_url, None);
        assert_eq!(
            c.client("c").unwrap().result_server_url.as_deref(),
            Some("https://x.example/r")
        );
        assert!(c.include_binary_files);
        assert_eq!(c.server_name, "desk-1");
        assert_eq!(c.listen.port(), 9000);
        assert!(c.client(DEFAULT_CLIENT_ID).is_none());
    }

    #[test]
    fn bad_environment_is_reported() {
        let mut c = Config::default();
        assert!(c.apply_env(env(&[("LISTEN", "nowhere")])).is_err());
        let mut c = Config::default();
        assert!(
            c.apply_env(env(&[("WS_ENDPOINT_INCLUDE_BINARY_FILES_IN_RESULT", "maybe")]))
                .is_err()
        );
        let mut c = Config::default();
        assert!(
            c.apply_env(env(&[("CLIENT_IDS", "a"), ("RESULT_SERVER_URLS", "ftp://x")]))
                .is_err()
        );
        let mut c = Config::default();
        assert!(
            c.apply_env(env(&[("CLIENT_IDS", "a"), ("RESULT_SERVER_URLS", "http://x;http://y")]))
                .is_err()
        );
    }

    #[test]
    fn toml_file() {
        let mut c = Config::default();
        c.apply_toml(
            r#"
listen = "127.0.0.1:8443"
server_name = "edge"
response_timeout_ms = 2500
[[clients]]
id = "shop"
result_server_url = "https://results.example/docval"
[trust]
master_lists = ["/etc/docval/icao.ml"]
"#,
            "test.toml",
        )
        .unwrap();
        assert_eq!(c.listen.port(), 8443);
        assert_eq!(c.timeouts.response, Duration::from_millis(2500));
        assert_eq!(c.clients[0].id, "shop");
        assert_eq!(c.trust.master_lists.len(), 1);
        assert!(!c.trust.test_pki);
        c.apply_toml(
            "[trust]\ntest_pki = true\nunverified_master_lists = [\"/oob.ml\"]",
            "t.toml",
        )
        .unwrap();
        assert!(c.trust.test_pki);
        assert_eq!(c.trust.unverified_master_lists.len(), 1);
        c.apply_env(env(&[("DOCVAL_TEST_PKI", "false"), ("TRUST_CSCA", "/a;/b")]))
            .unwrap();
        assert!(!c.trust.test_pki);
        assert_eq!(c.trust.certificates.len(), 2);
        assert!(
            Config::default()
                .apply_env(env(&[("DOCVAL_TEST_PKI", "perhaps")]))
                .is_err()
        );
        let err = c.apply_toml("unknown_key = 1", "bad.toml").unwrap_err();
        assert!(err.to_string().contains("bad.toml"));
    }
}
