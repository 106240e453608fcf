//! Load generation against a DocVal server: many simulated phones, each with its own virtual
//! chip, running full sessions over 127.0.0.1 with a simulated network round trip and a
//! ramp-up; bounded in count and time. Reports sessions/s, the server's CPU seconds per
//! session and peak RSS (from `/proc/<pid>` when the server's pid is known), the server's
//! turnaround per APDU (p50/p99), the round trips over the phone-server link and the session
//! wall time (p50/p99), and the outcomes by close reason.
//!
//! Both protocols: v1 (`/ws1/validate`, the server reads the chip through the phone, one
//! network round trip per APDU) and v2 (`/ws2/validate`, the phone reads the chip; only START
//! and the chip-authentication relay cross the network).
#![forbid(unsafe_code)]

use emrtd_phone::{Access, PhoneOptions, PhoneV2Options, Platform, run_phone, run_phone_v2};
use emrtd_sim::{Document, VirtualChip};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// The DocVal WebSocket API version the phones speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Protocol {
    #[default]
    V1,
    V2,
}

/// What to run.
#[derive(Clone, Debug)]
pub struct LoadConfig {
    /// `ws://127.0.0.1:PORT/ws1/validate` (v1) or `…/ws2/validate` (v2).
    pub url: String,
    pub protocol: Protocol,
    pub client_id: String,
    pub sessions: usize,
    pub concurrency: usize,
    /// Simulated network round trip added by each phone per APDU (v1), or per message it
    /// waits an answer for (v2: START, CA_HANDOVER, each relayed APDU).
    pub rtt: Duration,
    /// v2: time each phone reads the chip locally after ACCEPT (idle on the server).
    pub phone_read: Duration,
    /// Time over which the first `concurrency` sessions are started.
    pub ramp_up: Duration,
    /// Hard bound on the whole run.
    pub max_duration: Duration,
    /// Only 127.0.0.1 / localhost targets are allowed.
    pub extended_length: bool,
}

/// Server process figures read from `/proc`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ProcStat {
    pub cpu_seconds: f64,
    pub rss_peak_kib: u64,
    pub rss_kib: u64,
}

/// Reads CPU time (user + system) and RSS of a process from `/proc`.
pub fn proc_stat(pid: u32, clock_ticks: f64) -> Option<ProcStat> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = |key: &str| -> u64 {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Some(ProcStat {
        cpu_seconds: (utime + stime) / clock_ticks,
        rss_peak_kib: kib("VmHWM:"),
        rss_kib: kib("VmRSS:"),
    })
}

/// The kernel's clock ticks per second (`getconf CLK_TCK`), 100 when unknown.
pub fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// The figures of a run.
#[derive(Clone, Debug, Default)]
pub struct LoadReport {
    pub sessions: usize,
    pub completed: usize,
    pub elapsed: Duration,
    /// Close reason (or client error) → count.
    pub outcomes: BTreeMap<String, usize>,
    /// APDUs that crossed the network (v1: all of them; v2: the relayed ones).
    pub apdus: u64,
    /// Round trips over the phone-server link (v1: one per APDU; v2: START, CA_HANDOVER and
    /// one per relayed APDU).
    pub round_trips: u64,
    pub turnaround_p50_us: u64,
    pub turnaround_p99_us: u64,
    /// Wall time of one session as the phone saw it.
    pub session_p50_ms: u64,
    pub session_p99_ms: u64,
    pub server_cpu_seconds: Option<f64>,
    pub server_rss_peak_kib: Option<u64>,
}

impl LoadReport {
    pub fn sessions_per_second(&self) -> f64 {
        self.completed as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Sessions that did not end with close code 1000.
    pub fn errors(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|(k, _)| k.as_str() != "1000")
            .map(|(_, v)| v)
            .sum()
    }

    pub fn cpu_ms_per_session(&self) -> Option<f64> {
        self.server_cpu_seconds
            .map(|c| c * 1000.0 / self.completed.max(1) as f64)
    }

    /// Round trips over the network per finished session.
    pub fn round_trips_per_session(&self) -> f64 {
        self.round_trips as f64 / self.completed.max(1) as f64
    }

