//! A temporary workspace per test, the binary run in it with a scrubbed environment against a
//! database (SQLite, or a schema of its own on the throwaway PostgreSQL server), and readers
//! for what it left behind (the database, the JSON report).

use crate::pgserver::PgServer;
use assert_cmd::Command;
use rusqlite::Connection;
use serde_json::Value;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The database a test runs against.
#[derive(Clone, Copy)]
pub enum Db {
    /// `test.db` in the test's workspace.
    Sqlite,
    /// A schema of the test's own in database `batchimp` of the shared throwaway server.
    Postgres(&'static PgServer),
}

impl Db {
    /// The shared PostgreSQL server; `None` (the test skips, saying so) when PostgreSQL is not
    /// installed and `BATCHIMP_REQUIRE_POSTGRES` is not set.
    pub fn postgres() -> Option<Db> {
        PgServer::shared().map(Db::Postgres)
    }
}

/// A test run once on each database: `db_test! { fn name(db) { let env = Env::on(db); ... } }`
/// makes `name::sqlite` and `name::postgres` (`cargo test postgres` runs the second kind).
macro_rules! db_test {
    ($(#[doc = $doc:literal])* fn $name:ident($db:ident) $body:block) => {
        $(#[doc = $doc])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn body($db: $crate::helpers::Db) $body

            #[test]
            fn sqlite() {
                body($crate::helpers::Db::Sqlite)
            }

            #[test]
            fn postgres() {
                if let Some(db) = $crate::helpers::Db::postgres() {
                    body(db)
                }
            }
        }
    };
}
pub(crate) use db_test;

/// A cell as text, the same way for both databases: numbers as Rust prints them (`10.5`,
/// `100`), so a NUMERIC reads alike in SQLite (REAL or INTEGER) and PostgreSQL.
fn sqlite_text(v: rusqlite::types::ValueRef) -> Option<String> {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub fn fixture(rel: &str) -> String {
    fixtures().join(rel).display().to_string()
}

/// A folder `name` in the test's directory holding copies of some fixtures, so a batch can
/// see exactly those.
pub fn folder(env: &Env, name: &str, files: &[&str]) -> String {
    let dir = env.path(name);
    std::fs::create_dir_all(&dir).unwrap();
    for f in files {
        let from = fixtures().join(f);
        std::fs::copy(&from, dir.join(from.file_name().unwrap())).unwrap();
    }
    dir.display().to_string()
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub kind: Db,
    /// PostgreSQL: the URL and the test's schema.
    pg: Option<(String, String)>,
}

impl Env {
    /// A workspace on SQLite.
    pub fn new() -> Env {
        Env::on(Db::Sqlite)
    }

    /// A workspace on `db`; on PostgreSQL, with a schema nobody else uses (batchimp creates it).
    pub fn on(db: Db) -> Env {
        static NEXT: AtomicUsize = AtomicUsize::new(1);
        let pg = match db {
            Db::Sqlite => None,
            Db::Postgres(server) => {
                let n = NEXT.fetch_add(1, Ordering::Relaxed);
                let schema = format!("t{}_{n}", std::process::id());
                Some((server.url("batchimp"), schema))
            }
        };
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
            kind: db,
            pg,
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }

    /// `--db ...` naming this environment's database (and `--schema` on PostgreSQL).
    pub fn db_args(&self) -> Vec<String> {
        match &self.pg {
            None => vec!["--db".into(), self.db().display().to_string()],
            Some((url, schema)) => vec![
                "--db".into(),
                url.clone(),
                "--schema".into(),
                schema.clone(),
            ],
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn db(&self) -> PathBuf {
        self.path("test.db")
    }

    /// The binary, run inside the workspace with no BATCHIMP_* settings from the outer world.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("batchimp").expect("binary built");
        for (k, _) in std::env::vars() {
            // Proxies too: a --notify test's webhook is on 127.0.0.1, never behind one.
            if k.starts_with("BATCHIMP_") || k.to_ascii_lowercase().ends_with("_proxy") {
                cmd.env_remove(k);
            }
        }
        cmd.current_dir(self.dir.path());
        // A hang is a failure, not a stuck CI run.
        cmd.timeout(std::time::Duration::from_secs(180));
        cmd
    }

    /// `batchimp run ARGS... --db test.db --report report.json -q --recheck`: every file read,
    /// even one an earlier run recorded unchanged (tests of duplicates run a file twice).
    pub fn run(&self, args: &[&str]) -> Run {
        let report = self.path("report.json");
        let _ = std::fs::remove_file(&report);
        let output = self
            .cmd()
            .arg("run")
            .args(args)
            .args(self.db_args())
            .arg("--report")
            .arg(&report)
            .arg("-q")
            .arg("--recheck")
            .output()
            .expect("runs");
        let report = std::fs::read_to_string(&report)
            .ok()
            .map(|s| serde_json::from_str(&s).expect("report is JSON"));
        Run { output, report }
    }

    /// `batchimp ARGS... --db test.db`: a command run against this environment's database.
    pub fn on_db(&self, args: &[&str]) -> Output {
        self.cmd()
            .args(args)
            .args(self.db_args())
            .output()
            .expect("runs")
    }

    /// The SQLite database (SQLite-only tests).
    pub fn conn(&self) -> Connection {
        assert!(self.pg.is_none(), "conn() is SQLite's; use rows()");
        Connection::open(self.db()).expect("db opens")
    }

    /// A query's rows, every cell as text (see [`sqlite_text`]); `Err` when the query fails
    /// (no such table yet, say).
    /// A client of this environment's PostgreSQL schema (its search path set), for a test
    /// that holds a transaction open beside a run.
    pub fn pg_client(&self) -> postgres::Client {
        let (Some((_, schema)), Db::Postgres(server)) = (&self.pg, self.kind) else {
            panic!("pg_client() is PostgreSQL's");
        };
        let mut client = server.client("batchimp");
        client
            .batch_execute(&format!("SET search_path TO \"{schema}\""))
            .unwrap();
        client
    }

    pub fn try_rows(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>, String> {
        match &self.pg {
            None => {
                let conn = Connection::open(self.db()).map_err(|e| e.to_string())?;
                let mut stmt = conn.prepare(sql).map_err(|e| e.to_string())?;
                let n = stmt.column_count();
                let rows = stmt
                    .query_map([], |r| {
                        Ok((0..n).map(|i| sqlite_text(r.get_ref(i).unwrap())).collect())
                    })
                    .map_err(|e| e.to_string())?;
                rows.collect::<Result<_, _>>().map_err(|e| e.to_string())
            }
            Some(_) => {
                let messages =
                    self.pg_client()
                        .simple_query(sql)
                        .map_err(|e| match e.as_db_error() {
                            Some(db) => format!("{e}: {}", db.message()),
                            None => e.to_string(),
                        })?;
                Ok(messages
                    .iter()
                    .filter_map(|m| match m {
                        postgres::SimpleQueryMessage::Row(r) => {
                            Some((0..r.len()).map(|i| r.get(i).map(str::to_owned)).collect())
                        }
                        _ => None,
                    })
                    .collect())
            }
        }
    }

    /// The first column of every row, in the query's order, a NULL as `NULL` (SQLite's
    /// `group_concat` is PostgreSQL's `string_agg`: tests join in Rust instead).
    pub fn column(&self, sql: &str) -> Vec<String> {
        self.rows(sql)
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .next()
                    .flatten()
                    .unwrap_or_else(|| "NULL".into())
            })
            .collect()
    }

    /// A query's rows, every cell as text.
    pub fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        self.try_rows(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.text(sql)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{sql}: not a count"))
    }

    /// Like [`Env::count`], but 0 while the database or its tables do not exist yet (a run
    /// is starting). Any other failure of the query panics: a broken query must not read as
    /// "nothing yet".
    pub fn count_or_zero(&self, sql: &str) -> i64 {
        if self.pg.is_none() && !self.db().exists() {
            return 0;
        }
        match self.try_rows(sql) {
            Ok(rows) => rows
                .into_iter()
                .next()
                .and_then(|row| row.into_iter().next().flatten())
                .map(|v| {
                    v.parse()
                        .unwrap_or_else(|_| panic!("{sql}: not a count: {v}"))
                })
                .unwrap_or_else(|| panic!("{sql}: no row")),
            Err(e) if not_made_yet(&e) => 0,
            Err(e) => panic!("{sql}: {e}"),
        }
    }

    /// The first column of the one row a query returns.
    pub fn text(&self, sql: &str) -> Option<String> {
        let rows = self.rows(sql);
        assert!(!rows.is_empty(), "{sql}: no row");
        rows.into_iter()
            .next()
            .unwrap()
            .into_iter()
            .next()
            .flatten()
    }
}

pub struct Run {
    pub output: Output,
    pub report: Option<Value>,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output.status.code().expect("exited")
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    pub fn report(&self) -> &Value {
        self.report
            .as_ref()
            .unwrap_or_else(|| panic!("no report; stderr: {}", self.stderr()))
    }

    /// The report entry whose path ends with `suffix` (exactly one).
    pub fn file(&self, suffix: &str) -> &Value {
        let files = self.report()["files"].as_array().expect("files");
        let found: Vec<&Value> = files
            .iter()
            .filter(|f| f["path"].as_str().unwrap().ends_with(suffix))
            .collect();
        assert_eq!(found.len(), 1, "one entry ending with {suffix}: {found:?}");
        found[0]
    }

    pub fn total(&self, status: &str) -> u64 {
        self.report()["totals"]["by_status"][status]
            .as_u64()
            .expect("count")
    }
}

/// Part `name` of the workbook `xlsx` (`xl/workbook.xml`), `None` when it has none.
pub fn xlsx_part(xlsx: &[u8], name: &str) -> Option<String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).expect("a ZIP");
    let mut part = zip.by_name(name).ok()?;
    let mut text = String::new();
    part.read_to_string(&mut text).expect("XML parts are UTF-8");
    Some(text)
}

/// A worksheet cell as a test reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct XlsxCell {
    /// A string cell's text; a number cell's value as written (`12.5`).
    pub value: String,
    /// A string cell (shared or inline), not a number.
    pub string: bool,
    /// Its font is bold.
    pub bold: bool,
}

