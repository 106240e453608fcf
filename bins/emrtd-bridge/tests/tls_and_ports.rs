//! Issue 18 points 5 and 6: `wss://` on both interfaces with the certificate of
//! `emrtd-bridge make-localhost-cert`, checked by a client that trusts only that certificate;
//! the Sinosecu port that cannot be bound leaves the AusweisApp interface running with advice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use emrtd_bridge::ausweisapp::{self, AusweisConfig, AusweisService};
use emrtd_bridge::sinosecu::{self, SinosecuConfig, SinosecuService};
use futures_util::StreamExt;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!("bridge-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A TLS connector trusting only `cert` (PEM).
fn connector(cert: &Path) -> tokio_rustls::TlsConnector {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let pem = std::fs::read_to_string(cert).unwrap();
    let der = pem.lines().filter(|l| !l.starts_with("-----")).collect::<String>();
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD.decode(der).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(rustls::pki_types::CertificateDer::from(der)).unwrap();
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// Opens `wss://{host}:{port}{path}` over TLS verified for `host`; returns the first message.
async fn wss_first_message(connector: &tokio_rustls::TlsConnector, host: &str, port: u16, path: &str) -> Value {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from(host.to_string()).unwrap();
    let tls = connector.connect(name, tcp).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(format!("wss://{host}:{port}{path}"), tls)
        .await
        .unwrap();
    loop {
        match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return serde_json::from_str(t.as_str()).unwrap(),
            Ok(Some(Ok(_))) => continue,
            other => panic!("no message: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wss_on_both_interfaces_with_the_made_localhost_certificate() {
    let dir = TempDir::new("tls");
    // The command writes the certificate and tells how to trust it.
    let out = Command::new(env!("CARGO_BIN_EXE_emrtd-bridge"))
        .arg("make-localhost-cert")
        .arg(&dir.0)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("update-ca-certificates"), "{text}");
    assert!(text.contains("--tls-cert"), "{text}");
    let cert = dir.0.join("localhost.pem");
    let key = dir.0.join("localhost-key.pem");
    assert!(std::fs::read_to_string(&cert).unwrap().contains("BEGIN CERTIFICATE"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o077, 0);
    }
    let tls = emrtd_bridge::load_tls(&cert, &key).await.unwrap();

    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sino_port = l.local_addr().unwrap().port();
    let (t, s) = (tls.clone(), SinosecuService::new(SinosecuConfig::default()));
    tokio::spawn(async move { sinosecu::serve_tls(l, s, Some(t), std::future::pending()).await });
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let aa_port = l.local_addr().unwrap().port();
    let s = AusweisService::new(AusweisConfig::default());
    tokio::spawn(async move { ausweisapp::serve_tls(l, s, Some(tls), std::future::pending()).await });

    let c = connector(&cert);
    // Both names the manual and the SDK use: 127.0.0.1 and localhost.
    let hello = wss_first_message(&c, "127.0.0.1", sino_port, "/echo").await;
    assert_eq!(hello["Command"], "Display", "{hello}");
    let hello = wss_first_message(&c, "localhost", sino_port, "/echo").await;
    assert_eq!(hello["Operand"], "RealtimeMessage", "{hello}");
    let reader = wss_first_message(&c, "127.0.0.1", aa_port, "/eID-Kernel").await;
    assert_eq!(reader["msg"], "READER", "{reader}");

    // A client trusting another certificate refuses the server.
    let other = TempDir::new("tls-other");
    emrtd_bridge::make_localhost_cert(&other.0).unwrap();
    let wrong = connector(&other.0.join("localhost.pem"));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", sino_port)).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    assert!(wrong.connect(name, tcp).await.is_err());
    // Plain ws:// to the wss port gets no WebSocket.
    let plain = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{sino_port}/echo")),
    )
    .await;
    assert!(!matches!(plain, Ok(Ok(_))));
}

/// The binary, killed when dropped.
struct Bridge(Child);

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `cmd` and collects stderr lines until one contains each of `wanted` (or the
/// process ends); returns the lines.
fn start_and_read(mut cmd: Command, wanted: &[&str]) -> (Bridge, Vec<String>) {
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let bridge = Bridge(child);
    let wanted: Vec<String> = wanted.iter().map(|s| s.to_string()).collect();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines: Vec<String> = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            lines.push(line);
            if wanted.iter().all(|w| lines.iter().any(|l| l.contains(w.as_str()))) {
                break;
            }
        }
        let _ = tx.send(lines);
    });
    let lines = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    (bridge, lines)
}

fn ausweisapp_url(lines: &[String]) -> String {
    lines
        .iter()
        .find_map(|l| l.strip_prefix("AusweisApp SDK interface: "))
        .unwrap_or_else(|| panic!("no AusweisApp URL in {lines:?}"))
        .to_string()
}

async fn still_serves(url: &str) {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
        Ok(Some(Ok(Message::Text(t)))) => assert!(t.as_str().contains("READER"), "{t}"),
        other => panic!("no READER: {other:?}"),
    }
}

fn bridge_cmd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_emrtd-bridge"));
    c.args(["--no-pcsc", "--port", "0"]);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sinosecu_port_in_use_leaves_the_ausweisapp_interface_running() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let mut cmd = bridge_cmd();
    cmd.args(["--sinosecu-port", &port]);
    let (bridge, lines) = start_and_read(cmd, &["AusweisApp SDK interface", "Sinosecu interface cannot listen"]);
    let advice = lines.iter().find(|l| l.contains("cannot listen")).unwrap();
    assert!(advice.contains("--sinosecu-port"), "{advice}");
    assert!(advice.contains("keeps running"), "{advice}");
    still_serves(&ausweisapp_url(&lines)).await;
    drop(bridge);
}

/// `--sinosecu` listens on port 90; without the privilege the advice names `setcap
/// cap_net_bind_service` and `--sinosecu-port`. Run unprivileged (as `nobody` through
/// `setpriv` when the tests run as root).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_90_without_privilege_says_how_to_fix_it() {
    let start = std::fs::read_to_string("/proc/sys/net/ipv4/ip_unprivileged_port_start")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .unwrap_or(1024);
    if start <= 90 {
        println!("SKIP port 90 test: unprivileged programs may bind port 90 here (ip_unprivileged_port_start={start})");
        return;
    }
    let root = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
    let exe = env!("CARGO_BIN_EXE_emrtd-bridge");
    let mut cmd = if root {
        if !Path::new("/usr/bin/setpriv").exists() {
            println!("SKIP port 90 test: running as root and setpriv (util-linux) is missing");
            return;
        }
        // The binary must be reachable for `nobody`.
        let reachable = Command::new("/usr/bin/setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", exe, "--version"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !reachable {
            println!("SKIP port 90 test: `nobody` cannot run {exe}");
            return;
        }
        let mut c = Command::new("/usr/bin/setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", exe]);
        c
    } else {
        Command::new(exe)
    };
    cmd.args(["--no-pcsc", "--port", "0", "--sinosecu"]);
    let (bridge, lines) = start_and_read(cmd, &["AusweisApp SDK interface", "Sinosecu interface cannot listen"]);
    let advice = lines.iter().find(|l| l.contains("cannot listen")).unwrap();
    assert!(advice.contains(":90"), "{advice}");
    assert!(advice.contains("setcap cap_net_bind_service=+ep"), "{advice}");
    assert!(advice.contains("--sinosecu-port"), "{advice}");
    still_serves(&ausweisapp_url(&lines)).await;
    drop(bridge);
}
