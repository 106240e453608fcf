//! PACE, terminal (inspection system) side, as sans-IO steps named after Doc 9303-11 §4.4:
//!
//! 1. [`PaceTerminal::mse_set_at`] → MSE:Set AT (`00 22 C1 A4`, DO 80 protocol OID, DO 83
//!    password reference, DO 84 parameter id when the parameters are standardized);
//!    [`PaceTerminal::process_mse_set_at`] reads the answer (PIN warnings 63Cx, suspended,
//!    blocked).
//! 2. [`PaceTerminal::ga1_encrypted_nonce`] → GENERAL AUTHENTICATE step 1 (empty `7C`).
//! 3. [`PaceTerminal::ga2_map_nonce`]: decrypts the nonce s, sends the mapping data
//!    (GM/CAM: PK_Map,IFD; IM: the nonce t).
//! 4. [`PaceTerminal::ga3_key_agreement`]: computes the mapped generator Ĝ and sends the
//!    ephemeral key PK_DH,IFD.
//! 5. [`PaceTerminal::ga4_mutual_authentication`]: key agreement K, KSenc/KSmac, token T_IFD.
//! 6. [`PaceTerminal::finish`]: verifies T_IC, decrypts the PACE-CAM data, returns a
//!    [`PaceOutcome`] with the secure messaging session (SSC = 0).
//!
//! [`PaceTerminal::run`] chains the steps over a caller-supplied transmit function.

use super::select::PaceSelection;
use super::{
    KeyAgreement, PaceError, PaceMapping, PaceProtocol, Password, PasswordRef, PasswordStatus, auth_token, cam_decrypt,
    decrypt_nonce, dynamic_auth_data, find_do, im_prf, parse_dynamic_auth_data, session_keys,
};
use emrtd_apdu::tlv::{Tag, encode};
use emrtd_apdu::{CommandApdu, ResponseApdu, StatusWord};
use emrtd_crypto::SecretBytes;
use emrtd_crypto::domain::{Domain, GroupElement};
use emrtd_sm::SmSession;
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Terminal options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaceConfig {
    /// Put DO 0x84 (the parameter id) into MSE:Set AT when the parameters are standardized.
    /// On by default: some chips refuse PACE without it. (The ICAO Appendix G/H examples
    /// show the command without it.)
    pub parameter_id_in_mse: bool,
    /// A Certificate Holder Authorization Template (`7F4C …`, encoded) for eID terminals
    /// that go on with Terminal Authentication; the chip then returns its CAR(s).
    pub chat: Option<Vec<u8>>,
}

impl Default for PaceConfig {
    fn default() -> Self {
        PaceConfig {
            parameter_id_in_mse: true,
            chat: None,
        }
    }
}

/// Ephemeral values given explicitly instead of drawn from the random source, to reproduce
/// worked examples whose keys are not in the range a generator would draw (e.g. the
/// 1024-bit DH exponent of ICAO H.2). Production code leaves these empty.
#[derive(Clone, Default)]
pub struct FixedEphemeral {
    /// SK_Map,IFD (GM, CAM).
    pub map_private_key: Option<SecretBytes>,
    /// SK_DH,IFD.
    pub dh_private_key: Option<SecretBytes>,
    /// The IM nonce t.
    pub im_nonce: Option<SecretBytes>,
}

/// The result of the PACE-CAM check against the chip's static key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CamVerification {
    /// CA_IC · PK_IC = PK_Map,IC: the chip holds the private key of PK_IC.
    Verified,
    /// The check failed: the chip is not genuine (or PK_IC is the wrong key).
    Failed,
}

struct CamData {
    ca_ic: SecretBytes,
    pk_map_ic: GroupElement,
}

