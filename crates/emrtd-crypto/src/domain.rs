//! Standardized domain parameters of Doc 9303-11 §9.5.1 (Table 6) / BSI TR-03110-3 Table 4
//! and a single API over EC and DH groups for PACE and Chip Authentication.
//!
//! | id | parameters |
//! |----|------------|
//! | 0 | 1024-bit MODP group with 160-bit prime order subgroup (RFC 5114 §2.1) |
//! | 1 | 2048-bit MODP group with 224-bit prime order subgroup (RFC 5114 §2.2) |
//! | 2 | 2048-bit MODP group with 256-bit prime order subgroup (RFC 5114 §2.3) |
//! | 8 | NIST P-192 (secp192r1) | 9 | brainpoolP192r1 |
//! | 10 | NIST P-224 (secp224r1) | 11 | brainpoolP224r1 |
//! | 12 | NIST P-256 (secp256r1) | 13 | brainpoolP256r1 |
//! | 14 | brainpoolP320r1 | 15 | NIST P-384 (secp384r1) |
//! | 16 | brainpoolP384r1 | 17 | brainpoolP512r1 | 18 | NIST P-521 (secp521r1) |
//!
//! [`Domain`] wraps either a [`Curve`] or a [`DhGroup`]; [`GroupElement`] is a point or a
//! group element. Key pairs are generated from a `CryptoRng` ([`Domain::generate_private_key`]),
//! public keys are encoded as uncompressed points / big-endian integers of the length of p,
//! and [`Domain::key_agreement`] gives the shared secret (x-coordinate / DH value) after
//! validating the peer's key.

use crate::SecretBytes;
use crate::dh::{DhElement, DhGroup};
use crate::ec::{AsymError, Curve, EcPoint};
use rand_core::CryptoRng;
use std::sync::{Arc, OnceLock};

pub(crate) struct EcConstants {
    id: u32,
    name: &'static str,
    p: &'static str,
    a: &'static str,
    b: &'static str,
    g: &'static str,
    n: &'static str,
    h: u8,
}

pub(crate) struct DhConstants {
    id: u32,
    name: &'static str,
    p: &'static str,
    g: &'static str,
    q: &'static str,
}

