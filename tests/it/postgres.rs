//! What only PostgreSQL has: a server that restarts or goes away mid-batch, passwords, TLS,
//! the libpq environment, and two runs writing to one database at once. Each test starts a
//! throwaway server of its own when it needs to stop it or configure it.

use crate::helpers::Env;
use crate::pgserver::{Options, PgServer};
use crate::testdata;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `batchimp ARGS` in `env`'s workspace, in the background, quiet, with its report in the
/// workspace.
fn spawn(env: &Env, args: &[&str]) -> Child {
    Command::new(env.cmd().get_program())
        .args(args)
        .arg("--quiet")
        .arg("--report")
        .arg(env.path("report.json"))
        .current_dir(env.dir.path())
        .env_remove("BATCHIMP_DB")
        .env_remove("BATCHIMP_SCHEMA")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn batchimp")
}

fn finish(child: Child) -> Output {
    child.wait_with_output().expect("batchimp ends")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A query's single number, on `server`'s database `batchimp` in `schema`; 0 while the
/// schema's tables do not exist.
fn count(server: &PgServer, schema: &str, sql: &str) -> i64 {
    let Ok(mut client) = std::panic::catch_unwind(|| server.client("batchimp")) else {
        return 0;
    };
    let sql = format!("SET search_path TO \"{schema}\"; {sql}");
    match client.simple_query(&sql) {
        Ok(messages) => messages
            .iter()
            .find_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => r.get(0).and_then(|v| v.parse().ok()),
                _ => None,
            })
            .unwrap_or(0),
        Err(_) => 0,
    }
}

/// Wait until `done` holds (or panic after a minute).
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "waited a minute for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every file of the data set recorded exactly once in the ledger, and every document in the
/// database exactly once, as many as a SQLite run of the same files imports.
fn assert_each_once(server: &PgServer, schema: &str, files: u32, expected_nfe: i64) {
    assert_eq!(
        count(server, schema, "SELECT count(*) FROM files"),
        i64::from(files)
    );
    assert_eq!(
        count(server, schema, "SELECT count(DISTINCT origin) FROM files"),
        i64::from(files),
        "a file recorded twice"
    );
    assert_eq!(
        count(server, schema, "SELECT count(*) FROM nfe"),
        expected_nfe
    );
    assert_eq!(
        count(
            server,
            schema,
            "SELECT count(*) FROM (SELECT DISTINCT chave, n_item FROM nfe_item) i"
        ),
        count(server, schema, "SELECT count(*) FROM nfe_item"),
        "an NF-e's items written twice"
    );
}

/// The data set and what a SQLite run of it imports: (folder, files, NF-e rows).
fn dataset(env: &Env, count: u32) -> (String, u32, i64) {
    let dir = env.path("notas");
    let files = testdata::dataset(&dir, count);
    let sqlite = Env::new();
    let run = sqlite.run(&[&dir.display().to_string()]);
    assert_eq!(run.report()["totals"]["files"], files);
    let nfe = sqlite.count("SELECT count(*) FROM nfe");
    (dir.display().to_string(), files, nfe)
}

#[test]
fn a_server_restart_mid_batch_loses_no_file_and_imports_none_twice() {
    let Some(server) = PgServer::start(Options::default()) else {
        return;
    };
    let env = Env::new();
    let (input, files, nfe) = dataset(&env, 3000);
    let url = server.url("batchimp");
    let child = spawn(&env, &["run", &input, "--db", &url, "--workers", "2"]);
    // Restart once the first transactions are in, while the rest are still coming.
    wait_for("the first commits", || {
        count(&server, "batchimp", "SELECT count(*) FROM files") > 0
    });
    server.restart();
    let out = finish(child);
    let err = stderr(&out);
    // Some of the data set's files are broken on purpose: exit 1, not 2.
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("retry 1 of 3"),
        "the writer said it retried: {err}"
    );
    assert_each_once(&server, "batchimp", files, nfe);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.path("report.json")).unwrap()).unwrap();
    assert_eq!(report["totals"]["files"], files);
    assert_eq!(report["status"], "completed");
}

