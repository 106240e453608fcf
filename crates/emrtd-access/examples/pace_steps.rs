//! Driving the sans-IO PACE steps by hand (ICAO Doc 9303-11 §4.4), one APDU at a time.
//!
//! The chip is the virtual REF-1 passport of `fixtures/documents/ref-1` (PACE-ECDH-GM-AES-128
//! on brainpoolP256r1); with a PC/SC reader or a phone relay only `transmit` changes.
//!
//! ```text
//! cargo run -p emrtd-access --example pace_steps [-- DOCUMENT_DIR CAN]
//! ```
//!
//! It reads EF.CardAccess in the clear, chooses the protocol, runs MSE:Set AT and the four
//! GENERAL AUTHENTICATE steps, then selects the eMRTD application under the new secure
//! messaging keys. Exit status 0 only when every step succeeded.
#![forbid(unsafe_code)]

use emrtd_access::pace::{PaceConfig, PaceTerminal, Password, Preferences, select_protocol};
use emrtd_apdu::{CommandApdu, ResponseApdu, StatusWord};
use emrtd_secinfo::SecurityInfos;
use emrtd_sim::VirtualChip;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pace_steps: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One command APDU to the chip and its response, printed as hex.
fn transmit(chip: &mut VirtualChip, step: &str, command: &CommandApdu) -> Result<ResponseApdu, String> {
    let bytes = command.to_bytes().map_err(|e| format!("{step}: {e}"))?;
    let response = chip.transmit(&bytes);
    println!("{step:<28} > {}", hex::encode_upper(&bytes));
    println!("{:<28} < {}", "", hex::encode_upper(&response));
    ResponseApdu::parse(&response).map_err(|e| format!("{step}: {e}"))
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/documents/ref-1"));
    let can = args.next().unwrap_or_else(|| "123456".to_string());
    let mut chip = VirtualChip::load(&dir)?;

    // EF.CardAccess (SFI 1C) is read in the clear from the master file, up to 256 bytes; a
    // shorter file ends with 6282 (end of file reached before Ne bytes), its data complete.
    let read_card_access = CommandApdu::new(0x00, 0xB0, 0x80 | 0x1C, 0x00).with_ne(256);
    let card_access = transmit(&mut chip, "READ BINARY EF.CardAccess", &read_card_access)?;
    if !(card_access.sw.is_success() || card_access.sw == StatusWord::END_OF_FILE) {
        return Err(format!("EF.CardAccess: status {}", card_access.sw).into());
    }
    let infos = SecurityInfos::parse(&card_access.data)?;
    let selection = select_protocol(&infos, &Preferences::default())?;
    println!(
        "protocol: {:?}, parameter id {:?}",
        selection.protocol, selection.parameter_id
    );

    let mut rng = emrtd_crypto::rng::os_rng();
    let mut pace = PaceTerminal::new(selection, &Password::Can(can), PaceConfig::default());

    // MSE:Set AT: protocol OID, password reference (CAN), domain parameter id.
    let command = pace.mse_set_at()?;
    let response = transmit(&mut chip, "MSE:Set AT", &command)?;
    if let Some(status) = pace.process_mse_set_at(&response)? {
        println!("password status: {status:?}");
    }
    // GA step 1: the chip's nonce, encrypted with the key derived from the CAN.
    let command = pace.ga1_encrypted_nonce()?;
    let response = transmit(&mut chip, "GA 1 Encrypted Nonce", &command)?;
    // GA step 2: map the nonce to an ephemeral generator (generic mapping).
    let command = pace.ga2_map_nonce(&response, &mut rng)?;
    let response = transmit(&mut chip, "GA 2 Map Nonce", &command)?;
    // GA step 3: ephemeral key agreement on the mapped generator.
    let command = pace.ga3_key_agreement(&response, &mut rng)?;
    let response = transmit(&mut chip, "GA 3 Perform Key Agreement", &command)?;
    // GA step 4: exchange and check the authentication tokens.
    let command = pace.ga4_mutual_authentication(&response)?;
    let response = transmit(&mut chip, "GA 4 Mutual Authentication", &command)?;
    let outcome = pace.finish(&response)?;
    println!("PACE established; CAM: {}", outcome.is_cam());

    // The first command under the new keys: SELECT the eMRTD application.
    let mut sm = outcome.session;
    let select = CommandApdu::new(0x00, 0xA4, 0x04, 0x0C).with_data(emrtd_sim::EMRTD_AID.to_vec());
    let protected = sm.protect(&select)?;
    let response = sm.unprotect(&transmit(&mut chip, "SELECT eMRTD (SM)", &protected)?)?;
    if !response.sw.is_success() {
        return Err(format!("SELECT eMRTD application: status {}", response.sw).into());
    }
    println!("eMRTD application selected under secure messaging");
    Ok(())
}
