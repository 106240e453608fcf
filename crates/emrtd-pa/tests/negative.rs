//! Negative tests: each failure gives the right false field and reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use emrtd_lds::sod::EfSod;
use emrtd_pa::store::TrustStore;
use emrtd_pa::{PaOptions, ReasonCode, verify_sod};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn read(p: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/vectors")
            .join(p),
    )
    .unwrap()
}

/// 2025-01-01T00:00:00Z.
const AT_2025: i64 = 1_735_689_600;

fn at(t: i64) -> PaOptions {
    PaOptions {
        at: Some(t),
        ..PaOptions::default()
    }
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).position(|w| w == needle).expect("needle")
}

fn dgs(list: &[(u8, &[u8])]) -> BTreeMap<u8, Vec<u8>> {
    list.iter().map(|(n, d)| (*n, d.to_vec())).collect()
}

struct Doc {
    pki: Pki,
    dg1: Vec<u8>,
    dg2: Vec<u8>,
    sod: Vec<u8>,
    store: TrustStore,
}

fn doc(country: &str, mrz_state: &str, csca_validity: (&str, &str)) -> Doc {
    let pki = pki(country, csca_validity, ("200101000000Z", "350101000000Z"));
    let dg1 = dg1(mrz_state);
    let dg2 = vec![0x75, 0x03, 0x01, 0x02, 0x03];
    let sod = sod(
        &[(1, &dg1), (2, &dg2)],
        &pki.ds,
        &pki.csca_name,
        pki.ds_serial,
        &pki.ds_key,
    );
    let mut store = TrustStore::new();
    store.add_der(&pki.csca, "test CSCA").unwrap();
    Doc {
        pki,
        dg1,
        dg2,
        sod,
        store,
    }
}

#[test]
fn test_pki_document_verifies() {
    let d = doc("DE", "D<<", ("190101000000Z", "400101000000Z"));
    let out = verify_sod(&d.sod, &dgs(&[(1, &d.dg1), (2, &d.dg2)]), &d.store, &at(AT_2025));
    assert!(out.verified(), "{:?}", out.reasons);
    assert_eq!(out.data_groups_checked, vec![1, 2]);
    assert_eq!(out.data_groups_with_valid_hash, vec![1, 2]);
}

#[test]
fn flipped_byte_in_a_data_group() {
    let d = doc("DE", "D<<", ("190101000000Z", "400101000000Z"));
    let mut dg2 = d.dg2.clone();
    dg2[3] ^= 0x01;
    let out = verify_sod(&d.sod, &dgs(&[(1, &d.dg1), (2, &dg2)]), &d.store, &at(AT_2025));
    assert!(out.sod_signature_valid);
    assert!(out.document_certificate_valid);
    assert!(!out.all_hashes_valid);
    assert_eq!(out.data_groups_checked, vec![1, 2]);
    assert_eq!(out.data_groups_with_valid_hash, vec![1]);
    assert!(out.has(ReasonCode::DataGroupHashMismatch));
    assert!(!out.verified());
}

#[test]
fn flipped_byte_in_a_real_specimen_data_group() {
    let dir = "bsi-tr03105-mustermann";
    let mut groups = BTreeMap::new();
    for (n, f) in [
        (1u8, "Datagroup1.bin"),
        (2, "Datagroup2.bin"),
        (3, "Datagroup3.bin"),
        (4, "Datagroup4.bin"),
        (14, "Datagroup14.bin"),
    ] {
        groups.insert(n, read(&format!("{dir}/{f}")));
    }
    let sod = read(&format!("{dir}/EF_SOD.bin"));
    let store = TrustStore::new();
    let out = verify_sod(&sod, &groups, &store, &PaOptions::default());
    assert!(out.all_hashes_valid, "{:?}", out.reasons);
    groups.get_mut(&14).unwrap()[20] ^= 0x80;
    let out = verify_sod(&sod, &groups, &store, &PaOptions::default());
    assert!(!out.all_hashes_valid);
    assert_eq!(out.data_groups_with_valid_hash, vec![1, 2, 3, 4]);
    assert!(out.has(ReasonCode::DataGroupHashMismatch));
}

