//! The Sinosecu interface with the demo page's exact sequence (the three batches, then a
//! trigger) against the bridge with a virtual document on the reader.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use base64::Engine as _;
use emrtd_bridge::sinosecu::{self, SinosecuConfig};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

const CONSTANTS: [&str; 21] = [
    "CardRecogSystem",
    "Connect",
    "Disconnect",
    "Save",
    "IDCANCEL",
    "DeviceStatus",
    "DeviceName",
    "DeviceSerialno",
    "DeviceNotConnected",
    "DescOfWebsocketError",
    "DescFailSetRFID",
    "DescFailSetVIZ",
    "PlaceHolderCardTextInfo",
    "DeviceOffLine",
    "DeviceReconnected",
    "DescFailSendWebsocket",
    "WebDescDeviceNotFound",
    "WebDescRequireRestartSvc",
    "WebDescAskForSupport",
    "WebDescRequireReconnect",
    "DeviceConnected",
];

mod common;

use common::{fixture, recv_json as recv, send_json as send, start_sinosecu as start};

/// Runs the demo page's sequence; returns the CardContentText and Images params.
async fn demo_page(url: &str, extra: Option<Value>, with_face: bool) -> (Value, Value) {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let hello = recv(&mut ws).await;
    assert_eq!(
        hello,
        json!({"Type":"Notify","Command":"Display","Operand":"RealtimeMessage","Param":"Device connected"})
    );
    // 1. 21 WebConstant requests.
    let cmds: Vec<Value> = CONSTANTS
        .iter()
        .map(|c| json!({"Command":"Get","Operand":"WebConstant","Param":c}))
        .collect();
    send(&mut ws, json!({"Type":"Request","Commands":cmds})).await;
    let r = recv(&mut ws).await;
    assert_eq!(r["Type"], "Reply");
    let list = r["Commands"].as_array().unwrap();
    assert_eq!(list.len(), 21);
    let mut device_connected = String::new();
    for (entry, name) in list.iter().zip(CONSTANTS) {
        assert_eq!(entry["Command"], "Get");
        assert_eq!(entry["Operand"], "WebConstant");
        assert_eq!(entry["Param"], name);
        assert_eq!(entry["Succeeded"], "Y", "{entry}");
        assert!(!entry["Result"].as_str().unwrap().is_empty());
        if name == "DeviceConnected" {
            device_connected = entry["Result"].as_str().unwrap().to_string();
        }
    }
    // 2. Set RFID, VIZ.
    send(
        &mut ws,
        json!({"Type":"Request","Commands":[
            {"Command":"Set","Operand":"RFID","Param":"Y"},
            {"Command":"Set","Operand":"VIZ","Param":"Y"}]}),
    )
    .await;
    let r = recv(&mut ws).await;
    for (entry, op) in r["Commands"].as_array().unwrap().iter().zip(["RFID", "VIZ"]) {
        assert_eq!(entry["Operand"], op);
        assert_eq!(entry["Succeeded"], "Y");
    }
    // 3. Device information.
    send(
        &mut ws,
        json!({"Type":"Request","Commands":[
            {"Command":"Get","Operand":"OnLineStatus"},
            {"Command":"Get","Operand":"DeviceName"},
            {"Command":"Get","Operand":"DeviceType"},
            {"Command":"Get","Operand":"DeviceSerialNo"},
            {"Command":"Get","Operand":"VersionInfo"}]}),
    )
    .await;
    let r = recv(&mut ws).await;
    let list = r["Commands"].as_array().unwrap();
    assert_eq!(list.len(), 5);
    assert!(list.iter().all(|e| e["Succeeded"] == "Y"), "{r}");
    assert_eq!(list[0]["Result"], device_connected);
    assert_eq!(list[2]["Result"], "PassportReader");
    assert!(list[0].get("Param").is_none());
    if let Some(e) = extra {
        send(&mut ws, e).await;
        let r = recv(&mut ws).await;
        assert_eq!(r["Succeeded"], "Y", "{r}");
    }
    // 4. The trigger.
    send(
        &mut ws,
        json!({"Type":"Notify","Command":"Trigger","Operand":"ManualRecog","Param":2}),
    )
    .await;
    let text = recv(&mut ws).await;
    assert_eq!(text["Type"], "Notify");
    assert_eq!(text["Command"], "Save");
    assert_eq!(text["Operand"], "CardContentText", "{text}");
    if !with_face {
        // No DG2: no image is pushed.
        let next = tokio::time::timeout(Duration::from_millis(500), ws.next()).await;
        assert!(next.is_err(), "{next:?}");
        return (text["Param"].clone(), Value::Null);
    }
    let images = recv(&mut ws).await;
    assert_eq!(images["Operand"], "Images");
    (text["Param"].clone(), images["Param"].clone())
}

