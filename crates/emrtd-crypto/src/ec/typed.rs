//! The typed RustCrypto curves (p256, p384, p521, bp256, bp384) for scalar multiplication on
//! the standardized curves they implement: constant-time, and much faster than the run-time
//! arithmetic of [`super::Curve`], which remains the path for every other curve.

use super::AsymError;
use elliptic_curve::group::Curve as _;
use elliptic_curve::sec1::{FromSec1Point, ModulusSize, ToSec1Point};
use elliptic_curve::{AffinePoint, CurveArithmetic, FieldBytesSize, NonZeroScalar, PublicKey};

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
        match self {
            TypedCurve::P256 => mul::<p256::NistP256>(point, k),
            TypedCurve::BrainpoolP256r1 => mul::<bp256::BrainpoolP256r1>(point, k),
            TypedCurve::P384 => mul::<p384::NistP384>(point, k),
            TypedCurve::BrainpoolP384r1 => mul::<bp384::BrainpoolP384r1>(point, k),
            TypedCurve::P521 => mul::<p521::NistP521>(point, k),
        }
    }
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
