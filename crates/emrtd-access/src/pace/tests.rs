//! PACE against ICAO Doc 9303-11 Appendices G.1, G.2, H.1, H.2, I.1 and the BSI EAC worked
//! example (values from vectors/icao-worked-examples.md sections 3-6 and 8), terminal and
//! card side, plus round trips of every mapping × key agreement × cipher.

use super::chip::{ChipProtocol, PaceChip, PaceChipConfig};
use super::terminal::{CamVerification, FixedEphemeral, PaceConfig, PaceTerminal};
use super::*;
use emrtd_apdu::{CommandApdu, ResponseApdu, StatusWord};
use emrtd_crypto::domain::Domain;
use emrtd_crypto::rng::FixedBytes;
use emrtd_secinfo::oid;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.split_whitespace().collect::<String>()).unwrap()
}

fn apdu(cmd: &CommandApdu) -> String {
    hex::encode_upper(cmd.to_bytes().unwrap())
}

fn resp(hexstr: &str) -> ResponseApdu {
    ResponseApdu::parse(&h(hexstr)).unwrap()
}

fn ok(data: Vec<u8>) -> ResponseApdu {
    ResponseApdu::new(data, StatusWord::SUCCESS)
}

fn protocol(oid: &[u8]) -> PaceProtocol {
    PaceProtocol::from_oid(oid).unwrap()
}

fn selection(oid: &[u8], id: u32) -> PaceSelection {
    PaceSelection::new(protocol(oid), Domain::standardized(id).unwrap())
}

fn g1_mrz() -> Password {
    Password::Mrz(MrzKey::new("T22000129", "640812", "101031").unwrap())
}

// ---------------------------------------------------------------- G.1

const G1_PK_MAP_IC: &str = "04 824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57 30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54";
const G1_PK_DH_IC: &str = "04 9E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB 7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094";

#[test]
fn g1_ecdh_gm_kpi_from_mrz() {
    let pw = g1_mrz();
    assert_eq!(pw.secret().to_vec(), h("7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD"));
    assert_eq!(
        pw.k_pi(CipherSuite::Aes128).to_vec(),
        h("89DED1B26624EC1E634C1989302849DD")
    );
}

#[test]
fn g1_ecdh_gm_terminal_reproduces_every_value() {
    let sel = selection(oid::ID_PACE_ECDH_GM_AES_CBC_CMAC_128, 13);
    let config = PaceConfig {
        parameter_id_in_mse: false,
        chat: None,
    };
    let mut t = PaceTerminal::new(sel, &g1_mrz(), config);
    let mut rng = FixedBytes::new(
        [
            h("7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99"),
            h("A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595"),
        ]
        .concat(),
    );
    // MSE:Set AT
    assert_eq!(
        apdu(&t.mse_set_at().unwrap()),
        "0022C1A40F800A04007F00070202040202830101"
    );
    assert_eq!(t.process_mse_set_at(&resp("9000")).unwrap(), None);
    // GA step 1: encrypted nonce
    assert_eq!(apdu(&t.ga1_encrypted_nonce().unwrap()), "10860000027C0000");
    let r1 = resp("7C12801095A3A016522EE98D01E76CB6B98B42C39000");
    // GA step 2: map nonce
    let c2 = t.ga2_map_nonce(&r1, &mut rng).unwrap();
    assert_eq!(
        t.transcript.s.as_deref().unwrap(),
        &h("3F00C4D39D153F2B2A214A078D899B22")[..]
    );
    assert_eq!(
        apdu(&c2),
        "10860000457C438141047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D00"
    );
    let r2 = resp(
        "7C43824104824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F5730D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C549000",
    );
    // GA step 3: perform key agreement
    let c3 = t.ga3_key_agreement(&r2, &mut rng).unwrap();
    assert_eq!(
        t.transcript.h.clone().unwrap(),
        h(
            "04 60332EF2450B5D247EF6D3868397D398852ED6E8CAF6FFEEF6BF85CA57057FD5 0840CA7415BAF3E43BD414D35AA4608B93A2CAF3A4E3EA4E82C9C13D03EB7181"
        )
    );
    assert_eq!(
        t.transcript.g_tilde.clone().unwrap(),
        h(
            "04 8CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E2 8C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522"
        )
    );
    assert_eq!(
        apdu(&c3),
        "10860000457C438341042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB3646200"
    );
    let r3 = resp(
        "7C438441049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F0949000",
    );
    // GA step 4: mutual authentication
    let c4 = t.ga4_mutual_authentication(&r3).unwrap();
    assert_eq!(
        t.transcript.k.as_deref().unwrap(),
        &h("28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925")[..]
    );
    assert_eq!(
        t.transcript.ks_enc.as_deref().unwrap(),
        &h("F5F0E35C0D7161EE6724EE513A0D9A7F")[..]
    );
    assert_eq!(
        t.transcript.ks_mac.as_deref().unwrap(),
        &h("FE251C7858B356B24514B3BD5F4297D1")[..]
    );
    assert_eq!(
        public_key_data_object(
            oid::ID_PACE_ECDH_GM_AES_CBC_CMAC_128,
            KeyAgreement::Ecdh,
            &h(G1_PK_DH_IC)
        ),
        h(
            "7F494F060A04007F000702020402028641049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094"
        )
    );
    assert_eq!(apdu(&c4), "008600000C7C0A8508C2B0BD78D94BA86600");
    // T_IC is computed over PK_DH,IFD's data object.
    assert_eq!(
        public_key_data_object(
            oid::ID_PACE_ECDH_GM_AES_CBC_CMAC_128,
            KeyAgreement::Ecdh,
            t.transcript.pk_dh_ifd.as_deref().unwrap()
        ),
        h(
            "7F494F060A04007F000702020402028641042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462"
        )
    );
    let out = t.finish(&resp("7C0A86083ABB9674BCE93C089000")).unwrap();
    assert_eq!(t.transcript.t_ic.unwrap().to_vec(), h("3ABB9674BCE93C08"));
    assert_eq!(out.session.ssc(), &[0u8; 16]);
    assert_eq!(out.session.ks_enc(), &h("F5F0E35C0D7161EE6724EE513A0D9A7F")[..]);
    assert_eq!(out.session.ks_mac(), &h("FE251C7858B356B24514B3BD5F4297D1")[..]);
    assert_eq!(out.chip_ephemeral_public_key, h(G1_PK_DH_IC));
    assert_eq!(out.parameter_id, Some(13));
    assert!(!out.is_cam());
    assert_eq!(rng.exhausted_reads(), 0);
    assert_eq!(rng.remaining(), 0);
}

#[test]
fn g1_mse_set_at_carries_parameter_id_by_default() {
    let sel = selection(oid::ID_PACE_ECDH_GM_AES_CBC_CMAC_128, 13);
    let mut t = PaceTerminal::new(sel, &g1_mrz(), PaceConfig::default());
    assert_eq!(
        apdu(&t.mse_set_at().unwrap()),
        "0022C1A412800A04007F0007020204020283010184010D"
    );
}

#[test]
fn g1_wrong_chip_token_is_an_error() {
    let sel = selection(oid::ID_PACE_ECDH_GM_AES_CBC_CMAC_128, 13);
    let mut t = PaceTerminal::new(sel, &g1_mrz(), PaceConfig::default());
    let mut rng = FixedBytes::new(
        [
            h("7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99"),
            h("A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595"),
        ]
        .concat(),
    );
    t.mse_set_at().unwrap();
    t.process_mse_set_at(&resp("9000")).unwrap();
    t.ga1_encrypted_nonce().unwrap();
    t.ga2_map_nonce(&resp("7C12801095A3A016522EE98D01E76CB6B98B42C39000"), &mut rng)
        .unwrap();
    t.ga3_key_agreement(&ok(dynamic_auth_data(&[(0x82, &h(G1_PK_MAP_IC))])), &mut rng)
        .unwrap();
    t.ga4_mutual_authentication(&ok(dynamic_auth_data(&[(0x84, &h(G1_PK_DH_IC))])))
        .unwrap();
    assert_eq!(
        t.finish(&resp("7C0A86083ABB9674BCE93C099000")).unwrap_err(),
        PaceError::BadChipToken
    );
}

