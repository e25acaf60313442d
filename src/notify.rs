//! `--notify URL`: when a batch ends, its summary is POSTed as JSON to a webhook, so cron and CI
//! learn how it went without parsing stderr. A webhook is a courtesy, never a condition: it is
//! tried a few times (429, 5xx, connection errors and timeouts, with backoff and `Retry-After`),
//! and whatever happens the batch keeps the exit status it had. What came of it is recorded in
//! the ledger and the report as a [`Notification`].
//!
//! This file is also where the URL's secrets stop: a webhook URL often carries a token in its
//! user info or its query string. [`Webhook`] keeps the URL private and shows it as
//! `https://***@host/path` (no user info, no query) in messages, the report and the ledger;
//! its `Debug` does the same.

use crate::ledger::{BatchInfo, Notification, Totals};
use anyhow::{Result, bail};
use serde::Serialize;
use std::fmt;
use std::time::{Duration, SystemTime};
use ureq::http::Uri;

/// Attempts in all, the first one included.
pub const ATTEMPTS: u32 = 4;
/// The longest wait a `Retry-After` may ask for between two attempts.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(60);
/// The `User-Agent` of every attempt.
pub const USER_AGENT: &str = concat!("batchimp/", env!("CARGO_PKG_VERSION"));

/// A webhook URL, checked (http or https, with a host) and never shown whole.
#[derive(Clone)]
pub struct Webhook {
    url: String,
    shown: String,
    /// Pieces of the URL that must not appear in a message: the URL itself, its user info and
    /// password, its query string. Longest first.
    secrets: Vec<String>,
}

impl Webhook {
    /// Check `url`; the error never repeats it (it may hold a token).
    pub fn parse(url: &str) -> Result<Webhook> {
        let uri: Uri = match url.parse() {
            Ok(uri) => uri,
            Err(e) => bail!("--notify: not a valid URL ({e})"),
        };
        let shown = redact(url);
        match uri.scheme_str() {
            Some("http" | "https") => {}
            Some(other) => {
                bail!("--notify: {shown}: the scheme must be http or https, not {other}")
            }
            None => bail!("--notify: not an absolute http or https URL"),
        }
        let Some(authority) = uri.authority() else {
            bail!("--notify: {shown}: the URL names no host");
        };
        if !plain_authority(authority) {
            bail!(
                "--notify: not a valid URL: no host, or a port that is not a number (a user name or password holding '/', '?', '#' or '@' must be percent-encoded)"
            );
        }
        let mut secrets = vec![url.to_owned()];
        if let Some((userinfo, _)) = authority.as_str().rsplit_once('@') {
            secrets.push(userinfo.to_owned());
            if let Some((_, password)) = userinfo.split_once(':') {
                secrets.push(password.to_owned());
            }
        }
        if let Some(query) = uri.query() {
            secrets.push(query.to_owned());
            secrets.extend(
                query
                    .split('&')
                    .filter_map(|p| Some(p.split_once('=')?.1.to_owned())),
            );
        }
        secrets.retain(|s| !s.is_empty());
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Ok(Webhook {
            url: url.to_owned(),
            shown,
            secrets,
        })
    }

    /// The URL as messages, the report and the ledger show it: `https://***@host/path`.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// `text` with every secret piece of the URL masked (an HTTP library's error may quote it).
    pub fn scrub(&self, text: &str) -> String {
        let mut text = text.replace(&self.url, &self.shown);
        for secret in &self.secrets[1..] {
            text = text.replace(secret.as_str(), "***");
        }
        text
    }
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Webhook").field(&self.shown).finish()
    }
}

/// A URL without its credentials: the user info becomes `***`, the query string and fragment
/// are dropped (`https://user:secret@host/path?token=x` → `https://***@host/path`). A URL that
/// does not parse shows as its scheme only, since where its parts end cannot be told.
pub fn redact(url: &str) -> String {
    let invalid = || match url.split_once("://") {
        Some((scheme, _)) => format!("{scheme}://(invalid URL)"),
        None => "(invalid URL)".to_owned(),
    };
    let Ok(uri) = url.parse::<Uri>() else {
        return invalid();
    };
    let Some(authority) = uri.authority().filter(|a| plain_authority(a)) else {
        return invalid();
    };
    let userinfo = if authority.as_str().contains('@') {
        "***@"
    } else {
        ""
    };
    let port = authority
        .port()
        .map(|p| format!(":{}", p.as_str()))
        .unwrap_or_default();
    format!(
        "{}://{userinfo}{}{port}{}",
        uri.scheme_str().unwrap_or_default(),
        authority.host(),
        uri.path()
    )
}

