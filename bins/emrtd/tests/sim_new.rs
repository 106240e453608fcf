//! `emrtd sim new`: new virtual documents read by the virtual phone through an in-process
//! docval-server trusting the test PKI; adversarial clones; hostile arguments.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../../docval-server/tests/common/mod.rs"]
mod common;

use docval_server::config::Config;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn emrtd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_emrtd")).args(args).output().unwrap()
}

async fn emrtd_async(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || Command::new(env!("CARGO_BIN_EXE_emrtd")).args(args).output().unwrap())
        .await
        .unwrap()
}

/// A fresh path under the temporary directory (removed first, not created).
fn temp_path(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("emrtd-sim-new-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn pki(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/pki")
        .join(file)
        .display()
        .to_string()
}

/// `emrtd sim new DIR` with the holder below plus `extra`.
fn sim_new_args(dir: &Path, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "sim",
        "new",
        dir.to_str().unwrap(),
        "--name",
        "PROBE<<ANNA MARIA",
        "--document-number",
        "CI0000042",
        "--dob",
        "920229",
        "--expiry",
        "341231",
        "--nationality",
        "D<<",
        "--sex",
        "F",
    ]
    .map(String::from)
    .to_vec();
    // An option of `extra` already given replaces the value above; the rest is appended.
    let mut rest = extra.iter();
    while let Some(arg) = rest.next() {
        match v.iter().position(|a| a == arg) {
            Some(i) => v[i + 1] = rest.next().unwrap().to_string(),
            None => v.push(arg.to_string()),
        }
    }
    v
}