#[test]
fn g1_ecdh_gm_chip_reproduces_every_response() {
    let mut chip = PaceChip::new(PaceChipConfig::new(
        vec![ChipProtocol {
            protocol: protocol(oid::ID_PACE_ECDH_GM_AES_CBC_CMAC_128),
            domain: Domain::standardized(13).unwrap(),
            parameter_id: Some(13),
        }],
        vec![g1_mrz()],
    ));
    let mut rng = FixedBytes::new(
        [
            h("3F00C4D39D153F2B2A214A078D899B22"),
            h("498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560"),
            h("107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A"),
        ]
        .concat(),
    );
    let mut exchange = |c: &str| {
        let cmd = CommandApdu::parse(&h(c)).unwrap();
        hex::encode_upper(chip.process(&cmd, &mut rng).to_bytes())
    };
    assert_eq!(exchange("0022C1A40F800A04007F00070202040202830101"), "9000");
    assert_eq!(
        exchange("10860000027C0000"),
        "7C12801095A3A016522EE98D01E76CB6B98B42C39000"
    );
    assert_eq!(
        exchange(
            "10860000457C438141047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D00"
        ),
        "7C43824104824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F5730D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C549000"
    );
    assert_eq!(
        exchange(
            "10860000457C438341042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB3646200"
        ),
        "7C438441049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F0949000"
    );
    assert_eq!(
        exchange("008600000C7C0A8508C2B0BD78D94BA86600"),
        "7C0A86083ABB9674BCE93C089000"
    );
    let out = chip.take_outcome().unwrap();
    assert_eq!(out.session.ks_enc(), &h("F5F0E35C0D7161EE6724EE513A0D9A7F")[..]);
    assert_eq!(out.session.ks_mac(), &h("FE251C7858B356B24514B3BD5F4297D1")[..]);
    assert_eq!(out.password, PasswordRef::Mrz);
}

// ---------------------------------------------------------------- G.2

const G2_PK_MAP_IC: &str = "78879F57225AA8080D52ED0FC890A4B25336F699AA89A2D3A189654AF70729E623EA5738B26381E4DA19E004706FACE7B235C2DBF2F38748312F3C98C2DD4882A41947B324AA1259AC22579DB93F7085655AF30889DBB845D9E6783FE42C9F2449400306254C8AE8EE9DD812A804C0B66E8CAFC14F84D8258950A91B44126EE6";
const G2_PK_DH_IC: &str = "075693D9AE941877573E634B6E644F8E60AF17A0076B8B123D9201074D36152BD8B3A213F53820C42ADC79AB5D0AEEC3AEFB91394DA476BD97B9B14D0A65C1FC71A0E019CB08AF55E1F729005FBA7E3FA5DC41899238A250767A6D46DB974064386CD456743585F8E5D90CC8B4004B1F6D866C79CE0584E49687FF61BC29AEA1";
const G2_K: &str = "6BABC7B3A72BCD7EA385E4C62DB2625BD8613B24149E146A629311C4CA6698E38B834B6A9E9CD7184BA8834AFF5043D436950C4C1E7832367C10CB8C314D40E5990B0DF7013E64B4549E2270923D06F08CFF6BD3E977DDE6ABE4C31D55C0FA2E465E553E77BDF75E3193D3834FC26E8EB1EE2FA1E4FC97C18C3F6CFFFE2607FD";

/// G.2 (MRZ, z = 854D…) and BSI 8b (PIN 123456, z = 9ABB…) share s and all keys.
fn dh_gm_terminal(password: Password, z: &str) -> (PaceTerminal, Vec<String>) {
    let sel = selection(oid::ID_PACE_DH_GM_AES_CBC_CMAC_128, 0);
    let config = PaceConfig {
        parameter_id_in_mse: false,
        chat: None,
    };
    let mut t = PaceTerminal::new(sel, &password, config);
    let mut rng = FixedBytes::new(
        [
            h("5265030F751F4AD18B08AC565FC7AC952E41618D"),
            h("89CCD99B0E8D3B1F11E1296DCA68EC53411CF2CA"),
        ]
        .concat(),
    );
    let mut apdus = vec![apdu(&t.mse_set_at().unwrap())];
    t.process_mse_set_at(&resp("9000")).unwrap();
    apdus.push(apdu(&t.ga1_encrypted_nonce().unwrap()));
    apdus.push(apdu(
        &t.ga2_map_nonce(&ok(dynamic_auth_data(&[(0x80, &h(z))])), &mut rng)
            .unwrap(),
    ));
    assert_eq!(
        t.transcript.s.as_deref().unwrap(),
        &h("FA5B7E3E49753A0DB9178B7B9BD898C8")[..]
    );
    apdus.push(apdu(
        &t.ga3_key_agreement(&ok(dynamic_auth_data(&[(0x82, &h(G2_PK_MAP_IC))])), &mut rng)
            .unwrap(),
    ));
    apdus.push(apdu(
        &t.ga4_mutual_authentication(&ok(dynamic_auth_data(&[(0x84, &h(G2_PK_DH_IC))])))
            .unwrap(),
    ));
    assert_eq!(rng.exhausted_reads(), 0);
    (t, apdus)
}

fn check_dh_gm_values(t: &PaceTerminal) {
    assert_eq!(
        t.transcript.pk_map_ifd.clone().unwrap(),
        h(
            "23FB3749EA030D2A25B278D2A562047ADE3F01B74F17A15402CB7352CA7D2B3EB71C343DB13D1DEBCE9A3666DBCFC920B49174A602CB47965CAA73DC702489A44D41DB914DE9613DC5E98C94160551C0DF86274B9359BC0490D01B03AD54022DCB4F57FAD6322497D7A1E28D46710F461AFE710FBBBC5F8BA166F4311975EC6C"
        )
    );
    assert_eq!(
        t.transcript.h.clone().unwrap(),
        h(
            "5BABEBEF5B74E5BA94B5C063FDA15F1F1CDE94873EE0A5D3A2FCAB49F258D07F544F13CB66658C3AFEE9E727389BE3F6CBBBD32128A8C21DD6EEA3CF7091CDDFB08B8D007D40318DCCA4FFBF51208790FB4BD111E5A968ED6B6F08B26CA87C410B3CE0C310CE104EABD16629AA48620C1279270CB0750C0D37C57FFFE302AE7F"
        )
    );
    assert_eq!(
        t.transcript.g_tilde.clone().unwrap(),
        h(
            "7C9CBFE98F9FBDDA8D143506FA7D9306F4CB17E3C71707AFF5E1C1A12370249684D64EE37AF44B8DBD9D45BF6023919CBAA027AB97ACC771666C8E98FF483301BFA4872DEDE9034EDFACB70814166B7F360676829B826BEA57291B5AD69FBC84EF1E779032A305803F74341793E869742D401325B37EE8565FFCDEE618342DC5"
        )
    );
    assert_eq!(
        t.transcript.pk_dh_ifd.clone().unwrap(),
        h(
            "907D89E2D425A178AA81AF4A7774EC8E388C115CAE67031E85EECE520BD911551B9AE4D04369F29A02626C86FBC6747CC7BC352645B6161A2A42D44EDA80A08FA8D61B76D3A154AD8A5A51786B0BC07147057871A922212C5F67F43173172236B7747D1671E6D692A3C7D40A0C3C5CE397545D015C175EB5130551EDBC2EE5D4"
        )
    );
    assert_eq!(t.transcript.k.as_deref().unwrap(), &h(G2_K)[..]);
    assert_eq!(
        t.transcript.ks_enc.as_deref().unwrap(),
        &h("2F7F46ADCC9E7E521B45D192FAFA9126")[..]
    );
    assert_eq!(
        t.transcript.ks_mac.as_deref().unwrap(),
        &h("805A1D27D45A5116F73C54469462B7D8")[..]
    );
    assert_eq!(t.transcript.t_ifd.unwrap().to_vec(), h("B46DD9BD4D98381F"));
}

#[test]
fn g2_standardized_parameter_0_is_the_rfc5114_group_of_the_example() {
    let Domain::Dh(g) = Domain::standardized(0).unwrap() else {
        panic!("id 0 is DH")
    };
    assert_eq!(
        g.p_bytes(),
        h(
            "B10B8F96A080E01DDE92DE5EAE5D54EC52C99FBCFB06A3C69A6A9DCA52D23B616073E28675A23D189838EF1E2EE652C013ECB4AEA906112324975C3CD49B83BFACCBDD7D90C4BD7098488E9C219A73724EFFD6FAE5644738FAA31A4FF55BCCC0A151AF5F0DC8B4BD45BF37DF365C1A65E68CFDA76D4DA708DF1FB2BC2E4A4371"
        )
    );
    assert_eq!(
        g.encode_element(&g.generator()),
        h(
            "A4D1CBD5C3FD34126765A442EFB99905F8104DD258AC507FD6406CFF14266D31266FEA1E5C41564B777E690F5504F213160217B4B01B886A5E91547F9E2749F4D7FBD7D3B9A92EE1909D0D2263F80A76A6A24C087A091F531DBF0A0169B6A28AD662A4D18E73AFA32D779D5918D08BC8858F4DCEF97C2A24855E6EEB22B3B2E5"
        )
    );
    assert_eq!(g.q_bytes().unwrap(), h("F518AA8781A8DF278ABA4E7D64B7CB9D49462353"));
}

