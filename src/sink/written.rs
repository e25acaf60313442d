//! What writing one file did, decided and recorded the same way in every database: how a
//! document met a stored copy of itself, and the file's ledger row.

use crate::error::{ErrorType, FileError};
use crate::format::{CellRef, Doc, Lines, Outcome, Reject, Row, Value, catalog};
use crate::ledger::{Conflict, OnConflict, Processed, RowCounts, Status};
use crate::sink::schema::FILES;
use anyhow::{Context, Result};
use std::time::Duration;

/// What writing a file's documents did.
#[derive(Default)]
pub struct DocsResult {
    /// Documents written (new, enriched or replaced).
    pub imported: usize,
    /// Of those, the enriched or replaced.
    pub updated: usize,
    /// Documents that met a stored copy and left it as it was (duplicates).
    pub unchanged: usize,
    /// The first duplicate: `identical` or `different`.
    pub duplicate: Option<&'static str>,
    /// The first enriched or replaced document.
    pub conflict: Option<Conflict>,
    /// The path of the stored copy the first duplicate or conflict met.
    pub duplicate_of: Option<Option<String>>,
    /// Under `--on-conflict fail`: why the file fails.
    pub key_conflict: Option<String>,
    pub warning: Option<String>,
}

impl DocsResult {
    /// A new document written.
    pub fn new_doc(&mut self, doc: &Doc) {
        self.imported += 1;
        if let Some(w) = &doc.warning {
            self.warning.get_or_insert_with(|| w.clone());
        }
    }

    /// A document that met its stored copy (`stored`): written again (`conflict`), a
    /// duplicate, or the file's `key_conflict`.
    pub fn met(&mut self, doc: &Doc, stored: Stored, meeting: Meeting, conflict: Option<Conflict>) {
        match (conflict, meeting) {
            (Some(c), _) => {
                self.imported += 1;
                self.updated += 1;
                self.conflict.get_or_insert(c);
                self.duplicate_of.get_or_insert(stored.path);
            }
            (None, Meeting::Conflict) => {
                let table = doc.rows[0].table.name;
                self.key_conflict
                    .get_or_insert_with(|| key_conflict(table, &doc.key, stored.path.as_deref()));
            }
            (None, _) => {
                self.unchanged += 1;
                if self.duplicate.is_none() {
                    let identical = meeting == (Meeting::Duplicate { identical: true });
                    self.duplicate = Some(if identical { "identical" } else { "different" });
                    self.duplicate_of.get_or_insert(stored.path);
                }
            }
        }
    }
}

/// What is known of a document's stored copy.
#[derive(Debug, Clone)]
pub struct Stored {
    pub sha256: Option<String>,
    pub path: Option<String>,
    /// The table's first enrich column is NULL there: a copy that has it enriches this one.
    pub enrichable: bool,
}

impl Stored {
    /// The stored copy a row becomes once written from `file`.
    pub fn of(row: &Row, file: &Processed) -> Stored {
        let t = row.table;
        let path = t.columns.iter().position(|c| c.name == "path");
        Stored {
            sha256: file.sha256.clone(),
            path: path.and_then(|i| match &row.values[i] {
                Value::Text(s) => Some(s.to_string()),
                _ => None,
            }),
            enrichable: enrich_value(row).is_some_and(|v| *v == Value::Null),
        }
    }
}

/// The value of a row's first enrich column (`None` when its table has none).
fn enrich_value(row: &Row) -> Option<&Value> {
    let first = row.table.enrich.first()?;
    let i = row.table.columns.iter().position(|c| c.name == *first)?;
    Some(&row.values[i])
}

/// What happens to a document whose key is stored already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meeting {
    /// The stored copy stays; this one is a duplicate (`identical` bytes or not).
    Duplicate { identical: bool },
    /// This copy replaces the stored one (`--on-conflict replace`).
    Replace,
    /// This copy fills in what the stored one lacks.
    Enrich,
    /// The file fails with `key_conflict` (`--on-conflict fail`).
    Conflict,
}

/// Decide how `main`, the main row of a document from `file`, meets its stored copy.
pub fn meet(stored: &Stored, main: &Row, file: &Processed, on_conflict: OnConflict) -> Meeting {
    let identical = stored.sha256.is_some() && stored.sha256 == file.sha256;
    if identical && on_conflict == OnConflict::Reparse {
        Meeting::Replace
    } else if identical {
        Meeting::Duplicate { identical }
    } else if on_conflict == OnConflict::Replace {
        Meeting::Replace
    } else if stored.enrichable && enrich_value(main).is_some_and(|v| *v != Value::Null) {
        Meeting::Enrich
    } else if on_conflict == OnConflict::Fail {
        Meeting::Conflict
    } else {
        Meeting::Duplicate { identical }
    }
}

