//! `emrtd read`: reads a document from a PC/SC reader (access control, SOD, data groups, CA,
//! AA, PA) with a progress display, prints the result JSON and writes a dump directory that
//! `emrtd verify` checks offline. With `--docval URL --client-id ID` the reader instead
//! becomes the client device of a DocVal server (relay), printing statuses and the close code.

use clap::Args;
use emrtd_pcsc::{Pcsc, PcscCard};
use emrtd_reader::{AccessKey, ReaderConfig, read_document, to_emrtd_passport};
use emrtd_transport::{LinkLimits, Transport, TransportError};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::time::Duration;
use zeroize::Zeroizing;

#[derive(Args, Debug)]
pub struct ReadArgs {
    /// The PC/SC reader (default: the first reader with a card).
    #[arg(long)]
    pub reader: Option<String>,
    /// MRZ access key: DOCUMENT_NUMBER,YYMMDD,YYMMDD (birth, expiry).
    #[arg(long, conflicts_with_all = ["can", "pin"])]
    pub mrz: Option<String>,
    /// Card Access Number (PACE).
    #[arg(long, conflicts_with = "pin")]
    pub can: Option<String>,
    /// eID PIN (PACE-PIN; German eID cards).
    #[arg(long)]
    pub pin: Option<String>,
    /// Write the raw files (EF.SOD, DGn, EF.CardAccess, EF.CardSecurity) and result.json here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Include the raw files in the result JSON (`files_binary`).
    #[arg(long)]
    pub include_files: bool,
    /// Trusted CSCA certificates for passive authentication (file or directory, repeatable),
    /// in addition to the embedded DE/NL master lists.
    #[arg(long)]
    pub csca: Vec<PathBuf>,
    /// Also trust the TEST PKI of fixtures/pki (virtual documents; its private keys are public).
    #[arg(long)]
    pub test_pki: bool,
    /// Seconds to wait for a card.
    #[arg(long, default_value_t = 30)]
    pub wait: u64,
    /// Relay the card to this DocVal server (ws://host:port/ws1/validate) instead of reading it.
    #[arg(long, requires = "client_id")]
    pub docval: Option<String>,
    /// Client id at the DocVal server.
    #[arg(long)]
    pub client_id: Option<String>,
    /// Client validation id (relay mode).
    #[arg(long, default_value = "00000000-0000-4000-8000-000000000000")]
    pub validation_id: String,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// A transport that shows the reading steps and the bytes moved.
struct Progress<'a> {
    card: &'a mut PcscCard,
    bar: ProgressBar,
    step: &'static str,
    apdus: u64,
    bytes: u64,
}

impl Transport for Progress<'_> {
    async fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let r = self.card.transmit_sync(command)?;
        self.apdus += 1;
        self.bytes += (command.len() + r.len()) as u64;
        self.bar
            .set_message(format!("{} ({} APDUs, {} bytes)", self.step, self.apdus, self.bytes));
        self.bar.tick();
        Ok(r)
    }

    fn limits(&self) -> LinkLimits {
        self.card.limits()
    }

    async fn status(&mut self, step: &'static str) -> Result<(), TransportError> {
        if !self.step.is_empty() && self.step != step {
            self.bar.println(format!("  {} done", self.step));
        }
        self.step = step;
        self.bar.set_message(step.to_string());
        Ok(())
    }
}

fn access_key(a: &ReadArgs) -> Result<AccessKey, String> {
    if let Some(can) = &a.can {
        return Ok(AccessKey::Can(Zeroizing::new(can.clone())));
    }
    if let Some(m) = &a.mrz {
        let parts: Vec<&str> = m.split([',', ':', ';']).map(str::trim).collect();
        let [doc, dob, doe] = parts.as_slice() else {
            return Err(format!("--mrz: expected DOCUMENT_NUMBER,YYMMDD,YYMMDD, got {m:?}"));
        };
        let key = emrtd_access::MrzKey::new(doc, dob, doe).map_err(|e| format!("--mrz: {e}"))?;
        return Ok(AccessKey::Mrz(key));
    }
    if let Some(pin) = &a.pin {
        if !(5..=6).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
            return Err("--pin: expected 5 or 6 digits".into());
        }
        return Ok(AccessKey::Pin(Zeroizing::new(pin.clone())));
    }
    Err("give --mrz, --can or --pin".into())
}

