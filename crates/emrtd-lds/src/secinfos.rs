//! DG14, EF.CardAccess and EF.CardSecurity: SecurityInfos (parsed by `emrtd-secinfo`) with
//! the raw bytes kept and a serialisable summary.

use crate::LdsError;
use crate::asn1;
use crate::cms::SignedData;
use crate::pubkey::SubjectPublicKeyInfo;
use emrtd_apdu::tlv::Tag;
use emrtd_secinfo::{SecurityInfo, SecurityInfos};
use serde::Serialize;

/// OID `id-SecurityObject` (BSI TR-03110-3 Appendix A): the eContentType of EF.CardSecurity.
pub const OID_SECURITY_OBJECT: &str = "0.4.0.127.0.7.3.2.1";

/// One SecurityInfo described for output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SecurityInfoSummary {
    /// The ASN.1 type name, e.g. "PACEInfo", "ChipAuthenticationPublicKeyInfo" or "unknown".
    pub kind: &'static str,
    /// The protocol OID in dotted form, with a description for Active Authentication.
    pub protocol: String,
    /// The `version` field of infos that have one (PACEInfo, ChipAuthenticationInfo, …).
    pub version: Option<u32>,
    /// The standardized domain parameter ID (Doc 9303-11 Table 6, e.g. 13 for brainpoolP256r1),
    /// when present.
    pub parameter_id: Option<u32>,
    /// The `keyId` of chip authentication infos, distinguishing several chip keys.
    #[serde(with = "crate::hexser::opt")]
    pub key_id: Option<Vec<u8>>,
    /// The public key of a ChipAuthenticationPublicKeyInfo.
    pub public_key: Option<SubjectPublicKeyInfo>,
    /// The DER encoding of this SecurityInfo.
    #[serde(with = "crate::hexser")]
    pub raw: Vec<u8>,
}

fn summarize(info: &SecurityInfo) -> SecurityInfoSummary {
    let mut s = SecurityInfoSummary {
        kind: "unknown",
        protocol: String::new(),
        version: None,
        parameter_id: None,
        key_id: None,
        public_key: None,
        raw: info.raw().to_vec(),
    };
    match info {
        SecurityInfo::Pace(p) => {
            s.kind = "PACEInfo";
            s.protocol = p.protocol.to_string();
            s.version = Some(p.version);
            s.parameter_id = p.parameter_id;
        }
        SecurityInfo::PaceDomainParameter(p) => {
            s.kind = "PACEDomainParameterInfo";
            s.protocol = p.protocol.to_string();
            s.parameter_id = p.parameter_id;
        }
        SecurityInfo::ChipAuthentication(c) => {
            s.kind = "ChipAuthenticationInfo";
            s.protocol = c.protocol.to_string();
            s.version = Some(c.version);
            s.key_id = c.key_id.clone();
        }
        SecurityInfo::ChipAuthenticationDomainParameter(c) => {
            s.kind = "ChipAuthenticationDomainParameterInfo";
            s.protocol = c.protocol.to_string();
            s.key_id = c.key_id.clone();
        }
        SecurityInfo::ChipAuthenticationPublicKey(c) => {
            s.kind = "ChipAuthenticationPublicKeyInfo";
            s.protocol = c.protocol.to_string();
            s.key_id = c.key_id.clone();
            // Re-read the SubjectPublicKeyInfo with this crate's parser (named/explicit EC, DH).
            s.public_key = asn1::one(&c.raw)
                .ok()
                .and_then(|t| asn1::children(&t).ok())
                .and_then(|ch| ch.get(1).and_then(|k| SubjectPublicKeyInfo::parse(k).ok()));
        }
        SecurityInfo::ActiveAuthentication(a) => {
            s.kind = "ActiveAuthenticationInfo";
            s.protocol = "id-AA (2.23.136.1.1.5)".into();
            s.version = Some(a.version);
            if let Some(alg) = &a.signature_algorithm {
                s.protocol = format!("id-AA, signature algorithm {alg}");
            }
        }
        SecurityInfo::TerminalAuthentication(t) => {
            s.kind = "TerminalAuthenticationInfo";
            s.protocol = "id-TA".into();
            s.version = Some(t.version);
        }
        SecurityInfo::PrivilegedTerminal(_) => {
            s.kind = "PrivilegedTerminalInfo";
        }
        SecurityInfo::Unknown(u) => {
            s.protocol = u.protocol.to_string();
        }
    }
    s
}

