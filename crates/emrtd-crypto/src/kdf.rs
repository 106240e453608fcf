//! Key derivation function of ICAO Doc 9303-11 §9.7.1.
//!
//! `KDF(K, c) = H(K || c)` with `c` a 32-bit big-endian counter; SHA-1 for 3DES and AES-128
//! (first 16 bytes), SHA-256 for AES-192 (first 24) and AES-256 (all 32). 3DES keys are
//! DES-parity adjusted.

use crate::{CipherSuite, SecretBytes};
use digest::Digest;
use sha1::Sha1;
use sha2::Sha256;
use zeroize::Zeroizing;

/// The KDF counter values defined by Doc 9303-11.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KdfCounter {
    /// 1: encryption key.
    Enc,
    /// 2: MAC key.
    Mac,
    /// 3: PACE password key (Kπ).
    Pace,
}

impl KdfCounter {
    /// The 32-bit counter value appended to the shared secret (1, 2 or 3).
    pub const fn value(self) -> u32 {
        match self {
            KdfCounter::Enc => 1,
            KdfCounter::Mac => 2,
            KdfCounter::Pace => 3,
        }
    }
}

/// Derives a key for `suite` from the shared secret `k` and the counter.
pub fn kdf(k: &[u8], counter: KdfCounter, suite: CipherSuite) -> SecretBytes {
    kdf_with_nonce(k, None, counter, suite)
}

/// The KDF with an optional nonce between secret and counter, as used by Chip Authentication
/// (`KDF(K || r, c)` in BSI TR-03110 CA version 2 / PACE-CAM derivations).
pub fn kdf_with_nonce(k: &[u8], nonce: Option<&[u8]>, counter: KdfCounter, suite: CipherSuite) -> SecretBytes {
    let c = counter.value().to_be_bytes();
    let digest: Zeroizing<Vec<u8>> = match suite {
        CipherSuite::Tdes | CipherSuite::Aes128 => {
            let mut h = Sha1::new();
            h.update(k);
            if let Some(r) = nonce {
                h.update(r);
            }
            h.update(c);
            Zeroizing::new(h.finalize().to_vec())
        }
        CipherSuite::Aes192 | CipherSuite::Aes256 => {
            let mut h = Sha256::new();
            h.update(k);
            if let Some(r) = nonce {
                h.update(r);
            }
            h.update(c);
            Zeroizing::new(h.finalize().to_vec())
        }
    };
    let mut key = Zeroizing::new(digest.get(..suite.key_len()).unwrap_or_default().to_vec());
    if suite == CipherSuite::Tdes {
        adjust_des_parity(&mut key);
    }
    key
}

/// Sets the least significant bit of each byte so that every byte has odd parity.
pub fn adjust_des_parity(key: &mut [u8]) {
    for b in key.iter_mut() {
        let ones = (*b & 0xFE).count_ones();
        *b = (*b & 0xFE) | u8::from(ones % 2 == 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn d2_bac_keys_from_kseed() {
        let kseed = h("239AB9CB282DAF66231DC5A4DF6BFBAE");
        assert_eq!(
            *kdf(&kseed, KdfCounter::Enc, CipherSuite::Tdes),
            h("AB94FDECF2674FDFB9B391F85D7F76F2")
        );
        assert_eq!(
            *kdf(&kseed, KdfCounter::Mac, CipherSuite::Tdes),
            h("7962D9ECE03D1ACD4C76089DCE131543")
        );
    }

    #[test]
    fn g1_session_keys_aes128() {
        let k = h("28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925");
        assert_eq!(
            *kdf(&k, KdfCounter::Enc, CipherSuite::Aes128),
            h("F5F0E35C0D7161EE6724EE513A0D9A7F")
        );
        assert_eq!(
            *kdf(&k, KdfCounter::Mac, CipherSuite::Aes128),
            h("FE251C7858B356B24514B3BD5F4297D1")
        );
    }

    #[test]
    fn pace_password_keys_all_sizes() {
        let k = h("7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD");
        assert_eq!(
            *kdf(&k, KdfCounter::Pace, CipherSuite::Aes128),
            h("89DED1B26624EC1E634C1989302849DD")
        );
        assert_eq!(
            *kdf(&k, KdfCounter::Pace, CipherSuite::Aes192),
            h("D79A23C126202AC9051FEBFBC0E8A03B1C6645D85752B4B7")
        );
        assert_eq!(
            *kdf(&k, KdfCounter::Pace, CipherSuite::Aes256),
            h("D79A23C126202AC9051FEBFBC0E8A03B1C6645D85752B4B71408FA229AB6D56B")
        );
    }

    #[test]
    fn bsi_worked_example_ca_keys_with_nonce() {
        let k = h("791DA04273CCFE862E52DF60347E2557192E1F8D7517822CE3D306056C1CDEB4");
        let r = h("4287B3072A3EDC60");
        assert_eq!(
            *kdf_with_nonce(&k, Some(&r), KdfCounter::Enc, CipherSuite::Aes128),
            h("94ABCD271AB7D9A5590BA52CB518B831")
        );
        assert_eq!(
            *kdf_with_nonce(&k, Some(&r), KdfCounter::Mac, CipherSuite::Aes128),
            h("78B5709E7ABEDB185B424D0EE3A82499")
        );
    }

    #[test]
    fn parity_adjustment() {
        let mut k = h("AB94FCEDF2664EDFB9B291F85D7F77F2");
        adjust_des_parity(&mut k);
        assert_eq!(k, h("AB94FDECF2674FDFB9B391F85D7F76F2"));
        for b in k {
            assert_eq!(b.count_ones() % 2, 1);
        }
    }
}
