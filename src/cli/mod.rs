//! What the user typed, as clap types. Nothing below `config` sees these: they are validated and
//! resolved there first, so no thread fails on user input once work starts.

use crate::format::catalog;
use crate::ledger::{BatchStatus, OnConflict};
use crate::log::LogFormat;
use crate::time::When;
use clap::{Args, CommandFactory, Parser, Subcommand};
use std::path::PathBuf;

mod values;

/// `batchimp --version`: the version and the git commit it was built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("BATCHIMP_COMMIT"),
    ")"
);

/// The examples under `run -h` and `run --help`.
const RUN_EXAMPLES: &str = "\
Examples:
  batchimp run inbox/                                  a folder, its ZIPs included
  batchimp run inbox/ -q --resume --log-file run.log   from cron
  batchimp run precos.csv --map 'Ref. Fornecedor=sku'  a catalog with its own SKU header

More options with --help; the manual: batchimp man run | man -l -";

/// Load folders and ZIPs of fiscal documents (Brazilian NF-e/NFC-e and their events, Mexican
/// CFDI) and product catalogs into a database, accounting for every file: imported, duplicate,
/// failed with a typed reason, or unsupported.
#[derive(Debug, Parser)]
#[command(
    name = "batchimp",
    version = VERSION,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Color: auto, always or never.
    ///
    /// Color in help, errors and log lines: auto (on a terminal, unless NO_COLOR is set),
    /// always or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,

    /// Defaults for run's options from this TOML file instead of ./batchimp.toml.
    ///
    /// Defaults for run's options from this TOML file instead of ./batchimp.toml (see
    /// `batchimp config`). A flag or environment variable still wins over the file.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import files, folders and ZIP archives as one batch.
    ///
    /// Folders are walked recursively, ZIPs (nested ones too) are read in place, and each file's
    /// kind is detected from its content. Exit status: 0 when no file failed, 1 when some files
    /// failed (everything else is committed), 2 on a usage or fatal error, 130 when interrupted.
    #[command(after_help = RUN_EXAMPLES, after_long_help = RUN_EXAMPLES)]
    Run(RunArgs),
    /// Finish an interrupted batch: files already committed are skipped, the rest imported.
    Resume(ResumeArgs),
    /// Reprocess only the failed files of a batch (after a fix or a schema change).
    Retry(ResumeArgs),
    /// Show what happened to every file of a batch.
    Report(ReportArgs),
    /// List batches, newest first: `list --status failed --since 7d --limit 20`.
    List(ListArgs),
    /// Totals across batches: files by kind, status and error type, files/s per batch, and the
    /// most frequent failures with an example file each.
    Stats(StatsArgs),
    /// Remove old batches from the ledger (`batches`, their `files` and `rejected_rows`),
    /// never imported data: `prune --older-than 30d`.
    ///
    /// Documents keep their rows and keep deduplicating by key. A `running` batch is never
    /// pruned, nor the newest batch (nor the one last written to), whose ids SQLite would
    /// otherwise hand out again. A pruned catalog's bytes no longer count as imported before:
    /// imported again, its rows come out `unchanged`.
    Prune(PruneArgs),
    /// Show every option of run, its value and where it comes from: a flag, an environment
    /// variable, the config file (batchimp.toml, or --config FILE) or the built-in default.
    ///
    /// Takes run's options too, to see what a command line would do: `batchimp config -j 8`.
    /// A database URL's password is never shown.
    Config(ConfigArgs),
    /// Print a ready-to-fill file that batchimp imports: `template catalog > produtos.csv`.
    #[command(subcommand)]
    Template(TemplateArgs),
    /// Write an archived original, byte for byte, to a file or stdout:
    /// `get 35240612345678000190550010000012341000012345 -o nfe.xml`.
    ///
    /// Takes an NF-e access key, a CFDI or Retenciones UUID, or the file's SHA-256. The bytes
    /// are checked against their SHA-256 on the way out. A key with several originals stored
    /// (a resend with other bytes) lists them, one SHA-256 a line, and exits 2: pass the one
    /// wanted.
    Get(GetArgs),
    /// Write a ZIP of archived originals, chosen by kind, batch and start time, what an
    /// accountant sends an auditor: `export --kind nfe --since 2026-01-01 -o 2026.zip`.
    ///
    /// Each original once, named by its document key (`KEY.xml`; a resend of a key stored
    /// already gets `KEY-SHA.xml`, an original without a key its SHA-256), with `manifest.csv`
    /// last: name, sha256, kind, size, key and where it came from. Streamed: memory stays flat
    /// however many there are.
    Export(ExportArgs),
    /// Read the archived originals again with this version's parsers and rewrite their
    /// documents' rows in place (new columns filled, corrected values), without the source
    /// files: `reparse --kind nfe`.
    ///
    /// A batch of its own (input `archive:`), each original a file named `archive:<sha256>`
    /// in the ledger and the report; `resume` finishes one that was cut short. A document
    /// stored from other bytes (a resend) is left as it is. Refuses, saying how many, when
    /// some imported files have no original (imported with --no-archive, or before batchimp
    /// kept originals): narrow it with --kind. Running it twice changes nothing.
    Reparse(ReparseArgs),
    /// Print the man page, generated from these options: `batchimp man > batchimp.1`, and a
    /// subcommand's: `batchimp man run > batchimp-run.1`.
    Man {
        /// The subcommand whose page to print (run, report, ...); batchimp's own by default.
        #[arg(value_name = "SUBCOMMAND")]
        subcommand: Option<String>,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    /// What `--color` says in `argv`, read before clap parses it (clap's own messages are
    /// colored by then); `NO_COLOR` turns `auto` off.
    pub fn from_argv(argv: &[std::ffi::OsString]) -> ColorWhen {
        let mut when = ColorWhen::Auto;
        let mut args = argv.iter().filter_map(|a| a.to_str());
        while let Some(a) = args.next() {
            let value = match a.strip_prefix("--color") {
                Some("") => args.next(),
                Some(v) => v.strip_prefix('='),
                None => None,
            };
            when = match value {
                Some("always") => ColorWhen::Always,
                Some("never") => ColorWhen::Never,
                Some(_) => ColorWhen::Auto,
                None => when,
            };
        }
        when
    }

    /// Whether to color what goes to stderr.
    pub fn stderr(self) -> bool {
        use std::io::IsTerminal;
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stderr().is_terminal()
            }
        }
    }

    pub fn clap(self) -> clap::ColorChoice {
        // clap's `auto` looks at the terminal and NO_COLOR itself.
        match self {
            ColorWhen::Auto => clap::ColorChoice::Auto,
            ColorWhen::Always => clap::ColorChoice::Always,
            ColorWhen::Never => clap::ColorChoice::Never,
        }
    }
}

