//! The malicious-chip suite, in-process: the real reading engine (`emrtd_reader::read_document`)
//! against hostile virtual chips. Each scenario asserts the exact verdict (failure, passive
//! authentication reasons, chip and active authentication results) and that the reader did
//! not panic (a panic fails the test) nor report the document as genuine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use emrtd_hardening::chips::{FailingPace, ReplayedAa, chip_with};
use emrtd_pa::ReasonCode;
use emrtd_reader::{ReadFailure, Reading};
use emrtd_result::AuthResult;
use emrtd_sim::plugins::{AaPlugin, PacePlugin};
use emrtd_sim::{Adversarial, VirtualChip};
use emrtd_transport::TransportError;
use std::sync::{Arc, Mutex};

/// Passive authentication ran and failed with `code`; the reading itself completed.
fn assert_pa_fails_with(r: &Reading, code: ReasonCode) {
    assert!(r.failure.is_none(), "{}", summary(r));
    let pa = r.passive_authentication.as_ref().expect("passive authentication ran");
    assert!(!pa.verified(), "{}", summary(r));
    assert!(pa.has(code), "expected {code:?}: {}", summary(r));
    assert!(!reported_genuine(r));
}

fn assert_file_read_failure(r: &Reading, file: &str) {
    match &r.failure {
        Some(ReadFailure::FileRead { file: f, .. }) => assert_eq!(f, file, "{}", summary(r)),
        _ => panic!("expected a read failure of {file}: {}", summary(r)),
    }
    assert!(r.passive_authentication.is_none(), "{}", summary(r));
    assert!(!reported_genuine(r));
}

fn ref1_with(mode: Adversarial) -> VirtualChip {
    chip("ref-1").with_adversarial(mode)
}

#[tokio::test]
async fn control_genuine_ref1_is_reported_genuine() {
    // The control of the suite: the same set-up with an honest chip verifies, so every
    // failing verdict below comes from the attack, not from the set-up.
    let r = read_chip(chip("ref-1")).await;
    assert!(reported_genuine(&r), "{}", summary(&r));
    let pa = r.passive_authentication.as_ref().unwrap();
    assert_eq!(pa.data_groups_with_valid_hash, vec![1, 2, 7, 11, 12, 14, 15]);
}

#[tokio::test]
async fn s01_tampered_dg1() {
    let r = read_chip(ref1_with(Adversarial::TamperedDataGroup { dg: 1 })).await;
    assert_pa_fails_with(&r, ReasonCode::DataGroupHashMismatch);
    let pa = r.passive_authentication.as_ref().unwrap();
    assert!(pa.sod_signature_valid && pa.document_certificate_valid);
    assert!(!pa.data_groups_with_valid_hash.contains(&1));
    assert_eq!(r.chip_authentication, AuthResult::Success);
}

#[tokio::test]
async fn s02_tampered_dg2_face() {
    let r = read_chip(ref1_with(Adversarial::TamperedDataGroup { dg: 2 })).await;
    assert_pa_fails_with(&r, ReasonCode::DataGroupHashMismatch);
    let pa = r.passive_authentication.as_ref().unwrap();
    assert_eq!(pa.data_groups_with_valid_hash, vec![1, 7, 11, 12, 14, 15]);
}

#[tokio::test]
async fn s03_tampered_dg15_aa_key() {
    let r = read_chip(ref1_with(Adversarial::TamperedDataGroup { dg: 15 })).await;
    assert_pa_fails_with(&r, ReasonCode::DataGroupHashMismatch);
    let pa = r.passive_authentication.as_ref().unwrap();
    assert!(!pa.data_groups_with_valid_hash.contains(&15));
}

#[tokio::test]
async fn s04_tampered_sod_content() {
    // One byte of the DG1 hash inside the signed LDSSecurityObject changed.
    let mut d = doc("ref-1");
    let dg1 = d.file(emrtd_sim::Df::Emrtd, 0x0101).unwrap().to_vec();
    let h = <sha2::Sha256 as sha2::Digest>::digest(&dg1);
    let mut h2 = h.to_vec();
    h2[0] ^= 0x01;
    replace_unique(file_mut(&mut d, 0x011D), &h, &h2);
    let r = read_chip(VirtualChip::standard(d).unwrap()).await;
    assert_pa_fails_with(&r, ReasonCode::SignedAttributesInvalid);
    let pa = r.passive_authentication.as_ref().unwrap();
    assert!(!pa.sod_signature_valid, "{}", summary(&r));
}

