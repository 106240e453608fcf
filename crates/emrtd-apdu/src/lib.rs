//! ISO/IEC 7816-4 building blocks for eMRTD protocols.
//!
//! * [`apdu`]: command APDUs of cases 1–4 in short and extended form, command chaining and
//!   response APDUs.
//! * [`sw`]: the status word type with the meanings eMRTDs use.
//! * [`tlv`]: a bounded, zero-copy BER-TLV codec (multi-byte tags, definite and indefinite
//!   lengths, nesting limits).
//!
//! Everything here is pure: bytes in, bytes out. Malformed input gives a typed error.
//! The eMRTD protocols (Doc 9303-10 §3 commands, Doc 9303-11 secure messaging and
//! authentication) are built on these types by the other `emrtd-*` crates.
//!
//! # Example
//!
//! ```
//! use emrtd_apdu::{CommandApdu, ResponseApdu, StatusWord, SwMeaning, Tag, Tlv};
//!
//! // SELECT the eMRTD application by its AID (Doc 9303-10 §3.6.1): a case 3 command.
//! let aid = [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];
//! let select = CommandApdu::new(0x00, 0xA4, 0x04, 0x0C).with_data(aid);
//! assert_eq!(select.case(), 3);
//! assert_eq!(select.to_bytes()?, [0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01]);
//!
//! // READ BINARY of 7 bytes at offset 0 (case 2), and the chip's answer.
//! let read = CommandApdu::new(0x00, 0xB0, 0x00, 0x00).with_ne(7);
//! assert_eq!(read.to_bytes()?, [0x00, 0xB0, 0x00, 0x00, 0x07]);
//! let resp = ResponseApdu::parse(&[0x61, 0x05, 0x5F, 0x1F, 0x02, b'P', b'<', 0x90, 0x00])?;
//! assert!(resp.is_success());
//!
//! // The data is BER-TLV: tag 61 holding tag 5F1F.
//! let dg1 = Tlv::parse_exact(&resp.data)?;
//! assert_eq!(dg1.tag, Tag(0x61));
//! assert_eq!(dg1.require(Tag(0x5F1F))?.value, b"P<");
//! assert_eq!(StatusWord::new(0x6A, 0x82).meaning(), SwMeaning::FileNotFound);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod apdu;
pub mod sw;
pub mod tlv;

pub use apdu::{ApduError, CommandApdu, LengthForm, ResponseApdu};
pub use sw::{StatusWord, SwMeaning};
pub use tlv::{Tag, Tlv, TlvError, TlvIter, TlvLimits};