#[test]
fn flipped_byte_in_signed_attributes_message_digest() {
    for f in ["FR_EF.SOD.bin", "DE_EF.SOD.bin", "ID_EF.SOD.bin"] {
        let mut sod = read(&format!("real-sod/{f}"));
        let parsed = EfSod::parse(&sod).unwrap();
        let md = parsed.signed_data.signer_infos[0]
            .signed_attributes
            .as_ref()
            .unwrap()
            .message_digest
            .clone()
            .unwrap();
        let p = find(&sod, &md);
        sod[p + 3] ^= 0x01;
        let out = verify_sod(&sod, &BTreeMap::new(), &TrustStore::new(), &PaOptions::default());
        assert!(!out.sod_signature_valid, "{f}");
        assert!(out.has(ReasonCode::SignedAttributesInvalid), "{f}: {:?}", out.reasons);
    }
}

#[test]
fn flipped_byte_in_signed_attributes_content() {
    // Change a byte of the signed attributes that is not the digest: the signature breaks.
    let d = doc("DE", "D<<", ("190101000000Z", "400101000000Z"));
    let parsed = EfSod::parse(&d.sod).unwrap();
    let raw = parsed.signed_data.signer_infos[0]
        .signed_attributes
        .as_ref()
        .unwrap()
        .raw
        .clone();
    let mut sod = d.sod.clone();
    let p = find(&sod, &raw);
    // Flip the last byte of the content-type attribute's OID (2.23.136.1.1.1 → .3).
    let ct = emrtd_lds::asn1::oid_from_string("2.23.136.1.1.1").unwrap();
    let q = p + find(&raw, &ct) + ct.len() - 1;
    sod[q] ^= 0x02;
    let out = verify_sod(&sod, &dgs(&[(1, &d.dg1), (2, &d.dg2)]), &d.store, &at(AT_2025));
    assert!(!out.sod_signature_valid);
    assert!(out.has(ReasonCode::SignedAttributesInvalid), "{:?}", out.reasons);
}

#[test]
fn flipped_byte_in_the_signature() {
    for f in [
        "AT_EF.SOD.bin",
        "DE_EF.SOD.bin",
        "FI_EF.SOD.bin",
        "FR_EF.SOD.bin",
        "ID_EF.SOD.bin",
        "MY_EF.SOD.bin",
    ] {
        let mut sod = read(&format!("real-sod/{f}"));
        let parsed = EfSod::parse(&sod).unwrap();
        let sig = parsed.signed_data.signer_infos[0].signature.clone();
        let p = find(&sod, &sig);
        sod[p + sig.len() / 2] ^= 0x10;
        let out = verify_sod(&sod, &BTreeMap::new(), &TrustStore::new(), &PaOptions::default());
        assert!(!out.sod_signature_valid, "{f}");
        assert!(out.has(ReasonCode::SodSignatureInvalid), "{f}: {:?}", out.reasons);
    }
}

#[test]
fn ds_from_another_country() {
    // The DS/CSCA are German, the MRZ says France.
    let d = doc("DE", "FRA", ("190101000000Z", "400101000000Z"));
    let out = verify_sod(&d.sod, &dgs(&[(1, &d.dg1), (2, &d.dg2)]), &d.store, &at(AT_2025));
    assert!(out.sod_signature_valid);
    assert!(out.all_hashes_valid);
    assert!(!out.document_certificate_valid);
    assert!(out.has(ReasonCode::CountryMismatch), "{:?}", out.reasons);
    // The ICAO code "D" maps to DE: no mismatch.
    let d = doc("DE", "D<<", ("190101000000Z", "400101000000Z"));
    let out = verify_sod(&d.sod, &dgs(&[(1, &d.dg1)]), &d.store, &at(AT_2025));
    assert!(!out.has(ReasonCode::CountryMismatch));
}

#[test]
fn expired_csca() {
    let d = doc("DE", "D<<", ("190101000000Z", "221231000000Z"));
    let out = verify_sod(&d.sod, &dgs(&[(1, &d.dg1), (2, &d.dg2)]), &d.store, &at(AT_2025));
    assert!(out.sod_signature_valid, "an expired CSCA is not a broken signature");
    assert!(out.all_hashes_valid);
    assert!(!out.document_certificate_valid);
    assert!(out.has(ReasonCode::CscaExpired), "{:?}", out.reasons);
    assert!(!out.has(ReasonCode::DsCertificateSignatureInvalid));
}