#[tokio::test]
async fn s05_forged_sod_signature() {
    // The last byte of the SignerInfo signature changed.
    let mut d = doc("ref-1");
    let sod = file_mut(&mut d, 0x011D);
    let s = emrtd_lds::sod::EfSod::parse(sod).unwrap();
    let sig = s.signed_data.signer_infos[0].signature.clone();
    let mut forged = sig.clone();
    *forged.last_mut().unwrap() ^= 0x5A;
    replace_unique(sod, &sig, &forged);
    let r = read_chip(VirtualChip::standard(d).unwrap()).await;
    assert_pa_fails_with(&r, ReasonCode::SodSignatureInvalid);
    let pa = r.passive_authentication.as_ref().unwrap();
    assert!(!pa.sod_signature_valid);
    assert!(pa.all_hashes_valid, "the data groups themselves match: {}", summary(&r));
}

#[tokio::test]
async fn s06_ds_signed_by_a_foreign_csca() {
    // The trust store holds only real CSCAs of other states (New Zealand, Indonesia): the
    // Document Signer chains to no trusted CSCA.
    let mut foreign = emrtd_pa::TrustStore::new();
    for f in [
        "vectors/csca-certs-historical/nz_root_from_de_ml_107.cer.cer",
        "vectors/masterlists/IDN_2010_SERIES_CSCA_CERT_2016-01_CSCA.cer",
    ] {
        foreign.add_der(&std::fs::read(fixtures().join(f)).unwrap(), f).unwrap();
    }
    let mut c = chip("ref-1");
    let key = can(c.document());
    let r = read_with(move |x: &[u8]| c.transmit(x), &key, &foreign, &config()).await;
    assert_pa_fails_with(&r, ReasonCode::CscaNotFound);
    let pa = r.passive_authentication.as_ref().unwrap();
    assert!(pa.sod_signature_valid && pa.all_hashes_valid && !pa.document_certificate_valid);
}

#[tokio::test]
async fn s07_ds_revoked() {
    let d = doc("revoked-ds");
    let mut c = chip("revoked-ds");
    let r = read_with(move |x: &[u8]| c.transmit(x), &mrz(&d), &store(), &config()).await;
    assert_pa_fails_with(&r, ReasonCode::DsRevoked);
    let pa = r.passive_authentication.as_ref().unwrap();
    assert!(pa.sod_signature_valid && pa.all_hashes_valid && !pa.document_certificate_valid);
}

#[tokio::test]
async fn s08_ds_expired() {
    let d = doc("expired");
    let mut c = chip("expired");
    let r = read_with(move |x: &[u8]| c.transmit(x), &mrz(&d), &store(), &config()).await;
    assert_pa_fails_with(&r, ReasonCode::DsCertificateExpired);
    assert!(!r.passive_authentication.as_ref().unwrap().document_certificate_valid);
}

#[tokio::test]
async fn s09_csca_expired() {
    // The genuine REF-1 checked in 2100: the CSCA (and the DS) are no longer valid.
    let mut cfg = config();
    cfg.pa_options.at = Some(4_102_444_800);
    let mut c = chip("ref-1");
    let key = can(c.document());
    let r = read_with(move |x: &[u8]| c.transmit(x), &key, &store(), &cfg).await;
    assert_pa_fails_with(&r, ReasonCode::CscaExpired);
    assert!(!r.passive_authentication.as_ref().unwrap().document_certificate_valid);
}

#[tokio::test]
async fn s10_issuing_state_not_matching_the_csca_country() {
    // DG1 says the document was issued by Germany (D<<), the SOD is re-signed with the
    // Utopian DS key so every hash and the signature verify: only the country check catches it.
    let mut d = doc("ref-1");
    let dg1 = d.file(emrtd_sim::Df::Emrtd, 0x0101).unwrap().to_vec();
    let mut forged = dg1.clone();
    replace_unique(&mut forged, b"P<UTO", b"P<D<<");
    let sod = d.file(emrtd_sim::Df::Emrtd, 0x011D).unwrap().to_vec();
    let new_sod = resign_pss_sod(&sod, &[(&dg1, &forged)]);
    *file_mut(&mut d, 0x0101) = forged;
    *file_mut(&mut d, 0x011D) = new_sod;
    let r = read_chip(VirtualChip::standard(d).unwrap()).await;
    assert_pa_fails_with(&r, ReasonCode::CountryMismatch);
    let pa = r.passive_authentication.as_ref().unwrap();
    assert!(pa.sod_signature_valid && pa.all_hashes_valid, "{}", summary(&r));
}

#[tokio::test]
async fn s11_resigned_sod_control_passes() {
    // Control of the forging helper: re-signing with nothing changed gives a valid document
    // (so s10 and s14 fail because of what they change, not because of the helper).
    let mut d = doc("ref-1");
    let sod = d.file(emrtd_sim::Df::Emrtd, 0x011D).unwrap().to_vec();
    *file_mut(&mut d, 0x011D) = resign_pss_sod(&sod, &[]);
    let r = read_chip(VirtualChip::standard(d).unwrap()).await;
    assert!(reported_genuine(&r), "{}", summary(&r));
}

