#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Every generated fixture document read end to end through the virtual chip in-process with
//! the terminal-side crates: access control (BAC, PACE with MRZ/CAN), all data groups under
//! SM, Chip Authentication and Active Authentication (genuine vs clone), and passive
//! authentication against the fixture PKI (valid, revoked, expired).

mod common;

use common::*;
use emrtd_access::MrzKey;
use emrtd_access::pace::{PaceConfig, PaceError, PaceTerminal, Password, Preferences, select_protocol};
use emrtd_apdu::{CommandApdu, ResponseApdu};
use emrtd_chipauth::aa::{AaPublicKey, AaStep, AaTerminal};
use emrtd_chipauth::ca::{CaParams, CaStep, CaTerminal};
use emrtd_pa::{PaOptions, TrustStore, verify_sod};
use emrtd_sim::{Df, Document, SeededRng, VirtualChip};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// 2026-01-02T00:00:00Z, the day after the fixtures' fixed issuance date.
const AT: i64 = 1_767_312_000;

fn fixtures() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures"))
}

fn load(name: &str) -> (Document, VirtualChip) {
    let dir = fixtures().join("documents").join(name);
    (Document::from_dir(&dir).unwrap(), VirtualChip::load(&dir).unwrap())
}

fn mrz_key(doc: &Document) -> MrzKey {
    let m = doc.manifest.mrz.as_ref().unwrap();
    MrzKey::new(&m.document_number, &m.date_of_birth, &m.date_of_expiry).unwrap()
}

fn pace(t: &mut Terminal, password: Password) -> Result<(), PaceError> {
    // A new PACE starts in plain (the chip ends any session on the first plain command).
    t.sm = None;
    // EF.CardAccess (can be longer than 256 bytes with explicit domain parameters).
    let ef = t.read_ef(0x011C, 0xDF).unwrap();
    let infos = emrtd_secinfo::SecurityInfos::parse(&ef).unwrap();
    let selection = select_protocol(&infos, &Preferences::default())?;
    let mut term = PaceTerminal::new(selection, &password, PaceConfig::default());
    let mut rng = SeededRng::new(b"fixture-test/pace-terminal");
    let chip = &mut t.chip;
    let out = term.run(&mut rng, |cmd: &CommandApdu| {
        let bytes = cmd.to_bytes()?;
        Ok(ResponseApdu::parse(&chip.transmit(&bytes))?)
    })?;
    t.sm = Some(out.session);
    Ok(())
}

/// Access control as a reader would: PACE (CAN, else MRZ) when EF.CardAccess offers it,
/// else BAC.
fn open(doc: &Document, t: &mut Terminal) {
    if doc.manifest.access.pace {
        let pw = match &doc.manifest.can {
            Some(c) => Password::Can(c.clone()),
            None => Password::Mrz(mrz_key(doc)),
        };
        pace(t, pw).unwrap();
    } else {
        t.bac(&mrz_key(doc)).unwrap();
    }
    t.select_app().unwrap();
}

/// Reads EF.COM, EF.SOD and every data group; checks each against the file on disk.
fn read_all(doc: &Document, t: &mut Terminal) -> (Vec<u8>, BTreeMap<u8, Vec<u8>>) {
    let com = t.read_ef(0x011E, 0xDF).unwrap();
    assert_eq!(com, doc.file(Df::Emrtd, 0x011E).unwrap());
    let sod = t.read_ef(0x011D, 0xDF).unwrap();
    assert_eq!(sod, doc.file(Df::Emrtd, 0x011D).unwrap());
    let mut dgs = BTreeMap::new();
    for n in &doc.manifest.expect.data_groups {
        let fid = 0x0100 | u16::from(*n);
        let dg = t.read_ef(fid, 0xDF).unwrap();
        assert!(dg == doc.file(Df::Emrtd, fid).unwrap(), "DG{n}");
        dgs.insert(*n, dg);
    }
    (sod, dgs)
}

fn store() -> TrustStore {
    emrtd_trust::test_pki_store().unwrap()
}

