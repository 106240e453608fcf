//! `cargo xtask fixtures [--check]`: the deterministic test PKI and documents under
//! `fixtures/pki/` and `fixtures/documents/`.
//!
//! Everything is derived from fixed labels (a SHA-256 counter generator per key and per
//! signature), fixed dates (issuance at 2026-01-01) and deterministic signature schemes
//! (RSA PKCS#1 v1.5, ECDSA per RFC 6979; the RSA-PSS salt comes from the seeded generator).
//! RSA key generation is slow in debug builds, so the RSA private keys are stored in
//! `fixtures/pki/keys/` and reused when present. `--check` regenerates into a temporary
//! directory and compares byte for byte with the committed files.

mod der;
mod lds;
mod pki;

use der::*;
use emrtd_sim::{Df, Document, Manifest, MrzData, Quirks, SeededRng};
use lds::Holder;
use pki::{Cert, CertSpec, Curve, Key, R, Role, SigAlg};
use std::path::{Path, PathBuf};

/// The fixed "now" of the fixtures.
pub const FIXED_NOW: &str = "20260101000000";

struct Pki {
    csca_rsa: (Cert, Key),
    csca_ec: (Cert, Key),
    ds_rsa_pkcs1: (Cert, Key),
    ds_rsa_pss: (Cert, Key),
    ds_ec: (Cert, Key),
    ds_revoked: (Cert, Key),
    ds_expired: (Cert, Key),
}

fn write(out: &Path, rel: &str, bytes: &[u8], written: &mut Vec<String>) -> R<()> {
    let p = out.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(&p, bytes).map_err(|e| format!("{}: {e}", p.display()))?;
    written.push(rel.to_string());
    Ok(())
}

