//! X.509 certificates and CRLs read leniently with the TLV codec (explicit EC parameters,
//! BER quirks), keeping the exact TBS bytes for signature verification.

use crate::PaError;
use emrtd_apdu::tlv::{Tag, Tlv};
use emrtd_lds::asn1::{self, AlgorithmIdentifier, TAG_INTEGER, TAG_SEQUENCE, children, expect, get};
use emrtd_lds::pubkey::SubjectPublicKeyInfo;
use serde::Serialize;

/// countryName (C), 2.5.4.6 (X.520).
pub const OID_COUNTRY: &str = "2.5.4.6";
/// commonName (CN), 2.5.4.3 (X.520).
pub const OID_COMMON_NAME: &str = "2.5.4.3";
/// subjectKeyIdentifier extension, 2.5.29.14 (RFC 5280 §4.2.1.2).
pub const OID_SKI: &str = "2.5.29.14";
/// keyUsage extension, 2.5.29.15 (RFC 5280 §4.2.1.3).
pub const OID_KEY_USAGE: &str = "2.5.29.15";
/// basicConstraints extension, 2.5.29.19 (RFC 5280 §4.2.1.9).
pub const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";
/// authorityKeyIdentifier extension, 2.5.29.35 (RFC 5280 §4.2.1.1).
pub const OID_AKI: &str = "2.5.29.35";
/// extKeyUsage extension, 2.5.29.37 (RFC 5280 §4.2.1.12).
pub const OID_EXT_KEY_USAGE: &str = "2.5.29.37";

/// Extensions that may be marked critical in a certificate passive authentication relies on
/// (issue 13). A certificate with any other critical extension is rejected (RFC 5280 §4.2: a
/// critical extension the verifier does not recognise rejects the certificate).
///
/// The real certificates in the test vectors mark only key usage and basic constraints
/// critical (all 632 CSCA and link certificates of the German and Dutch master lists and the
/// Indonesian CSCAs, the six real Document Signers) plus the extended key usage of the master
/// list signers (2.23.136.1.1.3 in the German and Dutch ones). Key usage and basic constraints
/// are enforced; the others listed carry information PA does not depend on (the document
/// types a DS may sign, policies, the private key usage period, key identifiers). Name
/// constraints, policy constraints and CRL distribution points are not processed, so a
/// critical one rejects the certificate.
pub const KNOWN_CRITICAL_EXTENSIONS: &[(&str, &str)] = &[
    (OID_KEY_USAGE, "key usage"),
    (OID_BASIC_CONSTRAINTS, "basic constraints"),
    (OID_EXT_KEY_USAGE, "extended key usage"),
    (OID_SKI, "subject key identifier"),
    (OID_AKI, "authority key identifier"),
    ("2.5.29.16", "private key usage period"),
    ("2.5.29.32", "certificate policies"),
    ("2.23.136.1.1.6.2", "ICAO document type list"),
];

/// A distinguished name: the exact encoding plus its attributes in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Name {
    /// The exact DER/BER encoding of the Name SEQUENCE.
    #[serde(skip)]
    pub raw: Vec<u8>,
    /// `(attribute type OID, value)` pairs in encoding order, all RDNs flattened; BMPString
    /// values are decoded from UTF-16, others taken as text.
    pub attributes: Vec<(String, String)>,
}

impl Name {
    /// Parses a Name (RDNSequence) TLV.
    pub fn parse(t: &Tlv<'_>) -> Result<Self, PaError> {
        expect(t, TAG_SEQUENCE, "Name")?;
        let mut attributes = Vec::new();
        for rdn in t.children()? {
            let rdn = rdn?;
            for atv in rdn.children()? {
                let atv = atv?;
                let c = children(&atv)?;
                let oid = asn1::read_oid(get(&c, 0, "AttributeTypeAndValue")?)?;
                let v = get(&c, 1, "AttributeTypeAndValue")?;
                let value = if v.tag.0 == 0x1E {
                    // BMPString
                    let units: Vec<u16> = v
                        .value
                        .chunks(2)
                        .map(|c| u16::from_be_bytes([c.first().copied().unwrap_or(0), c.get(1).copied().unwrap_or(0)]))
                        .collect();
                    String::from_utf16_lossy(&units)
                } else {
                    asn1::string_value(v.value)
                };
                attributes.push((oid, value));
            }
        }
        Ok(Name {
            raw: t.raw.to_vec(),
            attributes,
        })
    }

