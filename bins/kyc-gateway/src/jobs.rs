//! Background jobs: webhook delivery from the durable outbox, session expiry, media retention.

use crate::api::{DecisionView, PROCESSING_LEASE_MS, enqueue_decision, session_lifetime_ms};
use crate::db::{self, SessionRow};
use crate::{AppState, Metrics, now_ms};
use kyc_core::Verdict;
use kyc_core::signature::{self, HEADER_AUTH_CLIENT, HeaderSchemes};
use sqlx::Row;
use std::sync::Arc;

/// One due outbox row.
struct Due {
    id: String,
    integration: String,
    url: String,
    body: String,
    attempts: i64,
    created_at: i64,
}

/// Delivers due outbox events until the task is aborted. At-least-once: a row is marked
/// delivered only after a 2xx; every attempt carries the same `X-EVENT-ID`.
pub async fn outbox_worker(state: Arc<AppState>) {
    loop {
        match deliver_due(&state).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "outbox"),
        }
        let _ = tokio::time::timeout(state.config.webhooks.poll_interval, state.outbox_wakeup.notified()).await;
    }
}

async fn deliver_due(state: &AppState) -> Result<usize, db::DbError> {
    let now = now_ms();
    let rows = sqlx::query(
        "SELECT id, integration, url, body, attempts, created_at FROM outbox \
         WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 ORDER BY seq, id LIMIT 32",
    )
    .bind(now)
    .fetch_all(&state.db.pool)
    .await?;
    let mut due = Vec::new();
    for r in &rows {
        due.push(Due {
            id: r.try_get("id")?,
            integration: r.try_get("integration")?,
            url: r.try_get("url")?,
            body: r.try_get("body")?,
            attempts: r.try_get("attempts")?,
            created_at: r.try_get("created_at")?,
        });
    }
    let n = due.len();
    let mut delivered = 0usize;
    let lease = i64::try_from(state.config.webhooks.request_timeout.as_millis().saturating_mul(3)).unwrap_or(i64::MAX);
    for d in due {
        // Claim the row (several gateways may share one database): move its next attempt past
        // this delivery's lease, only if nobody else did.
        let claimed = sqlx::query(
            "UPDATE outbox SET next_attempt_at = $1 WHERE id = $2 AND next_attempt_at <= $3 AND delivered_at IS NULL",
        )
        .bind(now_ms().saturating_add(lease))
        .bind(d.id.clone())
        .bind(now)
        .execute(&state.db.pool)
        .await?;
        if claimed.rows_affected() != 1 {
            continue;
        }
        let outcome = match state.config.integration(&d.integration) {
            None => Err("integration no longer configured".to_string()),
            Some(i) => {
                // Both signature headers, so that a listener written to either scheme accepts it.
                let [(h1, s1), (h2, s2)] =
                    signature::signature_headers(i.api_secret.as_bytes(), d.body.as_bytes(), HeaderSchemes::default());
                let res = state
                    .http
                    .post(&d.url)
                    .header("content-type", "application/json")
                    .header(HEADER_AUTH_CLIENT, &i.api_key)
                    .header(h1, s1)
                    .header(h2, s2)
                    .header("x-event-id", &d.id)
                    .body(d.body.clone())
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status().is_success() => Ok(()),
                    Ok(r) => Err(format!("HTTP {}", r.status().as_u16())),
                    Err(e) => Err(if e.is_timeout() {
                        "timed out".into()
                    } else {
                        "connection failed".into()
                    }),
                }
            }
        };
        let now = now_ms();
        match outcome {
            Ok(()) => {
                sqlx::query("UPDATE outbox SET delivered_at = $1, attempts = attempts + 1 WHERE id = $2")
                    .bind(now)
                    .bind(d.id.clone())
                    .execute(&state.db.pool)
                    .await?;
                Metrics::inc(&state.metrics.webhooks_delivered);
                delivered += 1;
            }
            Err(e) => {
                Metrics::inc(&state.metrics.webhook_attempts_failed);
                let attempts = d.attempts.saturating_add(1);
                let delay = state
                    .config
                    .webhooks
                    .backoff(u32::try_from(attempts).unwrap_or(u32::MAX));
                let next = now.saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX));
                let max_age = i64::try_from(state.config.webhooks.max_age.as_millis()).unwrap_or(i64::MAX);
                let give_up = next.saturating_sub(d.created_at) > max_age;
                sqlx::query(
                    "UPDATE outbox SET attempts = $1, next_attempt_at = $2, last_error = $3, failed_at = $4 WHERE id = $5",
                )
                .bind(attempts)
                .bind(next)
                .bind(e.clone())
                .bind(if give_up { Some(now) } else { None })
                .bind(d.id.clone())
                .execute(&state.db.pool)
                .await?;
                if give_up {
                    Metrics::inc(&state.metrics.webhooks_given_up);
                    tracing::warn!(event = %d.id, error = %e, "webhook given up after max age");
                }
            }
        }
    }
    // Only loop again at once when something was delivered (others wait for their backoff).
    Ok(if delivered > 0 { n } else { 0 })
}

