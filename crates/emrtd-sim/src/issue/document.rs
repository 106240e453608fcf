//! [`DocumentSpec`] and [`issue_document`]: a complete virtual document (LDS files, EF.SOD,
//! EF.CardAccess, EF.CardSecurity, chip keys, manifest) from a description.

use super::R;
use super::der::{set_of, tlv};
use super::lds::{self, Holder};
use super::pki::{self, Cert, Curve, Key, SigAlg};
use crate::manifest::{Access, ChipKeys, Expect};
use crate::{Adversarial, Df, Document, Manifest, MrzData, Quirks, SeededRng};
use std::path::Path;

/// The MRZ layout of the document (Doc 9303-4 TD3 passport, Doc 9303-5 TD1 card).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Layout {
    /// Passport booklet: two lines of 44 characters, document code `P`.
    #[default]
    Td3,
    /// Identity card: three lines of 30 characters, document code `ID`.
    Td1,
}

/// The chip authentication key of the document (DG14).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CaKey<'a> {
    /// No chip authentication.
    #[default]
    None,
    /// ECDH on `curve` with the ChipAuthenticationInfo protocol OID given.
    Ec(Curve, &'a str),
    /// DH in standardized group `n` (0..2), CA-DH-3DES.
    Dh(u32),
}

/// The active authentication key of the document (DG15).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AaKey {
    /// No active authentication.
    #[default]
    None,
    /// ECDSA on the curve (plain signatures with SHA-256, announced in DG14).
    Ec(Curve),
    /// RSA of this many bits (ISO/IEC 9796-2); slow to generate without a key store.
    Rsa(usize),
}

/// Data groups a "rich" document carries besides DG1, DG11 and DG12.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RichData {
    /// DG2 (the face), complete with its tag.
    pub dg2: Vec<u8>,
    /// The displayed signature image of DG7 (DO'5F43 content).
    pub dg7_image: Vec<u8>,
}

/// The description of a document to issue. [`DocumentSpec::default`] is a TD3 passport of
/// Utopia (`UTO`) with BAC only; fill in at least the holder and document fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentSpec<'a> {
    /// Name of the document (manifest `name`, seed of the chip's random generator).
    pub name: &'a str,
    /// One line describing the document (manifest `description`).
    pub description: &'a str,
    /// TD3 or TD1.
    pub layout: Layout,
    /// Issuing state (three letters).
    pub issuer: &'a str,
    /// Nationality of the holder (three letters).
    pub nationality: &'a str,
    /// Document number, up to 9 characters (A-Z, 0-9, `<`).
    pub doc_number: &'a str,
    /// Primary identifier (surname).
    pub primary: &'a str,
    /// Secondary identifier (given names).
    pub secondary: &'a str,
    /// Date of birth, YYMMDD.
    pub dob: &'a str,
    /// Date of expiry, YYMMDD.
    pub doe: &'a str,
    /// Date of issue, YYYYMMDD (the SOD's signing time; DG12 of a rich document).
    pub issued: &'a str,
    /// `M`, `F` or `<` (unspecified).
    pub sex: &'a str,
    /// Card access number.
    pub can: Option<&'a str>,
    /// PIN (eID cards).
    pub pin: Option<&'a str>,
    /// PUK (eID cards).
    pub puk: Option<&'a str>,
    /// Whether the chip offers BAC.
    pub bac: bool,
    /// PACEInfo protocol OID and parameter id (explicit curve when `pace_explicit`).
    pub pace: Option<(&'a str, u32)>,
    /// The PACE curve given as explicit domain parameters (PACEDomainParameterInfo).
    pub pace_explicit: Option<Curve>,
    /// PACE with chip authentication mapping: EF.CardSecurity carries the chip's key, which is
    /// also the chip authentication key.
    pub pace_cam: bool,
    /// Chip authentication key.
    pub ca: CaKey<'a>,
    /// Active authentication key.
    pub aa: AaKey,
    /// DG2 and DG7 (and then DG11, DG12, EF.ATR/INFO, EF.DIR) when given.
    pub rich: Option<&'a RichData>,
    /// Quirks of the chip.
    pub quirks: Quirks,
    /// Seed label of the keys the files announce (DG14, DG15, EF.CardSecurity).
    pub key_label: &'a str,
    /// Seed label of the chip's private keys when they differ from the announced ones (a
    /// clone: the same files on a chip with other keys). `None`: the chip holds `key_label`'s.
    pub chip_key_label: Option<&'a str>,
    /// What a verifier should conclude (manifest `expect.verdict`: "valid", "clone", ...).
    pub verdict: &'a str,
    /// Adversarial modes written to the manifest.
    pub adversarial: Vec<Adversarial>,
}

impl Default for DocumentSpec<'_> {
    fn default() -> Self {
        DocumentSpec {
            name: "",
            description: "",
            layout: Layout::Td3,
            issuer: "UTO",
            nationality: "UTO",
            doc_number: "",
            primary: "",
            secondary: "",
            dob: "",
            doe: "",
            issued: "20260101",
            sex: "<",
            can: None,
            pin: None,
            puk: None,
            bac: true,
            pace: None,
            pace_explicit: None,
            pace_cam: false,
            ca: CaKey::None,
            aa: AaKey::None,
            rich: None,
            quirks: Quirks::default(),
            key_label: "",
            chip_key_label: None,
            verdict: "valid",
            adversarial: Vec::new(),
        }
    }
}

