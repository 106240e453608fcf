//! DocVal v2 at the wire, over real sockets on 127.0.0.1, with frames built by hand exactly as
//! the notes' examples (`docval-v2-protocol-notes.md` §3) and the vendor's Android and iOS
//! clients send them — not through the project's own virtual phone. The files uploaded are the
//! fixture documents' elementary files, byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use base64::Engine;
use common::{fixtures, result_server, start_server};
use docval_server::config::{ClientConfig, Config, Timeouts};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn doc_file(doc: &str, fid: &str) -> Vec<u8> {
    let p = fixtures().join(doc).join(format!("{fid}.bin"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The elementary file of `name` (`sod`, `dgN`) in a fixture document.
fn file(doc: &str, name: &str) -> Vec<u8> {
    let fid = match name {
        "sod" => "011D".to_string(),
        n => format!("01{:02X}", n.trim_start_matches("dg").parse::<u8>().unwrap()),
    };
    doc_file(doc, &fid)
}

fn file_frame(name: &str, data: &[u8]) -> Message {
    let mut f = vec![0x01, name.len() as u8];
    f.extend_from_slice(name.as_bytes());
    f.extend_from_slice(data);
    Message::Binary(f.into())
}

struct Server {
    base: String,
    posts: Arc<Mutex<Vec<Value>>>,
}

async fn start(timeouts: Timeouts) -> Server {
    let (url, posts) = result_server().await;
    let addr = start_server(Config {
        clients: vec![ClientConfig {
            id: "example_client".into(),
            result_server_url: Some(url),
        }],
        timeouts,
        ..Config::default()
    })
    .await;
    Server {
        base: format!("ws://{addr}"),
        posts,
    }
}

fn quick() -> Timeouts {
    Timeouts {
        start_message: Duration::from_millis(400),
        response: Duration::from_millis(400),
        v2_reading: Duration::from_millis(800),
        ..Timeouts::default()
    }
}

async fn connect(server: &Server, query: &str) -> Ws {
    tokio_tungstenite::connect_async(format!("{}/ws2/validate{query}", server.base))
        .await
        .unwrap()
        .0
}

/// Everything the server sent until it closed.
#[derive(Debug, Default)]
struct Ended {
    texts: Vec<Value>,
    binaries: Vec<Vec<u8>>,
    close_frame: Option<(u16, String)>,
}

impl Ended {
    fn close_message(&self) -> (u64, String) {
        let c = self
            .texts
            .iter()
            .find(|t| t["type"] == "CLOSE")
            .unwrap_or_else(|| panic!("no CLOSE message: {self:?}"));
        // Both keys always present (Android parses them as mandatory).
        (c["code"].as_u64().unwrap(), c["reason"].as_str().unwrap().to_string())
    }

    fn assert_closed(&self, code: u16, reason: &str) {
        assert_eq!(self.close_message(), (u64::from(code), reason.to_string()), "{self:?}");
        assert_eq!(self.close_frame, Some((code, reason.to_string())), "{self:?}");
        assert_eq!(
            self.texts.last().map(|t| t["type"].clone()),
            Some(json!("CLOSE")),
            "CLOSE comes last"
        );
    }
}

async fn until_closed(ws: &mut Ws) -> Ended {
    let mut out = Ended::default();
    let run = async {
        while let Some(m) = ws.next().await {
            match m {
                Ok(Message::Text(t)) => out.texts.push(serde_json::from_str(t.as_str()).unwrap()),
                Ok(Message::Binary(b)) => out.binaries.push(b.to_vec()),
                Ok(Message::Close(c)) => {
                    out.close_frame = c.map(|c| (u16::from(c.code), c.reason.to_string()));
                    break;
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), run)
        .await
        .expect("the server closes");
    out
}

async fn next_text(ws: &mut Ws) -> Value {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await.unwrap() {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(t.as_str()).unwrap(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

const ANDROID_START: &str = r#"{"type":"START","validationId":"5b0d7a8e-1f7c-4c55-9a55-0a3c1e0f2d11","clientId":"example_client","platform":"android","nfcAdapterSupportsExtendedLength":false,"enableDiagnostics":false}"#;
const IOS_START: &str = r#"{"type":"START","validationId":"0C7E1D2A-6B1F-4F5E-9A55-3D2C1B0A9F88","clientId":"example_client","platform":"iOS","nfcAdapterSupportsExtendedLength":true,"enableDiagnostics":true}"#;

/// START then ACCEPT, whose challenge is 8 bytes of standard base64 with padding.
async fn started(ws: &mut Ws, start: &str) -> Vec<u8> {
    ws.send(Message::Text(start.into())).await.unwrap();
    let accept = next_text(ws).await;
    assert_eq!(accept["type"], "ACCEPT", "{accept}");
    let c = accept["activeAuthenticationChallenge"].as_str().unwrap();
    assert_eq!(c.len(), 12);
    let challenge = base64::engine::general_purpose::STANDARD.decode(c).unwrap();
    assert_eq!(challenge.len(), 8);
    challenge
}

async fn wait_for_posts(server: &Server, n: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let posts = server.posts.lock().unwrap().clone();
        if posts.len() >= n {
            return posts;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{n} POSTs expected, got {}",
            posts.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Android, as the notes' examples: START, files (data groups, then `sod` last), FINISH
/// without the signature key; RESULT in camelCase without nulls, CLOSE 1000, and the v1 POST
/// body with `client_validation_id`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn android_frames_as_in_the_notes_without_chip_authentication() {
    let server = start(quick()).await;
    // Android appends return_result=true; FINISH's sendResult is what counts.
    let mut ws = connect(&server, "?return_result=true").await;
    started(&mut ws, ANDROID_START).await;
    ws.send(file_frame("dg1", &file("bac-td3-3des", "dg1"))).await.unwrap();
    ws.send(file_frame("sod", &file("bac-td3-3des", "sod"))).await.unwrap();
    ws.send(Message::Text(r#"{"type":"FINISH","sendResult":true}"#.into()))
        .await
        .unwrap();
    let end = until_closed(&mut ws).await;
    end.assert_closed(1000, "");
    let result = end.texts.iter().find(|t| t["type"] == "RESULT").expect("RESULT");
    let p = &result["passport"];
    assert_eq!(p["passiveAuthentication"], true, "{p}");
    assert_eq!(p["mrzInfo"]["documentCode"], "P");
    assert_eq!(p["chipAuthenticationResult"], "UNAVAILABLE");
    assert_eq!(p["activeAuthenticationResult"], "UNAVAILABLE");
    assert!(p.get("facePhoto").is_none(), "absent, never null: {p}");
    assert!(p["passiveAuthenticationDetails"].get("error").is_some());
    assert_eq!(p["errors"], json!([]));
    let posts = wait_for_posts(&server, 1).await;
    assert_eq!(posts[0]["client_validation_id"], "5b0d7a8e-1f7c-4c55-9a55-0a3c1e0f2d11");
    assert_eq!(posts[0]["emrtd_passport"]["passive_authentication"], true);
    assert_eq!(
        posts[0]["emrtd_passport"]["mrz_info"]["document_number"],
        p["mrzInfo"]["documentNumber"]
    );
    // The v1 model in the POST: every key present, nulls included.
    assert!(posts[0]["emrtd_passport"].get("face_photo").unwrap().is_null());
}

/// iOS: a ping right after the upgrade answered at once (it gives up after 3 s), platform
/// `"iOS"`, FINISH with a `null` signature, and fire-and-forget: the phone disconnects right
/// after FINISH and the result is still POSTed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ios_ping_null_signature_and_fire_and_forget() {
    let server = start(quick()).await;
    let mut ws = connect(&server, "").await;
    ws.send(Message::Ping(b"ios".to_vec().into())).await.unwrap();
    let pong = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            if let Some(Ok(Message::Pong(p))) = ws.next().await {
                return p;
            }
        }
    })
    .await
    .expect("pong within iOS's 3 s");
    assert_eq!(&pong[..], b"ios");
    started(&mut ws, IOS_START).await;
    ws.send(Message::Text(r#"{"type":"MONITORING","message":"Reading SOD"}"#.into()))
        .await
        .unwrap();
    // iOS sends files in dictionary order.
    for name in ["dg1", "sod"] {
        ws.send(file_frame(name, &file("bac-td3-3des", name))).await.unwrap();
    }
    ws.send(Message::Text(
        r#"{"type":"FINISH","sendResult":true,"activeAuthenticationSignature":null}"#.into(),
    ))
    .await
    .unwrap();
    drop(ws);
    let posts = wait_for_posts(&server, 1).await;
    assert_eq!(posts[0]["client_validation_id"], "0C7E1D2A-6B1F-4F5E-9A55-3D2C1B0A9F88");
    assert_eq!(posts[0]["emrtd_passport"]["passive_authentication"], true);
}

/// REF-1 lists DG14 and DG15 in its EF.SOD. A phone that uploads every genuine file but
/// withholds DG14 (and never hands over) gets chip authentication FAILED, not UNAVAILABLE;
/// with DG14 but no handover, also FAILED; DG15 without a signature over the server's
/// challenge is active authentication FAILED; a forged signature too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withheld_chip_and_active_authentication_fail() {
    let server = start(quick()).await;
    let all = ["dg1", "dg2", "dg7", "dg11", "dg12", "dg14", "dg15", "sod"];
    let cases: [(&[&str], Option<&str>, &str, &str); 3] = [
        (&["dg14"], None, "FAILED", "FAILED"),
        (
            &[],
            Some("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QA=="),
            "FAILED",
            "FAILED",
        ),
        (&["dg15"], None, "FAILED", "FAILED"),
    ];
    for (i, (withheld, signature, ca, aa)) in cases.into_iter().enumerate() {
        let mut ws = connect(&server, "").await;
        started(&mut ws, ANDROID_START).await;
        for name in all.iter().filter(|n| !withheld.contains(n)) {
            ws.send(file_frame(name, &file("ref-1", name))).await.unwrap();
        }
        let finish = match signature {
            Some(s) => json!({"type":"FINISH","sendResult":false,"activeAuthenticationSignature":s}),
            None => json!({"type":"FINISH","sendResult":false}),
        };
        ws.send(Message::Text(finish.to_string().into())).await.unwrap();
        let end = until_closed(&mut ws).await;
        end.assert_closed(1000, "");
        assert!(
            end.texts.iter().all(|t| t["type"] != "RESULT"),
            "sendResult false: no RESULT"
        );
        let posts = wait_for_posts(&server, i + 1).await;
        let p = &posts[i]["emrtd_passport"];
        assert_eq!(p["chip_authentication_result"], ca, "case {i}: {}", p["errors"]);
        assert_eq!(p["active_authentication_result"], aa, "case {i}: {}", p["errors"]);
        assert_eq!(
            p["passive_authentication"], true,
            "the genuine files pass PA: {}",
            p["errors"]
        );
    }
}

/// A DG1 altered by the phone fails passive authentication.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_altered_dg1_fails_passive_authentication() {
    let server = start(quick()).await;
    let mut ws = connect(&server, "").await;
    started(&mut ws, ANDROID_START).await;
    let mut dg1 = file("bac-td3-3des", "dg1");
    let last = dg1.len() - 3;
    dg1[last] ^= 0x01;
    ws.send(file_frame("dg1", &dg1)).await.unwrap();
    ws.send(file_frame("sod", &file("bac-td3-3des", "sod"))).await.unwrap();
    ws.send(Message::Text(r#"{"type":"FINISH","sendResult":true}"#.into()))
        .await
        .unwrap();
    let end = until_closed(&mut ws).await;
    end.assert_closed(1000, "");
    let p = &end.texts.iter().find(|t| t["type"] == "RESULT").unwrap()["passport"];
    assert_eq!(p["passiveAuthentication"], false);
    assert_eq!(p["passiveAuthenticationDetails"]["allHashesValid"], false);
    assert!(
        !p["passiveAuthenticationDetails"]["dataGroupsWithValidHash"]
            .as_array()
            .unwrap()
            .contains(&json!(1))
    );
}

enum Step {
    Text(String),
    Binary(Vec<u8>),
    /// Wait for the server's next binary frame (a relayed APDU).
    AwaitApdu,
    /// Send nothing more; the server's timeout ends the session.
    Idle,
}

fn handover() -> String {
    json!({"type":"CA_HANDOVER","maxTransceiveLengthForSecureMessaging":261,"maxBlockSize":223,
        "secureMessagingInfo":{"algorithm":"AES","encKey":"ABEiM0RVZneImaq7zN3u/w==","macKey":"/+7dzLuqmYh3ZlVEMyIRAA==","ssc":12}})
    .to_string()
}

fn file_bytes(name: &str, data: &[u8]) -> Vec<u8> {
    let Message::Binary(b) = file_frame(name, data) else {
        unreachable!()
    };
    b.to_vec()
}

/// Every protocol error of the notes, each with its CLOSE message and close frame.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_errors_close_with_their_code_and_reason() {
    let server = start(quick()).await;
    let dg14 = file("ref-1", "dg14");
    let t = |s: &str| Step::Text(s.to_string());
    /// Name, START (if any), what the phone sends, close code, reason.
    type Case<'a> = (&'a str, Option<&'a str>, Vec<Step>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            "wrong first message",
            None,
            vec![t(r#"{"type":"FINISH","sendResult":true}"#)],
            1008,
            "PROTOCOL_ERROR",
        ),
        (
            "a v1 StartMessage on /ws2",
            None,
            vec![t(
                r#"{"client_id":"example_client","validation_id":"x","access_key":{"can":"123456"},"nfc_adapter_supports_extended_length":true,"platform":"android"}"#,
            )],
            1008,
            "PROTOCOL_ERROR",
        ),
        (
            "START with a wrong JSON type",
            None,
            vec![t(r#"{"type":"START","clientId":7}"#)],
            1008,
            "PROTOCOL_ERROR",
        ),
        (
            "a binary frame before START",
            None,
            vec![Step::Binary(vec![0x02, 0x90, 0x00])],
            1008,
            "PROTOCOL_ERROR",
        ),
        (
            "unknown type",
            Some(ANDROID_START),
            vec![t(r#"{"type":"HELLO"}"#)],
            1008,
            "PROTOCOL_ERROR",
        ),
        (
            "a server type from the client",
            Some(ANDROID_START),
            vec![t(r#"{"type":"ACCEPT","activeAuthenticationChallenge":"AAAAAAAAAAA="}"#)],
            1008,
            "PROTOCOL_ERROR",
        ),
        (
            "second START",
            Some(ANDROID_START),
            vec![t(ANDROID_START)],
            1008,
            "PROTOCOL_ERROR",
        ),
        (
            "unknown binary prefix",
            Some(ANDROID_START),
            vec![Step::Binary(vec![0x07, 1, 2, 3])],
            1008,
            "PROTOCOL_ERROR",
        ),
        (
            "empty binary frame",
            Some(ANDROID_START),
            vec![Step::Binary(vec![])],
            1008,
            "PROTOCOL_ERROR",
        ),
        (
            "FILE name too long",
            Some(ANDROID_START),
            vec![Step::Binary(file_bytes(&"d".repeat(40), &[0x61, 0x00]))],
            1008,
            "PROTOCOL_ERROR",
        ),
        (
            "duplicate file",
            Some(ANDROID_START),
            vec![
                Step::Binary(file_bytes("dg1", &[0x61, 0x00])),
                Step::Binary(file_bytes("dg1", &[0x61, 0x00])),
            ],
            1008,
            "PROTOCOL_ERROR",
        ),
        (
            "CA_HANDOVER without dg14",
            Some(ANDROID_START),
            vec![Step::Text(handover())],
            1008,
            "PROTOCOL_ERROR",
        ),
        (
            "an APDU outside the relay",
            Some(ANDROID_START),
            vec![Step::Binary(vec![0x02, 0x90, 0x00])],
            1008,
            "PROTOCOL_ERROR",
        ),
        (
            "FINISH before CA_HANDBACK",
            Some(ANDROID_START),
            vec![
                Step::Binary(file_bytes("dg14", &dg14)),
                Step::Text(handover()),
                Step::AwaitApdu,
                t(r#"{"type":"FINISH","sendResult":true}"#),
            ],
            1008,
            "PROTOCOL_ERROR",
        ),
        (
            "a FILE during the relay",
            Some(ANDROID_START),
            vec![
                Step::Binary(file_bytes("dg14", &dg14)),
                Step::Text(handover()),
                Step::AwaitApdu,
                Step::Binary(file_bytes("dg2", &[0x75, 0x00])),
            ],
            1008,
            "PROTOCOL_ERROR",
        ),
        (
            "iOS cannot forward a relayed APDU (6F00)",
            Some(IOS_START),
            vec![
                Step::Binary(file_bytes("dg14", &dg14)),
                Step::Text(handover()),
                Step::AwaitApdu,
                Step::Binary(vec![0x02, 0x6F, 0x00]),
            ],
            1011,
            "EMRTD_PASSPORT_READER_ERROR",
        ),
        (
            "a relayed APDU never answered",
            Some(ANDROID_START),
            vec![
                Step::Binary(file_bytes("dg14", &dg14)),
                Step::Text(handover()),
                Step::AwaitApdu,
                Step::Idle,
            ],
            1001,
            "TIMEOUT_WHILE_WAITING_FOR_RESPONSE",
        ),
        (
            "unknown clientId",
            None,
            vec![t(&ANDROID_START.replace("example_client", "nobody"))],
            4401,
            "INVALID_CLIENT_ID",
        ),
        (
            "no START",
            None,
            vec![Step::Idle],
            1001,
            "TIMEOUT_WHILE_WAITING_FOR_START_MESSAGE",
        ),
        (
            "a phone that reads and never finishes (iOS before 2.13 after an NFC error)",
            Some(IOS_START),
            vec![Step::Idle],
            1001,
            "TIMEOUT_WHILE_WAITING_FOR_RESPONSE",
        ),
    ];
    for (name, start, steps, code, reason) in cases {
        let mut ws = connect(&server, "").await;
        if let Some(s) = start {
            started(&mut ws, s).await;
        }
        for step in steps {
            match step {
                Step::Text(s) => ws.send(Message::Text(s.into())).await.unwrap(),
                Step::Binary(b) => ws.send(Message::Binary(b.into())).await.unwrap(),
                Step::AwaitApdu => loop {
                    match tokio::time::timeout(Duration::from_secs(10), ws.next()).await.unwrap() {
                        Some(Ok(Message::Binary(b))) => {
                            assert_eq!(b.first(), Some(&0x02), "{name}: an APDU frame");
                            break;
                        }
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                        other => panic!("{name}: expected an APDU, got {other:?}"),
                    }
                },
                Step::Idle => {}
            }
        }
        let end = until_closed(&mut ws).await;
        assert_eq!(
            end.close_message(),
            (u64::from(code), reason.to_string()),
            "{name}: {end:?}"
        );
        assert_eq!(end.close_frame, Some((code, reason.to_string())), "{name}");
    }
    assert!(
        server.posts.lock().unwrap().is_empty(),
        "no protocol error produced a result"
    );
}

/// v1 frames never appear on /ws2 (they break both v2 clients, notes §3.5): every text frame
/// the server sends has a `type`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_text_frame_is_typed() {
    let server = start(quick()).await;
    let mut ws = connect(&server, "").await;
    started(&mut ws, ANDROID_START).await;
    for name in ["dg1", "sod"] {
        ws.send(file_frame(name, &file("bac-td3-3des", name))).await.unwrap();
    }
    ws.send(Message::Text(r#"{"type":"FINISH","sendResult":true}"#.into()))
        .await
        .unwrap();
    let end = until_closed(&mut ws).await;
    let types: Vec<&str> = end.texts.iter().map(|t| t["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["RESULT", "CLOSE"]);
}
