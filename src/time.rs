//! Timestamps as users read them: RFC 3339 in UTC with milliseconds.

use std::time::SystemTime;

pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// Seconds from one of our timestamps to another; `None` if either does not parse.
pub fn seconds_between(start: &str, end: &str) -> Option<f64> {
    let a = humantime::parse_rfc3339(start).ok()?;
    let b = humantime::parse_rfc3339(end).ok()?;
    Some(b.duration_since(a).map_or(0.0, |d| d.as_secs_f64()))
}

/// Milliseconds since the Unix epoch, now.
pub fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
