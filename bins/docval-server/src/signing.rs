//! RFC 9421 HTTP message signatures on the result POST (with an RFC 9530 `Content-Digest`).
//!
//! Covered components: `@method`, `@target-uri`, `content-digest`, `content-type`; parameters
//! `created`, `keyid`, `alg="hmac-sha256"`. The result server recomputes the signature base
//! and compares the HMAC with the shared key.

use base64::Engine;
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// A signing key.
#[derive(Clone)]
pub struct SigningKey {
    pub key_id: String,
    pub secret: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({:?}, <secret>)", self.key_id)
    }
}

/// The headers to add: `Content-Digest`, `Signature-Input`, `Signature`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureHeaders {
    pub content_digest: String,
    pub signature_input: String,
    pub signature: String,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `sha-256=:…:` over the body.
pub fn content_digest(body: &[u8]) -> String {
    format!("sha-256=:{}:", b64(&Sha256::digest(body)))
}

/// The signature parameters (the inner list and its parameters).
pub fn signature_params(created: u64, key_id: &str) -> String {
    format!(
        "(\"@method\" \"@target-uri\" \"content-digest\" \"content-type\");created={created};keyid=\"{key_id}\";alg=\"hmac-sha256\""
    )
}

/// The signature base of RFC 9421 §2.5.
pub fn signature_base(
    method: &str,
    target_uri: &str,
    content_digest: &str,
    content_type: &str,
    params: &str,
) -> String {
    format!(
        "\"@method\": {method}\n\"@target-uri\": {target_uri}\n\"content-digest\": {content_digest}\n\"content-type\": {content_type}\n\"@signature-params\": {params}"
    )
}

/// Signs a POST of `body` (JSON) to `target_uri`.
pub fn sign_post(key: &SigningKey, target_uri: &str, body: &[u8], created: u64) -> SignatureHeaders {
    let digest = content_digest(body);
    let params = signature_params(created, &key.key_id);
    let base = signature_base("POST", target_uri, &digest, "application/json", &params);
    let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(&key.secret).unwrap_or_else(|_| {
        // HMAC takes keys of any length; this branch cannot be reached.
        <hmac::Hmac<Sha256> as KeyInit>::new(&Default::default())
    });
    mac.update(base.as_bytes());
    let sig = mac.finalize().into_bytes();
    SignatureHeaders {
        content_digest: digest,
        signature_input: format!("sig1={params}"),
        signature: format!("sig1=:{}:", b64(&sig)),
    }
}

/// Verifies the headers of a signed POST (what a result server does); used by tests and
/// offered to integrators as the reference.
pub fn verify_post(secret: &[u8], target_uri: &str, body: &[u8], headers: &SignatureHeaders) -> bool {
    if headers.content_digest != content_digest(body) {
        return false;
    }
    let Some(params) = headers.signature_input.strip_prefix("sig1=") else {
        return false;
    };
    let base = signature_base("POST", target_uri, &headers.content_digest, "application/json", params);
    let Some(sig_b64) = headers
        .signature
        .strip_prefix("sig1=:")
        .and_then(|s| s.strip_suffix(':'))
    else {
        return false;
    };
    let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(sig_b64) else {
        return false;
    };
    let Ok(mut mac) = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(secret) else {
        return false;
    };
    mac.update(base.as_bytes());
    mac.verify_slice(&sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9530_content_digest_example() {
        // RFC 9530 §B.1 / RFC 9421 §B.2: {"hello": "world"}\n
        assert_eq!(
            content_digest(b"{\"hello\": \"world\"}\n"),
            "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"
        );
    }

    #[test]
    fn sign_then_verify_and_tamper() {
        let key = SigningKey {
            key_id: "docval-1".into(),
            secret: Zeroizing::new(b"shared secret".to_vec()),
        };
        let body = br#"{"emrtd_passport":{},"client_validation_id":"x"}"#;
        let h = sign_post(&key, "https://results.example/r", body, 1_700_000_000);
        assert!(
            h.signature_input
                .contains("created=1700000000;keyid=\"docval-1\";alg=\"hmac-sha256\"")
        );
        assert!(verify_post(b"shared secret", "https://results.example/r", body, &h));
        assert!(!verify_post(b"other secret", "https://results.example/r", body, &h));
        assert!(!verify_post(
            b"shared secret",
            "https://results.example/other",
            body,
            &h
        ));
        assert!(!verify_post(b"shared secret", "https://results.example/r", b"{}", &h));
    }
}
