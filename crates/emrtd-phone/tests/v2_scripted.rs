//! The v2 phone against a scripted in-process server on 127.0.0.1
//! (`emrtd_phone::v2::scripted`: a tokio-tungstenite server driven by
//! `docval_protocol::v2::server::ServerSession`, the pure state machine the real server uses).
//! It proves the handover / relay / handback round trip against the virtual chip, and what
//! each hostile knob makes the phone send.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use docval_protocol::CloseReason;
use docval_protocol::v2::CheckResult;
use docval_protocol::v2::server::{Collected, RelayedCa};
use emrtd_phone::v2::scripted::{ScriptedRun, Timeouts, serve_one, serve_one_with};
use emrtd_phone::{Access, PhoneV2Options, PhoneV2Outcome, Platform, run_phone_v2};
use emrtd_sim::{Df, VirtualChip};
use std::path::{Path, PathBuf};
use tokio::net::TcpListener;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/documents")
}

fn access_for(chip: &VirtualChip) -> Access {
    let m = &chip.document().manifest;
    match (&m.can, &m.mrz) {
        (Some(can), _) if m.access.pace => Access::Can(can.clone()),
        (_, Some(mrz)) => mrz_access(chip).unwrap_or_else(|| Access::Can(mrz.document_number.clone())),
        _ => panic!("fixture without an access key"),
    }
}

fn mrz_access(chip: &VirtualChip) -> Option<Access> {
    chip.document().manifest.mrz.as_ref().map(|mrz| Access::Mrz {
        document_number: mrz.document_number.clone(),
        date_of_birth: mrz.date_of_birth.clone(),
        date_of_expiry: mrz.date_of_expiry.clone(),
    })
}

async fn session(
    fixture: &str,
    platform: Platform,
    tweak: impl FnOnce(&mut PhoneV2Options),
) -> (VirtualChip, PhoneV2Outcome, ScriptedRun) {
    let chip = VirtualChip::load(&fixtures().join(fixture)).unwrap();
    session_with(chip, fixture, platform, tweak).await
}

async fn session_with(
    mut chip: VirtualChip,
    fixture: &str,
    platform: Platform,
    tweak: impl FnOnce(&mut PhoneV2Options),
) -> (VirtualChip, PhoneV2Outcome, ScriptedRun) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws2/validate", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { serve_one(&listener).await });
    let mut opts = PhoneV2Options::new(&url, "ci-client", access_for(&chip), platform);
    opts.validation_id = format!("v2-{fixture}");
    tweak(&mut opts);
    let out = run_phone_v2(&mut chip, &opts).await.unwrap();
    let run = server.await.unwrap();
    (chip, out, run)
}

fn chip_file(chip: &VirtualChip, fid: u16) -> Vec<u8> {
    chip.document().file(Df::Emrtd, fid).unwrap().to_vec()
}

fn dg(chip: &VirtualChip, n: u16) -> Vec<u8> {
    chip_file(chip, 0x0100 + n)
}

fn names(c: &Collected) -> Vec<&str> {
    c.files.keys().map(String::as_str).collect()
}

fn aa_verifies(chip: &VirtualChip, c: &Collected) -> bool {
    let Some(Ok(sig)) = &c.aa_signature else {
        return false;
    };
    let key = emrtd_chipauth::aa::AaPublicKey::from_files(&dg(chip, 15), Some(&dg(chip, 14))).unwrap();
    emrtd_chipauth::aa::verify_signature(&key, &c.challenge, sig).is_ok()
}

/// The files the server holds equal the chip's, byte for byte.
fn assert_genuine_files(chip: &VirtualChip, c: &Collected) {
    for (name, data) in &c.files {
        let fid = match name.as_str() {
            "sod" => 0x011D,
            n => 0x0100 + n.strip_prefix("dg").unwrap().parse::<u16>().unwrap(),
        };
        assert_eq!(data.as_slice(), chip_file(chip, fid).as_slice(), "{name}");
    }
}

