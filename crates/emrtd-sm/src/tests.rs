use super::*;
use proptest::prelude::*;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// The session established by BAC in ICAO 9303-11 Appendix D.3.
fn d3_session() -> SmSession {
    SmSession::new(
        CipherSuite::Tdes,
        &h("979EC13B1CBFE9DCD01AB0FED307EAE5"),
        &h("F1CB1F1FB5ADF208806B89DC579DC1F8"),
        &h("887022120C06C226"),
    )
    .unwrap()
}

fn resp(s: &str) -> ResponseApdu {
    ResponseApdu::parse(&h(s)).unwrap()
}

#[test]
fn d4_select_ef_com_protect_and_unprotect() {
    let mut sm = d3_session();
    let select = CommandApdu::parse(&h("00A4020C02011E")).unwrap();
    let protected = sm.protect(&select).unwrap();
    assert_eq!(sm.ssc(), &h("887022120C06C227")[..]);
    assert_eq!(
        protected.to_bytes().unwrap(),
        h("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800")
    );
    let r = sm.unprotect(&resp("990290008E08FA855A5D4C50A8ED9000")).unwrap();
    assert_eq!(sm.ssc(), &h("887022120C06C228")[..]);
    assert!(r.data.is_empty());
    assert_eq!(r.sw, StatusWord::SUCCESS);
}

#[test]
fn d4_read_binary_ef_com_in_two_reads() {
    let mut sm = d3_session();
    let _ = sm.protect(&CommandApdu::parse(&h("00A4020C02011E")).unwrap()).unwrap();
    let _ = sm.unprotect(&resp("990290008E08FA855A5D4C50A8ED9000")).unwrap();

    // READ BINARY of the first four bytes.
    let rb1 = sm.protect(&CommandApdu::parse(&h("00B0000004")).unwrap()).unwrap();
    assert_eq!(sm.ssc(), &h("887022120C06C229")[..]);
    assert_eq!(rb1.to_bytes().unwrap(), h("0CB000000D9701048E08ED6705417E96BA5500"));
    let r1 = sm
        .unprotect(&resp("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"))
        .unwrap();
    assert_eq!(sm.ssc(), &h("887022120C06C22A")[..]);
    assert_eq!(r1.data, h("60145F01"));

    // READ BINARY of the remaining 18 bytes from offset 4.
    let rb2 = sm.protect(&CommandApdu::parse(&h("00B0000412")).unwrap()).unwrap();
    assert_eq!(sm.ssc(), &h("887022120C06C22B")[..]);
    assert_eq!(rb2.to_bytes().unwrap(), h("0CB000040D9701128E082EA28A70F3C7B53500"));
    let r2 = sm
        .unprotect(&resp(
            "871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000",
        ))
        .unwrap();
    assert_eq!(sm.ssc(), &h("887022120C06C22C")[..]);
    assert_eq!(r2.data, h("04303130365F36063034303030305C026175"));

    let mut ef_com = r1.data;
    ef_com.extend_from_slice(&r2.data);
    assert_eq!(ef_com, h("60145F0104303130365F36063034303030305C026175"));
}

#[test]
fn aes_protect_mse_set_at_gmrtd_vector() {
    let mut sm = SmSession::new(
        CipherSuite::Aes128,
        &h("CC86415F2ED7E8FD663B754265695AE1"),
        &h("581E84B8EE06C4D3EEE30461498D7FB3"),
        &h("000000000000000000000000000000BA"),
    )
    .unwrap();
    let mse = CommandApdu::new(0x00, 0x22, 0x41, 0xA4).with_data(h("800A04007F000702020302028401C3"));
    let p = sm.protect(&mse).unwrap();
    assert_eq!(sm.ssc(), &h("000000000000000000000000000000BB")[..]);
    assert_eq!(
        p.to_bytes().unwrap(),
        h("0C2241A41D871101980953D37F67558690045D78A853B18A8E08929767A2CEF172E200")
    );
}

