//! Shared parts: bytes that many originals hold alike, stored once.
//!
//! An issuer signs every document it issues with the same certificate, for a year or more, and
//! each signed document carries it whole: the X.509 certificate in base64 (`<X509Certificate>`
//! of an XML signature in NF-e, CT-e, MDF-e, NFS-e and their events; `Certificado="..."` of a
//! CFDI or Retenciones). About 1.6 KB of random-looking text that no dictionary knows, it was
//! half of a compressed NF-e. The archive takes it out of the original before compressing,
//! stores it once by its SHA-256 in `original_parts`, and puts it back, byte for byte, where
//! the original's `shared` column says.
//!
//! The cut is made on bytes, not on parsed XML: what is put back is exactly what was taken
//! out, wherever the markers were found, so the original's SHA-256 holds whatever the file is.

use memchr::memmem;
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::LazyLock;

/// A part taken out of an original: where it was, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Where the part begins in the original.
    pub offset: usize,
    /// SHA-256 of `bytes`, in hex: the part's key in `original_parts`.
    pub sha256: String,
    pub bytes: Vec<u8>,
}

/// Shorter spans are left in place: not a certificate, and not worth a lookup.
const MIN_LEN: usize = 256;
/// Longer ones too: a certificate chain is a few kilobytes.
const MAX_LEN: usize = 64 * 1024;
/// At most this many parts a document (a signed document has one or two signatures; a hostile
/// file with thousands keeps them in its own frame).
const MAX_PARTS: usize = 8;

/// The certificates in `xml`, in order and apart: the text of `<X509Certificate>` elements (any
/// prefix) and of `Certificado` attributes, when it is base64 of some length. One pass over the
/// file, for what the two names share.
pub fn find(xml: &[u8]) -> Vec<Range<usize>> {
    static FINDER: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new(b"Certifica"));
    let mut spans: Vec<Range<usize>> = Vec::new();
    for at in FINDER.find_iter(xml) {
        let after = at + b"Certifica".len();
        let span = if xml[..at].ends_with(b"X509") && xml[after..].starts_with(b"te>") {
            element(xml, at - 4, after + 3)
        } else if xml[after..].starts_with(b"do") {
            attribute(xml, at, after + 2)
        } else {
            None
        };
        spans.extend(span);
    }
    spans.retain(|s| (MIN_LEN..=MAX_LEN).contains(&s.len()) && is_base64(&xml[s.clone()]));
    spans.sort_by_key(|s| s.start);
    let mut apart: Vec<Range<usize>> = Vec::with_capacity(spans.len());
    for s in spans {
        if apart.last().is_none_or(|last| last.end <= s.start) && apart.len() < MAX_PARTS {
            apart.push(s);
        }
    }
    apart
}

/// The text of an element named `X509Certificate` (at `name`, its content from `start`), when
/// this is its start tag: `<X509Certificate>` or `<ds:X509Certificate>`, not the end tag.
fn element(xml: &[u8], name: usize, start: usize) -> Option<Range<usize>> {
    // A prefix is short: the look back is bounded, however hostile the file.
    let near = name.saturating_sub(64);
    let open = near
        + xml[near..name]
            .iter()
            .rposition(|&b| b == b'<' || b == b'/')?;
    let prefix = &xml[open + 1..name];
    if xml[open] != b'<' || !prefix.iter().all(|&b| is_name(b) || b == b':') {
        return None;
    }
    let len = memchr::memchr(b'<', &xml[start..])?;
    Some(start..start + len)
}

/// The value of an attribute named `Certificado` (at `name`; `after` is past its name), not
/// `NoCertificado`: a space before it, `=` and a quote after.
fn attribute(xml: &[u8], name: usize, after: usize) -> Option<Range<usize>> {
    if name == 0 || !xml[name - 1].is_ascii_whitespace() {
        return None;
    }
    let skip = |mut i: usize| {
        while xml.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    let i = skip(after);
    if xml.get(i) != Some(&b'=') {
        return None;
    }
    let i = skip(i + 1);
    let quote = *xml.get(i).filter(|&&q| q == b'"' || q == b'\'')?;
    let start = i + 1;
    let len = memchr::memchr(quote, &xml[start..])?;
    Some(start..start + len)
}

fn is_name(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.'
}

/// Whether `text` is base64, with the line breaks and spaces signers wrap it in: its ends and
/// every 61st byte between are looked at (the whole, byte by byte, cost a tenth of what
/// compressing took). What is cut out comes back as it was whatever it holds: this only keeps
/// what is not a certificate from filling `original_parts`.
fn is_base64(text: &[u8]) -> bool {
    let last = text.len().saturating_sub(1);
    text.iter()
        .step_by(61)
        .chain(text.get(last))
        .all(|&b| BASE64[b as usize])
}

/// The bytes base64 text may hold.
static BASE64: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(c, b'+' | b'/' | b'=' | b'\r' | b'\n' | b'\t' | b' ');
        b += 1;
    }
    table
};

