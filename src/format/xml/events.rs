//! The event scanner itself: one pass over the document that hands out borrowed events and,
//! in the same pass, checks well-formedness and namespace-well-formedness (what the module
//! above lists), with typed errors and the file's deadline checked as it reads.

use super::chars::{first_forbidden, is_space, name_end, qname_end, skip_space};
use super::scope::Scope;
use super::tag::{Event, Tag, normalized};
use super::text::{self, Run};
use super::{
    CHECK_ATTRIBUTES, CHECK_BYTES, MAX_ATTRIBUTES, MAX_DEPTH, XML_NS, XMLNS_NS, doctype_rejected,
    local, malformed, show, too_complex, too_deep, truncated,
};
use crate::error::{ErrorType, FileError};
use memchr::{memchr, memmem};
use std::borrow::Cow;
use std::time::Instant;

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
    /// without one (sniffing, [`well_formed`](super::well_formed)).
    pub(super) deadline: Option<Instant>,
    /// The position past which [`Events::next`] checks the deadline again.
    pub(super) check_at: usize,
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
    pub(super) fn head(bytes: &'a [u8]) -> Events<'a> {
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
    pub fn next(&mut self, src: &crate::format::Source) -> Result<Event<'a>, FileError> {
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
            Some(deadline) if Instant::now() > deadline => Err(crate::format::timeout_error()),
            _ => Ok(()),
        }
    }

    /// The next event, without the deadline check.
    #[inline]
    pub(super) fn scan(&mut self) -> Result<Event<'a>, FileError> {
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
