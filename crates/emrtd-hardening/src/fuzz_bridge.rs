//! Fuzz targets of the local reader service (`bins/emrtd-bridge`): the AusweisApp SDK
//! commands and the Sinosecu reader messages, as a desk application (or any web page the
//! browser runs) sends them.
//!
//! * `ausweisapp-sdk`: the input is up to 16 text messages, one per line, given in order to one
//!   [`emrtd_bridge::ausweisapp::Session`] (`handle_text`, then the background events), so
//!   sequences reach the workflows (RUN_CHANGE_PIN with the Simulator card, SET_CARD with a
//!   simulator description, SET_PIN/CAN/PUK, ACCEPT, CANCEL, API levels). RUN_AUTH probes its
//!   server with a TCP connection: it is handed over only when the `tcTokenURL` host is a
//!   loopback IPv4 address (the fuzzer makes no connection beyond 127.0.0.0/8).
//! * `sinosecu`: the input is one WebSocket frame to the Sinosecu service on 127.0.0.1 (no
//!   reader document: no chip reading per execution), followed by a sentinel request whose
//!   reply marks the end of the processing; a connection dropped before that reply (a panic in
//!   the service task) is a crash. `parse_access_key` also gets every line of the input.

use emrtd_bridge::ausweisapp::{AusweisConfig, Session};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

thread_local! {
    static IO_RUNTIME: Option<tokio::runtime::Runtime> =
        tokio::runtime::Builder::new_current_thread().enable_all().build().ok();
}

/// Largest number of messages of one `ausweisapp-sdk` input.
const MAX_MESSAGES: usize = 16;

/// Whether a message may be handed to the session: a RUN_AUTH only with a loopback IPv4
/// `tcTokenURL` host (it opens a TCP connection to it).
fn network_safe(text: &str) -> bool {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return true;
    };
    if v.get("cmd").and_then(Value::as_str) != Some("RUN_AUTH") {
        return true;
    }
    match v.get("tcTokenURL") {
        Some(Value::String(u)) => match url::Url::parse(u) {
            Ok(u) => matches!(u.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback()),
            Err(_) => true,
        },
        _ => true,
    }
}

pub(crate) fn run_ausweisapp_sdk(d: &[u8]) {
    let text = String::from_utf8_lossy(d);
    IO_RUNTIME.with(|rt| {
        let Some(rt) = rt.as_ref() else { return };
        rt.block_on(async {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let mut session = Session::new(AusweisConfig::default(), tx);
            let _ = session.connect_announcements();
            for line in text.split('\n').take(MAX_MESSAGES) {
                if !network_safe(line) {
                    continue;
                }
                let _ = session.handle_text(line).await;
                while let Ok(ev) = rx.try_recv() {
                    let _ = session.handle_event(ev);
                }
            }
            session.shutdown();
        });
    });
}

/// The client side of every `>>` line of the recorded AusweisApp2 transcripts, one seed per
/// block, plus workflows with the REF-1 Simulator card.
pub(crate) fn builtin_ausweisapp_sdk() -> Vec<Vec<u8>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let mut out = Vec::new();
    for f in [
        "reference/ausweisapp2-1.26.2-transcript.txt",
        "reference/ausweisapp2-1.26.2-change-pin-keypad.txt",
    ] {
        let Ok(t) = std::fs::read_to_string(root.join(f)) else {
            continue;
        };
        let mut block: Vec<&str> = Vec::new();
        for line in t.lines() {
            if line.starts_with("## ") && !block.is_empty() {
                out.push(block.join("\n").into_bytes());
                block.clear();
            }
            if let Some(m) = line.strip_prefix(">> ") {
                block.push(m);
            }
        }
        if !block.is_empty() {
            out.push(block.join("\n").into_bytes());
        }
    }
    let sim = std::fs::read_to_string(root.join("documents/ref-1/ausweisapp-simulator.json"))
        .ok()
        .and_then(|s| serde_json::from_str::<Value>(&s).ok())
        .map(|v| v.to_string())
        .unwrap_or_else(|| "{}".into());
    out.push(
        format!(
            "{{\"cmd\":\"SET_API_LEVEL\",\"level\":3}}\n{{\"cmd\":\"RUN_CHANGE_PIN\",\"status\":true}}\n\
             {{\"cmd\":\"SET_CARD\",\"name\":\"Simulator\",\"simulator\":{sim}}}\n{{\"cmd\":\"SET_PIN\",\"value\":\"123456\"}}\n\
             {{\"cmd\":\"SET_NEW_PIN\",\"value\":\"654321\"}}\n{{\"cmd\":\"GET_STATUS\"}}"
        )
        .into_bytes(),
    );
    out.push(
        "{\"cmd\":\"RUN_CHANGE_PIN\"}\n{\"cmd\":\"SET_CARD\",\"name\":\"Simulator\"}\n{\"cmd\":\"SET_CAN\",\"value\":\"123456\"}\n\
         {\"cmd\":\"SET_PUK\",\"value\":\"1234567890\"}\n{\"cmd\":\"CANCEL\"}"
            .as_bytes()
            .to_vec(),
    );
    out.push(
        "{\"cmd\":\"RUN_AUTH\",\"tcTokenURL\":\"http://127.0.0.1:1/ws1/validate?client_id=c&validation_id=v\",\"request\":\"r1\"}\n\
         {\"cmd\":\"GET_ACCESS_RIGHTS\"}\n{\"cmd\":\"SET_ACCESS_RIGHTS\",\"chat\":[\"FamilyName\"]}\n{\"cmd\":\"GET_CERTIFICATE\"}\n{\"cmd\":\"ACCEPT\"}"
            .as_bytes()
            .to_vec(),
    );
    out
}