/// An authority of the form `[userinfo@]host[:digits]`, the host not empty. The `http` crate
/// takes `user:pa/ss@host` as the host `user` with the port `pa` (a password that should have
/// been percent-encoded): shown as is, its end would leak.
fn plain_authority(authority: &ureq::http::uri::Authority) -> bool {
    let hostport = authority.as_str().rsplit('@').next().unwrap_or_default();
    let port = match hostport.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map(|(_, port)| port),
        None => Some(hostport.find(':').map_or("", |i| &hostport[i..])),
    };
    let port_ok = match port {
        Some("") => true,
        Some(port) => port
            .strip_prefix(':')
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())),
        None => false,
    };
    port_ok && !authority.host().is_empty()
}

/// The webhook of a run, and how long one attempt may take.
#[derive(Debug, Clone)]
pub struct Notifier {
    pub webhook: Webhook,
    /// The longest one attempt may take, connecting to reading the answer (`--notify-timeout`).
    pub timeout: Duration,
    /// The certificate authorities trusted for an https webhook (`--notify-ca`), instead of the
    /// public ones; `None`: the public ones (webpki roots).
    pub roots: Option<Vec<ureq::tls::Certificate<'static>>>,
}

/// The certificates of a PEM file (`--notify-ca`): at least one, or an error naming the file.
pub fn read_roots(path: &std::path::Path) -> anyhow::Result<Vec<ureq::tls::Certificate<'static>>> {
    use anyhow::Context;
    let pem = std::fs::read(path)
        .with_context(|| format!("cannot read --notify-ca {}", path.display()))?;
    let mut roots = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => roots.push(c),
            Ok(_) => {}
            Err(e) => anyhow::bail!("--notify-ca {}: not a PEM file: {e}", path.display()),
        }
    }
    if roots.is_empty() {
        anyhow::bail!("--notify-ca {}: no certificate in it", path.display());
    }
    Ok(roots)
}

/// What is POSTed: the batch's ledger row and totals, without the per-file list.
#[derive(Debug, Serialize)]
pub struct Summary<'a> {
    pub batch_id: i64,
    /// `completed`, `failed` or `cancelled`.
    pub status: &'a str,
    /// `None` only when a failed batch's ledger could not be read.
    pub started_at: Option<&'a str>,
    pub finished_at: Option<&'a str>,
    pub processing_time_seconds: Option<f64>,
    pub inputs: &'a [String],
    pub totals: &'a Totals,
    /// The report's path (absolute); `None` when it went to stdout or could not be written.
    pub report: Option<String>,
    /// Why a failed batch stopped (the line batchimp prints); `None` otherwise.
    pub error: Option<String>,
}

impl<'a> Summary<'a> {
    /// The summary of a batch as its ledger row and totals say.
    pub fn new(info: &'a BatchInfo, totals: &'a Totals) -> Summary<'a> {
        Summary {
            batch_id: info.batch_id,
            status: &info.status,
            started_at: Some(&info.started_at),
            finished_at: info.finished_at.as_deref(),
            processing_time_seconds: info.processing_time_seconds,
            inputs: &info.inputs,
            totals,
            report: None,
            error: None,
        }
    }
}

/// What one attempt came to.
#[derive(Debug, PartialEq, Eq)]
enum Attempt {
    /// A 2xx answer.
    Delivered(u16),
    /// Worth another attempt (429, 5xx, no connection, no answer in time), after `wait` if the
    /// server said how long (`Retry-After`), else after the usual backoff.
    Retry {
        status: Option<u16>,
        error: String,
        wait: Option<Duration>,
    },
    /// Another attempt would get the same answer (any other 4xx, a 3xx, a TLS failure).
    GiveUp { status: Option<u16>, error: String },
}

