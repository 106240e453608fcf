//! The reading pipeline of a DocVal session, in the documented order:
//!
//! `READ_ATR_INFO` (only when asked) → `ACCESS_CONTROL` → `READ_SOD` → `READ_DG14` →
//! `CHIP_AUTHENTICATION` → `READ_DG15` → `ACTIVE_AUTHENTICATION` → `READ_DG1` → `READ_DG2` →
//! `READ_DG7` → `READ_DG11` → `READ_DG12` → `PASSIVE_AUTHENTICATION` → `DONE`.
//!
//! Optional steps are skipped when the SOD does not list the file or the chip does not offer
//! the protocol. Every step leaves a [`StepRecord`], so partial success is visible. Access
//! control is PACE when EF.CardAccess offers it and BAC otherwise; a PACE failure is never
//! silently followed by BAC — a configured fallback is reported in `errors`.

use crate::channel::{Channel, ChannelError};
use crate::files::{FileError, ReadLimits, read_file};
use emrtd_access::MrzKey;
use emrtd_access::bac::BacTerminal;
use emrtd_access::pace::{
    CamVerification, PaceConfig, PaceOutcome, PaceTerminal, Password, Preferences, select_protocol,
};
use emrtd_apdu::CommandApdu;
use emrtd_chipauth::aa::{AaPublicKey, AaStep, AaTerminal};
use emrtd_chipauth::ca::{CaParams, CaStep, CaTerminal};
use emrtd_crypto::domain::Domain;
use emrtd_pa::{PaOptions, PaOutcome, TrustStore};
use emrtd_result::AuthResult;
use emrtd_secinfo::{PaceMapping, SecurityInfo, SecurityInfos};
use emrtd_transport::{Transport, TransportError};
use rand_core::CryptoRng;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// The eMRTD application identifier (Doc 9303-10 §3.10.1).
pub const EMRTD_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];
/// Short file identifier of EF.CardAccess (Doc 9303-10), in the master file: the PACE
/// and chip authentication security infos.
pub const SFI_CARD_ACCESS: u8 = 0x1C;
/// Short file identifier of EF.CardSecurity (Doc 9303-10, BSI TR-03110-3), in the master file:
/// the signed security infos, read for PACE-CAM.
pub const SFI_CARD_SECURITY: u8 = 0x1D;
/// Short file identifier of EF.ATR/INFO (Doc 9303-10, ISO 7816-4), in the master file: the
/// chip's extended-length and buffer-size information.
pub const SFI_ATR_INFO: u8 = 0x01;
/// Short file identifier of EF.SOD (Doc 9303-10 §4.6.2), in the eMRTD application (the same
/// number as EF.CardSecurity, in another DF).
pub const SFI_SOD: u8 = 0x1D;

/// A step of the pipeline, with the status name the DocVal API sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// Read EF.ATR/INFO for the chip's extended-length capability.
    ReadAtrInfo,
    /// BAC (Doc 9303-11 §4.3) or PACE (§4.4).
    AccessControl,
    /// Read EF.SOD, which lists the data groups to read.
    ReadSod,
    /// Read DG14, the chip authentication public key (Doc 9303-10 §4.7.14).
    ReadDg14,
    /// Chip authentication (Doc 9303-11 §6.2), or the check of PACE-CAM against EF.CardSecurity.
    ChipAuthentication,
    /// Read DG15, the active authentication public key (Doc 9303-10 §4.7.15).
    ReadDg15,
    /// Active authentication (Doc 9303-11 §6.1): the chip signs a fresh challenge.
    ActiveAuthentication,
    /// Read DG1, the MRZ.
    ReadDg1,
    /// Read DG2, the encoded face.
    ReadDg2,
    /// Read DG7, the displayed signature.
    ReadDg7,
    /// Read DG11, additional personal details.
    ReadDg11,
    /// Read DG12, additional document details.
    ReadDg12,
    /// Passive authentication (Doc 9303-11 §5.1) of EF.SOD and the data groups read.
    PassiveAuthentication,
    /// The reading is complete.
    Done,
}

impl Step {
    /// The status string of the DocVal API.
    pub fn status(self) -> &'static str {
        match self {
            Step::ReadAtrInfo => "READ_ATR_INFO",
            Step::AccessControl => "ACCESS_CONTROL",
            Step::ReadSod => "READ_SOD",
            Step::ReadDg14 => "READ_DG14",
            Step::ChipAuthentication => "CHIP_AUTHENTICATION",
            Step::ReadDg15 => "READ_DG15",
            Step::ActiveAuthentication => "ACTIVE_AUTHENTICATION",
            Step::ReadDg1 => "READ_DG1",
            Step::ReadDg2 => "READ_DG2",
            Step::ReadDg7 => "READ_DG7",
            Step::ReadDg11 => "READ_DG11",
            Step::ReadDg12 => "READ_DG12",
            Step::PassiveAuthentication => "PASSIVE_AUTHENTICATION",
            Step::Done => "DONE",
        }
    }

    fn read_dg(dg: u8) -> Option<Step> {
        Some(match dg {
            1 => Step::ReadDg1,
            2 => Step::ReadDg2,
            7 => Step::ReadDg7,
            11 => Step::ReadDg11,
            12 => Step::ReadDg12,
            14 => Step::ReadDg14,
            15 => Step::ReadDg15,
            _ => return None,
        })
    }
}

/// The key the holder gives to open the chip.
#[derive(Clone)]
pub enum AccessKey {
    /// The 6-digit Card Access Number (PACE only).
    Can(Zeroizing<String>),
    /// Document number, date of birth, date of expiry (PACE or BAC).
    Mrz(MrzKey),
    /// The eID PIN (PACE only, password reference 3): chips that grant the eMRTD application
    /// after PACE-PIN (eID cards) can be read with it.
    Pin(Zeroizing<String>),
}

impl core::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            AccessKey::Can(_) => "AccessKey::Can(..)",
            AccessKey::Mrz(_) => "AccessKey::Mrz(..)",
            AccessKey::Pin(_) => "AccessKey::Pin(..)",
        })
    }
}

