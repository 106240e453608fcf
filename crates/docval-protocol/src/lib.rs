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
//!
//! # Example
//!
//! A v2 session without chip authentication: START, ACCEPT with the Active Authentication
//! challenge, one FILE frame, FINISH. The driver (socket, clock, verification) is the caller.
//!
//! ```
//! use docval_protocol::v2::ServerMessage;
//! use docval_protocol::v2::frame::file_frame;
//! use docval_protocol::v2::server::{Event, Limits, Outgoing, ServerSession};
//!
//! let mut rng = emrtd_crypto::rng::os_rng();
//! let mut session = ServerSession::new([1, 2, 3, 4, 5, 6, 7, 8], Limits::default());
//! let start = r#"{"type":"START","validationId":"v-1","clientId":"example_client",
//!     "platform":"android","nfcAdapterSupportsExtendedLength":false,"enableDiagnostics":false}"#;
//! assert!(matches!(session.on_text(start, &mut rng)[..], [Event::Started]));
//! // The driver checks clientId, then accepts: ACCEPT carries the 8-byte challenge.
//! let events = session.accept();
//! let Some(Event::Send(Outgoing::Text(accept))) = events.first() else { panic!("no ACCEPT") };
//! assert_eq!(ServerMessage::parse(accept)?, ServerMessage::accept(&[1, 2, 3, 4, 5, 6, 7, 8]));
//! // Files arrive as binary FILE frames (`01`, name length, name, bytes); FINISH ends it.
//! assert!(session.on_binary(&file_frame("sod", &[0x77, 0x00])?, &mut rng).is_empty());
//! let events = session.on_text(r#"{"type":"FINISH","sendResult":true}"#, &mut rng);
//! let Some(Event::Finished(collected)) = events.first() else { panic!("no Finished") };
//! assert!(collected.send_result && collected.files.contains_key("sod"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod close;
pub mod v2;

pub use close::CloseReason;