#[tokio::test]
async fn s12_cloned_chip_ca_and_aa_fail() {
    let r = read_chip(chip("ref-1-clone")).await;
    assert!(r.failure.is_none(), "{}", summary(&r));
    assert!(r.passive_authentication_ok(), "the copied data is genuine");
    assert_eq!(r.chip_authentication, AuthResult::Failed, "{}", summary(&r));
    assert_eq!(r.active_authentication, AuthResult::Failed, "{}", summary(&r));
    assert!(!reported_genuine(&r));
}

#[tokio::test]
async fn s13_clone_with_foreign_ca_key_only() {
    let clone = doc("ref-1-clone").manifest.keys;
    let r = read_chip(ref1_with(Adversarial::ForeignChipKeys {
        ca_private_key: clone.ca_private_key,
        aa_private_key: None,
    }))
    .await;
    assert!(r.passive_authentication_ok(), "{}", summary(&r));
    assert_eq!(r.chip_authentication, AuthResult::Failed, "{}", summary(&r));
    assert_eq!(r.active_authentication, AuthResult::Success, "{}", summary(&r));
}

#[tokio::test]
async fn s14_ca_key_in_dg14_not_matching_the_chip() {
    // DG14 announces another valid brainpoolP256r1 key (REF-1's AA public key) and the SOD is
    // re-signed: passive authentication verifies, chip authentication must fail.
    let mut d = doc("ref-1");
    let dg14 = d.file(emrtd_sim::Df::Emrtd, 0x010E).unwrap().to_vec();
    let dg15 = d.file(emrtd_sim::Df::Emrtd, 0x010F).unwrap().to_vec();
    let ca_pub = emrtd_chipauth::ca::CaParams::from_dg14(&dg14, None).unwrap();
    let ca_point = point_of(&dg14, ca_pub_len(&ca_pub));
    let aa_point = point_of(&dg15, ca_point.len());
    let mut forged = dg14.clone();
    replace_unique(&mut forged, &ca_point, &aa_point);
    let sod = d.file(emrtd_sim::Df::Emrtd, 0x011D).unwrap().to_vec();
    let new_sod = resign_pss_sod(&sod, &[(&dg14, &forged)]);
    *file_mut(&mut d, 0x010E) = forged;
    *file_mut(&mut d, 0x011D) = new_sod;
    let r = read_chip(VirtualChip::standard(d).unwrap()).await;
    assert!(r.passive_authentication_ok(), "{}", summary(&r));
    assert_eq!(r.chip_authentication, AuthResult::Failed, "{}", summary(&r));
    assert!(!reported_genuine(&r));
}

/// Length of an uncompressed point on brainpoolP256r1.
fn ca_pub_len(_: &emrtd_chipauth::ca::CaParams) -> usize {
    65
}

/// The uncompressed EC point (04 || X || Y) of `len` bytes inside a BIT STRING of `file`.
fn point_of(file: &[u8], len: usize) -> Vec<u8> {
    // BIT STRING: 03 <len+1> 00 04 ...
    let pat = [0x03, (len + 1) as u8, 0x00, 0x04];
    let i = file.windows(4).position(|w| w == pat).expect("an uncompressed point");
    file[i + 3..i + 3 + len].to_vec()
}

#[tokio::test]
async fn s15_aa_signature_replayed_from_another_challenge() {
    // The chip answers INTERNAL AUTHENTICATE with a genuine signature of the AA key, but
    // over a challenge recorded earlier (not the terminal's).
    let d = doc("ref-1");
    let c = chip_with(
        d.clone(),
        vec![
            Box::new(PacePlugin::from_document(&d).unwrap()),
            Box::new(ReplayedAa::new(&[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88])),
        ],
    )
    .unwrap();
    let r = read_chip(c).await;
    assert!(r.failure.is_none(), "{}", summary(&r));
    assert!(r.passive_authentication_ok(), "{}", summary(&r));
    assert_eq!(r.chip_authentication, AuthResult::Success, "{}", summary(&r));
    assert_eq!(r.active_authentication, AuthResult::Failed, "{}", summary(&r));
    // Control: the same plug-in arrangement with the honest AA plug-in verifies.
    let ok = chip_with(
        d.clone(),
        vec![Box::new(PacePlugin::from_document(&d).unwrap()), Box::new(AaPlugin)],
    )
    .unwrap();
    let r = read_chip(ok).await;
    assert!(reported_genuine(&r), "{}", summary(&r));
}

/// Counts the plain BAC commands (GET CHALLENGE 84, EXTERNAL AUTHENTICATE 82) reaching a chip.
fn counting(mut c: VirtualChip, bac_commands: Arc<Mutex<u32>>) -> impl FnMut(&[u8]) -> Vec<u8> + Send {
    move |cmd: &[u8]| {
        if matches!(cmd, [0x00, 0x82, ..]) {
            *bac_commands.lock().unwrap() += 1;
        }
        c.transmit(cmd)
    }
}

