//! The options of the commands that read what batches recorded: `report`, `get`, `export`,
//! `list` and `stats`. Apart from the importing commands' options because none of these
//! writes to the database or is stored with a batch.

use super::DbArg;
use crate::ledger::BatchStatus;
use crate::time::When;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Batch id, or "latest".
    #[arg(default_value = "latest", value_name = "BATCH")]
    pub batch: String,

    /// Report group NAME's load (see `run --group`): its batch, with what each member did.
    /// Exits 1 when a file of the group failed.
    #[arg(long, value_name = "NAME", conflicts_with = "batch")]
    pub group: Option<String>,

    #[command(flatten)]
    pub db: DbArg,

    /// Print the full JSON report instead of the summary.
    #[arg(long)]
    pub json: bool,

    /// Write the report as one self-contained web page to FILE ("-" for stdout): counts,
    /// failures by error type, per-file parse times, throughput, the slowest files and a
    /// filterable table of the failures. It loads nothing from the network.
    #[arg(long, value_name = "FILE", conflicts_with = "json")]
    pub html: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// An NF-e access key, a CFDI or Retenciones UUID, or an original's SHA-256.
    #[arg(value_name = "KEY|UUID|SHA256")]
    pub wanted: String,

    /// Write the original to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub db: DbArg,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The ZIP to write (replaced when it exists).
    #[arg(short, long, value_name = "FILE.zip")]
    pub output: PathBuf,

    /// Only originals of these kinds (repeatable, or comma-separated).
    #[arg(long, value_name = "KIND", value_delimiter = ',',
          value_parser = crate::archive::KINDS)]
    pub kind: Vec<String>,

    /// Only originals imported (or met again) by this batch.
    #[arg(long, value_name = "BATCH")]
    pub batch: Option<i64>,

    /// Only originals of batches started since a date (2026-11-01, UTC), an RFC 3339 time or
    /// an age (7d, 12h) measured back from now.
    #[arg(long, value_name = "WHEN", value_parser = When::parse)]
    pub since: Option<When>,

    /// Only originals of batches started before a date, an RFC 3339 time or an age.
    #[arg(long, value_name = "WHEN", value_parser = When::parse)]
    pub until: Option<When>,

    /// Only documents issued by this CNPJ, CPF or RFC (NF-e, CFDI, Retenciones), and their
    /// resends.
    #[arg(long, value_name = "CNPJ|CPF|RFC")]
    pub issuer: Option<String>,

    /// Only documents issued to this CNPJ, CPF or RFC, and their resends.
    #[arg(long, value_name = "CNPJ|CPF|RFC")]
    pub receiver: Option<String>,

    /// Only cancelled documents (an NF-e, CT-e, MDF-e or NFS-e whose cancellation was
    /// imported, a CFDI SAT's metadata lists as cancelled), with their events and resends.
    #[arg(long, conflicts_with = "not_cancelled")]
    pub cancelled: bool,

    /// Leave cancelled documents, their events and resends out.
    #[arg(long)]
    pub not_cancelled: bool,

    #[command(flatten)]
    pub db: DbArg,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub db: DbArg,

    /// Only batches with this status (repeatable, or comma-separated). The batch's own status:
    /// `failed` lists batches a fatal error (the database) stopped; a completed batch may still
    /// hold failed files, counted in its FAILED column.
    #[arg(long, value_enum, value_name = "STATUS", value_delimiter = ',')]
    pub status: Vec<BatchStatus>,

    /// Only batches started since a date (2026-11-01, UTC), an RFC 3339 time
    /// (2026-11-01T09:00:00-03:00) or an age (7d, 12h, 30m) measured back from now.
    #[arg(long, value_name = "WHEN", value_parser = When::parse)]
    pub since: Option<When>,

    /// At most this many batches, the newest.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,

    /// Print the batches as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    #[command(flatten)]
    pub db: DbArg,

    /// Only batches started since a date (2026-11-01, UTC), an RFC 3339 time
    /// (2026-11-01T09:00:00-03:00) or an age (7d, 12h, 30m) measured back from now.
    #[arg(long, value_name = "WHEN", value_parser = When::parse)]
    pub since: Option<When>,

    /// Print the statistics as JSON.
    #[arg(long)]
    pub json: bool,
}