fn pa(sod: &[u8], dgs: &BTreeMap<u8, Vec<u8>>) -> emrtd_pa::PaOutcome {
    verify_sod(
        sod,
        dgs,
        &store(),
        &PaOptions {
            at: Some(AT),
            ds_certificate: None,
            skip_country_check: true,
            ..PaOptions::default()
        },
    )
}

/// Chip Authentication with DG14's key; Ok when the chip answered under the new keys.
fn chip_authentication(t: &mut Terminal, dg14: &[u8]) -> Result<(), String> {
    let params = CaParams::from_dg14(dg14, None).map_err(|e| e.to_string())?;
    let mut rng = SeededRng::new(b"fixture-test/ca-terminal");
    let mut ca = CaTerminal::new(params, &mut rng).map_err(|e| e.to_string())?;
    let mut cmd = ca.start().map_err(|e| e.to_string())?;
    for _ in 0..4 {
        let r = t.send(&cmd).map_err(|e| format!("{e:?}"))?;
        match ca.on_response(&r).map_err(|e| e.to_string())? {
            CaStep::Send(c) => cmd = c,
            CaStep::Pending(mut pending) => {
                // Confirm under the new keys: SELECT the eMRTD application.
                let sel = CommandApdu::new(0, 0xA4, 0x04, 0x0C).with_data(emrtd_sim::EMRTD_AID.to_vec());
                let p = pending.protect(&sel).map_err(|e| e.to_string())?;
                let raw = t.chip.transmit(&p.to_bytes().unwrap());
                let resp = ResponseApdu::parse(&raw).map_err(|e| e.to_string())?;
                let (confirmed, plain) = pending.confirm(&resp).map_err(|e| e.to_string())?;
                if !plain.sw.is_success() {
                    return Err(format!("confirmation answered {}", plain.sw));
                }
                t.sm = Some(confirmed.session);
                return Ok(());
            }
        }
    }
    Err("CA did not finish".into())
}

/// Active Authentication with DG15's key (hash from DG14's ActiveAuthenticationInfo).
fn active_authentication(t: &mut Terminal, dg15: &[u8], ecdsa_sha256: bool) -> Result<(), String> {
    let info = emrtd_chipauth::keys::parse_dg15(dg15).map_err(|e| e.to_string())?;
    let hash = ecdsa_sha256.then_some(emrtd_chipauth::iso9796::HashAlgorithm::Sha256);
    let key = AaPublicKey::new(info, hash).map_err(|e| e.to_string())?;
    let mut rng = SeededRng::new(b"fixture-test/aa-terminal");
    let mut aa = AaTerminal::new(key, &mut rng);
    let mut cmd = aa.command().map_err(|e| e.to_string())?;
    for _ in 0..4 {
        let r = t.send(&cmd).map_err(|e| format!("{e:?}"))?;
        match aa.on_response(&r).map_err(|e| e.to_string())? {
            AaStep::Send(c) => cmd = c,
            AaStep::Done(_) => return Ok(()),
        }
    }
    Err("AA did not finish".into())
}

fn full_run(name: &str) -> (Document, Result<(), String>, Result<(), String>, emrtd_pa::PaOutcome) {
    let (doc, chip) = load(name);
    let mut t = Terminal::new(chip);
    open(&doc, &mut t);
    let (sod, dgs) = read_all(&doc, &mut t);
    let outcome = pa(&sod, &dgs);
    let aa = match dgs.get(&15) {
        Some(dg15) => active_authentication(
            &mut t,
            dg15,
            doc.manifest
                .keys
                .aa_private_key
                .as_deref()
                .is_some_and(|k| !k.contains("2A864886F70D010101")),
        ),
        None => Err("no DG15".into()),
    };
    let ca = match dgs.get(&14) {
        Some(dg14) if doc.manifest.keys.ca_private_key.is_some() => {
            let r = chip_authentication(&mut t, dg14);
            if r.is_ok() {
                // Still reading under the CA session.
                let com = t.read_ef(0x011E, 0xDF).unwrap();
                assert_eq!(com, doc.file(Df::Emrtd, 0x011E).unwrap());
            }
            r
        }
        _ => Err("no CA".into()),
    };
    (doc, ca, aa, outcome)
}

