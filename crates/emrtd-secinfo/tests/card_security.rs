//! The SecurityInfos inside EF.CardSecurity (the eContent of a CMS SignedData) parse, and the
//! Chip Authentication keys are the ones the worked examples use.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use emrtd_apdu::tlv::{Tag, Tlv};
use emrtd_secinfo::{KeyAgreement, SecurityInfos};
use std::path::PathBuf;

fn fixture(rel: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/vectors")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// ContentInfo → [0] SignedData → encapContentInfo → [0] → OCTET STRING (test-only walker;
/// the LDS crate owns real CMS parsing).
fn e_content(cms: &[u8]) -> Vec<u8> {
    let (ci, _) = Tlv::parse(cms).unwrap();
    let explicit = ci.children().unwrap().nth(1).unwrap().unwrap();
    let signed_data = explicit.children().unwrap().next().unwrap().unwrap();
    let encap = signed_data
        .children()
        .unwrap()
        .map(|t| t.unwrap())
        .find(|t| t.tag == Tag(0x30))
        .unwrap();
    let content = encap.children().unwrap().nth(1).unwrap().unwrap();
    let octets = content.children().unwrap().next().unwrap().unwrap();
    assert_eq!(octets.tag, Tag(0x04));
    octets.value.to_vec()
}

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

#[test]
fn every_card_security_parses() {
    for (file, keys) in [
        ("eac-worked-example/bin/tc_ecdh_ef_cardsecurity.bin", 1),
        ("eac-worked-example/bin/tc_dh_ef_cardsecurity.bin", 1),
        ("eac-worked-example/bin/ef_cardsecurity_dan.bin", 1),
        ("de-eid-simulator/sim_011d_EF.CardSecurity.bin", 1),
        ("de-eid-simulator/fixture_efCardSecurity.bin", 1),
        ("real-sod/DE_EF.CardSecurity.bin", 2),
        ("real-sod/FI_EF.CardSecurity.bin", 1),
    ] {
        let infos = SecurityInfos::parse(&e_content(&fixture(file))).unwrap_or_else(|e| panic!("{file}: {e}"));
        let n = infos.chip_authentication_public_key_infos().count();
        println!(
            "{file}: {} infos, {n} CA public keys, {} PACEInfos",
            infos.infos.len(),
            infos.pace_infos().count()
        );
        assert_eq!(n, keys, "{file}");
        for k in infos.chip_authentication_public_key_infos() {
            let domain = k.public_key.algorithm.domain_parameters().unwrap().to_domain().unwrap();
            domain.decode(&k.public_key.public_key_value().unwrap()).unwrap();
        }
        for u in infos.unknown_infos() {
            assert_eq!(u.problem, None, "{file}: {}", u.protocol);
        }
    }
}

#[test]
fn bsi_worked_example_ca_keys_are_in_card_security() {
    let ecdh = SecurityInfos::parse(&e_content(&fixture(
        "eac-worked-example/bin/tc_ecdh_ef_cardsecurity.bin",
    )))
    .unwrap();
    let pk = h(
        "04A44EBE5451DF7AADB01E459B8C928A87746A57927C8C28A6775C97A7E1FE8D9A46FF4A1CC7E4D1389AEA19758E4F75C28C598FD734AEBEB135337CF95BE12E94",
    );
    assert!(
        ecdh.chip_authentication_public_key_infos()
            .any(|k| k.key_agreement() == Some(KeyAgreement::Ecdh) && k.public_key.public_key_value().unwrap() == pk)
    );
    let dh = SecurityInfos::parse(&e_content(&fixture("eac-worked-example/bin/tc_dh_ef_cardsecurity.bin"))).unwrap();
    let y = h(
        "1B3345F8DC04341BF8B2C97F652FA680E5D4FA4C146AE4B839431A644A79BC368C4822C89CD018A57F953644BEDA679C5B532902320E83E13B80DEEF8C18AF3E7D493AE3F88196101B9F78EAFE4B3025EF8BFF916B2FC02D762D0838DEA29C09B485591C2F47F87C71F530BB358F56AF6459D86DBF85EAF9EDBD962CD364F7B8",
    );
    assert!(
        dh.chip_authentication_public_key_infos()
            .any(|k| k.key_agreement() == Some(KeyAgreement::Dh) && k.public_key.public_key_value().unwrap() == y)
    );
}
