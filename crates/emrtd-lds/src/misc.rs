//! DG5–DG7 (displayed images), DG11, DG12, DG13, DG16, EF.ATR/INFO, EF.DIR.

use crate::LdsError;
use crate::asn1;
use crate::biometric::{ImageType, detect_image_type};
use emrtd_apdu::tlv::{Tag, Tlv, TlvIter};
use serde::Serialize;

/// A tagged text field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Field {
    /// The tag as hex (e.g. `5F0E`).
    pub tag: String,
    /// The data element's name from Doc 9303-10 §4.7.11/§4.7.12 in snake case (e.g.
    /// `full_name`, `date_of_issue`), or `unknown` for tags not in those tables.
    pub name: &'static str,
    /// The value as text (UTF-8, Latin-1 fallback).
    pub value: String,
}

/// An image in DG5/DG6/DG7/DG11/DG12.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DisplayedImage {
    /// The tag as hex: `5F40` (portrait), `5F43` (signature or mark), `5F41`, or the DG11/DG12
    /// image tags `5F16`, `5F1D`, `5F1E`.
    pub tag: String,
    /// The format detected from the image bytes.
    pub image_type: ImageType,
    /// The image bytes (not serialized; see `len`).
    #[serde(skip)]
    pub data: Vec<u8>,
    /// Length of `data` in bytes.
    pub len: usize,
}

fn image(t: &Tlv<'_>) -> DisplayedImage {
    DisplayedImage {
        tag: format!("{}", t.tag),
        image_type: detect_image_type(t.value),
        data: t.value.to_vec(),
        len: t.value.len(),
    }
}

/// DG5 (displayed portrait), DG6 (reserved), DG7 (displayed signature or mark).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DisplayedImages {
    /// The complete data group TLV as read.
    #[serde(skip)]
    pub raw: Vec<u8>,
    /// The data group number: 5, 6 or 7.
    pub data_group: u8,
    /// The number of instances (`02`) as encoded, when present and small.
    pub count: Option<u64>,
    /// The displayed images in order.
    pub images: Vec<DisplayedImage>,
}

impl DisplayedImages {
    /// Parses DG5 (tag `65`), DG6 (`66`) or DG7 (`67`), Doc 9303-10 §4.7.5–4.7.7.
    pub fn parse(input: &[u8]) -> Result<Self, LdsError> {
        let t = asn1::first(input)?;
        let data_group = match t.tag.0 {
            0x65 => 5,
            0x66 => 6,
            0x67 => 7,
            _ => return Err(LdsError::Structure(format!("tag {} is not DG5/DG6/DG7", t.tag))),
        };
        let mut count = None;
        let mut images = Vec::new();
        for c in t.children()? {
            let c = c?;
            match c.tag.0 {
                0x02 => count = asn1::read_small_int(&c).ok(),
                0x5F40 | 0x5F43 | 0x5F41 => images.push(image(&c)),
                _ => {}
            }
        }
        Ok(DisplayedImages {
            raw: t.raw.to_vec(),
            data_group,
            count,
            images,
        })
    }
}

fn dg11_name(tag: u32) -> &'static str {
    match tag {
        0x5F0E => "full_name",
        0x5F0F => "other_name",
        0x5F10 => "personal_number",
        0x5F2B => "full_date_of_birth",
        0x5F11 => "place_of_birth",
        0x5F42 => "permanent_address",
        0x5F12 => "telephone",
        0x5F13 => "profession",
        0x5F14 => "title",
        0x5F15 => "personal_summary",
        0x5F16 => "proof_of_citizenship",
        0x5F17 => "other_valid_td_numbers",
        0x5F18 => "custody_information",
        _ => "unknown",
    }
}