#[test]
fn aes_unprotect_long_response_gmrtd_vector() {
    let mut sm = SmSession::new(
        CipherSuite::Aes128,
        &h("A8E85E938514EC67AE33CDA3D43D3C48"),
        &h("27F1ADEB705A049A305B0C619B14B9B3"),
        &h("0000000000000000000000000000000B"),
    )
    .unwrap();
    let r = sm.unprotect(&resp("8781E1012FABF9E0655D7E987FD28A8AEB19C9CADD990D49399799ED1FE465BCEA56DA9BA3024291D40D23D7F1E00485D71FADDC6D8C1382E8028DD22EFDCC72ED47663D56D20DD6C4B867956FE0507313083AE7FC54FB46133F184FEBBE13AD6FD3E2616A1F4A829E75ADA1A0E443CA738288F6014BE8A7745D8259B089E6BEE35BCC4BF5B63DB5FDD84244F67ECA099213B70A861B4487225AA68AF684278FCEB4CB809DE42BE3EE95B0E0D72BCDB0ED47CB56EFC264E04A9397A90E81AD1D81EFA2D14B2CA8EC7BD997F4B1C1FD344D5DEE8589C38B227CA4CB35810060A7CC76403E990290008E083EB47EF4FA82AFC99000")).unwrap();
    assert_eq!(sm.ssc(), &h("0000000000000000000000000000000C")[..]);
    assert_eq!(
        r.data,
        h(
            "A729901D1A71874700133107EC53306404307BC382C63D8C150C3C72080ACE05AFA0C2BEA28E4FB22787139165EFBA91F90F8AA5814A503AD4EB04A8C7DD22CE2826043004A8C7DD22CE28268B39B55416F0447C2FB77DE107DCD2A62E880EA53EEB62D57CB4390295DBC9943AB78696FA504C110461041D1C64F068CF45FFA2A63A81B7C13F6B8847A3E77EF14FE3DB7FCAFE0CBD10E8E826E03436D646AAEF87B2E247D4AF1E8ABE1D7520F9C2A45CB1EB8E95CFD55262B70B29FEEC5864E19C054FF99129280E4646217791811142820341263C53150231008CB91E82A3"
        )
    );
}

#[test]
fn aes256_decrypt_do87_gmrtd_vector() {
    // SSC 0x26 is the value after the increment of the response.
    let sm = SmSession::new(
        CipherSuite::Aes256,
        &h("74B94F408BBB2CD92571FD5B6370A94CCE7A2FA42AE3EB4DA47B97CE6EAA24C6"),
        &h("9E28D5D9FF1D979BE752E8926BF0E1D35A440FC0AEFC4AA3BC5610055AC8B113"),
        &h("00000000000000000000000000000026"),
    )
    .unwrap();
    let do87 = h("0142E919C115FAF69350B01813D77A9E8D91912A7F717AFD073F199070E61B79C6");
    assert_eq!(
        sm.decrypt(&do87[1..]).unwrap(),
        h("04303130385F36063034303030305C06617563766D6E")
    );
}

#[test]
fn bsi_worked_example_aes_sm_mac() {
    let sm = SmSession::new(
        CipherSuite::Aes128,
        &h("68406B4162100563D9C901A6154D2901"),
        &h("73FF268784F72AF833FDC9464049AFC9"),
        &h("00000000000000000000000000000002"),
    )
    .unwrap();
    assert_eq!(sm.mac(&h("99029000")).unwrap().to_vec(), h("A89570A68664A7D6"));
}

#[test]
fn wrong_mac_is_rejected_before_decryption() {
    let mut sm = d3_session();
    let _ = sm.protect(&CommandApdu::parse(&h("00A4020C02011E")).unwrap()).unwrap();
    let err = sm.unprotect(&resp("990290008E08FA855A5D4C50A8EE9000")).unwrap_err();
    assert_eq!(err, SmError::BadMac);
}

