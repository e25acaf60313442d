//! A ZIP's central directory read in place, record by record, and its members read by offset.
//!
//! SAT and SEFAZ downloads are ZIPs of hundreds of thousands of members. A directory parsed
//! whole into memory (the zip crate keeps ~550 bytes a member) grew with the download: 80 MiB
//! for 100,000 NF-e, half a gigabyte for a million. Here the walker streams the records once,
//! keeping only what orders the members (their names, in one buffer, until sorted) and each
//! record's offset; a worker re-reads the one record it needs (from the page cache) and inflates
//! the member with positional reads on the shared file, so members inflate on every worker at
//! once.
//!
//! Members whose bytes overlap (David Fifield's "better zip bomb": thousands of records pointing
//! at one member, or each member's data quoting the next one's header) are told from the
//! directory alone, before anything is inflated: see [`overlap`].
//!
//! Nested ZIPs (inflated in memory) and archives whose directory cannot be found or read still
//! go through the zip crate: they are small, or damaged and recovered member by member.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::fs::FileExt;

const EOCD: u32 = 0x0605_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const ZIP64_EOCD: u32 = 0x0606_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const LOCAL: u32 = 0x0403_4b50;
/// Fixed part of a central directory record.
const CENTRAL_LEN: usize = 46;
/// Fixed part of a local file header.
const LOCAL_LEN: usize = 30;

/// Where the central directory is.
#[derive(Debug, Clone, Copy)]
pub struct Directory {
    pub offset: u64,
    pub size: u64,
    pub entries: u64,
}

/// A member, as its central directory record describes it.
#[derive(Debug)]
pub struct Entry {
    pub name: String,
    /// General purpose flags: bit 0 encrypted.
    pub flags: u16,
    pub method: u16,
    pub crc32: u32,
    pub compressed: u64,
    pub size: u64,
    /// Where its local header starts.
    pub local_offset: u64,
    /// The length of its name as stored (bytes, before decoding).
    pub name_len: u64,
}

impl Entry {
    pub fn encrypted(&self) -> bool {
        self.flags & 1 != 0
    }

    /// The bytes its local header and data take at least, `[start, end)`: the header's fixed
    /// part, the name as the directory gives it, and the compressed data. The local extra field
    /// and a data descriptor are left out (the extra field may differ from the directory's), so
    /// a span is never longer than what the member really takes.
    pub fn span(&self) -> (u64, u64) {
        let len = (LOCAL_LEN as u64)
            .saturating_add(self.name_len)
            .saturating_add(self.compressed);
        (self.local_offset, self.local_offset.saturating_add(len))
    }
}

/// Two members whose bytes overlap, if any, among `spans` (`(start, end, record offset)`, from
/// [`Entry::span`]): the records of the first pair found. Sorted by start, any overlap shows
/// between neighbours. A ZIP's members never share bytes; only a bomb makes them, to inflate
/// one member's data many times over.
pub fn overlap(spans: &mut [(u64, u64, u64)]) -> Option<(u64, u64)> {
    spans.sort_unstable();
    spans
        .windows(2)
        .find(|w| w[1].0 < w[0].1)
        .map(|w| (w[0].2, w[1].2))
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// An error reading the directory: a message (the archive is damaged or not a ZIP), or I/O.
pub enum Error {
    Damaged(String),
    Io(io::Error),
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            Error::Damaged("ends inside its own structures".into())
        } else {
            Error::Io(e)
        }
    }
}

fn damaged(msg: impl Into<String>) -> Error {
    Error::Damaged(msg.into())
}

