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

pub mod rows;
pub mod tally;
pub mod xlsx;

use crate::error::{ErrorType, FileError};
use crate::format::csv::{Record, Records};
use crate::format::number::{self, Convention, Votes};
use crate::format::{CellRef, ColType, Table, col};
use rows::{Cell as Field, Row};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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

/// Header names each column is recognised by, after [`normalize`] (lower case, no accents,
/// words joined by `_`).
const ALIASES: &[(usize, &[&str])] = &[
    (
        SKU,
        &[
            "sku",
            "codigo",
            "cod",
            "codigo_produto",
            "cod_produto",
            "codigo_producto",
            "clave",
            "clave_producto",
            "product_code",
            "item_code",
            // Shopify's product export.
            "variant_sku",
            // ERP and marketplace templates.
            "codigo_do_produto",
            "cod_do_produto",
            "codigo_del_producto",
            "clave_del_producto",
            "sku_code",
        ],
    ),
    (
        NAME,
        &[
            "name",
            "product_name",
            "nome",
            "nome_produto",
            "produto",
            "nombre",
            "nombre_producto",
            "producto",
            // Shopify's and WooCommerce's exports.
            "title",
            // ERP and marketplace templates: Brazilian ERPs call the name (NF-e's xProd) the
            // product's description.
            "nome_do_produto",
            "descricao_do_produto",
            "descricao_produto",
            "nombre_del_producto",
            "descripcion_del_producto",
            "product_title",
            "item_name",
        ],
    ),
    (
        PRODUCT.col("description"),
        &["description", "descricao", "descripcion"],
    ),
    (
        PRODUCT.col("category"),
        &["category", "categories", "categoria", "categorias"],
    ),
    (
        PRODUCT.col("unit"),
        &["unit", "uom", "unidade", "unidad", "un", "unid"],
    ),
    (
        PRICE,
        &[
            "price",
            "regular_price",
            "unit_price",
            "preco",
            "preco_venda",
            "preco_de_venda",
            "precio_venta",
            "precio_de_venta",
            "preco_unitario",
            "valor_unitario",
            "precio",
            "precio_unitario",
            "variant_price",
            "sell_price",
            "selling_price",
            "retail_price",
            "preco_de_venda_varejo",
            "valor_de_venda",
            "valor_venda",
            "precio_de_venta_al_publico",
            // Last: WooCommerce's `Sale price` is a discount beside its `Regular price`.
            "sale_price",
        ],
    ),
    (
        PRODUCT.col("stock"),
        &[
            "stock",
            "qty",
            "quantity",
            "estoque",
            "quantidade",
            "existencia",
            "existencias",
            "cantidad",
            "stock_quantity",
            "quantity_in_stock",
            "qty_on_hand",
            "estoque_atual",
            "quantidade_em_estoque",
            "cantidad_en_stock",
        ],
    ),
    (
        PRODUCT.col("supplier_id"),
        &[
            "supplier_id",
            "supplier",
            "fornecedor",
            "fornecedor_id",
            "proveedor",
            "proveedor_id",
        ],
    ),
    (
        PRODUCT.col("sanitary_certificate"),
        &[
            "sanitary_certificate",
            "registro_anvisa",
            "anvisa",
            "registro_sanitario",
            "certificado_sanitario",
        ],
    ),
    (
        PRODUCT.col("lead_time_days"),
        &[
            "lead_time_days",
            "lead_time",
            "prazo_entrega",
            "prazo_entrega_dias",
            "tiempo_entrega",
            "tiempo_entrega_dias",
        ],
    ),
];

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
/// Rows handed to the writer at once...
pub const CHUNK_ROWS: usize = 4096;
/// ... or fewer when their text reaches this (rows can be long: up to a MiB each).
const CHUNK_TEXT: usize = 8 << 20;

/// Where a catalog's header is and what its fields hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub layout: Layout,
    /// The header's line (CSV) or row (spreadsheet) number, 1-based, so rows are numbered as
    /// the user's editor shows them.
    pub line: u64,
    /// For each field of a row: the `product` column it fills, if any.
    pub fields: Vec<Option<usize>>,
    /// For each field: its name in the header, as written.
    pub names: Vec<String>,
    /// For each numeric field: the decimal separator its values use (decided from the first
    /// rows, or `--decimal-separator`); `None` when they do not say.
    pub decimal: Vec<Option<Convention>>,
    /// The supplier every row belongs to (`--supplier`): the rows' own `supplier_id`, if the
    /// file has one, must agree.
    pub supplier: Option<String>,
    /// Columns every row must fill besides SKU, name and price (`--require`).
    pub required: Vec<usize>,
}

/// Rows whose values decide a column's decimal separator.
const DECIDING_ROWS: usize = 1000;

impl Header {
    fn new(
        layout: Layout,
        line: u64,
        fields: Vec<Option<usize>>,
        names: Vec<String>,
        mapping: &Mapping,
    ) -> Header {
        let decimal = vec![None; fields.len()];
        Header {
            layout,
            line,
            fields,
            names,
            decimal,
            supplier: None,
            required: mapping.required.clone(),
        }
    }

