//! The archive of originals: every distinct file a batch imports (by SHA-256) kept compressed in
//! the database it was imported into, in the `originals` table, so that the database can hand
//! back the fiscal document itself years later (`batchimp get`), not only the fields batchimp
//! read from it. Brazil and Mexico oblige the receiver to keep the XML for five years.
//!
//! Files are compressed on the worker threads, beside parsing (the costly, parallel part); the
//! writer only stores the bytes it is handed. A signed document's certificate is first taken
//! out and kept once for all the documents that carry it ([`shared`]), the rest compressed
//! with zstd at level 1, with a dictionary for the kinds
//! the binary ships one for ([`DICTIONARIES`]): NF-e are small and say the same tags, names
//! and namespaces every time, which a plain frame must learn again in each file. The
//! `dictionary` column names the one a frame needs (NULL: none); a name this binary does not
//! know is an original a newer batchimp wrote.

mod shared;

pub use crate::format::Archive;
use crate::format::{OTHER_KINDS, XML_KINDS};
pub use shared::{Known, Part, Parts};
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

/// How originals are compressed, as the `codec` column names it: `data` is a zstd frame of
/// the original.
pub const CODEC: &str = "zstd";
/// Or a zstd frame of the original without its shared parts, which the `shared` column places
/// (see [`shared`]). An older batchimp, which does not know this name, says a newer one wrote
/// the original rather than misread it.
pub const CODEC_SHARED: &str = "zstd-shared";
/// zstd's level: with the dictionary, 1 stores an NF-e without its certificate 8 to 9 times
/// smaller at over 500 MB/s a core; 3 gains 4% more for a third more time (BENCHMARKS.md).
const LEVEL: i32 = 1;

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

/// A file's compressed bytes, the dictionary they need and the parts taken out before.
#[derive(Debug, Clone)]
pub struct Packed {
    pub data: Vec<u8>,
    pub dictionary: Option<&'static str>,
    pub parts: Vec<Part>,
}

impl Packed {
    /// The `codec` column.
    pub fn codec(&self) -> &'static str {
        if self.parts.is_empty() {
            CODEC
        } else {
            CODEC_SHARED
        }
    }

    /// The `shared` column: where the parts go (`None`: none taken out).
    pub fn shared(&self) -> Option<String> {
        shared::column(&self.parts)
    }
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
    let spans = if XML_KINDS.contains(&kind) {
        shared::find(bytes)
    } else {
        Vec::new()
    };
    // A file with nothing to share is compressed as it is, not copied first.
    let (rest, parts) = if spans.is_empty() {
        (None, Vec::new())
    } else {
        let (rest, parts) = shared::split(bytes, &spans);
        (Some(rest), parts)
    };
    with_compressor(dictionary, |c| c.compress(rest.as_deref().unwrap_or(bytes)))
        .map(|mut data| {
            // zstd asked for room for the worst case, the file's size: a file waiting for
            // its transaction holds only what it needs.
            data.shrink_to_fit();
            data
        })
        .map(|data| Packed {
            data,
            dictionary: dictionary.map(|i| DICTIONARIES[i].name),
            parts,
        })
        .inspect_err(|e| tracing::warn!(event = "archive_failed", "cannot compress: {e}"))
        .ok()
}

/// `f` with this thread's compressor for `dictionary` (an index in [`DICTIONARIES`]; `None`:
/// none), made once a thread: a context made for every file cost more than compressing it.
/// Whether the dictionary's tables are copied into the context for a file or only referred
/// to is zstd's choice: at level 1 the tables are small and copying them is the faster (at
/// level 3 it was not: forcing the reference halved the time there).
fn with_compressor<T>(
    dictionary: Option<usize>,
    f: impl FnOnce(&mut zstd::bulk::Compressor<'static>) -> std::io::Result<T>,
) -> std::io::Result<T> {
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
                    Some(i) => zstd::bulk::Compressor::with_prepared_dictionary(&encoders()[i])?,
                };
                empty.insert(c)
            }
        };
        f(compressor)
    })
}

/// How an original is stored: its `originals` row but its key and kind.
#[derive(Debug, Clone, Copy)]
pub struct Stored<'a> {
    pub codec: &'a str,
    pub dictionary: Option<&'a str>,
    /// The original's size.
    pub size: usize,
    pub data: &'a [u8],
    pub shared: Option<&'a str>,
}

