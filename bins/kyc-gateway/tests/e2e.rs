//! End to end: a session on the gateway, the virtual phone with a fixture document through an
//! in-process docval-server whose result server is the gateway, and signed webhooks on a local
//! listener.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use docval_server::config::{ClientConfig, Config as DocvalConfig};
use emrtd_phone::{Access, PhoneOptions, run_phone};
use emrtd_sim::VirtualChip;
use kyc_core::signature::{self, Scheme};
use reqwest::Method;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::oneshot;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/documents")
}

struct Docval {
    url: String,
    stop: Option<oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<()>,
}

impl Docval {
    async fn shutdown(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = self.handle.await;
    }
}

/// docval-server in process, POSTing results to the gateway's result endpoint.
async fn start_docval(gw: &Gw) -> Docval {
    start_docval_signing(gw, None).await
}

async fn start_docval_signing(gw: &Gw, signing_secret: Option<&str>) -> Docval {
    let config = DocvalConfig {
        clients: vec![ClientConfig {
            id: "kyc-gateway".into(),
            result_server_url: Some(format!("{}/docval/results/{RESULT_TOKEN}", gw.base)),
        }],
        result_signing: signing_secret.map(|s| docval_server::signing::SigningKey {
            key_id: "docval-1".into(),
            secret: zeroize::Zeroizing::new(s.as_bytes().to_vec()),
        }),
        ..DocvalConfig::default()
    };
    // The virtual documents are signed by the test PKI, trusted only on request.
    let (store, _) = docval_server::trust::load(&docval_server::config::TrustConfig {
        test_pki: true,
        ..config.trust.clone()
    })
    .unwrap();
    let state = Arc::new(docval_server::AppState::new(config, store).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        docval_server::serve(listener, state, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    Docval {
        url: format!("ws://{addr}/ws1/validate"),
        stop: Some(tx),
        handle,
    }
}

fn access_for(chip: &VirtualChip) -> Access {
    let m = &chip.document().manifest;
    match (&m.can, &m.mrz) {
        (Some(can), _) if m.access.pace => Access::Can(can.clone()),
        (_, Some(mrz)) => Access::Mrz {
            document_number: mrz.document_number.clone(),
            date_of_birth: mrz.date_of_birth.clone(),
            date_of_expiry: mrz.date_of_expiry.clone(),
        },
        _ => panic!("fixture without an access key"),
    }
}

/// Scans `fixture` with the virtual phone for session `id`.
async fn scan(docval: &Docval, fixture: &str, id: &str) {
    let mut chip = VirtualChip::load(&fixtures().join(fixture)).unwrap();
    let mut opts = PhoneOptions::new(&docval.url, "kyc-gateway", access_for(&chip));
    opts.validation_id = id.to_string();
    let out = run_phone(&mut chip, &opts).await.unwrap();
    assert_eq!(
        out.code(),
        Some(1000),
        "{fixture}: close {:?}, statuses {:?}",
        out.text_close,
        out.statuses
    );
}

fn decision_of(hooks: &[Hook], id: &str) -> Option<Hook> {
    hooks
        .iter()
        .find(|h| {
            let v = h.json();
            v["verification"]["id"] == id && v["verification"]["code"].as_u64().is_some_and(|c| c >= 9000)
        })
        .cloned()
}

async fn ref1_approved(backend: Backend) {
    let hooks = listener(0).await;
    let url = hooks.url.clone();
    let Some(gw) = start(backend, |c| {
        c.integrations[0].decision_webhook_url = Some(url.clone());
        c.integrations[0].event_webhook_url = Some(url);
    })
    .await
    else {
        return;
    };
    let docval = start_docval(&gw).await;
    let s = create_session(
        &gw,
        json!({"person": {"firstName": "Erika", "lastName": "Musterfrau", "dateOfBirth": "1984-08-12"},
               "document": {"number": "C01X00T47", "type": "PASSPORT"}}),
    )
    .await;
    let id = s["id"].as_str().unwrap().to_string();
    scan(&docval, "ref-1", &id).await;
    let got = wait_for(&hooks, 20, |h| decision_of(h, &id).is_some() && h.len() >= 3).await;
    // Events 7001 and 7002 before the decision, each signed.
    let codes: Vec<u64> = got
        .iter()
        .map(|h| {
            let v = h.json();
            v["code"]
                .as_u64()
                .or_else(|| v["verification"]["code"].as_u64())
                .unwrap()
        })
        .collect();
    assert_eq!(codes, vec![7001, 7002, 9001]);
    let d = decision_of(&got, &id).unwrap();
    assert_eq!(d.headers.get("x-auth-client").unwrap(), KEY);
    let sig = d.headers.get("x-hmac-signature").unwrap().to_str().unwrap();
    assert_eq!(sig, signature::sign(Scheme::Hmac, SECRET.as_bytes(), &d.body));
    // Compact JSON that re-serialises to the same bytes (what the Node demo receiver checks).
    let v: Value = d.json();
    assert_eq!(serde_json::to_vec(&v).unwrap().len(), d.body.len());
    let ver = &v["verification"];
    assert_eq!(ver["status"], "approved");
    assert_eq!(ver["reasonCode"], Value::Null);
    assert_eq!(ver["vendorData"], "user-42");
    assert_eq!(ver["person"]["firstName"], "ERIKA");
    assert_eq!(ver["person"]["lastName"], "MUSTERFRAU");
    assert_eq!(ver["person"]["dateOfBirth"], "1984-08-12");
    assert_eq!(ver["person"]["gender"], "F");
    assert_eq!(ver["document"]["number"], "C01X00T47");
    assert_eq!(ver["document"]["type"], "PASSPORT");
    assert_eq!(ver["document"]["country"], "UTO");
    assert_eq!(ver["document"]["validUntil"], "2036-01-01");
    assert_eq!(v["technicalData"], json!({"ip": null}));
    assert!(d.headers.get("x-event-id").is_some());
    // GET decision gives the same body.
    let r = get(&gw, &format!("/v1/sessions/{id}/decision"), &id, KEY, SECRET).await;
    assert_eq!(r.body, d.body);
    // The chip face is a `face` media item (JPEG).
    let r = get(&gw, &format!("/v1/sessions/{id}/media"), &id, KEY, SECRET).await;
    let images = r.json()["images"].clone();
    let face = images
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["context"] == "face")
        .unwrap()
        .clone();
    assert_eq!(face["mimetype"], "image/jpeg");
    let fid = face["id"].as_str().unwrap();
    let r = get(&gw, &format!("/v1/media/{fid}"), fid, KEY, SECRET).await;
    assert!(r.body.starts_with(&[0xFF, 0xD8, 0xFF]));
    // Person from the chip.
    let r = get(&gw, &format!("/v1/sessions/{id}/person"), &id, KEY, SECRET).await;
    assert_eq!(r.json()["person"]["lastName"], "MUSTERFRAU");
    // Attempt status.
    let r = get(&gw, &format!("/v1/sessions/{id}/attempts"), &id, KEY, SECRET).await;
    assert_eq!(r.json()["verifications"][0]["status"], "approved");
    // Review page: face image and check list.
    let r = send_raw(
        Method::GET,
        &format!("{}/review/sessions/{id}", gw.base),
        &[("authorization", format!("Bearer {ADMIN_TOKEN}"))],
        Vec::new(),
    )
    .await;
    let html = String::from_utf8(r.body).unwrap();
    assert!(html.contains("<img id=\"face\""), "{html}");
    assert!(html.contains("<ul id=\"checks\">"), "{html}");
    assert!(html.contains("Chip authentication: passed"), "{html}");
    assert!(html.contains("Active authentication: passed"), "{html}");
    // A second result for a decided session is refused (409).
    let post = json!({"emrtd_passport": serde_json::to_value(emrtd_result::EmrtdPassport::default()).unwrap(), "client_validation_id": id});
    let r = send_raw(
        Method::POST,
        &format!("{}/docval/results/{RESULT_TOKEN}", gw.base),
        &[],
        serde_json::to_vec(&post).unwrap(),
    )
    .await;
    assert_eq!(r.status.as_u16(), 409);
    docval.shutdown().await;
    gw.shutdown().await;
}

async fn bad_documents(backend: Backend) {
    let hooks = listener(0).await;
    let url = hooks.url.clone();
    let Some(gw) = start(backend, |c| c.integrations[0].decision_webhook_url = Some(url)).await else {
        return;
    };
    let docval = start_docval(&gw).await;
    for (fixture, code, reason_code) in [
        ("revoked-ds", 9102, 102),
        ("ref-1-clone", 9102, 102),
        ("expired", 9103, 207),
    ] {
        let s = create_session(&gw, json!({})).await;
        let id = s["id"].as_str().unwrap().to_string();
        scan(&docval, fixture, &id).await;
        let got = wait_for(&hooks, 20, |h| decision_of(h, &id).is_some()).await;
        let v = decision_of(&got, &id).unwrap().json();
        assert_eq!(v["verification"]["code"], code, "{fixture}: {v}");
        assert_eq!(v["verification"]["reasonCode"], reason_code, "{fixture}: {v}");
        if code == 9103 {
            assert_eq!(v["verification"]["status"], "resubmission_requested");
            // A new attempt is open for the resubmission.
            let r = get(&gw, &format!("/v1/sessions/{id}/attempts"), &id, KEY, SECRET).await;
            let a = r.json();
            assert_eq!(a["verifications"].as_array().unwrap().len(), 2, "{a}");
        } else {
            assert_eq!(v["verification"]["status"], "declined");
        }
    }
    docval.shutdown().await;
    gw.shutdown().await;
}

async fn webhook_retried_after_three_failures(backend: Backend) {
    let hooks = listener(3).await;
    let url = hooks.url.clone();
    let Some(gw) = start(backend, |c| c.integrations[0].decision_webhook_url = Some(url)).await else {
        return;
    };
    let docval = start_docval(&gw).await;
    let s = create_session(&gw, json!({})).await;
    let id = s["id"].as_str().unwrap().to_string();
    scan(&docval, "ref-1", &id).await;
    let got = wait_for(&hooks, 20, |h| h.len() >= 4).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let got_after = hooks.hooks.lock().unwrap().clone();
    // Delivered on the 4th attempt and then not again.
    assert_eq!(got_after.len(), 4);
    let ids: Vec<_> = got
        .iter()
        .map(|h| h.headers.get("x-event-id").unwrap().clone())
        .collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "stable event id");
    assert!(got.iter().all(|h| h.body == got[0].body), "same bytes on every attempt");
    assert_eq!(got[3].json()["verification"]["code"], 9001);
    let metrics = send_raw(Method::GET, &format!("{}/metrics", gw.base), &[], Vec::new()).await;
    let text = String::from_utf8(metrics.body).unwrap();
    assert!(text.contains("kyc_webhook_attempts_failed_total 3"), "{text}");
    assert!(text.contains("kyc_webhooks_delivered_total 1"), "{text}");
    docval.shutdown().await;
    gw.shutdown().await;
}

