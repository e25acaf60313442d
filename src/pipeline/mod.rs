//! The import pipeline, three stages joined by bounded channels:
//!
//! ```text
//! walker thread ──jobs──▶ rayon pool (--workers) ──processed──▶ writer (this thread, owns the sink)
//! ```
//!
//! - The walker enumerates folders and ZIP central directories; it reads no contents.
//! - Workers read (files, ZIP members), hash, sniff and parse: the costly part, in parallel.
//! - One writer owns the database connection and commits many files per transaction (up to
//!   [`FILES_PER_TX`] files or [`TX_MAX_AGE`], whichever comes first), so a crash loses at most one
//!   transaction of work, and the ledger says exactly which files are in.
//! - The writer records files in walk order, whatever order workers finish them in: the first
//!   copy of a document in walk order is the one imported, so the same inputs always give the
//!   same database and report, and a resumed run ends exactly like an uninterrupted one. At most
//!   [`WINDOW`] jobs are between the walker and the writer, which bounds memory even when one slow
//!   file holds up the ones behind it.

use crate::error::{ErrorType, FileError};
use crate::format::{self, Outcome, ParseOptions, Source, catalog};
mod member;
mod writer;

use crate::group::Group;
use crate::interrupt;
use crate::ledger::{OnConflict, Processed};
use crate::progress::Progress;
use crate::sink::{self, ChunkSink, Sink};
use crate::source::{self, Filter, Item, Job, JobSource, Streamed, WalkOptions, Walker};
use anyhow::{Context, Result};
use crossbeam_channel::bounded;
use member::{Claims, MemberWriter};
use sha2::{Digest, Sha256};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use writer::{Recorder, Walked, Writer};

/// Most files in one transaction: large enough that commits are a small share of the time.
pub const FILES_PER_TX: usize = 2000;
/// Longest a transaction stays open, so the ledger (and `batchimp list`) keep up with a slow run.
pub const TX_MAX_AGE: Duration = Duration::from_millis(500);
/// Most jobs walked but not yet recorded: enough to keep workers busy while the writer commits.
pub const WINDOW: usize = 1024;
/// Jobs travel in chunks, so channel hand-offs cost little per file.
pub const CHUNK: usize = 16;

/// Where a run's files come from.
#[derive(Debug, Clone, Default)]
pub enum Inputs {
    /// The plan's `inputs`, walked: folders, ZIPs and files.
    #[default]
    Walk,
    /// Originals in the database's archive (`batchimp reparse`).
    Archive(source::Archived),
}

/// What a run needs to know, already validated.
#[derive(Debug, Clone)]
pub struct Plan {
    pub inputs: Vec<PathBuf>,
    /// Where the files come from: the `inputs` walked, or the archive.
    pub from: Inputs,
    pub workers: usize,
    pub walk: WalkOptions,
    pub parse: ParseOptions,
    pub file_timeout: Duration,
    /// What to do with a document stored already with other content.
    pub on_conflict: OnConflict,
    /// Stop taking files after this many failures.
    pub max_errors: Option<u64>,
    /// How long a lost database connection is tried again (`--db-retry-for`).
    pub db_retry_for: Duration,
}

impl Plan {
    /// How the writer retries a failed database step: `--retries` times when the database is
    /// busy, for `--db-retry-for` when the connection is lost.
    pub fn db_retry(&self) -> sink::Retry {
        sink::Retry {
            times: self.walk.limits.retries,
            lost_for: self.db_retry_for,
        }
    }
}

/// Who records the files: a run on its own, or one member of a `--group` (through a sink that
/// commits a chunk as the group's, [`ChunkSink`]).
pub enum Recording<'a> {
    Alone(&'a mut dyn Sink),
    Member(&'a mut dyn ChunkSink, &'a Group),
}

/// Jobs on their way to the workers: the walker's `seq`uence number, the group chunk they
/// belong to (0 outside a group).
struct Work {
    seq: u64,
    chunk: u64,
    jobs: Vec<Job>,
}

/// What the workers made of a [`Work`]: its files, and how many jobs it held.
struct Done {
    seq: u64,
    chunk: u64,
    jobs: u64,
    files: Vec<Processed>,
}

/// How the walk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Every file was recorded.
    Completed,
    /// Ctrl-C: files walked so far were recorded, the rest were not taken.
    Cancelled,
    /// `--max-errors` failures: files recorded so far stay, the rest were not taken.
    Stopped,
}

