//! SecurityInfos of ICAO Doc 9303-11 §9.2 and BSI TR-03110-3 Appendix A.
//!
//! EF.CardAccess, DG14 and the content of EF.CardSecurity are all a DER `SET OF SecurityInfo`:
//!
//! ```text
//! SecurityInfo ::= SEQUENCE { protocol OBJECT IDENTIFIER, requiredData ANY, optionalData ANY OPTIONAL }
//! ```
//!
//! [`SecurityInfos::parse`] decodes the known infos ([`PaceInfo`], [`PaceDomainParameterInfo`],
//! [`ChipAuthenticationInfo`], [`ChipAuthenticationDomainParameterInfo`],
//! [`ChipAuthenticationPublicKeyInfo`], [`ActiveAuthenticationInfo`],
//! [`TerminalAuthenticationInfo`], [`PrivilegedTerminalInfo`]) and keeps every other one as
//! [`UnknownInfo`] (OID and raw bytes). Every info keeps its exact encoded bytes (`raw`).
//!
//! Input is hostile: the parser is bounded (emrtd-apdu's BER-TLV limits, a cap on the number
//! of infos and on nesting of PrivilegedTerminalInfo), never panics, and tolerates what real
//! files do: trailing zero padding (one card pads EF.CardAccess to 1024 bytes) and other
//! trailing bytes after the outer SET (kept in [`SecurityInfos::trailing`]).
//!
//! [`DomainParameters::to_domain`] turns the domain parameters of PACE and Chip Authentication
//! into `emrtd-crypto` arithmetic; [`oid`] lists the OIDs.
//!
//! # Example
//!
//! A typical EF.CardAccess: one PACEInfo for ECDH Generic Mapping with AES-128 on
//! brainpoolP256r1 (standardized parameter id 13).
//!
//! ```
//! use emrtd_secinfo::{KeyAgreement, PaceMapping, SecurityInfos, oid};
//! use emrtd_crypto::CipherSuite;
//!
//! let card_access = [
//!     0x31, 0x14, 0x30, 0x12, // SET { SEQUENCE {
//!     0x06, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02, // id-PACE-ECDH-GM-AES-CBC-CMAC-128
//!     0x02, 0x01, 0x02, // version 2
//!     0x02, 0x01, 0x0D, // parameterId 13
//! ];
//! let infos = SecurityInfos::parse(&card_access)?;
//! let pace = infos.pace_infos().next().ok_or("no PACEInfo")?;
//! assert!(pace.protocol.is(oid::ID_PACE_ECDH_GM_AES_CBC_CMAC_128));
//! let protocol = pace.protocol().ok_or("unknown PACE OID")?;
//! assert_eq!(protocol.mapping, PaceMapping::Generic);
//! assert_eq!(protocol.key_agreement, KeyAgreement::Ecdh);
//! assert_eq!(protocol.cipher, CipherSuite::Aes128);
//! assert_eq!((pace.version, pace.parameter_id), (2, Some(13)));
//! assert!(pace.has_standardized_parameters());
//! assert_eq!(pace.raw, card_access[2..]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod oid;

use core::fmt;
use emrtd_apdu::tlv::{Tag, Tlv, TlvError, TlvIter};
use emrtd_crypto::CipherSuite;
use thiserror::Error;

/// Most SecurityInfo entries accepted in one file.
pub const MAX_INFOS: usize = 256;

const TAG_SEQUENCE: Tag = Tag(0x30);
const TAG_SET: Tag = Tag(0x31);
const TAG_OID: Tag = Tag(0x06);
const TAG_INTEGER: Tag = Tag(0x02);
const TAG_OCTET_STRING: Tag = Tag(0x04);
const TAG_BIT_STRING: Tag = Tag(0x03);

/// Errors of the SecurityInfos parser.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SecInfoError {
    /// The BER-TLV codec rejected the bytes (truncated, bad length, nesting too deep, …).
    #[error("BER-TLV: {0}")]
    Tlv(#[from] TlvError),
    /// An element has the wrong tag, e.g. the file does not start with a SET or a
    /// SecurityInfo is not a SEQUENCE.
    #[error("expected {expected}, found tag {found}")]
    UnexpectedTag {
        /// What was being read.
        expected: &'static str,
        /// The tag found instead.
        found: Tag,
    },
    /// A required element is absent; the text names it (e.g. "version", "domainParameter").
    #[error("missing field: {0}")]
    Missing(&'static str),
    /// An INTEGER is empty or negative where an unsigned value is required.
    #[error("malformed INTEGER")]
    BadInteger,
    /// An INTEGER does not fit the field's type (`u32`); the text names the field.
    #[error("INTEGER too large for {0}")]
    IntegerTooLarge(&'static str),
    /// An OBJECT IDENTIFIER is empty or ends in the middle of an arc.
    #[error("malformed OBJECT IDENTIFIER")]
    BadOid,
    /// A BIT STRING is empty or has unused bits where a key is expected.
    #[error("malformed BIT STRING")]
    BadBitString,
    /// The SET holds more than [`MAX_INFOS`] SecurityInfos (the limit is carried).
    #[error("more than {0} SecurityInfo entries")]
    TooManyInfos(usize),
    /// The input is empty or only zero padding.
    #[error("the input is empty or all zero")]
    Empty,
}

/// An OBJECT IDENTIFIER as its DER content bytes (compare with the constants in [`oid`]).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Oid(pub Vec<u8>);

impl Oid {
    /// The DER content bytes (without tag and length).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Whether this OID equals `other` (DER content bytes).
    pub fn is(&self, other: &[u8]) -> bool {
        self.0 == other
    }

    /// Whether this OID lies below (or equals) the arc `prefix`.
    pub fn starts_with(&self, prefix: &[u8]) -> bool {
        self.0.starts_with(prefix)
    }

    /// Dotted decimal form; `None` if the encoding is malformed.
    pub fn dotted(&self) -> Option<String> {
        let mut arcs: Vec<u64> = Vec::new();
        let mut acc: u64 = 0;
        let mut in_arc = false;
        for b in &self.0 {
            if acc > (u64::MAX >> 8) {
                return None;
            }
            acc = (acc << 7) | u64::from(b & 0x7F);
            in_arc = true;
            if b & 0x80 == 0 {
                if arcs.is_empty() {
                    let first = (acc / 40).min(2);
                    arcs.push(first);
                    arcs.push(acc - first * 40);
                } else {
                    arcs.push(acc);
                }
                acc = 0;
                in_arc = false;
            }
        }
        if in_arc || arcs.is_empty() {
            return None;
        }
        Some(arcs.iter().map(|a| a.to_string()).collect::<Vec<_>>().join("."))
    }

    /// The standard name of a well-known OID.
    pub fn name(&self) -> Option<&'static str> {
        oid::name(&self.0)
    }
}

impl fmt::Debug for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.dotted()) {
            (Some(n), Some(d)) => write!(f, "{n} ({d})"),
            (None, Some(d)) => write!(f, "{d}"),
            _ => write!(f, "OID[{}]", hex_upper(&self.0)),
        }
    }
}

