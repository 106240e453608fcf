//! SubjectPublicKeyInfo (RFC 5280) for RSA, EC (named or explicit ECParameters, RFC 3279)
//! and DH keys, as found in DG15, DG14 and X.509 certificates.

use crate::LdsError;
use crate::asn1::{self, AlgorithmIdentifier, TAG_INTEGER, TAG_OID, TAG_SEQUENCE, children, expect, get};
use emrtd_apdu::tlv::Tlv;
use serde::Serialize;

#[path = "curves_table.rs"]
mod curves_table;
pub use curves_table::NAMED_CURVES;

/// OID `rsaEncryption` (RFC 8017 / RFC 3279 §2.3.1).
pub const OID_RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
/// OID `id-RSASSA-PSS` (RFC 4055 §3.1); the key is an RSAPublicKey like `rsaEncryption`.
pub const OID_RSASSA_PSS: &str = "1.2.840.113549.1.1.10";
/// OID `id-ecPublicKey` (RFC 3279 §2.3.5, SEC 1 / X9.62).
pub const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
/// OID `prime-field` (X9.62): the FieldID type of prime-field explicit EC parameters.
pub const OID_PRIME_FIELD: &str = "1.2.840.10045.1.1";
/// OID `dhpublicnumber` (X9.42, RFC 3279 §2.3.3).
pub const OID_DH_PUBLIC_NUMBER: &str = "1.2.840.10046.2.1";
/// OID `dhKeyAgreement` (PKCS #3), also used for DH chip authentication keys.
pub const OID_DH_KEY_AGREEMENT: &str = "1.2.840.113549.1.3.1";

/// Prime-field curve domain parameters (big-endian unsigned integers, leading zeros removed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EcDomain {
    /// The field prime p.
    #[serde(with = "crate::hexser")]
    pub p: Vec<u8>,
    /// Curve coefficient a.
    #[serde(with = "crate::hexser")]
    pub a: Vec<u8>,
    /// Curve coefficient b.
    #[serde(with = "crate::hexser")]
    pub b: Vec<u8>,
    /// Base point, uncompressed or compressed SEC1 encoding.
    #[serde(with = "crate::hexser")]
    pub g: Vec<u8>,
    /// The order n of the base point.
    #[serde(with = "crate::hexser")]
    pub n: Vec<u8>,
    /// The cofactor h, when encoded (it is optional in SpecifiedECDomain).
    #[serde(with = "crate::hexser::opt")]
    pub h: Option<Vec<u8>>,
}

impl EcDomain {
    /// Parses SpecifiedECDomain (the SEQUENCE with version, fieldID, curve, base, order, cofactor).
    pub fn parse_specified(t: &Tlv<'_>) -> Result<Self, LdsError> {
        expect(t, TAG_SEQUENCE, "SpecifiedECDomain")?;
        let c = children(t)?;
        let _version = asn1::read_small_int(get(&c, 0, "SpecifiedECDomain")?)?;
        let field = children(get(&c, 1, "SpecifiedECDomain")?)?;
        let field_type = asn1::read_oid(get(&field, 0, "FieldID")?)?;
        if field_type != OID_PRIME_FIELD {
            return Err(LdsError::Unsupported(format!("EC field type {field_type}")));
        }
        let p = get(&field, 1, "FieldID")?;
        expect(p, TAG_INTEGER, "prime")?;
        let curve = children(get(&c, 2, "SpecifiedECDomain")?)?;
        let a = asn1::octets(get(&curve, 0, "Curve")?)?;
        let b = asn1::octets(get(&curve, 1, "Curve")?)?;
        let g = asn1::octets(get(&c, 3, "SpecifiedECDomain")?)?;
        let n = get(&c, 4, "SpecifiedECDomain")?;
        expect(n, TAG_INTEGER, "order")?;
        let h = match c.get(5) {
            Some(h) if h.tag == TAG_INTEGER => Some(asn1::strip_int(h.value).to_vec()),
            _ => None,
        };
        Ok(EcDomain {
            p: asn1::strip_int(p.value).to_vec(),
            a: asn1::strip_int(&a).to_vec(),
            b: asn1::strip_int(&b).to_vec(),
            g,
            n: asn1::strip_int(n.value).to_vec(),
            h,
        })
    }

