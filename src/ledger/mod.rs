//! The ledger's vocabulary: what happened to each file ([`Status`]), to each batch
//! ([`BatchStatus`]), and the records that move between the pipeline, the sinks and the report.
//! The ledger itself lives in the same database as the data (see `sink/`), so a file's rows and
//! its ledger row commit together; its queries are written once for every database
//! (`queries.rs`) over what a database provides (`sql.rs`).

pub mod history;
mod queries;
pub mod sql;

pub use queries::Ledger;

use crate::format::Outcome;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

/// What a batch was started with, stored so reports (and resumes) can show it.
#[derive(Debug, Clone)]
pub struct BatchStart {
    pub inputs: Vec<String>,
    pub workers: usize,
    /// The options that change results, as JSON text.
    pub options: String,
    /// Where its report goes, as `batches.report` stores it (see
    /// [`crate::ledger::ReportColumn`]); `None` for the default path.
    pub report: Option<String>,
    /// This start's own mark (`batches.token`): starting the batch again after an answer
    /// lost on the way (the server restarting as it committed) finds the row it made instead
    /// of making a second, empty one.
    pub token: String,
}

impl BatchStart {
    /// A token no other start shares: this process, the time, and a count within it.
    pub fn token() -> String {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{}:{nanos}:{n}", this_process())
    }
}

/// This process among every machine's: `host:pid`.
pub fn this_process() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into());
    format!("{host}:{}", std::process::id())
}

/// What happened to one file. Stored as snake_case text; a public interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Its documents are now in the database.
    Imported,
    /// Every document in it was already imported (in this batch or an earlier one).
    Duplicate,
    /// It could not be imported; `error_type` says why.
    Failed,
    /// Not a kind batchimp imports (a PDF today, a spreadsheet...). Not a failure.
    Unsupported,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Imported,
        Status::Duplicate,
        Status::Failed,
        Status::Unsupported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Imported => "imported",
            Status::Duplicate => "duplicate",
            Status::Failed => "failed",
            Status::Unsupported => "unsupported",
        }
    }
}

/// What happens to a document whose key is already in the database with other content.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnConflict {
    /// Keep the stored copy; the file is a `duplicate` (`different`). A copy that only adds
    /// what the stored one lacks (the protocol of an NF-e first seen unsigned) enriches it.
    #[default]
    Skip,
    /// The new copy replaces the stored one, rows of every table included.
    Replace,
    /// The file fails with `key_conflict` and writes nothing (enriching still applies).
    Fail,
    /// `batchimp reparse`: a document stored from these very bytes is written again (this
    /// version's parser may read more, or read it better); one stored from other bytes is
    /// met as under `skip`. Not an option of `run` (a file met again with the same bytes
    /// there is a duplicate, and costs no write).
    Reparse,
}

/// How a file's document met the copy already stored, when it was not simply new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// The stored copy lacked what this one has (a protocol), and now has it.
    Enriched,
    /// This copy replaced the stored one (`--on-conflict replace`).
    Replaced,
}

impl Conflict {
    pub fn as_str(self) -> &'static str {
        match self {
            Conflict::Enriched => "enriched",
            Conflict::Replaced => "replaced",
        }
    }
}

/// A batch's life: `running` until it ends `completed` (every file accounted for), `failed` (a
/// fatal error stopped it) or `cancelled` (interrupted by the user).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchStatus {
    /// Still importing, or stopped without a trace (killed): `batchimp resume` finishes it.
    Running,
    /// Every file accounted for.
    Completed,
    /// A fatal error (the database) stopped it.
    Failed,
    /// Interrupted by the user (Ctrl-C).
    Cancelled,
    /// Stopped taking files at `--max-errors` failures; `resume` finishes it.
    Stopped,
}

impl BatchStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Running => "running",
            BatchStatus::Completed => "completed",
            BatchStatus::Failed => "failed",
            BatchStatus::Cancelled => "cancelled",
            BatchStatus::Stopped => "stopped",
        }
    }
}

