//! Small byte helpers.

use emrtd_crypto::SecretBytes;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

/// The slice without its leading zero bytes.
pub(crate) fn strip_leading_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    b.get(i..).unwrap_or_default()
}

/// Big-endian comparison of unsigned values (leading zeros ignored).
pub(crate) fn cmp_be(a: &[u8], b: &[u8]) -> core::cmp::Ordering {
    let a = strip_leading_zeros(a);
    let b = strip_leading_zeros(b);
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// A value in `[1, bound - 1]` as `bound.len()` bytes, drawn from `rng`: the bytes are taken
/// as they come (top byte masked to the bit length of `bound`) and redrawn when out of range,
/// so a fixed rng yields exactly the bytes it holds when they are in range.
pub(crate) fn random_below<R: CryptoRng + ?Sized>(bound: &[u8], rng: &mut R) -> Option<SecretBytes> {
    let bound = strip_leading_zeros(bound);
    let top = *bound.first()?;
    let mask = u8::MAX >> top.leading_zeros();
    for _ in 0..256 {
        let mut v = Zeroizing::new(vec![0u8; bound.len()]);
        rng.fill_bytes(&mut v);
        if let Some(b) = v.first_mut() {
            *b &= mask;
        }
        if !strip_leading_zeros(&v).is_empty() && cmp_be(&v, bound) == core::cmp::Ordering::Less {
            return Some(v);
        }
    }
    None
}