#[tokio::test]
async fn ref_1_android_hands_over_and_continues_under_the_chip_authentication_keys() {
    let (chip, out, run) = session("ref-1", Platform::Android, |_| {}).await;
    assert_eq!(out.code(), Some(1000), "{out:#?}");
    assert_eq!(out.close_message, Some((1000, None)));
    assert!(out.client_close.is_none(), "{out:#?}");
    assert!(out.handed_over);
    assert_eq!(out.check_result, Some(CheckResult::Success));
    assert!(out.result.is_some());
    assert!(matches!(out.access, Some(emrtd_reader::AccessProtocol::Pace { .. })));
    // dg14 before the handover; the data groups in number order, sod last; no dg1 (the
    // server read it).
    assert_eq!(out.uploaded, ["dg14", "dg2", "dg7", "dg11", "dg12", "dg15", "sod"]);
    assert_eq!(out.server_dg1.as_deref(), Some(dg(&chip, 1).as_slice()));
    // START → ACCEPT, CA_HANDOVER → first command, one per relayed APDU.
    assert!(out.relayed_apdus >= 3, "{out:#?}");
    assert_eq!(out.round_trips, 2 + out.relayed_apdus);
    assert_eq!(out.turnaround_us.len() as u64, out.round_trips);

    let c = run.collected.expect("FINISH reached the server");
    assert!(!run.ca_failed);
    assert_eq!(c.chip_authentication, RelayedCa::Confirmed);
    assert_eq!(
        c.server_dg1.as_deref().map(Vec::as_slice),
        Some(dg(&chip, 1).as_slice())
    );
    assert_eq!(names(&c), ["dg11", "dg12", "dg14", "dg15", "dg2", "dg7", "sod"]);
    assert_genuine_files(&chip, &c);
    assert!(aa_verifies(&chip, &c), "AA over the server's challenge");
    assert!(c.send_result);
}

#[tokio::test]
async fn ref_1_ios_with_mrz_extended_length_and_diagnostics() {
    let (chip, out, run) = session("ref-1", Platform::Ios, |o| {
        o.access = mrz_access(&VirtualChip::load(&fixtures().join("ref-1")).unwrap()).unwrap();
        o.enable_diagnostics = true;
    })
    .await;
    assert_eq!(out.code(), Some(1000), "{out:#?}");
    assert_eq!(out.check_result, Some(CheckResult::Success));
    // iOS: by name, no sod-last rule.
    assert_eq!(out.uploaded, ["dg14", "dg11", "dg12", "dg15", "dg2", "dg7", "sod"]);
    assert!(out.monitoring_sent >= 8);
    assert_eq!(run.monitoring.len() as u64, out.monitoring_sent);
    assert!(run.monitoring.contains(&Some("READ_DG2".into())));
    let c = run.collected.unwrap();
    assert_eq!(c.chip_authentication, RelayedCa::Confirmed);
    assert_genuine_files(&chip, &c);
    assert!(aa_verifies(&chip, &c));
}

#[tokio::test]
async fn pace_dh_gm_3des_chip_authentication_over_dh_and_3des() {
    // CA-DH with a 2048-bit key: MSE:Set KAT under 3DES secure messaging is longer than a
    // short APDU, so it needs a phone whose NFC adapter takes extended length (iOS always
    // claims it; Android reports what the adapter says).
    for platform in [Platform::Android, Platform::Ios] {
        let (chip, out, run) = session("pace-dh-gm-3des", platform, |o| o.nfc_extended_length = true).await;
        assert_eq!(out.code(), Some(1000), "{platform:?}: {out:#?}");
        assert!(out.handed_over);
        assert_eq!(out.check_result, Some(CheckResult::Success), "{platform:?}");
        let c = run.collected.unwrap();
        assert_eq!(c.chip_authentication, RelayedCa::Confirmed, "{platform:?}");
        assert_eq!(
            c.server_dg1.as_deref().map(Vec::as_slice),
            Some(dg(&chip, 1).as_slice())
        );
        assert_eq!(names(&c), ["dg14", "dg15", "sod"]);
        assert_genuine_files(&chip, &c);
        assert!(aa_verifies(&chip, &c), "{platform:?}");
    }
}

