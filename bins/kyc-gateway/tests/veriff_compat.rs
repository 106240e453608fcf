//! Issue 15: the gateway behaves as the vendor's documented API does, point by point, over HTTP
//! on 127.0.0.1 against SQLite and (when available) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::*;
use kyc_core::signature::{self, Scheme};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00";
const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00tiny";

/// The body of the spec's curl sample for POST /v1/sessions, with a current timestamp (the
/// sample's 2016 one is refused as documented: 1201).
fn spec_sample_body() -> Vec<u8> {
    serde_json::to_vec(&json!({"verification": {
        "callback": "https://veriff.me",
        "person": {"firstName": "Tundmatu", "lastName": "Toomas", "idNumber": "123456789"},
        "document": {"number": "B01234567", "type": "PASSPORT", "country": "EE"},
        "additionalData": {"citizenship": "EE", "placeOfResidence": "Tallinn"},
        "vendorData": "11111111",
        "lang": "en",
        "timestamp": now_ts()
    }}))
    .unwrap()
}

fn media_body(context: &str, bytes: &[u8]) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"image": {"context": context, "content": STANDARD.encode(bytes), "timestamp": now_ts()}}),
    )
    .unwrap()
}

fn patch_body() -> Vec<u8> {
    serde_json::to_vec(&json!({"verification": {"status": "submitted", "frontState": "done", "timestamp": now_ts()}}))
        .unwrap()
}

