//! A document on disk: `manifest.toml` plus one file per elementary file, named by file id.
//!
//! ```toml
//! name = "bac-td3-3des"
//! description = "..."
//! can = "123456"                        # optional
//! [mrz]
//! lines = ["P<UTO...", "L898902C<3UTO..."]
//! document_number = "L898902C"
//! date_of_birth = "690806"
//! date_of_expiry = "940623"
//! [access]
//! bac = true
//! [[files]]
//! fid = "011E"
//! sfi = 30
//! df = "emrtd"                           # or "mf"
//! path = "011E.bin"
//! ```

use crate::SimError;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Largest file a manifest may reference (a DG3 with fingerprints can reach a few 100 KB).
pub const MAX_FILE_LEN: u64 = 4 * 1024 * 1024;

/// Most files a manifest may list.
pub const MAX_FILES: usize = 128;

/// Where an elementary file lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Df {
    /// The master file (EF.CardAccess, EF.ATR/INFO, EF.DIR, EF.CardSecurity).
    Mf,
    /// The eMRTD application (AID A0000002471001): EF.COM, EF.SOD, DG1..DG16.
    #[default]
    Emrtd,
}

/// One file of the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSpec {
    /// File id, 4 hex digits.
    pub fid: String,
    /// Short file identifier (1..30), when the file has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sfi: Option<u8>,
    /// The dedicated file the elementary file lives in (default: the eMRTD application).
    #[serde(default)]
    pub df: Df,
    /// File name relative to the document directory.
    pub path: String,
}

/// MRZ data of the document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MrzData {
    /// The printed MRZ lines.
    #[serde(default)]
    pub lines: Vec<String>,
    /// Document number as printed in the MRZ (without check digit).
    pub document_number: String,
    /// YYMMDD.
    pub date_of_birth: String,
    /// YYMMDD.
    pub date_of_expiry: String,
}

/// Which access control protocols the chip offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Access {
    /// The chip offers BAC (Doc 9303-11 §4.3).
    pub bac: bool,
    /// The chip offers PACE (Doc 9303-11 §4.4); its protocols come from EF.CardAccess.
    pub pace: bool,
    /// Whether the eMRTD application files need secure messaging (true for every real
    /// eMRTD; false only for test setups).
    pub require_sm: bool,
}

impl Default for Access {
    fn default() -> Self {
        Access {
            bac: true,
            pace: false,
            require_sm: true,
        }
    }
}

/// Chip private keys (hex of PKCS#8 DER) and the key ids they answer to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ChipKeys {
    /// Chip Authentication private key (PKCS#8, hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_private_key: Option<String>,
    /// Key id of the chip authentication key (keyId of its DG14 / EF.CardAccess info), if it has
    /// one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_key_id: Option<u32>,
    /// Active Authentication private key (PKCS#8, hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aa_private_key: Option<String>,
    /// PACE-CAM / EF.CardSecurity chip key (PKCS#8, hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pace_cam_private_key: Option<String>,
}

/// Behaviour of real documents that a reader must cope with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Quirks {
    /// Extended length APDUs accepted (EF.ATR/INFO should announce it).
    pub extended_length: bool,
    /// Largest Ne accepted by READ BINARY; larger answers 6700.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_le: Option<u32>,
    /// READ BINARY with Le = 00 (Ne = 256) answers 6B00.
    pub sw_6b00_on_le_256: bool,
    /// MSE:Set AT for PACE without a parameter id (DO'84) is refused with 6A80.
    pub pace_requires_parameter_id: bool,
    /// Simulated answer time; async transports sleep this long, the chip itself never sleeps.
    pub delay_ms: u32,
}

impl Default for Quirks {
    fn default() -> Self {
        Quirks {
            extended_length: true,
            max_le: None,
            sw_6b00_on_le_256: false,
            pace_requires_parameter_id: false,
            delay_ms: 0,
        }
    }
}

