//! Hostile input to the certificate, CRL, master list and SOD code: errors, never panics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use emrtd_pa::store::TrustStore;
use emrtd_pa::{Certificate, Crl, PaOptions, verify_card_security, verify_sod};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn read(p: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures").join(p)).unwrap()
}

fn everything(data: &[u8], store: &TrustStore) {
    let _ = Certificate::from_der(data);
    let _ = Crl::from_der(data);
    let mut s = TrustStore::new();
    let _ = s.load_bytes(data, "fuzz");
    let _ = s.add_master_list(data, "fuzz");
    let dgs: BTreeMap<u8, Vec<u8>> = [(1u8, data.to_vec())].into_iter().collect();
    let opts = PaOptions {
        at: Some(1_700_000_000),
        ..PaOptions::default()
    };
    let _ = verify_sod(data, &dgs, store, &opts);
    let _ = verify_card_security(data, store, &opts);
}

fn small_store() -> TrustStore {
    let mut s = TrustStore::new();
    s.load_path(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/pki"))
        .unwrap();
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_bytes(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        everything(&data, &TrustStore::new());
    }

    #[test]
    fn mutated_real_files(idx in 0usize..6, flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4), cut in any::<prop::sample::Index>()) {
        let files = ["vectors/real-sod/DE_EF.SOD.bin", "vectors/real-sod/ID_EF.SOD.bin", "vectors/real-sod/FI_EF.CardSecurity.bin",
                     "pki/csca-ecdsa-explicit.cer", "pki/csca-ecdsa.crl", "documents/ref-1/011D.bin"];
        let mut data = read(files[idx]);
        for (pos, val) in flips {
            let p = pos.index(data.len());
            data[p] = val;
        }
        let store = small_store();
        everything(&data, &store);
        let c = cut.index(data.len());
        everything(&data[..c], &store);
    }
}
