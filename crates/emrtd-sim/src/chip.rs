//! The virtual chip: file system, SELECT, READ BINARY, GET CHALLENGE, BAC and secure
//! messaging, with plug-in points ([`CardProtocol`]) for PACE, CA, AA and the rest.

use crate::SimError;
use crate::manifest::{Df, Document};
use crate::rng::SeededRng;
use emrtd_access::{BacChip, MrzKey};
use emrtd_apdu::tlv::{Tag, TlvIter, write_tlv};
use emrtd_apdu::{CommandApdu, LengthForm, ResponseApdu, StatusWord};
use emrtd_sm::SmSession;
use std::time::Duration;

/// AID of the eMRTD application (Doc 9303-10 §3.6.1).
pub const EMRTD_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];

/// How many bytes an endless file pretends to have.
pub const ENDLESS_CLAIMED_LEN: usize = 0x00FF_FFFF;

pub use crate::adversarial::Adversarial;

/// The result of a [`CardProtocol`] handling a command.
pub struct Handled {
    /// The response APDU to send.
    pub response: ResponseApdu,
    /// Secure messaging to use from the next command on (after this response was sent,
    /// protected with the old session if there was one).
    pub new_session: Option<SmSession>,
    /// The protocol granted access to the eMRTD application (PACE, or CA/TA when relevant).
    pub grant_access: bool,
    /// Send the response without secure messaging even when a session is active (PACE
    /// GENERAL AUTHENTICATE is plain).
    pub plain: bool,
}

impl Handled {
    /// Just `response`: no new session, no access granted, protected as usual.
    pub fn response(response: ResponseApdu) -> Self {
        Handled {
            response,
            new_session: None,
            grant_access: false,
            plain: false,
        }
    }

    /// Just a status word (e.g. 6A80, 6982) as the response.
    pub fn status(sw: StatusWord) -> Self {
        Handled::response(ResponseApdu::status(sw))
    }
}

/// What a protocol plug-in sees of the chip.
pub struct ProtocolContext<'a> {
    /// The chip's random generator (challenges, nonces, ephemeral keys), seeded for reproducible
    /// sessions.
    pub rng: &'a mut SeededRng,
    /// The command arrived under secure messaging.
    pub secured: bool,
    /// Access control (BAC/PACE) has been performed in this session.
    pub access_granted: bool,
    /// The last GET CHALLENGE answer not consumed by BAC.
    pub last_challenge: Option<[u8; 8]>,
    /// The chip's document (files, manifest, keys).
    pub document: &'a Document,
}

/// A card-side protocol (PACE, CA, AA, PIN management, ...) the chip hands commands to.
pub trait CardProtocol: Send {
    /// Short name for logs.
    fn name(&self) -> &'static str;
    /// Returns `None` when the command is not for this protocol.
    fn handle(&mut self, cmd: &CommandApdu, ctx: &mut ProtocolContext<'_>) -> Option<Handled>;
    /// Card reset / power cycle: drop session state, keep persistent counters.
    fn reset(&mut self) {}
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Selected {
    df: Df,
    ef: Option<usize>,
}

/// A virtual eMRTD chip. Feed raw command APDUs to [`VirtualChip::transmit`].
pub struct VirtualChip {
    doc: Document,
    adversarial: Vec<Adversarial>,
    rng: SeededRng,
    selected: Selected,
    bac: Option<BacChip>,
    sm: Option<SmSession>,
    access_granted: bool,
    last_challenge: Option<[u8; 8]>,
    protocols: Vec<Box<dyn CardProtocol>>,
    commands: u64,
    atr: Vec<u8>,
    /// The command being processed arrived under secure messaging.
    current_secured: bool,
}

impl core::fmt::Debug for VirtualChip {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("VirtualChip")
            .field("name", &self.doc.manifest.name)
            .field("adversarial", &self.adversarial)
            .field("sm", &self.sm.is_some())
            .field("commands", &self.commands)
            .finish_non_exhaustive()
    }
}

const SW_NO_CURRENT_EF: StatusWord = StatusWord(0x6986);

/// Re-encodes the first TLV header of `content` with `extra` more bytes of length.
fn inflate_length(content: &[u8], extra: usize) -> Vec<u8> {
    let Ok((tlv, _)) = emrtd_apdu::Tlv::parse(content) else {
        return content.to_vec();
    };
    let header_len = tlv.raw.len().saturating_sub(tlv.value.len());
    let Some(tag_and_len) = content.get(..header_len) else {
        return content.to_vec();
    };
    let tag_len = tlv.tag.len();
    let mut out = Vec::with_capacity(content.len() + 4);
    out.extend_from_slice(tag_and_len.get(..tag_len).unwrap_or_default());
    emrtd_apdu::tlv::write_length(tlv.value.len().saturating_add(extra), &mut out);
    out.extend_from_slice(content.get(header_len..).unwrap_or_default());
    out
}

/// A header claiming [`ENDLESS_CLAIMED_LEN`] bytes in front of the file's own value.
fn endless_header(content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 8);
    match emrtd_apdu::Tlv::parse(content) {
        Ok((tlv, _)) => {
            tlv.tag.write(&mut out);
            emrtd_apdu::tlv::write_length(ENDLESS_CLAIMED_LEN, &mut out);
            out.extend_from_slice(tlv.value);
        }
        Err(_) => {
            out.push(0x77);
            emrtd_apdu::tlv::write_length(ENDLESS_CLAIMED_LEN, &mut out);
            out.extend_from_slice(content);
        }
    }
    out
}

