//! A catalog's rows as they travel from the reader to the writer: validated in chunks of
//! [`super::CHUNK_ROWS`], their cells in two flat buffers, with the rows rejected among them.

use super::{LINE, WIDTH};
use crate::format::CellRef;

/// A row that failed validation.
pub use crate::format::Reject;

/// Rows validated since the last chunk, and the rows rejected among them. The rows' cells are
/// kept in two flat buffers (no allocation per field), and chunks are handed back to the
/// reader to be filled again.
#[derive(Debug, Default)]
pub struct Chunk {
    /// [`WIDTH`] cells a row, row after row.
    pub(super) cells: Vec<Cell>,
    /// The text of the text cells, one after another.
    pub(super) text: String,
    pub rejects: Vec<Reject>,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Cell {
    Null,
    Int(i64),
    Num(f64),
    /// A range of [`Chunk::text`].
    Text(u32, u32),
}

impl Chunk {
    /// Rows that passed validation.
    pub fn rows(&self) -> usize {
        self.cells.len() / WIDTH
    }

    /// The cells of rows `rows`, row after row, in `PRODUCT`'s column order.
    pub fn cells(&self, rows: std::ops::Range<usize>) -> impl Iterator<Item = CellRef<'_>> {
        self.cells[rows.start * WIDTH..rows.end * WIDTH]
            .iter()
            .map(|c| match *c {
                Cell::Null => CellRef::Null,
                Cell::Int(i) => CellRef::Int(i),
                Cell::Num(f) => CellRef::Num(f),
                Cell::Text(s, e) => CellRef::Text(&self.text[s as usize..e as usize]),
            })
    }

    /// Row `i`'s text in column `c` (`""` if it has none).
    pub fn text_at(&self, i: usize, c: usize) -> &str {
        match self.cells[i * WIDTH + c] {
            Cell::Text(s, e) => &self.text[s as usize..e as usize],
            _ => "",
        }
    }

    /// Row `i`'s line (or spreadsheet row).
    pub fn line(&self, i: usize) -> u64 {
        match self.cells[i * WIDTH + LINE] {
            Cell::Int(line) => line as u64,
            _ => 0,
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.cells.is_empty() && self.rejects.is_empty()
    }

    pub(super) fn clear(&mut self) {
        self.cells.clear();
        self.text.clear();
        self.rejects.clear();
    }
}
