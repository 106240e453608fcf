//! What the v2 test suites share: fixture documents, a server trusting the test PKI, and a
//! result server on 127.0.0.1 recording every POST.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::Router;
use axum::routing::post;
use docval_server::config::Config;
use docval_server::{AppState, serve, trust};
use emrtd_phone::Access;
use emrtd_sim::VirtualChip;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/documents")
}

pub fn chip(name: &str) -> VirtualChip {
    VirtualChip::load(&fixtures().join(name)).unwrap()
}

/// The CAN when the document does PACE, else its MRZ data.
pub fn access_for(chip: &VirtualChip) -> Access {
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

/// A result server on 127.0.0.1: its URL and every POST body received, in order.
pub async fn result_server() -> (String, Arc<Mutex<Vec<Value>>>) {
    let posts: Arc<Mutex<Vec<Value>>> = Arc::default();
    let p = posts.clone();
    let app = Router::new().route(
        "/results",
        post(move |body: String| {
            let p = p.clone();
            async move {
                p.lock().unwrap().push(serde_json::from_str(&body).unwrap());
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/results"), posts)
}

/// docval-server with `config` plus the test PKI (the virtual documents are signed by it,
/// trusted only on request), serving until the test ends; its address.
pub async fn start_server(config: Config) -> std::net::SocketAddr {
    let (store, _) = trust::load(&docval_server::config::TrustConfig {
        test_pki: true,
        ..config.trust.clone()
    })
    .unwrap();
    let state = Arc::new(AppState::new(config, store).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = serve(listener, state, std::future::pending()).await;
    });
    addr
}