#[test]
fn bac_td3_3des_reads_and_passes_pa_with_rsa_pkcs1() {
    let (doc, ca, aa, pa) = full_run("bac-td3-3des");
    assert!(pa.verified(), "{:#?}", pa.reasons);
    assert_eq!(pa.data_groups_with_valid_hash, doc.manifest.expect.data_groups);
    assert!(ca.is_err() && aa.is_err(), "no CA/AA on this document");
}

#[test]
fn ref_1_pace_can_all_data_groups_ca_aa_and_pa() {
    let (doc, ca, aa, pa) = full_run("ref-1");
    assert_eq!(doc.manifest.expect.data_groups, vec![1, 2, 7, 11, 12, 14, 15]);
    assert!(pa.verified(), "{:#?}", pa.reasons);
    assert_eq!(
        pa.signature_algorithm.as_deref(),
        Some("1.2.840.113549.1.1.10"),
        "RSASSA-PSS"
    );
    ca.unwrap();
    aa.unwrap();
}

#[test]
fn ref_1_with_mrz_password_and_bac_both_open_the_chip() {
    let (doc, chip) = load("ref-1");
    let mut t = Terminal::new(chip);
    pace(&mut t, Password::Mrz(mrz_key(&doc))).unwrap();
    t.select_app().unwrap();
    assert_eq!(t.read_ef(0x0101, 0xDF).unwrap(), doc.file(Df::Emrtd, 0x0101).unwrap());
    let (_, chip) = load("ref-1");
    let mut t = Terminal::new(chip);
    t.bac(&mrz_key(&doc)).unwrap();
    t.select_app().unwrap();
    assert_eq!(t.read_ef(0x0101, 0xDF).unwrap(), doc.file(Df::Emrtd, 0x0101).unwrap());
}

#[test]
fn ref_1_clone_passes_pa_but_fails_ca_and_aa() {
    let (_, ca, aa, pa) = full_run("ref-1-clone");
    assert!(
        pa.verified(),
        "the clone's files are the genuine signed files: {:#?}",
        pa.reasons
    );
    assert!(ca.is_err(), "CA must fail on a clone");
    assert!(aa.is_err(), "AA must fail on a clone");
}

#[test]
fn ref_1_files_are_identical_in_the_clone() {
    let (a, _) = load("ref-1");
    let (b, _) = load("ref-1-clone");
    assert_eq!(a.files, b.files);
    assert_ne!(a.manifest.keys.ca_private_key, b.manifest.keys.ca_private_key);
    assert_ne!(a.manifest.keys.aa_private_key, b.manifest.keys.aa_private_key);
}

#[test]
fn pace_dh_gm_3des_with_ca_dh_and_aa_rsa() {
    let (_, ca, aa, pa) = full_run("pace-dh-gm-3des");
    assert!(pa.verified(), "{:#?}", pa.reasons);
    ca.unwrap();
    aa.unwrap();
}

#[test]
fn pace_ecdh_im_aes256_p384_with_ca() {
    let (_, ca, _, pa) = full_run("pace-ecdh-im-aes256-p384");
    assert!(pa.verified(), "{:#?}", pa.reasons);
    ca.unwrap();
}

#[test]
fn pace_cam_aes128_reads_and_verifies() {
    let (_, ca, _, pa) = full_run("pace-cam-aes128");
    assert!(pa.verified(), "{:#?}", pa.reasons);
    ca.unwrap();
}

#[test]
fn td1_explicit_curve_with_can() {
    let (doc, ca, _, pa) = full_run("td1-id-explicit-curve");
    assert_eq!(doc.manifest.document_type, "TD1");
    assert!(pa.verified(), "{:#?}", pa.reasons);
    ca.unwrap();
}

