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
use crate::group::{CHUNK_JOBS, Group, Turn};
use crate::interrupt;
use crate::ledger::{OnConflict, Processed, Walk};
use crate::progress::Progress;
use crate::sink::{self, Sink};
use crate::source::{self, Filter, Item, Job, JobSource, Streamed, WalkOptions, Walker};
use anyhow::{Context, Result};
use crossbeam_channel::{Receiver, RecvTimeoutError, bounded};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

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

/// Which files of the plan to process (all, the rest of a batch, its failed ones). A file the
/// ledger already holds for the batch replaces its row.
pub struct Scope<'a> {
    pub filter: &'a Filter,
    /// `--group`: this process is one member of a group; it takes the chunks it claims.
    pub group: Option<&'a Group>,
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

/// Import the plan's files into `batch`. `Err` means the database failed: what was committed
/// stays committed and recorded, and the batch can be resumed.
pub fn run(
    plan: &Plan,
    scope: &Scope,
    sink: &mut dyn Sink,
    batch: i64,
    progress: &Progress,
) -> Result<Ended> {
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
        if let Some(group) = scope.group {
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
                // In a group: the job's index in the walk, its chunk, and whether this member
                // claimed that chunk (when its first job came, with room in the window).
                let (mut index, mut group_chunk, mut mine) = (0u64, 0u64, true);
                let mut emit = |mut job: Job| {
                    if interrupt::requested() {
                        cancelled.store(true, Ordering::Relaxed);
                        return false;
                    }
                    if let Some(group) = scope.group {
                        if index % CHUNK_JOBS == 0 {
                            if !chunk.is_empty() && !send(std::mem::take(&mut chunk), group_chunk) {
                                return false;
                            }
                            group_chunk = index / CHUNK_JOBS;
                            mine = match group.claim(group_chunk) {
                                Ok(mine) => mine,
                                Err(e) => {
                                    *walk_error.lock().unwrap() = Some(e.context(format!(
                                        "cannot claim work in group {}",
                                        group.name
                                    )));
                                    return false;
                                }
                            };
                        }
                        index += 1;
                        if !mine {
                            return true;
                        }
                        group.respell(&mut job.origin);
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
                            filter: scope.filter,
                            emit: &mut emit,
                            warn: &mut warn,
                        }
                        .walk(&plan.inputs);
                    }
                    Inputs::Archive(archived) => {
                        if let Err(e) = archived.walk(scope.filter, &mut emit) {
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
                        if scope.group.is_none() && interrupt::requested() {
                            cancelled.store(true, Ordering::Relaxed);
                            break;
                        }
                        files.extend(process_job(job, plan, scope.filter));
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
        let writer = Writer {
            sink,
            batch,
            filter: scope.filter,
            retry: plan.db_retry(),
            on_conflict: plan.on_conflict,
            progress,
            walked: &walked,
            max_errors: plan.max_errors,
            failed_landed: 0,
            group: scope.group.map(|group| GroupWriter {
                group,
                plan,
                current: None,
                cancelled: &cancelled,
            }),
        };
        let result = writer.run(done_rx, credit_rx);
        writer_done.store(true, Ordering::Relaxed);
        if let Some(group) = scope.group {
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

/// The writer: records each job's files in walk order, committing in batches.
struct Writer<'a> {
    sink: &'a mut dyn Sink,
    batch: i64,
    filter: &'a Filter,
    retry: sink::Retry,
    on_conflict: OnConflict,
    progress: &'a Progress,
    walked: &'a Walked,
    /// Stop taking files after this many failures.
    max_errors: Option<u64>,
    /// Failed files committed so far: with those that failed as they were written (a
    /// catalog's rows, a key conflict), which the parse did not see.
    failed_landed: u64,
    /// `--group`: chunks committed in walk order, one transaction each.
    group: Option<GroupWriter<'a>>,
}

/// The writer's side of a group: the chunk being recorded (and how many of its jobs came).
struct GroupWriter<'a> {
    group: &'a Group,
    plan: &'a Plan,
    current: Option<(u64, u64)>,
    cancelled: &'a AtomicBool,
}

/// How long a member waiting for its turn sleeps between looks, at most: a look is one small
/// query, and every millisecond slept here is a millisecond the group's commits stand still.
const TURN_POLL_MAX: Duration = Duration::from_millis(5);

/// The counting walk's progress: files found so far, and their total once counted
/// (`u64::MAX` until then).
struct Walked {
    found: AtomicU64,
    total: AtomicU64,
}

impl Default for Walked {
    fn default() -> Walked {
        Walked {
            found: AtomicU64::new(0),
            total: AtomicU64::new(u64::MAX),
        }
    }
}

impl Walked {
    fn now(&self) -> Walk {
        let total = self.total.load(Ordering::Relaxed);
        Walk {
            found: self.found.load(Ordering::Relaxed),
            total: (total != u64::MAX).then_some(total),
        }
    }
}

impl Writer<'_> {
    /// Record every processed file in walk order; `Ok(true)` when it stopped taking files at
    /// `--max-errors` failures (the files after the last failure were not recorded).
    fn run(mut self, rx: Receiver<Done>, credits: Receiver<()>) -> Result<bool> {
        if self.group.is_some() {
            return self.run_group(rx, credits);
        }
        let mut open = 0usize;
        let mut failures = 0u64;
        let mut enough = false;
        let mut opened_at = Instant::now();
        let mut next = 0u64;
        let mut waiting: BTreeMap<u64, Vec<Processed>> = BTreeMap::new();
        loop {
            let received = if open == 0 {
                rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
            } else {
                rx.recv_timeout(TX_MAX_AGE.saturating_sub(opened_at.elapsed()))
            };
            match received {
                Ok(Done { seq, files, .. }) => {
                    waiting.insert(seq, files);
                    while let Some(files) = waiting.remove(&next) {
                        for mut file in files {
                            if let Outcome::Catalog(load) = &mut file.outcome {
                                // The bar moves with the rows while the catalog streams.
                                load.rows_read = self.progress.rows();
                            }
                            if open == 0 {
                                self.retrying("begin a transaction", |s| s.begin())?;
                                opened_at = Instant::now();
                            }
                            let replace = self.filter.replaces(&file.origin);
                            let failed = matches!(file.outcome, Outcome::Failed(_));
                            log_file(self.batch, &file);
                            self.sink
                                .record(self.batch, file, replace, self.on_conflict)?;
                            open += 1;
                            failures += u64::from(failed);
                            if self.max_errors.is_some() && self.sink.wants_commit() {
                                // A catalog failing as its rows are written counts too:
                                // committed, and waited for, to know.
                                self.commit()?;
                                self.sync()?;
                                open = 0;
                                failures = failures.max(self.failed_landed);
                            }
                            if self.max_errors.is_some_and(|max| failures >= max) {
                                enough = true;
                                break;
                            }
                        }
                        if enough {
                            break;
                        }
                        let _ = credits.try_recv();
                        next += 1;
                        if open >= FILES_PER_TX
                            || (open > 0
                                && (opened_at.elapsed() >= TX_MAX_AGE || self.sink.wants_commit()))
                        {
                            self.commit()?;
                            open = 0;
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.commit()?;
                    open = 0;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if enough {
                break;
            }
        }
        debug_assert!(
            enough || waiting.is_empty(),
            "every walked job reaches the writer"
        );
        if open > 0 {
            self.commit()?;
        }
        self.sync()?;
        Ok(enough)
    }

    /// The writer of a group member: each chunk its own transaction, committed in walk order
    /// once every earlier chunk is (redoing chunks whose member is gone while it waits); then,
    /// its own chunks done, it stays until the whole group is.
    fn run_group(mut self, rx: Receiver<Done>, credits: Receiver<()>) -> Result<bool> {
        let mut next = 0u64;
        // Work that came ahead of its turn: the workers go on parsing (up to the window) while
        // this member waits for the chunks before its own to be committed.
        let mut waiting: BTreeMap<u64, Done> = BTreeMap::new();
        loop {
            let Some(done) = waiting.remove(&next) else {
                match rx.recv() {
                    Ok(done) => {
                        waiting.insert(done.seq, done);
                        continue;
                    }
                    Err(_) => break,
                }
            };
            let g = self.group.as_mut().expect("group");
            if g.current.map(|(c, _)| c) != Some(done.chunk) {
                self.finish_chunk()?;
                if !self.wait_turn(done.chunk, Some((&rx, &mut waiting)))? {
                    return Ok(false);
                }
                self.retrying("begin a transaction", |s| s.begin())?;
                self.group.as_mut().expect("group").current = Some((done.chunk, 0));
            }
            if let Some((_, jobs)) = &mut self.group.as_mut().expect("group").current {
                *jobs += done.jobs;
            }
            for mut file in done.files {
                if let Outcome::Catalog(load) = &mut file.outcome {
                    load.rows_read = self.progress.rows();
                }
                log_file(self.batch, &file);
                self.sink
                    .record(self.batch, file, false, self.on_conflict)?;
            }
            let _ = credits.try_recv();
            next += 1;
        }
        self.finish_chunk()?;
        // This member's chunks are in; the group's may not be (a member that died holds some).
        self.wait_turn(u64::MAX, None)?;
        Ok(false)
    }

    /// Commit the chunk being recorded, when all of its jobs came (a walk cut short by Ctrl-C
    /// leaves it open: it is not committed, and the member lets it go).
    fn finish_chunk(&mut self) -> Result<()> {
        let g = self.group.as_mut().expect("group");
        let Some((chunk, jobs)) = g.current.take() else {
            return Ok(());
        };
        if jobs < g.group.chunk_len(chunk) {
            return Ok(());
        }
        self.commit_chunk(chunk)
    }

    /// Commit the open transaction as chunk `chunk`; a chunk that another member took over
    /// meanwhile is rolled back (that member records it).
    fn commit_chunk(&mut self, chunk: u64) -> Result<()> {
        let g = self.group.as_ref().expect("group");
        let claim = g.group.claim_of(chunk);
        let batch = self.batch;
        self.sink.walked(self.walked.now());
        match self.retrying("commit", |s| s.commit_claimed(batch, &claim))? {
            Some(done) => self.progress.add(done),
            None => tracing::warn!(
                event = "chunk_taken_over",
                batch_id = batch,
                chunk,
                "chunk {chunk} was taken over by another member of group {} (this member's lease ran out); its files are theirs",
                claim.group
            ),
        }
        Ok(())
    }

    /// Wait until every chunk before `chunk` is committed (`u64::MAX`: every chunk of the
    /// group), redoing the chunks of members that are gone. False when interrupted. `work`:
    /// the workers' channel, drained into the map meanwhile so that they keep parsing.
    fn wait_turn(
        &mut self,
        chunk: u64,
        mut work: Option<(&Receiver<Done>, &mut BTreeMap<u64, Done>)>,
    ) -> Result<bool> {
        let mut pause = Duration::from_micros(500);
        loop {
            let g = self.group.as_ref().expect("group");
            if interrupt::requested() {
                g.cancelled.store(true, Ordering::Relaxed);
                return Ok(false);
            }
            let chunk = chunk.min(g.group.chunks);
            match g.group.turn(chunk)? {
                Turn::Go => return Ok(true),
                Turn::Redo(lost) => {
                    if !self.redo_chunk(lost)? {
                        return Ok(false);
                    }
                    pause = Duration::from_micros(500);
                }
                Turn::Wait => {
                    // Meanwhile, take in what the workers finish, so they keep parsing.
                    let deadline = Instant::now() + pause;
                    match &mut work {
                        Some((rx, waiting)) => loop {
                            let left = deadline.saturating_duration_since(Instant::now());
                            match rx.recv_timeout(left) {
                                Ok(done) => {
                                    waiting.insert(done.seq, done);
                                }
                                Err(RecvTimeoutError::Timeout) => break,
                                Err(RecvTimeoutError::Disconnected) => {
                                    std::thread::sleep(left);
                                    break;
                                }
                            }
                        },
                        None => std::thread::sleep(pause),
                    }
                    pause = (pause * 2).min(TURN_POLL_MAX);
                }
            }
        }
    }

    /// Read and record chunk `chunk` here, on the writer's thread: a member that held it is
    /// gone. Its jobs are found by walking the inputs again. Like any chunk, it is recorded
    /// only once every chunk before it is committed (redoing those of other members that are
    /// gone first): its documents are decided against the state one run would have had there,
    /// whatever else was taken over meanwhile. False when interrupted while waiting.
    fn redo_chunk(&mut self, chunk: u64) -> Result<bool> {
        let g = self.group.as_ref().expect("group");
        let plan = g.plan;
        let (first, end) = (
            chunk * CHUNK_JOBS,
            chunk * CHUNK_JOBS + g.group.chunk_len(chunk),
        );
        tracing::info!(
            event = "chunk_redone",
            batch_id = self.batch,
            chunk,
            "taking over chunk {chunk} of group {} (its member's lease ran out)",
            g.group.name
        );
        let mut jobs = Vec::new();
        let mut index = 0u64;
        let mut emit = |mut job: Job| {
            if (first..end).contains(&index) {
                g.group.respell(&mut job.origin);
                jobs.push(job);
            }
            index += 1;
            index < end
        };
        let mut warn = |_: String| {};
        Walker {
            opts: plan.walk.clone(),
            filter: &Filter::All,
            emit: &mut emit,
            warn: &mut warn,
        }
        .walk(&plan.inputs);
        // Parsed while this member still waits for the chunks before it: the claim's lease is
        // renewed by the heartbeat meanwhile.
        let files: Vec<Processed> = jobs
            .into_iter()
            .flat_map(|job| process_job(job, plan, &Filter::All))
            .collect();
        if !self.wait_turn(chunk, None)? {
            return Ok(false);
        }
        self.retrying("begin a transaction", |s| s.begin())?;
        for file in files {
            log_file(self.batch, &file);
            self.sink
                .record(self.batch, file, false, self.on_conflict)?;
        }
        self.commit_chunk(chunk)?;
        Ok(true)
    }

    /// Commit the open transaction; its files count as done only now.
    fn commit(&mut self) -> Result<()> {
        let batch = self.batch;
        self.sink.walked(self.walked.now());
        let done = self.retrying("commit", |s| s.commit(batch))?;
        self.failed_landed += done.failed;
        self.progress.add(done);
        Ok(())
    }

    /// Wait until every commit so far has landed, and count its files.
    fn sync(&mut self) -> Result<()> {
        let batch = self.batch;
        let done = self.retrying("commit", |s| s.sync(batch))?;
        self.failed_landed += done.failed;
        self.progress.add(done);
        Ok(())
    }

    /// Run a database step, retrying transient failures (a busy database, a lost connection)
    /// with backoff and jitter.
    fn retrying<T>(
        &mut self,
        what: &str,
        step: impl FnMut(&mut dyn Sink) -> Result<T>,
    ) -> Result<T> {
        sink::retrying(&mut *self.sink, self.retry, what, step)
    }
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
                Outcome::Docs(_) if start.elapsed() > timeout => {
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
