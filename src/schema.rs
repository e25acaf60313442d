//! How tables are declared, once, for every database: the formats declare their data tables
//! with these types (`format/`), the ledger declares its own (`sink::schema`), and each sink
//! renders them in its SQL dialect. No table is written out by hand twice.

use crate::error::{ErrorType, FileError};

/// Most bytes a text value may hold in a column of a key or an index. PostgreSQL refuses an
/// index row over 2704 bytes (a third of a page) and SQLite has no such limit, so without a
/// limit of its own one hostile file (a 6,000-character UUID) would stop a PostgreSQL batch
/// that SQLite imports. 1,000 bytes is far above any real identifier (a UUID is 36, an access
/// key 44, SKUs rarely reach 100) and leaves room for two such columns in one index (a SKU and
/// its supplier) below PostgreSQL's limit; a test holds every index to it. A value over it is
/// its file's `value_too_long` (its row's, in a catalog), the same on both databases.
pub const MAX_INDEXED_BYTES: usize = 1000;

/// Most bytes a ZIP member's name may have. File systems allow 255 bytes a name and 4,096 a
/// path; an archive allows 65,535: a member named longer than this is hostile, not a document.
pub const MAX_NAME_BYTES: usize = MAX_INDEXED_BYTES;

/// An SQL dialect batchimp writes: the data tables and the ledger are declared once and each
/// statement is rendered for one of these (`sink::schema` renders the tables, `ledger` its
/// queries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// Parameter `n` for a value of column type `ty`: `?N` in SQLite; in PostgreSQL, which
    /// gets every value as text, `$N` cast to the column's type.
    pub fn param(self, n: usize, ty: ColType) -> String {
        match (self, ty) {
            (Dialect::Sqlite, _) => format!("?{n}"),
            (Dialect::Postgres, ColType::Integer | ColType::Id) => format!("${n}::bigint"),
            (Dialect::Postgres, ColType::Numeric) => format!("${n}::numeric"),
            (Dialect::Postgres, ColType::Real) => format!("${n}::double precision"),
            (Dialect::Postgres, ColType::Timestamp) => format!("${n}::timestamptz"),
            (Dialect::Postgres, ColType::Text) => format!("${n}::text"),
            (Dialect::Postgres, ColType::Bytes) => format!("${n}::bytea"),
            (Dialect::Postgres, ColType::Json) => format!("${n}::jsonb"),
        }
    }
}

/// Column types, chosen so users can query naturally: codes stay text (leading zeros), counts
/// are integers, and money and quantities are numeric so `SUM()` works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Text,
    Integer,
    /// A decimal number (money, quantities): `NUMERIC` in both databases (SQLite stores it as
    /// REAL, or INTEGER when whole; PostgreSQL exactly).
    Numeric,
    /// A measurement (durations, seconds): floating point.
    Real,
    /// A point in time: RFC 3339 text in SQLite, `timestamptz` in PostgreSQL.
    Timestamp,
    /// The row's id, given by the database (SQLite's rowid, a PostgreSQL identity column).
    Id,
    /// Raw bytes: a BLOB in SQLite, `bytea` in PostgreSQL (the archive's compressed originals).
    Bytes,
    /// A JSON document: text in SQLite (whose JSON functions read text), `jsonb` in
    /// PostgreSQL, so `extra ->> 'Marca'` works in both.
    Json,
}

#[derive(Debug)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColType,
    /// `NOT NULL`.
    pub required: bool,
    /// SQL default, when the column has one (`0`).
    pub default: Option<&'static str>,
}

/// A column, for table definitions: `col("v_nf", ColType::Numeric)`.
pub const fn col(name: &'static str, ty: ColType) -> Column {
    Column {
        name,
        ty,
        required: false,
        default: None,
    }
}

impl Column {
    /// The column is `NOT NULL`.
    pub const fn required(self) -> Column {
        Column {
            required: true,
            ..self
        }
    }

    /// The column is `NOT NULL` with this default (rows written before it existed get it too).
    pub const fn default(self, sql: &'static str) -> Column {
        Column {
            required: true,
            default: Some(sql),
            ..self
        }
    }
}

/// An index beyond a table's one-column ones.
#[derive(Debug)]
pub struct Index {
    pub name: &'static str,
    pub columns: &'static [&'static str],
    /// A partial index's condition (plain SQL both databases read alike).
    pub filter: Option<&'static str>,
}

