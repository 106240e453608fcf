//! The phone side of DocVal WebSocket API v2 (`/ws2/validate`), as the vendor's Android and
//! iOS SDKs behave (v2 notes §3-§4): START, ACCEPT with the active-authentication challenge,
//! access control and file reading on the phone, FILE `dg14` + CA_HANDOVER with the live
//! secure-messaging session, relaying the server's APDUs to the chip, FILE `dg1` and
//! CA_HANDBACK with the new keys, active authentication over the server's challenge, the
//! remaining files, FINISH; then RESULT, the CLOSE message and the close frame.
//!
//! Hostile knobs ([`Hostile`]) make the phone misbehave the ways an attacker's phone could, for
//! the server's security tests.

pub mod scripted;

use crate::{Access, PhoneError};
use base64::Engine;
use docval_protocol::v2::frame::{BinaryFrame, apdu_frame, file_frame};
use docval_protocol::v2::message::{CaHandover, CheckResult, ClientMessage, Finish, Monitoring, Start};
use docval_protocol::v2::{SecureMessagingInfo, ServerMessage};
use emrtd_reader::channel::ChannelError;
use emrtd_reader::files::FileError;
use emrtd_reader::{AccessKey, AccessProtocol, ReadFailure, ReaderConfig, listed_data_groups, open_session};
use emrtd_sim::VirtualChip;
use emrtd_transport::{LinkLimits, SyncChipTransport, Transport};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use zeroize::Zeroizing;

/// Which vendor SDK the phone imitates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Platform {
    /// Android 2.x: `"android"`, appends `?return_result=true` when a result is wanted,
    /// uploads every data group it read with `sod` last, omits a missing AA signature,
    /// closes with its own reason on local errors.
    #[default]
    Android,
    /// iOS 2.x: `"iOS"`, pings at connect, claims extended length, uploads only `sod`, `dg1`,
    /// `dg2`, `dg7`, `dg11`, `dg12`, `dg14`, `dg15` (in name order), sends
    /// `"activeAuthenticationSignature":null`, closes with 1000 on local errors.
    Ios,
}

impl Platform {
    /// The `platform` of START.
    pub fn start_name(self) -> &'static str {
        match self {
            Platform::Android => "android",
            Platform::Ios => "iOS",
        }
    }

    /// From a command-line word (`android`, `ios`; case-insensitive).
    pub fn from_name(name: &str) -> Option<Platform> {
        if name.eq_ignore_ascii_case("android") {
            Some(Platform::Android)
        } else if name.eq_ignore_ascii_case("ios") {
            Some(Platform::Ios)
        } else {
            None
        }
    }
}

/// A close the phone makes itself: code and reason phrase (v2 notes §5.2).
pub type ClientCloseReason = (u16, &'static str);
/// The server broke the protocol (an unexpected message or frame, no CA_HANDBACK in time).
pub const PROTOCOL_ERROR: ClientCloseReason = (1008, "PROTOCOL_ERROR");
/// Access control with the CAN/MRZ failed on the phone (a wrong key).
pub const ACCESS_CONTROL_FAILED: ClientCloseReason = (4403, "ACCESS_CONTROL_FAILED");
/// The chip stopped answering (taken off the phone, link lost).
pub const NFC_CHIP_COMMUNICATION_FAILED: ClientCloseReason = (1001, "NFC_CHIP_COMMUNICATION_FAILED");
/// Any other local reading failure (a file the chip refuses, no secure messaging to hand over).
pub const EMRTD_PASSPORT_READER_ERROR: ClientCloseReason = (1011, "EMRTD_PASSPORT_READER_ERROR");

/// The files iOS uploads (v2 notes §3.1).
const IOS_FILES: [&str; 8] = ["sod", "dg1", "dg2", "dg7", "dg11", "dg12", "dg14", "dg15"];

/// Ways to misbehave, for the server's security tests. All off by default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hostile {
    /// Never upload `dg14` and never hand over (a clone hiding its missing key).
    pub withhold_dg14: bool,
    /// Upload a DG1 with one MRZ character changed. With chip authentication the phone reads
    /// DG1 before the handover and uploads it before `dg14`/CA_HANDOVER.
    pub tamper_dg1: bool,
    /// Flip a byte of the active-authentication signature.
    pub forge_aa_signature: bool,
    /// Do no active authentication (FINISH without a signature).
    pub skip_aa: bool,
    /// Close the socket right after FINISH without waiting for RESULT or CLOSE.
    pub fire_and_forget: bool,
    /// Read everything with the BAC/PACE session; never hand over, even with DG14.
    pub no_ca: bool,
    /// Protocol errors (the server should close 1008 `PROTOCOL_ERROR`): CA_HANDOVER without
    /// FILE `dg14` before it,
    pub handover_without_dg14: bool,
    /// FINISH right after CA_HANDOVER, before CA_HANDBACK,
    pub finish_before_handback: bool,
    /// and `sod` uploaded twice.
    pub duplicate_file: bool,
}

