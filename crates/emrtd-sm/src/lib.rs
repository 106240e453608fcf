//! Secure messaging of ICAO Doc 9303-11 §9.8, as pure state.
//!
//! An [`SmSession`] holds KSenc, KSmac and the send sequence counter (SSC). The terminal side
//! calls [`SmSession::protect`] on each command and [`SmSession::unprotect`] on each response;
//! the card side (the virtual chip) calls [`SmSession::unprotect_command`] and
//! [`SmSession::protect_response`]. Every call increments the SSC once, as the standard says.
//!
//! * Commands: DO'87 (or DO'85 for odd INS) carries the padded, encrypted data; DO'97 carries Le;
//!   DO'8E carries the MAC over `SSC || padded header || DOs`. Extended length is used whenever
//!   the protected body or Ne needs it.
//! * Responses: the MAC in DO'8E is checked over `SSC || DO'87/85 || DO'99` **before** anything
//!   is decrypted. A missing DO'99 or DO'8E, a wrong MAC, or the status words 6987/6988 are errors.
//! * 3DES: 8-byte SSC, IV = 0, retail MAC. AES: 16-byte SSC, IV = E(KSenc, SSC), CMAC-8.
//!
//! # Example
//!
//! The session of the BAC worked example (Doc 9303-11 Appendix D.3) protecting SELECT EF.COM
//! and checking the chip's answer, as in Appendix D.4:
//!
//! ```
//! use emrtd_apdu::{CommandApdu, ResponseApdu, StatusWord};
//! use emrtd_crypto::CipherSuite;
//! use emrtd_sm::SmSession;
//!
//! fn h(s: &str) -> Vec<u8> {
//!     (0..s.len()).step_by(2).filter_map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
//! }
//! let (ks_enc, ks_mac) = (h("979EC13B1CBFE9DCD01AB0FED307EAE5"), h("F1CB1F1FB5ADF208806B89DC579DC1F8"));
//! let mut sm = SmSession::new(CipherSuite::Tdes, &ks_enc, &ks_mac, &h("887022120C06C226"))?;
//!
//! let select = CommandApdu::parse(&h("00A4020C02011E"))?;
//! let protected = sm.protect(&select)?;
//! assert_eq!(protected.to_bytes()?, h("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800"));
//!
//! let answer = ResponseApdu::parse(&h("990290008E08FA855A5D4C50A8ED9000"))?;
//! let plain = sm.unprotect(&answer)?;
//! assert_eq!(plain.sw, StatusWord::SUCCESS);
//! assert_eq!(sm.ssc(), h("887022120C06C228"));
//!
//! // A tampered MAC is refused (and the session should then be abandoned).
//! let forged = ResponseApdu::parse(&h("990290008E08FA855A5D4C50A8EE9000"))?;
//! assert!(sm.unprotect(&forged).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use emrtd_apdu::tlv::{Tag, TlvIter, write_tlv};
use emrtd_apdu::{CommandApdu, LengthForm, ResponseApdu, StatusWord};
use emrtd_crypto::{
    CipherSuite, CryptoError, SecretBytes, cbc_decrypt, cbc_encrypt, encrypt_block, pad, sm_mac, unpad,
};
use subtle::ConstantTimeEq;
use thiserror::Error;
use zeroize::Zeroizing;

const DO85: Tag = Tag(0x85);
const DO87: Tag = Tag(0x87);
const DO8E: Tag = Tag(0x8E);
const DO97: Tag = Tag(0x97);
const DO99: Tag = Tag(0x99);

/// Secure messaging errors.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SmError {
    /// The chip answered 6987 or 6988 (SM data objects missing or incorrect): it rejected the
    /// protected command, and the session is to be considered ended.
    #[error("the chip reported a secure messaging error: {0}")]
    ChipSmError(StatusWord),
    /// A response without SM data objects, only a status word (carried), where a protected
    /// response was required.
    #[error("response without secure messaging, status {0}")]
    UnprotectedResponse(StatusWord),
    /// Card side: a command whose CLA (carried) lacks the SM bits `0C`.
    #[error("command without secure messaging (CLA {0:02X})")]
    UnprotectedCommand(u8),
    /// A mandatory data object (carried) is absent: DO'8E in any message, DO'99 in a response.
    #[error("secure messaging data object {0} missing")]
    MissingDataObject(Tag),
    /// A data object other than DO'85/87, DO'97/99 and DO'8E, a repeated one, or one after DO'8E.
    #[error("unexpected data object {0} in a secure messaging message")]
    UnexpectedDataObject(Tag),
    /// The data objects do not decode: bad TLV, DO'87 without the padding-content indicator `01`,
    /// a DO'97 or DO'99 of the wrong length, or a cryptogram that is not whole blocks.
    #[error("malformed secure messaging data objects: {0}")]
    Malformed(String),
    /// The MAC in DO'8E does not match (checked in constant time, before any decryption).
    #[error("MAC verification failed")]
    BadMac,
    /// The decrypted data does not end in ISO/IEC 9797-1 method 2 padding.
    #[error("padding of the decrypted data is malformed")]
    BadPadding,
    /// A session key whose length does not fit the cipher suite.
    #[error("key of {got} bytes does not fit {suite:?}")]
    BadKey {
        /// The cipher suite of the session.
        suite: CipherSuite,
        /// The key length given, in bytes.
        got: usize,
    },
    /// An initial SSC whose length is not the block size (8 bytes for 3DES, 16 for AES).
    #[error("SSC of {got} bytes, {suite:?} needs {want}")]
    BadSsc {
        /// The cipher suite of the session.
        suite: CipherSuite,
        /// The SSC length given, in bytes.
        got: usize,
        /// The block size, in bytes.
        want: usize,
    },
    /// The protected command body exceeds 65535 bytes, the largest extended APDU.
    #[error("protected command does not fit an APDU: {0}")]
    TooLong(String),
    /// A primitive of `emrtd-crypto` failed (wrong key or IV length).
    #[error("cryptographic error: {0}")]
    Crypto(#[from] CryptoError),
}