fn hex_upper(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// The mapping of a PACE protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaceMapping {
    /// Generic Mapping (Doc 9303-11 §4.4.3.3.1).
    Generic,
    /// Integrated Mapping (§4.4.3.3.2).
    Integrated,
    /// Chip Authentication Mapping (§4.4.3.3.3).
    ChipAuthentication,
}

/// The key agreement of a PACE or CA protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyAgreement {
    /// Diffie-Hellman over a prime field (X9.42 / RFC 5114 groups).
    Dh,
    /// Elliptic curve Diffie-Hellman over a prime curve.
    Ecdh,
}

/// The decoded meaning of an id-PACE-* protocol OID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PaceProtocol {
    /// Generic, Integrated or Chip Authentication Mapping.
    pub mapping: PaceMapping,
    /// DH or ECDH (the mapping and key agreement come from the same OID arc).
    pub key_agreement: KeyAgreement,
    /// The secure messaging cipher established by PACE (Doc 9303-11 §9.2.1 cipher suffixes).
    pub cipher: CipherSuite,
}

impl PaceProtocol {
    /// Decodes an id-PACE-{DH,ECDH}-{GM,IM,CAM}-{cipher} OID.
    pub fn from_oid(oid: &[u8]) -> Option<Self> {
        let (prefix, last2) = oid.split_at_checked(oid::ID_PACE.len())?;
        if prefix != oid::ID_PACE {
            return None;
        }
        let [m, c] = <[u8; 2]>::try_from(last2).ok()?;
        let (mapping, key_agreement) = match m {
            1 => (PaceMapping::Generic, KeyAgreement::Dh),
            2 => (PaceMapping::Generic, KeyAgreement::Ecdh),
            3 => (PaceMapping::Integrated, KeyAgreement::Dh),
            4 => (PaceMapping::Integrated, KeyAgreement::Ecdh),
            6 => (PaceMapping::ChipAuthentication, KeyAgreement::Ecdh),
            _ => return None,
        };
        let cipher = match c {
            1 if mapping != PaceMapping::ChipAuthentication => CipherSuite::Tdes,
            2 => CipherSuite::Aes128,
            3 => CipherSuite::Aes192,
            4 => CipherSuite::Aes256,
            _ => return None,
        };
        Some(PaceProtocol {
            mapping,
            key_agreement,
            cipher,
        })
    }

    /// The id-PACE-* OID (DER content bytes).
    pub fn oid(&self) -> Vec<u8> {
        let m = match (self.mapping, self.key_agreement) {
            (PaceMapping::Generic, KeyAgreement::Dh) => 1,
            (PaceMapping::Generic, KeyAgreement::Ecdh) => 2,
            (PaceMapping::Integrated, KeyAgreement::Dh) => 3,
            (PaceMapping::Integrated, KeyAgreement::Ecdh) => 4,
            (PaceMapping::ChipAuthentication, _) => 6,
        };
        let c = match self.cipher {
            CipherSuite::Tdes => 1,
            CipherSuite::Aes128 => 2,
            CipherSuite::Aes192 => 3,
            CipherSuite::Aes256 => 4,
        };
        let mut v = oid::ID_PACE.to_vec();
        v.extend_from_slice(&[m, c]);
        v
    }
}

/// The decoded meaning of an id-CA-* protocol OID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CaProtocol {
    /// DH or ECDH.
    pub key_agreement: KeyAgreement,
    /// `None` for the bare id-CA-DH / id-CA-ECDH (CA version 1 without the cipher suffix).
    pub cipher: Option<CipherSuite>,
}

impl CaProtocol {
    /// Decodes id-CA-DH, id-CA-ECDH and the id-CA-{DH,ECDH}-{cipher} OIDs.
    pub fn from_oid(oid: &[u8]) -> Option<Self> {
        let (prefix, rest) = oid.split_at_checked(oid::ID_CA.len())?;
        if prefix != oid::ID_CA {
            return None;
        }
        let key_agreement = match rest.first()? {
            1 => KeyAgreement::Dh,
            2 => KeyAgreement::Ecdh,
            _ => return None,
        };
        let cipher = match rest.get(1..)? {
            [] => None,
            [1] => Some(CipherSuite::Tdes),
            [2] => Some(CipherSuite::Aes128),
            [3] => Some(CipherSuite::Aes192),
            [4] => Some(CipherSuite::Aes256),
            _ => return None,
        };
        Some(CaProtocol { key_agreement, cipher })
    }
}

