//! `cargo xtask fixtures [--check]`: the deterministic test PKI and documents under
//! `fixtures/pki/` and `fixtures/documents/`.
//!
//! Everything is derived from fixed labels (a SHA-256 counter generator per key and per
//! signature), fixed dates (issuance at 2026-01-01) and deterministic signature schemes
//! (RSA PKCS#1 v1.5, ECDSA per RFC 6979; the RSA-PSS salt comes from the seeded generator).
//! RSA key generation is slow in debug builds, so the RSA private keys are stored in
//! `fixtures/pki/keys/` and reused when present. `--check` regenerates into a temporary
//! directory and compares byte for byte with the committed files.

use emrtd_sim::issue::der::*;
use emrtd_sim::issue::{
    AaKey, CaKey, Cert, CertSpec, Curve, DocumentSigner, DocumentSpec, Key, Layout, RichData, Role, SigAlg,
    issue_document, pki, test_pki,
};
use emrtd_sim::{Document, Quirks, SeededRng};
use std::path::{Path, PathBuf};

type R<T> = Result<T, String>;

fn e(err: emrtd_sim::issue::IssueError) -> String {
    err.to_string()
}

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
    let csca_rsa_key = Key::rsa_cached(keys, "csca-rsa-4096", 4096).map_err(e)?;
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
    )
    .map_err(e)?;
    let (csca_ec, csca_ec_key) = test_pki::csca_ecdsa().map_err(e)?;
    let ec_spec = test_pki::csca_ecdsa_spec(&csca_ec_key);
    // Link certificate: the new ECDSA CSCA key certified by the RSA CSCA.
    let link = pki::issue(
        &CertSpec { serial: 3, ..ec_spec },
        Some((&csca_rsa, &csca_rsa_key)),
        SigAlg::RsaPkcs1Sha256,
        &mut rng,
    )
    .map_err(e)?;
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
        )
        .map_err(e)?;
        Ok((c, key))
    };
    let rsa_issuer = (&csca_rsa, &csca_rsa_key);
    let ec_issuer = (&csca_ec, &csca_ec_key);
    let ds_rsa_pkcs1 = ds(
        0x0101,
        "DS Utopia RSA PKCS1",
        Key::rsa_cached(keys, "ds-rsa-pkcs1-2048", 2048).map_err(e)?,
        "20251201000000",
        "20361201000000",
        rsa_issuer,
        SigAlg::RsaPkcs1Sha256,
        &mut rng,
    )?;
    let ds_rsa_pss = ds(
        0x0102,
        "DS Utopia RSA-PSS",
        Key::rsa_cached(keys, "ds-rsa-pss-3072", 3072).map_err(e)?,
        "20251201000000",
        "20361201000000",
        rsa_issuer,
        SigAlg::RsaPssSha256,
        &mut rng,
    )?;
    let ds_expired = ds(
        0x0103,
        "DS Utopia RSA 2015",
        Key::rsa_cached(keys, "ds-rsa-expired-2048", 2048).map_err(e)?,
        "20150601000000",
        "20210601000000",
        rsa_issuer,
        SigAlg::RsaPkcs1Sha256,
        &mut rng,
    )?;
    let ds_ec = test_pki::ds_ecdsa_under(ec_issuer).map_err(e)?;
    let ds_revoked = ds(
        0x0202,
        "DS Utopia ECDSA revoked",
        Key::ec(Curve::Bp256, "ds-ecdsa-revoked-bp256", false).map_err(e)?,
        "20251201000000",
        "20361201000000",
        ec_issuer,
        SigAlg::EcdsaSha384,
        &mut rng,
    )?;
    let mls_key = Key::ec(Curve::P256, "master-list-signer-p256", false).map_err(e)?;
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
    )
    .map_err(e)?;
    // keyCompromise (1) for the revoked DS.
    let crl_ec = pki::crl(
        ec_issuer,
        SigAlg::EcdsaSha384,
        "20260101000000",
        "20360101000000",
        &[(0x0202, "20251215000000", 1)],
        1,
        &mut rng,
    )
    .map_err(e)?;
    let crl_rsa = pki::crl(
        rsa_issuer,
        SigAlg::RsaPkcs1Sha256,
        "20260101000000",
        "20360101000000",
        &[],
        1,
        &mut rng,
    )
    .map_err(e)?;
    let ml_content = seq(&[&int(0), &set_of(&[&csca_rsa.der, &csca_ec.der, &link.der])]);
    let ml = pki::signed_data(
        "2.23.136.1.1.2",
        &ml_content,
        (&mls, &mls_key),
        SigAlg::EcdsaSha256,
        FIXED_NOW,
        &mut rng,
    )
    .map_err(e)?;

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