/// The data objects of a protected message: the cryptogram (DO'85/87), the second object
/// (DO'97 Le in a command, DO'99 status in a response), the MAC (DO'8E), and the bytes the MAC
/// covers (the encodings of the first two, exactly as received).
struct SmDataObjects<'a> {
    cryptogram: Option<(Tag, &'a [u8])>,
    second: Option<&'a [u8]>,
    mac: &'a [u8],
    covered: Vec<u8>,
}

/// Splits a protected body; `second_tag` is DO'97 for commands and DO'99 for responses. Order
/// and uniqueness are enforced: cryptogram, then the second object, then DO'8E last.
fn split_data_objects(body: &[u8], second_tag: Tag) -> Result<SmDataObjects<'_>, SmError> {
    let mut cryptogram: Option<(Tag, &[u8])> = None;
    let mut second: Option<&[u8]> = None;
    let mut mac: Option<&[u8]> = None;
    let mut covered = Vec::with_capacity(body.len());
    for item in TlvIter::new(body) {
        let t = item.map_err(|e| SmError::Malformed(e.to_string()))?;
        if mac.is_some() {
            return Err(SmError::UnexpectedDataObject(t.tag));
        }
        match t.tag {
            DO85 | DO87 if cryptogram.is_none() && second.is_none() => {
                cryptogram = Some((t.tag, t.value));
                covered.extend_from_slice(t.raw);
            }
            tag if tag == second_tag && second.is_none() => {
                second = Some(t.value);
                covered.extend_from_slice(t.raw);
            }
            DO8E => mac = Some(t.value),
            other => return Err(SmError::UnexpectedDataObject(other)),
        }
    }
    Ok(SmDataObjects {
        cryptogram,
        second,
        mac: mac.ok_or(SmError::MissingDataObject(DO8E))?,
        covered,
    })
}

/// The keys and counter of one secure messaging session.
pub struct SmSession {
    suite: CipherSuite,
    ks_enc: SecretBytes,
    ks_mac: SecretBytes,
    ssc: Zeroizing<Vec<u8>>,
}

impl core::fmt::Debug for SmSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SmSession")
            .field("suite", &self.suite)
            .finish_non_exhaustive()
    }
}

impl SmSession {
    /// Starts a session. The SSC is 8 bytes for 3DES and 16 bytes for AES; after BAC it is
    /// `RND.IC[4..8] || RND.IFD[4..8]`, after PACE or Chip Authentication it is zero.
    pub fn new(suite: CipherSuite, ks_enc: &[u8], ks_mac: &[u8], ssc: &[u8]) -> Result<Self, SmError> {
        for key in [ks_enc, ks_mac] {
            if key.len() != suite.key_len() {
                return Err(SmError::BadKey { suite, got: key.len() });
            }
        }
        if ssc.len() != suite.block_len() {
            return Err(SmError::BadSsc {
                suite,
                got: ssc.len(),
                want: suite.block_len(),
            });
        }
        Ok(SmSession {
            suite,
            ks_enc: Zeroizing::new(ks_enc.to_vec()),
            ks_mac: Zeroizing::new(ks_mac.to_vec()),
            ssc: Zeroizing::new(ssc.to_vec()),
        })
    }

    /// A session with an all-zero SSC (after PACE or Chip Authentication).
    pub fn with_zero_ssc(suite: CipherSuite, ks_enc: &[u8], ks_mac: &[u8]) -> Result<Self, SmError> {
        Self::new(suite, ks_enc, ks_mac, &vec![0u8; suite.block_len()])
    }

