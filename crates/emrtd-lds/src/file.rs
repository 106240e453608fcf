//! Recognising an LDS file from its content (and optionally its file identifier).

use crate::LdsError;
use crate::biometric::BiometricDataGroup;
use crate::com::EfCom;
use crate::dg1::Dg1;
use crate::misc::{AdditionalDetails, AtrInfo, Dg13, Dg16, DisplayedImages, EfDir};
use crate::secinfos::{Dg15, SecurityInfosFile};
use crate::sod::EfSod;
use emrtd_apdu::tlv::{Tag, Tlv};
use serde::Serialize;

/// Any parsed LDS file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "file", content = "parsed")]
pub enum LdsFile {
    /// EF.COM (tag `60`).
    #[serde(rename = "EF.COM")]
    Com(EfCom),
    /// EF.SOD (tag `77`): the Document Security Object.
    #[serde(rename = "EF.SOD")]
    Sod(Box<EfSod>),
    /// DG1 (tag `61`): the MRZ.
    #[serde(rename = "DG1")]
    Dg1(Dg1),
    /// DG2/DG3/DG4 (tags `75`, `63`, `76`): face, fingerprints, irises.
    #[serde(rename = "DG2/DG3/DG4")]
    Biometric(BiometricDataGroup),
    /// DG5/DG6/DG7 (tags `65`, `66`, `67`): displayed portrait, reserved, signature or mark.
    #[serde(rename = "DG5/DG6/DG7")]
    Displayed(DisplayedImages),
    /// DG11/DG12 (tags `6B`, `6C`): additional personal and document details.
    #[serde(rename = "DG11/DG12")]
    Additional(AdditionalDetails),
    /// DG13 (tag `6D`): optional details, national format, kept opaque.
    #[serde(rename = "DG13")]
    Dg13(Dg13),
    /// DG14 (tag `6E`), EF.CardAccess or EF.CardSecurity: SecurityInfos.
    #[serde(rename = "DG14/EF.CardAccess/EF.CardSecurity")]
    SecurityInfos(Box<SecurityInfosFile>),
    /// DG15 (tag `6F`): the Active Authentication public key.
    #[serde(rename = "DG15")]
    Dg15(Dg15),
    /// DG16 (tag `70`): persons to notify.
    #[serde(rename = "DG16")]
    Dg16(Dg16),
    /// EF.ATR/INFO (FID `2F01`, ISO/IEC 7816-4): card capabilities and extended length info.
    #[serde(rename = "EF.ATR/INFO")]
    AtrInfo(AtrInfo),
    /// EF.DIR (FID `2F00`): application templates (ISO/IEC 7816-4).
    #[serde(rename = "EF.DIR")]
    Dir(EfDir),
}

/// Well-known file identifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileHint {
    /// EF.CardAccess (FID `011C`): SecurityInfos for PACE, a bare SET without application tag.
    CardAccess,
    /// EF.CardSecurity (FID `011D`): signed SecurityInfos (ContentInfo).
    CardSecurity,
    /// EF.ATR/INFO (FID `2F01`).
    AtrInfo,
    /// EF.DIR (FID `2F00`).
    Dir,
}

impl FileHint {
    /// From a file identifier (`011C`, `011D`, `2F01`, `2F00`).
    pub fn from_fid(fid: u16) -> Option<Self> {
        Some(match fid {
            0x011C => FileHint::CardAccess,
            0x011D => FileHint::CardSecurity,
            0x2F01 => FileHint::AtrInfo,
            0x2F00 => FileHint::Dir,
            _ => return None,
        })
    }
}

impl LdsFile {
    /// The data group number, for data groups.
    pub fn data_group(&self) -> Option<u8> {
        match self {
            LdsFile::Dg1(_) => Some(1),
            LdsFile::Biometric(b) => Some(b.data_group),
            LdsFile::Displayed(d) => Some(d.data_group),
            LdsFile::Additional(a) => Some(a.data_group),
            LdsFile::Dg13(_) => Some(13),
            LdsFile::SecurityInfos(s) if s.file == "DG14" => Some(14),
            LdsFile::Dg15(_) => Some(15),
            LdsFile::Dg16(_) => Some(16),
            _ => None,
        }
    }

    /// A short name of the file kind.
    pub fn kind(&self) -> String {
        match self {
            LdsFile::Com(_) => "EF.COM".into(),
            LdsFile::Sod(_) => "EF.SOD".into(),
            LdsFile::SecurityInfos(s) => s.file.into(),
            LdsFile::AtrInfo(_) => "EF.ATR/INFO".into(),
            LdsFile::Dir(_) => "EF.DIR".into(),
            other => format!("DG{}", other.data_group().unwrap_or(0)),
        }
    }

    /// Parses a file, recognising it by its first tag (and `hint` for files without an
    /// application tag).
    pub fn parse(input: &[u8], hint: Option<FileHint>) -> Result<Self, LdsError> {
        match hint {
            Some(FileHint::CardAccess) => {
                return Ok(LdsFile::SecurityInfos(Box::new(SecurityInfosFile::parse_card_access(
                    input,
                )?)));
            }
            Some(FileHint::CardSecurity) => {
                return Ok(LdsFile::SecurityInfos(Box::new(
                    SecurityInfosFile::parse_card_security(input)?,
                )));
            }
            Some(FileHint::AtrInfo) => return Ok(LdsFile::AtrInfo(AtrInfo::parse(input)?)),
            Some(FileHint::Dir) => return Ok(LdsFile::Dir(EfDir::parse(input)?)),
            None => {}
        }
        let (t, _) = Tlv::parse(input)?;
        Ok(match t.tag.0 {
            0x60 => LdsFile::Com(EfCom::parse(input)?),
            0x77 => LdsFile::Sod(Box::new(EfSod::parse(input)?)),
            0x61 => {
                if t.find(Tag(0x5F1F)).ok().flatten().is_some() {
                    LdsFile::Dg1(Dg1::parse(input)?)
                } else {
                    LdsFile::Dir(EfDir::parse(input)?)
                }
            }
            0x75 | 0x63 | 0x76 => LdsFile::Biometric(BiometricDataGroup::parse(input)?),
            0x65..=0x67 => LdsFile::Displayed(DisplayedImages::parse(input)?),
            0x6B | 0x6C => LdsFile::Additional(AdditionalDetails::parse(input)?),
            0x6D => LdsFile::Dg13(Dg13::parse(input)?),
            0x6E => LdsFile::SecurityInfos(Box::new(SecurityInfosFile::parse_dg14(input)?)),
            0x6F => LdsFile::Dg15(Dg15::parse(input)?),
            0x70 => LdsFile::Dg16(Dg16::parse(input)?),
            0x31 => LdsFile::SecurityInfos(Box::new(SecurityInfosFile::parse_card_access(input)?)),
            0x30 => match SecurityInfosFile::parse_card_security(input) {
                Ok(s) => LdsFile::SecurityInfos(Box::new(s)),
                Err(e) => return Err(e),
            },
            0x7F66 | 0x47 | 0x43 | 0x5F52 => LdsFile::AtrInfo(AtrInfo::parse(input)?),
            other => return Err(LdsError::Unsupported(format!("no LDS file starts with tag {other:X}"))),
        })
    }
}
