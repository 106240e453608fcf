//! Runs the `emrtd` binary: `verify` on dump directories and `inspect`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../../../crates/emrtd-pa/tests/common/mod.rs"]
mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/vectors")
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("emrtd-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn emrtd(args: &[&str]) -> (Value, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_emrtd")).args(args).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let v: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (v, out.status.code().unwrap())
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A dump directory of a test-PKI document: DG1, DG2, EF.SOD (and the CSCA elsewhere).
fn test_dump(name: &str) -> (PathBuf, PathBuf) {
    let pki = common::pki(
        "DE",
        ("190101000000Z", "400101000000Z"),
        ("200101000000Z", "350101000000Z"),
    );
    let dg1 = common::dg1("D<<");
    let dg2 = vec![0x75, 0x03, 0x01, 0x02, 0x03];
    let sod = common::sod(
        &[(1, &dg1), (2, &dg2)],
        &pki.ds,
        &pki.csca_name,
        pki.ds_serial,
        &pki.ds_key,
    );
    let dir = temp_dir(name);
    let dump = dir.join("dump");
    std::fs::create_dir_all(&dump).unwrap();
    std::fs::write(dump.join("EF.SOD.bin"), &sod).unwrap();
    std::fs::write(dump.join("DG1.bin"), &dg1).unwrap();
    std::fs::write(dump.join("DG2.bin"), &dg2).unwrap();
    let csca = dir.join("csca.der");
    std::fs::write(&csca, &pki.csca).unwrap();
    (dump, csca)
}