/// `bytes` without the `spans` (in order, apart), and the parts they were.
pub fn split(bytes: &[u8], spans: &[Range<usize>]) -> (Vec<u8>, Vec<Part>) {
    let mut rest = Vec::with_capacity(bytes.len());
    let mut parts = Vec::with_capacity(spans.len());
    let mut from = 0;
    for s in spans {
        rest.extend_from_slice(&bytes[from..s.start]);
        let part = &bytes[s.clone()];
        parts.push(Part {
            offset: s.start,
            sha256: digest(part),
            bytes: part.to_vec(),
        });
        from = s.end;
    }
    rest.extend_from_slice(&bytes[from..]);
    (rest, parts)
}

/// The SHA-256 of `part`, in hex. A thread remembers the parts it met: an issuer's certificate
/// comes again with each of its documents, and comparing bytes is cheaper than hashing them.
fn digest(part: &[u8]) -> String {
    /// Parts a thread remembers (some megabytes at most), by their last bytes: the end of a
    /// certificate is its signature, apart from any other's.
    const REMEMBERED: usize = 2048;
    type Tail = (usize, [u8; 16]);
    thread_local! {
        static MET: RefCell<HashMap<Tail, (Vec<u8>, String)>> = RefCell::new(HashMap::new());
    }
    let mut tail = [0; 16];
    let n = part.len().min(16);
    tail[..n].copy_from_slice(&part[part.len() - n..]);
    let tail = (part.len(), tail);
    MET.with(|met| {
        let mut met = met.borrow_mut();
        if let Some((_, sha)) = met.get(&tail).filter(|(bytes, _)| bytes == part) {
            return sha.clone();
        }
        let sha = format!("{:x}", Sha256::digest(part));
        if met.len() >= REMEMBERED {
            met.clear();
        }
        met.insert(tail, (part.to_vec(), sha.clone()));
        sha
    })
}

/// The `shared` column of an original with `parts`: `offset:sha256` for each, by a space.
pub fn column(parts: &[Part]) -> Option<String> {
    let entries: Vec<String> = parts
        .iter()
        .map(|p| format!("{}:{}", p.offset, p.sha256))
        .collect();
    (!entries.is_empty()).then(|| entries.join(" "))
}

/// Where each part goes, from a `shared` column: (offset, SHA-256), in order.
fn places(column: &str) -> Result<Vec<(usize, &str)>, String> {
    column
        .split_ascii_whitespace()
        .map(|entry| {
            let (offset, sha) = entry.split_once(':').unwrap_or((entry, ""));
            match offset.parse() {
                Ok(offset) if sha.len() == 64 => Ok((offset, sha)),
                _ => Err(format!(
                    "is damaged: its shared parts are listed as {column:?}"
                )),
            }
        })
        .collect()
}

/// The parts of an archive, by SHA-256, as a reader loads them.
#[derive(Debug, Default)]
pub struct Parts(HashMap<String, Vec<u8>>);

impl Parts {
    pub fn insert(&mut self, sha256: String, bytes: Vec<u8>) {
        self.0.insert(sha256, bytes);
    }

    /// The original from `rest` (what was compressed) and the parts `column` places in it.
    pub fn join(&self, rest: Vec<u8>, column: &str) -> Result<Vec<u8>, String> {
        let places = places(column)?;
        if places.is_empty() {
            return Ok(rest);
        }
        let mut out = Vec::with_capacity(rest.len() + places.len() * 2048);
        let mut from = 0;
        for (offset, sha) in places {
            let part = self
                .0
                .get(sha)
                .ok_or_else(|| format!("is damaged: its shared part {sha} is not stored"))?;
            // What comes before the part, in the original, is the rest's next bytes.
            let take = offset
                .checked_sub(out.len())
                .filter(|n| from + n <= rest.len())
                .ok_or_else(|| format!("is damaged: its shared part {sha} is out of place"))?;
            out.extend_from_slice(&rest[from..from + take]);
            out.extend_from_slice(part);
            from += take;
        }
        out.extend_from_slice(&rest[from..]);
        Ok(out)
    }
}

/// The parts a writer knows the database holds, so that each is sent once, not with every
/// document that carries it. What a transaction stores is only known once it commits.
#[derive(Debug, Default)]
pub struct Known {
    stored: HashSet<String>,
    pending: Vec<String>,
}

