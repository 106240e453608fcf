//! The Sinosecu passport-reader WebSocket interface (`ws://127.0.0.1:90/echo`), as the
//! vendor's demo page uses it: Request/Reply/Notify envelopes, `Commands` batches, the
//! WebConstant strings (English), Get/Set operands, `Trigger ManualRecog`; when a document is
//! read the service pushes CardDetected (when enabled), `Save CardContentText` and
//! `Save Images` (ChipHead as a JPEG data URL).
//!
//! The chip is read with the access key of the extension request `Set AccessKey` (Param: the
//! MRZ lines, or a 6-digit CAN); without one, a virtual document is read with its printed MRZ
//! (what the reader's camera would see). Features that need a camera or a UV lamp answer with
//! the manual's "device does not support" texts.
//!
//! With PC/SC enabled the machine's readers count as the device: a reader plugged in or
//! unplugged is announced with a `Display` RealtimeMessage (the DeviceConnected /
//! DeviceReconnected / DeviceOffLine strings), a card placed on a reader is read at once
//! (CardDetected first when enabled, then the Save notifications) and a card taken away is
//! announced with CardTakenaway when callbacks are enabled. `Trigger ManualRecog` reads the
//! card on a PC/SC reader when there is one, else the virtual document.

use crate::card::{self, Card};
use crate::origin::OriginPolicy;
use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine as _;
use emrtd_access::MrzKey;
use emrtd_lds::dg1::{Dg1, Mrz};
use emrtd_pa::TrustStore;
use emrtd_pcsc::ReaderEvent;
use emrtd_reader::{AccessKey, ReaderConfig, read_document, to_emrtd_passport};
use emrtd_sim::VirtualChip;
use emrtd_transport::{LinkLimits, SyncChipTransport};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, mpsc};
use zeroize::Zeroizing;

pub const DEFAULT_PORT: u16 = 90;

/// What is on the reader, and who may use it.
#[derive(Clone, Debug)]
pub struct SinosecuConfig {
    /// A virtual document placed on the reader (fixture directory).
    pub document: Option<PathBuf>,
    /// An access key given on the command line (MRZ lines or CAN).
    pub access_key: Option<String>,
    /// Use the machine's PC/SC readers (pcscd).
    pub pcsc: bool,
    /// CSCA certificates / master lists for passive authentication (empty: no trust anchors,
    /// passive authentication is reported as failed).
    pub trust: Arc<TrustStore>,
    /// Web pages (Origins) allowed to connect; an upgrade from any other page gets HTTP 403.
    pub origins: OriginPolicy,
    /// Connections served at the same time (at least 1); more get HTTP 429.
    pub max_connections: usize,
}

impl Default for SinosecuConfig {
    fn default() -> Self {
        SinosecuConfig {
            document: None,
            access_key: None,
            pcsc: false,
            trust: Arc::default(),
            origins: OriginPolicy::default(),
            max_connections: 1,
        }
    }
}

pub struct SinosecuService {
    config: SinosecuConfig,
    connections: AtomicUsize,
    /// One reading per PC/SC reader at a time (by reader name), across connections.
    reader_locks: std::sync::Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

impl SinosecuService {
    pub fn new(config: SinosecuConfig) -> Arc<Self> {
        Arc::new(SinosecuService {
            config,
            connections: AtomicUsize::new(0),
            reader_locks: std::sync::Mutex::new(HashMap::new()),
        })
    }

    fn reader_lock(&self, reader: &str) -> Arc<Mutex<()>> {
        let mut map = match self.reader_locks.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.entry(reader.to_string()).or_default().clone()
    }
}

pub fn router(service: Arc<SinosecuService>) -> Router {
    Router::new().route("/echo", any(upgrade)).with_state(service)
}

pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Arc<SinosecuService>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    crate::serve_router(listener, router(service), None, shutdown).await
}

/// Like [`serve`], over TLS (`wss://`) when `tls` is given.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    service: Arc<SinosecuService>,
    tls: Option<crate::TlsConfig>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    crate::serve_router(listener, router(service), tls, shutdown).await
}

