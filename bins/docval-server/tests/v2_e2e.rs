//! DocVal v2 end to end over 127.0.0.1: the v2 virtual phone (reading the virtual chip itself,
//! handing its secure messaging over for chip authentication) against docval-server, with a
//! result server receiving the POST. Every fixture is read through v1 and v2 and must get the
//! same verdict; clones, forgeries and hostile phones get theirs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{access_for, chip, fixtures, result_server, start_server};
use docval_protocol::v2::CheckResult;
use docval_server::config::{ClientConfig, Config};
use emrtd_phone::PhoneOptions;
use emrtd_phone::run_phone;
use emrtd_phone::v2::{Hostile, PhoneV2Options, Platform, run_phone_v2};
use emrtd_sim::VirtualChip;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Server {
    addr: std::net::SocketAddr,
    /// POST bodies in arrival order.
    posts: Arc<Mutex<Vec<Value>>>,
}

impl Server {
    fn v1(&self) -> String {
        format!("ws://{}/ws1/validate", self.addr)
    }

    fn v2(&self) -> String {
        format!("ws://{}/ws2/validate", self.addr)
    }

    /// The POST for `id`, waiting for it (fire-and-forget phones leave before it is sent).
    async fn post(&self, id: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let mine: Vec<Value> = {
                let posts = self.posts.lock().unwrap();
                posts
                    .iter()
                    .filter(|v| v["client_validation_id"] == id)
                    .cloned()
                    .collect()
            };
            assert!(mine.len() <= 1, "one POST per session: {id}");
            if let Some(v) = mine.first() {
                return v["emrtd_passport"].clone();
            }
            assert!(tokio::time::Instant::now() < deadline, "no POST for {id}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn start() -> Server {
    let (url, posts) = result_server().await;
    let addr = start_server(Config {
        clients: vec![ClientConfig {
            id: "ci-client".into(),
            result_server_url: Some(url),
        }],
        ..Config::default()
    })
    .await;
    Server { addr, posts }
}

fn v2_opts(server: &Server, chip: &VirtualChip, platform: Platform, id: &str) -> PhoneV2Options {
    let mut o = PhoneV2Options::new(&server.v2(), "ci-client", access_for(chip), platform);
    o.validation_id = id.to_string();
    o
}

/// The CLOSE message the phone received (code, reason; `""` for none).
fn close_message(out: &emrtd_phone::v2::PhoneV2Outcome) -> Option<(u16, String)> {
    out.close_message
        .as_ref()
        .map(|(c, r)| (*c, r.clone().unwrap_or_default()))
}

/// The verdict fields compared between the protocols.
fn verdict(p: &Value) -> Value {
    let d = &p["passive_authentication_details"];
    serde_json::json!({
        "passive_authentication": p["passive_authentication"],
        "chip_authentication_result": p["chip_authentication_result"],
        "active_authentication_result": p["active_authentication_result"],
        "sod_signature_valid": d["sod_signature_valid"],
        "document_certificate_valid": d["document_certificate_valid"],
        "data_groups_checked": d["data_groups_checked"],
        "data_groups_with_valid_hash": d["data_groups_with_valid_hash"],
        "mrz_info": p["mrz_info"],
        "face_photo": p["face_photo"],
    })
}

/// Every fixture through v1 and through v2 (Android and iOS alternately): the same verdict,
/// the same MRZ and face. The clone is the exception the protocol makes: its chip
/// authentication fails in the relay, the session ends there (1011), and the POST carries
/// CA FAILED.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_gets_the_same_verdict_through_v1_and_v2() {
    let server = start().await;
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("manifest.toml").is_file())
        .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert!(names.len() >= 9, "{names:?}");
    for (i, name) in names.iter().enumerate() {
        let expected = chip(name).document().manifest.expect.verdict.clone();
        let mut c = chip(name);
        let mut v1 = PhoneOptions::new(&server.v1(), "ci-client", access_for(&c));
        v1.validation_id = format!("v1-{name}");
        let out1 = run_phone(&mut c, &v1).await.unwrap();
        assert_eq!(out1.code(), Some(1000), "{name} v1: {out1:?}");
        let platform = if i % 2 == 0 { Platform::Android } else { Platform::Ios };
        let mut c = chip(name);
        let opts = v2_opts(&server, &c, platform, &format!("v2-{name}"));
        let out2 = run_phone_v2(&mut c, &opts).await.unwrap();
        let p1 = server.post(&format!("v1-{name}")).await;
        let p2 = server.post(&format!("v2-{name}")).await;
        if expected == "clone" {
            assert!(out2.handed_over, "{name}");
            assert_eq!(out2.code(), Some(1011), "{name}: {out2:?}");
            assert_eq!(close_message(&out2), Some((1011, "EMRTD_PASSPORT_READER_ERROR".into())));
            assert_eq!(p1["chip_authentication_result"], "FAILED");
            assert_eq!(p2["chip_authentication_result"], "FAILED", "{name}: {}", p2["errors"]);
            assert_ne!(p2["active_authentication_result"], "SUCCESS");
            continue;
        }
        assert_eq!(out2.code(), Some(1000), "{name} v2 ({platform:?}): {out2:?}");
        assert_eq!(close_message(&out2), Some((1000, String::new())), "{name}");
        assert_eq!(
            verdict(&p2),
            verdict(&p1),
            "{name}: v2 {} / v1 {}",
            p2["errors"],
            p1["errors"]
        );
        // RESULT (asked for by default) is the POSTed passport in camelCase.
        let result = out2.result.clone().unwrap_or_else(|| panic!("{name}: no RESULT"));
        assert_eq!(result["passiveAuthentication"], p2["passive_authentication"], "{name}");
        assert_eq!(
            result["chipAuthenticationResult"], p2["chip_authentication_result"],
            "{name}"
        );
        assert_eq!(
            result["mrzInfo"]["documentNumber"], p2["mrz_info"]["document_number"],
            "{name}"
        );
        match expected.as_str() {
            "valid" => assert_eq!(p2["passive_authentication"], true, "{name}: {}", p2["errors"]),
            "revoked" | "expired" => assert_eq!(p2["passive_authentication"], false, "{name}"),
            other => panic!("{name}: verdict {other}"),
        }
        if p1["chip_authentication_result"] == "SUCCESS" {
            assert!(out2.handed_over, "{name}: CA runs in the relay");
            assert_eq!(out2.check_result, Some(CheckResult::Success), "{name}");
        }
    }
}

