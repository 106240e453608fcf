//! Issue 13, hole 9: the server's own integrity against a hostile phone, a hostile result
//! server and its own bugs. Real sockets on 127.0.0.1 only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use axum::http::{HeaderMap, StatusCode, header};
use docval_server::config::{ClientConfig, Config, Timeouts};
use docval_server::{AppState, serve, trust};
use emrtd_phone::{Access, PhoneOptions, PhoneOutcome, run_phone, run_phone_scripted};
use emrtd_sim::{Adversarial, VirtualChip};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

fn chip(name: &str) -> VirtualChip {
    VirtualChip::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/documents")
            .join(name),
    )
    .unwrap()
}

/// The configuration of these tests: the embedded test PKI (ref-1 is a test document), short
/// timeouts. None of the assertions below depends on the passive-authentication verdict.
fn test_config() -> Config {
    Config {
        timeouts: Timeouts {
            start_message: Duration::from_secs(2),
            response: Duration::from_secs(2),
            session: Duration::from_secs(30),
            ..Timeouts::default()
        },
        ..Config::default()
    }
}

fn state(config: Config) -> AppState {
    let (store, _) = trust::load(&config.trust).unwrap();
    AppState::new(config, store).unwrap()
}

async fn start(state: AppState) -> (String, Arc<AppState>) {
    let state = Arc::new(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, state.clone(), std::future::pending()));
    (format!("ws://{addr}/ws1/validate"), state)
}

fn can() -> Access {
    Access::Can("123456".into())
}

fn assert_closed(out: &PhoneOutcome, code: u16, reason: &str) {
    let seen = (&out.statuses, &out.text_close, out.close_code, &out.close_reason);
    assert_eq!(out.close_code, Some(code), "{seen:?}");
    assert_eq!(out.close_reason.as_deref(), Some(reason), "{seen:?}");
    assert_eq!(out.text_close, Some((code, Some(reason.to_string()))), "{seen:?}");
    assert!(out.result.is_none(), "{seen:?}");
}

/// Waits (bounded) until `f` holds.
async fn wait_for(what: &str, f: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A result server that answers every POST with a redirect (`status`, Location: the target)
/// and a target that would accept anything with 200; both count what they receive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn result_post_never_follows_a_redirect() {
    let target_hits = Arc::new(AtomicU32::new(0));
    let t = target_hits.clone();
    let target = axum::Router::new().fallback(move || {
        let t = t.clone();
        async move {
            t.fetch_add(1, Ordering::SeqCst);
            StatusCode::OK
        }
    });
    let tl = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target_url = format!("http://{}/accept", tl.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(tl, target).await;
    });

    let codes = [301u16, 302, 303, 307, 308];
    let redirect_hits: Arc<Vec<AtomicU32>> = Arc::new(codes.iter().map(|_| AtomicU32::new(0)).collect());
    let mut app = axum::Router::new();
    for (i, code) in codes.iter().copied().enumerate() {
        let hits = redirect_hits.clone();
        let location = target_url.clone();
        app = app.route(
            &format!("/r{code}"),
            axum::routing::any(move || {
                let hits = hits.clone();
                let location = location.clone();
                async move {
                    hits[i].fetch_add(1, Ordering::SeqCst);
                    let mut h = HeaderMap::new();
                    h.insert(header::LOCATION, location.parse().unwrap());
                    (StatusCode::from_u16(code).unwrap(), h)
                }
            }),
        );
    }
    let rl = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rs = format!("http://{}", rl.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(rl, app).await;
    });

    let mut config = test_config();
    config.clients = codes
        .iter()
        .map(|c| ClientConfig {
            id: format!("c{c}"),
            result_server_url: Some(format!("{rs}/r{c}")),
        })
        .collect();
    config.post.backoff = Duration::from_millis(10);
    let retries = config.post.retries;
    let (url, _state) = start(state(config)).await;
    for (i, code) in codes.iter().enumerate() {
        let out = run_phone(&mut chip("ref-1"), &PhoneOptions::new(&url, &format!("c{code}"), can()))
            .await
            .unwrap();
        assert_closed(&out, 1011, "POST_TO_RESULT_SERVER_FAILED");
        // Retried like a 5xx, then given up.
        assert_eq!(redirect_hits[i].load(Ordering::SeqCst), retries + 1, "HTTP {code}");
        assert_eq!(
            target_hits.load(Ordering::SeqCst),
            0,
            "HTTP {code}: the redirect was followed"
        );
    }
}

/// A chip whose answers trigger a server bug (the test-only hook panics on status word 6FAA):
/// the session closes with SERVER_ERROR, its slot is released and the server keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_a_session_closes_it_with_server_error_and_frees_its_slot() {
    fn buggy(response: &[u8]) {
        if response.ends_with(&[0x6F, 0xAA]) {
            panic!("injected fault: the server chokes on this chip's answer");
        }
    }
    let mut st = state(Config {
        max_sessions: 1,
        ..test_config()
    });
    st.chip_response_hook = Some(buggy);
    let (url, st) = start(st).await;
    let opts = PhoneOptions::new(&url, "YOUR CLIENT ID", can());

    let mut faulty = chip("ref-1").with_adversarial(Adversarial::WrongStatus { sw: 0x6FAA });
    let out = run_phone(&mut faulty, &opts).await.unwrap();
    assert_closed(&out, 1011, "SERVER_ERROR");
    assert!(out.apdus >= 1, "{out:?}");

    wait_for("the slot to be released", || {
        st.metrics.sessions_active.load(Ordering::Relaxed) == 0
    })
    .await;
    // max_sessions = 1: served only if the panicked session gave its slot back.
    let out = run_phone(&mut chip("ref-1"), &opts).await.unwrap();
    assert_eq!(out.code(), Some(1000), "{out:?}");
    assert!(out.result.is_some());
    let metrics = st.metrics.render();
    assert!(
        metrics.contains("docval_session_outcomes_total{reason=\"SERVER_ERROR\"} 1"),
        "{metrics}"
    );
    assert_eq!(st.metrics.sessions_refused.load(Ordering::Relaxed), 0);
}