#[derive(Debug, Args)]
pub struct DbArg {
    /// The database: a SQLite file (created on first use) or a PostgreSQL URL.
    ///
    /// A SQLite file path (or sqlite://PATH), created on first use, or a PostgreSQL URL, postgres://USER@HOST:PORT/DBNAME?sslmode=require (what it leaves out
    /// comes from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE and ~/.pgpass).
    #[arg(
        help_heading = "Database",
        long,
        env = "BATCHIMP_DB",
        default_value = "batchimp.db",
        value_name = "PATH|URL",
        hide_env_values = true
    )]
    pub db: String,

    /// PostgreSQL only: the schema batchimp's tables live in, created when missing.
    #[arg(
        help_heading = "Database",
        long,
        env = "BATCHIMP_SCHEMA",
        default_value = "batchimp",
        value_name = "NAME",
        hide_env_values = true
    )]
    pub schema: String,

    /// PostgreSQL only: the longest wait for the server to answer one request once connected
    /// (e.g. 10m, 30s; 0 for no limit). A server that stops answering is then a lost
    /// connection (see --db-retry-for) instead of a run that hangs. Connecting has its own
    /// limit: the URL's connect_timeout (default 10 s).
    #[arg(
        help_heading = "Database",
        hide_short_help = true,
        long,
        env = "BATCHIMP_DB_TIMEOUT",
        default_value = "10m",
        value_name = "DURATION",
        value_parser = humantime::parse_duration
    )]
    pub db_timeout: std::time::Duration,
}

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
pub struct ReparseArgs {
    /// Only originals of these kinds (repeatable, or comma-separated).
    #[arg(long, value_name = "KIND", value_delimiter = ',', value_parser = crate::archive::KINDS)]
    pub kind: Vec<String>,

    #[command(flatten)]
    pub exec: ExecArgs,
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

/// `batchimp config`: its own flag; run's options are added by [`command`].
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Print the options as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    #[command(flatten)]
    pub db: DbArg,

    /// Prune batches that ended more than this long ago (30d, 12h), or before a date or an
    /// RFC 3339 time (2026-01-01, UTC).
    #[arg(long, required = true, value_name = "AGE", value_parser = When::parse)]
    pub older_than: When,

    /// Keep batches that have a failed file, or whose status is failed (to retry them).
    #[arg(long)]
    pub keep_failed: bool,

