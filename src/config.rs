//! Validated, resolved settings for a run: everything that can be wrong with what the user typed
//! is found here, before a batch is opened.

use crate::cli::RunArgs;
use crate::format::ParseOptions;
use crate::pipeline::Plan;
use crate::sink::Target;
use crate::source::WalkOptions;
use anyhow::{Result, bail};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Where the JSON report goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportDest {
    /// `batchimp-report-<batch>.json` beside the database.
    Default,
    Stdout,
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct RunConfig {
    pub plan: Plan,
    pub target: Target,
    pub report: ReportDest,
    /// Draw a progress bar (stderr is a terminal and not `--quiet`).
    pub progress: bool,
}

impl RunConfig {
    pub fn new(args: RunArgs) -> Result<RunConfig> {
        for input in &args.inputs {
            if let Err(e) = std::fs::metadata(input) {
                bail!("cannot read input {}: {e}", input.display());
            }
        }
        let workers = match args.workers {
            Some(n) => usize::from(n),
            None => std::thread::available_parallelism().map_or(2, |n| n.get()),
        };
        let report = match args.report {
            None => ReportDest::Default,
            Some(p) if p.as_os_str() == "-" => ReportDest::Stdout,
            Some(p) => ReportDest::File(p),
        };
        Ok(RunConfig {
            plan: Plan {
                inputs: args.inputs,
                workers,
                walk: WalkOptions {
                    hidden: args.hidden,
                },
                parse: ParseOptions {
                    allow_invalid_keys: args.allow_invalid_keys,
                },
            },
            target: Target::parse(&args.db.db)?,
            report,
            progress: !args.quiet && std::io::stderr().is_terminal(),
        })
    }

    /// The options that change results, as stored with the batch.
    pub fn options_json(&self) -> String {
        serde_json::json!({
            "allow_invalid_keys": self.plan.parse.allow_invalid_keys,
            "hidden": self.plan.walk.hidden,
        })
        .to_string()
    }
}