/// Options of a reading.
#[derive(Clone, Debug)]
pub struct ReaderConfig {
    /// Read EF.ATR/INFO first (DocVal: only when the adapter supports extended length and the
    /// client gave no maxima).
    pub read_atr_info: bool,
    /// Whether extended-length APDUs pass end to end.
    pub extended_length: bool,
    /// Largest command APDU the path carries, when known.
    pub max_command_bytes: Option<usize>,
    /// Largest response APDU the path carries, when known.
    pub max_response_bytes: Option<usize>,
    /// Try BAC after a failed PACE (off by default; reported in `errors` when it happens).
    pub bac_fallback: bool,
    /// Largest file accepted from the chip.
    pub max_file_size: usize,
    /// PACE protocol preferences.
    pub pace_preferences: Preferences,
    /// Options of passive authentication (time of the check, country check).
    pub pa_options: PaOptions,
}

impl Default for ReaderConfig {
    fn default() -> Self {
        ReaderConfig {
            read_atr_info: false,
            extended_length: false,
            max_command_bytes: None,
            max_response_bytes: None,
            bac_fallback: false,
            max_file_size: 1 << 20,
            pace_preferences: Preferences::default(),
            pa_options: PaOptions::default(),
        }
    }
}

/// How access control was done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccessProtocol {
    /// Basic Access Control (Doc 9303-11 §4.3).
    Bac,
    /// PACE (Doc 9303-11 §4.4, BSI TR-03110-2).
    Pace {
        /// A description of the protocol and parameters (`id-PACE-…, parameter id 13 (…)`).
        protocol: String,
        /// Whether PACE-CAM was used.
        cam: bool,
    },
}

/// What happened in a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    /// The step ran and succeeded.
    Done,
    /// The step did not run; the reason (the file is not listed, the chip does not offer the
    /// protocol).
    Skipped(String),
    /// The step ran and failed; the reason.
    Failed(String),
}

/// One step's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepRecord {
    /// Which step.
    pub step: Step,
    /// How it ended.
    pub outcome: StepOutcome,
    /// Commands sent to the chip during the step.
    pub round_trips: u64,
    /// Wall-clock time the step took (zero for skipped steps).
    pub elapsed: Duration,
}

/// Why a reading stopped before the end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadFailure {
    /// Access control did not succeed (wrong key, chip refused).
    AccessControl(String),
    /// A mandatory file could not be read.
    FileRead {
        /// The file (`EF.SOD`, `DG1`, …).
        file: String,
        /// Why it could not be read.
        error: String,
    },
    /// The transport failed.
    Transport(TransportError),
    /// Anything else in the reading process.
    Reader(String),
}

impl std::fmt::Display for ReadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadFailure::AccessControl(e) => write!(f, "access control failed: {e}"),
            ReadFailure::FileRead { file, error } => write!(f, "reading {file} failed: {error}"),
            ReadFailure::Transport(e) => write!(f, "{e}"),
            ReadFailure::Reader(e) => write!(f, "{e}"),
        }
    }
}

/// Everything a reading produced. Raw files are kept exactly as read (and wiped on drop).
#[derive(Debug)]
pub struct Reading {
    /// How access control was done; `None` when it failed.
    pub access: Option<AccessProtocol>,
    /// EF.CardAccess (Doc 9303-10) as read, when the chip has it.
    pub card_access: Option<Zeroizing<Vec<u8>>>,
    /// EF.CardSecurity as read, when PACE-CAM or chip authentication needed it.
    pub card_security: Option<Zeroizing<Vec<u8>>>,
    /// EF.ATR/INFO as read, when asked for.
    pub atr_info: Option<Zeroizing<Vec<u8>>>,
    /// EF.SOD as read.
    pub sod: Option<Zeroizing<Vec<u8>>>,
    /// Data groups by number.
    pub data_groups: BTreeMap<u8, Zeroizing<Vec<u8>>>,
    /// Chip authentication: SUCCESS only once confirmed by the chip's answer under the new keys.
    pub chip_authentication: AuthResult,
    /// Active authentication.
    pub active_authentication: AuthResult,
    /// The outcome of passive authentication; `None` when it did not run (no EF.SOD).
    pub passive_authentication: Option<PaOutcome>,
    /// Every step in the order it ran or was skipped.
    pub steps: Vec<StepRecord>,
    /// Human-readable problems that did not stop the reading.
    pub errors: Vec<String>,
    /// Why the reading stopped early; `None` when it reached the end.
    pub failure: Option<ReadFailure>,
    /// Commands sent to the chip during the whole reading.
    pub round_trips: u64,
}

impl Reading {
    pub(crate) fn new() -> Self {
        Reading {
            access: None,
            card_access: None,
            card_security: None,
            atr_info: None,
            sod: None,
            data_groups: BTreeMap::new(),
            chip_authentication: AuthResult::Unavailable,
            active_authentication: AuthResult::Unavailable,
            passive_authentication: None,
            steps: Vec::new(),
            errors: Vec::new(),
            failure: None,
            round_trips: 0,
        }
    }

    /// Whether passive authentication verified everything.
    pub fn passive_authentication_ok(&self) -> bool {
        self.passive_authentication.as_ref().is_some_and(|p| p.verified())
    }
}

/// The active authentication key of DG15, with the ECDSA hash DG14's ActiveAuthenticationInfo
/// names (Doc 9303-11 §6.1) for EC keys.
pub(crate) fn aa_public_key(dg15: &[u8], dg14: Option<&[u8]>) -> Result<AaPublicKey, String> {
    let ecdsa_hash = dg14
        .and_then(dg14_infos)
        .and_then(|infos| {
            infos.infos.into_iter().find_map(|i| match i {
                SecurityInfo::ActiveAuthentication(aa) => aa.signature_algorithm.clone(),
                _ => None,
            })
        })
        .and_then(|oid| emrtd_chipauth::aa::ecdsa_hash_from_oid(oid.as_bytes()).ok());
    emrtd_chipauth::keys::parse_dg15(dg15)
        .map_err(|err| err.to_string())
        .and_then(|k| AaPublicKey::new(k, ecdsa_hash).map_err(|err| err.to_string()))
}

/// The SecurityInfos of DG14 (inside its `6E` application tag).
pub(crate) fn dg14_infos(dg14: &[u8]) -> Option<SecurityInfos> {
    let (t, _) = emrtd_apdu::tlv::Tlv::parse(dg14).ok()?;
    if t.tag != emrtd_apdu::tlv::Tag(0x6E) {
        return None;
    }
    SecurityInfos::parse(t.value).ok()
}

fn select_aid(aid: &[u8]) -> CommandApdu {
    CommandApdu::new(0x00, 0xA4, 0x04, 0x0C).with_data(aid.to_vec())
}