/// Find the central directory from the end-of-central-directory record (ZIP64 too).
pub fn locate(file: &File, len: u64) -> Result<Directory, Error> {
    let tail_len = len.min(22 + 65_535);
    let tail_start = len - tail_len;
    let mut tail = vec![0; tail_len as usize];
    file.read_exact_at(&mut tail, tail_start)?;
    let at = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&p| u32_at(&tail, p) == EOCD)
        .ok_or_else(|| damaged("no end-of-central-directory record"))?;
    let eocd = &tail[at..];
    if u16_at(eocd, 4) != 0 || u16_at(eocd, 6) != 0 {
        return Err(damaged("a multi-disk (split) archive"));
    }
    if u16_at(eocd, 8) != u16_at(eocd, 10) {
        return Err(damaged(
            "its end record gives two entry counts that disagree",
        ));
    }
    let mut dir = Directory {
        entries: u64::from(u16_at(eocd, 10)),
        size: u64::from(u32_at(eocd, 12)),
        offset: u64::from(u32_at(eocd, 16)),
    };
    let eocd_offset = tail_start + at as u64;
    let zip64 = dir.entries == 0xFFFF || dir.size == 0xFFFF_FFFF || dir.offset == 0xFFFF_FFFF;
    if zip64 && at >= 20 && u32_at(&tail, at - 20) == ZIP64_LOCATOR {
        let record_offset = u64_at(&tail, at - 20 + 8);
        let mut record = [0u8; 56];
        file.read_exact_at(&mut record, record_offset)?;
        if u32_at(&record, 0) != ZIP64_EOCD {
            return Err(damaged("a ZIP64 locator pointing at no ZIP64 record"));
        }
        dir = Directory {
            entries: u64_at(&record, 32),
            size: u64_at(&record, 40),
            offset: u64_at(&record, 48),
        };
    }
    if dir
        .offset
        .checked_add(dir.size)
        .is_none_or(|end| end > eocd_offset)
    {
        return Err(damaged("central directory outside the archive"));
    }
    if dir.entries == 0 && dir.size > 0 {
        return Err(damaged(
            "a central directory of records its end record counts as none",
        ));
    }
    Ok(dir)
}

/// Parse the record at the start of `buf`: the entry and the record's length, or `None` when
/// `buf` does not hold the whole record yet.
fn parse_record(buf: &[u8]) -> Result<Option<(Entry, usize)>, Error> {
    if buf.len() < CENTRAL_LEN {
        return Ok(None);
    }
    if u32_at(buf, 0) != CENTRAL {
        return Err(damaged("a central directory record without its signature"));
    }
    let name_len = usize::from(u16_at(buf, 28));
    let extra_len = usize::from(u16_at(buf, 30));
    let comment_len = usize::from(u16_at(buf, 32));
    let total = CENTRAL_LEN + name_len + extra_len + comment_len;
    if buf.len() < total {
        return Ok(None);
    }
    let flags = u16_at(buf, 8);
    let raw_name = &buf[CENTRAL_LEN..CENTRAL_LEN + name_len];
    let mut entry = Entry {
        name: decode_name(raw_name, flags & 0x800 != 0),
        flags,
        method: u16_at(buf, 10),
        crc32: u32_at(buf, 16),
        compressed: u64::from(u32_at(buf, 20)),
        size: u64::from(u32_at(buf, 24)),
        local_offset: u64::from(u32_at(buf, 42)),
        name_len: name_len as u64,
    };
    // ZIP64 extended information: the 8-byte values whose 4-byte fields are all ones, in order.
    let mut extra = &buf[CENTRAL_LEN + name_len..CENTRAL_LEN + name_len + extra_len];
    while extra.len() >= 4 {
        let (id, len) = (u16_at(extra, 0), usize::from(u16_at(extra, 2)));
        let Some(body) = extra.get(4..4 + len) else {
            break;
        };
        if id == 0x0001 {
            let mut values = body.chunks_exact(8).map(|c| u64_at(c, 0));
            for field in [
                &mut entry.size,
                &mut entry.compressed,
                &mut entry.local_offset,
            ] {
                if *field == 0xFFFF_FFFF {
                    *field = values
                        .next()
                        .ok_or_else(|| damaged("a ZIP64 field missing its value"))?;
                }
            }
        }
        extra = &extra[4 + len..];
    }
    Ok(Some((entry, total)))
}

/// Names are UTF-8 when flagged so (bit 11), else IBM code page 437, what Windows tools write.
fn decode_name(raw: &[u8], utf8: bool) -> String {
    if utf8 || raw.is_ascii() {
        return String::from_utf8_lossy(raw).into_owned();
    }
    raw.iter()
        .map(|&b| {
            if b < 0x80 {
                char::from(b)
            } else {
                CP437_HIGH[usize::from(b - 0x80)]
            }
        })
        .collect()
}

/// The upper half of code page 437.
const CP437_HIGH: [char; 128] = [
    'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', 'É', 'æ', 'Æ',
    'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', '¢', '£', '¥', '₧', 'ƒ', 'á', 'í', 'ó', 'ú', 'ñ', 'Ñ',
    'ª', 'º', '¿', '⌐', '¬', '½', '¼', '¡', '«', '»', '░', '▒', '▓', '│', '┤', '╡', '╢', '╖', '╕',
    '╣', '║', '╗', '╝', '╜', '╛', '┐', '└', '┴', '┬', '├', '─', '┼', '╞', '╟', '╚', '╔', '╩', '╦',
    '╠', '═', '╬', '╧', '╨', '╤', '╥', '╙', '╘', '╒', '╓', '╫', '╪', '┘', '┌', '█', '▄', '▌', '▐',
    '▀', 'α', 'ß', 'Γ', 'π', 'Σ', 'σ', 'µ', 'τ', 'Φ', 'Θ', 'Ω', 'δ', '∞', 'φ', 'ε', '∩', '≡', '±',
    '≥', '≤', '⌠', '⌡', '÷', '≈', '°', '∙', '·', '√', 'ⁿ', '²', '■', '\u{a0}',
];

