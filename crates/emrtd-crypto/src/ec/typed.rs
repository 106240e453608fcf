//! The typed RustCrypto curves (p256, p384, p521, bp256, bp384) for scalar multiplication on
//! the standardized curves they implement: constant-time, and much faster than the run-time
//! arithmetic of [`super::Curve`], which remains the path for every other curve.

use super::AsymError;
use elliptic_curve::group::Curve as _;
use elliptic_curve::group::Group;
use elliptic_curve::sec1::{FromSec1Point, ModulusSize, ToSec1Point};
use elliptic_curve::{AffinePoint, CurveArithmetic, FieldBytesSize, NonZeroScalar, PublicKey};
use primeorder::BasepointTable;
use std::sync::OnceLock;

/// Precomputed multiples of the brainpool generators (the typed crates have none): built on
/// first use (33 and 49 tables of 8 points), then fixed-base multiplication is constant-time
/// table selection and additions, about a quarter of a variable-base multiplication.
static BP256_TABLE: BasepointTable<primeorder::ProjectivePoint<bp256::BrainpoolP256r1>, 33> = BasepointTable::new();
static BP384_TABLE: BasepointTable<primeorder::ProjectivePoint<bp384::BrainpoolP384r1>, 49> = BasepointTable::new();

/// A standardized curve with a typed implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypedCurve {
    /// id 12
    P256,
    /// id 13
    BrainpoolP256r1,
    /// id 15
    P384,
    /// id 16
    BrainpoolP384r1,
    /// id 18
    P521,
}

impl TypedCurve {
    /// The typed implementation of a standardized domain parameter id, if any.
    pub fn for_id(id: u32) -> Option<Self> {
        match id {
            12 => Some(TypedCurve::P256),
            13 => Some(TypedCurve::BrainpoolP256r1),
            15 => Some(TypedCurve::P384),
            16 => Some(TypedCurve::BrainpoolP384r1),
            18 => Some(TypedCurve::P521),
            _ => None,
        }
    }

    /// `k · P` for an uncompressed point and a big-endian scalar of exactly the order's byte
    /// length, already reduced mod n. `Ok(None)` when the result is the point at infinity
    /// (k = 0).
    pub fn mul(self, point: &[u8], k: &[u8]) -> Result<Option<Vec<u8>>, AsymError> {
        if self.is_generator(point) {
            return self.mul_generator(k);
        }
        match self {
            TypedCurve::P256 => mul::<p256::NistP256>(point, k),
            TypedCurve::BrainpoolP256r1 => mul::<bp256::BrainpoolP256r1>(point, k),
            TypedCurve::P384 => mul::<p384::NistP384>(point, k),
            TypedCurve::BrainpoolP384r1 => mul::<bp384::BrainpoolP384r1>(point, k),
            TypedCurve::P521 => mul::<p521::NistP521>(point, k),
        }
    }
}

impl TypedCurve {
    /// Whether `point` is the uncompressed encoding of the curve's generator.
    pub fn is_generator(self, point: &[u8]) -> bool {
        static GENERATORS: OnceLock<[Vec<u8>; 5]> = OnceLock::new();
        let g = GENERATORS.get_or_init(|| {
            [
                generator::<p256::NistP256>(),
                generator::<bp256::BrainpoolP256r1>(),
                generator::<p384::NistP384>(),
                generator::<bp384::BrainpoolP384r1>(),
                generator::<p521::NistP521>(),
            ]
        });
        let i = match self {
            TypedCurve::P256 => 0,
            TypedCurve::BrainpoolP256r1 => 1,
            TypedCurve::P384 => 2,
            TypedCurve::BrainpoolP384r1 => 3,
            TypedCurve::P521 => 4,
        };
        g.get(i).is_some_and(|g| g.as_slice() == point)
    }

    /// `k · G` (constant time in k) with precomputed generator tables: the crates' own for
    /// the NIST curves, ours for the brainpool curves. Same contract as [`TypedCurve::mul`].
    pub fn mul_generator(self, k: &[u8]) -> Result<Option<Vec<u8>>, AsymError> {
        match self {
            TypedCurve::P256 => mul_g::<p256::NistP256>(k, p256::ProjectivePoint::mul_by_generator),
            TypedCurve::BrainpoolP256r1 => mul_g::<bp256::BrainpoolP256r1>(k, |s| BP256_TABLE.mul(s)),
            TypedCurve::P384 => mul_g::<p384::NistP384>(k, p384::ProjectivePoint::mul_by_generator),
            TypedCurve::BrainpoolP384r1 => mul_g::<bp384::BrainpoolP384r1>(k, |s| BP384_TABLE.mul(s)),
            TypedCurve::P521 => mul_g::<p521::NistP521>(k, p521::ProjectivePoint::mul_by_generator),
        }
    }
}

