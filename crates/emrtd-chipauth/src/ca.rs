//! Chip Authentication version 1 (Doc 9303-11 §6.2; BSI TR-03110-1 §3.4 "CA version 1").
//!
//! The terminal sends an ephemeral public key on the domain of the chip's static CA key from
//! DG14; both sides compute `K = KA(SK, PK)` (ECDH x-coordinate or DH value, with the length of
//! the field / of p) and derive new secure messaging keys `KSenc = KDF(K, 1)`,
//! `KSmac = KDF(K, 2)` (no nonce in version 1). Secure messaging restarts with SSC = 0.
//!
//! * 3DES (`id-CA-*-3DES-CBC-CBC`): `MSE:Set KAT` (`00 22 41 A6`, `91` ephemeral key,
//!   `84` key reference). The response still comes under the old session keys.
//! * AES (`id-CA-*-AES-CBC-CMAC-*`): `MSE:Set AT` (`00 22 41 A4`, `80` protocol OID, `84` key
//!   reference) then `GENERAL AUTHENTICATE` (`00 86 00 00`, `7C { 80 ephemeral key }`); the
//!   chip answers `7C 00`.
//!
//! The chip is only authenticated when it answers a command protected with the new keys:
//! [`CaTerminal`] ends in [`CaPending`], whose [`CaPending::confirm`] checks that answer and
//! gives [`CaConfirmed`]. All APDUs here are plain; the caller protects them with the session
//! that is current (the BAC/PACE session for the CA commands, [`CaPending`]'s for the
//! confirmation).
//!
//! Card side: [`CaCard`] handles the (already unprotected) CA commands for the virtual chip and
//! hands out the new session keys; [`derive_session`] is the shared key derivation.

use crate::ec::EcCurve;
use crate::error::{CaError, KeyError};
use crate::keys::{DhGroup, DhPublicKey, EcPublicKey, PrivateKeyInfo, PublicKeyInfo};
use crate::oid;
use crate::util::strip_leading_zeros;
use emrtd_apdu::{CommandApdu, ResponseApdu, StatusWord, Tag, Tlv, TlvIter};
use emrtd_crypto::kdf::{KdfCounter, kdf_with_nonce};
use emrtd_crypto::{CipherSuite, SecretBytes};
use emrtd_secinfo::SecurityInfos;
use emrtd_sm::SmSession;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

pub use emrtd_secinfo::KeyAgreement;

/// INS of MANAGE SECURITY ENVIRONMENT.
pub const INS_MSE: u8 = 0x22;
/// INS of GENERAL AUTHENTICATE.
pub const INS_GENERAL_AUTHENTICATE: u8 = 0x86;
/// P1-P2 of MSE:Set KAT (`41 A6`).
pub const MSE_SET_KAT: (u8, u8) = (0x41, 0xA6);
/// P1-P2 of MSE:Set AT for internal authentication / CA (`41 A4`).
pub const MSE_SET_AT: (u8, u8) = (0x41, 0xA4);

/// A Chip Authentication protocol: key agreement and the cipher of the new session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CaProtocol {
    /// DH or ECDH (id-CA-DH / id-CA-ECDH).
    pub key_agreement: KeyAgreement,
    /// Cipher and MAC of the new secure messaging session (3DES with the retail MAC, or
    /// AES-128/192/256 with CMAC).
    pub cipher: CipherSuite,
}

impl CaProtocol {
    /// Decodes an id-CA-* OID (DER content octets). The bare `id-CA-DH` / `id-CA-ECDH` (no
    /// cipher) means 3DES.
    pub fn from_oid(oid_der: &[u8]) -> Option<Self> {
        let p = emrtd_secinfo::CaProtocol::from_oid(oid_der)?;
        Some(CaProtocol {
            key_agreement: p.key_agreement,
            cipher: p.cipher.unwrap_or(CipherSuite::Tdes),
        })
    }