/// Which batches to read (`batchimp list`, `batchimp stats`), newest first.
#[derive(Debug, Clone, Default)]
pub struct BatchFilter {
    /// Only batches with one of these statuses; empty: every status.
    pub statuses: Vec<BatchStatus>,
    /// Only batches started at or after this time; `None`: whenever they started.
    pub since: Option<SystemTime>,
    /// At most this many (the newest); `None`: all of them.
    pub limit: Option<u64>,
}

impl BatchFilter {
    /// The newest batch alone.
    pub fn latest() -> BatchFilter {
        BatchFilter {
            limit: Some(1),
            ..BatchFilter::default()
        }
    }
}

/// What the ledger says of the files of many batches (`batchimp stats`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct LedgerStats {
    /// Files by status, error type and conflict, and catalog rows, as a batch's report
    /// counts them: the sums of the batches' `totals`.
    pub totals: Totals,
    /// Files by kind (`nfe`, `cfdi`, `catalog`, `pdf`...); `none` for files with nothing to
    /// look at (empty or unreadable).
    pub by_kind: BTreeMap<String, u64>,
    /// Failed files by error type, the most frequent first (ties by name).
    pub failure_reasons: Vec<FailureReason>,
}

/// The kind `by_kind` counts a file without one under.
pub const NO_KIND: &str = "none";

/// One error type among the failures of many batches.
#[derive(Debug, Clone, Serialize)]
pub struct FailureReason {
    pub error_type: String,
    pub files: u64,
    /// The last file recorded with it (the highest `files.id`).
    pub example: FailureExample,
}

/// A failed file, as an example of its error type.
#[derive(Debug, Clone, Serialize)]
pub struct FailureExample {
    pub batch_id: i64,
    pub path: String,
    pub error: Option<String>,
}

impl LedgerStats {
    /// Add `files` ledger rows that share a kind, status, error type and conflict, with their
    /// catalog rows; `last_id` is the highest `files.id` among them (the error type's example
    /// when it is the highest of its error type).
    pub fn add(
        &mut self,
        kind: Option<String>,
        key: (String, Option<String>, Option<String>),
        files: u64,
        rows: RowCounts,
        last_id: i64,
        examples: &mut BTreeMap<String, i64>,
    ) {
        *self
            .by_kind
            .entry(kind.unwrap_or_else(|| NO_KIND.to_owned()))
            .or_default() += files;
        if let Some(t) = &key.1 {
            let id = examples.entry(t.clone()).or_insert(last_id);
            *id = (*id).max(last_id);
        }
        self.totals.add(key, files, rows);
    }

    /// The failure reasons from the totals, with the examples found (by file id) for them,
    /// the most frequent first.
    pub fn rank_failures(&mut self, examples: BTreeMap<String, FailureExample>) {
        let mut reasons: Vec<FailureReason> = examples
            .into_iter()
            .map(|(error_type, example)| FailureReason {
                files: self
                    .totals
                    .by_error_type
                    .get(&error_type)
                    .copied()
                    .unwrap_or(0),
                error_type,
                example,
            })
            .collect();
        reasons.sort_by(|a, b| {
            b.files
                .cmp(&a.files)
                .then_with(|| a.error_type.cmp(&b.error_type))
        });
        self.failure_reasons = reasons;
    }
}

/// What `batchimp prune` removes: the ledger rows of batches older than a time.
#[derive(Debug, Clone)]
pub struct Prune {
    /// Batches that ended (`finished_at`; `started_at` when it is empty) before this.
    pub before: SystemTime,
    /// Keep batches with a failed file, or whose status is `failed`.
    pub keep_failed: bool,
    /// Count, delete nothing.
    pub dry_run: bool,
}

/// A batch `prune` looks at: one that ended before the cutoff.
#[derive(Debug, Clone)]
pub struct PruneCandidate {
    pub id: i64,
    pub status: String,
    /// Its failed files (the ledger's count).
    pub failed: u64,
    /// Its report and working folder, for `prune` to remove the report too.
    pub report: ReportColumn,
}

