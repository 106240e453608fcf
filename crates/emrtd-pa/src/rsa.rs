//! RSA signature verification: PKCS#1 v1.5 and RSASSA-PSS (RFC 8017 §8), with the hash, MGF1
//! hash and salt length taken from the algorithm parameters.

use crate::hash::HashAlg;
use emrtd_lds::asn1;
use num_bigint::BigUint;

/// RSASSA-PSS parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PssParams {
    pub hash: HashAlg,
    pub mgf_hash: HashAlg,
    pub salt_len: usize,
}

impl PssParams {
    /// Parses RSASSA-PSS-params (RFC 4055); absent fields take the defaults (SHA-1, MGF1-SHA-1, 20).
    pub fn parse(raw: Option<&[u8]>) -> Option<Self> {
        let mut p = PssParams {
            hash: HashAlg::Sha1,
            mgf_hash: HashAlg::Sha1,
            salt_len: 20,
        };
        let Some(raw) = raw else { return Some(p) };
        if raw == [0x05, 0x00] {
            return Some(p);
        }
        let t = asn1::one(raw).ok()?;
        for c in t.children().ok()? {
            let c = c.ok()?;
            let inner = c.children().ok()?.next()?.ok()?;
            match c.tag.0 {
                0xA0 => {
                    let alg = asn1::AlgorithmIdentifier::parse(&inner).ok()?;
                    p.hash = HashAlg::from_oid(&alg.oid)?;
                }
                0xA1 => {
                    let mgf = asn1::AlgorithmIdentifier::parse(&inner).ok()?;
                    if mgf.oid != "1.2.840.113549.1.1.8" {
                        return None;
                    }
                    let h = asn1::one(mgf.parameters.as_deref()?).ok()?;
                    let halg = asn1::AlgorithmIdentifier::parse(&h).ok()?;
                    p.mgf_hash = HashAlg::from_oid(&halg.oid)?;
                }
                0xA2 => {
                    p.salt_len = usize::try_from(asn1::read_small_int(&inner).ok()?).ok()?;
                }
                0xA3 => {
                    if asn1::read_small_int(&inner).ok()? != 1 {
                        return None;
                    }
                }
                _ => return None,
            }
        }
        Some(p)
    }
}

/// s^e mod n as a big-endian byte string of the modulus length; `None` when s ≥ n.
fn rsa_public(n: &[u8], e: &[u8], sig: &[u8]) -> Option<Vec<u8>> {
    if n.len() > 1024 || e.len() > 64 {
        return None;
    }
    let k = asn1::strip_int(n).len();
    let m = match monty_public(n, e, sig) {
        Some(m) => m,
        None => rsa_public_generic(n, e, sig)?,
    };
    let m = asn1::strip_int(&m);
    if m.len() > k {
        return None;
    }
    let mut out = vec![0u8; k - m.len()];
    out.extend_from_slice(m);
    Some(out)
}

/// s^e mod n with num-bigint (any modulus and exponent); big-endian, no fixed length.
fn rsa_public_generic(n: &[u8], e: &[u8], sig: &[u8]) -> Option<Vec<u8>> {
    let n_int = BigUint::from_bytes_be(n);
    let s = BigUint::from_bytes_be(sig);
    if s >= n_int {
        return None;
    }
    Some(s.modpow(&BigUint::from_bytes_be(e), &n_int).to_bytes_be())
}

/// s^e mod n in Montgomery form (crypto-bigint) by left-to-right square-and-multiply over
/// the bits of the public exponent: 16 squarings and one multiplication for e = 65537, about
/// five times faster than num-bigint's windowed `modpow`. Variable time, which is fine for
/// public values. `None` when this path does not apply (even modulus, e < 3) — the caller
/// then uses [`rsa_public_generic`] — or when s ≥ n (also rejected there).
fn monty_public(n: &[u8], e: &[u8], sig: &[u8]) -> Option<Vec<u8>> {
    use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
    use crypto_bigint::{BoxedUint, Odd};
    let n = asn1::strip_int(n);
    let e = asn1::strip_int(e);
    let sig = asn1::strip_int(sig);
    let bits = u32::try_from(n.len().checked_mul(8)?).ok()?.max(64);
    if sig.len() > n.len() || e.len() > 8 {
        return None;
    }
    let mut e_word = [0u8; 8];
    e_word.get_mut(8 - e.len()..)?.copy_from_slice(e);
    let e = u64::from_be_bytes(e_word);
    if e < 3 {
        return None;
    }
    let n = BoxedUint::from_be_slice(n, bits).ok()?;
    let s = BoxedUint::from_be_slice(sig, bits).ok()?;
    if s >= n {
        return None;
    }
    let n = Odd::new(n).into_option()?;
    let params = BoxedMontyParams::new_vartime(n);
    let base = BoxedMontyForm::new(s, &params);
    let mut acc = base.clone();
    for i in (0..63 - e.leading_zeros()).rev() {
        acc = acc.square();
        if (e >> i) & 1 == 1 {
            acc = acc.mul(&base);
        }
    }
    Some(acc.retrieve().to_be_bytes().to_vec())
}

