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

mod conn;
mod connect;
mod copy;
mod guard;
pub mod ident;
mod tls;
mod tx;

pub use connect::{ConnectError, ConnectErrorKind, RequireAuth, Settings, redact};
pub use tls::SslMode;

use super::schema::{self, Dialect};
use super::{ChunkSink, Claim, Put, Sink, Transient};
use crate::ledger::{Counts, Processed, Walk};
use crate::schema::ColType;
use anyhow::{Context, Result, bail};
use postgres::Client;
use postgres::types::{ToSql, Type};
use std::sync::{Arc, Mutex};
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

    /// The schema as SQL names it: quoted by its own `Display`.
    pub fn schema_ident(&self) -> ident::Ident {
        ident::Ident::quoted_unchecked(&self.schema)
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

pub struct Postgres {
    target: PgTarget,
    /// `None` after the connection was lost, until the next step reconnects, and while a
    /// transaction is in flight (its thread has it).
    client: Option<Client>,
    sql: Arc<tx::Statements>,
    /// The archive's shared parts the database holds, shared with the transaction's thread,
    /// which stores new ones before it begins.
    parts: Arc<Mutex<crate::archive::Known>>,
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
    parts: &Mutex<crate::archive::Known>,
    batch: i64,
    walk: Walk,
    pending: Vec<tx::Pending>,
    claim: Option<Claim>,
) -> Sent {
    let written = tx::store_parts(&mut client, sql, parts, &pending)
        .and_then(|()| Ok(client.batch_execute(&sql.begin)?))
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
            sql: Arc::new(tx::Statements::new(&target.schema_ident())),
            parts: Default::default(),
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
        let quoted = self.target.schema_ident();
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
            tx.batch_execute(&format!("CREATE SCHEMA {quoted}"))?;
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
            "SET LOCAL search_path TO {quoted};
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
                "SELECT max(version) FROM {} WHERE version = $1::bigint",
                ident::Ident::quoted_unchecked(schema).table("schema_version")
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
    fn begin(&mut self) -> Result<()> {
        // The transaction is opened when it commits (see `commit`).
        Ok(())
    }

    fn record(&mut self, _batch: i64, file: Processed, put: Put) -> Result<()> {
        let pending = tx::Pending::new(file, put);
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
            let schema = self.target.schema_ident();
            let (sql, params) = match &self.claim {
                None => (
                    format!(
                        "SELECT commits >= $2::bigint FROM {} WHERE id = $1::bigint",
                        schema.table("batches")
                    ),
                    vec![Some(batch.to_string()), Some(commits.to_string())],
                ),
                Some(claim) => (
                    format!(
                        "SELECT count(*) = 1 FROM {} WHERE group_name = $1
                            AND chunk = $2::bigint AND member = $3 AND state = 'committed'",
                        schema.table("group_chunks")
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
            let parts = Arc::clone(&self.parts);
            let walk = self.walk;
            let thread = std::thread::Builder::new()
                .name("batchimp-postgres".into())
                .spawn({
                    let claim = self.claim.clone();
                    move || send(client, &sql, &parts, batch, walk, pending, claim)
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

    fn abandon(&mut self) -> Result<()> {
        // Files not yet committed are not in the ledger; `resume` redoes them.
        let _ = self.settle();
        self.open.clear();
        self.weight = 0;
        self.unknown = None;
        Ok(())
    }

    fn transient(&self, e: &anyhow::Error) -> Option<Transient> {
        if connection_lost(e) {
            return Some(Transient::Lost);
        }
        let busy = e.chain().any(|c| {
            c.downcast_ref::<postgres::Error>().is_some_and(|pe| {
                pe.code().is_some_and(|c| {
                    // Serialization failure, deadlock, a lock not available, and a key
                    // another run stored since this transaction looked it up.
                    matches!(c.code(), "40001" | "40P01" | "55P03" | "23505")
                })
            })
        });
        busy.then_some(Transient::Busy)
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

impl ChunkSink for Postgres {
    fn commit_chunk(&mut self, batch: i64, claim: &Claim) -> Result<Option<Counts>> {
        self.claim = Some(claim.clone());
        let done = self.sync(batch);
        self.claim = None;
        let lost = std::mem::take(&mut self.claim_lost);
        let done = done?;
        Ok((!lost).then_some(done))
    }
}
