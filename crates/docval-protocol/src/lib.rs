//! The DocVal WebSocket protocols as pure code: bytes and text in, bytes and text out; no IO,
//! no async, no clock (timeouts are inputs).
//!
//! * [`close`]: the close reasons and codes both protocol versions share, and their
//!   `{"close_code":…}` (v1) and `{"type":"CLOSE",…}` (v2) notices.
//! * [`v2`]: DocVal WebSocket API v2 (`/ws2/validate`): typed JSON messages, the 1-byte
//!   prefixed binary frames, and [`v2::server::ServerSession`], the server's state machine from
//!   START to FINISH including the chip-authentication relay (Doc 9303-11 §6.2 over the
//!   phone's handed-over secure-messaging session).
//!
//! The notes this follows are `docval-v2-protocol-notes.md`; section numbers in comments
//! (§3.2 …) refer to them.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod close;
pub mod v2;

pub use close::CloseReason;
