//! Validation of API request bodies into typed values with the documented error codes.

use crate::error::ApiError;
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Longest accepted `vendorData`.
pub const MAX_VENDOR_DATA_CHARS: usize = 40;
/// Longest accepted base64 image content (24 MB).
pub const MAX_MEDIA_BASE64_BYTES: usize = 24 * 1024 * 1024;
/// Document types of the API.
pub const DOCUMENT_TYPES: [&str; 4] = ["PASSPORT", "ID_CARD", "DRIVERS_LICENSE", "RESIDENCE_PERMIT"];
/// Features the gateway supports.
pub const FEATURES: [&str; 1] = ["selfid"];

/// `verification.person` as supplied by the integration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonInput {
    /// Given names; blank counts as not supplied.
    pub first_name: Option<String>,
    /// Surname; blank counts as not supplied.
    pub last_name: Option<String>,
    /// Personal identification number; compared ignoring separators.
    pub id_number: Option<String>,
    /// Sex as sent (`M`, `F`); kept but not compared with the chip.
    pub gender: Option<String>,
    /// `YYYY-MM-DD`.
    pub date_of_birth: Option<String>,
}

/// `verification.document` as supplied by the integration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentInput {
    /// Document number, separators (space, `-`, `/`, `.`) removed and upper-cased; A-Z, 0-9 only.
    pub number: Option<String>,
    /// One of [`DOCUMENT_TYPES`].
    #[serde(rename = "type")]
    pub doc_type: Option<String>,
    /// ISO 3166 alpha-2.
    pub country: Option<String>,
}

/// A validated `POST /v1/sessions` body.
#[derive(Clone, Debug, PartialEq)]
pub struct CreateSession {
    /// URL the person is sent to at the end: HTTPS (or loopback HTTP when allowed).
    pub callback: Option<String>,
    /// `verification.person`; all fields `None` when absent.
    pub person: PersonInput,
    /// `verification.document`; all fields `None` when absent.
    pub document: DocumentInput,
    /// Opaque integration data, at most [`MAX_VENDOR_DATA_CHARS`] characters, echoed back in
    /// decisions.
    pub vendor_data: Option<String>,
    /// Preferred UI language as sent (not validated).
    pub lang: Option<String>,
    /// Requested features, each one of [`FEATURES`].
    pub features: Vec<String>,
    /// `additionalData`: a flat JSON object (no nested objects or arrays).
    pub additional_data: Option<Value>,
    /// The request `timestamp`, if any (RFC 3339, at most one hour old).
    pub timestamp: Option<DateTime<Utc>>,
}

/// Context of a validation.
#[derive(Clone, Copy, Debug)]
pub struct ValidationContext {
    /// The current time, against which request timestamps are checked.
    pub now: DateTime<Utc>,
    /// Development setting: `http://` callbacks to a loopback host are accepted.
    pub allow_http_loopback_callbacks: bool,
}

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let v: Value = serde_json::from_slice(body).map_err(|_| ApiError::InvalidParameters("body is not JSON"))?;
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError::InvalidParameters("body is not a JSON object")),
    }
}

fn take_object(m: &Map<String, Value>, key: &'static str) -> Result<Option<Map<String, Value>>, ApiError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o.clone())),
        Some(_) => Err(ApiError::InvalidParameters(key)),
    }
}

fn take_string(m: &Map<String, Value>, key: &'static str) -> Result<Option<String>, ApiError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        // NUL is not storable in PostgreSQL text and never meaningful here.
        Some(Value::String(s)) if s.contains('\0') => Err(ApiError::InvalidParameters(key)),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::InvalidParameters(key)),
    }
}

/// A string field where blank or whitespace-only counts as not supplied (`None`); other values
/// are kept as sent.
fn take_given(m: &Map<String, Value>, key: &'static str) -> Result<Option<String>, ApiError> {
    Ok(take_string(m, key)?.filter(|s| !s.trim().is_empty()))
}

/// Separators accepted inside a supplied document number (`C01 X00-T47`); they are dropped.
const NUMBER_SEPARATORS: [char; 4] = [' ', '-', '/', '.'];

