//! `batchimp reparse`: the archived originals read again with this version's parsers, their
//! documents' rows rewritten in place, as a batch of its own. The batch is an ordinary one
//! (`list`, `report`, `resume`, `retry` work on it): only its files come from the database's
//! `originals` table instead of a walk, and its documents meet their stored copies under
//! [`OnConflict::Reparse`].

use super::EXIT_OK;
use super::run::execute;
use crate::archive::{self, Archive};
use crate::cli::ReparseArgs;
use crate::config::{self, BatchOptions, ExecConfig};
use crate::ledger::BatchStart;
use crate::ledger::OnConflict;
use crate::pipeline::{Inputs, Plan};
use crate::sink;
use crate::sink::originals::Reader;
use crate::source::{Archived, Filter, Limits};
use anyhow::{Result, bail};

pub fn reparse(args: ReparseArgs) -> Result<u8> {
    let exec = ExecConfig::new(&args.exec)?;
    crate::log::init(&exec.log)?;
    let mut kinds: Vec<&'static str> = args.kind.iter().map(|k| archive::kind(k)).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let _lock = exec
        .target
        .lock_writer(exec.no_wait, &|m| eprintln!("{m}"))?;
    let mut sink = exec.target.open_existing()?;
    super::run::check_report(&exec)?;
    refuse_missing(&exec, &kinds)?;
    let options = options();
    let plan = plan(&exec, &options, kinds.clone())?;
    let Inputs::Archive(archived) = &plan.from else {
        unreachable!("a reparse reads the archive")
    };
    if archived.total == 0 {
        eprintln!(
            "batchimp: no originals to read again in {}",
            sink.describe()
        );
        return Ok(EXIT_OK);
    }
    let start = BatchStart {
        inputs: vec![format!("{}{}", archive::ORIGIN_PREFIX, kinds.join(","))],
        workers: exec.workers,
        options: options.to_json(),
        report: exec.report.to_column()?,
        token: BatchStart::token(),
    };
    let batch = sink::retrying(sink.as_mut(), plan.db_retry(), "start a batch", |s| {
        s.ledger().start_batch(&start)
    })?;
    execute(&exec, &plan, sink.as_mut(), batch, &Filter::All)
}

/// Refuse (one line, exit 2) when imported files of the chosen kinds have no original: their
/// documents could not be read again, and a reparse that skipped them would look complete.
/// Without `--kind`, the fiscal kinds kept by default are checked (PDFs and pictures are
/// kept only with `--archive all`: those not kept are not missing).
fn refuse_missing(exec: &ExecConfig, kinds: &[&'static str]) -> Result<()> {
    let checked: Vec<&'static str> = if kinds.is_empty() {
        archive::KINDS
            .into_iter()
            .filter(|k| Archive::Xml.keeps(k))
            .collect()
    } else {
        kinds.to_vec()
    };
    let (missing, files) = Reader::open(&exec.target)?.missing(&checked)?;
    if missing > 0 {
        bail!(
            "cannot reparse: {missing} of {files} imported files ({}) have no original in the database (imported with --no-archive, or before batchimp kept originals); nothing was read again (--kind narrows what is read)",
            checked.join(", "),
        );
    }
    Ok(())
}

/// What a reparse's files are read with: every original was imported once, so nothing
/// about it is refused again — no size limit, and keys with a wrong check digit are read
/// (flagged, as `--allow-invalid-keys` does: an original holding one was imported with it).
/// Nothing is compressed again: the originals are stored already.
fn options() -> BatchOptions {
    BatchOptions {
        hidden: false,
        follow_links: false,
        allow_invalid_keys: true,
        max_file_size: u64::MAX,
        max_archive_size: u64::MAX,
        // `run`'s default --file-timeout.
        file_timeout_ms: 60_000,
        retries: Limits::default().retries,
        on_conflict: OnConflict::Reparse,
        sheet: None,
        decimal_separator: None,
        supplier: None,
        map: Vec::new(),
        require: Vec::new(),
        ocr: Default::default(),
        ocr_lang: crate::format::pdf::scan::DEFAULT_LANG.to_owned(),
        archive: Archive::Off,
    }
}

/// The pipeline's plan for reading the originals of `kinds` (every kind when empty) again.
fn plan(exec: &ExecConfig, options: &BatchOptions, kinds: Vec<&'static str>) -> Result<Plan> {
    let total = Reader::open(&exec.target)?.count(&kinds)?;
    let mut plan = config::plan(Vec::new(), options, exec)?;
    plan.from = Inputs::Archive(Archived {
        target: exec.target.clone(),
        kinds,
        total,
    });
    Ok(plan)
}

/// `resume` and `retry` of a reparse batch (its options say so): the plan that reads the
/// archive again, its kinds from the batch's input (`archive:nfe,cfdi`). `None` for any
/// other batch.
pub fn resumed_plan(
    exec: &ExecConfig,
    options: &BatchOptions,
    inputs: &[String],
) -> Result<Option<Plan>> {
    if options.on_conflict != OnConflict::Reparse {
        return Ok(None);
    }
    let kinds = inputs
        .iter()
        .filter_map(|i| i.strip_prefix(archive::ORIGIN_PREFIX))
        .flat_map(|k| k.split(','))
        .filter(|k| !k.is_empty())
        .map(archive::kind)
        .collect();
    plan(exec, options, kinds).map(Some)
}