/// The Document Signer that signs EF.SOD (and EF.CardSecurity).
#[derive(Clone, Copy)]
pub struct DocumentSigner<'a> {
    /// Its certificate (embedded in the SignedData).
    pub cert: &'a Cert,
    /// Its private key.
    pub key: &'a Key,
    /// The signature algorithm of the SOD.
    pub alg: SigAlg,
    /// A name for the manifest (`expect.document_signer`, e.g. the certificate's file name).
    pub name: &'a str,
}

/// The LDS tag of data group `n` (Doc 9303-10 Table 34).
fn dg_tag(n: u8) -> Option<u8> {
    const TAGS: [u8; 16] = [
        0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70,
    ];
    TAGS.get(usize::from(n).checked_sub(1)?).copied()
}

/// Issues the document `spec` signed by `signer`. RSA active authentication keys are loaded
/// from (or stored in) `key_store` when given. The spec is not validated here (see
/// [`super::validate`] for hostile input); values the MRZ cannot carry give an error.
pub fn issue_document(spec: &DocumentSpec<'_>, signer: &DocumentSigner<'_>, key_store: Option<&Path>) -> R<Document> {
    let holder = Holder {
        doc_code: if spec.layout == Layout::Td1 { "ID" } else { "P" },
        issuer: spec.issuer,
        primary: spec.primary,
        secondary: spec.secondary,
        doc_number: spec.doc_number,
        nationality: spec.nationality,
        dob: spec.dob,
        sex: spec.sex,
        doe: spec.doe,
        optional: "",
    };
    let lines = match spec.layout {
        Layout::Td3 => lds::td3(&holder)?,
        Layout::Td1 => lds::td1(&holder)?,
    };
    let chip_label = spec.chip_key_label.unwrap_or(spec.key_label);
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
            AaKey::Rsa(bits) => {
                let name = format!("{label}-aa-rsa-{bits}");
                Some(match key_store {
                    Some(dir) => Key::rsa_cached(dir, &name, bits)?,
                    None => Key::rsa_seeded(&name, bits)?,
                })
            }
        })
    };
    let chip_aa = aa_key(chip_label)?;
    let genuine_aa = aa_key(spec.key_label)?;
    let cam_curve = match spec.ca {
        CaKey::Ec(c, _) => c,
        _ => Curve::Bp256,
    };
    let cam_key = if spec.pace_cam {
        Some(Key::ec(cam_curve, &format!("{chip_label}/cam"), false)?)
    } else {
        None
    };

    let mut doc = Document::default();
    let mut dgs: Vec<(u8, Vec<u8>)> = vec![(1, lds::dg1(&lines))];
    if let Some(rich) = spec.rich {
        dgs.push((2, rich.dg2.clone()));
        dgs.push((7, lds::dg7(&rich.dg7_image)));
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
    let dg_refs: Vec<(u8, &[u8])> = dgs.iter().map(|(n, c)| (*n, c.as_slice())).collect();
    let mut rng = SeededRng::new(format!("docval-fixtures/sod/{}", spec.key_label).as_bytes());
    let signing_time = format!("{}000000", spec.issued);
    let sod = pki::signed_data(
        "2.23.136.1.1.1",
        &lds::lds_security_object(&dg_refs),
        (signer.cert, signer.key),
        signer.alg,
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
            (signer.cert, signer.key),
            signer.alg,
            &signing_time,
            &mut rng,
        )?;
        doc.put_in(Df::Mf, 0x011D, cs);
    }
    if spec.rich.is_some() {
        doc.put_in(Df::Mf, 0x2F01, lds::ef_atr_info(0x0500, 0x0500));
    }
    if spec.rich.is_some() || spec.layout == Layout::Td1 {
        // EF.DIR: one application template with the eMRTD AID.
        doc.put_in(Df::Mf, 0x2F00, tlv(0x61, &tlv(0x4F, &crate::EMRTD_AID)));
    }

    let mut dg_numbers: Vec<u8> = dgs.iter().map(|(n, _)| *n).collect();
    dg_numbers.sort_unstable();
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
        access: Access {
            bac: spec.bac,
            pace: spec.pace.is_some(),
            require_sm: true,
        },
        keys: ChipKeys {
            ca_private_key: hexkey(&ca_key.map(|(k, _)| k))?,
            ca_key_id: genuine_ca.as_ref().map(|_| 1),
            aa_private_key: hexkey(&chip_aa)?,
            pace_cam_private_key: hexkey(&cam_key)?,
        },
        quirks: spec.quirks.clone(),
        expect: Expect {
            verdict: spec.verdict.to_string(),
            data_groups: dg_numbers,
            document_signer: signer.name.to_string(),
        },
        adversarial: spec.adversarial.clone(),
        files: Vec::new(),
    };
    Ok(doc)
}
