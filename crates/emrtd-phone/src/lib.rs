//! A virtual phone for CI users: connects to any DocVal server as a client device, sends the
//! StartMessage, relays each command APDU (binary frame) to a virtual chip and sends back the
//! response, and collects the status frames, the result and the close code — exactly as the
//! vendor's phone SDKs do.
//!
//! [`v2`] is the phone of DocVal WebSocket API v2 (`/ws2/validate`): it reads the chip itself
//! and hands its secure-messaging session to the server for chip authentication.
//!
//! On the chip side everything is ISO 7816-4 APDUs: in v1 the phone only relays the server's
//! commands; in v2 it runs access control itself (PACE or BAC, Doc 9303-11 §4.3-§4.4), reads
//! the LDS files (Doc 9303-10) under secure messaging (Doc 9303-11 §9.8), relays the server's
//! chip authentication (Doc 9303-11 §6.2) and signs the server's active authentication
//! challenge (§6.1).
//!
//! A v2 session of the REF-1 test document against the scripted server of [`v2::scripted`]:
//!
//! ```
//! use emrtd_phone::v2::scripted::serve_one;
//! use emrtd_phone::{Access, PhoneV2Options, Platform, run_phone_v2};
//! use emrtd_sim::VirtualChip;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/documents/ref-1");
//! let mut chip = VirtualChip::load(&dir)?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let url = format!("ws://{}/ws2/validate", listener.local_addr()?);
//! let server = tokio::spawn(async move { serve_one(&listener).await });
//! let opts = PhoneV2Options::new(&url, "ci-client", Access::Can("123456".into()), Platform::Android);
//! let outcome = run_phone_v2(&mut chip, &opts).await?;
//! assert_eq!(outcome.code(), Some(1000)); // CLOSE 1000: the session ended normally
//! assert!(outcome.handed_over && outcome.result.is_some());
//! // The server got the files, the chip authentication relay and the AA signature.
//! let run = server.await?;
//! assert!(run.collected.is_some_and(|c| c.files.contains_key("sod")));
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod v2;

pub use v2::{Hostile, PhoneV2Options, PhoneV2Outcome, Platform, run_phone_v2, run_phone_v2_with};

use emrtd_sim::VirtualChip;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use thiserror::Error;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// Why a phone session could not be run to its end.
#[derive(Debug, Error)]
pub enum PhoneError {
    /// The server URL is not a valid WebSocket URL, or the `Authorization` value is not a valid
    /// header.
    #[error("bad server URL: {0}")]
    Url(String),
    /// The TCP connection or the WebSocket handshake failed.
    #[error("cannot connect: {0}")]
    Connect(String),
    /// Sending or receiving a frame failed (the connection broke before the session ended).
    #[error("WebSocket: {0}")]
    WebSocket(String),
    /// The whole session took longer than the configured session timeout.
    #[error("the session did not end within {0:?}")]
    Timeout(Duration),
    /// The CAN or MRZ given could not be turned into an access key (v2, where the phone opens the
    /// chip itself).
    #[error("access key: {0}")]
    Access(String),
}

/// The access key the phone sends.
#[derive(Clone, Debug)]
pub enum Access {
    /// The Card Access Number printed on the document (PACE only).
    Can(String),
    /// The MRZ fields the BAC/PACE key is derived from (Doc 9303-11 §4.3, §4.4).
    Mrz {
        /// Document number as in the MRZ, without its check digit.
        document_number: String,
        /// Date of birth, `YYMMDD`.
        date_of_birth: String,
        /// Date of expiry, `YYMMDD`.
        date_of_expiry: String,
    },
}

/// How the phone presents itself.
#[derive(Clone, Debug)]
pub struct PhoneOptions {
    /// `ws://host:port/ws1/validate` (the `return_result` query is added when asked).
    pub url: String,
    /// `client_id` of the StartMessage: the integration configured in the server.
    pub client_id: String,
    /// `validation_id` of the StartMessage, which the server returns as `client_validation_id` with
    /// the result.
    pub validation_id: String,
    /// The access key sent in the StartMessage (`access_key`).
    pub access: Access,
    /// Ask for the result on the socket (`?return_result=true`).
    pub return_result: bool,
    /// `android` (no maxima) or `ios` (extended length with maxima).
    pub platform: String,
    /// `nfc_adapter_supports_extended_length` of the StartMessage.
    pub extended_length: bool,
    /// `max_command_bytes` of the StartMessage: the largest command APDU the phone's NFC stack
    /// passes.
    pub max_command_bytes: Option<u32>,
    /// `max_response_bytes` of the StartMessage: the largest response APDU the phone's NFC stack
    /// passes.
    pub max_response_bytes: Option<u32>,
    /// An `Authorization` header for the handshake.
    pub authorization: Option<String>,
    /// A simulated delay per APDU (NFC + mobile network).
    pub apdu_delay: Duration,
    /// The longest the whole session may take.
    pub session_timeout: Duration,
}

