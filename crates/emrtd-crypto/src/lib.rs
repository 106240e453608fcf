//! Symmetric cryptography of ICAO Doc 9303-11, built on RustCrypto.
//!
//! * [`CipherSuite`]: 3DES (two-key, EDE) or AES-128/192/256, as named by the protocol OIDs.
//! * [`padding`]: ISO/IEC 9797-1 padding method 2.
//! * [`cbc_encrypt`] / [`cbc_decrypt`] / [`encrypt_block`]: the block cipher operations.
//! * [`mac`]: retail MAC (ISO/IEC 9797-1 MAC algorithm 3) and AES-CMAC truncated to 8 bytes.
//! * [`kdf`](mod@kdf): the Doc 9303-11 §9.7.1 key derivation function and DES parity adjustment.
//! * [`rng`]: randomness through `rand_core` traits, so tests inject fixed values.
//!
//! The asymmetric side of PACE, Chip Authentication and Active Authentication lives in
//! [`domain`] (standardized domain parameters of Doc 9303-11 Table 6 / BSI TR-03110-3 Table 4
//! and explicit ones), [`ec`] (prime curves, ECDH, Integrated Mapping) and [`dh`]
//! (RFC 5114 and explicit DH groups).
//!
//! # Example
//!
//! The Basic Access Control worked example of Doc 9303-11 Appendix D.2 and D.3: derive the
//! session keys from Kseed, encrypt the terminal's `S` and MAC the cryptogram.
//!
//! ```
//! use emrtd_crypto::{CipherSuite, KdfCounter, cbc_decrypt, cbc_encrypt, kdf, retail_mac};
//!
//! fn h(s: &str) -> Vec<u8> {
//!     (0..s.len()).step_by(2).filter_map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
//! }
//! let kseed = h("239AB9CB282DAF66231DC5A4DF6BFBAE");
//! let k_enc = kdf(&kseed, KdfCounter::Enc, CipherSuite::Tdes);
//! let k_mac = kdf(&kseed, KdfCounter::Mac, CipherSuite::Tdes);
//! assert_eq!(*k_enc, h("AB94FDECF2674FDFB9B391F85D7F76F2"));
//! assert_eq!(*k_mac, h("7962D9ECE03D1ACD4C76089DCE131543"));
//!
//! // S = RND.IFD || RND.IC || K.IFD, encrypted with a zero IV (BAC uses no padding: 32 bytes).
//! let s = h("781723860C06C2264608F919887022120B795240CB7049B01C19B33E32804F0B");
//! let e_ifd = cbc_encrypt(CipherSuite::Tdes, &k_enc, &[0; 8], &s)?;
//! assert_eq!(e_ifd, h("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2"));
//! assert_eq!(retail_mac(&k_mac, &e_ifd)?.to_vec(), h("5F1448EEA8AD90A7"));
//! assert_eq!(cbc_decrypt(CipherSuite::Tdes, &k_enc, &[0; 8], &e_ifd)?, s);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod dh;
pub mod domain;
pub mod ec;
pub mod kdf;
pub mod mac;
pub mod padding;
pub mod rng;

use aes::{Aes128, Aes192, Aes256};
use cipher::block_padding::NoPadding;
use cipher::{BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit};
use des::TdesEde2;
use thiserror::Error;
use zeroize::Zeroizing;

pub use kdf::{KdfCounter, adjust_des_parity, kdf};
pub use mac::{cmac8, retail_mac, sm_mac};
pub use padding::{pad, unpad};

/// A secret key or secret value; wiped from memory when dropped.
pub type SecretBytes = Zeroizing<Vec<u8>>;

/// Errors of the symmetric primitives.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CryptoError {
    /// A key whose length does not match the cipher suite (16 bytes for 3DES and AES-128,
    /// 24 for AES-192, 32 for AES-256).
    #[error("key of {got} bytes, {cipher:?} needs {want}")]
    KeyLength {
        /// The cipher the key was for.
        cipher: CipherSuite,
        /// The key length given, in bytes.
        got: usize,
        /// The key length the cipher needs, in bytes.
        want: usize,
    },
    /// An IV whose length is not the block size (8 bytes for 3DES, 16 for AES).
    #[error("IV of {got} bytes, block size is {want}")]
    IvLength {
        /// The IV length given, in bytes.
        got: usize,
        /// The block size, in bytes.
        want: usize,
    },
    /// Input to CBC encryption or decryption whose length (carried) is not a multiple of the
    /// block size.
    #[error("data of {0} bytes is not a whole number of blocks")]
    NotBlockAligned(usize),
    /// Unpadding found no `80 00 … 00` ending (ISO/IEC 9797-1 padding method 2); for secure
    /// messaging this means a corrupt or forged response.
    #[error("ISO/IEC 9797-1 method 2 padding is missing or malformed")]
    BadPadding,
}

