//! The AusweisApp SDK WebSocket interface (`ws://127.0.0.1:24727/eID-Kernel`).
//!
//! Transport rules: an upgrade with an `Origin` header (not allowed by configuration) gets HTTP
//! 403, a second concurrent connection HTTP 429; one compact JSON object with sorted keys per
//! frame; the `request` member of a command is echoed in every direct answer.
//!
//! Workflows: RUN_CHANGE_PIN (PACE with the PIN and the PIN change on the card, with
//! ENTER_PIN / ENTER_NEW_PIN / ENTER_CAN / ENTER_PUK and the retry counter) and RUN_AUTH with a
//! DocVal server URL as `tcTokenURL`: ACCESS_RIGHTS, CERTIFICATE, ACCEPT, ENTER_CAN, then the
//! card is relayed to the server (STATUS per step) and AUTH carries the outcome.
//!
//! Documented differences from AusweisApp2 1.26.2: INFO names this program; API levels 1-2
//! as in 1.26.2 (the default level is 2); by default the `Simulator` reader has
//! no keypad, so PIN/CAN/PUK are asked with ENTER_* (with `simulator_keypad` it behaves like
//! 1.26.2: the "PIN pad" enters the card's own values); RUN_AUTH talks to a DocVal server
//! instead of an eID server.

use crate::card::{self, Card, CardError, PinState};
use crate::origin::OriginPolicy;
use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use emrtd_access::pace::Password;
use emrtd_phone::{Access, PhoneOptions, PhoneOutcome};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

pub const DEFAULT_PORT: u16 = 24727;
pub const SIMULATOR: &str = "Simulator";

const MAJOR_OK: &str = "http://www.bsi.bund.de/ecard/api/1.1/resultmajor#ok";
const MAJOR_ERROR: &str = "http://www.bsi.bund.de/ecard/api/1.1/resultmajor#error";
const MINOR_CANCELLED: &str = "http://www.bsi.bund.de/ecard/api/1.1/resultminor/sal#cancellationByUser";
const MINOR_TRUSTED_CHANNEL: &str =
    "http://www.bsi.bund.de/ecard/api/1.1/resultminor/dp#trustedChannelEstablishmentFailed";
const MINOR_INTERNAL: &str = "http://www.bsi.bund.de/ecard/api/1.1/resultminor/al/common#internalError";

/// Service configuration.
#[derive(Clone, Debug, Default)]
pub struct AusweisConfig {
    /// Web pages (Origins) allowed to connect; an upgrade from any other page gets HTTP 403.
    pub origins: OriginPolicy,
    /// The Simulator reader has a PIN pad (AusweisApp2 1.26.2 behaviour): no values asked.
    pub simulator_keypad: bool,
    /// Offer the PC/SC readers of the machine (pcscd) besides the Simulator.
    pub pcsc: bool,
}

/// Shared state of the service.
pub struct AusweisService {
    config: AusweisConfig,
    busy: AtomicBool,
    /// The API level outlives a connection, as in AusweisApp2.
    api_level: Arc<AtomicU8>,
}

impl AusweisService {
    pub fn new(config: AusweisConfig) -> Arc<Self> {
        Arc::new(AusweisService {
            config,
            busy: AtomicBool::new(false),
            api_level: Arc::new(AtomicU8::new(DEFAULT_API_LEVEL)),
        })
    }
}

/// The router: `/eID-Kernel` and `/eID-Kernel/`.
pub fn router(service: Arc<AusweisService>) -> Router {
    Router::new()
        .route("/eID-Kernel", any(upgrade))
        .route("/eID-Kernel/", any(upgrade))
        .with_state(service)
}

/// Serves the interface on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Arc<AusweisService>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    crate::serve_router(listener, router(service), None, shutdown).await
}

/// Like [`serve`], over TLS (`wss://`) when `tls` is given.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    service: Arc<AusweisService>,
    tls: Option<crate::TlsConfig>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    crate::serve_router(listener, router(service), tls, shutdown).await
}

struct BusyGuard(Arc<AusweisService>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.busy.store(false, Ordering::SeqCst);
    }
}

async fn upgrade(State(service): State<Arc<AusweisService>>, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    if !service.config.origins.allows_request(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    if service
        .busy
        .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        return StatusCode::TOO_MANY_REQUESTS.into_response();
    }
    let guard = BusyGuard(service.clone());
    let config = service.config.clone();
    let level = service.api_level.clone();
    ws.on_upgrade(move |socket| async move {
        run_session(socket, config, level).await;
        drop(guard);
    })
}

async fn run_session(socket: WebSocket, config: AusweisConfig, level: Arc<AtomicU8>) {
    let (mut tx, mut rx) = socket.split();
    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel::<Event>();
    if config.pcsc {
        card::watch_pcsc(ev_tx.clone(), Event::Pcsc);
    }
    let mut session = Session::new(config, ev_tx);
    session.api_level = level.load(Ordering::SeqCst);
    for m in session.connect_announcements() {
        if tx.send(Message::Text(crate::json::render(&m).into())).await.is_err() {
            return;
        }
    }
    loop {
        let out = tokio::select! {
            msg = rx.next() => match msg {
                Some(Ok(Message::Text(t))) => session.handle_text(t.as_str()).await,
                Some(Ok(Message::Binary(b))) => session.handle_text(&String::from_utf8_lossy(&b)).await,
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => continue,
            },
            Some(ev) = ev_rx.recv() => session.handle_event(ev),
        };
        level.store(session.api_level, Ordering::SeqCst);
        for m in out {
            if tx.send(Message::Text(crate::json::render(&m).into())).await.is_err() {
                session.shutdown();
                return;
            }
        }
    }
    session.shutdown();
}

