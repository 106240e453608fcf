//! The Origin allow-list both interfaces apply to WebSocket upgrades.
//!
//! A browser always sends `Origin` with a WebSocket handshake (RFC 6455 §4.1, Fetch), so the
//! header tells which web page is asking. Entries are exact origins (`https://desk.example.com`,
//! `http://127.0.0.1:8080`), patterns with one leading wildcard label
//! (`https://*.example.com`, which matches `https://a.example.com` and `https://a.b.example.com`
//! but not `https://example.com` nor another scheme or port), or `null` (the opaque origin of
//! `file://` pages and sandboxed frames, allowed only when listed). Comparison ignores ASCII
//! case; an origin carrying a path, user info, query or fragment never matches.

/// One allow-list entry.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    /// `scheme://host[:port]`, lower case.
    Exact(String),
    /// `scheme://*.suffix[:port]`: `scheme`, `.suffix`, `:port` or empty.
    Wildcard {
        scheme: String,
        suffix: String,
        port: String,
    },
    Null,
}

/// Parsed `--allow-origin` entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OriginPolicy {
    entries: Vec<Entry>,
}

/// An `--allow-origin` value that is not an origin.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not an origin (scheme://host[:port], scheme://*.domain[:port] or null): {0}")]
pub struct BadOrigin(pub String);

/// `scheme://host[:port]` split, or `None` when it has anything else.
fn split(origin: &str) -> Option<(&str, &str, &str)> {
    let (scheme, rest) = origin.split_once("://")?;
    if scheme.is_empty() || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) {
        return None;
    }
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
        return None;
    }
    // An IPv6 literal keeps its colons inside brackets.
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => (h, p),
        _ => (rest, ""),
    };
    let port_ok = port.is_empty() || (port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit()));
    if host.is_empty() || !port_ok || (rest.ends_with(':')) {
        return None;
    }
    Some((scheme, host, port))
}

impl OriginPolicy {
    /// Parses the entries (`--allow-origin`, repeatable).
    pub fn new<S: AsRef<str>>(entries: &[S]) -> Result<Self, BadOrigin> {
        let mut out = Vec::new();
        for e in entries {
            let raw = e.as_ref().trim();
            let lower = raw.to_ascii_lowercase();
            let lower = lower.trim_end_matches('/');
            if lower == "null" {
                out.push(Entry::Null);
                continue;
            }
            let (scheme, host, port) = split(lower).ok_or_else(|| BadOrigin(raw.to_string()))?;
            if let Some(suffix) = host.strip_prefix("*.") {
                if suffix.is_empty() || suffix.contains('*') {
                    return Err(BadOrigin(raw.to_string()));
                }
                out.push(Entry::Wildcard {
                    scheme: scheme.to_string(),
                    suffix: format!(".{suffix}"),
                    port: port.to_string(),
                });
            } else if host.contains('*') {
                return Err(BadOrigin(raw.to_string()));
            } else {
                out.push(Entry::Exact(lower.to_string()));
            }
        }
        Ok(OriginPolicy { entries: out })
    }

    /// Whether a page of `origin` (the `Origin` header's value) may connect.
    pub fn allows(&self, origin: &str) -> bool {
        let o = origin.trim().to_ascii_lowercase();
        if o == "null" {
            return self.entries.contains(&Entry::Null);
        }
        let Some((scheme, host, port)) = split(&o) else {
            return false;
        };
        self.entries.iter().any(|e| match e {
            Entry::Exact(x) => *x == o,
            Entry::Wildcard {
                scheme: s,
                suffix,
                port: p,
            } => {
                s == scheme
                    && p == port
                    && host.len() > suffix.len()
                    && host.ends_with(suffix.as_str())
                    && !host.contains(['[', ']'])
            }
            Entry::Null => false,
        })
    }

    /// Whether an upgrade request with these headers may connect: no `Origin` header (not a
    /// web page: a local program, which could use PC/SC itself) or an allowed origin.
    pub fn allows_request(&self, headers: &axum::http::HeaderMap) -> bool {
        let mut origins = headers.get_all(axum::http::header::ORIGIN).iter();
        match (origins.next(), origins.next()) {
            (None, _) => true,
            (Some(o), None) => o.to_str().is_ok_and(|o| self.allows(o)),
            // Two Origin headers: ambiguous, refused.
            (Some(_), Some(_)) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_pattern_and_null() {
        let p = OriginPolicy::new(&[
            "https://desk.example.com",
            "https://*.example.org",
            "http://127.0.0.1:8080",
        ])
        .unwrap();
        assert!(p.allows("https://desk.example.com"));
        assert!(p.allows("HTTPS://Desk.Example.COM"));
        assert!(!p.allows("http://desk.example.com"));
        assert!(!p.allows("https://desk.example.com:444"));
        assert!(!p.allows("https://desk.example.com.evil.net"));
        assert!(!p.allows("https://evildesk.example.com"));
        assert!(p.allows("https://a.example.org"));
        assert!(p.allows("https://a.b.example.org"));
        assert!(!p.allows("https://example.org"));
        assert!(!p.allows("https://aexample.org"));
        assert!(!p.allows("https://a.example.org:8443"));
        assert!(!p.allows("http://a.example.org"));
        assert!(!p.allows("https://a.example.org.evil.net"));
        assert!(p.allows("http://127.0.0.1:8080"));
        assert!(!p.allows("http://127.0.0.1:8081"));
        assert!(!p.allows("null"));
        assert!(!p.allows(""));
        assert!(!p.allows("https://desk.example.com/path"));
        let n = OriginPolicy::new(&["null"]).unwrap();
        assert!(n.allows("null"));
        assert!(!n.allows("https://desk.example.com"));
        assert!(!OriginPolicy::default().allows("null"));
    }

    #[test]
    fn bad_entries_are_refused() {
        for bad in [
            "example.com",
            "https://",
            "https://a/b",
            "https://a.*.com",
            "https://*",
            "https://*.",
            "https://a:x",
        ] {
            assert!(OriginPolicy::new(&[bad]).is_err(), "{bad}");
        }
        assert!(OriginPolicy::new(&["https://example.com/"]).is_ok());
        assert!(
            OriginPolicy::new(&["http://[::1]:8080"])
                .unwrap()
                .allows("http://[::1]:8080")
        );
    }
}
