#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
#![allow(dead_code)]
use emrtd_crypto::rng::FixedBytes;
use sha2::{Digest, Sha256};

pub fn h(s: &str) -> Vec<u8> {
    let clean: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    hex::decode(clean).unwrap()
}

/// A deterministic byte stream (SHA-256 in counter mode over `seed`), as a test rng.
pub fn det_rng(seed: &str) -> FixedBytes {
    let mut out = Vec::with_capacity(64 * 1024);
    let mut i: u32 = 0;
    while out.len() < 64 * 1024 {
        let mut hasher = Sha256::new();
        hasher.update(seed.as_bytes());
        hasher.update(i.to_be_bytes());
        out.extend_from_slice(&hasher.finalize());
        i += 1;
    }
    FixedBytes::new(out)
}

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/vectors");

pub fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{path}")).unwrap()
}
