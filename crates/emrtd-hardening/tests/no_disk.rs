//! docval-server writes no passport data to disk during a session.
//!
//! The session (docval-server in-process, a result server and the virtual phone with REF-1,
//! result returned to the phone, binary files included) runs in a child process: this test
//! binary re-executed with only `inner_session` selected.
//!
//! * `no_file_written_during_a_session_strace`: the child runs under `strace -f`; every
//!   successful open for writing, creat, mkdir, rename, link or truncate is a failure
//!   (character devices under /dev aside). Skipped, with the reason printed, when strace is
//!   missing or not permitted.
//! * `fresh_tmpdir_home_and_cwd_stay_empty`: the child gets empty TMPDIR, HOME and working
//!   directories; they must still be empty afterwards (no strace needed).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const INNER_ENV: &str = "DOCVAL_HARDENING_INNER_SESSION";
const MARKER: &str = "INNER-SESSION-VERIFIED";

/// The session run by the child process (does nothing in a normal test run).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inner_session() {
    if std::env::var_os(INNER_ENV).is_none() {
        return;
    }
    use axum::routing::post;
    let app = axum::Router::new().route("/results", post(|_body: String| async { "ok" }));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/results", l.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    let mut config = with_result_server(quick_config(), "shop", url);
    config.include_binary_files = true;
    let server = Server::start(config).await;
    let out = emrtd_phone::run_phone(&mut chip("ref-1"), &phone_can(&server.url, "shop"))
        .await
        .unwrap();
    assert_eq!(out.code(), Some(1000), "{out:?}");
    let r = out.result.unwrap();
    assert_eq!(r["passive_authentication"], true);
    assert!(r.to_string().contains("MUSTERFRAU"));
    println!("{MARKER}");
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("docval-no-disk-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn child(program: &str, args: &[&str]) -> Command {
    let mut c = Command::new(program);
    c.args(args)
        .arg(std::env::current_exe().unwrap())
        .args(["inner_session", "--exact", "--nocapture", "--test-threads=1"])
        .env(INNER_ENV, "1");
    c
}

fn list(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            out.push(e.path());
            if e.path().is_dir() {
                out.extend(list(&e.path()));
            }
        }
    }
    out
}

#[test]
fn fresh_tmpdir_home_and_cwd_stay_empty() {
    let (tmp, home, cwd) = (temp("tmp"), temp("home"), temp("cwd"));
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(&exe)
        .args(["inner_session", "--exact", "--nocapture", "--test-threads=1"])
        .env(INNER_ENV, "1")
        .env("TMPDIR", &tmp)
        .env("HOME", &home)
        .env("CARGO_MANIFEST_DIR", env!("CARGO_MANIFEST_DIR"))
        .current_dir(&cwd)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(MARKER),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for d in [&tmp, &home, &cwd] {
        assert_eq!(list(d), Vec::<PathBuf>::new(), "files appeared in {}", d.display());
        let _ = std::fs::remove_dir_all(d);
    }
}

/// Paths the child opened for writing (or created, renamed, linked, truncated) according to
/// an strace log.
fn writes_in_strace_log(log: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in log.lines() {
        // "1234  openat(AT_FDCWD, "/path", O_WRONLY|O_CREAT|O_CLOEXEC, 0666) = 3"
        let Some(call_start) = line.find(|c: char| c.is_ascii_alphabetic()) else {
            continue;
        };
        let call = &line[call_start..];
        let name = call.split('(').next().unwrap_or("");
        let failed = call
            .rsplit_once(" = ")
            .is_some_and(|(_, r)| r.trim_start().starts_with('-'));
        if failed || call.contains("<unfinished") || call.contains("resumed>") && !call.contains(" = ") {
            continue;
        }
        let path = call.split('"').nth(1).unwrap_or("").to_string();
        let writes = match name {
            "open" | "openat" | "openat2" => {
                call.contains("O_WRONLY")
                    || call.contains("O_RDWR")
                    || call.contains("O_CREAT")
                    || call.contains("O_TRUNC")
            }
            "creat" | "mkdir" | "mkdirat" | "rename" | "renameat" | "renameat2" | "link" | "linkat" | "symlink"
            | "symlinkat" | "truncate" => true,
            _ => false,
        };
        if writes && !(path.starts_with("/dev/") || path.starts_with("/proc/self/") || path.starts_with("/sys/")) {
            out.push(line.to_string());
        }
    }
    out
}

#[test]
fn strace_log_parser_finds_writes() {
    let log = "12 openat(AT_FDCWD, \"/tmp/x\", O_WRONLY|O_CREAT|O_CLOEXEC, 0666) = 3\n\
               12 openat(AT_FDCWD, \"/etc/hosts\", O_RDONLY|O_CLOEXEC) = 4\n\
               12 openat(AT_FDCWD, \"/nope\", O_RDWR) = -1 ENOENT (No such file or directory)\n\
               13 openat(AT_FDCWD, \"/dev/null\", O_RDWR|O_CLOEXEC) = 5\n\
               13 mkdir(\"/tmp/d\", 0777) = 0\n";
    let w = writes_in_strace_log(log);
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(w[0].contains("/tmp/x") && w[1].contains("mkdir"));
}

#[test]
fn no_file_written_during_a_session_strace() {
    let probe = Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "true"])
        .output();
    match probe {
        Err(e) => {
            println!("SKIPPED: strace is not available ({e}); fresh_tmpdir_home_and_cwd_stay_empty still runs");
            return;
        }
        Ok(o) if !o.status.success() => {
            println!(
                "SKIPPED: strace cannot trace here ({}); fresh_tmpdir_home_and_cwd_stay_empty still runs",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            return;
        }
        Ok(_) => {}
    }
    let dir = temp("strace");
    let log_path = dir.join("trace.log");
    let log_arg = log_path.to_string_lossy().to_string();
    let out = child(
        "strace",
        &[
            "-f",
            "-qq",
            "-e",
            "trace=open,openat,openat2,creat,mkdir,mkdirat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,truncate",
            "-o",
            &log_arg,
        ],
    )
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(MARKER),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("openat("), "the trace recorded file opens");
    let writes = writes_in_strace_log(&log);
    assert!(
        writes.is_empty(),
        "files written during the session:\n{}",
        writes.join("\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
}
