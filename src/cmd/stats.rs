//! `batchimp stats`: what the ledger says of many batches at once — files by kind, status and
//! error type, each batch's speed, and the most frequent failures with an example each.

use super::EXIT_OK;
use crate::cli::StatsArgs;
use crate::ledger::BatchFilter;
use crate::report::{self, StatsReport};
use anyhow::Result;
use std::io::Write;

pub fn stats(args: StatsArgs) -> Result<u8> {
    let target = crate::config::target(&args.db)?;
    let mut sink = target.open_reader()?;
    let since = args.since.map(|w| w.at);
    let stats = sink.ledger().stats(since)?;
    let batches = sink.ledger().batches(&BatchFilter {
        since,
        ..BatchFilter::default()
    })?;
    let mut stats = stats;
    stats.totals.seen = batches.iter().map(|b| b.seen).sum();
    let archive = crate::sink::originals::Reader::open(&target)?.size()?;
    let report = StatsReport::new(args.since.map(|w| w.rfc3339()), stats, &batches, archive);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        report::write_stats(&mut out, &report)?;
    }
    out.flush()?;
    Ok(EXIT_OK)
}
