//! Async transports that carry command APDUs to a chip and bring back its responses.
//!
//! * [`Transport`]: the one trait the reading engine needs.
//! * [`relay::RelayTransport`]: the server side of a phone relay (DocVal WebSocket): each command
//!   goes out as one binary frame, the next binary frame is the response. The frame channel is
//!   abstract ([`relay::FrameChannel`]) so the server's WebSocket library plugs in.
//! * [`SyncChipTransport`]: any synchronous `FnMut(&[u8]) -> Vec<u8>` chip (the virtual chip)
//!   as a transport, with an optional simulated round-trip delay.
//! * [`recording::Recording`]: a decorator that logs every APDU (redacted by default).
//!
//! The APDUs are those of ISO/IEC 7816-4 as used by Doc 9303-10 §3 and Doc 9303-11; a
//! transport moves bytes only and knows nothing of secure messaging.
//!
//! # Example
//!
//! ```
//! use emrtd_transport::recording::{Recording, Redaction};
//! use emrtd_transport::{LinkLimits, SyncChipTransport, Transport};
//!
//! // A stand-in chip that knows no file: every command gets 6A82.
//! let chip = |_command: &[u8]| vec![0x6A, 0x82];
//! let mut transport = Recording::new(SyncChipTransport::new(chip, LinkLimits::default()), Redaction::Redacted);
//!
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! let select_ef_com = [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1E];
//! let response = runtime.block_on(transport.transmit(&select_ef_com))?;
//! assert_eq!(response, [0x6A, 0x82]);
//!
//! // The redacted log keeps the header, lengths and status word, not the data.
//! let exchange = transport.log().first().ok_or("nothing recorded")?;
//! assert_eq!(exchange.header, [0x00, 0xA4, 0x02, 0x0C]);
//! assert_eq!((exchange.command_len, exchange.status), (7, Some(0x6A82)));
//! assert_eq!(exchange.command, None);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod recording;
pub mod relay;

use std::future::Future;
use std::time::Duration;
use thiserror::Error;

/// Transport failures.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// No response within the allowed time.
    #[error("timed out waiting for the chip's response")]
    Timeout,
    /// The other side closed the channel.
    #[error("connection closed: {0}")]
    Closed(String),
    /// The relaying client sent something that is not an APDU response (e.g. a text frame).
    #[error("unexpected message from the client: {0}")]
    UnexpectedMessage(String),
    /// The response is not an APDU response (fewer than two bytes) or exceeds the limit.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// The channel failed.
    #[error("communication failed: {0}")]
    Io(String),
}

/// Limits a transport knows about the path to the chip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LinkLimits {
    /// Whether extended-length APDUs pass end to end.
    pub extended_length: bool,
    /// Largest command APDU in bytes, when known.
    pub max_command_bytes: Option<usize>,
    /// Largest response APDU in bytes, when known.
    pub max_response_bytes: Option<usize>,
}

/// Sends a command APDU and returns the chip's response APDU (data || SW1 SW2).
pub trait Transport: Send {
    /// Sends one command APDU (the complete encoding, e.g. from `CommandApdu::to_bytes`) and
    /// waits for the response; fails with [`TransportError`] on timeouts, closed channels and
    /// responses shorter than the two status bytes.
    fn transmit(&mut self, command: &[u8]) -> impl Future<Output = Result<Vec<u8>, TransportError>> + Send;

    /// What the transport knows about the link's limits.
    fn limits(&self) -> LinkLimits {
        LinkLimits::default()
    }

    /// Reports a reading step to whoever relays the APDUs (the DocVal status frames). Most
    /// transports have nobody to tell.
    fn status(&mut self, _step: &'static str) -> impl Future<Output = Result<(), TransportError>> + Send {
        async { Ok(()) }
    }
}

/// Largest response accepted from any transport: an extended response (65 536 bytes) plus SM
/// overhead and the status word.
pub const MAX_RESPONSE_BYTES: usize = 65_536 + 64;

/// A synchronous chip (for example the virtual chip) used as an async transport.
pub struct SyncChipTransport<F> {
    chip: F,
    round_trip: Duration,
    limits: LinkLimits,
}

impl<F> SyncChipTransport<F>
where
    F: FnMut(&[u8]) -> Vec<u8> + Send,
{
    /// Wraps `chip`, which maps each command APDU to its response APDU, with no simulated delay.
    pub fn new(chip: F, limits: LinkLimits) -> Self {
        SyncChipTransport {
            chip,
            round_trip: Duration::ZERO,
            limits,
        }
    }

    /// Adds a simulated network round trip to every APDU.
    pub fn with_round_trip(mut self, rtt: Duration) -> Self {
        self.round_trip = rtt;
        self
    }
}

impl<F> Transport for SyncChipTransport<F>
where
    F: FnMut(&[u8]) -> Vec<u8> + Send,
{
    async fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        if !self.round_trip.is_zero() {
            tokio::time::sleep(self.round_trip).await;
        }
        let resp = (self.chip)(command);
        check_response(resp)
    }

    fn limits(&self) -> LinkLimits {
        self.limits
    }
}

/// Checks the size bounds of a response APDU.
pub fn check_response(resp: Vec<u8>) -> Result<Vec<u8>, TransportError> {
    if resp.len() < 2 {
        return Err(TransportError::Malformed(format!("{} bytes", resp.len())));
    }
    if resp.len() > MAX_RESPONSE_BYTES {
        return Err(TransportError::Malformed(format!(
            "{} bytes exceeds the limit",
            resp.len()
        )));
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sync_chip_transport_passes_bytes_and_checks_sizes() {
        let mut t = SyncChipTransport::new(
            move |cmd: &[u8]| match cmd {
                [0x00, 0x84, ..] => vec![1, 2, 3, 4, 5, 6, 7, 8, 0x90, 0x00],
                [0x00, 0xB0, ..] => vec![0x90],
                _ => vec![0u8; MAX_RESPONSE_BYTES + 1],
            },
            LinkLimits::default(),
        );
        assert_eq!(t.transmit(&[0x00, 0x84, 0, 0, 8]).await.unwrap().len(), 10);
        assert!(matches!(
            t.transmit(&[0x00, 0xB0, 0, 0, 0]).await,
            Err(TransportError::Malformed(_))
        ));
        assert!(matches!(
            t.transmit(&[0x00, 0xA4]).await,
            Err(TransportError::Malformed(_))
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn simulated_round_trip_is_applied() {
        let mut t = SyncChipTransport::new(|_: &[u8]| vec![0x90, 0x00], LinkLimits::default())
            .with_round_trip(Duration::from_millis(50));
        let start = tokio::time::Instant::now();
        for _ in 0..4 {
            t.transmit(&[0, 0xA4, 0, 0]).await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::from_millis(200));
    }
}
