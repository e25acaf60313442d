//! One transaction of the PostgreSQL writer: the files the pipeline recorded since the last
//! commit, written with a handful of round trips however many files there are.
//!
//! The stored copies of every document key in the transaction are looked up at once (one query
//! a table). Each file's documents are then decided in memory, in walk order, exactly as the
//! SQLite writer decides them one statement at a time ([`written::meet`]), and their rows are
//! encoded into one COPY buffer a table. A segment of buffers is sent (COPY straight into the
//! tables: there is no staging to move rows through, since nothing left to decide) when the
//! transaction ends, before a catalog streams, or before a stored copy still in the buffers
//! must be changed in place (enriched or replaced). A concurrent run that stored the same key
//! since the lookup makes the COPY fail on the key's unique index; the writer then redoes the
//! transaction, whose lookup now finds that copy.

use super::{copy, texts};
use crate::format::catalog::tally::{self, Tally};
use crate::format::{CellRef, Doc, Outcome, Reject, Row, Table, Value, catalog};
use crate::ledger::{Conflict, Counts, OnConflict, Processed, Status, Walk};
use crate::sink::Put;
use crate::sink::schema::{self, Dialect, DocSql};
use crate::sink::written::{self, CatalogFile, CatalogWrite, DocsResult, FileRow, Meeting};
use crate::sink::written::{Stored, Writes};
use anyhow::Result;
use postgres::Client;
use postgres::types::{ToSql, Type};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;

/// A file recorded in the open transaction, kept until its commit is known to have landed so
/// the transaction can be redone on a new connection.
pub struct Pending {
    /// The file; of its documents only the main rows are kept (what deciding needs), the
    /// rest is in `copy`.
    pub file: Processed,
    pub put: Put,
    /// Each document's rows as COPY text, per table: encoded when the file is recorded, on the
    /// pipeline's writer thread, so the thread that talks to the server only copies bytes.
    copy: Vec<DocCopy>,
}

/// A document's rows as COPY text, a buffer per table, in the order its rows came.
type DocCopy = Vec<(&'static str, Vec<u8>)>;

impl Pending {
    pub fn new(mut file: Processed, put: Put) -> Pending {
        let mut copy = Vec::new();
        if let Some(docs) = file.outcome.docs_mut() {
            for doc in docs.iter_mut() {
                let mut tables: DocCopy = Vec::new();
                for row in &doc.rows {
                    if tables.last().is_none_or(|(t, _)| *t != row.table.name) {
                        tables.push((row.table.name, Vec::new()));
                    }
                    let buf = &mut tables.last_mut().expect("pushed").1;
                    copy::row(buf, row.values.iter().map(Value::as_cell));
                }
                doc.rows.truncate(1);
                doc.rows.shrink_to_fit();
                copy.push(tables);
            }
        }
        Pending { file, put, copy }
    }

    /// About how much memory the file holds, to bound a transaction.
    pub fn weight(&self) -> usize {
        let text = |v: &Value| match v {
            Value::Text(s) => s.len(),
            _ => 0,
        };
        let rows: usize = match self.file.outcome.docs() {
            Some(docs) => docs
                .iter()
                .flat_map(|d| &d.rows)
                .map(|r| 64 + r.values.len() * 32 + r.values.iter().map(text).sum::<usize>())
                .sum(),
            None => 256 + self.file.origin.len(),
        };
        let rejected: usize = match &self.file.outcome {
            Outcome::Lines(lines) => lines.rejected.iter().map(|r| 64 + r.message.len()).sum(),
            _ => 0,
        };
        let copy: usize = self.copy.iter().flatten().map(|(_, b)| 32 + b.len()).sum();
        let original = self.file.original.as_ref().map_or(0, |o| o.data.len());
        rows + rejected + copy + original
    }
}

/// Most COPY text a segment holds before it is sent: memory stays small whatever the
/// transaction's size, and a few more COPY statements cost next to nothing.
const SEGMENT_MAX: usize = 2 << 20;

/// The temporary table a catalog's chunks are copied into before being upserted.
const STAGE: &str = "batchimp_product_stage";

/// Statements, built once per connection target.
pub struct Statements {
    /// `BEGIN` and the transaction's search path: the schema is never a session setting,
    /// so a transaction-mode pooler can hand each transaction another server connection.
    pub begin: String,
    /// `BEGIN` of a transaction that reads one snapshot (REPEATABLE READ, READ ONLY), with
    /// the search path.
    pub snapshot: String,
    docs: HashMap<&'static str, DocSql>,
    /// Stored copies of many keys at once, per document table.
    lookups: HashMap<&'static str, String>,
    /// `COPY table (columns) FROM STDIN`, per table.
    copies: HashMap<&'static str, String>,
    /// `COPY files` of the ledger rows without an `id` (the catalogs' come with theirs).
    copy_files: String,
    /// Each table's `after_write` statements, for an array of keys.
    hooks: HashMap<&'static str, Vec<(&'static str, String)>>,
    /// Upsert of the staged catalog chunk into `product`.
    upsert: String,
    /// What `product` holds for each staged row's key (see [`lookup_product_sql`]).
    lookup_product: String,
    /// The archive's new shared parts, stored outside a transaction (see [`store_parts`]):
    /// its table named with the schema, which no search path gives there.
    store_parts: String,
}