    /// The required columns (`--require`) no field of the header fills: the catalog cannot be
    /// imported (`catalog_missing_column`).
    fn missing_columns(&self) -> Option<FileError> {
        let missing: Vec<&str> = self
            .required
            .iter()
            .filter(|c| !self.fields.contains(&Some(**c)))
            .map(|&c| PRODUCT.columns[c].name)
            .collect();
        (!missing.is_empty()).then(|| {
            FileError::new(
                ErrorType::CatalogMissingColumn,
                format!(
                    "no column of its header ({}) fills {} (--require); name one with --map 'HEADER={}'",
                    self.names
                        .iter()
                        .map(|n| format!("{n:?}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    missing.join(", "),
                    missing[0]
                ),
            )
        })
    }

    /// Whether field `i` fills a numeric column.
    fn numeric(&self, i: usize) -> bool {
        self.fields[i]
            .is_some_and(|c| matches!(PRODUCT.columns[c].ty, ColType::Numeric | ColType::Real))
    }

    /// Decide each numeric field's decimal separator from `rows` (the first rows after the
    /// header, handed to the closure it is given): what their text values say, else `hint`.
    fn decide(&mut self, hint: Option<Convention>, rows: &mut dyn FnMut(&mut rows::Take)) {
        let mut votes = vec![Votes::default(); self.fields.len()];
        let mut seen = 0;
        rows(&mut |row: &Row| {
            for (i, cell) in row.cells().enumerate().take(votes.len()) {
                if let Field::Text(s) = cell
                    && self.numeric(i)
                {
                    votes[i].see(s);
                }
            }
            seen += 1;
            seen < DECIDING_ROWS
        });
        for (i, v) in votes.iter().enumerate() {
            if self.numeric(i) {
                self.decimal[i] = v.decide(hint);
            }
        }
    }

    /// Every numeric field read with `convention` (`--decimal-separator`).
    pub fn set_decimal(&mut self, convention: Convention) {
        for i in 0..self.fields.len() {
            if self.numeric(i) {
                self.decimal[i] = Some(convention);
            }
        }
    }

    /// The decimal separator the numeric fields use, for the report: `comma`, `point`,
    /// `mixed`, or `None` when no value said.
    pub fn decimal_separator(&self) -> Option<&'static str> {
        let mut used = self.decimal.iter().flatten();
        let first = *used.next()?;
        Some(match (first, used.all(|c| *c == first)) {
            (Convention::Comma, true) => "comma",
            (Convention::Point, true) => "point",
            (_, false) => "mixed",
        })
    }
}

/// What kind of rows a catalog has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    Csv {
        delimiter: u8,
        /// Byte offset of the line after the header: where rows start.
        body: u64,
    },
    /// A workbook's sheet, by name.
    Sheet { name: String },
}

impl Layout {
    /// What a row is called where the user looks at it: an editor's `line`, a sheet's `row`.
    pub fn row_word(&self) -> &'static str {
        match self {
            Layout::Csv { .. } => "line",
            Layout::Sheet { .. } => "row",
        }
    }
}

/// Whether these first bytes of a text file are a catalog's: a header within the first lines
/// that names a SKU, a name and a price.
pub fn detect(head: &[u8], mapping: &Mapping) -> Option<Header> {
    let bom = if head.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut offset = bom;
    let mut seen = 0;
    for (i, raw) in head[bom..].split_inclusive(|&b| b == b'\n').enumerate() {
        offset += raw.len();
        let line = raw.trim_ascii();
        if line.is_empty() {
            continue;
        }
        seen += 1;
        if seen > MAX_LINES_BEFORE_HEADER + 1 {
            break;
        }
        if line.contains(&0) {
            return None;
        }
        if let Some((delimiter, fields, names)) = header_fields(line, mapping) {
            let layout = Layout::Csv {
                delimiter,
                body: offset as u64,
            };
            let mut header = Header::new(layout, i as u64 + 1, fields, names, mapping);
            // The rows the head holds in whole (up to its last line end) decide the decimal
            // separators; a `;`-separated file is one from a decimal-comma locale.
            let whole = head[offset..]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(&[][..], |end| &head[offset..offset + end + 1]);
            let hint = (delimiter == b';').then_some(Convention::Comma);
            let line = header.line + 1;
            header.decide(hint, &mut |take| {
                let _ = rows::csv(whole, delimiter, line, take);
            });
            return Some(header);
        }
    }
    None
}

/// The delimiter, column mapping and names of a header line, if it names SKU, name and price.
fn header_fields(line: &[u8], mapping: &Mapping) -> Option<(u8, Vec<Option<usize>>, Vec<String>)> {
    let (delimiter, names) = split_header(line)?;
    let fields = columns(names.iter().map(String::as_str), mapping)?;
    Some((delimiter, fields, names))
}

/// A line split at its likeliest delimiter, each field decoded.
fn split_header(line: &[u8]) -> Option<(u8, Vec<String>)> {
    let delimiter = *[b',', b';', b'\t', b'|']
        .iter()
        .max_by_key(|d| line.iter().filter(|b| b == d).count())?;
    let mut record = Record::default();
    if !Records::new(line, delimiter, 1).read(&mut record).ok()? {
        return None;
    }
    let names = record
        .fields()
        .map(|f| rows::decode(f.trim_ascii()).into_owned())
        .collect();
    Some((delimiter, names))
}

