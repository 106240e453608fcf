//! ISO/IEC 7816-4 building blocks for eMRTD protocols.
//!
//! * [`apdu`]: command APDUs of cases 1–4 in short and extended form, command chaining and
//!   response APDUs.
//! * [`sw`]: the status word type with the meanings eMRTDs use.
//! * [`tlv`]: a bounded, zero-copy BER-TLV codec (multi-byte tags, definite and indefinite
//!   lengths, nesting limits).
//!
//! Everything here is pure: bytes in, bytes out. Malformed input gives a typed error.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod apdu;
pub mod sw;
pub mod tlv;

pub use apdu::{ApduError, CommandApdu, LengthForm, ResponseApdu};
pub use sw::{StatusWord, SwMeaning};
pub use tlv::{Tag, Tlv, TlvError, TlvIter, TlvLimits};
