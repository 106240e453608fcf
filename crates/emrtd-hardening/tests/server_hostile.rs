//! Malicious chips and malicious clients against docval-server over real WebSocket
//! connections on 127.0.0.1 (the server in-process, as in its own tests). Each scenario
//! asserts the close code and reason (or the verdict in the result) and that the server keeps
//! serving afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// What a raw client saw.
#[derive(Debug, Default)]
struct Seen {
    statuses: Vec<String>,
    text_close: Option<(u64, Option<String>)>,
    close: Option<(u16, String)>,
    result: Option<Value>,
    commands: u32,
    error: Option<String>,
}

/// A hand-written DocVal client: sends `first` frames, then for each command from the server
/// asks `answer(n, command)` which frames to send back (the virtual chip usually).
async fn raw_session<F>(url: &str, first: Vec<Message>, mut answer: F) -> Seen
where
    F: FnMut(u32, &[u8]) -> Vec<Message>,
{
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    for m in first {
        ws.send(m).await.unwrap();
    }
    let mut seen = Seen::default();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let msg = match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => panic!("the server never ended the session: {seen:?}"),
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                seen.error = Some(e.to_string());
                break;
            }
            Ok(Some(Ok(m))) => m,
        };
        match msg {
            Message::Binary(cmd) => {
                seen.commands += 1;
                for m in answer(seen.commands, &cmd) {
                    if let Err(e) = ws.send(m).await {
                        seen.error = Some(e.to_string());
                    }
                }
            }
            Message::Text(t) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                if let Some(s) = v.get("status").and_then(Value::as_str) {
                    seen.statuses.push(s.to_string());
                }
                if let Some(p) = v.get("emrtd_passport") {
                    seen.result = Some(p.clone());
                }
                if let Some(c) = v.get("close_code").and_then(Value::as_u64) {
                    let reason = v.get("close_reason").and_then(Value::as_str).map(str::to_string);
                    seen.text_close = Some((c, reason));
                }
            }
            Message::Close(f) => {
                if let Some(f) = f {
                    seen.close = Some((u16::from(f.code), f.reason.to_string()));
                }
                break;
            }
            _ => {}
        }
    }
    seen
}

fn start_text(url: &str) -> Message {
    Message::Text(phone_can(url, "YOUR CLIENT ID").start_message().to_string().into())
}

fn assert_reason(seen: &Seen, code: u16, reason: &str) {
    assert_eq!(seen.close, Some((code, reason.to_string())), "{seen:?}");
    assert_eq!(
        seen.text_close,
        Some((u64::from(code), Some(reason.to_string()))),
        "{seen:?}"
    );
    assert!(seen.result.is_none());
}