#[test]
fn td1_pin_and_puk_open_the_chip() {
    let (doc, chip) = load("td1-id-explicit-curve");
    let mut t = Terminal::new(chip);
    pace(&mut t, Password::Pin(doc.manifest.pin.clone().unwrap())).unwrap();
    let (_, chip) = load("td1-id-explicit-curve");
    let mut t = Terminal::new(chip);
    pace(&mut t, Password::Puk(doc.manifest.puk.clone().unwrap())).unwrap();
    let (_, chip) = load("td1-id-explicit-curve");
    let mut t = Terminal::new(chip);
    assert!(pace(&mut t, Password::Pin("000000".into())).is_err());
}

#[test]
fn revoked_ds_fails_pa_with_a_revocation_reason() {
    let (_, _, _, pa) = full_run("revoked-ds");
    assert!(!pa.verified());
    assert!(pa.has(emrtd_pa::ReasonCode::DsRevoked), "{:#?}", pa.reasons);
    assert!(pa.sod_signature_valid && pa.all_hashes_valid);
}

#[test]
fn expired_document_is_reported_expired() {
    let (doc, _, _, pa) = full_run("expired");
    assert!(!pa.verified());
    assert!(pa.has(emrtd_pa::ReasonCode::DsCertificateExpired), "{:#?}", pa.reasons);
    assert_eq!(doc.manifest.mrz.as_ref().unwrap().date_of_expiry, "210101");
}

#[test]
fn master_list_signed_by_the_master_list_signer_verifies_and_feeds_pa() {
    let mut s = TrustStore::new();
    s.add_master_list_root(&std::fs::read(fixtures().join("pki/csca-rsa.cer")).unwrap())
        .unwrap();
    let report = s
        .add_master_list(
            &std::fs::read(fixtures().join("pki/masterlist.ml")).unwrap(),
            "masterlist.ml",
        )
        .unwrap();
    assert!(report.verified(), "{report:?}");
    assert!(s.len() >= 3);
    let (doc, chip) = load("pace-ecdh-im-aes256-p384");
    let mut t = Terminal::new(chip);
    open(&doc, &mut t);
    let (sod, dgs) = read_all(&doc, &mut t);
    let out = verify_sod(
        &sod,
        &dgs,
        &s,
        &PaOptions {
            at: Some(AT),
            ds_certificate: None,
            skip_country_check: true,
            ..PaOptions::default()
        },
    );
    assert!(out.verified(), "{:#?}", out.reasons);
}

// ---- adversarial modes on fixtures: the verifier reports a failed check ----

#[test]
fn tampered_data_group_fails_the_hash_check() {
    let (doc, chip) = load("bac-td3-3des");
    let mut t = Terminal::new(chip.with_adversarial(emrtd_sim::Adversarial::TamperedDataGroup { dg: 1 }));
    open(&doc, &mut t);
    let sod = t.read_ef(0x011D, 0xDF).unwrap();
    let mut dgs = BTreeMap::new();
    dgs.insert(1u8, t.read_ef(0x0101, 0xDF).unwrap());
    let out = pa(&sod, &dgs);
    assert!(!out.verified());
    assert!(!out.all_hashes_valid);
    assert!(
        out.has(emrtd_pa::ReasonCode::DataGroupHashMismatch),
        "{:#?}",
        out.reasons
    );
}

#[test]
fn foreign_chip_keys_make_ca_and_aa_fail() {
    let (_, clone) = load("ref-1-clone");
    let keys = clone.document().manifest.keys.clone();
    let (doc, chip) = load("ref-1");
    let chip = chip.with_adversarial(emrtd_sim::Adversarial::ForeignChipKeys {
        ca_private_key: keys.ca_private_key,
        aa_private_key: keys.aa_private_key,
    });
    let mut t = Terminal::new(chip);
    open(&doc, &mut t);
    let dg14 = t.read_ef(0x010E, 0xDF).unwrap();
    let dg15 = t.read_ef(0x010F, 0xDF).unwrap();
    assert!(active_authentication(&mut t, &dg15, true).is_err());
    assert!(chip_authentication(&mut t, &dg14).is_err());
}

