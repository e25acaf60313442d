//! Product catalogs: CSV files and spreadsheets (XLSX) whose header names a SKU, a product name
//! and a price, in English, Portuguese or Spanish (`sku`/`codigo`/`clave`, `name`/`nome`/
//! `nombre`, `price`/`preco`/`precio`...). CSV is separated by `,`, `;`, tabs or `|`, in UTF-8
//! or Latin-1; a workbook's first sheet with such a header is read (`xlsx.rs`).
//!
//! A catalog is not a fiscal document: it is one file of up to millions of rows, and a later
//! catalog updates the products an earlier one loaded. So it does not go through [`super::Doc`]:
//! a worker only recognises it ([`detect`]) and hashes it, and the writer streams it when its
//! turn comes ([`stream`]): a helper thread reads and validates rows while the writer upserts the
//! previous chunk by SKU, so memory stays flat whatever the catalog's size. CSV and spreadsheets
//! reach validation through one interface, [`rows::Row`]s handed over one at a time. A row that fails
//! validation is rejected with its line number and a typed reason; the others go in.
//!
//! Reference tables that look like catalogs (SAT's product and unit codes, the NCM table) have
//! no price column, so they are not catalogs: they are `unsupported`.

mod chunk;
mod header;
pub mod rows;
mod streaming;
pub mod tally;
mod validate;
pub mod xlsx;

pub use chunk::{Chunk, Reject};
pub use header::{Header, Layout, columns, detect, missing_one, near_miss};
pub use streaming::{CHUNK_ROWS, Data, Load, Summary, describe_rejected, read, stream};

use crate::format::{ColType, Table, col};
use header::normalize;
use std::borrow::Cow;

/// The kind name catalogs get in the ledger and report.
pub const KIND: &str = "catalog";

/// Products, one row per supplier and SKU (two suppliers' `A-100` are two products; a catalog
/// without suppliers has supplier `''`): the latest catalog that listed one wrote its row.
pub static PRODUCT: Table = Table {
    name: "product",
    columns: &[
        col("sku", ColType::Text),
        col("name", ColType::Text),
        col("description", ColType::Text),
        col("category", ColType::Text),
        col("unit", ColType::Text),
        col("price", ColType::Numeric),
        col("stock", ColType::Numeric),
        col("supplier_id", ColType::Text).default("''"),
        col("sanitary_certificate", ColType::Text),
        col("lead_time_days", ColType::Integer),
        // The columns batchimp does not map, as a JSON object by header name: nothing a
        // supplier sends is dropped.
        col("extra", ColType::Json),
        // The ledger row (`files.id`) of the catalog that wrote this row, and its line there.
        col("file_id", ColType::Integer),
        col("line", ColType::Integer),
    ],
    primary_key: &["sku", "supplier_id"],
    ..Table::BASE
};

pub static TABLES: &[&Table] = &[&PRODUCT];

const SKU: usize = PRODUCT.col("sku");
const NAME: usize = PRODUCT.col("name");
const PRICE: usize = PRODUCT.col("price");
const FILE_ID: usize = PRODUCT.col("file_id");
const LINE: usize = PRODUCT.col("line");
const EXTRA: usize = PRODUCT.col("extra");
const SUPPLIER: usize = PRODUCT.col("supplier_id");

/// Cells a `product` row has.
pub const WIDTH: usize = PRODUCT.columns.len();

/// What the user says about catalogs' columns: headers batchimp does not know, with the field
/// each fills (`--map 'Ref. Fornecedor=sku'`), and fields every row must fill besides SKU, name
/// and price (`--require sanitary_certificate`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// A header name (as [`normalize`] spells it) and the `product` column it fills.
    names: Vec<(String, usize)>,
    /// The `product` columns every row must fill.
    required: Vec<usize>,
}

/// No `--map` and no `--require`.
pub static NO_MAPPING: Mapping = Mapping {
    names: Vec::new(),
    required: Vec::new(),
};

impl Mapping {
    /// From `--map HEADER=FIELD` pairs and `--require FIELD` names; `Err` names what is wrong.
    pub fn new(map: &[(String, String)], require: &[String]) -> Result<Mapping, String> {
        let mut mapping = Mapping::default();
        for (header, name) in map {
            let normalized = normalize(header);
            if normalized.is_empty() {
                return Err(format!("--map {header:?}={name}: the header name is empty"));
            }
            mapping.names.push((normalized, field(name)?));
        }
        for name in require {
            let c = field(name)?;
            if ![SKU, NAME, PRICE].contains(&c) && !mapping.required.contains(&c) {
                mapping.required.push(c);
            }
        }
        Ok(mapping)
    }
}

/// The `product` column a user names with `--map` or `--require`.
pub fn field(name: &str) -> Result<usize, String> {
    FIELDS
        .iter()
        .position(|f| *f == name.trim())
        .map(|i| PRODUCT.col(FIELDS[i]))
        .ok_or_else(|| {
            format!(
                "{name:?} is not a catalog field (the fields: {})",
                FIELDS.join(", ")
            )
        })
}

/// The `product` columns a catalog's header can fill (the others say where a row came from).
pub const FIELDS: [&str; 10] = [
    "sku",
    "name",
    "description",
    "category",
    "unit",
    "price",
    "stock",
    "supplier_id",
    "sanitary_certificate",
    "lead_time_days",
];

/// Files on disk larger than this are streamed from disk when they are catalogs; smaller ones
/// are read whole by a worker, like any file.
pub const STREAM_ABOVE: u64 = 1 << 20;
/// How much of a file [`detect`] looks at: the header must start within it.
pub const HEAD: usize = 64 * 1024;
/// Lines above the header batchimp looks past (a title, a blank line).
const MAX_LINES_BEFORE_HEADER: usize = 5;

/// A value as a message quotes it: its first 40 characters.
fn shown(s: &str) -> Cow<'_, str> {
    match s.char_indices().nth(40) {
        Some((cut, _)) => Cow::Owned(format!("{}...", &s[..cut])),
        None => Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests;