/// What `prune` removed (or, with `--dry-run`, would remove), and the old batches it kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Pruned {
    pub dry_run: bool,
    pub batches: u64,
    pub files: u64,
    pub rejected_rows: u64,
    /// The batches removed, in id order.
    pub batch_ids: Vec<i64>,
    /// Old batches kept because they are `running` (never pruned: `resume` finishes them).
    pub kept_running: u64,
    /// Old batches kept by `--keep-failed`.
    pub kept_failed: u64,
    /// Old batches kept because they hold the newest batch id or file id (at most two).
    pub kept_latest: u64,
    /// The reports of the batches removed, for the command to remove from the disk.
    #[serde(skip)]
    pub reports: Vec<ReportColumn>,
    /// Report files removed with their batches.
    pub reports_removed: u64,
}

impl Prune {
    /// Which of the old batches go. Never a `running` one; never one of `latest` (the batch
    /// with the highest id and the one holding the highest file id: SQLite gives a new row
    /// the highest id plus one, so removing them would hand their ids out again, and a
    /// catalog's rows tell its own earlier rows by file id); with `keep_failed`, never one
    /// that failed or has a failed file. The counts of files and rows are the sink's to fill.
    pub fn select(&self, old: &[PruneCandidate], latest: &[i64]) -> Pruned {
        let mut pruned = Pruned {
            dry_run: self.dry_run,
            ..Pruned::default()
        };
        for b in old {
            if b.status == BatchStatus::Running.as_str() {
                pruned.kept_running += 1;
            } else if latest.contains(&b.id) {
                pruned.kept_latest += 1;
            } else if self.keep_failed && (b.status == BatchStatus::Failed.as_str() || b.failed > 0)
            {
                pruned.kept_failed += 1;
            } else {
                pruned.batch_ids.push(b.id);
                pruned.reports.push(b.report.clone());
            }
        }
        pruned.batch_ids.sort_unstable();
        pruned.batches = pruned.batch_ids.len() as u64;
        pruned
    }
}

/// Counts of files by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub imported: u64,
    pub duplicate: u64,
    pub failed: u64,
    pub unsupported: u64,
}

impl Counts {
    pub fn add(&mut self, status: Status) {
        *self.get_mut(status) += 1;
    }

    pub fn get_mut(&mut self, status: Status) -> &mut u64 {
        match status {
            Status::Imported => &mut self.imported,
            Status::Duplicate => &mut self.duplicate,
            Status::Failed => &mut self.failed,
            Status::Unsupported => &mut self.unsupported,
        }
    }

    pub fn files(&self) -> u64 {
        self.imported + self.duplicate + self.failed + self.unsupported
    }

    /// Add another count to this one.
    pub fn merge(&mut self, other: &Counts) {
        for s in Status::ALL {
            *self.get_mut(s) += other.get(s);
        }
    }

    /// The count of one status.
    pub fn get(&self, status: Status) -> u64 {
        match status {
            Status::Imported => self.imported,
            Status::Duplicate => self.duplicate,
            Status::Failed => self.failed,
            Status::Unsupported => self.unsupported,
        }
    }
}

/// The origin as the ledger stores it: whole up to [`crate::schema::MAX_INDEXED_BYTES`] (it
/// is in an index of `files`, which PostgreSQL limits); a longer one (a ZIP member's hostile
/// name) is cut at a character boundary and ends saying so, with its length and the start of
/// its SHA-256 so that two long origins stay apart: `a.zip!/mmm…[cut from 6018 bytes, sha256
/// 0123456789abcdef]`. Cutting a cut origin changes nothing, so a resume that looks up a
/// walked origin this way finds the row recorded for it.
pub fn stored_origin(origin: &str) -> std::borrow::Cow<'_, str> {
    use sha2::Digest;
    let max = crate::schema::MAX_INDEXED_BYTES;
    if origin.len() <= max {
        return origin.into();
    }
    let digest = sha2::Sha256::digest(origin.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let tail = format!("…[cut from {} bytes, sha256 {hex}]", origin.len());
    let mut end = max - tail.len();
    while !origin.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{tail}", &origin[..end]).into()
}

