//! Databases batchimp writes to, behind one trait. A sink owns the data tables and the ledger
//! (`batches`, `files`) in the same database, so one transaction covers a file's rows and its
//! ledger row: a file is either imported and recorded, or neither.
//!
//! Only the writer thread touches a sink; it is not shared.

pub mod originals;
pub mod postgres;
pub mod schema;
pub mod sqlite;
pub mod written;

use crate::ledger::sql::Conn;
use crate::ledger::{Counts, Ledger, OnConflict, Processed, Walk};
use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A database batchimp imports into: what the writer thread needs to record a batch's files.
/// The ledger it also holds is read and written through [`Conn`] ([`Ledger`]), written once for
/// every database.
pub trait Sink: Conn {
    /// Start a transaction; every `record` until `commit` is part of it.
    fn begin(&mut self) -> Result<()>;
    /// Write one file's documents (deduplicated by key) and its ledger row in the open
    /// transaction, now or when it commits (a sink may gather a transaction's files and send
    /// them together), as `put` says. `Err` is fatal to the batch (the database failed) and
    /// the open transaction must not be committed.
    fn record(&mut self, batch: i64, file: Processed, put: Put) -> Result<()>;
    /// Commit the open transaction, with the batch's running counts; returns the statuses of
    /// the files that landed, counted. A sink may finish the commit in the background and
    /// count its files at the next `commit` or `sync`. After a transient error it may be
    /// called again: it then finishes the same files (a sink that lost its connection
    /// reconnects and redoes them, unless the ledger shows that the commit went through).
    fn commit(&mut self, batch: i64) -> Result<Counts>;
    /// Wait until every transaction committed so far has landed (a sink may still be writing
    /// one when `commit` returns); returns the files that landed since the last count.
    fn sync(&mut self, _batch: i64) -> Result<Counts> {
        Ok(Counts::default())
    }
    /// Give up the open transaction and anything not yet landed (a run that failed): none of
    /// it is in the ledger, and `resume` redoes those files.
    fn abandon(&mut self) -> Result<()>;
    /// How far the walk has got: written into the batch's row with the next commit, so
    /// `batchimp report` on a running batch shows files done of the total.
    fn walked(&mut self, walk: Walk);
    /// Whether the open transaction holds as much as this sink wants to keep uncommitted
    /// (memory), so the writer commits now rather than at its usual size or age.
    fn wants_commit(&self) -> bool {
        false
    }
    /// Whether an error from `begin` or `commit` may go away when tried again: the database
    /// busy with another program's transaction, or the connection lost (tried again for a
    /// time, [`Retry::lost_for`], rather than a number of times; a local file never is).
    fn transient(&self, e: &anyhow::Error) -> Option<Transient>;
    /// How long to wait before the `attempt`th retry of a transient error.
    fn backoff(&self, attempt: u32) -> std::time::Duration {
        crate::source::backoff(attempt)
    }
}

/// How [`Sink::record`] records a file.
#[derive(Debug, Clone, Copy)]
pub struct Put {
    /// The file's earlier row in this batch is replaced (retry of a failure, resume of a file
    /// that changed).
    pub replace: bool,
    /// What a document whose key is stored with other content gets.
    pub on_conflict: OnConflict,
}

/// A sink a `--group` member records through: PostgreSQL's, the only database several
/// processes load together.
pub trait ChunkSink: Sink {
    /// Commit the open transaction, marking `claim`'s chunk committed in it, and wait until it
    /// lands. `None` when the chunk is no longer this member's (its lease ran out and another
    /// member took it over): the transaction is rolled back and the other member records
    /// those files.
    fn commit_chunk(&mut self, batch: i64, claim: &Claim) -> Result<Option<Counts>>;
}

/// Why a database step may succeed when tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transient {
    /// Another transaction holds a lock, or this one lost a race: tried `--retries` times.
    Busy,
    /// The connection was lost (or not made again yet): tried for `--db-retry-for`.
    Lost,
}