// Generated from `openssl ecparam -name <curve> -param_enc explicit -text` and
// `openssl genpkey -genparam -algorithm DH -pkeyopt group:dh_<..> -text` (OpenSSL 3.0).
const EC_CURVES: &[EcConstants] = &[
    EcConstants {
        id: 8,
        name: "secp192r1",
        p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFF",
        a: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFC",
        b: "64210519E59C80E70FA7E9AB72243049FEB8DEECC146B9B1",
        g: "04188DA80EB03090F67CBF20EB43A18800F4FF0AFD82FF101207192B95FFC8DA78631011ED6B24CDD573F977A11E794811",
        n: "FFFFFFFFFFFFFFFFFFFFFFFF99DEF836146BC9B1B4D22831",
        h: 1,
    },
    EcConstants {
        id: 9,
        name: "brainpoolP192r1",
        p: "C302F41D932A36CDA7A3463093D18DB78FCE476DE1A86297",
        a: "6A91174076B1E0E19C39C031FE8685C1CAE040E5C69A28EF",
        b: "469A28EF7C28CCA3DC721D044F4496BCCA7EF4146FBF25C9",
        g: "04C0A0647EAAB6A48753B033C56CB0F0900A2F5C4853375FD614B690866ABD5BB88B5F4828C1490002E6773FA2FA299B8F",
        n: "C302F41D932A36CDA7A3462F9E9E916B5BE8F1029AC4ACC1",
        h: 1,
    },
    EcConstants {
        id: 10,
        name: "secp224r1",
        p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF000000000000000000000001",
        a: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFE",
        b: "B4050A850C04B3ABF54132565044B0B7D7BFD8BA270B39432355FFB4",
        g: "04B70E0CBD6BB4BF7F321390B94A03C1D356C21122343280D6115C1D21BD376388B5F723FB4C22DFE6CD4375A05A07476444D5819985007E34",
        n: "FFFFFFFFFFFFFFFFFFFFFFFFFFFF16A2E0B8F03E13DD29455C5C2A3D",
        h: 1,
    },
    EcConstants {
        id: 11,
        name: "brainpoolP224r1",
        p: "D7C134AA264366862A18302575D1D787B09F075797DA89F57EC8C0FF",
        a: "68A5E62CA9CE6C1C299803A6C1530B514E182AD8B0042A59CAD29F43",
        b: "2580F63CCFE44138870713B1A92369E33E2135D266DBB372386C400B",
        g: "040D9029AD2C7E5CF4340823B2A87DC68C9E4CE3174C1E6EFDEE12C07D58AA56F772C0726F24C6B89E4ECDAC24354B9E99CAA3F6D3761402CD",
        n: "D7C134AA264366862A18302575D0FB98D116BC4B6DDEBCA3A5A7939F",
        h: 1,
    },
    EcConstants {
        id: 12,
        name: "secp256r1",
        p: "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF",
        a: "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC",
        b: "5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B",
        g: "046B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C2964FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5",
        n: "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551",
        h: 1,
    },
    EcConstants {
        id: 13,
        name: "brainpoolP256r1",
        p: "A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377",
        a: "7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9",
        b: "26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6",
        g: "048BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997",
        n: "A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7",
        h: 1,
    },
    EcConstants {
        id: 14,
        name: "brainpoolP320r1",
        p: "D35E472036BC4FB7E13C785ED201E065F98FCFA6F6F40DEF4F92B9EC7893EC28FCD412B1F1B32E27",
        a: "3EE30B568FBAB0F883CCEBD46D3F3BB8A2A73513F5EB79DA66190EB085FFA9F492F375A97D860EB4",
        b: "520883949DFDBC42D3AD198640688A6FE13F41349554B49ACC31DCCD884539816F5EB4AC8FB1F1A6",
        g: "0443BD7E9AFB53D8B85289BCC48EE5BFE6F20137D10A087EB6E7871E2A10A599C710AF8D0D39E2061114FDD05545EC1CC8AB4093247F77275E0743FFED117182EAA9C77877AAAC6AC7D35245D1692E8EE1",
        n: "D35E472036BC4FB7E13C785ED201E065F98FCFA5B68F12A32D482EC7EE8658E98691555B44C59311",
        h: 1,
    },
    EcConstants {
        id: 15,
        name: "secp384r1",
        p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFF",
        a: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFC",
        b: "B3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF",
        g: "04AA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A385502F25DBF55296C3A545E3872760AB73617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C00A60B1CE1D7E819D7A431D7C90EA0E5F",
        n: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
        h: 1,
    },
    EcConstants {
        id: 16,
        name: "brainpoolP384r1",
        p: "8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B412B1DA197FB71123ACD3A729901D1A71874700133107EC53",
        a: "7BC382C63D8C150C3C72080ACE05AFA0C2BEA28E4FB22787139165EFBA91F90F8AA5814A503AD4EB04A8C7DD22CE2826",
        b: "04A8C7DD22CE28268B39B55416F0447C2FB77DE107DCD2A62E880EA53EEB62D57CB4390295DBC9943AB78696FA504C11",
        g: "041D1C64F068CF45FFA2A63A81B7C13F6B8847A3E77EF14FE3DB7FCAFE0CBD10E8E826E03436D646AAEF87B2E247D4AF1E8ABE1D7520F9C2A45CB1EB8E95CFD55262B70B29FEEC5864E19C054FF99129280E4646217791811142820341263C5315",
        n: "8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B31F166E6CAC0425A7CF3AB6AF6B7FC3103B883202E9046565",
        h: 1,
    },
    EcConstants {
        id: 17,
        name: "brainpoolP512r1",
        p: "AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA703308717D4D9B009BC66842AECDA12AE6A380E62881FF2F2D82C68528AA6056583A48F3",
        a: "7830A3318B603B89E2327145AC234CC594CBDD8D3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CA",
        b: "3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CADC083E67984050B75EBAE5DD2809BD638016F723",
        g: "0481AEE4BDD82ED9645A21322E9C4C6A9385ED9F70B5D916C1B43B62EEF4D0098EFF3B1F78E2D0D48D50D1687B93B97D5F7C6D5047406A5E688B352209BCB9F8227DDE385D566332ECC0EABFA9CF7822FDF209F70024A57B1AA000C55B881F8111B2DCDE494A5F485E5BCA4BD88A2763AED1CA2B2FA8F0540678CD1E0F3AD80892",
        n: "AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA70330870553E5C414CA92619418661197FAC10471DB1D381085DDADDB58796829CA90069",
        h: 1,
    },
    EcConstants {
        id: 18,
        name: "secp521r1",
        p: "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        a: "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC",
        b: "51953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF109E156193951EC7E937B1652C0BD3BB1BF073573DF883D2C34F1EF451FD46B503F00",
        g: "0400C6858E06B70404E9CD9E3ECB662395B4429C648139053FB521F828AF606B4D3DBAA14B5E77EFE75928FE1DC127A2FFA8DE3348B3C1856A429BF97E7E31C2E5BD66011839296A789A3BC0045C8A5FB42C7D1BD998F54449579B446817AFBD17273E662C97EE72995EF42640C550B9013FAD0761353C7086A272C24088BE94769FD16650",
        n: "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409",
        h: 1,
    },
];
const DH_GROUPS: &[DhConstants] = &[
    DhConstants {
        id: 0,
        name: "RFC 5114 1024-bit MODP group with 160-bit prime order subgroup",
        p: "B10B8F96A080E01DDE92DE5EAE5D54EC52C99FBCFB06A3C69A6A9DCA52D23B616073E28675A23D189838EF1E2EE652C013ECB4AEA906112324975C3CD49B83BFACCBDD7D90C4BD7098488E9C219A73724EFFD6FAE5644738FAA31A4FF55BCCC0A151AF5F0DC8B4BD45BF37DF365C1A65E68CFDA76D4DA708DF1FB2BC2E4A4371",
        g: "A4D1CBD5C3FD34126765A442EFB99905F8104DD258AC507FD6406CFF14266D31266FEA1E5C41564B777E690F5504F213160217B4B01B886A5E91547F9E2749F4D7FBD7D3B9A92EE1909D0D2263F80A76A6A24C087A091F531DBF0A0169B6A28AD662A4D18E73AFA32D779D5918D08BC8858F4DCEF97C2A24855E6EEB22B3B2E5",
        q: "F518AA8781A8DF278ABA4E7D64B7CB9D49462353",
    },
    DhConstants {
        id: 1,
        name: "RFC 5114 2048-bit MODP group with 224-bit prime order subgroup",
        p: "AD107E1E9123A9D0D660FAA79559C51FA20D64E5683B9FD1B54B1597B61D0A75E6FA141DF95A56DBAF9A3C407BA1DF15EB3D688A309C180E1DE6B85A1274A0A66D3F8152AD6AC2129037C9EDEFDA4DF8D91E8FEF55B7394B7AD5B7D0B6C12207C9F98D11ED34DBF6C6BA0B2C8BBC27BE6A00E0A0B9C49708B3BF8A317091883681286130BC8985DB1602E714415D9330278273C7DE31EFDC7310F7121FD5A07415987D9ADC0A486DCDF93ACC44328387315D75E198C641A480CD86A1B9E587E8BE60E69CC928B2B9C52172E413042E9B23F10B0E16E79763C9B53DCF4BA80A29E3FB73C16B8E75B97EF363E2FFA31F71CF9DE5384E71B81C0AC4DFFE0C10E64F",
        g: "AC4032EF4F2D9AE39DF30B5C8FFDAC506CDEBE7B89998CAF74866A08CFE4FFE3A6824A4E10B9A6F0DD921F01A70C4AFAAB739D7700C29F52C57DB17C620A8652BE5E9001A8D66AD7C17669101999024AF4D027275AC1348BB8A762D0521BC98AE247150422EA1ED409939D54DA7460CDB5F6C6B250717CBEF180EB34118E98D119529A45D6F834566E3025E316A330EFBB77A86F0C1AB15B051AE3D428C8F8ACB70A8137150B8EEB10E183EDD19963DDD9E263E4770589EF6AA21E7F5F2FF381B539CCE3409D13CD566AFBB48D6C019181E1BCFE94B30269EDFE72FE9B6AA4BD7B5A0F1C71CFFF4C19C418E1F6EC017981BC087F2A7065B384B890D3191F2BFA",
        q: "801C0D34C58D93FE997177101F80535A4738CEBCBF389A99B36371EB",
    },
    DhConstants {
        id: 2,
        name: "RFC 5114 2048-bit MODP group with 256-bit prime order subgroup",
        p: "87A8E61DB4B6663CFFBBD19C651959998CEEF608660DD0F25D2CEED4435E3B00E00DF8F1D61957D4FAF7DF4561B2AA3016C3D91134096FAA3BF4296D830E9A7C209E0C6497517ABD5A8A9D306BCF67ED91F9E6725B4758C022E0B1EF4275BF7B6C5BFC11D45F9088B941F54EB1E59BB8BC39A0BF12307F5C4FDB70C581B23F76B63ACAE1CAA6B7902D52526735488A0EF13C6D9A51BFA4AB3AD8347796524D8EF6A167B5A41825D967E144E5140564251CCACB83E6B486F6B3CA3F7971506026C0B857F689962856DED4010ABD0BE621C3A3960A54E710C375F26375D7014103A4B54330C198AF126116D2276E11715F693877FAD7EF09CADB094AE91E1A1597",
        g: "3FB32C9B73134D0B2E77506660EDBD484CA7B18F21EF205407F4793A1A0BA12510DBC15077BE463FFF4FED4AAC0BB555BE3A6C1B0C6B47B1BC3773BF7E8C6F62901228F8C28CBB18A55AE31341000A650196F931C77A57F2DDF463E5E9EC144B777DE62AAAB8A8628AC376D282D6ED3864E67982428EBC831D14348F6F2F9193B5045AF2767164E1DFC967C1FB3F2E55A4BD1BFFE83B9C80D052B985D182EA0ADB2A3B7313D3FE14C8484B1E052588B9B7D2BBD2DF016199ECD06E1557CD0915B3353BBB64E0EC377FD028370DF92B52C7891428CDC67EB6184B523D1DB246C32F63078490F00EF8D647D148D47954515E2327CFEF98C582664B4C0F6CC41659",
        q: "8CF83642A709A097B447997640129DA299B1A47D1EB3750BA308B0FE64F5FBD3",
    },
];

