//! Local reading for a phone that talks to the chip itself (DocVal WebSocket API v2): access
//! control exactly as the reading engine does it (EF.CardAccess, then PACE with CAN, MRZ or
//! PIN, or BAC with the MRZ; EF.CardSecurity after PACE-CAM; the eMRTD application selected),
//! then files by short file identifier, with the live secure-messaging session exposed so it
//! can be handed over to a server (chip authentication) and replaced by the session it hands
//! back.
//!
//! Nothing here verifies anything: the phone of v2 only reads; the server verifies.

use crate::channel::Channel;
use crate::engine::{
    AccessKey, AccessProtocol, Engine, ReadFailure, ReaderConfig, Reading, SFI_SOD, StepError, access_control,
    read_atr_info,
};
use crate::files::{FileError, ReadLimits, read_file};
use emrtd_apdu::{CommandApdu, LengthForm, StatusWord, SwMeaning};
use emrtd_sm::SmSession;
use emrtd_transport::{Transport, TransportError};
use rand_core::CryptoRng;
use zeroize::Zeroizing;

/// An open session with the chip: access control done, secure messaging running, the eMRTD
/// application selected.
pub struct LocalSession<'t, T> {
    channel: Channel<'t, T>,
    access: AccessProtocol,
    extended: bool,
    chip_extended: Option<bool>,
    max_response_bytes: Option<usize>,
    max_file_size: usize,
    card_access: Option<Zeroizing<Vec<u8>>>,
    card_security: Option<Zeroizing<Vec<u8>>>,
    atr_info: Option<Zeroizing<Vec<u8>>>,
    notes: Vec<String>,
}

impl<T> std::fmt::Debug for LocalSession<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalSession")
            .field("access", &self.access)
            .field("extended", &self.extended)
            .finish_non_exhaustive()
    }
}

/// Opens the chip: EF.ATR/INFO first when `cfg.read_atr_info` (extended length is used only
/// when the link allows it, `cfg.extended_length`, and the chip announces it), then access
/// control as [`crate::read_document`] does it.
pub async fn open_session<'t, T: Transport, R: CryptoRng>(
    transport: &'t mut T,
    key: &AccessKey,
    cfg: &ReaderConfig,
    rng: &mut R,
) -> Result<LocalSession<'t, T>, ReadFailure> {
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
    let mut notes = Vec::new();
    let mut chip_extended = None;
    if cfg.read_atr_info {
        match read_atr_info(&mut engine).await? {
            Ok(announced) => chip_extended = Some(announced),
            Err(why) => notes.push(format!("EF.ATR/INFO: {why}")),
        }
    }
    match access_control(&mut engine, key).await {
        Ok(_) => {}
        Err(StepError::Fatal(failure)) => return Err(failure),
    }
    let Engine {
        ch,
        mut reading,
        extended,
        max_response_bytes,
        ..
    } = engine;
    let access = reading
        .access
        .take()
        .ok_or_else(|| ReadFailure::Reader("access control left no protocol".into()))?;
    notes.append(&mut reading.errors);
    Ok(LocalSession {
        channel: ch,
        access,
        extended,
        chip_extended,
        max_response_bytes,
        max_file_size: cfg.max_file_size,
        card_access: reading.card_access.take(),
        card_security: reading.card_security.take(),
        atr_info: reading.atr_info.take(),
        notes,
    })
}

pub use emrtd_lds::sod::listed_data_groups;

impl<'t, T: Transport> LocalSession<'t, T> {
    /// How access control was done.
    pub fn access(&self) -> &AccessProtocol {
        &self.access
    }

    /// Whether extended-length APDUs are in use (the link allows them and the chip announced
    /// them in EF.ATR/INFO).
    pub fn extended_length(&self) -> bool {
        self.extended
    }

    /// What EF.ATR/INFO says about extended length: `Some(true)` announced, `Some(false)` the
    /// file has no extended-length information, `None` not read or not on the chip.
    pub fn chip_extended_length(&self) -> Option<bool> {
        self.chip_extended
    }

    /// EF.CardAccess as read during opening, when the chip has it.
    pub fn card_access(&self) -> Option<&[u8]> {
        self.card_access.as_deref().map(Vec::as_slice)
    }

