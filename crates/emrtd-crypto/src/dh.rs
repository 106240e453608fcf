//! Modular Diffie-Hellman over a prime field (X9.42 domain parameters p, g, q), as used by
//! PACE-DH and Chip Authentication DH with the RFC 5114 groups (standardized ids 0-2) or
//! explicit parameters.
//!
//! Exponentiation uses `BoxedMontyForm::pow`, a fixed-window exponentiation whose running
//! time depends only on the precision of the exponent, not on its value.

use crate::SecretBytes;
use crate::ec::{AsymError, MAX_FIELD_BITS, RANDOM_ATTEMPTS, fixed_be, reduce_mod, strip_zeros, uint};
use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, CtEq, NonZero, Odd};
use rand_core::CryptoRng;
use zeroize::Zeroizing;

/// A DH group: prime p, generator g, and (when known) the prime order q of g.
#[derive(Clone, Debug)]
pub struct DhGroup {
    id: Option<u32>,
    name: Option<&'static str>,
    p: Odd<BoxedUint>,
    params: BoxedMontyParams,
    g: BoxedMontyForm,
    q: Option<Odd<BoxedUint>>,
    p_len: usize,
    q_len: usize,
    bits: u32,
}

/// An element of the multiplicative group mod p (a public key or shared value).
#[derive(Clone, Debug)]
pub struct DhElement(BoxedMontyForm);

impl zeroize::Zeroize for DhElement {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl DhGroup {
    /// Builds a group from explicit parameters (big-endian). Checks p odd, 1 < g < p-1 and,
    /// when q is given, g^q = 1.
    pub fn new(p: &[u8], g: &[u8], q: Option<&[u8]>) -> Result<Self, AsymError> {
        Self::build(p, g, q, None, None)
    }

    pub(crate) fn build(
        p: &[u8],
        g: &[u8],
        q: Option<&[u8]>,
        id: Option<u32>,
        name: Option<&'static str>,
    ) -> Result<Self, AsymError> {
        let ps = strip_zeros(p);
        let p_len = ps.len();
        if p_len < 16 || p_len * 8 > MAX_FIELD_BITS as usize {
            return Err(AsymError::BadDomain("DH modulus size"));
        }
        let bits = (p_len as u32 * 8).div_ceil(64) * 64;
        let p_odd = Odd::new(uint(ps, bits)?)
            .into_option()
            .ok_or(AsymError::BadDomain("p even"))?;
        let params = BoxedMontyParams::new_vartime(p_odd.clone());
        let q_odd = match q {
            Some(q) => {
                let qs = strip_zeros(q);
                if qs.is_empty() || qs.len() > p_len {
                    return Err(AsymError::BadDomain("q size"));
                }
                Some(
                    Odd::new(uint(qs, bits)?)
                        .into_option()
                        .ok_or(AsymError::BadDomain("q even"))?,
                )
            }
            None => None,
        };
        let q_len = q_odd
            .as_ref()
            .map(|q| strip_zeros(&q.as_ref().to_be_bytes()).len())
            .unwrap_or(p_len);
        let mut group = DhGroup {
            id,
            name,
            p: p_odd,
            params: params.clone(),
            g: BoxedMontyForm::one(&params),
            q: q_odd,
            p_len,
            q_len,
            bits,
        };
        group.g = group
            .decode_element(g)
            .map_err(|_| AsymError::BadDomain("generator out of range or not of order q"))?
            .0;
        Ok(group)
    }

    /// The standardized domain parameter id (0-2), if standardized.
    pub fn id(&self) -> Option<u32> {
        self.id
    }

    /// The name of a standardized group (RFC 5114 §2.1–2.3 for ids 0–2), `None` for explicit ones.
    pub fn name(&self) -> Option<&'static str> {
        self.name
    }

    /// Bytes of p (and of an encoded element).
    pub fn p_len(&self) -> usize {
        self.p_len
    }

    /// Bit length of p.
    pub fn p_bits(&self) -> u32 {
        self.p.as_ref().bit_width()
    }

    /// Bytes of q (of p when q is unknown).
    pub fn q_len(&self) -> usize {
        self.q_len
    }

    /// The prime p, big-endian, [`DhGroup::p_len`] bytes.
    pub fn p_bytes(&self) -> Vec<u8> {
        fixed_be(self.p.as_ref(), self.p_len)
    }

    /// The subgroup order q, big-endian, [`DhGroup::q_len`] bytes, when known.
    pub fn q_bytes(&self) -> Option<Vec<u8>> {
        self.q.as_ref().map(|q| fixed_be(q.as_ref(), self.q_len))
    }

    /// The generator g as a group element.
    pub fn generator(&self) -> DhElement {
        DhElement(self.g.clone())
    }

    /// Decodes a big-endian element and validates it: 1 < y < p-1 and, when q is known,
    /// y^q = 1 (RFC 2631 §2.1.5 public key validation).
    pub fn decode_element(&self, bytes: &[u8]) -> Result<DhElement, AsymError> {
        let ys = strip_zeros(bytes);
        if ys.len() > self.p_len || bytes.len() > self.p_len + 1 {
            return Err(AsymError::DhRange);
        }
        let y = uint(ys, self.bits)?;
        let p_minus_1 = self.p.as_ref().wrapping_sub(BoxedUint::one_with_precision(self.bits));
        let one = BoxedUint::one_with_precision(self.bits);
        if y.cmp_vartime(&one) != core::cmp::Ordering::Greater || y.cmp_vartime(&p_minus_1) != core::cmp::Ordering::Less
        {
            return Err(AsymError::DhRange);
        }
        let e = BoxedMontyForm::new(y, &self.params);
        if let Some(q) = &self.q {
            let check = e.pow(q.as_ref());
            if !check.ct_eq(&BoxedMontyForm::one(&self.params)).to_bool() {
                return Err(AsymError::DhRange);
            }
        }
        Ok(DhElement(e))
    }

