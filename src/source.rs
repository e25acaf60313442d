//! Where files come from: folders (walked recursively), ZIP archives (read in place, nested ones
//! too) and single files, all turned into [`Item`]s with an origin users recognise:
//! `folder/file.xml` or `archive.zip!/inner/path.xml`.
//!
//! The walker runs on one thread and feeds a bounded channel, so memory stays flat however many
//! files there are. Problems reading one file become that file's error, not the batch's.

use crate::error::{ErrorType, FileError};
use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::{Path, PathBuf};

/// One file's bytes (or why they could not be read), with its origin.
#[derive(Debug)]
pub struct Item {
    /// `path/to/file.xml`, or `archive.zip!/inner/file.xml` for a ZIP member.
    pub origin: String,
    /// Size in bytes as found on disk or in the archive.
    pub size: u64,
    pub data: Result<Vec<u8>, FileError>,
}

/// How to walk.
#[derive(Debug, Clone, Copy, Default)]
pub struct WalkOptions {
    /// Include files and folders whose names start with a dot.
    pub hidden: bool,
}

/// ZIP files start with a local file header.
pub const ZIP_MAGIC: &[u8; 4] = b"PK\x03\x04";
/// How deep ZIPs may nest inside ZIPs before a member is taken as an opaque file.
const MAX_ZIP_DEPTH: usize = 8;

/// Walks inputs in a stable order (sorted by name), calling `emit` for each file found and
/// `warn` for things that are not files (a symlink loop). Stops early when `emit` returns false.
pub struct Walker<'a> {
    pub opts: WalkOptions,
    pub emit: &'a mut dyn FnMut(Item) -> bool,
    pub warn: &'a mut dyn FnMut(String),
}

impl Walker<'_> {
    /// Walk every input; false when stopped early.
    pub fn walk(&mut self, inputs: &[PathBuf]) -> bool {
        inputs.iter().all(|input| self.walk_input(input))
    }

    fn walk_input(&mut self, input: &Path) -> bool {
        let hidden = self.opts.hidden;
        let walker = walkdir::WalkDir::new(input)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(move |e| hidden || e.depth() == 0 || !is_hidden(e.file_name()));
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    if let Some(ancestor) = err.loop_ancestor() {
                        let path = err.path().unwrap_or(input).display();
                        (self.warn)(format!(
                            "skipping symlink loop: {path} points back to {}",
                            ancestor.display()
                        ));
                        continue;
                    }
                    let origin = err.path().unwrap_or(input).display().to_string();
                    let error = FileError::new(ErrorType::IoError, io_message(err.into()));
                    if !(self.emit)(failed(origin, 0, error)) {
                        return false;
                    }
                    continue;
                }
            };
            if entry.file_type().is_dir() {
                continue;
            }
            if !self.file(entry.path()) {
                return false;
            }
        }
        true
    }

    /// One file on disk: a ZIP is expanded in place, anything else is emitted whole.
    fn file(&mut self, path: &Path) -> bool {
        let origin = path.display().to_string();
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) => return (self.emit)(failed(origin, 0, io_error(e))),
        };
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut bytes = Vec::with_capacity(size as usize);
        let mut head = [0u8; 4];
        let n = match read_up_to(&mut file, &mut head) {
            Ok(n) => n,
            Err(e) => return (self.emit)(failed(origin, size, io_error(e))),
        };
        if &head[..n] == ZIP_MAGIC {
            if let Err(e) = file.rewind() {
                return (self.emit)(failed(origin, size, io_error(e)));
            }
            return self.zip(&origin, size, file, 0);
        }
        bytes.extend_from_slice(&head[..n]);
        let data = file
            .read_to_end(&mut bytes)
            .map(|_| bytes)
            .map_err(io_error);
        (self.emit)(Item { origin, size, data })
    }

    /// Every member of an archive, recursing into ZIPs inside it.
    fn zip<R: Read + Seek>(&mut self, origin: &str, size: u64, reader: R, depth: usize) -> bool {
        let mut archive = match zip::ZipArchive::new(reader) {
            Ok(a) => a,
            Err(e) => {
                let error = FileError::new(ErrorType::ZipCorrupt, format!("cannot open ZIP: {e}"));
                return (self.emit)(failed(origin.to_owned(), size, error));
            }
        };
        if is_office_document(&archive) {
            // An .xlsx/.docx/.odt is a ZIP container, but one document: emit it whole.
            let mut reader = archive.into_inner();
            let mut bytes = Vec::with_capacity(size as usize);
            let data = reader
                .rewind()
                .and_then(|_| reader.read_to_end(&mut bytes))
                .map(|_| bytes)
                .map_err(io_error);
            return (self.emit)(Item {
                origin: origin.to_owned(),
                size,
                data,
            });
        }
        for i in 0..archive.len() {
            let name = archive.name_for_index(i).unwrap_or("?").to_owned();
            let member_origin = format!("{origin}!/{name}");
            if !self.opts.hidden && name.split('/').any(|c| is_hidden(c.as_ref())) {
                continue;
            }
            let (member_size, data) = match archive.by_index(i) {
                Ok(mut member) => {
                    if member.is_dir() {
                        continue;
                    }
                    let member_size = member.size();
                    let mut bytes = Vec::with_capacity(member_size.min(64 << 20) as usize);
                    let data = member.read_to_end(&mut bytes).map(|_| bytes).map_err(|e| {
                        FileError::new(
                            ErrorType::ZipCorrupt,
                            format!("cannot read ZIP member: {e}"),
                        )
                    });
                    (member_size, data)
                }
                Err(e) => {
                    let error = FileError::new(
                        ErrorType::ZipCorrupt,
                        format!("cannot read ZIP member: {e}"),
                    );
                    (0, Err(error))
                }
            };
            let keep_going = match data {
                Ok(bytes) if bytes.starts_with(ZIP_MAGIC) && depth < MAX_ZIP_DEPTH => self.zip(
                    &member_origin,
                    member_size,
                    io::Cursor::new(bytes),
                    depth + 1,
                ),
                data => (self.emit)(Item {
                    origin: member_origin,
                    size: member_size,
                    data,
                }),
            };
            if !keep_going {
                return false;
            }
        }
        true
    }
}

