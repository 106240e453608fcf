//! Access control of ICAO Doc 9303-11 as sans-IO steps.
//!
//! * [`mrz`]: the MRZ information (document number, date of birth, date of expiry with check
//!   digits) that BAC and PACE-MRZ derive their keys from.
//! * [`bac`]: Basic Access Control (§4.3), terminal side [`bac::BacTerminal`] and card side
//!   [`bac::BacChip`].
//!
//! Each protocol hands out the next command APDU and takes the chip's response, so any
//! transport (in-process virtual chip, a phone relay, PC/SC) can drive it. Nothing here does
//! IO, and a failure is always an error the caller sees: there is no fallback between
//! protocols inside this crate.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bac;
pub mod mrz;
pub mod pace;

pub use bac::{BacChip, BacError, BacKeys, BacTerminal};
pub use mrz::{MrzError, MrzKey, check_digit};