impl Notifier {
    /// POST `summary` until it is delivered or [`ATTEMPTS`] have failed, waiting 1, 2, 4 s (or
    /// what `Retry-After` says, up to [`RETRY_AFTER_CAP`]) between attempts. Never fails: what
    /// happened is in the returned [`Notification`].
    pub fn send(&self, summary: &Summary) -> Notification {
        let body = serde_json::to_vec(summary).expect("plain struct");
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(roots) = &self.roots {
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(roots));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .tls_config(tls.build())
            .timeout_global(Some(self.timeout))
            .http_status_as_error(false)
            // A POST redirected would be sent again as a GET, without its body: not followed,
            // the 3xx is the answer.
            .max_redirects(0)
            .user_agent(USER_AGENT)
            .build()
            .into();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let result = agent
                .post(self.webhook.url.as_str())
                .header("Content-Type", "application/json")
                .send(&body[..]);
            let attempt = self.judge(result);
            let (status, error, wait) = match attempt {
                Attempt::Delivered(status) => {
                    return self.outcome(true, attempts, Some(status), None);
                }
                Attempt::GiveUp { status, error } => {
                    return self.outcome(false, attempts, status, Some(error));
                }
                Attempt::Retry {
                    status,
                    error,
                    wait,
                } => (status, error, wait),
            };
            if attempts >= ATTEMPTS {
                return self.outcome(false, attempts, status, Some(error));
            }
            std::thread::sleep(wait.unwrap_or_else(|| backoff(attempts)));
        }
    }

    fn outcome(
        &self,
        delivered: bool,
        attempts: u32,
        status: Option<u16>,
        error: Option<String>,
    ) -> Notification {
        Notification {
            url: self.webhook.shown().to_owned(),
            delivered,
            attempts,
            status,
            error,
        }
    }

    fn judge(&self, result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Attempt {
        let response = match result {
            Ok(response) => response,
            Err(e) => {
                // A TLS handshake that failed (a certificate not trusted, not for this host)
                // comes as an I/O error, and would fail the same way again.
                let tls = match &e {
                    ureq::Error::Io(io) => io
                        .get_ref()
                        .is_some_and(|inner| inner.is::<rustls::Error>()),
                    _ => false,
                };
                let retry = !tls
                    && matches!(
                        e,
                        ureq::Error::Io(_)
                            | ureq::Error::Timeout(_)
                            | ureq::Error::ConnectionFailed
                            | ureq::Error::HostNotFound
                            | ureq::Error::Protocol(_)
                    );
                let error = match e {
                    ureq::Error::Timeout(_) => format!(
                        "no answer within {}",
                        humantime::format_duration(self.timeout)
                    ),
                    ureq::Error::HostNotFound => "host not found".to_owned(),
                    ureq::Error::Io(io) if tls => format!("TLS: {io}"),
                    ureq::Error::Io(io) => io.to_string(),
                    e => e.to_string(),
                };
                let error = self.webhook.scrub(&error);
                return if retry {
                    Attempt::Retry {
                        status: None,
                        error,
                        wait: None,
                    }
                } else {
                    Attempt::GiveUp {
                        status: None,
                        error,
                    }
                };
            }
        };
        let status = response.status();
        let code = status.as_u16();
        if status.is_success() {
            return Attempt::Delivered(code);
        }
        let error = format!(
            "HTTP {code}{}",
            status
                .canonical_reason()
                .map(|r| format!(" {r}"))
                .unwrap_or_default()
        );
        // 501 Not Implemented and 505 HTTP Version Not Supported say what the server will
        // always answer: retrying them only delays the end of the run.
        if code == 429 || (status.is_server_error() && !matches!(code, 501 | 505)) {
            let wait = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry_after(v, SystemTime::now()));
            Attempt::Retry {
                status: Some(code),
                error,
                wait,
            }
        } else {
            Attempt::GiveUp {
                status: Some(code),
                error,
            }
        }
    }
}

/// The wait before the attempt after the `attempt`th: 1 s, 2 s, 4 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1 << (attempt - 1).min(6))
}

/// A `Retry-After` value: seconds (`120`) or an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`,
/// counted from `now`; a date past is no wait), capped at [`RETRY_AFTER_CAP`]. `None` when it
/// is neither.
fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let at = httpdate::parse_http_date(value).ok()?;
            at.duration_since(now).unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(RETRY_AFTER_CAP))
}