impl PhoneOptions {
    /// Options for `url`, `client_id` and `access`: Android, extended length, a result asked for, a fixed
    /// validation id, no delay and a 120 s session timeout.
    pub fn new(url: &str, client_id: &str, access: Access) -> Self {
        PhoneOptions {
            url: url.to_string(),
            client_id: client_id.to_string(),
            validation_id: "00000000-0000-4000-8000-000000000000".to_string(),
            access,
            return_result: true,
            platform: "android".into(),
            extended_length: true,
            max_command_bytes: None,
            max_response_bytes: None,
            authorization: None,
            apdu_delay: Duration::ZERO,
            session_timeout: Duration::from_secs(120),
        }
    }

    /// The StartMessage, with the keys the vendor's SDKs send.
    pub fn start_message(&self) -> Value {
        let access_key = match &self.access {
            Access::Can(can) => json!({ "can": can }),
            Access::Mrz {
                document_number,
                date_of_birth,
                date_of_expiry,
            } => json!({
                "document_number": document_number,
                "date_of_birth": date_of_birth,
                "date_of_expiry": date_of_expiry,
            }),
        };
        let mut m = json!({
            "client_id": self.client_id,
            "validation_id": self.validation_id,
            "access_key": access_key,
            "nfc_adapter_supports_extended_length": self.extended_length,
            "platform": self.platform,
        });
        if let Some(obj) = m.as_object_mut() {
            if let Some(c) = self.max_command_bytes {
                obj.insert("max_command_bytes".into(), json!(c));
            }
            if let Some(r) = self.max_response_bytes {
                obj.insert("max_response_bytes".into(), json!(r));
            }
        }
        m
    }
}

/// What the phone saw.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PhoneOutcome {
    /// Status strings in the order received.
    pub statuses: Vec<String>,
    /// The `emrtd_passport` object, when the server returned it.
    pub result: Option<Value>,
    /// From the `{"close_code":…}` text frame.
    pub text_close: Option<(u16, Option<String>)>,
    /// From the close frame.
    pub close_code: Option<u16>,
    /// The close frame's reason (`None` for an empty reason).
    pub close_reason: Option<String>,
    /// Command APDUs the server relayed to the chip.
    pub apdus: u64,
    /// Bytes of those commands.
    pub bytes_to_chip: u64,
    /// Bytes of the chip's responses.
    pub bytes_from_chip: u64,
    /// For each command: the time from the phone's previous frame (the StartMessage or the
    /// previous response) to the command's arrival — the server's turnaround, in microseconds.
    pub turnaround_us: Vec<u64>,
}

impl PhoneOutcome {
    /// The close code from the close frame, or else from the text frame.
    pub fn code(&self) -> Option<u16> {
        self.close_code.or(self.text_close.as_ref().map(|t| t.0))
    }
}

/// Runs one session against a DocVal server with `chip` on the phone.
pub async fn run_phone(chip: &mut VirtualChip, opts: &PhoneOptions) -> Result<PhoneOutcome, PhoneError> {
    let timeout = opts.session_timeout;
    let mut transmit = |cmd: &[u8]| chip.transmit(cmd);
    tokio::time::timeout(timeout, run_inner(&mut transmit, &mut |_: &str| {}, opts, None))
        .await
        .map_err(|_| PhoneError::Timeout(timeout))?
}

/// Like [`run_phone`], but the chip is any synchronous `transmit` function: a PC/SC card, a
/// reader behind a local service, or a virtual chip. `transmit` gets each command APDU and
/// returns the response APDU (data || SW1 SW2); an empty answer (the card went away) is sent
/// on as is and the server ends the session.
pub async fn run_phone_with<F>(transmit: F, opts: &PhoneOptions) -> Result<PhoneOutcome, PhoneError>
where
    F: FnMut(&[u8]) -> Vec<u8> + Send,
{
    run_phone_observed(transmit, opts, |_: &str| {}).await
}

