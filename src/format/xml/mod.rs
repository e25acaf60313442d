//! XML plumbing shared by the XML formats: decoding to UTF-8 whatever the declared encoding,
//! a borrowing event scanner that checks well-formedness as it reads, element text, attributes
//! and typed errors.
//!
//! The scanner is batchimp's own. Fiscal XML needs elements, attributes, text, CDATA, comments
//! and processing instructions, the five predefined entities and character references, and
//! nothing else (a DOCTYPE is refused). The scanner hands out slices of the input (no
//! allocation and no copying per event) and, in the same pass, checks that the document is
//! well-formed XML 1.0 (fifth edition) and namespace-well-formed (Namespaces in XML 1.0):
//!
//! - every character is one XML allows (no control characters but tab, CR and LF; no
//!   U+FFFE/U+FFFF), names are `Name`s, and element and attribute names are qualified names
//!   whose prefix is declared;
//! - the XML declaration, if any, opens the file and reads `version`, then `encoding`, then
//!   `standalone`;
//! - a start tag's attributes are separated by white space, quoted, unique (by name and by
//!   namespace), and hold no `<`; references are the five predefined entities or characters
//!   XML allows; text holds no `]]>`; comments no `--`; a processing instruction's target is
//!   not `xml`;
//! - end tags match their start tags, nesting stays under [`MAX_DEPTH`], and there is exactly
//!   one root element: outside it only white space, comments and processing instructions.
//!
//! Input that ends inside markup or with elements still open is `xml_truncated`; a start tag
//! with more than [`MAX_ATTRIBUTES`] attributes, or more namespace declarations in scope than
//! that, is `xml_too_complex`; the rest is `xml_malformed` with the byte offset (in the UTF-8
//! text) and what was wrong. Every step costs time in proportion to the bytes it reads (a
//! prefix is looked up in a hash map, not by a scan of the declarations), and the file's
//! deadline is checked every 4,096 events, every MiB, and every 1,024 attributes of one tag. The W3C XML
//! conformance suite measures this (tests/it/xmlconf.rs). It replaced quick-xml's event loop,
//! which was half the cost of parsing an NF-e and checked much less (BENCHMARKS.md).

mod chars;
mod decode;
mod events;
mod head;
mod scope;
mod tag;
mod text;

pub use decode::to_utf8;
pub use events::Events;
pub use head::{Name, first_elements, root_and_namespace};
pub use tag::{Attr, Attributes, Event, Tag};
pub use text::{Run, Text};

use crate::error::{ErrorType, FileError};

/// Deepest element nesting accepted (`xml_too_deep` past it). Real fiscal documents stay under 20.
pub const MAX_DEPTH: usize = 256;

/// Most attributes one start tag may have, and most namespace declarations in scope at once
/// (`xml_too_complex` past either). An NF-e or CFDI element has at most a dozen attributes and a
/// CFDI root a dozen declarations; the widest tags of other vocabularies (SVG, Office Open XML)
/// stay in the hundreds. 10,000 is far past anything real, yet bounds what one start tag costs
/// (its duplicate check sorts its names) and what the scope of prefixes holds (under 1 MiB), so
/// a crafted tag of 200,000 declarations stops at once instead of being read.
pub const MAX_ATTRIBUTES: usize = 10_000;

/// Bytes read between two checks of the file's deadline, whatever the events: a few
/// milliseconds of the slowest scanning.
const CHECK_BYTES: usize = 1 << 20;

/// Attributes of one start tag read between two checks of the deadline.
const CHECK_ATTRIBUTES: usize = 1024;

const XML_NS: &[u8] = b"http://www.w3.org/XML/1998/namespace";
const XMLNS_NS: &[u8] = b"http://www.w3.org/2000/xmlns/";

fn too_complex(element: &[u8], what: &str) -> FileError {
    FileError::new(
        ErrorType::XmlTooComplex,
        format!("<{}> has more than {MAX_ATTRIBUTES} {what}", show(element)),
    )
}

fn too_deep() -> FileError {
    FileError::new(
        ErrorType::XmlTooDeep,
        format!("elements nested deeper than {MAX_DEPTH} levels"),
    )
}

/// DOCTYPEs are where entity bombs and external entities live; fiscal XML never needs one.
fn doctype_rejected() -> FileError {
    FileError::new(
        ErrorType::XmlDoctypeRejected,
        "XML with a DOCTYPE (entity declarations are never expanded)",
    )
}

fn malformed(at: usize, what: impl std::fmt::Display) -> FileError {
    FileError::new(
        ErrorType::XmlMalformed,
        format!("malformed XML at byte {at}: {what}"),
    )
}

/// A name or other markup for a message: lossy UTF-8, at most 40 bytes.
fn show(b: &[u8]) -> String {
    let mut s = String::from_utf8_lossy(&b[..b.len().min(40)]).into_owned();
    if b.len() > 40 {
        s.push('…');
    }
    s
}

/// Whether `bytes` are a well-formed XML document, as the XML formats read them: decoded to
/// UTF-8 ([`to_utf8`]) and scanned to the end. What the conformance test and the differential
/// fuzz target measure.
pub fn well_formed(bytes: &[u8]) -> Result<(), FileError> {
    let utf8 = to_utf8(bytes)?;
    let mut events = Events::new(&utf8);
    while !matches!(events.scan()?, Event::Eof) {}
    Ok(())
}

/// The part of a qualified name after its prefix (`nfe:NFe` → `NFe`), borrowed from the input.
fn local(qname: &[u8]) -> &[u8] {
    match qname.iter().position(|&b| b == b':') {
        Some(i) => &qname[i + 1..],
        None => qname,
    }
}

/// The error for a document whose elements are still open at the end of the input.
fn truncated(len: usize, open: &[u8]) -> FileError {
    FileError::new(
        ErrorType::XmlTruncated,
        format!(
            "XML ends early (at byte {len}) inside <{}>",
            String::from_utf8_lossy(open)
        ),
    )
}

#[cfg(test)]
mod tests;
