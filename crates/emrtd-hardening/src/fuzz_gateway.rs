//! Fuzz target of the KYC gateway (`bins/kyc-gateway`): every request body and header the
//! gateway parses before it touches the database. The gateway's handlers call these
//! `kyc_core` functions on the raw body (after the body limit and, for the integration API,
//! the signature check): session creation, PATCH status, media upload, the DocVal result POST
//! (deserialised, then decided), the `X-HMAC-SIGNATURE`/`X-SIGNATURE` header, path ids, and
//! the RFC 9421 signature of the result POST.
//!
//! Input: a selector byte, then the body (or lines, for the header modes). `selector % 6`:
//! 0 create session (bit 7: HTTP loopback callbacks allowed), 1 PATCH, 2 media upload,
//! 3 DocVal result + decision, 4 signature header and path id, 5 RFC 9421 (bit 7: the
//! `Content-Digest` is recomputed for the mutated body, so mutations reach the signature).

use chrono::{DateTime, NaiveDate, Utc};
use kyc_core::request::{self, ValidationContext};
use kyc_core::signature::{self, Scheme};

/// The API secret of the signature modes.
const SECRET: &[u8] = b"abcdef12-abcd-abcd-abcd-abcdef012345";
/// A fixed "now" (2026-12-01T00:00:00Z) so seeds' timestamps are fresh on every run.
const NOW: i64 = 1_796_083_200;
const NOW_RFC3339: &str = "2026-12-01T00:00:00Z";
const RESULT_URL: &str = "http://127.0.0.1:8088/docval/results/docval-result-token";

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(NOW, 0).unwrap_or_default()
}

fn lines(d: &[u8], n: usize) -> (Vec<&str>, &[u8]) {
    let mut out = Vec::new();
    let mut rest = d;
    while out.len() < n {
        match rest.iter().position(|b| *b == b'\n') {
            Some(i) => {
                let (line, r) = rest.split_at(i);
                out.push(std::str::from_utf8(line).unwrap_or(""));
                rest = r.get(1..).unwrap_or(&[]);
            }
            None => break,
        }
    }
    (out, rest)
}

pub(crate) fn run_gateway_json(d: &[u8]) {
    let Some((&sel, body)) = d.split_first() else { return };
    match sel % 6 {
        0 => {
            let ctx = ValidationContext {
                now: now(),
                allow_http_loopback_callbacks: sel & 0x80 != 0,
            };
            if let Ok(s) = request::parse_create_session(body, &ctx) {
                // What the gateway stores and later reads back.
                let _ = serde_json::to_string(&s.person);
                let _ = serde_json::to_string(&s.document);
            }
        }
        1 => {
            let _ = request::parse_patch_session(body, now());
        }
        2 => {
            if let Ok(m) = request::parse_media_upload(body, now()) {
                let _ = request::sniff_media(&m.content);
            }
        }
        3 => {
            if let Ok(post) = serde_json::from_slice::<emrtd_result::ResultPost>(body) {
                let _ = kyc_core::check_query_id(&post.client_validation_id);
                let person = kyc_core::PersonInput {
                    first_name: Some("ANNA".into()),
                    last_name: Some("MUSTER".into()),
                    date_of_birth: Some("1984-08-12".into()),
                    ..Default::default()
                };
                let document = kyc_core::DocumentInput {
                    number: Some("C01X00T47".into()),
                    doc_type: Some("PASSPORT".into()),
                    country: Some("DE".into()),
                };
                let sup = kyc_core::Supplied {
                    person: Some(&person),
                    document: Some(&document),
                };
                let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
                for strict in [false, true] {
                    let policy = kyc_core::DecisionPolicy {
                        accept_without_chip_authentication: !strict,
                    };
                    let decision = kyc_core::decide(&post.emrtd_passport, &sup, today, &policy);
                    let _ = serde_json::to_string(&decision);
                }
                let _ = serde_json::to_vec(&post);
            }
        }
        4 => {
            let (l, payload) = lines(body, 1);
            let header = l.first().copied().unwrap_or("");
            let _ = signature::verify(header, SECRET, payload);
            let _ = kyc_core::check_query_id(header);
            let _ = request::callback_allowed(header, sel & 0x80 != 0);
            let _ = signature::secret_eq(header, "test-api-key");
        }
        _ => {
            let (l, payload) = lines(body, 4);
            let get = |i: usize| l.get(i).copied().filter(|s| !s.is_empty());
            let digest = if sel & 0x80 != 0 {
                Some(kyc_core::rfc9421::content_digest(payload))
            } else {
                get(1).map(str::to_string)
            };
            let req = kyc_core::rfc9421::SignedRequest {
                method: "POST",
                target_uri: RESULT_URL,
                content_type: get(0),
                content_digest: digest.as_deref(),
                signature_input: get(2),
                signature: get(3),
                body: payload,
            };
            let _ = kyc_core::rfc9421::verify(&req, SECRET, NOW as u64, 300);
        }
    }
}

