//! Reads a passport or eID card on a PC/SC reader with its CAN and prints the verdict.
//!
//! ```text
//! cargo run -p emrtd-reader --example read_pcsc -- --can 123456 [--reader NAME] [--test-pki]
//! cargo run -p emrtd-reader --example read_pcsc -- --can 123456 --virtual fixtures/documents/ref-1 --test-pki
//! ```
//!
//! The reading engine runs the whole Doc 9303 session (PACE with the CAN, EF.SOD, DG14, chip
//! authentication, DG15, active authentication, the data groups, passive authentication);
//! the trust store is docval's default (the embedded German and Dutch CSCA master lists,
//! verified against their pinned roots), plus the public test PKI with `--test-pki` only.
//! `--virtual DIR` reads a virtual chip from a fixture directory instead of a reader, which is
//! how CI runs this example. Exit status 0 only when the document verified.
#![forbid(unsafe_code)]

use emrtd_reader::{AccessKey, ReaderConfig, read_document};
use emrtd_result::AuthResult;
use emrtd_transport::{LinkLimits, SyncChipTransport, Transport};
use std::process::ExitCode;
use std::time::Duration;
use zeroize::Zeroizing;

struct Args {
    can: String,
    reader: Option<String>,
    virtual_chip: Option<std::path::PathBuf>,
    test_pki: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        can: String::new(),
        reader: None,
        virtual_chip: None,
        test_pki: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--can" => args.can = it.next().ok_or("--can needs a value")?,
            "--reader" => args.reader = Some(it.next().ok_or("--reader needs a value")?),
            "--virtual" => args.virtual_chip = Some(it.next().ok_or("--virtual needs a directory")?.into()),
            "--test-pki" => args.test_pki = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if args.can.len() != 6 || !args.can.bytes().all(|b| b.is_ascii_digit()) {
        return Err("--can: expected the 6-digit Card Access Number".into());
    }
    Ok(args)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("read_pcsc: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<bool, String> {
    let args = parse_args()?;
    let sources = emrtd_trust::TrustSources {
        test_pki: args.test_pki,
        ..emrtd_trust::TrustSources::default()
    };
    let (trust, report) = emrtd_trust::load(&sources, emrtd_trust::now()).map_err(|e| e.to_string())?;
    for warning in &report.warnings {
        eprintln!("trust store: {warning}");
    }
    let key = AccessKey::Can(Zeroizing::new(args.can.clone()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;

    if let Some(dir) = &args.virtual_chip {
        let mut chip = emrtd_sim::VirtualChip::load(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let limits = LinkLimits {
            extended_length: true,
            ..LinkLimits::default()
        };
        let mut transport = SyncChipTransport::new(move |apdu: &[u8]| chip.transmit(apdu), limits);
        return Ok(runtime.block_on(read_and_report(&mut transport, true, &key, &trust)));
    }

    let pcsc = emrtd_pcsc::Pcsc::new().map_err(|e| format!("{e} (is pcscd running?)"))?;
    println!("put the document on the reader …");
    let reader = pcsc
        .wait_for_card(args.reader.as_deref(), Duration::from_secs(60))
        .map_err(|e| e.to_string())?;
    let mut card = pcsc.connect(&reader).map_err(|e| format!("{reader}: {e}"))?;
    println!("reader: {reader}");
    let extended = card.extended;
    Ok(runtime.block_on(read_and_report(&mut card, extended, &key, &trust)))
}

/// Runs the reading engine and prints what a relying party needs; true when verified.
async fn read_and_report<T: Transport>(
    transport: &mut T,
    extended_length: bool,
    key: &AccessKey,
    trust: &emrtd_pa::TrustStore,
) -> bool {
    let cfg = ReaderConfig {
        read_atr_info: true,
        extended_length,
        // Check certificate validity periods and CRL freshness at the present time.
        pa_options: emrtd_pa::PaOptions {
            at: Some(emrtd_trust::now()),
            ..emrtd_pa::PaOptions::default()
        },
        ..ReaderConfig::default()
    };
    let mut rng = emrtd_crypto::rng::os_rng();
    let reading = read_document(transport, key, trust, &cfg, &mut rng).await;
    let passport = emrtd_reader::to_emrtd_passport(&reading, false);
    if let Some(mrz) = &passport.mrz_info {
        println!("document:   {} {}", mrz.document_type, mrz.document_number);
        println!(
            "holder:     {}, {}",
            mrz.primary_identifier,
            mrz.secondary_identifier.join(" ")
        );
    }
    println!("access:     {:?}", reading.access);
    println!("passive authentication: {}", reading.passive_authentication_ok());
    println!("chip authentication:    {:?}", reading.chip_authentication);
    println!("active authentication:  {:?}", reading.active_authentication);
    for e in &reading.errors {
        println!("note: {e}");
    }
    if let Some(f) = &reading.failure {
        println!("reading failed: {f}");
    }
    // Genuine: every hash signed by a trusted CSCA, and no clone signal from CA or AA.
    let verified = reading.failure.is_none()
        && reading.passive_authentication_ok()
        && reading.chip_authentication != AuthResult::Failed
        && reading.active_authentication != AuthResult::Failed;
    println!("verdict:    {}", if verified { "VERIFIED" } else { "NOT VERIFIED" });
    verified
}