/// A successful PACE run.
pub struct PaceOutcome {
    /// Secure messaging with KSenc/KSmac, SSC = 0.
    pub session: SmSession,
    /// The protocol OID used (DER content bytes).
    pub oid: Vec<u8>,
    /// The protocol that ran (mapping, key agreement, cipher).
    pub protocol: PaceProtocol,
    /// The parameterId used, when the parameters have one.
    pub parameter_id: Option<u32>,
    /// The password used.
    pub password: PasswordRef,
    /// PK_DH,IC as sent by the chip (Terminal Authentication uses Comp() of it as ID_IC).
    pub chip_ephemeral_public_key: Vec<u8>,
    /// PK_DH,IFD.
    pub terminal_ephemeral_public_key: Vec<u8>,
    /// Certification Authority References (DO 87, DO 88) when a CHAT was sent.
    pub certification_authority_references: Vec<Vec<u8>>,
    /// A warning from MSE:Set AT (e.g. PIN retries left), although PACE succeeded.
    pub mse_warning: Option<PasswordStatus>,
    domain: Domain,
    cam: Option<CamData>,
}

impl core::fmt::Debug for PaceOutcome {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PaceOutcome")
            .field("oid", &emrtd_secinfo::Oid(self.oid.clone()))
            .field("parameter_id", &self.parameter_id)
            .field("password", &self.password)
            .field("cam", &self.cam.is_some())
            .finish_non_exhaustive()
    }
}

impl PaceOutcome {
    /// Whether Chip Authentication Mapping was used (then call [`PaceOutcome::verify_cam`]
    /// once EF.CardSecurity has been read and passively authenticated).
    pub fn is_cam(&self) -> bool {
        self.cam.is_some()
    }

    /// The domain parameters PACE ran on (from EF.CardAccess, which is not signed: PACE-CAM
    /// must compare them with the signed ones of EF.CardSecurity, [`Domain::same_parameters`]).
    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    /// CA_IC, the decrypted chip authentication data of PACE-CAM.
    pub fn cam_chip_authentication_data(&self) -> Option<&[u8]> {
        self.cam.as_ref().map(|c| c.ca_ic.as_slice())
    }

    /// PACE-CAM check (Doc 9303-11 §4.4.3.5.2): PK_Map,IC = KA(CA_IC, PK_IC) with the chip's
    /// static public key PK_IC (uncompressed point from EF.CardSecurity's
    /// ChipAuthenticationPublicKeyInfo). `Err` when PACE-CAM was not used or PK_IC is not a
    /// valid point on the PACE curve.
    pub fn verify_cam(&self, chip_static_public_key: &[u8]) -> Result<CamVerification, PaceError> {
        let cam = self
            .cam
            .as_ref()
            .ok_or(PaceError::OutOfOrder("verify_cam without PACE-CAM"))?;
        let pk_ic = self.domain.decode(chip_static_public_key)?;
        let product = match self.domain.mul(&pk_ic, &cam.ca_ic) {
            Ok(p) => p,
            Err(_) => return Ok(CamVerification::Failed),
        };
        Ok(if self.domain.element_eq(&product, &cam.pk_map_ic) {
            CamVerification::Verified
        } else {
            CamVerification::Failed
        })
    }
}

/// Records an intermediate value for the worked-example tests; compiled out otherwise, so
/// no extra copies of secrets are kept in production.
macro_rules! record {
    ($self:ident . $field:ident = $value:expr) => {
        #[cfg(test)]
        {
            $self.transcript.$field = $value;
        }
    };
}

/// Intermediate values, kept for the worked-example tests (test builds only).
#[cfg(test)]
#[derive(Default)]
pub(crate) struct Transcript {
    pub(crate) s: Option<SecretBytes>,
    pub(crate) pk_map_ifd: Option<Vec<u8>>,
    pub(crate) pk_map_ic: Option<Vec<u8>>,
    pub(crate) h: Option<Vec<u8>>,
    pub(crate) g_tilde: Option<Vec<u8>>,
    pub(crate) pk_dh_ifd: Option<Vec<u8>>,
    pub(crate) pk_dh_ic: Option<Vec<u8>>,
    pub(crate) k: Option<SecretBytes>,
    pub(crate) ks_enc: Option<SecretBytes>,
    pub(crate) ks_mac: Option<SecretBytes>,
    pub(crate) t_ifd: Option<[u8; 8]>,
    pub(crate) t_ic: Option<[u8; 8]>,
    pub(crate) ca_ic: Option<SecretBytes>,
    pub(crate) rp: Option<Vec<u8>>,
}

enum State {
    Start,
    MseSent,
    Ga1Sent,
    Ga2Sent,
    Ga3Sent,
    Ga4Sent,
    Done,
}

