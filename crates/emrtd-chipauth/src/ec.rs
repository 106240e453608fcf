//! Elliptic-curve groups used by Chip Authentication (ECDH) and Active Authentication (ECDSA).
//!
//! Named curves with a RustCrypto implementation (P-256, P-384, P-521, brainpoolP256r1,
//! brainpoolP384r1) use the typed crates. Explicit domain parameters (as in most DG14 files)
//! are compared with those curves and mapped to them when they match. Other curves are kept as
//! [`EcCurve::Explicit`] and are reported as [`KeyError::UnsupportedCurve`] by the operations
//! (generic prime-curve arithmetic belongs to `emrtd-crypto`).

use crate::error::KeyError;
use crate::util::{random_below, strip_leading_zeros};
use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, NonZero, Odd};
use elliptic_curve::sec1::{FromSec1Point, ModulusSize, ToSec1Point};
use elliptic_curve::{AffinePoint, CurveArithmetic, FieldBytes, FieldBytesSize, PublicKey, SecretKey};
use emrtd_crypto::SecretBytes;
use emrtd_crypto::domain::Domain;
use emrtd_crypto::ec::Curve;
use emrtd_crypto::ec::typed::TypedCurve;
use rand_core::CryptoRng;
use std::sync::Arc;
use zeroize::Zeroizing;

/// Runs `$body` with `$C` bound to the typed curve of a [`NamedCurve`].
macro_rules! with_curve {
    ($named:expr, $C:ident => $body:expr) => {
        match $named {
            NamedCurve::P256 => {
                type $C = p256::NistP256;
                $body
            }
            NamedCurve::P384 => {
                type $C = p384::NistP384;
                $body
            }
            NamedCurve::P521 => {
                type $C = p521::NistP521;
                $body
            }
            NamedCurve::BrainpoolP256r1 => {
                type $C = bp256::BrainpoolP256r1;
                $body
            }
            NamedCurve::BrainpoolP384r1 => {
                type $C = bp384::BrainpoolP384r1;
                $body
            }
        }
    };
}

/// A named curve with a typed implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NamedCurve {
    /// NIST P-256 (secp256r1, 1.2.840.10045.3.1.7).
    P256,
    /// NIST P-384 (secp384r1, 1.3.132.0.34).
    P384,
    /// NIST P-521 (secp521r1, 1.3.132.0.35).
    P521,
    /// brainpoolP256r1 (RFC 5639, 1.3.36.3.3.2.8.1.1.7).
    BrainpoolP256r1,
    /// brainpoolP384r1 (RFC 5639, 1.3.36.3.3.2.8.1.1.11).
    BrainpoolP384r1,
}

impl NamedCurve {
    /// The same curve in `emrtd-crypto`'s typed fast paths.
    pub fn typed(self) -> TypedCurve {
        match self {
            NamedCurve::P256 => TypedCurve::P256,
            NamedCurve::P384 => TypedCurve::P384,
            NamedCurve::P521 => TypedCurve::P521,
            NamedCurve::BrainpoolP256r1 => TypedCurve::BrainpoolP256r1,
            NamedCurve::BrainpoolP384r1 => TypedCurve::BrainpoolP384r1,
        }
    }
}

/// Domain parameters of a prime curve `y^2 = x^3 + ax + b mod p` (unsigned big-endian values,
/// no leading zeros; `g` is the uncompressed or compressed generator as encoded).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExplicitCurve {
    /// The field prime p.
    pub p: Vec<u8>,
    /// The curve coefficient a.
    pub a: Vec<u8>,
    /// The curve coefficient b.
    pub b: Vec<u8>,
    /// The base point G, SEC 1 encoded (`04 || x || y` or compressed).
    pub g: Vec<u8>,
    /// The order n of G.
    pub n: Vec<u8>,
    /// The cofactor h, when the parameters carry it (it is OPTIONAL in X9.62 ECParameters).
    pub h: Option<Vec<u8>>,
}

/// An elliptic-curve group.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EcCurve {
    /// A curve with a typed implementation (given by OID, or explicit parameters equal to it).
    Named(NamedCurve),
    /// Explicit parameters that match none of the [`NamedCurve`]s.
    Explicit(ExplicitCurve),
}

