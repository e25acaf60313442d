//! Issue 29, "predictable defaults": what a new user meets running the README's recipes by
//! hand, from cron and in CI — batchimp never importing its own files, a log file that keeps
//! its lines under `-q`, catalogs that almost match, the terminal and the help.

use crate::helpers::{Env, fixture};
use std::fs;

/// The files a report lists, as (path, status).
fn listed(report: &std::path::Path) -> Vec<(String, String)> {
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(report).unwrap()).unwrap();
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Item 1: `cd inbox && batchimp run . ; batchimp run .` — the database, its lock and journal
/// files, the reports and the log batchimp wrote there are never walked, so each run sees the
/// one document and nothing else (it used to fail on `batchimp.db.lock` as `empty_file` and
/// count the database and old reports as unsupported, one more each run).
#[test]
fn runs_in_the_folder_they_write_to_never_import_their_own_files() {
    let env = Env::new();
    let inbox = env.path("inbox");
    fs::create_dir(&inbox).unwrap();
    fs::copy(fixture("nfe/nfce-model65.xml"), inbox.join("nota.xml")).unwrap();
    let expected = [
        ("./nota.xml", "imported"),
        ("./nota.xml", "duplicate"),
        ("./nota.xml", "duplicate"),
    ];
    for (n, (origin, status)) in expected.iter().enumerate() {
        let mut cmd = env.cmd();
        cmd.current_dir(&inbox).args(["run", ".", "-v"]);
        if n > 0 {
            // The log file of an earlier run, and this run's own.
            cmd.args(["--log-file", "batchimp.log"]);
        }
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "run {}: {err}", n + 1);
        let report = inbox.join(format!("batchimp-report-{}.json", n + 1));
        assert_eq!(
            listed(&report),
            [(origin.to_string(), status.to_string())],
            "run {}",
            n + 1
        );
        // Said once, at -v: on stderr, or in the log file when there is one.
        let said = if n == 0 {
            err.into_owned()
        } else {
            fs::read_to_string(inbox.join("batchimp.log")).unwrap()
        };
        let lines = said
            .lines()
            .filter(|l| l.contains("batchimp's own files"))
            .count();
        assert_eq!(lines, n.max(1), "run {}: {said}", n + 1);
    }
    // Not said without -v.
    let out = env
        .cmd()
        .current_dir(&inbox)
        .args(["run", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("own files"), "{err}");
}