fn with(sel: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![sel];
    v.extend_from_slice(body);
    v
}

fn result_example() -> Option<Vec<u8>> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/reference/emrtd-result-example.json");
    let text = std::fs::read(path).ok()?;
    let mut v: serde_json::Value = serde_json::from_slice(&text).ok()?;
    let o = v.as_object_mut()?;
    o.insert(
        "client_validation_id".into(),
        serde_json::json!("aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7"),
    );
    serde_json::to_vec(&v).ok()
}

/// Bodies from the API documentation (`/work/shared/specs/veriff-api.txt`) and the gateway's
/// tests, a real chip result (`fixtures/reference/emrtd-result-example.json`), signed
/// payloads and a signed result POST.
pub(crate) fn builtin_gateway_json() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let creates = [
        format!(
            r#"{{"verification":{{"callback":"https://example.com/callback","person":{{"firstName":"John","lastName":"Smith","idNumber":"123456789","gender":"M","dateOfBirth":"1990-01-01"}},"document":{{"number":"B01234567","type":"PASSPORT","country":"EE"}},"vendorData":"11111111","lang":"en","features":["selfid"],"timestamp":"{NOW_RFC3339}"}}}}"#
        ),
        r#"{"verification":{}}"#.to_string(),
        r#"{"verification":{"callback":"http://127.0.0.1:9/cb","additionalData":{"a":[1,2,{"b":null}]}}}"#.to_string(),
        r#"{"verification":{"vendorData":12,"document":{"type":"VISA","country":"XX"},"timestamp":"yesterday"}}"#
            .to_string(),
        r#"{"verification":{"person":{"dateOfBirth":"1990-02-30"},"document":{"number":"a-b"}}}"#.to_string(),
    ];
    for c in &creates {
        out.push(with(0, c.as_bytes()));
        out.push(with(0x80, c.as_bytes()));
    }
    for p in [
        format!(r#"{{"verification":{{"status":"submitted","frontState":"done","timestamp":"{NOW_RFC3339}"}}}}"#),
        r#"{"verification":{"status":"approved"}}"#.to_string(),
        r#"{"verification":{"status":"submitted","timestamp":"2026-11-30T23:59:59+01:00"}}"#.to_string(),
    ] {
        out.push(with(1, p.as_bytes()));
    }
    // Media: a PNG and a JPEG header, a data URL, a bad context.
    for m in [
        format!(
            r#"{{"image":{{"context":"document-front","content":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==","timestamp":"{NOW_RFC3339}"}}}}"#
        ),
        r#"{"image":{"context":"face","content":"data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJ"}}"#.to_string(),
        r#"{"image":{"context":"","content":"!!!"}}"#.to_string(),
    ] {
        out.push(with(2, m.as_bytes()));
    }
    if let Some(r) = result_example() {
        out.push(with(3, &r));
    }
    out.push(with(
        3,
        br#"{"emrtd_passport":{},"client_validation_id":"aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7"}"#,
    ));
    // Signature headers: HMAC and the legacy SHA-256 scheme over a body, a path id.
    let payload = br#"{"verification":{}}"#;
    for scheme in [Scheme::Hmac, Scheme::Sha256] {
        let mut s = signature::sign(scheme, SECRET, payload).into_bytes();
        s.push(b'\n');
        s.extend_from_slice(payload);
        out.push(with(4, &s));
    }
    out.push(with(4, b"aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7\n"));
    out.push(with(4, b"http://[::1]:8080/cb?x=1\n"));
    // A valid RFC 9421 signed result POST (as docval-server signs it).
    let body = br#"{"emrtd_passport":{},"client_validation_id":"aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7"}"#;
    let key = docval_server::signing::SigningKey {
        key_id: "docval".into(),
        secret: zeroize::Zeroizing::new(SECRET.to_vec()),
    };
    let h = docval_server::signing::sign_post(&key, RESULT_URL, body, NOW as u64);
    for sel in [5u8, 0x85] {
        let mut s = format!(
            "application/json\n{}\n{}\n{}\n",
            h.content_digest, h.signature_input, h.signature
        )
        .into_bytes();
        s.extend_from_slice(body);
        out.push(with(sel, &s));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_accepted_where_they_should_be() {
        let seeds = builtin_gateway_json();
        let ctx = ValidationContext {
            now: now(),
            allow_http_loopback_callbacks: false,
        };
        assert!(request::parse_create_session(&seeds[0][1..], &ctx).is_ok());
        assert!(
            seeds.iter().any(|s| s[0] == 3 && s.len() > 1000),
            "the chip result seed"
        );
        // The signed result seed verifies: mutations start from a valid signature.
        let signed = seeds.iter().find(|s| s[0] == 5).unwrap();
        let (l, payload) = lines(&signed[1..], 4);
        let req = kyc_core::rfc9421::SignedRequest {
            method: "POST",
            target_uri: RESULT_URL,
            content_type: Some(l[0]),
            content_digest: Some(l[1]),
            signature_input: Some(l[2]),
            signature: Some(l[3]),
            body: payload,
        };
        assert_eq!(kyc_core::rfc9421::verify(&req, SECRET, NOW as u64, 300), Ok(()));
        let h = seeds.iter().find(|s| s[0] == 4).unwrap();
        let (l, payload) = lines(&h[1..], 1);
        assert_eq!(signature::verify(l[0], SECRET, payload), Some(Scheme::Hmac));
    }
}

// ---------------------------------------------------------------- the whole HTTP API

/// The gateway under the `gateway-http` target: its router over a SQLite file in a
/// temporary directory (on `/dev/shm` when there is one), one integration with signatures,
/// one public-key integration, the DocVal result endpoint, no rate limit.
struct HttpGateway {
    rt: tokio::runtime::Runtime,
    router: axum::Router,
    /// A session in `created` state, replaced once an input changed it.
    session: String,
    _dir: TempDir,
}

/// A directory removed on drop.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const HTTP_KEY: &str = "test-api-key";
const HTTP_PUBLIC_KEY: &str = "public-api-key";
const HTTP_RESULT_TOKEN: &str = "docval-result-token";

fn http_gateway() -> &'static std::sync::Mutex<Option<HttpGateway>> {
    static G: std::sync::OnceLock<std::sync::Mutex<Option<HttpGateway>>> = std::sync::OnceLock::new();
    G.get_or_init(|| std::sync::Mutex::new(start_http_gateway()))
}

