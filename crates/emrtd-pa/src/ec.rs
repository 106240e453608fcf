//! ECDSA verification over any short-Weierstrass prime curve given by its domain parameters
//! (named or explicit). Verification uses only public values, so this arithmetic is plain
//! variable-time big-integer code on Jacobian coordinates.

use emrtd_lds::pubkey::EcDomain;
use num_bigint::BigUint;

/// Curve parameters as big integers.
#[derive(Clone, Debug)]
pub struct Curve {
    /// The field prime p.
    pub p: BigUint,
    /// The coefficient a of `y^2 = x^3 + ax + b`.
    pub a: BigUint,
    /// The coefficient b.
    pub b: BigUint,
    /// The order n of the base point.
    pub n: BigUint,
    /// The base point G as affine `(x, y)`.
    pub g: (BigUint, BigUint),
    field_len: usize,
}

/// A point in Jacobian coordinates; `z == 0` is the point at infinity.
#[derive(Clone, Debug)]
struct Jac {
    x: BigUint,
    y: BigUint,
    z: BigUint,
}

impl Curve {
    /// From parsed domain parameters; the base point is checked to lie on the curve.
    pub fn from_domain(d: &EcDomain) -> Option<Self> {
        let p = BigUint::from_bytes_be(&d.p);
        if p < BigUint::from(3u8) || d.p.len() > 80 || d.n.len() > 81 {
            return None;
        }
        let mut c = Curve {
            a: BigUint::from_bytes_be(&d.a) % &p,
            b: BigUint::from_bytes_be(&d.b) % &p,
            n: BigUint::from_bytes_be(&d.n),
            g: (BigUint::default(), BigUint::default()),
            field_len: d.p.len(),
            p,
        };
        if c.n < BigUint::from(2u8) {
            return None;
        }
        c.g = c.decode_point(&d.g)?;
        Some(c)
    }

    fn sub(&self, a: &BigUint, b: &BigUint) -> BigUint {
        ((a + &self.p) - (b % &self.p)) % &self.p
    }

    fn mul(&self, a: &BigUint, b: &BigUint) -> BigUint {
        (a * b) % &self.p
    }

    /// Whether affine (x, y) satisfies y² = x³ + ax + b.
    pub fn is_on_curve(&self, x: &BigUint, y: &BigUint) -> bool {
        if x >= &self.p || y >= &self.p {
            return false;
        }
        let lhs = self.mul(y, y);
        let rhs = (self.mul(&self.mul(x, x), x) + self.mul(&self.a, x) + &self.b) % &self.p;
        lhs == rhs
    }

    /// Decodes a SEC1 point (uncompressed, or compressed when p ≡ 3 mod 4) and checks it.
    pub fn decode_point(&self, enc: &[u8]) -> Option<(BigUint, BigUint)> {
        let l = self.field_len;
        let (first, rest) = enc.split_first()?;
        let (x, y) = match first {
            0x04 if rest.len() == 2 * l => {
                let (x, y) = rest.split_at(l);
                (BigUint::from_bytes_be(x), BigUint::from_bytes_be(y))
            }
            0x02 | 0x03 if rest.len() == l => {
                let x = BigUint::from_bytes_be(rest);
                if &self.p % 4u8 != BigUint::from(3u8) {
                    return None;
                }
                let rhs = (self.mul(&self.mul(&x, &x), &x) + self.mul(&self.a, &x) + &self.b) % &self.p;
                let e = (&self.p + 1u8) >> 2;
                let mut y = rhs.modpow(&e, &self.p);
                let odd = y.bit(0);
                if odd != (*first == 0x03) {
                    y = self.sub(&BigUint::default(), &y);
                }
                (x, y)
            }
            _ => return None,
        };
        self.is_on_curve(&x, &y).then_some((x, y))
    }

    fn to_jac(&self, p: &(BigUint, BigUint)) -> Jac {
        Jac {
            x: p.0.clone(),
            y: p.1.clone(),
            z: BigUint::from(1u8),
        }
    }

    fn double(&self, p: &Jac) -> Jac {
        if p.z == BigUint::default() || p.y == BigUint::default() {
            return Jac {
                x: BigUint::from(1u8),
                y: BigUint::from(1u8),
                z: BigUint::default(),
            };
        }
        let xx = self.mul(&p.x, &p.x);
        let yy = self.mul(&p.y, &p.y);
        let yyyy = self.mul(&yy, &yy);
        let zz = self.mul(&p.z, &p.z);
        let s = self.mul(&(BigUint::from(4u8) * &p.x), &yy);
        let m = (BigUint::from(3u8) * &xx + self.mul(&self.a, &self.mul(&zz, &zz))) % &self.p;
        let x3 = self.sub(&self.mul(&m, &m), &(BigUint::from(2u8) * &s));
        let y3 = self.sub(&self.mul(&m, &self.sub(&s, &x3)), &(BigUint::from(8u8) * &yyyy));
        let z3 = self.mul(&(BigUint::from(2u8) * &p.y), &p.z);
        Jac { x: x3, y: y3, z: z3 }
    }

