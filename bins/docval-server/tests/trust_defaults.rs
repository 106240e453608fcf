//! Issue 13 hole 4: the trust defaults of the real `docval-server` binary, over 127.0.0.1.
//!
//! With no configuration the server trusts the embedded DE/NL master lists and NOT the test
//! PKI (whose private keys are in the repository): REF-1 is rejected by passive
//! authentication, a real German SOD chains to its CSCA. The test PKI is trusted only on
//! request (`--test-pki`, `DOCVAL_TEST_PKI=true`, `docval-server demo`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use emrtd_phone::{Access, PhoneOptions, run_phone};
use emrtd_sim::VirtualChip;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// Every variable that configures the server, removed so the test sees the defaults.
const CONFIG_ENV: &[&str] = &[
    "CLIENT_IDS",
    "RESULT_SERVER_URLS",
    "WS_ENDPOINT_INCLUDE_BINARY_FILES_IN_RESULT",
    "WS_ENDPOINT_REQUIRED_AUTHORIZATION",
    "SERVER_NAME",
    "LISTEN",
    "TRUST_MASTER_LISTS",
    "TRUST_MASTER_LIST_ROOTS",
    "TRUST_CSCA",
    "TRUST_CRLS",
    "TRUST_UNVERIFIED_MASTER_LISTS",
    "TRUST_EMBEDDED_MASTER_LISTS",
    "TRUST_MASTER_LIST_MAX_AGE_DAYS",
    "DOCVAL_TEST_PKI",
];

fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_docval-server"));
    for k in CONFIG_ENV {
        c.env_remove(k);
    }
    c.env("RUST_LOG", "info");
    c
}

