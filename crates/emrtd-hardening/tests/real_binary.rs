//! The real `docval-server` binary (built by cargo for the workspace's tests, next to this test
//! binary in `target/<profile>/`): SIGTERM in the middle of a session lets the session finish
//! and the process exit 0; run under `strace -f` when available, no file is written by the
//! server during the session. Skipped, with the reason printed, when the binary has not been
//! built (e.g. `cargo test -p emrtd-hardening` alone on a fresh clone; `cargo test --workspace`
//! builds it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

fn server_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    // target/<profile>/deps/real_binary-… -> target/<profile>/docval-server
    let bin = exe.parent()?.parent()?.join("docval-server");
    bin.is_file().then_some(bin)
}

fn strace_works() -> bool {
    Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_session_finishes_it_and_nothing_is_written() {
    let Some(bin) = server_binary() else {
        println!("SKIPPED: target/<profile>/docval-server is not built (run cargo test --workspace)");
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let work = std::env::temp_dir().join(format!("docval-real-binary-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let log = work.join("trace.log");
    let traced = strace_works();
    let mut cmd = if traced {
        let mut c = Command::new("strace");
        c.args([
            "-f",
            "-qq",
            "-e",
            "trace=open,openat,creat,mkdir,rename,renameat,renameat2,link,symlink,truncate",
            "-o",
        ])
        .arg(&log)
        .arg(&bin);
        c
    } else {
        println!("strace not usable: running without the file-write check");
        Command::new(&bin)
    };
    let mut child = cmd
        .args(["--listen", &format!("127.0.0.1:{port}"), "--test-pki"])
        .current_dir(&work)
        .env("TMPDIR", &work)
        .env_remove("CLIENT_IDS")
        .env_remove("RESULT_SERVER_URLS")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Ready when the port accepts connections.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(tokio::time::Instant::now() < deadline, "docval-server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let url = format!("ws://127.0.0.1:{port}/ws1/validate");
    let u2 = url.clone();
    let phone = tokio::spawn(async move {
        let mut opts = phone_can(&u2, "YOUR CLIENT ID");
        opts.apdu_delay = Duration::from_millis(25);
        emrtd_phone::run_phone(&mut chip("ref-1"), &opts).await
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    // The server process is strace's child when traced: signal it by its own pid.
    let server_pid = if traced {
        let out = Command::new("pgrep")
            .args(["-P", &child.id().to_string()])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    } else {
        child.id().to_string()
    };
    assert!(!server_pid.is_empty(), "no docval-server process found");
    let killed = Command::new("kill").args(["-TERM", &server_pid]).status().unwrap();
    assert!(killed.success());
    let out = phone.await.unwrap().unwrap();
    assert_eq!(out.code(), Some(1000), "{out:?}");
    assert_eq!(out.statuses.last().map(String::as_str), Some("DONE"));
    assert_eq!(out.result.as_ref().unwrap()["passive_authentication"], true);
    // The process ends by itself after the session, with success.
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
    assert!(tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err());
    if traced {
        let text = std::fs::read_to_string(&log).unwrap();
        let writes: Vec<&str> = text
            .lines()
            .filter(|l| {
                let ok = !l.contains(" = -1 ");
                let w = l.contains("O_WRONLY")
                    || l.contains("O_RDWR")
                    || l.contains("O_CREAT")
                    || l.contains("O_TRUNC")
                    || ["creat(", "mkdir(", "rename", "link(", "symlink(", "truncate("]
                        .iter()
                        .any(|c| l.contains(c));
                ok && w && !l.contains("\"/dev/") && !l.contains("\"/proc/self/")
            })
            .collect();
        assert!(writes.is_empty(), "docval-server wrote files:\n{}", writes.join("\n"));
    }
    let left: Vec<_> = std::fs::read_dir(&work)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n != "trace.log")
        .collect();
    assert!(left.is_empty(), "files in the working directory: {left:?}");
    let _ = std::fs::remove_dir_all(&work);
}
