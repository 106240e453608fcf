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
//! Specifications: Doc 9303-10 (LDS1 data groups and EF.COM/EF.SOD, §4.6–4.7), Doc 9303-3/4/5/6/7
//! (MRZ layouts and check digits), Doc 9303-11 §9 and BSI TR-03110-3 Appendix A (SecurityInfos),
//! RFC 5652 (CMS), RFC 5280/3279 (public keys), ISO/IEC 7816-4 §8.2.1 (EF.ATR/INFO, EF.DIR),
//! ISO/IEC 19794-5 and 39794-5 (face records).
//!
//! All input is treated as hostile: parsers are bounded by the TLV codec's limits and return
//! [`LdsError`] instead of panicking.
//!
//! # Example
//!
//! Parse DG1 of the Doc 9303-4 specimen passport and check its MRZ:
//!
//! ```
//! use emrtd_lds::{LdsFile, dg1::MrzFormat};
//!
//! // Tag 61 { 5F1F <88 MRZ characters> }.
//! let mrz = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\
//!            L898902C36UTO7408122F1204159ZE184226B<<<<<10";
//! let mut dg1 = vec![0x61, 0x5B, 0x5F, 0x1F, 0x58];
//! dg1.extend_from_slice(mrz.as_bytes());
//!
//! let file = LdsFile::parse(&dg1, None)?;
//! assert_eq!(file.data_group(), Some(1));
//! let LdsFile::Dg1(parsed) = file else { return Err("not DG1".into()) };
//! let m = &parsed.mrz;
//! assert_eq!(m.format, MrzFormat::Td3);
//! assert_eq!((m.primary_identifier.as_str(), m.secondary_identifier.as_str()), ("ERIKSSON", "ANNA MARIA"));
//! assert_eq!((m.document_number.as_str(), m.date_of_birth.as_str()), ("L898902C3", "740812"));
//! assert!(m.check_digits_valid());
//! // The exact bytes are kept: they are what EF.SOD's hash covers.
//! assert_eq!(parsed.raw, dg1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
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
    /// The TLV codec rejected the bytes (truncated, over-long length, nesting too deep, …).
    #[error("TLV: {0}")]
    Tlv(#[from] emrtd_apdu::TlvError),
    /// The TLVs decode but do not form the expected structure (wrong tag, missing element,
    /// value out of range); the message says where.
    #[error("structure: {0}")]
    Structure(String),
    /// The MRZ of DG1 is not ASCII, has characters outside `A–Z 0–9 <`, or has a length that
    /// matches no layout (90, 72 or 88 characters: Doc 9303-5/6/4).
    #[error("MRZ: {0}")]
    Mrz(String),
    /// A well-formed input that this crate does not handle: a tag that starts no LDS file, or
    /// explicit EC parameters over a field other than a prime field.
    #[error("unsupported: {0}")]
    Unsupported(String),
}
