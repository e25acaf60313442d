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
mod text;

pub use decode::to_utf8;
pub use text::{Run, Text};

use crate::error::{ErrorType, FileError};
use chars::{first_forbidden, is_space, name_end, qname_end, skip_space};
use memchr::{memchr, memmem};
use std::borrow::Cow;
use std::collections::HashMap;
use std::time::Instant;

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

/// One piece of a document, borrowed from the input. Comments, processing instructions, the
/// XML declaration and white space outside the root element are checked and skipped.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// `<name ...>`: an element opens.
    Start(Tag<'a>),
    /// `<name .../>`: an element without content (no `End` follows).
    Empty(Tag<'a>),
    /// `</name>`, already checked against the element it closes.
    End,
    /// Character data as written: references are resolved by [`Text::push`].
    Text(Run<'a>),
    /// The content of a CDATA section, verbatim.
    CData(&'a str),
    /// The end of the input, after the root element closed.
    Eof,
}

/// A start tag: its qualified name and the raw attribute text after it.
#[derive(Debug, Clone, Copy)]
pub struct Tag<'a> {
    name: &'a [u8],
    attrs: &'a [u8],
}

impl<'a> Tag<'a> {
    /// The name as written, prefix included (`nfe:NFe`).
    pub fn name(&self) -> &'a [u8] {
        self.name
    }

    /// The name without its prefix (`NFe`).
    pub fn local(&self) -> &'a [u8] {
        local(self.name)
    }

    pub fn attributes(&self) -> Attributes<'a> {
        Attributes { rest: self.attrs }
    }

    /// The trimmed value of the attribute whose local name is `name` (exactly); `None` when
    /// absent.
    pub fn attr(&self, name: &[u8]) -> Result<Option<String>, FileError> {
        for a in self.attributes() {
            let a = a?;
            if a.local() == name {
                return Ok(Some(a.value()?.trim().to_owned()));
            }
        }
        Ok(None)
    }
}

/// One `key="value"` of a start tag.
#[derive(Debug, Clone, Copy)]
pub struct Attr<'a> {
    /// The key as written, prefix included.
    pub key: &'a [u8],
    raw: &'a [u8],
}

impl<'a> Attr<'a> {
    /// The key without its prefix.
    pub fn local(&self) -> &'a [u8] {
        local(self.key)
    }

    /// The value with its references resolved and its white space normalised as XML says
    /// (tab, CR and LF read as spaces); borrowed when it has neither.
    pub fn value(&self) -> Result<Cow<'a, str>, FileError> {
        normalized(self.raw)
    }
}

/// The attributes of a start tag, in order; a malformed one is an `xml_malformed` error (and
/// ends the iteration).
pub struct Attributes<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Result<Attr<'a>, FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = skip_to_content(self.rest);
        self.rest = &[];
        if rest.is_empty() {
            return None;
        }
        let bad = |what: &str| {
            let shown = String::from_utf8_lossy(&rest[..rest.len().min(40)]).into_owned();
            Some(Err(FileError::new(
                ErrorType::XmlMalformed,
                format!("malformed XML: {what} in `{shown}`"),
            )))
        };
        let key_len = rest
            .iter()
            .position(|&c| c == b'=' || is_space(c))
            .unwrap_or(rest.len());
        let key = &rest[..key_len];
        if key.is_empty() {
            return bad("an attribute without a name");
        }
        let Some(after_eq) = skip_to_content(&rest[key_len..]).strip_prefix(b"=") else {
            return bad("an attribute without a value");
        };
        let value = skip_to_content(after_eq);
        let quote = match value.first() {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => return bad("an unquoted attribute value"),
        };
        let Some(close) = memchr(quote, &value[1..]) else {
            return bad("an unclosed attribute value");
        };
        self.rest = &value[close + 2..];
        Some(Ok(Attr {
            key,
            raw: &value[1..close + 1],
        }))
    }
}

/// An attribute value as XML reports it: references resolved, white space normalised.
fn normalized(raw: &[u8]) -> Result<Cow<'_, str>, FileError> {
    let raw = text::utf8(raw)?;
    if !text::attribute_needs_work(raw) {
        return Ok(Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    text::unescape_into(raw, true, &mut out)?;
    Ok(Cow::Owned(out))
}

/// Where the scanner is in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Nothing read yet: the XML declaration may come.
    Start,
    /// Before the root element.
    Prolog,
    /// Inside the root element.
    Root,
    /// After the root element closed.
    Epilog,
}

/// An open element: its qualified name and how many namespace bindings were in scope before it.
struct Open<'a> {
    name: &'a [u8],
    bindings: usize,
}

/// A prefix declared by `xmlns:prefix="uri"` (the value as written).
struct Binding<'a> {
    prefix: &'a [u8],
    uri: &'a [u8],
    /// The binding of the same prefix this one hides, back in force when this one ends.
    hides: Option<usize>,
}

/// The namespace prefixes in scope: the bindings in declaration order (an element's end drops
/// its own, the last ones) and, past [`Scope::FEW`] of them, a map from each prefix to its
/// innermost binding, so that a lookup costs the same however many prefixes are declared. (A
/// scan of the bindings made a start tag of 60,000 declarations and 60,000 prefixed attributes
/// quadratic: 18 s for 2 MB.) Up to [`Scope::FEW`], what every real document has, a scan is
/// cheaper than hashing: a CFDI, prefixed throughout, read 10% slower with the map alone. The
/// map hashes with std's randomly keyed SipHash, so crafted prefixes cannot all collide.
#[derive(Default)]
struct Scope<'a> {
    bindings: Vec<Binding<'a>>,
    /// Empty while there are at most [`Scope::FEW`] bindings.
    innermost: HashMap<&'a [u8], usize>,
}

impl<'a> Scope<'a> {
    /// Bindings looked up by a scan rather than the map.
    const FEW: usize = 16;

    /// How many bindings are in scope: what [`Scope::truncate`] returns to.
    fn len(&self) -> usize {
        self.bindings.len()
    }