#[test]
fn missing_do99_and_do8e_and_chip_errors() {
    let mut sm = d3_session();
    // A correct MAC over DO'87 only: DO'99 is missing.
    let _ = sm.protect(&CommandApdu::parse(&h("00B0000004")).unwrap()).unwrap();
    let mut body = h("8709019FF0EC34F9922651");
    sm.increment_ssc();
    let cc = sm.mac(&body).unwrap();
    sm.ssc.copy_from_slice(&h("887022120C06C227"));
    write_tlv(DO8E, &cc, &mut body);
    let r = ResponseApdu::new(body, StatusWord::SUCCESS);
    assert_eq!(sm.unprotect(&r), Err(SmError::MissingDataObject(DO99)));

    let mut sm = d3_session();
    assert_eq!(
        sm.unprotect(&resp("990290009000")),
        Err(SmError::MissingDataObject(DO8E))
    );
    let mut sm = d3_session();
    assert_eq!(
        sm.unprotect(&resp("6987")),
        Err(SmError::ChipSmError(StatusWord(0x6987)))
    );
    let mut sm = d3_session();
    assert_eq!(
        sm.unprotect(&resp("6988")),
        Err(SmError::ChipSmError(StatusWord(0x6988)))
    );
    let mut sm = d3_session();
    assert_eq!(
        sm.unprotect(&resp("9000")),
        Err(SmError::UnprotectedResponse(StatusWord::SUCCESS))
    );
    let mut sm = d3_session();
    assert_eq!(
        sm.unprotect(&resp("6A82")),
        Err(SmError::UnprotectedResponse(StatusWord::FILE_NOT_FOUND))
    );
    let mut sm = d3_session();
    assert!(matches!(
        sm.unprotect(&resp("8709019FF09000")),
        Err(SmError::Malformed(_))
    ));
    let mut sm = d3_session();
    assert_eq!(
        sm.unprotect(&resp("990290008E08FA855A5D4C50A8ED990290009000")),
        Err(SmError::UnexpectedDataObject(DO99))
    );
    let mut sm = d3_session();
    assert_eq!(
        sm.unprotect(&resp("5F0101AA9000")),
        Err(SmError::UnexpectedDataObject(Tag(0x5F01)))
    );
}

#[test]
fn bad_padding_indicator_is_rejected() {
    // gmrtd: DO'87 with FF instead of 01 as padding-content indicator, MAC made valid.
    let mut chip = d3_session();
    let mut term = d3_session();
    let mut body = Vec::new();
    write_tlv(DO87, &h("FF9FF0EC34F9922651"), &mut body);
    write_tlv(DO99, &[0x90, 0x00], &mut body);
    chip.increment_ssc();
    let cc = chip.mac(&body).unwrap();
    write_tlv(DO8E, &cc, &mut body);
    let err = term
        .unprotect(&ResponseApdu::new(body, StatusWord::SUCCESS))
        .unwrap_err();
    assert!(matches!(err, SmError::Malformed(_)));
}

#[test]
fn extended_length_protected_commands() {
    let mut term = SmSession::with_zero_ssc(CipherSuite::Aes128, &[1; 16], &[2; 16]).unwrap();
    let mut chip = SmSession::with_zero_ssc(CipherSuite::Aes128, &[1; 16], &[2; 16]).unwrap();
    // Ne above 256 forces extended form, with a two-byte DO'97.
    let rb = CommandApdu::new(0x00, 0xB0, 0x00, 0x00).with_ne(4000);
    let p = term.protect(&rb).unwrap();
    assert!(p.is_extended());
    let bytes = p.to_bytes().unwrap();
    assert_eq!(&bytes[..7], &h("0CB0000000000E")[..]);
    assert_eq!(&bytes[7..11], &h("97020FA0")[..]);
    assert_eq!(&bytes[bytes.len() - 2..], &[0, 0]);
    let back = chip.unprotect_command(&CommandApdu::parse(&bytes).unwrap()).unwrap();
    assert_eq!(back.ne, Some(4000));
    assert_eq!(back.header(), [0x00, 0xB0, 0x00, 0x00]);
    // Long data forces extended form too.
    let upd = CommandApdu::new(0x00, 0xD6, 0x00, 0x00).with_data(vec![0x5A; 600]);
    let p = term.protect(&upd).unwrap();
    assert!(p.is_extended());
    let back = chip
        .unprotect_command(&CommandApdu::parse(&p.to_bytes().unwrap()).unwrap())
        .unwrap();
    assert_eq!(back.data, vec![0x5A; 600]);
    // A 60 KiB response round trip.
    let big = ResponseApdu::new(vec![0xC3; 60_000], StatusWord::SUCCESS);
    let pr = chip.protect_response(&big).unwrap();
    assert_eq!(term.unprotect(&pr).unwrap(), big);
}

