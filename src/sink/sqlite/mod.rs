//! SQLite, the embedded default. One connection owned by the writer thread; WAL so readers
//! (`batchimp report` while a run goes on) never block it; many files per transaction, the
//! hot statements kept prepared (`held`), the others cached. A file's rows and its ledger
//! row go into the same transaction; any database error is fatal to the batch and the
//! transaction is rolled back, so a file is never half-written.

mod conn;
mod held;
mod write;

use super::schema::{self, Dialect, DocSql};
use super::written::{self, CatalogFile, CatalogWrite, DocsResult, Meeting, Stored, Writes};
use super::{Put, Sink, Transient};
use crate::format::catalog::tally::{self, Tally};
use crate::format::{self, CellRef, Value, catalog};
use crate::ledger::{Conflict, Counts, OnConflict, Processed, Status, Walk};
use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub struct Sqlite {
    /// The connection, with the writer's hot statements kept prepared.
    db: held::Db,
    path: PathBuf,
    /// Per document table: how to find, enrich and delete a stored copy.
    docs: HashMap<&'static str, DocSql>,
    /// Whether a table `after_write` statements read has rows, learnt on first need and set
    /// when a row goes in.
    has_rows: HashMap<&'static str, bool>,
    /// Counts recorded in the open transaction, added to the batch row at commit.
    pending: Counts,
    /// Rows replaced (retry, resume of a changed file) in the open transaction, by their old
    /// status, taken off at commit.
    pending_removed: Counts,
    /// Rows rejected in the open transaction, less those of replaced rows.
    pending_rows_rejected: i64,
    /// Whether the open transaction's counts are in the batch row already (a commit that
    /// failed busy and is tried again must not add them twice).
    counted: bool,
    /// Each table's `after_write` statements, rendered for one key.
    hooks: HashMap<&'static str, Vec<(&'static str, String)>>,
    /// How far the walk has got, written into the batch's row at commit.
    walk: Walk,
    /// Whether the open transaction holds a file that failed as it was written (a catalog's
    /// rows, a key conflict): committed at once, so `--max-errors` counts it.
    failed_writing: bool,
    /// The archive's shared parts the database holds, or the open transaction stores.
    parts: crate::archive::Known,
    /// The originals of the open transaction's files (SHA-256, kind, size, compressed), stored
    /// as it commits.
    originals: Vec<(String, &'static str, i64, crate::archive::Packed)>,
}

impl Sqlite {
    pub fn open(path: &Path) -> Result<Sqlite> {
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open SQLite database {}", path.display()))?;
        Sqlite::with_connection(conn, path)
    }

    /// A database in memory for `--dry-run`: a copy of the SQLite database at `copy_of` when
    /// there is one (so duplicates are found as a real run would find them), else empty. The
    /// file is only read.
    pub fn in_memory(copy_of: Option<&Path>) -> Result<Sqlite> {
        let mut conn = Connection::open_in_memory()?;
        if let Some(path) = copy_of.filter(|p| p.exists()) {
            // A reader of a WAL database makes its -wal and -shm files when they are absent
            // (a database closed cleanly has none); those it made go again.
            let sidecars: Vec<PathBuf> = ["-wal", "-shm"]
                .iter()
                .map(|ext| PathBuf::from(format!("{}{ext}", path.display())))
                .filter(|p| !p.exists())
                .collect();
            let mut read = || -> rusqlite::Result<()> {
                let src = open_for_reading(path)?;
                rusqlite::backup::Backup::new(&src, &mut conn)?.run_to_completion(
                    1024,
                    std::time::Duration::ZERO,
                    None,
                )
            };
            let read = read();
            let wal_empty = sidecars
                .iter()
                .find(|p| p.to_string_lossy().ends_with("-wal"))
                .is_some_and(|w| std::fs::metadata(w).is_ok_and(|m| m.len() == 0));
            if wal_empty {
                for p in &sidecars {
                    let _ = std::fs::remove_file(p);
                }
            }
            read.with_context(|| format!("cannot read SQLite database {}", path.display()))?;
        }
        Sqlite::with_connection(conn, Path::new(":memory:"))
    }

