//! RSA signature verification: PKCS#1 v1.5 (RFC 8017 §8.2.2) and RSASSA-PSS (RFC 8017 §8.1.2),
//! with the hash, MGF1 hash and salt length taken from the algorithm parameters.
//!
//! PKCS#1 v1.5 is verified by building the expected encoded message
//! `00 01 FF… 00 DigestInfo` for the hash and comparing it whole, in constant time, with
//! s^e mod n; nothing of the recovered message is parsed, so no attacker-chosen bytes can hide
//! in it (Bleichenbacher's 2006 forgery of signatures for e = 3 keys, issue 13). Two encodings
//! are expected: the DigestInfo's AlgorithmIdentifier with NULL parameters (RFC 8017) and
//! without parameters (RFC 3279 §2.2.1 allows both). A signature must have exactly the length
//! of the modulus (RFC 8017 §8.2.2 step 1), the modulus at least [`MIN_MODULUS_BITS`] bits and
//! the public exponent must be odd and at least 3.
//!
//! The public operation is this crate's Montgomery exponentiation over the bits of e
//! (crypto-bigint, variable time on public values): the RustCrypto `rsa` crate's verification
//! (constant-time modulus set-up and windowed exponentiation) measured about twice as slow on
//! the same keys (BENCHMARKS.md, "RSA verification"), outside the 1.5× the project allows.

use crate::hash::HashAlg;
use emrtd_lds::asn1;
use subtle::ConstantTimeEq;

/// The smallest modulus accepted, in bits: shorter keys are refused outright. Keys under
/// [`WEAK_MODULUS_BITS`] are accepted and reported by passive authentication
/// ([`crate::ReasonCode::WeakRsaKey`]).
pub const MIN_MODULUS_BITS: usize = 1024;
/// The largest modulus accepted, in bits.
pub const MAX_MODULUS_BITS: usize = 8192;
/// Moduli below this size are reported as weak.
pub const WEAK_MODULUS_BITS: usize = 2048;

/// RSASSA-PSS parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PssParams {
    /// hashAlgorithm: the message hash (default SHA-1).
    pub hash: HashAlg,
    /// The hash of the MGF1 mask generation function (default SHA-1).
    pub mgf_hash: HashAlg,
    /// saltLength in bytes (default 20).
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

/// The bit length of a big-endian modulus (leading zero bytes ignored).
pub fn modulus_bits(n: &[u8]) -> usize {
    let n = asn1::strip_int(n);
    match n.first() {
        Some(b) => n.len() * 8 - b.leading_zeros() as usize,
        None => 0,
    }
}

/// RSAVP1 and I2OSP (RFC 8017 §8.2.2 steps 1–2): s^e mod n as exactly k bytes, k the modulus
/// length; `None` when the signature is not k bytes long, s ≥ n, or the key is outside the
/// limits (modulus of [`MIN_MODULUS_BITS`]..=[`MAX_MODULUS_BITS`] bits, odd e ≥ 3).
fn rsa_public(n: &[u8], e: &[u8], sig: &[u8]) -> Option<Vec<u8>> {
    let n = asn1::strip_int(n);
    let e = asn1::strip_int(e);
    let k = n.len();
    let bits = modulus_bits(n);
    if !(MIN_MODULUS_BITS..=MAX_MODULUS_BITS).contains(&bits) || sig.len() != k || e.len() > 64 {
        return None;
    }
    let e_odd_ge_3 = e.last().is_some_and(|b| b & 1 == 1) && (e.len() > 1 || e.first().is_some_and(|b| *b >= 3));
    if !e_odd_ge_3 {
        return None;
    }
    let m = monty_public(n, e, sig)?;
    let m = asn1::strip_int(&m);
    if m.len() > k {
        return None;
    }
    let mut out = vec![0u8; k - m.len()];
    out.extend_from_slice(m);
    Some(out)
}

