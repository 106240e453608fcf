//! `emrtd-bridge`: serves the AusweisApp SDK interface (and, with `--sinosecu-port`, the
//! Sinosecu passport-reader interface) on 127.0.0.1.
#![forbid(unsafe_code)]

use clap::Parser;
use emrtd_bridge::ausweisapp::{self, AusweisConfig, AusweisService};
use emrtd_bridge::sinosecu;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "emrtd-bridge",
    version,
    about = "AusweisApp SDK and Sinosecu reader WebSocket interfaces"
)]
struct Cli {
    /// Address to listen on (keep it on the loopback interface).
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    address: IpAddr,
    /// AusweisApp SDK port (ws://ADDRESS:PORT/eID-Kernel); 0 picks a free port.
    #[arg(long, default_value_t = ausweisapp::DEFAULT_PORT)]
    port: u16,
    /// An Origin allowed to connect (repeatable); others get HTTP 403.
    #[arg(long = "allow-origin")]
    allow_origin: Vec<String>,
    /// The Simulator reader has a PIN pad (AusweisApp2 1.26.2 behaviour: no PIN/CAN asked).
    #[arg(long)]
    simulator_keypad: bool,
    /// Do not use the machine's PC/SC readers (AusweisApp: only the Simulator; Sinosecu: only
    /// the virtual document).
    #[arg(long)]
    no_pcsc: bool,
    /// Also serve the Sinosecu passport-reader interface (ws://ADDRESS:PORT/echo; the vendor
    /// uses 90).
    #[arg(long)]
    sinosecu_port: Option<u16>,
    /// A virtual document on the Sinosecu reader (fixture directory, e.g. fixtures/documents/ref-1).
    #[arg(long)]
    document: Option<std::path::PathBuf>,
    /// Access key for the Sinosecu reader: MRZ lines or a CAN (else `Set AccessKey`, else the
    /// virtual document's printed MRZ).
    #[arg(long)]
    access_key: Option<String>,
    /// CSCA certificates or directories of them for passive authentication of the documents
    /// the Sinosecu interface reads (repeatable), in addition to the embedded DE/NL master
    /// lists (and to TRUST_CSCA / TRUST_MASTER_LISTS / TRUST_MASTER_LIST_ROOTS / TRUST_CRLS).
    #[arg(long)]
    csca: Vec<std::path::PathBuf>,
    /// Also trust the TEST PKI of fixtures/pki (virtual documents; its private keys are public;
    /// env DOCVAL_TEST_PKI=true).
    #[arg(long)]
    test_pki: bool,
    /// A master list whose certificates are trusted WITHOUT verifying it against a root
    /// (repeatable; env TRUST_UNVERIFIED_MASTER_LISTS).
    #[arg(long = "trust-unverified-masterlist", value_name = "PATH")]
    trust_unverified_masterlist: Vec<std::path::PathBuf>,
    /// Do not trust the embedded DE/NL master lists (env TRUST_EMBEDDED_MASTER_LISTS=false).
    #[arg(long)]
    no_embedded_master_lists: bool,
}

/// The trust store of the Sinosecu interface: the shared defaults of `emrtd-trust` (embedded
/// DE/NL master lists; the test PKI only on request), the environment, then the arguments.
fn trust_store(cli: &Cli) -> Result<emrtd_pa::TrustStore, String> {
    let mut sources = emrtd_trust::TrustSources::from_env().map_err(|e| e.to_string())?;
    sources.certificates.extend(cli.csca.iter().cloned());
    sources
        .unverified_master_lists
        .extend(cli.trust_unverified_masterlist.iter().cloned());
    if cli.test_pki {
        sources.test_pki = true;
    }
    if cli.no_embedded_master_lists {
        sources.embedded_master_lists = false;
    }
    let (store, report) = emrtd_trust::load(&sources, emrtd_trust::now()).map_err(|e| e.to_string())?;
    for w in &report.warnings {
        eprintln!("emrtd-bridge: trust store: {w}");
    }
    eprintln!(
        "emrtd-bridge: trust store: {} CSCA certificates (embedded master lists: {}, test PKI: {})",
        report.certificates, report.embedded_master_lists, report.test_pki
    );
    Ok(store)
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let service = AusweisService::new(AusweisConfig {
        allowed_origins: cli.allow_origin.clone(),
        simulator_keypad: cli.simulator_keypad,
        pcsc: !cli.no_pcsc,
    });
    let addr = SocketAddr::new(cli.address, cli.port);
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("emrtd-bridge: cannot listen on {addr}: {e}");
            return ExitCode::from(2);
        }
    };
    match listener.local_addr() {
        Ok(a) => eprintln!("AusweisApp SDK interface: ws://{a}/eID-Kernel"),
        Err(e) => eprintln!("emrtd-bridge: {e}"),
    }
    if let Some(port) = cli.sinosecu_port {
        let trust = match trust_store(&cli) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("emrtd-bridge: trust store: {e}");
                return ExitCode::from(2);
            }
        };
        let addr = SocketAddr::new(cli.address, port);
        let listener = match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("emrtd-bridge: cannot listen on {addr}: {e}");
                return ExitCode::from(2);
            }
        };
        if let Ok(a) = listener.local_addr() {
            eprintln!("Sinosecu reader interface: ws://{a}/echo");
        }
        let service = sinosecu::SinosecuService::new(sinosecu::SinosecuConfig {
            document: cli.document.clone(),
            access_key: cli.access_key.clone(),
            pcsc: !cli.no_pcsc,
            trust: std::sync::Arc::new(trust),
        });
        tokio::spawn(async move {
            if let Err(e) = sinosecu::serve(listener, service, std::future::pending()).await {
                eprintln!("emrtd-bridge: Sinosecu interface: {e}");
            }
        });
    }
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match ausweisapp::serve(listener, service, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("emrtd-bridge: {e}");
            ExitCode::FAILURE
        }
    }
}