/// Events from background work (the DocVal relay).
pub enum Event {
    /// A PC/SC reader or card came or went.
    Pcsc(emrtd_pcsc::ReaderEvent),
    Status(String),
    /// The reachability check of RUN_AUTH's `tcTokenURL` (workflow number, reachable).
    Reachable(u64, bool),
    RelayDone {
        card: Box<dyn Card>,
        outcome: Result<PhoneOutcome, String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// Working, no input expected.
    Busy,
    AccessRights,
    InsertCard,
    EnterPin,
    EnterNewPin,
    EnterCan,
    EnterPuk,
}

impl Step {
    fn name(self) -> Option<&'static str> {
        match self {
            Step::Busy => None,
            Step::AccessRights => Some("ACCESS_RIGHTS"),
            Step::InsertCard => Some("INSERT_CARD"),
            Step::EnterPin => Some("ENTER_PIN"),
            Step::EnterNewPin => Some("ENTER_NEW_PIN"),
            Step::EnterCan => Some("ENTER_CAN"),
            Step::EnterPuk => Some("ENTER_PUK"),
        }
    }
}

struct AuthInfo {
    /// The WebSocket URL of the DocVal server (without our query parameters).
    server_url: String,
    /// The tcTokenURL as given.
    tc_token_url: String,
    client_id: String,
    validation_id: String,
    host: String,
    accepted: bool,
}

enum Kind {
    Auth(Box<AuthInfo>),
    ChangePin,
}

struct Workflow {
    kind: Kind,
    step: Step,
    progress: u8,
    status_updates: bool,
    /// PACE with the PIN succeeded (CHANGE_PIN): the channel for the new PIN.
    channel: Option<card::PaceChannel>,
    relay: Option<tokio::task::JoinHandle<()>>,
}

impl Workflow {
    fn name(&self) -> &'static str {
        match self.kind {
            Kind::Auth(_) => "AUTH",
            Kind::ChangePin => "CHANGE_PIN",
        }
    }
}

struct Reader {
    name: String,
    /// A PC/SC reader (its card stays when a workflow ends).
    pcsc: bool,
    keypad: bool,
    card: Option<Box<dyn Card>>,
    /// The card is lent to a relay.
    card_in_use: bool,
    /// The card offers PACE (an eID card or an eMRTD with PACE); false: a card without eID
    /// function, shown as `card: null`.
    eid: bool,
    pin: Option<PinState>,
}

impl Reader {
    fn json(&self) -> Value {
        let card = match (&self.card, self.card_in_use, self.pin) {
            (None, false, _) => Value::Null,
            // A card without eID function shows as no card (AusweisApp2 does the same).
            (Some(_), false, _) if !self.eid => Value::Null,
            (_, _, pin) => {
                let pin = pin.unwrap_or(PinState {
                    retry_counter: -1,
                    deactivated: false,
                });
                json!({
                    "deactivated": pin.deactivated,
                    "inoperative": false,
                    "retryCounter": pin.retry_counter,
                })
            }
        };
        json!({
            "attached": true,
            "card": card,
            "insertable": true,
            "keypad": self.keypad,
            "name": self.name,
        })
    }

    fn message(&self) -> Value {
        let mut v = self.json();
        if let Some(o) = v.as_object_mut() {
            o.insert("msg".into(), json!("READER"));
        }
        v
    }
}

/// One client connection.
pub struct Session {
    api_level: u8,
    readers: Vec<Reader>,
    workflow: Option<Workflow>,
    /// Counts RUN_AUTH workflows (a late reachability answer of a cancelled one is ignored).
    workflow_no: u64,
    events: mpsc::UnboundedSender<Event>,
}

/// The implemented API levels. Level 3 (the PAUSE message when the card is lost mid-workflow,
/// CONTINUE) is not implemented, so it is not advertised (AusweisApp2 1.26.2 offers 1-2 too).
pub const API_LEVELS: [u8; 2] = [1, 2];
pub const DEFAULT_API_LEVEL: u8 = 2;

/// Sets a member of a JSON object (no-op on other values).
fn set(m: &mut Value, key: &str, value: Value) {
    if let Some(o) = m.as_object_mut() {
        o.insert(key.to_string(), value);
    }
}

fn bad_state(cmd: &str) -> Value {
    json!({"msg": "BAD_STATE", "error": cmd})
}