/// Checks a request `timestamp`: RFC 3339 (1202), not older than one hour (1201).
pub fn check_timestamp(m: &Map<String, Value>, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(v) = m.get("timestamp") else { return Ok(None) };
    let s = match v {
        Value::Null => return Ok(None),
        Value::String(s) => s,
        _ => return Err(ApiError::TimestampFormat),
    };
    let t = DateTime::parse_from_rfc3339(s)
        .map_err(|_| ApiError::TimestampFormat)?
        .with_timezone(&Utc);
    if now.signed_duration_since(t) > chrono::Duration::hours(1) {
        return Err(ApiError::TimestampTooOld);
    }
    Ok(Some(t))
}

/// Whether `url` is an HTTPS URL, or (when allowed) an HTTP URL to a loopback host.
pub fn callback_allowed(url: &str, allow_http_loopback: bool) -> bool {
    let lower = url.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("https://") {
        return !rest.is_empty();
    }
    if let Some(rest) = lower.strip_prefix("http://") {
        if !allow_http_loopback {
            return false;
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = if let Some(v6) = authority.strip_prefix('[') {
            v6.split(']').next().unwrap_or("")
        } else {
            authority.rsplit_once(':').map_or(authority, |(h, _)| h)
        };
        return host == "localhost"
            || host.parse::<std::net::Ipv4Addr>().is_ok_and(|a| a.is_loopback())
            || host.parse::<std::net::Ipv6Addr>().is_ok_and(|a| a.is_loopback());
    }
    false
}

/// Validates a `POST /v1/sessions` body.
pub fn parse_create_session(body: &[u8], ctx: &ValidationContext) -> Result<CreateSession, ApiError> {
    let root = parse_object(body)?;
    let v = match root.get("verification") {
        None | Some(Value::Null) => return Err(ApiError::MissingParameters("verification")),
        Some(Value::Object(o)) => o,
        Some(_) => return Err(ApiError::InvalidParameters("verification")),
    };
    let timestamp = check_timestamp(v, ctx.now)?;
    let callback = take_string(v, "callback")?;
    if let Some(cb) = &callback
        && !callback_allowed(cb, ctx.allow_http_loopback_callbacks)
    {
        return Err(ApiError::CallbackNotHttps);
    }
    let vendor_data = match v.get("vendorData") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.chars().count() > MAX_VENDOR_DATA_CHARS => {
            return Err(ApiError::VendorDataTooLong);
        }
        Some(Value::String(s)) if s.contains('\0') => return Err(ApiError::InvalidParameters("vendorData")),
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(ApiError::VendorDataNotString),
    };
    let mut person = PersonInput::default();
    if let Some(p) = take_object(v, "person")? {
        person.first_name = take_given(&p, "firstName")?;
        person.last_name = take_given(&p, "lastName")?;
        person.id_number = take_given(&p, "idNumber")?;
        person.gender = take_given(&p, "gender")?;
        person.date_of_birth = match take_string(&p, "dateOfBirth").map_err(|_| ApiError::DateOfBirth)? {
            None => None,
            Some(s) if s.trim().is_empty() => None,
            Some(s) if NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").is_ok() => Some(s.trim().to_string()),
            Some(_) => return Err(ApiError::DateOfBirth),
        };
    }
    let mut document = DocumentInput::default();
    if let Some(d) = take_object(v, "document")? {
        document.number = match take_given(&d, "number").map_err(|_| ApiError::DocumentNumber)? {
            None => None,
            Some(n) => {
                let kept: String = n.chars().filter(|c| !NUMBER_SEPARATORS.contains(c)).collect();
                if kept.is_empty() || kept.len() > 64 || !kept.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(ApiError::DocumentNumber);
                }
                Some(kept.to_ascii_uppercase())
            }
        };
        document.doc_type = match take_given(&d, "type").map_err(|_| ApiError::DocumentType)? {
            None => None,
            Some(s) if DOCUMENT_TYPES.contains(&s.trim()) => Some(s.trim().to_string()),
            Some(_) => return Err(ApiError::DocumentType),
        };
        document.country = match take_given(&d, "country").map_err(|_| ApiError::DocumentCountry)? {
            None => None,
            Some(s) if s.trim().len() == 2 && s.trim().chars().all(|c| c.is_ascii_uppercase()) => {
                Some(s.trim().to_string())
            }
            Some(_) => return Err(ApiError::DocumentCountry),
        };
    }
    let features = match v.get("features") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => {
            let mut out = Vec::new();
            for f in a {
                match f.as_str() {
                    Some(s) if FEATURES.contains(&s) => out.push(s.to_string()),
                    _ => return Err(ApiError::FeaturesNotSupported),
                }
            }
            out
        }
        Some(_) => return Err(ApiError::FeaturesNotSupported),
    };
    let additional_data = match v.get("additionalData") {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) if o.values().all(|x| !x.is_object() && !x.is_array()) => Some(Value::Object(o.clone())),
        Some(_) => return Err(ApiError::InvalidParameters("additionalData")),
    };
    Ok(CreateSession {
        callback,
        person,
        document,
        vendor_data,
        lang: take_string(v, "lang")?,
        features,
        additional_data,
        timestamp,
    })
}

