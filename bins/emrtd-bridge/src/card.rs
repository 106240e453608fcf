//! Cards behind the readers (the virtual chip, PC/SC cards) and the eID operations the
//! AusweisApp interface performs on them: the PIN retry counter, PACE with PIN/CAN/PUK, and
//! the PIN change / unblock under the PACE secure messaging.

use emrtd_access::pace::{
    PaceConfig, PaceError, PaceOutcome, PaceTerminal, Password, PasswordRef, PasswordStatus, Preferences, pin,
    select_protocol,
};
use emrtd_apdu::{CommandApdu, ResponseApdu, StatusWord};
use emrtd_secinfo::SecurityInfos;
use emrtd_sim::VirtualChip;
use emrtd_sim::ausweisapp::Simulator;

/// A card in a reader: command APDU bytes in, response APDU bytes out. An empty answer
/// means the card is gone.
pub trait Card: Send {
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8>;
    /// The card's own secrets, known only for the virtual card (a PIN pad "types" them).
    fn known_secrets(&self) -> Option<KnownSecrets> {
        None
    }
    /// For the Sinosecu interface: the virtual document, when there is one.
    fn virtual_chip(&self) -> Option<&VirtualChip> {
        None
    }
}

/// Watches the machine's PC/SC readers on a thread and sends each change (reader added or
/// removed, card inserted or removed), mapped by `wrap`, until the receiver is dropped.
pub fn watch_pcsc<T: Send + 'static>(
    events: tokio::sync::mpsc::UnboundedSender<T>,
    wrap: fn(emrtd_pcsc::ReaderEvent) -> T,
) {
    std::thread::spawn(move || {
        let Ok(pcsc) = emrtd_pcsc::Pcsc::new() else { return };
        while !events.is_closed() {
            let known = pcsc.readers().unwrap_or_default();
            match pcsc.wait_for_change(known, std::time::Duration::from_millis(500)) {
                Ok(evs) => {
                    for e in evs {
                        if events.send(wrap(e)).is_err() {
                            return;
                        }
                    }
                }
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(500)),
            }
        }
    });
}

impl Card for emrtd_pcsc::PcscCard {
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        self.transmit_sync(apdu).unwrap_or_default()
    }
}

/// A card without eID function (what an AusweisApp `simulator` description that makes no
/// card stands for): every command is answered "file or application not found".
pub struct NonEidCard;

impl Card for NonEidCard {
    fn transmit(&mut self, _apdu: &[u8]) -> Vec<u8> {
        vec![0x6A, 0x82]
    }
}

/// Whether the card offers PACE (EF.CardAccess with a usable PACE protocol): an eID card or
/// an eMRTD with PACE.
pub fn offers_pace(card: &mut dyn Card) -> bool {
    selection(card).is_ok()
}

/// PIN, CAN, PUK and MRZ lines of a virtual card.
#[derive(Clone, Debug, Default)]
pub struct KnownSecrets {
    pub pin: Option<String>,
    pub can: Option<String>,
    pub puk: Option<String>,
}

impl Card for VirtualChip {
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        VirtualChip::transmit(self, apdu)
    }

    fn known_secrets(&self) -> Option<KnownSecrets> {
        let m = &self.document().manifest;
        Some(KnownSecrets {
            pin: m.pin.clone(),
            can: m.can.clone(),
            puk: m.puk.clone(),
        })
    }

    fn virtual_chip(&self) -> Option<&VirtualChip> {
        Some(self)
    }
}

/// The AusweisApp simulator's default secrets (and those of the td1 fixture).
pub const DEFAULT_PIN: &str = "123456";
pub const DEFAULT_CAN: &str = "500540";
pub const DEFAULT_PUK: &str = "9876543210";

/// The default simulated card: the TD1 eID fixture (PACE with PIN, CAN, PUK).
const DEFAULT_SIMULATOR: &str =
    include_str!("../../../fixtures/documents/td1-id-explicit-curve/ausweisapp-simulator.json");

