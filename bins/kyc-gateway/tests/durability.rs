//! SIGKILL during a burst of session creations: every session answered 201 is there after a
//! restart (the gateway binary on a SQLite file, and on PostgreSQL when available).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn_gateway(db: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_kyc-gateway"))
        .env("GATEWAY_INTEGRATIONS", format!("{KEY}:{SECRET}"))
        .env("DATABASE_URL", db)
        .env("LISTEN", format!("127.0.0.1:{port}"))
        .env("GATEWAY_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        // The burst must not be cut short by the per-key rate limit.
        .env("GATEWAY_RATE_LIMIT", "off")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_healthy(base: &str) {
    for _ in 0..300 {
        if let Ok(r) = client().get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gateway at {base} did not become healthy");
}

async fn sigkill_during_burst_loses_no_answered_session(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = database_url(backend, dir.path()).await else {
        return;
    };
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = spawn_gateway(&db, port);
    wait_healthy(&base).await;

    let answered: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let answered = answered.clone();
        let url = format!("{base}/v1/sessions");
        tasks.push(tokio::spawn(async move {
            loop {
                let r = send_result(&url).await;
                match r {
                    Some(id) => answered.lock().unwrap().push(id),
                    None => break,
                }
            }
        }));
    }
    // Let the burst run, then SIGKILL (Child::kill sends SIGKILL on Unix).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    child.kill().unwrap();
    let _ = child.wait();
    for t in tasks {
        let _ = t.await;
    }
    let ids = answered.lock().unwrap().clone();
    assert!(ids.len() > 10, "burst too small: {}", ids.len());

    // Restart on the same database: every answered session is there.
    let port2 = free_port();
    let base2 = format!("http://127.0.0.1:{port2}");
    let mut child2 = spawn_gateway(&db, port2);
    wait_healthy(&base2).await;
    let mut missing = Vec::new();
    for id in &ids {
        let sig = kyc_core::signature::sign(kyc_core::Scheme::Hmac, SECRET.as_bytes(), id.as_bytes());
        let r = client()
            .get(format!("{base2}/v1/sessions/{id}/decision"))
            .header("x-auth-client", KEY)
            .header("x-hmac-signature", sig)
            .send()
            .await
            .unwrap();
        if r.status().as_u16() != 200 {
            missing.push(id.clone());
        }
    }
    child2.kill().unwrap();
    let _ = child2.wait();
    println!(
        "{} sessions answered 201 before SIGKILL, {} missing after restart",
        ids.len(),
        missing.len()
    );
    assert!(missing.is_empty(), "lost sessions: {missing:?}");
}

/// One signed session creation; `Some(id)` on 201, `None` once the server is gone.
async fn send_result(url: &str) -> Option<String> {
    let body = session_body(serde_json::json!({}));
    let sig = kyc_core::signature::sign(kyc_core::Scheme::Hmac, SECRET.as_bytes(), &body);
    let r = client()
        .post(url)
        .header("content-type", "application/json")
        .header("x-auth-client", KEY)
        .header("x-hmac-signature", sig)
        .body(body)
        .send()
        .await
        .ok()?;
    if r.status().as_u16() != 201 {
        return None;
    }
    let bytes = r.bytes().await.ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v["verification"]["id"].as_str().map(str::to_string)
}

both_backends!(sigkill_during_burst_loses_no_answered_session);
