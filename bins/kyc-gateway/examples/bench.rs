//! Load benchmark: signed `POST /v1/sessions` on SQLite next to a hello-world route served by
//! the same stack (tokio + hyper + axum), both over HTTP/1.1 keep-alive on 127.0.0.1.
//!
//! `cargo run -p kyc-gateway --example bench -- [CONCURRENCY] [SECONDS]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use kyc_core::Scheme;
use kyc_core::signature::sign;
use kyc_gateway::config::{Config, Integration};
use kyc_gateway::{AppState, serve};
use std::sync::Arc;
use std::time::{Duration, Instant};

const KEY: &str = "bench-key";
const SECRET: &str = "bench-secret";

async fn load(
    concurrency: usize,
    secs: u64,
    make: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync + 'static,
    expect: u16,
) -> (usize, Vec<Duration>) {
    let make = Arc::new(make);
    let end = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let make = make.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().unwrap();
            let mut lat = Vec::new();
            while Instant::now() < end {
                let t = Instant::now();
                let r = make(&client).send().await.unwrap();
                assert_eq!(r.status().as_u16(), expect);
                let _ = r.bytes().await.unwrap();
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    (all.len(), all)
}

fn report(name: &str, secs: u64, (n, lat): (usize, Vec<Duration>)) {
    let q = |p: f64| lat[((lat.len() as f64 - 1.0) * p) as usize];
    println!(
        "| {name} | {:.0} req/s | {:.2} ms | {:.2} ms | {:.2} ms |",
        n as f64 / secs as f64,
        q(0.5).as_secs_f64() * 1e3,
        q(0.99).as_secs_f64() * 1e3,
        lat.last().unwrap().as_secs_f64() * 1e3,
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let concurrency: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(16);
    let secs: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = Config {
        database_url: format!("sqlite://{}?mode=rwc", dir.path().join("bench.sqlite3").display()),
        public_url: format!("http://{addr}"),
        integrations: vec![Integration {
            api_key: KEY.into(),
            api_secret: SECRET.into(),
            scheme: Scheme::Hmac,
            decision_webhook_url: None,
            event_webhook_url: None,
            default_callback: None,
            require_signed_session_creation: true,
            allow_public_key_sessions: None,
        }],
        // Throughput is measured without the per-key rate limit.
        rate_limit: None,
        ..Config::default()
    };
    let state = Arc::new(AppState::new(config).await.unwrap());
    tokio::spawn(async move { serve(listener, state, std::future::pending()).await.unwrap() });
    // Hello world on the same stack.
    let hello = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hello_addr = hello.local_addr().unwrap();
    tokio::spawn(async move {
        let app = axum::Router::new().route("/hello", axum::routing::get(|| async { "hello, world" }));
        axum::serve(hello, app).await.unwrap()
    });

    println!("concurrency {concurrency}, {secs} s per run");
    println!("| route | throughput | p50 | p99 | max |");
    println!("|---|---|---|---|---|");
    let url = format!("http://{hello_addr}/hello");
    report(
        "GET /hello (same stack)",
        secs,
        load(concurrency, secs, move |c| c.get(&url), 200).await,
    );
    let url = format!("http://{addr}/v1/sessions");
    let make = move |c: &reqwest::Client| {
        let ts = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let body = format!(
            r#"{{"verification":{{"callback":"https://example.com/cb","person":{{"firstName":"Erika","lastName":"Musterfrau"}},"vendorData":"bench","timestamp":"{ts}"}}}}"#
        );
        let sig = sign(Scheme::Hmac, SECRET.as_bytes(), body.as_bytes());
        c.post(&url)
            .header("content-type", "application/json")
            .header("x-auth-client", KEY)
            .header("x-hmac-signature", sig)
            .body(body)
    };
    report(
        "signed POST /v1/sessions (SQLite)",
        secs,
        load(concurrency, secs, make, 201).await,
    );
}
