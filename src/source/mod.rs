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

mod zipdir;

use crate::error::{ErrorType, FileError};
use crate::format::catalog;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::fs::File;
use std::hash::{DefaultHasher, Hash, Hasher};
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
    /// Size in bytes as found on disk or in the archive.
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
    Failed(FileError),
}

/// An open ZIP shared by the workers reading its members.
pub struct Archive {
    file: File,
    budget: Budget,
}

/// Most ZIP members the walker holds in order at once (see `Walker::archive`): ~20 MiB of
/// names at the longest names SEFAZ and SAT downloads use.
const SORT_CHUNK: usize = 1 << 18;

/// Uncompressed bytes read so far from one top-level archive (nested ones count toward it).
#[derive(Clone, Default)]
struct Budget(Arc<AtomicU64>);

/// How to walk and what to refuse.
#[derive(Debug, Clone, Copy, Default)]
pub struct WalkOptions {
    /// Include files and folders whose names start with a dot.
    pub hidden: bool,
    pub limits: Limits,
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

/// Origins the ledger holds for a batch, keyed by a 128-bit hash (16 bytes per file however long
/// its path, with no realistic chance of a collision), with what was recorded about each.
#[derive(Default)]
pub struct OriginSet(HashMap<u128, Recorded>);

/// What the ledger says about a recorded file.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    pub size: u64,
    /// Modification time (ns since the epoch) of a file on disk; `None` for ZIP members.
    pub mtime: Option<i64>,
    /// Loaded only for `--verify`.
    pub sha256: Option<String>,
}

impl OriginSet {
    fn key(origin: &str) -> u128 {
        let half = |salt: u8| {
            let mut h = DefaultHasher::new();
            salt.hash(&mut h);
            origin.hash(&mut h);
            h.finish()
        };
        (u128::from(half(1)) << 64) | u128::from(half(2))
    }

    pub fn insert(&mut self, origin: &str, recorded: Recorded) {
        self.0.insert(OriginSet::key(origin), recorded);
    }

    pub fn get(&self, origin: &str) -> Option<&Recorded> {
        self.0.get(&OriginSet::key(origin))
    }

    pub fn contains(&self, origin: &str) -> bool {
        self.0.contains_key(&OriginSet::key(origin))
    }
}

/// Which files a walk yields.
pub enum Filter {
    All,
    /// Resume: files the ledger already holds are skipped when their size and modification time
    /// match what was recorded (and, with `verify`, their bytes still hash the same); a file that
    /// changed is processed again and replaces its ledger row.
    Except {
        recorded: OriginSet,
        verify: bool,
    },
    /// Retry: only these (failed) files, each replacing its ledger row.
    Only(OriginSet),
}

/// What the walk does with one origin.
enum Take {
    Yes,
    No,
    /// Recorded and unchanged by size and time; re-hash and compare with this digest.
    Verify(String),
}

impl Filter {
    pub fn wants(&self, origin: &str) -> bool {
        match self {
            Filter::All => true,
            Filter::Except { recorded, .. } => !recorded.contains(origin),
            Filter::Only(set) => set.contains(origin),
        }
    }

    /// Whether a processed file takes the place of a row the ledger already has for it.
    pub fn replaces(&self, origin: &str) -> bool {
        match self {
            Filter::All => false,
            Filter::Except { recorded, .. } => recorded.contains(origin),
            Filter::Only(set) => set.contains(origin),
        }
    }

    /// The decision for an origin; `stat` gives its size and modification time when needed.
    fn take(&self, origin: &str, stat: impl FnOnce() -> (u64, Option<i64>)) -> Take {
        match self {
            Filter::All => Take::Yes,
            Filter::Only(set) => {
                if set.contains(origin) {
                    Take::Yes
                } else {
                    Take::No
                }
            }
            Filter::Except { recorded, verify } => match recorded.get(origin) {
                None => Take::Yes,
                Some(r) if r.mtime.is_some() && stat() != (r.size, r.mtime) => Take::Yes,
                Some(r) => match (verify, &r.sha256) {
                    (true, Some(sha)) => Take::Verify(sha.clone()),
                    _ => Take::No,
                },
            },
        }
    }
}

/// Plain files statted together (see `Walker::walk_input`).
const STAT_BATCH: usize = 1024;

