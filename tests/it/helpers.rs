//! A temporary workspace per test, the binary run in it with a scrubbed environment, and
//! readers for what it left behind (the database, the JSON report).

use assert_cmd::Command;
use rusqlite::Connection;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub fn fixture(rel: &str) -> String {
    fixtures().join(rel).display().to_string()
}

pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
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
            if k.starts_with("BATCHIMP_") {
                cmd.env_remove(k);
            }
        }
        cmd.current_dir(self.dir.path());
        // A hang is a failure, not a stuck CI run.
        cmd.timeout(std::time::Duration::from_secs(180));
        cmd
    }

    /// `batchimp run ARGS... --db test.db --report report.json -q`.
    pub fn run(&self, args: &[&str]) -> Run {
        let report = self.path("report.json");
        let _ = std::fs::remove_file(&report);
        let output = self
            .cmd()
            .arg("run")
            .args(args)
            .arg("--db")
            .arg(self.db())
            .arg("--report")
            .arg(&report)
            .arg("-q")
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
            .arg("--db")
            .arg(self.db())
            .output()
            .expect("runs")
    }

    pub fn conn(&self) -> Connection {
        Connection::open(self.db()).expect("db opens")
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.conn().query_row(sql, [], |r| r.get(0)).expect(sql)
    }

    /// Like [`Env::count`], but 0 while the database or its tables do not exist yet.
    pub fn count_or_zero(&self, sql: &str) -> i64 {
        if !self.db().exists() {
            return 0;
        }
        Connection::open(self.db())
            .and_then(|c| c.query_row(sql, [], |r| r.get(0)))
            .unwrap_or(0)
    }

    pub fn text(&self, sql: &str) -> Option<String> {
        self.conn().query_row(sql, [], |r| r.get(0)).expect(sql)
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