pub(crate) struct Engine<'a, 't, T, R> {
    pub(crate) ch: Channel<'t, T>,
    pub(crate) key: &'a AccessKey,
    pub(crate) cfg: &'a ReaderConfig,
    pub(crate) rng: &'a mut R,
    pub(crate) reading: Reading,
    pub(crate) pace: Option<PaceOutcome>,
    /// The CSCA (SHA-256 fingerprint) EF.CardSecurity chained to when PACE-CAM succeeded:
    /// passive authentication must find EF.SOD under the same CSCA.
    pub(crate) cam_csca: Option<String>,
    /// Extended length in use (the link allows it and the chip announced it).
    pub(crate) extended: bool,
    pub(crate) max_response_bytes: Option<usize>,
}

pub(crate) enum StepError {
    /// Stop the reading.
    Fatal(ReadFailure),
}

impl From<ChannelError> for StepError {
    fn from(e: ChannelError) -> Self {
        StepError::Fatal(match e {
            ChannelError::Transport(t) => ReadFailure::Transport(t),
            other => ReadFailure::Reader(other.to_string()),
        })
    }
}

fn file_failure(file: &str, e: FileError) -> StepError {
    match e {
        FileError::Channel(ChannelError::Transport(t)) => StepError::Fatal(ReadFailure::Transport(t)),
        other => StepError::Fatal(ReadFailure::FileRead {
            file: file.to_string(),
            error: other.to_string(),
        }),
    }
}

impl<'t, T: Transport, R: CryptoRng> Engine<'_, 't, T, R> {
    pub(crate) fn limits(&self) -> ReadLimits {
        let block = self.ch.sm().map(|s| s.suite().block_len());
        let short = ReadLimits::short(block, self.cfg.max_file_size);
        if self.extended {
            let max_resp = self.max_response_bytes.unwrap_or(65_536 + 2);
            ReadLimits {
                max_chunk: ReadLimits::chunk_for_response(max_resp, block).clamp(1, 65_536),
                extended: true,
                max_file_size: self.cfg.max_file_size,
                short_fallback: short.max_chunk,
            }
        } else {
            let mut l = short;
            if let Some(m) = self.max_response_bytes {
                l.max_chunk = l.max_chunk.min(ReadLimits::chunk_for_response(m, block)).max(1);
            }
            l
        }
    }

    async fn status(&mut self, step: Step) -> Result<(), StepError> {
        self.ch
            .transport_mut()
            .status(step.status())
            .await
            .map_err(|e| StepError::Fatal(ReadFailure::Transport(e)))
    }

    fn record(&mut self, step: Step, outcome: StepOutcome, start: Instant, rt0: u64) {
        self.reading.steps.push(StepRecord {
            step,
            outcome,
            round_trips: self.ch.round_trips() - rt0,
            elapsed: start.elapsed(),
        });
    }

    fn skip(&mut self, step: Step, why: impl Into<String>) {
        self.reading.steps.push(StepRecord {
            step,
            outcome: StepOutcome::Skipped(why.into()),
            round_trips: 0,
            elapsed: Duration::ZERO,
        });
    }
}

/// Reads and verifies a document through `transport`.
pub async fn read_document<T: Transport, R: CryptoRng>(
    transport: &mut T,
    key: &AccessKey,
    trust_store: &TrustStore,
    cfg: &ReaderConfig,
    rng: &mut R,
) -> Reading {
    let mut engine = Engine {
        ch: Channel::new(transport),
        key,
        cfg,
        rng,
        reading: Reading::new(),
        pace: None,
        cam_csca: None,
        extended: cfg.extended_length,
        max_response_bytes: cfg.max_response_bytes,
    };
    if let Err(failure) = pipeline(&mut engine, trust_store).await {
        engine.reading.failure = Some(failure);
    }
    engine.reading.round_trips = engine.ch.round_trips();
    engine.reading
}

/// Runs one step: sends its status, runs the step body, records the outcome; a fatal
/// failure ends the pipeline.
macro_rules! step {
    ($e:expr, $step:expr, $body:expr) => {{
        let start = Instant::now();
        let rt0 = $e.ch.round_trips();
        $e.status($step).await.map_err(|StepError::Fatal(f)| f)?;
        match $body.await {
            Ok(outcome) => $e.record($step, outcome, start, rt0),
            Err(StepError::Fatal(failure)) => {
                $e.record($step, StepOutcome::Failed(failure.to_string()), start, rt0);
                return Err(failure);
            }
        }
    }};
}