/// The `product` column each header field fills, if the header names a SKU, a name and a price:
/// the user's `--map` first, then the names batchimp knows.
pub fn columns<'a>(
    names: impl Iterator<Item = &'a str>,
    mapping: &Mapping,
) -> Option<Vec<Option<usize>>> {
    let (fields, taken) = assign(names, mapping);
    (taken[SKU] && taken[NAME] && taken[PRICE]).then_some(fields)
}

/// The `product` column each header field fills, and which columns are filled. `--map` comes
/// first, in header order; then the names batchimp knows, the name listed first in [`ALIASES`]
/// winning when two headers name one column (WooCommerce's `Sale price` comes before its
/// `Regular price`, and is not the price).
fn assign<'a>(
    names: impl Iterator<Item = &'a str>,
    mapping: &Mapping,
) -> (Vec<Option<usize>>, [bool; WIDTH]) {
    let names: Vec<String> = names.map(normalize).collect();
    let mut fields = vec![None; names.len()];
    let mut taken = [false; WIDTH];
    for (i, name) in names.iter().enumerate() {
        if let Some((_, c)) = mapping.names.iter().find(|(n, c)| !taken[*c] && n == name) {
            fields[i] = Some(*c);
            taken[*c] = true;
        }
    }
    let mut known: Vec<(usize, usize, usize)> = names
        .iter()
        .enumerate()
        .filter(|(i, _)| fields[*i].is_none())
        .filter_map(|(i, name)| {
            ALIASES.iter().find_map(|(c, aliases)| {
                let rank = aliases.iter().position(|a| a == name)?;
                Some((rank, i, *c))
            })
        })
        .collect();
    known.sort_unstable();
    for (_, i, c) in known {
        if !taken[c] {
            fields[i] = Some(c);
            taken[c] = true;
        }
    }
    (fields, taken)
}

/// A catalog that almost is one: a header line, within the first lines of a text file no format
/// claimed, that names two of SKU, name and price. It fails as `catalog_missing_column`, naming
/// the column missing and the `--map` that fills it, rather than passing as `unsupported`.
pub fn near_miss(head: &[u8], mapping: &Mapping) -> Option<FileError> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    head.split(|&b| b == b'\n')
        .map(<[u8]>::trim_ascii)
        .filter(|l| !l.is_empty())
        .take(MAX_LINES_BEFORE_HEADER + 1)
        .take_while(|l| !l.contains(&0))
        .find_map(|line| {
            let (_, names) = split_header(line)?;
            missing_one(&names, mapping)
        })
}

/// [`near_miss`] for a header's names (a CSV line or a workbook row).
pub fn missing_one(names: &[String], mapping: &Mapping) -> Option<FileError> {
    let (fields, taken) = assign(names.iter().map(String::as_str), mapping);
    let needed = [(SKU, "a SKU"), (NAME, "a product name"), (PRICE, "a price")];
    let missing: Vec<_> = needed.iter().filter(|(c, _)| !taken[*c]).collect();
    let [(column, what)] = missing[..] else {
        return None;
    };
    let found: Vec<String> = needed
        .iter()
        .filter(|(c, _)| taken[*c])
        .map(|(c, what)| {
            let i = fields.iter().position(|f| *f == Some(*c)).unwrap_or(0);
            format!("{what} ({:?})", shown(&names[i]))
        })
        .collect();
    // The header most likely to hold the missing column: for the name, the description
    // (Brazilian ERPs name products `Descrição`); else the first column batchimp does not know.
    let unknown = || fields.iter().position(Option::is_none);
    let candidate = if *column == NAME {
        fields
            .iter()
            .position(|f| *f == Some(PRODUCT.col("description")))
            .or_else(unknown)
    } else {
        unknown()
    };
    let field = PRODUCT.columns[*column].name;
    let fix = match candidate {
        Some(i) => format!("--map '{}={field}'", shown(&names[i])),
        None => format!("--map 'HEADER={field}'"),
    };
    Some(FileError::new(
        ErrorType::CatalogMissingColumn,
        format!(
            "a catalog header with {} but no column batchimp knows as {what} ({field}); its header: {}. If a column holds it, name it with {fix}",
            found.join(" and "),
            listed(names)
        ),
    ))
}

/// At most 12 header names, quoted, each cut to 40 characters.
fn listed(names: &[String]) -> String {
    let mut list: Vec<String> = names
        .iter()
        .take(12)
        .map(|n| format!("{:?}", shown(n)))
        .collect();
    if names.len() > 12 {
        list.push(format!("... ({} columns)", names.len()));
    }
    list.join(", ")
}

/// A header name as [`ALIASES`] spells it: `"Preço de Venda "` → `preco_de_venda`, `"In stock?"`
/// → `in_stock`.
fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        let c = match crate::format::unaccent(c) {
            c if c.is_alphanumeric() => c,
            _ => '_',
        };
        if c != '_' || !(out.is_empty() || out.ends_with('_')) {
            out.push(c);
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// Where a catalog's bytes are when the writer streams it.
#[derive(Debug)]
pub enum Data {
    /// Read whole by a worker (a ZIP member, or a file within `--max-file-size`).
    Bytes(Vec<u8>),
    /// Too large to hold: read again from disk while streaming.
    File(PathBuf),
}

/// A catalog recognised by a worker, to be streamed by the writer.
#[derive(Debug)]
pub struct Load {
    pub header: Header,
    pub data: Data,
    /// Counts the rows read as they are read (the progress bar shows it).
    pub rows_read: Arc<AtomicU64>,
}

impl Load {
    pub fn new(header: Header, data: Data) -> Load {
        Load {
            header,
            data,
            rows_read: Arc::default(),
        }
    }
}

/// A row that failed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub line: u64,
    pub error_type: ErrorType,
    /// What is wrong, starting with the line: `line 7: price is not a number: "12,50"`.
    pub message: String,
}

