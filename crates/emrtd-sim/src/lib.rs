//! A virtual eMRTD chip for tests and CI.
//!
//! * [`VirtualChip`]: the card side of the file system (MF, eMRTD application by AID,
//!   EFs by FID and SFI), SELECT, READ BINARY (short/extended, SFI form, odd INS B1 with
//!   DO'54), GET CHALLENGE, BAC and secure messaging (3DES/AES). PACE, CA, AA and PIN
//!   management are [`CardProtocol`] plug-ins. [`VirtualChip::transmit`] takes raw command
//!   APDU bytes and returns raw response bytes; it never panics.
//! * [`manifest`]: a document directory (`manifest.toml` + files named by file id) with MRZ,
//!   CAN, PIN, PUK, chip keys and [`Quirks`].
//! * [`Adversarial`] modes: tampered data group, foreign chip keys (clone), bad MACs, lying
//!   lengths, endless file, wrong status words, garbage.
//! * [`vpcd`]: serves a chip over the vsmartcard vpcd socket protocol.
//! * [`ausweisapp`]: AusweisApp simulator JSON import/export.
//! * [`rng::SeededRng`]: the deterministic generator used by the chip and the fixtures.
#![forbid(unsafe_code)]

pub mod ausweisapp;
pub mod chip;
pub mod manifest;
pub mod plugins;
pub mod rng;
pub mod vpcd;

pub use chip::{Adversarial, CardProtocol, EMRTD_AID, Handled, ProtocolContext, VirtualChip, make_atr};
pub use manifest::{ChipFile, Df, Document, Manifest, MrzData, Quirks};
pub use rng::SeededRng;

use thiserror::Error;

/// Errors building a chip.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SimError {
    #[error("manifest: {0}")]
    Manifest(String),
    #[error("io: {0}")]
    Io(String),
    #[error("simulator JSON: {0}")]
    Json(String),
}
