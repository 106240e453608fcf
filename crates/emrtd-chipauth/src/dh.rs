//! Finite-field Diffie-Hellman for Chip Authentication with DH (Doc 9303-11 §6.2, BSI
//! TR-03110 / PKCS#3): modular exponentiation on crypto-bigint's Montgomery form.
//!
//! The shared secret K is `y^x mod p` encoded with the length of p.

use crate::error::KeyError;
use crate::keys::DhGroup;
use crate::util::{cmp_be, left_pad, random_below, strip_leading_zeros};
use core::cmp::Ordering;
use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Odd};
use emrtd_crypto::SecretBytes;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

fn params(group: &DhGroup) -> Result<BoxedMontyParams, KeyError> {
    let p = BoxedUint::from_be_slice_vartime(strip_leading_zeros(&group.p));
    let odd =
        Option::<Odd<BoxedUint>>::from(Odd::new(p)).ok_or_else(|| KeyError::Malformed("DH modulus is even".into()))?;
    Ok(BoxedMontyParams::new_vartime(odd))
}

/// `base^exp mod p` as `p_len` bytes; `base` must be smaller than p.
fn modpow(group: &DhGroup, base: &[u8], exp: &[u8]) -> Result<SecretBytes, KeyError> {
    if cmp_be(base, &group.p) != Ordering::Less {
        return Err(KeyError::InvalidPublicKey);
    }
    let params = params(group)?;
    let b = BoxedUint::from_be_slice(strip_leading_zeros(base), params.bits_precision())
        .map_err(|_| KeyError::InvalidPublicKey)?;
    let e = BoxedUint::from_be_slice_vartime(strip_leading_zeros(exp));
    let r = BoxedMontyForm::new(b, &params).pow(&e).retrieve();
    let bytes = Zeroizing::new(r.to_be_bytes().to_vec());
    left_pad(&bytes, group.p_len())
        .map(Zeroizing::new)
        .ok_or(KeyError::InvalidPublicKey)
}

/// Checks a DH public value: `1 < y < p - 1`, and `y^q = 1 mod p` when q is known.
pub fn check_public(group: &DhGroup, y: &[u8]) -> Result<(), KeyError> {
    let y = strip_leading_zeros(y);
    if y.is_empty() || y == [1] {
        return Err(KeyError::InvalidPublicKey);
    }
    let mut p_minus_1 = strip_leading_zeros(&group.p).to_vec();
    if let Some(last) = p_minus_1.last_mut() {
        *last &= 0xFE; // p is odd
    }
    if cmp_be(y, &p_minus_1) != Ordering::Less {
        return Err(KeyError::InvalidPublicKey);
    }
    if let Some(q) = &group.q {
        let r = modpow(group, y, q)?;
        if strip_leading_zeros(&r) != [1] {
            return Err(KeyError::InvalidPublicKey);
        }
    }
    Ok(())
}

/// `g^x mod p`, without leading zeros.
pub fn public_from_private(group: &DhGroup, x: &[u8]) -> Result<Vec<u8>, KeyError> {
    if strip_leading_zeros(x).is_empty() {
        return Err(KeyError::InvalidPrivateKey);
    }
    let y = modpow(group, &group.g, x)?;
    Ok(strip_leading_zeros(&y).to_vec())
}

/// The shared secret `peer^x mod p` as `p_len` bytes, after checking the peer's value.
pub fn shared_secret(group: &DhGroup, x: &[u8], peer: &[u8]) -> Result<SecretBytes, KeyError> {
    check_public(group, peer)?;
    if strip_leading_zeros(x).is_empty() {
        return Err(KeyError::InvalidPrivateKey);
    }
    modpow(group, peer, x)
}

/// Draws a private exponent (below q when q is known, else below p - 1) and its public value.
pub fn generate<R: CryptoRng + ?Sized>(group: &DhGroup, rng: &mut R) -> Result<(SecretBytes, Vec<u8>), KeyError> {
    let bound = group.q.clone().unwrap_or_else(|| {
        let mut b = strip_leading_zeros(&group.p).to_vec();
        if let Some(l) = b.last_mut() {
            *l &= 0xFE;
        }
        b
    });
    let x = random_below(&bound, rng).ok_or(KeyError::InvalidPrivateKey)?;
    let y = public_from_private(group, &x)?;
    Ok((x, y))
}