/// The block cipher of a secure messaging or PACE/CA protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CipherSuite {
    /// Two-key triple DES (EDE), 16-byte keys, retail MAC.
    Tdes,
    /// AES with 128-bit keys, AES-CMAC.
    Aes128,
    /// AES with 192-bit keys, AES-CMAC.
    Aes192,
    /// AES with 256-bit keys, AES-CMAC.
    Aes256,
}

impl CipherSuite {
    /// Key length in bytes.
    pub const fn key_len(self) -> usize {
        match self {
            CipherSuite::Tdes | CipherSuite::Aes128 => 16,
            CipherSuite::Aes192 => 24,
            CipherSuite::Aes256 => 32,
        }
    }

    /// Block length in bytes (8 for 3DES, 16 for AES).
    pub const fn block_len(self) -> usize {
        match self {
            CipherSuite::Tdes => 8,
            _ => 16,
        }
    }

    /// Whether this is one of the AES suites (AES-CMAC, and a secure messaging IV obtained by
    /// encrypting the send sequence counter), as opposed to 3DES.
    pub const fn is_aes(self) -> bool {
        !matches!(self, CipherSuite::Tdes)
    }

    fn check_key(self, key: &[u8]) -> Result<(), CryptoError> {
        if key.len() == self.key_len() {
            Ok(())
        } else {
            Err(CryptoError::KeyLength {
                cipher: self,
                got: key.len(),
                want: self.key_len(),
            })
        }
    }
}

fn check_iv_and_data(suite: CipherSuite, iv: &[u8], data: &[u8]) -> Result<(), CryptoError> {
    if iv.len() != suite.block_len() {
        return Err(CryptoError::IvLength {
            got: iv.len(),
            want: suite.block_len(),
        });
    }
    if !data.len().is_multiple_of(suite.block_len()) {
        return Err(CryptoError::NotBlockAligned(data.len()));
    }
    Ok(())
}

/// Runs `$body` with `$C` bound to the RustCrypto block cipher of `$suite`.
macro_rules! with_cipher {
    ($suite:expr, $C:ident => $body:expr) => {
        match $suite {
            CipherSuite::Tdes => {
                type $C = TdesEde2;
                $body
            }
            CipherSuite::Aes128 => {
                type $C = Aes128;
                $body
            }
            CipherSuite::Aes192 => {
                type $C = Aes192;
                $body
            }
            CipherSuite::Aes256 => {
                type $C = Aes256;
                $body
            }
        }
    };
}

fn key_error(suite: CipherSuite, key: &[u8]) -> CryptoError {
    CryptoError::KeyLength {
        cipher: suite,
        got: key.len(),
        want: suite.key_len(),
    }
}

/// CBC encryption of block-aligned data (no padding is added).
pub fn cbc_encrypt(suite: CipherSuite, key: &[u8], iv: &[u8], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    suite.check_key(key)?;
    check_iv_and_data(suite, iv, data)?;
    with_cipher!(suite, C => Ok(cbc::Encryptor::<C>::new_from_slices(key, iv)
        .map_err(|_| key_error(suite, key))?
        .encrypt_padded_vec::<NoPadding>(data)))
}

/// CBC decryption of block-aligned data (padding is not removed).
pub fn cbc_decrypt(suite: CipherSuite, key: &[u8], iv: &[u8], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    suite.check_key(key)?;
    check_iv_and_data(suite, iv, data)?;
    with_cipher!(suite, C => cbc::Decryptor::<C>::new_from_slices(key, iv)
        .map_err(|_| key_error(suite, key))?
        .decrypt_padded_vec::<NoPadding>(data)
        .map_err(|_| CryptoError::NotBlockAligned(data.len())))
}

/// Encrypts one block with the raw block cipher (ECB of one block), as used for the AES
/// secure-messaging IV `E(KSenc, SSC)` and the PACE-IM pseudo-random function.
pub fn encrypt_block(suite: CipherSuite, key: &[u8], block: &[u8]) -> Result<Vec<u8>, CryptoError> {
    suite.check_key(key)?;
    if block.len() != suite.block_len() {
        return Err(CryptoError::NotBlockAligned(block.len()));
    }
    let key_err = |_| CryptoError::KeyLength {
        cipher: suite,
        got: key.len(),
        want: suite.key_len(),
    };
    let mut out = block.to_vec();
    match suite {
        CipherSuite::Tdes => {
            let c = TdesEde2::new_from_slice(key).map_err(key_err)?;
            let b: &mut cipher::Block<TdesEde2> = out
                .as_mut_slice()
                .try_into()
                .map_err(|_| CryptoError::NotBlockAligned(block.len()))?;
            c.encrypt_block(b);
        }
        CipherSuite::Aes128 => encrypt_aes_block(Aes128::new_from_slice(key).map_err(key_err)?, &mut out)?,
        CipherSuite::Aes192 => encrypt_aes_block(Aes192::new_from_slice(key).map_err(key_err)?, &mut out)?,
        CipherSuite::Aes256 => encrypt_aes_block(Aes256::new_from_slice(key).map_err(key_err)?, &mut out)?,
    }
    Ok(out)
}

