//! The two database floors batchimp's writers are measured against (issue 33): the same rows
//! through SQLite's own C API, and through PostgreSQL's own COPY, with nothing to parse.
//!
//! Both take the rows a batchimp run wrote (read back untimed, in the order it wrote them) and
//! write them again into a fresh copy of the same schema, so the floor and the run differ only
//! in how the rows reach the database.
//!
//! This file is the bench's, not batchimp's: it needs `unsafe` for SQLite's C API (static text
//! binds), which batchimp itself forbids.

use std::path::Path;
use std::time::{Duration, Instant};

/// CPU time of the calling thread so far (`/proc/thread-self/schedstat`: nanoseconds on a core).
pub fn thread_cpu() -> Duration {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let ns = s
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Duration::from_nanos(ns)
}

/// CPU time (user + system) of this whole process so far, every thread counted
/// (`/proc/self/stat`, in clock ticks of 1/100 s).
pub fn process_cpu() -> Duration {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
    let rest = s.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// One value of a row, its text in [`Rows::text`].
#[derive(Clone, Copy)]
enum V {
    I(i64),
    R(f64),
    T(usize, usize),
    B(usize, usize),
}

/// One row: its table, which columns are not NULL (a bit each), and its values in
/// [`Rows::values`].
struct Row {
    table: usize,
    mask: u64,
    start: usize,
    len: usize,
}

/// The rows of a SQLite database batchimp wrote, in the order its writer wrote them: for each
/// file in the ledger's order, its document's rows, their child rows, then the file's ledger
/// row. Only the values that are not NULL are kept.
pub struct Rows {
    tables: Vec<(String, Vec<String>)>,
    schema: Vec<String>,
    /// `CREATE INDEX` statements built after the rows (the item index).
    deferred: Vec<String>,
    rows: Vec<Row>,
    /// Index into `rows` where each file's rows begin.
    files: Vec<usize>,
    values: Vec<V>,
    text: Vec<u8>,
}

impl Rows {
    pub fn rows(&self) -> usize {
        self.rows.len()
    }

    /// Read the rows of `db` (the NF-e tables and the ledger's files).
    pub fn read(db: &Path) -> Rows {
        use rusqlite::types::ValueRef;
        let conn = rusqlite::Connection::open(db).expect("db");
        let mut schema = Vec::new();
        let mut deferred = Vec::new();
        {
            let mut st = conn
                .prepare(
                    "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL
                     AND name NOT LIKE 'sqlite_%' ORDER BY type = 'index', rowid",
                )
                .unwrap();
            let mut q = st.query([]).unwrap();
            while let Some(r) = q.next().unwrap() {
                let (name, sql): (String, String) = (r.get(1).unwrap(), r.get(2).unwrap());
                if name == "nfe_item_chave" {
                    deferred.push(sql);
                } else {
                    schema.push(sql);
                }
            }
        }
        let count = |t: &str| -> i64 {
            conn.query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0))
                .unwrap()
        };
        let columns = |t: &str| -> Vec<String> {
            let mut st = conn
                .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")
                .unwrap();
            st.query_map([t], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        // nfe, then every table of rows keyed by a document's chave that has rows, then files.
        let mut tables = vec![("nfe".to_owned(), columns("nfe"))];
        let children: Vec<String> = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'nfe_%'
                 ORDER BY rowid",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for t in children {
            let cols = columns(&t);
            if cols.first().is_some_and(|c| c == "chave") && count(&t) > 0 {
                tables.push((t, cols));
            }
        }
        tables.push(("files".to_owned(), columns("files")));
        let mut out = Rows {
            tables,
            schema,
            deferred,
            rows: Vec::new(),
            files: Vec::new(),
            values: Vec::new(),
            text: Vec::new(),
        };
        let mut by_key: Vec<rusqlite::Statement> = out.tables[..out.tables.len() - 1]
            .iter()
            .map(|(t, _)| {
                conn.prepare(&format!(
                    "SELECT * FROM \"{t}\" WHERE chave = ?1 ORDER BY rowid"
                ))
                .unwrap()
            })
            .collect();
        let push = |out: &mut Rows, table: usize, r: &rusqlite::Row, n: usize| {
            let start = out.values.len();
            let mut mask = 0u64;
            for i in 0..n {
                let v = match r.get_ref(i).unwrap() {
                    ValueRef::Null => continue,
                    ValueRef::Integer(v) => V::I(v),
                    ValueRef::Real(v) => V::R(v),
                    ValueRef::Text(t) => {
                        out.text.extend_from_slice(t);
                        V::T(out.text.len() - t.len(), t.len())
                    }
                    ValueRef::Blob(b) => {
                        out.text.extend_from_slice(b);
                        V::B(out.text.len() - b.len(), b.len())
                    }
                };
                mask |= 1 << i;
                out.values.push(v);
            }
            out.rows.push(Row {
                table,
                mask,
                start,
                len: out.values.len() - start,
            });
        };
        let files_table = out.tables.len() - 1;
        let files_cols = out.tables[files_table].1.len();
        let mut files = conn
            .prepare(
                "SELECT f.*, n.chave IS NOT NULL FROM files f LEFT JOIN nfe n
                 ON f.status = 'imported' AND n.chave = f.key AND n.sha256 = f.sha256
                 ORDER BY f.id",
            )
            .unwrap();
        let mut q = files.query([]).unwrap();
        while let Some(f) = q.next().unwrap() {
            out.files.push(out.rows.len());
            if f.get::<_, bool>(files_cols).unwrap() {
                let key: String = f.get("key").unwrap();
                for (table, st) in by_key.iter_mut().enumerate() {
                    let n = out.tables[table].1.len();
                    let mut rows = st.query([&key]).unwrap();
                    while let Some(r) = rows.next().unwrap() {
                        push(&mut out, table, r, n);
                    }
                }
            }
            push(&mut out, files_table, f, files_cols);
        }
        out
    }
}