// ---------------------------------------------------------------- Sinosecu

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct Sino {
    rt: tokio::runtime::Runtime,
    url: String,
    ws: Option<Ws>,
    n: u64,
}

fn sino() -> &'static Mutex<Option<Sino>> {
    static S: OnceLock<Mutex<Option<Sino>>> = OnceLock::new();
    S.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok();
        let started = rt.and_then(|rt| {
            let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).ok()?;
            let addr = listener.local_addr().ok()?;
            let service = emrtd_bridge::sinosecu::SinosecuService::new(Default::default());
            rt.spawn(emrtd_bridge::sinosecu::serve(listener, service, std::future::pending()));
            Some(Sino {
                rt,
                url: format!("ws://{addr}/echo"),
                ws: None,
                n: 0,
            })
        });
        Mutex::new(started)
    })
}

/// What happened to one Sinosecu input.
enum SinoOutcome {
    Done,
    /// The service closed the connection or failed to answer the sentinel.
    Dropped(String),
}

async fn sino_exchange(ws: &mut Ws, frame: Message, sentinel: &str) -> SinoOutcome {
    if let Err(e) = ws.send(frame).await {
        return SinoOutcome::Dropped(format!("send: {e}"));
    }
    let probe = serde_json::json!({"Type": "Request", "Command": "Get", "Operand": "VersionInfo", "Param": sentinel});
    if let Err(e) = ws.send(Message::Text(probe.to_string().into())).await {
        return SinoOutcome::Dropped(format!("send sentinel: {e}"));
    }
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Err(_) => return SinoOutcome::Dropped("no reply within 10 s".into()),
            Ok(None) => return SinoOutcome::Dropped("connection closed".into()),
            Ok(Some(Err(e))) => return SinoOutcome::Dropped(format!("connection failed: {e}")),
            Ok(Some(Ok(Message::Text(t)))) => {
                if let Ok(v) = serde_json::from_str::<Value>(t.as_str())
                    && v.get("Param").and_then(Value::as_str) == Some(sentinel)
                {
                    return SinoOutcome::Done;
                }
            }
            Ok(Some(Ok(_))) => {}
        }
    }
}

// A service failure is reported the way the harness detects failures: a panic.
#[allow(clippy::panic)]
pub(crate) fn run_sinosecu(d: &[u8]) {
    let text = String::from_utf8_lossy(d);
    for line in text.split(['\n', ';']).take(8) {
        let _ = emrtd_bridge::sinosecu::parse_access_key(line);
    }
    let _ = emrtd_bridge::sinosecu::parse_access_key(&text);
    let mut guard = sino().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(s) = guard.as_mut() else { return };
    s.n += 1;
    let sentinel = format!("docval-fuzz-sentinel-{}", s.n);
    let frame = match std::str::from_utf8(d) {
        Ok(t) => Message::Text(t.to_string().into()),
        Err(_) => Message::Binary(d.to_vec().into()),
    };
    let url = s.url.clone();
    let mut ws = s.ws.take();
    let outcome = s.rt.block_on(async {
        if ws.is_none() {
            match tokio_tungstenite::connect_async(url.as_str()).await {
                Ok((c, _)) => ws = Some(c),
                Err(e) => return SinoOutcome::Dropped(format!("connect: {e}")),
            }
        }
        match ws.as_mut() {
            Some(c) => sino_exchange(c, frame, &sentinel).await,
            None => SinoOutcome::Dropped("no connection".into()),
        }
    });
    match outcome {
        SinoOutcome::Done => s.ws = ws,
        SinoOutcome::Dropped(why) => {
            s.ws = None;
            drop(guard);
            panic!("Sinosecu service: {why}");
        }
    }
}