/// An X.509 AlgorithmIdentifier: algorithm OID and the raw DER of its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlgorithmIdentifier {
    /// The algorithm OID, e.g. `id-ecPublicKey`, `dhpublicnumber` or
    /// `standardizedDomainParameters`.
    pub algorithm: Oid,
    /// The exact encoded parameters TLV, if present.
    pub parameters: Option<Vec<u8>>,
}

/// Explicit elliptic curve domain parameters (X9.62 / TR-03111 `ECParameters`), big-endian.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExplicitEcParameters {
    /// Field prime p.
    pub p: Vec<u8>,
    /// Curve coefficient a (as encoded, field-element octet string).
    pub a: Vec<u8>,
    /// Curve coefficient b.
    pub b: Vec<u8>,
    /// Base point G, as encoded (normally uncompressed `04 || x || y`).
    pub generator: Vec<u8>,
    /// Order n of G.
    pub order: Vec<u8>,
    /// Cofactor h (1 when absent).
    pub cofactor: Vec<u8>,
}

/// Explicit DH domain parameters (X9.42 `DomainParameters`: p, g, q), big-endian.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExplicitDhParameters {
    /// The prime modulus p, big-endian without leading zeros.
    pub p: Vec<u8>,
    /// The generator g, big-endian without leading zeros.
    pub g: Vec<u8>,
    /// Order q of g (absent in PKCS #3 `DHParameter`).
    pub q: Option<Vec<u8>>,
}

/// What domain parameters an AlgorithmIdentifier designates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainParameters {
    /// One of the standardized domain parameters (Doc 9303-11 Table 6), by id 0-31.
    Standardized(u32),
    /// A named curve OID (RFC 5480 `namedCurve`); [`oid::named_curve_parameter_id`] maps the
    /// well-known ones to their standardized id.
    NamedCurve(Oid),
    /// Explicit EC domain parameters.
    ExplicitEc(ExplicitEcParameters),
    /// Explicit DH domain parameters.
    ExplicitDh(ExplicitDhParameters),
}

impl AlgorithmIdentifier {
    /// Interprets the parameters as domain parameters:
    /// `standardizedDomainParameters` with an INTEGER id, `id-ecPublicKey` (or any algorithm)
    /// with a named curve OID or explicit `ECParameters`, `dhpublicnumber` (or any algorithm)
    /// with a `SEQUENCE { p, g, q, ... }`.
    pub fn domain_parameters(&self) -> Result<DomainParameters, SecInfoError> {
        let raw = self
            .parameters
            .as_deref()
            .ok_or(SecInfoError::Missing("domain parameters"))?;
        let tlv = Tlv::parse_exact(raw)?;
        match tlv.tag {
            TAG_INTEGER => Ok(DomainParameters::Standardized(small_uint(tlv.value, "parameter id")?)),
            TAG_OID => Ok(DomainParameters::NamedCurve(oid_of(&tlv)?)),
            TAG_SEQUENCE => {
                let kids = collect(&tlv, 16)?;
                match kids.first() {
                    // ECParameters: version INTEGER(1), fieldID SEQUENCE, curve SEQUENCE, ...
                    Some(first) if first.tag == TAG_INTEGER && kids.get(1).map(|t| t.tag) == Some(TAG_SEQUENCE) => {
                        parse_ec_parameters(&kids).map(DomainParameters::ExplicitEc)
                    }
                    Some(_) => parse_dh_parameters(&kids, self.algorithm.is(oid::DH_KEY_AGREEMENT))
                        .map(DomainParameters::ExplicitDh),
                    None => Err(SecInfoError::Missing("domain parameter fields")),
                }
            }
            found => Err(SecInfoError::UnexpectedTag {
                expected: "domain parameters",
                found,
            }),
        }
    }
}

