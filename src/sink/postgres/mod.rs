//! PostgreSQL, the remote database most teams keep their fiscal data in. batchimp's tables
//! live in one schema (`--schema`, default `batchimp`), created and migrated on first use from
//! the same definitions SQLite's are made from.
//!
//! The writer gathers the files the pipeline records and writes them when the transaction
//! commits, with COPY ([`tx`]): a few round trips per transaction, not one per file. The files
//! stay in memory until the commit is known to have landed, so a lost connection costs a
//! reconnect and a redo of that one transaction: a commit whose answer was lost is settled by
//! reading the batch's commit count in the ledger, never by guessing. Nothing outlives a
//! transaction on the server (the schema is set per transaction, statements are unnamed,
//! staging tables are dropped at commit), so transaction-mode poolers work.

mod connect;
mod copy;
mod guard;
pub mod ident;
mod tls;
mod tx;

pub use connect::{ConnectError, ConnectErrorKind, RequireAuth, Settings, redact};
pub use tls::SslMode;

use super::history::{self, PruneSql};
use super::schema::{self, Dialect};
use super::{BatchStart, Claim, Sink};
use crate::ledger::REJECTED_SAMPLE;
use crate::ledger::{BatchFilter, BatchInfo, FailureExample, FileEntry, LedgerStats};
use crate::ledger::{BatchStatus, Counts, OnConflict, Processed, Status, Walk};
use crate::ledger::{Notification, Prune, PruneCandidate, Pruned, RejectedRow, RowCounts, Totals};
use crate::schema::ColType;
use crate::source::{OriginSet, Recorded};
use anyhow::{Context, Result, bail};
use postgres::types::{ToSql, Type};
use postgres::{Client, Row};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

/// A PostgreSQL database and the schema batchimp's tables are in.
#[derive(Debug, Clone)]
pub struct PgTarget {
    pub settings: Settings,
    pub schema: String,
}

/// The schema's name when `--schema` is not given.
pub const DEFAULT_SCHEMA: &str = "batchimp";

impl PgTarget {
    pub fn parse(url: &str, schema: &str) -> Result<PgTarget> {
        let valid = !schema.is_empty()
            && schema.len() <= 63
            && !schema.starts_with(|c: char| c.is_ascii_digit())
            && schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            bail!(
                "--schema {schema:?}: a schema name is letters, digits and _, not starting with a digit, at most 63 characters"
            );
        }
        Ok(PgTarget {
            settings: Settings::from_url(url)?,
            schema: schema.to_owned(),
        })
    }

    /// The command-line arguments that name this database again: the URL without its
    /// password, and `--schema` when it is not the default.
    pub fn display_args(&self) -> String {
        if self.schema == DEFAULT_SCHEMA {
            self.settings.display()
        } else {
            format!("{} --schema {}", self.settings.display(), self.schema)
        }
    }

    fn describe(&self) -> String {
        format!("{} (schema {})", self.settings.display(), self.schema)
    }
}

/// The connection went away (or could not be made again): the step may succeed once it is
/// back.
#[derive(Debug)]
struct ConnectionLost;

impl std::fmt::Display for ConnectionLost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the connection to the database was lost")
    }
}

impl std::error::Error for ConnectionLost {}

/// Most memory a transaction's uncommitted files may hold before the writer commits.
const TX_MAX_WEIGHT: usize = 4 << 20;

/// Timestamps as batchimp prints them (RFC 3339 in UTC with milliseconds).
fn timestamp(column: &str) -> String {
    format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
}

pub struct Postgres {
    target: PgTarget,
    /// `None` after the connection was lost, until the next step reconnects, and while a
    /// transaction is in flight (its thread has it).
    client: Option<Client>,
    sql: Arc<tx::Statements>,
    /// The open transaction's files, in walk order.
    open: Vec<tx::Pending>,
    weight: usize,
    /// The transaction being written and committed on its own thread while the writer
    /// gathers the next one.
    in_flight: Option<std::thread::JoinHandle<Sent>>,
    /// A commit whose answer was lost: the batch's commit count it makes, its counts, and its
    /// files, to redo if the ledger shows it did not land.
    unknown: Option<(i64, Counts, Vec<tx::Pending>)>,
    /// How far the walk has got, written into the batch's row at commit.
    walk: Walk,
    /// `--group`: the chunk the transaction being committed marks committed, and whether it
    /// turned out to be another member's by then.
    claim: Option<Claim>,
    claim_lost: bool,
}

/// What a transaction's thread hands back.
struct Sent {
    /// The connection, unless it was lost.
    client: Option<Client>,
    /// The transaction's files, kept until it is known to have landed.
    pending: Vec<tx::Pending>,
    /// The transaction's counts once committed; `Err` with `lost_commit` set when the COMMIT
    /// was sent and its answer lost (the batch's commit count it makes).
    result: Result<Counts>,
    lost_commit: Option<(i64, Counts)>,
    /// The group chunk was no longer this member's: rolled back, its files left to the member
    /// that holds it.
    claim_lost: bool,
}

/// In the transaction that records a group chunk's files: mark it committed, with its counts,
/// if it is still this member's. `$1` group, `$2` chunk, `$3` member, `$4..$8` counts.
const CLAIM_COMMIT_SQL: &str = "UPDATE group_chunks SET state = 'committed',
        committed_at = now(), files = $4::bigint, imported = $5::bigint,
        duplicate = $6::bigint, failed = $7::bigint, unsupported = $8::bigint
     WHERE group_name = $1 AND chunk = $2::bigint AND member = $3 AND state = 'claimed'";

