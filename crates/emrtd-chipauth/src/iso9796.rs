//! ISO/IEC 9796-2 digital signature scheme 1 (message recovery), as used by Active
//! Authentication with RSA (Doc 9303-11 §6.1, Appendix F).
//!
//! The message representative is
//! `F = header || M1 || H(M1 || M2) || trailer` with
//! * header `6A` (bits `01` = scheme 1, `1` = partial recovery, then the padding nibble `A`),
//!   or a padding of `B` nibbles ended by an `A` nibble when M1 is shorter than the capacity;
//! * trailer `BC` (implicit SHA-1) or `xx CC` with the hash identifier `xx` of ISO/IEC 10118-3
//!   (`33` SHA-1, `34` SHA-256, `35` SHA-512, `36` SHA-384, `38` SHA-224, `39` SHA-512/224,
//!   `3A` SHA-512/256).
//!
//! The RSA operations are the raw public and private operations of the `rsa` crate
//! ([`rsa::hazmat`]); everything else is here.

use crate::error::Iso9796Error;
use digest::Digest;
use rand_core::CryptoRng;
use rsa::traits::PublicKeyParts;
use rsa::{BoxedUint, PrivateKey as RsaPrivate, PublicKey as RsaPublic};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// A hash function of a signature (ISO/IEC 9796-2 trailer or ECDSA algorithm).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-1 (FIPS 180-4), 20 bytes; trailer `BC` or hash identifier `33`.
    Sha1,
    /// SHA-224, 28 bytes; hash identifier `38`.
    Sha224,
    /// SHA-256, 32 bytes; hash identifier `34`.
    Sha256,
    /// SHA-384, 48 bytes; hash identifier `36`.
    Sha384,
    /// SHA-512, 64 bytes; hash identifier `35`.
    Sha512,
    /// SHA-512/224, 28 bytes; hash identifier `39`.
    Sha512_224,
    /// SHA-512/256, 32 bytes; hash identifier `3A`.
    Sha512_256,
}

impl HashAlgorithm {
    /// Output length in bytes.
    pub const fn output_len(self) -> usize {
        match self {
            HashAlgorithm::Sha1 => 20,
            HashAlgorithm::Sha224 | HashAlgorithm::Sha512_224 => 28,
            HashAlgorithm::Sha256 | HashAlgorithm::Sha512_256 => 32,
            HashAlgorithm::Sha384 => 48,
            HashAlgorithm::Sha512 => 64,
        }
    }

    /// The ISO/IEC 10118-3 hash identifier used in a two-byte trailer `id CC`.
    pub const fn hash_id(self) -> u8 {
        match self {
            HashAlgorithm::Sha1 => 0x33,
            HashAlgorithm::Sha256 => 0x34,
            HashAlgorithm::Sha512 => 0x35,
            HashAlgorithm::Sha384 => 0x36,
            HashAlgorithm::Sha224 => 0x38,
            HashAlgorithm::Sha512_224 => 0x39,
            HashAlgorithm::Sha512_256 => 0x3A,
        }
    }

    /// The hash named by a trailer hash identifier.
    pub const fn from_hash_id(id: u8) -> Option<Self> {
        Some(match id {
            0x33 => HashAlgorithm::Sha1,
            0x34 => HashAlgorithm::Sha256,
            0x35 => HashAlgorithm::Sha512,
            0x36 => HashAlgorithm::Sha384,
            0x38 => HashAlgorithm::Sha224,
            0x39 => HashAlgorithm::Sha512_224,
            0x3A => HashAlgorithm::Sha512_256,
            _ => return None,
        })
    }