/// A table.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [Column],
    /// Empty for child tables whose rows are identified by their parent document only.
    pub primary_key: &'static [&'static str],
    /// Columns that get an index of their own (a child table's link to its parent).
    pub indexed: &'static [&'static str],
    /// Other indexes (several columns, partial).
    pub indexes: &'static [Index],
    /// For a child table: the document table its rows belong to, linked by this table's first
    /// column (the parent's key). Replacing a document deletes its rows here too.
    pub parent: Option<&'static Table>,
    /// Columns a later copy of a document may fill when the stored copy left them empty (the
    /// protocol of an NF-e first seen unsigned). The first one decides: the stored row is
    /// enriched when it is NULL there and the new copy is not.
    pub enrich: &'static [&'static str],
    /// Statements run after a row of this table is written (inserted, enriched or replaced):
    /// state that depends on other documents (an NF-e's cancellation by an event that may
    /// arrive before or after it).
    pub after_write: &'static [AfterWrite],
}

/// A statement run after rows of a table are written (see [`Table::after_write`]).
#[derive(Debug)]
pub struct AfterWrite {
    /// SQL in which `{keys}` stands for a condition on the written rows' first column (their
    /// document key): `= ?1` for one key in SQLite, `= ANY($1)` for many in PostgreSQL.
    pub sql: &'static str,
    /// The document table the statement depends on: while it holds no rows the statement
    /// cannot change anything and is skipped (most batches hold NF-e and no events).
    pub reads: &'static str,
}

impl AfterWrite {
    /// The statement with its key condition.
    pub fn render(&self, keys: &str) -> String {
        self.sql.replace("{keys}", keys)
    }
}

impl Table {
    /// The defaults for the fields a table rarely sets: `..Table::BASE`.
    pub const BASE: Table = Table {
        name: "",
        columns: &[],
        primary_key: &[],
        indexed: &[],
        indexes: &[],
        parent: None,
        enrich: &[],
        after_write: &[],
    };

    /// Index of a column, for use in `const` items so a typo is a compile error.
    pub const fn col(&self, name: &str) -> usize {
        let mut i = 0;
        while i < self.columns.len() {
            if const_str_eq(self.columns[i].name, name) {
                return i;
            }
            i += 1;
        }
        panic!("no such column");
    }

    /// Whether the table has this column.
    pub fn has(&self, name: &str) -> bool {
        self.columns.iter().any(|c| c.name == name)
    }

    /// Whether column `c` is in the primary key or an index, where PostgreSQL limits the size
    /// of a value (see [`MAX_INDEXED_BYTES`]).
    pub fn is_indexed(&self, c: usize) -> bool {
        let name = self.columns[c].name;
        self.primary_key.contains(&name)
            || self.indexed.contains(&name)
            || self.indexes.iter().any(|i| i.columns.contains(&name))
    }

    /// `Err(value_too_long)` when `text`, for column `c`, is over [`MAX_INDEXED_BYTES`] and
    /// the column is indexed. The length is compared first: a value of a few bytes costs one
    /// comparison.
    pub fn check_length(&self, c: usize, text: &str) -> Result<(), FileError> {
        if text.len() <= MAX_INDEXED_BYTES || !self.is_indexed(c) {
            return Ok(());
        }
        Err(value_too_long(
            &format!("{}.{}", self.name, self.columns[c].name),
            text,
            MAX_INDEXED_BYTES,
        ))
    }
}

/// The `value_too_long` error of `what` (a column, a member's name) holding `text`, of which
/// the message quotes the first 40 characters only.
pub fn value_too_long(what: &str, text: &str, max: usize) -> FileError {
    let head = match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{:?}...", &text[..cut]),
        None => format!("{text:?}"),
    };
    FileError::new(
        ErrorType::ValueTooLong,
        format!(
            "{what} is {} bytes long, over the {max} bytes batchimp takes for it: {head}",
            text.len()
        ),
    )
}

const fn const_str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every index, at the most its text columns may hold, fits PostgreSQL's 2704-byte index
    /// row (with room for its headers): [`MAX_INDEXED_BYTES`] keeps every batch going.
    #[test]
    fn every_index_fits_postgres_at_the_longest_values() {
        for t in crate::sink::schema::tables() {
            let mut indexes: Vec<Vec<&str>> = vec![t.primary_key.to_vec()];
            indexes.extend(t.indexed.iter().map(|c| vec![*c]));
            indexes.extend(t.indexes.iter().map(|i| i.columns.to_vec()));
            for columns in indexes {
                let bytes: usize = columns
                    .iter()
                    .map(|name| {
                        let c = &t.columns[t.col(name)];
                        assert!(t.is_indexed(t.col(name)), "{}.{name}", t.name);
                        match c.ty {
                            ColType::Text | ColType::Timestamp => MAX_INDEXED_BYTES + 4,
                            _ => 8,
                        }
                    })
                    .sum();
                assert!(
                    bytes + 64 <= 2704,
                    "{}: {columns:?} may need {bytes} bytes",
                    t.name
                );
            }
        }
    }
}
