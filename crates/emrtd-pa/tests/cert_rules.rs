//! Issue 13 hole 7: certificate rules, asserted on the verdict of `verify_sod`.
//! * The outer signatureAlgorithm must equal the TBSCertificate's signature field.
//! * An unknown critical extension rejects the certificate (DS or CSCA); the critical
//!   extensions ICAO PKIs use (key usage, basic constraints, EKU, document type list, ...) do
//!   not.
//! * RSA moduli under 2048 bits and SHA-1 signatures are reported (`WeakRsaKey`,
//!   `Sha1Signature`) and fail PA only under the policy switches of `PaOptions`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;
#[path = "common/x509.rs"]
mod x509;

use common::{dg1, key, oid, seq, set, spki};
use emrtd_pa::store::TrustStore;
use emrtd_pa::{PaOptions, PaOutcome, ReasonCode, verify_sod};
use std::collections::BTreeMap;
use x509::*;

/// 2025-01-01T00:00:00Z.
const AT: i64 = 1_735_689_600;
const DS_SERIAL: u8 = 0x42;

fn at() -> PaOptions {
    PaOptions {
        at: Some(AT),
        ..PaOptions::default()
    }
}

/// Verifies an ECDSA-signed (key 2) document whose DS certificate is `ds`, under `csca`.
fn verify_with(csca: &EcCa, ds: &[u8], opts: &PaOptions) -> PaOutcome {
    let dg1 = dg1("D<<");
    let sod = common::sod(&[(1, &dg1)], ds, &csca.name, DS_SERIAL, &key(2));
    let mut store = TrustStore::new();
    store.add_der(&csca.cert, "CSCA").unwrap();
    verify_sod(&sod, &BTreeMap::from([(1, dg1)]), &store, opts)
}

fn ds(csca: &EcCa, sig_alg: &str, tbs_alg: &str, extra: &[Vec<u8>]) -> Vec<u8> {
    ec_issued(csca, DS_SERIAL, &spki(&key(2)), sig_alg, tbs_alg, extra)
}

#[test]
fn baseline_document_verifies() {
    let csca = ec_csca(1, "DE", "CSCA", 0x06, &[]);
    let out = verify_with(&csca, &ds(&csca, ECDSA_SHA256, ECDSA_SHA256, &[]), &at());
    assert!(out.verified(), "{:?}", out.reasons);
    assert!(!out.has(ReasonCode::Sha1Signature) && !out.has(ReasonCode::WeakRsaKey));
}

#[test]
fn outer_signature_algorithm_differing_from_the_tbs_one_is_rejected() {
    let csca = ec_csca(1, "DE", "CSCA", 0x06, &[]);
    // Genuinely signed with ecdsa-with-SHA256 (the outer field), while the signed TBS names
    // sha256WithRSAEncryption.
    let cert = ds(&csca, ECDSA_SHA256, SHA256_WITH_RSA, &[]);
    let out = verify_with(&csca, &cert, &at());
    assert!(out.sod_signature_valid);
    assert!(!out.document_certificate_valid, "{:?}", out.reasons);
    assert!(out.has(ReasonCode::CertificateAlgorithmMismatch), "{:?}", out.reasons);
    assert!(!out.verified());
}

#[test]
fn unknown_critical_extension_rejects_the_ds_certificate() {
    let csca = ec_csca(1, "DE", "CSCA", 0x06, &[]);
    let unknown = ext("1.3.6.1.4.1.99999.1", true, &[0x05, 0x00]);
    let out = verify_with(&csca, &ds(&csca, ECDSA_SHA256, ECDSA_SHA256, &[unknown]), &at());
    assert!(!out.document_certificate_valid, "{:?}", out.reasons);
    assert!(out.has(ReasonCode::UnknownCriticalExtension), "{:?}", out.reasons);
    assert!(!out.verified());
    // The same extension, not critical, is ignored.
    let benign = ext("1.3.6.1.4.1.99999.1", false, &[0x05, 0x00]);
    let out = verify_with(&csca, &ds(&csca, ECDSA_SHA256, ECDSA_SHA256, &[benign]), &at());
    assert!(out.verified(), "{:?}", out.reasons);
}

#[test]
fn unknown_critical_extension_rejects_the_csca_certificate() {
    let unknown = ext("1.3.6.1.4.1.99999.2", true, &[0x05, 0x00]);
    let csca = ec_csca(1, "DE", "CSCA", 0x06, &[unknown]);
    let out = verify_with(&csca, &ds(&csca, ECDSA_SHA256, ECDSA_SHA256, &[]), &at());
    assert!(!out.document_certificate_valid, "{:?}", out.reasons);
    assert!(out.has(ReasonCode::UnknownCriticalExtension), "{:?}", out.reasons);
    assert!(!out.verified());
}

