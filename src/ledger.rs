//! The ledger's vocabulary: what happened to each file ([`Status`]), to each batch
//! ([`BatchStatus`]), and the records that move between the pipeline, the sinks and the report.
//! The ledger itself lives in the same database as the data (see `sink/`), so a file's rows and
//! its ledger row commit together.

use crate::error::FileError;
use crate::format::Doc;
use serde::Serialize;
use std::time::Duration;

/// What happened to one file. Stored as snake_case text; a public interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Its documents are now in the database.
    Imported,
    /// Every document in it was already imported (in this batch or an earlier one).
    Duplicate,
    /// It could not be imported; `error_type` says why.
    Failed,
    /// Not a kind batchimp imports (a PDF today, a spreadsheet...). Not a failure.
    Unsupported,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Imported,
        Status::Duplicate,
        Status::Failed,
        Status::Unsupported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Imported => "imported",
            Status::Duplicate => "duplicate",
            Status::Failed => "failed",
            Status::Unsupported => "unsupported",
        }
    }
}

/// What happens to a document whose key is already in the database with other content.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum OnConflict {
    /// Keep the stored copy; the file is a `duplicate` (`different`). A copy that only adds
    /// what the stored one lacks (the protocol of an NF-e first seen unsigned) enriches it.
    #[default]
    Skip,
    /// The new copy replaces the stored one, rows of every table included.
    Replace,
    /// The file fails with `key_conflict` and writes nothing (enriching still applies).
    Fail,
}

/// How a file's document met the copy already stored, when it was not simply new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// The stored copy lacked what this one has (a protocol), and now has it.
    Enriched,
    /// This copy replaced the stored one (`--on-conflict replace`).
    Replaced,
}

impl Conflict {
    pub fn as_str(self) -> &'static str {
        match self {
            Conflict::Enriched => "enriched",
            Conflict::Replaced => "replaced",
        }
    }
}

/// A batch's life: `running` until it ends `completed` (every file accounted for), `failed` (a
/// fatal error stopped it) or `cancelled` (interrupted by the user).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchStatus {
    Running,
    Completed,
    Failed,
    Cancelled,
}

impl BatchStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Running => "running",
            BatchStatus::Completed => "completed",
            BatchStatus::Failed => "failed",
            BatchStatus::Cancelled => "cancelled",
        }
    }
}

/// Counts of files by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub imported: u64,
    pub duplicate: u64,
    pub failed: u64,
    pub unsupported: u64,
}

impl Counts {
    pub fn add(&mut self, status: Status) {
        *self.get_mut(status) += 1;
    }

    pub fn get_mut(&mut self, status: Status) -> &mut u64 {
        match status {
            Status::Imported => &mut self.imported,
            Status::Duplicate => &mut self.duplicate,
            Status::Failed => &mut self.failed,
            Status::Unsupported => &mut self.unsupported,
        }
    }

    pub fn files(&self) -> u64 {
        self.imported + self.duplicate + self.failed + self.unsupported
    }

    /// Add another count to this one.
    pub fn merge(&mut self, other: &Counts) {
        for s in Status::ALL {
            *self.get_mut(s) += other.get(s);
        }
    }

    /// The count of one status.
    pub fn get(&self, status: Status) -> u64 {
        match status {
            Status::Imported => self.imported,
            Status::Duplicate => self.duplicate,
            Status::Failed => self.failed,
            Status::Unsupported => self.unsupported,
        }
    }
}

/// What the parse pool hands the writer for one file.
#[derive(Debug)]
pub struct Processed {
    pub origin: String,
    pub size: u64,
    /// Hex SHA-256 of the bytes; `None` when they could not be read.
    pub sha256: Option<String>,
    /// `nfe`, or a generic kind (`xml`, `pdf`, `unknown`) for files no format claims; `None`
    /// when there was nothing to look at (unreadable or empty).
    pub kind: Option<&'static str>,
    pub outcome: Outcome,
    /// Transient errors overcome by retrying.
    pub retries: u32,
    /// Modification time (ns since the epoch) of a file on disk; `None` for ZIP members.
    pub mtime: Option<i64>,
    /// Time spent reading and parsing.
    pub duration: Duration,
}

/// A parsed file's content, or why there is none.
#[derive(Debug)]
pub enum Outcome {
    Docs(Vec<Doc>),
    /// A product catalog, streamed into the database by the writer (see `format::catalog`).
    Catalog(crate::format::catalog::Load),
    Unsupported,
    Failed(FileError),
}