#[test]
fn expired_document_signer_is_reported_separately() {
    let mut store = TrustStore::new();
    store
        .add_master_list_root(&read("masterlists/DE_ROOT_CA_CSCA07.cer"))
        .unwrap();
    store
        .add_master_list(&read("masterlists/DE_ML_2026-05-28-08-28-45.ml"), "DE")
        .unwrap();
    // 2040-01-01: after the FR DS expired (2027).
    let out = verify_sod(
        &read("real-sod/FR_EF.SOD.bin"),
        &BTreeMap::new(),
        &store,
        &at(2_208_988_800),
    );
    assert!(out.sod_signature_valid);
    assert!(!out.document_certificate_valid);
    assert!(out.has(ReasonCode::DsCertificateExpired), "{:?}", out.reasons);
    assert!(!out.has(ReasonCode::DsCertificateSignatureInvalid));
}

#[test]
fn ds_on_a_crl() {
    let mut d = doc("DE", "D<<", ("190101000000Z", "400101000000Z"));
    // A CRL not listing the DS changes nothing.
    d.store
        .add_crl(&crl(&d.pki.csca_name, &d.pki.csca_key, &[7]), "crl")
        .unwrap();
    let out = verify_sod(&d.sod, &dgs(&[(1, &d.dg1)]), &d.store, &at(AT_2025));
    assert!(out.document_certificate_valid, "{:?}", out.reasons);
    // A CRL with a forged signature is ignored and reported.
    let mut forged = d.store.clone();
    forged
        .add_crl(&crl(&d.pki.csca_name, &key(9), &[d.pki.ds_serial]), "forged")
        .unwrap();
    let out = verify_sod(&d.sod, &dgs(&[(1, &d.dg1)]), &forged, &at(AT_2025));
    assert!(out.document_certificate_valid);
    assert!(out.has(ReasonCode::CrlSignatureInvalid));
    // The CSCA's CRL lists the DS.
    d.store
        .add_crl(&crl(&d.pki.csca_name, &d.pki.csca_key, &[3, d.pki.ds_serial]), "crl2")
        .unwrap();
    let out = verify_sod(&d.sod, &dgs(&[(1, &d.dg1)]), &d.store, &at(AT_2025));
    assert!(out.sod_signature_valid);
    assert!(!out.document_certificate_valid);
    assert!(out.has(ReasonCode::DsRevoked), "{:?}", out.reasons);
}

#[test]
fn ds_signed_by_an_untrusted_key() {
    let d = doc("DE", "D<<", ("190101000000Z", "400101000000Z"));
    // A CSCA with the same name but another key.
    let other = key(7);
    let fake_csca = cert(&CertSpec {
        serial: 1,
        issuer: d.pki.csca_name.clone(),
        subject: d.pki.csca_name.clone(),
        not_before: "190101000000Z",
        not_after: "400101000000Z",
        subject_key: &other,
        issuer_key: &other,
        key_usage: KU_CERT_AND_CRL_SIGN,
        ca: true,
    });
    let mut store = TrustStore::new();
    store.add_der(&fake_csca, "fake").unwrap();
    let out = verify_sod(&d.sod, &dgs(&[(1, &d.dg1)]), &store, &at(AT_2025));
    assert!(out.sod_signature_valid);
    assert!(!out.document_certificate_valid);
    assert!(out.has(ReasonCode::DsCertificateSignatureInvalid), "{:?}", out.reasons);
}