/// How the v2 phone presents itself.
#[derive(Clone, Debug)]
pub struct PhoneV2Options {
    /// `ws://host:port/ws2/validate`.
    pub url: String,
    /// `clientId` of START: the integration configured in the server.
    pub client_id: String,
    /// `validationId` of START, which the server returns as `client_validation_id` with the result.
    pub validation_id: String,
    /// CAN or MRZ: used locally only, never sent.
    pub access: Access,
    /// The SDK whose behaviour is imitated.
    pub platform: Platform,
    /// FINISH `sendResult`: ask for RESULT.
    pub send_result: bool,
    /// Append `?return_result=true` to the URL; `None` does what the platform does (Android
    /// when `send_result`, iOS never).
    pub return_result_query: Option<bool>,
    /// START `nfcAdapterSupportsExtendedLength` (iOS always claims it). Extended length is
    /// used when this is set and the chip announces it in EF.ATR/INFO.
    pub nfc_extended_length: bool,
    /// START `enableDiagnostics`; MONITORING `Step: …` frames are sent at each step.
    pub enable_diagnostics: bool,
    /// An `Authorization` header for the handshake.
    pub authorization: Option<String>,
    /// Simulated network delay for each phone → server message the phone waits an answer
    /// for (START, CA_HANDOVER, each relayed APDU response): one round trip of the link.
    pub link_delay: Duration,
    /// Time the phone spends reading the chip locally after ACCEPT before its first upload
    /// (the user presenting the document, NFC reading): sessions then sit idle on the server
    /// in the reading phase, as real v2 sessions do (load tests).
    pub local_reading_delay: Duration,
    /// The longest the whole session may take.
    pub session_timeout: Duration,
    /// How long to wait for CA_HANDBACK after CA_HANDOVER (Android: 20 s, then it closes
    /// with PROTOCOL_ERROR).
    pub handback_timeout: Duration,
    /// Ping right after the upgrade and require the pong within 3 s (iOS does).
    pub ping_at_connect: bool,
    /// iOS before 2.13: after a local error (wrong CAN/MRZ, chip gone) the phone neither
    /// closes nor sends anything; only the server's timeout ends the session.
    pub legacy_ios_no_close_on_error: bool,
    /// Ways to misbehave (all off by default).
    pub hostile: Hostile,
}

impl PhoneV2Options {
    /// The options of `platform`'s SDK with default settings: a result is asked for.
    pub fn new(url: &str, client_id: &str, access: Access, platform: Platform) -> Self {
        PhoneV2Options {
            url: url.to_string(),
            client_id: client_id.to_string(),
            validation_id: "00000000-0000-4000-8000-000000000000".to_string(),
            access,
            platform,
            send_result: true,
            return_result_query: None,
            nfc_extended_length: platform == Platform::Ios,
            enable_diagnostics: false,
            authorization: None,
            link_delay: Duration::ZERO,
            local_reading_delay: Duration::ZERO,
            session_timeout: Duration::from_secs(120),
            handback_timeout: Duration::from_secs(20),
            ping_at_connect: platform == Platform::Ios,
            legacy_ios_no_close_on_error: false,
            hostile: Hostile::default(),
        }
    }

    /// The START message.
    pub fn start_message(&self) -> ClientMessage {
        ClientMessage::Start(Start {
            validation_id: self.validation_id.clone(),
            client_id: self.client_id.clone(),
            platform: self.platform.start_name().to_string(),
            nfc_adapter_supports_extended_length: self.nfc_extended_length || self.platform == Platform::Ios,
            enable_diagnostics: self.enable_diagnostics,
        })
    }

    fn connect_url(&self) -> String {
        let append = self
            .return_result_query
            .unwrap_or(self.platform == Platform::Android && self.send_result);
        if !append || self.url.to_ascii_lowercase().contains("return_result=true") {
            return self.url.clone();
        }
        let sep = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}return_result=true", self.url)
    }
}

