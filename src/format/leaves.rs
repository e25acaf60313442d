//! The streaming pass that Brazil's documents whose data sits in the text of leaf elements
//! share: NF-e's events ([`super::nfe::evento`]), CT-e and MDF-e ([`super::freight`]) and NFS-e
//! ([`super::nfse`]).
//!
//! One pass of the XML scanner keeps the stack of open elements' local names (borrowed from
//! the input, so namespaces and prefixes do not matter) and each element's text; a reader
//! ([`Leaves`]) is shown every element as it opens and as it closes, and decides from the names
//! above it what it is. Each reader keeps only its own state: where its documents start and
//! end, and the values read so far.

use super::xml::{self, Event, Tag, Text};
use super::{Doc, Parsed, Source};
use crate::error::FileError;

/// A reader of leaves' text, shown the elements of a document as they open and close.
pub(super) trait Leaves {
    /// `e` opens below the open elements `stack` (local names from the root).
    fn open(&mut self, stack: &[&[u8]], e: &Tag) -> Result<(), FileError>;

    /// The last element of `stack` closes; `text` is what it held (empty for one that only
    /// held elements).
    fn close(&mut self, stack: &[&[u8]], text: &Text) -> Result<(), FileError>;
}

/// One streaming pass over `xml` (already UTF-8), every element shown to `reader`. An empty
/// element (`<a/>`) holds no text and is not shown.
pub(super) fn walk(xml: &str, src: &Source, reader: &mut impl Leaves) -> Result<(), FileError> {
    let mut events = xml::Events::new(xml);
    let mut stack: Vec<&[u8]> = Vec::with_capacity(16);
    let mut text = Text::default();
    loop {
        match events.next(src)? {
            Event::Start(e) => {
                reader.open(&stack, &e)?;
                stack.push(e.local());
                text.clear();
            }
            Event::Text(t) => text.push(t)?,
            Event::CData(t) => text.push_verbatim(t),
            Event::End => {
                reader.close(&stack, &text)?;
                stack.pop();
                text.clear();
            }
            Event::Eof => return Ok(()),
            Event::Empty(_) => {}
        }
    }
}

/// The documents `finish` makes of a file's records; then the first value that did not fit its
/// column, if any, fails the file: after the keys are checked, so a file with a bad key fails
/// for its key.
pub(super) fn finish_all<R>(
    records: Vec<R>,
    field_error: Option<FileError>,
    finish: impl FnMut(R) -> Result<Doc, FileError>,
) -> Parsed {
    let docs = records
        .into_iter()
        .map(finish)
        .collect::<Result<Vec<Doc>, FileError>>()?;
    if let Some(e) = field_error {
        return Err(e);
    }
    Ok(docs)
}
