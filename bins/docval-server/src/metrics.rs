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
    /// Sessions on `/ws2/validate` (also counted in `sessions_started`).
    pub sessions_v2: AtomicU64,
    pub sessions_active: AtomicU64,
    pub sessions_refused: AtomicU64,
    pub apdus: AtomicU64,
    pub apdu_bytes_sent: AtomicU64,
    pub apdu_bytes_received: AtomicU64,
    pub result_posts: AtomicU64,
    pub result_post_failures: AtomicU64,
    outcomes: Mutex<BTreeMap<&'static str, u64>>,
    steps: Mutex<BTreeMap<&'static str, (u64, f64)>>,
    trust: Mutex<Option<TrustGauges>>,
}

/// What the trust store was built from (set once at start-up).
#[derive(Clone, Debug, Default)]
struct TrustGauges {
    test_pki: bool,
    certificates: usize,
    master_lists: Vec<emrtd_trust::MasterListStatus>,
}

/// A Prometheus label value: backslash, double quote and newline escaped.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

impl Metrics {
    /// Exports the trust store's sources: the test PKI flag, and per master list its issue
    /// date, expected next update and whether it is stale (judged at every scrape).
    pub fn set_trust(&self, report: &emrtd_trust::TrustReport) {
        if let Ok(mut t) = self.trust.lock() {
            *t = Some(TrustGauges {
                test_pki: report.test_pki,
                certificates: report.certificates,
                master_lists: report.master_lists.clone(),
            });
        }
    }

    fn render_trust(&self, out: &mut String) {
        let Ok(t) = self.trust.lock() else { return };
        let Some(t) = t.as_ref() else { return };
        let gauge = |out: &mut String, name: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        };
        gauge(
            out,
            "docval_trust_test_pki",
            "1 when the test PKI (public private keys) is trusted.",
        );
        let _ = writeln!(out, "docval_trust_test_pki {}", u8::from(t.test_pki));
        gauge(out, "docval_trust_certificates", "Trusted CSCA certificates.");
        let _ = writeln!(out, "docval_trust_certificates {}", t.certificates);
        let now = emrtd_trust::now();
        type Field = fn(&emrtd_trust::MasterListStatus, i64) -> Option<i64>;
        let series: [(&str, &str, Field); 5] = [
            (
                "docval_trust_master_list_issued_timestamp_seconds",
                "Issue date (signingTime) of a loaded master list.",
                |m, _| m.issued,
            ),
            (
                "docval_trust_master_list_next_update_timestamp_seconds",
                "Expected next update of a master list: issue date + master_list_max_age_days.",
                |m, _| m.next_update,
            ),
            (
                "docval_trust_master_list_stale",
                "1 when a master list is past its expected next update.",
                |m, now| Some(i64::from(m.is_stale_at(now))),
            ),
            (
                "docval_trust_master_list_verified",
                "1 when a master list verified against a root (0: unverified, trusted only if marked).",
                |m, _| Some(i64::from(m.verified)),
            ),
            (
                "docval_trust_master_list_certificates_added",
                "Certificates a master list added to the trust store.",
                |m, _| i64::try_from(m.added).ok(),
            ),
        ];
        for (name, help, f) in series {
            gauge(out, name, help);
            for m in &t.master_lists {
                if let Some(v) = f(m, now) {
                    let _ = writeln!(out, "{name}{{source=\"{}\"}} {v}", label(&m.source));
                }
            }
        }
    }

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
        counter(
            &mut out,
            "docval_sessions_v2_started_total",
            "WebSocket sessions started on /ws2/validate.",
            self.sessions_v2.load(Ordering::Relaxed),
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
        self.render_trust(&mut out);
        out
    }
}
