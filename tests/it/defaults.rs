//! Issue 29, "predictable defaults": what a new user meets running the documented recipes by
//! hand, from cron and in CI — batchimp never importing its own files, a log file that keeps
//! its lines under `-q`, catalogs that almost match, the terminal and the help.

use crate::helpers::{Env, db_test, fixture};
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
        // --recheck: the same unchanged file is read again each time (not `seen`), so each
        // run is a batch of its own with its report.
        cmd.current_dir(&inbox)
            .args(["run", ".", "-v", "--recheck"]);
        if n > 0 {
            // The log file of an earlier run, and this run's own.
            cmd.args(["--log-file", "batchimp.log"]);
        }
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "run {}: {err}", n + 1);
        let report = inbox.join(format!("batchimp-report-batchimp.db-{}.json", n + 1));
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

/// Item 4: `-q` quiets the terminal, not `--log-file`. docs/cron-and-ci.md's cron line (`-q
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
                .args(["run", &input, "-q", "--recheck", "--log-format", format])
                .arg("--log-file")
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
        lines[1].contains("batch 2 completed: 1 file, 0 imported, 1 duplicate"),
        "{text}"
    );
    assert!(lines[3].contains("failed: "), "{text}");
    assert!(lines[4].contains("batch 4 completed: 1 file,"), "{text}");
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

/// `command` run by `sh` in a pseudo-terminal `columns` wide (made by `script`), in `dir`: its
/// exit status and its screen as lines, escape sequences removed. `None` without `script`.
fn in_a_terminal(
    dir: &std::path::Path,
    columns: usize,
    command: &str,
) -> Option<(i32, Vec<String>)> {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no `script` to make a terminal");
        return None;
    }
    let out = std::process::Command::new("script")
        .args([
            "-qec",
            &format!("stty cols {columns}; {command}"),
            "/dev/null",
        ])
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env("BATCHIMP", assert_cmd::cargo::cargo_bin("batchimp"))
        .output()
        .expect("script runs");
    let screen = String::from_utf8_lossy(&out.stdout);
    let lines = screen
        .split(['\r', '\n'])
        .map(crate::catalog::without_escapes)
        .filter(|l| !l.trim().is_empty())
        .collect();
    Some((out.status.code().unwrap(), lines))
}

/// `entrada/`, holding `n` empty files: each fails at once (`empty_file`).
fn folder_of_empty_files(env: &Env, n: usize) -> std::path::PathBuf {
    let dir = env.path("entrada");
    fs::create_dir(&dir).unwrap();
    for i in 0..n {
        fs::write(dir.join(format!("vazio-{i:04}.xml")), "").unwrap();
    }
    dir
}

/// How many of `lines` contain `needle`.
fn count(lines: &[String], needle: &str) -> usize {
    lines.iter().filter(|l| l.contains(needle)).count()
}

/// Item 9, on a terminal 80 columns wide: the progress bar's failed count is never the part
/// cut off; the summary line prints once (under `-v`, `--max-errors` and `--fail-fast` too);
/// `--fail-fast` says so; one file is "1 file".
#[test]
fn the_terminal_shows_failures_first_and_the_summary_once() {
    let env = Env::new();
    folder_of_empty_files(&env, 4000);
    let Some((code, lines)) =
        in_a_terminal(env.dir.path(), 80, "$BATCHIMP run entrada -j 1 --db b.db")
    else {
        return;
    };
    assert_eq!(code, 1, "{lines:#?}");
    let frames: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains(" files ") && l.contains(" | "))
        // Frames drawn before the first file is done have no counts yet.
        .filter(|l| l.split(" | ").nth(1).is_some_and(|c| !c.trim().is_empty()))
        .collect();
    assert!(!frames.is_empty(), "no progress bar drawn: {lines:#?}");
    for f in &frames {
        assert!(f.trim_end().chars().count() <= 80, "{f:?}");
        // What a narrow terminal cuts is the end of the line: the failed count comes first.
        let counts = f.split(" | ").nth(1).unwrap();
        let first = counts.split(", ").next().unwrap();
        assert!(
            first.ends_with(" failed"),
            "the failed count not first: {f:?}"
        );
    }
    assert_eq!(
        count(&lines, "batch 1 completed: 4000 files"),
        1,
        "{lines:#?}"
    );

    // -v, --max-errors, --fail-fast: one summary line each; one file is "1 file".
    fs::write(env.path("um.xml"), "").unwrap();
    let (_, lines) = in_a_terminal(
        env.dir.path(),
        80,
        "$BATCHIMP run um.xml -v --db c.db; $BATCHIMP run entrada --max-errors 2 -j 1 --db d.db; \
         $BATCHIMP run entrada --fail-fast -j 1 --db e.db",
    )
    .unwrap();
    assert_eq!(
        count(&lines, "batch 1 completed: 1 file, 0 imported"),
        1,
        "{lines:#?}"
    );
    assert_eq!(count(&lines, "batch 1 stopped: "), 2, "{lines:#?}");
    assert_eq!(
        count(&lines, "failed files (--max-errors 2); finish it with"),
        1,
        "{lines:#?}"
    );
    assert_eq!(
        count(&lines, "stopped after 1 failed file (--fail-fast)"),
        1,
        "{lines:#?}"
    );
}

