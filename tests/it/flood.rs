//! A catalog flooding the run with rejected rows: they stream to the ledger as they come, the
//! report keeps a sample of each file's (with the counts, saying the list is cut), and the
//! peak memory of `run` and `report --html` does not grow with their number.

use crate::helpers::{Db, Env, db_test};
use std::path::Path;
use std::process::Command;

/// A CSV catalog of 10 good rows and `bad` rows whose price is not a number.
fn flooded_catalog(path: &Path, bad: usize) {
    let mut csv = String::from("sku,name,price\n");
    for i in 0..10 {
        csv.push_str(&format!("GOOD-{i},Good product {i},10.00\n"));
    }
    for i in 0..bad {
        csv.push_str(&format!(
            "BAD-{i:07},A product whose price is no number,abc\n"
        ));
    }
    std::fs::write(path, csv).unwrap();
}

/// `batchimp ARGS` in `env`'s workspace under `/usr/bin/time`: its exit code and peak
/// resident memory in KiB (`%M`, the child's `ru_maxrss`).
fn peak_kib(env: &Env, args: &[&str]) -> (i32, u64) {
    let rss = env.path("rss.txt");
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&rss)
        .arg(env.cmd().get_program())
        .args(args)
        .current_dir(env.dir.path());
    for (k, _) in std::env::vars() {
        if k.starts_with("BATCHIMP_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd.output().expect("/usr/bin/time runs");
    let text = std::fs::read_to_string(&rss).unwrap();
    let kib = text
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak in {text:?}"));
    (out.status.code().expect("exited"), kib)
}

/// Import a catalog of `bad` rejected rows and write its HTML report: the peaks of both, and
/// the JSON report.
fn flood(db: Db, bad: usize) -> (u64, u64, serde_json::Value, String) {
    let env = Env::on(db);
    flooded_catalog(&env.path("catalogo.csv"), bad);
    let on_db = |args: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.extend(env.db_args());
        args
    };
    let args = on_db(&["run", "catalogo.csv", "--report", "report.json", "-q"]);
    let (code, run) = peak_kib(&env, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 1, "rows were rejected");
    let args = on_db(&["report", "1", "--html", "report.html"]);
    let (code, html) = peak_kib(&env, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0);
    let report = serde_json::from_str(&std::fs::read_to_string(env.path("report.json")).unwrap())
        .expect("report is JSON");
    let page = std::fs::read_to_string(env.path("report.html")).unwrap();
    (run, html, report, page)
}

db_test! {
fn rejected_rows_take_no_memory_per_row(db) {
    if !Path::new("/usr/bin/time").exists() {
        eprintln!("SKIPPED: needs /usr/bin/time to measure peak memory");
        return;
    }
    let (run_small, html_small, _, _) = flood(db, 30_000);
    let (run_large, html_large, report, page) = flood(db, 300_000);
    // 270,000 more rejected rows at ~165 bytes each would be 43 MiB more.
    assert!(
        run_large < run_small * 3 / 2,
        "run: {run_small} KiB with 30,000 rejected rows, {run_large} KiB with 300,000"
    );
    assert!(
        html_large < html_small * 3 / 2,
        "report --html: {html_small} KiB with 30,000 rejected rows, {html_large} KiB with 300,000"
    );

    // The counts are whole; the list is a sample of the first rows, and says so.
    assert_eq!(report["totals"]["rows"], 10);
    assert_eq!(report["totals"]["rows_rejected"], 300_000);
    let file = &report["files"][0];
    assert_eq!(file["rejected_rows_by_error_type"]["catalog_bad_price"], 300_000);
    assert_eq!(file["rows_rejected"], 300_000);
    let sample = file["rejected_rows"].as_array().unwrap();
    assert_eq!(sample.len(), 1000);
    assert_eq!(sample[0]["line"], 12);
    assert_eq!(sample[999]["line"], 1011);
    assert_eq!(file["rejected_rows_truncated"], true);
    // The page counts every row by error type, not the sample.
    assert!(
        page.contains(r#"<td class="type">catalog_bad_price</td><td class="n">300,000</td>"#),
        "{}",
        &page[page.find("Rows rejected").unwrap_or(0)..][..600.min(page.len())]
    );
}
}