fn encrypt_aes_block<C: BlockCipherEncrypt<BlockSize = cipher::consts::U16>>(
    c: C,
    out: &mut [u8],
) -> Result<(), CryptoError> {
    let len = out.len();
    let b: &mut cipher::Block<C> = out.try_into().map_err(|_| CryptoError::NotBlockAligned(len))?;
    c.encrypt_block(b);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn d3_external_authenticate_cryptogram() {
        // ICAO 9303-11 D.3: E_IFD = 3DES-CBC(Kenc, S), IV = 0.
        let k_enc = h("AB94FDECF2674FDFB9B391F85D7F76F2");
        let s = h("781723860C06C2264608F919887022120B795240CB7049B01C19B33E32804F0B");
        let e = cbc_encrypt(CipherSuite::Tdes, &k_enc, &[0; 8], &s).unwrap();
        assert_eq!(e, h("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2"));
        assert_eq!(cbc_decrypt(CipherSuite::Tdes, &k_enc, &[0; 8], &e).unwrap(), s);
    }

    #[test]
    fn bsi_worked_example_aes_sm_encryption() {
        // BSI EAC worked example 8a: SSC = 1, IV = E(KSenc, SSC).
        let ks_enc = h("68406B4162100563D9C901A6154D2901");
        let mut ssc = [0u8; 16];
        ssc[15] = 1;
        let iv = encrypt_block(CipherSuite::Aes128, &ks_enc, &ssc).unwrap();
        let padded = pad(&h("830D44454356434141543030303031"), 16);
        let ct = cbc_encrypt(CipherSuite::Aes128, &ks_enc, &iv, &padded).unwrap();
        assert_eq!(ct, h("BE90237EEB4BA0FF253EA246AE31C8B8"));
    }

    #[test]
    fn cam_iv_is_encrypted_all_ff() {
        // ICAO 9303-11 I.1: IV = E(KSenc, FF..FF).
        let ks_enc = h("0A9DA4DB03BDDE39FC5202BC44B2E89E");
        let iv = encrypt_block(CipherSuite::Aes128, &ks_enc, &[0xFF; 16]).unwrap();
        assert_eq!(iv, h("F6A3B75A1E933941DD7A13E2520779DF"));
        let a_ic =
            h("1EEA964DAAE372AC990E3EFDE6333353BFC89A6704D93DA8798CF77F5B7A54BD10CBA372B42BE0B9B5F28AA8DE2F4F92");
        let ca_ic = cbc_decrypt(CipherSuite::Aes128, &ks_enc, &iv, &a_ic).unwrap();
        assert_eq!(
            unpad(&ca_ic).unwrap(),
            &h("85DC3FA93D0952BFA82F5FD189EE75BD82F11D1F0B8ED4BF5319AC9B53C426B3")[..]
        );
    }

    #[test]
    fn wrong_sizes_are_errors() {
        assert_eq!(
            cbc_encrypt(CipherSuite::Aes256, &[0; 16], &[0; 16], &[0; 16]),
            Err(CryptoError::KeyLength {
                cipher: CipherSuite::Aes256,
                got: 16,
                want: 32
            })
        );
        assert_eq!(
            cbc_encrypt(CipherSuite::Aes128, &[0; 16], &[0; 8], &[0; 16]),
            Err(CryptoError::IvLength { got: 8, want: 16 })
        );
        assert_eq!(
            cbc_decrypt(CipherSuite::Tdes, &[0; 16], &[0; 8], &[0; 9]),
            Err(CryptoError::NotBlockAligned(9))
        );
        assert_eq!(
            encrypt_block(CipherSuite::Aes192, &[0; 24], &[0; 8]),
            Err(CryptoError::NotBlockAligned(8))
        );
    }

    #[test]
    fn aes_192_and_256_round_trip() {
        for suite in [CipherSuite::Aes192, CipherSuite::Aes256] {
            let key = vec![7u8; suite.key_len()];
            let data = pad(b"secure messaging", 16);
            let ct = cbc_encrypt(suite, &key, &[1; 16], &data).unwrap();
            assert_ne!(ct, data);
            assert_eq!(cbc_decrypt(suite, &key, &[1; 16], &ct).unwrap(), data);
        }
    }
}
