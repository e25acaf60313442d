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

/// Item 4: `-q` quiets the terminal, not `--log-file`. The README's cron line (`-q
/// --log-format json --log-file ...`) logged nothing on a good run and only `file_failed` on a
/// bad one: a collector could not tell "ran fine" from "never ran". The file keeps the start,
/// the end and the failures whatever `-q` does to stderr, in JSON and in text.
#[test]
fn quiet_runs_still_log_their_start_and_end_to_the_log_file() {
    let env = Env::new();
    let good = env.path("boas");
    fs::create_dir(&good).unwrap();
    fs::copy(fixture("nfe/nfce-model65.xml"), good.join("nota.xml")).unwrap();
    let json = env.path("batchimp.jsonl");
    let text = env.path("batchimp.log");
    for (input, code) in [
        (good.display().to_string(), 0),
        (fixture("nfe/broken-empty.xml"), 1),
    ] {
        for (log, format) in [(&json, "json"), (&text, "text")] {
            let out = env
                .cmd()
                .args(["run", &input, "-q", "--log-format", format, "--log-file"])
                .arg(log)
                .args(env.db_args())
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(code));
            // The terminal stays quiet on a good run.
            if code == 0 {
                assert!(
                    out.stderr.is_empty(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
    let events: Vec<String> = fs::read_to_string(&json)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["event"].as_str().unwrap().to_owned()
        })
        .filter(|e| e.starts_with("batch_") || e == "file_failed")
        .collect();
    assert_eq!(
        events,
        [
            "batch_started",
            "batch_completed",
            "batch_started",
            "file_failed",
            "batch_completed"
        ]
    );
    let text = fs::read_to_string(&text).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.contains("own files")).collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[0].contains("batch 2 started: "), "{text}");
    assert!(
        lines[1].contains("batch 2 completed: 1 files, 0 imported, 1 duplicate"),
        "{text}"
    );
    assert!(lines[3].contains("failed: "), "{text}");
    assert!(lines[4].contains("batch 4 completed: 1 files"), "{text}");
}
