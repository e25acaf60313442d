//! `batchimp report --html`: a batch as one self-contained web page (counts, charts, the slowest
//! files, a filterable table of failures) for people who would rather look than grep.
//!
//! The page fetches nothing. The CSS and the few lines of script are inline, the charts are SVG
//! drawn here (no chart library), and a Content-Security-Policy forbids loading anything from
//! elsewhere, so it opens the same offline, as an email attachment or as a CI artifact.
//!
//! Like the JSON report it reads the ledger once, streaming (`Ledger::for_each_file`), and keeps
//! aggregates only: fixed histogram bins, a throughput series that coarsens itself to stay
//! under a few thousand buckets, the slowest few files and the first failures. A million-file
//! batch makes a page about as big as a thousand-file one.
//!
//! Every string from the ledger (paths, error messages, even error types and kinds) is user data
//! and goes through [`esc`]: a file named `<script>....xml` is text on the page, never markup.

mod aggregate;
mod assets;
mod charts;
mod render;
mod text;

pub use aggregate::Aggregate;
pub use assets::csp;
pub use render::render;
pub use text::esc;

use crate::ledger::BatchInfo;
use crate::ledger::sql::Conn;
use anyhow::Result;
use std::io::Write;

/// Failed files listed in the table; the rest are counted (`--json` has them all). Enough to
/// scroll through, small enough that the page opens at once.
pub const SHOW_FAILED: usize = 2000;
/// Slowest files listed.
pub const SHOW_SLOWEST: usize = 20;
/// Characters of an error message shown in the table; the rest is cut (with an ellipsis).
const MAX_MESSAGE: usize = 2000;

/// Write the HTML report of `batch`.
pub fn write_html(out: &mut dyn Write, sink: &mut dyn Conn, batch: &BatchInfo) -> Result<()> {
    let totals = sink.ledger().totals(batch.batch_id)?;
    let mut agg = Aggregate::default();
    sink.ledger().for_each_file(batch.batch_id, &mut |e| {
        agg.add(e);
        Ok(())
    })?;
    out.write_all(render(batch, &totals, &sink.describe(), &agg).as_bytes())?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests;
