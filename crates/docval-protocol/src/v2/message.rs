//! The typed JSON text frames of v2 (§3.2, §3.3): every text frame is one JSON object whose
//! `type` member names it; keys are camelCase and case-sensitive. Unknown members are ignored
//! (SDKs add fields over time); missing required members and wrong JSON types are errors.

use base64::Engine;
use emrtd_crypto::CipherSuite;
use emrtd_sm::SmSession;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The largest text frame the server reads (START, CA_HANDOVER, FINISH, MONITORING are all
/// small; an AA signature is at most 512 bytes of base64 for RSA-4096).
pub const MAX_TEXT_BYTES: usize = 16 * 1024;
/// The largest client-controlled string kept from START.
pub const MAX_ID_CHARS: usize = 256;

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// Why a text frame is not a valid message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MessageError {
    /// The text frame is over [`MAX_TEXT_BYTES`] (client messages); carries its length.
    #[error("text frame too long ({0} bytes)")]
    TooLong(usize),
    /// The frame is not JSON, not an object, or has no string `type` member.
    #[error("not a JSON object with a string `type`")]
    NotTyped,
    /// The `type` names no message of this direction (names are case-sensitive).
    #[error("unknown message type")]
    UnknownType,
    /// A known message lacks a required member or has one of the wrong JSON type.
    #[error("malformed {kind} message: {why}")]
    Malformed {
        /// The message type (`"START"`, `"CA_HANDOVER"`, ...).
        kind: &'static str,
        /// serde's description; it names the member, never the value.
        why: String,
    },
}

/// START (§3.2): the first client frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Start {
    /// `validationId`: the app's id for this validation (passed on to the result server).
    pub validation_id: String,
    /// `clientId`: the API access key; selects the client configuration and result server.
    pub client_id: String,
    /// `"android"` or `"iOS"` (compared case-insensitively).
    pub platform: String,
    /// `nfcAdapterSupportsExtendedLength`: whether the phone's NFC stack sends extended-length
    /// APDUs (always `true` on iOS).
    pub nfc_adapter_supports_extended_length: bool,
    /// `enableDiagnostics`: the app consents to diagnostics (then MONITORING frames follow).
    /// Always present in v2; absent is read as `false`.
    #[serde(default)]
    pub enable_diagnostics: bool,
}

impl Start {
    /// The platform as a lowercase category for logs and metrics (`android`, `ios`, `other`);
    /// the client's own text never reaches a log.
    pub fn platform_category(&self) -> &'static str {
        if self.platform.eq_ignore_ascii_case("android") {
            "android"
        } else if self.platform.eq_ignore_ascii_case("ios") {
            "ios"
        } else {
            "other"
        }
    }
}

/// The Send Sequence Counter as sent: a JSON integer that Android writes as a signed 64-bit
/// Java `long` (negative for a BAC SSC ≥ 2^63) and others may write unsigned (§3.4). Kept as
/// the unsigned bit pattern; written back signed, as Android expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Zeroize)]
pub struct Ssc(pub u64);

impl Serialize for Ssc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.0 as i64)
    }
}

impl<'de> Deserialize<'de> for Ssc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Ssc;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a 64-bit integer")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Ssc, E> {
                Ok(Ssc(v as u64))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Ssc, E> {
                Ok(Ssc(v))
            }
        }
        d.deserialize_i64(V)
    }
}

/// `secureMessagingInfo` (§3.4): a live secure-messaging session. The keys are base64 of the
/// raw KSenc/KSmac; they are wiped on drop.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(rename_all = "camelCase")]
pub struct SecureMessagingInfo {
    /// `"AES"` or `"DESede"` (accepted case-insensitively, and `"3DES"`).
    pub algorithm: String,
    /// `encKey`: base64 of KSenc (AES: 16/24/32 bytes; DESede: 16 bytes or 24 as K1‖K2‖K1).
    pub enc_key: String,
    /// `macKey`: base64 of KSmac, of the same length as KSenc.
    pub mac_key: String,
    /// `ssc`: the Send Sequence Counter of the last processed message (low 64 bits).
    pub ssc: Ssc,
}

