//! `emrtd sim new DIR …`: a virtual document of the caller's choice as a fixture directory
//! (`manifest.toml` + files by file id) for `emrtd virtual-phone`, the vpcd mode of emrtd-sim
//! and `emrtd_sim::VirtualChip::load`.
//!
//! The document is built by `emrtd_sim::issue` (the factory of `cargo xtask fixtures`). Its
//! SOD is signed by the test PKI's ECDSA Document Signer (`fixtures/pki/ds-ecdsa.cer`, trusted
//! by `docval-server --test-pki`), or, with `--csca-key`/`--csca-cert`, by a Document Signer
//! issued on the fly under that CSCA. Keys are derived from `--seed` (default: the document
//! number): the same arguments give the same directory, byte for byte. Test keys only.

use clap::{Args, Subcommand, ValueEnum};
use emrtd_sim::Adversarial;
use emrtd_sim::issue::{
    AaKey, CaKey, Curve, DocumentSigner, DocumentSpec, IssueError, SigAlg, issue_document, test_pki,
};
use std::path::{Path, PathBuf};

/// `emrtd sim …`.
#[derive(Subcommand, Debug)]
pub enum SimCommand {
    /// Write a new virtual document (fixture directory) signed by the test PKI or by a CSCA
    /// given by path. Prints a JSON summary.
    New(NewArgs),
}

/// PACE as the chip offers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Pace {
    /// No PACE: BAC only.
    None,
    /// PACE-ECDH generic mapping.
    Gm,
    /// PACE-ECDH integrated mapping.
    Im,
    /// PACE-ECDH chip authentication mapping (EF.CardSecurity with the chip's key).
    Cam,
}

/// The curve of PACE, chip and active authentication.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CurveArg {
    /// brainpoolP256r1 (AES-128).
    Bp256,
    /// NIST P-256 (AES-128).
    P256,
    /// brainpoolP384r1 (AES-256).
    Bp384,
    /// NIST P-384 (AES-256).
    P384,
}

/// `emrtd sim new` arguments.
#[derive(Args, Debug)]
pub struct NewArgs {
    /// The directory to write (created; refused when it exists and is not empty, unless
    /// --force).
    pub dir: PathBuf,
    /// The holder's name as in the MRZ: `SURNAME<<GIVEN NAMES` (A-Z, spaces; e.g.
    /// "MUSTERMANN<<ERIKA"). Without `<<` it is all surname.
    #[arg(long)]
    pub name: String,
    /// Document number: 1 to 9 characters A-Z, 0-9.
    #[arg(long)]
    pub document_number: String,
    /// Date of birth, YYMMDD.
    #[arg(long)]
    pub dob: String,
    /// Date of expiry, YYMMDD.
    #[arg(long)]
    pub expiry: String,
    /// Nationality (three letters).
    #[arg(long, default_value = "UTO")]
    pub nationality: String,
    /// Issuing state (three letters).
    #[arg(long, default_value = "UTO")]
    pub issuer: String,
    /// Sex: M, F or X (unspecified).
    #[arg(long, default_value = "X")]
    pub sex: String,
    /// Date of issue, YYYYMMDD (the SOD's signing time).
    #[arg(long, default_value = "20260101")]
    pub issued: String,
    /// PACE (besides BAC).
    #[arg(long, value_enum, default_value = "none")]
    pub pace: Pace,
    /// Curve of PACE, chip authentication and active authentication.
    #[arg(long, value_enum, default_value = "bp256")]
    pub curve: CurveArg,
    /// Card access number (6 digits) for PACE; without it PACE uses the MRZ.
    #[arg(long)]
    pub can: Option<String>,
    /// No chip authentication (no DG14 key). Chip authentication is on by default.
    #[arg(long)]
    pub no_ca: bool,
    /// Active authentication (ECDSA, DG15).
    #[arg(long)]
    pub aa: bool,
    /// An adversarial mode (repeatable): `clone` (the chip holds other CA/AA keys than
    /// DG14/DG15 announce), `bad-mac`, `tampered-dg=N`, `wrong-status=XXXX` (hex),
    /// `garbage=N` (random answers from command N on).
    #[arg(long)]
    pub adversarial: Vec<String>,
    /// The CSCA's private key (PKCS#8, DER or PEM) to issue a Document Signer under, instead
    /// of the test PKI's.
    #[arg(long, requires = "csca_cert")]
    pub csca_key: Option<PathBuf>,
    /// The CSCA's certificate (DER or PEM).
    #[arg(long, requires = "csca_key")]
    pub csca_cert: Option<PathBuf>,
    /// Seed of the chip's and the Document Signer's keys (default: the document number).
    #[arg(long)]
    pub seed: Option<String>,
    /// Write into DIR even when it is not empty (files of the same name are replaced).
    #[arg(long)]
    pub force: bool,
}

