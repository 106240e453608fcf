//! A seeded deterministic random generator (SHA-256 in counter mode) so the virtual chip and
//! the fixture generator give the same bytes on every run. Not for production keys.

use core::convert::Infallible;
use rand_core::{TryCryptoRng, TryRng};
use sha2::{Digest, Sha256};

/// SHA-256(seed || counter) blocks, handed out in order.
#[derive(Clone)]
pub struct SeededRng {
    seed: [u8; 32],
    counter: u64,
    buf: [u8; 32],
    pos: usize,
}

impl core::fmt::Debug for SeededRng {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SeededRng")
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

impl SeededRng {
    /// A generator whose whole output is fixed by `label` (any bytes, e.g. "ref-1/chip").
    pub fn new(label: &[u8]) -> Self {
        let seed: [u8; 32] = Sha256::digest(label).into();
        SeededRng {
            seed,
            counter: 0,
            buf: [0; 32],
            pos: 32,
        }
    }

    fn refill(&mut self) {
        let mut h = Sha256::new();
        h.update(self.seed);
        h.update(self.counter.to_be_bytes());
        self.buf = h.finalize().into();
        self.counter = self.counter.wrapping_add(1);
        self.pos = 0;
    }

    /// Fills `dst` with the next bytes.
    pub fn fill(&mut self, dst: &mut [u8]) {
        for b in dst.iter_mut() {
            if self.pos >= self.buf.len() {
                self.refill();
            }
            *b = self.buf.get(self.pos).copied().unwrap_or(0);
            self.pos += 1;
        }
    }

    /// `n` fresh bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        self.fill(&mut v);
        v
    }
}

impl TryRng for SeededRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.fill(&mut b);
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.fill(&mut b);
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.fill(dst);
        Ok(())
    }
}

impl TryCryptoRng for SeededRng {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_label_same_bytes_and_first_block_is_sha256_of_seed_and_zero() {
        let mut a = SeededRng::new(b"x");
        let mut b = SeededRng::new(b"x");
        assert_eq!(a.bytes(100), b.bytes(100));
        let mut c = SeededRng::new(b"x");
        let seed = Sha256::digest(b"x");
        let mut h = Sha256::new();
        h.update(seed);
        h.update(0u64.to_be_bytes());
        assert_eq!(c.bytes(32), h.finalize().to_vec());
        assert_ne!(SeededRng::new(b"y").bytes(16), SeededRng::new(b"x").bytes(16));
    }
}