impl std::fmt::Debug for SecureMessagingInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecureMessagingInfo")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// Why a `secureMessagingInfo` cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SmInfoError {
    /// `algorithm` is neither AES nor DESede/3DES.
    #[error("unsupported secure messaging algorithm")]
    Algorithm,
    /// `encKey` or `macKey` is not standard base64.
    #[error("key is not base64")]
    KeyEncoding,
    /// A key's length (carried, in bytes) does not fit the algorithm (AES 16/24/32; DESede 16,
    /// or 24 with K3 = K1).
    #[error("key length {0} does not fit the algorithm")]
    KeyLength(usize),
    /// KSenc and KSmac have different lengths.
    #[error("the two keys differ in length")]
    KeyMismatch,
    /// The session's 16-byte AES SSC exceeds 2^64 - 1, which the JSON integer cannot carry.
    #[error("the session's SSC does not fit 64 bits")]
    SscRange,
    /// The secure messaging session refused the keys; carries its message.
    #[error("secure messaging: {0}")]
    Sm(String),
}

impl SecureMessagingInfo {
    /// The session the info describes: the SSC is the counter of the last processed message,
    /// so the next command uses SSC + 1 (as [`SmSession::protect`] counts).
    pub fn to_session(&self) -> Result<SmSession, SmInfoError> {
        let enc = Zeroizing::new(b64().decode(&self.enc_key).map_err(|_| SmInfoError::KeyEncoding)?);
        let mac = Zeroizing::new(b64().decode(&self.mac_key).map_err(|_| SmInfoError::KeyEncoding)?);
        if enc.len() != mac.len() {
            return Err(SmInfoError::KeyMismatch);
        }
        let alg = self.algorithm.as_str();
        let (suite, enc, mac) = if alg.eq_ignore_ascii_case("AES") {
            let suite = match enc.len() {
                16 => CipherSuite::Aes128,
                24 => CipherSuite::Aes192,
                32 => CipherSuite::Aes256,
                n => return Err(SmInfoError::KeyLength(n)),
            };
            (suite, enc, mac)
        } else if alg.eq_ignore_ascii_case("DESede") || alg.eq_ignore_ascii_case("3DES") {
            // Two-key triple DES: 16 bytes K1‖K2, or the 24-byte JCA form K1‖K2‖K1.
            let two_key = |k: Zeroizing<Vec<u8>>| -> Result<Zeroizing<Vec<u8>>, SmInfoError> {
                match k.len() {
                    16 => Ok(k),
                    24 if k.get(..8) == k.get(16..) => Ok(Zeroizing::new(k.get(..16).unwrap_or_default().to_vec())),
                    n => Err(SmInfoError::KeyLength(n)),
                }
            };
            (CipherSuite::Tdes, two_key(enc)?, two_key(mac)?)
        } else {
            return Err(SmInfoError::Algorithm);
        };
        let mut ssc = vec![0u8; suite.block_len()];
        let n = ssc.len();
        if let Some(tail) = ssc.get_mut(n - 8..) {
            tail.copy_from_slice(&self.ssc.0.to_be_bytes());
        }
        SmSession::new(suite, &enc, &mac, &ssc).map_err(|e| SmInfoError::Sm(e.to_string()))
    }

    /// The info of a live session: `"AES"` or `"DESede"` with 24-byte keys (K1‖K2‖K1), as
    /// Android's JCA wrapper builds its session from (§3.4).
    pub fn from_session(sm: &SmSession) -> Result<Self, SmInfoError> {
        let ssc = sm.ssc();
        let split = ssc.len().saturating_sub(8);
        let (high, low) = ssc.split_at(split);
        if high.iter().any(|b| *b != 0) {
            return Err(SmInfoError::SscRange);
        }
        let mut word = [0u8; 8];
        word.copy_from_slice(low);
        let (algorithm, enc, mac) = match sm.suite() {
            CipherSuite::Tdes => {
                let jca = |k: &[u8]| {
                    let mut v = Zeroizing::new(k.to_vec());
                    v.extend_from_slice(k.get(..8).unwrap_or_default());
                    v
                };
                ("DESede", jca(sm.ks_enc()), jca(sm.ks_mac()))
            }
            _ => (
                "AES",
                Zeroizing::new(sm.ks_enc().to_vec()),
                Zeroizing::new(sm.ks_mac().to_vec()),
            ),
        };
        Ok(SecureMessagingInfo {
            algorithm: algorithm.to_owned(),
            enc_key: b64().encode(&*enc),
            mac_key: b64().encode(&*mac),
            ssc: Ssc(u64::from_be_bytes(word)),
        })
    }
}

