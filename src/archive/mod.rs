//! The archive of originals: every distinct file a batch imports (by SHA-256) kept compressed in
//! the database it was imported into, in the `originals` table, so that the database can hand
//! back the fiscal document itself years later (`batchimp get`), not only the fields batchimp
//! read from it. Brazil and Mexico oblige the receiver to keep the XML for five years.
//!
//! Files are compressed on the worker threads, beside parsing (the costly, parallel part); the
//! writer only stores the bytes it is handed. zstd at level 3, with a dictionary for the kinds
//! the binary ships one for ([`DICTIONARIES`]): NF-e are small and say the same tags, names
//! and namespaces every time, which a plain frame must learn again in each file. The
//! `dictionary` column names the one a frame needs (NULL: none); a name this binary does not
//! know is an original a newer batchimp wrote.

pub use crate::format::Archive;
use crate::format::{OTHER_KINDS, XML_KINDS};
use std::cell::RefCell;
use std::sync::OnceLock;

/// How `batchimp reparse` names the files it reads back, in the ledger and the report:
/// `archive:<sha256>` (and its batch's input, `archive:` or `archive:<kind>`). The ledger's
/// per-file rows by this name are what a resumed reparse skips.
pub const ORIGIN_PREFIX: &str = "archive:";

/// The ledger's name for the original `sha256` read back from the archive.
pub fn origin(sha256: &str) -> String {
    format!("{ORIGIN_PREFIX}{sha256}")
}

/// The kinds an original may have, as `--kind` of `export` and `reparse` names them: those
/// `--archive xml` keeps, then those only `--archive all` does.
pub const KINDS: [&str; XML_KINDS.len() + OTHER_KINDS.len()] = {
    let mut all = [""; XML_KINDS.len() + OTHER_KINDS.len()];
    let mut i = 0;
    while i < all.len() {
        all[i] = if i < XML_KINDS.len() {
            XML_KINDS[i]
        } else {
            OTHER_KINDS[i - XML_KINDS.len()]
        };
        i += 1;
    }
    all
};

/// `name` as one of [`KINDS`] (`xml`, which no original has, when it is none of them).
pub fn kind(name: &str) -> &'static str {
    KINDS.into_iter().find(|k| *k == name).unwrap_or("xml")
}

/// How originals are compressed, as the `codec` column names it.
pub const CODEC: &str = "zstd";
/// zstd's level: 3 compresses NF-e several times at several hundred MB/s a core, a small share
/// of parsing's time.
const LEVEL: i32 = 3;

/// A zstd dictionary the binary ships, by the name the `dictionary` column stores. A name is
/// never reused for other bytes: a retrained dictionary is a new name (`nfe-2`), and the old
/// one stays here for the originals it compressed.
pub struct Dictionary {
    pub name: &'static str,
    /// The kind whose new originals it compresses.
    pub kind: &'static str,
    bytes: &'static [u8],
}

/// The dictionaries, trained on the project's own generated documents
/// (`cargo run --release --example gen -- dictionary`; see BENCHMARKS.md for what they gain).
pub const DICTIONARIES: &[Dictionary] = &[Dictionary {
    name: "nfe-1",
    kind: "nfe",
    bytes: include_bytes!("nfe-1.zdict"),
}];

/// A file's compressed bytes and the dictionary they need.
#[derive(Debug, Clone)]
pub struct Packed {
    pub data: Vec<u8>,
    pub dictionary: Option<&'static str>,
}

/// The dictionaries prepared once for compressing (index as in [`DICTIONARIES`]).
fn encoders() -> &'static [zstd::dict::EncoderDictionary<'static>] {
    static PREPARED: OnceLock<Vec<zstd::dict::EncoderDictionary<'static>>> = OnceLock::new();
    PREPARED.get_or_init(|| {
        DICTIONARIES
            .iter()
            .map(|d| zstd::dict::EncoderDictionary::copy(d.bytes, LEVEL))
            .collect()
    })
}

/// The dictionaries prepared once for reading back (index as in [`DICTIONARIES`]).
fn decoders() -> &'static [zstd::dict::DecoderDictionary<'static>] {
    static PREPARED: OnceLock<Vec<zstd::dict::DecoderDictionary<'static>>> = OnceLock::new();
    PREPARED.get_or_init(|| {
        DICTIONARIES
            .iter()
            .map(|d| zstd::dict::DecoderDictionary::copy(d.bytes))
            .collect()
    })
}

/// The compressed original of `bytes`, when `kind` is kept: with the kind's dictionary where
/// there is one. `None` too when compressing fails, which only running out of memory does: the
/// file is imported without it.
pub fn compress(archive: Archive, kind: Option<&str>, bytes: &[u8]) -> Option<Packed> {
    let kind = kind.filter(|k| archive.keeps(k))?;
    let dictionary = DICTIONARIES.iter().position(|d| d.kind == kind);
    with_compressor(dictionary, |c| c.compress(bytes))
        .map(|data| Packed {
            data,
            dictionary: dictionary.map(|i| DICTIONARIES[i].name),
        })
        .inspect_err(|e| tracing::warn!(event = "archive_failed", "cannot compress: {e}"))
        .ok()
}