fn make_pki(out: &Path, keys: &Path, written: &mut Vec<String>) -> R<Pki> {
    let mut rng = SeededRng::new(b"docval-fixtures/pki-signatures");
    let csca_rsa_key = Key::rsa_cached(keys, "csca-rsa-4096", 4096)?;
    let csca_rsa = pki::issue(
        &CertSpec {
            serial: 1,
            subject_cn: "CSCA Utopia RSA",
            subject_key: &csca_rsa_key,
            not_before: "20150101000000",
            not_after: "20450101000000",
            role: Role::Csca,
        },
        None,
        SigAlg::RsaPkcs1Sha256,
        &mut rng,
    )?;
    let csca_ec_key = Key::ec(Curve::Bp384, "csca-ecdsa-bp384", true)?;
    let ec_spec = CertSpec {
        serial: 2,
        subject_cn: "CSCA Utopia ECDSA",
        subject_key: &csca_ec_key,
        not_before: "20250601000000",
        not_after: "20450601000000",
        role: Role::Csca,
    };
    let csca_ec = pki::issue(&ec_spec, None, SigAlg::EcdsaSha384, &mut rng)?;
    // Link certificate: the new ECDSA CSCA key certified by the RSA CSCA.
    let link = pki::issue(
        &CertSpec { serial: 3, ..ec_spec },
        Some((&csca_rsa, &csca_rsa_key)),
        SigAlg::RsaPkcs1Sha256,
        &mut rng,
    )?;
    let ds = |serial: u64,
              cn: &str,
              key: Key,
              from: &str,
              to: &str,
              issuer: (&Cert, &Key),
              alg: SigAlg,
              rng: &mut SeededRng|
     -> R<(Cert, Key)> {
        let c = pki::issue(
            &CertSpec {
                serial,
                subject_cn: cn,
                subject_key: &key,
                not_before: from,
                not_after: to,
                role: Role::DocumentSigner,
            },
            Some(issuer),
            alg,
            rng,
        )?;
        Ok((c, key))
    };
    let rsa_issuer = (&csca_rsa, &csca_rsa_key);
    let ec_issuer = (&csca_ec, &csca_ec_key);
    let ds_rsa_pkcs1 = ds(
        0x0101,
        "DS Utopia RSA PKCS1",
        Key::rsa_cached(keys, "ds-rsa-pkcs1-2048", 2048)?,
        "20251201000000",
        "20361201000000",
        rsa_issuer,
        SigAlg::RsaPkcs1Sha256,
        &mut rng,
    )?;
    let ds_rsa_pss = ds(
        0x0102,
        "DS Utopia RSA-PSS",
        Key::rsa_cached(keys, "ds-rsa-pss-3072", 3072)?,
        "20251201000000",
        "20361201000000",
        rsa_issuer,
        SigAlg::RsaPssSha256,
        &mut rng,
    )?;
    let ds_expired = ds(
        0x0103,
        "DS Utopia RSA 2015",
        Key::rsa_cached(keys, "ds-rsa-expired-2048", 2048)?,
        "20150601000000",
        "20210601000000",
        rsa_issuer,
        SigAlg::RsaPkcs1Sha256,
        &mut rng,
    )?;
    let ds_ec = ds(
        0x0201,
        "DS Utopia ECDSA",
        Key::ec(Curve::Bp256, "ds-ecdsa-bp256", false)?,
        "20251201000000",
        "20361201000000",
        ec_issuer,
        SigAlg::EcdsaSha384,
        &mut rng,
    )?;
    let ds_revoked = ds(
        0x0202,
        "DS Utopia ECDSA revoked",
        Key::ec(Curve::Bp256, "ds-ecdsa-revoked-bp256", false)?,
        "20251201000000",
        "20361201000000",
        ec_issuer,
        SigAlg::EcdsaSha384,
        &mut rng,
    )?;
    let mls_key = Key::ec(Curve::P256, "master-list-signer-p256", false)?;
    let mls = pki::issue(
        &CertSpec {
            serial: 0x0301,
            subject_cn: "Master List Signer Utopia",
            subject_key: &mls_key,
            not_before: "20251201000000",
            not_after: "20361201000000",
            role: Role::MasterListSigner,
        },
        Some(rsa_issuer),
        SigAlg::RsaPkcs1Sha256,
        &mut rng,
    )?;
    // keyCompromise (1) for the revoked DS.
    let crl_ec = pki::crl(
        ec_issuer,
        SigAlg::EcdsaSha384,
        "20260101000000",
        "20360101000000",
        &[(0x0202, "20251215000000", 1)],
        1,
        &mut rng,
    )?;
    let crl_rsa = pki::crl(
        rsa_issuer,
        SigAlg::RsaPkcs1Sha256,
        "20260101000000",
        "20360101000000",
        &[],
        1,
        &mut rng,
    )?;
    let ml_content = seq(&[&int(0), &set_of(&[&csca_rsa.der, &csca_ec.der, &link.der])]);
    let ml = pki::signed_data(
        "2.23.136.1.1.2",
        &ml_content,
        (&mls, &mls_key),
        SigAlg::EcdsaSha256,
        FIXED_NOW,
        &mut rng,
    )?;

    for (rel, bytes) in [
        ("pki/csca-rsa.cer", &csca_rsa.der),
        ("pki/csca-ecdsa-explicit.cer", &csca_ec.der),
        ("pki/link-csca-rsa-to-ecdsa.cer", &link.der),
        ("pki/ds-rsa-pkcs1.cer", &ds_rsa_pkcs1.0.der),
        ("pki/ds-rsa-pss.cer", &ds_rsa_pss.0.der),
        ("pki/ds-rsa-expired.cer", &ds_expired.0.der),
        ("pki/ds-ecdsa.cer", &ds_ec.0.der),
        ("pki/ds-ecdsa-revoked.cer", &ds_revoked.0.der),
        ("pki/master-list-signer.cer", &mls.der),
        ("pki/csca-ecdsa.crl", &crl_ec),
        ("pki/csca-rsa.crl", &crl_rsa),
        ("pki/masterlist.ml", &ml),
    ] {
        write(out, rel, bytes, written)?;
    }
    Ok(Pki {
        csca_rsa: (csca_rsa, csca_rsa_key),
        csca_ec: (csca_ec, csca_ec_key),
        ds_rsa_pkcs1,
        ds_rsa_pss,
        ds_ec,
        ds_revoked,
        ds_expired,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Signer {
    RsaPkcs1,
    RsaPss,
    Ecdsa,
    Revoked,
    Expired,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    Td3,
    Td1,
}

enum CaKey {
    None,
    Ec(Curve, &'static str),
    Dh(u32),
}

enum AaKey {
    None,
    Ec(Curve),
    Rsa(usize),
}

struct DocSpec {
    name: &'static str,
    description: &'static str,
    layout: Layout,
    doc_number: &'static str,
    primary: &'static str,
    secondary: &'static str,
    dob: &'static str,
    doe: &'static str,
    issued: &'static str,
    sex: &'static str,
    can: Option<&'static str>,
    pin: Option<&'static str>,
    puk: Option<&'static str>,
    signer: Signer,
    bac: bool,
    /// PACEInfo protocol OID and parameter id (explicit curve when `pace_explicit`).
    pace: Option<(&'static str, u32)>,
    pace_explicit: Option<Curve>,
    pace_cam: bool,
    ca: CaKey,
    aa: AaKey,
    rich: bool,
    quirks: Quirks,
    /// Seed label of the chip keys (the clone uses other labels with the same files).
    key_label: &'static str,
    verdict: &'static str,
}

fn docs() -> Vec<DocSpec> {
    let base = DocSpec {
        name: "",
        description: "",
        layout: Layout::Td3,
        doc_number: "",
        primary: "",
        secondary: "",
        dob: "",
        doe: "360101",
        issued: "20260101",
        sex: "F",
        can: None,
        pin: None,
        puk: None,
        signer: Signer::RsaPss,
        bac: true,
        pace: None,
        pace_explicit: None,
        pace_cam: false,
        ca: CaKey::None,
        aa: AaKey::None,
        rich: false,
        quirks: Quirks::default(),
        key_label: "",
        verdict: "valid",
    };
    vec![
        DocSpec {
            name: "bac-td3-3des",
            description: "BAC-only TD3 passport, 3DES secure messaging, SOD signed with RSA PKCS#1 v1.5, no CA/AA",
            doc_number: "B1C2D3E45",
            primary: "BACMANN",
            secondary: "OTTO",
            dob: "750315",
            sex: "M",
            signer: Signer::RsaPkcs1,
            key_label: "bac-td3-3des",
            quirks: Quirks {
                extended_length: false,
                max_le: Some(231),
                ..Quirks::default()
            },
            ..base_clone(&base)
        },
        DocSpec {
            name: "ref-1",
            description: "REF-1: PACE-ECDH-GM-AES-128 on brainpoolP256r1 (CAN and MRZ), CA-ECDH-AES-128, AA ECDSA, DG1, DG2 (JPEG 2000 face), DG7, DG11, DG12, DG14, DG15, EF.ATR/INFO with extended length",
            doc_number: "C01X00T47",
            primary: "MUSTERFRAU",
            secondary: "ERIKA",
            dob: "840812",
            can: Some("123456"),
            pace: Some(("0.4.0.127.0.7.2.2.4.2.2", 13)),
            ca: CaKey::Ec(Curve::Bp256, "0.4.0.127.0.7.2.2.3.2.2"),
            aa: AaKey::Ec(Curve::Bp256),
            rich: true,
            key_label: "ref-1",
            ..base_clone(&base)
        },
        DocSpec {
            name: "ref-1-clone",
            description: "A clone of REF-1: the same files (same SOD, DG14, DG15) on a chip with other CA and AA private keys",
            doc_number: "C01X00T47",
            primary: "MUSTERFRAU",
            secondary: "ERIKA",
            dob: "840812",
            can: Some("123456"),
            pace: Some(("0.4.0.127.0.7.2.2.4.2.2", 13)),
            ca: CaKey::Ec(Curve::Bp256, "0.4.0.127.0.7.2.2.3.2.2"),
            aa: AaKey::Ec(Curve::Bp256),
            rich: true,
            key_label: "ref-1",
            verdict: "clone",
            ..base_clone(&base)
        },
        DocSpec {
            name: "pace-dh-gm-3des",
            description: "PACE-DH-GM with 3DES (1024-bit MODP group, id 0), CA-DH-3DES, AA RSA-2048 with SHA-256 (ISO/IEC 9796-2)",
            doc_number: "D4H5G6M78",
            primary: "DIFFIE",
            secondary: "WHIT",
            dob: "660605",
            sex: "M",
            can: Some("654321"),
            pace: Some(("0.4.0.127.0.7.2.2.4.1.1", 0)),
            ca: CaKey::Dh(2),
            aa: AaKey::Rsa(2048),
            signer: Signer::Ecdsa,
            key_label: "pace-dh-gm-3des",
            quirks: Quirks {
                sw_6b00_on_le_256: true,
                ..Quirks::default()
            },
            ..base_clone(&base)
        },
        DocSpec {
            name: "pace-ecdh-im-aes256-p384",
            description: "PACE-ECDH-IM with AES-256 on NIST P-384, CA-ECDH-AES-256 on P-384",
            doc_number: "P384IM256",
            primary: "INTEGRA",
            secondary: "MARA",
            dob: "910101",
            can: Some("384256"),
            pace: Some(("0.4.0.127.0.7.2.2.4.4.4", 15)),
            ca: CaKey::Ec(Curve::P384, "0.4.0.127.0.7.2.2.3.2.4"),
            signer: Signer::Ecdsa,
            key_label: "pace-ecdh-im-aes256-p384",
            quirks: Quirks {
                pace_requires_parameter_id: true,
                ..Quirks::default()
            },
            ..base_clone(&base)
        },
        DocSpec {
            name: "pace-cam-aes128",
            description: "PACE-ECDH-CAM with AES-128 on brainpoolP256r1; EF.CardSecurity with the chip's CAM key",
            doc_number: "CAM128A01",
            primary: "MAPPING",
            secondary: "CHIP",
            dob: "880229",
            can: Some("128128"),
            pace: Some(("0.4.0.127.0.7.2.2.4.6.2", 13)),
            pace_cam: true,
            ca: CaKey::Ec(Curve::Bp256, "0.4.0.127.0.7.2.2.3.2.2"),
            key_label: "pace-cam-aes128",
            ..base_clone(&base)
        },
        DocSpec {
            name: "td1-id-explicit-curve",
            description: "TD1 identity card with CAN, PIN and PUK; PACE-ECDH-GM-AES-128 on brainpoolP256r1 given as explicit domain parameters (PACEDomainParameterInfo)",
            layout: Layout::Td1,
            doc_number: "T1D000042",
            primary: "KARTE",
            secondary: "IDA",
            dob: "000229",
            can: Some("500540"),
            pin: Some("123456"),
            puk: Some("9876543210"),
            bac: false,
            pace: Some(("0.4.0.127.0.7.2.2.4.2.2", 32)),
            pace_explicit: Some(Curve::Bp256),
            ca: CaKey::Ec(Curve::Bp256, "0.4.0.127.0.7.2.2.3.2.2"),
            signer: Signer::Ecdsa,
            key_label: "td1-id-explicit-curve",
            ..base_clone(&base)
        },
        DocSpec {
            name: "revoked-ds",
            description: "BAC TD3 passport whose SOD is signed by the Document Signer the CSCA ECDSA CRL revokes (keyCompromise)",
            doc_number: "R3V0K3D01",
            primary: "WIDERRUF",
            secondary: "REVA",
            dob: "790707",
            signer: Signer::Revoked,
            key_label: "revoked-ds",
            verdict: "revoked",
            ..base_clone(&base)
        },
        DocSpec {
            name: "expired",
            description: "BAC TD3 passport issued 2016-01-01, expired 2021-01-01; its Document Signer certificate expired 2021-06-01",
            doc_number: "X2016E001",
            primary: "ALTMANN",
            secondary: "EXPIRA",
            dob: "500101",
            doe: "210101",
            issued: "20160101",
            signer: Signer::Expired,
            key_label: "expired",
            verdict: "expired",
            ..base_clone(&base)
        },
    ]
}

fn base_clone(b: &DocSpec) -> DocSpec {
    DocSpec {
        name: b.name,
        description: b.description,
        layout: b.layout,
        doc_number: b.doc_number,
        primary: b.primary,
        secondary: b.secondary,
        dob: b.dob,
        doe: b.doe,
        issued: b.issued,
        sex: b.sex,
        can: b.can,
        pin: b.pin,
        puk: b.puk,
        signer: b.signer,
        bac: b.bac,
        pace: b.pace,
        pace_explicit: b.pace_explicit,
        pace_cam: b.pace_cam,
        ca: CaKey::None,
        aa: AaKey::None,
        rich: b.rich,
        quirks: b.quirks.clone(),
        key_label: b.key_label,
        verdict: b.verdict,
    }
}

/// The LDS tag of data group `n` (Doc 9303-10 Table 34).
fn dg_tag(n: u8) -> Option<u8> {
    const TAGS: [u8; 16] = [
        0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70,
    ];
    TAGS.get(usize::from(n).checked_sub(1)?).copied()
}

fn make_document(spec: &DocSpec, pki: &Pki, keys: &Path, vectors: &Path) -> R<Document> {
    let holder = Holder {
        doc_code: if spec.layout == Layout::Td1 { "ID" } else { "P" },
        issuer: "UTO",
        primary: spec.primary,
        secondary: spec.secondary,
        doc_number: spec.doc_number,
        nationality: "UTO",
        dob: spec.dob,
        sex: spec.sex,
        doe: spec.doe,
        optional: "",
    };
    let lines = match spec.layout {
        Layout::Td3 => lds::td3(&holder)?,
        Layout::Td1 => lds::td1(&holder)?,
    };
    // Chip keys: the clone uses keys derived from its own name.
    let chip_label = if spec.verdict == "clone" {
        spec.name
    } else {
        spec.key_label
    };
    // With PACE-CAM the chip has one static key pair: the CAM key of EF.CardSecurity is the
    // chip authentication key of DG14 (docval requires them equal).
    let ca_label = if spec.pace_cam { "cam" } else { "ca" };
    let ca_key = match &spec.ca {
        CaKey::None => None,
        CaKey::Ec(c, oid) => Some((Key::ec(*c, &format!("{chip_label}/{ca_label}"), false)?, *oid)),
        CaKey::Dh(g) => Some((Key::dh(*g, &format!("{chip_label}/ca"))?, "0.4.0.127.0.7.2.2.3.1.1")),
    };
    // The files always describe the genuine chip's keys.
    let genuine_ca = match &spec.ca {
        CaKey::None => None,
        CaKey::Ec(c, _) => Some(Key::ec(*c, &format!("{}/{ca_label}", spec.key_label), false)?),
        CaKey::Dh(g) => Some(Key::dh(*g, &format!("{}/ca", spec.key_label))?),
    };
    let aa_key = |label: &str| -> R<Option<Key>> {
        Ok(match spec.aa {
            AaKey::None => None,
            AaKey::Ec(c) => Some(Key::ec(c, &format!("{label}/aa"), false)?),
            AaKey::Rsa(bits) => Some(Key::rsa_cached(keys, &format!("{label}-aa-rsa-{bits}"), bits)?),
        })
    };
    let chip_aa = aa_key(chip_label)?;
    let genuine_aa = aa_key(spec.key_label)?;
    let cam_key = if spec.pace_cam {
        Some(Key::ec(Curve::Bp256, &format!("{chip_label}/cam"), false)?)
    } else {
        None
    };

    let mut doc = Document::default();
    let mut dgs: Vec<(u8, Vec<u8>)> = vec![(1, lds::dg1(&lines))];
    if spec.rich {
        let dg2 = std::fs::read(vectors.join("bsi-tr03105-mustermann/Datagroup2.bin"))
            .map_err(|e| format!("DG2 face: {e}"))?;
        dgs.push((2, dg2));
        let p10_dg7 =
            std::fs::read(vectors.join("icao-p10-sample-document/DG7.bin")).map_err(|e| format!("DG7: {e}"))?;
        let image = emrtd_apdu::Tlv::parse(&p10_dg7)
            .ok()
            .and_then(|(t, _)| t.find(emrtd_apdu::Tag(0x5F43)).ok().flatten().map(|i| i.value.to_vec()))
            .ok_or("DG7 sample without 5F43")?;
        dgs.push((7, lds::dg7(&image)));
        dgs.push((
            11,
            lds::dg11(
                &format!("{}<<{}", spec.primary, spec.secondary),
                &format!("19{}", spec.dob),
                "UTOPIA CITY",
            ),
        ));
        dgs.push((12, lds::dg12("UTOPIA PASSPORT OFFICE", spec.issued)));
    }
    // SecurityInfos for EF.CardAccess and DG14.
    let mut card_access: Vec<Vec<u8>> = Vec::new();
    if let Some((proto, pid)) = spec.pace {
        card_access.push(lds::pace_info(proto, pid));
        if let Some(c) = spec.pace_explicit {
            card_access.push(lds::pace_domain_parameter_info(
                "0.4.0.127.0.7.2.2.4.2",
                &pki::explicit_ec_parameters(c)?,
                pid,
            ));
        }
    }
    let mut dg14: Vec<Vec<u8>> = card_access.clone();
    if let (Some(k), CaKey::Ec(_, oid)) = (&genuine_ca, &spec.ca) {
        dg14.push(lds::ca_public_key_info(k, Some(1))?);
        dg14.push(lds::ca_info(oid, Some(1)));
    }
    if let (Some(k), CaKey::Dh(_)) = (&genuine_ca, &spec.ca) {
        dg14.push(lds::ca_public_key_info(k, Some(1))?);
        dg14.push(lds::ca_info("0.4.0.127.0.7.2.2.3.1.1", Some(1)));
    }
    if let (Some(_), AaKey::Ec(_)) = (&genuine_aa, &spec.aa) {
        dg14.push(lds::aa_info(lds::ECDSA_PLAIN_SHA256));
    }
    if !dg14.is_empty() {
        let refs: Vec<&[u8]> = dg14.iter().map(Vec::as_slice).collect();
        dgs.push((14, tlv(0x6E, &set_of(&refs))));
    }
    if let Some(k) = &genuine_aa {
        dgs.push((15, lds::dg15(k)?));
    }
    dgs.sort_by_key(|(n, _)| *n);
    let tags: Vec<u8> = dgs.iter().filter_map(|(n, _)| dg_tag(*n)).collect();
    doc.put(0x011E, lds::ef_com(&tags));
    for (n, content) in &dgs {
        doc.put(0x0100 | u16::from(*n), content.clone());
    }
    let (signer, alg) = match spec.signer {
        Signer::RsaPkcs1 => (&pki.ds_rsa_pkcs1, SigAlg::RsaPkcs1Sha256),
        Signer::RsaPss => (&pki.ds_rsa_pss, SigAlg::RsaPssSha256),
        Signer::Ecdsa => (&pki.ds_ec, SigAlg::EcdsaSha256),
        Signer::Revoked => (&pki.ds_revoked, SigAlg::EcdsaSha256),
        Signer::Expired => (&pki.ds_expired, SigAlg::RsaPkcs1Sha256),
    };
    let dg_refs: Vec<(u8, &[u8])> = dgs.iter().map(|(n, c)| (*n, c.as_slice())).collect();
    let mut rng = SeededRng::new(format!("docval-fixtures/sod/{}", spec.key_label).as_bytes());
    let signing_time = format!("{}000000", spec.issued);
    let sod = pki::signed_data(
        "2.23.136.1.1.1",
        &lds::lds_security_object(&dg_refs),
        (&signer.0, &signer.1),
        alg,
        &signing_time,
        &mut rng,
    )?;
    doc.put(0x011D, tlv(0x77, &sod));
    if !card_access.is_empty() {
        let refs: Vec<&[u8]> = card_access.iter().map(Vec::as_slice).collect();
        doc.put_in(Df::Mf, 0x011C, set_of(&refs));
    }
    if let Some(k) = &cam_key {
        // EF.CardSecurity: the SecurityInfos of EF.CardAccess plus the chip's CAM/CA key, signed.
        let mut infos = card_access.clone();
        infos.push(lds::ca_public_key_info(k, Some(1))?);
        let refs: Vec<&[u8]> = infos.iter().map(Vec::as_slice).collect();
        let content = set_of(&refs);
        let cs = pki::signed_data(
            "0.4.0.127.0.7.3.2.1",
            &content,
            (&signer.0, &signer.1),
            alg,
            &signing_time,
            &mut rng,
        )?;
        doc.put_in(Df::Mf, 0x011D, cs);
    }
    if spec.rich {
        doc.put_in(Df::Mf, 0x2F01, lds::ef_atr_info(0x0500, 0x0500));
    }
    if spec.rich || spec.layout == Layout::Td1 {
        // EF.DIR: one application template with the eMRTD AID.
        doc.put_in(Df::Mf, 0x2F00, tlv(0x61, &tlv(0x4F, &emrtd_sim::EMRTD_AID)));
    }

    let mut dg_numbers: Vec<u8> = dgs.iter().map(|(n, _)| *n).collect();
    dg_numbers.sort_unstable();
    let ds_file = match spec.signer {
        Signer::RsaPkcs1 => "ds-rsa-pkcs1.cer",
        Signer::RsaPss => "ds-rsa-pss.cer",
        Signer::Ecdsa => "ds-ecdsa.cer",
        Signer::Revoked => "ds-ecdsa-revoked.cer",
        Signer::Expired => "ds-rsa-expired.cer",
    };
    let hexkey =
        |k: &Option<Key>| -> R<Option<String>> { k.as_ref().map(|k| k.pkcs8().map(hex::encode_upper)).transpose() };
    doc.manifest = Manifest {
        name: spec.name.to_string(),
        description: spec.description.to_string(),
        document_type: if spec.layout == Layout::Td1 { "TD1" } else { "TD3" }.to_string(),
        can: spec.can.map(str::to_string),
        pin: spec.pin.map(str::to_string),
        puk: spec.puk.map(str::to_string),
        rng_seed: Some(spec.name.to_string()),
        mrz: Some(MrzData {
            lines,
            document_number: spec.doc_number.to_string(),
            date_of_birth: spec.dob.to_string(),
            date_of_expiry: spec.doe.to_string(),
        }),
        access: emrtd_sim::manifest::Access {
            bac: spec.bac,
            pace: spec.pace.is_some(),
            require_sm: true,
        },
        keys: emrtd_sim::manifest::ChipKeys {
            ca_private_key: hexkey(&ca_key.map(|(k, _)| k))?,
            ca_key_id: genuine_ca.as_ref().map(|_| 1),
            aa_private_key: hexkey(&chip_aa)?,
            pace_cam_private_key: hexkey(&cam_key)?,
        },
        quirks: spec.quirks.clone(),
        expect: emrtd_sim::manifest::Expect {
            verdict: spec.verdict.to_string(),
            data_groups: dg_numbers,
            document_signer: ds_file.to_string(),
        },
        adversarial: Vec::new(),
        files: Vec::new(),
    };
    Ok(doc)
}

/// Generates everything into `out` (`pki/...`, `documents/...`); returns the relative paths.
pub fn generate(out: &Path, keys: &Path, vectors: &Path) -> R<Vec<String>> {
    let mut written = Vec::new();
    let pki = make_pki(out, keys, &mut written)?;
    let _ = (&pki.csca_rsa, &pki.csca_ec);
    for spec in docs() {
        let doc = make_document(&spec, &pki, keys, vectors)?;
        let dir = out.join("documents").join(spec.name);
        doc.write_dir(&dir).map_err(|e| e.to_string())?;
        written.push(format!("documents/{}/manifest.toml", spec.name));
        for f in doc.file_specs() {
            written.push(format!("documents/{}/{}", spec.name, f.path));
        }
        if matches!(spec.name, "ref-1" | "td1-id-explicit-curve") {
            // The same card as an AusweisApp simulator description (SET_CARD "simulator").
            let json = emrtd_sim::ausweisapp::Simulator::from_document(&doc)
                .to_json()
                .map_err(|e| e.to_string())?;
            let rel = format!("documents/{}/ausweisapp-simulator.json", spec.name);
            write(out, &rel, format!("{json}\n").as_bytes(), &mut written)?;
        }
    }
    written.sort();
    Ok(written)
}

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(|p| p.join("fixtures"))
        .unwrap_or_else(|| PathBuf::from("fixtures"))
}

fn list_generated(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.join("pki"), root.join("documents")];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n == "keys") {
                    continue;
                }
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(root) {
                let rel = rel.to_string_lossy().replace('\\', "/");
                if !rel.ends_with("README.md") {
                    out.push(rel);
                }
            }
        }
    }
    out.sort();
    out
}