impl Notification {
    /// `https://***@host/hook delivered (HTTP 200) after 3 attempts`, or `... failed after 4
    /// attempts: HTTP 503 Service Unavailable`, for `batchimp report` and the warning.
    pub fn describe(&self) -> String {
        let attempts = match self.attempts {
            1 => "1 attempt".to_owned(),
            n => format!("{n} attempts"),
        };
        if self.delivered {
            let status = self
                .status
                .map(|s| format!(" (HTTP {s})"))
                .unwrap_or_default();
            format!("{} delivered{status} after {attempts}", self.url)
        } else {
            format!(
                "{} failed after {attempts}: {}",
                self.url,
                self.error.as_deref().unwrap_or("unknown error")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_drops_userinfo_and_query() {
        assert_eq!(
            redact("https://user:secret@hooks.example.com/path?token=abc"),
            "https://***@hooks.example.com/path"
        );
        assert_eq!(
            redact("https://hooks.example.com/services/x?token=abc#frag"),
            "https://hooks.example.com/services/x"
        );
        assert_eq!(
            redact("http://token@127.0.0.1:8080/hook"),
            "http://***@127.0.0.1:8080/hook"
        );
        assert_eq!(redact("https://example.com"), "https://example.com/");
        assert_eq!(redact("HTTPS://u:p@[::1]:9/a/b"), "https://***@[::1]:9/a/b");
        // An '@' in the password (encoded or not) or in the path.
        assert_eq!(redact("https://u:p%40ss@host/x"), "https://***@host/x");
        assert_eq!(redact("https://host/team/@me"), "https://host/team/@me");
        // Unparsable: nothing but the scheme, since where the secret ends is unknown.
        for url in [
            "https://user:pa/ss@host/x",
            "https://user:pa?ss@host/x",
            "https://user:pa#ss@host/x",
        ] {
            assert_eq!(redact(url), "https://(invalid URL)", "{url}");
        }
        assert_eq!(redact("not a url"), "(invalid URL)");
    }

    #[test]
    fn parse_checks_and_never_echoes_the_url() {
        let hook = Webhook::parse("https://user:s3cret@host.example/p?token=t0ken&x=1").unwrap();
        assert_eq!(hook.shown(), "https://***@host.example/p");
        assert_eq!(
            format!("{hook:?}"),
            "Webhook(\"https://***@host.example/p\")"
        );
        let scrubbed = hook.scrub(
            "cannot reach https://user:s3cret@host.example/p?token=t0ken&x=1 (s3cret, t0ken)",
        );
        assert_eq!(
            scrubbed,
            "cannot reach https://***@host.example/p (***, ***)"
        );
        for bad in [
            "ftp://user:s3cret@host/x",
            "https://user:s3/cret@host/x",
            "https://user:s3?cret@host/x",
            "https://:s3cret@/x",
            "/relative/s3cret",
            "https://",
            "s3cret",
        ] {
            let e = Webhook::parse(bad).unwrap_err().to_string();
            assert!(!e.contains("s3"), "{bad}: {e}");
            assert!(e.starts_with("--notify: "), "{e}");
        }
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date_capped() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(retry_after("3600", now), Some(RETRY_AFTER_CAP));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 09:00:00 GMT", now),
            Some(RETRY_AFTER_CAP)
        );
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-5", now), None);
    }

    #[test]
    fn backoff_doubles() {
        let waits: Vec<u64> = (1..ATTEMPTS).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4]);
    }

    #[test]
    fn describe() {
        let mut n = Notification {
            url: "https://***@h/x".into(),
            delivered: true,
            attempts: 3,
            status: Some(200),
            error: None,
        };
        assert_eq!(
            n.describe(),
            "https://***@h/x delivered (HTTP 200) after 3 attempts"
        );
        n.delivered = false;
        n.attempts = 1;
        n.status = Some(404);
        n.error = Some("HTTP 404 Not Found".into());
        assert_eq!(
            n.describe(),
            "https://***@h/x failed after 1 attempt: HTTP 404 Not Found"
        );
    }
}
