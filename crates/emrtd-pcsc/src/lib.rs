//! PC/SC transport (pcsc-lite / WinSCard through the `pcsc` crate): list readers, wait for a
//! card to be inserted or removed, connect, detect extended-length support from the ATR, and
//! transmit APDUs as an [`emrtd_transport::Transport`].
//!
//! Building needs the PC/SC library (`libpcsclite-dev` on Debian; `.ci/pcsc-deps.sh`).
//!
//! Whether extended-length APDUs may be used (reading large data groups in fewer commands) is
//! taken from the card capabilities in the ATR's historical bytes (ISO/IEC 7816-4 §8.1.1.2.7).
//! [`testing`] runs pcscd with the vsmartcard `vpcd` driver for tests with the virtual chip.
//!
//! # Example
//!
//! ```
//! use emrtd_pcsc::{Pcsc, atr_extended_length, historical_bytes};
//! use emrtd_transport::Transport;
//! use std::time::Duration;
//!
//! // With a reader attached: wait for a card, connect, SELECT the eMRTD application.
//! async fn select_emrtd() -> Result<Vec<u8>, Box<dyn std::error::Error>> {
//!     let pcsc = Pcsc::new()?;
//!     let reader = pcsc.wait_for_card(None, Duration::from_secs(30))?;
//!     let mut card = pcsc.connect(&reader)?;
//!     let select = [0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];
//!     Ok(card.transmit(&select).await?)
//! }
//!
//! // The ATR tells whether extended-length APDUs may be sent: category 80, then card
//! // capabilities (compact-TLV 73) whose third byte has bit 0x40 set.
//! let atr = [0x3B, 0x85, 0x80, 0x01, 0x80, 0x73, 0x00, 0x00, 0xC0, 0x00];
//! assert_eq!(historical_bytes(&atr), Some(&[0x80, 0x73, 0x00, 0x00, 0xC0][..]));
//! assert!(atr_extended_length(&atr));
//! assert!(!atr_extended_length(&[0x3B, 0x84, 0x80, 0x01, 0x80, 0x73, 0x00, 0x00, 0x00]));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod testing;

use emrtd_transport::{LinkLimits, Transport, TransportError, check_response};
use std::ffi::{CStr, CString};
use std::time::Duration;
use thiserror::Error;

/// Errors of the PC/SC layer.
#[derive(Debug, Error)]
pub enum PcscError {
    /// The PC/SC library reported an error (no service, sharing violation, card removed, …).
    #[error("PC/SC: {0}")]
    Pcsc(#[from] pcsc::Error),
    /// [`Pcsc::wait_for_card`] was given a reader name that did not appear before the timeout.
    #[error("no reader named {0:?}")]
    NoSuchReader(String),
    /// No PC/SC reader is attached.
    #[error("no PC/SC reader")]
    NoReader,
    /// No card was presented within the timeout (carried).
    #[error("no card within {0:?}")]
    NoCard(Duration),
    /// A reader name contains a NUL byte and cannot be passed to PC/SC.
    #[error("reader name contains NUL")]
    BadName,
}

impl PcscError {
    /// Another connection holds the card (exclusively, or it is shared and exclusive was asked).
    pub fn is_sharing_violation(&self) -> bool {
        matches!(self, PcscError::Pcsc(pcsc::Error::SharingViolation))
    }
}

/// A PC/SC context.
pub struct Pcsc {
    ctx: pcsc::Context,
}

/// A reader and whether a card is present.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReaderInfo {
    /// The reader name as PC/SC reports it (e.g. "Virtual PCD 00 00").
    pub name: String,
    /// Whether a card is in the reader's field.
    pub card_present: bool,
    /// The card's ATR (ISO/IEC 7816-3 §8), or for a contactless card the ATR the reader
    /// synthesises (PC/SC part 3), when a card is present.
    pub atr: Option<Vec<u8>>,
}

/// A change seen by [`Pcsc::wait_for_change`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReaderEvent {
    /// A card was put on a reader.
    CardInserted {
        /// The reader name.
        reader: String,
        /// The card's ATR.
        atr: Vec<u8>,
    },
    /// The card left a reader.
    CardRemoved {
        /// The reader name.
        reader: String,
    },
    /// A reader was attached.
    ReaderAdded {
        /// The reader name.
        reader: String,
    },
    /// A reader was detached.
    ReaderRemoved {
        /// The reader name.
        reader: String,
    },
}

const PNP: &str = r"\\?PnP?\Notification";