#[test]
fn verify_dump_directory_verified() {
    let (dump, csca) = test_dump("ok");
    let (v, code) = emrtd(&["verify", s(&dump), "--csca", s(&csca), "--at", "2025-01-01"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["verified"], true);
    let pa = &v["passive_authentication"];
    assert_eq!(pa["sod_signature_valid"], true);
    assert_eq!(pa["document_certificate_valid"], true);
    assert_eq!(pa["all_hashes_valid"], true);
    assert_eq!(pa["data_groups_checked"], serde_json::json!([1, 2]));
    assert_eq!(pa["data_groups_with_valid_hash"], serde_json::json!([1, 2]));
    assert_eq!(pa["error"], Value::Null);
    assert_eq!(v["checked_at"], "2025-01-01T00:00:00Z");
}

#[test]
fn verify_dump_directory_with_a_tampered_group_fails() {
    let (dump, csca) = test_dump("tampered");
    let mut dg2 = std::fs::read(dump.join("DG2.bin")).unwrap();
    dg2[4] ^= 1;
    std::fs::write(dump.join("DG2.bin"), &dg2).unwrap();
    let (v, code) = emrtd(&["verify", s(&dump), "--csca", s(&csca), "--at", "2025-01-01"]);
    assert_eq!(code, 1);
    assert_eq!(v["verified"], false);
    assert_eq!(v["passive_authentication"]["all_hashes_valid"], false);
    assert_eq!(
        v["passive_authentication"]["data_groups_with_valid_hash"],
        serde_json::json!([1])
    );
    // After the CSCA expired (2040) the certificate check fails, the signature still holds.
    let (dump, csca) = test_dump("late");
    let (v, code) = emrtd(&["verify", s(&dump), "--csca", s(&csca), "--at", "2041-01-01"]);
    assert_eq!(code, 1);
    assert_eq!(v["passive_authentication"]["sod_signature_valid"], true);
    assert_eq!(v["passive_authentication"]["document_certificate_valid"], false);
}

#[test]
fn verify_sod_and_dg_files_without_csca() {
    let dir = vectors().join("nl-specimen-2006");
    let (v, code) = emrtd(&[
        "verify",
        "--sod",
        s(&dir.join("ef011D.bin")),
        "--dg",
        &format!("1={}", s(&dir.join("ef0101.bin"))),
        "--dg",
        &format!("DG2={}", s(&dir.join("ef0102.bin"))),
        "--no-time-check",
        "--no-embedded-master-lists",
    ]);
    assert_eq!(code, 1, "no CSCA: not verified");
    let pa = &v["passive_authentication"];
    assert_eq!(pa["all_hashes_valid"], true);
    assert_eq!(pa["sod_signature_valid"], true);
    assert_eq!(pa["document_certificate_valid"], false);
    assert_eq!(pa["data_groups_not_supplied"], serde_json::json!([15]));
}

#[test]
fn verify_card_security_against_master_lists() {
    let ml = vectors().join("masterlists");
    let (v, code) = emrtd(&[
        "verify",
        "--card-security",
        s(&vectors().join("real-sod/DE_EF.CardSecurity.bin")),
        "--masterlist-root",
        s(&ml.join("DE_ROOT_CA_CSCA07.cer")),
        "--masterlist",
        s(&ml.join("DE_ML_2026-05-28-08-28-45.ml")),
        "--at",
        "2026-01-01",
        "--no-embedded-master-lists",
    ]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["card_security"]["sod_signature_valid"], true);
    assert_eq!(v["trust_store"]["master_lists"][0]["signer_verified"], true);
}

#[test]
fn inspect_files() {
    let (v, code) = emrtd(&[
        "inspect",
        s(&vectors().join("bsi-tr03105-mustermann/Datagroup1.bin")),
        s(&vectors().join("bsi-tr03105-mustermann/EF_SOD.bin")),
        s(&vectors().join("masterlists/NL_ROOT_CA.cer")),
        s(&vectors().join("real-dg14-cardaccess/DE_EF.CardAccess.bin")),
    ]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v[0]["kind"], "DG1");
    assert_eq!(v[0]["parsed"]["mrz"]["primary_identifier"], "MUSTERMANN");
    assert_eq!(v[1]["kind"], "EF.SOD");
    assert!(
        v[1]["certificates"][0]["subject"]
            .as_str()
            .unwrap()
            .contains("CN=HJP PB DS")
    );
    assert_eq!(
        v[1]["parsed"]["lds_security_object"]["data_group_hashes"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert_eq!(v[2]["kind"], "X.509 certificate");
    assert_eq!(v[3]["kind"], "EF.CardAccess");
}

fn pki_args(pki: &Path) -> Vec<String> {
    [
        "--no-embedded-master-lists",
        "--masterlist-root",
        "csca-rsa.cer",
        "--masterlist",
        "masterlist.ml",
        "--crl",
        "csca-ecdsa.crl",
        "--crl",
        "csca-rsa.crl",
    ]
    .iter()
    .map(|a| {
        if a.starts_with("--") {
            a.to_string()
        } else {
            s(&pki.join(a)).to_string()
        }
    })
    .collect()
}

#[test]
fn verify_virtual_document_directories() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let pki = fixtures.join("pki");
    let run = |doc: &str| {
        let dir = fixtures.join("documents").join(doc);
        let mut args = vec![
            "verify".to_string(),
            s(&dir).to_string(),
            "--at".into(),
            "2026-06-01".into(),
        ];
        args.extend(pki_args(&pki));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        emrtd(&refs)
    };
    // ref-1 holds DG1, DG2, DG7, DG11, DG12, DG14, DG15 next to a manifest.toml (whose first
    // byte happens to be the DG14 tag 'n' = 6E): only real data groups are hashed.
    let (v, code) = run("ref-1");
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(
        v["passive_authentication"]["data_groups_with_valid_hash"],
        serde_json::json!([1, 2, 7, 11, 12, 14, 15])
    );
    assert_eq!(v["trust_store"]["master_lists"][0]["signer_verified"], true);
    let (v, code) = run("revoked-ds");
    assert_eq!(code, 1);
    let reasons = v["passive_authentication"]["reasons"].as_array().unwrap();
    assert!(reasons.iter().any(|r| r["code"] == "DsRevoked"), "{reasons:?}");
    let (v, code) = run("expired");
    assert_eq!(code, 1);
    assert_eq!(v["passive_authentication"]["sod_signature_valid"], true);
    assert_eq!(v["passive_authentication"]["document_certificate_valid"], false);
}

#[test]
fn verify_reports_hidden_dg14_and_dg15_as_failed() {
    // Issue 13 hole 2: a dump of REF-1 (whose EF.SOD lists DG14 and DG15) without them, as a
    // clone that hides the files whose keys it does not hold would give. Before, `verify`
    // reported nothing about it and exited 0.
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let src = fixtures.join("documents/ref-1");
    let dump = temp_dir("hidden-dg14");
    for f in ["0101.bin", "0102.bin", "011D.bin", "010E.bin", "010F.bin"] {
        std::fs::copy(src.join(f), dump.join(f)).unwrap();
    }
    let run = || {
        let mut args = vec![
            "verify".to_string(),
            s(&dump).to_string(),
            "--at".into(),
            "2026-06-01".into(),
        ];
        args.extend(pki_args(&fixtures.join("pki")));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        emrtd(&refs)
    };
    let (v, _) = run();
    assert_eq!(v["chip_authentication"], "KEY_PRESENT", "{v:#}");
    assert_eq!(v["active_authentication"], "KEY_PRESENT", "{v:#}");
    std::fs::remove_file(dump.join("010E.bin")).unwrap();
    let (v, code) = run();
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["verified"], false);
    assert_eq!(v["chip_authentication"], "FAILED");
    assert_eq!(v["active_authentication"], "KEY_PRESENT");
    std::fs::write(dump.join("010F.bin"), [0x6F, 0x02, 0x30, 0x00]).unwrap();
    let (v, code) = run();
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["active_authentication"], "FAILED");
}

