//! Hostile input never panics and never yields success: random bytes as signatures, keys,
//! DG14/DG15, PKCS#8, chip responses and card-side commands.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{det_rng, fixture};
use emrtd_apdu::{CommandApdu, ResponseApdu, StatusWord};
use emrtd_chipauth::aa::{AaPublicKey, AaStep, AaTerminal, verify_signature};
use emrtd_chipauth::ca::{CaCard, CaParams, CaProtocol, CaStep, CaTerminal, KeyAgreement};
use emrtd_chipauth::ec::{EcCurve, NamedCurve};
use emrtd_chipauth::iso9796;
use emrtd_chipauth::keys::{PrivateKeyInfo, PublicKeyInfo, parse_dg15};
use emrtd_crypto::CipherSuite;
use proptest::prelude::*;

fn bsi_aa_key() -> AaPublicKey {
    AaPublicKey::new(
        parse_dg15(&fixture("bsi-tr03105-mustermann/Datagroup15.bin")).unwrap(),
        None,
    )
    .unwrap()
}

fn ec_aa_key() -> AaPublicKey {
    let c = EcCurve::Named(NamedCurve::BrainpoolP256r1);
    let (d, _) = c.generate(&mut det_rng("p")).unwrap();
    let pk = PrivateKeyInfo::Ec { curve: c, d }.public_key().unwrap();
    AaPublicKey::new(pk, Some(iso9796::HashAlgorithm::Sha256)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn decode_representative_any_bytes(f in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(rec) = iso9796::decode_representative(&f) {
            // A random representative essentially never carries the right hash.
            prop_assert!(rec.check(b"challenge").is_err());
        }
    }

    #[test]
    fn rsa_and_ecdsa_signatures_any_bytes(sig in proptest::collection::vec(any::<u8>(), 0..300)) {
        prop_assert!(verify_signature(&bsi_aa_key(), b"12345678", &sig).is_err());
        prop_assert!(verify_signature(&ec_aa_key(), b"12345678", &sig).is_err());
    }

    #[test]
    fn key_parsers_any_bytes(b in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = PublicKeyInfo::from_spki(&b);
        let _ = parse_dg15(&b);
        let _ = PrivateKeyInfo::from_pkcs8(&b);
        let _ = CaParams::from_dg14(&b, None);
    }

    #[test]
    fn mutated_dg14_and_dg15(pos in 0usize..334, val in any::<u8>()) {
        let mut dg14 = fixture("bsi-tr03105-mustermann/Datagroup14.bin");
        let i = pos % dg14.len();
        dg14[i] = val;
        let _ = CaParams::from_dg14(&dg14, None);
        let mut dg15 = fixture("bsi-tr03105-mustermann/Datagroup15.bin");
        let j = pos % dg15.len();
        dg15[j] = val;
        let _ = parse_dg15(&dg15);
    }

    #[test]
    fn aa_terminal_any_responses(
        responses in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..200), any::<u16>()), 1..6)
    ) {
        let mut t = AaTerminal::new(bsi_aa_key(), &mut det_rng("c"));
        t.command().unwrap();
        for (data, sw) in responses {
            match t.on_response(&ResponseApdu::new(data, StatusWord(sw))) {
                Ok(AaStep::Done(_)) => prop_assert!(false, "random data verified"),
                Ok(AaStep::Send(_)) => {}
                Err(_) => break,
            }
        }
    }

    #[test]
    fn ca_terminal_any_responses(
        aes in any::<bool>(),
        responses in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..80), any::<u16>()), 1..4)
    ) {
        let cipher = if aes { CipherSuite::Aes128 } else { CipherSuite::Tdes };
        let c = EcCurve::Named(NamedCurve::P256);
        let (d, _) = c.generate(&mut det_rng("chip")).unwrap();
        let protocol = CaProtocol { key_agreement: KeyAgreement::Ecdh, cipher };
        let card = CaCard::new(PrivateKeyInfo::Ec { curve: c, d }, protocol, None).unwrap();
        let params = CaParams::new(protocol, None, card.public_key().unwrap()).unwrap();
        let mut t = CaTerminal::new(params, &mut det_rng("t")).unwrap();
        t.start().unwrap();
        for (data, sw) in responses {
            match t.on_response(&ResponseApdu::new(data, StatusWord(sw))) {
                Ok(CaStep::Send(_)) => {}
                Ok(CaStep::Pending(p)) => {
                    // Keys may be agreed on a plain 9000, but a random answer never confirms.
                    let r = ResponseApdu::new(vec![0x99, 0x02, 0x90, 0x00], StatusWord::SUCCESS);
                    prop_assert!(p.confirm(&r).is_err());
                    break;
                }
                Err(_) => break,
            }
        }
    }

    #[test]
    fn ca_card_any_commands(
        cmds in proptest::collection::vec(
            (any::<u8>(), any::<u8>(), any::<u8>(), proptest::collection::vec(any::<u8>(), 0..100)), 1..6)
    ) {
        let c = EcCurve::Named(NamedCurve::BrainpoolP256r1);
        let (d, _) = c.generate(&mut det_rng("chip")).unwrap();
        let protocol = CaProtocol { key_agreement: KeyAgreement::Ecdh, cipher: CipherSuite::Aes128 };
        let mut card = CaCard::new(PrivateKeyInfo::Ec { curve: c, d }, protocol, None).unwrap();
        for (ins, p1, p2, data) in cmds {
            let cmd = CommandApdu::new(0, ins, p1, p2).with_data(data);
            let _ = card.accepts(&cmd);
            let _ = card.handle(&cmd);
        }
    }
}
