//! The specimen data sets parse completely; DG1 fields equal the printed values.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use emrtd_lds::biometric::{BdbFormat, ImageType};
use emrtd_lds::dg1::MrzFormat;
use emrtd_lds::pubkey::{EcParams, PublicKey};
use emrtd_lds::{FileHint, LdsFile};
use std::path::PathBuf;

fn read(p: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/vectors")
        .join(p);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn parse(p: &str) -> LdsFile {
    LdsFile::parse(&read(p), None).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn dg1(p: &str) -> emrtd_lds::dg1::Mrz {
    match parse(p) {
        LdsFile::Dg1(d) => d.mrz,
        other => panic!("{p}: {other:?}"),
    }
}

#[test]
fn bsi_tr03105_all_files_parse() {
    let dir = "bsi-tr03105-mustermann";
    for (f, kind) in [
        ("EF_COM.bin", "EF.COM"),
        ("Datagroup1.bin", "DG1"),
        ("Datagroup2.bin", "DG2"),
        ("Datagroup3.bin", "DG3"),
        ("Datagroup4.bin", "DG4"),
        ("Datagroup14.bin", "DG14"),
        ("Datagroup15.bin", "DG15"),
        ("EF_SOD.bin", "EF.SOD"),
    ] {
        assert_eq!(parse(&format!("{dir}/{f}")).kind(), kind, "{f}");
    }
    let LdsFile::Com(com) = parse(&format!("{dir}/EF_COM.bin")) else {
        panic!()
    };
    assert_eq!(com.lds_version, "0107");
    assert_eq!(com.unicode_version, "040000");
    assert_eq!(com.data_groups, vec![1, 2, 3, 4, 14]);
}

#[test]
fn bsi_tr03105_dg1_printed_values() {
    let m = dg1("bsi-tr03105-mustermann/Datagroup1.bin");
    assert_eq!(m.format, MrzFormat::Td3);
    assert_eq!(m.document_code, "P<");
    assert_eq!(m.issuing_state, "D<<");
    assert_eq!(m.primary_identifier, "MUSTERMANN");
    assert_eq!(m.secondary_identifier, "ERIKA");
    assert_eq!(m.document_number, "C11T002JM");
    assert_eq!(m.nationality, "D<<");
    assert_eq!(m.date_of_birth, "960812");
    assert_eq!(m.sex, "F");
    assert_eq!(m.date_of_expiry, "231031");
    assert!(m.check_digits_valid(), "{:?}", m.check_digits);
    assert_eq!(m.check_digits.len(), 5);
}

#[test]
fn bsi2008_dg1_printed_values() {
    let m = dg1("bsi2008-mustermann/Datagroup1.bin");
    assert_eq!(m.primary_identifier, "MUSTERMANN");
    assert_eq!(m.secondary_identifier, "ERIKA");
    assert_eq!(m.document_number, "C11T002JM");
    assert_eq!(m.date_of_birth, "960812");
    assert_eq!(m.date_of_expiry, "131031");
    assert!(m.check_digits_valid(), "{:?}", m.check_digits);
}

#[test]
fn nl_specimen_2006_dg1_printed_values() {
    let m = dg1("nl-specimen-2006/ef0101.bin");
    assert_eq!(m.format, MrzFormat::Td3);
    assert_eq!(m.issuing_state, "NLD");
    assert_eq!(m.primary_identifier, "MEULENDIJK");
    assert_eq!(m.secondary_identifier, "LOES ALBERTINE");
    assert_eq!(m.document_number, "XX0001328");
    assert_eq!(m.nationality, "NLD");
    assert_eq!(m.date_of_birth, "711019");
    assert_eq!(m.sex, "F");
    assert_eq!(m.date_of_expiry, "111001");
    assert_eq!(m.optional_data, "123456789<<<<<");
    assert!(m.check_digits_valid(), "{:?}", m.check_digits);
}

#[test]
fn icao_p10_td2_dg1_printed_values() {
    let m = dg1("icao-p10-sample-document/DG1.bin");
    assert_eq!(m.format, MrzFormat::Td2);
    assert_eq!(m.document_code, "I<");
    assert_eq!(m.issuing_state, "UTO");
    assert_eq!(m.primary_identifier, "ERIKSSON");
    assert_eq!(m.secondary_identifier, "ANNA MARIA");
    assert_eq!(m.document_number, "D23145890");
    assert_eq!(m.date_of_birth, "740812");
    assert_eq!(m.date_of_expiry, "120415");
    assert!(m.check_digits_valid(), "{:?}", m.check_digits);
}

#[test]
fn bsi_dg2_is_19794_5_with_a_jp2_face() {
    let LdsFile::Biometric(dg2) = parse("bsi-tr03105-mustermann/Datagroup2.bin") else {
        panic!()
    };
    assert_eq!(dg2.data_group, 2);
    assert_eq!(dg2.templates.len(), 1);
    let t = &dg2.templates[0];
    assert_eq!(t.format, BdbFormat::Iso19794_5);
    assert_eq!(t.header.format_type.as_deref(), Some(&[0x00, 0x08][..]));
    let faces: Vec<_> = dg2.faces().collect();
    assert_eq!(faces.len(), 1);
    assert_eq!(faces[0].image_type, ImageType::Jp2);
    assert_eq!(faces[0].image_data_type, Some(1));
    assert_eq!((faces[0].width, faces[0].height), (Some(337), Some(449)));
    assert_eq!(faces[0].image.len(), faces[0].image_len);
}

#[test]
fn dg3_dg4_headers() {
    for (f, dg, rec) in [("Datagroup3.bin", 3, "FIR"), ("Datagroup4.bin", 4, "IIR")] {
        let LdsFile::Biometric(b) = parse(&format!("bsi-tr03105-mustermann/{f}")) else {
            panic!()
        };
        assert_eq!(b.data_group, dg);
        assert!(!b.templates.is_empty());
        assert_eq!(b.templates[0].record_format.as_deref(), Some(rec), "{f}");
        assert!(b.templates[0].header.biometric_type.is_some());
    }
}

#[test]
fn icao_p10_jpeg_face_and_other_groups() {
    let LdsFile::Biometric(dg2) = parse("icao-p10-sample-document/DG2.bin") else {
        panic!()
    };
    let face = dg2.faces().next().unwrap();
    assert_eq!(face.image_type, ImageType::Jpeg);
    let LdsFile::Displayed(dg7) = parse("icao-p10-sample-document/DG7.bin") else {
        panic!()
    };
    assert_eq!(dg7.data_group, 7);
    assert_eq!(dg7.images.len(), 1);
    assert_eq!(dg7.images[0].image_type, ImageType::Jpeg);
    let LdsFile::Additional(dg11) = parse("icao-p10-sample-document/DG11.bin") else {
        panic!()
    };
    assert_eq!(dg11.get("full_name"), Some("SMITH<<JOHN<J"));
    assert_eq!(dg11.get("place_of_birth"), Some("ANYTOWN<MN"));
    assert_eq!(dg11.get("telephone"), Some("16125551212"));
    assert_eq!(dg11.get("profession"), Some("TRAVEL<AGENT"));
    assert_eq!(dg11.tag_list, ["5F0E", "5F11", "5F42", "5F12", "5F13"]);
    let LdsFile::Additional(dg12) = parse("icao-p10-sample-document/DG12.bin") else {
        panic!()
    };
    assert_eq!(dg12.get("date_and_time_of_personalization"), Some("20161115013612"));
    assert_eq!(dg12.get("personalization_system_serial_number"), Some("N-4962"));
    let LdsFile::Dg13(dg13) = parse("icao-p10-sample-document/DG13.bin") else {
        panic!()
    };
    assert_eq!(dg13.content, hex::decode("0123456789012345678900").unwrap()[..10]);
    let LdsFile::Dg16(dg16) = parse("icao-p10-sample-document/DG16.bin") else {
        panic!()
    };
    assert_eq!(dg16.persons.len(), 2);
    assert_eq!(dg16.persons[0].name.as_deref(), Some("SMITH<<CHARLES<R"));
    assert_eq!(dg16.persons[1].date_recorded.as_deref(), Some("20020315"));
    let LdsFile::Com(com) = parse("icao-p10-sample-document/EF.COM.bin") else {
        panic!()
    };
    assert_eq!(com.data_groups, vec![1, 2]);
    assert_eq!(parse("icao-p10-sample-document/EF.SOD_AT_real.bin").kind(), "EF.SOD");
}

#[test]
fn dg15_keys_parse() {
    let LdsFile::Dg15(k) = parse("bsi-tr03105-mustermann/Datagroup15.bin") else {
        panic!()
    };
    assert!(
        matches!(k.public_key.key, PublicKey::Rsa { bits: 1024, .. }),
        "{:?}",
        k.public_key.key
    );
    let LdsFile::Dg15(k) = parse("nl-specimen-2006/ef010F.bin") else {
        panic!()
    };
    assert!(matches!(k.public_key.key, PublicKey::Rsa { bits: 1024, .. }));
    let LdsFile::Dg15(k) = parse("real-dg14-cardaccess/AA_RSA1792_DG15.bin") else {
        panic!()
    };
    assert!(matches!(k.public_key.key, PublicKey::Rsa { bits: 1792, .. }));
    let LdsFile::Dg15(k) = parse("icao-p10-sample-document/DG15.bin") else {
        panic!()
    };
    let _ = k;
}

#[test]
fn dg14_keys_parse() {
    for f in [
        "bsi-tr03105-mustermann/Datagroup14.bin",
        "bsi2008-mustermann/Datagroup14.bin",
        "icao-p10-sample-document/DG14.bin",
    ] {
        let LdsFile::SecurityInfos(s) = parse(f) else {
            panic!("{f}")
        };
        assert_eq!(s.file, "DG14");
        let keys: Vec<_> = s.summary.iter().filter_map(|i| i.public_key.as_ref()).collect();
        assert!(!keys.is_empty(), "{f}: {:?}", s.summary);
        for k in keys {
            assert!(!matches!(k.key, PublicKey::Other { .. }), "{f}");
        }
    }
    // The BSI CA key uses explicit brainpoolP224r1 parameters.
    let LdsFile::SecurityInfos(s) = parse("bsi-tr03105-mustermann/Datagroup14.bin") else {
        panic!()
    };
    let key = s.summary.iter().find_map(|i| i.public_key.as_ref()).unwrap();
    match &key.key {
        PublicKey::Ec { params, point } => {
            assert_eq!(point.len(), 57);
            assert!(matches!(params, EcParams::Explicit { .. } | EcParams::Named { .. }));
            assert_eq!(params.name(), Some("brainpoolP224r1"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn card_access_and_card_security_parse() {
    for f in [
        "real-dg14-cardaccess/AT_EF.CardAccess.bin",
        "real-dg14-cardaccess/DE_EF.CardAccess.bin",
    ] {
        let LdsFile::SecurityInfos(s) = LdsFile::parse(&read(f), Some(FileHint::CardAccess)).unwrap() else {
            panic!()
        };
        assert!(s.summary.iter().any(|i| i.kind == "PACEInfo"), "{f}");
    }
    for f in ["real-sod/DE_EF.CardSecurity.bin", "real-sod/FI_EF.CardSecurity.bin"] {
        let LdsFile::SecurityInfos(s) = parse(f) else { panic!() };
        assert_eq!(s.file, "EF.CardSecurity");
        assert!(s.signed_data.is_some());
        assert!(
            s.summary.iter().any(|i| i.kind == "ChipAuthenticationPublicKeyInfo"),
            "{f}"
        );
    }
}

#[test]
fn nl_specimen_files() {
    let LdsFile::Biometric(dg2) = parse("nl-specimen-2006/ef0102.bin") else {
        panic!()
    };
    let face = dg2.faces().next().unwrap();
    assert_eq!(face.image_type, ImageType::Jp2);
    let LdsFile::Com(com) = parse("nl-specimen-2006/ef011E.bin") else {
        panic!()
    };
    assert_eq!(com.data_groups, vec![1, 2, 15]);
    let LdsFile::Sod(sod) = parse("nl-specimen-2006/ef011D.bin") else {
        panic!()
    };
    let dgs: Vec<u8> = sod
        .lds_security_object
        .data_group_hashes
        .iter()
        .map(|h| h.number)
        .collect();
    assert_eq!(dgs, vec![1, 2, 15]);
}

#[test]
fn atr_info_and_dir() {
    // EF.ATR/INFO with extended length information: 7F66 { 02 max command, 02 max response }.
    let atr = hex::decode("7F66080202FFFF02020400470300F8E0").unwrap();
    let LdsFile::AtrInfo(a) = LdsFile::parse(&atr, Some(FileHint::AtrInfo)).unwrap() else {
        panic!()
    };
    let e = a.extended_length_info.unwrap();
    assert_eq!(e.max_command_length, Some(0xFFFF));
    assert_eq!(e.max_response_length, Some(0x0400));
    assert_eq!(a.card_capabilities.as_deref(), Some(&[0x00, 0xF8, 0xE0][..]));
    let dir = hex::decode("610C4F07A0000002471001500145").unwrap();
    let LdsFile::Dir(d) = LdsFile::parse(&dir, Some(FileHint::Dir)).unwrap() else {
        panic!()
    };
    assert_eq!(d.applications[0].application, Some("ICAO eMRTD (LDS1)"));
}

#[test]
fn sod_structure() {
    let LdsFile::Sod(sod) = parse("bsi-tr03105-mustermann/EF_SOD.bin") else {
        panic!()
    };
    assert_eq!(sod.lds_security_object.hash_algorithm.oid, "2.16.840.1.101.3.4.2.1");
    assert_eq!(sod.signed_data.certificates.len(), 1);
    let si = &sod.signed_data.signer_infos[0];
    assert_eq!(si.signature_algorithm.oid, "1.2.840.113549.1.1.10");
    let sa = si.signed_attributes.as_ref().unwrap();
    assert_eq!(sa.content_type.as_deref(), Some("2.23.136.1.1.1"));
    assert_eq!(sa.to_be_signed[0], 0x31);
    assert_eq!(sa.to_be_signed[1..], sa.raw[1..]);
}

fn facial_record(image: &[u8], w: u16, h: u16) -> Vec<u8> {
    let block_len = (20 + 12 + image.len()) as u32;
    let mut r = block_len.to_be_bytes().to_vec();
    r.extend([0, 0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // facial information (20 bytes with the length)
    r.extend([1, 0]); // full frontal, JPEG
    r.extend(w.to_be_bytes());
    r.extend(h.to_be_bytes());
    r.extend([1, 2, 0, 0, 0, 0]);
    r.extend(image);
    r
}

fn wrap(tag: &[u8], value: &[u8]) -> Vec<u8> {
    let mut v = tag.to_vec();
    let n = value.len();
    if n < 0x80 {
        v.push(n as u8);
    } else {
        v.extend([0x82, (n >> 8) as u8, n as u8]);
    }
    v.extend(value);
    v
}

#[test]
fn dg2_with_several_faces_and_templates() {
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
    let j2k = [0xFF, 0x4F, 0xFF, 0x51, 9, 9];
    let r1 = facial_record(&jpeg, 100, 120);
    let r2 = facial_record(&j2k, 200, 240);
    let mut rec = b"FAC\x00010\x00".to_vec();
    rec.extend(((14 + r1.len() + r2.len()) as u32).to_be_bytes());
    rec.extend(2u16.to_be_bytes());
    rec.extend(&r1);
    rec.extend(&r2);
    let header = wrap(&[0xA1], &[0x87, 0x02, 0x01, 0x01, 0x88, 0x02, 0x00, 0x08]);
    let bit1 = wrap(&[0x7F, 0x60], &[header.clone(), wrap(&[0x5F, 0x2E], &rec)].concat());
    // A second template in ISO/IEC 39794-5 form: a DER tree holding the image.
    let tree = wrap(
        &[0xA1],
        &wrap(&[0x30], &[wrap(&[0x80], &[1]), wrap(&[0x81], &jpeg)].concat()),
    );
    let header2 = wrap(&[0xA1], &[0x87, 0x02, 0x01, 0x01, 0x88, 0x02, 0x00, 0x40]);
    let bit2 = wrap(&[0x7F, 0x60], &[header2, wrap(&[0x7F, 0x2E], &tree)].concat());
    let group = wrap(&[0x7F, 0x61], &[wrap(&[0x02], &[2]), bit1, bit2].concat());
    let dg2 = wrap(&[0x75], &group);
    let LdsFile::Biometric(b) = LdsFile::parse(&dg2, None).unwrap() else {
        panic!()
    };
    assert_eq!(b.templates.len(), 2);
    assert_eq!(b.templates[0].format, BdbFormat::Iso19794_5);
    assert_eq!(b.templates[1].format, BdbFormat::Iso39794_5);
    let faces: Vec<_> = b.faces().collect();
    assert_eq!(faces.len(), 3);
    assert_eq!(
        (faces[0].image_type, faces[0].width, faces[0].height),
        (ImageType::Jpeg, Some(100), Some(120))
    );
    assert_eq!(
        (faces[1].image_type, faces[1].width, faces[1].height),
        (ImageType::J2k, Some(200), Some(240))
    );
    assert_eq!(faces[1].image, j2k);
    assert_eq!(faces[0].eye_colour, Some(2));
    assert_eq!(faces[2].image_type, ImageType::Jpeg);
    assert_eq!(faces[2].image, jpeg);
    // The offset points at the image inside the biometric data block.
    let data = &b.templates[1].data;
    assert_eq!(&data[faces[2].image_offset..faces[2].image_offset + jpeg.len()], &jpeg);
    let data = &b.templates[0].data;
    assert_eq!(&data[faces[1].image_offset..faces[1].image_offset + j2k.len()], &j2k);
}

#[test]
fn ec_dg15_of_the_virtual_reference_document() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/documents/ref-1/010F.bin");
    let LdsFile::Dg15(k) = LdsFile::parse(&std::fs::read(path).unwrap(), None).unwrap() else {
        panic!()
    };
    match &k.public_key.key {
        PublicKey::Ec { params, point } => {
            assert_eq!(params.name(), Some("brainpoolP256r1"));
            assert_eq!(point.len(), 65);
            assert_eq!(params.domain().unwrap().field_len(), 32);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn real_ef_dir_and_atr_info() {
    let LdsFile::Dir(d) = LdsFile::parse(&read("de-eid-simulator/sim_2f00_EF.DIR.bin"), Some(FileHint::Dir)).unwrap()
    else {
        panic!()
    };
    assert_eq!(d.applications.len(), 4);
    assert_eq!(d.applications[0].label.as_deref(), Some("CIA zu DF.eSign"));
    let names: Vec<_> = d.applications.iter().map(|a| a.application).collect();
    assert_eq!(
        names,
        [
            None,
            Some("ICAO eMRTD (LDS1)"),
            Some("eID (BSI TR-03110)"),
            Some("eSign")
        ]
    );
    // EF.ATR/INFO of the project's virtual reference document.
    let atr = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/documents/ref-1/2F01.bin"))
        .unwrap();
    let LdsFile::AtrInfo(a) = LdsFile::parse(&atr, None).unwrap() else {
        panic!()
    };
    let e = a.extended_length_info.unwrap();
    assert_eq!(
        (e.max_command_length, e.max_response_length),
        (Some(0x0500), Some(0x0500))
    );
}

#[test]
fn real_sods_v0_and_v1() {
    for (f, version, hash, dgs) in [
        ("AT_EF.SOD.bin", 0, "2.16.840.1.101.3.4.2.1", vec![1, 2, 3, 11, 12, 14]),
        ("DE_EF.SOD.bin", 1, "2.16.840.1.101.3.4.2.2", vec![1, 2, 3, 14]),
        ("FI_EF.SOD.bin", 1, "2.16.840.1.101.3.4.2.3", vec![1, 2, 3, 7, 14]),
        (
            "FR_EF.SOD.bin",
            0,
            "2.16.840.1.101.3.4.2.1",
            vec![1, 2, 3, 11, 12, 13, 14],
        ),
        ("ID_EF.SOD.bin", 0, "2.16.840.1.101.3.4.2.1", vec![1, 2, 3, 14, 15]),
        ("MY_EF.SOD.bin", 0, "2.16.840.1.101.3.4.2.1", vec![1, 2, 3, 11, 12, 14]),
    ] {
        let LdsFile::Sod(sod) = parse(&format!("real-sod/{f}")) else {
            panic!("{f}")
        };
        let lso = &sod.lds_security_object;
        assert_eq!(lso.version, version, "{f}");
        assert_eq!(lso.hash_algorithm.oid, hash, "{f}");
        let numbers: Vec<u8> = lso.data_group_hashes.iter().map(|h| h.number).collect();
        assert_eq!(numbers, dgs, "{f}");
        if version == 1 {
            assert_eq!(
                lso.lds_version_info,
                Some(("0108".to_string(), "040000".to_string())),
                "{f}"
            );
        }
        assert_eq!(sod.raw, read(&format!("real-sod/{f}")), "{f}: raw bytes kept");
    }
}
