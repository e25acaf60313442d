//! The cron recipe over an inbox that does not change (issue 29, item 8): files recorded
//! before with the same path, size and modification time are `seen`, neither read nor
//! recorded again, so a re-run neither grows the database nor reports an old failure again;
//! `--recheck` reads everything.

use crate::helpers::{Env, db_test, fixture};
use serde_json::Value;
use std::fs;

db_test! {
fn an_unchanged_inbox_is_seen_not_reread(db) {
    let env = Env::on(db);
    fs::create_dir_all(env.path("inbox")).unwrap();
    let put = |from: &str, to: &str| {
        fs::copy(fixture(from), env.path(&format!("inbox/{to}"))).unwrap();
    };
    put("nfe/nfe-v4-authorized.xml", "a-ok.xml");
    put("nfe/nfe-v4-authorized.xml", "b-copy.xml");
    put("nfe/broken-malformed.xml", "c-bad.xml");
    fs::write(env.path("inbox/d-notes.txt"), "not a fiscal document\n").unwrap();
    let run = |extra: &[&str]| {
        let out = env
            .cmd()
            .args(["run", "inbox", "--report", "r.json"])
            .args(extra)
            .args(env.db_args())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code().unwrap(), err)
    };
    let report = || -> Value {
        serde_json::from_str(&fs::read_to_string(env.path("r.json")).unwrap()).unwrap()
    };
    let ledger = || {
        (
            env.count("SELECT count(*) FROM batches"),
            env.count("SELECT count(*) FROM files"),
        )
    };
    let size = || fs::metadata(env.db()).map(|m| m.len()).unwrap_or(0);

    let (code, err) = run(&["-q"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(report()["totals"]["files"], 4);
    let (before, bytes) = (ledger(), size());
    assert_eq!(before, (1, 4));

    // The cron line again, twice: nothing new, nothing printed, nothing recorded, exit 0.
    for _ in 0..2 {
        let _ = fs::remove_file(env.path("r.json"));
        let (code, err) = run(&["-q"]);
        assert_eq!(code, 0, "the known failure is not reported again: {err}");
        assert_eq!(err, "", "-q and nothing new: silent");
        assert_eq!(ledger(), before, "the ledger did not grow");
        assert_eq!(size(), bytes, "the database file did not grow");
        assert!(!env.path("r.json").exists(), "no new batch, no new report");
    }
    let (code, err) = run(&[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("4 seen"), "{err}");
    assert_eq!(ledger(), before);

    // The failed file's bytes change and a new file comes: those two are read, the others
    // are seen and counted so in the summary and the report's totals.
    fs::write(env.path("inbox/c-bad.xml"), "<still broken").unwrap();
    put("nfe/nfce-model65.xml", "e-new.xml");
    let (code, err) = run(&[]);
    assert_eq!(code, 1, "a changed file fails anew: {err}");
    assert!(err.contains("2 files") && err.contains("3 seen"), "{err}");
    let r = report();
    assert_eq!(r["totals"]["files"], 2);
    assert_eq!(r["totals"]["seen"], 3);
    assert_eq!(r["totals"]["by_status"]["imported"], 1);
    assert_eq!(r["totals"]["by_status"]["failed"], 1);
    let summary = env.on_db(&["report"]);
    let summary = String::from_utf8_lossy(&summary.stdout);
    assert!(summary.contains("seen     3 (recorded before"), "{summary}");

    // --recheck reads everything, as before.
    let (code, err) = run(&["--recheck"]);
    assert_eq!(code, 1, "{err}");
    let r = report();
    assert_eq!(r["totals"]["files"], 5);
    assert_eq!(r["totals"]["seen"], 0);
    assert_eq!(r["totals"]["by_status"]["duplicate"], 3);
}
}