    /// The protocol OID (DER content octets), as sent in MSE:Set AT.
    pub fn oid(&self) -> Vec<u8> {
        let mut v = oid::ID_CA.to_vec();
        v.push(match self.key_agreement {
            KeyAgreement::Dh => 1,
            KeyAgreement::Ecdh => 2,
        });
        v.push(match self.cipher {
            CipherSuite::Tdes => 1,
            CipherSuite::Aes128 => 2,
            CipherSuite::Aes192 => 3,
            CipherSuite::Aes256 => 4,
        });
        v
    }

    /// The protocol Doc 9303 prescribes when DG14 has a CA public key but no
    /// ChipAuthenticationInfo: the key's agreement with 3DES.
    pub const fn inferred(key_agreement: KeyAgreement) -> Self {
        CaProtocol {
            key_agreement,
            cipher: CipherSuite::Tdes,
        }
    }
}

/// The chip's static Chip Authentication public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaPublicKey {
    /// An EC key (ECDH, id-PK-ECDH).
    Ec(EcPublicKey),
    /// A finite-field DH key (id-PK-DH).
    Dh(DhPublicKey),
}

impl CaPublicKey {
    /// From a parsed SubjectPublicKeyInfo (RSA keys are refused).
    pub fn from_info(info: PublicKeyInfo) -> Result<Self, KeyError> {
        match info {
            PublicKeyInfo::Ec(k) => Ok(CaPublicKey::Ec(k)),
            PublicKeyInfo::Dh(k) => Ok(CaPublicKey::Dh(k)),
            PublicKeyInfo::Rsa(_) => Err(KeyError::WrongKeyType(
                "an RSA key cannot be used for Chip Authentication",
            )),
        }
    }

    /// The key agreement the key is for: ECDH for EC keys, DH for DH keys.
    pub fn key_agreement(&self) -> KeyAgreement {
        match self {
            CaPublicKey::Ec(_) => KeyAgreement::Ecdh,
            CaPublicKey::Dh(_) => KeyAgreement::Dh,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            CaPublicKey::Ec(_) => "EC",
            CaPublicKey::Dh(_) => "DH",
        }
    }

    /// The encoded public value (point or y).
    pub fn public_value(&self) -> &[u8] {
        match self {
            CaPublicKey::Ec(k) => &k.point,
            CaPublicKey::Dh(k) => &k.y,
        }
    }
}

/// Everything the terminal needs from DG14 to run Chip Authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaParams {
    /// The protocol from the ChipAuthenticationInfo (or inferred, see `inferred`).
    pub protocol: CaProtocol,
    /// The keyId shared by ChipAuthenticationInfo and ChipAuthenticationPublicKeyInfo, sent as
    /// the key reference `84` when present.
    pub key_id: Option<Vec<u8>>,
    /// The chip's static CA public key (from the ChipAuthenticationPublicKeyInfo).
    pub public_key: CaPublicKey,
    /// True when DG14 had no ChipAuthenticationInfo for the key and the protocol was inferred.
    pub inferred: bool,
}

impl CaParams {
    /// Explicit parameters (when DG14 is read by other means).
    pub fn new(protocol: CaProtocol, key_id: Option<Vec<u8>>, public_key: CaPublicKey) -> Result<Self, CaError> {
        if protocol.key_agreement != public_key.key_agreement() {
            return Err(CaError::ProtocolKeyMismatch {
                protocol: oid::display(&protocol.oid()),
                key: public_key.kind(),
            });
        }
        Ok(CaParams {
            protocol,
            key_id,
            public_key,
            inferred: false,
        })
    }

