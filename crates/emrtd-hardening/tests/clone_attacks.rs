//! Issue 13, holes 1 and 2: clones designed by an adversary, not chips that err by accident.
//!
//! * PACE-CAM on parameters the chip chooses: EF.CardAccess is not signed; a clone offers
//!   PACE-CAM on brainpoolP256r1's p, a, b, n with the generator set to the genuine chip's
//!   static public key, so its own private key is 1 and the CAM check passes on that curve
//!   while the genuine EF.CardSecurity passes passive authentication.
//! * Another document's genuine EF.CardSecurity: a clone of document X that proves
//!   possession of a key of another document's EF.CardSecurity.
//! * Hidden, refused or garbled DG14/DG15 listed in EF.SOD: chip (active) authentication is
//!   FAILED, never UNAVAILABLE.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use emrtd_access::pace::{PaceChipConfig, Password};
use emrtd_hardening::chips::chip_with;
use emrtd_reader::Reading;
use emrtd_result::AuthResult;
use emrtd_secinfo::SecurityInfos;
use emrtd_sim::plugins::{AaPlugin, PacePlugin};
use emrtd_sim::{Adversarial, Df, Document, VirtualChip};
use zeroize::Zeroizing;

/// The standard generator of brainpoolP256r1 (uncompressed), as it appears in the explicit
/// domain parameters of the td1-id-explicit-curve fixture's EF.CardAccess.
const BP256_G: &str = "048bd2aeb9cb7e57cb2c4b482ffc81b7afb9de27e1e3bd23c23a4453bd9ace3262547ef835c3dac4fd97f8461a14611dc9c27745132ded8e545c1d54c72f046997";

/// The chip's static PACE-CAM public key from the signed EF.CardSecurity of `doc`.
fn cam_public_key(doc: &Document) -> Vec<u8> {
    let cs = doc.file(Df::Mf, 0x011D).unwrap();
    let sd = emrtd_lds::cms::SignedData::from_content_info(cs).unwrap();
    let infos = SecurityInfos::parse(&sd.encap_content).unwrap();
    infos
        .chip_authentication_public_key_infos()
        .next()
        .unwrap()
        .public_key
        .public_key_value()
        .unwrap()
}

fn put_mf(doc: &mut Document, fid: u16, content: Vec<u8>) {
    doc.files.retain(|f| !(f.df == Df::Mf && f.fid == fid));
    doc.put_in(Df::Mf, fid, content);
}

/// EF.CardAccess offering PACE-ECDH-CAM-AES-128 on explicit parameters: brainpoolP256r1's
/// p, a, b, n, h with `generator` as G, under parameter id `parameter_id`.
fn hostile_card_access(generator: &[u8], parameter_id: u8) -> Vec<u8> {
    let mut ca = doc("td1-id-explicit-curve").file(Df::Mf, 0x011C).unwrap().to_vec();
    replace_unique(&mut ca, &hex::decode(BP256_G).unwrap(), generator);
    // PACEInfo: id-PACE-ECDH-GM-AES-CBC-CMAC-128 -> id-PACE-ECDH-CAM-AES-CBC-CMAC-128.
    replace_unique(
        &mut ca,
        &hex::decode("060a04007f00070202040202").unwrap(),
        &hex::decode("060a04007f00070202040602").unwrap(),
    );
    // PACEDomainParameterInfo: id-PACE-ECDH-GM -> id-PACE-ECDH-CAM.
    replace_unique(
        &mut ca,
        &hex::decode("060904007f000702020402").unwrap(),
        &hex::decode("060904007f000702020406").unwrap(),
    );
    if parameter_id != 0x20 {
        let n = ca.len();
        // Both infos end with their parameter id (INTEGER 32).
        let hits: Vec<usize> = ca
            .windows(3)
            .enumerate()
            .filter(|(_, w)| *w == [2, 1, 0x20])
            .map(|(i, _)| i)
            .collect();
        assert_eq!(hits.len(), 2, "{}", hex::encode(&ca));
        for i in hits {
            ca[i + 2] = parameter_id;
        }
        assert_eq!(ca.len(), n);
    }
    ca
}