/// A phone that hides DG14 from the server, one that never hands over, one that alters DG1,
/// one that forges the active-authentication signature or skips it: none gets a SUCCESS it
/// did not earn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_phones_get_no_unearned_success() {
    let server = start().await;
    type Check = fn(&Value);
    let cases: Vec<(&str, Hostile, Option<u16>, Check)> = vec![
        (
            "withholds DG14",
            Hostile {
                withhold_dg14: true,
                ..Hostile::default()
            },
            Some(1000),
            |p| {
                assert_eq!(p["chip_authentication_result"], "FAILED", "{}", p["errors"]);
                assert_eq!(p["passive_authentication"], true);
            },
        ),
        (
            "never hands over",
            Hostile {
                no_ca: true,
                ..Hostile::default()
            },
            Some(1000),
            |p| assert_eq!(p["chip_authentication_result"], "FAILED", "{}", p["errors"]),
        ),
        (
            "uploads an altered DG1 before the handover",
            Hostile {
                tamper_dg1: true,
                ..Hostile::default()
            },
            None,
            |p| {
                assert_ne!(p["chip_authentication_result"], "SUCCESS", "{}", p["errors"]);
                // The DG1 in the result is the one the server read from the chip.
                assert_eq!(p["mrz_info"]["primary_identifier"], "MUSTERFRAU");
            },
        ),
        (
            "forges the AA signature",
            Hostile {
                forge_aa_signature: true,
                ..Hostile::default()
            },
            Some(1000),
            |p| {
                assert_eq!(p["active_authentication_result"], "FAILED", "{}", p["errors"]);
                assert_eq!(p["chip_authentication_result"], "SUCCESS");
            },
        ),
        (
            "skips AA",
            Hostile {
                skip_aa: true,
                ..Hostile::default()
            },
            Some(1000),
            |p| assert_eq!(p["active_authentication_result"], "FAILED", "{}", p["errors"]),
        ),
    ];
    for (i, (name, hostile, code, check)) in cases.into_iter().enumerate() {
        for platform in [Platform::Android, Platform::Ios] {
            let mut c = chip("ref-1");
            let id = format!("hostile-{i}-{platform:?}");
            let mut opts = v2_opts(&server, &c, platform, &id);
            opts.hostile = hostile.clone();
            let out = run_phone_v2(&mut c, &opts).await.unwrap();
            if let Some(code) = code {
                assert_eq!(out.code(), Some(code), "{name} ({platform:?}): {out:?}");
            }
            let p = server.post(&id).await;
            check(&p);
            assert!(
                !(p["passive_authentication"] == true
                    && p["chip_authentication_result"] == "SUCCESS"
                    && p["active_authentication_result"] == "SUCCESS"),
                "{name}: a hostile phone got a fully verified result"
            );
        }
    }
}

