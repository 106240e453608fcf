//! `emrtd-bridge`: a local reader service with the two WebSocket interfaces desks already use.
//!
//! * [`ausweisapp`]: the AusweisApp SDK interface (`ws://127.0.0.1:24727/eID-Kernel`) with the
//!   `Simulator` reader (the virtual chip): PIN change with PACE on the card, and RUN_AUTH
//!   relaying the card to a DocVal server.
//! * [`card`]: the card abstraction and the eID PIN operations.
#![forbid(unsafe_code)]

pub mod ausweisapp;
pub mod card;
pub mod json;
pub mod sinosecu;