/// The parameters of [`CLAIM_COMMIT_SQL`], as text.
fn claim_params(claim: &Claim, counts: &Counts) -> [String; 8] {
    [
        claim.group.clone(),
        claim.chunk.to_string(),
        claim.member.clone(),
        counts.files().to_string(),
        counts.imported.to_string(),
        counts.duplicate.to_string(),
        counts.failed.to_string(),
        counts.unsupported.to_string(),
    ]
}

/// Write and commit `pending` on `client` (the body of a transaction's thread).
fn send(
    mut client: Client,
    sql: &tx::Statements,
    batch: i64,
    walk: Walk,
    pending: Vec<tx::Pending>,
    claim: Option<Claim>,
) -> Sent {
    let written = client
        .batch_execute(&sql.begin)
        .map_err(anyhow::Error::from)
        .and_then(|()| {
            let mut tx = tx::Tx::new(&mut client, sql, batch, walk);
            let commits = tx.write_all(&pending)?;
            let counts = tx.counts;
            let ours = match &claim {
                None => true,
                Some(claim) => {
                    let params = claim_params(claim, &counts);
                    let params: Vec<Option<String>> = params.into_iter().map(Some).collect();
                    client.execute_typed(CLAIM_COMMIT_SQL, &texts(&params))? == 1
                }
            };
            Ok((commits, counts, ours))
        });
    let (commits, counts) = match written {
        Ok((commits, counts, true)) => (commits, counts),
        Ok((_, _, false)) => {
            let lost = client.batch_execute("ROLLBACK").is_err();
            return Sent {
                client: (!lost).then_some(client),
                pending: Vec::new(),
                result: Ok(Counts::default()),
                lost_commit: None,
                claim_lost: true,
            };
        }
        Err(e) => {
            let lost = client.is_closed();
            if !lost {
                let _ = client.batch_execute("ROLLBACK");
            }
            return Sent {
                client: (!lost).then_some(client),
                pending,
                result: Err(e),
                lost_commit: None,
                claim_lost: false,
            };
        }
    };
    match client.batch_execute("COMMIT") {
        Ok(()) => Sent {
            client: Some(client),
            pending: Vec::new(),
            result: Ok(counts),
            lost_commit: None,
            claim_lost: false,
        },
        Err(e) => {
            let lost = is_lost(&e);
            Sent {
                client: (!lost).then_some(client),
                pending,
                result: Err(e.into()),
                lost_commit: lost.then_some((commits, counts)),
                claim_lost: false,
            }
        }
    }
}

impl Postgres {
    /// Connect; with `create`, create the schema and tables (or bring them up to date),
    /// otherwise require that they exist.
    pub fn open(target: &PgTarget, create: bool) -> Result<Postgres> {
        let client = target.settings.connect()?;
        let mut db = Postgres {
            target: target.clone(),
            client: Some(client),
            sql: Arc::new(tx::Statements::new(&target.schema)),
            open: Vec::new(),
            weight: 0,
            in_flight: None,
            unknown: None,
            walk: Walk::default(),
            claim: None,
            claim_lost: false,
        };
        if create {
            db.check_encoding()?;
            db.migrate()
                .with_context(|| format!("cannot prepare {}", db.target.describe()))?;
        } else {
            let schema = db.target.schema.clone();
            if !has_table(db.client()?, &schema, "batches")? {
                bail!(
                    "no batchimp tables in {} (import something first, or pass --schema)",
                    db.target.describe()
                );
            }
        }
        Ok(db)
    }

    /// Refuse a database whose encoding cannot hold every UTF-8 character (`SQL_ASCII` stores
    /// bytes unchecked, `LATIN1` and the like fail on the first character they lack): better
    /// one line when the run starts than a batch stopped by one file's name in Japanese.
    fn check_encoding(&mut self) -> Result<()> {
        let encoding: String = self
            .client()?
            .query_typed_one("SELECT current_setting('server_encoding')", &[])?
            .get(0);
        if encoding != "UTF8" {
            bail!(
                "{} has encoding {encoding}, which cannot hold every character of the documents; \
                 batchimp needs a UTF8 database (CREATE DATABASE ... ENCODING 'UTF8' TEMPLATE template0)",
                self.target.describe()
            );
        }
        Ok(())
    }

