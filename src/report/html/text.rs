//! How values read on the page: text escaped for HTML, counts with thousands separators, and
//! durations, sizes and instants in the short forms a person reads at a glance.

use std::time::{Duration, UNIX_EPOCH};

// `1234567` → `1,234,567`: counts read as they do in the text summary.
pub(super) use crate::report::thousands as count;

/// HTML-escape text for an element's content or a quoted attribute value.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(super) fn ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else {
        format!("{v:.2} ms")
    }
}

pub(super) fn seconds(s: f64) -> String {
    let whole = s as u64;
    match whole {
        0..60 => format!("{s:.2} s"),
        60..3600 => format!("{} min {:02} s", whole / 60, whole % 60),
        _ => format!("{} h {:02} min", whole / 3600, whole / 60 % 60),
    }
}

pub(super) fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// A histogram edge, short enough to sit under a bar: `10µs`, `200µs`, `5ms`, `2s`.
pub(super) fn edge(ms: f64) -> String {
    if ms < 1.0 {
        format!("{}µs", (ms * 1000.0).round())
    } else if ms < 1000.0 {
        format!("{ms}ms")
    } else {
        format!("{}s", ms / 1000.0)
    }
}

/// A time bucket's width: `10 ms`, `5 s`, `1 min`, `6 h`, `1 day`.
pub(super) fn width(ms: i64) -> String {
    match ms {
        _ if ms >= 86_400_000 && ms % 86_400_000 == 0 => {
            let d = ms / 86_400_000;
            format!("{d} day{}", if d == 1 { "" } else { "s" })
        }
        _ if ms >= 3_600_000 && ms % 3_600_000 == 0 => format!("{} h", ms / 3_600_000),
        _ if ms >= 60_000 && ms % 60_000 == 0 => format!("{} min", ms / 60_000),
        _ if ms >= 1000 && ms % 1000 == 0 => format!("{} s", ms / 1000),
        _ => format!("{ms} ms"),
    }
}

/// Milliseconds since the epoch as RFC 3339 (UTC), like the ledger's timestamps.
pub(super) fn instant(ms: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_millis(t).to_string()
}
