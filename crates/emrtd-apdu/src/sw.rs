//! ISO/IEC 7816-4 status words with the meanings used by eMRTD chips.

use core::fmt;

/// A two-byte status word (SW1 SW2).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

/// What a status word means, for the status words eMRTD protocols meet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwMeaning {
    /// 9000: normal processing.
    Success,
    /// 61xx: `n` more response bytes available (0 means 256 or more).
    BytesRemaining(u8),
    /// 6281: part of the returned data may be corrupted.
    DataMayBeCorrupted,
    /// 6282: end of file reached before reading Ne bytes.
    EndOfFile,
    /// 6300: verification failed, no retry counter given.
    VerificationFailed,
    /// 63Cx: verification failed, `x` retries left.
    RetriesLeft(u8),
    /// 6700: wrong length.
    WrongLength,
    /// 6982: security status not satisfied.
    SecurityStatusNotSatisfied,
    /// 6983: authentication method blocked.
    AuthenticationMethodBlocked,
    /// 6984: reference data not usable.
    ReferenceDataNotUsable,
    /// 6985: conditions of use not satisfied.
    ConditionsOfUseNotSatisfied,
    /// 6987: expected secure messaging data objects missing.
    SmDataObjectsMissing,
    /// 6988: incorrect secure messaging data objects.
    SmDataObjectsIncorrect,
    /// 6A80: incorrect parameters in the command data field.
    IncorrectData,
    /// 6A82: file or application not found.
    FileNotFound,
    /// 6A86: incorrect parameters P1-P2.
    IncorrectP1P2,
    /// 6A88: referenced data not found.
    ReferencedDataNotFound,
    /// 6B00: wrong parameters P1-P2 (offset outside the EF).
    WrongOffset,
    /// 6Cxx: wrong Le; `xx` is the exact length available.
    WrongLe(u8),
    /// 6D00: instruction code not supported.
    InsNotSupported,
    /// 6E00: class not supported.
    ClaNotSupported,
    /// Anything else.
    Other,
}

impl StatusWord {
    /// `9000`: normal processing.
    pub const SUCCESS: StatusWord = StatusWord(0x9000);
    /// `6282`: end of file reached before Ne bytes were read (READ BINARY past the end).
    pub const END_OF_FILE: StatusWord = StatusWord(0x6282);
    /// `6700`: wrong length (Lc or Le), ISO/IEC 7816-4 §5.6.
    pub const WRONG_LENGTH: StatusWord = StatusWord(0x6700);
    /// `6982`: security status not satisfied, e.g. reading DG3 without Terminal Authentication.
    pub const SECURITY_STATUS_NOT_SATISFIED: StatusWord = StatusWord(0x6982);
    /// `6983`: authentication method blocked (e.g. a PACE password with no retries left).
    pub const AUTHENTICATION_METHOD_BLOCKED: StatusWord = StatusWord(0x6983);
    /// `6984`: reference data not usable (e.g. a deactivated PIN or CAN).
    pub const REFERENCE_DATA_NOT_USABLE: StatusWord = StatusWord(0x6984);
    /// `6985`: conditions of use not satisfied (e.g. a command out of protocol order).
    pub const CONDITIONS_NOT_SATISFIED: StatusWord = StatusWord(0x6985);
    /// `6987`: expected secure messaging data objects missing.
    pub const SM_DATA_OBJECTS_MISSING: StatusWord = StatusWord(0x6987);
    /// `6988`: incorrect secure messaging data objects (a wrong MAC, or after SM was torn down).
    pub const SM_DATA_OBJECTS_INCORRECT: StatusWord = StatusWord(0x6988);
    /// `6A80`: incorrect parameters in the command data field.
    pub const INCORRECT_DATA: StatusWord = StatusWord(0x6A80);
    /// `6A82`: file or application not found.
    pub const FILE_NOT_FOUND: StatusWord = StatusWord(0x6A82);
    /// `6A86`: incorrect parameters P1-P2.
    pub const INCORRECT_P1P2: StatusWord = StatusWord(0x6A86);
    /// `6A88`: referenced data not found (e.g. an unknown key reference in MSE:Set AT).
    pub const REFERENCED_DATA_NOT_FOUND: StatusWord = StatusWord(0x6A88);
    /// `6B00`: wrong parameters P1-P2, for READ BINARY an offset beyond the end of the file.
    pub const WRONG_OFFSET: StatusWord = StatusWord(0x6B00);
    /// `6D00`: instruction code not supported.
    pub const INS_NOT_SUPPORTED: StatusWord = StatusWord(0x6D00);
    /// `6E00`: class not supported (e.g. secure messaging CLA where none is expected).
    pub const CLA_NOT_SUPPORTED: StatusWord = StatusWord(0x6E00);

    /// Builds a status word from SW1 and SW2.
    pub const fn new(sw1: u8, sw2: u8) -> Self {
        StatusWord(((sw1 as u16) << 8) | sw2 as u16)
    }

    /// The first byte, SW1.
    pub const fn sw1(self) -> u8 {
        (self.0 >> 8) as u8
    }

    /// The second byte, SW2.
    pub const fn sw2(self) -> u8 {
        (self.0 & 0xFF) as u8
    }