/// The terminal side of PACE.
pub struct PaceTerminal {
    selection: PaceSelection,
    password: PasswordRef,
    k_pi: SecretBytes,
    config: PaceConfig,
    fixed: FixedEphemeral,
    state: State,
    mse_warning: Option<PasswordStatus>,
    s: Option<SecretBytes>,
    t: Option<SecretBytes>,
    sk_map: Option<SecretBytes>,
    pk_map_ifd: Option<Vec<u8>>,
    pk_map_ic: Option<GroupElement>,
    g_tilde: Option<GroupElement>,
    sk_dh: Option<SecretBytes>,
    pk_dh_ifd: Option<Vec<u8>>,
    pk_dh_ic: Option<Vec<u8>>,
    ks_enc: Option<SecretBytes>,
    ks_mac: Option<SecretBytes>,
    #[cfg(test)]
    pub(crate) transcript: Transcript,
}

fn check_sw(resp: &ResponseApdu, step: &'static str, password: PasswordRef) -> Result<(), PaceError> {
    if resp.sw == StatusWord::SUCCESS {
        return Ok(());
    }
    match PasswordStatus::from_status_word(resp.sw, password) {
        Some(status) => Err(PaceError::PasswordRejected { step, status }),
        None => Err(PaceError::ChipRefused { step, sw: resp.sw }),
    }
}

fn ga_command(data: Vec<u8>, last: bool) -> CommandApdu {
    CommandApdu::new(if last { 0x00 } else { 0x10 }, 0x86, 0x00, 0x00)
        .with_data(data)
        .with_ne(256)
}

impl PaceTerminal {
    /// Prepares PACE with the selected protocol and the password.
    pub fn new(selection: PaceSelection, password: &Password, config: PaceConfig) -> Self {
        let k_pi = password.k_pi(selection.protocol.cipher);
        PaceTerminal {
            selection,
            password: password.reference(),
            k_pi,
            config,
            fixed: FixedEphemeral::default(),
            state: State::Start,
            mse_warning: None,
            s: None,
            t: None,
            sk_map: None,
            pk_map_ifd: None,
            pk_map_ic: None,
            g_tilde: None,
            sk_dh: None,
            pk_dh_ifd: None,
            pk_dh_ic: None,
            ks_enc: None,
            ks_mac: None,
            #[cfg(test)]
            transcript: Transcript::default(),
        }
    }

    /// Uses the given ephemeral values instead of the random source (worked examples).
    pub fn with_fixed_ephemeral(mut self, fixed: FixedEphemeral) -> Self {
        self.fixed = fixed;
        self
    }

    /// The protocol and domain parameters this run uses.
    pub fn selection(&self) -> &PaceSelection {
        &self.selection
    }

    fn domain(&self) -> &Domain {
        &self.selection.domain
    }

    /// MSE:Set AT (Doc 9303-11 §4.4.4.1): DO 80 protocol OID, DO 83 password reference,
    /// DO 84 parameter id (standardized parameters, see [`PaceConfig::parameter_id_in_mse`]),
    /// the CHAT if configured.
    pub fn mse_set_at(&mut self) -> Result<CommandApdu, PaceError> {
        if !matches!(self.state, State::Start) {
            return Err(PaceError::OutOfOrder("MSE:Set AT"));
        }
        let mut data = encode(Tag(0x80), &self.selection.oid);
        data.extend_from_slice(&encode(Tag(0x83), &[self.password as u8]));
        if self.config.parameter_id_in_mse
            && self.selection.standardized
            && let Some(id) = self.selection.parameter_id
            && let Ok(id) = u8::try_from(id)
        {
            data.extend_from_slice(&encode(Tag(0x84), &[id]));
        }
        if let Some(chat) = &self.config.chat {
            data.extend_from_slice(chat);
        }
        self.state = State::MseSent;
        Ok(CommandApdu::new(0x00, 0x22, 0xC1, 0xA4).with_data(data))
    }