fn unknown_command(cmd: &str) -> Value {
    json!({"msg": "UNKNOWN_COMMAND", "error": cmd})
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// Data groups a DocVal server reads, as eID access rights.
pub const ACCESS_RIGHTS_REQUIRED: [&str; 10] = [
    "Address",
    "BirthName",
    "DateOfBirth",
    "DocumentType",
    "FamilyName",
    "GivenNames",
    "IssuingCountry",
    "Nationality",
    "PlaceOfBirth",
    "ValidUntil",
];

impl Session {
    pub fn new(config: AusweisConfig, events: mpsc::UnboundedSender<Event>) -> Self {
        Session {
            api_level: DEFAULT_API_LEVEL,
            readers: vec![Reader {
                name: SIMULATOR.into(),
                pcsc: false,
                keypad: config.simulator_keypad,
                card: None,
                card_in_use: false,
                eid: true,
                pin: None,
            }],
            workflow: None,
            workflow_no: 0,
            events,
        }
        .with_pcsc_readers(config.pcsc)
    }

    fn with_pcsc_readers(mut self, on: bool) -> Self {
        if !on {
            return self;
        }
        let Ok(pcsc) = emrtd_pcsc::Pcsc::new() else { return self };
        for r in pcsc.readers().unwrap_or_default() {
            let mut reader = Reader {
                name: r.name.clone(),
                pcsc: true,
                keypad: false,
                card: None,
                card_in_use: false,
                eid: true,
                pin: None,
            };
            if r.card_present {
                connect_pcsc(&pcsc, &mut reader);
            }
            self.readers.push(reader);
        }
        self
    }

    /// The READER messages sent on connect. Like AusweisApp2, the Simulator is announced
    /// first as not yet insertable, then as insertable.
    pub fn connect_announcements(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for r in self.readers.iter().filter(|r| !r.pcsc) {
            let mut first = r.message();
            if r.name == SIMULATOR
                && let Some(o) = first.as_object_mut()
            {
                o.insert("insertable".into(), json!(false));
            }
            out.push(first);
            out.push(r.message());
        }
        out.extend(self.readers.iter().filter(|r| r.pcsc).map(Reader::message));
        out
    }

    pub fn shutdown(&mut self) {
        if let Some(wf) = self.workflow.take()
            && let Some(h) = wf.relay
        {
            h.abort();
        }
    }

    /// Handles one text frame; returns the messages to send.
    pub async fn handle_text(&mut self, text: &str) -> Vec<Value> {
        let v: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                return vec![json!({"msg": "INVALID", "error": crate::json::parse_error_message(text, &e)})];
            }
        };
        let request = v.get("request").cloned();
        let (cmd, mut out) = match v.get("cmd") {
            Some(Value::String(cmd)) => (cmd.as_str(), self.command(cmd, &v).await),
            _ => (
                "",
                vec![json!({"msg": "INVALID", "error": "Command cannot be undefined"})],
            ),
        };
        // Like AusweisApp2, `request` is echoed in direct answers and errors, not in the
        // messages the workflow sends on its own.
        if let Some(r) = request {
            let answering = matches!(
                cmd,
                "GET_READER" | "GET_STATUS" | "GET_ACCESS_RIGHTS" | "SET_ACCESS_RIGHTS" | "GET_CERTIFICATE"
            );
            for (i, m) in out.iter_mut().enumerate() {
                let direct = m.get("error").is_some()
                    || matches!(
                        m.get("msg").and_then(Value::as_str),
                        Some("API_LEVEL" | "INFO" | "READER_LIST" | "BAD_STATE" | "UNKNOWN_COMMAND" | "INVALID")
                    )
                    || (answering && i == 0);
                if direct {
                    set(m, "request", r.clone());
                }
            }
        }
        out
    }

    async fn command(&mut self, cmd: &str, v: &Value) -> Vec<Value> {
        let level = self.api_level;
        match cmd {
            "GET_INFO" => vec![info()],
            "GET_API_LEVEL" => vec![json!({"msg": "API_LEVEL", "available": API_LEVELS, "current": level})],
            "SET_API_LEVEL" => vec![self.set_api_level(v)],
            "GET_READER_LIST" => {
                let list: Vec<Value> = self.readers.iter().map(Reader::json).collect();
                let key = if level >= 2 { "readers" } else { "reader" };
                vec![json!({"msg": "READER_LIST", key: list})]
            }
            "GET_READER" => vec![self.get_reader(v)],
            "GET_STATUS" if level >= 2 => vec![self.status()],
            "RUN_AUTH" => self.run_auth(v),
            "RUN_CHANGE_PIN" => self.run_change_pin(v),
            "GET_ACCESS_RIGHTS" => match &self.workflow {
                Some(wf) if wf.step == Step::AccessRights => vec![access_rights(None)],
                _ => vec![bad_state(cmd)],
            },
            "SET_ACCESS_RIGHTS" => match &self.workflow {
                Some(wf) if wf.step == Step::AccessRights => vec![set_access_rights(v)],
                _ => vec![bad_state(cmd)],
            },
            "GET_CERTIFICATE" => match &self.workflow {
                Some(Workflow {
                    kind: Kind::Auth(info),
                    step,
                    ..
                }) if *step == Step::AccessRights || info.accepted => vec![certificate(info)],
                _ => vec![bad_state(cmd)],
            },
            "ACCEPT" => match &self.workflow {
                Some(wf) if wf.step == Step::AccessRights => self.accept(),
                _ => vec![bad_state(cmd)],
            },
            "CANCEL" => self.cancel(),
            "SET_CARD" if level >= 2 => self.set_card(v),
            "SET_PIN" => self.set_secret(cmd, Step::EnterPin, v),
            "SET_NEW_PIN" => self.set_secret(cmd, Step::EnterNewPin, v),
            "SET_CAN" => self.set_secret(cmd, Step::EnterCan, v),
            "SET_PUK" => self.set_secret(cmd, Step::EnterPuk, v),
            _ => vec![unknown_command(cmd)],
        }
    }

    fn set_api_level(&mut self, v: &Value) -> Value {
        let mut m = json!({"msg": "API_LEVEL"});
        match v.get("level") {
            None => set(&mut m, "error", json!("Level cannot be undefined")),
            Some(Value::Number(n)) => match n.as_u64().and_then(|l| u8::try_from(l).ok()) {
                Some(l) if API_LEVELS.contains(&l) => self.api_level = l,
                _ => set(&mut m, "error", json!("Unknown level")),
            },
            // AusweisApp2 1.26.2: null, strings, booleans, … are "Invalid level".
            Some(_) => set(&mut m, "error", json!("Invalid level")),
        }
        set(&mut m, "current", json!(self.api_level));
        m
    }

    fn get_reader(&self, v: &Value) -> Value {
        match v.get("name") {
            None => json!({"msg": "READER", "error": "Name cannot be undefined"}),
            Some(Value::String(name)) => match self.readers.iter().find(|r| r.name == *name) {
                Some(r) => r.message(),
                None => json!({"msg": "READER", "name": name, "attached": false}),
            },
            Some(_) => json!({"msg": "READER", "error": "Invalid name"}),
        }
    }

    fn status(&self) -> Value {
        match &self.workflow {
            None => json!({"msg": "STATUS", "workflow": null, "progress": null, "state": null}),
            Some(wf) => json!({
                "msg": "STATUS",
                "workflow": wf.name(),
                "progress": wf.progress,
                "state": wf.step.name(),
            }),
        }
    }

    fn status_push(&self) -> Vec<Value> {
        match &self.workflow {
            Some(wf) if wf.status_updates && self.api_level >= 2 => vec![self.status()],
            _ => Vec::new(),
        }
    }

    fn reader_with_card(&self) -> Option<usize> {
        self.readers.iter().position(|r| r.card.is_some() && r.eid)
    }

    // ---- RUN_CHANGE_PIN -------------------------------------------------------------

    fn run_change_pin(&mut self, v: &Value) -> Vec<Value> {
        if self.workflow.is_some() {
            return vec![bad_state("RUN_CHANGE_PIN")];
        }
        self.workflow = Some(Workflow {
            kind: Kind::ChangePin,
            step: Step::Busy,
            progress: 0,
            status_updates: false,
            channel: None,
            relay: None,
        });
        let _ = v;
        let mut out = vec![json!({"msg": "CHANGE_PIN"})];
        out.extend(self.card_needed());
        out
    }

    /// The workflow needs a card: go on with the inserted one, or ask for one.
    fn card_needed(&mut self) -> Vec<Value> {
        match self.reader_with_card() {
            Some(i) => self.card_ready(i),
            None => {
                if let Some(wf) = &mut self.workflow {
                    wf.step = Step::InsertCard;
                }
                vec![json!({"msg": "INSERT_CARD"})]
            }
        }
    }

    fn set_card(&mut self, v: &Value) -> Vec<Value> {
        if !matches!(&self.workflow, Some(wf) if wf.step == Step::InsertCard) {
            return vec![bad_state("SET_CARD")];
        }
        let err = |e: &str| vec![json!({"msg": "INSERT_CARD", "error": e})];
        let name = match v.get("name") {
            None => return err("Name cannot be undefined"),
            Some(Value::String(n)) => n.as_str(),
            Some(_) => return err("Invalid name"),
        };
        let Some(idx) = self.readers.iter().position(|r| r.name == name) else {
            return err("Unknown reader name");
        };
        if name == SIMULATOR {
            let desc = match v.get("simulator") {
                None => None,
                Some(d @ Value::Object(_)) => Some(d),
                Some(_) => return err("Parameter 'simulator' is invalid"),
            };
            // Like AusweisApp2: a card already in the Simulator (one without eID function,
            // else the workflow would have gone on) stays; nothing is announced.
            if self.readers.get(idx).is_some_and(|r| r.card.is_some()) {
                return Vec::new();
            }
            // A description that makes no eID card (no files, no usable EF.CardAccess) is
            // inserted as a card without eID function: READER with `card: null`, the workflow
            // waits for another card.
            let chip: Box<dyn Card> = match card::simulator_card(desc) {
                Ok(chip) => Box::new(chip),
                Err(_) if desc.is_some() => Box::new(card::NonEidCard),
                Err(_) => return err("Parameter 'simulator' is invalid"),
            };
            if let Some(r) = self.readers.get_mut(idx) {
                r.card = Some(chip);
            }
        } else if self.readers.get(idx).is_none_or(|r| r.card.is_none()) {
            return err("No card inserted");
        }
        self.card_ready(idx)
    }

    /// A card is in reader `idx`: read its PIN state, announce it, go on.
    fn card_ready(&mut self, idx: usize) -> Vec<Value> {
        let Some(r) = self.readers.get_mut(idx) else {
            return Vec::new();
        };
        let Some(c) = r.card.as_deref_mut() else {
            return Vec::new();
        };
        r.eid = card::offers_pace(c);
        if !r.eid {
            // READER with `card: null`; the workflow goes on with the next card.
            r.pin = None;
            return vec![r.message()];
        }
        let state = card::pin_state(c);
        r.pin = Some(state);
        let mut out = vec![r.message()];
        let Some(wf) = &mut self.workflow else { return out };
        match wf.kind {
            Kind::ChangePin => out.extend(self.ask_for_pin_state(idx, None)),
            Kind::Auth(_) => {
                wf.progress = 10;
                out.extend(self.ask(Step::EnterCan, idx, None));
            }
        }
        out
    }

    /// ENTER_PIN / ENTER_CAN / ENTER_PUK according to the retry counter.
    fn ask_for_pin_state(&mut self, idx: usize, error: Option<&str>) -> Vec<Value> {
        let pin = self.readers.get(idx).and_then(|r| r.pin);
        match pin {
            Some(PinState { deactivated: true, .. }) | Some(PinState { retry_counter: -1, .. }) | None => {
                self.finish_change_pin(false)
            }
            Some(PinState { retry_counter: 0, .. }) => self.ask(Step::EnterPuk, idx, error),
            Some(PinState { retry_counter: 1, .. }) => self.ask(Step::EnterCan, idx, error),
            Some(_) => self.ask(Step::EnterPin, idx, error),
        }
    }

    fn ask(&mut self, step: Step, idx: usize, error: Option<&str>) -> Vec<Value> {
        if let Some(wf) = &mut self.workflow {
            wf.step = step;
        }
        let reader = self.readers.get(idx).map(Reader::json).unwrap_or(Value::Null);
        let mut m = json!({"msg": step.name(), "reader": reader});
        if let Some(e) = error {
            set(&mut m, "error", json!(e));
        }
        let mut out = self.status_push();
        out.push(m);
        out
    }

    fn finish_change_pin(&mut self, success: bool) -> Vec<Value> {
        self.workflow = None;
        let mut out = vec![json!({"msg": "CHANGE_PIN", "success": success})];
        out.extend(self.eject_simulator());
        out
    }

    /// The Simulator card leaves when a workflow ends.
    fn eject_simulator(&mut self) -> Vec<Value> {
        let mut out = Vec::new();
        for r in &mut self.readers {
            if r.name == SIMULATOR && (r.card.is_some() || r.card_in_use) {
                r.card = None;
                r.card_in_use = false;
                r.eid = true;
                r.pin = None;
                out.push(r.message());
            }
        }
        out
    }

    fn set_secret(&mut self, cmd: &str, step: Step, v: &Value) -> Vec<Value> {
        let Some(wf) = &self.workflow else {
            return vec![bad_state(cmd)];
        };
        if wf.step != step {
            return vec![bad_state(cmd)];
        }
        let change_pin = matches!(wf.kind, Kind::ChangePin);
        let Some(idx) = self.reader_with_card() else {
            return vec![bad_state(cmd)];
        };
        let keypad = self.readers.get(idx).is_some_and(|r| r.keypad);
        let value = if keypad {
            // The PIN pad enters the value; for the virtual card it "types" the card's own
            // secrets (the same PIN as the new PIN).
            if v.get("value").is_some() {
                return self.ask(step, idx, Some("Value cannot be defined"));
            }
            let secrets = self
                .readers
                .get(idx)
                .and_then(|r| r.card.as_ref())
                .and_then(|c| c.known_secrets())
                .unwrap_or_default();
            let known = match step {
                Step::EnterPin | Step::EnterNewPin => secrets.pin,
                Step::EnterCan => secrets.can,
                Step::EnterPuk => secrets.puk,
                _ => None,
            };
            match known {
                Some(k) => k,
                None => return self.ask(step, idx, Some("Value cannot be undefined")),
            }
        } else {
            match v.get("value") {
                None => return self.ask(step, idx, Some("Value cannot be undefined")),
                Some(Value::String(s)) => s.clone(),
                Some(_) => return self.ask(step, idx, Some("Invalid value")),
            }
        };
        let valid = match step {
            Step::EnterPin if change_pin => (5..=6).contains(&value.len()) && all_digits(&value),
            Step::EnterPuk => value.len() == 10 && all_digits(&value),
            _ => value.len() == 6 && all_digits(&value),
        };
        if !valid {
            let e = match step {
                Step::EnterPin if change_pin => "You must provide 5 - 6 digits",
                Step::EnterPuk => "You must provide 10 digits",
                _ => "You must provide 6 digits",
            };
            return self.ask(step, idx, Some(e));
        }
        if !change_pin {
            // RUN_AUTH asks only for the CAN.
            return self.start_relay(idx, value);
        }
        self.change_pin_step(step, idx, &value)
    }

    fn change_pin_step(&mut self, step: Step, idx: usize, value: &str) -> Vec<Value> {
        let Some(r) = self.readers.get_mut(idx) else {
            return Vec::new();
        };
        let Some(c) = r.card.as_deref_mut() else {
            return Vec::new();
        };
        match step {
            Step::EnterPin => match card::pace(c, &Password::Pin(value.to_string())) {
                Ok(ch) => {
                    r.pin = Some(PinState {
                        retry_counter: 3,
                        deactivated: false,
                    });
                    if let Some(wf) = &mut self.workflow {
                        wf.channel = Some(ch);
                    }
                    self.ask(Step::EnterNewPin, idx, None)
                }
                Err(CardError::Gone) => self.finish_change_pin(false),
                Err(_) => {
                    r.pin = Some(card::pin_state(c));
                    self.ask_for_pin_state(idx, None)
                }
            },
            Step::EnterNewPin => {
                let channel = self.workflow.as_mut().and_then(|wf| wf.channel.take());
                let ok = match channel {
                    Some(mut ch) => card::change_pin(c, &mut ch, value).is_ok(),
                    None => false,
                };
                self.finish_change_pin(ok)
            }
            Step::EnterCan => match card::pace(c, &Password::Can(value.to_string())) {
                // The PIN is resumed: one more attempt.
                Ok(_) => self.ask(Step::EnterPin, idx, None),
                Err(CardError::Gone) => self.finish_change_pin(false),
                Err(_) => self.ask(Step::EnterCan, idx, None),
            },
            Step::EnterPuk => {
                let unblocked =
                    card::pace(c, &Password::Puk(value.to_string())).and_then(|mut ch| card::unblock_pin(c, &mut ch));
                match unblocked {
                    Ok(()) => {
                        r.pin = Some(PinState {
                            retry_counter: 3,
                            deactivated: false,
                        });
                        self.ask(Step::EnterPin, idx, None)
                    }
                    Err(CardError::Gone) => self.finish_change_pin(false),
                    Err(_) => self.ask(Step::EnterPuk, idx, None),
                }
            }
            Step::Busy | Step::AccessRights | Step::InsertCard => Vec::new(),
        }
    }

    // ---- RUN_AUTH -------------------------------------------------------------------

    fn run_auth(&mut self, v: &Value) -> Vec<Value> {
        if self.workflow.is_some() {
            return vec![bad_state("RUN_AUTH")];
        }
        let url = match v.get("tcTokenURL") {
            None => return vec![json!({"msg": "AUTH", "error": "tcTokenURL cannot be undefined"})],
            Some(Value::String(s)) => s.clone(),
            Some(_) => return vec![json!({"msg": "AUTH", "error": "Invalid tcTokenURL"})],
        };
        let Some(info) = parse_tc_token_url(&url) else {
            return vec![json!({"msg": "AUTH", "error": "Validation of tcTokenURL failed"})];
        };
        let status_updates = v.get("status").and_then(Value::as_bool).unwrap_or(true);
        let host = info.host.clone();
        self.workflow = Some(Workflow {
            kind: Kind::Auth(Box::new(info)),
            step: Step::Busy,
            progress: 0,
            status_updates,
            channel: None,
            relay: None,
        });
        let mut out = vec![json!({"msg": "AUTH"})];
        out.extend(self.status_push());
        // The server must be reachable before the access rights are shown. The check runs in
        // the background: other commands (GET_STATUS, CANCEL, …) are answered meanwhile.
        self.workflow_no += 1;
        let no = self.workflow_no;
        let events = self.events.clone();
        let check = tokio::spawn(async move {
            let reachable = matches!(
                tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(&host)).await,
                Ok(Ok(_))
            );
            let _ = events.send(Event::Reachable(no, reachable));
        });
        if let Some(wf) = &mut self.workflow {
            wf.relay = Some(check);
        }
        out
    }

    /// The outcome of RUN_AUTH's reachability check.
    fn reachability(&mut self, no: u64, reachable: bool) -> Vec<Value> {
        let waiting = matches!(
            &self.workflow,
            Some(Workflow { kind: Kind::Auth(info), step: Step::Busy, .. }) if !info.accepted
        );
        if no != self.workflow_no || !waiting {
            return Vec::new();
        }
        if let Some(wf) = &mut self.workflow {
            wf.relay = None;
        }
        let mut out = Vec::new();
        if !reachable {
            if let Some(wf) = &mut self.workflow {
                wf.progress = 80;
            }
            out.extend(self.status_push());
            out.push(self.auth_result(
                MINOR_TRUSTED_CHANNEL,
                "A trusted channel could not be opened.",
                "It wasn't possible to connect to the server: the server sent a non-standard response.",
                None,
            ));
            self.workflow = None;
            return out;
        }
        if let Some(wf) = &mut self.workflow {
            wf.step = Step::AccessRights;
            wf.progress = 10;
        }
        out.push(access_rights(None));
        out
    }

    fn auth_result(&self, minor: &str, description: &str, message: &str, url: Option<&str>) -> Value {
        let mut m = json!({
            "msg": "AUTH",
            "result": {
                "major": MAJOR_ERROR,
                "minor": minor,
                "language": "en",
                "description": description,
                "message": message,
            },
        });
        if let Some(u) = url {
            set(&mut m, "url", json!(u));
        }
        m
    }

    fn accept(&mut self) -> Vec<Value> {
        if let Some(Workflow {
            kind: Kind::Auth(info),
            step,
            progress,
            ..
        }) = &mut self.workflow
        {
            info.accepted = true;
            *step = Step::Busy;
            *progress = 20;
        }
        self.card_needed()
    }

    fn start_relay(&mut self, idx: usize, can: String) -> Vec<Value> {
        let Some(Workflow {
            kind: Kind::Auth(info),
            step,
            progress,
            relay,
            ..
        }) = &mut self.workflow
        else {
            return Vec::new();
        };
        let Some(r) = self.readers.get_mut(idx) else {
            return Vec::new();
        };
        let Some(mut c) = r.card.take() else { return Vec::new() };
        r.card_in_use = true;
        *step = Step::Busy;
        *progress = 30;
        let mut opts = PhoneOptions::new(&info.server_url, &info.client_id, Access::Can(can));
        opts.validation_id = info.validation_id.clone();
        opts.return_result = true;
        opts.platform = "desktop".into();
        opts.extended_length = true;
        let events = self.events.clone();
        *relay = Some(tokio::spawn(async move {
            let ev = events.clone();
            let outcome = emrtd_phone::run_phone_observed(
                |cmd: &[u8]| c.transmit(cmd),
                &opts,
                move |s: &str| {
                    let _ = ev.send(Event::Status(s.to_string()));
                },
            )
            .await
            .map_err(|e| e.to_string());
            let _ = events.send(Event::RelayDone { card: c, outcome });
        }));
        self.status_push()
    }

    /// Handles an event from the relay or the PC/SC watcher.
    pub fn handle_event(&mut self, ev: Event) -> Vec<Value> {
        match ev {
            Event::Pcsc(e) => self.pcsc_event(e),
            Event::Reachable(no, ok) => self.reachability(no, ok),
            Event::Status(s) => {
                if let Some(wf) = &mut self.workflow {
                    wf.progress = match s.as_str() {
                        "DONE" => 100,
                        _ => wf.progress.saturating_add(7).min(95),
                    };
                }
                self.status_push()
            }
            Event::RelayDone { card, outcome } => {
                if let Some(r) = self.readers.iter_mut().find(|r| r.pcsc && r.card_in_use) {
                    r.card = Some(card);
                    r.card_in_use = false;
                }
                let Some(Workflow {
                    kind: Kind::Auth(info), ..
                }) = &self.workflow
                else {
                    return Vec::new();
                };
                let url = info.tc_token_url.clone();
                let msg = match outcome {
                    Ok(o) if o.code() == Some(1000) => json!({
                        "msg": "AUTH",
                        "result": {"major": MAJOR_OK},
                        "url": url,
                        "docval": docval_member(&o),
                    }),
                    Ok(o) => {
                        let reason = o
                            .close_reason
                            .clone()
                            .or_else(|| o.text_close.as_ref().and_then(|t| t.1.clone()))
                            .unwrap_or_default();
                        let mut m = self.auth_result(
                            MINOR_INTERNAL,
                            "The authentication failed.",
                            &format!(
                                "The DocVal server closed the session with code {}: {reason}",
                                o.code().unwrap_or(0)
                            ),
                            Some(&url),
                        );
                        set(&mut m, "docval", docval_member(&o));
                        m
                    }
                    Err(e) => self.auth_result(
                        MINOR_TRUSTED_CHANNEL,
                        "A trusted channel could not be opened.",
                        &format!("It wasn't possible to connect to the server: {e}"),
                        Some(&url),
                    ),
                };
                self.workflow = None;
                let mut out = vec![msg];
                out.extend(self.eject_simulator());
                out
            }
        }
    }

    fn cancel(&mut self) -> Vec<Value> {
        let Some(wf) = self.workflow.take() else {
            return vec![bad_state("CANCEL")];
        };
        if let Some(h) = wf.relay {
            h.abort();
        }
        // Like AusweisApp2: before PACE the card is ejected first, afterwards the result first.
        let eject_first = matches!(wf.step, Step::EnterPin | Step::EnterCan | Step::EnterPuk) && wf.channel.is_none();
        if eject_first {
            let mut out = self.eject_simulator();
            out.push(match wf.kind {
                Kind::ChangePin => json!({"msg": "CHANGE_PIN", "success": false}),
                Kind::Auth(_) => self.auth_result(
                    MINOR_CANCELLED,
                    "The user canceled the authentication process.",
                    "The process has been cancelled.",
                    None,
                ),
            });
            return out;
        }
        let mut out = match wf.kind {
            Kind::ChangePin => vec![json!({"msg": "CHANGE_PIN", "success": false})],
            Kind::Auth(_) => vec![self.auth_result(
                MINOR_CANCELLED,
                "The user canceled the authentication process.",
                "The process has been cancelled.",
                None,
            )],
        };
        out.extend(self.eject_simulator());
        out
    }
}