    /// A human-readable summary.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "sessions {} completed {} in {:.2} s: {:.1} sessions/s; APDUs {}; round trips {} ({:.1}/session); session wall time p50 {} ms, p99 {} ms; server turnaround per APDU p50 {} µs, p99 {} µs",
            self.sessions,
            self.completed,
            self.elapsed.as_secs_f64(),
            self.sessions_per_second(),
            self.apdus,
            self.round_trips,
            self.round_trips_per_session(),
            self.session_p50_ms,
            self.session_p99_ms,
            self.turnaround_p50_us,
            self.turnaround_p99_us
        );
        if let Some(c) = self.cpu_ms_per_session() {
            s.push_str(&format!("; server CPU {c:.2} ms/session"));
        }
        if let Some(r) = self.server_rss_peak_kib {
            s.push_str(&format!("; server peak RSS {:.1} MiB", r as f64 / 1024.0));
        }
        s.push_str(&format!("; outcomes {:?}", self.outcomes));
        s
    }
}

fn access_of(doc: &Document) -> Option<Access> {
    let m = &doc.manifest;
    match (&m.can, &m.mrz) {
        (Some(can), _) if m.access.pace => Some(Access::Can(can.clone())),
        (_, Some(mrz)) => Some(Access::Mrz {
            document_number: mrz.document_number.clone(),
            date_of_birth: mrz.date_of_birth.clone(),
            date_of_expiry: mrz.date_of_expiry.clone(),
        }),
        _ => None,
    }
}

/// Errors before any session ran.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("only 127.0.0.1/localhost targets are allowed: {0}")]
    NotLoopback(String),
    #[error("fixture: {0}")]
    Fixture(String),
}

fn is_loopback(url: &str) -> bool {
    let rest = url
        .strip_prefix("ws://")
        .or_else(|| url.strip_prefix("wss://"))
        .unwrap_or("");
    rest.starts_with("127.") || rest.starts_with("localhost:") || rest.starts_with("[::1]")
}

/// What one session gave.
struct SessionFigures {
    outcome: String,
    apdus: u64,
    round_trips: u64,
    turnaround_us: Vec<u64>,
    wall: Duration,
}

impl SessionFigures {
    fn failed(outcome: String) -> Self {
        SessionFigures {
            outcome,
            apdus: 0,
            round_trips: 0,
            turnaround_us: Vec::new(),
            wall: Duration::ZERO,
        }
    }
}

/// `1000`, or the code and the reason (`1011 FILE_READ_ERROR`), or `no close`.
fn outcome_label(code: Option<u16>, reason: Option<String>) -> String {
    code.map(|c| c.to_string()).unwrap_or_else(|| "no close".into())
        + &reason.map(|r| format!(" {r}")).unwrap_or_default()
}

/// The `p` quantile (0..=1) of `values` (sorted in place), 0 when empty.
fn percentile(values: &mut [u64], p: f64) -> u64 {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    let idx = ((values.len() - 1) as f64 * p).round() as usize;
    values.get(idx).copied().unwrap_or(0)
}