    /// Reads the answer to MSE:Set AT. 9000 → `None`; a 63Cx warning for a usable password
    /// → `Some(status)` (PACE continues); suspended / blocked / deactivated → error.
    pub fn process_mse_set_at(&mut self, resp: &ResponseApdu) -> Result<Option<PasswordStatus>, PaceError> {
        if !matches!(self.state, State::MseSent) {
            return Err(PaceError::OutOfOrder("MSE:Set AT response"));
        }
        if resp.sw == StatusWord::SUCCESS {
            return Ok(None);
        }
        match PasswordStatus::from_status_word(resp.sw, self.password) {
            Some(PasswordStatus::RetriesLeft(n)) => {
                self.mse_warning = Some(PasswordStatus::RetriesLeft(n));
                Ok(self.mse_warning)
            }
            Some(status) => Err(PaceError::PasswordRejected {
                step: "MSE:Set AT",
                status,
            }),
            None => Err(PaceError::ChipRefused {
                step: "MSE:Set AT",
                sw: resp.sw,
            }),
        }
    }

    /// GA step 1, "Encrypted Nonce": `10 86 00 00 02 7C 00 00`.
    pub fn ga1_encrypted_nonce(&mut self) -> Result<CommandApdu, PaceError> {
        if !matches!(self.state, State::MseSent) {
            return Err(PaceError::OutOfOrder("GA step 1"));
        }
        self.state = State::Ga1Sent;
        Ok(ga_command(dynamic_auth_data(&[]), false))
    }

    /// GA step 2, "Map Nonce": decrypts s = D(Kπ, z); GM/CAM: generates the mapping key
    /// pair and sends PK_Map,IFD in DO 81; IM: sends the nonce t in DO 81.
    pub fn ga2_map_nonce<R: CryptoRng + ?Sized>(
        &mut self,
        resp: &ResponseApdu,
        rng: &mut R,
    ) -> Result<CommandApdu, PaceError> {
        if !matches!(self.state, State::Ga1Sent) {
            return Err(PaceError::OutOfOrder("GA step 2"));
        }
        check_sw(resp, "GA step 1", self.password)?;
        let dos = parse_dynamic_auth_data(&resp.data)?;
        let z = find_do(&dos, 0x80).ok_or(PaceError::BadResponse("GA step 1 (DO 80)"))?;
        let suite = self.selection.protocol.cipher;
        let s = decrypt_nonce(suite, &self.k_pi, z)?;
        record!(self.s = Some(s.clone()));
        self.s = Some(s);
        let mapping_data = match self.selection.protocol.mapping {
            PaceMapping::Generic | PaceMapping::ChipAuthentication => {
                let sk = match self.fixed.map_private_key.take() {
                    Some(k) => k,
                    None => self.domain().generate_private_key(rng)?,
                };
                let pk = self.domain().public_key(&sk)?;
                self.sk_map = Some(sk);
                self.pk_map_ifd = Some(pk.clone());
                record!(self.pk_map_ifd = Some(pk.clone()));
                pk
            }
            PaceMapping::Integrated => {
                let t = match self.fixed.im_nonce.take() {
                    Some(t) => t,
                    None => {
                        let mut t = Zeroizing::new(vec![0u8; suite.key_len()]);
                        rng.fill_bytes(&mut t);
                        t
                    }
                };
                let data = t.to_vec();
                self.t = Some(t);
                data
            }
        };
        self.state = State::Ga2Sent;
        Ok(ga_command(dynamic_auth_data(&[(0x81, &mapping_data)]), false))
    }