impl Known {
    /// Whether `part` must be stored (it is not known yet): marked pending if so.
    pub fn is_new(&mut self, part: &Part) -> bool {
        if self.stored.contains(&part.sha256) || self.pending.contains(&part.sha256) {
            return false;
        }
        self.pending.push(part.sha256.clone());
        true
    }

    /// The pending parts landed.
    pub fn committed(&mut self) {
        self.stored.extend(self.pending.drain(..));
    }

    /// The pending parts were rolled back: they must be sent again.
    pub fn rolled_back(&mut self) {
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(n: usize) -> String {
        "MIIHdTCCBV2gAwIBAgII".repeat(n)
    }

    #[test]
    fn certificates_are_taken_out_and_put_back_byte_for_byte() {
        let c = cert(40);
        let xml = format!(
            "<NFe><ds:Signature><ds:X509Data><ds:X509Certificate>{c}</ds:X509Certificate>\
             </ds:X509Data></ds:Signature><X509Certificate>\r\n{c}\r\n</X509Certificate></NFe>"
        );
        let spans = find(xml.as_bytes());
        assert_eq!(spans.len(), 2, "{spans:?}");
        let (rest, parts) = split(xml.as_bytes(), &spans);
        assert_eq!(
            rest.len() + parts[0].bytes.len() + parts[1].bytes.len(),
            xml.len()
        );
        assert!(!String::from_utf8_lossy(&rest).contains(&c));
        let mut store = Parts::default();
        for p in &parts {
            store.insert(p.sha256.clone(), p.bytes.clone());
        }
        let column = column(&parts).unwrap();
        assert_eq!(store.join(rest.clone(), &column).unwrap(), xml.as_bytes());
        // A part missing, or placed beyond the rest, is damage, never other bytes.
        assert!(Parts::default().join(rest.clone(), &column).is_err());
        let far = format!("99999:{}", parts[0].sha256);
        assert!(store.join(rest, &far).unwrap_err().contains("out of place"));
    }

    #[test]
    fn cfdi_certificate_attribute_but_not_its_number() {
        let c = cert(30);
        let xml = format!(
            "<cfdi:Comprobante NoCertificado=\"30001000000500003416\" Certificado = '{c}' \
             Sello=\"abc\"/>"
        );
        let spans = find(xml.as_bytes());
        assert_eq!(spans.len(), 1);
        assert_eq!(&xml.as_bytes()[spans[0].clone()], c.as_bytes());
        // Short, or not base64: left in place.
        assert!(find(b"<X509Certificate>MIIB</X509Certificate>").is_empty());
        let odd = format!("<X509Certificate>{}</X509Certificate>", "ação ".repeat(80));
        assert!(find(odd.as_bytes()).is_empty());
        assert!(find(b"</X509Certificate>").is_empty());
    }

    #[test]
    fn whatever_the_bytes_they_come_back() {
        let c = cert(20);
        let cases = [
            format!("<X509Certificate>{c}"),
            format!("<a Certificado=\"{c}"),
            format!(" Certificado={c}\""),
            format!("<X509Certificate>{c}<X509Certificate>{c}</X509Certificate>"),
            format!("<a Certificado='{c}' b=\"<X509Certificate>{c}</X509Certificate>\"/>"),
            format!("{}X509Certificate>{c}<", "x".repeat(100)),
            format!("<X509Certificate>{c}</X509Certificate>").repeat(20),
            "Certifica".repeat(50),
        ];
        for xml in cases {
            let spans = find(xml.as_bytes());
            assert!(spans.len() <= MAX_PARTS);
            let (rest, parts) = split(xml.as_bytes(), &spans);
            let mut store = Parts::default();
            for p in &parts {
                store.insert(p.sha256.clone(), p.bytes.clone());
            }
            let back = match column(&parts) {
                Some(column) => store.join(rest, &column).unwrap(),
                None => rest,
            };
            assert_eq!(back, xml.as_bytes(), "{xml}");
        }
    }

    #[test]
    fn parts_alike_at_their_end_keep_their_own_digests() {
        let tail = "QUJDREVGR0hJSktMTU5PUA==";
        let a = format!("{}{tail}", "A".repeat(300));
        let b = format!("{}{tail}", "B".repeat(300));
        for part in [&a, &b, &a, &b] {
            let expected = format!("{:x}", Sha256::digest(part.as_bytes()));
            assert_eq!(digest(part.as_bytes()), expected);
        }
    }

    #[test]
    fn known_parts_are_forgotten_when_their_transaction_rolls_back() {
        let part = Part {
            offset: 0,
            sha256: "a".repeat(64),
            bytes: vec![],
        };
        let mut known = Known::default();
        assert!(known.is_new(&part) && !known.is_new(&part));
        known.rolled_back();
        assert!(known.is_new(&part));
        known.committed();
        assert!(!known.is_new(&part));
    }
}
