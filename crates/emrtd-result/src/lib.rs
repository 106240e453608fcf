//! The `emrtd_passport` result of a DocVal session.
//!
//! Field names, `null` versus absent, date formats and base64 encoding follow the vendor's
//! result model (`emrtd_result.html`) exactly, so phone SDKs and result servers written against
//! the vendor's server read it unchanged:
//!
//! * every field of the object is always present; optional content is `null`
//!   (`files_binary` is the one exception: present only when enabled);
//! * dates are `yyMMdd` in `mrz_info`, `yyyyMMdd` in DG11/DG12 details;
//! * images and hashes are standard base64 with padding and no line breaks.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod v2;

use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Standard base64 with padding, no line breaks.
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Outcome of chip or active authentication.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthResult {
    Success,
    Failed,
    /// The chip does not offer the protocol.
    Unavailable,
}

/// `sod_info`: the hash algorithm and the hashes stored in the SOD.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SodInfo {
    /// JCA-style name: `SHA-1`, `SHA-224`, `SHA-256`, `SHA-384`, `SHA-512`.
    pub hash_algorithm: String,
    /// DG number as a decimal string → base64 hash.
    pub hash_for_data_group: BTreeMap<String, String>,
}

/// `mrz_info`, from DG1.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MrzInfo {
    /// `TD1`, `TD2` or `TD3`.
    pub document_type: String,
    pub document_code: String,
    pub issuing_state: String,
    pub primary_identifier: String,
    pub secondary_identifier: Vec<String>,
    pub nationality: String,
    pub document_number: String,
    /// `yyMMdd`.
    pub date_of_birth: String,
    /// `MALE`, `FEMALE` or `UNSPECIFIED`.
    pub gender: String,
    /// `yyMMdd`.
    pub date_of_expiry: String,
    /// `""` when blank.
    pub optional_data1: String,
    /// `null` for TD3.
    pub optional_data2: Option<String>,
}

/// `additional_personal_details`, from DG11. Every field is nullable.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdditionalPersonalDetails {
    pub full_name_of_holder: Option<String>,
    pub other_names: Option<Vec<String>>,
    pub personal_number: Option<String>,
    /// `yyyyMMdd`.
    pub full_date_of_birth: Option<String>,
    pub place_of_birth: Option<String>,
    pub permanent_address: Option<Vec<String>>,
    pub telephone: Option<String>,
    pub profession: Option<String>,
    pub title: Option<String>,
    pub personal_summary: Option<String>,
    /// base64.
    pub proof_of_citizenship_image: Option<String>,
    pub other_valid_travel_document_numbers: Option<Vec<String>>,
    pub custody_information: Option<String>,
}

/// `additional_document_details`, from DG12. Every field is nullable.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdditionalDocumentDetails {
    pub issuing_authority: Option<String>,
    /// `yyyyMMdd`.
    pub date_of_issue: Option<String>,
    pub names_of_other_persons: Option<String>,
    pub endorsements_and_observations: Option<String>,
    pub tax_or_exit_requirements: Option<String>,
    /// base64.
    pub image_of_front: Option<String>,
    /// base64.
    pub image_of_rear: Option<String>,
    pub date_and_time_of_personalization: Option<String>,
    pub personalization_system_serial_number: Option<String>,
}

/// `passive_authentication_details`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassiveAuthenticationDetails {
    pub sod_signature_valid: bool,
    pub document_certificate_valid: bool,
    pub data_groups_checked: Vec<u8>,
    pub data_groups_with_valid_hash: Vec<u8>,
    pub error: Option<String>,
    pub all_hashes_valid: bool,
}

/// The `emrtd_passport` object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmrtdPassport {
    pub sod_info: Option<SodInfo>,
    pub mrz_info: Option<MrzInfo>,
    /// base64 JPEG.
    pub face_photo: Option<String>,
    /// base64 images (DG7), or null.
    pub signature_photos: Option<Vec<String>>,
    pub additional_personal_details: Option<AdditionalPersonalDetails>,
    pub additional_document_details: Option<AdditionalDocumentDetails>,
    pub passive_authentication: bool,
    pub passive_authentication_details: Option<PassiveAuthenticationDetails>,
    pub chip_authentication_result: AuthResult,
    pub active_authentication_result: AuthResult,
    /// Always present, `[]` when none.
    pub errors: Vec<String>,
    /// Raw files (name → base64), only when enabled in the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files_binary: Option<BTreeMap<String, String>>,
}