    /// Chooses the CA key and protocol from DG14's SecurityInfos.
    ///
    /// * `key_id`: the key to use; `None` picks the only key, or — with several keys — the
    ///   only one that has a ChipAuthenticationInfo.
    /// * The ChipAuthenticationInfo with the same keyId gives the protocol; its key agreement
    ///   must fit the key. Without one, the protocol is inferred (3DES, Doc 9303-11 §9.2.5).
    pub fn from_security_infos(infos: &SecurityInfos, key_id: Option<&[u8]>) -> Result<Self, CaError> {
        let keys: Vec<_> = infos.chip_authentication_public_key_infos().collect();
        let cas: Vec<_> = infos
            .chip_authentication_infos()
            .filter(|i| CaProtocol::from_oid(i.protocol.as_bytes()).is_some())
            .collect();
        let norm = |k: Option<&Vec<u8>>| k.map(|v| strip_leading_zeros(v).to_vec());
        let wanted = key_id.map(|k| strip_leading_zeros(k).to_vec());
        let key = match &wanted {
            Some(id) => keys
                .iter()
                .find(|k| norm(k.key_id.as_ref()).as_ref() == Some(id))
                .ok_or_else(|| CaError::NoMatchingKey(Some(id.clone())))?,
            None => match keys.as_slice() {
                [] => return Err(CaError::NoMatchingKey(None)),
                [one] => one,
                many => {
                    let with_info: Vec<_> = many
                        .iter()
                        .filter(|k| cas.iter().any(|c| norm(c.key_id.as_ref()) == norm(k.key_id.as_ref())))
                        .collect();
                    match with_info.as_slice() {
                        [one] => *one,
                        _ => return Err(CaError::AmbiguousKey),
                    }
                }
            },
        };
        let spki = spki_of_public_key_info(&key.raw)?;
        let public_key = CaPublicKey::from_info(PublicKeyInfo::from_spki(spki)?)?;
        if let Some(ka) = key.key_agreement()
            && ka != public_key.key_agreement()
        {
            return Err(CaError::ProtocolKeyMismatch {
                protocol: key.protocol.dotted().unwrap_or_default(),
                key: public_key.kind(),
            });
        }
        let key_norm = norm(key.key_id.as_ref());
        // The ChipAuthenticationInfo with the same keyId; with a single key, keyIds written on
        // one side only still pair it with the (preferably keyId-less) info.
        let info = cas.iter().find(|c| norm(c.key_id.as_ref()) == key_norm).or_else(|| {
            if keys.len() == 1 {
                cas.iter().find(|c| c.key_id.is_none()).or(cas.first())
            } else {
                None
            }
        });
        let (protocol, inferred) = match info {
            Some(i) => {
                let p = CaProtocol::from_oid(i.protocol.as_bytes())
                    .ok_or_else(|| CaError::UnsupportedProtocol(i.protocol.dotted().unwrap_or_default()))?;
                (p, false)
            }
            None => (CaProtocol::inferred(public_key.key_agreement()), true),
        };
        let mut params = CaParams::new(protocol, key.key_id.clone(), public_key)?;
        params.inferred = inferred;
        Ok(params)
    }

    /// Parses DG14 (with its `6E` tag) and chooses the key ([`CaParams::from_security_infos`]).
    pub fn from_dg14(dg14: &[u8], key_id: Option<&[u8]>) -> Result<Self, CaError> {
        let infos =
            SecurityInfos::parse_dg14(dg14).map_err(|e| CaError::Key(KeyError::Malformed(format!("DG14: {e}"))))?;
        Self::from_security_infos(&infos, key_id)
    }
}

/// The SubjectPublicKeyInfo inside a ChipAuthenticationPublicKeyInfo
/// (`SEQUENCE { protocol OID, SubjectPublicKeyInfo, keyId INTEGER OPTIONAL }`).
fn spki_of_public_key_info(raw: &[u8]) -> Result<&[u8], KeyError> {
    let seq = Tlv::parse_expect(raw, Tag(0x30))
        .map_err(|e| KeyError::Malformed(format!("ChipAuthenticationPublicKeyInfo: {e}")))?;
    let mut it = seq
        .children()
        .map_err(|e| KeyError::Malformed(format!("ChipAuthenticationPublicKeyInfo: {e}")))?;
    let _protocol = it.next();
    match it.next() {
        Some(Ok(t)) if t.tag == Tag(0x30) => Ok(t.raw),
        _ => Err(KeyError::Malformed(
            "ChipAuthenticationPublicKeyInfo without SubjectPublicKeyInfo".into(),
        )),
    }
}

/// The key agreement of CA: `K = KA(sk, peer)` on the group of `key`.
fn key_agreement_on(domain: &CaDomain, sk: &[u8], peer: &[u8]) -> Result<SecretBytes, KeyError> {
    match domain {
        CaDomain::Ec(c) => c.ecdh(sk, peer),
        CaDomain::Dh(g) => crate::dh::shared_secret(g, sk, peer),
    }
}