/// The binary listening on a free 127.0.0.1 port; killed when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    async fn start(args: &[&str], env: &[(&str, &str)]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let mut c = command();
        c.args(["--listen", &addr]).args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        let child = c.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let mut server = Server { child, addr };
        // Ready when the port accepts connections (the process must not have exited).
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while tokio::net::TcpStream::connect(&server.addr).await.is_err() {
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("docval-server exited with {status}: {}", server.output());
            }
            assert!(tokio::time::Instant::now() < deadline, "docval-server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    fn url(&self) -> String {
        format!("ws://{}/ws1/validate", self.addr)
    }

    /// Stops the process and returns what it wrote (stdout: the JSON log; stderr).
    fn output(&mut self) -> String {
        use std::io::Read;
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut s = String::new();
        if let Some(o) = self.child.stdout.as_mut() {
            let _ = o.read_to_string(&mut s);
        }
        if let Some(e) = self.child.stderr.as_mut() {
            let _ = e.read_to_string(&mut s);
        }
        s
    }

    async fn metrics(&self) -> String {
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::get(format!("http://{}/metrics", self.addr))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

fn access(chip: &VirtualChip) -> Access {
    let m = &chip.document().manifest;
    match (&m.can, &m.mrz) {
        (Some(can), _) => Access::Can(can.clone()),
        (None, Some(mrz)) => Access::Mrz {
            document_number: mrz.document_number.clone(),
            date_of_birth: mrz.date_of_birth.clone(),
            date_of_expiry: mrz.date_of_expiry.clone(),
        },
        (None, None) => panic!("fixture without access key"),
    }
}

/// Reads `chip` through a virtual phone; returns the close code and the result object.
async fn read(server: &Server, mut chip: VirtualChip) -> (Option<u16>, Value) {
    let opts = PhoneOptions::new(&server.url(), "YOUR CLIENT ID", access(&chip));
    let out = run_phone(&mut chip, &opts).await.unwrap();
    let mut result = out.result.clone().unwrap_or(Value::Null);
    // Keep assertion messages readable.
    if let Some(o) = result.as_object_mut() {
        o.remove("face_photo");
    }
    (out.code(), result)
}

fn ref1() -> VirtualChip {
    VirtualChip::load(&fixtures().join("documents/ref-1")).unwrap()
}

fn errors(result: &Value) -> Vec<String> {
    result["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect()
}

/// REF-1 verified end to end (test PKI trusted).
fn assert_ref1_verified(code: Option<u16>, result: &Value) {
    assert_eq!(code, Some(1000), "{result:#}");
    assert_eq!(result["passive_authentication"], true, "{result:#}");
    let pa = &result["passive_authentication_details"];
    assert_eq!(pa["sod_signature_valid"], true);
    assert_eq!(pa["document_certificate_valid"], true);
    assert_eq!(pa["all_hashes_valid"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_configuration_rejects_the_test_pki_document() {
    let server = Server::start(&[], &[]).await;
    let (code, result) = read(&server, ref1()).await;
    // The chip itself is read completely; only passive authentication fails, and says why.
    assert_eq!(code, Some(1000), "{result:#}");
    assert_eq!(result["passive_authentication"], false, "{result:#}");
    let pa = &result["passive_authentication_details"];
    assert_eq!(pa["sod_signature_valid"], true, "{result:#}");
    assert_eq!(pa["document_certificate_valid"], false, "{result:#}");
    assert_eq!(pa["all_hashes_valid"], true, "{result:#}");
    let errors = errors(&result);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("passive authentication:") && e.contains("CscaNotFound")),
        "{errors:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_pki_flag_trusts_the_test_pki() {
    let mut server = Server::start(&["--test-pki"], &[]).await;
    let (code, result) = read(&server, ref1()).await;
    assert_ref1_verified(code, &result);
    let metrics = server.metrics().await;
    assert!(metrics.contains("\ndocval_trust_test_pki 1\n"), "{metrics}");
    let log = server.output();
    assert!(log.contains("TEST PKI"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_pki_environment_variable_trusts_the_test_pki() {
    let server = Server::start(&[], &[("DOCVAL_TEST_PKI", "true")]).await;
    let (code, result) = read(&server, ref1()).await;
    assert_ref1_verified(code, &result);
    // Explicitly false is the default: rejected.
    let server = Server::start(&[], &[("DOCVAL_TEST_PKI", "false")]).await;
    let (_, result) = read(&server, ref1()).await;
    assert_eq!(result["passive_authentication"], false, "{result:#}");
}

/// A virtual BAC passport carrying the real EF.SOD of a German passport: its Document Signer
/// chains to a CSCA of the embedded German master list. Its data groups are not the ones the
/// SOD signs (we do not have them), so exactly the hashes fail.
fn chip_with_real_german_sod() -> VirtualChip {
    let dir = std::env::temp_dir().join(format!("docval-trust-real-sod-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let src = fixtures().join("documents/bac-td3-3des");
    for f in ["manifest.toml", "011E.bin"] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    // DG1 issued by Germany (D<<) instead of Utopia, so the issuing-state check agrees with the
    // German Document Signer (the issuing state is outside every MRZ check digit).
    let mut dg1 = std::fs::read(src.join("0101.bin")).unwrap();
    let at = dg1.windows(5).position(|w| w == b"P<UTO").unwrap();
    dg1[at..at + 5].copy_from_slice(b"P<D<<");
    std::fs::write(dir.join("0101.bin"), dg1).unwrap();
    std::fs::copy(fixtures().join("vectors/real-sod/DE_EF.SOD.bin"), dir.join("011D.bin")).unwrap();
    // The German SOD signs a DG2 (face), which the reader requires: REF-1's face.
    std::fs::copy(fixtures().join("documents/ref-1/0102.bin"), dir.join("0102.bin")).unwrap();
    let mut manifest = std::fs::read_to_string(dir.join("manifest.toml")).unwrap();
    manifest.push_str("\n[[files]]\nfid = \"0102\"\nsfi = 2\ndf = \"emrtd\"\npath = \"0102.bin\"\n");
    std::fs::write(dir.join("manifest.toml"), manifest).unwrap();
    let chip = VirtualChip::load(&dir).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    chip
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_configuration_verifies_a_real_german_sod_against_the_embedded_lists() {
    let server = Server::start(&[], &[]).await;
    let (_, result) = read(&server, chip_with_real_german_sod()).await;
    let pa = &result["passive_authentication_details"];
    assert_eq!(pa["sod_signature_valid"], true, "{result:#}");
    assert_eq!(pa["document_certificate_valid"], true, "{result:#}");
    assert_eq!(pa["all_hashes_valid"], false, "{result:#}");
    assert_eq!(result["passive_authentication"], false);
    let errors = errors(&result);
    assert!(!errors.iter().any(|e| e.contains("CscaNotFound")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("DataGroupHashMismatch")), "{errors:?}");
    assert!(!errors.iter().any(|e| e.contains("CountryMismatch")), "{errors:?}");
    // With only the test PKI, the same SOD has no CSCA.
    let server = Server::start(
        &[],
        &[("TRUST_EMBEDDED_MASTER_LISTS", "false"), ("DOCVAL_TEST_PKI", "1")],
    )
    .await;
    let (_, result) = read(&server, chip_with_real_german_sod()).await;
    assert_eq!(result["passive_authentication_details"]["sod_signature_valid"], true);
    assert_eq!(
        result["passive_authentication_details"]["document_certificate_valid"],
        false
    );
    assert!(errors_contain(&result, "CscaNotFound"));
}

fn errors_contain(result: &Value, what: &str) -> bool {
    errors(result).iter().any(|e| e.contains(what))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn master_list_dates_are_logged_and_exported() {
    let (_, report) = emrtd_trust::load(&emrtd_trust::TrustSources::default(), 0).unwrap();
    // A maximum age of one day: both embedded lists (2026) are past their next update.
    let mut server = Server::start(&[], &[("TRUST_MASTER_LIST_MAX_AGE_DAYS", "1")]).await;
    let metrics = server.metrics().await;
    assert!(metrics.contains("\ndocval_trust_test_pki 0\n"), "{metrics}");
    for ml in &report.master_lists {
        let issued = ml.issued.unwrap();
        let label = format!("{{source=\"{}\"}}", ml.source);
        for line in [
            format!("docval_trust_master_list_issued_timestamp_seconds{label} {issued}"),
            format!(
                "docval_trust_master_list_next_update_timestamp_seconds{label} {}",
                issued + 86_400
            ),
            format!("docval_trust_master_list_stale{label} 1"),
            format!("docval_trust_master_list_verified{label} 1"),
        ] {
            assert!(metrics.contains(&format!("\n{line}\n")), "{line} not in\n{metrics}");
        }
    }
    let log = server.output();
    for ml in &report.master_lists {
        assert!(
            log.lines()
                .any(|l| l.contains("\"WARN\"") && l.contains("is stale") && l.contains(&ml.source)),
            "no stale warning for {}:\n{log}",
            ml.source
        );
        assert!(
            log.lines()
                .any(|l| l.contains(&ml.source) && l.contains("next update expected by")),
            "{log}"
        );
    }
}

#[test]
fn demo_trusts_the_test_pki_and_says_so() {
    let out = command().arg("demo").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("trusting the TEST PKI"), "{stderr}");
    // Both protocols read the document and verify it.
    for line in [
        "verified (v1): passive_authentication=true chip_authentication=SUCCESS active_authentication=SUCCESS",
        "verified (v2): passive_authentication=true chip_authentication=SUCCESS active_authentication=SUCCESS",
    ] {
        assert!(stderr.contains(line), "{stderr}");
    }
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["emrtd_passport"]["passive_authentication"], true);
    assert_eq!(v["emrtd_passport"]["chip_authentication_result"], "SUCCESS");
}
