//! batchimp's own files, which a walk never reads: the SQLite database and the files SQLite and
//! batchimp keep beside it (`-wal`, `-shm`, `-journal`, `.lock`), the JSON reports, and the log
//! file. Run from the folder it imports (`cd inbox && batchimp run .`), batchimp would
//! otherwise read its lock file as an empty document and count its database and every old
//! report as unsupported, one more each run.
//!
//! Files are told by name first (a cheap comparison on every walked file) and only then by
//! where they are, so a `batchimp.db` in another folder is imported like any file.

use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// What SQLite and batchimp add to a database's name for the files they keep beside it.
const DB_SUFFIXES: [&str; 5] = ["", "-wal", "-shm", "-journal", ".lock"];

/// The files one process writes, by absolute path, and the folder its default reports go to.
#[derive(Debug, Default)]
pub struct OwnFiles {
    /// Exact files: the database and its companions, `--report FILE`, `--log-file`.
    files: Vec<PathBuf>,
    /// Their file names, compared with every walked file's (taken once: a path's name is
    /// parsed from its end on every call).
    names: Vec<OsString>,
    /// Where default reports (`batchimp-report-<batch>.json`, `batchimp-dry-run-report.json`)
    /// are written; `None` when no folder could be resolved.
    reports: Option<PathBuf>,
    /// The own files this process's walks came upon, to say once which were left alone.
    skipped: Mutex<BTreeSet<String>>,
    said: AtomicBool,
}

impl OwnFiles {
    /// The files of a run writing to the SQLite file `db` (`None` for PostgreSQL), its default
    /// reports in `report_dir`, and the `--report` and `--log-file` files given (`None`: none).
    pub fn new(
        db: Option<&Path>,
        report_dir: &Path,
        report: Option<&Path>,
        log: Option<&Path>,
    ) -> OwnFiles {
        let mut files = Vec::new();
        if let Some(db) = db {
            for suffix in DB_SUFFIXES {
                let mut name = db.as_os_str().to_owned();
                name.push(suffix);
                files.extend(resolve(Path::new(&name)));
            }
        }
        files.extend(report.and_then(resolve));
        files.extend(log.and_then(resolve));
        OwnFiles {
            names: files
                .iter()
                .filter_map(|f| f.file_name().map(ToOwned::to_owned))
                .collect(),
            files,
            reports: canonical_dir(report_dir),
            skipped: Mutex::default(),
            said: AtomicBool::new(false),
        }
    }

    /// Whether `path`, a file a walk found (`name`: its file name, as the walk has it), is one
    /// of batchimp's own (remembered, to be said).
    pub fn skips(&self, path: &Path, name: &OsStr) -> bool {
        let by_name = self.names.iter().any(|n| n == name);
        let report_name = is_report_name(name);
        if !by_name && !report_name {
            return false;
        }
        let Some(resolved) = resolve(path) else {
            return false;
        };
        let own = self.files.contains(&resolved)
            || (report_name && resolved.parent() == self.reports.as_deref());
        if own {
            let mut skipped = self.skipped.lock().unwrap_or_else(|e| e.into_inner());
            skipped.insert(path.display().to_string());
        }
        own
    }

    /// The own files skipped so far, comma-separated, the first time it is asked after some
    /// were (a walk says it once; a second walk of the same inputs says nothing new).
    pub fn to_say(&self) -> Option<String> {
        let skipped = self.skipped.lock().unwrap_or_else(|e| e.into_inner());
        if skipped.is_empty() || self.said.swap(true, Ordering::Relaxed) {
            return None;
        }
        Some(skipped.iter().cloned().collect::<Vec<_>>().join(", "))
    }
}

/// The default reports' names: `batchimp-report-<database>-<batch>.json` and
/// `batchimp-dry-run-report-<database>.json`, and those of earlier versions
/// (`batchimp-report-<batch>.json`, `batchimp-dry-run-report.json`).
fn is_report_name(name: &OsStr) -> bool {
    let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
        return false;
    };
    if let Some(rest) = stem.strip_prefix("batchimp-dry-run-report") {
        return rest.is_empty() || rest.len() > 1 && rest.starts_with('-');
    }
    stem.strip_prefix("batchimp-report-")
        .map(|rest| rest.rsplit('-').next().unwrap_or(rest))
        .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

/// A file's path with its folder resolved (links, `..`), the file itself taken by name: it may
/// not exist yet (a report written at the end) and a link there is not what batchimp writes.
fn resolve(path: &Path) -> Option<PathBuf> {
    let name: OsString = path.file_name()?.to_owned();
    Some(canonical_dir(path.parent().unwrap_or(Path::new("")))?.join(name))
}

/// A folder resolved; `""` is the working folder.
fn canonical_dir(dir: &Path) -> Option<PathBuf> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    std::fs::canonicalize(dir).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_names() {
        for (name, is) in [
            ("batchimp-report-1.json", true),
            ("batchimp-report-123.json", true),
            ("batchimp-dry-run-report.json", true),
            ("batchimp-report-fiscal.db-7.json", true),
            ("batchimp-report-erp.batchimp-12.json", true),
            ("batchimp-dry-run-report-fiscal.db.json", true),
            ("batchimp-dry-run-report-.json", false),
            ("batchimp-report-fiscal.db-x.json", false),
            ("batchimp-report-.json", false),
            ("batchimp-report-x.json", false),
            ("report.json", false),
        ] {
            assert_eq!(is_report_name(name.as_ref()), is, "{name}");
        }
    }
}
