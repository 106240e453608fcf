//! Test harness: a gateway on 127.0.0.1 over SQLite (temp file) or PostgreSQL
//! (`KYC_TEST_POSTGRES_URL`, an admin URL; a fresh database per test), signed requests, and a
//! recording webhook listener.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use kyc_core::signature::{self, Scheme};
use kyc_gateway::config::{Config, Integration, WebhookSchedule};
use kyc_gateway::{AppState, serve};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

pub const KEY: &str = "test-api-key";
pub const SECRET: &str = "abcdef12-abcd-abcd-abcd-abcdef012345";
pub const PUBLIC_KEY: &str = "public-api-key";
pub const PUBLIC_SECRET: &str = "public-secret";
pub const LEGACY_KEY: &str = "legacy-api-key";
pub const LEGACY_SECRET: &str = "Your-API-Secret";
pub const RESULT_TOKEN: &str = "docval-result-token";
pub const ADMIN_TOKEN: &str = "admin-token";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database URL for a test, or `None` (with the reason printed) when the backend is absent.
pub async fn database_url(backend: Backend, dir: &std::path::Path) -> Option<String> {
    match backend {
        Backend::Sqlite => Some(format!("sqlite://{}?mode=rwc", dir.join("gw.sqlite3").display())),
        Backend::Postgres => {
            let Ok(admin) = std::env::var("KYC_TEST_POSTGRES_URL") else {
                println!(
                    "SKIP PostgreSQL: KYC_TEST_POSTGRES_URL is not set (.ci/kyc-deps.sh starts a server and sets it)"
                );
                return None;
            };
            sqlx::any::install_default_drivers();
            let name = format!("kyc_{}", uuid::Uuid::new_v4().simple());
            let mut conn = match <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await {
                Ok(c) => c,
                Err(e) => {
                    println!("SKIP PostgreSQL: cannot connect to KYC_TEST_POSTGRES_URL: {e}");
                    return None;
                }
            };
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
            Some(format!("{base}/{name}"))
        }
    }
}

pub struct Gw {
    pub base: String,
    pub state: Arc<AppState>,
    stop: Option<oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Gw {
    pub async fn shutdown(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = self.handle.await;
    }
}

/// `KEY` requires signed session creation (so that the 401 tests of unsigned requests keep
/// their meaning); `PUBLIC_KEY` and `LEGACY_KEY` have the default (the API key alone creates a
/// session).
pub fn base_config() -> Config {
    Config {
        integrations: vec![
            Integration {
                api_key: KEY.into(),
                api_secret: SECRET.into(),
                scheme: Scheme::Hmac,
                decision_webhook_url: None,
                event_webhook_url: None,
                default_callback: None,
                require_signed_session_creation: true,
                allow_public_key_sessions: None,
            },
            Integration {
                api_key: PUBLIC_KEY.into(),
                api_secret: PUBLIC_SECRET.into(),
                scheme: Scheme::Hmac,
                decision_webhook_url: None,
                event_webhook_url: None,
                default_callback: None,
                require_signed_session_creation: false,
                allow_public_key_sessions: None,
            },
            Integration {
                api_key: LEGACY_KEY.into(),
                api_secret: LEGACY_SECRET.into(),
                scheme: Scheme::Sha256,
                decision_webhook_url: None,
                event_webhook_url: None,
                default_callback: None,
                require_signed_session_creation: false,
                allow_public_key_sessions: None,
            },
        ],
        docval_result_token: Some(RESULT_TOKEN.into()),
        admin_token: Some(ADMIN_TOKEN.into()),
        allow_http_loopback_callbacks: true,
        webhooks: WebhookSchedule {
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(400),
            max_age: Duration::from_secs(60),
            poll_interval: Duration::from_millis(25),
            request_timeout: Duration::from_secs(2),
        },
        // Tests send bursts with one key, and from one address without keys; the limits have
        // their own tests (tests/limits.rs, tests/hardening.rs).
        rate_limit: None,
        unauthenticated_rate_limit: None,
        ..Config::default()
    }
}

/// Starts a gateway; `None` when the backend is unavailable (reason printed).
pub async fn start(backend: Backend, edit: impl FnOnce(&mut Config)) -> Option<Gw> {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(backend, dir.path()).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = base_config();
    config.database_url = url;
    config.public_url = format!("http://{addr}");
    edit(&mut config);
    let state = Arc::new(AppState::new(config).await.unwrap());
    let (tx, rx) = oneshot::channel::<()>();
    let s = state.clone();
    let handle = tokio::spawn(async move {
        serve(listener, s, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    Some(Gw {
        base: format!("http://{addr}"),
        state,
        stop: Some(tx),
        handle,
        _dir: dir,
    })
}

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().unwrap()
}

pub fn now_ts() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
    /// Checks the response signature in `header` with `scheme`.
    pub fn assert_signed(&self, key: &str, secret: &str, header: &str, scheme: Scheme) {
        assert_eq!(self.headers.get("x-auth-client").unwrap(), key);
        let sig = self
            .headers
            .get(header)
            .unwrap_or_else(|| panic!("no {header}"))
            .to_str()
            .unwrap();
        assert_eq!(sig, signature::sign(scheme, secret.as_bytes(), &self.body));
    }
}

async fn to_resp(r: reqwest::Response) -> Resp {
    let status = StatusCode::from_u16(r.status().as_u16()).unwrap();
    let mut headers = HeaderMap::new();
    for (k, v) in r.headers() {
        headers.insert(
            axum::http::HeaderName::from_bytes(k.as_str().as_bytes()).unwrap(),
            axum::http::HeaderValue::from_bytes(v.as_bytes()).unwrap(),
        );
    }
    let body = r.bytes().await.unwrap().to_vec();
    Resp { status, headers, body }
}

/// A request with a body signed with HMAC (`X-HMAC-SIGNATURE`).
pub async fn send(method: reqwest::Method, url: &str, key: &str, secret: &str, body: &[u8]) -> Resp {
    let sig = signature::sign(Scheme::Hmac, secret.as_bytes(), body);
    let r = client()
        .request(method, url)
        .header("content-type", "application/json")
        .header("x-auth-client", key)
        .header("x-hmac-signature", sig)
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    to_resp(r).await
}

/// A request with custom headers.
pub async fn send_raw(method: reqwest::Method, url: &str, headers: &[(&str, String)], body: Vec<u8>) -> Resp {
    let mut b = client().request(method, url).header("content-type", "application/json");
    for (k, v) in headers {
        b = b.header(*k, v);
    }
    to_resp(b.body(body).send().await.unwrap()).await
}

/// A GET signed over the path id.
pub async fn get(gw: &Gw, path: &str, id: &str, key: &str, secret: &str) -> Resp {
    let sig = signature::sign(Scheme::Hmac, secret.as_bytes(), id.as_bytes());
    let r = client()
        .get(format!("{}{path}", gw.base))
        .header("x-auth-client", key)
        .header("x-hmac-signature", sig)
        .send()
        .await
        .unwrap();
    to_resp(r).await
}

pub fn session_body(extra: serde_json::Value) -> Vec<u8> {
    let mut v = serde_json::json!({
        "callback": "https://example.com/done",
        "person": {"firstName": "Erika", "lastName": "Musterfrau"},
        "vendorData": "user-42",
        "timestamp": now_ts(),
    });
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        for (k, x) in e {
            o.insert(k.clone(), x.clone());
        }
    }
    serde_json::to_vec(&serde_json::json!({ "verification": v })).unwrap()
}

/// Creates a session with the HMAC integration; returns its `verification` object.
pub async fn create_session(gw: &Gw, extra: serde_json::Value) -> serde_json::Value {
    let r = send(
        reqwest::Method::POST,
        &format!("{}/v1/sessions", gw.base),
        KEY,
        SECRET,
        &session_body(extra),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&r.body));
    r.json()["verification"].clone()
}