/// What the v2 phone saw and did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PhoneV2Outcome {
    /// The ACCEPT challenge (`None` when ACCEPT never came or its challenge was not base64).
    pub challenge: Option<Vec<u8>>,
    /// How the phone opened the chip.
    pub access: Option<AccessProtocol>,
    /// The phone sent CA_HANDOVER.
    pub handed_over: bool,
    /// `checkResult` of CA_HANDBACK.
    pub check_result: Option<CheckResult>,
    /// The `dg1` FILE the server sent.
    pub server_dg1: Option<Vec<u8>>,
    /// Names of the files uploaded, in order.
    pub uploaded: Vec<String>,
    /// FINISH carried an active-authentication signature.
    pub aa_signature_sent: bool,
    /// RESULT's `passport`.
    pub result: Option<Value>,
    /// The CLOSE message: code and reason (`None` for `""` or null).
    pub close_message: Option<(u16, Option<String>)>,
    /// The close frame's code and reason (`None` for an empty reason).
    pub close_code: Option<u16>,
    /// The close frame's reason (`None` for an empty reason).
    pub close_reason: Option<String>,
    /// The phone ended the session itself with this code and reason (local NFC or access
    /// control errors, protocol violations by the server).
    pub client_close: Option<(u16, String)>,
    /// Why the phone stopped early, if it did.
    pub local_error: Option<String>,
    /// Text and binary frames each way (pings and close frames not counted).
    pub frames_sent: u64,
    /// Frames received (text and binary).
    pub frames_received: u64,
    /// Bytes sent in text and binary frames.
    pub bytes_sent: u64,
    /// Bytes received in text and binary frames.
    pub bytes_received: u64,
    /// Round trips over the phone-server link: each phone → server message the phone waits an
    /// answer for (START → ACCEPT, CA_HANDOVER → first command, each relayed APDU response →
    /// next command or CA_HANDBACK). Each is delayed by `link_delay`.
    pub round_trips: u64,
    /// APDUs the server had relayed to the chip.
    pub relayed_apdus: u64,
    /// Commands the phone itself sent to the chip.
    pub local_apdus: u64,
    /// For each round trip: the time from the phone's message to the server's answer (the
    /// server's turnaround), in microseconds.
    pub turnaround_us: Vec<u64>,
    /// MONITORING messages sent.
    pub monitoring_sent: u64,
    /// Local notes (files that could not be read, …).
    pub notes: Vec<String>,
    /// Wall-clock time of the whole session.
    pub elapsed: Duration,
}

impl PhoneV2Outcome {
    /// The close code from the close frame, else from the CLOSE message.
    pub fn code(&self) -> Option<u16> {
        self.close_code.or(self.close_message.as_ref().map(|c| c.0))
    }

    /// The close reason from the close frame, else from the CLOSE message.
    pub fn reason(&self) -> Option<String> {
        self.close_reason
            .clone()
            .or_else(|| self.close_message.as_ref().and_then(|c| c.1.clone()))
    }
}

/// Runs one v2 session against a DocVal server with `chip` on the phone.
pub async fn run_phone_v2(chip: &mut VirtualChip, opts: &PhoneV2Options) -> Result<PhoneV2Outcome, PhoneError> {
    run_phone_v2_with(|cmd: &[u8]| chip.transmit(cmd), opts).await
}

/// Like [`run_phone_v2`], but the chip is any synchronous `transmit` function (a PC/SC card,
/// a virtual chip): it gets each command APDU and returns the response (data || SW1 SW2).
pub async fn run_phone_v2_with<F>(transmit: F, opts: &PhoneV2Options) -> Result<PhoneV2Outcome, PhoneError>
where
    F: FnMut(&[u8]) -> Vec<u8> + Send,
{
    let timeout = opts.session_timeout;
    let started = Instant::now();
    let mut transport = SyncChipTransport::new(
        transmit,
        LinkLimits {
            extended_length: opts.nfc_extended_length || opts.platform == Platform::Ios,
            ..LinkLimits::default()
        },
    );
    let mut out = tokio::time::timeout(timeout, run(&mut transport, opts))
        .await
        .map_err(|_| PhoneError::Timeout(timeout))??;
    out.elapsed = started.elapsed();
    Ok(out)
}