#[tokio::test]
async fn pace_dh_gm_3des_over_short_apdus_is_refused_by_the_state_machine() {
    // An Android adapter without extended length: maxTransceiveLengthForSecureMessaging 261.
    // The state machine does not chain commands, so it ends the session before relaying
    // anything (v1 over the same phone relays the extended APDU and the chip takes it).
    let (_chip, out, run) = session("pace-dh-gm-3des", Platform::Android, |_| {}).await;
    assert!(out.handed_over);
    assert_eq!(out.relayed_apdus, 0);
    assert_eq!(out.code(), Some(1011), "{out:#?}");
    assert_eq!(out.reason().as_deref(), Some("EMRTD_PASSPORT_READER_ERROR"));
    assert_eq!(run.close, Some(CloseReason::EmrtdPassportReaderError));
    assert!(run.collected.is_none());
}

#[tokio::test]
async fn chips_that_refuse_le_256_or_long_reads_still_confirm_chip_authentication() {
    // Chips that answer 6B00 to Le = 256 (00), or 6700 above Le 231 (or 64, shorter than
    // DG1), with a phone that says it reads large blocks: the server's confirming READ BINARY
    // of DG1 must not trip on them (before the fix: FILE_READ_ERROR on a genuine chip).
    for quirk in ["6b00", "max_le_231", "max_le_64"] {
        let mut doc = emrtd_sim::Document::from_dir(&fixtures().join("ref-1")).unwrap();
        match quirk {
            "6b00" => doc.manifest.quirks.sw_6b00_on_le_256 = true,
            "max_le_231" => doc.manifest.quirks.max_le = Some(231),
            _ => doc.manifest.quirks.max_le = Some(64),
        }
        let chip = VirtualChip::standard(doc).unwrap();
        let (chip, out, run) = session_with(chip, "ref-1", Platform::Ios, |_| {}).await;
        assert_eq!(out.code(), Some(1000), "{quirk}: {out:#?}");
        let c = run.collected.unwrap();
        assert_eq!(c.chip_authentication, RelayedCa::Confirmed, "{quirk}");
        assert_eq!(
            c.server_dg1.as_deref().map(Vec::as_slice),
            Some(dg(&chip, 1).as_slice())
        );
    }
}

#[tokio::test]
async fn bac_td3_3des_reads_everything_without_a_handover() {
    let (chip, out, run) = session("bac-td3-3des", Platform::Android, |_| {}).await;
    assert_eq!(out.code(), Some(1000), "{out:#?}");
    assert_eq!(out.access, Some(emrtd_reader::AccessProtocol::Bac));
    assert!(!out.handed_over);
    assert_eq!(out.check_result, None);
    assert_eq!(out.relayed_apdus, 0);
    assert_eq!(out.round_trips, 1, "only START → ACCEPT crosses the network");
    assert_eq!(out.uploaded, ["dg1", "sod"]);
    let c = run.collected.unwrap();
    assert_eq!(c.chip_authentication, RelayedCa::NotRequested);
    assert!(c.server_dg1.is_none());
    assert!(c.aa_signature.is_none());
    assert_genuine_files(&chip, &c);
}

#[tokio::test]
async fn ref_1_clone_fails_chip_authentication_in_the_relay() {
    let (_chip, out, run) = session("ref-1-clone", Platform::Android, |_| {}).await;
    assert!(run.ca_failed, "the state machine emits ChipAuthenticationFailed");
    let c = run.collected.unwrap();
    assert!(matches!(c.chip_authentication, RelayedCa::Failed(_)), "{c:?}");
    assert!(out.handed_over);
    assert_eq!(out.check_result, None);
    assert_eq!(out.code(), Some(1011), "{out:#?}");
    assert_eq!(out.reason().as_deref(), Some("EMRTD_PASSPORT_READER_ERROR"));
    assert_eq!(
        out.close_message,
        Some((1011, Some("EMRTD_PASSPORT_READER_ERROR".into())))
    );
}

