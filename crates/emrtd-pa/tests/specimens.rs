//! Specimen data sets: the SOD hashes match the data groups exactly as stored, and the SOD
//! signature verifies with the Document Signer certificate it carries (the specimen CSCAs are
//! not available, which is reported).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use emrtd_pa::store::TrustStore;
use emrtd_pa::{HashAlg, PaOptions, ReasonCode, verify_sod};
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

fn check(dir: &str, sod: &str, files: &[(u8, &str)], hash: HashAlg) {
    let groups: BTreeMap<u8, Vec<u8>> = files.iter().map(|(n, f)| (*n, read(&format!("{dir}/{f}")))).collect();
    let out = verify_sod(
        &read(&format!("{dir}/{sod}")),
        &groups,
        &TrustStore::new(),
        &PaOptions::default(),
    );
    assert_eq!(out.hash_algorithm, Some(hash), "{dir}");
    assert!(out.all_hashes_valid, "{dir}: {:?}", out.reasons);
    let expected: Vec<u8> = files.iter().map(|(n, _)| *n).collect();
    assert_eq!(out.data_groups_with_valid_hash, expected, "{dir}");
    assert!(out.sod_signature_valid, "{dir}: {:?}", out.reasons);
    assert!(!out.document_certificate_valid);
    assert!(out.has(ReasonCode::CscaNotFound), "{dir}: {:?}", out.reasons);
    assert!(out.data_groups_not_supplied.is_empty());
}

#[test]
fn bsi_tr03105_hashes_and_rsa_pss_signature() {
    check(
        "bsi-tr03105-mustermann",
        "EF_SOD.bin",
        &[
            (1, "Datagroup1.bin"),
            (2, "Datagroup2.bin"),
            (3, "Datagroup3.bin"),
            (4, "Datagroup4.bin"),
            (14, "Datagroup14.bin"),
        ],
        HashAlg::Sha256,
    );
}

/// The SOD lists DG1, DG2, DG3 and DG14 (not DG4 or DG15).
#[test]
fn bsi2008_hashes_sha1() {
    check(
        "bsi2008-mustermann",
        "EF_SOD.bin",
        &[
            (1, "Datagroup1.bin"),
            (2, "Datagroup2.bin"),
            (3, "Datagroup3.bin"),
            (14, "Datagroup14.bin"),
        ],
        HashAlg::Sha1,
    );
}

#[test]
fn nl_specimen_2006_hashes() {
    check(
        "nl-specimen-2006",
        "ef011D.bin",
        &[(1, "ef0101.bin"), (2, "ef0102.bin"), (15, "ef010F.bin")],
        HashAlg::Sha256,
    );
}

#[test]
fn icao_p10_sample_sod_is_the_real_at_sod() {
    // The Part 10 sample carries a real AT SOD that does not cover the sample data groups:
    // its signature verifies, the sample DG1 hash does not match.
    let groups: BTreeMap<u8, Vec<u8>> = [(1u8, read("icao-p10-sample-document/DG1.bin"))].into_iter().collect();
    let out = verify_sod(
        &read("icao-p10-sample-document/EF.SOD_AT_real.bin"),
        &groups,
        &TrustStore::new(),
        &PaOptions::default(),
    );
    assert!(out.sod_signature_valid, "{:?}", out.reasons);
    assert!(!out.all_hashes_valid);
    assert!(out.has(ReasonCode::DataGroupHashMismatch));
}