/// Connects to the card in a PC/SC reader and reads its PIN state.
fn connect_pcsc(pcsc: &emrtd_pcsc::Pcsc, reader: &mut Reader) {
    if let Ok(card) = pcsc.connect(&reader.name) {
        let mut card: Box<dyn Card> = Box::new(card);
        reader.eid = card::offers_pace(card.as_mut());
        reader.pin = reader.eid.then(|| card::pin_state(card.as_mut()));
        reader.card = Some(card);
    }
}

impl Session {
    fn pcsc_event(&mut self, e: emrtd_pcsc::ReaderEvent) -> Vec<Value> {
        use emrtd_pcsc::ReaderEvent;
        let mut out = Vec::new();
        match e {
            ReaderEvent::ReaderAdded { reader } => {
                if !self.readers.iter().any(|r| r.name == reader) {
                    let r = Reader {
                        name: reader,
                        pcsc: true,
                        keypad: false,
                        card: None,
                        card_in_use: false,
                        eid: true,
                        pin: None,
                    };
                    out.push(r.message());
                    self.readers.push(r);
                }
            }
            ReaderEvent::ReaderRemoved { reader } => {
                if let Some(i) = self.readers.iter().position(|r| r.pcsc && r.name == reader) {
                    self.readers.remove(i);
                    out.push(json!({"msg": "READER", "name": reader, "attached": false, "card": null}));
                }
            }
            ReaderEvent::CardInserted { reader, .. } => {
                let Some(i) = self.readers.iter().position(|r| r.pcsc && r.name == reader) else {
                    return out;
                };
                if let (Ok(pcsc), Some(r)) = (emrtd_pcsc::Pcsc::new(), self.readers.get_mut(i)) {
                    if r.card.is_some() || r.card_in_use {
                        return out;
                    }
                    connect_pcsc(&pcsc, r);
                    if matches!(&self.workflow, Some(wf) if wf.step == Step::InsertCard) {
                        out.extend(self.card_ready(i));
                    } else if let Some(r) = self.readers.get(i) {
                        out.push(r.message());
                    }
                }
            }
            ReaderEvent::CardRemoved { reader } => {
                if let Some(r) = self.readers.iter_mut().find(|r| r.pcsc && r.name == reader)
                    && !r.card_in_use
                {
                    r.card = None;
                    r.eid = true;
                    r.pin = None;
                    out.push(r.message());
                }
            }
        }
        out
    }
}

