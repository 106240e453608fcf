//! Fault and resource-limit tests of docval-server (in-process on 127.0.0.1): the result
//! server down, slow beyond the POST timeout, answering 500 then 200; a graceful shutdown (what
//! SIGTERM triggers in the binary) in the middle of a session; the session limit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use common::*;
use serde_json::Value;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A result server: `behaviour(attempt)` gives (delay, status) for each POST (attempts from
/// 1); bodies of the POSTs answered 2xx are kept.
async fn result_server(
    behaviour: impl Fn(u32) -> (Duration, StatusCode) + Send + Sync + 'static,
) -> (String, Arc<AtomicU32>, Arc<Mutex<Vec<Value>>>) {
    let calls = Arc::new(AtomicU32::new(0));
    let bodies: Arc<Mutex<Vec<Value>>> = Arc::default();
    let behaviour = Arc::new(behaviour);
    let (c, b) = (calls.clone(), bodies.clone());
    let app = Router::new().route(
        "/results",
        post(move |body: String| {
            let (c, b, behaviour) = (c.clone(), b.clone(), behaviour.clone());
            async move {
                let n = c.fetch_add(1, Ordering::SeqCst) + 1;
                let (delay, status) = behaviour(n);
                tokio::time::sleep(delay).await;
                if status.is_success() {
                    b.lock().unwrap().push(serde_json::from_str(&body).unwrap());
                }
                status
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/results", l.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    (url, calls, bodies)
}

async fn wait_until(cond: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "condition not reached in 5 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn faulty_config(url: String) -> docval_server::config::Config {
    let mut c = with_result_server(quick_config(), "shop", url);
    c.post.timeout = Duration::from_millis(300);
    c.post.backoff = Duration::from_millis(10);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f01_result_server_down() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/results", dead.local_addr().unwrap());
    drop(dead);
    let server = Server::start(faulty_config(url)).await;
    let out = emrtd_phone::run_phone(&mut chip("ref-1"), &phone_can(&server.url, "shop"))
        .await
        .unwrap();
    assert_eq!(out.close_code, Some(1011), "{out:?}");
    assert_eq!(out.close_reason.as_deref(), Some("POST_TO_RESULT_SERVER_FAILED"));
    assert_eq!(out.statuses.last().map(String::as_str), Some("DONE"));
    // The result is not handed to the phone either: the client never gets a result its
    // backend did not receive.
    assert!(out.result.is_none());
    // The outcome is counted once the close handshake is over.
    wait_until(|| {
        server
            .state
            .metrics
            .render()
            .contains("docval_session_outcomes_total{reason=\"POST_TO_RESULT_SERVER_FAILED\"} 1")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f02_result_server_slower_than_the_post_timeout_every_time() {
    let (url, calls, bodies) = result_server(|_| (Duration::from_millis(1500), StatusCode::OK)).await;
    let config = faulty_config(url);
    let retries = config.post.retries;
    let server = Server::start(config).await;
    let out = emrtd_phone::run_phone(&mut chip("ref-1"), &phone_can(&server.url, "shop"))
        .await
        .unwrap();
    assert_eq!(out.close_code, Some(1011), "{out:?}");
    assert_eq!(out.close_reason.as_deref(), Some("POST_TO_RESULT_SERVER_FAILED"));
    // One attempt plus every retry, each cut at the POST timeout.
    assert_eq!(calls.load(Ordering::SeqCst), 1 + retries);
    assert_eq!(retries, 3);
    let _ = bodies;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f03_result_server_slow_once_then_fast_is_retried() {
    let (url, calls, bodies) = result_server(|n| {
        if n == 1 {
            (Duration::from_millis(1500), StatusCode::OK)
        } else {
            (Duration::ZERO, StatusCode::OK)
        }
    })
    .await;
    let server = Server::start(faulty_config(url)).await;
    let mut opts = phone_can(&server.url, "shop");
    opts.validation_id = "slow-once".into();
    let out = emrtd_phone::run_phone(&mut chip("ref-1"), &opts).await.unwrap();
    assert_eq!(out.code(), Some(1000), "{out:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // The result server may have finished the timed-out first request too (it cannot know
    // the client gave up): every body it kept is the same result for the same validation.
    let got = bodies.lock().unwrap().clone();
    assert!(!got.is_empty() && got.len() <= 2, "{}", got.len());
    for v in &got {
        assert_eq!(v["client_validation_id"], "slow-once");
        assert_eq!(v["emrtd_passport"]["passive_authentication"], true);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f04_result_server_500_then_200() {
    let (url, calls, bodies) = result_server(|n| {
        if n <= 2 {
            (Duration::ZERO, StatusCode::INTERNAL_SERVER_ERROR)
        } else {
            (Duration::ZERO, StatusCode::OK)
        }
    })
    .await;
    let server = Server::start(faulty_config(url)).await;
    let out = emrtd_phone::run_phone(&mut chip("ref-1"), &phone_can(&server.url, "shop"))
        .await
        .unwrap();
    assert_eq!(out.code(), Some(1000), "{out:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(bodies.lock().unwrap().len(), 1);
    assert!(out.result.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f05_result_server_400_is_final() {
    let (url, calls, _) = result_server(|_| (Duration::ZERO, StatusCode::BAD_REQUEST)).await;
    let server = Server::start(faulty_config(url)).await;
    let out = emrtd_phone::run_phone(&mut chip("ref-1"), &phone_can(&server.url, "shop"))
        .await
        .unwrap();
    assert_eq!(
        out.close_reason.as_deref(),
        Some("POST_TO_RESULT_SERVER_FAILED"),
        "{out:?}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f06_shutdown_mid_session_finishes_the_session_and_refuses_new_ones() {
    let (url, calls, bodies) = result_server(|_| (Duration::ZERO, StatusCode::OK)).await;
    let mut server = Server::start(faulty_config(url)).await;
    let ws_url = server.url.clone();
    let addr = server.addr;
    let phone = tokio::spawn(async move {
        let mut opts = phone_can(&ws_url, "shop");
        opts.apdu_delay = Duration::from_millis(15);
        emrtd_phone::run_phone(&mut chip("ref-1"), &opts).await.unwrap()
    });
    // Wait until the session is running, then shut down (SIGTERM in the binary).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while server.state.metrics.sessions_active.load(Ordering::Relaxed) == 0 {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.trigger_shutdown();
    // The listener closes at once; a new session is refused while the running one finishes.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Ok(probe) = tokio::net::TcpStream::connect(addr).await {
        drop(probe);
        assert!(
            tokio::time::Instant::now() < deadline,
            "still accepting after the shutdown"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let refused = emrtd_phone::run_phone(
        &mut chip("ref-1"),
        &phone_can(&format!("ws://{addr}/ws1/validate"), "shop"),
    )
    .await;
    assert!(refused.is_err(), "{refused:?}");
    let out = phone.await.unwrap();
    assert_eq!(out.code(), Some(1000), "{out:?}");
    assert_eq!(out.statuses.last().map(String::as_str), Some("DONE"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(bodies.lock().unwrap().len(), 1, "the result was delivered exactly once");
    tokio::time::timeout(Duration::from_secs(10), server.join())
        .await
        .expect("the server ends after the session")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f07_session_limit_refuses_cleanly_and_recovers() {
    let mut config = quick_config();
    config.max_sessions = 1;
    let server = Server::start(config).await;
    let url = server.url.clone();
    let first = tokio::spawn(async move {
        let mut opts = phone_can(&url, "YOUR CLIENT ID");
        opts.apdu_delay = Duration::from_millis(15);
        emrtd_phone::run_phone(&mut chip("ref-1"), &opts).await.unwrap()
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while server.state.metrics.sessions_active.load(Ordering::Relaxed) == 0 {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let err = emrtd_phone::run_phone(&mut chip("ref-1"), &phone_can(&server.url, "YOUR CLIENT ID"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("503"), "{err}");
    assert_eq!(first.await.unwrap().code(), Some(1000));
    // The slot is free again once the server has finished the first session (the phone sees
    // the close frame before the server's session task has released its slot).
    wait_until(|| server.state.metrics.sessions_active.load(Ordering::Relaxed) == 0).await;
    let out = emrtd_phone::run_phone(&mut chip("ref-1"), &phone_can(&server.url, "YOUR CLIENT ID"))
        .await
        .unwrap();
    assert_eq!(out.code(), Some(1000));
    let m = server.state.metrics.render();
    assert!(m.contains("docval_sessions_refused_total 1"), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f08_silent_clients_do_not_hold_sessions() {
    // Connections that never send a StartMessage are closed at the StartMessage timeout and
    // release their slot.
    let mut config = quick_config();
    config.max_sessions = 4;
    let server = Server::start(config).await;
    let mut sockets = Vec::new();
    for _ in 0..4 {
        sockets.push(tokio_tungstenite::connect_async(&server.url).await.unwrap().0);
    }
    // StartMessage timeout (500 ms) plus the close handshake the silent client never
    // completes (500 ms).
    let t0 = std::time::Instant::now();
    wait_until(|| server.state.metrics.sessions_active.load(Ordering::Relaxed) == 0).await;
    assert!(t0.elapsed() < Duration::from_secs(4), "{:?}", t0.elapsed());
    drop(sockets);
    let out = emrtd_phone::run_phone(&mut chip("ref-1"), &phone_can(&server.url, "YOUR CLIENT ID"))
        .await
        .unwrap();
    assert_eq!(out.code(), Some(1000));
}