/// Expires untouched sessions and deletes media past retention, every `expiry_check_interval`.
pub async fn expiry_worker(state: Arc<AppState>) {
    loop {
        if let Err(e) = expire_sessions(&state).await {
            tracing::warn!(error = %e, "expiry job");
        }
        if let Err(e) = purge_media(&state).await {
            tracing::warn!(error = %e, "media retention job");
        }
        tokio::time::sleep(state.config.expiry_check_interval).await;
    }
}

/// Sessions not decided `session_expiry` (7 days) after their creation: `created` (never
/// opened) → expired, `started`, `submitted` and `resubmission_requested` (opened) → abandoned,
/// both code 9104 (the spec's 9104 row); a decision webhook is enqueued for each. A session
/// holding a chip result being decided ([`PROCESSING_LEASE_MS`]) is left alone. Returns how
/// many ended.
pub async fn expire_sessions(state: &AppState) -> Result<usize, db::DbError> {
    let now = now_ms();
    let cutoff = now.saturating_sub(session_lifetime_ms(state));
    let lease_cutoff = now.saturating_sub(PROCESSING_LEASE_MS);
    let sql = format!(
        "SELECT {} FROM sessions WHERE status IN ('created', 'started', 'submitted', 'resubmission_requested') \
         AND created_at < $1 AND (processing_since IS NULL OR processing_since < $2) ORDER BY created_at LIMIT 100",
        db::SESSION_COLUMNS
    );
    let rows = sqlx::query(&sql)
        .bind(cutoff)
        .bind(lease_cutoff)
        .fetch_all(&state.db.pool)
        .await?;
    let sessions: Vec<SessionRow> = rows.iter().map(SessionRow::from_row).collect::<Result<_, _>>()?;
    let mut n = 0;
    for s in sessions {
        let verdict = if s.status == "created" {
            Verdict::Expired
        } else {
            Verdict::Abandoned
        };
        let view = DecisionView::without_result(&s, verdict, None, None, now);
        let decision_json = serde_json::to_string(&view).map_err(|e| db::DbError::Corrupt(e.to_string()))?;
        let mut tx = state.db.begin().await?;
        let changed = sqlx::query(
            "UPDATE sessions SET status = $1, decision_json = $2, decided_at = $3, updated_at = $3 WHERE id = $4 AND status = $5 \
             AND (processing_since IS NULL OR processing_since < $6)",
        )
        .bind(verdict.status().to_string())
        .bind(decision_json.clone())
        .bind(now)
        .bind(s.id.clone())
        .bind(s.status.clone())
        .bind(lease_cutoff)
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() != 1 {
            continue;
        }
        sqlx::query("UPDATE attempts SET status = $1 WHERE id = $2")
            .bind(verdict.status().to_string())
            .bind(s.current_attempt.clone())
            .execute(&mut *tx)
            .await?;
        if let Some(i) = state.config.integration(&s.integration) {
            enqueue_decision(&mut tx, i, &s.id, &decision_json, now, now * 1000).await?;
        }
        tx.commit().await?;
        Metrics::inc(&state.metrics.sessions_expired);
        n += 1;
    }
    if n > 0 {
        state.outbox_wakeup.notify_one();
    }
    Ok(n)
}

/// `reason` of the decision of a session submitted without a chip reading.
pub const NO_CHIP_REASON: &str = "The document's chip was not read: scan the chip of the passport or identity card \
with the DocVal app and submit again.";

/// How often the no-chip job looks for due sessions: a quarter of the timeout, between 20 ms
/// and 1 s.
pub fn no_chip_poll_interval(timeout: std::time::Duration) -> std::time::Duration {
    (timeout / 4).clamp(std::time::Duration::from_millis(20), std::time::Duration::from_secs(1))
}

