//! Differential test of passive authentication against OpenSSL (issue 16 §2; FUZZING.md,
//! "Differential passive authentication against OpenSSL"): every SOD, EF.CardSecurity,
//! master list, certificate and CRL of `fixtures/` (and of `../shared/vectors/` when present),
//! plus a fixed-seed set of structured mutations, judged by docval and by the `openssl` tool;
//! any disagreement not on the list of intended differences fails. The full run is
//! `cargo xtask diff-pa --mutations N`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod diffpa;

use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn docval_agrees_with_openssl_on_signatures_chains_and_crls() {
    let Some(version) = diffpa::openssl::version() else {
        println!("SKIP: the openssl command line tool is not installed");
        return;
    };
    let root = root();
    let mut roots = vec![root.join("fixtures")];
    // The shared vectors next to the main checkout (or next to a worktree's parent).
    if let Some(shared) = ["../shared/vectors", "../../shared/vectors"]
        .iter()
        .map(|p| root.join(p))
        .find(|p| p.is_dir())
    {
        roots.push(shared);
    }
    let mutations: usize = std::env::var("DOCVAL_DIFFPA_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let report = diffpa::run(&roots, &root.join("fixtures/pki"), mutations, 16, 50).unwrap();
    println!("{version}\n{}", report.summary(false));
    assert!(report.compared > mutations, "too few comparisons: {}", report.compared);
    assert!(report.agree_accept > 0 && report.agree_reject > 0);
    assert!(
        report.disagreements.is_empty(),
        "{} disagreement(s) with OpenSSL:\n{}",
        report.disagreements.len(),
        report.summary(false)
    );
}

// Regressions for the disagreements this harness found (SECURITY.md). They need no openssl.

fn test_pki() -> (diffpa::mutate::Pki, diffpa::Corpus) {
    let root = root();
    let corpus = diffpa::Corpus::load(&[root.join("fixtures/documents/bac-td3-3des"), root.join("fixtures/pki")]);
    let pki = diffpa::mutate::Pki::load(&root.join("fixtures/pki"), &corpus).unwrap();
    (pki, corpus)
}

/// RFC 5280 §4.2: an extension may occur once. docval used to let the last keyUsage win
/// (here digitalSignature after keyEncipherment), where OpenSSL refuses the certificate.
#[test]
fn a_certificate_with_a_repeated_extension_is_refused() {
    use emrtd_pa::cert::Certificate;
    use emrtd_pa::verify::chain_document_signer_with;
    let (pki, _) = test_pki();
    let twice = diffpa::mutate::ds_with_key_usages(&pki, &[0x20, 0x80]).unwrap();
    let err = Certificate::from_der(&twice).unwrap_err();
    assert!(err.to_string().contains("2.5.29.15 repeated"), "{err}");
    let mut store = emrtd_pa::TrustStore::new();
    assert!(store.add_der(&twice, "twice").is_err());

    // Control: the same certificate with one keyUsage parses and chains.
    store.add_der(&pki.csca, "csca").unwrap();
    let once = Certificate::from_der(&diffpa::mutate::ds_with_key_usages(&pki, &[0x80]).unwrap()).unwrap();
    let opts = emrtd_pa::PaOptions {
        at: Some(pki.at),
        ..Default::default()
    };
    let chain = chain_document_signer_with(&once, &store, &opts);
    assert!(chain.valid, "{:?}", chain.reasons);
}

/// RFC 5652 §11.3: at most one signing-time attribute. docval used to accept a SOD whose
/// signed attributes carry two (and report the first), where OpenSSL refuses it.
#[test]
fn signed_attributes_with_two_signing_times_fail_the_signature_check() {
    use diffpa::mutate::{Rng, r_identity, r_signing_time};
    use diffpa::tree::Node;
    use emrtd_lds::cms::SignedData;
    use emrtd_pa::store::verify_signed_data_signature;
    let (pki, _) = test_pki();
    let (_, ci) = pki.sod.clone().expect("the bac-td3-3des SOD is signed by ds-rsa-pkcs1");
    let check =
        |node: &Node| verify_signed_data_signature(&SignedData::from_content_info(&node.encode()).unwrap(), None);

    // Control: re-signed unchanged (one signing time), it verifies.
    let mut same = Node::from_der(&ci).unwrap();
    r_identity(&mut Rng::new(1), &mut same, &pki).unwrap();
    assert!(check(&same).signature_valid);

    let mut two = Node::from_der(&ci).unwrap();
    r_signing_time(&mut Rng::new(1), &mut two, &pki).unwrap();
    let c = check(&two);
    assert!(!c.signature_valid);
    assert!(
        c.reasons
            .iter()
            .any(|r| r.code == emrtd_pa::ReasonCode::SignedAttributesInvalid && r.detail.contains("signing-time")),
        "{:?}",
        c.reasons
    );
}
