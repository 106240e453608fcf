//! Active Authentication (Doc 9303-11 §6.1): INTERNAL AUTHENTICATE with an 8-byte challenge
//! chosen by the terminal, signed by the chip with its DG15 key.
//!
//! * RSA: ISO/IEC 9796-2 scheme 1 with message recovery ([`crate::iso9796`]); the hash is named
//!   by the trailer (`BC` = SHA-1, `xx CC`).
//! * ECDSA: the hash comes from DG14's ActiveAuthenticationInfo ([`ecdsa_hash_from_oid`]);
//!   the signature is plain `r || s` (BSI TR-03111) or, from some chips, DER.
//!
//! Terminal side: [`AaTerminal`] (sans-IO: [`AaTerminal::command`], then
//! [`AaTerminal::on_response`] until [`AaStep::Done`]). The APDUs are plain; the caller wraps
//! them in the current secure messaging session.
//!
//! Card side: [`sign_challenge`] and [`card_internal_authenticate`] for the virtual chip.

use crate::ec::EcCurve;
use crate::error::{AaError, KeyError};
use crate::iso9796::{self, HashAlgorithm, Recovered, Trailer};
use crate::keys::{EcPublicKey, PrivateKeyInfo, PublicKeyInfo, RsaPublicKey};
use crate::oid;
use crate::util::strip_leading_zeros;
use emrtd_apdu::{CommandApdu, LengthForm, ResponseApdu, StatusWord, SwMeaning};
use rand_core::CryptoRng;

/// INS of INTERNAL AUTHENTICATE.
pub const INS_INTERNAL_AUTHENTICATE: u8 = 0x88;
/// INS of GET RESPONSE.
pub const INS_GET_RESPONSE: u8 = 0xC0;
/// Length of the terminal's challenge (RND.IFD).
pub const CHALLENGE_LEN: usize = 8;
/// Upper bound of the length-retry steps of one run.
const MAX_STEPS: usize = 8;
/// Upper bound of a signature.
const MAX_SIGNATURE: usize = 65_536;

/// The hash of an ECDSA Active Authentication named by the signatureAlgorithm OID of DG14's
/// ActiveAuthenticationInfo (X9.62 ecdsa-with-SHA1/SHA224..512 or BSI ecdsa-plain-SHA*).
pub fn ecdsa_hash_from_oid(oid_der: &[u8]) -> Result<HashAlgorithm, AaError> {
    let unsupported = || AaError::UnsupportedSignatureAlgorithm(oid::display(oid_der));
    if oid_der == oid::ECDSA_WITH_SHA1 {
        return Ok(HashAlgorithm::Sha1);
    }
    if let Some(rest) = oid_der.strip_prefix(oid::ECDSA_WITH_SHA2_PREFIX) {
        return match rest {
            [1] => Ok(HashAlgorithm::Sha224),
            [2] => Ok(HashAlgorithm::Sha256),
            [3] => Ok(HashAlgorithm::Sha384),
            [4] => Ok(HashAlgorithm::Sha512),
            _ => Err(unsupported()),
        };
    }
    if let Some(rest) = oid_der.strip_prefix(oid::ECDSA_PLAIN_PREFIX) {
        return match rest {
            [1] => Ok(HashAlgorithm::Sha1),
            [2] => Ok(HashAlgorithm::Sha224),
            [3] => Ok(HashAlgorithm::Sha256),
            [4] => Ok(HashAlgorithm::Sha384),
            [5] => Ok(HashAlgorithm::Sha512),
            _ => Err(unsupported()),
        };
    }
    Err(unsupported())
}

/// The Active Authentication public key (from DG15) with what is needed to verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AaPublicKey {
    /// An RSA key (ISO/IEC 9796-2 scheme 1 signatures; the hash is named by the trailer).
    Rsa(RsaPublicKey),
    /// An EC key (ECDSA signatures, BSI TR-03111) with the hash DG14's ActiveAuthenticationInfo
    /// names.
    Ecdsa {
        /// The DG15 EC public key (curve and point).
        key: EcPublicKey,
        /// The hash applied to the challenge before signing.
        hash: HashAlgorithm,
    },
}

impl AaPublicKey {
    /// Builds the key from DG15's SubjectPublicKeyInfo; for EC keys `ecdsa_hash` (from DG14's
    /// ActiveAuthenticationInfo) is required.
    pub fn new(key: PublicKeyInfo, ecdsa_hash: Option<HashAlgorithm>) -> Result<Self, AaError> {
        match key {
            PublicKeyInfo::Rsa(k) => Ok(AaPublicKey::Rsa(k)),
            PublicKeyInfo::Ec(k) => Ok(AaPublicKey::Ecdsa {
                key: k,
                hash: ecdsa_hash.ok_or(AaError::MissingEcdsaHash)?,
            }),
            PublicKeyInfo::Dh(_) => Err(AaError::Key(KeyError::WrongKeyType(
                "a DH key cannot sign (Active Authentication needs RSA or EC)",
            ))),
        }
    }