/// What a verifier is expected to conclude about the document (for tests).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Expect {
    /// "valid", "revoked", "expired", "clone".
    #[serde(skip_serializing_if = "String::is_empty")]
    pub verdict: String,
    /// Data groups present (numbers).
    pub data_groups: Vec<u8>,
    /// The DS certificate file under fixtures/pki that signed the SOD.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub document_signer: String,
}

/// The manifest of a document directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Manifest {
    /// Name of the document (the directory name, e.g. `ref-1`).
    pub name: String,
    /// What the document is for (protocols, data groups, peculiarities).
    #[serde(default)]
    pub description: String,
    /// "TD1", "TD2", "TD3".
    #[serde(default)]
    pub document_type: String,
    /// Card Access Number for PACE, if the chip has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can: Option<String>,
    /// eID PIN for PACE-PIN, if the chip has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// PUK for PACE-PUK, if the chip has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub puk: Option<String>,
    /// Seed label of the chip's random generator (defaults to the name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rng_seed: Option<String>,
    /// MRZ data (for BAC and PACE with the MRZ); `None` for eID cards without an MRZ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mrz: Option<MrzData>,
    /// Access control protocols offered.
    #[serde(default)]
    pub access: Access,
    /// Chip private keys.
    #[serde(default)]
    pub keys: ChipKeys,
    /// Peculiarities of real chips the simulation reproduces.
    #[serde(default)]
    pub quirks: Quirks,
    /// What a verifier should conclude (for tests).
    #[serde(default)]
    pub expect: Expect,
    /// Adversarial modes switched on when the chip is built (`[[adversarial]]` tables with a
    /// `mode`, e.g. `mode = "bad-mac"` or `mode = "tampered-data-group"` + `dg = 2`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adversarial: Vec<crate::adversarial::Adversarial>,
    /// The elementary files.
    #[serde(default)]
    pub files: Vec<FileSpec>,
}

impl Manifest {
    /// Parses `manifest.toml` text.
    pub fn from_toml(s: &str) -> Result<Self, SimError> {
        toml::from_str(s).map_err(|e| SimError::Manifest(e.to_string()))
    }

    /// The manifest as TOML text.
    pub fn to_toml(&self) -> Result<String, SimError> {
        toml::to_string(self).map_err(|e| SimError::Manifest(e.to_string()))
    }
}

/// An elementary file with its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChipFile {
    /// File id (`0101` for DG1, `011D` for EF.SOD).
    pub fid: u16,
    /// Short file identifier, when the file has one.
    pub sfi: Option<u8>,
    /// The dedicated file it lives in.
    pub df: Df,
    /// The file's bytes.
    pub content: Vec<u8>,
}

/// A document: manifest plus file contents.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Document {
    /// The manifest.
    pub manifest: Manifest,
    /// The elementary files with their contents.
    pub files: Vec<ChipFile>,
}

/// Parses 4 hex digits.
pub fn parse_fid(s: &str) -> Result<u16, SimError> {
    let b = hex::decode(s).map_err(|_| SimError::Manifest(format!("bad file id {s:?}")))?;
    match b.as_slice() {
        [a, b] => Ok(u16::from_be_bytes([*a, *b])),
        _ => Err(SimError::Manifest(format!("bad file id {s:?}"))),
    }
}

/// The SFI ICAO assigns to a file id of the eMRTD application or the MF (Doc 9303-10 §4.6).
pub fn default_sfi(df: Df, fid: u16) -> Option<u8> {
    match (df, fid) {
        (Df::Mf, 0x011C) => Some(0x1C),
        (Df::Mf, 0x011D) => Some(0x1D),
        (Df::Mf, 0x2F00) => Some(0x1E),
        (Df::Mf, 0x2F01) => Some(0x01),
        (Df::Emrtd, 0x011E) => Some(0x1E),
        (Df::Emrtd, 0x011D) => Some(0x1D),
        (Df::Emrtd, 0x0101..=0x0110) => u8::try_from(fid - 0x0100).ok(),
        _ => None,
    }
}

