//! Issue 13 hole 6: revocation does not fail open. A CRL is checked against every trusted CSCA
//! of its issuer (name and authority key identifier: after a key rollover the new key signs
//! the CRL that revokes Document Signers of the old key), its signer needs the cRLSign key
//! usage, and a CRL past its nextUpdate is reported (`RevocationStale`) and fails PA when
//! `PaOptions::fail_on_stale_crl` is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;
#[path = "common/x509.rs"]
mod x509;

use common::{dg1, key, spki};
use emrtd_pa::store::TrustStore;
use emrtd_pa::{PaOptions, PaOutcome, ReasonCode, verify_sod};
use std::collections::BTreeMap;
use x509::*;

/// 2025-01-01T00:00:00Z.
const AT: i64 = 1_735_689_600;
const DS_SERIAL: u8 = 0x42;
const FRESH: (&str, &str) = ("241201000000Z", "250201000000Z");
const STALE: (&str, &str) = ("240101000000Z", "241201000000Z");

/// The old CSCA (key 1) issued the DS; the new CSCA (key 3) has the same name.
struct Rollover {
    old: EcCa,
    new: EcCa,
    sod: Vec<u8>,
    dgs: BTreeMap<u8, Vec<u8>>,
}

fn rollover(new_ku: u8) -> Rollover {
    let old = ec_csca(1, "DE", "CSCA", 0x06, &[]);
    let new = ec_csca(3, "DE", "CSCA", new_ku, &[]);
    assert_eq!(old.name, new.name);
    assert_ne!(old.key_id, new.key_id);
    let ds_key = key(2);
    let ds = ec_issued(&old, DS_SERIAL, &spki(&ds_key), ECDSA_SHA256, ECDSA_SHA256, &[]);
    let dg1 = dg1("D<<");
    let sod = common::sod(&[(1, &dg1)], &ds, &old.name, DS_SERIAL, &ds_key);
    Rollover {
        old,
        new,
        sod,
        dgs: BTreeMap::from([(1, dg1)]),
    }
}

fn verify(r: &Rollover, crl: &[u8], opts: &PaOptions) -> PaOutcome {
    let mut store = TrustStore::new();
    store.add_der(&r.old.cert, "old CSCA").unwrap();
    store.add_der(&r.new.cert, "new CSCA").unwrap();
    store.add_crl(crl, "CRL").unwrap();
    verify_sod(&r.sod, &r.dgs, &store, opts)
}

fn at() -> PaOptions {
    PaOptions {
        at: Some(AT),
        ..PaOptions::default()
    }
}

#[test]
fn crl_of_the_new_csca_key_revokes_a_ds_of_the_old_key() {
    let r = rollover(0x06);
    // Without a CRL the document verifies.
    let empty = ec_crl(&r.new.name, &r.new, FRESH, &[]);
    let out = verify(&r, &empty, &at());
    assert!(out.verified(), "{:?}", out.reasons);
    assert!(!out.has(ReasonCode::CrlSignatureInvalid), "{:?}", out.reasons);
    // The new key's CRL lists the DS of the old key: revoked.
    let crl = ec_crl(&r.new.name, &r.new, FRESH, &[&[DS_SERIAL]]);
    let out = verify(&r, &crl, &at());
    assert!(out.has(ReasonCode::DsRevoked), "{:?}", out.reasons);
    assert!(!out.document_certificate_valid);
    assert!(!out.verified());
    // The old key's CRL works as before.
    let crl = ec_crl(&r.old.name, &r.old, FRESH, &[&[DS_SERIAL]]);
    assert!(verify(&r, &crl, &at()).has(ReasonCode::DsRevoked));
}

#[test]
fn crl_signed_by_a_key_without_crl_sign_is_not_used_and_reported() {
    // The new certificate has keyCertSign only.
    let r = rollover(0x04);
    let crl = ec_crl(&r.new.name, &r.new, FRESH, &[&[DS_SERIAL]]);
    let out = verify(&r, &crl, &at());
    assert!(!out.has(ReasonCode::DsRevoked), "{:?}", out.reasons);
    assert!(out.has(ReasonCode::CrlSignerNotAuthorized), "{:?}", out.reasons);
    assert!(out.verified(), "{:?}", out.reasons);
}

#[test]
fn stale_crl_is_reported_and_fails_only_when_asked() {
    let r = rollover(0x06);
    let crl = ec_crl(&r.old.name, &r.old, STALE, &[]);
    // Default: reported, not failed.
    let out = verify(&r, &crl, &at());
    assert!(out.has(ReasonCode::RevocationStale), "{:?}", out.reasons);
    assert!(out.verified(), "{:?}", out.reasons);
    // Policy: a stale CRL fails passive authentication.
    let strict = PaOptions {
        fail_on_stale_crl: true,
        ..at()
    };
    let out = verify(&r, &crl, &strict);
    assert!(out.has(ReasonCode::RevocationStale), "{:?}", out.reasons);
    assert!(!out.document_certificate_valid);
    assert!(!out.verified());
    // A fresh CRL passes under the strict policy and is not reported stale.
    let crl = ec_crl(&r.old.name, &r.old, FRESH, &[]);
    let out = verify(&r, &crl, &strict);
    assert!(!out.has(ReasonCode::RevocationStale), "{:?}", out.reasons);
    assert!(out.verified(), "{:?}", out.reasons);
}