    /// The country (C) attribute, upper case.
    pub fn country(&self) -> Option<String> {
        self.attributes
            .iter()
            .find(|(o, _)| o == OID_COUNTRY)
            .map(|(_, v)| v.trim().to_ascii_uppercase())
    }

    /// The first commonName (CN) attribute, as encoded.
    pub fn common_name(&self) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(o, _)| o == OID_COMMON_NAME)
            .map(|(_, v)| v.as_str())
    }

    /// A normalised form for comparison across string types: attributes sorted, values
    /// trimmed and case-folded.
    pub fn normalized(&self) -> String {
        let mut parts: Vec<String> = self
            .attributes
            .iter()
            .map(|(o, v)| {
                let v: String = v.split_whitespace().collect::<Vec<_>>().join(" ");
                format!("{o}={}", v.to_lowercase())
            })
            .collect();
        parts.sort();
        parts.join(",")
    }

    /// Matches by exact encoding or by normalised attributes.
    pub fn matches(&self, other: &Name) -> bool {
        self.raw == other.raw || self.normalized() == other.normalized()
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .attributes
            .iter()
            .map(|(o, v)| {
                let k = match o.as_str() {
                    "2.5.4.6" => "C",
                    "2.5.4.3" => "CN",
                    "2.5.4.10" => "O",
                    "2.5.4.11" => "OU",
                    "2.5.4.5" => "serialNumber",
                    "2.5.4.7" => "L",
                    "2.5.4.8" => "ST",
                    other => other,
                };
                format!("{k}={v}")
            })
            .collect();
        write!(f, "{}", parts.join(", "))
    }
}

/// Key usage bits (RFC 5280 §4.2.1.3).
pub mod key_usage {
    /// digitalSignature (bit 0): required of a Document Signer certificate.
    pub const DIGITAL_SIGNATURE: u16 = 0x8000;
    /// keyCertSign (bit 5): required of a CSCA certificate.
    pub const KEY_CERT_SIGN: u16 = 0x0400;
    /// cRLSign (bit 6): required of a key whose CRLs are used.
    pub const CRL_SIGN: u16 = 0x0200;
}

/// An X.509 certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Certificate {
    /// The whole certificate encoding as read.
    #[serde(skip)]
    pub raw: Vec<u8>,
    /// The exact TBSCertificate encoding the signature covers.
    #[serde(skip)]
    pub tbs: Vec<u8>,
    /// The version field as encoded: 0 = v1 (absent), 2 = v3.
    pub version: u64,
    /// serialNumber, big-endian without leading zeros.
    #[serde(with = "hex_ser")]
    pub serial: Vec<u8>,
    /// The outer signatureAlgorithm the issuer signed with.
    pub signature_algorithm: AlgorithmIdentifier,
    /// The signature field inside the TBSCertificate, which must equal
    /// `signature_algorithm` (RFC 5280 §4.1.1.2).
    pub tbs_signature_algorithm: AlgorithmIdentifier,
    /// The signatureValue BIT STRING contents.
    #[serde(skip)]
    pub signature: Vec<u8>,
    /// The issuer name.
    pub issuer: Name,
    /// The subject name.
    pub subject: Name,
    /// Start of validity, seconds since the Unix epoch (UTC).
    pub not_before: i64,
    /// End of validity, seconds since the Unix epoch (UTC).
    pub not_after: i64,
    /// The subject public key (RSA or EC, named or explicit parameters).
    #[serde(skip)]
    pub spki: SubjectPublicKeyInfo,
    /// The subjectKeyIdentifier extension's key identifier, when present.
    #[serde(with = "hex_ser_opt")]
    pub subject_key_id: Option<Vec<u8>>,
    /// The keyIdentifier of the authorityKeyIdentifier extension, when present.
    #[serde(with = "hex_ser_opt")]
    pub authority_key_id: Option<Vec<u8>>,
    /// Key usage bits (bit 0 = digitalSignature as 0x8000).
    pub key_usage: Option<u16>,
    /// basicConstraints cA.
    pub is_ca: Option<bool>,
    /// OIDs of the extensions marked critical, in order.
    pub critical_extensions: Vec<String>,
}