impl Default for EmrtdPassport {
    fn default() -> Self {
        EmrtdPassport {
            sod_info: None,
            mrz_info: None,
            face_photo: None,
            signature_photos: None,
            additional_personal_details: None,
            additional_document_details: None,
            passive_authentication: false,
            passive_authentication_details: None,
            chip_authentication_result: AuthResult::Unavailable,
            active_authentication_result: AuthResult::Unavailable,
            errors: Vec::new(),
            files_binary: None,
        }
    }
}

/// The body POSTed to a result server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultPost {
    pub emrtd_passport: EmrtdPassport,
    pub client_validation_id: String,
}

/// The text frame sent to the phone when `return_result=true`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultFrame {
    pub emrtd_passport: EmrtdPassport,
}

/// A JSON value's shape: the key set and JSON type at every path, for comparing a result with
/// the reference example without comparing values.
pub fn json_shape(value: &serde_json::Value) -> BTreeMap<String, &'static str> {
    fn walk(v: &serde_json::Value, path: String, out: &mut BTreeMap<String, &'static str>) {
        let kind = match v {
            serde_json::Value::Null => "null",
            serde_json::Value::Bool(_) => "bool",
            serde_json::Value::Number(_) => "number",
            serde_json::Value::String(_) => "string",
            serde_json::Value::Array(_) => "array",
            serde_json::Value::Object(_) => "object",
        };
        out.insert(path.clone(), kind);
        match v {
            serde_json::Value::Object(map) => {
                for (k, child) in map {
                    // Data-group numbers are data, not schema.
                    let key = if k.chars().all(|c| c.is_ascii_digit()) {
                        "<n>"
                    } else {
                        k.as_str()
                    };
                    walk(child, format!("{path}/{key}"), out);
                }
            }
            serde_json::Value::Array(items) => {
                for child in items {
                    walk(child, format!("{path}[]"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    walk(value, String::new(), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../../fixtures/reference/emrtd-result-example.json");

    #[test]
    fn vendor_example_round_trips_unchanged() {
        let parsed: ResultFrame = serde_json::from_str(EXAMPLE).unwrap();
        let m = parsed.emrtd_passport.mrz_info.as_ref().unwrap();
        assert_eq!(m.document_type, "TD3");
        assert_eq!(m.secondary_identifier, vec!["PETER".to_string()]);
        assert_eq!(m.optional_data2, None);
        assert_eq!(
            parsed.emrtd_passport.chip_authentication_result,
            AuthResult::Unavailable
        );
        let details = parsed.emrtd_passport.passive_authentication_details.as_ref().unwrap();
        assert_eq!(details.data_groups_checked, vec![1, 2, 7, 11, 12, 14, 15]);
        // Re-serialising gives the same JSON value (same keys, nulls, types and values).
        let original: serde_json::Value = serde_json::from_str(EXAMPLE).unwrap();
        let again = serde_json::to_value(&parsed).unwrap();
        assert_eq!(again, original);
    }

    #[test]
    fn default_result_has_every_key_with_nulls() {
        let v = serde_json::to_value(EmrtdPassport::default()).unwrap();
        let obj = v.as_object().unwrap();
        let keys: Vec<&str> = obj.keys().map(|k| k.as_str()).collect();
        assert_eq!(
            keys,
            vec![
                "active_authentication_result",
                "additional_document_details",
                "additional_personal_details",
                "chip_authentication_result",
                "errors",
                "face_photo",
                "mrz_info",
                "passive_authentication",
                "passive_authentication_details",
                "signature_photos",
                "sod_info",
            ]
        );
        assert_eq!(obj["errors"], serde_json::json!([]));
        assert_eq!(obj["face_photo"], serde_json::Value::Null);
        assert_eq!(obj["chip_authentication_result"], "UNAVAILABLE");
    }

    #[test]
    fn files_binary_only_when_enabled() {
        let p = EmrtdPassport {
            files_binary: Some(BTreeMap::from([("DG1".to_string(), b64(&[0x61, 0x5B]))])),
            ..EmrtdPassport::default()
        };
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["files_binary"]["DG1"], "YVs=");
    }

    #[test]
    fn base64_has_no_line_breaks() {
        let s = b64(&vec![0xAB; 5000]);
        assert!(!s.contains('\n'));
        assert!(s.ends_with('='));
    }

    #[test]
    fn shape_ignores_values_but_not_types() {
        let a: serde_json::Value = serde_json::from_str(EXAMPLE).unwrap();
        let mut b = a.clone();
        b["emrtd_passport"]["mrz_info"]["primary_identifier"] = "SMITH".into();
        assert_eq!(json_shape(&a), json_shape(&b));
        b["emrtd_passport"]["face_photo"] = serde_json::Value::Null;
        assert_ne!(json_shape(&a), json_shape(&b));
    }
}
