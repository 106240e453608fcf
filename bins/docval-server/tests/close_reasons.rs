//! Every documented close reason, triggered over a real WebSocket on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use docval_server::config::{ClientConfig, Config, Timeouts};
use docval_server::{AppState, serve, trust};
use emrtd_phone::{Access, PhoneOptions, PhoneOutcome, run_phone, run_phone_scripted};
use emrtd_sim::{Adversarial, VirtualChip};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn chip(name: &str) -> VirtualChip {
    VirtualChip::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/documents")
            .join(name),
    )
    .unwrap()
}

async fn server(config: Config) -> (String, tokio::sync::oneshot::Sender<()>) {
    // The virtual documents are signed by the test PKI, trusted only on request.
    let (store, _) = trust::load(&docval_server::config::TrustConfig {
        test_pki: true,
        ..config.trust.clone()
    })
    .unwrap();
    let state = Arc::new(AppState::new(config, store).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, state, async {
        let _ = rx.await;
    }));
    (format!("ws://{addr}/ws1/validate"), tx)
}

fn can() -> Access {
    Access::Can("123456".into())
}

fn assert_closed(out: &PhoneOutcome, code: u16, reason: &str) {
    assert_eq!(out.close_code, Some(code), "{out:?}");
    assert_eq!(out.close_reason.as_deref(), Some(reason), "{out:?}");
    assert_eq!(out.text_close, Some((code, Some(reason.to_string()))), "{out:?}");
    assert!(out.result.is_none());
}