/// Client text never reaches the log: the server binary runs at RUST_LOG=trace while phones
/// put a marker in every field they control (validation id, client id, platform, access key,
/// unknown keys, broken JSON, a stray text message, the query string, a header), and a result
/// URL with a secret query is unreachable. The marker is in none of the server's output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_text_never_reaches_the_log() {
    const MARK: &str = "QXZ7MARKER";
    const URL_SECRET: &str = "QXZ7URLSECRET";
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dead_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    /// Kills the server this test started, however the test ends.
    struct Child(std::process::Child);
    impl Drop for Child {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_docval-server"))
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "trace")
        .env("DOCVAL_TEST_PKI", "true")
        .env("CLIENT_IDS", "YOUR CLIENT ID;posting")
        .env(
            "RESULT_SERVER_URLS",
            format!(";http://127.0.0.1:{dead_port}/results?token={URL_SECRET}"),
        )
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let child = Child(child);
    let log: Arc<std::sync::Mutex<String>> = Arc::default();
    let drain = |r: Box<dyn std::io::Read + Send>| {
        let log = log.clone();
        std::thread::spawn(move || {
            for line in std::io::BufRead::lines(std::io::BufReader::new(r)).map_while(Result::ok) {
                let mut l = log.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        })
    };
    let out_thread = drain(Box::new(stdout));
    let err_thread = drain(Box::new(stderr));

    let http = docval_server::post::http_client(Duration::from_secs(2), "test").unwrap();
    let health = format!("http://127.0.0.1:{port}/healthz");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if http.get(&health).send().await.is_ok_and(|r| r.status() == 200) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let url = format!("ws://127.0.0.1:{port}/ws1/validate?x={MARK}");
    let mut opts = PhoneOptions::new(&url, "YOUR CLIENT ID", can());
    opts.validation_id = format!("{MARK}-validation-id");
    opts.platform = MARK.into();
    opts.authorization = Some(format!("Bearer {MARK}"));
    // 1. A whole session.
    let out = run_phone(&mut chip("ref-1"), &opts).await.unwrap();
    assert_eq!(out.code(), Some(1000), "{out:?}");
    // 2. A whole session whose result POST fails (the URL holds a secret in its query).
    let mut posting = opts.clone();
    posting.client_id = "posting".into();
    let out = run_phone(&mut chip("ref-1"), &posting).await.unwrap();
    assert_eq!(
        out.close_reason.as_deref(),
        Some("POST_TO_RESULT_SERVER_FAILED"),
        "{out:?}"
    );
    // 3. An unknown client id.
    let mut o = opts.clone();
    o.client_id = MARK.into();
    let out = run_phone(&mut chip("ref-1"), &o).await.unwrap();
    assert_eq!(out.close_reason.as_deref(), Some("INVALID_CLIENT_ID"), "{out:?}");
    // 4. Access keys: a CAN that is not one, an MRZ that does not open the chip.
    let mut o = opts.clone();
    o.access = Access::Can(MARK.into());
    let out = run_phone(&mut chip("ref-1"), &o).await.unwrap();
    assert_eq!(
        out.close_reason.as_deref(),
        Some("INVALID_ACCESS_KEY_VALUES"),
        "{out:?}"
    );
    let mut o = opts.clone();
    o.access = Access::Mrz {
        document_number: MARK.into(),
        date_of_birth: "900101".into(),
        date_of_expiry: "300101".into(),
    };
    let out = run_phone(&mut chip("ref-1"), &o).await.unwrap();
    assert_eq!(out.close_reason.as_deref(), Some("ACCESS_CONTROL_FAILED"), "{out:?}");
    // 5. Broken JSON, an unknown key, a stray text message in the middle of the relay.
    let mut unknown = opts.start_message();
    unknown[MARK] = MARK.into();
    let stray = opts.start_message().to_string();
    for (script, reason) in [
        (vec![Some(format!("{{\"{MARK}\": "))], "INVALID_START_MESSAGE"),
        (vec![Some(unknown.to_string())], "INVALID_START_MESSAGE"),
        (
            vec![Some(stray), Some(format!("{MARK} stray text"))],
            "UNEXPECTED_MESSAGE",
        ),
    ] {
        let out = run_phone_scripted(&mut chip("ref-1"), &opts, script).await.unwrap();
        assert_eq!(out.close_reason.as_deref(), Some(reason), "{out:?}");
    }

    // Every session has written its last line; then stop the server (the child this test
    // started) and read everything it wrote.
    wait_for("eight sessions in the log", || {
        log.lock().unwrap().matches("session closed").count() >= 8
    })
    .await;
    drop(child);
    out_thread.join().unwrap();
    err_thread.join().unwrap();
    let log = log.lock().unwrap().clone();
    // The log was captured and is verbose (so the assertion below can fail).
    assert_eq!(log.matches("session closed").count(), 8, "{log}");
    assert!(log.contains("result POST failed"), "{log}");
    for secret in [MARK, URL_SECRET] {
        let lines: Vec<&str> = log.lines().filter(|l| l.contains(secret)).collect();
        assert!(lines.is_empty(), "{secret} reached the log:\n{}", lines.join("\n"));
    }
}
