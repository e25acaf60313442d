//! `batchimp get`: an archived original back, byte for byte, to a file or stdout.

use super::{EXIT_FATAL, EXIT_OK};
use crate::cli::GetArgs;
use crate::sink::Target;
use crate::sink::originals::Reader;
use anyhow::{Context, Result};
use std::io::Write;

pub fn get(args: GetArgs) -> Result<u8> {
    let target = Target::parse(&args.db.db, &args.db.schema)?;
    let mut reader = Reader::open(&target)?;
    let found = reader.find(&args.wanted)?;
    if let [one] = found.as_slice() {
        let bytes = reader.bytes(&one.sha256)?;
        match &args.output {
            Some(path) => {
                // Beside the path, then renamed over it: a half-written original is never
                // left where the user asked for it.
                let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
                let mut tmp = tempfile::NamedTempFile::new_in(dir.unwrap_or(".".as_ref()))
                    .with_context(|| format!("cannot write {}", path.display()))?;
                tmp.write_all(&bytes)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                tmp.persist(path)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            None => {
                let mut out = std::io::stdout().lock();
                out.write_all(&bytes)?;
                out.flush()?;
            }
        }
        return Ok(EXIT_OK);
    }
    // Several originals (a resend whose bytes differ): the user picks one by its SHA-256.
    let mut err = std::io::stderr().lock();
    writeln!(
        err,
        "batchimp: {} originals are stored for {}; pass the SHA-256 of the one wanted:",
        found.len(),
        args.wanted
    )?;
    for s in &found {
        let origin = reader.origin(&s.sha256)?.unwrap_or_default();
        let origin = crate::printable::escape(&origin);
        writeln!(err, "{}  {}  {} bytes  {origin}", s.sha256, s.kind, s.size)?;
    }
    Ok(EXIT_FATAL)
}