    /// Hashes the concatenation of `parts`.
    pub fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut h = D::new();
            for p in parts {
                h.update(p);
            }
            h.finalize().to_vec()
        }
        match self {
            HashAlgorithm::Sha1 => run::<sha1::Sha1>(parts),
            HashAlgorithm::Sha224 => run::<sha2::Sha224>(parts),
            HashAlgorithm::Sha256 => run::<sha2::Sha256>(parts),
            HashAlgorithm::Sha384 => run::<sha2::Sha384>(parts),
            HashAlgorithm::Sha512 => run::<sha2::Sha512>(parts),
            HashAlgorithm::Sha512_224 => run::<sha2::Sha512_224>(parts),
            HashAlgorithm::Sha512_256 => run::<sha2::Sha512_256>(parts),
        }
    }
}

/// The trailer form of a signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Trailer {
    /// One byte `BC`: SHA-1, implicit.
    Implicit,
    /// Two bytes `id CC`: the hash is named by `id`.
    Explicit(HashAlgorithm),
}

impl Trailer {
    /// The hash function the trailer names (SHA-1 for the implicit `BC`).
    pub const fn hash(self) -> HashAlgorithm {
        match self {
            Trailer::Implicit => HashAlgorithm::Sha1,
            Trailer::Explicit(h) => h,
        }
    }

    /// Length of the trailer in bytes: 1 (`BC`) or 2 (`id CC`).
    pub const fn len(self) -> usize {
        match self {
            Trailer::Implicit => 1,
            Trailer::Explicit(_) => 2,
        }
    }

    /// Always false: a trailer has at least one byte (pairs with [`Trailer::len`]).
    pub const fn is_empty(self) -> bool {
        false
    }

    fn write(self, out: &mut Vec<u8>) {
        match self {
            Trailer::Implicit => out.push(0xBC),
            Trailer::Explicit(h) => {
                out.push(h.hash_id());
                out.push(0xCC);
            }
        }
    }
}

/// A decoded message representative `F`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovered {
    /// The recoverable part M1 (the chip's nonce in Active Authentication).
    pub m1: Vec<u8>,
    /// The hash field `H(M1 || M2)` as found in `F`.
    pub digest: Vec<u8>,
    /// The trailer, which names the hash function.
    pub trailer: Trailer,
    /// True when the header announces partial recovery (a non-recoverable M2 exists).
    pub partial_recovery: bool,
}

impl Recovered {
    /// Checks `H(M1 || m2) == digest` (constant time comparison).
    pub fn check(&self, m2: &[u8]) -> Result<(), Iso9796Error> {
        let expect = self.trailer.hash().digest(&[&self.m1, m2]);
        if expect.len() == self.digest.len() && bool::from(expect.ct_eq(&self.digest)) {
            Ok(())
        } else {
            Err(Iso9796Error::DigestMismatch)
        }
    }
}

/// Decodes a message representative `F` (the output of the RSA public operation, with leading
/// zero bytes allowed) into M1, the hash field and the trailer (ISO/IEC 9796-2 §8.2 / B.6).
pub fn decode_representative(f: &[u8]) -> Result<Recovered, Iso9796Error> {
    // Leading zero bytes come from a representative shorter than the modulus.
    let start = f.iter().position(|&b| b != 0).ok_or(Iso9796Error::BadHeader)?;
    let f = f.get(start..).ok_or(Iso9796Error::BadHeader)?;
    let (&last, rest) = f.split_last().ok_or(Iso9796Error::BadHeader)?;
    let (trailer, body) = match last {
        0xBC => (Trailer::Implicit, rest),
        0xCC => {
            let (&id, body) = rest.split_last().ok_or(Iso9796Error::BadTrailer(0xCC))?;
            let hash = HashAlgorithm::from_hash_id(id).ok_or(Iso9796Error::UnknownHashId(id))?;
            (Trailer::Explicit(hash), body)
        }
        other => return Err(Iso9796Error::BadTrailer(other)),
    };
    let first = *body.first().ok_or(Iso9796Error::BadHeader)?;
    if first & 0xC0 != 0x40 {
        return Err(Iso9796Error::BadHeader);
    }
    let partial_recovery = first & 0x20 != 0;
    // Padding: the low nibble of the first byte and following nibbles are 'B' until the
    // byte whose low nibble is 'A'; M1 starts after it.
    let mut m1_start = None;
    for (i, &b) in body.iter().enumerate() {
        let high_ok = i == 0 || b >> 4 == 0x0B;
        if b & 0x0F == 0x0A && high_ok {
            m1_start = Some(i + 1);
            break;
        }
        if !(high_ok && b & 0x0F == 0x0B) {
            return Err(Iso9796Error::BadPadding);
        }
    }
    let m1_start = m1_start.ok_or(Iso9796Error::BadPadding)?;
    let h_len = trailer.hash().output_len();
    let payload = body.get(m1_start..).ok_or(Iso9796Error::BadPadding)?;
    if payload.len() < h_len {
        return Err(Iso9796Error::TooShort);
    }
    let (m1, digest) = payload.split_at(payload.len() - h_len);
    Ok(Recovered {
        m1: m1.to_vec(),
        digest: digest.to_vec(),
        trailer,
        partial_recovery,
    })
}