    /// The domain of a named curve OID we know.
    pub fn named(oid: &str) -> Option<Self> {
        let (_, _, der) = NAMED_CURVES.iter().find(|(_, o, _)| *o == oid)?;
        let bytes = hex::decode(der).ok()?;
        let t = asn1::one(&bytes).ok()?;
        Self::parse_specified(&t).ok()
    }

    /// The name of a known curve with these parameters (explicit parameters identified).
    pub fn curve_name(&self) -> Option<&'static str> {
        NAMED_CURVES.iter().find_map(|(name, oid, _)| {
            let d = Self::named(oid)?;
            (d.p == self.p && d.a == self.a && d.b == self.b && d.n == self.n).then_some(*name)
        })
    }

    /// Field size in bytes.
    pub fn field_len(&self) -> usize {
        self.p.len()
    }
}

/// EC parameters as written in a key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum EcParams {
    /// A named curve (`namedCurve` OID, RFC 5480 §2.1.1.1).
    Named {
        /// The curve OID in dotted form, e.g. `1.3.36.3.3.2.8.1.1.7` for brainpoolP256r1.
        oid: String,
        /// The curve name when the OID is in [`NAMED_CURVES`] (e.g. "P-256", "brainpoolP256r1").
        name: Option<&'static str>,
    },
    /// Explicit domain parameters (SpecifiedECDomain), as Doc 9303 requires for DG14 and
    /// recommends for DG15 EC keys.
    Explicit {
        /// The domain parameters as encoded.
        domain: EcDomain,
        /// The name of the known curve with the same p, a, b and n, if any.
        name: Option<&'static str>,
    },
    /// implicitlyCA (NULL): parameters inherited from the issuer.
    ImplicitlyCa,
}

impl EcParams {
    /// Parses ECParameters: a named-curve OID, a SpecifiedECDomain SEQUENCE or NULL (implicitlyCA).
    pub fn parse(t: &Tlv<'_>) -> Result<Self, LdsError> {
        match t.tag {
            TAG_OID => {
                let oid = asn1::oid_to_string(t.value)?;
                let name = NAMED_CURVES.iter().find(|(_, o, _)| *o == oid).map(|(n, _, _)| *n);
                Ok(EcParams::Named { oid, name })
            }
            TAG_SEQUENCE => {
                let domain = EcDomain::parse_specified(t)?;
                let name = domain.curve_name();
                Ok(EcParams::Explicit { domain, name })
            }
            asn1::TAG_NULL => Ok(EcParams::ImplicitlyCa),
            other => Err(LdsError::Structure(format!("bad ECParameters tag {other}"))),
        }
    }

    /// The domain parameters (looked up for a named curve).
    pub fn domain(&self) -> Option<EcDomain> {
        match self {
            EcParams::Named { oid, .. } => EcDomain::named(oid),
            EcParams::Explicit { domain, .. } => Some(domain.clone()),
            EcParams::ImplicitlyCa => None,
        }
    }

    /// The curve name: from the OID, or from matching explicit parameters against
    /// [`NAMED_CURVES`]; `None` for unknown curves and implicitlyCA.
    pub fn name(&self) -> Option<&'static str> {
        match self {
            EcParams::Named { name, .. } | EcParams::Explicit { name, .. } => *name,
            EcParams::ImplicitlyCa => None,
        }
    }
}

/// A public key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum PublicKey {
    /// An RSA key (RSAPublicKey, RFC 8017 §A.1.1).
    Rsa {
        /// The modulus n, big-endian without leading zeros.
        #[serde(with = "crate::hexser")]
        modulus: Vec<u8>,
        /// The public exponent e, big-endian without leading zeros.
        #[serde(with = "crate::hexser")]
        public_exponent: Vec<u8>,
        /// The modulus length in bits (e.g. 2048).
        bits: usize,
    },
    /// An EC key (`id-ecPublicKey`).
    Ec {
        /// The curve of the key.
        params: EcParams,
        /// SEC1 point encoding.
        #[serde(with = "crate::hexser")]
        point: Vec<u8>,
    },
    /// A Diffie-Hellman key (chip authentication with DH, Doc 9303-11 §6.2).
    Dh {
        /// Raw parameter TLV.
        #[serde(with = "crate::hexser::opt")]
        params: Option<Vec<u8>>,
        /// The public value y, big-endian without leading zeros.
        #[serde(with = "crate::hexser")]
        public_value: Vec<u8>,
    },
    /// Any other algorithm, kept opaque.
    Other {
        /// The algorithm OID in dotted form.
        oid: String,
        /// The content of the subjectPublicKey BIT STRING.
        #[serde(with = "crate::hexser")]
        key: Vec<u8>,
    },
}