struct ConnectionGuard(Arc<SinosecuService>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn upgrade(State(service): State<Arc<SinosecuService>>, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    if !service.config.origins.allows_request(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let max = service.config.max_connections.max(1);
    let taken = service
        .connections
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < max).then_some(n + 1));
    if taken.is_err() {
        return StatusCode::TOO_MANY_REQUESTS.into_response();
    }
    let guard = ConnectionGuard(service.clone());
    ws.on_upgrade(move |socket| async move {
        session(socket, service).await;
        drop(guard);
    })
}

/// The English WebConstant strings.
pub fn web_constant(name: &str) -> Option<&'static str> {
    Some(match name {
        "CardRecogSystem" => "Document Recognition System",
        "Connect" => "Connect",
        "Disconnect" => "Disconnect",
        "Save" => "Save",
        "IDCANCEL" => "Cancel",
        "DeviceStatus" => "Device status",
        "DeviceName" => "Device name",
        "DeviceSerialno" => "Device serial number",
        "DeviceNotConnected" => "Device not connected",
        "DescOfWebsocketError" => "The WebSocket connection failed",
        "DescFailSetRFID" => "Failed to set chip reading",
        "DescFailSetVIZ" => "Failed to set VIZ reading",
        "PlaceHolderCardTextInfo" => "Document text information",
        "DeviceOffLine" => "Device offline",
        "DeviceReconnected" => "Device reconnected",
        "DescFailSendWebsocket" => "Failed to send the WebSocket message",
        "WebDescDeviceNotFound" => "No passport reader found",
        "WebDescRequireRestartSvc" => "Please restart the service",
        "WebDescAskForSupport" => "Please ask for technical support",
        "WebDescRequireReconnect" => "Please reconnect",
        "DeviceConnected" => "Device connected",
        _ => return None,
    })
}

pub const UV_NOT_SUPPORTED: &str = "NN device does not support taking ultraviolet photo";
pub const FIBRE_NOT_SUPPORTED: &str = "NN device does not support violet photo";
pub const WHITE_NOT_SUPPORTED: &str = "device does not support taking white light photo";

#[derive(Default)]
struct Settings {
    notify_card_detected: bool,
    callback: bool,
    rfid: bool,
    /// `IfDetectUVDull`, `IfDetectFibre`, `IfCheckSourceType`: the card text then carries the
    /// manual's "device does not support" answer in the feature's field.
    uv_dull: bool,
    fibre: bool,
    source_type: bool,
}

/// What a page is told when another reading holds the reader (or another program has the
/// card exclusively).
pub const BUSY: &str = "The reader is busy with another reading. Please try again.";
/// Reading texts sent to pages: short sentences, never internal error details.
pub const NO_ACCESS_KEY: &str = "No access key: send Set AccessKey with the MRZ lines or the CAN";
pub const ACCESS_DENIED: &str = "The chip refused access: check the access key (MRZ lines or CAN).";
pub const CARD_REMOVED: &str = "The document was removed or could not be read. Please place it again.";
pub const READ_FAILED: &str = "Reading the chip failed.";
/// How long a reading waits for the reader another connection reads.
const READER_WAIT: Duration = Duration::from_secs(60);

/// One connection's state (its settings and the last reading); `handle` answers one text
/// message as the WebSocket route does (without the PC/SC watcher).
pub struct Session {
    service: Arc<SinosecuService>,
    settings: Settings,
    /// Images of the last reading (ChipHead base64); dropped with the connection.
    chip_head: Option<Zeroizing<String>>,
    /// The access key of `Set AccessKey`: this connection's only, wiped when it closes.
    access_key: Option<Zeroizing<String>>,
    /// PC/SC readers present: name and whether a card is on it.
    readers: Vec<(String, bool)>,
    /// PC/SC readers seen during this connection (a returning one is "reconnected").
    seen: Vec<String>,
}

