#![forbid(unsafe_code)]
//! kyc-gateway: a Veriff-compatible KYC REST API whose decisions come from NFC chip verification.
//!
//! Integrations create sessions exactly as with the vendor's API; the end user opens the session
//! `url`, scans the document with the DocVal app, docval-server POSTs the chip result to
//! `/docval/results/{token}` with `client_validation_id` = session id, and the gateway decides
//! ([`kyc_core::decide`]) and delivers signed webhooks through a durable outbox.

pub mod api;
pub mod config;
pub mod db;
pub mod jobs;
pub mod pages;
pub mod ratelimit;
pub mod routes;

use config::Config;
use db::Db;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// Counters exported at `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    pub http_requests: AtomicU64,
    pub auth_failures: AtomicU64,
    pub sessions_created: AtomicU64,
    pub chip_results: AtomicU64,
    pub decisions_approved: AtomicU64,
    pub decisions_declined: AtomicU64,
    pub decisions_resubmission: AtomicU64,
    pub sessions_expired: AtomicU64,
    pub webhooks_delivered: AtomicU64,
    pub webhook_attempts_failed: AtomicU64,
    pub webhooks_given_up: AtomicU64,
    pub rate_limited: AtomicU64,
    /// Requests refused by the in-flight limit (503).
    pub overloaded: AtomicU64,
}

impl Metrics {
    pub fn inc(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        let items: [(&str, &AtomicU64); 13] = [
            ("kyc_http_requests_total", &self.http_requests),
            ("kyc_auth_failures_total", &self.auth_failures),
            ("kyc_sessions_created_total", &self.sessions_created),
            ("kyc_chip_results_total", &self.chip_results),
            ("kyc_decisions_approved_total", &self.decisions_approved),
            ("kyc_decisions_declined_total", &self.decisions_declined),
            ("kyc_decisions_resubmission_total", &self.decisions_resubmission),
            ("kyc_sessions_expired_total", &self.sessions_expired),
            ("kyc_webhooks_delivered_total", &self.webhooks_delivered),
            ("kyc_webhook_attempts_failed_total", &self.webhook_attempts_failed),
            ("kyc_webhooks_given_up_total", &self.webhooks_given_up),
            ("kyc_rate_limited_total", &self.rate_limited),
            ("kyc_overloaded_total", &self.overloaded),
        ];
        let mut s = String::new();
        for (name, v) in items {
            s.push_str(&format!(
                "# TYPE {name} counter\n{name} {}\n",
                v.load(Ordering::Relaxed)
            ));
        }
        s
    }
}

/// Shared state of the server.
#[derive(Debug)]
pub struct AppState {
    pub config: Config,
    pub db: Db,
    pub metrics: Metrics,
    pub http: reqwest::Client,
    /// Wakes the outbox worker when an event was enqueued.
    pub outbox_wakeup: Notify,
    /// Per-API-key token buckets ([`config::Config::rate_limit`]).
    pub rate_limiter: ratelimit::RateLimiter,
    /// Per-client-IP token buckets of requests without a configured API key
    /// ([`config::Config::unauthenticated_rate_limit`]).
    pub ip_rate_limiter: ratelimit::RateLimiter,
    /// Permits of requests in flight ([`config::Config::max_in_flight`]).
    pub in_flight: ratelimit::InFlight,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error("HTTP client: {0}")]
    Http(String),
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}

impl AppState {
    /// Validates the configuration, connects the database (running migrations) and builds the
    /// webhook HTTP client.
    pub async fn new(config: Config) -> Result<AppState, StartError> {
        config.validate()?;
        if let config::MediaStorage::Directory(d) = &config.media_storage {
            std::fs::create_dir_all(d)?;
        }
        let db = Db::connect(&config.database_url).await?;
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(config.webhooks.request_timeout)
            .connect_timeout(config.webhooks.request_timeout)
            .user_agent(concat!("kyc-gateway/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| StartError::Http(e.to_string()))?;
        Ok(AppState {
            rate_limiter: ratelimit::RateLimiter::new(config.rate_limit),
            ip_rate_limiter: ratelimit::RateLimiter::bounded(
                config.unauthenticated_rate_limit,
                ratelimit::MAX_IP_BUCKETS,
            ),
            in_flight: (config.max_in_flight > 0).then(|| {
                Arc::new(tokio::sync::Semaphore::new(
                    config.max_in_flight.min(tokio::sync::Semaphore::MAX_PERMITS),
                ))
            }),
            config,
            db,
            metrics: Metrics::default(),
            http,
            outbox_wakeup: Notify::new(),
        })
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// RFC 3339 UTC with milliseconds (`2019-10-30T07:32:44.540Z`).
pub fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Serves the API on `listener` with the background jobs (outbox delivery, expiry, retention,
/// decisions of sessions submitted without a chip reading)
/// until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let outbox = tokio::spawn(jobs::outbox_worker(state.clone()));
    let expiry = tokio::spawn(jobs::expiry_worker(state.clone()));
    let no_chip = tokio::spawn(jobs::no_chip_worker(state.clone()));
    let app = routes::router(state);
    let res = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    outbox.abort();
    expiry.abort();
    no_chip.abort();
    res.map_err(StartError::Io)
}
