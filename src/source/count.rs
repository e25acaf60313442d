//! Counting the files a walk will produce, cheaply and beside the real walk, so that progress
//! has a total. Kept apart from the [`super::Walker`] because it reads nothing and never
//! decides what is taken.

use super::*;

/// Counts the jobs a walk will produce, without reading files (ZIP members from the central
/// directory), adding them to `found` as it goes. Gives progress a total: nested ZIPs, and a
/// ZIP not named `.zip`, count as one (only `.zip` names are looked at, so the count stats no
/// file: it runs beside the real walk and must cost little). `None` when `keep_going` said to
/// stop first.
pub fn count(
    inputs: &[PathBuf],
    opts: &WalkOptions,
    found: &AtomicU64,
    keep_going: &dyn Fn() -> bool,
) -> Option<u64> {
    let mut total = 0;
    for input in inputs {
        for entry in walk_dir(input, opts.hidden).flatten() {
            if !keep_going() {
                return None;
            }
            if entry.file_type().is_dir() || opts.own.skips(entry.path(), entry.file_name()) {
                continue;
            }
            let n = if named_zip(entry.file_name()) {
                zip_members(entry.path(), opts.hidden).unwrap_or(1)
            } else {
                1
            };
            total += n;
            found.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        }
    }
    Some(total)
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