fn flag(param: Option<&Value>) -> Option<bool> {
    match param.and_then(Value::as_str) {
        Some("Y" | "True" | "true" | "1") => Some(true),
        Some("N" | "False" | "false" | "0") => Some(false),
        _ => match param {
            Some(Value::Bool(b)) => Some(*b),
            _ => None,
        },
    }
}

async fn session(socket: WebSocket, service: Arc<SinosecuService>) {
    let (mut tx, mut rx) = socket.split();
    let mut s = Session::new(service);
    let (pcsc_tx, mut pcsc_rx) = mpsc::unbounded_channel::<ReaderEvent>();
    if s.service.config.pcsc {
        if let Ok(pcsc) = emrtd_pcsc::Pcsc::new() {
            s.readers = pcsc
                .readers()
                .unwrap_or_default()
                .into_iter()
                .map(|r| (r.name, r.card_present))
                .collect();
            s.seen = s.readers.iter().map(|(n, _)| n.clone()).collect();
        }
        card::watch_pcsc(pcsc_tx, |e| e);
    } else {
        drop(pcsc_tx);
    }
    // Reader status on connect.
    let status = notify(
        "Display",
        "RealtimeMessage",
        json!(web_constant(if s.has_device() {
            "DeviceConnected"
        } else {
            "WebDescDeviceNotFound"
        })),
    );
    if tx.send(Message::Text(status.to_string().into())).await.is_err() {
        return;
    }
    loop {
        let outs = tokio::select! {
            msg = rx.next() => {
                let Some(Ok(msg)) = msg else { break };
                let text = match msg {
                    Message::Text(t) => t.to_string(),
                    Message::Binary(b) => String::from_utf8_lossy(&b).to_string(),
                    Message::Close(_) => break,
                    _ => continue,
                };
                s.handle(&text).await
            }
            Some(ev) = pcsc_rx.recv() => s.pcsc_event(ev).await,
        };
        for out in outs {
            if tx.send(Message::Text(out.to_string().into())).await.is_err() {
                return;
            }
        }
    }
}

fn notify(command: &str, operand: &str, param: Value) -> Value {
    json!({"Type": "Notify", "Command": command, "Operand": operand, "Param": param})
}

impl Session {
    pub fn new(service: Arc<SinosecuService>) -> Session {
        Session {
            service,
            settings: Settings {
                rfid: true,
                ..Settings::default()
            },
            chip_head: None,
            access_key: None,
            readers: Vec::new(),
            seen: Vec::new(),
        }
    }

    fn has_device(&self) -> bool {
        self.service.config.document.is_some() || !self.readers.is_empty()
    }

    /// A PC/SC reader came or went, or a card was placed or taken away.
    async fn pcsc_event(&mut self, ev: ReaderEvent) -> Vec<Value> {
        let display = |name: &str| notify("Display", "RealtimeMessage", json!(web_constant(name)));
        match ev {
            ReaderEvent::ReaderAdded { reader } => {
                if self.readers.iter().any(|(n, _)| *n == reader) {
                    return Vec::new();
                }
                let again = self.seen.contains(&reader);
                if !again {
                    self.seen.push(reader.clone());
                }
                self.readers.push((reader, false));
                if again {
                    // The manual (4.4.3): ReConnect tells the page to rebuild its connection
                    // when the device is back.
                    vec![
                        display("DeviceReconnected"),
                        notify("ReConnect", "RealtimeMessage", json!(web_constant("DeviceReconnected"))),
                    ]
                } else {
                    vec![display("DeviceConnected")]
                }
            }
            ReaderEvent::ReaderRemoved { reader } => {
                self.readers.retain(|(n, _)| *n != reader);
                vec![display("DeviceOffLine")]
            }
            ReaderEvent::CardInserted { reader, .. } => {
                match self.readers.iter_mut().find(|(n, _)| *n == reader) {
                    Some((_, card)) => *card = true,
                    None => self.readers.push((reader.clone(), true)),
                }
                self.recognise_pcsc(&reader).await
            }
            ReaderEvent::CardRemoved { reader } => {
                if let Some((_, card)) = self.readers.iter_mut().find(|(n, _)| *n == reader) {
                    *card = false;
                }
                if self.settings.callback || self.settings.notify_card_detected {
                    vec![notify("CardTakenaway", "RealtimeMessage", json!("Document taken away"))]
                } else {
                    Vec::new()
                }
            }
        }
    }

