//! Password Authenticated Connection Establishment (ICAO Doc 9303-11 §4.4, BSI TR-03110).
//!
//! * all mappings: Generic Mapping (GM), Integrated Mapping (IM) and Chip Authentication
//!   Mapping (CAM); ECDH and DH; 3DES and AES-128/192/256 session keys;
//! * standardized domain parameters 0-2 and 8-18 and explicit parameters from
//!   PACEDomainParameterInfo;
//! * passwords MRZ, CAN, PIN and PUK, with the PIN status words surfaced as
//!   [`PasswordStatus`] (retries left, suspended, blocked, deactivated); [`pin`] builds
//!   RESET RETRY COUNTER and CHANGE REFERENCE DATA;
//! * [`select::select_protocol`] chooses deterministically among the chip's PACEInfos
//!   (CAM > GM > IM, ECDH > DH, stronger cipher first), overridable by [`select::Preferences`].
//!
//! Terminal side: [`terminal::PaceTerminal`], sans-IO steps named after Doc 9303
//! (MSE:Set AT, GA step 1 "Encrypted Nonce", step 2 "Map Nonce", step 3 "Perform Key
//! Agreement", step 4 "Mutual Authentication"). Card side: [`chip::PaceChip`], which turns
//! command APDUs into response APDUs. Both end with an [`emrtd_sm::SmSession`] (SSC = 0).
//!
//! There is no fallback to BAC here: every failure is a [`PaceError`].
//!
//! ```
//! use emrtd_access::MrzKey;
//! use emrtd_access::pace::{PaceChip, PaceChipConfig, PaceConfig, PaceTerminal, Password, Preferences, select_protocol};
//! use emrtd_secinfo::SecurityInfos;
//!
//! // EF.CardAccess of an Austrian passport: PACE-ECDH-GM-AES-128 on brainpoolP256r1.
//! let card_access = [
//!     0x31, 0x14, 0x30, 0x12, 0x06, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02,
//!     0x02, 0x01, 0x02, 0x02, 0x01, 0x0D,
//! ];
//! let infos = SecurityInfos::parse(&card_access)?;
//! let selection = select_protocol(&infos, &Preferences::default())?;
//! assert_eq!(selection.parameter_id, Some(13));
//!
//! let mrz = Password::Mrz(MrzKey::new("T22000129", "640812", "101031")?);
//! // The card side, as the virtual chip uses it.
//! let protocols = PaceChipConfig::protocols_from_security_infos(&infos);
//! let mut chip = PaceChip::new(PaceChipConfig::new(protocols, vec![mrz.clone()]));
//! let mut chip_rng = emrtd_crypto::rng::os_rng();
//!
//! let mut terminal = PaceTerminal::new(selection, &mrz, PaceConfig::default());
//! let mut rng = emrtd_crypto::rng::os_rng();
//! let outcome = terminal.run(&mut rng, |command| Ok(chip.process(command, &mut chip_rng)))?;
//! assert_eq!(outcome.session.ssc(), &[0u8; 16]);
//! assert_eq!(chip.take_outcome().map(|o| o.session.ks_mac().to_vec()), Some(outcome.session.ks_mac().to_vec()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod chip;
pub mod pin;
pub mod select;
pub mod terminal;

#[cfg(test)]
mod tests;

use crate::mrz::MrzKey;
use emrtd_apdu::tlv::{Tag, Tlv, TlvIter, encode};
use emrtd_apdu::{ApduError, StatusWord, SwMeaning, TlvError};
use emrtd_crypto::ec::AsymError;
use emrtd_crypto::mac::token_mac;
use emrtd_crypto::{CipherSuite, CryptoError, KdfCounter, SecretBytes, cbc_decrypt, cbc_encrypt, kdf};
pub use emrtd_secinfo::{KeyAgreement, PaceMapping, PaceProtocol};
use emrtd_sm::SmError;
use thiserror::Error;
use zeroize::Zeroizing;

pub use chip::{ChipProtocol, PaceChip, PaceChipConfig, PaceChipOutcome};
pub use select::{PaceSelection, Preferences, select_protocol};
pub use terminal::{CamVerification, FixedEphemeral, PaceConfig, PaceOutcome, PaceTerminal};