/// Validates a `PATCH /v1/sessions/{id}` body: only `status: "submitted"` is accepted.
pub fn parse_patch_session(body: &[u8], now: DateTime<Utc>) -> Result<(), ApiError> {
    let root = parse_object(body)?;
    let v = match root.get("verification") {
        None | Some(Value::Null) => return Err(ApiError::MissingParameters("verification")),
        Some(Value::Object(o)) => o,
        Some(_) => return Err(ApiError::InvalidParameters("verification")),
    };
    check_timestamp(v, now)?;
    match v.get("status") {
        None | Some(Value::Null) => Err(ApiError::MissingParameters("status")),
        Some(Value::String(s)) if s == "submitted" => Ok(()),
        Some(_) => Err(ApiError::InvalidParameters("status")),
    }
}

/// A validated media upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaUpload {
    /// `image.context`, one of [`MEDIA_CONTEXTS`].
    pub context: String,
    /// MIME type sniffed from the decoded bytes (see [`sniff_media`]), not the one the client
    /// claims.
    pub mimetype: &'static str,
    /// File extension matching `mimetype` (`jpg`, `png`, `webp`, `pdf`, `heic`, `heif`).
    pub extension: &'static str,
    /// The decoded image bytes.
    pub content: Vec<u8>,
}

/// The media type of image/document bytes from their magic number.
pub fn sniff_media(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", "jpg"))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "png"))
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP".as_slice()) {
        Some(("image/webp", "webp"))
    } else if bytes.starts_with(b"%PDF-") {
        Some(("application/pdf", "pdf"))
    } else if bytes.get(4..8) == Some(b"ftyp".as_slice()) {
        match bytes.get(8..12) {
            Some(b"heic") | Some(b"heix") | Some(b"hevc") => Some(("image/heic", "heic")),
            Some(b"mif1") | Some(b"msf1") | Some(b"heif") => Some(("image/heif", "heif")),
            _ => None,
        }
    } else {
        None
    }
}

/// The `image.context` values an upload may carry: the spec's `face`, `document-front`,
/// `document-back`, and the vendor's current names of the same captures (`-pre`: the first of
/// two images; `document-and-face`: the person holding the document). Anything else is refused
/// with 1104.
pub const MEDIA_CONTEXTS: [&str; 8] = [
    "face",
    "face-pre",
    "document-front",
    "document-front-pre",
    "document-back",
    "document-back-pre",
    "document-and-face",
    "document-and-face-pre",
];

