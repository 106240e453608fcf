//! Gateway configuration: a TOML file (`--config`), the environment and the command line.
//!
//! Precedence: defaults < TOML file < environment < command line.

use kyc_core::{DecisionPolicy, Scheme};
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

/// One integration (an API key of a business using the gateway).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Integration {
    pub api_key: String,
    pub api_secret: String,
    /// Accepted for older configuration files; no effect since issue 15: every webhook and
    /// signed response carries both `X-SIGNATURE` (SHA-256(body || secret)) and
    /// `X-HMAC-SIGNATURE` (HMAC-SHA256), so that listeners written to either scheme accept it.
    #[serde(default)]
    pub scheme: Scheme,
    #[serde(default)]
    pub decision_webhook_url: Option<String>,
    #[serde(default)]
    pub event_webhook_url: Option<String>,
    /// Where the end-user page sends the person when their attempt ends, for sessions created
    /// without a `callback`.
    #[serde(default)]
    pub default_callback: Option<String>,
    /// Session creation (`POST /v1/sessions`) must carry a valid `X-HMAC-SIGNATURE` /
    /// `X-SIGNATURE`. Off (the default, as the vendor's API): the API key alone creates a session
    /// (the spec's curl sample, the browser SDK). A request that carries a signature header must
    /// carry a valid one either way.
    #[serde(default)]
    pub require_signed_session_creation: bool,
    /// Deprecated (before issue 15 session creation needed a signature unless this was `true`):
    /// still accepted in configuration files, without effect.
    #[serde(default)]
    pub allow_public_key_sessions: Option<bool>,
}

/// Webhook delivery schedule: attempt n (n ≥ 1) waits `initial_backoff * 2^(n-1)`, at most
/// `max_backoff`; delivery stops `max_age` after the event was created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WebhookSchedule {
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub max_age: Duration,
    pub poll_interval: Duration,
    pub request_timeout: Duration,
}

impl Default for WebhookSchedule {
    fn default() -> Self {
        WebhookSchedule {
            initial_backoff: Duration::from_secs(10),
            max_backoff: Duration::from_secs(6 * 3600),
            max_age: Duration::from_secs(7 * 24 * 3600),
            poll_interval: Duration::from_secs(1),
            request_timeout: Duration::from_secs(10),
        }
    }
}

impl WebhookSchedule {
    /// Delay before the next attempt after `failed_attempts` failures.
    pub fn backoff(&self, failed_attempts: u32) -> Duration {
        let exp = failed_attempts.saturating_sub(1).min(30);
        let d = self.initial_backoff.saturating_mul(1u32 << exp);
        d.min(self.max_backoff)
    }
}

/// Per-API-key rate limit (token bucket): `requests_per_second` sustained, `burst` at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub requests_per_second: u32,
    pub burst: u32,
}

/// Default per-key limit: 50 requests per second sustained, bursts of 100.
pub const DEFAULT_RATE_LIMIT: RateLimit = RateLimit {
    requests_per_second: 50,
    burst: 100,
};

/// Default per-IP limit of requests without a configured API key (end-user pages, the review
/// login, unknown keys): 10 requests per second sustained, bursts of 40.
pub const DEFAULT_UNAUTHENTICATED_RATE_LIMIT: RateLimit = RateLimit {
    requests_per_second: 10,
    burst: 40,
};

/// Default limit of requests handled at the same time (more are answered 503).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 256;

/// Where media bytes are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaStorage {
    Database,
    Directory(PathBuf),
}

