//! Verification of the RFC 9421 HTTP message signature (HMAC-SHA256) and RFC 9530
//! `Content-Digest` that docval-server can put on its result POST.
//!
//! Accepted: one signature; covered components among `@method`, `@target-uri`, `@authority`,
//! `@path`, `content-digest`, `content-type`, which must include `@method`, `@target-uri` (or
//! `@path`) and `content-digest`; `alg`, when present, `hmac-sha256`; `created` required and
//! within `max_skew` of now.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// Why a signed result POST is refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SignatureError {
    /// A required header is absent (`Content-Digest`, `Signature-Input`, `Signature`, or
    /// `Content-Type` when covered); the payload names it.
    #[error("missing header {0}")]
    Missing(&'static str),
    /// `Content-Digest` is not the RFC 9530 SHA-256 digest of the body.
    #[error("Content-Digest does not match the body")]
    Digest,
    /// `Signature-Input` or `Signature` cannot be parsed (label, component list, `created`, base64
    /// value).
    #[error("malformed Signature-Input or Signature")]
    Malformed,
    /// The covered components miss `@method`, the target (`@target-uri`/`@path`) or
    /// `content-digest`, or name one not supported.
    #[error("covered components do not protect method, target and body")]
    Coverage,
    /// The `alg` parameter is present and not `hmac-sha256`.
    #[error("unsupported algorithm")]
    Algorithm,
    /// `created` is further than `max_skew` seconds from now.
    #[error("signature created outside the accepted window")]
    Stale,
    /// The HMAC-SHA256 over the signature base (RFC 9421 §2.5) does not match.
    #[error("signature does not verify")]
    Invalid,
}

/// The request parts a signature covers.
#[derive(Clone, Copy, Debug)]
pub struct SignedRequest<'a> {
    /// HTTP method (`POST`).
    pub method: &'a str,
    /// The URL the sender posted to (scheme, authority, path, query).
    pub target_uri: &'a str,
    /// `Content-Type` header value, if any.
    pub content_type: Option<&'a str>,
    /// `Content-Digest` header value (RFC 9530), if any.
    pub content_digest: Option<&'a str>,
    /// `Signature-Input` header value (RFC 9421 §4.1), if any.
    pub signature_input: Option<&'a str>,
    /// `Signature` header value (RFC 9421 §4.2), if any.
    pub signature: Option<&'a str>,
    /// The raw body the digest covers.
    pub body: &'a [u8],
}

/// RFC 9530 `sha-256=:…:` of `body`.
pub fn content_digest(body: &[u8]) -> String {
    format!(
        "sha-256=:{}:",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body))
    )
}

fn authority_and_path(uri: &str) -> Option<(&str, &str)> {
    let rest = uri.split_once("://")?.1;
    match rest.find('/') {
        Some(i) => Some((rest.get(..i)?, rest.get(i..)?.split(['?', '#']).next()?)),
        None => Some((rest, "/")),
    }
}

