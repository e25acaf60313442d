//! The batch report: JSON for machines (`batchimp report --json`, written at the end of every
//! run) and a human summary. Both are built from the ledger, so a report printed a month later is
//! the same as the one written at the end of the run.
//!
//! The JSON is streamed: one line per file, sorted by path, so a million-file report needs no
//! memory, diffs cleanly between runs, and greps well. The web page (`--html`) is in [`html`].

pub mod html;

use crate::group::GroupReport;
use crate::ledger::sql::Conn;
use crate::ledger::{BatchInfo, FileEntry, LedgerStats, REJECTED_SAMPLE, RejectedRow, RowCounts};
use crate::printable::escape;
use anyhow::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

fn j<T: Serialize + ?Sized>(v: &T) -> serde_json::Result<String> {
    serde_json::to_string(v)
}

/// The full JSON report.
pub fn write_json(
    out: &mut dyn Write,
    sink: &mut dyn Conn,
    batch: &BatchInfo,
    group: Option<&GroupReport>,
) -> Result<()> {
    let mut totals = sink.ledger().totals(batch.batch_id)?;
    totals.seen = batch.seen;
    writeln!(out, "{{")?;
    writeln!(out, "  \"batch_id\": {},", batch.batch_id)?;
    if let Some(group) = group {
        writeln!(out, "  \"group\": {},", j(group)?)?;
    }
    writeln!(out, "  \"status\": {},", j(&batch.status)?)?;
    writeln!(out, "  \"inputs\": {},", j(&batch.inputs)?)?;
    writeln!(out, "  \"workers\": {},", batch.workers)?;
    writeln!(out, "  \"started_at\": {},", j(&batch.started_at)?)?;
    writeln!(out, "  \"finished_at\": {},", j(&batch.finished_at)?)?;
    writeln!(
        out,
        "  \"processing_time_seconds\": {},",
        j(&batch.processing_time_seconds)?
    )?;
    // Where a batch still running has got (a monitoring job's status page).
    writeln!(out, "  \"files_done\": {},", batch.files)?;
    writeln!(out, "  \"files_found\": {},", batch.files_found)?;
    writeln!(out, "  \"files_total\": {},", j(&batch.files_total)?)?;
    writeln!(out, "  \"pending\": {},", j(&batch.pending)?)?;
    writeln!(
        out,
        "  \"progress_percentage\": {},",
        j(&batch.progress_percentage)?
    )?;
    writeln!(
        out,
        "  \"files_per_second\": {},",
        j(&batch.files_per_second)?
    )?;
    writeln!(out, "  \"eta_seconds\": {},", j(&batch.eta_seconds)?)?;
    writeln!(out, "  \"notification\": {},", j(&batch.notification)?)?;
    writeln!(out, "  \"totals\": {},", j(&totals)?)?;
    write!(out, "  \"files\": [")?;
    let mut first = true;
    // Each entry is serialized into one buffer and written whole: serde_json writes a line in
    // dozens of small pieces, each a call through `dyn Write` when made to `out`.
    let mut line = Vec::with_capacity(1024);
    sink.ledger().for_each_file(batch.batch_id, &mut |entry| {
        line.clear();
        line.extend_from_slice(if first { b"\n    " } else { b",\n    " });
        first = false;
        serde_json::to_writer(&mut line, &entry)?;
        out.write_all(&line)?;
        Ok(())
    })?;
    writeln!(out, "{}]", if first { "" } else { "\n  " })?;
    writeln!(out, "}}")?;
    out.flush()?;
    Ok(())
}

/// A group's part of `batchimp report --group`: its chunks and what each member did.
pub fn write_group(out: &mut dyn Write, g: &GroupReport) -> Result<()> {
    writeln!(
        out,
        "\ngroup {}: {}, {} of {} chunks committed{}",
        escape(&g.name),
        if g.finished {
            "finished"
        } else {
            "in progress"
        },
        g.chunks_committed,
        g.chunks,
        match g.chunks_taken_over {
            0 => String::new(),
            n => format!(", {n} taken over from members that were gone"),
        }
    )?;
    for m in &g.members {
        writeln!(
            out,
            "  {}: {} files in {} chunks ({} imported, {} duplicate, {} failed, {} unsupported), {:.0} files/s",
            m.member,
            m.files,
            m.chunks,
            m.imported,
            m.duplicate,
            m.failed,
            m.unsupported,
            m.files_per_second
        )?;
    }
    Ok(())
}

