//! `docval-server`: the DocVal WebSocket API server.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use docval_server::config::Config;
use docval_server::{AppState, serve, trust};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "docval-server",
    version,
    about = "DocVal WebSocket API: verifies ICAO 9303 documents through a phone relaying APDUs"
)]
struct Cli {
    /// Address to listen on (env LISTEN; default 0.0.0.0:8080).
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// A TOML configuration file.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Also trust the TEST PKI of fixtures/pki (virtual documents; its private keys are public).
    /// Env DOCVAL_TEST_PKI=true, TOML [trust] test_pki = true.
    #[arg(long)]
    test_pki: bool,
    /// A master list whose certificates are trusted WITHOUT verifying its signature against a
    /// root (repeatable; env TRUST_UNVERIFIED_MASTER_LISTS, TOML unverified_master_lists).
    #[arg(long = "trust-unverified-masterlist", value_name = "PATH")]
    trust_unverified_masterlist: Vec<PathBuf>,
    /// Do not trust the embedded DE/NL master lists (env TRUST_EMBEDDED_MASTER_LISTS=false).
    #[arg(long)]
    no_embedded_master_lists: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server on embedded defaults on 127.0.0.1, read the REF-1 virtual passport
    /// through a virtual phone, print the verified result (JSON on stdout).
    Demo {
        /// Another fixture document directory.
        #[arg(long)]
        fixture: Option<PathBuf>,
    },
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: no new sessions, running sessions finish");
}

fn load_config(cli: &Cli) -> Result<Config, String> {
    let mut cfg = Config::default();
    if let Some(path) = &cli.config {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        cfg.apply_toml(&text, &path.display().to_string())
            .map_err(|e| e.to_string())?;
    }
    cfg.apply_env(|k| std::env::var(k).ok()).map_err(|e| e.to_string())?;
    if let Some(l) = cli.listen {
        cfg.listen = l;
    }
    if cli.test_pki {
        cfg.trust.test_pki = true;
    }
    if !cli.trust_unverified_masterlist.is_empty() {
        cfg.trust.unverified_master_lists = cli.trust_unverified_masterlist.clone();
    }
    if cli.no_embedded_master_lists {
        cfg.trust.embedded_master_lists = false;
    }
    Ok(cfg)
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Demo { fixture }) = &cli.command {
        let fixture = fixture.clone().unwrap_or_else(docval_server::demo::default_fixture);
        return ExitCode::from(docval_server::demo::run(&fixture).await);
    }
    docval_server::init_logging();
    let cfg = match load_config(&cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("docval-server: configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let (store, report) = match trust::load(&cfg.trust) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("docval-server: trust store: {e}");
            return ExitCode::from(2);
        }
    };
    for n in &report.notes {
        tracing::info!("trust store: {n}");
    }
    for m in &report.master_lists {
        tracing::info!(
            source = %m.source,
            verified = m.verified,
            trusted_unverified = m.trusted_unverified,
            certificates_added = m.added,
            issued = m.issued.map(emrtd_trust::format_time).unwrap_or_default(),
            next_update = m.next_update.map(emrtd_trust::format_time).unwrap_or_default(),
            stale = m.stale,
            "master list"
        );
    }
    for w in &report.warnings {
        tracing::warn!("trust store: {w}");
    }
    if report.certificates == 0 {
        tracing::warn!("trust store: no trusted CSCA certificate: every document fails passive authentication");
    }
    let listen = cfg.listen;
    let state = match AppState::new(cfg, store) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("docval-server: {e}");
            return ExitCode::from(2);
        }
    };
    state.metrics.set_trust(&report);
    if let Some((cert, key)) = state.config.tls.clone() {
        let listener = match std::net::TcpListener::bind(listen) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("docval-server: cannot listen on {listen}: {e}");
                return ExitCode::from(2);
            }
        };
        tracing::info!(%listen, "docval-server listening (TLS)");
        return match docval_server::serve_tls(listener, state, &cert, &key, shutdown_signal()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("docval-server: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("docval-server: cannot listen on {listen}: {e}");
            return ExitCode::from(2);
        }
    };
    tracing::info!(%listen, certificates = report.certificates, crls = report.crls, "docval-server listening");
    match serve(listener, state, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("docval-server: {e}");
            ExitCode::FAILURE
        }
    }
}
