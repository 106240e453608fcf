//! The DocVal WebSocket protocol: the StartMessage, status frames and close reasons.

use emrtd_access::MrzKey;
use emrtd_reader::AccessKey;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

pub use docval_protocol::CloseReason;

/// The access key of the StartMessage, as sent (wiped on drop).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
#[serde(untagged)]
pub enum AccessKeyMessage {
    Can {
        can: String,
    },
    Mrz {
        document_number: String,
        date_of_birth: String,
        date_of_expiry: String,
    },
}

/// The StartMessage: keys and types exactly as the vendor's SDKs send them; anything else is
/// refused. Its strings (the access key above all) are wiped on drop.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StartMessage {
    pub client_id: String,
    pub validation_id: String,
    pub access_key: serde_json::Value,
    pub nfc_adapter_supports_extended_length: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_command_bytes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_response_bytes: Option<u32>,
    pub platform: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_diagnostics: Option<bool>,
}

impl Drop for StartMessage {
    fn drop(&mut self) {
        self.client_id.zeroize();
        self.validation_id.zeroize();
        self.platform.zeroize();
        zeroize_json(&mut self.access_key);
    }
}

/// Wipes every string of a JSON value in place.
fn zeroize_json(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) => s.zeroize(),
        serde_json::Value::Array(a) => a.iter_mut().for_each(zeroize_json),
        serde_json::Value::Object(o) => o.values_mut().for_each(zeroize_json),
        serde_json::Value::Null | serde_json::Value::Bool(_) | serde_json::Value::Number(_) => {}
    }
}

/// Largest StartMessage accepted.
pub const MAX_START_MESSAGE_BYTES: usize = 4096;

impl StartMessage {
    /// Parses the StartMessage text frame. Errors map to INVALID_START_MESSAGE.
    pub fn parse(text: &str) -> Result<StartMessage, CloseReason> {
        if text.len() > MAX_START_MESSAGE_BYTES {
            return Err(CloseReason::InvalidStartMessage);
        }
        let msg: StartMessage = serde_json::from_str(text).map_err(|_| CloseReason::InvalidStartMessage)?;
        // The access key must be one of the two documented shapes, with no other keys.
        let obj = msg.access_key.as_object().ok_or(CloseReason::InvalidStartMessage)?;
        let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        let shape_ok = keys == ["can"] || {
            let mut k = keys.clone();
            k.sort_unstable();
            k == ["date_of_birth", "date_of_expiry", "document_number"]
        };
        if !shape_ok || obj.values().any(|v| !v.is_string()) {
            return Err(CloseReason::InvalidStartMessage);
        }
        if msg.validation_id.len() > 256 || msg.client_id.len() > 256 || msg.platform.len() > 32 {
            return Err(CloseReason::InvalidStartMessage);
        }
        Ok(msg)
    }

    /// Validates the access key values (INVALID_ACCESS_KEY_VALUES): a CAN is 6 digits; a
    /// document number has at least 8 characters; dates are `yyMMdd`.
    pub fn access_key(&self) -> Result<AccessKey, CloseReason> {
        // Read in place: no copy of the key values is made besides the wiped ones.
        let field = |name: &str| self.access_key.get(name).and_then(serde_json::Value::as_str);
        if let Some(can) = field("can") {
            return if can.len() == 6 && can.bytes().all(|b| b.is_ascii_digit()) {
                Ok(AccessKey::Can(Zeroizing::new(can.to_owned())))
            } else {
                Err(CloseReason::InvalidAccessKeyValues)
            };
        }
        let (Some(document_number), Some(date_of_birth), Some(date_of_expiry)) = (
            field("document_number"),
            field("date_of_birth"),
            field("date_of_expiry"),
        ) else {
            return Err(CloseReason::InvalidStartMessage);
        };
        let doc = document_number.trim_end_matches('<');
        if doc.len() < 8 || !valid_yymmdd(date_of_birth) || !valid_yymmdd(date_of_expiry) {
            return Err(CloseReason::InvalidAccessKeyValues);
        }
        MrzKey::new(doc, date_of_birth, date_of_expiry)
            .map(AccessKey::Mrz)
            .map_err(|_| CloseReason::InvalidAccessKeyValues)
    }

    /// The platform as a fixed category for logs and metrics (`android`, `ios` or `other`):
    /// the field is client text.
    pub fn platform_category(&self) -> &'static str {
        match self.platform.as_str() {
            "android" => "android",
            "ios" => "ios",
            _ => "other",
        }
    }
}