/// A virtual eID card from an AusweisApp `simulator` description (`None`: the default card).
/// PIN, CAN and PUK are the simulator's defaults.
pub fn simulator_card(desc: Option<&serde_json::Value>) -> Result<VirtualChip, String> {
    let sim = match desc {
        None => Simulator::from_json(DEFAULT_SIMULATOR).map_err(|e| e.to_string())?,
        Some(v) => serde_json::from_value::<Simulator>(v.clone()).map_err(|e| e.to_string())?,
    };
    let mut doc = sim.to_document("Simulator").map_err(|e| e.to_string())?;
    doc.manifest.pin = Some(DEFAULT_PIN.into());
    doc.manifest.can = Some(DEFAULT_CAN.into());
    doc.manifest.puk = Some(DEFAULT_PUK.into());
    VirtualChip::standard(doc).map_err(|e| e.to_string())
}

/// Card failures.
#[derive(Debug)]
pub enum CardError {
    Pace(PaceError),
    /// No EF.CardAccess or no usable PACE protocol.
    NoPace(String),
    Gone,
}

impl std::fmt::Display for CardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CardError::Pace(e) => write!(f, "PACE: {e}"),
            CardError::NoPace(e) => write!(f, "no PACE: {e}"),
            CardError::Gone => f.write_str("the card did not answer"),
        }
    }
}

fn send(card: &mut dyn Card, cmd: &CommandApdu) -> Result<ResponseApdu, CardError> {
    let bytes = cmd.to_bytes().map_err(|e| CardError::Pace(PaceError::Apdu(e)))?;
    let resp = card.transmit(&bytes);
    if resp.is_empty() {
        return Err(CardError::Gone);
    }
    ResponseApdu::parse(&resp).map_err(|e| CardError::Pace(PaceError::Apdu(e)))
}

/// Largest EF.CardAccess read.
const MAX_CARD_ACCESS: usize = 4096;

/// Reads EF.CardAccess (SFI 1C) in plain.
pub fn read_card_access(card: &mut dyn Card) -> Result<Vec<u8>, CardError> {
    let mut data = Vec::new();
    loop {
        let cmd = if data.is_empty() {
            CommandApdu::new(0x00, 0xB0, 0x80 | 0x1C, 0x00).with_ne(256)
        } else {
            let off = u16::try_from(data.len()).map_err(|_| CardError::NoPace("EF.CardAccess too long".into()))?;
            let [hi, lo] = off.to_be_bytes();
            CommandApdu::new(0x00, 0xB0, hi & 0x7F, lo).with_ne(256)
        };
        let resp = send(card, &cmd)?;
        let ok = resp.sw == StatusWord::SUCCESS || resp.sw == StatusWord::END_OF_FILE;
        if !ok && data.is_empty() {
            return Err(CardError::NoPace(format!("EF.CardAccess: {}", resp.sw)));
        }
        let got = resp.data.len();
        data.extend_from_slice(&resp.data);
        if !ok || got < 256 || data.len() >= MAX_CARD_ACCESS {
            break;
        }
    }
    Ok(data)
}

/// An established PACE channel (secure messaging).
pub struct PaceChannel {
    pub outcome: PaceOutcome,
}

impl PaceChannel {
    /// Sends a command under secure messaging and returns the unprotected response.
    pub fn send(&mut self, card: &mut dyn Card, cmd: &CommandApdu) -> Result<ResponseApdu, CardError> {
        let protected = self
            .outcome
            .session
            .protect(cmd)
            .map_err(|e| CardError::Pace(PaceError::Sm(e)))?;
        let resp = send(card, &protected)?;
        self.outcome
            .session
            .unprotect(&resp)
            .map_err(|e| CardError::Pace(PaceError::Sm(e)))
    }
}

fn selection(card: &mut dyn Card) -> Result<emrtd_access::pace::PaceSelection, CardError> {
    let ca = read_card_access(card)?;
    let infos = SecurityInfos::parse(&ca).map_err(|e| CardError::NoPace(format!("EF.CardAccess: {e}")))?;
    select_protocol(&infos, &Preferences::default()).map_err(CardError::Pace)
}