/// A fixture document: the description and its signer.
struct DocSpec {
    spec: DocumentSpec<'static>,
    signer: Signer,
    /// DG2, DG7, DG11, DG12 from the vectors.
    rich: bool,
}

fn docs() -> Vec<DocSpec> {
    let base = DocumentSpec {
        doe: "360101",
        issued: "20260101",
        sex: "F",
        ..DocumentSpec::default()
    };
    vec![
        DocSpec {
            spec: DocumentSpec {
                name: "bac-td3-3des",
                description: "BAC-only TD3 passport, 3DES secure messaging, SOD signed with RSA PKCS#1 v1.5, no CA/AA",
                doc_number: "B1C2D3E45",
                primary: "BACMANN",
                secondary: "OTTO",
                dob: "750315",
                sex: "M",
                key_label: "bac-td3-3des",
                quirks: Quirks {
                    extended_length: false,
                    max_le: Some(231),
                    ..Quirks::default()
                },
                ..base.clone()
            },
            signer: Signer::RsaPkcs1,
            rich: false,
        },
        DocSpec {
            spec: DocumentSpec {
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
                key_label: "ref-1",
                ..base.clone()
            },
            signer: Signer::RsaPss,
            rich: true,
        },
        DocSpec {
            spec: DocumentSpec {
                name: "ref-1-clone",
                chip_key_label: Some("ref-1-clone"),
                description: "A clone of REF-1: the same files (same SOD, DG14, DG15) on a chip with other CA and AA private keys",
                doc_number: "C01X00T47",
                primary: "MUSTERFRAU",
                secondary: "ERIKA",
                dob: "840812",
                can: Some("123456"),
                pace: Some(("0.4.0.127.0.7.2.2.4.2.2", 13)),
                ca: CaKey::Ec(Curve::Bp256, "0.4.0.127.0.7.2.2.3.2.2"),
                aa: AaKey::Ec(Curve::Bp256),
                key_label: "ref-1",
                verdict: "clone",
                ..base.clone()
            },
            signer: Signer::RsaPss,
            rich: true,
        },
        DocSpec {
            spec: DocumentSpec {
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
                key_label: "pace-dh-gm-3des",
                quirks: Quirks {
                    sw_6b00_on_le_256: true,
                    ..Quirks::default()
                },
                ..base.clone()
            },
            signer: Signer::Ecdsa,
            rich: false,
        },
        DocSpec {
            spec: DocumentSpec {
                name: "pace-ecdh-im-aes256-p384",
                description: "PACE-ECDH-IM with AES-256 on NIST P-384, CA-ECDH-AES-256 on P-384",
                doc_number: "P384IM256",
                primary: "INTEGRA",
                secondary: "MARA",
                dob: "910101",
                can: Some("384256"),
                pace: Some(("0.4.0.127.0.7.2.2.4.4.4", 15)),
                ca: CaKey::Ec(Curve::P384, "0.4.0.127.0.7.2.2.3.2.4"),
                key_label: "pace-ecdh-im-aes256-p384",
                quirks: Quirks {
                    pace_requires_parameter_id: true,
                    ..Quirks::default()
                },
                ..base.clone()
            },
            signer: Signer::Ecdsa,
            rich: false,
        },
        DocSpec {
            spec: DocumentSpec {
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
                ..base.clone()
            },
            signer: Signer::RsaPss,
            rich: false,
        },
        DocSpec {
            spec: DocumentSpec {
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
                key_label: "td1-id-explicit-curve",
                ..base.clone()
            },
            signer: Signer::Ecdsa,
            rich: false,
        },
        DocSpec {
            spec: DocumentSpec {
                name: "revoked-ds",
                description: "BAC TD3 passport whose SOD is signed by the Document Signer the CSCA ECDSA CRL revokes (keyCompromise)",
                doc_number: "R3V0K3D01",
                primary: "WIDERRUF",
                secondary: "REVA",
                dob: "790707",
                key_label: "revoked-ds",
                verdict: "revoked",
                ..base.clone()
            },
            signer: Signer::Revoked,
            rich: false,
        },
        DocSpec {
            spec: DocumentSpec {
                name: "expired",
                description: "BAC TD3 passport issued 2016-01-01, expired 2021-01-01; its Document Signer certificate expired 2021-06-01",
                doc_number: "X2016E001",
                primary: "ALTMANN",
                secondary: "EXPIRA",
                dob: "500101",
                doe: "210101",
                issued: "20160101",
                key_label: "expired",
                verdict: "expired",
                ..base.clone()
            },
            signer: Signer::Expired,
            rich: false,
        },
    ]
}

