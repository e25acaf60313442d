//! `batchimp report --html`: a batch as one self-contained web page (counts, charts, the slowest
//! files, a filterable table of failures) for people who would rather look than grep.
//!
//! The page fetches nothing. The CSS and the few lines of script are inline, the charts are SVG
//! drawn here (no chart library), and a Content-Security-Policy forbids loading anything from
//! elsewhere, so it opens the same offline, as an email attachment or as a CI artifact.
//!
//! Like the JSON report it reads the ledger once, streaming (`Sink::for_each_file`), and keeps
//! aggregates only: fixed histogram bins, a throughput series that coarsens itself to stay
//! under a few thousand buckets, the slowest few files and the first failures. A million-file
//! batch makes a page about as big as a thousand-file one.
//!
//! Every string from the ledger (paths, error messages, even error types and kinds) is user data
//! and goes through [`esc`]: a file named `<script>....xml` is text on the page, never markup.

use crate::ledger::sql::Conn;
use crate::ledger::{BatchInfo, FileEntry, Status, Totals};
use anyhow::Result;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write;
use std::time::{Duration, UNIX_EPOCH};

/// Failed files listed in the table; the rest are counted (`--json` has them all). Enough to
/// scroll through, small enough that the page opens at once.
pub const SHOW_FAILED: usize = 2000;
/// Slowest files listed.
pub const SHOW_SLOWEST: usize = 20;
/// Characters of an error message shown in the table; the rest is cut (with an ellipsis).
const MAX_MESSAGE: usize = 2000;

/// The page's Content-Security-Policy: nothing is loaded from anywhere; inline styles run,
/// images only from `data:` URLs (there are none today), and of scripts only the page's own
/// two, named by their hash: were a ledger string ever to slip past [`esc`] as a `<script>`, a
/// browser would not run it. No form may post anywhere, no `<base>` may move the page's links.
pub fn csp() -> &'static str {
    static CSP: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        use base64::Engine as _;
        use sha2::{Digest, Sha256};
        let hash = |script: &str| {
            let digest = Sha256::digest(script.as_bytes());
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        };
        format!(
            "default-src 'none'; style-src 'unsafe-inline'; script-src {} {}; img-src data:; \
             form-action 'none'; base-uri 'none'",
            hash(SCRIPT_HEAD),
            hash(SCRIPT_BODY)
        )
    });
    &CSP
}

/// Write the HTML report of `batch`.
pub fn write_html(out: &mut dyn Write, sink: &mut dyn Conn, batch: &BatchInfo) -> Result<()> {
    let totals = sink.ledger().totals(batch.batch_id)?;
    let mut agg = Aggregate::default();
    sink.ledger().for_each_file(batch.batch_id, &mut |e| {
        agg.add(e);
        Ok(())
    })?;
    out.write_all(render(batch, &totals, &sink.describe(), &agg).as_bytes())?;
    out.flush()?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// What the page shows, gathered in one pass over the files.

/// Upper edges (ms) of the duration histogram's bins, 1-2-5 per decade from 10 µs to 100 s:
/// parse times range over seven orders of magnitude, so the bins are logarithmic. A file at an
/// edge goes in the bin above; one under 10 µs in the first bin, one of 100 s or more in the last.
const DURATION_EDGES_MS: [f64; 22] = [
    0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1e3,
    2e3, 5e3, 1e4, 2e4, 5e4, 1e5,
];
const DURATION_BINS: usize = DURATION_EDGES_MS.len() + 1;

/// The histogram bin of a duration.
fn duration_bin(ms: f64) -> usize {
    DURATION_EDGES_MS.partition_point(|&edge| edge <= ms)
}

/// Everything the page needs from the files of a batch, in memory that does not grow with it
/// (the failures table stops at [`SHOW_FAILED`]).
#[derive(Default)]
pub struct Aggregate {
    files: u64,
    bytes: u64,
    /// Sum of the files' read+parse times.
    parse_ms: f64,
    /// Files per kind (`nfe`, `catalog`, `(none)` for a file not read), counted by status in
    /// [`Status::ALL`] order.
    by_kind: BTreeMap<String, [u64; 4]>,
    durations: [u64; DURATION_BINS],
    throughput: Throughput,
    /// At most a few times [`SHOW_SLOWEST`]; cut to it when rendered.
    slowest: Vec<Slow>,
    /// The first [`SHOW_FAILED`] failed files, by path.
    failed: Vec<Failed>,
    failed_total: u64,
    /// Catalog rows rejected or replaced, by error type (every row, not the files' samples).
    rejected_rows: BTreeMap<String, u64>,
    catalogs: u64,
}

#[derive(Clone)]
struct Slow {
    duration_ms: f64,
    path: String,
    kind: Option<String>,
    status: String,
}

struct Failed {
    path: String,
    error_type: String,
    error: Option<String>,
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
            super::keep_slowest(&mut self.slowest, SHOW_SLOWEST, slow_time);
        }
    }
}