/// docval-server signs its result POST (RFC 9421, HMAC-SHA256); the gateway verifies it and
/// refuses a result signed with another key (docval then reports POST_TO_RESULT_SERVER_FAILED).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc9421_signed_results() {
    const SHARED: &str = "a shared result signing key";
    let gw = start(Backend::Sqlite, |c| {
        c.docval_result_signing_secret = Some(SHARED.into())
    })
    .await
    .unwrap();
    let docval = start_docval_signing(&gw, Some(SHARED)).await;
    let s = create_session(&gw, json!({})).await;
    let id = s["id"].as_str().unwrap().to_string();
    scan(&docval, "ref-1", &id).await;
    let r = get(&gw, &format!("/v1/sessions/{id}/decision"), &id, KEY, SECRET).await;
    assert_eq!(r.json()["verification"]["code"], 9001);
    docval.shutdown().await;
    // Wrong key: refused, the session stays undecided.
    let docval = start_docval_signing(&gw, Some("another key entirely")).await;
    let s = create_session(&gw, json!({})).await;
    let id = s["id"].as_str().unwrap().to_string();
    let mut chip = VirtualChip::load(&fixtures().join("ref-1")).unwrap();
    let mut opts = PhoneOptions::new(&docval.url, "kyc-gateway", access_for(&chip));
    opts.validation_id = id.clone();
    let out = run_phone(&mut chip, &opts).await.unwrap();
    assert_eq!(out.code(), Some(1011), "close {:?}", out.text_close);
    let r = get(&gw, &format!("/v1/sessions/{id}/decision"), &id, KEY, SECRET).await;
    assert_eq!(r.json()["verification"], Value::Null);
    docval.shutdown().await;
    // Unsigned: refused too.
    let docval = start_docval(&gw).await;
    let mut chip = VirtualChip::load(&fixtures().join("ref-1")).unwrap();
    let mut opts = PhoneOptions::new(&docval.url, "kyc-gateway", access_for(&chip));
    opts.validation_id = id.clone();
    let out = run_phone(&mut chip, &opts).await.unwrap();
    assert_eq!(out.code(), Some(1011), "close {:?}", out.text_close);
    docval.shutdown().await;
    gw.shutdown().await;
}