fn access_key(access: &Access) -> Result<AccessKey, PhoneError> {
    Ok(match access {
        Access::Can(can) => AccessKey::Can(Zeroizing::new(can.clone())),
        Access::Mrz {
            document_number,
            date_of_birth,
            date_of_expiry,
        } => AccessKey::Mrz(
            emrtd_access::MrzKey::new(document_number, date_of_birth, date_of_expiry)
                .map_err(|e| PhoneError::Access(e.to_string()))?,
        ),
    })
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A frame from the server.
enum Incoming {
    Text(String),
    Binary(Vec<u8>),
    /// The connection ended (after a close frame or without one).
    Ended,
    /// The wait timed out.
    TimedOut,
}

/// The socket with the phone's counters.
struct Conn {
    ws: Ws,
    out: PhoneV2Outcome,
    ended: bool,
    link_delay: Duration,
    platform: Platform,
    diagnostics: bool,
    /// When the phone last sent a message it waits an answer for.
    waiting_since: Option<Instant>,
    /// iOS < 2.13: no close after a local error.
    legacy_ios_silent: bool,
}

impl Conn {
    async fn send(&mut self, msg: Message) -> Result<(), PhoneError> {
        if self.ended {
            return Err(PhoneError::WebSocket("the connection has ended".into()));
        }
        let len = msg.len() as u64;
        self.ws
            .send(msg)
            .await
            .map_err(|e| PhoneError::WebSocket(e.to_string()))?;
        self.out.frames_sent += 1;
        self.out.bytes_sent += len;
        Ok(())
    }

    async fn send_text(&mut self, text: String) -> Result<(), PhoneError> {
        self.send(Message::Text(text.into())).await
    }

    /// A message the phone waits an answer for: one round trip of the link.
    async fn send_awaiting(&mut self, msg: Message) -> Result<(), PhoneError> {
        if !self.link_delay.is_zero() {
            tokio::time::sleep(self.link_delay).await;
        }
        self.send(msg).await?;
        self.out.round_trips += 1;
        self.waiting_since = Some(Instant::now());
        Ok(())
    }

    async fn send_file(&mut self, name: &str, data: &[u8]) -> Result<(), PhoneError> {
        let frame = Zeroizing::new(file_frame(name, data).map_err(|e| PhoneError::WebSocket(e.to_string()))?);
        self.send(Message::Binary(frame.to_vec().into())).await?;
        self.out.uploaded.push(name.to_string());
        Ok(())
    }

    async fn monitoring(&mut self, step: &str) -> Result<(), PhoneError> {
        if !self.diagnostics {
            return Ok(());
        }
        let m = ClientMessage::Monitoring(Monitoring {
            message: format!("Step: {step}"),
        });
        self.send_text(m.to_json()).await?;
        self.out.monitoring_sent += 1;
        Ok(())
    }

    /// The next text or binary frame. The CLOSE message and the close frame are recorded;
    /// pings are answered by the library.
    async fn recv(&mut self, wait: Option<Duration>) -> Result<Incoming, PhoneError> {
        let deadline = wait.map(|w| tokio::time::Instant::now() + w);
        loop {
            if self.ended {
                return Ok(Incoming::Ended);
            }
            let next = match deadline {
                Some(d) => match tokio::time::timeout_at(d, self.ws.next()).await {
                    Ok(n) => n,
                    Err(_) => return Ok(Incoming::TimedOut),
                },
                None => self.ws.next().await,
            };
            let msg = match next {
                None => {
                    self.ended = true;
                    return Ok(Incoming::Ended);
                }
                Some(Err(e)) => {
                    self.ended = true;
                    // A connection dropped after the CLOSE message is a normal end.
                    if self.out.close_message.is_some() || self.out.close_code.is_some() {
                        return Ok(Incoming::Ended);
                    }
                    return Err(PhoneError::WebSocket(e.to_string()));
                }
                Some(Ok(m)) => m,
            };
            match msg {
                Message::Text(t) => {
                    self.out.frames_received += 1;
                    self.out.bytes_received += t.len() as u64;
                    self.answered();
                    if let Ok(ServerMessage::Close(c)) = ServerMessage::parse(t.as_str()) {
                        self.out.close_message = Some((c.code, c.reason.filter(|r| !r.is_empty())));
                        continue;
                    }
                    return Ok(Incoming::Text(t.to_string()));
                }
                Message::Binary(b) => {
                    self.out.frames_received += 1;
                    self.out.bytes_received += b.len() as u64;
                    self.answered();
                    return Ok(Incoming::Binary(b.to_vec()));
                }
                Message::Close(frame) => {
                    if let Some(f) = frame {
                        self.out.close_code = Some(u16::from(f.code));
                        self.out.close_reason = Some(f.reason.to_string()).filter(|r| !r.is_empty());
                    }
                    // The library answers the close; the stream ends next.
                }
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            }
        }
    }

    fn answered(&mut self) {
        if let Some(t) = self.waiting_since.take() {
            self.out.turnaround_us.push(t.elapsed().as_micros() as u64);
        }
    }

    /// The phone ends the session itself: Android with its reason's code and phrase, iOS with
    /// 1000 and no reason (v2 notes §5.3). Waits briefly for the server's close.
    async fn client_close(&mut self, reason: ClientCloseReason, why: String) -> Result<(), PhoneError> {
        if self.legacy_ios_silent && reason != PROTOCOL_ERROR {
            // iOS before 2.13 drops its objects without closing after a local NFC or access
            // error (notes §4.3 E4): the socket stays open until the server's own timeout
            // ends it. (Messages it does not understand it still answers with a close, E11.)
            self.out.local_error = Some(why);
            while let Ok(Incoming::Text(_) | Incoming::Binary(_)) = self.recv(None).await {}
            return Ok(());
        }
        let (code, phrase) = match self.platform {
            Platform::Android => reason,
            Platform::Ios => (1000, ""),
        };
        self.out.client_close = Some((code, phrase.to_string()));
        self.out.local_error = Some(why);
        if !self.ended {
            let _ = self
                .ws
                .send(Message::Close(Some(CloseFrame {
                    code: CloseCode::from(code),
                    reason: phrase.into(),
                })))
                .await;
            while let Ok(Incoming::Text(_) | Incoming::Binary(_)) = self.recv(Some(Duration::from_secs(2))).await {}
        }
        Ok(())
    }
}

/// Flips one MRZ character of EF.DG1 (`61 L 5F1F L MRZ`): a letter or digit of the name
/// field becomes another one.
pub fn tamper_dg1(dg1: &[u8]) -> Vec<u8> {
    let mut out = dg1.to_vec();
    // Find the MRZ (tag 5F1F) and change its 6th character (the first of the name field of
    // TD3, inside the document number field of TD1/TD2 it is also a data character).
    let pos = out.windows(2).position(|w| w == [0x5F, 0x1F]).map(|p| {
        let len_at = p + 2;
        let header = match out.get(len_at) {
            Some(0x81) => 2,
            Some(0x82) => 3,
            _ => 1,
        };
        len_at + header + 5
    });
    let pos = pos.filter(|p| *p < out.len()).unwrap_or(out.len().saturating_sub(1));
    if let Some(b) = out.get_mut(pos) {
        *b = match *b {
            b'A'..=b'Y' | b'0'..=b'8' => *b + 1,
            b'Z' => b'A',
            b'9' => b'0',
            _ => b'X',
        };
    }
    out
}

fn file_name(dg: u8) -> String {
    format!("dg{dg}")
}

/// What the phone has read, by protocol name.
type Files = BTreeMap<String, Zeroizing<Vec<u8>>>;

/// A failure while reading locally: how the phone closes.
fn local_failure(e: &FileError) -> ClientCloseReason {
    match e {
        FileError::Channel(ChannelError::Transport(_)) => NFC_CHIP_COMMUNICATION_FAILED,
        _ => EMRTD_PASSPORT_READER_ERROR,
    }
}

async fn run<T: Transport>(transport: &mut T, opts: &PhoneV2Options) -> Result<PhoneV2Outcome, PhoneError> {
    let key = access_key(&opts.access)?;
    let mut request = opts
        .connect_url()
        .as_str()
        .into_client_request()
        .map_err(|e| PhoneError::Url(e.to_string()))?;
    if let Some(auth) = &opts.authorization {
        let v = HeaderValue::from_str(auth).map_err(|e| PhoneError::Url(e.to_string()))?;
        request.headers_mut().insert("Authorization", v);
    }
    let (ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| PhoneError::Connect(e.to_string()))?;
    let mut conn = Conn {
        ws,
        out: PhoneV2Outcome::default(),
        ended: false,
        link_delay: opts.link_delay,
        platform: opts.platform,
        diagnostics: opts.enable_diagnostics,
        waiting_since: None,
        legacy_ios_silent: opts.platform == Platform::Ios && opts.legacy_ios_no_close_on_error,
    };
    match session(&mut conn, transport, &key, opts).await {
        Ok(()) => Ok(conn.out),
        Err(PhoneError::WebSocket(e)) => {
            // The server may have closed while the phone was busy reading the chip: what it
            // said (CLOSE message, close frame) is the outcome.
            conn.ended = false;
            while let Ok(Incoming::Text(_) | Incoming::Binary(_)) = conn.recv(Some(Duration::from_secs(1))).await {}
            if conn.out.close_message.is_some() || conn.out.close_code.is_some() {
                conn.out.local_error.get_or_insert(e);
                Ok(conn.out)
            } else {
                Err(PhoneError::WebSocket(e))
            }
        }
        Err(e) => Err(e),
    }
}

async fn session<T: Transport>(
    conn: &mut Conn,
    transport: &mut T,
    key: &AccessKey,
    opts: &PhoneV2Options,
) -> Result<(), PhoneError> {
    let hostile = &opts.hostile;
    if opts.ping_at_connect {
        conn.ws
            .send(Message::Ping(Vec::new().into()))
            .await
            .map_err(|e| PhoneError::WebSocket(e.to_string()))?;
        let pong = tokio::time::timeout(Duration::from_secs(3), async {
            loop {
                match conn.ws.next().await {
                    Some(Ok(Message::Pong(_))) => return true,
                    Some(Ok(_)) => {}
                    _ => return false,
                }
            }
        })
        .await;
        if !matches!(pong, Ok(true)) {
            return Err(PhoneError::Connect(
                "no pong within 3 s (iOS: noNetworkConnection)".into(),
            ));
        }
    }

    // START → ACCEPT.
    conn.send_awaiting(Message::Text(opts.start_message().to_json().into()))
        .await?;
    // The CLOSE message is taken by `recv`; a server that refuses sends it and closes.
    let challenge: Option<[u8; 8]> = match conn.recv(None).await? {
        Incoming::Text(t) => match ServerMessage::parse(&t) {
            Ok(ServerMessage::Accept(a)) => {
                let c = base64::engine::general_purpose::STANDARD
                    .decode(&a.active_authentication_challenge)
                    .ok();
                conn.out.challenge = c.clone();
                c.and_then(|c| <[u8; 8]>::try_from(c.as_slice()).ok())
            }
            _ => {
                return conn
                    .client_close(PROTOCOL_ERROR, "a message other than ACCEPT after START".into())
                    .await;
            }
        },
        Incoming::Binary(_) => {
            return conn
                .client_close(PROTOCOL_ERROR, "a binary frame before ACCEPT".into())
                .await;
        }
        Incoming::Ended | Incoming::TimedOut => return Ok(()),
    };

    // Local reading: access control, EF.SOD, DG14.
    if !opts.local_reading_delay.is_zero() {
        tokio::time::sleep(opts.local_reading_delay).await;
    }
    let cfg = ReaderConfig {
        read_atr_info: opts.nfc_extended_length || opts.platform == Platform::Ios,
        extended_length: opts.nfc_extended_length || opts.platform == Platform::Ios,
        ..ReaderConfig::default()
    };
    conn.monitoring("ACCESS_CONTROL").await?;
    let mut rng = emrtd_crypto::rng::os_rng();
    let mut local = match open_session(transport, key, &cfg, &mut rng).await {
        Ok(s) => s,
        Err(failure) => {
            let reason = match failure {
                ReadFailure::AccessControl(_) => ACCESS_CONTROL_FAILED,
                ReadFailure::Transport(_) => NFC_CHIP_COMMUNICATION_FAILED,
                _ => EMRTD_PASSPORT_READER_ERROR,
            };
            return conn.client_close(reason, failure.to_string()).await;
        }
    };
    conn.out.access = Some(local.access().clone());
    conn.out.notes.extend(local.notes().iter().cloned());

    let mut files: Files = BTreeMap::new();
    conn.monitoring("READ_SOD").await?;
    let sod = match local.read_sod().await {
        Ok(s) => s,
        Err(e) => {
            conn.out.local_apdus = local.round_trips();
            return conn.client_close(local_failure(&e), format!("EF.SOD: {e}")).await;
        }
    };
    let listed = listed_data_groups(&sod);
    // An EF.SOD that does not parse still gets the mandatory data groups read and uploaded
    // (the server's verification says what is wrong with it).
    let listed = if listed.is_empty() { vec![1, 2] } else { listed };
    files.insert("sod".into(), sod);
    // Access-protected data groups (fingerprints, iris) are never read.
    let wanted: Vec<u8> = listed
        .iter()
        .copied()
        .filter(|dg| !matches!(dg, 3 | 4))
        .filter(|dg| opts.platform == Platform::Android || IOS_FILES.contains(&file_name(*dg).as_str()))
        .collect();

    let mut sent: Vec<String> = Vec::new();
    let mut do_ca = false;
    if wanted.contains(&14) && !hostile.withhold_dg14 {
        conn.monitoring("READ_DG14").await?;
        match local.read_dg(14).await {
            Ok(dg14) => {
                files.insert("dg14".into(), dg14);
                do_ca = !hostile.no_ca;
            }
            Err(e @ FileError::Channel(ChannelError::Transport(_))) => {
                conn.out.local_apdus = local.round_trips();
                return conn.client_close(local_failure(&e), format!("DG14: {e}")).await;
            }
            Err(e) => conn.out.notes.push(format!("DG14: {e}")),
        }
    }

    let mut server_sent: Vec<String> = Vec::new();
    if do_ca {
        if hostile.tamper_dg1 && wanted.contains(&1) {
            // The forged DG1 goes up before the handover, while the server still takes one.
            conn.monitoring("READ_DG1").await?;
            match local.read_dg(1).await {
                Ok(dg1) => {
                    conn.send_file("dg1", &tamper_dg1(&dg1)).await?;
                    sent.push("dg1".into());
                }
                Err(e) => conn.out.notes.push(format!("DG1: {e}")),
            }
        }
        conn.monitoring("CHIP_AUTHENTICATION").await?;
        let Some(dg14) = files.get("dg14") else {
            return Err(PhoneError::WebSocket("DG14 vanished".into()));
        };
        if !hostile.handover_without_dg14 {
            conn.send_file("dg14", dg14).await?;
            sent.push("dg14".into());
        }
        let Some(sm) = local.sm() else {
            return conn
                .client_close(EMRTD_PASSPORT_READER_ERROR, "no secure messaging to hand over".into())
                .await;
        };
        let info = match SecureMessagingInfo::from_session(sm) {
            Ok(i) => i,
            Err(e) => {
                return conn
                    .client_close(EMRTD_PASSPORT_READER_ERROR, format!("handover: {e}"))
                    .await;
            }
        };
        // Extended length through the adapter unless the chip's EF.ATR/INFO says it has none
        // (a chip without EF.ATR/INFO may still take it; the local reading stays short then).
        let adapter = opts.nfc_extended_length || opts.platform == Platform::Ios;
        let extended = local.extended_length() || (adapter && local.chip_extended_length() != Some(false));
        let handover = ClientMessage::CaHandover(CaHandover {
            max_transceive_length_for_secure_messaging: if extended { 65_546 } else { 261 },
            max_block_size: u32::try_from(local.limits().max_chunk.min(65_536)).unwrap_or(223),
            secure_messaging_info: info,
        });
        let text = Zeroizing::new(handover.to_json());
        drop(handover);
        conn.send_awaiting(Message::Text(text.as_str().into())).await?;
        conn.out.handed_over = true;
        if hostile.finish_before_handback {
            conn.send_text(finish_message(opts, None)).await?;
            return drain(conn).await;
        }

        // The relay: every APDU to the chip, raw; then FILE dg1 and CA_HANDBACK.
        let deadline = Instant::now() + opts.handback_timeout;
        let handback = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match conn.recv(Some(left)).await? {
                Incoming::Binary(b) => match BinaryFrame::parse(&b) {
                    Ok(BinaryFrame::Apdu(cmd)) => {
                        conn.out.relayed_apdus += 1;
                        let resp = match local.transmit_raw(cmd).await {
                            Ok(r) => r,
                            Err(e) => match opts.platform {
                                // iOS answers 6F00 and keeps the socket (notes §3.2).
                                Platform::Ios => vec![0x6F, 0x00],
                                Platform::Android => {
                                    conn.out.local_apdus = local.round_trips();
                                    return conn
                                        .client_close(NFC_CHIP_COMMUNICATION_FAILED, format!("relay: {e}"))
                                        .await;
                                }
                            },
                        };
                        conn.send_awaiting(Message::Binary(apdu_frame(&resp).into())).await?;
                    }
                    Ok(BinaryFrame::File { name, data }) => {
                        if name == "dg1" {
                            conn.out.server_dg1 = Some(data.to_vec());
                        }
                        server_sent.push(name.to_string());
                    }
                    Err(e) => {
                        return conn.client_close(PROTOCOL_ERROR, format!("binary frame: {e}")).await;
                    }
                },
                Incoming::Text(t) => match ServerMessage::parse(&t) {
                    Ok(ServerMessage::CaHandback(h)) => break h,
                    _ => {
                        return conn
                            .client_close(PROTOCOL_ERROR, "unexpected message during the relay".into())
                            .await;
                    }
                },
                Incoming::TimedOut => {
                    conn.out.local_apdus = local.round_trips();
                    return conn.client_close(PROTOCOL_ERROR, "no CA_HANDBACK in time".into()).await;
                }
                Incoming::Ended => {
                    conn.out.local_apdus = local.round_trips();
                    return Ok(());
                }
            }
        };
        conn.out.check_result = Some(handback.check_result);
        if opts.platform == Platform::Android && conn.out.server_dg1.is_none() {
            return conn
                .client_close(PROTOCOL_ERROR, "Did not receive DG1 before CA_HANDBACK message".into())
                .await;
        }
        if opts.platform == Platform::Ios && conn.out.server_dg1.is_none() {
            // iOS reuses `dg1Data` instead of reading DG1 again.
            if let Some(d) = handback
                .dg1_data
                .as_deref()
                .and_then(|d| base64::engine::general_purpose::STANDARD.decode(d).ok())
            {
                conn.out.server_dg1 = Some(d);
                server_sent.push("dg1".into());
            }
        }
        let new_session = handback
            .secure_messaging_info
            .as_ref()
            .ok_or_else(|| "CA_HANDBACK without secureMessagingInfo".to_string())
            .and_then(|i| i.to_session().map_err(|e| format!("CA_HANDBACK keys: {e}")));
        match new_session {
            Ok(sm) => local.set_sm(sm),
            Err(why) => {
                let reason = if handback.secure_messaging_info.is_none() {
                    PROTOCOL_ERROR
                } else {
                    EMRTD_PASSPORT_READER_ERROR
                };
                conn.out.local_apdus = local.round_trips();
                return conn.client_close(reason, why).await;
            }
        }
    }

    // Active authentication over the server's challenge.
    let mut signature: Option<Vec<u8>> = None;
    if listed.contains(&15)
        && !hostile.skip_aa
        && let Some(challenge) = challenge
    {
        conn.monitoring("ACTIVE_AUTHENTICATION").await?;
        match local.internal_authenticate(&challenge).await {
            Ok(mut sig) => {
                if hostile.forge_aa_signature {
                    let mid = sig.len() / 2;
                    if let Some(b) = sig.get_mut(mid) {
                        *b ^= 0xFF;
                    }
                }
                signature = Some(sig);
            }
            Err(e @ FileError::Channel(ChannelError::Transport(_) | ChannelError::Sm(_))) => {
                conn.out.local_apdus = local.round_trips();
                return conn
                    .client_close(local_failure(&e), format!("active authentication: {e}"))
                    .await;
            }
            Err(e) => conn.out.notes.push(format!("active authentication: {e}")),
        }
    }

    // The remaining data groups.
    for &dg in &wanted {
        let name = file_name(dg);
        if files.contains_key(&name) || sent.contains(&name) || server_sent.contains(&name) {
            continue;
        }
        if dg == 14 && (hostile.withhold_dg14 || do_ca) {
            continue;
        }
        if let Some(step) = step_name(dg) {
            conn.monitoring(step).await?;
        }
        match local.read_dg(dg).await {
            Ok(data) => {
                let data = if dg == 1 && hostile.tamper_dg1 {
                    Zeroizing::new(tamper_dg1(&data))
                } else {
                    data
                };
                files.insert(name, data);
            }
            Err(e @ FileError::Channel(_)) => {
                conn.out.local_apdus = local.round_trips();
                return conn.client_close(local_failure(&e), format!("DG{dg}: {e}")).await;
            }
            Err(e) => conn.out.notes.push(format!("DG{dg}: {e}")),
        }
    }
    conn.out.local_apdus = local.round_trips();
    drop(local);

    // Upload: Android the data groups in number order and `sod` last, iOS by name.
    let mut order: Vec<String> = files
        .keys()
        .filter(|n| !sent.contains(n) && !server_sent.contains(n))
        .filter(|n| !(hostile.withhold_dg14 && n.as_str() == "dg14"))
        .cloned()
        .collect();
    if opts.platform == Platform::Android {
        order.sort_by_key(|n| {
            n.strip_prefix("dg")
                .and_then(|d| d.parse::<u16>().ok())
                .unwrap_or(u16::MAX)
        });
    }
    for name in order {
        if let Some(data) = files.get(&name) {
            conn.send_file(&name, data).await?;
            if hostile.duplicate_file && name == "sod" {
                conn.send_file(&name, data).await?;
            }
        }
    }
    drop(files);

    // FINISH.
    let b64 = signature.map(|s| base64::engine::general_purpose::STANDARD.encode(s));
    conn.out.aa_signature_sent = b64.is_some();
    let finish = finish_message(opts, b64);
    conn.send_text(finish).await?;
    if hostile.fire_and_forget {
        // As iOS's disconnect(): close 1000 without a reason, and do not wait.
        let _ = conn
            .ws
            .close(Some(CloseFrame {
                code: CloseCode::Normal,
                reason: "".into(),
            }))
            .await;
        conn.ended = true;
        return Ok(());
    }

    // RESULT, CLOSE and the close frame.
    loop {
        match conn.recv(None).await? {
            Incoming::Text(t) => match ServerMessage::parse(&t) {
                Ok(ServerMessage::Result(r)) => conn.out.result = Some(r.passport),
                _ => {
                    return conn
                        .client_close(PROTOCOL_ERROR, "unexpected message after FINISH".into())
                        .await;
                }
            },
            Incoming::Binary(_) => {
                return conn
                    .client_close(PROTOCOL_ERROR, "a binary frame after FINISH".into())
                    .await;
            }
            Incoming::Ended | Incoming::TimedOut => return Ok(()),
        }
    }
}

