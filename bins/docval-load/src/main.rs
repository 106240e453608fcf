//! `docval-load`: N simulated phones against a DocVal server on 127.0.0.1.
//!
//! Spawn a release server and measure it:
//! `cargo build --release -p docval-server -p docval-load && target/release/docval-load --spawn-server target/release/docval-server --sessions 300 --concurrency 50`
//!
//! 5,000 concurrent sessions idle at APDU waits need a round trip long enough for the sessions
//! to overlap and the server's APDU and session timeouts raised accordingly (see BENCHMARKS.md,
//! "Concurrency and memory"): `--sessions 5000 --concurrency 5000 --rtt-ms 3000 --ramp-up-ms 90000`
//! against a server started with `response_timeout_ms = 20000` and `session_timeout_ms = 400000`,
//! under `ulimit -n 20000`.
#![forbid(unsafe_code)]

use clap::Parser;
use docval_load::{LoadConfig, Protocol, run_load};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "docval-load", about = "Load generator for docval-server (127.0.0.1 only)")]
struct Cli {
    /// URL of a running server (ws://127.0.0.1:PORT/ws1/validate, or …/ws2/validate with
    /// `--protocol v2`).
    #[arg(long)]
    server: Option<String>,
    /// Protocol of the phones: v1 (the server reads the chip through the phone) or v2 (the
    /// phone reads the chip; chip authentication relayed).
    #[arg(long, value_enum, default_value = "v1")]
    protocol: ProtocolArg,
    /// The pid of that server, for CPU and memory figures.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Start this docval-server binary on 127.0.0.1 instead (its CPU and memory are measured).
    #[arg(long)]
    spawn_server: Option<PathBuf>,
    #[arg(long, default_value = "YOUR CLIENT ID")]
    client_id: String,
    /// Fixture document directory.
    #[arg(long, default_value = "fixtures/documents/ref-1")]
    fixture: PathBuf,
    #[arg(long, default_value_t = 100)]
    sessions: usize,
    #[arg(long, default_value_t = 50)]
    concurrency: usize,
    /// Simulated network round trip in milliseconds: per APDU (v1), per message the phone
    /// waits an answer for (v2).
    #[arg(long, default_value_t = 0)]
    rtt_ms: u64,
    #[arg(long, default_value_t = 0)]
    ramp_up_ms: u64,
    /// v2: milliseconds each phone spends reading the chip locally after ACCEPT (the session
    /// waits idle on the server meanwhile, as real v2 sessions do).
    #[arg(long, default_value_t = 0)]
    phone_read_ms: u64,
    /// Upper bound of the whole run, in seconds.
    #[arg(long, default_value_t = 600)]
    max_seconds: u64,
    /// Use short APDUs (Android-like) instead of extended length (v2: the Android phone
    /// instead of the iOS one).
    #[arg(long)]
    short: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ProtocolArg {
    V1,
    V2,
}

fn free_port() -> Option<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()
        .map(|a| a.port())
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let document = match emrtd_sim::Document::from_dir(&cli.fixture) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("docval-load: fixture {}: {e}", cli.fixture.display());
            return ExitCode::from(2);
        }
    };
    let mut child = None;
    let (url, pid) = match (&cli.server, &cli.spawn_server) {
        (Some(url), None) => (url.clone(), cli.server_pid),
        (None, Some(bin)) => {
            let Some(port) = free_port() else {
                eprintln!("docval-load: no free port on 127.0.0.1");
                return ExitCode::from(2);
            };
            let c = match std::process::Command::new(bin)
                .arg("--listen")
                .arg(format!("127.0.0.1:{port}"))
                // The virtual documents are signed by the test PKI, trusted only on request.
                .arg("--test-pki")
                .env("RUST_LOG", "warn")
                .stdout(std::process::Stdio::null())
                .spawn()
            {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("docval-load: cannot start {}: {e}", bin.display());
                    return ExitCode::from(2);
                }
            };
            let pid = c.id();
            child = Some(c);
            // Wait until it listens.
            for _ in 0..100 {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let path = match cli.protocol {
                ProtocolArg::V1 => "ws1",
                ProtocolArg::V2 => "ws2",
            };
            (format!("ws://127.0.0.1:{port}/{path}/validate"), Some(pid))
        }
        _ => {
            eprintln!("docval-load: give either --server URL or --spawn-server PATH");
            return ExitCode::from(2);
        }
    };
    let cfg = LoadConfig {
        url,
        protocol: match cli.protocol {
            ProtocolArg::V1 => Protocol::V1,
            ProtocolArg::V2 => Protocol::V2,
        },
        client_id: cli.client_id,
        sessions: cli.sessions,
        concurrency: cli.concurrency,
        rtt: Duration::from_millis(cli.rtt_ms),
        phone_read: Duration::from_millis(cli.phone_read_ms),
        ramp_up: Duration::from_millis(cli.ramp_up_ms),
        max_duration: Duration::from_secs(cli.max_seconds),
        extended_length: !cli.short,
    };
    let result = run_load(&cfg, document, pid).await;
    if let Some(mut c) = child {
        let _ = c.kill();
        let _ = c.wait();
    }
    match result {
        Ok(r) => {
            println!("{}", r.summary());
            if r.errors() == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("docval-load: {e}");
            ExitCode::from(2)
        }
    }
}