/// The cells of the workbook's first sheet by reference (`A1`).
pub fn xlsx_cells(xlsx: &[u8]) -> HashMap<String, XlsxCell> {
    fn named<'a, 'i>(
        node: roxmltree::Node<'a, 'i>,
        name: &'a str,
    ) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> + 'a {
        node.descendants()
            .filter(move |n| n.is_element() && n.tag_name().name() == name)
    }
    /// The text of an `<si>` or `<is>`: its `<t>`s, rich-text runs included.
    fn text(node: roxmltree::Node) -> String {
        named(node, "t").filter_map(|t| t.text()).collect()
    }
    let part = |name| xlsx_part(xlsx, name);
    let sheet = part("xl/worksheets/sheet1.xml").expect("a first sheet");
    let sheet = roxmltree::Document::parse(&sheet).unwrap();
    let shared = part("xl/sharedStrings.xml").unwrap_or_default();
    let shared: Vec<String> = match roxmltree::Document::parse(&shared) {
        Ok(doc) => named(doc.root(), "si").map(text).collect(),
        Err(_) => Vec::new(),
    };
    let styles = part("xl/styles.xml").expect("styles");
    let styles = roxmltree::Document::parse(&styles).unwrap();
    let bold_fonts: Vec<bool> = named(styles.root(), "font")
        .map(|f| named(f, "b").next().is_some())
        .collect();
    let xf_fonts: Vec<usize> = named(styles.root(), "cellXfs")
        .flat_map(|x| x.children().filter(|c| c.is_element()))
        .map(|xf| xf.attribute("fontId").unwrap().parse().unwrap())
        .collect();
    named(sheet.root(), "c")
        .map(|c| {
            let v = named(c, "v").next().and_then(|v| v.text()).unwrap_or("");
            let (value, string) = match c.attribute("t") {
                Some("s") => (shared[v.parse::<usize>().unwrap()].clone(), true),
                Some("inlineStr") => (named(c, "is").next().map(text).unwrap_or_default(), true),
                Some("str") => (v.to_owned(), true),
                _ => (v.to_owned(), false),
            };
            let style: usize = c.attribute("s").map_or(0, |s| s.parse().unwrap());
            let cell = XlsxCell {
                value,
                string,
                bold: bold_fonts[xf_fonts[style]],
            };
            (c.attribute("r").unwrap().to_owned(), cell)
        })
        .collect()
}

/// A query's error while a run is still creating the database: a table (or the schema) not
/// there yet, or SQLite's file locked by the migration.
fn not_made_yet(e: &str) -> bool {
    e.contains("no such table")
        || e.contains("does not exist")
        || e.contains("database is locked")
        || e.contains("file is not a database")
}

/// `../shared/REL` beside the repository (real samples published by others, the W3C suite), when
/// it holds `marker`. Absent, the test skips saying so, unless `BATCHIMP_REQUIRE_SHARED=1` (set
/// by CI, where `../shared` is always there): then a missing folder is a failure, not a silent
/// pass.
pub fn shared_dir(rel: &str, marker: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel);
    if dir.join(marker).exists() {
        return Some(dir);
    }
    let what = format!("{} (no {marker} in it)", dir.display());
    if std::env::var_os("BATCHIMP_REQUIRE_SHARED").is_some_and(|v| v == "1") {
        panic!("BATCHIMP_REQUIRE_SHARED=1 but ../shared is missing: {what}");
    }
    eprintln!("SKIPPED: this test reads {what}");
    None
}
