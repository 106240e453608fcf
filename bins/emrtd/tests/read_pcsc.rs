//! `emrtd read` through the real PC/SC stack: pcscd with the vsmartcard vpcd driver, the
//! virtual chip connected to vpcd, REF-1 (CAN) and the TD1 fixture (MRZ); the dump verifies
//! with `emrtd verify`. Skipped with a printed reason when pcscd or vpcd is not installed
//! (`.ci/pcsc-deps.sh` installs them).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use emrtd_sim::VirtualChip;
use serde_json::Value;
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use emrtd_pcsc::testing::{VPCD_READER, connect_vpcd, ensure_pcscd_with_vpcd as pcscd};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Puts the chip on the vpcd reader; shutting the returned stream down removes it.
fn insert(dir: &Path) -> (TcpStream, std::thread::JoinHandle<()>) {
    let mut chip = VirtualChip::load(dir).unwrap();
    let stream = connect_vpcd(Duration::from_secs(10)).unwrap();
    let mut serve = stream.try_clone().unwrap();
    let h = std::thread::spawn(move || {
        let _ = emrtd_sim::vpcd::serve_stream(&mut chip, &mut serve, false);
    });
    (stream, h)
}

fn emrtd(args: &[&str]) -> (std::process::Output, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_emrtd")).args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    (out, err)
}

#[test]
fn read_ref1_and_td1_through_pcscd_and_vpcd_verify_the_dump_and_relay() {
    let _pcscd = match pcscd() {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED read_ref1_and_td1_through_pcscd_and_vpcd: {why} (run .ci/pcsc-deps.sh)");
            return;
        }
    };
    let pki = repo().join("fixtures/pki");
    // REF-1 with its CAN, the TD1 eID card with its MRZ and with its PIN (PACE-PIN).
    for (name, with) in [
        ("ref-1", "can"),
        ("td1-id-explicit-curve", "mrz"),
        ("td1-id-explicit-curve", "pin"),
    ] {
        let dir = repo().join("fixtures/documents").join(name);
        let manifest = VirtualChip::load(&dir).unwrap().document().manifest.clone();
        let (stream, served) = insert(&dir);
        let dump = std::env::temp_dir().join(format!("emrtd-read-{}-{name}-{with}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dump);
        let key_args: Vec<String> = match with {
            "can" => vec!["--can".into(), manifest.can.clone().unwrap()],
            "pin" => vec!["--pin".into(), manifest.pin.clone().unwrap()],
            _ => {
                let m = manifest.mrz.clone().unwrap();
                vec![
                    "--mrz".into(),
                    format!("{},{},{}", m.document_number, m.date_of_birth, m.date_of_expiry),
                ]
            }
        };
        let mut args = vec!["read", "--reader", VPCD_READER, "--wait", "20", "--quiet"];
        args.extend(key_args.iter().map(String::as_str));
        let dump_s = dump.display().to_string();
        let pki_s = pki.display().to_string();
        args.extend(["--out", dump_s.as_str(), "--csca", pki_s.as_str()]);
        let (out, err) = emrtd(&args);
        assert_eq!(out.status.code(), Some(0), "{name}: {err}");
        assert!(err.contains(VPCD_READER), "{err}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let p = &v["emrtd_passport"];
        assert_eq!(p["passive_authentication"], true, "{name}: {p:#}");
        assert_eq!(
            p["mrz_info"]["date_of_birth"],
            manifest.mrz.as_ref().unwrap().date_of_birth.as_str()
        );
        assert!(dump.join("EF.SOD.bin").is_file());
        assert!(dump.join("DG1.bin").is_file());
        // Offline verification of the dump.
        let (out, err) = emrtd(&["verify", &dump_s, "--csca", &pki_s]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: verify: {err} {}",
            String::from_utf8_lossy(&out.stdout)
        );
        // Remove the card.
        let _ = stream.shutdown(Shutdown::Both);
        let _ = served.join();
        std::thread::sleep(Duration::from_millis(500));
        let _ = std::fs::remove_dir_all(&dump);
    }

    // A document whose Document Signer certificate has expired: passive authentication checks
    // validity periods at the present time (the reading engine's default checks none), so it
    // is not verified (before this check `emrtd read` reported it verified).
    {
        let dir = repo().join("fixtures/documents/expired");
        let m = VirtualChip::load(&dir)
            .unwrap()
            .document()
            .manifest
            .mrz
            .clone()
            .unwrap();
        let (stream, served) = insert(&dir);
        let mrz = format!("{},{},{}", m.document_number, m.date_of_birth, m.date_of_expiry);
        let pki_s = pki.display().to_string();
        let (out, err) = emrtd(&[
            "read",
            "--reader",
            VPCD_READER,
            "--wait",
            "20",
            "--quiet",
            "--mrz",
            &mrz,
            "--csca",
            &pki_s,
        ]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let p = &v["emrtd_passport"];
        assert_eq!(p["passive_authentication"], false, "expired: {err} {p:#}");
        let _ = stream.shutdown(Shutdown::Both);
        let _ = served.join();
        std::thread::sleep(Duration::from_millis(500));
    }

    // Relay mode: the PC/SC card becomes the client device of an in-process docval-server.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = rt.block_on(async {
        use docval_server::config::Config;
        use docval_server::{AppState, serve, trust};
        let config = Config::default();
        // The virtual documents are signed by the test PKI, trusted only on request.
        let (store, _) = trust::load(&docval_server::config::TrustConfig {
            test_pki: true,
            ..config.trust.clone()
        })
        .unwrap();
        let state = std::sync::Arc::new(AppState::new(config, store).unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = serve(listener, state, std::future::pending()).await;
        });
        format!("ws://{addr}/ws1/validate")
    });
    let (stream, served) = insert(&repo().join("fixtures/documents/ref-1"));
    let (out, err) = emrtd(&[
        "read",
        "--reader",
        VPCD_READER,
        "--can",
        "123456",
        "--docval",
        &url,
        "--client-id",
        "YOUR CLIENT ID",
    ]);
    assert_eq!(out.status.code(), Some(0), "relay: {err}");
    assert!(err.contains("status: ACCESS_CONTROL"), "{err}");
    assert!(err.contains("close code: 1000"), "{err}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["emrtd_passport"]["passive_authentication"], true);
    assert_eq!(v["emrtd_passport"]["mrz_info"]["document_number"], "C01X00T47");
    let _ = stream.shutdown(Shutdown::Both);
    let _ = served.join();
    drop(rt);
}