/// SecurityInfos with their raw bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SecurityInfosFile {
    /// "DG14", "EF.CardAccess" or "EF.CardSecurity".
    pub file: &'static str,
    /// The file content as given (for DG14 the complete `6E` TLV).
    #[serde(skip)]
    pub raw: Vec<u8>,
    /// The decoded SecurityInfos (not serialized; see `summary`).
    #[serde(skip)]
    pub infos: SecurityInfos,
    /// One summary per SecurityInfo, in order.
    pub summary: Vec<SecurityInfoSummary>,
    /// For EF.CardSecurity: the SignedData around the infos.
    pub signed_data: Option<SignedData>,
}

fn wrap(file: &'static str, raw: &[u8], infos: SecurityInfos, signed_data: Option<SignedData>) -> SecurityInfosFile {
    SecurityInfosFile {
        file,
        raw: raw.to_vec(),
        summary: infos.iter().map(summarize).collect(),
        infos,
        signed_data,
    }
}

impl SecurityInfosFile {
    /// DG14 (tag `6E`).
    pub fn parse_dg14(input: &[u8]) -> Result<Self, LdsError> {
        let t = asn1::first(input)?;
        asn1::expect(&t, Tag(0x6E), "DG14")?;
        let infos = SecurityInfos::parse_dg14(t.raw).map_err(|e| LdsError::Structure(format!("DG14: {e}")))?;
        Ok(wrap("DG14", t.raw, infos, None))
    }

    /// EF.CardAccess (a bare SET OF SecurityInfo, possibly zero padded).
    pub fn parse_card_access(input: &[u8]) -> Result<Self, LdsError> {
        let infos = SecurityInfos::parse(input).map_err(|e| LdsError::Structure(format!("EF.CardAccess: {e}")))?;
        Ok(wrap("EF.CardAccess", input, infos, None))
    }

    /// EF.CardSecurity (ContentInfo/SignedData with id-SecurityObject content).
    pub fn parse_card_security(input: &[u8]) -> Result<Self, LdsError> {
        let sd = SignedData::from_content_info(input)?;
        if sd.encap_content_type != OID_SECURITY_OBJECT {
            return Err(LdsError::Structure(format!(
                "EF.CardSecurity eContentType {} is not id-SecurityObject",
                sd.encap_content_type
            )));
        }
        let infos = SecurityInfos::parse(&sd.encap_content)
            .map_err(|e| LdsError::Structure(format!("EF.CardSecurity: {e}")))?;
        Ok(wrap("EF.CardSecurity", input, infos, Some(sd)))
    }
}

/// DG15: the Active Authentication public key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dg15 {
    /// The complete DG15 TLV as read.
    #[serde(skip)]
    pub raw: Vec<u8>,
    /// The Active Authentication public key (Doc 9303-11 §6.1): RSA or EC.
    pub public_key: SubjectPublicKeyInfo,
}

impl Dg15 {
    /// Parses DG15: tag `6F` containing a SubjectPublicKeyInfo.
    pub fn parse(input: &[u8]) -> Result<Self, LdsError> {
        let t = asn1::first(input)?;
        asn1::expect(&t, Tag(0x6F), "DG15")?;
        let k = t
            .children()?
            .next()
            .ok_or_else(|| LdsError::Structure("DG15 is empty".into()))??;
        Ok(Dg15 {
            raw: t.raw.to_vec(),
            public_key: SubjectPublicKeyInfo::parse(&k)?,
        })
    }
}
