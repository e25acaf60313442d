//! `batchimp prune`: remove old batches' ledger rows, never imported data, and their JSON
//! reports. The choice of batches is [`Prune::select`]'s; the sink deletes them in one
//! transaction, then their reports go.

use super::EXIT_OK;
use crate::cli::PruneArgs;
use crate::ledger::{Prune, Pruned, REPORT_NONE, REPORT_STDOUT, ReportColumn};
use crate::report::thousands;
use crate::sink::{Retry, Target, retrying};
use anyhow::Result;
use serde::Serialize;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// `prune --json`.
#[derive(Serialize)]
struct PruneReport<'a> {
    /// Batches that ended before this time were looked at.
    before: String,
    #[serde(flatten)]
    pruned: &'a Pruned,
}

/// Transient errors (another program's transaction holding SQLite) retried before giving up;
/// a lost PostgreSQL connection is tried again for `--db-retry-for`'s default.
const RETRY: Retry = Retry {
    times: 3,
    lost_for: crate::sink::DEFAULT_RETRY_FOR,
};

pub fn prune(args: PruneArgs) -> Result<u8> {
    let target = crate::config::target(&args.db)?;
    let mut sink = target.open_existing()?;
    let prune = Prune {
        before: args.older_than.at,
        keep_failed: args.keep_failed,
        dry_run: args.dry_run,
    };
    // A busy database's retries are logged (`database_retry`) on stderr.
    crate::log::init(&crate::log::LogConfig::default())?;
    let mut pruned = retrying(sink.as_mut(), RETRY, "prune the ledger", |s| {
        s.ledger().prune(&prune)
    })?;
    if !pruned.dry_run {
        pruned.reports_removed = remove_reports(&target, &pruned.reports);
    }
    let when = match args.older_than.age {
        Some(_) => format!("older than {}", args.older_than.describe()),
        None => format!("ended before {}", args.older_than.describe()),
    };
    eprintln!("batchimp: {}", message(&pruned, &when));
    if args.json {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        let report = PruneReport {
            before: args.older_than.rfc3339(),
            pruned: &pruned,
        };
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
        out.flush()?;
    }
    Ok(EXIT_OK)
}

/// `pruned 12 batches, 48,210 files (older than 30 days); kept 1 running`.
fn message(p: &Pruned, when: &str) -> String {
    let plural =
        |n: u64, word: &str| format!("{} {word}{}", thousands(n), if n == 1 { "" } else { "es" });
    let files = |n: u64| format!("{} file{}", thousands(n), if n == 1 { "" } else { "s" });
    let verb = if p.dry_run { "would prune" } else { "pruned" };
    let mut msg = format!(
        "{verb} {}, {} ({when})",
        plural(p.batches, "batch"),
        files(p.files)
    );
    let mut kept = Vec::new();
    if p.kept_running > 0 {
        kept.push(format!("{} running", p.kept_running));
    }
    if p.kept_failed > 0 {
        kept.push(format!("{} with failures (--keep-failed)", p.kept_failed));
    }
    match p.kept_latest {
        0 => {}
        1 => kept.push("the newest".to_owned()),
        n => kept.push(format!("the {n} newest")),
    }
    if !kept.is_empty() {
        msg.push_str(&format!("; kept {}", kept.join(", ")));
    }
    if p.reports_removed > 0 {
        msg.push_str(&format!(
            "; removed {} report{}",
            thousands(p.reports_removed),
            if p.reports_removed == 1 { "" } else { "s" }
        ));
    }
    if p.dry_run {
        msg.push_str("; nothing removed (--dry-run)");
    }
    msg
}

/// Remove the JSON reports of pruned batches; how many went. A report goes only while it is
/// still that batch's (a file that starts as batchimp writes one, with its id), never a file
/// put there since, nor what a link points to; one that cannot be removed stays, silently:
/// the ledger is pruned either way.
fn remove_reports(target: &Target, reports: &[ReportColumn]) -> u64 {
    let mut removed = 0;
    for r in reports {
        let path = match r.report.as_deref() {
            Some(REPORT_STDOUT | REPORT_NONE) => continue,
            Some(path) => PathBuf::from(path),
            // The default path: beside a SQLite file (from here, as the ledger's own path
            // is), in the batch's working folder for PostgreSQL.
            None => {
                let name = target.default_report(Some(r.batch_id));
                match (target, &r.cwd) {
                    (Target::Sqlite(_), _) => name,
                    (Target::Postgres(_), Some(cwd)) => Path::new(cwd).join(name),
                    (Target::Postgres(_), None) => continue,
                }
            }
        };
        if is_report_of(&path, r.batch_id) && std::fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Whether `path` is a regular file holding batch `id`'s JSON report.
fn is_report_of(path: &Path, id: i64) -> bool {
    if !std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let expected = format!("{{\n  \"batch_id\": {id},\n");
    let mut head = Vec::with_capacity(expected.len());
    let read = std::fs::File::open(path)
        .and_then(|f| f.take(expected.len() as u64).read_to_end(&mut head));
    read.is_ok() && head == expected.as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let p = Pruned {
            batches: 12,
            files: 48_210,
            ..Pruned::default()
        };
        assert_eq!(
            message(&p, "older than 30 days"),
            "pruned 12 batches, 48,210 files (older than 30 days)"
        );
        let p = Pruned {
            dry_run: true,
            batches: 1,
            files: 1,
            kept_running: 1,
            kept_failed: 2,
            kept_latest: 1,
            ..Pruned::default()
        };
        assert_eq!(
            message(&p, "older than 7 days"),
            "would prune 1 batch, 1 file (older than 7 days); kept 1 running, \
             2 with failures (--keep-failed), the newest; nothing removed (--dry-run)"
        );
    }
}
