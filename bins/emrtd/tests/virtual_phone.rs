//! `emrtd virtual-phone` against an in-process docval-server on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use docval_server::config::Config;
use docval_server::{AppState, serve, trust};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/documents")
        .join(name)
}

async fn start_server() -> (String, tokio::sync::oneshot::Sender<()>) {
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
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        serve(listener, state, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    (format!("ws://{addr}/ws1/validate"), tx)
}

async fn run_cli(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || Command::new(env!("CARGO_BIN_EXE_emrtd")).args(args).output().unwrap())
        .await
        .unwrap()
}

fn base_args(url: &str, client: &str, fixture_name: &str) -> Vec<String> {
    vec![
        "virtual-phone".into(),
        "--server".into(),
        url.into(),
        "--client-id".into(),
        client.into(),
        "--fixture".into(),
        fixture(fixture_name).display().to_string(),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn virtual_phone_reads_ref1_and_td1_with_close_code_1000() {
    let (url, stop) = start_server().await;
    for (name, key, expect_doc) in [
        ("ref-1", "--can", "C01X00T47"),
        ("ref-1", "--mrz", "C01X00T47"),
        ("td1-id-explicit-curve", "--mrz", ""),
    ] {
        let mut args = base_args(&url, "YOUR CLIENT ID", name);
        args.push(key.into());
        args.push("--return-result".into());
        let out = run_cli(args).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{name} {key}: {stderr}");
        assert!(stderr.contains("close code: 1000"), "{stderr}");
        assert!(stderr.contains("status: ACCESS_CONTROL"), "{stderr}");
        assert!(stderr.contains("status: DONE"), "{stderr}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(stdout.lines().count(), 1, "{stdout}");
        let v: Value = serde_json::from_str(stdout.trim_end()).unwrap();
        let p = &v["emrtd_passport"];
        assert_eq!(p["passive_authentication"], true, "{name}: {p:#}");
        let doc = p["mrz_info"]["document_number"].as_str().unwrap();
        if !expect_doc.is_empty() {
            assert_eq!(doc, expect_doc);
        } else {
            assert!(!doc.is_empty());
        }
    }
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn virtual_phone_exit_code_is_not_zero_for_a_wrong_can_or_unknown_client() {
    let (url, stop) = start_server().await;
    let mut args = base_args(&url, "YOUR CLIENT ID", "ref-1");
    args.extend(["--can".into(), "999999".into(), "--return-result".into()]);
    let out = run_cli(args).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("close code: "), "{stderr}");
    assert!(!stderr.contains("close code: 1000"), "{stderr}");
    assert!(out.stdout.is_empty());

    let mut args = base_args(&url, "nobody", "ref-1");
    args.push("--can".into());
    let out = run_cli(args).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    let _ = stop.send(());
}

#[test]
fn virtual_phone_rejects_a_malformed_mrz_key() {
    let out = Command::new(env!("CARGO_BIN_EXE_emrtd"))
        .args(base_args("ws://127.0.0.1:9/ws1/validate", "x", "ref-1"))
        .args(["--mrz", "C01X00T47,8408,360101"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected DOCUMENT_NUMBER"));
}

/// `--protocol v2` against the scripted v2 server of emrtd-phone (the server's state machine,
/// no verification): the phone reads the chip itself and hands over for chip authentication.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn virtual_phone_v2_hands_over_and_prints_the_passport() {
    for platform in ["android", "ios"] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/ws2/validate", listener.local_addr().unwrap());
        let server = tokio::spawn(async move { emrtd_phone::v2::scripted::serve_one(&listener).await });
        let mut args = base_args(&url, "ci-client", "ref-1");
        args.extend(
            [
                "--protocol",
                "v2",
                "--platform",
                platform,
                "--return-result",
                "--diagnostics",
            ]
            .map(String::from),
        );
        let out = run_cli(args).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{platform}: {stderr}");
        assert!(stderr.contains("access control (on the phone): PACE"), "{stderr}");
        assert!(stderr.contains("handback SUCCESS"), "{stderr}");
        assert!(stderr.contains("close code: 1000"), "{stderr}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(v["passport"]["errors"].is_array(), "{v}");
        let run = server.await.unwrap();
        assert!(!run.ca_failed);
        assert!(run.monitoring.len() >= 8, "{platform}");
        let c = run.collected.unwrap();
        assert!(
            c.files.contains_key("dg2") && !c.files.contains_key("dg1"),
            "{platform}"
        );
        assert!(c.server_dg1.is_some());
    }
}