    /// The access key for a reading: this connection's `Set AccessKey`, else the command line's.
    fn given_key(&self) -> Option<Zeroizing<String>> {
        self.access_key
            .clone()
            .or_else(|| self.service.config.access_key.clone().map(Zeroizing::new))
    }

    /// Reads the card on a PC/SC reader (on a blocking thread) and returns the notifications.
    async fn recognise_pcsc(&mut self, reader: &str) -> Vec<Value> {
        let mut out = Vec::new();
        if self.settings.notify_card_detected || self.settings.callback {
            out.push(notify("CardDetected", "RealtimeMessage", json!("Document detected")));
        }
        if !self.settings.rfid {
            return out;
        }
        let Some(key) = self.given_key().as_deref().and_then(|k| parse_access_key(k)) else {
            out.push(notify("Display", "RealtimeMessage", json!(NO_ACCESS_KEY)));
            return out;
        };
        // One reading of a reader at a time: the second connection waits for the first
        // (secure messaging must not interleave), and the card is taken exclusively so no
        // other program sends commands in between.
        let lock = self.service.reader_lock(reader);
        let Ok(_reading) = tokio::time::timeout(READER_WAIT, lock.lock_owned()).await else {
            out.push(notify("Display", "RealtimeMessage", json!(BUSY)));
            return out;
        };
        let trust = self.service.config.trust.clone();
        let reader = reader.to_string();
        let handle = tokio::runtime::Handle::current();
        let read = tokio::task::spawn_blocking(move || {
            let pcsc = emrtd_pcsc::Pcsc::new().map_err(|_| READ_FAILED)?;
            let mut chip = pcsc
                .connect_exclusive(&reader)
                .map_err(|e| if e.is_sharing_violation() { BUSY } else { CARD_REMOVED })?;
            let extended = chip.extended;
            Ok::<_, &str>(handle.block_on(read_card(&mut chip, extended, &key, &trust)))
        })
        .await;
        let (text, head) = match read {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => (Err(e.to_string()), None),
            Err(_) => (Err(READ_FAILED.to_string()), None),
        };
        self.push_reading(text, head, &mut out);
        out
    }

    fn push_reading(&mut self, text: Result<Map<String, Value>, String>, head: Option<String>, out: &mut Vec<Value>) {
        match text {
            Ok(mut fields) => {
                if self.settings.uv_dull {
                    fields.insert("UVDull".into(), json!(UV_NOT_SUPPORTED));
                }
                if self.settings.fibre {
                    fields.insert("Fibre".into(), json!(FIBRE_NOT_SUPPORTED));
                }
                if self.settings.source_type {
                    fields.insert("SourceType".into(), json!(UV_NOT_SUPPORTED));
                }
                out.push(notify("Save", "CardContentText", Value::Object(fields)));
                if let Some(h) = head {
                    self.chip_head = Some(Zeroizing::new(h.clone()));
                    out.push(notify(
                        "Save",
                        "Images",
                        json!({"ChipHead": format!("data:image/jpeg;base64,{h}")}),
                    ));
                }
            }
            Err(e) => out.push(notify("Display", "RealtimeMessage", json!(e))),
        }
    }

