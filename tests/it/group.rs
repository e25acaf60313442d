//! `--group`: several processes loading the same inputs into one PostgreSQL database, against a
//! real server. The database must end as one run of the same inputs leaves it, every file
//! recorded once, whatever the members' number, speed and deaths.

use crate::helpers::{Db, Env, fixture};
use crate::reliability::{assert_same, snapshot};
use crate::testdata;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Thousands of NF-e (duplicates, resends, broken files, a ZIP), two catalogs, the CFDI
/// fixtures and SAT metadata with rejected lines, in one folder; the number of files.
fn inputs(data: &Env) -> (String, u64) {
    let dir = data.path("carga");
    let mut files = u64::from(testdata::dataset(&dir, 3000));
    let cfdi = dir.join("cfdi");
    std::fs::create_dir_all(&cfdi).unwrap();
    for entry in std::fs::read_dir(fixture("cfdi")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), cfdi.join(entry.file_name())).unwrap();
        files += 1;
    }
    let sat = dir.join("sat");
    std::fs::create_dir_all(&sat).unwrap();
    std::fs::copy(
        fixture("sat/metadata-recibidos-2026-10.txt"),
        sat.join("metadata.txt"),
    )
    .unwrap();
    files += 1;
    (dir.display().to_string(), files)
}

