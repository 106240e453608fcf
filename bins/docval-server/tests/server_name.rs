//! `SERVER_NAME` (the vendor image's variable): where this server's name appears. The result
//! POST's `User-Agent` is `docval-server/VERSION (SERVER_NAME)` and `/metrics` exports
//! `docval_server_info{server_name,version}`; a name that cannot travel in a header or a label
//! is refused at start-up.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::post;
use common::{access_for, chip, start_server};
use docval_server::config::{ClientConfig, Config};
use emrtd_phone::{PhoneOptions, run_phone};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A result server recording the `User-Agent` of every POST.
async fn user_agent_recorder() -> (String, Arc<Mutex<Vec<String>>>) {
    let agents: Arc<Mutex<Vec<String>>> = Arc::default();
    let a = agents.clone();
    let app = Router::new().route(
        "/results",
        post(move |headers: HeaderMap| {
            let a = a.clone();
            async move {
                let ua = headers
                    .get("user-agent")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                a.lock().unwrap().push(ua);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/results"), agents)
}

#[tokio::test]
async fn server_name_is_in_the_result_post_user_agent_and_in_metrics() {
    let (url, agents) = user_agent_recorder().await;
    let config = Config {
        server_name: "desk-7".into(),
        clients: vec![ClientConfig {
            id: "ci-client".into(),
            result_server_url: Some(url),
        }],
        ..Config::default()
    };
    config.validate().unwrap();
    let addr = start_server(config).await;

    let mut c = chip("ref-1");
    let opts = PhoneOptions::new(&format!("ws://{addr}/ws1/validate"), "ci-client", access_for(&c));
    let out = run_phone(&mut c, &opts).await.unwrap();
    // Close 1000 means the POST got a 2xx: it has been recorded.
    assert_eq!(out.code(), Some(1000), "{out:?}");
    let agents = agents.lock().unwrap().clone();
    assert_eq!(
        agents,
        vec![format!("docval-server/{} (desk-7)", env!("CARGO_PKG_VERSION"))]
    );

    let metrics = reqwest::Client::new()
        .get(format!("http://{addr}/metrics"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = format!(
        "docval_server_info{{server_name=\"desk-7\",version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );
    assert!(metrics.lines().any(|l| l == line), "{metrics}");
}

#[test]
fn a_server_name_that_cannot_travel_in_a_header_or_label_is_refused() {
    let base = Config {
        clients: vec![ClientConfig {
            id: "ci-client".into(),
            result_server_url: None,
        }],
        ..Config::default()
    };
    for bad in ["", "desk 7", "a\"b", "line\nbreak", "é", &"x".repeat(65)] {
        let c = Config {
            server_name: bad.to_string(),
            ..base.clone()
        };
        let err = c.validate().expect_err(bad).to_string();
        assert!(err.contains("SERVER_NAME"), "{bad:?}: {err}");
    }
    for good in ["docval", "edge-1.eu_west:8080", &"x".repeat(64)] {
        let c = Config {
            server_name: good.to_string(),
            ..base.clone()
        };
        c.validate().unwrap();
    }
}