/// Headless Chromium (Debian `chromium`, `KYC_TEST_CHROMIUM`) signs in to the review pages with
/// the login form (a page of the test's own server submits it, as a person would) and is sent to
/// the review page of a REF-1 session with the HttpOnly cookie; the face image (loaded with the
/// cookie) and the check list are in the rendered DOM. The token is never in a URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_review_page() {
    let Ok(chrome) = std::env::var("KYC_TEST_CHROMIUM") else {
        println!("SKIP chromium test: KYC_TEST_CHROMIUM is not set (.ci/kyc-deps.sh installs Debian chromium)");
        return;
    };
    let gw = start(Backend::Sqlite, |_| {}).await.unwrap();
    let docval = start_docval(&gw).await;
    let s = create_session(&gw, json!({})).await;
    let id = s["id"].as_str().unwrap().to_string();
    scan(&docval, "ref-1", &id).await;
    // The sign-in page: a form posting the token (and where to go next) to the gateway, submitted
    // on load. Same site as the gateway (127.0.0.1), so the SameSite=Strict cookie set by the
    // answer goes with the redirect.
    let form = format!(
        "<!doctype html><html><body><form method=\"post\" action=\"{}/review/login\">\
<input name=\"token\" value=\"{ADMIN_TOKEN}\"><input name=\"next\" value=\"/review/sessions/{id}\"></form>\
<script>document.forms[0].submit()</script></body></html>",
        gw.base
    );
    let app = axum::Router::new().route(
        "/signin",
        axum::routing::get(move || {
            let form = form.clone();
            async move { axum::response::Html(form) }
        }),
    );
    let signin = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let page = format!("http://{}/signin", signin.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(signin, app).await;
    });
    let profile = tempfile::tempdir().unwrap();
    let profile_arg = format!("--user-data-dir={}", profile.path().display());
    let run = tokio::task::spawn_blocking(move || {
        std::process::Command::new(chrome)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
            ])
            .arg(profile_arg)
            .args(["--virtual-time-budget=5000", "--dump-dom"])
            .arg(page)
            .output()
    });
    let out = match tokio::time::timeout(std::time::Duration::from_secs(90), run).await {
        Ok(Ok(Ok(o))) => o,
        other => {
            println!("SKIP chromium test: chromium did not run: {other:?}");
            docval.shutdown().await;
            gw.shutdown().await;
            return;
        }
    };
    let dom = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let img = dom
        .find("<img id=\"face\"")
        .unwrap_or_else(|| panic!("no face image in {dom}"));
    assert!(dom.contains("<ul id=\"checks\">"), "{dom}");
    for check in [
        "SOD signature: passed",
        "Data group hashes: passed",
        "Chip authentication: passed",
        "Active authentication: passed",
    ] {
        assert!(dom.contains(check), "{check} missing in {dom}");
    }
    // The image the browser was given is the chip face (JPEG) served by the review page, with
    // no token in its URL.
    let src_start = dom[img..].find("src=\"").unwrap() + img + 5;
    let src_end = dom[src_start..].find('"').unwrap() + src_start;
    let src = dom[src_start..src_end].replace("&amp;", "&");
    assert!(!src.contains('?') && !dom.contains(ADMIN_TOKEN), "{src}");
    let r = send_raw(
        Method::GET,
        &format!("{}{src}", gw.base),
        &[("authorization", format!("Bearer {ADMIN_TOKEN}"))],
        Vec::new(),
    )
    .await;
    assert_eq!(r.headers.get("content-type").unwrap(), "image/jpeg");
    assert!(r.body.starts_with(&[0xFF, 0xD8, 0xFF]));
    docval.shutdown().await;
    gw.shutdown().await;
}

both_backends!(ref1_approved, bad_documents, webhook_retried_after_three_failures);
