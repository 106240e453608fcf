//! A virtual chip as a test fixture: issue a custom document (holder, dates, chip keys) signed
//! by the test PKI, read it and its clone through the whole docval reading engine, in-process,
//! and check the verdicts a test would assert.
//!
//! ```text
//! cargo run -p emrtd-sim --example virtual_chip_in_a_test
//! ```
//!
//! The document is a TD3 passport with BAC, chip authentication (ECDH on P-256) and active
//! authentication (ECDSA on P-256); `emrtd sim new` writes the same kind of document to a
//! directory for `emrtd virtual-phone` and vpcd. The clone carries the same signed files but its
//! chip holds other private keys than the ones DG14 and DG15 announce: its data still passes
//! passive authentication, chip and active authentication must fail. In a test, the same lines
//! go inside a `#[tokio::test]`.
#![forbid(unsafe_code)]

use emrtd_reader::{AccessKey, ReaderConfig, Reading, read_document};
use emrtd_result::AuthResult;
use emrtd_sim::VirtualChip;
use emrtd_sim::issue::{AaKey, CaKey, Curve, DocumentSigner, DocumentSpec, SigAlg, issue_document, test_pki};
use emrtd_transport::{LinkLimits, SyncChipTransport};
use std::process::ExitCode;
use zeroize::Zeroizing;

/// A passport for "DOE<<JANE" issued by the test PKI's ECDSA Document Signer; with
/// `chip_keys` other than `keys`, a clone (the chip's private keys differ from DG14/DG15's).
fn issue(keys: &str, chip_keys: Option<&str>) -> Result<VirtualChip, String> {
    let (cert, key) = test_pki::ecdsa_document_signer().map_err(|e| e.to_string())?;
    let spec = DocumentSpec {
        name: "example",
        doc_number: "EX1234567",
        primary: "DOE",
        secondary: "JANE",
        dob: "900115",
        doe: "351231",
        sex: "F",
        ca: CaKey::Ec(Curve::P256, "0.4.0.127.0.7.2.2.3.2.2"), // id-CA-ECDH-AES-CBC-CMAC-128
        aa: AaKey::Ec(Curve::P256),
        key_label: keys,
        chip_key_label: chip_keys,
        ..DocumentSpec::default()
    };
    spec.validate().map_err(|e| e.to_string())?;
    let signer = DocumentSigner {
        cert: &cert,
        key: &key,
        alg: SigAlg::EcdsaSha256,
        name: test_pki::ECDSA_DS_FILE,
    };
    let document = issue_document(&spec, &signer, None).map_err(|e| e.to_string())?;
    VirtualChip::standard(document).map_err(|e| e.to_string())
}

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

async fn run() -> Result<(), String> {
    // Documents issued by the public test PKI: trust it, in tests only.
    let trust = emrtd_trust::test_pki_store().map_err(|e| e.to_string())?;

    // The genuine chip: every check passes.
    let genuine = read(issue("example-chip", None)?, &trust).await?;
    if !genuine.passive_authentication_ok()
        || genuine.chip_authentication != AuthResult::Success
        || genuine.active_authentication != AuthResult::Success
    {
        return Err(format!("the genuine document did not verify: {:?}", genuine.errors));
    }
    println!("genuine: passive authentication true, chip authentication Success, active authentication Success");

    // Its clone: the same signed files, other chip keys.
    let cloned = read(issue("example-chip", Some("another-chip"))?, &trust).await?;
    println!(
        "clone: passive authentication {}, chip authentication {:?}, active authentication {:?}",
        cloned.passive_authentication_ok(),
        cloned.chip_authentication,
        cloned.active_authentication
    );
    if cloned.chip_authentication != AuthResult::Failed || cloned.active_authentication != AuthResult::Failed {
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
