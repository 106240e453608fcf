//! API errors: the documented troubleshooting codes and their HTTP statuses.

use thiserror::Error;

/// An error answered to an API client. `code()` is the documented troubleshooting code (if any)
/// and `http_status()` the HTTP status.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ApiError {
    #[error("Query ID must be between 20 and 40 symbols.")]
    QueryIdLength,
    #[error("Query ID must be a valid UUID V4")]
    QueryIdNotUuid,
    #[error("Query ID must be unique, it has already been used.")]
    QueryIdNotUnique,
    #[error("Invalid Vendor API Key.")]
    InvalidApiKey,
    #[error("Mandatory parameters are missing from the request.")]
    MissingParameters(&'static str),
    #[error("Request includes invalid parameters.")]
    InvalidParameters(&'static str),
    #[error("Invalid timestamp. Timestamp must not be older than one hour.")]
    TimestampTooOld,
    #[error("Timestamp format is incorrect. YYYY-MM-DDTHH:MM:S+Timezone Offset|Z or UTC.")]
    TimestampFormat,
    #[error("Requested features are not supported.")]
    FeaturesNotSupported,
    #[error("Only HTTPS return URLs are allowed.")]
    CallbackNotHttps,
    #[error("Vendor data cannot be more than 40 symbols.")]
    VendorDataTooLong,
    #[error("Vendor data must be a string.")]
    VendorDataNotString,
    #[error("Date of birth is not a valid date.")]
    DateOfBirth,
    #[error("Document number may contain only characters and numbers A-Z, 0-9.")]
    DocumentNumber,
    #[error("Document type is not supported.")]
    DocumentType,
    #[error("Document from provided country is not supported.")]
    DocumentCountry,
    /// Missing or wrong signature.
    #[error("Not Authorized.")]
    NotAuthorized,
    #[error("Not Found.")]
    NotFound,
    /// The session is in a state that does not allow the request.
    #[error("Conflict: {0}")]
    Conflict(&'static str),
    #[error("Request body too large.")]
    PayloadTooLarge,
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