/// Walks inputs in a stable order (sorted by name), calling `emit` for each job and `warn` for
/// things that are not files (a symlink loop). Stops early when `emit` returns false.
pub struct Walker<'a> {
    pub opts: WalkOptions,
    pub filter: &'a Filter,
    pub emit: &'a mut dyn FnMut(Job) -> bool,
    pub warn: &'a mut dyn FnMut(String),
}

impl Walker<'_> {
    /// Walk every input; false when stopped early.
    pub fn walk(&mut self, inputs: &[PathBuf]) -> bool {
        let mut seen = HashSet::new();
        inputs.iter().all(|input| {
            if let Ok(md) = std::fs::metadata(input) {
                seen.insert((md.dev(), md.ino()));
            }
            self.walk_input(input, &mut seen)
        })
    }

    /// Walk one folder (or file). Entries are read without following links, so a file costs one
    /// stat; a link to a folder is walked in place, once: `seen` holds the folders entered
    /// through links (and the inputs), which is also how a link loop is recognised.
    ///
    /// Plain files wait in `files` (in walk order) to be statted together on several threads:
    /// the lookups are most of a resume's time, and the workers are idle then.
    fn walk_input(&mut self, input: &Path, seen: &mut HashSet<(u64, u64)>) -> bool {
        let mut files: Vec<walkdir::DirEntry> = Vec::with_capacity(STAT_BATCH);
        for entry in walk_dir(input, self.opts.hidden) {
            let entry = match entry {
                Ok(e) if e.file_type().is_file() => {
                    files.push(e);
                    if files.len() == STAT_BATCH && !self.stat_and_send(&mut files) {
                        return false;
                    }
                    continue;
                }
                other => other,
            };
            if !self.stat_and_send(&mut files) {
                return false;
            }
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    let origin = err.path().unwrap_or(input).display().to_string();
                    let error = io_error(err.into());
                    if !self.send(origin, 0, None, JobSource::Failed(error)) {
                        return false;
                    }
                    continue;
                }
            };
            let (ft, meta) = if entry.path_is_symlink() && entry.depth() > 0 {
                match std::fs::metadata(entry.path()) {
                    Ok(md) if md.is_dir() => {
                        if seen.insert((md.dev(), md.ino())) {
                            if !self.walk_input(entry.path(), seen) {
                                return false;
                            }
                        } else {
                            (self.warn)(format!(
                                "skipping symlink loop: {} leads to a folder already walked",
                                entry.path().display()
                            ));
                        }
                        continue;
                    }
                    Ok(md) => (md.file_type(), Some(md)),
                    Err(e) => {
                        let origin = entry.path().display().to_string();
                        if !self.send(origin, 0, None, JobSource::Failed(io_error(e))) {
                            return false;
                        }
                        continue;
                    }
                }
            } else {
                (entry.file_type(), None)
            };
            if ft.is_dir() {
                continue;
            }
            let meta = meta.or_else(|| entry.metadata().ok());
            if !self.found(entry.path(), ft.is_file(), meta.as_ref()) {
                return false;
            }
        }
        self.stat_and_send(&mut files)
    }

    /// Stat the waiting plain files (on up to as many threads as there are cores), then send
    /// them in order; `files` is left empty.
    fn stat_and_send(&mut self, files: &mut Vec<walkdir::DirEntry>) -> bool {
        if files.is_empty() {
            return true;
        }
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let per_thread = files.len().div_ceil(threads).max(STAT_BATCH / 4);
        let stat = |part: &[walkdir::DirEntry]| -> Vec<Option<std::fs::Metadata>> {
            part.iter().map(|e| e.metadata().ok()).collect()
        };
        let metas: Vec<Option<std::fs::Metadata>> = std::thread::scope(|s| {
            let mut parts = files.chunks(per_thread);
            let first = parts.next().unwrap_or_default();
            let others: Vec<_> = parts
                .map(|part| (part, s.spawn(move || stat(part))))
                .collect();
            let mut metas = stat(first);
            for (part, other) in others {
                // A thread that could not finish: its part again, here (never a file lost).
                metas.extend(other.join().unwrap_or_else(|_| stat(part)));
            }
            metas
        });
        debug_assert_eq!(metas.len(), files.len());
        let ok = files
            .iter()
            .zip(&metas)
            .all(|(entry, meta)| self.found(entry.path(), true, meta.as_ref()));
        files.clear();
        ok
    }

    /// A file the walk found (`meta`: its stat, `None` if that failed): an archive to open, a
    /// file to read, or a failure for what is not a regular file.
    fn found(&mut self, path: &Path, is_file: bool, meta: Option<&std::fs::Metadata>) -> bool {
        let origin = path.display().to_string();
        let size = meta.map_or(0, |m| m.len());
        let mtime = meta.and_then(|m| m.modified().ok()).and_then(nanos);
        if !is_file {
            let error = FileError::new(
                ErrorType::IoError,
                "not a regular file (a FIFO, socket or device); not read",
            );
            self.send(origin, size, mtime, JobSource::Failed(error))
        } else if looks_like_archive(path, size, self.opts.limits.max_file_size) {
            self.archive(origin, size, path)
        } else {
            self.send(origin, size, mtime, JobSource::File(path.to_owned()))
        }
    }

    fn send(&mut self, origin: String, size: u64, mtime: Option<i64>, source: JobSource) -> bool {
        let verify = match self.filter.take(&origin, || (size, mtime)) {
            Take::No => return true,
            Take::Yes => None,
            Take::Verify(sha) => Some(sha),
        };
        (self.emit)(Job {
            origin,
            size,
            mtime,
            verify,
            source,
        })
    }

    /// A ZIP on disk: one job per member, read later on the workers.
    ///
    /// Members go out in name order, as a folder is walked: the same documents come in the same
    /// order whether zipped or not, and keys that sort together reach the database together (a
    /// download's members are often in no order, and inserting keys at random places in the
    /// indexes doubled the writer's work). The central directory is streamed, never held: each
    /// pass keeps the next [`SORT_CHUNK`] names in order (a bounded heap), sends them, and the
    /// next pass starts after the last one sent. One pass for most archives; a million members
    /// take four, and memory stays what one chunk needs.
    fn archive(&mut self, origin: String, size: u64, path: &Path) -> bool {
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) => return self.send(origin, size, None, JobSource::Failed(io_error(e))),
        };
        let dir = match zipdir::locate(&file, size) {
            Ok(dir) => dir,
            Err(zipdir::Error::Io(e)) => {
                return self.send(origin, size, None, JobSource::Failed(io_error(e)));
            }
            Err(zipdir::Error::Damaged(why)) => {
                let shared = SharedFile::new(file, size);
                return self.damaged_archive(origin, size, shared, &why);
            }
        };
        let archive = Arc::new(Archive {
            file,
            budget: Budget::default(),
        });
        let hidden = self.opts.hidden;
        let mut stopped = false;
        let listed =
            members_in_name_order(&archive.file, &dir, hidden, SORT_CHUNK, |name, record| {
                let member_origin = format!("{origin}!/{name}");
                let source = match bad_name(&name) {
                    Some(e) => JobSource::Failed(e),
                    None => JobSource::Member {
                        archive: Arc::clone(&archive),
                        record,
                    },
                };
                stopped = !self.send(member_origin, 0, None, source);
                !stopped
            });
        match listed {
            Ok(Listing::Members) => !stopped,
            Ok(Listing::Office) => self.send(origin, size, None, JobSource::File(path.to_owned())),
            Err((true, zipdir::Error::Damaged(why))) => match archive.file.try_clone() {
                Ok(f) => self.damaged_archive(origin, size, SharedFile::new(f, size), &why),
                Err(e) => self.send(origin, size, None, JobSource::Failed(io_error(e))),
            },
            Err((_, zipdir::Error::Io(e))) => {
                self.send(origin, size, None, JobSource::Failed(io_error(e)))
            }
            Err((false, zipdir::Error::Damaged(why))) => {
                let e = FileError::new(
                    ErrorType::IoError,
                    format!("the archive changed while it was being read ({why})"),
                );
                self.send(origin, size, None, JobSource::Failed(e))
            }
        }
    }

    /// An archive whose central directory cannot be read (truncated, say): it is recorded as
    /// `zip_corrupt`, and its members are recovered by reading local headers from the start.
    fn damaged_archive(
        &mut self,
        origin: String,
        size: u64,
        mut file: SharedFile,
        err: &str,
    ) -> bool {
        let limits = self.opts.limits;
        let budget = Budget::default();
        let mut recovered = Vec::new();
        let _ = file.seek(SeekFrom::Start(0));
        let mut reader = io::BufReader::new(file);
        while let Ok(Some(member)) = zip::read::read_zipfile_from_stream(&mut reader) {
            let name = member.name().to_owned();
            if !listed(&name, self.opts.hidden) {
                continue;
            }
            let member_origin = format!("{origin}!/{name}");
            let size = member.size();
            let source = if let Some(e) = bad_name(&name) {
                JobSource::Failed(e)
            } else if member.encrypted() {
                JobSource::Failed(encrypted())
            } else {
                let compressed = member.compressed_size();
                match read_capped(member, size, compressed, &limits, &budget) {
                    Ok(bytes) => JobSource::Bytes(bytes),
                    // The stream cannot be followed past a member it could not read.
                    Err(e) => {
                        recovered.push((member_origin, size, JobSource::Failed(e)));
                        break;
                    }
                }
            };
            recovered.push((member_origin, size, source));
        }
        let error = FileError::new(
            ErrorType::ZipCorrupt,
            format!(
                "damaged ZIP ({err}); {} member(s) recovered from its local headers",
                recovered.len()
            ),
        );
        if !self.send(origin, size, None, JobSource::Failed(error)) {
            return false;
        }
        recovered
            .into_iter()
            .all(|(origin, size, source)| self.send(origin, size, None, source))
    }
}