fn quick() -> Config {
    Config {
        timeouts: Timeouts {
            start_message: Duration::from_millis(300),
            response: Duration::from_millis(400),
            session: Duration::from_secs(20),
            ..Timeouts::default()
        },
        ..Config::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_message_problems() {
    let (url, _stop) = server(quick()).await;
    let opts = PhoneOptions::new(&url, "YOUR CLIENT ID", can());
    let good = opts.start_message();

    // Broken JSON.
    let out = run_phone_scripted(&mut chip("ref-1"), &opts, vec![Some("{not json".into())])
        .await
        .unwrap();
    assert_closed(&out, 1008, "INVALID_START_MESSAGE");
    // An unknown key.
    let mut unknown = good.clone();
    unknown["favourite_colour"] = "blue".into();
    let out = run_phone_scripted(&mut chip("ref-1"), &opts, vec![Some(unknown.to_string())])
        .await
        .unwrap();
    assert_closed(&out, 1008, "INVALID_START_MESSAGE");
    // A bad CAN.
    let mut bad_can = good.clone();
    bad_can["access_key"]["can"] = "12345".into();
    let out = run_phone_scripted(&mut chip("ref-1"), &opts, vec![Some(bad_can.to_string())])
        .await
        .unwrap();
    assert_closed(&out, 1008, "INVALID_ACCESS_KEY_VALUES");
    // A wrong client id.
    let mut wrong_client = good.clone();
    wrong_client["client_id"] = "SOMEONE ELSE".into();
    let out = run_phone_scripted(&mut chip("ref-1"), &opts, vec![Some(wrong_client.to_string())])
        .await
        .unwrap();
    assert_closed(&out, 4401, "INVALID_CLIENT_ID");
    // A silent client.
    let out = run_phone_scripted(&mut chip("ref-1"), &opts, vec![]).await.unwrap();
    assert_closed(&out, 1001, "TIMEOUT_WHILE_WAITING_FOR_START_MESSAGE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_access_key_fails_access_control() {
    let (url, _stop) = server(quick()).await;
    let out = run_phone(
        &mut chip("ref-1"),
        &PhoneOptions::new(&url, "YOUR CLIENT ID", Access::Can("654321".into())),
    )
    .await
    .unwrap();
    assert_closed(&out, 4403, "ACCESS_CONTROL_FAILED");
    assert_eq!(out.statuses, vec!["READ_ATR_INFO", "ACCESS_CONTROL"]);
    // BAC-only document with a CAN: no silent fallback, access control fails.
    let out = run_phone(
        &mut chip("bac-td3-3des"),
        &PhoneOptions::new(&url, "YOUR CLIENT ID", can()),
    )
    .await
    .unwrap();
    assert_closed(&out, 4403, "ACCESS_CONTROL_FAILED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_text_message_is_unexpected() {
    let (url, _stop) = server(quick()).await;
    let opts = PhoneOptions::new(&url, "YOUR CLIENT ID", can());
    let start = opts.start_message().to_string();
    let out = run_phone_scripted(&mut chip("ref-1"), &opts, vec![Some(start.clone()), Some(start)])
        .await
        .unwrap();
    assert_closed(&out, 1008, "UNEXPECTED_MESSAGE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chip_errors_mid_read() {
    let (url, _stop) = server(quick()).await;
    let opts = PhoneOptions::new(&url, "YOUR CLIENT ID", can());
    // Garbage from the 12th command on: after access control, while reading files.
    let mut c = chip("ref-1").with_adversarial(Adversarial::Garbage { after: 12 });
    let out = run_phone(&mut c, &opts).await.unwrap();
    assert_eq!(out.close_code, Some(1011), "{out:?}");
    let reason = out.close_reason.clone().unwrap();
    assert!(
        reason == "FILE_READ_ERROR" || reason == "EMRTD_PASSPORT_READER_ERROR",
        "{reason}"
    );
    // A file that never ends is refused, not read forever.
    let mut c = chip("ref-1").with_adversarial(Adversarial::EndlessFile { fid: 0x0102 });
    let out = run_phone(&mut c, &opts).await.unwrap();
    assert_closed(&out, 1011, "FILE_READ_ERROR");
    // Bad MACs: no response is trusted.
    let mut c = chip("ref-1").with_adversarial(Adversarial::BadMac);
    let out = run_phone(&mut c, &opts).await.unwrap();
    assert_eq!(out.close_code, Some(1011), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_too_slow_and_session_too_long() {
    let (url, _stop) = server(quick()).await;
    let mut opts = PhoneOptions::new(&url, "YOUR CLIENT ID", can());
    opts.apdu_delay = Duration::from_millis(800);
    let out = run_phone(&mut chip("ref-1"), &opts).await.unwrap();
    assert_closed(&out, 1001, "TIMEOUT_WHILE_WAITING_FOR_RESPONSE");

    let (url, _stop2) = server(Config {
        timeouts: Timeouts {
            start_message: Duration::from_secs(2),
            response: Duration::from_secs(2),
            session: Duration::from_millis(500),
            ..Timeouts::default()
        },
        ..Config::default()
    })
    .await;
    let mut opts = PhoneOptions::new(&url, "YOUR CLIENT ID", can());
    opts.apdu_delay = Duration::from_millis(60);
    let out = run_phone(&mut chip("ref-1"), &opts).await.unwrap();
    assert_closed(&out, 1011, "MAX_SESSION_TIME_EXCEEDED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn result_server_down_then_post_failed() {
    // A port with nothing listening: connection refused on every attempt.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}/results", dead.local_addr().unwrap());
    drop(dead);
    let mut config = quick();
    config.clients = vec![ClientConfig {
        id: "c".into(),
        result_server_url: Some(dead_url),
    }];
    config.post.backoff = Duration::from_millis(10);
    let (url, _stop) = server(config).await;
    let out = run_phone(&mut chip("ref-1"), &PhoneOptions::new(&url, "c", can()))
        .await
        .unwrap();
    assert_closed(&out, 1011, "POST_TO_RESULT_SERVER_FAILED");
    assert_eq!(out.statuses.last().map(String::as_str), Some("DONE"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn result_server_500_then_200_is_retried() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let calls = Arc::new(AtomicU32::new(0));
    let c2 = calls.clone();
    let app = axum::Router::new().route(
        "/r",
        axum::routing::post(move || {
            let c = c2.clone();
            async move {
                if c.fetch_add(1, Ordering::SeqCst) < 2 {
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    axum::http::StatusCode::OK
                }
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rs = format!("http://{}/r", l.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    let mut config = quick();
    config.clients = vec![ClientConfig {
        id: "c".into(),
        result_server_url: Some(rs),
    }];
    config.post.backoff = Duration::from_millis(10);
    let (url, _stop) = server(config).await;
    let out = run_phone(&mut chip("bac-td3-3des"), &{
        let c = chip("bac-td3-3des");
        let m = c.document().manifest.mrz.clone().unwrap();
        PhoneOptions::new(
            &url,
            "c",
            Access::Mrz {
                document_number: m.document_number,
                date_of_birth: m.date_of_birth,
                date_of_expiry: m.date_of_expiry,
            },
        )
    })
    .await
    .unwrap();
    assert_eq!(out.code(), Some(1000), "{out:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_result_post_verifies_at_the_result_server() {
    use docval_server::signing::{SignatureHeaders, SigningKey, verify_post};
    type Received = Vec<(String, SignatureHeaders, Vec<u8>)>;
    let got: Arc<std::sync::Mutex<Received>> = Arc::default();
    let g = got.clone();
    let app = axum::Router::new().route(
        "/r",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let g = g.clone();
            async move {
                let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                g.lock().unwrap().push((
                    h("host"),
                    SignatureHeaders {
                        content_digest: h("content-digest"),
                        signature_input: h("signature-input"),
                        signature: h("signature"),
                    },
                    body.to_vec(),
                ));
                "ok"
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rs = format!("http://{}/r", l.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    let mut config = quick();
    config.clients = vec![ClientConfig {
        id: "c".into(),
        result_server_url: Some(rs.clone()),
    }];
    config.result_signing = Some(SigningKey {
        key_id: "docval-test".into(),
        secret: zeroize::Zeroizing::new(b"0123456789abcdef0123".to_vec()),
    });
    let (url, _stop) = server(config).await;
    let out = run_phone(&mut chip("ref-1"), &PhoneOptions::new(&url, "c", can()))
        .await
        .unwrap();
    assert_eq!(out.code(), Some(1000));
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let (_, headers, body) = &got[0];
    assert!(headers.signature_input.contains("keyid=\"docval-test\""));
    assert!(verify_post(b"0123456789abcdef0123", &rs, body, headers));
    assert!(!verify_post(b"wrong key wrong key!", &rs, body, headers));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_authorization_when_configured() {
    let (url, _stop) = server(Config {
        required_authorization: Some("Bearer s3cret".into()),
        ..quick()
    })
    .await;
    let mut opts = PhoneOptions::new(&url, "YOUR CLIENT ID", can());
    let err = run_phone(&mut chip("ref-1"), &opts).await.unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
    opts.authorization = Some("Bearer s3cret".into());
    let out = run_phone(&mut chip("ref-1"), &opts).await.unwrap();
    assert_eq!(out.code(), Some(1000));
}
