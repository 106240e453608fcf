//! `emrtd virtual-phone`: a virtual chip (fixture directory) presented to a DocVal server as a
//! client device, exactly as the phone SDKs do. Statuses and the close code go to stderr, the
//! result (`{"emrtd_passport":…}`) as one JSON line to stdout; success only for close code 1000.

use clap::Args;
use emrtd_phone::{Access, PhoneOptions, run_phone};
use emrtd_sim::VirtualChip;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct VirtualPhoneArgs {
    /// DocVal server WebSocket URL, e.g. ws://127.0.0.1:8080/ws1/validate.
    #[arg(long)]
    pub server: String,
    /// The client id the server knows.
    #[arg(long)]
    pub client_id: String,
    /// Fixture directory with manifest.toml (e.g. fixtures/documents/ref-1).
    #[arg(long)]
    pub fixture: PathBuf,
    /// Send a CAN: the given value, or the fixture's CAN when no value follows.
    #[arg(long, num_args = 0..=1, conflicts_with = "mrz")]
    pub can: Option<Option<String>>,
    /// Send the MRZ key: `DOCNO,YYMMDD,YYMMDD` (document number, birth, expiry), or the
    /// fixture's MRZ when no value follows.
    #[arg(long, num_args = 0..=1)]
    pub mrz: Option<Option<String>>,
    /// Ask the server to return the result over the WebSocket.
    #[arg(long)]
    pub return_result: bool,
    /// Client validation id.
    #[arg(long, default_value = "00000000-0000-4000-8000-000000000000")]
    pub validation_id: String,
    /// `android` (short APDUs) or `ios` (extended length).
    #[arg(long, default_value = "android")]
    pub platform: String,
    /// Value of the Authorization header of the handshake.
    #[arg(long)]
    pub authorization: Option<String>,
    /// Longest session in seconds.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
}

/// Parses `DOCNO,YYMMDD,YYMMDD` (also `:` or `;` separated).
pub fn parse_mrz_key(s: &str) -> Result<Access, String> {
    let parts: Vec<&str> = s.split([',', ':', ';']).map(str::trim).collect();
    match parts.as_slice() {
        [doc, dob, doe]
            if !doc.is_empty()
                && dob.len() == 6
                && doe.len() == 6
                && dob.bytes().all(|b| b.is_ascii_digit())
                && doe.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Ok(Access::Mrz {
                document_number: doc.to_string(),
                date_of_birth: dob.to_string(),
                date_of_expiry: doe.to_string(),
            })
        }
        _ => Err(format!(
            "--mrz: expected DOCUMENT_NUMBER,YYMMDD,YYMMDD (birth, expiry), got {s:?}"
        )),
    }
}

fn access_for(args: &VirtualPhoneArgs, chip: &VirtualChip) -> Result<Access, String> {
    let m = &chip.document().manifest;
    let fixture_mrz = || {
        m.mrz
            .as_ref()
            .map(|mrz| Access::Mrz {
                document_number: mrz.document_number.clone(),
                date_of_birth: mrz.date_of_birth.clone(),
                date_of_expiry: mrz.date_of_expiry.clone(),
            })
            .ok_or_else(|| "the fixture has no MRZ".to_string())
    };
    match (&args.can, &args.mrz) {
        (Some(Some(can)), _) => Ok(Access::Can(can.clone())),
        (Some(None), _) => m
            .can
            .clone()
            .map(Access::Can)
            .ok_or_else(|| "the fixture has no CAN".to_string()),
        (None, Some(Some(key))) => parse_mrz_key(key),
        (None, Some(None)) => fixture_mrz(),
        (None, None) => match &m.can {
            Some(can) if m.access.pace => Ok(Access::Can(can.clone())),
            _ => fixture_mrz(),
        },
    }
}

/// Runs the phone; returns the stdout text and whether the close code was 1000.
pub fn run(args: &VirtualPhoneArgs) -> Result<(String, bool), String> {
    let mut chip = VirtualChip::load(&args.fixture).map_err(|e| format!("{}: {e}", args.fixture.display()))?;
    let access = access_for(args, &chip)?;
    let mut opts = PhoneOptions::new(&args.server, &args.client_id, access);
    opts.return_result = args.return_result;
    opts.validation_id = args.validation_id.clone();
    opts.platform = args.platform.clone();
    opts.extended_length = args.platform == "ios";
    opts.authorization = args.authorization.clone();
    opts.session_timeout = Duration::from_secs(args.timeout.max(1));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let out = runtime
        .block_on(run_phone(&mut chip, &opts))
        .map_err(|e| e.to_string())?;
    Ok(report(&out))
}

/// Prints the statuses and the close code on stderr; returns the stdout line and success.
pub fn report(out: &emrtd_phone::PhoneOutcome) -> (String, bool) {
    for s in &out.statuses {
        eprintln!("status: {s}");
    }
    let code = out.code();
    let reason = out
        .close_reason
        .clone()
        .or_else(|| out.text_close.as_ref().and_then(|t| t.1.clone()));
    match (code, reason) {
        (Some(c), Some(r)) => eprintln!("close code: {c} ({r})"),
        (Some(c), None) => eprintln!("close code: {c}"),
        (None, _) => eprintln!("close code: none (the connection ended without one)"),
    }
    eprintln!("APDUs relayed: {}", out.apdus);
    let text = match &out.result {
        Some(r) => serde_json::json!({ "emrtd_passport": r }).to_string() + "\n",
        None => String::new(),
    };
    (text, code == Some(1000))
}