/// Rows validated since the last chunk, and the rows rejected among them. The rows' cells are
/// kept in two flat buffers (no allocation per field), and chunks are handed back to the
/// reader to be filled again.
#[derive(Debug, Default)]
pub struct Chunk {
    /// [`WIDTH`] cells a row, row after row.
    cells: Vec<Cell>,
    /// The text of the text cells, one after another.
    text: String,
    pub rejects: Vec<Reject>,
}

/// Cells a `product` row has.
pub const WIDTH: usize = PRODUCT.columns.len();

#[derive(Debug, Clone, Copy)]
enum Cell {
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

    fn is_empty(&self) -> bool {
        self.cells.is_empty() && self.rejects.is_empty()
    }

    fn clear(&mut self) {
        self.cells.clear();
        self.text.clear();
        self.rejects.clear();
    }
}

/// What streaming a catalog found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Rows that passed validation (and were written).
    pub rows: u64,
    /// Rows rejected, by error type.
    pub rejected: BTreeMap<ErrorType, u64>,
    /// How the rows written met the stored products; counted by the writer.
    pub tally: tally::Tally,
}

impl Summary {
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }
}

/// Chunks between the reader and the writer: enough for each to work while the other does.
const CHUNKS_IN_FLIGHT: usize = 4;

/// Stream a catalog: a helper thread reads and validates rows, [`CHUNK_ROWS`] at a time, while
/// `write` takes each chunk on the calling thread (the writer, which owns the database).
/// `file_id` fills every row's `file_id`.
///
/// `Err`: `write` failed, and streaming stopped. `Ok(Err)`: the catalog could not be read to its
/// end (an I/O error, rows with no valid one among them); what `write` took must be undone.
pub fn stream<E>(
    load: &Load,
    file_id: i64,
    write: &mut dyn FnMut(&Chunk) -> Result<(), E>,
) -> Result<Result<Summary, FileError>, E> {
    std::thread::scope(|s| {
        let (full_tx, full_rx) = crossbeam_channel::bounded::<Chunk>(CHUNKS_IN_FLIGHT);
        // Written chunks go back to the reader, which refills them.
        let (empty_tx, empty_rx) = crossbeam_channel::bounded::<Chunk>(CHUNKS_IN_FLIGHT + 1);
        let reader = std::thread::Builder::new()
            .name("batchimp-catalog".into())
            .spawn_scoped(s, move || {
                let mut fresh = || empty_rx.try_recv().unwrap_or_default();
                read(load, file_id, &mut fresh, &mut |c| full_tx.send(c).is_ok())
            });
        let reader = match reader {
            Ok(r) => r,
            Err(e) => {
                return Ok(Err(FileError::new(
                    ErrorType::IoError,
                    format!("cannot start a thread to read the catalog: {e}"),
                )));
            }
        };
        let mut written = Ok(());
        for chunk in full_rx.iter() {
            written = write(&chunk);
            if written.is_err() {
                break;
            }
            let _ = empty_tx.try_send(chunk);
        }
        // Dropping the receiver stops the reader at its next chunk.
        drop(full_rx);
        let read = reader.join().unwrap_or_else(|panic| {
            Err(FileError::new(
                ErrorType::InternalError,
                format!("batchimp bug: the catalog reader panicked: {panic:?}"),
            ))
        });
        written.map(|()| read)
    })
}

