//! DG2, DG3, DG4 (Doc 9303-10 §4.7.2–4.7.4): the CBEFF biometric information group
//! template `7F61`, with ISO/IEC 19794-5 (2005) and ISO/IEC 39794-5 face records.

use crate::LdsError;
use crate::asn1;
use emrtd_apdu::tlv::{Tag, Tlv, TlvIter};
use serde::Serialize;

/// Tag `75`: DG2, encoded face (Doc 9303-10 §4.7.2).
pub const TAG_DG2: Tag = Tag(0x75);
/// Tag `63`: DG3, encoded fingerprints (Doc 9303-10 §4.7.3).
pub const TAG_DG3: Tag = Tag(0x63);
/// Tag `76`: DG4, encoded irises (Doc 9303-10 §4.7.4).
pub const TAG_DG4: Tag = Tag(0x76);
/// Tag `7F61`: biometric information group template; its `02` child counts the templates.
pub const TAG_BIT_GROUP: Tag = Tag(0x7F61);
/// Tag `7F60`: one biometric information template (CBEFF BIT).
pub const TAG_BIT: Tag = Tag(0x7F60);
/// Tag `A1`: biometric header template (BHT) of a BIT.
pub const TAG_BHT: Tag = Tag(0xA1);
/// Tag `5F2E`: biometric data block (BDB), primitive: a 19794 record.
pub const TAG_BDB: Tag = Tag(0x5F2E);
/// Tag `7F2E`: biometric data block, constructed (ISO/IEC 39794 DER encoding).
pub const TAG_BDB_CONSTRUCTED: Tag = Tag(0x7F2E);

/// Most biometric templates accepted in one data group.
pub const MAX_TEMPLATES: usize = 64;

/// The kind of an encoded image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ImageType {
    /// JPEG (ISO/IEC 10918, SOI `FF D8 FF`).
    Jpeg,
    /// JPEG 2000 file format (JP2 signature box).
    Jp2,
    /// A raw JPEG 2000 codestream (starting with SOC `FF 4F FF 51`).
    J2k,
    /// WSQ fingerprint compression (SOI `FF A0`).
    Wsq,
    /// PNG (signature `89 50 4E 47`).
    Png,
    /// None of the signatures above.
    Unknown,
}

/// Detects an image format from its first bytes.
pub fn detect_image_type(data: &[u8]) -> ImageType {
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        ImageType::Jpeg
    } else if data.starts_with(&[0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A]) {
        ImageType::Jp2
    } else if data.starts_with(&[0xFF, 0x4F, 0xFF, 0x51]) {
        ImageType::J2k
    } else if data.starts_with(&[0xFF, 0xA0]) {
        ImageType::Wsq
    } else if data.starts_with(&[0x89, b'P', b'N', b'G']) {
        ImageType::Png
    } else {
        ImageType::Unknown
    }
}

/// The biometric header template (`A1`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BiometricHeader {
    /// Patron header version (`80`), e.g. `0101`.
    #[serde(with = "crate::hexser::opt")]
    pub patron_header_version: Option<Vec<u8>>,
    /// Biometric type (`81`, ISO/IEC 19785-3), e.g. `02` for face.
    #[serde(with = "crate::hexser::opt")]
    pub biometric_type: Option<Vec<u8>>,
    /// Biometric subtype (`82`): feature position, e.g. left/right eye or finger.
    #[serde(with = "crate::hexser::opt")]
    pub biometric_subtype: Option<Vec<u8>>,
    /// Creation date and time (`83`), seven bytes BCD `YYYYMMDDhhmmss`.
    #[serde(with = "crate::hexser::opt")]
    pub creation_date: Option<Vec<u8>>,
    /// Validity period (`85`): two four-byte BCD dates, not-before and not-after.
    #[serde(with = "crate::hexser::opt")]
    pub validity_period: Option<Vec<u8>>,
    /// Creator of the biometric reference data (`86`), free-form.
    #[serde(with = "crate::hexser::opt")]
    pub creator: Option<Vec<u8>>,
    /// Format owner (`87`), e.g. `0101` for ISO/IEC JTC 1/SC 37.
    #[serde(with = "crate::hexser::opt")]
    pub format_owner: Option<Vec<u8>>,
    /// Format type (`88`), e.g. `0008` for ISO/IEC 19794-5 face.
    #[serde(with = "crate::hexser::opt")]
    pub format_type: Option<Vec<u8>>,
}

impl BiometricHeader {
    fn parse(t: &Tlv<'_>) -> Result<Self, LdsError> {
        let mut h = BiometricHeader::default();
        for c in t.value_as_tlvs() {
            let c = c?;
            let v = Some(c.value.to_vec());
            match c.tag.0 {
                0x80 => h.patron_header_version = v,
                0x81 => h.biometric_type = v,
                0x82 => h.biometric_subtype = v,
                0x83 => h.creation_date = v,
                0x85 => h.validity_period = v,
                0x86 => h.creator = v,
                0x87 => h.format_owner = v,
                0x88 => h.format_type = v,
                _ => {}
            }
        }
        Ok(h)
    }
}