    /// The schema at this batchimp's version: created when missing, tables and columns added
    /// when an older batchimp made it. The version is a hash of the rendered DDL, recorded in
    /// `schema_version`; a transaction-scoped advisory lock keeps two runs that start together
    /// from migrating at once.
    fn migrate(&mut self) -> Result<()> {
        let ddl = Dialect::Postgres.ddl();
        let version = schema::version(&ddl);
        let schema = self.target.schema.clone();
        let client = self.client()?;
        let mut tx = client.transaction()?;
        if at_version(&mut tx, &schema, version)? {
            tx.commit()?;
            return Ok(());
        }
        tx.batch_execute("SELECT pg_advisory_xact_lock(hashtext('batchimp schema migration'))")?;
        // Another batchimp may have migrated while this one waited for the lock (several
        // starting at once on a new schema): the DDL again would lock every table for nothing,
        // behind transactions that read them.
        if at_version(&mut tx, &schema, version)? {
            tx.commit()?;
            return Ok(());
        }
        let has_schema: bool = tx
            .query_typed_one(
                "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)",
                &[(&schema, Type::TEXT)],
            )?
            .get(0);
        if !has_schema {
            tx.batch_execute(&format!("CREATE SCHEMA \"{schema}\""))?;
        }
        // Tables whose primary key changed since an earlier batchimp made them are rebuilt.
        let mut rekey = String::new();
        for t in schema::tables().filter(|t| !t.primary_key.is_empty()) {
            let stored: Vec<String> = tx
                .query_typed(
                    "SELECT a.attname::text FROM pg_index i
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                     WHERE i.indrelid = to_regclass(quote_ident($1) || '.' || quote_ident($2))
                        AND i.indisprimary
                     ORDER BY array_position(i.indkey, a.attnum)",
                    &[(&schema, Type::TEXT), (&t.name, Type::TEXT)],
                )?
                .iter()
                .map(|r| r.get(0))
                .collect();
            if !stored.is_empty() && stored != t.primary_key {
                rekey.push_str(&Dialect::Postgres.rekey(t));
            }
        }
        let mut sql = format!(
            "SET LOCAL search_path TO \"{schema}\";
             CREATE TABLE IF NOT EXISTS schema_version (version bigint NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now());\n{ddl}"
        );
        for t in schema::tables() {
            for c in t.columns {
                sql.push_str(&Dialect::Postgres.add_column(t, c));
                sql.push_str(";\n");
            }
        }
        sql.push_str(&rekey);
        // JSON columns an older batchimp made as text become jsonb (its values are JSON it
        // wrote), so the documented `extra ->> 'Marca'` works.
        for t in schema::tables() {
            for c in t.columns.iter().filter(|c| c.ty == ColType::Json) {
                let ty: Option<String> = tx
                    .query_typed_opt(
                        "SELECT data_type::text FROM information_schema.columns
                         WHERE table_schema = $1 AND table_name = $2 AND column_name = $3",
                        &[
                            (&schema, Type::TEXT),
                            (&t.name, Type::TEXT),
                            (&c.name, Type::TEXT),
                        ],
                    )?
                    .map(|r| r.get(0));
                if ty.as_deref() == Some("text") {
                    sql.push_str(&format!(
                        "ALTER TABLE \"{0}\" ALTER COLUMN \"{1}\" TYPE jsonb USING \"{1}\"::jsonb;\n",
                        t.name, c.name
                    ));
                }
            }
        }
        sql.push_str(&format!(
            "INSERT INTO schema_version (version) VALUES ({version});"
        ));
        tx.batch_execute(&sql)?;
        tx.commit()?;
        Ok(())
    }

    /// The connection, made again if it was lost.
    fn client(&mut self) -> Result<&mut Client> {
        if self.in_flight.is_some() {
            // Another step (a report, the end of a failed run): the transaction in flight
            // lands or not, the ledger says which either way.
            let _ = self.settle();
        }
        if self.client.as_ref().is_none_or(Client::is_closed) {
            self.client = None;
            self.client = Some(reconnect(&self.target)?);
        }
        Ok(self.client.as_mut().expect("connected"))
    }

    /// Run `f` in a transaction of its own (reads and small writes of the ledger). A
    /// connection found lost is made again and `f` tried once more.
    fn in_tx<T>(&mut self, mut f: impl FnMut(&mut Client) -> Result<T>) -> Result<T> {
        let mut attempt = 0;
        loop {
            let begin = self.sql.begin.clone();
            let client = self.client()?;
            let result = client
                .batch_execute(&begin)
                .map_err(anyhow::Error::from)
                .and_then(|()| f(client))
                .and_then(|v| {
                    client.batch_execute("COMMIT")?;
                    Ok(v)
                });
            match result {
                Ok(v) => return Ok(v),
                Err(e) => {
                    if client.is_closed() {
                        self.client = None;
                        attempt += 1;
                        if attempt < 2 {
                            continue;
                        }
                    } else {
                        let _ = client.batch_execute("ROLLBACK");
                    }
                    return Err(e);
                }
            }
        }
    }

    /// Wait for the transaction in flight: its counts once it committed. When it failed, its
    /// files go back in front of the open ones, to be redone (or, when its COMMIT's answer
    /// was lost, settled against the ledger first, by `commit`).
    fn settle(&mut self) -> Result<Counts> {
        let Some(thread) = self.in_flight.take() else {
            return Ok(Counts::default());
        };
        // A panic there would be a batchimp bug: the batch stops (its files were not
        // recorded, `resume` redoes them) with one line, as for any database failure.
        let sent = thread
            .join()
            .map_err(|_| anyhow::anyhow!("batchimp bug: the database thread panicked"))?;
        self.client = sent.client;
        self.claim_lost |= sent.claim_lost;
        match (sent.result, sent.lost_commit) {
            (Ok(counts), _) => Ok(counts),
            (Err(e), Some((commits, counts))) => {
                self.unknown = Some((commits, counts, sent.pending));
                Err(e)
            }
            (Err(e), None) => {
                self.redo(sent.pending);
                Err(e)
            }
        }
    }