/// The password of a PACE run (Doc 9303-11 §4.4.1, TR-03110-2 §3.3).
#[derive(Clone)]
pub enum Password {
    /// MRZ information (key reference 1); π = SHA-1(MRZ_information).
    Mrz(MrzKey),
    /// Card Access Number (key reference 2).
    Can(String),
    /// eID PIN (key reference 3).
    Pin(String),
    /// eID PUK (key reference 4).
    Puk(String),
}

impl core::fmt::Debug for Password {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Password::Mrz(_) => "Password::Mrz(..)",
            Password::Can(_) => "Password::Can(..)",
            Password::Pin(_) => "Password::Pin(..)",
            Password::Puk(_) => "Password::Puk(..)",
        })
    }
}

/// Password key references of MSE:Set AT DO 0x83.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PasswordRef {
    /// `01`: MRZ information.
    Mrz = 1,
    /// `02`: Card Access Number.
    Can = 2,
    /// `03`: PIN.
    Pin = 3,
    /// `04`: PUK.
    Puk = 4,
}

impl PasswordRef {
    /// The reference named by the value of DO 83 (1-4), `None` for any other byte.
    pub fn from_byte(b: u8) -> Option<Self> {
        match b {
            1 => Some(PasswordRef::Mrz),
            2 => Some(PasswordRef::Can),
            3 => Some(PasswordRef::Pin),
            4 => Some(PasswordRef::Puk),
            _ => None,
        }
    }
}

impl Password {
    /// The key reference of this password (DO 83 of MSE:Set AT).
    pub fn reference(&self) -> PasswordRef {
        match self {
            Password::Mrz(_) => PasswordRef::Mrz,
            Password::Can(_) => PasswordRef::Can,
            Password::Pin(_) => PasswordRef::Pin,
            Password::Puk(_) => PasswordRef::Puk,
        }
    }

    /// The password bytes π: SHA-1(MRZ_information) for MRZ, the ISO 8859-1 characters
    /// otherwise.
    pub fn secret(&self) -> SecretBytes {
        match self {
            Password::Mrz(m) => m.pace_password(),
            Password::Can(s) | Password::Pin(s) | Password::Puk(s) => {
                Zeroizing::new(s.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect())
            }
        }
    }

    /// Kπ = KDF(π, 3) for the cipher of the protocol.
    pub fn k_pi(&self, suite: CipherSuite) -> SecretBytes {
        kdf(&self.secret(), KdfCounter::Pace, suite)
    }
}

/// The state of a password as told by the chip's status words (TR-03110-3 B.11.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordStatus {
    /// 63Cx with x ≥ 2: wrong password / warning, `x` attempts left.
    RetriesLeft(u8),
    /// 63C1 for the PIN: suspended, PACE with the CAN must come first.
    Suspended,
    /// 6983: blocked, needs RESET RETRY COUNTER after PACE with the PUK.
    Blocked,
    /// 6984 / 6283: deactivated.
    Deactivated,
    /// 6300: authentication failed, no counter given.
    Failed,
}

impl PasswordStatus {
    /// The password status a status word reports, for the password `reference`.
    pub fn from_status_word(sw: StatusWord, reference: PasswordRef) -> Option<Self> {
        match sw.meaning() {
            SwMeaning::RetriesLeft(1) if reference == PasswordRef::Pin => Some(PasswordStatus::Suspended),
            SwMeaning::RetriesLeft(n) => Some(PasswordStatus::RetriesLeft(n)),
            SwMeaning::AuthenticationMethodBlocked => Some(PasswordStatus::Blocked),
            SwMeaning::ReferenceDataNotUsable => Some(PasswordStatus::Deactivated),
            SwMeaning::VerificationFailed => Some(PasswordStatus::Failed),
            _ if sw.0 == 0x6283 => Some(PasswordStatus::Deactivated),
            _ => None,
        }
    }

    /// What the caller has to do next, in words.
    pub fn advice(&self) -> &'static str {
        match self {
            PasswordStatus::RetriesLeft(_) => "wrong password; retry with the correct one",
            PasswordStatus::Suspended => "PIN suspended: run PACE with the CAN, then PACE with the PIN",
            PasswordStatus::Blocked => "blocked: run PACE with the PUK, then RESET RETRY COUNTER",
            PasswordStatus::Deactivated => "password deactivated",
            PasswordStatus::Failed => "authentication failed (wrong password?)",
        }
    }
}

