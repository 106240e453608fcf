//! The files of the ICAO Doc 9303 Logical Data Structure, parsed with their raw bytes kept.
//!
//! * [`com::EfCom`], [`sod::EfSod`] (CMS [`cms::SignedData`] + [`sod::LdsSecurityObject`]),
//! * [`dg1::Dg1`] (MRZ of TD1/TD2/TD3/MRV-A/MRV-B with per-field check digits),
//! * [`biometric::BiometricDataGroup`] (DG2/DG3/DG4: CBEFF, ISO/IEC 19794-5 and 39794-5 faces,
//!   image type detection JPEG / JP2 / raw J2K codestream),
//! * [`misc`]: DG5–DG7 images, DG11, DG12, DG13 (opaque), DG16, EF.ATR/INFO (`7F66`), EF.DIR,
//! * [`secinfos`]: DG14, EF.CardAccess, EF.CardSecurity (via `emrtd-secinfo`) and DG15,
//! * [`pubkey::SubjectPublicKeyInfo`] (DG15 and certificate keys: RSA, EC named/explicit, DH),
//! * [`LdsFile::parse`]: recognise and parse any of them.
//!
//! All input is treated as hostile: parsers are bounded by the TLV codec's limits and return
//! [`LdsError`] instead of panicking.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod asn1;
pub mod biometric;
pub mod cms;
pub mod com;
pub mod dg1;
pub mod file;
mod hexser;
pub mod misc;
pub mod pubkey;
pub mod secinfos;
pub mod sod;

pub use file::{FileHint, LdsFile};

use thiserror::Error;

/// Errors of the LDS parsers.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum LdsError {
    #[error("TLV: {0}")]
    Tlv(#[from] emrtd_apdu::TlvError),
    #[error("structure: {0}")]
    Structure(String),
    #[error("MRZ: {0}")]
    Mrz(String),
    #[error("unsupported: {0}")]
    Unsupported(String),
}