/// The DF a bare file id lives in by default.
pub fn default_df(fid: u16) -> Df {
    match fid {
        0x011C | 0x2F00 | 0x2F01 => Df::Mf,
        _ => Df::Emrtd,
    }
}

impl Document {
    /// Loads `dir/manifest.toml` and the files it lists.
    pub fn from_dir(dir: &Path) -> Result<Self, SimError> {
        let text = std::fs::read_to_string(dir.join("manifest.toml"))
            .map_err(|e| SimError::Io(format!("{}: {e}", dir.join("manifest.toml").display())))?;
        let manifest = Manifest::from_toml(&text)?;
        if manifest.files.len() > MAX_FILES {
            return Err(SimError::Manifest(format!("more than {MAX_FILES} files")));
        }
        let mut files = Vec::with_capacity(manifest.files.len());
        for spec in &manifest.files {
            if spec.path.contains("..") || spec.path.starts_with('/') {
                return Err(SimError::Manifest(format!(
                    "file path {:?} leaves the directory",
                    spec.path
                )));
            }
            let p = dir.join(&spec.path);
            let len = std::fs::metadata(&p)
                .map_err(|e| SimError::Io(format!("{}: {e}", p.display())))?
                .len();
            if len > MAX_FILE_LEN {
                return Err(SimError::Manifest(format!(
                    "{} is larger than {MAX_FILE_LEN} bytes",
                    p.display()
                )));
            }
            let content = std::fs::read(&p).map_err(|e| SimError::Io(format!("{}: {e}", p.display())))?;
            files.push(ChipFile {
                fid: parse_fid(&spec.fid)?,
                sfi: spec.sfi,
                df: spec.df,
                content,
            });
        }
        Ok(Document { manifest, files })
    }

    /// Writes the manifest and the files into `dir` (created if missing). The manifest's file
    /// list is rebuilt from [`Document::files`] with names `<FID>.bin` (`MF-<FID>.bin` for a
    /// file of the MF whose id is also used in the application).
    pub fn write_dir(&self, dir: &Path) -> Result<(), SimError> {
        std::fs::create_dir_all(dir).map_err(|e| SimError::Io(format!("{}: {e}", dir.display())))?;
        let mut manifest = self.manifest.clone();
        manifest.files = self.file_specs();
        for (spec, f) in manifest.files.iter().zip(&self.files) {
            let p = dir.join(&spec.path);
            std::fs::write(&p, &f.content).map_err(|e| SimError::Io(format!("{}: {e}", p.display())))?;
        }
        let p = dir.join("manifest.toml");
        std::fs::write(&p, manifest.to_toml()?).map_err(|e| SimError::Io(format!("{}: {e}", p.display())))
    }

    /// The manifest entries for [`Document::files`].
    pub fn file_specs(&self) -> Vec<FileSpec> {
        self.files
            .iter()
            .map(|f| {
                let name = if f.df == Df::Mf && default_df(f.fid) != Df::Mf {
                    format!("MF-{:04X}.bin", f.fid)
                } else {
                    format!("{:04X}.bin", f.fid)
                };
                FileSpec {
                    fid: format!("{:04X}", f.fid),
                    sfi: f.sfi,
                    df: f.df,
                    path: name,
                }
            })
            .collect()
    }

    /// Adds (or replaces) a file with the default DF and SFI of its file id.
    pub fn put(&mut self, fid: u16, content: Vec<u8>) {
        self.put_in(default_df(fid), fid, content);
    }

    /// Adds (or replaces) a file in a given DF with the default SFI.
    pub fn put_in(&mut self, df: Df, fid: u16, content: Vec<u8>) {
        self.files.retain(|f| !(f.df == df && f.fid == fid));
        self.files.push(ChipFile {
            fid,
            sfi: default_sfi(df, fid),
            df,
            content,
        });
    }

    /// The content of a file.
    pub fn file(&self, df: Df, fid: u16) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|f| f.df == df && f.fid == fid)
            .map(|f| f.content.as_slice())
    }
}
