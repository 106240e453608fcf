//! One DocVal v2 session (`/ws2/validate`): the socket and the clock around
//! [`docval_protocol::v2::server::ServerSession`], then verification of what the phone uploaded
//! (the same rules as v1's reading engine), the result POST exactly as v1, RESULT when FINISH
//! asks for it, and the CLOSE message before the close frame.

use crate::AppState;
use crate::protocol::CloseReason;
use crate::session::{Slot, to_json_zeroizing};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use bytes::Bytes;
use docval_protocol::v2::server::{Collected, Event, Limits, Outgoing, RelayedCa, ServerSession, Timer};
use emrtd_reader::uploaded::{RemoteChipAuthentication, UploadedDocument, verify_uploaded};
use emrtd_reader::{Reading, to_emrtd_passport};
use emrtd_result::ResultPost;
use futures_util::FutureExt;
use rand_core::Rng;
use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use zeroize::{Zeroize, Zeroizing};

/// Largest RESULT message: under iOS's default `maximumMessageSize` of 1 MiB (notes §2).
pub const MAX_RESULT_BYTES: usize = (1 << 20) - 1024;

/// Runs a v2 session to its end and closes the socket.
pub async fn run(mut socket: WebSocket, state: Arc<AppState>) {
    let metrics = &state.metrics;
    let _slot = Slot(metrics);
    metrics.sessions_started.fetch_add(1, Ordering::Relaxed);
    metrics.sessions_v2.fetch_add(1, Ordering::Relaxed);
    let started = Instant::now();
    let session = AssertUnwindSafe(body(&mut socket, &state)).catch_unwind();
    let reason = match tokio::time::timeout(state.config.timeouts.v2_session, session).await {
        Ok(Ok(r)) => r,
        Ok(Err(_panic)) => {
            tracing::error!(protocol = "v2", "session panicked");
            CloseReason::ServerError
        }
        Err(_) => CloseReason::MaxSessionTimeExceeded,
    };
    close(&mut socket, reason).await;
    metrics.outcome(reason);
    tracing::info!(
        protocol = "v2",
        close_code = reason.code(),
        reason = reason.label(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "session closed"
    );
}

/// CLOSE, then the close frame with the same code and reason (§5.1). A client that has gone
/// (fire-and-forget FINISH, E14) makes both sends fail, which is not an error.
async fn close(socket: &mut WebSocket, reason: CloseReason) {
    let _ = socket.send(Message::Text(reason.close_message().into())).await;
    let frame = CloseFrame {
        code: reason.code(),
        reason: reason.phrase().unwrap_or("").into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
    let _ = tokio::time::timeout(Duration::from_millis(500), async {
        while let Some(Ok(m)) = socket.recv().await {
            if matches!(m, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

async fn send(socket: &mut WebSocket, out: Outgoing) -> Result<(), CloseReason> {
    let msg = match out {
        Outgoing::Text(t) => Message::Text(t.as_str().into()),
        Outgoing::Binary(b) => Message::Binary(Bytes::copy_from_slice(&b)),
    };
    socket.send(msg).await.map_err(|_| CloseReason::CommunicationFailed)
}

fn wipe(bytes: Bytes) {
    if let Ok(mut b) = bytes.try_into_mut() {
        b.as_mut().zeroize();
    }
}

async fn body(socket: &mut WebSocket, state: &AppState) -> CloseReason {
    let cfg = &state.config;
    let mut rng = emrtd_crypto::rng::os_rng();
    let mut challenge = [0u8; 8];
    rng.fill_bytes(&mut challenge);
    let mut session = ServerSession::new(challenge, Limits::default());
    let mut relay_started: Option<Instant> = None;
    loop {
        let wait = match session.timer() {
            Timer::Start => cfg.timeouts.start_message,
            Timer::Reading => cfg.timeouts.v2_reading,
            Timer::Response => cfg.timeouts.response,
            Timer::None => cfg.timeouts.v2_session,
        };
        let events = match tokio::time::timeout(wait, socket.recv()).await {
            Err(_) => session.on_timeout(),
            // The client went away (E4/E5/E12/E16): nothing to report.
            Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return CloseReason::CommunicationFailed,
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(Some(Ok(Message::Text(t)))) => {
                let ev = session.on_text(t.as_str(), &mut rng);
                wipe(Bytes::from(t));
                ev
            }
            Ok(Some(Ok(Message::Binary(b)))) => {
                let ev = session.on_binary(&b, &mut rng);
                wipe(b);
                ev
            }
        };
        let mut queue = std::collections::VecDeque::from(events);
        while let Some(event) = queue.pop_front() {
            match event {
                Event::Send(out) => {
                    if matches!(out, Outgoing::Binary(ref b) if b.first() == Some(&0x02)) {
                        relay_started.get_or_insert_with(Instant::now);
                        state.metrics.apdus.fetch_add(1, Ordering::Relaxed);
                    }
                    if let Err(r) = send(socket, out).await {
                        return r;
                    }
                }
                Event::Started => {
                    let Some(start) = session.start() else {
                        return CloseReason::ServerError;
                    };
                    if cfg.client(&start.client_id).is_none() {
                        return CloseReason::InvalidClientId;
                    }
                    tracing::info!(
                        protocol = "v2",
                        server = %state.config.server_name,
                        platform = start.platform_category(),
                        extended = start.nfc_adapter_supports_extended_length,
                        diagnostics = start.enable_diagnostics,
                        "session started"
                    );
                    queue.extend(session.accept());
                }
                Event::Monitoring(step) => match step {
                    Some(step) => tracing::info!(protocol = "v2", %step, "monitoring"),
                    // Free text may quote passport data: only that it came.
                    None => tracing::info!(protocol = "v2", "monitoring message (text withheld)"),
                },
                Event::Finished(collected) => {
                    if let Some(t) = relay_started {
                        state.metrics.step("CHIP_AUTHENTICATION", t.elapsed());
                    }
                    return finish(socket, state, *collected, false).await;
                }
                Event::ChipAuthenticationFailed(collected) => {
                    tracing::warn!(protocol = "v2", "chip authentication failed in the relay");
                    return finish(socket, state, *collected, true).await;
                }
                Event::Close(reason) => return reason,
            }
        }
    }
}

/// The files a phone uploaded, sorted into what verification reads. Unknown names were
/// stored within the limits and are ignored here.
fn uploaded(c: &mut Collected) -> UploadedDocument {
    let mut data_groups = BTreeMap::new();
    let mut sod = None;
    let mut card_security = None;
    for (name, data) in std::mem::take(&mut c.files) {
        match name.as_str() {
            "sod" => sod = Some(data),
            "cardsecurity" | "card_security" => card_security = Some(data),
            n => {
                if let Some(dg) = n
                    .strip_prefix("dg")
                    .filter(|d| !d.starts_with('0'))
                    .and_then(|d| d.parse::<u8>().ok())
                    .filter(|d| (1..=16).contains(d))
                {
                    data_groups.insert(dg, data);
                }
            }
        }
    }
    UploadedDocument {
        sod,
        data_groups,
        verifier_dg1: c.server_dg1.take(),
        card_security,
        chip_authentication: match &c.chip_authentication {
            RelayedCa::NotRequested => RemoteChipAuthentication::NotPerformed,
            RelayedCa::Confirmed => RemoteChipAuthentication::Confirmed,
            RelayedCa::NoChipAuthenticationKey(why) => RemoteChipAuthentication::NoKey(why.clone()),
            RelayedCa::Failed(why) => RemoteChipAuthentication::Failed(why.clone()),
        },
        aa_challenge: c.challenge,
        aa_signature: c.aa_signature.take(),
    }
}

fn verify(state: &AppState, c: &mut Collected) -> Reading {
    let opts = emrtd_pa::PaOptions {
        at: Some(crate::session::now_unix()),
        ..Default::default()
    };
    verify_uploaded(uploaded(c), &state.trust, &opts)
}

/// Verification, the POST, RESULT (when asked) and the close reason.
async fn finish(socket: &mut WebSocket, state: &AppState, mut c: Collected, ca_failed: bool) -> CloseReason {
    let cfg = &state.config;
    let t0 = Instant::now();
    let reading = verify(state, &mut c);
    state.metrics.step("PASSIVE_AUTHENTICATION", t0.elapsed());
    let passport = to_emrtd_passport(&reading, cfg.include_binary_files);
    drop(reading);
    let post = ResultPost {
        emrtd_passport: passport,
        client_validation_id: std::mem::take(&mut c.start.validation_id),
    };
    let Some(client) = cfg.client(&c.start.client_id) else {
        return CloseReason::InvalidClientId;
    };
    let mut reason = if ca_failed {
        CloseReason::EmrtdPassportReaderError
    } else {
        CloseReason::Done
    };
    if let Some(url) = &client.result_server_url {
        let Ok(body) = to_json_zeroizing(&post) else {
            return CloseReason::ServerError;
        };
        match crate::post::post_result(&state.http, url, body, &cfg.post, cfg.result_signing.as_ref()).await {
            Ok(attempts) => {
                state.metrics.result_posts.fetch_add(1, Ordering::Relaxed);
                tracing::info!(protocol = "v2", attempts, "result delivered");
            }
            Err(f) => {
                state.metrics.result_post_failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(protocol = "v2", attempts = f.attempts, error = %f.last_error, "result POST failed");
                if !ca_failed {
                    reason = CloseReason::PostToResultServerFailed;
                }
            }
        }
    }
    // RESULT before CLOSE, also after a failed POST (E13: both clients accept it then).
    if c.send_result && !ca_failed {
        let mut passport = emrtd_result::v2::to_v2_passport(&post.emrtd_passport);
        drop(post);
        if !emrtd_result::v2::fit_v2_passport(&mut passport, MAX_RESULT_BYTES) {
            emrtd_result::v2::wipe(&mut passport);
            return CloseReason::ServerError;
        }
        let mut message = serde_json::json!({"type": "RESULT", "passport": passport});
        let json = to_json_zeroizing(&message);
        emrtd_result::v2::wipe(&mut message);
        let Ok(json) = json else {
            return CloseReason::ServerError;
        };
        let Ok(text) = Utf8Bytes::try_from(Bytes::from_owner(json)) else {
            return CloseReason::ServerError;
        };
        // A phone that already left (fire-and-forget) cannot take it: the POST stands.
        if socket.send(Message::Text(text)).await.is_ok() {
            // iOS handles each frame in its own task: let RESULT be taken before CLOSE.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let _ = Zeroizing::new(std::mem::take(&mut c.start.client_id));
    reason
}
