//! `emrtd-bridge`: serves the AusweisApp SDK interface (and, with `--sinosecu`, the Sinosecu
//! passport-reader interface) on 127.0.0.1; `emrtd-bridge make-localhost-cert DIR` writes a
//! self-signed certificate for `wss://`.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use emrtd_bridge::ausweisapp::{self, AusweisConfig, AusweisService};
use emrtd_bridge::origin::OriginPolicy;
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
    #[command(subcommand)]
    command: Option<Command>,
    /// Address to listen on (keep it on the loopback interface).
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    address: IpAddr,
    /// AusweisApp SDK port (ws://ADDRESS:PORT/eID-Kernel); 0 picks a free port.
    #[arg(long, default_value_t = ausweisapp::DEFAULT_PORT)]
    port: u16,
    /// A web page origin allowed to connect to either interface (repeatable): exact
    /// (`https://desk.example.com`), a pattern (`https://*.example.com`), or `null` (file://
    /// pages). Every other page gets HTTP 403; programs that send no Origin are not web pages.
    #[arg(long = "allow-origin")]
    allow_origin: Vec<String>,
    /// PEM certificate (chain) for wss:// on both interfaces (with --tls-key; see
    /// `make-localhost-cert`).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<std::path::PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<std::path::PathBuf>,
    /// The Simulator reader has a PIN pad (AusweisApp2 1.26.2 behaviour: no PIN/CAN asked).
    #[arg(long)]
    simulator_keypad: bool,
    /// Do not use the machine's PC/SC readers (AusweisApp: only the Simulator; Sinosecu: only
    /// the virtual document).
    #[arg(long)]
    no_pcsc: bool,
    /// Also serve the Sinosecu passport-reader interface on port 90 (ws://ADDRESS:90/echo),
    /// where the vendor's pages connect.
    #[arg(long)]
    sinosecu: bool,
    /// The Sinosecu interface's port (implies --sinosecu; 0 picks a free port).
    #[arg(long)]
    sinosecu_port: Option<u16>,
    /// Sinosecu connections served at the same time (more get HTTP 429).
    #[arg(long, default_value_t = 1)]
    sinosecu_connections: usize,
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

#[derive(Subcommand)]
enum Command {
    /// Write a self-signed certificate for localhost / 127.0.0.1 / ::1 to DIR (localhost.pem,
    /// localhost-key.pem) and print how to trust it.
    MakeLocalhostCert { dir: std::path::PathBuf },
}

fn make_cert(dir: &std::path::Path) -> ExitCode {
    match emrtd_bridge::make_localhost_cert(dir) {
        Ok((cert, key)) => {
            let c = cert.display();
            println!("certificate: {c}\nprivate key: {}", key.display());
            println!();
            println!(
                "Serve with:  emrtd-bridge --tls-cert {c} --tls-key {} [--sinosecu]",
                key.display()
            );
            println!();
            println!("Trust it on this machine (browsers then accept wss://127.0.0.1:PORT/…):");
            println!("  Debian/Ubuntu: sudo cp {c} /usr/local/share/ca-certificates/emrtd-bridge-localhost.crt");
            println!("                 sudo update-ca-certificates");
            println!(
                "  Chromium/Chrome (Linux, NSS): certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n emrtd-bridge -i {c}"
            );
            println!(
                "  Firefox: Settings > Privacy & Security > Certificates > View Certificates > Authorities > Import {c}"
            );
            println!("  Windows: certutil -addstore -user Root {c}");
            println!(
                "  macOS: sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain {c}"
            );
            println!("Keep the private key on this machine only.");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("emrtd-bridge: {e}");
            ExitCode::from(2)
        }
    }
}

/// What to do when the Sinosecu port cannot be bound.
fn sinosecu_bind_advice(addr: SocketAddr, e: &std::io::Error) -> String {
    let how = match e.kind() {
        std::io::ErrorKind::PermissionDenied => format!(
            "ports below 1024 need a privilege: allow this program once with \
             `sudo setcap cap_net_bind_service=+ep {}`, or choose another port with --sinosecu-port \
             (the vendor's page also knows 91 and 8000)",
            std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| "emrtd-bridge".into())
        ),
        std::io::ErrorKind::AddrInUse => {
            "another program listens there (the vendor's service?): stop it, or choose another port with \
             --sinosecu-port"
                .to_string()
        }
        _ => "choose another port with --sinosecu-port".to_string(),
    };
    format!(
        "emrtd-bridge: the Sinosecu interface cannot listen on {addr}: {e}; {how}. The AusweisApp interface keeps running."
    )
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::MakeLocalhostCert { dir }) = &cli.command {
        return make_cert(dir);
    }
    let origins = match OriginPolicy::new(&cli.allow_origin) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("emrtd-bridge: --allow-origin: {e}");
            return ExitCode::from(2);
        }
    };
    let tls = match (&cli.tls_cert, &cli.tls_key) {
        (Some(cert), Some(key)) => match emrtd_bridge::load_tls(cert, key).await {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!(
                    "emrtd-bridge: TLS certificate {} / key {}: {e}",
                    cert.display(),
                    key.display()
                );
                return ExitCode::from(2);
            }
        },
        _ => None,
    };
    let scheme = if tls.is_some() { "wss" } else { "ws" };
    let service = AusweisService::new(AusweisConfig {
        origins: origins.clone(),
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
        Ok(a) => eprintln!("AusweisApp SDK interface: {scheme}://{a}/eID-Kernel"),
        Err(e) => eprintln!("emrtd-bridge: {e}"),
    }
    let sinosecu_port = cli.sinosecu_port.or(cli.sinosecu.then_some(sinosecu::DEFAULT_PORT));
    if let Some(port) = sinosecu_port {
        let trust = match trust_store(&cli) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("emrtd-bridge: trust store: {e}");
                return ExitCode::from(2);
            }
        };
        let addr = SocketAddr::new(cli.address, port);
        match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => {
                if let Ok(a) = listener.local_addr() {
                    eprintln!("Sinosecu reader interface: {scheme}://{a}/echo");
                }
                let service = sinosecu::SinosecuService::new(sinosecu::SinosecuConfig {
                    document: cli.document.clone(),
                    access_key: cli.access_key.clone(),
                    pcsc: !cli.no_pcsc,
                    trust: std::sync::Arc::new(trust),
                    origins: origins.clone(),
                    max_connections: cli.sinosecu_connections,
                });
                let tls = tls.clone();
                tokio::spawn(async move {
                    if let Err(e) = sinosecu::serve_tls(listener, service, tls, std::future::pending()).await {
                        eprintln!("emrtd-bridge: Sinosecu interface: {e}");
                    }
                });
            }
            Err(e) => eprintln!("{}", sinosecu_bind_advice(addr, &e)),
        }
    }
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match ausweisapp::serve_tls(listener, service, tls, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("emrtd-bridge: {e}");
            ExitCode::FAILURE
        }
    }
}
