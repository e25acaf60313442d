//! `report`, `list`, `--help` and completions.

use crate::helpers::{Env, db_test, fixture};

db_test! {
fn report_summary_list_and_missing_batches(db) {
    let env = Env::on(db);
    env.run(&[&fixture("nfe/nfe-v4-authorized.xml")]);
    env.run(&[&fixture("")]);
    let out = env.on_db(&["report"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("batch 2: completed"),
        "latest by default: {text}"
    );
    assert!(
        text.contains("161: 75 imported, 7 duplicate, 75 failed, 4 unsupported"),
        "{text}"
    );
    assert!(text.contains("failures by error type:"), "{text}");
    assert!(text.contains("  xml_truncated (6)"), "{text}");
    assert!(
        text.contains("broken-truncated.xml: XML ends early"),
        "{text}"
    );
    assert!(text.contains("slowest files:"), "{text}");

    let out = env.on_db(&["list"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1].trim_start().starts_with("2  completed"),
        "newest first: {text}"
    );
    assert!(lines[2].trim_start().starts_with("1  completed"), "{text}");

    let out = env.on_db(&["list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["batch_id"], 2);
    assert_eq!(list[1]["imported"], 1);
    // Issue 32: the README says list --json carries `files_done`, as the report does.
    assert_eq!(list[1]["files_done"], list[1]["files"], "{list}");
    assert!(list[1]["files_done"].as_u64().unwrap() > 0, "{list}");

    let out = env.on_db(&["report", "99"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no batch 99"));
    // Reporting on a database that does not exist fails and creates nothing. A missing
    // database is a file for SQLite, a schema for PostgreSQL.
    if env.is_postgres() {
        let mut args = env.db_args();
        let schema = args.last_mut().unwrap();
        schema.push_str("_missing");
        let missing = schema.clone();
        let out = env.cmd().arg("report").args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("no batchimp tables"), "{err}");
        assert_eq!(
            env.count(&format!(
                "SELECT count(*) FROM pg_namespace WHERE nspname = '{missing}'"
            )),
            0,
            "report never creates a schema"
        );
    } else {
        let out = env
            .cmd()
            .args(["report", "--db", "missing.db"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(
            !env.path("missing.db").exists(),
            "report never creates a database"
        );
    }
}
}

// SQLite only: no database involved, nothing to run on PostgreSQL.
#[test]
fn completions_are_current() {
    let env = Env::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for (shell, file) in [
        ("bash", "batchimp.bash"),
        ("zsh", "_batchimp"),
        ("fish", "batchimp.fish"),
    ] {
        let out = env.cmd().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let committed = std::fs::read(root.join(file)).unwrap_or_default();
        assert!(
            out.stdout == committed,
            "completions/{file} is stale: run `cargo run -- completions {shell} > completions/{file}`"
        );
    }
}

// SQLite only: no database involved, nothing to run on PostgreSQL.
#[test]
fn help_documents_every_run_option() {
    let env = Env::new();
    let out = env.cmd().args(["run", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for opt in [
        "--db",
        "postgres://",
        "--schema",
        "--workers",
        "--hidden",
        "--allow-invalid-keys",
        "--report",
        "--quiet",
        "--notify",
        "--notify-timeout",
        "Exit status",
    ] {
        assert!(help.contains(opt), "{opt} in:\n{help}");
    }
}

#[test]
fn version_names_the_commit_and_man_prints_a_man_page() {
    let env = Env::new();
    let out = env.cmd().arg("--version").output().unwrap();
    let version = String::from_utf8_lossy(&out.stdout);
    let commit = version
        .trim()
        .strip_prefix(concat!("batchimp ", env!("CARGO_PKG_VERSION"), " (commit "))
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{version:?}"));
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{commit:?}"
    );

    let out = env.cmd().arg("man").output().unwrap();
    assert!(out.status.success());
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.contains(".TH batchimp 1"), "{page}");
    for sub in [
        "run", "resume", "report", "stats", "prune", "config", "template",
    ] {
        assert!(page.contains(&format!("batchimp\\-{sub}(1)")), "{sub}");
    }
    // Each subcommand's own page, with its options.
    let out = env.cmd().args(["man", "run"]).output().unwrap();
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.contains(".TH batchimp-run 1"), "{page}");
    assert!(page.contains("\\-\\-max\\-errors"), "{page}");
    let out = env.cmd().args(["man", "nonsense"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn color_follows_the_flag_and_no_color() {
    let env = Env::new();
    let run = |args: &[&str], no_color: bool| {
        let mut cmd = env.cmd();
        cmd.args(["run", &fixture("nfe/broken-empty.xml"), "-q", "--recheck"])
            .args(env.db_args())
            .args(args);
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        String::from_utf8_lossy(&cmd.output().unwrap().stderr).into_owned()
    };
    assert!(run(&["--color", "always"], false).contains("\x1b[31mfailed:\x1b[0m"));
    assert!(!run(&["--color", "never"], false).contains('\x1b'));
    // Not a terminal: auto means none; NO_COLOR too.
    assert!(!run(&[], false).contains('\x1b'));
    assert!(!run(&["--color=auto"], true).contains('\x1b'));
}

/// Issue 29, item 3: a mistyped database URL was opened as a SQLite path (the last one made a
/// file whose name held the password, and exited 0).
#[test]
fn a_mistyped_database_url_is_a_usage_error_never_a_file() {
    let env = Env::new();
    for url in [
        "postgress://u:hunter2@db.example/sales",
        "mysql://u:hunter2@db.example/sales",
        "postgres:u:hunter2@db.example",
        "Postgres:/u:hunter2@db.example/sales",
        "u:hunter2@db.example/sales",
        "sqlite:/data/x.db",
    ] {
        for command in [vec!["run", &fixture("nfe")], vec!["list"], vec!["stats"]] {
            let out = env
                .cmd()
                .args(&command)
                .args(["--db", url])
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{url} {command:?}: {err}");
            assert_eq!(err.lines().count(), 1, "{url}: {err}");
            assert!(
                err.starts_with("batchimp: ")
                    && err.contains("postgres://")
                    && err.contains("sqlite://"),
                "names the accepted schemes: {err}"
            );
            assert!(!err.contains("hunter2"), "password shown: {err}");
            let left: Vec<_> = std::fs::read_dir(env.dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert!(left.is_empty(), "{url}: created {left:?}");
        }
    }
    // Schemes are not case-sensitive: POSTGRES:// is PostgreSQL (here, nobody listening).
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = env
        .cmd()
        .args(["list", "--db"])
        .arg(format!("POSTGRES://u:hunter2@127.0.0.1:{closed}/db"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("connection refused") && !err.contains("hunter2"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(env.dir.path()).unwrap().count(), 0);
    // A near miss of the scheme says which one was meant.
    let out = env
        .cmd()
        .args(["list", "--db", "postgress://u@h/db"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("did you mean postgres://"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
