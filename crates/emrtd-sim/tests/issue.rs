//! The document factory (`emrtd_sim::issue`): the test PKI rebuilt from its labels, reading a
//! CSCA given by path, validation of hostile values, and an issued document on the chip.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use emrtd_sim::issue::{
    CaKey, Cert, DocumentSigner, DocumentSpec, IssueError, Key, SigAlg, issue_document, test_pki, validate,
};
use std::path::{Path, PathBuf};

fn pki(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/pki")
        .join(file)
}

#[test]
fn the_test_pki_ecdsa_branch_is_rebuilt_byte_for_byte() {
    let (csca, _) = test_pki::csca_ecdsa().unwrap();
    assert_eq!(csca.der, std::fs::read(pki("csca-ecdsa-explicit.cer")).unwrap());
    let (ds, _) = test_pki::ecdsa_document_signer().unwrap();
    assert_eq!(ds.der, std::fs::read(pki(test_pki::ECDSA_DS_FILE)).unwrap());
}

#[test]
fn a_csca_read_from_der_issues_a_document_signer() {
    let cert_der = std::fs::read(pki("csca-ecdsa-explicit.cer")).unwrap();
    let cert = Cert::from_der(&cert_der).unwrap();
    let (built, key) = test_pki::csca_ecdsa().unwrap();
    assert_eq!(cert.subject, built.subject);
    assert_eq!(cert.key_id, built.key_id);
    // PKCS#8 with explicit brainpoolP384r1 parameters reads back as the same key.
    let back = Key::from_pkcs8(&key.pkcs8().unwrap()).unwrap();
    assert_eq!(back.public_bytes().unwrap(), key.public_bytes().unwrap());
    let (ds, _) = test_pki::document_signer_under(
        &cert_der,
        &key.pkcs8().unwrap(),
        "t",
        "20260101000000",
        "20370101000000",
    )
    .unwrap();
    assert_eq!(ds.issuer, cert.subject);
    // The wrong key for the certificate, and garbage, are refused with typed errors.
    let other = test_pki::ecdsa_document_signer().unwrap().1.pkcs8().unwrap();
    let e = test_pki::document_signer_under(&cert_der, &other, "t", "20260101000000", "20370101000000");
    assert!(matches!(e, Err(IssueError::Input { .. })), "{:?}", e.as_ref().err());
    for junk in [&b""[..], b"\x30", b"\x30\x00", b"\x04\x02\x00\x00", &[0xFF; 40]] {
        assert!(matches!(Key::from_pkcs8(junk), Err(IssueError::Input { .. })));
        assert!(matches!(Cert::from_der(junk), Err(IssueError::Input { .. })));
    }
}

#[test]
fn hostile_values_give_typed_errors() {
    let good = DocumentSpec {
        doc_number: "AB1234567",
        primary: "DOE",
        secondary: "JANE",
        dob: "000229",
        doe: "351231",
        ..DocumentSpec::default()
    };
    good.validate().unwrap();
    let bad: Vec<DocumentSpec<'_>> = vec![
        DocumentSpec {
            doc_number: "",
            ..good.clone()
        },
        DocumentSpec {
            doc_number: "ABCDEFGHIJ",
            ..good.clone()
        },
        DocumentSpec {
            doc_number: "<<<",
            ..good.clone()
        },
        DocumentSpec {
            doc_number: "é",
            ..good.clone()
        },
        DocumentSpec {
            dob: "010229",
            ..good.clone()
        },
        DocumentSpec {
            dob: "00022",
            ..good.clone()
        },
        DocumentSpec {
            doe: "35123a",
            ..good.clone()
        },
        DocumentSpec {
            doe: "350010",
            ..good.clone()
        },
        DocumentSpec {
            issued: "20250229",
            ..good.clone()
        },
        DocumentSpec {
            nationality: "de",
            ..good.clone()
        },
        DocumentSpec {
            issuer: "<UT",
            ..good.clone()
        },
        DocumentSpec {
            primary: "",
            ..good.clone()
        },
        DocumentSpec {
            secondary: "JANE\u{0}",
            ..good.clone()
        },
        DocumentSpec {
            sex: "MF",
            ..good.clone()
        },
        DocumentSpec {
            can: Some("12345"),
            ..good.clone()
        },
        DocumentSpec {
            bac: false,
            ..good.clone()
        },
        DocumentSpec {
            pace_cam: true,
            ..good.clone()
        },
    ];
    for spec in bad {
        assert!(matches!(spec.validate(), Err(IssueError::Invalid { .. })), "{spec:?}");
    }
    assert!(validate::names(&"A".repeat(37), "", emrtd_sim::issue::Layout::Td3).is_ok());
    assert!(validate::names(&"A".repeat(38), "", emrtd_sim::issue::Layout::Td3).is_err());
}

#[test]
fn an_issued_document_loads_as_a_chip_with_its_dg1_and_keys() {
    let (cert, key) = test_pki::ecdsa_document_signer().unwrap();
    let spec = DocumentSpec {
        name: "issue-test",
        doc_number: "AB1234567",
        primary: "DOE",
        secondary: "JANE",
        dob: "000229",
        doe: "351231",
        ca: CaKey::Ec(emrtd_sim::issue::Curve::P256, "0.4.0.127.0.7.2.2.3.2.2"),
        key_label: "issue-test",
        ..DocumentSpec::default()
    };
    let signer = DocumentSigner {
        cert: &cert,
        key: &key,
        alg: SigAlg::EcdsaSha256,
        name: test_pki::ECDSA_DS_FILE,
    };
    let doc = issue_document(&spec, &signer, None).unwrap();
    let dir = std::env::temp_dir().join(format!("emrtd-sim-issue-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    doc.write_dir(&dir).unwrap();
    let chip = emrtd_sim::VirtualChip::load(&dir).unwrap();
    let m = &chip.document().manifest;
    let lines = &m.mrz.as_ref().unwrap().lines;
    assert_eq!(lines[0], format!("P<UTODOE<<JANE{}", "<".repeat(30)));
    assert!(lines[1].starts_with("AB12345671UTO0002299<3512311"), "{}", lines[1]);
    assert_eq!(m.expect.data_groups, vec![1, 14]);
    assert!(m.keys.ca_private_key.is_some() && m.keys.aa_private_key.is_none());
    let _ = std::fs::remove_dir_all(&dir);
}