/// CA_HANDOVER (§3.2): the phone hands its live session over for chip authentication.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaHandover {
    /// `maxTransceiveLengthForSecureMessaging`: the largest SM-wrapped command APDU, in bytes,
    /// the phone's NFC stack can transmit.
    pub max_transceive_length_for_secure_messaging: u32,
    /// `maxBlockSize`: the largest Le to request per READ BINARY.
    pub max_block_size: u32,
    /// `secureMessagingInfo`: the phone's live BAC/PACE session the server continues.
    pub secure_messaging_info: SecureMessagingInfo,
}

/// FINISH (§3.2): the last client message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finish {
    /// `sendResult`: the client wants a RESULT message before the close.
    pub send_result: bool,
    /// base64; Android omits the key, iOS sends `null` when there is no signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_authentication_signature: Option<String>,
}

/// MONITORING (§3.2): free diagnostic text, only in diagnostic sessions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Monitoring {
    /// `message`: free text (Android sends `"Step: <STEP_NAME>"` per reader step).
    pub message: String,
}

/// A client → server text frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type")]
pub enum ClientMessage {
    /// `START`: opens the session.
    #[serde(rename = "START")]
    Start(Start),
    /// `CA_HANDOVER`: hands the phone's secure messaging session to the server for CA.
    #[serde(rename = "CA_HANDOVER")]
    CaHandover(CaHandover),
    /// `FINISH`: all files sent; carries the Active Authentication signature.
    #[serde(rename = "FINISH")]
    Finish(Finish),
    /// `MONITORING`: diagnostic text.
    #[serde(rename = "MONITORING")]
    Monitoring(Monitoring),
}

fn typed(text: &str, max_bytes: usize) -> Result<(String, serde_json::Value), MessageError> {
    if text.len() > max_bytes {
        return Err(MessageError::TooLong(text.len()));
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|_| MessageError::NotTyped)?;
    let ty = value
        .get("type")
        .and_then(|t| t.as_str())
        .ok_or(MessageError::NotTyped)?
        .to_owned();
    Ok((ty, value))
}

fn fields<T: serde::de::DeserializeOwned>(kind: &'static str, value: serde_json::Value) -> Result<T, MessageError> {
    serde_json::from_value(value).map_err(|e| MessageError::Malformed {
        kind,
        // serde's message names the member, never its value.
        why: e.to_string(),
    })
}

impl ClientMessage {
    /// Parses a client text frame. Type names are case-sensitive; a server-only type is
    /// [`MessageError::UnknownType`] here.
    pub fn parse(text: &str) -> Result<Self, MessageError> {
        let (ty, value) = typed(text, MAX_TEXT_BYTES)?;
        Ok(match ty.as_str() {
            "START" => ClientMessage::Start(fields("START", value)?),
            "CA_HANDOVER" => ClientMessage::CaHandover(fields("CA_HANDOVER", value)?),
            "FINISH" => ClientMessage::Finish(fields("FINISH", value)?),
            "MONITORING" => ClientMessage::Monitoring(fields("MONITORING", value)?),
            _ => return Err(MessageError::UnknownType),
        })
    }

    /// The message as a JSON text frame (the phone's side).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// `checkResult` of CA_HANDBACK.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CheckResult {
    /// `"SUCCESS"`: Chip Authentication succeeded (the chip answered under the new keys).
    Success,
    /// `"FAILED"`: Chip Authentication was attempted and failed.
    Failed,
    /// `"UNAVAILABLE"`: no Chip Authentication (no DG14 or no usable CA key).
    Unavailable,
}

/// ACCEPT (§3.3): the reply to START, always with an 8-byte challenge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Accept {
    /// Standard base64 with padding.
    pub active_authentication_challenge: String,
}

