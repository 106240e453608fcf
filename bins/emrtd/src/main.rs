//! `emrtd`: the docval command line.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use emrtd_apdu::tlv::{Tlv, TlvIter};
use std::path::PathBuf;
use std::process::ExitCode;

mod inspect;
mod read;
mod sim;
mod verify;
mod virtual_phone;

#[derive(Parser)]
#[command(name = "emrtd", version, about = "Inspect and verify ICAO Doc 9303 eMRTD data")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the BER-TLV structure of a file (or of hex given with --hex).
    Tlv {
        /// A file to read.
        file: Option<std::path::PathBuf>,
        /// Hex input instead of a file.
        #[arg(long)]
        hex: Option<String>,
    },
    /// Say what each file is (LDS file, certificate, CRL, master list) and print it parsed,
    /// as JSON.
    Inspect {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Offline passive authentication of a dump directory or of --sod/--dg files; prints the
    /// verdict as JSON. Exit code 0 only when everything verified.
    Verify(verify::VerifyArgs),
    /// Convert the face image of a DG2 (or an image file) to JPEG.
    Face {
        /// DG2 file, or a JPEG / JP2 / J2K file.
        input: PathBuf,
        /// Where to write the JPEG.
        #[arg(long)]
        out: PathBuf,
        /// Which face of the data group (0 = first).
        #[arg(long, default_value_t = 0)]
        index: usize,
    },
    /// Present a virtual chip (fixture directory) to a DocVal server as a phone (API v1, or v2
    /// with --protocol v2). Statuses and the close code on stderr, the result JSON line on
    /// stdout; exit 0 only for close code 1000.
    VirtualPhone(virtual_phone::VirtualPhoneArgs),
    /// Read a document from a PC/SC reader (progress on stderr, result JSON on stdout, raw
    /// files with --out for `emrtd verify`), or relay it to a DocVal server with --docval.
    Read(read::ReadArgs),
    /// Virtual documents for tests and CI: `emrtd sim new DIR --name … --document-number …
    /// --dob … --expiry …` writes a fixture directory for `emrtd virtual-phone` and the vpcd
    /// mode, signed by the test PKI (or a CSCA given by path).
    #[command(subcommand)]
    Sim(sim::SimCommand),
}

fn print_tlv(t: &Tlv<'_>, indent: usize, out: &mut String) {
    use std::fmt::Write;
    let pad = "  ".repeat(indent);
    if t.tag.is_constructed() {
        let _ = writeln!(
            out,
            "{pad}{} ({} bytes){}",
            t.tag,
            t.value.len(),
            if t.indefinite { " indefinite" } else { "" }
        );
        match t.children() {
            Ok(children) => {
                for c in children {
                    match c {
                        Ok(c) => print_tlv(&c, indent + 1, out),
                        Err(e) => {
                            let _ = writeln!(out, "{pad}  error: {e}");
                        }
                    }
                }
            }
            Err(e) => {
                let _ = writeln!(out, "{pad}  error: {e}");
            }
        }
    } else {
        let shown = t.value.len().min(32);
        let more = if t.value.len() > shown { "…" } else { "" };
        let _ = writeln!(
            out,
            "{pad}{} ({} bytes) {}{more}",
            t.tag,
            t.value.len(),
            hex::encode_upper(t.value.get(..shown).unwrap_or_default())
        );
    }
}

/// What a command produced: text for stdout and the exit code.
struct Output {
    text: String,
    ok: bool,
}

fn run(cli: Cli) -> Result<Output, String> {
    match cli.command {
        Command::Tlv { file, hex: hex_in } => {
            let data = match (file, hex_in) {
                (Some(path), None) => read_file(&path)?,
                (None, Some(h)) => hex::decode(h.trim()).map_err(|e| format!("bad hex: {e}"))?,
                _ => return Err("give either a FILE or --hex".into()),
            };
            let mut out = String::new();
            for item in TlvIter::new(&data).stop_at_zero_padding() {
                let t = item.map_err(|e| format!("{out}error: {e}"))?;
                print_tlv(&t, 0, &mut out);
            }
            Ok(Output { text: out, ok: true })
        }
        Command::Inspect { files } => {
            let mut all_ok = true;
            let mut items = Vec::new();
            for f in &files {
                let (value, ok) = inspect::inspect_file(f);
                all_ok &= ok;
                items.push(value);
            }
            let text = serde_json::to_string_pretty(&items).map_err(|e| e.to_string())?;
            Ok(Output {
                text: text + "\n",
                ok: all_ok,
            })
        }
        Command::Verify(args) => {
            let (value, ok) = verify::run(&args)?;
            let text = serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?;
            Ok(Output { text: text + "\n", ok })
        }
        Command::Read(args) => {
            let (text, ok) = read::run(&args)?;
            Ok(Output { text, ok })
        }
        Command::Sim(sim::SimCommand::New(args)) => Ok(Output {
            text: sim::new(&args)?,
            ok: true,
        }),
        Command::VirtualPhone(args) => {
            let (text, ok) = virtual_phone::run(&args)?;
            Ok(Output { text, ok })
        }
        Command::Face { input, out, index } => {
            let data = read_file(&input)?;
            let image = match emrtd_lds::biometric::BiometricDataGroup::parse(&data) {
                Ok(dg) => dg
                    .faces()
                    .nth(index)
                    .map(|f| f.image.clone())
                    .ok_or_else(|| format!("{}: no face {index}", input.display()))?,
                Err(_) => data,
            };
            let face = emrtd_face::to_jpeg(&image, &emrtd_face::FaceLimits::default())
                .map_err(|e| format!("{}: {e}", input.display()))?;
            std::fs::write(&out, &face.jpeg).map_err(|e| format!("{}: {e}", out.display()))?;
            let v = serde_json::json!({
                "source": face.source,
                "converted": face.converted,
                "width": face.width,
                "height": face.height,
                "out": out.display().to_string(),
                "bytes": face.jpeg.len(),
            });
            Ok(Output {
                text: serde_json::to_string_pretty(&v).map_err(|e| e.to_string())? + "\n",
                ok: true,
            })
        }
    }
}

/// Largest input file read.
const MAX_INPUT: u64 = 64 * 1024 * 1024;

fn read_file(path: &std::path::Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.len() > MAX_INPUT {
        return Err(format!("{}: file larger than {MAX_INPUT} bytes", path.display()));
    }
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(out) => {
            print!("{}", out.text);
            if out.ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(e) => {
            eprintln!("emrtd: {e}");
            ExitCode::from(2)
        }
    }
}
