#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use emrtd_sim::{Adversarial, VirtualChip};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn transmit_never_panics_on_any_bytes(apdus in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..8)) {
        let mut c = VirtualChip::new(common::small_doc()).unwrap();
        for a in &apdus {
            let r = c.transmit(a);
            prop_assert!(r.len() >= 2);
        }
    }

    #[test]
    fn transmit_never_panics_with_plausible_headers(
        ins in prop::sample::select(vec![0xA4u8, 0xB0, 0xB1, 0x84, 0x82, 0x22, 0x86, 0x88, 0x2C, 0x24]),
        p1 in any::<u8>(), p2 in any::<u8>(),
        data in proptest::collection::vec(any::<u8>(), 0..40),
        le in proptest::option::of(any::<u16>()),
        cla in prop::sample::select(vec![0x00u8, 0x0C, 0x10, 0x1C, 0x80]),
    ) {
        for mode in [None, Some(Adversarial::EndlessFile { fid: 0x0102 }), Some(Adversarial::LyingLength { fid: 0x011E, extra: 70_000 })] {
            let mut c = VirtualChip::new(common::small_doc()).unwrap();
            if let Some(m) = mode { c = c.with_adversarial(m); }
            let mut apdu = vec![cla, ins, p1, p2];
            if !data.is_empty() { apdu.push(data.len() as u8); apdu.extend_from_slice(&data); }
            if let Some(le) = le { if le > 255 { apdu.extend_from_slice(&[0, (le >> 8) as u8, le as u8]); } else { apdu.push(le as u8); } }
            let _ = c.transmit(&hex::decode("00A4040C07A0000002471001").unwrap());
            let r = c.transmit(&apdu);
            prop_assert!(r.len() >= 2);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The standard plug-ins (PACE, CA, AA) on REF-1 never panic on random commands, nor on
    /// random GENERAL AUTHENTICATE data after a valid MSE:Set AT for PACE-CAN.
    #[test]
    fn standard_chip_never_panics(
        ins in prop::sample::select(vec![0x22u8, 0x86, 0x88, 0x2C, 0x24, 0xB0, 0xA4]),
        p1 in prop::sample::select(vec![0x00u8, 0x41, 0xC1, 0x81, 0x02, 0x03]),
        p2 in prop::sample::select(vec![0x00u8, 0xA4, 0xA6, 0xB6, 0x03, 0x0C]),
        data in proptest::collection::vec(any::<u8>(), 0..120),
        cla in prop::sample::select(vec![0x00u8, 0x10]),
    ) {
        let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/documents/ref-1"));
        let mut c = VirtualChip::load(dir).unwrap();
        let mut apdu = vec![cla, ins, p1, p2];
        if !data.is_empty() { apdu.push(data.len() as u8); apdu.extend_from_slice(&data); }
        apdu.push(0);
        for _ in 0..3 {
            let r = c.transmit(&apdu);
            prop_assert!(r.len() >= 2);
        }
        // Also as GENERAL AUTHENTICATE data in a plausible dynamic authentication template.
        let mut ga = vec![cla, 0x86, 0x00, 0x00];
        let mut body = vec![0x7C, data.len() as u8];
        body.extend_from_slice(&data);
        ga.push(body.len() as u8);
        ga.extend_from_slice(&body);
        ga.push(0);
        let _ = c.transmit(&hex::decode("0022C1A40F800A04007F000702020402028301028401 0D".replace(' ', "")).unwrap());
        let r = c.transmit(&ga);
        prop_assert!(r.len() >= 2);
    }
}