/// What listing a ZIP found.
#[derive(Debug, PartialEq, Eq)]
enum Listing {
    /// Its members, all given (or until the callback asked to stop).
    Members,
    /// An office document (`[Content_Types].xml`, `mimetype`): one document, not an archive.
    Office,
}

/// Give `f` every member of a ZIP (not folders; hidden ones only with `hidden`) in name order,
/// ties by record offset, holding at most `chunk` names at once: each pass over the central
/// directory keeps the next `chunk` members in order in a bounded heap. `f` returns false to
/// stop. An error says whether it came on the first pass (the archive is damaged) or a later
/// one (it changed while being read).
fn members_in_name_order(
    file: &File,
    dir: &zipdir::Directory,
    hidden: bool,
    chunk: usize,
    mut f: impl FnMut(String, u64) -> bool,
) -> Result<Listing, (bool, zipdir::Error)> {
    // The last member given, by (name, record offset).
    let mut after: Option<(Vec<u8>, u64)> = None;
    loop {
        let first_pass = after.is_none();
        let mut office = false;
        let mut next: BinaryHeap<(Vec<u8>, u64)> = BinaryHeap::with_capacity(chunk.min(4096));
        zipdir::for_each(file, dir, |record, entry| {
            let name = entry.name;
            if OFFICE_MANIFESTS.contains(&name.as_str()) {
                office = true;
                return false;
            }
            if !listed(&name, hidden) {
                return true;
            }
            let key = (name.into_bytes(), record);
            if after.as_ref().is_some_and(|last| key <= *last) {
                return true;
            }
            if next.len() < chunk {
                next.push(key);
            } else if next.peek().is_some_and(|largest| key < *largest) {
                next.pop();
                next.push(key);
            }
            true
        })
        .map_err(|e| (first_pass, e))?;
        if office {
            return Ok(Listing::Office);
        }
        let sorted = next.into_sorted_vec();
        let full = sorted.len() == chunk;
        let Some(last) = sorted.last().cloned() else {
            return Ok(Listing::Members);
        };
        for (name, record) in sorted {
            let name = String::from_utf8(name)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            if !f(name, record) {
                return Ok(Listing::Members);
            }
        }
        if !full {
            return Ok(Listing::Members);
        }
        after = Some(last);
    }
}

