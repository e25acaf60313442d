//! What the user typed, as clap types. Nothing below `config` sees these: they are validated and
//! resolved there first, so no thread fails on user input once work starts.

use crate::time::When;
use clap::{Args, CommandFactory, Parser, Subcommand};
use std::path::PathBuf;

mod batch;
mod reading;
mod values;

pub use batch::{
    ArchiveArg, BatchArgs, ExecArgs, OcrArg, ReparseArgs, ResumeArgs, RunArgs, parse_size,
};
pub use reading::{ExportArgs, GetArgs, ListArgs, ReportArgs, StatsArgs};

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
Some files failed (or catalog rows or SAT metadata lines were rejected); everything else is
committed and the report names the failures.
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