async fn pipeline<T: Transport, R: CryptoRng>(
    e: &mut Engine<'_, '_, T, R>,
    store: &TrustStore,
) -> Result<(), ReadFailure> {
    let key = e.key;
    if e.cfg.read_atr_info {
        let start = Instant::now();
        let rt0 = e.ch.round_trips();
        e.status(Step::ReadAtrInfo).await.map_err(|StepError::Fatal(f)| f)?;
        match read_atr_info(e).await? {
            Ok(_) => e.record(Step::ReadAtrInfo, StepOutcome::Done, start, rt0),
            // Optional: the chip may not have it; then it does not announce extended length.
            Err(why) => e.record(Step::ReadAtrInfo, StepOutcome::Skipped(why), start, rt0),
        }
    }

    step!(e, Step::AccessControl, access_control(e, key));
    step!(e, Step::ReadSod, read_sod(e));

    let listed: Vec<u8> = e
        .reading
        .sod
        .as_deref()
        .map(|sod| emrtd_lds::sod::listed_data_groups(sod))
        .unwrap_or_default();

    // DG14 and Chip Authentication. What the signed data offers decides between FAILED and
    // UNAVAILABLE: a DG14 listed in EF.SOD that the chip hides, refuses or garbles is a
    // failure (a clone hiding its missing key), never "unavailable".
    if listed.contains(&14) {
        step!(e, Step::ReadDg14, read_dg(e, 14, false));
    } else {
        e.skip(Step::ReadDg14, "DG14 not listed in EF.SOD");
    }
    let cam = e.pace.as_ref().is_some_and(|p| p.is_cam());
    let dg14: Option<Result<SecurityInfos, ()>> = e.reading.data_groups.get(&14).map(|dg14| dg14_infos(dg14).ok_or(()));
    match dg14 {
        None if listed.contains(&14) => {
            let why = "DG14 is listed in EF.SOD but the chip did not return it";
            fail_step(e, Step::ChipAuthentication, Auth::Chip, why);
        }
        Some(Err(())) => {
            let why = "DG14 cannot be parsed: its chip authentication key is unknown";
            fail_step(e, Step::ChipAuthentication, Auth::Chip, why);
        }
        _ if cam => {
            step!(e, Step::ChipAuthentication, chip_authentication_mapping(e, store));
        }
        Some(Ok(infos))
            if infos.infos.iter().any(|i| {
                matches!(
                    i,
                    SecurityInfo::ChipAuthenticationPublicKey(_) | SecurityInfo::ChipAuthentication(_)
                )
            }) =>
        {
            step!(e, Step::ChipAuthentication, chip_authentication(e));
        }
        Some(Ok(infos)) if announces_cam(&infos) => {
            let why = "DG14 announces PACE-CAM but the chip did not perform it";
            fail_step(e, Step::ChipAuthentication, Auth::Chip, why);
        }
        _ if e.pace.is_some() => {
            step!(e, Step::ChipAuthentication, card_security_offers_no_cam(e, store));
        }
        _ => e.skip(Step::ChipAuthentication, "the chip offers no chip authentication"),
    }

    // DG15 and Active Authentication: a DG15 listed in EF.SOD that cannot be read fails AA.
    if listed.contains(&15) {
        step!(e, Step::ReadDg15, read_dg(e, 15, false));
    } else {
        e.skip(Step::ReadDg15, "DG15 not listed in EF.SOD");
    }
    if e.reading.data_groups.contains_key(&15) {
        step!(e, Step::ActiveAuthentication, active_authentication(e));
    } else if listed.contains(&15) {
        let why = "DG15 is listed in EF.SOD but the chip did not return it";
        fail_step(e, Step::ActiveAuthentication, Auth::Active, why);
    } else {
        e.skip(Step::ActiveAuthentication, "the chip offers no active authentication");
    }

    // The data groups of the result. DG1 and DG2 are mandatory: read them unless the SOD
    // was read and does not list them (then say so).
    for dg in [1u8, 2] {
        let Some(step) = Step::read_dg(dg) else { continue };
        if listed.is_empty() || listed.contains(&dg) {
            step!(e, step, read_dg(e, dg, false));
        } else {
            e.reading
                .errors
                .push(format!("DG{dg} is mandatory but EF.SOD does not list it"));
            e.skip(step, format!("DG{dg} not listed in EF.SOD"));
        }
    }
    for dg in [7u8, 11, 12] {
        let Some(step) = Step::read_dg(dg) else { continue };
        if listed.contains(&dg) {
            step!(e, step, read_dg(e, dg, true));
        } else {
            e.skip(step, format!("DG{dg} not listed in EF.SOD"));
        }
    }

    step!(e, Step::PassiveAuthentication, passive_authentication(e, store));
    e.status(Step::Done).await.map_err(|StepError::Fatal(f)| f)?;
    e.reading.steps.push(StepRecord {
        step: Step::Done,
        outcome: StepOutcome::Done,
        round_trips: 0,
        elapsed: Duration::ZERO,
    });
    Ok(())
}

/// Reads EF.ATR/INFO with a short read (it is small, and it is what tells whether the chip takes
/// extended length at all) and applies it: extended length only when the chip announces it
/// (Doc 9303-10 §3.11.4, DO'7F66), within the response size it gives. `Ok(Ok(announced))`
/// says whether it announced extended length; `Ok(Err(why))` when the chip has no readable
/// EF.ATR/INFO (optional; then no extended length); `Err` only when the transport failed.
pub(crate) async fn read_atr_info<T: Transport, R: CryptoRng>(
    e: &mut Engine<'_, '_, T, R>,
) -> Result<Result<bool, String>, ReadFailure> {
    let limits = ReadLimits::short(None, e.cfg.max_file_size);
    match read_file(&mut e.ch, Some(SFI_ATR_INFO), limits).await {
        Ok(data) => {
            let info = emrtd_lds::misc::AtrInfo::parse(&data)
                .ok()
                .and_then(|a| a.extended_length_info);
            let announced = info.is_some();
            match info {
                Some(i) => {
                    if let Some(r) = i.max_response_length {
                        let r = usize::try_from(r).unwrap_or(usize::MAX).max(258);
                        e.max_response_bytes = Some(e.max_response_bytes.map_or(r, |m| m.min(r)));
                    }
                }
                None => e.extended = false,
            }
            e.reading.atr_info = Some(data);
            Ok(Ok(announced))
        }
        Err(FileError::Channel(ChannelError::Transport(t))) => Err(ReadFailure::Transport(t)),
        Err(err) => {
            e.extended = false;
            Ok(Err(err.to_string()))
        }
    }
}

pub(crate) async fn access_control<T: Transport, R: CryptoRng>(
    e: &mut Engine<'_, '_, T, R>,
    key: &AccessKey,
) -> Result<StepOutcome, StepError> {
    // EF.CardAccess tells whether the chip offers PACE.
    let limits = e.limits();
    let card_access = match read_file(&mut e.ch, Some(SFI_CARD_ACCESS), limits).await {
        Ok(data) => Some(data),
        Err(FileError::Channel(ChannelError::Transport(t))) => return Err(StepError::Fatal(ReadFailure::Transport(t))),
        Err(_) => None,
    };
    let infos = card_access.as_deref().and_then(|ca| SecurityInfos::parse(ca).ok());
    e.reading.card_access = card_access;
    let offers_pace = infos
        .as_ref()
        .is_some_and(|i| i.infos.iter().any(|x| matches!(x, SecurityInfo::Pace(_))));

    if offers_pace && let Some(infos) = infos {
        match pace(e, key, &infos).await {
            Ok(()) => return Ok(StepOutcome::Done),
            Err(StepError::Fatal(ReadFailure::AccessControl(msg))) if e.cfg.bac_fallback => {
                e.reading
                    .errors
                    .push(format!("PACE failed ({msg}); fell back to BAC as configured"));
            }
            Err(other) => return Err(other),
        }
    }
    bac(e, key).await?;
    Ok(StepOutcome::Done)
}