    /// The cipher suite: 3DES (retail MAC) or AES-128/192/256 (CMAC).
    pub fn suite(&self) -> CipherSuite {
        self.suite
    }

    /// The current send sequence counter.
    pub fn ssc(&self) -> &[u8] {
        &self.ssc
    }

    /// KSenc, the session encryption key.
    pub fn ks_enc(&self) -> &[u8] {
        &self.ks_enc
    }

    /// KSmac, the session MAC key.
    pub fn ks_mac(&self) -> &[u8] {
        &self.ks_mac
    }

    fn increment_ssc(&mut self) {
        for b in self.ssc.iter_mut().rev() {
            let (v, carry) = b.overflowing_add(1);
            *b = v;
            if !carry {
                break;
            }
        }
    }

    fn iv(&self) -> Result<Vec<u8>, SmError> {
        Ok(match self.suite {
            CipherSuite::Tdes => vec![0u8; 8],
            _ => encrypt_block(self.suite, &self.ks_enc, &self.ssc)?,
        })
    }

    fn encrypt(&self, plain: &[u8]) -> Result<Vec<u8>, SmError> {
        let padded = Zeroizing::new(pad(plain, self.suite.block_len()));
        Ok(cbc_encrypt(self.suite, &self.ks_enc, &self.iv()?, &padded)?)
    }

    fn decrypt(&self, cipher: &[u8]) -> Result<Vec<u8>, SmError> {
        if cipher.is_empty() || !cipher.len().is_multiple_of(self.suite.block_len()) {
            return Err(SmError::Malformed(format!(
                "cryptogram of {} bytes is not a whole number of blocks",
                cipher.len()
            )));
        }
        let padded = Zeroizing::new(cbc_decrypt(self.suite, &self.ks_enc, &self.iv()?, cipher)?);
        Ok(unpad(&padded).map_err(|_| SmError::BadPadding)?.to_vec())
    }

    /// Decrypts DO'87 (after its padding-content indicator `01`) or DO'85.
    fn open_cryptogram(&self, cryptogram: Option<(Tag, &[u8])>) -> Result<Vec<u8>, SmError> {
        match cryptogram {
            None => Ok(Vec::new()),
            Some((DO87, v)) => match v.split_first() {
                Some((0x01, c)) => self.decrypt(c),
                _ => Err(SmError::Malformed("DO'87 without padding-content indicator 01".into())),
            },
            Some((_, v)) => self.decrypt(v),
        }
    }

    fn mac(&self, data: &[u8]) -> Result<[u8; 8], SmError> {
        let mut input = Vec::with_capacity(self.ssc.len() + data.len());
        input.extend_from_slice(&self.ssc);
        input.extend_from_slice(data);
        Ok(sm_mac(self.suite, &self.ks_mac, &input)?)
    }

    fn check_mac(&self, data: &[u8], mac: &[u8]) -> Result<(), SmError> {
        let expected = self.mac(data)?;
        if mac.len() == expected.len() && bool::from(expected.ct_eq(mac)) {
            Ok(())
        } else {
            Err(SmError::BadMac)
        }
    }

    /// The data objects of a protected command body, without DO'8E: DO'87/85 and DO'97.
    fn command_data_objects(&self, cmd: &CommandApdu) -> Result<Vec<u8>, SmError> {
        let mut dos = Vec::new();
        if !cmd.data.is_empty() {
            let cryptogram = self.encrypt(&cmd.data)?;
            if cmd.ins & 1 == 1 {
                write_tlv(DO85, &cryptogram, &mut dos);
            } else {
                let mut v = Vec::with_capacity(cryptogram.len() + 1);
                v.push(0x01);
                v.extend_from_slice(&cryptogram);
                write_tlv(DO87, &v, &mut dos);
            }
        }
        if let Some(ne) = cmd.ne {
            // Le as it would be encoded unprotected: one byte in short form, two in extended.
            let le = if ne > 256 || cmd.form == LengthForm::Extended {
                ((ne % 65_536) as u16).to_be_bytes().to_vec()
            } else {
                vec![(ne % 256) as u8]
            };
            write_tlv(DO97, &le, &mut dos);
        }
        Ok(dos)
    }

    /// Terminal side: wraps a plain command into a protected command (Doc 9303-11 §9.8.6.1).
    pub fn protect(&mut self, cmd: &CommandApdu) -> Result<CommandApdu, SmError> {
        self.increment_ssc();
        let cla = (cmd.cla & !0x0C) | 0x0C;
        let header = pad(&[cla, cmd.ins, cmd.p1, cmd.p2], self.suite.block_len());
        let dos = self.command_data_objects(cmd)?;
        let mut mac_input = header;
        mac_input.extend_from_slice(&dos);
        let cc = self.mac(&mac_input)?;
        let mut body = dos;
        write_tlv(DO8E, &cc, &mut body);
        let extended = body.len() > 255 || cmd.ne.is_some_and(|n| n > 256) || cmd.form == LengthForm::Extended;
        if body.len() > 65_535 {
            return Err(SmError::TooLong(format!("{} bytes", body.len())));
        }
        Ok(CommandApdu {
            cla,
            ins: cmd.ins,
            p1: cmd.p1,
            p2: cmd.p2,
            data: body,
            ne: Some(if extended { 65_536 } else { 256 }),
            form: if extended {
                LengthForm::Extended
            } else {
                LengthForm::Short
            },
        })
    }

