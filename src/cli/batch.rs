//! The options of the commands that import: `run`, `resume`, `retry` and `reparse`, with how a
//! batch is executed ([`ExecArgs`]) and what it imports ([`BatchArgs`]), and the parsers of the
//! values users write for them (sizes, catalog mappings). Apart from the reading commands'
//! options because these are the ones a batch stores and reuses.

use super::DbArg;
use crate::format::catalog;
use crate::ledger::OnConflict;
use crate::log::LogFormat;
use clap::Args;
use std::path::PathBuf;

/// How a batch is executed: none of these change what ends up in the database.
#[derive(Debug, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub db: DbArg,

    /// Parser threads [default: the number of CPU cores].
    #[arg(help_heading = "Limits", short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=512))]
    pub workers: Option<u16>,

    /// Where to write the JSON report; "-" for stdout.
    ///
    /// Where to write the JSON report; "-" for stdout [default:
    /// batchimp-report-<database>-<batch>.json next to a SQLite database, in the working folder
    /// for PostgreSQL; resume and retry: where the batch's first run wrote it].
    #[arg(help_heading = "Output", long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Write no JSON report (the ledger keeps everything: `batchimp report` shows it later).
    #[arg(
        help_heading = "Output",
        hide_short_help = true,
        long,
        conflicts_with = "report"
    )]
    pub no_report: bool,

    /// Print nothing unless something failed (for cron).
    ///
    /// No progress bar, and only failures on stderr: a run where nothing failed prints nothing
    /// (the summary line too is left out). A --log-file still gets the batch's start and end.
    #[arg(help_heading = "Output", short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// More log lines: -v each batch step and retry, -vv each file.
    #[arg(help_heading = "Output", short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Log lines as text for people, or as JSON objects (timestamp, level, event, batch_id,
    /// path, error_type, error) for log collectors.
    #[arg(help_heading = "Output", hide_short_help = true, long, value_enum, default_value_t = LogFormat::Text, value_name = "FORMAT")]
    pub log_format: LogFormat,

    /// Append log lines to this file instead of stderr.
    ///
    /// Append log lines to this file instead of stderr (the progress bar and the summary line
    /// stay on stderr). It holds each batch's start and end besides the failures, whatever -q
    /// says.
    #[arg(help_heading = "Output", long, value_name = "PATH")]
    pub log_file: Option<PathBuf>,

    /// How long a lost database connection (a server restarting, a failover, a network cut) is
    /// tried again, with pauses of 1, 2, 4 then 5 s, before the batch stops with exit status 2
    /// (`resume` finishes it). Files not committed are redone, never lost or doubled.
    #[arg(help_heading = "Database", hide_short_help = true, long, env = "BATCHIMP_DB_RETRY_FOR", value_name = "DURATION", default_value = "60s", value_parser = humantime::parse_duration)]
    pub db_retry_for: std::time::Duration,

    /// Fail at once if another batchimp is writing to the database, instead of waiting for it.
    #[arg(help_heading = "Database", hide_short_help = true, long)]
    pub no_wait: bool,

    /// Stop taking files after N failed ones; `batchimp resume` finishes the batch.
    ///
    /// Stop taking files after N failed ones: what is recorded stays, the batch is marked
    /// stopped (exit status 1), and `batchimp resume` finishes it.
    #[arg(help_heading = "Limits", long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_errors: Option<u64>,

    /// Stop at the first failed file (--max-errors 1).
    #[arg(help_heading = "Limits", long, conflicts_with = "max_errors")]
    pub fail_fast: bool,
    /// When the batch ends (completed, failed or cancelled), POST its summary as JSON to this
    /// http(s) URL. Retried on 429, 5xx (not 501, 505), connection errors and timeouts (4
    /// attempts, 1, 2, 4 s apart or as Retry-After says); a webhook that stays down prints a
    /// warning and never changes the exit status. User info and query string are never shown
    /// or stored.
    #[arg(
        help_heading = "Output",
        hide_short_help = true,
        long,
        env = "BATCHIMP_NOTIFY",
        value_name = "URL",
        hide_env_values = true
    )]
    pub notify: Option<String>,

    /// The longest one --notify attempt may take, connecting to reading the answer (e.g. 10s,
    /// 500ms).
    #[arg(help_heading = "Output", hide_short_help = true, long, value_name = "DURATION", default_value = "10s", value_parser = humantime::parse_duration)]
    pub notify_timeout: std::time::Duration,

    /// Trust the certificate authorities in this PEM file (instead of the public ones) for an
    /// https --notify webhook: a webhook behind a private CA.
    #[arg(
        help_heading = "Output",
        hide_short_help = true,
        long,
        env = "BATCHIMP_NOTIFY_CA",
        value_name = "FILE"
    )]
    pub notify_ca: Option<PathBuf>,
}