async fn pace<T: Transport, R: CryptoRng>(
    e: &mut Engine<'_, '_, T, R>,
    key: &AccessKey,
    infos: &SecurityInfos,
) -> Result<(), StepError> {
    let fail = |m: String| StepError::Fatal(ReadFailure::AccessControl(m));
    let selection = select_protocol(infos, &e.cfg.pace_preferences).map_err(|err| fail(err.to_string()))?;
    let described = selection.describe();
    let password = match key {
        AccessKey::Can(can) => Password::Can(can.to_string()),
        AccessKey::Mrz(mrz) => Password::Mrz(mrz.clone()),
        AccessKey::Pin(pin) => Password::Pin(pin.to_string()),
    };
    let mut t = PaceTerminal::new(selection, &password, PaceConfig::default());
    let cmd = t.mse_set_at().map_err(|err| fail(err.to_string()))?;
    let r = e.ch.send_plain(&cmd).await?;
    t.process_mse_set_at(&r).map_err(|err| fail(err.to_string()))?;
    let cmd = t.ga1_encrypted_nonce().map_err(|err| fail(err.to_string()))?;
    let r = e.ch.send_plain(&cmd).await?;
    let cmd = t.ga2_map_nonce(&r, e.rng).map_err(|err| fail(err.to_string()))?;
    let r = e.ch.send_plain(&cmd).await?;
    let cmd = t.ga3_key_agreement(&r, e.rng).map_err(|err| fail(err.to_string()))?;
    let r = e.ch.send_plain(&cmd).await?;
    let cmd = t.ga4_mutual_authentication(&r).map_err(|err| fail(err.to_string()))?;
    let r = e.ch.send_plain(&cmd).await?;
    let outcome = t.finish(&r).map_err(|err| fail(err.to_string()))?;
    let cam = outcome.is_cam();
    let mut outcome = outcome;
    // The session moves to the channel; the outcome keeps what PACE-CAM needs later.
    let placeholder = emrtd_sm::SmSession::with_zero_ssc(emrtd_crypto::CipherSuite::Aes128, &[0; 16], &[0; 16])
        .map_err(|err| StepError::Fatal(ReadFailure::Reader(err.to_string())))?;
    let session = std::mem::replace(&mut outcome.session, placeholder);
    e.ch.set_sm(session);
    e.reading.access = Some(AccessProtocol::Pace {
        protocol: described,
        cam,
    });
    if cam {
        // EF.CardSecurity (in the master file) carries the static key PACE-CAM is checked
        // against; read it before the eMRTD application is selected.
        let limits = e.limits();
        match read_file(&mut e.ch, Some(SFI_CARD_SECURITY), limits).await {
            Ok(cs) => e.reading.card_security = Some(cs),
            Err(FileError::Channel(ChannelError::Transport(t))) => {
                return Err(StepError::Fatal(ReadFailure::Transport(t)));
            }
            Err(err) => e
                .reading
                .errors
                .push(format!("EF.CardSecurity could not be read: {err}")),
        }
    }
    e.pace = Some(outcome);
    let r = e.ch.send(&select_aid(&EMRTD_AID)).await?;
    if !r.sw.is_success() {
        return Err(StepError::Fatal(ReadFailure::Reader(format!(
            "SELECT eMRTD application: {}",
            r.sw
        ))));
    }
    Ok(())
}

async fn bac<T: Transport, R: CryptoRng>(e: &mut Engine<'_, '_, T, R>, key: &AccessKey) -> Result<(), StepError> {
    let fail = |m: String| StepError::Fatal(ReadFailure::AccessControl(m));
    let AccessKey::Mrz(mrz) = key else {
        return Err(fail(
            "the chip offers only BAC, which needs the MRZ data; a CAN or PIN was given".into(),
        ));
    };
    let r = e.ch.send_plain(&select_aid(&EMRTD_AID)).await?;
    if !r.sw.is_success() {
        return Err(StepError::Fatal(ReadFailure::Reader(format!(
            "SELECT eMRTD application: {}",
            r.sw
        ))));
    }
    let mut t = BacTerminal::new(mrz);
    let challenge = e.ch.send_plain(&t.get_challenge()).await?;
    let cmd = t
        .external_authenticate(&challenge, e.rng)
        .map_err(|err| fail(err.to_string()))?;
    let r = e.ch.send_plain(&cmd).await?;
    let sm = t.finish(&r).map_err(|err| fail(err.to_string()))?;
    e.ch.set_sm(sm);
    e.reading.access = Some(AccessProtocol::Bac);
    Ok(())
}

async fn read_sod<T: Transport, R: CryptoRng>(e: &mut Engine<'_, '_, T, R>) -> Result<StepOutcome, StepError> {
    let limits = e.limits();
    let sod = read_file(&mut e.ch, Some(SFI_SOD), limits)
        .await
        .map_err(|err| file_failure("EF.SOD", err))?;
    e.reading.sod = Some(sod);
    Ok(StepOutcome::Done)
}

async fn read_dg<T: Transport, R: CryptoRng>(
    e: &mut Engine<'_, '_, T, R>,
    dg: u8,
    optional: bool,
) -> Result<StepOutcome, StepError> {
    let limits = e.limits();
    let mut result = read_file(&mut e.ch, Some(dg), limits).await;
    match e.ch.take_ca_confirmation() {
        Some(true) => e.reading.chip_authentication = AuthResult::Success,
        Some(false) => {
            // A clone (or tampering): the chip could not answer under the CA keys. Record it,
            // open the chip again without CA, and go on reading so nothing else is lost.
            e.reading.chip_authentication = AuthResult::Failed;
            if let Err(FileError::Channel(ChannelError::ChipAuthenticationNotConfirmed(why))) = &result {
                e.reading.errors.push(format!("chip authentication failed: {why}"));
            }
            // Back to the master file (EF.CardAccess lives there), then access control again.
            let select_mf = CommandApdu::new(0x00, 0xA4, 0x00, 0x0C).with_data(vec![0x3F, 0x00]);
            let _ = e.ch.send_plain(&select_mf).await?;
            e.pace = None;
            let key = e.key;
            access_control(e, key).await?;
            let limits = e.limits();
            result = read_file(&mut e.ch, Some(dg), limits).await;
        }
        None => {}
    }
    match result {
        Ok(data) => {
            e.reading.data_groups.insert(dg, data);
            Ok(StepOutcome::Done)
        }
        Err(FileError::NotFound) if optional || dg == 14 || dg == 15 => {
            e.reading
                .errors
                .push(format!("DG{dg} is listed in EF.SOD but the chip does not have it"));
            Ok(StepOutcome::Skipped("file not found".into()))
        }
        // DG14 and DG15 carry the keys of chip and active authentication: a chip that
        // refuses or garbles them fails that authentication (decided by the caller), and
        // the reading goes on.
        Err(err) if (dg == 14 || dg == 15) && !matches!(err, FileError::Channel(ChannelError::Transport(_))) => {
            e.reading
                .errors
                .push(format!("DG{dg} is listed in EF.SOD but could not be read: {err}"));
            Ok(StepOutcome::Skipped(err.to_string()))
        }
        Err(err) => Err(file_failure(&format!("DG{dg}"), err)),
    }
}

