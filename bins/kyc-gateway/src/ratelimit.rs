//! Per-API-key rate limiting: one token bucket per configured integration.
//!
//! A request carrying the `X-AUTH-CLIENT` header of a configured integration takes one token
//! from that integration's bucket (refilled at `requests_per_second`, holding at most `burst`)
//! before its body is read; without a token it is answered `429 Too Many Requests` with
//! `Retry-After` (whole seconds, at least 1). Requests with an unknown or no key are not
//! counted here (they are refused by authentication, 401), so the table holds at most one
//! bucket per configured integration whatever the clients send.

use crate::config::RateLimit;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kyc_core::signature::HEADER_AUTH_CLIENT;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// The buckets of every integration.
#[derive(Debug)]
pub struct RateLimiter {
    limit: Option<RateLimit>,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// `None`: no limit.
    pub fn new(limit: Option<RateLimit>) -> Self {
        RateLimiter {
            limit: limit.filter(|l| l.requests_per_second > 0 && l.burst > 0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token of `key` at `now`; `Err(wait)` when the bucket is empty, with the time
    /// until the next token.
    pub fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let Some(l) = self.limit else { return Ok(()) };
        let rate = f64::from(l.requests_per_second);
        let burst = f64::from(l.burst);
        let mut map = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let b = map.entry(key.to_string()).or_insert(Bucket {
            tokens: burst,
            last: now,
        });
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / rate))
        }
    }

    /// [`RateLimiter::check_at`] now.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }
}

/// The 429 answer: `Retry-After` in whole seconds (rounded up, at least 1).
pub fn too_many_requests(wait: Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut r = (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"status":"fail","message":"Too many requests."}"#,
    )
        .into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
        h.insert(header::RETRY_AFTER, v);
    }
    // Browsers calling session creation with the public key must be able to read the answer.
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("retry-after"),
    );
    r
}

/// The middleware: applied to every route, before the body is read.
pub async fn middleware(State(state): State<Arc<crate::AppState>>, req: Request, next: Next) -> Response {
    let key = req
        .headers()
        .get(HEADER_AUTH_CLIENT)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .and_then(|k| state.config.integration(k))
        .map(|i| i.api_key.clone());
    if let Some(key) = key
        && let Err(wait) = state.rate_limiter.check(&key)
    {
        crate::Metrics::inc(&state.metrics.rate_limited);
        tracing::debug!(integration = %key, ?wait, "rate limited");
        return too_many_requests(wait);
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_bucket_refills_at_the_rate_up_to_the_burst() {
        let l = RateLimiter::new(Some(RateLimit {
            requests_per_second: 10,
            burst: 3,
        }));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.check_at("a", t0), Ok(()));
        }
        let wait = l.check_at("a", t0).unwrap_err();
        assert!(
            wait > Duration::from_millis(90) && wait <= Duration::from_millis(100),
            "{wait:?}"
        );
        // Another key has its own bucket.
        assert_eq!(l.check_at("b", t0), Ok(()));
        // 100 ms later: one token.
        let t1 = t0 + Duration::from_millis(100);
        assert_eq!(l.check_at("a", t1), Ok(()));
        assert!(l.check_at("a", t1).is_err());
        // A long pause refills to the burst, not beyond.
        let t2 = t1 + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(l.check_at("a", t2), Ok(()));
        }
        assert!(l.check_at("a", t2).is_err());
    }

    #[test]
    fn disabled_limits_never_refuse() {
        for l in [
            None,
            Some(RateLimit {
                requests_per_second: 0,
                burst: 5,
            }),
        ] {
            let r = RateLimiter::new(l);
            let t = Instant::now();
            assert!((0..10_000).all(|_| r.check_at("k", t).is_ok()));
        }
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up() {
        let r = too_many_requests(Duration::from_millis(1500));
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "2");
        let r = too_many_requests(Duration::from_millis(10));
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
    }
}