impl dyn Sink + '_ {
    /// The database's ledger.
    pub fn ledger(&mut self) -> Ledger<'_> {
        Ledger::of(self)
    }
}

impl dyn Conn + '_ {
    /// The database's ledger.
    pub fn ledger(&mut self) -> Ledger<'_> {
        Ledger::of(self)
    }
}

/// `--group`: the chunk a member holds, which the transaction recording its files marks
/// committed, in that transaction, if it is still this member's (see [`crate::group`]).
#[derive(Debug, Clone)]
pub struct Claim {
    pub group: String,
    pub chunk: u64,
    pub member: String,
}

/// How long a database step is retried.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Retries of a busy database (a lock, a serialization failure): `--retries`.
    pub times: u32,
    /// How long a lost connection is tried again, from the first failure (`--db-retry-for`):
    /// a server restart takes seconds, a failover tens of them.
    pub lost_for: Duration,
}

/// The default of `--db-retry-for`: long enough for a routine restart or failover.
pub const DEFAULT_RETRY_FOR: Duration = Duration::from_secs(60);

/// The longest pause between two attempts to reach a lost server: once it is back, the batch
/// goes on within this long.
const LOST_MAX_PAUSE: Duration = Duration::from_secs(5);

/// Run a database step, retrying transient failures with exponential backoff and jitter: a busy
/// database `retry.times` times, a lost connection until `retry.lost_for` has passed since it
/// was lost. Each retry is logged (`database_retry`).
pub fn retrying<S: Sink + ?Sized, T>(
    sink: &mut S,
    retry: Retry,
    what: &str,
    mut step: impl FnMut(&mut S) -> Result<T>,
) -> Result<T> {
    let mut attempt = 0;
    let mut lost_since: Option<Instant> = None;
    loop {
        let (e, why) = match step(&mut *sink) {
            Err(e) => match sink.transient(&e) {
                Some(why) => (e, why),
                None => return Err(e).with_context(|| format!("cannot {what}")),
            },
            ok => return ok,
        };
        attempt += 1;
        let error = format!("{e:#}");
        let retries = retry.times;
        let pause = if why == Transient::Lost {
            let since = *lost_since.get_or_insert_with(Instant::now);
            let left = retry.lost_for.saturating_sub(since.elapsed());
            if left.is_zero() {
                let tried = humantime::format_duration(retry.lost_for);
                return Err(e).with_context(|| {
                    format!("cannot {what} (the database stayed unreachable for {tried}, --db-retry-for)")
                });
            }
            let left_s = left.as_secs_f64().ceil();
            tracing::warn!(
                target: crate::log::RETRY,
                event = "database_retry",
                what,
                attempt,
                error = %error,
                "cannot {what} ({error}); retry {attempt}, for {left_s} s more"
            );
            sink.backoff(attempt).min(LOST_MAX_PAUSE).min(left)
        } else if attempt <= retries {
            tracing::warn!(
                target: crate::log::RETRY,
                event = "database_retry",
                what,
                attempt,
                retries,
                error = %error,
                "cannot {what} ({error}); retry {attempt} of {retries}"
            );
            sink.backoff(attempt)
        } else {
            return Err(e).with_context(|| format!("cannot {what}"));
        };
        std::thread::sleep(pause);
    }
}

