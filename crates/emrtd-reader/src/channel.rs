//! A channel to the chip: a transport plus the current secure messaging session.

use emrtd_apdu::{ApduError, CommandApdu, ResponseApdu};
use emrtd_chipauth::ca::CaPending;
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
    /// The chip did not answer under the keys of Chip Authentication: it does not hold the
    /// private key of DG14 (a clone), or the answer was tampered with. The channel has no
    /// secure messaging afterwards.
    #[error("chip authentication not confirmed: {0}")]
    ChipAuthenticationNotConfirmed(String),
}

/// Sends plain or protected APDUs and counts round trips.
pub struct Channel<'t, T> {
    transport: &'t mut T,
    sm: Option<SmSession>,
    pending_ca: Option<CaPending>,
    ca_confirmed: Option<bool>,
    round_trips: u64,
}

impl<'t, T: Transport> Channel<'t, T> {
    pub fn new(transport: &'t mut T) -> Self {
        Channel {
            transport,
            sm: None,
            pending_ca: None,
            ca_confirmed: None,
            round_trips: 0,
        }
    }

    /// Chip Authentication agreed new keys: the next command goes out under them, and its
    /// answer confirms (or refutes) that the chip holds the CA private key.
    pub fn set_pending_ca(&mut self, pending: CaPending) {
        self.pending_ca = Some(pending);
    }

    /// `Some(true)` once a pending Chip Authentication was confirmed, `Some(false)` when the
    /// confirmation failed; taken once.
    pub fn take_ca_confirmation(&mut self) -> Option<bool> {
        self.ca_confirmed.take()
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
        if let Some(mut pending) = self.pending_ca.take() {
            let protected = pending
                .protect(cmd)
                .map_err(|e| ChannelError::ChipAuthenticationNotConfirmed(e.to_string()))?;
            let bytes = protected.to_bytes()?;
            self.round_trips += 1;
            // Whatever happens now, the old session is over.
            self.sm = None;
            let raw = self.transport.transmit(&bytes).await?;
            let resp = ResponseApdu::parse(&raw)?;
            return match pending.confirm(&resp) {
                Ok((confirmed, plain)) => {
                    self.sm = Some(confirmed.session);
                    self.ca_confirmed = Some(true);
                    Ok(plain)
                }
                Err(e) => {
                    self.ca_confirmed = Some(false);
                    Err(ChannelError::ChipAuthenticationNotConfirmed(e.to_string()))
                }
            };
        }
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
