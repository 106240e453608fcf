//! Why a session ends, with the close code the vendor's clients expect (v1 notes and v2 notes
//! §5.2), and the text notice sent just before the close frame.

/// Why the server closes a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CloseReason {
    /// Normal end: close code 1000, no reason phrase.
    Done,
    /// `TIMEOUT_WHILE_WAITING_FOR_START_MESSAGE` (1001): the client sent no START in time.
    TimeoutWhileWaitingForStartMessage,
    /// `TIMEOUT_WHILE_WAITING_FOR_RESPONSE` (1001): the phone did not answer a relayed APDU in
    /// time.
    TimeoutWhileWaitingForResponse,
    /// `MAX_SESSION_TIME_EXCEEDED` (1011): the whole session took longer than allowed.
    MaxSessionTimeExceeded,
    /// `UNEXPECTED_MESSAGE` (1008): a message that is valid but not expected in this state.
    UnexpectedMessage,
    /// `INVALID_START_MESSAGE` (1008): a malformed START (v1; deprecated on Android in v2).
    InvalidStartMessage,
    /// `INVALID_ACCESS_KEY_VALUES` (1008): v1 only, the access key (MRZ/CAN) in START is
    /// malformed; in v2 the server never sees the key.
    InvalidAccessKeyValues,
    /// `COMMUNICATION_FAILED` (1011): the connection to the phone or chip failed.
    CommunicationFailed,
    /// `FILE_READ_ERROR` (1011): a file could not be read from the chip, or a relayed chip
    /// command failed (e.g. the iOS relay's `6F00` after the tag was lost).
    FileReadError,
    /// `EMRTD_PASSPORT_READER_ERROR` (1011): reading or authenticating the chip failed (e.g.
    /// Chip Authentication over the relay failed or the handback keys are unusable).
    EmrtdPassportReaderError,
    /// `SERVER_ERROR` (1011): an internal server failure.
    ServerError,
    /// `POST_TO_RESULT_SERVER_FAILED` (1011): the result could not be POSTed to the client's
    /// result server (after retries).
    PostToResultServerFailed,
    /// `INVALID_CLIENT_ID` (4401): START named an unknown client id.
    InvalidClientId,
    /// `ACCESS_CONTROL_FAILED` (4403): BAC/PACE failed (raised by the server in v1, by the
    /// Android client itself in v2).
    AccessControlFailed,
    /// v2: a frame the protocol does not allow at this point (1008).
    ProtocolError,
}

impl CloseReason {
    /// Every reason, in declaration order.
    pub const ALL: [CloseReason; 15] = [
        CloseReason::Done,
        CloseReason::TimeoutWhileWaitingForStartMessage,
        CloseReason::TimeoutWhileWaitingForResponse,
        CloseReason::MaxSessionTimeExceeded,
        CloseReason::UnexpectedMessage,
        CloseReason::InvalidStartMessage,
        CloseReason::InvalidAccessKeyValues,
        CloseReason::CommunicationFailed,
        CloseReason::FileReadError,
        CloseReason::EmrtdPassportReaderError,
        CloseReason::ServerError,
        CloseReason::PostToResultServerFailed,
        CloseReason::InvalidClientId,
        CloseReason::AccessControlFailed,
        CloseReason::ProtocolError,
    ];

    /// The reason phrase (`None` for a normal close).
    pub fn phrase(self) -> Option<&'static str> {
        Some(match self {
            CloseReason::Done => return None,
            CloseReason::TimeoutWhileWaitingForStartMessage => "TIMEOUT_WHILE_WAITING_FOR_START_MESSAGE",
            CloseReason::TimeoutWhileWaitingForResponse => "TIMEOUT_WHILE_WAITING_FOR_RESPONSE",
            CloseReason::MaxSessionTimeExceeded => "MAX_SESSION_TIME_EXCEEDED",
            CloseReason::UnexpectedMessage => "UNEXPECTED_MESSAGE",
            CloseReason::InvalidStartMessage => "INVALID_START_MESSAGE",
            CloseReason::InvalidAccessKeyValues => "INVALID_ACCESS_KEY_VALUES",
            CloseReason::CommunicationFailed => "COMMUNICATION_FAILED",
            CloseReason::FileReadError => "FILE_READ_ERROR",
            CloseReason::EmrtdPassportReaderError => "EMRTD_PASSPORT_READER_ERROR",
            CloseReason::ServerError => "SERVER_ERROR",
            CloseReason::PostToResultServerFailed => "POST_TO_RESULT_SERVER_FAILED",
            CloseReason::InvalidClientId => "INVALID_CLIENT_ID",
            CloseReason::AccessControlFailed => "ACCESS_CONTROL_FAILED",
            CloseReason::ProtocolError => "PROTOCOL_ERROR",
        })
    }

    /// The WebSocket close code.
    pub fn code(self) -> u16 {
        match self {
            CloseReason::Done => 1000,
            CloseReason::TimeoutWhileWaitingForStartMessage | CloseReason::TimeoutWhileWaitingForResponse => 1001,
            CloseReason::UnexpectedMessage
            | CloseReason::InvalidStartMessage
            | CloseReason::InvalidAccessKeyValues
            | CloseReason::ProtocolError => 1008,
            CloseReason::InvalidClientId => 4401,
            CloseReason::AccessControlFailed => 4403,
            CloseReason::MaxSessionTimeExceeded
            | CloseReason::CommunicationFailed
            | CloseReason::FileReadError
            | CloseReason::EmrtdPassportReaderError
            | CloseReason::ServerError
            | CloseReason::PostToResultServerFailed => 1011,
        }
    }

    /// A label for metrics.
    pub fn label(self) -> &'static str {
        self.phrase().unwrap_or("NORMAL")
    }

    /// The reason from its phrase (`""` is the normal close).
    pub fn from_phrase(phrase: &str) -> Option<CloseReason> {
        if phrase.is_empty() {
            return Some(CloseReason::Done);
        }
        CloseReason::ALL.into_iter().find(|r| r.phrase() == Some(phrase))
    }

    /// v1: the `{"close_code":…}` text frame sent just before the close frame.
    pub fn text_frame(self) -> String {
        match self.phrase() {
            None => format!("{{\"close_code\":{}}}", self.code()),
            Some(p) => format!("{{\"close_code\":{},\"close_reason\":\"{p}\"}}", self.code()),
        }
    }

    /// v2: the `{"type":"CLOSE","code":…,"reason":…}` message (both keys always present,
    /// `""` for a normal close, §3.3).
    pub fn close_message(self) -> String {
        format!(
            "{{\"type\":\"CLOSE\",\"code\":{},\"reason\":\"{}\"}}",
            self.code(),
            self.phrase().unwrap_or("")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::CloseReason;

    #[test]
    fn phrases_round_trip_and_codes_follow_the_table() {
        for r in CloseReason::ALL {
            assert_eq!(CloseReason::from_phrase(r.phrase().unwrap_or("")), Some(r));
        }
        assert_eq!(CloseReason::ProtocolError.code(), 1008);
        assert_eq!(
            CloseReason::InvalidClientId.close_message(),
            r#"{"type":"CLOSE","code":4401,"reason":"INVALID_CLIENT_ID"}"#
        );
        assert_eq!(
            CloseReason::Done.close_message(),
            r#"{"type":"CLOSE","code":1000,"reason":""}"#
        );
    }
}