    /// The database at `path` for reading only (`report`, `list`, `stats`, `get` on an
    /// auditor's read-only copy): nothing is written and nothing is made beside it, unless
    /// another batchimp version wrote it and it can be written (its schema is then brought up
    /// to date, as the next run would).
    pub fn open_reader(path: &Path) -> Result<Sqlite> {
        let conn = open_for_reading(path)
            .with_context(|| format!("cannot open SQLite database {}", path.display()))?;
        let mut db = Sqlite::bare(conn, path);
        db.prepare_tables();
        let current: i64 = db
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .with_context(|| format!("cannot read SQLite database {}", path.display()))?;
        if current != schema::version(&Dialect::Sqlite.ddl()) {
            // Another batchimp's database: brought up to date where it can be written (as
            // the next run would), refused where it cannot.
            drop(db);
            return Sqlite::open(path).map_err(|_| {
                anyhow::anyhow!(
                    "SQLite database {} was written by another batchimp version, and it cannot \
                     be upgraded where it is (it is read-only): open a writable copy",
                    path.display()
                )
            });
        }
        Ok(db)
    }

    fn bare(conn: Connection, path: &Path) -> Sqlite {
        Sqlite {
            db: held::Db::new(conn, |_| HashMap::new()),
            path: path.to_owned(),
            docs: HashMap::new(),
            has_rows: HashMap::new(),
            pending: Counts::default(),
            pending_removed: Counts::default(),
            pending_rows_rejected: 0,
            counted: false,
            hooks: HashMap::new(),
            walk: Walk::default(),
            failed_writing: false,
            parts: Default::default(),
            originals: Vec::new(),
        }
    }

    /// Per document table, the statements that find, enrich and delete a stored copy.
    fn prepare_tables(&mut self) {
        for table in format::all_tables() {
            if !table.primary_key.is_empty() {
                self.docs
                    .insert(table.name, DocSql::new(table, Dialect::Sqlite));
            }
            let hooks = table.after_write.iter();
            let rendered = hooks.map(|h| (h.reads, h.render("= ?1"))).collect();
            self.hooks.insert(table.name, rendered);
        }
    }

    fn with_connection(conn: Connection, path: &Path) -> Result<Sqlite> {
        let mut db = Sqlite::bare(conn, path);
        db.migrate()
            .with_context(|| format!("cannot prepare SQLite database {}", path.display()))?;
        Ok(db)
    }

    fn migrate(&mut self) -> Result<()> {
        // Another program's transaction: wait this long, then callers retry with backoff.
        self.conn()
            .busy_timeout(std::time::Duration::from_secs(5))?;
        self.conn().set_prepared_statement_cache_capacity(64);
        let ddl = Dialect::Sqlite.ddl();
        self.prepare_tables();
        // The schema is only written when it changed, so opening a database another program is
        // writing to needs no lock. The version is a hash of the DDL itself.
        let version = schema::version(&ddl);
        let current: i64 = self
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if current != version {
            // WAL: readers never block the writer. synchronous=NORMAL: a commit survives a crash
            // of batchimp; after a power loss the last commits may be lost, but the data and the
            // ledger stay consistent with each other, so resume redoes exactly the lost files.
            // 16 KiB pages for a new database (an existing one keeps its own): a bulk load
            // of wide rows splits and rebalances a quarter as many b-tree pages, and writes a
            // quarter as many WAL frames (BENCHMARKS.md: 20-25% less writer time).
            self.conn().pragma_update(None, "page_size", 16384)?;
            self.conn().pragma_update(None, "journal_mode", "WAL")?;
            self.conn().execute_batch("BEGIN IMMEDIATE")?;
            self.conn().execute_batch(&ddl)?;
            self.add_missing_columns()?;
            self.rekey_changed_tables()?;
            self.conn()
                .execute_batch(&format!("PRAGMA user_version = {version}; COMMIT;"))?;
        }
        self.conn().pragma_update(None, "synchronous", "NORMAL")?;
        Ok(())
    }

