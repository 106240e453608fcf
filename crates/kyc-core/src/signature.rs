//! Request, response and webhook signatures of the Veriff-compatible API.
//!
//! Two schemes: the legacy `X-SIGNATURE` (lowercase hex SHA-256 of payload || secret) and the
//! current `X-HMAC-SIGNATURE` (lowercase hex HMAC-SHA256 keyed with the secret). The payload is
//! the raw body for POST/PATCH and the path id for GET. Some client libraries send the HMAC value
//! under the legacy header name, so a received signature is checked against both algorithms.
//! Responses and webhooks carry both headers ([`signature_headers`]), so that a listener written
//! to either scheme accepts them.

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Header carrying the API key.
pub const HEADER_AUTH_CLIENT: &str = "x-auth-client";
/// Legacy signature header.
pub const HEADER_SIGNATURE: &str = "x-signature";
/// HMAC signature header.
pub const HEADER_HMAC_SIGNATURE: &str = "x-hmac-signature";

/// A signature scheme; also the header it travels in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// `X-SIGNATURE`: SHA-256(payload || secret).
    Sha256,
    /// `X-HMAC-SIGNATURE`: HMAC-SHA256(secret, payload).
    #[default]
    Hmac,
}

impl Scheme {
    /// The header a signature of this scheme is sent in.
    pub fn header(self) -> &'static str {
        match self {
            Scheme::Sha256 => HEADER_SIGNATURE,
            Scheme::Hmac => HEADER_HMAC_SIGNATURE,
        }
    }
}

/// The raw 32-byte digest of `payload` under `scheme`.
pub fn digest(scheme: Scheme, secret: &[u8], payload: &[u8]) -> [u8; 32] {
    match scheme {
        Scheme::Sha256 => {
            let mut h = Sha256::new();
            h.update(payload);
            h.update(secret);
            h.finalize().into()
        }
        Scheme::Hmac => {
            // HMAC accepts keys of any length: new_from_slice cannot fail for it.
            match <Hmac<Sha256> as KeyInit>::new_from_slice(secret) {
                Ok(mut m) => {
                    m.update(payload);
                    m.finalize().into_bytes().into()
                }
                Err(_) => [0u8; 32],
            }
        }
    }
}

/// Lowercase hex signature of `payload`.
pub fn sign(scheme: Scheme, secret: &[u8], payload: &[u8]) -> String {
    hex::encode(digest(scheme, secret, payload))
}

/// The algorithm of each response / webhook signature header. By default each header carries
/// its own algorithm (`X-SIGNATURE`: SHA-256(payload || secret), `X-HMAC-SIGNATURE`: HMAC); a
/// response to a request that sent the other algorithm under a header name answers in kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderSchemes {
    /// Algorithm of the `X-SIGNATURE` value.
    pub x_signature: Scheme,
    /// Algorithm of the `X-HMAC-SIGNATURE` value.
    pub x_hmac_signature: Scheme,
}

impl Default for HeaderSchemes {
    fn default() -> Self {
        HeaderSchemes {
            x_signature: Scheme::Sha256,
            x_hmac_signature: Scheme::Hmac,
        }
    }
}

impl HeaderSchemes {
    /// Records that a request's `header` value matched `scheme`.
    pub fn answer_in_kind(&mut self, header: &str, scheme: Scheme) {
        if header.eq_ignore_ascii_case(HEADER_SIGNATURE) {
            self.x_signature = scheme;
        } else if header.eq_ignore_ascii_case(HEADER_HMAC_SIGNATURE) {
            self.x_hmac_signature = scheme;
        }
    }
}