/// Verifies the signature with the shared `secret`; `now` and `max_skew` in seconds.
pub fn verify(req: &SignedRequest<'_>, secret: &[u8], now: u64, max_skew: u64) -> Result<(), SignatureError> {
    let digest = req.content_digest.ok_or(SignatureError::Missing("Content-Digest"))?;
    let input = req.signature_input.ok_or(SignatureError::Missing("Signature-Input"))?;
    let sig = req.signature.ok_or(SignatureError::Missing("Signature"))?;
    // Only sha-256 digests; compare the whole member.
    if digest.trim() != content_digest(req.body) {
        return Err(SignatureError::Digest);
    }
    let (label, params) = input.trim().split_once('=').ok_or(SignatureError::Malformed)?;
    let inner = params.strip_prefix('(').ok_or(SignatureError::Malformed)?;
    let (list, param_tail) = inner.split_once(')').ok_or(SignatureError::Malformed)?;
    let components: Vec<&str> = list
        .split_ascii_whitespace()
        .map(|c| c.strip_prefix('"').and_then(|c| c.strip_suffix('"')))
        .collect::<Option<_>>()
        .ok_or(SignatureError::Malformed)?;
    let has = |n: &str| components.contains(&n);
    if !has("@method") || !(has("@target-uri") || has("@path")) || !has("content-digest") {
        return Err(SignatureError::Coverage);
    }
    let mut created = None;
    for p in param_tail.split(';').filter(|p| !p.is_empty()) {
        let (k, v) = p.split_once('=').ok_or(SignatureError::Malformed)?;
        match k {
            "created" => created = Some(v.parse::<u64>().map_err(|_| SignatureError::Malformed)?),
            "alg" if v != "\"hmac-sha256\"" => return Err(SignatureError::Algorithm),
            _ => {}
        }
    }
    let created = created.ok_or(SignatureError::Malformed)?;
    if created.abs_diff(now) > max_skew {
        return Err(SignatureError::Stale);
    }
    let (authority, path) = authority_and_path(req.target_uri).ok_or(SignatureError::Malformed)?;
    let mut base = String::new();
    for c in &components {
        let value = match *c {
            "@method" => req.method,
            "@target-uri" => req.target_uri,
            "@authority" => authority,
            "@path" => path,
            "content-digest" => digest.trim(),
            "content-type" => req.content_type.ok_or(SignatureError::Missing("Content-Type"))?.trim(),
            _ => return Err(SignatureError::Coverage),
        };
        base.push_str(&format!("\"{c}\": {value}\n"));
    }
    base.push_str(&format!("\"@signature-params\": {params}"));
    let b64 = sig
        .trim()
        .strip_prefix(label)
        .and_then(|s| s.strip_prefix("=:"))
        .and_then(|s| s.strip_suffix(':'))
        .ok_or(SignatureError::Malformed)?;
    let mac_bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| SignatureError::Malformed)?;
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).map_err(|_| SignatureError::Invalid)?;
    mac.update(base.as_bytes());
    // verify_slice compares in constant time.
    mac.verify_slice(&mac_bytes).map_err(|_| SignatureError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9530_example_digest() {
        assert_eq!(
            content_digest(b"{\"hello\": \"world\"}\n"),
            "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"
        );
    }

    fn signed(secret: &[u8], uri: &str, body: &[u8], created: u64) -> (String, String, String) {
        let digest = content_digest(body);
        let params = format!(
            "(\"@method\" \"@target-uri\" \"content-digest\" \"content-type\");created={created};keyid=\"k\";alg=\"hmac-sha256\""
        );
        let base = format!(
            "\"@method\": POST\n\"@target-uri\": {uri}\n\"content-digest\": {digest}\n\"content-type\": application/json\n\"@signature-params\": {params}"
        );
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).unwrap();
        mac.update(base.as_bytes());
        let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        (digest, format!("sig1={params}"), format!("sig1=:{sig}:"))
    }

    #[test]
    fn verifies_and_rejects_tampering() {
        let uri = "https://kyc.example/docval/results/t";
        let body = br#"{"client_validation_id":"x"}"#;
        let (d, i, s) = signed(b"shared secret", uri, body, 1000);
        let req = SignedRequest {
            method: "POST",
            target_uri: uri,
            content_type: Some("application/json"),
            content_digest: Some(&d),
            signature_input: Some(&i),
            signature: Some(&s),
            body,
        };
        assert_eq!(verify(&req, b"shared secret", 1010, 300), Ok(()));
        assert_eq!(verify(&req, b"other", 1010, 300), Err(SignatureError::Invalid));
        assert_eq!(verify(&req, b"shared secret", 2000, 300), Err(SignatureError::Stale));
        let other = SignedRequest { body: b"{}", ..req };
        assert_eq!(verify(&other, b"shared secret", 1010, 300), Err(SignatureError::Digest));
        let other = SignedRequest {
            target_uri: "https://kyc.example/docval/results/u",
            ..req
        };
        assert_eq!(
            verify(&other, b"shared secret", 1010, 300),
            Err(SignatureError::Invalid)
        );
        let other = SignedRequest { signature: None, ..req };
        assert_eq!(
            verify(&other, b"shared secret", 1010, 300),
            Err(SignatureError::Missing("Signature"))
        );
        let weak = "sig1=(\"content-type\");created=1000";
        let other = SignedRequest {
            signature_input: Some(weak),
            ..req
        };
        assert_eq!(
            verify(&other, b"shared secret", 1010, 300),
            Err(SignatureError::Coverage)
        );
    }
}