/// Length in bytes of a modulus.
pub fn modulus_len(key: &RsaPublic) -> usize {
    (key.n().as_ref().bit_width() as usize).div_ceil(8)
}

/// The raw RSA public operation `s^e mod n` on a big-endian signature, returning `k` bytes
/// (`k` = modulus length). Rejects `s >= n` and signatures longer than the modulus.
pub fn rsa_public_raw(key: &RsaPublic, sig: &[u8]) -> Result<Vec<u8>, Iso9796Error> {
    let k = modulus_len(key);
    let trimmed = strip_leading_zeros(sig);
    if trimmed.len() > k {
        return Err(Iso9796Error::SignatureLength {
            got: sig.len(),
            modulus: k,
        });
    }
    let n = key.n().as_ref();
    let s = BoxedUint::from_be_slice(trimmed, n.bits_precision()).map_err(|_| Iso9796Error::SignatureLength {
        got: sig.len(),
        modulus: k,
    })?;
    if s >= *n || bool::from(s.is_zero()) {
        return Err(Iso9796Error::SignatureOutOfRange);
    }
    let f = rsa::hazmat::rsa_encrypt(key, &s).map_err(|_| Iso9796Error::SignatureOutOfRange)?;
    Ok(fixed_len(&f.to_be_bytes(), k))
}

/// Verifies an ISO/IEC 9796-2 scheme 1 signature with partial recovery over `m2` and returns
/// the recovered M1. When `s^e mod n` does not end in the nibble `C`, `n - (s^e mod n)` is
/// tried as the standard allows (signature `min(F^d, n - F^d)`).
pub fn verify(key: &RsaPublic, sig: &[u8], m2: &[u8]) -> Result<Recovered, Iso9796Error> {
    let f = rsa_public_raw(key, sig)?;
    let k = f.len();
    let f = if f.last().is_some_and(|b| b & 0x0F == 0x0C) {
        f
    } else {
        let n = key.n().as_ref();
        let fv = BoxedUint::from_be_slice(&f, n.bits_precision()).map_err(|_| Iso9796Error::SignatureOutOfRange)?;
        let alt = n.wrapping_sub(&fv);
        let alt = fixed_len(&alt.to_be_bytes(), k);
        if alt.last().is_some_and(|b| b & 0x0F == 0x0C) {
            alt
        } else {
            // Report the trailer of the direct result.
            return Err(Iso9796Error::BadTrailer(f.last().copied().unwrap_or(0)));
        }
    };
    let rec = decode_representative(&f)?;
    if !rec.partial_recovery {
        return Err(Iso9796Error::NotPartialRecovery);
    }
    rec.check(m2)?;
    Ok(rec)
}

