//! The ledger's tables, and every table (the ledger's and the formats') rendered as DDL in each
//! database's dialect. One definition serves SQLite and PostgreSQL; the schema's version is a
//! hash of the rendered DDL, so a database made by an older batchimp is brought up to date
//! (new tables, new columns, new indexes) the first time a newer one opens it.

use crate::format;
pub use crate::schema::Dialect;
use crate::schema::{ColType, Column, Index, Table, col};

use ColType::{Id, Integer as I, Real as R, Text as T, Timestamp as Ts};

/// `batches`: one row per run. `commits` counts the transactions committed into the batch: the
/// PostgreSQL writer reads it to tell whether a commit whose answer was lost went through.
pub static BATCHES: Table = Table {
    name: "batches",
    columns: &[
        col("id", Id),
        col("status", T).required(),
        col("started_at", Ts).required(),
        col("finished_at", Ts),
        col("processing_time_seconds", R),
        col("inputs", T).required(),
        col("workers", I).required(),
        col("options", T).required(),
        col("cwd", T),
        col("files", I).default("0"),
        col("imported", I).default("0"),
        col("duplicate", I).default("0"),
        col("failed", I).default("0"),
        col("unsupported", I).default("0"),
        col("rows_rejected", I).default("0"),
        col("commits", I).default("0"),
        // The walk's progress while the batch runs: files found so far, and the total once
        // the count of the inputs finished (NULL until then).
        col("files_found", I).default("0"),
        col("files_total", I),
        // What came of the --notify webhook (ledger::Notification as JSON); NULL without one.
        col("notification", T),
        // Where the batch's JSON report goes, for resume, retry and prune: an absolute path,
        // `-` for stdout, `none` for --no-report; NULL for the default path (see
        // `Target::default_report`).
        col("report", T),
        // Files an earlier batch recorded with the same path, size and modification time:
        // not read nor recorded again by this one (`run` without --recheck).
        col("seen", I).default("0"),
        // The start's own mark (`BatchStart::token`): a start repeated after its answer was
        // lost finds its row. NULL in batches started before it.
        col("token", T),
        // The batch's time running, idle time between runs left out: the current run's start
        // (NULL: `started_at`), the seconds of the runs before it, and the last commit's time
        // (how long a run killed with no word ran).
        col("run_started_at", Ts),
        col("earlier_seconds", R).default("0"),
        col("active_at", Ts),
    ],
    ..Table::BASE
};

/// `files`: one row per file per batch. No unique constraint on origin: the same path given
/// twice is recorded twice (the second time as a duplicate).
pub static FILES: Table = Table {
    name: "files",
    columns: &[
        col("id", Id),
        col("batch_id", I).required(),
        col("origin", T).required(),
        col("size", I).required(),
        col("sha256", T),
        col("kind", T),
        col("status", T).required(),
        col("error_type", T),
        col("error", T),
        col("duplicate", T),
        col("duplicate_of", T),
        col("warning", T),
        col("duration_ms", R).required(),
        col("retries", I).default("0"),
        col("mtime", I),
        col("key", T),
        col("conflict", T),
        // A catalog's rows or a SAT metadata file's lines, and what became of them
        // (ledger::RowCounts).
        col("rows", I),
        col("rows_rejected", I),
        col("rows_created", I),
        col("rows_updated", I),
        col("rows_unchanged", I),
        col("rows_duplicate_in_file", I),
        // A catalog's decimal separator for numbers written as text: comma, point, mixed.
        col("decimal_separator", T),
        // When the writer recorded the file, in milliseconds since the Unix epoch.
        col("recorded_at", I),
    ],
    indexes: &[
        // Finds a catalog imported before by its bytes; partial, so other files cost nothing
        // ('catalog' is catalog::KIND, spelled out in the query too so that SQLite uses it).
        Index {
            name: "files_catalog_sha256",
            columns: &["sha256"],
            filter: Some("kind = 'catalog'"),
        },
        // Covers resume: a batch's origins with the size and time they had, from the index.
        Index {
            name: "files_batch_origin_stat",
            columns: &["batch_id", "origin", "size", "mtime"],
            filter: None,
        },
    ],
    ..Table::BASE
};

/// `rejected_rows`: catalog rows that failed validation, or that a later row of their file
/// replaced (`catalog_duplicate_in_file`), and SAT metadata lines that could not be read;
/// `file_id` is their file's `files.id`.
pub static REJECTED_ROWS: Table = Table {
    name: "rejected_rows",
    columns: &[
        col("file_id", I).required(),
        col("line", I).required(),
        col("error_type", T).required(),
        col("error", T).required(),
    ],
    indexes: &[Index {
        name: "rejected_rows_file",
        columns: &["file_id"],
        filter: None,
    }],
    ..Table::BASE
};

