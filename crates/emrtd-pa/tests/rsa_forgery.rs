//! Issue 13 hole 3: Bleichenbacher's 2006 RSA signature forgery ("garbage in the middle")
//! against keys with e = 3. The forged signatures below are computed from the public key alone
//! (cube roots, no private key): s³ = 00 01 FF×8 00 DigestInfo where the DigestInfo's
//! AlgorithmIdentifier carries attacker bytes after its NULL parameters. A verifier that parses
//! the DigestInfo instead of comparing the whole encoded message accepts them; these tests
//! require that a certificate, an SOD, a CRL and a master list signed this way are rejected,
//! and that genuine signatures with the same e = 3 key still verify (so the rejection is the
//! forgery's, not the key's).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;
#[path = "common/x509.rs"]
mod x509;

use common::{dg1, key, name, ski, spki};
use emrtd_pa::store::TrustStore;
use emrtd_pa::{HashAlg, PaOptions, ReasonCode, verify_sod};
use p256::ecdsa::SigningKey;
use std::collections::BTreeMap;
use x509::*;

/// 2025-01-01T00:00:00Z.
const AT: i64 = 1_735_689_600;
const VALIDITY: (&str, &str) = ("200101000000Z", "400101000000Z");
const CSCA_KEY_ID: [u8; 20] = [0xC3; 20];

fn opts() -> PaOptions {
    PaOptions {
        at: Some(AT),
        ..PaOptions::default()
    }
}

fn e3() -> rsa::PrivateKey {
    let k = rsa_key("rsa-e3-2048.pk8");
    assert_eq!(rsa::traits::PublicKeyParts::e(&k).to_be_bytes().last(), Some(&3));
    k
}

fn sha256(m: &[u8]) -> Vec<u8> {
    HashAlg::Sha256.digest(m)
}

/// A forged sha256WithRSAEncryption signature over `msg` for the e = 3 key.
fn forge(msg: &[u8]) -> Option<Vec<u8>> {
    forge_e3(256, HashAlg::Sha256, &sha256(msg))
}

fn dgs(list: &[(u8, &[u8])]) -> BTreeMap<u8, Vec<u8>> {
    list.iter().map(|(n, d)| (*n, d.to_vec())).collect()
}

/// An RSA e = 3 CSCA (genuinely self-signed) in a trust store.
struct RsaCsca {
    key: rsa::PrivateKey,
    name: Vec<u8>,
    cert: Vec<u8>,
}

fn rsa_csca() -> RsaCsca {
    let key = e3();
    let name = name("DE", "CSCA e=3");
    let tbs = tbs_cert(
        &[1],
        &alg(SHA256_WITH_RSA),
        &name,
        &name,
        VALIDITY,
        &rsa_spki(&key),
        &[ski_ext(&CSCA_KEY_ID), aki_ext(&CSCA_KEY_ID), ku_ext(0x06), ca_ext()],
    );
    let cert = signed(&tbs, &alg(SHA256_WITH_RSA), &rsa_sign(&key, &tbs, false));
    RsaCsca { key, name, cert }
}

fn ds_tbs(issuer: &[u8], serial: u8, ds_key: &SigningKey, sig_alg: &str, issuer_key_id: &[u8]) -> Vec<u8> {
    tbs_cert(
        &[serial],
        &alg(sig_alg),
        issuer,
        &name("DE", "DS"),
        VALIDITY,
        &spki(ds_key),
        &[ski_ext(&ski(ds_key)), aki_ext(issuer_key_id), ku_ext(0x80)],
    )
}

/// An EF.SOD over DG1 and DG2 signed (ECDSA) by `ds_key` with `ds` in it.
fn ec_document(ds: &[u8], issuer: &[u8], serial: u8, ds_key: &SigningKey) -> (Vec<u8>, BTreeMap<u8, Vec<u8>>) {
    let dg1 = dg1("D<<");
    let dg2 = vec![0x75, 0x03, 0x01, 0x02, 0x03];
    let sod = common::sod(&[(1, &dg1), (2, &dg2)], ds, issuer, serial, ds_key);
    (sod, dgs(&[(1, &dg1), (2, &dg2)]))
}

