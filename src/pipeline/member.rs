//! A `--group` member's side of the pipeline: which walked jobs are its own ([`Claims`], on
//! the walker's thread) and how its writer records them ([`MemberWriter`]): each chunk its
//! own transaction, committed in the group's walk order once every earlier chunk is, redoing
//! the chunks of members that are gone. The group itself (claims, turns, leases) is
//! [`crate::group`]; the sink commits a chunk through [`ChunkSink`].

use super::writer::Recorder;
use super::{Done, process_job};
use crate::group::{CHUNK_JOBS, Group, Turn};
use crate::interrupt;
use crate::ledger::Processed;
use crate::sink::ChunkSink;
use crate::source::{Filter, Job, Walker};
use anyhow::Result;
use crossbeam_channel::{Receiver, RecvTimeoutError};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a member waiting for its turn sleeps between looks, at most: a look is one small
/// query, and every millisecond slept here is a millisecond the group's commits stand still.
const TURN_POLL_MAX: Duration = Duration::from_millis(5);

/// The walker's side: a member claims a chunk when the walk reaches its first job (with room
/// in the window, since the walker waits for credits), and takes only the jobs of the chunks
/// it claimed.
pub(super) struct Claims<'a> {
    group: &'a Group,
    /// The next job's index in the walk.
    index: u64,
    chunk: u64,
    mine: bool,
}

impl<'a> Claims<'a> {
    pub(super) fn new(group: &'a Group) -> Claims<'a> {
        Claims {
            group,
            index: 0,
            chunk: 0,
            mine: false,
        }
    }

    /// Whether the next job starts a chunk: the jobs gathered so far belong to the one
    /// before, and go to the workers before the new chunk is claimed (the walker then waits
    /// for room in the window, so a member claims only what it has room for).
    pub(super) fn starts_chunk(&self) -> bool {
        self.index.is_multiple_of(CHUNK_JOBS)
    }

    /// The chunk of the next job when it is this member's (claimed now when the job is its
    /// first), the job renamed as the group spells its inputs; `None` when another member's.
    pub(super) fn take(&mut self, job: &mut Job) -> Result<Option<u64>> {
        if self.starts_chunk() {
            self.chunk = self.index / CHUNK_JOBS;
            self.mine = self.group.claim(self.chunk).map_err(|e| {
                e.context(format!("cannot claim work in group {}", self.group.name))
            })?;
        }
        self.index += 1;
        if !self.mine {
            return Ok(None);
        }
        self.group.respell(&mut job.origin);
        Ok(Some(self.chunk))
    }
}

/// A member's writer.
pub(super) struct MemberWriter<'a> {
    pub(super) rec: Recorder<'a, dyn ChunkSink + 'a>,
    pub(super) group: &'a Group,
    pub(super) plan: &'a super::Plan,
    /// The chunk being recorded, and how many of its jobs came.
    pub(super) current: Option<(u64, u64)>,
    pub(super) cancelled: &'a AtomicBool,
}

impl MemberWriter<'_> {
    /// Record this member's chunks in the group's walk order; then, its own chunks done, stay
    /// until the whole group's are (a member that died holds some).
    pub(super) fn run(mut self, rx: Receiver<Done>, credits: Receiver<()>) -> Result<bool> {
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
            if self.current.map(|(c, _)| c) != Some(done.chunk) {
                self.finish_chunk()?;
                if !self.wait_turn(done.chunk, Some((&rx, &mut waiting)))? {
                    return Ok(false);
                }
                self.rec.begin()?;
                self.current = Some((done.chunk, 0));
            }
            if let Some((_, jobs)) = &mut self.current {
                *jobs += done.jobs;
            }
            for file in done.files {
                self.rec.record(file, false)?;
            }
            let _ = credits.try_recv();
            next += 1;
        }
        self.finish_chunk()?;
        self.wait_turn(u64::MAX, None)?;
        Ok(false)
    }

    /// Commit the chunk being recorded, when all of its jobs came (a walk cut short by Ctrl-C
    /// leaves it open: it is not committed, and the member lets it go).
    fn finish_chunk(&mut self) -> Result<()> {
        let Some((chunk, jobs)) = self.current.take() else {
            return Ok(());
        };
        if jobs < self.group.chunk_len(chunk) {
            return Ok(());
        }
        self.commit_chunk(chunk)
    }

    /// Commit the open transaction as chunk `chunk`; a chunk that another member took over
    /// meanwhile is rolled back (that member records it).
    fn commit_chunk(&mut self, chunk: u64) -> Result<()> {
        let claim = self.group.claim_of(chunk);
        let batch = self.rec.batch;
        self.rec.walked();
        match self
            .rec
            .retrying("commit", |s| s.commit_chunk(batch, &claim))?
        {
            Some(done) => self.rec.progress.add(done),
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
            if interrupt::requested() {
                self.cancelled.store(true, Ordering::Relaxed);
                return Ok(false);
            }
            let chunk = chunk.min(self.group.chunks);
            match self.group.turn(chunk)? {
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
        let (group, plan) = (self.group, self.plan);
        let (first, end) = (
            chunk * CHUNK_JOBS,
            chunk * CHUNK_JOBS + group.chunk_len(chunk),
        );
        tracing::info!(
            event = "chunk_redone",
            batch_id = self.rec.batch,
            chunk,
            "taking over chunk {chunk} of group {} (its member's lease ran out)",
            group.name
        );
        let mut jobs = Vec::new();
        let mut index = 0u64;
        let mut emit = |mut job: Job| {
            if (first..end).contains(&index) {
                group.respell(&mut job.origin);
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
        self.rec.begin()?;
        for file in files {
            self.rec.record(file, false)?;
        }
        self.commit_chunk(chunk)?;
        Ok(true)
    }
}
