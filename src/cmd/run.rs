//! `batchimp run`: one batch over the given inputs, then its report.

use super::{EXIT_FILES_FAILED, EXIT_OK};
use crate::cli::RunArgs;
use crate::config::{ReportDest, RunConfig};
use crate::ledger::BatchStatus;
use crate::pipeline;
use crate::progress::Progress;
use crate::report;
use crate::sink::{BatchStart, Sink, Target};
use anyhow::{Context, Result};
use std::io::Write;
use std::path::PathBuf;

pub fn run(args: RunArgs) -> Result<u8> {
    let cfg = RunConfig::new(args)?;
    let mut sink = cfg.target.open()?;
    let start = BatchStart {
        inputs: cfg
            .plan
            .inputs
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        workers: cfg.plan.workers,
        options: cfg.options_json(),
    };
    let batch = sink.start_batch(&start)?;
    let progress = Progress::new(cfg.progress);
    let result = pipeline::run(&cfg.plan, sink.as_mut(), batch, &progress);
    progress.finish();
    let status = if result.is_ok() {
        BatchStatus::Completed
    } else {
        BatchStatus::Failed
    };
    sink.finish_batch(batch, status)?;
    let info = sink
        .batch(batch)?
        .context("the batch vanished from the ledger")?;

    let report_path = write_report(&cfg, sink.as_mut(), &info)?;
    let seconds = info.processing_time_seconds.unwrap_or(0.0);
    let rate = if seconds > 0.0 {
        info.files as f64 / seconds
    } else {
        0.0
    };
    let mut line = format!(
        "batchimp: batch {batch} {}: {} files, {} imported, {} duplicate, {} failed, {} unsupported in {seconds:.2} s ({rate:.0} files/s)",
        info.status, info.files, info.imported, info.duplicate, info.failed, info.unsupported
    );
    if let Some(path) = report_path {
        line.push_str(&format!("; report: {}", path.display()));
    }
    eprintln!("{line}");

    result.with_context(|| {
        format!("batch {batch} stopped; files committed so far are in the ledger (batchimp report {batch})")
    })?;
    Ok(if info.failed > 0 {
        EXIT_FILES_FAILED
    } else {
        EXIT_OK
    })
}

/// Write the JSON report where the user asked; the path written, `None` for stdout.
fn write_report(
    cfg: &RunConfig,
    sink: &mut dyn Sink,
    info: &report::BatchInfo,
) -> Result<Option<PathBuf>> {
    let path = match &cfg.report {
        ReportDest::Stdout => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            report::write_json(&mut out, sink, info)?;
            out.flush()?;
            return Ok(None);
        }
        ReportDest::File(p) => p.clone(),
        ReportDest::Default => {
            let Target::Sqlite(db) = &cfg.target;
            let dir = db.parent().map(PathBuf::from).unwrap_or_default();
            dir.join(format!("batchimp-report-{}.json", info.batch_id))
        }
    };
    let file = std::fs::File::create(&path)
        .with_context(|| format!("cannot write report {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    report::write_json(&mut out, sink, info)
        .with_context(|| format!("cannot write report {}", path.display()))?;
    Ok(Some(path))
}