    /// Bind `prefix` to `uri` (as written), hiding any outer binding of it.
    fn declare(&mut self, prefix: &'a [u8], uri: &'a [u8]) {
        let at = self.bindings.len();
        self.bindings.push(Binding {
            prefix,
            uri,
            hides: None,
        });
        if at == Scope::FEW {
            // The map starts: every binding so far goes in, in order.
            for (i, b) in self.bindings.iter_mut().enumerate() {
                b.hides = self.innermost.insert(b.prefix, i);
            }
        } else if at > Scope::FEW {
            self.bindings[at].hides = self.innermost.insert(prefix, at);
        }
    }

    /// The namespace name (as written) `prefix` is bound to; `None` when undeclared.
    #[inline]
    fn uri(&self, prefix: &[u8]) -> Option<&'a [u8]> {
        if self.bindings.len() <= Scope::FEW {
            return self
                .bindings
                .iter()
                .rev()
                .find(|b| b.prefix == prefix)
                .map(|b| b.uri);
        }
        self.innermost.get(prefix).map(|&i| self.bindings[i].uri)
    }

    /// Drop the bindings declared after the first `len`, restoring what they hid.
    #[inline]
    fn truncate(&mut self, len: usize) {
        if self.bindings.len() <= Scope::FEW {
            self.bindings.truncate(len);
            return;
        }
        if len <= Scope::FEW {
            self.innermost.clear();
            self.bindings.truncate(len);
            return;
        }
        while self.bindings.len() > len {
            let Some(gone) = self.bindings.pop() else {
                break;
            };
            match gone.hides {
                Some(outer) => self.innermost.insert(gone.prefix, outer),
                None => self.innermost.remove(gone.prefix),
            };
        }
    }
}

/// The event scanner every batchimp XML parser runs over UTF-8 bytes: errors typed
/// (`xml_truncated`, `xml_malformed`, `xml_too_deep`, `xml_too_complex`,
/// `xml_doctype_rejected`), and the file's deadline checked every 4,096 events, every
/// [`CHECK_BYTES`] and every [`CHECK_ATTRIBUTES`] of one start tag.
pub struct Events<'a> {
    bytes: &'a [u8],
    /// The same document as text, checked as UTF-8 once as a whole: character data is sliced
    /// from it, and its characters are checked. `None` for the head of a file being sniffed,
    /// which may be in another encoding than UTF-8.
    text: Option<&'a str>,
    pos: usize,
    place: Place,
    open: Vec<Open<'a>>,
    /// Prefixes in scope.
    ns: Scope<'a>,
    /// The attributes of the start tag being read: (name, raw value).
    attrs: Vec<(&'a [u8], &'a [u8])>,
    count: u32,
    /// The file's deadline, once [`Events::next`] has been given it; `None` when scanned
    /// without one (sniffing, [`well_formed`]).
    deadline: Option<Instant>,
    /// The position past which [`Events::next`] checks the deadline again.
    check_at: usize,
}

impl<'a> Events<'a> {
    pub fn new(text: &'a str) -> Events<'a> {
        Events {
            text: Some(text),
            ..Events::head(text.as_bytes())
        }
    }

    /// The scanner over the head of a file, in whatever encoding: for its first elements. Its
    /// characters are not checked, its character data not read.
    fn head(bytes: &'a [u8]) -> Events<'a> {
        Events {
            bytes,
            text: None,
            pos: 0,
            place: Place::Start,
            open: Vec::with_capacity(16),
            ns: Scope::default(),
            attrs: Vec::new(),
            count: 0,
            deadline: None,
            check_at: 0,
        }
    }

    /// The next event, the deadline of `src` checked now and then: every 4,096 events and
    /// every [`CHECK_BYTES`] (the first event included), so that a few huge events cost no more
    /// unchecked time than many small ones.
    #[inline(always)]
    pub fn next(&mut self, src: &super::Source) -> Result<Event<'a>, FileError> {
        self.count = self.count.wrapping_add(1);
        if self.count.is_multiple_of(4096) || self.pos >= self.check_at {
            self.deadline = Some(src.deadline);
            self.check_at = self.pos.saturating_add(CHECK_BYTES);
            src.check_deadline()?;
        }
        self.scan()
    }

    /// `Err(timeout)` once the deadline [`Events::next`] was given has passed.
    fn check_deadline(&self) -> Result<(), FileError> {
        match self.deadline {
            Some(deadline) if Instant::now() > deadline => Err(super::timeout_error()),
            _ => Ok(()),
        }
    }

    /// The next event, without the deadline check.
    #[inline]
    fn scan(&mut self) -> Result<Event<'a>, FileError> {
        if self.place == Place::Start {
            self.begin()?;
        }
        let b = self.bytes;
        loop {
            let pos = self.pos;
            let Some(&first) = b.get(pos) else {
                return self.end();
            };
            if first != b'<' {
                if self.place == Place::Root {
                    let (end, plain) = text::run_end(b, pos)?;
                    self.pos = end;
                    let raw = self.slice(pos, end);
                    return Ok(Event::Text(Run { raw, plain }));
                }
                let end = memchr(b'<', &b[pos..]).map_or(b.len(), |i| pos + i);
                let run = &b[pos..end];
                self.pos = end;
                {
                    if let Some(i) = run.iter().position(|&c| !is_space(c)) {
                        let place = if self.place == Place::Epilog {
                            "after"
                        } else {
                            "before"
                        };
                        return Err(malformed(
                            pos + i,
                            format_args!("text {place} the root element"),
                        ));
                    }
                    continue;
                }
            }
            match b.get(pos + 1) {
                None => return Err(self.cut("a tag")),
                Some(b'/') => return self.end_tag(pos),
                Some(b'?') => self.pi(pos)?,
                Some(b'!') => {
                    if let Some(cdata) = self.bang(pos)? {
                        return Ok(cdata);
                    }
                }
                Some(_) => return self.start_tag(pos),
            }
        }
    }