    /// Encodes an element as big-endian of [`DhGroup::p_len`] bytes.
    pub fn encode_element(&self, e: &DhElement) -> Vec<u8> {
        fixed_be(&e.0.retrieve(), self.p_len)
    }

    /// The shared value as [`DhGroup::p_len`] bytes (the DH shared secret).
    pub fn element_secret(&self, e: &DhElement) -> SecretBytes {
        Zeroizing::new(fixed_be(&e.0.retrieve(), self.p_len))
    }

    /// `base^x mod p`, constant time with respect to the value of `x` (its byte length, public,
    /// bounds the work: any length up to p's).
    pub fn pow(&self, base: &DhElement, x: &[u8]) -> Result<DhElement, AsymError> {
        // Only an over-long input (leading `00`) has its zeros stripped.
        let xs = if x.len() * 8 > self.bits as usize {
            strip_zeros(x)
        } else {
            x
        };
        if xs.len() * 8 > self.bits as usize {
            return Err(AsymError::BadScalar);
        }
        let e = Zeroizing::new(BoxedUint::from_be_slice(xs, self.bits).map_err(|_| AsymError::BadScalar)?);
        // The exponent's byte length is public (q_len for generated keys); its value is not.
        let exp_bits = u32::try_from(xs.len() * 8).map_err(|_| AsymError::BadScalar)?;
        Ok(DhElement(base.0.pow_bounded_exp(&e, exp_bits.max(1))))
    }

    /// `a · b mod p`.
    pub fn mul(&self, a: &DhElement, b: &DhElement) -> DhElement {
        DhElement(a.0.mul(&b.0))
    }

    /// Whether the element is 1.
    pub fn is_one(&self, e: &DhElement) -> bool {
        e.0.ct_eq(&BoxedMontyForm::one(&self.params)).to_bool()
    }

    /// Element equality.
    pub fn element_eq(&self, a: &DhElement, b: &DhElement) -> bool {
        a.0.ct_eq(&b.0).to_bool()
    }

    /// A random private exponent: [`DhGroup::q_len`] bytes in [1, q-1] when q is known
    /// (rejection sampling, so a fixed-bytes source reproduces a given key), otherwise
    /// `p_len` bytes in [1, p-2].
    pub fn random_exponent<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> Result<SecretBytes, AsymError> {
        let bound = self.q.as_ref().unwrap_or(&self.p);
        let bound_bits = bound.as_ref().bit_width();
        let top = bound_bits % 8;
        let mask: u8 = if top == 0 { 0xFF } else { ((1u16 << top) - 1) as u8 };
        for _ in 0..RANDOM_ATTEMPTS {
            let mut buf = Zeroizing::new(vec![0u8; self.q_len]);
            rng.fill_bytes(&mut buf);
            if let Some(b) = buf.first_mut() {
                *b &= mask;
            }
            let s = strip_zeros(&buf);
            if s.is_empty() {
                continue;
            }
            if let Ok(u) = uint(s, self.bits) {
                let u = Zeroizing::new(u);
                if u.cmp_vartime(bound.as_ref()) == core::cmp::Ordering::Less {
                    return Ok(buf);
                }
            }
        }
        Err(AsymError::RandomExhausted)
    }

    /// Reduces a big-endian integer modulo p ([`DhGroup::p_len`] bytes).
    pub fn reduce_mod_p(&self, v: &[u8]) -> Result<Vec<u8>, AsymError> {
        reduce_mod(v, &self.p, self.p_len)
    }

    /// Integrated Mapping for DH (Doc 9303-11 §4.4.3.3.2): `ĝ = Rp^((p-1)/q) mod p`, with
    /// the check ĝ ≠ 1. `rp` is already reduced mod p.
    pub fn map_integrated(&self, rp: &[u8]) -> Result<DhElement, AsymError> {
        let q = self.q.as_ref().ok_or(AsymError::BadDomain("DH-IM needs q"))?;
        let r = uint(strip_zeros(rp), self.bits)?;
        if r.cmp_vartime(self.p.as_ref()) != core::cmp::Ordering::Less {
            return Err(AsymError::DhRange);
        }
        let p_minus_1 = self.p.as_ref().wrapping_sub(BoxedUint::one_with_precision(self.bits));
        let qnz = NonZero::new(q.as_ref().clone())
            .into_option()
            .ok_or(AsymError::BadDomain("q zero"))?;
        let cofactor = p_minus_1.wrapping_div_vartime(&qnz);
        let base = BoxedMontyForm::new(r, &self.params);
        let g = base.pow(&cofactor);
        let ge = DhElement(g);
        if self.is_one(&ge) || ge.0.is_zero().to_bool() {
            return Err(AsymError::Identity);
        }
        Ok(ge)
    }
}
