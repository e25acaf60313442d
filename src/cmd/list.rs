//! `batchimp list`: batches, newest first.

use super::EXIT_OK;
use crate::cli::ListArgs;
use crate::report;
use crate::sink::Target;
use anyhow::Result;
use std::io::Write;

pub fn list(args: ListArgs) -> Result<u8> {
    let mut sink = Target::parse(&args.db.db, &args.db.schema)?.open_existing()?;
    let batches = sink.batches()?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &batches)?;
        writeln!(out)?;
    } else {
        report::write_list(&mut out, &batches)?;
    }
    out.flush()?;
    Ok(EXIT_OK)
}
