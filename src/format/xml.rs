//! XML plumbing shared by the XML formats: decoding to UTF-8 whatever the declared encoding,
//! finding the root element for sniffing, collecting element text, and classifying errors.
//!
//! quick-xml's borrowing event reader is used throughout: no DOM, no per-event allocation, and
//! no entity expansion beyond the five predefined entities and character references.

use crate::error::{ErrorType, FileError};
use quick_xml::Reader;
use quick_xml::events::{BytesRef, Event};
use std::borrow::Cow;

/// Deepest element nesting accepted (`xml_too_deep` past it). Real fiscal documents stay under 20.
pub const MAX_DEPTH: usize = 256;

pub fn too_deep() -> FileError {
    FileError::new(
        ErrorType::XmlTooDeep,
        format!("elements nested deeper than {MAX_DEPTH} levels"),
    )
}

/// DOCTYPEs are where entity bombs and external entities live; fiscal XML never needs one.
pub fn doctype_rejected() -> FileError {
    FileError::new(
        ErrorType::XmlDoctypeRejected,
        "XML with a DOCTYPE (entity declarations are never expanded)",
    )
}

/// A reader over UTF-8 bytes with the settings every batchimp XML parser uses.
pub fn reader(bytes: &[u8]) -> Reader<&[u8]> {
    let mut reader = Reader::from_reader(bytes);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.expand_empty_elements = false;
    reader
}

/// The event loop every batchimp XML parser runs: events of a reader over UTF-8 bytes, errors
/// typed (`xml_truncated` / `xml_malformed`), a DOCTYPE refused, and the file's deadline checked
/// every 4,096 events.
pub struct Events<'a> {
    reader: Reader<&'a [u8]>,
    len: usize,
    count: u32,
}

impl<'a> Events<'a> {
    pub fn new(bytes: &'a [u8]) -> Events<'a> {
        Events {
            reader: reader(bytes),
            len: bytes.len(),
            count: 0,
        }
    }

    #[inline(always)]
    pub fn next(&mut self, src: &super::Source) -> Result<Event<'a>, FileError> {
        self.count = self.count.wrapping_add(1);
        if self.count.is_multiple_of(4096) {
            src.check_deadline()?;
        }
        match self.reader.read_event() {
            Ok(Event::DocType(_)) => Err(doctype_rejected()),
            Ok(e) => Ok(e),
            Err(e) => Err(classify(&self.reader, self.len, &e)),
        }
    }

    /// At the end of the input: an element still open (`innermost`) means the file was cut
    /// short.
    pub fn finish(&self, innermost: Option<&Name>) -> Result<(), FileError> {
        match innermost {
            Some(open) => Err(truncated(self.len, open.as_bytes())),
            None => Ok(()),
        }
    }
}

/// Open an element: push its name, refusing nesting deeper than [`MAX_DEPTH`].
pub fn push(stack: &mut Vec<Name>, name: Name) -> Result<(), FileError> {
    if stack.len() >= MAX_DEPTH {
        return Err(too_deep());
    }
    stack.push(name);
    Ok(())
}

/// The document as UTF-8, whatever it declared: a UTF-8 BOM is dropped, ISO-8859-1 /
/// windows-1252 (and any other label encoding_rs knows) is transcoded. Already-UTF-8 input is
/// borrowed, not copied.
pub fn to_utf8(bytes: &[u8]) -> Result<Cow<'_, [u8]>, FileError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return validate_utf8(rest).map(Cow::Borrowed);
    }
    let encoding = match declared_encoding(bytes) {
        None => encoding_rs::UTF_8,
        Some(label) => encoding_rs::Encoding::for_label(label).ok_or_else(|| {
            FileError::new(
                ErrorType::XmlEncoding,
                format!("unknown encoding {:?}", String::from_utf8_lossy(label)),
            )
        })?,
    };
    if encoding == encoding_rs::UTF_8 {
        return validate_utf8(bytes).map(Cow::Borrowed);
    }
    match encoding.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(Cow::Borrowed(s)) => Ok(Cow::Borrowed(s.as_bytes())),
        Some(Cow::Owned(s)) => Ok(Cow::Owned(s.into_bytes())),
        None => Err(FileError::new(
            ErrorType::XmlEncoding,
            format!(
                "bytes not valid in the declared encoding {}",
                encoding.name()
            ),
        )),
    }
}