fn rich_data(vectors: &Path) -> R<RichData> {
    let dg2 =
        std::fs::read(vectors.join("bsi-tr03105-mustermann/Datagroup2.bin")).map_err(|e| format!("DG2 face: {e}"))?;
    let p10_dg7 = std::fs::read(vectors.join("icao-p10-sample-document/DG7.bin")).map_err(|e| format!("DG7: {e}"))?;
    let dg7_image = emrtd_apdu::Tlv::parse(&p10_dg7)
        .ok()
        .and_then(|(t, _)| t.find(emrtd_apdu::Tag(0x5F43)).ok().flatten().map(|i| i.value.to_vec()))
        .ok_or("DG7 sample without 5F43")?;
    Ok(RichData { dg2, dg7_image })
}

fn make_document(doc: &DocSpec, pki: &Pki, keys: &Path, vectors: &Path) -> R<Document> {
    let rich = if doc.rich { Some(rich_data(vectors)?) } else { None };
    let (signer, alg, name) = match doc.signer {
        Signer::RsaPkcs1 => (&pki.ds_rsa_pkcs1, SigAlg::RsaPkcs1Sha256, "ds-rsa-pkcs1.cer"),
        Signer::RsaPss => (&pki.ds_rsa_pss, SigAlg::RsaPssSha256, "ds-rsa-pss.cer"),
        Signer::Ecdsa => (&pki.ds_ec, SigAlg::EcdsaSha256, test_pki::ECDSA_DS_FILE),
        Signer::Revoked => (&pki.ds_revoked, SigAlg::EcdsaSha256, "ds-ecdsa-revoked.cer"),
        Signer::Expired => (&pki.ds_expired, SigAlg::RsaPkcs1Sha256, "ds-rsa-expired.cer"),
    };
    let spec = DocumentSpec {
        rich: rich.as_ref(),
        ..doc.spec.clone()
    };
    let signer = DocumentSigner {
        cert: &signer.0,
        key: &signer.1,
        alg,
        name,
    };
    issue_document(&spec, &signer, Some(keys)).map_err(e)
}

/// Generates everything into `out` (`pki/...`, `documents/...`); returns the relative paths.
pub fn generate(out: &Path, keys: &Path, vectors: &Path) -> R<Vec<String>> {
    let mut written = Vec::new();
    let pki = make_pki(out, keys, &mut written)?;
    let _ = (&pki.csca_rsa, &pki.csca_ec);
    for spec in docs() {
        let doc = make_document(&spec, &pki, keys, vectors)?;
        let spec = &spec.spec;
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