#[test]
fn known_critical_extensions_are_accepted() {
    // Document type list (2.23.136.1.1.6.2) and certificate policies, critical, on the DS;
    // EKU and private key usage period, critical, on the CSCA.
    let doc_types = ext(
        "2.23.136.1.1.6.2",
        true,
        &seq(&[
            &common::int(&[0]),
            &set(&[&emrtd_apdu::tlv::encode(emrtd_apdu::tlv::Tag(0x13), b"P")]),
        ]),
    );
    let policies = ext("2.5.29.32", true, &seq(&[&seq(&[&oid("2.5.29.32.0")])]));
    let eku = ext("2.5.29.37", true, &seq(&[&oid("2.23.136.1.1.3")]));
    let pkup = ext(
        "2.5.29.16",
        true,
        &seq(&[&emrtd_apdu::tlv::encode(emrtd_apdu::tlv::Tag(0x80), b"20200101000000Z")]),
    );
    let csca = ec_csca(1, "DE", "CSCA", 0x06, &[eku, pkup]);
    let out = verify_with(
        &csca,
        &ds(&csca, ECDSA_SHA256, ECDSA_SHA256, &[doc_types, policies]),
        &at(),
    );
    assert!(out.verified(), "{:?}", out.reasons);
    assert!(!out.has(ReasonCode::UnknownCriticalExtension));
}

#[test]
fn sha1_certificate_signature_is_reported_and_fails_under_the_policy() {
    let csca = ec_csca(1, "DE", "CSCA", 0x06, &[]);
    let cert = ds(&csca, ECDSA_SHA1, ECDSA_SHA1, &[]);
    let out = verify_with(&csca, &cert, &at());
    assert!(out.has(ReasonCode::Sha1Signature), "{:?}", out.reasons);
    assert!(out.verified(), "{:?}", out.reasons);
    let strict = PaOptions {
        fail_on_sha1_signature: true,
        ..at()
    };
    let out = verify_with(&csca, &cert, &strict);
    assert!(out.has(ReasonCode::Sha1Signature), "{:?}", out.reasons);
    assert!(!out.document_certificate_valid);
    assert!(!out.verified());
}

#[test]
fn sha1_sod_signature_is_reported_and_fails_under_the_policy() {
    let csca = ec_csca(1, "DE", "CSCA", 0x06, &[]);
    let ds_key = key(2);
    let cert = ds(&csca, ECDSA_SHA256, ECDSA_SHA256, &[]);
    let dg1 = dg1("D<<");
    let sod = x509::sod(&[(1, &dg1)], &cert, &csca.name, &[DS_SERIAL], &alg(ECDSA_SHA1), |m| {
        Some(ec_sign_alg(&ds_key, ECDSA_SHA1, m))
    })
    .unwrap();
    let mut store = TrustStore::new();
    store.add_der(&csca.cert, "CSCA").unwrap();
    let dgs = BTreeMap::from([(1, dg1)]);
    let out = verify_sod(&sod, &dgs, &store, &at());
    assert!(out.has(ReasonCode::Sha1Signature), "{:?}", out.reasons);
    assert!(out.verified(), "{:?}", out.reasons);
    let strict = PaOptions {
        fail_on_sha1_signature: true,
        ..at()
    };
    let out = verify_sod(&sod, &dgs, &store, &strict);
    assert!(out.has(ReasonCode::Sha1Signature));
    assert!(!out.sod_signature_valid);
    assert!(!out.verified());
}

#[test]
fn rsa_1024_document_signer_is_reported_and_fails_under_the_policy() {
    let csca = ec_csca(1, "DE", "CSCA", 0x06, &[]);
    let ds_rsa = rsa_key("rsa-1024.pk8");
    let cert = ec_issued(&csca, DS_SERIAL, &rsa_spki(&ds_rsa), ECDSA_SHA256, ECDSA_SHA256, &[]);
    let dg1 = dg1("D<<");
    let sod = x509::sod(
        &[(1, &dg1)],
        &cert,
        &csca.name,
        &[DS_SERIAL],
        &alg(SHA256_WITH_RSA),
        |m| Some(rsa_sign(&ds_rsa, m, false)),
    )
    .unwrap();
    let mut store = TrustStore::new();
    store.add_der(&csca.cert, "CSCA").unwrap();
    let dgs = BTreeMap::from([(1, dg1)]);
    let out = verify_sod(&sod, &dgs, &store, &at());
    assert!(out.has(ReasonCode::WeakRsaKey), "{:?}", out.reasons);
    assert!(out.verified(), "{:?}", out.reasons);
    let strict = PaOptions {
        fail_on_weak_rsa_key: true,
        ..at()
    };
    let out = verify_sod(&sod, &dgs, &store, &strict);
    assert!(out.has(ReasonCode::WeakRsaKey));
    assert!(!out.document_certificate_valid);
    assert!(!out.verified());
}

