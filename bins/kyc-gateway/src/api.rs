//! HTTP handlers of the Veriff-compatible API and the DocVal result endpoint.

use crate::config::{Integration, MediaStorage};
use crate::db::{self, MediaRow, SessionRow};
use crate::{AppState, Metrics, iso, now_ms};
use axum::body::Body;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kyc_core::signature::{self, HEADER_AUTH_CLIENT, HEADER_HMAC_SIGNATURE, HEADER_SIGNATURE, HeaderSchemes, Scheme};
use kyc_core::{ApiError, DecisionDocument, DecisionPerson, Verdict, check_query_id};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::{Any, Row, Transaction};
use std::sync::Arc;

/// Largest JSON body of session creation and PATCH.
pub const MAX_JSON_BODY: usize = 256 * 1024;
/// Largest media upload body (24 MB of base64 plus the JSON around it).
pub const MAX_MEDIA_BODY: usize = 25 * 1024 * 1024;
/// Largest DocVal result POST (face, signature and document images).
pub const MAX_RESULT_BODY: usize = 32 * 1024 * 1024;

/// An error response.
#[derive(Debug)]
pub struct Fail(pub ApiError);

impl From<ApiError> for Fail {
    fn from(e: ApiError) -> Self {
        Fail(e)
    }
}

impl From<db::DbError> for Fail {
    fn from(e: db::DbError) -> Self {
        tracing::error!(error = %e, "database error");
        Fail(ApiError::Internal)
    }
}

impl From<sqlx::Error> for Fail {
    fn from(e: sqlx::Error) -> Self {
        Fail::from(db::DbError::from(e))
    }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
        (status, [(header::CONTENT_TYPE, "application/json")], self.0.body()).into_response()
    }
}

type ApiResult = Result<Response, Fail>;

