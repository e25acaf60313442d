//! The archive of originals: every distinct file a batch imports (by SHA-256) kept compressed in
//! the database it was imported into, in the `originals` table, so that the database can hand
//! back the fiscal document itself years later (`batchimp get`), not only the fields batchimp
//! read from it. Brazil and Mexico oblige the receiver to keep the XML for five years.
//!
//! Files are compressed on the worker threads, beside parsing (the costly, parallel part); the
//! writer only stores the bytes it is handed. A plain zstd frame at level 3 for now: a
//! dictionary per kind would compress small, repetitive XML further, and the `dictionary`
//! column is there for it (NULL: none).

pub use crate::format::Archive;
use crate::ledger::{Processed, Status};

/// How `batchimp reparse` names the files it reads back, in the ledger and the report:
/// `archive:<sha256>` (and its batch's input, `archive:` or `archive:<kind>`). The ledger's
/// per-file rows by this name are what a resumed reparse skips.
pub const ORIGIN_PREFIX: &str = "archive:";

/// The ledger's name for the original `sha256` read back from the archive.
pub fn origin(sha256: &str) -> String {
    format!("{ORIGIN_PREFIX}{sha256}")
}

/// The kinds an original may have, as `--kind` of `export` and `reparse` names them.
pub const KINDS: [&str; 8] = [
    "nfe",
    "cfdi",
    "retenciones",
    "cte",
    "mdfe",
    "nfse",
    "pdf",
    "image",
];

/// `name` as one of [`KINDS`] (`xml`, which no original has, when it is none of them).
pub fn kind(name: &str) -> &'static str {
    KINDS.into_iter().find(|k| *k == name).unwrap_or("xml")
}

/// How originals are compressed, as the `codec` column names it.
pub const CODEC: &str = "zstd";
/// zstd's level: 3 compresses NF-e about 3× at several hundred MB/s a core, a small share of
/// parsing's time.
const LEVEL: i32 = 3;

/// The compressed original of `bytes` (a zstd frame), when `kind` is kept. `None` too when
/// compressing fails, which only running out of memory does: the file is imported without it.
pub fn compress(archive: Archive, kind: Option<&str>, bytes: &[u8]) -> Option<Vec<u8>> {
    if !kind.is_some_and(|k| archive.keeps(k)) {
        return None;
    }
    zstd::bulk::compress(bytes, LEVEL)
        .inspect_err(|e| tracing::warn!(event = "archive_failed", "cannot compress: {e}"))
        .ok()
}

/// What a sink stores of `file`, recorded with `status`: its SHA-256, kind and compressed
/// bytes. Only files whose documents were written or met a stored copy (`imported`,
/// `duplicate`); the same bytes again add nothing (the SHA-256 is the table's key).
pub fn to_store(file: &Processed, status: Status) -> Option<(&str, &'static str, &[u8])> {
    if !matches!(status, Status::Imported | Status::Duplicate) {
        return None;
    }
    Some((
        file.sha256.as_deref()?,
        file.kind?,
        file.original.as_deref()?,
    ))
}

/// The statement that stores one original, the same in both databases (an original stored
/// already, by this batch or another, is left as it is).
pub const INSERT: &str = "INSERT INTO originals (sha256, kind, size, codec, data)
    VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_kinds_by_default_pdfs_and_pictures_only_with_all() {
        assert!(Archive::Xml.keeps("nfe") && Archive::Xml.keeps("cfdi"));
        assert!(!Archive::Xml.keeps("pdf") && !Archive::Xml.keeps("catalog"));
        assert!(Archive::All.keeps("image") && !Archive::All.keeps("catalog"));
        assert!(!Archive::Off.keeps("nfe"));
        let frame = compress(Archive::Xml, Some("nfe"), b"<nfeProc/>").unwrap();
        assert_eq!(zstd::bulk::decompress(&frame, 10).unwrap(), b"<nfeProc/>");
        assert!(compress(Archive::Xml, Some("xml"), b"<a/>").is_none());
    }
}