fn parse_ec_parameters(kids: &[Tlv<'_>]) -> Result<ExplicitEcParameters, SecInfoError> {
    let field = kids.get(1).ok_or(SecInfoError::Missing("fieldID"))?;
    let field_kids = collect(field, 4)?;
    let field_type = field_kids.first().ok_or(SecInfoError::Missing("fieldType"))?;
    if field_type.tag != TAG_OID || field_type.value != oid::PRIME_FIELD {
        return Err(SecInfoError::Missing("prime-field"));
    }
    let p = integer_magnitude(field_kids.get(1).ok_or(SecInfoError::Missing("p"))?)?;
    let curve = kids.get(2).ok_or(SecInfoError::Missing("curve"))?;
    let curve_kids = collect(curve, 4)?;
    let a = octets(curve_kids.first().ok_or(SecInfoError::Missing("a"))?)?;
    let b = octets(curve_kids.get(1).ok_or(SecInfoError::Missing("b"))?)?;
    let generator = octets(kids.get(3).ok_or(SecInfoError::Missing("base"))?)?;
    let order = integer_magnitude(kids.get(4).ok_or(SecInfoError::Missing("order"))?)?;
    let cofactor = match kids.get(5) {
        Some(t) if t.tag == TAG_INTEGER => integer_magnitude(t)?,
        _ => vec![1],
    };
    Ok(ExplicitEcParameters {
        p,
        a,
        b,
        generator,
        order,
        cofactor,
    })
}

/// X9.42 `DomainParameters` (p, g, q, ...) or, for PKCS #3 `dhKeyAgreement`,
/// `DHParameter` (p, g, privateValueLength) whose third INTEGER is not q.
fn parse_dh_parameters(kids: &[Tlv<'_>], pkcs3: bool) -> Result<ExplicitDhParameters, SecInfoError> {
    let p = integer_magnitude(kids.first().ok_or(SecInfoError::Missing("p"))?)?;
    let g = integer_magnitude(kids.get(1).ok_or(SecInfoError::Missing("g"))?)?;
    let q = match kids.get(2) {
        Some(t) if t.tag == TAG_INTEGER && !pkcs3 => Some(integer_magnitude(t)?),
        _ => None,
    };
    Ok(ExplicitDhParameters { p, g, q })
}

impl DomainParameters {
    /// Builds the arithmetic for these domain parameters: standardized ids 0-2 and 8-18,
    /// the well-known named curves, explicit EC (uncompressed generator) and explicit DH
    /// parameters (validated by `emrtd_crypto`).
    pub fn to_domain(&self) -> Result<emrtd_crypto::domain::Domain, emrtd_crypto::ec::AsymError> {
        use emrtd_crypto::domain::Domain;
        use emrtd_crypto::ec::AsymError;
        match self {
            DomainParameters::Standardized(id) => Domain::standardized(*id),
            DomainParameters::NamedCurve(o) => {
                let id =
                    oid::named_curve_parameter_id(o.as_bytes()).ok_or(AsymError::BadDomain("unknown named curve"))?;
                Domain::standardized(id)
            }
            DomainParameters::ExplicitEc(ec) => {
                Domain::explicit_ec(&ec.p, &ec.a, &ec.b, &ec.generator, &ec.order, &ec.cofactor)
            }
            DomainParameters::ExplicitDh(dh) => Domain::explicit_dh(&dh.p, &dh.g, dh.q.as_deref()),
        }
    }
}

/// PACEInfo (Doc 9303-11 §9.2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaceInfo {
    /// The id-PACE-* OID naming mapping, key agreement and cipher (see [`PaceInfo::protocol`]).
    pub protocol: Oid,
    /// PACE version; 2 is the only version Doc 9303-11 specifies.
    pub version: u32,
    /// The domain parameter id: a standardized id (0-31), or the id of a
    /// [`PaceDomainParameterInfo`] in the same file.
    pub parameter_id: Option<u32>,
    /// The DER encoding of this SecurityInfo.
    pub raw: Vec<u8>,
}

impl PaceInfo {
    /// The decoded protocol, `None` for an OID this version does not know.
    pub fn protocol(&self) -> Option<PaceProtocol> {
        PaceProtocol::from_oid(&self.protocol.0)
    }

    /// Whether `parameter_id` names standardized domain parameters (ids 0-31), which the
    /// terminal names in MSE:Set AT with DO 0x84.
    pub fn has_standardized_parameters(&self) -> bool {
        matches!(self.parameter_id, Some(0..=31))
    }
}

/// PACEDomainParameterInfo (Doc 9303-11 §9.2.2): explicit (or chip-specific) domain parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaceDomainParameterInfo {
    /// id-PACE-DH-GM, id-PACE-ECDH-GM, id-PACE-DH-IM, id-PACE-ECDH-IM or id-PACE-ECDH-CAM.
    pub protocol: Oid,
    /// The domain parameters (standardized id, named curve or explicit parameters).
    pub domain_parameter: AlgorithmIdentifier,
    /// The parameterId a [`PaceInfo`] refers to; only needed when there are several.
    pub parameter_id: Option<u32>,
    /// The DER encoding of this SecurityInfo.
    pub raw: Vec<u8>,
}

/// ChipAuthenticationInfo (Doc 9303-11 §9.2.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChipAuthenticationInfo {
    /// The id-CA-* OID naming key agreement and cipher (see [`ChipAuthenticationInfo::protocol`]).
    pub protocol: Oid,
    /// Chip Authentication version (1 in Doc 9303-11; TR-03110 also defines 2 and 3).
    pub version: u32,
    /// keyId as unsigned big-endian bytes (no leading zeros).
    pub key_id: Option<Vec<u8>>,
    /// The DER encoding of this SecurityInfo.
    pub raw: Vec<u8>,
}

impl ChipAuthenticationInfo {
    /// The decoded protocol, `None` for an OID this version does not know.
    pub fn protocol(&self) -> Option<CaProtocol> {
        CaProtocol::from_oid(&self.protocol.0)
    }
}

/// ChipAuthenticationDomainParameterInfo (TR-03110-3 A.1.1.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChipAuthenticationDomainParameterInfo {
    /// id-CA-DH or id-CA-ECDH.
    pub protocol: Oid,
    /// The domain parameters of the chip authentication key pair.
    pub domain_parameter: AlgorithmIdentifier,
    /// The keyId linking it to a [`ChipAuthenticationInfo`] and key, when the chip has several.
    pub key_id: Option<Vec<u8>>,
    /// The DER encoding of this SecurityInfo.
    pub raw: Vec<u8>,
}

/// SubjectPublicKeyInfo: algorithm and the content of the BIT STRING.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectPublicKeyInfo {
    /// The key algorithm and its domain parameters.
    pub algorithm: AlgorithmIdentifier,
    /// The BIT STRING content without its unused-bits octet: an uncompressed point for EC,
    /// the DER INTEGER `y` for DH.
    pub subject_public_key: Vec<u8>,
}

impl SubjectPublicKeyInfo {
    /// The public key as used by the key agreement: the point bytes for EC, the unsigned
    /// big-endian value of `y` for DH (the DER INTEGER unwrapped).
    pub fn public_key_value(&self) -> Result<Vec<u8>, SecInfoError> {
        match self.subject_public_key.first() {
            Some(0x02) => {
                let t = Tlv::parse_exact(&self.subject_public_key)?;
                integer_magnitude(&t)
            }
            Some(_) => Ok(self.subject_public_key.clone()),
            None => Err(SecInfoError::Missing("public key")),
        }
    }
}