    /// Answers one text message: the reply (or batch reply) and the notifications.
    pub async fn handle(&mut self, text: &str) -> Vec<Value> {
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return vec![json!({"Type": "Reply", "Succeeded": "N", "Result": "Invalid JSON"})];
        };
        if let Some(Value::Array(cmds)) = v.get("Commands") {
            let mut replies = Vec::new();
            let mut pushes = Vec::new();
            for c in cmds.iter().take(256) {
                let (reply, more) = self.one(c).await;
                if let Some(r) = reply {
                    replies.push(r);
                }
                pushes.extend(more);
            }
            let mut out = vec![json!({"Type": "Reply", "Commands": replies})];
            out.extend(pushes);
            return out;
        }
        let (reply, more) = self.one(&v).await;
        let mut out = Vec::new();
        if let Some(mut r) = reply {
            if let Some(o) = r.as_object_mut() {
                o.insert("Type".into(), json!("Reply"));
            }
            out.push(r);
        }
        out.extend(more);
        out
    }

    /// One command: its reply entry (without `Type`) and notifications.
    async fn one(&mut self, c: &Value) -> (Option<Value>, Vec<Value>) {
        let command = c.get("Command").and_then(Value::as_str).unwrap_or_default();
        let operand = c.get("Operand").and_then(Value::as_str).unwrap_or_default();
        let param = c.get("Param");
        if command == "Trigger" && operand == "ManualRecog" {
            return (None, self.recognise().await);
        }
        let result: Result<Value, String> = match command {
            "Get" => self.get(operand, param),
            "Set" => self.set(operand, param).await,
            _ => Err(format!("Unsupported command {command}")),
        };
        let mut r = Map::new();
        r.insert("Command".into(), json!(command));
        r.insert("Operand".into(), json!(operand));
        if let Some(p) = param {
            r.insert("Param".into(), p.clone());
        }
        let mut pushes = Vec::new();
        match result {
            Ok(res) => {
                // The manual's sample (5.5) takes the images from the Notify that follows the
                // Reply: `Save Images` with data URLs, as after a reading.
                if command == "Get"
                    && operand == "Base64Image"
                    && let Value::Object(images) = &res
                {
                    let urls: Map<String, Value> = images
                        .iter()
                        .map(|(k, v)| {
                            let b64 = v.as_str().unwrap_or_default();
                            (k.clone(), json!(format!("data:image/jpeg;base64,{b64}")))
                        })
                        .collect();
                    pushes.push(notify("Save", "Images", Value::Object(urls)));
                }
                r.insert("Succeeded".into(), json!("Y"));
                r.insert("Result".into(), res);
            }
            Err(e) => {
                r.insert("Succeeded".into(), json!("N"));
                r.insert("Result".into(), json!(e));
            }
        }
        (Some(Value::Object(r)), pushes)
    }

    fn get(&self, operand: &str, param: Option<&Value>) -> Result<Value, String> {
        match operand {
            "WebConstant" => param
                .and_then(Value::as_str)
                .and_then(web_constant)
                .map(|s| json!(s))
                .ok_or_else(|| "Unknown constant".to_string()),
            "OnLineStatus" => Ok(json!(web_constant(if self.has_device() {
                "DeviceConnected"
            } else {
                "DeviceNotConnected"
            }))),
            "DeviceName" | "DeviceSerialNo" if self.service.config.document.is_none() && self.has_device() => {
                // The PC/SC reader (the one with a card first); PC/SC gives no serial number
                // beyond the reader name.
                let mut readers = self.readers.iter().filter(|(_, card)| *card).chain(self.readers.iter());
                let name = readers.next().map(|(n, _)| n.clone()).unwrap_or_default();
                Ok(json!(if operand == "DeviceName" {
                    name
                } else {
                    format!("PCSC:{name}")
                }))
            }
            "DeviceName" if self.has_device() => Ok(json!("docval virtual passport reader")),
            "DeviceType" if self.has_device() => Ok(json!("PassportReader")),
            "DeviceSerialNo" if self.has_device() => Ok(json!("DOCVAL-VIRTUAL-0001")),
            "DeviceName" | "DeviceType" | "DeviceSerialNo" => {
                Err(web_constant("DeviceNotConnected").unwrap_or_default().into())
            }
            "VersionInfo" => Ok(json!(format!("emrtd-bridge {}", env!("CARGO_PKG_VERSION")))),
            "Base64Image" => {
                let mask = match param {
                    Some(Value::Number(n)) => n.as_u64(),
                    Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
                    _ => None,
                }
                .filter(|m| *m > 0 && *m < 32)
                .ok_or_else(|| "Invalid parameter".to_string())?;
                let mut images = Map::new();
                if mask & 0x10 != 0 {
                    let head = self.chip_head.as_ref().ok_or_else(|| "No chip image".to_string())?;
                    images.insert("ChipHead".into(), json!(head.as_str()));
                }
                if mask & 0x0F != 0 && images.is_empty() {
                    return Err(WHITE_NOT_SUPPORTED.into());
                }
                Ok(Value::Object(images))
            }
            _ => Err(format!("Unsupported operand {operand}")),
        }
    }

    async fn set(&mut self, operand: &str, param: Option<&Value>) -> Result<Value, String> {
        if operand == "AccessKey" {
            let key = param
                .and_then(Value::as_str)
                .ok_or_else(|| "Invalid access key".to_string())?;
            parse_access_key(key).ok_or_else(|| "Invalid access key".to_string())?;
            self.access_key = Some(Zeroizing::new(key.to_string()));
            return Ok(json!(""));
        }
        let on = flag(param).ok_or_else(|| "Invalid parameter".to_string())?;
        match operand {
            "RFID" => self.settings.rfid = on,
            "VIZ" | "Rejection" | "BarCodeRecog" => {}
            "IfEnableCallback" => self.settings.callback = on,
            "IfNotifyCardDetected" => self.settings.notify_card_detected = on,
            // The manual: the Set succeeds, the detection result (here: the device does not
            // support it) comes with the document text in the feature's field.
            "IfDetectUVDull" => self.settings.uv_dull = on,
            "IfDetectFibre" => self.settings.fibre = on,
            "IfCheckSourceType" => self.settings.source_type = on,
            // The MRZ comes from the chip; there is no white-light image to re-read it from.
            "MRZOnWhiteImage" => {}
            _ => return Err(format!("Unsupported operand {operand}")),
        }
        Ok(json!(""))
    }

    /// Reads the placed document and returns the notifications.
    async fn recognise(&mut self) -> Vec<Value> {
        if let Some((reader, _)) = self.readers.iter().find(|(_, card)| *card) {
            let reader = reader.clone();
            return self.recognise_pcsc(&reader).await;
        }
        let Some(dir) = self.service.config.document.clone() else {
            return vec![notify(
                "Display",
                "RealtimeMessage",
                json!(web_constant("WebDescDeviceNotFound")),
            )];
        };
        let mut chip = match VirtualChip::load(&dir) {
            Ok(c) => c,
            Err(_) => return vec![notify("Display", "RealtimeMessage", json!(READ_FAILED))],
        };
        let mut out = Vec::new();
        if self.settings.notify_card_detected || self.settings.callback {
            out.push(notify("CardDetected", "RealtimeMessage", json!("Document detected")));
        }
        let key = self.given_key().or_else(|| {
            chip.document()
                .manifest
                .mrz
                .as_ref()
                .map(|m| Zeroizing::new(m.lines.join("\n")))
        });
        let Some(key) = key.as_deref().and_then(|k| parse_access_key(k)) else {
            out.push(notify("Display", "RealtimeMessage", json!(NO_ACCESS_KEY)));
            return out;
        };
        if !self.settings.rfid {
            return out;
        }
        let extended = chip.document().manifest.quirks.extended_length;
        let trust = self.service.config.trust.clone();
        let (text, head) = read_card(&mut chip, extended, &key, &trust).await;
        self.push_reading(text, head, &mut out);
        out
    }
}

