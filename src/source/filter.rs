//! Which walked files a run takes: the origins the ledger already holds ([`OriginSet`], with
//! what was [`Recorded`] about each) and the [`Filter`] that decides, for `run`, `resume` and
//! `retry`, whether a file is read, skipped or verified. Kept apart from the walk itself so the
//! rules for skipping a file can be read in one place.

use super::*;

/// Origins the ledger holds for a batch, keyed by a 128-bit hash (16 bytes per file however long
/// its path, with no realistic chance of a collision), with what was recorded about each.
///
/// The hash is SipHash-1-3 under keys drawn for this set, in one pass over the origin; the map
/// then takes its low 64 bits as they are (hashing a hash again is work for nothing, and with
/// secret keys no file name can be chosen to crowd one bucket).
pub struct OriginSet {
    keys: (u64, u64),
    map: HashMap<u128, Recorded, std::hash::BuildHasherDefault<Low64>>,
}

impl Default for OriginSet {
    fn default() -> OriginSet {
        use std::hash::BuildHasher;
        let random = std::collections::hash_map::RandomState::new();
        OriginSet {
            keys: (random.hash_one(1u8), random.hash_one(2u8)),
            map: HashMap::default(),
        }
    }
}

/// A map hasher for keys that are hashes already: their low 64 bits.
#[derive(Default)]
struct Low64(u64);

impl Hasher for Low64 {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used by `u128` keys; any other key still gets every byte mixed in.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64;
    }
}

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
    /// The key of an origin as the ledger stores it (cut when it is very long, see
    /// [`crate::ledger::stored_origin`]): a walked origin finds the row recorded for it.
    fn key(&self, origin: &str) -> u128 {
        use siphasher::sip128::Hasher128;
        let origin = crate::ledger::stored_origin(origin);
        let mut h = siphasher::sip128::SipHasher13::new_with_keys(self.keys.0, self.keys.1);
        h.write(origin.as_bytes());
        h.finish128().as_u128()
    }

    pub fn insert(&mut self, origin: &str, recorded: Recorded) {
        let key = self.key(origin);
        self.map.insert(key, recorded);
    }

    pub fn get(&self, origin: &str) -> Option<&Recorded> {
        self.map.get(&self.key(origin))
    }

    pub fn contains(&self, origin: &str) -> bool {
        self.map.contains_key(&self.key(origin))
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
    /// A new batch (`run` without `--recheck`): a file an earlier batch recorded with the same
    /// size and modification time is `seen` — neither read nor recorded — and counted in
    /// `skipped`. ZIP members, which have no modification time of their own, are always read.
    Unseen {
        seen: OriginSet,
        skipped: std::sync::atomic::AtomicU64,
    },
}

/// What the walk does with one origin.
pub(super) enum Take {
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
            Filter::Unseen { .. } => true,
        }
    }

    /// How many files were left alone as `seen` (see [`Filter::Unseen`]).
    pub fn seen(&self) -> u64 {
        match self {
            Filter::Unseen { skipped, .. } => skipped.load(std::sync::atomic::Ordering::Relaxed),
            _ => 0,
        }
    }

    /// Whether a processed file takes the place of a row the ledger already has for it.
    pub fn replaces(&self, origin: &str) -> bool {
        match self {
            Filter::All => false,
            Filter::Except { recorded, .. } => recorded.contains(origin),
            Filter::Only(set) => set.contains(origin),
            Filter::Unseen { .. } => false,
        }
    }

    /// The decision for an origin; `stat` gives its size and modification time when needed.
    pub(super) fn take(&self, origin: &str, stat: impl FnOnce() -> (u64, Option<i64>)) -> Take {
        match self {
            Filter::All => Take::Yes,
            Filter::Only(set) => {
                if set.contains(origin) {
                    Take::Yes
                } else {
                    Take::No
                }
            }
            Filter::Unseen { seen, skipped } => match seen.get(origin) {
                Some(r) if r.mtime.is_some() && stat() == (r.size, r.mtime) => {
                    skipped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    Take::No
                }
                _ => Take::Yes,
            },
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_member_named_too_long_is_never_read_and_found_by_its_cut_origin() {
        let name = format!("{}ñ.xml", "m".repeat(999));
        assert_eq!(
            bad_name(&name).map(|e| e.error_type),
            Some(ErrorType::ValueTooLong)
        );
        assert!(bad_name(&"m".repeat(996)).is_none());
        // The ledger stores the origin cut (at a character boundary), and a resume finds the
        // row recorded under the cut origin from the whole one; two long origins stay apart.
        let (a, b) = (format!("a.zip!/{name}"), format!("a.zip!/{name}2"));
        let cut = crate::ledger::stored_origin(&a).into_owned();
        assert!(
            cut.len() <= crate::schema::MAX_INDEXED_BYTES,
            "{}",
            cut.len()
        );
        assert!(
            cut.starts_with("a.zip!/mmm") && cut.contains("cut from 1012 bytes"),
            "{cut}"
        );
        assert_eq!(crate::ledger::stored_origin(&cut), cut.as_str());
        assert_ne!(crate::ledger::stored_origin(&b), cut.as_str());
        let mut set = OriginSet::default();
        set.insert(&cut, Recorded::default());
        assert!(set.contains(&a) && !set.contains(&b));
    }
}
