//! PIN management for eID cards (BSI TR-03110-2 §3.5 / TR-03110-3 B.11), terminal side.
//!
//! The PIN has a retry counter of 3. After a wrong PIN the chip reports the counter
//! ([`super::PasswordStatus::RetriesLeft`]); at 1 the PIN is *suspended* and PACE with the
//! CAN must succeed first ([`super::PasswordStatus::Suspended`]); at 0 it is *blocked*
//! (6983, [`super::PasswordStatus::Blocked`]) and only PACE with the PUK followed by
//! [`reset_retry_counter`] unblocks it. A new PIN is set after PACE with the PIN (or PUK)
//! by [`change_pin`] (RESET RETRY COUNTER with new data, as German eID cards expect) or
//! [`change_reference_data`] (ISO/IEC 7816-4 CHANGE REFERENCE DATA).
//!
//! These commands must be sent under the secure messaging of the PACE session
//! (`SmSession::protect`); [`interpret_response`] reads the (unprotected) answer.

use super::{PaceError, PasswordRef, PasswordStatus};
use emrtd_apdu::{CommandApdu, ResponseApdu, StatusWord};
use zeroize::Zeroizing;

/// What the caller should do next for the PIN, given how the last PACE attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinNextStep {
    /// Ask the user again; `n` attempts left.
    RetryPin(u8),
    /// Run PACE with the CAN, then PACE with the PIN (suspended PIN).
    PaceWithCanThenPin,
    /// Run PACE with the PUK, then [`reset_retry_counter`].
    PaceWithPukThenReset,
    /// The PIN cannot be used.
    Unusable,
}

/// The next step after a failed PACE with the PIN, from its error.
pub fn next_step(err: &PaceError) -> Option<PinNextStep> {
    match err {
        PaceError::PasswordRejected { status, .. } => Some(match status {
            PasswordStatus::RetriesLeft(n) => PinNextStep::RetryPin(*n),
            PasswordStatus::Suspended => PinNextStep::PaceWithCanThenPin,
            PasswordStatus::Blocked => PinNextStep::PaceWithPukThenReset,
            PasswordStatus::Deactivated | PasswordStatus::Failed => PinNextStep::Unusable,
        }),
        _ => None,
    }
}

/// RESET RETRY COUNTER for the PIN without new data (`00 2C 03 03`): unblocks the PIN after
/// PACE with the PUK.
pub fn reset_retry_counter() -> CommandApdu {
    CommandApdu::new(0x00, 0x2C, 0x03, PasswordRef::Pin as u8)
}

/// RESET RETRY COUNTER with a new PIN (`00 2C 02 03 <PIN>`), the eID "change PIN" after
/// PACE with the PIN.
pub fn change_pin(new_pin: &str) -> Result<CommandApdu, PaceError> {
    Ok(CommandApdu::new(0x00, 0x2C, 0x02, PasswordRef::Pin as u8).with_data(pin_bytes(new_pin)?.to_vec()))
}

/// CHANGE REFERENCE DATA with the new PIN only (`00 24 01 03 <PIN>`), after PACE with the
/// PIN.
pub fn change_reference_data(new_pin: &str) -> Result<CommandApdu, PaceError> {
    Ok(CommandApdu::new(0x00, 0x24, 0x01, PasswordRef::Pin as u8).with_data(pin_bytes(new_pin)?.to_vec()))
}

fn pin_bytes(pin: &str) -> Result<Zeroizing<Vec<u8>>, PaceError> {
    if !(4..=12).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PaceError::BadResponse("a PIN is 4 to 12 digits"));
    }
    Ok(Zeroizing::new(pin.as_bytes().to_vec()))
}

/// Reads the answer to a PIN management command.
pub fn interpret_response(resp: &ResponseApdu) -> Result<(), PaceError> {
    if resp.sw == StatusWord::SUCCESS {
        return Ok(());
    }
    match PasswordStatus::from_status_word(resp.sw, PasswordRef::Pin) {
        Some(status) => Err(PaceError::PasswordRejected {
            step: "PIN management",
            status,
        }),
        None => Err(PaceError::ChipRefused {
            step: "PIN management",
            sw: resp.sw,
        }),
    }
}
