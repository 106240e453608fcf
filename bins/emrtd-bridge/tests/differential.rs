//! Differential test: the same scripted commands (the recorded transcript, API level 2, and a
//! RUN_CHANGE_PIN with the Simulator) go to Debian's real AusweisApp2 and to emrtd-bridge; the
//! messages must be equal except for the documented differences (INFO's version information,
//! readers other than the Simulator, and the interleaving of READER
//! messages with a workflow's result, which is timing-dependent in AusweisApp2). Skipped with a printed reason
//! when AusweisApp2 is not installed (`.ci/ausweisapp-deps.sh` installs it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{normalize, replay, start_bridge, transcript};
use emrtd_bridge::ausweisapp::AusweisConfig;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// AusweisApp2 sends READER messages from its reader thread: when a workflow ends, the
/// Simulator's card-removed READER comes before or after the workflow's result depending on
/// timing (the recorded transcript has it after; runs on a loaded machine show it before). The
/// comparison keeps the order of the READER messages and of the other messages, not their
/// interleaving.
fn reader_order(msgs: Vec<String>) -> (Vec<String>, Vec<String>) {
    msgs.into_iter().partition(|m| m.contains(r#""msg":"READER""#))
}

fn find_ausweisapp() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("AUSWEISAPP2") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("AusweisApp2"))
        .find(|p| p.is_file())
}

/// Kills the AusweisApp2 process this test started.
struct Started(Child);

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bridge_answers_like_ausweisapp2() {
    let Some(bin) = find_ausweisapp() else {
        eprintln!("SKIPPED bridge_answers_like_ausweisapp2: AusweisApp2 is not installed (run .ci/ausweisapp-deps.sh)");
        return;
    };
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let runtime_dir = std::env::temp_dir().join(format!("ausweisapp-test-{}", std::process::id()));
    std::fs::create_dir_all(&runtime_dir).unwrap();
    let child = Command::new(&bin)
        .args([
            "--ui",
            "websocket",
            "--port",
            &port.to_string(),
            "--address",
            "127.0.0.1",
            "--no-proxy",
        ])
        .env("QT_QPA_PLATFORM", "offscreen")
        .env("XDG_RUNTIME_DIR", &runtime_dir)
        .env("HOME", &runtime_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(child) = child else {
        eprintln!(
            "SKIPPED bridge_answers_like_ausweisapp2: cannot start {}",
            bin.display()
        );
        return;
    };
    let _guard = Started(child);
    let mut up = false;
    for _ in 0..300 {
        // Probe by binding, not connecting: AusweisApp2 would take a bare TCP connection for its
        // one client.
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !up {
        eprintln!("SKIPPED bridge_answers_like_ausweisapp2: AusweisApp2 did not listen on port {port} within 30 s");
        return;
    }
    let blocks = transcript();
    let real = replay(&format!("ws://127.0.0.1:{port}/eID-Kernel"), &blocks).await;
    let bridge_url = start_bridge(AusweisConfig {
        simulator_keypad: true,
        ..AusweisConfig::default()
    })
    .await;
    let ours = replay(&bridge_url, &blocks).await;
    let mut compared = 0;
    for ((b, (rc, rs)), (oc, os)) in blocks.iter().zip(real).zip(ours) {
        let n = |v: &[String]| v.iter().map(|m| normalize(m)).collect::<Vec<_>>();
        assert_eq!(n(&oc), n(&rc), "{}: connect", b.title);
        for ((s, r), o) in b.steps.iter().zip(rs).zip(os) {
            assert_eq!(reader_order(n(&o)), reader_order(n(&r)), "{}: {}", b.title, s.send);
            compared += r.len();
        }
    }
    assert!(compared >= 55, "{compared}");
    eprintln!("differential: {compared} messages equal after the documented normalizations");
}
