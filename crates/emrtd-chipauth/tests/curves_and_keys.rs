//! ECDSA on typed and run-time (explicit-parameter) curves, RFC 6979 A.2.5 known answer,
//! SubjectPublicKeyInfo parsing (named, explicit, standardized domain parameters), ECDSA
//! Active Authentication on the BSI TR-03105 explicit brainpoolP224r1 curve.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{det_rng, fixture, h};
use emrtd_chipauth::aa::{AaEvidence, AaPublicKey, AaSignatureScheme, EcdsaFormat, sign_challenge, verify_signature};
use emrtd_chipauth::ca::CaParams;
use emrtd_chipauth::ec::{EcCurve, NamedCurve};
use emrtd_chipauth::iso9796::HashAlgorithm;
use emrtd_chipauth::keys::{PrivateKeyInfo, PublicKeyInfo};
use emrtd_chipauth::{AaError, KeyError};
use emrtd_crypto::rng::FixedBytes;
use zeroize::Zeroizing;

// RFC 6979 A.2.5: P-256, SHA-256, message "sample".
const X: &str = "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721";
const K: &str = "A6E3C57DD01ABE90086538398355DD4C3B17AA873382B0F24D6129493D8AAD60";
const RS: &str = "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716
                  F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8";

fn explicit_p256() -> EcCurve {
    // Forced onto the run-time arithmetic (EcCurve::from_explicit would map it to P-256).
    EcCurve::Explicit(NamedCurve::P256.explicit())
}

#[test]
fn rfc6979_a25_known_answer_typed_and_generic() {
    let digest = HashAlgorithm::Sha256.digest(&[b"sample"]);
    for curve in [EcCurve::Named(NamedCurve::P256), explicit_p256()] {
        let sig = curve
            .ecdsa_sign_prehash(&h(X), &digest, &mut FixedBytes::new(h(K)))
            .unwrap();
        assert_eq!(sig, h(RS), "{curve:?}");
        let public = curve.public_from_private(&h(X)).unwrap();
        assert!(
            curve
                .ecdsa_verify_prehash(&public, &digest, &sig[..32], &sig[32..])
                .unwrap()
        );
        let other = HashAlgorithm::Sha256.digest(&[b"test"]);
        assert!(
            !curve
                .ecdsa_verify_prehash(&public, &other, &sig[..32], &sig[32..])
                .unwrap()
        );
    }
}

#[test]
fn generic_and_typed_arithmetic_agree() {
    let typed = EcCurve::Named(NamedCurve::BrainpoolP256r1);
    let generic = EcCurve::Explicit(NamedCurve::BrainpoolP256r1.explicit());
    let (sk, pk) = typed.generate(&mut det_rng("a")).unwrap();
    assert_eq!(generic.public_from_private(&sk).unwrap(), pk);
    let (sk2, pk2) = generic.generate(&mut det_rng("b")).unwrap();
    assert_eq!(typed.ecdh(&sk, &pk2).unwrap(), generic.ecdh(&sk2, &pk).unwrap());
    let d = HashAlgorithm::Sha384.digest(&[b"12345678"]);
    let s1 = typed.ecdsa_sign_prehash(&sk, &d, &mut det_rng("k")).unwrap();
    let s2 = generic.ecdsa_sign_prehash(&sk, &d, &mut det_rng("k")).unwrap();
    assert_eq!(s1, s2, "same k gives the same signature");
    assert!(generic.ecdsa_verify_prehash(&pk, &d, &s1[..32], &s1[32..]).unwrap());
    assert!(typed.ecdsa_verify_prehash(&pk, &d, &s2[..32], &s2[32..]).unwrap());
}

#[test]
fn ecdsa_aa_on_explicit_brainpool_p224r1() {
    // The BSI TR-03105 data set's curve (explicit parameters, no typed implementation).
    let params = CaParams::from_dg14(&fixture("bsi-tr03105-mustermann/Datagroup14.bin"), None).unwrap();
    let emrtd_chipauth::ca::CaPublicKey::Ec(chip) = params.public_key else {
        panic!()
    };
    let curve = chip.curve.clone();
    assert!(matches!(curve, EcCurve::Explicit(_)));
    let (d, _) = curve.generate(&mut det_rng("aa224")).unwrap();
    let sk = PrivateKeyInfo::Ec {
        curve: curve.clone(),
        d,
    };
    let pk = AaPublicKey::new(sk.public_key().unwrap(), Some(HashAlgorithm::Sha224)).unwrap();
    let challenge = h("0011223344556677");
    for format in [EcdsaFormat::Plain, EcdsaFormat::Der] {
        let sig = sign_challenge(
            &sk,
            AaSignatureScheme::Ecdsa(HashAlgorithm::Sha224, format),
            &challenge,
            &mut det_rng("k"),
        )
        .unwrap();
        if format == EcdsaFormat::Plain {
            assert_eq!(sig.len(), 56);
        }
        assert_eq!(
            verify_signature(&pk, &challenge, &sig).unwrap(),
            AaEvidence::Ecdsa {
                hash: HashAlgorithm::Sha224,
                format
            }
        );
        assert_eq!(
            verify_signature(&pk, &h("0011223344556678"), &sig),
            Err(AaError::EcdsaInvalid)
        );
    }
    // The chip's CA private key (another key on the same curve) is a clone for AA.
    let ca_sk = PrivateKeyInfo::from_pkcs8(&fixture("bsi-tr03105-mustermann/DG14_sk.pkcs8")).unwrap();
    let sig = sign_challenge(
        &ca_sk,
        AaSignatureScheme::Ecdsa(HashAlgorithm::Sha224, EcdsaFormat::Plain),
        &challenge,
        &mut det_rng("k"),
    )
    .unwrap();
    assert_eq!(verify_signature(&pk, &challenge, &sig), Err(AaError::EcdsaInvalid));
}