#[test]
fn g2_dh_gm_terminal_reproduces_every_value() {
    let (mut t, apdus) = dh_gm_terminal(g1_mrz(), "854D8DF5827FA6852D1A4FA701CDDDCA");
    assert_eq!(apdus[0], "0022C1A40F800A04007F00070202040102830101");
    assert_eq!(apdus[1], "10860000027C0000");
    assert_eq!(
        apdus[2],
        "10860000867C818381818023FB3749EA030D2A25B278D2A562047ADE3F01B74F17A15402CB7352CA7D2B3EB71C343DB13D1DEBCE9A3666DBCFC920B49174A602CB47965CAA73DC702489A44D41DB914DE9613DC5E98C94160551C0DF86274B9359BC0490D01B03AD54022DCB4F57FAD6322497D7A1E28D46710F461AFE710FBBBC5F8BA166F4311975EC6C00"
    );
    assert_eq!(
        apdus[3],
        "10860000867C8183838180907D89E2D425A178AA81AF4A7774EC8E388C115CAE67031E85EECE520BD911551B9AE4D04369F29A02626C86FBC6747CC7BC352645B6161A2A42D44EDA80A08FA8D61B76D3A154AD8A5A51786B0BC07147057871A922212C5F67F43173172236B7747D1671E6D692A3C7D40A0C3C5CE397545D015C175EB5130551EDBC2EE5D400"
    );
    assert_eq!(apdus[4], "008600000C7C0A8508B46DD9BD4D98381F00");
    check_dh_gm_values(&t);
    assert_eq!(
        public_key_data_object(oid::ID_PACE_DH_GM_AES_CBC_CMAC_128, KeyAgreement::Dh, &h(G2_PK_DH_IC)),
        h(
            "7F49818F060A04007F00070202040102848180075693D9AE941877573E634B6E644F8E60AF17A0076B8B123D9201074D36152BD8B3A213F53820C42ADC79AB5D0AEEC3AEFB91394DA476BD97B9B14D0A65C1FC71A0E019CB08AF55E1F729005FBA7E3FA5DC41899238A250767A6D46DB974064386CD456743585F8E5D90CC8B4004B1F6D866C79CE0584E49687FF61BC29AEA1"
        )
    );
    // The chip's last response also carries the CAR "DETESTCVCA00003".
    let out = t
        .finish(&resp("7C1B8608917F37B5C0E6D8D1870F4445544553544356434130303030339000"))
        .unwrap();
    assert_eq!(
        out.certification_authority_references,
        vec![b"DETESTCVCA00003".to_vec()]
    );
    assert_eq!(out.session.ks_enc(), &h("2F7F46ADCC9E7E521B45D192FAFA9126")[..]);
}

#[test]
fn g2_dh_gm_chip_reproduces_every_response() {
    let mut config = PaceChipConfig::new(
        vec![ChipProtocol {
            protocol: protocol(oid::ID_PACE_DH_GM_AES_CBC_CMAC_128),
            domain: Domain::standardized(0).unwrap(),
            parameter_id: Some(0),
        }],
        vec![g1_mrz()],
    );
    config.cars = vec![b"DETESTCVCA00003".to_vec()];
    let mut chip = PaceChip::new(config);
    let mut rng = FixedBytes::new(
        [
            h("FA5B7E3E49753A0DB9178B7B9BD898C8"),
            h("66DDAFEAC1609CB5B963BB0CB3FF8B3E047F336C"),
            h("A5B780126B7C980E9FCEA1D4539DA1D27C342DFA"),
        ]
        .concat(),
    );
    let (_, apdus) = dh_gm_terminal(g1_mrz(), "854D8DF5827FA6852D1A4FA701CDDDCA");
    let mut out = Vec::new();
    for a in &apdus {
        let cmd = CommandApdu::parse(&h(a)).unwrap();
        out.push(chip.process(&cmd, &mut rng));
    }
    assert_eq!(out[0].sw, StatusWord::SUCCESS);
    assert_eq!(
        out[1].data,
        dynamic_auth_data(&[(0x80, &h("854D8DF5827FA6852D1A4FA701CDDDCA"))])
    );
    assert_eq!(out[2].data, dynamic_auth_data(&[(0x82, &h(G2_PK_MAP_IC))]));
    assert_eq!(out[3].data, dynamic_auth_data(&[(0x84, &h(G2_PK_DH_IC))]));
    // No CHAT was sent, so no CAR.
    assert_eq!(hex::encode_upper(out[4].to_bytes()), "7C0A8608917F37B5C0E6D8D19000");
    let o = chip.take_outcome().unwrap();
    assert_eq!(o.session.ks_mac(), &h("805A1D27D45A5116F73C54469462B7D8")[..]);
}

// ---------------------------------------------------------------- H.1 / H.2

fn pin_123456() -> Password {
    Password::Pin("123456".into())
}

#[test]
fn h_kpi_of_pin_123456() {
    assert_eq!(
        pin_123456().k_pi(CipherSuite::Aes128).to_vec(),
        h("591468CDA83D65219CCCB8560233600F")
    );
    assert_eq!(
        Password::Can("123456".into()).k_pi(CipherSuite::Aes128).to_vec(),
        h("591468CDA83D65219CCCB8560233600F")
    );
}

#[test]
fn h1_prf_reproduces_r() {
    let r = im_prf(
        CipherSuite::Aes128,
        &h("2923BE84E16CD6AE529049F1F1BBE9EB"),
        &h("5DD4CBFC96F5453B130D890A1CDBAE32"),
        256,
    )
    .unwrap();
    assert_eq!(
        r.to_vec(),
        h("E4447E2DFB3586BAC05DDB00156B57FBB2179A3949294C97254189800C517BAA8DA0FF397ED8C445D3E421E4FEB57322")
    );
}

#[test]
fn h1_ecdh_im_terminal_reproduces_every_value() {
    let sel = selection(oid::ID_PACE_ECDH_IM_AES_CBC_CMAC_128, 13);
    let mut t = PaceTerminal::new(
        sel,
        &Password::Can("123456".into()),
        PaceConfig {
            parameter_id_in_mse: false,
            chat: None,
        },
    )
    .with_fixed_ephemeral(FixedEphemeral {
        map_private_key: None,
        dh_private_key: Some(Zeroizing::new(h(
            "A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595",
        ))),
        im_nonce: Some(Zeroizing::new(h("5DD4CBFC96F5453B130D890A1CDBAE32"))),
    });
    let mut rng = FixedBytes::new(Vec::new());
    assert_eq!(
        apdu(&t.mse_set_at().unwrap()),
        "0022C1A40F800A04007F00070202040402830102"
    );
    t.process_mse_set_at(&resp("9000")).unwrap();
    t.ga1_encrypted_nonce().unwrap();
    let c2 = t
        .ga2_map_nonce(
            &ok(dynamic_auth_data(&[(0x80, &h("143DC40C08C8E891FBED7DEDB92B64AD"))])),
            &mut rng,
        )
        .unwrap();
    assert_eq!(
        t.transcript.s.as_deref().unwrap(),
        &h("2923BE84E16CD6AE529049F1F1BBE9EB")[..]
    );
    assert_eq!(apdu(&c2), "10860000147C1281105DD4CBFC96F5453B130D890A1CDBAE3200");
    t.ga3_key_agreement(&resp("7C0282009000"), &mut rng).unwrap();
    assert_eq!(
        t.transcript.rp.clone().unwrap(),
        h("A2F8FF2DF50E52C6599F386ADCB595D229F6A167ADE2BE5F2C3296ADD5B7430E")
    );
    assert_eq!(
        t.transcript.g_tilde.clone().unwrap(),
        h(
            "04 8E82D31559ED0FDE92A4D0498ADD3C23BABA94FB77691E31E90AEA77FB17D427 4C1AE14BD0C3DBAC0C871B7F3608169364437CA30AC243A089D3F266C1E60FAD"
        )
    );
    assert_eq!(
        t.transcript.pk_dh_ifd.clone().unwrap(),
        h(
            "04 89CBA23FFE96AA18D824627C3E934E54A9FD0B87A95D1471DC1C0ABFDCD640D4 6755DE9B7B778280B6BEBD57439ADFEB0E21FD4ED6DF42578C13418A59B34C37"
        )
    );
    let pk_ic = h(
        "04 67F78E5F7F7686082B293E8D087E056916D0F74BC01A5F8957D0DE45691E51E8 932B69A962B52A0985AD2C0A271EE6A13A8ADDDCD1A3A994B9DED257F4D22753",
    );
    t.ga4_mutual_authentication(&ok(dynamic_auth_data(&[(0x84, &pk_ic)])))
        .unwrap();
    assert_eq!(
        t.transcript.k.as_deref().unwrap(),
        &h("4F150FDE1D4F0E38E95017B891BAE17133A0DF45B0D3E18B60BA7BEAFDC2C713")[..]
    );
    assert_eq!(
        t.transcript.ks_enc.as_deref().unwrap(),
        &h("0D3FEB33251A6370893D62AE8DAAF51B")[..]
    );
    assert_eq!(
        t.transcript.ks_mac.as_deref().unwrap(),
        &h("B01E89E3D9E8719E586B50B4A7506E0B")[..]
    );
    assert_eq!(t.transcript.t_ifd.unwrap().to_vec(), h("450F02B86F6A0909"));
    let out = t
        .finish(&ok(dynamic_auth_data(&[(0x86, &h("75D4D96E8D5B0308"))])))
        .unwrap();
    assert_eq!(out.session.ks_mac(), &h("B01E89E3D9E8719E586B50B4A7506E0B")[..]);
}