/// Import the plan's files into `batch`. `filter`: which files of the plan to process (all,
/// the rest of a batch, its failed ones; a file the ledger already holds for the batch
/// replaces its row). `Err` means the database failed: what was committed stays committed and
/// recorded, and the batch can be resumed.
pub fn run(
    plan: &Plan,
    filter: &Filter,
    recording: Recording,
    batch: i64,
    progress: &Progress,
) -> Result<Ended> {
    let group = match &recording {
        Recording::Alone(_) => None,
        Recording::Member(_, group) => Some(*group),
    };
    let (job_tx, job_rx) = bounded::<Work>(plan.workers * 2);
    let (done_tx, done_rx) = bounded::<Done>(plan.workers * 4);
    // One credit per chunk in flight: the walker takes one before sending, the writer returns it
    // after recording.
    let (credit_tx, credit_rx) = bounded::<()>(WINDOW / CHUNK);
    let stop = AtomicBool::new(false);
    let cancelled = AtomicBool::new(false);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(plan.workers)
        .thread_name(|i| format!("batchimp-worker-{i}"))
        .build()
        .context("cannot start the worker threads")?;

    let walked = Walked::default();
    let writer_done = AtomicBool::new(false);
    let walk_error = std::sync::Mutex::new(None::<anyhow::Error>);
    let stopped = std::thread::scope(|scope_| {
        if let Some(group) = group {
            scope_.spawn(|| group.heartbeat());
        }
        // A second, cheap walk counts the files (ZIP members from their directories) for the
        // progress bar and for `batchimp report` on the running batch.
        scope_.spawn(|| {
            let keep_going = || !interrupt::requested() && !writer_done.load(Ordering::Relaxed);
            let total = match &plan.from {
                Inputs::Walk => source::count(&plan.inputs, &plan.walk, &walked.found, &keep_going),
                Inputs::Archive(archived) => {
                    walked.found.store(archived.total, Ordering::Relaxed);
                    Some(archived.total)
                }
            };
            if let Some(total) = total {
                walked.total.store(total, Ordering::Relaxed);
                progress.set_total(total);
            }
        });
        std::thread::Builder::new()
            .name("batchimp-walker".into())
            .spawn_scoped(scope_, || {
                let mut seq = 0u64;
                let mut chunk = Vec::with_capacity(CHUNK);
                let mut send = |jobs: Vec<Job>, chunk: u64| {
                    let ok = !stop.load(Ordering::Relaxed)
                        && credit_tx.send(()).is_ok()
                        && job_tx.send(Work { seq, chunk, jobs }).is_ok();
                    seq += 1;
                    ok
                };
                // In a group: the chunk of the jobs gathered, and which jobs are this member's.
                let mut claims = group.map(Claims::new);
                let mut group_chunk = 0u64;
                let mut emit = |mut job: Job| {
                    if interrupt::requested() {
                        cancelled.store(true, Ordering::Relaxed);
                        return false;
                    }
                    if let Some(claims) = &mut claims {
                        if claims.starts_chunk()
                            && !chunk.is_empty()
                            && !send(std::mem::take(&mut chunk), group_chunk)
                        {
                            return false;
                        }
                        match claims.take(&mut job) {
                            Ok(Some(mine)) => group_chunk = mine,
                            Ok(None) => return true,
                            Err(e) => {
                                *walk_error.lock().unwrap() = Some(e);
                                return false;
                            }
                        }
                    }
                    chunk.push(job);
                    chunk.len() < CHUNK
                        || send(
                            std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)),
                            group_chunk,
                        )
                };
                let mut warn = |msg: String| {
                    tracing::warn!(event = "walk_warning", batch_id = batch, "{msg}");
                };
                match &plan.from {
                    Inputs::Walk => {
                        Walker {
                            opts: plan.walk.clone(),
                            filter,
                            emit: &mut emit,
                            warn: &mut warn,
                        }
                        .walk(&plan.inputs);
                    }
                    Inputs::Archive(archived) => {
                        if let Err(e) = archived.walk(filter, &mut emit) {
                            *walk_error.lock().unwrap() = Some(e);
                        }
                    }
                }
                // The last, partial chunk (jobs walked before a Ctrl-C included: they are cheap).
                if !chunk.is_empty() {
                    send(chunk, group_chunk);
                }
                drop(job_tx);
            })
            .expect("spawn walker");
        scope_.spawn(|| {
            // Every pool thread pulls chunks from the channel until the walker is done.
            pool.broadcast(|_| {
                for Work { seq, chunk, jobs } in job_rx.iter() {
                    if stop.load(Ordering::Relaxed) {
                        continue;
                    }
                    let n = jobs.len() as u64;
                    let mut files = Vec::with_capacity(jobs.len());
                    for job in jobs {
                        // After Ctrl-C no file starts (a slow PDF takes seconds): the queued
                        // ones are left unrecorded, for `resume`. A group member's chunks are
                        // claimed whole, so there every job of a chunk is done.
                        if group.is_none() && interrupt::requested() {
                            cancelled.store(true, Ordering::Relaxed);
                            break;
                        }
                        files.extend(process_job(job, plan, filter));
                    }
                    let done = Done {
                        seq,
                        chunk,
                        jobs: n,
                        files,
                    };
                    if done_tx.send(done).is_err() {
                        // The writer stopped. Keep draining (without work) so the walker,
                        // which sees `stop`, is never left blocked on a full channel.
                        stop.store(true, Ordering::Relaxed);
                    }
                }
            });
            drop(done_tx);
        });
        let result = match recording {
            Recording::Alone(sink) => Writer {
                rec: Recorder::new(sink, batch, plan, progress, &walked),
                filter,
                max_errors: plan.max_errors,
            }
            .run(done_rx, credit_rx),
            Recording::Member(sink, group) => MemberWriter {
                rec: Recorder::new(sink, batch, plan, progress, &walked),
                group,
                plan,
                current: None,
                cancelled: &cancelled,
            }
            .run(done_rx, credit_rx),
        };
        writer_done.store(true, Ordering::Relaxed);
        if let Some(group) = group {
            group.stop();
        }
        if !matches!(result, Ok(false)) {
            // The receivers went with the writer, which unblocks the walker and the workers.
            stop.store(true, Ordering::Relaxed);
        }
        result
    })?;
    if let Some(e) = walk_error.into_inner().unwrap() {
        return Err(e);
    }
    Ok(if stopped {
        Ended::Stopped
    } else if cancelled.load(Ordering::Relaxed) {
        Ended::Cancelled
    } else {
        Ended::Completed
    })
}