    /// Count what would be pruned, remove nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Print what was pruned as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// The whole command line: the derived one, with every option of `run` (not its inputs) given
/// to `config` as well, so that `batchimp config --workers 8` shows what `run` would do. Added
/// here rather than by hand so that an option added to `run` needs nothing more.
pub fn command() -> clap::Command {
    // `--verify` is resume's: retry reads the failed files again whatever their stat says.
    let mut cmd = Cli::command().mut_subcommand("retry", |c| c.mut_arg("verify", |a| a.hide(true)));
    // `--config` (global) is read by the commands that take run's options or a database;
    // these ignore it, so their help does not offer it. A hidden one of their own stops clap
    // from copying the global one there, and still accepts it (a wrapper passing it to every
    // command keeps working).
    for ignores in ["man", "completions", "template"] {
        cmd = cmd.mut_subcommand(ignores, |c| {
            c.arg(
                clap::Arg::new("config")
                    .long("config")
                    .value_name("FILE")
                    .value_parser(clap::value_parser!(PathBuf))
                    .hide(true),
            )
        });
    }
    let run = cmd.find_subcommand("run").expect("run is a subcommand");
    let config = cmd
        .find_subcommand("config")
        .expect("config is a subcommand");
    let options: Vec<clap::Arg> = run
        .get_arguments()
        .filter(|a| !a.is_positional())
        .filter(|a| config.get_arguments().all(|c| c.get_id() != a.get_id()))
        .cloned()
        .collect();
    cmd.mut_subcommand("config", |c| c.args(options))
}

/// The man page sections clap does not write: EXAMPLES (for `subcommand`, or batchimp's own
/// page when `None`), EXIT STATUS, ENVIRONMENT and FILES, as roff appended to clap_mangen's.
pub fn man_sections(subcommand: Option<&str>) -> String {
    let examples: &[(&str, &str)] = match subcommand {
        Some("run") | None => &[
            (
                "batchimp run inbox/",
                "Import a folder (walked recursively), its ZIPs included.",
            ),
            (
                "batchimp run inbox/ -q --resume --log-file /var/log/batchimp.log",
                "From cron: silent unless something failed; an interrupted run is finished.",
            ),
            (
                "batchimp run precos.csv --map 'Ref. Fornecedor=sku'",
                "A catalog whose SKU column has a name batchimp does not know.",
            ),
            (
                "batchimp run inbox/ --db postgres://batchimp@db/erp",
                "Into PostgreSQL instead of the SQLite file batchimp.db.",
            ),
        ],
        Some("resume") => &[(
            "batchimp resume latest",
            "Finish the last interrupted batch.",
        )],
        Some("retry") => &[("batchimp retry 7", "Read batch 7's failed files again.")],
        Some("report") => &[
            (
                "batchimp report",
                "What happened to every file of the last batch.",
            ),
            (
                "batchimp report 7 --html report.html",
                "Batch 7 as a web page.",
            ),
        ],
        Some("list") => &[(
            "batchimp list --status failed --since 7d",
            "Batches a fatal error stopped in the last week.",
        )],
        Some("prune") => &[(
            "batchimp prune --older-than 90d --keep-failed",
            "Forget batches older than 90 days, keeping those with failures.",
        )],
        Some(_) => &[("batchimp --help", "Every command.")],
    };
    let mut roff = String::from(".SH EXAMPLES\n");
    for (command, what) in examples {
        // roff: a `-` in an option is `\-` (a hyphen, not a dash, when copied).
        let command = command.replace('-', "\\-");
        roff.push_str(&format!(".TP\n.B {command}\n{what}\n"));
    }
    roff.push_str(
        r".SH EXIT STATUS
.TP
.B 0
Every file imported, or a duplicate or unsupported by policy.
.TP
.B 1
Some files failed (or catalog rows were rejected); everything else is committed and the
report names the failures.
.TP
.B 2
A usage error or a fatal error (the database, an unwritable report).
.TP
.B 130
Interrupted (Ctrl\-C): what was done is committed; batchimp resume finishes the batch.
.SH ENVIRONMENT
.TP
.B BATCHIMP_DB, BATCHIMP_SCHEMA
The database and PostgreSQL schema (\-\-db, \-\-schema).
.TP
.B BATCHIMP_NOTIFY, BATCHIMP_NOTIFY_CA
The webhook and its certificate authorities (\-\-notify, \-\-notify\-ca).
.TP
.B PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE
What a PostgreSQL URL leaves out.
.TP
.B NO_COLOR
No color on a terminal (\-\-color always still colors).
.SH FILES
.TP
.B ./batchimp.toml
Defaults for run's options (\-\-config FILE names another); see batchimp config.
.TP
.B ./batchimp.db
The default SQLite database, with its \-wal, \-shm and .lock files beside it.
.TP
.B batchimp\-report\-N.json
Batch N's JSON report, beside the database (in the working folder for PostgreSQL).
",
    );
    roff
}

/// The language of a template's headers, sheet and example row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Portuguese (Brazil): codigo, nome, preco...
    Pt,
    /// Spanish (Mexico): codigo, nombre, precio...
    Es,
    /// English: the `product` table's column names.
    En,
}

#[derive(Debug, Subcommand)]
pub enum TemplateArgs {
    /// A product catalog: a header naming every column batchimp reads, in your language, and
    /// one example row to overwrite.
    ///
    /// CSV by default (UTF-8, comma-separated, prices written 12.50); with --xlsx an Excel
    /// workbook whose cells are typed (codes as text, prices as numbers), to redirect to a file:
    /// `batchimp template catalog --xlsx > produtos.xlsx`.
    Catalog(CatalogTemplateArgs),
}

#[derive(Debug, Args)]
pub struct CatalogTemplateArgs {
    /// Write an Excel workbook (.xlsx) instead of CSV; stdout must be a file or a pipe.
    #[arg(long)]
    pub xlsx: bool,

    /// The language of the headers and the example row [default: from the locale, LC_ALL,
    /// LC_MESSAGES or LANG: pt* is pt, es* is es, anything else en].
    #[arg(long, value_enum, value_name = "LANG")]
    pub lang: Option<Lang>,
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
