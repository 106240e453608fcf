//! docval-server: the DocVal WebSocket API.
//!
//! A phone opens `GET /ws1/validate[?return_result=true]`, sends the StartMessage, then relays
//! every command APDU the server sends (binary frames) to the chip and returns the response.
//! The server does access control, secure messaging, chip, active and passive authentication,
//! POSTs the `emrtd_passport` result to the client's result server and closes with the
//! documented close code. No passport data is written to disk; buffers holding it are cleared
//! when the session ends.
#![forbid(unsafe_code)]

pub mod config;
pub mod demo;
pub mod metrics;
pub mod post;
pub mod protocol;
pub mod session;
pub mod session_v2;
pub mod signing;
pub mod trust;

use axum::Router;
use axum::extract::{Query, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use config::Config;
use emrtd_pa::TrustStore;
use metrics::Metrics;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Shared state of the server.
pub struct AppState {
    pub config: Config,
    pub trust: TrustStore,
    pub http: reqwest::Client,
    pub metrics: Metrics,
    /// Fault injection for tests only (cargo feature `fault-injection`, never in a release
    /// build): called with every frame the phone relays from the chip; a hook that panics
    /// stands for a server bug that chip data triggers.
    #[cfg(feature = "fault-injection")]
    pub chip_response_hook: Option<fn(&[u8])>,
}

impl AppState {
    pub fn new(config: Config, trust: TrustStore) -> Result<Self, String> {
        let http = post::http_client(config.post.timeout, &config.server_name)?;
        Ok(AppState {
            config,
            trust,
            http,
            metrics: Metrics::default(),
            #[cfg(feature = "fault-injection")]
            chip_response_hook: None,
        })
    }
}

/// Whether the handshake's `Authorization` header equals the required value, compared in
/// constant time: both sides are hashed first (SHA-256), so neither the position of the first
/// differing byte nor the length of the secret shows in the timing.
pub fn authorization_matches(given: Option<&[u8]>, required: &str) -> bool {
    use sha2::{Digest, Sha256};
    use subtle::ConstantTimeEq;
    let Some(given) = given else {
        return false;
    };
    let a = Sha256::digest(given);
    let b = Sha256::digest(required.as_bytes());
    a.as_slice().ct_eq(b.as_slice()).into()
}

/// Whether an event of a third-party crate may reach the log: at most DEBUG. At TRACE the
/// WebSocket library logs every message whole (the StartMessage with its access key, the result
/// frame with the passport data) and the HTTP libraries log raw requests.
fn third_party_at_most_debug(meta: &tracing::Metadata<'_>) -> bool {
    let target = meta.target();
    *meta.level() < tracing::Level::TRACE || target.starts_with("docval") || target.starts_with("emrtd")
}

/// The server binary's logging: JSON lines on stdout filtered by `RUST_LOG` (default `info`),
/// third-party crates at most at DEBUG whatever `RUST_LOG` says, and a panic hook that never
/// logs a panic's message ([`install_panic_hook`]).
pub fn init_logging() {
    use tracing_subscriber::prelude::*;
    let env = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_filter(env)
                .with_filter(tracing_subscriber::filter::filter_fn(third_party_at_most_debug)),
        )
        .init();
    install_panic_hook();
}

/// Installs a panic hook that reports where a panic happened but never its message: a panic
/// message can quote the data it failed on (client text, passport data). Call it once at the
/// start of the server binary (not in tests, whose failures need their messages).
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(%location, "panic (message withheld: it may quote client or passport data)");
    }));
}

/// The handshake's checks shared by both protocol versions: the required `Authorization`, and
/// a session slot, counted before the upgrade so the limit holds under a burst.
fn admit(state: &AppState, headers: &HeaderMap) -> Result<(), (StatusCode, &'static str)> {
    if let Some(required) = &state.config.required_authorization {
        let given = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
        if !authorization_matches(given, required) {
            return Err((StatusCode::UNAUTHORIZED, "authorization required"));
        }
    }
    let active = state.metrics.sessions_active.fetch_add(1, Ordering::Relaxed);
    if active as usize >= state.config.max_sessions {
        state.metrics.sessions_active.fetch_sub(1, Ordering::Relaxed);
        state.metrics.sessions_refused.fetch_add(1, Ordering::Relaxed);
        return Err((StatusCode::SERVICE_UNAVAILABLE, "too many sessions"));
    }
    Ok(())
}

