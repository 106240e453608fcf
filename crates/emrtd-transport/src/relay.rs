//! The server side of an APDU relay: a phone (or any client device) passes each command to the
//! chip and returns the response, one binary frame each way, strictly lock-step.

use crate::{LinkLimits, MAX_RESPONSE_BYTES, Transport, TransportError};
use std::future::Future;
use std::time::Duration;

/// A frame received from the relaying client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A binary frame: a response APDU.
    Binary(Vec<u8>),
    /// A text frame (the DocVal protocol's control messages); never a valid response.
    Text(String),
    /// The client closed the connection (code and reason when given).
    Close(Option<(u16, String)>),
}

/// A bidirectional frame channel (a WebSocket, or a test double).
pub trait FrameChannel: Send {
    /// Sends a binary frame (a command APDU).
    fn send_binary(&mut self, data: Vec<u8>) -> impl Future<Output = Result<(), TransportError>> + Send;
    /// Sends a text frame (DocVal status messages).
    fn send_text(&mut self, text: String) -> impl Future<Output = Result<(), TransportError>> + Send;
    /// The next data frame; ping/pong are handled below this layer. `None` when the stream ended.
    fn recv(&mut self) -> impl Future<Output = Option<Result<Frame, TransportError>>> + Send;
}

impl<C: FrameChannel> FrameChannel for &mut C {
    fn send_binary(&mut self, data: Vec<u8>) -> impl Future<Output = Result<(), TransportError>> + Send {
        (**self).send_binary(data)
    }
    fn send_text(&mut self, text: String) -> impl Future<Output = Result<(), TransportError>> + Send {
        (**self).send_text(text)
    }
    fn recv(&mut self) -> impl Future<Output = Option<Result<Frame, TransportError>>> + Send {
        (**self).recv()
    }
}

/// Relays APDUs over a [`FrameChannel`] with a per-response timeout.
pub struct RelayTransport<C> {
    channel: C,
    response_timeout: Duration,
    limits: LinkLimits,
    round_trips: u64,
    bytes_sent: u64,
    bytes_received: u64,
}

impl<C: FrameChannel> RelayTransport<C> {
    /// Relays over `channel`; each response must arrive within `response_timeout`.
    pub fn new(channel: C, response_timeout: Duration, limits: LinkLimits) -> Self {
        RelayTransport {
            channel,
            response_timeout,
            limits,
            round_trips: 0,
            bytes_sent: 0,
            bytes_received: 0,
        }
    }

    /// Number of APDU round trips so far.
    pub fn round_trips(&self) -> u64 {
        self.round_trips
    }

    /// Bytes of command and response APDUs so far.
    pub fn bytes(&self) -> (u64, u64) {
        (self.bytes_sent, self.bytes_received)
    }

    /// The frame channel, e.g. to send protocol messages between APDU exchanges.
    pub fn channel_mut(&mut self) -> &mut C {
        &mut self.channel
    }

    /// Ends the relay and returns the frame channel.
    pub fn into_channel(self) -> C {
        self.channel
    }
}

