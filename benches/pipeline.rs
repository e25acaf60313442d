//! The end-to-end benchmark:
//! `cargo bench --bench pipeline [-- --count N --catalog-rows N --runs R --no-ref --nfe-only
//! --parts-only --photos N --photos-only]`.
//!
//! Generates N realistic NF-e (batchimp's own deterministic generator, as a folder and as a ZIP)
//! under target/bench-data, then measures in one run, side by side: the read floor (every byte
//! read once, one thread, measured here), batchimp on the folder, on the ZIP, a resume of the
//! completed batch, and ../shared/bench/ref_import.py when python3 + lxml are present; and the
//! run's parts alone, as floors (read and hash on every core; read, hash and parse on every
//! core with no database; the writer alone fed parsed files from memory). It checks
//! every import against the generator's manifest and prints a Markdown table of wall times
//! (median), files/s, MB/s, rows/s, peak RSS and the ratios the targets are stated in.
//!
//! Then the NF-e folder into PostgreSQL (a throwaway server on this machine, default
//! durability: fsync on), beside the SQLite run, and the same rows inserted one statement per
//! row on a sample (the baseline a bulk path is measured against).
//!
//! Then the same for a product catalog (CSV, ten rows per NF-e by default): its read floor,
//! `sqlite3 .import` of the same file (when the sqlite3 shell is installed), and batchimp. And
//! the same rows as an Excel workbook: reading every cell with calamine alone (its floor) and
//! batchimp importing it.
//!
//! Last, phone photos of DANFEs (`--photos N`, 1,000 by default; each with its own key as a
//! Code 128, turned, noisy, unevenly lit): read for their codes (`--ocr never`), every key
//! checked, with the peak memory of batchimp and its reader processes together; and a few
//! OCR'd by Tesseract when it is installed.

#[path = "support/catalog_gen.rs"]
mod catalog_gen;
#[path = "support/floors.rs"]
mod floors;
#[path = "support/nfe_gen.rs"]
mod nfe_gen;
#[allow(dead_code)]
#[path = "../tests/it/pdfgen.rs"]
mod pdfgen;
#[path = "../tests/it/pgserver.rs"]
mod pgserver;
#[allow(dead_code)]
#[path = "../tests/it/scangen.rs"]
mod scangen;
#[path = "support/xlsx_gen.rs"]
mod xlsx_gen;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// batchimp's own allocator (`src/main.rs`): what this bench measures in its own process (the
/// parts, the floors) then allocates as the binary does.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    count: u64,
    /// Rows of the product catalog (default: ten per NF-e, so a million at 100,000).
    catalog_rows: Option<u64>,
    runs: usize,
    reference: bool,
    /// Only the NF-e folder, ZIP, resume and parts: no PostgreSQL, group or catalog sections.
    nfe_only: bool,
    /// With `--nfe-only`: the PostgreSQL section too (its floor and targets), not `--group`'s.
    postgres: bool,
    /// Only the part floors (for working on one part): no batchimp runs, no reference.
    parts_only: bool,
    /// Phone photos in the photo section.
    photos: u64,
    /// Only the photo section.
    photos_only: bool,
}

fn args() -> Args {
    let mut a = Args {
        count: 100_000,
        catalog_rows: None,
        runs: 3,
        reference: true,
        nfe_only: false,
        postgres: false,
        parts_only: false,
        photos: 1000,
        photos_only: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--count" => a.count = it.next().and_then(|v| v.parse().ok()).expect("--count N"),
            "--runs" => a.runs = it.next().and_then(|v| v.parse().ok()).expect("--runs R"),
            "--catalog-rows" => {
                a.catalog_rows = Some(
                    it.next()
                        .and_then(|v| v.parse().ok())
                        .expect("--catalog-rows N"),
                )
            }
            "--no-ref" => a.reference = false,
            "--nfe-only" => a.nfe_only = true,
            "--postgres" => a.postgres = true,
            "--parts-only" => a.parts_only = true,
            "--photos-only" => a.photos_only = true,
            "--photos" => a.photos = it.next().and_then(|v| v.parse().ok()).expect("--photos N"),
            _ => {} // cargo bench passes --bench
        }
    }
    a
}

#[derive(Clone)]
struct Measure {
    what: String,
    wall: Duration,
    rss_kb: Option<u64>,
    /// Median CPU time (user + system) of the command, when GNU time measured it.
    cpu: Option<Duration>,
    /// Median system CPU time, and context switches (voluntary + involuntary), when GNU time
    /// measured them.
    sys: Option<(Duration, u64)>,
}

impl Measure {
    /// Peak RSS for the tables, `-` when GNU time was not there to measure it.
    fn rss(&self) -> String {
        self.rss_kb.map_or("-".to_owned(), |kb| {
            format!("{:.0} MiB", kb as f64 / 1024.0)
        })
    }
}

/// Median wall time, in seconds, of the first measure whose name starts with `name`.
fn wall(measures: &[Measure], name: &str) -> Option<f64> {
    measures
        .iter()
        .find(|m| m.what.starts_with(name))
        .map(|m| m.wall.as_secs_f64())
}

/// Median CPU time, in seconds, of the first measure whose name starts with `name`, when it
/// was measured.
fn cpu(measures: &[Measure], name: &str) -> Option<f64> {
    measures
        .iter()
        .find(|m| m.what.starts_with(name))
        .and_then(|m| m.cpu)
        .map(|c| c.as_secs_f64())
}

/// A kind of thread, and its seconds on a core, waiting for one, and idle.
type ThreadRow = (String, [f64; 3]);

