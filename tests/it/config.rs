//! `batchimp.toml` and `--config FILE`: defaults for `run`'s options, below flags and
//! environment variables; `batchimp config` showing where each value comes from. SQLite only:
//! the file decides which database is used, not how a database behaves (`config` never
//! connects, so the PostgreSQL URL below needs no server).

use crate::helpers::{Env, fixture};
use serde_json::Value;
use std::fs;
use std::process::Output;

/// A file under the limit, one over it and one in a hidden folder.
fn inputs(env: &Env) {
    fs::create_dir_all(env.path("in/.escondida")).unwrap();
    for (from, to) in [
        ("nfe/nfe-v4-authorized.xml", "in/pequena.xml"),
        ("nfe/enviNFe-three-documents.xml", "in/grande.xml"),
        ("nfe/nfe-foreign-buyer.xml", "in/.escondida/oculta.xml"),
    ] {
        fs::copy(fixture(from), env.path(to)).unwrap();
    }
}

const CONFIG: &str = r#"# defaults for batchimp run
[run]
workers = 3
max-file-size = "4KiB"
db = "from-config.db"
hidden = true
quiet = true
report = "report.json"
"#;

fn report(env: &Env) -> Value {
    let text = fs::read_to_string(env.path("report.json")).expect("report written");
    serde_json::from_str(&text).unwrap()
}

fn entry<'a>(report: &'a Value, suffix: &str) -> &'a Value {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("{suffix} in {report:#}"))
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The source column of `option`'s line in `batchimp config`'s table.
fn source<'a>(table: &'a str, option: &str) -> &'a str {
    let line = table
        .lines()
        .find(|l| l.split_whitespace().next() == Some(option))
        .unwrap_or_else(|| panic!("{option} in:\n{table}"));
    line.rsplit("  ").next().unwrap().trim()
}

#[test]
fn the_file_sets_run_defaults() {
    let env = Env::new();
    inputs(&env);
    fs::write(env.path("batchimp.toml"), CONFIG).unwrap();
    let out = env.cmd().args(["run", "in"]).output().unwrap();
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(1), "a file too large fails: {err}");
    assert!(
        env.path("from-config.db").exists(),
        "the file's database: {err}"
    );
    assert!(!env.path("batchimp.db").exists());
    let report = report(&env);
    assert_eq!(report["workers"], 3);
    assert_eq!(entry(&report, "grande.xml")["error_type"], "too_large");
    assert_eq!(entry(&report, "pequena.xml")["status"], "imported");
    assert_eq!(
        entry(&report, ".escondida/oculta.xml")["status"],
        "imported",
        "hidden = true"
    );
}