    /// The two bytes `[SW1, SW2]` as sent on the wire.
    pub const fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }

    /// True for 9000 only.
    pub const fn is_success(self) -> bool {
        self.0 == 0x9000
    }

    /// Classifies the status word.
    pub fn meaning(self) -> SwMeaning {
        match (self.sw1(), self.sw2()) {
            (0x90, 0x00) => SwMeaning::Success,
            (0x61, n) => SwMeaning::BytesRemaining(n),
            (0x62, 0x81) => SwMeaning::DataMayBeCorrupted,
            (0x62, 0x82) => SwMeaning::EndOfFile,
            (0x63, 0x00) => SwMeaning::VerificationFailed,
            (0x63, x) if x & 0xF0 == 0xC0 => SwMeaning::RetriesLeft(x & 0x0F),
            (0x67, 0x00) => SwMeaning::WrongLength,
            (0x69, 0x82) => SwMeaning::SecurityStatusNotSatisfied,
            (0x69, 0x83) => SwMeaning::AuthenticationMethodBlocked,
            (0x69, 0x84) => SwMeaning::ReferenceDataNotUsable,
            (0x69, 0x85) => SwMeaning::ConditionsOfUseNotSatisfied,
            (0x69, 0x87) => SwMeaning::SmDataObjectsMissing,
            (0x69, 0x88) => SwMeaning::SmDataObjectsIncorrect,
            (0x6A, 0x80) => SwMeaning::IncorrectData,
            (0x6A, 0x82) => SwMeaning::FileNotFound,
            (0x6A, 0x86) => SwMeaning::IncorrectP1P2,
            (0x6A, 0x88) => SwMeaning::ReferencedDataNotFound,
            (0x6B, 0x00) => SwMeaning::WrongOffset,
            (0x6C, n) => SwMeaning::WrongLe(n),
            (0x6D, 0x00) => SwMeaning::InsNotSupported,
            (0x6E, 0x00) => SwMeaning::ClaNotSupported,
            _ => SwMeaning::Other,
        }
    }

    /// A short English description of the status word.
    pub fn description(self) -> &'static str {
        match self.meaning() {
            SwMeaning::Success => "normal processing",
            SwMeaning::BytesRemaining(_) => "more response bytes available",
            SwMeaning::DataMayBeCorrupted => "part of returned data may be corrupted",
            SwMeaning::EndOfFile => "end of file reached before reading Le bytes",
            SwMeaning::VerificationFailed => "verification failed",
            SwMeaning::RetriesLeft(_) => "verification failed, retries left",
            SwMeaning::WrongLength => "wrong length",
            SwMeaning::SecurityStatusNotSatisfied => "security status not satisfied",
            SwMeaning::AuthenticationMethodBlocked => "authentication method blocked",
            SwMeaning::ReferenceDataNotUsable => "reference data not usable",
            SwMeaning::ConditionsOfUseNotSatisfied => "conditions of use not satisfied",
            SwMeaning::SmDataObjectsMissing => "expected secure messaging data objects missing",
            SwMeaning::SmDataObjectsIncorrect => "incorrect secure messaging data objects",
            SwMeaning::IncorrectData => "incorrect parameters in the command data field",
            SwMeaning::FileNotFound => "file or application not found",
            SwMeaning::IncorrectP1P2 => "incorrect parameters P1-P2",
            SwMeaning::ReferencedDataNotFound => "referenced data not found",
            SwMeaning::WrongOffset => "wrong parameters P1-P2 (offset outside the EF)",
            SwMeaning::WrongLe(_) => "wrong Le field",
            SwMeaning::InsNotSupported => "instruction code not supported",
            SwMeaning::ClaNotSupported => "class not supported",
            SwMeaning::Other => "unknown status",
        }
    }
}

impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SW({:04X})", self.0)
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X} ({})", self.0, self.description())
    }
}

impl From<[u8; 2]> for StatusWord {
    fn from(b: [u8; 2]) -> Self {
        StatusWord(u16::from_be_bytes(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meanings_of_emrtd_status_words() {
        let cases: &[(u16, SwMeaning)] = &[
            (0x9000, SwMeaning::Success),
            (0x6110, SwMeaning::BytesRemaining(0x10)),
            (0x6282, SwMeaning::EndOfFile),
            (0x6300, SwMeaning::VerificationFailed),
            (0x63C2, SwMeaning::RetriesLeft(2)),
            (0x6700, SwMeaning::WrongLength),
            (0x6982, SwMeaning::SecurityStatusNotSatisfied),
            (0x6983, SwMeaning::AuthenticationMethodBlocked),
            (0x6984, SwMeaning::ReferenceDataNotUsable),
            (0x6985, SwMeaning::ConditionsOfUseNotSatisfied),
            (0x6987, SwMeaning::SmDataObjectsMissing),
            (0x6988, SwMeaning::SmDataObjectsIncorrect),
            (0x6A80, SwMeaning::IncorrectData),
            (0x6A82, SwMeaning::FileNotFound),
            (0x6A86, SwMeaning::IncorrectP1P2),
            (0x6A88, SwMeaning::ReferencedDataNotFound),
            (0x6B00, SwMeaning::WrongOffset),
            (0x6CE7, SwMeaning::WrongLe(0xE7)),
            (0x6D00, SwMeaning::InsNotSupported),
            (0x6E00, SwMeaning::ClaNotSupported),
            (0x6F00, SwMeaning::Other),
        ];
        for (sw, meaning) in cases {
            assert_eq!(StatusWord(*sw).meaning(), *meaning, "{sw:04X}");
        }
        assert_eq!(StatusWord::new(0x63, 0xC1).to_bytes(), [0x63, 0xC1]);
        assert_eq!(StatusWord(0x6A82).to_string(), "6A82 (file or application not found)");
    }
}