/// Read and validate a catalog's rows into chunks from `fresh`, handing each to `send` once it
/// holds [`CHUNK_ROWS`] rows (or [`CHUNK_TEXT`] bytes of text), until `send` returns false.
pub fn read(
    load: &Load,
    file_id: i64,
    fresh: &mut dyn FnMut() -> Chunk,
    send: &mut dyn FnMut(Chunk) -> bool,
) -> Result<Summary, FileError> {
    let header = &load.header;
    if let Some(e) = header.missing_columns() {
        return Err(e);
    }
    let mut summary = Summary::default();
    let mut chunk = fresh();
    chunk.clear();
    let mut stopped = false;
    let mut take = |row: &Row| -> bool {
        if row.is_blank() {
            return true;
        }
        match validate(header, row, file_id, &mut chunk) {
            Ok(()) => summary.rows += 1,
            Err(reject) => {
                *summary.rejected.entry(reject.error_type).or_default() += 1;
                chunk.rejects.push(reject);
            }
        }
        if chunk.rows() + chunk.rejects.len() >= CHUNK_ROWS || chunk.text.len() >= CHUNK_TEXT {
            let rows = chunk.rows() + chunk.rejects.len();
            load.rows_read.fetch_add(rows as u64, Ordering::Relaxed);
            let full = std::mem::replace(&mut chunk, fresh());
            if !send(full) {
                stopped = true;
                return false;
            }
            chunk.clear();
        }
        true
    };
    match &header.layout {
        &Layout::Csv { delimiter, body } => {
            let io = |e: std::io::Error| {
                FileError::new(ErrorType::IoError, format!("cannot read the catalog: {e}"))
            };
            match &load.data {
                Data::Bytes(bytes) => {
                    let input = &bytes[(body as usize).min(bytes.len())..];
                    rows::csv(input, delimiter, header.line + 1, &mut take)?;
                }
                Data::File(path) => {
                    let mut file = std::fs::File::open(path).map_err(io)?;
                    file.seek(SeekFrom::Start(body)).map_err(io)?;
                    rows::csv(file, delimiter, header.line + 1, &mut take)?;
                }
            }
        }
        Layout::Sheet { name } => xlsx::rows(&load.data, name, header, &mut take)?,
    }
    if stopped {
        return Ok(summary);
    }
    let rows = chunk.rows() + chunk.rejects.len();
    load.rows_read.fetch_add(rows as u64, Ordering::Relaxed);
    if !chunk.is_empty() && !send(chunk) {
        return Ok(summary);
    }
    if summary.rows == 0 && summary.rejected_total() > 0 {
        return Err(FileError::new(
            ErrorType::CatalogNoValidRows,
            format!(
                "none of its {} rows is valid ({})",
                summary.rejected_total(),
                describe_rejected(&summary.rejected)
            ),
        ));
    }
    Ok(summary)
}