/// Like [`run_phone_with`], and `on_status` is called with each status frame as it arrives
/// (for progress displays).
pub async fn run_phone_observed<F, S>(
    mut transmit: F,
    opts: &PhoneOptions,
    mut on_status: S,
) -> Result<PhoneOutcome, PhoneError>
where
    F: FnMut(&[u8]) -> Vec<u8> + Send,
    S: FnMut(&str) + Send,
{
    let timeout = opts.session_timeout;
    tokio::time::timeout(timeout, run_inner(&mut transmit, &mut on_status, opts, None))
        .await
        .map_err(|_| PhoneError::Timeout(timeout))?
}

/// Like [`run_phone`], but `script` replaces the StartMessage with raw text frames (for
/// testing servers against broken clients); `None` in the list means "send nothing, wait".
pub async fn run_phone_scripted(
    chip: &mut VirtualChip,
    opts: &PhoneOptions,
    script: Vec<Option<String>>,
) -> Result<PhoneOutcome, PhoneError> {
    let timeout = opts.session_timeout;
    let mut transmit = |cmd: &[u8]| chip.transmit(cmd);
    tokio::time::timeout(timeout, run_inner(&mut transmit, &mut |_: &str| {}, opts, Some(script)))
        .await
        .map_err(|_| PhoneError::Timeout(timeout))?
}

async fn run_inner<F: FnMut(&[u8]) -> Vec<u8>, S: FnMut(&str)>(
    transmit: &mut F,
    on_status: &mut S,
    opts: &PhoneOptions,
    script: Option<Vec<Option<String>>>,
) -> Result<PhoneOutcome, PhoneError> {
    let url = if opts.return_result {
        if opts.url.contains('?') {
            format!("{}&return_result=true", opts.url)
        } else {
            format!("{}?return_result=true", opts.url)
        }
    } else {
        opts.url.clone()
    };
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| PhoneError::Url(e.to_string()))?;
    if let Some(auth) = &opts.authorization {
        let v = HeaderValue::from_str(auth).map_err(|e| PhoneError::Url(e.to_string()))?;
        request.headers_mut().insert("Authorization", v);
    }
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| PhoneError::Connect(e.to_string()))?;
    match script {
        None => {
            let start = opts.start_message().to_string();
            ws.send(Message::Text(start.into()))
                .await
                .map_err(|e| PhoneError::WebSocket(e.to_string()))?;
        }
        Some(frames) => {
            for f in frames.into_iter().flatten() {
                ws.send(Message::Text(f.into()))
                    .await
                    .map_err(|e| PhoneError::WebSocket(e.to_string()))?;
            }
        }
    }
    let mut out = PhoneOutcome::default();
    let mut last_sent = Some(std::time::Instant::now());
    while let Some(msg) = ws.next().await {
        let msg = match msg {
            Ok(m) => m,
            Err(e) => {
                // A connection dropped after the close text frame is a normal end for the
                // iOS SDK; report what we have.
                if out.text_close.is_some() {
                    break;
                }
                return Err(PhoneError::WebSocket(e.to_string()));
            }
        };
        match msg {
            Message::Binary(cmd) => {
                if let Some(t) = last_sent.take() {
                    out.turnaround_us.push(t.elapsed().as_micros() as u64);
                }
                if !opts.apdu_delay.is_zero() {
                    tokio::time::sleep(opts.apdu_delay).await;
                }
                out.apdus += 1;
                out.bytes_to_chip += cmd.len() as u64;
                let resp = transmit(&cmd);
                out.bytes_from_chip += resp.len() as u64;
                ws.send(Message::Binary(resp.into()))
                    .await
                    .map_err(|e| PhoneError::WebSocket(e.to_string()))?;
                last_sent = Some(std::time::Instant::now());
            }
            Message::Text(t) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
                if let Some(s) = v.get("status").and_then(Value::as_str) {
                    on_status(s);
                    out.statuses.push(s.to_string());
                }
                if let Some(p) = v.get("emrtd_passport") {
                    out.result = Some(p.clone());
                }
                if let Some(c) = v.get("close_code").and_then(Value::as_u64) {
                    let reason = v.get("close_reason").and_then(Value::as_str).map(str::to_string);
                    out.text_close = Some((u16::try_from(c).unwrap_or(0), reason));
                }
            }
            Message::Close(frame) => {
                if let Some(f) = frame {
                    out.close_code = Some(u16::from(f.code));
                    out.close_reason = Some(f.reason.to_string()).filter(|r| !r.is_empty());
                }
                break;
            }
            _ => {}
        }
    }
    Ok(out)
}
