//! The server side of v2 as a state machine (§4.4): frames in, frames and events out.
//!
//! ```text
//! AWAIT_START ──START──▶ (driver checks clientId) ──accept()──▶ READING
//! READING ──FILE──▶ READING (stored by name; no duplicates)
//! READING ──CA_HANDOVER (after FILE dg14)──▶ CA_RELAY ──APDU responses──▶ FILE dg1 + CA_HANDBACK ──▶ READING
//! READING ──FINISH──▶ FINISHED (event Finished: the driver verifies, POSTs, answers RESULT, closes)
//! ```
//!
//! Chip authentication (Doc 9303-11 §6.2) runs over the phone's live secure-messaging session:
//! MSE:Set KAT (3DES) or MSE:Set AT + GENERAL AUTHENTICATE (AES) wrapped under the handed-over
//! keys, then READ BINARY of EF.DG1 (short file identifier 01) under the new keys. Only a
//! response that verifies under the new keys confirms that the chip holds the private key of
//! DG14; that DG1 is the one passive authentication checks (the phone may not upload its own).
//!
//! The driver owns the socket and the clock: it asks [`ServerSession::timer`] which timeout
//! applies while it waits and calls [`ServerSession::on_timeout`] when it expires.

use super::frame::{BinaryFrame, apdu_frame, file_frame};
use super::message::{
    CaHandback, CaHandover, CheckResult, ClientMessage, MAX_ID_CHARS, MessageError, SecureMessagingInfo, ServerMessage,
    Start,
};
use crate::close::CloseReason;
use base64::Engine;
use emrtd_apdu::{CommandApdu, ResponseApdu, StatusWord};
use emrtd_chipauth::ca::{CaParams, CaPending, CaStep, CaTerminal};
use emrtd_secinfo::{SecurityInfo, SecurityInfos};
use emrtd_sm::SmSession;
use rand_core::CryptoRng;
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// Bounds on what a phone may send. Every byte of it is hostile.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest single file (DG2 with a face is tens of kB; DG3/DG4 are never uploaded).
    pub max_file_bytes: usize,
    /// All files of a session together.
    pub max_total_bytes: usize,
    /// Number of files.
    pub max_files: usize,
    /// Longest file name (`sod`, `dg1` … `dg16`; Android allows 127).
    pub max_name_bytes: usize,
    /// APDUs in one relay (CA takes two or three, DG1 one or two).
    pub max_relay_apdus: u32,
    /// Largest EF.DG1 read during the relay (TD1/TD2/TD3 DG1 are under 100 bytes).
    pub max_dg1_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 1 << 20,
            max_total_bytes: 4 << 20,
            max_files: 24,
            max_name_bytes: 32,
            max_relay_apdus: 16,
            max_dg1_bytes: 1024,
        }
    }
}

/// Which timeout applies while the driver waits for the next frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Waiting for START (E1).
    Start,
    /// The phone reads the chip locally (the user may take a minute to present it).
    Reading,
    /// Waiting for the answer to a relayed APDU (E7).
    Response,
    /// Nothing is expected (the driver is verifying or the session ended).
    None,
}

/// How chip authentication went in the relay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelayedCa {
    /// The phone never handed over.
    NotRequested,
    /// The chip answered under the new keys.
    Confirmed,
    /// DG14 offers no chip authentication key (E9): DG1 was read under the phone's keys.
    NoChipAuthenticationKey(String),
    /// Chip authentication failed (the chip rejected it, or did not answer under the keys it
    /// agreed: the mark of a clone).
    Failed(String),
}

/// Everything a session collected, handed to the driver for verification.
pub struct Collected {
    /// The client's START message.
    pub start: Start,
    /// The active authentication challenge sent in ACCEPT.
    pub challenge: [u8; 8],
    /// Files as uploaded by the phone, by name.
    pub files: BTreeMap<String, Zeroizing<Vec<u8>>>,
    /// EF.DG1 as the server read it during the relay.
    pub server_dg1: Option<Zeroizing<Vec<u8>>>,
    /// The outcome of the relayed Chip Authentication.
    pub chip_authentication: RelayedCa,
    /// FINISH's signature, decoded (`Err` when it was not base64 or too long).
    pub aa_signature: Option<Result<Zeroizing<Vec<u8>>, ()>>,
    /// FINISH's `sendResult`: the phone wants a RESULT message.
    pub send_result: bool,
}

impl std::fmt::Debug for Collected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collected")
            .field("files", &self.files.keys().collect::<Vec<_>>())
            .field("server_dg1", &self.server_dg1.is_some())
            .field("chip_authentication", &self.chip_authentication)
            .field("aa_signature", &self.aa_signature.as_ref().map(|s| s.is_ok()))
            .field("send_result", &self.send_result)
            .finish_non_exhaustive()
    }
}

/// A frame for the phone.
#[derive(Debug, PartialEq, Eq)]
pub enum Outgoing {
    /// Wiped on drop (CA_HANDBACK carries session keys).
    Text(Zeroizing<String>),
    /// A binary frame (an APDU frame of the relay), wiped on drop.
    Binary(Zeroizing<Vec<u8>>),
}