/// PACE errors. A failure is final: this crate never falls back to BAC.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PaceError {
    /// EF.CardAccess has no PACEInfo with a protocol (and parameters) that this terminal
    /// supports and the [`Preferences`] allow.
    #[error("the chip offers no PACE protocol this terminal supports")]
    NoSupportedProtocol,
    /// The domain parameters cannot be used: no PACEDomainParameterInfo for a proprietary
    /// parameterId, an unknown standardized id, or explicit parameters that are malformed or
    /// do not fit the protocol.
    #[error("domain parameters: {0}")]
    Domain(String),
    /// The chip answered a step with an error status word that says nothing about the
    /// password.
    #[error("{step}: chip answered {sw}")]
    ChipRefused {
        /// The step (`"MSE:Set AT"`, `"GA step 1"`, ...).
        step: &'static str,
        /// The chip's status word.
        sw: StatusWord,
    },
    /// The chip's status word reports the password's state: wrong (retries left), suspended,
    /// blocked or deactivated (TR-03110-3 B.11.1).
    #[error("{step}: password rejected ({status:?}): {}", status.advice())]
    PasswordRejected {
        /// The step at which the chip said so.
        step: &'static str,
        /// The password state; [`PasswordStatus::advice`] says what to do next.
        status: PasswordStatus,
    },
    /// A chip response lacks a data object the step needs or has the wrong length (also: an
    /// input of the wrong length to [`im_prf`], or a PIN that is not 4-12 digits).
    #[error("{0}: malformed chip response")]
    BadResponse(&'static str),
    /// GA step 4: the chip's token T_IC is not the MAC of the terminal's ephemeral public key
    /// under KSmac (wrong password on the chip's side, or an attacker).
    #[error("the chip's authentication token T_IC is wrong")]
    BadChipToken,
    /// The terminal's token T_IFD is wrong (card-side condition; [`PaceChip`] answers it with
    /// status word 63xx, so the terminal sees [`PaceError::PasswordRejected`]).
    #[error("the terminal's authentication token T_IFD is wrong")]
    BadTerminalToken,
    /// The chip's ephemeral (mapping or key agreement) public key equals the terminal's, which
    /// Doc 9303-11 §4.4.3.4 forbids (a reflection attack).
    #[error("the chip's ephemeral public key equals the terminal's")]
    SameEphemeralKey,
    /// PACE-CAM: the encrypted chip authentication data A_IC (DO 8A) is missing or does not
    /// decrypt and unpad, or the chip's mapping public key needed to check it is missing.
    #[error("encrypted chip authentication data (PACE-CAM) missing or malformed")]
    BadCamData,
    /// A terminal step was called out of order (or `verify_cam` without PACE-CAM).
    #[error("step called out of order: {0}")]
    OutOfOrder(&'static str),
    /// A chip response's BER-TLV (dynamic authentication data `7C`) does not parse.
    #[error("TLV: {0}")]
    Tlv(#[from] TlvError),
    /// A command or response APDU could not be encoded or parsed.
    #[error("APDU: {0}")]
    Apdu(#[from] ApduError),
    /// Group arithmetic failed: a public key is not a valid element, or a result is the
    /// neutral element.
    #[error("arithmetic: {0}")]
    Asym(#[from] AsymError),
    /// A cipher or MAC primitive failed (key or block length).
    #[error("cryptography: {0}")]
    Crypto(#[from] CryptoError),
    /// The secure messaging session could not be set up from KSenc/KSmac.
    #[error("secure messaging: {0}")]
    Sm(#[from] SmError),
}

/// The Doc 9303-11 §4.4.3.3.2 PRF constants for l = 128 (3DES, AES-128).
const C0_128: [u8; 16] = [
    0xa6, 0x68, 0x89, 0x2a, 0x7c, 0x41, 0xe3, 0xca, 0x73, 0x9f, 0x40, 0xb0, 0x57, 0xd8, 0x59, 0x04,
];
const C1_128: [u8; 16] = [
    0xa4, 0xe1, 0x36, 0xac, 0x72, 0x5f, 0x73, 0x8b, 0x01, 0xc1, 0xf6, 0x02, 0x17, 0xc1, 0x88, 0xad,
];
/// The PRF constants for l = 256 (AES-192, AES-256).
const C0_256: [u8; 32] = [
    0xd4, 0x63, 0xd6, 0x52, 0x34, 0x12, 0x4e, 0xf7, 0x89, 0x70, 0x54, 0x98, 0x6d, 0xca, 0x0a, 0x17, 0x4e, 0x28, 0xdf,
    0x75, 0x8c, 0xba, 0xa0, 0x3f, 0x24, 0x06, 0x16, 0x41, 0x4d, 0x5a, 0x16, 0x76,
];
const C1_256: [u8; 32] = [
    0x54, 0xbd, 0x72, 0x55, 0xf0, 0xaa, 0xf8, 0x31, 0xbe, 0xc3, 0x42, 0x3f, 0xcf, 0x39, 0xd6, 0x9b, 0x6c, 0xbf, 0x06,
    0x66, 0x77, 0xd0, 0xfa, 0xae, 0x5a, 0xad, 0xd9, 0x9d, 0xf8, 0xe5, 0x35, 0x17,
];

/// The length in bytes of the nonce s (and of the PRF blocks): l = the smallest multiple of
/// the block size not below the key size k (3DES counts as k = 128), §4.4.3.3.
pub fn nonce_len(suite: CipherSuite) -> usize {
    match suite {
        CipherSuite::Tdes | CipherSuite::Aes128 => 16,
        CipherSuite::Aes192 | CipherSuite::Aes256 => 32,
    }
}

/// GA step 1, chip side: z = E(Kπ, s), CBC with IV = 0.
pub fn encrypt_nonce(suite: CipherSuite, k_pi: &[u8], s: &[u8]) -> Result<Vec<u8>, PaceError> {
    Ok(cbc_encrypt(suite, k_pi, &vec![0u8; suite.block_len()], s)?)
}

/// GA step 1, terminal side: s = D(Kπ, z).
pub fn decrypt_nonce(suite: CipherSuite, k_pi: &[u8], z: &[u8]) -> Result<SecretBytes, PaceError> {
    if z.is_empty() || z.len() > 64 {
        return Err(PaceError::BadResponse("GA step 1 (encrypted nonce length)"));
    }
    Ok(Zeroizing::new(cbc_decrypt(
        suite,
        k_pi,
        &vec![0u8; suite.block_len()],
        z,
    )?))
}

/// The Integrated Mapping pseudo-random function R(s,t) (Doc 9303-11 §4.4.3.3.2, Figure 2):
/// k0 = E(t, s); x_i = E(k_{i-1}, c1); k_i = E(k_{i-1}, c0); R = x_1 || … || x_n, with n the
/// smallest number such that n·l ≥ log2(p) + 64. E is the block cipher in CBC mode with
/// IV = 0; keys are truncated to the key size (AES-192).
pub fn im_prf(suite: CipherSuite, s: &[u8], t: &[u8], p_bits: u32) -> Result<SecretBytes, PaceError> {
    let l = nonce_len(suite);
    let key_len = suite.key_len();
    if s.len() != l || t.len() != key_len {
        return Err(PaceError::BadResponse("IM nonce length"));
    }
    let (c0, c1): (&[u8], &[u8]) = if l == 16 {
        (&C0_128, &C1_128)
    } else {
        (&C0_256, &C1_256)
    };
    let iv = vec![0u8; suite.block_len()];
    let n = (p_bits as usize + 64).div_ceil(l * 8);
    let mut k = Zeroizing::new(cbc_encrypt(suite, t, &iv, s)?);
    let mut out = Zeroizing::new(Vec::with_capacity(n * l));
    for _ in 0..n {
        let key = Zeroizing::new(k.get(..key_len).ok_or(PaceError::BadResponse("IM key"))?.to_vec());
        out.extend_from_slice(&cbc_encrypt(suite, &key, &iv, c1)?);
        k = Zeroizing::new(cbc_encrypt(suite, &key, &iv, c0)?);
    }
    Ok(out)
}

/// KSenc and KSmac from the shared secret K (§4.4.3.4 / §9.7.1).
pub fn session_keys(suite: CipherSuite, k: &[u8]) -> (SecretBytes, SecretBytes) {
    (kdf(k, KdfCounter::Enc, suite), kdf(k, KdfCounter::Mac, suite))
}

/// The public key data object of a token: `7F49 { 06 OID, 86 point }` (ECDH) or
/// `7F49 { 06 OID, 84 value }` (DH), Doc 9303-11 §4.4.3.4 / §9.4.
pub fn public_key_data_object(oid: &[u8], key_agreement: KeyAgreement, public_key: &[u8]) -> Vec<u8> {
    let oid_do = encode(Tag(0x06), oid);
    let key_tag = match key_agreement {
        KeyAgreement::Ecdh => Tag(0x86),
        KeyAgreement::Dh => Tag(0x84),
    };
    let key_do = encode(key_tag, public_key);
    emrtd_apdu::tlv::encode_constructed(Tag(0x7F49), &[&oid_do, &key_do])
}

/// An authentication token: MAC(KSmac, public key data object of the *other* party's key).
pub fn auth_token(
    suite: CipherSuite,
    ks_mac: &[u8],
    oid: &[u8],
    key_agreement: KeyAgreement,
    public_key: &[u8],
) -> Result<[u8; 8], PaceError> {
    Ok(token_mac(
        suite,
        ks_mac,
        &public_key_data_object(oid, key_agreement, public_key),
    )?)
}

/// PACE-CAM: A_IC = AES-CBC(KSenc, IV = E(KSenc, -1), pad(CA_IC)) (§4.4.3.5).
pub fn cam_encrypt(suite: CipherSuite, ks_enc: &[u8], ca_ic: &[u8]) -> Result<Vec<u8>, PaceError> {
    let iv = emrtd_crypto::encrypt_block(suite, ks_enc, &vec![0xFF; suite.block_len()])?;
    Ok(cbc_encrypt(
        suite,
        ks_enc,
        &iv,
        &emrtd_crypto::pad(ca_ic, suite.block_len()),
    )?)
}

/// PACE-CAM terminal side: CA_IC from A_IC.
pub fn cam_decrypt(suite: CipherSuite, ks_enc: &[u8], a_ic: &[u8]) -> Result<SecretBytes, PaceError> {
    let iv = emrtd_crypto::encrypt_block(suite, ks_enc, &vec![0xFF; suite.block_len()])?;
    let plain = Zeroizing::new(cbc_decrypt(suite, ks_enc, &iv, a_ic).map_err(|_| PaceError::BadCamData)?);
    let unpadded = emrtd_crypto::unpad(&plain).map_err(|_| PaceError::BadCamData)?;
    Ok(Zeroizing::new(unpadded.to_vec()))
}

/// The dynamic authentication data `7C { tag value }` of a GENERAL AUTHENTICATE.
pub(crate) fn dynamic_auth_data(parts: &[(u32, &[u8])]) -> Vec<u8> {
    let inner: Vec<u8> = parts.iter().flat_map(|(t, v)| encode(Tag(*t), v)).collect();
    encode(Tag(0x7C), &inner)
}

/// The data objects inside `7C` of a GENERAL AUTHENTICATE command or response.
pub(crate) fn parse_dynamic_auth_data(data: &[u8]) -> Result<Vec<(u32, Vec<u8>)>, PaceError> {
    let tlv = Tlv::parse_expect(data, Tag(0x7C))?;
    let mut out = Vec::new();
    for child in TlvIter::new(tlv.value) {
        let child = child?;
        if out.len() >= 8 {
            break;
        }
        out.push((child.tag.0, child.value.to_vec()));
    }
    Ok(out)
}

pub(crate) fn find_do(dos: &[(u32, Vec<u8>)], tag: u32) -> Option<&[u8]> {
    dos.iter().find(|(t, _)| *t == tag).map(|(_, v)| v.as_slice())
}

pub(crate) fn domain_err(e: AsymError) -> PaceError {
    PaceError::Domain(e.to_string())
}
