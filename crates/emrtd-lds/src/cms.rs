//! CMS SignedData (RFC 5652) as used by EF.SOD, EF.CardSecurity and CSCA master lists.
//! BER with indefinite lengths is accepted; every part keeps its exact encoding.

use crate::LdsError;
use crate::asn1::{self, AlgorithmIdentifier, TAG_INTEGER, TAG_OID, TAG_SEQUENCE, TAG_SET, children, expect, get};
use emrtd_apdu::tlv::{Tag, Tlv};
use serde::Serialize;

/// OID of the CMS `id-signedData` content type (RFC 5652 §5.1).
pub const OID_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
/// OID of the `content-type` signed attribute (RFC 5652 §11.1).
pub const OID_CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
/// OID of the `message-digest` signed attribute (RFC 5652 §11.2): the hash of the encapsulated content.
pub const OID_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
/// OID of the `signing-time` signed attribute (RFC 5652 §11.3).
pub const OID_SIGNING_TIME: &str = "1.2.840.113549.1.9.5";

/// One attribute of the signed attributes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Attribute {
    /// The attribute type OID in dotted form.
    pub oid: String,
    /// Raw TLVs of the values.
    #[serde(with = "crate::hexser::list")]
    pub values: Vec<Vec<u8>>,
}

/// The signed attributes of a SignerInfo.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignedAttributes {
    /// The exact `[0]` encoding as found.
    #[serde(with = "crate::hexser")]
    pub raw: Vec<u8>,
    /// The bytes the signature covers: the same encoding with the SET OF tag (`31`).
    #[serde(skip)]
    pub to_be_signed: Vec<u8>,
    /// The attributes in the order encoded.
    pub attributes: Vec<Attribute>,
    /// The value of the `content-type` attribute (dotted OID), which must equal the
    /// encapsulated content type (RFC 5652 §5.3), e.g. `2.23.136.1.1.1` for an LDS Security Object.
    pub content_type: Option<String>,
    /// The value of the `message-digest` attribute: the hash of the encapsulated content
    /// under the SignerInfo's digest algorithm.
    #[serde(with = "crate::hexser::opt")]
    pub message_digest: Option<Vec<u8>>,
    /// Signing time in seconds since the epoch, when present.
    pub signing_time: Option<i64>,
}

/// How a SignerInfo names its certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum SignerIdentifier {
    /// Issuer distinguished name and serial number of the signer certificate (`sid` version 1).
    IssuerAndSerialNumber {
        /// Raw DER of the issuer Name.
        #[serde(with = "crate::hexser")]
        issuer: Vec<u8>,
        /// Serial number content octets (two's complement, as encoded).
        #[serde(with = "crate::hexser")]
        serial: Vec<u8>,
    },
    /// The subjectKeyIdentifier of the signer certificate (`[0]`, `sid` version 3).
    SubjectKeyIdentifier(#[serde(with = "crate::hexser")] Vec<u8>),
}

/// One SignerInfo.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignerInfo {
    /// CMSVersion of the SignerInfo: 1 with IssuerAndSerialNumber, 3 with SubjectKeyIdentifier.
    pub version: u64,
    /// Identifies the signer's certificate (the Document Signer certificate for EF.SOD).
    pub sid: SignerIdentifier,
    /// The hash algorithm used for the message digest and the signed attributes.
    pub digest_algorithm: AlgorithmIdentifier,
    /// The signed attributes (`[0]`), present in every Doc 9303 EF.SOD.
    pub signed_attributes: Option<SignedAttributes>,
    /// The signature algorithm, e.g. `rsaEncryption`, `id-RSASSA-PSS` or `ecdsa-with-SHA256`.
    pub signature_algorithm: AlgorithmIdentifier,
    /// The signature value (for ECDSA the DER `Ecdsa-Sig-Value` SEQUENCE).
    #[serde(with = "crate::hexser")]
    pub signature: Vec<u8>,
}