    /// Files of a transaction that did not land, back in front of the open ones.
    fn redo(&mut self, mut pending: Vec<tx::Pending>) {
        self.weight += pending.iter().map(tx::Pending::weight).sum::<usize>();
        pending.append(&mut self.open);
        self.open = pending;
    }

    fn info(row: &Row) -> BatchInfo {
        let inputs: String = row.get(2);
        let n = |i: usize| row.get::<_, i64>(i) as u64;
        BatchInfo {
            batch_id: row.get(0),
            status: row.get(1),
            inputs: serde_json::from_str(&inputs).unwrap_or_else(|_| vec![inputs]),
            workers: n(3),
            started_at: row.get(4),
            finished_at: row.get(5),
            processing_time_seconds: row.get(6),
            run_started_at: row.get(20),
            earlier_seconds: row.get::<_, Option<f64>>(21).unwrap_or(0.0),
            active_at: row.get(22),
            files: n(7),
            imported: n(8),
            duplicate: n(9),
            failed: n(10),
            unsupported: n(11),
            rows_rejected: n(12),
            seen: row.get::<_, Option<i64>>(19).unwrap_or(0) as u64,
            files_found: row.get::<_, Option<i64>>(15).unwrap_or(0) as u64,
            files_total: row.get::<_, Option<i64>>(16).map(|n| n as u64),
            files_done: 0,
            pending: None,
            progress_percentage: None,
            files_per_second: None,
            eta_seconds: None,
            options: row.get(13),
            cwd: row.get(14),
            notification: Notification::from_column(row.get(17)),
            report: row.get(18),
            group: None,
        }
        .with_progress(&crate::time::now_rfc3339())
    }

    /// One statement with text parameters, in a transaction of its own.
    fn execute_one(&mut self, sql: &str, params: &[Option<String>]) -> Result<()> {
        self.in_tx(|c| {
            c.query_typed(sql, &texts(params))?;
            Ok(())
        })
    }

    fn batch_sql() -> String {
        format!(
            "SELECT id, status, inputs, workers, {}, {}, processing_time_seconds, files,
                imported, duplicate, failed, unsupported, rows_rejected, options, cwd,
                files_found, files_total, notification, report, seen, {}, earlier_seconds, {}
             FROM batches",
            timestamp("started_at"),
            timestamp("finished_at"),
            timestamp("run_started_at"),
            timestamp("active_at")
        )
    }
}

/// Whether `schema` has the table `table` (a schema an older batchimp made may lack one).
pub fn has_table(
    client: &mut impl postgres::GenericClient,
    schema: &str,
    table: &str,
) -> Result<bool> {
    Ok(client
        .query_typed_one(
            "SELECT to_regclass(quote_ident($1) || '.' || quote_ident($2)) IS NOT NULL",
            &[(&schema, Type::TEXT), (&table, Type::TEXT)],
        )?
        .get(0))
}

/// Whether `schema` holds batchimp's tables at `version`.
fn at_version(tx: &mut postgres::Transaction, schema: &str, version: i64) -> Result<bool> {
    if !has_table(tx, schema, "schema_version")? {
        return Ok(false);
    }
    let current: Option<i64> = tx
        .query_typed_one(
            &format!(
                "SELECT max(version) FROM \"{schema}\".schema_version WHERE version = $1::bigint"
            ),
            &[(&version.to_string(), Type::TEXT)],
        )?
        .get(0);
    Ok(current == Some(version))
}

/// Parameters as text, cast by the statement.
pub(super) fn texts(values: &[Option<String>]) -> Vec<(&(dyn ToSql + Sync), Type)> {
    values
        .iter()
        .map(|v| (v as &(dyn ToSql + Sync), Type::TEXT))
        .collect()
}

/// Connect again after the connection was lost. A failure that waiting may cure (a server
/// restarting refuses connections, or says it is starting up) is [`connection_lost`]; a
/// password or database now refused will not come back by waiting.
pub(crate) fn reconnect(target: &PgTarget) -> Result<Client> {
    target.settings.connect().map_err(|e| {
        use ConnectErrorKind::*;
        match e.downcast_ref::<ConnectError>().map(ConnectError::kind) {
            Some(Auth | AuthRefused | NoDatabase | Tls | NoTls) => e,
            _ => e.context(ConnectionLost),
        }
    })
}

/// Whether `e` is a lost connection (or a reconnect refused for now): worth waiting for.
pub(crate) fn connection_lost(e: &anyhow::Error) -> bool {
    // `downcast_ref` finds a context (`ConnectionLost` wraps a reconnect's failure), which
    // `chain` does not: a refused reconnect was once taken for a permanent error.
    e.downcast_ref::<ConnectionLost>().is_some()
        || e.chain().any(|c| {
            c.is::<ConnectionLost>() || c.downcast_ref::<postgres::Error>().is_some_and(is_lost)
        })
}

fn is_lost(e: &postgres::Error) -> bool {
    e.is_closed()
        || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
        || e.code().is_some_and(|c| {
            let c = c.code();
            c.starts_with("08") || c.starts_with("57P")
        })
}

