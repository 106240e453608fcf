#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use emrtd_apdu::{CommandApdu, LengthForm, ResponseApdu, StatusWord};
use emrtd_sim::{Adversarial, Quirks, VirtualChip};

fn chip() -> VirtualChip {
    VirtualChip::new(small_doc()).unwrap()
}

fn raw(chip: &mut VirtualChip, hex_apdu: &str) -> ResponseApdu {
    ResponseApdu::parse(&chip.transmit(&hex::decode(hex_apdu).unwrap())).unwrap()
}

#[test]
fn ef_cardaccess_is_readable_without_access_control_by_sfi() {
    let mut c = chip();
    let r = raw(&mut c, "00B09C0000");
    assert_eq!(r.sw, StatusWord::END_OF_FILE);
    assert_eq!(
        hex::encode_upper(&r.data),
        "31143012060A04007F0007020204020202010202010D"
    );
    // Exact length: 9000.
    let r = raw(&mut c, "00B09C0016");
    assert_eq!(r.sw, StatusWord::SUCCESS);
    assert_eq!(r.data.len(), 22);
}

#[test]
fn application_files_need_access_control() {
    let mut c = chip();
    assert_eq!(raw(&mut c, "00A4040C07A0000002471001").sw, StatusWord::SUCCESS);
    assert_eq!(raw(&mut c, "00A4020C02011E").sw, StatusWord::SUCCESS);
    assert_eq!(raw(&mut c, "00B0000004").sw, StatusWord::SECURITY_STATUS_NOT_SATISFIED);
    assert_eq!(raw(&mut c, "00B09E0004").sw, StatusWord::SECURITY_STATUS_NOT_SATISFIED);
}

#[test]
fn select_unknown_aid_and_file_give_6a82() {
    let mut c = chip();
    assert_eq!(raw(&mut c, "00A4040C07A0000002471002").sw, StatusWord::FILE_NOT_FOUND);
    assert_eq!(raw(&mut c, "00A4040C07A0000002471001").sw, StatusWord::SUCCESS);
    assert_eq!(raw(&mut c, "00A4020C020110").sw, StatusWord::FILE_NOT_FOUND);
}

#[test]
fn select_with_p2_00_returns_fcp_with_size_and_fid() {
    let mut c = chip();
    let r = raw(&mut c, "00A4020002011C00");
    assert_eq!(r.sw, StatusWord::SUCCESS);
    assert_eq!(
        hex::encode_upper(&r.data),
        "620B80020016820101830201 1C".replace(' ', "")
    );
}

#[test]
fn bac_then_read_all_files_under_sm_with_short_reads() {
    let mut t = Terminal::new(chip());
    t.bac(&d1_mrz()).unwrap();
    assert!(t.chip.sm_active());
    t.select_app().unwrap();
    let com = t.read_ef(0x011E, 0xDF).unwrap();
    assert_eq!(hex::encode_upper(&com), "60145F0104303130375F36063034303030305C026175");
    let dg2 = t.read_ef(0x0102, 0xDF).unwrap();
    assert!(dg2 == small_doc().file(emrtd_sim::Df::Emrtd, 0x0102).unwrap());
}

#[test]
fn extended_length_and_odd_ins_read_past_32k() {
    let mut t = Terminal::new(chip());
    t.bac(&d1_mrz()).unwrap();
    t.select_app().unwrap();
    // 40 005 bytes: offsets above 0x7FFF need B1 with DO'54; chunks of 4000 need extended Le.
    let dg14 = t.read_ef(0x010E, 4000).unwrap();
    assert!(dg14 == small_doc().file(emrtd_sim::Df::Emrtd, 0x010E).unwrap());
}