/// Where a run's threads spent its wall time, from Linux's per-thread scheduler counters
/// (`/proc/PID/task/TID/schedstat`, read every few milliseconds while it runs): on a core,
/// runnable but waiting for a core, and neither (blocked on a channel, a lock or I/O, or not
/// yet started). Rows: the writer (the main thread), the workers, the walker's threads, the
/// rest; each the sum over its threads.
fn thread_times(mut cmd: Command) -> Option<(Duration, Vec<ThreadRow>)> {
    use std::collections::BTreeMap;
    let started = Instant::now();
    let quiet = std::process::Stdio::null;
    let mut child = cmd.stdout(quiet()).stderr(quiet()).spawn().expect("runs");
    let pid = child.id();
    // tid -> (role, on a core ns, waiting ns)
    let mut seen: BTreeMap<u32, (String, u64, u64)> = BTreeMap::new();
    loop {
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
            for task in tasks.flatten() {
                let Some(tid) = task
                    .file_name()
                    .to_str()
                    .and_then(|t| t.parse::<u32>().ok())
                else {
                    continue;
                };
                let (Ok(comm), Ok(stat)) = (
                    std::fs::read_to_string(task.path().join("comm")),
                    std::fs::read_to_string(task.path().join("schedstat")),
                ) else {
                    continue;
                };
                let mut n = stat
                    .split_whitespace()
                    .map(|v| v.parse::<u64>().unwrap_or(0));
                let (run, wait) = (n.next().unwrap_or(0), n.next().unwrap_or(0));
                let role = match comm.trim() {
                    _ if tid == pid => "writer (main thread)",
                    c if c.starts_with("batchimp-worker") => "workers",
                    "batchimp-walker" => "walker",
                    _ => "other threads",
                };
                let e = seen.entry(tid).or_insert((role.to_owned(), 0, 0));
                (e.1, e.2) = (e.1.max(run), e.2.max(wait));
            }
        }
        if child.try_wait().expect("waits").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let wall = started.elapsed();
    if seen.is_empty() {
        return None;
    }
    let mut roles: BTreeMap<String, (usize, u64, u64)> = BTreeMap::new();
    for (role, run, wait) in seen.into_values() {
        let r = roles.entry(role).or_default();
        (r.0, r.1, r.2) = (r.0 + 1, r.1 + run, r.2 + wait);
    }
    let rows = roles
        .into_iter()
        .map(|(role, (threads, run, wait))| {
            let (run, wait) = (run as f64 / 1e9, wait as f64 / 1e9);
            let idle = (threads as f64 * wall.as_secs_f64() - run - wait).max(0.0);
            (format!("{role}, {threads} thread(s)"), [run, wait, idle])
        })
        .collect();
    Some((wall, rows))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Run a command `runs` times (after `prepare` each time); median wall and the largest peak RSS
/// (from GNU time when installed).
fn measure(
    what: &str,
    runs: usize,
    mut prepare: impl FnMut(),
    mut cmd: impl FnMut() -> Command,
) -> Measure {
    let gnu_time = Path::new("/usr/bin/time").exists();
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut syss = Vec::new();
    let mut rss = None;
    for _ in 0..runs {
        prepare();
        let c = cmd();
        let mut run = if gnu_time {
            let mut t = Command::new("/usr/bin/time");
            t.arg("-f")
                .arg("__rss_kb=%M\n__cpu_s=%U %S\n__sys=%S %w %c")
                .arg(c.get_program())
                .args(c.get_args());
            if let Some(dir) = c.get_current_dir() {
                t.current_dir(dir);
            }
            t
        } else {
            c
        };
        let started = Instant::now();
        let out = run.output().expect("runs");
        walls.push(started.elapsed());
        let err = String::from_utf8_lossy(&out.stderr);
        if let Some(kb) = err
            .lines()
            .filter_map(|l| l.strip_prefix("__rss_kb="))
            .next_back()
        {
            rss = rss.max(kb.trim().parse::<u64>().ok());
        }
        if let Some(cpu) = err
            .lines()
            .filter_map(|l| l.strip_prefix("__cpu_s="))
            .next_back()
        {
            let s: f64 = cpu.split(' ').filter_map(|v| v.parse::<f64>().ok()).sum();
            cpus.push(Duration::from_secs_f64(s));
        }
        if let Some(l) = err
            .lines()
            .filter_map(|l| l.strip_prefix("__sys="))
            .next_back()
        {
            let v: Vec<f64> = l.split(' ').filter_map(|v| v.parse().ok()).collect();
            if let [s, w, c] = v[..] {
                syss.push((Duration::from_secs_f64(s), (w + c) as u64));
            }
        }
        let code = out.status.code();
        assert!(
            matches!(code, Some(0) | Some(1)),
            "{what} failed ({code:?}): {err}"
        );
    }
    Measure {
        what: what.to_owned(),
        wall: median(walls),
        rss_kb: rss,
        cpu: (!cpus.is_empty()).then(|| median(cpus)),
        sys: (!syss.is_empty()).then(|| {
            syss.sort();
            syss[syss.len() / 2]
        }),
    }
}

fn read_floor(dir: &Path, runs: usize) -> Measure {
    let mut walls = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let mut bytes = 0u64;
        for e in walkdir::WalkDir::new(dir).into_iter().flatten() {
            if e.file_type().is_file() {
                bytes += std::fs::read(e.path()).expect("read").len() as u64;
            }
        }
        std::hint::black_box(bytes);
        walls.push(started.elapsed());
    }
    Measure {
        what: "read every byte, one thread (the floor)".into(),
        wall: median(walls),
        rss_kb: None,
        cpu: None,
        sys: None,
    }
}

/// The folder's files in walk order (sorted by name, as batchimp walks).
fn files_of(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect()
}

/// A file as the workers get it.
fn item_of(path: &Path) -> batchimp::source::Item {
    let bytes = std::fs::read(path).expect("read");
    batchimp::source::Item {
        origin: path.display().to_string(),
        size: bytes.len() as u64,
        data: Ok(bytes),
        retries: 0,
        mtime: None,
        stream: None,
    }
}

/// The parts of a run alone, each a floor the run cannot beat: reading and hashing every byte
/// on every core; reading, hashing and parsing every file on every core (the workers' whole
/// job, no database); and writing the parsed files' rows (the writer alone, fed in walk order
/// from memory, 2,000 files a transaction as the pipeline commits).
fn part_floors(dir: &Path, db: &Path, workers: usize, runs: usize) -> Vec<Measure> {
    use batchimp::format::ParseOptions;
    use batchimp::ledger::BatchStart;
    use batchimp::sink::Sink;
    use rayon::prelude::*;
    use sha2::Digest;
    let files = files_of(dir);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .build()
        .unwrap();
    // `f` returns the wall and CPU time of its timed part, or `None` when all of it counts
    // (its CPU: the whole process's, every thread).
    let timed = |what: String, f: &mut dyn FnMut() -> Option<(Duration, Duration)>| {
        let (mut walls, mut cpus) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let (started, cpu) = (Instant::now(), floors::process_cpu());
            let (wall, cpu) =
                f().unwrap_or_else(|| (started.elapsed(), floors::process_cpu() - cpu));
            walls.push(wall);
            cpus.push(cpu);
        }
        Measure {
            what,
            wall: median(walls),
            rss_kb: None,
            cpu: Some(median(cpus)),
            sys: None,
        }
    };
    let hash = timed(
        format!("part: read and SHA-256 every byte, {workers} threads"),
        &mut || {
            pool.install(|| {
                files.par_iter().for_each(|f| {
                    let bytes = std::fs::read(f).expect("read");
                    std::hint::black_box(sha2::Sha256::digest(&bytes));
                })
            });
            None
        },
    );
    let opts = ParseOptions::default();
    let timeout = Duration::from_secs(60);
    let parse = timed(
        format!("part: read, hash and parse every file, {workers} threads, no database"),
        &mut || {
            pool.install(|| {
                files.par_iter().for_each(|f| {
                    std::hint::black_box(batchimp::pipeline::process(item_of(f), &opts, timeout));
                })
            });
            None
        },
    );
    let write = timed(
        "part: write the parsed rows, the writer alone".into(),
        &mut || {
            let parsed: Vec<_> = pool.install(|| {
                files
                    .par_iter()
                    .map(|f| batchimp::pipeline::process(item_of(f), &opts, timeout))
                    .collect()
            });
            rm_db(db);
            let mut sink = batchimp::sink::sqlite::Sqlite::open(db).unwrap();
            let start = BatchStart {
                inputs: vec![dir.display().to_string()],
                workers,
                options: "{}".into(),
                report: None,
                token: BatchStart::token(),
            };
            let batch = batchimp::ledger::Ledger::of(&mut sink)
                .start_batch(&start)
                .unwrap();
            let (started, cpu) = (Instant::now(), floors::thread_cpu());
            for (i, p) in parsed.into_iter().enumerate() {
                if i % batchimp::pipeline::FILES_PER_TX == 0 {
                    if i > 0 {
                        sink.commit(batch).unwrap();
                    }
                    sink.begin().unwrap();
                }
                sink.record(
                    batch,
                    p,
                    batchimp::sink::Put {
                        replace: false,
                        on_conflict: batchimp::ledger::OnConflict::Skip,
                    },
                )
                .unwrap();
            }
            sink.commit(batch).unwrap();
            sink.sync(batch).unwrap();
            Some((started.elapsed(), floors::thread_cpu() - cpu))
        },
    );
    // The writer floor: the rows the writer alone wrote, read back, written again through
    // SQLite's C API with nothing batchimp does around them.
    let rows = floors::Rows::read(db);
    let floor_db = db.with_extension("floor.db");
    let floor = timed(
        format!(
            "floor: the writer's {} rows through SQLite's C API (static binds, item index at the end)",
            rows.rows()
        ),
        &mut || {
            Some(floors::sqlite_floor(
                &rows,
                &floor_db,
                batchimp::pipeline::FILES_PER_TX,
            ))
        },
    );
    rm_db(&floor_db);
    vec![hash, parse, write, floor]
}