#[tokio::test]
async fn s16_pace_offered_but_failing_is_not_downgraded_to_bac() {
    let d = doc("ref-1");
    assert!(d.manifest.access.bac, "the chip would accept BAC");
    for key in [mrz(&d), can(&d)] {
        let seen = Arc::new(Mutex::new(0));
        let c = chip_with(d.clone(), vec![Box::new(FailingPace { sw: 0x6300 })]).unwrap();
        let r = read_with(counting(c, seen.clone()), &key, &store(), &config()).await;
        assert_eq!(
            r.failure,
            Some(ReadFailure::AccessControl(
                "GA step 1: password rejected (Failed): authentication failed (wrong password?)".into()
            )),
            "{}",
            summary(&r)
        );
        assert_eq!(*seen.lock().unwrap(), 0, "EXTERNAL AUTHENTICATE (BAC) was sent");
        assert!(r.data_groups.is_empty() && r.sod.is_none());
    }
    // Control: when the deployer explicitly allows the fallback, the same chip is read with
    // BAC, so the refusal above is the reader's policy, not a broken chip.
    let seen = Arc::new(Mutex::new(0));
    let c = chip_with(d.clone(), vec![Box::new(FailingPace { sw: 0x6300 })]).unwrap();
    let mut cfg = config();
    cfg.bac_fallback = true;
    let r = read_with(counting(c, seen.clone()), &mrz(&d), &store(), &cfg).await;
    assert_eq!(*seen.lock().unwrap(), 1, "{}", summary(&r));
    assert_eq!(r.access, Some(emrtd_reader::AccessProtocol::Bac), "{}", summary(&r));
}

#[tokio::test]
async fn s17_wrong_can_fails_access_control() {
    let c = chip("ref-1");
    let mut c2 = c;
    let key = emrtd_reader::AccessKey::Can(zeroize::Zeroizing::new("654321".to_string()));
    let r = read_with(move |x: &[u8]| c2.transmit(x), &key, &store(), &config()).await;
    assert_eq!(
        r.failure,
        Some(ReadFailure::AccessControl(
            "GA step 4: password rejected (Failed): authentication failed (wrong password?)".into()
        )),
        "{}",
        summary(&r)
    );
    assert!(r.data_groups.is_empty());
}

#[tokio::test]
async fn s18_chip_claiming_a_16_mb_file() {
    let r = read_chip(ref1_with(Adversarial::LyingLength {
        fid: 0x0102,
        extra: 16 * 1024 * 1024,
    }))
    .await;
    assert_file_read_failure(&r, "DG2");
}

#[tokio::test]
async fn s19_never_ending_file() {
    let r = read_chip(ref1_with(Adversarial::EndlessFile { fid: 0x0102 })).await;
    assert_file_read_failure(&r, "DG2");
}

#[tokio::test]
async fn s20_never_ending_sod() {
    let r = read_chip(ref1_with(Adversarial::EndlessFile { fid: 0x011D })).await;
    assert_file_read_failure(&r, "EF.SOD");
}

#[tokio::test]
async fn s21_sod_length_lies_by_three_bytes() {
    let r = read_chip(ref1_with(Adversarial::LyingLength { fid: 0x011D, extra: 3 })).await;
    assert_file_read_failure(&r, "EF.SOD");
}

#[tokio::test]
async fn s22_bad_mac_on_every_response() {
    let r = read_chip(ref1_with(Adversarial::BadMac)).await;
    assert_eq!(
        r.failure,
        Some(ReadFailure::Reader("secure messaging: MAC verification failed".into())),
        "{}",
        summary(&r)
    );
    assert!(r.data_groups.is_empty(), "nothing under a bad MAC is kept");
}

#[tokio::test]
async fn s23_mac_failure_mid_session() {
    // From the 20th response on (DG reading under secure messaging) the last MAC byte flips.
    let mut c = chip("ref-1");
    let mut n = 0u32;
    let key = can(c.document());
    let transmit = move |cmd: &[u8]| {
        n += 1;
        let mut resp = c.transmit(cmd);
        if n >= 20 && c.sm_active() && resp.len() > 12 {
            let i = resp.len() - 3;
            resp[i] ^= 0x01;
        }
        resp
    };
    let r = read_with(transmit, &key, &store(), &config()).await;
    assert_eq!(
        r.failure,
        Some(ReadFailure::FileRead {
            file: "DG2".into(),
            error: "secure messaging: MAC verification failed".into()
        }),
        "{}",
        summary(&r)
    );
    assert!(r.passive_authentication.is_none());
    assert!(!r.data_groups.contains_key(&2));
    assert!(!reported_genuine(&r));
}

