//! `--group NAME`: several batchimp processes, on one machine or many, loading the same inputs
//! together, coordinated only through the PostgreSQL database they load into.
//!
//! Every member walks the same inputs (their listing's fingerprint must match the group's) and
//! cuts the walk into chunks of [`CHUNK_JOBS`] consecutive jobs. A member claims a chunk when
//! its walk reaches it and it has room for more work (the pipeline's window), reads and parses
//! its files, and records them — marking the chunk `committed` in the same transaction. A chunk
//! already claimed by another member is skipped, so faster members take more chunks.
//!
//! Chunks are committed in walk order: a member records chunk `k` only once every chunk before
//! it is committed ([`Group::turn`]). The database therefore ends exactly as one `batchimp run`
//! of the same inputs leaves it — which copy of a key is kept, which catalog row wins, which
//! file is `duplicate_of` which — whatever the number of members and their speed. Parsing, the
//! costly part, runs in parallel on every member; only the commits take turns.
//!
//! A claim carries a lease (`--lease`), renewed by a heartbeat thread. When a member dies its
//! leases run out and the members waiting behind its chunks take them over ([`Group::turn`]
//! hands them one to redo); a member whose chunk was taken meanwhile finds out at commit (the
//! chunk is no longer its own), rolls back, and goes on. A member leaves when every chunk of the
//! group is committed, so nothing is left to a member that dies later.

use crate::sink::postgres::ident::{Ident, Qualified};
use crate::sink::postgres::{PgTarget, connection_lost, reconnect};
use anyhow::{Context, Result, bail};
use postgres::Client;
use postgres::types::Type;
use sha2::{Digest, Sha256};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Jobs (files and ZIP members, in walk order) per chunk: one transaction each.
pub const CHUNK_JOBS: u64 = 256;

/// Default `--lease`.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

/// This process, as the group's tables name it: `host:pid`.
pub fn member_name() -> String {
    crate::ledger::this_process()
}

/// The inputs' listing, as every member must see it: how many jobs the walk yields and a
/// digest of their names (relative to their input, so machines may mount the shared folder in
/// different places) and sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub jobs: u64,
    pub fingerprint: String,
}

/// A [`Listing`] being made, job by job.
#[derive(Default)]
pub struct ListingBuilder {
    hash: Sha256,
    jobs: u64,
}

impl ListingBuilder {
    /// One job of input number `input`: its origin with the input's own path taken off.
    pub fn add(&mut self, input: usize, relative: &str, size: u64) {
        self.hash.update((input as u64).to_le_bytes());
        self.hash.update((relative.len() as u64).to_le_bytes());
        self.hash.update(relative.as_bytes());
        self.hash.update(size.to_le_bytes());
        self.jobs += 1;
    }

