//! Rows in PostgreSQL's COPY text format: the cheapest way to send many rows, one buffer a
//! table, written with no allocation per cell.

use crate::format::CellRef;
use std::io::Write;

/// One row's cells appended to `buf`: tab-separated, `\N` for NULL, newline-terminated.
pub fn row<'a>(buf: &mut Vec<u8>, cells: impl IntoIterator<Item = CellRef<'a>>) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            buf.push(b'\t');
        }
        cell_into(buf, cell);
    }
    buf.push(b'\n');
}

/// One cell. Numbers are written as Rust prints them: the shortest decimal that reads back as
/// the same double, never with an exponent, which is the document's own value for any amount
/// of up to 15 significant digits.
pub fn cell_into(buf: &mut Vec<u8>, cell: CellRef<'_>) {
    match cell {
        CellRef::Null => buf.extend_from_slice(b"\\N"),
        CellRef::Int(i) => {
            let _ = write!(buf, "{i}");
        }
        CellRef::Num(f) => {
            let _ = write!(buf, "{f}");
        }
        CellRef::Text(s) => text(buf, s),
    }
}

/// Text, escaped: backslash, tab, newline and carriage return. A NUL, which PostgreSQL's text
/// cannot hold, is dropped.
fn text(buf: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            0 => b"",
            _ => continue,
        };
        buf.extend_from_slice(&bytes[start..i]);
        buf.extend_from_slice(escaped);
        start = i + 1;
    }
    buf.extend_from_slice(&bytes[start..]);
}

/// A cell as the text a statement parameter takes (`None` for NULL).
pub fn param(cell: CellRef<'_>) -> Option<String> {
    match cell {
        CellRef::Null => None,
        CellRef::Int(i) => Some(i.to_string()),
        CellRef::Num(f) => Some(f.to_string()),
        CellRef::Text(s) => Some(s.replace('\0', "")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_escaped_and_numbers_exact() {
        let mut buf = Vec::new();
        row(
            &mut buf,
            [
                CellRef::Text("a\tb\\c\nd\re\0f"),
                CellRef::Null,
                CellRef::Int(-7),
                CellRef::Num(1234.5),
                CellRef::Num(0.1),
                CellRef::Num(1e20),
                CellRef::Num("9999999999999.99".parse().unwrap()),
            ],
        );
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "a\\tb\\\\c\\nd\\ref\t\\N\t-7\t1234.5\t0.1\t100000000000000000000\t9999999999999.99\n"
        );
        assert_eq!(param(CellRef::Num(309.5)).as_deref(), Some("309.5"));
        assert_eq!(param(CellRef::Null), None);
    }
}