/// s^e mod n in Montgomery form (crypto-bigint) by left-to-right square-and-multiply over
/// the bits of the public exponent: 16 squarings and one multiplication for e = 65537.
/// Variable time, which is fine for public values. `None` for an even modulus (not an RSA
/// key), e < 3, or s ≥ n. Exponents wider than 64 bits (legal, never seen on a document) go
/// through crypto-bigint's bounded exponentiation.
fn monty_public(n: &[u8], e: &[u8], sig: &[u8]) -> Option<Vec<u8>> {
    use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
    use crypto_bigint::{BoxedUint, Odd};
    let n = asn1::strip_int(n);
    let e = asn1::strip_int(e);
    let sig = asn1::strip_int(sig);
    let bits = u32::try_from(n.len().checked_mul(8)?).ok()?.max(64);
    if sig.len() > n.len() {
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
    if e.len() > 8 {
        let e_bits = u32::try_from(e.len().checked_mul(8)?).ok()?;
        let e = BoxedUint::from_be_slice(e, e_bits).ok()?;
        let acc = base.pow_bounded_exp(&e, e.bit_width());
        return Some(acc.retrieve().to_be_bytes().to_vec());
    }
    let mut e_word = [0u8; 8];
    e_word.get_mut(8 - e.len()..)?.copy_from_slice(e);
    let e = u64::from_be_bytes(e_word);
    if e < 3 {
        return None;
    }
    let mut acc = base.clone();
    for i in (0..63 - e.leading_zeros()).rev() {
        acc = acc.square();
        if (e >> i) & 1 == 1 {
            acc = acc.mul(&base);
        }
    }
    Some(acc.retrieve().to_be_bytes().to_vec())
}

/// EMSA-PKCS1-v1_5-ENCODE (RFC 8017 §9.2) of `digest` into `k` bytes:
/// `00 01 FF… 00 30 L (30 L (06 oid [05 00])) (04 L digest)`, the AlgorithmIdentifier with NULL
/// parameters or without; `None` when k leaves fewer than 8 padding bytes.
pub fn pkcs1v15_encoded_message(hash: HashAlg, digest: &[u8], k: usize, null_params: bool) -> Option<Vec<u8>> {
    fn tlv(tag: u8, parts: &[&[u8]]) -> Option<Vec<u8>> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        // Every DigestInfo of the supported hashes has short-form lengths.
        let mut out = vec![tag, u8::try_from(len).ok().filter(|l| *l < 0x80)?];
        for p in parts {
            out.extend_from_slice(p);
        }
        Some(out)
    }
    let oid = tlv(0x06, &[&asn1::oid_from_string(hash.oid())?])?;
    let params: &[u8] = if null_params { &[0x05, 0x00] } else { &[] };
    let digest_info = tlv(0x30, &[&tlv(0x30, &[&oid, params])?, &tlv(0x04, &[digest])?])?;
    let ps_len = k.checked_sub(digest_info.len() + 3)?;
    if ps_len < 8 {
        return None;
    }
    let mut em = Vec::with_capacity(k);
    em.extend([0x00, 0x01]);
    em.resize(2 + ps_len, 0xFF);
    em.push(0x00);
    em.extend(digest_info);
    Some(em)
}