fn check(db: &Path, m: &nfe_gen::Manifest, what: &str) {
    let conn = rusqlite::Connection::open(db).expect("db");
    let docs: u64 = conn
        .query_row("SELECT count(*) FROM nfe", [], |r| r.get(0))
        .unwrap();
    let items: u64 = conn
        .query_row("SELECT count(*) FROM nfe_item", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        (docs, items),
        (m.unique_docs, m.items),
        "{what}: rows differ from the manifest"
    );
}

/// The archive of originals in a SQLite database: originals, bytes stored (theirs and their
/// shared parts'), raw bytes.
fn archive_size(db: &Path) -> (u64, u64, u64) {
    let conn = rusqlite::Connection::open(db).expect("db");
    conn.query_row(
        "SELECT count(*), COALESCE(sum(length(data)), 0)
            + (SELECT COALESCE(sum(length(data)), 0) FROM original_parts),
            COALESCE(sum(size), 0) FROM originals",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .unwrap()
}

/// What the archive of originals holds and costs: bytes a document, its ratio to the raw
/// files (target: at most a sixth), and the run's CPU with and without it (target: at most
/// 20% more).
fn archive_table((originals, stored, raw): &(u64, u64, u64), rows: &[Measure]) {
    let n = (*originals).max(1) as f64;
    println!("\n| archive of originals | measured |");
    println!("| --- | --- |");
    println!("| originals kept | {originals} |");
    println!("| raw bytes a document | {:.0} |", *raw as f64 / n);
    println!("| stored bytes a document | {:.0} |", *stored as f64 / n);
    let (with, without) = (
        cpu(
            rows,
            "batchimp run FOLDER --no-report (archiving originals, the default)",
        ),
        cpu(rows, "batchimp run FOLDER --no-archive --no-report"),
    );
    if let (Some(w), Some(wo)) = (with, without) {
        println!("| CPU of the folder run with / without | {w:.2} s / {wo:.2} s |");
    }
    println!("\n| target | measured | met |");
    println!("| --- | --- | --- |");
    let ratio = *raw as f64 / (*stored).max(1) as f64;
    println!(
        "| raw / stored (≥ 6) | {ratio:.2} | {} |",
        if ratio >= 6.0 { "yes" } else { "no" }
    );
    if let (Some(w), Some(wo)) = (with, without) {
        let more = w / wo;
        println!(
            "| CPU with / without the archive (≤ 1.20) | {more:.2} | {} |",
            if more <= 1.2 { "yes" } else { "no" }
        );
    }
}

fn rm_db(db: &Path) {
    for suffix in ["", "-wal", "-shm", ".lock"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

fn main() {
    let a = args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    let data = root.join(format!("bench-data/nfe-{}", a.count));
    let zip = root.join(format!("bench-data/nfe-{}.zip", a.count));
    let tmp = root.join("bench-tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let bin = env!("CARGO_BIN_EXE_batchimp");
    if a.photos_only {
        photo_bench(&a, &root, &tmp, bin);
        return;
    }
    let opts = nfe_gen::GenOptions {
        count: a.count,
        out: Some(data.clone()),
        zip: Some(zip.clone()),
        ..Default::default()
    };
    let manifest_path = nfe_gen::manifest_path(&data);
    let manifest = if manifest_path.exists() && zip.exists() {
        // Same seed and count: the same files; regenerate only to learn the manifest.
        nfe_gen::generate(&nfe_gen::GenOptions {
            out: None,
            zip: None,
            ..opts.clone()
        })
        .unwrap()
    } else {
        eprintln!(
            "generating {} NF-e into {} and {}",
            a.count,
            data.display(),
            zip.display()
        );
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(zip.parent().unwrap()).unwrap();
        let m = nfe_gen::generate(&opts).unwrap();
        std::fs::write(&manifest_path, m.to_json()).unwrap();
        m
    };
    let db = tmp.join("bench.db");
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());

    read_floor(&data, 1); // warm the page cache
    let floor = read_floor(&data, a.runs);
    if a.parts_only {
        let parts_db = tmp.join("parts.db");
        let parts = part_floors(&data, &parts_db, workers, a.runs);
        check(&parts_db, &manifest, "the writer alone");
        for r in [floor].iter().chain(&parts) {
            let cpu = r.cpu.map_or(0.0, |c| c.as_secs_f64());
            println!(
                "| {} | {:.3} s | {cpu:.3} s CPU |",
                r.what,
                r.wall.as_secs_f64()
            );
        }
        return;
    }
    let batchimp = |input: &Path| {
        let mut c = Command::new(bin);
        c.arg("run")
            .arg(input)
            .arg("--db")
            .arg(&db)
            .arg("-q")
            .arg("--no-report");
        c
    };
    // The import itself: no archive of originals and no report (issue 33's targets are stated
    // on it; the report is measured alone below), then the default, which keeps the originals
    // (the archive's targets).
    let import = |input: &Path| {
        let mut c = batchimp(input);
        c.arg("--no-archive");
        c
    };
    let folder = measure(
        "batchimp run FOLDER --no-archive --no-report",
        a.runs,
        || rm_db(&db),
        || import(&data),
    );
    check(&db, &manifest, "folder without the archive");
    // The JSON report alone, as `run --report` writes it at the end: what asking for one costs.
    let report = measure(
        "batchimp report latest --json (the run's report alone)",
        a.runs,
        || {},
        || {
            let mut c = Command::new(bin);
            c.arg("report")
                .arg("latest")
                .arg("--json")
                .arg("--db")
                .arg(&db);
            c
        },
    );
    let archived = measure(
        "batchimp run FOLDER --no-report (archiving originals, the default)",
        a.runs,
        || rm_db(&db),
        || batchimp(&data),
    );
    check(&db, &manifest, "folder");
    let archive = archive_size(&db);
    // One more folder run, untimed above: where each thread's time went.
    rm_db(&db);
    let threads = thread_times(import(&data));
    // As a cron job would: no --report, so a complete batch that gained no file is left as is.
    let resume = measure(
        "batchimp resume (completed batch: nothing to do)",
        a.runs,
        || {},
        || {
            let mut c = Command::new(bin);
            c.arg("resume").arg("latest").arg("--db").arg(&db).arg("-q");
            c
        },
    );
    let zipped = measure(
        "batchimp run ZIP --no-archive --no-report",
        a.runs,
        || {
            rm_db(&db);
            let _ = std::fs::read(&zip);
        },
        || import(&zip),
    );
    check(&db, &manifest, "zip");
    let mut rows = vec![floor, folder, archived, zipped, resume, report];
    let parts_db = tmp.join("parts.db");
    rows.extend(part_floors(&data, &parts_db, workers, a.runs));
    check(&parts_db, &manifest, "the writer alone");

    let ref_py = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/ref_import.py");
    let lxml = Command::new("python3")
        .args(["-c", "import lxml"])
        .output()
        .is_ok_and(|o| o.status.success());
    let ref_db = tmp.join("ref.db");
    if a.reference && ref_py.exists() && lxml {
        rows.push(measure(
            &format!("ref_import.py --workers {workers}"),
            1.max(a.runs / 3),
            || rm_db(&ref_db),
            || {
                let mut c = Command::new("python3");
                c.arg(&ref_py)
                    .arg(&data)
                    .arg("--db")
                    .arg(&ref_db)
                    .arg("--workers")
                    .arg(workers.to_string());
                c
            },
        ));
    } else {
        eprintln!("ref_import.py skipped (needs ../shared/bench and python3 with lxml)");
    }

    let mb = manifest.bytes as f64 / 1e6;
    let row_count = (manifest.unique_docs + manifest.items + manifest.files) as f64;
    let floor_s = rows[0].wall.as_secs_f64();
    println!(
        "\n{} NF-e, {:.0} MB, {} unique documents, {} items; {workers} cores; median of {} runs\n",
        manifest.files, mb, manifest.unique_docs, manifest.items, a.runs
    );
    println!("| what | wall | CPU | files/s | MB/s | rows/s | peak RSS | × floor |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for r in &rows {
        let s = r.wall.as_secs_f64();
        let rss = r.rss();
        let cpu = r
            .cpu
            .map_or("-".into(), |c| format!("{:.2} s", c.as_secs_f64()));
        let rows_s = if r.what.starts_with("batchimp run") {
            format!("{:.0}", row_count / s)
        } else {
            "-".into()
        };
        println!(
            "| {} | {s:.2} s | {cpu} | {:.0} | {:.0} | {rows_s} | {rss} | {:.2} |",
            r.what,
            manifest.files as f64 / s,
            mb / s,
            s / floor_s
        );
    }
    let t = |name: &str| wall(&rows, name);
    let c = |name: &str| cpu(&rows, name);
    let run_cpu = c("batchimp run FOLDER --no-archive --no-report");
    let (folder_s, zip_s, resume_s, report_s) = (
        t("batchimp run FOLDER --no-archive --no-report").unwrap(),
        t("batchimp run ZIP").unwrap(),
        t("batchimp resume").unwrap(),
        t("batchimp report").unwrap(),
    );
    let (parse_cpu, writer_cpu, floor_cpu) = (
        c("part: read, hash and parse").unwrap(),
        c("part: write the parsed rows").unwrap(),
        c("floor: the writer's").unwrap(),
    );
    let parts_cpu = parse_cpu + writer_cpu;
    println!(
        "\nCPU seconds: the folder run {}; its parts: parse {parse_cpu:.2} (on {workers} threads) + \
         writer {writer_cpu:.2} = {parts_cpu:.2}; the writer floor {floor_cpu:.2}",
        run_cpu.map_or("-".into(), |c| format!("{c:.2}")),
    );
    println!("\n| target (issue 33) | measured | met |");
    println!("| --- | --- | --- |");
    let line = |what: &str, got: f64, goal: &str, ok: bool| {
        println!(
            "| {what} {goal} | {got:.2} | {} |",
            if ok { "yes" } else { "no" }
        )
    };
    if let Some(run_cpu) = run_cpu {
        line(
            "folder CPU / (parse part CPU + writer part CPU)",
            run_cpu / parts_cpu,
            "≤ 1.05",
            run_cpu / parts_cpu <= 1.05,
        );
    }
    let busy = parts_cpu / workers as f64;
    line(
        &format!("folder wall / ((parse CPU + writer CPU) / {workers} cores)"),
        folder_s / busy,
        "≤ 1.1",
        folder_s / busy <= 1.1,
    );
    line(
        "writer part CPU / writer floor CPU",
        writer_cpu / floor_cpu,
        "≤ 1.05",
        writer_cpu / floor_cpu <= 1.05,
    );
    if let Some(r) = t("ref_import.py") {
        line(
            "ref_import.py / batchimp folder",
            r / folder_s,
            "≥ 6",
            r / folder_s >= 6.0,
        );
    }
    line(
        "zip / folder",
        zip_s / folder_s,
        "≤ 1.15",
        zip_s / folder_s <= 1.15,
    );
    line(
        "resume of a completed batch / read floor",
        resume_s / floor_s,
        "≤ 0.5",
        resume_s / floor_s <= 0.5,
    );
    if let Some(kb) = rows
        .iter()
        .filter(|r| r.what.starts_with("batchimp run"))
        .filter_map(|r| r.rss_kb)
        .max()
    {
        line(
            "peak RSS of batchimp (MiB)",
            kb as f64 / 1024.0,
            "≤ 64",
            kb <= 64 * 1024,
        );
    }
    line(
        "the JSON report alone / folder run",
        report_s / folder_s,
        "≤ 0.03",
        report_s / folder_s <= 0.03,
    );
    archive_table(&archive, &rows);
    if let Some((wall, rows)) = threads {
        println!(
            "\nWhere the threads of one more folder run spent its {:.2} s (seconds, from \
             /proc/PID/task/TID/schedstat; idle: blocked or not started)\n",
            wall.as_secs_f64()
        );
        println!("| threads | on a core | runnable, waiting for a core | idle |");
        println!("| --- | --- | --- | --- |");
        for (role, [run, wait, idle]) in rows {
            println!("| {role} | {run:.2} | {wait:.2} | {idle:.2} |");
        }
    }
    let sqlite = rows[1].clone();
    if a.nfe_only {
        if a.postgres {
            postgres_bench(&a, &data, &manifest, bin, floor_s, &sqlite);
        }
        return;
    }
    postgres_bench(&a, &data, &manifest, bin, floor_s, &sqlite);
    let import = catalog_bench(&a, &root, &tmp, bin);
    workbook_bench(&a, &root, &tmp, bin, import);
    photo_bench(&a, &root, &tmp, bin);
}

/// The NF-e access key with this serial: UF 35, 2026-10, a fixed CNPJ, model 55, and its
/// mod-11 check digit.
fn photo_key(n: u64) -> String {
    let body = format!("3526101234567800019555001{n:09}1{:08}", n % 100_000_000);
    let sum: u32 = body
        .bytes()
        .rev()
        .zip((2..=9).cycle())
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let dv = match 11 - sum % 11 {
        10 | 11 => 0,
        d => d,
    };
    format!("{body}{dv}")
}

/// Peak resident memory of a process and its descendants together (KiB), sampled every
/// 20 ms from /proc while it runs: batchimp and the reader children it starts, at once.
fn tree_peak_kb(mut cmd: Command) -> (Duration, u64, std::process::ExitStatus) {
    fn rss_kb(pid: u32) -> u64 {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            })
            .unwrap_or(0)
    }
    /// Every thread's children: the workers start the readers, not the main thread.
    fn children(pid: u32) -> Vec<u32> {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            return Vec::new();
        };
        tasks
            .flatten()
            .flat_map(|t| {
                std::fs::read_to_string(t.path().join("children"))
                    .unwrap_or_default()
                    .split_whitespace()
                    .filter_map(|p| p.parse().ok())
                    .collect::<Vec<u32>>()
            })
            .collect()
    }
    let started = Instant::now();
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("runs");
    let mut peak = 0;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (started.elapsed(), peak, status);
        }
        let mut total = 0;
        let mut todo = vec![child.id()];
        while let Some(pid) = todo.pop() {
            total += rss_kb(pid);
            todo.extend(children(pid));
        }
        peak = peak.max(total);
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Phone photos of DANFEs: codes alone on all of them, OCR on a few.
fn photo_bench(a: &Args, root: &Path, tmp: &Path, bin: &str) {
    if a.photos == 0 {
        return;
    }
    let dir = root.join(format!("bench-data/photos-{}", a.photos));
    if !dir.join("done").exists() {
        eprintln!("drawing {} phone photos into {}", a.photos, dir.display());
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let form = scangen::danfe_form();
        for n in 0..a.photos {
            let mut p = form.clone();
            p.danfe_barcode(&photo_key(n));
            let bytes = p.photo(n + 1).jpeg(85);
            std::fs::write(dir.join(format!("photo-{n:05}.jpg")), bytes).unwrap();
        }
        std::fs::write(dir.join("done"), "").unwrap();
    }
    let db = tmp.join("photos.db");
    rm_db(&db);
    let mut cmd = Command::new(bin);
    cmd.args([
        "run",
        "--ocr",
        "never",
        "-q",
        "--report",
        "/dev/null",
        "--db",
    ])
    .arg(&db)
    .arg(&dir);
    let (wall, peak_kb, status) = tree_peak_kb(cmd);
    assert!(matches!(status.code(), Some(0 | 1)), "photos: {status}");
    let conn = rusqlite::Connection::open(&db).expect("db");
    let mut read = 0u64;
    for n in 0..a.photos {
        let found: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM pdf_document WHERE path LIKE ?1 AND chave = ?2)",
                (format!("%photo-{n:05}.jpg"), photo_key(n)),
                |r| r.get(0),
            )
            .unwrap();
        read += u64::from(found);
    }
    // No photo read as another's key: every key found is the one drawn on it.
    let with_key: u64 = conn
        .query_row(
            "SELECT count(*) FROM pdf_document WHERE chave IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        with_key, read,
        "a photo was read with a key not drawn on it"
    );
    println!(
        "\n## Phone photos of DANFEs ({} photos, 150 dpi, 3° turned, noisy)\n",
        a.photos
    );
    println!("| run | wall (s) | photos/s | keys read | peak RSS, batchimp and readers together |");
    println!("| --- | --- | --- | --- | --- |");
    println!(
        "| codes only (`--ocr never`) | {:.2} | {:.1} | {read} of {} | {:.0} MiB (target < 200) |",
        wall.as_secs_f64(),
        a.photos as f64 / wall.as_secs_f64(),
        a.photos,
        peak_kb as f64 / 1024.0
    );
    let tesseract = Command::new("tesseract").arg("--version").output().is_ok();
    if tesseract {
        let few = tmp.join("photos-ocr");
        let _ = std::fs::remove_dir_all(&few);
        std::fs::create_dir_all(&few).unwrap();
        let n = a.photos.min(20);
        for i in 0..n {
            let name = format!("photo-{i:05}.jpg");
            std::fs::copy(dir.join(&name), few.join(&name)).unwrap();
        }
        rm_db(&db);
        let mut cmd = Command::new(bin);
        cmd.args([
            "run",
            "--ocr",
            "auto",
            "-q",
            "--report",
            "/dev/null",
            "--db",
        ])
        .arg(&db)
        .arg(&few);
        let (wall, peak_kb, status) = tree_peak_kb(cmd);
        assert!(
            matches!(status.code(), Some(0 | 1)),
            "photos with OCR: {status}"
        );
        println!(
            "| codes and OCR (`--ocr auto`) | {:.2} | {:.2} | {n} photos | {:.0} MiB |",
            wall.as_secs_f64(),
            n as f64 / wall.as_secs_f64(),
            peak_kb as f64 / 1024.0
        );
    }
    rm_db(&db);
}

