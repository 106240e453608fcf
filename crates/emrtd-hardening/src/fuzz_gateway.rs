//! Fuzz target of the KYC gateway (`bins/kyc-gateway`): every request body and header the
//! gateway parses before it touches the database. The gateway's handlers call these
//! `kyc_core` functions on the raw body (after the body limit and, for the integration API,
//! the signature check): session creation, PATCH status, media upload, the DocVal result POST
//! (deserialised, then decided), the `X-HMAC-SIGNATURE`/`X-SIGNATURE` header, path ids, and
//! the RFC 9421 signature of the result POST.
//!
//! Input: a selector byte, then the body (or lines, for the header modes). `selector % 6`:
//! 0 create session (bit 7: HTTP loopback callbacks allowed), 1 PATCH, 2 media upload,
//! 3 DocVal result + decision, 4 signature header and path id, 5 RFC 9421 (bit 7: the
//! `Content-Digest` is recomputed for the mutated body, so mutations reach the signature).

use chrono::{DateTime, NaiveDate, Utc};
use kyc_core::request::{self, ValidationContext};
use kyc_core::signature::{self, Scheme};

/// The API secret of the signature modes.
const SECRET: &[u8] = b"abcdef12-abcd-abcd-abcd-abcdef012345";
/// A fixed "now" (2026-12-01T00:00:00Z) so seeds' timestamps are fresh on every run.
const NOW: i64 = 1_796_083_200;
const NOW_RFC3339: &str = "2026-12-01T00:00:00Z";
const RESULT_URL: &str = "http://127.0.0.1:8088/docval/results/docval-result-token";

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(NOW, 0).unwrap_or_default()
}

fn lines(d: &[u8], n: usize) -> (Vec<&str>, &[u8]) {
    let mut out = Vec::new();
    let mut rest = d;
    while out.len() < n {
        match rest.iter().position(|b| *b == b'\n') {
            Some(i) => {
                let (line, r) = rest.split_at(i);
                out.push(std::str::from_utf8(line).unwrap_or(""));
                rest = r.get(1..).unwrap_or(&[]);
            }
            None => break,
        }
    }
    (out, rest)
}

pub(crate) fn run_gateway_json(d: &[u8]) {
    let Some((&sel, body)) = d.split_first() else { return };
    match sel % 6 {
        0 => {
            let ctx = ValidationContext {
                now: now(),
                allow_http_loopback_callbacks: sel & 0x80 != 0,
            };
            if let Ok(s) = request::parse_create_session(body, &ctx) {
                // What the gateway stores and later reads back.
                let _ = serde_json::to_string(&s.person);
                let _ = serde_json::to_string(&s.document);
            }
        }
        1 => {
            let _ = request::parse_patch_session(body, now());
        }
        2 => {
            if let Ok(m) = request::parse_media_upload(body, now()) {
                let _ = request::sniff_media(&m.content);
            }
        }
        3 => {
            if let Ok(post) = serde_json::from_slice::<emrtd_result::ResultPost>(body) {
                let _ = kyc_core::check_query_id(&post.client_validation_id);
                let person = kyc_core::PersonInput {
                    first_name: Some("ANNA".into()),
                    last_name: Some("MUSTER".into()),
                    date_of_birth: Some("1984-08-12".into()),
                    ..Default::default()
                };
                let document = kyc_core::DocumentInput {
                    number: Some("C01X00T47".into()),
                    doc_type: Some("PASSPORT".into()),
                    country: Some("DE".into()),
                };
                let sup = kyc_core::Supplied {
                    person: Some(&person),
                    document: Some(&document),
                };
                let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
                for strict in [false, true] {
                    let policy = kyc_core::DecisionPolicy {
                        accept_without_chip_authentication: !strict,
                    };
                    let decision = kyc_core::decide(&post.emrtd_passport, &sup, today, &policy);
                    let _ = serde_json::to_string(&decision);
                }
                let _ = serde_json::to_vec(&post);
            }
        }
        4 => {
            let (l, payload) = lines(body, 1);
            let header = l.first().copied().unwrap_or("");
            let _ = signature::verify(header, SECRET, payload);
            let _ = kyc_core::check_query_id(header);
            let _ = request::callback_allowed(header, sel & 0x80 != 0);
            let _ = signature::secret_eq(header, "test-api-key");
        }
        _ => {
            let (l, payload) = lines(body, 4);
            let get = |i: usize| l.get(i).copied().filter(|s| !s.is_empty());
            let digest = if sel & 0x80 != 0 {
                Some(kyc_core::rfc9421::content_digest(payload))
            } else {
                get(1).map(str::to_string)
            };
            let req = kyc_core::rfc9421::SignedRequest {
                method: "POST",
                target_uri: RESULT_URL,
                content_type: get(0),
                content_digest: digest.as_deref(),
                signature_input: get(2),
                signature: get(3),
                body: payload,
            };
            let _ = kyc_core::rfc9421::verify(&req, SECRET, NOW as u64, 300);
        }
    }
}

fn with(sel: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![sel];
    v.extend_from_slice(body);
    v
}