    /// Terminal side: verifies the MAC of a protected response, then decrypts it
    /// (Doc 9303-11 §9.8.6.2). The returned response carries the status word from DO'99.
    pub fn unprotect(&mut self, resp: &ResponseApdu) -> Result<ResponseApdu, SmError> {
        self.increment_ssc();
        if resp.sw == StatusWord::SM_DATA_OBJECTS_MISSING || resp.sw == StatusWord::SM_DATA_OBJECTS_INCORRECT {
            return Err(SmError::ChipSmError(resp.sw));
        }
        if resp.data.is_empty() {
            return Err(SmError::UnprotectedResponse(resp.sw));
        }
        let dos = split_data_objects(&resp.data, DO99)?;
        // The MAC is checked before anything else is used.
        self.check_mac(&dos.covered, dos.mac)?;
        let do99 = dos.second;
        let cryptogram = dos.cryptogram;
        let sw_bytes = do99.ok_or(SmError::MissingDataObject(DO99))?;
        let sw: [u8; 2] = sw_bytes
            .try_into()
            .map_err(|_| SmError::Malformed(format!("DO'99 of {} bytes", sw_bytes.len())))?;
        let data = self.open_cryptogram(cryptogram)?;
        Ok(ResponseApdu::new(data, StatusWord::from(sw)))
    }

    /// Card side: verifies and decrypts a protected command. Errors map to the status words
    /// 6987 (missing objects) and 6988 (incorrect objects) through [`SmError::status_word`].
    pub fn unprotect_command(&mut self, cmd: &CommandApdu) -> Result<CommandApdu, SmError> {
        self.increment_ssc();
        if cmd.cla & 0x0C != 0x0C {
            return Err(SmError::UnprotectedCommand(cmd.cla));
        }
        let dos = split_data_objects(&cmd.data, DO97)?;
        let mut mac_input = pad(&[cmd.cla, cmd.ins, cmd.p1, cmd.p2], self.suite.block_len());
        mac_input.extend_from_slice(&dos.covered);
        self.check_mac(&mac_input, dos.mac)?;
        let le = dos.second;
        let cryptogram = dos.cryptogram;
        let data = self.open_cryptogram(cryptogram)?;
        let (ne, form) = match le {
            None => (None, LengthForm::Auto),
            Some([0x00]) => (Some(256), LengthForm::Short),
            Some([b]) => (Some(u32::from(*b)), LengthForm::Short),
            Some([0x00, 0x00]) => (Some(65_536), LengthForm::Extended),
            Some([a, b]) => (Some(u32::from(u16::from_be_bytes([*a, *b]))), LengthForm::Extended),
            Some(other) => {
                return Err(SmError::Malformed(format!("DO'97 of {} bytes", other.len())));
            }
        };
        Ok(CommandApdu {
            cla: cmd.cla & !0x0C,
            ins: cmd.ins,
            p1: cmd.p1,
            p2: cmd.p2,
            data,
            ne,
            form,
        })
    }

    /// Card side: protects a response as DO'87 (encrypted data, when there is data), DO'99
    /// (status word) and DO'8E (MAC).
    pub fn protect_response(&mut self, resp: &ResponseApdu) -> Result<ResponseApdu, SmError> {
        self.increment_ssc();
        let mut body = Vec::with_capacity(resp.data.len() + 32);
        if !resp.data.is_empty() {
            let cryptogram = self.encrypt(&resp.data)?;
            let mut v = Vec::with_capacity(cryptogram.len() + 1);
            v.push(0x01);
            v.extend_from_slice(&cryptogram);
            write_tlv(DO87, &v, &mut body);
        }
        write_tlv(DO99, &resp.sw.to_bytes(), &mut body);
        let cc = self.mac(&body)?;
        write_tlv(DO8E, &cc, &mut body);
        Ok(ResponseApdu::new(body, resp.sw))
    }
}

impl SmError {
    /// The status word a chip answers with for this error (6987 or 6988).
    pub fn status_word(&self) -> StatusWord {
        match self {
            SmError::MissingDataObject(_) | SmError::UnprotectedCommand(_) => StatusWord::SM_DATA_OBJECTS_MISSING,
            _ => StatusWord::SM_DATA_OBJECTS_INCORRECT,
        }
    }
}

#[cfg(test)]
mod tests;