/// Runs PACE with `password`.
pub fn pace(card: &mut dyn Card, password: &Password) -> Result<PaceChannel, CardError> {
    let sel = selection(card)?;
    let mut terminal = PaceTerminal::new(sel, password, PaceConfig::default());
    let mut rng = emrtd_crypto::rng::os_rng();
    let outcome = terminal.run(&mut rng, |cmd| match send(card, cmd) {
        Ok(r) => Ok(r),
        Err(CardError::Pace(e)) => Err(e),
        Err(_) => Err(PaceError::BadResponse("the card did not answer")),
    });
    outcome.map(|outcome| PaceChannel { outcome }).map_err(CardError::Pace)
}

/// What the card says about its PIN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PinState {
    /// 3, 2, 1 or 0; -1 when the card has no PIN.
    pub retry_counter: i8,
    pub deactivated: bool,
}

/// Asks the card for the PIN state with MSE:Set AT for PACE with the PIN (TR-03110-3 B.11.1):
/// 9000 → 3, 63C2 → 2, 63C1 → 1, 6983 → 0, 6283/6984 → deactivated.
pub fn pin_state(card: &mut dyn Card) -> PinState {
    let unknown = PinState {
        retry_counter: -1,
        deactivated: false,
    };
    let Ok(sel) = selection(card) else { return unknown };
    let mut terminal = PaceTerminal::new(sel, &Password::Pin(String::new()), PaceConfig::default());
    let Ok(cmd) = terminal.mse_set_at() else { return unknown };
    let Ok(resp) = send(card, &cmd) else { return unknown };
    if resp.sw == StatusWord::SUCCESS {
        return PinState {
            retry_counter: 3,
            deactivated: false,
        };
    }
    match PasswordStatus::from_status_word(resp.sw, PasswordRef::Pin) {
        Some(PasswordStatus::RetriesLeft(n)) => PinState {
            retry_counter: i8::try_from(n.min(3)).unwrap_or(3),
            deactivated: false,
        },
        Some(PasswordStatus::Suspended) => PinState {
            retry_counter: 1,
            deactivated: false,
        },
        Some(PasswordStatus::Blocked) => PinState {
            retry_counter: 0,
            deactivated: false,
        },
        Some(PasswordStatus::Deactivated) => PinState {
            retry_counter: 3,
            deactivated: true,
        },
        _ => unknown,
    }
}

/// Sets a new PIN after PACE with the PIN (RESET RETRY COUNTER with new data, as German eID
/// cards expect).
pub fn change_pin(card: &mut dyn Card, channel: &mut PaceChannel, new_pin: &str) -> Result<(), CardError> {
    let cmd = pin::change_pin(new_pin).map_err(CardError::Pace)?;
    let resp = channel.send(card, &cmd)?;
    pin::interpret_response(&resp).map_err(CardError::Pace)
}

/// Unblocks the PIN after PACE with the PUK.
pub fn unblock_pin(card: &mut dyn Card, channel: &mut PaceChannel) -> Result<(), CardError> {
    let resp = channel.send(card, &pin::reset_retry_counter())?;
    pin::interpret_response(&resp).map_err(CardError::Pace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_simulator_card_pin_change_and_counters() {
        let mut chip = simulator_card(None).unwrap();
        let card: &mut dyn Card = &mut chip;
        assert_eq!(pin_state(card).retry_counter, 3);
        assert!(pace(card, &Password::Pin("111111".into())).is_err());
        assert_eq!(pin_state(card).retry_counter, 2);
        let mut ch = pace(card, &Password::Pin(DEFAULT_PIN.into())).unwrap();
        change_pin(card, &mut ch, "654321").unwrap();
        assert_eq!(pin_state(card).retry_counter, 3);
        assert!(pace(card, &Password::Pin(DEFAULT_PIN.into())).is_err());
        pace(card, &Password::Pin("654321".into())).unwrap();
    }
}
