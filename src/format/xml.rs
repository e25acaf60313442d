//! XML plumbing shared by the XML formats: decoding to UTF-8 whatever the declared encoding,
//! a borrowing event scanner, element text, attributes and typed errors.
//!
//! The scanner is batchimp's own. Fiscal XML needs elements, attributes, text, CDATA, comments
//! and processing instructions, the five predefined entities and character references, and
//! nothing else (a DOCTYPE is refused). The scanner hands out slices of the input (no allocation
//! and no copying per event) and checks what the parsers rely on: end tags match their start
//! tags, nesting stays under [`MAX_DEPTH`], and input that ends inside markup or with elements
//! still open is `xml_truncated`. It replaced quick-xml's event loop, which was half the cost of
//! parsing an NF-e (BENCHMARKS.md).

use crate::error::{ErrorType, FileError};
use memchr::{memchr, memmem};
use std::borrow::Cow;

/// Deepest element nesting accepted (`xml_too_deep` past it). Real fiscal documents stay under 20.
pub const MAX_DEPTH: usize = 256;

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

/// One piece of a document, borrowed from the input. Comments, processing instructions and the
/// XML declaration are skipped by the scanner.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// `<name ...>`: an element opens.
    Start(Tag<'a>),
    /// `<name .../>`: an element without content (no `End` follows).
    Empty(Tag<'a>),
    /// `</name>`, already checked against the element it closes.
    End,
    /// Character data as written: references are resolved by [`Text::push`].
    Text(&'a [u8]),
    /// The content of a CDATA section, verbatim.
    CData(&'a [u8]),
    /// The end of the input, every element closed.
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

    /// The value with its references resolved (borrowed when it has none).
    pub fn value(&self) -> Result<Cow<'a, str>, FileError> {
        if memchr(b'&', self.raw).is_none() {
            return utf8(self.raw).map(Cow::Borrowed);
        }
        let mut out = String::with_capacity(self.raw.len());
        unescape_into(self.raw, &mut out)?;
        Ok(Cow::Owned(out))
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
        let rest = trim_start(self.rest);
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
            .position(|&c| c == b'=' || c.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let key = &rest[..key_len];
        if key.is_empty() {
            return bad("an attribute without a name");
        }
        let Some(after_eq) = trim_start(&rest[key_len..]).strip_prefix(b"=") else {
            return bad("an attribute without a value");
        };
        let value = trim_start(after_eq);
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

/// The event scanner every batchimp XML parser runs over UTF-8 bytes: errors typed
/// (`xml_truncated`, `xml_malformed`, `xml_too_deep`, `xml_doctype_rejected`), and the file's
/// deadline checked every 4,096 events.
pub struct Events<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Qualified names of the open elements, outermost first.
    open: Vec<&'a [u8]>,
    count: u32,
}

impl<'a> Events<'a> {
    pub fn new(bytes: &'a [u8]) -> Events<'a> {
        Events {
            bytes,
            pos: 0,
            open: Vec::with_capacity(16),
            count: 0,
        }
    }

    #[inline(always)]
    pub fn next(&mut self, src: &super::Source) -> Result<Event<'a>, FileError> {
        self.count = self.count.wrapping_add(1);
        if self.count.is_multiple_of(4096) {
            src.check_deadline()?;
        }
        self.scan()
    }

    /// The next event, without the deadline check.
    #[inline]
    fn scan(&mut self) -> Result<Event<'a>, FileError> {
        let b = self.bytes;
        loop {
            let pos = self.pos;
            let Some(&first) = b.get(pos) else {
                return match self.open.last() {
                    Some(open) => Err(truncated(b.len(), local(open))),
                    None => Ok(Event::Eof),
                };
            };
            if first != b'<' {
                let end = memchr(b'<', &b[pos..]).map_or(b.len(), |i| pos + i);
                self.pos = end;
                return Ok(Event::Text(&b[pos..end]));
            }
            match b.get(pos + 1) {
                None => return Err(self.cut("a tag")),
                Some(b'/') => {
                    let Some(gt) = memchr(b'>', &b[pos + 2..]) else {
                        return Err(self.cut("an end tag"));
                    };
                    let name = trim_end(&b[pos + 2..pos + 2 + gt]);
                    self.pos = pos + 3 + gt;
                    return match self.open.pop() {
                        Some(open) if open == name => Ok(Event::End),
                        Some(open) => Err(malformed(
                            pos,
                            format_args!(
                                "</{}> where </{}> was expected",
                                String::from_utf8_lossy(name),
                                String::from_utf8_lossy(open)
                            ),
                        )),
                        None => Err(malformed(
                            pos,
                            format_args!(
                                "</{}> closes no open element",
                                String::from_utf8_lossy(name)
                            ),
                        )),
                    };
                }
                Some(b'?') => {
                    let Some(end) = memmem::find(&b[pos + 2..], b"?>") else {
                        return Err(self.cut("a processing instruction"));
                    };
                    self.pos = pos + 2 + end + 2;
                }
                Some(b'!') => {
                    let rest = &b[pos..];
                    if rest.starts_with(b"<!--") {
                        let Some(end) = memmem::find(&rest[4..], b"-->") else {
                            return Err(self.cut("a comment"));
                        };
                        self.pos = pos + 4 + end + 3;
                    } else if rest.starts_with(b"<![CDATA[") {
                        let body = &rest[9..];
                        let Some(end) = memmem::find(body, b"]]>") else {
                            return Err(self.cut("a CDATA section"));
                        };
                        self.pos = pos + 9 + end + 3;
                        return Ok(Event::CData(&body[..end]));
                    } else if rest.len() >= 9 && rest[..9].eq_ignore_ascii_case(b"<!DOCTYPE") {
                        return Err(doctype_rejected());
                    } else if rest.len() < 9
                        && [&b"<!--"[..], b"<![CDATA[", b"<!DOCTYPE"]
                            .iter()
                            .any(|m| m.starts_with(rest))
                    {
                        return Err(self.cut("markup"));
                    } else {
                        return Err(malformed(pos, "unknown markup after `<!`"));
                    }
                }
                Some(_) => {
                    let Some(gt) = tag_end(b, pos + 1) else {
                        return Err(self.cut("a start tag"));
                    };
                    self.pos = gt + 1;
                    let mut body = &b[pos + 1..gt];
                    let empty = body.last() == Some(&b'/');
                    if empty {
                        body = &body[..body.len() - 1];
                    }
                    let name_len = body
                        .iter()
                        .position(|c| c.is_ascii_whitespace())
                        .unwrap_or(body.len());
                    let name = &body[..name_len];
                    if name.is_empty() {
                        return Err(malformed(pos, "a `<` that starts no element"));
                    }
                    let tag = Tag {
                        name,
                        attrs: &body[name_len..],
                    };
                    if empty {
                        return Ok(Event::Empty(tag));
                    }
                    if self.open.len() >= MAX_DEPTH {
                        return Err(too_deep());
                    }
                    self.open.push(name);
                    return Ok(Event::Start(tag));
                }
            }
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

/// The index of the `>` closing the tag whose name starts at `from` (a `>` inside a quoted
/// attribute value does not close it); `None` if the input ends first.
#[inline]
fn tag_end(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(&c) = b.get(i) {
        match c {
            b'>' => return Some(i),
            b'"' | b'\'' => i += 1 + memchr(c, &b[i + 1..])? + 1,
            _ => i += 1,
        }
    }
    None
}

/// Resolve the references in `raw` (the five predefined entities, `&#N;`, `&#xH;`) into `out`.
/// Anything else is an error: batchimp never expands declared entities.
fn unescape_into(raw: &[u8], out: &mut String) -> Result<(), FileError> {
    let mut rest = raw;
    while let Some(amp) = memchr(b'&', rest) {
        out.push_str(utf8(&rest[..amp])?);
        let after = &rest[amp + 1..];
        let Some(semi) = after.iter().take(12).position(|&c| c == b';') else {
            return Err(FileError::new(
                ErrorType::XmlMalformed,
                "malformed XML: an `&` that starts no reference (write `&amp;`)",
            ));
        };
        let name = &after[..semi];
        let c = resolve(name).ok_or_else(|| {
            FileError::new(
                ErrorType::XmlMalformed,
                format!("unknown entity &{};", String::from_utf8_lossy(name)),
            )
        })?;
        out.push(c);
        rest = &after[semi + 1..];
    }
    out.push_str(utf8(rest)?);
    Ok(())
}

/// The character a reference names (`amp`, `#233`, `#xE9`), if it is one batchimp resolves.
fn resolve(name: &[u8]) -> Option<char> {
    let code = match name {
        b"lt" => return Some('<'),
        b"gt" => return Some('>'),
        b"amp" => return Some('&'),
        b"apos" => return Some('\''),
        b"quot" => return Some('"'),
        [b'#', b'x', hex @ ..] => u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?,
        [b'#', dec @ ..] => std::str::from_utf8(dec).ok()?.parse().ok()?,
        _ => return None,
    };
    char::from_u32(code).filter(|&c| c != '\0')
}

fn trim_end(b: &[u8]) -> &[u8] {
    let n = b
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_whitespace())
        .count();
    &b[..b.len() - n]
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
    let mut events = Events::new(bytes);
    let mut names = Vec::with_capacity(n);
    loop {
        match events.scan() {
            Ok(Event::Start(tag) | Event::Empty(tag)) => {
                names.push(Name::of(&tag));
                if names.len() == n {
                    return Ok(names);
                }
            }
            Ok(Event::Eof) if names.is_empty() => {
                return Err(FileError::new(ErrorType::XmlMalformed, "no root element"));
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

/// One element's text, across text runs, references and CDATA. The common case, a single run
/// of plain text, stays a slice of the input: nothing is copied until it needs assembling.
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
        self.assembled = None;
    }

    /// Whether there is no text (an element that only holds elements, or an empty one).
    pub fn is_empty(&self) -> bool {
        self.run.is_none() && self.assembled.as_ref().is_none_or(String::is_empty)
    }

    /// Append character data as written (a [`Event::Text`]): its references are resolved here,
    /// and an unknown one is an error.
    pub fn push(&mut self, raw: &'a [u8]) -> Result<(), FileError> {
        if memchr(b'&', raw).is_none() {
            return self.push_verbatim(raw);
        }
        unescape_into(raw, self.assembling())
    }

    /// Append text taken as is (a [`Event::CData`]).
    pub fn push_verbatim(&mut self, raw: &'a [u8]) -> Result<(), FileError> {
        if self.run.is_none() && self.assembled.is_none() {
            self.run = Some(raw);
        } else {
            let s = utf8(raw)?;
            self.assembling().push_str(s);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The events of `xml` in a compact notation, or the error's type and message.
    fn scan(xml: &str) -> Result<Vec<String>, (ErrorType, String)> {
        let mut events = Events::new(xml.as_bytes());
        let mut out = Vec::new();
        loop {
            let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            match events.scan() {
                Ok(Event::Start(t)) => out.push(format!("<{}>", show(t.name()))),
                Ok(Event::Empty(t)) => out.push(format!("<{}/>", show(t.name()))),
                Ok(Event::End) => out.push("</>".into()),
                Ok(Event::Text(t)) => out.push(format!("'{}'", show(t))),
                Ok(Event::CData(t)) => out.push(format!("[{}]", show(t))),
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
        assert_eq!(scan("").unwrap(), Vec::<String>::new());
        assert_eq!(scan("<n:a></n:a>").unwrap(), ["<n:a>", "</>"]);
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
    fn text_resolves_references_and_keeps_plain_runs_borrowed() {
        let mut text = Text::default();
        text.push(b" plain ").unwrap();
        assert!(text.assembled.is_none());
        assert_eq!(text.get().unwrap(), "plain");
        text.clear();
        assert!(text.is_empty());
        text.push(b"A&amp;B &lt;&gt;&quot;&apos; &#233;&#xE9;")
            .unwrap();
        text.push_verbatim(b" <&amp;>").unwrap();
        assert_eq!(text.get().unwrap(), "A&B <>\"' éé <&amp;>");
        for bad in [&b"a & b"[..], b"&nbsp;", b"&#0;", b"&#xD800;", b"&#x;"] {
            let mut text = Text::default();
            let err = text.push(bad).unwrap_err();
            assert_eq!(err.error_type, ErrorType::XmlMalformed, "{bad:?}");
        }
    }

    #[test]
    fn attributes() {
        let events = |xml: &'static str| {
            let mut ev = Events::new(xml.as_bytes());
            match ev.scan().unwrap() {
                Event::Start(t) | Event::Empty(t) => t,
                other => panic!("{other:?}"),
            }
        };
        let tag = events("<infNFe versao=\"4.00\"  n:Id = 'NFe35&amp;1' x=\" a>b \"/>");
        assert_eq!(tag.local(), b"infNFe");
        assert_eq!(tag.attr(b"versao").unwrap().as_deref(), Some("4.00"));
        assert_eq!(tag.attr(b"Id").unwrap().as_deref(), Some("NFe35&1"));
        assert_eq!(tag.attr(b"x").unwrap().as_deref(), Some("a>b"));
        assert_eq!(tag.attr(b"missing").unwrap(), None);
        let keys: Vec<_> = tag.attributes().map(|a| a.unwrap().key).collect();
        assert_eq!(keys, [&b"versao"[..], b"n:Id", b"x"]);
        for bad in ["<a b>", "<a b=c>", "<a =\"c\">", "<a b=\"&bogus;\">"] {
            let err = events(bad).attr(b"b").unwrap_err();
            assert_eq!(err.error_type, ErrorType::XmlMalformed, "{bad}");
        }
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
        assert_eq!(names("<x:a><b>cut off"), ["a", "b"]);
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