fn unhex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s
        .bytes()
        .filter_map(|c| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        })
        .collect();
    digits
        .chunks(2)
        .map(|c| c.iter().fold(0u8, |acc, d| (acc << 4) | d))
        .collect()
}

fn build_standardized(id: u32) -> Option<Domain> {
    if let Some(c) = EC_CURVES.iter().find(|c| c.id == id) {
        return Curve::build(
            &unhex(c.p),
            &unhex(c.a),
            &unhex(c.b),
            &unhex(c.g),
            &unhex(c.n),
            &[c.h],
            Some(c.id),
            Some(c.name),
        )
        .ok()
        .map(|c| Domain::Ec(Arc::new(c.with_typed(crate::ec::typed::TypedCurve::for_id(id)))));
    }
    let d = DH_GROUPS.iter().find(|d| d.id == id)?;
    DhGroup::build(&unhex(d.p), &unhex(d.g), Some(&unhex(d.q)), Some(d.id), Some(d.name))
        .ok()
        .map(|g| Domain::Dh(Arc::new(g)))
}

/// Domain parameters of a key agreement: an elliptic curve or a DH group.
#[derive(Clone, Debug)]
pub enum Domain {
    /// An elliptic curve over a prime field (ECDH, ECDSA).
    Ec(Arc<Curve>),
    /// A prime-field Diffie-Hellman group (DH).
    Dh(Arc<DhGroup>),
}

