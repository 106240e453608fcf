//! Passive authentication of a dump against a CSCA master list (ICAO Doc 9303-11 §5.1,
//! Doc 9303-12 §4 and §8).
//!
//! ```text
//! cargo run -p emrtd-pa --example verify_dump [-- DUMP_DIR MASTER_LIST ROOT_CERT]
//! ```
//!
//! `DUMP_DIR` is what `emrtd read --out` writes (`EF.SOD.bin`, `DG1.bin`, …) or a fixture
//! document directory (files named by file id: `011D.bin`, `0101.bin`, …). The master list's
//! own signature is verified against `ROOT_CERT` (the issuing country's CSCA or master list
//! root) before its certificates are trusted. Without arguments it verifies the virtual REF-1
//! passport against the test PKI's master list (`fixtures/`).
//!
//! Exit status 0 only when the SOD signature, the Document Signer chain and every data group
//! hash verified.
#![forbid(unsafe_code)]

use emrtd_pa::{PaOptions, TrustStore, verify_sod};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The file id of EF.DGn (Doc 9303-10 §4.7): 0101 … 0110.
fn data_group_by_fid(name: &str) -> Option<u8> {
    let stem = name.strip_suffix(".bin")?;
    let fid = u16::from_str_radix(stem, 16).ok()?;
    (0x0101..=0x0110).contains(&fid).then(|| (fid - 0x0100) as u8)
}

/// `DG1.bin` … `DG16.bin` as written by `emrtd read --out`.
fn data_group_by_name(name: &str) -> Option<u8> {
    let n: u8 = name.strip_prefix("DG")?.strip_suffix(".bin")?.parse().ok()?;
    (1..=16).contains(&n).then_some(n)
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("verify_dump: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<bool, String> {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let mut args = std::env::args().skip(1).map(PathBuf::from);
    let dump = args.next().unwrap_or_else(|| fixtures.join("documents/ref-1"));
    let master_list = args.next().unwrap_or_else(|| fixtures.join("pki/masterlist.ml"));
    let root = args.next().unwrap_or_else(|| fixtures.join("pki/csca-rsa.cer"));

    // The trust store: the master list counts only when its signature verifies against the root.
    let mut store = TrustStore::new();
    store
        .add_master_list_root(&read(&root)?)
        .map_err(|e| format!("{}: {e}", root.display()))?;
    let report = store
        .add_master_list(&read(&master_list)?, &master_list.display().to_string())
        .map_err(|e| format!("{}: {e}", master_list.display()))?;
    println!(
        "master list: {} CSCA certificates, signature valid: {}, signer verified: {}",
        report.added, report.signature_valid, report.signer_verified
    );
    if !(report.signature_valid && report.signer_verified) {
        return Err(format!("{}: not signed by {}", master_list.display(), root.display()));
    }

    // The dump: EF.SOD and every data group present, as the exact bytes read from the chip.
    let mut sod = None;
    let mut data_groups = BTreeMap::new();
    let entries = std::fs::read_dir(&dump).map_err(|e| format!("{}: {e}", dump.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dump.display()))?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if name == "EF.SOD.bin" || name == "011D.bin" {
            sod = Some(read(&path)?);
        } else if let Some(n) = data_group_by_name(&name).or_else(|| data_group_by_fid(&name)) {
            data_groups.insert(n, read(&path)?);
        }
    }
    let sod = sod.ok_or_else(|| format!("{}: no EF.SOD (EF.SOD.bin or 011D.bin)", dump.display()))?;

    // Check the certificates' validity periods (and CRL freshness) at the present time.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    let opts = PaOptions {
        at: Some(i64::try_from(now).map_err(|e| e.to_string())?),
        ..PaOptions::default()
    };
    let outcome = verify_sod(&sod, &data_groups, &store, &opts);
    println!("SOD signature valid:          {}", outcome.sod_signature_valid);
    println!("document signer chain valid:  {}", outcome.document_certificate_valid);
    println!(
        "data groups with valid hash:  {:?}",
        outcome.data_groups_with_valid_hash
    );
    println!("data groups not supplied:     {:?}", outcome.data_groups_not_supplied);
    for reason in &outcome.reasons {
        println!("reason: {reason:?}");
    }
    if let Some(e) = &outcome.error {
        println!("error: {e}");
    }
    println!(
        "passive authentication: {}",
        if outcome.verified() { "VERIFIED" } else { "FAILED" }
    );
    Ok(outcome.verified())
}
