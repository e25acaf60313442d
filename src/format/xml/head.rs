//! The first elements of a file, read from its head in whatever encoding: what sniffing decides
//! a file's kind by, and what the user is told an XML file nobody reads is.

use super::events::Events;
use super::local;
use super::tag::{Event, Tag};
use crate::error::{ErrorType, FileError};

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
