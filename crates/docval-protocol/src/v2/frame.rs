//! Binary frames of v2 (§3.1): one type byte, then the payload. `0x01` FILE: a 1-byte name
//! length, the UTF-8 name, the raw file to the end of the frame. `0x02` APDU: a command
//! (server → phone) or a response with its status word (phone → server).

/// FILE frame prefix.
pub const FILE: u8 = 0x01;
/// APDU frame prefix.
pub const APDU: u8 = 0x02;

/// A parsed binary frame, borrowing from the received bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryFrame<'a> {
    /// `0x01` FILE: a file the phone read from the chip.
    File {
        /// The file's name (e.g. `"dg1"`, `"sod"`), 1-255 bytes of UTF-8.
        name: &'a str,
        /// The file's bytes, exactly as read.
        data: &'a [u8],
    },
    /// `0x02` APDU: a command APDU (server → phone) or a response APDU with its status word
    /// (phone → server), as raw bytes.
    Apdu(&'a [u8]),
}

/// Why a binary frame is malformed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    /// The frame has no bytes at all.
    #[error("empty binary frame")]
    Empty,
    /// The first byte is neither [`FILE`] nor [`APDU`]; carries it.
    #[error("unknown binary frame prefix 0x{0:02X}")]
    UnknownPrefix(u8),
    /// A FILE frame ends before its name-length byte or before the name it announces.
    #[error("FILE frame shorter than its name")]
    Truncated,
    /// A FILE name is empty or not valid UTF-8.
    #[error("FILE name is empty or not UTF-8")]
    BadName,
    /// [`file_frame`] was given a name over 255 bytes; carries its length.
    #[error("FILE name of {0} bytes is too long")]
    NameTooLong(usize),
}

impl<'a> BinaryFrame<'a> {
    /// Parses a received binary WebSocket message, borrowing name and payload from `bytes`.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, FrameError> {
        let (&prefix, rest) = bytes.split_first().ok_or(FrameError::Empty)?;
        match prefix {
            FILE => {
                let (&n, rest) = rest.split_first().ok_or(FrameError::Truncated)?;
                let n = usize::from(n);
                if rest.len() < n {
                    return Err(FrameError::Truncated);
                }
                let (name, data) = rest.split_at(n);
                let name = std::str::from_utf8(name).map_err(|_| FrameError::BadName)?;
                if name.is_empty() {
                    return Err(FrameError::BadName);
                }
                Ok(BinaryFrame::File { name, data })
            }
            APDU => Ok(BinaryFrame::Apdu(rest)),
            other => Err(FrameError::UnknownPrefix(other)),
        }
    }
}

/// A FILE frame (names up to 255 bytes; Android reads at most 127).
pub fn file_frame(name: &str, data: &[u8]) -> Result<Vec<u8>, FrameError> {
    let n = u8::try_from(name.len()).map_err(|_| FrameError::NameTooLong(name.len()))?;
    if n == 0 {
        return Err(FrameError::BadName);
    }
    let mut out = Vec::with_capacity(2 + name.len() + data.len());
    out.push(FILE);
    out.push(n);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(data);
    Ok(out)
}

/// An APDU frame.
pub fn apdu_frame(apdu: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + apdu.len());
    out.push(APDU);
    out.extend_from_slice(apdu);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn frames_round_trip_as_in_the_notes_trace() {
        // "01 04 64 67 31 34 6E 82 …" is FILE "dg14".
        let f = file_frame("dg14", &[0x6E, 0x82]).unwrap();
        assert_eq!(f, [0x01, 0x04, 0x64, 0x67, 0x31, 0x34, 0x6E, 0x82]);
        assert_eq!(
            BinaryFrame::parse(&f).unwrap(),
            BinaryFrame::File {
                name: "dg14",
                data: &[0x6E, 0x82]
            }
        );
        assert_eq!(
            BinaryFrame::parse(&apdu_frame(&[0x90, 0x00])).unwrap(),
            BinaryFrame::Apdu(&[0x90, 0x00])
        );
    }

    #[test]
    fn malformed_frames_are_errors() {
        assert_eq!(BinaryFrame::parse(&[]), Err(FrameError::Empty));
        assert_eq!(BinaryFrame::parse(&[0x03, 1]), Err(FrameError::UnknownPrefix(3)));
        assert_eq!(BinaryFrame::parse(&[0x01]), Err(FrameError::Truncated));
        assert_eq!(BinaryFrame::parse(&[0x01, 5, b'd']), Err(FrameError::Truncated));
        assert_eq!(BinaryFrame::parse(&[0x01, 0, 1, 2]), Err(FrameError::BadName));
        assert_eq!(BinaryFrame::parse(&[0x01, 1, 0xFF]), Err(FrameError::BadName));
        assert_eq!(file_frame(&"d".repeat(256), &[]), Err(FrameError::NameTooLong(256)));
    }
}