/// A plausible contactless ATR with the given historical bytes (ISO/IEC 7816-3, PC/SC part 3).
pub fn make_atr(historical: &[u8]) -> Vec<u8> {
    let hist = historical.get(..15.min(historical.len())).unwrap_or_default();
    let k = u8::try_from(hist.len()).unwrap_or(0);
    let mut atr = vec![0x3B, 0x80 | k, 0x80, 0x01];
    atr.extend_from_slice(hist);
    let tck = atr.iter().skip(1).fold(0u8, |a, b| a ^ b);
    atr.push(tck);
    atr
}

impl VirtualChip {
    /// A chip for a document, without plug-ins. BAC is enabled when the manifest says so and
    /// has MRZ data.
    pub fn new(doc: Document) -> Result<Self, SimError> {
        let bac = match (&doc.manifest.mrz, doc.manifest.access.bac) {
            (Some(m), true) => Some(BacChip::new(
                &MrzKey::new(&m.document_number, &m.date_of_birth, &m.date_of_expiry)
                    .map_err(|e| SimError::Manifest(format!("MRZ: {e}")))?,
            )),
            _ => None,
        };
        let seed = doc
            .manifest
            .rng_seed
            .clone()
            .unwrap_or_else(|| doc.manifest.name.clone());
        let modes = doc.manifest.adversarial.clone();
        let chip = VirtualChip {
            rng: SeededRng::new(format!("emrtd-sim/{seed}").as_bytes()),
            doc,
            adversarial: Vec::new(),
            selected: Selected { df: Df::Mf, ef: None },
            bac,
            sm: None,
            access_granted: false,
            last_challenge: None,
            protocols: Vec::new(),
            commands: 0,
            atr: make_atr(b"docval-sim"),
            current_secured: false,
        };
        Ok(modes.into_iter().fold(chip, VirtualChip::with_adversarial))
    }

    /// Loads a document directory (see [`Document::from_dir`]).
    pub fn from_dir(dir: &std::path::Path) -> Result<Self, SimError> {
        VirtualChip::new(Document::from_dir(dir)?)
    }

    /// Adds a protocol plug-in; plug-ins are asked in the order they were added.
    pub fn with_protocol(mut self, p: Box<dyn CardProtocol>) -> Self {
        self.protocols.push(p);
        self
    }

    /// Adds a protocol plug-in in place; plug-ins are asked in the order they were added.
    pub fn add_protocol(&mut self, p: Box<dyn CardProtocol>) {
        self.protocols.push(p);
    }

