//! Unit tests of the HTML report: escaping, the aggregates, and the page rendered from them.

use super::aggregate::{DURATION_BINS, THROUGHPUT_BARS, THROUGHPUT_KEPT, Throughput, duration_bin};
use super::render::slowest;
use super::text::{bytes, count, edge, seconds, width};
use super::*;
use crate::ledger::{FileEntry, RejectedRow, RowCounts, Status, Totals};
use std::collections::BTreeMap;

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