/// Why `--db` text that is not one of our URLs is not a file path either, or `None` when it
/// may be one. `scheme`: what comes before `://`, if anything.
fn not_a_path(s: &str, scheme: Option<&str>) -> Option<String> {
    const OURS: [&str; 3] = ["postgres", "postgresql", "sqlite"];
    let suggest = |word: &str| {
        OURS.iter()
            .find(|ours| strsim::damerau_levenshtein(&word.to_ascii_lowercase(), ours) <= 2)
            .map(|ours| format!(" (did you mean {ours}://?)"))
            .unwrap_or_default()
    };
    let is_word = |w: &str| {
        w.starts_with(|c: char| c.is_ascii_alphabetic())
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    };
    if let Some(word) = scheme.filter(|w| is_word(w)) {
        return Some(format!("unknown scheme \"{word}\"{}", suggest(word)));
    }
    // `postgres:u:pw@h`, `sqlite:/x.db`: one of our schemes without its `//`.
    if let Some((word, _)) = s.split_once(':')
        && OURS.iter().any(|ours| word.eq_ignore_ascii_case(ours))
    {
        return Some(format!("\"{word}:\" must be followed by //"));
    }
    // `user:password@host/db`: a URL without its scheme.
    let head = s.split(['/', '\\']).next().unwrap_or("");
    if head
        .find(':')
        .is_some_and(|colon| head[colon..].contains('@'))
    {
        return Some("a user:password@host without a scheme".into());
    }
    None
}

/// Held while a batch writes; released on drop (or when the process dies). PostgreSQL needs
/// none: its unique keys and transactions keep concurrent runs apart.
pub struct WriterLock {
    _file: Option<std::fs::File>,
}

/// Where the data goes, as the user named it: a path, `sqlite://path`, or a PostgreSQL URL
/// with a schema.
#[derive(Debug, Clone)]
pub enum Target {
    Sqlite(PathBuf),
    /// Boxed: its connection settings are large beside a path.
    Postgres(Box<postgres::PgTarget>),
}

impl Target {
    /// The database `--db` names; `schema` is where batchimp's tables live in PostgreSQL.
    ///
    /// Schemes are matched without regard to case (`POSTGRES://` is PostgreSQL, as RFC 3986
    /// has it, though libpq wants lowercase). What looks like a URL but is not one of ours
    /// (`mysql://`, `postgress://`, `postgres:u:pw@h`, `u:pw@host/db`) is refused: opened as
    /// a SQLite path it would create a file, perhaps named after the password.
    pub fn parse(s: &str, schema: &str) -> Result<Target> {
        let scheme = s.find("://").map(|i| &s[..i]);
        match scheme {
            Some(name) if name.eq_ignore_ascii_case("sqlite") => {
                return Ok(Target::Sqlite(PathBuf::from(&s[name.len() + 3..])));
            }
            Some(name)
                if name.eq_ignore_ascii_case("postgres")
                    || name.eq_ignore_ascii_case("postgresql") =>
            {
                return Ok(Target::Postgres(Box::new(postgres::PgTarget::parse(
                    s, schema,
                )?)));
            }
            _ => {}
        }
        if s.is_empty() {
            bail!("--db is empty");
        }
        if let Some(why) = not_a_path(s, scheme) {
            bail!(
                "--db {}: {why}; batchimp accepts postgres://, postgresql:// (PostgreSQL), \
                 sqlite://PATH or a file path (SQLite)",
                postgres::redact(s)
            );
        }
        Ok(Target::Sqlite(PathBuf::from(s)))
    }