/// `Set AccessKey`: 6 digits (CAN) or MRZ lines (TD1 / TD2 / TD3, with or without line breaks).
pub fn parse_access_key(s: &str) -> Option<AccessKey> {
    let t = s.trim();
    if t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()) {
        return Some(AccessKey::Can(Zeroizing::new(t.to_string())));
    }
    let joined: String = t.split(['\n', '\r']).map(str::trim).collect();
    let mrz = Mrz::parse(&joined).ok()?;
    MrzKey::new(&mrz.document_number, &mrz.date_of_birth, &mrz.date_of_expiry)
        .ok()
        .map(AccessKey::Mrz)
}

/// The current year (UTC).
fn current_year() -> u32 {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0);
    // 365.2425 days per Gregorian year; exact enough away from New Year's Eve, and a birth
    // date "this year" is resolved the same way either side of it.
    u32::try_from(1970 + days * 10_000 / 3_652_425).unwrap_or(2000)
}

/// `YYMMDD` to `YYYY-MM-DD`: a birth date is never in the future (`future_ok` false: the
/// latest century with the year not after `this_year`); an expiry date lies within 50 years
/// after `this_year` (ICAO documents are valid at most ten years).
pub fn century(yymmdd: &str, future_ok: bool, this_year: u32) -> String {
    let (Some(yy), Some(mm), Some(dd)) = (yymmdd.get(0..2), yymmdd.get(2..4), yymmdd.get(4..6)) else {
        return yymmdd.to_string();
    };
    let Ok(y) = yy.parse::<u32>() else {
        return yymmdd.to_string();
    };
    let base = this_year - this_year % 100;
    let limit = if future_ok { this_year + 50 } else { this_year };
    let year = if base + y <= limit {
        base + y
    } else {
        (base + y).saturating_sub(100)
    };
    format!("{year:04}-{mm}-{dd}")
}