/// Everything done to one job off the writer thread: read, then for each file hash, identify
/// and parse.
fn process_job(job: Job, plan: &Plan, filter: &Filter) -> Vec<Processed> {
    let job = match job {
        // Not read, by policy: `unsupported`, with the walker's reason.
        Job {
            origin,
            size,
            mtime,
            source: JobSource::Skipped(why),
            ..
        } => {
            return vec![Processed {
                origin,
                size,
                sha256: None,
                kind: None,
                outcome: Outcome::Skipped(why),
                retries: 0,
                mtime,
                duration: Duration::ZERO,
                original: None,
            }];
        }
        job => job,
    };
    let start = Instant::now();
    let verify = job.verify.clone();
    // An original from the archive is parsed under the origin it was first imported from
    // (its documents' `path`), and recorded under its own name (`archive:<sha256>`).
    let parse_as = match &job.source {
        JobSource::Archived { path, .. } => Some(path.clone()),
        _ => None,
    };
    let items = source::load(
        job,
        &plan.walk.limits,
        filter,
        plan.walk.hidden,
        &plan.parse.mapping,
    );
    if let (Some(expected), [item]) = (&verify, items.as_slice())
        && match (&item.stream, &item.data) {
            (Some((path, _)), Ok(_)) => hash_file(path).is_ok_and(|sha| &sha == expected),
            (None, Ok(bytes)) => &format!("{:x}", Sha256::digest(bytes)) == expected,
            (_, Err(_)) => false,
        }
    {
        // Resume --verify: the bytes the ledger recorded, unchanged. Nothing to record.
        return Vec::new();
    }
    let per_file = start.elapsed() / items.len().max(1) as u32;
    items
        .into_iter()
        .map(|mut item| {
            let recorded_as = parse_as
                .clone()
                .map(|path| std::mem::replace(&mut item.origin, path));
            let mut p = process(item, &plan.parse, plan.file_timeout);
            p.duration += per_file;
            if let Some(origin) = recorded_as {
                p.origin = origin;
            }
            p
        })
        .collect()
}

/// Tests only, in debug builds only: the parser panics on the file of this origin, as a bug
/// would (release builds ignore it).
pub const PANIC_SWITCH: &str = "BATCHIMP_TEST_PARSER_PANIC";