async fn validate(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if let Err(refused) = admit(&state, &headers) {
        return refused.into_response();
    }
    let return_result = query.get("return_result").is_some_and(|v| v == "true");
    upgrade(ws, state.clone(), state.config.max_message_bytes, move |socket| {
        session::run(socket, state, return_result)
    })
}

/// v2: `return_result=true` (Android appends it) is tolerated and ignored: FINISH's
/// `sendResult` decides (notes §2, §7.8). The phone sends each file whole as one binary
/// message (no chunking, notes §2), hence the larger message limit.
async fn validate_v2(State(state): State<Arc<AppState>>, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    if let Err(refused) = admit(&state, &headers) {
        return refused.into_response();
    }
    upgrade(ws, state.clone(), state.config.v2_max_message_bytes, move |socket| {
        session_v2::run(socket, state)
    })
}

/// The upgrade of an admitted session: messages up to `max` bytes, and the slot counted by
/// [`admit`] released if the upgrade fails. A session reads mostly small frames; an 8 KiB read
/// buffer (tungstenite's default is 128 KiB, all touched on the first read) keeps thousands of
/// idle sessions small. Larger frames still arrive whole, up to `max`.
fn upgrade<F, Fut>(ws: WebSocketUpgrade, state: Arc<AppState>, max: usize, session: F) -> Response
where
    F: FnOnce(axum::extract::ws::WebSocket) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    ws.read_buffer_size(8 * 1024)
        .write_buffer_size(0)
        .max_message_size(max)
        .max_frame_size(max)
        .on_failed_upgrade(move |_| {
            state.metrics.sessions_active.fetch_sub(1, Ordering::Relaxed);
        })
        .on_upgrade(session)
}

async fn health() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], "{\"status\":\"UP\"}")
}

async fn metrics_route(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let info = format!(
        "# HELP docval_server_info This server: SERVER_NAME and version.\n# TYPE docval_server_info gauge\n\
         docval_server_info{{server_name=\"{}\",version=\"{}\"}} 1\n",
        state.config.server_name,
        env!("CARGO_PKG_VERSION")
    );
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        info + &state.metrics.render(),
    )
}

/// The HTTP routes.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/ws1/validate", get(validate))
        .route("/ws2/validate", get(validate_v2))
        .route("/actuator/health", get(health))
        .route("/healthz", get(health))
        .route("/metrics", get(metrics_route))
        .with_state(state)
}

/// Serves over TLS (rustls, ring provider) with the configured PEM certificate chain and key,
/// until `shutdown` completes; then lets running sessions finish.
pub async fn serve_tls(
    listener: std::net::TcpListener,
    state: Arc<AppState>,
    cert: &std::path::Path,
    key: &std::path::Path,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key).await?;
    let handle = axum_server::Handle::new();
    let h = handle.clone();
    let grace = state.config.timeouts.session;
    tokio::spawn(async move {
        shutdown.await;
        h.graceful_shutdown(Some(grace));
    });
    listener.set_nonblocking(true)?;
    axum_server::from_tcp_rustls(listener, tls)?
        .handle(handle)
        .serve(router(state.clone()).into_make_service())
        .await?;
    wait_for_sessions(&state).await;
    Ok(())
}

async fn wait_for_sessions(state: &AppState) {
    let deadline = tokio::time::Instant::now() + state.config.timeouts.session;
    while state.metrics.sessions_active.load(Ordering::Relaxed) > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Serves until `shutdown` completes, then lets running sessions finish (up to the session
/// timeout).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state.clone());
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await?;
    wait_for_sessions(&state).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::authorization_matches;

    #[test]
    fn authorization_must_match_exactly() {
        let required = "Bearer s3cret";
        assert!(authorization_matches(Some(b"Bearer s3cret"), required));
        for wrong in [
            &b"Bearer s3cre"[..],
            b"Bearer s3cret ",
            b"Bearer s3crex",
            b"bearer s3cret",
            b"",
            b"Bearer s3cret\0",
        ] {
            assert!(!authorization_matches(Some(wrong), required), "{wrong:?}");
        }
        assert!(!authorization_matches(None, required));
    }
}