/// Office Open XML and OpenDocument files are ZIPs with a manifest at the root.
fn is_office_document<R: Read + Seek>(archive: &zip::ZipArchive<R>) -> bool {
    archive.index_for_name("[Content_Types].xml").is_some()
        || archive.index_for_name("mimetype").is_some()
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

fn failed(origin: String, size: u64, error: FileError) -> Item {
    Item {
        origin,
        size,
        data: Err(error),
    }
}

fn io_error(e: io::Error) -> FileError {
    FileError::new(ErrorType::IoError, io_message(e))
}

fn io_message(e: io::Error) -> String {
    format!("cannot read: {e}")
}

/// Read into `buf` until it is full or the file ends, retrying interrupted reads.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Counts the files a walk will produce, without reading them (ZIP members from the central
/// directory). Used only to give the progress bar a total; nested ZIPs count as one file.
pub fn count(inputs: &[PathBuf], opts: WalkOptions) -> u64 {
    let mut total = 0;
    for input in inputs {
        let walker = walkdir::WalkDir::new(input)
            .follow_links(true)
            .into_iter()
            .filter_entry(|e| opts.hidden || e.depth() == 0 || !is_hidden(e.file_name()));
        for entry in walker.flatten() {
            if entry.file_type().is_dir() {
                continue;
            }
            total += zip_members(entry.path()).unwrap_or(1);
        }
    }
    total
}

fn zip_members(path: &Path) -> Option<u64> {
    let mut file = File::open(path).ok()?;
    let mut head = [0u8; 4];
    if read_up_to(&mut file, &mut head).ok()? != 4 || &head != ZIP_MAGIC {
        return None;
    }
    file.rewind().ok()?;
    let archive = zip::ZipArchive::new(file).ok()?;
    if is_office_document(&archive) {
        return None;
    }
    Some(archive.file_names().filter(|n| !n.ends_with('/')).count() as u64)
}