/// How many failures per error type and slow files the human summary shows.
const SHOW_FAILURES: usize = 5;
const SHOW_SLOWEST: usize = 5;
/// Files of rows (catalogs, SAT metadata) whose row counts the text report lists.
const SHOW_CATALOGS: usize = 20;

/// The human summary of `batchimp report`.
pub fn write_summary(out: &mut dyn Write, sink: &mut dyn Conn, batch: &BatchInfo) -> Result<()> {
    let time = batch
        .processing_time_seconds
        .map_or("still running".to_owned(), |s| format!("{s:.2} s"));
    writeln!(out, "batch {}: {} ({time})", batch.batch_id, batch.status)?;
    writeln!(out, "  started  {}", batch.started_at)?;
    if let Some(f) = &batch.finished_at {
        writeln!(out, "  finished {f}")?;
    }
    writeln!(out, "  inputs   {}", escape(&batch.inputs.join(" ")))?;
    writeln!(out, "  workers  {}", batch.workers)?;
    if let Some(n) = &batch.notification {
        writeln!(out, "  webhook  {}", escape(&n.describe()))?;
    }
    writeln!(
        out,
        "  files    {}: {} imported, {} duplicate, {} failed, {} unsupported",
        batch.files, batch.imported, batch.duplicate, batch.failed, batch.unsupported
    )?;
    if batch.seen > 0 {
        writeln!(
            out,
            "  seen     {} (recorded before, unchanged: not read again)",
            batch.seen
        )?;
    }
    if batch.finished_at.is_none() {
        writeln!(out, "  progress {}", progress_line(batch))?;
    }
    let totals = sink.ledger().totals(batch.batch_id)?;
    let pdfs = totals.pdf_linked + totals.pdf_unlinked;
    if pdfs > 0 {
        writeln!(
            out,
            "  pdfs     {pdfs}: {} linked to their XML, {} without it",
            totals.pdf_linked, totals.pdf_unlinked
        )?;
    }
    if !totals.by_conflict.is_empty() {
        let list: Vec<String> = totals
            .by_conflict
            .iter()
            .map(|(c, n)| format!("{n} {c}"))
            .collect();
        writeln!(
            out,
            "  stored copies met: {} (see --on-conflict)",
            list.join(", ")
        )?;
    }
    let mut failures: BTreeMap<String, Vec<FileEntry>> = BTreeMap::new();
    let mut slowest: Vec<FileEntry> = Vec::new();
    let mut rejected: Vec<RejectedRow> = Vec::new();
    let mut catalogs: Vec<(String, RowCounts)> = Vec::new();
    let mut more_catalogs = 0;
    sink.ledger().for_each_file(batch.batch_id, &mut |mut e| {
        let room = SHOW_FAILURES.saturating_sub(rejected.len());
        rejected.extend(e.rejected_rows.drain(..).take(room));
        if let Some(rows) = e.rows {
            if catalogs.len() < SHOW_CATALOGS {
                catalogs.push((e.path.clone(), rows));
            } else {
                more_catalogs += 1;
            }
        }
        if let Some(t) = &e.error_type {
            let list = failures.entry(t.clone()).or_default();
            if list.len() < SHOW_FAILURES {
                list.push(e.clone());
            }
        }
        slowest.push(e);
        if slowest.len() > SHOW_SLOWEST * 8 {
            keep_slowest(&mut slowest, SHOW_SLOWEST, entry_time);
        }
        Ok(())
    })?;
    if !failures.is_empty() {
        writeln!(out, "\nfailures by error type:")?;
        for (t, list) in &failures {
            // Counted by the same ledger; a run still writing may have added files in between.
            let count = totals
                .by_error_type
                .get(t)
                .map_or(0, |&n| n as usize)
                .max(list.len());
            writeln!(out, "  {t} ({count})")?;
            for e in list {
                writeln!(out, "    {}", escape(e.error.as_deref().unwrap_or(&e.path)))?;
            }
            let more = count - list.len();
            if more > 0 {
                writeln!(out, "    ... and {more} more")?;
            }
        }
    }
    if !catalogs.is_empty() {
        writeln!(
            out,
            "\nrows (catalogs, SAT metadata): {}",
            totals.rows.describe()
        )?;
        for (path, rows) in &catalogs {
            writeln!(out, "  {}: {}", escape(path), rows.describe())?;
        }
        if more_catalogs > 0 {
            writeln!(out, "  ... and {more_catalogs} more")?;
        }
    }
    let listed = totals.rows.listed();
    if listed > 0 {
        writeln!(
            out,
            "\nrows rejected: {}, replaced by a later row of their file: {}",
            totals.rows.rows_rejected, totals.rows.rows_duplicate_in_file
        )?;
        for r in &rejected {
            writeln!(out, "    {}", escape(&r.error))?;
        }
        let more = listed.saturating_sub(rejected.len() as u64);
        if more > 0 {
            writeln!(
                out,
                "    ... and {more} more (the rejected_rows table; batchimp report --json lists the first {REJECTED_SAMPLE} of each file)"
            )?;
        }
    }
    keep_slowest(&mut slowest, SHOW_SLOWEST, entry_time);
    if !slowest.is_empty() {
        writeln!(out, "\nslowest files:")?;
        for e in &slowest {
            writeln!(out, "  {:>9.2} ms  {}", e.duration_ms, escape(&e.path))?;
        }
    }
    Ok(())
}