/// The whole configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: String,
    /// Base URL of the gateway as the end user and integrations see it (session `url`, `host`).
    pub public_url: String,
    pub integrations: Vec<Integration>,
    /// DocVal WebSocket URL shown on the end-user page.
    pub docval_ws_url: String,
    /// DocVal client id shown on the end-user page.
    pub docval_client_id: String,
    /// Token in the result-server URL configured in docval-server
    /// (`{public_url}/docval/results/{token}`); `None` disables the endpoint.
    pub docval_result_token: Option<String>,
    /// Shared HMAC key of docval-server's RFC 9421 result signature; when set, unsigned or
    /// wrongly signed results are refused.
    pub docval_result_signing_secret: Option<String>,
    /// Token of the review page (`Authorization: Bearer`, or the cookie set by the login form
    /// at `/review/login`); `None` disables it. Never accepted in a URL.
    pub admin_token: Option<String>,
    /// Bearer token of `/metrics`; `None` leaves it open.
    pub metrics_token: Option<String>,
    /// Development setting: `http://` callbacks to loopback hosts are accepted.
    pub allow_http_loopback_callbacks: bool,
    pub policy: DecisionPolicy,
    pub webhooks: WebhookSchedule,
    /// Sessions not decided this long after their creation end: `expired` (never opened) or
    /// `abandoned` (opened), both code 9104.
    pub session_expiry: Duration,
    /// A session submitted (PATCH `submitted`) without a chip reading is answered this long
    /// after the submission: resubmission 9103 / 201, "the document's chip was not read".
    pub no_chip_decision_timeout: Duration,
    /// Secret keying the HS256 session tokens (`sessionToken`, the end-user `url`); `None`: each
    /// integration's tokens are keyed from its API secret.
    pub session_token_secret: Option<String>,
    pub expiry_check_interval: Duration,
    pub media_storage: MediaStorage,
    /// Media older than this is deleted; `None` keeps it.
    pub media_retention: Option<Duration>,
    /// Per-API-key rate limit; `None` disables it.
    pub rate_limit: Option<RateLimit>,
    /// Per-client-IP rate limit of requests without a configured API key (IPv6 clients counted
    /// per /64); `None` disables it.
    pub unauthenticated_rate_limit: Option<RateLimit>,
    /// Requests handled at the same time; more are answered `503` with `Retry-After`. `0`:
    /// no limit.
    pub max_in_flight: usize,
}

/// Default database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://kyc-gateway.sqlite3?mode=rwc";

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8088)),
            database_url: DEFAULT_DATABASE_URL.to_string(),
            public_url: "http://127.0.0.1:8088".to_string(),
            integrations: Vec::new(),
            docval_ws_url: "ws://127.0.0.1:8080/ws1/validate".to_string(),
            docval_client_id: "kyc-gateway".to_string(),
            docval_result_token: None,
            docval_result_signing_secret: None,
            admin_token: None,
            metrics_token: None,
            allow_http_loopback_callbacks: false,
            policy: DecisionPolicy::default(),
            webhooks: WebhookSchedule::default(),
            session_expiry: Duration::from_secs(7 * 24 * 3600),
            no_chip_decision_timeout: Duration::from_secs(60),
            session_token_secret: None,
            expiry_check_interval: Duration::from_secs(60),
            media_storage: MediaStorage::Database,
            media_retention: None,
            rate_limit: Some(DEFAULT_RATE_LIMIT),
            unauthenticated_rate_limit: Some(DEFAULT_UNAUTHENTICATED_RATE_LIMIT),
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileWebhooks {
    initial_backoff_ms: Option<u64>,
    max_backoff_ms: Option<u64>,
    max_age_secs: Option<u64>,
    poll_interval_ms: Option<u64>,
    request_timeout_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    database_url: Option<String>,
    public_url: Option<String>,
    #[serde(default)]
    integrations: Vec<Integration>,
    docval_ws_url: Option<String>,
    docval_client_id: Option<String>,
    docval_result_token: Option<String>,
    docval_result_signing_secret: Option<String>,
    admin_token: Option<String>,
    metrics_token: Option<String>,
    allow_http_loopback_callbacks: Option<bool>,
    accept_without_chip_authentication: Option<bool>,
    webhooks: Option<FileWebhooks>,
    session_expiry_secs: Option<u64>,
    no_chip_decision_secs: Option<u64>,
    session_token_secret: Option<String>,
    expiry_check_interval_secs: Option<u64>,
    media_directory: Option<PathBuf>,
    media_retention_days: Option<u64>,
    /// `[rate_limit] requests_per_second = N, burst = M`; `requests_per_second = 0` disables.
    rate_limit: Option<RateLimit>,
    /// `[unauthenticated_rate_limit] requests_per_second = N, burst = M` per client IP;
    /// `requests_per_second = 0` disables.
    unauthenticated_rate_limit: Option<RateLimit>,
    /// `0`: no limit.
    max_in_flight: Option<usize>,
}