#[test]
fn rsa_1024_csca_is_reported_and_fails_under_the_policy() {
    let csca_rsa = rsa_key("rsa-1024.pk8");
    let csca_name = common::name("DE", "CSCA RSA-1024");
    let csca_id = [0xAA; 20];
    let tbs = tbs_cert(
        &[1],
        &alg(SHA256_WITH_RSA),
        &csca_name,
        &csca_name,
        ("200101000000Z", "400101000000Z"),
        &rsa_spki(&csca_rsa),
        &[ski_ext(&csca_id), aki_ext(&csca_id), ku_ext(0x06), ca_ext()],
    );
    let csca = signed(&tbs, &alg(SHA256_WITH_RSA), &rsa_sign(&csca_rsa, &tbs, false));
    let ds_key = key(2);
    let tbs = tbs_cert(
        &[DS_SERIAL],
        &alg(SHA256_WITH_RSA),
        &csca_name,
        &common::name("DE", "DS"),
        ("200101000000Z", "400101000000Z"),
        &spki(&ds_key),
        &[ski_ext(&common::ski(&ds_key)), aki_ext(&csca_id), ku_ext(0x80)],
    );
    let ds = signed(&tbs, &alg(SHA256_WITH_RSA), &rsa_sign(&csca_rsa, &tbs, false));
    let dg1 = dg1("D<<");
    let sod = common::sod(&[(1, &dg1)], &ds, &csca_name, DS_SERIAL, &ds_key);
    let mut store = TrustStore::new();
    store.add_der(&csca, "CSCA").unwrap();
    let dgs = BTreeMap::from([(1, dg1)]);
    let out = verify_sod(&sod, &dgs, &store, &at());
    assert!(out.has(ReasonCode::WeakRsaKey), "{:?}", out.reasons);
    assert!(out.verified(), "{:?}", out.reasons);
    let strict = PaOptions {
        fail_on_weak_rsa_key: true,
        ..at()
    };
    let out = verify_sod(&sod, &dgs, &store, &strict);
    assert!(!out.document_certificate_valid, "{:?}", out.reasons);
    assert!(!out.verified());
}

#[test]
fn master_list_signer_with_an_unknown_critical_extension_is_not_verified() {
    let root = ec_csca(5, "DE", "ML Root", 0x06, &[]);
    let csca = ec_csca(1, "DE", "CSCA", 0x06, &[]);
    let signer_key = key(6);
    let list = |extra: &[Vec<u8>]| {
        let signer = ec_issued(&root, 7, &spki(&signer_key), ECDSA_SHA256, ECDSA_SHA256, extra);
        signed_data(
            "2.23.136.1.1.2",
            &master_list_content(&[&csca.cert]),
            &signer,
            &root.name,
            &[7],
            &alg(ECDSA_SHA256),
            |m| Some(ec_sign(&signer_key, m)),
        )
        .unwrap()
    };
    let eku = ext("2.5.29.37", true, &seq(&[&oid("2.23.136.1.1.3")]));
    let mut store = TrustStore::new();
    store.add_master_list_root(&root.cert).unwrap();
    let r = store.add_master_list(&list(&[eku]), "ML").unwrap();
    assert!(r.verified() && r.added == 1, "{r:?}");
    let unknown = ext("1.3.6.1.4.1.99999.3", true, &[0x05, 0x00]);
    let mut store = TrustStore::new();
    store.add_master_list_root(&root.cert).unwrap();
    let r = store.add_master_list(&list(&[unknown]), "ML").unwrap();
    assert!(r.signature_valid && !r.signer_verified, "{r:?}");
    assert!(
        r.reasons.iter().any(|x| x.code == ReasonCode::UnknownCriticalExtension),
        "{r:?}"
    );
    assert_eq!((r.added, store.len()), (0, 0));
}