    /// Builds the key from DG15 (with its `6F` tag) and, for EC keys, the hash named by the
    /// ActiveAuthenticationInfo of DG14 (with its `6E` tag).
    pub fn from_files(dg15: &[u8], dg14: Option<&[u8]>) -> Result<Self, AaError> {
        let key = crate::keys::parse_dg15(dg15)?;
        let hash = match (&key, dg14) {
            (PublicKeyInfo::Ec(_), Some(dg14)) => {
                let infos = emrtd_secinfo::SecurityInfos::parse_dg14(dg14)
                    .map_err(|e| AaError::Key(KeyError::Malformed(format!("DG14: {e}"))))?;
                let oid = infos
                    .infos
                    .iter()
                    .find_map(|i| match i {
                        emrtd_secinfo::SecurityInfo::ActiveAuthentication(a) => a.signature_algorithm.clone(),
                        _ => None,
                    })
                    .ok_or(AaError::MissingEcdsaHash)?;
                Some(ecdsa_hash_from_oid(oid.as_bytes())?)
            }
            _ => None,
        };
        Self::new(key, hash)
    }

    /// Largest signature the chip can return, to choose Le.
    pub fn max_signature_len(&self) -> usize {
        match self {
            AaPublicKey::Rsa(k) => iso9796::modulus_len(k),
            // DER: SEQUENCE header (<= 3) + 2 INTEGERs with header (<= 3) and sign byte.
            AaPublicKey::Ecdsa { key, .. } => 2 * key.curve.order_len() + 11,
        }
    }
}

/// How an ECDSA signature was encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EcdsaFormat {
    /// `r || s`, each of the order's length (BSI TR-03111).
    Plain,
    /// DER `SEQUENCE { INTEGER r, INTEGER s }`.
    Der,
}

/// What a successful Active Authentication established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AaEvidence {
    /// An ISO/IEC 9796-2 scheme 1 signature (RSA key) verified.
    Rsa {
        /// The recovered M1 (the chip's part of the signed message).
        m1: Vec<u8>,
        /// The trailer found, which names the hash (`BC` = SHA-1).
        trailer: Trailer,
    },
    /// An ECDSA signature (EC key) verified.
    Ecdsa {
        /// The hash used (from DG14's ActiveAuthenticationInfo).
        hash: HashAlgorithm,
        /// Whether the chip sent plain `r || s` or DER.
        format: EcdsaFormat,
    },
}

/// The result of a verified Active Authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AaVerified {
    /// The terminal's challenge RND.IFD that the chip signed.
    pub challenge: [u8; CHALLENGE_LEN],
    /// The signature exactly as returned by the chip (all GET RESPONSE chunks joined).
    pub signature: Vec<u8>,
    /// What the verification established (recovered M1 or ECDSA hash and format).
    pub evidence: AaEvidence,
}

/// The next thing to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AaStep {
    /// Send this command (a retry with another Le or a GET RESPONSE).
    Send(CommandApdu),
    /// The signature verified.
    Done(AaVerified),
}

/// Verifies a signature over `challenge` (without any APDU handling).
pub fn verify_signature(key: &AaPublicKey, challenge: &[u8], signature: &[u8]) -> Result<AaEvidence, AaError> {
    if signature.is_empty() {
        return Err(AaError::EmptySignature);
    }
    match key {
        AaPublicKey::Rsa(k) => {
            let Recovered { m1, trailer, .. } = iso9796::verify(k, signature, challenge)?;
            Ok(AaEvidence::Rsa { m1, trailer })
        }
        AaPublicKey::Ecdsa { key, hash } => {
            let digest = hash.digest(&[challenge]);
            let ol = key.curve.order_len();
            let mut tried_any = false;
            if signature.len() == 2 * ol {
                let (r, s) = signature.split_at(ol);
                tried_any = true;
                if key.curve.ecdsa_verify_prehash(&key.point, &digest, r, s)? {
                    return Ok(AaEvidence::Ecdsa {
                        hash: *hash,
                        format: EcdsaFormat::Plain,
                    });
                }
            }
            if let Some((r, s)) = parse_der_signature(signature) {
                tried_any = true;
                if key.curve.ecdsa_verify_prehash(&key.point, &digest, &r, &s)? {
                    return Ok(AaEvidence::Ecdsa {
                        hash: *hash,
                        format: EcdsaFormat::Der,
                    });
                }
            }
            if tried_any {
                Err(AaError::EcdsaInvalid)
            } else {
                Err(AaError::EcdsaMalformed(signature.len()))
            }
        }
    }
}