#[test]
fn h1_ecdh_im_chip_reproduces_responses() {
    let mut chip = PaceChip::new(PaceChipConfig::new(
        vec![ChipProtocol {
            protocol: protocol(oid::ID_PACE_ECDH_IM_AES_CBC_CMAC_128),
            domain: Domain::standardized(13).unwrap(),
            parameter_id: Some(13),
        }],
        vec![Password::Can("123456".into())],
    ));
    let mut rng = FixedBytes::new(
        [
            h("2923BE84E16CD6AE529049F1F1BBE9EB"),
            h("107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A"),
        ]
        .concat(),
    );
    let mut x = |c: Vec<u8>| chip.process(&CommandApdu::parse(&c).unwrap(), &mut rng);
    assert_eq!(x(h("0022C1A40F800A04007F00070202040402830102")).sw, StatusWord::SUCCESS);
    assert_eq!(
        x(h("10860000027C0000")).data,
        dynamic_auth_data(&[(0x80, &h("143DC40C08C8E891FBED7DEDB92B64AD"))])
    );
    assert_eq!(
        x(h("10860000147C1281105DD4CBFC96F5453B130D890A1CDBAE3200")).data,
        h("7C028200")
    );
    let pk_ifd = h(
        "04 89CBA23FFE96AA18D824627C3E934E54A9FD0B87A95D1471DC1C0ABFDCD640D4 6755DE9B7B778280B6BEBD57439ADFEB0E21FD4ED6DF42578C13418A59B34C37",
    );
    let c3 = [h("1086000045"), dynamic_auth_data(&[(0x83, &pk_ifd)]), h("00")].concat();
    assert_eq!(
        x(c3).data,
        dynamic_auth_data(&[(
            0x84,
            &h(
                "04 67F78E5F7F7686082B293E8D087E056916D0F74BC01A5F8957D0DE45691E51E8 932B69A962B52A0985AD2C0A271EE6A13A8ADDDCD1A3A994B9DED257F4D22753"
            )
        )])
    );
    let r4 = x(h("008600000C7C0A8508450F02B86F6A090900"));
    assert_eq!(r4.data, dynamic_auth_data(&[(0x86, &h("75D4D96E8D5B0308"))]));
}

#[test]
fn h2_dh_im_terminal_reproduces_every_value() {
    let sel = selection(oid::ID_PACE_DH_IM_AES_CBC_CMAC_128, 0);
    let mut t = PaceTerminal::new(
        sel,
        &pin_123456(),
        PaceConfig {
            parameter_id_in_mse: false,
            chat: None,
        },
    )
    .with_fixed_ephemeral(FixedEphemeral {
        map_private_key: None,
        dh_private_key: Some(Zeroizing::new(h(
            "4BD0E54740F9A028E6A515BFDAF967848C4F5F5FFF65AA0915947FFD1A0DF2FA6981271BC905F3551457B7E03AC3B8066DE4AA406C1171FB43DD939C4BA16175103BA3DEE16419AA248118F90CC36A3D6F4C373652E0C3CCE7F0F1D0C5425B3600F0F0D6A67F004C8BBA33F2B4733C7252445C1DFC4F1107203F71D2EFB28161",
        ))),
        im_nonce: Some(Zeroizing::new(h("B3A6DB3C870C3E99245E0D1C06B747DE"))),
    });
    let mut rng = FixedBytes::new(Vec::new());
    assert_eq!(
        apdu(&t.mse_set_at().unwrap()),
        "0022C1A40F800A04007F00070202040302830103"
    );
    t.process_mse_set_at(&resp("9000")).unwrap();
    t.ga1_encrypted_nonce().unwrap();
    let c2 = t
        .ga2_map_nonce(
            &ok(dynamic_auth_data(&[(0x80, &h("9ABB8864CA0FF1551E620D1EF4E13510"))])),
            &mut rng,
        )
        .unwrap();
    assert_eq!(
        t.transcript.s.as_deref().unwrap(),
        &h("FA5B7E3E49753A0DB9178B7B9BD898C8")[..]
    );
    assert_eq!(apdu(&c2), "10860000147C128110B3A6DB3C870C3E99245E0D1C06B747DE00");
    let r = im_prf(
        CipherSuite::Aes128,
        &h("FA5B7E3E49753A0DB9178B7B9BD898C8"),
        &h("B3A6DB3C870C3E99245E0D1C06B747DE"),
        1024,
    )
    .unwrap();
    assert_eq!(
        r.to_vec(),
        h(
            "EAB98D13E09052952AA729907C3C946184DEA0FE74AD2B3AF506F0A83018459C38099CD1F7FF4EA0A078DB1FAC1365505E3DC85500EF95E20B4EEF2E88489233BEE0546B472F994B618D168702406791DEEF3CB4810932EC278F3533FDB860EB4835C36FA4F1BF3FA0B828A718C96BDE88FBA38A3E6C35AAA10959251EB5FC710FC187258995944C0F926E249373F485"
        )
    );
    t.ga3_key_agreement(&resp("7C009000"), &mut rng).unwrap();
    assert_eq!(
        t.transcript.rp.clone().unwrap(),
        h(
            "A0C7C50C002061A51CC87D254EF38068607417B6EE1B36473CFB800D2D2E5FA2B6980F01105D24FAB22ACD1BFA5C8A4C093ECDFAFE6D7125D42A843E338603835CF19AFAFF75EFE21DC5F6AA1F9AE46C25087E7368166FB08C1E4627AFED7D93570417B790FF7F747E57F432B04E1236819E0DFEF5B6E77CA4999925328182D2"
        )
    );
    assert_eq!(
        t.transcript.g_tilde.clone().unwrap(),
        h(
            "1D7D767F11E333BCD6DBAEF40E799E7A926B96973550656FF3C830726D118D61C276CDCC61D475CF03A98E0C0E79CAEBA5BE25578BD4551D0B10903236F0B0F976852FA78EEA14EA0ACA87D1E91F688FE0DFF897BBE35A472621D343564B262F34223AE8FC59B664BFEDFA2BFE7516CA5510A6BBB633D517EC25D4E0BBAA16C2"
        )
    );
    assert_eq!(
        t.transcript.pk_dh_ifd.clone().unwrap(),
        h(
            "0F0CC62945A8029251FB7EF3C094E12EC68E4EF07F27CB9D9CD04C5C4250FAE0E4F8A951557E929AEB48E5C6DD47F2F5CD7C351A9BD2CD722C07EDE166770F08FFCB370262CF308DD7B07F2E0DA9CAAA1492344C852906919538C98A4BA4187E76CE9D87832386D319CE2E043C3343AEAE6EDBA1A9894DC5094D22F7FE1351D5"
        )
    );
    let pk_ic = h(
        "928D9A0F9DBA450F13FC859C6F290D1D36E42431138A4378500BEB4E0401854CFF111F71CB6DC1D0335807A11388CC8EAA87B07907AAD9FBA6B169AF6D8C26AF8DDDC39ADC3AD2E3FF882B84D23E9768E95A80E4746FB07A9767679FE92133B4D379935C771BD7FBED6C7BB4B1708B275EA75679524CDC9C6A91370CC662A2F3",
    );
    t.ga4_mutual_authentication(&ok(dynamic_auth_data(&[(0x84, &pk_ic)])))
        .unwrap();
    assert_eq!(
        t.transcript.k.as_deref().unwrap(),
        &h(
            "419410D6C0A17A4C07C54872CE1CBCEB0A2705C1A434C8A89A4CFE41F1D78124CA7EC52BDE7615E5345E48AB1ABB6E7D1D59A57F3174084D3CA4570397C1F62228BDFDB2DA191EA2239E2C060DBE3BBC23C2FCD0AF12E0F9E0B99FCF91FF1959011D5798B2FCBC1F14FCC24E441F4C8F9B08D977E9498560E63E7FFAB3134EA7"
        )[..]
    );
    assert_eq!(
        t.transcript.ks_enc.as_deref().unwrap(),
        &h("01AFC10CF87BE36D8179E87370171F07")[..]
    );
    assert_eq!(
        t.transcript.ks_mac.as_deref().unwrap(),
        &h("23F0FBD05FD6C7B8B88F4C8309669061")[..]
    );
    assert_eq!(t.transcript.t_ifd.unwrap().to_vec(), h("55D61977CBF5307E"));
    let out = t
        .finish(&ok(dynamic_auth_data(&[(0x86, &h("C2F04230187E1525"))])))
        .unwrap();
    assert_eq!(out.password, PasswordRef::Pin);
}