/// Polls `GET /v1/sessions/{id}/decision` until `f` holds on its `verification` (at most `secs`).
async fn wait_decision(gw: &Gw, id: &str, secs: u64, f: impl Fn(&Value) -> bool) -> Value {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        let r = get(gw, &format!("/v1/sessions/{id}/decision"), id, KEY, SECRET).await;
        assert_eq!(r.status, StatusCode::OK);
        let v = r.json()["verification"].clone();
        if f(&v) {
            return v;
        }
        assert!(
            Instant::now() < end,
            "timed out waiting for the decision of {id}; last: {v}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn attempts(gw: &Gw, id: &str) -> Vec<(String, String)> {
    let r = get(gw, &format!("/v1/sessions/{id}/attempts"), id, KEY, SECRET).await;
    assert_eq!(r.status, StatusCode::OK);
    r.json()["verifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_string(),
                a["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn assert_hook_signed(h: &Hook) {
    assert_eq!(h.headers.get("x-auth-client").unwrap(), KEY);
    let sig = h.headers.get("x-hmac-signature").unwrap().to_str().unwrap();
    assert_eq!(sig, signature::sign(Scheme::Hmac, SECRET.as_bytes(), &h.body));
}

/// (attempt id, code) of the event webhooks received.
fn events(l: &Listener) -> Vec<(String, u64)> {
    l.hooks
        .lock()
        .unwrap()
        .iter()
        .map(|h| {
            let v = h.json();
            (
                v["attemptId"].as_str().unwrap().to_string(),
                v["code"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Point 1: the spec's sample (only `X-AUTH-CLIENT`) creates a session by default; a signature
/// header, when present, must be valid; `require_signed_session_creation` requires one.
async fn session_creation_with_the_api_key_alone(backend: Backend) {
    let Some(gw) = start(backend, |_| {}).await else { return };
    let url = format!("{}/v1/sessions", gw.base);
    let body = spec_sample_body();
    // LEGACY_KEY and PUBLIC_KEY have the default configuration.
    for (key, secret, header, scheme) in [
        (LEGACY_KEY, LEGACY_SECRET, "x-signature", Scheme::Sha256),
        (PUBLIC_KEY, PUBLIC_SECRET, "x-hmac-signature", Scheme::Hmac),
    ] {
        let r = send_raw(Method::POST, &url, &[("x-auth-client", key.into())], body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{key}: {}",
            String::from_utf8_lossy(&r.body)
        );
        // Signed in the integration's scheme.
        r.assert_signed(key, secret, header, scheme);
        assert_eq!(r.json()["verification"]["vendorData"], "11111111");
        // Also at the path with the trailing slash, as the sample writes it.
        let r = send_raw(
            Method::POST,
            &format!("{url}/"),
            &[("x-auth-client", key.into())],
            body.clone(),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED);
        // A signature header that is present must be valid: wrong, empty, or one of two wrong.
        let good = signature::sign(Scheme::Hmac, secret.as_bytes(), &body);
        let wrong = signature::sign(Scheme::Hmac, b"not the secret", &body);
        for headers in [
            vec![("x-hmac-signature", wrong.clone())],
            vec![("x-signature", wrong.clone())],
            vec![("x-hmac-signature", String::new())],
            vec![("x-signature", " ".to_string())],
            vec![("x-hmac-signature", good.clone()), ("x-signature", wrong.clone())],
        ] {
            let mut h = vec![("x-auth-client", key.to_string())];
            h.extend(headers.iter().cloned());
            let r = send_raw(Method::POST, &url, &h, body.clone()).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{key} {headers:?}");
        }
        // A valid one: 201, the response signed in the request's header.
        let r = send_raw(
            Method::POST,
            &url,
            &[("x-auth-client", key.into()), ("x-hmac-signature", good)],
            body.clone(),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED);
        r.assert_signed(key, secret, "x-hmac-signature", Scheme::Hmac);
    }
    // KEY has require_signed_session_creation = true: the API key alone is refused, a
    // signature accepted.
    let r = send_raw(Method::POST, &url, &[("x-auth-client", KEY.into())], body.clone()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = send(Method::POST, &url, KEY, SECRET, &body).await;
    assert_eq!(r.status, StatusCode::CREATED);
    // The API key alone never authenticates anything but session creation.
    let id = r.json()["verification"]["id"].as_str().unwrap().to_string();
    let r = send_raw(
        Method::PATCH,
        &format!("{}/v1/sessions/{id}", gw.base),
        &[("x-auth-client", KEY.into())],
        patch_body(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    gw.shutdown().await;
}

/// Point 2: `baseUrl`, `url` = baseUrl + "/v/" + sessionToken, the token an HS256 JWT with
/// `session_id`, `iat`, `exp` (7 days), accepted by the end-user page.
async fn session_token_is_a_jwt_the_page_accepts(backend: Backend) {
    let Some(gw) = start(backend, |_| {}).await else { return };
    let r = send_raw(
        Method::POST,
        &format!("{}/v1/sessions", gw.base),
        &[("x-auth-client", PUBLIC_KEY.into())],
        spec_sample_body(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let v = r.json()["verification"].clone();
    let id = v["id"].as_str().unwrap();
    let token = v["sessionToken"].as_str().unwrap();
    assert_eq!(v["baseUrl"], gw.base);
    assert_eq!(v["url"], format!("{}/v/{token}", v["baseUrl"].as_str().unwrap()));
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "{token}");
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header, json!({"alg": "HS256", "typ": "JWT"}));
    let payload: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(payload["session_id"], id);
    let (iat, exp) = (payload["iat"].as_i64().unwrap(), payload["exp"].as_i64().unwrap());
    assert!((iat - chrono::Utc::now().timestamp()).abs() < 120, "{payload}");
    assert_eq!(exp - iat, 7 * 86400);
    // HS256 over "header.payload" with the server key (here derived from the integration's
    // secret: no session_token_secret configured).
    let key = kyc_core::session_token::derive_key(PUBLIC_SECRET.as_bytes());
    let mac = signature::digest(Scheme::Hmac, &key, format!("{}.{}", parts[0], parts[1]).as_bytes());
    assert_eq!(URL_SAFE_NO_PAD.decode(parts[2]).unwrap(), mac);
    // The page accepts it (and starts the session); a tampered token is not found.
    let r = send_raw(Method::GET, v["url"].as_str().unwrap(), &[], Vec::new()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&r.body).contains(&format!("<code id=\"validation-id\">{id}</code>")));
    let mut bad = token.to_string();
    let last = if bad.ends_with('A') { 'B' } else { 'A' };
    bad.pop();
    bad.push(last);
    let r = send_raw(Method::GET, &format!("{}/v/{bad}", gw.base), &[], Vec::new()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // PATCH answers with the same shape.
    let r = send(
        Method::PATCH,
        &format!("{}/v1/sessions/{id}", gw.base),
        PUBLIC_KEY,
        PUBLIC_SECRET,
        &patch_body(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["verification"]["baseUrl"], gw.base);
    assert_eq!(r.json()["verification"]["sessionToken"], token);
    // A session created before issue 15 has a 64-hex-digit token: its page still opens.
    let legacy = "0123456789abcdef".repeat(4);
    sqlx::query("UPDATE sessions SET session_token = $1 WHERE id = $2")
        .bind(legacy.clone())
        .bind(id.to_string())
        .execute(&gw.state.db.pool)
        .await
        .unwrap();
    let r = send_raw(Method::GET, &format!("{}/v/{legacy}", gw.base), &[], Vec::new()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&r.body).contains(&format!("<code id=\"validation-id\">{id}</code>")));
    gw.shutdown().await;

    // With session_token_secret configured the tokens are keyed from it.
    let Some(gw) = start(backend, |c| c.session_token_secret = Some("server token secret".into())).await else {
        return;
    };
    let v = create_session(&gw, json!({})).await;
    let token = v["sessionToken"].as_str().unwrap();
    let now = chrono::Utc::now().timestamp();
    let claims =
        kyc_core::session_token::verify(&kyc_core::session_token::derive_key(b"server token secret"), token, now)
            .unwrap();
    assert_eq!(claims.session_id, v["id"].as_str().unwrap());
    assert!(
        kyc_core::session_token::verify(&kyc_core::session_token::derive_key(SECRET.as_bytes()), token, now).is_err()
    );
    let r = send_raw(Method::GET, v["url"].as_str().unwrap(), &[], Vec::new()).await;
    assert_eq!(r.status, StatusCode::OK);
    gw.shutdown().await;
}

/// Point 3: 7 days (here 3 s) after creation, a session never opened is `expired` and one
/// opened is `abandoned`, both 9104; a session holding a chip result being decided is not
/// abandoned, and is decided from that result.
async fn expired_and_abandoned_are_9104(backend: Backend) {
    let hooks = listener(0).await;
    let url = hooks.url.clone();
    let Some(gw) = start(backend, |c| {
        c.integrations[0].decision_webhook_url = Some(url);
        // Long enough for the requests below to land before the deadline on a loaded machine.
        c.session_expiry = Duration::from_millis(3000);
        c.expiry_check_interval = Duration::from_millis(50);
    })
    .await
    else {
        return;
    };
    // Created first, so that its deadline passes before the others'.
    let processing = create_session(&gw, json!({})).await;
    let processing_id = processing["id"].as_str().unwrap().to_string();
    send_raw(Method::GET, processing["url"].as_str().unwrap(), &[], Vec::new()).await;
    // docval-server's result arrives and is being decided (held as the result endpoint does).
    assert!(
        kyc_gateway::api::hold_for_chip_result(&gw.state, &processing_id, kyc_gateway::now_ms())
            .await
            .unwrap()
    );
    let never = create_session(&gw, json!({})).await;
    let opened = create_session(&gw, json!({})).await;
    send_raw(Method::GET, opened["url"].as_str().unwrap(), &[], Vec::new()).await;
    let submitted = create_session(&gw, json!({})).await;
    let sid = submitted["id"].as_str().unwrap();
    let r = send(
        Method::PATCH,
        &format!("{}/v1/sessions/{sid}", gw.base),
        KEY,
        SECRET,
        &patch_body(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    // Updates do not extend the deadline (counted from creation): touch the opened session.
    let oid = opened["id"].as_str().unwrap();
    let r = send(
        Method::POST,
        &format!("{}/v1/sessions/{oid}/media", gw.base),
        KEY,
        SECRET,
        &media_body("document-front", PNG),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let got = wait_for(&hooks, 30, |h| h.len() >= 3).await;
    let mut by_id = std::collections::BTreeMap::new();
    for h in &got {
        assert_hook_signed(h);
        let v = h.json()["verification"].clone();
        by_id.insert(
            v["id"].as_str().unwrap().to_string(),
            (v["code"].as_u64().unwrap(), v["status"].as_str().unwrap().to_string()),
        );
    }
    let want = |s: &str| (9104u64, s.to_string());
    assert_eq!(by_id[never["id"].as_str().unwrap()], want("expired"));
    assert_eq!(by_id[oid], want("abandoned"));
    assert_eq!(by_id[sid], want("abandoned"));
    // The held session's deadline passed before the others' and the job ended those: it left
    // the held one alone. Once more, directly: still nothing to end.
    assert!(!by_id.contains_key(&processing_id));
    assert_eq!(kyc_gateway::jobs::expire_sessions(&gw.state).await.unwrap(), 0);
    let r = get(
        &gw,
        &format!("/v1/sessions/{processing_id}/decision"),
        &processing_id,
        KEY,
        SECRET,
    )
    .await;
    assert_eq!(r.json()["verification"], Value::Null);
    // The result is decided: approved, not abandoned.
    let r = send_raw(
        Method::POST,
        &format!("{}/docval/results/{RESULT_TOKEN}", gw.base),
        &[],
        chip_result(&processing_id, None),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    let v = wait_decision(&gw, &processing_id, 10, |v| !v.is_null()).await;
    assert_eq!(
        (v["code"].as_u64(), v["status"].as_str()),
        (Some(9001), Some("approved"))
    );
    let got = wait_for(&hooks, 10, |h| h.len() >= 4).await;
    assert!(got.iter().all(|h| h.json()["verification"]["code"] != 9121));
    gw.shutdown().await;
}

/// Points 4 and 5: the Node demo's flow (two photos, PATCH submitted) without a chip reading
/// gets resubmission 9103 within the configured time, with the decision webhook; the session
/// then takes a new attempt (new id, uploads and PATCH accepted, 7001/7002 again), and a chip
/// reading decides it.
async fn photo_only_submission_gets_9103_then_a_new_attempt(backend: Backend) {
    let decisions = listener(0).await;
    let evts = listener(0).await;
    let (d_url, e_url) = (decisions.url.clone(), evts.url.clone());
    let Some(gw) = start(backend, |c| {
        c.integrations[0].decision_webhook_url = Some(d_url);
        c.integrations[0].event_webhook_url = Some(e_url);
        c.no_chip_decision_timeout = Duration::from_millis(300);
    })
    .await
    else {
        return;
    };
    let s = create_session(&gw, json!({})).await;
    let id = s["id"].as_str().unwrap().to_string();
    let first = attempts(&gw, &id).await;
    assert_eq!(first.len(), 1);
    let a1 = first[0].0.clone();
    let upload = |ctx: &'static str, bytes: &'static [u8]| {
        let (base, id) = (gw.base.clone(), id.clone());
        async move {
            send(
                Method::POST,
                &format!("{base}/v1/sessions/{id}/media"),
                KEY,
                SECRET,
                &media_body(ctx, bytes),
            )
            .await
        }
    };
    let patch = || {
        let (base, id) = (gw.base.clone(), id.clone());
        async move {
            send(
                Method::PATCH,
                &format!("{base}/v1/sessions/{id}"),
                KEY,
                SECRET,
                &patch_body(),
            )
            .await
        }
    };
    assert_eq!(upload("document-front", PNG).await.status, StatusCode::OK);
    assert_eq!(upload("face", JPEG).await.status, StatusCode::OK);
    let t0 = Instant::now();
    let r = patch().await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["verification"]["status"], "submitted");

    // Attempt 1: the decision webhook with 9103 / 201 and a reason naming the chip.
    let got = wait_for(&decisions, 30, |h| !h.is_empty()).await;
    assert!(t0.elapsed() >= Duration::from_millis(300), "decided before the timeout");
    assert_hook_signed(&got[0]);
    let v = got[0].json()["verification"].clone();
    assert_eq!(v["code"], 9103);
    assert_eq!(v["status"], "resubmission_requested");
    assert_eq!(v["reasonCode"], 201);
    assert!(v["reason"].as_str().unwrap().contains("chip was not read"), "{v}");
    assert_eq!(v["attemptId"], a1.as_str());
    assert_eq!(v["id"], id.as_str());
    let d = wait_decision(&gw, &id, 10, |v| !v.is_null()).await;
    assert_eq!(d["code"], 9103);

    // A new attempt with a new id.
    let second = attempts(&gw, &id).await;
    assert_eq!(second.len(), 2, "{second:?}");
    assert_eq!(second[0], (a1.clone(), "resubmission_requested".to_string()));
    let a2 = second[1].0.clone();
    assert_ne!(a2, a1);
    assert_eq!(second[1].1, "created");

    // Uploads and PATCH submitted are accepted again, for attempt 2.
    let r = upload("document-front", PNG).await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    let media_id = r.json()["image"]["id"].as_str().unwrap().to_string();
    let r = get(&gw, &format!("/v1/attempts/{a2}/media"), &a2, KEY, SECRET).await;
    let images = r.json()["images"].clone();
    assert_eq!(images.as_array().unwrap().len(), 1);
    assert_eq!(images[0]["id"], media_id.as_str());
    let r = get(&gw, &format!("/v1/attempts/{a1}/media"), &a1, KEY, SECRET).await;
    assert_eq!(r.json()["images"].as_array().unwrap().len(), 2);
    let r = patch().await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    let got = wait_for(&decisions, 30, |h| h.len() >= 2).await;
    let v = got[1].json()["verification"].clone();
    assert_eq!(
        (v["code"].as_u64(), v["attemptId"].as_str()),
        (Some(9103), Some(a2.as_str()))
    );
    let third = attempts(&gw, &id).await;
    assert_eq!(third.len(), 3);
    let a3 = third[2].0.clone();

    // Attempt 3: the person scans the chip; the chip result decides it.
    let r = send_raw(Method::GET, s["url"].as_str().unwrap(), &[], Vec::new()).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = send_raw(
        Method::POST,
        &format!("{}/docval/results/{RESULT_TOKEN}", gw.base),
        &[],
        chip_result(&id, None),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    let got = wait_for(&decisions, 30, |h| h.len() >= 3).await;
    let v = got[2].json()["verification"].clone();
    assert_eq!(
        (v["code"].as_u64(), v["attemptId"].as_str()),
        (Some(9001), Some(a3.as_str()))
    );
    // Decided: no more uploads.
    assert_eq!(upload("face", JPEG).await.status, StatusCode::CONFLICT);

    // 7001 and 7002 once per attempt, in order.
    let want = vec![
        (a1.clone(), 7001),
        (a1.clone(), 7002),
        (a2.clone(), 7001),
        (a2.clone(), 7002),
        (a3.clone(), 7001),
        (a3.clone(), 7002),
    ];
    wait_for(&evts, 30, |h| h.len() >= want.len()).await;
    let mut got = events(&evts);
    got.sort_by_key(|(a, c)| (want.iter().position(|(w, _)| w == a), *c));
    assert_eq!(got, want);
    gw.shutdown().await;
}

/// Point 6: supplied person data against the chip: blank fields are not supplied, names compared
/// after Doc 9303 Part 3 transliteration, numbers without separators; a different name or one
/// with nothing to compare declines 9102 / 105.
async fn supplied_person_data_matches_after_transliteration(backend: Backend) {
    let Some(gw) = start(backend, |_| {}).await else { return };
    // (case, supplied verification fields, chip primary / secondary identifiers, optional data,
    //  expected code)
    type Case = (&'static str, Value, &'static str, &'static str, &'static str, u64);
    let cases: Vec<Case> = vec![
        (
            "Czech diacritics, blank idNumber, document number with separators",
            json!({"person": {"firstName": "Antonín", "lastName": "Dvořák", "idNumber": "   "},
                   "document": {"number": "C01 X00-T47", "type": "PASSPORT", "country": "EE"}}),
            "DVORAK",
            "ANTONIN",
            "",
            9001,
        ),
        (
            "Ü as UE",
            json!({"person": {"firstName": "Jürgen", "lastName": "Müller"}}),
            "MUELLER",
            "JUERGEN",
            "",
            9001,
        ),
        (
            "Ü as U",
            json!({"person": {"firstName": "Jürgen", "lastName": "Müller"}}),
            "MULLER",
            "JURGEN",
            "",
            9001,
        ),
        (
            "Ø, Æ, ß, Þ",
            json!({"person": {"firstName": "Søren Þór", "lastName": "Ærøskøbing-Groß"}}),
            "AEROESKOEBING<GROSS",
            "SOEREN<THOR",
            "",
            9001,
        ),
        (
            "Cyrillic",
            json!({"person": {"firstName": "Юлия", "lastName": "Щукина"}}),
            "SHCHUKINA",
            "IULIIA",
            "",
            9001,
        ),
        (
            "Greek",
            json!({"person": {"firstName": "Χρήστος", "lastName": "Παπαδόπουλος"}}),
            "PAPADOPOULOS",
            "CHRISTOS",
            "",
            9001,
        ),
        (
            "blank names are not supplied",
            json!({"person": {"firstName": " ", "lastName": "\t"}}),
            "MUSTERFRAU",
            "ERIKA",
            "",
            9001,
        ),
        (
            "idNumber with separators",
            json!({"person": {"lastName": "Musterfrau", "idNumber": "384-0812-0001"}}),
            "MUSTERFRAU",
            "ERIKA",
            "38408120001",
            9001,
        ),
        (
            "another person: Muller is not MILLER",
            json!({"person": {"firstName": "Erika", "lastName": "Muller"}}),
            "MILLER",
            "ERIKA",
            "",
            9102,
        ),
        (
            "a name that transliterates to nothing is no match",
            json!({"person": {"lastName": "李"}}),
            "LI",
            "ERIKA",
            "",
            9102,
        ),
        (
            "separators only is no match",
            json!({"person": {"lastName": "- '"}}),
            "MUSTERFRAU",
            "ERIKA",
            "",
            9102,
        ),
        (
            "other idNumber",
            json!({"person": {"idNumber": "384-0812-0002"}}),
            "MUSTERFRAU",
            "ERIKA",
            "38408120001",
            9102,
        ),
    ];
    for (name, fields, primary, secondary, optional, code) in cases {
        let s = create_session(&gw, fields).await;
        let id = s["id"].as_str().unwrap().to_string();
        let body = chip_result_with(&id, None, |p| {
            p["mrz_info"]["primary_identifier"] = json!(primary);
            p["mrz_info"]["secondary_identifier"] = json!(secondary.split('<').collect::<Vec<_>>());
            p["mrz_info"]["optional_data1"] = json!(optional);
        });
        let r = send_raw(
            Method::POST,
            &format!("{}/docval/results/{RESULT_TOKEN}", gw.base),
            &[],
            body,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{name}: {}", String::from_utf8_lossy(&r.body));
        let v = wait_decision(&gw, &id, 10, |v| !v.is_null()).await;
        assert_eq!(v["code"].as_u64(), Some(code), "{name}: {v}");
        if code == 9102 {
            assert_eq!(v["reasonCode"], 105, "{name}");
        }
    }
    gw.shutdown().await;
}

both_backends!(
    session_creation_with_the_api_key_alone,
    session_token_is_a_jwt_the_page_accepts,
    expired_and_abandoned_are_9104,
    photo_only_submission_gets_9103_then_a_new_attempt,
    supplied_person_data_matches_after_transliteration,
);
