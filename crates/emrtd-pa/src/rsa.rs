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
    let n_int = BigUint::from_bytes_be(n);
    let s = BigUint::from_bytes_be(sig);
    if s >= n_int || n.len() > 1024 || e.len() > 64 {
        return None;
    }
    let m = s.modpow(&BigUint::from_bytes_be(e), &n_int).to_bytes_be();
    let k = asn1::strip_int(n).len();
    if m.len() > k {
        return None;
    }
    let mut out = vec![0u8; k - m.len()];
    out.extend(m);
    Some(out)
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
