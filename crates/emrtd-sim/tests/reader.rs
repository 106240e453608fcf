#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The full reading engine (emrtd-reader) on every fixture through the virtual chip:
//! access control, all data groups, CA, AA and PA as a DocVal session does them.

use emrtd_access::MrzKey;
use emrtd_pa::{PaOptions, TrustStore};
use emrtd_reader::{AccessKey, ReaderConfig, Reading, read_document};
use emrtd_result::AuthResult;
use emrtd_sim::{Adversarial, Document, SeededRng, VirtualChip};
use emrtd_transport::{LinkLimits, SyncChipTransport};
use std::path::PathBuf;
use zeroize::Zeroizing;

/// 2026-01-02T00:00:00Z.
const AT: i64 = 1_767_312_000;

fn fixtures() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures"))
}

fn store() -> TrustStore {
    emrtd_trust::test_pki_store().unwrap()
}

async fn read(name: &str, use_can: bool, extended: bool) -> (Document, Reading) {
    read_with(name, use_can, extended, None).await
}

async fn read_with(name: &str, use_can: bool, extended: bool, mode: Option<Adversarial>) -> (Document, Reading) {
    let dir = fixtures().join("documents").join(name);
    let doc = Document::from_dir(&dir).unwrap();
    let mut chip = VirtualChip::load(&dir).unwrap();
    if let Some(m) = mode {
        chip = chip.with_adversarial(m);
    }
    let limits = LinkLimits {
        extended_length: extended,
        ..LinkLimits::default()
    };
    let mut transport = SyncChipTransport::new(move |c: &[u8]| chip.transmit(c), limits);
    let key = match (&doc.manifest.can, use_can) {
        (Some(can), true) => AccessKey::Can(Zeroizing::new(can.clone())),
        _ => {
            let m = doc.manifest.mrz.as_ref().unwrap();
            AccessKey::Mrz(MrzKey::new(&m.document_number, &m.date_of_birth, &m.date_of_expiry).unwrap())
        }
    };
    let cfg = ReaderConfig {
        read_atr_info: extended,
        extended_length: extended,
        pa_options: PaOptions {
            at: Some(AT),
            ds_certificate: None,
            skip_country_check: true,
            ..PaOptions::default()
        },
        ..ReaderConfig::default()
    };
    let mut rng = SeededRng::new(format!("reader-test/{name}").as_bytes());
    let reading = read_document(&mut transport, &key, &store(), &cfg, &mut rng).await;
    (doc, reading)
}

fn check_files(doc: &Document, r: &Reading) {
    assert!(
        r.failure.is_none(),
        "{}: {:?} {:?}",
        doc.manifest.name,
        r.failure,
        r.errors
    );
    for n in [1u8, 2, 7, 11, 12, 14, 15] {
        if doc.manifest.expect.data_groups.contains(&n) {
            let want = doc.file(emrtd_sim::Df::Emrtd, 0x0100 | u16::from(n)).unwrap();
            let got = r
                .data_groups
                .get(&n)
                .unwrap_or_else(|| panic!("{}: DG{n} not read", doc.manifest.name));
            assert!(got.as_slice() == want, "{}: DG{n}", doc.manifest.name);
        }
    }
}

#[tokio::test]
async fn reader_reads_every_genuine_fixture_with_ca_aa_and_pa() {
    for (name, can, ext) in [
        ("bac-td3-3des", false, false),
        ("ref-1", true, true),
        ("ref-1", false, false),
        ("pace-dh-gm-3des", true, true),
        ("pace-ecdh-im-aes256-p384", true, false),
        ("pace-cam-aes128", true, false),
        ("td1-id-explicit-curve", true, false),
    ] {
        let (doc, r) = read(name, can, ext).await;
        check_files(&doc, &r);
        assert!(
            r.passive_authentication_ok(),
            "{name}: {:#?}",
            r.passive_authentication.as_ref().map(|p| &p.reasons)
        );
        let want_ca = if doc.manifest.keys.ca_private_key.is_some() {
            AuthResult::Success
        } else {
            AuthResult::Unavailable
        };
        assert_eq!(r.chip_authentication, want_ca, "{name}: {:?}", r.errors);
        let want_aa = if doc.manifest.keys.aa_private_key.is_some() {
            AuthResult::Success
        } else {
            AuthResult::Unavailable
        };
        assert_eq!(r.active_authentication, want_aa, "{name}: {:?}", r.errors);
    }
}

