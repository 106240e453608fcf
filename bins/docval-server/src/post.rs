//! POSTing the result to the client's result server: JSON, a timeout per attempt, retries on
//! network errors, 408, 429, 5xx and 3xx; other statuses are final.
//!
//! Redirects are never followed: a 301/302/303 would turn the POST into a body-less GET whose
//! 2xx would count as delivered while the result is lost, and a 307/308 would send passport
//! data to a host the operator did not configure. A 3xx is a failed attempt.
//!
//! Nothing here logs or reports text that could carry configuration secrets (a URL with a
//! query) or data: failures are reported as fixed categories.

use crate::config::PostConfig;
use std::time::Duration;
use zeroize::Zeroizing;

/// Why the POST failed in the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostFailure {
    pub attempts: u32,
    /// A fixed category (`"timed out"`, `"connection failed"`, `"HTTP 503"`, …), never the
    /// URL or any text from the result server.
    pub last_error: String,
}

fn retryable(status: reqwest::StatusCode) -> bool {
    status == reqwest::StatusCode::REQUEST_TIMEOUT
        || status == reqwest::StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
        || status.is_redirection()
}

fn error_category(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_redirect() {
        "redirect refused"
    } else if e.is_body() || e.is_request() {
        "request failed"
    } else {
        "failed"
    }
}

/// Sends `body` (already serialised JSON) to `url`. Returns the number of attempts used.
///
/// `body` is shared by every attempt without a copy and wiped when the last reference (held
/// by the HTTP client while sending) is dropped.
pub async fn post_result(
    client: &reqwest::Client,
    url: &str,
    body: Zeroizing<Vec<u8>>,
    cfg: &PostConfig,
    signing: Option<&crate::signing::SigningKey>,
) -> Result<u32, PostFailure> {
    let body = bytes::Bytes::from_owner(body);
    let mut attempts = 0u32;
    let mut last_error = String::new();
    while attempts <= cfg.retries {
        if attempts > 0 {
            tokio::time::sleep(cfg.backoff * attempts).await;
        }
        attempts += 1;
        let mut req = client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .timeout(cfg.timeout);
        if let Some(key) = signing {
            let created = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            let h = crate::signing::sign_post(key, url, &body, created);
            req = req
                .header("Content-Digest", h.content_digest)
                .header("Signature-Input", h.signature_input)
                .header("Signature", h.signature);
        }
        let res = req.body(body.clone()).send().await;
        match res {
            Ok(r) if r.status().is_success() => return Ok(attempts),
            Ok(r) if retryable(r.status()) => last_error = format!("HTTP {}", r.status().as_u16()),
            Ok(r) => {
                return Err(PostFailure {
                    attempts,
                    last_error: format!("HTTP {} (not retried)", r.status().as_u16()),
                });
            }
            Err(e) => last_error = error_category(&e).to_string(),
        }
    }
    Err(PostFailure { attempts, last_error })
}

/// The `User-Agent` of the result POST: `docval-server/VERSION (SERVER_NAME)`.
pub fn user_agent(server_name: &str) -> String {
    format!("docval-server/{} ({server_name})", env!("CARGO_PKG_VERSION"))
}

/// An HTTP client for result POSTs (rustls with the ring provider, system roots). It never
/// follows a redirect. Its `User-Agent` is `docval-server/VERSION (SERVER_NAME)`, so a result
/// server behind several DocVal servers sees which one posted.
pub fn http_client(timeout: Duration, server_name: &str) -> Result<reqwest::Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(user_agent(server_name))
        .build()
        .map_err(|e| e.to_string())
}