/// Regenerates into a temporary directory and compares with the committed fixtures.
pub fn check() -> R<()> {
    let root = fixtures_root();
    let tmp = std::env::temp_dir().join(format!("docval-fixtures-check-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let result = (|| {
        let generated = generate(&tmp, &root.join("pki/keys"), &root.join("vectors"))?;
        let committed = list_generated(&root);
        let mut problems = Vec::new();
        for rel in &generated {
            let a = std::fs::read(tmp.join(rel)).map_err(|e| e.to_string())?;
            match std::fs::read(root.join(rel)) {
                Ok(b) if a == b => {}
                Ok(_) => problems.push(format!("differs: {rel}")),
                Err(_) => problems.push(format!("missing: {rel}")),
            }
        }
        for rel in committed.iter().filter(|r| !generated.contains(r)) {
            problems.push(format!("not generated (stale): {rel}"));
        }
        if problems.is_empty() {
            println!("fixtures: {} generated files match the committed ones", generated.len());
            Ok(())
        } else {
            Err(format!(
                "fixtures differ from `cargo xtask fixtures`:\n  {}",
                problems.join("\n  ")
            ))
        }
    })();
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

/// `cargo xtask fixtures [--check]`.
pub fn run(args: &[String]) -> R<()> {
    if args.iter().any(|a| a == "--check") {
        return check();
    }
    let root = fixtures_root();
    let generated = generate(&root, &root.join("pki/keys"), &root.join("vectors"))?;
    for rel in list_generated(&root).iter().filter(|r| !generated.contains(r)) {
        eprintln!("fixtures: removing stale {rel}");
        let _ = std::fs::remove_file(root.join(rel));
    }
    println!("fixtures: wrote {} files under {}", generated.len(), root.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn cargo_xtask_fixtures_reproduces_the_committed_fixtures_byte_for_byte() {
        super::check().unwrap();
    }
}
