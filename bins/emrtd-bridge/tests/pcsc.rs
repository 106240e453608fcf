//! The bridge with a PC/SC reader: pcscd with the vsmartcard vpcd driver and the TD1 eID
//! fixture on it. AusweisApp: RUN_CHANGE_PIN performs PACE-PIN and the PIN change through the
//! real PC/SC stack. Sinosecu: placing the card reads it (CardDetected, CardContentText, PA with
//! the test PKI) and taking it away is announced. Skipped with a printed reason when pcscd or
//! vpcd is not installed. The tests share the one vpcd slot, so they run one at a time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::Client;
use emrtd_bridge::ausweisapp::AusweisConfig;
use emrtd_sim::VirtualChip;
use serde_json::Value;
use std::net::{Shutdown, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use emrtd_pcsc::testing::{VPCD_READER, connect_vpcd, ensure_pcscd_with_vpcd as pcscd, vpcd_card_present};

/// vpcd has one card slot: one test at a time.
static VPCD: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Places the fixture's virtual chip on the vpcd reader; shutting the stream down removes it.
fn insert(name: &str) -> (TcpStream, std::thread::JoinHandle<()>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/documents")
        .join(name);
    let mut chip = VirtualChip::load(&dir).unwrap();
    let stream = connect_vpcd(Duration::from_secs(10)).unwrap();
    let mut serve = stream.try_clone().unwrap();
    let served = std::thread::spawn(move || {
        let _ = emrtd_sim::vpcd::serve_stream(&mut chip, &mut serve, false);
    });
    (stream, served)
}

async fn next_for(c: &mut Client, msg: &str) -> Value {
    loop {
        let v = c.recv_json().await;
        if v["msg"] == msg {
            return v;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_pin_on_a_pcsc_card() {
    let _one = VPCD.lock().await;
    let _pcscd = match pcscd() {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED change_pin_on_a_pcsc_card: {why} (run .ci/pcsc-deps.sh)");
            return;
        }
    };
    let (stream, served) = insert("td1-id-explicit-curve");
    let t = Instant::now();
    while !vpcd_card_present() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let url = common::start_bridge(AusweisConfig {
        pcsc: true,
        ..AusweisConfig::default()
    })
    .await;
    let mut c = Client::connect(&url).await;
    c.keep_other_readers = true;
    // Simulator twice, then the PC/SC readers (vpcd offers more than one slot).
    let r = loop {
        let r = next_for(&mut c, "READER").await;
        if r["name"] == VPCD_READER {
            break r;
        }
    };
    assert_eq!(r["card"]["retryCounter"], 3, "{r}");
    c.send(r#"{"cmd":"GET_READER_LIST"}"#).await;
    let list = next_for(&mut c, "READER_LIST").await;
    let names: Vec<&str> = list["readers"]
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["name"].as_str()).collect())
        .unwrap_or_default();
    assert!(names.contains(&"Simulator") && names.contains(&VPCD_READER), "{list}");

    c.send(r#"{"cmd":"RUN_CHANGE_PIN"}"#).await;
    assert_eq!(c.recv_json().await["msg"], "CHANGE_PIN");
    let e = next_for(&mut c, "ENTER_PIN").await;
    assert_eq!(e["reader"]["name"], VPCD_READER);
    c.send(r#"{"cmd":"SET_PIN","value":"123456"}"#).await;
    next_for(&mut c, "ENTER_NEW_PIN").await;
    c.send(r#"{"cmd":"SET_NEW_PIN","value":"135790"}"#).await;
    let done = next_for(&mut c, "CHANGE_PIN").await;
    assert_eq!(done["success"], true);
    // The new PIN is on the card: the old one is wrong now, the new one works.
    c.send(r#"{"cmd":"RUN_CHANGE_PIN"}"#).await;
    next_for(&mut c, "CHANGE_PIN").await;
    next_for(&mut c, "ENTER_PIN").await;
    c.send(r#"{"cmd":"SET_PIN","value":"123456"}"#).await;
    let e = next_for(&mut c, "ENTER_PIN").await;
    assert_eq!(e["reader"]["card"]["retryCounter"], 2, "{e}");
    c.send(r#"{"cmd":"SET_PIN","value":"135790"}"#).await;
    next_for(&mut c, "ENTER_NEW_PIN").await;
    c.send(r#"{"cmd":"SET_NEW_PIN","value":"123456"}"#).await;
    assert_eq!(next_for(&mut c, "CHANGE_PIN").await["success"], true);
    // Removing the card is announced.
    let _ = stream.shutdown(Shutdown::Both);
    let _ = served.join();
    let gone = next_for(&mut c, "READER").await;
    assert_eq!(gone["name"], VPCD_READER);
    assert_eq!(gone["card"], Value::Null);
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn sinosecu_recv(ws: &mut Ws) -> Value {
    use futures_util::StreamExt;
    loop {
        match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
            Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t)))) => {
                return serde_json::from_str(t.as_str()).unwrap();
            }
            Ok(Some(Ok(_))) => continue,
            other => panic!("no message: {other:?}"),
        }
    }
}

/// The next notification with this Command (other notifications, e.g. from vpcd's second
/// slot, are skipped).
async fn sinosecu_next(ws: &mut Ws, command: &str) -> Value {
    loop {
        let v = sinosecu_recv(ws).await;
        if v["Command"] == command {
            return v;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sinosecu_reads_the_card_placed_on_a_pcsc_reader() {
    use emrtd_bridge::sinosecu::{self, SinosecuConfig, SinosecuService};
    use futures_util::SinkExt;
    use serde_json::json;
    use tokio_tungstenite::tungstenite::Message;

    let _one = VPCD.lock().await;
    let _pcscd = match pcscd() {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED sinosecu_reads_the_card_placed_on_a_pcsc_reader: {why} (run .ci/pcsc-deps.sh)");
            return;
        }
    };
    let mut trust = emrtd_pa::TrustStore::new();
    trust
        .load_path(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/pki"))
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = SinosecuService::new(SinosecuConfig {
        pcsc: true,
        trust: std::sync::Arc::new(trust),
        ..SinosecuConfig::default()
    });
    tokio::spawn(async move {
        let _ = sinosecu::serve(listener, service, std::future::pending()).await;
    });
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/echo"))
        .await
        .unwrap();
    // The PC/SC reader is the device.
    let hello = sinosecu_recv(&mut ws).await;
    assert_eq!(hello["Param"], "Device connected", "{hello}");
    let lines = [
        "IDUTOT1D0000423<<<<<<<<<<<<<<<",
        "0002299F3601017UTO<<<<<<<<<<<8",
        "KARTE<<IDA<<<<<<<<<<<<<<<<<<<<",
    ];
    let batch = json!({"Type": "Request", "Commands": [
        {"Command": "Get", "Operand": "OnLineStatus"},
        {"Command": "Get", "Operand": "DeviceName"},
        {"Command": "Set", "Operand": "IfNotifyCardDetected", "Param": "Y"},
        {"Command": "Set", "Operand": "AccessKey", "Param": lines.join("\n")},
    ]});
    ws.send(Message::Text(batch.to_string().into())).await.unwrap();
    let reply = loop {
        let v = sinosecu_recv(&mut ws).await;
        if v["Type"] == "Reply" {
            break v;
        }
    };
    let cmds = reply["Commands"].as_array().unwrap();
    assert_eq!(cmds[0]["Result"], "Device connected");
    assert!(
        cmds[1]["Result"].as_str().unwrap().starts_with("Virtual PCD"),
        "{reply}"
    );
    assert!(cmds.iter().all(|c| c["Succeeded"] == "Y"), "{reply}");

    // Placing the card reads it.
    let (stream, served) = insert("td1-id-explicit-curve");
    let detected = sinosecu_next(&mut ws, "CardDetected").await;
    assert_eq!(detected["Operand"], "RealtimeMessage");
    let text = sinosecu_next(&mut ws, "Save").await;
    assert_eq!(text["Operand"], "CardContentText", "{text}");
    let p = &text["Param"];
    assert_eq!(p["MRZ1"], lines[0]);
    assert_eq!(p["MRZ2"], lines[1]);
    assert_eq!(p["MRZ3"], lines[2]);
    assert_eq!(p["Passive authentication"], "Y", "{p}");
    assert_eq!(p["CARD_NAME"], "ID card (TD1)");
    // Taking it away is announced.
    let _ = stream.shutdown(Shutdown::Both);
    let _ = served.join();
    let gone = sinosecu_next(&mut ws, "CardTakenaway").await;
    assert_eq!(gone["Operand"], "RealtimeMessage");
}

/// Issue 18 point 3: two connections read the same PC/SC card at once (both are told about
/// the card and both read it on their own): the readings take turns, so secure messaging never
/// interleaves and both get the document. While another program holds the card exclusively,
/// a reading answers with the busy text instead of sending commands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sinosecu_two_connections_reading_one_card_take_turns() {
    use emrtd_bridge::sinosecu::{self, SinosecuConfig, SinosecuService};
    use futures_util::SinkExt;
    use serde_json::json;
    use tokio_tungstenite::tungstenite::Message;

    let _one = VPCD.lock().await;
    let _pcscd = match pcscd() {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED sinosecu_two_connections_reading_one_card_take_turns: {why} (run .ci/pcsc-deps.sh)");
            return;
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = SinosecuService::new(SinosecuConfig {
        pcsc: true,
        max_connections: 2,
        ..SinosecuConfig::default()
    });
    tokio::spawn(async move {
        let _ = sinosecu::serve(listener, service, std::future::pending()).await;
    });
    let lines = [
        "IDUTOT1D0000423<<<<<<<<<<<<<<<",
        "0002299F3601017UTO<<<<<<<<<<<8",
        "KARTE<<IDA<<<<<<<<<<<<<<<<<<<<",
    ];
    let mut pages = Vec::new();
    for _ in 0..2 {
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/echo"))
            .await
            .unwrap();
        sinosecu_recv(&mut ws).await;
        let set = json!({"Type": "Request", "Command": "Set", "Operand": "AccessKey", "Param": lines.join("\n")});
        ws.send(Message::Text(set.to_string().into())).await.unwrap();
        let reply = loop {
            let v = sinosecu_recv(&mut ws).await;
            if v["Type"] == "Reply" {
                break v;
            }
        };
        assert_eq!(reply["Succeeded"], "Y", "{reply}");
        pages.push(ws);
    }
    // Placing the card starts a reading in both connections at the same moment.
    let (stream, served) = insert("td1-id-explicit-curve");
    let mut b = pages.pop().unwrap();
    let mut a = pages.pop().unwrap();
    let (ra, rb) = tokio::join!(sinosecu_next(&mut a, "Save"), sinosecu_next(&mut b, "Save"));
    for r in [&ra, &rb] {
        assert_eq!(r["Operand"], "CardContentText", "{r}");
        assert_eq!(r["Param"]["MRZ1"], lines[0], "{r}");
        assert_eq!(r["Param"]["MRZ3"], lines[2], "{r}");
    }
    // Another program holds the card exclusively: the reading is refused with the busy text.
    let held = tokio::task::spawn_blocking(|| {
        let pcsc = emrtd_pcsc::Pcsc::new().unwrap();
        pcsc.connect_exclusive(VPCD_READER).unwrap()
    })
    .await
    .unwrap();
    let trigger = json!({"Type": "Notify", "Command": "Trigger", "Operand": "ManualRecog", "Param": 2});
    a.send(Message::Text(trigger.to_string().into())).await.unwrap();
    let busy = sinosecu_next(&mut a, "Display").await;
    assert_eq!(busy["Param"], sinosecu::BUSY, "{busy}");
    drop(held);
    a.send(Message::Text(trigger.to_string().into())).await.unwrap();
    let again = sinosecu_next(&mut a, "Save").await;
    assert_eq!(again["Param"]["MRZ2"], lines[1], "{again}");
    let _ = stream.shutdown(Shutdown::Both);
    let _ = served.join();
}