/// Protocol errors made by a real phone flow (not hand-built frames): each closes 1008
/// `PROTOCOL_ERROR` and produces no result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_protocol_errors_close_1008_without_a_result() {
    let server = start().await;
    let cases = [
        Hostile {
            handover_without_dg14: true,
            ..Hostile::default()
        },
        Hostile {
            finish_before_handback: true,
            ..Hostile::default()
        },
        Hostile {
            duplicate_file: true,
            ..Hostile::default()
        },
    ];
    for (i, hostile) in cases.into_iter().enumerate() {
        let mut c = chip("ref-1");
        let id = format!("proto-{i}");
        let mut opts = v2_opts(&server, &c, Platform::Android, &id);
        opts.hostile = hostile.clone();
        let out = run_phone_v2(&mut c, &opts).await.unwrap();
        assert_eq!(out.code(), Some(1008), "{hostile:?}: {out:?}");
        assert_eq!(
            close_message(&out),
            Some((1008, "PROTOCOL_ERROR".into())),
            "{hostile:?}"
        );
        assert!(out.result.is_none());
    }
    assert!(
        server
            .posts
            .lock()
            .unwrap()
            .iter()
            .all(|v| !v["client_validation_id"].as_str().unwrap().starts_with("proto-")),
        "no result for a protocol error"
    );
}

/// iOS fire-and-forget: the phone closes right after FINISH; the result is still POSTed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fire_and_forget_still_posts() {
    let server = start().await;
    let mut c = chip("ref-1");
    let mut opts = v2_opts(&server, &c, Platform::Ios, "faf");
    opts.hostile.fire_and_forget = true;
    run_phone_v2(&mut c, &opts).await.unwrap();
    let p = server.post("faf").await;
    assert_eq!(p["passive_authentication"], true);
    assert_eq!(p["chip_authentication_result"], "SUCCESS");
    assert_eq!(p["active_authentication_result"], "SUCCESS");
}

/// A chip whose data groups were changed after signing (DG1, DG2, DG15), read by an honest v2
/// phone: passive authentication fails over v2 as over v1; a tampered DG15 (the AA key) also
/// fails active authentication.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_documents_fail_over_v2_as_over_v1() {
    let server = start().await;
    for dg in [1u8, 2, 15] {
        let tampered = || chip("ref-1").with_adversarial(emrtd_sim::Adversarial::TamperedDataGroup { dg });
        let mut c = tampered();
        let mut v1 = PhoneOptions::new(&server.v1(), "ci-client", access_for(&c));
        v1.validation_id = format!("tampered-v1-{dg}");
        run_phone(&mut c, &v1).await.unwrap();
        let mut c = tampered();
        let opts = v2_opts(&server, &c, Platform::Android, &format!("tampered-v2-{dg}"));
        let out = run_phone_v2(&mut c, &opts).await.unwrap();
        assert_eq!(out.code(), Some(1000), "DG{dg}: {out:?}");
        let p1 = server.post(&format!("tampered-v1-{dg}")).await;
        let p2 = server.post(&format!("tampered-v2-{dg}")).await;
        assert_eq!(p2["passive_authentication"], false, "DG{dg}");
        assert_eq!(
            verdict(&p2),
            verdict(&p1),
            "DG{dg}: v2 {} / v1 {}",
            p2["errors"],
            p1["errors"]
        );
        if dg == 15 {
            assert_eq!(p2["active_authentication_result"], "FAILED");
        }
    }
}
