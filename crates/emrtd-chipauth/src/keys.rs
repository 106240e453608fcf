//! Public and private keys of Chip Authentication and Active Authentication.
//!
//! * [`PublicKeyInfo::from_spki`]: an X.509 SubjectPublicKeyInfo as found in DG15 (RSA or EC)
//!   and in DG14's ChipAuthenticationPublicKeyInfo (EC or DH), with named or explicit curve
//!   parameters and X9.42 or PKCS#3 DH parameters.
//! * [`parse_dg15`]: DG15 (`6F` wrapper around the SubjectPublicKeyInfo).
//! * [`PrivateKeyInfo::from_pkcs8`]: a chip's private key (card side), PKCS#8 with an RSA,
//!   EC or DH key.

use crate::ec::{EcCurve, ExplicitCurve};
use crate::error::KeyError;
use crate::oid;
use crate::util::strip_leading_zeros;
use emrtd_apdu::{Tag, Tlv};
use emrtd_crypto::SecretBytes;
use rsa::BoxedUint;
use zeroize::Zeroizing;

const SEQ: Tag = Tag(0x30);
const INT: Tag = Tag(0x02);
const OID: Tag = Tag(0x06);
const BIT_STRING: Tag = Tag(0x03);
const OCTET_STRING: Tag = Tag(0x04);
const NULL: Tag = Tag(0x05);

/// The RSA public key type.
pub type RsaPublicKey = rsa::PublicKey;
/// The RSA private key type.
pub type RsaPrivateKey = rsa::PrivateKey;

/// An elliptic-curve public key: the group and the encoded point (as found in the key, usually
/// uncompressed `04 || x || y`; validated for typed curves).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EcPublicKey {
    /// The curve (named, or explicit parameters from the key).
    pub curve: EcCurve,
    /// The SEC 1 encoded public point.
    pub point: Vec<u8>,
}

pub use crate::dh::DhGroup;

/// A DH public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhPublicKey {
    /// The group (p, g and, for X9.42 parameters, q).
    pub group: DhGroup,
    /// The public value y (big-endian, no leading zeros).
    pub y: Vec<u8>,
}

/// A parsed SubjectPublicKeyInfo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublicKeyInfo {
    /// rsaEncryption (PKCS#1): an Active Authentication key in DG15.
    Rsa(RsaPublicKey),
    /// id-ecPublicKey (RFC 5480) or an EC standardized domain parameter id: a CA key in DG14 or
    /// an ECDSA Active Authentication key in DG15.
    Ec(EcPublicKey),
    /// dhpublicnumber (X9.42), dhKeyAgreement (PKCS#3) or a DH standardized domain parameter
    /// id: a CA key in DG14.
    Dh(DhPublicKey),
}