fn generator<C>() -> Vec<u8>
where
    C: CurveArithmetic,
    FieldBytesSize<C>: ModulusSize,
    AffinePoint<C>: FromSec1Point<C> + ToSec1Point<C>,
{
    let g: AffinePoint<C> = C::ProjectivePoint::generator().to_affine();
    g.to_sec1_point(false).as_bytes().to_vec()
}

fn mul_g<C>(
    k: &[u8],
    mul: impl FnOnce(&elliptic_curve::Scalar<C>) -> C::ProjectivePoint,
) -> Result<Option<Vec<u8>>, AsymError>
where
    C: CurveArithmetic,
    FieldBytesSize<C>: ModulusSize,
    AffinePoint<C>: FromSec1Point<C> + ToSec1Point<C>,
{
    let Ok(k) = NonZeroScalar::<C>::try_from(k) else {
        return Ok(None);
    };
    let r = mul(&*k).to_affine();
    let enc = r.to_sec1_point(false);
    let bytes = enc.as_bytes();
    if bytes.len() <= 1 {
        return Ok(None);
    }
    Ok(Some(bytes.to_vec()))
}

fn mul<C>(point: &[u8], k: &[u8]) -> Result<Option<Vec<u8>>, AsymError>
where
    C: CurveArithmetic,
    FieldBytesSize<C>: ModulusSize,
    AffinePoint<C>: FromSec1Point<C> + ToSec1Point<C>,
{
    let pk = PublicKey::<C>::from_sec1_bytes(point).map_err(|_| AsymError::NotOnCurve)?;
    let Ok(k) = NonZeroScalar::<C>::try_from(k) else {
        return Ok(None);
    };
    let r = (pk.to_projective() * *k).to_affine();
    let enc = r.to_sec1_point(false);
    let bytes = enc.as_bytes();
    if bytes.len() <= 1 {
        return Ok(None);
    }
    Ok(Some(bytes.to_vec()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    const ALL: [TypedCurve; 5] = [
        TypedCurve::P256,
        TypedCurve::BrainpoolP256r1,
        TypedCurve::P384,
        TypedCurve::BrainpoolP384r1,
        TypedCurve::P521,
    ];

    fn variable_base(c: TypedCurve, point: &[u8], k: &[u8]) -> Option<Vec<u8>> {
        match c {
            TypedCurve::P256 => mul::<p256::NistP256>(point, k),
            TypedCurve::BrainpoolP256r1 => mul::<bp256::BrainpoolP256r1>(point, k),
            TypedCurve::P384 => mul::<p384::NistP384>(point, k),
            TypedCurve::BrainpoolP384r1 => mul::<bp384::BrainpoolP384r1>(point, k),
            TypedCurve::P521 => mul::<p521::NistP521>(point, k),
        }
        .unwrap()
    }

    /// The generator tables give the same points as the variable-base ladder on G, for small,
    /// patterned and large scalars; k = 0 is the point at infinity on both paths.
    #[test]
    fn generator_tables_match_variable_base_multiplication() {
        for c in ALL {
            let g = c.mul_generator(&[1]).ok().flatten();
            // A one-byte scalar is shorter than the order: pad like the callers do.
            let len = match c {
                TypedCurve::P256 | TypedCurve::BrainpoolP256r1 => 32,
                TypedCurve::P384 | TypedCurve::BrainpoolP384r1 => 48,
                TypedCurve::P521 => 66,
            };
            let scalar = |b: &[u8]| {
                let mut v = vec![0u8; len - b.len()];
                v.extend_from_slice(b);
                v
            };
            let g = g.or_else(|| c.mul_generator(&scalar(&[1])).unwrap()).unwrap();
            assert!(c.is_generator(&g));
            let mut patterned: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(37).wrapping_add(11)).collect();
            patterned[0] = 0;
            for k in [scalar(&[1]), scalar(&[2]), scalar(&[0xFF; 7]), patterned] {
                assert_eq!(c.mul_generator(&k).unwrap(), variable_base(c, &g, &k), "{c:?}");
                // `mul` takes the table path for G.
                assert_eq!(c.mul(&g, &k).unwrap(), variable_base(c, &g, &k), "{c:?}");
            }
            assert_eq!(c.mul_generator(&scalar(&[0])).unwrap(), None);
        }
    }
}