fn start_http_gateway() -> Option<HttpGateway> {
    use kyc_gateway::config::{Config, Integration};
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        std::path::PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    // The gateway lives in a static (never dropped): remove what earlier processes left.
    if let Ok(rd) = std::fs::read_dir(&base) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if let Some(pid) = name.strip_prefix("docval-fuzz-gateway-")
                && !std::path::Path::new("/proc").join(pid).exists()
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let dir = TempDir(base.join(format!("docval-fuzz-gateway-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).ok()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    let integration = |key: &str, public: bool| Integration {
        api_key: key.into(),
        api_secret: std::str::from_utf8(SECRET).unwrap_or_default().into(),
        scheme: Scheme::Hmac,
        decision_webhook_url: None,
        event_webhook_url: None,
        default_callback: None,
        require_signed_session_creation: !public,
        allow_public_key_sessions: None,
    };
    let config = Config {
        database_url: format!("sqlite://{}?mode=rwc", dir.0.join("gw.sqlite3").display()),
        integrations: vec![integration(HTTP_KEY, false), integration(HTTP_PUBLIC_KEY, true)],
        docval_result_token: Some(HTTP_RESULT_TOKEN.into()),
        admin_token: Some("admin-token".into()),
        allow_http_loopback_callbacks: true,
        rate_limit: None,
        ..Config::default()
    };
    let state = rt.block_on(kyc_gateway::AppState::new(config)).ok()?;
    let router = kyc_gateway::routes::router(std::sync::Arc::new(state));
    let mut g = HttpGateway {
        rt,
        router,
        session: String::new(),
        _dir: dir,
    };
    g.session = g.new_session()?;
    Some(g)
}

impl HttpGateway {
    fn call(&self, req: axum::http::Request<axum::body::Body>) -> Option<(u16, Vec<u8>)> {
        use tower::ServiceExt;
        let router = self.router.clone();
        self.rt.block_on(async move {
            let r = router.oneshot(req).await.ok()?;
            let status = r.status().as_u16();
            let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.ok()?;
            Some((status, body.to_vec()))
        })
    }

    fn new_session(&self) -> Option<String> {
        let body = br#"{"verification":{"vendorData":"fuzz"}}"#;
        let (status, out) = self.call(signed_request("POST", "/v1/sessions", HTTP_KEY, Some(body), body))?;
        if status != 201 {
            return None;
        }
        let v: serde_json::Value = serde_json::from_slice(&out).ok()?;
        v.pointer("/verification/id")?.as_str().map(str::to_string)
    }
}

fn signed_request(
    method: &str,
    path: &str,
    key: &str,
    signed_over: Option<&[u8]>,
    body: &[u8],
) -> axum::http::Request<axum::body::Body> {
    let mut b = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .header("x-auth-client", key);
    if let Some(p) = signed_over {
        b = b.header("x-hmac-signature", signature::sign(Scheme::Hmac, SECRET, p));
    }
    b.body(axum::body::Body::from(body.to_vec())).unwrap_or_default()
}

/// Input: a selector byte, then the body (selector 6: a path line, then the body).
/// `selector % 8`: 0 `POST /v1/sessions` signed, 1 the same with the public key unsigned,
/// 2 `PATCH /v1/sessions/{id}` signed, 3 `POST /v1/sessions/{id}/media` signed, 4 the DocVal
/// result for the session (the body's `client_validation_id` is set to the session when the
/// body is a JSON object), 5 `POST /v1/sessions` with the body's first line as the signature
/// header, 6 a GET of the path in the first line (signed over its last segment), 7 the admin
/// review pages. The harness signs the mutated body, so mutations reach the handlers.
/// Oracle: no 5xx answer (the gateway's "garbage never 5xx" rule) and no panic.
// A violation is reported the way the harness detects failures: a panic.
#[allow(clippy::panic)]
pub(crate) fn run_gateway_http(d: &[u8]) {
    let Some((&sel, body)) = d.split_first() else { return };
    let mut guard = http_gateway().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(g) = guard.as_mut() else { return };
    let sid = g.session.clone();
    let mut result_body;
    let req = match sel % 8 {
        0 => signed_request("POST", "/v1/sessions", HTTP_KEY, Some(body), body),
        1 => signed_request("POST", "/v1/sessions/", HTTP_PUBLIC_KEY, None, body),
        2 => signed_request("PATCH", &format!("/v1/sessions/{sid}"), HTTP_KEY, Some(body), body),
        3 => signed_request("POST", &format!("/v1/sessions/{sid}/media"), HTTP_KEY, Some(body), body),
        4 => {
            result_body = body.to_vec();
            if let Ok(serde_json::Value::Object(mut o)) = serde_json::from_slice(body) {
                o.insert("client_validation_id".into(), serde_json::json!(sid));
                result_body = serde_json::to_vec(&o).unwrap_or_default();
            }
            let path = format!("/docval/results/{HTTP_RESULT_TOKEN}");
            signed_request("POST", &path, "", None, &result_body)
        }
        5 => {
            let (l, payload) = lines(body, 1);
            let mut b = axum::http::Request::builder()
                .method("POST")
                .uri("/v1/sessions")
                .header("x-auth-client", HTTP_KEY);
            if let Some(h) = l.first().and_then(|h| axum::http::HeaderValue::from_str(h).ok()) {
                b = b.header(
                    if sel & 0x80 != 0 {
                        "x-signature"
                    } else {
                        "x-hmac-signature"
                    },
                    h,
                );
            }
            let Ok(r) = b.body(axum::body::Body::from(payload.to_vec())) else {
                return;
            };
            r
        }
        6 => {
            let (l, _) = lines(body, 1);
            let path = l.first().copied().unwrap_or("").replace("{id}", &sid);
            let Ok(uri) = path.parse::<axum::http::Uri>() else {
                return;
            };
            let last = uri.path().rsplit('/').next().unwrap_or("").to_string();
            let Ok(r) = axum::http::Request::builder()
                .method("GET")
                .uri(uri)
                .header("x-auth-client", HTTP_KEY)
                .header(
                    "x-hmac-signature",
                    signature::sign(Scheme::Hmac, SECRET, last.as_bytes()),
                )
                .body(axum::body::Body::empty())
            else {
                return;
            };
            r
        }
        _ => {
            let (l, _) = lines(body, 1);
            let path = l.first().copied().unwrap_or("").replace("{id}", &sid);
            let Ok(uri) = path.parse::<axum::http::Uri>() else {
                return;
            };
            let Ok(r) = axum::http::Request::builder()
                .method("GET")
                .uri(uri)
                .header("authorization", "Bearer admin-token")
                .body(axum::body::Body::empty())
            else {
                return;
            };
            r
        }
    };
    let Some((status, out)) = g.call(req) else {
        panic!("gateway: no response");
    };
    if status >= 500 {
        let text = String::from_utf8_lossy(&out).to_string();
        drop(guard);
        panic!("gateway answered {status}: {text}");
    }
    // An input that changed the session's state: continue with a fresh session.
    if matches!(sel % 8, 2..=4)
        && (200..300).contains(&status)
        && let Some(s) = g.new_session()
    {
        g.session = s;
    }
}

pub(crate) fn builtin_gateway_http() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for s in builtin_gateway_json() {
        let Some((&sel, body)) = s.split_first() else { continue };
        match sel % 6 {
            0 => {
                out.push(with(0, body));
                out.push(with(1, body));
            }
            1 => out.push(with(2, body)),
            2 => out.push(with(3, body)),
            3 => out.push(with(4, body)),
            4 => out.push(with(5, body)),
            _ => {}
        }
    }
    for p in [
        "/v1/sessions/{id}/decision",
        "/v1/sessions/{id}/person",
        "/v1/sessions/{id}/attempts",
        "/v1/sessions/{id}/media",
        "/v1/sessions/{id}/timestamps",
        "/v1/attempts/{id}/media",
        "/v1/media/{id}",
        "/v1/timestamps/{id}",
        "/v/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "/openapi.json",
        "/v1/sessions/%ZZ/media",
    ] {
        out.push(with(6, format!("{p}\n").as_bytes()));
    }
    for p in [
        "/review",
        "/review/sessions/{id}",
        "/review/media/{id}",
        "/review?page=2&q=%00",
    ] {
        out.push(with(7, format!("{p}\n").as_bytes()));
    }
    out
}

#[cfg(test)]
mod http_tests {
    use super::*;

    #[test]
    fn seeds_reach_the_handlers_and_a_result_decides_the_session() {
        for s in builtin_gateway_http() {
            run_gateway_http(&s);
        }
        let g = http_gateway().lock().unwrap();
        let g = g.as_ref().expect("gateway started");
        // A signed creation is accepted, so mutations start from requests that pass auth.
        let body = br#"{"verification":{}}"#;
        let (status, _) = g
            .call(signed_request("POST", "/v1/sessions", HTTP_KEY, Some(body), body))
            .unwrap();
        assert_eq!(status, 201);
    }
}
