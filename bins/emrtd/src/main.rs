//! `emrtd`: the docval command line.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use emrtd_apdu::tlv::{Tlv, TlvIter};
use std::process::ExitCode;

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

fn run(cli: Cli) -> Result<String, String> {
    match cli.command {
        Command::Tlv { file, hex: hex_in } => {
            let data = match (file, hex_in) {
                (Some(path), None) => std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?,
                (None, Some(h)) => hex::decode(h.trim()).map_err(|e| format!("bad hex: {e}"))?,
                _ => return Err("give either a FILE or --hex".into()),
            };
            let mut out = String::new();
            for item in TlvIter::new(&data).stop_at_zero_padding() {
                let t = item.map_err(|e| format!("{out}error: {e}"))?;
                print_tlv(&t, 0, &mut out);
            }
            Ok(out)
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("emrtd: {e}");
            ExitCode::FAILURE
        }
    }
}