/// The PACE-CAM clone: the genuine files of pace-cam-aes128 (SOD, DG1, DG14, the signed
/// EF.CardSecurity), a hostile EF.CardAccess whose generator is the genuine static key, and a
/// PACE card side whose CAM private key is 1. The clone knows the CAN (printed on the card)
/// but not the genuine chip's private keys.
fn generator_clone(parameter_id: u8) -> VirtualChip {
    let genuine = doc("pace-cam-aes128");
    let pk = cam_public_key(&genuine);
    let card_access = hostile_card_access(&pk, parameter_id);
    let mut clone = genuine.clone();
    put_mf(&mut clone, 0x011C, card_access.clone());
    clone.manifest.keys.ca_private_key = None;
    clone.manifest.keys.pace_cam_private_key = None;
    let infos = SecurityInfos::parse(&card_access).unwrap();
    let protocols = PaceChipConfig::protocols_from_security_infos(&infos);
    assert_eq!(protocols.len(), 1, "the hostile EF.CardAccess offers PACE-CAM");
    let mut config = PaceChipConfig::new(protocols, vec![Password::Can("128128".into())]);
    let mut one = vec![0u8; 32];
    one[31] = 1;
    config.cam_private_key = Some(Zeroizing::new(one));
    chip_with(clone, vec![Box::new(PacePlugin::from_config(config))]).unwrap()
}

#[tokio::test]
async fn pace_cam_with_the_genuine_key_as_generator_is_not_chip_authenticated() {
    // Before the fix this reading reported chip_authentication = SUCCESS with passive
    // authentication verified: the clone passed as genuine.
    for parameter_id in [0x20, 13] {
        let r = read_chip(generator_clone(parameter_id)).await;
        assert!(r.failure.is_none(), "{}", summary(&r));
        assert!(
            r.passive_authentication_ok(),
            "the genuine files verify: {}",
            summary(&r)
        );
        assert_eq!(r.chip_authentication, AuthResult::Failed, "{}", summary(&r));
        assert!(r.errors.iter().any(|e| e.starts_with("PACE-CAM:")), "{}", summary(&r));
    }
    // Control: the genuine chip is chip-authenticated through PACE-CAM.
    let r = read_chip(chip("pace-cam-aes128")).await;
    assert!(r.passive_authentication_ok(), "{}", summary(&r));
    assert_eq!(r.chip_authentication, AuthResult::Success, "{}", summary(&r));
}

/// Re-signs a SignedData of the test PKI's "DS Utopia RSA-PSS" whose encapsulated content
/// was changed (equal length): the messageDigest attribute is updated and the signed
/// attributes signed again with the DS private key. What a Document Signer issues for
/// another document.
fn resign_pss(original: &[u8], changed: &[u8]) -> Vec<u8> {
    use rsa::pkcs8::DecodePrivateKey;
    use sha2::{Digest, Sha256};
    let parts = |d: &[u8]| {
        let sd = emrtd_lds::cms::SignedData::from_content_info(d).unwrap();
        let si = &sd.signer_infos[0];
        (
            sd.encap_content.clone(),
            si.signed_attributes.as_ref().unwrap().to_be_signed.clone(),
            si.signature.clone(),
        )
    };
    let (old_content, _, _) = parts(original);
    let mut out = changed.to_vec();
    let (new_content, _, _) = parts(&out);
    replace_unique(&mut out, &Sha256::digest(&old_content), &Sha256::digest(&new_content));
    let (_, tbs, old_sig) = parts(&out);
    let der = std::fs::read(fixtures().join("pki/keys/ds-rsa-pss-3072.pk8")).unwrap();
    let key = rsa::PrivateKey::from_pkcs8_der(&der).unwrap();
    let mut rng = emrtd_sim::SeededRng::new(b"another document");
    let sig = key
        .sign_with_rng(&mut rng, rsa::Pss::<Sha256>::new(), &Sha256::digest(&tbs))
        .unwrap();
    replace_unique(&mut out, &old_sig, &sig);
    out
}