    pub fn finish(self) -> Listing {
        let digest = self.hash.finalize();
        Listing {
            jobs: self.jobs,
            fingerprint: digest[..12].iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

pub use crate::sink::Claim;

/// What joining a group found.
pub enum Joined {
    /// This member created the group and its batch.
    Created(i64),
    /// The group's work is in progress (or was interrupted): this member joins it.
    Joined(i64),
    /// Every chunk is committed: nothing to do.
    Finished(i64),
}

/// What a member waiting to commit chunk `k` should do.
pub enum Turn {
    /// Every chunk before `k` is committed.
    Go,
    /// This member has just claimed an earlier chunk whose member is gone (its lease ran out,
    /// or it let the chunk go): read and record it first.
    Redo(u64),
    /// Earlier chunks are still being worked on by live members.
    Wait,
}

/// One member's connection to its group. Shared by the walker (claims), the writer (turns,
/// recoveries) and the heartbeat (leases).
pub struct Group {
    pub name: String,
    pub member: String,
    pub lease: Duration,
    pub jobs: u64,
    pub chunks: u64,
    /// `None` once the connection was lost, until the next statement connects again.
    client: Mutex<Option<Client>>,
    target: PgTarget,
    /// How long a lost connection is tried again (`--db-retry-for`).
    lost_for: Duration,
    /// The group's tables in batchimp's schema: every statement names them so (no session
    /// `search_path`, so transaction-mode poolers work).
    tables: Tables,
    /// Statements sent to coordinate (claims, turns, lease renewals, chunks marked
    /// committed): what the group costs beyond the loading itself.
    pub round_trips: std::sync::atomic::AtomicU64,
    stopped: AtomicBool,
    /// This member's inputs as typed → the group's (its batch's) spelling of the same inputs,
    /// where they differ: every member records origins as the group's first member named them.
    spelling: Vec<(String, String)>,
}

/// A chunk no live member holds.
const CLAIMABLE: &str = "(state = 'free' OR (state = 'claimed' AND lease_until < now()))";
/// A chunk this member (`$3`) holds.
const MINE: &str = "(state = 'claimed' AND member = $3)";

/// A lease running out `$4` milliseconds from now.
const LEASE_UNTIL: &str = "now() + $4::bigint * interval '1 millisecond'";

/// The group's two tables (and the ledger's batches), named in batchimp's schema.
#[derive(Debug, Clone)]
struct Tables {
    groups: Qualified,
    chunks: Qualified,
    batches: Qualified,
}

impl Tables {
    fn in_schema(schema: &str) -> Result<Tables> {
        let schema = Ident::new(schema)?;
        Ok(Tables {
            groups: schema.table("batch_groups"),
            chunks: schema.table("group_chunks"),
            batches: schema.table("batches"),
        })
    }
}

impl Group {
    /// Connect to the group's database on a connection of its own (the tables exist: the sink
    /// has migrated them).
    pub fn connect(
        target: &PgTarget,
        name: &str,
        lease: Duration,
        lost_for: Duration,
    ) -> Result<Group> {
        let client = target.settings.connect()?;
        Ok(Group {
            target: target.clone(),
            lost_for,
            tables: Tables::in_schema(&target.schema)?,
            name: name.to_owned(),
            member: member_name(),
            lease,
            jobs: 0,
            chunks: 0,
            client: Mutex::new(Some(client)),
            round_trips: Default::default(),
            stopped: AtomicBool::new(false),
            spelling: Vec::new(),
        })
    }

    /// Record origins as the group names its inputs (`group`, its batch's inputs), whatever
    /// path this member was given for them (`mine`, in the same order: the listings match).
    pub fn spell_like(&mut self, mine: &[std::path::PathBuf], group: &[String]) {
        let trim = |s: &str| {
            let t = s.trim_end_matches('/');
            if t.is_empty() {
                s.to_owned()
            } else {
                t.to_owned()
            }
        };
        self.spelling = mine
            .iter()
            .zip(group)
            .map(|(m, g)| (trim(&m.display().to_string()), trim(g)))
            .filter(|(m, g)| m != g)
            .collect();
    }

    /// `origin` (one of this member's) in the group's spelling.
    pub fn respell(&self, origin: &mut String) {
        for (mine, group) in &self.spelling {
            if let Some(rest) = origin.strip_prefix(mine.as_str())
                && (rest.is_empty() || rest.starts_with('/') || rest.starts_with("!/"))
            {
                *origin = format!("{group}{rest}");
                return;
            }
        }
    }

    /// This member's lease, in milliseconds, a statement's parameter.
    fn lease_ms(&self) -> String {
        self.lease.as_millis().max(1).to_string()
    }

    /// Run `f` on the group's connection. A connection lost (a server restarting, a network
    /// cut) is made again and `f` run again, for up to `--db-retry-for` — or not at all when
    /// `!retry` (a lease renewal: the next beat tries again anyway). Every statement `f` runs is
    /// one whose repetition does what running it once does: claims take a chunk this member
    /// holds already, too.
    fn on_db<T>(
        &self,
        retry: bool,
        mut f: impl FnMut(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T> {
        let mut lost_since: Option<Instant> = None;
        let mut attempt = 0;
        loop {
            let result = {
                let mut client = self.client.lock().unwrap_or_else(|e| e.into_inner());
                if client.as_ref().is_none_or(Client::is_closed) {
                    *client = None;
                    match reconnect(&self.target) {
                        Ok(c) => *client = Some(c),
                        Err(e) => {
                            drop(client);
                            self.lost(retry, e, &mut lost_since, &mut attempt)?;
                            continue;
                        }
                    }
                }
                f(client.as_mut().expect("connected")).map_err(anyhow::Error::from)
            };
            match result {
                Ok(v) => return Ok(v),
                Err(e) if connection_lost(&e) => {
                    self.lost(retry, e, &mut lost_since, &mut attempt)?
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The connection was lost (`e`): `Ok` after waiting when it is worth another try, `Err`
    /// once `--db-retry-for` has passed since it was first lost.
    fn lost(
        &self,
        retry: bool,
        e: anyhow::Error,
        since: &mut Option<Instant>,
        attempt: &mut u32,
    ) -> Result<()> {
        let since = *since.get_or_insert_with(Instant::now);
        let left = self.lost_for.saturating_sub(since.elapsed());
        if !retry {
            return Err(e);
        }
        if left.is_zero() {
            let tried = humantime::format_duration(self.lost_for);
            return Err(e).with_context(|| {
                format!(
                    "cannot coordinate group {} (the database stayed unreachable for {tried}, --db-retry-for)",
                    self.name
                )
            });
        }
        *attempt += 1;
        tracing::warn!(
            target: crate::log::RETRY,
            event = "database_retry",
            what = "coordinate the group",
            attempt = *attempt,
            error = %format!("{e:#}"),
            "cannot coordinate group {} ({e:#}); retry {attempt}, for {} s more",
            self.name,
            left.as_secs_f64().ceil()
        );
        let pause =
            Duration::from_millis(1000 << (*attempt - 1).min(2)).min(Duration::from_secs(5));
        std::thread::sleep(pause.min(left));
        Ok(())
    }

    /// Join the group `name`, creating it (and its batch, by `start_batch`) when it does not
    /// exist. Inputs whose listing differs from the group's are refused.
    ///
    /// No transaction here waits on another connection (the sink's `start_batch`) while it
    /// holds locks: members that start together on a new schema would deadlock with each
    /// other's migrations. The batch is started first; the group row and its chunks then go in
    /// one transaction, and a member that finds the group created meanwhile drops its unused
    /// batch.
    pub fn join(
        &mut self,
        listing: &Listing,
        start_batch: &mut dyn FnMut() -> Result<i64>,
    ) -> Result<Joined> {
        let chunks = listing.jobs.div_ceil(CHUNK_JOBS);
        let joined = match self.find(listing)? {
            Some(joined) => joined,
            None => {
                let batch = start_batch()?;
                let Tables {
                    groups,
                    chunks: chunk_table,
                    ..
                } = &self.tables;
                let (group_sql, chunks_sql) = (
                    format!("INSERT INTO {groups} (name, batch_id, fingerprint, jobs, chunk_jobs, created_at)
                         VALUES ($1, $2::bigint, $3, $4::bigint, $5::bigint, now())
                         ON CONFLICT (name) DO NOTHING RETURNING batch_id"),
                    format!("INSERT INTO {chunk_table} (group_name, chunk, state)
                         SELECT $1, n, 'free' FROM generate_series(0, $2::bigint - 1) AS n"),
                );
                // The group row and its chunks in one transaction. Repeated after a lost
                // answer, the first attempt's group is found: this member made it.
                self.on_db(true, |c| {
                    let mut tx = c.transaction()?;
                    let created = tx.query_typed(
                        &group_sql,
                        &[
                            (&self.name, Type::TEXT),
                            (&batch.to_string(), Type::TEXT),
                            (&listing.fingerprint, Type::TEXT),
                            (&listing.jobs.to_string(), Type::TEXT),
                            (&CHUNK_JOBS.to_string(), Type::TEXT),
                        ],
                    )?;
                    if !created.is_empty() {
                        tx.query_typed(
                            &chunks_sql,
                            &[(&self.name, Type::TEXT), (&chunks.to_string(), Type::TEXT)],
                        )?;
                    }
                    tx.commit()
                })?;
                match self
                    .find(listing)?
                    .ok_or_else(|| anyhow::anyhow!("group {:?} vanished", self.name))?
                {
                    Joined::Joined(b) if b == batch => Joined::Created(batch),
                    found => {
                        // Another member created the group first: this batch holds nothing.
                        let sql = format!(
                            "DELETE FROM {} WHERE id = $1::bigint AND files = 0",
                            self.tables.batches
                        );
                        self.on_db(true, |c| {
                            c.execute_typed(&sql, &[(&batch.to_string(), Type::TEXT)])
                        })?;
                        found
                    }
                }
            }
        };
        self.jobs = listing.jobs;
        self.chunks = chunks;
        Ok(joined)
    }

    /// The group as stored, if it exists: `Joined` or `Finished`; an error when its inputs
    /// are not these.
    fn find(&self, listing: &Listing) -> Result<Option<Joined>> {
        let sql = format!(
            "SELECT batch_id, fingerprint, jobs, finished FROM {} WHERE name = $1",
            self.tables.groups
        );
        let found = self.on_db(true, |c| c.query_typed(&sql, &[(&self.name, Type::TEXT)]))?;
        let Some(row) = found.first() else {
            return Ok(None);
        };
        let (batch, fingerprint, jobs, finished): (i64, String, i64, i64) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        if fingerprint != listing.fingerprint || jobs as u64 != listing.jobs {
            bail!(
                "group {:?} loads other inputs: its listing has {jobs} files (fingerprint {fingerprint}), these inputs list {} (fingerprint {}); every member of a group must be given the same files (or name another group)",
                self.name,
                listing.jobs,
                listing.fingerprint
            );
        }
        Ok(Some(if finished != 0 {
            Joined::Finished(batch)
        } else {
            Joined::Joined(batch)
        }))
    }

    /// Claim chunk `chunk` if it is free (or its member's lease ran out). False when another
    /// member has it, or it is committed. True, too, when this member holds it already: a
    /// claim repeated because its answer was lost.
    pub fn claim(&self, chunk: u64) -> Result<bool> {
        let which = format!("$2::bigint AND ({CLAIMABLE} OR {MINE})");
        Ok(self.claim_where(&which, chunk)?.is_some())
    }

    /// Whether this member may commit chunk `chunk` now (see [`Turn`]).
    pub fn turn(&self, chunk: u64) -> Result<Turn> {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        let sql = format!(
            "SELECT count(*) FROM {} WHERE group_name = $1 AND chunk < $2::bigint
                AND state <> 'committed'",
            self.tables.chunks
        );
        let pending = self.on_db(true, |c| {
            c.query_typed(
                &sql,
                &[(&self.name, Type::TEXT), (&chunk.to_string(), Type::TEXT)],
            )
        })?[0]
            .get::<_, i64>(0);
        if pending == 0 {
            return Ok(Turn::Go);
        }
        // The first chunk before `chunk` that no live member holds: free (a member let it go)
        // or claimed by a member whose lease ran out; one being claimed this instant is skipped.
        // Or one this member claimed while the answer was lost: it is this member's to redo.
        let which = format!(
            "(SELECT chunk FROM {} WHERE group_name = $1 AND chunk < $2::bigint
                AND ({CLAIMABLE} OR {MINE}) ORDER BY chunk LIMIT 1 FOR UPDATE SKIP LOCKED)",
            self.tables.chunks
        );
        Ok(match self.claim_where(&which, chunk)? {
            Some(c) => Turn::Redo(c),
            None => Turn::Wait,
        })
    }

    /// Claim the chunk `which` selects (SQL in which `$2` is `n`, `$3` this member, `$4` the
    /// lease); the chunk claimed.
    fn claim_where(&self, which: &str, n: u64) -> Result<Option<u64>> {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        let sql = format!(
            "UPDATE {} SET state = 'claimed', member = $3, lease_until = {LEASE_UNTIL},
                claimed_at = now(), claims = claims + 1
             WHERE group_name = $1 AND chunk = {which}
             RETURNING chunk",
            self.tables.chunks
        );
        let lease = self.lease_ms();
        let rows = self.on_db(true, |c| {
            c.query_typed(
                &sql,
                &[
                    (&self.name, Type::TEXT),
                    (&n.to_string(), Type::TEXT),
                    (&self.member, Type::TEXT),
                    (&lease, Type::TEXT),
                ],
            )
        })?;
        Ok(rows.first().map(|r| r.get::<_, i64>(0) as u64))
    }

    /// Renew the leases of every chunk this member holds. Tried once: the heartbeat tries
    /// again at its next beat.
    pub fn renew(&self) -> Result<()> {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        let sql = format!(
            "UPDATE {} SET lease_until = now() + $3::bigint * interval '1 millisecond'
             WHERE group_name = $1 AND member = $2 AND state = 'claimed'",
            self.tables.chunks
        );
        let lease = self.lease_ms();
        self.on_db(false, |c| {
            c.execute_typed(
                &sql,
                &[
                    (&self.name, Type::TEXT),
                    (&self.member, Type::TEXT),
                    (&lease, Type::TEXT),
                ],
            )
        })?;
        Ok(())
    }

    /// Let every chunk this member holds go (Ctrl-C, a failure), for the others to take now
    /// rather than when the lease runs out.
    pub fn release(&self) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET state = 'free', member = NULL, lease_until = NULL
             WHERE group_name = $1 AND member = $2 AND state = 'claimed'",
            self.tables.chunks
        );
        self.on_db(true, |c| {
            c.execute_typed(
                &sql,
                &[(&self.name, Type::TEXT), (&self.member, Type::TEXT)],
            )
        })?;
        Ok(())
    }

    /// Mark the group finished; true for the one member that does it (it closes the batch).
    /// When the answer is lost and the mark repeated, no member closes it: the next member
    /// started, `resume --group` or `retry --group` does.
    pub fn finish(&self) -> Result<bool> {
        let sql = format!(
            "UPDATE {} SET finished = 1 WHERE name = $1 AND finished = 0",
            self.tables.groups
        );
        let n = self.on_db(true, |c| c.execute_typed(&sql, &[(&self.name, Type::TEXT)]))?;
        Ok(n == 1)
    }

    /// Renew this member's leases every third of a lease until [`Group::stop`]. A renewal that
    /// fails is tried again at the next beat; meanwhile the lease may run out and the chunk go
    /// to another member, which the commit then finds out.
    pub fn heartbeat(&self) {
        let beat = (self.lease / 3).max(Duration::from_millis(50));
        let step = Duration::from_millis(20);
        let mut since = Duration::ZERO;
        while !self.stopped.load(Ordering::Relaxed) {
            std::thread::sleep(step);
            since += step;
            if since >= beat {
                since = Duration::ZERO;
                if let Err(e) = self.renew() {
                    tracing::warn!(event = "lease_renewal_failed", group = %self.name, "cannot renew the group's leases: {e:#}");
                }
            }
        }
    }

    /// End the heartbeat.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
    }

    /// The claim the writer's transaction marks committed (one more round trip, in it).
    pub fn claim_of(&self, chunk: u64) -> Claim {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        Claim {
            group: self.name.clone(),
            chunk,
            member: self.member.clone(),
        }
    }

    /// How many jobs chunk `chunk` holds (the last one may hold fewer).
    pub fn chunk_len(&self, chunk: u64) -> u64 {
        CHUNK_JOBS.min(self.jobs - chunk * CHUNK_JOBS)
    }
}

/// The listing of `inputs` as the pipeline's walk yields it (jobs in walk order), without
/// reading any file: names from folders and ZIP central directories.
pub fn listing(inputs: &[std::path::PathBuf], opts: crate::source::WalkOptions) -> Listing {
    let prefixes: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    let mut listing = ListingBuilder::default();
    let mut emit = |job: crate::source::Job| {
        let (input, relative) = prefixes
            .iter()
            .enumerate()
            .find_map(|(i, p)| job.origin.strip_prefix(p.as_str()).map(|r| (i, r)))
            .unwrap_or((usize::MAX, job.origin.as_str()));
        listing.add(input, relative, job.size);
        true
    };
    let mut warn = |_: String| {};
    crate::source::Walker {
        opts,
        filter: &crate::source::Filter::All,
        emit: &mut emit,
        warn: &mut warn,
    }
    .walk(inputs);
    listing.finish()
}

/// What one member of a group did, from its committed chunks.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MemberReport {
    pub member: String,
    pub chunks: u64,
    pub files: u64,
    pub imported: u64,
    pub duplicate: u64,
    pub failed: u64,
    pub unsupported: u64,
    /// From its first claim to its last commit.
    pub seconds: f64,
    pub files_per_second: f64,
}

/// A group as `report --group` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GroupReport {
    pub name: String,
    pub batch_id: i64,
    pub finished: bool,
    /// Files and ZIP members the inputs list (a ZIP inside a ZIP counts once).
    pub listed: u64,
    pub chunks: u64,
    pub chunks_committed: u64,
    /// Claims beyond one per chunk: chunks taken over from a member that was gone.
    pub chunks_taken_over: u64,
    pub members: Vec<MemberReport>,
}

/// The group `name`, read on `client` from batchimp's `schema`.
pub fn report(client: &mut Client, schema: &str, name: &str) -> Result<GroupReport> {
    let Tables { groups, chunks, .. } = Tables::in_schema(schema)?;
    let rows = client.query_typed(
        &format!("SELECT batch_id, finished, jobs FROM {groups} WHERE name = $1"),
        &[(&name, Type::TEXT)],
    )?;
    let Some(g) = rows.first() else {
        bail!("no group {name:?} in this database");
    };
    let (batch_id, finished, jobs): (i64, i64, i64) = (g.get(0), g.get(1), g.get(2));
    let c = client.query_typed_one(
        &format!(
            "SELECT count(*), count(*) FILTER (WHERE state = 'committed'),
            coalesce(sum(greatest(claims - 1, 0)), 0)::bigint
         FROM {chunks} WHERE group_name = $1"
        ),
        &[(&name, Type::TEXT)],
    )?;
    let members = client.query_typed(
        &format!(
            "SELECT member, count(*), sum(files)::bigint, sum(imported)::bigint,
            sum(duplicate)::bigint, sum(failed)::bigint, sum(unsupported)::bigint,
            extract(epoch FROM max(committed_at) - min(claimed_at))::float8
         FROM {chunks} WHERE group_name = $1 AND state = 'committed'
         GROUP BY member ORDER BY member"
        ),
        &[(&name, Type::TEXT)],
    )?;
    let n = |r: &postgres::Row, i: usize| r.get::<_, Option<i64>>(i).unwrap_or(0) as u64;
    Ok(GroupReport {
        name: name.to_owned(),
        batch_id,
        finished: finished != 0,
        listed: jobs as u64,
        chunks: c.get::<_, i64>(0) as u64,
        chunks_committed: c.get::<_, i64>(1) as u64,
        chunks_taken_over: c.get::<_, i64>(2) as u64,
        members: members
            .iter()
            .map(|r| {
                let seconds = r.get::<_, Option<f64>>(7).unwrap_or(0.0);
                let files = n(r, 2);
                MemberReport {
                    member: r.get(0),
                    chunks: n(r, 1),
                    files,
                    imported: n(r, 3),
                    duplicate: n(r, 4),
                    failed: n(r, 5),
                    unsupported: n(r, 6),
                    seconds,
                    files_per_second: if seconds > 0.0 {
                        files as f64 / seconds
                    } else {
                        0.0
                    },
                }
            })
            .collect(),
    })
}

/// The groups' batches: batch id → group name (none in a schema an older batchimp made).
pub fn names(client: &mut Client, schema: &str) -> Result<std::collections::HashMap<i64, String>> {
    if !crate::sink::postgres::has_table(client, schema, "batch_groups")? {
        return Ok(Default::default());
    }
    let rows = client.query_typed(
        &format!(
            "SELECT batch_id, name FROM {}",
            Tables::in_schema(schema)?.groups
        ),
        &[],
    )?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Connect for reading a group's tables (`report --group`, `resume --group`).
pub fn connect_reader(target: &PgTarget) -> Result<Client> {
    target.settings.connect()
}