/// The server still verifies a genuine document (after an attack) and has no session left.
async fn assert_still_serving(server: &Server) {
    let out = emrtd_phone::run_phone(&mut chip("ref-1"), &phone_can(&server.url, "YOUR CLIENT ID"))
        .await
        .unwrap();
    assert_eq!(out.code(), Some(1000), "{out:?}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while server.state.metrics.sessions_active.load(Ordering::Relaxed) != 0 {
        assert!(tokio::time::Instant::now() < deadline, "a session was never released");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c01_text_frame_instead_of_an_apdu_response() {
    let server = Server::start(quick_config()).await;
    let mut c = chip("ref-1");
    let seen = raw_session(&server.url, vec![start_text(&server.url)], |n, cmd| {
        if n == 5 {
            vec![Message::Text("{\"sw\":\"9000\"}".into())]
        } else {
            vec![Message::Binary(c.transmit(cmd).into())]
        }
    })
    .await;
    assert_reason(&seen, 1008, "UNEXPECTED_MESSAGE");
    assert_eq!(seen.commands, 5);
    assert_still_serving(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c02_oversized_binary_frame_is_refused() {
    let server = Server::start(quick_config()).await;
    let max = server.state.config.max_message_bytes;
    let mut c = chip("ref-1");
    let seen = raw_session(&server.url, vec![start_text(&server.url)], |n, cmd| {
        if n == 3 {
            vec![Message::Binary(vec![0x90; max + 1].into())]
        } else {
            vec![Message::Binary(c.transmit(cmd).into())]
        }
    })
    .await;
    // The WebSocket layer refuses the message (1009 Message Too Big); the reading stops on
    // the failed receive. Nothing was verified.
    assert!(seen.result.is_none(), "{seen:?}");
    assert_eq!(seen.commands, 3, "{seen:?}");
    assert_eq!(
        seen.text_close,
        Some((1011, Some("COMMUNICATION_FAILED".to_string()))),
        "{seen:?}"
    );
    // The close frame may be lost: the server's WebSocket layer drops the connection after
    // the protocol error.
    match &seen.close {
        None | Some((1009, _)) => {}
        Some((1011, r)) if r == "COMMUNICATION_FAILED" => {}
        other => panic!("unexpected end {other:?}: {seen:?}"),
    }
    assert_still_serving(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c03_binary_frame_at_the_limit_is_read_as_a_response() {
    // Control of c02: a frame of exactly max_message_bytes passes the WebSocket layer and is
    // refused by the relay as a malformed APDU response (larger than any extended response).
    let server = Server::start(quick_config()).await;
    let max = server.state.config.max_message_bytes;
    assert!(max > emrtd_transport::MAX_RESPONSE_BYTES);
    let mut c = chip("ref-1");
    let seen = raw_session(&server.url, vec![start_text(&server.url)], |n, cmd| {
        if n == 3 {
            vec![Message::Binary(vec![0x90; max].into())]
        } else {
            vec![Message::Binary(c.transmit(cmd).into())]
        }
    })
    .await;
    assert_reason(&seen, 1011, "COMMUNICATION_FAILED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c04_responses_before_commands() {
    // The client sends a response nobody asked for right after the StartMessage, then
    // answers every command: every response arrives one command late.
    let server = Server::start(quick_config()).await;
    let mut c = chip("ref-1");
    let seen = raw_session(
        &server.url,
        vec![start_text(&server.url), Message::Binary(vec![0x90, 0x00].into())],
        |_, cmd| vec![Message::Binary(c.transmit(cmd).into())],
    )
    .await;
    // The unsolicited 9000 is taken as the (empty) EF.ATR/INFO, the real EF.ATR/INFO as the
    // answer to the PACE set-up: access control fails, nothing is read.
    assert_reason(&seen, 4403, "ACCESS_CONTROL_FAILED");
    assert_eq!(seen.commands, 2);
    assert_still_serving(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c05_a_burst_of_unsolicited_responses() {
    // 50 responses before the first command.
    let server = Server::start(quick_config()).await;
    let mut c = chip("ref-1");
    let mut first = vec![start_text(&server.url)];
    first.extend((0..50).map(|_| Message::Binary(vec![0x90, 0x00].into())));
    let seen = raw_session(&server.url, first, |_, cmd| {
        vec![Message::Binary(c.transmit(cmd).into())]
    })
    .await;
    assert_reason(&seen, 4403, "ACCESS_CONTROL_FAILED");
    assert_still_serving(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c06_binary_frame_instead_of_the_start_message() {
    let server = Server::start(quick_config()).await;
    let seen = raw_session(
        &server.url,
        vec![Message::Binary(vec![0x00, 0xA4].into())],
        |_, _| vec![],
    )
    .await;
    assert_reason(&seen, 1008, "UNEXPECTED_MESSAGE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c07_oversized_start_message() {
    let server = Server::start(quick_config()).await;
    let mut start = phone_can(&server.url, "YOUR CLIENT ID").start_message();
    start["platform"] = "x".repeat(5000).into();
    let seen = raw_session(
        &server.url,
        vec![Message::Text(start.to_string().into())],
        |_, _| vec![],
    )
    .await;
    assert_reason(&seen, 1008, "INVALID_START_MESSAGE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c08_empty_response_frame() {
    let server = Server::start(quick_config()).await;
    let mut c = chip("ref-1");
    let seen = raw_session(&server.url, vec![start_text(&server.url)], |n, cmd| {
        if n == 4 {
            vec![Message::Binary(Vec::new().into())]
        } else {
            vec![Message::Binary(c.transmit(cmd).into())]
        }
    })
    .await;
    assert_reason(&seen, 1011, "COMMUNICATION_FAILED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c09_client_vanishes_mid_session() {
    let server = Server::start(quick_config()).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(&server.url).await.unwrap();
    ws.send(start_text(&server.url)).await.unwrap();
    let mut c = chip("ref-1");
    let mut n = 0;
    while let Some(Ok(m)) = ws.next().await {
        if let Message::Binary(cmd) = m {
            n += 1;
            if n == 8 {
                break;
            }
            ws.send(Message::Binary(c.transmit(&cmd).into())).await.unwrap();
        }
    }
    drop(ws);
    assert_still_serving(&server).await;
    let m = server.state.metrics.render();
    assert!(m.contains("docval_session_outcomes_total{reason=\"NORMAL\"} 1"), "{m}");
    assert!(m.contains("docval_sessions_started_total 2"), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c10_responses_slower_than_the_timeout() {
    let server = Server::start(quick_config()).await;
    let mut opts = phone_can(&server.url, "YOUR CLIENT ID");
    opts.apdu_delay = Duration::from_millis(900);
    let out = emrtd_phone::run_phone(&mut chip("ref-1"), &opts).await.unwrap();
    assert_eq!(out.close_code, Some(1001), "{out:?}");
    assert_eq!(out.close_reason.as_deref(), Some("TIMEOUT_WHILE_WAITING_FOR_RESPONSE"));
    assert!(out.result.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c11_tampered_dg1_over_the_server_is_not_genuine() {
    let server = Server::start(quick_config()).await;
    let mut c = chip("ref-1").with_adversarial(emrtd_sim::Adversarial::TamperedDataGroup { dg: 1 });
    let out = emrtd_phone::run_phone(&mut c, &phone_can(&server.url, "YOUR CLIENT ID"))
        .await
        .unwrap();
    assert_eq!(out.code(), Some(1000), "{out:?}");
    let r = out.result.unwrap();
    assert_eq!(r["passive_authentication"], false);
    assert_eq!(r["passive_authentication_details"]["all_hashes_valid"], false);
    assert_eq!(r["passive_authentication_details"]["sod_signature_valid"], true);
    assert_eq!(r["chip_authentication_result"], "SUCCESS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c12_clone_over_the_server_fails_ca_and_aa() {
    let server = Server::start(quick_config()).await;
    let out = emrtd_phone::run_phone(&mut chip("ref-1-clone"), &phone_can(&server.url, "YOUR CLIENT ID"))
        .await
        .unwrap();
    assert_eq!(out.code(), Some(1000), "{out:?}");
    let r = out.result.unwrap();
    assert_eq!(r["passive_authentication"], true);
    assert_eq!(r["chip_authentication_result"], "FAILED");
    assert_eq!(r["active_authentication_result"], "FAILED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c13_chip_claiming_16_mb_over_the_server() {
    // The server's reader bounds every file (1 MiB): the claim is refused before reading.
    let server = Server::start(quick_config()).await;
    let mut c = chip("ref-1").with_adversarial(emrtd_sim::Adversarial::LyingLength {
        fid: 0x0102,
        extra: 16 * 1024 * 1024,
    });
    let out = emrtd_phone::run_phone(&mut c, &phone_can(&server.url, "YOUR CLIENT ID"))
        .await
        .unwrap();
    assert_eq!(out.close_code, Some(1011), "{out:?}");
    assert_eq!(out.close_reason.as_deref(), Some("FILE_READ_ERROR"));
    // DG2 was not read: far fewer bytes than 16 MB crossed the link.
    assert!(out.bytes_from_chip < 64 * 1024, "{}", out.bytes_from_chip);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c14_mac_failure_mid_session_over_the_server() {
    let server = Server::start(quick_config()).await;
    let mut c = chip("ref-1");
    let mut n = 0u32;
    let out = emrtd_phone::run_phone_with(
        move |cmd: &[u8]| {
            n += 1;
            let mut r = c.transmit(cmd);
            if n >= 20 && c.sm_active() && r.len() > 12 {
                let i = r.len() - 3;
                r[i] ^= 1;
            }
            r
        },
        &phone_can(&server.url, "YOUR CLIENT ID"),
    )
    .await
    .unwrap();
    assert_eq!(out.close_code, Some(1011), "{out:?}");
    assert_eq!(out.close_reason.as_deref(), Some("FILE_READ_ERROR"));
    assert!(out.result.is_none());
}