/// ChipAuthenticationPublicKeyInfo (Doc 9303-11 §9.2.6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChipAuthenticationPublicKeyInfo {
    /// id-PK-DH or id-PK-ECDH.
    pub protocol: Oid,
    /// The static chip authentication public key.
    pub public_key: SubjectPublicKeyInfo,
    /// The keyId linking it to a [`ChipAuthenticationInfo`], when the chip has several keys.
    pub key_id: Option<Vec<u8>>,
    /// The DER encoding of this SecurityInfo.
    pub raw: Vec<u8>,
}

impl ChipAuthenticationPublicKeyInfo {
    /// DH for id-PK-DH, ECDH for id-PK-ECDH, `None` for any other protocol OID.
    pub fn key_agreement(&self) -> Option<KeyAgreement> {
        if self.protocol.is(oid::ID_PK_DH) {
            Some(KeyAgreement::Dh)
        } else if self.protocol.is(oid::ID_PK_ECDH) {
            Some(KeyAgreement::Ecdh)
        } else {
            None
        }
    }
}

/// ActiveAuthenticationInfo (Doc 9303-11 §9.2.8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveAuthenticationInfo {
    /// ActiveAuthenticationInfo version (1).
    pub version: u32,
    /// The signature algorithm for ECDSA Active Authentication (e.g. ecdsa-plain-SHA256).
    pub signature_algorithm: Option<Oid>,
    /// The DER encoding of this SecurityInfo.
    pub raw: Vec<u8>,
}

/// TerminalAuthenticationInfo (Doc 9303-11 §9.2.7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TerminalAuthenticationInfo {
    /// Terminal Authentication version (1 for Doc 9303 EAC, 2 for TR-03110 EACv2).
    pub version: u32,
    /// The raw efCVCA FileID, if present (deprecated).
    pub ef_cvca: Option<Vec<u8>>,
    /// The DER encoding of this SecurityInfo.
    pub raw: Vec<u8>,
}

/// PrivilegedTerminalInfo (TR-03110-3 A.1.1.8): SecurityInfos only for privileged terminals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrivilegedTerminalInfo {
    /// The SecurityInfos inside the privileged SET (their nesting is bounded).
    pub infos: Vec<SecurityInfo>,
    /// The DER encoding of this SecurityInfo.
    pub raw: Vec<u8>,
}

/// A SecurityInfo this parser does not interpret (or could not decode): kept and ignored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownInfo {
    /// The protocol OID as found.
    pub protocol: Oid,
    /// The DER encoding of this SecurityInfo.
    pub raw: Vec<u8>,
    /// Why a known OID was not decoded (`None` for an unknown OID).
    pub problem: Option<String>,
}

/// One SecurityInfo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecurityInfo {
    /// PACEInfo (id-PACE-*).
    Pace(PaceInfo),
    /// PACEDomainParameterInfo (id-PACE-DH-*/id-PACE-ECDH-* without cipher suffix).
    PaceDomainParameter(PaceDomainParameterInfo),
    /// ChipAuthenticationInfo (id-CA-* with cipher suffix).
    ChipAuthentication(ChipAuthenticationInfo),
    /// ChipAuthenticationDomainParameterInfo (id-CA-DH / id-CA-ECDH).
    ChipAuthenticationDomainParameter(ChipAuthenticationDomainParameterInfo),
    /// ChipAuthenticationPublicKeyInfo (id-PK-DH / id-PK-ECDH).
    ChipAuthenticationPublicKey(ChipAuthenticationPublicKeyInfo),
    /// ActiveAuthenticationInfo (id-AA).
    ActiveAuthentication(ActiveAuthenticationInfo),
    /// TerminalAuthenticationInfo (id-TA).
    TerminalAuthentication(TerminalAuthenticationInfo),
    /// PrivilegedTerminalInfo (id-PT).
    PrivilegedTerminal(PrivilegedTerminalInfo),
    /// Any other or undecodable SecurityInfo.
    Unknown(UnknownInfo),
}

impl SecurityInfo {
    /// The exact encoded bytes of this info.
    pub fn raw(&self) -> &[u8] {
        match self {
            SecurityInfo::Pace(i) => &i.raw,
            SecurityInfo::PaceDomainParameter(i) => &i.raw,
            SecurityInfo::ChipAuthentication(i) => &i.raw,
            SecurityInfo::ChipAuthenticationDomainParameter(i) => &i.raw,
            SecurityInfo::ChipAuthenticationPublicKey(i) => &i.raw,
            SecurityInfo::ActiveAuthentication(i) => &i.raw,
            SecurityInfo::TerminalAuthentication(i) => &i.raw,
            SecurityInfo::PrivilegedTerminal(i) => &i.raw,
            SecurityInfo::Unknown(i) => &i.raw,
        }
    }
}

/// A parsed `SET OF SecurityInfo`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SecurityInfos {
    /// The SecurityInfos in the order encoded.
    pub infos: Vec<SecurityInfo>,
    /// Non-zero bytes found after the outer SET (some real files carry them); zero padding
    /// is dropped silently.
    pub trailing: Vec<u8>,
}

impl SecurityInfos {
    /// Parses EF.CardAccess, the content of DG14 (without its `6E` wrapper, see
    /// [`SecurityInfos::parse_dg14`]) or the eContent of EF.CardSecurity.
    pub fn parse(input: &[u8]) -> Result<Self, SecInfoError> {
        let mut iter = TlvIter::new(input).stop_at_zero_padding();
        let set = match iter.next() {
            Some(t) => t?,
            None => return Err(SecInfoError::Empty),
        };
        if set.tag != TAG_SET {
            return Err(SecInfoError::UnexpectedTag {
                expected: "SET OF SecurityInfo",
                found: set.tag,
            });
        }
        let rest = iter.remaining();
        let trailing = if rest.iter().all(|b| *b == 0) {
            Vec::new()
        } else {
            rest.to_vec()
        };
        Ok(SecurityInfos {
            infos: parse_set(&set, 0)?,
            trailing,
        })
    }