/// Capacity for M1 in bytes when signing with a modulus of `k` bytes and the given trailer:
/// `k - 1 (header) - Lh - t`.
pub fn m1_capacity(k: usize, trailer: Trailer) -> Option<usize> {
    k.checked_sub(1 + trailer.hash().output_len() + trailer.len())
}

/// Builds `F = 6A || M1 || H(M1 || M2) || trailer` of `k` bytes for a modulus of `k` bytes.
/// M1 must fill the capacity exactly ([`m1_capacity`]).
pub fn encode_representative(k: usize, trailer: Trailer, m1: &[u8], m2: &[u8]) -> Result<Vec<u8>, Iso9796Error> {
    let cap = m1_capacity(k, trailer).ok_or(Iso9796Error::ModulusTooSmall)?;
    if m1.len() != cap {
        return Err(Iso9796Error::M1Length {
            got: m1.len(),
            want: cap,
        });
    }
    let mut f = Vec::with_capacity(k);
    f.push(0x6A);
    f.extend_from_slice(m1);
    f.extend_from_slice(&trailer.hash().digest(&[m1, m2]));
    trailer.write(&mut f);
    Ok(f)
}

/// Card side: signs `m2` (the terminal's challenge) with ISO/IEC 9796-2 scheme 1, M1 being
/// `capacity` random bytes from `rng`. The modulus must be a whole number of bytes (the top
/// bit of the modulus set in its first byte), as for all eMRTD AA keys.
pub fn sign<R: CryptoRng + ?Sized>(
    key: &RsaPrivate,
    trailer: Trailer,
    m2: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>, Iso9796Error> {
    let public = key.to_public_key();
    let k = modulus_len(&public);
    if !public.n().as_ref().bit_width().is_multiple_of(8) {
        return Err(Iso9796Error::ModulusNotByteAligned);
    }
    let cap = m1_capacity(k, trailer).ok_or(Iso9796Error::ModulusTooSmall)?;
    let mut m1 = Zeroizing::new(vec![0u8; cap]);
    rng.fill_bytes(&mut m1);
    sign_with_m1(key, trailer, &m1, m2)
}

/// Card side with a given M1 (for reproducible tests).
pub fn sign_with_m1(key: &RsaPrivate, trailer: Trailer, m1: &[u8], m2: &[u8]) -> Result<Vec<u8>, Iso9796Error> {
    let public = key.to_public_key();
    let k = modulus_len(&public);
    let f = Zeroizing::new(encode_representative(k, trailer, m1, m2)?);
    let n = public.n().as_ref();
    let fv = BoxedUint::from_be_slice(&f, n.bits_precision()).map_err(|_| Iso9796Error::ModulusTooSmall)?;
    if fv >= *n {
        return Err(Iso9796Error::ModulusTooSmall);
    }
    let s = rsa::hazmat::rsa_decrypt_and_check(key, None::<&mut NoRng>, &fv)
        .map_err(|_| Iso9796Error::PrivateKeyOperation)?;
    Ok(fixed_len(&s.to_be_bytes(), k))
}

/// Placeholder type for the unblinded private operation (no rng is used).
#[derive(Debug)]
pub enum NoRng {}

impl rand_core::TryRng for NoRng {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        match *self {}
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        match *self {}
    }
    fn try_fill_bytes(&mut self, _dst: &mut [u8]) -> Result<(), Self::Error> {
        match *self {}
    }
}
impl rand_core::TryCryptoRng for NoRng {}

fn strip_leading_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    b.get(i..).unwrap_or_default()
}

/// Left-pads or left-trims (zero bytes only) to exactly `k` bytes.
pub(crate) fn fixed_len(bytes: &[u8], k: usize) -> Vec<u8> {
    let t = strip_leading_zeros(bytes);
    let mut out = vec![0u8; k.saturating_sub(t.len())];
    out.extend_from_slice(t);
    out
}

/// Former name of [`HashAlgorithm`].
pub type Iso9796Hash = HashAlgorithm;