/// `batch_groups`: one row per `--group`, the load several processes share (PostgreSQL only):
/// its batch, the fingerprint of the inputs' listing every member must match, how many jobs
/// the walk yields and how many make a chunk, and whether a member has closed it.
pub static BATCH_GROUPS: Table = Table {
    name: "batch_groups",
    columns: &[
        col("name", T).required(),
        col("batch_id", I).required(),
        col("fingerprint", T).required(),
        col("jobs", I).required(),
        col("chunk_jobs", I).required(),
        col("created_at", Ts).required(),
        col("finished", I).default("0"),
    ],
    primary_key: &["name"],
    ..Table::BASE
};

/// `group_chunks`: a group's work, cut into chunks of consecutive files in walk order. A
/// member claims a chunk (`claimed`, with a lease it renews), records its files and marks it
/// `committed` in the same transaction; a lease that runs out (the member died) lets another
/// member take the chunk. `files` to `unsupported` are the chunk's counts, for per-member
/// totals.
pub static GROUP_CHUNKS: Table = Table {
    name: "group_chunks",
    columns: &[
        col("group_name", T).required(),
        col("chunk", I).required(),
        col("state", T).required(),
        col("member", T),
        col("lease_until", Ts),
        col("claims", I).default("0"),
        col("claimed_at", Ts),
        col("committed_at", Ts),
        col("files", I),
        col("imported", I),
        col("duplicate", I),
        col("failed", I),
        col("unsupported", I),
    ],
    primary_key: &["group_name", "chunk"],
    ..Table::BASE
};

/// `originals`: the archive, every distinct file imported (by its bytes' SHA-256, the ledger's
/// `files.sha256` and the documents' `sha256`), compressed (see [`crate::archive`]). Kept by
/// `prune`: the originals are the fiscal record, the ledger only says how they came.
pub static ORIGINALS: Table = Table {
    name: "originals",
    columns: &[
        col("sha256", T).required(),
        col("kind", T).required(),
        // The original's size in bytes, before compression.
        col("size", I).required(),
        // How `data` is compressed (`zstd`), and with which dictionary (NULL: none).
        col("codec", T).required(),
        col("dictionary", T),
        col("data", ColType::Bytes).required(),
        // Where the parts taken out before compressing go back (codec `zstd-shared`):
        // `offset:sha256` of `original_parts`, by a space; NULL: none.
        col("shared", T),
    ],
    primary_key: &["sha256"],
    ..Table::BASE
};

/// `original_parts`: what many originals hold alike (an issuer's certificate), stored once
/// by the SHA-256 of its bytes, which are kept as they were (see [`crate::archive`]). Kept by
/// `prune`, like the originals.
pub static ORIGINAL_PARTS: Table = Table {
    name: "original_parts",
    columns: &[
        col("sha256", T).required(),
        col("size", I).required(),
        col("data", ColType::Bytes).required(),
    ],
    primary_key: &["sha256"],
    ..Table::BASE
};

/// The ledger's tables (and the archive beside them).
pub static LEDGER: &[&Table] = &[
    &BATCHES,
    &FILES,
    &REJECTED_ROWS,
    &BATCH_GROUPS,
    &GROUP_CHUNKS,
    &ORIGINALS,
    &ORIGINAL_PARTS,
];

/// Indexes earlier versions made that are gone now.
const RETIRED_INDEXES: &[&str] = &["files_batch_origin"];

/// Every table a database holds: the ledger's, then each format's.
pub fn tables() -> impl Iterator<Item = &'static Table> {
    LEDGER.iter().copied().chain(format::all_tables())
}

impl Dialect {
    /// A column's type (and constraints) in this dialect, for `CREATE TABLE`.
    fn column(self, c: &Column) -> String {
        let ty = match (self, c.ty) {
            (Dialect::Sqlite, Id) => return format!("\"{}\" INTEGER PRIMARY KEY", c.name),
            (Dialect::Postgres, Id) => {
                return format!(
                    "\"{}\" bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                    c.name
                );
            }
            (Dialect::Sqlite, ColType::Text) => "TEXT",
            // Bytewise, as SQLite compares text: the same ORDER BY gives the same order, and
            // keys of digits index faster than under a locale's rules.
            (Dialect::Postgres, ColType::Text) => "TEXT COLLATE \"C\"",
            (Dialect::Sqlite, I) => "INTEGER",
            (Dialect::Postgres, I) => "bigint",
            (_, ColType::Numeric) => "NUMERIC",
            (Dialect::Sqlite, R) => "REAL",
            (Dialect::Postgres, R) => "double precision",
            (Dialect::Sqlite, Ts) => "TEXT",
            (Dialect::Postgres, Ts) => "timestamptz",
            (Dialect::Sqlite, ColType::Bytes) => "BLOB",
            (Dialect::Postgres, ColType::Bytes) => "bytea",
            (Dialect::Sqlite, ColType::Json) => "TEXT",
            (Dialect::Postgres, ColType::Json) => "jsonb",
        };
        let mut sql = format!("\"{}\" {ty}", c.name);
        if c.required {
            sql.push_str(" NOT NULL");
        }
        if let Some(d) = c.default {
            sql.push_str(&format!(" DEFAULT {d}"));
        }
        sql
    }

