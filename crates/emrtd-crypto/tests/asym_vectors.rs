//! EC / DH arithmetic against ICAO Doc 9303-11 Appendices G, H, I (values in
//! vectors/icao-worked-examples.md).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
use emrtd_crypto::domain::{Domain, GroupElement};
use emrtd_crypto::ec::AsymError;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.split_whitespace().collect::<String>()).unwrap()
}

#[test]
fn g1_ecdh_generic_mapping_brainpool_p256r1() {
    let d = Domain::standardized(13).unwrap();
    let sk_map_ifd = h("7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99");
    assert_eq!(
        d.public_key(&sk_map_ifd).unwrap(),
        h(
            "04 7ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E 544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D"
        )
    );
    let pk_map_ic = h(
        "04 824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57 30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54",
    );
    assert_eq!(
        d.public_key(&h("498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560"))
            .unwrap(),
        pk_map_ic
    );
    let peer = d.decode(&pk_map_ic).unwrap();
    let hh = d.mul(&peer, &sk_map_ifd).unwrap();
    assert_eq!(
        d.encode(&hh).unwrap(),
        h(
            "04 60332EF2450B5D247EF6D3868397D398852ED6E8CAF6FFEEF6BF85CA57057FD5 0840CA7415BAF3E43BD414D35AA4608B93A2CAF3A4E3EA4E82C9C13D03EB7181"
        )
    );
    let g_tilde = d.map_generic(&h("3F00C4D39D153F2B2A214A078D899B22"), &hh).unwrap();
    assert_eq!(
        d.encode(&g_tilde).unwrap(),
        h(
            "04 8CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E2 8C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522"
        )
    );
    let sk_ifd = h("A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595");
    let pk_ifd = d.mul(&g_tilde, &sk_ifd).unwrap();
    assert_eq!(
        d.encode(&pk_ifd).unwrap(),
        h(
            "04 2DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C 3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462"
        )
    );
    let pk_ic = h(
        "04 9E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB 7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094",
    );
    assert_eq!(
        d.key_agreement(&sk_ifd, &pk_ic).unwrap().to_vec(),
        h("28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925")
    );
}

#[test]
fn h1_ecdh_integrated_mapping_point_encoding() {
    let d = Domain::standardized(13).unwrap();
    let r = h("E4447E2DFB3586BAC05DDB00156B57FBB2179A3949294C97254189800C517BAA8DA0FF397ED8C445D3E421E4FEB57322");
    let rp = d.reduce_mod_p(&r).unwrap();
    assert_eq!(
        rp,
        h("A2F8FF2DF50E52C6599F386ADCB595D229F6A167ADE2BE5F2C3296ADD5B7430E")
    );
    let g = d.map_integrated(&rp).unwrap();
    assert_eq!(
        d.encode(&g).unwrap(),
        h(
            "04 8E82D31559ED0FDE92A4D0498ADD3C23BABA94FB77691E31E90AEA77FB17D427 4C1AE14BD0C3DBAC0C871B7F3608169364437CA30AC243A089D3F266C1E60FAD"
        )
    );
}

#[test]
fn g2_dh_generic_mapping_rfc5114_1024() {
    let d = Domain::standardized(0).unwrap();
    let sk_map_ifd = h("5265030F751F4AD18B08AC565FC7AC952E41618D");
    assert_eq!(
        d.public_key(&sk_map_ifd).unwrap(),
        h(
            "23FB3749EA030D2A25B278D2A562047ADE3F01B74F17A15402CB7352CA7D2B3EB71C343DB13D1DEBCE9A3666DBCFC920B49174A602CB47965CAA73DC702489A44D41DB914DE9613DC5E98C94160551C0DF86274B9359BC0490D01B03AD54022DCB4F57FAD6322497D7A1E28D46710F461AFE710FBBBC5F8BA166F4311975EC6C"
        )
    );
    let pk_map_ic = h(
        "78879F57225AA8080D52ED0FC890A4B25336F699AA89A2D3A189654AF70729E623EA5738B26381E4DA19E004706FACE7B235C2DBF2F38748312F3C98C2DD4882A41947B324AA1259AC22579DB93F7085655AF30889DBB845D9E6783FE42C9F2449400306254C8AE8EE9DD812A804C0B66E8CAFC14F84D8258950A91B44126EE6",
    );
    let hh = d.mul(&d.decode(&pk_map_ic).unwrap(), &sk_map_ifd).unwrap();
    let g_tilde = d.map_generic(&h("FA5B7E3E49753A0DB9178B7B9BD898C8"), &hh).unwrap();
    assert_eq!(
        d.encode(&g_tilde).unwrap(),
        h(
            "7C9CBFE98F9FBDDA8D143506FA7D9306F4CB17E3C71707AFF5E1C1A12370249684D64EE37AF44B8DBD9D45BF6023919CBAA027AB97ACC771666C8E98FF483301BFA4872DEDE9034EDFACB70814166B7F360676829B826BEA57291B5AD69FBC84EF1E779032A305803F74341793E869742D401325B37EE8565FFCDEE618342DC5"
        )
    );
}