// ---------------------------------------------------------------- I.1 (PACE-CAM)

const I1_PK_IC_STATIC: &str = "04 1872709494399E7470A6431BE25E83EEE24FEA568C2ED28DB48E05DB3A610DC8 84D256A40E35EFCB59BF6753D3A489D28C7A4D973C2DA138A6E7A4A08F68E16F";

#[test]
fn i1_pace_cam_terminal_reproduces_every_value_and_verifies_the_chip() {
    let mrz = MrzKey::new("C11T002JM", "960812", "231031").unwrap();
    assert_eq!(mrz.mrz_information().as_str(), "C11T002JM496081222310314");
    let pw = Password::Mrz(mrz);
    assert_eq!(pw.secret().to_vec(), h("894D03F148C6265E89845B218856EA34D00EF8E8"));
    assert_eq!(
        pw.k_pi(CipherSuite::Aes128).to_vec(),
        h("4E6F6FBF7BE748B932C7B74161BBA9DF")
    );
    let sel = selection(oid::ID_PACE_ECDH_CAM_AES_CBC_CMAC_128, 13);
    let mut t = PaceTerminal::new(sel, &pw, PaceConfig::default());
    let mut rng = FixedBytes::new(
        [
            h("5D8BB87BD74D985A4B7D4325B9F7B976FE835122773400798914AA22738135CC"),
            h("76ECFDAA9841C323A3F5FC5E88B88DB3EFF7E35EBF57A7E6946CB630006C2120"),
        ]
        .concat(),
    );
    assert_eq!(
        apdu(&t.mse_set_at().unwrap()),
        "0022C1A412800A04007F0007020204060283010184010D"
    );
    t.process_mse_set_at(&resp("9000")).unwrap();
    t.ga1_encrypted_nonce().unwrap();
    t.ga2_map_nonce(
        &ok(dynamic_auth_data(&[(0x80, &h("CB60E8E0D85B76A9BD304747C2AD42E2"))])),
        &mut rng,
    )
    .unwrap();
    assert_eq!(
        t.transcript.s.as_deref().unwrap(),
        &h("658B860BC94DF6F044FCE6D5C82CF8E5")[..]
    );
    assert_eq!(
        t.transcript.pk_map_ifd.clone().unwrap(),
        h(
            "04 7F1D410ADB7DDB3B84BF1030800981A9105D7457B4A3ADE002384F3086C67EDE 1AB889104A27DB6D842B019020FBF3CEACB0DC627F7BDCAC29969E19D0E553C1"
        )
    );
    let pk_map_ic = h(
        "04 A234236AA9B9621E8EFB73B5245C0E09D2576E5277183C1208BDD55280CAE8B3 04F365713A356E65A451E165ECC9AC0AC46E3771342C8FE5AEDD092685338E23",
    );
    t.ga3_key_agreement(&ok(dynamic_auth_data(&[(0x82, &pk_map_ic)])), &mut rng)
        .unwrap();
    assert_eq!(
        t.transcript.h.clone().unwrap(),
        h(
            "04 2C1DCC1773346492C6636A36EE4B965E292E9AAE7EE37736EF58B9D0A043F348 403A8CF33CA7DC0D9DF61D0889CE24424FF97C1AAD48A5CA2A554B071EF7638D"
        )
    );
    assert_eq!(
        t.transcript.g_tilde.clone().unwrap(),
        h(
            "04 89F0B5EABF3BE293C75903A3986131925C9F5B515CA95AF485DC7E886F03245D 44BEFB2DD3A0DBD71CB5E618971CF4747F12B79E548379A40E45963BAAF3E829"
        )
    );
    assert_eq!(
        t.transcript.pk_dh_ifd.clone().unwrap(),
        h(
            "04 446C934084D9DAB863944F219520076C29EE3F7AE6722B11FF319EC1C7728F95 5483400BFF60BF0C5929270009277DC2A515E12575010AD9BA916CF1BF86FEFC"
        )
    );
    let pk_dh_ic = h(
        "04 02AD566F3C6EC7F9324509AD50A51FA52030782A4968FCFEDF737DAEA9933331 11C3B9B4C2287789BD137E7F8AA882E2A3C633CCD6ECC2C63C57AD401A09C2E1",
    );
    let c4 = t
        .ga4_mutual_authentication(&ok(dynamic_auth_data(&[(0x84, &pk_dh_ic)])))
        .unwrap();
    assert_eq!(
        t.transcript.k.as_deref().unwrap(),
        &h("67950559D0C06B4D4B86972D14460837461087F8419FDBC36AAF6CEAAC462832")[..]
    );
    assert_eq!(
        t.transcript.ks_enc.as_deref().unwrap(),
        &h("0A9DA4DB03BDDE39FC5202BC44B2E89E")[..]
    );
    assert_eq!(
        t.transcript.ks_mac.as_deref().unwrap(),
        &h("4B1C06491ED5140CA2B537D344C6C0B1")[..]
    );
    assert_eq!(apdu(&c4), "008600000C7C0A8508E86BD06018A1CD3B00");
    let out = t
        .finish(&resp(
            "7C3C86088596CF055C67C1A38A301EEA964DAAE372AC990E3EFDE6333353BFC89A6704D93DA8798CF77F5B7A54BD10CBA372B42BE0B9B5F28AA8DE2F4F929000",
        ))
        .unwrap();
    assert_eq!(t.transcript.t_ic.unwrap().to_vec(), h("8596CF055C67C1A3"));
    // IV = E(KSenc, -1) and A_IC as in I.1.
    let ks_enc = h("0A9DA4DB03BDDE39FC5202BC44B2E89E");
    assert_eq!(
        emrtd_crypto::encrypt_block(CipherSuite::Aes128, &ks_enc, &[0xFF; 16]).unwrap(),
        h("F6A3B75A1E933941DD7A13E2520779DF")
    );
    assert_eq!(
        cam_encrypt(
            CipherSuite::Aes128,
            &ks_enc,
            &h("85DC3FA93D0952BFA82F5FD189EE75BD82F11D1F0B8ED4BF5319AC9B53C426B3")
        )
        .unwrap(),
        h("1EEA964DAAE372AC990E3EFDE6333353BFC89A6704D93DA8798CF77F5B7A54BD10CBA372B42BE0B9B5F28AA8DE2F4F92")
    );
    assert!(out.is_cam());
    assert_eq!(
        out.cam_chip_authentication_data().unwrap(),
        &h("85DC3FA93D0952BFA82F5FD189EE75BD82F11D1F0B8ED4BF5319AC9B53C426B3")[..]
    );
    // The static key from EF.CardSecurity's ChipAuthenticationPublicKeyInfo.
    let infos = emrtd_secinfo::SecurityInfos::parse(&h(
        "3164 3062060904007F0007020201023052300C060704007F0007010202010D034200041872709494399E7470A6431BE25E83EEE24FEA568C2ED28DB48E05DB3A610DC884D256A40E35EFCB59BF6753D3A489D28C7A4D973C2DA138A6E7A4A08F68E16F02010D",
    ))
    .unwrap();
    let key = infos.chip_authentication_public_key_infos().next().unwrap();
    let pk_ic = key.public_key.public_key_value().unwrap();
    assert_eq!(pk_ic, h(I1_PK_IC_STATIC));
    assert_eq!(out.verify_cam(&pk_ic).unwrap(), CamVerification::Verified);
    // Another chip's key does not pass.
    assert_eq!(out.verify_cam(&h(G1_PK_DH_IC)).unwrap(), CamVerification::Failed);
}

#[test]
fn i1_pace_cam_chip_encrypts_chip_authentication_data() {
    let mrz = MrzKey::new("C11T002JM", "960812", "231031").unwrap();
    let mut config = PaceChipConfig::new(
        vec![ChipProtocol {
            protocol: protocol(oid::ID_PACE_ECDH_CAM_AES_CBC_CMAC_128),
            domain: Domain::standardized(13).unwrap(),
            parameter_id: Some(13),
        }],
        vec![Password::Mrz(mrz.clone())],
    );
    config.cam_private_key = Some(Zeroizing::new(h(
        "86C88A4579CE48135878E6348A734B5D47CE5BC1E54C0E8978687B49FDE2E2C2",
    )));
    let mut chip = PaceChip::new(config);
    // The chip's SK_DH,IC is not published: use a fresh one; s and SK_Map,IC are I.1's.
    let mut chip_rng = FixedBytes::new(
        [
            h("658B860BC94DF6F044FCE6D5C82CF8E5"),
            h("9E56A6B59C95D06ECE5CD10F983BB2F4F1943528E577F23881D89D8C3BBEE0AA"),
            h("1111111111111111111111111111111111111111111111111111111111111111"),
        ]
        .concat(),
    );
    let mut t = PaceTerminal::new(
        selection(oid::ID_PACE_ECDH_CAM_AES_CBC_CMAC_128, 13),
        &Password::Mrz(mrz),
        PaceConfig::default(),
    );
    let mut t_rng = emrtd_crypto::rng::os_rng();
    let out = t.run(&mut t_rng, |c| Ok(chip.process(c, &mut chip_rng))).unwrap();
    assert_eq!(
        out.cam_chip_authentication_data().unwrap(),
        &h("85DC3FA93D0952BFA82F5FD189EE75BD82F11D1F0B8ED4BF5319AC9B53C426B3")[..]
    );
    assert_eq!(out.verify_cam(&h(I1_PK_IC_STATIC)).unwrap(), CamVerification::Verified);
}