    /// Parses DG14 including its application tag `6E`.
    pub fn parse_dg14(input: &[u8]) -> Result<Self, SecInfoError> {
        let (tlv, _) = Tlv::parse(input)?;
        if tlv.tag != Tag(0x6E) {
            return Err(SecInfoError::UnexpectedTag {
                expected: "DG14 (6E)",
                found: tlv.tag,
            });
        }
        Self::parse(tlv.value)
    }

    /// Every SecurityInfo in order.
    pub fn iter(&self) -> impl Iterator<Item = &SecurityInfo> {
        self.infos.iter()
    }

    /// All PACEInfos.
    pub fn pace_infos(&self) -> impl Iterator<Item = &PaceInfo> {
        self.infos.iter().filter_map(|i| match i {
            SecurityInfo::Pace(p) => Some(p),
            _ => None,
        })
    }

    /// All PACEDomainParameterInfos.
    pub fn pace_domain_parameter_infos(&self) -> impl Iterator<Item = &PaceDomainParameterInfo> {
        self.infos.iter().filter_map(|i| match i {
            SecurityInfo::PaceDomainParameter(p) => Some(p),
            _ => None,
        })
    }

    /// All ChipAuthenticationInfos.
    pub fn chip_authentication_infos(&self) -> impl Iterator<Item = &ChipAuthenticationInfo> {
        self.infos.iter().filter_map(|i| match i {
            SecurityInfo::ChipAuthentication(p) => Some(p),
            _ => None,
        })
    }

    /// All ChipAuthenticationDomainParameterInfos.
    pub fn chip_authentication_domain_parameter_infos(
        &self,
    ) -> impl Iterator<Item = &ChipAuthenticationDomainParameterInfo> {
        self.infos.iter().filter_map(|i| match i {
            SecurityInfo::ChipAuthenticationDomainParameter(p) => Some(p),
            _ => None,
        })
    }

    /// All ChipAuthenticationPublicKeyInfos (DG14 holds one per chip key).
    pub fn chip_authentication_public_key_infos(&self) -> impl Iterator<Item = &ChipAuthenticationPublicKeyInfo> {
        self.infos.iter().filter_map(|i| match i {
            SecurityInfo::ChipAuthenticationPublicKey(p) => Some(p),
            _ => None,
        })
    }

    /// The ActiveAuthenticationInfo, if any (DG14 has one for ECDSA Active Authentication).
    pub fn active_authentication_info(&self) -> Option<&ActiveAuthenticationInfo> {
        self.infos.iter().find_map(|i| match i {
            SecurityInfo::ActiveAuthentication(p) => Some(p),
            _ => None,
        })
    }

    /// All TerminalAuthenticationInfos.
    pub fn terminal_authentication_infos(&self) -> impl Iterator<Item = &TerminalAuthenticationInfo> {
        self.infos.iter().filter_map(|i| match i {
            SecurityInfo::TerminalAuthentication(p) => Some(p),
            _ => None,
        })
    }

    /// All SecurityInfos kept as [`UnknownInfo`].
    pub fn unknown_infos(&self) -> impl Iterator<Item = &UnknownInfo> {
        self.infos.iter().filter_map(|i| match i {
            SecurityInfo::Unknown(p) => Some(p),
            _ => None,
        })
    }
}

fn parse_set(set: &Tlv<'_>, nesting: usize) -> Result<Vec<SecurityInfo>, SecInfoError> {
    let mut infos = Vec::new();
    for child in set.children()? {
        let child = child?;
        if infos.len() >= MAX_INFOS {
            return Err(SecInfoError::TooManyInfos(MAX_INFOS));
        }
        infos.push(parse_info(&child, nesting)?);
    }
    Ok(infos)
}

fn parse_info(tlv: &Tlv<'_>, nesting: usize) -> Result<SecurityInfo, SecInfoError> {
    if tlv.tag != TAG_SEQUENCE {
        return Err(SecInfoError::UnexpectedTag {
            expected: "SecurityInfo SEQUENCE",
            found: tlv.tag,
        });
    }
    let kids = collect(tlv, 8)?;
    let first = kids.first().ok_or(SecInfoError::Missing("protocol"))?;
    if first.tag != TAG_OID {
        return Err(SecInfoError::UnexpectedTag {
            expected: "protocol OID",
            found: first.tag,
        });
    }
    let protocol = oid_of(first)?;
    let raw = tlv.raw.to_vec();
    match decode_known(&protocol, &kids, &raw, nesting) {
        Ok(Some(info)) => Ok(info),
        Ok(None) => Ok(SecurityInfo::Unknown(UnknownInfo {
            protocol,
            raw,
            problem: None,
        })),
        Err(e) => Ok(SecurityInfo::Unknown(UnknownInfo {
            protocol,
            raw,
            problem: Some(e.to_string()),
        })),
    }
}