/// Positional reads of a byte range of the shared file.
pub struct RangeReader<'a> {
    file: &'a File,
    pos: u64,
    end: u64,
}

impl<'a> RangeReader<'a> {
    pub fn new(file: &'a File, start: u64, len: u64) -> RangeReader<'a> {
        RangeReader {
            file,
            pos: start,
            end: start.saturating_add(len),
        }
    }
}

impl Read for RangeReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = (self.end - self.pos).min(buf.len() as u64) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.pos += n as u64;
        Ok(n)
    }
}

/// Every record of the directory in order: `f(record offset, entry)`, until it returns false.
pub fn for_each(
    file: &File,
    dir: &Directory,
    mut f: impl FnMut(u64, Entry) -> bool,
) -> Result<(), Error> {
    let mut reader =
        BufReader::with_capacity(256 * 1024, RangeReader::new(file, dir.offset, dir.size));
    let mut offset = dir.offset;
    let mut record = Vec::new();
    for _ in 0..dir.entries {
        // A record is at most 46 + 3 × 65,535 bytes; buffer until it is whole.
        record.clear();
        loop {
            let entry = parse_record(&record)?;
            if let Some((entry, len)) = entry {
                if !f(offset, entry) {
                    return Ok(());
                }
                offset += len as u64;
                break;
            }
            let available = reader.fill_buf()?;
            if available.is_empty() {
                return Err(damaged("central directory shorter than its entry count"));
            }
            let wanted = needed(&record).min(available.len());
            record.extend_from_slice(&available[..wanted]);
            reader.consume(wanted);
        }
    }
    Ok(())
}

/// How many more bytes the record being buffered needs.
fn needed(record: &[u8]) -> usize {
    if record.len() < CENTRAL_LEN {
        return CENTRAL_LEN - record.len();
    }
    let total = CENTRAL_LEN
        + usize::from(u16_at(record, 28))
        + usize::from(u16_at(record, 30))
        + usize::from(u16_at(record, 32));
    total - record.len()
}

/// The record at `offset`, re-read by the worker that loads its member.
pub fn entry_at(file: &File, offset: u64) -> Result<Entry, Error> {
    let mut fixed = [0u8; CENTRAL_LEN];
    file.read_exact_at(&mut fixed, offset)?;
    let mut record = fixed.to_vec();
    record.resize(CENTRAL_LEN + needed(&fixed), 0);
    file.read_exact_at(&mut record[CENTRAL_LEN..], offset + CENTRAL_LEN as u64)?;
    parse_record(&record)?
        .map(|(entry, _)| entry)
        .ok_or_else(|| damaged("a truncated central directory record"))
}

/// Where a member's data starts: after its local header, whose name and extra field lengths
/// may differ from the directory's.
pub fn data_offset(file: &File, entry: &Entry) -> Result<u64, Error> {
    let mut header = [0u8; LOCAL_LEN];
    file.read_exact_at(&mut header, entry.local_offset)?;
    if u32_at(&header, 0) != LOCAL {
        return Err(damaged("a member whose local header is missing"));
    }
    Ok(entry.local_offset
        + LOCAL_LEN as u64
        + u64::from(u16_at(&header, 26))
        + u64::from(u16_at(&header, 28)))
}