impl Sink for Postgres {
    fn start_batch(&mut self, start: &BatchStart) -> Result<i64> {
        let cwd = std::env::current_dir()
            .ok()
            .map(|p| p.display().to_string());
        let params = [
            Some(BatchStatus::Running.as_str().to_owned()),
            Some(crate::time::now_rfc3339()),
            Some(serde_json::to_string(&start.inputs)?),
            Some(start.workers.to_string()),
            Some(start.options.clone()),
            cwd,
            start.report.clone(),
            Some(start.token.clone()),
        ];
        // Repeated after a COMMIT whose answer was lost (in_tx, or the caller's retry), the
        // insert finds the row it made: one batch, never a second, empty one.
        self.in_tx(|c| {
            let made = c.query_typed(
                "INSERT INTO batches (status, started_at, inputs, workers, options, cwd, report, token)
                 SELECT $1, $2::timestamptz, $3, $4::bigint, $5, $6, $7, $8
                 WHERE NOT EXISTS (SELECT 1 FROM batches WHERE token = $8) RETURNING id",
                &texts(&params),
            )?;
            if let Some(row) = made.first() {
                return Ok(row.get(0));
            }
            let row = c.query_typed_one(
                "SELECT id FROM batches WHERE token = $1",
                &texts(&params[7..]),
            )?;
            Ok(row.get(0))
        })
    }

    fn begin(&mut self) -> Result<()> {
        // The transaction is opened when it commits (see `commit`).
        Ok(())
    }

    fn record(
        &mut self,
        _batch: i64,
        file: Processed,
        replace: bool,
        on_conflict: OnConflict,
    ) -> Result<()> {
        let pending = tx::Pending::new(file, replace, on_conflict);
        self.weight += pending.weight();
        self.open.push(pending);
        Ok(())
    }

    fn wants_commit(&self) -> bool {
        self.weight >= TX_MAX_WEIGHT
            || self
                .open
                .last()
                .is_some_and(|p| matches!(p.file.outcome, crate::format::Outcome::Catalog(_)))
    }

    fn walked(&mut self, walk: Walk) {
        self.walk = walk;
    }

    fn commit(&mut self, batch: i64) -> Result<Counts> {
        let mut done = self.settle()?;
        if let Some((commits, counts, pending)) = self.unknown.take() {
            // The last COMMIT's answer was lost: the ledger says whether it landed. In a group,
            // other members commit into the batch too: its chunk's state says.
            let schema = &self.target.schema;
            let (sql, params) = match &self.claim {
                None => (
                    format!(
                        "SELECT commits >= $2::bigint FROM \"{schema}\".batches WHERE id = $1::bigint"
                    ),
                    vec![Some(batch.to_string()), Some(commits.to_string())],
                ),
                Some(claim) => (
                    format!(
                        "SELECT count(*) = 1 FROM \"{schema}\".group_chunks WHERE group_name = $1
                            AND chunk = $2::bigint AND member = $3 AND state = 'committed'"
                    ),
                    vec![
                        Some(claim.group.clone()),
                        Some(claim.chunk.to_string()),
                        Some(claim.member.clone()),
                    ],
                ),
            };
            let landed = self
                .client()
                .and_then(|c| Ok(c.query_typed_one(&sql, &texts(&params))?.get::<_, bool>(0)));
            match landed {
                Ok(true) => done.merge(&counts),
                Ok(_) => self.redo(pending),
                Err(e) => {
                    self.unknown = Some((commits, counts, pending));
                    return Err(e);
                }
            }
        }
        if !self.open.is_empty() {
            self.client()?;
            let client = self.client.take().expect("connected");
            let pending = std::mem::take(&mut self.open);
            self.weight = 0;
            let sql = Arc::clone(&self.sql);
            let walk = self.walk;
            let thread = std::thread::Builder::new()
                .name("batchimp-postgres".into())
                .spawn({
                    let claim = self.claim.clone();
                    move || send(client, &sql, batch, walk, pending, claim)
                })
                .context("cannot start the database thread")?;
            self.in_flight = Some(thread);
        }
        Ok(done)
    }

    fn sync(&mut self, batch: i64) -> Result<Counts> {
        let mut done = self.commit(batch)?;
        done.merge(&self.settle()?);
        // A COMMIT whose answer was lost on the way: settled (and redone) by one more round.
        if self.unknown.is_some() || !self.open.is_empty() {
            done.merge(&self.sync(batch)?);
        }
        Ok(done)
    }

    fn commit_claimed(&mut self, batch: i64, claim: &Claim) -> Result<Option<Counts>> {
        self.claim = Some(claim.clone());
        let done = self.sync(batch);
        self.claim = None;
        let lost = std::mem::take(&mut self.claim_lost);
        let done = done?;
        Ok((!lost).then_some(done))
    }

    fn finish_batch(&mut self, batch: i64, status: BatchStatus) -> Result<()> {
        // A failed run may leave files uncommitted; they are not in the ledger.
        let _ = self.settle();
        self.open.clear();
        self.weight = 0;
        self.unknown = None;
        let totals = self.totals(batch)?;
        let n = |s: Status| totals.by_status.get(s.as_str()).copied().unwrap_or(0);
        let finished = crate::time::now_rfc3339();
        let seconds = self.batch(batch)?.and_then(|b| b.seconds_run(&finished));
        self.in_tx(|c| {
            let params = [
                Some(batch.to_string()),
                Some(status.as_str().to_owned()),
                Some(finished.clone()),
                seconds.map(|s| s.to_string()),
                Some(totals.files.to_string()),
                Some(n(Status::Imported).to_string()),
                Some(n(Status::Duplicate).to_string()),
                Some(n(Status::Failed).to_string()),
                Some(n(Status::Unsupported).to_string()),
                Some(totals.rows.rows_rejected.to_string()),
            ];
            c.query_typed(
                "UPDATE batches SET status = $2, finished_at = $3::timestamptz,
                    processing_time_seconds = $4::double precision, files = $5::bigint,
                    imported = $6::bigint, duplicate = $7::bigint, failed = $8::bigint,
                    unsupported = $9::bigint, rows_rejected = $10::bigint
                 WHERE id = $1::bigint",
                &texts(&params),
            )?;
            Ok(())
        })
    }