struct Params {
    p: &'static str,
    a: &'static str,
    b: &'static str,
    g: &'static str,
    n: &'static str,
}

const P256_PARAMS: Params = Params {
    p: "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF",
    a: "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC",
    b: "5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B",
    g: "046B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C2964FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5",
    n: "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551",
};
const P384_PARAMS: Params = Params {
    p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFF",
    a: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFC",
    b: "B3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF",
    g: "04AA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A385502F25DBF55296C3A545E3872760AB73617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C00A60B1CE1D7E819D7A431D7C90EA0E5F",
    n: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
};
const P521_PARAMS: Params = Params {
    p: "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    a: "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC",
    b: "0051953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF109E156193951EC7E937B1652C0BD3BB1BF073573DF883D2C34F1EF451FD46B503F00",
    g: "0400C6858E06B70404E9CD9E3ECB662395B4429C648139053FB521F828AF606B4D3DBAA14B5E77EFE75928FE1DC127A2FFA8DE3348B3C1856A429BF97E7E31C2E5BD66011839296A789A3BC0045C8A5FB42C7D1BD998F54449579B446817AFBD17273E662C97EE72995EF42640C550B9013FAD0761353C7086A272C24088BE94769FD16650",
    n: "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409",
};
const BP256R1_PARAMS: Params = Params {
    p: "A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377",
    a: "7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9",
    b: "26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6",
    g: "048BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997",
    n: "A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7",
};
const BP384R1_PARAMS: Params = Params {
    p: "8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B412B1DA197FB71123ACD3A729901D1A71874700133107EC53",
    a: "7BC382C63D8C150C3C72080ACE05AFA0C2BEA28E4FB22787139165EFBA91F90F8AA5814A503AD4EB04A8C7DD22CE2826",
    b: "04A8C7DD22CE28268B39B55416F0447C2FB77DE107DCD2A62E880EA53EEB62D57CB4390295DBC9943AB78696FA504C11",
    g: "041D1C64F068CF45FFA2A63A81B7C13F6B8847A3E77EF14FE3DB7FCAFE0CBD10E8E826E03436D646AAEF87B2E247D4AF1E8ABE1D7520F9C2A45CB1EB8E95CFD55262B70B29FEEC5864E19C054FF99129280E4646217791811142820341263C5315",
    n: "8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B31F166E6CAC0425A7CF3AB6AF6B7FC3103B883202E9046565",
};

impl NamedCurve {
    /// Every named curve, in declaration order.
    pub const ALL: [NamedCurve; 5] = [
        NamedCurve::P256,
        NamedCurve::P384,
        NamedCurve::P521,
        NamedCurve::BrainpoolP256r1,
        NamedCurve::BrainpoolP384r1,
    ];

    /// DER content octets of the curve's OID.
    pub const fn oid_der(self) -> &'static [u8] {
        match self {
            NamedCurve::P256 => &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07],
            NamedCurve::P384 => &[0x2B, 0x81, 0x04, 0x00, 0x22],
            NamedCurve::P521 => &[0x2B, 0x81, 0x04, 0x00, 0x23],
            NamedCurve::BrainpoolP256r1 => &[0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07],
            NamedCurve::BrainpoolP384r1 => &[0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0B],
        }
    }

    /// The curve named by DER OID content octets.
    pub fn from_oid_der(oid: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.oid_der() == oid)
    }

    /// Field element (and scalar) length in bytes.
    pub const fn field_len(self) -> usize {
        match self {
            NamedCurve::P256 | NamedCurve::BrainpoolP256r1 => 32,
            NamedCurve::P384 | NamedCurve::BrainpoolP384r1 => 48,
            NamedCurve::P521 => 66,
        }
    }

    fn params(self) -> &'static Params {
        match self {
            NamedCurve::P256 => &P256_PARAMS,
            NamedCurve::P384 => &P384_PARAMS,
            NamedCurve::P521 => &P521_PARAMS,
            NamedCurve::BrainpoolP256r1 => &BP256R1_PARAMS,
            NamedCurve::BrainpoolP384r1 => &BP384R1_PARAMS,
        }
    }

    /// The curve order n (big-endian, no leading zeros).
    pub fn order(self) -> Vec<u8> {
        hex_const(self.params().n)
    }

    /// The explicit domain parameters of this curve.
    pub fn explicit(self) -> ExplicitCurve {
        let p = self.params();
        ExplicitCurve {
            p: hex_const(p.p),
            a: hex_const(p.a),
            b: hex_const(p.b),
            g: hex_const_keep(p.g),
            n: hex_const(p.n),
            h: Some(vec![1]),
        }
    }
}