#[test]
fn odd_ins_wraps_data_in_do53_and_counts_header_in_ne() {
    let mut t = Terminal::new(chip());
    t.bac(&d1_mrz()).unwrap();
    t.select_app().unwrap();
    t.select_ef(0x0102).unwrap();
    let r = t
        .send(
            &CommandApdu::new(0, 0xB1, 0, 0)
                .with_data(vec![0x54, 0x01, 0x04])
                .with_ne(12),
        )
        .unwrap();
    assert_eq!(r.sw, StatusWord::SUCCESS);
    let doc = small_doc();
    let expect = &doc.file(emrtd_sim::Df::Emrtd, 0x0102).unwrap()[4..14];
    let mut want = vec![0x53, 0x0A];
    want.extend_from_slice(expect);
    assert_eq!(r.data, want);
}

#[test]
fn sfi_read_selects_the_file_and_offset_past_end_is_6b00() {
    let mut t = Terminal::new(chip());
    t.bac(&d1_mrz()).unwrap();
    t.select_app().unwrap();
    let r = t.send(&CommandApdu::new(0, 0xB0, 0x9E, 0x00).with_ne(4)).unwrap();
    assert_eq!(hex::encode_upper(&r.data), "60145F01");
    // The SFI read made EF.COM current: continue with offsets.
    let r = t.send(&CommandApdu::new(0, 0xB0, 0x00, 0x04).with_ne(0x12)).unwrap();
    assert_eq!(r.sw, StatusWord::SUCCESS);
    assert_eq!(r.data.len(), 0x12);
    let r = t.send(&CommandApdu::new(0, 0xB0, 0x00, 0x17).with_ne(1)).unwrap();
    assert_eq!(r.sw, StatusWord::WRONG_OFFSET);
    // Reading across the end returns the rest with 6282.
    let r = t.send(&CommandApdu::new(0, 0xB0, 0x00, 0x10).with_ne(0x20)).unwrap();
    assert_eq!(r.sw, StatusWord::END_OF_FILE);
    assert_eq!(r.data.len(), 6);
}

#[test]
fn wrong_mrz_fails_bac_with_6300() {
    let mut t = Terminal::new(chip());
    let wrong = emrtd_access::MrzKey::new("L898902C", "690806", "940624").unwrap();
    let e = t.bac(&wrong).unwrap_err();
    assert!(matches!(e, TermError::Bac(ref s) if s.contains("6300")), "{e:?}");
    assert!(!t.chip.sm_active());
}

#[test]
fn plain_command_ends_secure_messaging() {
    let mut t = Terminal::new(chip());
    t.bac(&d1_mrz()).unwrap();
    t.select_app().unwrap();
    t.sm = None;
    t.select_ef(0x011E).unwrap();
    assert_eq!(
        t.send(&CommandApdu::new(0, 0xB0, 0, 0).with_ne(4)).unwrap().sw,
        StatusWord::SECURITY_STATUS_NOT_SATISFIED
    );
    assert!(!t.chip.sm_active());
}

#[test]
fn replayed_sm_command_is_refused_with_6988_and_session_ends() {
    let mut t = Terminal::new(chip());
    t.bac(&d1_mrz()).unwrap();
    let cmd = CommandApdu::new(0x00, 0xA4, 0x04, 0x0C).with_data(emrtd_sim::EMRTD_AID.to_vec());
    let p = t.sm.as_mut().unwrap().protect(&cmd).unwrap().to_bytes().unwrap();
    let first = ResponseApdu::parse(&t.chip.transmit(&p)).unwrap();
    assert_eq!(first.sw, StatusWord::SUCCESS);
    let replay = ResponseApdu::parse(&t.chip.transmit(&p)).unwrap();
    assert_eq!(replay.sw, StatusWord::SM_DATA_OBJECTS_INCORRECT);
    assert!(replay.data.is_empty());
    assert!(!t.chip.sm_active());
}

fn chip_with(q: Quirks) -> Terminal {
    let mut d = small_doc();
    d.manifest.quirks = q;
    let mut t = Terminal::new(VirtualChip::new(d).unwrap());
    t.bac(&d1_mrz()).unwrap();
    t.select_app().unwrap();
    t
}