/// A modification time as nanoseconds since the epoch (what the ledger stores).
fn nanos(t: std::time::SystemTime) -> Option<i64> {
    let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(d.as_nanos()).ok()
}

fn walk_dir(
    input: &Path,
    hidden: bool,
) -> impl Iterator<Item = walkdir::Result<walkdir::DirEntry>> {
    walkdir::WalkDir::new(input)
        // Siblings share their folder's prefix, so comparing whole paths as bytes orders them by
        // name, without the component parsing `sort_by_file_name` pays on every comparison.
        .sort_by(|a, b| a.path().as_os_str().cmp(b.path().as_os_str()))
        .into_iter()
        .filter_entry(move |e| hidden || e.depth() == 0 || !is_hidden(e.file_name()))
}

/// Archives are fanned out by the walker when they say they are ZIPs (`.zip`), or when they are
/// too large to be read whole and start like one. Any other ZIP is found by its content when a
/// worker reads it.
fn looks_like_archive(path: &Path, size: u64, max_file_size: u64) -> bool {
    named_zip(path)
        || (size > max_file_size && starts_with_zip_magic(path) && !named_workbook(path))
}

/// A workbook is a ZIP too, but a document: it is never walked, whatever its size.
fn named_workbook(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx") || e.eq_ignore_ascii_case("xlsm"))
}