/// The group of a CA key.
#[derive(Clone, Debug, PartialEq, Eq)]
enum CaDomain {
    Ec(EcCurve),
    Dh(DhGroup),
}

impl CaDomain {
    fn of(key: &CaPublicKey) -> Self {
        match key {
            CaPublicKey::Ec(k) => CaDomain::Ec(k.curve.clone()),
            CaPublicKey::Dh(k) => CaDomain::Dh(k.group.clone()),
        }
    }

    fn generate<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> Result<(SecretBytes, Vec<u8>), KeyError> {
        match self {
            CaDomain::Ec(c) => c.generate(rng),
            CaDomain::Dh(g) => {
                // The public value with the length of p.
                let (x, y) = crate::dh::generate(g, rng)?;
                let mut padded = vec![0u8; g.p_len().saturating_sub(y.len())];
                padded.extend_from_slice(&y);
                Ok((x, padded))
            }
        }
    }
}

/// Session keys derived from the CA shared secret.
#[derive(Clone)]
pub struct CaSessionKeys {
    /// The cipher suite the keys are for.
    pub cipher: CipherSuite,
    /// KSenc = KDF(K, 1): the encryption key of secure messaging (Doc 9303-11 §9.7.1).
    pub ks_enc: SecretBytes,
    /// KSmac = KDF(K, 2): the MAC key of secure messaging.
    pub ks_mac: SecretBytes,
}

impl core::fmt::Debug for CaSessionKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CaSessionKeys")
            .field("cipher", &self.cipher)
            .finish_non_exhaustive()
    }
}

impl CaSessionKeys {
    /// `KSenc = KDF(K [|| r], 1)`, `KSmac = KDF(K [|| r], 2)`. CA version 1 (Doc 9303) has no
    /// nonce; `nonce` is for the CA version 2 derivation of BSI TR-03110 (used in tests
    /// against the BSI worked example).
    pub fn derive(k: &[u8], nonce: Option<&[u8]>, cipher: CipherSuite) -> Self {
        CaSessionKeys {
            cipher,
            ks_enc: kdf_with_nonce(k, nonce, KdfCounter::Enc, cipher),
            ks_mac: kdf_with_nonce(k, nonce, KdfCounter::Mac, cipher),
        }
    }

    /// A secure messaging session with these keys and SSC = 0.
    pub fn session(&self) -> Result<SmSession, CaError> {
        Ok(SmSession::with_zero_ssc(self.cipher, &self.ks_enc, &self.ks_mac)?)
    }
}