/// A parsed SignedData.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignedData {
    /// CMSVersion of the SignedData (3 for EF.SOD per Doc 9303-10 §4.6.2).
    pub version: u64,
    /// The digest algorithms listed in the `digestAlgorithms` SET.
    pub digest_algorithms: Vec<AlgorithmIdentifier>,
    /// The encapsulated content type OID, e.g. `2.23.136.1.1.1` (ldsSecurityObject) or
    /// `0.4.0.127.0.7.3.2.1` (id-SecurityObject of EF.CardSecurity).
    pub encap_content_type: String,
    /// The encapsulated content octets exactly as signed (chunks of a constructed OCTET
    /// STRING concatenated).
    #[serde(with = "crate::hexser")]
    pub encap_content: Vec<u8>,
    /// Raw encodings of the certificates in the `certificates` field.
    #[serde(with = "crate::hexser::list")]
    pub certificates: Vec<Vec<u8>>,
    /// Raw encodings of the CRLs in the `crls` field.
    #[serde(with = "crate::hexser::list")]
    pub crls: Vec<Vec<u8>>,
    /// The SignerInfos (Doc 9303 requires exactly one for EF.SOD).
    pub signer_infos: Vec<SignerInfo>,
}

impl SignedData {
    /// Parses a ContentInfo wrapping a SignedData.
    pub fn from_content_info(input: &[u8]) -> Result<Self, LdsError> {
        let ci = asn1::first(input)?;
        expect(&ci, TAG_SEQUENCE, "ContentInfo")?;
        let c = children(&ci)?;
        let ct = asn1::read_oid(get(&c, 0, "ContentInfo")?)?;
        if ct != OID_SIGNED_DATA {
            return Err(LdsError::Structure(format!("ContentInfo type {ct} is not signedData")));
        }
        let explicit = get(&c, 1, "ContentInfo")?;
        expect(explicit, Tag(0xA0), "ContentInfo content")?;
        let sd = explicit
            .children()?
            .next()
            .ok_or_else(|| LdsError::Structure("empty ContentInfo content".into()))??;
        Self::parse(&sd)
    }

    /// Parses the SignedData SEQUENCE.
    pub fn parse(sd: &Tlv<'_>) -> Result<Self, LdsError> {
        expect(sd, TAG_SEQUENCE, "SignedData")?;
        let c = children(sd)?;
        let version = asn1::read_small_int(get(&c, 0, "SignedData")?)?;
        let algs = get(&c, 1, "SignedData")?;
        expect(algs, TAG_SET, "digestAlgorithms")?;
        let mut digest_algorithms = Vec::new();
        for a in algs.children()? {
            digest_algorithms.push(AlgorithmIdentifier::parse(&a?)?);
        }
        let eci = get(&c, 2, "SignedData")?;
        expect(eci, TAG_SEQUENCE, "EncapsulatedContentInfo")?;
        let ec = children(eci)?;
        let encap_content_type = asn1::read_oid(get(&ec, 0, "EncapsulatedContentInfo")?)?;
        let encap_content = match ec.get(1) {
            Some(explicit) => {
                expect(explicit, Tag(0xA0), "eContent")?;
                let inner = explicit
                    .children()?
                    .next()
                    .ok_or_else(|| LdsError::Structure("empty eContent".into()))??;
                asn1::octets(&inner)?
            }
            None => Vec::new(),
        };
        let mut certificates = Vec::new();
        let mut crls = Vec::new();
        let mut signer_infos = Vec::new();
        for t in c.iter().skip(3) {
            match t.tag {
                Tag(0xA0) => {
                    for cert in t.children()? {
                        certificates.push(cert?.raw.to_vec());
                    }
                }
                Tag(0xA1) => {
                    for crl in t.children()? {
                        crls.push(crl?.raw.to_vec());
                    }
                }
                TAG_SET => {
                    for si in t.children()? {
                        signer_infos.push(SignerInfo::parse(&si?)?);
                    }
                }
                other => {
                    return Err(LdsError::Structure(format!("unexpected tag {other} in SignedData")));
                }
            }
        }
        Ok(SignedData {
            version,
            digest_algorithms,
            encap_content_type,
            encap_content,
            certificates,
            crls,
            signer_infos,
        })
    }
}

