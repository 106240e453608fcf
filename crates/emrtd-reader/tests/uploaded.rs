//! Attacks on `verify_uploaded` (DocVal v2: the phone uploads the files) with REF-1's genuine
//! files from the fixture: what a hostile phone may change and the verdict it must get.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use emrtd_reader::uploaded::{RemoteChipAuthentication, UploadedDocument, verify_uploaded};
use emrtd_result::AuthResult;
use std::collections::BTreeMap;
use zeroize::Zeroizing;

fn file(fid: &str) -> Zeroizing<Vec<u8>> {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/documents/ref-1/");
    Zeroizing::new(std::fs::read(format!("{p}{fid}.bin")).unwrap())
}

/// REF-1 as an honest phone uploads it after a confirmed chip authentication, no AA signature.
fn genuine() -> UploadedDocument {
    let mut dgs = BTreeMap::new();
    for (n, fid) in [
        (1u8, "0101"),
        (2, "0102"),
        (7, "0107"),
        (11, "010B"),
        (12, "010C"),
        (14, "010E"),
        (15, "010F"),
    ] {
        dgs.insert(n, file(fid));
    }
    UploadedDocument {
        sod: Some(file("011D")),
        data_groups: dgs,
        verifier_dg1: Some(file("0101")),
        card_security: None,
        chip_authentication: RemoteChipAuthentication::Confirmed,
        aa_challenge: [0; 8],
        aa_signature: None,
    }
}

fn run(doc: UploadedDocument) -> emrtd_reader::Reading {
    let store = emrtd_trust::test_pki_store().unwrap();
    verify_uploaded(doc, &store, &emrtd_pa::PaOptions::default())
}

#[test]
fn confirmed_chip_authentication_on_genuine_files_succeeds() {
    let r = run(genuine());
    assert!(r.passive_authentication_ok(), "{:?}", r.errors);
    assert_eq!(r.chip_authentication, AuthResult::Success, "{:?}", r.errors);
    // DG15 present, no signature over the challenge.
    assert_eq!(r.active_authentication, AuthResult::Failed);
}

/// A DG14 changed after signing (the phone's own CA key in it): CA may be "confirmed" with that
/// key, but EF.SOD's DG14 hash no longer matches.
#[test]
fn a_forged_dg14_is_not_chip_authenticated() {
    let mut doc = genuine();
    let dg14 = doc.data_groups.get_mut(&14).unwrap();
    let last = dg14.len() - 1;
    dg14[last] ^= 0x01;
    let r = run(doc);
    assert_eq!(r.chip_authentication, AuthResult::Failed, "{:?}", r.errors);
    assert!(!r.passive_authentication_ok());
}

/// Without EF.SOD nothing is authentic and nothing is known to be absent.
#[test]
fn without_the_sod_neither_success_nor_unavailable() {
    let mut doc = genuine();
    doc.sod = None;
    let r = run(doc);
    assert_eq!(r.chip_authentication, AuthResult::Failed, "{:?}", r.errors);
    assert_eq!(r.active_authentication, AuthResult::Failed);
    let mut doc = genuine();
    doc.sod = None;
    doc.data_groups.remove(&14);
    doc.data_groups.remove(&15);
    doc.chip_authentication = RemoteChipAuthentication::NotPerformed;
    let r = run(doc);
    assert_eq!(r.chip_authentication, AuthResult::Failed, "{:?}", r.errors);
    assert_eq!(r.active_authentication, AuthResult::Failed);
}

/// A phone DG1 that differs from the one the server read under the new keys.
#[test]
fn a_phone_dg1_differing_from_the_chips_fails_chip_authentication() {
    let mut doc = genuine();
    let dg1 = doc.data_groups.get_mut(&1).unwrap();
    dg1[10] ^= 0x01;
    let r = run(doc);
    assert_eq!(r.chip_authentication, AuthResult::Failed, "{:?}", r.errors);
    // The DG1 verified is the server's.
    assert!(r.passive_authentication_ok(), "{:?}", r.errors);
}

/// DG14 and DG15 listed in EF.SOD but withheld.
#[test]
fn withheld_dg14_and_dg15_fail() {
    let mut doc = genuine();
    doc.data_groups.remove(&14);
    doc.data_groups.remove(&15);
    doc.chip_authentication = RemoteChipAuthentication::NotPerformed;
    let r = run(doc);
    assert_eq!(r.chip_authentication, AuthResult::Failed);
    assert_eq!(r.active_authentication, AuthResult::Failed);
}
