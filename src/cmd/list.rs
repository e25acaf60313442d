//! `batchimp list`: batches, newest first, filtered by status and start time.

use super::EXIT_OK;
use crate::cli::ListArgs;
use crate::ledger::BatchFilter;
use crate::report;
use crate::sink::Target;
use anyhow::Result;
use std::io::Write;

pub fn list(args: ListArgs) -> Result<u8> {
    let target = crate::config::target(&args.db)?;
    let mut sink = target.open_reader()?;
    let filter = BatchFilter {
        statuses: args.status,
        since: args.since.map(|w| w.at),
        limit: args.limit,
    };
    let filtered = !filter.statuses.is_empty() || filter.since.is_some();
    let mut batches = sink.ledger().batches(&filter)?;
    if let Target::Postgres(pg) = &target {
        // A group's load is one batch: name the group beside it.
        let mut client = crate::group::connect_reader(pg)?;
        let names = crate::group::names(&mut client, &pg.schema)?;
        for b in &mut batches {
            b.group = names.get(&b.batch_id).cloned();
        }
    }
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