fn decode_known(
    protocol: &Oid,
    kids: &[Tlv<'_>],
    raw: &[u8],
    nesting: usize,
) -> Result<Option<SecurityInfo>, SecInfoError> {
    let p = protocol.as_bytes();
    let raw = raw.to_vec();
    let req = kids.get(1);
    let opt = kids.get(2);
    if PaceProtocol::from_oid(p).is_some() {
        return Ok(Some(SecurityInfo::Pace(PaceInfo {
            protocol: protocol.clone(),
            version: small_int_tlv(req.ok_or(SecInfoError::Missing("version"))?, "version")?,
            parameter_id: opt.map(|t| small_int_tlv(t, "parameterId")).transpose()?,
            raw,
        })));
    }
    if [
        oid::ID_PACE_DH_GM,
        oid::ID_PACE_ECDH_GM,
        oid::ID_PACE_DH_IM,
        oid::ID_PACE_ECDH_IM,
        oid::ID_PACE_ECDH_CAM,
    ]
    .contains(&p)
    {
        return Ok(Some(SecurityInfo::PaceDomainParameter(PaceDomainParameterInfo {
            protocol: protocol.clone(),
            domain_parameter: algorithm_identifier(req.ok_or(SecInfoError::Missing("domainParameter"))?)?,
            parameter_id: opt.map(|t| small_int_tlv(t, "parameterId")).transpose()?,
            raw,
        })));
    }
    if p == oid::ID_CA_DH || p == oid::ID_CA_ECDH {
        return Ok(Some(SecurityInfo::ChipAuthenticationDomainParameter(
            ChipAuthenticationDomainParameterInfo {
                protocol: protocol.clone(),
                domain_parameter: algorithm_identifier(req.ok_or(SecInfoError::Missing("domainParameter"))?)?,
                key_id: opt.map(key_id).transpose()?,
                raw,
            },
        )));
    }
    if CaProtocol::from_oid(p).is_some() {
        return Ok(Some(SecurityInfo::ChipAuthentication(ChipAuthenticationInfo {
            protocol: protocol.clone(),
            version: small_int_tlv(req.ok_or(SecInfoError::Missing("version"))?, "version")?,
            key_id: opt.map(key_id).transpose()?,
            raw,
        })));
    }
    if p == oid::ID_PK_DH || p == oid::ID_PK_ECDH {
        let spki = req.ok_or(SecInfoError::Missing("chipAuthenticationPublicKey"))?;
        let spki_kids = collect(spki, 4)?;
        let alg = algorithm_identifier(spki_kids.first().ok_or(SecInfoError::Missing("algorithm"))?)?;
        let bits = spki_kids.get(1).ok_or(SecInfoError::Missing("subjectPublicKey"))?;
        return Ok(Some(SecurityInfo::ChipAuthenticationPublicKey(
            ChipAuthenticationPublicKeyInfo {
                protocol: protocol.clone(),
                public_key: SubjectPublicKeyInfo {
                    algorithm: alg,
                    subject_public_key: bit_string(bits)?,
                },
                key_id: opt.map(key_id).transpose()?,
                raw,
            },
        )));
    }
    if p == oid::ID_AA {
        let signature_algorithm = match opt {
            Some(t) if t.tag == TAG_OID => Some(oid_of(t)?),
            _ => None,
        };
        return Ok(Some(SecurityInfo::ActiveAuthentication(ActiveAuthenticationInfo {
            version: small_int_tlv(req.ok_or(SecInfoError::Missing("version"))?, "version")?,
            signature_algorithm,
            raw,
        })));
    }
    if p == oid::ID_TA {
        return Ok(Some(SecurityInfo::TerminalAuthentication(TerminalAuthenticationInfo {
            version: small_int_tlv(req.ok_or(SecInfoError::Missing("version"))?, "version")?,
            ef_cvca: opt.map(|t| t.raw.to_vec()),
            raw,
        })));
    }
    if p == oid::ID_PT && nesting < 2 {
        let set = req.ok_or(SecInfoError::Missing("privilegedTerminalInfos"))?;
        if set.tag != TAG_SET {
            return Err(SecInfoError::UnexpectedTag {
                expected: "SET OF SecurityInfo",
                found: set.tag,
            });
        }
        return Ok(Some(SecurityInfo::PrivilegedTerminal(PrivilegedTerminalInfo {
            infos: parse_set(set, nesting + 1)?,
            raw,
        })));
    }
    Ok(None)
}

fn collect<'a>(tlv: &Tlv<'a>, max: usize) -> Result<Vec<Tlv<'a>>, SecInfoError> {
    let mut out = Vec::new();
    for c in tlv.children()? {
        if out.len() >= max {
            break;
        }
        out.push(c?);
    }
    Ok(out)
}

fn oid_of(tlv: &Tlv<'_>) -> Result<Oid, SecInfoError> {
    if tlv.tag != TAG_OID {
        return Err(SecInfoError::UnexpectedTag {
            expected: "OBJECT IDENTIFIER",
            found: tlv.tag,
        });
    }
    if tlv.value.is_empty() || tlv.value.last().is_some_and(|b| b & 0x80 != 0) {
        return Err(SecInfoError::BadOid);
    }
    Ok(Oid(tlv.value.to_vec()))
}

fn algorithm_identifier(tlv: &Tlv<'_>) -> Result<AlgorithmIdentifier, SecInfoError> {
    if tlv.tag != TAG_SEQUENCE {
        return Err(SecInfoError::UnexpectedTag {
            expected: "AlgorithmIdentifier SEQUENCE",
            found: tlv.tag,
        });
    }
    let kids = collect(tlv, 2)?;
    let algorithm = oid_of(kids.first().ok_or(SecInfoError::Missing("algorithm"))?)?;
    Ok(AlgorithmIdentifier {
        algorithm,
        parameters: kids.get(1).map(|t| t.raw.to_vec()),
    })
}

/// The unsigned magnitude of a DER INTEGER (leading zeros stripped, at least one byte).
fn integer_magnitude(tlv: &Tlv<'_>) -> Result<Vec<u8>, SecInfoError> {
    if tlv.tag != TAG_INTEGER {
        return Err(SecInfoError::UnexpectedTag {
            expected: "INTEGER",
            found: tlv.tag,
        });
    }
    let v = tlv.value;
    match v.first() {
        None => Err(SecInfoError::BadInteger),
        Some(b) if b & 0x80 != 0 => Err(SecInfoError::BadInteger),
        Some(_) => {
            let skip = v.iter().take_while(|b| **b == 0).count();
            let mag = v.get(skip..).unwrap_or(&[]);
            Ok(if mag.is_empty() { vec![0] } else { mag.to_vec() })
        }
    }
}