/// What the parse pool hands the writer for one file.
#[derive(Debug)]
pub struct Processed {
    /// Where the file came from, as the ledger stores it ([`stored_origin`]).
    pub origin: String,
    pub size: u64,
    /// Hex SHA-256 of the bytes; `None` when they could not be read.
    pub sha256: Option<String>,
    /// `nfe`, or a generic kind (`xml`, `pdf`, `unknown`) for files no format claims; `None`
    /// when there was nothing to look at (unreadable or empty).
    pub kind: Option<&'static str>,
    pub outcome: Outcome,
    /// Transient errors overcome by retrying.
    pub retries: u32,
    /// Modification time (ns since the epoch) of a file on disk; `None` for ZIP members.
    pub mtime: Option<i64>,
    /// Time spent reading and parsing.
    pub duration: Duration,
    /// The file's bytes compressed for the archive (see [`crate::archive`]), compressed on the
    /// worker; `None` when its kind is not kept (or archiving is off).
    pub original: Option<crate::archive::Packed>,
}

impl Processed {
    /// What a sink stores of this file, recorded with `status`: its SHA-256, kind and
    /// compressed bytes. Only files whose documents were written or met a stored copy
    /// (`imported`, `duplicate`); the same bytes again add nothing (the SHA-256 is the
    /// archive's key).
    pub fn original_to_store(
        &self,
        status: Status,
    ) -> Option<(&str, &'static str, &crate::archive::Packed)> {
        if !matches!(status, Status::Imported | Status::Duplicate) {
            return None;
        }
        Some((self.sha256.as_deref()?, self.kind?, self.original.as_ref()?))
    }
}

// What the ledger says of batches and files, as the reports show it.

/// A batch's ledger row.
#[derive(Debug, Clone, Serialize)]
pub struct BatchInfo {
    pub batch_id: i64,
    /// `running`, `completed`, `failed` or `cancelled`.
    pub status: String,
    pub inputs: Vec<String>,
    pub workers: u64,
    pub started_at: String,
    /// `None` while running.
    pub finished_at: Option<String>,
    /// The seconds the batch ran, over all its runs (idle time between a stop and a resume
    /// left out); `None` while running.
    pub processing_time_seconds: Option<f64>,
    /// The current (or last) run's start; `None` for the batch's first, which starts at
    /// `started_at`.
    #[serde(skip)]
    pub run_started_at: Option<String>,
    /// The seconds the runs before the current one ran.
    #[serde(skip)]
    pub earlier_seconds: f64,
    /// The last commit's time: where a run that ended with no word (killed) stopped.
    #[serde(skip)]
    pub active_at: Option<String>,
    pub files: u64,
    pub imported: u64,
    pub duplicate: u64,
    pub failed: u64,
    pub unsupported: u64,
    /// Rows rejected (a catalog's, SAT metadata lines), over every file of the batch.
    pub rows_rejected: u64,
    /// Files an earlier batch recorded unchanged (same path, size and modification time):
    /// neither read nor recorded by this one, and not in `files`.
    pub seen: u64,
    /// Files the walk has found so far; the total once it has counted them all (`None` until
    /// then, or in ledgers older than the column).
    pub files_found: u64,
    pub files_total: Option<u64>,
    /// Files found and not yet recorded (while the count is known).
    pub pending: Option<u64>,
    /// Files recorded so far (`files`, under the name the report and the progress use).
    pub files_done: u64,
    /// Files recorded of the total, in percent, once the total is known.
    pub progress_percentage: Option<f64>,
    /// Files recorded per second: so far while running, over the whole run once finished.
    pub files_per_second: Option<f64>,
    /// Seconds left at that rate, while running with a known total.
    pub eta_seconds: Option<f64>,
    /// What came of the `--notify` webhook when the batch last ended; `None` without one (or
    /// while the batch runs again).
    pub notification: Option<Notification>,
    /// The `--group` whose load this batch is (PostgreSQL); `None` for a batch of one process.
    /// Filled in by `batchimp list`.
    pub group: Option<String>,
    /// The options that decide what the batch imports (JSON), reused by resume and retry.
    #[serde(skip)]
    pub options: String,
    /// The working folder the inputs are relative to.
    #[serde(skip)]
    pub cwd: Option<String>,
    /// Where the batch's report goes, as the ledger stores it (see [`ReportColumn`]); `None`
    /// for the default path.
    #[serde(skip)]
    pub report: Option<String>,
}