/// The bytes of an original stored as `stored` says, its shared parts taken from `parts`; why
/// not, as the rest of a sentence that names the original, when this batchimp cannot read it
/// (a codec or dictionary a newer one wrote) or it is damaged.
pub fn decompress(stored: Stored<'_>, parts: &Parts) -> Result<Vec<u8>, String> {
    let Stored {
        codec,
        dictionary,
        size,
        data,
        shared,
    } = stored;
    let newer = || {
        let with = dictionary.map(|d| format!(" with dictionary {d}"));
        format!(
            "is stored as {codec}{}, which this batchimp cannot read (a newer batchimp wrote it)",
            with.unwrap_or_default()
        )
    };
    let shared = match (codec, shared) {
        (CODEC, _) => None,
        (CODEC_SHARED, Some(shared)) => Some(shared),
        (CODEC_SHARED, None) => return Err("is damaged: its shared parts are not listed".into()),
        _ => return Err(newer()),
    };
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
    // Without its parts the frame is smaller than the original: `size` is room enough.
    let bytes = bytes.map_err(|e| format!("is damaged: cannot decompress it ({e})"))?;
    match shared {
        None => Ok(bytes),
        Some(column) => parts.join(bytes, column),
    }
}

/// The statement that stores one original, the same in both databases (an original stored
/// already, by this batch or another, is left as it is).
pub const INSERT: &str =
    "INSERT INTO originals (sha256, kind, size, codec, dictionary, data, shared)
    VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sha256) DO NOTHING";

/// The statement that stores one shared part (one stored already is left as it is).
pub const INSERT_PART: &str = "INSERT INTO original_parts (sha256, size, data)
    VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING";

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
        let row = (packed, None);
        assert_eq!(
            decompress(stored(CODEC, None, 100, &row), &Parts::default()).unwrap(),
            b"<cfdi:Comprobante/>"
        );
        assert!(compress(Archive::Xml, Some("xml"), b"<a/>").is_none());
    }

    #[test]
    fn nfe_use_their_dictionary_and_come_back_whole() {
        let xml = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/nfe/nfe-v4-authorized.xml"
        ))
        .unwrap();
        // Signed, as every NF-e a receiver gets is: the issuer's certificate inside.
        let certificate: String = (0..1600u32)
            .map(|i| {
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                    [(i * 37 + i / 7) as usize % 64] as char
            })
            .collect();
        let signature = format!(
            "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><KeyInfo><X509Data>\
             <X509Certificate>{certificate}</X509Certificate></X509Data></KeyInfo></Signature></NFe>"
        );
        let xml = xml.replacen("</NFe>", &signature, 1).into_bytes();
        let packed = compress(Archive::Xml, Some("nfe"), &xml).unwrap();
        assert_eq!(packed.dictionary, Some("nfe-1"));
        // Its certificate was taken out, to be stored once.
        assert_eq!((packed.codec(), packed.parts.len()), (CODEC_SHARED, 1));
        let cert = &packed.parts[0].bytes;
        assert!(cert.len() > 1000 && xml.windows(cert.len()).any(|w| w == cert));
        let plain = zstd::bulk::compress(&xml, LEVEL).unwrap();
        assert!(
            packed.data.len() * 2 < plain.len(),
            "{} bytes with the dictionary and no certificate, {} without",
            packed.data.len(),
            plain.len()
        );
        let mut parts = Parts::default();
        for p in &packed.parts {
            parts.insert(p.sha256.clone(), p.bytes.clone());
        }
        let size = xml.len();
        let shared = packed.shared();
        let packed = (packed, shared);
        let back = decompress(
            stored(CODEC_SHARED, packed.0.dictionary, size, &packed),
            &parts,
        );
        assert_eq!(back.unwrap(), xml);
        // Without its part, or the dictionary, or read as a whole frame: never other bytes.
        let none = Parts::default();
        let dict = packed.0.dictionary;
        assert!(decompress(stored(CODEC_SHARED, dict, size, &packed), &none).is_err());
        assert!(decompress(stored(CODEC_SHARED, None, size, &packed), &parts).is_err());
        let whole = decompress(stored(CODEC, dict, size, &packed), &parts).unwrap();
        assert_ne!(whole, xml);
        let newer = stored(CODEC_SHARED, Some("nfe-9"), size, &packed);
        let newer = decompress(newer, &parts).unwrap_err();
        assert!(
            newer.contains("with dictionary nfe-9") && newer.contains("newer"),
            "{newer}"
        );
        let brotli = stored("brotli", None, 1, &packed);
        assert!(decompress(brotli, &parts).unwrap_err().contains("brotli"));
    }

    fn stored<'a>(
        codec: &'a str,
        dictionary: Option<&'a str>,
        size: usize,
        packed: &'a (Packed, Option<String>),
    ) -> Stored<'a> {
        Stored {
            codec,
            dictionary,
            size,
            data: &packed.0.data,
            shared: packed.1.as_deref(),
        }
    }
}
