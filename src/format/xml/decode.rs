//! A document's bytes as UTF-8, whatever encoding it is in.

use crate::error::{ErrorType, FileError};
use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};
use std::borrow::Cow;

fn encoding_error(message: String) -> FileError {
    FileError::new(ErrorType::XmlEncoding, message)
}

/// The document as UTF-8, whatever it declared: a byte-order mark says UTF-8 or UTF-16 (and the
/// declaration may not say otherwise); without one, the declaration's label is transcoded
/// (ISO-8859-1, windows-1252 and any other label encoding_rs knows). Already-UTF-8 input is
/// borrowed, not copied.
pub fn to_utf8(bytes: &[u8]) -> Result<Cow<'_, str>, FileError> {
    let (bom, body) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        (Some(UTF_8), rest)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        (Some(UTF_16BE), rest)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        (Some(UTF_16LE), rest)
    } else {
        (None, bytes)
    };
    let decoded = match bom {
        Some(e) if e != UTF_8 => Some(decode(e, body)?),
        _ => None,
    };
    // The declaration is ASCII in every encoding batchimp reads once UTF-16 is decoded.
    let head = decoded.as_ref().map_or(body, |s| s.as_bytes());
    let declared = match declared_encoding(head) {
        None => None,
        Some(label) => Some(Encoding::for_label(label).ok_or_else(|| {
            encoding_error(format!(
                "unknown encoding {:?}",
                String::from_utf8_lossy(label)
            ))
        })?),
    };
    let utf16 = |e: &'static Encoding| e == UTF_16LE || e == UTF_16BE;
    match (bom, declared) {
        (Some(bom), Some(declared)) if bom != declared && !(utf16(bom) && utf16(declared)) => {
            Err(encoding_error(format!(
                "declares encoding {} but starts with a {} byte-order mark",
                declared.name(),
                bom.name()
            )))
        }
        (Some(_), _) => match decoded {
            Some(s) => Ok(s),
            None => validate_utf8(body).map(Cow::Borrowed),
        },
        (None, Some(declared)) if utf16(declared) => Err(encoding_error(format!(
            "declares encoding {} but has no UTF-16 byte-order mark",
            declared.name()
        ))),
        (None, Some(declared)) if declared != UTF_8 => decode(declared, bytes),
        (None, _) => validate_utf8(bytes).map(Cow::Borrowed),
    }
}

fn decode<'b>(encoding: &'static Encoding, bytes: &'b [u8]) -> Result<Cow<'b, str>, FileError> {
    match encoding.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(s) => Ok(s),
        None => Err(encoding_error(format!(
            "bytes not valid in the declared encoding {}",
            encoding.name()
        ))),
    }
}

fn validate_utf8(bytes: &[u8]) -> Result<&str, FileError> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => Err(encoding_error(format!(
            "invalid UTF-8 at byte {} (declare the real encoding in the XML declaration)",
            e.valid_up_to()
        ))),
    }
}

/// The `encoding="..."` label of the XML declaration, if there is one. Leading white space is
/// skipped here: a declaration after it is an error the scanner reports.
fn declared_encoding(bytes: &[u8]) -> Option<&[u8]> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    let decl = bytes[start..].strip_prefix(b"<?xml")?;
    let end = memchr::memmem::find(&decl[..decl.len().min(512)], b"?>")?;
    let decl = &decl[..end];
    let at = memchr::memmem::find(decl, b"encoding")?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str) -> Vec<u8> {
        let mut out = vec![0xFF, 0xFE];
        out.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        out
    }

    #[test]
    fn encodings() {
        let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\xe7</a>";
        assert_eq!(
            to_utf8(latin1).unwrap().as_bytes(),
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>ç</a>".as_bytes()
        );
        let doc = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><a>ação</a>";
        assert_eq!(to_utf8(&utf16le(doc)).unwrap(), doc);
        assert_eq!(to_utf8(&utf16le("<a/>")).unwrap(), "<a/>");
        assert_eq!(to_utf8(b"\xEF\xBB\xBF<a/>").unwrap(), "<a/>");
        for bad in [
            &b"\xEF\xBB\xBF<?xml version='1.0' encoding='ISO-8859-1'?><a/>"[..],
            b"<?xml version='1.0' encoding='UTF-16'?><a/>",
            b"<?xml version='1.0' encoding='klingon'?><a/>",
            b"<a>\xe7</a>",
        ] {
            let err = to_utf8(bad).unwrap_err();
            assert_eq!(err.error_type, ErrorType::XmlEncoding, "{bad:?}");
        }
        let mixed = utf16le("<?xml version='1.0' encoding='ISO-8859-1'?><a/>");
        assert_eq!(
            to_utf8(&mixed).unwrap_err().error_type,
            ErrorType::XmlEncoding
        );
    }
}
