//! Where JSON reports go by default, and that they neither collide nor pile up (issue 29, item
//! 6): named after the database, reused by `resume` and `retry`, left out with `--no-report`,
//! removed by `prune` with their batches, and a report that cannot be written found before
//! the batch starts.

use crate::helpers::{Env, db_test, fixture};
use serde_json::Value;
use std::fs;
use std::path::Path;

fn json_at(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The names in the workspace that look like reports, sorted.
fn reports_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("report"))
        .collect();
    names.sort();
    names
}

/// `batchimp ARGS... --db ...` in the workspace.
fn batchimp(env: &Env, args: &[&str]) -> std::process::Output {
    env.cmd().args(args).args(env.db_args()).output().unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn two_databases_in_one_folder_keep_their_own_default_reports() {
    let env = Env::new();
    let one = fixture("nfe/nfe-v4-authorized.xml");
    let two = fixture("nfe/nfce-model65.xml");
    for (db, inputs) in [("a.db", vec![&one]), ("b.db", vec![&one, &two])] {
        let out = env
            .cmd()
            .arg("run")
            .args(inputs)
            .args(["--db", db, "-q"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    assert_eq!(
        reports_in(env.dir.path()),
        ["batchimp-report-a.db-1.json", "batchimp-report-b.db-1.json"]
    );
    assert_eq!(
        json_at(&env.path("batchimp-report-a.db-1.json"))["totals"]["files"],
        1
    );
    assert_eq!(
        json_at(&env.path("batchimp-report-b.db-1.json"))["totals"]["files"],
        2
    );
}

db_test! {
/// `resume` and `retry` write the batch's report where its first run wrote it, not a second
/// report under the default name.
fn resume_and_retry_reuse_the_batchs_report(db) {
    let env = Env::on(db);
    fs::create_dir_all(env.path("in")).unwrap();
    fs::create_dir_all(env.path("out")).unwrap();
    fs::copy(fixture("nfe/broken-malformed.xml"), env.path("in/a-bad.xml")).unwrap();
    fs::copy(fixture("nfe/nfe-v4-authorized.xml"), env.path("in/b-ok.xml")).unwrap();
    fs::copy(fixture("nfe/nfce-model65.xml"), env.path("in/c-ok.xml")).unwrap();
    let out = batchimp(&env, &["run", "in", "--report", "out/r.json", "--fail-fast", "-q", "-j", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(json_at(&env.path("out/r.json"))["status"], "stopped");

    let out = env.on_db(&["resume", "latest", "-q"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json_at(&env.path("out/r.json"));
    assert_eq!(report["status"], "completed");
    assert_eq!(report["totals"]["files"], 3);

    fs::copy(fixture("nfe/nfe-v4-cancelled-by-event.xml"), env.path("in/a-bad.xml")).unwrap();
    let out = env.on_db(&["retry", "latest", "-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json_at(&env.path("out/r.json"))["totals"]["by_status"]["failed"], 0);
    assert!(reports_in(env.dir.path()).is_empty(), "{:?}", reports_in(env.dir.path()));
}
}

#[test]
fn no_report_writes_none() {
    let env = Env::new();
    let out = env
        .cmd()
        .args(["run", &fixture("nfe/nfe-v4-authorized.xml"), "--no-report"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("batch 1 completed"), "{err}");
    assert!(!err.contains("report:"), "{err}");
    assert!(reports_in(env.dir.path()).is_empty());
    // Nor does a resume of it.
    let out = env.cmd().args(["resume", "1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(reports_in(env.dir.path()).is_empty());
}

db_test! {
/// A report that cannot be written is found before the batch starts: no batch in the ledger,
/// nothing imported, exit 2 naming the report.
fn an_unwritable_report_stops_before_the_batch(db) {
    let env = Env::on(db);
    let nfe = fixture("nfe/nfe-v4-authorized.xml");
    let out = batchimp(&env, &["run", &nfe, "--report", "missing/r.json"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("missing/r.json"), "{err}");
    assert_eq!(env.count_or_zero("SELECT count(*) FROM batches"), 0);
    assert_eq!(env.count_or_zero("SELECT count(*) FROM nfe"), 0);
}
}

db_test! {
/// `prune` removes the reports of the batches it prunes (not another file put there since),
/// and `--dry-run` removes none.
fn prune_removes_the_reports_of_pruned_batches(db) {
    let env = Env::on(db);
    let run = |input: &str| {
        let out = batchimp(&env, &["run", &fixture(input), "-q"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    };
    run("nfe/nfe-v4-authorized.xml");
    run("nfe/nfce-model65.xml");
    run("cfdi/cfdi40-ingreso.xml");
    run("nfe/nfe-foreign-buyer.xml");
    let made = reports_in(env.dir.path());
    assert_eq!(made.len(), 4, "{made:?}");
    // Batch 3's report was replaced by a file of the user's: it stays.
    let third = made.iter().find(|n| n.ends_with("-3.json")).unwrap().clone();
    fs::write(env.path(&third), "{\"mine\": true}\n").unwrap();
    env.rows(
        "UPDATE batches SET started_at = '2020-01-01T00:00:00.000Z',
            finished_at = '2020-01-01T00:00:00.000Z' WHERE id IN (1, 2, 3)",
    );
    let out = env.on_db(&["prune", "--older-than", "30d", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(reports_in(env.dir.path()), made);
    let out = env.on_db(&["prune", "--older-than", "30d"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let left = reports_in(env.dir.path());
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.contains(&third), "{left:?}");
    assert!(left.iter().any(|n| n.ends_with("-4.json")), "{left:?}");
}
}
