//! Reading a job on a worker: a file whole (or its head, for a catalog or workbook streamed
//! later from disk), a ZIP's members under the size, ratio and depth limits, retries of
//! transient errors, and the typed errors of what cannot be read.

use super::*;

/// Read a job's bytes on a worker. Usually one item; a ZIP read from disk or from inside
/// another ZIP expands to one item per member.
pub fn load(
    job: Job,
    limits: &Limits,
    filter: &Filter,
    hidden: bool,
    mapping: &catalog::Mapping,
) -> Vec<Item> {
    let Job {
        origin,
        size,
        mtime,
        source,
        ..
    } = job;
    let mut retries = 0;
    let mut stream = None;
    // An original from the archive is one file, never expanded (it is not a ZIP).
    let expand_zips = !matches!(source, JobSource::Archived { .. });
    let (size, data, budget) = match source {
        JobSource::Failed(e) => (size, Err(e), None),
        // Callers record skipped jobs without loading them (`pipeline::process_job`); one that
        // does not still accounts for the file, as not read.
        JobSource::Skipped(why) => (size, Err(FileError::new(ErrorType::IoError, why)), None),
        JobSource::Bytes(bytes) => (size, Ok(bytes), None),
        JobSource::Archived { bytes, .. } => (size, Ok(bytes), None),
        JobSource::File(path) => {
            // A large catalog is streamed from disk by the writer rather than held in memory
            // (and `--max-file-size`, a memory bound, does not apply to it).
            let head = (size > catalog::STREAM_ABOVE)
                .then(|| with_retries(limits.retries, &mut retries, || read_head(&path)));
            let header = match &head {
                Some(Ok(head)) => crate::format::catalog_head(head, mapping),
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
    if !expand_zips {
        return vec![item];
    }
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
pub(super) fn expand(
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
pub(super) fn read_member<R: Read + Seek>(
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
            let mut inflated = 0;
            let counted = Counted(member, &mut inflated);
            let data = read_capped(counted, size, compressed, limits, budget);
            (inflated, data)
        }
        Err(e) => (0, Err(corrupt_member(e))),
    }
}

/// A reader counting the bytes it hands out: a member's size is the bytes inflated from it, not
/// what its header claims (a ZIP bomb claims gigabytes and is refused before one is read).
struct Counted<'a, R>(R, &'a mut u64);

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.0.read(buf)?;
        *self.1 += n as u64;
        Ok(n)
    }
}

/// A member of a ZIP on disk, from its central directory record, inflated under the limits and
/// checked against its CRC-32.
pub(super) fn read_disk_member(
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
    let mut inflated = 0;
    let data = zipdir::data_offset(&archive.file, &entry)
        .and_then(|start| zipdir::inflate(&archive.file, &entry, start))
        .map_err(damaged)
        .and_then(|r| {
            let counted = Counted(r, &mut inflated);
            read_capped(
                counted,
                entry.size,
                entry.compressed,
                limits,
                &archive.budget,
            )
        })
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
    (inflated, data)
}

/// Inflate a member under the limits: its declared ratio and size first, then while streaming,
/// never trusting the header: output past the declared size (so past `max_file_size` too), the
/// ratio, and the archive's total.
pub(super) fn read_capped(
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
    // Inflated straight into the member's buffer, sized to what the header declares (one byte
    // more, to see output past it) up to 1 MiB at first: a header that lies costs at most that.
    let mut buf = vec![0u8; (declared.min(limits.max_file_size) as usize + 1).min(1 << 20)];
    let mut len = 0;
    loop {
        if len == buf.len() {
            buf.resize(2 * len, 0);
        }
        let n = match r.read(&mut buf[len..]) {
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
        len += n;
        let out = len as u64;
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
    buf.truncate(len);
    Ok(buf)
}

/// The first bytes of a file, enough to tell a catalog's header.
pub(super) fn read_head(path: &Path) -> io::Result<Result<Vec<u8>, FileError>> {
    let mut head = Vec::with_capacity(catalog::HEAD);
    File::open(path)?
        .take(catalog::HEAD as u64)
        .read_to_end(&mut head)?;
    Ok(Ok(head))
}

pub(super) fn read_file(
    path: &Path,
    size: u64,
    limits: &Limits,
) -> io::Result<Result<Vec<u8>, FileError>> {
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
pub(super) fn with_retries<T>(
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
pub(super) const OFFICE_MANIFESTS: [&str; 2] = ["[Content_Types].xml", "mimetype"];

pub(super) fn is_office_document<R: Read + Seek>(archive: &zip::ZipArchive<R>) -> bool {
    OFFICE_MANIFESTS
        .iter()
        .any(|m| archive.index_for_name(m).is_some())
}

/// Whether a member is listed at all: not a folder entry, and not hidden unless `hidden`.
///
/// An unsafe name (see [`bad_name`]) is always listed, to be reported: `..\..\x.xml` starts
/// with a dot, and `.h/../../x.xml` has a hidden folder, yet neither is a hidden file.
pub(super) fn listed(name: &str, hidden: bool) -> bool {
    !name.ends_with('/') && (hidden || !is_hidden_member(name) || bad_name(name).is_some())
}

/// A member name that would escape an extraction folder (`..`, absolute, a drive letter) or
/// hides a NUL. batchimp never extracts, but such an archive is hostile and is reported. A name
/// over [`crate::schema::MAX_NAME_BYTES`] is hostile too (`value_too_long`): never read.
pub(super) fn bad_name(name: &str) -> Option<FileError> {
    if name.len() > crate::schema::MAX_NAME_BYTES {
        return Some(crate::schema::value_too_long(
            "the member's name",
            name,
            crate::schema::MAX_NAME_BYTES,
        ));
    }
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

pub(super) fn is_hidden(name: &OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

pub(super) fn is_hidden_member(name: &str) -> bool {
    name.split('/')
        .any(|c| c.starts_with('.') && c != "." && c != "..")
}

pub(super) fn ratio_bomb(size: u64, compressed: u64, limits: &Limits) -> FileError {
    FileError::new(
        ErrorType::ZipBomb,
        format!(
            "member inflates more than {}:1 ({compressed} compressed bytes to {size})",
            limits.max_ratio
        ),
    )
}

pub(super) fn encrypted() -> FileError {
    FileError::new(
        ErrorType::ZipEncrypted,
        "encrypted ZIP member; batchimp reads no passwords",
    )
}

pub(super) fn corrupt_member(e: zip::result::ZipError) -> FileError {
    FileError::new(
        ErrorType::ZipCorrupt,
        format!("cannot read ZIP member: {e}"),
    )
}

pub(super) fn too_large(size: u64, limits: &Limits) -> FileError {
    FileError::new(
        ErrorType::TooLarge,
        format!(
            "{size} bytes, over --max-file-size ({} bytes)",
            limits.max_file_size
        ),
    )
}

pub(super) fn io_error(e: io::Error) -> FileError {
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
    pub(super) fn new(file: File, len: u64) -> SharedFile {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        // Unsafe names are listed (to be reported) even when they look hidden.
        for listed_anyway in ["..\\..\\x.xml", ".h/../../x.xml", ".h\\..\\x.xml"] {
            assert!(listed(listed_anyway, false), "{listed_anyway:?}");
        }
        assert!(!listed(".h/x.xml", false));
        assert!(!listed("..a.xml", false));
    }
}
