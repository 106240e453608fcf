//! Randomness through `rand_core` traits.
//!
//! Protocol code takes `&mut impl CryptoRng`; production passes [`os_rng`], tests pass a
//! [`FixedBytes`] source that replays the values of a worked example.

use core::convert::Infallible;
use rand_core::{TryCryptoRng, TryRng};

pub use rand_core::{CryptoRng, Rng};

/// The operating system's random number generator.
pub fn os_rng() -> rand_core::UnwrapErr<getrandom::SysRng> {
    rand_core::UnwrapErr(getrandom::SysRng)
}

/// A deterministic source that hands out the given bytes in order, for reproducing worked
/// examples. After the bytes run out it yields zeros; [`FixedBytes::exhausted_reads`] counts
/// such reads so a test can assert none happened.
///
/// Only for tests: it is marked as a `CryptoRng` so protocol code accepts it.
#[derive(Clone, Debug)]
pub struct FixedBytes {
    data: Vec<u8>,
    pos: usize,
    exhausted_reads: usize,
}

impl FixedBytes {
    /// A source that yields `data` in order, then zeros.
    pub fn new(data: impl Into<Vec<u8>>) -> Self {
        FixedBytes {
            data: data.into(),
            pos: 0,
            exhausted_reads: 0,
        }
    }

    /// How many reads asked for more bytes than were left.
    pub fn exhausted_reads(&self) -> usize {
        self.exhausted_reads
    }

    /// Bytes not handed out yet.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }
}

impl TryRng for FixedBytes {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_be_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_be_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        let source = self.data.get(self.pos..).unwrap_or_default();
        let n = dst.len().min(source.len());
        for (i, d) in dst.iter_mut().enumerate() {
            *d = source.get(i).copied().unwrap_or(0);
        }
        if n < dst.len() {
            self.exhausted_reads += 1;
        }
        self.pos += n;
        Ok(())
    }
}

impl TryCryptoRng for FixedBytes {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_bytes_replays_in_order() {
        let mut r = FixedBytes::new(vec![1, 2, 3, 4, 5]);
        let mut a = [0u8; 2];
        r.fill_bytes(&mut a);
        assert_eq!(a, [1, 2]);
        let mut b = [0u8; 4];
        r.fill_bytes(&mut b);
        assert_eq!(b, [3, 4, 5, 0]);
        assert_eq!(r.exhausted_reads(), 1);
    }

    #[test]
    fn os_rng_gives_different_values() {
        let mut r = os_rng();
        let (mut a, mut b) = ([0u8; 16], [0u8; 16]);
        r.fill_bytes(&mut a);
        r.fill_bytes(&mut b);
        assert_ne!(a, b);
    }
}
