//! API errors: the documented troubleshooting codes and their HTTP statuses.

use thiserror::Error;

/// An error answered to an API client. `code()` is the documented troubleshooting code (if any)
/// and `http_status()` the HTTP status.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ApiError {
    /// Path id shorter than 20 or longer than 40 symbols (code 1001).
    #[error("Query ID must be between 20 and 40 symbols.")]
    QueryIdLength,
    /// Path id is not a UUID version 4 (code 1002).
    #[error("Query ID must be a valid UUID V4")]
    QueryIdNotUuid,
    /// The id was already used (code 1003, HTTP 409).
    #[error("Query ID must be unique, it has already been used.")]
    QueryIdNotUnique,
    /// Unknown `X-AUTH-CLIENT` API key (code 1101, HTTP 401).
    #[error("Invalid Vendor API Key.")]
    InvalidApiKey,
    /// A mandatory field is missing; the payload names it (code 1102).
    #[error("Mandatory parameters are missing from the request.")]
    MissingParameters(&'static str),
    /// A field has the wrong type or value, or the body is not a JSON object; the payload names it
    /// (code 1104).
    #[error("Request includes invalid parameters.")]
    InvalidParameters(&'static str),
    /// The request `timestamp` is older than one hour (code 1201).
    #[error("Invalid timestamp. Timestamp must not be older than one hour.")]
    TimestampTooOld,
    /// The request `timestamp` is not RFC 3339 (code 1202).
    #[error("Timestamp format is incorrect. YYYY-MM-DDTHH:MM:S+Timezone Offset|Z or UTC.")]
    TimestampFormat,
    /// `features` names a feature other than those in [`crate::request::FEATURES`] (code 1301).
    #[error("Requested features are not supported.")]
    FeaturesNotSupported,
    /// The `callback` URL is not HTTPS (code 1302).
    #[error("Only HTTPS return URLs are allowed.")]
    CallbackNotHttps,
    /// `vendorData` is longer than 40 characters (code 1500).
    #[error("Vendor data cannot be more than 40 symbols.")]
    VendorDataTooLong,
    /// `vendorData` is not a string (code 1501).
    #[error("Vendor data must be a string.")]
    VendorDataNotString,
    /// `person.dateOfBirth` is not a `YYYY-MM-DD` date (code 2003).
    #[error("Date of birth is not a valid date.")]
    DateOfBirth,
    /// `document.number` holds characters other than A-Z, 0-9 and separators (code 2102).
    #[error("Document number may contain only characters and numbers A-Z, 0-9.")]
    DocumentNumber,
    /// `document.type` is not one of [`crate::request::DOCUMENT_TYPES`] (code 2103).
    #[error("Document type is not supported.")]
    DocumentType,
    /// `document.country` is not an ISO 3166 alpha-2 code (code 2104).
    #[error("Document from provided country is not supported.")]
    DocumentCountry,
    /// Missing or wrong signature.
    #[error("Not Authorized.")]
    NotAuthorized,
    /// No session with that id (HTTP 404, no code).
    #[error("Not Found.")]
    NotFound,
    /// The session is in a state that does not allow the request.
    #[error("Conflict: {0}")]
    Conflict(&'static str),
    /// The body exceeds the server's size limit (code 1104, HTTP 413).
    #[error("Request body too large.")]
    PayloadTooLarge,
    /// An unexpected server-side failure (HTTP 500, no code); details are logged, not answered.
    #[error("Internal error.")]
    Internal,
}

impl ApiError {
    /// The documented troubleshooting code.
    pub fn code(&self) -> Option<u16> {
        Some(match self {
            ApiError::QueryIdLength => 1001,
            ApiError::QueryIdNotUuid => 1002,
            ApiError::QueryIdNotUnique => 1003,
            ApiError::InvalidApiKey => 1101,
            ApiError::MissingParameters(_) => 1102,
            ApiError::InvalidParameters(_) | ApiError::PayloadTooLarge => 1104,
            ApiError::TimestampTooOld => 1201,
            ApiError::TimestampFormat => 1202,
            ApiError::FeaturesNotSupported => 1301,
            ApiError::CallbackNotHttps => 1302,
            ApiError::VendorDataTooLong => 1500,
            ApiError::VendorDataNotString => 1501,
            ApiError::DateOfBirth => 2003,
            ApiError::DocumentNumber => 2102,
            ApiError::DocumentType => 2103,
            ApiError::DocumentCountry => 2104,
            ApiError::NotAuthorized | ApiError::NotFound | ApiError::Conflict(_) | ApiError::Internal => {
                return None;
            }
        })
    }

    /// HTTP status: 401 for authentication, 404, 409, 413, 500; everything else 400.
    pub fn http_status(&self) -> u16 {
        match self {
            ApiError::InvalidApiKey | ApiError::NotAuthorized => 401,
            ApiError::NotFound => 404,
            ApiError::Conflict(_) | ApiError::QueryIdNotUnique => 409,
            ApiError::PayloadTooLarge => 413,
            ApiError::Internal => 500,
            _ => 400,
        }
    }

    /// The compact JSON body: `{"status":"fail","code":N,"message":"…"}` (no code for 401/404/409).
    pub fn body(&self) -> Vec<u8> {
        #[derive(serde::Serialize)]
        struct Body {
            status: &'static str,
            #[serde(skip_serializing_if = "Option::is_none")]
            code: Option<u16>,
            message: String,
        }
        let b = Body {
            status: "fail",
            code: self.code(),
            message: self.to_string(),
        };
        serde_json::to_vec(&b).unwrap_or_else(|_| br#"{"status":"fail"}"#.to_vec())
    }
}

/// Checks a path id: 20..=40 symbols (1001) and a UUID v4 (1002).
pub fn check_query_id(id: &str) -> Result<uuid::Uuid, ApiError> {
    if !(20..=40).contains(&id.len()) {
        return Err(ApiError::QueryIdLength);
    }
    let u = uuid::Uuid::try_parse(id).map_err(|_| ApiError::QueryIdNotUuid)?;
    if u.get_version_num() != 4 {
        return Err(ApiError::QueryIdNotUuid);
    }
    Ok(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses() {
        assert_eq!(ApiError::TimestampTooOld.code(), Some(1201));
        assert_eq!(ApiError::VendorDataTooLong.code(), Some(1500));
        assert_eq!(ApiError::CallbackNotHttps.code(), Some(1302));
        assert_eq!(ApiError::InvalidApiKey.http_status(), 401);
        assert_eq!(ApiError::NotFound.http_status(), 404);
        assert_eq!(ApiError::Conflict("x").http_status(), 409);
        assert_eq!(ApiError::DocumentCountry.http_status(), 400);
        assert_eq!(
            String::from_utf8(ApiError::MissingParameters("verification").body()).unwrap(),
            r#"{"status":"fail","code":1102,"message":"Mandatory parameters are missing from the request."}"#
        );
    }

    #[test]
    fn query_ids() {
        assert!(check_query_id("aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7").is_ok());
        assert_eq!(check_query_id("short"), Err(ApiError::QueryIdLength));
        assert_eq!(check_query_id(&"a".repeat(41)), Err(ApiError::QueryIdLength));
        assert_eq!(
            check_query_id("zzzzzzzz-1b47-47fc-a4fc-f72b6d3584a7"),
            Err(ApiError::QueryIdNotUuid)
        );
        // Version 1 UUID.
        assert_eq!(
            check_query_id("aea9ba6d-1b47-17fc-a4fc-f72b6d3584a7"),
            Err(ApiError::QueryIdNotUuid)
        );
    }
}
