//! What the scanner hands out: the events of a document and the start tags inside them, with
//! their attributes read lazily, on demand, from the slice of the input the tag was scanned
//! from. Kept apart from the scanner so that a parser's view of a document reads on one page.

use super::chars::{is_space, skip_space};
use super::local;
use super::text::{self, Run};
use crate::error::{ErrorType, FileError};
use memchr::memchr;
use std::borrow::Cow;

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
    /// Character data as written: references are resolved by [`Text::push`](super::Text::push).
    Text(Run<'a>),
    /// The content of a CDATA section, verbatim.
    CData(&'a str),
    /// The end of the input, after the root element closed.
    Eof,
}

/// A start tag: its qualified name and the raw attribute text after it.
#[derive(Debug, Clone, Copy)]
pub struct Tag<'a> {
    pub(super) name: &'a [u8],
    pub(super) attrs: &'a [u8],
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
pub(super) fn normalized(raw: &[u8]) -> Result<Cow<'_, str>, FileError> {
    let raw = text::utf8(raw)?;
    if !text::attribute_needs_work(raw) {
        return Ok(Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    text::unescape_into(raw, true, &mut out)?;
    Ok(Cow::Owned(out))
}

fn skip_to_content(b: &[u8]) -> &[u8] {
    &b[skip_space(b, 0)..]
}