#[test]
fn chain_through_a_link_certificate() {
    // Old CSCA (trusted, self-signed), new CSCA key certified by a link certificate signed
    // with the old key; the DS is signed with the new key.
    let old = key(11);
    let new = key(12);
    let ds_key = key(13);
    let csca_name = name("DE", "Test CSCA");
    let old_root = cert(&CertSpec {
        serial: 1,
        issuer: csca_name.clone(),
        subject: csca_name.clone(),
        not_before: "150101000000Z",
        not_after: "400101000000Z",
        subject_key: &old,
        issuer_key: &old,
        key_usage: KU_CERT_AND_CRL_SIGN,
        ca: true,
    });
    let link = cert(&CertSpec {
        serial: 2,
        issuer: csca_name.clone(),
        subject: csca_name.clone(),
        not_before: "200101000000Z",
        not_after: "400101000000Z",
        subject_key: &new,
        issuer_key: &old,
        key_usage: KU_CERT_AND_CRL_SIGN,
        ca: true,
    });
    let ds = cert(&CertSpec {
        serial: 3,
        issuer: csca_name.clone(),
        subject: name("DE", "Test DS"),
        not_before: "200101000000Z",
        not_after: "350101000000Z",
        subject_key: &ds_key,
        issuer_key: &new,
        key_usage: KU_DIGITAL_SIGNATURE,
        ca: false,
    });
    let dg1 = dg1("D<<");
    let sod = sod(&[(1, &dg1)], &ds, &csca_name, 3, &ds_key);
    let mut store = TrustStore::new();
    store.add_der(&old_root, "old").unwrap();
    store.add_der(&link, "link").unwrap();
    let out = verify_sod(&sod, &dgs(&[(1, &dg1)]), &store, &at(AT_2025));
    assert!(out.verified(), "{:?}", out.reasons);
    assert_eq!(out.csca.as_ref().unwrap().serial, "02");
    assert_eq!(out.csca_path.len(), 1);
    assert_eq!(out.csca_path[0].serial, "01");
    // Without the link certificate the DS does not chain.
    let mut only_old = TrustStore::new();
    only_old.add_der(&old_root, "old").unwrap();
    let out = verify_sod(&sod, &dgs(&[(1, &dg1)]), &only_old, &at(AT_2025));
    assert!(!out.document_certificate_valid);
    assert!(out.has(ReasonCode::DsCertificateSignatureInvalid));
}

#[test]
fn data_group_missing_from_sod() {
    let d = doc("DE", "D<<", ("190101000000Z", "400101000000Z"));
    let out = verify_sod(&d.sod, &dgs(&[(1, &d.dg1), (3, &[0x63, 0x00])]), &d.store, &at(AT_2025));
    assert!(!out.all_hashes_valid);
    assert!(out.has(ReasonCode::DataGroupNotInSod));
    assert_eq!(out.data_groups_not_supplied, vec![2]);
}

#[test]
fn supplied_document_signer_certificate() {
    let fr = read("real-sod/FR_EF.SOD.bin");
    let de = read("real-sod/DE_EF.SOD.bin");
    let fr_ds = EfSod::parse(&fr).unwrap().signed_data.certificates[0].clone();
    let de_ds = EfSod::parse(&de).unwrap().signed_data.certificates[0].clone();
    let with = |ds: Vec<u8>| PaOptions {
        ds_certificate: Some(ds),
        ..PaOptions::default()
    };
    let out = verify_sod(&fr, &BTreeMap::new(), &TrustStore::new(), &with(fr_ds));
    assert!(out.sod_signature_valid, "{:?}", out.reasons);
    // Another country's DS does not verify the French SOD.
    let out = verify_sod(&fr, &BTreeMap::new(), &TrustStore::new(), &with(de_ds));
    assert!(!out.sod_signature_valid);
    assert!(out.has(ReasonCode::SodSignatureInvalid), "{:?}", out.reasons);
    // Garbage as DS is an error.
    let out = verify_sod(
        &fr,
        &BTreeMap::new(),
        &TrustStore::new(),
        &with(vec![0x30, 0x03, 0x02, 0x01, 0x00]),
    );
    assert!(out.error.is_some());
    assert!(out.has(ReasonCode::DsCertificateUnparsable));
}

