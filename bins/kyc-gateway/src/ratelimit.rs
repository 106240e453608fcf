//! Request limits, applied to every route before the body is read:
//!
//! * per API key: a request carrying the `X-AUTH-CLIENT` header of a configured integration takes
//!   one token from that integration's bucket (refilled at `requests_per_second`, holding at most
//!   `burst`); without a token it is answered `429 Too Many Requests` with `Retry-After` (whole
//!   seconds, at least 1). That table holds at most one bucket per configured integration.
//! * per client IP: every other request (unknown or absent key: end-user pages, the review
//!   login, guessed keys) takes a token from the bucket of its client address (IPv6 per /64),
//!   except the DocVal result POST carrying the right token. That table is bounded
//!   ([`MAX_IP_BUCKETS`]): full buckets are dropped when it fills, and a client that would need a
//!   new bucket in a table still full is refused (429).
//! * in flight: at most `max_in_flight` requests are handled at the same time; one more is
//!   answered `503 Service Unavailable` with `Retry-After: 1` at once (not queued).

use crate::config::RateLimit;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kyc_core::signature::HEADER_AUTH_CLIENT;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Most client-address buckets kept at once.
pub const MAX_IP_BUCKETS: usize = 100_000;

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Token buckets by key (an API key or a client address).
#[derive(Debug)]
pub struct RateLimiter {
    limit: Option<RateLimit>,
    buckets: Mutex<HashMap<String, Bucket>>,
    max_buckets: usize,
}

impl RateLimiter {
    /// `None`: no limit.
    pub fn new(limit: Option<RateLimit>) -> Self {
        Self::bounded(limit, usize::MAX)
    }

    /// At most `max_buckets` buckets: when the table is full, buckets refilled to the burst (the
    /// same as new ones) are dropped; a new key finding the table still full is refused.
    pub fn bounded(limit: Option<RateLimit>, max_buckets: usize) -> Self {
        RateLimiter {
            limit: limit.filter(|l| l.requests_per_second > 0 && l.burst > 0),
            buckets: Mutex::new(HashMap::new()),
            max_buckets,
        }
    }

    /// Number of buckets held.
    pub fn len(&self) -> usize {
        self.buckets.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Whether no bucket is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes one token of `key` at `now`; `Err(wait)` when the bucket is empty, with the time
    /// until the next token.
    pub fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let Some(l) = self.limit else { return Ok(()) };
        let rate = f64::from(l.requests_per_second);
        let burst = f64::from(l.burst);
        let mut map = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if !map.contains_key(key) && map.len() >= self.max_buckets {
            // Buckets full again by now are indistinguishable from new ones.
            let full_after = Duration::from_secs_f64(burst / rate);
            map.retain(|_, b| now.saturating_duration_since(b.last) < full_after);
            if map.len() >= self.max_buckets {
                return Err(Duration::from_secs(1));
            }
        }
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

/// The bucket key of a client address: the address for IPv4, its /64 prefix for IPv6 (one
/// subscriber usually holds a whole /64); IPv4-mapped IPv6 addresses count as IPv4.
pub fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
            }
        },
    }
}

/// Whether a request without an API key is exempt from the per-IP limit: the DocVal result
/// POST with the configured token (docval-server posts every session's result from one
/// address).
fn exempt(state: &crate::AppState, req: &Request) -> bool {
    let Some(expected) = state.config.docval_result_token.as_deref() else {
        return false;
    };
    req.uri()
        .path()
        .strip_prefix("/docval/results/")
        .is_some_and(|t| kyc_core::signature::secret_eq(expected, t))
}

/// The rate-limit middleware: applied to every route, before the body is read.
pub async fn middleware(State(state): State<Arc<crate::AppState>>, req: Request, next: Next) -> Response {
    let key = req
        .headers()
        .get(HEADER_AUTH_CLIENT)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .and_then(|k| state.config.integration(k))
        .map(|i| i.api_key.clone());
    match key {
        Some(key) => {
            if let Err(wait) = state.rate_limiter.check(&key) {
                crate::Metrics::inc(&state.metrics.rate_limited);
                tracing::debug!(integration = %key, ?wait, "rate limited");
                return too_many_requests(wait);
            }
        }
        None => {
            let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
            if let Some(ip) = peer
                && !exempt(&state, &req)
                && let Err(wait) = state.ip_rate_limiter.check(&client_key(ip))
            {
                crate::Metrics::inc(&state.metrics.rate_limited);
                tracing::debug!(client = %ip, ?wait, "rate limited (no API key)");
                return too_many_requests(wait);
            }
        }
    }
    next.run(req).await
}

/// The in-flight limit: `None` when unlimited.
pub type InFlight = Option<Arc<tokio::sync::Semaphore>>;

/// The 503 answer of the in-flight limit.
pub fn overloaded() -> Response {
    let mut r = (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"status":"fail","message":"Server busy."}"#,
    )
        .into_response();
    let h = r.headers_mut();
    h.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("retry-after"),
    );
    r
}

/// The in-flight middleware: a permit is held while the request is handled (its body read and
/// its response built); without one the request is answered 503 at once.
pub async fn in_flight(State(state): State<Arc<crate::AppState>>, req: Request, next: Next) -> Response {
    let Some(sem) = &state.in_flight else {
        return next.run(req).await;
    };
    let Ok(permit) = sem.clone().try_acquire_owned() else {
        crate::Metrics::inc(&state.metrics.overloaded);
        return overloaded();
    };
    let r = next.run(req).await;
    drop(permit);
    r
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
    fn ip_table_is_bounded_and_drops_full_buckets_first() {
        let l = RateLimiter::bounded(
            Some(RateLimit {
                requests_per_second: 10,
                burst: 2,
            }),
            3,
        );
        let t0 = Instant::now();
        for k in ["a", "b", "c"] {
            assert_eq!(l.check_at(k, t0), Ok(()));
        }
        // Full table, every bucket in use: a new client is refused, known ones are served.
        assert_eq!(l.check_at("d", t0), Err(Duration::from_secs(1)));
        assert_eq!(l.check_at("a", t0), Ok(()));
        assert_eq!(l.len(), 3);
        // 200 ms later (burst 2 at 10/s) the buckets are full again and make room.
        let t1 = t0 + Duration::from_millis(200);
        assert_eq!(l.check_at("d", t1), Ok(()));
        assert!(l.len() <= 3);
    }

    #[test]
    fn client_keys_group_ipv6_by_64() {
        let k = |s: &str| client_key(s.parse().unwrap());
        assert_eq!(k("192.0.2.7"), "192.0.2.7");
        assert_eq!(k("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(k("2001:db8:1:2:aaaa::1"), k("2001:db8:1:2:bbbb::2"));
        assert_ne!(k("2001:db8:1:2::1"), k("2001:db8:1:3::1"));
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