/// Image information of one face (19794-5 §5.7 / 39794-5 representation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FaceImage {
    /// 19794-5 face image type (0 basic, 1 full frontal, 2 token frontal).
    pub face_image_type: Option<u8>,
    /// 19794-5 image data type (0 JPEG, 1 JPEG 2000).
    pub image_data_type: Option<u8>,
    /// Width in pixels as recorded in the image information.
    pub width: Option<u16>,
    /// Height in pixels as recorded in the image information.
    pub height: Option<u16>,
    /// 19794-5 gender code (0 unspecified, 1 male, 2 female, 0xFF unknown).
    pub gender: Option<u8>,
    /// 19794-5 eye colour code (0 unspecified, 1 black, 2 blue, … 0xFF unknown).
    pub eye_colour: Option<u8>,
    /// 19794-5 hair colour code (0 unspecified, 1 bald, 2 black, … 0xFF unknown).
    pub hair_colour: Option<u8>,
    /// Number of feature points (each eight bytes) preceding the image information.
    pub feature_points: u16,
    /// The format detected from the image bytes.
    pub image_type: ImageType,
    /// Offset of the image inside the biometric data block.
    pub image_offset: usize,
    /// The encoded image bytes (not serialized; see `image_len`).
    #[serde(skip)]
    pub image: Vec<u8>,
    /// Length of `image` in bytes.
    pub image_len: usize,
}

/// The biometric data block encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum BdbFormat {
    /// ISO/IEC 19794-5:2005 facial record (`FAC\0` header).
    Iso19794_5,
    /// ISO/IEC 39794-5 face data in DER, the successor of 19794-5 that Doc 9303 admits.
    Iso39794_5,
    /// Finger (19794-4) or iris (19794-6) or other records: kept opaque.
    Other,
}

/// One biometric information template (`7F60`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BiometricTemplate {
    /// The biometric header template (`A1`).
    pub header: BiometricHeader,
    /// The record format of the data block, which decides whether faces were extracted.
    pub format: BdbFormat,
    /// Four-byte record identifier at the start of a 19794 record ("FAC", "FIR", "IIR").
    pub record_format: Option<String>,
    /// Version string following the record identifier, e.g. "010" for 19794-5:2005.
    pub record_version: Option<String>,
    /// The face images found in the data block (empty for `BdbFormat::Other`).
    pub faces: Vec<FaceImage>,
    /// The biometric data block value (`5F2E` / `7F2E`), not serialized; see `data_len`.
    #[serde(skip)]
    pub data: Vec<u8>,
    /// Length of `data` in bytes.
    pub data_len: usize,
}

/// DG2/DG3/DG4.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BiometricDataGroup {
    /// The complete data group TLV as read.
    #[serde(skip)]
    pub raw: Vec<u8>,
    /// The data group number: 2, 3 or 4.
    pub data_group: u8,
    /// The biometric information templates (`7F60`) in order.
    pub templates: Vec<BiometricTemplate>,
}

fn be(v: &[u8]) -> u64 {
    v.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b))
}

/// Parses an ISO/IEC 19794-5:2005 facial record.
pub fn parse_19794_5(data: &[u8]) -> Result<Vec<FaceImage>, LdsError> {
    let err = |m: &str| LdsError::Structure(format!("19794-5: {m}"));
    let header = data.get(..14).ok_or_else(|| err("short header"))?;
    if !header.starts_with(b"FAC\0") {
        return Err(err("no FAC header"));
    }
    let count = be(header.get(12..14).unwrap_or_default());
    let mut pos = 14usize;
    let mut faces = Vec::new();
    for _ in 0..count.min(MAX_TEMPLATES as u64) {
        let info = data.get(pos..pos + 20).ok_or_else(|| err("short facial information"))?;
        let block_len = usize::try_from(be(info.get(0..4).unwrap_or_default())).map_err(|_| err("block length"))?;
        let fp = u16::try_from(be(info.get(4..6).unwrap_or_default())).unwrap_or(0);
        let gender = info.get(6).copied();
        let eye = info.get(7).copied();
        let hair = info.get(8).copied();
        let img_info_at = pos + 20 + 8 * usize::from(fp);
        let ii = data
            .get(img_info_at..img_info_at + 12)
            .ok_or_else(|| err("short image information"))?;
        let img_at = img_info_at + 12;
        let end = pos.checked_add(block_len).ok_or_else(|| err("block length"))?;
        if block_len < 20 + 8 * usize::from(fp) + 12 || end > data.len() {
            return Err(err("facial record block length out of range"));
        }
        let image = data.get(img_at..end).unwrap_or_default().to_vec();
        faces.push(FaceImage {
            face_image_type: ii.first().copied(),
            image_data_type: ii.get(1).copied(),
            width: u16::try_from(be(ii.get(2..4).unwrap_or_default())).ok(),
            height: u16::try_from(be(ii.get(4..6).unwrap_or_default())).ok(),
            gender,
            eye_colour: eye,
            hair_colour: hair,
            feature_points: fp,
            image_type: detect_image_type(&image),
            image_offset: img_at,
            image_len: image.len(),
            image,
        });
        pos = end;
    }
    Ok(faces)
}