    fn set_notification(&mut self, batch: i64, notification: &Notification) -> Result<()> {
        self.execute_one(
            "UPDATE batches SET notification = $2 WHERE id = $1::bigint",
            &[Some(batch.to_string()), Some(notification.to_json())],
        )
    }

    fn reopen_batch(&mut self, batch: i64) -> Result<()> {
        let banked = self.batch(batch)?.map_or(0.0, |b| b.banked_seconds());
        let params = [
            Some(batch.to_string()),
            Some(BatchStatus::Running.as_str().to_owned()),
            Some(banked.to_string()),
            Some(crate::time::now_rfc3339()),
        ];
        self.in_tx(|c| {
            c.query_typed(
                "UPDATE batches SET status = $2, finished_at = NULL,
                    processing_time_seconds = NULL, notification = NULL,
                    earlier_seconds = $3::double precision, run_started_at = $4::timestamptz
                 WHERE id = $1::bigint",
                &texts(&params),
            )?;
            Ok(())
        })
    }

    fn find_unfinished(&mut self, start: &BatchStart, cwd: &str) -> Result<Option<i64>> {
        let params = [
            Some(serde_json::to_string(&start.inputs)?),
            Some(start.options.clone()),
            Some(cwd.to_owned()),
        ];
        self.in_tx(|c| {
            let rows = c.query_typed(
                "SELECT id FROM batches WHERE status != 'completed' AND inputs = $1
                    AND options = $2 AND cwd = $3 ORDER BY id DESC LIMIT 1",
                &texts(&params),
            )?;
            Ok(rows.first().map(|r| r.get(0)))
        })
    }

    fn recorded_origins(&mut self, batch: Option<i64>, with_sha256: bool) -> Result<OriginSet> {
        let sha256 = if with_sha256 { "sha256" } else { "NULL::text" };
        // Every batch's: in id order, so that a file's latest row is the one kept.
        let which = match batch {
            Some(_) => "batch_id = $1::bigint",
            None => "mtime IS NOT NULL AND $1::bigint IS NULL ORDER BY id",
        };
        let sql = format!("SELECT origin, size, mtime, {sha256} FROM files WHERE {which}");
        let batch = batch.map(|b| b.to_string());
        self.in_tx(|c| {
            let mut set = OriginSet::default();
            let mut rows =
                c.query_typed_raw(&sql, [(&batch as &(dyn ToSql + Sync), Type::TEXT)])?;
            while let Some(r) = postgres::fallible_iterator::FallibleIterator::next(&mut rows)? {
                let recorded = Recorded {
                    size: r.get::<_, i64>(1) as u64,
                    mtime: r.get(2),
                    sha256: r.get(3),
                };
                set.insert(r.get(0), recorded);
            }
            Ok(set)
        })
    }

    fn set_seen(&mut self, batch: i64, seen: u64) -> Result<()> {
        self.execute_one(
            "UPDATE batches SET seen = $2::bigint WHERE id = $1::bigint",
            &[Some(batch.to_string()), Some(seen.to_string())],
        )
    }

    fn forget_batch(&mut self, batch: i64) -> Result<()> {
        self.execute_one(
            "DELETE FROM batches WHERE id = $1::bigint
                AND NOT EXISTS (SELECT 1 FROM files WHERE batch_id = $1::bigint)",
            &[Some(batch.to_string())],
        )
    }

