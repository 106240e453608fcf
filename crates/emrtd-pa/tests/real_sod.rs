//! Passive authentication of real EF.SOD / EF.CardSecurity files against the DE and NL
//! master lists and the Indonesian CSCA certificates.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use emrtd_pa::store::TrustStore;
use emrtd_pa::{PaOptions, ReasonCode, verify_card_security, verify_sod};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/vectors")
}

fn read(p: &str) -> Vec<u8> {
    std::fs::read(vectors().join(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn store() -> &'static TrustStore {
    static STORE: OnceLock<TrustStore> = OnceLock::new();
    STORE.get_or_init(|| {
        let mut s = TrustStore::new();
        s.add_master_list_root(&read("masterlists/DE_ROOT_CA_CSCA07.cer"))
            .unwrap();
        s.add_master_list_root(&read("masterlists/NL_ROOT_CA.cer")).unwrap();
        let de = s
            .add_master_list(&read("masterlists/DE_ML_2026-05-28-08-28-45.ml"), "DE ML")
            .unwrap();
        let nl = s
            .add_master_list(&read("masterlists/NL_ML_2026-07-22.ml"), "NL ML")
            .unwrap();
        assert!(de.verified() && nl.verified());
        for f in [
            "IDN_2010_SERIES_CSCA_CERT_2010-12_CSCA.cer",
            "IDN_2010_SERIES_CSCA_CERT_2016-01_CSCA.cer",
            "IDN_2010_SERIES_CSCA_CERT_2016-01_CSCA_LINK.cer",
            "IDN_2010_SERIES_CSCA_CERT_2020-10_CSCA.cer",
            "IDN_2010_SERIES_CSCA_CERT_2020-10_CSCA_LINK.cer",
        ] {
            s.add_der(&read(&format!("masterlists/{f}")), f).unwrap();
        }
        s
    })
}

/// 2026-01-01T00:00:00Z: inside the validity of every DS and CSCA below.
const AT_2026: i64 = 1_767_225_600;

fn opts() -> PaOptions {
    PaOptions {
        at: Some(AT_2026),
        ..PaOptions::default()
    }
}

fn check_sod(file: &str, ds_country: &str, sig_oid: &str) {
    let out = verify_sod(&read(&format!("real-sod/{file}")), &BTreeMap::new(), store(), &opts());
    assert!(out.sod_signature_valid, "{file}: {:?}", out.reasons);
    assert!(out.document_certificate_valid, "{file}: {:?}", out.reasons);
    assert!(out.error.is_none());
    assert_eq!(out.signature_algorithm.as_deref(), Some(sig_oid), "{file}");
    assert!(out.has(ReasonCode::NoDataGroups));
    assert!(!out.all_hashes_valid);
    let ds = out.document_signer.unwrap();
    assert!(ds.issuer.contains(&format!("C={ds_country}")), "{file}: {}", ds.issuer);
    let csca = out.csca.unwrap();
    assert!(
        csca.subject.contains(&format!("C={ds_country}")),
        "{file}: {}",
        csca.subject
    );
}

#[test]
fn master_lists_verify_against_their_roots() {
    let s = store();
    assert_eq!(s.master_lists.len(), 2);
    for ml in &s.master_lists {
        assert!(ml.signature_valid, "{ml:?}");
        assert!(ml.signer_verified, "{ml:?}");
    }
    assert_eq!(s.master_lists[0].certificates, 588);
    assert_eq!(s.master_lists[1].certificates, 411);
}

#[test]
fn master_list_without_root_is_reported_unverified() {
    let mut s = TrustStore::new();
    let r = s
        .add_master_list(&read("masterlists/NL_ML_2026-07-22.ml"), "NL")
        .unwrap();
    assert!(r.signature_valid);
    assert!(!r.signer_verified);
    assert!(
        r.reasons
            .iter()
            .any(|x| x.code == ReasonCode::MasterListSignerNotVerified)
    );
    // Issue 13 hole 5: an unverified list adds no certificate (before the fix it added all
    // 411), and the report says so.
    assert_eq!(r.added, 0, "{r:?}");
    assert_eq!(s.len(), 0);
    assert!(!r.trusted_unverified);
    assert!(
        r.reasons
            .iter()
            .any(|x| x.detail.contains("none of its certificates was added"))
    );
    // The list's issue date (signingTime 2026-07-23T09:35:43Z) is reported.
    assert_eq!(r.signing_time, Some(1_784_799_343));
    // Explicitly marked trusted: added, and the report says it was not verified.
    let mut s = TrustStore::new();
    let r = s
        .add_master_list_trusted(&read("masterlists/NL_ML_2026-07-22.ml"), "NL (trusted)")
        .unwrap();
    assert!(!r.verified() && r.trusted_unverified);
    assert!(r.added > 400, "{r:?}");
    assert_eq!(s.len(), r.added);
    // The NL root does not verify the DE list's signer.
    let mut s = TrustStore::new();
    s.add_master_list_root(&read("masterlists/NL_ROOT_CA.cer")).unwrap();
    let r = s
        .add_master_list(&read("masterlists/DE_ML_2026-05-28-08-28-45.ml"), "DE")
        .unwrap();
    assert!(r.signature_valid && !r.signer_verified);
}

#[test]
fn at_sod_ecdsa_sha256() {
    check_sod("AT_EF.SOD.bin", "AT", "1.2.840.10045.4.3.2");
    let out = verify_sod(&read("real-sod/AT_EF.SOD.bin"), &BTreeMap::new(), store(), &opts());
    assert_eq!(out.signing_time.as_deref(), Some("2023-03-17T13:40:18Z"));
}

#[test]
fn de_sod_ecdsa_sha384_explicit_curve() {
    check_sod("DE_EF.SOD.bin", "DE", "1.2.840.10045.4.3.3");
}

#[test]
fn fi_sod_ecdsa_sha512() {
    check_sod("FI_EF.SOD.bin", "FI", "1.2.840.10045.4.3.4");
}

#[test]
fn fr_sod_rsa_pkcs1_sha256() {
    check_sod("FR_EF.SOD.bin", "FR", "1.2.840.113549.1.1.11");
}

#[test]
fn id_sod_rsa_pss() {
    check_sod("ID_EF.SOD.bin", "ID", "1.2.840.113549.1.1.10");
}

#[test]
fn my_sod_rsa_pss() {
    check_sod("MY_EF.SOD.bin", "MY", "1.2.840.113549.1.1.10");
}

fn check_card_security(file: &str, country: &str) {
    let out = verify_card_security(&read(&format!("real-sod/{file}")), store(), &opts());
    assert!(out.sod_signature_valid, "{file}: {:?}", out.reasons);
    assert!(out.document_certificate_valid, "{file}: {:?}", out.reasons);
    assert!(out.verified(), "{file}: {:?}", out.reasons);
    assert!(out.csca.unwrap().subject.contains(&format!("C={country}")));
}

#[test]
fn de_card_security() {
    check_card_security("DE_EF.CardSecurity.bin", "DE");
}

#[test]
fn fi_card_security() {
    check_card_security("FI_EF.CardSecurity.bin", "FI");
}

#[test]
fn empty_store_finds_no_csca() {
    let s = TrustStore::new();
    let out = verify_sod(&read("real-sod/FR_EF.SOD.bin"), &BTreeMap::new(), &s, &opts());
    assert!(out.sod_signature_valid);
    assert!(!out.document_certificate_valid);
    assert!(out.has(ReasonCode::CscaNotFound));
}

#[test]
fn nz_2013_sod_with_indefinite_lengths_chains_to_a_historical_csca() {
    let sod = read("cardaccess-samples/NZ2013_EF_SOD.bin");
    // The file uses the indefinite length form.
    let (outer, _) = emrtd_apdu::Tlv::parse(&sod).unwrap();
    let ci = emrtd_apdu::Tlv::parse(outer.value).unwrap().0;
    assert!(ci.indefinite);
    let mut s = TrustStore::new();
    s.load_path(&vectors().join("csca-certs-historical")).unwrap();
    assert!(s.load_errors.is_empty(), "{:?}", s.load_errors);
    // 2014-01-01: inside the DS validity (2011-06-30 .. 2016-10-24).
    let opts = PaOptions {
        at: Some(1_388_534_400),
        ..PaOptions::default()
    };
    let out = verify_sod(&sod, &BTreeMap::new(), &s, &opts);
    assert!(out.sod_signature_valid, "{:?}", out.reasons);
    assert!(out.document_certificate_valid, "{:?}", out.reasons);
    assert!(out.csca.unwrap().subject.contains("C=NZ"));
    // The 2026 master lists no longer hold the CSCA key that issued this DS.
    let out = verify_sod(&sod, &BTreeMap::new(), store(), &opts);
    assert!(out.sod_signature_valid);
    assert!(!out.document_certificate_valid);
}

#[test]
fn a_broken_master_list_entry_is_skipped_and_reported() {
    let mut ml = read("masterlists/NL_ML_2026-07-22.ml");
    let sd = emrtd_lds::cms::SignedData::from_content_info(&ml).unwrap();
    let certs = emrtd_pa::store::parse_master_list_content(&sd.encap_content).unwrap();
    let first = &certs[0].raw;
    let p = ml.windows(first.len()).position(|w| w == first.as_slice()).unwrap();
    ml[p] = 0x04; // the entry is no longer a SEQUENCE
    let mut s = TrustStore::new();
    s.add_master_list_root(&read("masterlists/NL_ROOT_CA.cer")).unwrap();
    let r = s.add_master_list(&ml, "NL (damaged)").unwrap();
    assert_eq!(r.certificates, 411);
    assert_eq!(s.len(), r.added);
    assert!(
        r.reasons.iter().any(|x| x.detail.contains("entry 0")),
        "{:?}",
        r.reasons
    );
    // The list's own signature no longer verifies: reported, not hidden.
    assert!(!r.signature_valid);
    assert!(!r.verified());
}

/// Issue 13 hole 7: every certificate of the DE and NL master lists and the Indonesian CSCAs
/// passes the certificate rules: the outer signatureAlgorithm equals the TBS one and every
/// critical extension is in the known set. The critical extensions they use are listed.
#[test]
fn real_certificates_pass_the_certificate_rules() {
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    let mut rejected = Vec::new();
    for t in store().certificates() {
        let c = &t.cert;
        for o in &c.critical_extensions {
            *seen.entry(o.clone()).or_default() += 1;
        }
        if !c.signature_algorithm_consistent() || !c.unknown_critical_extensions().is_empty() {
            rejected.push(format!(
                "{} ({}): {:?} / {:?}, unknown critical {:?}",
                c.subject,
                t.source,
                c.signature_algorithm,
                c.tbs_signature_algorithm,
                c.unknown_critical_extensions()
            ));
        }
    }
    assert!(store().len() > 600, "{}", store().len());
    assert!(rejected.is_empty(), "{rejected:#?}");
    assert_eq!(seen.keys().collect::<Vec<_>>(), ["2.5.29.15", "2.5.29.19"]);
    // The master list signers (their EKU 2.23.136.1.1.3 is critical).
    let mut signer_critical = std::collections::BTreeSet::new();
    for f in [
        "masterlists/DE_ML_2026-05-28-08-28-45.ml",
        "masterlists/NL_ML_2026-07-22.ml",
    ] {
        let sd = emrtd_lds::cms::SignedData::from_content_info(&read(f)).unwrap();
        for der in &sd.certificates {
            let c = emrtd_pa::Certificate::from_der(der).unwrap();
            assert!(c.signature_algorithm_consistent(), "{f}");
            assert!(
                c.unknown_critical_extensions().is_empty(),
                "{f}: {:?}",
                c.critical_extensions
            );
            signer_critical.extend(c.critical_extensions.clone());
        }
    }
    assert!(signer_critical.contains("2.5.29.37"), "{signer_critical:?}");
    // The Document Signers of the real files.
    for f in [
        "AT_EF.SOD.bin",
        "DE_EF.SOD.bin",
        "FI_EF.SOD.bin",
        "FR_EF.SOD.bin",
        "ID_EF.SOD.bin",
        "MY_EF.SOD.bin",
    ] {
        let sod = emrtd_lds::sod::EfSod::parse(&read(&format!("real-sod/{f}"))).unwrap();
        for der in &sod.signed_data.certificates {
            let c = emrtd_pa::Certificate::from_der(der).unwrap();
            assert!(c.signature_algorithm_consistent(), "{f}");
            assert!(
                c.unknown_critical_extensions().is_empty(),
                "{f}: {:?}",
                c.critical_extensions
            );
            assert_eq!(c.critical_extensions, ["2.5.29.15"], "{f}");
        }
    }
}