#[tokio::test]
async fn pace_cam_with_another_documents_card_security_is_not_chip_authenticated() {
    // Document Y: same issuer, same chip profile, another static key pair (SK_Y known to the
    // chip in this test). Its EF.CardSecurity is genuine (signed by the same Document Signer).
    // The chip carries document X's EF.SOD and DG14 and Y's EF.CardSecurity and proves
    // possession of SK_Y. Before the fix it was reported chip-authenticated: nothing tied
    // EF.CardSecurity to X's data.
    let x = doc("pace-cam-aes128");
    let domain = emrtd_crypto::domain::Domain::standardized(13).unwrap();
    let mut sk_y = vec![0u8; 32];
    sk_y[31] = 0x2A;
    sk_y[0] = 0x11;
    let pk_y = domain.public_key(&sk_y).unwrap();
    let pk_x = cam_public_key(&x);
    let cs_x = x.file(Df::Mf, 0x011D).unwrap().to_vec();
    let mut cs_y = cs_x.clone();
    replace_unique(&mut cs_y, &pk_x, &pk_y);
    let cs_y = resign_pss(&cs_x, &cs_y);

    let mut chip_doc = x.clone();
    put_mf(&mut chip_doc, 0x011D, cs_y);
    chip_doc.manifest.keys.ca_private_key = None;
    chip_doc.manifest.keys.pace_cam_private_key = None;
    let infos = SecurityInfos::parse(x.file(Df::Mf, 0x011C).unwrap()).unwrap();
    let mut config = PaceChipConfig::new(
        PaceChipConfig::protocols_from_security_infos(&infos),
        vec![Password::Can("128128".into())],
    );
    config.cam_private_key = Some(Zeroizing::new(sk_y));
    let c = chip_with(chip_doc, vec![Box::new(PacePlugin::from_config(config))]).unwrap();
    let r = read_chip(c).await;
    assert!(r.failure.is_none(), "{}", summary(&r));
    assert!(r.passive_authentication_ok(), "X's files verify: {}", summary(&r));
    assert_eq!(r.chip_authentication, AuthResult::Failed, "{}", summary(&r));
    assert!(
        r.errors
            .iter()
            .any(|e| e.contains("DG14 differs from the PACE-CAM key")),
        "{}",
        summary(&r)
    );
}

async fn read_doc(d: Document, with_aa: bool) -> Reading {
    let mut extra: Vec<Box<dyn emrtd_sim::CardProtocol>> = vec![Box::new(PacePlugin::from_document(&d).unwrap())];
    if with_aa {
        extra.push(Box::new(AaPlugin));
    }
    read_chip(chip_with(d, extra).unwrap()).await
}

#[tokio::test]
async fn dg14_listed_in_the_sod_but_hidden_refused_or_garbled_fails_chip_authentication() {
    // REF-1 lists DG14 and DG15 in its SOD. Before the fix a hidden DG14 (6A82) gave
    // chip_authentication = UNAVAILABLE, which the gateway's default policy approved.
    for (name, mode) in [
        (
            "hidden (6A82)",
            Adversarial::RefuseFile {
                fid: 0x010E,
                sw: 0x6A82,
            },
        ),
        (
            "refused (6982)",
            Adversarial::RefuseFile {
                fid: 0x010E,
                sw: 0x6982,
            },
        ),
        (
            "garbled (lying length)",
            Adversarial::LyingLength { fid: 0x010E, extra: 40 },
        ),
    ] {
        let c = chip("ref-1").with_adversarial(mode);
        let r = read_chip(c).await;
        assert!(r.failure.is_none(), "{name}: {}", summary(&r));
        assert_eq!(r.chip_authentication, AuthResult::Failed, "{name}: {}", summary(&r));
        // REF-1's Active Authentication is ECDSA: its hash algorithm is in DG14, so it
        // cannot succeed either.
        assert_eq!(r.active_authentication, AuthResult::Failed, "{name}: {}", summary(&r));
        assert!(!reported_genuine(&r));
    }
    // Unparsable DG14 content (its SOD hash no longer matches either).
    let mut d = doc("ref-1");
    let dg14 = file_mut(&mut d, 0x010E);
    let n = dg14.len();
    *dg14 = [vec![0x6E, 0x03, 0xFF, 0xFF, 0xFF], vec![0; n.saturating_sub(5)]].concat();
    let r = read_doc(d, true).await;
    assert_eq!(r.chip_authentication, AuthResult::Failed, "{}", summary(&r));
}

#[tokio::test]
async fn dg15_listed_in_the_sod_but_hidden_or_refused_fails_active_authentication() {
    for (name, mode) in [
        (
            "hidden (6A82)",
            Adversarial::RefuseFile {
                fid: 0x010F,
                sw: 0x6A82,
            },
        ),
        (
            "refused (6982)",
            Adversarial::RefuseFile {
                fid: 0x010F,
                sw: 0x6982,
            },
        ),
    ] {
        let c = chip("ref-1").with_adversarial(mode);
        let r = read_chip(c).await;
        assert!(r.failure.is_none(), "{name}: {}", summary(&r));
        assert_eq!(r.active_authentication, AuthResult::Failed, "{name}: {}", summary(&r));
        assert_eq!(r.chip_authentication, AuthResult::Success, "{name}: {}", summary(&r));
    }
    // A document whose signed data offers no AA keeps UNAVAILABLE.
    let r = read_chip(chip("pace-cam-aes128")).await;
    assert_eq!(r.active_authentication, AuthResult::Unavailable, "{}", summary(&r));
}

