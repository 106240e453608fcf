//! An APDU recorder for debugging.
//!
//! By default only what carries no personal data is kept: command headers (CLA INS P1 P2),
//! lengths and status words. Full bytes are kept only when the caller asks for them
//! ([`Redaction::Full`]) — never enable that on a production server.

use crate::{LinkLimits, Transport, TransportError};
use std::time::{Duration, Instant};

/// How much of each APDU is recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Redaction {
    /// Header, lengths and status word only.
    #[default]
    Redacted,
    /// Every byte (debugging with test documents only).
    Full,
}

/// One recorded exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    /// `CLA INS P1 P2` of the command, or fewer bytes for a malformed one.
    pub header: Vec<u8>,
    /// Length of the command APDU in bytes.
    pub command_len: usize,
    /// Full command bytes when recording in full.
    pub command: Option<Vec<u8>>,
    /// Length of the response APDU in bytes (0 when the transport failed).
    pub response_len: usize,
    /// SW1 SW2, when there was a response.
    pub status: Option<u16>,
    /// Full response bytes when recording in full.
    pub response: Option<Vec<u8>>,
    /// The transport error, when the exchange failed.
    pub error: Option<String>,
    /// Time from sending the command to the response or error.
    pub elapsed: Duration,
}

impl std::fmt::Display for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "> {} ({} B)", hex::encode_upper(&self.header), self.command_len)?;
        match (&self.status, &self.error) {
            (Some(sw), _) => write!(f, " < {sw:04X} ({} B)", self.response_len)?,
            (None, Some(e)) => write!(f, " < error: {e}")?,
            _ => {}
        }
        write!(f, " {} ms", self.elapsed.as_millis())
    }
}

/// Records the APDUs passing through an inner transport.
pub struct Recording<T> {
    inner: T,
    redaction: Redaction,
    log: Vec<Exchange>,
}

impl<T: Transport> Recording<T> {
    /// Records the exchanges of `inner`, keeping as much as `redaction` allows.
    pub fn new(inner: T, redaction: Redaction) -> Self {
        Recording {
            inner,
            redaction,
            log: Vec::new(),
        }
    }

    /// The exchanges so far, oldest first.
    pub fn log(&self) -> &[Exchange] {
        &self.log
    }

    /// The inner transport and the log.
    pub fn into_parts(self) -> (T, Vec<Exchange>) {
        (self.inner, self.log)
    }

    /// The inner transport (e.g. to inspect a test double).
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

impl<T: Transport> Transport for Recording<T> {
    async fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let start = Instant::now();
        let result = self.inner.transmit(command).await;
        let full = self.redaction == Redaction::Full;
        let (response_len, status, response, error) = match &result {
            Ok(r) => {
                let sw = r.len().checked_sub(2).and_then(|i| r.get(i..)).map(|s| {
                    let mut v = 0u16;
                    for b in s {
                        v = (v << 8) | u16::from(*b);
                    }
                    v
                });
                (r.len(), sw, full.then(|| r.clone()), None)
            }
            Err(e) => (0, None, None, Some(e.to_string())),
        };
        let exchange = Exchange {
            header: command.get(..4).unwrap_or(command).to_vec(),
            command_len: command.len(),
            command: full.then(|| command.to_vec()),
            response_len,
            status,
            response,
            error,
            elapsed: start.elapsed(),
        };
        tracing::debug!(target: "apdu", "{exchange}");
        self.log.push(exchange);
        result
    }

    fn limits(&self) -> LinkLimits {
        self.inner.limits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SyncChipTransport;

    #[tokio::test]
    async fn redacted_by_default() {
        let chip = SyncChipTransport::new(
            |_: &[u8]| vec![0x4A, 0x4F, 0x48, 0x4E, 0x90, 0x00],
            LinkLimits::default(),
        );
        let mut rec = Recording::new(chip, Redaction::default());
        let cmd = [0x0C, 0xB0, 0x00, 0x00, 0x0D, 0x97, 0x01, 0x04];
        rec.transmit(&cmd).await.unwrap();
        let e = &rec.log()[0];
        assert_eq!(e.header, vec![0x0C, 0xB0, 0x00, 0x00]);
        assert_eq!(e.command, None);
        assert_eq!(e.response, None);
        assert_eq!(e.status, Some(0x9000));
        assert_eq!(e.response_len, 6);
        let line = e.to_string();
        assert!(line.starts_with("> 0CB00000 (8 B) < 9000 (6 B)"), "{line}");
        assert!(!line.contains("4A4F"));
    }

    #[tokio::test]
    async fn full_recording_keeps_bytes_and_errors() {
        let chip = SyncChipTransport::new(
            |c: &[u8]| if c.len() > 4 { vec![0x6A, 0x82] } else { vec![] },
            LinkLimits::default(),
        );
        let mut rec = Recording::new(chip, Redaction::Full);
        rec.transmit(&[0, 0xA4, 2, 0x0C, 2, 1, 1]).await.unwrap();
        assert!(rec.transmit(&[0, 0xA4]).await.is_err());
        let (_, log) = rec.into_parts();
        assert_eq!(log[0].response, Some(vec![0x6A, 0x82]));
        assert_eq!(log[0].command.as_deref(), Some(&[0, 0xA4, 2, 0x0C, 2, 1, 1][..]));
        assert!(log[1].error.is_some());
        assert_eq!(log[1].header, vec![0, 0xA4]);
    }
}