/// The ledger's `batches.report` for a report on stdout.
pub const REPORT_STDOUT: &str = "-";
/// The ledger's `batches.report` for a batch run with `--no-report`.
pub const REPORT_NONE: &str = "none";

/// A pruned batch's report, as the ledger had it, to remove it from the disk too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportColumn {
    pub batch_id: i64,
    /// `batches.report`: an absolute path, [`REPORT_STDOUT`], [`REPORT_NONE`], or `None`
    /// for the default path.
    pub report: Option<String>,
    /// The batch's working folder (a PostgreSQL batch's default report is there).
    pub cwd: Option<String>,
}

impl BatchInfo {
    /// The seconds the batch has run at `until` (RFC 3339): the current run's so far plus the
    /// runs' before it, so a resumed batch's rate leaves out the time nothing ran.
    pub fn seconds_run(&self, until: &str) -> Option<f64> {
        let start = self.run_started_at.as_deref().unwrap_or(&self.started_at);
        crate::time::seconds_between(start, until).map(|s| s + self.earlier_seconds)
    }

    /// The seconds the batch ran before it runs again: all of them when its last run ended
    /// (its processing time), up to its last commit when that run was killed.
    pub fn banked_seconds(&self) -> f64 {
        match (self.processing_time_seconds, &self.finished_at) {
            (Some(s), Some(_)) => s,
            _ => {
                let start = self.run_started_at.as_deref().unwrap_or(&self.started_at);
                let last = self.active_at.as_deref().unwrap_or(start);
                crate::time::seconds_between(start, last).unwrap_or(0.0) + self.earlier_seconds
            }
        }
    }

    /// Fill the progress fields (`pending`, `progress_percentage`, `files_per_second`,
    /// `eta_seconds`) from the counts and times, `now` being the current RFC 3339 time.
    pub fn with_progress(mut self, now: &str) -> BatchInfo {
        let seconds = match (self.processing_time_seconds, self.finished_at.as_deref()) {
            (Some(s), Some(_)) => Some(s),
            _ => self.seconds_run(now),
        };
        let running = self.finished_at.is_none();
        self.files_done = self.files;
        self.files_per_second = seconds.filter(|s| *s > 0.0).map(|s| self.files as f64 / s);
        if let Some(total) = self.files_total {
            // The walk's count takes a ZIP inside a ZIP, or one not named `.zip`, as one file;
            // its members are each a file done. Done never exceeds the total.
            let total = total.max(self.files);
            self.files_total = Some(total);
            self.files_found = self.files_found.max(total);
            self.pending = Some(total - self.files);
            self.progress_percentage = Some(if total == 0 {
                100.0
            } else {
                (self.files as f64 * 1000.0 / total as f64).round() / 10.0
            });
            if running {
                self.eta_seconds = self
                    .files_per_second
                    .filter(|r| *r > 0.0)
                    .map(|r| ((total - self.files) as f64 / r).round());
            }
        }
        self
    }
}

/// How far the walk has got, written into the batch's row with each commit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Walk {
    /// Files (and ZIP members) found so far.
    pub found: u64,
    /// All of them, once counted.
    pub total: Option<u64>,
}

/// What came of a batch's `--notify` webhook: the `notification` of the report, stored as JSON
/// in `batches.notification`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// The URL without its credentials, `https://***@host/path` (no user info, no query).
    pub url: String,
    /// A 2xx answer came back.
    pub delivered: bool,
    /// Attempts made, the first included.
    pub attempts: u32,
    /// The HTTP status of the last answer; `None` when the last attempt got none.
    pub status: Option<u16>,
    /// Why the last attempt failed; `None` when delivered.
    pub error: Option<String>,
}

