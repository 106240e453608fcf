//! HTML pages (end user, review) and `/openapi.json`.
//!
//! The review pages authenticate with the admin token in `Authorization: Bearer …` or with the
//! cookie the login form (`POST /review/login`) sets: `HttpOnly`, `SameSite=Strict`, `Path=/review`,
//! `Secure` when the public URL is `https://`, valid [`REVIEW_COOKIE_MAX_AGE`] seconds; its value is
//! an expiry time and an HMAC of it keyed with the admin token, not the token itself. The token is
//! never read from, nor written into, a URL.

use crate::api::{Fail, enqueue_event, media_content, session_token_key};
use crate::db::{self, SessionRow};
use crate::{AppState, iso, now_ms};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use kyc_core::ApiError;
use kyc_core::decision::Check;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// Name of the review session cookie.
pub const REVIEW_COOKIE: &str = "kyc_review";
/// Lifetime of the review session cookie: 8 hours.
pub const REVIEW_COOKIE_MAX_AGE: i64 = 8 * 3600;
/// Largest login form body.
const MAX_LOGIN_BODY: usize = 4096;

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
    page_with_head(title, "", body)
}

/// A page with `head` (trusted markup) added to its `<head>`.
fn page_with_head(title: &str, head: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">{head}\
<title>{}</title><style>body{{font-family:sans-serif;max-width:50em;margin:2em auto;padding:0 1em}}\
code{{background:#eee;padding:.1em .3em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3em}}\
.passed{{color:#060}}.failed{{color:#a00}}.unavailable{{color:#666}}</style></head><body>{body}</body></html>",
        esc(title)
    );
    let mut r = Html(html).into_response();
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    r
}

/// How often the end-user page of an attempt in progress reloads itself (seconds).
pub const END_USER_PAGE_REFRESH_SECS: u32 = 3;

#[derive(Deserialize)]
pub struct EndUserQuery {
    /// The attempt the page was showing (its reloads carry it).
    attempt: Option<String>,
}

/// Where the person goes when their attempt ends: the session's `callback` (the integration's
/// default when the session was created without one), or the integration's current default; only
/// an `http(s)` URL.
fn callback_of(s: &SessionRow, integration: &crate::config::Integration) -> Option<String> {
    s.callback
        .clone()
        .or_else(|| integration.default_callback.clone())
        .filter(|c| c.starts_with("https://") || c.starts_with("http://"))
}

/// `GET /v/{token}`: the end-user page of a session. `token` is the session's `sessionToken`: a
/// JWT (HS256, `session_id`, `iat`, `exp`), or the 64 hex digits of sessions created before
/// issue 15. The first visit of an attempt marks it started (event 7001): the session's first
/// attempt, or the new attempt after a resubmission request.
///
/// While an attempt is in progress the page reloads itself every
/// [`END_USER_PAGE_REFRESH_SECS`] as `/v/{token}?attempt={attempt id}`; once that attempt has
/// ended (a decision: 9001, 9102, 9103, 9104), the reload answers `303 See Other` to the session's
/// `callback` (or the integration's default), as the vendor sends the person back at the end of
/// the flow. A reload never starts an attempt. Opening the plain URL of a decided session shows
/// that nothing is left to do, with a link to the callback.
pub async fn end_user_page(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    Query(q): Query<EndUserQuery>,
) -> Result<Response, Fail> {
    let jwt = kyc_core::session_token::looks_like_jwt(&token);
    let legacy = (1..=128).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_alphanumeric());
    if !jwt && !legacy {
        return Err(ApiError::NotFound.into());
    }
    let s = db::session_by(&state.db.pool, "session_token", &token)
        .await?
        .ok_or(ApiError::NotFound)?;
    let integration = state.config.integration(&s.integration).ok_or(ApiError::NotFound)?;
    if jwt {
        let key = session_token_key(&state, integration);
        match kyc_core::session_token::verify(&key, &token, now_ms() / 1000) {
            Ok(c) if c.session_id == s.id => {}
            Err(kyc_core::session_token::TokenError::Expired) if !s.is_final() => {
                let mut r = page(
                    "Identity verification",
                    "<h1>Identity verification</h1><p id=\"expired\">This verification link has expired.</p>",
                );
                *r.status_mut() = StatusCode::GONE;
                return Ok(r);
            }
            Err(kyc_core::session_token::TokenError::Expired) => {}
            _ => return Err(ApiError::NotFound.into()),
        }
    }
    if let Some(a) = q.attempt.as_deref() {
        kyc_core::check_query_id(a).map_err(|_| ApiError::NotFound)?;
        if s.is_final() || s.current_attempt != a {
            // The attempt this page showed has ended: send the person on.
            if let Some(cb) = callback_of(&s, integration)
                && let Ok(location) = HeaderValue::from_str(&cb)
            {
                let mut r = StatusCode::SEE_OTHER.into_response();
                r.headers_mut().insert(header::LOCATION, location);
                r.headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                return Ok(r);
            }
            return Ok(page(
                "Identity verification",
                "<h1>Identity verification</h1><p id=\"done\">Your part is done. You can close this page.</p>",
            ));
        }
    }
    if matches!(s.status.as_str(), "created" | "resubmission_requested") {
        let now = now_ms();
        let mut tx = state.db.begin().await?;
        // The first attempt starts the session; a later one (after 9103) leaves the session
        // `resubmission_requested` until it is submitted or decided.
        let changed = sqlx::query(
            "UPDATE sessions SET status = CASE WHEN status = 'created' THEN 'started' ELSE status END, \
             started_at = COALESCE(started_at, $1), updated_at = $1 WHERE id = $2 AND status = $3 AND current_attempt = $4",
        )
        .bind(now)
        .bind(s.id.clone())
        .bind(s.status.clone())
        .bind(s.current_attempt.clone())
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() == 1
            && sqlx::query("UPDATE attempts SET status = 'started' WHERE id = $1 AND status = 'created'")
                .bind(s.current_attempt.clone())
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1
        {
            enqueue_event(&mut tx, integration, &s, &s.current_attempt, 7001, now, now * 1000).await?;
        }
        tx.commit().await?;
        state.outbox_wakeup.notify_one();
    }
    if s.is_final() {
        let mut b =
            "<h1>Identity verification</h1><p id=\"done\">This verification is complete. Nothing else to do here.</p>"
                .to_string();
        if let Some(cb) = callback_of(&s, integration) {
            b.push_str(&format!("<p><a id=\"callback\" href=\"{}\">Continue</a></p>", esc(&cb)));
        }
        return Ok(page("Identity verification", &b));
    }
    // The attempt shown: after a first visit marked it started, the session's current attempt.
    let refresh = format!(
        "<meta http-equiv=\"refresh\" id=\"refresh\" content=\"{END_USER_PAGE_REFRESH_SECS};url=/v/{}?attempt={}\">",
        esc(&token),
        esc(&s.current_attempt)
    );
    let body = format!(
        "<h1>Identity verification</h1>\
<p>Open the DocVal app on your phone and scan the chip of your passport or identity card.</p>\
<dl><dt>DocVal server</dt><dd><code id=\"ws-url\">{}</code></dd>\
<dt>Client id</dt><dd><code id=\"client-id\">{}</code></dd>\
<dt>Validation id</dt><dd><code id=\"validation-id\">{}</code></dd></dl>\
<p>Hold the document against the back of the phone until the app says it is done.</p>",
        esc(&state.config.docval_ws_url),
        esc(&state.config.docval_client_id),
        esc(&s.id)
    );
    Ok(page_with_head("Identity verification", &refresh, &body))
}