    fn failed_origins(&mut self, batch: i64) -> Result<Vec<String>> {
        let batch = batch.to_string();
        self.in_tx(|c| {
            let rows = c.query_typed(
                "SELECT origin FROM files WHERE batch_id = $1::bigint AND status = 'failed'
                 ORDER BY origin COLLATE \"C\"",
                &[(&batch, Type::TEXT)],
            )?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }

    fn batch(&mut self, batch: i64) -> Result<Option<BatchInfo>> {
        let sql = format!("{} WHERE id = $1::bigint", Postgres::batch_sql());
        let batch = batch.to_string();
        self.in_tx(|c| {
            let rows = c.query_typed(&sql, &[(&batch, Type::TEXT)])?;
            Ok(rows.first().map(Postgres::info))
        })
    }

    fn batches(&mut self, filter: &BatchFilter) -> Result<Vec<BatchInfo>> {
        let q = history::batches(Dialect::Postgres, &Postgres::batch_sql(), filter);
        let params: Vec<Option<String>> = q.params.into_iter().map(Some).collect();
        self.in_tx(|c| {
            let rows = c.query_typed(&q.sql, &texts(&params))?;
            Ok(rows.iter().map(Postgres::info).collect())
        })
    }

    fn stats(&mut self, since: Option<std::time::SystemTime>) -> Result<LedgerStats> {
        let q = history::stats(Dialect::Postgres, since);
        let params: Vec<Option<String>> = q.params.into_iter().map(Some).collect();
        // One transaction, REPEATABLE READ: the examples are of the files counted.
        self.in_tx(|c| {
            c.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
            let mut stats = LedgerStats {
                totals: Totals::new(),
                ..LedgerStats::default()
            };
            let mut last_ids = BTreeMap::new();
            for r in c.query_typed(&q.sql, &texts(&params))? {
                let counts = row_counts(&r, 6).unwrap_or_default();
                let key = (r.get(1), r.get(2), r.get(3));
                let files = r.get::<_, i64>(4) as u64;
                stats.add(r.get(0), key, files, counts, r.get(5), &mut last_ids);
            }
            let ids: Vec<i64> = last_ids.values().copied().collect();
            let mut examples = HashMap::new();
            if !ids.is_empty() {
                for r in c.query_typed(&history::files_by_id(&ids), &[])? {
                    let example = FailureExample {
                        batch_id: r.get(1),
                        path: r.get(2),
                        error: r.get(3),
                    };
                    examples.insert(r.get::<_, i64>(0), example);
                }
            }
            let examples = last_ids
                .iter()
                .filter_map(|(t, id)| Some((t.clone(), examples.remove(id)?)))
                .collect();
            stats.rank_failures(examples);
            Ok(stats)
        })
    }

    fn prune(&mut self, prune: &Prune) -> Result<Pruned> {
        // The candidates' rows are locked (FOR UPDATE) until the deletes commit: a `resume`
        // reopening one of them waits, and one reopened first is read as `running`.
        let sql = PruneSql::new(Dialect::Postgres, !prune.dry_run);
        let cutoff = [Some(crate::time::rfc3339(prune.before))];
        self.in_tx(|c| {
            let old: Vec<PruneCandidate> = c
                .query_typed(&sql.candidates, &texts(&cutoff))?
                .iter()
                .map(|r| PruneCandidate {
                    id: r.get(0),
                    status: r.get(1),
                    failed: r.get::<_, i64>(2) as u64,
                    report: crate::ledger::ReportColumn {
                        batch_id: r.get(0),
                        report: r.get(3),
                        cwd: r.get(4),
                    },
                })
                .collect();
            let latest = c.query_typed_one(sql.latest, &[])?;
            let latest: Vec<i64> = [latest.get::<_, Option<i64>>(0), latest.get(1)]
                .into_iter()
                .flatten()
                .collect();
            let mut pruned = prune.select(&old, &latest);
            if pruned.batch_ids.is_empty() {
                return Ok(pruned);
            }
            let ids = [Some(PruneSql::ids(Dialect::Postgres, &pruned.batch_ids))];
            let ids = texts(&ids);
            let count = |c: &mut Client, sql: &str| -> Result<u64> {
                Ok(c.query_typed_one(sql, &ids)?.get::<_, i64>(0) as u64)
            };
            if prune.dry_run {
                pruned.files = count(c, &sql.count_files)?;
                pruned.rejected_rows = count(c, &sql.count_rejected)?;
            } else {
                pruned.rejected_rows = c.execute_typed(&sql.delete_rejected, &ids)?;
                pruned.files = c.execute_typed(&sql.delete_files, &ids)?;
                c.execute_typed(&sql.delete_batches, &ids)?;
            }
            Ok(pruned)
        })
    }

    fn totals(&mut self, batch: i64) -> Result<Totals> {
        let batch = batch.to_string();
        self.in_tx(|c| {
            let mut totals = Totals::new();
            let rows = c.query_typed(
                "SELECT status, error_type, conflict, count(*), sum(rows)::bigint,
                    sum(rows_rejected)::bigint, sum(rows_created)::bigint,
                    sum(rows_updated)::bigint, sum(rows_unchanged)::bigint,
                    sum(rows_duplicate_in_file)::bigint
                 FROM files WHERE batch_id = $1::bigint GROUP BY status, error_type, conflict",
                &[(&batch, Type::TEXT)],
            )?;
            for r in rows {
                let counts = row_counts(&r, 4).unwrap_or_default();
                let files = r.get::<_, i64>(3) as u64;
                totals.add((r.get(0), r.get(1), r.get(2)), files, counts);
            }
            let has_pdf = c.query_typed(
                &crate::format::pdf::printed_in_batch_sql("$1::bigint"),
                &[(&batch, Type::TEXT)],
            )?;
            if has_pdf[0].get::<_, bool>(0) {
                let sql = crate::format::pdf::linked_in_batch_sql("$1::bigint");
                let r = c.query_typed(&sql, &[(&batch, Type::TEXT)])?;
                let (pdfs, linked) = (r[0].get::<_, i64>(0) as u64, r[0].get::<_, i64>(1) as u64);
                totals.pdf_linked = linked;
                totals.pdf_unlinked = pdfs - linked;
            }
            Ok(totals)
        })
    }

    fn for_each_file(
        &mut self,
        batch: i64,
        f: &mut dyn FnMut(FileEntry) -> Result<()>,
    ) -> Result<()> {
        const PAGE: i32 = 2000;
        let set_schema = format!("SET LOCAL search_path TO \"{}\"", self.target.schema);
        let client = self.client()?;
        let run = (|| -> Result<()> {
            let mut tx = client.transaction()?;
            tx.batch_execute(&set_schema)?;
            // A cursor pages through the batch's files; sorted by bytes, as SQLite sorts. It
            // lives only as long as the transaction, and no statement here is a named one.
            tx.query_typed(
                "DECLARE batchimp_files NO SCROLL CURSOR FOR
                 SELECT origin, kind, status, error_type, error, duplicate, duplicate_of,
                    warning, duration_ms, size, sha256, key, retries, conflict, id,
                    decimal_separator, recorded_at, rows, rows_rejected, rows_created, rows_updated,
                    rows_unchanged, rows_duplicate_in_file
                 FROM files WHERE batch_id = $1 ORDER BY origin COLLATE \"C\", id",
                &[(&batch, Type::INT8)],
            )?;
            let fetch = format!("FETCH {PAGE} FROM batchimp_files");
            loop {
                let page = tx.query_typed(&fetch, &[])?;
                if page.is_empty() {
                    break;
                }
                let with_rejects: Vec<i64> = page
                    .iter()
                    .filter(|r| row_counts(r, 17).is_some_and(|c| c.listed() > 0))
                    .map(|r| r.get(14))
                    .collect();
                let mut rejected: std::collections::HashMap<i64, Vec<RejectedRow>> =
                    std::collections::HashMap::new();
                let mut by_type: std::collections::HashMap<i64, BTreeMap<String, u64>> =
                    std::collections::HashMap::new();
                if !with_rejects.is_empty() {
                    for r in tx.query_typed(
                        "SELECT file_id, error_type, count(*) FROM rejected_rows
                         WHERE file_id = ANY($1) GROUP BY file_id, error_type",
                        &[(&with_rejects, Type::INT8_ARRAY)],
                    )? {
                        by_type
                            .entry(r.get(0))
                            .or_default()
                            .insert(r.get(1), r.get::<_, i64>(2) as u64);
                    }
                    // The first rows of each file only (see REJECTED_SAMPLE).
                    for r in tx.query_typed(
                        "SELECT f.id, r.line, r.error_type, r.error
                         FROM unnest($1::bigint[]) AS f(id) CROSS JOIN LATERAL
                            (SELECT line, error_type, error FROM rejected_rows
                             WHERE file_id = f.id ORDER BY line LIMIT $2) r
                         ORDER BY f.id, r.line",
                        &[
                            (&with_rejects, Type::INT8_ARRAY),
                            (&(REJECTED_SAMPLE as i64), Type::INT8),
                        ],
                    )? {
                        rejected.entry(r.get(0)).or_default().push(RejectedRow {
                            line: r.get::<_, i64>(1) as u64,
                            error_type: r.get(2),
                            error: r.get(3),
                        });
                    }
                }
                for r in page {
                    let key: Option<String> = r.get(11);
                    let keys = key
                        .as_deref()
                        .map(|k| k.split(',').map(str::to_owned).collect())
                        .unwrap_or_default();
                    let id: i64 = r.get(14);
                    let counts = row_counts(&r, 17);
                    let sample = rejected.remove(&id).unwrap_or_default();
                    f(FileEntry {
                        path: r.get(0),
                        kind: r.get(1),
                        status: r.get(2),
                        error_type: r.get(3),
                        error: r.get(4),
                        duplicate: r.get(5),
                        duplicate_of: r.get(6),
                        warning: r.get(7),
                        duration_ms: r.get(8),
                        size: r.get::<_, i64>(9) as u64,
                        sha256: r.get(10),
                        key,
                        keys,
                        retries: r.get::<_, i64>(12) as u32,
                        conflict: r.get(13),
                        rows: counts,
                        rejected_rows_truncated: counts
                            .is_some_and(|c| c.listed() > sample.len() as u64),
                        rejected_rows: sample,
                        rejected_rows_by_error_type: by_type.remove(&id).unwrap_or_default(),
                        decimal_separator: r.get(15),
                        recorded_at: r.get(16),
                    })?;
                }
            }
            tx.commit()?;
            Ok(())
        })();
        if run.is_err() && client.is_closed() {
            self.client = None;
        }
        run
    }

    fn describe(&self) -> String {
        self.target.describe()
    }

    fn is_transient(&self, e: &anyhow::Error) -> bool {
        self.is_lost(e)
            || e.chain().any(|c| {
                c.downcast_ref::<postgres::Error>().is_some_and(|pe| {
                    pe.code().is_some_and(|c| {
                        // Serialization failure, deadlock, a lock not available, and a
                        // key another run stored since this transaction looked it up.
                        matches!(c.code(), "40001" | "40P01" | "55P03" | "23505")
                    })
                })
            })
    }

    fn is_lost(&self, e: &anyhow::Error) -> bool {
        connection_lost(e)
    }

    fn backoff(&self, attempt: u32) -> Duration {
        // A server restarting or a network coming back takes seconds, not milliseconds.
        let base = 1000u64 << attempt.saturating_sub(1).min(5);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Duration::from_millis(base + u64::from(nanos) % (base / 4 + 1))
    }
}

/// The [`RowCounts`] in the six columns from `first`.
fn row_counts(r: &Row, first: usize) -> Option<RowCounts> {
    RowCounts::from_values(std::array::from_fn(|i| r.get::<_, Option<i64>>(first + i)))
}
