//! A small terminal used by the tests: BAC, secure messaging and a bounded file reader
//! built on the terminal-side crates.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use emrtd_access::{BacTerminal, MrzKey};
use emrtd_apdu::{CommandApdu, LengthForm, ResponseApdu, StatusWord};
use emrtd_sim::{Df, Document, Manifest, MrzData, VirtualChip};
use emrtd_sm::SmSession;

pub const MAX_FILE: usize = 128 * 1024;

pub struct Terminal {
    pub chip: VirtualChip,
    pub sm: Option<SmSession>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum TermError {
    Sw(StatusWord),
    Sm(String),
    Apdu(String),
    Bac(String),
    Length(String),
}

impl Terminal {
    pub fn new(chip: VirtualChip) -> Self {
        Terminal { chip, sm: None }
    }

    pub fn send_plain(&mut self, cmd: &CommandApdu) -> Result<ResponseApdu, TermError> {
        let bytes = cmd.to_bytes().map_err(|e| TermError::Apdu(e.to_string()))?;
        ResponseApdu::parse(&self.chip.transmit(&bytes)).map_err(|e| TermError::Apdu(e.to_string()))
    }

    /// Sends under SM when a session is up; a SM failure ends the session.
    pub fn send(&mut self, cmd: &CommandApdu) -> Result<ResponseApdu, TermError> {
        match self.sm.as_mut() {
            None => self.send_plain(cmd),
            Some(sm) => {
                let p = sm.protect(cmd).map_err(|e| TermError::Sm(e.to_string()))?;
                let bytes = p.to_bytes().map_err(|e| TermError::Apdu(e.to_string()))?;
                let raw = self.chip.transmit(&bytes);
                let r = ResponseApdu::parse(&raw).map_err(|e| TermError::Apdu(e.to_string()))?;
                let Some(sm) = self.sm.as_mut() else { unreachable!() };
                match sm.unprotect(&r) {
                    Ok(r) => Ok(r),
                    Err(e) => {
                        self.sm = None;
                        Err(TermError::Sm(format!("{e} (sw {})", r.sw)))
                    }
                }
            }
        }
    }

    pub fn bac(&mut self, mrz: &MrzKey) -> Result<(), TermError> {
        let mut t = BacTerminal::new(mrz);
        let ch = self.send_plain(&t.get_challenge())?;
        let mut rng = emrtd_sim::SeededRng::new(b"terminal");
        let ea = t
            .external_authenticate(&ch, &mut rng)
            .map_err(|e| TermError::Bac(e.to_string()))?;
        let r = self.send_plain(&ea)?;
        self.sm = Some(t.finish(&r).map_err(|e| TermError::Bac(e.to_string()))?);
        Ok(())
    }

    pub fn select_app(&mut self) -> Result<(), TermError> {
        let r = self.send(&CommandApdu::new(0x00, 0xA4, 0x04, 0x0C).with_data(emrtd_sim::EMRTD_AID.to_vec()))?;
        ok(r).map(|_| ())
    }

    pub fn select_ef(&mut self, fid: u16) -> Result<(), TermError> {
        let r = self.send(&CommandApdu::new(0x00, 0xA4, 0x02, 0x0C).with_data(fid.to_be_bytes().to_vec()))?;
        ok(r).map(|_| ())
    }

    pub fn read_binary(&mut self, offset: usize, ne: u32) -> Result<ResponseApdu, TermError> {
        if offset > 0x7FFF {
            // Odd INS with DO'54 offset; the answer is wrapped in DO'53.
            let off = u32::try_from(offset).map_err(|_| TermError::Length(format!("offset {offset}")))?;
            let mut data = vec![0x54, 0x03];
            data.extend_from_slice(&off.to_be_bytes()[1..]);
            // Ne counts the DO'53 header too.
            let r = self.send(&CommandApdu::new(0x00, 0xB1, 0x00, 0x00).with_data(data).with_ne(ne + 4))?;
            if r.data.is_empty() {
                return Ok(r);
            }
            let (tlv, _) = emrtd_apdu::Tlv::parse(&r.data).map_err(|e| TermError::Length(e.to_string()))?;
            if tlv.tag != emrtd_apdu::Tag(0x53) {
                return Err(TermError::Length("odd READ BINARY answer without DO'53".into()));
            }
            return Ok(ResponseApdu::new(tlv.value.to_vec(), r.sw));
        }
        let [p1, p2] = u16::try_from(offset).unwrap_or(0).to_be_bytes();
        self.send(&CommandApdu::new(0x00, 0xB0, p1, p2).with_ne(ne))
    }

