//! Finite-field Diffie-Hellman for Chip Authentication with DH (Doc 9303-11 §6.2, BSI
//! TR-03110 / PKCS#3), on the modular arithmetic of `emrtd_crypto::dh`.
//!
//! The shared secret K is `y^x mod p` encoded with the length of p.

use crate::error::KeyError;
use crate::util::strip_leading_zeros;
use emrtd_crypto::SecretBytes;
use emrtd_crypto::dh::DhGroup as Group;
use rand_core::CryptoRng;

/// A finite-field Diffie-Hellman group (big-endian, no leading zeros).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DhGroup {
    /// The prime modulus p.
    pub p: Vec<u8>,
    /// The generator g.
    pub g: Vec<u8>,
    /// The subgroup order (X9.42 parameters); absent for PKCS#3 parameters.
    pub q: Option<Vec<u8>>,
}

impl DhGroup {
    /// Length of p in bytes (the length of public values and of the shared secret K).
    pub fn p_len(&self) -> usize {
        strip_leading_zeros(&self.p).len()
    }
}

fn group(g: &DhGroup) -> Result<Group, KeyError> {
    Group::new(&g.p, &g.g, g.q.as_deref()).map_err(|e| KeyError::Malformed(format!("DH parameters: {e}")))
}

/// Checks a DH public value: `1 < y < p - 1`, and `y^q = 1 mod p` when q is known.
pub fn check_public(g: &DhGroup, y: &[u8]) -> Result<(), KeyError> {
    group(g)?
        .decode_element(y)
        .map(|_| ())
        .map_err(|_| KeyError::InvalidPublicKey)
}

/// `g^x mod p`, without leading zeros.
pub fn public_from_private(g: &DhGroup, x: &[u8]) -> Result<Vec<u8>, KeyError> {
    let grp = group(g)?;
    if strip_leading_zeros(x).is_empty() {
        return Err(KeyError::InvalidPrivateKey);
    }
    let y = grp.pow(&grp.generator(), x).map_err(|_| KeyError::InvalidPrivateKey)?;
    if grp.is_one(&y) {
        return Err(KeyError::InvalidPrivateKey);
    }
    Ok(strip_leading_zeros(&grp.encode_element(&y)).to_vec())
}

/// The shared secret `peer^x mod p` as `p_len` bytes, after checking the peer's value.
pub fn shared_secret(g: &DhGroup, x: &[u8], peer: &[u8]) -> Result<SecretBytes, KeyError> {
    let grp = group(g)?;
    let e = grp.decode_element(peer).map_err(|_| KeyError::InvalidPublicKey)?;
    if strip_leading_zeros(x).is_empty() {
        return Err(KeyError::InvalidPrivateKey);
    }
    let k = grp.pow(&e, x).map_err(|_| KeyError::InvalidPrivateKey)?;
    if grp.is_one(&k) {
        return Err(KeyError::InvalidPublicKey);
    }
    Ok(grp.element_secret(&k))
}

/// Draws a private exponent (below q when q is known, else below p - 1) and its public value.
pub fn generate<R: CryptoRng + ?Sized>(g: &DhGroup, rng: &mut R) -> Result<(SecretBytes, Vec<u8>), KeyError> {
    let grp = group(g)?;
    let x = grp.random_exponent(rng).map_err(|_| KeyError::InvalidPrivateKey)?;
    let y = public_from_private(g, &x)?;
    Ok((x, y))
}
