//! `batchimp report [BATCH]`: the human summary of a batch, its full JSON report, or its web
//! page (`--html FILE`).

use super::EXIT_OK;
use crate::cli::ReportArgs;
use crate::ledger::{BatchFilter, BatchInfo};
use crate::report;
use crate::sink::{Sink, Target};
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::Path;

pub fn report(args: ReportArgs) -> Result<u8> {
    let mut sink = Target::parse(&args.db.db, &args.db.schema)?.open_existing()?;
    let id = resolve_batch(sink.as_mut(), &args.batch)?;
    let info = sink
        .batch(id)?
        .with_context(|| format!("no batch {id} in {}", sink.describe()))?;
    if let Some(path) = &args.html {
        return write_html(sink.as_mut(), &info, path);
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.json {
        report::write_json(&mut out, sink.as_mut(), &info)?;
    } else {
        report::write_summary(&mut out, sink.as_mut(), &info)?;
    }
    out.flush()?;
    Ok(EXIT_OK)
}

/// `--html FILE`: the page to FILE (said on stderr), or to stdout for `-`.
fn write_html(sink: &mut dyn Sink, info: &BatchInfo, path: &Path) -> Result<u8> {
    if path.as_os_str() == "-" {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        report::html::write_html(&mut out, sink, info)?;
        return Ok(EXIT_OK);
    }
    let cannot = || format!("cannot write HTML report {}", path.display());
    let file = std::fs::File::create(path).with_context(cannot)?;
    let mut out = std::io::BufWriter::new(file);
    report::html::write_html(&mut out, sink, info).with_context(cannot)?;
    eprintln!(
        "batch {}: HTML report written to {}",
        info.batch_id,
        path.display()
    );
    Ok(EXIT_OK)
}

/// A batch id as typed: a number, or `latest`.
pub fn resolve_batch(sink: &mut dyn Sink, typed: &str) -> Result<i64> {
    if typed == "latest" {
        return match sink.batches(&BatchFilter::latest())?.first() {
            Some(b) => Ok(b.batch_id),
            None => bail!("no batches in {} yet", sink.describe()),
        };
    }
    typed
        .parse()
        .with_context(|| format!("batch id must be a number or \"latest\", not {typed:?}"))
}
