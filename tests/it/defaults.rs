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

/// A folder `name` in the workspace holding one NFC-e, `nota.xml`.
fn folder_with_one_nota(env: &Env, name: &str) -> std::path::PathBuf {
    let dir = env.path(name);
    fs::create_dir(&dir).unwrap();
    fs::copy(fixture("nfe/nfce-model65.xml"), dir.join("nota.xml")).unwrap();
    dir
}

/// Item 1: `cd inbox && batchimp run . ; batchimp run .` — the database, its lock and journal
/// files, the reports and the log batchimp wrote there are never walked, so each run sees the
/// one document and nothing else (it used to fail on `batchimp.db.lock` as `empty_file` and
/// count the database and old reports as unsupported, one more each run).
#[test]
fn runs_in_the_folder_they_write_to_never_import_their_own_files() {
    let env = Env::new();
    let inbox = folder_with_one_nota(&env, "inbox");
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
    let good = folder_with_one_nota(&env, "boas");
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

/// Item 5: a header with two of SKU, name and price was a silent `unsupported` with exit 0. It
/// fails as `catalog_missing_column`, naming the missing column and the `--map` that fixes it
/// (CSV and workbook), and `--map` then imports it; headers from real shops' and ERPs'
/// templates are known.
#[test]
fn catalogs_that_almost_match_say_which_column_is_missing() {
    let env = Env::new();
    fs::write(
        env.path("erp.csv"),
        "Código;Descrição;Preço de Venda\n1;Arroz 5kg;25,90\n",
    )
    .unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, cell) in ["sku", "name", "custo"].iter().enumerate() {
        sheet.write_string(0, c as u16, *cell).unwrap();
    }
    sheet.write_string(1, 0, "B1").unwrap();
    sheet.write_string(1, 1, "Feijão").unwrap();
    sheet.write_number(1, 2, 7.5).unwrap();
    fs::write(env.path("loja.xlsx"), book.save_to_buffer().unwrap()).unwrap();
    // Real templates' headers import as they are.
    fs::write(
        env.path("shop.csv"),
        "sku,name,sell_price,Stock Quantity\nS1,Café,12.50,4\n",
    )
    .unwrap();
    fs::write(
        env.path("bling.csv"),
        "Código do produto;Descrição do Produto;Preço de Venda\nP1;Açúcar;4,75\n",
    )
    .unwrap();

    let run = env.run(&["erp.csv", "loja.xlsx", "shop.csv", "bling.csv"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    for (file, fix) in [
        ("erp.csv", "--map 'Descrição=name'"),
        ("loja.xlsx", "--map 'custo=price'"),
    ] {
        let f = run.file(file);
        assert_eq!(f["status"], "failed", "{f}");
        assert_eq!(f["error_type"], "catalog_missing_column", "{f}");
        let error = f["error"].as_str().unwrap();
        assert!(error.contains(file) && error.contains(fix), "{error}");
    }
    for file in ["shop.csv", "bling.csv"] {
        assert_eq!(run.file(file)["status"], "imported", "{}", run.file(file));
    }
    assert_eq!(
        env.rows("SELECT sku, name, price, stock FROM product ORDER BY sku"),
        [
            [
                Some("P1".to_owned()),
                Some("Açúcar".to_owned()),
                Some("4.75".to_owned()),
                None
            ],
            [
                Some("S1".to_owned()),
                Some("Café".to_owned()),
                Some("12.5".to_owned()),
                Some("4".to_owned())
            ],
        ]
    );

    // The --map the message names imports them.
    let run = env.run(&[
        "erp.csv",
        "loja.xlsx",
        "--map",
        "Descrição=name",
        "--map",
        "custo=price",
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(
        env.rows("SELECT sku, name, price FROM product WHERE sku IN ('1', 'B1') ORDER BY sku"),
        [
            [
                Some("1".to_owned()),
                Some("Arroz 5kg".to_owned()),
                Some("25.9".to_owned())
            ],
            [
                Some("B1".to_owned()),
                Some("Feijão".to_owned()),
                Some("7.5".to_owned())
            ],
        ]
    );
}
