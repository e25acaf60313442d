//! What the user typed, as clap types. Nothing below `config` sees these: they are validated and
//! resolved there first, so no thread fails on user input once work starts.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Load folders and ZIPs of fiscal documents (Brazilian NF-e/NFC-e today) into a database,
/// accounting for every file: imported, duplicate, failed with a typed reason, or unsupported.
#[derive(Debug, Parser)]
#[command(
    name = "batchimp",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import files, folders and ZIP archives as one batch.
    ///
    /// Folders are walked recursively, ZIPs (nested ones too) are read in place, and each file's
    /// kind is detected from its content. Exit status: 0 when no file failed, 1 when some files
    /// failed (everything else is committed), 2 on a usage or fatal error.
    Run(RunArgs),
    /// Show what happened to every file of a batch.
    Report(ReportArgs),
    /// List batches, newest first.
    List(ListArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct DbArg {
    /// The database: a SQLite file path (or sqlite://PATH), created on first use.
    #[arg(
        long,
        env = "BATCHIMP_DB",
        default_value = "batchimp.db",
        value_name = "PATH"
    )]
    pub db: String,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Files, folders and .zip archives to import.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    #[command(flatten)]
    pub db: DbArg,

    /// Parser threads [default: the number of CPU cores].
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=512))]
    pub workers: Option<u16>,

    /// Also import hidden files and folders (names starting with a dot).
    #[arg(long)]
    pub hidden: bool,

    /// Import NF-e whose access key has a wrong check digit, flagged chave_valida = 0.
    #[arg(long)]
    pub allow_invalid_keys: bool,

    /// Where to write the JSON report; "-" for stdout [default: batchimp-report-<batch>.json next
    /// to the database].
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// No progress bar; only the one-line summary at the end.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Batch id, or "latest".
    #[arg(default_value = "latest", value_name = "BATCH")]
    pub batch: String,

    #[command(flatten)]
    pub db: DbArg,

    /// Print the full JSON report instead of the summary.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub db: DbArg,

    /// Print the batches as JSON.
    #[arg(long)]
    pub json: bool,
}
