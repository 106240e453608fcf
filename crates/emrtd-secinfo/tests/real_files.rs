//! Every EF.CardAccess / DG14 in the shared vector collection parses (copies under
//! fixtures/vectors, see fixtures/PROVENANCE.md).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
use emrtd_secinfo::{DomainParameters, SecurityInfo, SecurityInfos, oid};
use std::path::PathBuf;

fn fixture(rel: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/vectors")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn summary(infos: &SecurityInfos) -> Vec<String> {
    infos
        .iter()
        .map(|i| match i {
            SecurityInfo::Pace(p) => format!("PACE {} v{} param {:?}", p.protocol, p.version, p.parameter_id),
            SecurityInfo::PaceDomainParameter(p) => format!("PACE-DP {} id {:?}", p.protocol, p.parameter_id),
            SecurityInfo::ChipAuthentication(c) => format!("CA {} v{}", c.protocol, c.version),
            SecurityInfo::ChipAuthenticationDomainParameter(c) => format!("CA-DP {}", c.protocol),
            SecurityInfo::ChipAuthenticationPublicKey(c) => format!("CA-PK {}", c.protocol),
            SecurityInfo::ActiveAuthentication(a) => format!("AA v{}", a.version),
            SecurityInfo::TerminalAuthentication(t) => format!("TA v{}", t.version),
            SecurityInfo::PrivilegedTerminal(p) => format!("PT ({} infos)", p.infos.len()),
            SecurityInfo::Unknown(u) => format!("unknown {} {:?}", u.protocol, u.problem),
        })
        .collect()
}

#[test]
fn every_card_access_parses() {
    let cases: &[(&str, usize, usize)] = &[
        // (file, PACEInfos, infos in total)
        ("real-dg14-cardaccess/AT_EF.CardAccess.bin", 1, 1),
        ("real-dg14-cardaccess/DE_EF.CardAccess.bin", 2, 2),
        ("de-eid-simulator/fixture_efCardAccess_padded.bin", 1, 6),
        ("de-eid-simulator/sim_011c_EF.CardAccess.bin", 1, 6),
        ("eac-worked-example/bin/ef_cardaccess_ca3.bin", 2, 10),
        ("eac-worked-example/bin/ef_cardaccess_dan.bin", 1, 7),
        ("eac-worked-example/bin/ef_cardaccess_new_testcard.bin", 1, 5),
        ("eac-worked-example/bin/ef_cardaccess_old_testcard.bin", 1, 6),
        ("eac-worked-example/bin/ef_cardaccess_slowenia.bin", 0, 4),
        ("eac-worked-example/bin/tc_dh_ef_cardaccess.bin", 1, 6),
        ("eac-worked-example/bin/tc_ecdh_ef_cardaccess.bin", 1, 6),
    ];
    for (file, pace, total) in cases {
        let infos = SecurityInfos::parse(&fixture(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        println!("{file}: {:#?} trailing {} bytes", summary(&infos), infos.trailing.len());
        assert_eq!(infos.pace_infos().count(), *pace, "{file}");
        assert_eq!(infos.infos.len(), *total, "{file}");
        // No known info failed to decode.
        for u in infos.unknown_infos() {
            assert_eq!(u.problem, None, "{file}: {}", u.protocol);
        }
    }
}

#[test]
fn padded_card_access_equals_unpadded_content() {
    let padded = fixture("de-eid-simulator/fixture_efCardAccess_padded.bin");
    assert_eq!(padded.len(), 1024);
    let infos = SecurityInfos::parse(&padded).unwrap();
    assert!(infos.trailing.is_empty());
    let pace: Vec<_> = infos.pace_infos().collect();
    assert_eq!(pace[0].protocol.as_bytes(), oid::ID_PACE_ECDH_GM_AES_CBC_CMAC_128);
    assert_eq!(pace[0].parameter_id, Some(13));
}

#[test]
fn trailing_garbage_is_kept_not_fatal() {
    let infos = SecurityInfos::parse(&fixture("eac-worked-example/bin/ef_cardaccess_slowenia.bin")).unwrap();
    assert_eq!(infos.trailing, vec![0x62, 0x82]);
    let ca: Vec<_> = infos.chip_authentication_infos().collect();
    assert_eq!(ca[0].protocol.as_bytes(), oid::ID_CA_ECDH_3DES_CBC_CBC);
    assert_eq!(ca[0].key_id, Some(vec![3]));
}

#[test]
fn explicit_ec_domain_parameters_of_old_test_card() {
    let infos = SecurityInfos::parse(&fixture("eac-worked-example/bin/ef_cardaccess_old_testcard.bin")).unwrap();
    let dp: Vec<_> = infos.pace_domain_parameter_infos().collect();
    assert_eq!(dp.len(), 1);
    assert_eq!(dp[0].protocol.as_bytes(), oid::ID_PACE_ECDH_GM);
    assert_eq!(dp[0].parameter_id, None);
    match dp[0].domain_parameter.domain_parameters().unwrap() {
        DomainParameters::ExplicitEc(ec) => {
            // brainpoolP256t1 written out (same p as brainpoolP256r1, a = p - 3).
            assert_eq!(
                hex::encode_upper(&ec.p),
                "A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377"
            );
            assert_eq!(ec.generator.len(), 65);
            assert_eq!(ec.cofactor, vec![1]);
            assert_eq!(
                hex::encode_upper(&ec.a),
                "A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5374"
            );
            // A valid curve (generator on it) that is not one of the standardized ones;
            // key agreement works on it.
            let explicit = DomainParameters::ExplicitEc(ec).to_domain().unwrap();
            assert_eq!(explicit.id(), None);
            let (a, b) = ([9u8; 32], [5u8; 32]);
            let (pa, pb) = (explicit.public_key(&a).unwrap(), explicit.public_key(&b).unwrap());
            assert_eq!(
                explicit.key_agreement(&a, &pb).unwrap(),
                explicit.key_agreement(&b, &pa).unwrap()
            );
        }
        other => panic!("{other:?}"),
    }
    // The CA domain parameters in the same file too.
    assert_eq!(infos.chip_authentication_domain_parameter_infos().count(), 1);
}

#[test]
fn dg14_files_parse() {
    for (file, ca_keys) in [
        ("real-dg14-cardaccess/AT_DG14.bin", 1),
        ("real-dg14-cardaccess/DE_DG14.bin", 1),
        ("real-dg14-cardaccess/FR_DG14.bin", 1),
        ("real-dg14-cardaccess/MY_DG14.bin", 1),
        ("cardaccess-samples/doc9303_spec_sample_encoded_dg14.bin", 1),
    ] {
        let infos = SecurityInfos::parse_dg14(&fixture(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        println!("{file}: {:#?}", summary(&infos));
        let keys: Vec<_> = infos.chip_authentication_public_key_infos().collect();
        assert_eq!(keys.len(), ca_keys, "{file}");
        for k in keys {
            assert!(k.key_agreement().is_some());
            let dp = k.public_key.algorithm.domain_parameters().unwrap();
            let value = k.public_key.public_key_value().unwrap();
            println!("  key {:?} {} bytes", std::mem::discriminant(&dp), value.len());
            assert!(value.len() >= 32);
            // Every key is valid for its domain parameters.
            let domain = dp.to_domain().unwrap();
            domain.decode(&value).unwrap();
        }
    }
}