// ---------------------------------------------------------------- BSI EAC worked example

#[test]
fn bsi_8a_pace_ecdh_gm_with_pin() {
    let sel = selection(oid::ID_PACE_ECDH_GM_AES_CBC_CMAC_128, 13);
    let mut t = PaceTerminal::new(sel, &pin_123456(), PaceConfig::default());
    let mut rng = FixedBytes::new(
        [
            h("752287F5B02DE3C4BC3E17945118C51B23C97278E4CD748048AC56BA5BDC3D46"),
            // SK_PCD without the leading 00 of its OpenSSL dump
            h("9D9A32DF93A57CCE33CA3CDD3457E33A976F293546C73550F397259C93BE0120"),
        ]
        .concat(),
    );
    assert_eq!(
        apdu(&t.mse_set_at().unwrap()),
        "0022C1A412800A04007F0007020204020283010384010D"
    );
    t.process_mse_set_at(&resp("9000")).unwrap();
    t.ga1_encrypted_nonce().unwrap();
    t.ga2_map_nonce(
        &ok(dynamic_auth_data(&[(0x80, &h("CE834CDE69FFBB1D1EB21585CD709F18"))])),
        &mut rng,
    )
    .unwrap();
    assert_eq!(
        t.transcript.s.as_deref().unwrap(),
        &h("7D98C00FC6C9E9543BBF94A87073A123")[..]
    );
    assert_eq!(
        t.transcript.pk_map_ifd.clone().unwrap(),
        h(
            "04 3DD29BBE5907FD21A152ADA4895FAAE7ACC55F5E50EFBFDE5AB0C6EB54F198D6 15913635F0FDF5BEB383E00355F82D3C41ED0DF2E28363433DFB73856A15DC9F"
        )
    );
    let pk_map_picc = h(
        "04 9CFCF7582AC986D0DD52FA53123414C3E1B96B4D00ABA8E574679B70EFB5BC3B 45D2F13729CC2AE178E7E241B443213533B77DBB44649A815DDC4A2384BA422A",
    );
    t.ga3_key_agreement(&ok(dynamic_auth_data(&[(0x82, &pk_map_picc)])), &mut rng)
        .unwrap();
    assert_eq!(
        t.transcript.h.clone().unwrap(),
        h(
            "04 71850CFD80FB475947E5B1AF10FE8E6663967C2D264935B31951F763A4B03A57 49167388F88F52A109167E3E6592CA0820468D1157A8E781D2F7049179B1D114"
        )
    );
    assert_eq!(
        t.transcript.g_tilde.clone().unwrap(),
        h(
            "04 3929D28BA1E5339D6C5DADE5E33BD3C2F0BD14DD77C7521532261659C918FA60 14DD48FA84E62BDE438EDB4C9771D042CDB24B7788BDBAB2031C45751E777F66"
        )
    );
    assert_eq!(
        t.transcript.pk_dh_ifd.clone().unwrap(),
        h(
            "04 518BC4E532AD2A9BD6527804D5D665ABD51041037A0CC8AA922804EB501C222B 3427388599AFAAE9FBACE2DF93E13C3C4979CD12F0AE3E3C0126028391554582"
        )
    );
    let pk_picc = h(
        "04 282CF38073036AFAC216AF135BD994DA0C357F10BD4C34AFEA1042B2EB0FD680 4DF3658B835AC2E7133F13691184542BB50B109963A4662ABDC08B9763AF4B5B",
    );
    t.ga4_mutual_authentication(&ok(dynamic_auth_data(&[(0x84, &pk_picc)])))
        .unwrap();
    assert_eq!(
        t.transcript.k.as_deref().unwrap(),
        &h("6E7D077CCD367C2EAA683F1E8EC534302E2D00B6ADAF8A87A6EDA78740F17606")[..]
    );
    assert_eq!(
        t.transcript.ks_enc.as_deref().unwrap(),
        &h("68406B4162100563D9C901A6154D2901")[..]
    );
    assert_eq!(
        t.transcript.ks_mac.as_deref().unwrap(),
        &h("73FF268784F72AF833FDC9464049AFC9")[..]
    );
    assert_eq!(t.transcript.t_ifd.unwrap().to_vec(), h("A27AE7B36573C1D9"));
    let out = t
        .finish(&ok(dynamic_auth_data(&[(0x86, &h("A2658C2F38600B0F"))])))
        .unwrap();
    assert_eq!(out.password, PasswordRef::Pin);
    // The chip side with the example's keys answers the same values.
    let mut chip = PaceChip::new(PaceChipConfig::new(
        vec![ChipProtocol {
            protocol: protocol(oid::ID_PACE_ECDH_GM_AES_CBC_CMAC_128),
            domain: Domain::standardized(13).unwrap(),
            parameter_id: Some(13),
        }],
        vec![pin_123456()],
    ));
    let mut chip_rng = FixedBytes::new(
        [
            h("7D98C00FC6C9E9543BBF94A87073A123"),
            h("19C428715663DE745D1824B855D2B967890C99D68ED5FEEE9DCDF8D7BBA289D2"),
            h("15872C56908C144002177994CFAAEDD5467CE150853C44535051FF24183039D8"),
        ]
        .concat(),
    );
    let mut t2 = PaceTerminal::new(
        selection(oid::ID_PACE_ECDH_GM_AES_CBC_CMAC_128, 13),
        &pin_123456(),
        PaceConfig::default(),
    );
    let mut t2_rng = FixedBytes::new(
        [
            h("752287F5B02DE3C4BC3E17945118C51B23C97278E4CD748048AC56BA5BDC3D46"),
            h("9D9A32DF93A57CCE33CA3CDD3457E33A976F293546C73550F397259C93BE0120"),
        ]
        .concat(),
    );
    let mut seen = Vec::new();
    let out2 = t2
        .run(&mut t2_rng, |c| {
            let r = chip.process(c, &mut chip_rng);
            seen.push(r.data.clone());
            Ok(r)
        })
        .unwrap();
    assert_eq!(
        seen[1],
        dynamic_auth_data(&[(0x80, &h("CE834CDE69FFBB1D1EB21585CD709F18"))])
    );
    assert_eq!(seen[2], dynamic_auth_data(&[(0x82, &pk_map_picc)]));
    assert_eq!(seen[3], dynamic_auth_data(&[(0x84, &pk_picc)]));
    assert_eq!(seen[4], dynamic_auth_data(&[(0x86, &h("A2658C2F38600B0F"))]));
    assert_eq!(out2.session.ks_enc(), &h("68406B4162100563D9C901A6154D2901")[..]);
    assert_eq!(chip.take_outcome().unwrap().session.ks_enc(), out2.session.ks_enc());
}

#[test]
fn bsi_8b_pace_dh_gm_with_pin() {
    let (mut t, apdus) = dh_gm_terminal(pin_123456(), "9ABB8864CA0FF1551E620D1EF4E13510");
    assert_eq!(apdus[0], "0022C1A40F800A04007F00070202040102830103");
    check_dh_gm_values(&t);
    let out = t
        .finish(&ok(dynamic_auth_data(&[(0x86, &h("917F37B5C0E6D8D1"))])))
        .unwrap();
    assert_eq!(out.session.ks_mac(), &h("805A1D27D45A5116F73C54469462B7D8")[..]);
}

// ---------------------------------------------------------------- round trips

fn chip_for(protocol: PaceProtocol, domain: Domain, passwords: Vec<Password>) -> PaceChip {
    let mut config = PaceChipConfig::new(
        vec![ChipProtocol {
            protocol,
            parameter_id: domain.id(),
            domain,
        }],
        passwords,
    );
    config.cam_private_key = Some(Zeroizing::new(vec![0x5A; 20]));
    PaceChip::new(config)
}

/// brainpoolP256t1 (explicit parameters of a German test card's EF.CardAccess).
fn explicit_curve() -> Domain {
    Domain::explicit_ec(
        &h("A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377"),
        &h("A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5374"),
        &h("662C61C430D84EA4FE66A7733D0B76B7BF93EBC4AF2F49256AE58101FEE92B04"),
        &h("04A3E8EB3CC1CFE7B7732213B23A656149AFA142C47AAFBC2B79A191562E1305F42D996C823439C56D7F7B22E14644417E69BCB6DE39D027001DABE8F35B25C9BE"),
        &h("A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7"),
        &[1],
    )
    .unwrap()
}