/// A document's rows as text (its `nfe` row, its `nfe_item` rows).
type TextDoc = (Vec<Vec<Option<String>>>, Vec<Vec<Option<String>>>);

/// A document's rows, one INSERT statement each (`inserts`: into `nfe`, into `nfe_item`), on
/// `c`: a transaction, or the client itself (each INSERT its own transaction).
fn insert_doc(
    c: &mut impl postgres::GenericClient,
    inserts: [&postgres::Statement; 2],
    (nfe, items): &TextDoc,
) {
    for (stmt, rows) in inserts.into_iter().zip([nfe, items]) {
        for row in rows {
            let params: Vec<&(dyn postgres::types::ToSql + Sync)> = row
                .iter()
                .map(|v| v as &(dyn postgres::types::ToSql + Sync))
                .collect();
            c.execute(stmt, &params).unwrap();
        }
    }
}

/// Rows counted on PostgreSQL, against the manifest.
fn check_pg(client: &mut postgres::Client, m: &nfe_gen::Manifest) {
    let n = |c: &mut postgres::Client, t: &str| -> u64 {
        let sql = format!("SELECT count(*) FROM batchimp.{t}");
        c.query_one(&sql, &[]).unwrap().get::<_, i64>(0) as u64
    };
    assert_eq!(
        (n(client, "nfe"), n(client, "nfe_item")),
        (m.unique_docs, m.items),
        "PostgreSQL: rows differ from the manifest"
    );
}

