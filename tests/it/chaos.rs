//! Exactly once under chaos: rounds of three `--group` members loading inputs whose commit order
//! shows in the database ([`testdata::ordered`]: copies and resends of earlier chunks'
//! documents), while members are killed with SIGKILL and restarted, frozen past their lease,
//! the PostgreSQL server is stopped and started again mid-load, and the members are killed the
//! moment the group is finished but its batch not yet closed. Whatever happened, each round's
//! database must equal, row by row, what one `batchimp run` of the same inputs leaves.
//!
//! CI runs a few rounds (about a minute). `BATCHIMP_CHAOS_ROUNDS=N` runs N rounds (each with its
//! own seed, printed; `BATCHIMP_TEST_SEED` repeats a run) and prints the totals at the end.

use crate::group::{assert_once, finish, member};
use crate::helpers::{Db, Env};
use crate::pgserver::{Options, PgServer};
use crate::reliability::{Rng, assert_same, snapshot};
use crate::testdata;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// Rounds in `cargo test`; `BATCHIMP_CHAOS_ROUNDS` for more.
const CI_ROUNDS: u64 = 4;
/// Chunks of inputs per round: 12 × 256 files.
const CHUNKS: u32 = 12;
const LEASE: &str = "2s";

/// What a round did to its members and server, summed over rounds at the end.
#[derive(Debug, Default)]
struct Tally {
    rounds: u64,
    files: u64,
    kills: u64,
    restarts: u64,
    freezes: u64,
    server_restarts: u64,
    closing_kills: u64,
    /// Members started (again) while the server was down: refused, started once more.
    members_refused_by_the_server: u64,
    chunks_taken_over: u64,
}

/// Something the round does once so many of its chunks are committed.
#[derive(Debug, Clone, Copy)]
enum Event {
    /// SIGKILL a random live member; start it again this much later.
    Kill(Duration),
    /// SIGSTOP a random live member for longer than its lease, then SIGCONT.
    Freeze,
    /// Stop the server (`-m fast`: every connection is ended), start it this much later.
    ServerDown(Duration),
}