fn named_zip(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

fn starts_with_zip_magic(path: &Path) -> bool {
    let mut head = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|_| &head == ZIP_MAGIC)
}

/// Read a job's bytes on a worker. Usually one item; a ZIP read from disk or from inside
/// another ZIP expands to one item per member.
pub fn load(job: Job, limits: &Limits, filter: &Filter, hidden: bool) -> Vec<Item> {
    let Job {
        origin,
        size,
        mtime,
        source,
        ..
    } = job;
    let mut retries = 0;
    let mut stream = None;
    let (size, data, budget) = match source {
        JobSource::Failed(e) => (size, Err(e), None),
        JobSource::Bytes(bytes) => (size, Ok(bytes), None),
        JobSource::File(path) => {
            // A large catalog is streamed from disk by the writer rather than held in memory
            // (and `--max-file-size`, a memory bound, does not apply to it).
            let head = (size > catalog::STREAM_ABOVE)
                .then(|| with_retries(limits.retries, &mut retries, || read_head(&path)));
            let header = match &head {
                Some(Ok(head)) => crate::format::catalog_head(head),
                _ => None,
            };
            let data = if let Some(Err(e)) = head {
                Err(e)
            } else if let Some(header) = header {
                stream = Some((path.clone(), Streamed::Csv(header)));
                Ok(Vec::new())
            } else if head
                .as_ref()
                .is_some_and(|h| h.as_ref().is_ok_and(|h| h.starts_with(ZIP_MAGIC)))
                && catalog::xlsx::is_workbook(&path)
            {
                stream = Some((path.clone(), Streamed::Workbook));
                Ok(Vec::new())
            } else if size > limits.max_file_size {
                Err(too_large(size, limits))
            } else {
                with_retries(limits.retries, &mut retries, || {
                    read_file(&path, size, limits)
                })
            };
            (size, data, None)
        }
        JobSource::Member { archive, record } => {
            let (size, data) = read_disk_member(&archive, record, limits);
            (size, data, Some(archive.budget.clone()))
        }
    };
    let item = Item {
        origin,
        size,
        data,
        retries,
        mtime,
        stream,
    };
    let mut out = Vec::with_capacity(1);
    expand(
        item,
        limits,
        filter,
        hidden,
        budget.unwrap_or_default(),
        1,
        &mut out,
    );
    out
}

/// Push `item`, or its members when it is a ZIP archive (not an office document).
fn expand(
    item: Item,
    limits: &Limits,
    filter: &Filter,
    hidden: bool,
    budget: Budget,
    depth: usize,
    out: &mut Vec<Item>,
) {
    let bytes = match &item.data {
        Ok(b) if b.starts_with(ZIP_MAGIC) && depth <= MAX_ZIP_DEPTH => b,
        _ => return out.push(item),
    };
    let mut zip = match zip::ZipArchive::new(io::Cursor::new(bytes.as_slice())) {
        Ok(z) if !is_office_document(&z) => z,
        Ok(_) => return out.push(item),
        Err(e) => {
            let error = FileError::new(ErrorType::ZipCorrupt, format!("cannot open ZIP: {e}"));
            return out.push(Item {
                data: Err(error),
                ..item
            });
        }
    };
    for index in 0..zip.len() {
        let name = zip.name_for_index(index).unwrap_or("?").to_owned();
        if !listed(&name, hidden) {
            continue;
        }
        let origin = format!("{}!/{name}", item.origin);
        if !filter.wants(&origin) {
            continue;
        }
        let (size, data) = match bad_name(&name) {
            Some(e) => (0, Err(e)),
            None => read_member(&mut zip, index, limits, &budget),
        };
        let member = Item {
            origin,
            size,
            data,
            retries: 0,
            mtime: None,
            stream: None,
        };
        expand(
            member,
            limits,
            filter,
            hidden,
            budget.clone(),
            depth + 1,
            out,
        );
    }
}

