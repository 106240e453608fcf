//! The trust store remembers DS → CSCA, CRL and link-certificate signature checks by the
//! exact bytes; validity and revocation are still evaluated on every verification.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use emrtd_pa::cert::Certificate;
use emrtd_pa::verify::chain_document_signer;
use emrtd_pa::{ReasonCode, TrustStore};

fn pki(f: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../../fixtures/pki/{f}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn store() -> TrustStore {
    let mut s = TrustStore::new();
    for f in ["csca-rsa.cer", "csca-ecdsa-explicit.cer", "link-csca-rsa-to-ecdsa.cer"] {
        s.add_der(&pki(f), f).unwrap();
    }
    for f in ["csca-rsa.crl", "csca-ecdsa.crl"] {
        s.add_crl(&pki(f), f).unwrap();
    }
    s
}

/// 2026-06-01.
const AT: i64 = 1_780_272_000;

#[test]
fn remembered_checks_give_the_same_outcome() {
    let s = store();
    assert_eq!(s.remembered_signatures(), 0);
    for ds in [
        "ds-rsa-pss.cer",
        "ds-ecdsa.cer",
        "ds-ecdsa-revoked.cer",
        "ds-rsa-expired.cer",
    ] {
        let ds = Certificate::from_der(&pki(ds)).unwrap();
        let first = chain_document_signer(&ds, &s, Some(AT));
        let n = s.remembered_signatures();
        assert!(n > 0);
        let second = chain_document_signer(&ds, &s, Some(AT));
        assert_eq!(s.remembered_signatures(), n, "nothing new to remember");
        assert_eq!(first.valid, second.valid);
        assert_eq!(first.reasons, second.reasons);
        assert_eq!(first.csca, second.csca);
        assert_eq!(first.path, second.path);
        // And the same as a store that never saw it.
        let cold = chain_document_signer(&ds, &store(), Some(AT));
        assert_eq!(cold.valid, second.valid);
        assert_eq!(cold.reasons, second.reasons);
    }
}

#[test]
fn validity_and_revocation_are_evaluated_each_time() {
    let s = store();
    let ds = Certificate::from_der(&pki("ds-rsa-pss.cer")).unwrap();
    assert!(chain_document_signer(&ds, &s, Some(AT)).valid);
    // Long after expiry: the remembered signature does not make it valid.
    let late = chain_document_signer(&ds, &s, Some(AT + 100 * 365 * 86_400));
    assert!(!late.valid);
    assert!(late.reasons.iter().any(|r| r.code == ReasonCode::DsCertificateExpired));
    let revoked = Certificate::from_der(&pki("ds-ecdsa-revoked.cer")).unwrap();
    for _ in 0..2 {
        let r = chain_document_signer(&revoked, &s, Some(AT));
        assert!(!r.valid);
        assert!(r.reasons.iter().any(|r| r.code == ReasonCode::DsRevoked));
    }
}

#[test]
fn a_tampered_certificate_is_not_taken_for_the_remembered_one() {
    let s = store();
    let der = pki("ds-rsa-pss.cer");
    assert!(chain_document_signer(&Certificate::from_der(&der).unwrap(), &s, Some(AT)).valid);
    // Flip a byte of the signature (the last byte of the certificate).
    let mut bad = der.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let r = chain_document_signer(&Certificate::from_der(&bad).unwrap(), &s, Some(AT));
    assert!(!r.valid);
    assert!(
        r.reasons
            .iter()
            .any(|r| r.code == ReasonCode::DsCertificateSignatureInvalid)
    );
}