/// A reader of a member's inflated bytes (stored, deflate, deflate64).
pub fn inflate<'a>(file: &'a File, entry: &Entry, start: u64) -> Result<Box<dyn Read + 'a>, Error> {
    // One read takes a typical member whole; a buffer sized to it, not 64 KiB, costs no zeroing
    // of bytes never read.
    let capacity = usize::try_from(entry.compressed).map_or(64 * 1024, |c| c.clamp(512, 64 * 1024));
    let raw = BufReader::with_capacity(capacity, RangeReader::new(file, start, entry.compressed));
    Ok(match entry.method {
        0 => Box::new(raw),
        8 => Box::new(flate2::bufread::DeflateDecoder::new(raw)),
        9 => Box::new(deflate64::Deflate64Decoder::new(raw)),
        m => return Err(damaged(format!("compression method {m} is not supported"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_file(
        members: &[(&str, &[u8])],
        method: zip::CompressionMethod,
    ) -> tempfile::NamedTempFile {
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        {
            let mut zip = zip::ZipWriter::new(tmp.as_file_mut());
            let opts = zip::write::SimpleFileOptions::default().compression_method(method);
            for (name, body) in members {
                zip.start_file(*name, opts).unwrap();
                zip.write_all(body).unwrap();
            }
            zip.finish().unwrap();
        }
        tmp
    }

    fn read_all(file: &File) -> Vec<(String, Vec<u8>)> {
        let len = file.metadata().unwrap().len();
        let Ok(dir) = locate(file, len) else {
            panic!("not a ZIP")
        };
        let mut offsets = Vec::new();
        assert!(
            for_each(file, &dir, |o, _| {
                offsets.push(o);
                true
            })
            .is_ok()
        );
        offsets
            .into_iter()
            .map(|o| {
                let Ok(e) = entry_at(file, o) else {
                    panic!("record")
                };
                let Ok(start) = data_offset(file, &e) else {
                    panic!("header")
                };
                let Ok(mut r) = inflate(file, &e, start) else {
                    panic!("method")
                };
                let mut out = Vec::new();
                r.read_to_end(&mut out).unwrap();
                assert_eq!(crc32fast::hash(&out), e.crc32);
                assert_eq!(out.len() as u64, e.size);
                (e.name, out)
            })
            .collect()
    }

    #[test]
    fn reads_what_the_zip_crate_writes() {
        let body = "<nfeProc>São Paulo</nfeProc>".repeat(500);
        for method in [
            zip::CompressionMethod::Stored,
            zip::CompressionMethod::Deflated,
        ] {
            let tmp = zip_file(
                &[
                    ("a/1.xml", body.as_bytes()),
                    ("b/ç.xml", b""),
                    ("c.xml", b"x"),
                ],
                method,
            );
            let got = read_all(tmp.as_file());
            let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, ["a/1.xml", "b/ç.xml", "c.xml"]);
            assert_eq!(got[0].1, body.as_bytes());
            assert_eq!(got[2].1, b"x");
        }
    }

    #[test]
    fn overlapping_spans_are_found_whatever_their_order() {
        // Apart, or end to end: no overlap.
        assert_eq!(
            overlap(&mut [(100, 200, 2), (0, 100, 1), (200, 230, 3)]),
            None
        );
        // One member's data holding the next one's header, in any record order.
        assert_eq!(overlap(&mut [(50, 90, 2), (0, 100, 1)]), Some((1, 2)));
        // Many records at one header.
        assert_eq!(
            overlap(&mut [(0, 40, 7), (0, 40, 8), (0, 40, 9)]),
            Some((7, 8))
        );
        let tmp = zip_file(
            &[("a.xml", b"abc"), ("b.xml", b"de")],
            zip::CompressionMethod::Stored,
        );
        let file = tmp.as_file();
        let dir = locate(file, file.metadata().unwrap().len()).ok().unwrap();
        let mut spans = Vec::new();
        assert!(
            for_each(file, &dir, |r, e| {
                spans.push((e.span().0, e.span().1, r));
                true
            })
            .is_ok()
        );
        // What the zip crate writes is never flagged: a span ends by the next header.
        assert!(spans[0].1 <= spans[1].0, "{spans:?}");
        assert_eq!(overlap(&mut spans), None);
    }

    #[test]
    fn cp437_names() {
        assert_eq!(decode_name(b"NOTA\x87\x83O.xml", false), "NOTAçâO.xml");
        assert_eq!(decode_name("ação.xml".as_bytes(), true), "ação.xml");
    }

    #[test]
    fn not_a_zip_or_cut_short() {
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        tmp.write_all(b"not a zip at all").unwrap();
        assert!(matches!(locate(tmp.as_file(), 16), Err(Error::Damaged(_))));
        let whole = zip_file(&[("a.xml", b"abc")], zip::CompressionMethod::Deflated);
        let bytes = std::fs::read(whole.path()).unwrap();
        let mut cut = tempfile::NamedTempFile::new().unwrap();
        cut.write_all(&bytes[..bytes.len() - 30]).unwrap();
        let len = (bytes.len() - 30) as u64;
        assert!(matches!(locate(cut.as_file(), len), Err(Error::Damaged(_))));
    }
}
