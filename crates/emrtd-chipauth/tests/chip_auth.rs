//! Chip Authentication v1: BSI EAC worked example values (section 8a/8b of the shared
//! vectors), the BSI TR-03105 data set's CA key (brainpoolP224r1, explicit parameters, 3DES),
//! real DG14 key selection, terminal-against-card round trips under secure messaging for ECDH
//! and DH with 3DES and AES, and negative cases (clone, chip errors, malformed responses).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{det_rng, fixture, h};
use emrtd_apdu::{CommandApdu, ResponseApdu, StatusWord};
use emrtd_chipauth::CaError;
use emrtd_chipauth::ca::{
    CaCard, CaCardAction, CaParams, CaProtocol, CaPublicKey, CaSessionKeys, CaStep, CaTerminal, KeyAgreement,
    shared_secret,
};
use emrtd_chipauth::ec::{EcCurve, NamedCurve};
use emrtd_chipauth::keys::{DhGroup, DhPublicKey, EcPublicKey, PrivateKeyInfo, PublicKeyInfo};
use emrtd_crypto::CipherSuite;
use emrtd_crypto::kdf::{KdfCounter, kdf};
use emrtd_crypto::rng::FixedBytes;
use emrtd_sm::SmSession;
use zeroize::Zeroizing;

// ------------------------------------------------------------------ BSI worked example 8a

const BSI_8A_PK_PICC: &str = "04 A44EBE5451DF7AADB01E459B8C928A87746A57927C8C28A6775C97A7E1FE8D9A
    46FF4A1CC7E4D1389AEA19758E4F75C28C598FD734AEBEB135337CF95BE12E94";
const BSI_8A_SK_PICC: &str = "7984674CF3B3A524BF929CE8A67FCF22173DA0BAD595EED6DEB72D22C542FA9D";
const BSI_8A_SK_PCD: &str = "00A6A4D255C5BF7A77EC3D0553DB74F693CF044E18C98364D4977A296108AF19BD";
const BSI_8A_PK_PCD: &str = "04 5A7A377FC9CAFC03AC7FF45441A8B2909D88EAB8E6B0173847AB49B949DF3799
    A34EE57EC55268CF8B1C3EC489F8BF4CF4C68D3FD9670E89C0D5D3FFF1AAF89F";
const BSI_8A_K: &str = "791DA04273CCFE862E52DF60347E2557192E1F8D7517822CE3D306056C1CDEB4";

fn bp256_key(point: &str) -> CaPublicKey {
    CaPublicKey::Ec(EcPublicKey {
        curve: EcCurve::Named(NamedCurve::BrainpoolP256r1),
        point: h(point),
    })
}

#[test]
fn bsi_8a_ca_shared_secret_k() {
    // Terminal side: K = x(SK_PCD * PK_PICC).
    let k = shared_secret(&bp256_key(BSI_8A_PK_PICC), &h(BSI_8A_SK_PCD)).unwrap();
    assert_eq!(&k[..], &h(BSI_8A_K)[..]);
    // Card side: K = x(SK_PICC * PK_PCD).
    let card = CaCard::new(
        PrivateKeyInfo::Ec {
            curve: EcCurve::Named(NamedCurve::BrainpoolP256r1),
            d: Zeroizing::new(h(BSI_8A_SK_PICC)),
        },
        CaProtocol::from_oid(&h("04007F00070202030202")).unwrap(),
        None,
    )
    .unwrap();
    assert_eq!(card.public_key().unwrap(), bp256_key(BSI_8A_PK_PICC));
    let (k2, _) = card.agree(&h(BSI_8A_PK_PCD)).unwrap();
    assert_eq!(&k2[..], &h(BSI_8A_K)[..]);
}

#[test]
fn bsi_8a_ca_session_keys_v2_nonce_and_v1() {
    // The worked example is CA version 2: KSenc/KSmac = KDF(K || r, c) with nonce r.
    let k = h(BSI_8A_K);
    let v2 = CaSessionKeys::derive(&k, Some(&h("4287B3072A3EDC60")), CipherSuite::Aes128);
    assert_eq!(&v2.ks_enc[..], &h("94ABCD271AB7D9A5590BA52CB518B831")[..]);
    assert_eq!(&v2.ks_mac[..], &h("78B5709E7ABEDB185B424D0EE3A82499")[..]);
    // CA version 1 (Doc 9303) has no nonce: KDF(K, c).
    let v1 = CaSessionKeys::derive(&k, None, CipherSuite::Aes128);
    assert_eq!(v1.ks_enc, kdf(&k, KdfCounter::Enc, CipherSuite::Aes128));
    assert_eq!(v1.ks_mac, kdf(&k, KdfCounter::Mac, CipherSuite::Aes128));
    assert_ne!(v1.ks_enc, v2.ks_enc);
}

