//! Where files come from: folders (walked recursively), ZIP archives (read in place, nested ones
//! too) and single files, with origins users recognise: `folder/file.xml` or
//! `archive.zip!/inner/path.xml`.
//!
//! Work is split in two so that the expensive part runs in parallel:
//! - the [`Walker`] (one thread) only enumerates: folder entries, and the members of each ZIP
//!   from its central directory. It emits cheap [`Job`]s and reads no file contents.
//! - [`load`] (on the worker pool) reads a job's bytes: a file from disk, or a ZIP member
//!   inflated with positional reads on the archive's one shared file descriptor
//!   ([`zipdir`]), so members of one archive inflate on every worker at once. A ZIP found inside
//!   a ZIP, or a ZIP without a `.zip` name, is expanded in memory by the worker that read it.
//!
//! Every limit is enforced here, while reading, never trusting sizes an archive declares:
//! `too_large`, `zip_bomb`, `zip_bad_name`, `zip_encrypted`, `zip_corrupt`, `io_error`.

mod archived;
mod count;
mod filter;
mod load;
mod own;
mod walk;
mod zipdir;

pub use archived::Archived;
pub use count::count;
use filter::Take;
pub use filter::{Filter, OriginSet, Recorded};
use load::*;
pub use load::{SharedFile, backoff, is_transient, load};
pub use own::OwnFiles;
pub use walk::Walker;
use walk::{named_zip, walk_dir};

use crate::error::{ErrorType, FileError};
use crate::format::catalog;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::ffi::OsStr;
use std::fs::File;
use std::hash::Hasher;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// One file's bytes (or why they could not be read), with its origin.
#[derive(Debug)]
pub struct Item {
    /// `path/to/file.xml`, or `archive.zip!/inner/file.xml` for a ZIP member.
    pub origin: String,
    /// Size in bytes: on disk, or inflated from the archive (never a member's claimed size).
    pub size: u64,
    pub data: Result<Vec<u8>, FileError>,
    /// Transient read errors overcome by retrying.
    pub retries: u32,
    /// Modification time (ns since the epoch) of a file on disk.
    pub mtime: Option<i64>,
    /// A product catalog on disk over [`catalog::STREAM_ABOVE`], streamed from this path by the
    /// writer rather than held in memory; `data` is then empty.
    pub stream: Option<(PathBuf, Streamed)>,
}

/// What a file streamed from disk is.
#[derive(Debug)]
pub enum Streamed {
    /// A CSV catalog, with the header its first bytes showed.
    Csv(catalog::Header),
    /// A workbook: its catalog sheet, if any, is found once the file is hashed.
    Workbook,
}

/// A unit of work from the walker: a file or ZIP member to read, or a failure found while walking.
pub struct Job {
    pub origin: String,
    pub size: u64,
    /// Modification time (ns since the epoch) of a file on disk.
    pub mtime: Option<i64>,
    /// Resume `--verify`: the digest the ledger recorded; the job records nothing when the
    /// bytes still hash to it.
    pub verify: Option<String>,
    pub source: JobSource,
}

pub enum JobSource {
    File(PathBuf),
    Member {
        archive: Arc<Archive>,
        /// Offset of the member's central directory record.
        record: u64,
    },
    /// A member recovered by streaming a damaged archive.
    Bytes(Vec<u8>),
    /// An original read back from the database's archive (`batchimp reparse`): one file,
    /// parsed as if it came from `path` (where it was first imported from), never expanded.
    Archived {
        bytes: Vec<u8>,
        path: String,
    },
    Failed(FileError),
    /// Not read, by policy (a link leaving the inputs without `--follow-links`): recorded as
    /// `unsupported` with this reason, never a failure.
    Skipped(String),
}

/// An open ZIP shared by the workers reading its members.
pub struct Archive {
    file: File,
    budget: Budget,
}

/// Uncompressed bytes read so far from one top-level archive (nested ones count toward it).
#[derive(Clone, Default)]
struct Budget(Arc<AtomicU64>);

/// How to walk and what to refuse.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Include files and folders whose names start with a dot.
    pub hidden: bool,
    /// Follow links whose target is outside the inputs (`--follow-links`); without it they are
    /// recorded, not read.
    pub follow_links: bool,
    pub limits: Limits,
    /// batchimp's own files (database, reports, log), never walked; shared by every walk of
    /// the run so that they are said once.
    pub own: Arc<OwnFiles>,
}

/// Size limits, each with its own error type.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest file or member, uncompressed (`too_large`).
    pub max_file_size: u64,
    /// Most uncompressed bytes from one archive, nested archives included (`zip_bomb`).
    pub max_archive_size: u64,
    /// Highest compression ratio of a member past its first MiB (`zip_bomb`).
    pub max_ratio: u64,
    /// Transient read errors retried per file, with exponential backoff and jitter.
    pub retries: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_file_size: 50 << 20,
            max_archive_size: 16 << 30,
            max_ratio: 250,
            retries: 3,
        }
    }
}

/// ZIP files start with a local file header.
pub const ZIP_MAGIC: &[u8; 4] = b"PK\x03\x04";
/// How deep ZIPs may nest inside ZIPs before a member is taken as an opaque file.
const MAX_ZIP_DEPTH: usize = 8;
/// A member's ratio is judged only past this many bytes: tiny files compress oddly.
const RATIO_GRACE: u64 = 1 << 20;