async fn chip_authentication<T: Transport, R: CryptoRng>(
    e: &mut Engine<'_, '_, T, R>,
) -> Result<StepOutcome, StepError> {
    let Some(dg14) = e.reading.data_groups.get(&14) else {
        return Ok(StepOutcome::Skipped("no DG14".into()));
    };
    let params = match CaParams::from_dg14(dg14, None) {
        Ok(p) => p,
        Err(err) => {
            e.reading.chip_authentication = AuthResult::Failed;
            e.reading.errors.push(format!("chip authentication: {err}"));
            return Ok(StepOutcome::Failed(err.to_string()));
        }
    };
    let mut t = match CaTerminal::new(params, e.rng) {
        Ok(t) => t,
        Err(err) => {
            e.reading.chip_authentication = AuthResult::Failed;
            e.reading.errors.push(format!("chip authentication: {err}"));
            return Ok(StepOutcome::Failed(err.to_string()));
        }
    };
    let mut cmd = t
        .start()
        .map_err(|err| StepError::Fatal(ReadFailure::Reader(err.to_string())))?;
    for _ in 0..4 {
        let r = e.ch.send(&cmd).await?;
        match t.on_response(&r) {
            Ok(CaStep::Send(next)) => cmd = next,
            Ok(CaStep::Pending(p)) => {
                // Success is claimed only once the chip answers under the new keys: the next
                // command of the session (the first read of DG15 or DG1) confirms it.
                e.ch.set_pending_ca(*p);
                return Ok(StepOutcome::Done);
            }
            Err(err) => {
                e.reading.chip_authentication = AuthResult::Failed;
                e.reading.errors.push(format!("chip authentication: {err}"));
                return Ok(StepOutcome::Failed(err.to_string()));
            }
        }
    }
    e.reading.chip_authentication = AuthResult::Failed;
    Ok(StepOutcome::Failed("chip authentication did not finish".into()))
}

/// Which authentication a failure is about.
#[derive(Clone, Copy)]
enum Auth {
    Chip,
    Active,
}

/// Records `step` as failed without running it, and the authentication as FAILED.
fn fail_step<T: Transport, R: CryptoRng>(e: &mut Engine<'_, '_, T, R>, step: Step, auth: Auth, why: &str) {
    match auth {
        Auth::Chip => {
            e.reading.chip_authentication = AuthResult::Failed;
            e.reading.errors.push(format!("chip authentication: {why}"));
        }
        Auth::Active => {
            e.reading.active_authentication = AuthResult::Failed;
            e.reading.errors.push(format!("active authentication: {why}"));
        }
    }
    e.reading.steps.push(StepRecord {
        step,
        outcome: StepOutcome::Failed(why.to_string()),
        round_trips: 0,
        elapsed: Duration::ZERO,
    });
}

/// Whether SecurityInfos offer PACE-CAM (a PACEInfo with an id-PACE-ECDH-CAM protocol).
pub(crate) fn announces_cam(infos: &SecurityInfos) -> bool {
    infos.pace_infos().any(|p| {
        p.protocol()
            .is_some_and(|x| x.mapping == PaceMapping::ChipAuthentication)
    })
}

/// The signed SecurityInfos of EF.CardSecurity, with the passive authentication of the file.
pub(crate) fn card_security_infos(
    cs: &[u8],
    store: &TrustStore,
    opts: &PaOptions,
) -> (PaOutcome, Result<SecurityInfos, String>) {
    let pa = emrtd_pa::verify_card_security(cs, store, opts);
    let infos = emrtd_lds::cms::SignedData::from_content_info(cs)
        .map_err(|err| format!("EF.CardSecurity: {err}"))
        .and_then(|sd| SecurityInfos::parse(&sd.encap_content).map_err(|err| format!("EF.CardSecurity: {err}")));
    (pa, infos)
}

/// The domain parameters the signed SecurityInfos give for the PACE run `pace`: its PACEInfo
/// (same protocol OID and parameter id) and, for non-standardized ids, the
/// PACEDomainParameterInfo with that id (Doc 9303-11 §9.2.1, §9.2.2).
fn signed_pace_domain(infos: &SecurityInfos, pace: &PaceOutcome) -> Result<Domain, String> {
    let info = infos
        .pace_infos()
        .find(|i| i.protocol.as_bytes() == pace.oid.as_slice() && i.parameter_id == pace.parameter_id)
        .ok_or("EF.CardSecurity does not sign the PACE protocol and parameters the chip used")?;
    if info.has_standardized_parameters() {
        let id = info.parameter_id.unwrap_or_default();
        return Domain::standardized(id).map_err(|err| format!("signed parameter id {id}: {err}"));
    }
    let dp = infos
        .pace_domain_parameter_infos()
        .find(|d| d.parameter_id == info.parameter_id)
        .ok_or("EF.CardSecurity has no PACEDomainParameterInfo for the parameters the chip used")?;
    dp.domain_parameter
        .domain_parameters()
        .map_err(|err| err.to_string())
        .and_then(|d| d.to_domain().map_err(|err| err.to_string()))
        .map_err(|err| format!("signed PACE domain parameters: {err}"))
}

