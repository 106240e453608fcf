//! A channel to the chip: a transport plus the current secure messaging session.

use emrtd_apdu::{ApduError, CommandApdu, ResponseApdu};
use emrtd_chipauth::ca::CaPending;
use emrtd_sm::{SmError, SmSession};
use emrtd_transport::{Transport, TransportError};
use thiserror::Error;

/// Most bytes gathered through GET RESPONSE for one command.
pub const MAX_COLLECTED: usize = 70_000;

/// Errors below the protocol level.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ChannelError {
    /// The transport to the chip failed (link lost, timeout, adapter error).
    #[error("transport: {0}")]
    Transport(#[from] TransportError),
    /// Secure messaging failed: a response's MAC or padding did not verify, or a command could not
    /// be protected (Doc 9303-11 §9.8).
    #[error("secure messaging: {0}")]
    Sm(#[from] SmError),
    /// A command could not be encoded or a response was not a valid APDU (ISO 7816-4 §5).
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
    /// A channel over `transport`, without secure messaging and with no round trip counted yet.
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

    /// The current secure messaging session, if any.
    pub fn sm(&self) -> Option<&SmSession> {
        self.sm.as_ref()
    }

    /// Whether commands are currently protected by secure messaging.
    pub fn has_sm(&self) -> bool {
        self.sm.is_some()
    }

    /// Commands sent to the chip so far (GET RESPONSE included).
    pub fn round_trips(&self) -> u64 {
        self.round_trips
    }

    /// The transport itself, for out-of-band requests (status updates, relayed commands).
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
            let resp = self.collect_61xx(ResponseApdu::parse(&raw)?).await?;
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
                let resp = self.collect_61xx(ResponseApdu::parse(&raw)?).await?;
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
        self.collect_61xx(ResponseApdu::parse(&raw)?).await
    }

    /// ISO/IEC 7816-4 §5.3.4: a response too long for a short APDU comes in parts; `61xx`
    /// announces more, GET RESPONSE fetches it. The parts form one (protected) response.
    async fn collect_61xx(&mut self, first: ResponseApdu) -> Result<ResponseApdu, ChannelError> {
        let mut resp = first;
        let mut rounds = 0;
        while resp.sw.sw1() == 0x61 && rounds < 64 && resp.data.len() < MAX_COLLECTED {
            rounds += 1;
            let ne = match resp.sw.sw2() {
                0 => 256,
                n => u32::from(n),
            };
            let get = CommandApdu::new(0x00, 0xC0, 0x00, 0x00).with_ne(ne);
            self.round_trips += 1;
            let raw = self.transport.transmit(&get.to_bytes()?).await?;
            let next = ResponseApdu::parse(&raw)?;
            let mut data = std::mem::take(&mut resp.data);
            data.extend_from_slice(&next.data);
            resp = ResponseApdu::new(data, next.sw);
        }
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use emrtd_apdu::StatusWord;
    use emrtd_transport::{LinkLimits, SyncChipTransport};

    #[tokio::test]
    async fn long_responses_are_collected_with_get_response() {
        // A chip that answers 300 bytes in parts of 256 and 44 (61 2C).
        let mut t = SyncChipTransport::new(
            |cmd: &[u8]| match cmd {
                [0x00, 0x88, ..] => {
                    let mut r = vec![0xAA; 256];
                    r.extend_from_slice(&[0x61, 0x2C]);
                    r
                }
                [0x00, 0xC0, 0x00, 0x00, 0x2C] => {
                    let mut r = vec![0xBB; 44];
                    r.extend_from_slice(&[0x90, 0x00]);
                    r
                }
                _ => vec![0x6D, 0x00],
            },
            LinkLimits::default(),
        );
        let mut ch = Channel::new(&mut t);
        let r = ch
            .send_plain(&CommandApdu::new(0x00, 0x88, 0, 0).with_data(vec![1; 8]).with_ne(256))
            .await
            .unwrap();
        assert_eq!(r.sw, StatusWord::SUCCESS);
        assert_eq!(r.data.len(), 300);
        assert_eq!(r.data[256], 0xBB);
        assert_eq!(ch.round_trips(), 2);
    }
}