/// A slow file's duration and path, for [`super::keep_slowest`].
fn slow_time(s: &Slow) -> (f64, &str) {
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
const THROUGHPUT_KEPT: usize = 4096;
/// Bars drawn at most.
const THROUGHPUT_BARS: usize = 120;

fn next_width(w: i64) -> i64 {
    THROUGHPUT_WIDTHS_MS
        .iter()
        .copied()
        .find(|&x| x > w)
        .unwrap_or(w * 2)
}

/// Files recorded per time bucket, from `recorded_at`.
struct Throughput {
    /// Bucket width in ms, one of [`THROUGHPUT_WIDTHS_MS`] (or a doubling of the last).
    width: i64,
    /// Files per bucket, by bucket number (`recorded_at / width`).
    buckets: BTreeMap<i64, u64>,
    first: Option<i64>,
    last: Option<i64>,
    /// Files without `recorded_at` (ledgers older than the column), left out.
    missing: u64,
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
struct Series {
    start: i64,
    width: i64,
    counts: Vec<u64>,
}

impl Throughput {
    fn add(&mut self, at: Option<i64>) {
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
    fn series(&self) -> Option<Series> {
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

// ---------------------------------------------------------------------------------------------
// The page.

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

/// `1234567` → `1,234,567`.
fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else {
        format!("{v:.2} ms")
    }
}

fn seconds(s: f64) -> String {
    let whole = s as u64;
    match whole {
        0..60 => format!("{s:.2} s"),
        60..3600 => format!("{} min {:02} s", whole / 60, whole % 60),
        _ => format!("{} h {:02} min", whole / 3600, whole / 60 % 60),
    }
}

fn bytes(n: u64) -> String {
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
fn edge(ms: f64) -> String {
    if ms < 1.0 {
        format!("{}µs", (ms * 1000.0).round())
    } else if ms < 1000.0 {
        format!("{ms}ms")
    } else {
        format!("{}s", ms / 1000.0)
    }
}

/// A time bucket's width: `10 ms`, `5 s`, `1 min`, `6 h`, `1 day`.
fn width(ms: i64) -> String {
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
fn instant(ms: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_millis(t).to_string()
}

/// One bar of a column chart.
struct Column {
    value: u64,
    /// Under the bar; empty for none.
    label: String,
    /// The tooltip.
    title: String,
}

const CHART_W: f64 = 960.0;

/// A column chart as inline SVG. With `edge_labels`, the first label sits at the left edge and
/// the last at the right edge (times along an axis); otherwise each label is under its bar.
fn column_chart(s: &mut String, id: &str, caption: &str, bars: &[Column], edge_labels: bool) {
    let (h, left, right, top, bottom) = (240.0, 56.0, 12.0, 12.0, 28.0);
    let plot_w = CHART_W - left - right;
    let plot_h = h - top - bottom;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let step = plot_w / bars.len().max(1) as f64;
    let bar_w = (step * 0.85).max(1.0);
    let _ = write!(
        s,
        r#"<svg class="chart" id="{id}" data-bars="{}" viewBox="0 0 {CHART_W} {h}" role="img" aria-label="{}">"#,
        bars.len(),
        esc(caption)
    );
    for (v, y) in [(max, top), (max / 2, top + plot_h / 2.0), (0, top + plot_h)] {
        if v == max / 2 && max < 2 {
            continue;
        }
        let _ = write!(
            s,
            r#"<line class="grid" x1="{left}" x2="{}" y1="{y}" y2="{y}"/><text class="axis" x="{}" y="{}" text-anchor="end">{}</text>"#,
            CHART_W - right,
            left - 6.0,
            y + 4.0,
            count(v)
        );
    }
    let n = bars.len();
    for (i, b) in bars.iter().enumerate() {
        let bh = b.value as f64 / max as f64 * plot_h;
        let x = left + i as f64 * step + (step - bar_w) / 2.0;
        let _ = write!(
            s,
            r#"<rect class="bar" x="{x:.1}" y="{:.1}" width="{bar_w:.1}" height="{bh:.1}"><title>{}</title></rect>"#,
            top + plot_h - bh,
            esc(&b.title)
        );
        if b.label.is_empty() {
            continue;
        }
        let (lx, anchor) = match (edge_labels, i) {
            (true, 0) if n > 1 => (left + i as f64 * step, "start"),
            (true, _) if i == n - 1 && n > 1 => (left + (i + 1) as f64 * step, "end"),
            _ => (left + (i as f64 + 0.5) * step, "middle"),
        };
        let _ = write!(
            s,
            r#"<text class="axis" x="{lx:.1}" y="{}" text-anchor="{anchor}">{}</text>"#,
            h - bottom + 16.0,
            esc(&b.label)
        );
    }
    s.push_str("</svg>\n");
}

/// A horizontal bar chart as inline SVG, one labelled row per `(label, value)`.
fn row_chart(s: &mut String, id: &str, caption: &str, rows: &[(String, u64)]) {
    let (row_h, label_w, right) = (24.0, 260.0, 80.0);
    let h = rows.len() as f64 * row_h + 8.0;
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let _ = write!(
        s,
        r#"<svg class="chart" id="{id}" data-bars="{}" viewBox="0 0 {CHART_W} {h}" role="img" aria-label="{}">"#,
        rows.len(),
        esc(caption)
    );
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = 4.0 + i as f64 * row_h;
        let w = (*value as f64 / max as f64 * (CHART_W - label_w - right)).max(1.0);
        let _ = write!(
            s,
            concat!(
                r#"<g class="row" data-key="{key}" data-count="{value}">"#,
                r#"<text class="label" x="{lx}" y="{ty}" text-anchor="end">{key}</text>"#,
                r#"<rect class="bar" x="{label_w}" y="{y}" width="{w:.1}" height="{bh}"><title>{key}: {n}</title></rect>"#,
                r#"<text class="axis" x="{vx:.1}" y="{ty}">{n}</text></g>"#
            ),
            key = esc(label),
            value = value,
            n = count(*value),
            lx = label_w - 8.0,
            ty = y + 15.0,
            label_w = label_w,
            y = y,
            w = w,
            bh = row_h - 6.0,
            vx = label_w + w + 6.0,
        );
    }
    s.push_str("</svg>\n");
}

const STYLE: &str = r#"
:root { color-scheme: light; --fg: #1d2433; --muted: #5b6475; --line: #d9dde5; --bg: #f6f7f9;
  --imported: #2f8f4e; --duplicate: #3a6fd8; --failed: #c8362f; --unsupported: #8a8f98; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg); }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 0 0 8px; }
h2.sub { font-size: 15px; margin-top: 14px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px;
  margin: 16px 0; }
.muted, .note { color: var(--muted); }
.note { margin: 8px 0 0; font-size: 13px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 13px;
  background: #e7eaf0; vertical-align: middle; }
.badge.completed { background: #dcefe2; color: #1f6a38; }
.badge.failed, .badge.cancelled { background: #f7dcda; color: #94231d; }
.badge.running, .badge.partial { background: #fdf0cc; color: #7a5a00; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0 0; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { flex: 1 1 140px; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px;
  border-top: 4px solid var(--muted); }
.card .n { display: block; font-size: 24px; font-weight: 600; }
.card.imported { border-top-color: var(--imported); }
.card.duplicate { border-top-color: var(--duplicate); }
.card.failed { border-top-color: var(--failed); }
.card.unsupported { border-top-color: var(--unsupported); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); position: sticky; top: 0; background: #fff; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.path, td.msg { overflow-wrap: anywhere; }
td.type { white-space: nowrap; }
.scroll { max-height: 36em; overflow: auto; border: 1px solid var(--line); border-radius: 6px; }
.controls { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; margin-bottom: 8px; }
.controls input { flex: 1 1 300px; padding: 5px 8px; font: inherit; }
.controls select { padding: 5px 8px; font: inherit; }
svg.chart { width: 100%; height: auto; display: block; }
svg .bar { fill: #4a72b0; }
svg#chart-failures .bar { fill: var(--failed); }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg text { font: 11px system-ui, sans-serif; fill: var(--muted); }
svg text.label { font-size: 12px; fill: var(--fg); }
"#;

/// Runs first: remembers any error and anything the CSP blocks, so the page can say whether it
/// rendered cleanly (`<body data-errors>`, read by the tests in a real browser).
const SCRIPT_HEAD: &str = r#"
var reportErrors = [];
function noteError(m) {
  reportErrors.push(m);
  if (document.body) document.body.dataset.errors = reportErrors.join(' | ');
}
addEventListener('error', function (e) {
  noteError('error: ' + (e.message || (e.target && e.target.tagName) || 'unknown'));
}, true);
document.addEventListener('securitypolicyviolation', function (e) {
  noteError('blocked: ' + e.violatedDirective + ' ' + e.blockedURI);
});
"#;

/// The failures filter (a text box and an error-type select, both also read from `?filter=`
/// and `?type=` so a link can point at a selection), and the render check: every chart drawn
/// with the bars the page was written with, and laid out; the result in `<body
/// data-rendered>` (`ok`, or what is wrong).
const SCRIPT_BODY: &str = r#"
(function () {
  var table = document.getElementById('failed-table');
  if (table) {
    var q = document.getElementById('failed-filter');
    var sel = document.getElementById('failed-type');
    var shown = document.getElementById('failed-shown');
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var texts = rows.map(function (tr) { return tr.textContent.toLowerCase(); });
    var apply = function () {
      var text = q.value.trim().toLowerCase(), type = sel.value, n = 0;
      rows.forEach(function (tr, i) {
        var keep = (!type || tr.dataset.type === type) && (!text || texts[i].indexOf(text) >= 0);
        tr.hidden = !keep;
        if (keep) n++;
      });
      shown.textContent = n.toLocaleString('en-US');
      table.dataset.shown = n;
    };
    var params = new URLSearchParams(location.search);
    if (params.has('filter')) q.value = params.get('filter');
    if (params.has('type')) sel.value = params.get('type');
    q.addEventListener('input', apply);
    sel.addEventListener('change', apply);
    apply();
  }
  addEventListener('load', function () {
    var bad = [], charts = document.querySelectorAll('svg.chart');
    if (charts.length !== +document.body.dataset.charts) {
      bad.push(charts.length + ' charts of ' + document.body.dataset.charts);
    }
    Array.prototype.forEach.call(charts, function (svg) {
      var got = svg.querySelectorAll('.bar').length, want = +svg.dataset.bars;
      var box = svg.getBoundingClientRect();
      if (got !== want || want === 0) bad.push(svg.id + ': ' + got + ' bars of ' + want);
      if (box.width < 100 || box.height < 20) bad.push(svg.id + ': not laid out');
    });
    document.body.dataset.rendered = bad.length ? bad.join('; ') : 'ok';
    document.body.dataset.errors = reportErrors.join(' | ');
  });
})();
"#;

/// The whole page.
pub fn render(batch: &BatchInfo, totals: &Totals, database: &str, agg: &Aggregate) -> String {
    let mut s = String::with_capacity(64 * 1024 + agg.failed.len() * 400);
    let mut charts = 0;
    let title = format!("batchimp report: batch {}", batch.batch_id);
    let body = render_body(batch, totals, database, agg, &mut charts);
    let _ = write!(
        s,
        concat!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
            "<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
            "<meta name=\"generator\" content=\"batchimp {version}\">\n",
            "<title>{title}</title>\n<style>{style}</style>\n<script>{head}</script>\n</head>\n",
            "<body data-rendered=\"pending\" data-errors=\"\" data-charts=\"{charts}\">\n<main>\n",
            "{body}</main>\n<script>{script}</script>\n</body>\n</html>\n"
        ),
        csp = csp(),
        version = env!("CARGO_PKG_VERSION"),
        title = esc(&title),
        style = STYLE,
        head = SCRIPT_HEAD,
        charts = charts,
        body = body,
        script = SCRIPT_BODY,
    );
    s
}

fn render_body(
    batch: &BatchInfo,
    totals: &Totals,
    database: &str,
    agg: &Aggregate,
    charts: &mut usize,
) -> String {
    let mut s = String::new();
    header(&mut s, batch, database, agg);
    counts(&mut s, batch, totals, agg);
    catalog_rows(&mut s, totals, agg);
    failures_by_type(&mut s, totals, charts);
    durations(&mut s, agg, charts);
    throughput(&mut s, agg, charts);
    slowest(&mut s, agg);
    failed_files(&mut s, totals, agg);
    s
}

fn header(s: &mut String, batch: &BatchInfo, database: &str, agg: &Aggregate) {
    let time = batch
        .processing_time_seconds
        .map_or("still running".to_owned(), seconds);
    // A completed batch with failed files (or rejected rows) is not all green: the badge says
    // how many failed, in the colour of something to look at.
    let (class, text) = match (batch.failed, batch.rows_rejected) {
        (0, 0) => (esc(&batch.status), esc(&batch.status)),
        (failed, rejected) if batch.status == "completed" => {
            let mut text = format!("completed, {failed} failed");
            if rejected > 0 {
                text.push_str(&format!(", {rejected} rows rejected"));
            }
            ("partial".to_owned(), text)
        }
        _ => (esc(&batch.status), esc(&batch.status)),
    };
    let _ = write!(
        s,
        r#"<header><h1>Batch {id} <span class="badge {class}" id="batch-status">{text}</span></h1>"#,
        id = batch.batch_id,
    );
    s.push_str("<dl>");
    let mut row = |k: &str, v: &str| {
        let _ = write!(s, "<dt>{k}</dt><dd>{}</dd>", esc(v));
    };
    row("database", database);
    row("inputs", &batch.inputs.join(" "));
    row("started", &batch.started_at);
    row("finished", batch.finished_at.as_deref().unwrap_or("-"));
    row("duration", &time);
    row("workers", &batch.workers.to_string());
    row("size", &bytes(agg.bytes));
    row(
        "worker time",
        &format!("{} reading and parsing", ms(agg.parse_ms)),
    );
    s.push_str("</dl></header>\n");
}

fn counts(s: &mut String, batch: &BatchInfo, totals: &Totals, agg: &Aggregate) {
    s.push_str(r#"<section id="counts"><h2>Files</h2><div class="cards">"#);
    let _ = write!(
        s,
        r#"<div class="card" data-status="files"><span class="n">{}</span>files</div>"#,
        count(totals.files)
    );
    for st in Status::ALL {
        let n = totals.by_status.get(st.as_str()).copied().unwrap_or(0);
        let _ = write!(
            s,
            r#"<div class="card {st}" data-status="{st}"><span class="n">{}</span>{st}</div>"#,
            count(n),
            st = st.as_str()
        );
    }
    s.push_str("</div>\n");
    if totals.files != batch.files {
        let _ = write!(
            s,
            r#"<p class="note">The batch row counts {} files; the ledger now holds {} (the batch is still running, or was resumed).</p>"#,
            count(batch.files),
            count(totals.files)
        );
    }
    if !totals.by_conflict.is_empty() {
        let list: Vec<String> = totals
            .by_conflict
            .iter()
            .map(|(c, n)| format!("{} {}", count(*n), esc(c)))
            .collect();
        let _ = write!(
            s,
            r#"<p class="note">Stored copies met: {} (see <code>--on-conflict</code>).</p>"#,
            list.join(", ")
        );
    }
    if !agg.by_kind.is_empty() {
        s.push_str(r#"<table id="kinds"><thead><tr><th>kind</th>"#);
        for st in Status::ALL {
            let _ = write!(s, r#"<th class="n">{}</th>"#, st.as_str());
        }
        s.push_str(r#"<th class="n">files</th></tr></thead><tbody>"#);
        for (kind, by) in &agg.by_kind {
            let _ = write!(s, "<tr><td>{}</td>", esc(kind));
            for n in by {
                let _ = write!(s, r#"<td class="n">{}</td>"#, count(*n));
            }
            let _ = write!(s, r#"<td class="n">{}</td></tr>"#, count(by.iter().sum()));
        }
        s.push_str("</tbody></table>");
    }
    s.push_str("</section>\n");
}

fn catalog_rows(s: &mut String, totals: &Totals, agg: &Aggregate) {
    let r = &totals.rows;
    if agg.catalogs == 0 && r.rows + r.rows_rejected == 0 {
        return;
    }
    let _ = write!(
        s,
        r#"<section id="catalog"><h2>Catalog rows</h2><p>{} catalog(s) imported.</p><table><tbody>"#,
        count(agg.catalogs)
    );
    for (name, n) in [
        ("rows", r.rows + r.rows_rejected),
        ("created", r.rows_created),
        ("updated", r.rows_updated),
        ("unchanged", r.rows_unchanged),
        ("duplicate in file", r.rows_duplicate_in_file),
        ("rejected", r.rows_rejected),
    ] {
        let _ = write!(
            s,
            r#"<tr data-rows="{name}"><td>{name}</td><td class="n">{}</td></tr>"#,
            count(n)
        );
    }
    s.push_str("</tbody></table>");
    if !agg.rejected_rows.is_empty() {
        s.push_str(
            r#"<h2 class="sub">Rows rejected or replaced, by error type</h2><table><tbody>"#,
        );
        for (t, n) in &agg.rejected_rows {
            let _ = write!(
                s,
                r#"<tr><td class="type">{}</td><td class="n">{}</td></tr>"#,
                esc(t),
                count(*n)
            );
        }
        s.push_str(r#"</tbody></table><p class="note">Every row is in the <code>rejected_rows</code> table; <code>batchimp report --json</code> lists the first 1,000 of each file.</p>"#);
    }
    s.push_str("</section>\n");
}

fn failures_by_type(s: &mut String, totals: &Totals, charts: &mut usize) {
    s.push_str(r#"<section id="failures-by-type"><h2>Failures by error type</h2>"#);
    if totals.by_error_type.is_empty() {
        s.push_str(r#"<p class="muted">No file failed.</p>"#);
    } else {
        let mut rows: Vec<(String, u64)> = totals
            .by_error_type
            .iter()
            .map(|(t, n)| (t.clone(), *n))
            .collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        row_chart(s, "chart-failures", "Failed files by error type", &rows);
        *charts += 1;
    }
    s.push_str("</section>\n");
}

fn durations(s: &mut String, agg: &Aggregate, charts: &mut usize) {
    s.push_str(r#"<section id="durations"><h2>Read and parse time per file</h2>"#);
    let used: Vec<usize> = (0..DURATION_BINS)
        .filter(|&i| agg.durations[i] > 0)
        .collect();
    let (Some(&lo), Some(&hi)) = (used.first(), used.last()) else {
        s.push_str(r#"<p class="muted">No files.</p></section>"#);
        return;
    };
    let bars: Vec<Column> = (lo..=hi)
        .map(|i| {
            let n = agg.durations[i];
            let range = match i {
                0 => format!("under {}", edge(DURATION_EDGES_MS[0])),
                _ if i == DURATION_BINS - 1 => {
                    format!("{} or more", edge(DURATION_EDGES_MS[i - 1]))
                }
                _ => format!(
                    "{} to {}",
                    edge(DURATION_EDGES_MS[i - 1]),
                    edge(DURATION_EDGES_MS[i])
                ),
            };
            Column {
                value: n,
                label: match i {
                    0 => format!("<{}", edge(DURATION_EDGES_MS[0])),
                    _ => edge(DURATION_EDGES_MS[i - 1]),
                },
                title: format!("{range}: {} files", count(n)),
            }
        })
        .collect();
    column_chart(
        s,
        "chart-durations",
        "Files by read and parse time",
        &bars,
        false,
    );
    *charts += 1;
    s.push_str(r#"<p class="note">Files per time bin, logarithmic: a bar counts the files from its label up to the next label. The time is a worker's, reading and parsing; writing is the writer's.</p></section>"#);
    s.push('\n');
}

fn throughput(s: &mut String, agg: &Aggregate, charts: &mut usize) {
    s.push_str(r#"<section id="throughput"><h2>Throughput</h2>"#);
    let t = &agg.throughput;
    match t.series() {
        None => s.push_str(
            r#"<p class="muted">No file has a recording time (ledgers written before batchimp kept <code>recorded_at</code>).</p>"#,
        ),
        Some(series) => {
            let n = series.counts.len();
            let bars: Vec<Column> = series
                .counts
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let from = series.start + i as i64 * series.width;
                    Column {
                        value: v,
                        label: if i == 0 {
                            instant(from)
                        } else if i == n - 1 {
                            instant(from + series.width)
                        } else {
                            String::new()
                        },
                        title: format!("{}: {} files", instant(from), count(v)),
                    }
                })
                .collect();
            let _ = write!(
                s,
                r#"<p>Files recorded by the writer per {}.</p>"#,
                width(series.width)
            );
            column_chart(s, "chart-throughput", "Files recorded over time", &bars, true);
            *charts += 1;
            let (first, last) = (t.first.unwrap_or(0), t.last.unwrap_or(0));
            let recorded = agg.files - t.missing;
            let span = (last - first) as f64 / 1000.0;
            let rate = if span > 0.0 {
                format!("{:.1} files/s", recorded as f64 / span)
            } else {
                "all at once".to_owned()
            };
            let peak = series.counts.iter().max().copied().unwrap_or(0);
            let _ = write!(
                s,
                r#"<p class="note">{} files from {} to {} ({}): {rate}; peak {} per {}.</p>"#,
                count(recorded),
                instant(first),
                instant(last),
                seconds(span),
                count(peak),
                width(series.width)
            );
        }
    }
    if t.missing > 0 {
        let _ = write!(
            s,
            r#"<p class="note" id="throughput-missing">{} file(s) without a recording time (ledger rows older than <code>recorded_at</code>) are left out.</p>"#,
            count(t.missing)
        );
    }
    s.push_str("</section>\n");
}

fn slowest(s: &mut String, agg: &Aggregate) {
    let mut slow = agg.slowest.clone();
    super::keep_slowest(&mut slow, SHOW_SLOWEST, slow_time);
    let _ = write!(
        s,
        r#"<section id="slowest"><h2>Slowest files</h2><table><thead><tr><th class="n">time</th><th>kind</th><th>status</th><th>path</th></tr></thead><tbody>"#
    );
    for e in slow {
        let _ = write!(
            s,
            r#"<tr><td class="n">{}</td><td>{}</td><td>{}</td><td class="path">{}</td></tr>"#,
            ms(e.duration_ms),
            esc(e.kind.as_deref().unwrap_or("-")),
            esc(&e.status),
            esc(&e.path)
        );
    }
    s.push_str("</tbody></table></section>\n");
}

fn failed_files(s: &mut String, totals: &Totals, agg: &Aggregate) {
    s.push_str(r#"<section id="failed"><h2>Failed files</h2>"#);
    if agg.failed.is_empty() {
        s.push_str(r#"<p class="muted">No file failed.</p></section>"#);
        s.push('\n');
        return;
    }
    let types: BTreeSet<&str> = totals
        .by_error_type
        .keys()
        .map(String::as_str)
        .chain(agg.failed.iter().map(|f| f.error_type.as_str()))
        .collect();
    s.push_str(concat!(
        r#"<div class="controls"><input id="failed-filter" type="search" placeholder="Filter by path or message" aria-label="Filter by path or message">"#,
        r#"<select id="failed-type" aria-label="Error type"><option value="">every error type</option>"#
    ));
    for t in types {
        let _ = write!(s, r#"<option value="{0}">{0}</option>"#, esc(t));
    }
    let _ = write!(
        s,
        r#"</select><span class="muted"><span id="failed-shown">{}</span> of {} shown</span></div>"#,
        count(agg.failed.len() as u64),
        count(agg.failed.len() as u64)
    );
    let _ = write!(
        s,
        r#"<div class="scroll"><table id="failed-table" data-shown="{}"><thead><tr><th>error type</th><th>path</th><th>message</th></tr></thead><tbody>"#,
        agg.failed.len()
    );
    for f in &agg.failed {
        // The message names the file first; the path has its own column.
        let msg = f.error.as_deref().unwrap_or("");
        let msg = msg
            .strip_prefix(f.path.as_str())
            .and_then(|m| m.strip_prefix(": "))
            .unwrap_or(msg);
        let cut: String = msg.chars().take(MAX_MESSAGE).collect();
        let more = if cut.len() < msg.len() { "…" } else { "" };
        let _ = write!(
            s,
            r#"<tr data-type="{t}"><td class="type">{t}</td><td class="path">{}</td><td class="msg">{}{more}</td></tr>"#,
            esc(&f.path),
            esc(&cut),
            t = esc(&f.error_type),
        );
    }
    s.push_str("</tbody></table></div>");
    let rest = agg.failed_total - agg.failed.len() as u64;
    if rest > 0 {
        let _ = write!(
            s,
            r#"<p class="note" id="failed-more">And {} more; <code>batchimp report --json</code> has them all.</p>"#,
            count(rest)
        );
    }
    s.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{RejectedRow, RowCounts};

    fn entry(path: &str, status: Status, ms: f64, at: Option<i64>) -> FileEntry {
        let failed = status == Status::Failed;
        FileEntry {
            path: path.into(),
            kind: Some("nfe".into()),
            status: status.as_str().into(),
            error_type: failed.then(|| "xml_truncated".into()),
            error: failed.then(|| format!("{path}: XML ends early")),
            duplicate: None,
            duplicate_of: None,
            conflict: None,
            warning: None,
            duration_ms: ms,
            size: 100,
            sha256: None,
            key: None,
            keys: Vec::new(),
            retries: 0,
            rows: None,
            rejected_rows: Vec::new(),
            rejected_rows_truncated: false,
            rejected_rows_by_error_type: BTreeMap::new(),
            decimal_separator: None,
            recorded_at: at,
        }
    }

    fn batch(files: u64) -> BatchInfo {
        BatchInfo {
            batch_id: 7,
            status: "completed".into(),
            inputs: vec!["in/".into()],
            workers: 2,
            started_at: "2026-01-01T00:00:00.000Z".into(),
            finished_at: Some("2026-01-01T00:00:01.000Z".into()),
            processing_time_seconds: Some(1.0),
            run_started_at: None,
            earlier_seconds: 0.0,
            active_at: None,
            files,
            imported: 0,
            duplicate: 0,
            failed: 0,
            unsupported: 0,
            rows_rejected: 0,
            seen: 0,
            files_found: files,
            files_total: Some(files),
            files_done: 0,
            pending: None,
            progress_percentage: None,
            files_per_second: None,
            eta_seconds: None,
            notification: None,
            group: None,
            options: String::new(),
            cwd: None,
            report: None,
        }
    }

    fn totals_of(entries: &[FileEntry]) -> Totals {
        let mut t = Totals::new();
        for e in entries {
            t.add(
                (e.status.clone(), e.error_type.clone(), None),
                1,
                e.rows.unwrap_or_default(),
            );
        }
        t
    }

    fn page(entries: Vec<FileEntry>) -> String {
        let totals = totals_of(&entries);
        let mut agg = Aggregate::default();
        let n = entries.len() as u64;
        for e in entries {
            agg.add(e);
        }
        render(&batch(n), &totals, "test.db", &agg)
    }

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
    }

    #[test]
    fn ledger_strings_are_escaped_everywhere() {
        let mut e = entry(
            "in/<script>alert(1)</script>.xml",
            Status::Failed,
            1.0,
            None,
        );
        e.error_type = Some("\"><b>type".into());
        e.kind = Some("<i>kind".into());
        let html = page(vec![e]);
        for raw in ["<script>alert", "\"><b>type", "<i>kind"] {
            assert!(!html.contains(raw), "{raw} unescaped");
        }
        assert!(html.contains("in/&lt;script&gt;alert(1)&lt;/script&gt;.xml"));
        assert!(html.contains("&quot;&gt;&lt;b&gt;type"));
    }

    #[test]
    fn duration_bins_are_logarithmic_with_open_ends() {
        assert_eq!(duration_bin(0.0), 0);
        assert_eq!(duration_bin(0.009), 0);
        assert_eq!(duration_bin(0.01), 1, "an edge goes in the bin above");
        assert_eq!(duration_bin(0.7), 6);
        assert_eq!(duration_bin(1.0), 7);
        assert_eq!(duration_bin(1e9), DURATION_BINS - 1);
        assert_eq!(edge(0.05), "50µs");
        assert_eq!(edge(2.0), "2ms");
        assert_eq!(edge(5e4), "50s");
    }

    #[test]
    fn throughput_coarsens_and_stays_small() {
        // A million files over ten hours, one every 36 ms, streamed out of time order (by path).
        let mut t = Throughput::default();
        let start = 1_700_000_000_000_i64;
        for i in 0..1_000_000_i64 {
            let j = (i * 7_919) % 1_000_000;
            t.add(Some(start + j * 36));
        }
        assert!(t.buckets.len() <= THROUGHPUT_KEPT, "{}", t.buckets.len());
        let s = t.series().unwrap();
        assert!(s.counts.len() <= THROUGHPUT_BARS, "{}", s.counts.len());
        assert_eq!(s.counts.iter().sum::<u64>(), 1_000_000, "no file lost");
        assert_eq!(s.width, 600_000, "10 h in 10 min bars");
        assert!(s.start <= start && s.start + s.width > start);
    }

    #[test]
    fn throughput_leaves_out_files_without_a_time() {
        let html = page(vec![
            entry("a.xml", Status::Imported, 1.0, None),
            entry("b.xml", Status::Imported, 1.0, None),
        ]);
        assert!(!html.contains("id=\"chart-throughput\""));
        assert!(html.contains("No file has a recording time"));
        let html = page(vec![
            entry("a.xml", Status::Imported, 1.0, Some(1_000)),
            entry("b.xml", Status::Imported, 1.0, Some(1_250)),
            entry("c.xml", Status::Imported, 1.0, None),
        ]);
        assert!(
            html.contains("id=\"chart-throughput\" data-bars=\"26\""),
            "250 ms in 10 ms bars"
        );
        assert!(html.contains("1 file(s) without a recording time"));
    }

    #[test]
    fn failures_table_is_capped_and_says_how_many_more() {
        let entries: Vec<FileEntry> = (0..SHOW_FAILED + 345)
            .map(|i| entry(&format!("f{i:05}.xml"), Status::Failed, 0.5, Some(i as i64)))
            .collect();
        let html = page(entries);
        assert_eq!(
            html.matches("<tr data-type=\"xml_truncated\">").count(),
            SHOW_FAILED
        );
        assert!(html.contains("And 345 more; <code>batchimp report --json</code> has them all."));
        assert!(html.contains(r#"data-status="failed"><span class="n">2,345</span>"#));
        assert!(html.contains(r#"data-key="xml_truncated" data-count="2345""#));
    }

    #[test]
    fn slowest_are_the_slowest() {
        let entries: Vec<FileEntry> = (0..500)
            .map(|i| entry(&format!("f{i:03}.xml"), Status::Imported, i as f64, None))
            .collect();
        let mut agg = Aggregate::default();
        for e in entries {
            agg.add(e);
        }
        let mut s = String::new();
        slowest(&mut s, &agg);
        assert_eq!(s.matches("<tr><td class=\"n\">").count(), SHOW_SLOWEST);
        assert!(s.contains("499.00 ms") && s.contains("480.00 ms") && !s.contains("479.00 ms"));
    }

    #[test]
    fn catalog_rows_show_when_there_are_catalogs() {
        let mut e = entry("p.csv", Status::Imported, 1.0, None);
        e.kind = Some("catalog".into());
        e.rows = Some(RowCounts {
            rows: 4,
            rows_rejected: 3,
            rows_created: 4,
            ..RowCounts::default()
        });
        e.rejected_rows = vec![RejectedRow {
            line: 6,
            error_type: "catalog_missing_sku".into(),
            error: "p.csv: line 6: sku is empty".into(),
        }];
        e.rejected_rows_by_error_type = BTreeMap::from([("catalog_missing_sku".into(), 3)]);
        let html = page(vec![e]);
        assert!(html.contains(r#"<tr data-rows="created"><td>created</td><td class="n">4</td>"#));
        assert!(html.contains(r#"<tr data-rows="rejected"><td>rejected</td><td class="n">3</td>"#));
        assert!(html.contains("catalog_missing_sku"));
        let html = page(vec![entry("a.xml", Status::Imported, 1.0, None)]);
        assert!(!html.contains("id=\"catalog\""));
    }

    #[test]
    fn the_page_loads_nothing_from_elsewhere() {
        let html = page(vec![entry("a.xml", Status::Failed, 1.0, Some(5))]);
        assert!(html.contains(&format!(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
            csp()
        )));
        assert!(!csp().contains("script-src 'unsafe-inline'"));
        for needle in ["http://", "https://", "src=", "href=", "@import", "url("] {
            assert!(!html.contains(needle), "{needle}");
        }
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(width(600_000), "10 min");
        assert_eq!(width(86_400_000), "1 day");
        assert_eq!(width(10), "10 ms");
        assert_eq!(seconds(75.0), "1 min 15 s");
        assert_eq!(bytes(1_500), "1.5 KB");
    }
}