/// `--archive`: which originals a batch keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ArchiveArg {
    /// NF-e and their events, CFDI and Retenciones.
    Xml,
    /// PDFs and pictures too.
    All,
}

/// Options that change what a batch imports; stored with the batch and reused by resume/retry.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Also import hidden files and folders (names starting with a dot).
    #[arg(help_heading = "Inputs", long)]
    pub hidden: bool,

    /// Also read links whose target is outside the inputs (files read, folders walked). Without
    /// it such a link is recorded as unsupported, naming its target, and not read; links that
    /// stay inside the inputs are always followed.
    #[arg(help_heading = "Inputs", hide_short_help = true, long)]
    pub follow_links: bool,

    /// Import NF-e (and events and summaries naming them) whose access key has a wrong check
    /// digit, flagged chave_valida = 0, and CFDI and Retenciones whose stamp UUID is not
    /// 8-4-4-4-12 hexadecimal digits, flagged uuid_valido = 0.
    #[arg(help_heading = "Inputs", hide_short_help = true, long)]
    pub allow_invalid_keys: bool,

    /// Read catalogs from the workbook sheet with this name (default: the first sheet whose
    /// header names a SKU, a name and a price).
    #[arg(
        help_heading = "Catalogs",
        hide_short_help = true,
        long,
        value_name = "NAME"
    )]
    pub sheet: Option<String>,

    /// The decimal separator of catalogs' numbers written as text (`,` for 1.234,56, `.` for
    /// 1,234.56). By default each file's numeric columns decide from their values.
    #[arg(help_heading = "Catalogs", hide_short_help = true, long, value_name = "SEP", value_parser = parse_separator)]
    pub decimal_separator: Option<char>,

    /// The supplier catalogs belong to, for files without a supplier_id column (a row whose
    /// own supplier_id differs is rejected). Products are keyed by supplier and SKU.
    #[arg(
        help_heading = "Catalogs",
        hide_short_help = true,
        long,
        value_name = "ID"
    )]
    pub supplier: Option<String>,

    /// Map a catalog header to a field, e.g. 'Ref. Fornecedor=sku' (repeatable).
    ///
    /// Map a catalog header batchimp does not know to a field, e.g. 'Ref. Fornecedor=sku'
    /// (repeatable). Fields: sku, name, description, category, unit, price, stock,
    /// supplier_id, sanitary_certificate, lead_time_days. Columns left unmapped are kept in
    /// product.extra.
    #[arg(help_heading = "Catalogs", long = "map", value_name = "HEADER=FIELD", value_parser = parse_mapping)]
    pub map: Vec<(String, String)>,

    /// Catalog fields every row must fill besides sku, name and price, comma-separated (e.g.
    /// sanitary_certificate): a row without one is rejected (catalog_missing_field), a catalog
    /// without such a column fails (catalog_missing_column).
    #[arg(help_heading = "Catalogs", hide_short_help = true, long, value_name = "FIELD,...", value_delimiter = ',', value_parser = parse_field)]
    pub require: Vec<String>,

    /// Which originals to keep, compressed, in the database (the archive `batchimp get` reads):
    /// xml keeps the fiscal XML (NF-e and their events, CFDI, Retenciones); all keeps PDFs and
    /// pictures too. Catalogs are never kept.
    #[arg(help_heading = "Database", hide_short_help = true, long, value_enum, default_value_t = ArchiveArg::Xml, value_name = "WHICH")]
    pub archive: ArchiveArg,

    /// Keep no originals in the database (the imported fields only; `batchimp get` then has
    /// nothing to give back).
    #[arg(
        help_heading = "Database",
        hide_short_help = true,
        long,
        conflicts_with = "archive"
    )]
    pub no_archive: bool,

    /// Largest file or ZIP member to read, uncompressed (e.g. 50MiB, 2GB)
    #[arg(help_heading = "Limits", long, value_name = "SIZE", default_value = "50MiB", value_parser = parse_size)]
    pub max_file_size: u64,

    /// Most bytes one ZIP may inflate to, nested ZIPs included (zip_bomb past it).
    #[arg(help_heading = "Limits", hide_short_help = true, long, value_name = "SIZE", default_value = "16GiB", value_parser = parse_size)]
    pub max_archive_size: u64,

    /// Longest one file may take to read and parse (e.g. 60s, 500ms); slower files fail with
    /// error_type timeout.
    #[arg(help_heading = "Limits", hide_short_help = true, long, value_name = "DURATION", default_value = "60s", value_parser = humantime::parse_duration)]
    pub file_timeout: std::time::Duration,

    /// Retries of a transient error (an interrupted read, a busy database), with exponential
    /// backoff and jitter. Parse errors are never retried.
    #[arg(
        help_heading = "Limits",
        hide_short_help = true,
        long,
        value_name = "N",
        default_value_t = 3
    )]
    pub retries: u32,

    /// When scans and photos are read by OCR: auto, always or never.
    ///
    /// When scans and photos are read for their words by OCR (Tesseract, when installed):
    /// auto reads pages without a text layer and pictures; always reads every page (a PDF's
    /// text layer is then replaced); never reads their codes only.
    #[arg(help_heading = "PDFs and scans", long, value_name = "WHEN", value_enum, default_value_t = OcrArg::Auto)]
    pub ocr: OcrArg,

    /// Tesseract's languages for OCR, `+`-separated (see `tesseract --list-langs`).
    #[arg(help_heading = "PDFs and scans", hide_short_help = true, long, value_name = "LANGS", default_value = "por+spa+eng", value_parser = parse_ocr_lang)]
    pub ocr_lang: String,

    /// A document whose key is stored already with other content: skip, replace or fail.
    ///
    /// What to do with a document whose key is stored already with other content: skip it (a
    /// duplicate; a copy that only adds a missing protocol enriches the stored one), replace the
    /// stored copy, or fail the file (key_conflict). Byte-identical copies are always duplicates.
    #[arg(help_heading = "Database", long, value_name = "POLICY", value_enum, default_value_t = OnConflict::Skip)]
    pub on_conflict: OnConflict,
}