impl Statements {
    pub fn new(schema: &super::ident::Ident) -> Statements {
        let mut s = Statements {
            begin: format!("BEGIN; SET LOCAL search_path TO {schema}"),
            store_parts: format!(
                "INSERT INTO {} (sha256, size, data)
                 SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[])
                 ON CONFLICT (sha256) DO NOTHING",
                schema.table(schema::ORIGINAL_PARTS.name)
            ),
            snapshot: format!(
                "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET LOCAL search_path TO {schema}"
            ),
            docs: HashMap::new(),
            lookups: HashMap::new(),
            copies: HashMap::new(),
            copy_files: copy_sql(&schema::FILES, written::file_columns()),
            hooks: HashMap::new(),
            upsert: upsert_sql(&catalog::PRODUCT),
            lookup_product: lookup_product_sql(&catalog::PRODUCT),
        };
        for t in schema::tables() {
            let copy = copy_sql(t, t.columns.iter().map(|c| c.name));
            s.copies.insert(t.name, copy);
            let hooks = t.after_write.iter();
            let rendered = hooks.map(|h| (h.reads, h.render("= ANY($1::text[])")));
            s.hooks.insert(t.name, rendered.collect());
            // The archive's tables are keyed by sha256 too, but hold no documents.
            let ledger = schema::LEDGER.iter().any(|l| l.name == t.name);
            if !t.primary_key.is_empty() && t.has("sha256") && !ledger {
                s.docs.insert(t.name, DocSql::new(t, Dialect::Postgres));
                s.lookups.insert(t.name, lookup_sql(t));
            }
        }
        s
    }
}

/// `COPY table (columns) FROM STDIN`.
fn copy_sql<'a>(t: &Table, columns: impl Iterator<Item = &'a str>) -> String {
    let cols: Vec<String> = columns.map(|c| format!("\"{c}\"")).collect();
    format!("COPY \"{}\" ({}) FROM STDIN", t.name, cols.join(", "))
}

/// `SELECT` the key (as text), `sha256`, `path` and whether the first enrich column is NULL of
/// the stored rows whose keys are in the parameter arrays (one text array per key column).
fn lookup_sql(t: &Table) -> String {
    let key: Vec<(usize, &str)> = t.primary_key.iter().copied().enumerate().collect();
    let select: Vec<String> = key
        .iter()
        .map(|(_, c)| format!("t.\"{c}\"::text"))
        .collect();
    let arrays: Vec<String> = key
        .iter()
        .map(|(i, _)| format!("${}::text[]", i + 1))
        .collect();
    let names: Vec<String> = key.iter().map(|(i, _)| format!("k{i}")).collect();
    let on: Vec<String> = key
        .iter()
        .map(|&(i, c)| {
            let ty = t.columns[t.col(c)].ty;
            let cast = Dialect::Postgres.param(1, ty);
            let cast = cast.trim_start_matches("$1");
            format!("t.\"{c}\" = k.k{i}{cast}")
        })
        .collect();
    let enrichable = match t.enrich.first() {
        Some(c) => format!("t.\"{c}\" IS NULL"),
        None => "false".to_owned(),
    };
    format!(
        "SELECT {}, t.sha256, t.path, {enrichable} FROM \"{}\" t
         JOIN unnest({}) AS k({}) ON {}",
        select.join(", "),
        t.name,
        arrays.join(", "),
        names.join(", "),
        on.join(" AND ")
    )
}

