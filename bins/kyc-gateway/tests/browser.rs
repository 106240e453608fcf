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