/// An authenticated caller.
#[derive(Clone, Debug)]
pub struct Caller {
    pub integration: Integration,
    /// The algorithms of the response's two signature headers (each header's own, unless the
    /// request sent the other algorithm under that name).
    pub sig: HeaderSchemes,
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// What authentication checks before a body is read: the integration of the API key and the
/// signature headers it sent (none: session creation with the API key alone).
#[derive(Debug)]
pub struct PreAuth {
    integration: Integration,
    /// The signature headers present and their values, `X-HMAC-SIGNATURE` first; empty: an
    /// unsigned session creation.
    signatures: Vec<(&'static str, String)>,
}

/// The first half of authentication, from the headers alone, so that a request with an unknown
/// key or without a signature is refused (401) before its body is read: the API key must be a
/// configured integration's, and a signature header must be present unless `public_ok` (session
/// creation) and the integration does not require signed session creation. A signature header
/// that is present counts even when empty: it must then be valid.
pub fn pre_authenticate(state: &AppState, headers: &HeaderMap, public_ok: bool) -> Result<PreAuth, ApiError> {
    let fail = |e: ApiError| {
        Metrics::inc(&state.metrics.auth_failures);
        e
    };
    let key = header_str(headers, HEADER_AUTH_CLIENT).ok_or_else(|| fail(ApiError::NotAuthorized))?;
    let integration = state
        .config
        .integration(key)
        .ok_or_else(|| fail(ApiError::InvalidApiKey))?
        .clone();
    let mut signatures = Vec::new();
    for h in [HEADER_HMAC_SIGNATURE, HEADER_SIGNATURE] {
        for v in headers.get_all(h) {
            let v = v.to_str().map(str::trim).unwrap_or("");
            if v.is_empty() || signatures.len() >= 4 {
                return Err(fail(ApiError::NotAuthorized));
            }
            signatures.push((h, v.to_string()));
        }
    }
    if !signatures.is_empty() || (public_ok && !integration.require_signed_session_creation) {
        return Ok(PreAuth {
            integration,
            signatures,
        });
    }
    Err(fail(ApiError::NotAuthorized))
}

impl PreAuth {
    /// The second half: the signature over `payload` (raw body or path id).
    /// Every signature header present must hold. The response carries both signature headers;
    /// a header whose request value used the other algorithm is answered in kind.
    pub fn verify(self, state: &AppState, payload: &[u8]) -> Result<Caller, ApiError> {
        let PreAuth {
            integration,
            signatures,
        } = self;
        let mut sig = HeaderSchemes::default();
        for (header, value) in signatures.iter().rev() {
            match signature::verify(value, integration.api_secret.as_bytes(), payload) {
                // Reversed: the first value under a header name decides its answer.
                Some(scheme) => sig.answer_in_kind(header, scheme),
                None => {
                    Metrics::inc(&state.metrics.auth_failures);
                    return Err(ApiError::NotAuthorized);
                }
            }
        }
        Ok(Caller { sig, integration })
    }
}

/// Authenticates a request: the API key, then a signature over `payload` (raw body or path id).
/// `public_ok`: a request without a signature is accepted when the integration allows
/// public-key session creation.
pub fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    payload: &[u8],
    public_ok: bool,
) -> Result<Caller, ApiError> {
    pre_authenticate(state, headers, public_ok)?.verify(state, payload)
}

/// Sets `X-AUTH-CLIENT` and both signature headers over `body` (the exact bytes sent).
pub fn insert_signature_headers(h: &mut HeaderMap, integration: &Integration, schemes: HeaderSchemes, body: &[u8]) {
    if let Ok(v) = HeaderValue::from_str(&integration.api_key) {
        h.insert(HEADER_AUTH_CLIENT, v);
    }
    for (name, sig) in signature::signature_headers(integration.api_secret.as_bytes(), body, schemes) {
        if let Ok(v) = HeaderValue::from_str(&sig) {
            h.insert(name, v);
        }
    }
}

/// A response whose body is signed for the caller.
pub fn signed(status: StatusCode, caller: &Caller, content_type: &str, body: Vec<u8>) -> Response {
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    insert_signature_headers(&mut h, &caller.integration, caller.sig, &body);
    let mut r = (status, body).into_response();
    r.headers_mut().extend(h);
    r
}

/// Largest error body the signing layer reads (error bodies are a few hundred bytes).
const MAX_SIGNED_ERROR_BODY: usize = 16 * 1024;

/// Signs error responses (4xx, 429, 5xx) of `/v1/` requests whose `X-AUTH-CLIENT` is a configured
/// integration's, whatever answered them (a handler, the limits, the router): `X-AUTH-CLIENT`
/// and both signature headers over the body. Error bodies are fixed texts (a body not of the
/// gateway's own, such as the framework's empty 405, is replaced by
/// `{"status":"fail","message":"<reason>."}`): nothing of the request is echoed, so the
/// signatures sign nothing a caller chose.
pub async fn sign_errors(
    State(state): State<Arc<AppState>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let integration = if req.uri().path().starts_with("/v1/") {
        header_str(req.headers(), HEADER_AUTH_CLIENT)
            .and_then(|k| state.config.integration(k))
            .cloned()
    } else {
        None
    };
    let res = next.run(req).await;
    let Some(integration) = integration else { return res };
    if res.status().as_u16() < 400
        || res.headers().contains_key(HEADER_SIGNATURE)
        || res.headers().contains_key(HEADER_HMAC_SIGNATURE)
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/json");
    let bytes = if json {
        // The gateway's own error bodies (`ApiError::body`): fixed texts.
        axum::body::to_bytes(body, MAX_SIGNED_ERROR_BODY)
            .await
            .unwrap_or_default()
    } else {
        // The framework's (an empty 405, a rejected path): replaced by a fixed JSON body, so
        // that nothing of the request is ever signed.
        parts
            .headers
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let message = parts.status.canonical_reason().unwrap_or("Error");
        bytes::Bytes::from(format!(r#"{{"status":"fail","message":"{message}."}}"#))
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    insert_signature_headers(&mut parts.headers, &integration, HeaderSchemes::default(), &bytes);
    Response::from_parts(parts, Body::from(bytes))
}

fn signed_json(status: StatusCode, caller: &Caller, v: &impl Serialize) -> ApiResult {
    let body = serde_json::to_vec(v).map_err(|_| ApiError::Internal)?;
    Ok(signed(status, caller, "application/json", body))
}

async fn read_body(body: Body, limit: usize) -> Result<bytes::Bytes, ApiError> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::PayloadTooLarge)
}

/// The session `id` owned by the caller (404 otherwise).
async fn owned_session(state: &AppState, caller: &Caller, id: &str) -> Result<SessionRow, Fail> {
    check_query_id(id)?;
    match db::session_by(&state.db.pool, "id", id).await? {
        Some(s) if s.integration == caller.integration.api_key => Ok(s),
        _ => Err(ApiError::NotFound.into()),
    }
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn session_url(state: &AppState, token: &str) -> String {
    format!("{}/v/{token}", state.config.public_url.trim_end_matches('/'))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionView<'a> {
    id: &'a str,
    url: String,
    vendor_data: Option<&'a str>,
    host: &'a str,
    status: &'a str,
    session_token: &'a str,
    base_url: &'a str,
}

#[derive(Serialize)]
struct SessionResponse<'a> {
    status: &'static str,
    verification: SessionView<'a>,
}

fn session_response<'a>(state: &'a AppState, s: &'a SessionRow) -> SessionResponse<'a> {
    SessionResponse {
        status: "success",
        verification: SessionView {
            id: &s.id,
            url: session_url(state, &s.session_token),
            vendor_data: s.vendor_data.as_deref(),
            host: public(state),
            status: if s.status == "created" || s.status == "started" {
                "created"
            } else {
                &s.status
            },
            session_token: &s.session_token,
            base_url: public(state),
        },
    }
}

/// The HS256 key of an integration's session tokens: from `session_token_secret`, or from the
/// integration's API secret when none is configured.
pub fn session_token_key(state: &AppState, integration: &Integration) -> [u8; 32] {
    let secret = state
        .config
        .session_token_secret
        .as_deref()
        .unwrap_or(&integration.api_secret);
    kyc_core::session_token::derive_key(secret.as_bytes())
}

/// How long a session lives, in milliseconds.
pub fn session_lifetime_ms(state: &AppState) -> i64 {
    i64::try_from(state.config.session_expiry.as_millis()).unwrap_or(i64::MAX)
}

/// A chip result being decided holds its session this long at most (then the expiry and
/// no-chip jobs may end the session: the process deciding it died).
pub const PROCESSING_LEASE_MS: i64 = 5 * 60 * 1000;

/// The status of an attempt (`created`, `started`, `submitted`, or its decision).
pub async fn attempt_status(
    tx: &mut Transaction<'static, Any>,
    attempt_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT status FROM attempts WHERE id = $1")
        .bind(attempt_id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| r.try_get::<String, _>("status")).transpose()
}

/// `verification` of a decision (GET /decision and the decision webhook).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DecisionView {
    pub id: String,
    pub attempt_id: String,
    pub vendor_data: Option<String>,
    pub status: &'static str,
    pub code: u16,
    pub reason: Option<String>,
    pub reason_code: Option<u16>,
    pub decision_time: String,
    pub acceptance_time: String,
    pub person: DecisionPerson,
    pub document: DecisionDocument,
    pub comments: Vec<Value>,
    pub additional_verified_data: serde_json::Map<String, Value>,
}

impl DecisionView {
    /// The decision of session `s`'s current attempt without a chip result (9103 when nothing
    /// was read, 9104 expired / abandoned): no person or document data.
    pub fn without_result(
        s: &SessionRow,
        verdict: Verdict,
        reason: Option<String>,
        reason_code: Option<u16>,
        now: i64,
    ) -> DecisionView {
        DecisionView {
            id: s.id.clone(),
            attempt_id: s.current_attempt.clone(),
            vendor_data: s.vendor_data.clone(),
            status: verdict.status(),
            code: verdict.code(),
            reason,
            reason_code,
            decision_time: iso(now),
            acceptance_time: iso(s.created_at),
            person: DecisionPerson::default(),
            document: DecisionDocument::default(),
            comments: Vec::new(),
            additional_verified_data: serde_json::Map::new(),
        }
    }
}

/// Compact decision webhook body around a stored `verification` object.
pub fn decision_webhook_body(decision_json: &str) -> Vec<u8> {
    format!(r#"{{"status":"success","verification":{decision_json},"technicalData":{{"ip":null}}}}"#).into_bytes()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventBody<'a> {
    id: &'a str,
    attempt_id: &'a str,
    feature: &'static str,
    code: u16,
    action: &'static str,
    vendor_data: Option<&'a str>,
}

/// Enqueues a webhook in the outbox (same transaction as the state change).
#[allow(clippy::too_many_arguments)]
pub async fn enqueue(
    tx: &mut Transaction<'static, Any>,
    integration: &Integration,
    session_id: &str,
    kind: &str,
    url: Option<&str>,
    body: Vec<u8>,
    now: i64,
    seq: i64,
) -> Result<(), sqlx::Error> {
    let Some(url) = url else { return Ok(()) };
    let body = String::from_utf8(body).unwrap_or_default();
    sqlx::query(
        "INSERT INTO outbox (id, session_id, integration, kind, url, body, attempts, next_attempt_at, created_at, seq) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7, $8)",
    )
    .bind(new_id())
    .bind(session_id.to_string())
    .bind(integration.api_key.clone())
    .bind(kind.to_string())
    .bind(url.to_string())
    .bind(body)
    .bind(now)
    .bind(seq)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Enqueues the decision webhook of a session (its `decision_json`), when the integration has
/// a decision webhook URL.
pub async fn enqueue_decision(
    tx: &mut Transaction<'static, Any>,
    integration: &Integration,
    session_id: &str,
    decision_json: &str,
    now: i64,
    seq: i64,
) -> Result<(), sqlx::Error> {
    enqueue(
        tx,
        integration,
        session_id,
        "decision",
        integration.decision_webhook_url.as_deref(),
        decision_webhook_body(decision_json),
        now,
        seq,
    )
    .await
}

/// Enqueues an event webhook (7001 started, 7002 submitted).
pub async fn enqueue_event(
    tx: &mut Transaction<'static, Any>,
    integration: &Integration,
    s: &SessionRow,
    attempt_id: &str,
    code: u16,
    now: i64,
    seq: i64,
) -> Result<(), sqlx::Error> {
    let action = if code == 7001 { "started" } else { "submitted" };
    let body = serde_json::to_vec(&EventBody {
        id: &s.id,
        attempt_id,
        feature: "selfid",
        code,
        action,
        vendor_data: s.vendor_data.as_deref(),
    })
    .unwrap_or_default();
    enqueue(
        tx,
        integration,
        &s.id,
        action,
        integration.event_webhook_url.as_deref(),
        body,
        now,
        seq,
    )
    .await
}

/// Stores a media item with its timestamp; returns (media id, timestamp id, name).
#[allow(clippy::too_many_arguments)]
pub async fn store_media(
    state: &AppState,
    tx: &mut Transaction<'static, Any>,
    integration: &Integration,
    session_id: &str,
    attempt_id: &str,
    context: &str,
    mimetype: &str,
    extension: &str,
    content: &[u8],
    now: i64,
) -> Result<(String, String, String), Fail> {
    let media_id = new_id();
    let ts_id = new_id();
    let name = format!("{context}.{extension}");
    let hash = hex::encode(Sha256::digest(content));
    // The timestamp signature binds the content hash, context and time to the integration secret.
    let ts_sig = signature::sign(
        Scheme::Hmac,
        integration.api_secret.as_bytes(),
        format!("{hash}|{context}|{now}").as_bytes(),
    );
    sqlx::query(
        "INSERT INTO timestamps (id, session_id, context, data_hash, signature, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(ts_id.clone())
    .bind(session_id.to_string())
    .bind(context.to_string())
    .bind(hash)
    .bind(ts_sig)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let (blob, path): (Option<Vec<u8>>, Option<String>) = match &state.config.media_storage {
        MediaStorage::Database => (Some(content.to_vec()), None),
        MediaStorage::Directory(dir) => {
            let p = dir.join(format!("{media_id}.bin"));
            tokio::fs::write(&p, content).await.map_err(db::DbError::from)?;
            (None, Some(p.to_string_lossy().into_owned()))
        }
    };
    sqlx::query(
        "INSERT INTO media (id, session_id, attempt_id, context, name, mimetype, size, content, path, timestamp_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(media_id.clone())
    .bind(session_id.to_string())
    .bind(attempt_id.to_string())
    .bind(context.to_string())
    .bind(name.clone())
    .bind(mimetype.to_string())
    .bind(i64::try_from(content.len()).unwrap_or(i64::MAX))
    .bind(blob)
    .bind(path)
    .bind(ts_id.clone())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok((media_id, ts_id, name))
}

fn public(state: &AppState) -> &str {
    state.config.public_url.trim_end_matches('/')
}

fn media_json(state: &AppState, m: &MediaRow) -> Value {
    let base = public(state);
    json!({
        "id": m.id,
        "name": m.name,
        "context": m.context,
        "url": format!("{base}/v1/media/{}", m.id),
        "timestamp": {"url": format!("{base}/v1/timestamps/{}", m.timestamp_id), "id": m.timestamp_id},
        "size": size_in_kb(m.size),
        "mimetype": m.mimetype,
    })
}

/// `size` of a media listing as the spec types it: a string, in KB (1024 bytes, rounded up: a
/// non-empty file is never "0").
pub fn size_in_kb(bytes: i64) -> String {
    let bytes = bytes.max(0);
    (bytes / 1024 + i64::from(bytes % 1024 != 0)).to_string()
}

// ---- handlers ----

pub(crate) async fn post_sessions(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> ApiResult {
    let mut r = match create_session(&state, &headers, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    add_cors(r.headers_mut());
    Ok(r)
}

async fn create_session(state: &Arc<AppState>, headers: &HeaderMap, body: Body) -> ApiResult {
    let state = state.clone();
    let headers = headers.clone();
    Metrics::inc(&state.metrics.http_requests);
    let pre = pre_authenticate(&state, &headers, true)?;
    let raw = read_body(body, MAX_JSON_BODY).await?;
    let caller = pre.verify(&state, &raw)?;
    let ctx = kyc_core::ValidationContext {
        now: chrono::Utc::now(),
        allow_http_loopback_callbacks: state.config.allow_http_loopback_callbacks,
    };
    let req = kyc_core::request::parse_create_session(&raw, &ctx)?;
    let id = new_id();
    let attempt = new_id();
    let now = now_ms();
    let token = kyc_core::session_token::issue(
        &session_token_key(&state, &caller.integration),
        &kyc_core::session_token::Claims {
            session_id: id.clone(),
            iat: now / 1000,
            exp: now.saturating_add(session_lifetime_ms(&state)) / 1000,
        },
    );
    let stored = json!({
        "person": req.person,
        "document": req.document,
        "lang": req.lang,
        "features": req.features,
        "additionalData": req.additional_data,
    });
    let callback = req
        .callback
        .clone()
        .or_else(|| caller.integration.default_callback.clone());
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "INSERT INTO sessions (id, integration, status, session_token, vendor_data, callback, request_json, current_attempt, created_at, updated_at) \
         VALUES ($1, $2, 'created', $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(id.clone())
    .bind(caller.integration.api_key.clone())
    .bind(token.clone())
    .bind(req.vendor_data.clone())
    .bind(callback.clone())
    .bind(stored.to_string())
    .bind(attempt.clone())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO attempts (id, session_id, status, created_at) VALUES ($1, $2, 'created', $3)")
        .bind(attempt.clone())
        .bind(id.clone())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Metrics::inc(&state.metrics.sessions_created);
    let row = SessionRow {
        id,
        integration: caller.integration.api_key.clone(),
        status: "created".into(),
        session_token: token,
        vendor_data: req.vendor_data,
        callback,
        request_json: String::new(),
        decision_json: None,
        chip_json: None,
        checks_json: None,
        current_attempt: attempt,
        created_at: now,
        updated_at: now,
        started_at: None,
        submitted_at: None,
        decided_at: None,
    };
    signed_json(StatusCode::CREATED, &caller, &session_response(&state, &row))
}

pub(crate) async fn patch_session(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    Metrics::inc(&state.metrics.http_requests);
    let pre = pre_authenticate(&state, &headers, false)?;
    let raw = read_body(body, MAX_JSON_BODY).await?;
    let caller = pre.verify(&state, &raw)?;
    kyc_core::request::parse_patch_session(&raw, chrono::Utc::now())?;
    let mut s = owned_session(&state, &caller, &id).await?;
    // After a resubmission request (9103) the session takes a new attempt.
    if !matches!(s.status.as_str(), "created" | "started" | "resubmission_requested") {
        return Err(ApiError::Conflict("session already submitted").into());
    }
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let changed = sqlx::query(
        "UPDATE sessions SET status = 'submitted', submitted_at = $1, updated_at = $1 WHERE id = $2 AND status = $3 \
         AND current_attempt = $4",
    )
    .bind(now)
    .bind(s.id.clone())
    .bind(s.status.clone())
    .bind(s.current_attempt.clone())
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() != 1 {
        return Err(ApiError::Conflict("session already submitted").into());
    }
    let attempt = attempt_status(&mut tx, &s.current_attempt).await?;
    sqlx::query("UPDATE attempts SET status = 'submitted' WHERE id = $1")
        .bind(s.current_attempt.clone())
        .execute(&mut *tx)
        .await?;
    let seq = now * 1000;
    // 7001 and 7002 once per attempt.
    if attempt.as_deref() == Some("created") {
        enqueue_event(&mut tx, &caller.integration, &s, &s.current_attempt, 7001, now, seq).await?;
    }
    enqueue_event(&mut tx, &caller.integration, &s, &s.current_attempt, 7002, now, seq + 1).await?;
    tx.commit().await?;
    state.outbox_wakeup.notify_one();
    s.status = "submitted".into();
    signed_json(StatusCode::OK, &caller, &session_response(&state, &s))
}

/// `DELETE /v1/sessions/{id}` (the vendor's current API, signed over the session id as GETs
/// are): deletes the session with its attempts, media and timestamps, and the webhooks already
/// delivered for it. Refused (409) while a decision is coming: a session `submitted`, or holding
/// a chip result being decided. A session not yet decided (`created`, `started`,
/// `resubmission_requested`) first gets its 9104 decision webhook (`expired` if never opened,
/// else `abandoned`), which is still delivered.
pub(crate) async fn delete_session(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let caller = get_caller(&state, &headers, &id).await?;
    let s = owned_session(&state, &caller, &id).await?;
    const NOT_COMPLETED: &str = "Session is not in a completed status.";
    if s.status == "submitted" {
        return Err(ApiError::Conflict(NOT_COMPLETED).into());
    }
    let now = now_ms();
    let lease_cutoff = now.saturating_sub(PROCESSING_LEASE_MS);
    let mut tx = state.db.begin().await?;
    let deleted = sqlx::query(
        "DELETE FROM sessions WHERE id = $1 AND status = $2 AND current_attempt = $3 \
         AND (processing_since IS NULL OR processing_since < $4)",
    )
    .bind(s.id.clone())
    .bind(s.status.clone())
    .bind(s.current_attempt.clone())
    .bind(lease_cutoff)
    .execute(&mut *tx)
    .await?;
    if deleted.rows_affected() != 1 {
        return Err(ApiError::Conflict(NOT_COMPLETED).into());
    }
    if !s.is_final() {
        let verdict = if s.status == "created" {
            Verdict::Expired
        } else {
            Verdict::Abandoned
        };
        let view = DecisionView::without_result(&s, verdict, None, None, now);
        let decision_json = serde_json::to_string(&view).map_err(|_| ApiError::Internal)?;
        enqueue_decision(&mut tx, &caller.integration, &s.id, &decision_json, now, now * 1000).await?;
    }
    let files = sqlx::query("SELECT path FROM media WHERE session_id = $1 AND path IS NOT NULL")
        .bind(s.id.clone())
        .fetch_all(&mut *tx)
        .await?;
    for table in ["media", "timestamps", "attempts"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE session_id = $1"))
            .bind(s.id.clone())
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM outbox WHERE session_id = $1 AND (delivered_at IS NOT NULL OR failed_at IS NOT NULL)")
        .bind(s.id.clone())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    for r in &files {
        if let Ok(Some(p)) = r.try_get::<Option<String>, _>("path") {
            let _ = tokio::fs::remove_file(p).await;
        }
    }
    state.outbox_wakeup.notify_one();
    tracing::info!(session = %s.id, "session deleted");
    signed_json(
        StatusCode::OK,
        &caller,
        &json!({"status": "success", "verification": {"id": s.id, "status": "deleted"}}),
    )
}

pub(crate) async fn post_media(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    Metrics::inc(&state.metrics.http_requests);
    let pre = pre_authenticate(&state, &headers, false)?;
    let raw = read_body(body, MAX_MEDIA_BODY).await?;
    let caller = pre.verify(&state, &raw)?;
    let s = owned_session(&state, &caller, &id).await?;
    let m = kyc_core::request::parse_media_upload(&raw, chrono::Utc::now())?;
    if s.status != "created" && s.status != "started" && s.status != "resubmission_requested" {
        return Err(ApiError::Conflict("session already submitted").into());
    }
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let (media_id, ts_id, name) = store_media(
        &state,
        &mut tx,
        &caller.integration,
        &s.id,
        &s.current_attempt,
        &m.context,
        m.mimetype,
        m.extension,
        &m.content,
        now,
    )
    .await?;
    sqlx::query("UPDATE sessions SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(s.id.clone())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let base = public(&state);
    let v = json!({
        "status": "success",
        "image": {
            "id": media_id,
            "name": name,
            "context": m.context,
            "timestamp": {"url": format!("{base}/v1/timestamps/{ts_id}"), "id": ts_id},
            "size": m.content.len(),
            "mimetype": m.mimetype,
            "url": format!("{base}/v1/media/{media_id}"),
        }
    });
    signed_json(StatusCode::OK, &caller, &v)
}

async fn get_caller(state: &AppState, headers: &HeaderMap, id: &str) -> Result<Caller, Fail> {
    Metrics::inc(&state.metrics.http_requests);
    Ok(authenticate(state, headers, id.as_bytes(), false)?)
}

pub(crate) async fn get_session_media(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let caller = get_caller(&state, &headers, &id).await?;
    let s = owned_session(&state, &caller, &id).await?;
    let media = db::media_where(&state.db.pool, "session_id", &s.id).await?;
    let images: Vec<Value> = media.iter().map(|m| media_json(&state, m)).collect();
    signed_json(
        StatusCode::OK,
        &caller,
        &json!({"status": "success", "videos": [], "images": images}),
    )
}

pub(crate) async fn get_attempt_media(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let caller = get_caller(&state, &headers, &id).await?;
    check_query_id(&id)?;
    let row = sqlx::query("SELECT session_id FROM attempts WHERE id = $1")
        .bind(id.clone())
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or(ApiError::NotFound)?;
    let session_id: String = row.try_get("session_id")?;
    owned_session(&state, &caller, &session_id).await?;
    let media = db::media_where(&state.db.pool, "attempt_id", &id).await?;
    let images: Vec<Value> = media.iter().map(|m| media_json(&state, m)).collect();
    signed_json(
        StatusCode::OK,
        &caller,
        &json!({"status": "success", "videos": [], "images": images}),
    )
}

fn supplied(s: &SessionRow) -> (kyc_core::PersonInput, kyc_core::DocumentInput) {
    let v: Value = serde_json::from_str(&s.request_json).unwrap_or(Value::Null);
    let p = serde_json::from_value(v.get("person").cloned().unwrap_or(Value::Null)).unwrap_or_default();
    let d = serde_json::from_value(v.get("document").cloned().unwrap_or(Value::Null)).unwrap_or_default();
    (p, d)
}

pub(crate) async fn get_person(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let caller = get_caller(&state, &headers, &id).await?;
    let s = owned_session(&state, &caller, &id).await?;
    let decided: Option<Value> = s.decision_json.as_deref().and_then(|d| serde_json::from_str(d).ok());
    let chip_person = decided
        .as_ref()
        .and_then(|d| d.get("person"))
        .filter(|p| p.get("lastName").is_some_and(|l| !l.is_null()));
    let person = match chip_person {
        Some(p) => {
            let f = |k: &str| p.get(k).cloned().unwrap_or(Value::Null);
            json!({
                "id": s.id,
                "firstName": f("firstName"),
                "lastName": f("lastName"),
                "idCode": f("idNumber"),
                "dateOfBirth": f("dateOfBirth"),
                "gender": f("gender"),
                "nationality": f("nationality"),
                "placeOfBirth": f("placeOfBirth"),
                "citizenships": [],
                "pepSanctionMatches": [],
            })
        }
        None => {
            let (p, _) = supplied(&s);
            json!({
                "id": s.id,
                "firstName": p.first_name,
                "lastName": p.last_name,
                "idCode": p.id_number,
                "dateOfBirth": p.date_of_birth,
                "gender": p.gender,
                "nationality": null,
                "placeOfBirth": null,
                "citizenships": [],
                "pepSanctionMatches": [],
            })
        }
    };
    signed_json(StatusCode::OK, &caller, &json!({"status": "success", "person": person}))
}

pub(crate) async fn get_attempts(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let caller = get_caller(&state, &headers, &id).await?;
    let s = owned_session(&state, &caller, &id).await?;
    let rows = sqlx::query("SELECT id, status FROM attempts WHERE session_id = $1 ORDER BY created_at, id")
        .bind(s.id.clone())
        .fetch_all(&state.db.pool)
        .await?;
    let mut out = Vec::new();
    for r in &rows {
        let id: String = r.try_get("id")?;
        let status: String = r.try_get("status")?;
        out.push(json!({"id": id, "status": status}));
    }
    signed_json(
        StatusCode::OK,
        &caller,
        &json!({"status": "success", "verifications": out}),
    )
}

pub(crate) async fn get_decision(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let caller = get_caller(&state, &headers, &id).await?;
    let s = owned_session(&state, &caller, &id).await?;
    let body = match &s.decision_json {
        Some(d) => decision_webhook_body(d),
        None => br#"{"status":"success","verification":null}"#.to_vec(),
    };
    Ok(signed(StatusCode::OK, &caller, "application/json", body))
}

pub(crate) async fn get_session_timestamps(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let caller = get_caller(&state, &headers, &id).await?;
    let s = owned_session(&state, &caller, &id).await?;
    let rows = sqlx::query("SELECT id, context FROM timestamps WHERE session_id = $1 ORDER BY created_at, id")
        .bind(s.id.clone())
        .fetch_all(&state.db.pool)
        .await?;
    let base = public(&state);
    let mut out = Vec::new();
    for r in &rows {
        let id: String = r.try_get("id")?;
        let context: String = r.try_get("context")?;
        out.push(json!({"id": id, "url": format!("{base}/v1/timestamps/{id}"), "context": context}));
    }
    signed_json(
        StatusCode::OK,
        &caller,
        &json!({"status": "success", "timestamps": out}),
    )
}

pub(crate) async fn get_timestamp(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let caller = get_caller(&state, &headers, &id).await?;
    check_query_id(&id)?;
    let r = sqlx::query("SELECT session_id, context, data_hash, signature FROM timestamps WHERE id = $1")
        .bind(id.clone())
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or(ApiError::NotFound)?;
    let session_id: String = r.try_get("session_id")?;
    owned_session(&state, &caller, &session_id).await?;
    let context: String = r.try_get("context")?;
    let hash: String = r.try_get("data_hash")?;
    let sig: String = r.try_get("signature")?;
    let v = json!({"status": "success", "timestamp": {
        "id": id, "context": context, "signature": sig,
        "dataHash": {"algorithm": "SHA-256", "value": hash}}});
    signed_json(StatusCode::OK, &caller, &v)
}

/// Media bytes of a media row (database or directory).
pub async fn media_content(state: &AppState, id: &str) -> Result<Option<(MediaRow, Vec<u8>)>, Fail> {
    let sql = format!("SELECT {}, content, path FROM media WHERE id = $1", db::MEDIA_COLUMNS);
    let Some(r) = sqlx::query(&sql)
        .bind(id.to_string())
        .fetch_optional(&state.db.pool)
        .await?
    else {
        return Ok(None);
    };
    let m = MediaRow::from_row(&r)?;
    let content: Option<Vec<u8>> = r.try_get("content")?;
    let path: Option<String> = r.try_get("path")?;
    let bytes = match (content, path) {
        (Some(c), _) => c,
        (None, Some(p)) => match tokio::fs::read(&p).await {
            Ok(b) => b,
            Err(_) => return Ok(None),
        },
        (None, None) => return Ok(None),
    };
    Ok(Some((m, bytes)))
}

pub(crate) async fn get_media(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let caller = get_caller(&state, &headers, &id).await?;
    check_query_id(&id)?;
    let (m, bytes) = media_content(&state, &id).await?.ok_or(ApiError::NotFound)?;
    owned_session(&state, &caller, &m.session_id).await?;
    let mut signature_headers = HeaderMap::new();
    insert_signature_headers(&mut signature_headers, &caller.integration, caller.sig, &bytes);
    // Chunked transfer: a stream body without a known length.
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = bytes
        .chunks(64 * 1024)
        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
        .collect();
    let body = Body::from_stream(futures_util::stream::iter(chunks));
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&m.mimetype) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.extend(signature_headers);
    Ok(r)
}

/// The DocVal result-server endpoint: `POST /docval/results/{token}` with
/// `{"emrtd_passport":{…},"client_validation_id":"<session id>"}`.
pub(crate) async fn docval_result(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    Metrics::inc(&state.metrics.http_requests);
    let expected = state.config.docval_result_token.as_deref().ok_or(ApiError::NotFound)?;
    if !signature::secret_eq(expected, &token) {
        Metrics::inc(&state.metrics.auth_failures);
        return Err(ApiError::NotAuthorized.into());
    }
    // A signed result must carry its signature headers: refused before its body is read.
    if state.config.docval_result_signing_secret.is_some()
        && ["signature", "signature-input", "content-digest"]
            .iter()
            .any(|h| header_str(&headers, h).is_none())
    {
        Metrics::inc(&state.metrics.auth_failures);
        return Err(ApiError::NotAuthorized.into());
    }
    let raw = read_body(body, MAX_RESULT_BODY).await?;
    if let Some(secret) = &state.config.docval_result_signing_secret {
        // The URL docval-server posted to, as configured there: the public URL and this path.
        let target = format!(
            "{}{}",
            public(&state),
            uri.path_and_query().map_or(uri.path(), |p| p.as_str())
        );
        let req = kyc_core::rfc9421::SignedRequest {
            method: "POST",
            target_uri: &target,
            content_type: header_str(&headers, "content-type"),
            content_digest: header_str(&headers, "content-digest"),
            signature_input: header_str(&headers, "signature-input"),
            signature: header_str(&headers, "signature"),
            body: &raw,
        };
        let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
        if let Err(e) = kyc_core::rfc9421::verify(&req, secret.as_bytes(), now, 300) {
            tracing::warn!(error = %e, "DocVal result signature refused");
            Metrics::inc(&state.metrics.auth_failures);
            return Err(ApiError::NotAuthorized.into());
        }
    }
    let post: emrtd_result::ResultPost =
        serde_json::from_slice(&raw).map_err(|_| ApiError::InvalidParameters("result body"))?;
    check_query_id(&post.client_validation_id)?;
    let s = db::session_by(&state.db.pool, "id", &post.client_validation_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    // A retried POST of a result already applied (its response was lost): success, once.
    let digest = hex::encode(Sha256::digest(&raw));
    let known: Option<String> = sqlx::query("SELECT result_digest FROM sessions WHERE id = $1")
        .bind(s.id.clone())
        .fetch_one(&state.db.pool)
        .await?
        .try_get("result_digest")?;
    if known.as_deref() == Some(digest.as_str()) {
        return Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"status":"success"}"#,
        )
            .into_response());
    }
    if s.is_final() {
        return Err(ApiError::Conflict("session already decided").into());
    }
    let integration = state
        .config
        .integration(&s.integration)
        .cloned()
        .ok_or(ApiError::NotFound)?;
    Metrics::inc(&state.metrics.chip_results);
    // Mark the session as holding a chip result being decided: the expiry and no-chip jobs leave
    // it alone (a session with a chip result being processed is never abandoned).
    let now = now_ms();
    if !hold_for_chip_result(&state, &s.id, now).await? {
        return Err(ApiError::Conflict("session already decided").into());
    }
    let applied = match db::session_by(&state.db.pool, "id", &s.id).await {
        Ok(Some(s)) => apply_chip_result(&state, &integration, &s, &post.emrtd_passport, &digest).await,
        Ok(None) => Err(ApiError::NotFound.into()),
        Err(e) => Err(e.into()),
    };
    if applied.is_err() {
        // Release the session for the jobs (best effort: the lease ends it anyway).
        let _ = sqlx::query("UPDATE sessions SET processing_since = NULL WHERE id = $1 AND processing_since = $2")
            .bind(s.id.clone())
            .bind(now)
            .execute(&state.db.pool)
            .await;
    }
    applied?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"status":"success"}"#,
    )
        .into_response())
}

/// Marks session `id` as holding a chip result being decided since `now` (ms): the expiry and
/// no-chip jobs leave it alone for [`PROCESSING_LEASE_MS`], or until the decision clears the
/// mark. `false`: the session has a final decision.
pub async fn hold_for_chip_result(state: &AppState, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let marked = sqlx::query(
        "UPDATE sessions SET processing_since = $1 WHERE id = $2 \
         AND status NOT IN ('approved', 'declined', 'expired', 'abandoned')",
    )
    .bind(now)
    .bind(id.to_string())
    .execute(&state.db.pool)
    .await?;
    Ok(marked.rows_affected() == 1)
}

/// Decides a session from a chip result: stores the decision, the chip face as a `face` media
/// item and the checks, and enqueues the event and decision webhooks, in one transaction.
pub async fn apply_chip_result(
    state: &AppState,
    integration: &Integration,
    s: &SessionRow,
    p: &emrtd_result::EmrtdPassport,
    result_digest: &str,
) -> Result<(), Fail> {
    use base64::Engine;
    let (person_in, document_in) = supplied(s);
    let sup = kyc_core::Supplied {
        person: Some(&person_in),
        document: Some(&document_in),
    };
    let today = chrono::Utc::now().date_naive();
    let d = kyc_core::decide(p, &sup, today, &state.config.policy);
    let now = now_ms();
    let view = DecisionView {
        id: s.id.clone(),
        attempt_id: s.current_attempt.clone(),
        vendor_data: s.vendor_data.clone(),
        status: d.verdict.status(),
        code: d.verdict.code(),
        reason: d.reason.clone(),
        reason_code: d.reason_code,
        decision_time: iso(now),
        acceptance_time: iso(s.created_at),
        person: d.person.clone(),
        document: d.document.clone(),
        comments: Vec::new(),
        additional_verified_data: serde_json::Map::new(),
    };
    let decision_json = serde_json::to_string(&view).map_err(|_| ApiError::Internal)?;
    // The chip result without images, for the review page.
    let mut chip = p.clone();
    chip.face_photo = None;
    chip.signature_photos = None;
    chip.files_binary = None;
    if let Some(a) = chip.additional_personal_details.as_mut() {
        a.proof_of_citizenship_image = None;
    }
    if let Some(a) = chip.additional_document_details.as_mut() {
        a.image_of_front = None;
        a.image_of_rear = None;
    }
    let chip_json = serde_json::to_string(&chip).map_err(|_| ApiError::Internal)?;
    let checks_json = serde_json::to_string(&d.checks).map_err(|_| ApiError::Internal)?;

    let mut tx = state.db.begin().await?;
    if let Some(face) = p.face_photo.as_deref()
        && let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(face)
        && let Some((mime, ext)) = kyc_core::request::sniff_media(&bytes)
    {
        store_media(
            state,
            &mut tx,
            integration,
            &s.id,
            &s.current_attempt,
            "face",
            mime,
            ext,
            &bytes,
            now,
        )
        .await?;
    }
    let final_status = d.verdict.status();
    let next_attempt = if d.verdict == Verdict::ResubmissionRequested {
        Some(new_id())
    } else {
        None
    };
    let changed = sqlx::query(
        "UPDATE sessions SET status = $1, decision_json = $2, chip_json = $3, checks_json = $4, decided_at = $5, \
         updated_at = $5, started_at = COALESCE(started_at, $5), submitted_at = COALESCE(submitted_at, $5), \
         current_attempt = $6, result_digest = $9, processing_since = NULL WHERE id = $7 AND status = $8",
    )
    .bind(final_status.to_string())
    .bind(decision_json.clone())
    .bind(chip_json)
    .bind(checks_json)
    .bind(now)
    .bind(next_attempt.clone().unwrap_or_else(|| s.current_attempt.clone()))
    .bind(s.id.clone())
    .bind(s.status.clone())
    .bind(result_digest.to_string())
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() != 1 {
        return Err(ApiError::Conflict("session changed concurrently").into());
    }
    let attempt = attempt_status(&mut tx, &s.current_attempt).await?;
    sqlx::query("UPDATE attempts SET status = $1 WHERE id = $2")
        .bind(final_status.to_string())
        .bind(s.current_attempt.clone())
        .execute(&mut *tx)
        .await?;
    if let Some(a) = &next_attempt {
        sqlx::query("INSERT INTO attempts (id, session_id, status, created_at) VALUES ($1, $2, 'created', $3)")
            .bind(a.clone())
            .bind(s.id.clone())
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    let seq = now * 1000;
    // 7001 and 7002 once per attempt: a chip result starts and submits an attempt that was not.
    if attempt.as_deref() == Some("created") {
        enqueue_event(&mut tx, integration, s, &s.current_attempt, 7001, now, seq).await?;
    }
    if matches!(attempt.as_deref(), Some("created" | "started")) {
        enqueue_event(&mut tx, integration, s, &s.current_attempt, 7002, now, seq + 1).await?;
    }
    enqueue_decision(&mut tx, integration, &s.id, &decision_json, now, seq + 2).await?;
    tx.commit().await?;
    match d.verdict {
        Verdict::Approved => Metrics::inc(&state.metrics.decisions_approved),
        Verdict::Declined => Metrics::inc(&state.metrics.decisions_declined),
        _ => Metrics::inc(&state.metrics.decisions_resubmission),
    }
    tracing::info!(session = %s.id, code = d.verdict.code(), reason_code = ?d.reason_code, "decision");
    state.outbox_wakeup.notify_one();
    Ok(())
}

/// CORS headers of session creation: browsers on the integration's site call it with the
/// public key (the browser SDK flow); every other endpoint is server to server.
fn add_cors(headers: &mut HeaderMap) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("x-auth-client, x-signature, x-hmac-signature"),
    );
}

pub(crate) async fn sessions_preflight() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    let h = r.headers_mut();
    add_cors(h);
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(
            "content-type, x-auth-client, x-origin, vrf-integration-id, x-signature, x-hmac-signature",
        ),
    );
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    r
}

pub(crate) async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    match sqlx::query("SELECT 1").execute(&state.db.pool).await {
        Ok(_) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"status":"ok"}"#,
        )
            .into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"status":"database unavailable"}"#,
        )
            .into_response(),
    }
}

/// `GET /metrics`: with `metrics_token` configured, only with `Authorization: Bearer <token>`
/// (compared in constant time).
pub(crate) async fn metrics(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Some(expected) = state.config.metrics_token.as_deref() {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !given.is_some_and(|g| signature::secret_eq(expected, g.trim())) {
            Metrics::inc(&state.metrics.auth_failures);
            let mut r = Fail(ApiError::NotAuthorized).into_response();
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return r;
        }
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

pub(crate) async fn not_found() -> Response {
    Fail(ApiError::NotFound).into_response()
}