impl Config {
    /// Applies a TOML file.
    pub fn apply_toml(&mut self, text: &str, path: &str) -> Result<(), ConfigError> {
        let f: FileConfig = toml::from_str(text).map_err(|e| ConfigError::File {
            path: path.to_string(),
            message: e.to_string(),
        })?;
        if let Some(v) = f.listen {
            self.listen = v;
        }
        if let Some(v) = f.database_url {
            self.database_url = v;
        }
        if let Some(v) = f.public_url {
            self.public_url = v;
        }
        if !f.integrations.is_empty() {
            self.integrations = f.integrations;
        }
        if let Some(v) = f.docval_ws_url {
            self.docval_ws_url = v;
        }
        if let Some(v) = f.docval_client_id {
            self.docval_client_id = v;
        }
        if f.docval_result_token.is_some() {
            self.docval_result_token = f.docval_result_token;
        }
        if f.docval_result_signing_secret.is_some() {
            self.docval_result_signing_secret = f.docval_result_signing_secret;
        }
        if f.admin_token.is_some() {
            self.admin_token = f.admin_token;
        }
        if f.metrics_token.is_some() {
            self.metrics_token = f.metrics_token;
        }
        if let Some(v) = f.allow_http_loopback_callbacks {
            self.allow_http_loopback_callbacks = v;
        }
        if let Some(v) = f.accept_without_chip_authentication {
            self.policy.accept_without_chip_authentication = v;
        }
        if let Some(w) = f.webhooks {
            let ms = Duration::from_millis;
            if let Some(v) = w.initial_backoff_ms {
                self.webhooks.initial_backoff = ms(v);
            }
            if let Some(v) = w.max_backoff_ms {
                self.webhooks.max_backoff = ms(v);
            }
            if let Some(v) = w.max_age_secs {
                self.webhooks.max_age = Duration::from_secs(v);
            }
            if let Some(v) = w.poll_interval_ms {
                self.webhooks.poll_interval = ms(v);
            }
            if let Some(v) = w.request_timeout_ms {
                self.webhooks.request_timeout = ms(v);
            }
        }
        if let Some(v) = f.session_expiry_secs {
            self.session_expiry = Duration::from_secs(v);
        }
        if let Some(v) = f.no_chip_decision_secs {
            self.no_chip_decision_timeout = Duration::from_secs(v);
        }
        if f.session_token_secret.is_some() {
            self.session_token_secret = f.session_token_secret;
        }
        if let Some(v) = f.expiry_check_interval_secs {
            self.expiry_check_interval = Duration::from_secs(v);
        }
        if let Some(d) = f.media_directory {
            self.media_storage = MediaStorage::Directory(d);
        }
        if let Some(d) = f.media_retention_days {
            self.media_retention = Some(Duration::from_secs(d.saturating_mul(86_400)));
        }
        if let Some(r) = f.rate_limit {
            self.rate_limit = (r.requests_per_second > 0).then_some(r);
        }
        if let Some(r) = f.unauthenticated_rate_limit {
            self.unauthenticated_rate_limit = (r.requests_per_second > 0).then_some(r);
        }
        if let Some(n) = f.max_in_flight {
            self.max_in_flight = n;
        }
        Ok(())
    }