/// An element of the group of a [`Domain`]: a curve point or a DH group element.
#[derive(Clone, Debug)]
pub enum GroupElement {
    /// A point of the curve of a [`Domain::Ec`].
    Ec(EcPoint),
    /// An element of the group of a [`Domain::Dh`].
    Dh(DhElement),
}

/// The ids of all standardized domain parameters this crate provides.
pub const STANDARDIZED_IDS: &[u32] = &[0, 1, 2, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];

impl Domain {
    /// Standardized domain parameters by id (0-2, 8-18); built once and shared.
    pub fn standardized(id: u32) -> Result<Domain, AsymError> {
        static CACHE: OnceLock<Vec<(u32, Domain)>> = OnceLock::new();
        let all = CACHE.get_or_init(|| {
            STANDARDIZED_IDS
                .iter()
                .filter_map(|id| build_standardized(*id).map(|d| (*id, d)))
                .collect()
        });
        all.iter()
            .find(|(i, _)| *i == id)
            .map(|(_, d)| d.clone())
            .ok_or(AsymError::UnknownDomainId(id))
    }

    /// Explicit EC domain parameters (big-endian; `g` uncompressed).
    pub fn explicit_ec(p: &[u8], a: &[u8], b: &[u8], g: &[u8], n: &[u8], h: &[u8]) -> Result<Domain, AsymError> {
        Ok(Domain::Ec(Arc::new(Curve::new(p, a, b, g, n, h)?)))
    }