#[test]
fn bad_mac_on_a_pace_chip_fails_the_first_protected_command() {
    let (doc, chip) = load("ref-1");
    let mut t = Terminal::new(chip.with_adversarial(emrtd_sim::Adversarial::BadMac));
    pace(&mut t, Password::Can(doc.manifest.can.clone().unwrap())).unwrap();
    assert!(matches!(t.select_app(), Err(TermError::Sm(_))));
}

#[test]
fn pace_refused_without_parameter_id_quirk() {
    let dir = fixtures().join("documents/ref-1");
    let mut doc = Document::from_dir(&dir).unwrap();
    doc.manifest.quirks.pace_requires_parameter_id = true;
    let mut t = Terminal::new(VirtualChip::standard(doc.clone()).unwrap());
    let mse = CommandApdu::new(0, 0x22, 0xC1, 0xA4).with_data(hex::decode("800A04007F00070202040202830102").unwrap());
    assert_eq!(t.send_plain(&mse).unwrap().sw, emrtd_apdu::StatusWord::INCORRECT_DATA);
    // The default terminal sends DO'84 and succeeds.
    pace(&mut t, Password::Can(doc.manifest.can.clone().unwrap())).unwrap();
}

// ---- PIN management on the TD1 eID card: retry counter, suspension, blocking, PUK, change ----

fn td1() -> (Document, Terminal) {
    let (doc, chip) = load("td1-id-explicit-curve");
    (doc, Terminal::new(chip))
}

#[test]
fn pin_retry_counter_suspension_can_resume_blocking_and_puk_reset() {
    let (doc, mut t) = td1();
    let pin = doc.manifest.pin.clone().unwrap();
    let can = doc.manifest.can.clone().unwrap();
    let puk = doc.manifest.puk.clone().unwrap();
    let wrong = || Password::Pin("111111".into());
    // 3 -> 2 -> 1 (suspended).
    assert!(pace(&mut t, wrong()).is_err());
    assert!(pace(&mut t, wrong()).is_err());
    // Suspended: even the right PIN is refused until PACE with the CAN.
    assert!(pace(&mut t, Password::Pin(pin.clone())).is_err());
    pace(&mut t, Password::Can(can.clone())).unwrap();
    pace(&mut t, Password::Pin(pin.clone())).unwrap();
    // Success reset the counter: two more wrong tries, CAN, a third wrong try blocks.
    assert!(pace(&mut t, wrong()).is_err());
    assert!(pace(&mut t, wrong()).is_err());
    pace(&mut t, Password::Can(can)).unwrap();
    assert!(pace(&mut t, wrong()).is_err());
    let e = pace(&mut t, Password::Pin(pin.clone())).unwrap_err();
    assert!(format!("{e}").to_lowercase().contains("block"), "{e}");
    // PUK: PACE, then RESET RETRY COUNTER under SM.
    pace(&mut t, Password::Puk(puk)).unwrap();
    let r = t.send(&CommandApdu::new(0, 0x2C, 0x03, 0x03)).unwrap();
    assert_eq!(r.sw, emrtd_apdu::StatusWord::SUCCESS);
    pace(&mut t, Password::Pin(pin)).unwrap();
}

#[test]
fn pin_change_after_pace_with_the_pin() {
    let (doc, mut t) = td1();
    let pin = doc.manifest.pin.clone().unwrap();
    pace(&mut t, Password::Pin(pin.clone())).unwrap();
    let r = t
        .send(&CommandApdu::new(0, 0x2C, 0x02, 0x03).with_data(b"654321".to_vec()))
        .unwrap();
    assert_eq!(r.sw, emrtd_apdu::StatusWord::SUCCESS);
    assert!(pace(&mut t, Password::Pin(pin)).is_err());
    pace(&mut t, Password::Pin("654321".into())).unwrap();
}