    /// Applies the environment: `GATEWAY_INTEGRATIONS=key:secret[;key:secret…]`,
    /// `GATEWAY_DECISION_WEBHOOK_URL`, `GATEWAY_EVENT_WEBHOOK_URL`,
    /// `GATEWAY_REQUIRE_SIGNED_SESSION_CREATION`, `GATEWAY_PUBLIC_URL`, `GATEWAY_DOCVAL_WS_URL`,
    /// `GATEWAY_DOCVAL_RESULT_TOKEN`, `GATEWAY_DOCVAL_RESULT_SIGNING_SECRET`, `GATEWAY_ADMIN_TOKEN`, `LISTEN`, `DATABASE_URL`,
    /// `GATEWAY_RATE_LIMIT=RPS/BURST` (per API key; `off` or `0` disables),
    /// `GATEWAY_UNAUTHENTICATED_RATE_LIMIT=RPS/BURST` (per client IP, requests without a
    /// configured key; `off` or `0` disables), `GATEWAY_MAX_IN_FLIGHT=N` (`0`: no limit),
    /// `GATEWAY_METRICS_TOKEN`, `GATEWAY_SESSION_TOKEN_SECRET`, `GATEWAY_NO_CHIP_DECISION_SECS`.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(list) = get("GATEWAY_INTEGRATIONS") {
            let decision = get("GATEWAY_DECISION_WEBHOOK_URL");
            let event = get("GATEWAY_EVENT_WEBHOOK_URL");
            let signed = get("GATEWAY_REQUIRE_SIGNED_SESSION_CREATION").is_some_and(|v| v == "true" || v == "1");
            let mut out = Vec::new();
            for item in list.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                let (key, secret) = item
                    .split_once(':')
                    .ok_or_else(|| ConfigError::Invalid("GATEWAY_INTEGRATIONS: expected key:secret".into()))?;
                if key.is_empty() || secret.is_empty() {
                    return Err(ConfigError::Invalid("GATEWAY_INTEGRATIONS: empty key or secret".into()));
                }
                out.push(Integration {
                    api_key: key.to_string(),
                    api_secret: secret.to_string(),
                    scheme: Scheme::Hmac,
                    decision_webhook_url: decision.clone(),
                    event_webhook_url: event.clone(),
                    default_callback: None,
                    require_signed_session_creation: signed,
                    allow_public_key_sessions: None,
                });
            }
            self.integrations = out;
        }
        if let Some(v) = get("LISTEN") {
            self.listen = v
                .parse()
                .map_err(|_| ConfigError::Invalid(format!("LISTEN: not an address: {v}")))?;
        }
        if let Some(v) = get("DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = get("GATEWAY_PUBLIC_URL") {
            self.public_url = v;
        }
        if let Some(v) = get("GATEWAY_DOCVAL_WS_URL") {
            self.docval_ws_url = v;
        }
        if let Some(v) = get("GATEWAY_DOCVAL_RESULT_TOKEN") {
            self.docval_result_token = Some(v);
        }
        if let Some(v) = get("GATEWAY_DOCVAL_RESULT_SIGNING_SECRET") {
            self.docval_result_signing_secret = Some(v);
        }
        if let Some(v) = get("GATEWAY_ADMIN_TOKEN") {
            self.admin_token = Some(v);
        }
        if let Some(v) = get("GATEWAY_RATE_LIMIT") {
            self.rate_limit = parse_rate_limit(&v).map_err(|e| e.named("GATEWAY_RATE_LIMIT"))?;
        }
        if let Some(v) = get("GATEWAY_UNAUTHENTICATED_RATE_LIMIT") {
            self.unauthenticated_rate_limit =
                parse_rate_limit(&v).map_err(|e| e.named("GATEWAY_UNAUTHENTICATED_RATE_LIMIT"))?;
        }
        if let Some(v) = get("GATEWAY_MAX_IN_FLIGHT") {
            self.max_in_flight = v
                .trim()
                .parse()
                .map_err(|_| ConfigError::Invalid(format!("GATEWAY_MAX_IN_FLIGHT: not a number: {v}")))?;
        }
        if let Some(v) = get("GATEWAY_METRICS_TOKEN") {
            self.metrics_token = Some(v);
        }
        if let Some(v) = get("GATEWAY_SESSION_TOKEN_SECRET") {
            self.session_token_secret = Some(v);
        }
        if let Some(v) = get("GATEWAY_NO_CHIP_DECISION_SECS") {
            self.no_chip_decision_timeout = Duration::from_secs(
                v.trim()
                    .parse()
                    .map_err(|_| ConfigError::Invalid(format!("GATEWAY_NO_CHIP_DECISION_SECS: not a number: {v}")))?,
            );
        }
        Ok(())
    }

    /// Checks the configuration as a whole.
    ///
    /// (A rate limit with a zero burst is refused: it would refuse every request.)
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (name, limit) in [
            ("rate_limit", self.rate_limit),
            ("unauthenticated_rate_limit", self.unauthenticated_rate_limit),
        ] {
            if limit.is_some_and(|r| r.requests_per_second > 0 && r.burst == 0) {
                return Err(ConfigError::Invalid(format!("{name}: burst must be at least 1")));
            }
        }
        for (name, token) in [
            ("admin_token", &self.admin_token),
            ("metrics_token", &self.metrics_token),
            ("session_token_secret", &self.session_token_secret),
        ] {
            if token.as_deref().is_some_and(|t| t.trim().is_empty()) {
                return Err(ConfigError::Invalid(format!("{name}: empty")));
            }
        }
        let mut keys = std::collections::BTreeSet::new();
        for i in &self.integrations {
            if !keys.insert(i.api_key.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "duplicate integration api_key {}",
                    i.api_key
                )));
            }
        }
        Ok(())
    }

    /// The integration with this API key (constant-time comparison of each key).
    pub fn integration(&self, api_key: &str) -> Option<&Integration> {
        let mut found = None;
        for i in &self.integrations {
            if kyc_core::signature::secret_eq(&i.api_key, api_key) {
                found = Some(i);
            }
        }
        found
    }
}

