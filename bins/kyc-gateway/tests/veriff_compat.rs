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

/// `X-AUTH-CLIENT` and both signature headers over `body`: `X-SIGNATURE` in `x_signature`'s
/// algorithm (SHA-256(body || secret) unless answered in kind) and `X-HMAC-SIGNATURE` with HMAC.
fn assert_both_signed(
    what: &str,
    headers: &axum::http::HeaderMap,
    body: &[u8],
    key: &str,
    secret: &str,
    x_signature: Scheme,
) {
    let h = |name: &str| {
        headers
            .get(name)
            .unwrap_or_else(|| panic!("{what}: no {name}"))
            .to_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(h("x-auth-client"), key, "{what}");
    assert_eq!(
        h("x-signature"),
        signature::sign(x_signature, secret.as_bytes(), body),
        "{what}: x-signature"
    );
    assert_eq!(
        h("x-hmac-signature"),
        signature::sign(Scheme::Hmac, secret.as_bytes(), body),
        "{what}: x-hmac-signature"
    );
}

fn assert_unsigned(what: &str, r: &Resp) {
    for h in ["x-auth-client", "x-signature", "x-hmac-signature"] {
        assert!(r.headers.get(h).is_none(), "{what}: {h} present");
    }
}

/// Point 7: every webhook (decision and event, whatever the integration's old `scheme`
/// setting) and every signed response carries `X-AUTH-CLIENT`, `X-SIGNATURE` (SHA-256 of body ||
/// secret) and `X-HMAC-SIGNATURE` (HMAC-SHA256); error answers (400, 401, 404, 405, 409, 413,
/// 429) are signed the same way when the request's API key is a configured integration's, and
/// their bodies are the fixed documented texts.
async fn every_webhook_and_response_carries_both_signatures(backend: Backend) {
    let hooks = listener(0).await;
    let url = hooks.url.clone();
    let Some(gw) = start(backend, |c| {
        for i in [0, 2] {
            c.integrations[i].decision_webhook_url = Some(url.clone());
            c.integrations[i].event_webhook_url = Some(url.clone());
        }
    })
    .await
    else {
        return;
    };
    // Responses: signed creation (HMAC) and unsigned creation (the LEGACY integration's old
    // scheme was sha256): both headers each time.
    let r = send(
        Method::POST,
        &format!("{}/v1/sessions", gw.base),
        KEY,
        SECRET,
        &session_body(json!({})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_both_signed("signed creation", &r.headers, &r.body, KEY, SECRET, Scheme::Sha256);
    let hmac_id = r.json()["verification"]["id"].as_str().unwrap().to_string();
    let r = send_raw(
        Method::POST,
        &format!("{}/v1/sessions", gw.base),
        &[("x-auth-client", LEGACY_KEY.into())],
        spec_sample_body(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_both_signed(
        "unsigned creation",
        &r.headers,
        &r.body,
        LEGACY_KEY,
        LEGACY_SECRET,
        Scheme::Sha256,
    );
    let legacy_id = r.json()["verification"]["id"].as_str().unwrap().to_string();

    // Webhooks: both sessions decided from the chip (the face stored as media).
    for id in [&hmac_id, &legacy_id] {
        let r = send_raw(
            Method::POST,
            &format!("{}/docval/results/{RESULT_TOKEN}", gw.base),
            &[],
            chip_result(id, Some(JPEG)),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    }
    // 7001, 7002 and the decision for each session.
    let got = wait_for(&hooks, 30, |h| h.len() >= 6).await;
    let mut kinds = Vec::new();
    for h in &got {
        let v = h.json();
        let (id, what) = if v.get("verification").is_some() {
            (v["verification"]["id"].as_str().unwrap().to_string(), "decision")
        } else {
            (v["id"].as_str().unwrap().to_string(), "event")
        };
        let (key, secret) = if id == hmac_id {
            (KEY, SECRET)
        } else {
            (LEGACY_KEY, LEGACY_SECRET)
        };
        assert_both_signed(what, &h.headers, &h.body, key, secret, Scheme::Sha256);
        kinds.push((id == hmac_id, what));
    }
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            (false, "decision"),
            (false, "event"),
            (false, "event"),
            (true, "decision"),
            (true, "event"),
            (true, "event")
        ]
    );

    // GETs: X-SIGNATURE with SHA-256 over the id; the HMAC value under X-SIGNATURE is answered
    // in kind; the media bytes are signed too.
    let id = legacy_id.as_str();
    let path = format!("{}/v1/sessions/{id}/media", gw.base);
    let r = send_raw(
        Method::GET,
        &path,
        &[
            ("x-auth-client", LEGACY_KEY.into()),
            (
                "x-signature",
                signature::sign(Scheme::Sha256, LEGACY_SECRET.as_bytes(), id.as_bytes()),
            ),
        ],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_both_signed(
        "GET (sha256)",
        &r.headers,
        &r.body,
        LEGACY_KEY,
        LEGACY_SECRET,
        Scheme::Sha256,
    );
    let media_id = r.json()["images"][0]["id"].as_str().unwrap().to_string();
    let r = send_raw(
        Method::GET,
        &path,
        &[
            ("x-auth-client", LEGACY_KEY.into()),
            (
                "x-signature",
                signature::sign(Scheme::Hmac, LEGACY_SECRET.as_bytes(), id.as_bytes()),
            ),
        ],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_both_signed(
        "GET (HMAC as X-SIGNATURE)",
        &r.headers,
        &r.body,
        LEGACY_KEY,
        LEGACY_SECRET,
        Scheme::Hmac,
    );
    let r = get(
        &gw,
        &format!("/v1/media/{media_id}"),
        &media_id,
        LEGACY_KEY,
        LEGACY_SECRET,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, JPEG);
    assert_both_signed(
        "media bytes",
        &r.headers,
        &r.body,
        LEGACY_KEY,
        LEGACY_SECRET,
        Scheme::Sha256,
    );

    // Error answers to a known key: signed, with the fixed documented bodies.
    let not_authorized = br#"{"status":"fail","message":"Not Authorized."}"#.to_vec();
    let not_found = br#"{"status":"fail","message":"Not Found."}"#.to_vec();
    let sessions = format!("{}/v1/sessions", gw.base);
    let cases: Vec<(&str, Resp, StatusCode, Option<Vec<u8>>)> = vec![
        (
            "401 wrong signature",
            send(Method::POST, &sessions, KEY, "not the secret", &session_body(json!({}))).await,
            StatusCode::UNAUTHORIZED,
            Some(not_authorized.clone()),
        ),
        (
            "401 unsigned where a signature is required",
            send_raw(
                Method::POST,
                &sessions,
                &[("x-auth-client", KEY.into())],
                session_body(json!({})),
            )
            .await,
            StatusCode::UNAUTHORIZED,
            Some(not_authorized.clone()),
        ),
        (
            "400 1102",
            send(Method::POST, &sessions, KEY, SECRET, b"{}").await,
            StatusCode::BAD_REQUEST,
            Some(
                br#"{"status":"fail","code":1102,"message":"Mandatory parameters are missing from the request."}"#
                    .to_vec(),
            ),
        ),
        (
            "404 another integration's session",
            get(
                &gw,
                &format!("/v1/sessions/{legacy_id}/decision"),
                &legacy_id,
                KEY,
                SECRET,
            )
            .await,
            StatusCode::NOT_FOUND,
            Some(not_found.clone()),
        ),
        (
            "404 unknown route",
            get(&gw, "/v1/nothing-here", "nothing-here", KEY, SECRET).await,
            StatusCode::NOT_FOUND,
            Some(not_found.clone()),
        ),
        (
            "405 method",
            send(
                Method::PUT,
                &format!("{}/v1/sessions/{hmac_id}", gw.base),
                KEY,
                SECRET,
                &patch_body(),
            )
            .await,
            StatusCode::METHOD_NOT_ALLOWED,
            Some(br#"{"status":"fail","message":"Method Not Allowed."}"#.to_vec()),
        ),
        (
            "409 decided",
            send(
                Method::PATCH,
                &format!("{}/v1/sessions/{hmac_id}", gw.base),
                KEY,
                SECRET,
                &patch_body(),
            )
            .await,
            StatusCode::CONFLICT,
            None,
        ),
        (
            "413",
            send(
                Method::POST,
                &sessions,
                KEY,
                SECRET,
                &vec![b' '; kyc_gateway::api::MAX_JSON_BODY + 1],
            )
            .await,
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
        ),
    ];
    for (what, r, status, body) in cases {
        assert_eq!(r.status, status, "{what}: {}", String::from_utf8_lossy(&r.body));
        if let Some(b) = body {
            assert_eq!(String::from_utf8_lossy(&r.body), String::from_utf8_lossy(&b), "{what}");
        }
        assert_both_signed(what, &r.headers, &r.body, KEY, SECRET, Scheme::Sha256);
    }
    // Unknown or absent key: nothing to sign with.
    let r = send(Method::POST, &sessions, "guessed-key", SECRET, &session_body(json!({}))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_unsigned("unknown key", &r);
    let r = send_raw(Method::POST, &sessions, &[], session_body(json!({}))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_unsigned("no key", &r);
    gw.shutdown().await;

    // 429 of the per-key limit: signed as well.
    let Some(gw) = start(backend, |c| {
        c.rate_limit = Some(kyc_gateway::config::RateLimit {
            requests_per_second: 1,
            burst: 1,
        })
    })
    .await
    else {
        return;
    };
    let mut limited = None;
    for _ in 0..5 {
        let r = get(&gw, "/v1/sessions/x/decision", "x", KEY, SECRET).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
    }
    let r = limited.expect("no 429 within 5 requests at 1/s");
    assert!(r.headers.get("retry-after").is_some());
    assert_both_signed("429", &r.headers, &r.body, KEY, SECRET, Scheme::Sha256);
    gw.shutdown().await;
}

/// Point 8: the media listing's `size` is a string in KB (the upload answer's stays the
/// documented integer of bytes); an unknown `context` is refused with 1104 and stores nothing;
/// `DELETE /v1/sessions/{id}` signed over the id deletes the session (a 9104 webhook first when
/// it was undecided), is refused while a decision is coming, and is signed like every response.
async fn media_listing_contexts_and_session_deletion(backend: Backend) {
    let hooks = listener(0).await;
    let url = hooks.url.clone();
    let Some(gw) = start(backend, |c| {
        c.integrations[0].decision_webhook_url = Some(url.clone());
        c.integrations[2].decision_webhook_url = Some(url);
    })
    .await
    else {
        return;
    };
    let s = create_session(&gw, json!({})).await;
    let id = s["id"].as_str().unwrap().to_string();
    let media_url = format!("{}/v1/sessions/{id}/media", gw.base);
    // 3000 bytes of JPEG: "3" KB; the 25-byte PNG: "1" KB.
    let mut big = JPEG.to_vec();
    big.resize(3000, 0);
    let r = send(
        Method::POST,
        &media_url,
        KEY,
        SECRET,
        &media_body("document-front", &big),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json()["image"]["size"],
        3000,
        "the upload answer's size is the documented integer"
    );
    for ctx in ["face", "document-back-pre", "document-and-face"] {
        let r = send(Method::POST, &media_url, KEY, SECRET, &media_body(ctx, PNG)).await;
        assert_eq!(r.status, StatusCode::OK, "{ctx}: {}", String::from_utf8_lossy(&r.body));
    }
    for ctx in ["selfie", "FACE", "face-nfc", "document", "../face", " face"] {
        let r = send(Method::POST, &media_url, KEY, SECRET, &media_body(ctx, PNG)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{ctx}");
        assert_eq!(
            r.json(),
            json!({"status": "fail", "code": 1104, "message": "Request includes invalid parameters."}),
            "{ctx}"
        );
    }
    let r = get(&gw, &format!("/v1/sessions/{id}/media"), &id, KEY, SECRET).await;
    assert_eq!(r.status, StatusCode::OK);
    let images = r.json()["images"].as_array().unwrap().clone();
    assert_eq!(images.len(), 4, "refused uploads stored nothing");
    let mut sizes: Vec<&str> = images
        .iter()
        .map(|m| m["size"].as_str().expect("size is a string"))
        .collect();
    sizes.sort();
    assert_eq!(sizes, vec!["1", "1", "1", "3"]);
    let attempt = attempts(&gw, &id).await[0].0.clone();
    let r = get(&gw, &format!("/v1/attempts/{attempt}/media"), &attempt, KEY, SECRET).await;
    let mut sizes: Vec<String> = r.json()["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["size"].as_str().unwrap().to_string())
        .collect();
    sizes.sort();
    assert_eq!(sizes, vec!["1", "1", "1", "3"]);
    let media_id = images[0]["id"].as_str().unwrap().to_string();
    assert_eq!(kyc_gateway::api::size_in_kb(0), "0");
    assert_eq!(kyc_gateway::api::size_in_kb(1024), "1");
    assert_eq!(kyc_gateway::api::size_in_kb(1025), "2");

    // DELETE: signed over the id (a signature over anything else, or none, is 401).
    let delete_url = format!("{}/v1/sessions/{id}", gw.base);
    let r = send_raw(
        Method::DELETE,
        &delete_url,
        &[("x-auth-client", KEY.into())],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = send(Method::DELETE, &delete_url, KEY, SECRET, b"").await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "signed over the empty body, not the id"
    );
    // Another integration's session: 404.
    let r = send_raw(
        Method::DELETE,
        &delete_url,
        &[
            ("x-auth-client", PUBLIC_KEY.into()),
            (
                "x-hmac-signature",
                signature::sign(Scheme::Hmac, PUBLIC_SECRET.as_bytes(), id.as_bytes()),
            ),
        ],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let delete = |key: &'static str, secret: &'static str, id: String| {
        let base = gw.base.clone();
        async move {
            send_raw(
                Method::DELETE,
                &format!("{base}/v1/sessions/{id}"),
                &[
                    ("x-auth-client", key.into()),
                    (
                        "x-hmac-signature",
                        signature::sign(Scheme::Hmac, secret.as_bytes(), id.as_bytes()),
                    ),
                ],
                Vec::new(),
            )
            .await
        }
    };
    let r = delete(KEY, SECRET, id.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    assert_both_signed("DELETE", &r.headers, &r.body, KEY, SECRET, Scheme::Sha256);
    assert_eq!(
        r.json(),
        json!({"status": "success", "verification": {"id": id, "status": "deleted"}})
    );
    // Never opened: its 9104 `expired` decision webhook, then nothing of it is left.
    let got = wait_for(&hooks, 30, |h| !h.is_empty()).await;
    let v = got[0].json()["verification"].clone();
    assert_eq!(
        (v["id"].as_str(), v["code"].as_u64(), v["status"].as_str()),
        (Some(id.as_str()), Some(9104), Some("expired"))
    );
    for path in [
        format!("/v1/sessions/{id}/decision"),
        format!("/v1/sessions/{id}/media"),
        format!("/v1/sessions/{id}/attempts"),
    ] {
        assert_eq!(
            get(&gw, &path, &id, KEY, SECRET).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        get(&gw, &format!("/v1/media/{media_id}"), &media_id, KEY, SECRET)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&gw, &format!("/v1/attempts/{attempt}/media"), &attempt, KEY, SECRET)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = send_raw(Method::GET, s["url"].as_str().unwrap(), &[], Vec::new()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    for table in ["media", "timestamps", "attempts"] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE session_id = $1"))
            .bind(id.clone())
            .fetch_one(&gw.state.db.pool)
            .await
            .unwrap();
        assert_eq!(n, 0, "{table}");
    }
    assert_eq!(delete(KEY, SECRET, id.clone()).await.status, StatusCode::NOT_FOUND);

    // Submitted (a decision is coming): 409; once decided (approved) it can go, without a new
    // webhook. The legacy X-SIGNATURE over the id works as well.
    let r = send_raw(
        Method::POST,
        &format!("{}/v1/sessions", gw.base),
        &[("x-auth-client", LEGACY_KEY.into())],
        spec_sample_body(),
    )
    .await;
    let lid = r.json()["verification"]["id"].as_str().unwrap().to_string();
    let body = patch_body();
    let r = send_raw(
        Method::PATCH,
        &format!("{}/v1/sessions/{lid}", gw.base),
        &[
            ("x-auth-client", LEGACY_KEY.into()),
            (
                "x-signature",
                signature::sign(Scheme::Sha256, LEGACY_SECRET.as_bytes(), &body),
            ),
        ],
        body,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    let legacy_delete = |lid: String| {
        let base = gw.base.clone();
        async move {
            send_raw(
                Method::DELETE,
                &format!("{base}/v1/sessions/{lid}"),
                &[
                    ("x-auth-client", LEGACY_KEY.into()),
                    (
                        "x-signature",
                        signature::sign(Scheme::Sha256, LEGACY_SECRET.as_bytes(), lid.as_bytes()),
                    ),
                ],
                Vec::new(),
            )
            .await
        }
    };
    let r = legacy_delete(lid.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_both_signed("409", &r.headers, &r.body, LEGACY_KEY, LEGACY_SECRET, Scheme::Sha256);
    let r = send_raw(
        Method::POST,
        &format!("{}/docval/results/{RESULT_TOKEN}", gw.base),
        &[],
        chip_result(&lid, None),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    wait_for(&hooks, 30, |h| h.len() >= 2).await;
    let r = legacy_delete(lid.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    assert_both_signed(
        "DELETE (legacy)",
        &r.headers,
        &r.body,
        LEGACY_KEY,
        LEGACY_SECRET,
        Scheme::Sha256,
    );
    // Decided before: no 9104 webhook for its deletion.
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE session_id = $1 AND body LIKE '%9104%'")
        .bind(lid.clone())
        .fetch_one(&gw.state.db.pool)
        .await
        .unwrap();
    assert_eq!(n, 0);

    // A session holding a chip result being decided: 409.
    let held = create_session(&gw, json!({})).await;
    let hid = held["id"].as_str().unwrap().to_string();
    assert!(
        kyc_gateway::api::hold_for_chip_result(&gw.state, &hid, kyc_gateway::now_ms())
            .await
            .unwrap()
    );
    assert_eq!(delete(KEY, SECRET, hid.clone()).await.status, StatusCode::CONFLICT);
    // An opened session: `abandoned`.
    let opened = create_session(&gw, json!({})).await;
    let oid = opened["id"].as_str().unwrap().to_string();
    send_raw(Method::GET, opened["url"].as_str().unwrap(), &[], Vec::new()).await;
    assert_eq!(delete(KEY, SECRET, oid.clone()).await.status, StatusCode::OK);
    let got = wait_for(&hooks, 30, |h| {
        h.iter().any(|h| h.json()["verification"]["id"] == oid.as_str())
    })
    .await;
    let v = got
        .iter()
        .map(|h| h.json()["verification"].clone())
        .find(|v| v["id"] == oid.as_str())
        .unwrap();
    assert_eq!(
        (v["code"].as_u64(), v["status"].as_str()),
        (Some(9104), Some("abandoned"))
    );
    gw.shutdown().await;
}

/// The `url` of the end-user page's `<meta http-equiv="refresh">`.
fn refresh_url(gw: &Gw, page: &[u8]) -> Option<String> {
    let html = String::from_utf8_lossy(page);
    let start = html.find("id=\"refresh\" content=\"")? + "id=\"refresh\" content=\"".len();
    let rest = &html[start..];
    let content = &rest[..rest.find('"')?];
    let (_, url) = content.split_once(";url=")?;
    Some(format!("{}{}", gw.base, url.replace("&amp;", "&")))
}

async fn get_no_redirect(url: &str) -> (StatusCode, Option<String>, Vec<u8>) {
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = c.get(url).send().await.unwrap();
    let status = StatusCode::from_u16(r.status().as_u16()).unwrap();
    let location = r.headers().get("location").map(|v| v.to_str().unwrap().to_string());
    (status, location, r.bytes().await.unwrap().to_vec())
}

/// Point 9: while an attempt is in progress the end-user page reloads itself; once the attempt
/// has ended (9001, 9103, …) the reload sends the person to the session's `callback`, or the
/// integration's default; the plain URL of a decided session says nothing is left to do and
/// links the callback; a reload never starts an attempt.
async fn end_user_page_sends_the_person_to_the_callback(backend: Backend) {
    let evts = listener(0).await;
    let e_url = evts.url.clone();
    let Some(gw) = start(backend, |c| {
        c.integrations[0].event_webhook_url = Some(e_url);
        c.integrations[0].default_callback = Some("https://merchant.example/kyc/default".into());
        c.no_chip_decision_timeout = Duration::from_millis(300);
    })
    .await
    else {
        return;
    };
    // 1. A callback of its own; decided from the chip: approved.
    let callback = "https://merchant.example/kyc/done?user=42&step=2";
    let s = create_session(&gw, json!({"callback": callback})).await;
    let id = s["id"].as_str().unwrap().to_string();
    let a1 = attempts(&gw, &id).await[0].0.clone();
    let (status, _, page) = get_no_redirect(s["url"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let reload = refresh_url(&gw, &page).expect("the page reloads itself");
    assert_eq!(
        reload,
        format!("{}/v/{}?attempt={a1}", gw.base, s["sessionToken"].as_str().unwrap())
    );
    let (status, location, page) = get_no_redirect(&reload).await;
    assert_eq!((status, location), (StatusCode::OK, None), "still in progress");
    assert_eq!(refresh_url(&gw, &page).as_deref(), Some(reload.as_str()));
    let r = send_raw(
        Method::POST,
        &format!("{}/docval/results/{RESULT_TOKEN}", gw.base),
        &[],
        chip_result(&id, None),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let (status, location, _) = get_no_redirect(&reload).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some(callback));
    // The plain URL: nothing left to do, a link to the callback, no reload.
    let (status, _, page) = get_no_redirect(s["url"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8_lossy(&page);
    assert!(html.contains("id=\"done\""), "{html}");
    assert!(
        html.contains("href=\"https://merchant.example/kyc/done?user=42&amp;step=2\""),
        "{html}"
    );
    assert!(refresh_url(&gw, &page).is_none());

    // 2. No callback: the integration's default; a photo-only submission's 9103 ends the attempt.
    let s = create_session(&gw, json!({"callback": null})).await;
    let id2 = s["id"].as_str().unwrap().to_string();
    let (_, _, page) = get_no_redirect(s["url"].as_str().unwrap()).await;
    let reload = refresh_url(&gw, &page).unwrap();
    let r = send(
        Method::PATCH,
        &format!("{}/v1/sessions/{id2}", gw.base),
        KEY,
        SECRET,
        &patch_body(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    wait_decision(&gw, &id2, 30, |v| !v.is_null()).await;
    let (status, location, _) = get_no_redirect(&reload).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("https://merchant.example/kyc/default"));
    // The reload started nothing: 7001 and 7002 of attempt 1 only.
    let evs = || {
        evts.hooks
            .lock()
            .unwrap()
            .iter()
            .map(|h| h.json())
            .filter(|v| v["id"] == id2.as_str())
            .map(|v| v["code"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    wait_for(&evts, 30, |h| {
        h.iter().filter(|h| h.json()["id"] == id2.as_str()).count() >= 2
    })
    .await;
    assert_eq!(evs(), vec![7001, 7002]);
    // Opening the URL again (the integrator sends the person back): the new attempt's page.
    let (status, _, page) = get_no_redirect(s["url"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let a2 = attempts(&gw, &id2).await[1].0.clone();
    assert!(refresh_url(&gw, &page).unwrap().ends_with(&format!("?attempt={a2}")));
    wait_for(&evts, 30, |h| {
        h.iter().filter(|h| h.json()["id"] == id2.as_str()).count() >= 3
    })
    .await;
    assert_eq!(evs(), vec![7001, 7002, 7001]);

    // 3. No callback anywhere: the reload after the end says the person's part is done.
    let r = send_raw(
        Method::POST,
        &format!("{}/v1/sessions", gw.base),
        &[("x-auth-client", PUBLIC_KEY.into())],
        session_body(json!({"callback": null})),
    )
    .await;
    let s = r.json()["verification"].clone();
    let id3 = s["id"].as_str().unwrap().to_string();
    let (_, _, page) = get_no_redirect(s["url"].as_str().unwrap()).await;
    let reload = refresh_url(&gw, &page).unwrap();
    send_raw(
        Method::POST,
        &format!("{}/docval/results/{RESULT_TOKEN}", gw.base),
        &[],
        chip_result(&id3, None),
    )
    .await;
    let (status, location, page) = get_no_redirect(&reload).await;
    assert_eq!((status, location), (StatusCode::OK, None));
    assert!(String::from_utf8_lossy(&page).contains("id=\"done\""));
    // A malformed attempt id: not found.
    let (status, _, _) = get_no_redirect(&format!("{}?attempt=../x", s["url"].as_str().unwrap())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    gw.shutdown().await;
}

both_backends!(
    session_creation_with_the_api_key_alone,
    session_token_is_a_jwt_the_page_accepts,
    expired_and_abandoned_are_9104,
    photo_only_submission_gets_9103_then_a_new_attempt,
    supplied_person_data_matches_after_transliteration,
    every_webhook_and_response_carries_both_signatures,
    media_listing_contexts_and_session_deletion,
    end_user_page_sends_the_person_to_the_callback,
);

/// Point 9 in a real browser: headless Chromium (`KYC_TEST_CHROMIUM`) opens the session URL,
/// stays on the page, and follows its reload to the merchant's callback page once the attempt
/// has ended. The chip result is posted when the first reload reaches the gateway (a proxy in
/// front of it does it), so the order is fixed whatever the machine's load; the test waits (at
/// most 60 s) for the browser's request to the merchant's page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_is_sent_to_the_callback_when_the_attempt_ends() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let Ok(chrome) = std::env::var("KYC_TEST_CHROMIUM") else {
        println!(
            "SKIP chromium redirect test: KYC_TEST_CHROMIUM is not set (.ci/kyc-deps.sh installs Debian chromium)"
        );
        return;
    };
    // The merchant's page records who arrived, with which query.
    let arrivals: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let a = arrivals.clone();
    let merchant = axum::Router::new().route(
        "/thanks",
        axum::routing::get(move |uri: axum::http::Uri, headers: axum::http::HeaderMap| {
            let a = a.clone();
            async move {
                let agent = headers
                    .get("user-agent")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                a.lock().unwrap().push((uri.query().unwrap_or("").to_string(), agent));
                axum::response::Html("<!doctype html><html><body><h1>Thanks from the merchant</h1></body></html>")
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let callback = format!("http://{}/thanks?user=42", l.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(l, merchant).await;
    });
    let gw = start(Backend::Sqlite, |_| {}).await.unwrap();
    let s = create_session(&gw, json!({"callback": callback})).await;
    let id = s["id"].as_str().unwrap().to_string();
    // The proxy: the first reload (`?attempt=`) posts the chip result before it is forwarded.
    let decided = Arc::new(AtomicBool::new(false));
    let (d, base, sid) = (decided.clone(), gw.base.clone(), id.clone());
    let proxy = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let (d, base, sid) = (d.clone(), base.clone(), sid.clone());
        async move {
            if uri.query().is_some_and(|q| q.contains("attempt=")) && !d.swap(true, Ordering::SeqCst) {
                let r = send_raw(
                    Method::POST,
                    &format!("{base}/docval/results/{RESULT_TOKEN}"),
                    &[],
                    chip_result(&sid, None),
                )
                .await;
                assert_eq!(r.status, StatusCode::OK);
            }
            let c = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let r = c
                .get(format!("{base}{}", uri.path_and_query().map_or("", |p| p.as_str())))
                .send()
                .await
                .unwrap();
            let mut out = axum::http::Response::builder().status(r.status().as_u16());
            for h in ["location", "content-type", "content-security-policy", "cache-control"] {
                if let Some(v) = r.headers().get(h) {
                    out = out.header(h, v.as_bytes());
                }
            }
            out.body(axum::body::Body::from(r.bytes().await.unwrap())).unwrap()
        }
    });
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(l, proxy).await;
    });
    let page = format!("{proxy_base}/v/{}", s["sessionToken"].as_str().unwrap());
    let profile = tempfile::tempdir().unwrap();
    let mut child = match std::process::Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(page)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            println!("SKIP chromium redirect test: chromium did not start: {e}");
            gw.shutdown().await;
            return;
        }
    };
    let end = Instant::now() + Duration::from_secs(60);
    let arrived = loop {
        if let Some(a) = arrivals.lock().unwrap().first().cloned() {
            break Some(a);
        }
        if Instant::now() > end || child.try_wait().ok().flatten().is_some() {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    let (query, agent) = arrived.unwrap_or_else(|| {
        panic!(
            "the browser never reached the callback (page reloaded: {})",
            decided.load(Ordering::SeqCst)
        )
    });
    assert!(decided.load(Ordering::SeqCst));
    assert_eq!(query, "user=42");
    assert!(agent.contains("Chrome"), "{agent}");
    let v = wait_decision(&gw, &id, 10, |v| !v.is_null()).await;
    assert_eq!(v["code"], 9001);
    gw.shutdown().await;
}