#[test]
fn bsi_8a_terminal_ephemeral_key_and_pending_keys() {
    // The terminal draws SK_PCD from the rng: a fixed rng with the example's key reproduces
    // PK_PCD, the MSE:Set AT / GA commands and the v1 keys of K.
    let params = CaParams::new(
        CaProtocol::from_oid(&h("04007F00070202030202")).unwrap(),
        None,
        bp256_key(BSI_8A_PK_PICC),
    )
    .unwrap();
    let mut rng = FixedBytes::new(h(BSI_8A_SK_PCD)[1..].to_vec());
    let mut t = CaTerminal::new(params, &mut rng).unwrap();
    assert_eq!(rng.exhausted_reads(), 0);
    assert_eq!(t.ephemeral_public_key(), &h(BSI_8A_PK_PCD)[..]);
    let mse = t.start().unwrap();
    assert_eq!(mse.to_bytes().unwrap(), h("002241A40C800A04007F00070202030202"));
    let CaStep::Send(ga) = t.on_response(&ResponseApdu::status(StatusWord::SUCCESS)).unwrap() else {
        panic!()
    };
    let mut expect = h("0086000045 7C43 8041");
    expect.extend(h(BSI_8A_PK_PCD));
    expect.push(0x00);
    assert_eq!(ga.to_bytes().unwrap(), expect);
    let CaStep::Pending(p) = t
        .on_response(&ResponseApdu::new(h("7C00"), StatusWord::SUCCESS))
        .unwrap()
    else {
        panic!()
    };
    let k = h(BSI_8A_K);
    assert_eq!(p.keys().ks_enc, kdf(&k, KdfCounter::Enc, CipherSuite::Aes128));
    assert_eq!(p.keys().ks_mac, kdf(&k, KdfCounter::Mac, CipherSuite::Aes128));
}

// ------------------------------------------------------------------ BSI worked example 8b