    /// The document's text from byte `from` to `to`, both next to markup (ASCII), so character
    /// boundaries; empty for a sniffed head, whose text is not read.
    fn slice(&self, from: usize, to: usize) -> &'a str {
        self.text.and_then(|t| t.get(from..to)).unwrap_or_default()
    }

    /// The start of the document: its characters, and the XML declaration.
    fn begin(&mut self) -> Result<(), FileError> {
        self.place = Place::Prolog;
        if self.text.is_some()
            && let Some(at) = first_forbidden(self.bytes)
        {
            return Err(malformed(
                at,
                format_args!("a character XML does not allow ({})", self.char_at(at)),
            ));
        }
        let b = self.bytes;
        if b.starts_with(b"<?xml") && name_end(b, 2) == 5 {
            self.declaration()?;
        }
        Ok(())
    }

    /// `<?xml version="1.0" encoding="…" standalone="…"?>`, in that order.
    fn declaration(&mut self) -> Result<(), FileError> {
        let Some(close) = memmem::find(self.bytes, b"?>") else {
            return Err(self.cut("the XML declaration"));
        };
        let decl = &self.bytes[..close];
        let mut i = 5;
        match pseudo(decl, &mut i, b"version")? {
            Some((v, at)) => {
                let digits = v.strip_prefix(b"1.").unwrap_or_default();
                if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                    return Err(malformed(
                        at,
                        format_args!("version {:?} is not 1.x", show(v)),
                    ));
                }
            }
            None => return Err(malformed(i, "the XML declaration has no version")),
        }
        if let Some((e, at)) = pseudo(decl, &mut i, b"encoding")? {
            let name = e.first().is_some_and(u8::is_ascii_alphabetic)
                && e.iter()
                    .all(|&c| c.is_ascii_alphanumeric() || b"._-".contains(&c));
            if !name {
                return Err(malformed(
                    at,
                    format_args!("encoding {:?} is not an encoding name", show(e)),
                ));
            }
        }
        if let Some((s, at)) = pseudo(decl, &mut i, b"standalone")?
            && s != b"yes"
            && s != b"no"
        {
            return Err(malformed(at, "standalone is neither \"yes\" nor \"no\""));
        }
        let j = skip_space(decl, i);
        if j != decl.len() {
            return Err(malformed(
                j,
                format_args!(
                    "unexpected `{}` in the XML declaration (version, encoding, standalone, in that order)",
                    show(&decl[j..])
                ),
            ));
        }
        self.pos = close + 2;
        Ok(())
    }

    /// The end of the input.
    fn end(&self) -> Result<Event<'a>, FileError> {
        let len = self.bytes.len();
        match (self.place, self.open.last()) {
            (Place::Epilog, _) => Ok(Event::Eof),
            (_, Some(open)) => Err(truncated(len, local(open.name))),
            (_, None) => Err(malformed(len, "no root element")),
        }
    }

    /// `<name attr="value" …>` or `<name …/>` at `pos`.
    #[inline]
    fn start_tag(&mut self, pos: usize) -> Result<Event<'a>, FileError> {
        let b = self.bytes;
        let (name_end, prefixed) = qname_end(b, pos + 1);
        if name_end == pos + 1 {
            return Err(malformed(
                pos,
                "a `<` that starts no element (write `&lt;`)",
            ));
        }
        let name = &b[pos + 1..name_end];
        if self.place == Place::Epilog {
            return Err(malformed(
                pos,
                format_args!(
                    "<{}> after the root element ended (two documents in one file?)",
                    show(name)
                ),
            ));
        }
        self.attrs.clear();
        // Whether an attribute's name has a prefix or is a namespace declaration.
        let mut namespaced = false;
        let mut i = name_end;
        let (end, empty) = loop {
            let s = skip_space(b, i);
            match b.get(s) {
                None => return Err(self.cut("a start tag")),
                Some(b'>') => break (s, false),
                Some(b'/') => match b.get(s + 1) {
                    Some(b'>') => break (s, true),
                    None => return Err(self.cut("a start tag")),
                    Some(_) => {
                        return Err(malformed(s, format_args!("a `/` inside <{}>", show(name))));
                    }
                },
                Some(_) => {}
            }
            let (key_end, colon) = qname_end(b, s);
            namespaced |= colon || b[s..key_end].starts_with(b"xmlns");
            if s == i || key_end == s {
                return Err(malformed(
                    s,
                    format_args!("unexpected `{}` in <{}>", self.char_at(s), show(name)),
                ));
            }
            let key = &b[s..key_end];
            let mut j = skip_space(b, key_end);
            match b.get(j) {
                Some(b'=') => j = skip_space(b, j + 1),
                None => return Err(self.cut("a start tag")),
                Some(_) => {
                    return Err(malformed(
                        j,
                        format_args!("attribute {} has no value", show(key)),
                    ));
                }
            }
            let quote = match b.get(j) {
                Some(&q @ (b'"' | b'\'')) => q,
                None => return Err(self.cut("a start tag")),
                Some(_) => {
                    return Err(malformed(
                        j,
                        format_args!("the value of {} is not quoted", show(key)),
                    ));
                }
            };
            let Some(close) = text::value_end(b, j + 1, quote)? else {
                return Err(self.cut("an attribute value"));
            };
            if self.attrs.len() == MAX_ATTRIBUTES {
                return Err(too_complex(name, "attributes"));
            }
            self.attrs.push((key, &b[j + 1..close]));
            if self.attrs.len().is_multiple_of(CHECK_ATTRIBUTES) {
                self.check_deadline()?;
            }
            i = close + 1;
        };
        self.pos = if empty { end + 2 } else { end + 1 };
        let bindings = self.ns.len();
        if self.attrs.len() > 1 || namespaced {
            self.attributes(pos, name)?;
        }
        if prefixed {
            self.qname(pos, name, false)?;
        }
        let tag = Tag {
            name,
            attrs: &b[name_end..end],
        };
        if empty {
            self.ns.truncate(bindings);
            if self.open.is_empty() {
                self.place = Place::Epilog;
            }
            return Ok(Event::Empty(tag));
        }
        if self.open.len() >= MAX_DEPTH {
            return Err(too_deep());
        }
        self.open.push(Open { name, bindings });
        self.place = Place::Root;
        Ok(Event::Start(tag))
    }

    /// The start tag's attributes: unique, namespace declarations taken into scope, prefixes
    /// declared, and unique again by namespace.
    fn attributes(&mut self, pos: usize, element: &[u8]) -> Result<(), FileError> {
        let attrs = std::mem::take(&mut self.attrs);
        let result = self.check_attributes(pos, element, &attrs);
        self.attrs = attrs;
        result
    }

    fn check_attributes(
        &mut self,
        pos: usize,
        element: &[u8],
        attrs: &[(&'a [u8], &'a [u8])],
    ) -> Result<(), FileError> {
        let twice = |key: &[u8]| {
            malformed(
                pos,
                format_args!("<{}> has attribute {} twice", show(element), show(key)),
            )
        };
        if attrs.len() <= 16 {
            for (n, &(key, _)) in attrs.iter().enumerate().skip(1) {
                if attrs[..n].iter().any(|&(k, _)| k == key) {
                    return Err(twice(key));
                }
            }
        } else {
            let mut keys: Vec<&[u8]> = attrs.iter().map(|&(k, _)| k).collect();
            keys.sort_unstable();
            if let Some(w) = keys.windows(2).find(|w| w[0] == w[1]) {
                return Err(twice(w[0]));
            }
        }
        let mut prefixed = 0;
        for &(key, value) in attrs {
            if key == b"xmlns" {
                let uri = normalized(value)?;
                if uri.as_bytes() == XML_NS || uri.as_bytes() == XMLNS_NS {
                    return Err(malformed(
                        pos,
                        format_args!("{uri} cannot be the default namespace"),
                    ));
                }
            } else if let Some(prefix) = key.strip_prefix(b"xmlns:") {
                if self.ns.len() == MAX_ATTRIBUTES {
                    return Err(too_complex(element, "namespace declarations in scope"));
                }
                self.declare(pos, prefix, value)?;
            } else if memchr(b':', key).is_some() {
                prefixed += 1;
            }
        }
        for &(key, _) in attrs {
            self.qname(pos, key, true)?;
        }
        if prefixed > 1 {
            // Two prefixes bound to one namespace name make `a:x` and `b:x` the same attribute.
            let mut expanded = Vec::with_capacity(prefixed);
            for &(key, _) in attrs {
                if let Some(colon) = memchr(b':', key)
                    && &key[..colon] != b"xmlns"
                {
                    let uri = match self.uri_of(&key[..colon]) {
                        Some(raw) => normalized(raw)?,
                        None => Cow::Borrowed(""),
                    };
                    expanded.push((&key[colon + 1..], uri, key));
                }
            }
            expanded.sort_unstable_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
            if let Some(w) = expanded
                .windows(2)
                .find(|w| w[0].0 == w[1].0 && w[0].1 == w[1].1)
            {
                return Err(malformed(
                    pos,
                    format_args!(
                        "<{}>: attributes {} and {} are the same name in the same namespace",
                        show(element),
                        show(w[0].2),
                        show(w[1].2)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// `xmlns:prefix="value"` on the element at `pos`.
    fn declare(&mut self, pos: usize, prefix: &'a [u8], value: &'a [u8]) -> Result<(), FileError> {
        let uri = normalized(value)?;
        let uri = uri.as_bytes();
        let what = if prefix == b"xmlns" {
            "the prefix xmlns cannot be declared"
        } else if prefix == b"xml" && uri != XML_NS {
            "the prefix xml can only be bound to http://www.w3.org/XML/1998/namespace"
        } else if prefix != b"xml" && (uri == XML_NS || uri == XMLNS_NS) {
            "a reserved namespace name bound to another prefix"
        } else if uri.is_empty() {
            "a prefix bound to an empty namespace name (Namespaces in XML 1.0 does not allow undeclaring a prefix)"
        } else {
            self.ns.declare(prefix, value);
            return Ok(());
        };
        Err(malformed(
            pos,
            format_args!("xmlns:{}: {what}", show(prefix)),
        ))
    }

    /// The namespace name (as written) bound to `prefix` here.
    fn uri_of(&self, prefix: &[u8]) -> Option<&'a [u8]> {
        if prefix == b"xml" {
            return Some(XML_NS);
        }
        self.ns.uri(prefix)
    }

    /// An element or attribute name (of the tag at `pos`) is a qualified name whose prefix is
    /// declared.
    #[inline]
    fn qname(&self, pos: usize, name: &[u8], attribute: bool) -> Result<(), FileError> {
        // Names are short: a plain loop beats memchr's set-up.
        let Some(colon) = name.iter().position(|&c| c == b':') else {
            return Ok(());
        };
        let (prefix, local) = (&name[..colon], &name[colon + 1..]);
        if prefix.is_empty()
            || local.is_empty()
            || local.contains(&b':')
            || name_end(local, 0) != local.len()
        {
            return Err(malformed(
                pos,
                format_args!(
                    "{} is not a qualified name (one `:` between a prefix and a name)",
                    show(name)
                ),
            ));
        }
        match prefix {
            b"xml" => Ok(()),
            b"xmlns" if attribute => Ok(()),
            b"xmlns" => Err(malformed(
                pos,
                format_args!("element <{}> has the prefix xmlns", show(name)),
            )),
            _ if self.ns.uri(prefix).is_some() => Ok(()),
            _ => Err(malformed(
                pos,
                format_args!(
                    "the prefix of {} is not declared (xmlns:{}=\"…\")",
                    show(name),
                    show(prefix)
                ),
            )),
        }
    }

    /// `</name>` at `pos`.
    fn end_tag(&mut self, pos: usize) -> Result<Event<'a>, FileError> {
        let b = self.bytes;
        // The common case: the name of the open element, then `>`.
        if let Some(open) = self.open.last()
            && b[pos + 2..].starts_with(open.name)
            && b.get(pos + 2 + open.name.len()) == Some(&b'>')
        {
            self.pos = pos + 3 + open.name.len();
            self.ns.truncate(open.bindings);
            self.open.pop();
            if self.open.is_empty() {
                self.place = Place::Epilog;
            }
            return Ok(Event::End);
        }
        let name_end = name_end(b, pos + 2);
        let name = &b[pos + 2..name_end];
        let gt = skip_space(b, name_end);
        match b.get(gt) {
            Some(b'>') => {}
            None => return Err(self.cut("an end tag")),
            Some(_) => {
                return Err(malformed(
                    gt,
                    format_args!(
                        "unexpected `{}` in an end tag </{}",
                        self.char_at(gt),
                        show(name)
                    ),
                ));
            }
        }
        self.pos = gt + 1;
        match self.open.pop() {
            Some(open) if open.name == name => {
                self.ns.truncate(open.bindings);
                if self.open.is_empty() {
                    self.place = Place::Epilog;
                }
                Ok(Event::End)
            }
            Some(open) => Err(malformed(
                pos,
                format_args!(
                    "</{}> where </{}> was expected",
                    show(name),
                    show(open.name)
                ),
            )),
            None => Err(malformed(
                pos,
                format_args!("</{}> closes no open element", show(name)),
            )),
        }
    }

    /// A processing instruction at `pos`, skipped once checked.
    fn pi(&mut self, pos: usize) -> Result<(), FileError> {
        let b = self.bytes;
        let target_end = name_end(b, pos + 2);
        let target = &b[pos + 2..target_end];
        let Some(close) = memmem::find(&b[target_end..], b"?>") else {
            return Err(self.cut("a processing instruction"));
        };
        let what = if target.is_empty() {
            "a processing instruction without a target"
        } else if target.eq_ignore_ascii_case(b"xml") && self.place == Place::Epilog {
            "an XML declaration after the root element ended (two documents in one file?)"
        } else if target.eq_ignore_ascii_case(b"xml") {
            "an XML declaration that is not at the very start of the file"
        } else if memchr(b':', target).is_some() {
            "a processing instruction target with a `:`"
        } else if close > 0 && !is_space(b[target_end]) {
            "no white space after a processing instruction's target"
        } else {
            self.pos = target_end + close + 2;
            return Ok(());
        };
        Err(malformed(pos, what))
    }

    /// `<!` at `pos`: a comment (skipped), a CDATA section, or a refused DOCTYPE.
    fn bang(&mut self, pos: usize) -> Result<Option<Event<'a>>, FileError> {
        let b = self.bytes;
        let rest = &b[pos..];
        if rest.starts_with(b"<!--") {
            let Some(dashes) = memmem::find(&rest[4..], b"--") else {
                return Err(self.cut("a comment"));
            };
            let at = pos + 4 + dashes;
            return match b.get(at + 2) {
                Some(b'>') => {
                    self.pos = at + 3;
                    Ok(None)
                }
                None => Err(self.cut("a comment")),
                Some(_) => Err(malformed(at, "`--` inside a comment")),
            };
        }
        if rest.starts_with(b"<![CDATA[") {
            let body = &rest[9..];
            let Some(end) = memmem::find(body, b"]]>") else {
                return Err(self.cut("a CDATA section"));
            };
            if self.place != Place::Root {
                return Err(malformed(pos, "a CDATA section outside the root element"));
            }
            self.pos = pos + 9 + end + 3;
            return Ok(Some(Event::CData(self.slice(pos + 9, pos + 9 + end))));
        }
        if rest.len() >= 9 && rest[..9].eq_ignore_ascii_case(b"<!DOCTYPE") {
            return Err(doctype_rejected());
        }
        if rest.len() < 9
            && [&b"<!--"[..], b"<![CDATA[", b"<!DOCTYPE"]
                .iter()
                .any(|m| m.starts_with(rest))
        {
            return Err(self.cut("markup"));
        }
        Err(malformed(pos, "unknown markup after `<!`"))
    }

    /// The character at `at`, for a message.
    fn char_at(&self, at: usize) -> String {
        let b = &self.bytes[at..];
        let n = b.len().min(4);
        let c = String::from_utf8_lossy(&b[..n])
            .chars()
            .next()
            .unwrap_or('?');
        if c.is_control() {
            format!("U+{:04X}", u32::from(c))
        } else {
            c.to_string()
        }
    }

    /// The input ended inside `what`.
    fn cut(&self, what: &str) -> FileError {
        let len = self.bytes.len();
        FileError::new(
            ErrorType::XmlTruncated,
            format!("XML ends early (at byte {len}) inside {what}"),
        )
    }
}

fn skip_to_content(b: &[u8]) -> &[u8] {
    &b[skip_space(b, 0)..]
}

/// ` name = "value"` of the XML declaration `decl`, at `*i`: the value and its offset, with `*i`
/// moved past it; `None` (and `*i` unchanged) when the next pseudo-attribute is not `name`.
fn pseudo<'b>(
    decl: &'b [u8],
    i: &mut usize,
    name: &[u8],
) -> Result<Option<(&'b [u8], usize)>, FileError> {
    let s = skip_space(decl, *i);
    if s == *i || !decl[s..].starts_with(name) {
        return Ok(None);
    }
    let mut j = skip_space(decl, s + name.len());
    if decl.get(j) != Some(&b'=') {
        return Err(malformed(
            j,
            format_args!("{} without `=` in the XML declaration", show(name)),
        ));
    }
    j = skip_space(decl, j + 1);
    let quote = match decl.get(j) {
        Some(&q @ (b'"' | b'\'')) => q,
        _ => return Err(malformed(j, "an unquoted value in the XML declaration")),
    };
    let Some(len) = memchr(quote, &decl[j + 1..]) else {
        return Err(malformed(j, "an unclosed value in the XML declaration"));
    };
    *i = j + 1 + len + 1;
    Ok(Some((&decl[j + 1..j + 1 + len], j + 1)))
}

/// An element's local name, copied into a small fixed buffer: what sniffing keeps of a file's
/// first elements without holding on to its bytes. Names longer than [`Name::MAX`] bytes are
/// cut; no name batchimp matches is that long, so a cut name never matches one.
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
    pub fn of(tag: &Tag) -> Name {
        Name::new(tag.local())
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

/// Local names of the first `n` elements in document order (root first). Reads only as far as
/// it needs to: `bytes` may be the head of a longer file.
pub fn first_elements(bytes: &[u8], n: usize) -> Result<Vec<Name>, FileError> {
    // The head of a file, in whatever encoding: its characters are checked when it is parsed.
    let mut events = Events::head(bytes);
    let mut names = Vec::with_capacity(n);
    loop {
        match events.scan() {
            Ok(Event::Start(tag) | Event::Empty(tag)) => {
                names.push(Name::of(&tag));
                if names.len() == n {
                    return Ok(names);
                }
            }
            Ok(Event::Eof) => return Ok(names),
            Ok(_) => {}
            Err(e) if names.is_empty() || e.error_type == ErrorType::XmlDoctypeRejected => {
                return Err(e);
            }
            Err(_) => return Ok(names),
        }
    }
}

/// The root element's qualified name and its namespace (`None`: no namespace), for telling
/// the user what an XML file nobody reads is. Reads the root's start tag only; `None` when
/// there is none to read.
pub fn root_and_namespace(bytes: &[u8]) -> Option<(String, Option<String>)> {
    let mut events = Events::head(bytes);
    loop {
        match events.scan() {
            Ok(Event::Start(tag) | Event::Empty(tag)) => {
                let name = tag.name();
                let declares: Vec<u8> = match name.iter().position(|&b| b == b':') {
                    Some(i) => [&b"xmlns:"[..], &name[..i]].concat(),
                    None => b"xmlns".to_vec(),
                };
                let ns = tag
                    .attributes()
                    .map_while(Result::ok)
                    .find(|a| a.key == declares.as_slice())
                    .and_then(|a| a.value().ok().map(|v| v.trim().to_owned()))
                    .filter(|v| !v.is_empty());
                return Some((String::from_utf8_lossy(local(name)).into_owned(), ns));
            }
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The events of `xml` in a compact notation, or the error's type and message.
    fn scan(xml: &str) -> Result<Vec<String>, (ErrorType, String)> {
        let mut events = Events::new(xml);
        let mut out = Vec::new();
        loop {
            let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            match events.scan() {
                Ok(Event::Start(t)) => out.push(format!("<{}>", show(t.name()))),
                Ok(Event::Empty(t)) => out.push(format!("<{}/>", show(t.name()))),
                Ok(Event::End) => out.push("</>".into()),
                Ok(Event::Text(t)) => out.push(format!("'{}'", t.raw)),
                Ok(Event::CData(t)) => out.push(format!("[{t}]")),
                Ok(Event::Eof) => return Ok(out),
                Err(e) => return Err((e.error_type, e.message)),
            }
        }
    }

    fn error_of(xml: &str) -> ErrorType {
        scan(xml).expect_err(xml).0
    }

    #[test]
    fn events_of_well_formed_xml() {
        let xml = "<?xml version=\"1.0\"?><!-- a <comment> --><a x=\"1>2\" y='3'>t&amp;u\
                   <b/><c ><![CDATA[<raw>]]></c ><?pi ?></a>";
        assert_eq!(
            scan(xml).unwrap(),
            ["<a>", "'t&amp;u'", "<b/>", "<c>", "[<raw>]", "</>", "</>"]
        );
        assert_eq!(scan("\n<a/>\n<!-- end -->\n<?pi x?>\n").unwrap(), ["<a/>"]);
        assert_eq!(scan("<n:a xmlns:n='u'></n:a>").unwrap(), ["<n:a>", "</>"]);
    }

    #[test]
    fn typed_errors() {
        use ErrorType::*;
        for (xml, expected) in [
            ("<a><b></a>", XmlMalformed),
            ("<a></b>", XmlMalformed),
            ("</a>", XmlMalformed),
            ("<a>< b</a>", XmlMalformed),
            ("<a><!FOO></a>", XmlMalformed),
            ("<!DOCTYPE a [<!ENTITY e 'x'>]><a/>", XmlDoctypeRejected),
            ("<!doctype a><a/>", XmlDoctypeRejected),
            ("<a>", XmlTruncated),
            ("<a><b>text", XmlTruncated),
            ("<a><b", XmlTruncated),
            ("<a x=\"1>", XmlTruncated),
            ("<a></b", XmlTruncated),
            ("<a></a ", XmlTruncated),
            ("<a><!-- never closed", XmlTruncated),
            ("<a><![CDATA[never closed", XmlTruncated),
            ("<a><!-", XmlTruncated),
            ("<a><?pi", XmlTruncated),
            ("<", XmlTruncated),
        ] {
            assert_eq!(error_of(xml), expected, "{xml}");
        }
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        assert_eq!(error_of(&deep), ErrorType::XmlTooDeep);
        let ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(scan(&ok).is_ok());
        let (_, message) = scan("<a><b></c></a>").unwrap_err();
        assert_eq!(
            message,
            "malformed XML at byte 6: </c> where </b> was expected"
        );
        let (_, message) = scan("<nfeProc><NFe>").unwrap_err();
        assert_eq!(message, "XML ends early (at byte 14) inside <NFe>");
    }

    #[test]
    fn not_well_formed() {
        for (xml, message) in [
            ("", "at byte 0: no root element"),
            ("<!-- only -->", "no root element"),
            ("<a b=\"x<y\"/>", "at byte 7: a `<` in an attribute value"),
            ("<a/><a/>", "at byte 4: <a> after the root element ended"),
            ("<a></a>text", "at byte 7: text after the root element"),
            ("text<a/>", "at byte 0: text before the root element"),
            ("<a x='1' x='2'/>", "<a> has attribute x twice"),
            ("<a>&#1;</a>", "&#1; is not a character XML allows"),
            (
                "<a>\u{1}</a>",
                "at byte 3: a character XML does not allow (U+0001)",
            ),
            ("<a b/>", "attribute b has no value"),
            ("<a b=c/>", "the value of b is not quoted"),
            ("<a b='1'c='2'/>", "unexpected `c` in <a>"),
            ("<a><!-- a -- b --></a>", "`--` inside a comment"),
            ("<a>]]></a>", "`]]>` in text"),
            (
                "<a>&nbsp;</a>",
                "&nbsp; names an entity XML does not predefine",
            ),
            ("<a>a & b</a>", "an `&` that starts no reference"),
            ("<a b='&bogus;'/>", "&bogus; names an entity"),
            ("<n:a/>", "the prefix of n:a is not declared"),
            ("<a n:b='1'/>", "the prefix of n:b is not declared"),
            ("<a:b:c xmlns:a='u'/>", "not a qualified name"),
            (
                "<a xmlns:n='u' xmlns:m='u' n:x='1' m:x='2'/>",
                "the same name in the same namespace",
            ),
            (
                "<a xmlns:n=''/>",
                "xmlns:n: a prefix bound to an empty namespace name",
            ),
            (
                "<a xmlns:xmlns='u'/>",
                "the prefix xmlns cannot be declared",
            ),
            ("<xmlns:a/>", "has the prefix xmlns"),
            (
                "<a><?xml version='1.0'?></a>",
                "an XML declaration that is not at the very start",
            ),
            (
                " <?xml version='1.0'?><a/>",
                "an XML declaration that is not at the very start",
            ),
            (
                "<?xml encoding='UTF-8'?><a/>",
                "the XML declaration has no version",
            ),
            ("<?xml version='2.0'?><a/>", "version \"2.0\" is not 1.x"),
            (
                "<?xml version='1.0' standalone='yes' encoding='UTF-8'?><a/>",
                "in that order",
            ),
            (
                "<?xml version='1.0'encoding='UTF-8'?><a/>",
                "unexpected `encoding=",
            ),
            (
                "<?xml version='1.0' standalone='maybe'?><a/>",
                "standalone is neither",
            ),
            ("<?1pi?><a/>", "without a target"),
            ("<?pi-x:y?><a/>", "target with a `:`"),
            (
                "<![CDATA[x]]><a/>",
                "a CDATA section outside the root element",
            ),
            ("<a></a b>", "unexpected `b` in an end tag"),
            ("<a>< b</a>", "a `<` that starts no element"),
            ("<1a/>", "a `<` that starts no element"),
        ] {
            let (ty, got) = scan(xml).expect_err(xml);
            assert_eq!(ty, ErrorType::XmlMalformed, "{xml}: {got}");
            assert!(got.contains(message), "{xml}: {got}");
        }
        // `<?pi?>` is fine: a target needs white space only before data.
        for ok in [
            "<?xml version='1.0' encoding='UTF-8' standalone='no' ?><a/>",
            "<?xml version=\"1.0\"?>\r\n<?pi?><?pi  data ?><a/>",
            "<a xmlns='u' xmlns:n='v' n:x='1' x='2'><n:b xml:lang='pt'/></a>",
            "<n:a xmlns:n='u' xmlns:m='v' n:x='1' m:x='2'><m:b/></n:a>",
            "<a><b xmlns:n='u'><n:c/></b><c xmlns:n='w'/></a>",
            "<a b='&#60;&lt;&amp;' c=\"]]>\">]] ]&gt; &#x10000;\u{FFFD}</a>",
            "<a><!----><!-- - --></a>",
            "<a x:y='1' xmlns:x='u'/>",
            // The `xml` prefix is bound by definition, on elements as on attributes.
            "<a><xml:b xml:lang='pt'/></a>",
        ] {
            assert!(scan(ok).is_ok(), "{ok}: {:?}", scan(ok));
        }
        assert_eq!(scan("<n:a xmlns:n='u'><b/></n:a>").unwrap().len(), 3);
        // A prefix declared on an element goes out of scope when it ends.
        let (_, got) = scan("<a><b xmlns:n='u'/><n:c/></a>").unwrap_err();
        assert!(got.contains("the prefix of n:c is not declared"), "{got}");
        // Messages cut what they quote.
        let long = format!("<{0}/><{0}/>", "x".repeat(100));
        assert!(
            scan(&long)
                .unwrap_err()
                .1
                .contains(&format!("<{}…>", "x".repeat(40)))
        );
    }

    #[test]
    fn the_whole_document_is_checked_from_the_first_event() {
        let utf8 = "<a>ok</a>\u{FFFF}";
        let mut events = Events::new(utf8);
        let err = events.scan().unwrap_err();
        assert_eq!(
            err.message,
            "malformed XML at byte 9: a character XML does not allow (\u{FFFF})"
        );
        assert!(well_formed(b"<?xml version='1.0' encoding='ISO-8859-1'?><a>\xe7</a>").is_ok());
        assert_eq!(
            well_formed(b"<a/>\n<b/>").unwrap_err().error_type,
            ErrorType::XmlMalformed
        );
    }

    #[test]
    fn attributes() {
        let events = |xml: &'static str| {
            let mut ev = Events::new(xml);
            match ev.scan().unwrap() {
                Event::Start(t) | Event::Empty(t) => t,
                other => panic!("{other:?}"),
            }
        };
        let tag = events("<infNFe versao=\"4.00\"  n:Id = 'NFe35&amp;1' x=\" a>b \" xmlns:n='u'/>");
        assert_eq!(tag.local(), b"infNFe");
        assert_eq!(tag.attr(b"versao").unwrap().as_deref(), Some("4.00"));
        assert_eq!(tag.attr(b"Id").unwrap().as_deref(), Some("NFe35&1"));
        assert_eq!(tag.attr(b"x").unwrap().as_deref(), Some("a>b"));
        assert_eq!(tag.attr(b"missing").unwrap(), None);
        let keys: Vec<_> = tag.attributes().map(|a| a.unwrap().key).collect();
        assert_eq!(keys, [&b"versao"[..], b"n:Id", b"x", b"xmlns:n"]);
        for bad in ["<a b>", "<a b=c>", "<a =\"c\">", "<a b=\"&bogus;\">"] {
            let err = Events::new(bad).scan().unwrap_err();
            assert_eq!(err.error_type, ErrorType::XmlMalformed, "{bad}");
        }
    }

    #[test]
    fn prefixes_are_found_by_hash_and_restored_when_their_element_ends() {
        let mut scope = Scope::default();
        assert_eq!(scope.uri(b"n"), None);
        scope.declare(b"n", b"u1");
        scope.declare(b"m", b"v");
        let outer = scope.len();
        scope.declare(b"n", b"u2");
        assert_eq!(scope.uri(b"n"), Some(&b"u2"[..]));
        assert_eq!(scope.uri(b"m"), Some(&b"v"[..]));
        scope.truncate(outer);
        assert_eq!(scope.uri(b"n"), Some(&b"u1"[..]));
        scope.truncate(0);
        assert_eq!((scope.uri(b"n"), scope.uri(b"m")), (None, None));
        // Past Scope::FEW the map takes over, and hands back when they go out of scope.
        for i in 0..40 {
            scope.declare(
                if i % 2 == 0 { b"n" } else { b"m" },
                if i == 39 { b"last" } else { b"u" },
            );
        }
        assert_eq!(scope.uri(b"m"), Some(&b"last"[..]));
        scope.truncate(39);
        assert_eq!(scope.uri(b"m"), Some(&b"u"[..]));
        scope.truncate(3);
        assert_eq!(
            (scope.uri(b"n"), scope.uri(b"m")),
            (Some(&b"u"[..]), Some(&b"u"[..]))
        );
        scope.truncate(0);
        // 100,000 prefixes in scope, each looked up: a scan of the bindings made this five
        // billion comparisons; hashed, it takes milliseconds even unoptimised.
        let names: Vec<String> = (0..100_000).map(|i| format!("p{i}")).collect();
        for n in &names {
            scope.declare(n.as_bytes(), b"u");
        }
        let started = Instant::now();
        assert!(names.iter().all(|n| scope.uri(n.as_bytes()).is_some()));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        // Through the scanner: an inner declaration hides the outer one inside its element only.
        let (_, got) =
            scan("<a xmlns:n='u' xmlns:m='v'><b xmlns:n='v' n:x='1' m:x='2'/></a>").unwrap_err();
        assert!(got.contains("the same name in the same namespace"), "{got}");
        assert!(
            scan("<a xmlns:n='u' xmlns:m='v'><b xmlns:n='v'/><c n:x='1' m:x='2'/></a>").is_ok()
        );
    }

    #[test]
    fn absurd_counts_are_xml_too_complex() {
        let attrs = |n: usize| (0..n).map(|i| format!(" a{i}='1'")).collect::<String>();
        assert!(scan(&format!("<a{}/>", attrs(MAX_ATTRIBUTES))).is_ok());
        let (ty, got) = scan(&format!("<a{}/>", attrs(MAX_ATTRIBUTES + 1))).unwrap_err();
        assert_eq!(ty, ErrorType::XmlTooComplex);
        assert_eq!(got, "<a> has more than 10000 attributes");
        // Declarations in scope count across elements.
        let decls = |from: usize, n: usize| {
            (from..from + n)
                .map(|i| format!(" xmlns:p{i}='u'"))
                .collect::<String>()
        };
        let half = MAX_ATTRIBUTES / 2;
        let nested = |more: usize| format!("<a{}><b{}/></a>", decls(0, half), decls(half, more));
        assert!(scan(&nested(half)).is_ok());
        let (ty, got) = scan(&nested(half + 1)).unwrap_err();
        assert_eq!(ty, ErrorType::XmlTooComplex);
        assert_eq!(
            got,
            "<b> has more than 10000 namespace declarations in scope"
        );
        // Out of scope, they no longer count.
        let siblings = format!(
            "<a><b{}/><c{}/></a>",
            decls(0, half + 1),
            decls(0, half + 1)
        );
        assert!(scan(&siblings).is_ok());
    }

    #[test]
    fn the_deadline_is_checked_inside_one_tag_and_after_big_events() {
        let src = |deadline| crate::format::Source {
            origin: "t.xml",
            sha256: "0",
            deadline,
        };
        let later = src(Instant::now() + std::time::Duration::from_secs(3600));
        let past = src(Instant::now());
        std::thread::sleep(std::time::Duration::from_millis(2));
        // The first event is checked.
        assert_eq!(
            Events::new("<a/>").next(&past).unwrap_err().error_type,
            ErrorType::Timeout
        );
        // Inside one start tag, every CHECK_ATTRIBUTES.
        let tag = format!(
            "<a{}/>",
            (0..5_000).map(|i| format!(" a{i}='1'")).collect::<String>()
        );
        let mut events = Events::new(&tag);
        events.deadline = Some(past.deadline);
        events.check_at = usize::MAX;
        assert_eq!(events.scan().unwrap_err().error_type, ErrorType::Timeout);
        // After CHECK_BYTES of text, however few events that was.
        let xml = format!("<a>{}<b/></a>", "x".repeat(CHECK_BYTES + 1));
        let mut events = Events::new(&xml);
        assert!(matches!(events.next(&later), Ok(Event::Start(_))));
        assert!(matches!(events.next(&past), Ok(Event::Text(_))));
        assert_eq!(
            events.next(&past).unwrap_err().error_type,
            ErrorType::Timeout
        );
    }

    #[test]
    fn first_elements_reads_only_the_head() {
        let names = |xml: &str| -> Vec<String> {
            first_elements(xml.as_bytes(), 3)
                .unwrap()
                .iter()
                .map(|n| format!("{n:?}"))
                .collect()
        };
        assert_eq!(names("<a><b/><c>text</c><d/></a>"), ["a", "b", "c"]);
        assert_eq!(names("<x:a xmlns:x='u'><b>cut off"), ["a", "b"]);
        assert_eq!(
            first_elements(b"<!DOCTYPE a><a/>", 3)
                .unwrap_err()
                .error_type,
            ErrorType::XmlDoctypeRejected
        );
        assert_eq!(
            first_elements(b"  just text", 3).unwrap_err().error_type,
            ErrorType::XmlMalformed
        );
    }
}