fn curve(c: CurveArg) -> (Curve, bool) {
    match c {
        CurveArg::Bp256 => (Curve::Bp256, false),
        CurveArg::P256 => (Curve::P256, false),
        CurveArg::Bp384 => (Curve::Bp384, true),
        CurveArg::P384 => (Curve::P384, true),
    }
}

/// PACEInfo protocol OID of `pace` with AES-128 or AES-256 (BSI TR-03110-3 A.1.1.1).
fn pace_oid(pace: Pace, aes256: bool) -> Option<&'static str> {
    Some(match (pace, aes256) {
        (Pace::None, _) => return None,
        (Pace::Gm, false) => "0.4.0.127.0.7.2.2.4.2.2",
        (Pace::Gm, true) => "0.4.0.127.0.7.2.2.4.2.4",
        (Pace::Im, false) => "0.4.0.127.0.7.2.2.4.4.2",
        (Pace::Im, true) => "0.4.0.127.0.7.2.2.4.4.4",
        (Pace::Cam, false) => "0.4.0.127.0.7.2.2.4.6.2",
        (Pace::Cam, true) => "0.4.0.127.0.7.2.2.4.6.4",
    })
}

/// Parses one `--adversarial` value; `clone` is handled by the caller.
fn adversarial(mode: &str) -> Result<Adversarial, String> {
    let bad = || {
        format!(
            "--adversarial: unknown mode {mode:?} (clone, bad-mac, tampered-dg=N with N 1..16, wrong-status=XXXX, garbage=N)"
        )
    };
    let (name, value) = match mode.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (mode, None),
    };
    Ok(match (name, value) {
        ("bad-mac", None) => Adversarial::BadMac,
        ("tampered-dg", Some(v)) => {
            let dg: u8 = v.parse().map_err(|_| bad())?;
            if !(1..=16).contains(&dg) {
                return Err(bad());
            }
            Adversarial::TamperedDataGroup { dg }
        }
        ("wrong-status", Some(v)) if v.len() == 4 => Adversarial::WrongStatus {
            sw: u16::from_str_radix(v, 16).map_err(|_| bad())?,
        },
        ("garbage", Some(v)) => Adversarial::Garbage {
            after: v.parse().map_err(|_| bad())?,
        },
        _ => return Err(bad()),
    })
}

/// Largest key or certificate file read.
const MAX_PKI_FILE: u64 = 64 * 1024;

/// Reads a DER file, or the first PEM block of a PEM file.
fn read_der(path: &Path) -> Result<Vec<u8>, String> {
    use base64::Engine;
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.len() > MAX_PKI_FILE {
        return Err(format!("{}: larger than {MAX_PKI_FILE} bytes", path.display()));
    }
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let Ok(text) = std::str::from_utf8(&data) else {
        return Ok(data);
    };
    let Some(start) = text.find("-----BEGIN ") else {
        return Ok(data);
    };
    let body: String = text
        .get(start..)
        .unwrap_or_default()
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("-----END "))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .map_err(|e| format!("{}: PEM: {e}", path.display()))
}

/// Checks DIR: absent, an empty directory, or (with --force) any directory.
fn check_dir(dir: &Path, force: bool) -> Result<(), String> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() && !force {
                return Err(format!(
                    "{}: the directory is not empty (use --force to write into it)",
                    dir.display()
                ));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) if dir.is_file() => Err(format!("{}: exists and is not a directory ({e})", dir.display())),
        Err(e) => Err(format!("{}: {e}", dir.display())),
    }
}

fn issue_err(e: IssueError) -> String {
    e.to_string()
}

