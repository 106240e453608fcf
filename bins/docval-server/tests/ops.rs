//! Operations: health, metrics, TLS, graceful shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use docval_server::config::Config;
use docval_server::{AppState, serve, serve_tls, trust};
use emrtd_phone::{Access, PhoneOptions, run_phone};
use emrtd_sim::VirtualChip;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn state(config: Config) -> Arc<AppState> {
    // The virtual documents are signed by the test PKI, trusted only on request.
    let (store, _) = trust::load(&docval_server::config::TrustConfig {
        test_pki: true,
        ..config.trust.clone()
    })
    .unwrap();
    Arc::new(AppState::new(config, store).unwrap())
}

fn ref1() -> VirtualChip {
    VirtualChip::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/documents/ref-1")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_metrics_after_a_session() {
    let st = state(Config::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, st, std::future::pending()));
    let http = reqwest::Client::new();
    for path in ["/actuator/health", "/healthz"] {
        let r = http.get(format!("http://{addr}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "{\"status\":\"UP\"}");
    }
    let out = run_phone(
        &mut ref1(),
        &PhoneOptions::new(
            &format!("ws://{addr}/ws1/validate"),
            "YOUR CLIENT ID",
            Access::Can("123456".into()),
        ),
    )
    .await
    .unwrap();
    assert_eq!(out.code(), Some(1000));
    // The server records the session's outcome after it sent the close frame: wait for that
    // state (bounded), not for a time.
    let mut m = String::new();
    for _ in 0..500 {
        m = http
            .get(format!("http://{addr}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if m.contains("docval_sessions_active 0") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(m.contains("docval_sessions_active 0"), "{m}");
    assert!(m.contains("docval_sessions_started_total 1"), "{m}");
    assert!(m.contains("docval_session_outcomes_total{reason=\"NORMAL\"} 1"), "{m}");
    assert!(m.contains(&format!("docval_apdus_total {}", out.apdus)), "{m}");
    assert!(m.contains("docval_step_seconds_count{step=\"READ_DG2\"} 1"), "{m}");
    // No passport data in the metrics.
    assert!(!m.contains("MUSTER"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_limit_refuses_cleanly() {
    let st = state(Config {
        max_sessions: 0,
        ..Config::default()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, st, std::future::pending()));
    let err = run_phone(
        &mut ref1(),
        &PhoneOptions::new(
            &format!("ws://{addr}/ws1/validate"),
            "YOUR CLIENT ID",
            Access::Can("123456".into()),
        ),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("503"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_lets_the_running_session_finish() {
    let st = state(Config::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, st, async {
        let _ = rx.await;
    }));
    let phone = tokio::spawn(async move {
        let mut opts = PhoneOptions::new(
            &format!("ws://{addr}/ws1/validate"),
            "YOUR CLIENT ID",
            Access::Can("123456".into()),
        );
        opts.apdu_delay = Duration::from_millis(20);
        run_phone(&mut ref1(), &opts).await.unwrap()
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    tx.send(()).unwrap();
    let out = phone.await.unwrap();
    assert_eq!(out.code(), Some(1000), "{out:?}");
    assert_eq!(out.statuses.last().map(String::as_str), Some("DONE"));
    server.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_a_configured_certificate() {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let dir = std::env::temp_dir().join(format!("docval-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let st = state(Config::default());
    let (c2, k2) = (cert.clone(), key.clone());
    tokio::spawn(async move { serve_tls(listener, st, &c2, &k2, std::future::pending()).await });
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ck.cert.pem().as_bytes()).unwrap())
        .resolve("localhost", std::net::SocketAddr::from(([127, 0, 0, 1], port)))
        .build()
        .unwrap();
    let mut ok = false;
    for _ in 0..50 {
        if let Ok(r) = http.get(format!("https://localhost:{port}/healthz")).send().await {
            assert_eq!(r.status(), 200);
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ok, "no TLS answer");
    // Plain HTTP to the TLS port does not get an answer.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await;
    assert!(plain.is_err() || plain.map(|r| r.status() != 200).unwrap_or(true));
    let _ = std::fs::remove_dir_all(&dir);
}
