//! The writer: the one thread that owns the database. It records each job's files in walk
//! order, whatever order the workers finish them in, many per transaction, and counts them as
//! done once their transaction has landed. [`Recorder`] is what every writer does to a sink
//! (begin, record, commit, retry); [`Writer`] is a run's own, committing up to
//! [`FILES_PER_TX`] files or [`TX_MAX_AGE`]; a `--group` member's is in `member.rs`.

use super::{Done, FILES_PER_TX, TX_MAX_AGE, log_file};
use crate::format::Outcome;
use crate::ledger::{OnConflict, Processed, Walk};
use crate::progress::Progress;
use crate::sink::{self, Put, Sink};
use crate::source::Filter;
use anyhow::Result;
use crossbeam_channel::{Receiver, RecvTimeoutError};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The counting walk's progress: files found so far, and their total once counted
/// (`u64::MAX` until then).
pub(super) struct Walked {
    pub(super) found: AtomicU64,
    pub(super) total: AtomicU64,
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

/// What every writer does to its sink: transactions begun, files recorded, commits counted,
/// each database step retried when the failure is transient.
pub(super) struct Recorder<'a, S: Sink + ?Sized> {
    pub(super) sink: &'a mut S,
    pub(super) batch: i64,
    pub(super) retry: sink::Retry,
    pub(super) on_conflict: OnConflict,
    pub(super) progress: &'a Progress,
    pub(super) walked: &'a Walked,
    /// Failed files committed so far: with those that failed as they were written (a
    /// catalog's rows, a key conflict), which the parse did not see.
    pub(super) failed_landed: u64,
}

impl<'a, S: Sink + ?Sized> Recorder<'a, S> {
    pub(super) fn new(
        sink: &'a mut S,
        batch: i64,
        plan: &super::Plan,
        progress: &'a Progress,
        walked: &'a Walked,
    ) -> Recorder<'a, S> {
        Recorder {
            sink,
            batch,
            retry: plan.db_retry(),
            on_conflict: plan.on_conflict,
            progress,
            walked,
            failed_landed: 0,
        }
    }

    pub(super) fn begin(&mut self) -> Result<()> {
        self.retrying("begin a transaction", |s| s.begin())
    }

    /// Record one file in the open transaction.
    pub(super) fn record(&mut self, mut file: Processed, replace: bool) -> Result<()> {
        if let Outcome::Catalog(load) = &mut file.outcome {
            // The bar moves with the rows while the catalog streams.
            load.rows_read = self.progress.rows();
        }
        log_file(self.batch, &file);
        self.sink.record(
            self.batch,
            file,
            Put {
                replace,
                on_conflict: self.on_conflict,
            },
        )
    }

    /// Tell the sink how far the walk has got, for the batch's row at the next commit.
    pub(super) fn walked(&mut self) {
        self.sink.walked(self.walked.now());
    }

    /// Commit the open transaction; its files count as done only now.
    pub(super) fn commit(&mut self) -> Result<()> {
        let batch = self.batch;
        self.walked();
        let done = self.retrying("commit", |s| s.commit(batch))?;
        self.failed_landed += done.failed;
        self.progress.add(done);
        Ok(())
    }

    /// Wait until every commit so far has landed, and count its files.
    pub(super) fn sync(&mut self) -> Result<()> {
        let batch = self.batch;
        let done = self.retrying("commit", |s| s.sync(batch))?;
        self.failed_landed += done.failed;
        self.progress.add(done);
        Ok(())
    }

    /// Run a database step, retrying transient failures (a busy database, a lost connection)
    /// with backoff and jitter.
    pub(super) fn retrying<T>(
        &mut self,
        what: &str,
        step: impl FnMut(&mut S) -> Result<T>,
    ) -> Result<T> {
        sink::retrying(&mut *self.sink, self.retry, what, step)
    }
}

/// A run's writer: files in walk order, committed many per transaction.
pub(super) struct Writer<'a> {
    pub(super) rec: Recorder<'a, dyn Sink + 'a>,
    pub(super) filter: &'a Filter,
    /// Stop taking files after this many failures.
    pub(super) max_errors: Option<u64>,
}

impl Writer<'_> {
    /// Record every processed file in walk order; `Ok(true)` when it stopped taking files at
    /// `--max-errors` failures (the files after the last failure were not recorded).
    pub(super) fn run(mut self, rx: Receiver<Done>, credits: Receiver<()>) -> Result<bool> {
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
                        for file in files {
                            if open == 0 {
                                self.rec.begin()?;
                                opened_at = Instant::now();
                            }
                            let replace = self.filter.replaces(&file.origin);
                            let failed = matches!(file.outcome, Outcome::Failed(_));
                            self.rec.record(file, replace)?;
                            open += 1;
                            failures += u64::from(failed);
                            if self.max_errors.is_some() && self.rec.sink.wants_commit() {
                                // A catalog failing as its rows are written counts too:
                                // committed, and waited for, to know.
                                self.rec.commit()?;
                                self.rec.sync()?;
                                open = 0;
                                failures = failures.max(self.rec.failed_landed);
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
                                && (opened_at.elapsed() >= TX_MAX_AGE
                                    || self.rec.sink.wants_commit()))
                        {
                            self.rec.commit()?;
                            open = 0;
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.rec.commit()?;
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
            self.rec.commit()?;
        }
        self.rec.sync()?;
        Ok(enough)
    }
}
