//! Never lose a file: kill -9 and Ctrl-C at random points, resume, retry, the writer lock, a
//! full disk. Each ends by comparing the database with an uninterrupted run's, table by table.
//! Those that do not depend on SQLite's locking run on PostgreSQL as well.

use crate::helpers::{Env, db_test};
use crate::testdata;
use rusqlite::Connection;
use rusqlite::types::ValueRef;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What [`snapshot`] reads: per table, a query written alike for both databases, and whether
/// its rows are sorted here (nfe_item: rows of one item may tie on every key column, and
/// SQLite's `rowid` has no portable equivalent).
const SNAPSHOT: [(&str, bool); 11] = [
    ("SELECT * FROM nfe ORDER BY chave", false),
    (
        "SELECT * FROM nfe_evento ORDER BY chave, tp_evento, n_seq_evento",
        false,
    ),
    ("SELECT * FROM cfdi ORDER BY uuid", false),
    ("SELECT * FROM pdf_document ORDER BY sha256", false),
    ("SELECT * FROM nfe_item ORDER BY chave, n_item", true),
    (
        "SELECT p.sku, p.name, p.description, p.price, p.stock, p.line, f.origin
         FROM product p JOIN files f ON f.id = p.file_id ORDER BY p.sku",
        false,
    ),
    (
        "SELECT f.origin, r.line, r.error_type, r.error
         FROM rejected_rows r JOIN files f ON f.id = r.file_id ORDER BY f.origin, r.line",
        false,
    ),
    (
        "SELECT origin, size, sha256, kind, status, error_type, error, duplicate, duplicate_of,
                warning, key
         FROM files ORDER BY origin",
        false,
    ),
    (
        "SELECT status, files, imported, duplicate, failed, unsupported, inputs, options
         FROM batches ORDER BY id",
        false,
    ),
    // The archive: the same originals whatever the interruptions and members.
    (
        "SELECT sha256, kind, size, codec, shared FROM originals ORDER BY sha256",
        false,
    ),
    // Each certificate once, whoever stored it first.
    (
        "SELECT sha256, size FROM original_parts ORDER BY sha256",
        false,
    ),
];

/// Everything a run leaves that must not depend on interruptions: the data tables whole, and
/// the ledger without timings and ids. One line per row, its cells joined with '|' (`None` for
/// NULL, `Some("...")` otherwise).
pub(crate) fn snapshot(env: &Env) -> Vec<String> {
    snapshot_with(|sql| env.rows(sql))
}

fn snapshot_with(rows: impl Fn(&str) -> Vec<Vec<Option<String>>>) -> Vec<String> {
    let mut out = Vec::new();
    for (sql, sort) in SNAPSHOT {
        let mut lines: Vec<String> = rows(sql)
            .iter()
            .map(|row| {
                let cells: Vec<String> = row.iter().map(|c| format!("{c:?}")).collect();
                cells.join("|")
            })
            .collect();
        if sort {
            lines.sort();
        }
        out.append(&mut lines);
    }
    out
}

