//! SQLite, the embedded default. One connection owned by the writer thread; WAL so readers
//! (`batchimp report` while a run goes on) never block it; many files per transaction with
//! cached prepared statements. A file's rows and its ledger row go into the same transaction;
//! any database error is fatal to the batch and the transaction is rolled back, so a file is
//! never half-written.

use super::{BatchStart, Sink};
use crate::error::ErrorType;
use crate::format::{self, CellRef, ColType, Table, Value, catalog};
use crate::ledger::{BatchStatus, Conflict, Counts, OnConflict, Outcome, Processed, Status};
use crate::report::{BatchInfo, FileEntry, RejectedRow, Totals};
use crate::source::{OriginSet, Recorded};
use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The ledger's schema. `files` has no unique constraint on origin: the same path given twice
/// is recorded twice (the second time as a duplicate).
const LEDGER: &str = "
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    processing_time_seconds REAL,
    inputs TEXT NOT NULL,
    workers INTEGER NOT NULL,
    options TEXT NOT NULL,
    cwd TEXT,
    files INTEGER NOT NULL DEFAULT 0,
    imported INTEGER NOT NULL DEFAULT 0,
    duplicate INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    unsupported INTEGER NOT NULL DEFAULT 0,
    rows_rejected INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    origin TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT,
    kind TEXT,
    status TEXT NOT NULL,
    error_type TEXT,
    error TEXT,
    duplicate TEXT,
    duplicate_of TEXT,
    warning TEXT,
    duration_ms REAL NOT NULL,
    retries INTEGER NOT NULL DEFAULT 0,
    mtime INTEGER,
    key TEXT,
    conflict TEXT,
    rows INTEGER,
    rows_rejected INTEGER
);
-- Catalog rows that failed validation; file_id is their file's files.id (written just before it,
-- in the same transaction, hence no REFERENCES clause).
CREATE TABLE IF NOT EXISTS rejected_rows (
    file_id INTEGER NOT NULL,
    line INTEGER NOT NULL,
    error_type TEXT NOT NULL,
    error TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rejected_rows_file ON rejected_rows(file_id);
-- Finds a catalog imported before with the same bytes; partial, so other files cost nothing
-- ('catalog' is catalog::KIND, spelled out in the query too so that SQLite uses this index).
CREATE INDEX IF NOT EXISTS files_catalog_sha256 ON files(sha256) WHERE kind = 'catalog';
-- Covers resume: a batch's origins with the size and time they had, read from the index alone.
DROP INDEX IF EXISTS files_batch_origin;
CREATE INDEX IF NOT EXISTS files_batch_origin_stat ON files(batch_id, origin, size, mtime);
";

/// Ledger columns added after the first schema, for databases created before them.
const LEDGER_ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    ("files", "retries", "INTEGER NOT NULL DEFAULT 0"),
    ("files", "mtime", "INTEGER"),
    ("files", "conflict", "TEXT"),
    ("files", "rows", "INTEGER"),
    ("files", "rows_rejected", "INTEGER"),
    ("batches", "rows_rejected", "INTEGER NOT NULL DEFAULT 0"),
];

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
}

