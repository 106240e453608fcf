//! One DocVal WebSocket session: StartMessage, the reading relayed through the phone, the
//! result POST, and the close with the documented code and reason.

use crate::AppState;
use crate::metrics::Metrics;
use crate::protocol::{CloseReason, StartMessage};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use bytes::Bytes;
use emrtd_reader::{ReadFailure, ReaderConfig, read_document, to_emrtd_passport};
use emrtd_result::{ResultFrame, ResultPost};
use emrtd_transport::relay::{Frame, FrameChannel, RelayTransport};
use emrtd_transport::{LinkLimits, TransportError};
use futures_util::FutureExt;
use serde::Serialize;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;
use zeroize::{Zeroize, Zeroizing};

/// The server side of the WebSocket as a frame channel.
pub struct WsChannel {
    socket: WebSocket,
    #[cfg(feature = "fault-injection")]
    chip_response_hook: Option<fn(&[u8])>,
}

/// Wipes a received frame's buffer when this is its only reference (the copy handed on is
/// the caller's to wipe).
fn wipe(bytes: Bytes) {
    if let Ok(mut b) = bytes.try_into_mut() {
        b.as_mut().zeroize();
    }
}

impl FrameChannel for WsChannel {
    async fn send_binary(&mut self, data: Vec<u8>) -> Result<(), TransportError> {
        self.socket
            .send(Message::Binary(data.into()))
            .await
            .map_err(|e| TransportError::Io(e.to_string()))
    }

    async fn send_text(&mut self, text: String) -> Result<(), TransportError> {
        self.socket
            .send(Message::Text(text.into()))
            .await
            .map_err(|e| TransportError::Io(e.to_string()))
    }

    async fn recv(&mut self) -> Option<Result<Frame, TransportError>> {
        loop {
            return match self.socket.recv().await? {
                Err(e) => Some(Err(TransportError::Io(e.to_string()))),
                Ok(Message::Binary(b)) => {
                    #[cfg(feature = "fault-injection")]
                    if let Some(hook) = self.chip_response_hook {
                        hook(&b);
                    }
                    Some(Ok(Frame::Binary(b.to_vec())))
                }
                Ok(Message::Text(t)) => {
                    let text = t.as_str().to_owned();
                    wipe(Bytes::from(t));
                    Some(Ok(Frame::Text(text)))
                }
                Ok(Message::Close(c)) => Some(Ok(Frame::Close(c.map(|c| (c.code, c.reason.to_string()))))),
                Ok(Message::Ping(_)) | Ok(Message::Pong(_)) => continue,
            };
        }
    }
}

fn failure_reason(f: &ReadFailure) -> CloseReason {
    match f {
        ReadFailure::AccessControl(_) => CloseReason::AccessControlFailed,
        ReadFailure::FileRead { .. } => CloseReason::FileReadError,
        ReadFailure::Transport(TransportError::Timeout) => CloseReason::TimeoutWhileWaitingForResponse,
        ReadFailure::Transport(TransportError::UnexpectedMessage(_)) => CloseReason::UnexpectedMessage,
        ReadFailure::Transport(_) => CloseReason::CommunicationFailed,
        ReadFailure::Reader(_) => CloseReason::EmrtdPassportReaderError,
    }
}

/// Releases the session's slot (counted in `sessions_active` before the upgrade) however the
/// session ends, a panic included.
pub(crate) struct Slot<'a>(pub(crate) &'a Metrics);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.sessions_active.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Serialises `value` as JSON into a buffer that is wiped on drop. The length is measured
/// first so that the buffer is allocated once: a growing `Vec` would leave copies of the
/// passport data in the memory it frees on each reallocation.
pub fn to_json_zeroizing<T: Serialize>(value: &T) -> Result<Zeroizing<Vec<u8>>, serde_json::Error> {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value)?;
    let mut out = Zeroizing::new(Vec::with_capacity(count.0));
    serde_json::to_writer(&mut *out, value)?;
    Ok(out)
}

fn failure_category(f: &ReadFailure) -> &'static str {
    match f {
        ReadFailure::AccessControl(_) => "access control",
        ReadFailure::FileRead { .. } => "file read",
        ReadFailure::Transport(TransportError::Timeout) => "transport: timeout",
        ReadFailure::Transport(TransportError::UnexpectedMessage(_)) => "transport: unexpected message",
        ReadFailure::Transport(TransportError::Closed(_)) => "transport: closed",
        ReadFailure::Transport(_) => "transport",
        ReadFailure::Reader(_) => "reader",
    }
}