/// The sentence a page is shown for a failed reading (the details stay in this process).
pub fn failure_text(failure: Option<&emrtd_reader::ReadFailure>) -> &'static str {
    match failure {
        Some(emrtd_reader::ReadFailure::AccessControl(_)) => ACCESS_DENIED,
        Some(emrtd_reader::ReadFailure::Transport(_)) => CARD_REMOVED,
        _ => READ_FAILED,
    }
}

/// Reads a chip; returns the CardContentText fields and the chip face (base64).
async fn read_card<C: Card>(
    chip: &mut C,
    extended: bool,
    key: &AccessKey,
    trust: &TrustStore,
) -> (Result<Map<String, Value>, String>, Option<String>) {
    let limits = LinkLimits {
        extended_length: extended,
        ..LinkLimits::default()
    };
    let mut transport = SyncChipTransport::new(|cmd: &[u8]| Card::transmit(chip, cmd), limits);
    let cfg = ReaderConfig {
        extended_length: extended,
        // Certificate validity periods and CRL freshness are checked at the present time (the
        // engine's default checks none: an expired Document Signer would pass).
        pa_options: emrtd_pa::PaOptions {
            at: Some(emrtd_trust::now()),
            ..emrtd_pa::PaOptions::default()
        },
        ..ReaderConfig::default()
    };
    let mut rng = emrtd_crypto::rng::os_rng();
    let reading = read_document(&mut transport, key, trust, &cfg, &mut rng).await;
    let Some(dg1) = reading.data_groups.get(&1).and_then(|d| Dg1::parse(d).ok()) else {
        return (Err(failure_text(reading.failure.as_ref()).to_string()), None);
    };
    let passport = to_emrtd_passport(&reading, false);
    let m = &dg1.mrz;
    let mut f = Map::new();
    let name = format!("{} {}", m.primary_identifier.trim(), m.secondary_identifier.trim());
    f.insert("English name".into(), json!(name.trim()));
    f.insert("English surname".into(), json!(m.primary_identifier.trim()));
    f.insert("English first name".into(), json!(m.secondary_identifier.trim()));
    f.insert("Sex".into(), json!(m.sex));
    f.insert(
        "Date of birth".into(),
        json!(century(&m.date_of_birth, false, current_year())),
    );
    f.insert("Country code(Nationality)".into(), json!(m.nationality));
    f.insert("Issuing country code".into(), json!(m.issuing_state));
    f.insert("The passport number from MRZ".into(), json!(m.document_number));
    f.insert(
        "Date of expiry".into(),
        json!(century(&m.date_of_expiry, true, current_year())),
    );
    let (main_id, card_name) = match m.lines.len() {
        3 => ("ID", "ID card (TD1)"),
        _ if m.document_code.starts_with('P') => ("13", "Passport"),
        _ => ("MRTD", "Machine readable travel document"),
    };
    f.insert("CARD_MAINID".into(), json!(main_id));
    f.insert("CARD_NAME".into(), json!(card_name));
    for (i, line) in m.lines.iter().enumerate() {
        f.insert(format!("MRZ{}", i + 1), json!(line));
    }
    f.insert(
        "Chip authentication".into(),
        json!(format!("{:?}", reading.chip_authentication)),
    );
    f.insert(
        "Active authentication".into(),
        json!(format!("{:?}", reading.active_authentication)),
    );
    f.insert(
        "Passive authentication".into(),
        json!(if passport.passive_authentication { "Y" } else { "N" }),
    );
    let head = passport.face_photo.clone();
    // Check that the face really is base64 of a JPEG before sending it as one.
    let head = head.filter(|h| {
        base64::engine::general_purpose::STANDARD
            .decode(h.as_bytes())
            .is_ok_and(|b| b.starts_with(&[0xFF, 0xD8]))
    });
    (Ok(f), head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_digit_years_against_the_current_year() {
        assert_eq!(century("380101", false, 2026), "1938-01-01");
        assert_eq!(century("260101", false, 2026), "2026-01-01");
        assert_eq!(century("270101", false, 2026), "1927-01-01");
        assert_eq!(century("000229", false, 2026), "2000-02-29");
        assert_eq!(century("840812", false, 2026), "1984-08-12");
        assert_eq!(century("360101", true, 2026), "2036-01-01");
        assert_eq!(century("760101", true, 2026), "2076-01-01");
        assert_eq!(century("770101", true, 2026), "1977-01-01");
        assert_eq!(century("380101", false, 2040), "2038-01-01");
        assert_eq!(century("3801", false, 2026), "3801");
    }

    /// The manual (4.4.3): a reader that comes back is announced with ReConnect (after the
    /// Display text); a new reader only with DeviceConnected, a removed one with DeviceOffLine.
    #[tokio::test]
    async fn a_returning_reader_is_announced_with_reconnect() {
        let mut s = Session::new(SinosecuService::new(SinosecuConfig::default()));
        let added = || ReaderEvent::ReaderAdded { reader: "R 00".into() };
        let out = s.pcsc_event(added()).await;
        assert_eq!(
            out,
            vec![notify("Display", "RealtimeMessage", json!("Device connected"))]
        );
        let out = s.pcsc_event(ReaderEvent::ReaderRemoved { reader: "R 00".into() }).await;
        assert_eq!(out, vec![notify("Display", "RealtimeMessage", json!("Device offline"))]);
        let out = s.pcsc_event(added()).await;
        assert_eq!(
            out,
            vec![
                notify("Display", "RealtimeMessage", json!("Device reconnected")),
                notify("ReConnect", "RealtimeMessage", json!("Device reconnected")),
            ]
        );
        // Announced again while present: nothing.
        assert!(s.pcsc_event(added()).await.is_empty());
    }

    #[test]
    fn the_current_year_is_plausible() {
        let y = current_year();
        assert!((2025..2200).contains(&y), "{y}");
    }

    #[test]
    fn failure_texts_carry_no_details() {
        let f = emrtd_reader::ReadFailure::AccessControl("GA step 4: secret".into());
        assert_eq!(failure_text(Some(&f)), ACCESS_DENIED);
        let f = emrtd_reader::ReadFailure::Reader("internal".into());
        assert_eq!(failure_text(Some(&f)), READ_FAILED);
        assert_eq!(failure_text(None), READ_FAILED);
    }
}