/// What the driver has to do.
#[derive(Debug)]
pub enum Event {
    /// Send this frame.
    Send(Outgoing),
    /// START arrived: check the client id, then call [`ServerSession::accept`] (or close with
    /// `INVALID_CLIENT_ID`).
    Started,
    /// A MONITORING message in a diagnostic session: `Some(step)` for Android's
    /// `Step: NAME`, `None` for free text (which may quote passport data: not to be logged).
    Monitoring(Option<String>),
    /// FINISH arrived: verify, POST, send RESULT if asked, then close.
    Finished(Box<Collected>),
    /// Chip authentication failed in the relay: the chip's session is gone and the phone
    /// cannot go on. Verify what there is (chip authentication FAILED), POST it, and close with
    /// `EMRTD_PASSPORT_READER_ERROR`.
    ChipAuthenticationFailed(Box<Collected>),
    /// End the session with this reason (protocol errors, timeouts, relay failures).
    Close(CloseReason),
}

enum Relay {
    /// A CA command is out, under the handed-over keys.
    Ca { terminal: Box<CaTerminal>, sm: SmSession },
    /// The first READ BINARY of DG1 is out under the new keys; its answer confirms CA.
    Confirm { pending: Box<CaPending> },
    /// DG1 is being read (under the new keys, or the phone's for E9).
    ReadDg1 { sm: SmSession, check: CheckResult },
}

enum State {
    AwaitStart,
    /// START parsed; the driver checks the client.
    Validating(Start),
    Reading(Box<Session>),
    CaRelay(Box<Session>, Box<RelayState>),
    Done,
}

struct RelayState {
    relay: Relay,
    handover: CaHandover,
    dg1: Zeroizing<Vec<u8>>,
    apdus: u32,
    ca_note: Option<String>,
    /// Ne of the last command sent (to shrink a DG1 read the chip refused for its length).
    last_ne: u32,
    /// DG1 reads retried with a smaller Ne.
    shrinks: u8,
    /// The Ne the chip took after a shrink (continuation reads stay at or below it).
    ne_cap: u32,
}

struct Session {
    start: Start,
    files: BTreeMap<String, Zeroizing<Vec<u8>>>,
    total: usize,
    server_dg1: Option<Zeroizing<Vec<u8>>>,
    chip_authentication: RelayedCa,
    handed_over: bool,
}