#[test]
fn reset_retry_counter_without_puk_is_refused() {
    let (doc, mut t) = td1();
    pace(&mut t, Password::Can(doc.manifest.can.clone().unwrap())).unwrap();
    let r = t.send(&CommandApdu::new(0, 0x2C, 0x03, 0x03)).unwrap();
    assert_eq!(r.sw, emrtd_apdu::StatusWord::SECURITY_STATUS_NOT_SATISFIED);
}

#[test]
fn pace_cam_chip_static_key_from_card_security_verifies() {
    let (doc, chip) = load("pace-cam-aes128");
    let mut t = Terminal::new(chip);
    let ef = t.read_ef(0x011C, 0xDF).unwrap();
    let infos = emrtd_secinfo::SecurityInfos::parse(&ef).unwrap();
    let selection = select_protocol(&infos, &Preferences::default()).unwrap();
    let mut term = PaceTerminal::new(
        selection,
        &Password::Can(doc.manifest.can.clone().unwrap()),
        PaceConfig::default(),
    );
    let mut rng = SeededRng::new(b"fixture-test/cam");
    let chip = &mut t.chip;
    let out = term
        .run(&mut rng, |cmd: &CommandApdu| {
            Ok(ResponseApdu::parse(&chip.transmit(&cmd.to_bytes()?))?)
        })
        .unwrap();
    assert!(out.is_cam());
    assert!(out.cam_chip_authentication_data().is_some());
    let s = &out.session;
    t.sm = Some(emrtd_sm::SmSession::new(s.suite(), s.ks_enc(), s.ks_mac(), s.ssc()).unwrap());
    // EF.CardSecurity (MF 011D) is readable after PACE; its CA public key is PK_IC.
    t.send(&CommandApdu::new(0, 0xA4, 0x00, 0x0C).with_data(vec![0x3F, 0x00]))
        .unwrap();
    let cs = t.read_ef(0x011D, 0xDF).unwrap();
    assert_eq!(cs, doc.file(Df::Mf, 0x011D).unwrap());
    let pa_cs = emrtd_pa::verify_card_security(
        &cs,
        &store(),
        &PaOptions {
            at: Some(AT),
            ds_certificate: None,
            skip_country_check: true,
            ..PaOptions::default()
        },
    );
    assert!(
        pa_cs.sod_signature_valid && pa_cs.document_certificate_valid,
        "{:#?}",
        pa_cs.reasons
    );
    let pk = card_security_chip_key(&cs);
    assert_eq!(
        out.verify_cam(&pk).unwrap(),
        emrtd_access::pace::CamVerification::Verified
    );
    // A different key does not verify.
    let mut other = pk.clone();
    let last = other.len() - 1;
    other[last] ^= 1;
    assert_ne!(
        out.verify_cam(&other).ok(),
        Some(emrtd_access::pace::CamVerification::Verified)
    );
}

/// The public point of the ChipAuthenticationPublicKeyInfo in EF.CardSecurity.
fn card_security_chip_key(cs: &[u8]) -> Vec<u8> {
    let sd = emrtd_lds::cms::SignedData::from_content_info(cs).unwrap();
    let infos = emrtd_secinfo::SecurityInfos::parse(&sd.encap_content).unwrap();
    let pk = infos.chip_authentication_public_key_infos().next().unwrap();
    pk.public_key.public_key_value().unwrap()
}

