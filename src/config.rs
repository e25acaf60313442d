//! Validated, resolved settings: everything that can be wrong with what the user typed is found
//! here, before a batch is opened.

use crate::cli::{BatchArgs, DbArg, ExecArgs};
use crate::format::number::Convention;
use crate::format::{ParseOptions, catalog};
use crate::ledger::OnConflict;
use crate::log::LogConfig;
use crate::notify::{Notifier, Webhook};
use crate::pipeline::Plan;
use crate::sink::Target;
use crate::source::{Limits, OwnFiles, WalkOptions};
use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where the JSON report goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportDest {
    /// `batchimp-report-<database>-<batch>.json` beside the database (see
    /// [`crate::sink::Target::default_report`]).
    Default,
    Stdout,
    File(PathBuf),
    /// `--no-report`.
    None,
}

impl ReportDest {
    /// As the ledger's `batches.report` stores it (`None` for the default path); a file by its
    /// absolute path, so that `resume` finds it from the batch's working folder.
    pub fn to_column(&self) -> Result<Option<String>> {
        Ok(match self {
            ReportDest::Default => None,
            ReportDest::Stdout => Some(crate::ledger::REPORT_STDOUT.to_owned()),
            ReportDest::None => Some(crate::ledger::REPORT_NONE.to_owned()),
            ReportDest::File(p) => Some(std::path::absolute(p)?.display().to_string()),
        })
    }

    /// What the ledger stored, back.
    pub fn from_column(column: Option<&str>) -> ReportDest {
        match column {
            None => ReportDest::Default,
            Some(crate::ledger::REPORT_STDOUT) => ReportDest::Stdout,
            Some(crate::ledger::REPORT_NONE) => ReportDest::None,
            Some(path) => ReportDest::File(PathBuf::from(path)),
        }
    }
}

/// The options that decide what a batch imports, stored with it (as JSON) so that `resume` and
/// `retry` treat the remaining files exactly as the first run treated the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchOptions {
    pub hidden: bool,
    /// Read links leaving the inputs (`--follow-links`); batches recorded before it: false.
    #[serde(default)]
    pub follow_links: bool,
    pub allow_invalid_keys: bool,
    pub max_file_size: u64,
    pub max_archive_size: u64,
    pub file_timeout_ms: u64,
    pub retries: u32,
    /// Absent in batches recorded before the option existed: `skip`, what they did.
    #[serde(default)]
    pub on_conflict: OnConflict,
    /// The workbook sheet catalogs are read from (`--sheet`).
    #[serde(default)]
    pub sheet: Option<String>,
    /// Catalogs' decimal separator (`--decimal-separator`), `,` or `.`.
    #[serde(default)]
    pub decimal_separator: Option<char>,
    /// The supplier catalogs belong to (`--supplier`).
    #[serde(default)]
    pub supplier: Option<String>,
    /// Catalog headers mapped to fields (`--map HEADER=FIELD`).
    #[serde(default)]
    pub map: Vec<(String, String)>,
    /// Catalog fields every row must fill (`--require`).
    #[serde(default)]
    pub require: Vec<String>,
    /// When scans and photos are OCR'd (`--ocr`); batches recorded before it: `auto`.
    #[serde(default)]
    pub ocr: crate::format::pdf::ocr::Mode,
    /// Tesseract's languages (`--ocr-lang`).
    #[serde(default = "default_ocr_lang")]
    pub ocr_lang: String,
    /// Which originals the batch keeps (`--archive`, `--no-archive`); batches recorded
    /// before the archive existed: `off`, what they did.
    #[serde(default)]
    pub archive: crate::archive::Archive,
}

fn default_ocr_lang() -> String {
    crate::format::pdf::scan::DEFAULT_LANG.to_owned()
}

