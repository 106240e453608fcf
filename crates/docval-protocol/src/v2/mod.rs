//! DocVal WebSocket API v2 (`/ws2/validate`).
//!
//! The phone performs access control and reads the chip; the server sends an active
//! authentication challenge (ACCEPT), takes over the phone's secure messaging for chip
//! authentication (CA_HANDOVER … CA_HANDBACK), and verifies everything after FINISH.

pub mod frame;
pub mod message;
pub mod server;

pub use frame::{BinaryFrame, FrameError};
pub use message::{CheckResult, ClientMessage, MessageError, SecureMessagingInfo, ServerMessage, SmInfoError};