/// What the vendor's demo page sends (`/work/shared/specs/sinosecu-notes.md`), settings,
/// images, the access-key extension, a manual recognition.
pub(crate) fn builtin_sinosecu() -> Vec<Vec<u8>> {
    let constants = [
        "CardRecogSystem",
        "Connect",
        "DeviceConnected",
        "DescOfWebsocketError",
        "WebDescDeviceNotFound",
    ];
    let batch: Vec<Value> = constants
        .iter()
        .map(|c| serde_json::json!({"Command": "Get", "Operand": "WebConstant", "Param": c}))
        .collect();
    let mut out = vec![serde_json::json!({"Type": "Request", "Commands": batch}).to_string()];
    out.push(r#"{"Type":"Request","Commands":[{"Command":"Set","Operand":"RFID","Param":"Y"},{"Command":"Set","Operand":"VIZ","Param":"Y"}]}"#.into());
    out.push(r#"{"Type":"Request","Commands":[{"Command":"Get","Operand":"OnLineStatus"},{"Command":"Get","Operand":"DeviceName"},{"Command":"Get","Operand":"DeviceType"},{"Command":"Get","Operand":"DeviceSerialNo"},{"Command":"Get","Operand":"VersionInfo"}]}"#.into());
    for (op, p) in [
        ("IfEnableCallback", "True"),
        ("IfNotifyCardDetected", "Y"),
        ("IfDetectUVDull", "Y"),
        ("IfDetectFibre", "N"),
        ("MRZOnWhiteImage", "Y"),
        ("Rejection", "false"),
    ] {
        out.push(serde_json::json!({"Type": "Request", "Command": "Set", "Operand": op, "Param": p}).to_string());
    }
    out.push(r#"{"Type":"Request","Command":"Get","Operand":"Base64Image","Param":16}"#.into());
    out.push(r#"{"Type":"Request","Command":"Get","Operand":"Base64Image","Param":"31"}"#.into());
    out.push(r#"{"Type":"Request","Command":"Set","Operand":"AccessKey","Param":"123456"}"#.into());
    out.push(
        serde_json::json!({"Type": "Request", "Command": "Set", "Operand": "AccessKey",
        "Param": "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"})
        .to_string(),
    );
    out.push(
        serde_json::json!({"Type": "Request", "Command": "Set", "Operand": "AccessKey",
        "Param": "I<UTOD231458907<<<<<<<<<<<<<<<7408122F1204159UTO<<<<<<<<<<<6ERIKSSON<<ANNA<MARIA<<<<<<<<<<"})
        .to_string(),
    );
    out.push(r#"{"Type":"Notify","Command":"Trigger","Operand":"ManualRecog","Param":{"Timeout":30}}"#.into());
    out.push("{not json".into());
    out.into_iter().map(String::into_bytes).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_auth_to_other_hosts_is_not_handed_over() {
        assert!(network_safe(r#"{"cmd":"GET_INFO"}"#));
        assert!(network_safe(
            r#"{"cmd":"RUN_AUTH","tcTokenURL":"http://127.0.0.1:1/x"}"#
        ));
        assert!(network_safe(
            r#"{"cmd":"RUN_AUTH","tcTokenURL":"http://127.9.0.1:1/x"}"#
        ));
        assert!(!network_safe(
            r#"{"cmd":"RUN_AUTH","tcTokenURL":"http://example.com/x"}"#
        ));
        assert!(!network_safe(r#"{"cmd":"RUN_AUTH","tcTokenURL":"http://10.0.0.1/x"}"#));
        assert!(!network_safe(r#"{"cmd":"RUN_AUTH","tcTokenURL":"http://[::1]:1/x"}"#));
    }

    #[test]
    fn seeds_reach_the_services() {
        let a = builtin_ausweisapp_sdk();
        assert!(a.len() >= 4, "{}", a.len());
        for s in &a {
            run_ausweisapp_sdk(s);
        }
        for s in builtin_sinosecu() {
            run_sinosecu(&s);
        }
        // Binary frames and garbage keep the connection alive.
        run_sinosecu(&[0xFF, 0x00, 0x7B]);
        run_sinosecu(b"");
    }
}