impl PublicKeyInfo {
    /// Short name of the key type, for errors.
    pub fn kind(&self) -> &'static str {
        match self {
            PublicKeyInfo::Rsa(_) => "RSA",
            PublicKeyInfo::Ec(_) => "EC",
            PublicKeyInfo::Dh(_) => "DH",
        }
    }

    /// Parses a DER SubjectPublicKeyInfo (exactly one TLV).
    pub fn from_spki(der: &[u8]) -> Result<Self, KeyError> {
        let spki = Tlv::parse_expect(der, SEQ).map_err(malformed("SubjectPublicKeyInfo"))?;
        let mut it = spki.children().map_err(malformed("SubjectPublicKeyInfo"))?;
        let alg = next(&mut it, SEQ, "AlgorithmIdentifier")?;
        let bits = next(&mut it, BIT_STRING, "subjectPublicKey")?;
        if it.next().is_some() {
            return Err(KeyError::Malformed("trailing data in SubjectPublicKeyInfo".into()));
        }
        let key = bit_string_bytes(bits.value)?;
        let mut alg_it = alg.children().map_err(malformed("AlgorithmIdentifier"))?;
        let alg_oid = next(&mut alg_it, OID, "algorithm")?;
        let params = match alg_it.next() {
            Some(p) => Some(p.map_err(malformed("algorithm parameters"))?),
            None => None,
        };
        match alg_oid.value {
            oid::RSA_ENCRYPTION => Ok(PublicKeyInfo::Rsa(parse_rsa_public(key)?)),
            oid::EC_PUBLIC_KEY => {
                let params = params.ok_or_else(|| KeyError::Malformed("EC key without parameters".into()))?;
                let curve = parse_ec_parameters(&params)?;
                let point = curve.validate_point(key)?;
                Ok(PublicKeyInfo::Ec(EcPublicKey { curve, point }))
            }
            oid::DH_PUBLIC_NUMBER | oid::DH_KEY_AGREEMENT => {
                let params = params.ok_or_else(|| KeyError::Malformed("DH key without parameters".into()))?;
                let group = parse_dh_parameters(&params)?;
                let y_tlv = Tlv::parse_expect(key, INT).map_err(malformed("DH public value"))?;
                let y = unsigned(y_tlv.value)?;
                check_dh_public(&group, &y)?;
                Ok(PublicKeyInfo::Dh(DhPublicKey { group, y }))
            }
            oid::STANDARDIZED_DOMAIN_PARAMETERS => {
                let params = params.ok_or_else(|| KeyError::Malformed("standardized parameters without id".into()))?;
                if params.tag != INT {
                    return Err(KeyError::Malformed(
                        "standardized parameter id is not an INTEGER".into(),
                    ));
                }
                let id = small_uint(params.value)?;
                match emrtd_crypto::domain::Domain::standardized(id) {
                    Ok(emrtd_crypto::domain::Domain::Dh(g)) => {
                        let group = DhGroup {
                            p: strip_leading_zeros(&g.p_bytes()).to_vec(),
                            g: strip_leading_zeros(&g.encode_element(&g.generator())).to_vec(),
                            q: g.q_bytes().map(|q| strip_leading_zeros(&q).to_vec()),
                        };
                        let y = match Tlv::parse_expect(key, INT) {
                            Ok(t) => unsigned(t.value)?,
                            Err(_) => strip_leading_zeros(key).to_vec(),
                        };
                        check_dh_public(&group, &y)?;
                        Ok(PublicKeyInfo::Dh(DhPublicKey { group, y }))
                    }
                    Ok(emrtd_crypto::domain::Domain::Ec(_)) => {
                        let curve = EcCurve::from_standardized_id(id)?;
                        let point = curve.validate_point(key)?;
                        Ok(PublicKeyInfo::Ec(EcPublicKey { curve, point }))
                    }
                    Err(e) => Err(KeyError::UnsupportedCurve(e.to_string())),
                }
            }
            other => Err(KeyError::UnsupportedAlgorithm(oid::display(other))),
        }
    }
}

fn small_uint(v: &[u8]) -> Result<u32, KeyError> {
    let v = unsigned(v)?;
    if v.len() > 3 {
        return Err(KeyError::Malformed("INTEGER too large".into()));
    }
    Ok(v.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)))
}

/// Parses DG15 (`6F` { SubjectPublicKeyInfo }).
pub fn parse_dg15(dg15: &[u8]) -> Result<PublicKeyInfo, KeyError> {
    let outer = Tlv::parse_expect(dg15, Tag(0x6F)).map_err(malformed("DG15"))?;
    PublicKeyInfo::from_spki(outer.value)
}

/// A chip's private key (card side). `Debug` does not print secret values.
#[derive(Clone)]
pub enum PrivateKeyInfo {
    /// An RSA private key (Active Authentication with ISO/IEC 9796-2).
    Rsa(RsaPrivateKey),
    /// An EC private key (RFC 5915 ECPrivateKey): Chip Authentication with ECDH or ECDSA
    /// Active Authentication.
    Ec {
        /// The curve, from the PKCS#8 algorithm parameters or the ECPrivateKey `[0]` field.
        curve: EcCurve,
        /// The private scalar d (big-endian, no leading zeros).
        d: SecretBytes,
    },
    /// A DH private key: Chip Authentication with DH.
    Dh {
        /// The group (p, g, optional q).
        group: DhGroup,
        /// The private exponent x (big-endian, no leading zeros).
        x: SecretBytes,
    },
}