fn docval_member(o: &PhoneOutcome) -> Value {
    json!({
        "closeCode": o.code(),
        "statuses": o.statuses,
        "emrtd_passport": o.result,
    })
}

fn info() -> Value {
    json!({
        "msg": "INFO",
        "VersionInfo": {
            "Name": "emrtd-bridge",
            "Implementation-Title": "emrtd-bridge",
            "Implementation-Vendor": "docval",
            "Implementation-Version": env!("CARGO_PKG_VERSION"),
            "Specification-Title": "TR-03124",
            "Specification-Vendor": "Federal Office for Information Security",
            "Specification-Version": "1.3",
        }
    })
}

fn access_rights(error: Option<&str>) -> Value {
    let mut m = json!({
        "msg": "ACCESS_RIGHTS",
        "chat": {
            "effective": ACCESS_RIGHTS_REQUIRED,
            "optional": [],
            "required": ACCESS_RIGHTS_REQUIRED,
        },
        "transactionInfo": "DocVal: passive, chip and active authentication of the document chip (DG1, DG2, DG11 and more)",
    });
    if let Some(e) = error {
        set(&mut m, "error", json!(e));
    }
    m
}

fn set_access_rights(v: &Value) -> Value {
    match v.get("chat") {
        Some(Value::Array(items)) => match items.iter().find(|i| !i.is_string()) {
            Some(_) => access_rights(Some("Invalid entry in chat")),
            None => match items.iter().filter_map(Value::as_str).next() {
                // Every right is required: nothing optional can be switched on.
                Some(right) => access_rights(Some(&format!("Entry in chat is not optional: {right}"))),
                None => access_rights(None),
            },
        },
        None | Some(Value::Null) => access_rights(Some("chat cannot be undefined")),
        Some(_) => access_rights(Some("Invalid chat")),
    }
}