#[tokio::test]
async fn reader_reports_the_clone_revoked_and_expired_fixtures() {
    let (_, r) = read("ref-1-clone", true, false).await;
    assert!(r.passive_authentication_ok());
    assert_eq!(r.chip_authentication, AuthResult::Failed, "{:?}", r.errors);
    assert_eq!(r.active_authentication, AuthResult::Failed, "{:?}", r.errors);

    let (_, r) = read("revoked-ds", false, false).await;
    let pa = r.passive_authentication.as_ref().unwrap();
    assert!(!pa.verified());
    assert!(pa.has(emrtd_pa::ReasonCode::DsRevoked), "{:#?}", pa.reasons);

    let (_, r) = read("expired", false, false).await;
    let pa = r.passive_authentication.as_ref().unwrap();
    assert!(!pa.verified());
    assert!(pa.has(emrtd_pa::ReasonCode::DsCertificateExpired), "{:#?}", pa.reasons);
}

/// Nothing a hostile chip does makes the reader report a verified document.
fn not_verified(r: &Reading) -> bool {
    r.failure.is_some()
        || !r.passive_authentication_ok()
        || r.chip_authentication != AuthResult::Success
        || r.active_authentication != AuthResult::Success
}

#[tokio::test]
async fn reader_never_reports_success_on_an_adversarial_ref_1() {
    // Commands of a clean session, so garbage can start in the middle and at the very end.
    let (_, clean) = read("ref-1", true, true).await;
    let n = clean.round_trips;
    assert!(n > 10 && !not_verified(&clean), "{n}");
    let clone_keys = Document::from_dir(&fixtures().join("documents/ref-1-clone"))
        .unwrap()
        .manifest
        .keys;
    let modes = [
        Adversarial::TamperedDataGroup { dg: 2 },
        Adversarial::TamperedDataGroup { dg: 1 },
        Adversarial::ForeignChipKeys {
            ca_private_key: clone_keys.ca_private_key.clone(),
            aa_private_key: None,
        },
        Adversarial::ForeignChipKeys {
            ca_private_key: None,
            aa_private_key: clone_keys.aa_private_key.clone(),
        },
        Adversarial::BadMac,
        Adversarial::LyingLength {
            fid: 0x0102,
            extra: 5000,
        },
        Adversarial::LyingLength { fid: 0x011D, extra: 3 },
        Adversarial::EndlessFile { fid: 0x0102 },
        Adversarial::WrongStatus { sw: 0x6A82 },
        Adversarial::WrongStatus { sw: 0x6282 },
        Adversarial::Garbage { after: 1 },
        Adversarial::Garbage { after: n / 2 },
        // The very last command of the session.
        Adversarial::Garbage { after: n },
    ];
    for mode in modes {
        let (_, r) = read_with("ref-1", true, true, Some(mode.clone())).await;
        assert!(not_verified(&r), "{mode:?} was reported as a verified genuine document");
        match &mode {
            Adversarial::TamperedDataGroup { .. } => {
                let pa = r.passive_authentication.as_ref().unwrap();
                assert!(
                    pa.has(emrtd_pa::ReasonCode::DataGroupHashMismatch),
                    "{mode:?}: {:#?}",
                    pa.reasons
                );
            }
            Adversarial::ForeignChipKeys {
                ca_private_key: Some(_),
                ..
            } => {
                assert_eq!(r.chip_authentication, AuthResult::Failed, "{mode:?}");
            }
            Adversarial::ForeignChipKeys {
                aa_private_key: Some(_),
                ..
            } => {
                assert_eq!(r.active_authentication, AuthResult::Failed, "{mode:?}");
            }
            _ => {}
        }
    }
}