/// CA_HANDBACK (§3.3): ends the relay; the phone continues with these keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaHandback {
    /// `checkResult`: the outcome of Chip Authentication.
    pub check_result: CheckResult,
    /// `secureMessagingInfo`: the session the phone continues with (the new CA keys and the
    /// SSC after the server's last exchange); required by Android.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secure_messaging_info: Option<SecureMessagingInfo>,
    /// base64 of the DG1 the server read (iOS reuses it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dg1_data: Option<String>,
    /// `errorMessage`: why CA failed (read by iOS only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

/// RESULT (§3.3): the camelCase passport (§6.2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultMessage {
    /// `passport`: the verification result object with camelCase keys.
    pub passport: serde_json::Value,
}

/// CLOSE (§3.3): code and reason, both keys always present.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Close {
    /// `code`: the WebSocket close code that follows (1000, 1001, 1008, 1011, 4401, 4403).
    pub code: u16,
    /// `reason`: the reason phrase ([`crate::CloseReason::phrase`]), `""` for a normal close.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A server → client text frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ServerMessage {
    /// `ACCEPT`: START accepted; carries the Active Authentication challenge.
    #[serde(rename = "ACCEPT")]
    Accept(Accept),
    /// `CA_HANDBACK`: the relay is over; the phone continues with the given session.
    #[serde(rename = "CA_HANDBACK")]
    CaHandback(CaHandback),
    /// `RESULT`: the verification result, when FINISH asked for it.
    #[serde(rename = "RESULT")]
    Result(ResultMessage),
    /// `CLOSE`: the close code and reason, sent just before the close frame.
    #[serde(rename = "CLOSE")]
    Close(Close),
}

impl ServerMessage {
    /// Parses a server text frame (the phone's side).
    pub fn parse(text: &str) -> Result<Self, MessageError> {
        // RESULT with photos is large: the phone takes any size its socket took.
        let (ty, value) = typed(text, usize::MAX)?;
        Ok(match ty.as_str() {
            "ACCEPT" => ServerMessage::Accept(fields("ACCEPT", value)?),
            "CA_HANDBACK" => ServerMessage::CaHandback(fields("CA_HANDBACK", value)?),
            "RESULT" => ServerMessage::Result(fields("RESULT", value)?),
            "CLOSE" => ServerMessage::Close(fields("CLOSE", value)?),
            _ => return Err(MessageError::UnknownType),
        })
    }

    /// The message as a JSON text frame (the server's side).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// ACCEPT with `challenge`.
    pub fn accept(challenge: &[u8]) -> Self {
        ServerMessage::Accept(Accept {
            active_authentication_challenge: b64().encode(challenge),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_notes_examples_parse() {
        let android = r#"{"type":"START","validationId":"5b0d7a8e-1f7c-4c55-9a55-0a3c1e0f2d11","clientId":"example_client","platform":"android","nfcAdapterSupportsExtendedLength":false,"enableDiagnostics":false}"#;
        let ClientMessage::Start(s) = ClientMessage::parse(android).unwrap() else {
            panic!()
        };
        assert_eq!(s.client_id, "example_client");
        assert_eq!(s.platform_category(), "android");
        let handover = r#"{"type":"CA_HANDOVER","maxTransceiveLengthForSecureMessaging":261,"maxBlockSize":223,
 "secureMessagingInfo":{"algorithm":"AES","encKey":"ABEiM0RVZneImaq7zN3u/w==","macKey":"/+7dzLuqmYh3ZlVEMyIRAA==","ssc":12}}"#;
        let ClientMessage::CaHandover(h) = ClientMessage::parse(handover).unwrap() else {
            panic!()
        };
        assert_eq!(h.max_block_size, 223);
        let sm = h.secure_messaging_info.to_session().unwrap();
        assert_eq!(sm.suite(), CipherSuite::Aes128);
        assert_eq!(sm.ssc(), &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12]);
        assert_eq!(SecureMessagingInfo::from_session(&sm).unwrap(), h.secure_messaging_info);
        for finish in [
            r#"{"type":"FINISH","sendResult":true,"activeAuthenticationSignature":"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="}"#,
            r#"{"type":"FINISH","sendResult":false}"#,
            r#"{"type":"FINISH","sendResult":true,"activeAuthenticationSignature":null}"#,
        ] {
            assert!(matches!(
                ClientMessage::parse(finish).unwrap(),
                ClientMessage::Finish(_)
            ));
        }
        let handback = r#"{"type":"CA_HANDBACK","checkResult":"SUCCESS",
 "secureMessagingInfo":{"algorithm":"AES","encKey":"Dx4tPEtaaXiHlqW0w9Lh8A==","macKey":"8OHSw7Sllod4aVpLPC0eDw==","ssc":2},
 "dg1Data":"YVtfH1hQPFVUT0VSSUtTU09OPDxBTk5BPE1BUklBPDw8PDw8PDw8PDw8PDw8PDw8PEw4OTg5MDJDMzZVVE83NDA4MTIyRjEyMDQxNTlaRTE4NDIyNkI8PDw8PDEw"}"#;
        assert!(matches!(
            ServerMessage::parse(handback).unwrap(),
            ServerMessage::CaHandback(_)
        ));
    }