#[tokio::test]
async fn hostile_withhold_dg14_and_no_ca() {
    let (chip, out, run) = session("ref-1", Platform::Android, |o| o.hostile.withhold_dg14 = true).await;
    assert_eq!(out.code(), Some(1000), "{out:#?}");
    assert!(!out.handed_over);
    let c = run.collected.unwrap();
    assert_eq!(c.chip_authentication, RelayedCa::NotRequested);
    assert_eq!(names(&c), ["dg1", "dg11", "dg12", "dg15", "dg2", "dg7", "sod"]);
    assert_genuine_files(&chip, &c);
    // AA under the PACE session.
    assert!(aa_verifies(&chip, &c));

    let (chip, out, run) = session("ref-1", Platform::Ios, |o| o.hostile.no_ca = true).await;
    assert_eq!(out.code(), Some(1000), "{out:#?}");
    assert!(!out.handed_over);
    let c = run.collected.unwrap();
    assert_eq!(c.chip_authentication, RelayedCa::NotRequested);
    assert_eq!(names(&c), ["dg1", "dg11", "dg12", "dg14", "dg15", "dg2", "dg7", "sod"]);
    assert_genuine_files(&chip, &c);
}

#[tokio::test]
async fn hostile_tampered_dg1_goes_up_before_the_handover() {
    let (chip, out, run) = session("ref-1", Platform::Android, |o| o.hostile.tamper_dg1 = true).await;
    assert_eq!(out.code(), Some(1000), "{out:#?}");
    assert_eq!(out.uploaded.first().map(String::as_str), Some("dg1"));
    assert_eq!(out.uploaded.get(1).map(String::as_str), Some("dg14"));
    let c = run.collected.unwrap();
    assert_eq!(c.chip_authentication, RelayedCa::Confirmed);
    let genuine = dg(&chip, 1);
    let uploaded = c.files.get("dg1").unwrap();
    assert_ne!(uploaded.as_slice(), genuine.as_slice());
    assert_eq!(uploaded.len(), genuine.len());
    assert_eq!(uploaded.iter().zip(&genuine).filter(|(a, b)| a != b).count(), 1);
    assert_eq!(c.server_dg1.as_deref().map(Vec::as_slice), Some(genuine.as_slice()));

    // Without chip authentication the tampered DG1 is the only one the server gets.
    let (chip, out, run) = session("bac-td3-3des", Platform::Ios, |o| o.hostile.tamper_dg1 = true).await;
    assert_eq!(out.code(), Some(1000), "{out:#?}");
    let c = run.collected.unwrap();
    assert_ne!(c.files.get("dg1").unwrap().as_slice(), dg(&chip, 1).as_slice());
    assert!(c.server_dg1.is_none());
}

#[tokio::test]
async fn hostile_forged_and_skipped_active_authentication() {
    let (chip, out, run) = session("ref-1", Platform::Android, |o| o.hostile.forge_aa_signature = true).await;
    assert_eq!(out.code(), Some(1000), "{out:#?}");
    assert!(out.aa_signature_sent);
    let c = run.collected.unwrap();
    assert!(matches!(c.aa_signature, Some(Ok(_))));
    assert!(!aa_verifies(&chip, &c));

    let (_chip, out, run) = session("ref-1", Platform::Ios, |o| o.hostile.skip_aa = true).await;
    assert_eq!(out.code(), Some(1000), "{out:#?}");
    assert!(!out.aa_signature_sent);
    // iOS sends `"activeAuthenticationSignature":null`; the server reads it as absent.
    assert!(run.collected.unwrap().aa_signature.is_none());
}

#[tokio::test]
async fn hostile_fire_and_forget_still_delivers_finish() {
    let (_chip, out, run) = session("ref-1", Platform::Ios, |o| o.hostile.fire_and_forget = true).await;
    assert!(out.result.is_none());
    assert!(out.close_message.is_none());
    let c = run.collected.expect("FINISH arrived before the phone left");
    assert_eq!(c.chip_authentication, RelayedCa::Confirmed);
}

#[tokio::test]
async fn wrong_can_closes_with_access_control_failed_on_android() {
    let (_chip, out, run) = session("ref-1", Platform::Android, |o| o.access = Access::Can("000000".into())).await;
    assert_eq!(
        out.client_close,
        Some((4403, "ACCESS_CONTROL_FAILED".into())),
        "{out:#?}"
    );
    assert!(run.collected.is_none());
    assert!(run.client_closed);
}