fn hex_const_keep(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| s.get(2 * i..2 * i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

fn hex_const(s: &str) -> Vec<u8> {
    strip_leading_zeros(&hex_const_keep(s)).to_vec()
}

impl ExplicitCurve {
    /// The named curve with the same p, a, b, G and n, if any.
    pub fn identify(&self) -> Option<NamedCurve> {
        let norm = |v: &[u8]| strip_leading_zeros(v).to_vec();
        NamedCurve::ALL.into_iter().find(|c| {
            let e = c.explicit();
            let g_matches = if self.g.first() == Some(&0x04) {
                self.g == e.g
            } else {
                // Compressed generator: compare x (p, a, b, n equal pin down the curve).
                let fl = c.field_len();
                self.g.len() == fl + 1
                    && self.g.get(1..) == e.g.get(1..=fl)
                    && matches!(self.g.first(), Some(0x02 | 0x03))
            };
            norm(&self.p) == e.p && norm(&self.a) == e.a && norm(&self.b) == e.b && norm(&self.n) == e.n && g_matches
        })
    }

    /// Field length in bytes.
    pub fn field_len(&self) -> usize {
        strip_leading_zeros(&self.p).len()
    }
}

impl EcCurve {
    /// The curve of a standardized domain parameter id of Doc 9303-11 Table 6 (8-18).
    pub fn from_standardized_id(id: u32) -> Result<Self, KeyError> {
        match Domain::standardized(id) {
            Ok(Domain::Ec(c)) => {
                let g = c
                    .encode_point(&c.generator())
                    .map_err(|e| KeyError::UnsupportedCurve(e.to_string()))?;
                Ok(EcCurve::from_explicit(ExplicitCurve {
                    p: strip_leading_zeros(&c.p_bytes()).to_vec(),
                    a: strip_leading_zeros(&c.a_bytes()).to_vec(),
                    b: strip_leading_zeros(&c.b_bytes()).to_vec(),
                    g,
                    n: strip_leading_zeros(&c.order_bytes()).to_vec(),
                    h: Some(c.cofactor_bytes()),
                }))
            }
            _ => Err(KeyError::UnsupportedCurve(format!(
                "standardized domain parameter id {id} is not an elliptic curve"
            ))),
        }
    }

    /// The curve named by an OID (DER content octets): the typed curves, and P-192, P-224,
    /// brainpoolP192r1/P224r1/P320r1/P512r1 through their standardized parameters.
    pub fn from_named_oid(oid: &[u8]) -> Result<Self, KeyError> {
        if let Some(n) = NamedCurve::from_oid_der(oid) {
            return Ok(EcCurve::Named(n));
        }
        const OTHER: [(&[u8], u32); 6] = [
            (&[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x01], 8),
            (&[0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x03], 9),
            (&[0x2B, 0x81, 0x04, 0x00, 0x21], 10),
            (&[0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x05], 11),
            (&[0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x09], 14),
            (&[0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0D], 17),
        ];
        match OTHER.iter().find(|(o, _)| *o == oid) {
            Some((_, id)) => Self::from_standardized_id(*id),
            None => Err(KeyError::UnsupportedCurve(crate::oid::display(oid))),
        }
    }

    /// Builds a curve from explicit parameters, mapping them to a named curve when they match.
    pub fn from_explicit(e: ExplicitCurve) -> Self {
        match e.identify() {
            Some(n) => EcCurve::Named(n),
            None => EcCurve::Explicit(e),
        }
    }

    /// Field element length in bytes (the length of K for ECDH, of r and s for ECDSA).
    pub fn field_len(&self) -> usize {
        match self {
            EcCurve::Named(n) => n.field_len(),
            EcCurve::Explicit(e) => e.field_len(),
        }
    }

    /// Scalar (order) length in bytes.
    pub fn order_len(&self) -> usize {
        match self {
            EcCurve::Named(n) => n.order().len(),
            EcCurve::Explicit(e) => strip_leading_zeros(&e.n).len(),
        }
    }

    /// The run-time curve of `emrtd-crypto` for parameters without a typed implementation.
    fn generic(&self) -> Result<Arc<Curve>, KeyError> {
        let EcCurve::Explicit(e) = self else {
            return Err(KeyError::UnsupportedCurve("typed curve has no generic form".into()));
        };
        let h = e.h.clone().unwrap_or_else(|| vec![1]);
        // a and b as field elements of the field's length.
        let fl = e.field_len();
        let pad = |v: &[u8]| -> Result<Vec<u8>, KeyError> {
            let v = strip_leading_zeros(v);
            if v.len() > fl {
                return Err(KeyError::UnsupportedCurve("coefficient longer than p".into()));
            }
            let mut out = vec![0u8; fl - v.len()];
            out.extend_from_slice(v);
            Ok(out)
        };
        match Domain::explicit_ec(&e.p, &pad(&e.a)?, &pad(&e.b)?, &e.g, &e.n, &h) {
            Ok(Domain::Ec(c)) => Ok(c),
            Ok(Domain::Dh(_)) => Err(KeyError::UnsupportedCurve("not an EC domain".into())),
            Err(err) => Err(KeyError::UnsupportedCurve(format!("explicit parameters: {err}"))),
        }
    }

    /// Checks that `point` is a valid encoded point of this group (not the identity) and
    /// returns it uncompressed.
    pub fn validate_point(&self, point: &[u8]) -> Result<Vec<u8>, KeyError> {
        match self {
            EcCurve::Named(named) => with_curve!(*named, C => typed_validate::<C>(point)),
            EcCurve::Explicit(_) => {
                let c = self.generic()?;
                let pt = c.decode_point(point).map_err(|_| KeyError::InvalidPublicKey)?;
                c.encode_point(&pt).map_err(|_| KeyError::InvalidPublicKey)
            }
        }
    }

    /// The uncompressed public point of a private scalar.
    pub fn public_from_private(&self, sk: &[u8]) -> Result<Vec<u8>, KeyError> {
        match self {
            EcCurve::Named(named) => with_curve!(*named, C => typed_public::<C>(sk, named.typed())),
            EcCurve::Explicit(_) => {
                let c = self.generic()?;
                c.check_scalar(sk).map_err(|_| KeyError::InvalidPrivateKey)?;
                let pt = c.mul(&c.generator(), sk).map_err(|_| KeyError::InvalidPrivateKey)?;
                c.encode_point(&pt).map_err(|_| KeyError::InvalidPrivateKey)
            }
        }
    }

    /// The group order n (big-endian, no leading zeros).
    pub fn order(&self) -> Vec<u8> {
        match self {
            EcCurve::Named(n) => n.order(),
            EcCurve::Explicit(e) => strip_leading_zeros(&e.n).to_vec(),
        }
    }

    /// Draws a key pair from `rng`: the private scalar is `order_len` bytes from `rng` (top
    /// bits masked to the order's bit length, values `0` or `>= n` redrawn), so a fixed rng
    /// reproduces a worked example's key.
    pub fn generate<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> Result<(SecretBytes, Vec<u8>), KeyError> {
        let sk = random_below(&self.order(), rng).ok_or(KeyError::InvalidPrivateKey)?;
        let pk = self.public_from_private(&sk)?;
        Ok((sk, pk))
    }

    /// ECDH (Doc 9303-11 §9.6 / BSI TR-03111 ECKA): the x-coordinate of `sk * peer`, as
    /// `field_len` bytes. The peer's point is validated first.
    pub fn ecdh(&self, sk: &[u8], peer: &[u8]) -> Result<SecretBytes, KeyError> {
        match self {
            EcCurve::Named(named) => with_curve!(*named, C => typed_ecdh::<C>(sk, peer)),
            EcCurve::Explicit(_) => {
                let c = self.generic()?;
                c.check_scalar(sk).map_err(|_| KeyError::InvalidPrivateKey)?;
                let pt = c.decode_point(peer).map_err(|_| KeyError::InvalidPublicKey)?;
                let shared = c.mul(&pt, sk).map_err(|_| KeyError::InvalidPublicKey)?;
                if c.is_identity(&shared) {
                    return Err(KeyError::InvalidPublicKey);
                }
                c.x_coordinate(&shared).map_err(|_| KeyError::InvalidPublicKey)
            }
        }
    }

    /// ECDSA verification of a digest with the signature as `(r, s)` big-endian integers.
    pub fn ecdsa_verify_prehash(&self, public: &[u8], digest: &[u8], r: &[u8], s: &[u8]) -> Result<bool, KeyError> {
        match self {
            EcCurve::Named(named) => {
                with_curve!(*named, C => typed_verify::<C>(public, digest, r, s))
            }
            EcCurve::Explicit(_) => {
                let c = self.generic()?;
                generic_verify(&c, public, digest, r, s)
            }
        }
    }

    /// ECDSA signing of a digest (card side); the nonce k is drawn from `rng`. Returns
    /// plain `r || s`.
    pub fn ecdsa_sign_prehash<R: CryptoRng + ?Sized>(
        &self,
        sk: &[u8],
        digest: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, KeyError> {
        let order = self.order();
        let generic = match self {
            EcCurve::Named(_) => None,
            EcCurve::Explicit(_) => Some(self.generic()?),
        };
        for _ in 0..16 {
            let k = random_below(&order, rng).ok_or(KeyError::InvalidPrivateKey)?;
            let res = match (self, &generic) {
                (EcCurve::Named(named), _) => {
                    with_curve!(*named, C => typed_sign::<C>(sk, &k, digest))
                }
                (EcCurve::Explicit(_), Some(c)) => generic_sign(c, sk, &k, digest),
                _ => Err(KeyError::InvalidPrivateKey),
            };
            if let Some(sig) = res? {
                return Ok(sig);
            }
        }
        Err(KeyError::InvalidPrivateKey)
    }
}

/// Arithmetic modulo the group order n (for ECDSA on run-time curves).
struct ModN {
    n: NonZero<BoxedUint>,
    params: BoxedMontyParams,
    bits: u32,
    order_bits: u32,
    len: usize,
}

impl ModN {
    fn new(n: &[u8]) -> Option<Self> {
        let n = BoxedUint::from_be_slice_vartime(strip_leading_zeros(n));
        let order_bits = n.bit_width();
        let bits = n.bits_precision();
        let odd = Option::<Odd<BoxedUint>>::from(Odd::new(n.clone()))?;
        let params = BoxedMontyParams::new_vartime(odd);
        Some(ModN {
            n: Option::<NonZero<BoxedUint>>::from(NonZero::new(n))?,
            params,
            bits,
            order_bits,
            len: (order_bits as usize).div_ceil(8),
        })
    }

    /// `v mod n` for any big-endian v.
    fn reduce(&self, v: &[u8]) -> BoxedMontyForm {
        let v = BoxedUint::from_be_slice_vartime(strip_leading_zeros(v));
        let r: BoxedUint = v.rem(&self.n);
        BoxedMontyForm::new(r, &self.params)
    }

    /// Value in [1, n-1] or `None`.
    fn scalar(&self, v: &[u8]) -> Option<BoxedMontyForm> {
        let v = strip_leading_zeros(v);
        if v.is_empty() || v.len() > self.len {
            return None;
        }
        let u = BoxedUint::from_be_slice(v, self.bits).ok()?;
        if u >= *self.n.as_ref() {
            return None;
        }
        Some(BoxedMontyForm::new(u, &self.params))
    }

    /// bits2int (leftmost `order_bits` bits of the digest) reduced mod n.
    fn digest(&self, digest: &[u8]) -> BoxedMontyForm {
        let take = digest.len().min(self.len);
        let head = digest.get(..take).unwrap_or_default();
        let mut v = BoxedUint::from_be_slice_vartime(head);
        let excess = (take as u32 * 8).saturating_sub(self.order_bits);
        if excess > 0 {
            v = v.wrapping_shr(excess);
        }
        self.reduce(&v.to_be_bytes())
    }

    fn bytes(&self, m: &BoxedMontyForm) -> Vec<u8> {
        crate::iso9796::fixed_len(&m.retrieve().to_be_bytes(), self.len)
    }
}

fn generic_verify(c: &Curve, public: &[u8], digest: &[u8], r: &[u8], s: &[u8]) -> Result<bool, KeyError> {
    let q = c.decode_point_sec1(public).map_err(|_| KeyError::InvalidPublicKey)?;
    let m = ModN::new(&c.order_bytes()).ok_or(KeyError::InvalidPublicKey)?;
    let (Some(rm), Some(sm)) = (m.scalar(r), m.scalar(s)) else {
        return Ok(false);
    };
    let Some(w) = Option::<BoxedMontyForm>::from(sm.invert()) else {
        return Ok(false);
    };
    let e = m.digest(digest);
    let u1 = m.bytes(&e.mul(&w));
    let u2 = m.bytes(&rm.mul(&w));
    // Public scalars: one interleaved variable-time double multiplication.
    let x = c
        .mul_add_vartime(&u1, &c.generator(), &u2, &q)
        .map_err(|_| KeyError::InvalidPublicKey)?;
    if c.is_identity(&x) {
        return Ok(false);
    }
    let xb = c.x_coordinate(&x).map_err(|_| KeyError::InvalidPublicKey)?;
    let v = m.reduce(&xb);
    Ok(bool::from(subtle::ConstantTimeEq::ct_eq(
        m.bytes(&v).as_slice(),
        m.bytes(&rm).as_slice(),
    )))
}

fn generic_sign(c: &Curve, sk: &[u8], k: &[u8], digest: &[u8]) -> Result<Option<Vec<u8>>, KeyError> {
    let m = ModN::new(&c.order_bytes()).ok_or(KeyError::InvalidPrivateKey)?;
    let d = m.scalar(sk).ok_or(KeyError::InvalidPrivateKey)?;
    let Some(km) = m.scalar(k) else {
        return Ok(None);
    };
    let rp = c.mul(&c.generator(), k).map_err(|_| KeyError::InvalidPrivateKey)?;
    if c.is_identity(&rp) {
        return Ok(None);
    }
    let xb = c.x_coordinate(&rp).map_err(|_| KeyError::InvalidPrivateKey)?;
    let r = m.reduce(&xb);
    if bool::from(r.is_zero()) {
        return Ok(None);
    }
    let Some(kinv) = Option::<BoxedMontyForm>::from(km.invert()) else {
        return Ok(None);
    };
    let s = kinv.mul(&m.digest(digest).add(&r.mul(&d)));
    if bool::from(s.is_zero()) {
        return Ok(None);
    }
    let mut out = m.bytes(&r);
    out.extend_from_slice(&m.bytes(&s));
    Ok(Some(out))
}

fn field_bytes<C: CurveArithmetic>(v: &[u8]) -> Option<FieldBytes<C>> {
    let v = strip_leading_zeros(v);
    let len = <FieldBytesSize<C> as elliptic_curve::array::typenum::Unsigned>::USIZE;
    if v.len() > len {
        return None;
    }
    let mut buf = Zeroizing::new(vec![0u8; len]);
    buf.get_mut(len - v.len()..)?.copy_from_slice(v);
    FieldBytes::<C>::try_from(buf.as_slice()).ok()
}

fn typed_secret<C: CurveArithmetic>(sk: &[u8]) -> Result<SecretKey<C>, KeyError> {
    let fb = Zeroizing::new(field_bytes::<C>(sk).ok_or(KeyError::InvalidPrivateKey)?);
    SecretKey::<C>::from_bytes(&fb).map_err(|_| KeyError::InvalidPrivateKey)
}

fn typed_point<C>(point: &[u8]) -> Result<PublicKey<C>, KeyError>
where
    C: CurveArithmetic,
    FieldBytesSize<C>: ModulusSize,
    AffinePoint<C>: FromSec1Point<C> + ToSec1Point<C>,
{
    PublicKey::<C>::from_sec1_bytes(point).map_err(|_| KeyError::InvalidPublicKey)
}

fn uncompressed<C>(pk: &PublicKey<C>) -> Vec<u8>
where
    C: CurveArithmetic,
    FieldBytesSize<C>: ModulusSize,
    AffinePoint<C>: FromSec1Point<C> + ToSec1Point<C>,
{
    pk.as_affine().to_sec1_point(false).as_bytes().to_vec()
}

fn typed_validate<C>(point: &[u8]) -> Result<Vec<u8>, KeyError>
where
    C: CurveArithmetic,
    FieldBytesSize<C>: ModulusSize,
    AffinePoint<C>: FromSec1Point<C> + ToSec1Point<C>,
{
    Ok(uncompressed(&typed_point::<C>(point)?))
}

/// `sk · G` with the precomputed generator tables of `emrtd-crypto` (constant time).
fn typed_public<C>(sk: &[u8], curve: TypedCurve) -> Result<Vec<u8>, KeyError>
where
    C: CurveArithmetic,
    FieldBytesSize<C>: ModulusSize,
    AffinePoint<C>: FromSec1Point<C> + ToSec1Point<C>,
{
    let secret = typed_secret::<C>(sk)?;
    let k = Zeroizing::new(secret.to_bytes().to_vec());
    curve
        .mul_generator(&k)
        .ok()
        .flatten()
        .ok_or(KeyError::InvalidPrivateKey)
}

fn typed_ecdh<C>(sk: &[u8], peer: &[u8]) -> Result<SecretBytes, KeyError>
where
    C: CurveArithmetic,
    FieldBytesSize<C>: ModulusSize,
    AffinePoint<C>: FromSec1Point<C> + ToSec1Point<C>,
{
    let sk = typed_secret::<C>(sk)?;
    let pk = typed_point::<C>(peer)?;
    let shared = elliptic_curve::ecdh::diffie_hellman(sk.to_nonzero_scalar(), pk.as_affine());
    Ok(Zeroizing::new(shared.raw_secret_bytes().to_vec()))
}

fn typed_verify<C>(public: &[u8], digest: &[u8], r: &[u8], s: &[u8]) -> Result<bool, KeyError>
where
    C: CurveArithmetic + ecdsa::EcdsaCurve,
    FieldBytesSize<C>: ModulusSize,
    AffinePoint<C>: FromSec1Point<C> + ToSec1Point<C>,
    ecdsa::SignatureSize<C>: elliptic_curve::array::ArraySize,
{
    let pk = typed_point::<C>(public)?;
    let (Some(r), Some(s)) = (field_bytes::<C>(r), field_bytes::<C>(s)) else {
        return Ok(false);
    };
    let Ok(sig) = ecdsa::Signature::<C>::from_scalars(r, s) else {
        return Ok(false);
    };
    Ok(ecdsa::hazmat::verify_prehashed::<C>(&pk.to_projective(), digest, &sig).is_ok())
}

fn typed_sign<C>(sk: &[u8], k: &[u8], digest: &[u8]) -> Result<Option<Vec<u8>>, KeyError>
where
    C: CurveArithmetic + ecdsa::EcdsaCurve,
    FieldBytesSize<C>: ModulusSize,
    AffinePoint<C>: FromSec1Point<C> + ToSec1Point<C>,
    ecdsa::SignatureSize<C>: elliptic_curve::array::ArraySize,
{
    let d = typed_secret::<C>(sk)?.to_nonzero_scalar();
    let k = typed_secret::<C>(k)?.to_nonzero_scalar();
    match ecdsa::hazmat::sign_prehashed::<C>(&d, &k, digest) {
        Ok((sig, _)) => Ok(Some(sig.to_bytes().to_vec())),
        Err(_) => Ok(None),
    }
}