    #[test]
    fn types_are_case_sensitive_and_server_types_are_not_client_messages() {
        assert_eq!(
            ClientMessage::parse(r#"{"type":"start"}"#),
            Err(MessageError::UnknownType)
        );
        assert_eq!(
            ClientMessage::parse(r#"{"type":"ACCEPT","activeAuthenticationChallenge":"AA=="}"#),
            Err(MessageError::UnknownType)
        );
        assert_eq!(
            ClientMessage::parse(r#"{"client_id":"x"}"#),
            Err(MessageError::NotTyped)
        );
        assert_eq!(ClientMessage::parse("[1]"), Err(MessageError::NotTyped));
        assert!(matches!(
            ClientMessage::parse(r#"{"type":"START","clientId":5}"#),
            Err(MessageError::Malformed { kind: "START", .. })
        ));
        assert!(matches!(
            ClientMessage::parse(&"x".repeat(MAX_TEXT_BYTES + 1)),
            Err(MessageError::TooLong(_))
        ));
    }

    #[test]
    fn ssc_is_read_signed_or_unsigned_and_written_signed() {
        let info = |ssc: &str| {
            format!(
                r#"{{"algorithm":"DESede","encKey":"AAECAwQFBgcICQoLDA0ODwABAgMEBQYH","macKey":"AAECAwQFBgcICQoLDA0ODwABAgMEBQYH","ssc":{ssc}}}"#
            )
        };
        let neg: SecureMessagingInfo = serde_json::from_str(&info("-2")).unwrap();
        let big: SecureMessagingInfo = serde_json::from_str(&info("18446744073709551614")).unwrap();
        assert_eq!(neg.ssc, big.ssc);
        let sm = neg.to_session().unwrap();
        assert_eq!(sm.suite(), CipherSuite::Tdes);
        assert_eq!(sm.ssc(), &[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]);
        assert_eq!(sm.ks_enc().len(), 16);
        let back = SecureMessagingInfo::from_session(&sm).unwrap();
        assert!(serde_json::to_string(&back).unwrap().contains(r#""ssc":-2"#));
        assert_eq!(
            back.enc_key, neg.enc_key,
            "24-byte DESede keys are written back as K1‖K2‖K1"
        );
    }

    #[test]
    fn unusable_sessions_are_refused() {
        let mk = |alg: &str, k: &str| SecureMessagingInfo {
            algorithm: alg.into(),
            enc_key: k.into(),
            mac_key: k.into(),
            ssc: Ssc(0),
        };
        assert_eq!(
            mk("RC4", "AAECAwQFBgcICQoLDA0ODw==").to_session().err(),
            Some(SmInfoError::Algorithm)
        );
        assert_eq!(
            mk("AES", "AAECAw==").to_session().err(),
            Some(SmInfoError::KeyLength(4))
        );
        assert_eq!(mk("AES", "***").to_session().err(), Some(SmInfoError::KeyEncoding));
        // 24-byte DESede whose third key is not the first: three-key 3DES, not what eMRTDs use.
        assert_eq!(
            mk("DESede", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYX").to_session().err(),
            Some(SmInfoError::KeyLength(24))
        );
        assert!(mk("aes", "AAECAwQFBgcICQoLDA0ODw==").to_session().is_ok());
        assert!(mk("3DES", "AAECAwQFBgcICQoLDA0ODw==").to_session().is_ok());
    }
}