/// Parses a DER ECDSA signature into unsigned big-endian r and s (strict: one SEQUENCE of two
/// positive INTEGERs, nothing else).
pub fn parse_der_signature(sig: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    use emrtd_apdu::{Tag, Tlv};
    let seq = Tlv::parse_expect(sig, Tag(0x30)).ok()?;
    let mut it = seq.children().ok()?;
    let r = it.next()?.ok()?;
    let s = it.next()?.ok()?;
    if it.next().is_some() || r.tag != Tag(0x02) || s.tag != Tag(0x02) {
        return None;
    }
    let pos = |v: &[u8]| -> Option<Vec<u8>> {
        let first = *v.first()?;
        if first & 0x80 != 0 {
            return None;
        }
        let v = strip_leading_zeros(v);
        (!v.is_empty()).then(|| v.to_vec())
    };
    Some((pos(r.value)?, pos(s.value)?))
}

/// DER encoding of an ECDSA signature from plain `r || s`.
pub fn der_encode_signature(plain: &[u8]) -> Vec<u8> {
    let (r, s) = plain.split_at(plain.len() / 2);
    let int = |v: &[u8]| {
        let v = strip_leading_zeros(v);
        let mut c = Vec::with_capacity(v.len() + 1);
        if v.first().is_none_or(|b| b & 0x80 != 0) {
            c.push(0);
        }
        c.extend_from_slice(v);
        emrtd_apdu::tlv::encode(emrtd_apdu::Tag(0x02), &c)
    };
    let (ri, si) = (int(r), int(s));
    emrtd_apdu::tlv::encode_constructed(emrtd_apdu::Tag(0x30), &[&ri, &si])
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Ready,
    Sent,
    Done,
    Failed,
}

/// Terminal side of Active Authentication.
#[derive(Debug)]
pub struct AaTerminal {
    key: AaPublicKey,
    challenge: [u8; CHALLENGE_LEN],
    state: State,
    steps: usize,
    last: CommandApdu,
    tried_other_form: bool,
    buffer: Vec<u8>,
}

impl AaTerminal {
    /// Starts Active Authentication with a challenge drawn from `rng`.
    pub fn new<R: CryptoRng + ?Sized>(key: AaPublicKey, rng: &mut R) -> Self {
        let mut challenge = [0u8; CHALLENGE_LEN];
        rng.fill_bytes(&mut challenge);
        Self::with_challenge(key, challenge)
    }

    /// Starts Active Authentication with a given challenge.
    pub fn with_challenge(key: AaPublicKey, challenge: [u8; CHALLENGE_LEN]) -> Self {
        let ne = if key.max_signature_len() <= 256 { 256 } else { 65_536 };
        let last = internal_authenticate(&challenge, ne);
        AaTerminal {
            key,
            challenge,
            state: State::Ready,
            steps: 0,
            last,
            tried_other_form: false,
            buffer: Vec::new(),
        }
    }

    /// The challenge RND.IFD.
    pub fn challenge(&self) -> &[u8; CHALLENGE_LEN] {
        &self.challenge
    }

    /// The INTERNAL AUTHENTICATE command (`00 88 00 00 08 RND.IFD Le`). Le is `00` when the
    /// signature fits 256 bytes, else extended `0000`.
    pub fn command(&mut self) -> Result<CommandApdu, AaError> {
        if self.state != State::Ready {
            return Err(AaError::WrongState("command() called twice or after the end"));
        }
        self.state = State::Sent;
        Ok(self.last.clone())
    }

    /// Handles the (unprotected) response to the last command.
    pub fn on_response(&mut self, resp: &ResponseApdu) -> Result<AaStep, AaError> {
        if self.state != State::Sent {
            return Err(AaError::WrongState("no command outstanding"));
        }
        let res = self.handle(resp);
        match &res {
            Ok(AaStep::Done(_)) => self.state = State::Done,
            Ok(AaStep::Send(_)) => {}
            Err(_) => self.state = State::Failed,
        }
        res
    }