fn round_trip(protocol: PaceProtocol, domain: Domain, password: Password) {
    let label = format!("{protocol:?} on {:?}", domain.name());
    let mut chip = chip_for(protocol, domain.clone(), vec![password.clone()]);
    let mut chip_rng = emrtd_crypto::rng::os_rng();
    let mut rng = emrtd_crypto::rng::os_rng();
    let mut t = PaceTerminal::new(PaceSelection::new(protocol, domain), &password, PaceConfig::default());
    let out = t
        .run(&mut rng, |c| Ok(chip.process(c, &mut chip_rng)))
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    let mut chip_out = chip.take_outcome().unwrap();
    assert_eq!(out.session.ks_enc(), chip_out.session.ks_enc(), "{label}");
    assert_eq!(out.session.ks_mac(), chip_out.session.ks_mac(), "{label}");
    assert_eq!(out.session.ks_enc().len(), protocol.cipher.key_len(), "{label}");
    assert_eq!(out.session.ssc(), vec![0u8; protocol.cipher.block_len()], "{label}");
    assert_eq!(out.chip_ephemeral_public_key, chip_out.chip_ephemeral_public_key);
    if protocol.mapping == PaceMapping::ChipAuthentication {
        let pk_ic = t.selection().domain.public_key(&[0x5A; 20]).unwrap();
        assert_eq!(out.verify_cam(&pk_ic).unwrap(), CamVerification::Verified, "{label}");
    }
    // The sessions interoperate: a protected command is understood by the chip.
    let mut session = out.session;
    let cmd = CommandApdu::new(0x00, 0xB0, 0x00, 0x00).with_ne(4);
    let protected = session.protect(&cmd).unwrap();
    let unprotected = chip_out.session.unprotect_command(&protected).unwrap();
    assert_eq!(unprotected.ins, 0xB0, "{label}");
}

fn all_protocols() -> Vec<PaceProtocol> {
    let mut v = Vec::new();
    for m in [1u8, 2, 3, 4, 6] {
        for c in 1u8..=4 {
            let mut o = emrtd_secinfo::oid::ID_PACE.to_vec();
            o.extend_from_slice(&[m, c]);
            if let Some(p) = PaceProtocol::from_oid(&o) {
                v.push(p);
            }
        }
    }
    v
}

#[test]
fn round_trip_every_mapping_key_agreement_and_cipher() {
    let protocols = all_protocols();
    assert_eq!(protocols.len(), 19, "4 DH-GM + 4 ECDH-GM + 4 DH-IM + 4 ECDH-IM + 3 CAM");
    // Rotate through standardized parameters; P-224 (p ≡ 1 mod 4) only for GM/CAM.
    let ec_ids = [13u32, 12, 9, 16, 18, 17, 14, 8, 15, 11];
    let dh_ids = [0u32, 1, 2];
    for (i, p) in protocols.iter().enumerate() {
        let domain = match p.key_agreement {
            KeyAgreement::Ecdh => Domain::standardized(ec_ids[i % ec_ids.len()]).unwrap(),
            KeyAgreement::Dh => Domain::standardized(dh_ids[i % dh_ids.len()]).unwrap(),
        };
        let password = match i % 4 {
            0 => g1_mrz(),
            1 => Password::Can("123456".into()),
            2 => pin_123456(),
            _ => Password::Puk("1234567890".into()),
        };
        round_trip(*p, domain, password);
    }
}

#[test]
fn round_trip_every_standardized_domain_with_gm() {
    for id in emrtd_crypto::domain::STANDARDIZED_IDS {
        let d = Domain::standardized(*id).unwrap();
        let oid = if d.is_ec() {
            oid::ID_PACE_ECDH_GM_AES_CBC_CMAC_128
        } else {
            oid::ID_PACE_DH_GM_AES_CBC_CMAC_128
        };
        round_trip(protocol(oid), d, g1_mrz());
    }
    // P-224 with CAM as well (GM mapping phase).
    round_trip(
        protocol(oid::ID_PACE_ECDH_CAM_AES_CBC_CMAC_256),
        Domain::standardized(10).unwrap(),
        g1_mrz(),
    );
}

#[test]
fn round_trip_explicit_curve_every_ecdh_mapping() {
    for oid in [
        oid::ID_PACE_ECDH_GM_3DES_CBC_CBC,
        oid::ID_PACE_ECDH_IM_AES_CBC_CMAC_192,
        oid::ID_PACE_ECDH_CAM_AES_CBC_CMAC_128,
    ] {
        round_trip(protocol(oid), explicit_curve(), g1_mrz());
    }
    // A curve with cofactor 4 (secp128r2): ECKA with cofactor multiplication, IM maps into
    // the prime-order subgroup.
    let secp128r2 = Domain::explicit_ec(
        &h("FFFFFFFDFFFFFFFFFFFFFFFFFFFFFFFF"),
        &h("D6031998D1B3BBFEBF59CC9BBFF9AEE1"),
        &h("5EEEFCA380D02919DC2C6558BB6D8A5D"),
        &h("047B6AA5D85E572983E6FB32A7CDEBC14027B6916A894D3AEE7106FE805FC34B44"),
        &h("3FFFFFFF7FFFFFFFBE0024720613B5A3"),
        &[4],
    )
    .unwrap();
    for oid in [oid::ID_PACE_ECDH_GM_AES_CBC_CMAC_128, oid::ID_PACE_ECDH_IM_3DES_CBC_CBC] {
        round_trip(protocol(oid), secp128r2.clone(), g1_mrz());
    }
    // Explicit DH: the RFC 5114 2048/256 group given as p, g, q.
    let Domain::Dh(g) = Domain::standardized(2).unwrap() else {
        panic!()
    };
    let explicit_dh =
        Domain::explicit_dh(&g.p_bytes(), &g.encode_element(&g.generator()), g.q_bytes().as_deref()).unwrap();
    assert_eq!(explicit_dh.id(), None);
    round_trip(protocol(oid::ID_PACE_DH_IM_AES_CBC_CMAC_256), explicit_dh, g1_mrz());
}

#[test]
fn wrong_password_fails_on_both_sides() {
    let p = protocol(oid::ID_PACE_ECDH_GM_AES_CBC_CMAC_128);
    let d = Domain::standardized(13).unwrap();
    let mut chip = chip_for(p, d.clone(), vec![Password::Can("123456".into())]);
    let mut rng = emrtd_crypto::rng::os_rng();
    let mut chip_rng = emrtd_crypto::rng::os_rng();
    let mut t = PaceTerminal::new(
        PaceSelection::new(p, d),
        &Password::Can("654321".into()),
        PaceConfig::default(),
    );
    let err = t.run(&mut rng, |c| Ok(chip.process(c, &mut chip_rng))).unwrap_err();
    assert_eq!(
        err,
        PaceError::PasswordRejected {
            step: "GA step 4",
            status: PasswordStatus::Failed
        }
    );
    assert!(chip.take_outcome().is_none());
}

// ---------------------------------------------------------------- PIN management

fn eid_chip() -> PaceChip {
    let mut config = PaceChipConfig::new(
        vec![ChipProtocol {
            protocol: protocol(oid::ID_PACE_ECDH_GM_AES_CBC_CMAC_128),
            domain: Domain::standardized(13).unwrap(),
            parameter_id: Some(13),
        }],
        vec![
            pin_123456(),
            Password::Can("500540".into()),
            Password::Puk("9876543210".into()),
        ],
    );
    config.pin_retries = 3;
    PaceChip::new(config)
}

fn pace_with(chip: &mut PaceChip, pw: &Password) -> Result<terminal::PaceOutcome, PaceError> {
    let mut rng = emrtd_crypto::rng::os_rng();
    let mut chip_rng = emrtd_crypto::rng::os_rng();
    let mut t = PaceTerminal::new(
        selection(oid::ID_PACE_ECDH_GM_AES_CBC_CMAC_128, 13),
        pw,
        PaceConfig::default(),
    );
    t.run(&mut rng, |c| Ok(chip.process(c, &mut chip_rng)))
}

fn send_pin_command(chip: &mut PaceChip, out: &mut terminal::PaceOutcome, cmd: &CommandApdu) -> Result<(), PaceError> {
    // Secure messaging on the terminal side; the virtual chip would unwrap it before
    // handing the plain command to `process_pin_management`.
    let protected = out.session.protect(cmd).unwrap();
    assert_ne!(protected.data, cmd.data);
    let resp = chip.process_pin_management(cmd).unwrap();
    pin::interpret_response(&resp)
}