    /// Explicit DH domain parameters (big-endian).
    pub fn explicit_dh(p: &[u8], g: &[u8], q: Option<&[u8]>) -> Result<Domain, AsymError> {
        Ok(Domain::Dh(Arc::new(DhGroup::new(p, g, q)?)))
    }

    /// The standardized id, if any.
    pub fn id(&self) -> Option<u32> {
        match self {
            Domain::Ec(c) => c.id(),
            Domain::Dh(g) => g.id(),
        }
    }

    /// The curve or group name of standardized parameters (e.g. "brainpoolP256r1"), `None` for
    /// explicit ones.
    pub fn name(&self) -> Option<&'static str> {
        match self {
            Domain::Ec(c) => c.name(),
            Domain::Dh(g) => g.name(),
        }
    }

    /// Whether these are elliptic curve parameters (ECDH) rather than a DH group.
    pub fn is_ec(&self) -> bool {
        matches!(self, Domain::Ec(_))
    }

    /// Whether both designate the same group: the same curve (p, a, b, G, n, h) or the same
    /// DH group (p, g, q), however each was named (standardized id, named curve, explicit
    /// parameters). PACE-CAM and chip authentication use it to tie the parameters a chip
    /// offers in unsigned EF.CardAccess to the signed ones (Doc 9303-11 §4.4.3.5.2, §9.2).
    pub fn same_parameters(&self, other: &Domain) -> bool {
        match (self, other) {
            (Domain::Ec(x), Domain::Ec(y)) => {
                let g = |c: &Curve| c.encode_point(&c.generator()).ok();
                x.p_bytes() == y.p_bytes()
                    && x.a_bytes() == y.a_bytes()
                    && x.b_bytes() == y.b_bytes()
                    && x.order_bytes() == y.order_bytes()
                    && x.cofactor_bytes() == y.cofactor_bytes()
                    && g(x).is_some()
                    && g(x) == g(y)
            }
            (Domain::Dh(x), Domain::Dh(y)) => {
                x.p_bytes() == y.p_bytes()
                    && x.q_bytes() == y.q_bytes()
                    && x.encode_element(&x.generator()) == y.encode_element(&y.generator())
            }
            _ => false,
        }
    }

    /// Bit length of the field prime p (for the Integrated Mapping's PRF length).
    pub fn p_bits(&self) -> u32 {
        match self {
            Domain::Ec(c) => c.field_bits(),
            Domain::Dh(g) => g.p_bits(),
        }
    }

    /// The generator G / g.
    pub fn generator(&self) -> GroupElement {
        match self {
            Domain::Ec(c) => GroupElement::Ec(c.generator()),
            Domain::Dh(g) => GroupElement::Dh(g.generator()),
        }
    }

    /// A random private key (scalar in [1, n-1] / exponent in [1, q-1]), big-endian.
    pub fn generate_private_key<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> Result<SecretBytes, AsymError> {
        match self {
            Domain::Ec(c) => c.random_scalar(rng),
            Domain::Dh(g) => g.random_exponent(rng),
        }
    }

    /// `sk · base` / `base^sk`, constant time in `sk`.
    pub fn mul(&self, base: &GroupElement, sk: &[u8]) -> Result<GroupElement, AsymError> {
        match (self, base) {
            (Domain::Ec(c), GroupElement::Ec(p)) => {
                let r = c.mul(p, sk)?;
                if c.is_identity(&r) {
                    return Err(AsymError::Identity);
                }
                Ok(GroupElement::Ec(r))
            }
            (Domain::Dh(g), GroupElement::Dh(e)) => {
                let r = g.pow(e, sk)?;
                if g.is_one(&r) {
                    return Err(AsymError::Identity);
                }
                Ok(GroupElement::Dh(r))
            }
            _ => Err(AsymError::Mismatch),
        }
    }

    /// Key agreement on group elements: ECKA with cofactor multiplication (TR-03111) for EC,
    /// `peer^sk` for DH; the neutral element is an error. Used for H (Generic Mapping) and the
    /// shared secret K.
    pub fn agree(&self, peer: &GroupElement, sk: &[u8]) -> Result<GroupElement, AsymError> {
        match (self, peer) {
            (Domain::Ec(c), GroupElement::Ec(p)) => c.ecka(sk, p).map(GroupElement::Ec),
            (Domain::Dh(_), GroupElement::Dh(_)) => self.mul(peer, sk),
            _ => Err(AsymError::Mismatch),
        }
    }

    /// The public key `sk · G` (generator of the domain), encoded.
    pub fn public_key(&self, sk: &[u8]) -> Result<Vec<u8>, AsymError> {
        let pk = self.mul(&self.generator(), sk)?;
        self.encode(&pk)
    }

    /// Encodes an element: uncompressed point `04||x||y`, or big-endian of the length of p.
    pub fn encode(&self, e: &GroupElement) -> Result<Vec<u8>, AsymError> {
        match (self, e) {
            (Domain::Ec(c), GroupElement::Ec(p)) => c.encode_point(p),
            (Domain::Dh(g), GroupElement::Dh(x)) => Ok(g.encode_element(x)),
            _ => Err(AsymError::Mismatch),
        }
    }

    /// Decodes and validates a peer's public key (on the curve and not infinity / in range
    /// and in the order-q subgroup).
    pub fn decode(&self, bytes: &[u8]) -> Result<GroupElement, AsymError> {
        match self {
            Domain::Ec(c) => c.decode_point(bytes).map(GroupElement::Ec),
            Domain::Dh(g) => g.decode_element(bytes).map(GroupElement::Dh),
        }
    }

    /// The shared secret of an agreed element: the x-coordinate (field length) for EC, the
    /// value (length of p) for DH.
    pub fn shared_secret_bytes(&self, e: &GroupElement) -> Result<SecretBytes, AsymError> {
        match (self, e) {
            (Domain::Ec(c), GroupElement::Ec(p)) => c.x_coordinate(p),
            (Domain::Dh(g), GroupElement::Dh(x)) => Ok(g.element_secret(x)),
            _ => Err(AsymError::Mismatch),
        }
    }

    /// Element equality.
    pub fn element_eq(&self, a: &GroupElement, b: &GroupElement) -> bool {
        match (self, a, b) {
            (Domain::Ec(c), GroupElement::Ec(x), GroupElement::Ec(y)) => c.point_eq(x, y),
            (Domain::Dh(g), GroupElement::Dh(x), GroupElement::Dh(y)) => g.element_eq(x, y),
            _ => false,
        }
    }

    /// Key agreement: validates `peer_public` and returns `KA(sk, peer)` as the shared
    /// secret bytes (ECDH x-coordinate / DH value).
    pub fn key_agreement(&self, sk: &[u8], peer_public: &[u8]) -> Result<SecretBytes, AsymError> {
        let peer = self.decode(peer_public)?;
        let shared = self.agree(&peer, sk)?;
        self.shared_secret_bytes(&shared)
    }

    /// Generic Mapping (Doc 9303-11 §4.4.3.3.1): `Ĝ = s·G + H` / `ĝ = g^s · h`.
    pub fn map_generic(&self, s: &[u8], h: &GroupElement) -> Result<GroupElement, AsymError> {
        match (self, h) {
            (Domain::Ec(c), GroupElement::Ec(hp)) => {
                let sg = c.mul(&c.generator(), s)?;
                let r = c.add(&sg, hp);
                if c.is_identity(&r) {
                    return Err(AsymError::Identity);
                }
                Ok(GroupElement::Ec(r))
            }
            (Domain::Dh(g), GroupElement::Dh(he)) => {
                let gs = g.pow(&g.generator(), s)?;
                let r = g.mul(&gs, he);
                if g.is_one(&r) {
                    return Err(AsymError::Identity);
                }
                Ok(GroupElement::Dh(r))
            }
            _ => Err(AsymError::Mismatch),
        }
    }

    /// Reduces the pseudo-random output `R(s,t)` modulo p (`Rp(s,t)`), length of p.
    pub fn reduce_mod_p(&self, r: &[u8]) -> Result<Vec<u8>, AsymError> {
        match self {
            Domain::Ec(c) => c.reduce_mod_p(r),
            Domain::Dh(g) => g.reduce_mod_p(r),
        }
    }

    /// Integrated Mapping (Doc 9303-11 §4.4.3.3.2) of an already reduced `Rp(s,t)`:
    /// `f_G(Rp)` (Appendix B point encoding) for EC, `Rp^((p-1)/q)` for DH.
    pub fn map_integrated(&self, rp: &[u8]) -> Result<GroupElement, AsymError> {
        match self {
            Domain::Ec(c) => c.map_to_point(rp).map(GroupElement::Ec),
            Domain::Dh(g) => g.map_integrated(rp).map(GroupElement::Dh),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_standardized_parameters_build() {
        for id in STANDARDIZED_IDS {
            let d = Domain::standardized(*id).unwrap();
            assert_eq!(d.id(), Some(*id));
        }
        assert_eq!(Domain::standardized(3).unwrap_err(), AsymError::UnknownDomainId(3));
    }

    #[test]
    fn same_parameters_compares_the_group_not_the_name() {
        let bp = Domain::standardized(13).unwrap();
        let Domain::Ec(c) = &bp else { panic!("EC") };
        let g = c.encode_point(&c.generator()).unwrap();
        let explicit = Domain::explicit_ec(
            &c.p_bytes(),
            &c.a_bytes(),
            &c.b_bytes(),
            &g,
            &c.order_bytes(),
            &c.cofactor_bytes(),
        )
        .unwrap();
        assert!(bp.same_parameters(&explicit) && explicit.same_parameters(&bp));
        // The PACE-CAM attack: the same p, a, b, n with another point of the curve as
        // generator (here 2G) is a different group.
        let g2 = c.encode_point(&c.mul(&c.generator(), &[2]).unwrap()).unwrap();
        let other_g = Domain::explicit_ec(
            &c.p_bytes(),
            &c.a_bytes(),
            &c.b_bytes(),
            &g2,
            &c.order_bytes(),
            &c.cofactor_bytes(),
        )
        .unwrap();
        assert!(!bp.same_parameters(&other_g));
        assert!(!bp.same_parameters(&Domain::standardized(12).unwrap()));
        assert!(!bp.same_parameters(&Domain::standardized(0).unwrap()));
        let dh = Domain::standardized(0).unwrap();
        assert!(dh.same_parameters(&Domain::standardized(0).unwrap()));
        assert!(!dh.same_parameters(&Domain::standardized(1).unwrap()));
    }
}
