//! Every endpoint over HTTP on 127.0.0.1, against SQLite and (when available) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use axum::http::StatusCode;
use base64::Engine;
use common::*;
use kyc_core::signature::{self, Scheme};
use reqwest::Method;
use serde_json::json;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00";

fn media_body(context: &str, bytes: &[u8]) -> Vec<u8> {
    let content = base64::engine::general_purpose::STANDARD.encode(bytes);
    serde_json::to_vec(&json!({"image": {"context": context, "content": content, "timestamp": now_ts()}})).unwrap()
}

async fn every_endpoint(backend: Backend) {
    let Some(gw) = start(backend, |_| {}).await else { return };
    // POST /v1/sessions (HMAC): 201, documented shape, response signed with HMAC.
    let body = session_body(json!({}));
    let r = send(Method::POST, &format!("{}/v1/sessions", gw.base), KEY, SECRET, &body).await;
    assert_eq!(r.status, StatusCode::CREATED);
    r.assert_signed(KEY, SECRET, "x-hmac-signature", Scheme::Hmac);
    let v = r.json();
    assert_eq!(v["status"], "success");
    let s = &v["verification"];
    let id = s["id"].as_str().unwrap().to_string();
    assert!(kyc_core::check_query_id(&id).is_ok());
    assert_eq!(s["status"], "created");
    assert_eq!(s["vendorData"], "user-42");
    assert_eq!(s["host"], gw.base);
    let token = s["sessionToken"].as_str().unwrap();
    assert_eq!(s["url"], format!("{}/v/{token}", gw.base));

    // GET decision before any result: verification null.
    let r = get(&gw, &format!("/v1/sessions/{id}/decision"), &id, KEY, SECRET).await;
    assert_eq!(r.status, StatusCode::OK);
    r.assert_signed(KEY, SECRET, "x-hmac-signature", Scheme::Hmac);
    assert_eq!(r.json(), json!({"status": "success", "verification": null}));

    // POST media.
    let r = send(
        Method::POST,
        &format!("{}/v1/sessions/{id}/media", gw.base),
        KEY,
        SECRET,
        &media_body("document-front", PNG),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    r.assert_signed(KEY, SECRET, "x-hmac-signature", Scheme::Hmac);
    let img = r.json()["image"].clone();
    let media_id = img["id"].as_str().unwrap().to_string();
    let ts_id = img["timestamp"]["id"].as_str().unwrap().to_string();
    assert_eq!(img["mimetype"], "image/png");
    assert_eq!(img["size"], PNG.len());
    assert_eq!(img["name"], "document-front.png");

    // GET /sessions/{id}/media
    let r = get(&gw, &format!("/v1/sessions/{id}/media"), &id, KEY, SECRET).await;
    assert_eq!(r.status, StatusCode::OK);
    let m = r.json();
    assert_eq!(m["videos"], json!([]));
    assert_eq!(m["images"][0]["id"], media_id.as_str());
    assert_eq!(m["images"][0]["url"], format!("{}/v1/media/{media_id}", gw.base));

    // GET /v1/media/{id}: the bytes, chunked, signed.
    let r = get(&gw, &format!("/v1/media/{media_id}"), &media_id, KEY, SECRET).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, PNG);
    assert_eq!(r.headers.get("content-type").unwrap(), "image/png");
    assert_eq!(
        r.headers.get("transfer-encoding").map(|v| v.to_str().unwrap()),
        Some("chunked")
    );
    r.assert_signed(KEY, SECRET, "x-hmac-signature", Scheme::Hmac);

    // Timestamps.
    let r = get(&gw, &format!("/v1/sessions/{id}/timestamps"), &id, KEY, SECRET).await;
    assert_eq!(r.status, StatusCode::OK);
    let t = r.json();
    assert_eq!(t["timestamps"][0]["id"], ts_id.as_str());
    assert_eq!(t["timestamps"][0]["context"], "document-front");
    let r = get(&gw, &format!("/v1/timestamps/{ts_id}"), &ts_id, KEY, SECRET).await;
    assert_eq!(r.status, StatusCode::OK);
    let t = r.json();
    assert_eq!(t["timestamp"]["dataHash"]["algorithm"], "SHA-256");
    assert_eq!(
        t["timestamp"]["dataHash"]["value"],
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(PNG))
    );

    // Person (supplied data before a decision).
    let r = get(&gw, &format!("/v1/sessions/{id}/person"), &id, KEY, SECRET).await;
    assert_eq!(r.status, StatusCode::OK);
    let p = r.json();
    assert_eq!(p["person"]["firstName"], "Erika");
    assert_eq!(p["person"]["lastName"], "Musterfrau");

    // Attempts, then the attempt's media.
    let r = get(&gw, &format!("/v1/sessions/{id}/attempts"), &id, KEY, SECRET).await;
    assert_eq!(r.status, StatusCode::OK);
    let a = r.json();
    let attempt = a["verifications"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(a["verifications"][0]["status"], "created");
    let r = get(&gw, &format!("/v1/attempts/{attempt}/media"), &attempt, KEY, SECRET).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["images"][0]["id"], media_id.as_str());

    // PATCH submitted.
    let patch = serde_json::to_vec(
        &json!({"verification": {"status": "submitted", "frontState": "done", "timestamp": now_ts()}}),
    )
    .unwrap();
    let r = send(
        Method::PATCH,
        &format!("{}/v1/sessions/{id}", gw.base),
        KEY,
        SECRET,
        &patch,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    r.assert_signed(KEY, SECRET, "x-hmac-signature", Scheme::Hmac);
    assert_eq!(r.json()["verification"]["status"], "submitted");
    // Media after submission: 409; a second PATCH: 409.
    let r = send(
        Method::POST,
        &format!("{}/v1/sessions/{id}/media", gw.base),
        KEY,
        SECRET,
        &media_body("face", PNG),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = send(
        Method::PATCH,
        &format!("{}/v1/sessions/{id}", gw.base),
        KEY,
        SECRET,
        &patch,
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = get(&gw, &format!("/v1/sessions/{id}/attempts"), &id, KEY, SECRET).await;
    assert_eq!(r.json()["verifications"][0]["status"], "submitted");
    gw.shutdown().await;
}

async fn legacy_signatures(backend: Backend) {
    let Some(gw) = start(backend, |_| {}).await else { return };
    // X-SIGNATURE with SHA-256(body || secret): response signed the same way.
    let body = session_body(json!({}));
    let sig = signature::sign(Scheme::Sha256, LEGACY_SECRET.as_bytes(), &body);
    let r = send_raw(
        Method::POST,
        &format!("{}/v1/sessions/", gw.base),
        &[("x-auth-client", LEGACY_KEY.into()), ("x-signature", sig)],
        body,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    r.assert_signed(LEGACY_KEY, LEGACY_SECRET, "x-signature", Scheme::Sha256);
    let id = r.json()["verification"]["id"].as_str().unwrap().to_string();
    // A GET signed over the id with SHA-256.
    let sig = signature::sign(Scheme::Sha256, LEGACY_SECRET.as_bytes(), id.as_bytes());
    let r = send_raw(
        Method::GET,
        &format!("{}/v1/sessions/{id}/decision", gw.base),
        &[("x-auth-client", LEGACY_KEY.into()), ("x-signature", sig)],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    r.assert_signed(LEGACY_KEY, LEGACY_SECRET, "x-signature", Scheme::Sha256);
    // The HMAC value under the legacy header name is accepted, and answered in kind.
    let sig = signature::sign(Scheme::Hmac, LEGACY_SECRET.as_bytes(), id.as_bytes());
    let r = send_raw(
        Method::GET,
        &format!("{}/v1/sessions/{id}/attempts", gw.base),
        &[("x-auth-client", LEGACY_KEY.into()), ("x-signature", sig)],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    r.assert_signed(LEGACY_KEY, LEGACY_SECRET, "x-signature", Scheme::Hmac);
    gw.shutdown().await;
}

async fn rejections(backend: Backend) {
    let Some(gw) = start(backend, |_| {}).await else { return };
    let url = format!("{}/v1/sessions", gw.base);
    let body = session_body(json!({}));
    // Unknown API key: 401 / 1101.
    let r = send(Method::POST, &url, "wrong-key", SECRET, &body).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["code"], 1101);
    // Wrong signature (other secret): 401.
    let r = send(Method::POST, &url, KEY, "not the secret", &body).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json(), json!({"status": "fail", "message": "Not Authorized."}));
    // Missing signature for an integration that requires signed session creation: 401.
    let r = send_raw(Method::POST, &url, &[("x-auth-client", KEY.into())], body.clone()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Missing API key: 401.
    let r = send_raw(Method::POST, &url, &[], body.clone()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Signature over other bytes: 401.
    let sig = signature::sign(Scheme::Hmac, SECRET.as_bytes(), b"{}");
    let r = send_raw(
        Method::POST,
        &url,
        &[("x-auth-client", KEY.into()), ("x-hmac-signature", sig)],
        body.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // API key alone (browser SDK flow, the default): 201.
    let r = send_raw(
        Method::POST,
        &url,
        &[("x-auth-client", PUBLIC_KEY.into()), ("x-origin", "js-sdk".into())],
        body.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&r.body));
    let public_session = r.json()["verification"]["id"].as_str().unwrap().to_string();
    // ... but never for other endpoints.
    let r = send_raw(
        Method::GET,
        &format!("{}/v1/sessions/{public_session}/decision", gw.base),
        &[("x-auth-client", PUBLIC_KEY.into())],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Invalid JSON (correctly signed): 400 / 1104.
    for bad in [&b"{not json"[..], b"[]", b"", b"\xff\xfe"] {
        let r = send(Method::POST, &url, KEY, SECRET, bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert_eq!(r.json()["code"], 1104);
    }
    // Oversized body: 413, JSON, no 5xx.
    let big = vec![b' '; 2 * 1024 * 1024];
    let r = send(Method::POST, &url, KEY, SECRET, &big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json()["status"], "fail");
    // Documented validation codes over HTTP.
    let old = (chrono::Utc::now() - chrono::Duration::minutes(61)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    for (extra, code) in [
        (json!({"timestamp": old}), 1201),
        (json!({"timestamp": "yesterday"}), 1202),
        (json!({"vendorData": "x".repeat(41)}), 1500),
        (json!({"callback": "http://example.com/cb"}), 1302),
        (json!({"document": {"type": "VISA"}}), 2103),
    ] {
        let r = send(Method::POST, &url, KEY, SECRET, &session_body(extra.clone())).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{extra}");
        assert_eq!(r.json()["code"], code, "{extra}");
    }
    // Loopback callback accepted in this development configuration.
    let r = send(
        Method::POST,
        &url,
        KEY,
        SECRET,
        &session_body(json!({"callback": "http://127.0.0.1:9/cb"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = r.json()["verification"]["id"].as_str().unwrap().to_string();
    // Path ids: 1001 / 1002; unknown id: 404; another integration's session: 404.
    let r = get(&gw, "/v1/sessions/abc/decision", "abc", KEY, SECRET).await;
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (StatusCode::BAD_REQUEST, json!(1001))
    );
    let bad = "zzzzzzzz-1b47-47fc-a4fc-f72b6d3584a7";
    let r = get(&gw, &format!("/v1/sessions/{bad}/decision"), bad, KEY, SECRET).await;
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (StatusCode::BAD_REQUEST, json!(1002))
    );
    let unknown = uuid::Uuid::new_v4().to_string();
    let r = get(&gw, &format!("/v1/sessions/{unknown}/decision"), &unknown, KEY, SECRET).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = get(
        &gw,
        &format!("/v1/sessions/{id}/decision"),
        &id,
        LEGACY_KEY,
        LEGACY_SECRET,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // GET signed over something else than the id: 401.
    let r = get(&gw, &format!("/v1/sessions/{id}/decision"), "other", KEY, SECRET).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // PATCH with another status: 400 / 1104.
    let patch = serde_json::to_vec(&json!({"verification": {"status": "approved"}})).unwrap();
    let r = send(
        Method::PATCH,
        &format!("{}/v1/sessions/{id}", gw.base),
        KEY,
        SECRET,
        &patch,
    )
    .await;
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (StatusCode::BAD_REQUEST, json!(1104))
    );
    // Media that is not an image: 400 / 1104.
    let r = send(
        Method::POST,
        &format!("{}/v1/sessions/{id}/media", gw.base),
        KEY,
        SECRET,
        &media_body("face", b"hello"),
    )
    .await;
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (StatusCode::BAD_REQUEST, json!(1104))
    );
    // DocVal result endpoint: wrong token 401, broken JSON 400, unknown session 404.
    let r = send_raw(
        Method::POST,
        &format!("{}/docval/results/wrong", gw.base),
        &[],
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = send_raw(
        Method::POST,
        &format!("{}/docval/results/{RESULT_TOKEN}", gw.base),
        &[],
        b"{x".to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let post = json!({"emrtd_passport": serde_json::to_value(emrtd_result::EmrtdPassport::default()).unwrap(), "client_validation_id": unknown});
    let r = send_raw(
        Method::POST,
        &format!("{}/docval/results/{RESULT_TOKEN}", gw.base),
        &[],
        serde_json::to_vec(&post).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Still serving.
    let r = send_raw(Method::GET, &format!("{}/healthz", gw.base), &[], Vec::new()).await;
    assert_eq!(r.status, StatusCode::OK);
    gw.shutdown().await;
}

async fn service_endpoints(backend: Backend) {
    let Some(gw) = start(backend, |_| {}).await else { return };
    let r = send_raw(Method::GET, &format!("{}/openapi.json", gw.base), &[], Vec::new()).await;
    assert_eq!(r.status, StatusCode::OK);
    let o = r.json();
    assert_eq!(o["openapi"], "3.0.3");
    for p in [
        "/v1/sessions",
        "/v1/sessions/{id}/decision",
        "/v1/media/{id}",
        "/v1/timestamps/{id}",
    ] {
        assert!(o["paths"][p].is_object(), "{p}");
    }
    create_session(&gw, json!({})).await;
    let r = send_raw(Method::GET, &format!("{}/metrics", gw.base), &[], Vec::new()).await;
    let text = String::from_utf8(r.body).unwrap();
    assert!(text.contains("kyc_sessions_created_total 1"), "{text}");
    // Review page needs the admin token.
    let r = send_raw(Method::GET, &format!("{}/review", gw.base), &[], Vec::new()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = send_raw(
        Method::GET,
        &format!("{}/review", gw.base),
        &[("authorization", format!("Bearer {ADMIN_TOKEN}"))],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&r.body).contains("<table id=\"sessions\">"));
    gw.shutdown().await;
}

async fn end_user_page_starts_the_session(backend: Backend) {
    let hooks = listener(0).await;
    let url = hooks.url.clone();
    let Some(gw) = start(backend, |c| {
        c.docval_ws_url = "wss://docval.example/ws1/validate".into();
        c.integrations[0].event_webhook_url = Some(url);
    })
    .await
    else {
        return;
    };
    let s = create_session(&gw, json!({})).await;
    let id = s["id"].as_str().unwrap();
    let r = send_raw(Method::GET, s["url"].as_str().unwrap(), &[], Vec::new()).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = String::from_utf8(r.body).unwrap();
    assert!(html.contains("wss://docval.example/ws1/validate"), "{html}");
    assert!(
        html.contains(&format!("<code id=\"validation-id\">{id}</code>")),
        "{html}"
    );
    let got = wait_for(&hooks, 10, |h| !h.is_empty()).await;
    let e = got[0].json();
    assert_eq!(
        (e["id"].as_str(), e["code"].as_u64(), e["action"].as_str()),
        (Some(id), Some(7001), Some("started"))
    );
    let sig = got[0].headers.get("x-hmac-signature").unwrap().to_str().unwrap();
    assert_eq!(sig, signature::sign(Scheme::Hmac, SECRET.as_bytes(), &got[0].body));
    let r = get(&gw, &format!("/v1/sessions/{id}/attempts"), id, KEY, SECRET).await;
    assert_eq!(r.json()["verifications"][0]["status"], "started");
    let r = send_raw(Method::GET, &format!("{}/v/nonexistent", gw.base), &[], Vec::new()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    gw.shutdown().await;
}

async fn expiry_job(backend: Backend) {
    let hooks = listener(0).await;
    let url = hooks.url.clone();
    let Some(gw) = start(backend, |c| {
        c.integrations[0].decision_webhook_url = Some(url);
        c.session_expiry = std::time::Duration::from_millis(1500);
        c.expiry_check_interval = std::time::Duration::from_millis(100);
    })
    .await
    else {
        return;
    };
    let never = create_session(&gw, json!({})).await;
    let started = create_session(&gw, json!({})).await;
    send_raw(Method::GET, started["url"].as_str().unwrap(), &[], Vec::new()).await;
    let got = wait_for(&hooks, 30, |h| h.len() >= 2).await;
    let mut by_id = std::collections::BTreeMap::new();
    for h in &got {
        let v = h.json();
        by_id.insert(
            v["verification"]["id"].as_str().unwrap().to_string(),
            (
                v["verification"]["code"].as_u64().unwrap(),
                v["verification"]["status"].as_str().unwrap().to_string(),
            ),
        );
    }
    // The spec's 9104 row: one code, `expired` (never opened) or `abandoned` (opened).
    assert_eq!(by_id[never["id"].as_str().unwrap()], (9104, "expired".to_string()));
    assert_eq!(by_id[started["id"].as_str().unwrap()], (9104, "abandoned".to_string()));
    let id = never["id"].as_str().unwrap();
    let r = get(&gw, &format!("/v1/sessions/{id}/decision"), id, KEY, SECRET).await;
    assert_eq!(r.json()["verification"]["status"], "expired");
    gw.shutdown().await;
}

async fn docval_result_is_idempotent(backend: Backend) {
    let hooks = listener(0).await;
    let url = hooks.url.clone();
    let Some(gw) = start(backend, |c| c.integrations[0].decision_webhook_url = Some(url)).await else {
        return;
    };
    let s = create_session(&gw, json!({})).await;
    let id = s["id"].as_str().unwrap().to_string();
    let jpeg = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00tiny";
    let body = chip_result(&id, Some(jpeg));
    let result_url = format!("{}/docval/results/{RESULT_TOKEN}", gw.base);
    let r = send_raw(Method::POST, &result_url, &[], body.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    // The same bytes again (docval-server retrying after a lost response): 200, no new decision.
    let r = send_raw(Method::POST, &result_url, &[], body.clone()).await;
    assert_eq!(r.status, StatusCode::OK);
    // Another result for the decided session: 409.
    let r = send_raw(Method::POST, &result_url, &[], chip_result(&id, None)).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let got = wait_for(&hooks, 10, |h| !h.is_empty()).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(hooks.hooks.lock().unwrap().len(), 1);
    let v = got[0].json();
    assert_eq!(v["verification"]["code"], 9001);
    assert_eq!(v["verification"]["person"]["nationality"], "EE");
    assert_eq!(v["verification"]["document"]["country"], "EE");
    let r = get(&gw, &format!("/v1/sessions/{id}/media"), &id, KEY, SECRET).await;
    let images = r.json()["images"].clone();
    assert_eq!(images.as_array().unwrap().len(), 1);
    assert_eq!(images[0]["context"], "face");
    assert_eq!(images[0]["mimetype"], "image/jpeg");
    // The end-user page now says it is done and links back to the callback.
    let r = send_raw(Method::GET, s["url"].as_str().unwrap(), &[], Vec::new()).await;
    let html = String::from_utf8(r.body).unwrap();
    assert!(html.contains("id=\"done\""), "{html}");
    assert!(
        html.contains("<a id=\"callback\" href=\"https://example.com/done\">"),
        "{html}"
    );
    let r = get(&gw, &format!("/v1/sessions/{id}/person"), &id, KEY, SECRET).await;
    let p = r.json()["person"].clone();
    assert_eq!(
        (
            p["firstName"].as_str(),
            p["lastName"].as_str(),
            p["dateOfBirth"].as_str()
        ),
        (Some("ERIKA"), Some("MUSTERFRAU"), Some("1984-08-12"))
    );
    gw.shutdown().await;
}

async fn media_directory_and_retention(backend: Backend) {
    let media_dir = tempfile::tempdir().unwrap();
    let path = media_dir.path().to_path_buf();
    let Some(gw) = start(backend, |c| {
        c.media_storage = kyc_gateway::config::MediaStorage::Directory(path);
    })
    .await
    else {
        return;
    };
    let s = create_session(&gw, json!({})).await;
    let id = s["id"].as_str().unwrap().to_string();
    let r = send(
        Method::POST,
        &format!("{}/v1/sessions/{id}/media", gw.base),
        KEY,
        SECRET,
        &media_body("document-back", PNG),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let media_id = r.json()["image"]["id"].as_str().unwrap().to_string();
    let files: Vec<_> = std::fs::read_dir(media_dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1);
    let r = get(&gw, &format!("/v1/media/{media_id}"), &media_id, KEY, SECRET).await;
    assert_eq!(r.body, PNG);
    // Without a retention setting nothing is purged; with retention 0 the media goes.
    assert_eq!(kyc_gateway::jobs::purge_media(&gw.state).await.unwrap(), 0);
    gw.shutdown().await;
    let Some(gw2) = start(backend, |c| {
        c.media_retention = Some(std::time::Duration::ZERO);
    })
    .await
    else {
        return;
    };
    let s = create_session(&gw2, json!({})).await;
    let id = s["id"].as_str().unwrap().to_string();
    let r = send(
        Method::POST,
        &format!("{}/v1/sessions/{id}/media", gw2.base),
        KEY,
        SECRET,
        &media_body("face", PNG),
    )
    .await;
    let media_id = r.json()["image"]["id"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    assert_eq!(kyc_gateway::jobs::purge_media(&gw2.state).await.unwrap(), 1);
    let r = get(&gw2, &format!("/v1/media/{media_id}"), &media_id, KEY, SECRET).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    gw2.shutdown().await;
}

/// Garbage on every route (bodies, headers, ids): always an answer below 500.
async fn garbage_never_5xx(backend: Backend) {
    let Some(gw) = start(backend, |_| {}).await else { return };
    let s = create_session(&gw, json!({})).await;
    let id = s["id"].as_str().unwrap().to_string();
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let paths = [
        "/v1/sessions".to_string(),
        format!("/v1/sessions/{id}"),
        format!("/v1/sessions/{id}/media"),
        format!("/v1/sessions/{id}/person"),
        format!("/v1/sessions/{id}/decision"),
        format!("/v1/attempts/{id}/media"),
        format!("/v1/media/{id}"),
        format!("/v1/timestamps/{id}"),
        format!("/docval/results/{RESULT_TOKEN}"),
        "/v1/sessions/%ZZ/media".to_string(),
        "/v/%00".to_string(),
        "/review/sessions/x".to_string(),
    ];
    let bodies: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"null".to_vec(),
        b"{\"verification\":null}".to_vec(),
        b"{\"verification\":{\"person\":[],\"document\":7}}".to_vec(),
        b"{\"image\":{\"context\":\"face\",\"content\":12}}".to_vec(),
        b"{\"verification\":{\"vendorData\":\"a\\u0000b\",\"lang\":\"\\u0000\"}}".to_vec(),
        b"{\"emrtd_passport\":{},\"client_validation_id\":5}".to_vec(),
        (0..300).map(|i| (i * 37 % 256) as u8).collect(),
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[".to_vec(),
    ];
    let methods = [Method::GET, Method::POST, Method::PATCH, Method::PUT, Method::DELETE];
    for _ in 0..150 {
        let path = &paths[(rnd() % paths.len() as u64) as usize];
        let body = bodies[(rnd() % bodies.len() as u64) as usize].clone();
        let method = methods[(rnd() % methods.len() as u64) as usize].clone();
        let mut headers = vec![(
            "x-auth-client",
            if rnd() % 2 == 0 {
                KEY.to_string()
            } else {
                "wrong key".into()
            },
        )];
        match rnd() % 3 {
            0 => headers.push((
                "x-hmac-signature",
                signature::sign(Scheme::Hmac, SECRET.as_bytes(), &body),
            )),
            1 => headers.push(("x-signature", "zz".repeat(40))),
            _ => {}
        }
        let r = send_raw(method.clone(), &format!("{}{path}", gw.base), &headers, body).await;
        assert!(r.status.as_u16() < 500, "{method} {path}: {}", r.status);
    }
    gw.shutdown().await;
}

/// Two gateways on one database: each webhook is delivered once (rows are claimed).
async fn two_gateways_share_the_outbox(backend: Backend) {
    let hooks = listener(0).await;
    let url = hooks.url.clone();
    let url2 = hooks.url.clone();
    let Some(a) = start(backend, |c| c.integrations[0].decision_webhook_url = Some(url)).await else {
        return;
    };
    let db = a.state.config.database_url.clone();
    let b = start(backend, |c| {
        c.database_url = db;
        c.integrations[0].decision_webhook_url = Some(url2);
    })
    .await
    .unwrap();
    let mut ids = Vec::new();
    for i in 0..10 {
        let gw = if i % 2 == 0 { &a } else { &b };
        let s = create_session(gw, json!({})).await;
        let id = s["id"].as_str().unwrap().to_string();
        let r = send_raw(
            Method::POST,
            &format!("{}/docval/results/{RESULT_TOKEN}", gw.base),
            &[],
            chip_result(&id, None),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        ids.push(id);
    }
    wait_for(&hooks, 20, |h| h.len() >= 10).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let got = hooks.hooks.lock().unwrap().clone();
    let mut seen: Vec<String> = got
        .iter()
        .map(|h| h.json()["verification"]["id"].as_str().unwrap().to_string())
        .collect();
    seen.sort();
    ids.sort();
    assert_eq!(seen, ids);
    a.shutdown().await;
    b.shutdown().await;
}

/// A listener that never answers 2xx: retries with growing delays, then given up after max_age.
async fn webhook_given_up_after_max_age(backend: Backend) {
    let hooks = listener(usize::MAX).await;
    let url = hooks.url.clone();
    let Some(gw) = start(backend, |c| {
        c.integrations[0].decision_webhook_url = Some(url);
        c.webhooks.initial_backoff = std::time::Duration::from_millis(40);
        c.webhooks.max_backoff = std::time::Duration::from_millis(160);
        c.webhooks.max_age = std::time::Duration::from_millis(700);
    })
    .await
    else {
        return;
    };
    let s = create_session(&gw, json!({})).await;
    let id = s["id"].as_str().unwrap().to_string();
    let r = send_raw(
        Method::POST,
        &format!("{}/docval/results/{RESULT_TOKEN}", gw.base),
        &[],
        chip_result(&id, None),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let end = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let m = send_raw(Method::GET, &format!("{}/metrics", gw.base), &[], Vec::new()).await;
        if String::from_utf8(m.body)
            .unwrap()
            .contains("kyc_webhooks_given_up_total 1")
        {
            break;
        }
        assert!(std::time::Instant::now() < end, "never given up");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let calls = hooks.calls.load(std::sync::atomic::Ordering::SeqCst);
    // Delays 40, 80, 160, 160… ms within 700 ms: a handful of attempts, then none.
    assert!((3..=12).contains(&calls), "{calls} attempts");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(hooks.calls.load(std::sync::atomic::Ordering::SeqCst), calls);
    gw.shutdown().await;
}

both_backends!(
    webhook_given_up_after_max_age,
    two_gateways_share_the_outbox,
    docval_result_is_idempotent,
    media_directory_and_retention,
    garbage_never_5xx,
    every_endpoint,
    legacy_signatures,
    rejections,
    service_endpoints,
    end_user_page_starts_the_session,
    expiry_job
);
