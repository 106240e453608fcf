//! End to end over real WebSocket connections on 127.0.0.1: a virtual phone with each fixture
//! document against docval-server, and a local result server receiving the POST.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use axum::Router;
use axum::routing::post;
use docval_server::config::{ClientConfig, Config};
use docval_server::{AppState, serve, trust};
use emrtd_phone::{Access, PhoneOptions, run_phone};
use emrtd_sim::VirtualChip;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/documents")
}

struct Server {
    url: String,
    stop: Option<oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn shutdown(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = self.handle.await;
    }
}

async fn start_server(config: Config) -> Server {
    // The virtual documents are signed by the test PKI, trusted only on request.
    let (store, _) = trust::load(&docval_server::config::TrustConfig {
        test_pki: true,
        ..config.trust.clone()
    })
    .unwrap();
    let state = Arc::new(AppState::new(config, store).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        serve(listener, state, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    Server {
        url: format!("ws://{addr}/ws1/validate"),
        stop: Some(tx),
        handle,
    }
}

/// A result server on 127.0.0.1 that records every POST body.
async fn start_result_server() -> (String, Arc<Mutex<Vec<Value>>>) {
    let got: Arc<Mutex<Vec<Value>>> = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    let app = Router::new().route(
        "/results",
        post(move |body: String| {
            let g = g.clone();
            async move {
                if let Ok(v) = serde_json::from_str(&body) {
                    g.lock().unwrap().push(v);
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/results"), got)
}

fn access_for(chip: &VirtualChip) -> Access {
    let m = &chip.document().manifest;
    match (&m.can, &m.mrz) {
        (Some(can), _) if m.access.pace => Access::Can(can.clone()),
        (_, Some(mrz)) => Access::Mrz {
            document_number: mrz.document_number.clone(),
            date_of_birth: mrz.date_of_birth.clone(),
            date_of_expiry: mrz.date_of_expiry.clone(),
        },
        _ => panic!("fixture without an access key"),
    }
}

fn expected_statuses(chip: &VirtualChip, read_atr: bool) -> Vec<String> {
    let m = &chip.document().manifest;
    let dgs = &m.expect.data_groups;
    let cam = m.keys.pace_cam_private_key.is_some();
    let mut s = Vec::new();
    if read_atr {
        s.push("READ_ATR_INFO");
    }
    s.push("ACCESS_CONTROL");
    s.push("READ_SOD");
    if dgs.contains(&14) {
        s.push("READ_DG14");
    }
    if dgs.contains(&14) || cam {
        s.push("CHIP_AUTHENTICATION");
    }
    if dgs.contains(&15) {
        s.push("READ_DG15");
        s.push("ACTIVE_AUTHENTICATION");
    }
    s.push("READ_DG1");
    for (dg, name) in [(2u8, "READ_DG2"), (7, "READ_DG7"), (11, "READ_DG11"), (12, "READ_DG12")] {
        if dgs.contains(&dg) {
            s.push(name);
        }
    }
    s.push("PASSIVE_AUTHENTICATION");
    s.push("DONE");
    s.into_iter().map(String::from).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_end_to_end_with_result_post() {
    let (result_url, posts) = start_result_server().await;
    let config = Config {
        clients: vec![ClientConfig {
            id: "ci-client".into(),
            result_server_url: Some(result_url),
        }],
        ..Config::default()
    };
    let server = start_server(config).await;

    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("manifest.toml").is_file())
        .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert!(names.len() >= 9, "{names:?}");
    for (i, name) in names.iter().enumerate() {
        let mut chip = VirtualChip::load(&fixtures().join(name)).unwrap();
        let mut opts = PhoneOptions::new(&server.url, "ci-client", access_for(&chip));
        opts.validation_id = format!("validation-{name}");
        // Alternate the two SDK profiles: Android (short APDUs) and iOS (extended, maxima).
        let ios = i % 2 == 1;
        if ios {
            opts.platform = "ios".into();
            opts.extended_length = true;
            opts.max_command_bytes = Some(1024);
            opts.max_response_bytes = Some(1024);
        } else {
            opts.extended_length = false;
        }
        let expect_statuses = expected_statuses(&chip, false);
        let verdict = chip.document().manifest.expect.verdict.clone();
        let dgs = chip.document().manifest.expect.data_groups.clone();
        let cam = chip.document().manifest.keys.pace_cam_private_key.is_some();
        let out = run_phone(&mut chip, &opts).await.unwrap();
        assert_eq!(out.code(), Some(1000), "{name}: {out:?}");
        assert_eq!(out.text_close, Some((1000, None)), "{name}");
        assert_eq!(out.statuses, expect_statuses, "{name}");
        let r = out.result.clone().unwrap_or_else(|| panic!("{name}: no result"));
        let pa = &r["passive_authentication_details"];
        match verdict.as_str() {
            "valid" | "clone" => {
                assert_eq!(r["passive_authentication"], true, "{name}: {r:#}");
                assert_eq!(pa["all_hashes_valid"], true, "{name}");
            }
            "revoked" | "expired" => {
                assert_eq!(r["passive_authentication"], false, "{name}");
                assert_eq!(pa["sod_signature_valid"], true, "{name}");
                assert_eq!(pa["document_certificate_valid"], false, "{name}");
            }
            other => panic!("unknown verdict {other}"),
        }
        let checked: Vec<u64> = pa["data_groups_checked"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_u64)
            .collect();
        assert_eq!(checked, dgs.iter().map(|d| u64::from(*d)).collect::<Vec<_>>(), "{name}");
        let ca = if dgs.contains(&14) || cam {
            if verdict == "clone" { "FAILED" } else { "SUCCESS" }
        } else {
            "UNAVAILABLE"
        };
        assert_eq!(r["chip_authentication_result"], ca, "{name}: {:?}", r["errors"]);
        let aa = if dgs.contains(&15) {
            if verdict == "clone" { "FAILED" } else { "SUCCESS" }
        } else {
            "UNAVAILABLE"
        };
        assert_eq!(r["active_authentication_result"], aa, "{name}: {:?}", r["errors"]);
        // DG1 fields against the manifest's MRZ.
        let mrz = chip.document().manifest.mrz.clone().unwrap();
        assert_eq!(
            r["mrz_info"]["document_number"],
            mrz.document_number.trim_end_matches('<'),
            "{name}"
        );
        assert_eq!(r["mrz_info"]["date_of_birth"], mrz.date_of_birth, "{name}");
        assert_eq!(r["mrz_info"]["date_of_expiry"], mrz.date_of_expiry, "{name}");
        assert!(r["errors"].is_array());
        if dgs.contains(&2) {
            let face = r["face_photo"].as_str().unwrap();
            assert!(face.starts_with("/9j/"), "{name}: face is not a JPEG");
        }
    }
    // Every session POSTed its result with the client's validation id.
    let got = posts.lock().unwrap().clone();
    assert_eq!(got.len(), names.len());
    for (v, name) in got.iter().zip(&names) {
        assert_eq!(v["client_validation_id"], format!("validation-{name}"));
        assert!(v["emrtd_passport"]["mrz_info"].is_object());
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ref1_result_has_the_vendor_shape() {
    let server = start_server(Config::default()).await;
    let mut chip = VirtualChip::load(&fixtures().join("ref-1")).unwrap();
    let opts = PhoneOptions::new(&server.url, "YOUR CLIENT ID", access_for(&chip));
    let out = run_phone(&mut chip, &opts).await.unwrap();
    assert_eq!(out.code(), Some(1000), "{out:?}");
    assert_eq!(out.statuses.first().map(String::as_str), Some("READ_ATR_INFO"));
    let ours = serde_json::json!({ "emrtd_passport": out.result.unwrap() });
    let example: Value =
        serde_json::from_str(include_str!("../../../fixtures/reference/emrtd-result-example.json")).unwrap();
    let a = emrtd_result::json_shape(&ours);
    let b = emrtd_result::json_shape(&example);
    // REF-1 has everything the example has; the only allowed difference is content the
    // example leaves null (DG11 lists it fills, e.g. permanent_address).
    for (path, kind) in &b {
        let got = a.get(path).copied();
        assert!(
            got == Some(*kind) || *kind == "null" || got == Some("null") && path.contains("additional_"),
            "{path}: example {kind}, ours {got:?}"
        );
    }
    for path in a.keys() {
        assert!(b.contains_key(path) || path.ends_with("[]"), "extra key {path}");
    }
    server.shutdown().await;
}