#[test]
fn h2_dh_integrated_mapping() {
    let d = Domain::standardized(0).unwrap();
    let rp = h(
        "A0C7C50C002061A51CC87D254EF38068607417B6EE1B36473CFB800D2D2E5FA2B6980F01105D24FAB22ACD1BFA5C8A4C093ECDFAFE6D7125D42A843E338603835CF19AFAFF75EFE21DC5F6AA1F9AE46C25087E7368166FB08C1E4627AFED7D93570417B790FF7F747E57F432B04E1236819E0DFEF5B6E77CA4999925328182D2",
    );
    let g = d.map_integrated(&rp).unwrap();
    assert_eq!(
        d.encode(&g).unwrap(),
        h(
            "1D7D767F11E333BCD6DBAEF40E799E7A926B96973550656FF3C830726D118D61C276CDCC61D475CF03A98E0C0E79CAEBA5BE25578BD4551D0B10903236F0B0F976852FA78EEA14EA0ACA87D1E91F688FE0DFF897BBE35A472621D343564B262F34223AE8FC59B664BFEDFA2BFE7516CA5510A6BBB633D517EC25D4E0BBAA16C2"
        )
    );
}

#[test]
fn i1_cam_chip_authentication_data() {
    let d = Domain::standardized(13).unwrap();
    let Domain::Ec(c) = &d else { panic!() };
    let sk_map_ic = h("9E56A6B59C95D06ECE5CD10F983BB2F4F1943528E577F23881D89D8C3BBEE0AA");
    let sk_ic = h("86C88A4579CE48135878E6348A734B5D47CE5BC1E54C0E8978687B49FDE2E2C2");
    let ca = c.scalar_inv_mul(&sk_ic, &sk_map_ic).unwrap();
    assert_eq!(
        ca.to_vec(),
        h("85DC3FA93D0952BFA82F5FD189EE75BD82F11D1F0B8ED4BF5319AC9B53C426B3")
    );
    let pk_ic = d.decode(&h("04 1872709494399E7470A6431BE25E83EEE24FEA568C2ED28DB48E05DB3A610DC8 84D256A40E35EFCB59BF6753D3A489D28C7A4D973C2DA138A6E7A4A08F68E16F")).unwrap();
    let check = d.mul(&pk_ic, &ca).unwrap();
    assert_eq!(
        d.encode(&check).unwrap(),
        h(
            "04 A234236AA9B9621E8EFB73B5245C0E09D2576E5277183C1208BDD55280CAE8B3 04F365713A356E65A451E165ECC9AC0AC46E3771342C8FE5AEDD092685338E23"
        )
    );
}

#[test]
fn invalid_public_keys_are_rejected() {
    let d = Domain::standardized(13).unwrap();
    let mut pk = h(
        "04 824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57 30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54",
    );
    pk[64] ^= 1;
    assert_eq!(d.decode(&pk).unwrap_err(), AsymError::NotOnCurve);
    assert!(d.decode(&pk[..64]).is_err());
    assert!(d.decode(&[]).is_err());
    let dh = Domain::standardized(0).unwrap();
    assert_eq!(dh.decode(&[1]).unwrap_err(), AsymError::DhRange);
    assert_eq!(dh.decode(&[0; 128]).unwrap_err(), AsymError::DhRange);
    // 2 is not in the order-q subgroup of the RFC 5114 group.
    assert_eq!(dh.decode(&[2]).unwrap_err(), AsymError::DhRange);
}

#[test]
fn explicit_curve_equals_standardized() {
    let Domain::Ec(c) = Domain::standardized(12).unwrap() else {
        panic!()
    };
    let g = c.encode_point(&c.generator()).unwrap();
    let e = Domain::explicit_ec(&c.p_bytes(), &c.a_bytes(), &c.b_bytes(), &g, &c.order_bytes(), &[1]).unwrap();
    let sk = [7u8; 32];
    assert_eq!(
        e.public_key(&sk).unwrap(),
        Domain::standardized(12).unwrap().public_key(&sk).unwrap()
    );
    assert!(matches!(e.generator(), GroupElement::Ec(_)));
    assert_eq!(e.id(), None);
}

#[test]
fn key_agreement_is_symmetric_on_every_standardized_domain() {
    let mut rng = emrtd_crypto::rng::os_rng();
    for id in emrtd_crypto::domain::STANDARDIZED_IDS {
        let d = Domain::standardized(*id).unwrap();
        let a = d.generate_private_key(&mut rng).unwrap();
        let b = d.generate_private_key(&mut rng).unwrap();
        let pa = d.public_key(&a).unwrap();
        let pb = d.public_key(&b).unwrap();
        assert_eq!(
            d.key_agreement(&a, &pb).unwrap(),
            d.key_agreement(&b, &pa).unwrap(),
            "id {id}"
        );
    }
}