/// The v2 server session.
pub struct ServerSession {
    state: State,
    challenge: [u8; 8],
    limits: Limits,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// The largest Ne of a DG1 read: the phone's `maxBlockSize`, at most 223 (the largest plain
/// chunk whose AES-protected answer fits a short response; DG1 is under 100 bytes anyway).
/// Never Le = 00: chips that answer 6B00 to Le 256 exist (Doc 9303 readers use 223 too).
const MAX_DG1_NE: u32 = 223;

fn dg1_block(handover: &CaHandover) -> u32 {
    handover.max_block_size.clamp(1, MAX_DG1_NE)
}

/// READ BINARY of EF.DG1 by short file identifier 01 (Doc 9303-10 §3.6.2), `ne` bytes.
fn read_dg1_sfi(ne: u32) -> CommandApdu {
    CommandApdu::new(0x00, 0xB0, 0x81, 0x00).with_ne(ne)
}

/// READ BINARY of the current file at `offset`.
fn read_at(offset: usize, ne: u32) -> CommandApdu {
    CommandApdu::new(0x00, 0xB0, ((offset >> 8) & 0x7F) as u8, (offset & 0xFF) as u8).with_ne(ne)
}

/// The length of a complete BER-TLV element from its first bytes, once known.
fn tlv_total_len(bytes: &[u8]) -> Option<usize> {
    let first_len = *bytes.get(1)?;
    if first_len < 0x80 {
        return Some(2 + usize::from(first_len));
    }
    let n = usize::from(first_len & 0x7F);
    if n == 0 || n > 3 {
        return Some(usize::MAX);
    }
    let len_bytes = bytes.get(2..2 + n)?;
    let len = len_bytes.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    Some(2 + n + len)
}

/// `Step: NAME` of Android's MONITORING, if that is what the message is.
fn monitoring_step(message: &str) -> Option<String> {
    let step = message.strip_prefix("Step: ")?;
    (!step.is_empty()
        && step.len() <= 64
        && step
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'))
    .then(|| step.to_owned())
}

/// Whether DG14 parses and holds no chip authentication public key (E9: UNAVAILABLE rather
/// than FAILED in the handback; the verdict comes from verification).
fn offers_no_ca_key(dg14: &[u8]) -> bool {
    let Ok((t, _)) = emrtd_apdu::tlv::Tlv::parse(dg14) else {
        return false;
    };
    if t.tag != emrtd_apdu::tlv::Tag(0x6E) {
        return false;
    }
    SecurityInfos::parse(t.value).is_ok_and(|infos| {
        !infos
            .infos
            .iter()
            .any(|i| matches!(i, SecurityInfo::ChipAuthenticationPublicKey(_)))
    })
}

fn valid_file_name(name: &str, limits: &Limits) -> bool {
    !name.is_empty()
        && name.len() <= limits.max_name_bytes
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

impl ServerSession {
    /// A session that will send `challenge` in ACCEPT (8 random bytes from the driver's RNG).
    pub fn new(challenge: [u8; 8], limits: Limits) -> Self {
        ServerSession {
            state: State::AwaitStart,
            challenge,
            limits,
        }
    }

    /// The 8-byte Active Authentication challenge this session sends in ACCEPT.
    pub fn challenge(&self) -> &[u8; 8] {
        &self.challenge
    }

    /// The START message, once received.
    pub fn start(&self) -> Option<&Start> {
        match &self.state {
            State::Validating(s) => Some(s),
            State::Reading(s) | State::CaRelay(s, _) => Some(&s.start),
            State::AwaitStart | State::Done => None,
        }
    }

    /// Whether the session has ended (no more frames are expected).
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// The timeout that applies now.
    pub fn timer(&self) -> Timer {
        match self.state {
            State::AwaitStart => Timer::Start,
            State::Reading(_) => Timer::Reading,
            State::CaRelay(..) => Timer::Response,
            State::Validating(_) | State::Done => Timer::None,
        }
    }

    /// The timeout returned by [`ServerSession::timer`] expired.
    pub fn on_timeout(&mut self) -> Vec<Event> {
        let reason = match self.state {
            State::AwaitStart => CloseReason::TimeoutWhileWaitingForStartMessage,
            State::Reading(_) | State::CaRelay(..) => CloseReason::TimeoutWhileWaitingForResponse,
            State::Validating(_) | State::Done => return Vec::new(),
        };
        self.close(reason)
    }

    fn close(&mut self, reason: CloseReason) -> Vec<Event> {
        self.state = State::Done;
        vec![Event::Close(reason)]
    }

    fn protocol_error(&mut self) -> Vec<Event> {
        self.close(CloseReason::ProtocolError)
    }

    /// The driver accepted the client: ACCEPT goes out, the phone reads the chip.
    pub fn accept(&mut self) -> Vec<Event> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Validating(start) => {
                self.state = State::Reading(Box::new(Session {
                    start,
                    files: BTreeMap::new(),
                    total: 0,
                    server_dg1: None,
                    chip_authentication: RelayedCa::NotRequested,
                    handed_over: false,
                }));
                vec![Event::Send(Outgoing::Text(Zeroizing::new(
                    ServerMessage::accept(&self.challenge).to_json(),
                )))]
            }
            other => {
                self.state = other;
                Vec::new()
            }
        }
    }

    /// A text frame from the phone.
    pub fn on_text<R: CryptoRng + ?Sized>(&mut self, text: &str, rng: &mut R) -> Vec<Event> {
        let msg = match ClientMessage::parse(text) {
            Ok(m) => m,
            Err(MessageError::TooLong(_) | MessageError::NotTyped | MessageError::UnknownType)
            | Err(MessageError::Malformed { .. }) => return self.protocol_error(),
        };
        match std::mem::replace(&mut self.state, State::Done) {
            State::AwaitStart => match msg {
                ClientMessage::Start(start) => {
                    if start.client_id.chars().count() > MAX_ID_CHARS
                        || start.validation_id.chars().count() > MAX_ID_CHARS
                        || start.platform.chars().count() > 32
                    {
                        return self.protocol_error();
                    }
                    self.state = State::Validating(start);
                    vec![Event::Started]
                }
                _ => self.protocol_error(),
            },
            // MONITORING is accepted in every state (§3.2: iOS sends it from independent
            // tasks at any point after START, so it can overtake ACCEPT or follow FINISH).
            State::Validating(start) => match msg {
                ClientMessage::Monitoring(m) => {
                    let ev = if start.enable_diagnostics {
                        vec![Event::Monitoring(monitoring_step(&m.message))]
                    } else {
                        Vec::new()
                    };
                    self.state = State::Validating(start);
                    ev
                }
                _ => self.protocol_error(),
            },
            // After FINISH (the driver verifies) a late MONITORING is ignored (§4.4 FINALIZE).
            State::Done => match msg {
                ClientMessage::Monitoring(_) => Vec::new(),
                _ => self.protocol_error(),
            },
            State::Reading(session) => self.reading_text(session, msg, rng),
            State::CaRelay(session, relay) => match msg {
                ClientMessage::Monitoring(m) => {
                    let ev = Self::monitoring(&session, &m.message);
                    self.state = State::CaRelay(session, relay);
                    ev
                }
                // FINISH or a second handover before CA_HANDBACK.
                _ => self.protocol_error(),
            },
        }
    }

    fn monitoring(session: &Session, message: &str) -> Vec<Event> {
        if session.start.enable_diagnostics {
            vec![Event::Monitoring(monitoring_step(message))]
        } else {
            Vec::new()
        }
    }

    fn reading_text<R: CryptoRng + ?Sized>(
        &mut self,
        mut session: Box<Session>,
        msg: ClientMessage,
        rng: &mut R,
    ) -> Vec<Event> {
        match msg {
            ClientMessage::Monitoring(m) => {
                let ev = Self::monitoring(&session, &m.message);
                self.state = State::Reading(session);
                ev
            }
            ClientMessage::Start(_) => self.protocol_error(),
            ClientMessage::Finish(finish) => {
                let aa_signature = finish.active_authentication_signature.as_deref().map(|s| {
                    b64()
                        .decode(s)
                        .ok()
                        .filter(|sig| !sig.is_empty() && sig.len() <= 1024)
                        .map(Zeroizing::new)
                        .ok_or(())
                });
                let collected = Collected {
                    start: session.start,
                    challenge: self.challenge,
                    files: std::mem::take(&mut session.files),
                    server_dg1: session.server_dg1.take(),
                    chip_authentication: session.chip_authentication,
                    aa_signature,
                    send_result: finish.send_result,
                };
                self.state = State::Done;
                vec![Event::Finished(Box::new(collected))]
            }
            ClientMessage::CaHandover(handover) => {
                if session.handed_over {
                    return self.protocol_error();
                }
                let Some(dg14) = session.files.get("dg14") else {
                    // "DG14 must be sent BEFORE CA_HANDOVER".
                    return self.protocol_error();
                };
                let Ok(sm) = handover.secure_messaging_info.to_session() else {
                    return self.protocol_error();
                };
                if handover.max_block_size == 0 || handover.max_transceive_length_for_secure_messaging < 16 {
                    return self.protocol_error();
                }
                session.handed_over = true;
                let block = dg1_block(&handover);
                let (relay, first, ca_note) =
                    match CaParams::from_dg14(dg14, None).and_then(|p| CaTerminal::new(p, rng)) {
                        Ok(mut terminal) => match terminal.start() {
                            Ok(cmd) => (
                                Relay::Ca {
                                    terminal: Box::new(terminal),
                                    sm,
                                },
                                cmd,
                                None,
                            ),
                            Err(_) => return self.close(CloseReason::ServerError),
                        },
                        Err(e) => {
                            // E9: DG14 without a usable chip authentication key. Read DG1 with
                            // the phone's keys and hand them back; verification after FINISH
                            // decides the verdict from the signed data.
                            let check = if offers_no_ca_key(dg14) {
                                CheckResult::Unavailable
                            } else {
                                CheckResult::Failed
                            };
                            (Relay::ReadDg1 { sm, check }, read_dg1_sfi(block), Some(e.to_string()))
                        }
                    };
                let relay_state = RelayState {
                    relay,
                    handover,
                    dg1: Zeroizing::new(Vec::new()),
                    apdus: 0,
                    ca_note,
                    last_ne: 0,
                    shrinks: 0,
                    ne_cap: MAX_DG1_NE,
                };
                self.send_relay(session, relay_state, first)
            }
        }
    }

    fn block(&self, handover: &CaHandover) -> u32 {
        dg1_block(handover)
    }

    /// Wraps `cmd` under the relay's current keys and sends it.
    fn send_relay(&mut self, session: Box<Session>, mut rs: RelayState, cmd: CommandApdu) -> Vec<Event> {
        rs.apdus += 1;
        rs.last_ne = cmd.ne.unwrap_or(0);
        if rs.apdus > self.limits.max_relay_apdus {
            return self.close(CloseReason::EmrtdPassportReaderError);
        }
        let protected = match &mut rs.relay {
            Relay::Ca { sm, .. } | Relay::ReadDg1 { sm, .. } => sm.protect(&cmd).map_err(|e| e.to_string()),
            Relay::Confirm { pending } => pending.protect(&cmd).map_err(|e| e.to_string()),
        };
        let bytes = match protected.map(|p| p.to_bytes()) {
            Ok(Ok(b)) => b,
            _ => return self.close(CloseReason::ServerError),
        };
        if bytes.len() > rs.handover.max_transceive_length_for_secure_messaging as usize {
            // The phone's NFC stack cannot carry this command (e.g. MSE:Set KAT with a
            // 2048-bit DH key over a short-length-only link).
            return self.close(CloseReason::EmrtdPassportReaderError);
        }
        self.state = State::CaRelay(session, Box::new(rs));
        vec![Event::Send(Outgoing::Binary(Zeroizing::new(apdu_frame(&bytes))))]
    }

    /// A binary frame from the phone.
    pub fn on_binary<R: CryptoRng + ?Sized>(&mut self, bytes: &[u8], _rng: &mut R) -> Vec<Event> {
        let Ok(frame) = BinaryFrame::parse(bytes) else {
            return self.protocol_error();
        };
        match (std::mem::replace(&mut self.state, State::Done), frame) {
            (State::Reading(session), BinaryFrame::File { name, data }) => self.on_file(session, name, data),
            (State::CaRelay(session, relay), BinaryFrame::Apdu(resp)) => self.on_relay_response(session, *relay, resp),
            _ => self.protocol_error(),
        }
    }

    fn on_file(&mut self, mut session: Box<Session>, name: &str, data: &[u8]) -> Vec<Event> {
        let l = &self.limits;
        if !valid_file_name(name, l)
            || session.files.contains_key(name)
            || session.files.len() >= l.max_files
            || data.len() > l.max_file_bytes
            || session.total.saturating_add(data.len()) > l.max_total_bytes
            // The DG14 chip authentication used, and the DG1 the server read, are final.
            || (name == "dg14" && session.handed_over)
            || (name == "dg1" && session.server_dg1.is_some())
        {
            return self.protocol_error();
        }
        session.total += data.len();
        session.files.insert(name.to_owned(), Zeroizing::new(data.to_vec()));
        self.state = State::Reading(session);
        Vec::new()
    }

    fn on_relay_response(&mut self, session: Box<Session>, mut rs: RelayState, raw: &[u8]) -> Vec<Event> {
        // iOS answers 6F00 when it could not forward the command (E6): the chip's session is
        // in an unknown state; end the session without a verdict on the chip.
        if raw == [0x6F, 0x00] {
            return self.close(CloseReason::EmrtdPassportReaderError);
        }
        let Ok(resp) = ResponseApdu::parse(raw) else {
            return self.protocol_error();
        };
        match rs.relay {
            Relay::Ca { mut terminal, mut sm } => {
                let plain = match sm.unprotect(&resp) {
                    Ok(p) => p,
                    // Under the phone's own keys: the relay, not the chip, is broken.
                    Err(_) => return self.close(CloseReason::EmrtdPassportReaderError),
                };
                match terminal.on_response(&plain) {
                    Ok(CaStep::Send(next)) => {
                        rs.relay = Relay::Ca { terminal, sm };
                        self.send_relay(session, rs, next)
                    }
                    Ok(CaStep::Pending(pending)) => {
                        rs.relay = Relay::Confirm { pending };
                        let ne = self.block(&rs.handover);
                        self.send_relay(session, rs, read_dg1_sfi(ne))
                    }
                    Err(e) => self.ca_failed(*session, format!("the chip refused chip authentication: {e}")),
                }
            }
            Relay::Confirm { pending } => match pending.confirm(&resp) {
                Ok((confirmed, plain)) => {
                    rs.relay = Relay::ReadDg1 {
                        sm: confirmed.session,
                        check: CheckResult::Success,
                    };
                    self.on_dg1_part(session, rs, plain)
                }
                Err(e) => self.ca_failed(
                    *session,
                    format!("the chip did not answer under the keys it agreed (clone suspected): {e}"),
                ),
            },
            Relay::ReadDg1 { mut sm, check } => match sm.unprotect(&resp) {
                Ok(plain) => {
                    rs.relay = Relay::ReadDg1 { sm, check };
                    self.on_dg1_part(session, rs, plain)
                }
                Err(e) if check == CheckResult::Success => self.ca_failed(
                    *session,
                    format!("the chip's answer under the new keys does not verify: {e}"),
                ),
                Err(_) => self.close(CloseReason::EmrtdPassportReaderError),
            },
        }
    }

    fn ca_failed(&mut self, session: Session, why: String) -> Vec<Event> {
        self.state = State::Done;
        let collected = Collected {
            start: session.start,
            challenge: self.challenge,
            files: session.files,
            server_dg1: None,
            chip_authentication: RelayedCa::Failed(why),
            aa_signature: None,
            send_result: false,
        };
        vec![Event::ChipAuthenticationFailed(Box::new(collected))]
    }

    /// A plain READ BINARY answer while reading DG1.
    fn on_dg1_part(&mut self, session: Box<Session>, mut rs: RelayState, plain: ResponseApdu) -> Vec<Event> {
        let sw = plain.sw;
        if plain.data.is_empty() && rs.shrinks < 4 {
            // The chip refused the length (6Cxx gives the right one; 6700 and 6B00 say
            // nothing): ask again for less, as the reading engine does.
            let ne = rs.last_ne;
            let smaller = match sw.sw1() {
                0x6C if sw.sw2() != 0 => u32::from(sw.sw2()),
                0x67 | 0x6B => ne / 2,
                _ => 0,
            };
            if smaller >= 2 && smaller < ne {
                rs.shrinks += 1;
                rs.ne_cap = smaller;
                let offset = rs.dg1.len();
                let cmd = if offset == 0 {
                    read_dg1_sfi(smaller)
                } else {
                    read_at(offset, smaller)
                };
                return self.send_relay(session, rs, cmd);
            }
        }
        if (sw != StatusWord::SUCCESS && sw != StatusWord::END_OF_FILE) || plain.data.is_empty() {
            return self.close(CloseReason::FileReadError);
        }
        rs.dg1.extend_from_slice(&plain.data);
        if rs.dg1.first() != Some(&0x61) {
            return self.close(CloseReason::FileReadError);
        }
        let total = tlv_total_len(&rs.dg1);
        match total {
            Some(t) if t > self.limits.max_dg1_bytes => self.close(CloseReason::FileReadError),
            Some(t) if rs.dg1.len() >= t => {
                rs.dg1.truncate(t);
                self.hand_back(session, rs)
            }
            _ if sw == StatusWord::END_OF_FILE => self.close(CloseReason::FileReadError),
            _ => {
                let offset = rs.dg1.len();
                let remaining = total.map_or(256, |t| t - offset);
                let ne = self
                    .block(&rs.handover)
                    .min(rs.ne_cap)
                    .min(u32::try_from(remaining).unwrap_or(256));
                if offset > 0x7FFF {
                    return self.close(CloseReason::FileReadError);
                }
                self.send_relay(session, rs, read_at(offset, ne))
            }
        }
    }

    /// DG1 is complete: FILE `dg1`, then CA_HANDBACK with the session the chip expects next.
    fn hand_back(&mut self, mut session: Box<Session>, rs: RelayState) -> Vec<Event> {
        let Relay::ReadDg1 { sm, check } = &rs.relay else {
            return self.close(CloseReason::ServerError);
        };
        let Ok(info) = SecureMessagingInfo::from_session(sm) else {
            return self.close(CloseReason::ServerError);
        };
        let Ok(file) = file_frame("dg1", &rs.dg1) else {
            return self.close(CloseReason::ServerError);
        };
        session.chip_authentication = match check {
            CheckResult::Success => RelayedCa::Confirmed,
            _ => RelayedCa::NoChipAuthenticationKey(rs.ca_note.clone().unwrap_or_default()),
        };
        let handback = ServerMessage::CaHandback(CaHandback {
            check_result: *check,
            secure_messaging_info: Some(info),
            dg1_data: Some(b64().encode(&*rs.dg1)),
            error_message: rs.ca_note.clone(),
        });
        // A DG1 the phone uploaded before the handover stays in `files`: verification uses this
        // one and reports a phone's DG1 that differs from it.
        session.server_dg1 = Some(rs.dg1.clone());
        self.state = State::Reading(session);
        vec![
            Event::Send(Outgoing::Binary(Zeroizing::new(file))),
            Event::Send(Outgoing::Text(Zeroizing::new(handback.to_json()))),
        ]
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
    use super::*;

    const START: &str = r#"{"type":"START","validationId":"v","clientId":"c","platform":"iOS","nfcAdapterSupportsExtendedLength":true,"enableDiagnostics":true}"#;
    const REF1_DG14: &[u8] = include_bytes!("../../../../fixtures/documents/ref-1/010E.bin");

    fn rng() -> impl CryptoRng {
        emrtd_crypto::rng::os_rng()
    }

    fn accepted(limits: Limits) -> ServerSession {
        let mut s = ServerSession::new([1, 2, 3, 4, 5, 6, 7, 8], limits);
        assert_eq!(s.timer(), Timer::Start);
        assert!(matches!(s.on_text(START, &mut rng()).as_slice(), [Event::Started]));
        assert_eq!(s.start().unwrap().platform_category(), "ios");
        let ev = s.accept();
        let [Event::Send(Outgoing::Text(t))] = ev.as_slice() else {
            panic!("{ev:?}")
        };
        assert_eq!(
            t.as_str(),
            r#"{"type":"ACCEPT","activeAuthenticationChallenge":"AQIDBAUGBwg="}"#
        );
        assert_eq!(s.timer(), Timer::Reading);
        s
    }

    fn closed(ev: &[Event]) -> Option<CloseReason> {
        match ev {
            [Event::Close(r)] => Some(*r),
            _ => None,
        }
    }

    #[test]
    fn monitoring_is_reported_as_a_step_name_or_withheld() {
        let mut s = accepted(Limits::default());
        let ev = s.on_text(r#"{"type":"MONITORING","message":"Step: READ_DG2"}"#, &mut rng());
        assert!(matches!(ev.as_slice(), [Event::Monitoring(Some(step))] if step == "READ_DG2"));
        let ev = s.on_text(r#"{"type":"MONITORING","message":"MRZ P<UTOERIKA"}"#, &mut rng());
        assert!(matches!(ev.as_slice(), [Event::Monitoring(None)]));
        // Not diagnostic: accepted and dropped.
        let mut quiet = ServerSession::new([0; 8], Limits::default());
        quiet.on_text(
            &START.replace("\"enableDiagnostics\":true", "\"enableDiagnostics\":false"),
            &mut rng(),
        );
        quiet.accept();
        assert!(
            quiet
                .on_text(r#"{"type":"MONITORING","message":"Step: X"}"#, &mut rng())
                .is_empty()
        );
    }

    #[test]
    fn file_limits_are_protocol_errors() {
        let limits = Limits {
            max_file_bytes: 10,
            max_total_bytes: 15,
            max_files: 2,
            ..Limits::default()
        };
        let frame = |n: &str, len: usize| file_frame(n, &vec![0u8; len]).unwrap();
        let mut s = accepted(limits.clone());
        assert_eq!(
            closed(&s.on_binary(&frame("dg2", 11), &mut rng())),
            Some(CloseReason::ProtocolError)
        );
        let mut s = accepted(limits.clone());
        assert!(s.on_binary(&frame("dg2", 10), &mut rng()).is_empty());
        assert_eq!(
            closed(&s.on_binary(&frame("dg3", 6), &mut rng())),
            Some(CloseReason::ProtocolError)
        );
        let mut s = accepted(limits.clone());
        assert!(s.on_binary(&frame("dg1", 1), &mut rng()).is_empty());
        assert!(s.on_binary(&frame("dg2", 1), &mut rng()).is_empty());
        assert_eq!(
            closed(&s.on_binary(&frame("dg3", 1), &mut rng())),
            Some(CloseReason::ProtocolError)
        );
        let mut s = accepted(limits);
        assert_eq!(
            closed(&s.on_binary(&frame("dg 1", 1), &mut rng())),
            Some(CloseReason::ProtocolError)
        );
        assert!(s.is_done());
    }

    #[test]
    fn handover_sends_chip_authentication_under_the_phones_keys() {
        let mut s = accepted(Limits::default());
        assert!(
            s.on_binary(&file_frame("dg14", REF1_DG14).unwrap(), &mut rng())
                .is_empty()
        );
        let handover = r#"{"type":"CA_HANDOVER","maxTransceiveLengthForSecureMessaging":261,"maxBlockSize":223,
            "secureMessagingInfo":{"algorithm":"AES","encKey":"ABEiM0RVZneImaq7zN3u/w==","macKey":"/+7dzLuqmYh3ZlVEMyIRAA==","ssc":12}}"#;
        let ev = s.on_text(handover, &mut rng());
        let [Event::Send(Outgoing::Binary(apdu))] = ev.as_slice() else {
            panic!("{ev:?}")
        };
        // An APDU frame with a protected MSE:Set AT (CLA 0C, INS 22, P1P2 41A4).
        assert_eq!(&apdu[..5], &[0x02, 0x0C, 0x22, 0x41, 0xA4]);
        assert_eq!(s.timer(), Timer::Response);
        // The answer must verify under the phone's keys (SSC 13 now): a forged 9000 does not.
        assert_eq!(
            closed(&s.on_binary(&[0x02, 0x90, 0x00], &mut rng())),
            Some(CloseReason::EmrtdPassportReaderError)
        );
    }

    #[test]
    fn a_second_handover_and_late_dg14_are_refused() {
        let mut s = accepted(Limits::default());
        // No DG14 yet.
        let handover = r#"{"type":"CA_HANDOVER","maxTransceiveLengthForSecureMessaging":261,"maxBlockSize":223,
            "secureMessagingInfo":{"algorithm":"AES","encKey":"ABEiM0RVZneImaq7zN3u/w==","macKey":"/+7dzLuqmYh3ZlVEMyIRAA==","ssc":0}}"#;
        assert_eq!(
            closed(&s.on_text(handover, &mut rng())),
            Some(CloseReason::ProtocolError)
        );
        // Bad keys in the handover.
        let mut s = accepted(Limits::default());
        s.on_binary(&file_frame("dg14", REF1_DG14).unwrap(), &mut rng());
        let bad = handover.replace("\"AES\"", "\"RC4\"");
        assert_eq!(closed(&s.on_text(&bad, &mut rng())), Some(CloseReason::ProtocolError));
    }

    #[test]
    fn timeouts_depend_on_the_phase() {
        let mut s = ServerSession::new([0; 8], Limits::default());
        assert_eq!(
            closed(&s.on_timeout()),
            Some(CloseReason::TimeoutWhileWaitingForStartMessage)
        );
        let mut s = accepted(Limits::default());
        assert_eq!(
            closed(&s.on_timeout()),
            Some(CloseReason::TimeoutWhileWaitingForResponse)
        );
        assert_eq!(s.timer(), Timer::None);
        assert!(s.on_timeout().is_empty());
    }

    #[test]
    fn dg1_length_is_taken_from_its_tlv_header() {
        assert_eq!(tlv_total_len(&[0x61, 0x5B]), Some(93));
        assert_eq!(tlv_total_len(&[0x61, 0x81, 0x80]), Some(131));
        assert_eq!(tlv_total_len(&[0x61, 0x82, 0x01]), None);
        assert_eq!(tlv_total_len(&[0x61, 0x85, 1, 1, 1, 1, 1]), Some(usize::MAX));
        assert_eq!(monitoring_step("Step: READ_DG1"), Some("READ_DG1".into()));
        assert_eq!(monitoring_step("Step: read"), None);
    }
}

#[cfg(test)]
mod relay_tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use std::collections::VecDeque;

    const START: &str = r#"{"type":"START","validationId":"v","clientId":"c","platform":"iOS","nfcAdapterSupportsExtendedLength":true,"enableDiagnostics":true}"#;
    const MONITORING: &str = r#"{"type":"MONITORING","message":"Step: READ_SOD"}"#;

    #[test]
    fn monitoring_is_accepted_before_accept_and_after_finish() {
        let mut rng = emrtd_crypto::rng::os_rng();
        let mut s = ServerSession::new([7; 8], Limits::default());
        assert!(matches!(s.on_text(START, &mut rng).as_slice(), [Event::Started]));
        // iOS sends MONITORING from its own tasks: it may arrive while the driver checks the
        // client id, before ACCEPT went out.
        match s.on_text(MONITORING, &mut rng).as_slice() {
            [Event::Monitoring(Some(step))] => assert_eq!(step, "READ_SOD"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(s.accept().as_slice(), [Event::Send(Outgoing::Text(_))]));
        assert!(matches!(
            s.on_text(r#"{"type":"FINISH","sendResult":true}"#, &mut rng).as_slice(),
            [Event::Finished(_)]
        ));
        // A late MONITORING while the driver verifies does not end the session in an error.
        assert!(s.on_text(MONITORING, &mut rng).is_empty());
        assert!(s.is_done());
        // Anything else after FINISH is still a protocol error.
        assert!(matches!(
            s.on_text(r#"{"type":"FINISH","sendResult":true}"#, &mut rng).as_slice(),
            [Event::Close(CloseReason::ProtocolError)]
        ));
    }

    /// A phone that did BAC with a virtual ref-1 hands over; the events are relayed to the
    /// chip until CA_HANDBACK. Returns the dg1 the server sent and the handback.
    fn relay_with_chip(doc: emrtd_sim::Document, max_block_size: u32) -> (Vec<u8>, CaHandback) {
        use emrtd_access::{BacTerminal, MrzKey};
        let mut rng = emrtd_crypto::rng::os_rng();
        let dg14 = doc.file(emrtd_sim::Df::Emrtd, 0x010E).unwrap().to_vec();
        let m = doc.manifest.mrz.clone().unwrap();
        let mut chip = emrtd_sim::VirtualChip::standard(doc).unwrap();
        let mut send = |c: &CommandApdu| ResponseApdu::parse(&chip.transmit(&c.to_bytes().unwrap())).unwrap();
        let select = CommandApdu::new(0, 0xA4, 0x04, 0x0C).with_data(emrtd_sim::EMRTD_AID.to_vec());
        assert!(send(&select).sw.is_success());
        let mut bac = BacTerminal::new(&MrzKey::new(&m.document_number, &m.date_of_birth, &m.date_of_expiry).unwrap());
        let challenge = send(&bac.get_challenge());
        let ea = bac.external_authenticate(&challenge, &mut rng).unwrap();
        let sm = bac.finish(&send(&ea)).unwrap();

        let mut s = ServerSession::new([1; 8], Limits::default());
        assert!(matches!(s.on_text(START, &mut rng).as_slice(), [Event::Started]));
        s.accept();
        assert!(s.on_binary(&file_frame("dg14", &dg14).unwrap(), &mut rng).is_empty());
        let handover = ClientMessage::CaHandover(CaHandover {
            max_transceive_length_for_secure_messaging: 65_546,
            max_block_size,
            secure_messaging_info: SecureMessagingInfo::from_session(&sm).unwrap(),
        });
        let mut events: VecDeque<Event> = s.on_text(&handover.to_json(), &mut rng).into();
        let mut dg1 = None;
        while let Some(ev) = events.pop_front() {
            match ev {
                Event::Send(Outgoing::Binary(b)) => match BinaryFrame::parse(&b).unwrap() {
                    BinaryFrame::Apdu(cmd) => {
                        let resp = chip.transmit(cmd);
                        events.extend(s.on_binary(&apdu_frame(&resp), &mut rng));
                    }
                    BinaryFrame::File { name, data } => {
                        assert_eq!(name, "dg1");
                        dg1 = Some(data.to_vec());
                    }
                },
                Event::Send(Outgoing::Text(t)) => match ServerMessage::parse(&t).unwrap() {
                    ServerMessage::CaHandback(h) => {
                        // The handed-back session carries on with the chip.
                        let mut sm = h.secure_messaging_info.as_ref().unwrap().to_session().unwrap();
                        let read = CommandApdu::new(0x00, 0xB0, 0x82, 0x00).with_ne(4);
                        let resp = ResponseApdu::parse(&chip.transmit(&sm.protect(&read).unwrap().to_bytes().unwrap()))
                            .unwrap();
                        let plain = sm.unprotect(&resp).unwrap();
                        assert_eq!(plain.data.first(), Some(&0x75), "DG2 under the handed-back keys");
                        return (dg1.unwrap(), h);
                    }
                    other => panic!("{other:?}"),
                },
                other => panic!("{other:?}"),
            }
        }
        panic!("no CA_HANDBACK")
    }

    #[test]
    fn dg1_is_read_under_the_new_keys_even_from_chips_that_refuse_long_reads() {
        // Before the fix the server asked Le = 00 (256) whenever the phone's maxBlockSize was
        // 256 or more, and gave up on any refusal of the length: FILE_READ_ERROR on genuine
        // chips that answer 6B00 to Le 256 or 6700 above their buffer.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/documents/ref-1");
        for (quirk, block) in [
            ("none", 223),
            ("6b00", 65_536),
            ("max_le 64", 65_536),
            ("max_le 64", 40),
        ] {
            let mut doc = emrtd_sim::Document::from_dir(&dir).unwrap();
            let genuine = doc.file(emrtd_sim::Df::Emrtd, 0x0101).unwrap().to_vec();
            match quirk {
                "6b00" => doc.manifest.quirks.sw_6b00_on_le_256 = true,
                "max_le 64" => doc.manifest.quirks.max_le = Some(64),
                _ => {}
            }
            let (dg1, handback) = relay_with_chip(doc, block);
            assert_eq!(dg1, genuine, "{quirk}");
            assert_eq!(handback.check_result, CheckResult::Success, "{quirk}");
        }
    }
}