/// Runs a session to its end and closes the socket. A panic inside the session closes it with
/// SERVER_ERROR; the slot is released in every case.
pub async fn run(socket: WebSocket, state: Arc<AppState>, return_result: bool) {
    let metrics = &state.metrics;
    let _slot = Slot(metrics);
    metrics.sessions_started.fetch_add(1, Ordering::Relaxed);
    let mut ch = WsChannel {
        socket,
        #[cfg(feature = "fault-injection")]
        chip_response_hook: state.chip_response_hook,
    };
    let started = Instant::now();
    let session = AssertUnwindSafe(body(&mut ch, &state, return_result)).catch_unwind();
    let reason = match tokio::time::timeout(state.config.timeouts.session, session).await {
        Ok(Ok(r)) => r,
        Ok(Err(_panic)) => {
            // The payload is not logged: it may quote client or passport data.
            tracing::error!("session panicked");
            CloseReason::ServerError
        }
        Err(_) => CloseReason::MaxSessionTimeExceeded,
    };
    close(&mut ch, reason).await;
    metrics.outcome(reason);
    tracing::info!(
        close_code = reason.code(),
        reason = reason.label(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "session closed"
    );
}

async fn close(ch: &mut WsChannel, reason: CloseReason) {
    let _ = ch.socket.send(Message::Text(reason.text_frame().into())).await;
    let frame = CloseFrame {
        code: reason.code(),
        reason: reason.phrase().unwrap_or("").into(),
    };
    let _ = ch.socket.send(Message::Close(Some(frame))).await;
    // Give the client a moment to acknowledge the close.
    let _ = tokio::time::timeout(std::time::Duration::from_millis(500), async {
        while let Some(Ok(m)) = ch.socket.recv().await {
            if matches!(m, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

async fn body(ch: &mut WsChannel, state: &AppState, return_result: bool) -> CloseReason {
    let cfg = &state.config;
    // 1. The StartMessage.
    let text = match tokio::time::timeout(cfg.timeouts.start_message, ch.recv()).await {
        Err(_) => return CloseReason::TimeoutWhileWaitingForStartMessage,
        Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Frame::Close(_)))) => return CloseReason::CommunicationFailed,
        Ok(Some(Ok(Frame::Binary(_)))) => return CloseReason::UnexpectedMessage,
        Ok(Some(Ok(Frame::Text(t)))) => Zeroizing::new(t),
    };
    let mut start = match StartMessage::parse(&text) {
        Ok(s) => s,
        Err(r) => return r,
    };
    drop(text);
    let Some(client) = cfg.client(&start.client_id) else {
        return CloseReason::InvalidClientId;
    };
    let key = match start.access_key() {
        Ok(k) => k,
        Err(r) => return r,
    };
    tracing::info!(
        server = %cfg.server_name,
        platform = start.platform_category(),
        extended = start.nfc_adapter_supports_extended_length,
        "session started"
    );

    // 2. The reading, relayed through the phone.
    let max_cmd = start.max_command_bytes.map(|v| v as usize);
    let max_resp = start.max_response_bytes.map(|v| v as usize);
    let reader_cfg = ReaderConfig {
        read_atr_info: start.nfc_adapter_supports_extended_length && max_cmd.is_none() && max_resp.is_none(),
        extended_length: start.nfc_adapter_supports_extended_length,
        max_command_bytes: max_cmd,
        max_response_bytes: max_resp,
        bac_fallback: cfg.bac_fallback,
        pa_options: emrtd_pa::PaOptions {
            at: Some(now_unix()),
            ..Default::default()
        },
        ..ReaderConfig::default()
    };
    let limits = LinkLimits {
        extended_length: start.nfc_adapter_supports_extended_length,
        max_command_bytes: max_cmd,
        max_response_bytes: max_resp,
    };
    let mut relay = RelayTransport::new(&mut *ch, cfg.timeouts.response, limits);
    let mut rng = emrtd_crypto::rng::os_rng();
    let reading = read_document(&mut relay, &key, &state.trust, &reader_cfg, &mut rng).await;
    let (sent, received) = relay.bytes();
    state.metrics.apdus.fetch_add(relay.round_trips(), Ordering::Relaxed);
    state.metrics.apdu_bytes_sent.fetch_add(sent, Ordering::Relaxed);
    state.metrics.apdu_bytes_received.fetch_add(received, Ordering::Relaxed);
    for s in &reading.steps {
        state.metrics.step(s.step.status(), s.elapsed);
    }
    if let Some(f) = &reading.failure {
        // A category only: the failure's text can quote what the phone sent.
        let reason = failure_reason(f);
        tracing::warn!(
            failure = failure_category(f),
            close_reason = reason.label(),
            "reading failed"
        );
        return reason;
    }

    // 3. The result: POSTed to the result server, returned to the client when asked.
    let passport = to_emrtd_passport(&reading, cfg.include_binary_files);
    drop(reading);
    let post = ResultPost {
        emrtd_passport: passport,
        client_validation_id: std::mem::take(&mut start.validation_id),
    };
    drop(start);
    if let Some(url) = &client.result_server_url {
        let Ok(body) = to_json_zeroizing(&post) else {
            return CloseReason::ServerError;
        };
        match crate::post::post_result(&state.http, url, body, &cfg.post, cfg.result_signing.as_ref()).await {
            Ok(attempts) => {
                state.metrics.result_posts.fetch_add(1, Ordering::Relaxed);
                tracing::info!(attempts, "result delivered");
            }
            Err(f) => {
                state.metrics.result_post_failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(attempts = f.attempts, error = %f.last_error, "result POST failed");
                return CloseReason::PostToResultServerFailed;
            }
        }
    }
    if return_result {
        let frame = ResultFrame {
            emrtd_passport: post.emrtd_passport,
        };
        let Ok(json) = to_json_zeroizing(&frame) else {
            return CloseReason::ServerError;
        };
        // Sent without a copy; the buffer is wiped when the socket lets go of it.
        let Ok(text) = Utf8Bytes::try_from(Bytes::from_owner(json)) else {
            return CloseReason::ServerError;
        };
        if ch.socket.send(Message::Text(text)).await.is_err() {
            return CloseReason::CommunicationFailed;
        }
    }
    CloseReason::Done
}

pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::to_json_zeroizing;

    #[test]
    fn zeroizing_json_is_exact_and_allocated_once() {
        let value = serde_json::json!({
            "emrtd_passport": {"face_photo": "A".repeat(50_000), "mrz_info": {"document_number": "C01X00T47"}},
            "client_validation_id": "00000000-0000-4000-8000-000000000000",
        });
        let json = to_json_zeroizing(&value).unwrap();
        assert_eq!(*json, serde_json::to_vec(&value).unwrap());
        // One allocation of the exact size: no reallocation left a copy behind.
        assert_eq!(json.capacity(), json.len());
    }
}