#[test]
fn forged_ds_certificate_under_an_e3_csca_is_rejected() {
    let csca = rsa_csca();
    let mut store = TrustStore::new();
    store.add_der(&csca.cert, "CSCA e=3").unwrap();
    let ds_key = key(2);
    // The attacker's DS certificate "signed" by the CSCA: only its public key was used.
    let (ds, serial) = (1..=255u8)
        .find_map(|s| {
            let tbs = ds_tbs(&csca.name, s, &ds_key, SHA256_WITH_RSA, &CSCA_KEY_ID);
            forge(&tbs).map(|sig| (signed(&tbs, &alg(SHA256_WITH_RSA), &sig), s))
        })
        .unwrap();
    let (sod, dgs) = ec_document(&ds, &csca.name, serial, &ds_key);
    let out = verify_sod(&sod, &dgs, &store, &opts());
    assert!(out.sod_signature_valid, "{:?}", out.reasons);
    assert!(
        !out.document_certificate_valid,
        "forged DS certificate accepted: {:?}",
        out.reasons
    );
    assert!(out.has(ReasonCode::DsCertificateSignatureInvalid), "{:?}", out.reasons);
    assert!(!out.verified());
    // Control: the same certificate genuinely signed by the e = 3 CSCA verifies.
    let tbs = ds_tbs(&csca.name, serial, &ds_key, SHA256_WITH_RSA, &CSCA_KEY_ID);
    let ds = signed(&tbs, &alg(SHA256_WITH_RSA), &rsa_sign(&csca.key, &tbs, false));
    let (sod, dgs) = ec_document(&ds, &csca.name, serial, &ds_key);
    let out = verify_sod(&sod, &dgs, &store, &opts());
    assert!(out.verified(), "{:?}", out.reasons);
}

#[test]
fn forged_sod_signature_of_an_e3_document_signer_is_rejected() {
    let csca_key = key(1);
    let csca_name = name("DE", "CSCA");
    let csca = common::cert(&common::CertSpec {
        serial: 1,
        issuer: csca_name.clone(),
        subject: csca_name.clone(),
        not_before: VALIDITY.0,
        not_after: VALIDITY.1,
        subject_key: &csca_key,
        issuer_key: &csca_key,
        key_usage: common::KU_CERT_AND_CRL_SIGN,
        ca: true,
    });
    let mut store = TrustStore::new();
    store.add_der(&csca, "CSCA").unwrap();
    // A genuine DS certificate for an RSA e = 3 key.
    let ds_rsa = e3();
    let tbs = tbs_cert(
        &[0x42],
        &alg(ECDSA_SHA256),
        &csca_name,
        &name("DE", "DS e=3"),
        VALIDITY,
        &rsa_spki(&ds_rsa),
        &[ski_ext(&[0xD5; 20]), aki_ext(&ski(&csca_key)), ku_ext(0x80)],
    );
    let ds = signed(&tbs, &alg(ECDSA_SHA256), &ec_sign(&csca_key, &tbs));
    let dg1 = dg1("D<<");
    // The attacker's data groups; DG2 varies until the digest allows the cube root.
    let (sod, dg2) = (0..=255u8)
        .find_map(|nonce| {
            let dg2 = vec![0x75, 0x03, 0x01, 0x02, nonce];
            x509::sod(
                &[(1, &dg1), (2, &dg2)],
                &ds,
                &csca_name,
                &[0x42],
                &alg(SHA256_WITH_RSA),
                forge,
            )
            .map(|s| (s, dg2))
        })
        .unwrap();
    let groups = dgs(&[(1, &dg1), (2, &dg2)]);
    let out = verify_sod(&sod, &groups, &store, &opts());
    assert!(
        !out.sod_signature_valid,
        "forged SOD signature accepted: {:?}",
        out.reasons
    );
    assert!(out.has(ReasonCode::SodSignatureInvalid), "{:?}", out.reasons);
    assert!(out.all_hashes_valid && out.document_certificate_valid);
    assert!(!out.verified());
    // Control: genuinely signed by the e = 3 key, with NULL and with absent DigestInfo
    // parameters (both encodings are accepted).
    for absent in [false, true] {
        let sod = x509::sod(
            &[(1, &dg1), (2, &dg2)],
            &ds,
            &csca_name,
            &[0x42],
            &alg(SHA256_WITH_RSA),
            |m| Some(rsa_sign(&ds_rsa, m, absent)),
        )
        .unwrap();
        let out = verify_sod(&sod, &groups, &store, &opts());
        assert!(out.verified(), "absent params {absent}: {:?}", out.reasons);
    }
}