/// Shared key derivation of both sides: K and the session keys for `cipher` (CA version 1).
pub fn derive_session(k: &[u8], cipher: CipherSuite) -> Result<(CaSessionKeys, SmSession), CaError> {
    let keys = CaSessionKeys::derive(k, None, cipher);
    let session = keys.session()?;
    Ok((keys, session))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TermState {
    Start,
    /// 3DES: MSE:Set KAT sent.
    KatSent,
    /// AES: MSE:Set AT sent.
    AtSent,
    /// AES: GENERAL AUTHENTICATE sent.
    GaSent,
    Finished,
    Failed,
}

/// The next step of the terminal.
#[derive(Debug)]
pub enum CaStep {
    /// Send this command (under the current secure messaging session).
    Send(CommandApdu),
    /// Keys are agreed; confirm with a command under the new session.
    Pending(Box<CaPending>),
}

/// Terminal side of Chip Authentication v1.
pub struct CaTerminal {
    params: CaParams,
    domain: CaDomain,
    eph_sk: SecretBytes,
    eph_pk: Vec<u8>,
    state: TermState,
}

impl core::fmt::Debug for CaTerminal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CaTerminal")
            .field("protocol", &self.params.protocol)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl CaTerminal {
    /// Prepares CA: generates the ephemeral key pair on the chip key's domain from `rng`.
    pub fn new<R: CryptoRng + ?Sized>(params: CaParams, rng: &mut R) -> Result<Self, CaError> {
        let domain = CaDomain::of(&params.public_key);
        // Fail early when the chip's key is not usable (e.g. an unsupported curve).
        match &params.public_key {
            CaPublicKey::Ec(k) => {
                k.curve.validate_point(&k.point)?;
            }
            CaPublicKey::Dh(k) => crate::dh::check_public(&k.group, &k.y)?,
        }
        let (eph_sk, eph_pk) = domain.generate(rng)?;
        Ok(CaTerminal {
            params,
            domain,
            eph_sk,
            eph_pk,
            state: TermState::Start,
        })
    }

    /// The terminal's ephemeral public key PK_PCD (point `04||x||y` or DH value).
    pub fn ephemeral_public_key(&self) -> &[u8] {
        &self.eph_pk
    }

    /// The parameters (protocol, keyId, chip key) this run uses.
    pub fn params(&self) -> &CaParams {
        &self.params
    }

    fn key_ref(&self, out: &mut Vec<u8>) {
        if let Some(id) = &self.params.key_id {
            emrtd_apdu::tlv::write_tlv(Tag(0x84), strip_or_zero(id), out);
        }
    }

    /// The first command: MSE:Set KAT (3DES) or MSE:Set AT (AES).
    pub fn start(&mut self) -> Result<CommandApdu, CaError> {
        if self.state != TermState::Start {
            return Err(CaError::WrongState("start() called twice"));
        }
        let mut data = Vec::new();
        if self.params.protocol.cipher == CipherSuite::Tdes {
            emrtd_apdu::tlv::write_tlv(Tag(0x91), &self.eph_pk, &mut data);
            self.key_ref(&mut data);
            self.state = TermState::KatSent;
            Ok(CommandApdu::new(0x00, INS_MSE, MSE_SET_KAT.0, MSE_SET_KAT.1).with_data(data))
        } else {
            emrtd_apdu::tlv::write_tlv(Tag(0x80), &self.params.protocol.oid(), &mut data);
            self.key_ref(&mut data);
            self.state = TermState::AtSent;
            Ok(CommandApdu::new(0x00, INS_MSE, MSE_SET_AT.0, MSE_SET_AT.1).with_data(data))
        }
    }

    /// Handles the (unprotected) response to the last command.
    pub fn on_response(&mut self, resp: &ResponseApdu) -> Result<CaStep, CaError> {
        let res = self.handle(resp);
        if res.is_err() {
            self.state = TermState::Failed;
        }
        res
    }

    fn handle(&mut self, resp: &ResponseApdu) -> Result<CaStep, CaError> {
        match self.state {
            TermState::KatSent => {
                check_sw(resp, "MSE:Set KAT")?;
                if !resp.data.is_empty() {
                    return Err(CaError::MalformedResponse {
                        step: "MSE:Set KAT",
                        detail: format!("{} unexpected data bytes", resp.data.len()),
                    });
                }
                self.finish()
            }
            TermState::AtSent => {
                check_sw(resp, "MSE:Set AT")?;
                let mut inner = Vec::new();
                emrtd_apdu::tlv::write_tlv(Tag(0x80), &self.eph_pk, &mut inner);
                let data = emrtd_apdu::tlv::encode(Tag(0x7C), &inner);
                self.state = TermState::GaSent;
                Ok(CaStep::Send(
                    CommandApdu::new(0x00, INS_GENERAL_AUTHENTICATE, 0x00, 0x00)
                        .with_data(data)
                        .with_ne(256),
                ))
            }
            TermState::GaSent => {
                check_sw(resp, "GENERAL AUTHENTICATE")?;
                // The dynamic authentication data is empty: `7C 00`. Chips that send nothing
                // at all are accepted too; anything else is malformed.
                if !resp.data.is_empty() {
                    let t = Tlv::parse_exact(&resp.data).map_err(|e| CaError::MalformedResponse {
                        step: "GENERAL AUTHENTICATE",
                        detail: e.to_string(),
                    })?;
                    if t.tag != Tag(0x7C) || !t.value.is_empty() {
                        return Err(CaError::MalformedResponse {
                            step: "GENERAL AUTHENTICATE",
                            detail: format!("expected 7C 00, got tag {} with {} bytes", t.tag, t.value.len()),
                        });
                    }
                }
                self.finish()
            }
            TermState::Start => Err(CaError::WrongState("on_response() before start()")),
            TermState::Finished | TermState::Failed => Err(CaError::WrongState("Chip Authentication already ended")),
        }
    }

    fn finish(&mut self) -> Result<CaStep, CaError> {
        let k = key_agreement_on(&self.domain, &self.eph_sk, self.params.public_key.public_value())?;
        let (keys, session) = derive_session(&k, self.params.protocol.cipher)?;
        self.state = TermState::Finished;
        Ok(CaStep::Pending(Box::new(CaPending {
            session,
            keys,
            params: self.params.clone(),
            ephemeral_public_key: self.eph_pk.clone(),
        })))
    }
}

fn strip_or_zero(id: &[u8]) -> &[u8] {
    let s = strip_leading_zeros(id);
    if s.is_empty() { &[0] } else { s }
}

fn check_sw(resp: &ResponseApdu, step: &'static str) -> Result<(), CaError> {
    if resp.sw.is_success() {
        Ok(())
    } else {
        Err(CaError::ChipRejected { step, sw: resp.sw })
    }
}

/// Keys are agreed, but the chip has not yet shown that it knows them.
pub struct CaPending {
    session: SmSession,
    keys: CaSessionKeys,
    params: CaParams,
    ephemeral_public_key: Vec<u8>,
}

impl core::fmt::Debug for CaPending {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CaPending")
            .field("protocol", &self.params.protocol)
            .finish_non_exhaustive()
    }
}