    /// Tables created by an earlier batchimp get the columns added since (`CREATE TABLE IF NOT
    /// EXISTS` leaves an existing table as it is).
    fn add_missing_columns(&self) -> Result<()> {
        for table in schema::tables() {
            for column in table.columns {
                let exists: bool = self.conn().query_row(
                    "SELECT count(*) > 0 FROM pragma_table_info(?1) WHERE name = ?2",
                    params![table.name, column.name],
                    |r| r.get(0),
                )?;
                if !exists {
                    self.conn()
                        .execute_batch(&Dialect::Sqlite.add_column(table, column))?;
                }
            }
        }
        Ok(())
    }

    /// Tables whose primary key changed since an earlier batchimp made them (`product`, keyed by
    /// SKU alone before suppliers) are rebuilt with their rows.
    fn rekey_changed_tables(&self) -> Result<()> {
        for table in schema::tables().filter(|t| !t.primary_key.is_empty()) {
            let stored: Vec<String> = self
                .conn()
                .prepare("SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk")?
                .query_map([table.name], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            if !stored.is_empty() && stored != table.primary_key {
                self.conn().execute_batch(&Dialect::Sqlite.rekey(table))?;
            }
        }
        Ok(())
    }
}

/// A read-only connection to the database at `path`. A WAL database is read through its
/// `-shm` index, which a reader creates when it is absent; in a folder nobody may write to
/// (an auditor's copy) that fails, and the file is then opened as immutable. That is safe
/// there: a writer would have had to create its `-wal`, `-shm` and lock files in that same
/// folder, so no batchimp can be writing to it.
pub(crate) fn open_for_reading(path: &Path) -> rusqlite::Result<Connection> {
    use rusqlite::OpenFlags;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    match conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)) {
        Ok(_) => Ok(conn),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if matches!(
                e.code,
                rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen
            ) =>
        {
            drop(conn);
            // A URI names the file: `%`, `?` and `#` in the path are escaped.
            let mut uri = String::from("file:");
            for c in path.to_string_lossy().chars() {
                match c {
                    '%' => uri.push_str("%25"),
                    '?' => uri.push_str("%3f"),
                    '#' => uri.push_str("%23"),
                    c => uri.push(c),
                }
            }
            uri.push_str("?immutable=1");
            Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
        }
        Err(e) => Err(e),
    }
}

impl Sqlite {
    fn conn(&self) -> &Connection {
        self.db.borrow_owner()
    }

    /// Forget what the transaction that just ended held; returns its counts.
    fn end_transaction(&mut self) -> Counts {
        self.counted = false;
        self.failed_writing = false;
        self.pending_removed = Counts::default();
        self.pending_rows_rejected = 0;
        std::mem::take(&mut self.pending)
    }

    /// Store the originals the open transaction's files brought, in order of SHA-256, the
    /// archive's key: each page of its index is then read and written once a transaction,
    /// where files in walk order touched its pages at random, reading them back from the
    /// disk as often as a small page cache let them go (half the archive's cost at 100,000
    /// NF-e). Their shared parts first, those not stored yet.
    /// A commit tried again after a failure stores them all again (one stored already is left
    /// as it is): they are let go only once stored.
    fn store_originals(&mut self) -> Result<()> {
        self.originals.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (sha256, kind, size, packed) in &self.originals {
            for part in &packed.parts {
                if self.parts.is_new(part) {
                    let size = part.bytes.len() as i64;
                    self.conn()
                        .prepare_cached(crate::archive::INSERT_PART)?
                        .execute(params![part.sha256, size, part.bytes])?;
                }
            }
            self.conn()
                .prepare_cached(crate::archive::INSERT)?
                .execute(params![
                    sha256,
                    kind,
                    size,
                    packed.codec(),
                    packed.dictionary,
                    packed.data,
                    packed.shared(),
                ])?;
        }
        self.originals.clear();
        Ok(())
    }