/// The writer floor: `rows` into a new database at `db` (batchimp's page size, WAL and
/// synchronous mode, its schema with the item index built at the end), through SQLite's C API:
/// one statement per table and set of non-NULL columns, prepared once, each value bound as it
/// is (text without a copy: `SQLITE_STATIC`), nothing ever unbound; a transaction per
/// `files_per_tx` files. Returns the wall and the CPU time of writing, the index included.
pub fn sqlite_floor(rows: &Rows, db: &Path, files_per_tx: usize) -> (Duration, Duration) {
    use rusqlite::ffi;
    use std::collections::HashMap;
    use std::ffi::CString;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(
        "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
    )
    .unwrap();
    for sql in &rows.schema {
        conn.execute_batch(sql).unwrap();
    }
    // SAFETY: the handle is used on this thread only, while `conn` lives; every statement is
    // finalized before `conn` drops.
    let h = unsafe { conn.handle() };
    let exec = |sql: &str| {
        let c = CString::new(sql).unwrap();
        let rc = unsafe {
            ffi::sqlite3_exec(
                h,
                c.as_ptr(),
                None,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        assert_eq!(rc, ffi::SQLITE_OK, "{sql}");
    };
    let mut statements: HashMap<(usize, u64), *mut ffi::sqlite3_stmt> = HashMap::new();
    let (wall, cpu) = (Instant::now(), thread_cpu());
    let text = rows.text.as_ptr();
    for (n, &first) in rows.files.iter().enumerate() {
        if n % files_per_tx == 0 {
            if n > 0 {
                exec("COMMIT");
            }
            exec("BEGIN");
        }
        let last = rows.files.get(n + 1).copied().unwrap_or(rows.rows.len());
        for row in &rows.rows[first..last] {
            let stmt = *statements.entry((row.table, row.mask)).or_insert_with(|| {
                let (name, cols) = &rows.tables[row.table];
                let set: Vec<&str> = cols
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| row.mask & (1 << i) != 0)
                    .map(|(_, c)| c.as_str())
                    .collect();
                let sql = format!(
                    "INSERT INTO \"{name}\" (\"{}\") VALUES ({})",
                    set.join("\", \""),
                    vec!["?"; set.len()].join(", ")
                );
                let c = CString::new(sql).unwrap();
                let mut stmt = std::ptr::null_mut();
                let rc = unsafe {
                    ffi::sqlite3_prepare_v3(
                        h,
                        c.as_ptr(),
                        -1,
                        ffi::SQLITE_PREPARE_PERSISTENT,
                        &mut stmt,
                        std::ptr::null_mut(),
                    )
                };
                assert_eq!(rc, ffi::SQLITE_OK);
                stmt
            });
            for (i, v) in rows.values[row.start..row.start + row.len]
                .iter()
                .enumerate()
            {
                let i = i as i32 + 1;
                // SAFETY: `text` outlives the statement's step and reset below.
                let rc = unsafe {
                    match *v {
                        V::I(v) => ffi::sqlite3_bind_int64(stmt, i, v),
                        V::R(v) => ffi::sqlite3_bind_double(stmt, i, v),
                        V::T(at, len) => ffi::sqlite3_bind_text(
                            stmt,
                            i,
                            text.add(at).cast(),
                            len as i32,
                            ffi::SQLITE_STATIC(),
                        ),
                        V::B(at, len) => ffi::sqlite3_bind_blob(
                            stmt,
                            i,
                            text.add(at).cast(),
                            len as i32,
                            ffi::SQLITE_STATIC(),
                        ),
                    }
                };
                debug_assert_eq!(rc, ffi::SQLITE_OK);
            }
            let rc = unsafe { ffi::sqlite3_step(stmt) };
            assert_eq!(
                rc,
                ffi::SQLITE_DONE,
                "insert into {}",
                rows.tables[row.table].0
            );
            unsafe { ffi::sqlite3_reset(stmt) };
        }
    }
    exec("COMMIT");
    for sql in &rows.deferred {
        exec(sql);
    }
    let done = (wall.elapsed(), thread_cpu() - cpu);
    for stmt in statements.into_values() {
        unsafe { ffi::sqlite3_finalize(stmt) };
    }
    // Every row written, none twice.
    for (i, (name, _)) in rows.tables.iter().enumerate() {
        let want = rows.rows.iter().filter(|r| r.table == i).count();
        let got: usize = conn
            .query_row(&format!("SELECT count(*) FROM \"{name}\""), [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(got, want, "the writer floor's {name} rows");
    }
    drop(conn);
    done
}

/// The COPY floor: the tables batchimp wrote into PostgreSQL's schema `batchimp` (the
/// document tables and the ledger's files), taken out as COPY text untimed, then copied back
/// into empty copies of themselves (`LIKE ... INCLUDING ALL`: the same keys and indexes) in
/// one transaction through the same client crate: no parsing, no conversion, only COPY.
/// Returns the wall time, and the rows copied.
pub fn copy_floor(client: &mut postgres::Client, tables: &[&str]) -> (Duration, u64) {
    use std::io::{Read, Write};
    let mut texts = Vec::new();
    for t in tables {
        let mut text = Vec::new();
        client
            .copy_out(&format!("COPY batchimp.\"{t}\" TO STDOUT"))
            .unwrap()
            .read_to_end(&mut text)
            .unwrap();
        texts.push(text);
    }
    let mut ddl =
        String::from("DROP SCHEMA IF EXISTS copy_floor CASCADE; CREATE SCHEMA copy_floor;");
    for t in tables {
        ddl.push_str(&format!(
            "CREATE TABLE copy_floor.\"{t}\" (LIKE batchimp.\"{t}\" INCLUDING ALL);"
        ));
    }
    client.batch_execute(&ddl).unwrap();
    let started = Instant::now();
    let mut tx = client.transaction().unwrap();
    for (t, text) in tables.iter().zip(&texts) {
        let mut w = tx
            .copy_in(&format!("COPY copy_floor.\"{t}\" FROM STDIN"))
            .unwrap();
        w.write_all(text).unwrap();
        w.finish().unwrap();
    }
    tx.commit().unwrap();
    let wall = started.elapsed();
    let rows = texts
        .iter()
        .map(|t| t.iter().filter(|&&b| b == b'\n').count() as u64)
        .sum();
    client
        .batch_execute("DROP SCHEMA copy_floor CASCADE")
        .unwrap();
    (wall, rows)
}