impl Pcsc {
    /// Establishes a user-scope context (fails when pcscd is not running).
    pub fn new() -> Result<Self, PcscError> {
        Ok(Pcsc {
            ctx: pcsc::Context::establish(pcsc::Scope::User)?,
        })
    }

    /// Reader names.
    pub fn reader_names(&self) -> Result<Vec<String>, PcscError> {
        let mut buf = vec![0u8; 16 * 1024];
        match self.ctx.list_readers(&mut buf) {
            Ok(names) => Ok(names.map(|n| n.to_string_lossy().into_owned()).collect()),
            Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    /// Readers with their card state.
    pub fn readers(&self) -> Result<Vec<ReaderInfo>, PcscError> {
        let names = self.reader_names()?;
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut states = names
            .iter()
            .map(|n| CString::new(n.as_str()).map(|c| pcsc::ReaderState::new(c, pcsc::State::UNAWARE)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| PcscError::BadName)?;
        self.ctx.get_status_change(Duration::ZERO, &mut states)?;
        Ok(states
            .iter()
            .map(|s| {
                let present = s.event_state().contains(pcsc::State::PRESENT);
                ReaderInfo {
                    name: s.name().to_string_lossy().into_owned(),
                    card_present: present,
                    atr: present.then(|| s.atr().to_vec()),
                }
            })
            .collect())
    }

    /// Waits up to `timeout` for a card in `reader` (or in any reader when `None`); returns
    /// the reader name.
    pub fn wait_for_card(&self, reader: Option<&str>, timeout: Duration) -> Result<String, PcscError> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let readers = self.readers()?;
            if let Some(name) = reader
                && !readers.iter().any(|r| r.name == name)
                && std::time::Instant::now() >= deadline
            {
                return Err(PcscError::NoSuchReader(name.to_string()));
            }
            if let Some(r) = readers
                .iter()
                .find(|r| r.card_present && reader.is_none_or(|n| n == r.name))
            {
                return Ok(r.name.clone());
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return Err(PcscError::NoCard(timeout));
            }
            let _ = self.wait_for_change(readers, (deadline - now).min(Duration::from_millis(500)));
        }
    }

    /// Waits for the next change against the `known` states (reader added or removed, card
    /// inserted or removed).
    pub fn wait_for_change(&self, known: Vec<ReaderInfo>, timeout: Duration) -> Result<Vec<ReaderEvent>, PcscError> {
        let mut states = Vec::with_capacity(known.len() + 1);
        for r in &known {
            let cur = if r.card_present {
                pcsc::State::PRESENT
            } else {
                pcsc::State::EMPTY
            };
            states.push(pcsc::ReaderState::new(
                CString::new(r.name.as_str()).map_err(|_| PcscError::BadName)?,
                cur,
            ));
        }
        states.push(pcsc::ReaderState::new(
            CString::new(PNP).map_err(|_| PcscError::BadName)?,
            pcsc::State::UNAWARE,
        ));
        match self.ctx.get_status_change(timeout, &mut states) {
            Ok(()) => {}
            Err(pcsc::Error::Timeout) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        }
        let mut events = Vec::new();
        for (s, k) in states.iter().zip(&known) {
            let present = s.event_state().contains(pcsc::State::PRESENT);
            if s.event_state().contains(pcsc::State::UNKNOWN) {
                events.push(ReaderEvent::ReaderRemoved { reader: k.name.clone() });
            } else if present && !k.card_present {
                events.push(ReaderEvent::CardInserted {
                    reader: k.name.clone(),
                    atr: s.atr().to_vec(),
                });
            } else if !present && k.card_present {
                events.push(ReaderEvent::CardRemoved { reader: k.name.clone() });
            }
        }
        let now = self.reader_names().unwrap_or_default();
        for n in now {
            if !known.iter().any(|k| k.name == n) {
                events.push(ReaderEvent::ReaderAdded { reader: n });
            }
        }
        Ok(events)
    }

    /// Connects to the card in `reader` (shared with other programs).
    pub fn connect(&self, reader: &str) -> Result<PcscCard, PcscError> {
        self.connect_mode(reader, pcsc::ShareMode::Shared)
    }

    /// Connects to the card in `reader` exclusively: no other connection (of this or another
    /// program) can send commands until the card is dropped; while another connection holds
    /// the card this fails with [`PcscError::is_sharing_violation`].
    pub fn connect_exclusive(&self, reader: &str) -> Result<PcscCard, PcscError> {
        self.connect_mode(reader, pcsc::ShareMode::Exclusive)
    }

    fn connect_mode(&self, reader: &str, mode: pcsc::ShareMode) -> Result<PcscCard, PcscError> {
        let name = CString::new(reader).map_err(|_| PcscError::BadName)?;
        let card = self.ctx.connect(&name, mode, pcsc::Protocols::ANY)?;
        let atr = card_atr(&card, &name);
        let extended = atr.as_deref().is_some_and(atr_extended_length);
        Ok(PcscCard {
            card,
            reader: reader.to_string(),
            atr: atr.unwrap_or_default(),
            extended,
        })
    }
}

fn card_atr(card: &pcsc::Card, name: &CStr) -> Option<Vec<u8>> {
    let mut names = vec![0u8; 2048];
    let mut atr = vec![0u8; pcsc::MAX_ATR_SIZE];
    let status = card.status2(&mut names, &mut atr).ok()?;
    let _ = name;
    Some(status.atr().to_vec())
}

/// Whether the ATR announces extended Lc/Le (ISO/IEC 7816-4 §8.1.1.2.7: card capabilities,
/// compact-TLV tag 7, third software function byte, bit 7 = 0x40). Historical bytes with
/// category indicator 0x80 are read.
pub fn atr_extended_length(atr: &[u8]) -> bool {
    historical_bytes(atr).is_some_and(|h| {
        let Some((&0x80, mut rest)) = h.split_first() else {
            return false;
        };
        while let Some((&tl, tail)) = rest.split_first() {
            let tag = tl >> 4;
            let len = usize::from(tl & 0x0F);
            let Some(value) = tail.get(..len) else { return false };
            if tag == 7 && len >= 3 {
                return value.get(2).is_some_and(|b| b & 0x40 != 0);
            }
            rest = tail.get(len..).unwrap_or_default();
        }
        false
    })
}

/// The historical bytes of an ATR (ISO/IEC 7816-3 §8.2).
pub fn historical_bytes(atr: &[u8]) -> Option<&[u8]> {
    let t0 = *atr.get(1)?;
    let k = usize::from(t0 & 0x0F);
    let mut i = 2usize;
    let mut y = t0 >> 4;
    loop {
        let mut td = None;
        for bit in 0..4 {
            if y & (1 << bit) != 0 {
                if bit == 3 {
                    td = Some(*atr.get(i)?);
                }
                i += 1;
            }
        }
        match td {
            Some(t) => y = t >> 4,
            None => break,
        }
        if i > atr.len() {
            return None;
        }
    }
    atr.get(i..i + k)
}

/// A connected card.
pub struct PcscCard {
    card: pcsc::Card,
    /// The name of the reader the card is in.
    pub reader: String,
    /// The ATR read when connecting (empty if it could not be read).
    pub atr: Vec<u8>,
    /// Extended length announced in the ATR.
    pub extended: bool,
}

impl PcscCard {
    /// Sends one APDU; an empty answer when the card is gone.
    pub fn transmit_sync(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut buf = vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
        let resp = self
            .card
            .transmit(apdu, &mut buf)
            .map_err(|e| TransportError::Io(e.to_string()))?;
        check_response(resp.to_vec())
    }
}

impl Transport for PcscCard {
    async fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.transmit_sync(command)
    }

    fn limits(&self) -> LinkLimits {
        LinkLimits {
            extended_length: self.extended,
            max_command_bytes: None,
            max_response_bytes: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn historical_bytes_and_extended_length_from_the_atr() {
        // The virtual chip's ATR: 3B 8A 80 01 + "docval-sim" + TCK.
        let mut atr = vec![0x3B, 0x8A, 0x80, 0x01];
        atr.extend_from_slice(b"docval-sim");
        atr.push(0);
        assert_eq!(historical_bytes(&atr), Some(&b"docval-sim"[..]));
        assert!(!atr_extended_length(&atr));
        // Category 80, card capabilities 73 with extended Lc/Le (third byte 0xC0).
        let atr = [0x3B, 0x84, 0x80, 0x01, 0x80, 0x73, 0x00, 0x00, 0x00];
        assert!(!atr_extended_length(&atr));
        let atr = [0x3B, 0x85, 0x80, 0x01, 0x80, 0x73, 0x00, 0x00, 0xC0, 0x00];
        assert!(atr_extended_length(&atr));
        assert_eq!(historical_bytes(&[0x3B]), None);
    }
}