#[test]
fn quirk_no_extended_length_refuses_extended_le_with_6700() {
    let mut t = chip_with(Quirks {
        extended_length: false,
        ..Quirks::default()
    });
    // Short reads work.
    let dg = t.read_ef(0x010E, 0xE0).unwrap();
    assert_eq!(dg.len(), 40_005);
    // An extended APDU is refused in plain with 6700, which ends secure messaging.
    let e = t.send(&CommandApdu::new(0, 0xB0, 0, 0).with_ne(1000)).unwrap_err();
    assert!(matches!(&e, TermError::Sm(s) if s.contains("6700")), "{e:?}");
    assert!(!t.chip.sm_active());
}

#[test]
fn quirk_max_le_231_refuses_larger_and_accepts_231() {
    let mut t = chip_with(Quirks {
        max_le: Some(231),
        ..Quirks::default()
    });
    t.select_ef(0x0102).unwrap();
    assert_eq!(
        t.send(&CommandApdu::new(0, 0xB0, 0, 0).with_ne(232)).unwrap().sw,
        StatusWord::WRONG_LENGTH
    );
    let r = t.send(&CommandApdu::new(0, 0xB0, 0, 0).with_ne(231)).unwrap();
    assert_eq!((r.sw, r.data.len()), (StatusWord::SUCCESS, 231));
}

#[test]
fn quirk_6b00_on_le_256() {
    let mut t = chip_with(Quirks {
        sw_6b00_on_le_256: true,
        ..Quirks::default()
    });
    t.select_ef(0x0102).unwrap();
    let r = t
        .send(
            &CommandApdu::new(0, 0xB0, 0, 0)
                .with_ne(256)
                .with_form(LengthForm::Short),
        )
        .unwrap();
    assert_eq!(r.sw, StatusWord::WRONG_OFFSET);
    assert_eq!(
        t.send(&CommandApdu::new(0, 0xB0, 0, 0).with_ne(255)).unwrap().sw,
        StatusWord::SUCCESS
    );
}

#[test]
fn quirk_delay_is_reported_not_slept() {
    let mut d = small_doc();
    d.manifest.quirks.delay_ms = 1500;
    let mut c = VirtualChip::new(d).unwrap();
    assert_eq!(c.delay(), std::time::Duration::from_millis(1500));
    let start = std::time::Instant::now();
    c.transmit(&hex::decode("00B09C0016").unwrap());
    assert!(start.elapsed() < std::time::Duration::from_millis(1000));
}

// ---- adversarial modes: the terminal side reports an error, never success ----

fn adversarial(mode: Adversarial) -> Terminal {
    Terminal::new(VirtualChip::new(small_doc()).unwrap().with_adversarial(mode))
}

#[test]
fn adversarial_bad_mac_is_reported_by_sm_unprotect() {
    let mut t = adversarial(Adversarial::BadMac);
    t.bac(&d1_mrz()).unwrap();
    let e = t.select_app().unwrap_err();
    assert!(matches!(e, TermError::Sm(_)), "{e:?}");
}

#[test]
fn adversarial_lying_length_is_reported_as_short_file() {
    let mut t = adversarial(Adversarial::LyingLength {
        fid: 0x0102,
        extra: 300,
    });
    t.bac(&d1_mrz()).unwrap();
    t.select_app().unwrap();
    let e = t.read_ef(0x0102, 0xE0).unwrap_err();
    assert!(
        matches!(e, TermError::Length(_) | TermError::Sw(StatusWord::WRONG_OFFSET)),
        "{e:?}"
    );
}