    /// Switches on an adversarial mode. File-changing modes are applied to the files now.
    pub fn with_adversarial(mut self, mode: Adversarial) -> Self {
        match &mode {
            Adversarial::TamperedDataGroup { dg } => {
                let fid = 0x0100 | u16::from(*dg);
                if let Some(f) = self.doc.files.iter_mut().find(|f| f.df == Df::Emrtd && f.fid == fid)
                    && let Some(last) = f.content.last_mut()
                {
                    *last ^= 0x01;
                }
            }
            Adversarial::LyingLength { fid, extra } => {
                for f in self.doc.files.iter_mut().filter(|f| f.fid == *fid) {
                    f.content = inflate_length(&f.content, usize::try_from(*extra).unwrap_or(0));
                }
            }
            Adversarial::EndlessFile { fid } => {
                for f in self.doc.files.iter_mut().filter(|f| f.fid == *fid) {
                    f.content = endless_header(&f.content);
                }
            }
            Adversarial::ForeignChipKeys {
                ca_private_key,
                aa_private_key,
            } => {
                if let Some(k) = ca_private_key {
                    self.doc.manifest.keys.ca_private_key = Some(k.clone());
                }
                if let Some(k) = aa_private_key {
                    self.doc.manifest.keys.aa_private_key = Some(k.clone());
                }
            }
            _ => {}
        }
        self.adversarial.push(mode);
        self
    }

    /// The document (after adversarial changes), e.g. for plug-ins that need the chip keys.
    pub fn document(&self) -> &Document {
        &self.doc
    }

    /// The configured answer delay; the chip never sleeps, async transports do.
    pub fn delay(&self) -> Duration {
        Duration::from_millis(u64::from(self.doc.manifest.quirks.delay_ms))
    }

    /// The ATR the chip presents (to vpcd and PC/SC readers); see [`make_atr`].
    pub fn atr(&self) -> &[u8] {
        &self.atr
    }

    /// Replaces the ATR.
    pub fn set_atr(&mut self, atr: Vec<u8>) {
        self.atr = atr;
    }

    /// Whether a secure messaging session is active.
    pub fn sm_active(&self) -> bool {
        self.sm.is_some()
    }

    /// Whether access control has been performed.
    pub fn access_granted(&self) -> bool {
        self.access_granted
    }

    /// Number of commands received.
    pub fn commands(&self) -> u64 {
        self.commands
    }

    /// Warm reset: the MF is selected, sessions are gone, persistent counters stay.
    pub fn reset(&mut self) {
        self.selected = Selected { df: Df::Mf, ef: None };
        self.sm = None;
        self.access_granted = false;
        self.last_challenge = None;
        if let Some(m) = &self.doc.manifest.mrz
            && self.doc.manifest.access.bac
            && let Ok(k) = MrzKey::new(&m.document_number, &m.date_of_birth, &m.date_of_expiry)
        {
            self.bac = Some(BacChip::new(&k));
        }
        for p in &mut self.protocols {
            p.reset();
        }
    }

    fn has(&self, mode: impl Fn(&Adversarial) -> bool) -> bool {
        self.adversarial.iter().any(mode)
    }

