//! `batchimp report [BATCH]`: the human summary of a batch, its full JSON report, or its web
//! page (`--html FILE`).

use super::{EXIT_FILES_FAILED, EXIT_OK};
use crate::cli::ReportArgs;
use crate::ledger::sql::Conn;
use crate::ledger::{BatchFilter, BatchInfo};
use crate::report;
use crate::sink::Target;
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::Path;

pub fn report(args: ReportArgs) -> Result<u8> {
    let target = crate::config::target(&args.db)?;
    let mut sink = target.open_reader()?;
    let group = match &args.group {
        Some(name) => Some(group_report(&target, name)?),
        None => None,
    };
    let id = match &group {
        Some(g) => g.batch_id,
        None => resolve_batch(sink.as_mut(), &args.batch)?,
    };
    let info = sink
        .ledger()
        .batch(id)?
        .with_context(|| format!("no batch {id} in {}", sink.describe()))?;
    if let Some(path) = &args.html {
        return write_html(sink.as_mut(), &info, path);
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.json {
        report::write_json(&mut out, sink.as_mut(), &info, group.as_ref())?;
    } else {
        report::write_summary(&mut out, sink.as_mut(), &info)?;
        if let Some(g) = &group {
            report::write_group(&mut out, g)?;
        }
    }
    out.flush()?;
    // A CI job gates on a group's load as one: 1 when any of its files failed.
    Ok(match group {
        Some(_) if info.failed > 0 => EXIT_FILES_FAILED,
        _ => EXIT_OK,
    })
}

/// The group `name` of a PostgreSQL database.
pub(super) fn group_report(target: &Target, name: &str) -> Result<crate::group::GroupReport> {
    let Target::Postgres(pg) = target else {
        bail!(
            "--group: SQLite databases have no groups (a group is several processes loading into one PostgreSQL database)"
        );
    };
    let mut client = crate::group::connect_reader(pg)?;
    crate::group::report(&mut client, &pg.schema, name)
}

/// The batch of group `name` (`resume --group`, `retry --group`).
pub fn group_batch(target: &Target, name: &str) -> Result<i64> {
    Ok(group_report(target, name)?.batch_id)
}

/// `--html FILE`: the page to FILE (said on stderr), or to stdout for `-`.
fn write_html(sink: &mut dyn Conn, info: &BatchInfo, path: &Path) -> Result<u8> {
    if path.as_os_str() == "-" {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        report::html::write_html(&mut out, sink, info)?;
        return Ok(EXIT_OK);
    }
    let cannot = || format!("cannot write HTML report {}", path.display());
    // Written beside FILE and renamed over it: a link planted there is replaced, not followed.
    let mut file = crate::new_file::NewFile::create(path).with_context(cannot)?;
    let mut out = std::io::BufWriter::new(file.file());
    report::html::write_html(&mut out, sink, info).with_context(cannot)?;
    out.flush().with_context(cannot)?;
    drop(out);
    file.commit().with_context(cannot)?;
    eprintln!(
        "batch {}: HTML report written to {}",
        info.batch_id,
        crate::printable::escape(&path.display().to_string())
    );
    Ok(EXIT_OK)
}

/// A batch id as typed: a number, or `latest`.
pub fn resolve_batch(sink: &mut dyn Conn, typed: &str) -> Result<i64> {
    if typed == "latest" {
        return match sink.ledger().batches(&BatchFilter::latest())?.first() {
            Some(b) => Ok(b.batch_id),
            None => bail!("no batches in {} yet", sink.describe()),
        };
    }
    typed
        .parse()
        .with_context(|| format!("batch id must be a number or \"latest\", not {typed:?}"))
}