/// The MONITORING step name of reading data group `dg`.
fn step_name(dg: u8) -> Option<&'static str> {
    Some(match dg {
        1 => "READ_DG1",
        2 => "READ_DG2",
        5 => "READ_DG5",
        6 => "READ_DG6",
        7 => "READ_DG7",
        8 => "READ_DG8",
        9 => "READ_DG9",
        10 => "READ_DG10",
        11 => "READ_DG11",
        12 => "READ_DG12",
        13 => "READ_DG13",
        14 => "READ_DG14",
        15 => "READ_DG15",
        16 => "READ_DG16",
        _ => return None,
    })
}

/// FINISH as the platform writes it: Android omits a missing signature, iOS sends `null`.
fn finish_message(opts: &PhoneV2Options, signature: Option<String>) -> String {
    match opts.platform {
        Platform::Android => ClientMessage::Finish(Finish {
            send_result: opts.send_result,
            active_authentication_signature: signature,
        })
        .to_json(),
        Platform::Ios => serde_json::json!({
            "type": "FINISH",
            "sendResult": opts.send_result,
            "activeAuthenticationSignature": signature,
        })
        .to_string(),
    }
}

/// Reads until the server ends the session (its CLOSE message and close frame are recorded).
async fn drain(conn: &mut Conn) -> Result<(), PhoneError> {
    loop {
        match conn.recv(None).await? {
            Incoming::Text(_) | Incoming::Binary(_) => {}
            Incoming::Ended | Incoming::TimedOut => return Ok(()),
        }
    }
}