    /// GA step 3, "Perform Key Agreement": computes Ĝ (GM/CAM: Ĝ = s·G + H with
    /// H = SK_Map,IFD · PK_Map,IC; IM: Ĝ = f_G(R_p(s,t))), generates the ephemeral key pair
    /// on Ĝ and sends PK_DH,IFD in DO 83.
    pub fn ga3_key_agreement<R: CryptoRng + ?Sized>(
        &mut self,
        resp: &ResponseApdu,
        rng: &mut R,
    ) -> Result<CommandApdu, PaceError> {
        if !matches!(self.state, State::Ga2Sent) {
            return Err(PaceError::OutOfOrder("GA step 3"));
        }
        check_sw(resp, "GA step 2", self.password)?;
        let dos = parse_dynamic_auth_data(&resp.data)?;
        let s = self.s.clone().ok_or(PaceError::OutOfOrder("GA step 3 without s"))?;
        let domain = self.domain().clone();
        let g_tilde = match self.selection.protocol.mapping {
            PaceMapping::Generic | PaceMapping::ChipAuthentication => {
                let pk_ic_bytes = find_do(&dos, 0x82).ok_or(PaceError::BadResponse("GA step 2 (DO 82)"))?;
                if Some(pk_ic_bytes) == self.pk_map_ifd.as_deref() {
                    return Err(PaceError::SameEphemeralKey);
                }
                let pk_map_ic = domain.decode(pk_ic_bytes)?;
                let sk = self
                    .sk_map
                    .as_ref()
                    .ok_or(PaceError::OutOfOrder("GA step 3 without SK_Map"))?;
                let h = domain.agree(&pk_map_ic, sk)?;
                record!(self.pk_map_ic = Some(pk_ic_bytes.to_vec()));
                record!(self.h = domain.encode(&h).ok());
                let g = domain.map_generic(&s, &h)?;
                self.pk_map_ic = Some(pk_map_ic);
                g
            }
            PaceMapping::Integrated => {
                if find_do(&dos, 0x82).is_some_and(|v| !v.is_empty()) {
                    return Err(PaceError::BadResponse("GA step 2 (IM: unexpected mapping data)"));
                }
                let t = self.t.as_ref().ok_or(PaceError::OutOfOrder("GA step 3 without t"))?;
                let r = im_prf(self.selection.protocol.cipher, &s, t, domain.p_bits())?;
                let rp = domain.reduce_mod_p(&r)?;
                record!(self.rp = Some(rp.clone()));
                domain.map_integrated(&rp)?
            }
        };
        record!(self.g_tilde = domain.encode(&g_tilde).ok());
        let sk_dh = match self.fixed.dh_private_key.take() {
            Some(k) => k,
            None => domain.generate_private_key(rng)?,
        };
        let pk_dh = domain.encode(&domain.mul(&g_tilde, &sk_dh)?)?;
        record!(self.pk_dh_ifd = Some(pk_dh.clone()));
        self.g_tilde = Some(g_tilde);
        self.sk_dh = Some(sk_dh);
        self.pk_dh_ifd = Some(pk_dh.clone());
        self.state = State::Ga3Sent;
        Ok(ga_command(dynamic_auth_data(&[(0x83, &pk_dh)]), false))
    }

    /// GA step 4, "Mutual Authentication": validates PK_DH,IC (≠ PK_DH,IFD), K = KA(SK_DH,IFD,
    /// PK_DH,IC), KSenc/KSmac, and sends T_IFD = MAC(KSmac, PK_DH,IC) in DO 85.
    pub fn ga4_mutual_authentication(&mut self, resp: &ResponseApdu) -> Result<CommandApdu, PaceError> {
        if !matches!(self.state, State::Ga3Sent) {
            return Err(PaceError::OutOfOrder("GA step 4"));
        }
        check_sw(resp, "GA step 3", self.password)?;
        let dos = parse_dynamic_auth_data(&resp.data)?;
        let pk_ic = find_do(&dos, 0x84).ok_or(PaceError::BadResponse("GA step 3 (DO 84)"))?;
        if Some(pk_ic) == self.pk_dh_ifd.as_deref() {
            return Err(PaceError::SameEphemeralKey);
        }
        let domain = self.domain().clone();
        let g = self
            .g_tilde
            .as_ref()
            .ok_or(PaceError::OutOfOrder("GA step 4 without Ĝ"))?;
        let peer = domain.decode(pk_ic)?;
        // The DH public key must not be the mapped generator itself either.
        if domain.element_eq(&peer, g) {
            return Err(PaceError::SameEphemeralKey);
        }
        let sk = self
            .sk_dh
            .as_ref()
            .ok_or(PaceError::OutOfOrder("GA step 4 without SK_DH"))?;
        let k = domain.shared_secret_bytes(&domain.agree(&peer, sk)?)?;
        let suite = self.selection.protocol.cipher;
        let (ks_enc, ks_mac) = session_keys(suite, &k);
        let ka = self.selection.protocol.key_agreement;
        let t_ifd = auth_token(suite, &ks_mac, &self.selection.oid, ka, pk_ic)?;
        record!(self.pk_dh_ic = Some(pk_ic.to_vec()));
        record!(self.k = Some(k));
        record!(self.ks_enc = Some(ks_enc.clone()));
        record!(self.ks_mac = Some(ks_mac.clone()));
        record!(self.t_ifd = Some(t_ifd));
        self.pk_dh_ic = Some(pk_ic.to_vec());
        self.ks_enc = Some(ks_enc);
        self.ks_mac = Some(ks_mac);
        self.state = State::Ga4Sent;
        Ok(ga_command(dynamic_auth_data(&[(0x85, &t_ifd)]), true))
    }