#[test]
fn a_server_gone_for_good_stops_the_batch_with_exit_2_and_resume_finishes_it() {
    let Some(server) = PgServer::start(Options::default()) else {
        return;
    };
    let env = Env::new();
    let (input, files, nfe) = dataset(&env, 3000);
    let url = server.url("batchimp");
    let child = spawn(&env, &["run", &input, "--db", &url, "--retries", "1"]);
    wait_for("the first commits", || {
        count(&server, "batchimp", "SELECT count(*) FROM files") > 0
    });
    server.stop();
    let out = finish(child);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("batchimp: ") && last.contains(&format!("127.0.0.1:{}", server.port())),
        "one line naming the server: {err}"
    );
    assert!(
        last.contains("batchimp resume 1 --db postgres://batchimp@127.0.0.1:"),
        "{err}"
    );

    server.start_again();
    let out = Command::new(env.cmd().get_program())
        .args(["resume", "1", "--db", &url, "-q"])
        .current_dir(env.dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_each_once(&server, "batchimp", files, nfe);
    assert_eq!(
        count(
            &server,
            "batchimp",
            "SELECT count(*) FROM batches WHERE status = 'completed'"
        ),
        1
    );
}

#[test]
fn a_password_never_appears_in_output_report_or_ledger() {
    let password = "s3cr3t-Pa55:w@rd";
    let Some(server) = PgServer::start(Options {
        tls: false,
        password: Some(password.into()),
    }) else {
        return;
    };
    let env = Env::new();
    let encoded = server.url("batchimp");
    let fixtures = crate::helpers::fixture("");
    let mut seen = Vec::new();

    // In the URL: a run, a report, a list, a resume.
    for args in [
        vec!["run", &fixtures, "--db", &encoded, "--report", "r1.json"],
        vec!["report", "1", "--json", "--db", &encoded],
        vec!["list", "--db", &encoded],
        vec!["resume", "1", "--db", &encoded, "--report", "r2.json"],
    ] {
        let out = env.cmd().args(&args).output().unwrap();
        assert!(
            out.status.code().unwrap() <= 1,
            "{args:?}: {}",
            stderr(&out)
        );
        seen.push(String::from_utf8_lossy(&out.stdout).into_owned());
        seen.push(stderr(&out));
    }
    // In BATCHIMP_DB, and `--help` with it set.
    let out = env
        .cmd()
        .env("BATCHIMP_DB", &encoded)
        .args(["run", "--help"])
        .output()
        .unwrap();
    seen.push(String::from_utf8_lossy(&out.stdout).into_owned());
    // A wrong password, in the URL and in PGPASSWORD.
    let wrong = server.url_with_password("batchimp", "not-the-s3cr3t");
    let out = env.cmd().args(["list", "--db", &wrong]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("password authentication failed"), "{err}");
    assert!(!err.contains("not-the-s3cr3t"), "{err}");
    seen.push(err);
    // PGPASSWORD instead of the URL.
    let bare = format!("postgres://batchimp@127.0.0.1:{}/batchimp", server.port());
    let out = env
        .cmd()
        .env("PGPASSWORD", password)
        .args(["list", "--db", &bare])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    seen.push(String::from_utf8_lossy(&out.stdout).into_owned());
    seen.push(stderr(&out));

    for file in ["r1.json", "r2.json"] {
        seen.push(std::fs::read_to_string(env.path(file)).unwrap());
    }
    let mut client = server.client("batchimp");
    for table in ["batches", "files", "rejected_rows"] {
        for row in client
            .simple_query(&format!("SELECT t::text FROM batchimp.{table} t"))
            .unwrap()
        {
            if let postgres::SimpleQueryMessage::Row(r) = row {
                seen.push(r.get(0).unwrap_or_default().to_owned());
            }
        }
    }
    let encoded_password = encoded
        .split_once("batchimp:")
        .and_then(|(_, rest)| rest.split_once('@'))
        .map(|(pw, _)| pw.to_owned())
        .unwrap();
    for text in &seen {
        assert!(!text.contains(password), "password in: {text}");
        assert!(
            !text.contains(&encoded_password),
            "encoded password in: {text}"
        );
    }
    assert!(
        seen.iter()
            .any(|t| t.contains("postgres://batchimp@127.0.0.1"))
    );
}