/// The HMAC of a review cookie's expiry time, keyed with the admin token.
fn cookie_mac(admin_token: &str, expires: i64) -> String {
    kyc_core::signature::sign(
        kyc_core::Scheme::Hmac,
        admin_token.as_bytes(),
        format!("kyc-gateway review cookie|{expires}").as_bytes(),
    )
}

/// The value of a review cookie valid until `expires` (Unix seconds).
pub fn review_cookie_value(admin_token: &str, expires: i64) -> String {
    format!("{expires}.{}", cookie_mac(admin_token, expires))
}

/// Whether a review cookie value is one this admin token issued and not expired at `now`.
fn review_cookie_valid(admin_token: &str, value: &str, now: i64) -> bool {
    let Some((exp, mac)) = value.split_once('.') else {
        return false;
    };
    let Ok(exp) = exp.parse::<i64>() else { return false };
    // Constant time in the MAC bytes.
    let ok = kyc_core::signature::secret_eq(&cookie_mac(admin_token, exp), mac);
    ok && exp > now && exp <= now.saturating_add(REVIEW_COOKIE_MAX_AGE)
}

/// The values of cookie `name` in the request.
fn cookies<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(move |c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name).then_some(v.trim())
        })
}

/// Authorizes a review request: `Authorization: Bearer <admin token>` or a valid review cookie.
/// 404 when the review pages are disabled.
fn admin(state: &AppState, headers: &HeaderMap) -> Result<(), Fail> {
    let expected = state.config.admin_token.as_deref().ok_or(ApiError::NotFound)?;
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|g| kyc_core::signature::secret_eq(expected, g.trim()));
    let now = chrono::Utc::now().timestamp();
    if bearer || cookies(headers, REVIEW_COOKIE).any(|c| review_cookie_valid(expected, c, now)) {
        Ok(())
    } else {
        crate::Metrics::inc(&state.metrics.auth_failures);
        Err(ApiError::NotAuthorized.into())
    }
}

/// `None` when a review page request is authorized; otherwise the answer: 401 with the login
/// form (JSON 404 when the review pages are disabled).
fn admin_page(state: &AppState, headers: &HeaderMap, next: &str) -> Option<Response> {
    admin(state, headers).err().map(|e| match e.0 {
        ApiError::NotAuthorized => {
            let mut r = login_form(next, false);
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            r
        }
        other => Fail(other).into_response(),
    })
}