    /// Take the writer lock: one batchimp writes to a SQLite database at a time. Waits for the
    /// current writer (saying so) unless `no_wait`. Held until the returned lock is dropped.
    pub fn lock_writer(&self, no_wait: bool, say: &dyn Fn(&str)) -> Result<WriterLock> {
        let path = match self {
            Target::Sqlite(path) => path,
            Target::Postgres(_) => return Ok(WriterLock { _file: None }),
        };
        let mut lock_path = path.clone().into_os_string();
        lock_path.push(".lock");
        let lock_path = PathBuf::from(lock_path);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| {
                format!(
                    "cannot open SQLite database {}: cannot create {}",
                    path.display(),
                    lock_path.display()
                )
            })?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                if no_wait {
                    bail!(
                        "another batchimp is writing to {} (--no-wait given)",
                        path.display()
                    );
                }
                say(&format!(
                    "batchimp: another batchimp is writing to {}; waiting for it to finish (--no-wait to fail instead)",
                    path.display()
                ));
                file.lock()
                    .with_context(|| format!("cannot lock {}", lock_path.display()))?;
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", lock_path.display()));
            }
        }
        Ok(WriterLock { _file: Some(file) })
    }

    /// The same database named by an absolute path (before changing the working folder).
    pub fn absolute(&self) -> Result<Target> {
        match self {
            Target::Sqlite(path) => Ok(Target::Sqlite(std::path::absolute(path)?)),
            Target::Postgres(_) => Ok(self.clone()),
        }
    }

    /// For messages and hints: how the user would name it on the command line (a PostgreSQL
    /// URL without its password, with `--schema` when it is not the default).
    pub fn display(&self) -> String {
        match self {
            Target::Sqlite(path) => path.display().to_string(),
            Target::Postgres(pg) => pg.display_args(),
        }
    }

    /// Where a report goes by default: beside a SQLite file, in the working folder otherwise.
    pub fn report_dir(&self) -> PathBuf {
        match self {
            Target::Sqlite(db) => db.parent().map(PathBuf::from).unwrap_or_default(),
            Target::Postgres(_) => PathBuf::new(),
        }
    }

    /// A batch's report when none is named (`None`: a dry run's): named after the database
    /// as well as the batch, so that two databases in one folder never write the same file —
    /// `batchimp-report-fiscal.db-7.json` beside `fiscal.db`, and
    /// `batchimp-report-erp.batchimp-7.json` (database and schema) in the working folder for
    /// PostgreSQL.
    pub fn default_report(&self, batch: Option<i64>) -> PathBuf {
        let name = match self {
            Target::Sqlite(db) => db
                .file_name()
                .map_or_else(|| "db".to_owned(), |n| n.to_string_lossy().into_owned()),
            Target::Postgres(pg) => format!("{}.{}", pg.settings.dbname, pg.schema),
        };
        // Only what is safe in a file name on every system.
        let name: String = name
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let file = match batch {
            Some(id) => format!("batchimp-report-{name}-{id}.json"),
            None => format!("batchimp-dry-run-report-{name}.json"),
        };
        self.report_dir().join(file)
    }

    /// Open (creating and migrating when needed).
    pub fn open(&self) -> Result<Box<dyn Sink>> {
        match self {
            Target::Sqlite(path) => Ok(Box::new(sqlite::Sqlite::open(path)?)),
            Target::Postgres(pg) => Ok(Box::new(postgres::Postgres::open(pg, true)?)),
        }
    }

    /// Open an existing database for reading the ledger; a missing file (or schema) is an
    /// error, not a new empty database.
    pub fn open_existing(&self) -> Result<Box<dyn Sink>> {
        match self {
            Target::Sqlite(path) => {
                must_exist(path)?;
                self.open()
            }
            Target::Postgres(pg) => Ok(Box::new(postgres::Postgres::open(pg, false)?)),
        }
    }

    /// Open an existing database only to read its ledger (`report`, `list`, `stats`): a
    /// SQLite file that may be read-only, in a folder that may be read-only, is never written
    /// to, nor is anything created beside it.
    pub fn open_reader(&self) -> Result<Box<dyn Conn>> {
        match self {
            Target::Sqlite(path) => {
                must_exist(path)?;
                Ok(Box::new(sqlite::Sqlite::open_reader(path)?))
            }
            Target::Postgres(pg) => Ok(Box::new(postgres::Postgres::open(pg, false)?)),
        }
    }
}

/// A reading command's SQLite file must be there: a missing one is an error, not a new empty
/// database.
fn must_exist(path: &std::path::Path) -> Result<()> {
    if !path.exists() {
        bail!(
            "no database at {} (import something first, or pass --db)",
            path.display()
        );
    }
    Ok(())
}