#[test]
fn fixture_quirks_are_in_effect() {
    // bac-td3-3des: an old passport without extended length and a maximum Le of 231.
    let (doc, chip) = load("bac-td3-3des");
    let mut t = Terminal::new(chip);
    open(&doc, &mut t);
    t.select_ef(0x011D).unwrap();
    assert_eq!(
        t.send(&CommandApdu::new(0, 0xB0, 0, 0).with_ne(232)).unwrap().sw,
        emrtd_apdu::StatusWord::WRONG_LENGTH
    );
    assert_eq!(
        t.send(&CommandApdu::new(0, 0xB0, 0, 0).with_ne(231))
            .unwrap()
            .data
            .len(),
        231
    );
    // pace-dh-gm-3des: READ BINARY with Le=00 answers 6B00.
    let (doc, chip) = load("pace-dh-gm-3des");
    let mut t = Terminal::new(chip);
    open(&doc, &mut t);
    t.select_ef(0x011D).unwrap();
    assert_eq!(
        t.send(&CommandApdu::new(0, 0xB0, 0, 0).with_ne(256)).unwrap().sw,
        emrtd_apdu::StatusWord::WRONG_OFFSET
    );
    // pace-ecdh-im-aes256-p384: MSE:Set AT without a parameter id is refused.
    let (_, chip) = load("pace-ecdh-im-aes256-p384");
    let mut t = Terminal::new(chip);
    let mse = CommandApdu::new(0, 0x22, 0xC1, 0xA4).with_data(hex::decode("800A04007F00070202040404830102").unwrap());
    assert_eq!(t.send_plain(&mse).unwrap().sw, emrtd_apdu::StatusWord::INCORRECT_DATA);
    // ref-1: EF.DIR and EF.ATR/INFO in the MF, readable without access control.
    let (doc, chip) = load("ref-1");
    let mut t = Terminal::new(chip);
    assert_eq!(t.read_ef(0x2F00, 0xDF).unwrap(), doc.file(Df::Mf, 0x2F00).unwrap());
    let atr_info = t.read_ef(0x2F01, 0xDF).unwrap();
    assert_eq!(hex::encode_upper(&atr_info), "7F660802020500020205 00".replace(' ', ""));
}

#[test]
fn every_fixture_dg1_parses_with_valid_check_digits_matching_the_manifest() {
    let dir = fixtures().join("documents");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 9);
    for name in names {
        let doc = Document::from_dir(&dir.join(&name)).unwrap();
        let dg1 = emrtd_lds::dg1::Dg1::parse(doc.file(Df::Emrtd, 0x0101).unwrap()).unwrap();
        assert!(dg1.mrz.check_digits_valid(), "{name}: {:?}", dg1.mrz.check_digits);
        let m = doc.manifest.mrz.as_ref().unwrap();
        assert_eq!(dg1.mrz.lines, m.lines, "{name}");
        assert_eq!(dg1.mrz.document_number, m.document_number, "{name}");
        assert_eq!(dg1.mrz.date_of_birth, m.date_of_birth, "{name}");
        assert_eq!(dg1.mrz.date_of_expiry, m.date_of_expiry, "{name}");
        assert_eq!(dg1.mrz.issuing_state, "UTO", "{name}");
    }
}

#[test]
fn ecdsa_document_signer_chains_through_the_link_certificate_to_the_rsa_csca() {
    // Trust only the RSA CSCA and the link certificate (the new ECDSA CSCA key certified by it).
    let mut s = TrustStore::new();
    for f in ["csca-rsa.cer", "link-csca-rsa-to-ecdsa.cer"] {
        s.add_der(&std::fs::read(fixtures().join("pki").join(f)).unwrap(), f)
            .unwrap();
    }
    let (doc, chip) = load("td1-id-explicit-curve");
    let mut t = Terminal::new(chip);
    open(&doc, &mut t);
    let (sod, dgs) = read_all(&doc, &mut t);
    let out = verify_sod(
        &sod,
        &dgs,
        &s,
        &PaOptions {
            at: Some(AT),
            ds_certificate: None,
            skip_country_check: true,
            ..PaOptions::default()
        },
    );
    assert!(out.verified(), "{:#?}", out.reasons);
    // Without the link certificate the ECDSA Document Signer has no trusted issuer.
    let mut only_rsa = TrustStore::new();
    only_rsa
        .add_der(
            &std::fs::read(fixtures().join("pki/csca-rsa.cer")).unwrap(),
            "csca-rsa.cer",
        )
        .unwrap();
    let out = verify_sod(
        &sod,
        &dgs,
        &only_rsa,
        &PaOptions {
            at: Some(AT),
            ds_certificate: None,
            skip_country_check: true,
            ..PaOptions::default()
        },
    );
    assert!(!out.verified());
    assert!(out.has(emrtd_pa::ReasonCode::CscaNotFound), "{:#?}", out.reasons);
}