fn result_example() -> Option<Vec<u8>> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/reference/emrtd-result-example.json");
    let text = std::fs::read(path).ok()?;
    let mut v: serde_json::Value = serde_json::from_slice(&text).ok()?;
    let o = v.as_object_mut()?;
    o.insert(
        "client_validation_id".into(),
        serde_json::json!("aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7"),
    );
    serde_json::to_vec(&v).ok()
}

/// Bodies from the API documentation (`/work/shared/specs/veriff-api.txt`) and the gateway's
/// tests, a real chip result (`fixtures/reference/emrtd-result-example.json`), signed
/// payloads and a signed result POST.
pub(crate) fn builtin_gateway_json() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let creates = [
        format!(
            r#"{{"verification":{{"callback":"https://example.com/callback","person":{{"firstName":"John","lastName":"Smith","idNumber":"123456789","gender":"M","dateOfBirth":"1990-01-01"}},"document":{{"number":"B01234567","type":"PASSPORT","country":"EE"}},"vendorData":"11111111","lang":"en","features":["selfid"],"timestamp":"{NOW_RFC3339}"}}}}"#
        ),
        r#"{"verification":{}}"#.to_string(),
        r#"{"verification":{"callback":"http://127.0.0.1:9/cb","additionalData":{"a":[1,2,{"b":null}]}}}"#.to_string(),
        r#"{"verification":{"vendorData":12,"document":{"type":"VISA","country":"XX"},"timestamp":"yesterday"}}"#
            .to_string(),
        r#"{"verification":{"person":{"dateOfBirth":"1990-02-30"},"document":{"number":"a-b"}}}"#.to_string(),
    ];
    for c in &creates {
        out.push(with(0, c.as_bytes()));
        out.push(with(0x80, c.as_bytes()));
    }
    for p in [
        format!(r#"{{"verification":{{"status":"submitted","frontState":"done","timestamp":"{NOW_RFC3339}"}}}}"#),
        r#"{"verification":{"status":"approved"}}"#.to_string(),
        r#"{"verification":{"status":"submitted","timestamp":"2026-11-30T23:59:59+01:00"}}"#.to_string(),
    ] {
        out.push(with(1, p.as_bytes()));
    }
    // Media: a PNG and a JPEG header, a data URL, a bad context.
    for m in [
        format!(
            r#"{{"image":{{"context":"document-front","content":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==","timestamp":"{NOW_RFC3339}"}}}}"#
        ),
        r#"{"image":{"context":"face","content":"data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJ"}}"#.to_string(),
        r#"{"image":{"context":"","content":"!!!"}}"#.to_string(),
    ] {
        out.push(with(2, m.as_bytes()));
    }
    if let Some(r) = result_example() {
        out.push(with(3, &r));
    }
    out.push(with(
        3,
        br#"{"emrtd_passport":{},"client_validation_id":"aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7"}"#,
    ));
    // Signature headers: HMAC and the legacy SHA-256 scheme over a body, a path id.
    let payload = br#"{"verification":{}}"#;
    for scheme in [Scheme::Hmac, Scheme::Sha256] {
        let mut s = signature::sign(scheme, SECRET, payload).into_bytes();
        s.push(b'\n');
        s.extend_from_slice(payload);
        out.push(with(4, &s));
    }
    out.push(with(4, b"aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7\n"));
    out.push(with(4, b"http://[::1]:8080/cb?x=1\n"));
    // A valid RFC 9421 signed result POST (as docval-server signs it).
    let body = br#"{"emrtd_passport":{},"client_validation_id":"aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7"}"#;
    let key = docval_server::signing::SigningKey {
        key_id: "docval".into(),
        secret: zeroize::Zeroizing::new(SECRET.to_vec()),
    };
    let h = docval_server::signing::sign_post(&key, RESULT_URL, body, NOW as u64);
    for sel in [5u8, 0x85] {
        let mut s = format!(
            "application/json\n{}\n{}\n{}\n",
            h.content_digest, h.signature_input, h.signature
        )
        .into_bytes();
        s.extend_from_slice(body);
        out.push(with(sel, &s));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_accepted_where_they_should_be() {
        let seeds = builtin_gateway_json();
        let ctx = ValidationContext {
            now: now(),
            allow_http_loopback_callbacks: false,
        };
        assert!(request::parse_create_session(&seeds[0][1..], &ctx).is_ok());
        assert!(
            seeds.iter().any(|s| s[0] == 3 && s.len() > 1000),
            "the chip result seed"
        );
        // The signed result seed verifies: mutations start from a valid signature.
        let signed = seeds.iter().find(|s| s[0] == 5).unwrap();
        let (l, payload) = lines(&signed[1..], 4);
        let req = kyc_core::rfc9421::SignedRequest {
            method: "POST",
            target_uri: RESULT_URL,
            content_type: Some(l[0]),
            content_digest: Some(l[1]),
            signature_input: Some(l[2]),
            signature: Some(l[3]),
            body: payload,
        };
        assert_eq!(kyc_core::rfc9421::verify(&req, SECRET, NOW as u64, 300), Ok(()));
        let h = seeds.iter().find(|s| s[0] == 4).unwrap();
        let (l, payload) = lines(&h[1..], 1);
        assert_eq!(signature::verify(l[0], SECRET, payload), Some(Scheme::Hmac));
    }
}
