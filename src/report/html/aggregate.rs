//! What the page shows, gathered in one pass over the files of a batch into aggregates that do
//! not grow with it: counts by kind and status, a logarithmic histogram of parse times, a
//! throughput series that coarsens itself, the slowest files and the first failures.

use super::{SHOW_FAILED, SHOW_SLOWEST};
use crate::ledger::{FileEntry, Status};
use std::collections::BTreeMap;

/// Upper edges (ms) of the duration histogram's bins, 1-2-5 per decade from 10 µs to 100 s:
/// parse times range over seven orders of magnitude, so the bins are logarithmic. A file at an
/// edge goes in the bin above; one under 10 µs in the first bin, one of 100 s or more in the last.
pub(super) const DURATION_EDGES_MS: [f64; 22] = [
    0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1e3,
    2e3, 5e3, 1e4, 2e4, 5e4, 1e5,
];
pub(super) const DURATION_BINS: usize = DURATION_EDGES_MS.len() + 1;

/// The histogram bin of a duration.
pub(super) fn duration_bin(ms: f64) -> usize {
    DURATION_EDGES_MS.partition_point(|&edge| edge <= ms)
}

/// Everything the page needs from the files of a batch, in memory that does not grow with it
/// (the failures table stops at [`SHOW_FAILED`]).
#[derive(Default)]
pub struct Aggregate {
    pub(super) files: u64,
    pub(super) bytes: u64,
    /// Sum of the files' read+parse times.
    pub(super) parse_ms: f64,
    /// Files per kind (`nfe`, `catalog`, `(none)` for a file not read), counted by status in
    /// [`Status::ALL`] order.
    pub(super) by_kind: BTreeMap<String, [u64; 4]>,
    pub(super) durations: [u64; DURATION_BINS],
    pub(super) throughput: Throughput,
    /// At most a few times [`SHOW_SLOWEST`]; cut to it when rendered.
    pub(super) slowest: Vec<Slow>,
    /// The first [`SHOW_FAILED`] failed files, by path.
    pub(super) failed: Vec<Failed>,
    pub(super) failed_total: u64,
    /// Rows rejected or replaced, by error type (every row, not the files' samples).
    pub(super) rejected_rows: BTreeMap<String, u64>,
    /// Files of rows: catalogs, SAT metadata.
    pub(super) catalogs: u64,
}

#[derive(Clone)]
pub(super) struct Slow {
    pub(super) duration_ms: f64,
    pub(super) path: String,
    pub(super) kind: Option<String>,
    pub(super) status: String,
}

pub(super) struct Failed {
    pub(super) path: String,
    pub(super) error_type: String,
    pub(super) error: Option<String>,
}

impl Aggregate {
    /// Count one file in.
    pub fn add(&mut self, e: FileEntry) {
        self.files += 1;
        self.bytes += e.size;
        self.parse_ms += e.duration_ms;
        let kind = e.kind.clone().unwrap_or_else(|| "(none)".into());
        if let Some(i) = Status::ALL.iter().position(|s| s.as_str() == e.status) {
            self.by_kind.entry(kind).or_default()[i] += 1;
        }
        self.durations[duration_bin(e.duration_ms)] += 1;
        self.throughput.add(e.recorded_at);
        if e.rows.is_some() {
            self.catalogs += 1;
        }
        for (t, n) in &e.rejected_rows_by_error_type {
            *self.rejected_rows.entry(t.clone()).or_default() += n;
        }
        if e.status == Status::Failed.as_str() {
            self.failed_total += 1;
            if self.failed.len() < SHOW_FAILED {
                self.failed.push(Failed {
                    path: e.path.clone(),
                    error_type: e.error_type.clone().unwrap_or_else(|| "-".into()),
                    error: e.error.clone(),
                });
            }
        }
        self.slowest.push(Slow {
            duration_ms: e.duration_ms,
            path: e.path,
            kind: e.kind,
            status: e.status,
        });
        if self.slowest.len() > SHOW_SLOWEST * 8 {
            crate::report::keep_slowest(&mut self.slowest, SHOW_SLOWEST, slow_time);
        }
    }
}