/// `missing_sku: 3, bad_price: 1`, for messages.
pub fn describe_rejected(rejected: &BTreeMap<ErrorType, u64>) -> String {
    rejected
        .iter()
        .map(|(t, n)| format!("{t}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why `product` column `c` is empty in `row`: nothing there, or a spreadsheet formula whose
/// result was never saved (which only a spreadsheet program can compute).
fn empty(header: &Header, row: &Row, c: usize, why: &str) -> String {
    let name = PRODUCT.columns[c].name;
    let field = header.fields.iter().position(|f| *f == Some(c));
    match field {
        Some(i) if row.is_uncomputed(i) => format!(
            "{name} is a formula with no saved result{why} (open and save the workbook in a \
             spreadsheet program so it stores one)"
        ),
        _ => format!("{name} is empty{why}"),
    }
}

/// Validate one record and append it to `chunk` as a `product` row, or say why it is rejected
/// (and leave `chunk` as it was).
fn validate(header: &Header, row: &Row, file_id: i64, chunk: &mut Chunk) -> Result<(), Reject> {
    let row_in = row;
    let line = row.line;
    let reject = |error_type, message: String| Reject {
        line,
        error_type,
        message: format!("{} {line}: {message}", header.layout.row_word()),
    };
    if row.len() != header.fields.len() {
        return Err(reject(
            ErrorType::CatalogFieldCount,
            format!(
                "{} fields where the header has {} (an unquoted delimiter?)",
                row.len(),
                header.fields.len()
            ),
        ));
    }
    let (cells_before, text_before) = (chunk.cells.len(), chunk.text.len());
    chunk.cells.resize(cells_before + WIDTH, Cell::Null);
    let result = fill(row, header, chunk, cells_before, &reject);
    let row = &mut chunk.cells[cells_before..];
    let result = result.and_then(|()| {
        let missing = [
            (SKU, ErrorType::CatalogMissingSku),
            (NAME, ErrorType::CatalogMissingName),
            (PRICE, ErrorType::CatalogBadPrice),
        ]
        .into_iter()
        .find(|&(c, _)| matches!(row[c], Cell::Null));
        if let Some((c, t)) = missing {
            return Err(reject(t, empty(header, row_in, c, "")));
        }
        // A key too long for PostgreSQL's index (the SKU, the supplier): the row's error.
        for (c, cell) in row.iter().enumerate() {
            if let Cell::Text(s, e) = *cell
                && let Err(e) = PRODUCT.check_length(c, &chunk.text[s as usize..e as usize])
            {
                return Err(reject(e.error_type, e.message));
            }
        }
        match header
            .required
            .iter()
            .find(|&&c| matches!(row[c], Cell::Null))
        {
            Some(&c) => Err(reject(
                ErrorType::CatalogMissingField,
                empty(header, row_in, c, " (--require)"),
            )),
            None => Ok(()),
        }
    });
    match result {
        Ok(()) => {
            row[FILE_ID] = Cell::Int(file_id);
            row[LINE] = Cell::Int(line as i64);
            Ok(())
        }
        Err(r) => {
            chunk.cells.truncate(cells_before);
            chunk.text.truncate(text_before);
            Err(r)
        }
    }
}

/// A value as a message quotes it: its first 40 characters.
fn shown(s: &str) -> Cow<'_, str> {
    match s.char_indices().nth(40) {
        Some((cut, _)) => Cow::Owned(format!("{}...", &s[..cut])),
        None => Cow::Borrowed(s),
    }
}

/// The typed cells of one row, into the row starting at `chunk.cells[at]`.
fn fill(
    row: &Row,
    header: &Header,
    chunk: &mut Chunk,
    at: usize,
    reject: &dyn Fn(ErrorType, String) -> Reject,
) -> Result<(), Reject> {
    let mut extra = serde_json::Map::new();
    for (i, (field, column)) in row.cells().zip(&header.fields).enumerate() {
        if field == Field::Empty {
            continue;
        }
        let Some(c) = *column else {
            let name = match header.names[i].as_str() {
                "" => format!("column {}", i + 1),
                name => name.to_owned(),
            };
            let value = match field {
                Field::Number(v) => serde_json::Number::from_f64(v).map(serde_json::Value::Number),
                _ => None,
            };
            extra.insert(
                name,
                value.unwrap_or_else(|| field.text().into_owned().into()),
            );
            continue;
        };
        let column = &PRODUCT.columns[c];
        // The field's text only when it is stored as text or quoted in an error: a number a
        // sheet stores is not formatted for nothing.
        let bad = |what: String| {
            let t = if c == PRICE {
                ErrorType::CatalogBadPrice
            } else {
                ErrorType::CatalogBadNumber
            };
            reject(
                t,
                format!("{} {what}: {:?}", column.name, shown(&field.text())),
            )
        };
        chunk.cells[at + c] = match column.ty {
            // No catalog column holds bytes (only the archive's table); `extra` (JSON) is
            // batchimp's, never a field a header fills.
            ColType::Text | ColType::Timestamp | ColType::Bytes | ColType::Json => {
                let start = chunk.text.len() as u32;
                chunk.text.push_str(&field.text());
                Cell::Text(start, chunk.text.len() as u32)
            }
            ColType::Numeric | ColType::Real => match number(field, header.decimal[i]) {
                Ok(v) if c != PRICE || v >= 0.0 => Cell::Num(v),
                Ok(_) => return Err(bad("is negative".into())),
                Err(e) => return Err(bad(e.to_string())),
            },
            ColType::Integer | ColType::Id => match whole(field) {
                Some(v) => Cell::Int(v),
                None => {
                    return Err(reject(
                        ErrorType::CatalogBadNumber,
                        format!(
                            "{} is not a whole number: {:?}",
                            column.name,
                            shown(&field.text())
                        ),
                    ));
                }
            },
        };
    }
    // The key's supplier: the row's, the flag's, or none ('').
    let supplier = match (chunk.cells[at + SUPPLIER], header.supplier.as_deref()) {
        (Cell::Text(s, e), Some(flag)) if &chunk.text[s as usize..e as usize] != flag => {
            return Err(reject(
                ErrorType::CatalogSupplierMismatch,
                format!(
                    "supplier_id is {:?} where --supplier says {flag:?}",
                    shown(&chunk.text[s as usize..e as usize])
                ),
            ));
        }
        (Cell::Null, flag) => Some(flag.unwrap_or("")),
        _ => None,
    };
    if let Some(supplier) = supplier {
        let start = chunk.text.len() as u32;
        chunk.text.push_str(supplier);
        chunk.cells[at + SUPPLIER] = Cell::Text(start, chunk.text.len() as u32);
    }
    if !extra.is_empty() {
        let start = chunk.text.len() as u32;
        chunk
            .text
            .push_str(&serde_json::Value::Object(extra).to_string());
        chunk.cells[at + EXTRA] = Cell::Text(start, chunk.text.len() as u32);
    }
    Ok(())
}

/// A numeric field's value: a spreadsheet's number as stored, text as written in the column's
/// decimal convention (currency symbols dropped).
fn number(field: Field, convention: Option<Convention>) -> Result<f64, number::NumberError> {
    match field {
        Field::Number(v) => Ok(v),
        Field::Text(s) => number::parse(s, convention),
        Field::Empty => Err(number::NumberError::NotANumber),
    }
}

/// An integer field's value: a whole spreadsheet number, or text that is one.
fn whole(field: Field) -> Option<i64> {
    match field {
        Field::Number(v) if v.fract() == 0.0 && v.abs() < 9e15 => Some(v as i64),
        Field::Text(s) => s.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Value;

    fn load(csv: &str) -> Load {
        Load::new(
            detect(csv.as_bytes(), &NO_MAPPING).expect("a catalog"),
            Data::Bytes(csv.as_bytes().to_vec()),
        )
    }

    /// Every row's cells as owned values, the rejects, and the summary.
    fn read_all(l: &Load) -> (Vec<Vec<Value>>, Vec<Reject>, Result<Summary, FileError>) {
        let (mut rows, mut rejects) = (Vec::new(), Vec::new());
        let summary = read(l, 7, &mut Chunk::default, &mut |c| {
            for i in 0..c.rows() {
                rows.push(
                    c.cells(i..i + 1)
                        .map(|cell| match cell {
                            CellRef::Null => Value::Null,
                            CellRef::Int(i) => Value::Int(i),
                            CellRef::Num(f) => Value::Num(f),
                            CellRef::Decimal(f, d) => Value::Decimal(f, d.into()),
                            CellRef::Text(s) => Value::Text(s.into()),
                        })
                        .collect(),
                );
            }
            rejects.extend(c.rejects);
            true
        });
        (rows, rejects, summary)
    }

    fn rows(csv: &str) -> (Vec<Vec<Value>>, Vec<Reject>, Result<Summary, FileError>) {
        read_all(&load(csv))
    }

    #[test]
    fn headers_in_three_languages_and_four_delimiters() {
        for head in [
            "sku,name,price\n",
            "SKU;Nome;Preço\r\n",
            "Clave\tNombre\tPrecio Unitario\n",
            "ID|Type|SKU|Name|Regular price|Stock\n",
            "\u{feff}Código,Produto,Preço de venda\n",
            "Catálogo de produtos\n\nsku,name,price\n",
        ] {
            assert!(detect(head.as_bytes(), &NO_MAPPING).is_some(), "{head:?}");
        }
        let h = detect(
            b"ID|Type|SKU|Name|Regular price|Stock\n1|x|A|B|2|3\n",
            &NO_MAPPING,
        )
        .unwrap();
        assert_eq!(
            h.layout,
            Layout::Csv {
                delimiter: b'|',
                body: 37
            }
        );
        assert_eq!(
            h.fields,
            vec![None, None, Some(SKU), Some(NAME), Some(PRICE), Some(6)]
        );
    }

    #[test]
    fn headers_from_erps_and_shops() {
        for (head, price) in [
            (
                "Código;Descrição do Produto;Preço de Venda;Stock Quantity\n",
                2,
            ),
            ("sku,name,sell_price\n", 2),
            ("Código do produto;Nome do produto;Preço\n", 2),
            ("item_name,sale_price,sku,selling_price\n", 3),
            // WooCommerce: the sale price (a discount) is not the price.
            ("SKU,Name,Sale price,Regular price\n", 3),
        ] {
            let h = detect(head.as_bytes(), &NO_MAPPING).unwrap_or_else(|| panic!("{head:?}"));
            assert_eq!(h.fields[price], Some(PRICE), "{head:?}");
        }
        let h = detect(
            "Código;Descrição do Produto;Preço de Venda;Stock Quantity\n".as_bytes(),
            &NO_MAPPING,
        )
        .unwrap();
        assert_eq!(h.fields[3], Some(PRODUCT.col("stock")));
    }

    #[test]
    fn headers_with_two_of_sku_name_and_price_say_which_is_missing() {
        let e = near_miss(
            "Código;Descrição;Preço de Venda\n1;Arroz;10,50\n".as_bytes(),
            &NO_MAPPING,
        )
        .expect("a near miss");
        assert_eq!(e.error_type, ErrorType::CatalogMissingColumn);
        assert!(e.message.contains("a product name (name)"), "{}", e.message);
        assert!(
            e.message.contains("--map 'Descrição=name'"),
            "{}",
            e.message
        );
        let e = near_miss(b"sku,name,custo\n", &NO_MAPPING).expect("a near miss");
        assert!(e.message.contains("--map 'custo=price'"), "{}", e.message);
        for head in [
            "codigo;ex;Tipo;descricao;NacionalFederal;ImportadoFederal\n",
            "c_ClaveProdServ,Descripción,Incluir IVA trasladado\n",
            "hello world\n",
            "sku,name,price\n",
        ] {
            assert_eq!(near_miss(head.as_bytes(), &NO_MAPPING), None, "{head:?}");
        }
        // --map fills the missing column: a catalog.
        let mapping = Mapping::new(&[("Descrição".into(), "name".into())], &[]).unwrap();
        assert!(detect("Código;Descrição;Preço de Venda\n".as_bytes(), &mapping).is_some());
    }

    #[test]
    fn reference_tables_and_other_text_are_not_catalogs() {
        for head in [
            "codigo;ex;Tipo;descricao;NacionalFederal;ImportadoFederal\n",
            "c_ClaveProdServ,Descripción,Incluir IVA trasladado\n",
            "sku,name\nA,B\n",
            "hello world\n",
            "",
            "1\n2\n3\n4\n5\n6\n7\nsku,name,price\n",
        ] {
            assert_eq!(detect(head.as_bytes(), &NO_MAPPING), None, "{head:?}");
        }
    }

    #[test]
    fn rows_are_typed_and_bad_ones_rejected_with_their_line() {
        let csv = "Title line\nsku,name,price,stock,lead_time_days\n\
                   A1,Dipirona,12.50,10,3\n\
                   \"A2\",\"Sabonete, \"\"neutro\"\"\nem barra\",0.99,,\n\
                   ,Sem SKU,1.00,1,1\n\
                   A4,,1.00,1,1\n\
                   A5,Preço BR,\"12,50\",1,1\n\
                   A6,Sem preço,,1,1\n\
                   A7,Estoque,1.00,muito,1\n\
                   A8,Prazo,1.00,1,2.5\n\
                   A9,Curta,1.00\n\
                   \n\
                   A10,Negativo,-1,1,1\n";
        let (rows, rejects, summary) = rows(csv);
        let summary = summary.unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0][..7],
            [
                Value::Text("A1".into()),
                Value::Text("Dipirona".into()),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Num(12.5),
                Value::Num(10.0)
            ]
        );
        assert_eq!(rows[0][LINE], Value::Int(3));
        assert_eq!(rows[0][FILE_ID], Value::Int(7));
        assert_eq!(
            rows[1][NAME],
            Value::Text("Sabonete, \"neutro\"\nem barra".into())
        );
        let got: Vec<(u64, &str)> = rejects
            .iter()
            .map(|r| (r.line, r.error_type.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (6, "catalog_missing_sku"),
                (7, "catalog_missing_name"),
                (8, "catalog_bad_price"),
                (9, "catalog_bad_price"),
                (10, "catalog_bad_number"),
                (11, "catalog_bad_number"),
                (12, "catalog_field_count"),
                (14, "catalog_bad_price"),
            ]
        );
        assert_eq!(
            rejects[2].message,
            "line 8: price is written with a decimal comma (1.234,56) where the column uses a \
             decimal point (1,234.56): \"12,50\""
        );
        assert_eq!(rejects[0].message, "line 6: sku is empty");
        assert_eq!(summary.rows, 2);
        assert_eq!(summary.rejected_total(), 8);
    }

    #[test]
    fn messages_quote_at_most_40_characters_of_a_value() {
        let long = "9,".repeat(5000);
        let (_, rejects, _) = rows(&format!("sku,name,price\nA,B,{long:?}\n"));
        assert_eq!(
            rejects[0].message,
            format!("line 2: price is not a number: \"{}...\"", &long[..40])
        );
    }

    #[test]
    fn decimal_separators_are_decided_per_file_and_column() {
        // A Brazilian `;` export: decimal commas, thousands points, currency symbols.
        let (rows_br, rejects, _) =
            rows("sku;nome;preco;estoque\nA;Um;1.234,56;10\nB;Dois;R$ 9,90;1.500\nC;Tres;12;2,5\n");
        assert!(rejects.is_empty(), "{rejects:?}");
        let price = |r: &Vec<Value>| r[PRICE].clone();
        assert_eq!(
            rows_br.iter().map(price).collect::<Vec<_>>(),
            [Value::Num(1234.56), Value::Num(9.9), Value::Num(12.0)]
        );
        assert_eq!(rows_br[1][PRODUCT.col("stock")], Value::Num(1500.0));
        assert_eq!(rows_br[2][PRODUCT.col("stock")], Value::Num(2.5));
        assert_eq!(
            load("sku;nome;preco\nA;Um;1,50\n")
                .header
                .decimal_separator(),
            Some("comma")
        );
        // A `,` file that quotes its prices the American way.
        let (rows_us, _, _) = rows("sku,name,price\nA,One,\"$1,299.00\"\nB,Two,3.5\n");
        assert_eq!(rows_us[0][PRICE], Value::Num(1299.0));
        // `1,234` alone could be either: rejected, saying so, unless a flag decides.
        let (_, rejects, _) = rows("sku,name,price\nA,One,\"1,234\"\nB,Two,7\n");
        assert_eq!(rejects[0].error_type, ErrorType::CatalogBadPrice);
        assert!(
            rejects[0].message.contains("could be read either way"),
            "{}",
            rejects[0].message
        );
        let mut l = load("sku,name,price\nA,One,\"1,234\"\n");
        assert_eq!(l.header.decimal_separator(), None);
        l.header.set_decimal(Convention::Comma);
        let (got, _, _) = read_all(&l);
        assert_eq!(got[0][PRICE], Value::Num(1.234));
    }

    #[test]
    fn unmapped_columns_are_kept_as_json() {
        let (got, _, _) =
            rows("sku,name,price,Marca,Peso (kg),\nA,One,1,Acme,\"0,5\",x\nB,Two,2,,,\n");
        assert_eq!(
            got[0][EXTRA],
            Value::Text(r#"{"Marca":"Acme","Peso (kg)":"0,5","column 6":"x"}"#.into())
        );
        assert_eq!(got[1][EXTRA], Value::Null);
    }

    #[test]
    fn latin1_fields_are_decoded() {
        let mut csv = b"sku;nome;preco\n".to_vec();
        csv.extend_from_slice(b"X;Sab\xe3o;1.5\n");
        let l = Load::new(detect(&csv, &NO_MAPPING).unwrap(), Data::Bytes(csv.clone()));
        let (got, _, _) = read_all(&l);
        assert_eq!(got[0][NAME], Value::Text("Sabão".into()));
    }

    #[test]
    fn a_catalog_with_no_valid_row_fails() {
        let (_, rejects, summary) = rows("sku,name,price\n,a,1\nb,,1\n");
        assert_eq!(rejects.len(), 2);
        let e = summary.unwrap_err();
        assert_eq!(e.error_type, ErrorType::CatalogNoValidRows);
        assert_eq!(
            e.message,
            "none of its 2 rows is valid (catalog_missing_sku: 1, catalog_missing_name: 1)"
        );
    }

    #[test]
    fn stream_hands_every_chunk_to_the_writer_and_stops_when_it_fails() {
        let mut csv = String::from("sku,name,price\n");
        for i in 0..10_000 {
            csv.push_str(&format!("S{i},n,1\n"));
        }
        let l = load(&csv);
        let mut n = 0;
        let r: Result<_, ()> = stream(&l, 1, &mut |c| {
            n += c.rows();
            Ok(())
        });
        assert_eq!(r.unwrap().unwrap().rows, 10_000);
        assert_eq!(n, 10_000);
        let mut calls = 0;
        let r = stream(&l, 1, &mut |_| {
            calls += 1;
            Err("disk full")
        });
        assert_eq!(r.unwrap_err(), "disk full");
        assert_eq!(calls, 1);
    }
}
