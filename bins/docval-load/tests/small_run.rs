//! A small run of the load generator, so it cannot rot: 40 sessions, 20 at once, against an
//! in-process docval-server on 127.0.0.1, no server-side errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use docval_load::{LoadConfig, Protocol, run_load};
use docval_server::config::Config;
use docval_server::{AppState, serve, trust};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_sessions_twenty_at_once() {
    let config = Config::default();
    // The virtual documents are signed by the test PKI, trusted only on request.
    let (store, _) = trust::load(&docval_server::config::TrustConfig {
        test_pki: true,
        ..config.trust.clone()
    })
    .unwrap();
    let state = Arc::new(AppState::new(config, store).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws1/validate", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, state, std::future::pending()));
    let doc =
        emrtd_sim::Document::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/documents/ref-1"))
            .unwrap();
    let cfg = LoadConfig {
        url,
        protocol: Protocol::V1,
        client_id: "YOUR CLIENT ID".into(),
        sessions: 40,
        concurrency: 20,
        rtt: Duration::from_millis(5),
        phone_read: Duration::ZERO,
        ramp_up: Duration::from_millis(100),
        max_duration: Duration::from_secs(240),
        extended_length: true,
    };
    // The in-process server shares this process: report our own CPU as an upper bound.
    let report = run_load(&cfg, doc, Some(std::process::id())).await.unwrap();
    println!("{}", report.summary());
    assert_eq!(report.completed, 40, "{:?}", report.outcomes);
    assert_eq!(report.errors(), 0);
    assert_eq!(report.apdus, 40 * 36);
    assert_eq!(report.round_trips, 40 * 36);
    assert!(report.session_p99_ms >= report.session_p50_ms);
    assert!(report.turnaround_p99_us >= report.turnaround_p50_us);
    assert!(report.server_cpu_seconds.unwrap() > 0.0);
}

/// v2 phones against the scripted v2 server of emrtd-phone (the server state machine without
/// verification): only START, CA_HANDOVER and the chip-authentication relay cross the network.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_sessions_pay_round_trips_only_for_the_relay() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws2/validate", listener.local_addr().unwrap());
    let server = tokio::spawn(emrtd_phone::v2::scripted::serve_forever(listener));
    let doc =
        emrtd_sim::Document::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/documents/ref-1"))
            .unwrap();
    let rtt = Duration::from_millis(20);
    let cfg = LoadConfig {
        url,
        protocol: Protocol::V2,
        client_id: "YOUR CLIENT ID".into(),
        sessions: 20,
        concurrency: 10,
        rtt,
        phone_read: Duration::ZERO,
        ramp_up: Duration::ZERO,
        max_duration: Duration::from_secs(120),
        extended_length: true,
    };
    let report = run_load(&cfg, doc, None).await.unwrap();
    println!("{}", report.summary());
    server.abort();
    assert_eq!(report.completed, 20, "{:?}", report.outcomes);
    assert_eq!(report.errors(), 0);
    // REF-1 (CA-ECDH-AES): MSE:Set AT, GENERAL AUTHENTICATE, READ BINARY DG1 under the new keys.
    assert_eq!(report.apdus, 20 * 3);
    assert_eq!(report.round_trips, 20 * (2 + 3));
    assert!(
        report.session_p50_ms >= 5 * rtt.as_millis() as u64,
        "{}",
        report.summary()
    );
}