/// `--ocr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OcrArg {
    Auto,
    Always,
    Never,
}

/// Tesseract language names (`por`, `chi_sim`, `script/Latin`) joined by `+`: nothing that
/// could read as one of its options.
fn parse_ocr_lang(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.split('+').all(|l| {
            !l.is_empty()
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '/' | '-'))
                && !l.starts_with('-')
        });
    if ok {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "{s:?} is not a list of Tesseract languages such as por+spa+eng"
        ))
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Files, folders and .zip archives to import.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Finish the latest unfinished batch over these inputs, or start one.
    ///
    /// Finish the latest unfinished batch over the same inputs and options instead of starting
    /// a new one (a new batch when there is none, so cron can always pass it).
    #[arg(help_heading = "Inputs", long)]
    pub resume: bool,

    /// With --resume: re-hash files the ledger already holds and redo those whose bytes changed
    /// (without it, an unchanged size and modification time is taken as unchanged).
    #[arg(
        help_heading = "Inputs",
        hide_short_help = true,
        long,
        requires = "resume"
    )]
    pub verify: bool,

    /// Read every file again, as if new.
    ///
    /// Without it, a new batch leaves alone the files a batch recorded before (imported,
    /// duplicate, failed or unsupported) whose path, size and modification time are unchanged:
    /// they count as `seen`, are not recorded again, and an old failure is not reported again
    /// (`batchimp retry` redoes it).
    #[arg(help_heading = "Inputs", hide_short_help = true, long)]
    pub recheck: bool,

    /// Read and validate everything, write the report, leave the database untouched.
    ///
    /// Walk, detect, parse and validate everything and write the report, but leave the
    /// database untouched: not even a ledger row (an absent SQLite file is not created).
    /// Duplicates are found against a SQLite database's contents; against PostgreSQL, only
    /// within these inputs.
    #[arg(help_heading = "Inputs", long, conflicts_with = "resume")]
    pub dry_run: bool,

    /// Load the inputs together with every other `batchimp run --group NAME` on the same
    /// inputs and PostgreSQL database, on this machine or others: each process takes chunks of
    /// files as it has room, and the database ends as one run would leave it. Join or start
    /// the group NAME; run it again to resume it. PostgreSQL only.
    #[arg(help_heading = "Database", hide_short_help = true, long, value_name = "NAME", conflicts_with_all = ["resume", "dry_run"])]
    pub group: Option<String>,

    /// With --group: how long a member's claim on a chunk lasts without renewal. A member that
    /// dies leaves its chunks to the others this long after.
    #[arg(help_heading = "Database", hide_short_help = true, long, value_name = "DURATION", default_value = "60s", value_parser = humantime::parse_duration, requires = "group")]
    pub lease: std::time::Duration,

    #[command(flatten)]
    pub batch: BatchArgs,

    #[command(flatten)]
    pub exec: ExecArgs,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// Batch id, or "latest".
    #[arg(value_name = "BATCH", required_unless_present = "group")]
    pub batch: Option<String>,

    /// The batch of group NAME (see `run --group`). `resume --group` joins the group as a
    /// member again; `retry --group` redoes the group's failed files in this one process.
    #[arg(long, value_name = "NAME", conflicts_with = "batch")]
    pub group: Option<String>,

    /// Resume only: re-hash files the ledger already holds and redo those whose bytes changed
    /// (without it, an unchanged size and modification time is taken as unchanged).
    #[arg(long)]
    pub verify: bool,

    #[command(flatten)]
    pub exec: ExecArgs,
}

