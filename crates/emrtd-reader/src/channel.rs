//! A channel to the chip: a transport plus the current secure messaging session.

use emrtd_apdu::{ApduError, CommandApdu, ResponseApdu};
use emrtd_sm::{SmError, SmSession};
use emrtd_transport::{Transport, TransportError};
use thiserror::Error;

/// Errors below the protocol level.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ChannelError {
    #[error("transport: {0}")]
    Transport(#[from] TransportError),
    #[error("secure messaging: {0}")]
    Sm(#[from] SmError),
    #[error("APDU: {0}")]
    Apdu(#[from] ApduError),
}

/// Sends plain or protected APDUs and counts round trips.
pub struct Channel<'t, T> {
    transport: &'t mut T,
    sm: Option<SmSession>,
    round_trips: u64,
}

impl<'t, T: Transport> Channel<'t, T> {
    pub fn new(transport: &'t mut T) -> Self {
        Channel {
            transport,
            sm: None,
            round_trips: 0,
        }
    }

    /// Starts (or replaces) secure messaging.
    pub fn set_sm(&mut self, sm: SmSession) {
        self.sm = Some(sm);
    }

    pub fn sm(&self) -> Option<&SmSession> {
        self.sm.as_ref()
    }

    pub fn has_sm(&self) -> bool {
        self.sm.is_some()
    }

    pub fn round_trips(&self) -> u64 {
        self.round_trips
    }

    pub fn transport_mut(&mut self) -> &mut T {
        self.transport
    }

    /// Sends a command, protected when secure messaging is active. A response whose secure
    /// messaging fails verification is an error: its content is never used.
    pub async fn send(&mut self, cmd: &CommandApdu) -> Result<ResponseApdu, ChannelError> {
        match self.sm.as_mut() {
            None => self.send_plain(cmd).await,
            Some(sm) => {
                let protected = sm.protect(cmd)?;
                let bytes = protected.to_bytes()?;
                self.round_trips += 1;
                let raw = self.transport.transmit(&bytes).await?;
                let resp = ResponseApdu::parse(&raw)?;
                match self.sm.as_mut() {
                    Some(sm) => Ok(sm.unprotect(&resp)?),
                    None => Ok(resp),
                }
            }
        }
    }

    /// Sends a command without secure messaging (before access control).
    pub async fn send_plain(&mut self, cmd: &CommandApdu) -> Result<ResponseApdu, ChannelError> {
        let bytes = cmd.to_bytes()?;
        self.round_trips += 1;
        let raw = self.transport.transmit(&bytes).await?;
        Ok(ResponseApdu::parse(&raw)?)
    }
}