#[tokio::test]
async fn s24_wrong_status_file_not_found_everywhere() {
    let r = read_chip(ref1_with(Adversarial::WrongStatus { sw: 0x6A82 })).await;
    assert_eq!(
        r.failure,
        Some(ReadFailure::AccessControl(
            "MSE:Set AT: chip answered 6A82 (file or application not found)".into()
        )),
        "{}",
        summary(&r)
    );
    assert!(!reported_genuine(&r));
}

#[tokio::test]
async fn s25_warning_status_6282_everywhere() {
    let r = read_chip(ref1_with(Adversarial::WrongStatus { sw: 0x6282 })).await;
    assert_eq!(
        r.failure,
        Some(ReadFailure::AccessControl(
            "MSE:Set AT: chip answered 6282 (end of file reached before reading Le bytes)".into()
        )),
        "{}",
        summary(&r)
    );
    assert!(!reported_genuine(&r));
}

#[tokio::test]
async fn s26_garbage_from_the_first_answer() {
    // Random bytes instead of EF.ATR/INFO and EF.CardAccess: no PACE is offered, and BAC
    // needs the MRZ while the holder gave a CAN.
    let r = read_chip(ref1_with(Adversarial::Garbage { after: 1 })).await;
    assert_eq!(
        r.failure,
        Some(ReadFailure::AccessControl(
            "the chip offers only BAC, which needs the MRZ data; a CAN or PIN was given".into()
        )),
        "{}",
        summary(&r)
    );
    assert!(r.access.is_none());
}

#[tokio::test]
async fn s27_garbage_while_reading_files() {
    let r = read_chip(ref1_with(Adversarial::Garbage { after: 15 })).await;
    assert!(
        matches!(&r.failure, Some(ReadFailure::Reader(e)) if e.starts_with("secure messaging: malformed secure messaging data objects")),
        "{}",
        summary(&r)
    );
    assert!(r.passive_authentication.is_none());
}

#[tokio::test]
async fn s28_truncated_one_byte_response() {
    let mut c = chip("ref-1");
    let key = can(c.document());
    let mut n = 0u32;
    let transmit = move |cmd: &[u8]| {
        n += 1;
        let r = c.transmit(cmd);
        if n == 10 { vec![0x90] } else { r }
    };
    let r = read_with(transmit, &key, &store(), &config()).await;
    assert!(
        matches!(r.failure, Some(ReadFailure::Transport(TransportError::Malformed(_)))),
        "{}",
        summary(&r)
    );
}

#[tokio::test]
async fn s29_oversized_response() {
    let mut c = chip("ref-1");
    let key = can(c.document());
    let mut n = 0u32;
    let transmit = move |cmd: &[u8]| {
        n += 1;
        let r = c.transmit(cmd);
        if n == 12 {
            vec![0x41; emrtd_transport::MAX_RESPONSE_BYTES + 1]
        } else {
            r
        }
    };
    let r = read_with(transmit, &key, &store(), &config()).await;
    assert!(
        matches!(r.failure, Some(ReadFailure::Transport(TransportError::Malformed(_)))),
        "{}",
        summary(&r)
    );
}

#[tokio::test]
async fn s30_dg1_missing_from_the_chip() {
    let mut d = doc("ref-1");
    d.files.retain(|f| f.fid != 0x0101);
    let r = read_chip(VirtualChip::standard(d).unwrap()).await;
    assert_file_read_failure(&r, "DG1");
}

#[tokio::test]
async fn s31_sod_missing_from_the_chip() {
    let mut d = doc("ref-1");
    d.files.retain(|f| f.fid != 0x011D);
    let r = read_chip(VirtualChip::standard(d).unwrap()).await;
    assert_file_read_failure(&r, "EF.SOD");
}

#[tokio::test]
async fn s32_bac_chip_with_bad_macs() {
    let d = doc("bac-td3-3des");
    let mut c = chip("bac-td3-3des").with_adversarial(Adversarial::BadMac);
    let r = read_with(move |x: &[u8]| c.transmit(x), &mrz(&d), &store(), &config()).await;
    assert_eq!(
        r.failure,
        Some(ReadFailure::FileRead {
            file: "EF.SOD".into(),
            error: "secure messaging: MAC verification failed".into()
        }),
        "{}",
        summary(&r)
    );
}

/// A relay whose phone answers each command after `delay` (an in-memory DocVal channel).
struct SlowPhone {
    chip: VirtualChip,
    pending: Option<Vec<u8>>,
    delay: std::time::Duration,
}

impl emrtd_transport::relay::FrameChannel for SlowPhone {
    async fn send_binary(&mut self, data: Vec<u8>) -> Result<(), TransportError> {
        self.pending = Some(self.chip.transmit(&data));
        Ok(())
    }
    async fn send_text(&mut self, _text: String) -> Result<(), TransportError> {
        Ok(())
    }
    async fn recv(&mut self) -> Option<Result<emrtd_transport::relay::Frame, TransportError>> {
        tokio::time::sleep(self.delay).await;
        self.pending
            .take()
            .map(|r| Ok(emrtd_transport::relay::Frame::Binary(r)))
    }
}