    /// EF.CardSecurity as read during opening (PACE-CAM), when the chip has it.
    pub fn card_security(&self) -> Option<&[u8]> {
        self.card_security.as_deref().map(Vec::as_slice)
    }

    /// EF.ATR/INFO as read during opening, when asked for.
    pub fn atr_info(&self) -> Option<&[u8]> {
        self.atr_info.as_deref().map(Vec::as_slice)
    }

    /// Problems met while opening that did not stop it.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The live secure-messaging session (`None` after a failed chip-authentication
    /// confirmation).
    pub fn sm(&self) -> Option<&SmSession> {
        self.channel.sm()
    }

    /// Replaces the secure-messaging session (e.g. with the one a server handed back).
    pub fn set_sm(&mut self, sm: SmSession) {
        self.channel.set_sm(sm);
    }

    /// The channel to the chip, to send commands of one's own under the session's secure messaging.
    pub fn channel_mut(&mut self) -> &mut Channel<'t, T> {
        &mut self.channel
    }

    /// Commands sent to the chip so far by this session (relayed ones not included).
    pub fn round_trips(&self) -> u64 {
        self.channel.round_trips()
    }

    /// Sends `apdu` to the chip as it is (a command another party protected) and returns the
    /// chip's raw response; the local session's counter is not touched.
    pub async fn transmit_raw(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.channel.transport_mut().transmit(apdu).await
    }

    /// The READ BINARY limits for the current session (as the reading engine computes them).
    pub fn limits(&self) -> ReadLimits {
        let block = self.channel.sm().map(|s| s.suite().block_len());
        let short = ReadLimits::short(block, self.max_file_size);
        if self.extended {
            let max_resp = self.max_response_bytes.unwrap_or(65_536 + 2);
            ReadLimits {
                max_chunk: ReadLimits::chunk_for_response(max_resp, block).clamp(1, 65_536),
                extended: true,
                max_file_size: self.max_file_size,
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

    /// Reads a whole EF of the eMRTD application by short file identifier.
    pub async fn read_sfi(&mut self, sfi: u8) -> Result<Zeroizing<Vec<u8>>, FileError> {
        let limits = self.limits();
        read_file(&mut self.channel, Some(sfi & 0x1F), limits).await
    }

    /// Reads EF.SOD.
    pub async fn read_sod(&mut self) -> Result<Zeroizing<Vec<u8>>, FileError> {
        self.read_sfi(SFI_SOD).await
    }

    /// Reads data group `dg` (1 to 16; its short file identifier is its number).
    pub async fn read_dg(&mut self, dg: u8) -> Result<Zeroizing<Vec<u8>>, FileError> {
        if !(1..=16).contains(&dg) {
            return Err(FileError::NotFound);
        }
        self.read_sfi(dg).await
    }

    /// INTERNAL AUTHENTICATE (active authentication) with `challenge`, under the current
    /// secure messaging; returns the chip's response data (the signature) unverified. A
    /// wrong-length answer is retried once with the length the chip asks for, or with the
    /// other length form.
    pub async fn internal_authenticate(&mut self, challenge: &[u8]) -> Result<Vec<u8>, FileError> {
        let command = |ne: u32| {
            let form = if ne > 256 {
                LengthForm::Extended
            } else {
                LengthForm::Short
            };
            CommandApdu::new(0x00, 0x88, 0x00, 0x00)
                .with_data(challenge.to_vec())
                .with_ne(ne)
                .with_form(form)
        };
        let mut ne = 256u32;
        for _ in 0..3 {
            let resp = self.channel.send(&command(ne)).await?;
            match resp.sw.meaning() {
                SwMeaning::Success if !resp.data.is_empty() => return Ok(resp.data),
                SwMeaning::WrongLe(n) if u32::from(n) != ne % 256 => ne = if n == 0 { 256 } else { u32::from(n) },
                SwMeaning::WrongLength if ne <= 256 && self.extended => ne = 65_536,
                SwMeaning::WrongLength if ne > 256 => ne = 256,
                _ if resp.sw == StatusWord::SUCCESS => return Err(FileError::NoProgress(0)),
                _ => return Err(FileError::Refused(resp.sw)),
            }
        }
        Err(FileError::Refused(StatusWord(0x6700)))
    }
}
