//! Every EF.CardAccess of the shared vectors (copies under fixtures/vectors) parses, the
//! protocol PACE selects for it is printed and asserted, and PACE with that protocol runs
//! against the card side configured from the same file.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use emrtd_access::MrzKey;
use emrtd_access::pace::chip::{PaceChip, PaceChipConfig};
use emrtd_access::pace::terminal::{PaceConfig, PaceTerminal};
use emrtd_access::pace::{PaceError, Password, Preferences, select_protocol};
use emrtd_secinfo::{KeyAgreement, PaceMapping, SecurityInfos};
use std::path::PathBuf;

fn fixture(rel: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/vectors")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn infos(rel: &str) -> SecurityInfos {
    let data = fixture(rel);
    if rel.ends_with("DG14.bin") || rel.ends_with("dg14.bin") {
        SecurityInfos::parse_dg14(&data).unwrap()
    } else {
        SecurityInfos::parse(&data).unwrap()
    }
}

/// (file, expected selection description) — `None` when the file offers no PACE.
const CASES: &[(&str, Option<&str>)] = &[
    (
        "real-dg14-cardaccess/AT_EF.CardAccess.bin",
        Some("id-PACE-ECDH-GM-AES-CBC-CMAC-128 (0.4.0.127.0.7.2.2.4.2.2), parameter id 13 (brainpoolP256r1)"),
    ),
    (
        "real-dg14-cardaccess/DE_EF.CardAccess.bin",
        Some("id-PACE-ECDH-CAM-AES-CBC-CMAC-128 (0.4.0.127.0.7.2.2.4.6.2), parameter id 13 (brainpoolP256r1)"),
    ),
    (
        "de-eid-simulator/fixture_efCardAccess_padded.bin",
        Some("id-PACE-ECDH-GM-AES-CBC-CMAC-128 (0.4.0.127.0.7.2.2.4.2.2), parameter id 13 (brainpoolP256r1)"),
    ),
    (
        "de-eid-simulator/sim_011c_EF.CardAccess.bin",
        Some("id-PACE-ECDH-GM-AES-CBC-CMAC-128 (0.4.0.127.0.7.2.2.4.2.2), parameter id 13 (brainpoolP256r1)"),
    ),
    (
        "eac-worked-example/bin/ef_cardaccess_ca3.bin",
        Some("id-PACE-ECDH-CAM-AES-CBC-CMAC-128 (0.4.0.127.0.7.2.2.4.6.2), parameter id 13 (brainpoolP256r1)"),
    ),
    (
        "eac-worked-example/bin/ef_cardaccess_dan.bin",
        Some("id-PACE-ECDH-GM-AES-CBC-CMAC-128 (0.4.0.127.0.7.2.2.4.2.2), parameter id 13 (brainpoolP256r1)"),
    ),
    (
        "eac-worked-example/bin/ef_cardaccess_new_testcard.bin",
        Some("id-PACE-ECDH-GM-AES-CBC-CMAC-128 (0.4.0.127.0.7.2.2.4.2.2), parameter id 13 (brainpoolP256r1)"),
    ),
    (
        "eac-worked-example/bin/ef_cardaccess_old_testcard.bin",
        Some("id-PACE-ECDH-GM-AES-CBC-CMAC-128 (0.4.0.127.0.7.2.2.4.2.2), explicit parameters"),
    ),
    ("eac-worked-example/bin/ef_cardaccess_slowenia.bin", None),
    (
        "eac-worked-example/bin/tc_dh_ef_cardaccess.bin",
        Some(
            "id-PACE-DH-GM-AES-CBC-CMAC-128 (0.4.0.127.0.7.2.2.4.1.2), parameter id 0 (RFC 5114 1024-bit MODP group with 160-bit prime order subgroup)",
        ),
    ),
    (
        "eac-worked-example/bin/tc_ecdh_ef_cardaccess.bin",
        Some("id-PACE-ECDH-GM-AES-CBC-CMAC-128 (0.4.0.127.0.7.2.2.4.2.2), parameter id 13 (brainpoolP256r1)"),
    ),
    // DG14 also carries PACEInfos; the Doc 9303 sample (cardaccess-samples) has none.
    (
        "real-dg14-cardaccess/FR_DG14.bin",
        Some("id-PACE-ECDH-GM-AES-CBC-CMAC-256 (0.4.0.127.0.7.2.2.4.2.4), parameter id 12 (secp256r1)"),
    ),
    ("cardaccess-samples/doc9303_spec_sample_encoded_dg14.bin", None),
];

#[test]
fn every_card_access_selects_the_expected_protocol() {
    for (file, expected) in CASES {
        let infos = infos(file);
        match select_protocol(&infos, &Preferences::default()) {
            Ok(sel) => {
                println!("{file}: {}", sel.describe());
                assert_eq!(Some(sel.describe().as_str()), *expected, "{file}");
            }
            Err(e) => {
                println!("{file}: no PACE ({e})");
                assert_eq!(e, PaceError::NoSupportedProtocol, "{file}");
                assert_eq!(*expected, None, "{file}");
            }
        }
    }
}

#[test]
fn preferences_override_the_default_order() {
    let infos = infos("real-dg14-cardaccess/DE_EF.CardAccess.bin");
    let prefs = Preferences {
        mappings: vec![PaceMapping::Generic],
        ..Preferences::default()
    };
    let sel = select_protocol(&infos, &prefs).unwrap();
    assert_eq!(sel.protocol.mapping, PaceMapping::Generic);
    assert_eq!(sel.parameter_id, Some(13));
    let only_dh = Preferences {
        key_agreements: vec![KeyAgreement::Dh],
        ..Preferences::default()
    };
    assert_eq!(
        select_protocol(&infos, &only_dh).unwrap_err(),
        PaceError::NoSupportedProtocol
    );
}

#[test]
fn pace_runs_against_the_chip_configured_from_each_card_access() {
    let mrz = MrzKey::new("T22000129", "640812", "101031").unwrap();
    let mut rng = emrtd_crypto::rng::os_rng();
    for (file, expected) in CASES {
        if expected.is_none() {
            continue;
        }
        let infos = infos(file);
        let sel = select_protocol(&infos, &Preferences::default()).unwrap();
        let protocols = PaceChipConfig::protocols_from_security_infos(&infos);
        let mut config = PaceChipConfig::new(protocols, vec![Password::Mrz(mrz.clone())]);
        // A CAM chip needs its static key; any valid scalar will do here.
        config.cam_private_key = Some(zeroize::Zeroizing::new(vec![0x42; 32]));
        let mut chip = PaceChip::new(config);
        let mut chip_rng = emrtd_crypto::rng::os_rng();
        let mut terminal = PaceTerminal::new(sel, &Password::Mrz(mrz.clone()), PaceConfig::default());
        let out = terminal
            .run(&mut rng, |c| Ok(chip.process(c, &mut chip_rng)))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let chip_out = chip.take_outcome().unwrap();
        assert_eq!(out.session.ks_enc(), chip_out.session.ks_enc(), "{file}");
        assert_eq!(out.session.ks_mac(), chip_out.session.ks_mac(), "{file}");
    }
}