/// A slow file's duration and path, for [`crate::report::keep_slowest`].
pub(super) fn slow_time(s: &Slow) -> (f64, &str) {
    (s.duration_ms, &s.path)
}

/// Bucket widths (ms) the throughput series moves through as it coarsens; each divides the
/// next, so merging buckets is exact. Past a week, widths double.
const THROUGHPUT_WIDTHS_MS: [i64; 15] = [
    1,
    10,
    100,
    1_000,
    5_000,
    10_000,
    30_000,
    60_000,
    300_000,
    600_000,
    1_800_000,
    3_600_000,
    21_600_000,
    86_400_000,
    604_800_000,
];
/// Buckets kept while streaming: when there are more, they merge into the next width. Files
/// come sorted by path, not by time, so the span is known only at the end.
pub(super) const THROUGHPUT_KEPT: usize = 4096;
/// Bars drawn at most.
pub(super) const THROUGHPUT_BARS: usize = 120;

fn next_width(w: i64) -> i64 {
    THROUGHPUT_WIDTHS_MS
        .iter()
        .copied()
        .find(|&x| x > w)
        .unwrap_or(w * 2)
}

/// Files recorded per time bucket, from `recorded_at`.
pub(super) struct Throughput {
    /// Bucket width in ms, one of [`THROUGHPUT_WIDTHS_MS`] (or a doubling of the last).
    pub(super) width: i64,
    /// Files per bucket, by bucket number (`recorded_at / width`).
    pub(super) buckets: BTreeMap<i64, u64>,
    pub(super) first: Option<i64>,
    pub(super) last: Option<i64>,
    /// Files without `recorded_at` (ledgers older than the column), left out.
    pub(super) missing: u64,
}

impl Default for Throughput {
    fn default() -> Throughput {
        Throughput {
            width: THROUGHPUT_WIDTHS_MS[0],
            buckets: BTreeMap::new(),
            first: None,
            last: None,
            missing: 0,
        }
    }
}

/// What the throughput chart draws: `counts[i]` files recorded from `start + i * width` ms.
pub(super) struct Series {
    pub(super) start: i64,
    pub(super) width: i64,
    pub(super) counts: Vec<u64>,
}

impl Throughput {
    pub(super) fn add(&mut self, at: Option<i64>) {
        let Some(at) = at else {
            self.missing += 1;
            return;
        };
        self.first = Some(self.first.map_or(at, |f| f.min(at)));
        self.last = Some(self.last.map_or(at, |l| l.max(at)));
        *self.buckets.entry(at.div_euclid(self.width)).or_default() += 1;
        while self.buckets.len() > THROUGHPUT_KEPT {
            self.coarsen();
        }
    }

    fn coarsen(&mut self) {
        let next = next_width(self.width);
        let factor = next / self.width;
        for (k, n) in std::mem::take(&mut self.buckets) {
            *self.buckets.entry(k.div_euclid(factor)).or_default() += n;
        }
        self.width = next;
    }

    /// The buckets to draw: the narrowest width, no narrower than what was kept, that spans
    /// the run in at most [`THROUGHPUT_BARS`] bars, empty buckets included. `None` without a
    /// single recorded time.
    pub(super) fn series(&self) -> Option<Series> {
        let (first, last) = (self.first?, self.last?);
        let mut width = self.width;
        while last.div_euclid(width) - first.div_euclid(width) >= THROUGHPUT_BARS as i64 {
            width = next_width(width);
        }
        let lo = first.div_euclid(width);
        let hi = last.div_euclid(width);
        let mut counts = vec![0; (hi - lo + 1) as usize];
        for (&k, &n) in &self.buckets {
            counts[((k * self.width).div_euclid(width) - lo) as usize] += n;
        }
        Some(Series {
            start: lo * width,
            width,
            counts,
        })
    }
}