/// Both signature headers of a response or webhook over `payload` (the exact body bytes sent):
/// `[("x-signature", …), ("x-hmac-signature", …)]`, so that a listener written to either scheme
/// accepts it.
pub fn signature_headers(secret: &[u8], payload: &[u8], schemes: HeaderSchemes) -> [(&'static str, String); 2] {
    [
        (HEADER_SIGNATURE, sign(schemes.x_signature, secret, payload)),
        (HEADER_HMAC_SIGNATURE, sign(schemes.x_hmac_signature, secret, payload)),
    ]
}

/// Checks a received hex signature (either case) against `payload`, trying the HMAC algorithm
/// and the legacy SHA-256 algorithm; returns the algorithm that matched. Constant time in the
/// signature bytes.
pub fn verify(received_hex: &str, secret: &[u8], payload: &[u8]) -> Option<Scheme> {
    let received = hex::decode(received_hex.trim()).ok()?;
    if received.len() != 32 {
        return None;
    }
    let hmac_ok = digest(Scheme::Hmac, secret, payload).ct_eq(received.as_slice());
    let sha_ok = digest(Scheme::Sha256, secret, payload).ct_eq(received.as_slice());
    if bool::from(hmac_ok) {
        Some(Scheme::Hmac)
    } else if bool::from(sha_ok) {
        Some(Scheme::Sha256)
    } else {
        None
    }
}

/// Constant-time equality of two secrets (API keys, tokens).
pub fn secret_eq(a: &str, b: &str) -> bool {
    // Compare digests so that the length of the expected secret does not leak either.
    let da = Sha256::digest(a.as_bytes());
    let db = Sha256::digest(b.as_bytes());
    bool::from(da.as_slice().ct_eq(db.as_slice()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"abcdef12-abcd-abcd-abcd-abcdef012345";
    const BODY1: &str = r#"{"verification":{"callback":"https://veriff.com","person":{"firstName":"John","lastName":"Smith"},"document":{"type":"PASSPORT","country":"EE"},"vendorData":"unique id of a user","timestamp":"2016-05-19T08:30:25.597Z"}}"#;

    #[test]
    fn hmac_vector_1_session_body() {
        assert_eq!(
            sign(Scheme::Hmac, SECRET, BODY1.as_bytes()),
            "6af6d95822e19e9cc707aec55395d8d363ba2c7bc4625bc04ebeca0c7bf8cd67"
        );
    }

    #[test]
    fn hmac_vector_2_session_id() {
        assert_eq!(
            sign(Scheme::Hmac, SECRET, b"aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7"),
            "895cb3fd31139d89aeb7b263682e15479ab57651e70591256ad2c14fde4950dd"
        );
    }

    #[test]
    fn hmac_vector_3_end_user_vendor_data() {
        let body = BODY1.replace("unique id of a user", "unique id of the end-user");
        assert_eq!(
            sign(Scheme::Hmac, SECRET, body.as_bytes()),
            "0dcab73ddd20062616d104231c7439657546a5c24e4691977da93bb854c31e25"
        );
    }

    /// veriff-api.txt, "Validate from response", step 2: the webhook body signed with
    /// `Your-API-Secret`.
    #[test]
    fn legacy_sha256_webhook_example() {
        let body = r#"{"status":"success","verification":{"id":"aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7","code":9001,"person":{"gender":null,"idNumber":"123456789","lastName":"Toomas","firstName":"Tundmatu","citizenship":null,"dateOfBirth":null,"nationality":null,"yearOfBirth":null,"pepSanctionMatch":null},"reason":null,"status":"approved","comments":[],"document":{"type":"ID_CARD","number":"ee12334","country":"EE","validFrom":null,"validUntil":null},"highRisk":null,"reasonCode":null,"vendorData":"11111111","decisionTime":"2019-10-30T07:32:44.540Z","acceptanceTime":"2019-10-29T12:41:01.000Z","additionalVerifiedData":{}},"technicalData":{"ip":"95.153.29.169"}}"#;
        let sig = "cd0e28104516bc27b4506026d81d07e532b927440b84c4f01ac02d92a2b1419c";
        assert_eq!(sign(Scheme::Sha256, b"Your-API-Secret", body.as_bytes()), sig);
        assert_eq!(verify(sig, b"Your-API-Secret", body.as_bytes()), Some(Scheme::Sha256));
    }

    /// veriff-api.txt, "Manual Validation": the session-creation response signed with
    /// `Your-API-Secret`.
    #[test]
    fn legacy_sha256_response_example() {
        let body = r#"{"status":"success","verification":{"id":"d04fd8e7-80cd-4fb8-b235-cec89c5c6790","url":"https://magic.veriff.me/v/eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzZXNzaW9uX2lkIjoiZDA0ZmQ4ZTctODBjZC00ZmI4LWIyMzUtY2VjODljNWM2NzkwIiwiaWF0IjoxNTcyMjUyODgyfQ.wBEsEAeAzBQamc6acujZoJ4VQxuCsYfwdH8Xe-JI4Qw","vendorData":"11111111","host":"https://front.veriff.me","status":"created","sessionToken":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzZXNzaW9uX2lkIjoiZDA0ZmQ4ZTctODBjZC00ZmI4LWIyMzUtY2VjODljNWM2NzkwIiwiaWF0IjoxNTcyMjUyODgyfQ.wBEsEAeAzBQamc6acujZoJ4VQxuCsYfwdH8Xe-JI4Qw"}}"#;
        assert_eq!(
            sign(Scheme::Sha256, b"Your-API-Secret", body.as_bytes()),
            "253e28b027ca93d323d524d437b13ccc06730bd08709aac0194725b63e50b556"
        );
    }

    #[test]
    fn verify_accepts_either_algorithm_and_case_and_rejects_others() {
        let h = sign(Scheme::Hmac, SECRET, BODY1.as_bytes());
        let s = sign(Scheme::Sha256, SECRET, BODY1.as_bytes());
        assert_eq!(verify(&h, SECRET, BODY1.as_bytes()), Some(Scheme::Hmac));
        assert_eq!(verify(&h.to_uppercase(), SECRET, BODY1.as_bytes()), Some(Scheme::Hmac));
        assert_eq!(verify(&s, SECRET, BODY1.as_bytes()), Some(Scheme::Sha256));
        assert_eq!(verify(&h, b"other secret", BODY1.as_bytes()), None);
        assert_eq!(verify(&h, SECRET, b"{}"), None);
        assert_eq!(verify("zz", SECRET, BODY1.as_bytes()), None);
        assert_eq!(verify(&h[..62], SECRET, BODY1.as_bytes()), None);
        assert_eq!(verify("", SECRET, BODY1.as_bytes()), None);
    }

    /// veriff-api.txt's decision webhook sample (`x-signature` with secret
    /// `3c184872-6929-43d9-91d5-9e68468b5aa1`): both headers, each in its own algorithm.
    #[test]
    fn both_headers_of_the_spec_webhook_sample() {
        let body = r#"{"status":"success","verification":{"id":"a4c0a230-859a-4861-b99b-ac39e4a05bfd","status":"resubmission_requested","code":9103,"reason":"Photos are not from the same document.","acceptanceTime":"2017-09-26T12:27:55.000Z","decisionTime":"2017-09-26T12:34:21.000Z","person":{"firstName":"Morton","lastName":"Stracke","idNumber":"48002020011"},"document":{"number":"AA0052283","type":"ID_CARD","validFrom": "2017-02-27", "validUntil": "2022-02-27"},"comments":[{"type": "General Comment", "comment": "Person refuses to take off hat.", "timestamp": "2017-10-10T13:18:44.009Z"}],"technicalData":{"ip":"124.153.46.66"}}}"#;
        let secret = b"3c184872-6929-43d9-91d5-9e68468b5aa1";
        let [(h1, v1), (h2, v2)] = signature_headers(secret, body.as_bytes(), HeaderSchemes::default());
        assert_eq!(h1, "x-signature");
        assert_eq!(v1, "cdffd99617c46e20d37d1db6e4f1bfefb929409e36a59122b6de25c6924d3c65");
        assert_eq!(h2, "x-hmac-signature");
        assert_eq!(v2, sign(Scheme::Hmac, secret, body.as_bytes()));
        // A request that sent the HMAC value under X-SIGNATURE is answered in kind.
        let mut kind = HeaderSchemes::default();
        kind.answer_in_kind("X-SIGNATURE", Scheme::Hmac);
        let [(_, v1), (_, v2)] = signature_headers(secret, body.as_bytes(), kind);
        assert_eq!(v1, v2);
    }

    #[test]
    fn secret_eq_compares_values() {
        assert!(secret_eq("abc", "abc"));
        assert!(!secret_eq("abc", "abd"));
        assert!(!secret_eq("abc", "abcd"));
    }
}