/// The `key_conflict` message for a document stored already with other content.
pub fn key_conflict(table: &str, key: &str, path: Option<&str>) -> String {
    format!(
        "{table} {key} is stored already with other content (from {}); --on-conflict fail",
        path.unwrap_or("an earlier file")
    )
}

/// The warning of a catalog some of whose rows were rejected or replaced by a later row.
pub fn catalog_warning(summary: &catalog::Summary) -> Option<String> {
    let rejected = summary.rejected_total();
    let repeated = summary.tally.duplicate_in_file;
    let mut parts = Vec::new();
    if rejected > 0 {
        parts.push(format!(
            "{rejected} of {} rows rejected ({})",
            summary.rows + rejected,
            catalog::describe_rejected(&summary.rejected)
        ));
    }
    if repeated > 0 {
        parts.push(format!(
            "{} replaced by a later row with the same SKU",
            crate::printable::counted(repeated, "row")
        ));
    }
    (!parts.is_empty()).then(|| format!("{}; see rejected_rows", parts.join("; ")))
}

/// A streamed catalog's counts, as its ledger row keeps them.
pub fn row_counts(summary: &catalog::Summary) -> RowCounts {
    RowCounts {
        rows: summary.rows,
        rows_rejected: summary.rejected_total(),
        rows_created: summary.tally.created,
        rows_updated: summary.tally.updated,
        rows_unchanged: summary.tally.unchanged,
        rows_duplicate_in_file: summary.tally.duplicate_in_file,
    }
}

/// A file of lines' counts: its lines kept, by what became of their documents, and those
/// rejected.
pub fn line_counts(result: &DocsResult, rejected: usize) -> RowCounts {
    RowCounts {
        rows: (result.imported + result.unchanged) as u64,
        rows_rejected: rejected as u64,
        rows_created: (result.imported - result.updated) as u64,
        rows_updated: result.updated as u64,
        rows_unchanged: result.unchanged as u64,
        rows_duplicate_in_file: 0,
    }
}

/// One row of the `files` table.
pub struct FileRow<'a> {
    pub batch: i64,
    pub file: &'a Processed,
    pub status: Status,
    pub error_type: Option<&'static str>,
    /// The message, starting with the file's origin.
    pub error: Option<String>,
    pub duplicate: Option<&'static str>,
    pub duplicate_of: Option<String>,
    pub warning: Option<String>,
    /// Reading and parsing, plus streaming into the database for a catalog.
    pub duration_ms: f64,
    pub key: Option<String>,
    pub conflict: Option<&'static str>,
    /// A catalog's rows, or a file of lines', and what became of them.
    pub rows: Option<RowCounts>,
    /// A catalog's decimal separator (`comma`, `point`, `mixed`).
    pub decimal_separator: Option<&'static str>,
    /// When the writer recorded it, in milliseconds since the Unix epoch.
    pub recorded_at: i64,
}

impl<'a> FileRow<'a> {
    /// The ledger row of `file`, given what writing it did.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        batch: i64,
        file: &'a Processed,
        status: Status,
        error: Option<(ErrorType, &str)>,
        result: DocsResult,
        key: Option<String>,
        rows: Option<RowCounts>,
        streaming: Duration,
    ) -> FileRow<'a> {
        let (error_type, error) = match error {
            Some((t, m)) => (Some(t.as_str()), Some(format!("{}: {m}", file.origin))),
            None => (None, None),
        };
        FileRow {
            batch,
            file,
            status,
            error_type,
            error,
            // A duplicate names the copy it duplicates; so does an enriched or replaced
            // document.
            duplicate: result.duplicate.filter(|_| status == Status::Duplicate),
            duplicate_of: result.duplicate_of.flatten(),
            warning: result.warning,
            duration_ms: (file.duration + streaming).as_secs_f64() * 1000.0,
            key,
            conflict: result.conflict.map(Conflict::as_str),
            rows,
            decimal_separator: None,
            recorded_at: crate::time::unix_ms(),
        }
    }

    /// The row's cells in the `files` table's column order, after `id` (which the database
    /// gives, or the catalog's writer chose): every database writes them as they come.
    pub fn cells(&self) -> [CellRef<'_>; FILE_CELLS] {
        let f = self.file;
        let text = |s: Option<&'a str>| s.map_or(CellRef::Null, CellRef::Text);
        let int = |i: Option<i64>| i.map_or(CellRef::Null, CellRef::Int);
        let counts = self.rows.map(|r| r.values());
        let count = |i: usize| int(counts.map(|c| c[i]));
        [
            CellRef::Int(self.batch),
            CellRef::Text(&f.origin),
            CellRef::Int(f.size as i64),
            text(f.sha256.as_deref()),
            text(f.kind),
            CellRef::Text(self.status.as_str()),
            text(self.error_type),
            self.error.as_deref().map_or(CellRef::Null, CellRef::Text),
            text(self.duplicate),
            self.duplicate_of
                .as_deref()
                .map_or(CellRef::Null, CellRef::Text),
            self.warning.as_deref().map_or(CellRef::Null, CellRef::Text),
            CellRef::Num(self.duration_ms),
            CellRef::Int(i64::from(f.retries)),
            int(f.mtime),
            self.key.as_deref().map_or(CellRef::Null, CellRef::Text),
            text(self.conflict),
            count(0),
            count(1),
            count(2),
            count(3),
            count(4),
            count(5),
            text(self.decimal_separator),
            CellRef::Int(self.recorded_at),
        ]
    }
}