impl Notification {
    /// As stored in `batches.notification`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain struct")
    }

    /// From `batches.notification`; `None` for NULL (or text this batchimp cannot read).
    pub fn from_column(text: Option<String>) -> Option<Notification> {
        serde_json::from_str(&text?).ok()
    }
}

/// Counts of a batch's files.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub files: u64,
    /// Files left alone as recorded before, unchanged (see [`BatchInfo::seen`]); not counted
    /// in `files`.
    pub seen: u64,
    /// Every status, zero included, so scripts can read `.totals.by_status.failed` directly.
    pub by_status: BTreeMap<String, u64>,
    /// Failed files by error type.
    pub by_error_type: BTreeMap<String, u64>,
    /// Imported files whose document met a stored copy: `enriched`, `replaced`.
    pub by_conflict: BTreeMap<String, u64>,
    /// Rows, over every file of rows (catalog, SAT metadata) of the batch.
    #[serde(flatten)]
    pub rows: RowCounts,
    /// The batch's imported PDFs whose document (NF-e, CC-e, CFDI) is stored now, and those
    /// whose document is not (yet): a DANFE without its XML.
    pub pdf_linked: u64,
    pub pdf_unlinked: u64,
}

impl Totals {
    /// No file yet: every status at zero, so scripts can read `.totals.by_status.failed`.
    pub fn new() -> Totals {
        let mut totals = Totals::default();
        for s in Status::ALL {
            totals.by_status.insert(s.as_str().to_owned(), 0);
        }
        totals
    }

    /// Add `files` ledger rows that share a status, error type and conflict, with their
    /// catalog rows.
    pub fn add(
        &mut self,
        (status, error_type, conflict): (String, Option<String>, Option<String>),
        files: u64,
        rows: RowCounts,
    ) {
        *self.by_status.entry(status).or_default() += files;
        if let Some(t) = error_type {
            *self.by_error_type.entry(t).or_default() += files;
        }
        if let Some(c) = conflict {
            *self.by_conflict.entry(c).or_default() += files;
        }
        self.files += files;
        self.rows.add(&rows);
    }
}

/// A catalog's rows, or a SAT metadata file's lines, or their sums over a batch. Each valid row
/// (`rows`) is exactly one of `rows_created`, `rows_updated` (a field changed, or a metadata
/// line's document was enriched or replaced), `rows_unchanged` (identical to the stored product,
/// or a duplicate) and `rows_duplicate_in_file` (a later row of its file has its key and replaces
/// it); `rows_rejected` failed validation. Columns of `files` by the same names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RowCounts {
    pub rows: u64,
    pub rows_rejected: u64,
    pub rows_created: u64,
    pub rows_updated: u64,
    pub rows_unchanged: u64,
    pub rows_duplicate_in_file: u64,
}

impl RowCounts {
    /// The `files` columns, in the order of [`RowCounts::values`].
    pub const COLUMNS: [&'static str; 6] = [
        "rows",
        "rows_rejected",
        "rows_created",
        "rows_updated",
        "rows_unchanged",
        "rows_duplicate_in_file",
    ];

    /// The counts in [`RowCounts::COLUMNS`] order.
    pub fn values(&self) -> [i64; 6] {
        [
            self.rows,
            self.rows_rejected,
            self.rows_created,
            self.rows_updated,
            self.rows_unchanged,
            self.rows_duplicate_in_file,
        ]
        .map(|n| n as i64)
    }

    /// The counts read from the [`RowCounts::COLUMNS`]: `None` for a file that is not an
    /// imported catalog (`rows` NULL); a count an older batchimp did not keep reads 0.
    pub fn from_values(v: [Option<i64>; 6]) -> Option<RowCounts> {
        let n = |i: usize| v[i].unwrap_or(0) as u64;
        v[0].map(|_| RowCounts {
            rows: n(0),
            rows_rejected: n(1),
            rows_created: n(2),
            rows_updated: n(3),
            rows_unchanged: n(4),
            rows_duplicate_in_file: n(5),
        })
    }