fn rfc5114_1024() -> DhGroup {
    DhGroup {
        p: h("B10B8F96A080E01DDE92DE5EAE5D54EC52C99FBCFB06A3C69A6A9DCA52D23B61
              6073E28675A23D189838EF1E2EE652C013ECB4AEA906112324975C3CD49B83BF
              ACCBDD7D90C4BD7098488E9C219A73724EFFD6FAE5644738FAA31A4FF55BCCC0
              A151AF5F0DC8B4BD45BF37DF365C1A65E68CFDA76D4DA708DF1FB2BC2E4A4371"),
        g: h("A4D1CBD5C3FD34126765A442EFB99905F8104DD258AC507FD6406CFF14266D31
              266FEA1E5C41564B777E690F5504F213160217B4B01B886A5E91547F9E2749F4
              D7FBD7D3B9A92EE1909D0D2263F80A76A6A24C087A091F531DBF0A0169B6A28A
              D662A4D18E73AFA32D779D5918D08BC8858F4DCEF97C2A24855E6EEB22B3B2E5"),
        q: Some(h("F518AA8781A8DF278ABA4E7D64B7CB9D49462353")),
    }
}

const BSI_8B_PK_PICC: &str = "1B3345F8DC04341BF8B2C97F652FA680E5D4FA4C146AE4B839431A644A79BC36
    8C4822C89CD018A57F953644BEDA679C5B532902320E83E13B80DEEF8C18AF3E
    7D493AE3F88196101B9F78EAFE4B3025EF8BFF916B2FC02D762D0838DEA29C09
    B485591C2F47F87C71F530BB358F56AF6459D86DBF85EAF9EDBD962CD364F7B8";
const BSI_8B_SK_PCD: &str = "00A2CFFD06C34AFD622EEE0FC31F093FDFDA609C67121CACF0A8F52291DE6853
    BB5C93CF76705775ECF408A74302613BEECB381447D36494C9E18951EC17252D
    D2A807AAE09FA4DC30183339013D9C9191303CACEE3C91E926A36D014A5CFA94
    950CADB37B534F32A9BF76B37980979304C5663871BD746EB9E95A47CA471B4E
    DE";
const BSI_8B_PK_PCD: &str = "A2830947A6FCAACDE2FCB88B29AB38E07C3453ABC4BCB466087E11C79F32A19E
    6EF22BE108F8DD18FE8249C960951511200DC985AA3EC0CCAD59A5F9BBCC33EE
    5F1577E20330B4DD10EB06B740277C97A189180EDE52BEE9D429F10FB77F180F
    05D6A99C499CB5E1ECEEB8E92284F66EA98479674CE73F53C567A03B0D297833";
const BSI_8B_K: &str = "2A4FC2D11490DF4773DDFA6FF705557C51F4AD4533E8D8A66A3001BFDD271DB8
    7BE3C1CAC22A05E8AF1A066DD0298E75DB928AAFDF00EB4BFB1BD12F372313C1
    CA649056517305638515D5A4FBE0AC59BDC80E8C5A5F46254D231916EA77F80A
    C58E6B63A26198EE4387F10981E8E46FFBA23790C81E679363C589587D30BBB3";

#[test]
fn bsi_8b_dh_ca_shared_secret_and_keys() {
    let chip = CaPublicKey::Dh(DhPublicKey {
        group: rfc5114_1024(),
        y: h(BSI_8B_PK_PICC),
    });
    let k = shared_secret(&chip, &h(BSI_8B_SK_PCD)).unwrap();
    assert_eq!(&k[..], &h(BSI_8B_K)[..]);
    assert_eq!(
        emrtd_chipauth::dh::public_from_private(&rfc5114_1024(), &h(BSI_8B_SK_PCD)).unwrap(),
        h(BSI_8B_PK_PCD)
    );
    let v2 = CaSessionKeys::derive(&k, Some(&h("1A1AC1AB04D96965")), CipherSuite::Aes128);
    assert_eq!(&v2.ks_enc[..], &h("E813D09DF69FFCC63763C537F828985C")[..]);
    assert_eq!(&v2.ks_mac[..], &h("066721F3EBEA787B4F1C6DCA431EC229")[..]);
    // Card side with the chip's key from the example.
    let card = CaCard::new(
        PrivateKeyInfo::Dh {
            group: rfc5114_1024(),
            x: Zeroizing::new(h("00D0E5A95ECA541DEF4FE92B9FF9920D49A454C297")),
        },
        CaProtocol::from_oid(&h("04007F00070202030102")).unwrap(),
        None,
    )
    .unwrap();
    assert_eq!(card.public_key().unwrap(), chip);
    let (k2, _) = card.agree(&h(BSI_8B_PK_PCD)).unwrap();
    assert_eq!(&k2[..], &h(BSI_8B_K)[..]);
}

// ------------------------------------------------- terminal against card under secure messaging

/// A card: the CA handler, the current session and the session it switches to.
struct Card {
    ca: CaCard,
    session: SmSession,
}

impl Card {
    fn transmit(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let plain = match self.session.unprotect_command(cmd) {
            Ok(c) => c,
            Err(e) => return ResponseApdu::status(e.status_word()),
        };
        if self.ca.accepts(&plain) {
            match self.ca.handle(&plain) {
                CaCardAction::Respond(r) => self.session.protect_response(&r).unwrap(),
                CaCardAction::RespondThenSwitch(r, new) => {
                    let out = self.session.protect_response(&r).unwrap();
                    self.session = new;
                    out
                }
            }
        } else {
            // Any other command (the confirmation SELECT): answer 9000.
            self.session
                .protect_response(&ResponseApdu::status(StatusWord::SUCCESS))
                .unwrap()
        }
    }
}

fn old_session(suite: CipherSuite) -> SmSession {
    SmSession::with_zero_ssc(suite, &vec![0x11; suite.key_len()], &vec![0x22; suite.key_len()]).unwrap()
}

/// Runs CA through both state machines; returns the confirmed session's suite or the error.
fn run_ca(params: CaParams, card: CaCard, old_suite: CipherSuite) -> Result<CipherSuite, CaError> {
    let mut term_sm = old_session(old_suite);
    let mut card = Card {
        ca: card,
        session: old_session(old_suite),
    };
    let mut t = CaTerminal::new(params, &mut det_rng("terminal"))?;
    let mut cmd = t.start()?;
    let pending = loop {
        let r = card.transmit(&term_sm.protect(&cmd)?);
        let plain = term_sm.unprotect(&r)?;
        match t.on_response(&plain)? {
            CaStep::Send(c) => cmd = c,
            CaStep::Pending(p) => break p,
        }
    };
    let mut pending = pending;
    // Confirmation: SELECT EF.COM under the new keys.
    let select = CommandApdu::new(0x00, 0xA4, 0x02, 0x0C).with_data(vec![0x01, 0x1E]);
    let protected = pending.protect(&select)?;
    let r = card.transmit(&protected);
    let (mut confirmed, plain) = pending.confirm(&r)?;
    assert_eq!(plain.sw, StatusWord::SUCCESS);
    // Both sides continue in step.
    let read = CommandApdu::new(0x00, 0xB0, 0x00, 0x00).with_ne(4);
    let r = card.transmit(&confirmed.session.protect(&read)?);
    confirmed.session.unprotect(&r)?;
    Ok(confirmed.session.suite())
}

fn ec_card(curve: NamedCurve, cipher: CipherSuite, seed: &str) -> (CaParams, CaCard) {
    let c = EcCurve::Named(curve);
    let (d, _) = c.generate(&mut det_rng(seed)).unwrap();
    let protocol = CaProtocol {
        key_agreement: KeyAgreement::Ecdh,
        cipher,
    };
    let card = CaCard::new(PrivateKeyInfo::Ec { curve: c, d }, protocol, Some(vec![1])).unwrap();
    let params = CaParams::new(protocol, Some(vec![1]), card.public_key().unwrap()).unwrap();
    (params, card)
}

fn dh_card(cipher: CipherSuite, seed: &str) -> (CaParams, CaCard) {
    let group = rfc5114_1024();
    let (x, _) = emrtd_chipauth::dh::generate(&group, &mut det_rng(seed)).unwrap();
    let protocol = CaProtocol {
        key_agreement: KeyAgreement::Dh,
        cipher,
    };
    let card = CaCard::new(PrivateKeyInfo::Dh { group, x }, protocol, None).unwrap();
    let params = CaParams::new(protocol, None, card.public_key().unwrap()).unwrap();
    (params, card)
}

#[test]
fn round_trip_ecdh_brainpool_p256_aes128() {
    let (p, c) = ec_card(NamedCurve::BrainpoolP256r1, CipherSuite::Aes128, "bp256");
    assert_eq!(run_ca(p, c, CipherSuite::Aes128).unwrap(), CipherSuite::Aes128);
}

#[test]
fn round_trip_ecdh_p256_3des() {
    let (p, c) = ec_card(NamedCurve::P256, CipherSuite::Tdes, "p256");
    assert_eq!(run_ca(p, c, CipherSuite::Tdes).unwrap(), CipherSuite::Tdes);
}

#[test]
fn round_trip_ecdh_p384_aes256_and_p521_aes192_and_bp384_aes128() {
    let (p, c) = ec_card(NamedCurve::P384, CipherSuite::Aes256, "p384");
    assert_eq!(run_ca(p, c, CipherSuite::Tdes).unwrap(), CipherSuite::Aes256);
    let (p, c) = ec_card(NamedCurve::P521, CipherSuite::Aes192, "p521");
    assert_eq!(run_ca(p, c, CipherSuite::Aes128).unwrap(), CipherSuite::Aes192);
    let (p, c) = ec_card(NamedCurve::BrainpoolP384r1, CipherSuite::Aes128, "bp384");
    assert_eq!(run_ca(p, c, CipherSuite::Aes128).unwrap(), CipherSuite::Aes128);
}

#[test]
fn round_trip_dh_3des_and_aes() {
    let (p, c) = dh_card(CipherSuite::Tdes, "dh-3des");
    assert_eq!(run_ca(p, c, CipherSuite::Tdes).unwrap(), CipherSuite::Tdes);
    let (p, c) = dh_card(CipherSuite::Aes128, "dh-aes");
    assert_eq!(run_ca(p, c, CipherSuite::Aes128).unwrap(), CipherSuite::Aes128);
}

// ------------------------------------------- BSI TR-03105 data set: brainpoolP224r1 CA key

#[test]
fn bsi_tr03105_dg14_ca_key_round_trip_and_clone() {
    let dg14 = fixture("bsi-tr03105-mustermann/Datagroup14.bin");
    let params = CaParams::from_dg14(&dg14, None).unwrap();
    // DG14: ChipAuthenticationInfo id-CA-ECDH-3DES-CBC-CBC, explicit brainpoolP224r1 key.
    assert_eq!(
        params.protocol,
        CaProtocol {
            key_agreement: KeyAgreement::Ecdh,
            cipher: CipherSuite::Tdes
        }
    );
    assert!(!params.inferred);
    let CaPublicKey::Ec(key) = &params.public_key else {
        panic!()
    };
    assert!(matches!(key.curve, EcCurve::Explicit(_)));
    assert_eq!(key.curve.field_len(), 28);
    let sk = PrivateKeyInfo::from_pkcs8(&fixture("bsi-tr03105-mustermann/DG14_sk.pkcs8")).unwrap();
    let PublicKeyInfo::Ec(from_sk) = sk.public_key().unwrap() else {
        panic!()
    };
    assert_eq!(&from_sk, key, "DG14 holds the public half of DG14_sk");
    let card = CaCard::new(sk, params.protocol, params.key_id.clone()).unwrap();
    assert_eq!(
        run_ca(params.clone(), card, CipherSuite::Tdes).unwrap(),
        CipherSuite::Tdes
    );

    // A clone: same DG14, another private key on the same curve.
    let (d, _) = key.curve.generate(&mut det_rng("clone")).unwrap();
    let clone = CaCard::new(
        PrivateKeyInfo::Ec {
            curve: key.curve.clone(),
            d,
        },
        params.protocol,
        None,
    )
    .unwrap();
    let err = run_ca(params, clone, CipherSuite::Tdes).unwrap_err();
    assert!(matches!(err, CaError::ConfirmFailed(_)), "{err:?}");
}

#[test]
fn clone_fails_for_every_kind() {
    for (params, _) in [
        ec_card(NamedCurve::BrainpoolP256r1, CipherSuite::Aes128, "genuine"),
        ec_card(NamedCurve::P256, CipherSuite::Tdes, "genuine"),
    ] {
        let CaPublicKey::Ec(k) = &params.public_key else {
            panic!()
        };
        let (d, _) = k.curve.generate(&mut det_rng("clone")).unwrap();
        let clone = CaCard::new(
            PrivateKeyInfo::Ec {
                curve: k.curve.clone(),
                d,
            },
            params.protocol,
            params.key_id.clone(),
        )
        .unwrap();
        let err = run_ca(params.clone(), clone, CipherSuite::Aes128).unwrap_err();
        assert!(matches!(err, CaError::ConfirmFailed(_)), "{err:?}");
    }
    let (params, _) = dh_card(CipherSuite::Aes128, "genuine");
    let (_, clone) = dh_card(CipherSuite::Aes128, "clone");
    let err = run_ca(params, clone, CipherSuite::Aes128).unwrap_err();
    assert!(matches!(err, CaError::ConfirmFailed(_)), "{err:?}");
}

// ------------------------------------------------------------------ DG14 key selection

#[test]
fn real_dg14_files_select_a_key() {
    // AT: CA-ECDH-AES-128 with explicit brainpoolP256r1 parameters.
    let at = CaParams::from_dg14(&fixture("real-dg14-cardaccess/AT_DG14.bin"), None).unwrap();
    assert_eq!(at.protocol.cipher, CipherSuite::Aes128);
    let CaPublicKey::Ec(k) = &at.public_key else { panic!() };
    assert_eq!(k.curve, EcCurve::Named(NamedCurve::BrainpoolP256r1));
    // DE: key id C3 (INTEGER 00C3).
    let de = CaParams::from_dg14(&fixture("real-dg14-cardaccess/DE_DG14.bin"), None).unwrap();
    assert_eq!(de.protocol.cipher, CipherSuite::Aes128);
    let de2 = CaParams::from_dg14(&fixture("real-dg14-cardaccess/DE_DG14.bin"), Some(&[0xC3])).unwrap();
    assert_eq!(de, de2);
    assert!(matches!(
        CaParams::from_dg14(&fixture("real-dg14-cardaccess/DE_DG14.bin"), Some(&[0x07])),
        Err(CaError::NoMatchingKey(_))
    ));
    // FR: a CA public key (explicit P-256) without ChipAuthenticationInfo: 3DES is inferred.
    let fr = CaParams::from_dg14(&fixture("real-dg14-cardaccess/FR_DG14.bin"), None).unwrap();
    assert!(fr.inferred);
    assert_eq!(fr.protocol.cipher, CipherSuite::Tdes);
    let CaPublicKey::Ec(k) = &fr.public_key else { panic!() };
    assert_eq!(k.curve, EcCurve::Named(NamedCurve::P256));
    // MY: CA-ECDH-3DES, explicit brainpoolP256r1.
    let my = CaParams::from_dg14(&fixture("real-dg14-cardaccess/MY_DG14.bin"), None).unwrap();
    assert_eq!(my.protocol.cipher, CipherSuite::Tdes);
    assert!(!my.inferred);
}

#[test]
fn mse_set_kat_with_key_reference() {
    let (params, _) = ec_card(NamedCurve::P256, CipherSuite::Tdes, "kat");
    let mut t = CaTerminal::new(params, &mut det_rng("t")).unwrap();
    let cmd = t.start().unwrap();
    assert_eq!(cmd.header(), [0x00, 0x22, 0x41, 0xA6]);
    assert_eq!(cmd.data[0], 0x91);
    assert_eq!(cmd.data[1], 65);
    assert_eq!(&cmd.data[2..67], t.ephemeral_public_key());
    assert_eq!(&cmd.data[67..], &[0x84, 0x01, 0x01]);
    assert_eq!(cmd.ne, None);
}

#[test]
fn protocol_and_key_mismatch_is_refused() {
    let (params, _) = dh_card(CipherSuite::Tdes, "x");
    let err = CaParams::new(
        CaProtocol {
            key_agreement: KeyAgreement::Ecdh,
            cipher: CipherSuite::Tdes,
        },
        None,
        params.public_key,
    )
    .unwrap_err();
    assert!(matches!(err, CaError::ProtocolKeyMismatch { .. }));
    // Bare id-CA-ECDH means 3DES; unknown suffixes are refused.
    assert_eq!(
        CaProtocol::from_oid(&h("04007F000702020302")).unwrap().cipher,
        CipherSuite::Tdes
    );
    assert_eq!(CaProtocol::from_oid(&h("04007F00070202030205")), None);
    assert_eq!(
        CaProtocol::from_oid(&h("04007F00070202030104")).unwrap().oid(),
        h("04007F00070202030104")
    );
}

// ------------------------------------------------------------------------ negative cases

fn started(cipher: CipherSuite) -> CaTerminal {
    let (params, _) = ec_card(NamedCurve::BrainpoolP256r1, cipher, "neg");
    let mut t = CaTerminal::new(params, &mut det_rng("t")).unwrap();
    t.start().unwrap();
    t
}

#[test]
fn chip_errors_and_malformed_responses_are_typed_errors() {
    let mut t = started(CipherSuite::Tdes);
    let err = t
        .on_response(&ResponseApdu::status(StatusWord::INCORRECT_DATA))
        .unwrap_err();
    assert!(matches!(
        err,
        CaError::ChipRejected {
            step: "MSE:Set KAT",
            ..
        }
    ));
    assert!(matches!(
        t.on_response(&ResponseApdu::status(StatusWord::SUCCESS)),
        Err(CaError::WrongState(_))
    ));

    let mut t = started(CipherSuite::Tdes);
    let err = t
        .on_response(&ResponseApdu::new(vec![1, 2], StatusWord::SUCCESS))
        .unwrap_err();
    assert!(matches!(err, CaError::MalformedResponse { .. }));

    for bad in [h("7C0180"), h("7D00"), h("7C"), h("FFFF"), h("7C028100")] {
        let mut t = started(CipherSuite::Aes128);
        let CaStep::Send(_) = t.on_response(&ResponseApdu::status(StatusWord::SUCCESS)).unwrap() else {
            panic!()
        };
        let err = t
            .on_response(&ResponseApdu::new(bad.clone(), StatusWord::SUCCESS))
            .unwrap_err();
        assert!(matches!(err, CaError::MalformedResponse { .. }), "{bad:02X?}: {err:?}");
    }
    let mut t = started(CipherSuite::Aes128);
    let _ = t.on_response(&ResponseApdu::status(StatusWord::SUCCESS)).unwrap();
    let err = t
        .on_response(&ResponseApdu::status(StatusWord::new(0x63, 0x00)))
        .unwrap_err();
    assert!(matches!(
        err,
        CaError::ChipRejected {
            step: "GENERAL AUTHENTICATE",
            ..
        }
    ));

    // Response before start.
    let (params, _) = ec_card(NamedCurve::P256, CipherSuite::Aes128, "x");
    let mut t = CaTerminal::new(params, &mut det_rng("t")).unwrap();
    assert!(matches!(
        t.on_response(&ResponseApdu::status(StatusWord::SUCCESS)),
        Err(CaError::WrongState(_))
    ));
}

#[test]
fn confirmation_must_carry_a_mac_under_new_keys() {
    let mut t = started(CipherSuite::Tdes);
    let CaStep::Pending(mut p) = t.on_response(&ResponseApdu::status(StatusWord::SUCCESS)).unwrap() else {
        panic!()
    };
    let _ = p
        .protect(&CommandApdu::new(0, 0xA4, 2, 0x0C).with_data(vec![1, 0x1E]))
        .unwrap();
    // A plain 9000, an SM error, garbage, and a response MACed with other keys all fail.
    for resp in [
        ResponseApdu::status(StatusWord::SUCCESS),
        ResponseApdu::status(StatusWord::SM_DATA_OBJECTS_INCORRECT),
        ResponseApdu::new(h("990290008E080102030405060708"), StatusWord::SUCCESS),
        ResponseApdu::new(h("DEADBEEF"), StatusWord::SUCCESS),
    ] {
        let mut t = started(CipherSuite::Tdes);
        let CaStep::Pending(mut p) = t.on_response(&ResponseApdu::status(StatusWord::SUCCESS)).unwrap() else {
            panic!()
        };
        let _ = p
            .protect(&CommandApdu::new(0, 0xA4, 2, 0x0C).with_data(vec![1, 0x1E]))
            .unwrap();
        let err = p.confirm(&resp).unwrap_err();
        assert!(matches!(err, CaError::ConfirmFailed(_)), "{err:?}");
    }
}

#[test]
fn card_side_rejects_bad_commands() {
    let (_, mut card) = ec_card(NamedCurve::P256, CipherSuite::Aes128, "card");
    let status = |a: CaCardAction| match a {
        CaCardAction::Respond(r) => r.sw,
        CaCardAction::RespondThenSwitch(..) => panic!("switched"),
    };
    // GA before MSE:Set AT.
    let ga = CommandApdu::new(0, 0x86, 0, 0).with_data(h("7C0380015A")).with_ne(256);
    assert_eq!(status(card.handle(&ga)), StatusWord::CONDITIONS_NOT_SATISFIED);
    // MSE:Set AT with another protocol OID, unknown key reference.
    let wrong_oid = CommandApdu::new(0, 0x22, 0x41, 0xA4).with_data(h("800A04007F00070202030204"));
    assert_eq!(status(card.handle(&wrong_oid)), StatusWord::INCORRECT_DATA);
    let wrong_ref = CommandApdu::new(0, 0x22, 0x41, 0xA4).with_data(h("800A04007F00070202030202840105"));
    assert_eq!(status(card.handle(&wrong_ref)), StatusWord::REFERENCED_DATA_NOT_FOUND);
    // Set AT, then a GA with a point not on the curve / garbage.
    let at = CommandApdu::new(0, 0x22, 0x41, 0xA4).with_data(h("800A04007F00070202030202840101"));
    assert_eq!(status(card.handle(&at)), StatusWord::SUCCESS);
    let mut bad_point = vec![0x04];
    bad_point.extend([0x01; 64]);
    let mut data = vec![0x7C, 0x43, 0x80, 0x41];
    data.extend(&bad_point);
    let ga = CommandApdu::new(0, 0x86, 0, 0).with_data(data).with_ne(256);
    assert_eq!(status(card.handle(&ga)), StatusWord::INCORRECT_DATA);
    assert_eq!(status(card.handle(&at)), StatusWord::SUCCESS);
    assert_eq!(
        status(card.handle(&CommandApdu::new(0, 0x86, 0, 0).with_data(h("7C00")))),
        StatusWord::INCORRECT_DATA
    );
    // MSE:Set KAT on an AES card.
    let kat = CommandApdu::new(0, 0x22, 0x41, 0xA6).with_data(h("9101AA"));
    assert_eq!(status(card.handle(&kat)), StatusWord::CONDITIONS_NOT_SATISFIED);
    // An RSA key cannot be a CA key.
    let rsa = PrivateKeyInfo::from_pkcs8(&fixture("bsi-tr03105-mustermann/DG15_sk.pkcs8")).unwrap();
    assert!(CaCard::new(rsa, CaProtocol::inferred(KeyAgreement::Ecdh), None).is_err());
}

#[test]
fn invalid_chip_keys_fail_before_any_command() {
    // A point not on the curve in DG14.
    let mut bad = vec![0x04];
    bad.extend([0x02; 64]);
    let params = CaParams::new(
        CaProtocol::inferred(KeyAgreement::Ecdh),
        None,
        CaPublicKey::Ec(EcPublicKey {
            curve: EcCurve::Named(NamedCurve::P256),
            point: bad,
        }),
    )
    .unwrap();
    assert!(matches!(
        CaTerminal::new(params, &mut det_rng("t")),
        Err(CaError::Key(_))
    ));
    // A DH value out of range.
    let params = CaParams::new(
        CaProtocol::inferred(KeyAgreement::Dh),
        None,
        CaPublicKey::Dh(DhPublicKey {
            group: rfc5114_1024(),
            y: vec![1],
        }),
    )
    .unwrap();
    assert!(matches!(
        CaTerminal::new(params, &mut det_rng("t")),
        Err(CaError::Key(_))
    ));
}

// ---------------------------------------------------- DG14 selection rules (hand-built DG14)

fn tlv(tag: u32, parts: &[&[u8]]) -> Vec<u8> {
    emrtd_apdu::tlv::encode_constructed(emrtd_apdu::Tag(tag), parts)
}

fn p256_spki(seed: &str) -> Vec<u8> {
    let (_, pk) = EcCurve::Named(NamedCurve::P256).generate(&mut det_rng(seed)).unwrap();
    let mut bits = vec![0u8];
    bits.extend(pk);
    tlv(
        0x30,
        &[&h("301306072A8648CE3D020106082A8648CE3D030107"), &tlv(0x03, &[&bits])],
    )
}

fn ca_info(cipher_byte: u8, key_id: Option<u8>) -> Vec<u8> {
    let oid = tlv(0x06, &[&h("04007F000702020302"), &[cipher_byte]]);
    let version = h("020101");
    match key_id {
        Some(k) => tlv(0x30, &[&oid, &version, &[0x02, 0x01, k]]),
        None => tlv(0x30, &[&oid, &version]),
    }
}

fn pk_info(spki: &[u8], key_id: Option<u8>) -> Vec<u8> {
    let oid = h("060904007F0007020201 02");
    match key_id {
        Some(k) => tlv(0x30, &[&oid, spki, &[0x02, 0x01, k]]),
        None => tlv(0x30, &[&oid, spki]),
    }
}

fn dg14(infos: &[&[u8]]) -> Vec<u8> {
    tlv(0x6E, &[&tlv(0x31, infos)])
}

#[test]
fn dg14_selection_rules() {
    let (k1, k2) = (p256_spki("k1"), p256_spki("k2"));
    // Two keys with ids 1 and 2, CA infos AES-128 for 1 and AES-256 for 2.
    let two = dg14(&[
        &pk_info(&k1, Some(1)),
        &pk_info(&k2, Some(2)),
        &ca_info(2, Some(1)),
        &ca_info(4, Some(2)),
    ]);
    assert!(matches!(CaParams::from_dg14(&two, None), Err(CaError::AmbiguousKey)));
    let p1 = CaParams::from_dg14(&two, Some(&[1])).unwrap();
    let p2 = CaParams::from_dg14(&two, Some(&[0, 2])).unwrap();
    assert_eq!(p1.protocol.cipher, CipherSuite::Aes128);
    assert_eq!(p2.protocol.cipher, CipherSuite::Aes256);
    assert_ne!(p1.public_key, p2.public_key);
    assert_eq!(p2.key_id, Some(vec![2]));
    assert!(matches!(
        CaParams::from_dg14(&two, Some(&[3])),
        Err(CaError::NoMatchingKey(_))
    ));
    // Two keys, only key 2 has a CA info: without a key id, key 2 is chosen.
    let one_info = dg14(&[&pk_info(&k1, Some(1)), &pk_info(&k2, Some(2)), &ca_info(3, Some(2))]);
    let p = CaParams::from_dg14(&one_info, None).unwrap();
    assert_eq!(p.key_id, Some(vec![2]));
    assert_eq!(p.protocol.cipher, CipherSuite::Aes192);
    // Key 1 chosen explicitly has no CA info: 3DES inferred.
    let p = CaParams::from_dg14(&one_info, Some(&[1])).unwrap();
    assert!(p.inferred);
    assert_eq!(p.protocol.cipher, CipherSuite::Tdes);
    // A single key with a keyId and an info without: paired.
    let single = dg14(&[&pk_info(&k1, Some(9)), &ca_info(2, None)]);
    let p = CaParams::from_dg14(&single, None).unwrap();
    assert!(!p.inferred);
    assert_eq!(p.protocol.cipher, CipherSuite::Aes128);
    // No CA key at all.
    let none = dg14(&[&ca_info(2, None)]);
    assert!(matches!(
        CaParams::from_dg14(&none, None),
        Err(CaError::NoMatchingKey(None))
    ));
    // An id-PK-DH info holding an EC key.
    let wrong = tlv(0x30, &[&h("060904007F00070202010 1"), &k1]);
    assert!(matches!(
        CaParams::from_dg14(&dg14(&[&wrong]), None),
        Err(CaError::ProtocolKeyMismatch { .. })
    ));
    // The MSE:Set AT of key 2 carries its key reference.
    let mut t = CaTerminal::new(p2, &mut det_rng("t")).unwrap();
    assert_eq!(
        t.start().unwrap().to_bytes().unwrap(),
        h("002241A40F800A04007F00070202030204840102")
    );
}

#[test]
fn doc9303_sample_dg14_pkcs3_dh_key() {
    // Doc 9303 sample DG14: id-PK-DH with PKCS#3 dhKeyAgreement parameters (p, g,
    // privateValueLength 1017), id-CA-DH-3DES-CBC-CBC.
    let params = CaParams::from_dg14(
        &fixture("cardaccess-samples/doc9303_spec_sample_encoded_dg14.bin"),
        None,
    )
    .unwrap();
    assert_eq!(
        params.protocol,
        CaProtocol {
            key_agreement: KeyAgreement::Dh,
            cipher: CipherSuite::Tdes
        }
    );
    let CaPublicKey::Dh(k) = &params.public_key else {
        panic!()
    };
    assert_eq!(k.group.p_len(), 128);
    assert_eq!(k.group.q, None, "privateValueLength is not a subgroup order");
    let mut t = CaTerminal::new(params, &mut det_rng("t")).unwrap();
    let cmd = t.start().unwrap();
    assert_eq!(cmd.header(), [0x00, 0x22, 0x41, 0xA6]);
    assert_eq!(&cmd.data[..3], &[0x91, 0x81, 0x80]);
    assert_eq!(cmd.data.len(), 3 + 128);
}