impl core::fmt::Debug for PrivateKeyInfo {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            PrivateKeyInfo::Rsa(k) => {
                write!(f, "PrivateKeyInfo::Rsa({} bits)", iso9796_bits(k))
            }
            PrivateKeyInfo::Ec { curve, .. } => f
                .debug_struct("PrivateKeyInfo::Ec")
                .field("curve", curve)
                .finish_non_exhaustive(),
            PrivateKeyInfo::Dh { group, .. } => f
                .debug_struct("PrivateKeyInfo::Dh")
                .field("p_len", &group.p_len())
                .finish_non_exhaustive(),
        }
    }
}

fn iso9796_bits(k: &RsaPrivateKey) -> usize {
    crate::iso9796::modulus_len(&k.to_public_key()) * 8
}

impl PrivateKeyInfo {
    /// Parses a DER PKCS#8 PrivateKeyInfo with an RSA (PKCS#1), EC (SEC1, named or explicit
    /// parameters) or DH (X9.42 / PKCS#3 parameters, INTEGER x) key.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, KeyError> {
        let pki = Tlv::parse_expect(der, SEQ).map_err(malformed("PrivateKeyInfo"))?;
        let mut it = pki.children().map_err(malformed("PrivateKeyInfo"))?;
        let _version = next(&mut it, INT, "version")?;
        let alg = next(&mut it, SEQ, "AlgorithmIdentifier")?;
        let key = next(&mut it, OCTET_STRING, "privateKey")?;
        let mut alg_it = alg.children().map_err(malformed("AlgorithmIdentifier"))?;
        let alg_oid = next(&mut alg_it, OID, "algorithm")?;
        let params = match alg_it.next() {
            Some(p) => Some(p.map_err(malformed("algorithm parameters"))?),
            None => None,
        };
        match alg_oid.value {
            oid::RSA_ENCRYPTION => Ok(PrivateKeyInfo::Rsa(parse_rsa_private(key.value)?)),
            oid::EC_PUBLIC_KEY => {
                let ec = Tlv::parse_expect(key.value, SEQ).map_err(malformed("ECPrivateKey"))?;
                let mut eit = ec.children().map_err(malformed("ECPrivateKey"))?;
                let _v = next(&mut eit, INT, "ECPrivateKey version")?;
                let d = next(&mut eit, OCTET_STRING, "ECPrivateKey privateKey")?;
                let mut curve = match &params {
                    Some(p) if p.tag != NULL => Some(parse_ec_parameters(p)?),
                    _ => None,
                };
                for item in eit {
                    let item = item.map_err(malformed("ECPrivateKey"))?;
                    if item.tag == Tag(0xA0) && curve.is_none() {
                        let inner = Tlv::parse_exact(item.value).map_err(malformed("[0]"))?;
                        curve = Some(parse_ec_parameters(&inner)?);
                    }
                }
                let curve = curve.ok_or_else(|| KeyError::Malformed("EC private key without curve".into()))?;
                Ok(PrivateKeyInfo::Ec {
                    curve,
                    d: Zeroizing::new(strip_leading_zeros(d.value).to_vec()),
                })
            }
            oid::DH_PUBLIC_NUMBER | oid::DH_KEY_AGREEMENT => {
                let params = params.ok_or_else(|| KeyError::Malformed("DH key without parameters".into()))?;
                let group = parse_dh_parameters(&params)?;
                let x = Tlv::parse_expect(key.value, INT).map_err(malformed("DH private value"))?;
                Ok(PrivateKeyInfo::Dh {
                    group,
                    x: Zeroizing::new(unsigned(x.value)?),
                })
            }
            other => Err(KeyError::UnsupportedAlgorithm(oid::display(other))),
        }
    }

    /// The matching public key.
    pub fn public_key(&self) -> Result<PublicKeyInfo, KeyError> {
        match self {
            PrivateKeyInfo::Rsa(k) => Ok(PublicKeyInfo::Rsa(k.to_public_key())),
            PrivateKeyInfo::Ec { curve, d } => Ok(PublicKeyInfo::Ec(EcPublicKey {
                curve: curve.clone(),
                point: curve.public_from_private(d)?,
            })),
            PrivateKeyInfo::Dh { group, x } => Ok(PublicKeyInfo::Dh(DhPublicKey {
                group: group.clone(),
                y: crate::dh::public_from_private(group, x)?,
            })),
        }
    }
}