    /// Add the open transaction's counts (less the rows it replaced) to the batch row, and
    /// count the transaction.
    fn add_counts(&mut self, batch: i64) -> Result<()> {
        let (p, r) = (self.pending, self.pending_removed);
        let d = |a: u64, b: u64| a as i64 - b as i64;
        self.conn()
            .prepare_cached(
                "UPDATE batches SET files = files + ?2, imported = imported + ?3,
                    duplicate = duplicate + ?4, failed = failed + ?5, unsupported = unsupported + ?6,
                    rows_rejected = rows_rejected + ?7, commits = commits + 1,
                    files_found = max(coalesce(files_found, 0), ?8),
                    files_total = coalesce(?9, files_total), active_at = ?10
                 WHERE id = ?1",
            )?
            .execute(params![
                batch,
                d(p.files(), r.files()),
                d(p.imported, r.imported),
                d(p.duplicate, r.duplicate),
                d(p.failed, r.failed),
                d(p.unsupported, r.unsupported),
                self.pending_rows_rejected,
                self.walk.found as i64,
                self.walk.total.map(|t| t as i64),
                crate::time::now_rfc3339(),
            ])?;
        Ok(())
    }
}

impl Sink for Sqlite {
    fn begin(&mut self) -> Result<()> {
        self.conn().execute_batch("BEGIN IMMEDIATE")?;
        Ok(())
    }

    fn record(&mut self, batch: i64, file: Processed, put: Put) -> Result<()> {
        let (row, file_id) = written::write(self, batch, &file, put)?;
        if put.replace {
            self.conn()
                .prepare_cached(
                    "DELETE FROM rejected_rows WHERE file_id IN
                        (SELECT id FROM files WHERE batch_id = ?1 AND origin = ?2)",
                )?
                .execute(params![batch, file.origin])?;
            // The connection borrowed alone (not `self.conn()`): the loop counts into `self`.
            let mut stmt = self.db.borrow_owner().prepare_cached(
                "DELETE FROM files WHERE batch_id = ?1 AND origin = ?2
                 RETURNING status, rows_rejected",
            )?;
            let mut gone = stmt.query(params![batch, file.origin])?;
            while let Some(row) = gone.next()? {
                self.pending_rows_rejected -= row.get::<_, Option<i64>>(1)?.unwrap_or(0);
                if let Some(s) = Status::ALL
                    .into_iter()
                    .find(|s| row.get_ref(0).ok().and_then(|v| v.as_str().ok()) == Some(s.as_str()))
                {
                    self.pending_removed.add(s);
                }
            }
        }
        // In `files`' column order, which the insert is rendered from.
        let cells = std::iter::once(file_id.map_or(CellRef::Null, CellRef::Int)).chain(row.cells());
        let values = cells.map(write::bound);
        let files = held::Key::Insert(&schema::FILES);
        self.db.kept(files, |s| s.execute(values))?;
        self.pending.add(row.status);
        self.failed_writing |= row.status == Status::Failed
            && !matches!(file.outcome, crate::format::Outcome::Failed(_));
        if let Some(rows) = row.rows {
            self.pending_rows_rejected += rows.rows_rejected as i64;
        }
        let keep = file.original_to_store(row.status).is_some();
        if let (true, Some(sha256), Some(kind), Some(packed)) =
            (keep, file.sha256, file.kind, file.original)
        {
            let size = file.size as i64;
            self.originals.push((sha256, kind, size, packed));
        }
        Ok(())
    }

    fn walked(&mut self, walk: Walk) {
        self.walk = walk;
    }

    fn wants_commit(&self) -> bool {
        self.failed_writing
    }

    fn commit(&mut self, batch: i64) -> Result<Counts> {
        if !self.counted {
            self.store_originals()?;
            self.add_counts(batch)?;
            self.counted = true;
        }
        self.conn().execute_batch("COMMIT")?;
        self.parts.committed();
        Ok(self.end_transaction())
    }

    fn abandon(&mut self) -> Result<()> {
        // What the open transaction held was not committed.
        self.parts.rolled_back();
        self.originals.clear();
        if !self.conn().is_autocommit() {
            self.conn().execute_batch("ROLLBACK")?;
        }
        self.end_transaction();
        Ok(())
    }

    fn transient(&self, e: &anyhow::Error) -> Option<Transient> {
        let busy = e.chain().any(|c| {
            matches!(
                c.downcast_ref::<rusqlite::Error>(),
                Some(rusqlite::Error::SqliteFailure(f, _))
                    if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            )
        });
        busy.then_some(Transient::Busy)
    }
}