    /// Verifies T_IC = MAC(KSmac, PK_DH,IFD) (a wrong token is an error), reads the CARs
    /// and, for PACE-CAM, decrypts A_IC; returns the session.
    pub fn finish(&mut self, resp: &ResponseApdu) -> Result<PaceOutcome, PaceError> {
        if !matches!(self.state, State::Ga4Sent) {
            return Err(PaceError::OutOfOrder("finish"));
        }
        self.state = State::Done;
        check_sw(resp, "GA step 4", self.password)?;
        let dos = parse_dynamic_auth_data(&resp.data)?;
        let t_ic = find_do(&dos, 0x86).ok_or(PaceError::BadResponse("GA step 4 (DO 86)"))?;
        let suite = self.selection.protocol.cipher;
        let ka: KeyAgreement = self.selection.protocol.key_agreement;
        let ks_mac = self.ks_mac.take().ok_or(PaceError::OutOfOrder("finish without keys"))?;
        let ks_enc = self.ks_enc.take().ok_or(PaceError::OutOfOrder("finish without keys"))?;
        let pk_dh_ifd = self.pk_dh_ifd.clone().ok_or(PaceError::OutOfOrder("finish"))?;
        let expected = auth_token(suite, &ks_mac, &self.selection.oid, ka, &pk_dh_ifd)?;
        if t_ic.len() != 8 || !bool::from(expected.ct_eq(t_ic)) {
            return Err(PaceError::BadChipToken);
        }
        record!(self.t_ic = <[u8; 8]>::try_from(t_ic).ok());
        let cars: Vec<Vec<u8>> = [0x87, 0x88]
            .iter()
            .filter_map(|t| find_do(&dos, *t).map(<[u8]>::to_vec))
            .collect();
        let cam = if self.selection.protocol.mapping == PaceMapping::ChipAuthentication {
            let a_ic = find_do(&dos, 0x8A).ok_or(PaceError::BadCamData)?;
            let ca_ic = cam_decrypt(suite, &ks_enc, a_ic)?;
            record!(self.ca_ic = Some(ca_ic.clone()));
            let pk_map_ic = self.pk_map_ic.clone().ok_or(PaceError::BadCamData)?;
            Some(CamData { ca_ic, pk_map_ic })
        } else {
            None
        };
        let session = SmSession::with_zero_ssc(suite, &ks_enc, &ks_mac)?;
        Ok(PaceOutcome {
            session,
            oid: self.selection.oid.clone(),
            protocol: self.selection.protocol,
            parameter_id: self.selection.parameter_id,
            password: self.password,
            chip_ephemeral_public_key: self.pk_dh_ic.clone().unwrap_or_default(),
            terminal_ephemeral_public_key: pk_dh_ifd,
            certification_authority_references: cars,
            mse_warning: self.mse_warning,
            domain: self.selection.domain.clone(),
            cam,
        })
    }

    /// Runs all steps over `transmit` (which sends a command and returns the response).
    pub fn run<R, F>(&mut self, rng: &mut R, mut transmit: F) -> Result<PaceOutcome, PaceError>
    where
        R: CryptoRng + ?Sized,
        F: FnMut(&CommandApdu) -> Result<ResponseApdu, PaceError>,
    {
        let cmd = self.mse_set_at()?;
        let resp = transmit(&cmd)?;
        self.process_mse_set_at(&resp)?;
        let cmd = self.ga1_encrypted_nonce()?;
        let resp = transmit(&cmd)?;
        let cmd = self.ga2_map_nonce(&resp, rng)?;
        let resp = transmit(&cmd)?;
        let cmd = self.ga3_key_agreement(&resp, rng)?;
        let resp = transmit(&cmd)?;
        let cmd = self.ga4_mutual_authentication(&resp)?;
        let resp = transmit(&cmd)?;
        self.finish(&resp)
    }
}
