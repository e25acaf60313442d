//! The [`Walker`]: enumerates folders and ZIP central directories in a stable name order and
//! emits cheap jobs, reading no file contents. It lives apart from the types it emits and from
//! the reading each worker does because the walk is one job of its own: links and
//! their loops, statting files in batches, and ordering a ZIP's members by name.

use super::*;

/// Most ZIP members the walker holds in order at once (see `Walker::archive`): ~20 MiB of
/// names at the longest names SEFAZ and SAT downloads use.
const SORT_CHUNK: usize = 1 << 18;

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
        // Where the inputs really are, for telling links that stay inside them from links
        // leaving them (`..`, and links among the inputs' own parents, resolved once).
        let roots: Vec<PathBuf> = inputs
            .iter()
            .filter_map(|i| std::fs::canonicalize(i).ok())
            .collect();
        let done = inputs.iter().all(|input| {
            if let Ok(md) = std::fs::metadata(input) {
                seen.insert((md.dev(), md.ino()));
            }
            self.walk_input(input, &roots, &mut seen)
        });
        if let Some(own) = self.opts.own.to_say() {
            tracing::info!(
                event = "own_files_skipped",
                "not importing batchimp's own files (its database, reports and log): {own}"
            );
        }
        done
    }

    /// What to do with a link found inside an input (`meta`: its target's stat).
    ///
    /// A link is a decision, not an accident: one whose target leaves the inputs would read
    /// whatever the person who planted it chose (`secret -> /home/me/.ssh/id_rsa`), so it is
    /// recorded as not read unless `--follow-links`. A folder link inside the inputs leads to a
    /// folder the walk reaches at its own place: walking it again would read its files twice.
    fn link(&self, path: &Path, meta: &std::fs::Metadata, roots: &[PathBuf]) -> Link {
        let Ok(target) = std::fs::canonicalize(path) else {
            // Gone between the two looks: read it and fail as any vanished file does.
            return Link::Follow;
        };
        let inside = roots.iter().any(|r| target.starts_with(r));
        match (inside, meta.is_dir()) {
            (true, true) => {
                let parent = path.parent().and_then(|p| std::fs::canonicalize(p).ok());
                Link::Skip(parent.is_some_and(|p| p.starts_with(&target)))
            }
            (true, false) => Link::Follow,
            (false, _) if self.opts.follow_links => Link::Follow,
            (false, dir) => Link::Refuse(format!(
                "{} is a link to a {} outside the inputs ({}): not read (--follow-links reads it)",
                path.display(),
                if dir { "folder" } else { "file" },
                target.display()
            )),
        }
    }

    /// Walk one folder (or file). Entries are read without following links, so a file costs one
    /// stat; a link to a folder is walked in place, once: `seen` holds the folders entered
    /// through links (and the inputs), which is also how a link loop is recognised.
    ///
    /// Plain files wait in `files` (in walk order) to be statted together on several threads:
    /// the lookups are most of a resume's time, and the workers are idle then.
    fn walk_input(
        &mut self,
        input: &Path,
        roots: &[PathBuf],
        seen: &mut HashSet<(u64, u64)>,
    ) -> bool {
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
            let (ft, meta) = if entry.path_is_symlink() {
                match std::fs::metadata(entry.path()) {
                    // An input given as a link to a folder: walkdir walks it, as the input.
                    Ok(md) if md.is_dir() && entry.depth() == 0 => continue,
                    Ok(md) if entry.depth() == 0 => (md.file_type(), Some(md)),
                    Ok(md) => match self.link(entry.path(), &md, roots) {
                        Link::Refuse(why) => {
                            let origin = entry.path().display().to_string();
                            let size = if md.is_dir() { 0 } else { md.len() };
                            if !self.send(origin, size, None, JobSource::Skipped(why)) {
                                return false;
                            }
                            continue;
                        }
                        Link::Skip(false) => continue,
                        Link::Follow if md.is_dir() && seen.insert((md.dev(), md.ino())) => {
                            if !self.walk_input(entry.path(), roots, seen) {
                                return false;
                            }
                            continue;
                        }
                        Link::Skip(true) | Link::Follow if md.is_dir() => {
                            (self.warn)(format!(
                                "skipping symlink loop: {} leads to a folder already walked",
                                entry.path().display()
                            ));
                            continue;
                        }
                        _ => (md.file_type(), Some(md)),
                    },
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
            if !self.found(entry.path(), entry.file_name(), ft.is_file(), meta.as_ref()) {
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
            .all(|(entry, meta)| self.found(entry.path(), entry.file_name(), true, meta.as_ref()));
        files.clear();
        ok
    }

    /// A file the walk found (`meta`: its stat, `None` if that failed): an archive to open, a
    /// file to read, or a failure for what is not a regular file.
    fn found(
        &mut self,
        path: &Path,
        name: &OsStr,
        is_file: bool,
        meta: Option<&std::fs::Metadata>,
    ) -> bool {
        // A UTF-8 path as it is, without `Display`'s lossy decoding (the same text for it).
        let origin = path
            .to_str()
            .map_or_else(|| path.display().to_string(), str::to_owned);
        let size = meta.map_or(0, |m| m.len());
        let mtime = meta.and_then(|m| m.modified().ok()).and_then(nanos);
        if self.opts.own.skips(path, name) {
            true
        } else if !is_file {
            let error = FileError::new(
                ErrorType::IoError,
                "not a regular file (a FIFO, socket or device); not read",
            );
            self.send(origin, size, mtime, JobSource::Failed(error))
        } else if looks_like_archive(path, name, size, self.opts.limits.max_file_size) {
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
        let mut given = 0u64;
        let listed =
            members_in_name_order(&archive.file, &dir, hidden, SORT_CHUNK, |name, record| {
                given += 1;
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
            // An archive with nothing to read is accounted for too, as the one file it is.
            Ok(Listing::Members) if given == 0 => {
                let e = FileError::new(
                    ErrorType::EmptyFile,
                    "a ZIP archive with no files in it (hidden ones are skipped without --hidden)",
                );
                self.send(origin, size, None, JobSource::Failed(e))
            }
            Ok(Listing::Members) => !stopped,
            Ok(Listing::Office) => self.send(origin, size, None, JobSource::File(path.to_owned())),
            Ok(Listing::Overlapping(a, b)) => {
                let name = |record| {
                    zipdir::entry_at(&archive.file, record).map_or_else(|_| "?".into(), |e| e.name)
                };
                let e = FileError::new(
                    ErrorType::ZipBomb,
                    format!(
                        "members {:?} and {:?} share bytes: a ZIP whose entries overlap is a zip \
                         bomb; nothing in it was read",
                        name(a),
                        name(b)
                    ),
                );
                self.send(origin, size, None, JobSource::Failed(e))
            }
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

/// What the walk does with a link (see `Walker::link`).
enum Link {
    /// Read the file, or walk the folder, through the link.
    Follow,
    /// A folder inside the inputs, walked at its own place; true when the link leads back to
    /// one of its own parents (a loop, worth a warning).
    Skip(bool),
    /// Leaves the inputs without `--follow-links`: recorded, not read, for this reason.
    Refuse(String),
}

/// What listing a ZIP found.
#[derive(Debug, PartialEq, Eq)]
enum Listing {
    /// Its members, all given (or until the callback asked to stop).
    Members,
    /// An office document (`[Content_Types].xml`, `mimetype`): one document, not an archive.
    Office,
    /// Two members (by record offset) whose bytes overlap: a zip bomb, nothing given.
    Overlapping(u64, u64),
}

/// Give `f` every member of a ZIP (not folders; hidden ones only with `hidden`) in name order,
/// ties by record offset, holding at most `chunk` names at once: each pass over the central
/// directory keeps the next `chunk` members in order in a bounded heap. `f` returns false to
/// stop. Nothing is given when two entries' bytes overlap ([`zipdir::overlap`], checked on the
/// first pass, before `f` sees a member: 24 bytes an entry, freed at once). An error says whether it came on the first pass (the archive is damaged) or a later
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
        let mut spans = Vec::new();
        zipdir::for_each(file, dir, |record, entry| {
            if first_pass {
                let (start, end) = entry.span();
                spans.push((start, end, record));
            }
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
        if let Some((a, b)) = zipdir::overlap(&mut spans) {
            return Ok(Listing::Overlapping(a, b));
        }
        drop(spans);
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

pub(super) fn walk_dir(
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
fn looks_like_archive(path: &Path, name: &OsStr, size: u64, max_file_size: u64) -> bool {
    named_zip(name)
        || (size > max_file_size && starts_with_zip_magic(path) && !named_workbook(name))
}

/// A workbook is a ZIP too, but a document: it is never walked, whatever its size. `name` is
/// the file's name, as the walk has it (a whole path would be parsed from its end again).
fn named_workbook(name: &OsStr) -> bool {
    Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx") || e.eq_ignore_ascii_case("xlsm"))
}

/// A file named as a ZIP (`name`: its file name).
pub(super) fn named_zip(name: &OsStr) -> bool {
    Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

fn starts_with_zip_magic(path: &Path) -> bool {
    let mut head = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|_| &head == ZIP_MAGIC)
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
}