/// A SQLite file's rows, for a database outside any [`Env`] (the disk-full test's).
fn sqlite_rows(db: &Path, sql: &str) -> Vec<Vec<Option<String>>> {
    let conn = Connection::open(db).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        Ok((0..n)
            .map(|i| match r.get_ref(i).unwrap() {
                ValueRef::Null => None,
                ValueRef::Integer(i) => Some(i.to_string()),
                ValueRef::Real(f) => Some(f.to_string()),
                ValueRef::Text(t) | ValueRef::Blob(t) => {
                    Some(String::from_utf8_lossy(t).into_owned())
                }
            })
            .collect())
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

pub(crate) fn assert_same(expected: &[String], got: &[String], what: &str) {
    if expected.len() != got.len() {
        // Which rows: those of one side the other lacks (the first few).
        let (e, g): (std::collections::HashSet<_>, std::collections::HashSet<_>) =
            (expected.iter().collect(), got.iter().collect());
        let missing: Vec<_> = expected.iter().filter(|r| !g.contains(r)).take(5).collect();
        let extra: Vec<_> = got.iter().filter(|r| !e.contains(r)).take(5).collect();
        panic!(
            "{what}: {} rows expected, {} found; missing {missing:#?}; extra {extra:#?}",
            expected.len(),
            got.len()
        );
    }
    for (e, g) in expected.iter().zip(got) {
        assert_eq!(e, g, "{what}");
    }
}

/// xorshift: enough randomness for kill points, reproducible from the printed seed.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new() -> Rng {
        let seed = std::env::var("BATCHIMP_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap();
                now.as_nanos() as u64 ^ u64::from(std::process::id()) << 32
            });
        eprintln!("kill points seed: {seed} (BATCHIMP_TEST_SEED={seed} to repeat)");
        Rng(seed.max(1))
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn spawn(env: &Env, args: &[&str]) -> Child {
    Command::new(env.cmd().get_program())
        .args(args)
        .args(env.db_args())
        .arg("--quiet")
        .arg("--report")
        .arg(env.path("report.json"))
        .current_dir(env.dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The first batch's status; `None` while there is no database, table or batch yet.
fn batch_status(env: &Env) -> Option<String> {
    if !env.is_postgres() && !env.db().exists() {
        return None;
    }
    env.try_rows("SELECT status FROM batches ORDER BY id LIMIT 1")
        .ok()?
        .into_iter()
        .next()?
        .into_iter()
        .next()?
}

/// The kill -9 test's two variants, one at a time: each derives its kill points from its own
/// clean run's time, which the other running beside it would skew (too few kills land).
static KILL_9: std::sync::Mutex<()> = std::sync::Mutex::new(());

db_test! {
fn kill_9_at_random_points_then_resume_matches_an_uninterrupted_run(db) {
    let _one_at_a_time = KILL_9.lock().unwrap_or_else(|e| e.into_inner());
    let data = Env::new();
    // NF-e, catalogs and a ZIP, and among them CFDI, events and a PDF (read by the reader
    // child; one whose text names its fields, quick to read in a debug build): a kill lands
    // in any kind.
    let mut files = testdata::dataset(&data.path("notas"), 2500);
    let mut extra: Vec<std::path::PathBuf> = ["cfdi", "eventos"]
        .iter()
        .flat_map(|kind| std::fs::read_dir(crate::helpers::fixtures().join(kind)).unwrap())
        .map(|entry| entry.unwrap().path())
        .collect();
    extra.push(crate::helpers::fixtures().join("pdf/invoice-flate.pdf"));
    extra.sort();
    for (i, from) in extra.iter().enumerate() {
        let name = from.file_name().unwrap().to_string_lossy();
        std::fs::copy(from, data.path(&format!("notas/{:03}/x{i:02}-{name}", i * 7 % 25))).unwrap();
        files += 1;
    }
    let input = data.path("notas").display().to_string();

    let clean = Env::on(db);
    let started = Instant::now();
    let run = clean.run(&[&input, "--workers", "2"]);
    let clean_time = started.elapsed();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert_eq!(run.report()["totals"]["files"], files);
    let expected = snapshot(&clean);

    let mut rng = Rng::new();
    let mut kills = 0;
    // How long a whole run takes, learnt again whenever a chain's first (whole) run ends before
    // its kill point: a machine busier during the clean run than now would otherwise place most
    // kill points after the runs end.
    let mut whole_run = clean_time;
    // Chains of kill-and-resume until at least 24 kills landed mid-run, each chain checked.
    let mut chain = 0;
    while kills < 24 || chain < 3 {
        chain += 1;
        assert!(
            chain <= 20,
            "only {kills} kill points landed in {chain} chains"
        );
        let env = Env::on(db);
        // Kill points spread over the whole run, from before the batch exists to its very end.
        // On PostgreSQL the server rolls back the killed run's open transaction.
        let mut first = true;
        // Kills in this chain: each eighth widens the window, so that a machine slower now
        // than when `whole_run` was learnt (a run killed before its first commit, every time)
        // still gets through.
        let mut chain_kills = 0;
        loop {
            let mut child = spawn(&env, &["run", &input, "--resume", "--workers", "2"]);
            let window = whole_run.as_millis() as u64 * 7 / 10 * (1 + chain_kills / 8);
            let delay = rng.below(window + 20);
            std::thread::sleep(Duration::from_millis(delay));
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap();
                kills += 1;
                chain_kills += 1;
            } else if first {
                whole_run = whole_run.min(Duration::from_millis(delay));
            }
            first = false;
            child.wait().unwrap();
            if batch_status(&env).as_deref() == Some("completed") {
                break;
            }
            assert!(kills < 200, "no progress after {kills} kills");
        }
        assert_same(&expected, &snapshot(&env), &format!("chain {chain}"));
    }
    let on = if clean.is_postgres() { "PostgreSQL" } else { "SQLite" };
    eprintln!("{on}: {kills} kill points in {chain} chains (clean run {clean_time:?})");
}
}

/// A run killed after it sent a transaction's COMMIT leaves the server committing it after
/// the client is gone. A resume that read the ledger before that commit landed would import
/// the transaction's files a second time. The test plays the killed run's backend itself: a
/// transaction that took the batch row (as a writer's commit does) and records one more file,
/// committed only once the resume has started.
#[test]
fn a_resume_waits_for_the_killed_run_s_last_commit_on_postgresql() {
    let Some(db) = crate::helpers::Db::postgres() else {
        return;
    };
    resume_after_a_late_commit(db, &["run", "--resume"]);
    resume_after_a_late_commit(db, &["resume", "latest"]);
}

/// See [`a_resume_waits_for_the_killed_run_s_last_commit_on_postgresql`]: `resume` is the
/// command that resumes (`run` gets the folder after it).
fn resume_after_a_late_commit(db: crate::helpers::Db, resume: &[&str]) {
    let env = Env::on(db);
    let input = crate::helpers::folder(
        &env,
        "notas",
        &[
            "nfe/nfe-v4-authorized.xml",
            "nfe/nfe-foreign-buyer.xml",
            "nfe/nfce-model65.xml",
        ],
    );
    let run = env.run(&[&input]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    // The batch as a killed run leaves it: still running, its last file not yet recorded; that
    // file's row waits in a transaction holding the batch row, as the killed run's does.
    let mut setup = env.pg_client();
    setup
        .batch_execute(
            "CREATE TABLE held AS SELECT * FROM files WHERE origin LIKE '%nfe-v4-authorized.xml';
             DELETE FROM files WHERE origin LIKE '%nfe-v4-authorized.xml';
             UPDATE batches SET status = 'running', files = files - 1, imported = imported - 1",
        )
        .unwrap();
    let mut killed = env.pg_client();
    let mut last = killed.transaction().unwrap();
    last.batch_execute(
        "UPDATE batches SET commits = commits + 1; INSERT INTO files SELECT * FROM held",
    )
    .unwrap();
    let mut args = resume.to_vec();
    if resume[0] == "run" {
        args.insert(1, &input);
    }
    let resume = spawn(&env, &args);
    // The resume has read what it needs by now, unless it waits for the batch row.
    std::thread::sleep(Duration::from_millis(1500));
    last.commit().unwrap();
    let out = resume.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let twice = env.rows("SELECT origin, count(*) FROM files GROUP BY origin HAVING count(*) > 1");
    assert!(twice.is_empty(), "files recorded twice: {twice:?}");
    assert_eq!(env.count("SELECT count(*) FROM files"), 3);
    assert_eq!(batch_status(&env).as_deref(), Some("completed"));
}

/// A load of 3,000 NF-e (in the first workspace) run once uninterrupted (the second), and
/// again, running, in the third: returned once it has committed 100 files, for a test to
/// interrupt.
fn load_under_way(db: crate::helpers::Db) -> (Env, Env, Env, Child) {
    let data = Env::new();
    testdata::dataset(&data.path("notas"), 3000);
    let input = data.path("notas").display().to_string();
    let clean = Env::on(db);
    clean.run(&[&input, "--workers", "1"]);

    let env = Env::on(db);
    let child = spawn(&env, &["run", &input, "--workers", "1"]);
    let t0 = Instant::now();
    while env.count_or_zero("SELECT count(*) FROM files") < 100 {
        assert!(t0.elapsed() < Duration::from_secs(30), "no file recorded");
        std::thread::sleep(Duration::from_millis(5));
    }
    (data, clean, env, child)
}

db_test! {
fn ctrl_c_cancels_cleanly_and_resume_finishes_the_batch(db) {
    // Once the batch is committing, press Ctrl-C once.
    let (_data, clean, env, child) = load_under_way(db);
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    // The summary line once (issue 29: the log's warning printed it a second time).
    assert_eq!(err.matches("batch 1 cancelled: ").count(), 1, "{err}");
    assert!(
        err.contains(&format!("batchimp resume 1 {}", env.db_args().join(" "))),
        "{err}"
    );
    assert_eq!(batch_status(&env).as_deref(), Some("cancelled"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.path("report.json")).unwrap()).unwrap();
    assert_eq!(report["status"], "cancelled");
    let recorded = env.count("SELECT count(*) FROM files");
    assert_eq!(report["totals"]["files"], recorded);
    assert!(recorded < 3200, "stopped taking files");

    let out = env.on_db(&["resume", "1"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same(&snapshot(&clean), &snapshot(&env), "after resume");
}
}

db_test! {
/// A second Ctrl-C exits at once with 130: what was committed stays, the open transaction is
/// rolled back, and `resume` finishes the batch as one run would have.
fn ctrl_c_twice_exits_at_once_and_resume_finishes(db) {
    let (_data, clean, env, child) = load_under_way(db);
    // Presses 5 ms apart until it exits: the first one alone ends the run within moments, the
    // second lands while it winds down.
    let pid = child.id().to_string();
    let mut child = child;
    while child.try_wait().unwrap().is_none() {
        Command::new("kill")
            .args(["-INT", &pid])
            .stderr(Stdio::null())
            .status()
            .unwrap();
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted again; exiting now"), "{err}");
    // Pressed while it wound down: closed as `cancelled` already, or left `running`.
    let status = env.text("SELECT status FROM batches");
    assert!(
        matches!(status.as_deref(), Some("running" | "cancelled")),
        "{status:?}"
    );
    let out = env.on_db(&["resume", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_same(&snapshot(&clean), &snapshot(&env), "after two Ctrl-Cs and resume");
}
}

db_test! {
fn resume_of_a_completed_batch_does_nothing_and_run_resume_starts_new_batches(db) {
    let env = Env::on(db);
    let input = crate::helpers::fixture("nfe");
    env.run(&[&input]);
    let before = snapshot(&env);
    let out = env.on_db(&["resume", "latest"]);
    assert_eq!(out.status.code(), Some(1), "the batch has failures");
    assert!(String::from_utf8_lossy(&out.stderr).contains("is complete; nothing to do"));
    assert_same(&before, &snapshot(&env), "nothing redone");
    // --resume with nothing unfinished: a new batch.
    let run = env.run(&[&input, "--resume"]);
    assert_eq!(run.report()["batch_id"], 2);
    assert_eq!(run.total("imported"), 0);
}
}

db_test! {
fn retry_redoes_only_failed_files(db) {
    let env = Env::on(db);
    let dir = env.path("in");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.xml"), testdata::nfe(1, 2, "Venda")).unwrap();
    let full = testdata::nfe(2, 2, "Venda");
    std::fs::write(dir.join("b.xml"), &full[..100]).unwrap();
    std::fs::write(dir.join("c.xml"), "<NFe><broken").unwrap();
    let run = env.run(&["in"]);
    assert_eq!(run.total("failed"), 2);

    // The sender fixes b.xml; c.xml stays broken.
    std::fs::write(dir.join("b.xml"), &full).unwrap();
    let out = env
        .cmd()
        .args(["retry", "1"])
        .args(env.db_args())
        .args(["--report", "retry.json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.path("retry.json")).unwrap()).unwrap();
    assert_eq!(
        report["totals"]["files"], 3,
        "one ledger row per file, the failed ones replaced"
    );
    assert_eq!(report["totals"]["by_status"]["imported"], 2);
    assert_eq!(report["totals"]["by_status"]["failed"], 1);
    assert_eq!(env.count("SELECT count(*) FROM nfe"), 2);
    assert_eq!(env.count("SELECT imported FROM batches WHERE id = 1"), 2);
    assert_eq!(
        env.count("SELECT count(*) FROM files WHERE origin = 'in/a.xml'"),
        1,
        "a.xml not redone"
    );
}
}

/// SQLite-only: PostgreSQL has no writer lock (concurrent runs are kept apart by unique keys,
/// tested elsewhere).
#[test]
fn a_second_writer_waits_or_fails_with_no_wait() {
    let data = Env::new();
    testdata::dataset(&data.path("notas"), 2000);
    let input = data.path("notas").display().to_string();
    let env = Env::new();
    let mut first = spawn(&env, &["run", &input, "--workers", "1"]);
    let t0 = Instant::now();
    while batch_status(&env).is_none() && t0.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = env.on_db(&["run", &crate::helpers::fixture("nfe"), "--no-wait"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("another batchimp is writing to"));
    let second = env
        .cmd()
        .args([
            "run",
            &crate::helpers::fixture("nfe/nfe-v4-authorized.xml"),
            "-q",
            "--db",
        ])
        .arg(env.db())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&second.stderr).contains("waiting for it to finish"));
    assert_eq!(second.status.code(), Some(0));
    first.wait().unwrap();
    assert_eq!(
        env.count("SELECT count(*) FROM batches WHERE status = 'completed'"),
        2
    );
    let ok = env
        .conn()
        .query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0))
        .unwrap();
    assert_eq!(ok, "ok");
}

/// SQLite-only: a database file on a full filesystem (tmpfs); PostgreSQL's disk is the server's.
#[test]
fn disk_full_stops_cleanly_and_resume_completes_once_space_is_back() {
    let data = Env::new();
    testdata::dataset(&data.path("notas"), 1500);
    let input = data.path("notas").display().to_string();
    let clean = Env::new();
    clean.run(&[&input]);

    let env = Env::new();
    let mnt = env.path("small-disk");
    std::fs::create_dir_all(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
        .arg(&mnt)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipping: cannot mount a small tmpfs here (needs root)");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.0).status();
        }
    }
    let _guard = Unmount(&mnt);
    let db = mnt.join("full.db");
    let out = env
        .cmd()
        .args(["run", &input, "-q", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("full"), "names the cause: {err}");
    assert!(
        err.contains("batchimp resume 1"),
        "says how to finish: {err}"
    );
    let conn = Connection::open(&db).unwrap();
    let (files, ledger): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM files), (SELECT count(*) FROM nfe)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(
        files < 1700 && ledger <= files,
        "stopped early, ledger consistent"
    );
    drop(conn);

    Command::new("mount")
        .args(["-o", "remount,size=64m"])
        .arg(&mnt)
        .status()
        .unwrap();
    let out = env
        .cmd()
        .args(["resume", "1", "-q", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same(
        &snapshot_with(|sql| sqlite_rows(&clean.db(), sql)),
        &snapshot_with(|sql| sqlite_rows(&db, sql)),
        "after resume",
    );
}

/// SQLite-only: another program holding SQLite's write lock (`BEGIN IMMEDIATE`).
#[test]
fn a_database_busy_with_another_program_is_waited_for() {
    let env = Env::new();
    env.run(&[&crate::helpers::fixture("nfe/nfce-model65.xml")]);
    // Another program holds the write lock for a while.
    let holder = Connection::open(env.db()).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let child = spawn(
        &env,
        &[
            "run",
            &crate::helpers::fixture("nfe/nfe-v4-authorized.xml"),
            "--retries",
            "5",
            "--log-file",
            "run.log",
        ],
    );
    std::thread::sleep(Duration::from_millis(7000));
    holder.execute_batch("COMMIT").unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    // `-q` keeps retries off the terminal; the log has them.
    let log = std::fs::read_to_string(env.path("run.log")).unwrap();
    assert!(log.contains("retry 1 of 5"), "{log}");
    assert_eq!(env.count("SELECT count(*) FROM nfe"), 2);
}

db_test! {
fn resume_redoes_files_that_changed_and_verify_catches_same_size_edits(db) {
    let env = Env::on(db);
    let dir = env.path("in");
    std::fs::create_dir_all(&dir).unwrap();
    for n in 1..=3 {
        std::fs::write(dir.join(format!("{n}.xml")), testdata::nfe(n, 2, "Venda")).unwrap();
    }
    let run = env.run(&["in"]);
    assert_eq!(run.total("imported"), 3);
    let sha = |origin: &str| {
        env.text(&format!(
            "SELECT sha256 FROM files WHERE origin = '{origin}'"
        ))
        .unwrap()
    };
    let resume = |extra: &[&str]| {
        let out = env
            .cmd()
            .args(["resume", "1", "-q"])
            .args(env.db_args())
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };

    // 1.xml is replaced by a new document: other size and time, so resume redoes it.
    let before = sha("in/1.xml");
    std::fs::write(dir.join("1.xml"), testdata::nfe(11, 3, "Venda")).unwrap();
    resume(&[]);
    assert_ne!(sha("in/1.xml"), before);
    assert_eq!(
        env.count("SELECT count(*) FROM files WHERE origin = 'in/1.xml'"),
        1,
        "its row replaced"
    );
    assert_eq!(env.count("SELECT count(*) FROM nfe"), 4);
    assert_eq!(env.count("SELECT files FROM batches WHERE id = 1"), 3);

    // 2.xml is edited in place: same size, modification time put back. Only --verify sees it.
    let path = dir.join("2.xml");
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    let edited = std::fs::read_to_string(&path)
        .unwrap()
        .replacen("Cliente 2", "Cliente X", 1);
    std::fs::write(&path, edited).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let before = sha("in/2.xml");
    assert!(resume(&[]).contains("nothing to do"));
    assert_eq!(sha("in/2.xml"), before, "size and time unchanged: skipped");
    resume(&["--verify"]);
    assert_ne!(sha("in/2.xml"), before, "--verify re-hashed it");
    let row = env
        .text("SELECT duplicate FROM files WHERE origin = 'in/2.xml'")
        .unwrap();
    assert_eq!(
        row, "different",
        "same key, other bytes: a duplicate of the first import"
    );
    assert_eq!(env.count("SELECT count(*) FROM files"), 3);
}
}