impl<C: FrameChannel> Transport for RelayTransport<C> {
    async fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.bytes_sent += command.len() as u64;
        self.channel.send_binary(command.to_vec()).await?;
        let frame = match tokio::time::timeout(self.response_timeout, self.channel.recv()).await {
            Err(_) => return Err(TransportError::Timeout),
            Ok(None) => return Err(TransportError::Closed("stream ended".into())),
            Ok(Some(frame)) => frame?,
        };
        self.round_trips += 1;
        match frame {
            Frame::Binary(resp) => {
                if resp.len() < 2 || resp.len() > MAX_RESPONSE_BYTES {
                    return Err(TransportError::Malformed(format!("response of {} bytes", resp.len())));
                }
                self.bytes_received += resp.len() as u64;
                Ok(resp)
            }
            Frame::Text(t) => {
                let shown: String = t.chars().take(64).collect();
                Err(TransportError::UnexpectedMessage(shown))
            }
            Frame::Close(reason) => Err(TransportError::Closed(
                reason
                    .map(|(c, r)| format!("{c} {r}"))
                    .unwrap_or_else(|| "closed".into()),
            )),
        }
    }

    fn limits(&self) -> LinkLimits {
        self.limits
    }

    /// Sends `{"status":"<STEP>"}` as a text frame.
    async fn status(&mut self, step: &'static str) -> Result<(), TransportError> {
        self.channel.send_text(format!("{{\"status\":\"{step}\"}}")).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc;

    struct ChanPair {
        to_client: mpsc::UnboundedSender<Vec<u8>>,
        from_client: mpsc::UnboundedReceiver<Frame>,
    }

    impl FrameChannel for ChanPair {
        async fn send_binary(&mut self, data: Vec<u8>) -> Result<(), TransportError> {
            self.to_client.send(data).map_err(|e| TransportError::Io(e.to_string()))
        }
        async fn send_text(&mut self, text: String) -> Result<(), TransportError> {
            self.to_client
                .send(text.into_bytes())
                .map_err(|e| TransportError::Io(e.to_string()))
        }
        async fn recv(&mut self) -> Option<Result<Frame, TransportError>> {
            self.from_client.recv().await.map(Ok)
        }
    }

    fn pair() -> (ChanPair, mpsc::UnboundedReceiver<Vec<u8>>, mpsc::UnboundedSender<Frame>) {
        let (a_tx, a_rx) = mpsc::unbounded_channel();
        let (b_tx, b_rx) = mpsc::unbounded_channel();
        (
            ChanPair {
                to_client: a_tx,
                from_client: b_rx,
            },
            a_rx,
            b_tx,
        )
    }

    #[tokio::test]
    async fn lock_step_relay() {
        let (chan, mut cmds, resps) = pair();
        let mut relay = RelayTransport::new(chan, Duration::from_secs(1), LinkLimits::default());
        let phone = tokio::spawn(async move {
            while let Some(cmd) = cmds.recv().await {
                let mut r = cmd.clone();
                r.extend_from_slice(&[0x90, 0x00]);
                if resps.send(Frame::Binary(r)).is_err() {
                    break;
                }
            }
        });
        assert_eq!(relay.transmit(&[1, 2, 3]).await.unwrap(), vec![1, 2, 3, 0x90, 0x00]);
        assert_eq!(relay.transmit(&[4]).await.unwrap(), vec![4, 0x90, 0x00]);
        assert_eq!(relay.round_trips(), 2);
        assert_eq!(relay.bytes(), (4, 8));
        drop(relay);
        phone.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn silent_client_times_out() {
        let (chan, _cmds, _resps) = pair();
        let mut relay = RelayTransport::new(chan, Duration::from_secs(3), LinkLimits::default());
        assert_eq!(relay.transmit(&[0, 0xA4, 0, 0]).await, Err(TransportError::Timeout));
    }

    #[tokio::test]
    async fn text_close_and_malformed_frames_are_errors() {
        let (chan, _cmds, resps) = pair();
        let mut relay = RelayTransport::new(chan, Duration::from_secs(1), LinkLimits::default());
        resps.send(Frame::Text("{\"client_id\":\"again\"}".into())).unwrap();
        assert!(matches!(
            relay.transmit(&[0]).await,
            Err(TransportError::UnexpectedMessage(_))
        ));
        resps.send(Frame::Binary(vec![0x90])).unwrap();
        assert!(matches!(relay.transmit(&[0]).await, Err(TransportError::Malformed(_))));
        resps.send(Frame::Binary(vec![0; MAX_RESPONSE_BYTES + 1])).unwrap();
        assert!(matches!(relay.transmit(&[0]).await, Err(TransportError::Malformed(_))));
        resps
            .send(Frame::Close(Some((1001, "CANCELLED_BY_USER".into()))))
            .unwrap();
        assert_eq!(
            relay.transmit(&[0]).await,
            Err(TransportError::Closed("1001 CANCELLED_BY_USER".into()))
        );
        drop(resps);
        assert!(matches!(relay.transmit(&[0]).await, Err(TransportError::Closed(_))));
    }
}
