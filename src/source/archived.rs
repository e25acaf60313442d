//! Originals read back from the database's archive as jobs, for `batchimp reparse`: the same
//! pipeline as a walk of folders (workers parse, one writer records), fed from the `originals`
//! table instead of the disk, so documents are read again with this version's parsers
//! without their source files.
//!
//! Each job is named `archive:<sha256>` in the ledger (what a resumed reparse skips), and is
//! parsed under the origin its file was first imported from, so the documents' `path` stays
//! where the document came from. Originals are decompressed here, on the feeding thread: zstd
//! inflates at several hundred MB/s, well ahead of the parsers.

use super::{Filter, Job, JobSource};
use crate::error::{ErrorType, FileError};
use crate::sink::Target;
use crate::sink::originals::Reader;
use anyhow::{Context, Result};

/// The originals a reparse reads: of `kinds` (every kind when empty), from `target`.
#[derive(Debug, Clone)]
pub struct Archived {
    pub target: Target,
    pub kinds: Vec<&'static str>,
    /// How many there are, for the progress bar and `report` on the running batch.
    pub total: u64,
}

impl Archived {
    /// Hand every original `filter` wants to `emit`, in the order their files were first
    /// imported, until `emit` returns false. An original that cannot be read back is a job
    /// that fails with `original_unreadable`; `Err` only when the database cannot be read.
    pub fn walk(&self, filter: &Filter, emit: &mut dyn FnMut(Job) -> bool) -> Result<()> {
        let mut reader = Reader::open(&self.target)?;
        reader
            .for_each_to_reparse(&self.kinds, &mut |packed| {
                let origin = crate::archive::origin(&packed.sha256);
                if !filter.wants(&origin) {
                    return Ok(true);
                }
                let size = packed.size.max(0) as u64;
                // Pruned ledger rows and no document left: named by its SHA-256 alone.
                let path = packed.origin.clone().unwrap_or_else(|| origin.clone());
                let source = match packed.unpack() {
                    Ok(original) => JobSource::Archived {
                        bytes: original.bytes,
                        path,
                    },
                    Err(e) => JobSource::Failed(FileError::new(
                        ErrorType::OriginalUnreadable,
                        format!("{e:#}"),
                    )),
                };
                Ok(emit(Job {
                    origin,
                    size,
                    mtime: None,
                    verify: None,
                    source,
                }))
            })
            .context("cannot read the archive of originals")
    }
}
