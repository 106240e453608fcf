//! Signature algorithms: resolving an AlgorithmIdentifier and verifying a signature with a
//! SubjectPublicKeyInfo.

use crate::hash::HashAlg;
use crate::rsa::{PssParams, verify_pkcs1v15, verify_pss};
use emrtd_lds::asn1::AlgorithmIdentifier;
use emrtd_lds::pubkey::{EcParams, PublicKey, SubjectPublicKeyInfo};
use serde::Serialize;

/// A resolved signature scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum SigScheme {
    /// RSASSA-PKCS1-v1_5 (RFC 8017 §8.2) with this hash (sha*WithRSAEncryption, or
    /// rsaEncryption with the SignerInfo's digest algorithm).
    RsaPkcs1(HashAlg),
    /// RSASSA-PSS (RFC 8017 §8.1, id-RSASSA-PSS) with these parameters.
    RsaPss(PssParams),
    /// ECDSA (X9.62 ecdsa-with-SHA*, BSI ecdsa-plain-SHA*, or id-ecPublicKey with the
    /// SignerInfo's digest algorithm) with this hash; DER or plain `r || s` signatures.
    Ecdsa(HashAlg),
}

/// Resolves a signature AlgorithmIdentifier. `digest` is the hash to use when the OID names
/// only the key type (rsaEncryption, id-ecPublicKey as found in some SignerInfos).
pub fn resolve(alg: &AlgorithmIdentifier, digest: Option<HashAlg>) -> Result<SigScheme, String> {
    use HashAlg::*;
    let s = match alg.oid.as_str() {
        "1.2.840.113549.1.1.5" => SigScheme::RsaPkcs1(Sha1),
        "1.2.840.113549.1.1.14" => SigScheme::RsaPkcs1(Sha224),
        "1.2.840.113549.1.1.11" => SigScheme::RsaPkcs1(Sha256),
        "1.2.840.113549.1.1.12" => SigScheme::RsaPkcs1(Sha384),
        "1.2.840.113549.1.1.13" => SigScheme::RsaPkcs1(Sha512),
        "1.2.840.113549.1.1.1" => SigScheme::RsaPkcs1(digest.ok_or("rsaEncryption without a digest algorithm")?),
        "1.2.840.113549.1.1.10" => {
            SigScheme::RsaPss(PssParams::parse(alg.parameters.as_deref()).ok_or("bad RSASSA-PSS parameters")?)
        }
        "1.2.840.10045.4.1" | "0.4.0.127.0.7.1.1.4.1.1" => SigScheme::Ecdsa(Sha1),
        "1.2.840.10045.4.3.1" | "0.4.0.127.0.7.1.1.4.1.2" => SigScheme::Ecdsa(Sha224),
        "1.2.840.10045.4.3.2" | "0.4.0.127.0.7.1.1.4.1.3" => SigScheme::Ecdsa(Sha256),
        "1.2.840.10045.4.3.3" | "0.4.0.127.0.7.1.1.4.1.4" => SigScheme::Ecdsa(Sha384),
        "1.2.840.10045.4.3.4" | "0.4.0.127.0.7.1.1.4.1.5" => SigScheme::Ecdsa(Sha512),
        "1.2.840.10045.2.1" => SigScheme::Ecdsa(digest.ok_or("id-ecPublicKey without a digest algorithm")?),
        other => return Err(format!("unsupported signature algorithm {other}")),
    };
    Ok(s)
}

impl SigScheme {
    /// The hash over the message (the PSS message hash, not the MGF1 hash).
    pub fn hash(&self) -> HashAlg {
        match self {
            SigScheme::RsaPkcs1(h) | SigScheme::Ecdsa(h) => *h,
            SigScheme::RsaPss(p) => p.hash,
        }
    }
}

/// Verifies `sig` over `message` with `key`. `inherited` supplies EC parameters for a key
/// with implicitlyCA parameters (taken from the issuer).
pub fn verify(
    scheme: SigScheme,
    key: &SubjectPublicKeyInfo,
    inherited: Option<&EcParams>,
    message: &[u8],
    sig: &[u8],
) -> Result<bool, String> {
    let digest = scheme.hash().digest(message);
    match (&key.key, scheme) {
        (
            PublicKey::Rsa {
                modulus,
                public_exponent,
                ..
            },
            SigScheme::RsaPkcs1(h),
        ) => Ok(verify_pkcs1v15(modulus, public_exponent, h, &digest, sig)),
        (
            PublicKey::Rsa {
                modulus,
                public_exponent,
                ..
            },
            SigScheme::RsaPss(p),
        ) => Ok(verify_pss(modulus, public_exponent, p, &digest, sig)),
        (PublicKey::Ec { params, point }, SigScheme::Ecdsa(_)) => {
            let params = match params {
                EcParams::ImplicitlyCa => {
                    inherited.ok_or("EC key with implicitlyCA parameters and no issuer parameters")?
                }
                p => p,
            };
            let domain = params.domain().ok_or("EC parameters of an unknown named curve")?;
            Ok(crate::ec::ecdsa_verify(&crate::ec::curve(&domain), point, &digest, sig))
        }
        // A signature algorithm for another key type cannot verify with this key.
        _ => Ok(false),
    }
}