fn small_uint(v: &[u8], what: &'static str) -> Result<u32, SecInfoError> {
    match v.first() {
        None => return Err(SecInfoError::BadInteger),
        Some(b) if b & 0x80 != 0 => return Err(SecInfoError::BadInteger),
        _ => {}
    }
    let skip = v.iter().take_while(|b| **b == 0).count();
    let mag = v.get(skip..).unwrap_or(&[]);
    if mag.len() > 4 {
        return Err(SecInfoError::IntegerTooLarge(what));
    }
    Ok(mag.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)))
}

fn small_int_tlv(tlv: &Tlv<'_>, what: &'static str) -> Result<u32, SecInfoError> {
    if tlv.tag != TAG_INTEGER {
        return Err(SecInfoError::UnexpectedTag {
            expected: "INTEGER",
            found: tlv.tag,
        });
    }
    small_uint(tlv.value, what)
}

fn key_id(tlv: &Tlv<'_>) -> Result<Vec<u8>, SecInfoError> {
    let v = integer_magnitude(tlv)?;
    if v.len() > 32 {
        return Err(SecInfoError::IntegerTooLarge("keyId"));
    }
    Ok(v)
}

fn octets(tlv: &Tlv<'_>) -> Result<Vec<u8>, SecInfoError> {
    if tlv.tag != TAG_OCTET_STRING {
        return Err(SecInfoError::UnexpectedTag {
            expected: "OCTET STRING",
            found: tlv.tag,
        });
    }
    Ok(tlv.value.to_vec())
}

fn bit_string(tlv: &Tlv<'_>) -> Result<Vec<u8>, SecInfoError> {
    if tlv.tag != TAG_BIT_STRING {
        return Err(SecInfoError::UnexpectedTag {
            expected: "BIT STRING",
            found: tlv.tag,
        });
    }
    match tlv.value.split_first() {
        Some((0, rest)) => Ok(rest.to_vec()),
        _ => Err(SecInfoError::BadBitString),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn g1_pace_info() {
        let infos = SecurityInfos::parse(&h("31143012060A04007F0007020204020202010202010D")).unwrap();
        let p: Vec<_> = infos.pace_infos().collect();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].protocol.as_bytes(), oid::ID_PACE_ECDH_GM_AES_CBC_CMAC_128);
        assert_eq!(p[0].version, 2);
        assert_eq!(p[0].parameter_id, Some(13));
        assert_eq!(
            p[0].protocol(),
            Some(PaceProtocol {
                mapping: PaceMapping::Generic,
                key_agreement: KeyAgreement::Ecdh,
                cipher: CipherSuite::Aes128
            })
        );
        assert_eq!(
            p[0].protocol.to_string(),
            "id-PACE-ECDH-GM-AES-CBC-CMAC-128 (0.4.0.127.0.7.2.2.4.2.2)"
        );
    }

    #[test]
    fn i1_chip_authentication_public_key_info() {
        let raw = h(
            "3062060904007F0007020201023052300C060704007F0007010202010D034200041872709494399E7470A6431BE25E83EEE24FEA568C2ED28DB48E05DB3A610DC884D256A40E35EFCB59BF6753D3A489D28C7A4D973C2DA138A6E7A4A08F68E16F02010D",
        );
        let mut set = vec![0x31, raw.len() as u8];
        set.extend_from_slice(&raw);
        let infos = SecurityInfos::parse(&set).unwrap();
        let k: Vec<_> = infos.chip_authentication_public_key_infos().collect();
        assert_eq!(k.len(), 1);
        assert_eq!(k[0].key_agreement(), Some(KeyAgreement::Ecdh));
        assert_eq!(k[0].key_id, Some(vec![13]));
        assert_eq!(
            k[0].public_key.algorithm.domain_parameters().unwrap(),
            DomainParameters::Standardized(13)
        );
        assert_eq!(
            k[0].public_key.public_key_value().unwrap(),
            raw[0x20..0x20 + 65].to_vec()
        );
        assert_eq!(k[0].raw, raw);
    }

    #[test]
    fn pace_protocol_oid_round_trip() {
        for m in [1u8, 2, 3, 4, 6] {
            for c in 1u8..=4 {
                let mut o = oid::ID_PACE.to_vec();
                o.extend_from_slice(&[m, c]);
                match PaceProtocol::from_oid(&o) {
                    Some(p) => assert_eq!(p.oid(), o),
                    None => assert_eq!((m, c), (6, 1), "only CAM with 3DES is undefined"),
                }
            }
        }
        assert_eq!(PaceProtocol::from_oid(oid::ID_PACE_ECDH_GM), None);
        assert_eq!(PaceProtocol::from_oid(&[]), None);
    }

    #[test]
    fn oid_dotted() {
        assert_eq!(Oid(oid::ID_AA.to_vec()).dotted().as_deref(), Some("2.23.136.1.1.5"));
        assert_eq!(Oid(vec![0x81]).dotted(), None);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(SecurityInfos::parse(&[]).is_err());
        assert!(SecurityInfos::parse(&[0; 16]).is_err());
        assert!(SecurityInfos::parse(&h("3105300306")).is_err());
        assert!(SecurityInfos::parse(&h("3000")).is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = SecurityInfos::parse(&data);
            let mut d = vec![0x31, 0x81, data.len().min(255) as u8];
            d.extend_from_slice(&data);
            let _ = SecurityInfos::parse(&d);
        }
    }
}