/// Keep the `n` slowest of `v` by `key` (duration in ms, path): slowest first, ties by path.
fn keep_slowest<T>(v: &mut Vec<T>, n: usize, key: fn(&T) -> (f64, &str)) {
    v.sort_by(|a, b| {
        let (a, b) = (key(a), key(b));
        b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1))
    });
    v.truncate(n);
}

/// A file's duration and path, for [`keep_slowest`].
fn entry_time(e: &FileEntry) -> (f64, &str) {
    (e.duration_ms, &e.path)
}

/// `batchimp list`: one line per batch.
/// A running batch's progress: `1,234 of 5,000 files (24.7%), 512 files/s, ETA 7 s`, or while
/// the walk is still counting, `1,234 done of 3,000 found so far, 512 files/s`.
pub fn progress_line(b: &BatchInfo) -> String {
    let rate = b
        .files_per_second
        .map(|r| format!(", {r:.0} files/s"))
        .unwrap_or_default();
    match (b.files_total, b.progress_percentage) {
        (Some(total), Some(pct)) => {
            let eta = b
                .eta_seconds
                .map(|s| {
                    format!(
                        ", ETA {}",
                        humantime::format_duration(Duration::from_secs(s as u64))
                    )
                })
                .unwrap_or_default();
            format!("{} of {total} files ({pct:.1}%){rate}{eta}", b.files)
        }
        _ => format!(
            "{} done of {} found so far (still counting){rate}",
            b.files,
            b.files_found.max(b.files)
        ),
    }
}

pub fn write_list(out: &mut dyn Write, batches: &[BatchInfo]) -> Result<()> {
    if batches.is_empty() {
        writeln!(out, "no batches yet")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>6}  {:<9}  {:<24}  {:>8}  {:>8}  {:>9}  {:>6}  {:>11}  inputs",
        "batch", "status", "started", "files", "imported", "duplicate", "failed", "unsupported"
    )?;
    for b in batches {
        writeln!(
            out,
            "{:>6}  {:<9}  {:<24}  {:>8}  {:>8}  {:>9}  {:>6}  {:>11}  {}",
            b.batch_id,
            b.status,
            b.started_at,
            match (b.finished_at.is_none(), b.progress_percentage) {
                (true, Some(pct)) => format!("{} ({pct:.0}%)", b.files),
                _ => b.files.to_string(),
            },
            b.imported,
            b.duplicate,
            b.failed,
            b.unsupported,
            escape(&match &b.group {
                Some(g) => format!("{} (group {g})", b.inputs.join(" ")),
                None => b.inputs.join(" "),
            })
        )?;
    }
    Ok(())
}