    fn retry(&mut self, cmd: CommandApdu) -> Result<AaStep, AaError> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(AaError::TooManyRetries);
        }
        self.last = cmd.clone();
        Ok(AaStep::Send(cmd))
    }

    fn handle(&mut self, resp: &ResponseApdu) -> Result<AaStep, AaError> {
        let total = self.buffer.len().saturating_add(resp.data.len());
        if total > MAX_SIGNATURE {
            return Err(AaError::ResponseTooLong(total));
        }
        match resp.sw.meaning() {
            SwMeaning::Success => {
                self.buffer.extend_from_slice(&resp.data);
                let sig = core::mem::take(&mut self.buffer);
                let evidence = verify_signature(&self.key, &self.challenge, &sig)?;
                Ok(AaStep::Done(AaVerified {
                    challenge: self.challenge,
                    signature: sig,
                    evidence,
                }))
            }
            SwMeaning::BytesRemaining(n) => {
                self.buffer.extend_from_slice(&resp.data);
                let ne = if n == 0 { 256 } else { u32::from(n) };
                self.retry(CommandApdu::new(0x00, INS_GET_RESPONSE, 0, 0).with_ne(ne))
            }
            SwMeaning::WrongLe(n) => {
                self.buffer.clear();
                let ne = if n == 0 { 256 } else { u32::from(n) };
                let cmd = internal_authenticate(&self.challenge, ne);
                self.retry(cmd)
            }
            SwMeaning::WrongLength if !self.tried_other_form => {
                // Some chips refuse extended Le, others need it: try the other form once.
                self.tried_other_form = true;
                self.buffer.clear();
                let ne = if self.last.is_extended() { 256 } else { 65_536 };
                let cmd = internal_authenticate(&self.challenge, ne);
                self.retry(cmd)
            }
            _ => Err(AaError::ChipRejected(resp.sw)),
        }
    }
}

fn internal_authenticate(challenge: &[u8; CHALLENGE_LEN], ne: u32) -> CommandApdu {
    let form = if ne > 256 {
        LengthForm::Extended
    } else {
        LengthForm::Short
    };
    CommandApdu::new(0x00, INS_INTERNAL_AUTHENTICATE, 0x00, 0x00)
        .with_data(challenge.to_vec())
        .with_ne(ne)
        .with_form(form)
}

/// How the card signs (card side).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AaSignatureScheme {
    /// ISO/IEC 9796-2 scheme 1 with the given trailer (RSA keys).
    Iso9796(Trailer),
    /// ECDSA with the given hash and output format (EC keys).
    Ecdsa(HashAlgorithm, EcdsaFormat),
}

/// Card side: signs the terminal's challenge with the chip's private key.
pub fn sign_challenge<R: CryptoRng + ?Sized>(
    key: &PrivateKeyInfo,
    scheme: AaSignatureScheme,
    challenge: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>, AaError> {
    match (key, scheme) {
        (PrivateKeyInfo::Rsa(k), AaSignatureScheme::Iso9796(trailer)) => Ok(iso9796::sign(k, trailer, challenge, rng)?),
        (PrivateKeyInfo::Ec { curve, d }, AaSignatureScheme::Ecdsa(hash, format)) => {
            let digest = hash.digest(&[challenge]);
            let plain = ecdsa_sign(curve, d, &digest, rng)?;
            Ok(match format {
                EcdsaFormat::Plain => plain,
                EcdsaFormat::Der => der_encode_signature(&plain),
            })
        }
        _ => Err(AaError::Key(KeyError::WrongKeyType(
            "signature scheme does not fit the private key",
        ))),
    }
}

fn ecdsa_sign<R: CryptoRng + ?Sized>(
    curve: &EcCurve,
    d: &[u8],
    digest: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>, AaError> {
    Ok(curve.ecdsa_sign_prehash(d, digest, rng)?)
}

/// Card side: answers an (unprotected) INTERNAL AUTHENTICATE command. Anything but
/// `00 88 00 00` with an 8-byte challenge gets an error status word; a signature longer than
/// Ne gets `6Cxx` (short Ne) or `6700`.
pub fn card_internal_authenticate<R: CryptoRng + ?Sized>(
    key: &PrivateKeyInfo,
    scheme: AaSignatureScheme,
    cmd: &CommandApdu,
    rng: &mut R,
) -> ResponseApdu {
    if cmd.ins != INS_INTERNAL_AUTHENTICATE {
        return ResponseApdu::status(StatusWord::INS_NOT_SUPPORTED);
    }
    if cmd.p1 != 0 || cmd.p2 != 0 {
        return ResponseApdu::status(StatusWord::INCORRECT_P1P2);
    }
    if cmd.data.len() != CHALLENGE_LEN {
        return ResponseApdu::status(StatusWord::WRONG_LENGTH);
    }
    match sign_challenge(key, scheme, &cmd.data, rng) {
        Ok(sig) => {
            let ne = cmd.ne.unwrap_or(0) as usize;
            if sig.len() > ne {
                if ne > 0 && ne <= 256 && sig.len() < 256 {
                    return ResponseApdu::status(StatusWord::new(0x6C, sig.len() as u8));
                }
                return ResponseApdu::status(StatusWord::WRONG_LENGTH);
            }
            ResponseApdu::new(sig, StatusWord::SUCCESS)
        }
        Err(_) => ResponseApdu::status(StatusWord::CONDITIONS_NOT_SATISFIED),
    }
}
