//! `batchimp list`: batches, newest first, filtered by status and start time.

use super::EXIT_OK;
use crate::cli::ListArgs;
use crate::ledger::BatchFilter;
use crate::report;
use crate::sink::Target;
use anyhow::Result;
use std::io::Write;

pub fn list(args: ListArgs) -> Result<u8> {
    let mut sink = Target::parse(&args.db.db, &args.db.schema)?.open_existing()?;
    let filter = BatchFilter {
        statuses: args.status,
        since: args.since.map(|w| w.at),
        limit: args.limit,
    };
    let filtered = !filter.statuses.is_empty() || filter.since.is_some();
    let batches = sink.batches(&filter)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &batches)?;
        writeln!(out)?;
    } else if batches.is_empty() && filtered {
        writeln!(out, "no batches match")?;
    } else {
        report::write_list(&mut out, &batches)?;
    }
    out.flush()?;
    Ok(EXIT_OK)
}
