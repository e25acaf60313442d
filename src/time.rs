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

/// A point in time as a user gives it on the command line (`--since`, `--older-than`): a
/// date, an RFC 3339 time, or an age measured back from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct When {
    /// The point in time, never before the Unix epoch.
    pub at: SystemTime,
    /// The age it was given as (`7d`); `None` when it was given as a date or a time.
    pub age: Option<std::time::Duration>,
}

impl When {
    /// `2026-11-01` (midnight UTC), `2026-11-01T12:00:00Z` or `2026-11-01T09:00:00-03:00`
    /// (RFC 3339, also with a space for the `T`; UTC when the offset is left out), or an age
    /// from now: `7d`, `12h`, `30m`, `1week 2days` (humantime's units).
    pub fn parse(s: &str) -> Result<When, String> {
        Self::parse_at(s, SystemTime::now())
    }

    /// [`When::parse`] with `now` given.
    pub fn parse_at(s: &str, now: SystemTime) -> Result<When, String> {
        let s = s.trim();
        let bad = || {
            format!(
                "{s:?}: give a date (2026-11-01), an RFC 3339 time (2026-11-01T12:00:00Z) \
                 or an age (7d, 12h, 30m)"
            )
        };
        let looks_like_date =
            s.is_ascii() && s.len() >= 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
        if looks_like_date {
            let at = parse_timestamp(s).ok_or_else(bad)?;
            return Ok(When { at, age: None });
        }
        let age = humantime::parse_duration(s).map_err(|_| bad())?;
        let at = now
            .checked_sub(age)
            .filter(|t| *t >= SystemTime::UNIX_EPOCH)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        Ok(When { at, age: Some(age) })
    }

    /// As the ledger stores times: RFC 3339 in UTC with milliseconds, the text SQLite
    /// compares and PostgreSQL casts to `timestamptz`.
    pub fn rfc3339(&self) -> String {
        rfc3339(self.at)
    }

    /// For messages: `30 days`, `12 hours`, or the time itself.
    pub fn describe(&self) -> String {
        match self.age {
            Some(age) => describe_age(age),
            None => self.rfc3339(),
        }
    }
}

/// A time as the ledger stores it (RFC 3339, UTC, milliseconds); times past year 9999 are
/// written as its last millisecond.
pub fn rfc3339(t: SystemTime) -> String {
    const LAST: u64 = 253_402_300_799;
    let last = SystemTime::UNIX_EPOCH + std::time::Duration::new(LAST, 999_000_000);
    humantime::format_rfc3339_millis(t.clamp(SystemTime::UNIX_EPOCH, last)).to_string()
}

/// A date, or an RFC 3339 time with any offset; `None` when it is neither.
fn parse_timestamp(s: &str) -> Option<SystemTime> {
    if s.len() == 10 {
        return humantime::parse_rfc3339_weak(&format!("{s}T00:00:00")).ok();
    }
    // humantime reads UTC only: an offset (`-03:00`) is taken off and applied here.
    let (time, offset) = match s.len().checked_sub(6).map(|i| s.split_at(i)) {
        Some((time, off))
            if time.len() >= 19
                && off.len() == 6
                && (off.starts_with('+') || off.starts_with('-'))
                && off.as_bytes()[3] == b':' =>
        {
            let hours: u64 = off[1..3].parse().ok()?;
            let minutes: u64 = off[4..6].parse().ok()?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            (
                time,
                Some((off.starts_with('-'), (hours * 60 + minutes) * 60)),
            )
        }
        _ => (s, None),
    };
    let local = humantime::parse_rfc3339_weak(time).ok()?;
    match offset {
        None => Some(local),
        // 09:00-03:00 is 12:00 UTC.
        Some((true, secs)) => local.checked_add(std::time::Duration::from_secs(secs)),
        Some((false, secs)) => local
            .checked_sub(std::time::Duration::from_secs(secs))
            .filter(|t| *t >= SystemTime::UNIX_EPOCH),
    }
}

/// `30 days`, `1 day`, `12 hours`, `90 minutes`; other ages as humantime writes them.
pub fn describe_age(age: std::time::Duration) -> String {
    let secs = age.as_secs();
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if age.subsec_nanos() != 0 || secs == 0 {
        humantime::format_duration(age).to_string()
    } else if secs.is_multiple_of(86_400) {
        plural(secs / 86_400, "day")
    } else if secs.is_multiple_of(3_600) {
        plural(secs / 3_600, "hour")
    } else if secs.is_multiple_of(60) {
        plural(secs / 60, "minute")
    } else {
        plural(secs, "second")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(s: &str) -> String {
        let now = humantime::parse_rfc3339("2026-11-20T10:00:00Z").unwrap();
        When::parse_at(s, now)
            .map(|w| w.rfc3339())
            .unwrap_or_else(|e| e)
    }

    #[test]
    fn dates_times_and_ages() {
        assert_eq!(at("2026-11-01"), "2026-11-01T00:00:00.000Z");
        assert_eq!(at("2026-11-01T12:30:00Z"), "2026-11-01T12:30:00.000Z");
        assert_eq!(at("2026-11-01T12:30:00.25Z"), "2026-11-01T12:30:00.250Z");
        assert_eq!(at("2026-11-01 12:30:00"), "2026-11-01T12:30:00.000Z");
        assert_eq!(at("2026-11-01T09:30:00-03:00"), "2026-11-01T12:30:00.000Z");
        assert_eq!(
            at("2026-11-01T09:30:00.5+01:00"),
            "2026-11-01T08:30:00.500Z"
        );
        assert_eq!(at("7d"), "2026-11-13T10:00:00.000Z");
        assert_eq!(at("12h"), "2026-11-19T22:00:00.000Z");
        assert_eq!(at("30m"), "2026-11-20T09:30:00.000Z");
        assert_eq!(
            at("100000d"),
            "1970-01-01T00:00:00.000Z",
            "clamped to the epoch"
        );
        for bad in [
            "yesterday",
            "2026-13-01",
            "2026-11-01T25:00:00Z",
            "7 parsecs",
            "",
        ] {
            assert!(at(bad).contains("give a date"), "{bad}: {}", at(bad));
        }
    }

    #[test]
    fn ages_read_well() {
        assert_eq!(describe_age(Duration::from_secs(30 * 86_400)), "30 days");
        assert_eq!(describe_age(Duration::from_secs(86_400)), "1 day");
        assert_eq!(describe_age(Duration::from_secs(12 * 3_600)), "12 hours");
        assert_eq!(describe_age(Duration::from_secs(90 * 60)), "90 minutes");
        let w = When::parse("2026-11-01").unwrap();
        assert_eq!(w.describe(), "2026-11-01T00:00:00.000Z");
    }
}
