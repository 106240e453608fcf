//! Active Authentication: ISO/IEC 9796-2 vectors (ICAO Doc 9303-11 App. F, pymrtd real
//! passport, Bouncy Castle, gmrtd decode vectors and the real RSA-1792 transcript under BAC
//! secure messaging), the BSI TR-03105 data set's AA key, ECDSA round trips, Le retries and
//! negative cases.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{det_rng, fixture, h};
use emrtd_apdu::{CommandApdu, ResponseApdu, StatusWord};
use emrtd_chipauth::aa::{
    AaEvidence, AaPublicKey, AaSignatureScheme, AaStep, AaTerminal, EcdsaFormat, card_internal_authenticate,
    der_encode_signature, ecdsa_hash_from_oid, sign_challenge, verify_signature,
};
use emrtd_chipauth::ec::{EcCurve, NamedCurve};
use emrtd_chipauth::iso9796::{self, HashAlgorithm, Trailer};
use emrtd_chipauth::keys::{PrivateKeyInfo, PublicKeyInfo, parse_dg15};
use emrtd_chipauth::{AaError, Iso9796Error};
use emrtd_crypto::CipherSuite;
use emrtd_crypto::rng::FixedBytes;
use emrtd_sm::SmSession;

fn rsa_key(info: PublicKeyInfo) -> AaPublicKey {
    AaPublicKey::new(info, None).unwrap()
}

// ---------------------------------------------------------------- ICAO Doc 9303-11 Appendix F

const APP_F_M1: &str = "9D2784A67F8E7C659973EA1AEA25D95B6C8F91E5002F369F0FBDCE8A3CEC1991
  B543F1696546C5524CF23A5303CD6C98599F40B79F377B5F3A1406B3B4D8F967
  84D23AA88DB7E1032A405E69325FA91A6E86F5C71AEA978264C4A207446DAD4E
  7292E2DCDA3024B47DA8";
const APP_F_F: &str = "6A9D2784A67F8E7C659973EA1AEA25D95B6C8F91E5002F369F0FBDCE8A3CEC19
  91B543F1696546C5524CF23A5303CD6C98599F40B79F377B5F3A1406B3B4D8F9
  6784D23AA88DB7E1032A405E69325FA91A6E86F5C71AEA978264C4A207446DAD
  4E7292E2DCDA3024B47DA8C063AA1E6D22FBD976AB0FE73D94D2D9C6D88127BC";

#[test]
fn app_f_internal_authenticate_command() {
    // C-APDU 0088000008 F173589974BF40C6 00 for RSA-1024.
    let key = parse_dg15(&fixture("bsi-tr03105-mustermann/Datagroup15.bin")).unwrap();
    let mut t = AaTerminal::with_challenge(rsa_key(key), h("F173589974BF40C6").try_into().unwrap());
    let cmd = t.command().unwrap();
    assert_eq!(cmd.to_bytes().unwrap(), h("0088000008F173589974BF40C600"));
}

#[test]
fn app_f_message_representative_encoding() {
    // k = 1024: capacity of M1 = 128 - 1 - 20 - 1 = 106 bytes (LM1 = 848 bits).
    assert_eq!(iso9796::m1_capacity(128, Trailer::Implicit), Some(106));
    let f = iso9796::encode_representative(128, Trailer::Implicit, &h(APP_F_M1), &h("F173589974BF40C6")).unwrap();
    assert_eq!(f, h(APP_F_F));
}

#[test]
fn app_f_message_representative_decoding() {
    let rec = iso9796::decode_representative(&h(APP_F_F)).unwrap();
    assert_eq!(rec.m1, h(APP_F_M1));
    assert_eq!(rec.digest, h("C063AA1E6D22FBD976AB0FE73D94D2D9C6D88127"));
    assert_eq!(rec.trailer, Trailer::Implicit);
    assert!(rec.partial_recovery);
    rec.check(&h("F173589974BF40C6")).unwrap();
    assert_eq!(rec.check(&h("F173589974BF40C7")), Err(Iso9796Error::DigestMismatch));
}

// ------------------------------------------------ pymrtd real passport (RSA-1024, SHA-1, BC)