/// The NF-e folder into PostgreSQL, and the baseline: the same rows inserted one statement per
/// row.
fn postgres_bench(
    a: &Args,
    data: &Path,
    manifest: &nfe_gen::Manifest,
    bin: &str,
    floor_s: f64,
    sqlite: &Measure,
) {
    let sqlite_s = sqlite.wall.as_secs_f64();
    let Some(server) = pgserver::PgServer::start(pgserver::Options::default()) else {
        eprintln!("PostgreSQL skipped (needs Debian's postgresql package)");
        return;
    };
    let url = server.url("batchimp");
    let mut admin = server.client("batchimp");
    let pg = measure(
        "batchimp run FOLDER --no-archive --no-report into PostgreSQL",
        a.runs,
        || {
            admin
                .batch_execute("DROP SCHEMA IF EXISTS batchimp CASCADE")
                .unwrap()
        },
        || {
            let mut c = Command::new(bin);
            c.arg("run")
                .arg(data)
                .arg("--db")
                .arg(&url)
                .arg("-q")
                .arg("--no-archive")
                .arg("--no-report");
            c
        },
    );
    check_pg(&mut admin, manifest);
    // The COPY floor: the same rows, as COPY text, into copies of the same tables.
    let tables: Vec<String> = admin
        .query(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'batchimp' AND c.relkind = 'r'
             AND (c.relname LIKE 'nfe%' OR c.relname = 'files') ORDER BY c.relname",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0))
        .filter(|t| {
            let sql = format!("SELECT EXISTS (SELECT 1 FROM batchimp.\"{t}\")");
            admin.query_one(&sql, &[]).unwrap().get(0)
        })
        .collect();
    let tables: Vec<&str> = tables.iter().map(String::as_str).collect();
    let mut copies = Vec::new();
    let mut copied = 0;
    for _ in 0..a.runs {
        let (wall, rows) = floors::copy_floor(&mut admin, &tables);
        copies.push(wall);
        copied = rows;
    }
    let copy_s = median(copies).as_secs_f64();
    let pg_s = pg.wall.as_secs_f64();
    let row_count = (manifest.unique_docs + manifest.items + manifest.files) as f64;
    let pg_rows_s = row_count / pg_s;

    // The baseline on a sample: each document's nfe row and items, one INSERT statement per
    // row (prepared, parameters as text), one transaction per document, as an importer that
    // commits file by file does.
    let sample: Vec<String> = admin
        .query(
            "SELECT chave FROM batchimp.nfe ORDER BY chave LIMIT $1",
            &[&(2000.min(manifest.unique_docs) as i64)],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    admin
        .batch_execute(
            "DROP SCHEMA IF EXISTS rowwise CASCADE; CREATE SCHEMA rowwise;
             CREATE TABLE rowwise.nfe (LIKE batchimp.nfe INCLUDING ALL);
             CREATE TABLE rowwise.nfe_item (LIKE batchimp.nfe_item INCLUDING ALL);",
        )
        .unwrap();
    let insert = |c: &mut postgres::Client, table: &str| {
        let cols = c
            .query(
                "SELECT column_name, data_type FROM information_schema.columns
                 WHERE table_schema = 'batchimp' AND table_name = $1 ORDER BY ordinal_position",
                &[&table],
            )
            .unwrap();
        let names: Vec<String> = cols
            .iter()
            .map(|r| format!("\"{}\"", r.get::<_, String>(0)))
            .collect();
        let params: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(i, r)| format!("${}::{}", i + 1, r.get::<_, String>(1)))
            .collect();
        let sql = format!(
            "INSERT INTO rowwise.{table} ({}) VALUES ({})",
            names.join(", "),
            params.join(", ")
        );
        c.prepare_typed(&sql, &vec![postgres::types::Type::TEXT; cols.len()])
            .unwrap()
    };
    let (ins_nfe, ins_item) = (insert(&mut admin, "nfe"), insert(&mut admin, "nfe_item"));
    // The rows as text, fetched before the clock starts.
    let fetch = |c: &mut postgres::Client, sql: &str| -> Vec<Vec<Option<String>>> {
        c.simple_query(sql)
            .unwrap()
            .into_iter()
            .filter_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => {
                    Some((0..r.len()).map(|i| r.get(i).map(str::to_owned)).collect())
                }
                _ => None,
            })
            .collect()
    };
    let mut docs = Vec::new();
    for chave in &sample {
        let nfe = fetch(
            &mut admin,
            &format!("SELECT * FROM batchimp.nfe WHERE chave = '{chave}'"),
        );
        let items = fetch(
            &mut admin,
            &format!("SELECT * FROM batchimp.nfe_item WHERE chave = '{chave}'"),
        );
        docs.push((nfe, items));
    }
    let sample_rows: usize = docs.iter().map(|(n, i)| n.len() + i.len()).sum();
    let started = Instant::now();
    for doc in &docs {
        let mut tx = admin.transaction().unwrap();
        insert_doc(&mut tx, [&ins_nfe, &ins_item], doc);
        tx.commit().unwrap();
    }
    let rowwise = started.elapsed().as_secs_f64();
    let rowwise_rows_s = sample_rows as f64 / rowwise;
    // And as the simplest loop does it: every INSERT its own transaction (a commit, and its
    // fsync, per row), on the first tenth of the sample.
    admin
        .batch_execute("TRUNCATE rowwise.nfe, rowwise.nfe_item")
        .unwrap();
    let tenth = &docs[..docs.len().div_ceil(10)];
    let tenth_rows: usize = tenth.iter().map(|(n, i)| n.len() + i.len()).sum();
    let started = Instant::now();
    for doc in tenth {
        insert_doc(&mut admin, [&ins_nfe, &ins_item], doc);
    }
    let autocommit = started.elapsed().as_secs_f64();
    let autocommit_rows_s = tenth_rows as f64 / autocommit;

    println!(
        "\nPostgreSQL {} (throwaway server on this machine, fsync on); median of {} runs\n",
        admin
            .query_one("SHOW server_version", &[])
            .unwrap()
            .get::<_, String>(0),
        a.runs
    );
    println!("| what | wall | files/s | rows/s | peak RSS | × floor | × SQLite |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    println!(
        "| read every byte, one thread (the floor, above) | {floor_s:.2} s | {:.0} | - | - | 1.00 | - |",
        manifest.files as f64 / floor_s
    );
    println!(
        "| batchimp run FOLDER into SQLite (above) | {sqlite_s:.2} s | {:.0} | {:.0} | - | {:.2} | 1.00 |",
        manifest.files as f64 / sqlite_s,
        row_count / sqlite_s,
        sqlite_s / floor_s
    );
    println!(
        "| {} | {pg_s:.2} s | {:.0} | {pg_rows_s:.0} | {} | {:.2} | {:.2} |",
        pg.what,
        manifest.files as f64 / pg_s,
        pg.rss(),
        pg_s / floor_s,
        pg_s / sqlite_s
    );
    println!(
        "| one INSERT per row, a transaction per document ({} NF-e, {sample_rows} rows) | {rowwise:.2} s | {:.0} | {rowwise_rows_s:.0} | - | - | - |",
        docs.len(),
        docs.len() as f64 / rowwise,
    );
    println!(
        "| one INSERT per row, each its own transaction ({} NF-e, {tenth_rows} rows) | {autocommit:.2} s | {:.0} | {autocommit_rows_s:.0} | - | - | - |",
        tenth.len(),
        tenth.len() as f64 / autocommit,
    );
    println!(
        "| floor: the run's {copied} rows of {} as COPY text, copied into copies of their tables, one transaction | {copy_s:.2} s | {:.0} | {:.0} | - | {:.2} | {:.2} |",
        tables.join(", "),
        manifest.files as f64 / copy_s,
        copied as f64 / copy_s,
        copy_s / floor_s,
        copy_s / sqlite_s
    );
    println!("\n| target | measured | met |");
    println!("| --- | --- | --- |");
    let yes = |ok: bool| if ok { "yes" } else { "no" };
    println!(
        "| PostgreSQL / the COPY floor ≤ 1.3 (issue 33) | {:.2} | {} |",
        pg_s / copy_s,
        yes(pg_s / copy_s <= 1.3)
    );
    if let (Some((pg_sys, pg_sw)), Some((sq_sys, sq_sw))) = (pg.sys, sqlite.sys) {
        let n = manifest.files as f64;
        let (pg_sys, sq_sys) = (pg_sys.as_secs_f64(), sq_sys.as_secs_f64());
        println!(
            "| client system time per file, PostgreSQL / SQLite ≤ 1.5 (issue 33; {:.0} / {:.0} µs) | {:.2} | {} |",
            pg_sys / n * 1e6,
            sq_sys / n * 1e6,
            pg_sys / sq_sys,
            yes(pg_sys / sq_sys <= 1.5)
        );
        println!(
            "| client context switches per file, PostgreSQL / SQLite ≤ 1.5 (issue 33; {:.2} / {:.2}) | {:.2} | {} |",
            pg_sw as f64 / n,
            sq_sw as f64 / n,
            pg_sw as f64 / sq_sw.max(1) as f64,
            yes(pg_sw as f64 <= 1.5 * sq_sw as f64)
        );
    }
    println!(
        "| PostgreSQL / SQLite (folder) ≤ 1.5 | {:.2} | {} |",
        pg_s / sqlite_s,
        if pg_s / sqlite_s <= 1.5 { "yes" } else { "no" }
    );
    println!(
        "| PostgreSQL rows/s / one-INSERT-per-row rows/s (a transaction per document) ≥ 20 | {:.1} | {} |",
        pg_rows_s / rowwise_rows_s,
        if pg_rows_s / rowwise_rows_s >= 20.0 {
            "yes"
        } else {
            "no"
        }
    );
    println!(
        "| PostgreSQL rows/s / one-INSERT-per-row rows/s (a transaction per row) ≥ 20 | {:.1} | {} |",
        pg_rows_s / autocommit_rows_s,
        if pg_rows_s / autocommit_rows_s >= 20.0 {
            "yes"
        } else {
            "no"
        }
    );
    if let Some(kb) = pg.rss_kb {
        println!(
            "| peak RSS into PostgreSQL (MiB) ≤ 64 | {:.0} | {} |",
            kb as f64 / 1024.0,
            if kb <= 64 * 1024 { "yes" } else { "no" }
        );
    }
    if !a.nfe_only {
        group_bench(a, data, manifest, bin, &url, &mut admin, pg_s);
    }
}