/// `f` with this thread's compressor for `dictionary` (an index in [`DICTIONARIES`]; `None`:
/// none), made once a thread. A context made for every file cost more than compressing it;
/// and a dictionary is attached, not copied into the context (its tables are larger than an
/// NF-e), which zstd would otherwise do for every file over 8 KB.
fn with_compressor<T>(
    dictionary: Option<usize>,
    f: impl FnOnce(&mut zstd::bulk::Compressor<'static>) -> std::io::Result<T>,
) -> std::io::Result<T> {
    use zstd::zstd_safe::{CParameter, DictAttachPref};
    thread_local! {
        // Slot 0: no dictionary; slot i + 1: dictionary i.
        static SLOTS: RefCell<Vec<Option<zstd::bulk::Compressor<'static>>>> =
            const { RefCell::new(Vec::new()) };
    }
    SLOTS.with(|slots| {
        let mut slots = slots.borrow_mut();
        let slot = dictionary.map_or(0, |i| i + 1);
        if slots.len() <= slot {
            slots.resize_with(slot + 1, || None);
        }
        let compressor = match &mut slots[slot] {
            Some(c) => c,
            empty => {
                let c = match dictionary {
                    None => zstd::bulk::Compressor::new(LEVEL)?,
                    Some(i) => {
                        let mut c =
                            zstd::bulk::Compressor::with_prepared_dictionary(&encoders()[i])?;
                        c.set_parameter(CParameter::ForceAttachDict(DictAttachPref::ForceAttach))?;
                        c
                    }
                };
                empty.insert(c)
            }
        };
        f(compressor)
    })
}

/// The bytes of an original stored as `codec` with `dictionary`, `size` long; why not, as the
/// rest of a sentence that names the original, when this batchimp cannot read it (a codec or
/// dictionary a newer one wrote) or it is damaged.
pub fn decompress(
    codec: &str,
    dictionary: Option<&str>,
    size: usize,
    data: &[u8],
) -> Result<Vec<u8>, String> {
    let newer = || {
        let with = dictionary.map(|d| format!(" with dictionary {d}"));
        format!(
            "is stored as {codec}{}, which this batchimp cannot read (a newer batchimp wrote it)",
            with.unwrap_or_default()
        )
    };
    if codec != CODEC {
        return Err(newer());
    }
    let bytes = match dictionary {
        None => zstd::bulk::decompress(data, size),
        Some(name) => {
            let i = DICTIONARIES
                .iter()
                .position(|d| d.name == name)
                .ok_or_else(newer)?;
            zstd::bulk::Decompressor::with_prepared_dictionary(&decoders()[i])
                .and_then(|mut d| d.decompress(data, size))
        }
    };
    bytes.map_err(|e| format!("is damaged: cannot decompress it ({e})"))
}

/// The statement that stores one original, the same in both databases (an original stored
/// already, by this batch or another, is left as it is).
pub const INSERT: &str = "INSERT INTO originals (sha256, kind, size, codec, dictionary, data)
    VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sha256) DO NOTHING";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_kinds_by_default_pdfs_and_pictures_only_with_all() {
        assert!(Archive::Xml.keeps("nfe") && Archive::Xml.keeps("cfdi"));
        assert!(!Archive::Xml.keeps("pdf") && !Archive::Xml.keeps("catalog"));
        assert!(Archive::All.keeps("image") && !Archive::All.keeps("catalog"));
        assert!(!Archive::Off.keeps("nfe"));
        let packed = compress(Archive::Xml, Some("cfdi"), b"<cfdi:Comprobante/>").unwrap();
        assert_eq!(packed.dictionary, None);
        assert_eq!(
            decompress(CODEC, None, 100, &packed.data).unwrap(),
            b"<cfdi:Comprobante/>"
        );
        assert!(compress(Archive::Xml, Some("xml"), b"<a/>").is_none());
    }

    #[test]
    fn nfe_use_their_dictionary_and_come_back_whole() {
        let xml = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/nfe/nfe-v4-authorized.xml"
        ))
        .unwrap();
        let packed = compress(Archive::Xml, Some("nfe"), &xml).unwrap();
        assert_eq!(packed.dictionary, Some("nfe-1"));
        let plain = zstd::bulk::compress(&xml, LEVEL).unwrap();
        assert!(
            packed.data.len() < plain.len(),
            "{} bytes with the dictionary, {} without",
            packed.data.len(),
            plain.len()
        );
        let back = decompress(CODEC, packed.dictionary, xml.len(), &packed.data).unwrap();
        assert_eq!(back, xml);
        // A frame that needs the dictionary cannot be read without it.
        assert!(decompress(CODEC, None, xml.len(), &packed.data).is_err());
        let newer = decompress(CODEC, Some("nfe-9"), xml.len(), &packed.data).unwrap_err();
        assert!(
            newer.contains("with dictionary nfe-9") && newer.contains("newer"),
            "{newer}"
        );
        assert!(
            decompress("brotli", None, 1, b"")
                .unwrap_err()
                .contains("brotli")
        );
    }
}