/// Runs the load; `server_pid` enables CPU and memory figures of the server process.
pub async fn run_load(cfg: &LoadConfig, document: Document, server_pid: Option<u32>) -> Result<LoadReport, LoadError> {
    if !is_loopback(&cfg.url) {
        return Err(LoadError::NotLoopback(cfg.url.clone()));
    }
    let access = access_of(&document).ok_or_else(|| LoadError::Fixture("neither CAN nor MRZ".into()))?;
    let ticks = clock_ticks();
    let before = server_pid.and_then(|p| proc_stat(p, ticks));
    let sem = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
    let start = Instant::now();
    let deadline = start + cfg.max_duration;
    let mut tasks = Vec::with_capacity(cfg.sessions);
    let ramp_step = if cfg.concurrency > 0 {
        cfg.ramp_up / cfg.concurrency.max(1) as u32
    } else {
        Duration::ZERO
    };
    for i in 0..cfg.sessions {
        if Instant::now() >= deadline {
            break;
        }
        let permit = match sem.clone().acquire_owned().await {
            Ok(p) => p,
            Err(_) => break,
        };
        if i < cfg.concurrency && !ramp_step.is_zero() {
            tokio::time::sleep(ramp_step).await;
        }
        let session_timeout = deadline.saturating_duration_since(Instant::now());
        let doc = document.clone();
        let access = access.clone();
        let cfg = cfg.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            let mut chip = match VirtualChip::standard(doc) {
                Ok(c) => c,
                Err(e) => return SessionFigures::failed(format!("chip: {e}")),
            };
            let started = Instant::now();
            match cfg.protocol {
                Protocol::V1 => {
                    let mut opts = PhoneOptions::new(&cfg.url, &cfg.client_id, access);
                    opts.validation_id = format!("load-{i}");
                    opts.return_result = false;
                    opts.apdu_delay = cfg.rtt;
                    opts.extended_length = cfg.extended_length;
                    opts.session_timeout = session_timeout;
                    match run_phone(&mut chip, &opts).await {
                        Ok(out) => SessionFigures {
                            outcome: outcome_label(out.code(), out.close_reason.clone()),
                            apdus: out.apdus,
                            round_trips: out.apdus,
                            turnaround_us: out.turnaround_us,
                            wall: started.elapsed(),
                        },
                        Err(e) => SessionFigures::failed(format!("client: {e}")),
                    }
                }
                Protocol::V2 => {
                    let platform = if cfg.extended_length {
                        Platform::Ios
                    } else {
                        Platform::Android
                    };
                    let mut opts = PhoneV2Options::new(&cfg.url, &cfg.client_id, access, platform);
                    opts.validation_id = format!("load-{i}");
                    opts.send_result = false;
                    opts.link_delay = cfg.rtt;
                    opts.local_reading_delay = cfg.phone_read;
                    opts.nfc_extended_length = cfg.extended_length;
                    opts.session_timeout = session_timeout;
                    match run_phone_v2(&mut chip, &opts).await {
                        Ok(out) => SessionFigures {
                            outcome: match &out.client_close {
                                Some((code, reason)) => format!("client close {code} {reason}"),
                                None => outcome_label(out.code(), out.reason()),
                            },
                            apdus: out.relayed_apdus,
                            round_trips: out.round_trips,
                            turnaround_us: out.turnaround_us,
                            wall: started.elapsed(),
                        },
                        Err(e) => SessionFigures::failed(format!("client: {e}")),
                    }
                }
            }
        }));
    }
    let mut report = LoadReport {
        sessions: cfg.sessions,
        ..LoadReport::default()
    };
    let mut turnarounds = Vec::new();
    let mut walls_ms = Vec::new();
    for t in tasks {
        let f = t.await.unwrap_or_else(|e| SessionFigures::failed(format!("task: {e}")));
        if f.outcome == "1000" {
            report.completed += 1;
            report.round_trips += f.round_trips;
            walls_ms.push(f.wall.as_millis() as u64);
        }
        *report.outcomes.entry(f.outcome).or_default() += 1;
        report.apdus += f.apdus;
        turnarounds.extend(f.turnaround_us);
    }
    report.elapsed = start.elapsed();
    report.turnaround_p50_us = percentile(&mut turnarounds, 0.50);
    report.turnaround_p99_us = percentile(&mut turnarounds, 0.99);
    report.session_p50_ms = percentile(&mut walls_ms, 0.50);
    report.session_p99_ms = percentile(&mut walls_ms, 0.99);
    if let (Some(b), Some(a)) = (before, server_pid.and_then(|p| proc_stat(p, ticks))) {
        report.server_cpu_seconds = Some(a.cpu_seconds - b.cpu_seconds);
        report.server_rss_peak_kib = Some(a.rss_peak_kib);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets() {
        assert!(is_loopback("ws://127.0.0.1:8080/ws1/validate"));
        assert!(is_loopback("ws://localhost:8080/ws1/validate"));
        assert!(!is_loopback("ws://10.0.0.1:8080/ws1/validate"));
        assert!(!is_loopback("ws://example.com/ws1/validate"));
    }

    #[test]
    fn proc_stat_of_this_process() {
        let s = proc_stat(std::process::id(), clock_ticks()).unwrap();
        assert!(s.rss_peak_kib > 0);
        assert!(s.cpu_seconds >= 0.0);
    }
}