impl SignerInfo {
    /// Parses one SignerInfo SEQUENCE (RFC 5652 §5.3).
    pub fn parse(t: &Tlv<'_>) -> Result<Self, LdsError> {
        expect(t, TAG_SEQUENCE, "SignerInfo")?;
        let c = children(t)?;
        let version = asn1::read_small_int(get(&c, 0, "SignerInfo")?)?;
        let sid_t = get(&c, 1, "SignerInfo")?;
        let sid = match sid_t.tag {
            TAG_SEQUENCE => {
                let s = children(sid_t)?;
                let issuer = get(&s, 0, "IssuerAndSerialNumber")?;
                let serial = get(&s, 1, "IssuerAndSerialNumber")?;
                expect(serial, TAG_INTEGER, "serialNumber")?;
                SignerIdentifier::IssuerAndSerialNumber {
                    issuer: issuer.raw.to_vec(),
                    serial: serial.value.to_vec(),
                }
            }
            Tag(0x80) => SignerIdentifier::SubjectKeyIdentifier(sid_t.value.to_vec()),
            Tag(0xA0) => {
                // Constructed form seen in some encoders: [0] { OCTET STRING }.
                let inner = sid_t
                    .children()?
                    .next()
                    .ok_or_else(|| LdsError::Structure("empty sid".into()))??;
                SignerIdentifier::SubjectKeyIdentifier(asn1::octets(&inner)?)
            }
            other => {
                return Err(LdsError::Structure(format!("bad SignerIdentifier tag {other}")));
            }
        };
        let digest_algorithm = AlgorithmIdentifier::parse(get(&c, 2, "SignerInfo")?)?;
        let mut idx = 3;
        let mut signed_attributes = None;
        if let Some(sa) = c.get(idx)
            && sa.tag == Tag(0xA0)
        {
            signed_attributes = Some(SignedAttributes::parse(sa)?);
            idx += 1;
        }
        let signature_algorithm = AlgorithmIdentifier::parse(get(&c, idx, "SignerInfo")?)?;
        let sig = get(&c, idx + 1, "SignerInfo")?;
        let signature = asn1::octets(sig)?;
        Ok(SignerInfo {
            version,
            sid,
            digest_algorithm,
            signed_attributes,
            signature_algorithm,
            signature,
        })
    }
}

impl SignedAttributes {
    fn parse(t: &Tlv<'_>) -> Result<Self, LdsError> {
        // The signature is computed over the DER of SET OF Attribute: the same content with
        // tag 31. With a definite length the only difference is the tag byte.
        let to_be_signed = if t.indefinite {
            let mut v = Vec::new();
            emrtd_apdu::tlv::write_tlv(TAG_SET, t.value, &mut v);
            v
        } else {
            let mut v = t.raw.to_vec();
            if let Some(b) = v.first_mut() {
                *b = 0x31;
            }
            v
        };
        let mut attributes = Vec::new();
        let mut content_type = None;
        let mut message_digest = None;
        let mut signing_time = None;
        for a in t.children()? {
            let a = a?;
            expect(&a, TAG_SEQUENCE, "Attribute")?;
            let ac = children(&a)?;
            let oid = asn1::read_oid(get(&ac, 0, "Attribute")?)?;
            let set = get(&ac, 1, "Attribute")?;
            expect(set, TAG_SET, "Attribute values")?;
            let values: Vec<Tlv<'_>> = children(set)?;
            match oid.as_str() {
                OID_CONTENT_TYPE => {
                    if content_type.is_some() || values.len() != 1 {
                        return Err(LdsError::Structure("content-type attribute repeated".into()));
                    }
                    if let Some(v) = values.first() {
                        if v.tag != TAG_OID {
                            return Err(LdsError::Structure("content-type not an OID".into()));
                        }
                        content_type = Some(asn1::oid_to_string(v.value)?);
                    }
                }
                OID_MESSAGE_DIGEST => {
                    if message_digest.is_some() || values.len() != 1 {
                        return Err(LdsError::Structure("message-digest attribute repeated".into()));
                    }
                    if let Some(v) = values.first() {
                        message_digest = Some(asn1::octets(v)?);
                    }
                }
                OID_SIGNING_TIME => {
                    if let Some(v) = values.first() {
                        signing_time = asn1::read_time(v).ok();
                    }
                }
                _ => {}
            }
            attributes.push(Attribute {
                oid,
                values: values.iter().map(|v| v.raw.to_vec()).collect(),
            });
        }
        Ok(SignedAttributes {
            raw: t.raw.to_vec(),
            to_be_signed,
            attributes,
            content_type,
            message_digest,
            signing_time,
        })
    }
}