/// Reads `dir` with the virtual phone through the server at `url`; the result object.
async fn read_through_server(url: &str, dir: &Path) -> Value {
    let out = emrtd_async(
        [
            "virtual-phone",
            "--server",
            url,
            "--client-id",
            "YOUR CLIENT ID",
            "--fixture",
            dir.to_str().unwrap(),
            "--return-result",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{}: {stderr}", dir.display());
    assert!(stderr.contains("close code: 1000"), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["emrtd_passport"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_new_documents_verify_through_docval_server_and_a_clone_fails_chip_authentication() {
    let addr = common::start_server(Config::default()).await;
    let url = format!("ws://{addr}/ws1/validate");
    let csca_key = pki("keys/csca-rsa-4096.pk8");
    let csca_cert = pki("csca-rsa.cer");
    // (name, options, expected CA, expected AA, PACE used)
    let cases: Vec<(&str, Vec<&str>, &str, &str, bool)> = vec![
        (
            "pace-gm-ca-aa",
            vec!["--pace", "gm", "--can", "123456", "--aa"],
            "SUCCESS",
            "SUCCESS",
            true,
        ),
        ("bac-only", vec!["--no-ca"], "UNAVAILABLE", "UNAVAILABLE", false),
        (
            "cam-p256",
            vec!["--pace", "cam", "--curve", "p256", "--can", "500500"],
            "SUCCESS",
            "UNAVAILABLE",
            true,
        ),
        (
            "clone",
            vec!["--pace", "gm", "--can", "123456", "--aa", "--adversarial", "clone"],
            "FAILED",
            "FAILED",
            true,
        ),
        (
            "own-csca",
            vec!["--csca-key", &csca_key, "--csca-cert", &csca_cert],
            "SUCCESS",
            "UNAVAILABLE",
            false,
        ),
    ];
    for (name, extra, ca, aa, pace) in cases {
        let dir = temp_path(name);
        let out = emrtd_async(sim_new_args(&dir, &extra)).await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(summary["pace"], pace, "{name}: {summary}");

        // What the vpcd mode and every test load: the directory as a virtual chip.
        let chip = emrtd_sim::VirtualChip::load(&dir).unwrap();
        let m = &chip.document().manifest;
        assert_eq!(m.access.pace, pace, "{name}");
        assert_eq!(m.mrz.as_ref().unwrap().document_number, "CI0000042");
        assert_eq!(m.expect.verdict, if name == "clone" { "clone" } else { "valid" });

        let r = read_through_server(&url, &dir).await;
        assert_eq!(r["passive_authentication"], true, "{name}: {r:#}");
        assert_eq!(r["chip_authentication_result"], ca, "{name}: {:?}", r["errors"]);
        assert_eq!(r["active_authentication_result"], aa, "{name}: {:?}", r["errors"]);
        let mrz = &r["mrz_info"];
        assert_eq!(mrz["document_number"], "CI0000042", "{name}");
        assert_eq!(mrz["date_of_birth"], "920229");
        assert_eq!(mrz["date_of_expiry"], "341231");
        assert_eq!(mrz["primary_identifier"], "PROBE");
        assert_eq!(mrz["secondary_identifier"], serde_json::json!(["ANNA", "MARIA"]));
        assert_eq!(mrz["nationality"], "D");
        assert_eq!(mrz["issuing_state"], "UTO");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn sim_new_is_deterministic_and_refuses_a_non_empty_directory_without_force() {
    let a = temp_path("det-a");
    let b = temp_path("det-a-again");
    for d in [&a, &b] {
        let out = emrtd(
            &sim_new_args(d, &["--pace", "im", "--aa"])
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let mut files: Vec<_> = std::fs::read_dir(&a).unwrap().map(|e| e.unwrap().file_name()).collect();
    files.sort();
    assert!(files.len() >= 6, "{files:?}");
    for f in &files {
        let (x, y) = (std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap());
        if f == "manifest.toml" {
            // Only the name (the directory's) differs.
            let x = String::from_utf8(x).unwrap().replace("det-a-again", "det-a");
            let y = String::from_utf8(y).unwrap().replace("det-a-again", "det-a");
            assert_eq!(x, y);
        } else {
            assert_eq!(x, y, "{f:?}");
        }
    }

    let args = sim_new_args(&a, &[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = emrtd(&args);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty (use --force"));
    let mut forced = args.clone();
    forced.push("--force");
    assert!(emrtd(&forced).status.success());
    for d in [a, b] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn sim_new_rejects_bad_arguments_with_exit_code_2_and_a_clear_message() {
    let dir = temp_path("bad");
    let garbage = temp_path("garbage.der");
    std::fs::write(&garbage, b"\x30\x03\x02\x01").unwrap();
    let g = garbage.to_str().unwrap().to_string();
    let cert = pki("csca-rsa.cer");
    let other_key = pki("keys/ds-rsa-pkcs1-2048.pk8");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--dob", "920230"],
            "date of birth: \"920230\": day 30 does not exist in month 2",
        ),
        (vec!["--dob", "930229"], "day 29 does not exist"),
        (
            vec!["--expiry", "3412"],
            "date of expiry: \"3412\": expected a date YYMMDD",
        ),
        (vec!["--expiry", "341301"], "month 13 does not exist"),
        (
            vec!["--document-number", "ABCDEFGHIJ"],
            "document number: \"ABCDEFGHIJ\": 1 to 9 characters",
        ),
        (vec!["--document-number", "ab-12"], "only A-Z, 0-9 and '<'"),
        (vec!["--name", "MÜLLER<<JO"], "surname: \"MÜLLER\": only A-Z"),
        (vec!["--name", "<<ANNA"], "surname: must not be empty"),
        (
            vec!["--name", "AVERYLONGSURNAMETHATGOESON<<ANDGIVENNAMESTOO"],
            "the MRZ holds 39",
        ),
        (
            vec!["--nationality", "GERMANY"],
            "nationality: \"GERMANY\": three letters",
        ),
        (vec!["--sex", "Q"], "--sex: \"Q\": expected M, F or X"),
        (
            vec!["--can", "12ab56", "--pace", "gm"],
            "CAN: \"12ab56\": 6 decimal digits",
        ),
        (
            vec!["--adversarial", "frobnicate"],
            "--adversarial: unknown mode \"frobnicate\"",
        ),
        (vec!["--adversarial", "tampered-dg=17"], "unknown mode"),
        (
            vec!["--no-ca", "--adversarial", "clone"],
            "needs chip authentication or --aa",
        ),
        (vec!["--pace", "cam", "--no-ca"], "--pace cam"),
        (vec!["--issued", "20261301"], "date of issue"),
        (vec!["--csca-key", &g, "--csca-cert", &cert], "PKCS#8 private key"),
        (vec!["--csca-key", &other_key, "--csca-cert", &g], "X.509 certificate"),
        (
            vec!["--csca-key", &other_key, "--csca-cert", &cert],
            "the private key does not belong to the CSCA certificate",
        ),
    ];
    for (extra, expect) in cases {
        let args = sim_new_args(&dir, &extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = emrtd(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(expect), "{extra:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{extra:?}");
        assert!(!dir.join("manifest.toml").exists(), "{extra:?} wrote a document");
    }
    // Argument errors of the parser: --csca-key without --csca-cert, an unknown --pace.
    for extra in [vec!["--csca-key", g.as_str()], vec!["--pace", "xyz"]] {
        let args = sim_new_args(&dir, &extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = emrtd(&args);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
    }
    let _ = std::fs::remove_file(garbage);
    let _ = std::fs::remove_dir_all(dir);
}