/// PACE-CAM (Doc 9303-11 §4.4.3.5.2): the chip proved it holds the private key of a public
/// key in EF.CardSecurity. Everything the check relies on comes from signed data: the PACE
/// domain parameters must equal the ones EF.CardSecurity signs (EF.CardAccess is not signed:
/// a clone could choose a generator whose discrete log it knows), the key is taken with its
/// own signed domain parameters, EF.CardSecurity must verify (and, in passive
/// authentication, chain to the same CSCA as EF.SOD), and a DG14 present must hold the same
/// key.
async fn chip_authentication_mapping<T: Transport, R: CryptoRng>(
    e: &mut Engine<'_, '_, T, R>,
    store: &TrustStore,
) -> Result<StepOutcome, StepError> {
    let fail = |e: &mut Engine<'_, '_, T, R>, why: String| {
        e.reading.chip_authentication = AuthResult::Failed;
        e.reading.errors.push(format!("PACE-CAM: {why}"));
        Ok(StepOutcome::Failed(why))
    };
    let Some(pace) = e.pace.as_ref() else {
        return Ok(StepOutcome::Skipped("no PACE".into()));
    };
    let Some(cs) = e.reading.card_security.as_deref() else {
        return fail(e, "EF.CardSecurity missing, the chip's static key is unknown".into());
    };
    // EF.CardSecurity must itself be authentic before anything in it is trusted.
    let (cs_pa, infos) = card_security_infos(cs, store, &e.cfg.pa_options);
    if !(cs_pa.sod_signature_valid && cs_pa.document_certificate_valid) {
        let why = cs_pa.error.unwrap_or_else(|| "EF.CardSecurity is not authentic".into());
        return fail(e, why);
    }
    let infos = match infos {
        Ok(i) => i,
        Err(why) => return fail(e, why),
    };
    let domain = match signed_pace_domain(&infos, pace) {
        Ok(d) => d,
        Err(why) => return fail(e, why),
    };
    if !domain.same_parameters(pace.domain()) {
        return fail(
            e,
            "the PACE domain parameters of EF.CardAccess differ from the signed ones of EF.CardSecurity".into(),
        );
    }
    // The chip's static keys, each with its own signed domain parameters.
    let mut keys: Vec<Vec<u8>> = Vec::new();
    for k in infos.chip_authentication_public_key_infos() {
        let key_domain = k
            .public_key
            .algorithm
            .domain_parameters()
            .ok()
            .and_then(|d| d.to_domain().ok());
        if key_domain.is_some_and(|d| d.same_parameters(pace.domain()))
            && let Ok(v) = k.public_key.public_key_value()
        {
            keys.push(v);
        }
    }
    if keys.is_empty() {
        return fail(
            e,
            "EF.CardSecurity has no chip authentication key on the PACE domain parameters".into(),
        );
    }
    let mut verified = None;
    for key in &keys {
        match pace.verify_cam(key) {
            Ok(CamVerification::Verified) => {
                verified = Some(key.clone());
                break;
            }
            Ok(CamVerification::Failed) => {}
            Err(err) => return fail(e, err.to_string()),
        }
    }
    let Some(key) = verified else {
        return fail(e, "the chip does not hold the key of EF.CardSecurity".into());
    };
    // A DG14 read from the chip (its hash is checked in passive authentication) must hold
    // the same key: EF.CardSecurity of another document does not pass.
    if let Some(dg14) = e.reading.data_groups.get(&14).and_then(|d| dg14_infos(d)) {
        let dg14_keys: Vec<&emrtd_secinfo::ChipAuthenticationPublicKeyInfo> =
            dg14.chip_authentication_public_key_infos().collect();
        if !dg14_keys.is_empty()
            && !dg14_keys.iter().any(|k| {
                k.public_key.public_key_value().is_ok_and(|v| v == key)
                    && k.public_key
                        .algorithm
                        .domain_parameters()
                        .ok()
                        .and_then(|d| d.to_domain().ok())
                        .is_some_and(|d| d.same_parameters(&domain))
            })
        {
            return fail(
                e,
                "the chip authentication key of DG14 differs from the PACE-CAM key of EF.CardSecurity".into(),
            );
        }
    }
    e.cam_csca = cs_pa.csca.map(|c| c.fingerprint_sha256);
    e.reading.chip_authentication = AuthResult::Success;
    Ok(StepOutcome::Done)
}

/// PACE without CAM and no chip authentication in DG14: chip authentication is UNAVAILABLE
/// only when the signed EF.CardSecurity (read from the master file) does not announce
/// PACE-CAM either. A clone that hides PACE-CAM from the unsigned EF.CardAccess is caught
/// here when the genuine EF.CardSecurity is on it.
async fn card_security_offers_no_cam<T: Transport, R: CryptoRng>(
    e: &mut Engine<'_, '_, T, R>,
    store: &TrustStore,
) -> Result<StepOutcome, StepError> {
    let select_mf = CommandApdu::new(0x00, 0xA4, 0x00, 0x0C).with_data(vec![0x3F, 0x00]);
    let r = e.ch.send(&select_mf).await?;
    let cs = if r.sw.is_success() {
        let limits = e.limits();
        match read_file(&mut e.ch, Some(SFI_CARD_SECURITY), limits).await {
            Ok(cs) => Some(cs),
            Err(FileError::Channel(ChannelError::Transport(t))) => {
                return Err(StepError::Fatal(ReadFailure::Transport(t)));
            }
            Err(_) => None,
        }
    } else {
        None
    };
    let r = e.ch.send(&select_aid(&EMRTD_AID)).await?;
    if !r.sw.is_success() {
        return Err(StepError::Fatal(ReadFailure::Reader(format!(
            "SELECT eMRTD application: {}",
            r.sw
        ))));
    }
    let Some(cs) = cs else {
        return Ok(StepOutcome::Skipped("the chip offers no chip authentication".into()));
    };
    let (cs_pa, infos) = card_security_infos(&cs, store, &e.cfg.pa_options);
    let announced =
        cs_pa.sod_signature_valid && cs_pa.document_certificate_valid && infos.as_ref().is_ok_and(announces_cam);
    e.reading.card_security = Some(cs);
    if announced {
        let why = "the signed EF.CardSecurity announces PACE-CAM but the chip did not perform it";
        e.reading.chip_authentication = AuthResult::Failed;
        e.reading.errors.push(format!("chip authentication: {why}"));
        return Ok(StepOutcome::Failed(why.into()));
    }
    Ok(StepOutcome::Skipped("the chip offers no chip authentication".into()))
}

