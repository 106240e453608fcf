//! The gateway against a hostile client (issue 13, hole 8): authentication before any body is
//! read, the in-flight limit, the per-IP limit of requests without a configured key, the review
//! token never in a URL (header or HttpOnly cookie), `/metrics` behind its token, and the
//! verdicts of hostile chip results under the default policy.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use axum::http::StatusCode;
use common::*;
use kyc_gateway::config::RateLimit;
use kyc_gateway::pages::{REVIEW_COOKIE, review_cookie_value};
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const UNKNOWN_SESSION: &str = "aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7";

fn addr(gw: &Gw) -> String {
    gw.base.trim_start_matches("http://").to_string()
}

/// Sends a request head (with `Content-Length: declared`) and the first bytes of its body over
/// a raw connection, never the rest; returns the connection.
async fn partial_request(gw: &Gw, head: &str, declared: u64, first: &[u8]) -> TcpStream {
    let mut c = TcpStream::connect(addr(gw)).await.unwrap();
    let head = format!(
        "{head}\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n",
        addr(gw)
    );
    c.write_all(head.as_bytes()).await.unwrap();
    c.write_all(first).await.unwrap();
    c.flush().await.unwrap();
    c
}

/// The response head on `c`, read within `limit` (panics otherwise).
async fn response_head(c: &mut TcpStream, limit: Duration) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            let n = c.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            if got.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    };
    tokio::time::timeout(limit, read)
        .await
        .unwrap_or_else(|_| panic!("no response within {limit:?}; got {:?}", String::from_utf8_lossy(&got)));
    String::from_utf8_lossy(&got).to_string()
}

/// Requests with an unknown key, no key, or no signature where the route needs one are answered
/// 401 from their headers: a client declaring a large body and sending a few bytes of it gets
/// the answer at once (before the fix the gateway waited for the body).
async fn unauthenticated_requests_refused_before_the_body(backend: Backend) {
    let Some(gw) = start(backend, |_| {}).await else { return };
    let sig = "00".repeat(32);
    let cases: Vec<(String, u64)> = vec![
        // Unknown key, a body within the JSON limit (200 kB) and a huge one (1 TB).
        (
            format!("POST /v1/sessions HTTP/1.1\r\nX-AUTH-CLIENT: unknown-key\r\nX-HMAC-SIGNATURE: {sig}"),
            200_000,
        ),
        (
            format!("POST /v1/sessions HTTP/1.1\r\nX-AUTH-CLIENT: unknown-key\r\nX-HMAC-SIGNATURE: {sig}"),
            1_000_000_000_000,
        ),
        // No key at all.
        ("POST /v1/sessions HTTP/1.1".to_string(), 200_000),
        // A known key without a signature (the integration requires signed session creation).
        (format!("POST /v1/sessions HTTP/1.1\r\nX-AUTH-CLIENT: {KEY}"), 200_000),
        // PATCH and media upload need a signature whatever the integration.
        (
            format!("PATCH /v1/sessions/{UNKNOWN_SESSION} HTTP/1.1\r\nX-AUTH-CLIENT: {PUBLIC_KEY}"),
            200_000,
        ),
        (
            format!("POST /v1/sessions/{UNKNOWN_SESSION}/media HTTP/1.1\r\nX-AUTH-CLIENT: {KEY}"),
            20_000_000,
        ),
        (
            format!(
                "POST /v1/sessions/{UNKNOWN_SESSION}/media HTTP/1.1\r\nX-AUTH-CLIENT: unknown-key\r\nX-SIGNATURE: {sig}"
            ),
            20_000_000,
        ),
        // The DocVal result endpoint with a wrong token.
        ("POST /docval/results/wrong-token HTTP/1.1".to_string(), 30_000_000),
    ];
    for (head, declared) in cases {
        let t0 = Instant::now();
        let mut c = partial_request(&gw, &head, declared, b"{\"verification\":{").await;
        let resp = response_head(&mut c, Duration::from_secs(10)).await;
        assert!(resp.starts_with("HTTP/1.1 401"), "{head}: {resp}");
        println!("{:?} for {}", t0.elapsed(), head.lines().next().unwrap_or(""));
    }
    let m = send_raw(Method::GET, &format!("{}/metrics", gw.base), &[], Vec::new()).await;
    let text = String::from_utf8(m.body).unwrap();
    assert!(text.contains("kyc_auth_failures_total 8"), "{text}");
    gw.shutdown().await;
}

