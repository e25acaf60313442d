//! Recognising a catalog by its header: the names each `product` column goes by in English,
//! Portuguese and Spanish, where the header line is and which delimiter it uses, each numeric
//! column's decimal separator, and, for a header that almost names a catalog, what it lacks.

use super::rows::{self, Cell as Field, Row};
use super::{MAX_LINES_BEFORE_HEADER, Mapping, NAME, PRICE, PRODUCT, SKU, WIDTH, shown};
use crate::error::{ErrorType, FileError};
use crate::format::ColType;
use crate::format::csv::{Record, Records};
use crate::format::number::{Convention, Votes};

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
    pub(super) fn new(
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
    pub(super) fn missing_columns(&self) -> Option<FileError> {
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
    pub(super) fn decide(
        &mut self,
        hint: Option<Convention>,
        rows: &mut dyn FnMut(&mut rows::Take),
    ) {
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
pub(super) fn normalize(name: &str) -> String {
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