async fn active_authentication<T: Transport, R: CryptoRng>(
    e: &mut Engine<'_, '_, T, R>,
) -> Result<StepOutcome, StepError> {
    let Some(dg15) = e.reading.data_groups.get(&15) else {
        return Ok(StepOutcome::Skipped("no DG15".into()));
    };
    let key = aa_public_key(dg15, e.reading.data_groups.get(&14).map(|d| d.as_slice()));
    let key = match key {
        Ok(k) => k,
        Err(err) => {
            e.reading.active_authentication = AuthResult::Failed;
            e.reading.errors.push(format!("active authentication: {err}"));
            return Ok(StepOutcome::Failed(err));
        }
    };
    let mut t = AaTerminal::new(key, e.rng);
    let mut cmd = t
        .command()
        .map_err(|err| StepError::Fatal(ReadFailure::Reader(err.to_string())))?;
    for _ in 0..6 {
        let r = e.ch.send(&cmd).await?;
        match t.on_response(&r) {
            Ok(AaStep::Send(next)) => cmd = next,
            Ok(AaStep::Done(_)) => {
                e.reading.active_authentication = AuthResult::Success;
                return Ok(StepOutcome::Done);
            }
            Err(err) => {
                e.reading.active_authentication = AuthResult::Failed;
                e.reading.errors.push(format!("active authentication: {err}"));
                return Ok(StepOutcome::Failed(err.to_string()));
            }
        }
    }
    e.reading.active_authentication = AuthResult::Failed;
    Ok(StepOutcome::Failed("active authentication did not finish".into()))
}

async fn passive_authentication<T: Transport, R: CryptoRng>(
    e: &mut Engine<'_, '_, T, R>,
    store: &TrustStore,
) -> Result<StepOutcome, StepError> {
    let Some(sod) = e.reading.sod.as_deref() else {
        return Ok(StepOutcome::Skipped("no EF.SOD".into()));
    };
    let dgs: BTreeMap<u8, Vec<u8>> = e.reading.data_groups.iter().map(|(k, v)| (*k, v.to_vec())).collect();
    let outcome = emrtd_pa::verify_sod(sod, &dgs, store, &e.cfg.pa_options);
    drop(dgs);
    bind_authentications(&mut e.reading, &outcome, e.cam_csca.as_deref());
    let verified = outcome.verified();
    let detail = outcome.error.clone();
    e.reading.passive_authentication = Some(outcome);
    Ok(if verified {
        StepOutcome::Done
    } else {
        StepOutcome::Failed(detail.unwrap_or_else(|| "passive authentication failed".into()))
    })
}

/// Chip and active authentication prove possession of keys read from the chip; they stand
/// only if passive authentication covers those keys: the hash of DG14 (chip authentication)
/// and DG15 (active authentication) must be valid, and EF.CardSecurity (PACE-CAM) must chain
/// to the same CSCA as EF.SOD.
pub(crate) fn bind_authentications(reading: &mut Reading, pa: &PaOutcome, cam_csca: Option<&str>) {
    let hash_ok = |dg: u8| pa.data_groups_with_valid_hash.contains(&dg);
    if reading.chip_authentication == AuthResult::Success {
        if reading.data_groups.contains_key(&14) && !hash_ok(14) {
            reading.chip_authentication = AuthResult::Failed;
            reading.errors.push(
                "chip authentication: the hash of DG14 in EF.SOD does not match, its key is not authentic".into(),
            );
        }
        if let Some(cam) = cam_csca
            && pa.csca.as_ref().map(|c| c.fingerprint_sha256.as_str()) != Some(cam)
        {
            reading.chip_authentication = AuthResult::Failed;
            reading.errors.push(
                "chip authentication: EF.CardSecurity and EF.SOD do not chain to the same CSCA (another document's EF.CardSecurity)"
                    .into(),
            );
        }
    }
    if reading.active_authentication == AuthResult::Success && reading.data_groups.contains_key(&15) && !hash_ok(15) {
        reading.active_authentication = AuthResult::Failed;
        reading
            .errors
            .push("active authentication: the hash of DG15 in EF.SOD does not match, its key is not authentic".into());
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use emrtd_pa::cert::CertSummary;

    fn csca(fingerprint: &str) -> CertSummary {
        CertSummary {
            subject: "C=UT,CN=CSCA".into(),
            issuer: "C=UT,CN=CSCA".into(),
            serial: "01".into(),
            not_before: String::new(),
            not_after: String::new(),
            fingerprint_sha256: fingerprint.into(),
        }
    }

    fn reading(ca: AuthResult, aa: AuthResult) -> Reading {
        let mut r = Reading::new();
        r.chip_authentication = ca;
        r.active_authentication = aa;
        r.data_groups.insert(14, Zeroizing::new(vec![0x6E, 0]));
        r.data_groups.insert(15, Zeroizing::new(vec![0x6F, 0]));
        r
    }

    fn pa(csca_fp: Option<&str>, valid: &[u8]) -> PaOutcome {
        PaOutcome {
            csca: csca_fp.map(csca),
            data_groups_with_valid_hash: valid.to_vec(),
            ..PaOutcome::default()
        }
    }

    #[test]
    fn pace_cam_stands_only_when_card_security_and_sod_share_the_csca() {
        // Issue 13 hole 1: an EF.CardSecurity of a document of another issuer.
        let mut r = reading(AuthResult::Success, AuthResult::Success);
        bind_authentications(&mut r, &pa(Some("aa"), &[14, 15]), Some("bb"));
        assert_eq!(r.chip_authentication, AuthResult::Failed);
        assert_eq!(r.active_authentication, AuthResult::Success);
        let mut r = reading(AuthResult::Success, AuthResult::Success);
        bind_authentications(&mut r, &pa(None, &[14, 15]), Some("bb"));
        assert_eq!(r.chip_authentication, AuthResult::Failed);
        let mut r = reading(AuthResult::Success, AuthResult::Success);
        bind_authentications(&mut r, &pa(Some("bb"), &[14, 15]), Some("bb"));
        assert_eq!(r.chip_authentication, AuthResult::Success);
    }

    #[test]
    fn chip_and_active_authentication_need_the_hashes_of_dg14_and_dg15() {
        let mut r = reading(AuthResult::Success, AuthResult::Success);
        bind_authentications(&mut r, &pa(Some("aa"), &[15]), None);
        assert_eq!(r.chip_authentication, AuthResult::Failed);
        assert_eq!(r.active_authentication, AuthResult::Success);
        let mut r = reading(AuthResult::Success, AuthResult::Success);
        bind_authentications(&mut r, &pa(Some("aa"), &[14]), None);
        assert_eq!(r.chip_authentication, AuthResult::Success);
        assert_eq!(r.active_authentication, AuthResult::Failed);
        // FAILED and UNAVAILABLE are never raised.
        let mut r = reading(AuthResult::Unavailable, AuthResult::Failed);
        bind_authentications(&mut r, &pa(Some("aa"), &[14, 15]), None);
        assert_eq!(r.chip_authentication, AuthResult::Unavailable);
        assert_eq!(r.active_authentication, AuthResult::Failed);
    }
}