/// `--group` with 1, 2 and 3 members on this machine against the same server: files/s, and
/// the database round trips the coordination took (claims, turns) per file. Each member runs
/// `--workers 1`; on a 2-core machine the curve mostly shows what the coordination costs.
fn group_bench(
    a: &Args,
    data: &Path,
    manifest: &nfe_gen::Manifest,
    bin: &str,
    url: &str,
    admin: &mut postgres::Client,
    single_s: f64,
) {
    println!(
        "\n`--group` on this machine (each member --workers 1); median of {} runs\n",
        a.runs
    );
    println!("| members | wall | files/s | × one run (2 workers) | round trips per file |");
    println!("| --- | --- | --- | --- | --- |");
    for members in 1..=3 {
        let mut walls = Vec::new();
        let mut trips = 0u64;
        for _ in 0..a.runs {
            admin
                .batch_execute("DROP SCHEMA IF EXISTS batchimp CASCADE")
                .unwrap();
            let started = Instant::now();
            // Each member's stderr goes to a file: a pipe read only once the member exits
            // fills up with the failed files' lines, and the blocked member stalls the group.
            let children: Vec<_> = (0..members)
                .map(|m| {
                    let log = std::env::temp_dir().join(format!(
                        "batchimp-bench-{}-member-{m}.log",
                        std::process::id()
                    ));
                    let child = Command::new(bin)
                        .arg("run")
                        .arg(data)
                        .args(["--group", "bench", "--workers", "1", "--report", "-"])
                        .arg("--db")
                        .arg(url)
                        .stdout(std::process::Stdio::null())
                        .stderr(std::fs::File::create(&log).unwrap())
                        .spawn()
                        .expect("runs");
                    (child, log)
                })
                .collect();
            trips = 0;
            for (mut child, log) in children {
                let status = child.wait().unwrap();
                let err = std::fs::read_to_string(&log).unwrap();
                let _ = std::fs::remove_file(&log);
                assert!(
                    matches!(status.code(), Some(0) | Some(1)),
                    "a group member failed: {err}"
                );
                trips += err
                    .split(['\n', ';'])
                    .find_map(|part| {
                        part.trim()
                            .strip_suffix(" database round trips to coordinate")
                    })
                    .and_then(|n| n.trim().parse::<u64>().ok())
                    .unwrap_or(0);
            }
            walls.push(started.elapsed());
        }
        check_pg(admin, manifest);
        let wall = median(walls).as_secs_f64();
        println!(
            "| {members} | {wall:.2} s | {:.0} | {:.2} | {:.3} |",
            manifest.files as f64 / wall,
            wall / single_s,
            trips as f64 / manifest.files as f64
        );
    }
}