mod hex_ser {
    pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode_upper(v))
    }
}
mod hex_ser_opt {
    pub fn serialize<S: serde::Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_str(&hex::encode_upper(v)),
            None => s.serialize_none(),
        }
    }
}

impl Certificate {
    /// Parses a certificate from the first TLV of `input` (DER, BER quirks tolerated).
    pub fn from_der(input: &[u8]) -> Result<Self, PaError> {
        let t = asn1::first(input)?;
        Self::parse(&t)
    }

    /// Parses a certificate TLV (RFC 5280 §4.1), keeping the exact TBS bytes.
    pub fn parse(t: &Tlv<'_>) -> Result<Self, PaError> {
        expect(t, TAG_SEQUENCE, "Certificate")?;
        let c = children(t)?;
        let tbs_t = get(&c, 0, "Certificate")?;
        let signature_algorithm = AlgorithmIdentifier::parse(get(&c, 1, "Certificate")?)?;
        let signature = asn1::bit_string(get(&c, 2, "Certificate")?)?.to_vec();
        expect(tbs_t, TAG_SEQUENCE, "TBSCertificate")?;
        let tc = children(tbs_t)?;
        let mut i = 0;
        let mut version = 0;
        if let Some(v) = tc.first()
            && v.tag == Tag(0xA0)
        {
            let inner = v
                .children()?
                .next()
                .ok_or_else(|| PaError::Certificate("empty version".into()))??;
            version = asn1::read_small_int(&inner)?;
            i = 1;
        }
        let serial_t = get(&tc, i, "TBSCertificate")?;
        expect(serial_t, TAG_INTEGER, "serialNumber")?;
        let tbs_signature_algorithm = AlgorithmIdentifier::parse(get(&tc, i + 1, "TBSCertificate")?)?;
        let issuer = Name::parse(get(&tc, i + 2, "TBSCertificate")?)?;
        let validity = children(get(&tc, i + 3, "TBSCertificate")?)?;
        let not_before = asn1::read_time(get(&validity, 0, "Validity")?)?;
        let not_after = asn1::read_time(get(&validity, 1, "Validity")?)?;
        let subject = Name::parse(get(&tc, i + 4, "TBSCertificate")?)?;
        let spki = SubjectPublicKeyInfo::parse(get(&tc, i + 5, "TBSCertificate")?)?;
        let mut cert = Certificate {
            raw: t.raw.to_vec(),
            tbs: tbs_t.raw.to_vec(),
            version,
            serial: asn1::strip_int(serial_t.value).to_vec(),
            signature_algorithm,
            tbs_signature_algorithm,
            signature,
            issuer,
            subject,
            not_before,
            not_after,
            spki,
            subject_key_id: None,
            authority_key_id: None,
            key_usage: None,
            is_ca: None,
            critical_extensions: Vec::new(),
        };
        for ext_wrap in tc.iter().skip(i + 6) {
            if ext_wrap.tag != Tag(0xA3) {
                continue;
            }
            let Some(exts) = ext_wrap.children()?.next() else {
                continue;
            };
            let mut seen: Vec<String> = Vec::new();
            for ext in exts?.children()? {
                let ext = ext?;
                let ec = children(&ext)?;
                let oid = asn1::read_oid(get(&ec, 0, "Extension")?)?;
                // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of a
                // particular extension. Which instance counts would otherwise depend on the
                // reader (OpenSSL rejects such a certificate).
                if seen.contains(&oid) {
                    return Err(PaError::Certificate(format!("extension {oid} repeated")));
                }
                seen.push(oid.clone());
                // Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue }
                let critical = ec.len() == 3
                    && ec
                        .get(1)
                        .is_some_and(|c| c.tag == Tag(0x01) && c.value.first().is_some_and(|b| *b != 0));
                let value = ec
                    .last()
                    .ok_or_else(|| PaError::Certificate("empty extension".into()))?;
                let value = asn1::octets(value)?;
                cert.apply_extension(&oid, &value);
                if critical {
                    cert.critical_extensions.push(oid);
                }
            }
        }
        Ok(cert)
    }

