//! The batch report: JSON for machines (`batchimp report --json`, written at the end of every
//! run) and a human summary. Both are built from the ledger, so a report printed a month later is
//! the same as the one written at the end of the run.
//!
//! The JSON is streamed: one line per file, sorted by path, so a million-file report needs no
//! memory, diffs cleanly between runs, and greps well. The web page (`--html`) is in [`html`].

pub mod html;

use crate::ledger::{BatchInfo, FileEntry, RejectedRow, RowCounts};
use crate::sink::Sink;
use anyhow::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

fn j<T: Serialize + ?Sized>(v: &T) -> serde_json::Result<String> {
    serde_json::to_string(v)
}

/// The full JSON report.
pub fn write_json(out: &mut dyn Write, sink: &mut dyn Sink, batch: &BatchInfo) -> Result<()> {
    let totals = sink.totals(batch.batch_id)?;
    writeln!(out, "{{")?;
    writeln!(out, "  \"batch_id\": {},", batch.batch_id)?;
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
    writeln!(out, "  \"totals\": {},", j(&totals)?)?;
    write!(out, "  \"files\": [")?;
    let mut first = true;
    sink.for_each_file(batch.batch_id, &mut |entry| {
        out.write_all(if first { b"\n    " } else { b",\n    " })?;
        first = false;
        serde_json::to_writer(&mut *out, &entry)?;
        Ok(())
    })?;
    writeln!(out, "{}]", if first { "" } else { "\n  " })?;
    writeln!(out, "}}")?;
    out.flush()?;
    Ok(())
}

/// How many failures per error type and slow files the human summary shows.
const SHOW_FAILURES: usize = 5;
const SHOW_SLOWEST: usize = 5;
/// Catalogs whose row counts the text report lists.
const SHOW_CATALOGS: usize = 20;

/// The human summary of `batchimp report`.
pub fn write_summary(out: &mut dyn Write, sink: &mut dyn Sink, batch: &BatchInfo) -> Result<()> {
    let time = batch
        .processing_time_seconds
        .map_or("still running".to_owned(), |s| format!("{s:.2} s"));
    writeln!(out, "batch {}: {} ({time})", batch.batch_id, batch.status)?;
    writeln!(out, "  started  {}", batch.started_at)?;
    if let Some(f) = &batch.finished_at {
        writeln!(out, "  finished {f}")?;
    }
    writeln!(out, "  inputs   {}", batch.inputs.join(" "))?;
    writeln!(out, "  workers  {}", batch.workers)?;
    writeln!(
        out,
        "  files    {}: {} imported, {} duplicate, {} failed, {} unsupported",
        batch.files, batch.imported, batch.duplicate, batch.failed, batch.unsupported
    )?;
    let totals = sink.totals(batch.batch_id)?;
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
    sink.for_each_file(batch.batch_id, &mut |mut e| {
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
            keep_slowest(&mut slowest);
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
                writeln!(out, "    {}", e.error.as_deref().unwrap_or(&e.path))?;
            }
            let more = count - list.len();
            if more > 0 {
                writeln!(out, "    ... and {more} more")?;
            }
        }
    }
    if !catalogs.is_empty() {
        writeln!(out, "\ncatalogs: {}", totals.rows.describe())?;
        for (path, rows) in &catalogs {
            writeln!(out, "  {path}: {}", rows.describe())?;
        }
        if more_catalogs > 0 {
            writeln!(out, "  ... and {more_catalogs} more")?;
        }
    }
    let listed = totals.rows.listed();
    if listed > 0 {
        writeln!(
            out,
            "\ncatalog rows rejected: {}, replaced by a later row of their file: {}",
            totals.rows.rows_rejected, totals.rows.rows_duplicate_in_file
        )?;
        for r in &rejected {
            writeln!(out, "    {}", r.error)?;
        }
        let more = listed.saturating_sub(rejected.len() as u64);
        if more > 0 {
            writeln!(
                out,
                "    ... and {more} more (batchimp report --json, or the rejected_rows table)"
            )?;
        }
    }
    keep_slowest(&mut slowest);
    if !slowest.is_empty() {
        writeln!(out, "\nslowest files:")?;
        for e in &slowest {
            writeln!(out, "  {:>9.2} ms  {}", e.duration_ms, e.path)?;
        }
    }
    Ok(())
}

fn keep_slowest(v: &mut Vec<FileEntry>) {
    v.sort_by(|a, b| {
        b.duration_ms
            .total_cmp(&a.duration_ms)
            .then_with(|| a.path.cmp(&b.path))
    });
    v.truncate(SHOW_SLOWEST);
}

/// `batchimp list`: one line per batch.
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
            b.files,
            b.imported,
            b.duplicate,
            b.failed,
            b.unsupported,
            b.inputs.join(" ")
        )?;
    }
    Ok(())
}