#[test]
fn flags_beat_the_environment_which_beats_the_file() {
    let env = Env::new();
    inputs(&env);
    fs::write(env.path("batchimp.toml"), CONFIG).unwrap();

    // A flag wins over the file.
    let out = env
        .cmd()
        .args(["run", "in", "--max-file-size", "1MiB", "--db", "flag.db"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    assert!(env.path("flag.db").exists());
    assert!(!env.path("from-config.db").exists());
    assert_eq!(entry(&report(&env), "grande.xml")["status"], "imported");

    // BATCHIMP_DB wins over the file...
    let out = env
        .cmd()
        .env("BATCHIMP_DB", "env.db")
        .args(["run", "in/pequena.xml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    assert!(env.path("env.db").exists());
    assert!(!env.path("from-config.db").exists());

    // ...but not over the flag.
    let out = env
        .cmd()
        .env("BATCHIMP_DB", "env2.db")
        .args(["run", "in/pequena.xml", "--db", "flag2.db"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    assert!(env.path("flag2.db").exists());
    assert!(!env.path("env2.db").exists());

    // `config` says the same.
    let out = env
        .cmd()
        .env("BATCHIMP_DB", "env.db")
        .args(["config", "--workers", "8"])
        .output()
        .unwrap();
    let (table, err) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("config file batchimp.toml"), "{err}");
    assert_eq!(source(&table, "workers"), "flag");
    assert_eq!(source(&table, "db"), "env BATCHIMP_DB");
    assert_eq!(source(&table, "max-file-size"), "batchimp.toml:4");
    assert_eq!(source(&table, "hidden"), "batchimp.toml:6");
    assert_eq!(source(&table, "retries"), "default");
    let line = |option: &str| {
        table
            .lines()
            .find(|l| l.split_whitespace().next() == Some(option))
            .unwrap()
            .to_owned()
    };
    assert_eq!(line("workers").split_whitespace().nth(1), Some("8"));
    assert_eq!(line("db").split_whitespace().nth(1), Some("env.db"));
    assert_eq!(
        line("max-file-size").split_whitespace().nth(1),
        Some("4KiB")
    );
    assert_eq!(line("retries").split_whitespace().nth(1), Some("3"));
    // Aligned: every source starts in the same column.
    let columns: Vec<usize> = table
        .lines()
        .map(|l| l.len() - l.rsplit("  ").next().unwrap().trim_start().len())
        .collect();
    assert!(columns.windows(2).all(|w| w[0] == w[1]), "{table}");
    // Every option of run is listed, once.
    for option in [
        "no-wait",
        "on-conflict",
        "map",
        "require",
        "schema",
        "report",
    ] {
        assert_eq!(
            table
                .lines()
                .filter(|l| l.split_whitespace().next() == Some(option))
                .count(),
            1,
            "{option} in:\n{table}"
        );
    }
}

#[test]
fn another_file_with_config() {
    let env = Env::new();
    inputs(&env);
    fs::write(env.path("batchimp.toml"), CONFIG).unwrap();
    fs::write(
        env.path("other.toml"),
        "[run]\ndb = \"other.db\"\nmap = [\"Ref. Fornecedor=sku\", \"Nome=name\"]\nrequire = \"unit,stock\"\non_conflict = \"replace\"\n",
    )
    .unwrap();
    let out = env
        .cmd()
        .args(["--config", "other.toml", "run", "in/pequena.xml", "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    assert!(env.path("other.db").exists());
    assert!(
        !env.path("from-config.db").exists(),
        "batchimp.toml is not read"
    );

    let out = env
        .cmd()
        .args(["config", "--config", "other.toml", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["config_file"], "other.toml");
    let option = |name: &str| {
        json["options"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["option"] == name)
            .unwrap_or_else(|| panic!("{name} in {json:#}"))
            .clone()
    };
    assert_eq!(
        option("map"),
        serde_json::json!({"option": "map", "value": ["Ref. Fornecedor=sku", "Nome=name"],
            "source": "file", "file": "other.toml", "line": 3})
    );
    assert_eq!(
        option("require")["value"],
        serde_json::json!(["unit", "stock"])
    );
    assert_eq!(option("on-conflict")["value"], "replace");
    assert_eq!(option("max-file-size")["value"], "50MiB");
    assert_eq!(option("max-file-size")["source"], "default");
    assert_eq!(option("workers")["value"], Value::Null);
    assert_eq!(option("hidden")["value"], "false");

    // A repeated flag replaces the file's list rather than adding to it.
    let out = env
        .cmd()
        .args([
            "config",
            "--config",
            "other.toml",
            "--json",
            "--map",
            "X=sku",
        ])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let map = json["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["option"] == "map")
        .unwrap();
    assert_eq!(map["value"], serde_json::json!(["X=sku"]));
    assert_eq!(map["source"], "flag");

    // A --config naming a missing file is an error; a missing batchimp.toml is not.
    let out = env
        .cmd()
        .args(["run", "in", "--config", "missing.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out)
            .1
            .contains("cannot read config file missing.toml"),
        "{}",
        text(&out).1
    );
    fs::remove_file(env.path("batchimp.toml")).unwrap();
    let out = env.cmd().arg("config").output().unwrap();
    let (table, err) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("no config file"), "{err}");
    assert_eq!(source(&table, "db"), "default");
}

#[test]
fn mistakes_in_the_file_name_its_line() {
    let env = Env::new();
    inputs(&env);
    let run = |toml: &str| {
        fs::write(env.path("batchimp.toml"), toml).unwrap();
        let out = env.cmd().args(["run", "in"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", text(&out).1);
        assert!(!env.path("batchimp.db").exists(), "nothing was run");
        text(&out).1
    };
    assert_eq!(
        run("[run]\nworkers = 2\nmax_file_sise = \"1MiB\"\n"),
        "batchimp: batchimp.toml:3: unknown option \"max_file_sise\" for run (did you mean max-file-size?)\n"
    );
    let err = run("# limits\n[run]\nworkers = 2\n\nmax-file-size = \"lots\"\n");
    assert!(
        err.starts_with("batchimp: batchimp.toml:5: --max-file-size: \"lots\": not a size"),
        "{err}"
    );
    assert_eq!(
        run("[run]\nhidden = \"sometimes\"\n"),
        "batchimp: batchimp.toml:2: --hidden: \"sometimes\": not one of true, false\n"
    );
    let err = run("[run]\nworkers = \n");
    assert!(err.starts_with("batchimp: batchimp.toml:2: "), "{err}");
    // The same checks for `config`, and for --config.
    fs::write(env.path("bad.toml"), "[run]\n\non-conflict = \"merge\"\n").unwrap();
    let out = env
        .cmd()
        .args(["config", "--config", "bad.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out).1,
        "batchimp: bad.toml:3: --on-conflict: \"merge\": not one of skip, replace, fail\n"
    );
    // Subcommands the file does not configure never read it.
    fs::write(env.path("batchimp.toml"), "[run]\nworkers = \"x\"\n").unwrap();
    let out = env.cmd().args(["template", "catalog"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
}

#[test]
fn config_never_prints_a_password() {
    let env = Env::new();
    fs::write(
        env.path("batchimp.toml"),
        "[run]\ndb = \"postgres://importer:s3cr3t@db.example:5432/fiscal?sslmode=require\"\n",
    )
    .unwrap();
    for json in [false, true] {
        let mut cmd = env.cmd();
        cmd.arg("config");
        if json {
            cmd.arg("--json");
        }
        let out = cmd.output().unwrap();
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(
            !stdout.contains("s3cr3t") && !stderr.contains("s3cr3t"),
            "{stdout}"
        );
        assert!(
            stdout.contains("postgres://importer@db.example:5432/fiscal?sslmode=require"),
            "{stdout}"
        );
    }
    // Nor from the environment or a flag.
    let out = env
        .cmd()
        .env("BATCHIMP_DB", "postgres://u:envpass@h/db")
        .arg("config")
        .output()
        .unwrap();
    assert!(!text(&out).0.contains("envpass"));
    assert_eq!(source(&text(&out).0, "db"), "env BATCHIMP_DB");
    let out = env
        .cmd()
        .args(["config", "--db", "postgres://u@h/db?password=flagpass"])
        .output()
        .unwrap();
    assert!(!text(&out).0.contains("flagpass"), "{}", text(&out).0);
}

/// Issue 26: the webhook's query token (and user info) is redacted like every other output
/// redacts it, whichever of the three sources set `--notify`.
#[test]
fn config_never_prints_the_webhook_token() {
    let env = Env::new();
    let url = "https://hook:pw9@hooks.example.com/services/x?token=t0k3n";
    let shown = "https://***@hooks.example.com/services/x";
    let flag = env
        .cmd()
        .args(["config", "--notify", url])
        .output()
        .unwrap();
    let from_env = env
        .cmd()
        .env("BATCHIMP_NOTIFY", url)
        .arg("config")
        .output()
        .unwrap();
    fs::write(
        env.path("batchimp.toml"),
        format!("[run]\nnotify = \"{url}\"\n"),
    )
    .unwrap();
    let from_file = env.cmd().arg("config").output().unwrap();
    let from_file_json = env.cmd().args(["config", "--json"]).output().unwrap();
    for (out, expected_source) in [
        (&flag, "flag"),
        (&from_env, "env BATCHIMP_NOTIFY"),
        (&from_file, "batchimp.toml:2"),
        (&from_file_json, ""),
    ] {
        let (stdout, stderr) = text(out);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        for secret in ["t0k3n", "pw9", "token="] {
            assert!(
                !stdout.contains(secret) && !stderr.contains(secret),
                "{secret} shown:\n{stdout}{stderr}"
            );
        }
        assert!(stdout.contains(shown), "{stdout}");
        if !expected_source.is_empty() {
            assert_eq!(source(&stdout, "notify"), expected_source, "{stdout}");
        }
    }
}

/// `[run]`'s `db` and `schema` as a `batchimp.toml` gives them (issue 29, item 7).
fn db_config(env: &Env) -> String {
    let args = env.db_args();
    let mut toml = String::from("[run]\n");
    for pair in args.chunks(2) {
        let key = pair[0].trim_start_matches("--");
        toml.push_str(&format!("{key} = {:?}\n", pair[1]));
    }
    toml
}

crate::helpers::db_test! {
/// Issue 29, item 7: every command finds the database `run` used through `batchimp.toml`,
/// not `batchimp.db` in the working folder.
fn every_command_reads_the_files_db_and_schema(db) {
    let env = Env::on(db);
    fs::create_dir_all(env.path("in")).unwrap();
    fs::copy(fixture("nfe/nfe-v4-authorized.xml"), env.path("in/ok.xml")).unwrap();
    fs::copy(fixture("nfe/broken-malformed.xml"), env.path("in/bad.xml")).unwrap();
    fs::write(env.path("batchimp.toml"), db_config(&env)).unwrap();
    let run = env.cmd().args(["run", "in", "-q"]).output().unwrap();
    assert_eq!(run.status.code(), Some(1), "{}", text(&run).1);
    assert!(!env.path("batchimp.db").exists());
    for args in [
        &["report", "--json"][..],
        &["list", "--json"],
        &["stats", "--json"],
        &["prune", "--older-than", "1d", "--dry-run"],
        &["retry", "latest", "-q", "--report", "retry.json"],
        &["resume", "latest", "-q", "--report", "resume.json"],
    ] {
        let out = env.cmd().args(args).output().unwrap();
        let (stdout, stderr) = text(&out);
        assert!(
            !stderr.contains("no database"),
            "{args:?} looked elsewhere: {stderr}"
        );
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {stderr}"
        );
        if args[0] == "report" {
            let report: Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(report["batch_id"], 1);
            assert_eq!(report["totals"]["by_status"]["failed"], 1);
        }
        if args[0] == "list" {
            let list: Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(list.as_array().unwrap().len(), 1, "{stdout}");
        }
    }
    let retried: Value =
        serde_json::from_str(&fs::read_to_string(env.path("retry.json")).unwrap()).unwrap();
    assert_eq!(retried["batch_id"], 1);
    assert!(!env.path("batchimp.db").exists(), "no database made where none was asked for");
}
}

/// Issue 29, item 7: an auditor's read-only copy of the database, in a read-only folder:
/// `report`, `list`, `stats` and `run --dry-run` read it and write nothing there.
#[cfg(unix)]
#[test]
fn reading_commands_work_on_a_read_only_copy() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    fs::create_dir_all(env.path("in")).unwrap();
    fs::copy(fixture("nfe/nfe-v4-authorized.xml"), env.path("in/ok.xml")).unwrap();
    fs::copy(fixture("nfe/nfce-model65.xml"), env.path("in/other.xml")).unwrap();
    let run = env.run(&["in/ok.xml"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    fs::create_dir_all(env.path("audit")).unwrap();
    fs::copy(env.db(), env.path("audit/copy.db")).unwrap();
    let mode = |p: &str, m: u32| fs::set_permissions(env.path(p), fs::Permissions::from_mode(m));
    mode("audit/copy.db", 0o444).unwrap();
    mode("audit", 0o555).unwrap();
    // Root writes through permissions: the commands run as nobody then (the workspace opened
    // to them for reading).
    let root = fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0);
    let root = root.unwrap_or(false);
    if root {
        mode("", 0o755).unwrap();
        for p in ["in", "in/ok.xml", "in/other.xml"] {
            mode(p, if p == "in" { 0o755 } else { 0o644 }).unwrap();
        }
    }
    let listing = || {
        let mut names: Vec<String> = fs::read_dir(env.path("audit"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let as_auditor = |args: &[&str]| {
        let mut cmd = env.cmd();
        if root {
            let bin = assert_cmd::cargo::cargo_bin("batchimp");
            let mut wrapped = std::process::Command::new("setpriv");
            wrapped
                .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
                .arg(bin)
                .args(args)
                .args(["--db", "audit/copy.db"])
                .current_dir(env.dir.path());
            for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("BATCHIMP_")) {
                wrapped.env_remove(k);
            }
            return wrapped.output().unwrap();
        }
        cmd.args(args)
            .args(["--db", "audit/copy.db"])
            .output()
            .unwrap()
    };
    for args in [
        &["report", "--json"][..],
        &["report"],
        &["list"],
        &["stats", "--json"],
        &["run", "in", "--dry-run", "--report", "-", "-q"],
    ] {
        let out = as_auditor(args);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        if args[0] == "run" {
            let report: Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(entry(&report, "ok.xml")["status"], "duplicate", "{stdout}");
            assert_eq!(entry(&report, "other.xml")["status"], "imported");
        }
        if args == ["report", "--json"] {
            let report: Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(report["totals"]["by_status"]["imported"], 1);
        }
        assert_eq!(listing(), ["copy.db"], "{args:?} wrote beside the copy");
    }
    mode("audit", 0o755).unwrap();
}