    /// Processes one command APDU (raw bytes) and returns the raw response APDU. Never
    /// panics; malformed input gets an error status word.
    pub fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        self.commands = self.commands.saturating_add(1);
        let n = self.commands;
        if self.has(|m| matches!(m, Adversarial::Garbage { after } if n >= *after)) {
            let mut len = [0u8; 1];
            self.rng.fill(&mut len);
            return self.rng.bytes(usize::from(len[0] % 64));
        }
        let cmd = match CommandApdu::parse(apdu) {
            Ok(c) => c,
            Err(_) => return ResponseApdu::status(StatusWord::WRONG_LENGTH).to_bytes(),
        };
        self.process(&cmd).to_bytes()
    }

    /// Processes a parsed command.
    pub fn process(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        if cmd.cla == 0xFF {
            // PC/SC pseudo-APDUs are the reader's business, not the card's.
            return ResponseApdu::status(StatusWord::CLA_NOT_SUPPORTED);
        }
        if cmd.cla & 0x80 != 0 {
            return ResponseApdu::status(StatusWord::CLA_NOT_SUPPORTED);
        }
        if !self.doc.manifest.quirks.extended_length && cmd.form == LengthForm::Extended {
            // A chip without extended length refuses the APDU before looking at it; like any
            // error outside secure messaging, this ends the session.
            self.sm = None;
            self.access_granted = false;
            return ResponseApdu::status(StatusWord::WRONG_LENGTH);
        }
        let secured = cmd.cla & 0x0C == 0x0C;
        if secured {
            let Some(mut sm) = self.sm.take() else {
                return ResponseApdu::status(StatusWord::SM_DATA_OBJECTS_MISSING);
            };
            let inner = match sm.unprotect_command(cmd) {
                Ok(c) => c,
                Err(e) => {
                    // A chip ends the session on any SM error.
                    self.access_granted = false;
                    return ResponseApdu::status(e.status_word());
                }
            };
            let (resp, handled_new, plain) = self.dispatch(&inner, true);
            let resp = self.tweak_status(resp);
            let out = if plain {
                resp
            } else {
                match sm.protect_response(&resp) {
                    Ok(mut r) => {
                        if self.has(|m| matches!(m, Adversarial::BadMac))
                            && let Some(last) = r.data.last_mut()
                        {
                            *last ^= 0x55;
                        }
                        r
                    }
                    Err(e) => ResponseApdu::status(e.status_word()),
                }
            };
            self.sm = handled_new.or(Some(sm));
            out
        } else {
            if self.sm.is_some() {
                // A plain command ends secure messaging (Doc 9303-11 §9.8.8).
                self.sm = None;
                self.access_granted = false;
            }
            let (resp, new, _) = self.dispatch(cmd, false);
            if new.is_some() {
                self.sm = new;
            }
            self.tweak_status(resp)
        }
    }

    fn tweak_status(&self, mut resp: ResponseApdu) -> ResponseApdu {
        for m in &self.adversarial {
            if let Adversarial::WrongStatus { sw } = m
                && resp.sw.is_success()
            {
                resp.sw = StatusWord(*sw);
            }
        }
        resp
    }

    /// Handles an unprotected (or unwrapped) command; returns the response, a new SM session
    /// to switch to, and whether the response goes out plain.
    fn dispatch(&mut self, cmd: &CommandApdu, secured: bool) -> (ResponseApdu, Option<SmSession>, bool) {
        self.current_secured = secured;
        let ext_forbidden = !self.doc.manifest.quirks.extended_length
            && (cmd.form == LengthForm::Extended || cmd.ne.is_some_and(|n| n > 256) || cmd.data.len() > 255);
        if ext_forbidden {
            return (ResponseApdu::status(StatusWord::WRONG_LENGTH), None, false);
        }
        let refused = self.adversarial.iter().find_map(|m| match m {
            Adversarial::RefuseFile { fid, sw } => {
                let [hi, lo] = fid.to_be_bytes();
                let by_fid = cmd.ins == 0xA4 && cmd.p1 == 0x02 && cmd.data == [hi, lo];
                let by_sfi = matches!(cmd.ins, 0xB0 | 0xB1) && cmd.p1 == 0x80 | (lo & 0x1F);
                (by_fid || by_sfi).then_some(*sw)
            }
            _ => None,
        });
        if let Some(sw) = refused {
            return (ResponseApdu::status(StatusWord(sw)), None, false);
        }
        let r = match cmd.ins {
            0xA4 => self.select(cmd),
            0xB0 | 0xB1 => self.read_binary(cmd),
            0x84 => self.get_challenge(cmd, secured),
            0x82 if !secured && self.bac.is_some() => {
                let Some(bac) = self.bac.as_mut() else {
                    return (ResponseApdu::status(StatusWord::INS_NOT_SUPPORTED), None, false);
                };
                return match bac.external_authenticate(cmd, &mut self.rng) {
                    Ok((resp, sm)) => {
                        self.access_granted = true;
                        (resp, Some(sm), false)
                    }
                    Err(resp) => (resp, None, false),
                };
            }
            _ => {
                let mut ctx = ProtocolContext {
                    rng: &mut self.rng,
                    secured,
                    access_granted: self.access_granted,
                    last_challenge: self.last_challenge,
                    document: &self.doc,
                };
                for p in &mut self.protocols {
                    if let Some(h) = p.handle(cmd, &mut ctx) {
                        if h.grant_access {
                            self.access_granted = true;
                        }
                        return (h.response, h.new_session, h.plain);
                    }
                }
                ResponseApdu::status(StatusWord::INS_NOT_SUPPORTED)
            }
        };
        (r, None, false)
    }

    fn get_challenge(&mut self, cmd: &CommandApdu, secured: bool) -> ResponseApdu {
        if cmd.p1 != 0 || cmd.p2 != 0 {
            return ResponseApdu::status(StatusWord::INCORRECT_P1P2);
        }
        if cmd.ne != Some(8) {
            return ResponseApdu::status(StatusWord::WRONG_LENGTH);
        }
        if !secured && let Some(bac) = self.bac.as_mut() {
            let r = bac.get_challenge(&mut self.rng);
            let mut c = [0u8; 8];
            if let Some(d) = r.data.get(..8) {
                c.copy_from_slice(d);
            }
            self.last_challenge = Some(c);
            return r;
        }
        let mut c = [0u8; 8];
        self.rng.fill(&mut c);
        self.last_challenge = Some(c);
        ResponseApdu::new(c.to_vec(), StatusWord::SUCCESS)
    }

    fn find(&self, df: Df, fid: u16) -> Option<usize> {
        self.doc.files.iter().position(|f| f.df == df && f.fid == fid)
    }

    fn has_app(&self) -> bool {
        self.doc.files.iter().any(|f| f.df == Df::Emrtd)
    }

    fn fcp(&self, idx: usize) -> Vec<u8> {
        let Some(f) = self.doc.files.get(idx) else {
            return Vec::new();
        };
        let size = u16::try_from(f.content.len()).unwrap_or(u16::MAX);
        let mut inner = Vec::new();
        write_tlv(Tag(0x80), &size.to_be_bytes(), &mut inner);
        write_tlv(Tag(0x82), &[0x01], &mut inner);
        write_tlv(Tag(0x83), &f.fid.to_be_bytes(), &mut inner);
        let mut out = Vec::new();
        write_tlv(Tag(0x62), &inner, &mut out);
        out
    }

    fn select(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let want_fcp = match cmd.p2 & 0xF3 {
            0x0C | 0x0D => false,
            0x00 | 0x04 => true,
            _ => return ResponseApdu::status(StatusWord::INCORRECT_P1P2),
        };
        let ok = |chip: &Self, ef: Option<usize>| match (want_fcp, ef) {
            (true, Some(i)) => ResponseApdu::new(chip.fcp(i), StatusWord::SUCCESS),
            _ => ResponseApdu::status(StatusWord::SUCCESS),
        };
        match cmd.p1 {
            0x00 if cmd.data.is_empty() || cmd.data == [0x3F, 0x00] => {
                self.selected = Selected { df: Df::Mf, ef: None };
                ok(self, None)
            }
            0x00 | 0x02 => {
                let [a, b] = cmd.data.as_slice() else {
                    return ResponseApdu::status(StatusWord::WRONG_LENGTH);
                };
                let fid = u16::from_be_bytes([*a, *b]);
                let df = self.selected.df;
                let found = self.find(df, fid).or_else(|| match fid {
                    // EFs of the MF that terminals commonly select from inside the application.
                    0x011C | 0x2F00 | 0x2F01 => self.find(Df::Mf, fid),
                    _ => None,
                });
                match found {
                    Some(i) => {
                        let df = self.doc.files.get(i).map(|f| f.df).unwrap_or(df);
                        self.selected = Selected { df, ef: Some(i) };
                        ok(self, Some(i))
                    }
                    None => ResponseApdu::status(StatusWord::FILE_NOT_FOUND),
                }
            }
            0x04 => {
                if cmd.data == EMRTD_AID && self.has_app() {
                    self.selected = Selected {
                        df: Df::Emrtd,
                        ef: None,
                    };
                    ok(self, None)
                } else {
                    ResponseApdu::status(StatusWord::FILE_NOT_FOUND)
                }
            }
            0x08 => {
                // Path from the MF: only EFs of the MF are reachable this way here.
                match cmd.data.as_slice() {
                    [a, b] => {
                        let fid = u16::from_be_bytes([*a, *b]);
                        match self.find(Df::Mf, fid) {
                            Some(i) => {
                                self.selected = Selected {
                                    df: Df::Mf,
                                    ef: Some(i),
                                };
                                ok(self, Some(i))
                            }
                            None => ResponseApdu::status(StatusWord::FILE_NOT_FOUND),
                        }
                    }
                    _ => ResponseApdu::status(StatusWord::FILE_NOT_FOUND),
                }
            }
            _ => ResponseApdu::status(StatusWord::INCORRECT_P1P2),
        }
    }

    fn readable(&self, idx: usize) -> bool {
        let Some(f) = self.doc.files.get(idx) else {
            return false;
        };
        let needs_access = match f.df {
            Df::Emrtd => self.doc.manifest.access.require_sm,
            // EF.CardSecurity is read after PACE.
            Df::Mf => f.fid == 0x011D,
        };
        !needs_access || (self.access_granted && self.current_secured)
    }

    fn read_binary(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let odd = cmd.ins == 0xB1;
        // Which file, and the offset.
        let (idx, offset) = if !odd {
            if cmd.p1 & 0x80 != 0 {
                if cmd.p1 & 0x60 != 0 {
                    return ResponseApdu::status(StatusWord::INCORRECT_P1P2);
                }
                let sfi = cmd.p1 & 0x1F;
                match self.find_sfi(sfi) {
                    Some(i) => (i, usize::from(cmd.p2)),
                    None => return ResponseApdu::status(StatusWord::FILE_NOT_FOUND),
                }
            } else {
                match self.selected.ef {
                    Some(i) => (i, usize::from(u16::from_be_bytes([cmd.p1, cmd.p2]))),
                    None => return ResponseApdu::status(SW_NO_CURRENT_EF),
                }
            }
        } else {
            let offset = match TlvIter::new(&cmd.data).next() {
                Some(Ok(t)) if t.tag == Tag(0x54) && !t.value.is_empty() && t.value.len() <= 4 => {
                    t.value.iter().fold(0usize, |a, b| (a << 8) | usize::from(*b))
                }
                _ => return ResponseApdu::status(StatusWord::INCORRECT_DATA),
            };
            let idx = if cmd.p1 == 0 && cmd.p2 == 0 {
                self.selected.ef
            } else if cmd.p1 == 0 && cmd.p2 & 0xE0 == 0 {
                self.find_sfi(cmd.p2 & 0x1F)
            } else {
                let fid = u16::from_be_bytes([cmd.p1, cmd.p2]);
                self.find(self.selected.df, fid)
            };
            match idx {
                Some(i) => (i, offset),
                None if cmd.p1 == 0 && cmd.p2 == 0 => return ResponseApdu::status(SW_NO_CURRENT_EF),
                None => return ResponseApdu::status(StatusWord::FILE_NOT_FOUND),
            }
        };
        if !self.readable(idx) {
            return ResponseApdu::status(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        let df = self.doc.files.get(idx).map(|f| f.df).unwrap_or(self.selected.df);
        self.selected = Selected { df, ef: Some(idx) };
        let Some(ne) = cmd.ne else {
            return ResponseApdu::status(StatusWord::WRONG_LENGTH);
        };
        let q = &self.doc.manifest.quirks;
        if q.sw_6b00_on_le_256 && ne == 256 {
            return ResponseApdu::status(StatusWord::WRONG_OFFSET);
        }
        if q.max_le.is_some_and(|m| ne > m) {
            return ResponseApdu::status(StatusWord::WRONG_LENGTH);
        }
        let ne = usize::try_from(ne).unwrap_or(0);
        let Some(file) = self.doc.files.get(idx) else {
            return ResponseApdu::status(StatusWord::FILE_NOT_FOUND);
        };
        let endless = self.has(|m| matches!(m, Adversarial::EndlessFile { fid } if *fid == file.fid));
        let content = &file.content;
        // Room for the DO'53 header of the odd instruction.
        let budget = if odd {
            let hdr = if ne <= 129 {
                2
            } else if ne <= 258 {
                3
            } else {
                4
            };
            ne.saturating_sub(hdr)
        } else {
            ne
        };
        let data: Vec<u8> = if endless {
            (offset..offset.saturating_add(budget))
                .map(|i| content.get(i).copied().unwrap_or(0x5A))
                .collect()
        } else {
            if offset > content.len() {
                return ResponseApdu::status(StatusWord::WRONG_OFFSET);
            }
            let end = offset.saturating_add(budget).min(content.len());
            content.get(offset..end).unwrap_or_default().to_vec()
        };
        let sw = if data.len() < budget {
            StatusWord::END_OF_FILE
        } else {
            StatusWord::SUCCESS
        };
        if odd {
            let mut out = Vec::with_capacity(data.len() + 4);
            write_tlv(Tag(0x53), &data, &mut out);
            ResponseApdu::new(out, sw)
        } else {
            ResponseApdu::new(data, sw)
        }
    }

    fn find_sfi(&self, sfi: u8) -> Option<usize> {
        let df = self.selected.df;
        self.doc.files.iter().position(|f| f.df == df && f.sfi == Some(sfi))
    }
}