fn dg12_name(tag: u32) -> &'static str {
    match tag {
        0x5F19 => "issuing_authority",
        0x5F26 => "date_of_issue",
        0x5F1A => "name_of_other_person",
        0x5F1B => "endorsements_and_observations",
        0x5F1C => "tax_or_exit_requirements",
        0x5F1D => "image_of_front",
        0x5F1E => "image_of_rear",
        0x5F55 => "date_and_time_of_personalization",
        0x5F56 => "personalization_system_serial_number",
        _ => "unknown",
    }
}

fn is_image_tag(tag: u32) -> bool {
    matches!(tag, 0x5F16 | 0x5F1D | 0x5F1E)
}

/// DG11 (additional personal details) and DG12 (additional document details).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AdditionalDetails {
    /// The complete data group TLV as read.
    #[serde(skip)]
    pub raw: Vec<u8>,
    /// The data group number: 11 or 12.
    pub data_group: u8,
    /// The tag list (`5C`) as hex tags.
    pub tag_list: Vec<String>,
    /// The text data elements found, in order (nested templates, e.g. `A0` for other names, flattened).
    pub fields: Vec<Field>,
    /// Image elements (DG11 proof of citizenship `5F16`, DG12 front/rear images `5F1D`/`5F1E`).
    pub images: Vec<DisplayedImage>,
}

impl AdditionalDetails {
    /// Parses DG11 (tag `6B`, Doc 9303-10 §4.7.11) or DG12 (tag `6C`, §4.7.12).
    pub fn parse(input: &[u8]) -> Result<Self, LdsError> {
        let t = asn1::first(input)?;
        let (data_group, namer): (u8, fn(u32) -> &'static str) = match t.tag.0 {
            0x6B => (11, dg11_name),
            0x6C => (12, dg12_name),
            _ => return Err(LdsError::Structure(format!("tag {} is not DG11/DG12", t.tag))),
        };
        let mut out = AdditionalDetails {
            raw: t.raw.to_vec(),
            data_group,
            tag_list: Vec::new(),
            fields: Vec::new(),
            images: Vec::new(),
        };
        out.walk(t.value, namer, 0)?;
        Ok(out)
    }

    fn walk(&mut self, data: &[u8], namer: fn(u32) -> &'static str, depth: usize) -> Result<(), LdsError> {
        if depth > 4 {
            return Ok(());
        }
        for c in TlvIter::new(data) {
            let c = c?;
            match c.tag.0 {
                0x5C => {
                    // The tag list: concatenated tags.
                    let mut rest = c.value;
                    while !rest.is_empty() {
                        let n = if rest.first().is_some_and(|b| b & 0x1F == 0x1F) {
                            2
                        } else {
                            1
                        };
                        let (tag, r) = rest.split_at(n.min(rest.len()));
                        self.tag_list.push(hex::encode_upper(tag));
                        rest = r;
                    }
                }
                0x02 => {}
                tag if c.tag.is_constructed() => {
                    let _ = tag;
                    self.walk(c.value, namer, depth + 1)?;
                }
                tag if is_image_tag(tag) => self.images.push(image(&c)),
                tag => self.fields.push(Field {
                    tag: format!("{}", c.tag),
                    name: namer(tag),
                    value: asn1::string_value(c.value),
                }),
            }
        }
        Ok(())
    }

    /// The first field with this name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|f| f.name == name).map(|f| f.value.as_str())
    }
}

/// DG13 (optional details, opaque).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dg13 {
    /// The complete DG13 TLV as read.
    #[serde(skip)]
    pub raw: Vec<u8>,
    /// The value of the `6D` TLV: issuer-defined content (Doc 9303-10 §4.7.13).
    #[serde(with = "crate::hexser")]
    pub content: Vec<u8>,
}

impl Dg13 {
    /// Parses DG13: tag `6D`, content kept as is.
    pub fn parse(input: &[u8]) -> Result<Self, LdsError> {
        let t = asn1::first(input)?;
        asn1::expect(&t, Tag(0x6D), "DG13")?;
        Ok(Dg13 {
            raw: t.raw.to_vec(),
            content: t.value.to_vec(),
        })
    }
}