/// Validates a `POST /v1/sessions/{id}/media` body.
pub fn parse_media_upload(body: &[u8], now: DateTime<Utc>) -> Result<MediaUpload, ApiError> {
    let root = parse_object(body)?;
    let img = match root.get("image") {
        None | Some(Value::Null) => return Err(ApiError::MissingParameters("image")),
        Some(Value::Object(o)) => o,
        Some(_) => return Err(ApiError::InvalidParameters("image")),
    };
    check_timestamp(img, now)?;
    let context = take_string(img, "context")?.ok_or(ApiError::MissingParameters("context"))?;
    if !MEDIA_CONTEXTS.contains(&context.as_str()) {
        return Err(ApiError::InvalidParameters("context"));
    }
    let content = take_string(img, "content")?.ok_or(ApiError::MissingParameters("content"))?;
    if content.len() > MAX_MEDIA_BASE64_BYTES {
        return Err(ApiError::InvalidParameters("content"));
    }
    // Accept a data URI as well as raw base64.
    let b64 = match content.split_once(";base64,") {
        Some((prefix, rest)) if prefix.starts_with("data:") => rest,
        _ => content.as_str(),
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| ApiError::InvalidParameters("content"))?;
    let (mimetype, extension) = sniff_media(&bytes).ok_or(ApiError::InvalidParameters("content"))?;
    Ok(MediaUpload {
        context,
        mimetype,
        extension,
        content: bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ValidationContext {
        ValidationContext {
            now: DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
                .map(|t| t.with_timezone(&Utc))
                .unwrap(),
            allow_http_loopback_callbacks: false,
        }
    }

    fn body(v: Value) -> Vec<u8> {
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn full_body_parses() {
        let b = body(serde_json::json!({"verification":{
            "callback":"https://example.com/cb",
            "person":{"firstName":"Erika","lastName":"Musterfrau","idNumber":"123","dateOfBirth":"1984-08-12"},
            "document":{"number":"C01X00T47","type":"PASSPORT","country":"DE"},
            "additionalData":{"a":"b"},
            "vendorData":"user-1","lang":"en","features":["selfid"],
            "timestamp":"2026-11-25T11:30:00.000Z"}}));
        let s = parse_create_session(&b, &ctx()).unwrap();
        assert_eq!(s.person.first_name.as_deref(), Some("Erika"));
        assert_eq!(s.document.doc_type.as_deref(), Some("PASSPORT"));
        assert_eq!(s.vendor_data.as_deref(), Some("user-1"));
    }

    #[test]
    fn documented_codes() {
        let c = ctx();
        let code = |v: Value| parse_create_session(&body(v), &c).unwrap_err().code();
        assert_eq!(parse_create_session(b"{not json", &c).unwrap_err().code(), Some(1104));
        assert_eq!(code(serde_json::json!({})), Some(1102));
        assert_eq!(
            code(serde_json::json!({"verification":{"timestamp":"2026-11-25T10:59:59Z"}})),
            Some(1201)
        );
        assert_eq!(
            code(serde_json::json!({"verification":{"timestamp":"25.11.2026"}})),
            Some(1202)
        );
        assert_eq!(
            code(serde_json::json!({"verification":{"callback":"http://example.com"}})),
            Some(1302)
        );
        assert_eq!(
            code(serde_json::json!({"verification":{"callback":"http://127.0.0.1:9/x"}})),
            Some(1302)
        );
        assert_eq!(
            code(serde_json::json!({"verification":{"vendorData":"x".repeat(41)}})),
            Some(1500)
        );
        assert_eq!(code(serde_json::json!({"verification":{"vendorData":5}})), Some(1501));
        assert_eq!(
            code(serde_json::json!({"verification":{"vendorData":"a\u{0}b"}})),
            Some(1104)
        );
        assert_eq!(
            code(serde_json::json!({"verification":{"person":{"firstName":"\u{0}"}}})),
            Some(1104)
        );
        assert_eq!(
            code(serde_json::json!({"verification":{"features":["video"]}})),
            Some(1301)
        );
        assert_eq!(
            code(serde_json::json!({"verification":{"person":{"dateOfBirth":"1984-02-30"}}})),
            Some(2003)
        );
        assert_eq!(
            code(serde_json::json!({"verification":{"document":{"number":"AB#12"}}})),
            Some(2102)
        );
        assert_eq!(
            code(serde_json::json!({"verification":{"document":{"number":"- /"}}})),
            Some(2102)
        );
        assert_eq!(
            code(serde_json::json!({"verification":{"document":{"type":"VISA"}}})),
            Some(2103)
        );
        assert_eq!(
            code(serde_json::json!({"verification":{"document":{"country":"EST"}}})),
            Some(2104)
        );
        // 40 characters exactly is fine.
        assert!(
            parse_create_session(
                &body(serde_json::json!({"verification":{"vendorData":"x".repeat(40)}})),
                &c
            )
            .is_ok()
        );
    }

    /// Issue 15 point 6: blank or whitespace-only fields count as not supplied; a document
    /// number may carry separators, which are dropped.
    #[test]
    fn blank_fields_are_not_supplied_and_numbers_lose_separators() {
        let b = body(serde_json::json!({"verification":{
            "person":{"firstName":"  ","lastName":"","idNumber":" \t","gender":"","dateOfBirth":" "},
            "document":{"number":"  ","type":"","country":" "},
            "timestamp":"2026-11-25T11:30:00.000Z"}}));
        let s = parse_create_session(&b, &ctx()).unwrap();
        assert_eq!(s.person, PersonInput::default());
        assert_eq!(s.document, DocumentInput::default());
        let b = body(serde_json::json!({"verification":{
            "person":{"firstName":" Erika ","dateOfBirth":" 1984-08-12 "},
            "document":{"number":"c01 x00-t47","type":"PASSPORT"}}}));
        let s = parse_create_session(&b, &ctx()).unwrap();
        assert_eq!(s.person.first_name.as_deref(), Some(" Erika "));
        assert_eq!(s.person.date_of_birth.as_deref(), Some("1984-08-12"));
        assert_eq!(s.document.number.as_deref(), Some("C01X00T47"));
    }

    #[test]
    fn loopback_callbacks_only_in_development() {
        assert!(!callback_allowed("http://localhost:8080/cb", false));
        assert!(callback_allowed("http://localhost:8080/cb", true));
        assert!(callback_allowed("http://127.0.0.1/cb", true));
        assert!(callback_allowed("http://[::1]:80/cb", true));
        assert!(!callback_allowed("http://127.0.0.1.evil.com/cb", true));
        assert!(!callback_allowed("http://example.com/cb", true));
        assert!(callback_allowed("https://example.com/cb", false));
        assert!(!callback_allowed("ftp://example.com", true));
    }

    #[test]
    fn patch_only_submitted() {
        let now = ctx().now;
        assert!(parse_patch_session(br#"{"verification":{"status":"submitted","frontState":"done"}}"#, now).is_ok());
        assert_eq!(
            parse_patch_session(br#"{"verification":{"status":"approved"}}"#, now)
                .unwrap_err()
                .code(),
            Some(1104)
        );
        assert_eq!(
            parse_patch_session(br#"{"verification":{}}"#, now).unwrap_err().code(),
            Some(1102)
        );
    }

    #[test]
    fn media_upload() {
        let now = ctx().now;
        let png = base64::engine::general_purpose::STANDARD.encode(b"\x89PNG\r\n\x1a\nrest");
        let b = body(serde_json::json!({"image":{"context":"document-front","content":png}}));
        let m = parse_media_upload(&b, now).unwrap();
        assert_eq!(m.mimetype, "image/png");
        let uri = format!("data:image/png;base64,{png}");
        assert!(
            parse_media_upload(
                &body(serde_json::json!({"image":{"context":"face","content":uri}})),
                now
            )
            .is_ok()
        );
        let txt = base64::engine::general_purpose::STANDARD.encode(b"hello");
        let e = parse_media_upload(
            &body(serde_json::json!({"image":{"context":"face","content":txt}})),
            now,
        );
        assert_eq!(e.unwrap_err().code(), Some(1104));
        let e = parse_media_upload(
            &body(serde_json::json!({"image":{"context":"face","content":"!!"}})),
            now,
        );
        assert_eq!(e.unwrap_err().code(), Some(1104));
        let e = parse_media_upload(&body(serde_json::json!({"image":{"content":png}})), now);
        assert_eq!(e.unwrap_err().code(), Some(1102));
        for ctx in MEDIA_CONTEXTS {
            assert!(
                parse_media_upload(&body(serde_json::json!({"image":{"context":ctx,"content":png}})), now).is_ok(),
                "{ctx}"
            );
        }
        for ctx in ["selfie", "Face", "face ", "", "document", "face-nfc", "../face"] {
            let e = parse_media_upload(&body(serde_json::json!({"image":{"context":ctx,"content":png}})), now);
            assert_eq!(e.unwrap_err().code(), Some(1104), "{ctx:?}");
        }
        let e = parse_media_upload(&body(serde_json::json!({"image":{"context":7,"content":png}})), now);
        assert_eq!(e.unwrap_err().code(), Some(1104));
    }
}