fn chip_head_is_jpeg(images: &Value) {
    let url = images["ChipHead"].as_str().unwrap();
    let (head, b64) = url.split_once(',').unwrap();
    assert_eq!(head, "data:image/jpeg;base64");
    let jpeg = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    assert_eq!(&jpeg[..3], &[0xFF, 0xD8, 0xFF]);
    assert_eq!(&jpeg[jpeg.len() - 2..], &[0xFF, 0xD9]);
}

/// Checks the MRZ with the PyPI `mrz` checker when it is installed.
fn python_mrz_check(kind: &str, lines: &[&str]) {
    let script = format!(
        "import sys\nfrom mrz.checker.{m} import {c}\nr = {c}(sys.stdin.read())\nprint(bool(r))\nsys.exit(0 if bool(r) else 1)\n",
        m = kind.to_lowercase(),
        c = format!("{}CodeChecker", kind)
    );
    let child = std::process::Command::new("python3")
        .args(["-c", &script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("SKIPPED PyPI mrz check: no python3");
        return;
    };
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.join("\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("ModuleNotFoundError") {
        eprintln!("SKIPPED PyPI mrz check: the `mrz` package is not installed (pip install mrz)");
        return;
    }
    assert!(
        out.status.success(),
        "mrz checker rejected {lines:?}: {} {err}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_page_sequence_reads_ref1() {
    let mut trust = emrtd_pa::TrustStore::new();
    trust
        .load_path(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/pki"))
        .unwrap();
    let url = start(SinosecuConfig {
        document: Some(fixture("ref-1")),
        trust: std::sync::Arc::new(trust),
        ..SinosecuConfig::default()
    })
    .await;
    let (text, images) = demo_page(&url, None, true).await;
    assert_eq!(text["MRZ1"], "P<UTOMUSTERFRAU<<ERIKA<<<<<<<<<<<<<<<<<<<<<<");
    assert_eq!(text["MRZ2"], "C01X00T478UTO8408129F3601017<<<<<<<<<<<<<<<4");
    assert_eq!(text["English surname"], "MUSTERFRAU");
    assert_eq!(text["English first name"], "ERIKA");
    assert_eq!(text["The passport number from MRZ"], "C01X00T47");
    assert_eq!(text["Date of birth"], "1984-08-12");
    assert_eq!(text["Date of expiry"], "2036-01-01");
    assert_eq!(text["Sex"], "F");
    assert_eq!(text["Passive authentication"], "Y");
    chip_head_is_jpeg(&images);
    python_mrz_check("TD3", &[text["MRZ1"].as_str().unwrap(), text["MRZ2"].as_str().unwrap()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_page_sequence_reads_td1_with_set_access_key() {
    let url = start(SinosecuConfig {
        document: Some(fixture("td1-id-explicit-curve")),
        ..SinosecuConfig::default()
    })
    .await;
    // No trust anchors configured: passive authentication cannot succeed and says so.
    let manifest = std::fs::read_to_string(fixture("td1-id-explicit-curve").join("manifest.toml")).unwrap();
    let can = manifest
        .lines()
        .find_map(|l| l.strip_prefix("can = \""))
        .map(|l| l.trim_end_matches('"').to_string())
        .unwrap();
    let (text, _images) = demo_page(
        &url,
        Some(json!({"Type":"Request","Command":"Set","Operand":"AccessKey","Param":can})),
        false,
    )
    .await;
    let lines: Vec<&str> = ["MRZ1", "MRZ2", "MRZ3"]
        .iter()
        .map(|k| text[*k].as_str().unwrap())
        .collect();
    assert!(lines.iter().all(|l| l.len() == 30), "{lines:?}");
    assert!(manifest.contains(lines[0]), "{lines:?}");
    assert_eq!(text["Passive authentication"], "N");
    python_mrz_check("TD1", &lines);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_without_hardware_and_errors() {
    let url = start(SinosecuConfig::default()).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str()).await.unwrap();
    let hello = recv(&mut ws).await;
    assert_eq!(hello["Param"], "No passport reader found");
    // The manual: the Set succeeds; the "device does not support" answer comes in the card
    // text's field (see `uv_fibre_and_source_type_answer_in_the_card_text`).
    for (op, want_ok, result) in [
        ("IfDetectUVDull", "Y", ""),
        ("IfDetectFibre", "Y", ""),
        ("IfCheckSourceType", "Y", ""),
        ("MRZOnWhiteImage", "Y", ""),
        ("IfNotifyCardDetected", "Y", ""),
        ("Rejection", "Y", ""),
    ] {
        send(
            &mut ws,
            json!({"Type":"Request","Command":"Set","Operand":op,"Param":"True"}),
        )
        .await;
        let r = recv(&mut ws).await;
        assert_eq!(r["Type"], "Reply");
        assert_eq!(r["Operand"], op);
        assert_eq!(r["Param"], "True");
        assert_eq!(r["Succeeded"], want_ok, "{r}");
        assert_eq!(r["Result"], result);
    }
    send(
        &mut ws,
        json!({"Type":"Request","Command":"Get","Operand":"OnLineStatus"}),
    )
    .await;
    assert_eq!(recv(&mut ws).await["Result"], "Device not connected");
    send(
        &mut ws,
        json!({"Type":"Request","Command":"Set","Operand":"AccessKey","Param":"12345"}),
    )
    .await;
    assert_eq!(recv(&mut ws).await["Succeeded"], "N");
    send(
        &mut ws,
        json!({"Type":"Request","Command":"Get","Operand":"Base64Image","Param":"17"}),
    )
    .await;
    assert_eq!(recv(&mut ws).await["Succeeded"], "N");
    send(
        &mut ws,
        json!({"Type":"Notify","Command":"Trigger","Operand":"ManualRecog","Param":{"Timeout":30}}),
    )
    .await;
    let r = recv(&mut ws).await;
    assert_eq!(r["Command"], "Display");
    assert_eq!(r["Operand"], "RealtimeMessage");
}

/// Issue 18 point 8: UV, fibre and source-type detection answer in the card text as the
/// manual describes; `Get Base64Image` is answered with the Reply, then `Save Images` (the
/// manual's sample reads the Notify).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uv_fibre_and_source_type_answer_in_the_card_text() {
    let url = start(SinosecuConfig {
        document: Some(fixture("ref-1")),
        ..SinosecuConfig::default()
    })
    .await;
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str()).await.unwrap();
    recv(&mut ws).await;
    send(
        &mut ws,
        json!({"Type":"Request","Commands":[
            {"Command":"Set","Operand":"IfDetectUVDull","Param":"Y"},
            {"Command":"Set","Operand":"IfDetectFibre","Param":"True"},
            {"Command":"Set","Operand":"IfCheckSourceType","Param":"Y"}]}),
    )
    .await;
    let r = recv(&mut ws).await;
    assert!(
        r["Commands"].as_array().unwrap().iter().all(|c| c["Succeeded"] == "Y"),
        "{r}"
    );
    send(
        &mut ws,
        json!({"Type":"Notify","Command":"Trigger","Operand":"ManualRecog","Param":2}),
    )
    .await;
    let text = recv(&mut ws).await;
    assert_eq!(text["Operand"], "CardContentText", "{text}");
    assert_eq!(
        text["Param"]["UVDull"],
        "NN device does not support taking ultraviolet photo"
    );
    assert_eq!(text["Param"]["Fibre"], "NN device does not support violet photo");
    assert_eq!(text["Param"]["SourceType"], sinosecu::UV_NOT_SUPPORTED);
    let images = recv(&mut ws).await;
    assert_eq!(images["Operand"], "Images");
    // Get Base64Image 16 (chip face): Reply with plain base64, then the Notify.
    send(
        &mut ws,
        json!({"Type":"Request","Command":"Get","Operand":"Base64Image","Param":"16"}),
    )
    .await;
    let reply = recv(&mut ws).await;
    assert_eq!(reply["Type"], "Reply");
    assert_eq!(reply["Succeeded"], "Y", "{reply}");
    let b64 = reply["Result"]["ChipHead"].as_str().unwrap();
    let jpeg = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
    let notify = recv(&mut ws).await;
    assert_eq!(notify["Type"], "Notify");
    assert_eq!(notify["Command"], "Save");
    assert_eq!(notify["Operand"], "Images");
    assert_eq!(notify["Param"]["ChipHead"], format!("data:image/jpeg;base64,{b64}"));
}

/// Issue 13 hole 4: the real `emrtd-bridge` binary trusts the embedded DE/NL master lists by
/// default, never the test PKI; `--test-pki` opts in.
mod binary_trust_defaults {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::process::{Child, Command, Stdio};

    struct Bridge(Child);

    impl Drop for Bridge {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// Starts the binary with the REF-1 virtual document; returns the Sinosecu URL and the
    /// stderr lines written before it.
    fn start_binary(extra: &[&str]) -> (Bridge, String, Vec<String>) {
        start_binary_with("ref-1", extra)
    }

    /// The binary serving the virtual document `document` (a fixture directory name).
    fn start_binary_with(document: &str, extra: &[&str]) -> (Bridge, String, Vec<String>) {
        let mut c = Command::new(env!("CARGO_BIN_EXE_emrtd-bridge"));
        for k in [
            "TRUST_MASTER_LISTS",
            "TRUST_MASTER_LIST_ROOTS",
            "TRUST_CSCA",
            "TRUST_CRLS",
            "TRUST_UNVERIFIED_MASTER_LISTS",
            "TRUST_EMBEDDED_MASTER_LISTS",
            "TRUST_MASTER_LIST_MAX_AGE_DAYS",
            "DOCVAL_TEST_PKI",
        ] {
            c.env_remove(k);
        }
        let doc = fixture(document);
        let mut child = c
            .args(["--no-pcsc", "--port", "0", "--sinosecu-port", "0", "--document"])
            .arg(&doc)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let bridge = Bridge(child);
        // The binary prints the Sinosecu URL once it listens; read stderr until then (the
        // pipe ends if the process exits, which fails the test).
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("Sinosecu reader interface: ") {
                    let _ = tx.send((url.to_string(), lines));
                    return;
                }
                lines.push(line);
            }
            let _ = tx.send((String::new(), lines));
        });
        let (url, lines) = rx.recv_timeout(Duration::from_secs(60)).unwrap();
        assert!(!url.is_empty(), "emrtd-bridge did not start: {lines:?}");
        (bridge, url, lines)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn binary_rejects_the_test_pki_by_default() {
        let (_bridge, url, lines) = start_binary(&[]);
        assert!(
            lines
                .iter()
                .any(|l| l.contains("embedded master lists: true, test PKI: false")),
            "{lines:?}"
        );
        let (text, _) = demo_page(&url, None, true).await;
        assert_eq!(text["The passport number from MRZ"], "C01X00T47");
        assert_eq!(text["Passive authentication"], "N");
    }

    /// A document whose Document Signer certificate expired in 2021, its chain otherwise
    /// trusted: passive authentication checks validity periods at the present time, so it is
    /// not verified (the reading engine's default checks none; the bridge gave no time before).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn binary_does_not_verify_an_expired_document_signer() {
        let (_bridge, url, _) = start_binary_with("expired", &["--test-pki"]);
        let (text, _) = demo_page(&url, None, false).await;
        assert_eq!(text["The passport number from MRZ"], "X2016E001");
        assert_eq!(text["Passive authentication"], "N");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn binary_trusts_the_test_pki_on_request() {
        let (_bridge, url, lines) = start_binary(&["--test-pki"]);
        assert!(lines.iter().any(|l| l.contains("TEST PKI")), "{lines:?}");
        let (text, _) = demo_page(&url, None, true).await;
        assert_eq!(text["Passive authentication"], "Y");
    }
}