    pub fn add(&mut self, other: &RowCounts) {
        self.rows += other.rows;
        self.rows_rejected += other.rows_rejected;
        self.rows_created += other.rows_created;
        self.rows_updated += other.rows_updated;
        self.rows_unchanged += other.rows_unchanged;
        self.rows_duplicate_in_file += other.rows_duplicate_in_file;
    }

    /// Rows named in the file's `rejected_rows`: rejected, or replaced by a later row.
    pub fn listed(&self) -> u64 {
        self.rows_rejected + self.rows_duplicate_in_file
    }

    /// `20 rows: 12 created, 3 updated, 2 unchanged, 0 duplicate in file, 3 rejected`.
    pub fn describe(&self) -> String {
        format!(
            "{}: {} created, {} updated, {} unchanged, {} duplicate in file, {} rejected",
            crate::printable::counted(self.rows + self.rows_rejected, "row"),
            self.rows_created,
            self.rows_updated,
            self.rows_unchanged,
            self.rows_duplicate_in_file,
            self.rows_rejected
        )
    }
}

/// One file in the report.
#[derive(Debug, Clone, Serialize)]
pub struct FileEntry {
    pub path: String,
    pub kind: Option<String>,
    pub status: String,
    pub error_type: Option<String>,
    pub error: Option<String>,
    /// For duplicates: `identical` (same bytes as the imported copy) or `different` (same key,
    /// other content).
    pub duplicate: Option<String>,
    /// For duplicates: the path the imported copy came from. For an `enriched` or `replaced`
    /// document too: the path of the copy it met.
    pub duplicate_of: Option<String>,
    /// How an imported document met a stored copy with the same key: `enriched` (it filled
    /// what the stored copy lacked, a protocol) or `replaced` (`--on-conflict replace`).
    pub conflict: Option<String>,
    /// Imported with a caveat (e.g. an invalid check digit under `--allow-invalid-keys`).
    pub warning: Option<String>,
    pub duration_ms: f64,
    pub size: u64,
    pub sha256: Option<String>,
    /// The document key(s) the file holds (NF-e access key, CFDI UUID...), comma-separated.
    pub key: Option<String>,
    /// The same keys as a list: every document the file produced (a wrapper holds several).
    pub keys: Vec<String>,
    /// Transient errors (an interrupted read) overcome by retrying.
    pub retries: u32,
    /// For an imported catalog or SAT metadata file: its rows and what became of them.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub rows: Option<RowCounts>,
    /// For a catalog or SAT metadata file: the rows rejected and those a later row of the file
    /// replaced (`catalog_duplicate_in_file`), by line: the first [`REJECTED_SAMPLE`] of them
    /// (the counts are in `rows`; every row is in the `rejected_rows` table).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rejected_rows: Vec<RejectedRow>,
    /// `rejected_rows` lists the first [`REJECTED_SAMPLE`] rows only: the file has more.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub rejected_rows_truncated: bool,
    /// Every row of the file's `rejected_rows`, counted by error type (the sample aside).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub rejected_rows_by_error_type: BTreeMap<String, u64>,
    /// For a catalog: the decimal separator its numbers written as text were read with
    /// (`comma`: 1.234,56; `point`: 1,234.56; `mixed` when its columns differ).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decimal_separator: Option<String>,
    /// When the writer recorded the file, in milliseconds since the Unix epoch (`None` in
    /// ledgers older than the column).
    pub recorded_at: Option<i64>,
}

/// Most rejected rows a report lists per file: a catalog of millions of bad rows must not cost
/// memory in proportion (~165 bytes a row) in `run`, `report` or `report --html`. The counts
/// stay whole, and the `rejected_rows` table keeps every row.
pub const REJECTED_SAMPLE: usize = 1000;

/// A catalog row or SAT metadata line that was rejected.
#[derive(Debug, Clone, Serialize)]
pub struct RejectedRow {
    pub line: u64,
    pub error_type: String,
    pub error: String,
}