/// The inputs (in a workspace kept alive by the caller), their number of files, and the
/// snapshot one `batchimp run` of them leaves: what every group must end as.
fn inputs_and_one_run(db: Db) -> (Env, String, u64, Vec<String>) {
    let data = Env::new();
    let (input, files) = inputs(&data);
    let single = Env::on(db);
    let run = single.run(&[&input, "--workers", "2"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    (data, input, files, snapshot(&single))
}

pub(crate) fn member(env: &Env, input: &str, extra: &[&str]) -> Child {
    Command::new(env.cmd().get_program())
        .args(["run", input, "--group", "carga", "--workers", "1", "-q"])
        .args(extra)
        .args(env.db_args())
        .current_dir(env.dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// A member's exit code and stderr. A member still running after 3 minutes is a hang: killed,
/// and the test fails rather than the CI run.
pub(crate) fn finish(mut child: Child) -> (i32, String) {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(180) {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!("a member hung: {}", String::from_utf8_lossy(&out.stderr));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every file recorded exactly once, in the group's one batch.
pub(crate) fn assert_once(env: &Env, files: u64) {
    assert_eq!(env.count("SELECT count(*) FROM batches"), 1);
    assert_eq!(env.count("SELECT count(*) FROM files") as u64, files);
    assert_eq!(
        env.count("SELECT count(*) FROM (SELECT origin FROM files GROUP BY origin HAVING count(*) > 1) AS twice"),
        0
    );
    assert_eq!(
        env.text("SELECT status FROM batches").as_deref(),
        Some("completed")
    );
}

fn group_report(env: &Env) -> (i32, serde_json::Value) {
    let out = env.on_db(&["report", "--group", "carga", "--json"]);
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), json)
}

#[test]
fn three_members_load_like_one_run() {
    let Some(db) = Db::postgres() else { return };
    let (data, input, files, expected) = inputs_and_one_run(db);

    let env = Env::on(db);
    let members: Vec<Child> = (0..3).map(|_| member(&env, &input, &[])).collect();
    let mut failed_somewhere = false;
    for m in members {
        let (code, stderr) = finish(m);
        assert!(
            code == 0 || code == 1,
            "a member's own exit code: {code}: {stderr}"
        );
        failed_somewhere |= code == 1;
    }
    assert!(failed_somewhere, "the broken files failed in some member");
    assert_same(&expected, &snapshot(&env), "three members against one run");
    assert_once(&env, files);
    // A member records a SAT metadata file's rejected lines as a catalog's rows.
    assert_eq!(
        env.count(
            "SELECT count(*) FROM rejected_rows r JOIN files f ON f.id = r.file_id
             WHERE f.kind = 'sat_metadata' AND f.rows_rejected = 3"
        ),
        3
    );

    // The group as one load: its members' parts add up to the batch; exit 1 (files failed).
    let (code, report) = group_report(&env);
    assert_eq!(code, 1);
    let group = &report["group"];
    eprintln!("{group:#}");
    assert_eq!(group["finished"], true);
    assert_eq!(group["chunks_committed"], group["chunks"]);
    let members = group["members"].as_array().unwrap();
    // The load was shared: several members committed chunks.
    assert!(
        members
            .iter()
            .filter(|m| m["chunks"].as_u64().unwrap() > 0)
            .count()
            >= 2,
        "{group}"
    );
    let sum = |k: &str| members.iter().map(|m| m[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(sum("files"), files, "{group}");
    assert_eq!(
        sum("failed"),
        report["totals"]["by_status"]["failed"].as_u64().unwrap()
    );
    let text = String::from_utf8(env.on_db(&["report", "--group", "carga"]).stdout).unwrap();
    assert!(text.contains("group carga: finished"), "{text}");
    // `list` shows the group's load as one batch, named.
    let list = String::from_utf8(env.on_db(&["list"]).stdout).unwrap();
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(list.contains(&format!("{input} (group carga)")), "{list}");
    let json: serde_json::Value =
        serde_json::from_slice(&env.on_db(&["list", "--json"]).stdout).unwrap();
    assert_eq!(json[0]["group"], "carga", "{json}");

    // A member started after the group finished finds nothing to do.
    let (code, stderr) = finish(member(&env, &input, &[]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("finished already"), "{stderr}");
    assert_once(&env, files);

    // Other inputs cannot join the group.
    let other = data.path("carga/000");
    let (code, stderr) = finish(member(&env, &other.display().to_string(), &[]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("loads other inputs"), "{stderr}");
}

#[test]
fn a_member_killed_mid_load_loses_nothing() {
    let Some(db) = Db::postgres() else { return };
    let (_data, input, files, expected) = inputs_and_one_run(db);

    let env = Env::on(db);
    let lease = ["--lease", "2s"];
    let mut victim = member(&env, &input, &lease);
    let others: Vec<Child> = (0..2).map(|_| member(&env, &input, &lease)).collect();
    // Killed while it holds a claim: that chunk must be taken over by the others.
    let pattern = format!("%:{}", victim.id());
    let started = Instant::now();
    loop {
        let held = env.count_or_zero(&format!(
            "SELECT count(*) FROM group_chunks WHERE member LIKE '{pattern}' AND state = 'claimed'"
        )) > 0;
        if held {
            break;
        }
        assert!(
            victim.try_wait().unwrap().is_none(),
            "the member ended before it claimed"
        );
        assert!(started.elapsed() < Duration::from_secs(60), "no claim");
        std::thread::sleep(Duration::from_millis(5));
    }
    victim.kill().unwrap();
    victim.wait().unwrap();
    for m in others {
        let (code, stderr) = finish(m);
        assert!(code == 0 || code == 1, "{code}: {stderr}");
    }
    assert_same(&expected, &snapshot(&env), "after a member's kill -9");
    assert_once(&env, files);
    let (_, report) = group_report(&env);
    assert!(
        report["group"]["chunks_taken_over"].as_u64().unwrap() >= 1,
        "the dead member's chunk was taken over: {}",
        report["group"]
    );
}

#[test]
fn a_group_needs_postgresql() {
    let env = Env::new();
    let out = env.on_db(&["run", &fixture("nfe"), "--group", "carga"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--group needs a PostgreSQL database"),
        "{stderr}"
    );
    assert!(!env.db().exists() || env.count("SELECT count(*) FROM batches") == 0);
}

#[test]
fn an_interrupted_group_is_resumed_and_retried() {
    let Some(db) = Db::postgres() else { return };
    let (_data, input, files, expected) = inputs_and_one_run(db);

    // Ctrl-C once the first chunk is in: the member lets its chunks go and exits 130.
    let env = Env::on(db);
    let member = member(&env, &input, &[]);
    let started = Instant::now();
    let committed = |env: &Env| {
        env.count_or_zero("SELECT count(*) FROM group_chunks WHERE state = 'committed'") as u64
    };
    while committed(&env) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no chunk committed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    Command::new("kill")
        .args(["-INT", &member.id().to_string()])
        .status()
        .unwrap();
    let (code, stderr) = finish(member);
    assert_eq!(code, 130, "{stderr}");
    assert!(stderr.contains("left group carga"), "{stderr}");
    assert_eq!(
        env.count("SELECT count(*) FROM group_chunks WHERE state = 'claimed'"),
        0,
        "its chunks went back to the group"
    );
    let done = committed(&env);
    let chunks = env.count("SELECT count(*) FROM group_chunks") as u64;
    assert!(done < chunks, "interrupted mid-load: {done} of {chunks}");

    // `resume --group` rejoins and finishes it: as one run would have left it.
    let out = env.on_db(&["resume", "--group", "carga", "-q"]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same(
        &expected,
        &snapshot(&env),
        "after an interrupted group resumed",
    );
    assert_once(&env, files);

    // `retry --group` redoes the group's failed files in one process: they fail again, alone.
    let failed = env.count("SELECT count(*) FROM files WHERE status = 'failed'");
    assert!(failed > 0);
    let out = env.on_db(&["retry", "--group", "carga", "-q"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        env.count("SELECT count(*) FROM files WHERE status = 'failed'"),
        failed
    );
    assert_once(&env, files);
}

/// [`testdata::ordered`] inputs of `chunks` chunks, and the snapshot one run of them leaves.
fn ordered_and_one_run(db: Db, chunks: u32, slow_first: bool) -> (Env, String, u64, Vec<String>) {
    let data = Env::new();
    let dir = data.path("carga");
    let files = u64::from(testdata::ordered(&dir, chunks, slow_first));
    let single = Env::on(db);
    let run = single.run(&[&dir.display().to_string(), "--workers", "2"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    (data, dir.display().to_string(), files, snapshot(&single))
}

/// Start a member and kill -9 it once it holds claims on the first `chunks` chunks, none of
/// them committed (its first chunk is slow to parse); the group then exists, unfinished.
fn member_killed_holding(env: &Env, input: &str, chunks: i64, extra: &[&str]) {
    let mut victim = member(env, input, extra);
    let pattern = format!("%:{}", victim.id());
    let started = Instant::now();
    let claimed = format!(
        "SELECT count(*) FROM group_chunks WHERE member LIKE '{pattern}' AND state = 'claimed' AND chunk < {chunks}"
    );
    while env.count_or_zero(&claimed) < chunks {
        assert!(
            victim.try_wait().unwrap().is_none(),
            "the member ended before it claimed"
        );
        assert!(started.elapsed() < Duration::from_secs(60), "no claim");
        std::thread::sleep(Duration::from_millis(2));
    }
    victim.kill().unwrap();
    victim.wait().unwrap();
    assert_eq!(
        env.count("SELECT count(*) FROM group_chunks WHERE state = 'committed'"),
        0,
        "the member was killed before it committed anything"
    );
}

/// Two chunks taken over from members that are gone: the later one's lease runs out first, and
/// the member that takes it over must still commit it after the earlier one. Committed out of
/// walk order, the copies in chunk 1 of chunk 0's documents would be kept instead of theirs.
#[test]
fn chunks_taken_over_commit_in_walk_order() {
    let Some(db) = Db::postgres() else { return };
    let (_data, input, files, expected) = ordered_and_one_run(db, 4, true);
    let env = Env::on(db);
    member_killed_holding(&env, &input, 2, &["--lease", "60s"]);
    // Chunk 0 held by a member gone for 4 more seconds, chunk 1 for 1; the rest free.
    env.rows(
        "UPDATE group_chunks SET lease_until = now() + interval '4 seconds' WHERE chunk = 0;
         UPDATE group_chunks SET lease_until = now() + interval '1 second' WHERE chunk = 1;
         UPDATE group_chunks SET state = 'free', member = NULL, lease_until = NULL WHERE chunk > 1",
    );
    let (code, stderr) = finish(member(&env, &input, &[]));
    assert_eq!(code, 0, "{stderr}");
    assert_same(&expected, &snapshot(&env), "after two takeovers");
    assert_once(&env, files);
    let order = env.column("SELECT origin FROM files ORDER BY id");
    let mut walk = order.clone();
    walk.sort();
    assert!(order == walk, "files recorded out of walk order");
}

/// The member that marks the group finished is killed before it closes the batch: rerunning a
/// member, `resume --group` and `retry --group` each close it.
#[test]
fn a_finished_group_left_open_is_closed() {
    let Some(db) = Db::postgres() else { return };
    let data = Env::new();
    let dir = data.path("carga");
    testdata::ordered(&dir, 2, false);
    let input = dir.display().to_string();
    let env = Env::on(db);
    let (code, stderr) = finish(member(&env, &input, &[]));
    assert_eq!(code, 0, "{stderr}");
    // The default report, named after the database and schema, in the working folder.
    let report = |env: &Env| {
        let id = env.count("SELECT id FROM batches");
        let schema = env.db_args().last().unwrap().clone();
        env.path(&format!("batchimp-report-batchimp.{schema}-{id}.json"))
    };
    let left_open = |env: &Env| {
        env.rows(
            "UPDATE batches SET status = 'running', finished_at = NULL, processing_time_seconds = NULL",
        );
        let _ = std::fs::remove_file(report(env));
    };
    let closed = |env: &Env, how: &str, out: (i32, String)| {
        assert_eq!(out.0, 0, "{how}: {}", out.1);
        assert!(out.1.contains("left open"), "{how}: {}", out.1);
        assert_eq!(
            env.text("SELECT status FROM batches").as_deref(),
            Some("completed"),
            "{how}"
        );
        assert!(
            env.text("SELECT finished_at FROM batches").is_some(),
            "{how}"
        );
        assert!(report(env).exists(), "{how}: the report is written");
    };
    let on_db = |args: &[&str]| {
        let out = env.on_db(args);
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    left_open(&env);
    closed(&env, "a member rerun", finish(member(&env, &input, &[])));
    left_open(&env);
    closed(
        &env,
        "resume --group",
        on_db(&["resume", "--group", "carga"]),
    );
    left_open(&env);
    closed(&env, "retry --group", on_db(&["retry", "--group", "carga"]));
    assert_eq!(env.count("SELECT count(*) FROM files"), 512);
}

/// A member given other import options, or the same inputs by another path, joining a group.
#[test]
fn members_join_only_with_the_groups_options_and_spelling() {
    let Some(db) = Db::postgres() else { return };
    let (data, input, files, expected) = ordered_and_one_run(db, 3, true);
    let env = Env::on(db);
    member_killed_holding(&env, &input, 1, &["--lease", "1s"]);

    let (code, stderr) = finish(member(&env, &input, &["--on-conflict", "replace"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--on-conflict is \"replace\" but group carga loads with \"skip\""),
        "{stderr}"
    );
    assert_eq!(
        env.count("SELECT count(*) FROM files"),
        0,
        "nothing recorded"
    );

    // The same files elsewhere, named relative to the member's folder: recorded as the group's
    // first member named them.
    let copy = data.path("elsewhere/carga");
    std::fs::create_dir_all(&copy).unwrap();
    for entry in walkdir::WalkDir::new(&input).min_depth(1) {
        let entry = entry.unwrap();
        let to = copy.join(entry.path().strip_prefix(&input).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
    let out = Command::new(env.cmd().get_program())
        .args(["run", "carga", "--group", "carga", "--workers", "1", "-q"])
        .args(env.db_args())
        .current_dir(data.path("elsewhere"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same(
        &expected,
        &snapshot(&env),
        "a member naming the inputs otherwise",
    );
    assert_once(&env, files);
}