/// SubjectPublicKeyInfo with its raw encoding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SubjectPublicKeyInfo {
    /// The complete SubjectPublicKeyInfo encoding as read.
    #[serde(with = "crate::hexser")]
    pub raw: Vec<u8>,
    /// The algorithm identifier with its raw parameters.
    pub algorithm: AlgorithmIdentifier,
    /// The key decoded according to the algorithm OID.
    pub key: PublicKey,
}

fn bit_len(v: &[u8]) -> usize {
    let v = asn1::strip_int(v);
    match v.first() {
        Some(b) => (v.len() - 1) * 8 + (8 - b.leading_zeros() as usize),
        None => 0,
    }
}

impl SubjectPublicKeyInfo {
    /// Parses a SubjectPublicKeyInfo from the start of a byte string (trailing bytes ignored).
    pub fn parse_bytes(input: &[u8]) -> Result<Self, LdsError> {
        Self::parse(&asn1::first(input)?)
    }

    /// Parses a SubjectPublicKeyInfo SEQUENCE (RFC 5280 §4.1.2.7).
    pub fn parse(t: &Tlv<'_>) -> Result<Self, LdsError> {
        expect(t, TAG_SEQUENCE, "SubjectPublicKeyInfo")?;
        let c = children(t)?;
        let alg_t = get(&c, 0, "SubjectPublicKeyInfo")?;
        let algorithm = AlgorithmIdentifier::parse(alg_t)?;
        let key_bits = asn1::bit_string(get(&c, 1, "SubjectPublicKeyInfo")?)?;
        let key = match algorithm.oid.as_str() {
            OID_RSA_ENCRYPTION | OID_RSASSA_PSS => {
                let k = asn1::one(key_bits)?;
                let kc = children(&k)?;
                let n = get(&kc, 0, "RSAPublicKey")?;
                let e = get(&kc, 1, "RSAPublicKey")?;
                expect(n, TAG_INTEGER, "modulus")?;
                expect(e, TAG_INTEGER, "publicExponent")?;
                PublicKey::Rsa {
                    modulus: asn1::strip_int(n.value).to_vec(),
                    public_exponent: asn1::strip_int(e.value).to_vec(),
                    bits: bit_len(n.value),
                }
            }
            OID_EC_PUBLIC_KEY => {
                let alg_c = children(alg_t)?;
                let params = match alg_c.get(1) {
                    Some(p) => EcParams::parse(p)?,
                    None => EcParams::ImplicitlyCa,
                };
                PublicKey::Ec {
                    params,
                    point: key_bits.to_vec(),
                }
            }
            OID_DH_PUBLIC_NUMBER | OID_DH_KEY_AGREEMENT => {
                let y = asn1::one(key_bits)?;
                expect(&y, TAG_INTEGER, "DH public value")?;
                PublicKey::Dh {
                    params: algorithm.parameters.clone(),
                    public_value: asn1::strip_int(y.value).to_vec(),
                }
            }
            other => PublicKey::Other {
                oid: other.to_string(),
                key: key_bits.to_vec(),
            },
        };
        Ok(SubjectPublicKeyInfo {
            raw: t.raw.to_vec(),
            algorithm,
            key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_curves_parse() {
        for (name, oid, _) in NAMED_CURVES {
            let d = EcDomain::named(oid).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(d.curve_name(), Some(*name));
        }
        let p256 = EcDomain::named("1.2.840.10045.3.1.7").unwrap();
        assert_eq!(p256.field_len(), 32);
        assert_eq!(p256.g.len(), 65);
    }
}
