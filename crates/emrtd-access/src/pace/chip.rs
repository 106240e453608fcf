//! PACE, card (eMRTD chip) side, for the virtual chip: feed each command APDU to
//! [`PaceChip::process`], send back the response; after a successful GA step 4
//! [`PaceChip::take_outcome`] gives the secure messaging session (SSC = 0).
//!
//! The chip keeps a PIN retry counter (TR-03110 behaviour): MSE:Set AT with the PIN answers
//! 63C2 (warning, PACE continues) when two attempts are left, 63C1 (suspended) with one left
//! until PACE with the CAN succeeded, 6983 when blocked; a wrong token in GA step 4 costs an
//! attempt (63Cx). [`PaceChip::process_pin_management`] handles RESET RETRY COUNTER and
//! CHANGE REFERENCE DATA after PACE (the virtual chip removes secure messaging first).

use super::{
    KeyAgreement, PaceMapping, PaceProtocol, Password, PasswordRef, auth_token, cam_encrypt, dynamic_auth_data,
    encrypt_nonce, find_do, im_prf, nonce_len, parse_dynamic_auth_data, session_keys,
};
use emrtd_apdu::tlv::{Tag, TlvIter};
use emrtd_apdu::{CommandApdu, ResponseApdu, StatusWord};
use emrtd_crypto::SecretBytes;
use emrtd_crypto::domain::{Domain, GroupElement};
use emrtd_sm::SmSession;
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// One protocol the chip offers (one PACEInfo).
#[derive(Clone, Debug)]
pub struct ChipProtocol {
    /// The id-PACE-* protocol (mapping, key agreement, cipher).
    pub protocol: PaceProtocol,
    /// The group the protocol runs on.
    pub domain: Domain,
    /// The parameterId of the PACEInfo.
    pub parameter_id: Option<u32>,
}

/// What the chip knows.
#[derive(Clone)]
pub struct PaceChipConfig {
    /// The protocols offered, as in EF.CardAccess; MSE:Set AT must name one of them.
    pub protocols: Vec<ChipProtocol>,
    /// The passwords the chip accepts (at most one per reference).
    pub passwords: Vec<Password>,
    /// SK_IC, the static Chip Authentication private key used by PACE-CAM.
    pub cam_private_key: Option<SecretBytes>,
    /// The Certification Authority Reference(s) returned in DO 87 / DO 88 when the terminal
    /// sent a CHAT.
    pub cars: Vec<Vec<u8>>,
    /// Initial PIN retry counter (3 on German eID cards).
    pub pin_retries: u8,
}

impl PaceChipConfig {
    /// The protocols of every usable PACEInfo in EF.CardAccess (domain parameters resolved
    /// as the terminal does), for a virtual chip built from a real card's files.
    pub fn protocols_from_security_infos(infos: &emrtd_secinfo::SecurityInfos) -> Vec<ChipProtocol> {
        infos
            .pace_infos()
            .filter_map(|info| {
                let protocol = info.protocol()?;
                let (domain, _) = super::select::resolve_domain(infos, info).ok()?;
                Some(ChipProtocol {
                    protocol,
                    domain,
                    parameter_id: info.parameter_id,
                })
            })
            .collect()
    }

    /// A configuration with these protocols and passwords, no PACE-CAM key, no CARs and 3
    /// PIN retries.
    pub fn new(protocols: Vec<ChipProtocol>, passwords: Vec<Password>) -> Self {
        PaceChipConfig {
            protocols,
            passwords,
            cam_private_key: None,
            cars: Vec::new(),
            pin_retries: 3,
        }
    }
}

/// The result of a successful PACE run on the chip side.
pub struct PaceChipOutcome {
    /// The chip's secure messaging session with KSenc/KSmac, SSC = 0.
    pub session: SmSession,
    /// The protocol that ran.
    pub protocol: PaceProtocol,
    /// The parameterId of the protocol run, when it has one.
    pub parameter_id: Option<u32>,
    /// The password the terminal authenticated with.
    pub password: PasswordRef,
    /// PK_DH,IC, the chip's ephemeral key agreement public key (as encoded in GA step 3).
    pub chip_ephemeral_public_key: Vec<u8>,
    /// PK_DH,IFD, the terminal's ephemeral key agreement public key.
    pub terminal_ephemeral_public_key: Vec<u8>,
    /// The CHAT the terminal sent, if any.
    pub chat: Option<Vec<u8>>,
}

