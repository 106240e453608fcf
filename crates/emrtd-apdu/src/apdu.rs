//! Command and response APDUs (ISO/IEC 7816-3 §12.1, ISO/IEC 7816-4 §5.1).

use crate::sw::StatusWord;
use thiserror::Error;

/// Largest Nc of a short APDU.
pub const SHORT_MAX_NC: usize = 255;
/// Largest Ne of a short APDU (Le = 00).
pub const SHORT_MAX_NE: u32 = 256;
/// Largest Nc of an extended APDU.
pub const EXTENDED_MAX_NC: usize = 65_535;
/// Largest Ne of an extended APDU (Le = 0000).
pub const EXTENDED_MAX_NE: u32 = 65_536;

/// CLA bit that marks a command as "not the last of a chain" (ISO/IEC 7816-4 §5.4.1).
pub const CLA_CHAINING: u8 = 0x10;

/// Errors building, encoding or decoding an APDU.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ApduError {
    /// The response is shorter than the two status bytes, or the command shorter than its
    /// four-byte header; the actual length is carried.
    #[error("APDU too short: {0} bytes")]
    TooShort(usize),
    /// The command data (Nc bytes, carried) does not fit the length form: more than 255 bytes
    /// in short form or more than 65535 in extended form.
    #[error("command data of {0} bytes does not fit the chosen length form")]
    DataTooLong(usize),
    /// Ne (carried) is 0 or larger than the form allows (256 short, 65536 extended).
    #[error("Ne of {0} is out of range for the chosen length form (1..=65536)")]
    BadNe(u32),
    /// The Lc byte(s) of a parsed command disagree with the bytes that follow the header.
    #[error("Lc = {lc} does not match the {available} bytes that follow the header")]
    LcMismatch {
        /// Nc as encoded in the Lc field.
        lc: usize,
        /// Bytes actually following the header (and Lc).
        available: usize,
    },
    /// A parsed command starts an extended length (`00` after the header) but the body that
    /// follows is not valid (total length carried).
    #[error("extended length marker without a valid extended body ({0} bytes)")]
    BadExtendedForm(usize),
    /// [`CommandApdu::chain`] was asked for chunks of 0 bytes.
    #[error("chunk size must be at least 1")]
    ZeroChunk,
}

/// Short or extended length fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LengthForm {
    /// Short when both Nc and Ne fit, extended otherwise.
    #[default]
    Auto,
    /// Always short; encoding fails when Nc > 255 or Ne > 256.
    Short,
    /// Always extended.
    Extended,
}

/// A command APDU.
///
/// `ne` is the expected response length Ne (not the Le byte): `Some(256)` encodes as Le = `00`
/// in short form, `Some(65536)` as Le = `0000` in extended form.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct CommandApdu {
    /// Class byte: `00` plain, `0C` with secure messaging, `10` set while chaining.
    pub cla: u8,
    /// Instruction byte, e.g. `B0` READ BINARY, `A4` SELECT, `86` GENERAL AUTHENTICATE.
    pub ins: u8,
    /// Parameter byte P1.
    pub p1: u8,
    /// Parameter byte P2.
    pub p2: u8,
    /// The command data field (Nc = its length, Lc encodes it); empty for cases 1 and 2.
    pub data: Vec<u8>,
    /// The expected response length Ne (1..=65536), `None` for cases 1 and 3 (no Le field).
    pub ne: Option<u32>,
    /// Length form to use when encoding.
    pub form: LengthForm,
}

impl core::fmt::Debug for CommandApdu {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "C-APDU {:02X} {:02X} {:02X} {:02X} Nc={} Ne={:?} {:?}",
            self.cla,
            self.ins,
            self.p1,
            self.p2,
            self.data.len(),
            self.ne,
            self.form
        )
    }
}