#[derive(Debug, Args)]
pub struct ReparseArgs {
    /// Only originals of these kinds (repeatable, or comma-separated).
    #[arg(long, value_name = "KIND", value_delimiter = ',', value_parser = crate::archive::KINDS)]
    pub kind: Vec<String>,

    #[command(flatten)]
    pub exec: ExecArgs,
}

/// A size as users write it: `1048576`, `512KiB`, `50MiB`, `2GB`, `16G`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("not a size: {s:?} (try 50MiB)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        "t" | "tb" => 1_000_000_000_000,
        "tib" => 1 << 40,
        other => {
            return Err(format!(
                "unknown size unit {other:?} (use KiB, MiB, GiB, KB, MB, GB)"
            ));
        }
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("size too large: {s:?}"))
}

fn parse_mapping(s: &str) -> Result<(String, String), String> {
    let (header, field) = s
        .rsplit_once('=')
        .ok_or_else(|| format!("{s:?}: write HEADER=FIELD, e.g. 'Ref. Fornecedor=sku'"))?;
    catalog::Mapping::new(&[(header.to_owned(), field.to_owned())], &[])?;
    Ok((header.trim().to_owned(), field.trim().to_owned()))
}

fn parse_field(s: &str) -> Result<String, String> {
    catalog::field(s)?;
    Ok(s.trim().to_owned())
}

fn parse_separator(s: &str) -> Result<char, String> {
    match s {
        "," => Ok(','),
        "." => Ok('.'),
        _ => Err(format!("{s:?}: the decimal separator is , or .")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("50MiB"), Ok(50 << 20));
        assert_eq!(parse_size("2GB"), Ok(2_000_000_000));
        assert_eq!(parse_size("123"), Ok(123));
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("MiB").is_err());
    }
}
