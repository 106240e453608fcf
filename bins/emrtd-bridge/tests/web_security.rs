//! Issue 18, a local service every web page can reach: the Origin allow-list on both interfaces
//! (a real headless Chromium page from an allowed and from a disallowed origin), one Sinosecu
//! connection at a time, the access key belonging to the connection that set it, and reading
//! errors without internal details.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use emrtd_bridge::ausweisapp::AusweisConfig;
use emrtd_bridge::origin::OriginPolicy;
use emrtd_bridge::sinosecu::{self, SinosecuConfig};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

mod common;

use common::{Ws, fixture, recv_json as recv, send_json as send, start_bridge as start_ausweisapp, start_sinosecu};

/// The HTTP status of an upgrade with `origin` (`None`: no Origin header); 101 on success.
async fn upgrade_status(url: &str, origin: Option<&str>) -> (u16, Option<Ws>) {
    let mut req = url.into_client_request().unwrap();
    if let Some(o) = origin {
        req.headers_mut().insert("Origin", o.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, resp)) => (resp.status().as_u16(), Some(ws)),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => (resp.status().as_u16(), None),
        Err(e) => panic!("upgrade failed: {e}"),
    }
}

/// Connects, retrying while the service still counts the previous connection (HTTP 429).
async fn connect_when_free(url: &str) -> Ws {
    for _ in 0..400 {
        if let (101, Some(ws)) = upgrade_status(url, None).await {
            return ws;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{url} stayed busy");
}

/// The first message whose Command is `Save`/`Display` after a trigger.
async fn trigger(ws: &mut Ws) -> Value {
    send(
        ws,
        json!({"Type":"Notify","Command":"Trigger","Operand":"ManualRecog","Param":2}),
    )
    .await;
    loop {
        let v = recv(ws).await;
        if v["Command"] == "Save" || v["Command"] == "Display" {
            return v;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sinosecu_origin_allow_list_and_one_connection() {
    let origins = OriginPolicy::new(&["https://desk.example.com", "https://*.branch.example"]).unwrap();
    let url = start_sinosecu(SinosecuConfig {
        document: Some(fixture("ref-1")),
        origins,
        ..SinosecuConfig::default()
    })
    .await;
    for bad in [
        "https://evil.example",
        "null",
        "http://desk.example.com",
        "https://desk.example.com.evil.example",
        "https://branch.example",
    ] {
        assert_eq!(upgrade_status(&url, Some(bad)).await.0, 403, "{bad}");
    }
    let (status, ws) = upgrade_status(&url, Some("https://desk.example.com")).await;
    assert_eq!(status, 101);
    let mut first = ws.unwrap();
    recv(&mut first).await;
    // One connection at a time: the next (even from an allowed page) gets 429.
    assert_eq!(upgrade_status(&url, Some("https://a.branch.example")).await.0, 429);
    assert_eq!(upgrade_status(&url, None).await.0, 429);
    first.close(None).await.unwrap();
    let mut second = connect_when_free(&url).await;
    recv(&mut second).await;
    // `null` (file:// pages) only when listed.
    let url = start_sinosecu(SinosecuConfig {
        origins: OriginPolicy::new(&["null"]).unwrap(),
        max_connections: 2,
        ..SinosecuConfig::default()
    })
    .await;
    assert_eq!(upgrade_status(&url, Some("null")).await.0, 101);
    assert_eq!(upgrade_status(&url, Some("https://desk.example.com")).await.0, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ausweisapp_origin_patterns() {
    let url = start_ausweisapp(AusweisConfig {
        origins: OriginPolicy::new(&["https://*.example.com"]).unwrap(),
        ..AusweisConfig::default()
    })
    .await;
    assert_eq!(upgrade_status(&url, Some("https://example.com")).await.0, 403);
    assert_eq!(upgrade_status(&url, Some("null")).await.0, 403);
    let (status, ws) = upgrade_status(&url, Some("https://shop.example.com")).await;
    assert_eq!(status, 101);
    drop(ws);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_key_belongs_to_the_connection_and_errors_are_short() {
    let url = start_sinosecu(SinosecuConfig {
        document: Some(fixture("td1-id-explicit-curve")),
        ..SinosecuConfig::default()
    })
    .await;
    // Page A sets a wrong CAN: its own reading fails with a short sentence.
    let mut a = connect_when_free(&url).await;
    recv(&mut a).await;
    send(
        &mut a,
        json!({"Type":"Request","Command":"Set","Operand":"AccessKey","Param":"000000"}),
    )
    .await;
    assert_eq!(recv(&mut a).await["Succeeded"], "Y");
    let failed = trigger(&mut a).await;
    assert_eq!(failed["Command"], "Display", "{failed}");
    assert_eq!(failed["Param"], sinosecu::ACCESS_DENIED);
    let text = failed["Param"].as_str().unwrap();
    for internal in ["GA step", "AccessControl", "{", "Sm(", "Pace", "Apdu"] {
        assert!(!text.contains(internal), "{text}");
    }
    a.close(None).await.unwrap();
    // Page B, after A is gone, reads with the document's printed MRZ: A's key went with A.
    let mut b = connect_when_free(&url).await;
    recv(&mut b).await;
    let read = trigger(&mut b).await;
    assert_eq!(read["Operand"], "CardContentText", "{read}");
    assert_eq!(read["Param"]["MRZ1"].as_str().unwrap().len(), 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_connections_keep_their_own_access_keys() {
    let url = start_sinosecu(SinosecuConfig {
        document: Some(fixture("td1-id-explicit-curve")),
        max_connections: 2,
        ..SinosecuConfig::default()
    })
    .await;
    let (_, a) = upgrade_status(&url, None).await;
    let (_, b) = upgrade_status(&url, None).await;
    let (mut a, mut b) = (a.unwrap(), b.unwrap());
    recv(&mut a).await;
    recv(&mut b).await;
    send(
        &mut a,
        json!({"Type":"Request","Command":"Set","Operand":"AccessKey","Param":"000000"}),
    )
    .await;
    assert_eq!(recv(&mut a).await["Succeeded"], "Y");
    // B is not affected by A's key while both are open.
    assert_eq!(trigger(&mut b).await["Operand"], "CardContentText");
    assert_eq!(trigger(&mut a).await["Param"], sinosecu::ACCESS_DENIED);
}

// ---- headless Chromium ------------------------------------------------------------------

/// A page that opens the Sinosecu WebSocket, triggers a reading and reports what happened to
/// its own server (`/report?r=…`): `READ:<document number>`, `ERROR` (the upgrade failed) or
/// `MSG:<text>`.
fn page(ws_url: &str) -> String {
    page_with(
        ws_url,
        "ws.send(JSON.stringify({Type: 'Notify', Command: 'Trigger', Operand: 'ManualRecog', Param: 2}));",
        "m.Operand == 'CardContentText'",
        "m.Param['The passport number from MRZ']",
    )
}

/// A page for the AusweisApp interface: reports `READ:<reader name>` for the first READER
/// message (what a page learns first about the person's readers and cards).
fn ausweisapp_page(ws_url: &str) -> String {
    page_with(ws_url, "", "m.msg == 'READER'", "m.name")
}

fn page_with(ws_url: &str, on_open: &str, is_data: &str, data: &str) -> String {
    format!(
        r#"<!doctype html><html><body><script>
function report(r) {{ fetch('/report?r=' + encodeURIComponent(r)); }}
var done = false;
var ws = new WebSocket('{ws_url}');
ws.onopen = function () {{ {on_open} }};
ws.onmessage = function (e) {{
  var m = JSON.parse(e.data);
  if (!done && {is_data}) {{ done = true; report('READ:' + {data}); }}
}};
ws.onerror = function () {{ if (!done) {{ done = true; report('ERROR'); }} }};
ws.onclose = function () {{ if (!done) {{ done = true; report('CLOSED'); }} }};
</script></body></html>"#
    )
}

/// Serves `html` at `/` and forwards `/report?r=…` values; returns the page URL.
async fn page_server(html: String, reports: mpsc::UnboundedSender<String>) -> String {
    use axum::extract::Query;
    use std::collections::HashMap;
    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::get(move || {
                let html = html.clone();
                async move { axum::response::Html(html) }
            }),
        )
        .route(
            "/report",
            axum::routing::get(move |Query(q): Query<HashMap<String, String>>| {
                let reports = reports.clone();
                async move {
                    let _ = reports.send(q.get("r").cloned().unwrap_or_default());
                    "ok"
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

fn chromium() -> Option<String> {
    if let Ok(c) = std::env::var("KYC_TEST_CHROMIUM") {
        return Some(c);
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists())
    .map(String::from)
}

/// Chromium showing `url` until dropped.
struct Browser {
    child: std::process::Child,
    /// Its profile, removed after it ends.
    _profile: tempfile_dir::Dir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

mod tempfile_dir {
    /// A temporary directory removed when dropped.
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn open_in_chromium(chrome: &str, url: &str, tag: &str) -> std::io::Result<Browser> {
    let dir = std::env::temp_dir().join(format!("bridge-chromium-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let child = std::process::Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
        ])
        .arg(format!("--user-data-dir={}", dir.display()))
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    Ok(Browser {
        child,
        _profile: tempfile_dir::Dir(dir),
    })
}

/// Issue 18 point 1: a hostile web page open in the person's browser cannot read the passport
/// through the Sinosecu interface; the desk's own page (listed with --allow-origin) can.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_page_from_an_allowed_origin_reads_and_from_another_is_refused() {
    let Some(chrome) = chromium() else {
        println!("SKIP chromium origin test: no chromium (.ci/kyc-deps.sh installs Debian chromium)");
        return;
    };
    // Two page servers on 127.0.0.1: different ports are different origins. The desk server
    // listens first (its origin is the allowed one); its page, which needs the service's URL,
    // is filled in once the service listens.
    let (reports_tx, mut reports) = mpsc::unbounded_channel::<String>();
    let html = Arc::new(std::sync::Mutex::new(String::new()));
    let desk = {
        use axum::extract::Query;
        use std::collections::HashMap;
        let html = html.clone();
        let tx = reports_tx.clone();
        let app = axum::Router::new()
            .route(
                "/",
                axum::routing::get(move || {
                    let h = html.lock().unwrap().clone();
                    async move { axum::response::Html(h) }
                }),
            )
            .route(
                "/report",
                axum::routing::get(move |Query(q): Query<HashMap<String, String>>| {
                    let tx = tx.clone();
                    async move {
                        let _ = tx.send(format!("desk {}", q.get("r").cloned().unwrap_or_default()));
                        "ok"
                    }
                }),
            );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = l.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(l, app).await;
        });
        format!("http://{a}")
    };
    let ws_url = start_sinosecu(SinosecuConfig {
        document: Some(fixture("ref-1")),
        origins: OriginPolicy::new(&[desk.as_str()]).unwrap(),
        max_connections: 2,
        ..SinosecuConfig::default()
    })
    .await;
    *html.lock().unwrap() = page(&ws_url);
    let (evil_tx, mut evil_reports) = mpsc::unbounded_channel::<String>();
    let evil = page_server(page(&ws_url), evil_tx).await;

    let _desk_browser = match open_in_chromium(&chrome, &format!("{desk}/"), "desk") {
        Ok(b) => b,
        Err(e) => {
            println!("SKIP chromium origin test: chromium did not start: {e}");
            return;
        }
    };
    let got = tokio::time::timeout(Duration::from_secs(120), reports.recv())
        .await
        .expect("the desk page reported nothing within 120 s");
    assert_eq!(got.as_deref(), Some("desk READ:C01X00T47"));

    let _evil_browser = open_in_chromium(&chrome, &format!("{evil}/"), "evil").unwrap();
    let got = tokio::time::timeout(Duration::from_secs(120), evil_reports.recv())
        .await
        .expect("the hostile page reported nothing within 120 s");
    // The upgrade is refused (403): the page sees an error, never the document.
    assert_eq!(got.as_deref(), Some("ERROR"));
}

/// The AusweisApp interface, with the same browser: a page from a listed origin talks to it,
/// a page from another origin gets no connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_pages_and_the_ausweisapp_interface() {
    let Some(chrome) = chromium() else {
        println!("SKIP chromium origin test: no chromium (.ci/kyc-deps.sh installs Debian chromium)");
        return;
    };
    // The allowed page's server must listen before the service is configured with its origin.
    let html = Arc::new(std::sync::Mutex::new(String::new()));
    let (tx, mut reports) = mpsc::unbounded_channel::<String>();
    let desk = {
        use axum::extract::Query;
        use std::collections::HashMap;
        let html = html.clone();
        let app = axum::Router::new()
            .route(
                "/",
                axum::routing::get(move || {
                    let h = html.lock().unwrap().clone();
                    async move { axum::response::Html(h) }
                }),
            )
            .route(
                "/report",
                axum::routing::get(move |Query(q): Query<HashMap<String, String>>| {
                    let tx = tx.clone();
                    async move {
                        let _ = tx.send(q.get("r").cloned().unwrap_or_default());
                        "ok"
                    }
                }),
            );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = l.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(l, app).await;
        });
        format!("http://{a}")
    };
    let ws_url = start_ausweisapp(AusweisConfig {
        origins: OriginPolicy::new(&[desk.as_str()]).unwrap(),
        ..AusweisConfig::default()
    })
    .await;
    *html.lock().unwrap() = ausweisapp_page(&ws_url);
    let (evil_tx, mut evil_reports) = mpsc::unbounded_channel::<String>();
    let evil = page_server(ausweisapp_page(&ws_url), evil_tx).await;
    // The hostile page first (the interface takes one connection at a time).
    let evil_browser = match open_in_chromium(&chrome, &format!("{evil}/"), "aa-evil") {
        Ok(b) => b,
        Err(e) => {
            println!("SKIP chromium origin test: chromium did not start: {e}");
            return;
        }
    };
    let got = tokio::time::timeout(Duration::from_secs(120), evil_reports.recv())
        .await
        .expect("the hostile page reported nothing within 120 s");
    assert_eq!(got.as_deref(), Some("ERROR"));
    drop(evil_browser);
    let _desk_browser = open_in_chromium(&chrome, &format!("{desk}/"), "aa-desk").unwrap();
    let got = tokio::time::timeout(Duration::from_secs(120), reports.recv())
        .await
        .expect("the desk page reported nothing within 120 s");
    assert_eq!(got.as_deref(), Some("READ:Simulator"));
}
