//! The import pipeline, three stages joined by bounded channels:
//!
//! ```text
//! walker thread ──items──▶ rayon pool (--workers) ──processed──▶ writer (this thread, owns the sink)
//! ```
//!
//! - The walker reads files and ZIP members in a stable order. Its channel holds a few items per
//!   worker: enough to keep workers busy, little enough that memory stays flat.
//! - Workers hash, sniff and parse: the CPU-bound part, in parallel.
//! - One writer owns the database connection and commits many files per transaction (up to
//!   [`FILES_PER_TX`] files or [`TX_MAX_AGE`], whichever comes first), so a crash loses at most one
//!   transaction of work, and the ledger says exactly which files are in.
//! - The writer records files in walk order, whatever order workers finish them in: the first
//!   copy of a document in walk order is the one imported, so the same inputs always give the
//!   same database and report. At most [`WINDOW`] files are between the walker and the writer,
//!   which bounds memory even when one slow file holds up the ones behind it.

use crate::error::{ErrorType, FileError};
use crate::format::{self, ParseOptions, Source};
use crate::ledger::{Counts, Outcome, Processed};
use crate::progress::Progress;
use crate::sink::Sink;
use crate::source::{self, Item, WalkOptions, Walker};
use anyhow::{Context, Result};
use crossbeam_channel::{Receiver, RecvTimeoutError, bounded};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Most files in one transaction: large enough that commits are a small share of the time.
pub const FILES_PER_TX: usize = 2000;
/// Longest a transaction stays open, so the ledger (and `batchimp list`) keep up with a slow run.
pub const TX_MAX_AGE: Duration = Duration::from_millis(500);

/// Most files walked but not yet recorded.
pub const WINDOW: usize = 256;

/// What a run needs to know, already validated.
#[derive(Debug, Clone)]
pub struct Plan {
    pub inputs: Vec<PathBuf>,
    pub workers: usize,
    pub walk: WalkOptions,
    pub parse: ParseOptions,
}

/// Import every file of the plan into `batch`. `Err` means the database failed: what was
/// committed stays committed and recorded, and the batch should be marked failed.
pub fn run(plan: &Plan, sink: &mut dyn Sink, batch: i64, progress: &Progress) -> Result<Counts> {
    let (item_tx, item_rx) = bounded::<(u64, Item)>(plan.workers * 4);
    let (done_tx, done_rx) = bounded::<(u64, Processed)>(plan.workers * 16);
    // One credit per file in flight: the walker takes one before emitting, the writer returns it
    // after recording.
    let (credit_tx, credit_rx) = bounded::<()>(WINDOW);
    let stop = AtomicBool::new(false);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(plan.workers)
        .thread_name(|i| format!("batchimp-parse-{i}"))
        .build()
        .context("cannot start the worker threads")?;

    std::thread::scope(|scope| {
        if progress.is_visible() {
            scope.spawn(|| progress.set_total(source::count(&plan.inputs, plan.walk)));
        }
        scope.spawn(|| {
            let mut seq = 0u64;
            let mut emit = |item: Item| {
                let ok = !stop.load(Ordering::Relaxed)
                    && credit_tx.send(()).is_ok()
                    && item_tx.send((seq, item)).is_ok();
                seq += 1;
                ok
            };
            let mut warn = |msg: String| progress.println(&format!("batchimp: {msg}"));
            Walker {
                opts: plan.walk,
                emit: &mut emit,
                warn: &mut warn,
            }
            .walk(&plan.inputs);
            drop(item_tx);
        });
        scope.spawn(|| {
            let parse = plan.parse;
            pool.install(|| {
                item_rx
                    .into_iter()
                    .par_bridge()
                    .for_each_with(done_tx, |tx, (seq, item)| {
                        if !stop.load(Ordering::Relaxed) {
                            let _ = tx.send((seq, process(item, &parse)));
                        }
                    })
            });
        });
        let result = write(sink, batch, done_rx, credit_rx, progress);
        if result.is_err() {
            // The receivers are gone with `write`, which unblocks the walker and the workers.
            stop.store(true, Ordering::Relaxed);
        }
        result
    })?;
    Ok(progress.counts())
}

/// The writer: record each processed file in walk order, committing in batches.
fn write(
    sink: &mut dyn Sink,
    batch: i64,
    rx: Receiver<(u64, Processed)>,
    credits: Receiver<()>,
    progress: &Progress,
) -> Result<()> {
    let mut open = 0usize;
    let mut opened_at = Instant::now();
    let mut next = 0u64;
    let mut waiting: BTreeMap<u64, Processed> = BTreeMap::new();
    loop {
        let received = if open == 0 {
            rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            rx.recv_timeout(TX_MAX_AGE.saturating_sub(opened_at.elapsed()))
        };
        match received {
            Ok((seq, file)) => {
                waiting.insert(seq, file);
                while let Some(file) = waiting.remove(&next) {
                    if open == 0 {
                        sink.begin()?;
                        opened_at = Instant::now();
                    }
                    let status = sink.record(batch, &file)?;
                    progress.record(status);
                    let _ = credits.try_recv();
                    next += 1;
                    open += 1;
                    if open >= FILES_PER_TX || opened_at.elapsed() >= TX_MAX_AGE {
                        sink.commit(batch)?;
                        open = 0;
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                sink.commit(batch)?;
                open = 0;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    debug_assert!(waiting.is_empty(), "every walked file reaches the writer");
    if open > 0 {
        sink.commit(batch)?;
    }
    Ok(())
}

/// Everything done to one file off the writer thread: hash, identify, parse. Never panics: a
/// panic in a parser becomes the file's `internal_error`.
pub fn process(item: Item, opts: &ParseOptions) -> Processed {
    let start = Instant::now();
    let Item { origin, size, data } = item;
    let (sha256, kind, outcome) = match data {
        Err(e) => (None, None, Outcome::Failed(e)),
        Ok(bytes) => {
            let sha = format!("{:x}", Sha256::digest(&bytes));
            let (kind, outcome) = match catch_unwind(AssertUnwindSafe(|| {
                identify_and_parse(&bytes, &origin, &sha, opts)
            })) {
                Ok(r) => r,
                Err(panic) => {
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
                }
            };
            (Some(sha), kind, outcome)
        }
    };
    Processed {
        origin,
        size,
        sha256,
        kind,
        outcome,
        duration: start.elapsed(),
    }
}

fn identify_and_parse(
    bytes: &[u8],
    origin: &str,
    sha256: &str,
    opts: &ParseOptions,
) -> (Option<&'static str>, Outcome) {
    if bytes.is_empty() {
        return (
            None,
            Outcome::Failed(FileError::new(ErrorType::EmptyFile, "the file is empty")),
        );
    }
    let sniff = match format::sniff(bytes) {
        Ok(s) => s,
        Err(e) => return (Some("xml"), Outcome::Failed(e)),
    };
    let Some(f) = format::detect(&sniff) else {
        return (Some(sniff.generic_kind), Outcome::Unsupported);
    };
    let src = Source { origin, sha256 };
    let outcome = match f.parse(bytes, &src, opts) {
        Ok(docs) => Outcome::Docs(docs),
        Err(e) => Outcome::Failed(e),
    };
    (Some(f.kind()), outcome)
}
