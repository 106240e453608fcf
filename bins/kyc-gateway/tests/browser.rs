//! The real `@veriff/js-sdk` from npm under jsdom, pointed at the gateway with its `host` option
//! (needs `KYC_TEST_NODE_MODULES` with @veriff/js-sdk and jsdom, as .ci/kyc-deps.sh installs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use std::path::Path;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn veriff_js_sdk_under_jsdom_creates_a_session() {
    let Ok(modules) = std::env::var("KYC_TEST_NODE_MODULES") else {
        println!(
            "SKIP js-sdk test: KYC_TEST_NODE_MODULES is not set (.ci/kyc-deps.sh installs @veriff/js-sdk and jsdom)"
        );
        return;
    };
    if !Path::new(&modules).join("@veriff/js-sdk").is_dir() || !Path::new(&modules).join("jsdom").is_dir() {
        println!("SKIP js-sdk test: {modules} lacks @veriff/js-sdk or jsdom");
        return;
    }
    let Some(gw) = start(Backend::Sqlite, |_| {}).await else {
        return;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js/veriff-sdk.js");
    let base = gw.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(script)
            .env("NODE_PATH", &modules)
            .env("GATEWAY", base)
            .env("API_KEY", PUBLIC_KEY)
            .output()
    })
    .await
    .unwrap();
    let out = match out {
        Ok(o) => o,
        Err(e) => {
            println!("SKIP js-sdk test: cannot run node: {e}");
            gw.shutdown().await;
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "node failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout.lines().last().unwrap();
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["status"], "success");
    let s = &v["verification"];
    let id = s["id"].as_str().unwrap();
    assert!(kyc_core::check_query_id(id).is_ok());
    assert_eq!(s["status"], "created");
    assert_eq!(s["host"], gw.base);
    assert_eq!(s["vendorData"], "js-sdk-user");
    assert!(s["url"].as_str().unwrap().starts_with(&format!("{}/v/", gw.base)));
    // The session exists, with the SDK's person data, for the integration of the public key.
    let r = get(&gw, &format!("/v1/sessions/{id}/person"), id, PUBLIC_KEY, PUBLIC_SECRET).await;
    assert_eq!(r.status.as_u16(), 200);
    let p = r.json();
    assert_eq!(p["person"]["firstName"], "Erika");
    assert_eq!(p["person"]["lastName"], "Musterfrau");
    gw.shutdown().await;
}

/// The official Node demo's webhook receiver re-serialises the parsed body before checking the
/// HMAC: `JSON.stringify(JSON.parse(body))` must give back the exact bytes the gateway signed,
/// also with non-ASCII text, quotes and slashes in vendorData.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_body_survives_node_reserialisation() {
    if std::process::Command::new("node").arg("--version").output().is_err() {
        println!("SKIP node re-serialisation test: node is not installed (.ci/kyc-deps.sh installs it)");
        return;
    }
    let hooks = listener(0).await;
    let url = hooks.url.clone();
    let Some(gw) = start(Backend::Sqlite, |c| c.integrations[0].decision_webhook_url = Some(url)).await else {
        return;
    };
    let vendor = "Jürgen/ü€ \"q\" \u{2028}";
    let s = create_session(&gw, serde_json::json!({"vendorData": vendor})).await;
    let id = s["id"].as_str().unwrap().to_string();
    let result = serde_json::json!({
        "emrtd_passport": {
            "mrz_info": {"document_type": "TD1", "document_code": "ID", "issuing_state": "EST",
                "primary_identifier": "TAMM", "secondary_identifier": ["MARI"], "nationality": "EST",
                "document_number": "AB1234567", "date_of_birth": "900101", "gender": "FEMALE",
                "date_of_expiry": "350101", "optional_data1": "49001010000", "optional_data2": ""},
            "passive_authentication": true,
            "passive_authentication_details": {"sod_signature_valid": true, "document_certificate_valid": true,
                "data_groups_checked": [1], "data_groups_with_valid_hash": [1], "error": null, "all_hashes_valid": true},
            "chip_authentication_result": "UNAVAILABLE",
            "active_authentication_result": "SUCCESS",
            "errors": []
        },
        "client_validation_id": id
    });
    let r = send_raw(
        reqwest::Method::POST,
        &format!("{}/docval/results/{RESULT_TOKEN}", gw.base),
        &[],
        serde_json::to_vec(&result).unwrap(),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200);
    let got = wait_for(&hooks, 10, |h| !h.is_empty()).await;
    let body = got[0].body.clone();
    let v = got[0].json();
    assert_eq!(v["verification"]["vendorData"], vendor);
    assert_eq!(v["verification"]["document"]["type"], "ID_CARD");
    assert_eq!(v["verification"]["person"]["idNumber"], "49001010000");
    let mut child = std::process::Command::new("node")
        .args(["-e", "let d='';process.stdin.setEncoding('utf8');process.stdin.on('data',c=>d+=c).on('end',()=>process.stdout.write(JSON.stringify(JSON.parse(d))))"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(&body).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&body));
    let sig = got[0].headers.get("x-hmac-signature").unwrap().to_str().unwrap();
    assert_eq!(
        sig,
        kyc_core::signature::sign(kyc_core::Scheme::Hmac, SECRET.as_bytes(), &out.stdout)
    );
    gw.shutdown().await;
}
