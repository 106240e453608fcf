#![forbid(unsafe_code)]
//! kyc-gateway command line.

use clap::Parser;
use kyc_gateway::config::Config;
use kyc_gateway::{AppState, serve};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    name = "kyc-gateway",
    version,
    about = "Veriff-compatible KYC API with NFC chip verification"
)]
struct Cli {
    /// TOML configuration file.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Listen address (env LISTEN).
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
    /// Database URL: sqlite://FILE?mode=rwc or postgres://… (env DATABASE_URL).
    #[arg(long)]
    database_url: Option<String>,
}

async fn run(cli: Cli) -> Result<(), String> {
    let mut config = Config::default();
    if let Some(p) = &cli.config {
        let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
        config
            .apply_toml(&text, &p.display().to_string())
            .map_err(|e| e.to_string())?;
    }
    config.apply_env(|k| std::env::var(k).ok()).map_err(|e| e.to_string())?;
    if let Some(l) = cli.listen {
        config.listen = l;
    }
    if let Some(d) = cli.database_url {
        config.database_url = d;
    }
    if config.integrations.is_empty() {
        return Err("no integrations configured (--config or GATEWAY_INTEGRATIONS=key:secret)".into());
    }
    let listen = config.listen;
    let state = Arc::new(AppState::new(config).await.map_err(|e| e.to_string())?);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("{listen}: {e}"))?;
    tracing::info!(%listen, "kyc-gateway listening");
    serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kyc-gateway: {e}");
            ExitCode::FAILURE
        }
    }
}
