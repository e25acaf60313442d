//! Every query of the ledger, written once over the [`Dialect`]: opening, reopening and
//! closing a batch, what a resume or retry redoes, a batch's row and files for the reports,
//! `list`, `stats` and `prune`. A database provides a [`Conn`]; `Ledger::of(conn)` reads and
//! writes its `batches`, `files` and `rejected_rows` through it.

use super::history::{self, PruneSql};
use super::sql::{Conn, Mode, Param, Query, Row, RowExt, Tx};
use super::{
    BatchFilter, BatchInfo, BatchStart, BatchStatus, FailureExample, FileEntry, LedgerStats,
};
use super::{Notification, Prune, PruneCandidate, Pruned, REJECTED_SAMPLE, RejectedRow};
use super::{ReportColumn, RowCounts, Status, Totals};
use crate::schema::Dialect;
use crate::source::{OriginSet, Recorded};
use anyhow::Result;
use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

/// The ledger of one database.
pub struct Ledger<'c> {
    conn: &'c mut dyn Conn,
    d: Dialect,
}

/// How many of a batch's files are read at a time when they are streamed.
const PAGE: i64 = 2000;

/// A timestamp column as batchimp prints it (RFC 3339 in UTC with milliseconds): SQLite stores
/// that text, PostgreSQL a `timestamptz`.
fn time_text(d: Dialect, column: &str) -> String {
    match d {
        Dialect::Sqlite => column.to_owned(),
        Dialect::Postgres => {
            format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
        }
    }
}

/// `origin` compared and sorted bytewise, as SQLite compares text (PostgreSQL's column has
/// that collation; a schema an older batchimp made may not).
fn origin_bytewise(d: Dialect) -> &'static str {
    match d {
        Dialect::Sqlite => "origin",
        Dialect::Postgres => "origin COLLATE \"C\"",
    }
}

/// The [`RowCounts`] in the six columns from `first`.
fn row_counts(r: &dyn Row, first: usize) -> Result<Option<RowCounts>> {
    let mut v = [None; 6];
    for (i, slot) in v.iter_mut().enumerate() {
        *slot = r.int(first + i)?;
    }
    Ok(RowCounts::from_values(v))
}

/// The columns of a batch's row [`batch_info`] reads, in its order.
fn batch_columns(d: Dialect) -> String {
    format!(
        "SELECT id, status, inputs, workers, {}, {}, processing_time_seconds, files,
            imported, duplicate, failed, unsupported, rows_rejected, options, cwd,
            files_found, files_total, notification, report, seen, {}, earlier_seconds, {}
         FROM batches",
        time_text(d, "started_at"),
        time_text(d, "finished_at"),
        time_text(d, "run_started_at"),
        time_text(d, "active_at")
    )
}

fn batch_info(r: &dyn Row) -> Result<BatchInfo> {
    let inputs = r.text_of(2)?;
    Ok(BatchInfo {
        batch_id: r.int_of(0)?,
        status: r.text_of(1)?,
        inputs: serde_json::from_str(&inputs).unwrap_or_else(|_| vec![inputs]),
        workers: r.count_of(3)?,
        started_at: r.text_of(4)?,
        finished_at: r.text(5)?,
        processing_time_seconds: r.real(6)?,
        files: r.count_of(7)?,
        imported: r.count_of(8)?,
        duplicate: r.count_of(9)?,
        failed: r.count_of(10)?,
        unsupported: r.count_of(11)?,
        rows_rejected: r.count_of(12)?,
        options: r.text(13)?.unwrap_or_default(),
        cwd: r.text(14)?,
        files_found: r.count_of(15)?,
        files_total: r.int(16)?.map(|n| n as u64),
        notification: Notification::from_column(r.text(17)?),
        report: r.text(18)?,
        seen: r.count_of(19)?,
        run_started_at: r.text(20)?,
        earlier_seconds: r.real(21)?.unwrap_or(0.0),
        active_at: r.text(22)?,
        files_done: 0,
        pending: None,
        progress_percentage: None,
        files_per_second: None,
        eta_seconds: None,
        group: None,
    }
    .with_progress(&crate::time::now_rfc3339()))
}

/// The columns of a file's row [`file_entry`] reads, in its order.
const FILE_COLUMNS: &str = "origin, kind, status, error_type, error, duplicate, duplicate_of,
    warning, duration_ms, size, sha256, key, retries, conflict, id, decimal_separator,
    recorded_at, rows, rows_rejected, rows_created, rows_updated, rows_unchanged,
    rows_duplicate_in_file";

