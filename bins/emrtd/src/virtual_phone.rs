//! `emrtd virtual-phone`: a virtual chip (fixture directory) presented to a DocVal server as a
//! client device, exactly as the phone SDKs do. Statuses and the close code go to stderr, the
//! result (`{"emrtd_passport":…}`) as one JSON line to stdout; success only for close code 1000.
//!
//! `--protocol v2` speaks DocVal WebSocket API v2 (`/ws2/validate`) as today's SDKs do: the
//! phone reads the chip itself and hands its secure messaging over for chip authentication;
//! the result is printed as `{"passport":…}`.

use clap::Args;
use emrtd_phone::{Access, PhoneOptions, PhoneV2Options, Platform, run_phone, run_phone_v2};
use emrtd_sim::VirtualChip;
use std::path::PathBuf;
use std::time::Duration;

/// The DocVal WebSocket API version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    /// `/ws1/validate`: the server reads the chip through the phone (deprecated by the vendor).
    V1,
    /// `/ws2/validate`: the phone reads the chip; the server does chip authentication.
    V2,
}

#[derive(Args, Debug)]
pub struct VirtualPhoneArgs {
    /// DocVal server WebSocket URL, e.g. ws://127.0.0.1:8080/ws1/validate (v1) or
    /// ws://127.0.0.1:8080/ws2/validate (v2).
    #[arg(long)]
    pub server: String,
    /// Protocol version.
    #[arg(long, value_enum, default_value = "v1")]
    pub protocol: Protocol,
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
    /// Ask the server to return the result over the WebSocket (v2: FINISH `sendResult`).
    #[arg(long)]
    pub return_result: bool,
    /// Client validation id.
    #[arg(long, default_value = "00000000-0000-4000-8000-000000000000")]
    pub validation_id: String,
    /// `android` (short APDUs) or `ios` (extended length).
    #[arg(long, default_value = "android")]
    pub platform: String,
    /// v2: the Android phone's NFC adapter supports extended length (iOS always claims it).
    #[arg(long)]
    pub extended_length: bool,
    /// v2: enableDiagnostics, with a MONITORING frame at each reading step.
    #[arg(long)]
    pub diagnostics: bool,
    /// v2: simulated network round trip in milliseconds for each message the phone waits an
    /// answer for (START, CA_HANDOVER, each relayed APDU).
    #[arg(long, default_value_t = 0)]
    pub link_delay_ms: u64,
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
    if args.protocol == Protocol::V2 {
        return run_v2(args, &mut chip, access);
    }
    let mut opts = PhoneOptions::new(&args.server, &args.client_id, access);
    opts.return_result = args.return_result;
    opts.validation_id = args.validation_id.clone();
    opts.platform = args.platform.clone();
    opts.extended_length = args.platform == "ios";
    opts.authorization = args.authorization.clone();
    opts.session_timeout = Duration::from_secs(args.timeout.max(1));
    let out = runtime()?
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

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))
}

/// `--protocol v2`: the options of the chosen SDK.
pub fn v2_options(args: &VirtualPhoneArgs, access: Access) -> Result<PhoneV2Options, String> {
    let platform = Platform::from_name(&args.platform)
        .ok_or_else(|| format!("--platform: expected android or ios, got {:?}", args.platform))?;
    let mut opts = PhoneV2Options::new(&args.server, &args.client_id, access, platform);
    opts.send_result = args.return_result;
    opts.validation_id = args.validation_id.clone();
    opts.nfc_extended_length = platform == Platform::Ios || args.extended_length;
    opts.enable_diagnostics = args.diagnostics;
    opts.authorization = args.authorization.clone();
    opts.link_delay = Duration::from_millis(args.link_delay_ms);
    opts.session_timeout = Duration::from_secs(args.timeout.max(1));
    Ok(opts)
}

fn run_v2(args: &VirtualPhoneArgs, chip: &mut VirtualChip, access: Access) -> Result<(String, bool), String> {
    let opts = v2_options(args, access)?;
    let out = runtime()?
        .block_on(run_phone_v2(chip, &opts))
        .map_err(|e| e.to_string())?;
    Ok(report_v2(&out))
}

/// v2: the phone's steps and the close code on stderr; returns the stdout line
/// (`{"passport":…}`) and success (close code 1000).
pub fn report_v2(out: &emrtd_phone::PhoneV2Outcome) -> (String, bool) {
    match &out.access {
        Some(emrtd_reader::AccessProtocol::Bac) => eprintln!("access control (on the phone): BAC"),
        Some(emrtd_reader::AccessProtocol::Pace { protocol, cam }) => {
            eprintln!(
                "access control (on the phone): PACE {protocol}{}",
                if *cam { " (CAM)" } else { "" }
            )
        }
        None => {}
    }
    if out.handed_over {
        let check = out
            .check_result
            .map(|c| format!("{c:?}").to_uppercase())
            .unwrap_or_else(|| "no handback".into());
        eprintln!(
            "chip authentication handed over: {} APDUs relayed, handback {check}",
            out.relayed_apdus
        );
    }
    if out.server_dg1.is_some() {
        eprintln!("dg1 received from the server");
    }
    eprintln!("files uploaded: {}", out.uploaded.join(", "));
    if out.aa_signature_sent {
        eprintln!("active authentication signature sent");
    }
    for n in &out.notes {
        eprintln!("note: {n}");
    }
    if let Some((code, reason)) = &out.client_close {
        eprintln!("the phone closed the session: {code} {reason}");
    }
    if let Some(e) = &out.local_error {
        eprintln!("phone error: {e}");
    }
    let code = out.code();
    match (code, out.reason()) {
        (Some(c), Some(r)) => eprintln!("close code: {c} ({r})"),
        (Some(c), None) => eprintln!("close code: {c}"),
        (None, _) => eprintln!("close code: none (the connection ended without one)"),
    }
    eprintln!(
        "round trips over the network: {}; chip APDUs on the phone: {}; {:.0} ms",
        out.round_trips,
        out.local_apdus,
        out.elapsed.as_secs_f64() * 1000.0
    );
    let text = match &out.result {
        Some(r) => serde_json::json!({ "passport": r }).to_string() + "\n",
        None => String::new(),
    };
    (text, code == Some(1000))
}