#[tokio::test]
async fn s33_responses_slower_than_the_timeout() {
    let c = chip("ref-1");
    let key = can(c.document());
    let mut phone = SlowPhone {
        chip: c,
        pending: None,
        delay: std::time::Duration::from_millis(150),
    };
    let mut relay = emrtd_transport::relay::RelayTransport::new(
        &mut phone,
        std::time::Duration::from_millis(50),
        emrtd_transport::LinkLimits {
            extended_length: true,
            ..Default::default()
        },
    );
    let mut rng = emrtd_sim::SeededRng::new(b"slow");
    let r = emrtd_reader::read_document(&mut relay, &key, &store(), &config(), &mut rng).await;
    assert_eq!(
        r.failure,
        Some(ReadFailure::Transport(TransportError::Timeout)),
        "{}",
        summary(&r)
    );
    assert!(r.access.is_none() && r.data_groups.is_empty());
}

/// Reads REF-1 with every PLAIN READ BINARY (EF.ATR/INFO, EF.CardAccess) answered by
/// `answer(first_read, command, genuine_response)`, within 10 s (a hang fails the test).
async fn read_with_plain_reads(answer: impl Fn(bool, &[u8], Vec<u8>) -> Vec<u8> + Send + 'static) -> (Reading, u32) {
    let mut c = chip("ref-1");
    let key = can(c.document());
    let reads = Arc::new(Mutex::new(0u32));
    let r2 = reads.clone();
    let transmit = move |cmd: &[u8]| {
        let genuine = c.transmit(cmd);
        match cmd {
            [0x00, 0xB0 | 0xB1 | 0xC0, p1, ..] => {
                *r2.lock().unwrap() += 1;
                answer(p1 & 0x80 != 0, cmd, genuine)
            }
            _ => genuine,
        }
    };
    let r = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        read_with(transmit, &key, &store(), &config()),
    )
    .await
    .expect("the reader hung on a hostile chip");
    let n = *reads.lock().unwrap();
    (r, n)
}

#[tokio::test]
async fn s34_endless_61xx_get_response() {
    // Every plain read and every GET RESPONSE answers "61 10: more data available".
    let (r, reads) = read_with_plain_reads(|_, _, _| vec![0x61, 0x10]).await;
    // EF.CardAccess could not be read: the chip counts as BAC-only, which a CAN cannot open.
    assert_eq!(
        r.failure,
        Some(ReadFailure::AccessControl(
            "the chip offers only BAC, which needs the MRZ data; a CAN or PIN was given".into()
        )),
        "{}",
        summary(&r)
    );
    assert!(r.card_access.is_none());
    assert!(reads < 200, "{reads} reads");
}

#[tokio::test]
async fn s35_6cxx_ping_pong() {
    // Every plain read answers "6C xx: wrong Le, use xx" with xx one more than asked.
    let (r, reads) = read_with_plain_reads(|_, cmd, _| {
        let le = cmd.last().copied().unwrap_or(0);
        vec![0x6C, le.wrapping_add(1)]
    })
    .await;
    // EF.CardAccess could not be read: the chip counts as BAC-only, which a CAN cannot open.
    assert_eq!(
        r.failure,
        Some(ReadFailure::AccessControl(
            "the chip offers only BAC, which needs the MRZ data; a CAN or PIN was given".into()
        )),
        "{}",
        summary(&r)
    );
    assert!(r.card_access.is_none());
    assert!(reads <= 8, "{reads} reads");
}

#[tokio::test]
async fn s36_reads_that_make_no_progress() {
    // The first read of a file returns 4 bytes (so the reader continues), every later read
    // returns 9000 without data.
    let (r, reads) = read_with_plain_reads(|first, _, genuine| {
        if first {
            let mut v = genuine[..4.min(genuine.len().saturating_sub(2))].to_vec();
            v.extend_from_slice(&[0x90, 0x00]);
            v
        } else {
            vec![0x90, 0x00]
        }
    })
    .await;
    // EF.CardAccess could not be read: the chip counts as BAC-only, which a CAN cannot open.
    assert_eq!(
        r.failure,
        Some(ReadFailure::AccessControl(
            "the chip offers only BAC, which needs the MRZ data; a CAN or PIN was given".into()
        )),
        "{}",
        summary(&r)
    );
    assert!(r.card_access.is_none());
    assert!(reads < 200, "{reads} reads");
}