impl CommandApdu {
    /// A case-1 command: header only.
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        CommandApdu {
            cla,
            ins,
            p1,
            p2,
            ..Default::default()
        }
    }

    /// Sets the command data field (case 3 or 4).
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = data.into();
        self
    }

    /// Sets Ne, the number of response bytes expected (case 2 or 4).
    pub fn with_ne(mut self, ne: u32) -> Self {
        self.ne = Some(ne);
        self
    }

    /// Sets the length form used by [`CommandApdu::to_bytes`].
    pub fn with_form(mut self, form: LengthForm) -> Self {
        self.form = form;
        self
    }

    /// Sets or clears the command-chaining bit in CLA.
    pub fn with_chaining(mut self, more_follow: bool) -> Self {
        if more_follow {
            self.cla |= CLA_CHAINING;
        } else {
            self.cla &= !CLA_CHAINING;
        }
        self
    }

    /// The ISO 7816-4 case number (1–4).
    pub fn case(&self) -> u8 {
        match (self.data.is_empty(), self.ne.is_some()) {
            (true, false) => 1,
            (true, true) => 2,
            (false, false) => 3,
            (false, true) => 4,
        }
    }

    /// Whether this APDU would be encoded in extended form.
    pub fn is_extended(&self) -> bool {
        match self.form {
            LengthForm::Short => false,
            LengthForm::Extended => self.case() != 1,
            LengthForm::Auto => self.data.len() > SHORT_MAX_NC || self.ne.is_some_and(|n| n > SHORT_MAX_NE),
        }
    }

    /// The 4 header bytes.
    pub fn header(&self) -> [u8; 4] {
        [self.cla, self.ins, self.p1, self.p2]
    }

    /// Encodes the APDU.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ApduError> {
        let extended = self.is_extended();
        let (max_nc, max_ne) = if extended {
            (EXTENDED_MAX_NC, EXTENDED_MAX_NE)
        } else {
            (SHORT_MAX_NC, SHORT_MAX_NE)
        };
        if self.data.len() > max_nc {
            return Err(ApduError::DataTooLong(self.data.len()));
        }
        if let Some(ne) = self.ne
            && (ne == 0 || ne > max_ne)
        {
            return Err(ApduError::BadNe(ne));
        }
        let mut out = Vec::with_capacity(4 + 3 + self.data.len() + 3);
        out.extend_from_slice(&self.header());
        if extended {
            out.push(0x00);
            if !self.data.is_empty() {
                out.extend_from_slice(&(self.data.len() as u16).to_be_bytes());
                out.extend_from_slice(&self.data);
            }
            if let Some(ne) = self.ne {
                // 65536 encodes as 0000.
                out.extend_from_slice(&((ne % 65_536) as u16).to_be_bytes());
            }
        } else {
            if !self.data.is_empty() {
                out.push(self.data.len() as u8);
                out.extend_from_slice(&self.data);
            }
            if let Some(ne) = self.ne {
                out.push((ne % 256) as u8);
            }
        }
        Ok(out)
    }

    /// Decodes a command APDU (ISO/IEC 7816-3 §12.1.3 case detection).
    pub fn parse(bytes: &[u8]) -> Result<Self, ApduError> {
        let (header, body) = bytes.split_first_chunk::<4>().ok_or(ApduError::TooShort(bytes.len()))?;
        let mut cmd = CommandApdu::new(header[0], header[1], header[2], header[3]);
        match body {
            [] => {}
            [le] => {
                cmd.ne = Some(if *le == 0 { 256 } else { u32::from(*le) });
                cmd.form = LengthForm::Short;
            }
            [0x00, hi, lo, rest @ ..] => {
                cmd.form = LengthForm::Extended;
                let n = u16::from_be_bytes([*hi, *lo]);
                if rest.is_empty() {
                    // Case 2E.
                    cmd.ne = Some(if n == 0 { 65_536 } else { u32::from(n) });
                } else {
                    let lc = usize::from(n);
                    if lc == 0 {
                        return Err(ApduError::BadExtendedForm(bytes.len()));
                    }
                    match rest.len().checked_sub(lc) {
                        Some(0) => cmd.data = rest.to_vec(),
                        Some(2) => {
                            let (data, le) = rest.split_at(lc);
                            cmd.data = data.to_vec();
                            let le = match le {
                                [a, b] => u16::from_be_bytes([*a, *b]),
                                _ => return Err(ApduError::BadExtendedForm(bytes.len())),
                            };
                            cmd.ne = Some(if le == 0 { 65_536 } else { u32::from(le) });
                        }
                        _ => {
                            return Err(ApduError::LcMismatch {
                                lc,
                                available: rest.len(),
                            });
                        }
                    }
                }
            }
            [0x00, ..] => return Err(ApduError::BadExtendedForm(bytes.len())),
            [lc, rest @ ..] => {
                cmd.form = LengthForm::Short;
                let lc = usize::from(*lc);
                match rest.len().checked_sub(lc) {
                    Some(0) => cmd.data = rest.to_vec(),
                    Some(1) => {
                        let (data, le) = rest.split_at(lc);
                        cmd.data = data.to_vec();
                        let le = le.first().copied().unwrap_or(0);
                        cmd.ne = Some(if le == 0 { 256 } else { u32::from(le) });
                    }
                    _ => {
                        return Err(ApduError::LcMismatch {
                            lc,
                            available: rest.len(),
                        });
                    }
                }
            }
        }
        Ok(cmd)
    }

    /// Splits the command into a chain (ISO/IEC 7816-4 §5.4.1): every part but the last has the
    /// chaining bit set; only the last part carries Ne. A command whose data fits `max_chunk`
    /// is returned unchanged.
    pub fn chain(&self, max_chunk: usize) -> Result<Vec<CommandApdu>, ApduError> {
        if max_chunk == 0 {
            return Err(ApduError::ZeroChunk);
        }
        if self.data.len() <= max_chunk {
            return Ok(vec![self.clone()]);
        }
        let chunks: Vec<&[u8]> = self.data.chunks(max_chunk).collect();
        let last = chunks.len() - 1;
        Ok(chunks
            .into_iter()
            .enumerate()
            .map(|(i, chunk)| {
                CommandApdu {
                    cla: self.cla,
                    ins: self.ins,
                    p1: self.p1,
                    p2: self.p2,
                    data: chunk.to_vec(),
                    ne: if i == last { self.ne } else { None },
                    form: self.form,
                }
                .with_chaining(i != last)
            })
            .collect())
    }
}

