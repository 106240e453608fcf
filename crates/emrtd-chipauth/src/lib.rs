//! Chip Authentication v1 and Active Authentication of ICAO Doc 9303-11 (§6.2 and §6.1),
//! terminal side and card side, as sans-IO state machines.
#![forbid(unsafe_code)]

pub mod ec;
pub mod error;
pub mod iso9796;
mod util;

pub use error::{AaError, CaError, Iso9796Error, KeyError};
pub mod aa;
pub mod ca;
pub mod dh;
pub mod keys;
pub mod oid;