/// One person to notify (DG16).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PersonToNotify {
    /// Date the person was recorded (`5F50`, `YYYYMMDD`).
    pub date_recorded: Option<String>,
    /// Name of the person to notify (`5F51`), `<` separating primary and secondary identifiers.
    pub name: Option<String>,
    /// Telephone number (`5F52`).
    pub telephone: Option<String>,
    /// Address (`5F53`), `<` separating the lines.
    pub address: Option<String>,
}

/// DG16 (persons to notify).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dg16 {
    /// The complete DG16 TLV as read.
    #[serde(skip)]
    pub raw: Vec<u8>,
    /// The number of persons (`02`) as encoded, when present and small.
    pub count: Option<u64>,
    /// The persons to notify (`A1`, `A2`, … templates) in order.
    pub persons: Vec<PersonToNotify>,
}

impl Dg16 {
    /// Parses DG16: tag `70`, Doc 9303-10 §4.7.16.
    pub fn parse(input: &[u8]) -> Result<Self, LdsError> {
        let t = asn1::first(input)?;
        asn1::expect(&t, Tag(0x70), "DG16")?;
        let mut count = None;
        let mut persons = Vec::new();
        for c in t.children()? {
            let c = c?;
            if c.tag.0 == 0x02 {
                count = asn1::read_small_int(&c).ok();
            } else if c.tag.is_constructed() {
                let mut p = PersonToNotify {
                    date_recorded: None,
                    name: None,
                    telephone: None,
                    address: None,
                };
                for f in c.children()? {
                    let f = f?;
                    let v = Some(asn1::string_value(f.value));
                    match f.tag.0 {
                        0x5F50 => p.date_recorded = v,
                        0x5F51 => p.name = v,
                        0x5F52 => p.telephone = v,
                        0x5F53 => p.address = v,
                        _ => {}
                    }
                }
                persons.push(p);
            }
        }
        Ok(Dg16 {
            raw: t.raw.to_vec(),
            count,
            persons,
        })
    }
}

/// A generic TLV object kept with its tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TaggedObject {
    /// The tag as hex, e.g. `46` (pre-issuing data).
    pub tag: String,
    /// The value bytes.
    #[serde(with = "crate::hexser")]
    pub value: Vec<u8>,
}

/// Extended length information (`7F66`, ISO/IEC 7816-4 §12.7.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExtendedLengthInfo {
    /// Maximum number of bytes in a command APDU (first INTEGER).
    pub max_command_length: Option<u64>,
    /// Maximum number of bytes in a response APDU (second INTEGER).
    pub max_response_length: Option<u64>,
}

/// EF.ATR/INFO (file 2F01).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AtrInfo {
    /// The file content as read.
    #[serde(skip)]
    pub raw: Vec<u8>,
    /// Extended length information (`7F66`): whether the chip takes extended-length APDUs and
    /// up to which size.
    pub extended_length_info: Option<ExtendedLengthInfo>,
    /// Card capabilities (`47`).
    #[serde(with = "crate::hexser::opt")]
    pub card_capabilities: Option<Vec<u8>>,
    /// Card service data (`43`).
    #[serde(with = "crate::hexser::opt")]
    pub card_service_data: Option<Vec<u8>>,
    /// All other objects.
    pub other: Vec<TaggedObject>,
}