enum State {
    Idle,
    Selected,
    NonceSent,
    Mapped,
    KeysAgreed,
}

/// The card side of PACE.
pub struct PaceChip {
    config: PaceChipConfig,
    state: State,
    pin_retries: u8,
    can_resumed: bool,
    selected: Option<ChipProtocol>,
    oid: Vec<u8>,
    password: PasswordRef,
    chat: Option<Vec<u8>>,
    k_pi: Option<SecretBytes>,
    s: Option<SecretBytes>,
    sk_map: Option<SecretBytes>,
    g_tilde: Option<GroupElement>,
    pk_dh_ic: Option<Vec<u8>>,
    pk_dh_ifd: Option<Vec<u8>>,
    ks_enc: Option<SecretBytes>,
    ks_mac: Option<SecretBytes>,
    outcome: Option<PaceChipOutcome>,
    last_authenticated: Option<PasswordRef>,
}

const SW_WRONG_DATA: StatusWord = StatusWord(0x6A80);
const SW_NOT_FOUND: StatusWord = StatusWord(0x6A88);
const SW_CONDITIONS: StatusWord = StatusWord(0x6985);
const SW_BLOCKED: StatusWord = StatusWord(0x6983);
const SW_FAILED: StatusWord = StatusWord(0x6300);
const SW_INS: StatusWord = StatusWord(0x6D00);

fn sw(s: StatusWord) -> ResponseApdu {
    ResponseApdu::status(s)
}

impl PaceChip {
    /// A chip in the idle state with `config`'s protocols, passwords and PIN retry counter.
    pub fn new(config: PaceChipConfig) -> Self {
        let pin_retries = config.pin_retries;
        PaceChip {
            config,
            state: State::Idle,
            pin_retries,
            can_resumed: false,
            selected: None,
            oid: Vec::new(),
            password: PasswordRef::Mrz,
            chat: None,
            k_pi: None,
            s: None,
            sk_map: None,
            g_tilde: None,
            pk_dh_ic: None,
            pk_dh_ifd: None,
            ks_enc: None,
            ks_mac: None,
            outcome: None,
            last_authenticated: None,
        }
    }

    /// Whether the command belongs to PACE (MSE:Set AT for mutual authentication or
    /// GENERAL AUTHENTICATE).
    pub fn handles(cmd: &CommandApdu) -> bool {
        (cmd.ins == 0x22 && cmd.p1 == 0xC1 && cmd.p2 == 0xA4) || cmd.ins == 0x86
    }

    /// The PIN retry counter.
    pub fn pin_retries(&self) -> u8 {
        self.pin_retries
    }

    /// The session of the last successful PACE run (taken once).
    pub fn take_outcome(&mut self) -> Option<PaceChipOutcome> {
        self.outcome.take()
    }

    fn reset(&mut self) {
        self.state = State::Idle;
        self.selected = None;
        self.k_pi = None;
        self.s = None;
        self.sk_map = None;
        self.g_tilde = None;
        self.pk_dh_ic = None;
        self.pk_dh_ifd = None;
        self.ks_enc = None;
        self.ks_mac = None;
    }

    fn fail(&mut self, s: StatusWord) -> ResponseApdu {
        self.reset();
        sw(s)
    }

    /// Processes one command APDU of PACE and returns the response.
    pub fn process<R: CryptoRng + ?Sized>(&mut self, cmd: &CommandApdu, rng: &mut R) -> ResponseApdu {
        if cmd.ins == 0x22 && cmd.p1 == 0xC1 && cmd.p2 == 0xA4 {
            return self.mse_set_at(cmd);
        }
        if cmd.ins != 0x86 || cmd.p1 != 0 || cmd.p2 != 0 {
            return sw(SW_INS);
        }
        let chained = cmd.cla & 0x10 != 0;
        let dos = match parse_dynamic_auth_data(&cmd.data) {
            Ok(d) => d,
            Err(_) => return self.fail(SW_WRONG_DATA),
        };
        let result = match (&self.state, chained) {
            (State::Selected, true) => self.ga1_encrypted_nonce(&dos, rng),
            (State::NonceSent, true) => self.ga2_map_nonce(&dos, rng),
            (State::Mapped, true) => self.ga3_key_agreement(&dos, rng),
            (State::KeysAgreed, false) => return self.ga4_mutual_authentication(&dos),
            _ => Err(SW_CONDITIONS),
        };
        match result {
            Ok(r) => r,
            Err(s) => self.fail(s),
        }
    }