#[tokio::test]
async fn s37_more_data_than_asked() {
    // Every plain read returns 300 bytes more than the file holds.
    let (r, _) = read_with_plain_reads(|_, _, genuine| {
        let (data, sw) = genuine.split_at(genuine.len() - 2);
        let mut v = data.to_vec();
        v.extend(std::iter::repeat_n(0xA5, 300));
        v.extend_from_slice(sw);
        v
    })
    .await;
    // The reader keeps exactly the bytes the file's TLV length announces.
    assert!(reported_genuine(&r), "{}", summary(&r));
    let genuine = chip("ref-1")
        .document()
        .file(emrtd_sim::Df::Mf, 0x011C)
        .unwrap()
        .to_vec();
    assert_eq!(r.card_access.as_deref().map(Vec::as_slice), Some(genuine.as_slice()));
}

/// Chooses the response to a secured command (`None`: the chip's own answer).
type Hook = Box<dyn FnMut(&emrtd_apdu::CommandApdu) -> Option<emrtd_apdu::ResponseApdu> + Send>;

/// A man in the middle of a BAC chip: it knows the MRZ, so it recovers the BAC session keys
/// from the plain EXTERNAL AUTHENTICATE exchange and then answers chosen commands itself
/// under valid secure messaging (hostile status words and data the SM layer accepts).
/// Every command still goes to the chip, so the chip and the man in the middle stay in step.
struct BacMitm {
    chip: VirtualChip,
    keys: emrtd_access::bac::BacKeys,
    ea_cmd: Option<Vec<u8>>,
    sm: Option<emrtd_sm::SmSession>,
    hook: Hook,
}

impl BacMitm {
    fn new(
        name: &str,
        hook: impl FnMut(&emrtd_apdu::CommandApdu) -> Option<emrtd_apdu::ResponseApdu> + Send + 'static,
    ) -> Self {
        let d = doc(name);
        let m = d.manifest.mrz.clone().unwrap();
        let mrz = emrtd_access::MrzKey::new(&m.document_number, &m.date_of_birth, &m.date_of_expiry).unwrap();
        BacMitm {
            chip: chip(name),
            keys: emrtd_access::bac::BacKeys::derive(&mrz),
            ea_cmd: None,
            sm: None,
            hook: Box::new(hook),
        }
    }

    fn transmit(&mut self, raw: &[u8]) -> Vec<u8> {
        use emrtd_crypto::CipherSuite::Tdes;
        use emrtd_crypto::kdf::{KdfCounter, kdf};
        let cmd = emrtd_apdu::CommandApdu::parse(raw).unwrap();
        let secured = cmd.cla & 0x0C == 0x0C;
        let inner = match (&mut self.sm, secured) {
            (Some(sm), true) => Some(sm.unprotect_command(&cmd).unwrap()),
            _ => None,
        };
        let resp = self.chip.transmit(raw);
        if !secured && cmd.ins == 0x82 {
            self.ea_cmd = Some(cmd.data.clone());
            if resp.ends_with(&[0x90, 0x00]) && resp.len() == 42 {
                let s = emrtd_crypto::cbc_decrypt(Tdes, &self.keys.k_enc, &[0; 8], &cmd.data[..32]).unwrap();
                let r = emrtd_crypto::cbc_decrypt(Tdes, &self.keys.k_enc, &[0; 8], &resp[..32]).unwrap();
                let seed: Vec<u8> = s[16..32].iter().zip(&r[16..32]).map(|(a, b)| a ^ b).collect();
                let mut ssc = r[4..8].to_vec();
                ssc.extend_from_slice(&s[4..8]);
                let enc = kdf(&seed, KdfCounter::Enc, Tdes);
                let mac = kdf(&seed, KdfCounter::Mac, Tdes);
                self.sm = Some(emrtd_sm::SmSession::new(Tdes, &enc, &mac, &ssc).unwrap());
            }
            return resp;
        }
        let (Some(inner), Some(sm)) = (inner, self.sm.as_mut()) else {
            return resp;
        };
        match (self.hook)(&inner) {
            Some(crafted) => sm.protect_response(&crafted).unwrap().to_bytes(),
            None => {
                // Keep the send sequence counter in step with the chip's response.
                let _ = sm.protect_response(&emrtd_apdu::ResponseApdu::status(emrtd_apdu::StatusWord(0x9000)));
                resp
            }
        }
    }
}

async fn read_bac_mitm(
    hook: impl FnMut(&emrtd_apdu::CommandApdu) -> Option<emrtd_apdu::ResponseApdu> + Send + 'static,
) -> Reading {
    let d = doc("bac-td3-3des");
    let mut m = BacMitm::new("bac-td3-3des", hook);
    let cfg = emrtd_reader::ReaderConfig {
        read_atr_info: false,
        extended_length: false,
        ..config()
    };
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        read_with(move |c: &[u8]| m.transmit(c), &mrz(&d), &store(), &cfg),
    )
    .await
    .expect("the reader hung on a hostile chip")
}

