//! Basic Access Control (ICAO Doc 9303-11 §4.3, worked example Appendix D).
//!
//! Terminal side, as steps:
//! 1. [`BacTerminal::get_challenge`]: GET CHALLENGE (`0084000008`).
//! 2. [`BacTerminal::external_authenticate`]: from RND.IC, choose RND.IFD and K.IFD, send
//!    `E_IFD || M_IFD` in EXTERNAL AUTHENTICATE.
//! 3. [`BacTerminal::finish`]: verify `M_IC`, decrypt `E_IC`, check the echoed RND.IFD, derive
//!    KSenc/KSmac from `K.IFD xor K.IC` and the SSC, giving an [`SmSession`].
//!
//! [`BacChip`] is the card side used by the virtual chip.

use crate::mrz::MrzKey;
use emrtd_apdu::{CommandApdu, ResponseApdu, StatusWord};
use emrtd_crypto::{CipherSuite, CryptoError, KdfCounter, SecretBytes, cbc_decrypt, cbc_encrypt, kdf, retail_mac};
use emrtd_sm::{SmError, SmSession};
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use thiserror::Error;
use zeroize::Zeroizing;

/// BAC errors.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum BacError {
    /// The chip answered GET CHALLENGE with this error status word.
    #[error("GET CHALLENGE failed: {0}")]
    GetChallengeFailed(StatusWord),
    /// RND.IC (the GET CHALLENGE answer) is not 8 bytes; carries its length.
    #[error("GET CHALLENGE returned {0} bytes instead of 8")]
    BadChallengeLength(usize),
    /// The chip refused EXTERNAL AUTHENTICATE (typically `6300`): usually the MRZ key is
    /// wrong, so the chip's MAC check of `E_IFD || M_IFD` failed.
    #[error("EXTERNAL AUTHENTICATE refused: {0} (wrong MRZ data?)")]
    AuthenticationRefused(StatusWord),
    /// The EXTERNAL AUTHENTICATE answer is not the 40 bytes `E_IC || M_IC`; carries its length.
    #[error("EXTERNAL AUTHENTICATE response of {0} bytes instead of 40")]
    BadResponseLength(usize),
    /// The retail MAC `M_IC` over `E_IC` does not verify under KMAC.
    #[error("the chip's MAC M_IC is wrong")]
    BadChipMac,
    /// The decrypted `R = RND.IC || RND.IFD || K.IC` does not carry our RND.IC and RND.IFD.
    #[error("the chip did not echo RND.IFD")]
    NonceMismatch,
    /// A terminal step was called out of order (e.g. `finish` before EXTERNAL AUTHENTICATE).
    #[error("step called out of order: {0}")]
    OutOfOrder(&'static str),
    /// A 3DES or MAC primitive failed (wrong key or block length).
    #[error("cryptographic error: {0}")]
    Crypto(#[from] CryptoError),
    /// The secure messaging session could not be set up from the derived keys.
    #[error("secure messaging: {0}")]
    Sm(#[from] SmError),
}

/// KEnc and KMAC derived from the MRZ (Doc 9303-11 §9.7.2, Appendix D.2).
pub struct BacKeys {
    /// KEnc = KDF(Kseed, 1): the 16-byte 3DES key that encrypts `S` in EXTERNAL AUTHENTICATE.
    pub k_enc: SecretBytes,
    /// KMAC = KDF(Kseed, 2): the 16-byte retail MAC key of the cryptograms.
    pub k_mac: SecretBytes,
}

impl BacKeys {
    /// Derives KEnc and KMAC from `Kseed`, the first 16 bytes of SHA-1 of `MRZ_information`.
    pub fn derive(mrz: &MrzKey) -> Self {
        let kseed = mrz.kseed();
        BacKeys {
            k_enc: kdf(&kseed, KdfCounter::Enc, CipherSuite::Tdes),
            k_mac: kdf(&kseed, KdfCounter::Mac, CipherSuite::Tdes),
        }
    }
}

/// Session keys and SSC from the key seeds and nonces (Doc 9303-11 §4.3.3, Appendix D.3).
fn session(k_ifd: &[u8], k_ic: &[u8], rnd_ic: &[u8], rnd_ifd: &[u8]) -> Result<SmSession, BacError> {
    let seed: Zeroizing<Vec<u8>> = Zeroizing::new(k_ifd.iter().zip(k_ic).map(|(a, b)| a ^ b).collect());
    let ks_enc = kdf(&seed, KdfCounter::Enc, CipherSuite::Tdes);
    let ks_mac = kdf(&seed, KdfCounter::Mac, CipherSuite::Tdes);
    let mut ssc = [0u8; 8];
    ssc[..4].copy_from_slice(rnd_ic.get(4..8).ok_or(BacError::BadChallengeLength(rnd_ic.len()))?);
    ssc[4..].copy_from_slice(rnd_ifd.get(4..8).ok_or(BacError::BadChallengeLength(rnd_ifd.len()))?);
    Ok(SmSession::new(CipherSuite::Tdes, &ks_enc, &ks_mac, &ssc)?)
}

/// `E = 3DES-CBC(KEnc, S)` and `M = MAC(KMAC, E)`, the 40-byte cryptogram of both sides.
fn seal(keys: &BacKeys, s: &[u8]) -> Result<Vec<u8>, BacError> {
    let mut out = cbc_encrypt(CipherSuite::Tdes, &keys.k_enc, &[0; 8], s)?;
    let m = retail_mac(&keys.k_mac, &out)?;
    out.extend_from_slice(&m);
    Ok(out)
}

/// Checks the MAC of a 40-byte cryptogram and decrypts it.
fn open(keys: &BacKeys, data: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>, BacError> {
    let (e, m) = data
        .split_at_checked(32)
        .ok_or(BacError::BadResponseLength(data.len()))?;
    let expected = retail_mac(&keys.k_mac, e)?;
    if !bool::from(expected.ct_eq(m)) {
        return Ok(None);
    }
    Ok(Some(Zeroizing::new(cbc_decrypt(
        CipherSuite::Tdes,
        &keys.k_enc,
        &[0; 8],
        e,
    )?)))
}

enum TerminalState {
    Start,
    ChallengeSent,
    Authenticating {
        rnd_ic: [u8; 8],
        rnd_ifd: [u8; 8],
        k_ifd: Zeroizing<[u8; 16]>,
    },
    Done,
}

/// The terminal side of BAC.
pub struct BacTerminal {
    keys: BacKeys,
    state: TerminalState,
}

impl BacTerminal {
    /// A terminal that will authenticate with the keys derived from `mrz`.
    pub fn new(mrz: &MrzKey) -> Self {
        BacTerminal {
            keys: BacKeys::derive(mrz),
            state: TerminalState::Start,
        }
    }

    /// The derived KEnc/KMAC.
    pub fn keys(&self) -> &BacKeys {
        &self.keys
    }

    /// Step 1: GET CHALLENGE.
    pub fn get_challenge(&mut self) -> CommandApdu {
        self.state = TerminalState::ChallengeSent;
        CommandApdu::new(0x00, 0x84, 0x00, 0x00).with_ne(8)
    }

    /// Step 2: EXTERNAL AUTHENTICATE with RND.IFD and K.IFD drawn from `rng`.
    pub fn external_authenticate(
        &mut self,
        challenge: &ResponseApdu,
        rng: &mut impl CryptoRng,
    ) -> Result<CommandApdu, BacError> {
        let mut rnd_ifd = [0u8; 8];
        let mut k_ifd = Zeroizing::new([0u8; 16]);
        rng.fill_bytes(&mut rnd_ifd);
        rng.fill_bytes(&mut *k_ifd);
        self.external_authenticate_with(challenge, rnd_ifd, &k_ifd)
    }

    /// Step 2 with explicit RND.IFD and K.IFD (for reproducing worked examples).
    pub fn external_authenticate_with(
        &mut self,
        challenge: &ResponseApdu,
        rnd_ifd: [u8; 8],
        k_ifd: &[u8; 16],
    ) -> Result<CommandApdu, BacError> {
        if !matches!(self.state, TerminalState::ChallengeSent) {
            return Err(BacError::OutOfOrder("EXTERNAL AUTHENTICATE before GET CHALLENGE"));
        }
        if !challenge.sw.is_success() {
            return Err(BacError::GetChallengeFailed(challenge.sw));
        }
        let rnd_ic: [u8; 8] = challenge
            .data
            .as_slice()
            .try_into()
            .map_err(|_| BacError::BadChallengeLength(challenge.data.len()))?;
        let mut s = Zeroizing::new(Vec::with_capacity(32));
        s.extend_from_slice(&rnd_ifd);
        s.extend_from_slice(&rnd_ic);
        s.extend_from_slice(k_ifd);
        let data = seal(&self.keys, &s)?;
        self.state = TerminalState::Authenticating {
            rnd_ic,
            rnd_ifd,
            k_ifd: Zeroizing::new(*k_ifd),
        };
        Ok(CommandApdu::new(0x00, 0x82, 0x00, 0x00).with_data(data).with_ne(40))
    }

    /// Step 3: checks the chip's answer and starts secure messaging.
    pub fn finish(&mut self, resp: &ResponseApdu) -> Result<SmSession, BacError> {
        let TerminalState::Authenticating { rnd_ic, rnd_ifd, k_ifd } =
            core::mem::replace(&mut self.state, TerminalState::Done)
        else {
            return Err(BacError::OutOfOrder("finish before EXTERNAL AUTHENTICATE"));
        };
        if !resp.sw.is_success() {
            return Err(BacError::AuthenticationRefused(resp.sw));
        }
        if resp.data.len() != 40 {
            return Err(BacError::BadResponseLength(resp.data.len()));
        }
        let r = open(&self.keys, &resp.data)?.ok_or(BacError::BadChipMac)?;
        // R = RND.IC || RND.IFD || K.IC
        if r.get(..8) != Some(&rnd_ic[..]) || r.get(8..16) != Some(&rnd_ifd[..]) {
            return Err(BacError::NonceMismatch);
        }
        let k_ic = r.get(16..32).ok_or(BacError::BadResponseLength(r.len()))?;
        session(&*k_ifd, k_ic, &rnd_ic, &rnd_ifd)
    }
}

/// The card side of BAC, for the virtual chip.
pub struct BacChip {
    keys: BacKeys,
    rnd_ic: Option<[u8; 8]>,
}

impl BacChip {
    /// A card whose BAC keys derive from `mrz` (the MRZ printed on the document).
    pub fn new(mrz: &MrzKey) -> Self {
        BacChip {
            keys: BacKeys::derive(mrz),
            rnd_ic: None,
        }
    }

    /// Answers GET CHALLENGE with a fresh RND.IC.
    pub fn get_challenge(&mut self, rng: &mut impl CryptoRng) -> ResponseApdu {
        let mut rnd = [0u8; 8];
        rng.fill_bytes(&mut rnd);
        self.rnd_ic = Some(rnd);
        ResponseApdu::new(rnd.to_vec(), StatusWord::SUCCESS)
    }

    /// Answers EXTERNAL AUTHENTICATE. On success returns the response and the new session;
    /// on failure the error response to send (6300 authentication failed, 6985 no challenge,
    /// 6700 wrong length). A challenge is used once.
    pub fn external_authenticate(
        &mut self,
        cmd: &CommandApdu,
        rng: &mut impl CryptoRng,
    ) -> Result<(ResponseApdu, SmSession), ResponseApdu> {
        let Some(rnd_ic) = self.rnd_ic.take() else {
            return Err(ResponseApdu::status(StatusWord::CONDITIONS_NOT_SATISFIED));
        };
        if cmd.data.len() != 40 {
            return Err(ResponseApdu::status(StatusWord::WRONG_LENGTH));
        }
        let failed = || ResponseApdu::status(StatusWord(0x6300));
        let s = open(&self.keys, &cmd.data).map_err(|_| failed())?.ok_or_else(failed)?;
        // S = RND.IFD || RND.IC || K.IFD
        if s.get(8..16) != Some(&rnd_ic[..]) {
            return Err(failed());
        }
        let (Some(rnd_ifd), Some(k_ifd)) = (s.get(..8), s.get(16..32)) else {
            return Err(failed());
        };
        let mut k_ic = Zeroizing::new([0u8; 16]);
        rng.fill_bytes(&mut *k_ic);
        let mut r = Zeroizing::new(Vec::with_capacity(32));
        r.extend_from_slice(&rnd_ic);
        r.extend_from_slice(rnd_ifd);
        r.extend_from_slice(&*k_ic);
        let data = seal(&self.keys, &r).map_err(|_| failed())?;
        let sm = session(k_ifd, &*k_ic, &rnd_ic, rnd_ifd).map_err(|_| failed())?;
        Ok((ResponseApdu::new(data, StatusWord::SUCCESS), sm))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use emrtd_crypto::rng::FixedBytes;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    fn d1_key() -> MrzKey {
        MrzKey::new("L898902C", "690806", "940623").unwrap()
    }

    #[test]
    fn d2_basic_access_keys() {
        let keys = BacKeys::derive(&d1_key());
        assert_eq!(*keys.k_enc, h("AB94FDECF2674FDFB9B391F85D7F76F2"));
        assert_eq!(*keys.k_mac, h("7962D9ECE03D1ACD4C76089DCE131543"));
    }

    #[test]
    fn d3_mutual_authentication_and_session_keys() {
        let mut t = BacTerminal::new(&d1_key());
        assert_eq!(t.get_challenge().to_bytes().unwrap(), h("0084000008"));
        let challenge = ResponseApdu::parse(&h("4608F919887022129000")).unwrap();
        let mut rng = FixedBytes::new(h("781723860C06C2260B795240CB7049B01C19B33E32804F0B"));
        let ea = t.external_authenticate(&challenge, &mut rng).unwrap();
        assert_eq!(rng.exhausted_reads(), 0);
        assert_eq!(
            ea.to_bytes().unwrap(),
            h("008200002872C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A728")
        );
        let resp = ResponseApdu::parse(&h(
            "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D74499000",
        ))
        .unwrap();
        let sm = t.finish(&resp).unwrap();
        assert_eq!(sm.ks_enc(), &h("979EC13B1CBFE9DCD01AB0FED307EAE5")[..]);
        assert_eq!(sm.ks_mac(), &h("F1CB1F1FB5ADF208806B89DC579DC1F8")[..]);
        assert_eq!(sm.ssc(), &h("887022120C06C226")[..]);
    }

    #[test]
    fn d4_full_ef_com_read_after_bac() {
        // D.3 followed by D.4: SELECT EF.COM and two READ BINARY under the BAC session.
        let mut t = BacTerminal::new(&d1_key());
        let _ = t.get_challenge();
        let challenge = ResponseApdu::parse(&h("4608F919887022129000")).unwrap();
        let _ = t
            .external_authenticate_with(
                &challenge,
                h("781723860C06C226").try_into().unwrap(),
                &h("0B795240CB7049B01C19B33E32804F0B").try_into().unwrap(),
            )
            .unwrap();
        let mut sm = t
            .finish(
                &ResponseApdu::parse(&h(
                    "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D74499000",
                ))
                .unwrap(),
            )
            .unwrap();
        let steps = [
            (
                "00A4020C02011E",
                "0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800",
                "990290008E08FA855A5D4C50A8ED9000",
            ),
            (
                "00B0000004",
                "0CB000000D9701048E08ED6705417E96BA5500",
                "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000",
            ),
            (
                "00B0000412",
                "0CB000040D9701128E082EA28A70F3C7B53500",
                "871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000",
            ),
        ];
        let mut ef_com = Vec::new();
        for (plain, protected, answer) in steps {
            let p = sm.protect(&CommandApdu::parse(&h(plain)).unwrap()).unwrap();
            assert_eq!(p.to_bytes().unwrap(), h(protected));
            let r = sm.unprotect(&ResponseApdu::parse(&h(answer)).unwrap()).unwrap();
            assert!(r.is_success());
            ef_com.extend_from_slice(&r.data);
        }
        assert_eq!(ef_com, h("60145F0104303130365F36063034303030305C026175"));
    }

    #[test]
    fn terminal_and_chip_agree() {
        let key = MrzKey::new("AB123456", "850101", "301231").unwrap();
        let mut chip = BacChip::new(&key);
        let mut t = BacTerminal::new(&key);
        let mut rng = emrtd_crypto::rng::os_rng();
        let _ = t.get_challenge();
        let ch = chip.get_challenge(&mut rng);
        let ea = t.external_authenticate(&ch, &mut rng).unwrap();
        let (resp, mut chip_sm) = chip.external_authenticate(&ea, &mut rng).unwrap();
        let mut term_sm = t.finish(&resp).unwrap();
        assert_eq!(term_sm.ks_enc(), chip_sm.ks_enc());
        assert_eq!(term_sm.ssc(), chip_sm.ssc());
        let cmd = term_sm.protect(&CommandApdu::new(0, 0xB0, 0, 0).with_ne(4)).unwrap();
        let plain = chip_sm.unprotect_command(&cmd).unwrap();
        assert_eq!(plain.ne, Some(4));
    }

    #[test]
    fn wrong_mrz_is_refused_by_the_chip() {
        let mut chip = BacChip::new(&MrzKey::new("AB123456", "850101", "301231").unwrap());
        let mut t = BacTerminal::new(&MrzKey::new("AB123457", "850101", "301231").unwrap());
        let mut rng = emrtd_crypto::rng::os_rng();
        let _ = t.get_challenge();
        let ch = chip.get_challenge(&mut rng);
        let ea = t.external_authenticate(&ch, &mut rng).unwrap();
        let refusal = chip.external_authenticate(&ea, &mut rng).err().unwrap();
        assert_eq!(refusal.sw, StatusWord(0x6300));
        assert_eq!(
            t.finish(&refusal).err(),
            Some(BacError::AuthenticationRefused(StatusWord(0x6300)))
        );
        // A replayed EXTERNAL AUTHENTICATE without a fresh challenge is refused.
        assert_eq!(
            chip.external_authenticate(&ea, &mut rng).err().map(|r| r.sw),
            Some(StatusWord::CONDITIONS_NOT_SATISFIED)
        );
    }

    #[test]
    fn forged_chip_answers_are_errors() {
        let mut t = BacTerminal::new(&d1_key());
        let _ = t.get_challenge();
        let challenge = ResponseApdu::parse(&h("4608F919887022129000")).unwrap();
        let mut rng = FixedBytes::new(h("781723860C06C2260B795240CB7049B01C19B33E32804F0B"));
        let _ = t.external_authenticate(&challenge, &mut rng).unwrap();
        // Flipped MAC byte.
        let bad = ResponseApdu::parse(&h(
            "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D74489000",
        ))
        .unwrap();
        assert_eq!(t.finish(&bad).err(), Some(BacError::BadChipMac));
        assert_eq!(
            t.finish(&bad).err(),
            Some(BacError::OutOfOrder("finish before EXTERNAL AUTHENTICATE"))
        );

        let mut t = BacTerminal::new(&d1_key());
        assert!(matches!(
            t.external_authenticate(&challenge, &mut rng),
            Err(BacError::OutOfOrder(_))
        ));
        let _ = t.get_challenge();
        let short = ResponseApdu::parse(&h("4608F9199000")).unwrap();
        assert_eq!(
            t.external_authenticate(&short, &mut rng).err(),
            Some(BacError::BadChallengeLength(4))
        );
        let _ = t.get_challenge();
        let refused = ResponseApdu::parse(&h("6D00")).unwrap();
        assert_eq!(
            t.external_authenticate(&refused, &mut rng).err(),
            Some(BacError::GetChallengeFailed(StatusWord(0x6D00)))
        );

        // A chip answering with a RND.IFD that is not ours (MAC valid, nonce wrong).
        let mut t = BacTerminal::new(&d1_key());
        let _ = t.get_challenge();
        let _ = t.external_authenticate_with(&challenge, [0; 8], &[0; 16]).unwrap();
        let resp = ResponseApdu::parse(&h(
            "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D74499000",
        ))
        .unwrap();
        assert_eq!(t.finish(&resp).err(), Some(BacError::NonceMismatch));
        let mut t = BacTerminal::new(&d1_key());
        let _ = t.get_challenge();
        let _ = t.external_authenticate_with(&challenge, [0; 8], &[0; 16]).unwrap();
        assert_eq!(
            t.finish(&ResponseApdu::parse(&h("00119000")).unwrap()).err(),
            Some(BacError::BadResponseLength(2))
        );
    }
}