#[test]
fn spki_named_curve_and_standardized_parameters() {
    // P-256 named curve SPKI with the RFC 6979 public key.
    let pk = EcCurve::Named(NamedCurve::P256).public_from_private(&h(X)).unwrap();
    assert_eq!(
        pk,
        h("04 60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6
              7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299")
    );
    let mut spki = h("3059301306072A8648CE3D020106082A8648CE3D030107034200");
    spki.extend(&pk);
    let PublicKeyInfo::Ec(k) = PublicKeyInfo::from_spki(&spki).unwrap() else {
        panic!()
    };
    assert_eq!(k.curve, EcCurve::Named(NamedCurve::P256));
    assert_eq!(k.point, pk);
    // A point off the curve is refused.
    let mut bad = spki.clone();
    let n = bad.len();
    bad[n - 1] ^= 1;
    assert_eq!(PublicKeyInfo::from_spki(&bad), Err(KeyError::InvalidPublicKey));
    // Trailing garbage, truncation.
    let mut trailing = spki.clone();
    trailing.push(0);
    assert!(PublicKeyInfo::from_spki(&trailing).is_err());
    assert!(PublicKeyInfo::from_spki(&spki[..40]).is_err());

    // ICAO 9303-11 I.1: standardizedDomainParameters id 13 (brainpoolP256r1); SK_IC
    // reproduces PK_IC.
    let spki = h(
        "3052300C060704007F0007010202010D034200041872709494399E7470A6431BE25E83EEE24FEA568C2ED28DB48E05DB3A610DC884D256A40E35EFCB59BF6753D3A489D28C7A4D973C2DA138A6E7A4A08F68E16F",
    );
    let PublicKeyInfo::Ec(k) = PublicKeyInfo::from_spki(&spki).unwrap() else {
        panic!()
    };
    assert_eq!(k.curve, EcCurve::Named(NamedCurve::BrainpoolP256r1));
    let sk = PrivateKeyInfo::Ec {
        curve: k.curve.clone(),
        d: Zeroizing::new(h("86C88A4579CE48135878E6348A734B5D47CE5BC1E54C0E8978687B49FDE2E2C2")),
    };
    assert_eq!(sk.public_key().unwrap(), PublicKeyInfo::Ec(k));
}

#[test]
fn explicit_parameters_are_mapped_or_run_time() {
    // Explicit brainpoolP256r1 (AT DG14) maps to the typed curve; explicit P-224 via its
    // named OID goes to the run-time arithmetic.
    assert_eq!(
        NamedCurve::BrainpoolP256r1.explicit().identify(),
        Some(NamedCurve::BrainpoolP256r1)
    );
    let p224 = EcCurve::from_named_oid(&h("2B81040021")).unwrap();
    assert!(matches!(p224, EcCurve::Explicit(_)));
    assert_eq!(p224.field_len(), 28);
    let (sk, pk) = p224.generate(&mut det_rng("p224")).unwrap();
    let (sk2, pk2) = p224.generate(&mut det_rng("p224b")).unwrap();
    assert_eq!(p224.ecdh(&sk, &pk2).unwrap(), p224.ecdh(&sk2, &pk).unwrap());
    assert!(matches!(
        EcCurve::from_named_oid(&h("2B8104000A")), // secp256k1: not an eMRTD curve
        Err(KeyError::UnsupportedCurve(_))
    ));
    // Broken explicit parameters: a typed error, no panic.
    let mut broken = NamedCurve::P256.explicit();
    broken.b[0] ^= 1; // G no longer on the curve
    let c = EcCurve::Explicit(broken);
    assert!(matches!(
        c.generate(&mut det_rng("x")),
        Err(KeyError::UnsupportedCurve(_))
    ));
}

#[test]
fn typed_curves_match_their_explicit_constants() {
    // The constants used to recognise explicit parameters describe the typed curves: the
    // generator in the table is the typed curve's generator (private key 1).
    for c in NamedCurve::ALL {
        let mut one = vec![0u8; c.field_len()];
        *one.last_mut().unwrap() = 1;
        let g = EcCurve::Named(c).public_from_private(&one).unwrap();
        assert_eq!(g, c.explicit().g, "{c:?}");
        // And the run-time curve built from the constants agrees on 2G.
        let mut two = one.clone();
        *two.last_mut().unwrap() = 2;
        assert_eq!(
            EcCurve::Named(c).public_from_private(&two).unwrap(),
            EcCurve::Explicit(c.explicit())
                .public_from_private(&two)
                .unwrap_or_else(|e| panic!("{c:?}: {e}"))
        );
    }
}

#[test]
fn explicit_constants_equal_the_standardized_domain_parameters() {
    // Doc 9303-11 Table 6 ids of the typed curves, as built by emrtd-crypto.
    for (c, id) in [
        (NamedCurve::P256, 12),
        (NamedCurve::BrainpoolP256r1, 13),
        (NamedCurve::P384, 15),
        (NamedCurve::BrainpoolP384r1, 16),
        (NamedCurve::P521, 18),
    ] {
        assert_eq!(EcCurve::from_standardized_id(id).unwrap(), EcCurve::Named(c), "{c:?}");
    }
    assert!(matches!(
        EcCurve::from_standardized_id(11).unwrap(),
        EcCurve::Explicit(_)
    ));
    assert!(EcCurve::from_standardized_id(0).is_err());
}
