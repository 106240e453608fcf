//! Prometheus metrics: sessions, outcomes per close reason, step durations, APDU counts.

use crate::protocol::CloseReason;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Default)]
pub struct Metrics {
    pub sessions_started: AtomicU64,
    pub sessions_active: AtomicU64,
    pub sessions_refused: AtomicU64,
    pub apdus: AtomicU64,
    pub apdu_bytes_sent: AtomicU64,
    pub apdu_bytes_received: AtomicU64,
    pub result_posts: AtomicU64,
    pub result_post_failures: AtomicU64,
    outcomes: Mutex<BTreeMap<&'static str, u64>>,
    steps: Mutex<BTreeMap<&'static str, (u64, f64)>>,
}

impl Metrics {
    pub fn outcome(&self, reason: CloseReason) {
        if let Ok(mut m) = self.outcomes.lock() {
            *m.entry(reason.label()).or_default() += 1;
        }
    }

    pub fn step(&self, step: &'static str, elapsed: Duration) {
        if let Ok(mut m) = self.steps.lock() {
            let e = m.entry(step).or_default();
            e.0 += 1;
            e.1 += elapsed.as_secs_f64();
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        };
        counter(
            &mut out,
            "docval_sessions_started_total",
            "WebSocket sessions started.",
            self.sessions_started.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP docval_sessions_active Sessions in progress.\n# TYPE docval_sessions_active gauge\ndocval_sessions_active {}",
            self.sessions_active.load(Ordering::Relaxed)
        );
        counter(
            &mut out,
            "docval_sessions_refused_total",
            "Sessions refused at the limit.",
            self.sessions_refused.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "docval_apdus_total",
            "APDU round trips relayed.",
            self.apdus.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "docval_apdu_bytes_sent_total",
            "Command APDU bytes sent.",
            self.apdu_bytes_sent.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "docval_apdu_bytes_received_total",
            "Response APDU bytes received.",
            self.apdu_bytes_received.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "docval_result_posts_total",
            "Result POSTs delivered.",
            self.result_posts.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "docval_result_post_failures_total",
            "Result POSTs that failed after retries.",
            self.result_post_failures.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP docval_session_outcomes_total Sessions by close reason.\n# TYPE docval_session_outcomes_total counter"
        );
        if let Ok(m) = self.outcomes.lock() {
            for (reason, n) in m.iter() {
                let _ = writeln!(out, "docval_session_outcomes_total{{reason=\"{reason}\"}} {n}");
            }
        }
        let _ = writeln!(
            out,
            "# HELP docval_step_seconds Time spent per reading step.\n# TYPE docval_step_seconds summary"
        );
        if let Ok(m) = self.steps.lock() {
            for (step, (count, sum)) in m.iter() {
                let _ = writeln!(out, "docval_step_seconds_count{{step=\"{step}\"}} {count}");
                let _ = writeln!(out, "docval_step_seconds_sum{{step=\"{step}\"}} {sum}");
            }
        }
        out
    }
}