/// The stored product (`file_id`, `line`, whether its compared columns equal the row's) of
/// each staged row, by line: NULLs for a key not stored.
fn lookup_product_sql(t: &Table) -> String {
    let on: Vec<String> = t
        .primary_key
        .iter()
        .map(|c| format!("p.\"{c}\" = s.\"{c}\""))
        .collect();
    let (stored, staged): (Vec<String>, Vec<String>) = tally::compared()
        .map(|(_, c)| (format!("p.\"{}\"", c.name), format!("s.\"{}\"", c.name)))
        .unzip();
    format!(
        "SELECT p.file_id, p.line, ROW({}) IS NOT DISTINCT FROM ROW({}) FROM {STAGE} s
         LEFT JOIN \"{}\" p ON {} ORDER BY s.line",
        stored.join(", "),
        staged.join(", "),
        t.name,
        on.join(" AND ")
    )
}

/// Upsert of the staged chunk: the last row of a SKU in the chunk wins, as when rows go in
/// one after another.
fn upsert_sql(t: &Table) -> String {
    let cols: Vec<String> = t
        .columns
        .iter()
        .map(|c| format!("\"{}\"", c.name))
        .collect();
    let key: Vec<String> = t.primary_key.iter().map(|c| format!("\"{c}\"")).collect();
    format!(
        "INSERT INTO \"{0}\" ({1}) SELECT DISTINCT ON ({2}) {1} FROM {STAGE} ORDER BY {2}, line DESC
         {3}; TRUNCATE {STAGE}",
        t.name,
        cols.join(", "),
        key.join(", "),
        schema::upsert_clause(t)
    )
}

/// A row of `rejected_rows` as COPY text: `r`, of the file `file_id`, found in `origin`.
fn rejected_row(buf: &mut Vec<u8>, file_id: i64, origin: &str, r: &Reject) {
    let error = format!("{origin}: {}", r.message);
    let cells = [
        CellRef::Int(file_id),
        CellRef::Int(r.line as i64),
        CellRef::Text(r.error_type.as_str()),
        CellRef::Text(&error),
    ];
    copy::row(buf, cells);
}

/// A document key as the lookups and the buffers name it: its table and key values.
fn entry_key(table: &str, values: impl Iterator<Item = Option<String>>) -> String {
    let mut k = String::from(table);
    for v in values {
        k.push('\u{1f}');
        k.push_str(v.as_deref().unwrap_or(""));
    }
    k
}

/// What the transaction knows of a key's stored copy.
struct Entry {
    stored: Stored,
    /// `Some(n)`: written in segment `n` (still in the buffers while `n` is the current one).
    segment: Option<u64>,
}

/// Rows not yet sent.
#[derive(Default)]
struct Segment {
    /// COPY text per table.
    rows: BTreeMap<&'static str, Vec<u8>>,
    /// Ledger rows without an id (the identity column gives it), and with one (catalogs).
    files: Vec<u8>,
    files_with_id: Vec<u8>,
    /// Origins whose earlier ledger row in the batch this segment replaces.
    replaced: Vec<String>,
    /// Per table with `after_write` statements: the keys written.
    hooks: BTreeMap<&'static str, Vec<String>>,
}

impl Segment {
    fn bytes(&self) -> usize {
        self.rows.values().map(Vec::len).sum::<usize>() + self.files.len()
    }
}

/// One transaction being written.
pub struct Tx<'a> {
    client: &'a mut Client,
    sql: &'a Statements,
    batch: i64,
    /// How far the walk had got when the transaction was sent.
    walk: Walk,
    /// The COPY text of the documents of the file being written.
    current: &'a [DocCopy],
    known: HashMap<String, Entry>,
    segment: Segment,
    segment_no: u64,
    /// Whether a table has rows, for `after_write` statements that read it.
    has_rows: HashMap<&'static str, bool>,
    /// The transaction's files by status.
    pub counts: Counts,
    /// Ledger rows replaced, by their old status.
    removed: Counts,
    rows_rejected: i64,
    /// Originals for the archive not yet sent (SHA-256, kind, size, compressed bytes), and
    /// their bytes: they count towards a segment's size.
    originals: Vec<(&'a str, &'static str, i64, &'a crate::archive::Packed)>,
    originals_bytes: usize,
}