#[test]
fn typed_curves_agree_with_the_run_time_arithmetic() {
    use emrtd_crypto::rng::Rng;
    let mut rng = emrtd_crypto::rng::os_rng();
    for id in [12u32, 13, 15, 16, 18] {
        let Domain::Ec(c) = Domain::standardized(id).unwrap() else {
            panic!()
        };
        assert!(c.typed().is_some(), "id {id} uses its typed curve");
        let generic = c.without_typed();
        assert!(generic.typed().is_none());
        for _ in 0..3 {
            let mut k = vec![0u8; c.order_len() + 4];
            rng.fill_bytes(&mut k);
            let p1 = c.mul(&c.generator(), &k).unwrap();
            let p2 = generic.mul(&generic.generator(), &k).unwrap();
            assert_eq!(
                c.encode_point(&p1).unwrap(),
                generic.encode_point(&p2).unwrap(),
                "id {id}"
            );
            // and on an arbitrary point
            let q1 = c.mul(&p1, &k[..8]).unwrap();
            let q2 = generic.mul(&p2, &k[..8]).unwrap();
            assert_eq!(
                c.encode_point(&q1).unwrap(),
                generic.encode_point(&q2).unwrap(),
                "id {id}"
            );
        }
        // k = n gives the point at infinity on both paths.
        let n = c.order_bytes();
        assert!(c.is_identity(&c.mul(&c.generator(), &n).unwrap()));
        assert!(generic.is_identity(&generic.mul(&generic.generator(), &n).unwrap()));
    }
    for id in [8u32, 9, 10, 11, 14, 17] {
        let Domain::Ec(c) = Domain::standardized(id).unwrap() else {
            panic!()
        };
        assert!(c.typed().is_none(), "id {id} has no typed curve");
    }
}

/// secp128r2 (SEC 2): cofactor 4, p ≡ 3 (mod 4); parameters from OpenSSL.
fn secp128r2() -> Domain {
    Domain::explicit_ec(
        &h("FFFFFFFDFFFFFFFFFFFFFFFFFFFFFFFF"),
        &h("D6031998D1B3BBFEBF59CC9BBFF9AEE1"),
        &h("5EEEFCA380D02919DC2C6558BB6D8A5D"),
        &h("047B6AA5D85E572983E6FB32A7CDEBC14027B6916A894D3AEE7106FE805FC34B44"),
        &h("3FFFFFFF7FFFFFFFBE0024720613B5A3"),
        &[4],
    )
    .unwrap()
}

#[test]
fn cofactor_curve_key_agreement_and_mapping() {
    let d = secp128r2();
    let mut rng = emrtd_crypto::rng::os_rng();
    let a = d.generate_private_key(&mut rng).unwrap();
    let b = d.generate_private_key(&mut rng).unwrap();
    let (pa, pb) = (d.public_key(&a).unwrap(), d.public_key(&b).unwrap());
    let k1 = d.key_agreement(&a, &pb).unwrap();
    assert_eq!(k1, d.key_agreement(&b, &pa).unwrap());
    // For subgroup points ECKA with cofactor equals plain d·P.
    let plain = d.mul(&d.decode(&pb).unwrap(), &a).unwrap();
    assert_eq!(d.shared_secret_bytes(&plain).unwrap(), k1);
    // The Integrated Mapping lands in the subgroup (cofactor multiplied): n·Ĝ = O.
    let Domain::Ec(c) = &d else { panic!() };
    let g = c.map_to_point(&h("0123456789ABCDEF0123456789ABCDEF")).unwrap();
    assert!(c.is_identity(&c.mul(&g, &h("00")).unwrap()));
    let n_times = c.mul(&g, &c.order_bytes()).unwrap();
    assert!(c.is_identity(&n_times));
}

#[test]
fn explicit_parameters_with_a_wrong_order_are_rejected() {
    let Domain::Ec(c) = Domain::standardized(13).unwrap() else {
        panic!()
    };
    let g = c.encode_point(&c.generator()).unwrap();
    let mut n = c.order_bytes();
    *n.last_mut().unwrap() ^= 2;
    assert_eq!(
        Domain::explicit_ec(&c.p_bytes(), &c.a_bytes(), &c.b_bytes(), &g, &n, &[1]).unwrap_err(),
        AsymError::BadDomain("n is not the order of G")
    );
    assert_eq!(
        Domain::explicit_ec(&c.p_bytes(), &c.a_bytes(), &c.b_bytes(), &g, &n[..16], &[1]).unwrap_err(),
        AsymError::BadDomain("order and cofactor do not match the field size")
    );
    // A wrong cofactor is caught by the size check too.
    assert!(Domain::explicit_ec(&c.p_bytes(), &c.a_bytes(), &c.b_bytes(), &g, &c.order_bytes(), &[8]).is_err());
}
