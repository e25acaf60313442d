//! Files batchimp writes (reports, HTML pages, logs) and links planted where they go: a report
//! is written beside its path and renamed over it, so a link is replaced, never written
//! through; a log file that is a link is refused. The link's target is never changed.

use crate::helpers::{Env, fixture};
use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

const PRECIOUS: &str = "the victim's own content\n";

/// A victim file and a link to it at `at`.
fn plant(env: &Env, at: &Path) -> PathBuf {
    let victim = env.path("victim");
    let _ = fs::remove_file(&victim);
    fs::write(&victim, PRECIOUS).unwrap();
    symlink(&victim, at).unwrap();
    victim
}

/// Plant a link at `at`, run `batchimp ARGS... --db test.db` (which writes `at`): the victim is
/// unchanged and `at` is a file of its own; its content.
fn written_over_a_link(env: &Env, at: &Path, args: &[&OsStr]) -> String {
    let victim = plant(env, at);
    let out = env.cmd().args(args).args(env.db_args()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(fs::read_to_string(&victim).unwrap(), PRECIOUS);
    let meta = fs::symlink_metadata(at).unwrap();
    assert!(!meta.is_symlink(), "{} is still a link", at.display());
    fs::read_to_string(at).unwrap()
}

#[test]
fn reports_replace_a_planted_link() {
    let env = Env::new();
    let nfe = fixture("nfe/nfe-v4-authorized.xml");
    let json = |text: String| -> serde_json::Value { serde_json::from_str(&text).unwrap() };
    // The default report path, beside the database.
    let default = env.path("batchimp-report-test.db-1.json");
    let report = written_over_a_link(&env, &default, &["run".as_ref(), nfe.as_ref()]);
    assert_eq!(json(report)["batch_id"], 1);
    // --report FILE.
    let named = env.path("r.json");
    let args = [
        "run".as_ref(),
        nfe.as_ref(),
        "--recheck".as_ref(),
        "--report".as_ref(),
        named.as_os_str(),
    ];
    assert_eq!(
        json(written_over_a_link(&env, &named, &args))["batch_id"],
        2
    );
    // report --html FILE.
    let page = env.path("page.html");
    let args = ["report".as_ref(), "--html".as_ref(), page.as_os_str()];
    assert!(written_over_a_link(&env, &page, &args).starts_with("<!DOCTYPE html>"));

    // Nothing but what was asked for is left in the folder (no temporary file).
    let mut names: Vec<String> = fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("test.db"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "batchimp-report-test.db-1.json",
            "page.html",
            "r.json",
            "victim"
        ]
    );
}

#[test]
fn a_log_file_that_is_a_link_is_refused() {
    let env = Env::new();
    let log = env.path("batchimp.log");
    let victim = plant(&env, &log);
    let out = env
        .cmd()
        .args(["run", &fixture("nfe/broken-empty.xml"), "--log-file"])
        .arg(&log)
        .args(env.db_args())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot open log file") && err.contains("symbolic link"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&victim).unwrap(), PRECIOUS);
}
