//! How tables are declared, once, for every database: the formats declare their data tables
//! with these types (`format/`), the ledger declares its own (`sink::schema`), and each sink
//! renders them in its SQL dialect. No table is written out by hand twice.

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
