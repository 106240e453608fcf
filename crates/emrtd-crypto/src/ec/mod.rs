//! Short-Weierstrass elliptic curves `y² = x³ + a·x + b` over a prime field given at run time.
//!
//! Used for PACE and Chip Authentication with standardized curves (P-192 … P-521,
//! brainpoolP192r1 … brainpoolP512r1) and with explicit domain parameters read from
//! EF.CardAccess / DG14. Arithmetic uses `crypto-bigint`'s `BoxedMontyForm` (Montgomery form,
//! constant-time field operations) and the complete projective addition formulas of
//! Renes–Costello–Batina 2016 (Algorithm 1, any `a`), so addition has no exceptional cases
//! on odd-order curves and the same code path serves doubling.
//!
//! Scalar multiplication ([`Curve::mul`]) is a fixed-window (4-bit) method over a fixed number
//! of windows (from the bit length of the group order) whose table entries are selected by a
//! constant-time scan: no branch or memory access depends on secret scalar bits.

pub mod typed;

use crate::SecretBytes;
use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Choice, CtAssign, CtEq, NonZero, Odd, Resize};
use rand_core::CryptoRng;
use thiserror::Error;
use typed::TypedCurve;
use zeroize::{Zeroize, Zeroizing};

/// Errors of the asymmetric arithmetic (EC and DH).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AsymError {
    /// Domain parameters fail validation (the text says which check: prime p, curve
    /// singularity, generator on the curve, order of G, sizes, …).
    #[error("invalid domain parameters: {0}")]
    BadDomain(&'static str),
    /// A standardized domain parameter id (Doc 9303-11 Table 6) this crate does not provide
    /// (carried); 0–2 and 8–18 are provided.
    #[error("unknown standardized domain parameter id {0}")]
    UnknownDomainId(u32),
    /// A public key or point encoding is malformed (wrong length, compressed form, coordinate
    /// not below p, …).
    #[error("public key encoding is invalid: {0}")]
    BadEncoding(&'static str),
    /// A decoded point does not satisfy the curve equation (an invalid-curve attack or a corrupt key).
    #[error("point is not on the curve")]
    NotOnCurve,
    /// The point at infinity or the neutral element where a proper element is required, e.g. a
    /// shared secret or a received public key.
    #[error("point at infinity / neutral element where a proper element is required")]
    Identity,
    /// A DH element is not in `2..p-1` or, when q is known, not in the order-q subgroup.
    #[error("DH element out of range or not in the prime-order subgroup")]
    DhRange,
    /// A scalar (private key) is zero or not below the group order.
    #[error("scalar is zero or not below the group order")]
    BadScalar,
    /// The point encoding of Integrated Mapping (Doc 9303-11 §4.4.3.3.2) needs p ≡ 3 (mod 4)
    /// and a ≠ 0; these curve parameters do not satisfy that.
    #[error("Integrated Mapping needs p ≡ 3 (mod 4) for this point encoding")]
    MappingUnsupported,
    /// Key generation drew no valid scalar in the allowed number of attempts (a broken random source).
    #[error("the random source gave no usable value in {RANDOM_ATTEMPTS} attempts")]
    RandomExhausted,
    /// Elements or keys of different domains (EC vs DH, or different groups) were combined.
    #[error("element type does not match the domain parameters")]
    Mismatch,
}

/// Rejection-sampling attempts before key generation gives up (a broken or exhausted
/// random source, such as a fixed test source that ran out).
pub const RANDOM_ATTEMPTS: usize = 64;

/// Largest field size accepted (bits); 521-bit curves and 4096-bit DH fit.
pub const MAX_FIELD_BITS: u32 = 4096;

/// A point in homogeneous projective coordinates (X:Y:Z); the identity is (0:1:0).
#[derive(Clone, Debug)]
pub struct EcPoint {
    x: BoxedMontyForm,
    y: BoxedMontyForm,
    z: BoxedMontyForm,
}

impl zeroize::Zeroize for EcPoint {
    fn zeroize(&mut self) {
        self.x.zeroize();
        self.y.zeroize();
        self.z.zeroize();
    }
}

/// Curve domain parameters: field, coefficients, base point, order, cofactor.
#[derive(Clone, Debug)]
pub struct Curve {
    id: Option<u32>,
    name: Option<&'static str>,
    params: BoxedMontyParams,
    p: Odd<BoxedUint>,
    a: BoxedMontyForm,
    b: BoxedMontyForm,
    b3: BoxedMontyForm,
    g: EcPoint,
    n: Odd<BoxedUint>,
    n_params: BoxedMontyParams,
    cofactor: BoxedUint,
    field_len: usize,
    order_len: usize,
    order_bits: u32,
    bits: u32,
    typed: Option<TypedCurve>,
}

pub(crate) fn strip_zeros(b: &[u8]) -> &[u8] {
    let skip = b.iter().take_while(|x| **x == 0).count();
    b.get(skip..).unwrap_or(&[])
}

pub(crate) fn uint(bytes: &[u8], bits: u32) -> Result<BoxedUint, AsymError> {
    BoxedUint::from_be_slice(strip_zeros(bytes), bits).map_err(|_| AsymError::BadEncoding("too long"))
}

pub(crate) fn fixed_be(u: &BoxedUint, len: usize) -> Vec<u8> {
    let full = u.to_be_bytes();
    if full.len() >= len {
        full.get(full.len() - len..).unwrap_or(&[]).to_vec()
    } else {
        let mut v = vec![0u8; len - full.len()];
        v.extend_from_slice(&full);
        v
    }
}

fn precision(bits: u32) -> u32 {
    bits.div_ceil(64) * 64
}

impl Curve {
    /// Builds a curve from explicit parameters (big-endian byte strings; `g` an uncompressed
    /// point). Checks p odd and > 3, a, b < p, 4a³ + 27b² ≠ 0, G on the curve, n odd > 1.
    pub fn new(p: &[u8], a: &[u8], b: &[u8], g: &[u8], n: &[u8], h: &[u8]) -> Result<Self, AsymError> {
        Self::build(p, a, b, g, n, h, None, None)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn build(
        p: &[u8],
        a: &[u8],
        b: &[u8],
        g: &[u8],
        n: &[u8],
        h: &[u8],
        id: Option<u32>,
        name: Option<&'static str>,
    ) -> Result<Self, AsymError> {
        let p_s = strip_zeros(p);
        let n_s = strip_zeros(n);
        let field_len = p_s.len();
        if field_len == 0 || field_len * 8 > MAX_FIELD_BITS as usize {
            return Err(AsymError::BadDomain("field size"));
        }
        let p_u = BoxedUint::from_be_slice_vartime(p_s);
        let p_bits = p_u.bit_width();
        if p_bits < 8 {
            return Err(AsymError::BadDomain("p too small"));
        }
        let n_u = BoxedUint::from_be_slice_vartime(n_s);
        let order_bits = n_u.bit_width();
        if order_bits < 2 || order_bits > p_bits + 1 {
            return Err(AsymError::BadDomain("order size"));
        }
        let bits = precision(p_bits.max(order_bits));
        let p_odd = Odd::new(uint(p_s, bits)?)
            .into_option()
            .ok_or(AsymError::BadDomain("p even"))?;
        let n_odd = Odd::new(uint(n_s, bits)?)
            .into_option()
            .ok_or(AsymError::BadDomain("n even"))?;
        let params = BoxedMontyParams::new_vartime(p_odd.clone());
        let n_params = BoxedMontyParams::new_vartime(n_odd.clone());
        let fe = |v: &[u8]| -> Result<BoxedMontyForm, AsymError> {
            let u = uint(v, bits)?;
            if u.cmp_vartime(p_odd.as_ref()) != core::cmp::Ordering::Less {
                return Err(AsymError::BadDomain("coefficient not below p"));
            }
            Ok(BoxedMontyForm::new(u, &params))
        };
        let a_m = fe(a)?;
        let b_m = fe(b)?;
        let three = BoxedMontyForm::new(BoxedUint::from_be_slice_vartime(&[3]).resize_unchecked(bits), &params);
        let b3 = b_m.mul(&three);
        // Discriminant 4a³ + 27b² ≠ 0.
        let four = BoxedMontyForm::new(BoxedUint::from_be_slice_vartime(&[4]).resize_unchecked(bits), &params);
        let t27 = BoxedMontyForm::new(BoxedUint::from_be_slice_vartime(&[27]).resize_unchecked(bits), &params);
        let disc = four.mul(&a_m.square().mul(&a_m)).add(&t27.mul(&b_m.square()));
        if disc.is_zero().to_bool() {
            return Err(AsymError::BadDomain("singular curve"));
        }
        let cofactor_s = strip_zeros(h);
        if cofactor_s.len() > 8 {
            return Err(AsymError::BadDomain("cofactor too large"));
        }
        let cofactor = if cofactor_s.is_empty() {
            BoxedUint::one_with_precision(64)
        } else {
            BoxedUint::from_be_slice_vartime(cofactor_s).resize_unchecked(64)
        };
        let mut curve = Curve {
            id,
            name,
            params: params.clone(),
            p: p_odd,
            a: a_m,
            b: b_m,
            b3,
            g: EcPoint {
                x: BoxedMontyForm::zero(&params),
                y: BoxedMontyForm::one(&params),
                z: BoxedMontyForm::zero(&params),
            },
            n: n_odd,
            n_params,
            cofactor,
            field_len,
            order_len: n_s.len(),
            order_bits,
            bits,
            typed: None,
        };
        curve.g = curve
            .decode_point(g)
            .map_err(|_| AsymError::BadDomain("generator not a valid point"))?;
        curve.check_order()?;
        Ok(curve)
    }

    /// Sanity checks of explicit parameters from a chip: h·n has about the size of p (Hasse
    /// bound), and n is the order of G, i.e. (n-1)·G = -G.
    fn check_order(&self) -> Result<(), AsymError> {
        let p_bits = self.field_bits();
        let hn_bits = self.order_bits + (64 - self.cofactor_u64().leading_zeros()) - 1;
        // bit_width(h·n) is hn_bits or hn_bits + 1.
        if hn_bits + 2 < p_bits || hn_bits > p_bits + 1 {
            return Err(AsymError::BadDomain("order and cofactor do not match the field size"));
        }
        let n_minus_1 = self.n.as_ref().wrapping_sub(BoxedUint::one_with_precision(self.bits));
        let q = self
            .without_typed()
            .mul(&self.g, &fixed_be(&n_minus_1, self.order_len))?;
        let minus_g = EcPoint {
            x: self.g.x.clone(),
            y: self.g.y.neg(),
            z: self.g.z.clone(),
        };
        if self.point_eq(&q, &minus_g) {
            Ok(())
        } else {
            Err(AsymError::BadDomain("n is not the order of G"))
        }
    }

    /// Uses the typed RustCrypto implementation for scalar multiplication (standardized
    /// curves only; the parameters were checked to be the standardized ones).
    pub(crate) fn with_typed(mut self, typed: Option<TypedCurve>) -> Self {
        self.typed = typed;
        self
    }

    /// Whether scalar multiplication uses a typed RustCrypto curve.
    pub fn typed(&self) -> Option<TypedCurve> {
        self.typed
    }

    /// The same curve without the typed fast path (benchmarks, cross-checks).
    pub fn without_typed(&self) -> Self {
        let mut c = self.clone();
        c.typed = None;
        c
    }

    /// The standardized domain parameter id (8-18), if this is a standardized curve.
    pub fn id(&self) -> Option<u32> {
        self.id
    }

    /// The curve name of standardized parameters (e.g. "brainpoolP256r1"), `None` for explicit ones.
    pub fn name(&self) -> Option<&'static str> {
        self.name
    }

    /// Bytes of a field element (and of each coordinate in an encoded point).
    pub fn field_len(&self) -> usize {
        self.field_len
    }

    /// Bytes of the group order n.
    pub fn order_len(&self) -> usize {
        self.order_len
    }

    /// Bit length of the prime p.
    pub fn field_bits(&self) -> u32 {
        self.p.as_ref().bit_width()
    }

    /// The prime p, big-endian, [`Curve::field_len`] bytes.
    pub fn p_bytes(&self) -> Vec<u8> {
        fixed_be(self.p.as_ref(), self.field_len)
    }

    /// Coefficient a, big-endian, [`Curve::field_len`] bytes.
    pub fn a_bytes(&self) -> Vec<u8> {
        fixed_be(&self.a.retrieve(), self.field_len)
    }

    /// Coefficient b, big-endian, [`Curve::field_len`] bytes.
    pub fn b_bytes(&self) -> Vec<u8> {
        fixed_be(&self.b.retrieve(), self.field_len)
    }

    /// The order n of G, big-endian, [`Curve::order_len`] bytes.
    pub fn order_bytes(&self) -> Vec<u8> {
        fixed_be(self.n.as_ref(), self.order_len)
    }

    /// The cofactor h, big-endian without leading zeros (1 for all standardized curves).
    pub fn cofactor_bytes(&self) -> Vec<u8> {
        strip_zeros(&self.cofactor.to_be_bytes()).to_vec()
    }

    /// The base point G.
    pub fn generator(&self) -> EcPoint {
        self.g.clone()
    }

    fn identity(&self) -> EcPoint {
        EcPoint {
            x: BoxedMontyForm::zero(&self.params),
            y: BoxedMontyForm::one(&self.params),
            z: BoxedMontyForm::zero(&self.params),
        }
    }

    /// Whether the point is the point at infinity.
    pub fn is_identity(&self, pt: &EcPoint) -> bool {
        pt.z.is_zero().to_bool()
    }

    fn fe_from_bytes(&self, v: &[u8]) -> Result<BoxedMontyForm, AsymError> {
        let u = uint(v, self.bits)?;
        if u.cmp_vartime(self.p.as_ref()) != core::cmp::Ordering::Less {
            return Err(AsymError::BadEncoding("coordinate not below p"));
        }
        Ok(BoxedMontyForm::new(u, &self.params))
    }

    fn on_curve_affine(&self, x: &BoxedMontyForm, y: &BoxedMontyForm) -> bool {
        let lhs = y.square();
        let rhs = x.square().mul(x).add(&self.a.mul(x)).add(&self.b);
        lhs.ct_eq(&rhs).to_bool()
    }

    /// Decodes an uncompressed point `04 || x || y` (x, y of [`Curve::field_len`] bytes) and
    /// validates it: coordinates below p, on the curve, not the point at infinity.
    pub fn decode_point(&self, bytes: &[u8]) -> Result<EcPoint, AsymError> {
        let (tag, xy) = bytes.split_first().ok_or(AsymError::BadEncoding("empty point"))?;
        if *tag != 0x04 {
            return Err(AsymError::BadEncoding("only uncompressed points (04) are accepted"));
        }
        if xy.len() != 2 * self.field_len {
            return Err(AsymError::BadEncoding("point length"));
        }
        let (xb, yb) = xy.split_at(self.field_len);
        let x = self.fe_from_bytes(xb)?;
        let y = self.fe_from_bytes(yb)?;
        if !self.on_curve_affine(&x, &y) {
            return Err(AsymError::NotOnCurve);
        }
        Ok(EcPoint {
            x,
            y,
            z: BoxedMontyForm::one(&self.params),
        })
    }

    /// Decodes the SEC 1 (§2.3.4) encoding of a signature key's point: uncompressed
    /// `04 || x || y`, or compressed `02 || x` / `03 || x` on fields with p ≡ 3 (mod 4), where
    /// y = (x³ + ax + b)^((p+1)/4) and the tag gives its parity. For ECDSA public keys only
    /// (document signer and CSCA certificates, DG15): PACE and chip authentication keep
    /// [`Curve::decode_point`], which accepts uncompressed points only.
    pub fn decode_point_sec1(&self, bytes: &[u8]) -> Result<EcPoint, AsymError> {
        let (tag, x_bytes) = bytes.split_first().ok_or(AsymError::BadEncoding("empty point"))?;
        let odd_y = match tag {
            0x04 => return self.decode_point(bytes),
            0x02 => false,
            0x03 => true,
            _ => return Err(AsymError::BadEncoding("point tag is not 02, 03 or 04")),
        };
        if x_bytes.len() != self.field_len {
            return Err(AsymError::BadEncoding("point length"));
        }
        let p = self.p.as_ref();
        if p.as_words().first().is_none_or(|w| w & 3 != 3) {
            return Err(AsymError::BadEncoding("compressed points need p ≡ 3 (mod 4)"));
        }
        let x = self.fe_from_bytes(x_bytes)?;
        let rhs = x.square().mul(&x).add(&self.a.mul(&x)).add(&self.b);
        // p = 4k + 3, so (p + 1) / 4 = k + 1 = (p >> 2) + 1.
        let exponent = p
            .wrapping_shr(2)
            .wrapping_add(BoxedUint::one_with_precision(p.bits_precision()));
        let mut y = rhs.pow(&exponent);
        if !y.square().ct_eq(&rhs).to_bool() {
            return Err(AsymError::NotOnCurve);
        }
        let y_is_odd = y.retrieve().as_words().first().is_some_and(|w| w & 1 == 1);
        if y_is_odd != odd_y {
            y = y.neg();
        }
        Ok(EcPoint {
            x,
            y,
            z: BoxedMontyForm::one(&self.params),
        })
    }

    /// Affine coordinates (x, y) as field elements; error for the point at infinity.
    fn to_affine(&self, pt: &EcPoint) -> Result<(BoxedMontyForm, BoxedMontyForm), AsymError> {
        let zinv = pt.z.invert().into_option().ok_or(AsymError::Identity)?;
        Ok((pt.x.mul(&zinv), pt.y.mul(&zinv)))
    }

    /// Encodes a point uncompressed: `04 || x || y`.
    pub fn encode_point(&self, pt: &EcPoint) -> Result<Vec<u8>, AsymError> {
        let (x, y) = self.to_affine(pt)?;
        let mut out = Vec::with_capacity(1 + 2 * self.field_len);
        out.push(0x04);
        out.extend_from_slice(&fixed_be(&x.retrieve(), self.field_len));
        out.extend_from_slice(&fixed_be(&y.retrieve(), self.field_len));
        Ok(out)
    }

    /// The affine x-coordinate, [`Curve::field_len`] bytes (the ECDH shared secret).
    pub fn x_coordinate(&self, pt: &EcPoint) -> Result<SecretBytes, AsymError> {
        let (x, _) = self.to_affine(pt)?;
        Ok(Zeroizing::new(fixed_be(&x.retrieve(), self.field_len)))
    }

    /// Whether two points are equal (projective comparison).
    pub fn point_eq(&self, p1: &EcPoint, p2: &EcPoint) -> bool {
        let i1 = self.is_identity(p1);
        let i2 = self.is_identity(p2);
        if i1 || i2 {
            return i1 == i2;
        }
        let xe = p1.x.mul(&p2.z).ct_eq(&p2.x.mul(&p1.z));
        let ye = p1.y.mul(&p2.z).ct_eq(&p2.y.mul(&p1.z));
        (xe & ye).to_bool()
    }

    /// Complete point addition (Renes–Costello–Batina 2016, Algorithm 1).
    pub fn add(&self, p1: &EcPoint, p2: &EcPoint) -> EcPoint {
        let (x1, y1, z1) = (&p1.x, &p1.y, &p1.z);
        let (x2, y2, z2) = (&p2.x, &p2.y, &p2.z);
        let a = &self.a;
        let b3 = &self.b3;
        let t0 = x1.mul(x2);
        let t1 = y1.mul(y2);
        let t2 = z1.mul(z2);
        let t3 = x1.add(y1).mul(&x2.add(y2));
        let t4 = t0.add(&t1);
        let t3 = t3.sub(&t4);
        let t4 = x1.add(z1).mul(&x2.add(z2));
        let t5 = t0.add(&t2);
        let t4 = t4.sub(&t5);
        let t5 = y1.add(z1).mul(&y2.add(z2));
        let x3 = t1.add(&t2);
        let t5 = t5.sub(&x3);
        let z3 = a.mul(&t4);
        let x3 = b3.mul(&t2);
        let z3 = x3.add(&z3);
        let x3 = t1.sub(&z3);
        let z3 = t1.add(&z3);
        let y3 = x3.mul(&z3);
        let t1 = t0.add(&t0).add(&t0);
        let t2 = a.mul(&t2);
        let t4 = b3.mul(&t4);
        let t1 = t1.add(&t2);
        let t2 = a.mul(&t0.sub(&t2));
        let t4 = t4.add(&t2);
        let t0 = t1.mul(&t4);
        let y3 = y3.add(&t0);
        let t0 = t5.mul(&t4);
        let x3 = t3.mul(&x3).sub(&t0);
        let t0 = t3.mul(&t1);
        let z3 = t5.mul(&z3).add(&t0);
        EcPoint { x: x3, y: y3, z: z3 }
    }

    #[cfg(test)]
    fn cswap(c: Choice, p: &mut EcPoint, q: &mut EcPoint) {
        let tx = p.x.clone();
        let ty = p.y.clone();
        let tz = p.z.clone();
        p.x.ct_assign(&q.x, c);
        p.y.ct_assign(&q.y, c);
        p.z.ct_assign(&q.z, c);
        q.x.ct_assign(&tx, c);
        q.y.ct_assign(&ty, c);
        q.z.ct_assign(&tz, c);
    }

    /// Scalar multiplication `k·P` in constant time with respect to `k`.
    ///
    /// `k` is big-endian and is reduced modulo n first; the ladder always runs over the bit
    /// length of n.
    pub fn mul(&self, pt: &EcPoint, k: &[u8]) -> Result<EcPoint, AsymError> {
        let k = self.reduce_scalar(k)?;
        if let Some(typed) = self.typed
            && !self.is_identity(pt)
        {
            let kb = Zeroizing::new(fixed_be(&k, self.order_len));
            let enc = self.encode_point(pt)?;
            return match typed.mul(&enc, &kb)? {
                Some(r) => self.decode_point(&r),
                None => Ok(self.identity()),
            };
        }
        Ok(self.mul_fixed_window(pt, &k))
    }

    /// Fixed-window (4-bit) scalar multiplication: a table of 0·P … 15·P, then per window
    /// four doublings and one addition of an entry chosen by a constant-time scan of the
    /// whole table. The number of windows depends only on the bit length of n.
    /// `u1·P + u2·Q` in variable time, for public scalars only (ECDSA verification):
    /// interleaved 4-bit windows over both scalars (Shamir's trick), one doubling chain for
    /// both products, zero digits skipped. Scalars are reduced mod n first.
    pub fn mul_add_vartime(&self, u1: &[u8], p: &EcPoint, u2: &[u8], q: &EcPoint) -> Result<EcPoint, AsymError> {
        const W: u32 = 4;
        let (k1, k2) = (self.reduce_scalar(u1)?, self.reduce_scalar(u2)?);
        let table = |pt: &EcPoint| {
            let mut t = Vec::with_capacity(1 << W);
            t.push(self.identity());
            t.push(pt.clone());
            for i in 2..(1usize << W) {
                let prev = t.get(i - 1).cloned().unwrap_or_else(|| self.identity());
                t.push(self.add(&prev, pt));
            }
            t
        };
        let (tp, tq) = (table(p), table(q));
        let digit = |k: &BoxedUint, w: u32| -> usize {
            (0..W).fold(0usize, |d, j| d | (usize::from(k.bit_vartime(w * W + j)) << j))
        };
        let mut acc = self.identity();
        for w in (0..self.order_bits.div_ceil(W)).rev() {
            if !self.is_identity(&acc) {
                for _ in 0..W {
                    acc = self.add(&acc, &acc);
                }
            }
            for (k, t) in [(&k1, &tp), (&k2, &tq)] {
                let d = digit(k, w);
                if d != 0
                    && let Some(entry) = t.get(d)
                {
                    acc = self.add(&acc, entry);
                }
            }
        }
        Ok(acc)
    }

    fn mul_fixed_window(&self, pt: &EcPoint, k: &BoxedUint) -> EcPoint {
        const W: u32 = 4;
        let mut table = Vec::with_capacity(1 << W);
        table.push(self.identity());
        table.push(pt.clone());
        for i in 2..(1usize << W) {
            let prev = table.get(i - 1).cloned().unwrap_or_else(|| self.identity());
            table.push(self.add(&prev, pt));
        }
        let windows = self.order_bits.div_ceil(W);
        let mut acc = self.identity();
        for w in (0..windows).rev() {
            for _ in 0..W {
                acc = self.add(&acc, &acc);
            }
            let mut digit = 0u8;
            for j in 0..W {
                digit |= k.bit(w * W + j).to_u8() << j;
            }
            let mut sel = self.identity();
            for (i, entry) in table.iter().enumerate() {
                let c = Choice::from_u8_eq(i as u8, digit);
                sel.x.ct_assign(&entry.x, c);
                sel.y.ct_assign(&entry.y, c);
                sel.z.ct_assign(&entry.z, c);
            }
            acc = self.add(&acc, &sel);
            digit.zeroize();
        }
        for t in &mut table {
            t.zeroize();
        }
        acc
    }

    /// Montgomery ladder (kept as the reference the fixed-window method is tested against).
    #[cfg(test)]
    fn mul_ladder(&self, pt: &EcPoint, k: &BoxedUint) -> EcPoint {
        let mut r0 = self.identity();
        let mut r1 = pt.clone();
        let mut i = self.order_bits;
        while i > 0 {
            i -= 1;
            let bit = k.bit(i);
            Self::cswap(bit, &mut r0, &mut r1);
            r1 = self.add(&r0, &r1);
            r0 = self.add(&r0, &r0);
            Self::cswap(bit, &mut r0, &mut r1);
        }
        r0
    }

    /// The cofactor h as a small integer.
    fn cofactor_u64(&self) -> u64 {
        let b = fixed_be(&self.cofactor, 8);
        u64::from_be_bytes(<[u8; 8]>::try_from(b.as_slice()).unwrap_or([0, 0, 0, 0, 0, 0, 0, 1]))
    }

    /// Elliptic curve key agreement ECKA of BSI TR-03111 §4.3.1 with compatible cofactor
    /// multiplication: `S = h·((d·h⁻¹ mod n)·P)`, which equals `d·P` for points of the
    /// prime-order subgroup and maps small-order components to the identity (an error). For
    /// cofactor 1 this is plain `d·P`. Constant time in `d`.
    pub fn ecka(&self, d: &[u8], peer: &EcPoint) -> Result<EcPoint, AsymError> {
        let h = self.cofactor_u64();
        let s = if h == 1 {
            self.mul(peer, d)?
        } else {
            let h_bytes = h.to_be_bytes();
            let l = self.scalar_inv_mul(&h_bytes, d)?;
            let q = self.mul_small_public(peer, h);
            if self.is_identity(&q) {
                return Err(AsymError::Identity);
            }
            self.mul(&q, &l)?
        };
        if self.is_identity(&s) {
            return Err(AsymError::Identity);
        }
        Ok(s)
    }

    /// `k·P` for a public scalar of at most 64 bits (cofactor multiplication).
    fn mul_small_public(&self, pt: &EcPoint, k: u64) -> EcPoint {
        let mut acc = self.identity();
        for i in (0..64).rev() {
            acc = self.add(&acc, &acc);
            if (k >> i) & 1 == 1 {
                acc = self.add(&acc, pt);
            }
        }
        acc
    }

    fn reduce_scalar(&self, k: &[u8]) -> Result<Zeroizing<BoxedUint>, AsymError> {
        // Leading zero bytes are only stripped (a length-dependent step) when the input is
        // longer than the working precision, e.g. a `00`-prefixed OpenSSL dump.
        let ks = if k.len() * 8 > (2 * self.bits) as usize {
            strip_zeros(k)
        } else {
            k
        };
        if ks.len() * 8 > (2 * self.bits) as usize {
            return Err(AsymError::BadScalar);
        }
        let wide = Zeroizing::new(BoxedUint::from_be_slice(ks, 2 * self.bits).map_err(|_| AsymError::BadScalar)?);
        let n_wide = NonZero::new(self.n.as_ref().resize_unchecked(2 * self.bits))
            .into_option()
            .ok_or(AsymError::BadDomain("n zero"))?;
        let r = Zeroizing::new(wide.rem(&n_wide));
        Ok(Zeroizing::new((&*r).resize_unchecked(self.bits)))
    }

    /// A random private scalar in [1, n-1], [`Curve::order_len`] bytes big-endian.
    ///
    /// Rejection sampling: reads `order_len` bytes, masks the excess top bits and retries
    /// until the value lies in [1, n-1] (so a fixed-bytes test source reproduces a given key).
    pub fn random_scalar<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> Result<SecretBytes, AsymError> {
        let top_bits = self.order_bits % 8;
        let mask: u8 = if top_bits == 0 {
            0xFF
        } else {
            (1u16 << top_bits).wrapping_sub(1) as u8
        };
        for _ in 0..RANDOM_ATTEMPTS {
            let mut buf = Zeroizing::new(vec![0u8; self.order_len]);
            rng.fill_bytes(&mut buf);
            if let Some(b) = buf.first_mut() {
                *b &= mask;
            }
            if self.check_scalar(&buf).is_ok() {
                return Ok(buf);
            }
        }
        Err(AsymError::RandomExhausted)
    }

    /// Errors unless `k` (big-endian) lies in [1, n-1].
    pub fn check_scalar(&self, k: &[u8]) -> Result<(), AsymError> {
        let ks = strip_zeros(k);
        if ks.is_empty() || ks.len() > self.order_len {
            return Err(AsymError::BadScalar);
        }
        let u = Zeroizing::new(uint(ks, self.bits)?);
        if u.cmp_vartime(self.n.as_ref()) == core::cmp::Ordering::Less {
            Ok(())
        } else {
            Err(AsymError::BadScalar)
        }
    }

    /// `a⁻¹ · b mod n` (PACE-CAM: CA_IC = SK_IC⁻¹ · SK_Map,IC), [`Curve::order_len`] bytes.
    pub fn scalar_inv_mul(&self, a: &[u8], b: &[u8]) -> Result<SecretBytes, AsymError> {
        let a = self.reduce_scalar(a)?;
        let b = self.reduce_scalar(b)?;
        let am = BoxedMontyForm::new((*a).clone(), &self.n_params);
        let bm = BoxedMontyForm::new((*b).clone(), &self.n_params);
        let ainv = am.invert().into_option().ok_or(AsymError::BadScalar)?;
        let r = Zeroizing::new(ainv.mul(&bm).retrieve());
        Ok(Zeroizing::new(fixed_be(&r, self.order_len)))
    }

    /// The point encoding f_G of Doc 9303-11 Appendix B (Brier et al., "Efficient
    /// Indifferentiable Hashing into Ordinary Elliptic Curves", simplified SWU for
    /// p ≡ 3 mod 4), followed by cofactor multiplication. `t` is a field element (big-endian,
    /// already reduced mod p). Selections are constant time.
    pub fn map_to_point(&self, t: &[u8]) -> Result<EcPoint, AsymError> {
        // p ≡ 3 (mod 4)
        let p_low = self.p.as_ref().to_be_bytes();
        if p_low.last().is_none_or(|b| b & 3 != 3) {
            return Err(AsymError::MappingUnsupported);
        }
        let t = self.fe_from_bytes(t)?;
        let one = BoxedMontyForm::one(&self.params);
        // 1. α = -t² mod p
        let alpha = t.square().neg();
        // 2. X2 = -b · a⁻¹ · (1 + (α + α²)⁻¹)
        let ainv = self.a.invert().into_option().ok_or(AsymError::MappingUnsupported)?;
        let s = alpha.add(&alpha.square());
        let sinv = s.invert().into_option().ok_or(AsymError::Identity)?;
        let x2 = self.b.neg().mul(&ainv).mul(&one.add(&sinv));
        // 3. X3 = α · X2
        let x3 = alpha.mul(&x2);
        // 4./5. h2, h3
        let h2 = x2.square().mul(&x2).add(&self.a.mul(&x2)).add(&self.b);
        // 6. U = t³ · h2
        let u = t.square().mul(&t).mul(&h2);
        // 7. A = h2^(p - 1 - (p+1)/4)
        let p = self.p.as_ref();
        let p_plus_1 = p.wrapping_add(BoxedUint::one_with_precision(self.bits));
        let quarter = p_plus_1.wrapping_shr_vartime(2);
        let exp = p
            .wrapping_sub(BoxedUint::one_with_precision(self.bits))
            .wrapping_sub(&quarter);
        let a_val = h2.pow(&exp);
        // 8. If A²·h2 = 1: (X2, A·h2), else (X3, A·U)
        let is_square = a_val.square().mul(&h2).ct_eq(&one);
        let mut x = x3;
        x.ct_assign(&x2, is_square);
        let mut y = a_val.mul(&u);
        y.ct_assign(&a_val.mul(&h2), is_square);
        if !self.on_curve_affine(&x, &y) {
            return Err(AsymError::NotOnCurve);
        }
        let pt = EcPoint {
            x,
            y,
            z: BoxedMontyForm::one(&self.params),
        };
        let h = self.cofactor_u64();
        let out = if h == 1 { pt } else { self.mul_small_public(&pt, h) };
        if self.is_identity(&out) {
            return Err(AsymError::Identity);
        }
        Ok(out)
    }

    /// Reduces a big-endian integer of any length (bounded) modulo p, [`Curve::field_len`] bytes.
    pub fn reduce_mod_p(&self, v: &[u8]) -> Result<Vec<u8>, AsymError> {
        reduce_mod(v, &self.p, self.field_len)
    }
}

/// `v mod m` as `len` big-endian bytes (`v` at most 4× the modulus size).
pub(crate) fn reduce_mod(v: &[u8], m: &Odd<BoxedUint>, len: usize) -> Result<Vec<u8>, AsymError> {
    let vs = strip_zeros(v);
    let bits = precision(((vs.len() * 8) as u32).max(m.as_ref().bits_precision()));
    if bits > 4 * MAX_FIELD_BITS {
        return Err(AsymError::BadEncoding("value too long"));
    }
    let wide = Zeroizing::new(uint(vs, bits)?);
    let mw = NonZero::new(m.as_ref().resize_unchecked(bits))
        .into_option()
        .ok_or(AsymError::BadDomain("zero modulus"))?;
    let r = Zeroizing::new(wide.rem(&mw));
    Ok(fixed_be(&r, len))
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixed_window_equals_ladder() {
        let Ok(crate::domain::Domain::Ec(c)) = crate::domain::Domain::standardized(9) else {
            panic!("brainpoolP192r1")
        };
        let g = c.generator();
        for seed in [1u8, 2, 0x7F, 0xFF] {
            let k = c.reduce_scalar(&[seed; 30]).unwrap();
            let a = c.mul_fixed_window(&g, &k);
            let b = c.mul_ladder(&g, &k);
            assert!(c.point_eq(&a, &b));
        }
        let zero = c.reduce_scalar(&[0]).unwrap();
        assert!(c.is_identity(&c.mul_fixed_window(&g, &zero)));
    }

    /// SEC 1 compressed points decode to the same point as the uncompressed encoding on every
    /// standardized curve with p ≡ 3 (mod 4) (signature keys), while `decode_point`, which
    /// PACE and chip authentication use, still refuses them.
    #[test]
    fn compressed_points_only_for_signature_keys() {
        #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
        for id in [8u32, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18] {
            let Ok(crate::domain::Domain::Ec(c)) = crate::domain::Domain::standardized(id) else {
                panic!("curve {id}")
            };
            let p3 = c.p.as_ref().as_words()[0] & 3 == 3;
            for k in [1u8, 2, 0x55] {
                let pt = c.mul(&c.generator(), &[k]).unwrap();
                let full = c.encode_point(&pt).unwrap();
                let l = c.field_len();
                let y_odd = full[2 * l] & 1 == 1;
                let mut compressed = vec![if y_odd { 0x03 } else { 0x02 }];
                compressed.extend_from_slice(&full[1..=l]);
                assert!(c.decode_point(&compressed).is_err(), "curve {id}: PACE takes only 04");
                assert!(c.point_eq(&c.decode_point_sec1(&full).unwrap(), &pt));
                match c.decode_point_sec1(&compressed) {
                    Ok(d) => {
                        assert!(p3, "curve {id}");
                        assert!(c.point_eq(&d, &pt), "curve {id} k {k}");
                    }
                    Err(_) => assert!(!p3, "curve {id}"),
                }
                // The other parity is the negated point, not this one.
                if p3 {
                    compressed[0] ^= 1;
                    let other = c.decode_point_sec1(&compressed).unwrap();
                    assert!(!c.point_eq(&other, &pt), "curve {id}");
                }
            }
            assert!(c.decode_point_sec1(&[0x05; 33]).is_err());
            assert!(c.decode_point_sec1(&[]).is_err());
            assert!(c.decode_point_sec1(&[0x02, 0x01]).is_err());
        }
    }

    /// The variable-time double multiplication equals two constant-time multiplications
    /// added, including zero scalars and scalars at or above n.
    #[test]
    fn mul_add_vartime_equals_two_multiplications() {
        #![allow(clippy::unwrap_used, clippy::panic)]
        for id in [9u32, 13, 17] {
            let Ok(crate::domain::Domain::Ec(c)) = crate::domain::Domain::standardized(id) else {
                panic!("curve {id}")
            };
            let c = c.without_typed();
            let g = c.generator();
            let q = c.mul(&g, &[0x31; 20]).unwrap();
            let n = c.order_bytes();
            for (u1, u2) in [
                (vec![0x12u8; 24], vec![0xA5u8; 24]),
                (vec![0], vec![7]),
                (vec![5], vec![0]),
                (n.clone(), vec![1]),
                (vec![0xFF; 40], vec![0xFE; 40]),
            ] {
                let want = c.add(&c.mul(&g, &u1).unwrap(), &c.mul(&q, &u2).unwrap());
                let got = c.mul_add_vartime(&u1, &g, &u2, &q).unwrap();
                assert!(c.point_eq(&got, &want), "curve {id}");
            }
        }
    }
}