fn valid_yymmdd(s: &str) -> bool {
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let month: u32 = s.get(2..4).and_then(|m| m.parse().ok()).unwrap_or(0);
    let day: u32 = s.get(4..6).and_then(|d| d.parse().ok()).unwrap_or(0);
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

/// A status text frame.
pub fn status_frame(status: &str) -> String {
    format!("{{\"status\":\"{status}\"}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANDROID: &str = r#"{"client_id":"YOUR CLIENT ID","validation_id":"cf847daa-a548-4509-bdeb-4edd51aee448","access_key":{"can":"153036"},"nfc_adapter_supports_extended_length":false,"platform":"android"}"#;
    const IOS_MRZ: &str = r#"{"client_id":"YOUR CLIENT ID","validation_id":"cf847daa-a548-4509-bdeb-4edd51aee448","access_key":{"document_number":"123465789","date_of_birth":"970825","date_of_expiry":"251008"},"nfc_adapter_supports_extended_length":true,"max_command_bytes":1024,"max_response_bytes":1024,"platform":"ios"}"#;

    #[test]
    fn documented_start_messages_parse() {
        let a = StartMessage::parse(ANDROID).unwrap();
        assert!(matches!(a.access_key().unwrap(), AccessKey::Can(_)));
        assert_eq!(a.max_command_bytes, None);
        let i = StartMessage::parse(IOS_MRZ).unwrap();
        assert_eq!(i.max_response_bytes, Some(1024));
        assert!(matches!(i.access_key().unwrap(), AccessKey::Mrz(_)));
        let with_diag = ANDROID.replace("\"platform\"", "\"enable_diagnostics\":true,\"platform\"");
        assert_eq!(StartMessage::parse(&with_diag).unwrap().enable_diagnostics, Some(true));
    }

    #[test]
    fn invalid_start_messages() {
        for bad in [
            "not json",
            "{}",
            &ANDROID.replace("\"platform\"", "\"extra\":1,\"platform\""),
            &ANDROID.replace("false", "\"false\""),
            &ANDROID.replace("{\"can\":\"153036\"}", "{\"can\":153036}"),
            &ANDROID.replace("{\"can\":\"153036\"}", "{\"can\":\"153036\",\"pin\":\"1\"}"),
            &ANDROID.replace("{\"can\":\"153036\"}", "\"153036\""),
            &IOS_MRZ.replace("1024,\"max_response", "\"1024\",\"max_response"),
            &" ".repeat(5000),
        ] {
            assert_eq!(StartMessage::parse(bad), Err(CloseReason::InvalidStartMessage), "{bad}");
        }
    }

    #[test]
    fn invalid_access_key_values() {
        for (from, to) in [("153036", "15303"), ("153036", "15303A"), ("153036", "1530361")] {
            let m = StartMessage::parse(&ANDROID.replace(from, to)).unwrap();
            assert!(
                matches!(m.access_key(), Err(CloseReason::InvalidAccessKeyValues)),
                "{to}"
            );
        }
        for (from, to) in [("123465789", "1234567"), ("970825", "971325"), ("251008", "25108")] {
            let m = StartMessage::parse(&IOS_MRZ.replace(from, to)).unwrap();
            assert!(
                matches!(m.access_key(), Err(CloseReason::InvalidAccessKeyValues)),
                "{to}"
            );
        }
    }

    #[test]
    fn start_message_strings_are_wiped() {
        let mut v: serde_json::Value =
            serde_json::from_str(r#"{"can":"153036","n":[{"x":"MRZ"}],"b":true,"k":1}"#).unwrap();
        zeroize_json(&mut v);
        assert_eq!(v, serde_json::json!({"can":"","n":[{"x":""}],"b":true,"k":1}));
    }

    #[test]
    fn close_codes_and_frames() {
        assert_eq!(CloseReason::Done.text_frame(), "{\"close_code\":1000}");
        assert_eq!(
            CloseReason::PostToResultServerFailed.text_frame(),
            "{\"close_code\":1011,\"close_reason\":\"POST_TO_RESULT_SERVER_FAILED\"}"
        );
        assert_eq!(CloseReason::InvalidClientId.code(), 4401);
        assert_eq!(CloseReason::AccessControlFailed.code(), 4403);
        assert_eq!(CloseReason::TimeoutWhileWaitingForStartMessage.code(), 1001);
        assert_eq!(CloseReason::InvalidAccessKeyValues.code(), 1008);
        for r in CloseReason::ALL {
            let v: serde_json::Value = serde_json::from_str(&r.text_frame()).unwrap();
            assert_eq!(v["close_code"], r.code());
        }
        assert_eq!(status_frame("READ_DG1"), "{\"status\":\"READ_DG1\"}");
    }
}