fn malformed(what: &'static str) -> impl Fn(emrtd_apdu::TlvError) -> KeyError {
    move |e| KeyError::Malformed(format!("{what}: {e}"))
}

fn next<'a>(it: &mut emrtd_apdu::TlvIter<'a>, tag: Tag, what: &'static str) -> Result<Tlv<'a>, KeyError> {
    let t = it
        .next()
        .ok_or_else(|| KeyError::Malformed(format!("{what} missing")))?
        .map_err(malformed(what))?;
    if t.tag != tag {
        return Err(KeyError::Malformed(format!("{what}: unexpected tag {}", t.tag)));
    }
    Ok(t)
}

/// The content of a BIT STRING without unused bits.
fn bit_string_bytes(v: &[u8]) -> Result<&[u8], KeyError> {
    match v.split_first() {
        Some((0, rest)) => Ok(rest),
        _ => Err(KeyError::Malformed("BIT STRING with unused bits".into())),
    }
}

/// A non-negative INTEGER's value without leading zeros; negative values are rejected.
fn unsigned(v: &[u8]) -> Result<Vec<u8>, KeyError> {
    match v.first() {
        None => Err(KeyError::Malformed("empty INTEGER".into())),
        Some(b) if b & 0x80 != 0 => Err(KeyError::Malformed("negative INTEGER".into())),
        Some(_) => Ok(strip_leading_zeros(v).to_vec()),
    }
}

fn big(v: &[u8]) -> BoxedUint {
    BoxedUint::from_be_slice_vartime(strip_leading_zeros(v))
}

fn parse_rsa_public(key: &[u8]) -> Result<RsaPublicKey, KeyError> {
    let seq = Tlv::parse_expect(key, SEQ).map_err(malformed("RSAPublicKey"))?;
    let mut it = seq.children().map_err(malformed("RSAPublicKey"))?;
    let n = unsigned(next(&mut it, INT, "modulus")?.value)?;
    let e = unsigned(next(&mut it, INT, "publicExponent")?.value)?;
    rsa::PublicKey::new(big(&n), big(&e)).map_err(|e| KeyError::Rsa(e.to_string()))
}

fn parse_rsa_private(key: &[u8]) -> Result<RsaPrivateKey, KeyError> {
    let seq = Tlv::parse_expect(key, SEQ).map_err(malformed("RSAPrivateKey"))?;
    let mut it = seq.children().map_err(malformed("RSAPrivateKey"))?;
    let _version = next(&mut it, INT, "version")?;
    let n = unsigned(next(&mut it, INT, "modulus")?.value)?;
    let e = unsigned(next(&mut it, INT, "publicExponent")?.value)?;
    let d = Zeroizing::new(unsigned(next(&mut it, INT, "privateExponent")?.value)?);
    let p = Zeroizing::new(unsigned(next(&mut it, INT, "prime1")?.value)?);
    let q = Zeroizing::new(unsigned(next(&mut it, INT, "prime2")?.value)?);
    rsa::PrivateKey::from_components(big(&n), big(&e), big(&d), vec![big(&p), big(&q)])
        .map_err(|e| KeyError::Rsa(e.to_string()))
}