/// Chip Authentication succeeded: the chip answered under the new keys.
pub struct CaConfirmed {
    /// The secure messaging session to continue with.
    pub session: SmSession,
    /// The parameters (protocol, keyId, chip key) Chip Authentication ran with.
    pub params: CaParams,
    /// PK_PCD, which Terminal Authentication signs (as Comp(PK_PCD)).
    pub ephemeral_public_key: Vec<u8>,
}

impl core::fmt::Debug for CaConfirmed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CaConfirmed")
            .field("protocol", &self.params.protocol)
            .finish_non_exhaustive()
    }
}

impl CaPending {
    /// The new session keys (for logging key ids or tests; they are secret).
    pub fn keys(&self) -> &CaSessionKeys {
        &self.keys
    }

    /// The parameters (protocol, keyId, chip key) of this run.
    pub fn params(&self) -> &CaParams {
        &self.params
    }

    /// Protects the confirmation command (e.g. SELECT or READ BINARY) with the new keys.
    pub fn protect(&mut self, cmd: &CommandApdu) -> Result<CommandApdu, CaError> {
        Ok(self.session.protect(cmd)?)
    }

    /// Checks the chip's answer to the command from [`CaPending::protect`]: it must carry a
    /// valid MAC under the new keys. Returns the success and the unprotected response (whose
    /// status word is the command's own result). Any SM failure (unprotected answer,
    /// `6987`/`6988`, bad MAC) means the chip does not hold the CA private key.
    pub fn confirm(mut self, resp: &ResponseApdu) -> Result<(CaConfirmed, ResponseApdu), CaError> {
        let plain = self.session.unprotect(resp).map_err(CaError::ConfirmFailed)?;
        Ok((
            CaConfirmed {
                session: self.session,
                params: self.params,
                ephemeral_public_key: self.ephemeral_public_key,
            },
            plain,
        ))
    }
}

// ------------------------------------------------------------------------------- card side