/// Hash, identify and parse one file. Never panics: a panic in a parser becomes the file's
/// `internal_error`. A file still parsing after `timeout` fails with `timeout`.
pub fn process(item: Item, opts: &ParseOptions, timeout: Duration) -> Processed {
    let start = Instant::now();
    let Item {
        origin,
        size,
        data,
        retries,
        mtime,
        stream,
    } = item;
    let mut original = None;
    let (sha256, kind, mut outcome) = match (data, stream) {
        (Err(e), _) => (None, None, Outcome::Failed(e)),
        (Ok(_), Some((path, streamed))) => {
            // A large catalog: hashed here in blocks; the writer reads it again as it streams
            // it into the database.
            match hash_file(&path) {
                Ok(sha) => {
                    let data = catalog::Data::File(path);
                    let (kind, outcome) = match streamed {
                        Streamed::Csv(header) => (
                            catalog::KIND,
                            Outcome::Catalog(catalog::Load::new(header, data)),
                        ),
                        // calamine's panics are the workbook's errors (`xlsx_corrupt`).
                        Streamed::Workbook => format::workbook(data, opts),
                    };
                    (Some(sha), Some(kind), outcome)
                }
                Err(e) => (None, Some(catalog::KIND), Outcome::Failed(e)),
            }
        }
        (Ok(bytes), None) => {
            let sha = format!("{:x}", Sha256::digest(&bytes));
            let src = Source {
                origin: &origin,
                sha256: &sha,
                deadline: start + timeout,
            };
            let parsed = catch_unwind(AssertUnwindSafe(|| {
                #[cfg(debug_assertions)]
                if std::env::var_os(PANIC_SWITCH).is_some_and(|o| o == src.origin) {
                    panic!("{PANIC_SWITCH} names this file");
                }
                format::read(&bytes, &src, opts)
            }));
            let (kind, outcome) = parsed.unwrap_or_else(|panic| {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                let e = FileError::new(
                    ErrorType::InternalError,
                    format!("batchimp bug: parser panicked: {what}"),
                );
                (None, Outcome::Failed(e))
            });
            let outcome = match outcome {
                Outcome::Docs(_) | Outcome::Lines(_) if start.elapsed() > timeout => {
                    Outcome::Failed(src.timeout_error())
                }
                o => o,
            };
            // Only files whose documents are written (or met): a failed file is no original.
            if matches!(outcome, Outcome::Docs(_)) {
                original = crate::archive::compress(opts.archive, kind, &bytes);
            }
            (Some(sha), kind, outcome)
        }
    };
    if let Outcome::Catalog(load) = &mut outcome {
        if let Some(convention) = opts.decimal {
            load.header.set_decimal(convention);
        }
        load.header.supplier = opts.supplier.as_deref().map(str::to_owned);
    }
    Processed {
        origin: match crate::ledger::stored_origin(&origin) {
            std::borrow::Cow::Owned(cut) => cut,
            std::borrow::Cow::Borrowed(_) => origin,
        },
        size,
        sha256,
        kind,
        outcome,
        retries,
        mtime,
        duration: start.elapsed(),
        original,
    }
}

/// A file's log events: a failure (`file_failed`), transient errors overcome
/// (`file_retried`), and at `-vv` every file (`file_read`).
fn log_file(batch: i64, file: &Processed) {
    let path = file.origin.as_str();
    if let Outcome::Failed(e) = &file.outcome {
        crate::log::file_failed(batch, path, e.error_type, &e.message);
    }
    if file.retries > 0 {
        tracing::info!(
            event = "file_retried",
            batch_id = batch,
            path,
            retries = file.retries,
            "{path}: read after {} retries",
            file.retries
        );
    }
    tracing::debug!(
        event = "file_read",
        batch_id = batch,
        path,
        kind = file.kind,
        ms = file.duration.as_secs_f64() * 1000.0,
        "{path}: read as {}",
        file.kind.unwrap_or("nothing")
    );
}

/// Hex SHA-256 of a file read in blocks, for files too large to hold.
fn hash_file(path: &std::path::Path) -> Result<String, FileError> {
    let io = |e: std::io::Error| {
        FileError::new(ErrorType::IoError, format!("cannot read the file: {e}"))
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(io)?;
    Ok(format!("{:x}", hasher.finalize()))
}