#[test]
fn adversarial_endless_file_is_cut_by_the_reader_bound() {
    let mut t = adversarial(Adversarial::EndlessFile { fid: 0x0102 });
    t.bac(&d1_mrz()).unwrap();
    t.select_app().unwrap();
    let e = t.read_ef(0x0102, 0xE0).unwrap_err();
    assert!(matches!(e, TermError::Length(ref s) if s.contains("claims")), "{e:?}");
    // And it really never ends: far offsets still return full chunks.
    let r = t.read_binary(100_000, 200).unwrap();
    assert_eq!((r.sw, r.data.len()), (StatusWord::SUCCESS, 201));
}

#[test]
fn adversarial_wrong_status_word_is_an_error() {
    let mut t = adversarial(Adversarial::WrongStatus { sw: 0x6A82 });
    // Even GET CHALLENGE "fails": BAC cannot start.
    let e = t.bac(&d1_mrz()).unwrap_err();
    assert!(matches!(e, TermError::Bac(_)), "{e:?}");
}

#[test]
fn adversarial_garbage_after_bac_is_an_error() {
    let mut t = adversarial(Adversarial::Garbage { after: 3 });
    t.bac(&d1_mrz()).unwrap();
    for _ in 0..20 {
        assert!(t.select_app().is_err());
    }
}

#[test]
fn adversarial_tampered_data_group_differs_from_the_signed_bytes() {
    let mut t = adversarial(Adversarial::TamperedDataGroup { dg: 2 });
    t.bac(&d1_mrz()).unwrap();
    t.select_app().unwrap();
    let dg2 = t.read_ef(0x0102, 0xE0).unwrap();
    assert_ne!(dg2, small_doc().file(emrtd_sim::Df::Emrtd, 0x0102).unwrap());
}

#[test]
fn reset_drops_the_session() {
    let mut t = Terminal::new(chip());
    t.bac(&d1_mrz()).unwrap();
    t.chip.reset();
    assert!(!t.chip.sm_active());
    assert!(t.select_app().is_err());
}

#[test]
fn adversarial_modes_from_the_manifest() {
    let toml = r#"
name = "m"
[mrz]
document_number = "L898902C"
date_of_birth = "690806"
date_of_expiry = "940623"
[[adversarial]]
mode = "bad-mac"
[[adversarial]]
mode = "tampered-data-group"
dg = 2
"#;
    let m = emrtd_sim::Manifest::from_toml(toml).unwrap();
    assert_eq!(
        m.adversarial,
        vec![Adversarial::BadMac, Adversarial::TamperedDataGroup { dg: 2 }]
    );
    let mut doc = small_doc();
    doc.manifest.adversarial = m.adversarial;
    let mut t = Terminal::new(VirtualChip::new(doc).unwrap());
    t.bac(&d1_mrz()).unwrap();
    assert!(matches!(t.select_app(), Err(TermError::Sm(_))));
    // Round trip through TOML.
    let mut doc = small_doc();
    doc.manifest.adversarial = vec![
        Adversarial::EndlessFile { fid: 0x0102 },
        Adversarial::Garbage { after: 5 },
    ];
    let back = emrtd_sim::Manifest::from_toml(&doc.manifest.to_toml().unwrap()).unwrap();
    assert_eq!(back.adversarial, doc.manifest.adversarial);
}

#[test]
fn quirk_no_extended_length_refuses_an_extended_outer_apdu_under_sm() {
    let mut t = chip_with(Quirks {
        extended_length: false,
        ..Quirks::default()
    });
    t.select_ef(0x0102).unwrap();
    // Inner Ne = 16 (short DO'97) but the protected APDU itself is sent in extended form.
    let p =
        t.sm.as_mut()
            .unwrap()
            .protect(&CommandApdu::new(0, 0xB0, 0, 0).with_ne(16))
            .unwrap()
            .with_form(LengthForm::Extended);
    let r = ResponseApdu::parse(&t.chip.transmit(&p.to_bytes().unwrap())).unwrap();
    assert_eq!(r.sw, StatusWord::WRONG_LENGTH);
}