    fn add(&self, p: &Jac, q: &Jac) -> Jac {
        let zero = BigUint::default();
        if p.z == zero {
            return q.clone();
        }
        if q.z == zero {
            return p.clone();
        }
        let z1z1 = self.mul(&p.z, &p.z);
        let z2z2 = self.mul(&q.z, &q.z);
        let u1 = self.mul(&p.x, &z2z2);
        let u2 = self.mul(&q.x, &z1z1);
        let s1 = self.mul(&p.y, &self.mul(&q.z, &z2z2));
        let s2 = self.mul(&q.y, &self.mul(&p.z, &z1z1));
        if u1 == u2 {
            if s1 == s2 {
                return self.double(p);
            }
            return Jac {
                x: BigUint::from(1u8),
                y: BigUint::from(1u8),
                z: zero,
            };
        }
        let h = self.sub(&u2, &u1);
        let r = self.sub(&s2, &s1);
        let hh = self.mul(&h, &h);
        let hhh = self.mul(&hh, &h);
        let u1hh = self.mul(&u1, &hh);
        let x3 = self.sub(&self.sub(&self.mul(&r, &r), &hhh), &(BigUint::from(2u8) * &u1hh));
        let y3 = self.sub(&self.mul(&r, &self.sub(&u1hh, &x3)), &self.mul(&s1, &hhh));
        let z3 = self.mul(&self.mul(&h, &p.z), &q.z);
        Jac { x: x3, y: y3, z: z3 }
    }

    /// u1·G + u2·Q (Shamir's trick), returned in affine form, `None` at infinity.
    fn double_mul(&self, u1: &BigUint, q: &(BigUint, BigUint), u2: &BigUint) -> Option<BigUint> {
        let g = self.to_jac(&self.g);
        let qj = self.to_jac(q);
        let gq = self.add(&g, &qj);
        let bits = u1.bits().max(u2.bits());
        let mut acc = Jac {
            x: BigUint::from(1u8),
            y: BigUint::from(1u8),
            z: BigUint::default(),
        };
        for i in (0..bits).rev() {
            acc = self.double(&acc);
            match (u1.bit(i), u2.bit(i)) {
                (true, true) => acc = self.add(&acc, &gq),
                (true, false) => acc = self.add(&acc, &g),
                (false, true) => acc = self.add(&acc, &qj),
                (false, false) => {}
            }
        }
        if acc.z == BigUint::default() {
            return None;
        }
        let zinv = acc.z.modpow(&(&self.p - 2u8), &self.p);
        let zinv2 = self.mul(&zinv, &zinv);
        Some(self.mul(&acc.x, &zinv2))
    }

    /// Order length in bytes (for plain signatures).
    pub fn order_len(&self) -> usize {
        usize::try_from(self.n.bits().div_ceil(8)).unwrap_or(usize::MAX)
    }

    /// ECDSA verification of (r, s) over the message hash `digest` with public key `q`
    /// (SEC1 encoding). The hash is truncated to the bit length of n (SEC1 §4.1.4).
    pub fn ecdsa_verify(&self, q: &[u8], digest: &[u8], r: &[u8], s: &[u8]) -> bool {
        let Some(q) = self.decode_point(q) else {
            return false;
        };
        let r = BigUint::from_bytes_be(r);
        let s = BigUint::from_bytes_be(s);
        let zero = BigUint::default();
        if r == zero || s == zero || r >= self.n || s >= self.n {
            return false;
        }
        let nbits = self.n.bits();
        let mut e = BigUint::from_bytes_be(digest);
        let hbits = (digest.len() as u64) * 8;
        if hbits > nbits {
            e >>= hbits - nbits;
        }
        let w = s.modpow(&(&self.n - 2u8), &self.n);
        let u1 = (&e * &w) % &self.n;
        let u2 = (&r * &w) % &self.n;
        match self.double_mul(&u1, &q, &u2) {
            Some(x) => x % &self.n == r,
            None => false,
        }
    }
}

/// Splits an ECDSA signature given as DER `SEQUENCE { r, s }` or as plain `r || s`
/// (BSI TR-03111) into its two integers.
pub fn split_signature(sig: &[u8], order_len: usize) -> Option<(Vec<u8>, Vec<u8>)> {
    if let Ok(t) = emrtd_apdu::Tlv::parse_exact(sig)
        && t.tag == emrtd_apdu::Tag(0x30)
    {
        let mut it = t.children().ok()?;
        let r = it.next()?.ok()?;
        let s = it.next()?.ok()?;
        if it.next().is_none() && r.tag.0 == 0x02 && s.tag.0 == 0x02 {
            return Some((r.value.to_vec(), s.value.to_vec()));
        }
    }
    if sig.len() == 2 * order_len {
        let (r, s) = sig.split_at(order_len);
        return Some((r.to_vec(), s.to_vec()));
    }
    None
}