/// What the card does after a CA command.
#[derive(Debug)]
pub enum CaCardAction {
    /// Answer with this response under the current session; nothing changes.
    Respond(ResponseApdu),
    /// Answer with this response under the *current* session, then switch to `session`
    /// (the new Chip Authentication keys, SSC = 0).
    RespondThenSwitch(ResponseApdu, SmSession),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CardState {
    Idle,
    AtSet,
}

/// Card side of Chip Authentication v1 for the virtual chip.
pub struct CaCard {
    private: PrivateKeyInfo,
    protocol: CaProtocol,
    key_id: Option<Vec<u8>>,
    state: CardState,
}

impl core::fmt::Debug for CaCard {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CaCard")
            .field("protocol", &self.protocol)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl CaCard {
    /// A card with the static CA private key (EC or DH), its protocol and keyId.
    pub fn new(private: PrivateKeyInfo, protocol: CaProtocol, key_id: Option<Vec<u8>>) -> Result<Self, CaError> {
        let ka = match &private {
            PrivateKeyInfo::Ec { .. } => KeyAgreement::Ecdh,
            PrivateKeyInfo::Dh { .. } => KeyAgreement::Dh,
            PrivateKeyInfo::Rsa(_) => {
                return Err(CaError::Key(KeyError::WrongKeyType(
                    "an RSA key cannot be used for Chip Authentication",
                )));
            }
        };
        if ka != protocol.key_agreement {
            return Err(CaError::ProtocolKeyMismatch {
                protocol: oid::display(&protocol.oid()),
                key: if ka == KeyAgreement::Ecdh { "EC" } else { "DH" },
            });
        }
        Ok(CaCard {
            private,
            protocol,
            key_id,
            state: CardState::Idle,
        })
    }

    /// The public key matching the card's private key (what DG14 should hold).
    pub fn public_key(&self) -> Result<CaPublicKey, CaError> {
        Ok(CaPublicKey::from_info(self.private.public_key()?)?)
    }

    /// Whether this command is one of CA's (MSE:Set KAT, MSE:Set AT with a CA OID, or
    /// GENERAL AUTHENTICATE after it) so a simulator can route it here.
    pub fn accepts(&self, cmd: &CommandApdu) -> bool {
        match (cmd.ins, cmd.p1, cmd.p2) {
            (INS_MSE, 0x41, 0xA6) => true,
            (INS_MSE, 0x41, 0xA4) => mse_oid(&cmd.data).is_some_and(|o| o.starts_with(oid::ID_CA)),
            (INS_GENERAL_AUTHENTICATE, _, _) => self.state == CardState::AtSet,
            _ => false,
        }
    }

    /// Computes K and the new session from the terminal's ephemeral public key.
    pub fn agree(&self, terminal_public: &[u8]) -> Result<(SecretBytes, SmSession), CaError> {
        let k = match &self.private {
            PrivateKeyInfo::Ec { curve, d } => curve.ecdh(d, terminal_public)?,
            PrivateKeyInfo::Dh { group, x } => crate::dh::shared_secret(group, x, terminal_public)?,
            PrivateKeyInfo::Rsa(_) => {
                return Err(CaError::Key(KeyError::WrongKeyType("RSA")));
            }
        };
        let (_, session) = derive_session(&k, self.protocol.cipher)?;
        Ok((k, session))
    }

    /// Handles an unprotected CA command. Errors become status words (`6A80` bad data,
    /// `6A88` unknown key reference, `6985` wrong order, `6A86` wrong P1-P2).
    pub fn handle(&mut self, cmd: &CommandApdu) -> CaCardAction {
        match self.try_handle(cmd) {
            Ok(a) => a,
            Err(sw) => {
                self.state = CardState::Idle;
                CaCardAction::Respond(ResponseApdu::status(sw))
            }
        }
    }

    fn check_key_ref(&self, refs: Option<&[u8]>) -> Result<(), StatusWord> {
        match (refs, &self.key_id) {
            (None, _) => Ok(()),
            (Some(r), Some(id)) if strip_leading_zeros(r) == strip_leading_zeros(id) => Ok(()),
            (Some(_), _) => Err(StatusWord::REFERENCED_DATA_NOT_FOUND),
        }
    }

    fn try_handle(&mut self, cmd: &CommandApdu) -> Result<CaCardAction, StatusWord> {
        match (cmd.ins, cmd.p1, cmd.p2) {
            (INS_MSE, 0x41, 0xA6) => {
                if self.protocol.cipher != CipherSuite::Tdes {
                    return Err(StatusWord::CONDITIONS_NOT_SATISFIED);
                }
                let (pk, key_ref) = parse_kat(&cmd.data).ok_or(StatusWord::INCORRECT_DATA)?;
                self.check_key_ref(key_ref)?;
                let (_, session) = self.agree(pk).map_err(|_| StatusWord::INCORRECT_DATA)?;
                self.state = CardState::Idle;
                Ok(CaCardAction::RespondThenSwitch(
                    ResponseApdu::status(StatusWord::SUCCESS),
                    session,
                ))
            }
            (INS_MSE, 0x41, 0xA4) => {
                let (oid_v, key_ref) = parse_at(&cmd.data).ok_or(StatusWord::INCORRECT_DATA)?;
                if oid_v != self.protocol.oid().as_slice() || self.protocol.cipher == CipherSuite::Tdes {
                    return Err(StatusWord::INCORRECT_DATA);
                }
                self.check_key_ref(key_ref)?;
                self.state = CardState::AtSet;
                Ok(CaCardAction::Respond(ResponseApdu::status(StatusWord::SUCCESS)))
            }
            (INS_GENERAL_AUTHENTICATE, p1, p2) => {
                if self.state != CardState::AtSet {
                    return Err(StatusWord::CONDITIONS_NOT_SATISFIED);
                }
                if p1 != 0 || p2 != 0 {
                    return Err(StatusWord::INCORRECT_P1P2);
                }
                let pk = parse_ga(&cmd.data).ok_or(StatusWord::INCORRECT_DATA)?;
                let (_, session) = self.agree(pk).map_err(|_| StatusWord::INCORRECT_DATA)?;
                self.state = CardState::Idle;
                Ok(CaCardAction::RespondThenSwitch(
                    ResponseApdu::new(vec![0x7C, 0x00], StatusWord::SUCCESS),
                    session,
                ))
            }
            (INS_MSE, _, _) => Err(StatusWord::INCORRECT_P1P2),
            _ => Err(StatusWord::INS_NOT_SUPPORTED),
        }
    }
}

fn mse_oid(data: &[u8]) -> Option<&[u8]> {
    parse_at(data).map(|(o, _)| o)
}

/// MSE:Set KAT data: `91` ephemeral key (required), `84` key reference (optional).
fn parse_kat(data: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    let mut pk = None;
    let mut key_ref = None;
    for t in TlvIter::new(data) {
        let t = t.ok()?;
        match t.tag {
            Tag(0x91) if pk.is_none() => pk = Some(t.value),
            Tag(0x84) if key_ref.is_none() => key_ref = Some(t.value),
            _ => return None,
        }
    }
    Some((pk?, key_ref))
}

/// MSE:Set AT data: `80` protocol OID (required), `84` key reference (optional).
fn parse_at(data: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    let mut o = None;
    let mut key_ref = None;
    for t in TlvIter::new(data) {
        let t = t.ok()?;
        match t.tag {
            Tag(0x80) if o.is_none() => o = Some(t.value),
            Tag(0x84) if key_ref.is_none() => key_ref = Some(t.value),
            _ => return None,
        }
    }
    Some((o?, key_ref))
}

/// GENERAL AUTHENTICATE data: `7C { 80 ephemeral key }`.
fn parse_ga(data: &[u8]) -> Option<&[u8]> {
    let outer = Tlv::parse_exact(data).ok()?;
    if outer.tag != Tag(0x7C) {
        return None;
    }
    let mut it = outer.children().ok()?;
    let inner = it.next()?.ok()?;
    if inner.tag != Tag(0x80) || it.next().is_some() {
        return None;
    }
    Some(inner.value)
}

/// Computes K for a given terminal private key and chip public key (for tests against worked
/// examples; the terminal state machine draws its key from an rng).
pub fn shared_secret(chip_public: &CaPublicKey, terminal_private: &[u8]) -> Result<SecretBytes, CaError> {
    let k = key_agreement_on(&CaDomain::of(chip_public), terminal_private, chip_public.public_value())?;
    Ok(Zeroizing::new(k.to_vec()))
}