const PYMRTD_DG15: &str = "6F81A230819F300D06092A864886F70D010101050003818D0030818902818100BD8620D45693E1CD8678639F22E9553F09E3AFD87BD26000113CE2798B7A02A2E0AB6B7525D09072109D938D6708167E8FAFAF83F17BFBA36CECCE26058C7ED9AE29516755B19F78CE0E73DA02340B117B8AB2ECA007F1390E93E896016335EB5C1E330B961C03E253D17874F7ABEE8D4962C49FFE578D46954FF23B26F5E5550203010001";
const PYMRTD_SIGS: [(&str, &str); 4] = [
    (
        "47E4EE7F211F7326",
        "8AECE4E0AB1A6B9E06B31ACBA51AE316D0B7B48E2F5FE13E575060F6B9DC27A2F9D03DCF67A141F466EEC753879106BE0992F46F5EAAD075EB1886D2ACE90D60C2EDA69880780CE4FA36EF27AB01C47527BD23B178EC8F213307281572C219487FC11B2C3D9C144DC98D96D1A79A7478449D692D3D14E8C044F81B3ADF0047E0",
    ),
    (
        "5DD17658F6E21C13",
        "97251259E9EB453A8DC2D9CD85D5A49D2E83F31D6465CB1FBD09C5E7800D4F0FB9FF7312343CD3955CA3BE6768AD7938F3D36B0C9E2205923786949B5F48FBF1C94D01B5BC9DA88C8293E118F87E14E4CC409D52AA7ED266E20248AB3C04949838540DEB24588436607EA620B4825D002C5FAB4F07B618D72C0A9EC247653FE7",
    ),
    (
        "18BD6C81F37598E2",
        "12C0972DFE9E1DDB42B46130D64339E0845578D85E5F0ED7C9E12036AE0C3D417BBAAA6CA5579E782DDEADA825E432C2AE9593B8DB5806327E22B18CD0AB86353C314925A01390806A1D6E8DDE2CD0D82D9671457139241E93BC308E5573C335D14EF6182A5171A443A82A2568D6B1373A1F227377C584ABA7B1E8B1F47E393F",
    ),
    (
        "0A2756299542EFCF",
        "0854CF7B69FB54286F97FC8B396722E21156DFEEC38CF5C63035B09A59C4EA7FCA79865D5EE166548AAE5AE1F629A57459B46F5D1D1E4EFE9369C0075903D3CA282D6B2CF5843E62CE53BEA33E3D6AA7A48147CC38C9B534437FD0DCD0F0C787BE74061DFA844435253D651E7986BA47F49FA49D7041BD1FE72B5E5D09221FD1",
    ),
];

