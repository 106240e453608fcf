//! The AusweisApp SDK interface over real WebSocket connections on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{Client, normalize, replay, start_bridge, transcript};
use emrtd_bridge::ausweisapp::AusweisConfig;
use serde_json::{Value, json};
use std::sync::Arc;

const READER_EMPTY: &str =
    r#"{"attached":true,"card":null,"insertable":true,"keypad":false,"msg":"READER","name":"Simulator"}"#;

fn card_reader(retry: i64) -> String {
    format!(
        r#"{{"attached":true,"card":{{"deactivated":false,"inoperative":false,"retryCounter":{retry}}},"insertable":true,"keypad":false,"msg":"READER","name":"Simulator"}}"#
    )
}

fn reader_obj(retry: i64) -> String {
    format!(
        r#"{{"attached":true,"card":{{"deactivated":false,"inoperative":false,"retryCounter":{retry}}},"insertable":true,"keypad":false,"name":"Simulator"}}"#
    )
}

async fn connected(config: AusweisConfig) -> Client {
    let url = start_bridge(config).await;
    let mut c = Client::connect(&url).await;
    c.expect(r#"{"attached":true,"card":null,"insertable":false,"keypad":false,"msg":"READER","name":"Simulator"}"#)
        .await;
    c.expect(READER_EMPTY).await;
    c
}

/// Every command and message of the recorded AusweisApp2 1.26.2 exchange, with the
/// Simulator's PIN pad on as in 1.26.2; only the documented difference (INFO's version
/// information) is normalized away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transcript_of_ausweisapp2_1_26_2_is_reproduced() {
    let url = start_bridge(AusweisConfig {
        simulator_keypad: true,
        ..AusweisConfig::default()
    })
    .await;
    let blocks = transcript();
    assert_eq!(blocks.len(), 5);
    assert_eq!(blocks[3].title.split(' ').nth(1), Some("5"));
    assert_eq!(blocks[4].title.split(' ').nth(1), Some("6"));
    let got = replay(&url, &blocks).await;
    let mut compared = 0;
    for (b, (connect, steps)) in blocks.iter().zip(got) {
        assert_eq!(connect, b.connect, "{}: connect", b.title);
        for (s, got) in b.steps.iter().zip(steps) {
            let want: Vec<String> = s.expect.iter().map(|m| normalize(m)).collect();
            let got: Vec<String> = got.iter().map(|m| normalize(m)).collect();
            assert_eq!(got, want, "{}: {}", b.title, s.send);
            compared += want.len();
        }
    }
    assert!(compared >= 55, "{compared}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_levels_and_documented_info() {
    let mut c = connected(AusweisConfig::default()).await;
    let v = c.call(r#"{"cmd":"GET_API_LEVEL"}"#).await;
    // Only the implemented levels are advertised: level 3 (PAUSE / CONTINUE) is not.
    assert_eq!(v, json!({"msg":"API_LEVEL","available":[1,2],"current":2}));
    c.send(r#"{"cmd":"CONTINUE"}"#).await;
    c.expect(r#"{"error":"CONTINUE","msg":"UNKNOWN_COMMAND"}"#).await;
    c.send(r#"{"cmd":"SET_API_LEVEL","level":3}"#).await;
    c.expect(r#"{"current":2,"error":"Unknown level","msg":"API_LEVEL"}"#)
        .await;
    c.send(r#"{"cmd":"SET_API_LEVEL","level":1}"#).await;
    c.expect(r#"{"current":1,"msg":"API_LEVEL"}"#).await;
    c.send(r#"{"cmd":"CONTINUE","request":7}"#).await;
    c.expect(r#"{"error":"CONTINUE","msg":"UNKNOWN_COMMAND","request":7}"#)
        .await;
    // As AusweisApp2 1.26.2: a level that is no number is "Invalid level".
    c.send(r#"{"cmd":"SET_API_LEVEL","level":"2"}"#).await;
    c.expect(r#"{"current":1,"error":"Invalid level","msg":"API_LEVEL"}"#)
        .await;
    let v = c.call(r#"{"cmd":"GET_INFO"}"#).await;
    assert_eq!(v["VersionInfo"]["Specification-Title"], "TR-03124");
    assert_eq!(v["VersionInfo"]["Name"], "emrtd-bridge");
    c.send("[1]").await;
    c.expect(r#"{"error":"Command cannot be undefined","msg":"INVALID"}"#)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origin_gets_403_and_a_second_connection_429() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = start_bridge(AusweisConfig {
        origins: emrtd_bridge::origin::OriginPolicy::new(&["http://allowed.example"]).unwrap(),
        ..AusweisConfig::default()
    })
    .await;
    let mut req = url.as_str().into_client_request().unwrap();
    req.headers_mut()
        .insert("Origin", "http://evil.example".parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 403),
        other => panic!("expected 403, got {other:?}"),
    }
    let mut req = url.as_str().into_client_request().unwrap();
    req.headers_mut()
        .insert("Origin", "http://allowed.example".parse().unwrap());
    let (allowed, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    match tokio_tungstenite::connect_async(url.as_str()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 429),
        other => panic!("expected 429, got {other:?}"),
    }
    drop(allowed);
    // Once the first connection is gone, a new one is accepted (trailing slash too).
    let mut ok = None;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        if let Ok(c) = tokio_tungstenite::connect_async(format!("{url}/")).await {
            ok = Some(c);
            break;
        }
    }
    assert!(ok.is_some());
}

async fn change_pin_until_enter_pin(c: &mut Client) {
    c.send(r#"{"cmd":"RUN_CHANGE_PIN"}"#).await;
    c.expect(r#"{"msg":"CHANGE_PIN"}"#).await;
    c.expect(r#"{"msg":"INSERT_CARD"}"#).await;
    c.send(r#"{"cmd":"SET_CARD","name":"Simulator"}"#).await;
    c.expect(&card_reader(3)).await;
    c.expect(&format!(r#"{{"msg":"ENTER_PIN","reader":{}}}"#, reader_obj(3)))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_pin_on_the_virtual_eid_card() {
    let mut c = connected(AusweisConfig::default()).await;
    change_pin_until_enter_pin(&mut c).await;
    let v = c.call(r#"{"cmd":"GET_STATUS"}"#).await;
    assert_eq!(
        v,
        json!({"msg":"STATUS","progress":0,"state":"ENTER_PIN","workflow":"CHANGE_PIN"})
    );
    // Value checks: the counter is not touched.
    c.send(r#"{"cmd":"SET_PIN"}"#).await;
    c.expect(&format!(
        r#"{{"error":"Value cannot be undefined","msg":"ENTER_PIN","reader":{}}}"#,
        reader_obj(3)
    ))
    .await;
    c.send(r#"{"cmd":"SET_PIN","value":123456}"#).await;
    c.expect(&format!(
        r#"{{"error":"Invalid value","msg":"ENTER_PIN","reader":{}}}"#,
        reader_obj(3)
    ))
    .await;
    c.send(r#"{"cmd":"SET_PIN","value":null}"#).await;
    c.expect(&format!(
        r#"{{"error":"Invalid value","msg":"ENTER_PIN","reader":{}}}"#,
        reader_obj(3)
    ))
    .await;
    c.send(r#"{"cmd":"SET_PIN","value":"1234"}"#).await;
    c.expect(&format!(
        r#"{{"error":"You must provide 5 - 6 digits","msg":"ENTER_PIN","reader":{}}}"#,
        reader_obj(3)
    ))
    .await;
    c.send(r#"{"cmd":"SET_NEW_PIN","value":"654321"}"#).await;
    c.expect(r#"{"error":"SET_NEW_PIN","msg":"BAD_STATE"}"#).await;
    c.send(r#"{"cmd":"SET_PIN","value":"123456"}"#).await;
    c.expect(&format!(r#"{{"msg":"ENTER_NEW_PIN","reader":{}}}"#, reader_obj(3)))
        .await;
    c.send(r#"{"cmd":"SET_NEW_PIN","value":"65432"}"#).await;
    c.expect(&format!(
        r#"{{"error":"You must provide 6 digits","msg":"ENTER_NEW_PIN","reader":{}}}"#,
        reader_obj(3)
    ))
    .await;
    c.send(r#"{"cmd":"SET_NEW_PIN","value":"654321","request":"r1"}"#).await;
    c.expect(r#"{"msg":"CHANGE_PIN","success":true}"#).await;
    c.expect(READER_EMPTY).await;
    c.send(r#"{"cmd":"GET_STATUS"}"#).await;
    c.expect(r#"{"msg":"STATUS","progress":null,"state":null,"workflow":null}"#)
        .await;
    // CANCEL ends a PIN change.
    c.send(r#"{"cmd":"RUN_CHANGE_PIN"}"#).await;
    c.expect(r#"{"msg":"CHANGE_PIN"}"#).await;
    c.expect(r#"{"msg":"INSERT_CARD"}"#).await;
    c.send(r#"{"cmd":"CANCEL"}"#).await;
    c.expect(r#"{"msg":"CHANGE_PIN","success":false}"#).await;
    c.send(r#"{"cmd":"CANCEL"}"#).await;
    c.expect(r#"{"error":"CANCEL","msg":"BAD_STATE"}"#).await;
}

/// Wrong PIN: retry counter 2, then the CAN (suspended), then the PUK (blocked); the PUK
/// unblocks the PIN and the change goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_pin_then_can_then_puk() {
    let mut c = connected(AusweisConfig::default()).await;
    change_pin_until_enter_pin(&mut c).await;
    c.send(r#"{"cmd":"SET_PIN","value":"111111"}"#).await;
    c.expect(&format!(r#"{{"msg":"ENTER_PIN","reader":{}}}"#, reader_obj(2)))
        .await;
    c.send(r#"{"cmd":"SET_PIN","value":"222222"}"#).await;
    c.expect(&format!(r#"{{"msg":"ENTER_CAN","reader":{}}}"#, reader_obj(1)))
        .await;
    c.send(r#"{"cmd":"SET_PIN","value":"123456"}"#).await;
    c.expect(r#"{"error":"SET_PIN","msg":"BAD_STATE"}"#).await;
    c.send(r#"{"cmd":"SET_CAN","value":"50054"}"#).await;
    c.expect(&format!(
        r#"{{"error":"You must provide 6 digits","msg":"ENTER_CAN","reader":{}}}"#,
        reader_obj(1)
    ))
    .await;
    // A wrong CAN: asked again, without an error.
    c.send(r#"{"cmd":"SET_CAN","value":"000000"}"#).await;
    c.expect(&format!(r#"{{"msg":"ENTER_CAN","reader":{}}}"#, reader_obj(1)))
        .await;
    c.send(r#"{"cmd":"SET_CAN","value":"500540"}"#).await;
    c.expect(&format!(r#"{{"msg":"ENTER_PIN","reader":{}}}"#, reader_obj(1)))
        .await;
    c.send(r#"{"cmd":"SET_PIN","value":"333333"}"#).await;
    c.expect(&format!(r#"{{"msg":"ENTER_PUK","reader":{}}}"#, reader_obj(0)))
        .await;
    c.send(r#"{"cmd":"SET_PUK","value":"987654321"}"#).await;
    c.expect(&format!(
        r#"{{"error":"You must provide 10 digits","msg":"ENTER_PUK","reader":{}}}"#,
        reader_obj(0)
    ))
    .await;
    c.send(r#"{"cmd":"SET_PUK","value":"0000000000"}"#).await;
    c.expect(&format!(r#"{{"msg":"ENTER_PUK","reader":{}}}"#, reader_obj(0)))
        .await;
    c.send(r#"{"cmd":"SET_PUK","value":"9876543210"}"#).await;
    c.expect(&format!(r#"{{"msg":"ENTER_PIN","reader":{}}}"#, reader_obj(3)))
        .await;
    c.send(r#"{"cmd":"SET_PIN","value":"123456"}"#).await;
    c.expect(&format!(r#"{{"msg":"ENTER_NEW_PIN","reader":{}}}"#, reader_obj(3)))
        .await;
    c.send(r#"{"cmd":"SET_NEW_PIN","value":"246810"}"#).await;
    c.expect(r#"{"msg":"CHANGE_PIN","success":true}"#).await;
    c.expect(READER_EMPTY).await;
}

async fn start_docval() -> String {
    use docval_server::config::Config;
    use docval_server::{AppState, serve, trust};
    let config = Config::default();
    // The virtual documents are signed by the test PKI, trusted only on request.
    let (store, _) = trust::load(&docval_server::config::TrustConfig {
        test_pki: true,
        ..config.trust.clone()
    })
    .unwrap();
    let state = Arc::new(AppState::new(config, store).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = serve(listener, state, std::future::pending()).await;
    });
    format!("http://{addr}/ws1/validate")
}

/// RUN_AUTH with a DocVal server: the Simulator card (REF-1's description) is relayed to an
/// in-process docval-server and AUTH carries its verified result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_auth_relays_ref1_to_docval_server() {
    let server = start_docval().await;
    let mut c = connected(AusweisConfig::default()).await;
    let url = format!("{server}?client_id=YOUR%20CLIENT%20ID&validation_id=desk-1");
    c.send(&json!({"cmd":"RUN_AUTH","tcTokenURL":url}).to_string()).await;
    c.expect(r#"{"msg":"AUTH"}"#).await;
    c.expect(r#"{"msg":"STATUS","progress":0,"state":null,"workflow":"AUTH"}"#)
        .await;
    let ar = c.recv_json().await;
    assert_eq!(ar["msg"], "ACCESS_RIGHTS");
    let required: Vec<&str> = ar["chat"]["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for r in [
        "FamilyName",
        "GivenNames",
        "DateOfBirth",
        "Nationality",
        "DocumentType",
        "IssuingCountry",
        "ValidUntil",
        "BirthName",
        "PlaceOfBirth",
        "Address",
    ] {
        assert!(required.contains(&r), "{r}");
    }
    let cert = c.call(r#"{"cmd":"GET_CERTIFICATE"}"#).await;
    assert_eq!(cert["msg"], "CERTIFICATE");
    assert!(
        cert["description"]["subjectUrl"]
            .as_str()
            .unwrap()
            .starts_with("ws://127.0.0.1:")
    );
    assert!(cert["validity"]["effectiveDate"].as_str().unwrap().len() == 10);
    let again = c.call(r#"{"cmd":"GET_ACCESS_RIGHTS"}"#).await;
    assert_eq!(again, ar);
    let set = c.call(r#"{"cmd":"SET_ACCESS_RIGHTS","chat":["Pseudonym"]}"#).await;
    assert!(set["error"].is_string());
    c.send(r#"{"cmd":"SET_PIN","value":"123456"}"#).await;
    c.expect(r#"{"error":"SET_PIN","msg":"BAD_STATE"}"#).await;
    c.send(r#"{"cmd":"ACCEPT"}"#).await;
    c.expect(r#"{"msg":"INSERT_CARD"}"#).await;
    let ref1: Value = serde_json::from_str(
        &std::fs::read_to_string(common::repo().join("fixtures/documents/ref-1/ausweisapp-simulator.json")).unwrap(),
    )
    .unwrap();
    c.send(&json!({"cmd":"SET_CARD","name":"Simulator","simulator":ref1}).to_string())
        .await;
    // A simulated card gets the simulator's PIN, CAN and PUK.
    c.expect(&card_reader(3)).await;
    c.expect(r#"{"msg":"STATUS","progress":10,"state":"ENTER_CAN","workflow":"AUTH"}"#)
        .await;
    c.expect(&format!(r#"{{"msg":"ENTER_CAN","reader":{}}}"#, reader_obj(3)))
        .await;
    c.send(r#"{"cmd":"SET_CAN","value":"500540"}"#).await;
    let mut statuses = Vec::new();
    let auth = loop {
        let m = c.recv_json().await;
        match m["msg"].as_str().unwrap() {
            "STATUS" => statuses.push(m["progress"].as_u64().unwrap()),
            "AUTH" => break m,
            other => panic!("unexpected {other}: {m}"),
        }
    };
    assert!(statuses.len() >= 5, "{statuses:?}");
    assert_eq!(statuses.last(), Some(&100));
    assert!(statuses.windows(2).all(|w| w[0] <= w[1]), "{statuses:?}");
    assert_eq!(
        auth["result"],
        json!({"major":"http://www.bsi.bund.de/ecard/api/1.1/resultmajor#ok"}),
        "{auth}"
    );
    assert_eq!(auth["url"], url);
    assert_eq!(auth["docval"]["closeCode"], 1000);
    let p = &auth["docval"]["emrtd_passport"];
    assert_eq!(p["passive_authentication"], true, "{p}");
    assert_eq!(p["mrz_info"]["document_number"], "C01X00T47");
    assert_eq!(auth["docval"]["statuses"].as_array().unwrap().last().unwrap(), "DONE");
    c.expect(READER_EMPTY).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_auth_cancel_and_wrong_can() {
    let server = start_docval().await;
    let mut c = connected(AusweisConfig::default()).await;
    let url = format!("{server}?client_id=YOUR%20CLIENT%20ID");
    c.send(&json!({"cmd":"RUN_AUTH","tcTokenURL":url,"status":false}).to_string())
        .await;
    c.expect(r#"{"msg":"AUTH"}"#).await;
    assert_eq!(c.recv_json().await["msg"], "ACCESS_RIGHTS");
    c.send(r#"{"cmd":"CANCEL"}"#).await;
    c.expect(r#"{"msg":"AUTH","result":{"description":"The user canceled the authentication process.","language":"en","major":"http://www.bsi.bund.de/ecard/api/1.1/resultmajor#error","message":"The process has been cancelled.","minor":"http://www.bsi.bund.de/ecard/api/1.1/resultminor/sal#cancellationByUser"}}"#).await;
    // A wrong CAN: the server refuses, AUTH reports an error with the server's close code.
    c.send(&json!({"cmd":"RUN_AUTH","tcTokenURL":url,"status":false}).to_string())
        .await;
    c.expect(r#"{"msg":"AUTH"}"#).await;
    assert_eq!(c.recv_json().await["msg"], "ACCESS_RIGHTS");
    c.send(r#"{"cmd":"ACCEPT"}"#).await;
    c.expect(r#"{"msg":"INSERT_CARD"}"#).await;
    c.send(r#"{"cmd":"SET_CARD","name":"Simulator"}"#).await;
    c.expect(&card_reader(3)).await;
    c.expect(&format!(r#"{{"msg":"ENTER_CAN","reader":{}}}"#, reader_obj(3)))
        .await;
    c.send(r#"{"cmd":"SET_CAN","value":"123123"}"#).await;
    let auth = c.recv_json().await;
    assert_eq!(auth["msg"], "AUTH");
    assert_eq!(
        auth["result"]["major"],
        "http://www.bsi.bund.de/ecard/api/1.1/resultmajor#error"
    );
    assert_ne!(auth["docval"]["closeCode"], 1000);
    c.expect(READER_EMPTY).await;
}

/// Issue 18 point 7: RUN_AUTH's reachability check of `tcTokenURL` does not block other
/// commands. The server is a listener whose accept queue is full, so the check's connection
/// attempt hangs until its timeout; GET_STATUS is answered meanwhile, CANCEL ends the workflow
/// and the late check result is dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_auth_reachability_check_does_not_block_other_commands() {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    let _listener = socket.listen(0).unwrap();
    // Fill the accept queue (never accepted): later SYNs are dropped, connects hang.
    let mut fillers = Vec::new();
    for _ in 0..4 {
        if let Ok(Ok(s)) = tokio::time::timeout(
            std::time::Duration::from_millis(500),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            fillers.push(s);
        }
    }
    let mut c = connected(AusweisConfig::default()).await;
    c.send(&format!(
        r#"{{"cmd":"RUN_AUTH","tcTokenURL":"http://{addr}/ws1/validate?client_id=x"}}"#
    ))
    .await;
    c.expect(r#"{"msg":"AUTH"}"#).await;
    c.expect(r#"{"msg":"STATUS","progress":0,"state":null,"workflow":"AUTH"}"#)
        .await;
    // Answered while the check still waits.
    let v = c.call(r#"{"cmd":"GET_STATUS"}"#).await;
    assert_eq!(v, json!({"msg":"STATUS","progress":0,"state":null,"workflow":"AUTH"}));
    c.send(r#"{"cmd":"CANCEL"}"#).await;
    let v = c.recv_json().await;
    assert_eq!(v["msg"], "AUTH", "{v}");
    assert_eq!(
        v["result"]["minor"],
        "http://www.bsi.bund.de/ecard/api/1.1/resultminor/sal#cancellationByUser"
    );
    let v = c.call(r#"{"cmd":"GET_STATUS"}"#).await;
    assert_eq!(v, json!({"msg":"STATUS","progress":null,"state":null,"workflow":null}));
    drop(fillers);
}
