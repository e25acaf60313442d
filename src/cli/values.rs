//! The values of options whose types live below `cli` (the ledger's, the logs'): clap learns
//! them here, with the help `--help` shows for each, so no clap type reaches those rooms.

use crate::ledger::{BatchStatus, OnConflict};
use crate::log::LogFormat;
use clap::ValueEnum;
use clap::builder::PossibleValue;

/// A value and its help, as `--help` lists it.
fn value(name: &'static str, help: &'static str) -> Option<PossibleValue> {
    Some(PossibleValue::new(name).help(help))
}

impl ValueEnum for OnConflict {
    fn value_variants<'a>() -> &'a [Self] {
        &[OnConflict::Skip, OnConflict::Replace, OnConflict::Fail]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        match self {
            OnConflict::Skip => value(
                "skip",
                "Keep the stored copy; the file is a `duplicate` (`different`). A copy that only \
                 adds what the stored one lacks (the protocol of an NF-e first seen unsigned) \
                 enriches it",
            ),
            OnConflict::Replace => value(
                "replace",
                "The new copy replaces the stored one, rows of every table included",
            ),
            OnConflict::Fail => value(
                "fail",
                "The file fails with `key_conflict` and writes nothing (enriching still applies)",
            ),
            // `batchimp reparse`'s own: not an option of `run`.
            OnConflict::Reparse => None,
        }
    }
}

impl ValueEnum for BatchStatus {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            BatchStatus::Running,
            BatchStatus::Completed,
            BatchStatus::Failed,
            BatchStatus::Cancelled,
            BatchStatus::Stopped,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let help = match self {
            BatchStatus::Running => {
                "Still importing, or stopped without a trace (killed): `batchimp resume` finishes it"
            }
            BatchStatus::Completed => "Every file accounted for",
            BatchStatus::Failed => "A fatal error (the database) stopped it",
            BatchStatus::Cancelled => "Interrupted by the user (Ctrl-C)",
            BatchStatus::Stopped => {
                "Stopped taking files at `--max-errors` failures; `resume` finishes it"
            }
        };
        value(self.as_str(), help)
    }
}

impl ValueEnum for LogFormat {
    fn value_variants<'a>() -> &'a [Self] {
        &[LogFormat::Text, LogFormat::Json]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        match self {
            LogFormat::Text => value("text", "`batchimp: ...` lines, for people"),
            LogFormat::Json => value("json", "One JSON object per line, for log collectors"),
        }
    }
}