fn certificate(info: &AuthInfo) -> Value {
    let (from, to) = validity_dates();
    json!({
        "msg": "CERTIFICATE",
        "description": {
            "issuerName": "docval",
            "issuerUrl": info.server_url,
            "subjectName": format!("DocVal server {}", info.host),
            "subjectUrl": info.server_url,
            "termsOfUsage": format!("DocVal document verification\r\nServer:\t{}\r\nClient id:\t{}", info.server_url, info.client_id),
            "purpose": "DocVal document verification",
        },
        "validity": {"effectiveDate": from, "expirationDate": to},
    })
}

/// Today and 30 days from today, ISO 8601.
fn validity_dates() -> (String, String) {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0);
    (civil(days), civil(days + 30))
}

/// Days since 1970-01-01 to `YYYY-MM-DD` (Howard Hinnant's civil_from_days).
fn civil(days: u64) -> String {
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

/// A DocVal server URL as tcTokenURL: `ws(s)://` or `http(s)://host[:port]/path?client_id=…
/// [&validation_id=…]`. Returns `None` when it is not a usable URL.
fn parse_tc_token_url(s: &str) -> Option<AuthInfo> {
    let mut u = url::Url::parse(s).ok()?;
    let scheme = match u.scheme() {
        "ws" | "http" => "ws",
        "wss" | "https" => "wss",
        _ => return None,
    };
    // `Host` displays an IPv6 address in brackets already.
    let host = u.host()?.to_string();
    let port = u.port_or_known_default()?;
    let mut client_id = None;
    let mut validation_id = None;
    let mut rest = Vec::new();
    for (k, v) in u.query_pairs() {
        match k.as_ref() {
            "client_id" => client_id = Some(v.to_string()),
            "validation_id" => validation_id = Some(v.to_string()),
            _ => rest.push((k.to_string(), v.to_string())),
        }
    }
    if rest.is_empty() {
        u.set_query(None);
    } else {
        u.query_pairs_mut().clear().extend_pairs(rest);
    }
    u.set_scheme(scheme).ok()?;
    let host_port = format!("{host}:{port}");
    Some(AuthInfo {
        server_url: u.to_string(),
        tc_token_url: s.to_string(),
        client_id: client_id.unwrap_or_else(|| "YOUR CLIENT ID".into()),
        validation_id: validation_id.unwrap_or_else(|| "00000000-0000-4000-8000-000000000000".into()),
        host: host_port,
        accepted: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tc_token_url_becomes_the_docval_url() {
        let i = parse_tc_token_url("http://127.0.0.1:8080/ws1/validate?client_id=abc&validation_id=v1&x=1").unwrap();
        assert_eq!(i.server_url, "ws://127.0.0.1:8080/ws1/validate?x=1");
        assert_eq!(i.client_id, "abc");
        assert_eq!(i.validation_id, "v1");
        assert_eq!(i.host, "127.0.0.1:8080");
        let v6 = parse_tc_token_url("ws://[::1]:9000/ws1/validate?client_id=abc").unwrap();
        assert_eq!(v6.host, "[::1]:9000");
        assert_eq!(v6.server_url, "ws://[::1]:9000/ws1/validate");
        assert_eq!(
            parse_tc_token_url("https://example.org/v").unwrap().host,
            "example.org:443"
        );
        assert!(parse_tc_token_url("x").is_none());
        assert!(parse_tc_token_url("ftp://a/b").is_none());
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), "1970-01-01");
        assert_eq!(civil(20_454), "2026-01-01");
    }
}