#[test]
fn odd_ins_uses_do85() {
    let mut term = d3_session();
    let mut chip = d3_session();
    let cmd = CommandApdu::new(0x00, 0xB1, 0x00, 0x00)
        .with_data(h("54028000"))
        .with_ne(256);
    let p = term.protect(&cmd).unwrap();
    assert_eq!(p.data[0], 0x85);
    let back = chip.unprotect_command(&p).unwrap();
    assert_eq!(back.data, h("54028000"));
    assert_eq!(back.ne, Some(256));
}

#[test]
fn card_side_rejects_tampering() {
    let mut term = d3_session();
    let mut chip = d3_session();
    let mut p = term.protect(&CommandApdu::parse(&h("00B0000004")).unwrap()).unwrap();
    p.p2 ^= 1;
    let err = chip.unprotect_command(&p).unwrap_err();
    assert_eq!(err, SmError::BadMac);
    assert_eq!(err.status_word(), StatusWord(0x6988));
    let mut chip = d3_session();
    let plain = CommandApdu::parse(&h("00B0000004")).unwrap();
    let err = chip.unprotect_command(&plain).unwrap_err();
    assert_eq!(err.status_word(), StatusWord(0x6987));
}

#[test]
fn session_rejects_bad_sizes() {
    assert!(matches!(
        SmSession::new(CipherSuite::Aes256, &[0; 16], &[0; 16], &[0; 16]),
        Err(SmError::BadKey { .. })
    ));
    assert!(matches!(
        SmSession::new(CipherSuite::Aes128, &[0; 16], &[0; 16], &[0; 8]),
        Err(SmError::BadSsc { .. })
    ));
}

#[test]
fn ssc_wraps_with_carry() {
    let mut sm = SmSession::new(CipherSuite::Tdes, &[1; 16], &[2; 16], &h("00000000000000FF")).unwrap();
    sm.increment_ssc();
    assert_eq!(sm.ssc(), &h("0000000000000100")[..]);
}

proptest! {
    #[test]
    fn terminal_and_card_round_trip(
        suite in prop_oneof![Just(CipherSuite::Tdes), Just(CipherSuite::Aes128), Just(CipherSuite::Aes192), Just(CipherSuite::Aes256)],
        ins in prop_oneof![Just(0xB0u8), Just(0xB1), Just(0xA4), Just(0x88)],
        data in proptest::collection::vec(any::<u8>(), 0..300),
        ne in proptest::option::of(1u32..=65_536),
        resp_data in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let ks_enc = vec![0x11; suite.key_len()];
        let ks_mac = vec![0x22; suite.key_len()];
        let ssc = vec![0u8; suite.block_len()];
        let mut term = SmSession::new(suite, &ks_enc, &ks_mac, &ssc).unwrap();
        let mut chip = SmSession::new(suite, &ks_enc, &ks_mac, &ssc).unwrap();
        let mut cmd = CommandApdu::new(0x00, ins, 0x01, 0x02).with_data(data);
        cmd.ne = ne;
        let wire = term.protect(&cmd).unwrap().to_bytes().unwrap();
        let got = chip.unprotect_command(&CommandApdu::parse(&wire).unwrap()).unwrap();
        prop_assert_eq!(&got.data, &cmd.data);
        prop_assert_eq!(got.ne, cmd.ne);
        let r = ResponseApdu::new(resp_data, StatusWord(0x9000));
        let wire = chip.protect_response(&r).unwrap().to_bytes();
        prop_assert_eq!(term.unprotect(&ResponseApdu::parse(&wire).unwrap()).unwrap(), r);
        prop_assert_eq!(term.ssc(), chip.ssc());
    }

    #[test]
    fn unprotect_never_panics(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut sm = d3_session();
        let _ = sm.unprotect(&ResponseApdu::new(data.clone(), StatusWord::SUCCESS));
        let mut sm = d3_session();
        let _ = sm.unprotect_command(&CommandApdu::new(0x0C, 0xB0, 0, 0).with_data(data));
    }
}
