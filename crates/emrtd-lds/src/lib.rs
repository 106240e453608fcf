//! The files of the ICAO Doc 9303 Logical Data Structure, parsed with their raw bytes kept.
//!
//! * [`com::EfCom`], [`sod::EfSod`] (CMS [`cms::SignedData`] + [`sod::LdsSecurityObject`]),
//! * [`dg1::Dg1`] (MRZ of TD1/TD2/TD3/MRV-A/MRV-B with per-field check digits),
//! * [`pubkey::SubjectPublicKeyInfo`] (DG15 and certificate keys: RSA, EC named/explicit, DH).
//!
//! All input is treated as hostile: parsers are bounded by the TLV codec's limits and return
//! [`LdsError`] instead of panicking.
#![forbid(unsafe_code)]

pub mod asn1;
pub mod cms;
pub mod com;
pub mod dg1;
mod hexser;
pub mod pubkey;
pub mod sod;

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
