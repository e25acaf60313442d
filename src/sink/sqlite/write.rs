//! Writing a file's content into SQLite: documents (new, met, enriched, replaced) with their
//! child rows in multi-row INSERTs, and catalogs upserted chunk by chunk, counting what became
//! of each row.

use super::held::Key;
use super::*;

impl Sqlite {
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
            let inserted = self.execute_rows(Key::Insert(table), std::slice::from_ref(main))?;
            if inserted == 1 {
                self.insert_children(children)?;
                self.after_write(main)?;
                result.new_doc(doc);
                continue;
            }
            let sql = &self.docs[table.name];
            let key = key_of(sql, main);
            let stored = self.conn().prepare_cached(&sql.lookup)?.query_row(
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
                        self.conn().prepare_cached(delete)?.execute([key[0]])?;
                    }
                    self.conn()
                        .prepare_cached(&sql.delete)?
                        .execute(rusqlite::params_from_iter(key.clone()))?;
                    self.execute_rows(Key::Insert(table), std::slice::from_ref(main))?;
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

    /// Insert a chunk of catalog rows, a row whose SKU is stored already replacing its values,
    /// up to [`ROWS_PER_INSERT`] rows a statement; the rows inserted or updated.
    fn upsert_chunk(&mut self, chunk: &catalog::Chunk) -> Result<usize> {
        let table = &catalog::PRODUCT;
        let (mut done, rows) = (0, chunk.rows());
        let mut changed = 0;
        while done < rows {
            let k = rows_per_statement(rows - done);
            let cells = chunk.cells(done..done + k);
            let cells = cells.map(bound);
            changed += self.db.kept(Key::Upsert(table, k), |s| s.execute(cells))?;
            done += k;
        }
        Ok(changed)
    }

    /// The id the next ledger row gets: the file's own until commit (the writer lock and the
    /// open transaction see to it).
    fn next_file_id(&self) -> Result<i64> {
        let sql = "SELECT coalesce(max(id), 0) + 1 FROM files";
        Ok(self.conn().query_row(sql, [], |r| r.get(0))?)
    }

    /// Rows of `rejected_rows` of the file `file_id`, found in `origin`.
    fn insert_rejected<'r>(
        &self,
        file_id: i64,
        origin: &str,
        rejects: impl IntoIterator<Item = &'r format::Reject>,
    ) -> Result<()> {
        let mut insert = self.conn().prepare_cached(
            "INSERT INTO rejected_rows (file_id, line, error_type, error) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for r in rejects {
            insert.execute(params![
                file_id,
                r.line as i64,
                r.error_type.as_str(),
                format!("{origin}: {}", r.message)
            ])?;
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
            .chain(key_of(sql, row));
        let changed = self
            .conn()
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
                    let has: bool = self.conn().query_row(
                        &format!("SELECT EXISTS (SELECT 1 FROM \"{reads}\")"),
                        [],
                        |r| r.get(0),
                    )?;
                    self.has_rows.insert(reads, has);
                    has
                }
            };
            if has {
                self.conn()
                    .prepare_cached(sql)?
                    .execute([ToSqlValue(&row.values[0])])?;
            }
        }
        Ok(())
    }

    /// Execute the kept statement `key` with `rows`' values; the rows changed.
    fn execute_rows(&mut self, key: Key, rows: &[format::Row]) -> Result<usize> {
        let values = rows.iter().flat_map(|r| r.values.iter());
        let values = values.map(|v| bound(v.as_cell()));
        self.db.kept(key, |s| s.execute(values))
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
            self.execute_rows(Key::Rows(first.table, k), &rows[..k])?;
            rows = &rows[k..];
        }
        Ok(())
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
            self.conn().execute_batch("SAVEPOINT file")?;
        }
        let result = self.write_docs(file, docs, on_conflict)?;
        if result.key_conflict.is_some() {
            self.conn()
                .execute_batch("ROLLBACK TO file; RELEASE file")?;
        } else if guarded {
            self.conn().execute_batch("RELEASE file")?;
        }
        Ok(result)
    }

    fn catalog(&mut self, c: CatalogFile<'_>) -> Result<CatalogWrite> {
        let (batch, file, load, replace) = (c.batch, c.file, c.load, c.replace);
        if let Some(sha) = &file.sha256 {
            let earlier = self
                .conn()
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
        let file_id = self.next_file_id()?;
        self.conn().execute_batch("SAVEPOINT catalog")?;
        let origin = &file.origin;
        let row_word = load.header.layout.row_word();
        let mut tally = Tally::default();
        let mut repeats = Vec::new();
        self.conn().execute_batch(&met_sql())?;
        let streamed = catalog::stream(load, file_id, &mut |chunk| {
            repeats.clear();
            let changed = self.upsert_chunk(chunk)?;
            // The rows whose key was stored; the others were inserted.
            let mut met = self.conn().prepare_cached(&format!(
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
            self.conn().execute_batch(&format!("DELETE FROM {MET}"))?;
            self.insert_rejected(file_id, origin, chunk.rejects.iter().chain(&repeats))?;
            anyhow::Ok(())
        })?;
        self.conn()
            .execute_batch(&format!("DROP TRIGGER temp.{MET}"))?;
        Ok(match streamed {
            Ok(mut summary) => {
                summary.tally = tally;
                self.conn().execute_batch("RELEASE catalog")?;
                CatalogWrite::Written { file_id, summary }
            }
            Err(e) => {
                self.conn()
                    .execute_batch("ROLLBACK TO catalog; RELEASE catalog")?;
                CatalogWrite::Failed(e)
            }
        })
    }

    fn rejected(&mut self, file: &Processed, rejected: &[format::Reject]) -> Result<i64> {
        let file_id = self.next_file_id()?;
        self.insert_rejected(file_id, &file.origin, rejected)?;
        Ok(file_id)
    }
}

/// The key's values in a row of a document table, as statement parameters.
fn key_of<'a>(sql: &DocSql, row: &'a format::Row) -> Vec<ToSqlValue<'a>> {
    sql.key
        .iter()
        .map(|&c| ToSqlValue(&row.values[c]))
        .collect()
}

/// Most child rows one statement inserts (items have 42 columns: 672 parameters).
const ROWS_PER_INSERT: usize = 16;

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

/// A cell as a kept statement's parameter ([`held::Kept::execute`]): `None` for NULL, which
/// the statement unbinds only if the previous row set it.
pub(super) fn bound(cell: CellRef<'_>) -> Option<impl rusqlite::ToSql + '_> {
    (!matches!(cell, CellRef::Null)).then_some(ToSqlCell(cell))
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