    /// Reads the current EF: first 4 bytes for the TLV header, then the rest in chunks of
    /// `chunk`. Fails when the file is shorter than its header says or longer than MAX_FILE.
    pub fn read_current(&mut self, chunk: u32) -> Result<Vec<u8>, TermError> {
        let head = ok(self.read_binary(0, 8)?)?;
        let total = tlv_total_len(&head)?;
        if total > MAX_FILE {
            return Err(TermError::Length(format!("file claims {total} bytes")));
        }
        let mut out = head;
        while out.len() < total {
            let want = u32::try_from(total - out.len()).unwrap_or(u32::MAX).min(chunk);
            let r = self.read_binary(out.len(), want)?;
            if r.data.is_empty() {
                return Err(TermError::Length(format!("file ended at {} of {total}", out.len())));
            }
            if !r.sw.is_success() && r.sw != StatusWord::END_OF_FILE {
                return Err(TermError::Sw(r.sw));
            }
            out.extend_from_slice(&r.data);
            if r.sw == StatusWord::END_OF_FILE && out.len() < total {
                return Err(TermError::Length(format!("file ended at {} of {total}", out.len())));
            }
        }
        out.truncate(total);
        Ok(out)
    }

    pub fn read_ef(&mut self, fid: u16, chunk: u32) -> Result<Vec<u8>, TermError> {
        self.select_ef(fid)?;
        self.read_current(chunk)
    }
}

pub fn ok(r: ResponseApdu) -> Result<Vec<u8>, TermError> {
    if r.sw.is_success() {
        Ok(r.data)
    } else {
        Err(TermError::Sw(r.sw))
    }
}

/// Total length of a TLV from its first bytes.
pub fn tlv_total_len(head: &[u8]) -> Result<usize, TermError> {
    let bad = || TermError::Length(format!("bad TLV header {}", hex::encode(head)));
    let first = *head.first().ok_or_else(bad)?;
    let tag_len = if first & 0x1F == 0x1F { 2 } else { 1 };
    let l0 = *head.get(tag_len).ok_or_else(bad)?;
    let (len, n) = match l0 {
        0..=0x7F => (usize::from(l0), 1),
        0x81 => (usize::from(*head.get(tag_len + 1).ok_or_else(bad)?), 2),
        0x82 => {
            let a = *head.get(tag_len + 1).ok_or_else(bad)?;
            let b = *head.get(tag_len + 2).ok_or_else(bad)?;
            (usize::from(u16::from_be_bytes([a, b])), 3)
        }
        0x83 => {
            let a = *head.get(tag_len + 1).ok_or_else(bad)?;
            let b = *head.get(tag_len + 2).ok_or_else(bad)?;
            let c = *head.get(tag_len + 3).ok_or_else(bad)?;
            ((usize::from(a) << 16) | (usize::from(b) << 8) | usize::from(c), 4)
        }
        _ => return Err(bad()),
    };
    Ok(tag_len + n + len)
}

pub fn d1_mrz() -> MrzKey {
    MrzKey::new("L898902C", "690806", "940623").unwrap()
}

/// A small BAC document built in code (ICAO D.1 MRZ).
pub fn small_doc() -> Document {
    let mut doc = Document {
        manifest: Manifest {
            name: "small".into(),
            document_type: "TD3".into(),
            mrz: Some(MrzData {
                lines: vec![],
                document_number: "L898902C".into(),
                date_of_birth: "690806".into(),
                date_of_expiry: "940623".into(),
            }),
            ..Manifest::default()
        },
        files: vec![],
    };
    doc.put(
        0x011E,
        hex::decode("60145F0104303130375F36063034303030305C026175").unwrap(),
    );
    let mut dg2 = vec![0x75, 0x82, 0x03, 0xE8];
    dg2.extend((0..1000u32).map(|i| (i * 7 % 251) as u8));
    doc.put(0x0102, dg2);
    let mut big = vec![0x6E, 0x83, 0x00, 0x9C, 0x40];
    big.extend((0..40_000u32).map(|i| (i % 253) as u8));
    doc.put(0x010E, big);
    doc.put_in(
        Df::Mf,
        0x011C,
        hex::decode("31143012060A04007F0007020204020202010202010D").unwrap(),
    );
    doc
}

pub fn _unused(_: LengthForm) {}
