//! Row-shaped input, one interface for every kind: a CSV file and a spreadsheet both hand the
//! catalog reader [`Row`]s (a number as the user's program shows it, and typed fields), one at a
//! time, into one reused buffer.

use crate::error::{ErrorType, FileError};
use crate::format::csv::{Record, RecordTooLong, Records};
use std::borrow::Cow;
use std::io::Read;

/// What takes rows one at a time; it returns false to stop.
pub type Take<'a> = dyn FnMut(&Row) -> bool + 'a;

/// One row: its number (an editor's line for CSV, the spreadsheet's row number) and its fields,
/// in order, as the input typed them.
#[derive(Debug, Default)]
pub struct Row {
    pub line: u64,
    fields: Vec<Field>,
    /// The text of the text fields, one after another.
    text: String,
    /// The fields that are a spreadsheet formula with no saved result (empty fields).
    uncomputed: Vec<usize>,
}

#[derive(Debug, Clone, Copy)]
enum Field {
    Empty,
    /// A range of [`Row::text`].
    Text(u32, u32),
    Number(f64),
}

/// A field of a [`Row`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Empty,
    /// Text, trimmed (dates from a spreadsheet come as ISO text: `2026-10-05`).
    Text(&'a str),
    /// A number a spreadsheet stored as a number.
    Number(f64),
}

impl Row {
    pub fn clear(&mut self, line: u64) {
        self.line = line;
        self.fields.clear();
        self.text.clear();
        self.uncomputed.clear();
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// A text field, trimmed and without NULs. PostgreSQL's text cannot hold a NUL (its sink
    /// drops them), so they go here, before keys are compared and rows counted: `A\0` and `A`
    /// are one SKU on either database, and the counts are what is stored.
    pub fn push_text(&mut self, s: &str) {
        let cleaned;
        let s = if s.contains('\0') {
            cleaned = s.replace('\0', "");
            cleaned.as_str()
        } else {
            s
        };
        let s = s.trim();
        if s.is_empty() {
            return self.push_empty();
        }
        let start = self.text.len() as u32;
        self.text.push_str(s);
        self.fields.push(Field::Text(start, self.text.len() as u32));
    }

    pub fn push_number(&mut self, v: f64) {
        self.fields.push(Field::Number(v));
    }

    pub fn push_empty(&mut self) {
        self.fields.push(Field::Empty);
    }

    /// A formula cell the workbook holds no result for (a program wrote the formula and no
    /// spreadsheet ever computed it): an empty field, said so when a value was needed.
    pub fn push_uncomputed(&mut self) {
        self.uncomputed.push(self.fields.len());
        self.push_empty();
    }

    /// Whether field `i` is a formula with no saved result.
    pub fn is_uncomputed(&self, i: usize) -> bool {
        self.uncomputed.contains(&i)
    }

    /// Pad with empty fields (or cut) to `n` fields.
    pub fn resize(&mut self, n: usize) {
        self.fields.resize(n, Field::Empty);
    }

    pub fn cell(&self, i: usize) -> Cell<'_> {
        match self.fields.get(i) {
            None | Some(Field::Empty) => Cell::Empty,
            Some(&Field::Text(s, e)) => Cell::Text(&self.text[s as usize..e as usize]),
            Some(&Field::Number(v)) => Cell::Number(v),
        }
    }

    pub fn cells(&self) -> impl Iterator<Item = Cell<'_>> {
        (0..self.fields.len()).map(|i| self.cell(i))
    }

    /// Whether every field is empty (a blank line, an empty spreadsheet row).
    pub fn is_blank(&self) -> bool {
        self.fields.iter().all(|f| matches!(f, Field::Empty))
    }
}

impl Cell<'_> {
    /// The field as text: a number as its shortest exact decimal (`123`, `1.1`).
    pub fn text(&self) -> Cow<'_, str> {
        match *self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(s) => Cow::Borrowed(s),
            Cell::Number(v) => Cow::Owned(number_text(v)),
        }
    }
}

/// A number as text: integral values without a fraction (`123`, not `123.0`), others as the
/// shortest decimal that reads back as the same double (`1.1`, not `1.1000000000000001`).
pub fn number_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// A CSV field's text: UTF-8, or Latin-1 (windows-1252) when it is not valid UTF-8.
pub(super) fn decode(field: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(field) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(field)
                .0
        }
    }
}

/// The rows of a CSV catalog after its header (`input` starts there; `first_line` is the
/// header's line + 1), each handed to `row` until it returns false.
pub fn csv(
    input: impl Read,
    delimiter: u8,
    first_line: u64,
    row: &mut Take,
) -> Result<(), FileError> {
    let mut records = Records::new(input, delimiter, first_line);
    let mut record = Record::default();
    let mut out = Row::default();
    let read_error = |e: std::io::Error| match e.get_ref().and_then(|e| e.downcast_ref()) {
        Some(too_long @ RecordTooLong { .. }) => {
            FileError::new(ErrorType::CatalogMalformed, too_long.to_string())
        }
        None => FileError::new(ErrorType::IoError, format!("cannot read the catalog: {e}")),
    };
    while records.read(&mut record).map_err(read_error)? {
        out.clear(record.line);
        for field in record.fields() {
            out.push_text(&decode(field.trim_ascii()));
        }
        if !row(&out) {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_hold_typed_fields() {
        let mut row = Row::default();
        row.clear(7);
        row.push_text(" \0A-100\0 ");
        row.push_number(1.1);
        row.push_empty();
        row.push_text(" \0 ");
        row.push_number(123.0);
        assert_eq!(row.line, 7);
        assert_eq!(row.len(), 5);
        let cells: Vec<_> = row.cells().collect();
        assert_eq!(
            cells,
            [
                Cell::Text("A-100"),
                Cell::Number(1.1),
                Cell::Empty,
                Cell::Empty,
                Cell::Number(123.0)
            ]
        );
        assert_eq!(row.cell(1).text(), "1.1");
        assert_eq!(row.cell(4).text(), "123");
        assert_eq!(row.cell(9), Cell::Empty);
        assert!(!row.is_blank());
        row.clear(8);
        row.push_text("");
        assert!(row.is_blank());
        row.resize(3);
        assert_eq!(row.len(), 3);
    }

    #[test]
    fn numbers_as_text() {
        assert_eq!(number_text(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(number_text(12.5), "12.5");
        assert_eq!(number_text(-3.0), "-3");
        assert_eq!(number_text(1e20), "100000000000000000000");
    }
}