#[test]
fn forged_crl_of_an_e3_csca_is_not_applied() {
    let csca = rsa_csca();
    let ds_key = key(2);
    let tbs = ds_tbs(&csca.name, 0x42, &ds_key, SHA256_WITH_RSA, &CSCA_KEY_ID);
    let ds = signed(&tbs, &alg(SHA256_WITH_RSA), &rsa_sign(&csca.key, &tbs, false));
    let (sod, dgs) = ec_document(&ds, &csca.name, 0x42, &ds_key);
    // A CRL "signed" by the CSCA that revokes the genuine DS.
    let forged = (1..=255u8)
        .find_map(|n| {
            let tbs = tbs_crl(
                &alg(SHA256_WITH_RSA),
                &csca.name,
                ("240101000000Z", "300101000000Z"),
                &[&[0x42]],
                Some(&CSCA_KEY_ID),
                n,
            );
            forge(&tbs).map(|sig| signed(&tbs, &alg(SHA256_WITH_RSA), &sig))
        })
        .unwrap();
    let mut store = TrustStore::new();
    store.add_der(&csca.cert, "CSCA e=3").unwrap();
    store.add_crl(&forged, "forged CRL").unwrap();
    let out = verify_sod(&sod, &dgs, &store, &opts());
    assert!(!out.has(ReasonCode::DsRevoked), "forged CRL applied: {:?}", out.reasons);
    assert!(out.has(ReasonCode::CrlSignatureInvalid), "{:?}", out.reasons);
    assert!(out.verified(), "{:?}", out.reasons);
    // Control: the same CRL genuinely signed revokes the DS.
    let tbs = tbs_crl(
        &alg(SHA256_WITH_RSA),
        &csca.name,
        ("240101000000Z", "300101000000Z"),
        &[&[0x42]],
        Some(&CSCA_KEY_ID),
        1,
    );
    let genuine = signed(&tbs, &alg(SHA256_WITH_RSA), &rsa_sign(&csca.key, &tbs, false));
    let mut store = TrustStore::new();
    store.add_der(&csca.cert, "CSCA e=3").unwrap();
    store.add_crl(&genuine, "CRL").unwrap();
    let out = verify_sod(&sod, &dgs, &store, &opts());
    assert!(out.has(ReasonCode::DsRevoked), "{:?}", out.reasons);
    assert!(!out.verified());
}

#[test]
fn forged_master_list_of_an_e3_signer_adds_nothing() {
    let root_key = key(5);
    let root_name = name("DE", "ML Root");
    let root = common::cert(&common::CertSpec {
        serial: 5,
        issuer: root_name.clone(),
        subject: root_name.clone(),
        not_before: VALIDITY.0,
        not_after: VALIDITY.1,
        subject_key: &root_key,
        issuer_key: &root_key,
        key_usage: common::KU_CERT_AND_CRL_SIGN,
        ca: true,
    });
    // A genuine master list signer certificate for an e = 3 key.
    let signer_key = e3();
    let tbs = tbs_cert(
        &[7],
        &alg(ECDSA_SHA256),
        &root_name,
        &name("DE", "ML Signer e=3"),
        VALIDITY,
        &rsa_spki(&signer_key),
        &[ski_ext(&[0x5E; 20]), aki_ext(&ski(&root_key)), ku_ext(0x80)],
    );
    let signer = signed(&tbs, &alg(ECDSA_SHA256), &ec_sign(&root_key, &tbs));
    // The attacker's CSCA, in a list "signed" by the signer.
    let attacker = key(9);
    let csca_for = |serial: u8| {
        common::cert(&common::CertSpec {
            serial,
            issuer: name("DE", "Attacker CSCA"),
            subject: name("DE", "Attacker CSCA"),
            not_before: VALIDITY.0,
            not_after: VALIDITY.1,
            subject_key: &attacker,
            issuer_key: &attacker,
            key_usage: common::KU_CERT_AND_CRL_SIGN,
            ca: true,
        })
    };
    let ml = (1..=255u8)
        .find_map(|serial| {
            signed_data(
                "2.23.136.1.1.2",
                &master_list_content(&[&csca_for(serial)]),
                &signer,
                &root_name,
                &[7],
                &alg(SHA256_WITH_RSA),
                forge,
            )
        })
        .unwrap();
    let mut store = TrustStore::new();
    store.add_master_list_root(&root).unwrap();
    let r = store.add_master_list(&ml, "forged ML").unwrap();
    assert!(!r.signature_valid, "forged master list signature accepted: {r:?}");
    assert_eq!(r.added, 0);
    assert_eq!(store.len(), 0);
    // Control: the same list genuinely signed is verified and adds its CSCA.
    let ml = signed_data(
        "2.23.136.1.1.2",
        &master_list_content(&[&csca_for(1)]),
        &signer,
        &root_name,
        &[7],
        &alg(SHA256_WITH_RSA),
        |m| Some(rsa_sign(&signer_key, m, false)),
    )
    .unwrap();
    let mut store = TrustStore::new();
    store.add_master_list_root(&root).unwrap();
    let r = store.add_master_list(&ml, "ML").unwrap();
    assert!(r.verified(), "{r:?}");
    assert_eq!(r.added, 1);
}