/// Parses ECParameters: a named curve OID or explicit SpecifiedECDomain.
pub fn parse_ec_parameters(params: &Tlv<'_>) -> Result<EcCurve, KeyError> {
    match params.tag {
        OID => EcCurve::from_named_oid(params.value),
        SEQ => {
            let mut it = params.children().map_err(malformed("ECParameters"))?;
            let _version = next(&mut it, INT, "ECParameters version")?;
            let field = next(&mut it, SEQ, "FieldID")?;
            let mut fit = field.children().map_err(malformed("FieldID"))?;
            let ftype = next(&mut fit, OID, "fieldType")?;
            if ftype.value != oid::PRIME_FIELD {
                return Err(KeyError::UnsupportedCurve(format!(
                    "field type {} (only prime fields)",
                    oid::display(ftype.value)
                )));
            }
            let p = unsigned(next(&mut fit, INT, "prime p")?.value)?;
            let curve = next(&mut it, SEQ, "Curve")?;
            let mut cit = curve.children().map_err(malformed("Curve"))?;
            let a = strip_leading_zeros(next(&mut cit, OCTET_STRING, "a")?.value).to_vec();
            let b = strip_leading_zeros(next(&mut cit, OCTET_STRING, "b")?.value).to_vec();
            let g = next(&mut it, OCTET_STRING, "base")?.value.to_vec();
            let n = unsigned(next(&mut it, INT, "order")?.value)?;
            let h = match it.next() {
                Some(t) => {
                    let t = t.map_err(malformed("cofactor"))?;
                    if t.tag != INT {
                        return Err(KeyError::Malformed("cofactor is not an INTEGER".into()));
                    }
                    Some(unsigned(t.value)?)
                }
                None => None,
            };
            if p.is_empty() || n.is_empty() {
                return Err(KeyError::Malformed("zero p or n".into()));
            }
            Ok(EcCurve::from_explicit(ExplicitCurve { p, a, b, g, n, h }))
        }
        t => Err(KeyError::Malformed(format!("ECParameters with tag {t}"))),
    }
}

/// Parses X9.42 DomainParameters `{p, g, q, ...}` or PKCS#3 DHParameter `{p, g, [l]}`.
/// (X9.42 orders p, g, q; the third INTEGER is taken as q only when it is smaller than p and
/// larger than 1 byte, which tells it apart from a PKCS#3 privateValueLength.)
pub fn parse_dh_parameters(params: &Tlv<'_>) -> Result<DhGroup, KeyError> {
    if params.tag != SEQ {
        return Err(KeyError::Malformed("DH parameters are not a SEQUENCE".into()));
    }
    let mut it = params.children().map_err(malformed("DH parameters"))?;
    let p = unsigned(next(&mut it, INT, "DH p")?.value)?;
    let g = unsigned(next(&mut it, INT, "DH g")?.value)?;
    let q = match it.next() {
        Some(Ok(t)) if t.tag == INT => {
            let v = unsigned(t.value)?;
            (v.len() > 4 && crate::util::cmp_be(&v, &p) == core::cmp::Ordering::Less).then_some(v)
        }
        _ => None,
    };
    if p.len() < 64 || p.last().is_none_or(|b| b & 1 == 0) {
        return Err(KeyError::Malformed("DH modulus is too small or even".into()));
    }
    if g.is_empty() || crate::util::cmp_be(&g, &p) != core::cmp::Ordering::Less {
        return Err(KeyError::Malformed("DH generator out of range".into()));
    }
    Ok(DhGroup { p, g, q })
}

/// Checks `1 < y < p - 1`.
pub(crate) fn check_dh_public(group: &DhGroup, y: &[u8]) -> Result<(), KeyError> {
    crate::dh::check_public(group, y)
}
