//! SQLite, the embedded default. One connection owned by the writer thread; WAL so readers
//! (`batchimp report` while a run goes on) never block it; many files per transaction with
//! cached prepared statements. A file's rows and its ledger row go into the same transaction;
//! any database error is fatal to the batch and the transaction is rolled back, so a file is
//! never half-written.

use super::history::{self, PruneSql};
use super::schema::{self, Dialect, DocSql};
use super::written::{self, CatalogWrite, DocsResult, Meeting, Stored, Writes};
use super::{BatchStart, Sink};
use crate::format::catalog::tally::{self, Tally};
use crate::format::{self, CellRef, Table, Value, catalog};
use crate::ledger::{BatchFilter, BatchInfo, FailureExample, FileEntry, LedgerStats};
use crate::ledger::{BatchStatus, Conflict, Counts, OnConflict, Processed, Status, Walk};
use crate::ledger::{Notification, Prune, PruneCandidate, Pruned, RejectedRow, RowCounts, Totals};
use crate::source::{OriginSet, Recorded};
use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub struct Sqlite {
    conn: Connection,
    path: PathBuf,
    /// INSERT statement text per table, built once.
    inserts: HashMap<&'static str, String>,
    /// Multi-row INSERT statement text per (table, rows), built on first use.
    multi_inserts: HashMap<(&'static str, usize), String>,
    /// Multi-row upsert statement text per (table, rows), built on first use.
    upserts: HashMap<(&'static str, usize), String>,
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
    /// Catalog rows rejected in the open transaction, less those of replaced rows.
    pending_rows_rejected: i64,
    /// Whether the open transaction's counts are in the batch row already (a commit that
    /// failed busy and is tried again must not add them twice).
    counted: bool,
    /// Each table's `after_write` statements, rendered for one key.
    hooks: HashMap<&'static str, Vec<(&'static str, String)>>,
    /// How far the walk has got, written into the batch's row at commit.
    walk: Walk,
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
                let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let src = Connection::open_with_flags(path, flags)?;
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

    fn with_connection(conn: Connection, path: &Path) -> Result<Sqlite> {
        let mut db = Sqlite {
            conn,
            path: path.to_owned(),
            inserts: HashMap::new(),
            multi_inserts: HashMap::new(),
            upserts: HashMap::new(),
            docs: HashMap::new(),
            has_rows: HashMap::new(),
            pending: Counts::default(),
            pending_removed: Counts::default(),
            pending_rows_rejected: 0,
            counted: false,
            hooks: HashMap::new(),
            walk: Walk::default(),
        };
        db.migrate()
            .with_context(|| format!("cannot prepare SQLite database {}", path.display()))?;
        Ok(db)
    }

    fn migrate(&mut self) -> Result<()> {
        // Another program's transaction: wait this long, then callers retry with backoff.
        self.conn.busy_timeout(std::time::Duration::from_secs(5))?;
        self.conn.set_prepared_statement_cache_capacity(64);
        let ddl = Dialect::Sqlite.ddl();
        for table in format::all_tables() {
            self.inserts.insert(table.name, insert_sql(table));
            if !table.primary_key.is_empty() {
                self.docs
                    .insert(table.name, DocSql::new(table, Dialect::Sqlite));
            }
            let hooks = table.after_write.iter();
            let rendered = hooks.map(|h| (h.reads, h.render("= ?1"))).collect();
            self.hooks.insert(table.name, rendered);
        }
        // The schema is only written when it changed, so opening a database another program is
        // writing to needs no lock. The version is a hash of the DDL itself.
        let version = schema::version(&ddl);
        let current: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if current != version {
            // WAL: readers never block the writer. synchronous=NORMAL: a commit survives a crash
            // of batchimp; after a power loss the last commits may be lost, but the data and the
            // ledger stay consistent with each other, so resume redoes exactly the lost files.
            // 16 KiB pages for a new database (an existing one keeps its own): a bulk load
            // of wide rows splits and rebalances a quarter as many b-tree pages, and writes a
            // quarter as many WAL frames (BENCHMARKS.md: 20-25% less writer time).
            self.conn.pragma_update(None, "page_size", 16384)?;
            self.conn.pragma_update(None, "journal_mode", "WAL")?;
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
            self.conn.execute_batch(&ddl)?;
            self.add_missing_columns()?;
            self.rekey_changed_tables()?;
            self.conn
                .execute_batch(&format!("PRAGMA user_version = {version}; COMMIT;"))?;
        }
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        Ok(())
    }

    /// Tables created by an earlier batchimp get the columns added since (`CREATE TABLE IF NOT
    /// EXISTS` leaves an existing table as it is).
    fn add_missing_columns(&self) -> Result<()> {
        for table in schema::tables() {
            for column in table.columns {
                let exists: bool = self.conn.query_row(
                    "SELECT count(*) > 0 FROM pragma_table_info(?1) WHERE name = ?2",
                    params![table.name, column.name],
                    |r| r.get(0),
                )?;
                if !exists {
                    self.conn
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
                .conn
                .prepare("SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk")?
                .query_map([table.name], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            if !stored.is_empty() && stored != table.primary_key {
                self.conn.execute_batch(&Dialect::Sqlite.rekey(table))?;
            }
        }
        Ok(())
    }

    /// Write a file's documents (see [`Writes::docs`]), without taking back what the file
    /// wrote when one of its documents conflicts.
    fn write_docs(
        &mut self,
        file: &Processed,
        docs: &[format::Doc],
        on_conflict: OnConflict,
    ) -> Result<DocsResult> {
        let mut result = DocsResult::default();
        for doc in docs {
            let (main, children) = doc.rows.split_first().expect("a document has its main row");
            let table = main.table;
            // One probe of the key's index: the insert itself says whether the key was new.
            let inserted = execute_rows(
                &mut self.conn.prepare_cached(&self.inserts[table.name])?,
                std::slice::from_ref(main),
            )?;
            if inserted == 1 {
                self.insert_children(children)?;
                self.after_write(main)?;
                result.new_doc(doc);
                continue;
            }
            let sql = &self.docs[table.name];
            let key = key_of(sql, main);
            let stored = self.conn.prepare_cached(&sql.lookup)?.query_row(
                rusqlite::params_from_iter(key.clone()),
                |r| {
                    Ok(Stored {
                        sha256: r.get(0)?,
                        path: r.get(1)?,
                        enrichable: r.get(2)?,
                    })
                },
            )?;
            let meeting = written::meet(&stored, main, file, on_conflict);
            let conflict = match meeting {
                Meeting::Replace => {
                    for delete in &sql.delete_children {
                        self.conn.prepare_cached(delete)?.execute([key[0]])?;
                    }
                    self.conn
                        .prepare_cached(&sql.delete)?
                        .execute(rusqlite::params_from_iter(key.clone()))?;
                    execute_rows(
                        &mut self.conn.prepare_cached(&self.inserts[table.name])?,
                        std::slice::from_ref(main),
                    )?;
                    self.insert_children(children)?;
                    Some(Conflict::Replaced)
                }
                Meeting::Enrich if self.enrich(main)? => Some(Conflict::Enriched),
                _ => None,
            };
            if conflict.is_some() {
                self.after_write(main)?;
            }
            result.met(doc, stored, meeting, conflict);
        }
        Ok(result)
    }
}

impl Writes for Sqlite {
    fn docs(
        &mut self,
        file: &Processed,
        docs: &[format::Doc],
        on_conflict: OnConflict,
    ) -> Result<DocsResult> {
        // Under `fail`, a conflict found after some of the file's documents were written takes
        // them back: a failed file writes nothing.
        let guarded = on_conflict == OnConflict::Fail;
        if guarded {
            self.conn.execute_batch("SAVEPOINT file")?;
        }
        let result = self.write_docs(file, docs, on_conflict)?;
        if result.key_conflict.is_some() {
            self.conn.execute_batch("ROLLBACK TO file; RELEASE file")?;
        } else if guarded {
            self.conn.execute_batch("RELEASE file")?;
        }
        Ok(result)
    }

    fn catalog(
        &mut self,
        batch: i64,
        file: &Processed,
        load: &catalog::Load,
        replace: bool,
    ) -> Result<CatalogWrite> {
        if let Some(sha) = &file.sha256 {
            let earlier = self
                .conn
                .prepare_cached(
                    "SELECT origin FROM files WHERE sha256 = ?1 AND kind = 'catalog'
                        AND status = 'imported' AND NOT (?2 AND batch_id = ?3 AND origin = ?4)
                     ORDER BY id LIMIT 1",
                )?
                .query_row(params![sha, replace, batch, file.origin], |r| r.get(0))
                .optional()?;
            if let Some(origin) = earlier {
                return Ok(CatalogWrite::Duplicate(origin));
            }
        }
        // The writer lock and the open transaction make this id the file's own until commit.
        let file_id: i64 =
            self.conn
                .query_row("SELECT coalesce(max(id), 0) + 1 FROM files", [], |r| {
                    r.get(0)
                })?;
        self.conn.execute_batch("SAVEPOINT catalog")?;
        let origin = &file.origin;
        let row_word = load.header.layout.row_word();
        let mut tally = Tally::default();
        let mut repeats = Vec::new();
        self.conn.execute_batch(&met_sql())?;
        let streamed = catalog::stream(load, file_id, &mut |chunk| {
            repeats.clear();
            let changed = self.upsert_chunk(chunk)?;
            // The rows whose key was stored; the others were inserted.
            let mut met = self.conn.prepare_cached(&format!(
                "SELECT file_id, line, new_line, sku, supplier_id, same FROM {MET}"
            ))?;
            let mut rows = met.query([])?;
            let mut updates = 0;
            while let Some(r) = rows.next()? {
                updates += 1;
                let stored = tally::Stored {
                    file_id: r.get::<_, Option<i64>>(0)?.unwrap_or(0),
                    line: r.get::<_, Option<i64>>(1)?.unwrap_or(0),
                    same: r.get::<_, Option<bool>>(5)?.unwrap_or(false),
                };
                let key = (r.get_ref(3)?.as_str()?, r.get_ref(4)?.as_str()?);
                let line = r.get::<_, i64>(2)? as u64;
                tally.met(file_id, row_word, key, line, stored, &mut repeats);
            }
            drop(rows);
            drop(met);
            tally.created += (changed - updates) as u64;
            self.conn.execute_batch(&format!("DELETE FROM {MET}"))?;
            let mut reject = self.conn.prepare_cached(
                "INSERT INTO rejected_rows (file_id, line, error_type, error) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for r in chunk.rejects.iter().chain(&repeats) {
                reject.execute(params![
                    file_id,
                    r.line as i64,
                    r.error_type.as_str(),
                    format!("{origin}: {}", r.message)
                ])?;
            }
            anyhow::Ok(())
        })?;
        self.conn
            .execute_batch(&format!("DROP TRIGGER temp.{MET}"))?;
        Ok(match streamed {
            Ok(mut summary) => {
                summary.tally = tally;
                self.conn.execute_batch("RELEASE catalog")?;
                CatalogWrite::Written { file_id, summary }
            }
            Err(e) => {
                self.conn
                    .execute_batch("ROLLBACK TO catalog; RELEASE catalog")?;
                CatalogWrite::Failed(e)
            }
        })
    }
}

impl Sqlite {
    /// Insert a chunk of catalog rows, a row whose SKU is stored already replacing its values,
    /// up to [`ROWS_PER_INSERT`] rows a statement; the rows inserted or updated.
    fn upsert_chunk(&mut self, chunk: &catalog::Chunk) -> Result<usize> {
        let table = &catalog::PRODUCT;
        let (mut done, rows) = (0, chunk.rows());
        let mut changed = 0;
        while done < rows {
            let k = rows_per_statement(rows - done);
            let sql = self
                .upserts
                .entry((table.name, k))
                .or_insert_with(|| upsert_sql(table, k));
            let cells = chunk.cells(done..done + k).enumerate();
            changed += execute_cells(
                &mut self.conn.prepare_cached(sql)?,
                cells
                    .filter(|(_, c)| !matches!(c, CellRef::Null))
                    .map(|(i, c)| (i, ToSqlCell(c))),
            )?;
            done += k;
        }
        Ok(changed)
    }

    /// Fill the stored copy's empty enrich columns from `row`; whether it changed.
    fn enrich(&mut self, row: &format::Row) -> Result<bool> {
        let sql = &self.docs[row.table.name];
        let Some((update, columns)) = &sql.enrich else {
            return Ok(false);
        };
        if row.values[columns[0]] == Value::Null {
            return Ok(false);
        }
        let values = columns
            .iter()
            .map(|&c| ToSqlValue(&row.values[c]))
            .chain(key_of(sql, row));
        let changed = self
            .conn
            .prepare_cached(update)?
            .execute(rusqlite::params_from_iter(values))?;
        Ok(changed == 1)
    }

    /// Note that a document table got a row, then run the table's `after_write` statements
    /// whose table has rows.
    fn after_write(&mut self, row: &format::Row) -> Result<()> {
        if let Some(has) = self.has_rows.get_mut(row.table.name) {
            *has = true;
        }
        if row.table.after_write.is_empty() {
            return Ok(());
        }
        for (reads, sql) in &self.hooks[row.table.name] {
            let has = match self.has_rows.get(reads) {
                Some(&has) => has,
                None => {
                    let has: bool = self.conn.query_row(
                        &format!("SELECT EXISTS (SELECT 1 FROM \"{reads}\")"),
                        [],
                        |r| r.get(0),
                    )?;
                    self.has_rows.insert(reads, has);
                    has
                }
            };
            if has {
                self.conn
                    .prepare_cached(sql)?
                    .execute([ToSqlValue(&row.values[0])])?;
            }
        }
        Ok(())
    }

    /// Child rows (a document's items), consecutive rows of one table going in together: a
    /// statement inserts up to [`ROWS_PER_INSERT`] rows, so ten items cost two statements, not
    /// ten.
    fn insert_children(&mut self, mut rows: &[format::Row]) -> Result<()> {
        while let Some(first) = rows.first() {
            let same = rows
                .iter()
                .take_while(|r| std::ptr::eq(r.table, first.table))
                .count();
            let k = rows_per_statement(same);
            let table = first.table;
            let sql = self
                .multi_inserts
                .entry((table.name, k))
                .or_insert_with(|| insert_rows_sql(table, k));
            execute_rows(&mut self.conn.prepare_cached(sql)?, &rows[..k])?;
            rows = &rows[k..];
        }
        Ok(())
    }

    /// Add the open transaction's counts (less the rows it replaced) to the batch row, and
    /// count the transaction.
    fn add_counts(&mut self, batch: i64) -> Result<()> {
        let (p, r) = (self.pending, self.pending_removed);
        let d = |a: u64, b: u64| a as i64 - b as i64;
        self.conn
            .prepare_cached(
                "UPDATE batches SET files = files + ?2, imported = imported + ?3,
                    duplicate = duplicate + ?4, failed = failed + ?5, unsupported = unsupported + ?6,
                    rows_rejected = rows_rejected + ?7, commits = commits + 1,
                    files_found = max(coalesce(files_found, 0), ?8),
                    files_total = coalesce(?9, files_total)
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
            ])?;
        Ok(())
    }

    /// Run `f` in a transaction of its own (`begin` opens it), committed when `f` succeeds
    /// and rolled back otherwise.
    fn in_tx<T>(&mut self, begin: &str, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.conn.execute_batch(begin)?;
        match f(&self.conn) {
            Ok(v) => {
                self.conn.execute_batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    fn info(row: &rusqlite::Row) -> rusqlite::Result<BatchInfo> {
        let inputs: String = row.get("inputs")?;
        Ok(BatchInfo {
            batch_id: row.get("id")?,
            status: row.get("status")?,
            inputs: serde_json::from_str(&inputs).unwrap_or_else(|_| vec![inputs]),
            workers: row.get("workers")?,
            started_at: row.get("started_at")?,
            finished_at: row.get("finished_at")?,
            processing_time_seconds: row.get("processing_time_seconds")?,
            files: row.get("files")?,
            imported: row.get("imported")?,
            duplicate: row.get("duplicate")?,
            failed: row.get("failed")?,
            unsupported: row.get("unsupported")?,
            rows_rejected: row.get("rows_rejected")?,
            files_found: row.get::<_, Option<u64>>("files_found")?.unwrap_or(0),
            files_total: row.get("files_total")?,
            pending: None,
            progress_percentage: None,
            files_per_second: None,
            eta_seconds: None,
            notification: Notification::from_column(row.get("notification")?),
            options: row.get("options")?,
            cwd: row.get("cwd")?,
        }
        .with_progress(&crate::time::now_rfc3339()))
    }
}

/// The key's values in a row of a document table, as statement parameters.
fn key_of<'a>(sql: &DocSql, row: &'a format::Row) -> Vec<ToSqlValue<'a>> {
    sql.key
        .iter()
        .map(|&c| ToSqlValue(&row.values[c]))
        .collect()
}

impl Sink for Sqlite {
    fn start_batch(&mut self, start: &BatchStart) -> Result<i64> {
        let cwd = std::env::current_dir()
            .ok()
            .map(|p| p.display().to_string());
        self.conn.execute(
            "INSERT INTO batches (status, started_at, inputs, workers, options, cwd)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                BatchStatus::Running.as_str(),
                crate::time::now_rfc3339(),
                serde_json::to_string(&start.inputs)?,
                start.workers as i64,
                start.options,
                cwd
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    fn begin(&mut self) -> Result<()> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(())
    }

    fn record(
        &mut self,
        batch: i64,
        file: Processed,
        replace: bool,
        on_conflict: OnConflict,
    ) -> Result<()> {
        let (row, file_id) = written::write(self, batch, &file, replace, on_conflict)?;
        if replace {
            self.conn
                .prepare_cached(
                    "DELETE FROM rejected_rows WHERE file_id IN
                        (SELECT id FROM files WHERE batch_id = ?1 AND origin = ?2)",
                )?
                .execute(params![batch, file.origin])?;
            let mut stmt = self.conn.prepare_cached(
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
        let counts: [Option<i64>; 6] = row.rows.map_or([None; 6], |r| r.values().map(Some));
        self.conn
            .prepare_cached(
                "INSERT INTO files (id, batch_id, origin, size, sha256, kind, status, error_type,
                    error, duplicate, duplicate_of, warning, duration_ms, retries, mtime, key,
                    conflict, decimal_separator, recorded_at, rows, rows_rejected, rows_created,
                    rows_updated, rows_unchanged, rows_duplicate_in_file)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                    ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)",
            )?
            .execute(rusqlite::params_from_iter(
                params![
                    file_id,
                    batch,
                    file.origin,
                    file.size as i64,
                    file.sha256,
                    file.kind,
                    row.status.as_str(),
                    row.error_type,
                    row.error,
                    row.duplicate,
                    row.duplicate_of,
                    row.warning,
                    row.duration_ms,
                    file.retries,
                    file.mtime,
                    row.key,
                    row.conflict,
                    row.decimal_separator,
                    row.recorded_at,
                ]
                .iter()
                .copied()
                .chain(counts.iter().map(|n| n as &dyn rusqlite::ToSql)),
            ))?;
        self.pending.add(row.status);
        if let Some(rows) = row.rows {
            self.pending_rows_rejected += rows.rows_rejected as i64;
        }
        Ok(())
    }

    fn walked(&mut self, walk: Walk) {
        self.walk = walk;
    }

    fn commit(&mut self, batch: i64) -> Result<Counts> {
        if !self.counted {
            self.add_counts(batch)?;
            self.counted = true;
        }
        self.conn.execute_batch("COMMIT")?;
        self.counted = false;
        self.pending_removed = Counts::default();
        self.pending_rows_rejected = 0;
        Ok(std::mem::take(&mut self.pending))
    }

    fn finish_batch(&mut self, batch: i64, status: BatchStatus) -> Result<()> {
        // A failed run may leave a transaction open; what it held was not committed.
        if !self.conn.is_autocommit() {
            self.conn.execute_batch("ROLLBACK")?;
        }
        let totals = self.totals(batch)?;
        let n = |s: Status| totals.by_status.get(s.as_str()).copied().unwrap_or(0) as i64;
        let started: String = self.conn.query_row(
            "SELECT started_at FROM batches WHERE id = ?1",
            [batch],
            |r| r.get(0),
        )?;
        let finished = crate::time::now_rfc3339();
        let seconds = crate::time::seconds_between(&started, &finished);
        self.conn.execute(
            "UPDATE batches SET status = ?2, finished_at = ?3, processing_time_seconds = ?4,
                files = ?5, imported = ?6, duplicate = ?7, failed = ?8, unsupported = ?9,
                rows_rejected = ?10
             WHERE id = ?1",
            params![
                batch,
                status.as_str(),
                finished,
                seconds,
                totals.files as i64,
                n(Status::Imported),
                n(Status::Duplicate),
                n(Status::Failed),
                n(Status::Unsupported),
                totals.rows.rows_rejected as i64
            ],
        )?;
        Ok(())
    }

    fn set_notification(&mut self, batch: i64, notification: &Notification) -> Result<()> {
        self.conn.execute(
            "UPDATE batches SET notification = ?2 WHERE id = ?1",
            params![batch, notification.to_json()],
        )?;
        Ok(())
    }

    fn reopen_batch(&mut self, batch: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE batches SET status = ?2, finished_at = NULL, processing_time_seconds = NULL,
                notification = NULL
             WHERE id = ?1",
            params![batch, BatchStatus::Running.as_str()],
        )?;
        Ok(())
    }

    fn find_unfinished(&mut self, start: &BatchStart, cwd: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM batches WHERE status != 'completed' AND inputs = ?1 AND options = ?2
                    AND cwd = ?3 ORDER BY id DESC LIMIT 1",
                params![serde_json::to_string(&start.inputs)?, start.options, cwd],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn recorded_origins(&mut self, batch: i64, with_sha256: bool) -> Result<OriginSet> {
        let mut set = OriginSet::default();
        let sql = if with_sha256 {
            "SELECT origin, size, mtime, sha256 FROM files WHERE batch_id = ?1"
        } else {
            "SELECT origin, size, mtime, NULL FROM files WHERE batch_id = ?1"
        };
        let mut stmt = self.conn.prepare(sql)?;
        let mut rows = stmt.query([batch])?;
        while let Some(r) = rows.next()? {
            let recorded = Recorded {
                size: r.get::<_, i64>(1)? as u64,
                mtime: r.get(2)?,
                sha256: r.get(3)?,
            };
            set.insert(r.get_ref(0)?.as_str()?, recorded);
        }
        Ok(set)
    }

    fn failed_origins(&mut self, batch: i64) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT origin FROM files WHERE batch_id = ?1 AND status = 'failed' ORDER BY origin",
        )?;
        let rows = stmt.query_map([batch], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn batch(&mut self, batch: i64) -> Result<Option<BatchInfo>> {
        Ok(self
            .conn
            .query_row("SELECT * FROM batches WHERE id = ?1", [batch], Sqlite::info)
            .optional()?)
    }

    fn batches(&mut self, filter: &BatchFilter) -> Result<Vec<BatchInfo>> {
        let q = history::batches(Dialect::Sqlite, "SELECT * FROM batches", filter);
        let mut stmt = self.conn.prepare(&q.sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(&q.params), Sqlite::info)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn stats(&mut self, since: Option<SystemTime>) -> Result<LedgerStats> {
        // One read transaction: the examples are of the files counted.
        self.in_tx("BEGIN", |conn| {
            let q = history::stats(Dialect::Sqlite, since);
            let mut stats = LedgerStats {
                totals: Totals::new(),
                ..LedgerStats::default()
            };
            let mut last_ids = BTreeMap::new();
            let mut stmt = conn.prepare(&q.sql)?;
            let mut rows = stmt.query(rusqlite::params_from_iter(&q.params))?;
            while let Some(r) = rows.next()? {
                let counts = row_counts(r, 6)?.unwrap_or_default();
                let key = (r.get(1)?, r.get(2)?, r.get(3)?);
                let files = r.get::<_, i64>(4)? as u64;
                stats.add(r.get(0)?, key, files, counts, r.get(5)?, &mut last_ids);
            }
            let ids: Vec<i64> = last_ids.values().copied().collect();
            let mut examples = HashMap::new();
            if !ids.is_empty() {
                let mut stmt = conn.prepare(&history::files_by_id(&ids))?;
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    let example = FailureExample {
                        batch_id: r.get(1)?,
                        path: r.get(2)?,
                        error: r.get(3)?,
                    };
                    examples.insert(r.get::<_, i64>(0)?, example);
                }
            }
            let examples = last_ids
                .into_iter()
                .filter_map(|(t, id)| Some((t, examples.remove(&id)?)))
                .collect();
            stats.rank_failures(examples);
            Ok(stats)
        })
    }

    fn prune(&mut self, prune: &Prune) -> Result<Pruned> {
        // IMMEDIATE: no other writer between choosing the batches and deleting them (the
        // writer of a run waits for this transaction, as for another run's).
        let begin = if prune.dry_run {
            "BEGIN"
        } else {
            "BEGIN IMMEDIATE"
        };
        self.in_tx(begin, |conn| {
            let sql = PruneSql::new(Dialect::Sqlite, false);
            let cutoff = crate::time::rfc3339(prune.before);
            let old: Vec<PruneCandidate> = conn
                .prepare(&sql.candidates)?
                .query_map([cutoff], |r| {
                    Ok(PruneCandidate {
                        id: r.get(0)?,
                        status: r.get(1)?,
                        failed: r.get::<_, i64>(2)? as u64,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            let latest: (Option<i64>, Option<i64>) =
                conn.query_row(sql.latest, [], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let latest: Vec<i64> = [latest.0, latest.1].into_iter().flatten().collect();
            let mut pruned = prune.select(&old, &latest);
            if pruned.batch_ids.is_empty() {
                return Ok(pruned);
            }
            let ids = PruneSql::ids(Dialect::Sqlite, &pruned.batch_ids);
            let count = |sql: &str| -> Result<u64> {
                Ok(conn.query_row(sql, [&ids], |r| r.get::<_, i64>(0))? as u64)
            };
            if prune.dry_run {
                pruned.files = count(&sql.count_files)?;
                pruned.rejected_rows = count(&sql.count_rejected)?;
            } else {
                pruned.rejected_rows = conn.execute(&sql.delete_rejected, [&ids])? as u64;
                pruned.files = conn.execute(&sql.delete_files, [&ids])? as u64;
                conn.execute(&sql.delete_batches, [&ids])?;
            }
            Ok(pruned)
        })
    }

    fn totals(&mut self, batch: i64) -> Result<Totals> {
        let mut totals = Totals::new();
        // One pass over the batch's ledger rows, however many counts the report shows.
        let mut stmt = self.conn.prepare_cached(
            "SELECT status, error_type, conflict, count(*), sum(rows), sum(rows_rejected),
                sum(rows_created), sum(rows_updated), sum(rows_unchanged),
                sum(rows_duplicate_in_file)
             FROM files WHERE batch_id = ?1 GROUP BY status, error_type, conflict",
        )?;
        let mut rows = stmt.query([batch])?;
        while let Some(r) = rows.next()? {
            let counts = row_counts(r, 4)?.unwrap_or_default();
            let files = r.get::<_, i64>(3)? as u64;
            totals.add((r.get(0)?, r.get(1)?, r.get(2)?), files, counts);
        }
        Ok(totals)
    }

    fn for_each_file(
        &mut self,
        batch: i64,
        f: &mut dyn FnMut(FileEntry) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT origin, kind, status, error_type, error, duplicate, duplicate_of, warning,
                duration_ms, size, sha256, key, retries, conflict, id, decimal_separator,
                recorded_at, rows, rows_rejected, rows_created, rows_updated, rows_unchanged,
                rows_duplicate_in_file
             FROM files WHERE batch_id = ?1 ORDER BY origin, id",
        )?;
        let mut rejected = self.conn.prepare_cached(
            "SELECT line, error_type, error FROM rejected_rows WHERE file_id = ?1 ORDER BY line",
        )?;
        let mut rows = stmt.query([batch])?;
        while let Some(r) = rows.next()? {
            let counts = row_counts(r, 17)?;
            let rejected_rows = if counts.is_some_and(|c| c.listed() > 0) {
                rejected
                    .query_map([r.get::<_, i64>(14)?], |x| {
                        Ok(RejectedRow {
                            line: x.get::<_, i64>(0)? as u64,
                            error_type: x.get(1)?,
                            error: x.get(2)?,
                        })
                    })?
                    .collect::<rusqlite::Result<_>>()?
            } else {
                Vec::new()
            };
            let key: Option<String> = r.get(11)?;
            let keys = key
                .as_deref()
                .map(|k| k.split(',').map(str::to_owned).collect())
                .unwrap_or_default();
            f(FileEntry {
                path: r.get(0)?,
                kind: r.get(1)?,
                status: r.get(2)?,
                error_type: r.get(3)?,
                error: r.get(4)?,
                duplicate: r.get(5)?,
                duplicate_of: r.get(6)?,
                warning: r.get(7)?,
                duration_ms: r.get(8)?,
                size: r.get::<_, i64>(9)? as u64,
                sha256: r.get(10)?,
                key,
                keys,
                retries: r.get(12)?,
                conflict: r.get(13)?,
                rows: counts,
                rejected_rows,
                decimal_separator: r.get(15)?,
                recorded_at: r.get(16)?,
            })?;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn is_transient(&self, e: &anyhow::Error) -> bool {
        e.chain().any(|c| {
            matches!(
                c.downcast_ref::<rusqlite::Error>(),
                Some(rusqlite::Error::SqliteFailure(f, _))
                    if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            )
        })
    }
}

/// Most child rows one statement inserts (items have 16 columns: 256 parameters).
const ROWS_PER_INSERT: usize = 16;

/// An insert of `k` rows at once (child tables: no key, no conflict; [`insert_sql`] adds the
/// conflict clause for one row of a keyed table).
fn insert_rows_sql(t: &Table, k: usize) -> String {
    let cols: Vec<String> = t
        .columns
        .iter()
        .map(|c| format!("\"{}\"", c.name))
        .collect();
    let n = t.columns.len();
    // Anonymous parameters, numbered in order by SQLite: the statement cache hashes and
    // compares this text on every use, and `?NNN, ` would triple its length.
    let row = format!("({})", vec!["?"; n].join(","));
    let rows = vec![row; k];
    format!(
        "INSERT INTO \"{}\" ({}) VALUES {}",
        t.name,
        cols.join(", "),
        rows.join(",")
    )
}

/// The insert of one row; for a table with a key, a row whose key exists already is skipped
/// (the caller sees 0 rows changed).
fn insert_sql(t: &Table) -> String {
    let on_conflict = if t.primary_key.is_empty() {
        ""
    } else {
        " ON CONFLICT DO NOTHING"
    };
    format!("{}{on_conflict}", insert_rows_sql(t, 1))
}

/// An insert of `k` rows into a keyed table where a row whose key is stored already replaces
/// the stored values.
fn upsert_sql(t: &Table, k: usize) -> String {
    let set: Vec<String> = t
        .columns
        .iter()
        .filter(|c| !t.primary_key.contains(&c.name))
        .map(|c| format!("\"{0}\" = excluded.\"{0}\"", c.name))
        .collect();
    let key: Vec<String> = t.primary_key.iter().map(|c| format!("\"{c}\"")).collect();
    format!(
        "{} ON CONFLICT ({}) DO UPDATE SET {}",
        insert_rows_sql(t, k),
        key.join(", "),
        set.join(", ")
    )
}

/// The [`RowCounts`] in the six columns from `first`.
fn row_counts(r: &rusqlite::Row, first: usize) -> rusqlite::Result<Option<RowCounts>> {
    let mut v = [None; 6];
    for (i, slot) in v.iter_mut().enumerate() {
        *slot = r.get(first + i)?;
    }
    Ok(RowCounts::from_values(v))
}

/// A temporary trigger that notes every `product` row a catalog's upsert updates (its key
/// was stored): the row's old `file_id` and `line`, its new line and key, and whether the
/// compared columns kept their values. Inserted rows are counted by the upsert's changes, so
/// a catalog of new products costs nothing more.
fn met_sql() -> String {
    let t = &catalog::PRODUCT;
    let (old, new): (Vec<String>, Vec<String>) = tally::compared()
        .map(|(_, c)| (format!("OLD.\"{}\"", c.name), format!("NEW.\"{}\"", c.name)))
        .unzip();
    let key: Vec<String> = t
        .primary_key
        .iter()
        .map(|c| format!("NEW.\"{c}\""))
        .collect();
    format!(
        "CREATE TEMP TABLE IF NOT EXISTS {MET} (file_id, line, new_line, sku, supplier_id, same);
         CREATE TEMP TRIGGER IF NOT EXISTS {MET} AFTER UPDATE ON main.\"{}\" BEGIN
            INSERT INTO {MET} VALUES (OLD.file_id, OLD.line, NEW.line, {}, ({}) IS ({}));
         END",
        t.name,
        key.join(", "),
        old.join(", "),
        new.join(", ")
    )
}

/// The temporary table and trigger of [`met_sql`].
const MET: &str = "batchimp_met";

/// Rows one multi-row statement takes from `n` waiting: [`ROWS_PER_INSERT`] or the largest
/// power of two that fits, so a few statement shapes serve every count.
fn rows_per_statement(n: usize) -> usize {
    [ROWS_PER_INSERT, 8, 4, 2, 1]
        .into_iter()
        .find(|&k| k <= n)
        .expect("1 fits")
}

/// Execute an INSERT of `rows` (their values in parameter order).
fn execute_rows(stmt: &mut rusqlite::CachedStatement, rows: &[format::Row]) -> Result<usize> {
    let values = rows.iter().flat_map(|r| r.values.iter()).enumerate();
    execute_cells(
        stmt,
        values
            .filter(|(_, v)| !matches!(v, Value::Null))
            .map(|(i, v)| (i, ToSqlValue(v))),
    )
}

/// Execute a statement given its non-NULL parameters as (0-based index, cell). Only those are
/// bound: a statement from the cache comes with every parameter NULL (rusqlite clears the
/// bindings when it takes a statement back), and most fiscal columns are empty in any one
/// document, so this skips most of the binding work of wide tables.
fn execute_cells(
    stmt: &mut rusqlite::CachedStatement,
    cells: impl Iterator<Item = (usize, impl rusqlite::ToSql)>,
) -> Result<usize> {
    for (i, cell) in cells {
        stmt.raw_bind_parameter(i + 1, cell)?;
    }
    Ok(stmt.raw_execute()?)
}

/// Binds a [`Value`] as its [`CellRef`] (borrowed only when bound: most values are NULL and
/// never are).
#[derive(Clone, Copy)]
struct ToSqlValue<'a>(&'a Value);

impl rusqlite::ToSql for ToSqlValue<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::Borrowed(value_ref(
            self.0.as_cell(),
        )))
    }
}

/// Binds a cell; a number goes in as REAL and SQLite's NUMERIC affinity stores a whole one as
/// INTEGER.
#[derive(Clone, Copy)]
struct ToSqlCell<'a>(CellRef<'a>);

impl rusqlite::ToSql for ToSqlCell<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::Borrowed(value_ref(self.0)))
    }
}

fn value_ref(cell: CellRef<'_>) -> rusqlite::types::ValueRef<'_> {
    use rusqlite::types::ValueRef;
    match cell {
        CellRef::Null => ValueRef::Null,
        CellRef::Int(i) => ValueRef::Integer(i),
        CellRef::Num(f) | CellRef::Decimal(f, _) => ValueRef::Real(f),
        CellRef::Text(s) => ValueRef::Text(s.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `prune` and `stats --since` reach a batch's files and their rejected rows through
    /// indexes, never by scanning the ledger (which grows by a row per file imported).
    #[test]
    fn prune_and_stats_find_a_batch_s_rows_by_index() {
        let dir = tempfile::tempdir().unwrap();
        let db = Sqlite::open(&dir.path().join("plan.db")).unwrap();
        let plan = |sql: &str| -> String {
            let mut stmt = db
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap();
            // Plans do not depend on values: a parameter that is there is bound.
            let n = stmt.parameter_count();
            let params = vec!["[1]"; n];
            let rows = stmt
                .query_map(rusqlite::params_from_iter(params), |r| {
                    r.get::<_, String>(3)
                })
                .unwrap();
            rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
        };
        let sql = PruneSql::new(Dialect::Sqlite, false);
        // Covering or not is the planner's choice; the index is what matters.
        let by_batch = "INDEX files_batch_origin_stat (batch_id=?)";
        let by_file = "INDEX rejected_rows_file (file_id=?)";
        for (sql, uses) in [
            (&sql.delete_rejected, &[by_file, by_batch][..]),
            (&sql.count_rejected, &[by_file, by_batch]),
            (&sql.delete_files, &[by_batch]),
            (&sql.count_files, &[by_batch]),
            (
                &sql.delete_batches,
                &["USING INTEGER PRIMARY KEY (rowid=?)"],
            ),
        ] {
            let plan = plan(sql);
            for index in uses {
                assert!(plan.contains(index), "{sql}:\n{plan}");
            }
            assert!(!plan.contains("SCAN files"), "{sql}:\n{plan}");
            assert!(!plan.contains("SCAN rejected_rows"), "{sql}:\n{plan}");
        }
        let since = Some(SystemTime::UNIX_EPOCH);
        let stats = plan(&history::stats(Dialect::Sqlite, since).sql);
        assert!(stats.contains(by_batch), "{stats}");
        assert!(!stats.contains("SCAN files"), "{stats}");
    }
}