/// Item 9: a reader that closes the pipe early (`report --json | head -1`) ends batchimp
/// quietly, with exit status 0, as ripgrep does.
#[test]
fn a_closed_pipe_ends_quietly_with_0() {
    let env = Env::new();
    let dir = folder_of_empty_files(&env, 1500);
    assert_eq!(env.run(&[dir.to_str().unwrap()]).code(), 1);
    for args in [
        &["report", "--json"][..],
        &["report", "--html", "-"],
        &["stats", "--json"],
    ] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("batchimp"))
            .args(args)
            .args(env.db_args())
            .current_dir(env.dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // `head -c 1`: one byte read, then the pipe closed.
        let mut stdout = child.stdout.take().unwrap();
        std::io::Read::read_exact(&mut stdout, &mut [0u8]).unwrap();
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}

/// Item 11: the run's summary line says what a catalog did to the products: created, updated,
/// unchanged.
#[test]
fn the_summary_line_shows_a_catalogs_created_and_updated_rows() {
    let env = Env::new();
    let csv = env.path("precos.csv");
    for (arroz, said) in [
        ("10.00", "3 created, 0 updated, 0 unchanged"),
        ("11.00", "0 created, 1 updated, 2 unchanged"),
    ] {
        let text = format!("sku,name,price\nA,Arroz,{arroz}\nB,Feijão,8.00\nC,Café,15.00\n");
        fs::write(&csv, text).unwrap();
        let out = env.on_db(&["run", csv.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert!(err.contains(&format!("; rows: {said}")), "{err}");
    }
}

/// Item 11: `list --status failed` says whose status it is (the batch's, not its files').
#[test]
fn list_help_explains_batch_status_against_failed_files() {
    let out = Env::new().cmd().args(["list", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout).replace('\n', " ");
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains("a completed batch may still hold failed files"),
        "{help}"
    );
    assert!(help.contains("stopped"), "{help}");
}

/// Item 10: help a person reads. `run -h` fits a screen, under headings, with examples, and
/// `--help` has the rest; `retry` does not offer resume's `--verify`; bare `batchimp` prints a
/// short usage (exit 2); `batchimp fixtures/` says to run `batchimp run fixtures/`; man pages
/// have EXAMPLES, EXIT STATUS, ENVIRONMENT and FILES.
#[test]
fn help_fits_a_screen_and_points_the_way() {
    let env = Env::new();
    let help = |args: &[&str]| {
        let out = env.cmd().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let short = help(&["run", "-h"]);
    assert!(
        short.lines().count() <= 60,
        "{} lines:\n{short}",
        short.lines().count()
    );
    for heading in [
        "Inputs:",
        "Database:",
        "Catalogs:",
        "PDFs and scans:",
        "Limits:",
        "Output:",
        "Examples:",
    ] {
        assert!(
            short.lines().any(|l| l == heading),
            "{heading} in:\n{short}"
        );
    }
    assert!(short.contains("batchimp run inbox/ -q --resume"), "{short}");
    assert!(
        !short.contains("--ocr-lang"),
        "a rare option, for --help: {short}"
    );
    let long = help(&["run", "--help"]);
    for rare in ["--ocr-lang", "--notify-ca", "--follow-links", "Examples:"] {
        assert!(long.contains(rare), "{rare} in --help");
    }
    assert!(!help(&["retry", "--help"]).contains("--verify"));
    for ignores in [
        &["man", "--help"][..],
        &["completions", "--help"],
        &["template", "catalog", "--help"],
    ] {
        assert!(!help(ignores).contains("--config"), "{ignores:?}");
    }
    assert!(help(&["report", "--help"]).contains("--config"));
    assert!(help(&["resume", "--help"]).contains("--verify"));

    let out = env.cmd().output().unwrap();
    let usage = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{usage}");
    assert!(usage.starts_with("Usage: batchimp"), "{usage}");
    assert!(usage.lines().count() <= 12, "{usage}");
    assert!(usage.contains("batchimp run inbox/"), "{usage}");

    fs::create_dir(env.path("fixtures")).unwrap();
    let out = env.cmd().arg("fixtures/").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("\n  batchimp run fixtures/\n"), "{err}");
    // A word that is not there is still clap's "unrecognized subcommand".
    let out = env.cmd().arg("rnu").output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("batchimp run rnu"));

    let sections =
        ["EXAMPLES", "EXIT STATUS", "ENVIRONMENT", "FILES"].map(|s| format!(".SH {s}\n"));
    for page in [&["man"][..], &["man", "run"], &["man", "report"]] {
        let man = help(page);
        let missing: Vec<&String> = sections.iter().filter(|s| !man.contains(*s)).collect();
        assert!(missing.is_empty(), "{missing:?} not in {page:?}");
    }
    assert!(help(&["man", "run"]).contains(".B batchimp run inbox/\n"));
}

/// Item 11: `files_done` never exceeds `files_total`. The walk's count takes a ZIP that is not
/// named `.zip` as one file; each of its members is a file done.
#[test]
fn files_done_never_exceeds_files_total() {
    let env = Env::new();
    let mut zip = zip::ZipWriter::new(fs::File::create(env.path("notas.dat")).unwrap());
    for name in ["a.xml", "b.xml", "c.xml"] {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(
            &mut zip,
            &fs::read(fixture("nfe/nfce-model65.xml")).unwrap(),
        )
        .unwrap();
    }
    zip.finish().unwrap();
    let run = env.run(&["notas.dat"]);
    let r = run.report();
    assert_eq!(r["files_done"], 3, "{r}");
    assert_eq!(
        (&r["files_total"], &r["files_found"]),
        (&3.into(), &3.into()),
        "{r}"
    );
    assert_eq!(
        (&r["pending"], &r["progress_percentage"]),
        (&0.into(), &100.0.into())
    );
}

/// Item 11: a file's `size` is the bytes read. A ZIP bomb claims gigabytes and is refused before
/// they are inflated: its size was the claim, summed into the HTML report's "size".
#[test]
fn a_zip_members_size_is_the_bytes_read_not_its_claim() {
    let env = Env::new();
    let nota = fs::read(fixture("nfe/nfce-model65.xml")).unwrap();
    for (name, nested) in [("bomba.zip", false), ("caixa.zip", true)] {
        let mut bytes = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut bytes);
        let opts = zip::write::SimpleFileOptions::default();
        zip.start_file("zeros.xml", opts).unwrap();
        std::io::Write::write_all(&mut zip, &vec![0u8; 8 << 20]).unwrap();
        zip.start_file("nota.xml", opts).unwrap();
        std::io::Write::write_all(&mut zip, &nota).unwrap();
        zip.finish().unwrap();
        let bytes = bytes.into_inner();
        if nested {
            // Inside another ZIP: read in memory by a worker, not from disk.
            let mut outer = zip::ZipWriter::new(fs::File::create(env.path(name)).unwrap());
            outer.start_file("dentro.zip", opts).unwrap();
            std::io::Write::write_all(&mut outer, &bytes).unwrap();
            outer.finish().unwrap();
        } else {
            fs::write(env.path(name), bytes).unwrap();
        }
    }
    let run = env.run(&["bomba.zip", "caixa.zip"]);
    for prefix in ["bomba.zip!/", "caixa.zip!/dentro.zip!/"] {
        let bomb = run.file(&format!("{prefix}zeros.xml"));
        assert_eq!(bomb["error_type"], "zip_bomb", "{bomb}");
        assert_eq!(bomb["size"], 0, "nothing inflated: {bomb}");
        let good = run.file(&format!("{prefix}nota.xml"));
        assert_eq!(good["size"], nota.len(), "{good}");
    }
}