impl ConfigError {
    /// The same error with `GATEWAY_RATE_LIMIT` replaced by the variable's real name.
    fn named(self, var: &str) -> Self {
        match self {
            ConfigError::Invalid(m) => ConfigError::Invalid(m.replacen("GATEWAY_RATE_LIMIT", var, 1)),
            other => other,
        }
    }
}

/// `GATEWAY_RATE_LIMIT` (and `GATEWAY_UNAUTHENTICATED_RATE_LIMIT`): `RPS/BURST` or `RPS`
/// (burst = 2 × RPS); `off` or `0` disables.
pub fn parse_rate_limit(v: &str) -> Result<Option<RateLimit>, ConfigError> {
    let v = v.trim();
    if v.eq_ignore_ascii_case("off") || v == "0" {
        return Ok(None);
    }
    let bad = || ConfigError::Invalid(format!("GATEWAY_RATE_LIMIT: expected RPS/BURST or off, got {v}"));
    let (rps, burst) = match v.split_once('/') {
        Some((r, b)) => (
            r.trim().parse::<u32>().map_err(|_| bad())?,
            b.trim().parse::<u32>().map_err(|_| bad())?,
        ),
        None => {
            let r = v.parse::<u32>().map_err(|_| bad())?;
            (r, r.saturating_mul(2))
        }
    };
    if rps == 0 {
        return Ok(None);
    }
    if burst == 0 {
        return Err(bad());
    }
    Ok(Some(RateLimit {
        requests_per_second: rps,
        burst,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_env_and_backoff() {
        let mut c = Config::default();
        c.apply_toml(
            r#"
listen = "127.0.0.1:9000"
public_url = "https://kyc.example"
[[integrations]]
api_key = "k1"
api_secret = "s1"
scheme = "sha256"
decision_webhook_url = "https://example.com/hook"
require_signed_session_creation = true
[webhooks]
initial_backoff_ms = 100
max_backoff_ms = 1000
"#,
            "t.toml",
        )
        .unwrap();
        assert_eq!(c.integrations.len(), 1);
        assert_eq!(c.integrations[0].scheme, Scheme::Sha256);
        assert!(c.integrations[0].require_signed_session_creation);
        // Old files with the deprecated key still load.
        let mut old = Config::default();
        old.apply_toml(
            "[[integrations]]\napi_key = \"k\"\napi_secret = \"s\"\nallow_public_key_sessions = true\n",
            "old.toml",
        )
        .unwrap();
        assert!(!old.integrations[0].require_signed_session_creation);
        assert_eq!(Config::default().no_chip_decision_timeout, Duration::from_secs(60));
        assert_eq!(c.webhooks.backoff(1), Duration::from_millis(100));
        assert_eq!(c.webhooks.backoff(3), Duration::from_millis(400));
        assert_eq!(c.webhooks.backoff(10), Duration::from_millis(1000));
        assert!(c.apply_toml("bogus = 1", "t.toml").is_err());
        let env = |k: &str| match k {
            "GATEWAY_INTEGRATIONS" => Some("a:b;c:d".to_string()),
            "GATEWAY_DECISION_WEBHOOK_URL" => Some("https://h".to_string()),
            "LISTEN" => Some("127.0.0.1:7000".to_string()),
            _ => None,
        };
        c.apply_env(env).unwrap();
        assert_eq!(c.integrations.len(), 2);
        assert_eq!(c.integrations[1].api_secret, "d");
        assert_eq!(c.integrations[1].decision_webhook_url.as_deref(), Some("https://h"));
        assert_eq!(c.listen.port(), 7000);
        assert!(c.integration("c").is_some());
        assert!(c.integration("x").is_none());
        assert!(
            c.apply_env(|k| (k == "GATEWAY_INTEGRATIONS").then(|| "nocolon".to_string()))
                .is_err()
        );
    }

    #[test]
    fn rate_limit_settings() {
        let c = Config::default();
        assert_eq!(c.rate_limit, Some(DEFAULT_RATE_LIMIT));
        assert_eq!(
            parse_rate_limit("5/7").unwrap(),
            Some(RateLimit {
                requests_per_second: 5,
                burst: 7
            })
        );
        assert_eq!(parse_rate_limit("20").unwrap().unwrap().burst, 40);
        assert_eq!(parse_rate_limit("off").unwrap(), None);
        assert_eq!(parse_rate_limit("0").unwrap(), None);
        assert!(parse_rate_limit("5/0").is_err());
        assert!(parse_rate_limit("fast").is_err());
        let mut c = Config::default();
        c.apply_toml("[rate_limit]\nrequests_per_second = 3\nburst = 4\n", "t.toml")
            .unwrap();
        assert_eq!(c.rate_limit.unwrap().burst, 4);
        c.apply_toml("[rate_limit]\nrequests_per_second = 0\nburst = 4\n", "t.toml")
            .unwrap();
        assert_eq!(c.rate_limit, None);
        c.apply_env(|k| (k == "GATEWAY_RATE_LIMIT").then(|| "9/9".to_string()))
            .unwrap();
        assert_eq!(c.rate_limit.unwrap().requests_per_second, 9);
    }

    #[test]
    fn unauthenticated_limit_in_flight_and_metrics_token_settings() {
        let mut c = Config::default();
        assert_eq!(c.unauthenticated_rate_limit, Some(DEFAULT_UNAUTHENTICATED_RATE_LIMIT));
        assert_eq!(c.max_in_flight, DEFAULT_MAX_IN_FLIGHT);
        assert_eq!(c.metrics_token, None);
        c.apply_toml(
            "max_in_flight = 7\nmetrics_token = \"m\"\n[unauthenticated_rate_limit]\nrequests_per_second = 2\nburst = 3\n",
            "t.toml",
        )
        .unwrap();
        assert_eq!(c.max_in_flight, 7);
        assert_eq!(c.metrics_token.as_deref(), Some("m"));
        assert_eq!(
            c.unauthenticated_rate_limit,
            Some(RateLimit {
                requests_per_second: 2,
                burst: 3
            })
        );
        c.apply_env(|k| match k {
            "GATEWAY_MAX_IN_FLIGHT" => Some("0".into()),
            "GATEWAY_METRICS_TOKEN" => Some("env-token".into()),
            "GATEWAY_UNAUTHENTICATED_RATE_LIMIT" => Some("off".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.max_in_flight, 0);
        assert_eq!(c.metrics_token.as_deref(), Some("env-token"));
        assert_eq!(c.unauthenticated_rate_limit, None);
        let e = c
            .apply_env(|k| (k == "GATEWAY_UNAUTHENTICATED_RATE_LIMIT").then(|| "x".to_string()))
            .unwrap_err();
        assert!(e.to_string().starts_with("GATEWAY_UNAUTHENTICATED_RATE_LIMIT:"), "{e}");
        assert!(
            c.apply_env(|k| (k == "GATEWAY_MAX_IN_FLIGHT").then(|| "many".to_string()))
                .is_err()
        );
        c.metrics_token = Some(" ".into());
        assert!(c.validate().is_err());
    }

    #[test]
    fn default_schedule_is_exponential_up_to_a_week() {
        let s = WebhookSchedule::default();
        assert_eq!(s.backoff(1), Duration::from_secs(10));
        assert_eq!(s.backoff(2), Duration::from_secs(20));
        assert_eq!(s.backoff(40), Duration::from_secs(6 * 3600));
        assert_eq!(s.max_age, Duration::from_secs(7 * 86400));
    }
}