impl<'a> Tx<'a> {
    /// The transaction must be open already (`Statements::begin`).
    pub fn new(client: &'a mut Client, sql: &'a Statements, batch: i64, walk: Walk) -> Tx<'a> {
        Tx {
            client,
            sql,
            batch,
            walk,
            current: &[],
            known: HashMap::new(),
            segment: Segment::default(),
            segment_no: 0,
            has_rows: HashMap::new(),
            counts: Counts::default(),
            removed: Counts::default(),
            rows_rejected: 0,
            originals: Vec::new(),
            originals_bytes: 0,
        }
    }

    /// Write every pending file and its ledger row, and add the counts to the batch row.
    /// Returns the batch's number of commits once this one lands.
    pub fn write_all(&mut self, pending: &'a [Pending]) -> Result<i64> {
        self.lookup(pending)?;
        for p in pending {
            let batch = self.batch;
            self.current = &p.copy;
            let (row, file_id) = written::write(self, batch, &p.file, p.put)?;
            if p.put.replace {
                self.segment.replaced.push(p.file.origin.clone());
            }
            self.counts.add(row.status);
            if let Some(rows) = row.rows {
                self.rows_rejected += rows.rows_rejected as i64;
            }
            self.file_row(&row, file_id);
            if let Some((sha, kind, packed)) = p.file.original_to_store(row.status) {
                self.originals_bytes += packed.data.len();
                self.originals.push((sha, kind, p.file.size as i64, packed));
            }
            if self.segment.bytes() + self.originals_bytes >= SEGMENT_MAX {
                self.flush()?;
            }
        }
        self.flush()?;
        let (p, r) = (self.counts, self.removed);
        let d = |s: Status| Some((p.get(s) as i64 - r.get(s) as i64).to_string());
        let params = [
            Some(self.batch.to_string()),
            Some((p.files() as i64 - r.files() as i64).to_string()),
            d(Status::Imported),
            d(Status::Duplicate),
            d(Status::Failed),
            d(Status::Unsupported),
            Some(self.rows_rejected.to_string()),
            Some(self.walk.found.to_string()),
            self.walk.total.map(|t| t.to_string()),
            Some(crate::time::now_rfc3339()),
        ];
        let row = self.client.query_typed_one(
            "UPDATE batches SET files = files + $2::bigint, imported = imported + $3::bigint,
                duplicate = duplicate + $4::bigint, failed = failed + $5::bigint,
                unsupported = unsupported + $6::bigint, rows_rejected = rows_rejected + $7::bigint,
                commits = commits + 1,
                files_found = greatest(coalesce(files_found, 0), $8::bigint),
                files_total = coalesce($9::bigint, files_total), active_at = $10::timestamptz
             WHERE id = $1::bigint RETURNING commits",
            &texts(&params),
        )?;
        Ok(row.get(0))
    }

    /// Learn the stored copies of every document key the pending files hold.
    fn lookup(&mut self, pending: &[Pending]) -> Result<()> {
        let mut keys: BTreeMap<&'static str, Vec<Vec<String>>> = BTreeMap::new();
        for p in pending {
            let Some(docs) = p.file.outcome.docs() else {
                continue;
            };
            for main in docs.iter().filter_map(|d| d.rows.first()) {
                let Some(sql) = self.sql.docs.get(main.table.name) else {
                    continue;
                };
                let columns = keys
                    .entry(main.table.name)
                    .or_insert_with(|| vec![Vec::new(); sql.key.len()]);
                for (i, &c) in sql.key.iter().enumerate() {
                    columns[i].push(copy::param(main.values[c].as_cell()).unwrap_or_default());
                }
            }
        }
        for (table, columns) in keys {
            let params: Vec<(&(dyn ToSql + Sync), Type)> = columns
                .iter()
                .map(|c| (c as &(dyn ToSql + Sync), Type::TEXT_ARRAY))
                .collect();
            let t = self.sql.docs[table].key.len();
            for row in self.client.query_typed(&self.sql.lookups[table], &params)? {
                let key = entry_key(table, (0..t).map(|i| row.get::<_, Option<String>>(i)));
                let stored = Stored {
                    sha256: row.get(t),
                    path: row.get(t + 1),
                    enrichable: row.get(t + 2),
                };
                self.known.insert(
                    key,
                    Entry {
                        stored,
                        segment: None,
                    },
                );
            }
        }
        Ok(())
    }

    fn key_of(&self, main: &Row) -> String {
        let sql = &self.sql.docs[main.table.name];
        let values = sql
            .key
            .iter()
            .map(|&c| copy::param(main.values[c].as_cell()));
        entry_key(main.table.name, values)
    }

    /// Whether `key`'s stored copy is still in the buffers (so it must be sent before it can
    /// be changed in place).
    fn buffered(&self, key: &str) -> bool {
        self.known
            .get(key)
            .is_some_and(|e| e.segment == Some(self.segment_no))
    }

    /// A document's rows into the buffers; its key now known as stored by `file`.
    /// Document `i` of the file being written into the buffers; its key now known as stored
    /// by `file`.
    fn add_rows(&mut self, file: &Processed, i: usize, doc: &Doc, key: String) {
        let main = &doc.rows[0];
        for (table, rows) in &self.current[i] {
            self.segment
                .rows
                .entry(table)
                .or_default()
                .extend_from_slice(rows);
            self.has_rows.insert(table, true);
        }
        self.after_write(main);
        let entry = Entry {
            stored: Stored::of(main, file),
            segment: Some(self.segment_no),
        };
        self.known.insert(key, entry);
    }

    /// Note a written main row for its table's `after_write` statements.
    fn after_write(&mut self, main: &Row) {
        if !main.table.after_write.is_empty()
            && let Some(k) = copy::param(main.values[0].as_cell())
        {
            self.segment
                .hooks
                .entry(main.table.name)
                .or_default()
                .push(k);
        }
    }

    /// Under `--on-conflict fail`: the conflict that makes the file fail, found before anything
    /// of it is written (so nothing needs taking back).
    fn first_conflict(&self, file: &Processed, docs: &[Doc]) -> Option<String> {
        let mut seen: HashMap<String, Stored> = HashMap::new();
        for doc in docs {
            let main = &doc.rows[0];
            if !self.sql.docs.contains_key(main.table.name) {
                continue;
            }
            let key = self.key_of(main);
            let stored = seen
                .get(&key)
                .or_else(|| self.known.get(&key).map(|e| &e.stored));
            match stored.map(|s| (written::meet(s, main, file, OnConflict::Fail), s)) {
                Some((Meeting::Conflict, s)) => {
                    return Some(written::key_conflict(
                        main.table.name,
                        &doc.key,
                        s.path.as_deref(),
                    ));
                }
                None | Some((Meeting::Enrich, _)) => {
                    seen.insert(key, Stored::of(main, file));
                }
                Some(_) => {}
            }
        }
        None
    }

    /// Fill the stored copy's empty enrich columns from `main`; whether it changed.
    fn enrich(&mut self, main: &Row) -> Result<bool> {
        let sql = &self.sql.docs[main.table.name];
        let Some((update, columns)) = &sql.enrich else {
            return Ok(false);
        };
        let params: Vec<Option<String>> = columns
            .iter()
            .chain(&sql.key)
            .map(|&c| copy::param(main.values[c].as_cell()))
            .collect();
        let rows = self
            .client
            .query_typed(&format!("{update} RETURNING 1"), &texts(&params))?;
        Ok(rows.len() == 1)
    }

    /// Delete a stored document and its child rows.
    fn delete(&mut self, main: &Row) -> Result<()> {
        let sql = &self.sql.docs[main.table.name];
        let key: Vec<Option<String>> = sql
            .key
            .iter()
            .map(|&c| copy::param(main.values[c].as_cell()))
            .collect();
        for delete in &sql.delete_children {
            self.client.query_typed(delete, &texts(&key[..1]))?;
        }
        self.client.query_typed(&sql.delete, &texts(&key))?;
        Ok(())
    }

    /// The id the next ledger row gets, taken from its sequence.
    fn next_file_id(&mut self) -> Result<i64> {
        let sql = "SELECT nextval(pg_get_serial_sequence('files', 'id'))";
        Ok(self.client.query_typed_one(sql, &[])?.get(0))
    }

    /// A file's ledger row into the buffers.
    fn file_row(&mut self, row: &FileRow<'_>, id: Option<i64>) {
        let buf = match id {
            Some(_) => &mut self.segment.files_with_id,
            None => &mut self.segment.files,
        };
        let cells = id.map(CellRef::Int).into_iter().chain(row.cells());
        copy::row(buf, cells);
    }

    /// Send the archive's originals gathered since the last flush, in one statement (an
    /// original stored already, by this batch or a concurrent one, is left as it is).
    fn store_originals(&mut self) -> Result<()> {
        let originals = std::mem::take(&mut self.originals);
        self.originals_bytes = 0;
        let shas: Vec<&str> = originals.iter().map(|o| o.0).collect();
        let kinds: Vec<&str> = originals.iter().map(|o| o.1).collect();
        let sizes: Vec<i64> = originals.iter().map(|o| o.2).collect();
        let dictionaries: Vec<Option<&str>> = originals.iter().map(|o| o.3.dictionary).collect();
        let data: Vec<&[u8]> = originals.iter().map(|o| o.3.data.as_slice()).collect();
        let codecs: Vec<&str> = originals.iter().map(|o| o.3.codec()).collect();
        let shared: Vec<Option<String>> = originals.iter().map(|o| o.3.shared()).collect();
        self.client.query_typed(
            "INSERT INTO originals (sha256, kind, size, codec, dictionary, data, shared)
             SELECT s, k, z, c, t, d, p
             FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[],
                $6::bytea[], $7::text[]) AS u(s, k, z, c, t, d, p)
             ON CONFLICT (sha256) DO NOTHING",
            &[
                (&shas, Type::TEXT_ARRAY),
                (&kinds, Type::TEXT_ARRAY),
                (&sizes, Type::INT8_ARRAY),
                (&codecs, Type::TEXT_ARRAY),
                (&dictionaries, Type::TEXT_ARRAY),
                (&data, Type::BYTEA_ARRAY),
                (&shared, Type::TEXT_ARRAY),
            ],
        )?;
        Ok(())
    }

    fn copy_in(&mut self, statement: &str, data: &[u8]) -> Result<()> {
        let mut writer = self.client.copy_in(statement)?;
        writer.write_all(data)?;
        writer.finish()?;
        Ok(())
    }

    fn has_rows(&mut self, table: &'static str) -> Result<bool> {
        if let Some(&has) = self.has_rows.get(table) {
            return Ok(has);
        }
        let sql = format!("SELECT EXISTS (SELECT 1 FROM \"{table}\")");
        let has: bool = self.client.query_typed_one(&sql, &[])?.get(0);
        self.has_rows.insert(table, has);
        Ok(has)
    }

    /// Send the buffers: replaced ledger rows go, then every table's rows, the ledger rows,
    /// and the `after_write` statements of the keys written.
    fn flush(&mut self) -> Result<()> {
        let segment = std::mem::take(&mut self.segment);
        self.segment_no += 1;
        if !segment.replaced.is_empty() {
            let batch = self.batch.to_string();
            let params: [(&(dyn ToSql + Sync), Type); 2] =
                [(&batch, Type::TEXT), (&segment.replaced, Type::TEXT_ARRAY)];
            self.client.query_typed(
                "DELETE FROM rejected_rows WHERE file_id IN (SELECT id FROM files
                    WHERE batch_id = $1::bigint AND origin = ANY($2::text[]))",
                &params,
            )?;
            let gone = self.client.query_typed(
                "DELETE FROM files WHERE batch_id = $1::bigint AND origin = ANY($2::text[])
                 RETURNING status, rows_rejected",
                &params,
            )?;
            for row in gone {
                self.rows_rejected -= row.get::<_, Option<i64>>(1).unwrap_or(0);
                let status: &str = row.get(0);
                if let Some(s) = Status::ALL.into_iter().find(|s| s.as_str() == status) {
                    self.removed.add(s);
                }
            }
        }
        for (table, rows) in &segment.rows {
            self.copy_in(&self.sql.copies[table], rows)?;
        }
        if !segment.files.is_empty() {
            self.copy_in(&self.sql.copy_files, &segment.files)?;
        }
        if !segment.files_with_id.is_empty() {
            self.copy_in(&self.sql.copies[schema::FILES.name], &segment.files_with_id)?;
        }
        if !self.originals.is_empty() {
            self.store_originals()?;
        }
        for (table, keys) in &segment.hooks {
            for (reads, sql) in &self.sql.hooks[table] {
                if self.has_rows(reads)? {
                    self.client
                        .query_typed(sql, &[(keys as &(dyn ToSql + Sync), Type::TEXT_ARRAY)])?;
                }
            }
        }
        Ok(())
    }
}

