//! `batchimp export`: a ZIP of archived originals, named by document key, with a manifest.

use super::EXIT_OK;
use crate::cli::ExportArgs;
use crate::sink::Target;
use crate::sink::originals::{Filter, Original, Reader};
use anyhow::{Context, Result};
use std::io::Write;
use zip::write::SimpleFileOptions;

pub fn export(args: ExportArgs) -> Result<u8> {
    let target = Target::parse(&args.db.db, &args.db.schema)?;
    let mut reader = Reader::open(&target)?;
    let filter = Filter {
        kinds: args.kind.iter().map(|k| crate::archive::kind(k)).collect(),
        batch: args.batch,
        since: args.since.map(|w| w.at),
        until: args.until.map(|w| w.at),
        issuer: args.issuer.clone(),
        receiver: args.receiver.clone(),
        cancelled: (args.cancelled || args.not_cancelled).then_some(args.cancelled),
    };
    let path = &args.output;
    let cannot = || format!("cannot write {}", path.display());
    // Beside the path, then renamed over it: a half-written export is never left there.
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let tmp = tempfile::NamedTempFile::new_in(dir.unwrap_or(".".as_ref())).with_context(cannot)?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(tmp));
    let opts = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(false);
    // The manifest, gathered in a temporary file (a line per original) so memory stays flat.
    let mut manifest = std::io::BufWriter::new(tempfile::tempfile().with_context(cannot)?);
    writeln!(manifest, "name,sha256,kind,size,key,origin")?;
    // Originals come sorted by key: the last key named is all a resend's copy is told by.
    let mut last_key = None;
    let mut count = 0u64;
    reader.for_each(&filter, &mut |o: Original| {
        let name = entry_name(&o, &mut last_key);
        zip.start_file(name.as_str(), opts)?;
        zip.write_all(&o.bytes)?;
        let fields = [
            name.as_str(),
            &o.sha256,
            &o.kind,
            &o.bytes.len().to_string(),
            o.key.as_deref().unwrap_or(""),
            o.origin.as_deref().unwrap_or(""),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        writeln!(manifest, "{}", line.join(","))?;
        count += 1;
        Ok(())
    })?;
    zip.start_file("manifest.csv", opts)?;
    let mut manifest = manifest.into_inner().map_err(|e| e.into_error())?;
    use std::io::Seek;
    manifest.rewind()?;
    std::io::copy(&mut manifest, &mut zip)?;
    let tmp = zip
        .finish()?
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(cannot)?;
    tmp.persist(path).with_context(cannot)?;
    eprintln!("batchimp: {count} originals written to {}", path.display());
    Ok(EXIT_OK)
}

/// An original's entry name: its key (several keys joined by `+`), or its SHA-256 when the
/// file has none; the key of the entry before (`last`: originals come sorted by key) gets
/// the SHA-256's first 12 digits. The extension is
/// its origin's (`.xml` when it has none). Only letters, digits, `.`, `-`, `_` and `+` are
/// kept: no entry can climb out of the folder it is unpacked into.
fn entry_name(o: &Original, last: &mut Option<String>) -> String {
    let key = o
        .key
        .as_deref()
        .filter(|k| !k.is_empty())
        .map(|k| k.replace(',', "+"));
    let mut stem = match key {
        Some(k) if last.as_ref() == Some(&k) => format!("{k}-{}", &o.sha256[..12]),
        Some(k) => {
            *last = Some(k.clone());
            k
        }
        None => o.sha256.clone(),
    };
    stem.retain(|c| c.is_ascii_alphanumeric() || "-_+.".contains(c));
    let ext = o
        .origin
        .as_deref()
        .and_then(|p| std::path::Path::new(p).extension())
        .and_then(|e| e.to_str())
        .filter(|e| e.chars().all(|c| c.is_ascii_alphanumeric()) && !e.is_empty())
        .map(str::to_ascii_lowercase)
        .unwrap_or_else(|| "xml".into());
    format!("{stem}.{ext}")
}

/// A CSV field, quoted when it holds a comma, quote or line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}