/// With result signing configured, a result POST without the signature headers is refused
/// before its body is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_docval_result_refused_before_the_body() {
    let gw = start(Backend::Sqlite, |c| {
        c.docval_result_signing_secret = Some("shared".into())
    })
    .await
    .unwrap();
    let mut c = partial_request(
        &gw,
        &format!("POST /docval/results/{RESULT_TOKEN} HTTP/1.1"),
        30_000_000,
        b"{\"emrtd_passport\":",
    )
    .await;
    let resp = response_head(&mut c, Duration::from_secs(10)).await;
    assert!(resp.starts_with("HTTP/1.1 401"), "{resp}");
    gw.shutdown().await;
}

/// Polls `GET /healthz` until its status is `want` (at most 10 s); returns the response.
async fn healthz_until(gw: &Gw, want: StatusCode) -> Resp {
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let r = send_raw(Method::GET, &format!("{}/healthz", gw.base), &[], Vec::new()).await;
        if r.status == want {
            return r;
        }
        assert!(Instant::now() < end, "healthz never answered {want}; last {}", r.status);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// At most `max_in_flight` requests are handled at once: with two signed uploads stalled in
/// their bodies, a third request is answered 503 with `Retry-After` at once; when the stalled
/// clients go away, requests are served again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_limit_answers_503_with_retry_after() {
    let gw = start(Backend::Sqlite, |c| c.max_in_flight = 2).await.unwrap();
    healthz_until(&gw, StatusCode::OK).await;
    let head = format!(
        "POST /v1/sessions HTTP/1.1\r\nX-AUTH-CLIENT: {KEY}\r\nX-HMAC-SIGNATURE: {}",
        "00".repeat(32)
    );
    let slow1 = partial_request(&gw, &head, 1000, b"{").await;
    let slow2 = partial_request(&gw, &head, 1000, b"{").await;
    let r = healthz_until(&gw, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(r.headers["retry-after"], "1");
    assert_eq!(r.json(), json!({"status": "fail", "message": "Server busy."}));
    // Any route, authenticated or not.
    let s = send(
        Method::POST,
        &format!("{}/v1/sessions", gw.base),
        KEY,
        SECRET,
        &session_body(json!({})),
    )
    .await;
    assert_eq!(s.status, StatusCode::SERVICE_UNAVAILABLE);
    drop(slow1);
    drop(slow2);
    healthz_until(&gw, StatusCode::OK).await;
    create_session(&gw, json!({})).await;
    let m = send_raw(Method::GET, &format!("{}/metrics", gw.base), &[], Vec::new()).await;
    let text = String::from_utf8(m.body).unwrap();
    assert!(!text.contains("kyc_overloaded_total 0"), "{text}");
    gw.shutdown().await;
}

/// Requests without a configured key (guessed keys, no key, end-user pages, review logins) share
/// a token bucket per client address: past the burst they are answered 429 with `Retry-After`;
/// configured keys keep their own buckets and the DocVal result POST with the right token is
/// not counted.
async fn unknown_keys_rate_limited_per_ip(backend: Backend) {
    let Some(gw) = start(backend, |c| {
        c.unauthenticated_rate_limit = Some(RateLimit {
            requests_per_second: 1,
            burst: 3,
        });
    })
    .await
    else {
        return;
    };
    let url = format!("{}/v1/sessions", gw.base);
    for i in 0..3 {
        let r = send(Method::POST, &url, &format!("guess-{i}"), "x", &session_body(json!({}))).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "guess {i}");
    }
    let r = send(Method::POST, &url, "guess-3", "x", &session_body(json!({}))).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers["retry-after"], "1");
    assert_eq!(r.json(), json!({"status": "fail", "message": "Too many requests."}));
    // No key at all, the review login and the end-user page: the same bucket.
    let r = send_raw(Method::POST, &url, &[], session_body(json!({}))).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let r = send_raw(
        Method::POST,
        &format!("{}/review/login", gw.base),
        &[("content-type", "application/x-www-form-urlencoded".into())],
        b"token=guess".to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let r = send_raw(Method::GET, &format!("{}/v/abcdef", gw.base), &[], Vec::new()).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // A configured key is not limited by the address's bucket.
    let s = create_session(&gw, json!({})).await;
    let id = s["id"].as_str().unwrap().to_string();
    // docval-server's result POST (right token) is exempt; a wrong token is not.
    let r = send_raw(
        Method::POST,
        &format!("{}/docval/results/{RESULT_TOKEN}", gw.base),
        &[],
        chip_result(&id, None),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    let r = send_raw(
        Method::POST,
        &format!("{}/docval/results/not-the-token", gw.base),
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // The bucket refills (1 per second).
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let r = send(Method::POST, &url, "guess-4", "x", &session_body(json!({}))).await;
        if r.status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(Instant::now() < end, "never refilled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    gw.shutdown().await;
}

fn review_get(gw: &Gw, path: &str, headers: &[(&str, String)]) -> impl std::future::Future<Output = Resp> {
    let url = format!("{}{path}", gw.base);
    let headers: Vec<(String, String)> = headers.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    async move {
        let h: Vec<(&str, String)> = headers.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        send_raw(Method::GET, &url, &h, Vec::new()).await
    }
}

/// A decided session with a chip face; returns (session id, face media id).
async fn decided_session_with_face(gw: &Gw) -> (String, String) {
    let s = create_session(gw, json!({})).await;
    let id = s["id"].as_str().unwrap().to_string();
    let jpeg = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00tiny";
    let r = send_raw(
        Method::POST,
        &format!("{}/docval/results/{RESULT_TOKEN}", gw.base),
        &[],
        chip_result(&id, Some(jpeg)),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = get(gw, &format!("/v1/sessions/{id}/media"), &id, KEY, SECRET).await;
    let face = r.json()["images"][0]["id"].as_str().unwrap().to_string();
    (id, face)
}

/// The admin token in a URL is ignored (401): it travels in `Authorization: Bearer` or, for
/// browsers, in the HttpOnly SameSite=Strict cookie the login form sets; pages link without it.
async fn review_token_never_in_a_url(backend: Backend) {
    let Some(gw) = start(backend, |_| {}).await else { return };
    let (id, face) = decided_session_with_face(&gw).await;
    let pages = [
        "/review".to_string(),
        format!("/review/sessions/{id}"),
        format!("/review/media/{face}"),
    ];
    // ?token= is not a credential.
    for p in &pages {
        let r = review_get(&gw, &format!("{p}?token={ADMIN_TOKEN}"), &[]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{p}?token=");
    }
    // An unauthorized page shows the login form, posting to /review/login.
    let r = review_get(&gw, &format!("/review/sessions/{id}"), &[]).await;
    let html = String::from_utf8(r.body).unwrap();
    assert!(
        html.contains("<form id=\"login\" method=\"post\" action=\"/review/login\">"),
        "{html}"
    );
    assert!(
        html.contains(&format!("name=\"next\" value=\"/review/sessions/{id}\"")),
        "{html}"
    );
    // The bearer header works, and no link carries the token.
    let bearer = [("authorization", format!("Bearer {ADMIN_TOKEN}"))];
    for p in &pages {
        let r = review_get(&gw, p, &bearer).await;
        assert_eq!(r.status, StatusCode::OK, "{p}");
        let body = String::from_utf8_lossy(&r.body);
        assert!(!body.contains("token=") && !body.contains(ADMIN_TOKEN), "{p}: {body}");
    }
    // Login: a wrong token is 401; the right one sets the cookie and redirects to `next`.
    let login = |token: &str, next: &str| {
        let body = format!("token={token}&next={next}").into_bytes();
        let url = format!("{}/review/login", gw.base);
        async move {
            let c = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            c.post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let r = login("wrong", "/review").await;
    assert_eq!(r.status().as_u16(), 401);
    assert!(r.headers().get("set-cookie").is_none());
    let r = login(ADMIN_TOKEN, &format!("/review/sessions/{id}")).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], format!("/review/sessions/{id}").as_str());
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/review", "Max-Age=28800"] {
        assert!(set.contains(attr), "{attr} missing: {set}");
    }
    assert!(!set.contains("Secure"), "http public URL: {set}");
    assert!(!set.contains(ADMIN_TOKEN), "the cookie is not the token: {set}");
    let cookie = set.split(';').next().unwrap().to_string();
    assert!(cookie.starts_with(&format!("{REVIEW_COOKIE}=")));
    for p in &pages {
        let r = review_get(&gw, p, &[("cookie", cookie.clone())]).await;
        assert_eq!(r.status, StatusCode::OK, "{p} with the cookie");
    }
    let r = review_get(&gw, &format!("/review/sessions/{id}"), &[("cookie", cookie.clone())]).await;
    let html = String::from_utf8(r.body).unwrap();
    assert!(html.contains(&format!("src=\"/review/media/{face}\"")), "{html}");
    // Forged, expired and foreign cookies are refused.
    let now = chrono::Utc::now().timestamp();
    let value = cookie.split_once('=').unwrap().1.to_string();
    let mut forged = value.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    for (name, v) in [
        ("forged MAC", forged),
        ("expired", review_cookie_value(ADMIN_TOKEN, now - 1)),
        (
            "too far in the future",
            review_cookie_value(ADMIN_TOKEN, now + 10 * 86400),
        ),
        ("another admin token", review_cookie_value("other-token", now + 600)),
        ("the token itself", ADMIN_TOKEN.to_string()),
        ("garbage", "x.y".to_string()),
    ] {
        let r = review_get(&gw, "/review", &[("cookie", format!("{REVIEW_COOKIE}={v}"))]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{name}");
    }
    // `next` cannot leave the review pages.
    for next in [
        "https://evil.example/",
        "//evil.example",
        "/v1/sessions",
        "/review/login",
    ] {
        let r = login(ADMIN_TOKEN, next).await;
        assert_eq!(r.headers()["location"], "/review", "{next}");
    }
    // Logout clears the cookie.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/review/logout", gw.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert!(r.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    gw.shutdown().await;
}

/// Behind TLS (an https public URL) the review cookie is `Secure`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_cookie_is_secure_behind_tls() {
    let gw = start(Backend::Sqlite, |c| c.public_url = "https://kyc.example".into())
        .await
        .unwrap();
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/review/login", gw.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={ADMIN_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let set = r.headers()["set-cookie"].to_str().unwrap();
    assert!(set.ends_with("; Secure"), "{set}");
    gw.shutdown().await;
}

/// With `metrics_token` set, `/metrics` needs `Authorization: Bearer <token>`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_behind_a_token() {
    let gw = start(Backend::Sqlite, |c| c.metrics_token = Some("metrics-secret".into()))
        .await
        .unwrap();
    let url = format!("{}/metrics", gw.base);
    for (name, h) in [
        ("no header", vec![]),
        (
            "wrong token",
            vec![("authorization", "Bearer metrics-secreT".to_string())],
        ),
        (
            "the token without Bearer",
            vec![("authorization", "metrics-secret".to_string())],
        ),
        (
            "the admin token",
            vec![("authorization", format!("Bearer {ADMIN_TOKEN}"))],
        ),
    ] {
        let r = send_raw(Method::GET, &url, &h, Vec::new()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{name}");
        assert!(!String::from_utf8_lossy(&r.body).contains("kyc_"), "{name}");
    }
    let r = send_raw(
        Method::GET,
        &url,
        &[("authorization", "Bearer metrics-secret".to_string())],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(String::from_utf8(r.body).unwrap().contains("kyc_auth_failures_total 4"));
    gw.shutdown().await;
}

/// Hostile chip results through the result endpoint, default policy: what may be approved and
/// what must be declined (hole 2's gateway side and the expired-forgery rule).
async fn hostile_chip_results_default_policy(backend: Backend) {
    let Some(gw) = start(backend, |_| {}).await else { return };
    type Edit = fn(&mut serde_json::Value);
    let expired_broken_chain: Edit = |p| {
        p["mrz_info"]["date_of_expiry"] = json!("210101");
        p["passive_authentication"] = json!(false);
        p["passive_authentication_details"]["document_certificate_valid"] = json!(false);
        p["errors"] = json!(["passive authentication: Reason { code: CscaNotFound, detail: \"no CSCA\" }"]);
    };
    let expired_ds_expired: Edit = |p| {
        p["mrz_info"]["date_of_expiry"] = json!("210101");
        p["passive_authentication"] = json!(false);
        p["passive_authentication_details"]["document_certificate_valid"] = json!(false);
        p["errors"] = json!(["passive authentication: Reason { code: DsCertificateExpired, detail: \"DS expired\" }"]);
    };
    let cases: [(&str, Edit, u64, Option<u64>); 7] = [
        ("genuine", |_| {}, 9001, None),
        (
            "CA FAILED",
            |p| p["chip_authentication_result"] = json!("FAILED"),
            9102,
            Some(102),
        ),
        (
            "AA FAILED",
            |p| p["active_authentication_result"] = json!("FAILED"),
            9102,
            Some(102),
        ),
        (
            "both UNAVAILABLE",
            |p| p["chip_authentication_result"] = json!("UNAVAILABLE"),
            9001,
            None,
        ),
        (
            "PA false",
            |p| p["passive_authentication"] = json!(false),
            9102,
            Some(102),
        ),
        ("expired, chain broken", expired_broken_chain, 9102, Some(102)),
        ("expired, DS expired with it", expired_ds_expired, 9103, Some(207)),
    ];
    for (name, edit, code, reason) in cases {
        let s = create_session(&gw, json!({})).await;
        let id = s["id"].as_str().unwrap().to_string();
        let r = send_raw(
            Method::POST,
            &format!("{}/docval/results/{RESULT_TOKEN}", gw.base),
            &[],
            chip_result_with(&id, None, edit),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{name}");
        let v = get(&gw, &format!("/v1/sessions/{id}/decision"), &id, KEY, SECRET)
            .await
            .json();
        assert_eq!(v["verification"]["code"], code, "{name}: {v}");
        assert_eq!(v["verification"]["reasonCode"], json!(reason), "{name}: {v}");
    }
    gw.shutdown().await;
}

both_backends!(
    unauthenticated_requests_refused_before_the_body,
    unknown_keys_rate_limited_per_ip,
    review_token_never_in_a_url,
    hostile_chip_results_default_policy,
);