    /// `CREATE TABLE IF NOT EXISTS` and its indexes.
    pub fn create_table(self, t: &Table) -> String {
        self.create(t, t.name, true)
    }

    /// `CREATE TABLE` for `t` under the name `name`, with its indexes or without.
    fn create(self, t: &Table, name: &str, indexes: bool) -> String {
        let mut cols: Vec<String> = t.columns.iter().map(|c| self.column(c)).collect();
        if !t.primary_key.is_empty() {
            let pk: Vec<String> = t.primary_key.iter().map(|c| format!("\"{c}\"")).collect();
            cols.push(format!("PRIMARY KEY ({})", pk.join(", ")));
        }
        let mut ddl = format!(
            "CREATE TABLE IF NOT EXISTS \"{name}\" ({});\n",
            cols.join(", ")
        );
        if !indexes {
            return ddl;
        }
        for c in t.indexed {
            ddl.push_str(&format!(
                "CREATE INDEX IF NOT EXISTS \"{0}_{1}\" ON \"{0}\" (\"{1}\");\n",
                t.name, c
            ));
        }
        for ix in t.indexes {
            let cols: Vec<String> = ix.columns.iter().map(|c| format!("\"{c}\"")).collect();
            let filter = ix.filter.map(|f| format!(" WHERE {f}")).unwrap_or_default();
            ddl.push_str(&format!(
                "CREATE INDEX IF NOT EXISTS \"{}\" ON \"{}\" ({}){filter};\n",
                ix.name,
                t.name,
                cols.join(", ")
            ));
        }
        ddl
    }

    /// `ALTER TABLE ... ADD COLUMN` for a column a table made by an older batchimp lacks. A
    /// required column without a default cannot be added to rows that exist: it is added
    /// nullable.
    pub fn add_column(self, t: &Table, c: &Column) -> String {
        let mut def = self.column(c);
        if c.required && c.default.is_none() {
            def = def.replace(" NOT NULL", "");
        }
        let if_not_exists = match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => "IF NOT EXISTS ",
        };
        format!("ALTER TABLE \"{}\" ADD COLUMN {if_not_exists}{def}", t.name)
    }

    /// Rebuild a table whose stored primary key is not `t.primary_key` (a table made by an
    /// older batchimp): a copy with the new key, its rows (NULLs in key columns given the
    /// column's default), then the copy takes the table's name and indexes.
    pub fn rekey(self, t: &Table) -> String {
        let temp = format!("{}__rekey", t.name);
        let cols: Vec<String> = t
            .columns
            .iter()
            .map(|c| format!("\"{}\"", c.name))
            .collect();
        let values: Vec<String> = t
            .columns
            .iter()
            .map(|c| match c.default {
                Some(d) if t.primary_key.contains(&c.name) => {
                    format!("coalesce(\"{}\", {d})", c.name)
                }
                _ => format!("\"{}\"", c.name),
            })
            .collect();
        format!(
            "{create}INSERT INTO \"{temp}\" ({cols}) SELECT {values} FROM \"{name}\";\n\
             DROP TABLE \"{name}\";\nALTER TABLE \"{temp}\" RENAME TO \"{name}\";\n{indexes}",
            create = self.create(t, &temp, false),
            cols = cols.join(", "),
            values = values.join(", "),
            name = t.name,
            indexes = self.create_table(t),
        )
    }

    /// The whole schema: every table, then the retired indexes dropped.
    pub fn ddl(self) -> String {
        let mut ddl: String = tables().map(|t| self.create_table(t)).collect();
        for ix in RETIRED_INDEXES {
            ddl.push_str(&format!("DROP INDEX IF EXISTS \"{ix}\";\n"));
        }
        ddl
    }
}