    fn mse_set_at(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        self.reset();
        let mut oid = None;
        let mut pw = None;
        let mut param = None;
        let mut chat = None;
        for tlv in TlvIter::new(&cmd.data) {
            let Ok(tlv) = tlv else { return sw(SW_WRONG_DATA) };
            match tlv.tag {
                Tag(0x80) => oid = Some(tlv.value.to_vec()),
                Tag(0x83) => pw = tlv.value.first().copied(),
                Tag(0x84) => param = Some(tlv.value.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b))),
                Tag(0x7F4C) => chat = Some(tlv.raw.to_vec()),
                _ => {}
            }
        }
        let (Some(oid), Some(pw)) = (oid, pw) else {
            return sw(SW_WRONG_DATA);
        };
        let Some(pw_ref) = PasswordRef::from_byte(pw) else {
            return sw(SW_NOT_FOUND);
        };
        let Some(chosen) = self
            .config
            .protocols
            .iter()
            .find(|p| p.protocol.oid() == oid && (param.is_none() || param == p.parameter_id))
            .cloned()
        else {
            return sw(SW_NOT_FOUND);
        };
        let Some(password) = self.config.passwords.iter().find(|p| p.reference() == pw_ref).cloned() else {
            return sw(SW_NOT_FOUND);
        };
        if chosen.protocol.mapping == PaceMapping::ChipAuthentication && self.config.cam_private_key.is_none() {
            return sw(SW_NOT_FOUND);
        }
        let mut status = StatusWord::SUCCESS;
        if pw_ref == PasswordRef::Pin {
            match self.pin_retries {
                0 => return sw(SW_BLOCKED),
                1 if !self.can_resumed => return sw(StatusWord(0x63C1)),
                // Resumed by PACE with the CAN: the last attempt is allowed.
                1 => {}
                n if n < self.config.pin_retries => status = StatusWord(0x63C0 | u16::from(n.min(15))),
                _ => {}
            }
        }
        self.k_pi = Some(password.k_pi(chosen.protocol.cipher));
        self.oid = oid;
        self.password = pw_ref;
        self.chat = chat;
        self.selected = Some(chosen);
        self.state = State::Selected;
        sw(status)
    }

    fn protocol(&self) -> Result<ChipProtocol, StatusWord> {
        self.selected.clone().ok_or(SW_CONDITIONS)
    }

    /// GA step 1: chooses s, answers z = E(Kπ, s) in DO 80.
    fn ga1_encrypted_nonce<R: CryptoRng + ?Sized>(
        &mut self,
        _dos: &[(u32, Vec<u8>)],
        rng: &mut R,
    ) -> Result<ResponseApdu, StatusWord> {
        let p = self.protocol()?;
        let suite = p.protocol.cipher;
        let mut s = Zeroizing::new(vec![0u8; nonce_len(suite)]);
        rng.fill_bytes(&mut s);
        let k_pi = self.k_pi.as_ref().ok_or(SW_CONDITIONS)?;
        let z = encrypt_nonce(suite, k_pi, &s).map_err(|_| SW_CONDITIONS)?;
        self.s = Some(s);
        self.state = State::NonceSent;
        Ok(ResponseApdu::new(dynamic_auth_data(&[(0x80, &z)]), StatusWord::SUCCESS))
    }

    /// GA step 2: GM/CAM: answers PK_Map,IC and computes Ĝ = s·G + H; IM: Ĝ = f_G(R_p(s,t)).
    fn ga2_map_nonce<R: CryptoRng + ?Sized>(
        &mut self,
        dos: &[(u32, Vec<u8>)],
        rng: &mut R,
    ) -> Result<ResponseApdu, StatusWord> {
        let p = self.protocol()?;
        let d = &p.domain;
        let data = find_do(dos, 0x81).ok_or(SW_WRONG_DATA)?;
        let s = self.s.clone().ok_or(SW_CONDITIONS)?;
        let (g, reply) = match p.protocol.mapping {
            PaceMapping::Generic | PaceMapping::ChipAuthentication => {
                let pk_ifd = d.decode(data).map_err(|_| SW_WRONG_DATA)?;
                let sk = d.generate_private_key(rng).map_err(|_| SW_CONDITIONS)?;
                let pk = d.public_key(&sk).map_err(|_| SW_CONDITIONS)?;
                if pk == data {
                    return Err(SW_WRONG_DATA);
                }
                let h = d.agree(&pk_ifd, &sk).map_err(|_| SW_WRONG_DATA)?;
                let g = d.map_generic(&s, &h).map_err(|_| SW_WRONG_DATA)?;
                self.sk_map = Some(sk);
                (g, dynamic_auth_data(&[(0x82, &pk)]))
            }
            PaceMapping::Integrated => {
                let r = im_prf(p.protocol.cipher, &s, data, d.p_bits()).map_err(|_| SW_WRONG_DATA)?;
                let rp = d.reduce_mod_p(&r).map_err(|_| SW_CONDITIONS)?;
                let g = d.map_integrated(&rp).map_err(|_| SW_WRONG_DATA)?;
                // Doc 9303-11 §4.4.5.2.2: DO 82 is empty for the Integrated Mapping.
                (g, dynamic_auth_data(&[(0x82, &[])]))
            }
        };
        self.g_tilde = Some(g);
        self.state = State::Mapped;
        Ok(ResponseApdu::new(reply, StatusWord::SUCCESS))
    }

    /// GA step 3: answers PK_DH,IC, computes K and the session keys.
    fn ga3_key_agreement<R: CryptoRng + ?Sized>(
        &mut self,
        dos: &[(u32, Vec<u8>)],
        rng: &mut R,
    ) -> Result<ResponseApdu, StatusWord> {
        let p = self.protocol()?;
        let d = &p.domain;
        let pk_ifd_bytes = find_do(dos, 0x83).ok_or(SW_WRONG_DATA)?;
        let g = self.g_tilde.clone().ok_or(SW_CONDITIONS)?;
        let pk_ifd = d.decode(pk_ifd_bytes).map_err(|_| SW_WRONG_DATA)?;
        if d.element_eq(&pk_ifd, &g) {
            return Err(SW_WRONG_DATA);
        }
        let sk = d.generate_private_key(rng).map_err(|_| SW_CONDITIONS)?;
        let pk = d
            .encode(&d.mul(&g, &sk).map_err(|_| SW_CONDITIONS)?)
            .map_err(|_| SW_CONDITIONS)?;
        if pk == pk_ifd_bytes {
            return Err(SW_WRONG_DATA);
        }
        let k = d
            .shared_secret_bytes(&d.agree(&pk_ifd, &sk).map_err(|_| SW_WRONG_DATA)?)
            .map_err(|_| SW_WRONG_DATA)?;
        let (ks_enc, ks_mac) = session_keys(p.protocol.cipher, &k);
        self.ks_enc = Some(ks_enc);
        self.ks_mac = Some(ks_mac);
        self.pk_dh_ic = Some(pk.clone());
        self.pk_dh_ifd = Some(pk_ifd_bytes.to_vec());
        self.state = State::KeysAgreed;
        Ok(ResponseApdu::new(
            dynamic_auth_data(&[(0x84, &pk)]),
            StatusWord::SUCCESS,
        ))
    }

    fn wrong_password(&mut self) -> ResponseApdu {
        let status = if self.password == PasswordRef::Pin {
            self.pin_retries = self.pin_retries.saturating_sub(1);
            if self.pin_retries == 0 {
                SW_BLOCKED
            } else {
                StatusWord(0x63C0 | u16::from(self.pin_retries.min(15)))
            }
        } else {
            SW_FAILED
        };
        self.fail(status)
    }

    /// GA step 4: verifies T_IFD, answers T_IC (DO 86), the CARs (DO 87/88) when a CHAT was
    /// sent and, for PACE-CAM, A_IC (DO 8A).
    fn ga4_mutual_authentication(&mut self, dos: &[(u32, Vec<u8>)]) -> ResponseApdu {
        let Ok(p) = self.protocol() else {
            return self.fail(SW_CONDITIONS);
        };
        let suite = p.protocol.cipher;
        let ka: KeyAgreement = p.protocol.key_agreement;
        let (Some(ks_enc), Some(ks_mac), Some(pk_ic), Some(pk_ifd)) = (
            self.ks_enc.clone(),
            self.ks_mac.clone(),
            self.pk_dh_ic.clone(),
            self.pk_dh_ifd.clone(),
        ) else {
            return self.fail(SW_CONDITIONS);
        };
        let Some(t_ifd) = find_do(dos, 0x85) else {
            return self.fail(SW_WRONG_DATA);
        };
        let Ok(expected) = auth_token(suite, &ks_mac, &self.oid, ka, &pk_ic) else {
            return self.fail(SW_CONDITIONS);
        };
        if t_ifd.len() != 8 || !bool::from(expected.ct_eq(t_ifd)) {
            return self.wrong_password();
        }
        let Ok(t_ic) = auth_token(suite, &ks_mac, &self.oid, ka, &pk_ifd) else {
            return self.fail(SW_CONDITIONS);
        };
        let mut parts: Vec<(u32, Vec<u8>)> = vec![(0x86, t_ic.to_vec())];
        if self.chat.is_some() {
            for (tag, car) in [0x87u32, 0x88].iter().zip(&self.config.cars) {
                parts.push((*tag, car.clone()));
            }
        }
        if p.protocol.mapping == PaceMapping::ChipAuthentication {
            let (Domain::Ec(curve), Some(sk_ic), Some(sk_map)) =
                (&p.domain, self.config.cam_private_key.as_ref(), self.sk_map.as_ref())
            else {
                return self.fail(SW_CONDITIONS);
            };
            let Ok(ca_ic) = curve.scalar_inv_mul(sk_ic, sk_map) else {
                return self.fail(SW_CONDITIONS);
            };
            let Ok(a_ic) = cam_encrypt(suite, &ks_enc, &ca_ic) else {
                return self.fail(SW_CONDITIONS);
            };
            parts.push((0x8A, a_ic));
        }
        let Ok(session) = SmSession::with_zero_ssc(suite, &ks_enc, &ks_mac) else {
            return self.fail(SW_CONDITIONS);
        };
        match self.password {
            PasswordRef::Pin => {
                self.pin_retries = self.config.pin_retries;
                self.can_resumed = false;
            }
            PasswordRef::Can => self.can_resumed = true,
            _ => {}
        }
        self.last_authenticated = Some(self.password);
        self.outcome = Some(PaceChipOutcome {
            session,
            protocol: p.protocol,
            parameter_id: p.parameter_id,
            password: self.password,
            chip_ephemeral_public_key: pk_ic,
            terminal_ephemeral_public_key: pk_ifd,
            chat: self.chat.clone(),
        });
        let refs: Vec<(u32, &[u8])> = parts.iter().map(|(t, v)| (*t, v.as_slice())).collect();
        let data = dynamic_auth_data(&refs);
        self.reset();
        ResponseApdu::new(data, StatusWord::SUCCESS)
    }

    /// RESET RETRY COUNTER (`00 2C`) and CHANGE REFERENCE DATA (`00 24`) for the PIN, after
    /// a successful PACE (with secure messaging already removed by the caller):
    /// * `2C 03 03` (unblock) needs PACE with the PUK; resets the counter;
    /// * `2C 02 03 <new PIN>` and `24 01 03 <new PIN>` (change) need PACE with the PIN (or
    ///   the PUK); set a new PIN and reset the counter.
    ///
    /// Returns `None` for other commands.
    pub fn process_pin_management(&mut self, cmd: &CommandApdu) -> Option<ResponseApdu> {
        let auth = self.last_authenticated;
        let new_pin = |data: &[u8]| -> Option<String> {
            if (4..=12).contains(&data.len()) && data.iter().all(u8::is_ascii_digit) {
                Some(data.iter().map(|b| char::from(*b)).collect())
            } else {
                None
            }
        };
        let resp = match (cmd.ins, cmd.p1, cmd.p2) {
            (0x2C, 0x03, 0x03) => {
                if auth != Some(PasswordRef::Puk) {
                    sw(StatusWord(0x6982))
                } else {
                    self.pin_retries = self.config.pin_retries;
                    sw(StatusWord::SUCCESS)
                }
            }
            (0x2C, 0x02, 0x03) | (0x24, 0x01, 0x03) => {
                if !matches!(auth, Some(PasswordRef::Pin) | Some(PasswordRef::Puk)) {
                    sw(StatusWord(0x6982))
                } else if let Some(pin) = new_pin(&cmd.data) {
                    self.config.passwords.retain(|p| p.reference() != PasswordRef::Pin);
                    self.config.passwords.push(Password::Pin(pin));
                    self.pin_retries = self.config.pin_retries;
                    sw(StatusWord::SUCCESS)
                } else {
                    sw(SW_WRONG_DATA)
                }
            }
            _ => return None,
        };
        Some(resp)
    }
}