impl BatchOptions {
    pub fn from_args(a: &BatchArgs) -> BatchOptions {
        BatchOptions {
            hidden: a.hidden,
            follow_links: a.follow_links,
            allow_invalid_keys: a.allow_invalid_keys,
            max_file_size: a.max_file_size,
            max_archive_size: a.max_archive_size,
            file_timeout_ms: a.file_timeout.as_millis() as u64,
            retries: a.retries,
            on_conflict: a.on_conflict,
            sheet: a.sheet.clone(),
            decimal_separator: a.decimal_separator,
            supplier: a.supplier.clone(),
            map: a.map.clone(),
            require: a.require.clone(),
            ocr: match a.ocr {
                crate::cli::OcrArg::Auto => crate::format::pdf::ocr::Mode::Auto,
                crate::cli::OcrArg::Always => crate::format::pdf::ocr::Mode::Always,
                crate::cli::OcrArg::Never => crate::format::pdf::ocr::Mode::Never,
            },
            ocr_lang: a.ocr_lang.clone(),
            archive: match (a.no_archive, a.archive) {
                (true, _) => crate::archive::Archive::Off,
                (false, crate::cli::ArchiveArg::Xml) => crate::archive::Archive::Xml,
                (false, crate::cli::ArchiveArg::All) => crate::archive::Archive::All,
            },
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain struct")
    }

    pub fn from_json(s: &str) -> Result<BatchOptions> {
        Ok(serde_json::from_str(s)?)
    }

    /// The first option that changes what lands where `self` and `other` differ: its flag,
    /// `self`'s value and `other`'s. `--retries` does not count (it only decides how hard a
    /// flaky read is tried).
    pub fn first_difference(&self, other: &BatchOptions) -> Option<(String, String, String)> {
        let (serde_json::Value::Object(mine), serde_json::Value::Object(theirs)) = (
            serde_json::to_value(self).expect("plain struct"),
            serde_json::to_value(other).expect("plain struct"),
        ) else {
            unreachable!("a struct serializes to an object")
        };
        let shown = |v: Option<&serde_json::Value>| match v {
            None | Some(serde_json::Value::Null) => "(not given)".to_owned(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
        };
        mine.iter()
            .filter(|(k, _)| k.as_str() != "retries")
            .find(|(k, v)| theirs.get(k.as_str()) != Some(v))
            .map(|(k, v)| {
                let flag = match k.as_str() {
                    "file_timeout_ms" => "--file-timeout (ms)".to_owned(),
                    k => format!("--{}", k.replace('_', "-")),
                };
                (flag, shown(Some(v)), shown(theirs.get(k.as_str())))
            })
    }
}

/// Everything a run, resume or retry needs.
#[derive(Debug, Clone)]
pub struct ExecConfig {
    pub target: Target,
    pub workers: usize,
    pub report: ReportDest,
    /// `--report` or `--no-report` was given: `resume` and `retry` use it rather than the
    /// batch's own.
    pub report_asked: bool,
    /// Draw a progress bar (stderr is a terminal and not `--quiet`).
    pub progress: bool,
    pub no_wait: bool,
    /// Stop taking files after this many failures (`--max-errors`, `--fail-fast`).
    pub max_errors: Option<u64>,
    /// `--fail-fast` (rather than `--max-errors`) set `max_errors`, for saying which stopped it.
    pub fail_fast: bool,
    /// `run --dry-run`: the batch goes into a database in memory.
    pub dry_run: bool,
    pub log: LogConfig,
    /// `-q`: the summary line only when something failed.
    pub quiet: bool,
    /// Where to POST the batch's summary when it ends (`--notify`); `None` for nowhere.
    pub notify: Option<Notifier>,
    /// How long a lost database connection is tried again (`--db-retry-for`).
    pub db_retry_for: Duration,
}

impl ExecConfig {
    pub fn new(a: &ExecArgs) -> Result<ExecConfig> {
        let workers = match a.workers {
            Some(n) => usize::from(n),
            None => std::thread::available_parallelism().map_or(2, |n| n.get()),
        };
        let report = match &a.report {
            None if a.no_report => ReportDest::None,
            None => ReportDest::Default,
            Some(p) if p.as_os_str() == "-" => ReportDest::Stdout,
            Some(p) => ReportDest::File(p.clone()),
        };
        let notify = match &a.notify {
            None => None,
            Some(url) => {
                if a.notify_timeout.is_zero() {
                    bail!("--notify-timeout must be more than 0");
                }
                Some(Notifier {
                    webhook: Webhook::parse(url)?,
                    timeout: a.notify_timeout,
                    roots: a
                        .notify_ca
                        .as_deref()
                        .map(crate::notify::read_roots)
                        .transpose()?,
                })
            }
        };
        Ok(ExecConfig {
            target: target(&a.db)?,
            workers,
            report,
            report_asked: a.report.is_some() || a.no_report,
            progress: !a.quiet && std::io::stderr().is_terminal(),
            no_wait: a.no_wait,
            max_errors: if a.fail_fast { Some(1) } else { a.max_errors },
            fail_fast: a.fail_fast,
            dry_run: false,
            log: LogConfig {
                format: a.log_format,
                file: a.log_file.clone(),
                verbosity: if a.quiet { -1 } else { a.verbose.min(3) as i8 },
            },
            quiet: a.quiet,
            notify,
            db_retry_for: a.db_retry_for,
        })
    }
}

/// The database `--db` names, with `--db-timeout` for PostgreSQL.
pub fn target(a: &DbArg) -> Result<Target> {
    let mut target = Target::parse(&a.db, &a.schema)?;
    if let Target::Postgres(pg) = &mut target {
        pg.settings.round_trip_timeout = Some(a.db_timeout).filter(|d| !d.is_zero());
    }
    Ok(target)
}

/// The pipeline's plan for these inputs under these options.
pub fn plan(inputs: Vec<PathBuf>, opts: &BatchOptions, exec: &ExecConfig) -> Result<Plan> {
    let mapping = catalog::Mapping::new(&opts.map, &opts.require).map_err(anyhow::Error::msg)?;
    Ok(Plan {
        inputs,
        from: crate::pipeline::Inputs::Walk,
        workers: exec.workers,
        max_errors: exec.max_errors,
        walk: WalkOptions {
            hidden: opts.hidden,
            follow_links: opts.follow_links,
            limits: Limits {
                max_file_size: opts.max_file_size,
                max_archive_size: opts.max_archive_size,
                retries: opts.retries,
                ..Limits::default()
            },
            own: Arc::new(own_files(exec)),
        },
        parse: ParseOptions {
            allow_invalid_keys: opts.allow_invalid_keys,
            sheet: opts.sheet.as_deref().map(Arc::from),
            supplier: opts.supplier.as_deref().map(Arc::from),
            decimal: opts.decimal_separator.map(|c| match c {
                ',' => Convention::Comma,
                _ => Convention::Point,
            }),
            mapping: Arc::new(mapping),
            // A hostile PDF may hang or crash its reader: never in this process.
            pdf_reader: crate::format::pdf::Reader::Child,
            ocr: opts.ocr,
            ocr_lang: Arc::from(opts.ocr_lang.as_str()),
            archive: opts.archive,
        },
        file_timeout: Duration::from_millis(opts.file_timeout_ms),
        on_conflict: opts.on_conflict,
        db_retry_for: exec.db_retry_for,
    })
}

/// The files this run writes, which its walk leaves alone: the SQLite database and its
/// companions, the reports (the default ones beside the database too, from earlier runs) and
/// the log file. A dry run writes nothing to the database, but its file is batchimp's all the
/// same.
fn own_files(exec: &ExecConfig) -> OwnFiles {
    let db = match &exec.target {
        Target::Sqlite(path) => Some(path.as_path()),
        Target::Postgres(_) => None,
    };
    let report = match &exec.report {
        ReportDest::File(path) => Some(path.as_path()),
        ReportDest::Default | ReportDest::Stdout | ReportDest::None => None,
    };
    OwnFiles::new(
        db,
        &exec.target.report_dir(),
        report,
        exec.log.file.as_deref(),
    )
}

/// Every input must exist before a batch starts.
pub fn check_inputs(inputs: &[PathBuf]) -> Result<()> {
    for input in inputs {
        if let Err(e) = std::fs::metadata(input) {
            bail!("cannot read input {}: {e}", input.display());
        }
    }
    Ok(())
}
