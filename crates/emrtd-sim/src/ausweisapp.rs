//! Import and export of the AusweisApp simulator card description
//! (`SET_CARD{"simulator":{"files":[…],"keys":[…]}}`): `files` entries
//! `{"fileId":"0101","shortFileId":"01","content":"<hex>"}`, `keys` entries
//! `{"id":1,"content":"<hex PKCS#8>"}`. Files not given do not exist.

use crate::SimError;
use crate::manifest::{ChipFile, Df, Document, Manifest, parse_fid};
use serde::{Deserialize, Serialize};

/// Largest simulator description accepted (hex doubles sizes).
pub const MAX_JSON_LEN: usize = 16 * 1024 * 1024;

/// One entry of `files`: an elementary file with its content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulatorFile {
    /// `fileId`: the file id, 4 hex digits (`0101` for DG1).
    #[serde(rename = "fileId")]
    pub file_id: String,
    /// `shortFileId`: the short file identifier, 2 hex digits, when the file has one.
    #[serde(rename = "shortFileId", default, skip_serializing_if = "Option::is_none")]
    pub short_file_id: Option<String>,
    /// `content`: the file's bytes, hex.
    pub content: String,
}

/// One entry of `keys`: a chip private key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulatorKey {
    /// `id`: the key id (the chip authentication key id of EF.CardAccess/DG14).
    pub id: u32,
    /// `content`: the private key as PKCS#8 DER, hex.
    pub content: String,
}

/// The `simulator` object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Simulator {
    /// The elementary files (MF and eMRTD application mixed; see [`Simulator::to_document`]).
    #[serde(default)]
    pub files: Vec<SimulatorFile>,
    /// The chip private keys.
    #[serde(default)]
    pub keys: Vec<SimulatorKey>,
}

/// Files of the master file in the AusweisApp layout; everything else goes to the application.
fn df_of(fid: u16) -> Df {
    match fid {
        0x011C | 0x011D | 0x2F00 | 0x2F01 => Df::Mf,
        _ => Df::Emrtd,
    }
}

impl Simulator {
    /// Parses a simulator description; refuses one longer than [`MAX_JSON_LEN`].
    pub fn from_json(s: &str) -> Result<Self, SimError> {
        if s.len() > MAX_JSON_LEN {
            return Err(SimError::Json(format!("description longer than {MAX_JSON_LEN} bytes")));
        }
        serde_json::from_str(s).map_err(|e| SimError::Json(e.to_string()))
    }

    /// The description as pretty-printed JSON.
    pub fn to_json(&self) -> Result<String, SimError> {
        serde_json::to_string_pretty(self).map_err(|e| SimError::Json(e.to_string()))
    }

    /// A document with these files. The key with the id the manifest names (or the first
    /// key) becomes the Chip Authentication key. There is no MRZ: the AusweisApp simulator
    /// is an eID card used with PACE-PIN/CAN.
    ///
    /// File 011D is EF.CardSecurity (MF) on an eID card; on a passport (a description with
    /// EF.COM 011E) the first 011D is EF.SOD in the application and a second one EF.CardSecurity.
    pub fn to_document(&self, name: &str) -> Result<Document, SimError> {
        let mut files = Vec::with_capacity(self.files.len());
        let passport = self.files.iter().any(|f| f.file_id.eq_ignore_ascii_case("011E"));
        let mut sod_seen = false;
        for f in &self.files {
            let fid = parse_fid(&f.file_id)?;
            let df = if fid == 0x011D && passport && !sod_seen {
                sod_seen = true;
                Df::Emrtd
            } else {
                df_of(fid)
            };
            let sfi = match &f.short_file_id {
                None => None,
                Some(s) if s.is_empty() => None,
                Some(s) => match hex::decode(s).ok().as_deref() {
                    Some([b]) if (1..=30).contains(b) => Some(*b),
                    _ => return Err(SimError::Json(format!("bad shortFileId {s:?}"))),
                },
            };
            let content = hex::decode(&f.content).map_err(|e| SimError::Json(format!("file {}: {e}", f.file_id)))?;
            files.push(ChipFile { fid, sfi, df, content });
        }
        let mut manifest = Manifest {
            name: name.to_string(),
            description: "imported from an AusweisApp simulator description".into(),
            ..Manifest::default()
        };
        manifest.access.bac = false;
        manifest.access.pace = true;
        if let Some(k) = self.keys.first() {
            hex::decode(&k.content).map_err(|e| SimError::Json(format!("key {}: {e}", k.id)))?;
            manifest.keys.ca_private_key = Some(k.content.to_ascii_uppercase());
            manifest.keys.ca_key_id = Some(k.id);
        }
        Ok(Document { manifest, files })
    }

    /// The simulator description of a document: every file (MF and application) and the
    /// Chip Authentication / PACE-CAM keys.
    pub fn from_document(doc: &Document) -> Self {
        let files = doc
            .files
            .iter()
            .map(|f| SimulatorFile {
                file_id: format!("{:04x}", f.fid),
                short_file_id: f.sfi.map(|s| format!("{s:02x}")),
                content: hex::encode(&f.content),
            })
            .collect();
        let mut keys = Vec::new();
        if let Some(k) = &doc.manifest.keys.ca_private_key {
            keys.push(SimulatorKey {
                id: doc.manifest.keys.ca_key_id.unwrap_or(1),
                content: k.to_ascii_lowercase(),
            });
        }
        if let Some(k) = &doc.manifest.keys.pace_cam_private_key {
            keys.push(SimulatorKey {
                id: keys.len() as u32 + 40,
                content: k.to_ascii_lowercase(),
            });
        }
        Simulator { files, keys }
    }
}