/// Reads the faces of an ISO/IEC 39794-5 block (DER, context tags): every representation's
/// image data found in the tree; width/height taken from the image information when present.
pub fn parse_39794_5(data: &[u8]) -> Result<Vec<FaceImage>, LdsError> {
    let mut faces = Vec::new();
    collect_images(data, 0, 0, &mut faces)?;
    Ok(faces)
}

fn collect_images(data: &[u8], base: usize, depth: usize, out: &mut Vec<FaceImage>) -> Result<(), LdsError> {
    if depth > 16 || out.len() >= MAX_TEMPLATES {
        return Ok(());
    }
    let mut offset = 0usize;
    for t in TlvIter::new(data) {
        let t = t?;
        let header_len = t.raw.len() - t.value.len() - if t.indefinite { 2 } else { 0 };
        if t.tag.is_constructed() {
            collect_images(t.value, base + offset + header_len, depth + 1, out)?;
        } else {
            let kind = detect_image_type(t.value);
            if kind != ImageType::Unknown {
                out.push(FaceImage {
                    face_image_type: None,
                    image_data_type: None,
                    width: None,
                    height: None,
                    gender: None,
                    eye_colour: None,
                    hair_colour: None,
                    feature_points: 0,
                    image_type: kind,
                    image_offset: base + offset + header_len,
                    image_len: t.value.len(),
                    image: t.value.to_vec(),
                });
            }
        }
        offset += t.raw.len();
    }
    Ok(())
}

impl BiometricTemplate {
    fn parse(t: &Tlv<'_>) -> Result<Self, LdsError> {
        let mut header = BiometricHeader::default();
        let mut data: Option<(Vec<u8>, bool)> = None;
        for c in t.children()? {
            let c = c?;
            match c.tag {
                TAG_BHT => header = BiometricHeader::parse(&c)?,
                TAG_BDB => data = Some((c.value.to_vec(), false)),
                TAG_BDB_CONSTRUCTED => data = Some((c.value.to_vec(), true)),
                _ => {}
            }
        }
        let (data, constructed) = data.ok_or_else(|| LdsError::Structure("biometric data block missing".into()))?;
        let record_format = data
            .get(..4)
            .filter(|h| h.get(3) == Some(&0) && h.iter().take(3).all(|b| b.is_ascii_uppercase()))
            .map(|h| asn1::string_value(h.get(..3).unwrap_or_default()));
        let record_version = record_format
            .as_ref()
            .and_then(|_| data.get(4..7))
            .map(asn1::string_value);
        let (format, faces) = if record_format.as_deref() == Some("FAC") {
            (BdbFormat::Iso19794_5, parse_19794_5(&data)?)
        } else if constructed || header.format_type.as_deref() == Some(&[0x00, 0x40]) {
            (BdbFormat::Iso39794_5, parse_39794_5(&data)?)
        } else {
            (BdbFormat::Other, Vec::new())
        };
        Ok(BiometricTemplate {
            header,
            format,
            record_format,
            record_version,
            faces,
            data_len: data.len(),
            data,
        })
    }
}

impl BiometricDataGroup {
    /// Parses DG2, DG3 or DG4: the data group tag, its `7F61` group and each `7F60` template
    /// (at most [`MAX_TEMPLATES`]). Faces are decoded from 19794-5 and 39794-5 data blocks.
    pub fn parse(input: &[u8]) -> Result<Self, LdsError> {
        let t = asn1::first(input)?;
        let data_group = match t.tag {
            TAG_DG2 => 2,
            TAG_DG3 => 3,
            TAG_DG4 => 4,
            other => return Err(LdsError::Structure(format!("tag {other} is not DG2/DG3/DG4"))),
        };
        let group = t.require(TAG_BIT_GROUP)?;
        let mut templates = Vec::new();
        for c in group.children()? {
            let c = c?;
            if c.tag == TAG_BIT {
                if templates.len() >= MAX_TEMPLATES {
                    return Err(LdsError::Structure("too many biometric templates".into()));
                }
                templates.push(BiometricTemplate::parse(&c)?);
            }
        }
        Ok(BiometricDataGroup {
            raw: t.raw.to_vec(),
            data_group,
            templates,
        })
    }

    /// Every face of every template.
    pub fn faces(&self) -> impl Iterator<Item = &FaceImage> {
        self.templates.iter().flat_map(|t| t.faces.iter())
    }
}