/// The cells of a ledger row: every `files` column but `id`.
pub const FILE_CELLS: usize = 24;

/// The `files` columns a ledger row's [`FileRow::cells`] fill, in order.
pub fn file_columns() -> impl Iterator<Item = &'static str> {
    FILES.columns[1..].iter().map(|c| c.name)
}

/// What writing a catalog did.
pub enum CatalogWrite {
    /// Its bytes were imported before, from this file: nothing was written.
    Duplicate(String),
    /// Its rows were written, pointing to `file_id`, the id its ledger row must get.
    Written {
        file_id: i64,
        summary: catalog::Summary,
    },
    /// Nothing was written (no valid row, a read error).
    Failed(FileError),
}

/// How a database writes a file's content; [`write`] does the rest, the same for all.
pub trait Writes {
    /// Write a file's documents: a document whose key is new goes in with its child rows; one
    /// whose key is stored already [`meet`]s it. When the result has a `key_conflict`, nothing
    /// of the file was written.
    fn docs(
        &mut self,
        file: &Processed,
        docs: &[Doc],
        on_conflict: OnConflict,
    ) -> Result<DocsResult>;
    /// Stream a catalog into `product`, upserting by SKU. A catalog whose bytes were imported
    /// before (other than by this file's own row of this batch when `replace`) writes nothing;
    /// one that fails half-way takes back what it wrote.
    fn catalog(&mut self, c: CatalogFile<'_>) -> Result<CatalogWrite>;
    /// Record a file's rejected lines in `rejected_rows`, pointing to the id its ledger row
    /// must get, which this chooses and returns.
    fn rejected(&mut self, file: &Processed, rejected: &[Reject]) -> Result<i64>;
}

/// A catalog to write: its batch, its file and rows, and whether the file's row of this batch
/// is being replaced.
#[derive(Clone, Copy)]
pub struct CatalogFile<'a> {
    pub batch: i64,
    pub file: &'a Processed,
    pub load: &'a catalog::Load,
    pub replace: bool,
}