#[test]
fn ds_claiming_another_country_than_its_csca() {
    // A DS naming a French issuer but signed by the German CSCA key (found through the
    // authority key identifier): the signature chains, the countries do not match.
    let csca_key = key(1);
    let ds_key = key(2);
    let de_name = name("DE", "Test CSCA");
    let csca = cert(&CertSpec {
        serial: 1,
        issuer: de_name.clone(),
        subject: de_name.clone(),
        not_before: "190101000000Z",
        not_after: "400101000000Z",
        subject_key: &csca_key,
        issuer_key: &csca_key,
        key_usage: KU_CERT_AND_CRL_SIGN,
        ca: true,
    });
    let fr_name = name("FR", "Test CSCA");
    let ds = cert(&CertSpec {
        serial: 5,
        issuer: fr_name.clone(),
        subject: name("FR", "Test DS"),
        not_before: "200101000000Z",
        not_after: "350101000000Z",
        subject_key: &ds_key,
        issuer_key: &csca_key,
        key_usage: KU_DIGITAL_SIGNATURE,
        ca: false,
    });
    let dg1 = dg1("FRA");
    let sod = sod(&[(1, &dg1)], &ds, &fr_name, 5, &ds_key);
    let mut store = TrustStore::new();
    store.add_der(&csca, "de").unwrap();
    let out = verify_sod(&sod, &dgs(&[(1, &dg1)]), &store, &at(AT_2025));
    assert!(out.sod_signature_valid);
    assert!(!out.document_certificate_valid);
    assert!(out.has(ReasonCode::CountryMismatch), "{:?}", out.reasons);
}

#[test]
fn ds_without_digital_signature_key_usage() {
    let csca_key = key(1);
    let ds_key = key(2);
    let n = name("DE", "Test CSCA");
    let csca = cert(&CertSpec {
        serial: 1,
        issuer: n.clone(),
        subject: n.clone(),
        not_before: "190101000000Z",
        not_after: "400101000000Z",
        subject_key: &csca_key,
        issuer_key: &csca_key,
        key_usage: KU_CERT_AND_CRL_SIGN,
        ca: true,
    });
    let ds = cert(&CertSpec {
        serial: 6,
        issuer: n.clone(),
        subject: name("DE", "Test DS"),
        not_before: "200101000000Z",
        not_after: "350101000000Z",
        subject_key: &ds_key,
        issuer_key: &csca_key,
        key_usage: KU_CERT_AND_CRL_SIGN,
        ca: false,
    });
    let dg1 = dg1("D<<");
    let sod = sod(&[(1, &dg1)], &ds, &n, 6, &ds_key);
    let mut store = TrustStore::new();
    store.add_der(&csca, "de").unwrap();
    let out = verify_sod(&sod, &dgs(&[(1, &dg1)]), &store, &at(AT_2025));
    assert!(out.sod_signature_valid);
    assert!(!out.document_certificate_valid);
    assert!(out.has(ReasonCode::KeyUsage), "{:?}", out.reasons);
}

#[test]
fn ber_indefinite_lengths_and_chunked_econtent() {
    let d = doc("DE", "D<<", ("190101000000Z", "400101000000Z"));
    let ber = sod_encoded(
        &[(1, &d.dg1), (2, &d.dg2)],
        &d.pki.ds,
        &d.pki.csca_name,
        d.pki.ds_serial,
        &d.pki.ds_key,
        true,
    );
    assert_ne!(ber, d.sod);
    let parsed = EfSod::parse(&ber).unwrap();
    assert_eq!(
        parsed,
        EfSod {
            raw: parsed.raw.clone(),
            ..EfSod::parse(&d.sod).unwrap()
        }
    );
    let out = verify_sod(&ber, &dgs(&[(1, &d.dg1), (2, &d.dg2)]), &d.store, &at(AT_2025));
    assert!(out.verified(), "{:?}", out.reasons);
    // A flipped byte inside a chunk of the encapsulated content breaks the message digest.
    let mut bad = ber.clone();
    let p = find(&bad, &[0x24, 0x80, 0x04]) + 6;
    bad[p] ^= 0x01;
    let out = verify_sod(&bad, &dgs(&[(1, &d.dg1), (2, &d.dg2)]), &d.store, &at(AT_2025));
    assert!(!out.sod_signature_valid);
    assert!(
        out.has(ReasonCode::SignedAttributesInvalid) || out.has(ReasonCode::SodStructure),
        "{:?}",
        out.reasons
    );
}