/// One member, inflated under the limits.
fn read_member<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    index: usize,
    limits: &Limits,
    budget: &Budget,
) -> (u64, Result<Vec<u8>, FileError>) {
    match zip.by_index_raw(index) {
        Ok(raw) if raw.encrypted() => return (raw.size(), Err(encrypted())),
        Ok(_) => {}
        Err(e) => return (0, Err(corrupt_member(e))),
    }
    match zip.by_index(index) {
        Ok(member) => {
            let (size, compressed) = (member.size(), member.compressed_size());
            (size, read_capped(member, size, compressed, limits, budget))
        }
        Err(e) => (0, Err(corrupt_member(e))),
    }
}

/// A member of a ZIP on disk, from its central directory record, inflated under the limits and
/// checked against its CRC-32.
fn read_disk_member(
    archive: &Archive,
    record: u64,
    limits: &Limits,
) -> (u64, Result<Vec<u8>, FileError>) {
    let damaged = |e: zipdir::Error| match e {
        zipdir::Error::Io(e) => io_error(e),
        zipdir::Error::Damaged(why) => FileError::new(
            ErrorType::ZipCorrupt,
            format!("cannot read ZIP member: {why}"),
        ),
    };
    let entry = match zipdir::entry_at(&archive.file, record) {
        Ok(e) => e,
        Err(e) => return (0, Err(damaged(e))),
    };
    if entry.encrypted() {
        return (entry.size, Err(encrypted()));
    }
    let data = zipdir::data_offset(&archive.file, &entry)
        .and_then(|start| zipdir::inflate(&archive.file, &entry, start))
        .map_err(damaged)
        .and_then(|r| read_capped(r, entry.size, entry.compressed, limits, &archive.budget))
        .and_then(|bytes| {
            if crc32fast::hash(&bytes) == entry.crc32 {
                Ok(bytes)
            } else {
                Err(FileError::new(
                    ErrorType::ZipCorrupt,
                    "cannot read ZIP member: its CRC-32 does not match (damaged data)",
                ))
            }
        });
    (entry.size, data)
}

/// Inflate a member under the limits: its declared ratio and size first, then while streaming,
/// never trusting the header: output past the declared size (so past `max_file_size` too), the
/// ratio, and the archive's total.
fn read_capped(
    mut r: impl Read,
    declared: u64,
    compressed: u64,
    limits: &Limits,
    budget: &Budget,
) -> Result<Vec<u8>, FileError> {
    if declared > RATIO_GRACE && declared / compressed.max(1) > limits.max_ratio {
        return Err(ratio_bomb(declared, compressed, limits));
    }
    if declared > limits.max_file_size {
        return Err(too_large(declared, limits));
    }
    let mut buf = Vec::with_capacity(declared.min(limits.max_file_size) as usize);
    let mut chunk = [0u8; 64 * 1024];
    loop {
        let n = match r.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(FileError::new(
                    ErrorType::ZipCorrupt,
                    format!("cannot read ZIP member: {e}"),
                ));
            }
        };
        buf.extend_from_slice(&chunk[..n]);
        let out = buf.len() as u64;
        if out > declared {
            return Err(FileError::new(
                ErrorType::ZipBomb,
                format!("member inflates past its declared size ({declared} bytes)"),
            ));
        }
        if out > RATIO_GRACE && out / compressed.max(1) > limits.max_ratio {
            return Err(ratio_bomb(out, compressed, limits));
        }
        let total = budget.0.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        if total > limits.max_archive_size {
            return Err(FileError::new(
                ErrorType::ZipBomb,
                format!(
                    "archive inflates past --max-archive-size ({} bytes)",
                    limits.max_archive_size
                ),
            ));
        }
    }
    Ok(buf)
}

/// The first bytes of a file, enough to tell a catalog's header.
fn read_head(path: &Path) -> io::Result<Result<Vec<u8>, FileError>> {
    let mut head = Vec::with_capacity(catalog::HEAD);
    File::open(path)?
        .take(catalog::HEAD as u64)
        .read_to_end(&mut head)?;
    Ok(Ok(head))
}