/// Write one file's content with `w` and compose its ledger row; also the id a catalog's rows,
/// or a file's rejected lines, point to, which its ledger row must get. `Err`: the database
/// failed.
pub fn write<'a>(
    w: &mut impl Writes,
    batch: i64,
    file: &'a Processed,
    put: super::Put,
) -> Result<(FileRow<'a>, Option<i64>)> {
    let super::Put {
        replace,
        on_conflict,
    } = put;
    let mut error: Option<(ErrorType, &str)> = None;
    let mut status = Status::Failed;
    let mut result = DocsResult::default();
    let mut key = None;
    let key_conflict;
    // For a catalog or a file of lines: the id its rejected rows point to (and a catalog's
    // rows), its row counts; for a catalog, time spent writing.
    let mut file_id = None;
    let mut rows = None;
    let mut streaming = Duration::ZERO;
    let catalog_error;
    match &file.outcome {
        Outcome::Failed(e) => error = Some((e.error_type, &e.message)),
        Outcome::Unsupported(what) => {
            status = Status::Unsupported;
            result.warning = what.clone();
        }
        Outcome::Skipped(why) => {
            status = Status::Unsupported;
            result.warning = Some(why.clone());
        }
        Outcome::Catalog(load) => {
            let started = std::time::Instant::now();
            let written = w
                .catalog(CatalogFile {
                    batch,
                    file,
                    load,
                    replace,
                })
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
                    result.warning = catalog_warning(&summary);
                    debug_assert_eq!(
                        summary.tally.total(),
                        summary.rows,
                        "every row counted once"
                    );
                    rows = Some(row_counts(&summary));
                }
            }
        }
        Outcome::Docs(docs) | Outcome::Lines(Lines { docs, .. }) => {
            let keys: Vec<&str> = docs.iter().map(|d| d.key.as_str()).collect();
            key = Some(keys.join(","));
            result = w
                .docs(file, docs, on_conflict)
                .with_context(|| format!("cannot write {}", file.origin))?;
            if let Some(msg) = result.key_conflict.take() {
                key_conflict = msg;
                error = Some((ErrorType::KeyConflict, &key_conflict));
                result = DocsResult::default();
            } else {
                status = if result.imported > 0 {
                    Status::Imported
                } else {
                    Status::Duplicate
                };
                // A file of lines: its lines counted, its rejected ones recorded.
                if let Outcome::Lines(Lines { rejected, .. }) = &file.outcome {
                    rows = Some(line_counts(&result, rejected.len()));
                    if !rejected.is_empty() {
                        let id = w
                            .rejected(file, rejected)
                            .with_context(|| format!("cannot write {}", file.origin))?;
                        file_id = Some(id);
                    }
                }
            }
        }
    }
    // What failed as it was written (a catalog's rows, a key conflict) is logged here, where
    // it is found; what failed before (the parse) the writer logged.
    if let (Some((error_type, message)), false) =
        (error, matches!(file.outcome, Outcome::Failed(_)))
    {
        crate::log::file_failed(batch, &file.origin, error_type, message);
    }
    let mut row = FileRow::new(batch, file, status, error, result, key, rows, streaming);
    if let (Outcome::Catalog(load), Some(_)) = (&file.outcome, file_id) {
        row.decimal_separator = load.header.decimal_separator();
    }
    Ok((row, file_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each cell lands in the column of its name: a column added to `files` or moved fails
    /// here, not as a value quietly written into its neighbour.
    #[test]
    fn a_ledger_rows_cells_follow_the_files_columns() {
        assert_eq!(FILES.columns[0].name, "id");
        assert_eq!(file_columns().count(), FILE_CELLS);
        let file = Processed {
            origin: "in/a.csv".into(),
            size: 11,
            sha256: Some("ab".into()),
            kind: Some("catalog"),
            outcome: Outcome::Unsupported(None),
            retries: 2,
            mtime: Some(13),
            duration: Duration::from_millis(5),
            original: None,
        };
        let mut row = FileRow::new(
            7,
            &file,
            Status::Imported,
            Some((ErrorType::TooLarge, "big")),
            DocsResult::default(),
            Some("k".into()),
            Some(RowCounts {
                rows: 101,
                rows_rejected: 102,
                rows_created: 103,
                rows_updated: 104,
                rows_unchanged: 105,
                rows_duplicate_in_file: 106,
            }),
            Duration::ZERO,
        );
        row.decimal_separator = Some("comma");
        row.recorded_at = 1_800_000_000_000;
        row.warning = Some("w".into());
        let cells: std::collections::HashMap<_, _> = file_columns().zip(row.cells()).collect();
        let expect = [
            ("batch_id", CellRef::Int(7)),
            ("origin", CellRef::Text("in/a.csv")),
            ("size", CellRef::Int(11)),
            ("sha256", CellRef::Text("ab")),
            ("kind", CellRef::Text("catalog")),
            ("status", CellRef::Text("imported")),
            ("error_type", CellRef::Text("too_large")),
            ("error", CellRef::Text("in/a.csv: big")),
            ("duplicate", CellRef::Null),
            ("duplicate_of", CellRef::Null),
            ("warning", CellRef::Text("w")),
            ("duration_ms", CellRef::Num(5.0)),
            ("retries", CellRef::Int(2)),
            ("mtime", CellRef::Int(13)),
            ("key", CellRef::Text("k")),
            ("conflict", CellRef::Null),
            ("rows", CellRef::Int(101)),
            ("rows_rejected", CellRef::Int(102)),
            ("rows_created", CellRef::Int(103)),
            ("rows_updated", CellRef::Int(104)),
            ("rows_unchanged", CellRef::Int(105)),
            ("rows_duplicate_in_file", CellRef::Int(106)),
            ("decimal_separator", CellRef::Text("comma")),
            ("recorded_at", CellRef::Int(1_800_000_000_000)),
        ];
        assert_eq!(cells.len(), expect.len());
        for (column, cell) in expect {
            assert_eq!(cells[column], cell, "{column}");
        }
    }
}