/// `batchimp stats --json`: totals across the batches started since a time, with each batch's
/// speed. A stable object: fields are only ever added.
#[derive(Debug, Serialize)]
pub struct StatsReport {
    /// The `--since` cutoff (RFC 3339, UTC); `None`: every batch.
    pub since: Option<String>,
    /// How many batches the totals cover.
    pub batches: u64,
    #[serde(flatten)]
    pub stats: LedgerStats,
    /// Time spent by the batches that ended, added up.
    pub processing_time_seconds: f64,
    /// Their files over that time; `None` when no batch has ended.
    pub files_per_second: Option<f64>,
    /// Every batch, newest first.
    pub per_batch: Vec<BatchSpeed>,
    /// The archive of originals, whole (whatever `--since` says).
    pub archive: ArchiveStats,
}

/// The archive of originals in `batchimp stats`: its size, and what compression saves.
#[derive(Debug, Serialize)]
pub struct ArchiveStats {
    /// Originals stored (distinct files, by SHA-256).
    pub originals: u64,
    /// Their bytes as stored, compressed, with the parts they share (see [`crate::archive`]).
    pub stored_bytes: u64,
    /// Their bytes before compression.
    pub raw_bytes: u64,
    /// Raw bytes over stored bytes (4.9: a fifth of the space); `None` when nothing is
    /// stored.
    pub ratio: Option<f64>,
}

impl ArchiveStats {
    pub fn new(originals: u64, stored_bytes: u64, raw_bytes: u64) -> ArchiveStats {
        ArchiveStats {
            originals,
            stored_bytes,
            raw_bytes,
            ratio: (stored_bytes > 0).then(|| raw_bytes as f64 / stored_bytes as f64),
        }
    }
}

/// One batch's speed in `batchimp stats`.
#[derive(Debug, Serialize)]
pub struct BatchSpeed {
    pub batch_id: i64,
    pub status: String,
    pub started_at: String,
    pub files: u64,
    /// `None` while it runs.
    pub processing_time_seconds: Option<f64>,
    /// Files over processing time; `None` while it runs (or when it took no measurable time).
    pub files_per_second: Option<f64>,
}

impl StatsReport {
    /// The report of `stats` over `batches` (those it counted, newest first).
    pub fn new(
        since: Option<String>,
        stats: LedgerStats,
        batches: &[BatchInfo],
        archive: ArchiveStats,
    ) -> StatsReport {
        let per_batch: Vec<BatchSpeed> = batches
            .iter()
            .map(|b| BatchSpeed {
                batch_id: b.batch_id,
                status: b.status.clone(),
                started_at: b.started_at.clone(),
                files: b.files,
                processing_time_seconds: b.processing_time_seconds,
                files_per_second: b
                    .processing_time_seconds
                    .filter(|&s| s > 0.0)
                    .map(|s| b.files as f64 / s),
            })
            .collect();
        let ended = per_batch
            .iter()
            .filter(|b| b.processing_time_seconds.is_some());
        let (files, seconds) = ended.fold((0u64, 0f64), |(f, s), b| {
            (f + b.files, s + b.processing_time_seconds.unwrap_or(0.0))
        });
        StatsReport {
            since,
            batches: batches.len() as u64,
            stats,
            processing_time_seconds: seconds,
            files_per_second: (seconds > 0.0).then(|| files as f64 / seconds),
            per_batch,
            archive,
        }
    }
}

/// How many batches the text of `batchimp stats` shows, the newest.
const SHOW_BATCHES: usize = 20;