/// Item 9: a `--group` member's summary line prints once under `-v` too (PostgreSQL only).
#[test]
fn a_group_members_summary_line_prints_once_under_v() {
    let Some(db) = crate::helpers::Db::postgres() else {
        return;
    };
    let env = Env::on(db);
    let out = env.on_db(&["run", &fixture("cfdi"), "--group", "g", "-v"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.matches("group g: batch 1 completed: ").count(),
        1,
        "{err}"
    );
}

db_test! {
/// Item 11: a resumed batch's processing time (and so its rate) counts the time it ran, not the
/// hours it sat stopped between runs.
fn a_resumed_batchs_rate_counts_only_the_time_it_ran(db) {
    let env = Env::on(db);
    let run = env.run(&[&fixture("nfe"), "--fail-fast"]);
    assert_eq!(run.report()["status"], "stopped", "{}", run.stderr());
    // The first run ended a day ago, after two seconds.
    env.try_rows(
        "UPDATE batches SET started_at = '2026-01-01T00:00:00Z',
            finished_at = '2026-01-01T00:00:02Z', processing_time_seconds = 2",
    )
    .unwrap();
    let out = env.on_db(&["resume", "1", "-q", "--max-errors", "1000"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report = env.on_db(&["report", "1", "--json"]);
    let r: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(r["status"], "completed", "{r}");
    let seconds = r["processing_time_seconds"].as_f64().unwrap();
    assert!((2.0..60.0).contains(&seconds), "ran about 2 s, not a day: {r}");
    let rate = r["files_per_second"].as_f64().unwrap();
    let files = r["totals"]["files"].as_f64().unwrap();
    assert!((rate - files / seconds).abs() < 1e-6 * rate, "{r}");

    // A run killed with no word: what it ran is counted up to its last commit.
    env.try_rows(
        "UPDATE batches SET status = 'running', finished_at = NULL,
            processing_time_seconds = NULL, earlier_seconds = 5,
            run_started_at = '2026-01-02T00:00:00Z', active_at = '2026-01-02T00:00:03Z'",
    )
    .unwrap();
    let out = env.on_db(&["resume", "1", "-q"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report = env.on_db(&["report", "1", "--json"]);
    let r: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    let seconds = r["processing_time_seconds"].as_f64().unwrap();
    assert!((8.0..60.0).contains(&seconds), "5 s + 3 s + this run: {r}");
}
}

/// Issue 32: `-q` resuming a batch with nothing wrong prints nothing, by `resume` or by
/// `run --resume` (cron's mail got "resuming batch 1" every time).
#[test]
fn quiet_resumes_print_nothing_when_nothing_failed() {
    let env = Env::new();
    let good = folder_with_one_nota(&env, "entrada");
    let good = good.to_str().unwrap();
    let run = env.run(&[good]);
    assert_eq!((run.code(), run.stderr()), (0, String::new()));
    let stop = "UPDATE batches SET status = 'stopped'";
    env.try_rows(stop).unwrap();
    let out = env.on_db(&["resume", "1", "-q"]);
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).as_ref()
        ),
        (Some(0), "")
    );
    env.try_rows(stop).unwrap();
    let run = env.run(&[good, "--resume"]);
    assert_eq!((run.code(), run.stderr()), (0, String::new()));
    assert_eq!(env.text("SELECT status FROM batches").unwrap(), "completed");
}
