//! Resource limits of the HTTP API: body limits (413 before the body is buffered beyond the
//! limit) and the per-API-key rate limit (429 with `Retry-After`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use axum::http::StatusCode;
use common::*;
use kyc_gateway::api::{MAX_JSON_BODY, MAX_MEDIA_BODY, MAX_RESULT_BODY};
use kyc_gateway::config::RateLimit;
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

async fn body_limits_answer_413(backend: Backend) {
    let Some(gw) = start(backend, |_| {}).await else { return };
    let s = create_session(&gw, json!({})).await;
    let id = s["id"].as_str().unwrap().to_string();
    let cases = [
        (Method::POST, format!("{}/v1/sessions", gw.base), MAX_JSON_BODY),
        (Method::PATCH, format!("{}/v1/sessions/{id}", gw.base), MAX_JSON_BODY),
        (
            Method::POST,
            format!("{}/v1/sessions/{id}/media", gw.base),
            MAX_MEDIA_BODY,
        ),
    ];
    for (method, url, limit) in cases {
        // One byte over the limit: 413 with the JSON error body (signature checked after the
        // limit, so even a correct signature does not get the body buffered).
        let over = vec![b' '; limit + 1];
        let r = send(method.clone(), &url, KEY, SECRET, &over).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{method} {url}");
        assert_eq!(r.json()["status"], "fail");
        assert_eq!(r.json()["code"], 1104);
        // At the limit: parsed (and refused as JSON), not 413.
        let at = vec![b' '; limit];
        let r = send(method.clone(), &url, KEY, SECRET, &at).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{method} {url} at the limit");
    }
    // The DocVal result endpoint: 32 MiB.
    let url = format!("{}/docval/results/{RESULT_TOKEN}", gw.base);
    let r = send_raw(Method::POST, &url, &[], vec![b' '; MAX_RESULT_BODY + 1]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Still serving.
    create_session(&gw, json!({})).await;
    gw.shutdown().await;
}

async fn create(gw: &Gw, key: &str, secret: &str) -> Resp {
    send(
        Method::POST,
        &format!("{}/v1/sessions", gw.base),
        key,
        secret,
        &session_body(json!({})),
    )
    .await
}

async fn rate_limit_per_key_answers_429_with_retry_after(backend: Backend) {
    let Some(gw) = start(backend, |c| {
        c.rate_limit = Some(RateLimit {
            requests_per_second: 2,
            burst: 3,
        });
    })
    .await
    else {
        return;
    };
    // The burst of one key passes, then 429 with Retry-After and the JSON error body.
    for i in 0..3 {
        assert_eq!(
            create(&gw, KEY, SECRET).await.status,
            StatusCode::CREATED,
            "request {i}"
        );
    }
    let r = create(&gw, KEY, SECRET).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers["retry-after"], "1");
    assert_eq!(r.json(), json!({"status": "fail", "message": "Too many requests."}));
    // GETs of the same key count too (every request of the integration API).
    let r = get(
        &gw,
        "/v1/sessions/aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7/decision",
        "",
        KEY,
        SECRET,
    )
    .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // Another key has its own bucket; an unknown key is refused by authentication, not
    // counted; the DocVal result endpoint and health checks are not per-key.
    assert_eq!(create(&gw, LEGACY_KEY, LEGACY_SECRET).await.status, StatusCode::CREATED);
    assert_eq!(create(&gw, "unknown-key", "x").await.status, StatusCode::UNAUTHORIZED);
    let r = send_raw(Method::GET, &format!("{}/healthz", gw.base), &[], Vec::new()).await;
    assert_eq!(r.status, StatusCode::OK);
    // The bucket refills at 2 per second.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(create(&gw, KEY, SECRET).await.status, StatusCode::CREATED);
    let r = send_raw(Method::GET, &format!("{}/metrics", gw.base), &[], Vec::new()).await;
    let text = String::from_utf8(r.body).unwrap();
    assert!(text.contains("kyc_rate_limited_total 2"), "{text}");
    gw.shutdown().await;
}

/// The default configuration limits every key (50 per second, bursts of 100): 300 concurrent
/// requests of one key meet 429s; at most the burst plus the refill of the elapsed time pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_rate_limit_is_on() {
    let Some(gw) = start(Backend::Sqlite, |c| c.rate_limit = Config::default().rate_limit).await else {
        return;
    };
    let url = format!("{}/v1/sessions", gw.base);
    let t0 = std::time::Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..300 {
        let url = url.clone();
        // A body refused without the database: the limit is checked before anything else.
        tasks.push(tokio::spawn(async move {
            send(Method::POST, &url, KEY, SECRET, b"[]").await.status
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let secs = t0.elapsed().as_secs_f64();
    let passed = statuses.iter().filter(|s| **s == StatusCode::BAD_REQUEST).count();
    let limited = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    println!("{passed} passed, {limited} limited in {secs:.2} s");
    assert_eq!(passed + limited, 300, "{statuses:?}");
    assert!(passed >= 100, "{passed}");
    assert!(passed as f64 <= 100.0 + 50.0 * secs + 2.0, "{passed} in {secs} s");
    gw.shutdown().await;
}

use kyc_gateway::config::Config;

both_backends!(body_limits_answer_413, rate_limit_per_key_answers_429_with_retry_after);
