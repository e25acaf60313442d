//! Databases batchimp writes to, behind one trait. A sink owns the data tables and the ledger
//! (`batches`, `files`) in the same database, so one transaction covers a file's rows and its
//! ledger row: a file is either imported and recorded, or neither.
//!
//! Only the writer thread touches a sink; it is not shared.

pub mod sqlite;

use crate::ledger::{BatchStatus, Processed, Status};
use crate::report::{BatchInfo, FileEntry, Totals};
use anyhow::{Result, bail};
use std::path::PathBuf;

/// What a batch was started with, stored so reports (and resumes) can show it.
#[derive(Debug, Clone)]
pub struct BatchStart {
    pub inputs: Vec<String>,
    pub workers: usize,
    /// The options that change results, as JSON text.
    pub options: String,
}

/// A database batchimp imports into.
pub trait Sink {
    /// Open a new batch in the ledger (status `running`); returns its id.
    fn start_batch(&mut self, start: &BatchStart) -> Result<i64>;
    /// Start a transaction; every `record` until `commit` is part of it.
    fn begin(&mut self) -> Result<()>;
    /// Write one file's documents (deduplicated by key) and its ledger row, atomically.
    /// Returns the status recorded. `Err` is fatal to the batch (the database failed); a file
    /// the database refuses is recorded as failed, not returned as `Err`.
    fn record(&mut self, batch: i64, file: &Processed) -> Result<Status>;
    /// Commit the open transaction, with the batch's running counts.
    fn commit(&mut self, batch: i64) -> Result<()>;
    /// Close a batch: final counts from the ledger, end time, status.
    fn finish_batch(&mut self, batch: i64, status: BatchStatus) -> Result<()>;
    /// One batch's ledger row; `None` if there is no such batch.
    fn batch(&mut self, batch: i64) -> Result<Option<BatchInfo>>;
    /// Batches, newest first.
    fn batches(&mut self) -> Result<Vec<BatchInfo>>;
    /// Counts of a batch's files by status and by error type.
    fn totals(&mut self, batch: i64) -> Result<Totals>;
    /// A batch's files sorted by origin, streamed so a million-file report needs no memory.
    fn for_each_file(
        &mut self,
        batch: i64,
        f: &mut dyn FnMut(FileEntry) -> Result<()>,
    ) -> Result<()>;
    /// Where the database is, for messages (never includes a password).
    fn describe(&self) -> String;
}

/// Where the data goes, as the user named it: a path or `sqlite://path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Sqlite(PathBuf),
}

impl Target {
    pub fn parse(s: &str) -> Result<Target> {
        if let Some(path) = s.strip_prefix("sqlite://") {
            return Ok(Target::Sqlite(PathBuf::from(path)));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            bail!("PostgreSQL databases are not supported yet; use a SQLite file path");
        }
        if s.is_empty() {
            bail!("--db is empty");
        }
        Ok(Target::Sqlite(PathBuf::from(s)))
    }

    /// Open (creating and migrating when needed).
    pub fn open(&self) -> Result<Box<dyn Sink>> {
        match self {
            Target::Sqlite(path) => Ok(Box::new(sqlite::Sqlite::open(path)?)),
        }
    }

    /// Open an existing database for reading the ledger; a missing file is an error, not a new
    /// empty database.
    pub fn open_existing(&self) -> Result<Box<dyn Sink>> {
        match self {
            Target::Sqlite(path) => {
                if !path.exists() {
                    bail!(
                        "no database at {} (import something first, or pass --db)",
                        path.display()
                    );
                }
                self.open()
            }
        }
    }
}
