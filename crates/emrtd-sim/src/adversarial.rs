//! The adversarial modes of the virtual chip, named in a document's manifest and applied by
//! [`crate::VirtualChip`].

use serde::{Deserialize, Serialize};

/// Ways a hostile or broken chip misbehaves. A verifier must report each as an error or a
/// failed check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum Adversarial {
    /// Data group `dg` (1..16) was changed after the SOD was signed (its last byte flipped).
    TamperedDataGroup { dg: u8 },
    /// The chip uses other private keys than the ones DG14/DG15 announce (a clone): PKCS#8 hex,
    /// handed to the CA/AA plug-ins instead of the manifest's keys.
    ForeignChipKeys {
        #[serde(default)]
        ca_private_key: Option<String>,
        #[serde(default)]
        aa_private_key: Option<String>,
    },
    /// Every secure-messaging response carries a wrong MAC.
    BadMac,
    /// The outer TLV length of file `fid` claims `extra` more bytes than the file has.
    LyingLength { fid: u16, extra: u32 },
    /// File `fid` claims a length of 16 MB and READ BINARY never reaches its end.
    EndlessFile { fid: u16 },
    /// Every answer that would be 9000 carries this status word instead.
    WrongStatus { sw: u16 },
    /// From command number `after` on (counting from 1), answers are random bytes.
    Garbage { after: u64 },
    /// SELECT of file `fid` of the eMRTD application and READ BINARY with its short file
    /// identifier (the low five bits of `fid`) are answered with status word `sw` (a chip
    /// refusing, e.g. 6982, or hiding, 6A82, a file).
    RefuseFile { fid: u16, sw: u16 },
}