    fn apply_extension(&mut self, oid: &str, value: &[u8]) {
        let Ok(t) = asn1::one(value) else { return };
        match oid {
            OID_SKI => self.subject_key_id = asn1::octets(&t).ok(),
            OID_AKI => {
                if let Ok(mut it) = t.children() {
                    self.authority_key_id = it
                        .find_map(|c| c.ok().filter(|c| c.tag == Tag(0x80)))
                        .map(|c| c.value.to_vec());
                }
            }
            OID_KEY_USAGE => {
                if let Some((_, bits)) = t.value.split_first() {
                    let hi = u16::from(bits.first().copied().unwrap_or(0)) << 8;
                    let lo = u16::from(bits.get(1).copied().unwrap_or(0));
                    self.key_usage = Some(hi | lo);
                }
            }
            OID_BASIC_CONSTRAINTS => {
                let ca = t
                    .children()
                    .ok()
                    .and_then(|mut it| it.next())
                    .and_then(|c| c.ok())
                    .is_some_and(|c| c.tag == Tag(0x01) && c.value.first().is_some_and(|b| *b != 0));
                self.is_ca = Some(ca);
            }
            _ => {}
        }
    }

    /// The outer signatureAlgorithm equals the TBSCertificate's signature field.
    pub fn signature_algorithm_consistent(&self) -> bool {
        self.signature_algorithm == self.tbs_signature_algorithm
    }

    /// Critical extensions not in [`KNOWN_CRITICAL_EXTENSIONS`].
    pub fn unknown_critical_extensions(&self) -> Vec<&str> {
        self.critical_extensions
            .iter()
            .map(String::as_str)
            .filter(|o| !KNOWN_CRITICAL_EXTENSIONS.iter().any(|(k, _)| k == o))
            .collect()
    }

    /// The RSA modulus length in bits, for an RSA key.
    pub fn rsa_modulus_bits(&self) -> Option<usize> {
        match &self.spki.key {
            emrtd_lds::pubkey::PublicKey::Rsa { modulus, .. } => Some(crate::rsa::modulus_bits(modulus)),
            _ => None,
        }
    }

    /// Whether the subject and issuer are the same name.
    pub fn is_self_issued(&self) -> bool {
        self.subject.matches(&self.issuer)
    }

    /// Whether the certificate is valid at `t` (seconds since the epoch).
    pub fn valid_at(&self, t: i64) -> bool {
        self.not_before <= t && t <= self.not_after
    }

    /// SHA-256 fingerprint (hex) for reports and de-duplication.
    pub fn fingerprint(&self) -> String {
        hex::encode_upper(crate::hash::HashAlg::Sha256.digest(&self.raw))
    }

    /// A short description for reports.
    pub fn summary(&self) -> CertSummary {
        CertSummary {
            subject: self.subject.to_string(),
            issuer: self.issuer.to_string(),
            serial: hex::encode_upper(&self.serial),
            not_before: asn1::format_time(self.not_before),
            not_after: asn1::format_time(self.not_after),
            fingerprint_sha256: self.fingerprint(),
        }
    }
}

/// A certificate described for reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertSummary {
    /// The subject name (`C=.., CN=..` form).
    pub subject: String,
    /// The issuer name.
    pub issuer: String,
    /// The serial number, upper-case hex.
    pub serial: String,
    /// Start of validity, formatted time.
    pub not_before: String,
    /// End of validity, formatted time.
    pub not_after: String,
    /// SHA-256 of the whole certificate encoding, upper-case hex.
    pub fingerprint_sha256: String,
}

/// One revoked certificate entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RevokedEntry {
    /// The revoked certificate's serial number, without leading zeros.
    #[serde(with = "hex_ser")]
    pub serial: Vec<u8>,
    /// revocationDate, seconds since the Unix epoch (UTC).
    pub revocation_date: i64,
}

