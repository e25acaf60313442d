//! `batchimp stats`, `list` filters and `prune`, over real batches on both databases. A batch
//! is made old by moving its times back with an UPDATE, as a month would.

use crate::helpers::{Env, db_test, fixture};
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Output;

/// A time long past, as both databases read it.
const LONG_AGO: &str = "2020-01-01T00:00:00.000Z";

/// Move a batch's start and end back to `when`.
fn age(env: &Env, batch: i64, when: &str) {
    env.rows(&format!(
        "UPDATE batches SET started_at = '{when}', finished_at = '{when}' WHERE id = {batch}"
    ));
}

/// Leave a batch `running`, as a batchimp killed in the middle does.
fn set_running(env: &Env, batch: i64) {
    env.rows(&format!(
        "UPDATE batches SET status = 'running', finished_at = NULL,
            processing_time_seconds = NULL WHERE id = {batch}"
    ));
}

/// A command's stdout as JSON, after checking it succeeded.
fn json(out: &Output) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// Add the numbers of a JSON object (a report's `totals`, maps within) into `sums`.
fn add_numbers(sums: &mut BTreeMap<String, u64>, prefix: &str, v: &Value) {
    for (k, v) in v.as_object().expect("an object") {
        let key = format!("{prefix}{k}");
        match v {
            Value::Object(_) => add_numbers(sums, &format!("{key}."), v),
            n => *sums.entry(key).or_default() += n.as_u64().expect("a count"),
        }
    }
}

fn numbers(v: &Value) -> BTreeMap<String, u64> {
    let mut sums = BTreeMap::new();
    add_numbers(&mut sums, "", v);
    // A status no file of a batch had is 0 in its report and in the sums alike.
    sums.retain(|_, n| *n > 0);
    sums
}

fn batch_ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .expect("an array")
        .iter()
        .map(|b| b["batch_id"].as_i64().unwrap())
        .collect()
}

