#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Drives the virtual chip through the vpcd socket protocol: a fake vpcd (the reader side,
//! as pcscd's vsmartcard driver would) listens on 127.0.0.1, the chip connects as vpicc.

mod common;

use emrtd_access::BacTerminal;
use emrtd_apdu::{CommandApdu, ResponseApdu, StatusWord};
use emrtd_sim::VirtualChip;
use emrtd_sim::vpcd::{self, VPCD_CTRL_ATR, VPCD_CTRL_OFF, VPCD_CTRL_ON, VPCD_CTRL_RESET};
use std::net::TcpListener;

fn apdu(stream: &mut std::net::TcpStream, cmd: &[u8]) -> ResponseApdu {
    vpcd::write_message(stream, cmd).unwrap();
    ResponseApdu::parse(&vpcd::read_message(stream).unwrap().unwrap()).unwrap()
}

#[test]
fn vpcd_socket_power_atr_bac_and_sm_read() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let card = std::thread::spawn(move || {
        let mut chip = VirtualChip::new(common::small_doc()).unwrap();
        vpcd::connect_and_serve(&mut chip, addr).unwrap()
    });
    let (mut s, _) = listener.accept().unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();

    vpcd::write_message(&mut s, &[VPCD_CTRL_ON]).unwrap();
    vpcd::write_message(&mut s, &[VPCD_CTRL_ATR]).unwrap();
    let atr = vpcd::read_message(&mut s).unwrap().unwrap();
    assert_eq!(atr, emrtd_sim::make_atr(b"docval-sim"));
    assert_eq!(&atr[..4], &[0x3B, 0x8A, 0x80, 0x01]);
    assert_eq!(atr.iter().skip(1).fold(0u8, |a, b| a ^ b), 0, "TCK makes the XOR zero");

    // EF.CardAccess by SFI, plain.
    let r = apdu(&mut s, &hex::decode("00B09C0016").unwrap());
    assert_eq!(
        hex::encode_upper(&r.data),
        "31143012060A04007F0007020204020202010202010D"
    );

    // BAC over the socket, then a protected SELECT + READ BINARY of EF.COM.
    let mut t = BacTerminal::new(&common::d1_mrz());
    let ch = apdu(&mut s, &t.get_challenge().to_bytes().unwrap());
    let mut rng = emrtd_sim::SeededRng::new(b"vpcd-terminal");
    let ea = t.external_authenticate(&ch, &mut rng).unwrap();
    let r = apdu(&mut s, &ea.to_bytes().unwrap());
    let mut sm = t.finish(&r).unwrap();
    for cmd in [
        CommandApdu::new(0, 0xA4, 0x04, 0x0C).with_data(emrtd_sim::EMRTD_AID.to_vec()),
        CommandApdu::new(0, 0xA4, 0x02, 0x0C).with_data(vec![0x01, 0x1E]),
    ] {
        let p = sm.protect(&cmd).unwrap().to_bytes().unwrap();
        assert_eq!(sm.unprotect(&apdu(&mut s, &p)).unwrap().sw, StatusWord::SUCCESS);
    }
    let p = sm
        .protect(&CommandApdu::new(0, 0xB0, 0, 0).with_ne(0x16))
        .unwrap()
        .to_bytes()
        .unwrap();
    let r = sm.unprotect(&apdu(&mut s, &p)).unwrap();
    assert_eq!(
        hex::encode_upper(&r.data),
        "60145F0104303130375F36063034303030305C026175"
    );

    // Reset ends the session: the application is locked again.
    vpcd::write_message(&mut s, &[VPCD_CTRL_RESET]).unwrap();
    assert_eq!(
        apdu(&mut s, &hex::decode("00A4040C07A0000002471001").unwrap()).sw,
        StatusWord::SUCCESS
    );
    let r = apdu(&mut s, &hex::decode("00B09E0004").unwrap());
    assert_eq!(r.sw, StatusWord::SECURITY_STATUS_NOT_SATISFIED);
    vpcd::write_message(&mut s, &[VPCD_CTRL_OFF]).unwrap();
    let r = apdu(&mut s, &hex::decode("00B09C0016").unwrap());
    assert_eq!(r.sw, StatusWord(0x6F00), "no answer from an unpowered card");
    drop(s);
    let stats = card.join().unwrap();
    assert_eq!(
        (stats.power_ons, stats.power_offs, stats.resets, stats.atr_requests),
        (1, 1, 1, 1)
    );
    assert_eq!(stats.apdus, 9);
}
