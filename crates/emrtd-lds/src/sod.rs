//! EF.SOD (Doc 9303-10 §4.6.2): LDSSecurityObject v0/v1 inside CMS SignedData, wrapped in
//! application tag `77`.

use crate::LdsError;
use crate::asn1::{self, AlgorithmIdentifier, TAG_SEQUENCE, children, expect, get};
use crate::cms::SignedData;
use emrtd_apdu::tlv::Tag;
use serde::Serialize;

/// OID `id-icao-mrtd-security-ldsSecurityObject` (Doc 9303-10 §4.6.2): eContentType of EF.SOD.
pub const OID_LDS_SECURITY_OBJECT: &str = "2.23.136.1.1.1";
/// Tag `77`: the application tag wrapping EF.SOD's ContentInfo.
pub const TAG_EF_SOD: Tag = Tag(0x77);

/// One entry of dataGroupHashValues.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DataGroupHash {
    /// The data group number, 1 to 16.
    pub number: u8,
    /// The hash of the complete data group file (tag to end), under the object's hash algorithm.
    #[serde(with = "crate::hexser")]
    pub hash: Vec<u8>,
}

/// LDSSecurityObject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LdsSecurityObject {
    /// 0 for LDS 1.7, 1 for LDS 1.8 (with ldsVersionInfo).
    pub version: u64,
    /// The hash algorithm of the data group hashes, e.g. SHA-256.
    pub hash_algorithm: AlgorithmIdentifier,
    /// The data group hashes in the order encoded.
    pub data_group_hashes: Vec<DataGroupHash>,
    /// (ldsVersion, unicodeVersion) for v1.
    pub lds_version_info: Option<(String, String)>,
}

impl LdsSecurityObject {
    /// Parses the DER LDSSecurityObject (the encapsulated content of EF.SOD's SignedData);
    /// data group numbers outside 1–16 are rejected.
    pub fn parse(input: &[u8]) -> Result<Self, LdsError> {
        let t = asn1::one(input)?;
        expect(&t, TAG_SEQUENCE, "LDSSecurityObject")?;
        let c = children(&t)?;
        let version = asn1::read_small_int(get(&c, 0, "LDSSecurityObject")?)?;
        let hash_algorithm = AlgorithmIdentifier::parse(get(&c, 1, "LDSSecurityObject")?)?;
        let list = get(&c, 2, "LDSSecurityObject")?;
        expect(list, TAG_SEQUENCE, "dataGroupHashValues")?;
        let mut data_group_hashes = Vec::new();
        for e in list.children()? {
            let e = e?;
            expect(&e, TAG_SEQUENCE, "DataGroupHash")?;
            let ec = children(&e)?;
            let n = asn1::read_small_int(get(&ec, 0, "DataGroupHash")?)?;
            let number = u8::try_from(n)
                .ok()
                .filter(|n| (1..=16).contains(n))
                .ok_or_else(|| LdsError::Structure(format!("data group number {n}")))?;
            let hash = asn1::octets(get(&ec, 1, "DataGroupHash")?)?;
            data_group_hashes.push(DataGroupHash { number, hash });
        }
        let lds_version_info = match c.get(3) {
            Some(v) => {
                let vc = children(v)?;
                Some((
                    asn1::string_value(get(&vc, 0, "LDSVersionInfo")?.value),
                    asn1::string_value(get(&vc, 1, "LDSVersionInfo")?.value),
                ))
            }
            None => None,
        };
        Ok(LdsSecurityObject {
            version,
            hash_algorithm,
            data_group_hashes,
            lds_version_info,
        })
    }

    /// The stored hash of a data group.
    pub fn hash_of(&self, dg: u8) -> Option<&[u8]> {
        self.data_group_hashes
            .iter()
            .find(|h| h.number == dg)
            .map(|h| h.hash.as_slice())
    }
}

/// EF.SOD: the raw file, the SignedData and the LDS security object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EfSod {
    /// The complete EF.SOD TLV as read (from tag `77`, or the ContentInfo when unwrapped).
    #[serde(skip)]
    pub raw: Vec<u8>,
    /// The CMS SignedData (signer info, certificates, signature).
    pub signed_data: SignedData,
    /// The LDS security object carried as encapsulated content.
    pub lds_security_object: LdsSecurityObject,
}

/// The data group numbers an EF.SOD lists, in its order (empty when it does not parse).
pub fn listed_data_groups(sod: &[u8]) -> Vec<u8> {
    EfSod::parse(sod).map(|s| s.data_group_numbers()).unwrap_or_default()
}

impl EfSod {
    /// The numbers of the data groups whose hashes the LDS security object holds.
    pub fn data_group_numbers(&self) -> Vec<u8> {
        self.lds_security_object
            .data_group_hashes
            .iter()
            .map(|h| h.number)
            .collect()
    }

    /// Parses an EF.SOD file (tag `77`); a bare ContentInfo is accepted as well.
    pub fn parse(input: &[u8]) -> Result<Self, LdsError> {
        let outer = asn1::first(input)?;
        let ci = if outer.tag == TAG_EF_SOD {
            outer.value
        } else {
            outer.raw
        };
        let signed_data = SignedData::from_content_info(ci)?;
        if signed_data.encap_content_type != OID_LDS_SECURITY_OBJECT {
            return Err(LdsError::Structure(format!(
                "eContentType {} is not id-icao-mrtd-security-ldsSecurityObject",
                signed_data.encap_content_type
            )));
        }
        let lds_security_object = LdsSecurityObject::parse(&signed_data.encap_content)?;
        Ok(EfSod {
            raw: outer.raw.to_vec(),
            signed_data,
            lds_security_object,
        })
    }
}