impl Writes for Tx<'_> {
    fn docs(
        &mut self,
        file: &Processed,
        docs: &[Doc],
        on_conflict: OnConflict,
    ) -> Result<DocsResult> {
        if on_conflict == OnConflict::Fail
            && let Some(message) = self.first_conflict(file, docs)
        {
            return Ok(DocsResult {
                key_conflict: Some(message),
                ..DocsResult::default()
            });
        }
        let mut result = DocsResult::default();
        for (i, doc) in docs.iter().enumerate() {
            let main = doc.rows.first().expect("a document has its main row");
            let stored = if self.sql.docs.contains_key(main.table.name) {
                let key = self.key_of(main);
                let stored = self.known.get(&key).map(|e| e.stored.clone());
                stored.map(|s| (key, s))
            } else {
                None
            };
            let Some((key, stored)) = stored else {
                let key = if self.sql.docs.contains_key(main.table.name) {
                    self.key_of(main)
                } else {
                    String::new()
                };
                self.add_rows(file, i, doc, key);
                result.new_doc(doc);
                continue;
            };
            let meeting = written::meet(&stored, main, file, on_conflict);
            let conflict = match meeting {
                Meeting::Replace => {
                    if self.buffered(&key) {
                        self.flush()?;
                    }
                    self.delete(main)?;
                    self.add_rows(file, i, doc, key);
                    Some(Conflict::Replaced)
                }
                Meeting::Enrich => {
                    if self.buffered(&key) {
                        self.flush()?;
                    }
                    if self.enrich(main)? {
                        self.after_write(main);
                        let entry = Entry {
                            stored: Stored::of(main, file),
                            segment: None,
                        };
                        self.known.insert(key, entry);
                        Some(Conflict::Enriched)
                    } else {
                        None
                    }
                }
                _ => None,
            };
            result.met(doc, stored, meeting, conflict);
        }
        Ok(result)
    }

    fn catalog(&mut self, c: CatalogFile<'_>) -> Result<CatalogWrite> {
        let (batch, file, load, replace) = (c.batch, c.file, c.load, c.replace);
        // The files before it are sent first: the duplicate check sees them.
        self.flush()?;
        if let Some(sha) = &file.sha256 {
            let params = [
                Some(sha.clone()),
                Some(replace.to_string()),
                Some(batch.to_string()),
                Some(file.origin.clone()),
            ];
            let earlier = self.client.query_typed(
                "SELECT origin FROM files WHERE sha256 = $1 AND kind = 'catalog'
                    AND status = 'imported'
                    AND NOT ($2::boolean AND batch_id = $3::bigint AND origin = $4)
                 ORDER BY id LIMIT 1",
                &texts(&params),
            )?;
            if let Some(row) = earlier.first() {
                return Ok(CatalogWrite::Duplicate(row.get(0)));
            }
        }
        let file_id = self.next_file_id()?;
        self.client.batch_execute(&format!(
            "SAVEPOINT catalog;
             CREATE TEMP TABLE IF NOT EXISTS {STAGE} (LIKE product) ON COMMIT DROP"
        ))?;
        let cols: Vec<String> = catalog::PRODUCT
            .columns
            .iter()
            .map(|c| format!("\"{}\"", c.name))
            .collect();
        let copy_stage = format!("COPY {STAGE} ({}) FROM STDIN", cols.join(", "));
        let copy_rejects = &self.sql.copies[schema::REJECTED_ROWS.name];
        let mut rows = Vec::new();
        let mut rejects = Vec::new();
        let origin = &file.origin;
        let row_word = load.header.layout.row_word();
        let mut tally = Tally::default();
        let mut repeats = Vec::new();
        let client = &mut *self.client;
        let streamed = catalog::stream(load, file_id, &mut |chunk| {
            rows.clear();
            repeats.clear();
            let mut cells = chunk.cells(0..chunk.rows()).peekable();
            while cells.peek().is_some() {
                copy::row(&mut rows, cells.by_ref().take(catalog::WIDTH));
            }
            if !rows.is_empty() {
                let mut w = client.copy_in(&copy_stage)?;
                w.write_all(&rows)?;
                w.finish()?;
                // What `product` holds for each staged row's key, in the chunk's order.
                let stored = client.query_typed(&self.sql.lookup_product, &[])?;
                tally.count(
                    chunk,
                    file_id,
                    row_word,
                    &mut |i| {
                        let r = &stored[i];
                        anyhow::Ok(r.get::<_, Option<i64>>(0).map(|file_id| tally::Stored {
                            file_id,
                            line: r.get::<_, Option<i64>>(1).unwrap_or(0),
                            same: r.get::<_, Option<bool>>(2).unwrap_or(false),
                        }))
                    },
                    &mut repeats,
                )?;
                client.batch_execute(&self.sql.upsert)?;
            }
            if !chunk.rejects.is_empty() || !repeats.is_empty() {
                rejects.clear();
                for r in chunk.rejects.iter().chain(&repeats) {
                    rejected_row(&mut rejects, file_id, origin, r);
                }
                let mut w = client.copy_in(copy_rejects)?;
                w.write_all(&rejects)?;
                w.finish()?;
            }
            anyhow::Ok(())
        })?;
        Ok(match streamed {
            Ok(mut summary) => {
                summary.tally = tally;
                self.client.batch_execute("RELEASE SAVEPOINT catalog")?;
                self.has_rows.insert(catalog::PRODUCT.name, true);
                CatalogWrite::Written { file_id, summary }
            }
            Err(e) => {
                self.client
                    .batch_execute("ROLLBACK TO SAVEPOINT catalog; RELEASE SAVEPOINT catalog")?;
                CatalogWrite::Failed(e)
            }
        })
    }

    fn rejected(&mut self, file: &Processed, rejected: &[Reject]) -> Result<i64> {
        let file_id = self.next_file_id()?;
        let buf = self
            .segment
            .rows
            .entry(schema::REJECTED_ROWS.name)
            .or_default();
        for r in rejected {
            rejected_row(buf, file_id, &file.origin, r);
        }
        Ok(file_id)
    }
}