#[tokio::test]
async fn link_delay_is_paid_once_per_round_trip() {
    let delay = std::time::Duration::from_millis(30);
    let (_chip, out, _run) = session("ref-1", Platform::Android, |o| o.link_delay = delay).await;
    assert_eq!(out.code(), Some(1000), "{out:#?}");
    assert!(out.elapsed >= delay * out.round_trips as u32, "{out:#?}");
}

#[tokio::test]
async fn every_fixture_on_both_platforms() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("manifest.toml").is_file())
        .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert!(names.len() >= 9, "{names:?}");
    for name in &names {
        for platform in [Platform::Android, Platform::Ios] {
            // Android with an extended-length adapter (CA-DH keys do not fit short APDUs).
            let (chip, out, run) = session(name, platform, |o| o.nfc_extended_length = true).await;
            let m = &chip.document().manifest;
            let dg14 = m.expect.data_groups.contains(&14);
            if m.expect.verdict == "clone" {
                assert!(run.ca_failed, "{name} {platform:?}");
                assert_eq!(out.code(), Some(1011), "{name} {platform:?}");
                continue;
            }
            assert_eq!(out.code(), Some(1000), "{name} {platform:?}: {out:#?}");
            assert_eq!(out.handed_over, dg14, "{name} {platform:?}");
            let c = run.collected.unwrap();
            let expect_ca = if dg14 {
                RelayedCa::Confirmed
            } else {
                RelayedCa::NotRequested
            };
            assert_eq!(c.chip_authentication, expect_ca, "{name} {platform:?}");
            assert_genuine_files(&chip, &c);
            if let Some(dg1) = &c.server_dg1 {
                assert_eq!(dg1.as_slice(), dg(&chip, 1).as_slice(), "{name}");
            }
            if m.expect.data_groups.contains(&15) {
                assert!(aa_verifies(&chip, &c), "{name} {platform:?}");
            }
            // Every data group EF.SOD lists reached the server (iOS: its eight files only).
            for n in &m.expect.data_groups {
                let file = format!("dg{n}");
                let ios_skips = platform == Platform::Ios && ![1, 2, 7, 11, 12, 14, 15].contains(n);
                if !ios_skips {
                    assert!(
                        c.files.contains_key(&file) || (*n == 1 && c.server_dg1.is_some()),
                        "{name} {platform:?}: {file}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn hostile_protocol_errors_end_in_protocol_error() {
    type Knob = fn(&mut PhoneV2Options);
    let knobs: [(&str, Knob); 3] = [
        ("handover_without_dg14", |o| o.hostile.handover_without_dg14 = true),
        ("finish_before_handback", |o| o.hostile.finish_before_handback = true),
        ("duplicate_file", |o| o.hostile.duplicate_file = true),
    ];
    for (name, knob) in knobs {
        let (_chip, out, run) = session("ref-1", Platform::Android, knob).await;
        assert_eq!(run.close, Some(CloseReason::ProtocolError), "{name}");
        assert!(run.collected.is_none(), "{name}");
        assert_eq!(out.code(), Some(1008), "{name}: {out:#?}");
        assert_eq!(out.close_message, Some((1008, Some("PROTOCOL_ERROR".into()))), "{name}");
    }
}

#[tokio::test]
async fn legacy_ios_stays_silent_after_a_wrong_can_until_the_server_times_out() {
    let mut chip = VirtualChip::load(&fixtures().join("ref-1")).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws2/validate", listener.local_addr().unwrap());
    let timeouts = Timeouts {
        reading: std::time::Duration::from_millis(300),
        ..Timeouts::default()
    };
    let server = tokio::spawn(async move { serve_one_with(&listener, timeouts).await });
    let mut opts = PhoneV2Options::new(&url, "ci-client", Access::Can("000000".into()), Platform::Ios);
    opts.legacy_ios_no_close_on_error = true;
    let out = run_phone_v2(&mut chip, &opts).await.unwrap();
    let run = server.await.unwrap();
    assert!(out.client_close.is_none(), "{out:#?}");
    assert!(out.local_error.is_some());
    assert_eq!(run.close, Some(CloseReason::TimeoutWhileWaitingForResponse));
    assert_eq!(out.code(), Some(1001));
    assert_eq!(out.reason().as_deref(), Some("TIMEOUT_WHILE_WAITING_FOR_RESPONSE"));
}