/// The catalog half: floor, `sqlite3 .import`, batchimp; rows checked against the manifest.
/// `sqlite3 .import`'s wall time, when it ran.
fn catalog_bench(a: &Args, root: &Path, tmp: &Path, bin: &str) -> Option<f64> {
    let rows = a.catalog_rows.unwrap_or(a.count * 10);
    let csv = root.join(format!("bench-data/catalog-{rows}.csv"));
    let o = catalog_gen::CatalogOptions {
        rows,
        ..Default::default()
    };
    eprintln!("generating a {rows}-row catalog into {}", csv.display());
    let manifest = catalog_gen::generate(&o, &csv).expect("write the catalog");
    let db = tmp.join("catalog.db");

    let _ = std::fs::read(&csv); // warm the page cache
    let mut walls = Vec::new();
    for _ in 0..a.runs {
        let started = Instant::now();
        std::hint::black_box(std::fs::read(&csv).expect("read").len());
        walls.push(started.elapsed());
    }
    let mut results = vec![Measure {
        what: "read every byte, one thread (the floor)".into(),
        wall: median(walls),
        rss_kb: None,
        cpu: None,
        sys: None,
    }];
    let sqlite3 = Command::new("sqlite3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if sqlite3 {
        results.push(measure(
            "sqlite3 .import --csv (all TEXT, no checks, no key)",
            a.runs,
            || rm_db(&db),
            || {
                let mut c = Command::new("sqlite3");
                c.arg(&db)
                    .arg(format!(".import --csv {} products", csv.display()));
                c
            },
        ));
    } else {
        eprintln!("sqlite3 .import skipped (no sqlite3 shell on PATH)");
    }
    let (ours, got) = import_catalog(
        "batchimp run CATALOG (validate, upsert by SKU)",
        a.runs,
        bin,
        &csv,
        &db,
    );
    results.push(ours);
    assert_eq!(
        got,
        (manifest.good, manifest.bad),
        "catalog: rows and rejects differ from the manifest"
    );

    let mb = manifest.bytes as f64 / 1e6;
    let floor_s = results[0].wall.as_secs_f64();
    println!(
        "\nproduct catalog: {} rows ({} bad), {mb:.0} MB; median of {} runs\n",
        manifest.rows, manifest.bad, a.runs
    );
    println!("| what | wall | rows/s | MB/s | peak RSS | × floor |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for r in &results {
        let s = r.wall.as_secs_f64();
        let rss = r.rss();
        println!(
            "| {} | {s:.2} s | {:.0} | {:.0} | {rss} | {:.2} |",
            r.what,
            manifest.rows as f64 / s,
            mb / s,
            s / floor_s
        );
    }
    let t = |name: &str| wall(&results, name);
    if let (Some(ours), Some(import)) = (t("batchimp"), t("sqlite3")) {
        println!("\n| target | measured | met |");
        println!("| --- | --- | --- |");
        println!(
            "| catalog: batchimp / sqlite3 .import ≤ 1.0 | {:.2} | {} |",
            ours / import,
            if ours <= import { "yes" } else { "no" }
        );
    }
    t("sqlite3")
}

