//! `docval-server demo`: the whole product in one command. Starts docval-server on its
//! embedded defaults plus the TEST PKI (REF-1 is signed by it; the demo says so on stderr;
//! client id `YOUR CLIENT ID`) on 127.0.0.1, reads the REF-1 virtual passport through a
//! virtual phone over both protocols (v1: the server drives every APDU; v2: the phone reads
//! and the server runs chip authentication through it), and prints both verdicts and the
//! verified result.

use crate::config::Config;
use crate::{AppState, serve, trust};
use emrtd_phone::v2::{PhoneV2Options, Platform, run_phone_v2};
use emrtd_phone::{Access, PhoneOptions, run_phone};
use emrtd_sim::VirtualChip;
use std::path::Path;
use std::sync::Arc;

fn field<'a>(v: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    v.get(key).unwrap_or(&serde_json::Value::Null)
}

/// The REF-1 fixture of this repository.
pub fn default_fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/documents/ref-1")
}

/// Runs the demo; returns the process exit code (0 when the document verified).
pub async fn run(fixture: &Path) -> u8 {
    let mut config = Config::default();
    // The virtual documents are signed by the test PKI, whose private keys are public: the
    // demo trusts it explicitly and says so; the server itself never does by default.
    config.trust.test_pki = true;
    let (store, _) = match trust::load(&config.trust) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("demo: trust store: {e}");
            return 2;
        }
    };
    let state = match AppState::new(config, store) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("demo: {e}");
            return 2;
        }
    };
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("demo: cannot listen on 127.0.0.1: {e}");
            return 2;
        }
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("demo: {e}");
            return 2;
        }
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, state, async {
        let _ = stop_rx.await;
    }));
    eprintln!("docval-server listening on ws://{addr}/ws1/validate and ws://{addr}/ws2/validate");
    eprintln!(
        "demo: trusting the TEST PKI of fixtures/pki (its private keys are public: virtual documents only; `docval-server` without `demo` does not trust it unless started with --test-pki)"
    );

    let mut chip = match VirtualChip::load(fixture) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("demo: fixture {}: {e}", fixture.display());
            return 2;
        }
    };
    let access = match chip.document().manifest.can.clone() {
        Some(can) => Access::Can(can),
        None => match chip.document().manifest.mrz.clone() {
            Some(m) => Access::Mrz {
                document_number: m.document_number,
                date_of_birth: m.date_of_birth,
                date_of_expiry: m.date_of_expiry,
            },
            None => {
                eprintln!("demo: the fixture has neither CAN nor MRZ");
                return 2;
            }
        },
    };
    eprintln!(
        "virtual phone: {} ({})",
        chip.document().manifest.name,
        chip.document().manifest.description
    );
    let opts = PhoneOptions::new(
        &format!("ws://{addr}/ws1/validate"),
        crate::config::DEFAULT_CLIENT_ID,
        access.clone(),
    );
    eprintln!("v1 (/ws1/validate): the server drives every APDU through the phone");
    let out = run_phone(&mut chip, &opts).await;
    // v2 on a fresh copy of the chip: the phone reads it and hands over for chip
    // authentication.
    let v2 = match VirtualChip::load(fixture) {
        Ok(mut chip2) => {
            let opts2 = PhoneV2Options::new(
                &format!("ws://{addr}/ws2/validate"),
                crate::config::DEFAULT_CLIENT_ID,
                access,
                Platform::Android,
            );
            Some(run_phone_v2(&mut chip2, &opts2).await)
        }
        Err(_) => None,
    };
    let _ = stop_tx.send(());
    let _ = server.await;
    let mut v2_lines = Vec::new();
    let v2_ok = match v2 {
        Some(Ok(o)) => {
            let r = o.result.clone().unwrap_or_default();
            let pa = field(&r, "passiveAuthentication").as_bool().unwrap_or(false);
            let ca = field(&r, "chipAuthenticationResult")
                .as_str()
                .unwrap_or("?")
                .to_string();
            let aa = field(&r, "activeAuthenticationResult")
                .as_str()
                .unwrap_or("?")
                .to_string();
            v2_lines.push(format!(
                "v2 (/ws2/validate): the phone read the chip ({} APDUs) and relayed {} for chip authentication; {} round trips over the network; closed with {}",
                o.local_apdus,
                o.relayed_apdus,
                o.round_trips,
                o.code().unwrap_or(0),
            ));
            v2_lines.push(format!(
                "verified (v2): passive_authentication={pa} chip_authentication={ca} active_authentication={aa}"
            ));
            o.code() == Some(1000) && pa && ca == "SUCCESS" && aa == "SUCCESS"
        }
        Some(Err(e)) => {
            v2_lines.push(format!("demo: v2: {e}"));
            false
        }
        None => false,
    };
    let out = match out {
        Ok(o) => o,
        Err(e) => {
            eprintln!("demo: {e}");
            return 1;
        }
    };
    for s in &out.statuses {
        eprintln!("  status {s}");
    }
    eprintln!(
        "  closed with {} {}  ({} APDUs)",
        out.code().unwrap_or(0),
        out.close_reason.clone().unwrap_or_default(),
        out.apdus
    );
    let Some(result) = out.result.clone() else {
        eprintln!("demo: no result");
        return 1;
    };
    let pa = field(&result, "passive_authentication").as_bool().unwrap_or(false);
    let ca = field(&result, "chip_authentication_result")
        .as_str()
        .unwrap_or("?")
        .to_string();
    let aa = field(&result, "active_authentication_result")
        .as_str()
        .unwrap_or("?")
        .to_string();
    let mrz = field(&result, "mrz_info");
    eprintln!(
        "verified (v1): passive_authentication={pa} chip_authentication={ca} active_authentication={aa}  holder={} {} document={} {}",
        field(mrz, "secondary_identifier")
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
        field(mrz, "primary_identifier").as_str().unwrap_or(""),
        field(mrz, "issuing_state").as_str().unwrap_or(""),
        field(mrz, "document_number").as_str().unwrap_or(""),
    );
    for line in &v2_lines {
        eprintln!("{line}");
    }
    println!("{}", serde_json::json!({ "emrtd_passport": result }));
    if out.code() == Some(1000) && pa && ca == "SUCCESS" && aa == "SUCCESS" && v2_ok {
        0
    } else {
        1
    }
}