/// Answers sessions submitted without a chip reading, until the task is aborted.
pub async fn no_chip_worker(state: Arc<AppState>) {
    let every = no_chip_poll_interval(state.config.no_chip_decision_timeout);
    loop {
        if let Err(e) = decide_unread_submissions(&state).await {
            tracing::warn!(error = %e, "no-chip job");
        }
        tokio::time::sleep(every).await;
    }
}

/// Sessions submitted (PATCH `submitted`) `no_chip_decision_timeout` ago without a chip result:
/// resubmission 9103 / 201 ("Video and/or photos missing.", the closest documented reason) with
/// [`NO_CHIP_REASON`]; the attempt ends, a new attempt starts, the decision webhook is enqueued.
/// A session holding a chip result being decided is left alone. Returns how many were decided.
pub async fn decide_unread_submissions(state: &AppState) -> Result<usize, db::DbError> {
    let now = now_ms();
    let timeout = i64::try_from(state.config.no_chip_decision_timeout.as_millis()).unwrap_or(i64::MAX);
    let cutoff = now.saturating_sub(timeout);
    let lease_cutoff = now.saturating_sub(PROCESSING_LEASE_MS);
    let sql = format!(
        "SELECT {} FROM sessions WHERE status = 'submitted' AND submitted_at <= $1 \
         AND (processing_since IS NULL OR processing_since < $2) ORDER BY submitted_at LIMIT 100",
        db::SESSION_COLUMNS
    );
    let rows = sqlx::query(&sql)
        .bind(cutoff)
        .bind(lease_cutoff)
        .fetch_all(&state.db.pool)
        .await?;
    let sessions: Vec<SessionRow> = rows.iter().map(SessionRow::from_row).collect::<Result<_, _>>()?;
    let mut n = 0;
    for s in sessions {
        let verdict = Verdict::ResubmissionRequested;
        let view = DecisionView::without_result(&s, verdict, Some(NO_CHIP_REASON.to_string()), Some(201), now);
        let decision_json = serde_json::to_string(&view).map_err(|e| db::DbError::Corrupt(e.to_string()))?;
        let next_attempt = uuid::Uuid::new_v4().to_string();
        let mut tx = state.db.begin().await?;
        let changed = sqlx::query(
            "UPDATE sessions SET status = $1, decision_json = $2, decided_at = $3, updated_at = $3, current_attempt = $4 \
             WHERE id = $5 AND status = 'submitted' AND current_attempt = $6 \
             AND (processing_since IS NULL OR processing_since < $7)",
        )
        .bind(verdict.status().to_string())
        .bind(decision_json.clone())
        .bind(now)
        .bind(next_attempt.clone())
        .bind(s.id.clone())
        .bind(s.current_attempt.clone())
        .bind(lease_cutoff)
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() != 1 {
            continue;
        }
        sqlx::query("UPDATE attempts SET status = $1 WHERE id = $2")
            .bind(verdict.status().to_string())
            .bind(s.current_attempt.clone())
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO attempts (id, session_id, status, created_at) VALUES ($1, $2, 'created', $3)")
            .bind(next_attempt)
            .bind(s.id.clone())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if let Some(i) = state.config.integration(&s.integration) {
            enqueue_decision(&mut tx, i, &s.id, &decision_json, now, now * 1000).await?;
        }
        tx.commit().await?;
        Metrics::inc(&state.metrics.decisions_resubmission);
        tracing::info!(session = %s.id, code = verdict.code(), reason_code = 201, "decision: chip not read");
        n += 1;
    }
    if n > 0 {
        state.outbox_wakeup.notify_one();
    }
    Ok(n)
}

/// Deletes media older than the retention setting (files of directory storage too).
pub async fn purge_media(state: &AppState) -> Result<usize, db::DbError> {
    let Some(retention) = state.config.media_retention else {
        return Ok(0);
    };
    let cutoff = now_ms().saturating_sub(i64::try_from(retention.as_millis()).unwrap_or(i64::MAX));
    let rows = sqlx::query("SELECT id, path FROM media WHERE created_at < $1")
        .bind(cutoff)
        .fetch_all(&state.db.pool)
        .await?;
    for r in &rows {
        let id: String = r.try_get("id")?;
        let path: Option<String> = r.try_get("path")?;
        if let Some(p) = path {
            let _ = tokio::fs::remove_file(p).await;
        }
        sqlx::query("DELETE FROM media WHERE id = $1")
            .bind(id)
            .execute(&state.db.pool)
            .await?;
    }
    Ok(rows.len())
}