/// pace-cam-aes128 with a DG14 that keeps only what `keep_pace_info` says (its chip
/// authentication infos turned into unknown ones), the SOD re-signed by its Document Signer:
/// a document whose only chip authentication is PACE-CAM.
fn cam_only_document(keep_pace_info: bool) -> Document {
    let mut d = doc("pace-cam-aes128");
    let old = file_mut(&mut d, 0x010E).clone();
    let mut new = old.clone();
    // id-PK-ECDH and id-CA-ECDH-AES-CBC-CMAC-128 -> unknown arcs of the same length.
    replace_unique(
        &mut new,
        &hex::decode("060904007f000702020102").unwrap(),
        &hex::decode("060904007f00070202017f").unwrap(),
    );
    replace_unique(
        &mut new,
        &hex::decode("060a04007f00070202030202").unwrap(),
        &hex::decode("060a04007f0007020203027f").unwrap(),
    );
    if !keep_pace_info {
        replace_unique(
            &mut new,
            &hex::decode("060a04007f00070202040602").unwrap(),
            &hex::decode("060a04007f0007020204067f").unwrap(),
        );
    }
    *file_mut(&mut d, 0x010E) = new.clone();
    let sod = file_mut(&mut d, 0x011D).clone();
    *file_mut(&mut d, 0x011D) = resign_pss_sod(&sod, &[(&old, &new)]);
    d
}

/// The clone of `genuine` that offers PACE-GM instead of PACE-CAM in its (unsigned)
/// EF.CardAccess: it knows the CAN, not the chip's static key.
fn clone_hiding_cam(genuine: &Document) -> VirtualChip {
    let mut clone = genuine.clone();
    let mut ca = genuine.file(Df::Mf, 0x011C).unwrap().to_vec();
    replace_unique(
        &mut ca,
        &hex::decode("060a04007f00070202040602").unwrap(),
        &hex::decode("060a04007f00070202040202").unwrap(),
    );
    put_mf(&mut clone, 0x011C, ca);
    clone.manifest.keys.ca_private_key = None;
    clone.manifest.keys.pace_cam_private_key = None;
    let pace = PacePlugin::from_document(&clone).unwrap();
    chip_with(clone, vec![Box::new(pace)]).unwrap()
}

#[tokio::test]
async fn a_clone_hiding_pace_cam_announced_in_signed_data_is_not_unavailable() {
    // Control: the genuine CAM-only chips are chip-authenticated.
    for keep in [true, false] {
        let d = cam_only_document(keep);
        let genuine = chip_with(d.clone(), vec![Box::new(PacePlugin::from_document(&d).unwrap())]).unwrap();
        let r = read_chip(genuine).await;
        assert!(r.passive_authentication_ok(), "{}", summary(&r));
        assert_eq!(r.chip_authentication, AuthResult::Success, "{}", summary(&r));
    }
    // The signed DG14 announces PACE-CAM; the clone offers PACE-GM. Before the fix: UNAVAILABLE.
    let r = read_chip(clone_hiding_cam(&cam_only_document(true))).await;
    assert!(r.passive_authentication_ok(), "{}", summary(&r));
    assert_eq!(r.chip_authentication, AuthResult::Failed, "{}", summary(&r));
    assert!(
        r.errors.iter().any(|e| e.contains("DG14 announces PACE-CAM")),
        "{}",
        summary(&r)
    );
    // Only the signed EF.CardSecurity announces it (DG14 does not): read and believed.
    let r = read_chip(clone_hiding_cam(&cam_only_document(false))).await;
    assert!(r.passive_authentication_ok(), "{}", summary(&r));
    assert_eq!(r.chip_authentication, AuthResult::Failed, "{}", summary(&r));
    assert!(
        r.errors
            .iter()
            .any(|e| e.contains("EF.CardSecurity announces PACE-CAM")),
        "{}",
        summary(&r)
    );
}