fn signal(child: &Child, sig: &str) {
    Command::new("kill")
        .args([sig, &child.id().to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
}

#[test]
fn members_killed_frozen_and_cut_off_load_like_one_run() {
    // A server of its own: this test stops it, which would break every other test's.
    let Some(server) = PgServer::start(Options::default()) else {
        return;
    };
    let server: &'static PgServer = Box::leak(Box::new(server));
    let db = Db::Postgres(server);
    let rounds = std::env::var("BATCHIMP_CHAOS_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CI_ROUNDS);

    let data = Env::new();
    let dir = data.path("carga");
    let files = u64::from(testdata::ordered(&dir, CHUNKS, false));
    let input = dir.display().to_string();
    let single = Env::on(db);
    let run = single.run(&[&input, "--workers", "2"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let expected = snapshot(&single);

    let mut rng = Rng::new();
    let mut tally = Tally::default();
    for round in 0..rounds {
        // Events fire when so many chunks are committed, not at a time: a fast machine that
        // loads a round in a second must be hit mid-load as a slow one is.
        let mut events = vec![];
        // Two or three kills while members hold claims: two takeovers or more.
        for _ in 0..2 + rng.below(2) {
            let at = 1 + rng.below(9);
            events.push((at, Event::Kill(Duration::from_millis(100 + rng.below(600)))));
        }
        if rng.below(2) == 0 {
            events.push((1 + rng.below(8), Event::Freeze));
        }
        if round % 2 == 1 {
            let down = Duration::from_millis(1500 + rng.below(2500));
            events.push((2 + rng.below(7), Event::ServerDown(down)));
        }
        events.sort_by_key(|(at, _)| *at);
        let kill_closing = round % 2 == 0;
        eprintln!("chaos round {round}: {events:?}, kill the closing member: {kill_closing}");
        let env = chaos_round(server, db, &input, &events, kill_closing, &mut tally);
        assert_same(&expected, &snapshot(&env), &format!("chaos round {round}"));
        assert_once(&env, files);
        let order = env.column("SELECT origin FROM files ORDER BY id");
        let mut walk = order.clone();
        walk.sort();
        assert!(
            order == walk,
            "round {round}: files recorded out of walk order"
        );
        tally.rounds += 1;
        tally.files += files;
    }
    eprintln!("chaos totals: {tally:#?}");
    assert!(
        tally.kills >= 2 * rounds && tally.chunks_taken_over > 0,
        "every round killed members mid-load: {tally:?}"
    );
}

/// One round: three members, the events at their times, then whatever it takes to finish (a
/// member started again, as the next cron run would); its workspace.
fn chaos_round(
    server: &'static PgServer,
    db: Db,
    input: &str,
    events: &[(u64, Event)],
    kill_closing: bool,
    tally: &mut Tally,
) -> Env {
    let env = Env::on(db);
    let mut watch = Watch::new(server, &env);
    let lease = ["--lease", LEASE];
    let mut members: Vec<Child> = (0..3).map(|_| member(&env, input, &lease)).collect();
    // Members to start again, and when.
    let mut restarts: Vec<Instant> = vec![];
    let mut frozen: Option<(Instant, u32)> = None;
    let mut server_down: Option<std::thread::JoinHandle<()>> = None;
    let mut next = 0;
    let mut rng = Rng::new();
    let started = Instant::now();
    loop {
        let committed = watch.committed();
        while next < events.len() && committed >= events[next].0 {
            match events[next].1 {
                // No member alive (all killed, their restarts due): the kill waits for one.
                Event::Kill(_) if members.is_empty() => break,
                Event::Kill(after) => {
                    let mut victim = members.swap_remove(rng.below(members.len() as u64) as usize);
                    victim.kill().unwrap();
                    victim.wait().unwrap();
                    tally.kills += 1;
                    restarts.push(Instant::now() + after);
                }
                Event::Freeze if frozen.is_none() && !members.is_empty() => {
                    let i = rng.below(members.len() as u64) as usize;
                    signal(&members[i], "-STOP");
                    frozen = Some((
                        Instant::now() + Duration::from_millis(2600),
                        members[i].id(),
                    ));
                    tally.freezes += 1;
                }
                Event::ServerDown(down) => {
                    tally.server_restarts += 1;
                    server_down = Some(std::thread::spawn(move || {
                        server.stop();
                        std::thread::sleep(down);
                        server.start_again();
                    }));
                }
                _ => {}
            }
            next += 1;
        }
        if let Some((until, pid)) = frozen
            && Instant::now() >= until
        {
            Command::new("kill")
                .args(["-CONT", &pid.to_string()])
                .stderr(std::process::Stdio::null())
                .status()
                .unwrap();
            frozen = None;
        }
        restarts.retain(|at| {
            if Instant::now() < *at {
                return true;
            }
            members.push(member(&env, input, &lease));
            tally.restarts += 1;
            false
        });
        if kill_closing && !members.is_empty() && watch.finished_but_open() {
            for mut m in members.drain(..) {
                m.kill().unwrap();
                m.wait().unwrap();
            }
            tally.closing_kills += 1;
        }
        // Members that ended: fine (0, 1), or cut off by the server (2).
        let mut i = 0;
        while i < members.len() {
            if members[i].try_wait().unwrap().is_some() {
                let (code, stderr) = finish(members.swap_remove(i));
                match code {
                    0 | 1 => {}
                    // A member started while the server was down cannot join; one that was
                    // loading must ride the restart out.
                    2 if server_down.is_some() && stderr.contains("cannot connect") => {
                        tally.members_refused_by_the_server += 1;
                        restarts.push(Instant::now() + Duration::from_millis(500));
                    }
                    _ => panic!("a member's exit status {code}: {stderr}"),
                }
            } else {
                i += 1;
            }
        }
        // Nobody left to run and nobody to start: the round is over (an event still waiting
        // for its moment missed it, which the totals show).
        let quiet = members.is_empty() && restarts.is_empty();
        if quiet && server_down.as_ref().is_none_or(|t| t.is_finished()) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "the round did not end: {} members left",
            members.len()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    if let Some(t) = server_down {
        t.join().unwrap();
    }
    // The next cron run: finishes the group if the chaos left it unfinished, closes its batch
    // if the closing member was killed, and otherwise finds nothing to do.
    let (code, stderr) = finish(member(&env, input, &lease));
    assert!(
        matches!(code, 0 | 1),
        "the member after the round: {stderr}"
    );
    tally.chunks_taken_over +=
        env.count("SELECT coalesce(sum(greatest(claims - 1, 0)), 0) FROM group_chunks") as u64;
    env
}

/// A connection of the test's own, kept open, to catch the moment the closing member is
/// between marking the group finished and closing its batch (a few milliseconds).
struct Watch {
    server: &'static PgServer,
    schema: String,
    client: Option<postgres::Client>,
    retry_at: Instant,
    committed: u64,
}

impl Watch {
    fn new(server: &'static PgServer, env: &Env) -> Watch {
        let schema = env.db_args().last().unwrap().clone();
        Watch {
            server,
            schema,
            client: None,
            retry_at: Instant::now(),
            committed: 0,
        }
    }

    /// Chunks committed so far; the last count read while the server is down.
    fn committed(&mut self) -> u64 {
        let sql = format!(
            "SELECT count(*) FROM \"{}\".group_chunks WHERE state = 'committed'",
            self.schema
        );
        if let Some(n) = self.count(&sql) {
            self.committed = n as u64;
        }
        self.committed
    }

    /// Every chunk committed and the group marked finished, its batch still `running`. False
    /// while the server is down or the tables are not made yet.
    fn finished_but_open(&mut self) -> bool {
        let sql = format!(
            "SELECT count(*) FROM \"{0}\".batch_groups g JOIN \"{0}\".batches b ON b.id = g.batch_id
             WHERE g.finished = 1 AND b.status = 'running'",
            self.schema
        );
        self.count(&sql).is_some_and(|n| n > 0)
    }

    /// One count, or None while the server is down or the tables are not made yet.
    fn count(&mut self, sql: &str) -> Option<i64> {
        if self.client.is_none() && Instant::now() >= self.retry_at {
            self.retry_at = Instant::now() + Duration::from_millis(100);
            let url = self.server.url("batchimp");
            self.client = postgres::Client::connect(&url, postgres::NoTls).ok();
        }
        let client = self.client.as_mut()?;
        match client.query_one(sql, &[]) {
            Ok(row) => Some(row.get::<_, i64>(0)),
            Err(_) => {
                if client.is_closed() {
                    self.client = None;
                }
                None
            }
        }
    }
}