fn read_file(path: &Path, size: u64, limits: &Limits) -> io::Result<Result<Vec<u8>, FileError>> {
    let mut file = File::open(path)?;
    // Sized from the walk, so the file is read in one call (plus the one that sees its end).
    let mut bytes = Vec::with_capacity(size as usize + 1);
    // Read one byte past the limit to notice a file that grew since it was listed.
    (&mut file)
        .take(limits.max_file_size + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limits.max_file_size {
        return Ok(Err(too_large(bytes.len() as u64, limits)));
    }
    Ok(Ok(bytes))
}

/// Run `f`, retrying transient I/O errors with exponential backoff and jitter.
fn with_retries<T>(
    max: u32,
    retries: &mut u32,
    mut f: impl FnMut() -> io::Result<Result<T, FileError>>,
) -> Result<T, FileError> {
    loop {
        match f() {
            Ok(r) => return r,
            Err(e) if is_transient(&e) && *retries < max => {
                *retries += 1;
                std::thread::sleep(backoff(*retries));
            }
            Err(e) => return Err(io_error(e)),
        }
    }
}

/// Errors worth a second try: the read may succeed when repeated.
pub fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::Interrupted
            | io::ErrorKind::TimedOut
            | io::ErrorKind::WouldBlock
            | io::ErrorKind::ResourceBusy
    )
}

/// 50 ms, 100 ms, 200 ms... plus up to 50% jitter, so retries from several workers spread out.
pub fn backoff(attempt: u32) -> Duration {
    let base = 50u64 << attempt.saturating_sub(1).min(8);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    Duration::from_millis(base + u64::from(nanos) % (base / 2 + 1))
}

/// The manifests at the root of Office Open XML and OpenDocument files: a ZIP holding one is one
/// document, not an archive to walk.
const OFFICE_MANIFESTS: [&str; 2] = ["[Content_Types].xml", "mimetype"];

fn is_office_document<R: Read + Seek>(archive: &zip::ZipArchive<R>) -> bool {
    OFFICE_MANIFESTS
        .iter()
        .any(|m| archive.index_for_name(m).is_some())
}

/// Whether a member is listed at all: not a folder entry, and not hidden unless `hidden`.
fn listed(name: &str, hidden: bool) -> bool {
    !name.ends_with('/') && (hidden || !is_hidden_member(name))
}

/// A member name that would escape an extraction folder (`..`, absolute, a drive letter) or
/// hides a NUL. batchimp never extracts, but such an archive is hostile and is reported.
fn bad_name(name: &str) -> Option<FileError> {
    let bytes = name.as_bytes();
    let absolute = name.starts_with('/') || name.starts_with('\\');
    let drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    let parent = name.split(['/', '\\']).any(|c| c == "..");
    (absolute || drive || parent || name.contains('\0')).then(|| {
        FileError::new(
            ErrorType::ZipBadName,
            format!("unsafe member name {name:?} (absolute, \"..\" or NUL); not read"),
        )
    })
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

fn is_hidden_member(name: &str) -> bool {
    name.split('/')
        .any(|c| c.starts_with('.') && c != "." && c != "..")
}

fn ratio_bomb(size: u64, compressed: u64, limits: &Limits) -> FileError {
    FileError::new(
        ErrorType::ZipBomb,
        format!(
            "member inflates more than {}:1 ({compressed} compressed bytes to {size})",
            limits.max_ratio
        ),
    )
}

fn encrypted() -> FileError {
    FileError::new(
        ErrorType::ZipEncrypted,
        "encrypted ZIP member; batchimp reads no passwords",
    )
}

fn corrupt_member(e: zip::result::ZipError) -> FileError {
    FileError::new(
        ErrorType::ZipCorrupt,
        format!("cannot read ZIP member: {e}"),
    )
}

fn too_large(size: u64, limits: &Limits) -> FileError {
    FileError::new(
        ErrorType::TooLarge,
        format!(
            "{size} bytes, over --max-file-size ({} bytes)",
            limits.max_file_size
        ),
    )
}

fn io_error(e: io::Error) -> FileError {
    FileError::new(ErrorType::IoError, format!("cannot read: {e}"))
}

/// A file read with positional reads, so clones share one descriptor without sharing a cursor:
/// each worker reading a member of the same archive has its own position.
#[derive(Clone)]
pub struct SharedFile {
    file: Arc<File>,
    len: u64,
    pos: u64,
}

impl SharedFile {
    fn new(file: File, len: u64) -> SharedFile {
        SharedFile {
            file: Arc::new(file),
            len,
            pos: 0,
        }
    }
}

impl Read for SharedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SharedFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.pos)
    }
}