fn validate_utf8(bytes: &[u8]) -> Result<&[u8], FileError> {
    match std::str::from_utf8(bytes) {
        Ok(_) => Ok(bytes),
        Err(e) => Err(FileError::new(
            ErrorType::XmlEncoding,
            format!(
                "invalid UTF-8 at byte {} (declare the real encoding in the XML declaration)",
                e.valid_up_to()
            ),
        )),
    }
}

/// The `encoding="..."` label of the XML declaration, if there is one.
fn declared_encoding(bytes: &[u8]) -> Option<&[u8]> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    let decl = bytes[start..].strip_prefix(b"<?xml")?;
    let end = find(&decl[..decl.len().min(512)], b"?>")?;
    let decl = &decl[..end];
    let at = find(decl, b"encoding")?;
    let rest = &decl[at + b"encoding".len()..];
    let rest = trim_start(rest).strip_prefix(b"=")?;
    let rest = trim_start(rest);
    let quote = *rest.first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let rest = &rest[1..];
    let close = rest.iter().position(|&b| b == quote)?;
    Some(&rest[..close])
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// An element's local name, copied into a small fixed buffer so a stack of them needs no
/// allocation and no borrow of the reader. Names longer than [`Name::MAX`] bytes are cut; no name
/// batchimp matches is that long, so a cut name never matches one.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Name {
    len: u8,
    buf: [u8; Name::MAX],
}

impl Name {
    pub const MAX: usize = 31;

    pub fn new(local: &[u8]) -> Name {
        let len = local.len().min(Name::MAX);
        let mut buf = [0u8; Name::MAX];
        buf[..len].copy_from_slice(&local[..len]);
        Name {
            len: len as u8,
            buf,
        }
    }

    /// The local name of a start tag (prefix dropped).
    pub fn of(e: &quick_xml::events::BytesStart) -> Name {
        Name::new(local(e.name().into_inner()))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// Local names of the first `n` elements in document order (root first). Reads only as far as
/// it needs to.
pub fn first_elements(bytes: &[u8], n: usize) -> Result<Vec<Name>, FileError> {
    let mut reader = reader(bytes);
    let mut names = Vec::with_capacity(n);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                names.push(Name::of(&e));
                if names.len() == n {
                    return Ok(names);
                }
            }
            Ok(Event::DocType(_)) => return Err(doctype_rejected()),
            Ok(Event::Eof) => {
                if names.is_empty() {
                    return Err(FileError::new(ErrorType::XmlMalformed, "no root element"));
                }
                return Ok(names);
            }
            Ok(_) => {}
            Err(e) => {
                if names.is_empty() {
                    return Err(classify(&reader, bytes.len(), &e));
                }
                return Ok(names);
            }
        }
    }
}

/// The part of a qualified name after its prefix (`nfe:NFe` → `NFe`), borrowed from the input.
pub fn local(qname: &[u8]) -> &[u8] {
    match qname.iter().position(|&b| b == b':') {
        Some(i) => &qname[i + 1..],
        None => qname,
    }
}

/// The trimmed value of the attribute whose local name is `name` (exactly); `None` when absent.
pub fn attr(e: &quick_xml::events::BytesStart, name: &[u8]) -> Result<Option<String>, FileError> {
    for a in e.attributes() {
        let a = a.map_err(|err| FileError::new(ErrorType::XmlMalformed, err.to_string()))?;
        if local(a.key.into_inner()) == name {
            let v = a
                .unescape_value()
                .map_err(|err| FileError::new(ErrorType::XmlMalformed, err.to_string()))?;
            return Ok(Some(v.trim().to_owned()));
        }
    }
    Ok(None)
}

