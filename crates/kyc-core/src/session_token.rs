//! Session tokens: compact JWS (JWT) with HS256, as the vendor's `sessionToken`
//! (`eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.<payload>.<signature>`), payload
//! `{"session_id":"…","iat":…,"exp":…}` (seconds since the epoch).
//!
//! Only HS256 is accepted (no `none`, no other algorithm); the signature is compared in constant
//! time; tokens longer than [`MAX_TOKEN_LEN`] are refused before decoding.

use crate::signature::{self, Scheme};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use thiserror::Error;

/// Longest token accepted.
pub const MAX_TOKEN_LEN: usize = 512;

/// The JOSE header of every token: `{"alg":"HS256","typ":"JWT"}`.
const HEADER_JSON: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// Why a token is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum TokenError {
    /// Not three base64url parts, longer than [`MAX_TOKEN_LEN`], or a header/payload that is not
    /// the expected JSON.
    #[error("malformed session token")]
    Malformed,
    /// The header's `alg` is not `HS256` (e.g. `none`).
    #[error("session token algorithm is not HS256")]
    Algorithm,
    /// The HS256 signature does not match the key.
    #[error("session token signature is invalid")]
    Signature,
    /// `now` is at or after the `exp` claim.
    #[error("session token expired")]
    Expired,
}

/// The payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The session the token grants access to (a UUID).
    pub session_id: String,
    /// Issued at, seconds since the Unix epoch.
    pub iat: i64,
    /// Expires at, seconds since the Unix epoch; the token is refused from this second on.
    pub exp: i64,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

/// The HS256 key of session tokens, derived from a server secret (so that the secret itself
/// never keys anything else).
pub fn derive_key(secret: &[u8]) -> [u8; 32] {
    signature::digest(Scheme::Hmac, secret, b"kyc-gateway/session-token/v1")
}

fn mac(key: &[u8], signing_input: &str) -> [u8; 32] {
    signature::digest(Scheme::Hmac, key, signing_input.as_bytes())
}

/// Issues a token for `claims`.
pub fn issue(key: &[u8], claims: &Claims) -> String {
    let payload = serde_json::to_vec(claims).unwrap_or_default();
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(HEADER_JSON),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let sig = URL_SAFE_NO_PAD.encode(mac(key, &input));
    format!("{input}.{sig}")
}

/// Whether `token` has the shape of a JWT (three base64url parts), bounded.
pub fn looks_like_jwt(token: &str) -> bool {
    token.len() <= MAX_TOKEN_LEN
        && token.split('.').count() == 3
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// Checks the algorithm, signature and expiry (`now`, seconds) of a token; its claims.
pub fn verify(key: &[u8], token: &str, now: i64) -> Result<Claims, TokenError> {
    if !looks_like_jwt(token) {
        return Err(TokenError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(TokenError::Malformed);
    };
    let header: Header = URL_SAFE_NO_PAD
        .decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(TokenError::Malformed)?;
    if header.alg != "HS256" {
        return Err(TokenError::Algorithm);
    }
    let sig = URL_SAFE_NO_PAD.decode(s).map_err(|_| TokenError::Malformed)?;
    let expected = mac(key, token.get(..h.len() + 1 + p.len()).ok_or(TokenError::Malformed)?);
    if sig.len() != expected.len() || !bool::from(expected.ct_eq(sig.as_slice())) {
        return Err(TokenError::Signature);
    }
    let claims: Claims = URL_SAFE_NO_PAD
        .decode(p)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(TokenError::Malformed)?;
    if now >= claims.exp {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let key = derive_key(b"server secret");
        let c = Claims {
            session_id: "aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7".into(),
            iat: 1_501_228_251,
            exp: 1_501_833_051,
        };
        let t = issue(&key, &c);
        // The vendor's header, byte for byte.
        assert!(t.starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."), "{t}");
        assert!(looks_like_jwt(&t));
        assert_eq!(verify(&key, &t, c.iat), Ok(c.clone()));
        assert_eq!(verify(&key, &t, c.exp), Err(TokenError::Expired));
        assert_eq!(verify(&derive_key(b"other"), &t, c.iat), Err(TokenError::Signature));
        // alg none / HS512 refused.
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
            t.split('.').nth(1).unwrap()
        );
        assert_eq!(verify(&key, &none, c.iat), Err(TokenError::Algorithm));
        // Tampered payload.
        let mut parts: Vec<String> = t.split('.').map(String::from).collect();
        parts[1] = URL_SAFE_NO_PAD.encode(r#"{"session_id":"x","iat":0,"exp":9999999999}"#);
        assert_eq!(verify(&key, &parts.join("."), c.iat), Err(TokenError::Signature));
        for bad in ["", "a.b", "a.b.c.d", "é.b.c", &"a".repeat(MAX_TOKEN_LEN + 1)] {
            assert_eq!(verify(&key, bad, c.iat), Err(TokenError::Malformed), "{bad}");
        }
    }
}