/// RSASSA-PKCS1-v1_5 verification: s^e mod n must equal the expected encoded message for
/// `hash` and `digest` (NULL or absent parameters) byte for byte.
pub fn verify_pkcs1v15(n: &[u8], e: &[u8], hash: HashAlg, digest: &[u8], sig: &[u8]) -> bool {
    if digest.len() != hash.len() {
        return false;
    }
    let Some(em) = rsa_public(n, e, sig) else {
        return false;
    };
    let mut ok = subtle::Choice::from(0);
    for null_params in [true, false] {
        if let Some(expected) = pkcs1v15_encoded_message(hash, digest, em.len(), null_params) {
            ok |= expected.as_slice().ct_eq(em.as_slice());
        }
    }
    ok.into()
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
    let mod_bits = modulus_bits(n);
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

    /// s^e mod n by schoolbook square-and-multiply on u128 (moduli below 2^64).
    fn modpow_u128(s: u128, e: u128, n: u128) -> u128 {
        let (mut acc, mut base, mut e) = (1u128, s % n, e);
        while e > 0 {
            if e & 1 == 1 {
                acc = acc * base % n;
            }
            base = base * base % n;
            e >>= 1;
        }
        acc
    }

    fn be(v: u128) -> Vec<u8> {
        asn1::strip_int(&v.to_be_bytes()).to_vec()
    }

    /// The Montgomery square-and-multiply agrees with an independent u128 computation for
    /// s = 0, 1, 2, n - 1 and several exponents (3, 65537, 2^32 + 1, 2^63 - 1, and 2^64 + 1,
    /// which takes the wide-exponent path), on the prime modulus 2^64 - 59.
    #[test]
    fn montgomery_matches_schoolbook_modpow() {
        let n: u128 = (1u128 << 64) - 59;
        for e in [3u128, 65537, (1 << 32) + 1, (1 << 63) - 1, (1 << 64) + 1] {
            for s in [0u128, 1, 2, 0x4242_4242_4242, n - 1] {
                let got = monty_public(&be(n), &be(e), &be(s)).unwrap();
                assert_eq!(
                    asn1::strip_int(&got),
                    be(modpow_u128(s, e, n)).as_slice(),
                    "e {e} s {s}"
                );
            }
        }
        // s >= n, an even modulus and e < 3 are refused.
        assert!(monty_public(&be(n), &be(65537), &be(n)).is_none());
        assert!(monty_public(&be(n + 1), &be(65537), &be(2)).is_none());
        assert!(monty_public(&be(n), &be(1), &be(2)).is_none());
    }

    /// The expected encodings are the DigestInfo prefixes of RFC 8017 §9.2 note 1.
    #[test]
    fn encoded_message_matches_rfc_8017_prefixes() {
        let d = [0xAB; 32];
        let em = pkcs1v15_encoded_message(HashAlg::Sha256, &d, 256, true).unwrap();
        let prefix = hex::decode("3031300d060960864801650304020105000420").unwrap();
        assert_eq!(em.len(), 256);
        assert_eq!(&em[..2], &[0x00, 0x01]);
        assert!(em[2..256 - 52].iter().all(|b| *b == 0xFF));
        assert_eq!(em[256 - 52], 0x00);
        assert_eq!(&em[256 - 51..256 - 32], prefix.as_slice());
        assert_eq!(&em[256 - 32..], &d);
        let em = pkcs1v15_encoded_message(HashAlg::Sha256, &d, 256, false).unwrap();
        let prefix = hex::decode("302f300b06096086480165030402010420").unwrap();
        assert_eq!(&em[256 - 49..256 - 32], prefix.as_slice());
        let em = pkcs1v15_encoded_message(HashAlg::Sha1, &[1; 20], 128, true).unwrap();
        let prefix = hex::decode("3021300906052b0e03021a05000414").unwrap();
        assert_eq!(&em[128 - 35..128 - 20], prefix.as_slice());
        // Fewer than 8 padding bytes.
        assert!(pkcs1v15_encoded_message(HashAlg::Sha512, &[0; 64], 64 + 19 + 10, true).is_none());
        assert!(pkcs1v15_encoded_message(HashAlg::Sha512, &[0; 64], 64 + 19 + 11, true).is_some());
    }

    #[test]
    fn modulus_bits_ignores_leading_zeros() {
        assert_eq!(modulus_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(modulus_bits(&[0x01, 0xFF]), 9);
        assert_eq!(modulus_bits(&[]), 0);
    }

    /// Keys and signatures outside the limits are refused, not verified with.
    #[test]
    fn rsa_public_limits() {
        let mut n = vec![0xC5; 128];
        n[127] |= 1;
        let sig = vec![0x11; 128];
        assert!(rsa_public(&n, &[3], &sig).is_some());
        assert!(rsa_public(&n, &[1, 0, 1], &sig).is_some());
        assert!(
            rsa_public(&[&[0][..], &n].concat(), &[3], &sig).is_some(),
            "INTEGER sign byte"
        );
        assert!(rsa_public(&n, &[1], &sig).is_none(), "e = 1");
        assert!(rsa_public(&n, &[4], &sig).is_none(), "even e");
        assert!(rsa_public(&n, &[], &sig).is_none());
        assert!(rsa_public(&n, &[3], &n).is_none(), "s = n");
        assert!(rsa_public(&n, &[3], &sig[1..]).is_none(), "short signature");
        assert!(
            rsa_public(&n, &[3], &[&[0][..], &sig].concat()).is_none(),
            "long signature"
        );
        assert!(rsa_public(&n[1..], &[3], &sig[1..]).is_none(), "1016-bit modulus");
        assert!(rsa_public(&vec![0xFF; 1025], &[3], &vec![0x11; 1025]).is_none());
    }
}