/// Turn a quick-xml error into a typed file error: an error at the very end of the input means
/// the file was cut short.
pub fn classify(reader: &Reader<&[u8]>, len: usize, err: &quick_xml::Error) -> FileError {
    let pos = reader.error_position();
    if reader.buffer_position() as usize >= len {
        FileError::new(
            ErrorType::XmlTruncated,
            format!("XML ends early (at byte {len}): {err}"),
        )
    } else {
        FileError::new(
            ErrorType::XmlMalformed,
            format!("malformed XML at byte {pos}: {err}"),
        )
    }
}

/// The error for a document whose elements are still open at the end of the input.
pub fn truncated(len: usize, open: &[u8]) -> FileError {
    FileError::new(
        ErrorType::XmlTruncated,
        format!(
            "XML ends early (at byte {len}) inside <{}>",
            String::from_utf8_lossy(open)
        ),
    )
}

/// One element's text, across text events, character references, the predefined entities and
/// CDATA. The common case, a single run of plain text, stays a slice of the input: nothing is
/// copied or validated until a parser asks for a field's value.
#[derive(Default)]
pub struct Text<'a> {
    /// The text so far while it is one borrowed run.
    run: Option<&'a [u8]>,
    /// The text once it needed assembling (several runs, a reference).
    assembled: Option<String>,
}

impl<'a> Text<'a> {
    pub fn clear(&mut self) {
        self.run = None;
        if let Some(s) = &mut self.assembled {
            s.clear();
        }
        self.assembled = None;
    }

    /// Whether there is no text (an element that only holds elements, or an empty one).
    pub fn is_empty(&self) -> bool {
        self.run.is_none() && self.assembled.as_ref().is_none_or(String::is_empty)
    }

    /// Append a text or CDATA event's content.
    pub fn push(&mut self, content: Cow<'a, [u8]>) -> Result<(), FileError> {
        match (content, &self.run, &self.assembled) {
            (Cow::Borrowed(b), None, None) => self.run = Some(b),
            (content, _, _) => {
                let s = utf8(&content)?;
                self.assembling().push_str(s);
            }
        }
        Ok(())
    }

    fn assembling(&mut self) -> &mut String {
        let run = self.run.take();
        self.assembled.get_or_insert_with(|| {
            // The run was validated as part of the whole document; it is copied once here.
            run.map(|r| String::from_utf8_lossy(r).into_owned())
                .unwrap_or_default()
        })
    }

    /// Append a `&name;` or `&#N;` reference. Anything beyond the predefined entities is an
    /// error: batchimp never expands declared entities.
    pub fn push_ref(&mut self, r: &BytesRef) -> Result<(), FileError> {
        let bad = || {
            FileError::new(
                ErrorType::XmlMalformed,
                format!("unknown entity &{};", String::from_utf8_lossy(r)),
            )
        };
        if r.is_char_ref() {
            match r.resolve_char_ref() {
                Ok(Some(c)) => self.assembling().push(c),
                _ => return Err(bad()),
            }
        } else {
            let name = std::str::from_utf8(r).map_err(|_| bad())?;
            let s = quick_xml::escape::resolve_predefined_entity(name).ok_or_else(bad)?;
            self.assembling().push_str(s);
        }
        Ok(())
    }

    /// The text, trimmed.
    pub fn get(&self) -> Result<&str, FileError> {
        let s = match (&self.assembled, self.run) {
            (Some(s), _) => s.as_str(),
            (None, Some(run)) => utf8(run)?,
            (None, None) => "",
        };
        Ok(s.trim())
    }
}

fn utf8(b: &[u8]) -> Result<&str, FileError> {
    std::str::from_utf8(b)
        .map_err(|_| FileError::new(ErrorType::XmlEncoding, "invalid UTF-8 in text"))
}