/// Runs `emrtd sim new`; returns the JSON summary.
pub fn new(args: &NewArgs) -> Result<String, String> {
    let (primary, secondary) = match args.name.split_once("<<") {
        Some((p, s)) => (p.trim(), s.trim()),
        None => (args.name.trim(), ""),
    };
    let sex = match args.sex.as_str() {
        "X" | "x" | "<" => "<",
        "M" | "m" => "M",
        "F" | "f" => "F",
        other => return Err(format!("--sex: {other:?}: expected M, F or X")),
    };
    let seed = args.seed.clone().unwrap_or_else(|| args.document_number.clone());
    if seed.is_empty() || seed.len() > 200 {
        return Err("--seed: 1 to 200 characters".into());
    }
    let key_label = format!("sim/{seed}");
    let clone_label = format!("sim/{seed}/clone");
    let (c, aes256) = curve(args.curve);
    let ca_oid = if aes256 {
        "0.4.0.127.0.7.2.2.3.2.4"
    } else {
        "0.4.0.127.0.7.2.2.3.2.2"
    };
    let mut clone = false;
    let mut modes = Vec::new();
    for m in &args.adversarial {
        if m == "clone" {
            clone = true;
        } else {
            modes.push(adversarial(m)?);
        }
    }
    if clone && args.no_ca && !args.aa {
        return Err("--adversarial clone: needs chip authentication or --aa (a key to clone)".into());
    }
    if args.pace == Pace::Cam && args.no_ca {
        return Err("--pace cam: the CAM key is the chip authentication key; drop --no-ca".into());
    }
    let name = args
        .dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| format!("sim-{}", args.document_number));
    let description = format!(
        "emrtd sim new: TD3 {}, PACE {:?}, CA {}, AA {}{}",
        args.document_number,
        args.pace,
        !args.no_ca,
        args.aa,
        if clone { ", clone" } else { "" }
    );
    let spec = DocumentSpec {
        name: &name,
        description: &description,
        issuer: &args.issuer,
        nationality: &args.nationality,
        doc_number: &args.document_number,
        primary,
        secondary,
        dob: &args.dob,
        doe: &args.expiry,
        issued: &args.issued,
        sex,
        can: args.can.as_deref(),
        pace: pace_oid(args.pace, aes256).map(|oid| (oid, c.id())),
        pace_cam: args.pace == Pace::Cam,
        ca: if args.no_ca { CaKey::None } else { CaKey::Ec(c, ca_oid) },
        aa: if args.aa { AaKey::Ec(c) } else { AaKey::None },
        key_label: &key_label,
        chip_key_label: clone.then_some(clone_label.as_str()),
        verdict: if clone { "clone" } else { "valid" },
        adversarial: modes,
        ..DocumentSpec::default()
    };
    spec.validate().map_err(issue_err)?;
    check_dir(&args.dir, args.force)?;

    let (cert, key, signer_name) = match (&args.csca_key, &args.csca_cert) {
        (Some(k), Some(c)) => {
            let key_der = read_der(k)?;
            let cert_der = read_der(c)?;
            let year: u32 = args.issued.get(..4).and_then(|y| y.parse().ok()).unwrap_or(2026);
            let (cert, key) = test_pki::document_signer_under(
                &cert_der,
                &key_der,
                &key_label,
                &format!("{}000000", args.issued),
                &format!("{}{}000000", year + 11, args.issued.get(4..).unwrap_or("0101")),
            )
            .map_err(|e| format!("--csca-key/--csca-cert: {e}"))?;
            (cert, key, "ds.cer".to_string())
        }
        _ => {
            let (cert, key) = test_pki::ecdsa_document_signer().map_err(issue_err)?;
            (cert, key, test_pki::ECDSA_DS_FILE.to_string())
        }
    };
    let signer = DocumentSigner {
        cert: &cert,
        key: &key,
        alg: SigAlg::EcdsaSha256,
        name: &signer_name,
    };
    let doc = issue_document(&spec, &signer, None).map_err(issue_err)?;
    doc.write_dir(&args.dir)
        .map_err(|e| format!("{}: {e}", args.dir.display()))?;
    if args.csca_key.is_some() {
        // The Document Signer issued here, for verifiers that want it apart from the SOD.
        let p = args.dir.join("ds.cer");
        std::fs::write(&p, &cert.der).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    let m = &doc.manifest;
    let v = serde_json::json!({
        "dir": args.dir.display().to_string(),
        "mrz": m.mrz.as_ref().map(|z| z.lines.clone()),
        "can": m.can,
        "pace": m.access.pace,
        "data_groups": m.expect.data_groups,
        "document_signer": signer_name,
        "adversarial": args.adversarial,
    });
    serde_json::to_string_pretty(&v)
        .map(|t| t + "\n")
        .map_err(|e| e.to_string())
}