/// Statements on one document table (a table with a primary key), built once per dialect.
pub struct DocSql {
    /// Column indexes of the primary key.
    pub key: Vec<usize>,
    /// `SELECT sha256, path, <first enrich column> IS NULL` of the stored copy, by key.
    pub lookup: String,
    /// Delete the stored copy's child rows, by the first key column.
    pub delete_children: Vec<String>,
    /// Delete the stored copy's row, by key.
    pub delete: String,
    /// `UPDATE` of the enrich columns (then the key as parameters) where the first is NULL,
    /// with those columns' indexes; `None` when the table has none.
    pub enrich: Option<(String, Vec<usize>)>,
}

impl DocSql {
    pub fn new(t: &'static Table, dialect: Dialect) -> DocSql {
        let key: Vec<usize> = t.primary_key.iter().map(|c| t.col(c)).collect();
        let by_key = |first: usize| -> String {
            key.iter()
                .enumerate()
                .map(|(i, &c)| {
                    let c = &t.columns[c];
                    format!("\"{}\" = {}", c.name, dialect.param(first + i, c.ty))
                })
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        let delete_children: Vec<String> = format::all_tables()
            .filter(|c| c.parent.is_some_and(|p| std::ptr::eq(p, t)))
            .map(|c| {
                let link = &c.columns[0];
                format!(
                    "DELETE FROM \"{}\" WHERE \"{}\" = {}",
                    c.name,
                    link.name,
                    dialect.param(1, link.ty)
                )
            })
            .collect();
        let delete = format!("DELETE FROM \"{}\" WHERE {}", t.name, by_key(1));
        let enrich = (!t.enrich.is_empty()).then(|| {
            let mut columns: Vec<&str> = t.enrich.to_vec();
            columns.extend(["path", "sha256"].iter().filter(|c| t.has(c)));
            let set: Vec<String> = columns
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let ty = t.columns[t.col(c)].ty;
                    format!("\"{c}\" = {}", dialect.param(i + 1, ty))
                })
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
        let enrichable = match t.enrich.first() {
            Some(c) => format!("\"{c}\" IS NULL"),
            None => "false".to_owned(),
        };
        DocSql {
            lookup: format!(
                "SELECT sha256, path, {enrichable} FROM \"{}\" WHERE {}",
                t.name,
                by_key(1)
            ),
            key,
            delete_children,
            delete,
            enrich,
        }
    }
}

/// How a row whose key is stored already replaces the stored values, the same in both
/// dialects: `ON CONFLICT (key) DO UPDATE SET` every other column to the new row's.
pub fn upsert_clause(t: &Table) -> String {
    let key: Vec<String> = t.primary_key.iter().map(|c| format!("\"{c}\"")).collect();
    let set: Vec<String> = t
        .columns
        .iter()
        .filter(|c| !t.primary_key.contains(&c.name))
        .map(|c| format!("\"{0}\" = excluded.\"{0}\"", c.name))
        .collect();
    format!(
        "ON CONFLICT ({}) DO UPDATE SET {}",
        key.join(", "),
        set.join(", ")
    )
}

/// A stable 31-bit hash of the schema's DDL (FNV-1a): the schema's version.
pub fn version(ddl: &str) -> i64 {
    let mut h: u32 = 0x811c_9dc5;
    for b in ddl.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    i64::from(h >> 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_renders_in_both_dialects() {
        let sqlite = Dialect::Sqlite.ddl();
        let pg = Dialect::Postgres.ddl();
        for t in tables() {
            assert!(sqlite.contains(&format!("\"{}\" (", t.name)), "{}", t.name);
            assert!(pg.contains(&format!("\"{}\" (", t.name)), "{}", t.name);
        }
        assert!(pg.contains("\"id\" bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"));
        assert!(pg.contains("\"started_at\" timestamptz NOT NULL"));
        assert!(pg.contains("\"v_nf\" NUMERIC"));
        assert!(sqlite.contains("\"id\" INTEGER PRIMARY KEY"));
        assert!(sqlite.contains("WHERE kind = 'catalog'"));
        assert_ne!(version(&sqlite), version(&pg));
    }

    #[test]
    fn added_columns_keep_defaults_and_drop_not_null_without_one() {
        let retries = FILES.columns.iter().find(|c| c.name == "retries").unwrap();
        assert_eq!(
            Dialect::Sqlite.add_column(&FILES, retries),
            "ALTER TABLE \"files\" ADD COLUMN \"retries\" INTEGER NOT NULL DEFAULT 0"
        );
        let origin = FILES.columns.iter().find(|c| c.name == "origin").unwrap();
        assert_eq!(
            Dialect::Postgres.add_column(&FILES, origin),
            "ALTER TABLE \"files\" ADD COLUMN IF NOT EXISTS \"origin\" TEXT COLLATE \"C\""
        );
    }
}