#[test]
fn pin_retries_suspension_blocking_and_reset_with_puk() {
    let mut chip = eid_chip();
    let wrong = Password::Pin("000000".into());
    // 1st wrong PIN: 2 retries left.
    let e = pace_with(&mut chip, &wrong).unwrap_err();
    assert_eq!(
        e,
        PaceError::PasswordRejected {
            step: "GA step 4",
            status: PasswordStatus::RetriesLeft(2)
        }
    );
    assert_eq!(pin::next_step(&e), Some(pin::PinNextStep::RetryPin(2)));
    // 2nd wrong PIN: MSE:Set AT warns (63C2), then GA step 4 reports suspension (63C1).
    let e = pace_with(&mut chip, &wrong).unwrap_err();
    assert_eq!(
        e,
        PaceError::PasswordRejected {
            step: "GA step 4",
            status: PasswordStatus::Suspended
        }
    );
    assert_eq!(pin::next_step(&e), Some(pin::PinNextStep::PaceWithCanThenPin));
    // Suspended: PACE with the PIN is refused at MSE:Set AT until the CAN was used.
    let e = pace_with(&mut chip, &pin_123456()).unwrap_err();
    assert_eq!(
        e,
        PaceError::PasswordRejected {
            step: "MSE:Set AT",
            status: PasswordStatus::Suspended
        }
    );
    pace_with(&mut chip, &Password::Can("500540".into())).unwrap();
    // 3rd wrong PIN after the CAN: blocked.
    let e = pace_with(&mut chip, &wrong).unwrap_err();
    assert_eq!(
        e,
        PaceError::PasswordRejected {
            step: "GA step 4",
            status: PasswordStatus::Blocked
        }
    );
    assert_eq!(pin::next_step(&e), Some(pin::PinNextStep::PaceWithPukThenReset));
    assert_eq!(chip.pin_retries(), 0);
    // Blocked: even the right PIN is refused (6983).
    let e = pace_with(&mut chip, &pin_123456()).unwrap_err();
    assert_eq!(
        e,
        PaceError::PasswordRejected {
            step: "MSE:Set AT",
            status: PasswordStatus::Blocked
        }
    );
    // PUK, then RESET RETRY COUNTER.
    let mut out = pace_with(&mut chip, &Password::Puk("9876543210".into())).unwrap();
    assert_eq!(pin::reset_retry_counter().to_bytes().unwrap(), h("002C0303"));
    send_pin_command(&mut chip, &mut out, &pin::reset_retry_counter()).unwrap();
    assert_eq!(chip.pin_retries(), 3);
    let out = pace_with(&mut chip, &pin_123456()).unwrap();
    assert_eq!(out.mse_warning, None);
}

#[test]
fn mse_set_at_warning_with_two_retries_left() {
    let mut chip = eid_chip();
    pace_with(&mut chip, &Password::Pin("000000".into())).unwrap_err();
    let out = pace_with(&mut chip, &pin_123456()).unwrap();
    assert_eq!(out.mse_warning, Some(PasswordStatus::RetriesLeft(2)));
    assert_eq!(chip.pin_retries(), 3);
}

#[test]
fn change_pin_after_pace_with_pin() {
    let mut chip = eid_chip();
    // Without PACE-PIN or PUK the chip refuses.
    let mut out = pace_with(&mut chip, &Password::Can("500540".into())).unwrap();
    let cmd = pin::change_pin("24680").unwrap();
    assert_eq!(cmd.to_bytes().unwrap(), h("002C02030532343638 30"));
    assert_eq!(
        send_pin_command(&mut chip, &mut out, &cmd).unwrap_err(),
        PaceError::ChipRefused {
            step: "PIN management",
            sw: StatusWord(0x6982)
        }
    );
    let mut out = pace_with(&mut chip, &pin_123456()).unwrap();
    send_pin_command(&mut chip, &mut out, &cmd).unwrap();
    pace_with(&mut chip, &Password::Pin("24680".into())).unwrap();
    let mut out = pace_with(&mut chip, &Password::Pin("24680".into())).unwrap();
    let cmd = pin::change_reference_data("135790").unwrap();
    assert_eq!(cmd.to_bytes().unwrap(), h("00240103063133353739 30"));
    send_pin_command(&mut chip, &mut out, &cmd).unwrap();
    pace_with(&mut chip, &Password::Pin("135790".into())).unwrap();
    assert!(pin::change_pin("12a4").is_err());
}

#[test]
fn chip_rejects_out_of_order_and_garbage() {
    let mut chip = eid_chip();
    let mut rng = emrtd_crypto::rng::os_rng();
    // GA before MSE:Set AT.
    let r = chip.process(&CommandApdu::parse(&h("10860000027C0000")).unwrap(), &mut rng);
    assert_eq!(r.sw, StatusWord(0x6985));
    // Unknown protocol OID / password.
    let r = chip.process(
        &CommandApdu::parse(&h("0022C1A40F800A04007F00070202040402830101")).unwrap(),
        &mut rng,
    );
    assert_eq!(r.sw, StatusWord(0x6A88));
    let r = chip.process(&CommandApdu::parse(&h("0022C1A403800100")).unwrap(), &mut rng);
    assert_eq!(r.sw, StatusWord(0x6A80));
    // Garbage in GA.
    chip.process(
        &CommandApdu::parse(&h("0022C1A40F800A04007F00070202040202830103")).unwrap(),
        &mut rng,
    );
    let r = chip.process(&CommandApdu::parse(&h("1086000003FFFFFF00")).unwrap(), &mut rng);
    assert_eq!(r.sw, StatusWord(0x6A80));
}

#[test]
fn terminal_rejects_malformed_chip_answers() {
    let sel = selection(oid::ID_PACE_ECDH_GM_AES_CBC_CMAC_128, 13);
    let mut rng = emrtd_crypto::rng::os_rng();
    for bad in ["9000", "7C009000", "7C0280009000", "7C03800100 9000", "6A80"] {
        let mut t = PaceTerminal::new(sel.clone(), &g1_mrz(), PaceConfig::default());
        t.mse_set_at().unwrap();
        t.process_mse_set_at(&resp("9000")).unwrap();
        t.ga1_encrypted_nonce().unwrap();
        assert!(t.ga2_map_nonce(&resp(bad), &mut rng).is_err(), "{bad}");
    }
    // A point not on the curve in GA step 2.
    let mut t = PaceTerminal::new(sel, &g1_mrz(), PaceConfig::default());
    t.mse_set_at().unwrap();
    t.process_mse_set_at(&resp("9000")).unwrap();
    t.ga1_encrypted_nonce().unwrap();
    t.ga2_map_nonce(&resp("7C12801095A3A016522EE98D01E76CB6B98B42C39000"), &mut rng)
        .unwrap();
    let mut bad_point = h(G1_PK_MAP_IC);
    bad_point[10] ^= 1;
    assert!(matches!(
        t.ga3_key_agreement(&ok(dynamic_auth_data(&[(0x82, &bad_point)])), &mut rng),
        Err(PaceError::Asym(_))
    ));
}

// ---------------------------------------------------------------- hostile input

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Random chip answers at every step: errors, never a panic.
    #[test]
    fn terminal_survives_random_chip_answers(
        answers in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..160), 5),
        mapping in 0usize..3,
    ) {
        let oid = [
            oid::ID_PACE_ECDH_GM_AES_CBC_CMAC_128,
            oid::ID_PACE_ECDH_IM_AES_CBC_CMAC_128,
            oid::ID_PACE_ECDH_CAM_AES_CBC_CMAC_128,
        ][mapping];
        let mut t = PaceTerminal::new(selection(oid, 13), &g1_mrz(), PaceConfig::default());
        let mut rng = emrtd_crypto::rng::os_rng();
        let mut i = 0;
        let r = t.run(&mut rng, |_| {
            let a = &answers[i.min(4)];
            i += 1;
            // Wrap in 7C to get past the outer parsing some of the time.
            let data = if a.first().is_some_and(|b| b & 1 == 1) { a.clone() } else { dynamic_auth_data(&[(0x80 + (i as u32 % 8), a)]) };
            Ok(ResponseApdu::new(data, StatusWord::SUCCESS))
        });
        proptest::prop_assert!(r.is_err());
    }

    /// Random commands (after a valid MSE:Set AT): status words, never a panic.
    #[test]
    fn chip_survives_random_commands(
        cmds in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..140), 1..5),
    ) {
        let mut chip = eid_chip();
        let mut rng = emrtd_crypto::rng::os_rng();
        chip.process(&CommandApdu::parse(&h("0022C1A412800A04007F0007020204020283010384010D")).unwrap(), &mut rng);
        for (n, data) in cmds.iter().enumerate() {
            let cla = if n + 1 == cmds.len() { 0x00 } else { 0x10 };
            let cmd = CommandApdu::new(cla, 0x86, 0, 0).with_data(dynamic_auth_data(&[(0x81 + n as u32, data)])).with_ne(256);
            let r = chip.process(&cmd, &mut rng);
            proptest::prop_assert!(r.sw != StatusWord::SUCCESS || n == 0);
        }
        proptest::prop_assert!(chip.take_outcome().is_none());
    }
}