fn open_card(a: &ReadArgs) -> Result<PcscCard, String> {
    let pcsc = Pcsc::new().map_err(|e| format!("{e} (is pcscd running?)"))?;
    let reader = pcsc
        .wait_for_card(a.reader.as_deref(), Duration::from_secs(a.wait))
        .map_err(|e| e.to_string())?;
    let card = pcsc.connect(&reader).map_err(|e| format!("{reader}: {e}"))?;
    eprintln!(
        "reader: {reader}; ATR {}; extended length {}",
        hex::encode_upper(&card.atr),
        if card.extended { "announced" } else { "not announced" }
    );
    Ok(card)
}

/// Runs `emrtd read`; returns the stdout text and success.
pub fn run(a: &ReadArgs) -> Result<(String, bool), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    if let Some(url) = &a.docval {
        let client_id = a.client_id.clone().unwrap_or_default();
        let access = match (&a.can, &a.mrz) {
            (Some(c), _) => emrtd_phone::Access::Can(c.clone()),
            (None, Some(m)) => crate::virtual_phone::parse_mrz_key(m)?,
            _ => return Err("relay mode needs --can or --mrz".into()),
        };
        let mut card = open_card(a)?;
        let mut opts = emrtd_phone::PhoneOptions::new(url, &client_id, access);
        opts.validation_id = a.validation_id.clone();
        opts.platform = "desktop".into();
        opts.extended_length = card.extended;
        opts.return_result = true;
        let out = runtime
            .block_on(emrtd_phone::run_phone_observed(
                |cmd: &[u8]| card.transmit_sync(cmd).unwrap_or_default(),
                &opts,
                |s: &str| eprintln!("… {s}"),
            ))
            .map_err(|e| e.to_string())?;
        return Ok(crate::virtual_phone::report(&out));
    }
    let key = access_key(a)?;
    let sources = emrtd_trust::TrustSources {
        certificates: a.csca.clone(),
        test_pki: a.test_pki,
        ..emrtd_trust::TrustSources::default()
    };
    let (trust, report) = emrtd_trust::load(&sources, emrtd_trust::now()).map_err(|e| e.to_string())?;
    for w in &report.warnings {
        eprintln!("emrtd read: trust store: {w}");
    }
    let mut card = open_card(a)?;
    let extended = card.extended;
    let bar = if a.quiet {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed} {msg}") {
            b.set_style(style);
        }
        b.enable_steady_tick(Duration::from_millis(120));
        b
    };
    let mut transport = Progress {
        card: &mut card,
        bar: bar.clone(),
        step: "",
        apdus: 0,
        bytes: 0,
    };
    let cfg = ReaderConfig {
        read_atr_info: true,
        extended_length: extended,
        // Certificate validity periods and CRL freshness are checked at the present time.
        pa_options: emrtd_pa::PaOptions {
            at: Some(emrtd_trust::now()),
            ..emrtd_pa::PaOptions::default()
        },
        ..ReaderConfig::default()
    };
    let mut rng = emrtd_crypto::rng::os_rng();
    let reading = runtime.block_on(read_document(&mut transport, &key, &trust, &cfg, &mut rng));
    let (apdus, bytes) = (transport.apdus, transport.bytes);
    bar.finish_and_clear();
    eprintln!("{apdus} APDUs, {bytes} bytes");
    for s in &reading.steps {
        eprintln!("  {:?}: {:?}", s.step, s.outcome);
    }
    let passport = to_emrtd_passport(&reading, a.include_files);
    let result = serde_json::json!({ "emrtd_passport": passport });
    let text = serde_json::to_string_pretty(&result).map_err(|e| e.to_string())? + "\n";
    if let Some(dir) = &a.out {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let write = |name: String, data: &[u8]| -> Result<(), String> {
            let p = dir.join(name);
            std::fs::write(&p, data).map_err(|e| format!("{}: {e}", p.display()))
        };
        if let Some(d) = &reading.sod {
            write("EF.SOD.bin".into(), d)?;
        }
        for (n, d) in &reading.data_groups {
            write(format!("DG{n}.bin"), d)?;
        }
        if let Some(d) = &reading.card_access {
            write("EF.CardAccess.bin".into(), d)?;
        }
        if let Some(d) = &reading.card_security {
            write("EF.CardSecurity.bin".into(), d)?;
        }
        if let Some(d) = &reading.atr_info {
            write("EF.ATR-INFO.bin".into(), d)?;
        }
        write("result.json".into(), text.as_bytes())?;
        eprintln!(
            "dump written to {} (check it with `emrtd verify {}`)",
            dir.display(),
            dir.display()
        );
    }
    Ok((text, reading.failure.is_none()))
}
