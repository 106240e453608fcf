//! The adversarial modes of the virtual chip, named in a document's manifest and applied by
//! [`crate::VirtualChip`].

use serde::{Deserialize, Serialize};

/// Ways a hostile or broken chip misbehaves. A verifier must report each as an error or a
/// failed check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum Adversarial {
    /// Data group `dg` (1..16) was changed after the SOD was signed (its last byte flipped).
    TamperedDataGroup {
        /// The data group number.
        dg: u8,
    },
    /// The chip uses other private keys than the ones DG14/DG15 announce (a clone): PKCS#8 hex,
    /// handed to the CA/AA plug-ins instead of the manifest's keys.
    ForeignChipKeys {
        /// Chip authentication private key used instead of the manifest's (PKCS#8 DER, hex); `None`
        /// keeps the genuine one.
        #[serde(default)]
        ca_private_key: Option<String>,
        /// Active authentication private key used instead of the manifest's (PKCS#8 DER, hex);
        /// `None` keeps the genuine one.
        #[serde(default)]
        aa_private_key: Option<String>,
    },
    /// Every secure-messaging response carries a wrong MAC.
    BadMac,
    /// The outer TLV length of file `fid` claims `extra` more bytes than the file has.
    LyingLength {
        /// File id (e.g. `0102` for DG2).
        fid: u16,
        /// Bytes claimed beyond the real content.
        extra: u32,
    },
    /// File `fid` claims a length of 16 MB and READ BINARY never reaches its end.
    EndlessFile {
        /// File id.
        fid: u16,
    },
    /// Every answer that would be 9000 carries this status word instead.
    WrongStatus {
        /// The status word sent instead of 9000 (e.g. `0x6283`).
        sw: u16,
    },
    /// From command number `after` on (counting from 1), answers are random bytes.
    Garbage {
        /// Number of the first command answered with garbage (1 = the first command).
        after: u64,
    },
    /// SELECT of file `fid` of the eMRTD application and READ BINARY with its short file
    /// identifier (the low five bits of `fid`) are answered with status word `sw` (a chip
    /// refusing, e.g. 6982, or hiding, 6A82, a file).
    RefuseFile {
        /// File id in the eMRTD application.
        fid: u16,
        /// The status word of the refusal.
        sw: u16,
    },
}