#[test]
fn pymrtd_real_passport_signatures_verify() {
    let key = rsa_key(parse_dg15(&h(PYMRTD_DG15)).unwrap());
    for (nonce, sig) in PYMRTD_SIGS {
        let ev = verify_signature(&key, &h(nonce), &h(sig)).unwrap();
        match ev {
            AaEvidence::Rsa { m1, trailer } => {
                assert_eq!(trailer, Trailer::Implicit);
                assert_eq!(m1.len(), 106);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn pymrtd_signature_with_other_nonce_fails() {
    let key = rsa_key(parse_dg15(&h(PYMRTD_DG15)).unwrap());
    let (_, sig) = PYMRTD_SIGS[0];
    let (other_nonce, _) = PYMRTD_SIGS[1];
    assert_eq!(
        verify_signature(&key, &h(other_nonce), &h(sig)),
        Err(AaError::Iso9796(Iso9796Error::DigestMismatch))
    );
}

#[test]
fn pymrtd_corrupted_signature_fails_typed() {
    let key = rsa_key(parse_dg15(&h(PYMRTD_DG15)).unwrap());
    let (nonce, sig) = PYMRTD_SIGS[2];
    let mut s = h(sig);
    s[60] ^= 0x01;
    let err = verify_signature(&key, &h(nonce), &s).unwrap_err();
    assert!(matches!(err, AaError::Iso9796(_)), "{err:?}");
}

// ------------------------------------------------------------ Bouncy Castle ISO9796Test vector

#[test]
fn bouncy_castle_iso9796_vector_recovers_m1() {
    let spki = h(
        "30819f300d06092a864886f70d010101050003818d0030818902818100CDCBDABBF93BE8E8294E32B055256BBD0397735189BF75816341BB0D488D05D627991221DF7D59835C76A4BB4808ADEEB779E7794504E956ADC2A661B46904CDC71337DD29DDDD454124EF79CFDD7BC2C21952573CEFBA485CC38C6BD2428809B5A31A898A6B5648CAA4ED678D9743B589134B7187478996300EDBA16271A8610203010001",
    );
    let sig = h(
        "482E20D1EDDED34359C38F5E7C01203F9D6B2641CDCA5C404D49ADAEDE034C7481D781D043722587761C90468DE69C6585A1E8B9C322F90E1B580EEDAB3F6007D0C366CF92B4DB8B41C8314929DCE2BE889C0129123484D2FD3D12763D2EBFD12AC8E51D7061AFCA1A53DEDEC7B9A617472A78C952CCC72467AE008E5F132994",
    );
    let PublicKeyInfo::Rsa(key) = PublicKeyInfo::from_spki(&spki).unwrap() else {
        panic!("not RSA")
    };
    let rec = iso9796::verify(&key, &sig, &h("0000000000000000")).unwrap();
    assert_eq!(
        rec.m1,
        h(
            "539bb29260e7bc226c8798b01af2caaadc3675e26065e1e3856615894d5baef7d97634278d6dd609cf9091b68b248cc2f817ccc2e98ad7efa3b730ee97afc20ad5c00e24f8a49b89cdb05613b5ce2094cc21c9afb84a23c771be5ca500e8fb5d75f40d93cab6ee019569"
        )
    );
    assert_eq!(rec.trailer.hash(), HashAlgorithm::Sha1);
}

// ------------------------------------------------------- gmrtd TestDecodeF (SHA-1 .. SHA-512)

#[test]
fn gmrtd_decode_vectors_all_hashes() {
    let m1 = h("1234567890ABCDEF1234567890ABCDEF11223344");
    let rnd = h("0102030405060708");
    let cases = [
        (
            "6A1234567890ABCDEF1234567890ABCDEF11223344E9B287952A913CC5B60FF74ECFC87E40E81563B1BC",
            Trailer::Implicit,
            "E9B287952A913CC5B60FF74ECFC87E40E81563B1",
        ),
        (
            "6A1234567890ABCDEF1234567890ABCDEF11223344AEFC05E88F48EB88D367BA3DACB7D6A8543EC02BD315E47DDBE2045D38CC",
            Trailer::Explicit(HashAlgorithm::Sha224),
            "AEFC05E88F48EB88D367BA3DACB7D6A8543EC02BD315E47DDBE2045D",
        ),
        (
            "6A1234567890ABCDEF1234567890ABCDEF11223344783980D44FD3A80F0E4210EB9C73EA399932062D465438F8E1FF13377DE8308934CC",
            Trailer::Explicit(HashAlgorithm::Sha256),
            "783980D44FD3A80F0E4210EB9C73EA399932062D465438F8E1FF13377DE83089",
        ),
        (
            "6A1234567890ABCDEF1234567890ABCDEF112233448E0873B0BAF595A777B497779981BD94DDA3A81FD61CF2D526AB490F2D6CBCECC6EAB5804DF4E0A70169D4D0D6C07E7536CC",
            Trailer::Explicit(HashAlgorithm::Sha384),
            "8E0873B0BAF595A777B497779981BD94DDA3A81FD61CF2D526AB490F2D6CBCECC6EAB5804DF4E0A70169D4D0D6C07E75",
        ),
        (
            "6A1234567890ABCDEF1234567890ABCDEF11223344968304E09F0C0EC86BE4ADE4B82D97D04283E3652B61193856C9EDE1DAC8962B3DA9580FD77E9F9EF18A24C517D8D3B05F4EEB177E990AE1E80895C8BB28F51635CC",
            Trailer::Explicit(HashAlgorithm::Sha512),
            "968304E09F0C0EC86BE4ADE4B82D97D04283E3652B61193856C9EDE1DAC8962B3DA9580FD77E9F9EF18A24C517D8D3B05F4EEB177E990AE1E80895C8BB28F516",
        ),
    ];
    for (f, trailer, d) in cases {
        let rec = iso9796::decode_representative(&h(f)).unwrap();
        assert_eq!(rec.m1, m1);
        assert_eq!(rec.trailer, trailer);
        assert_eq!(rec.digest, h(d));
        rec.check(&rnd).unwrap();
        // And the encoder produces the same representative.
        let k = h(f).len();
        assert_eq!(iso9796::encode_representative(k, trailer, &m1, &rnd).unwrap(), h(f));
    }
}

#[test]
fn bad_trailers_and_headers_are_typed_errors() {
    let good = h(APP_F_F);
    let mut bad = good.clone();
    *bad.last_mut().unwrap() = 0xBD;
    assert_eq!(
        iso9796::decode_representative(&bad),
        Err(Iso9796Error::BadTrailer(0xBD))
    );
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 1] = 0xCC;
    bad[n - 2] = 0x37; // no hash has id 37
    assert_eq!(
        iso9796::decode_representative(&bad),
        Err(Iso9796Error::UnknownHashId(0x37))
    );
    let mut bad = good.clone();
    bad[0] = 0x2A;
    assert_eq!(iso9796::decode_representative(&bad), Err(Iso9796Error::BadHeader));
    let mut bad = good.clone();
    bad[0] = 0x65; // padding nibble neither A nor B
    assert_eq!(iso9796::decode_representative(&bad), Err(Iso9796Error::BadPadding));
    assert_eq!(iso9796::decode_representative(&[]), Err(Iso9796Error::BadHeader));
    assert_eq!(
        iso9796::decode_representative(&[0x6A, 0xBC]),
        Err(Iso9796Error::TooShort)
    );
    // Short message, full padding "4B BB BA": M1 follows the A nibble.
    let mut f = vec![0x4B, 0xBB, 0xBA, 0x01, 0x02];
    f.extend(HashAlgorithm::Sha1.digest(&[&[1, 2], &[9]]));
    f.push(0xBC);
    let rec = iso9796::decode_representative(&f).unwrap();
    assert_eq!(rec.m1, vec![1, 2]);
    assert!(!rec.partial_recovery);
    rec.check(&[9]).unwrap();
}

// ------------------------------- gmrtd real RSA-1792 transcript (SHA-256, 34CC) under BAC SM

#[test]
fn real_rsa1792_internal_authenticate_under_bac_sm() {
    let dg15 = fixture("real-dg14-cardaccess/AA_RSA1792_DG15.bin");
    let key = rsa_key(parse_dg15(&dg15).unwrap());
    let mut rng = FixedBytes::new(h("96302B0F3D7E7864"));
    let mut t = AaTerminal::new(key, &mut rng);
    assert_eq!(t.challenge(), &h("96302B0F3D7E7864")[..]);
    let cmd = t.command().unwrap();
    let mut sm = SmSession::new(
        CipherSuite::Tdes,
        &h("B99D546108EAA251570876B6D3456DCE"),
        &h("E3857CA24946251C151C540E13F2CD51"),
        &h("00000000000000CC"),
    )
    .unwrap();
    let protected = sm.protect(&cmd).unwrap();
    assert_eq!(
        protected.to_bytes().unwrap(),
        h("0C88000020871101ED7F8CB47A4EEA086324A7F9DD7427809701008E0897F54BAE49AA71F800")
    );
    let r_apdu = ResponseApdu::parse(&h("8781E901D04CA80F527DF94F4A430D3D6E6CB6C2AF4C6756C068A93132D147FA27833125304132981B8BD8009448E89F259EEC8552B54285CEF9D8F1B7FB31B9F279221C7E925F4951811F3FE2E01D76E68DBC7CDE9C873C5F61862F3C5469792A72F92C8943B890436F5E9FEAEAD9F2A361FCD7A615493D1B3519865F32EE9A125886588EB21FEE0E709353D0731139FDC958D6B2127FAD6947B438998B526819803F70F78614CD42F4A6619C6AF95DFD2AB09BEDF71E707ABC39A250AEE68006D522AD37D159674984A07D11C001022C853AEB7ACDB059EDE5721A3B9F20441BDA7E242EE8DF1369D25316990290008E08FD2493147866F0ED9000")).unwrap();
    let plain = sm.unprotect(&r_apdu).unwrap();
    assert_eq!(sm.ssc(), &h("00000000000000CE")[..]);
    let AaStep::Done(v) = t.on_response(&plain).unwrap() else {
        panic!("expected Done")
    };
    assert_eq!(
        v.signature,
        h(
            "474256306840C0AB1B63C10E1C26BDFEF4A0DD843920283CC4E6E70A60F2BD25DC7725F9677BC1CDE66379DC28B38E8490F33AFB2D10F9980C44C0BFC175D2B6684218F535C92FDD3E18DB770A9CCBF91DB3C7F0138E6D9E94B9BC8371761E3ABED5E5E9B260279CFB238B58AE0D6A01DA51C74C2A3ECD62C448BD9F20127F7384587287FA971204234E55B1A856C3E5AAAA620BB799A68FBAE08EE132BB61683EBA9B0B40DC1E54641CAD975B16991CAB50AF82E3F3985AFD19E7427A125F5B4B9878B12A5D2E01C7EEDCA3BB41C6FC05DCCD818BCE379D04B1F2F5D43487D3"
        )
    );
    let AaEvidence::Rsa { m1, trailer } = v.evidence else {
        panic!("not RSA")
    };
    assert_eq!(m1.len(), 189);
    assert_eq!(trailer, Trailer::Explicit(HashAlgorithm::Sha256));
    // D = SHA-256(M1 || RND.IFD) as given in the vectors file.
    assert_eq!(
        HashAlgorithm::Sha256.digest(&[&m1, &h("96302B0F3D7E7864")]),
        h("750C1A52410F3E339490D5A7A8DE4D27EEBD37C6810D8D1F7B854D3D891015DC")
    );
}

// ----------------------------------------------------- BSI TR-03105 data set: chip's AA key

fn bsi_aa() -> (PrivateKeyInfo, AaPublicKey) {
    let sk = PrivateKeyInfo::from_pkcs8(&fixture("bsi-tr03105-mustermann/DG15_sk.pkcs8")).unwrap();
    let pk = parse_dg15(&fixture("bsi-tr03105-mustermann/Datagroup15.bin")).unwrap();
    assert_eq!(sk.public_key().unwrap(), pk, "DG15 holds the public half of DG15_sk");
    (sk, rsa_key(pk))
}

fn run_aa(
    terminal: &mut AaTerminal,
    card: impl Fn(&CommandApdu) -> ResponseApdu,
) -> Result<emrtd_chipauth::aa::AaVerified, AaError> {
    let mut cmd = terminal.command()?;
    for _ in 0..10 {
        let resp = card(&cmd);
        match terminal.on_response(&resp)? {
            AaStep::Done(v) => return Ok(v),
            AaStep::Send(next) => cmd = next,
        }
    }
    panic!("no end")
}

#[test]
fn bsi_aa_key_round_trip_sha1_bc_and_sha256_34cc() {
    let (sk, pk) = bsi_aa();
    for trailer in [Trailer::Implicit, Trailer::Explicit(HashAlgorithm::Sha256)] {
        let mut t = AaTerminal::new(pk.clone(), &mut det_rng("challenge"));
        let card_rng = std::cell::RefCell::new(det_rng("card"));
        let v = run_aa(&mut t, |c| {
            card_internal_authenticate(&sk, AaSignatureScheme::Iso9796(trailer), c, &mut *card_rng.borrow_mut())
        })
        .unwrap();
        assert_eq!(v.signature.len(), 128);
        let AaEvidence::Rsa { trailer: got, m1 } = v.evidence else {
            panic!()
        };
        assert_eq!(got, trailer);
        assert_eq!(m1.len(), iso9796::m1_capacity(128, trailer).unwrap());
    }
}

#[test]
fn bsi_aa_every_trailer_hash_signs_and_verifies() {
    let (sk, pk) = bsi_aa();
    let PrivateKeyInfo::Rsa(rsk) = &sk else { panic!() };
    let AaPublicKey::Rsa(rpk) = &pk else { panic!() };
    for hash in [
        HashAlgorithm::Sha1,
        HashAlgorithm::Sha224,
        HashAlgorithm::Sha256,
        HashAlgorithm::Sha384,
        HashAlgorithm::Sha512_224,
        HashAlgorithm::Sha512_256,
    ] {
        let sig = iso9796::sign(rsk, Trailer::Explicit(hash), b"12345678", &mut det_rng("m1")).unwrap();
        let rec = iso9796::verify(rpk, &sig, b"12345678").unwrap();
        assert_eq!(rec.trailer, Trailer::Explicit(hash));
        assert!(iso9796::verify(rpk, &sig, b"12345679").is_err());
    }
    // SHA-512 (64 bytes) still fits a 1024-bit modulus: 128 - 1 - 64 - 2 = 61 bytes of M1.
    let sig = iso9796::sign(
        rsk,
        Trailer::Explicit(HashAlgorithm::Sha512),
        b"abcdefgh",
        &mut det_rng("x"),
    )
    .unwrap();
    assert_eq!(iso9796::verify(rpk, &sig, b"abcdefgh").unwrap().m1.len(), 61);
}

#[test]
fn clone_with_other_aa_key_fails() {
    // The chip signs with the pymrtd key while DG15 holds the BSI key.
    let (_, bsi_pk) = bsi_aa();
    let (sk, _) = bsi_aa();
    let _ = sk;
    let other = PrivateKeyInfo::Ec {
        curve: EcCurve::Named(NamedCurve::P256),
        d: zeroize::Zeroizing::new(h("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721")),
    };
    let mut t = AaTerminal::new(bsi_pk.clone(), &mut det_rng("c"));
    let err = run_aa(&mut t, |c| {
        card_internal_authenticate(
            &other,
            AaSignatureScheme::Ecdsa(HashAlgorithm::Sha256, EcdsaFormat::Plain),
            c,
            &mut det_rng("k"),
        )
    })
    .unwrap_err();
    assert!(matches!(err, AaError::Iso9796(_)), "{err:?}");

    // An RSA clone: a freshly made RSA-1024 key signs properly, DG15 says otherwise.
    let clone_key = rsa::PrivateKey::new(&mut emrtd_crypto::rng::os_rng(), 1024).unwrap();
    let clone = PrivateKeyInfo::Rsa(clone_key);
    let mut t = AaTerminal::new(bsi_pk, &mut det_rng("c2"));
    let err = run_aa(&mut t, |c| {
        card_internal_authenticate(
            &clone,
            AaSignatureScheme::Iso9796(Trailer::Implicit),
            c,
            &mut det_rng("m"),
        )
    })
    .unwrap_err();
    assert!(matches!(err, AaError::Iso9796(_)), "{err:?}");
}

#[test]
fn chip_error_and_garbage_responses_are_typed_errors() {
    let (_, pk) = bsi_aa();
    // Error status word.
    let mut t = AaTerminal::new(pk.clone(), &mut det_rng("c"));
    t.command().unwrap();
    assert_eq!(
        t.on_response(&ResponseApdu::status(StatusWord::SECURITY_STATUS_NOT_SATISFIED)),
        Err(AaError::ChipRejected(StatusWord::SECURITY_STATUS_NOT_SATISFIED))
    );
    // After a failure the terminal does not continue.
    assert!(matches!(
        t.on_response(&ResponseApdu::new(vec![0; 128], StatusWord::SUCCESS)),
        Err(AaError::WrongState(_))
    ));
    // Garbage of the right length, of the wrong length, empty, all-FF (>= n), all-zero.
    for data in [
        vec![0x55; 128],
        vec![0x55; 64],
        vec![],
        vec![0xFF; 128],
        vec![0; 128],
        vec![0x12; 300],
    ] {
        let mut t = AaTerminal::new(pk.clone(), &mut det_rng("c"));
        t.command().unwrap();
        let r = t.on_response(&ResponseApdu::new(data, StatusWord::SUCCESS));
        assert!(r.is_err(), "{r:?}");
    }
    // Responding before a command was sent.
    let mut t = AaTerminal::new(pk, &mut det_rng("c"));
    assert!(matches!(
        t.on_response(&ResponseApdu::status(StatusWord::SUCCESS)),
        Err(AaError::WrongState(_))
    ));
}

// ------------------------------------------------------------------------ Le and retries

/// A 3072-bit public key (an odd modulus; no signature is checked with it).
fn fake_rsa_3072() -> rsa::PublicKey {
    let mut n = vec![0xC3u8; 384];
    n[383] = 0x01;
    rsa::PublicKey::new(
        rsa::BoxedUint::from_be_slice_vartime(&n),
        rsa::BoxedUint::from_be_slice_vartime(&[1, 0, 1]),
    )
    .unwrap()
}

#[test]
fn le_is_chosen_by_key_size() {
    let (_, pk1024) = bsi_aa();
    let mut t = AaTerminal::new(pk1024, &mut det_rng("c"));
    let c = t.command().unwrap();
    assert_eq!(c.ne, Some(256));
    assert!(!c.is_extended());
    let pk = AaPublicKey::Rsa(fake_rsa_3072());
    let mut t = AaTerminal::new(pk, &mut det_rng("c"));
    let c = t.command().unwrap();
    assert_eq!(c.ne, Some(65_536));
    assert!(c.is_extended());
    assert_eq!(&c.to_bytes().unwrap()[..5], &[0x00, 0x88, 0x00, 0x00, 0x00]);
}

#[test]
fn retry_on_6cxx_and_61xx_and_6700() {
    let (sk, pk) = bsi_aa();
    let scheme = AaSignatureScheme::Iso9796(Trailer::Implicit);
    // A chip that wants Le = 0x80 exactly (6C80), then answers in two parts (6140 + GET RESPONSE).
    let mut t = AaTerminal::new(pk.clone(), &mut det_rng("c"));
    let challenge = *t.challenge();
    let sig = sign_challenge(&sk, scheme, &challenge, &mut det_rng("m")).unwrap();
    let mut cmd = t.command().unwrap();
    assert_eq!(cmd.ne, Some(256));
    let r = t
        .on_response(&ResponseApdu::status(StatusWord::new(0x6C, 0x80)))
        .unwrap();
    let AaStep::Send(c2) = r else { panic!() };
    assert_eq!(c2.ins, 0x88);
    assert_eq!(c2.ne, Some(0x80));
    assert_eq!(c2.data, challenge.to_vec());
    cmd = c2;
    let _ = cmd;
    let r = t
        .on_response(&ResponseApdu::new(sig[..64].to_vec(), StatusWord::new(0x61, 0x40)))
        .unwrap();
    let AaStep::Send(c3) = r else { panic!() };
    assert_eq!(c3.to_bytes().unwrap(), h("00C0000040"));
    let r = t
        .on_response(&ResponseApdu::new(sig[64..].to_vec(), StatusWord::SUCCESS))
        .unwrap();
    let AaStep::Done(v) = r else { panic!() };
    assert_eq!(v.signature, sig);

    // 6700 on the extended form: one retry with short Le.
    let pk = AaPublicKey::Rsa(fake_rsa_3072());
    let mut t = AaTerminal::new(pk, &mut det_rng("c"));
    assert!(t.command().unwrap().is_extended());
    let AaStep::Send(c) = t.on_response(&ResponseApdu::status(StatusWord::WRONG_LENGTH)).unwrap() else {
        panic!()
    };
    assert_eq!(c.ne, Some(256));
    assert!(!c.is_extended());
    // A second 6700 is an error.
    assert_eq!(
        t.on_response(&ResponseApdu::status(StatusWord::WRONG_LENGTH)),
        Err(AaError::ChipRejected(StatusWord::WRONG_LENGTH))
    );
}

#[test]
fn endless_61xx_is_bounded() {
    let (_, pk) = bsi_aa();
    let mut t = AaTerminal::new(pk, &mut det_rng("c"));
    t.command().unwrap();
    let mut last = Ok(AaStep::Send(CommandApdu::new(0, 0, 0, 0)));
    for _ in 0..20 {
        last = t.on_response(&ResponseApdu::new(vec![1], StatusWord::new(0x61, 0x01)));
        if last.is_err() {
            break;
        }
    }
    assert_eq!(last, Err(AaError::TooManyRetries));
}

// ---------------------------------------------------------------------------------- ECDSA

fn ec_keypair(curve: NamedCurve, seed: &str) -> (PrivateKeyInfo, PublicKeyInfo) {
    let c = EcCurve::Named(curve);
    let (d, _) = c.generate(&mut det_rng(seed)).unwrap();
    let sk = PrivateKeyInfo::Ec { curve: c, d };
    let pk = sk.public_key().unwrap();
    (sk, pk)
}

#[test]
fn ecdsa_round_trips_plain_and_der_all_typed_curves() {
    for curve in NamedCurve::ALL {
        for (hash, oid) in [
            (HashAlgorithm::Sha256, h("2A8648CE3D040302")),
            (HashAlgorithm::Sha384, h("2A8648CE3D040303")),
            (HashAlgorithm::Sha1, h("04007F00070101040101")),
        ] {
            assert_eq!(ecdsa_hash_from_oid(&oid).unwrap(), hash);
            for format in [EcdsaFormat::Plain, EcdsaFormat::Der] {
                let (sk, pk) = ec_keypair(curve, &format!("{curve:?}"));
                let key = AaPublicKey::new(pk, Some(hash)).unwrap();
                let mut t = AaTerminal::new(key, &mut det_rng("c"));
                let v = run_aa(&mut t, |c| {
                    card_internal_authenticate(&sk, AaSignatureScheme::Ecdsa(hash, format), c, &mut det_rng("k"))
                })
                .unwrap();
                assert_eq!(v.evidence, AaEvidence::Ecdsa { hash, format });
                if format == EcdsaFormat::Plain {
                    assert_eq!(v.signature.len(), 2 * EcCurve::Named(curve).order_len());
                } else {
                    assert_eq!(v.signature[0], 0x30);
                }
            }
        }
    }
}

#[test]
fn ecdsa_wrong_key_wrong_hash_and_bad_signature_fail() {
    let (sk, pk) = ec_keypair(NamedCurve::BrainpoolP256r1, "genuine");
    let (clone_sk, _) = ec_keypair(NamedCurve::BrainpoolP256r1, "clone");
    let key = AaPublicKey::new(pk.clone(), Some(HashAlgorithm::Sha256)).unwrap();
    let challenge = h("0102030405060708");
    let scheme = AaSignatureScheme::Ecdsa(HashAlgorithm::Sha256, EcdsaFormat::Plain);
    let good = sign_challenge(&sk, scheme, &challenge, &mut det_rng("k")).unwrap();
    verify_signature(&key, &challenge, &good).unwrap();
    // Clone key.
    let bad = sign_challenge(&clone_sk, scheme, &challenge, &mut det_rng("k")).unwrap();
    assert_eq!(verify_signature(&key, &challenge, &bad), Err(AaError::EcdsaInvalid));
    // Other challenge.
    assert_eq!(
        verify_signature(&key, &h("0102030405060709"), &good),
        Err(AaError::EcdsaInvalid)
    );
    // Other hash.
    let key384 = AaPublicKey::new(pk.clone(), Some(HashAlgorithm::Sha384)).unwrap();
    assert_eq!(verify_signature(&key384, &challenge, &good), Err(AaError::EcdsaInvalid));
    // Flipped bit, DER of a corrupted signature, truncated, garbage, r = 0.
    let mut flipped = good.clone();
    flipped[5] ^= 0x80;
    assert_eq!(verify_signature(&key, &challenge, &flipped), Err(AaError::EcdsaInvalid));
    assert_eq!(
        verify_signature(&key, &challenge, &der_encode_signature(&flipped)),
        Err(AaError::EcdsaInvalid)
    );
    assert_eq!(
        verify_signature(&key, &challenge, &good[..63]),
        Err(AaError::EcdsaMalformed(63))
    );
    assert_eq!(
        verify_signature(&key, &challenge, &[0x30, 0x03, 0x02, 0x01]),
        Err(AaError::EcdsaMalformed(4))
    );
    let mut zero_r = good.clone();
    zero_r[..32].fill(0);
    assert_eq!(verify_signature(&key, &challenge, &zero_r), Err(AaError::EcdsaInvalid));
    assert_eq!(verify_signature(&key, &challenge, &[]), Err(AaError::EmptySignature));
    // An EC key without DG14's hash cannot be used.
    assert_eq!(AaPublicKey::new(pk, None), Err(AaError::MissingEcdsaHash));
}

#[test]
fn ecdsa_hash_oids() {
    assert_eq!(ecdsa_hash_from_oid(&h("2A8648CE3D0401")).unwrap(), HashAlgorithm::Sha1);
    assert_eq!(
        ecdsa_hash_from_oid(&h("2A8648CE3D040301")).unwrap(),
        HashAlgorithm::Sha224
    );
    assert_eq!(
        ecdsa_hash_from_oid(&h("2A8648CE3D040304")).unwrap(),
        HashAlgorithm::Sha512
    );
    assert_eq!(
        ecdsa_hash_from_oid(&h("04007F00070101040105")).unwrap(),
        HashAlgorithm::Sha512
    );
    assert!(matches!(
        ecdsa_hash_from_oid(&h("2A864886F70D01010B")),
        Err(AaError::UnsupportedSignatureAlgorithm(_))
    ));
}

#[test]
fn card_side_rejects_bad_commands() {
    let (sk, _) = bsi_aa();
    let scheme = AaSignatureScheme::Iso9796(Trailer::Implicit);
    let mut rng = det_rng("x");
    let short = CommandApdu::new(0, 0x88, 0, 0).with_data(vec![1, 2, 3]).with_ne(256);
    assert_eq!(
        card_internal_authenticate(&sk, scheme, &short, &mut rng).sw,
        StatusWord::WRONG_LENGTH
    );
    let p1 = CommandApdu::new(0, 0x88, 1, 0).with_data(vec![1; 8]).with_ne(256);
    assert_eq!(
        card_internal_authenticate(&sk, scheme, &p1, &mut rng).sw,
        StatusWord::INCORRECT_P1P2
    );
    let small_ne = CommandApdu::new(0, 0x88, 0, 0).with_data(vec![1; 8]).with_ne(16);
    assert_eq!(
        card_internal_authenticate(&sk, scheme, &small_ne, &mut rng).sw,
        StatusWord::new(0x6C, 0x80)
    );
    let wrong_scheme = AaSignatureScheme::Ecdsa(HashAlgorithm::Sha256, EcdsaFormat::Plain);
    let ok_cmd = CommandApdu::new(0, 0x88, 0, 0).with_data(vec![1; 8]).with_ne(256);
    assert_eq!(
        card_internal_authenticate(&sk, wrong_scheme, &ok_cmd, &mut rng).sw,
        StatusWord::CONDITIONS_NOT_SATISFIED
    );
}

#[test]
fn signature_as_n_minus_f_is_accepted() {
    // ISO/IEC 9796-2 allows the signature min(F^d, n - F^d); (n - s)^e = n - F for odd e.
    let (sk, pk) = bsi_aa();
    let PrivateKeyInfo::Rsa(rsk) = &sk else { panic!() };
    let AaPublicKey::Rsa(rpk) = &pk else { panic!() };
    let s = iso9796::sign(rsk, Trailer::Implicit, b"ABCDEFGH", &mut det_rng("m1")).unwrap();
    use rsa::traits::PublicKeyParts;
    let n = rpk.n().as_ref().clone();
    let sv = rsa::BoxedUint::from_be_slice(&s, n.bits_precision()).unwrap();
    let alt = n.wrapping_sub(&sv).to_be_bytes();
    let alt = &alt[alt.len() - 128..];
    assert_ne!(alt, &s[..]);
    let rec = iso9796::verify(rpk, alt, b"ABCDEFGH").unwrap();
    assert_eq!(rec, iso9796::verify(rpk, &s, b"ABCDEFGH").unwrap());
}

#[test]
fn aa_key_from_dg15_and_dg14_files() {
    // RSA: DG14 is not needed.
    let k = AaPublicKey::from_files(&fixture("bsi-tr03105-mustermann/Datagroup15.bin"), None).unwrap();
    assert!(matches!(k, AaPublicKey::Rsa(_)));
    // EC key in DG15 + ActiveAuthenticationInfo (ecdsa-plain-SHA256) in DG14.
    let (sk, pk) = ec_keypair(NamedCurve::P256, "files");
    let PublicKeyInfo::Ec(ec) = &pk else { panic!() };
    let mut bits = vec![0u8];
    bits.extend(&ec.point);
    let spki = emrtd_apdu::tlv::encode_constructed(
        emrtd_apdu::Tag(0x30),
        &[
            &h("301306072A8648CE3D020106082A8648CE3D030107"),
            &emrtd_apdu::tlv::encode(emrtd_apdu::Tag(0x03), &bits),
        ],
    );
    let dg15 = emrtd_apdu::tlv::encode(emrtd_apdu::Tag(0x6F), &spki);
    let aa_info = h("3017060667810801010502010106 0A04007F00070101040103");
    let dg14 = emrtd_apdu::tlv::encode(
        emrtd_apdu::Tag(0x6E),
        &emrtd_apdu::tlv::encode(emrtd_apdu::Tag(0x31), &aa_info),
    );
    let key = AaPublicKey::from_files(&dg15, Some(&dg14)).unwrap();
    let AaPublicKey::Ecdsa { hash, .. } = &key else {
        panic!()
    };
    assert_eq!(*hash, HashAlgorithm::Sha256);
    let sig = sign_challenge(
        &sk,
        AaSignatureScheme::Ecdsa(HashAlgorithm::Sha256, EcdsaFormat::Plain),
        b"12345678",
        &mut det_rng("k"),
    )
    .unwrap();
    verify_signature(&key, b"12345678", &sig).unwrap();
    // Without DG14 (or without the info) an EC key cannot be used.
    assert_eq!(AaPublicKey::from_files(&dg15, None), Err(AaError::MissingEcdsaHash));
    let empty14 = h("6E023100");
    assert_eq!(
        AaPublicKey::from_files(&dg15, Some(&empty14)),
        Err(AaError::MissingEcdsaHash)
    );
}
