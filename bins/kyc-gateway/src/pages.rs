//! HTML pages (end user, review) and `/openapi.json`.

use crate::api::{Fail, enqueue_event, media_content};
use crate::db::{self, SessionRow};
use crate::{AppState, iso, now_ms};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use kyc_core::ApiError;
use kyc_core::decision::Check;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn page(title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
<title>{}</title><style>body{{font-family:sans-serif;max-width:50em;margin:2em auto;padding:0 1em}}\
code{{background:#eee;padding:.1em .3em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3em}}\
.passed{{color:#060}}.failed{{color:#a00}}.unavailable{{color:#666}}</style></head><body>{body}</body></html>",
        esc(title)
    );
    let mut r = Html(html).into_response();
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static("default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"),
    );
    r
}

/// `GET /v/{token}`: the end-user page of a session. The first visit marks the session started
/// (event 7001).
pub async fn end_user_page(State(state): State<Arc<AppState>>, Path(token): Path<String>) -> Result<Response, Fail> {
    if token.is_empty() || token.len() > 128 || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::NotFound.into());
    }
    let s = db::session_by(&state.db.pool, "session_token", &token)
        .await?
        .ok_or(ApiError::NotFound)?;
    if s.status == "created" {
        let now = now_ms();
        let mut tx = state.db.begin().await?;
        let changed = sqlx::query(
            "UPDATE sessions SET status = 'started', started_at = $1, updated_at = $1 WHERE id = $2 AND status = 'created'",
        )
        .bind(now)
        .bind(s.id.clone())
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() == 1
            && let Some(i) = state.config.integration(&s.integration)
        {
            sqlx::query("UPDATE attempts SET status = 'started' WHERE id = $1")
                .bind(s.current_attempt.clone())
                .execute(&mut *tx)
                .await?;
            enqueue_event(&mut tx, i, &s, &s.current_attempt, 7001, now, now * 1000).await?;
        }
        tx.commit().await?;
        state.outbox_wakeup.notify_one();
    }
    let body = if s.is_final() {
        let mut b =
            "<h1>Identity verification</h1><p id=\"done\">This verification is complete. Nothing else to do here.</p>"
                .to_string();
        if let Some(cb) = &s.callback {
            b.push_str(&format!("<p><a id=\"callback\" href=\"{}\">Continue</a></p>", esc(cb)));
        }
        b
    } else {
        format!(
            "<h1>Identity verification</h1>\
<p>Open the DocVal app on your phone and scan the chip of your passport or identity card.</p>\
<dl><dt>DocVal server</dt><dd><code id=\"ws-url\">{}</code></dd>\
<dt>Client id</dt><dd><code id=\"client-id\">{}</code></dd>\
<dt>Validation id</dt><dd><code id=\"validation-id\">{}</code></dd></dl>\
<p>Hold the document against the back of the phone until the app says it is done.</p>",
            esc(&state.config.docval_ws_url),
            esc(&state.config.docval_client_id),
            esc(&s.id)
        )
    };
    Ok(page("Identity verification", &body))
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

fn admin(state: &AppState, headers: &HeaderMap, q: &TokenQuery) -> Result<String, Fail> {
    let expected = state.config.admin_token.as_deref().ok_or(ApiError::NotFound)?;
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string)
        .or_else(|| q.token.clone());
    match given {
        Some(g) if kyc_core::signature::secret_eq(expected, &g) => Ok(g),
        _ => Err(ApiError::NotAuthorized.into()),
    }
}