/// PKCS#1 v1.5: EM = 00 01 FF… 00 DigestInfo, DigestInfo naming `hash` with NULL or absent
/// parameters.
pub fn verify_pkcs1v15(n: &[u8], e: &[u8], hash: HashAlg, digest: &[u8], sig: &[u8]) -> bool {
    let Some(em) = rsa_public(n, e, sig) else {
        return false;
    };
    let Some(rest) = em.strip_prefix(&[0x00, 0x01]) else {
        return false;
    };
    let ff = rest.iter().take_while(|b| **b == 0xFF).count();
    if ff < 8 {
        return false;
    }
    let Some((0, digest_info)) = rest.get(ff..).and_then(|r| r.split_first()) else {
        return false;
    };
    let Ok(t) = asn1::one(digest_info) else {
        return false;
    };
    let Ok(c) = asn1::children(&t) else {
        return false;
    };
    let (Some(alg), Some(h), None) = (c.first(), c.get(1), c.get(2)) else {
        return false;
    };
    let Ok(alg) = asn1::AlgorithmIdentifier::parse(alg) else {
        return false;
    };
    HashAlg::from_oid(&alg.oid) == Some(hash)
        && alg.params_absent_or_null()
        && h.tag == asn1::TAG_OCTET_STRING
        && h.value == digest
}

fn mgf1(hash: HashAlg, seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + hash.len());
    let mut counter: u32 = 0;
    while out.len() < len {
        let mut input = seed.to_vec();
        input.extend(counter.to_be_bytes());
        out.extend(hash.digest(&input));
        counter = counter.wrapping_add(1);
    }
    out.truncate(len);
    out
}

/// RSASSA-PSS verification (EMSA-PSS-VERIFY, RFC 8017 §9.1.2).
pub fn verify_pss(n: &[u8], e: &[u8], params: PssParams, digest: &[u8], sig: &[u8]) -> bool {
    let Some(m) = rsa_public(n, e, sig) else {
        return false;
    };
    let n_int = BigUint::from_bytes_be(n);
    let mod_bits = usize::try_from(n_int.bits()).unwrap_or(0);
    if mod_bits < 2 {
        return false;
    }
    let em_bits = mod_bits - 1;
    let em_len = em_bits.div_ceil(8);
    // m has k bytes; EM is its last em_len bytes (the leading byte is zero when k > em_len).
    let Some(split) = m.len().checked_sub(em_len) else {
        return false;
    };
    let (lead, em) = m.split_at(split);
    if lead.iter().any(|b| *b != 0) {
        return false;
    }
    let h_len = params.hash.len();
    let s_len = params.salt_len;
    if em_len < h_len.saturating_add(s_len).saturating_add(2) || digest.len() != h_len {
        return false;
    }
    if em.last() != Some(&0xBC) {
        return false;
    }
    let db_len = em_len - h_len - 1;
    let (masked_db, rest) = em.split_at(db_len);
    let Some(h) = rest.get(..h_len) else {
        return false;
    };
    let unused = 8 * em_len - em_bits;
    let top_mask = 0xFFu8.checked_shr(unused as u32).unwrap_or(0);
    if masked_db.first().is_some_and(|b| b & !top_mask != 0) {
        return false;
    }
    let mask = mgf1(params.mgf_hash, h, db_len);
    let mut db: Vec<u8> = masked_db.iter().zip(mask).map(|(a, b)| a ^ b).collect();
    if let Some(b) = db.first_mut() {
        *b &= top_mask;
    }
    let ps_len = db_len - s_len - 1;
    if db.get(..ps_len).is_none_or(|ps| ps.iter().any(|b| *b != 0)) || db.get(ps_len) != Some(&1) {
        return false;
    }
    let salt = db.get(ps_len + 1..).unwrap_or_default();
    let mut m_prime = vec![0u8; 8];
    m_prime.extend(digest);
    m_prime.extend(salt);
    params.hash.digest(&m_prime) == h
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    /// The Montgomery path and num-bigint agree, including s = 0, 1, n - 1 and several
    /// exponents, on moduli of several sizes.
    #[test]
    fn montgomery_and_generic_agree() {
        let moduli: [&[u8]; 3] = [
            &[0xC5, 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0x11],
            &[0xFF; 40],
            &[0x9D; 256],
        ];
        for n in moduli {
            let mut n = n.to_vec();
            *n.last_mut().unwrap() |= 1;
            let n_int = BigUint::from_bytes_be(&n);
            let n_minus_1 = (&n_int - 1u8).to_bytes_be();
            for e in [
                &[3u8][..],
                &[1, 0, 1],
                &[0x01, 0x00, 0x00, 0x00, 0x01],
                &[0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
            ] {
                for s in [vec![0u8], vec![1], vec![2], vec![0x42; n.len() - 1], n_minus_1.clone()] {
                    let want = rsa_public_generic(&n, e, &s).unwrap();
                    let got = monty_public(&n, e, &s).unwrap();
                    assert_eq!(asn1::strip_int(&got), asn1::strip_int(&want), "n {} e {e:?}", n.len());
                }
            }
            // s >= n is rejected by both.
            assert!(monty_public(&n, &[1, 0, 1], &n).is_none());
            assert!(rsa_public_generic(&n, &[1, 0, 1], &n).is_none());
            assert!(rsa_public(&n, &[1, 0, 1], &n).is_none());
        }
    }
}