/// batchimp importing the catalog `path` into a fresh `db`, `runs` times: the measure, and the
/// products and rejected rows the last run left.
fn import_catalog(
    what: &str,
    runs: usize,
    bin: &str,
    path: &Path,
    db: &Path,
) -> (Measure, (u64, u64)) {
    let report = db.with_extension("json");
    let m = measure(
        what,
        runs,
        || rm_db(db),
        || {
            let mut c = Command::new(bin);
            c.arg("run")
                .arg(path)
                .arg("--db")
                .arg(db)
                .arg("-q")
                .arg("--report")
                .arg(&report);
            c
        },
    );
    let conn = rusqlite::Connection::open(db).expect("db");
    let got = conn
        .query_row(
            "SELECT (SELECT count(*) FROM product), (SELECT sum(rows_rejected) FROM files)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    (m, got)
}

/// The same catalog as a workbook: every cell read by calamine alone (the floor), then
/// batchimp importing it (from disk, streamed); rows checked against the generator.
fn workbook_bench(a: &Args, root: &Path, tmp: &Path, bin: &str, import: Option<f64>) {
    let rows = a.catalog_rows.unwrap_or(a.count * 10);
    let path = root.join(format!("bench-data/catalog-{rows}.xlsx"));
    let o = catalog_gen::CatalogOptions {
        rows,
        ..Default::default()
    };
    eprintln!("generating a {rows}-row workbook into {}", path.display());
    let manifest = xlsx_gen::generate(&o, &path).expect("write the workbook");
    // In a workbook, number cells say nothing of how a person writes decimals: the prices
    // typed as text (`12,50`, `R$ 9,90`, `1.234,56`) are the only ones that decide, and they
    // decide for the decimal comma. So those rows are good here.
    let comma = ["12,50", "R$ 9,90", "1.234,56"];
    let good = catalog_gen::Rows::new(&o)
        .filter(|r| r.good || matches!(r.price, catalog_gen::Price::Bad(p) if comma.contains(&p)))
        .count() as u64;

    let mut walls = Vec::new();
    for _ in 0..a.runs {
        let started = Instant::now();
        let mut book: calamine::Xlsx<_> = calamine::open_workbook(&path).expect("open");
        let mut cells = book.worksheet_cells_reader(xlsx_gen::SHEET).expect("sheet");
        let mut n = 0u64;
        while let Some(cell) = cells.next_cell().expect("cell") {
            n += u64::from(!matches!(cell.get_value(), calamine::DataRef::Empty));
        }
        std::hint::black_box(n);
        walls.push(started.elapsed());
    }
    let db = tmp.join("workbook.db");
    let results = [Measure {
        what: "calamine alone: every cell of the sheet, one thread (the floor)".into(),
        wall: median(walls),
        rss_kb: None,
        cpu: None,
        sys: None,
    }];
    let (ours, got) = import_catalog(
        "batchimp run WORKBOOK (validate, upsert by SKU and supplier)",
        a.runs,
        bin,
        &path,
        &db,
    );
    let results = [results[0].clone(), ours];
    assert_eq!(
        got,
        (good, manifest.rows - good),
        "workbook: rows and rejects differ from the generator's"
    );
    let mb = manifest.bytes as f64 / 1e6;
    let floor = results[0].wall.as_secs_f64();
    println!(
        "\nproduct catalog as a workbook: {} rows, {mb:.0} MB; median of {} runs\n",
        manifest.rows, a.runs
    );
    println!("| what | wall | rows/s | peak RSS | × floor |");
    println!("| --- | --- | --- | --- | --- |");
    for r in &results {
        let s = r.wall.as_secs_f64();
        println!(
            "| {} | {s:.2} s | {:.0} | {} | {:.2} |",
            r.what,
            manifest.rows as f64 / s,
            r.rss(),
            s / floor
        );
    }
    if let Some(import) = import {
        println!(
            "| sqlite3 .import of the same rows as CSV (above) | {import:.2} s | {:.0} | - | {:.2} |",
            manifest.rows as f64 / import,
            import / floor
        );
    }
    let ours = results[1].wall.as_secs_f64();
    let rss_mib = results[1].rss_kb.map(|kb| kb as f64 / 1024.0);
    println!("\n| target | measured | met |");
    println!("| --- | --- | --- |");
    println!(
        "| workbook: batchimp / calamine alone ≤ 1.5 | {:.2} | {} |",
        ours / floor,
        if ours <= 1.5 * floor { "yes" } else { "no" }
    );
    if let Some(mib) = rss_mib {
        println!(
            "| workbook: peak RSS of batchimp (MiB) ≤ 64 | {mib:.1} | {} |",
            if mib <= 64.0 { "yes" } else { "no" }
        );
    }
}
