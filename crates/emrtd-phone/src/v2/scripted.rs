//! A scripted v2 server for tests of phones and tools without docval-server: a WebSocket
//! server on a given listener, driven by [`docval_protocol::v2::server::ServerSession`] (the
//! pure state machine docval-server uses). It sends ACCEPT after START, relays the chip
//! authentication, and after FINISH sends a stub RESULT (when asked) and CLOSE 1000; after a
//! failed chip authentication CLOSE `EMRTD_PASSPORT_READER_ERROR`. It verifies nothing: the
//! test looks at [`ScriptedRun::collected`].

use docval_protocol::CloseReason;
use docval_protocol::v2::server::{Collected, Event, Limits, Outgoing, ServerSession, Timer};
use futures_util::{SinkExt, StreamExt};
use rand_core::Rng;
use std::collections::VecDeque;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

/// What the scripted server saw in one session.
#[derive(Debug, Default)]
pub struct ScriptedRun {
    /// What FINISH (or the failed chip authentication) handed over.
    pub collected: Option<Box<Collected>>,
    /// The state machine emitted `ChipAuthenticationFailed`.
    pub ca_failed: bool,
    /// MONITORING steps (`None` for free text).
    pub monitoring: Vec<Option<String>>,
    /// How the server closed.
    pub close: Option<CloseReason>,
    /// The phone closed (or dropped) the connection first.
    pub client_closed: bool,
    /// The handshake failed.
    pub handshake_error: Option<String>,
}

/// The server's timeouts ([`Timer`] of the state machine).
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// How long to wait for START after the upgrade.
    pub start: Duration,
    /// How long the phone may read the chip locally before its next message.
    pub reading: Duration,
    /// How long to wait for the answer to a relayed APDU.
    pub response: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            start: Duration::from_secs(30),
            reading: Duration::from_secs(90),
            response: Duration::from_secs(10),
        }
    }
}

/// The RESULT stub sent when FINISH asks for it.
pub fn stub_result() -> String {
    serde_json::json!({
        "type": "RESULT",
        "passport": {"chipAuthenticationResult": "UNAVAILABLE", "activeAuthenticationResult": "UNAVAILABLE", "errors": []},
    })
    .to_string()
}

/// Accepts one connection on `listener` and runs a session on it.
pub async fn serve_one(listener: &TcpListener) -> ScriptedRun {
    serve_one_with(listener, Timeouts::default()).await
}

/// [`serve_one`] with other timeouts.
pub async fn serve_one_with(listener: &TcpListener, timeouts: Timeouts) -> ScriptedRun {
    match listener.accept().await {
        Ok((tcp, _)) => serve_connection_with(tcp, timeouts).await,
        Err(e) => ScriptedRun {
            handshake_error: Some(e.to_string()),
            ..ScriptedRun::default()
        },
    }
}

/// Serves every connection on `listener` (each in its own task) until the task is dropped.
pub async fn serve_forever(listener: TcpListener) {
    while let Ok((tcp, _)) = listener.accept().await {
        tokio::spawn(serve_connection(tcp));
    }
}

/// Runs one session on an accepted TCP connection.
pub async fn serve_connection(tcp: TcpStream) -> ScriptedRun {
    serve_connection_with(tcp, Timeouts::default()).await
}

/// [`serve_connection`] with other timeouts.
pub async fn serve_connection_with(tcp: TcpStream, timeouts: Timeouts) -> ScriptedRun {
    let mut run = ScriptedRun::default();
    let mut ws = match tokio_tungstenite::accept_async(tcp).await {
        Ok(ws) => ws,
        Err(e) => {
            run.handshake_error = Some(e.to_string());
            return run;
        }
    };
    let mut rng = emrtd_crypto::rng::os_rng();
    let mut challenge = [0u8; 8];
    rng.fill_bytes(&mut challenge);
    let mut session = ServerSession::new(challenge, Limits::default());
    loop {
        let wait = match session.timer() {
            Timer::Start => timeouts.start,
            Timer::Reading => timeouts.reading,
            Timer::Response => timeouts.response,
            Timer::None => Duration::from_secs(3600),
        };
        let msg = match tokio::time::timeout(wait, ws.next()).await {
            Err(_) => None,
            Ok(Some(Ok(msg))) => Some(msg),
            Ok(_) => {
                run.client_closed = true;
                break;
            }
        };
        let events = match msg {
            None => session.on_timeout(),
            Some(msg) => match msg {
                Message::Text(t) => session.on_text(t.as_str(), &mut rng),
                Message::Binary(b) => session.on_binary(&b, &mut rng),
                Message::Close(_) => {
                    run.client_closed = true;
                    break;
                }
                _ => continue,
            },
        };
        let mut queue: VecDeque<Event> = events.into();
        let mut close = None;
        while let Some(ev) = queue.pop_front() {
            match ev {
                Event::Started => queue.extend(session.accept()),
                Event::Send(Outgoing::Text(t)) => {
                    let _ = ws.send(Message::Text(t.as_str().into())).await;
                }
                Event::Send(Outgoing::Binary(b)) => {
                    let _ = ws.send(Message::Binary(b.to_vec().into())).await;
                }
                Event::Monitoring(step) => run.monitoring.push(step),
                Event::Finished(c) => {
                    if c.send_result {
                        let _ = ws.send(Message::Text(stub_result().into())).await;
                    }
                    run.collected = Some(c);
                    close = Some(CloseReason::Done);
                }
                Event::ChipAuthenticationFailed(c) => {
                    run.ca_failed = true;
                    run.collected = Some(c);
                    close = Some(CloseReason::EmrtdPassportReaderError);
                }
                Event::Close(r) => close = Some(r),
            }
        }
        if let Some(r) = close {
            run.close = Some(r);
            let _ = ws.send(Message::Text(r.close_message().into())).await;
            let _ = ws
                .close(Some(CloseFrame {
                    code: r.code().into(),
                    reason: r.phrase().unwrap_or("").into(),
                }))
                .await;
            while let Some(Ok(_)) = ws.next().await {}
            break;
        }
    }
    run
}