db_test! {
/// `stats --json` adds up exactly what the batches' own reports say, and `--since` picks
/// batches by their start.
fn stats_add_up_the_batches_reports(db) {
    let env = Env::on(db);
    let mut reports = Vec::new();
    for input in [
        fixture("nfe"),
        fixture("catalog"),
        fixture("cfdi"),
        fixture("nfe"),
    ] {
        let run = env.run(&[&input]);
        assert_eq!(run.code(), 1, "every input has failures: {}", run.stderr());
        reports.push(run.report().clone());
    }
    let stats = json(&env.on_db(&["stats", "--json"]));
    assert_eq!(stats["batches"], 4);
    assert_eq!(stats["since"], Value::Null);

    // Totals: files, by status, by error type, by conflict, catalog rows.
    let mut expected = BTreeMap::new();
    for r in &reports {
        add_numbers(&mut expected, "", &r["totals"]);
    }
    expected.retain(|_, n| *n > 0);
    assert_eq!(numbers(&stats["totals"]), expected);
    let files = stats["totals"]["files"].as_u64().unwrap();
    assert!(files > 50, "{files}");

    // By kind: the reports' entries, counted; a file with nothing to look at is `none`.
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    for r in &reports {
        for f in r["files"].as_array().unwrap() {
            let kind = f["kind"].as_str().unwrap_or("none").to_owned();
            *kinds.entry(kind).or_default() += 1;
        }
    }
    let by_kind: BTreeMap<String, u64> = stats["by_kind"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect();
    assert_eq!(by_kind, kinds);
    assert!(by_kind["nfe"] > 0 && by_kind["cfdi"] > 0 && by_kind["catalog"] > 0);

    // Failure reasons: every error type, the most frequent first, each with a failed file of
    // that type as its example.
    let reasons = stats["failure_reasons"].as_array().unwrap();
    assert_eq!(
        reasons.len(),
        stats["totals"]["by_error_type"].as_object().unwrap().len()
    );
    let counts: Vec<u64> = reasons.iter().map(|r| r["files"].as_u64().unwrap()).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    let top = &reasons[0];
    let error_type = top["error_type"].as_str().unwrap();
    assert_eq!(top["files"], stats["totals"]["by_error_type"][error_type]);
    let example = &top["example"];
    let path = example["path"].as_str().unwrap();
    let error = example["error"].as_str().unwrap();
    assert!(error.contains(path), "the message names the file: {error}");
    let batch = example["batch_id"].as_i64().unwrap();
    let report = &reports[batch as usize - 1];
    let entry = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .expect("the example is in its batch's report");
    assert_eq!(entry["status"], "failed");
    assert_eq!(entry["error_type"], error_type);
    assert_eq!(entry["error"], error);

    // Speed per batch, newest first: files over processing time.
    let per_batch = stats["per_batch"].as_array().unwrap();
    assert_eq!(batch_ids(&stats["per_batch"]), [4, 3, 2, 1]);
    for b in per_batch {
        let report = &reports[b["batch_id"].as_u64().unwrap() as usize - 1];
        assert_eq!(b["files"], report["totals"]["files"]);
        let seconds = b["processing_time_seconds"].as_f64().unwrap();
        let rate = b["files_per_second"].as_f64().unwrap();
        let files = b["files"].as_f64().unwrap();
        assert!((rate - files / seconds).abs() < 1e-6 * rate, "{b}");
    }
    assert!(stats["files_per_second"].as_f64().unwrap() > 0.0);

    // The text: aligned, with the same numbers.
    let out = env.on_db(&["stats"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("batches  4 (all)\n"), "{text}");
    assert!(text.contains(&format!("files    {files} (")), "{text}");
    assert!(text.contains("failures by error type, most frequent first"), "{text}");
    assert!(text.contains(&format!("  {error_type} ")), "{text}");
    assert!(text.contains(&format!("e.g. batch {batch}: {path}")), "{text}");
    assert!(text.contains("files/s per batch"), "{text}");

    // --since: in the future, nothing; after the first batch is made old, the other three.
    let future = json(&env.on_db(&["stats", "--since", "2099-01-01", "--json"]));
    assert_eq!(future["batches"], 0);
    assert_eq!(future["since"], "2099-01-01T00:00:00.000Z");
    assert_eq!(future["totals"]["files"], 0);
    assert_eq!(future["totals"]["by_status"]["failed"], 0);
    assert_eq!(future["failure_reasons"], serde_json::json!([]));
    assert_eq!(future["per_batch"], serde_json::json!([]));
    assert_eq!(future["files_per_second"], Value::Null);
    age(&env, 1, LONG_AGO);
    let recent = json(&env.on_db(&["stats", "--since", "7d", "--json"]));
    assert_eq!(recent["batches"], 3);
    assert_eq!(batch_ids(&recent["per_batch"]), [4, 3, 2]);
    let mut expected = BTreeMap::new();
    for r in &reports[1..] {
        add_numbers(&mut expected, "", &r["totals"]);
    }
    expected.retain(|_, n| *n > 0);
    assert_eq!(numbers(&recent["totals"]), expected);
    // An RFC 3339 time with an offset: 2019-12-31T22:00-03:00 is 2020-01-01T01:00Z, after the
    // old batch started.
    let since = json(&env.on_db(&["stats", "--since", "2019-12-31T22:00:00-03:00", "--json"]));
    assert_eq!(since["batches"], 3);
    let since = json(&env.on_db(&["stats", "--since", "2019-12-31T20:00:00-03:00", "--json"]));
    assert_eq!(since["batches"], 4);

    let out = env.on_db(&["stats", "--since", "last tuesday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("give a date"));
}
}

db_test! {
/// `list --status`, `--since` and `--limit`, in text and JSON.
fn list_filters_by_status_start_and_count(db) {
    let env = Env::on(db);
    for input in ["nfe/nfe-v4-authorized.xml", "nfe/broken-truncated.xml", "cfdi/cfdi40-ingreso.xml"] {
        env.run(&[&fixture(input)]);
    }
    // Batch 2 stopped by a fatal error, batch 1 a month ago.
    env.rows("UPDATE batches SET status = 'failed' WHERE id = 2");
    age(&env, 1, LONG_AGO);

    let list = |args: &[&str]| batch_ids(&json(&env.on_db(&[&["list", "--json"], args].concat())));
    assert_eq!(list(&[]), [3, 2, 1]);
    assert_eq!(list(&["--status", "failed"]), [2]);
    assert_eq!(list(&["--status", "completed"]), [3, 1]);
    assert_eq!(list(&["--status", "failed,completed"]), [3, 2, 1]);
    assert_eq!(list(&["--status", "failed", "--status", "running"]), [2]);
    assert_eq!(list(&["--limit", "1"]), [3]);
    assert_eq!(list(&["--since", "7d"]), [3, 2]);
    assert_eq!(list(&["--since", "2019-12-31"]), [3, 2, 1]);
    assert_eq!(list(&["--since", "7d", "--status", "completed"]), [3]);
    assert_eq!(list(&["--status", "completed", "--limit", "1"]), [3]);
    assert_eq!(list(&["--since", "2099-01-01T00:00:00Z"]), Vec::<i64>::new());

    let text = |args: &[&str]| {
        let out = env.on_db(&[&["list"], args].concat());
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).unwrap()
    };
    let failed = text(&["--status", "failed", "--since", "7d", "--limit", "20"]);
    let lines: Vec<&str> = failed.lines().collect();
    assert_eq!(lines.len(), 2, "{failed}");
    assert!(lines[1].trim_start().starts_with("2  failed"), "{failed}");
    assert_eq!(text(&["--status", "cancelled"]), "no batches match\n");

    let out = env.on_db(&["list", "--status", "broken"]);
    assert_eq!(out.status.code(), Some(2));
    let out = env.on_db(&["list", "--limit", "0"]);
    assert_eq!(out.status.code(), Some(2));
}
}

db_test! {
/// `prune` removes old batches from the ledger and nothing else: documents stay, and a pruned
/// NF-e imported again is still a duplicate. `--dry-run` counts the same and removes nothing,
/// `--keep-failed` keeps a batch with a failed file, a running batch is never pruned.
fn prune_removes_old_batches_from_the_ledger_only(db) {
    let env = Env::on(db);
    let nfe = fixture("nfe/nfe-v4-authorized.xml");
    let catalog = fixture("catalog/produtos-2026-10.csv");
    let no_rows = fixture("catalog/sem-linhas-validas.csv");
    // 1: an NF-e; 2: a catalog with rejected rows and a failed one; 3: a CFDI, recent;
    // 4: an NF-e whose run was killed (left running).
    assert_eq!(env.run(&[&nfe]).code(), 0);
    assert_eq!(env.run(&[&catalog, &no_rows]).code(), 1);
    assert_eq!(env.run(&[&fixture("cfdi/cfdi40-ingreso.xml")]).code(), 0);
    assert_eq!(env.run(&[&fixture("nfe/nfce-model65.xml")]).code(), 0);
    set_running(&env, 4);
    for batch in [1, 2, 4] {
        age(&env, batch, LONG_AGO);
    }
    let data = |env: &Env| {
        ["nfe", "product", "cfdi"]
            .map(|t| env.count(&format!("SELECT count(*) FROM {t}")))
    };
    let before = data(&env);
    assert!(before.iter().all(|&n| n > 0), "{before:?}");
    let ledger = |env: &Env, batches: &str| {
        (
            env.count(&format!("SELECT count(*) FROM batches WHERE id IN ({batches})")),
            env.count(&format!("SELECT count(*) FROM files WHERE batch_id IN ({batches})")),
            env.count(&format!(
                "SELECT count(*) FROM rejected_rows WHERE file_id IN
                    (SELECT id FROM files WHERE batch_id IN ({batches}))"
            )),
        )
    };
    let (_, files_1, _) = ledger(&env, "1");
    let (_, files_2, rejected_2) = ledger(&env, "2");
    assert_eq!((files_1, files_2), (1, 2));
    assert!(rejected_2 > 0);
    let (total_batches, total_files, total_rejected) = ledger(&env, "1, 2, 3, 4");

    let prune = |args: &[&str]| {
        let out = env.on_db(&[&["prune", "--json"], args].concat());
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (json(&out), stderr)
    };

    // --dry-run: the counts of the real thing, and nothing removed.
    let (dry, said) = prune(&["--older-than", "30d", "--dry-run"]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["batches"], 2);
    assert_eq!(dry["batch_ids"], serde_json::json!([1, 2]));
    assert_eq!(dry["files"], files_1 + files_2);
    assert_eq!(dry["rejected_rows"], rejected_2);
    assert_eq!(dry["kept_running"], 1);
    assert!(
        said.contains("would prune 2 batches, 3 files (older than 30 days); kept 1 running"),
        "{said}"
    );
    assert!(said.contains("nothing removed (--dry-run)"), "{said}");
    assert_eq!(ledger(&env, "1, 2, 3, 4"), (total_batches, total_files, total_rejected));

    // --keep-failed: batch 2 has a failed file, so only batch 1 goes.
    let (kept, said) = prune(&["--older-than", "30d", "--keep-failed"]);
    assert_eq!(kept["dry_run"], false);
    assert_eq!(kept["batch_ids"], serde_json::json!([1]));
    assert_eq!((kept["batches"].as_i64(), kept["files"].as_i64()), (Some(1), Some(files_1)));
    assert_eq!(kept["kept_failed"], 1);
    assert_eq!(kept["kept_running"], 1);
    assert!(
        said.contains("batchimp: pruned 1 batch, 1 file (older than 30 days); kept 1 running, 1 with failures (--keep-failed)"),
        "{said}"
    );
    assert_eq!(ledger(&env, "1"), (0, 0, 0));
    assert_eq!(ledger(&env, "2"), (1, files_2, rejected_2));

    // Then without it: batch 2 goes, with its files and their rejected rows.
    let (gone, said) = prune(&["--older-than", "30d"]);
    assert_eq!(gone["batch_ids"], serde_json::json!([2]));
    assert_eq!(gone["files"], files_2);
    assert_eq!(gone["rejected_rows"], rejected_2);
    assert!(said.contains("pruned 1 batch, 2 files (older than 30 days)"), "{said}");
    assert_eq!(ledger(&env, "1, 2"), (0, 0, 0));
    assert_eq!(
        env.count("SELECT count(*) FROM rejected_rows"),
        total_rejected - rejected_2,
        "no rejected row is left without its file"
    );
    // The recent batch and the running one stay, whole.
    assert_eq!(ledger(&env, "3").0, 1);
    assert_eq!(ledger(&env, "4").0, 1);
    assert_eq!(ledger(&env, "4").1, 1, "a running batch keeps its files");
    let (again, _) = prune(&["--older-than", "30d"]);
    assert_eq!(again["batches"], 0);

    // The documents stay, and deduplicate as before; a catalog's bytes do not count as
    // imported any more, and its rows come out unchanged.
    assert_eq!(data(&env), before);
    let run = env.run(&[&nfe]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let entry = run.file("nfe-v4-authorized.xml");
    assert_eq!(entry["status"], "duplicate");
    assert_eq!(entry["duplicate"], "identical");
    let run = env.run(&[&catalog]);
    let entry = run.file("produtos-2026-10.csv");
    assert_eq!(entry["status"], "imported");
    assert_eq!(entry["rows_created"], 0);
    assert_eq!(entry["rows_updated"], 0);
    assert!(entry["rows_unchanged"].as_u64().unwrap() > 0, "{entry}");
    assert_eq!(data(&env), before);

    // Everything older than now: the newest batch stays (SQLite would give its id out again),
    // and the running one.
    let newest = run.report()["batch_id"].as_i64().unwrap();
    let (all, said) = prune(&["--older-than", "0s"]);
    assert_eq!(all["kept_latest"], 1, "{said}");
    assert_eq!(all["kept_running"], 1, "{said}");
    assert!(said.contains("the newest"), "{said}");
    assert_eq!(
        batch_ids(&json(&env.on_db(&["list", "--json"]))),
        [newest, 4]
    );

    let out = env.on_db(&["prune"]);
    assert_eq!(out.status.code(), Some(2), "--older-than is required");
}
}

db_test! {
    /// `stats` shows the archive of originals: how many, their bytes stored and raw, and the
    /// ratio, in text and JSON; a database imported with `--no-archive` shows none.
    fn stats_shows_the_archive(db) {
        let env = Env::on(db);
        let run = env.run(&["--no-archive", &fixture("cfdi/cfdi40-ingreso.xml")]);
        assert_eq!(run.code(), 0, "{}", run.stderr());
        let stats = json(&env.on_db(&["stats", "--json"]));
        assert_eq!(stats["archive"]["originals"], 0);
        assert_eq!(stats["archive"]["stored_bytes"], 0);
        assert_eq!(stats["archive"]["ratio"], Value::Null);

        let nfe = crate::helpers::fixtures().join("nfe").display().to_string();
        let run = env.run(&[&nfe]);
        // The raw bytes: each distinct document file imported (or met), once.
        let mut raw = BTreeMap::new();
        for f in run.report()["files"].as_array().unwrap() {
            if ["imported", "duplicate"].contains(&f["status"].as_str().unwrap()) {
                raw.insert(f["sha256"].as_str().unwrap().to_owned(), f["size"].as_u64().unwrap());
            }
        }
        let raw: u64 = raw.values().sum();
        let stored = env.count("SELECT sum(length(data)) FROM originals") as u64;
        let stats = json(&env.on_db(&["stats", "--json"]));
        let archive = &stats["archive"];
        assert_eq!(archive["originals"], env.count("SELECT count(*) FROM originals"));
        assert!(archive["originals"].as_u64().unwrap() >= 5, "{archive}");
        assert_eq!(archive["raw_bytes"], raw);
        assert_eq!(archive["stored_bytes"], stored);
        let ratio = archive["ratio"].as_f64().unwrap();
        assert!((ratio - raw as f64 / stored as f64).abs() < 0.01, "{archive}");
        assert!(ratio > 1.5, "zstd shrinks XML: {archive}");

        let out = env.on_db(&["stats"]);
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .find(|l| l.starts_with("archive"))
            .unwrap_or_else(|| panic!("no archive line: {text}"));
        let originals = archive["originals"].to_string();
        assert!(line.contains(&format!("{originals} originals")), "{line}");
        assert!(line.contains(&format!("{ratio:.1}×")), "{line}");
    }
}