fn status(sw: u16) -> emrtd_apdu::ResponseApdu {
    emrtd_apdu::ResponseApdu::status(emrtd_apdu::StatusWord(sw))
}

#[tokio::test]
async fn s38_mitm_control_passes_everything_through() {
    // The man in the middle that changes nothing: the document verifies, so the SM key
    // recovery is right and the scenarios below fail because of what they change.
    let r = read_bac_mitm(|_| None).await;
    assert!(r.failure.is_none() && r.passive_authentication_ok(), "{}", summary(&r));
    assert_eq!(r.access, Some(emrtd_reader::AccessProtocol::Bac));
}

#[tokio::test]
async fn s39_secured_reads_without_progress() {
    // The first secured READ BINARY returns an EF.SOD header announcing 1 792 bytes, every
    // later one 9000 and no data.
    let mut first = true;
    let r = read_bac_mitm(move |c| {
        matches!(c.ins, 0xB0 | 0xB1).then(|| {
            if std::mem::take(&mut first) {
                emrtd_apdu::ResponseApdu {
                    data: vec![0x77, 0x82, 0x07, 0x00],
                    sw: emrtd_apdu::StatusWord(0x9000),
                }
            } else {
                status(0x9000)
            }
        })
    })
    .await;
    assert_eq!(
        r.failure,
        Some(ReadFailure::FileRead {
            file: "EF.SOD".into(),
            error: "the file ended after 4 of 1796 bytes".into()
        }),
        "{}",
        summary(&r)
    );
}

#[tokio::test]
async fn s40_secured_endless_61xx() {
    let r = read_bac_mitm(|c| matches!(c.ins, 0xB0 | 0xB1 | 0xC0).then(|| status(0x6110))).await;
    assert_eq!(
        r.failure,
        Some(ReadFailure::FileRead {
            file: "EF.SOD".into(),
            error: "the chip refused READ BINARY: 6110 (more response bytes available)".into()
        }),
        "{}",
        summary(&r)
    );
}

#[tokio::test]
async fn s41_secured_6cxx_ping_pong() {
    let r = read_bac_mitm(|c| {
        matches!(c.ins, 0xB0 | 0xB1).then(|| status(0x6C00 | u16::from(c.ne.unwrap_or(0).wrapping_add(1) as u8)))
    })
    .await;
    assert_eq!(
        r.failure,
        Some(ReadFailure::FileRead {
            file: "EF.SOD".into(),
            error: "the chip refused READ BINARY: 6C02 (wrong Le field)".into()
        }),
        "{}",
        summary(&r)
    );
}

#[tokio::test]
async fn s42_security_status_not_satisfied_while_reading_dg1() {
    // After EF.SOD, every read answers 6982 under valid secure messaging.
    let mut sod_done = false;
    let r = read_bac_mitm(move |c| {
        if c.ins == 0xA4 && c.data == [0x01, 0x01] || c.ins == 0xB0 && c.p1 == 0x81 {
            sod_done = true;
        }
        (sod_done && matches!(c.ins, 0xB0 | 0xB1)).then(|| status(0x6982))
    })
    .await;
    assert_eq!(
        r.failure,
        Some(ReadFailure::FileRead {
            file: "DG1".into(),
            error: "access to the file was refused: 6982 (security status not satisfied)".into()
        }),
        "{}",
        summary(&r)
    );
}

#[tokio::test]
async fn s43_dg1_served_from_another_document() {
    // Under valid SM the chip serves REF-1's DG1 as its own: the hash check catches it.
    let other = doc("ref-1").file(emrtd_sim::Df::Emrtd, 0x0101).unwrap().to_vec();
    let mut dg1 = false;
    let r = read_bac_mitm(move |c| {
        if c.ins == 0xA4 {
            dg1 = c.data == [0x01, 0x01];
        }
        let sfi_dg1 = c.ins == 0xB0 && c.p1 == 0x81;
        if (dg1 || sfi_dg1) && c.ins == 0xB0 {
            let off = if sfi_dg1 {
                0
            } else {
                usize::from(u16::from_be_bytes([c.p1 & 0x7F, c.p2]))
            };
            let n =
                c.ne.map(|n| n as usize)
                    .unwrap_or(256)
                    .min(other.len().saturating_sub(off));
            return Some(emrtd_apdu::ResponseApdu {
                data: other[off.min(other.len())..off.min(other.len()) + n].to_vec(),
                sw: emrtd_apdu::StatusWord(0x9000),
            });
        }
        None
    })
    .await;
    assert_pa_fails_with(&r, ReasonCode::DataGroupHashMismatch);
    assert_eq!(
        r.data_groups.get(&1).map(|d| d.to_vec()),
        Some(doc("ref-1").file(emrtd_sim::Df::Emrtd, 0x0101).unwrap().to_vec())
    );
}