/// Store the shared parts of `pending`'s originals that `known` does not hold yet, in a
/// statement of their own before the transaction begins: a part is only bytes by their
/// SHA-256, which any original may use once it is stored, so it needs no rollback with the
/// files (one whose files fail is stored for the next). Sent in order of SHA-256, so that
/// members of a group storing the same parts at once wait for one another, never in a circle.
pub fn store_parts(
    client: &mut Client,
    sql: &Statements,
    known: &std::sync::Mutex<crate::archive::Known>,
    pending: &[Pending],
) -> Result<()> {
    let mut known = known.lock().unwrap_or_else(|e| e.into_inner());
    let mut parts: Vec<&crate::archive::Part> = pending
        .iter()
        .filter_map(|p| p.file.original.as_ref())
        .flat_map(|packed| &packed.parts)
        .filter(|part| known.is_new(part))
        .collect();
    if parts.is_empty() {
        return Ok(());
    }
    parts.sort_by(|a, b| a.sha256.cmp(&b.sha256));
    let shas: Vec<&str> = parts.iter().map(|p| p.sha256.as_str()).collect();
    let sizes: Vec<i64> = parts.iter().map(|p| p.bytes.len() as i64).collect();
    let data: Vec<&[u8]> = parts.iter().map(|p| p.bytes.as_slice()).collect();
    let stored = client.query_typed(
        &sql.store_parts,
        &[
            (&shas, Type::TEXT_ARRAY),
            (&sizes, Type::INT8_ARRAY),
            (&data, Type::BYTEA_ARRAY),
        ],
    );
    match stored {
        Ok(_) => known.committed(),
        Err(_) => known.rolled_back(),
    }
    stored?;
    Ok(())
}
