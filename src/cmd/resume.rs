//! `batchimp resume` (finish an interrupted batch) and `batchimp retry` (redo its failed files).
//! Both reuse the batch's own inputs, options and working folder, so the files they process are
//! treated exactly as the first run treated the others.

use super::report::resolve_batch;
use super::run::execute;
use crate::cli::ResumeArgs;
use crate::config::{self, BatchOptions, ExecConfig, ReportDest};
use crate::source::{Filter, OriginSet, Recorded};
use anyhow::{Context, Result, bail};
use std::path::PathBuf;

pub fn resume(args: ResumeArgs) -> Result<u8> {
    reprocess(args, false)
}

pub fn retry(args: ResumeArgs) -> Result<u8> {
    reprocess(args, true)
}

fn reprocess(args: ResumeArgs, retry: bool) -> Result<u8> {
    let mut exec = ExecConfig::new(&args.exec)?;
    crate::log::init(&exec.log)?;
    // Inputs are relative to the batch's working folder: resolve the database path before
    // moving there.
    let _lock = exec
        .target
        .lock_writer(exec.no_wait, &|m| eprintln!("{m}"))?;
    let mut sink = exec.target.open()?;
    let batch = match (&args.group, &args.batch) {
        (Some(group), _) => super::report::group_batch(&exec.target, group)?,
        (None, Some(batch)) => resolve_batch(sink.as_mut(), batch)?,
        (None, None) => unreachable!("clap requires BATCH or --group"),
    };
    let mut info = sink
        .ledger()
        .batch(batch)?
        .with_context(|| format!("no batch {batch} in {}", sink.describe()))?;
    if let (Some(group), true) = (&args.group, retry)
        && info.status == crate::ledger::BatchStatus::Running.as_str()
        && super::report::group_report(&exec.target, group)?.finished
    {
        // Every chunk is committed but the member closing the batch was killed first.
        super::run::close_finished_group(&exec, sink.as_mut(), group, batch)?;
        info = sink
            .ledger()
            .batch(batch)?
            .with_context(|| format!("no batch {batch} in {}", sink.describe()))?;
    }
    let options = BatchOptions::from_json(&info.options).with_context(|| {
        format!("batch {batch} was written by another batchimp version; start a new batch")
    })?;
    exec.target = exec.target.absolute()?;
    if let Some(cwd) = &info.cwd {
        std::env::set_current_dir(cwd)
            .with_context(|| format!("batch {batch} ran in {cwd}, which is gone"))?;
    }
    if !exec.report_asked {
        // The batch's report is rewritten where its first run wrote it.
        exec.report = ReportDest::from_column(info.report.as_deref());
    }
    super::run::check_report(&exec)?;
    // A reparse's batch reads the archive again, not a folder.
    let plan = match super::reparse::resumed_plan(&exec, &options, &info.inputs)? {
        Some(plan) => plan,
        None => {
            let inputs: Vec<PathBuf> = info.inputs.iter().map(PathBuf::from).collect();
            config::check_inputs(&inputs)?;
            config::plan(inputs, &options, &exec)?
        }
    };
    if let (Some(group), false) = (&args.group, retry) {
        // A group is resumed by joining it again: the chunks nobody committed are taken.
        let start = crate::ledger::BatchStart {
            inputs: info.inputs.clone(),
            workers: exec.workers,
            options: info.options.clone(),
            report: info.report.clone(),
            token: crate::ledger::BatchStart::token(),
        };
        return super::run::run_group(&exec, &plan, &start, group, crate::group::DEFAULT_LEASE);
    }
    match (retry, info.status.as_str()) {
        (true, "completed") => {}
        (true, status) => {
            bail!("batch {batch} is {status}; resume it before retrying its failures")
        }
        (false, "completed") => {}
        (false, _) if exec.quiet => {}
        (false, status) => eprintln!("batchimp: resuming batch {batch} ({status})"),
    }
    // A complete batch stays complete while it is checked; anything else runs again, reopened
    // before its ledger is read (see `Ledger::reopen_batch`).
    if retry || info.status != "completed" {
        sink.ledger().reopen_batch(batch)?;
    }
    let filter = if retry {
        let failed = sink.ledger().failed_origins(batch)?;
        if failed.is_empty() {
            eprintln!("batchimp: batch {batch} has no failed files");
        }
        Filter::Only(with_archives(&failed))
    } else {
        Filter::Except {
            recorded: sink.ledger().recorded_origins(Some(batch), args.verify)?,
            verify: args.verify,
        }
    };
    execute(&exec, &plan, sink.as_mut(), batch, &filter)
}

/// The origins, plus every archive they sit in (`a.zip!/b.zip` for `a.zip!/b.zip!/c.xml`), so a
/// walk reaches members of nested archives.
fn with_archives(origins: &[String]) -> OriginSet {
    let mut set = OriginSet::default();
    for origin in origins {
        set.insert(origin, Recorded::default());
        let mut at = 0;
        while let Some(i) = origin[at..].find("!/") {
            set.insert(&origin[..at + i], Recorded::default());
            at += i + 2;
        }
    }
    set
}
