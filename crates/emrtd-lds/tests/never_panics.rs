//! Hostile input: the parsers return errors, never panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use emrtd_lds::{FileHint, LdsFile};
use proptest::prelude::*;

fn fixture(p: &str) -> Vec<u8> {
    std::fs::read(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/vectors")
            .join(p),
    )
    .unwrap()
}

fn all_parsers(data: &[u8]) {
    let _ = LdsFile::parse(data, None);
    for h in [
        FileHint::CardAccess,
        FileHint::CardSecurity,
        FileHint::AtrInfo,
        FileHint::Dir,
    ] {
        let _ = LdsFile::parse(data, Some(h));
    }
    let _ = emrtd_lds::biometric::parse_19794_5(data);
    let _ = emrtd_lds::biometric::parse_39794_5(data);
    let _ = emrtd_lds::pubkey::SubjectPublicKeyInfo::parse_bytes(data);
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = emrtd_lds::dg1::Mrz::parse(s);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        all_parsers(&data);
    }

    #[test]
    fn random_with_lds_tags(tag in prop::sample::select(vec![0x60u8, 0x61, 0x75, 0x63, 0x65, 0x67, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70, 0x77, 0x30, 0x31]),
                            body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut data = vec![tag];
        data.push(0x81);
        data.push(body.len().min(255) as u8);
        data.extend(&body);
        all_parsers(&data);
    }

    #[test]
    fn mutated_real_files(idx in 0usize..6, pos in any::<prop::sample::Index>(), val in any::<u8>(), cut in any::<prop::sample::Index>()) {
        let files = ["bsi-tr03105-mustermann/EF_SOD.bin", "bsi-tr03105-mustermann/Datagroup1.bin", "icao-p10-sample-document/DG11.bin",
                     "icao-p10-sample-document/DG16.bin", "bsi-tr03105-mustermann/Datagroup14.bin", "real-sod/DE_EF.CardSecurity.bin"];
        let mut data = fixture(files[idx]);
        let p = pos.index(data.len());
        data[p] = val;
        all_parsers(&data);
        let c = cut.index(data.len());
        all_parsers(&data[..c]);
    }

    #[test]
    fn random_mrz(s in "[A-Z0-9<]{0,100}") {
        let _ = emrtd_lds::dg1::Mrz::parse(&s);
    }
}

#[test]
fn mutated_dg2_header() {
    let mut data = fixture("bsi-tr03105-mustermann/Datagroup2.bin");
    for p in 0..200 {
        let orig = data[p];
        for v in [0x00, 0xFF, 0x7F, 0x80] {
            data[p] = v;
            all_parsers(&data);
        }
        data[p] = orig;
    }
}