fn tok(t: &str) -> String {
    // Tokens go into links as a query value.
    t.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `GET /review`: sessions with status and decision.
pub async fn review_list(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Result<Response, Fail> {
    let t = admin(&state, &headers, &q)?;
    let sql = format!(
        "SELECT {} FROM sessions ORDER BY created_at DESC LIMIT 200",
        db::SESSION_COLUMNS
    );
    let rows = sqlx::query(&sql).fetch_all(&state.db.pool).await?;
    let mut body = String::from(
        "<h1>Sessions</h1><table id=\"sessions\"><tr><th>Session</th><th>Integration</th><th>Status</th><th>Code</th><th>Created</th></tr>",
    );
    for r in &rows {
        let s = SessionRow::from_row(r)?;
        let code = s
            .decision_json
            .as_deref()
            .and_then(|d| serde_json::from_str::<Value>(d).ok())
            .and_then(|v| v.get("code").and_then(Value::as_u64))
            .map(|c| c.to_string())
            .unwrap_or_default();
        body.push_str(&format!(
            "<tr><td><a href=\"/review/sessions/{id}?token={t}\">{id}</a></td><td>{}</td><td>{}</td><td>{code}</td><td>{}</td></tr>",
            esc(&s.integration),
            esc(&s.status),
            iso(s.created_at),
            id = esc(&s.id),
            t = tok(&t),
        ));
    }
    body.push_str("</table>");
    Ok(page("Sessions", &body))
}

/// `GET /review/sessions/{id}`: one session with the chip face photo and every check.
pub async fn review_session(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Result<Response, Fail> {
    let t = admin(&state, &headers, &q)?;
    kyc_core::check_query_id(&id)?;
    let s = db::session_by(&state.db.pool, "id", &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let decision: Value = s
        .decision_json
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or(Value::Null);
    let checks: Vec<Check> = s
        .checks_json
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or_default();
    let media = db::media_where(&state.db.pool, "session_id", &s.id).await?;
    let mut body = format!(
        "<p><a href=\"/review?token={}\">All sessions</a></p><h1>Session {}</h1><p>Status: <b id=\"status\">{}</b>",
        tok(&t),
        esc(&s.id),
        esc(&s.status)
    );
    if let Some(c) = decision.get("code").and_then(Value::as_u64) {
        body.push_str(&format!(" — code <b id=\"code\">{c}</b>"));
    }
    if let Some(r) = decision.get("reason").and_then(Value::as_str) {
        body.push_str(&format!(" — {}", esc(r)));
    }
    body.push_str("</p>");
    for m in media.iter().filter(|m| m.context == "face") {
        body.push_str(&format!(
            "<img id=\"face\" alt=\"Chip face photo\" style=\"max-width:240px\" src=\"/review/media/{}?token={}\">",
            esc(&m.id),
            tok(&t)
        ));
    }
    body.push_str("<h2>Checks</h2><ul id=\"checks\">");
    for c in &checks {
        let o = format!("{:?}", c.outcome).to_lowercase();
        body.push_str(&format!("<li class=\"check {o}\">{}: {o}</li>", esc(&c.name)));
    }
    body.push_str("</ul><h2>Verified data</h2><table>");
    for k in ["person", "document"] {
        if let Some(o) = decision.get(k).and_then(Value::as_object) {
            for (f, x) in o {
                if let Some(x) = x.as_str() {
                    body.push_str(&format!("<tr><th>{k}.{}</th><td>{}</td></tr>", esc(f), esc(x)));
                }
            }
        }
    }
    body.push_str("</table><h2>Media</h2><ul>");
    for m in &media {
        body.push_str(&format!(
            "<li>{} ({}, {} bytes)</li>",
            esc(&m.name),
            esc(&m.mimetype),
            m.size
        ));
    }
    body.push_str("</ul>");
    Ok(page("Session", &body))
}

/// `GET /review/media/{id}`: media bytes for the review page.
pub async fn review_media(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Result<Response, Fail> {
    admin(&state, &headers, &q)?;
    kyc_core::check_query_id(&id)?;
    let (m, bytes) = media_content(&state, &id).await?.ok_or(ApiError::NotFound)?;
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, m.mimetype)], bytes).into_response())
}

/// `GET /openapi.json`.
pub async fn openapi(State(state): State<Arc<AppState>>) -> Response {
    let signed = json!([
        {"name": "X-AUTH-CLIENT", "in": "header", "required": true, "schema": {"type": "string"}},
        {"name": "X-HMAC-SIGNATURE", "in": "header", "required": false, "schema": {"type": "string"},
         "description": "hex HMAC-SHA256(secret, raw body or path id)"},
        {"name": "X-SIGNATURE", "in": "header", "required": false, "schema": {"type": "string"},
         "description": "legacy: hex SHA-256(raw body or path id || secret)"}
    ]);
    let id_param =
        json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}});
    let mut params = signed.as_array().cloned().unwrap_or_default();
    params.push(id_param);
    let ok = |d: &str| {
        json!({"200": {"description": d}, "400": {"description": "validation error (codes 1001-2104)"},
        "401": {"description": "Not Authorized"}, "404": {"description": "Not Found"}})
    };
    let doc = json!({
        "openapi": "3.0.3",
        "info": {"title": "kyc-gateway", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Veriff-compatible KYC API; decisions from NFC chip verification (DocVal)."},
        "servers": [{"url": state.config.public_url}],
        "paths": {
            "/v1/sessions": {"post": {"summary": "Create a session", "parameters": signed,
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {"201": {"description": "created"}, "400": {"description": "validation error"}, "401": {"description": "Not Authorized"}}}},
            "/v1/sessions/{id}": {"patch": {"summary": "Submit a session", "parameters": params, "responses": ok("session")}},
            "/v1/sessions/{id}/media": {
                "post": {"summary": "Upload an image", "parameters": params, "responses": ok("image")},
                "get": {"summary": "List media of a session", "parameters": params, "responses": ok("media")}},
            "/v1/sessions/{id}/person": {"get": {"summary": "Person", "parameters": params, "responses": ok("person")}},
            "/v1/sessions/{id}/attempts": {"get": {"summary": "Attempts", "parameters": params, "responses": ok("attempts")}},
            "/v1/sessions/{id}/decision": {"get": {"summary": "Decision", "parameters": params, "responses": ok("decision")}},
            "/v1/sessions/{id}/timestamps": {"get": {"summary": "Timestamps", "parameters": params, "responses": ok("timestamps")}},
            "/v1/attempts/{id}/media": {"get": {"summary": "Media of an attempt", "parameters": params, "responses": ok("media")}},
            "/v1/media/{id}": {"get": {"summary": "Media bytes (chunked)", "parameters": params, "responses": ok("bytes")}},
            "/v1/timestamps/{id}": {"get": {"summary": "Timestamp", "parameters": params, "responses": ok("timestamp")}},
            "/docval/results/{token}": {"post": {"summary": "DocVal result-server endpoint", "responses": {"200": {"description": "accepted"}}}},
            "/healthz": {"get": {"summary": "Health", "responses": {"200": {"description": "ok"}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "metrics"}}}}
        }
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        doc.to_string(),
    )
        .into_response()
}