/// The human text of `batchimp stats`: aligned plain text.
pub fn write_stats(out: &mut dyn Write, report: &StatsReport) -> Result<()> {
    let totals = &report.stats.totals;
    let scope = match &report.since {
        Some(t) => format!("started since {t}"),
        None => "all".to_owned(),
    };
    let rate = report
        .files_per_second
        .map_or(String::new(), |r| format!(", {r:.1} files/s"));
    writeln!(out, "batches  {} ({scope})", thousands(report.batches))?;
    writeln!(
        out,
        "files    {} ({:.2} s of processing{rate})",
        thousands(totals.files),
        report.processing_time_seconds
    )?;
    // Statuses in their own order (imported, duplicate, failed, unsupported), not by name.
    let statuses: Vec<(&str, u64)> = crate::ledger::Status::ALL
        .iter()
        .map(|s| {
            (
                s.as_str(),
                totals.by_status.get(s.as_str()).copied().unwrap_or(0),
            )
        })
        .collect();
    write_counts(out, "by status", &statuses)?;
    if !report.stats.by_kind.is_empty() {
        let kinds: Vec<(&str, u64)> = report
            .stats
            .by_kind
            .iter()
            .map(|(k, n)| (k.as_str(), *n))
            .collect();
        write_counts(out, "by kind", &kinds)?;
    }
    let a = &report.archive;
    let ratio = a.ratio.map_or(String::new(), |r| format!(" ({r:.1}×)"));
    writeln!(
        out,
        "\narchive  {} originals, {} bytes stored for {} raw{ratio}",
        thousands(a.originals),
        thousands(a.stored_bytes),
        thousands(a.raw_bytes)
    )?;
    if totals.rows.rows + totals.rows.rows_rejected > 0 {
        writeln!(
            out,
            "\nrows (catalogs, SAT metadata): {}",
            totals.rows.describe()
        )?;
    }
    let reasons = &report.stats.failure_reasons;
    if !reasons.is_empty() {
        // Every error type (there are a few dozen at most), each with its latest file.
        writeln!(out, "\nfailures by error type, most frequent first")?;
        let width = reasons
            .iter()
            .map(|r| r.error_type.len())
            .max()
            .unwrap_or(0);
        let nwidth = reasons
            .iter()
            .map(|r| thousands(r.files).len())
            .max()
            .unwrap_or(0);
        for r in reasons {
            writeln!(
                out,
                "  {:<width$}  {:>nwidth$}  e.g. batch {}: {}",
                r.error_type,
                thousands(r.files),
                r.example.batch_id,
                escape(&r.example.path)
            )?;
            if let Some(e) = &r.example.error {
                writeln!(out, "  {:<width$}  {:>nwidth$}  {}", "", "", escape(e))?;
            }
        }
    }
    if !report.per_batch.is_empty() {
        writeln!(out, "\nfiles/s per batch")?;
        writeln!(
            out,
            "  {:>6}  {:<9}  {:<24}  {:>9}  {:>9}  {:>9}",
            "batch", "status", "started", "files", "seconds", "files/s"
        )?;
        for b in report.per_batch.iter().take(SHOW_BATCHES) {
            let seconds = b
                .processing_time_seconds
                .map_or("-".to_owned(), |s| format!("{s:.2}"));
            let rate = b
                .files_per_second
                .map_or("-".to_owned(), |r| format!("{r:.1}"));
            writeln!(
                out,
                "  {:>6}  {:<9}  {:<24}  {:>9}  {:>9}  {:>9}",
                b.batch_id,
                b.status,
                b.started_at,
                thousands(b.files),
                seconds,
                rate
            )?;
        }
        if report.per_batch.len() > SHOW_BATCHES {
            writeln!(
                out,
                "  ... and {} older batches (--json lists them all)",
                report.per_batch.len() - SHOW_BATCHES
            )?;
        }
    }
    Ok(())
}

/// A titled column of names and counts, aligned.
fn write_counts(out: &mut dyn Write, title: &str, counts: &[(&str, u64)]) -> Result<()> {
    writeln!(out, "\n{title}")?;
    let width = counts.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    let nwidth = counts
        .iter()
        .map(|(_, n)| thousands(*n).len())
        .max()
        .unwrap_or(0);
    for (name, n) in counts {
        writeln!(out, "  {name:<width$}  {:>nwidth$}", thousands(*n))?;
    }
    Ok(())
}

pub use crate::printable::counted;

/// `48210` as `48,210`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(48_210), "48,210");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
