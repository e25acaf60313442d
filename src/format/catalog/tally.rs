//! How a catalog's rows met the products stored before it: `created`, `updated` (a field
//! changed), `unchanged` (identical), or `duplicate_in_file` (its key comes again later in the
//! same file: the later row wins, this one is counted and named). Every valid row is exactly one
//! of the four. The writer asks the database what it holds for each row's key before writing a
//! chunk; the decision is made here, the same for every database.

use super::{Chunk, PRODUCT, Reject, SKU, SUPPLIER};
use crate::error::ErrorType;
use crate::schema::Column;
use std::collections::HashMap;

/// The four counts of a catalog's valid rows.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub duplicate_in_file: u64,
}

/// What the database holds for a row's key before the row's chunk is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// The ledger row (`files.id`) of the catalog that wrote it, and its line there.
    pub file_id: i64,
    pub line: i64,
    /// Every compared column (see [`compared`]) equals the row's.
    pub same: bool,
}

/// The `product` columns whose change makes a row `updated`: all but the key and the pointer
/// to the catalog that wrote it.
pub fn compared() -> impl Iterator<Item = (usize, &'static Column)> {
    PRODUCT.columns.iter().enumerate().filter(|(_, c)| {
        !PRODUCT.primary_key.contains(&c.name) && c.name != "file_id" && c.name != "line"
    })
}

impl Tally {
    /// Count the rows of `chunk`, written by catalog `file_id`. `stored(i)` says what the
    /// database holds for row `i`'s key (asked only for a key not met before in this chunk).
    /// The earlier row of a key met again is pushed to `repeats`, naming the row that replaces
    /// it; `row_word` is "line" or "row", as the file numbers them.
    pub fn count<E>(
        &mut self,
        chunk: &Chunk,
        file_id: i64,
        row_word: &str,
        stored: &mut dyn FnMut(usize) -> Result<Option<Stored>, E>,
        repeats: &mut Vec<Reject>,
    ) -> Result<(), E> {
        // The keys met in this chunk, with the line that last had each.
        let mut seen: HashMap<(&str, &str), u64> = HashMap::with_capacity(chunk.rows());
        for i in 0..chunk.rows() {
            let key = (chunk.text_at(i, SKU), chunk.text_at(i, SUPPLIER));
            let line = chunk.line(i);
            match seen.insert(key, line) {
                Some(earlier) => self.repeat(row_word, key, earlier, line, repeats),
                None => match stored(i)? {
                    Some(s) => self.met(file_id, row_word, key, line, s, repeats),
                    None => self.created += 1,
                },
            }
        }
        Ok(())
    }

    /// Count a row of catalog `file_id` whose key is stored: the stored product was written by
    /// an earlier row of the same catalog (the row replaces it), or by another catalog.
    pub fn met(
        &mut self,
        file_id: i64,
        row_word: &str,
        key: (&str, &str),
        line: u64,
        stored: Stored,
        repeats: &mut Vec<Reject>,
    ) {
        if stored.file_id == file_id {
            self.repeat(row_word, key, stored.line as u64, line, repeats);
        } else if stored.same {
            self.unchanged += 1;
        } else {
            self.updated += 1;
        }
    }

    /// The row at `earlier` is replaced by the one at `line`, with the same key.
    fn repeat(
        &mut self,
        row_word: &str,
        (sku, supplier): (&str, &str),
        earlier: u64,
        line: u64,
        repeats: &mut Vec<Reject>,
    ) {
        self.duplicate_in_file += 1;
        let whose = match supplier {
            "" => String::new(),
            s => format!(" of supplier {s:?}"),
        };
        repeats.push(Reject {
            line: earlier,
            error_type: ErrorType::CatalogDuplicateInFile,
            message: format!(
                "{row_word} {earlier}: SKU {sku:?}{whose} comes again in {row_word} {line}, \
                 which replaces it"
            ),
        });
    }

    /// The rows counted.
    pub fn total(&self) -> u64 {
        self.created + self.updated + self.unchanged + self.duplicate_in_file
    }
}