/// A response APDU: data field and status word.
#[derive(Clone, PartialEq, Eq)]
pub struct ResponseApdu {
    /// The response data field (may be empty).
    pub data: Vec<u8>,
    /// The status word SW1 SW2 that ended the response.
    pub sw: StatusWord,
}

impl core::fmt::Debug for ResponseApdu {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "R-APDU Nr={} {:?}", self.data.len(), self.sw)
    }
}

impl ResponseApdu {
    /// A response with a data field and a status word.
    pub fn new(data: impl Into<Vec<u8>>, sw: StatusWord) -> Self {
        ResponseApdu { data: data.into(), sw }
    }

    /// A response with only a status word.
    pub fn status(sw: StatusWord) -> Self {
        ResponseApdu { data: Vec::new(), sw }
    }

    /// Decodes `data || SW1 SW2`.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApduError> {
        let (data, sw) = bytes.split_last_chunk::<2>().ok_or(ApduError::TooShort(bytes.len()))?;
        Ok(ResponseApdu {
            data: data.to_vec(),
            sw: StatusWord::from(*sw),
        })
    }

    /// Encodes `data || SW1 SW2`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 2);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&self.sw.to_bytes());
        out
    }

    /// Whether the status word is `9000`.
    pub fn is_success(&self) -> bool {
        self.sw.is_success()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn all_cases_short_form() {
        let c1 = CommandApdu::new(0x00, 0xA4, 0x00, 0x0C);
        assert_eq!(c1.to_bytes(), Ok(h("00A4000C")));
        let c2 = CommandApdu::new(0x00, 0x84, 0, 0).with_ne(8);
        assert_eq!(c2.to_bytes(), Ok(h("0084000008")));
        let c2_256 = CommandApdu::new(0x00, 0xB0, 0, 0).with_ne(256);
        assert_eq!(c2_256.to_bytes(), Ok(h("00B0000000")));
        let c3 = CommandApdu::new(0x00, 0xA4, 0x02, 0x0C).with_data(h("011E"));
        assert_eq!(c3.to_bytes(), Ok(h("00A4020C02011E")));
        let c4 = CommandApdu::new(0x00, 0x88, 0, 0)
            .with_data(h("F173589974BF40C6"))
            .with_ne(256);
        assert_eq!(c4.to_bytes(), Ok(h("0088000008F173589974BF40C600")));
    }

    #[test]
    fn all_cases_extended_form() {
        let c2 = CommandApdu::new(0x00, 0xB0, 0, 0).with_ne(65_536);
        assert_eq!(c2.to_bytes(), Ok(h("00B00000000000")));
        let c2f = CommandApdu::new(0x00, 0xB0, 0, 0)
            .with_ne(256)
            .with_form(LengthForm::Extended);
        assert_eq!(c2f.to_bytes(), Ok(h("00B00000000100")));
        let c3 = CommandApdu::new(0x00, 0x2A, 0, 0xBE).with_data(vec![0xAB; 300]);
        let enc = c3.to_bytes().unwrap();
        assert_eq!(&enc[..7], &h("002A00BE00012C")[..]);
        assert_eq!(enc.len(), 7 + 300);
        let c4 = CommandApdu::new(0x00, 0x88, 0, 0)
            .with_data(h("0102"))
            .with_ne(65_536)
            .with_form(LengthForm::Extended);
        assert_eq!(c4.to_bytes(), Ok(h("0088000000000201020000")));
    }

    #[test]
    fn short_form_refuses_what_does_not_fit() {
        let c = CommandApdu::new(0, 0xB0, 0, 0)
            .with_ne(257)
            .with_form(LengthForm::Short);
        assert_eq!(c.to_bytes(), Err(ApduError::BadNe(257)));
        let c = CommandApdu::new(0, 0xD6, 0, 0)
            .with_data(vec![0; 256])
            .with_form(LengthForm::Short);
        assert_eq!(c.to_bytes(), Err(ApduError::DataTooLong(256)));
        let c = CommandApdu::new(0, 0xB0, 0, 0).with_ne(0);
        assert_eq!(c.to_bytes(), Err(ApduError::BadNe(0)));
        let c = CommandApdu::new(0, 0xB0, 0, 0).with_ne(65_537);
        assert_eq!(c.to_bytes(), Err(ApduError::BadNe(65_537)));
    }

    #[test]
    fn parse_detects_every_case() {
        let cases = [
            "00A4000C",
            "0084000008",
            "00B0000000",
            "00A4020C02011E",
            "0088000008F173589974BF40C600",
            "00B00000000000",
            "00B00000000100",
            "0088000000000201020000",
            "002A00BE000003AABBCC",
        ];
        for c in cases {
            let bytes = h(c);
            let apdu = CommandApdu::parse(&bytes).unwrap();
            assert_eq!(apdu.to_bytes(), Ok(bytes), "{c}");
        }
        let p = CommandApdu::parse(&h("00B00000000000")).unwrap();
        assert_eq!(p.ne, Some(65_536));
        assert_eq!(p.case(), 2);
        let p = CommandApdu::parse(&h("00B0000000")).unwrap();
        assert_eq!(p.ne, Some(256));
    }

    #[test]
    fn parse_rejects_malformed_commands() {
        assert_eq!(CommandApdu::parse(&h("00A400")), Err(ApduError::TooShort(3)));
        assert_eq!(
            CommandApdu::parse(&h("00A4020C05011E")),
            Err(ApduError::LcMismatch { lc: 5, available: 2 })
        );
        assert_eq!(
            CommandApdu::parse(&h("00A4020C02011E0000")),
            Err(ApduError::LcMismatch { lc: 2, available: 4 })
        );
        assert_eq!(
            CommandApdu::parse(&h("00B000000000")),
            Err(ApduError::BadExtendedForm(6))
        );
        assert_eq!(
            CommandApdu::parse(&h("00B00000000000AA")),
            Err(ApduError::BadExtendedForm(8))
        );
        assert!(matches!(
            CommandApdu::parse(&h("00B000000000FFAA")),
            Err(ApduError::LcMismatch { lc: 255, .. })
        ));
    }

    #[test]
    fn chaining_sets_the_bit_on_all_but_the_last() {
        let c = CommandApdu::new(0x00, 0x2A, 0x00, 0xBE)
            .with_data((0u8..10).collect::<Vec<_>>())
            .with_ne(256);
        let parts = c.chain(4).unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].to_bytes(), Ok(h("102A00BE0400010203")));
        assert_eq!(parts[1].to_bytes(), Ok(h("102A00BE0404050607")));
        assert_eq!(parts[2].to_bytes(), Ok(h("002A00BE02080900")));
        assert_eq!(c.chain(0), Err(ApduError::ZeroChunk));
        assert_eq!(c.chain(10).map(|v| v.len()), Ok(1));
    }

    #[test]
    fn response_round_trip() {
        let r = ResponseApdu::parse(&h("4608F919887022129000")).unwrap();
        assert_eq!(r.data, h("4608F91988702212"));
        assert!(r.is_success());
        assert_eq!(r.to_bytes(), h("4608F919887022129000"));
        assert_eq!(ResponseApdu::parse(&h("90")), Err(ApduError::TooShort(1)));
        let r = ResponseApdu::parse(&h("6A82")).unwrap();
        assert!(r.data.is_empty());
        assert_eq!(r.sw, StatusWord::FILE_NOT_FOUND);
    }
}
