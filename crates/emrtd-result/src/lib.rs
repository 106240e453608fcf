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
//!
//! The content comes from the LDS (Doc 9303-10): `mrz_info` from DG1 (§4.7.1), the face from
//! DG2, `signature_photos` from DG7, the details of DG11 and DG12 (§4.7.11, §4.7.12) and
//! `sod_info` from EF.SOD (§4.6.2); the verdicts are passive authentication (Doc 9303-11 §5.1),
//! active authentication (§6.1) and chip authentication (§6.2, BSI TR-03110-1). [`v2`] gives the
//! camelCase form DocVal v2 sends to the phone.
//!
//! ```
//! use emrtd_result::{AuthResult, EmrtdPassport, ResultFrame, v2};
//!
//! let passport = EmrtdPassport {
//!     active_authentication_result: AuthResult::Success,
//!     errors: vec!["DG11 is listed in EF.SOD but the chip does not have it".into()],
//!     ..EmrtdPassport::default()
//! };
//! let frame = ResultFrame { emrtd_passport: passport };
//! let json = serde_json::to_value(&frame)?;
//! // Every key is present; content that was not read is `null`.
//! assert!(json["emrtd_passport"]["mrz_info"].is_null());
//! assert_eq!(json["emrtd_passport"]["active_authentication_result"], "SUCCESS");
//! assert_eq!(serde_json::from_value::<ResultFrame>(json)?, frame);
//! // The v2 form: camelCase keys, `null` members left out.
//! let phone = v2::to_v2_passport(&frame.emrtd_passport);
//! assert_eq!(phone["chipAuthenticationResult"], "UNAVAILABLE");
//! assert!(phone.get("mrzInfo").is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
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
    /// The chip proved it holds the private key of DG14/DG15 (`SUCCESS`); for chip
    /// authentication only once it answered under the new session keys.
    Success,
    /// The protocol failed (`FAILED`): the chip's proof did not verify, it stopped answering under
    /// the new keys, or its announced DG14/DG15 key was missing or unusable; a possible clone.
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
    /// Document code of the MRZ, fillers removed: `P` or `PP` for passports, `I`, `ID`, `A`, `C`
    /// for official travel documents such as identity cards (Doc 9303-4, -5, -6).
    pub document_code: String,
    /// Issuing state or organisation: ICAO three-letter code (`D`, `UTO`), fillers removed
    /// (Doc 9303-3 §5).
    pub issuing_state: String,
    /// Primary identifier (surname) as in the MRZ, fillers replaced by spaces.
    pub primary_identifier: String,
    /// Secondary identifiers (given names), one entry per name.
    pub secondary_identifier: Vec<String>,
    /// Nationality: ICAO three-letter code, fillers removed (Doc 9303-3 §5).
    pub nationality: String,
    /// Document number as in the MRZ (9 characters for TD3, with `<` fillers).
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
    /// Full name from DG11 tag 5F0E, shown as `GIVEN NAMES SURNAME` (`PARKER<<PETER` → `PETER
    /// PARKER`).
    pub full_name_of_holder: Option<String>,
    /// Other names (tag 5F0F), each shown like `full_name_of_holder`.
    pub other_names: Option<Vec<String>>,
    /// Personal number (tag 5F10).
    pub personal_number: Option<String>,
    /// `yyyyMMdd`.
    pub full_date_of_birth: Option<String>,
    /// Place of birth (tag 5F11), fillers replaced by spaces.
    pub place_of_birth: Option<String>,
    /// Permanent address (tag 5F42), one entry per `<`-separated line.
    pub permanent_address: Option<Vec<String>>,
    /// Telephone (tag 5F12).
    pub telephone: Option<String>,
    /// Profession (tag 5F13).
    pub profession: Option<String>,
    /// Title (tag 5F14).
    pub title: Option<String>,
    /// Personal summary (tag 5F15).
    pub personal_summary: Option<String>,
    /// base64.
    pub proof_of_citizenship_image: Option<String>,
    /// Other valid travel document numbers (tag 5F17), one entry per number.
    pub other_valid_travel_document_numbers: Option<Vec<String>>,
    /// Custody information (tag 5F18).
    pub custody_information: Option<String>,
}

/// `additional_document_details`, from DG12. Every field is nullable.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdditionalDocumentDetails {
    /// Issuing authority (DG12 tag 5F19).
    pub issuing_authority: Option<String>,
    /// `yyyyMMdd`.
    pub date_of_issue: Option<String>,
    /// Names of other persons (tag 5F1A).
    pub names_of_other_persons: Option<String>,
    /// Endorsements and observations (tag 5F1B).
    pub endorsements_and_observations: Option<String>,
    /// Tax or exit requirements (tag 5F1C).
    pub tax_or_exit_requirements: Option<String>,
    /// base64.
    pub image_of_front: Option<String>,
    /// base64.
    pub image_of_rear: Option<String>,
    /// Date and time of personalization (tag 5F55), `yyyyMMddHHmmss`.
    pub date_and_time_of_personalization: Option<String>,
    /// Serial number of the personalization system (tag 5F56).
    pub personalization_system_serial_number: Option<String>,
}

/// `passive_authentication_details`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassiveAuthenticationDetails {
    /// Whether the SOD's CMS signature verifies with the Document Signer key (Doc 9303-11 §5.1).
    pub sod_signature_valid: bool,
    /// Whether the Document Signer certificate chains to a trusted CSCA and is valid (Doc 9303-12).
    pub document_certificate_valid: bool,
    /// Data groups whose hash was compared with the SOD's.
    pub data_groups_checked: Vec<u8>,
    /// Data groups whose hash matched the SOD's.
    pub data_groups_with_valid_hash: Vec<u8>,
    /// Why passive authentication could not be carried out (unparsable EF.SOD, bad DS certificate);
    /// `null` otherwise.
    pub error: Option<String>,
    /// Whether data groups were checked and every checked hash matched.
    pub all_hashes_valid: bool,
}

/// The `emrtd_passport` object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmrtdPassport {
    /// `sod_info`: the hash algorithm and data-group hashes of EF.SOD; `null` when EF.SOD was not
    /// read.
    pub sod_info: Option<SodInfo>,
    /// `mrz_info`: the MRZ of DG1; `null` when DG1 was not read or could not be parsed.
    pub mrz_info: Option<MrzInfo>,
    /// base64 JPEG.
    pub face_photo: Option<String>,
    /// base64 images (DG7), or null.
    pub signature_photos: Option<Vec<String>>,
    /// `additional_personal_details` from DG11; `null` when DG11 was not read (the chip has none)
    /// or could not be parsed.
    pub additional_personal_details: Option<AdditionalPersonalDetails>,
    /// `additional_document_details` from DG12; `null` when DG12 was not read (the chip has none)
    /// or could not be parsed.
    pub additional_document_details: Option<AdditionalDocumentDetails>,
    /// Passive authentication verified: SOD signature, certificate chain and every data-group hash.
    pub passive_authentication: bool,
    /// Details of passive authentication; `null` when it did not run (no EF.SOD).
    pub passive_authentication_details: Option<PassiveAuthenticationDetails>,
    /// Chip authentication (Doc 9303-11 §6.2, BSI TR-03110-1) or PACE-CAM.
    pub chip_authentication_result: AuthResult,
    /// Active authentication (Doc 9303-11 §6.1).
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
    /// The result of the session.
    pub emrtd_passport: EmrtdPassport,
    /// The id the phone gave in its start message, so the result server can match the result to its
    /// session.
    pub client_validation_id: String,
}

/// The text frame sent to the phone when `return_result=true`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultFrame {
    /// The result of the session.
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
