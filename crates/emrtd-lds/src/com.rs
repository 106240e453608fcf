//! EF.COM (Doc 9303-10 §4.6.1): LDS version, Unicode version, tag list.

use crate::LdsError;
use crate::asn1;
use emrtd_apdu::tlv::Tag;
use serde::Serialize;

/// Tag `60`: the application tag of EF.COM (Doc 9303-10 §4.6.1).
pub const TAG_EF_COM: Tag = Tag(0x60);

/// EF.COM: the LDS1 common data elements (Doc 9303-10 §4.6.1), deprecated in LDS 1.8 but
/// still present on most chips.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EfCom {
    /// The complete EF.COM TLV as read (tag `60` to the end of its value).
    #[serde(skip)]
    pub raw: Vec<u8>,
    /// e.g. "0107" for LDS 1.7.
    pub lds_version: String,
    /// e.g. "040000".
    pub unicode_version: String,
    /// The data group tags listed (`61`, `75`, …).
    pub tags: Vec<u8>,
    /// The data group numbers those tags stand for.
    pub data_groups: Vec<u8>,
}

/// The data group number for an LDS1 data group tag.
pub fn dg_number_for_tag(tag: u8) -> Option<u8> {
    Some(match tag {
        0x61 => 1,
        0x75 => 2,
        0x63 => 3,
        0x76 => 4,
        0x65 => 5,
        0x66 => 6,
        0x67 => 7,
        0x68 => 8,
        0x69 => 9,
        0x6A => 10,
        0x6B => 11,
        0x6C => 12,
        0x6D => 13,
        0x6E => 14,
        0x6F => 15,
        0x70 => 16,
        _ => return None,
    })
}

impl EfCom {
    /// Parses EF.COM: tag `60` with the LDS version (`5F01`), Unicode version (`5F36`) and tag
    /// list (`5C`); bytes after the TLV (padding) are ignored.
    pub fn parse(input: &[u8]) -> Result<Self, LdsError> {
        let t = asn1::first(input)?;
        asn1::expect(&t, TAG_EF_COM, "EF.COM")?;
        let lds_version = asn1::string_value(t.require(Tag(0x5F01))?.value);
        let unicode_version = asn1::string_value(t.require(Tag(0x5F36))?.value);
        let tags = t.require(Tag(0x5C))?.value.to_vec();
        let data_groups = tags.iter().filter_map(|t| dg_number_for_tag(*t)).collect();
        Ok(EfCom {
            raw: t.raw.to_vec(),
            lds_version,
            unicode_version,
            tags,
            data_groups,
        })
    }
}
