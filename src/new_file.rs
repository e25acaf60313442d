//! Whole files batchimp writes (the JSON report, the HTML report): written to a temporary file
//! in the same folder and renamed over their path only once complete. A rename replaces what
//! is at the path, a symbolic link included, so a link planted where a report goes
//! (`ln -s ~/.bashrc batchimp-report-7.json`) is replaced, never written through; and a
//! reader never sees half a report. Appended files (`--log-file`) are opened without following
//! a link instead (see `log`).

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// A file being written whole: [`NewFile::file`] to write, [`NewFile::commit`] to put it in
/// place. Dropped without a commit, the temporary file is removed and the path left as it was.
pub struct NewFile {
    path: PathBuf,
    out: Out,
}

enum Out {
    /// The usual case: a temporary file beside the path.
    Temporary(tempfile::NamedTempFile),
    /// A device or a pipe the user named (`--report /dev/stdout`, a FIFO): written through,
    /// since it cannot be replaced and holds nothing a rename would protect.
    Device(File),
}

impl NewFile {
    /// Start writing the file that will be at `path`. Fails as creating `path` would (no such
    /// folder, no permission).
    pub fn create(path: &Path) -> io::Result<NewFile> {
        if is_device(path) {
            let file = File::create(path)?;
            return Ok(NewFile {
                path: path.to_owned(),
                out: Out::Device(file),
            });
        }
        let name = path
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let mut prefix = std::ffi::OsString::from(".");
        prefix.push(name);
        prefix.push(".");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        // As File::create makes it (the umask decides), not tempfile's owner-only default: a
        // report is read by whoever reads the folder.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        Ok(NewFile {
            path: path.to_owned(),
            out: Out::Temporary(builder.tempfile_in(dir)?),
        })
    }

    /// Where the file will be.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file to write into.
    pub fn file(&mut self) -> &mut File {
        match &mut self.out {
            Out::Temporary(tmp) => tmp.as_file_mut(),
            Out::Device(file) => file,
        }
    }

    /// Put the written file at its path, replacing what was there (a link is replaced, not
    /// followed).
    pub fn commit(self) -> io::Result<()> {
        match self.out {
            Out::Temporary(tmp) => {
                tmp.as_file().sync_data()?;
                tmp.persist(&self.path).map_err(|e| e.error)?;
            }
            Out::Device(_) => {}
        }
        Ok(())
    }
}

/// Whether `path` names a device or a pipe the user means to write to: under `/dev` (where
/// nobody but root plants links), or a FIFO or a character device itself, not through a link.
pub fn is_device(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if path.starts_with("/dev") {
            return true;
        }
        std::fs::symlink_metadata(path)
            .is_ok_and(|m| m.file_type().is_fifo() || m.file_type().is_char_device())
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_planted_link_is_replaced_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let report = dir.path().join("report.json");
        std::os::unix::fs::symlink(&victim, &report).unwrap();
        let mut new = NewFile::create(&report).unwrap();
        new.file().write_all(b"{}").unwrap();
        new.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(std::fs::read_to_string(&report).unwrap(), "{}");
        assert!(!std::fs::symlink_metadata(&report).unwrap().is_symlink());
        // Nothing left behind, and a file dropped unfinished leaves the path as it was.
        let dropped = NewFile::create(&dir.path().join("other.json")).unwrap();
        drop(dropped);
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["report.json", "victim"]);
    }
}