/// A received webhook.
#[derive(Clone, Debug)]
pub struct Hook {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Hook {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

pub struct Listener {
    pub url: String,
    pub hooks: Arc<Mutex<Vec<Hook>>>,
    pub calls: Arc<AtomicUsize>,
}

/// A webhook listener that answers 500 to the first `fail_first` calls.
pub async fn listener(fail_first: usize) -> Listener {
    let hooks: Arc<Mutex<Vec<Hook>>> = Arc::default();
    let calls: Arc<AtomicUsize> = Arc::default();
    let (h, c) = (hooks.clone(), calls.clone());
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let (h, c) = (h.clone(), c.clone());
            async move {
                let n = c.fetch_add(1, Ordering::SeqCst);
                h.lock().unwrap().push(Hook {
                    headers,
                    body: body.to_vec(),
                });
                if n < fail_first {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    Listener {
        url: format!("http://{addr}/hook"),
        hooks,
        calls,
    }
}

/// Waits until `f` holds on the recorded hooks (at most `secs`).
pub async fn wait_for(l: &Listener, secs: u64, f: impl Fn(&[Hook]) -> bool) -> Vec<Hook> {
    let end = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let got = l.hooks.lock().unwrap().clone();
        if f(&got) {
            return got;
        }
        if std::time::Instant::now() > end {
            panic!(
                "timed out; hooks: {:?}",
                got.iter()
                    .map(|h| String::from_utf8_lossy(&h.body).to_string())
                    .collect::<Vec<_>>()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Defines a SQLite and a PostgreSQL test from `async fn name(Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { super::$name(super::common::Backend::Sqlite).await }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { super::$name(super::common::Backend::Postgres).await }
            )*
        }
    };
}

/// A chip result as docval-server posts it: genuine, unexpired, CA success.
pub fn chip_result(id: &str, face: Option<&[u8]>) -> Vec<u8> {
    chip_result_with(id, face, |_| {})
}

/// [`chip_result`] with `edit` applied to the `emrtd_passport` object.
pub fn chip_result_with(id: &str, face: Option<&[u8]>, edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    use base64::Engine;
    let face = face.map(|f| base64::engine::general_purpose::STANDARD.encode(f));
    let mut passport = serde_json::json!({
        "sod_info": {"hash_algorithm": "SHA-256", "hash_for_data_group": {}},
        "mrz_info": {"document_type": "TD3", "document_code": "P", "issuing_state": "EST",
            "primary_identifier": "MUSTERFRAU", "secondary_identifier": ["ERIKA"], "nationality": "EST",
            "document_number": "C01X00T47", "date_of_birth": "840812", "gender": "FEMALE",
            "date_of_expiry": "360101", "optional_data1": "", "optional_data2": null},
        "face_photo": face,
        "signature_photos": null,
        "additional_personal_details": null,
        "additional_document_details": null,
        "passive_authentication": true,
        "passive_authentication_details": {"sod_signature_valid": true, "document_certificate_valid": true,
            "data_groups_checked": [1, 2], "data_groups_with_valid_hash": [1, 2], "error": null, "all_hashes_valid": true},
        "chip_authentication_result": "SUCCESS",
        "active_authentication_result": "UNAVAILABLE",
        "errors": []
    });
    edit(&mut passport);
    serde_json::to_vec(&serde_json::json!({"emrtd_passport": passport, "client_validation_id": id})).unwrap()
}