#[test]
fn tls_require_encrypts_and_verify_full_checks_the_certificate() {
    let Some(server) = PgServer::start(Options {
        tls: true,
        password: None,
    }) else {
        return;
    };
    let env = Env::new();
    let port = server.port();
    let ca = server.ca_cert().unwrap().display().to_string();
    let fixture = crate::helpers::fixture("nfe");
    let ssl_used = |env: &Env, url: &str| {
        let out = env
            .cmd()
            .args(["run", &fixture, "--db", url, "-q"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{url}: {}", stderr(&out));
    };
    // require: encrypted, certificate not checked (self-signed CA unknown to the client).
    ssl_used(
        &env,
        &format!("postgres://batchimp@127.0.0.1:{port}/batchimp?sslmode=require"),
    );
    // verify-full with the CA, to the name in the certificate.
    ssl_used(
        &env,
        &format!(
            "postgres://batchimp@localhost:{port}/batchimp?sslmode=verify-full&sslrootcert={ca}"
        ),
    );
    // verify-full to an address the certificate does not name: refused, one line, exit 2.
    let out = env
        .cmd()
        .args([
            "list",
            "--db",
            &format!(
                "postgres://batchimp@127.0.0.1:{port}/batchimp?sslmode=verify-full&sslrootcert={ca}"
            ),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("TLS"), "{err}");
    // verify-full without the CA: the system roots do not know it.
    let out = env
        .cmd()
        .args([
            "list",
            "--db",
            &format!(
                "postgres://batchimp@localhost:{port}/batchimp?sslmode=verify-full&sslrootcert=system"
            ),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn connection_problems_are_one_line_and_exit_2() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let env = Env::new();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    for (url, says) in [
        (
            format!("postgres://batchimp@127.0.0.1:{closed}/batchimp"),
            "connection refused",
        ),
        (
            format!("postgres://batchimp@127.0.0.1:{}/no_such_db", server.port()),
            "does not exist",
        ),
        (
            "postgres://batchimp@no-such-host.invalid:5432/batchimp".to_owned(),
            "unknown host",
        ),
    ] {
        let out = env
            .cmd()
            .args(["run", &crate::helpers::fixture("nfe"), "--db", &url])
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{url}: {err}");
        assert_eq!(err.lines().count(), 1, "{url}: {err}");
        assert!(
            err.starts_with("batchimp: ") && err.contains(says),
            "{url}: {err}"
        );
    }
    // `report` on a schema batchimp never wrote to.
    let out = env
        .cmd()
        .args([
            "report",
            "--db",
            &server.url("batchimp"),
            "--schema",
            "nobody_here",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no batchimp tables"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_libpq_environment_names_the_database() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let env = Env::new();
    let schema = format!("libpq_env_{}", std::process::id());
    let out = env
        .cmd()
        .env("PGHOST", "127.0.0.1")
        .env("PGPORT", server.port().to_string())
        .env("PGUSER", "batchimp")
        .env("PGDATABASE", "batchimp")
        .env("BATCHIMP_SCHEMA", &schema)
        .args([
            "run",
            &crate::helpers::fixture("cfdi"),
            "--db",
            "postgres://",
            "-q",
        ])
        .output()
        .unwrap();
    assert!(out.status.code().unwrap() <= 1, "{}", stderr(&out));
    assert!(count(server, &schema, "SELECT count(*) FROM cfdi") > 0);
}

#[test]
fn two_runs_at_once_on_one_database_import_each_document_once() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let env = Env::new();
    let (input, files, nfe) = dataset(&env, 1500);
    let schema = format!("two_runs_{}", std::process::id());
    let url = server.url("batchimp");
    // The same folder twice, at the same time, into one schema.
    let a = spawn(&env, &["run", &input, "--db", &url, "--schema", &schema]);
    let b = spawn(&env, &["run", &input, "--db", &url, "--schema", &schema]);
    let (a, b) = (finish(a), finish(b));
    for out in [&a, &b] {
        assert_eq!(out.status.code(), Some(1), "{}", stderr(out));
    }
    assert_eq!(count(server, &schema, "SELECT count(*) FROM nfe"), nfe);
    assert_eq!(
        count(server, &schema, "SELECT count(*) FROM files"),
        2 * i64::from(files),
        "each run recorded every file"
    );
    assert_eq!(
        count(server, &schema, "SELECT count(*) FROM nfe_item"),
        count(
            server,
            &schema,
            "SELECT count(*) FROM (SELECT DISTINCT chave, n_item FROM nfe_item) i"
        ),
        "an NF-e's items written twice"
    );
    // Every NF-e is imported by exactly one of the two batches.
    assert_eq!(
        count(
            server,
            &schema,
            "SELECT count(*) FROM files WHERE status = 'imported' AND kind = 'nfe'"
        ),
        count(
            server,
            &schema,
            "SELECT count(*) FROM (SELECT DISTINCT origin FROM files WHERE status = 'imported' AND kind = 'nfe') f"
        ),
    );
}
