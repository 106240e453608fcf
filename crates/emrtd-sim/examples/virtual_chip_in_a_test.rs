//! A virtual chip as a test fixture: read a genuine document and its clone through the whole
//! docval reading engine, in-process, and check the verdicts a test would assert.
//!
//! ```text
//! cargo run -p emrtd-sim --example virtual_chip_in_a_test [-- DOCUMENT_DIR]
//! ```
//!
//! `DOCUMENT_DIR` is a fixture directory (`manifest.toml` + files by file id), such as the ones
//! under `fixtures/documents/` or one written by `emrtd sim new`; REF-1 by default. The clone
//! is the same document whose chip holds other private keys than the ones DG14 announces
//! ([`Adversarial::ForeignChipKeys`]): its data still passes passive authentication, chip
//! authentication must fail. In a test, the same lines go inside a `#[tokio::test]`.
#![forbid(unsafe_code)]

use emrtd_reader::{AccessKey, ReaderConfig, Reading, read_document};
use emrtd_result::AuthResult;
use emrtd_sim::{Adversarial, VirtualChip};
use emrtd_transport::{LinkLimits, SyncChipTransport};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zeroize::Zeroizing;

/// The clone's chip-authentication key: a brainpoolP256r1 PKCS#8 private key (REF-1's active
/// authentication key, not its chip-authentication key). Any key other than the one DG14
/// carries makes a clone.
const CLONE_CA_KEY: &str = "308188020100301406072A8648CE3D020106092B2403030208010107046D306B02010104200B0E84906853B6FC456ADDC94514BD7BBF3BC80568566481E336D1B21E63511FA144034200041254E00D131C54820289403F3AB6C8115DF03D7F9BA9C42C31BE6F6ACB57EC55974704C3EC9493662790DFBD947415882B85A66A4E52468EBF9F59E68E44D720";

/// Reads `chip` with the access key its manifest gives (CAN when it does PACE, else MRZ).
async fn read(chip: VirtualChip, trust: &emrtd_pa::TrustStore) -> Result<Reading, String> {
    let m = chip.document().manifest.clone();
    let key = match (&m.can, &m.mrz) {
        (Some(can), _) if m.access.pace => AccessKey::Can(Zeroizing::new(can.clone())),
        (_, Some(mrz)) => AccessKey::Mrz(
            emrtd_access::MrzKey::new(&mrz.document_number, &mrz.date_of_birth, &mrz.date_of_expiry)
                .map_err(|e| e.to_string())?,
        ),
        _ => return Err("the manifest gives neither a CAN nor MRZ data".into()),
    };
    let mut chip = chip;
    let limits = LinkLimits {
        extended_length: m.quirks.extended_length,
        ..LinkLimits::default()
    };
    let mut transport = SyncChipTransport::new(move |apdu: &[u8]| chip.transmit(apdu), limits);
    let cfg = ReaderConfig {
        extended_length: m.quirks.extended_length,
        ..ReaderConfig::default()
    };
    let mut rng = emrtd_crypto::rng::os_rng();
    Ok(read_document(&mut transport, &key, trust, &cfg, &mut rng).await)
}

fn load(dir: &Path) -> Result<VirtualChip, String> {
    VirtualChip::load(dir).map_err(|e| format!("{}: {e}", dir.display()))
}

async fn run() -> Result<(), String> {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/documents/ref-1"));
    // Fixture documents are signed by the public test PKI: trust it, in tests only.
    let trust = emrtd_trust::test_pki_store().map_err(|e| e.to_string())?;

    // The genuine chip: every check passes.
    let genuine = read(load(&dir)?, &trust).await?;
    if !genuine.passive_authentication_ok() || genuine.chip_authentication == AuthResult::Failed {
        return Err(format!("the genuine document did not verify: {:?}", genuine.errors));
    }
    println!(
        "genuine: passive authentication true, chip authentication {:?}, active authentication {:?}",
        genuine.chip_authentication, genuine.active_authentication
    );

    // Its clone: the same signed files, other chip keys.
    let clone = load(&dir)?.with_adversarial(Adversarial::ForeignChipKeys {
        ca_private_key: Some(CLONE_CA_KEY.to_string()),
        aa_private_key: None,
    });
    let cloned = read(clone, &trust).await?;
    println!(
        "clone: passive authentication {}, chip authentication {:?}",
        cloned.passive_authentication_ok(),
        cloned.chip_authentication
    );
    if genuine.chip_authentication != AuthResult::Success {
        println!("this document offers no chip authentication: CA cannot tell a clone apart");
        return Ok(());
    }
    if cloned.chip_authentication != AuthResult::Failed {
        return Err("the clone was not detected".into());
    }
    println!("clone detected: chip authentication FAILED");
    Ok(())
}

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("virtual_chip_in_a_test: {e}");
            ExitCode::FAILURE
        }
    }
}