impl Sqlite {
    pub fn open(path: &Path) -> Result<Sqlite> {
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open SQLite database {}", path.display()))?;
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
        };
        db.migrate()
            .with_context(|| format!("cannot prepare SQLite database {}", path.display()))?;
        Ok(db)
    }

    fn migrate(&mut self) -> Result<()> {
        // Another program's transaction: wait this long, then callers retry with backoff.
        self.conn.busy_timeout(std::time::Duration::from_secs(5))?;
        self.conn.set_prepared_statement_cache_capacity(64);
        let mut ddl = String::from(LEDGER);
        for table in format::all_tables() {
            ddl.push_str(&create_table(table));
            self.inserts.insert(table.name, insert_sql(table));
        }
        for table in format::all_tables() {
            if !table.primary_key.is_empty() {
                self.docs.insert(table.name, DocSql::new(table));
            }
        }
        // The schema is only written when it changed, so opening a database another program is
        // writing to needs no lock. The version is a hash of the DDL itself.
        let version = schema_version(&ddl);
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
            self.conn
                .execute_batch(&format!("PRAGMA user_version = {version}; COMMIT;"))?;
        }
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        Ok(())
    }

    /// Tables created by an earlier batchimp get the columns added since (`CREATE TABLE IF NOT
    /// EXISTS` leaves an existing table as it is).
    fn add_missing_columns(&self) -> Result<()> {
        let mut wanted: Vec<(&str, String, String)> = LEDGER_ADDED_COLUMNS
            .iter()
            .map(|(t, c, ty)| (*t, c.to_string(), ty.to_string()))
            .collect();
        for t in format::all_tables() {
            for c in t.columns {
                wanted.push((t.name, c.name.to_owned(), sql_type(c.ty).to_owned()));
            }
        }
        for (table, column, ty) in wanted {
            let exists: bool = self.conn.query_row(
                "SELECT count(*) > 0 FROM pragma_table_info(?1) WHERE name = ?2",
                params![table, column],
                |r| r.get(0),
            )?;
            if !exists {
                self.conn.execute_batch(&format!(
                    "ALTER TABLE \"{table}\" ADD COLUMN \"{column}\" {ty}"
                ))?;
            }
        }
        Ok(())
    }

    /// Write a file's documents. A document whose key is new is inserted with its child rows;
    /// one whose key is stored already is a duplicate (same bytes, or `on_conflict` skip), enriches
    /// the stored copy, replaces it, or makes the file fail (`key_conflict`).
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
                result.imported += 1;
                if let Some(w) = &doc.warning {
                    result.warning.get_or_insert_with(|| w.clone());
                }
                continue;
            }
            let sql = &self.docs[table.name];
            let key = sql.key_of(main);
            let (sha, path): (Option<String>, Option<String>) = self
                .conn
                .prepare_cached(&sql.lookup)?
                .query_row(rusqlite::params_from_iter(key.clone()), |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
            let identical = sha.is_some() && sha == file.sha256;
            let conflict = if identical {
                None
            } else if on_conflict == OnConflict::Replace {
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
            } else if self.enrich(main)? {
                Some(Conflict::Enriched)
            } else if on_conflict == OnConflict::Fail {
                result.key_conflict.get_or_insert_with(|| {
                    format!(
                        "{} {} is stored already with other content (from {}); --on-conflict fail",
                        table.name,
                        doc.key,
                        path.as_deref().unwrap_or("an earlier file")
                    )
                });
                None
            } else {
                None
            };
            match conflict {
                Some(c) => {
                    self.after_write(main)?;
                    result.imported += 1;
                    result.conflict.get_or_insert(c);
                    result.duplicate_of.get_or_insert(path);
                }
                None if result.duplicate.is_none() => {
                    result.duplicate = Some(if identical { "identical" } else { "different" });
                    result.duplicate_of.get_or_insert(path);
                }
                None => {}
            }
        }
        Ok(result)
    }

    /// Stream a catalog into `product`, upserting by SKU: the latest catalog that lists a SKU
    /// sets its row. A catalog whose bytes were imported before writes nothing. A catalog that
    /// fails half-way (no valid row, a read error) takes back what it wrote.
    /// With `replace`, the file's own earlier row in this batch (about to be replaced) does not
    /// count as an earlier import.
    fn write_catalog(
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
        let streamed = catalog::stream(load, file_id, &mut |chunk| {
            self.upsert_chunk(chunk)?;
            let mut reject = self.conn.prepare_cached(
                "INSERT INTO rejected_rows (file_id, line, error_type, error) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for r in &chunk.rejects {
                reject.execute(params![
                    file_id,
                    r.line as i64,
                    r.error_type.as_str(),
                    format!("{origin}: {}", r.message)
                ])?;
            }
            anyhow::Ok(())
        })?;
        Ok(match streamed {
            Ok(summary) => {
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

    /// Insert a chunk of catalog rows, a row whose SKU is stored already replacing its values,
    /// up to [`ROWS_PER_INSERT`] rows a statement.
    fn upsert_chunk(&mut self, chunk: &catalog::Chunk) -> Result<()> {
        let table = &catalog::PRODUCT;
        let (mut done, rows) = (0, chunk.rows());
        while done < rows {
            let k = rows_per_statement(rows - done);
            let sql = self
                .upserts
                .entry((table.name, k))
                .or_insert_with(|| upsert_sql(table, k));
            let cells = chunk.cells(done..done + k).enumerate();
            execute_cells(
                &mut self.conn.prepare_cached(sql)?,
                cells
                    .filter(|(_, c)| !matches!(c, CellRef::Null))
                    .map(|(i, c)| (i, ToSqlCell(c))),
            )?;
            done += k;
        }
        Ok(())
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
            .chain(sql.key_of(row));
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
        for hook in row.table.after_write {
            let has = match self.has_rows.get(hook.reads) {
                Some(&has) => has,
                None => {
                    let has: bool = self.conn.query_row(
                        &format!("SELECT EXISTS (SELECT 1 FROM \"{}\")", hook.reads),
                        [],
                        |r| r.get(0),
                    )?;
                    self.has_rows.insert(hook.reads, has);
                    has
                }
            };
            if has {
                self.conn
                    .prepare_cached(hook.sql)?
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
            options: row.get("options")?,
            cwd: row.get("cwd")?,
        })
    }
}

/// What writing a catalog did.
enum CatalogWrite {
    /// Its bytes were imported before, from this file: nothing was written.
    Duplicate(String),
    /// Its rows were written, pointing to `file_id`, the id its ledger row must get.
    Written {
        file_id: i64,
        summary: catalog::Summary,
    },
    /// Nothing was written (no valid row, a read error).
    Failed(crate::error::FileError),
}

#[derive(Default)]
struct DocsResult {
    /// Documents written (new, enriched or replaced).
    imported: usize,
    /// The first duplicate: `identical` or `different`.
    duplicate: Option<&'static str>,
    /// The first enriched or replaced document.
    conflict: Option<Conflict>,
    /// The path of the stored copy the first duplicate or conflict met.
    duplicate_of: Option<Option<String>>,
    /// Under `--on-conflict fail`: why the file fails.
    key_conflict: Option<String>,
    warning: Option<String>,
}

/// Statements on one document table (a table with a primary key), built once.
struct DocSql {
    /// Column indexes of the primary key.
    key: Vec<usize>,
    /// `SELECT sha256, path` of the stored copy, by key.
    lookup: String,
    /// Delete the stored copy's child rows, by the first key column.
    delete_children: Vec<String>,
    /// Delete the stored copy's row, by key.
    delete: String,
    /// `UPDATE` of the enrich columns (then the key as parameters) where the first is NULL,
    /// with those columns' indexes; `None` when the table has none.
    enrich: Option<(String, Vec<usize>)>,
}

impl DocSql {
    fn new(t: &'static Table) -> DocSql {
        let key: Vec<usize> = t.primary_key.iter().map(|c| t.col(c)).collect();
        let by_key = |first: usize| -> String {
            t.primary_key
                .iter()
                .enumerate()
                .map(|(i, c)| format!("\"{c}\" = ?{}", first + i))
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        let delete_children: Vec<String> = format::all_tables()
            .filter(|c| c.parent.is_some_and(|p| std::ptr::eq(p, t)))
            .map(|c| {
                format!(
                    "DELETE FROM \"{}\" WHERE \"{}\" = ?1",
                    c.name, c.columns[0].name
                )
            })
            .collect();
        let delete = format!("DELETE FROM \"{}\" WHERE {}", t.name, by_key(1));
        let enrich = (!t.enrich.is_empty()).then(|| {
            let mut columns: Vec<&str> = t.enrich.to_vec();
            columns.extend(
                ["path", "sha256"]
                    .iter()
                    .filter(|c| t.columns.iter().any(|x| x.name == **c)),
            );
            let set: Vec<String> = columns
                .iter()
                .enumerate()
                .map(|(i, c)| format!("\"{c}\" = ?{}", i + 1))
                .collect();
            let sql = format!(
                "UPDATE \"{}\" SET {} WHERE {} AND \"{}\" IS NULL",
                t.name,
                set.join(", "),
                by_key(columns.len() + 1),
                t.enrich[0]
            );
            (sql, columns.iter().map(|c| t.col(c)).collect())
        });
        DocSql {
            lookup: format!(
                "SELECT sha256, path FROM \"{}\" WHERE {}",
                t.name,
                by_key(1)
            ),
            key,
            delete_children,
            delete,
            enrich,
        }
    }

    /// The key's values in a row of this table, as statement parameters.
    fn key_of<'a>(&self, row: &'a format::Row) -> Vec<ToSqlValue<'a>> {
        self.key
            .iter()
            .map(|&c| ToSqlValue(&row.values[c]))
            .collect()
    }
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
        file: &Processed,
        replace: bool,
        on_conflict: OnConflict,
    ) -> Result<Status> {
        let mut error: Option<(ErrorType, &str)> = None;
        let mut status = Status::Failed;
        let mut result = DocsResult::default();
        let mut key = None;
        let key_conflict;
        // For a catalog: the id its rows point to, (rows, rows rejected), time spent writing.
        let mut file_id = None;
        let mut catalog_rows: Option<(u64, u64)> = None;
        let mut streaming = std::time::Duration::ZERO;
        let catalog_error;
        match &file.outcome {
            Outcome::Failed(e) => error = Some((e.error_type, &e.message)),
            Outcome::Unsupported => status = Status::Unsupported,
            Outcome::Catalog(load) => {
                let started = std::time::Instant::now();
                let written = self
                    .write_catalog(batch, file, load, replace)
                    .with_context(|| format!("cannot write {}", file.origin))?;
                // A catalog's rows are read while they are written: that is its time too.
                streaming = started.elapsed();
                match written {
                    CatalogWrite::Duplicate(origin) => {
                        status = Status::Duplicate;
                        result.duplicate = Some("identical");
                        result.duplicate_of = Some(Some(origin));
                    }
                    CatalogWrite::Failed(e) => {
                        catalog_error = e;
                        error = Some((catalog_error.error_type, &catalog_error.message));
                    }
                    CatalogWrite::Written {
                        file_id: id,
                        summary,
                    } => {
                        status = Status::Imported;
                        file_id = Some(id);
                        let rejected = summary.rejected_total();
                        if rejected > 0 {
                            result.warning = Some(format!(
                                "{rejected} of {} rows rejected ({}); see rejected_rows",
                                summary.rows + rejected,
                                catalog::describe_rejected(&summary.rejected)
                            ));
                        }
                        catalog_rows = Some((summary.rows, rejected));
                    }
                }
            }
            Outcome::Docs(docs) => {
                key = Some(
                    docs.iter()
                        .map(|d| d.key.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                );
                // Under `fail`, a conflict found after some of the file's documents were
                // written takes them back: a failed file writes nothing.
                let guarded = on_conflict == OnConflict::Fail;
                if guarded {
                    self.conn.execute_batch("SAVEPOINT file")?;
                }
                result = self
                    .write_docs(file, docs, on_conflict)
                    .with_context(|| format!("cannot write {}", file.origin))?;
                if let Some(msg) = result.key_conflict.take() {
                    self.conn.execute_batch("ROLLBACK TO file; RELEASE file")?;
                    key_conflict = msg;
                    error = Some((ErrorType::KeyConflict, &key_conflict));
                    result = DocsResult::default();
                } else {
                    if guarded {
                        self.conn.execute_batch("RELEASE file")?;
                    }
                    status = if result.imported > 0 {
                        Status::Imported
                    } else {
                        Status::Duplicate
                    };
                }
            }
        }
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
        let (error_type, message) = match error {
            Some((t, m)) => (Some(t.as_str()), Some(format!("{}: {m}", file.origin))),
            None => (None, None),
        };
        // A duplicate names the copy it duplicates; so does an enriched or replaced document.
        let dup_kind = result.duplicate.filter(|_| status == Status::Duplicate);
        let dup_of = result.duplicate_of.flatten();
        self.conn
            .prepare_cached(
                "INSERT INTO files (id, batch_id, origin, size, sha256, kind, status, error_type,
                    error, duplicate, duplicate_of, warning, duration_ms, retries, mtime, key,
                    conflict, rows, rows_rejected)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                    ?17, ?18, ?19)",
            )?
            .execute(params![
                file_id,
                batch,
                file.origin,
                file.size as i64,
                file.sha256,
                file.kind,
                status.as_str(),
                error_type,
                message,
                dup_kind,
                dup_of,
                result.warning,
                (file.duration + streaming).as_secs_f64() * 1000.0,
                file.retries,
                file.mtime,
                key,
                result.conflict.map(Conflict::as_str),
                catalog_rows.map(|(rows, _)| rows as i64),
                catalog_rows.map(|(_, rejected)| rejected as i64)
            ])?;
        self.pending.add(status);
        if let Some((_, rejected)) = catalog_rows {
            self.pending_rows_rejected += rejected as i64;
        }
        Ok(status)
    }

    fn commit(&mut self, batch: i64) -> Result<()> {
        let p = std::mem::take(&mut self.pending);
        let r = std::mem::take(&mut self.pending_removed);
        let rows_rejected = std::mem::take(&mut self.pending_rows_rejected);
        let d = |a: u64, b: u64| a as i64 - b as i64;
        self.conn
            .prepare_cached(
                "UPDATE batches SET files = files + ?2, imported = imported + ?3,
                    duplicate = duplicate + ?4, failed = failed + ?5, unsupported = unsupported + ?6,
                    rows_rejected = rows_rejected + ?7
                 WHERE id = ?1",
            )?
            .execute(params![
                batch,
                d(p.files(), r.files()),
                d(p.imported, r.imported),
                d(p.duplicate, r.duplicate),
                d(p.failed, r.failed),
                d(p.unsupported, r.unsupported),
                rows_rejected
            ])?;
        self.conn.execute_batch("COMMIT")?;
        Ok(())
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
                totals.rows_rejected as i64
            ],
        )?;
        Ok(())
    }

    fn reopen_batch(&mut self, batch: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE batches SET status = ?2, finished_at = NULL, processing_time_seconds = NULL WHERE id = ?1",
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

    fn batches(&mut self) -> Result<Vec<BatchInfo>> {
        let mut stmt = self
            .conn
            .prepare("SELECT * FROM batches ORDER BY id DESC")?;
        let rows = stmt.query_map([], Sqlite::info)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn totals(&mut self, batch: i64) -> Result<Totals> {
        let mut totals = Totals::default();
        for s in Status::ALL {
            totals.by_status.insert(s.as_str().to_owned(), 0);
        }
        // One pass over the batch's ledger rows, however many counts the report shows.
        let mut stmt = self.conn.prepare_cached(
            "SELECT status, error_type, conflict, count(*), coalesce(sum(rows), 0),
                coalesce(sum(rows_rejected), 0)
             FROM files WHERE batch_id = ?1 GROUP BY status, error_type, conflict",
        )?;
        let mut rows = stmt.query([batch])?;
        while let Some(r) = rows.next()? {
            let n = r.get::<_, i64>(3)? as u64;
            let add = |counts: &mut std::collections::BTreeMap<String, u64>,
                       key: Option<String>| {
                if let Some(k) = key {
                    *counts.entry(k).or_default() += n;
                }
            };
            add(&mut totals.by_status, r.get(0)?);
            add(&mut totals.by_error_type, r.get(1)?);
            add(&mut totals.by_conflict, r.get(2)?);
            totals.files += n;
            totals.rows += r.get::<_, i64>(4)? as u64;
            totals.rows_rejected += r.get::<_, i64>(5)? as u64;
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
                duration_ms, size, sha256, key, retries, conflict, rows, rows_rejected, id
             FROM files WHERE batch_id = ?1 ORDER BY origin, id",
        )?;
        let mut rejected = self.conn.prepare_cached(
            "SELECT line, error_type, error FROM rejected_rows WHERE file_id = ?1 ORDER BY line",
        )?;
        let mut rows = stmt.query([batch])?;
        while let Some(r) = rows.next()? {
            let rows_rejected: Option<i64> = r.get(15)?;
            let rejected_rows = if rows_rejected.unwrap_or(0) > 0 {
                rejected
                    .query_map([r.get::<_, i64>(16)?], |x| {
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
                rows: r.get::<_, Option<i64>>(14)?.map(|n| n as u64),
                rows_rejected: rows_rejected.map(|n| n as u64),
                rejected_rows,
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

/// A stable 31-bit hash of the schema's DDL (FNV-1a), stored as SQLite's `user_version`.
fn schema_version(ddl: &str) -> i64 {
    let mut h: u32 = 0x811c_9dc5;
    for b in ddl.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    i64::from(h >> 1)
}

fn sql_type(ty: ColType) -> &'static str {
    match ty {
        ColType::Text => "TEXT",
        ColType::Integer => "INTEGER",
        ColType::Numeric => "NUMERIC",
    }
}

fn create_table(t: &Table) -> String {
    let mut cols: Vec<String> = t
        .columns
        .iter()
        .map(|c| format!("\"{}\" {}", c.name, sql_type(c.ty)))
        .collect();
    if !t.primary_key.is_empty() {
        let pk: Vec<String> = t.primary_key.iter().map(|c| format!("\"{c}\"")).collect();
        cols.push(format!("PRIMARY KEY ({})", pk.join(", ")));
    }
    let mut ddl = format!(
        "CREATE TABLE IF NOT EXISTS \"{}\" ({});\n",
        t.name,
        cols.join(", ")
    );
    for c in t.indexed {
        ddl.push_str(&format!(
            "CREATE INDEX IF NOT EXISTS \"{0}_{1}\" ON \"{0}\" (\"{1}\");\n",
            t.name, c
        ));
    }
    ddl
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
        CellRef::Num(f) => ValueRef::Real(f),
        CellRef::Text(s) => ValueRef::Text(s.as_bytes()),
    }
}