/// Counts the jobs a walk will produce, without reading files (ZIP members from the central
/// directory). Only gives the progress bar a total; nested ZIPs count as one.
pub fn count(inputs: &[PathBuf], opts: WalkOptions) -> u64 {
    let mut total = 0;
    for input in inputs {
        for entry in walk_dir(input, opts.hidden).flatten() {
            if entry.file_type().is_dir() {
                continue;
            }
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            total += if looks_like_archive(entry.path(), size, opts.limits.max_file_size) {
                zip_members(entry.path(), opts.hidden).unwrap_or(1)
            } else {
                1
            };
        }
    }
    total
}

fn zip_members(path: &Path, hidden: bool) -> Option<u64> {
    let file = File::open(path).ok()?;
    let dir = zipdir::locate(&file, file.metadata().ok()?.len()).ok()?;
    let (mut members, mut office) = (0, false);
    zipdir::for_each(&file, &dir, |_, entry| {
        office = OFFICE_MANIFESTS.contains(&entry.name.as_str());
        if listed(&entry.name, hidden) {
            members += 1;
        }
        !office
    })
    .ok()?;
    Some(if office { 1 } else { members })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_members_in_name_order_whatever_the_chunk() {
        // "a.xmm" becomes a second "a.xml" once written (the zip crate refuses a repeated
        // name; hostile archives have them).
        let names = [
            "m/3.xml", "a.xml", "z/1.xml", "m/1.xml", ".h/x.xml", "b/", "a.xmm", "k.xml",
        ];
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        {
            let mut zip = zip::ZipWriter::new(tmp.as_file_mut());
            let opts = zip::write::SimpleFileOptions::default();
            for n in names {
                if n.ends_with('/') {
                    zip.add_directory(n, opts).unwrap();
                } else {
                    zip.start_file(n, opts).unwrap();
                    io::Write::write_all(&mut zip, n.as_bytes()).unwrap();
                }
            }
            zip.finish().unwrap();
        }
        let mut patched = std::fs::read(tmp.path()).unwrap();
        for i in 0..patched.len().saturating_sub(4) {
            if &patched[i..i + 5] == b"a.xmm" {
                patched[i + 4] = b'l';
            }
        }
        std::fs::write(tmp.path(), &patched).unwrap();
        let file = File::open(tmp.path()).unwrap();
        let Ok(dir) = zipdir::locate(&file, patched.len() as u64) else {
            panic!("a ZIP")
        };
        let expected = ["a.xml", "a.xml", "k.xml", "m/1.xml", "m/3.xml", "z/1.xml"];
        for chunk in [1, 2, 3, 5, 6, 100] {
            let mut got = Vec::new();
            let listed = members_in_name_order(&file, &dir, false, chunk, |name, record| {
                got.push((name, record));
                true
            });
            assert_eq!(listed.ok(), Some(Listing::Members), "chunk {chunk}");
            let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, expected, "chunk {chunk}");
            assert!(got[0].1 < got[1].1, "same names in record order");
        }
        let mut with_hidden = 0;
        let _ = members_in_name_order(&file, &dir, true, 2, |_, _| {
            with_hidden += 1;
            true
        });
        assert_eq!(with_hidden, 7);
    }

    #[test]
    fn unsafe_member_names() {
        for bad in [
            "../x.xml",
            "a/../../x.xml",
            "/etc/passwd",
            "C:\\x.xml",
            "a\\..\\b",
            "a\0b",
        ] {
            assert_eq!(
                bad_name(bad).map(|e| e.error_type),
                Some(ErrorType::ZipBadName),
                "{bad:?}"
            );
        }
        for good in ["a.xml", "2026/10/a.xml", "a..b.xml", "..a.xml"] {
            assert!(bad_name(good).is_none(), "{good:?}");
        }
    }

    #[test]
    fn origin_sets() {
        let mut set = OriginSet::default();
        set.insert("a.zip!/x.xml", Recorded::default());
        assert!(set.contains("a.zip!/x.xml"));
        assert!(!set.contains("a.zip!/y.xml"));
        let filter = Filter::Except {
            recorded: set,
            verify: false,
        };
        assert!(filter.wants("b.xml"));
        assert!(filter.replaces("a.zip!/x.xml"));
    }
}