/// Issue 13 hole 4: with no trust arguments `emrtd verify` trusts the embedded DE/NL master
/// lists, never the test PKI.
#[test]
fn default_trust_is_the_embedded_master_lists() {
    let real = vectors().join("real-sod");
    let (v, code) = emrtd(&["verify", "--sod", s(&real.join("DE_EF.SOD.bin")), "--at", "2026-01-01"]);
    // The data groups are not supplied: only the signature and the chain can verify.
    assert_eq!(code, 1);
    let pa = &v["passive_authentication"];
    assert_eq!(pa["sod_signature_valid"], true, "{v:#}");
    assert_eq!(pa["document_certificate_valid"], true, "{v:#}");
    assert_eq!(v["trust_store"]["embedded_master_lists"], true);
    assert_eq!(v["trust_store"]["test_pki"], false);
    let dates = v["trust_store"]["master_list_dates"].as_array().unwrap();
    assert_eq!(dates.len(), 2);
    assert_eq!(dates[0]["source"], "embedded:DE_ML_2026-05-28-08-28-45.ml");
    assert!(
        dates[0]["issued"].as_str().unwrap().starts_with("2026-05-28"),
        "{dates:?}"
    );
    assert!(
        dates[1]["issued"].as_str().unwrap().starts_with("2026-07-2"),
        "{dates:?}"
    );
    let (v, _) = emrtd(&[
        "verify",
        "--card-security",
        s(&real.join("DE_EF.CardSecurity.bin")),
        "--at",
        "2026-01-01",
    ]);
    assert_eq!(v["card_security"]["document_certificate_valid"], true, "{v:#}");
    // Turned off: no CSCA.
    let (v, _) = emrtd(&[
        "verify",
        "--sod",
        s(&real.join("DE_EF.SOD.bin")),
        "--at",
        "2026-01-01",
        "--no-embedded-master-lists",
    ]);
    assert_eq!(v["passive_authentication"]["document_certificate_valid"], false);
}

#[test]
fn test_pki_only_with_the_flag() {
    let ref1 = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/documents/ref-1");
    let (v, code) = emrtd(&["verify", s(&ref1), "--at", "2026-06-01"]);
    assert_eq!(code, 1, "{v:#}");
    let pa = &v["passive_authentication"];
    assert_eq!(pa["sod_signature_valid"], true);
    assert_eq!(pa["all_hashes_valid"], true);
    assert_eq!(pa["document_certificate_valid"], false);
    let reasons = pa["reasons"].as_array().unwrap();
    assert!(reasons.iter().any(|r| r["code"] == "CscaNotFound"), "{reasons:?}");
    let (v, code) = emrtd(&["verify", s(&ref1), "--at", "2026-06-01", "--test-pki"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["verified"], true);
    assert_eq!(v["trust_store"]["test_pki"], true);
    assert!(
        v["trust_store"]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("TEST PKI"))
    );
}

#[test]
fn unverified_master_list_only_when_marked() {
    let nl = vectors().join("masterlists/NL_ML_2026-07-22.ml");
    let sod = vectors().join("real-sod/DE_EF.SOD.bin");
    // The DE list without its root: not verified, nothing trusted.
    let de = vectors().join("masterlists/DE_ML_2026-05-28-08-28-45.ml");
    let base = [
        "verify",
        "--sod",
        s(&sod),
        "--at",
        "2026-01-01",
        "--no-embedded-master-lists",
    ];
    let mut args = base.to_vec();
    args.extend(["--masterlist", s(&de)]);
    let (v, _) = emrtd(&args);
    assert_eq!(v["trust_store"]["certificates"], 0, "{v:#}");
    assert_eq!(v["passive_authentication"]["document_certificate_valid"], false);
    // Marked trusted: its certificates are used, and the output says it was not verified.
    let mut args = base.to_vec();
    args.extend([
        "--trust-unverified-masterlist",
        s(&de),
        "--trust-unverified-masterlist",
        s(&nl),
    ]);
    let (v, _) = emrtd(&args);
    assert_eq!(v["passive_authentication"]["document_certificate_valid"], true, "{v:#}");
    assert_eq!(v["trust_store"]["master_lists"][0]["trusted_unverified"], true);
    let warnings = v["trust_store"]["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("trusted WITHOUT verification")),
        "{warnings:?}"
    );
}