/// A CRL (RFC 5280 §5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Crl {
    /// The whole CertificateList encoding as read.
    #[serde(skip)]
    pub raw: Vec<u8>,
    /// The exact TBSCertList encoding the signature covers.
    #[serde(skip)]
    pub tbs: Vec<u8>,
    /// The outer signatureAlgorithm.
    pub signature_algorithm: AlgorithmIdentifier,
    /// The signature field inside the TBSCertList, which must equal `signature_algorithm`.
    pub tbs_signature_algorithm: AlgorithmIdentifier,
    /// The signatureValue BIT STRING contents.
    #[serde(skip)]
    pub signature: Vec<u8>,
    /// The CRL issuer (the CSCA).
    pub issuer: Name,
    /// thisUpdate, seconds since the Unix epoch (UTC).
    pub this_update: i64,
    /// nextUpdate, seconds since the Unix epoch, when present; a CRL past it is stale.
    pub next_update: Option<i64>,
    /// The revokedCertificates entries.
    pub revoked: Vec<RevokedEntry>,
    /// The keyIdentifier of the CRL's authorityKeyIdentifier extension, when present.
    #[serde(with = "hex_ser_opt")]
    pub authority_key_id: Option<Vec<u8>>,
}

impl Crl {
    /// Parses a CRL (RFC 5280 §5.1) from the first TLV of `input`.
    pub fn from_der(input: &[u8]) -> Result<Self, PaError> {
        let t = asn1::first(input)?;
        expect(&t, TAG_SEQUENCE, "CertificateList")?;
        let c = children(&t)?;
        let tbs_t = get(&c, 0, "CertificateList")?;
        let signature_algorithm = AlgorithmIdentifier::parse(get(&c, 1, "CertificateList")?)?;
        let signature = asn1::bit_string(get(&c, 2, "CertificateList")?)?.to_vec();
        let tc = children(tbs_t)?;
        let mut i = 0;
        if tc.first().is_some_and(|v| v.tag == TAG_INTEGER) {
            i = 1;
        }
        let tbs_signature_algorithm = AlgorithmIdentifier::parse(get(&tc, i, "TBSCertList")?)?;
        let issuer = Name::parse(get(&tc, i + 1, "TBSCertList")?)?;
        let this_update = asn1::read_time(get(&tc, i + 2, "TBSCertList")?)?;
        let mut j = i + 3;
        let mut next_update = None;
        if let Some(t) = tc.get(j)
            && (t.tag == asn1::TAG_UTC_TIME || t.tag == asn1::TAG_GENERALIZED_TIME)
        {
            next_update = Some(asn1::read_time(t)?);
            j += 1;
        }
        let mut revoked = Vec::new();
        let mut authority_key_id = None;
        for t in tc.iter().skip(j) {
            if t.tag == TAG_SEQUENCE {
                for e in t.children()? {
                    let e = e?;
                    let ec = children(&e)?;
                    let serial = get(&ec, 0, "revokedCertificate")?;
                    expect(serial, TAG_INTEGER, "userCertificate")?;
                    let date = asn1::read_time(get(&ec, 1, "revokedCertificate")?)?;
                    revoked.push(RevokedEntry {
                        serial: asn1::strip_int(serial.value).to_vec(),
                        revocation_date: date,
                    });
                }
            } else if t.tag == Tag(0xA0)
                && let Some(exts) = t.children()?.next()
            {
                for ext in exts?.children()? {
                    let ext = ext?;
                    let ec = children(&ext)?;
                    if asn1::read_oid(get(&ec, 0, "Extension")?)? == OID_AKI
                        && let Some(v) = ec.last()
                    {
                        let v = asn1::octets(v)?;
                        let a = asn1::one(&v)?;
                        authority_key_id = a
                            .children()?
                            .find_map(|c| c.ok().filter(|c| c.tag == Tag(0x80)))
                            .map(|c| c.value.to_vec());
                    }
                }
            }
        }
        Ok(Crl {
            raw: t.raw.to_vec(),
            tbs: tbs_t.raw.to_vec(),
            signature_algorithm,
            tbs_signature_algorithm,
            signature,
            issuer,
            this_update,
            next_update,
            revoked,
            authority_key_id,
        })
    }

    /// Whether `serial` is listed.
    pub fn lists(&self, serial: &[u8]) -> bool {
        self.revoked.iter().any(|r| r.serial == asn1::strip_int(serial))
    }
}