/// Where a login may send the browser: a review page path (no scheme, host or query).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if (n == "/review" || n.starts_with("/review/"))
                && !n.starts_with("/review/login")
                && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_".contains(&b)) =>
        {
            n.to_string()
        }
        _ => "/review".to_string(),
    }
}

fn login_form(next: &str, failed: bool) -> Response {
    let msg = if failed {
        "<p id=\"login-failed\" class=\"failed\">Wrong token.</p>"
    } else {
        ""
    };
    page(
        "Sign in",
        &format!(
            "<h1>Review: sign in</h1>{msg}<form id=\"login\" method=\"post\" action=\"/review/login\">\
<label>Admin token <input type=\"password\" name=\"token\" autocomplete=\"current-password\" required></label>\
<input type=\"hidden\" name=\"next\" value=\"{}\"> <button type=\"submit\">Sign in</button></form>",
            esc(next)
        ),
    )
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// `GET /review/login?next=/review/…`: the login form.
pub async fn login_page(State(state): State<Arc<AppState>>, Query(q): Query<NextQuery>) -> Response {
    if state.config.admin_token.is_none() {
        return Fail(ApiError::NotFound).into_response();
    }
    login_form(&safe_next(q.next.as_deref()), false)
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
    next: Option<String>,
}

fn set_cookie(r: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// `POST /review/login` (`application/x-www-form-urlencoded`: `token`, `next`): with the right
/// admin token, sets the review cookie and redirects (303) to `next`; otherwise 401 with the
/// form. Login attempts count against the per-IP limit of requests without an API key.
pub async fn login(State(state): State<Arc<AppState>>, body: Body) -> Result<Response, Fail> {
    let expected = state.config.admin_token.as_deref().ok_or(ApiError::NotFound)?;
    let raw = axum::body::to_bytes(body, MAX_LOGIN_BODY)
        .await
        .map_err(|_| ApiError::PayloadTooLarge)?;
    let form: LoginForm = serde_urlencoded::from_bytes(&raw).map_err(|_| ApiError::InvalidParameters("login form"))?;
    let next = safe_next(form.next.as_deref());
    if !kyc_core::signature::secret_eq(expected, &form.token) {
        crate::Metrics::inc(&state.metrics.auth_failures);
        tracing::warn!("review login refused");
        let mut r = login_form(&next, true);
        *r.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(r);
    }
    let expires = chrono::Utc::now().timestamp().saturating_add(REVIEW_COOKIE_MAX_AGE);
    let secure = if state.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, next)]).into_response();
    set_cookie(
        &mut r,
        &format!(
            "{REVIEW_COOKIE}={}; Path=/review; Max-Age={REVIEW_COOKIE_MAX_AGE}; HttpOnly; SameSite=Strict{secure}",
            review_cookie_value(expected, expires)
        ),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// `POST /review/logout`: clears the review cookie.
pub async fn logout() -> Response {
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, "/review/login")]).into_response();
    set_cookie(
        &mut r,
        &format!("{REVIEW_COOKIE}=; Path=/review; Max-Age=0; HttpOnly; SameSite=Strict"),
    );
    r
}

/// `GET /review`: sessions with status and decision.
pub async fn review_list(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Result<Response, Fail> {
    if let Some(r) = admin_page(&state, &headers, "/review") {
        return Ok(r);
    }
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
            "<tr><td><a href=\"/review/sessions/{id}\">{id}</a></td><td>{}</td><td>{}</td><td>{code}</td><td>{}</td></tr>",
            esc(&s.integration),
            esc(&s.status),
            iso(s.created_at),
            id = esc(&s.id),
        ));
    }
    body.push_str("</table>");
    body.push_str(LOGOUT_FORM);
    Ok(page("Sessions", &body))
}

const LOGOUT_FORM: &str =
    "<form method=\"post\" action=\"/review/logout\"><button type=\"submit\">Sign out</button></form>";

/// `GET /review/sessions/{id}`: one session with the chip face photo and every check.
pub async fn review_session(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    kyc_core::check_query_id(&id)?;
    if let Some(r) = admin_page(&state, &headers, &format!("/review/sessions/{id}")) {
        return Ok(r);
    }
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
        "<p><a href=\"/review\">All sessions</a></p><h1>Session {}</h1><p>Status: <b id=\"status\">{}</b>",
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
            "<img id=\"face\" alt=\"Chip face photo\" style=\"max-width:240px\" src=\"/review/media/{}\">",
            esc(&m.id),
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
    body.push_str(LOGOUT_FORM);
    Ok(page("Session", &body))
}

/// `GET /review/media/{id}`: media bytes for the review page.
pub async fn review_media(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    admin(&state, &headers)?;
    kyc_core::check_query_id(&id)?;
    let (m, bytes) = media_content(&state, &id).await?.ok_or(ApiError::NotFound)?;
    let mut r = (StatusCode::OK, [(header::CONTENT_TYPE, m.mimetype)], bytes).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(r)
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
            "/v1/sessions/{id}": {"patch": {"summary": "Submit a session", "parameters": params, "responses": ok("session")},
                "delete": {"summary": "Delete a session (signed over the id)", "parameters": params, "responses": ok("deleted")}},
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