/// A file's row, without its rejected rows (the caller adds them), and its id.
fn file_entry(r: &dyn Row) -> Result<(i64, FileEntry)> {
    let key = r.text(11)?;
    let keys = key
        .as_deref()
        .map(|k| k.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let rows = row_counts(r, 17)?;
    let entry = FileEntry {
        path: r.text_of(0)?,
        kind: r.text(1)?,
        status: r.text_of(2)?,
        error_type: r.text(3)?,
        error: r.text(4)?,
        duplicate: r.text(5)?,
        duplicate_of: r.text(6)?,
        warning: r.text(7)?,
        duration_ms: r.real(8)?.unwrap_or(0.0),
        size: r.count_of(9)?,
        sha256: r.text(10)?,
        key,
        keys,
        retries: r.count_of(12)? as u32,
        conflict: r.text(13)?,
        rows,
        rejected_rows: Vec::new(),
        rejected_rows_truncated: false,
        rejected_rows_by_error_type: BTreeMap::new(),
        decimal_separator: r.text(15)?,
        recorded_at: r.int(16)?,
    };
    Ok((r.int_of(14)?, entry))
}

impl<'c> Ledger<'c> {
    pub fn of(conn: &'c mut dyn Conn) -> Ledger<'c> {
        let d = conn.dialect();
        Ledger { conn, d }
    }

    fn q(&self, template: &str, params: Vec<Param>) -> Query {
        Query::new(self.d, template, params)
    }

    /// One statement in a transaction of its own.
    fn execute(&mut self, q: Query) -> Result<u64> {
        self.conn.with(Mode::Write, |tx| tx.execute(&q))
    }

    /// Open a new batch (status `running`); returns its id. Repeated after a commit whose
    /// answer was lost, it finds the row it made (by the start's token): one batch, never a
    /// second, empty one.
    pub fn start_batch(&mut self, start: &BatchStart) -> Result<i64> {
        let cwd = std::env::current_dir()
            .ok()
            .map(|p| p.display().to_string());
        let insert = self.q(
            "INSERT INTO batches (status, started_at, inputs, workers, options, cwd, report, token)
             SELECT {}, {}, {}, {}, {}, {}, {}, {}
             WHERE NOT EXISTS (SELECT 1 FROM batches WHERE token = {}) RETURNING id",
            vec![
                BatchStatus::Running.as_str().into(),
                Param::Time(Some(crate::time::now_rfc3339())),
                serde_json::to_string(&start.inputs)?.into(),
                (start.workers as u64).into(),
                start.options.clone().into(),
                cwd.into(),
                start.report.clone().into(),
                start.token.clone().into(),
                start.token.clone().into(),
            ],
        );
        let made = self.q(
            "SELECT id FROM batches WHERE token = {}",
            vec![start.token.clone().into()],
        );
        self.conn.with(Mode::Write, |tx| {
            match tx.first(&insert, |r| r.int_of(0))? {
                Some(id) => Ok(id),
                None => tx.one(&made, |r| r.int_of(0)),
            }
        })
    }

    /// Close a batch: final counts from its files, end time, status. The sink's open
    /// transaction, if any, must be given up first (`Sink::abandon`).
    pub fn finish_batch(&mut self, batch: i64, status: BatchStatus) -> Result<()> {
        let totals = self.totals(batch)?;
        let n = |s: Status| totals.by_status.get(s.as_str()).copied().unwrap_or(0);
        let finished = crate::time::now_rfc3339();
        let seconds = self.batch(batch)?.and_then(|b| b.seconds_run(&finished));
        let q = self.q(
            "UPDATE batches SET status = {}, finished_at = {}, processing_time_seconds = {},
                files = {}, imported = {}, duplicate = {}, failed = {}, unsupported = {},
                rows_rejected = {}
             WHERE id = {}",
            vec![
                status.as_str().into(),
                Param::Time(Some(finished)),
                seconds.into(),
                totals.files.into(),
                n(Status::Imported).into(),
                n(Status::Duplicate).into(),
                n(Status::Failed).into(),
                n(Status::Unsupported).into(),
                totals.rows.rows_rejected.into(),
                batch.into(),
            ],
        );
        self.execute(q).map(drop)
    }

    /// Record what came of the batch's `--notify` webhook (after `finish_batch`).
    pub fn set_notification(&mut self, batch: i64, notification: &Notification) -> Result<()> {
        let q = self.q(
            "UPDATE batches SET notification = {} WHERE id = {}",
            vec![notification.to_json().into(), batch.into()],
        );
        self.execute(q).map(drop)
    }

    /// Mark a batch `running` again (resume, retry); the notification of its last end is
    /// cleared, a new end is coming; the time it ran so far is banked.
    ///
    /// Called before the batch's ledger is read for a resume or a retry. On PostgreSQL this
    /// update waits for the batch row, which every writer's commit updates and holds until its
    /// COMMIT lands: a run killed after it sent a COMMIT leaves the server committing it, and
    /// a ledger read before that commit landed would miss its files and import them again.
    pub fn reopen_batch(&mut self, batch: i64) -> Result<()> {
        let banked = self.batch(batch)?.map_or(0.0, |b| b.banked_seconds());
        let q = self.q(
            "UPDATE batches SET status = {}, finished_at = NULL, processing_time_seconds = NULL,
                notification = NULL, earlier_seconds = {}, run_started_at = {}
             WHERE id = {}",
            vec![
                BatchStatus::Running.as_str().into(),
                banked.into(),
                Param::Time(Some(crate::time::now_rfc3339())),
                batch.into(),
            ],
        );
        self.execute(q).map(drop)
    }

    /// The latest batch not `completed` with exactly these inputs, options and working folder.
    pub fn find_unfinished(&mut self, start: &BatchStart, cwd: &str) -> Result<Option<i64>> {
        let q = self.q(
            "SELECT id FROM batches WHERE status != 'completed' AND inputs = {} AND options = {}
                AND cwd = {} ORDER BY id DESC LIMIT 1",
            vec![
                serde_json::to_string(&start.inputs)?.into(),
                start.options.clone().into(),
                cwd.into(),
            ],
        );
        self.conn
            .with(Mode::Read, |tx| tx.first(&q, |r| r.int_of(0)))
    }

    /// Origins already recorded in a batch, with size and modification time (and the digest
    /// when `with_sha256`): what a resume skips. With `None`, the files on disk (with a
    /// modification time) that any batch recorded, each as its latest row has it: what a
    /// new batch leaves alone as `seen`.
    pub fn recorded_origins(&mut self, batch: Option<i64>, with_sha256: bool) -> Result<OriginSet> {
        let sha256 = if with_sha256 { "sha256" } else { "NULL" };
        let q = match batch {
            Some(batch) => self.q(
                &format!("SELECT origin, size, mtime, {sha256} FROM files WHERE batch_id = {{}}"),
                vec![batch.into()],
            ),
            // Every batch's: in id order, so that a file's latest row is the one kept.
            None => Query::text(format!(
                "SELECT origin, size, mtime, {sha256} FROM files WHERE mtime IS NOT NULL ORDER BY id"
            )),
        };
        self.conn.with(Mode::Read, |tx| {
            let mut set = OriginSet::default();
            tx.query(&q, &mut |r| {
                let recorded = Recorded {
                    size: r.count_of(1)?,
                    mtime: r.int(2)?,
                    sha256: r.text(3)?,
                };
                set.insert(&r.text_of(0)?, recorded);
                Ok(())
            })?;
            Ok(set)
        })
    }

    /// Record how many files the batch found `seen` (recorded before, unchanged).
    pub fn set_seen(&mut self, batch: i64, seen: u64) -> Result<()> {
        let q = self.q(
            "UPDATE batches SET seen = {} WHERE id = {}",
            vec![seen.into(), batch.into()],
        );
        self.execute(q).map(drop)
    }

    /// Remove a batch that recorded no file (a run that found nothing new), so that a cron
    /// job over an unchanged inbox leaves the ledger as it was.
    pub fn forget_batch(&mut self, batch: i64) -> Result<()> {
        let q = self.q(
            "DELETE FROM batches WHERE id = {}
                AND NOT EXISTS (SELECT 1 FROM files WHERE batch_id = {})",
            vec![batch.into(), batch.into()],
        );
        self.execute(q).map(drop)
    }

    /// Origins of a batch's failed files, sorted: what a retry redoes.
    pub fn failed_origins(&mut self, batch: i64) -> Result<Vec<String>> {
        let q = self.q(
            &format!(
                "SELECT origin FROM files WHERE batch_id = {{}} AND status = 'failed'
                 ORDER BY {}",
                origin_bytewise(self.d)
            ),
            vec![batch.into()],
        );
        self.conn
            .with(Mode::Read, |tx| tx.all(&q, |r| r.text_of(0)))
    }

    /// One batch's ledger row; `None` if there is no such batch.
    pub fn batch(&mut self, batch: i64) -> Result<Option<BatchInfo>> {
        let q = self.q(
            &format!("{} WHERE id = {{}}", batch_columns(self.d)),
            vec![batch.into()],
        );
        self.conn.with(Mode::Read, |tx| tx.first(&q, batch_info))
    }

    /// The batches a filter keeps, newest first.
    pub fn batches(&mut self, filter: &BatchFilter) -> Result<Vec<BatchInfo>> {
        let q = history::batches(self.d, &batch_columns(self.d), filter);
        self.conn.with(Mode::Read, |tx| tx.all(&q, batch_info))
    }

    /// Files of the batches started since a time (of every batch with `None`): by kind,
    /// status, error type, with an example of each error type. One pass over the files, in
    /// one snapshot: the examples are of the files counted.
    pub fn stats(&mut self, since: Option<SystemTime>) -> Result<LedgerStats> {
        let q = history::stats(self.d, since);
        self.conn.with(Mode::Snapshot, |tx| {
            let mut stats = LedgerStats {
                totals: Totals::new(),
                ..LedgerStats::default()
            };
            let mut last_ids = BTreeMap::new();
            tx.query(&q, &mut |r| {
                let counts = row_counts(r, 6)?.unwrap_or_default();
                let key = (r.text_of(1)?, r.text(2)?, r.text(3)?);
                stats.add(
                    r.text(0)?,
                    key,
                    r.count_of(4)?,
                    counts,
                    r.int_of(5)?,
                    &mut last_ids,
                );
                Ok(())
            })?;
            let ids: Vec<i64> = last_ids.values().copied().collect();
            let mut examples = HashMap::new();
            if !ids.is_empty() {
                tx.query(&Query::text(history::files_by_id(&ids)), &mut |r| {
                    let example = FailureExample {
                        batch_id: r.int_of(1)?,
                        path: r.text_of(2)?,
                        error: r.text(3)?,
                    };
                    examples.insert(r.int_of(0)?, example);
                    Ok(())
                })?;
            }
            let examples = last_ids
                .iter()
                .filter_map(|(t, id)| Some((t.clone(), examples.remove(id)?)))
                .collect();
            stats.rank_failures(examples);
            Ok(stats)
        })
    }

    /// Remove old batches' ledger rows (`batches`, their `files`, those files'
    /// `rejected_rows`; never data nor originals) in one transaction, a statement per table;
    /// with `dry_run`, count them and remove nothing. See [`Prune::select`] for what is kept.
    /// The candidates are locked (PostgreSQL; SQLite's write lock covers it) until the deletes
    /// commit: a `resume` reopening one waits, and one reopened first is read as `running`.
    pub fn prune(&mut self, prune: &Prune) -> Result<Pruned> {
        let d = self.d;
        let sql = PruneSql::new(d, !prune.dry_run);
        let candidates = Query {
            sql: sql.candidates.clone(),
            params: vec![Param::Time(Some(crate::time::rfc3339(prune.before)))],
        };
        let mode = if prune.dry_run {
            Mode::Read
        } else {
            Mode::Write
        };
        self.conn.with(mode, |tx| {
            let old = tx.all(&candidates, |r| {
                Ok(PruneCandidate {
                    id: r.int_of(0)?,
                    status: r.text_of(1)?,
                    failed: r.count_of(2)?,
                    report: ReportColumn {
                        batch_id: r.int_of(0)?,
                        report: r.text(3)?,
                        cwd: r.text(4)?,
                    },
                })
            })?;
            let latest = tx.one(&Query::text(sql.latest), |r| Ok([r.int(0)?, r.int(1)?]))?;
            let latest: Vec<i64> = latest.into_iter().flatten().collect();
            let mut pruned = prune.select(&old, &latest);
            if pruned.batch_ids.is_empty() {
                return Ok(pruned);
            }
            let ids = PruneSql::ids(d, &pruned.batch_ids);
            let with_ids = |sql: &str| Query {
                sql: sql.to_owned(),
                params: vec![ids.clone().into()],
            };
            if prune.dry_run {
                pruned.files = tx.one(&with_ids(&sql.count_files), |r| r.count_of(0))?;
                pruned.rejected_rows = tx.one(&with_ids(&sql.count_rejected), |r| r.count_of(0))?;
            } else {
                pruned.rejected_rows = tx.execute(&with_ids(&sql.delete_rejected))?;
                pruned.files = tx.execute(&with_ids(&sql.delete_files))?;
                tx.execute(&with_ids(&sql.delete_batches))?;
            }
            Ok(pruned)
        })
    }

    /// Counts of a batch's files by status and by error type, in one pass over its rows.
    pub fn totals(&mut self, batch: i64) -> Result<Totals> {
        // CAST: PostgreSQL's sum of bigints is a numeric; SQLite takes it as a no-op.
        let sums: Vec<String> = RowCounts::COLUMNS
            .iter()
            .map(|c| format!("CAST(sum({c}) AS bigint)"))
            .collect();
        let by_status = self.q(
            &format!(
                "SELECT status, error_type, conflict, count(*), {}
                 FROM files WHERE batch_id = {{}} GROUP BY status, error_type, conflict",
                sums.join(", ")
            ),
            vec![batch.into()],
        );
        let printed = self.q(
            &crate::format::pdf::printed_in_batch_sql("{}"),
            vec![batch.into()],
        );
        let linked = self.q(
            &crate::format::pdf::linked_in_batch_sql("{}"),
            vec![batch.into()],
        );
        self.conn.with(Mode::Read, |tx| {
            let mut totals = Totals::new();
            tx.query(&by_status, &mut |r| {
                let counts = row_counts(r, 4)?.unwrap_or_default();
                let key = (r.text_of(0)?, r.text(1)?, r.text(2)?);
                totals.add(key, r.count_of(3)?, counts);
                Ok(())
            })?;
            if tx.one(&printed, |r| r.int_of(0))? != 0 {
                let (pdfs, with_link) =
                    tx.one(&linked, |r| Ok((r.count_of(0)?, r.count_of(1)?)))?;
                totals.pdf_linked = with_link;
                totals.pdf_unlinked = pdfs - with_link;
            }
            Ok(totals)
        })
    }

    /// A batch's files sorted by origin (bytewise), read a page at a time in one snapshot,
    /// so a million-file report needs no memory.
    pub fn for_each_file(
        &mut self,
        batch: i64,
        f: &mut dyn FnMut(FileEntry) -> Result<()>,
    ) -> Result<()> {
        let d = self.d;
        let origin = origin_bytewise(d);
        // The page after `after` (origin, id), the first without: `origin >= x` finds the
        // place by the index that leads with (batch_id, origin).
        let page_after = |after: Option<(String, i64)>| {
            let (cond, mut params) = match after {
                None => (String::new(), Vec::new()),
                Some((path, id)) => (
                    format!(" AND {origin} >= {{}} AND ({origin} > {{}} OR id > {{}})"),
                    vec![path.clone().into(), path.into(), id.into()],
                ),
            };
            params.insert(0, batch.into());
            let sql = format!(
                "SELECT {FILE_COLUMNS} FROM files WHERE batch_id = {{}}{cond}
                 ORDER BY {origin}, id LIMIT {PAGE}"
            );
            Query::new(d, &sql, params)
        };
        self.conn.transaction(Mode::Snapshot, &mut |tx| {
            let mut q = page_after(None);
            loop {
                let page = tx.all(&q, file_entry)?;
                let Some((last_id, last)) = page.last() else {
                    return Ok(());
                };
                let after = (last.path.clone(), *last_id);
                let full = page.len() as i64 == PAGE;
                for (id, mut entry) in page {
                    if entry.rows.is_some_and(|c| c.listed() > 0) {
                        add_rejected(d, tx, id, &mut entry)?;
                    }
                    f(entry)?;
                }
                if !full {
                    return Ok(());
                }
                q = page_after(Some(after));
            }
        })
    }
}

/// A file's rejected rows: how many of each error type, and the first
/// [`REJECTED_SAMPLE`] by line.
fn add_rejected(d: Dialect, tx: &mut dyn Tx, id: i64, entry: &mut FileEntry) -> Result<()> {
    let by_type = Query::new(
        d,
        "SELECT error_type, count(*) FROM rejected_rows WHERE file_id = {} GROUP BY error_type",
        vec![id.into()],
    );
    tx.query(&by_type, &mut |r| {
        entry
            .rejected_rows_by_error_type
            .insert(r.text_of(0)?, r.count_of(1)?);
        Ok(())
    })?;
    let sample = Query::new(
        d,
        "SELECT line, error_type, error FROM rejected_rows WHERE file_id = {}
         ORDER BY line LIMIT {}",
        vec![id.into(), (REJECTED_SAMPLE as u64).into()],
    );
    entry.rejected_rows = tx.all(&sample, |r| {
        Ok(RejectedRow {
            line: r.count_of(0)?,
            error_type: r.text_of(1)?,
            error: r.text_of(2)?,
        })
    })?;
    entry.rejected_rows_truncated = entry
        .rows
        .is_some_and(|c| c.listed() > entry.rejected_rows.len() as u64);
    Ok(())
}