impl AtrInfo {
    /// Parses EF.ATR/INFO: a series of BER-TLV objects (ISO/IEC 7816-4), zero padding
    /// at the end allowed; fails when there is no object.
    pub fn parse(input: &[u8]) -> Result<Self, LdsError> {
        let mut out = AtrInfo {
            raw: input.to_vec(),
            extended_length_info: None,
            card_capabilities: None,
            card_service_data: None,
            other: Vec::new(),
        };
        let mut n = 0;
        for t in TlvIter::new(input).stop_at_zero_padding() {
            let t = t?;
            n += 1;
            match t.tag.0 {
                0x7F66 => {
                    let ints: Vec<u64> = t
                        .children()?
                        .filter_map(|c| c.ok())
                        .filter(|c| c.tag.0 == 0x02)
                        .map(|c| {
                            asn1::strip_int(c.value)
                                .iter()
                                .fold(0u64, |a, b| (a << 8) | u64::from(*b))
                        })
                        .collect();
                    out.extended_length_info = Some(ExtendedLengthInfo {
                        max_command_length: ints.first().copied(),
                        max_response_length: ints.get(1).copied(),
                    });
                }
                0x47 => out.card_capabilities = Some(t.value.to_vec()),
                0x43 => out.card_service_data = Some(t.value.to_vec()),
                _ => out.other.push(TaggedObject {
                    tag: format!("{}", t.tag),
                    value: t.value.to_vec(),
                }),
            }
        }
        if n == 0 {
            return Err(LdsError::Structure("EF.ATR/INFO is empty".into()));
        }
        Ok(out)
    }
}

/// One application template of EF.DIR.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DirEntry {
    /// The application identifier (`4F`), e.g. `A0 00 00 02 47 10 01` for the eMRTD application.
    #[serde(with = "crate::hexser")]
    pub aid: Vec<u8>,
    /// Application label (`50`), when present.
    pub label: Option<String>,
    /// Path (`51`) of the application's DF, when present.
    #[serde(with = "crate::hexser::opt")]
    pub path: Option<Vec<u8>>,
    /// The application name when the AID is a known one.
    pub application: Option<&'static str>,
}

/// EF.DIR (file 2F00, ISO/IEC 7816-4 §8.2.1.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EfDir {
    /// The file content as read.
    #[serde(skip)]
    pub raw: Vec<u8>,
    /// The application templates (`61`) in order.
    pub applications: Vec<DirEntry>,
}

/// The name of a known eMRTD / eID application AID.
pub fn application_name(aid: &[u8]) -> Option<&'static str> {
    Some(match aid {
        [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01] => "ICAO eMRTD (LDS1)",
        [0xA0, 0x00, 0x00, 0x02, 0x47, 0x20, 0x01] => "ICAO LDS2 travel records",
        [0xA0, 0x00, 0x00, 0x02, 0x47, 0x20, 0x02] => "ICAO LDS2 visa records",
        [0xA0, 0x00, 0x00, 0x02, 0x47, 0x20, 0x03] => "ICAO LDS2 additional biometrics",
        [0xE8, 0x07, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x03, 0x02] => "eID (BSI TR-03110)",
        [0xA0, 0x00, 0x00, 0x01, 0x67, 0x45, 0x53, 0x49, 0x47, 0x4E] => "eSign",
        [0xA0, 0x00, 0x00, 0x02, 0x48, 0x02, 0x00] => "ISO 18013 driving licence",
        _ => return None,
    })
}

impl EfDir {
    /// Parses EF.DIR: a series of application templates `61` (each with an AID `4F`), zero padding
    /// at the end allowed; fails when there is none.
    pub fn parse(input: &[u8]) -> Result<Self, LdsError> {
        let mut applications = Vec::new();
        for t in TlvIter::new(input).stop_at_zero_padding() {
            let t = t?;
            if t.tag.0 != 0x61 {
                return Err(LdsError::Structure(format!("EF.DIR: unexpected tag {}", t.tag)));
            }
            let aid = t.require(Tag(0x4F))?.value.to_vec();
            let label = t.find(Tag(0x50))?.map(|l| asn1::string_value(l.value));
            let path = t.find(Tag(0x51))?.map(|p| p.value.to_vec());
            applications.push(DirEntry {
                application: application_name(&aid),
                aid,
                label,
                path,
            });
        }
        if applications.is_empty() {
            return Err(LdsError::Structure("EF.DIR has no application template".into()));
        }
        Ok(EfDir {
            raw: input.to_vec(),
            applications,
        })
    }
}
