//! What a file is and what rows it yields.
//!
//! Each document kind is one module behind the [`Format`] trait: it declares its tables
//! ([`Table`]), recognises itself from a file's content ([`Sniff`], never the extension) and
//! turns bytes into [`Doc`]s: normalized rows any [`crate::sink::Sink`] can write without knowing
//! the format. Adding a format is one file here plus one line in [`FORMATS`].
//!
//! Product catalogs ([`catalog`]) are the exception: one file of up to millions of rows that a
//! later catalog updates, so they are not [`Doc`]s. [`read`] only recognises one
//! ([`Outcome::Catalog`]); the writer streams its rows (read by [`csv`]).

pub mod catalog;
pub mod cfdi;
pub mod csv;
pub mod cte;
mod freight;
pub mod image;
pub mod key;
mod leaves;
mod link;
pub mod mdfe;
pub mod nfe;
pub mod nfse;
pub mod nfse_abrasf;
pub mod number;
pub mod pdf;
pub mod retenciones;
pub mod sat;
pub mod sat_metadata;
pub mod xml;

use crate::error::FileError;
pub use compact_str::CompactString;
use std::sync::Arc;

pub use crate::schema::{AfterWrite, ColType, Column, Table, col};

/// What a format's [`Format::parse`] gives: the file's documents, or why it has none.
pub type Parsed = Result<Vec<Doc>, FileError>;

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    /// A decimal, parsed on the worker threads so the writer only copies it.
    Num(f64),
    /// A decimal with more significant digits than a double holds exactly (over 15): its
    /// nearest double, and its digits as written, for databases that keep them (PostgreSQL's
    /// NUMERIC).
    Decimal(f64, Box<str>),
    /// Text; up to 24 bytes (most fields of an invoice) held inline, without an allocation.
    Text(CompactString),
}

impl Value {
    /// The value borrowed, as a database binds it.
    pub fn as_cell(&self) -> CellRef<'_> {
        match self {
            Value::Null => CellRef::Null,
            Value::Int(i) => CellRef::Int(*i),
            Value::Num(f) => CellRef::Num(*f),
            Value::Decimal(f, digits) => CellRef::Decimal(*f, digits),
            Value::Text(s) => CellRef::Text(s),
        }
    }

    /// A computed amount (a sum of a document's amounts), rounded to the six decimal places
    /// fiscal amounts have at most, so no binary fraction noise (`0.30000000000000004`)
    /// reaches the database.
    pub fn amount(f: f64) -> Value {
        Value::Num((f * 1e6).round() / 1e6)
    }

    /// The number, for arithmetic.
    pub fn number(&self) -> Option<f64> {
        match self {
            Value::Num(f) | Value::Decimal(f, _) => Some(*f),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
}

/// A borrowed cell: a [`Value`]'s, or one of a catalog chunk's rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CellRef<'a> {
    Null,
    Int(i64),
    Num(f64),
    /// See [`Value::Decimal`].
    Decimal(f64, &'a str),
    Text(&'a str),
}

/// One row of `table`, values in the table's column order.
#[derive(Debug, Clone)]
pub struct Row {
    pub table: &'static Table,
    pub values: Vec<Value>,
}

/// One document (an NF-e, a CFDI, a Retenciones...): its main row first, then its child rows. Documents are
/// deduplicated by `key` in the main table; a file may hold several.
#[derive(Debug, Clone)]
pub struct Doc {
    /// The document's identity (NF-e access key, CFDI UUID): the main table's primary key.
    pub key: String,
    /// `rows[0]` is the main row; the rest belong to it (items, taxes...).
    pub rows: Vec<Row>,
    /// Something the user should know although the document was imported (e.g. an invalid
    /// check digit accepted under `--allow-invalid-keys`). `None`: nothing to say.
    pub warning: Option<String>,
}

impl Doc {
    /// A document of one row, `values` of `table`, its `path` and `sha256` columns filled
    /// from `src`.
    pub(crate) fn single(
        key: String,
        table: &'static Table,
        mut values: Vec<Value>,
        src: &Source,
        warning: Option<String>,
    ) -> Doc {
        values[table.col("path")] = Value::Text(src.origin.into());
        values[table.col("sha256")] = Value::Text(src.sha256.into());
        Doc {
            key,
            rows: vec![Row { table, values }],
            warning,
        }
    }
}

/// A cell of column `c` from a field's text, typed by the column; empty text is NULL. A value
/// that does not fit (a letter in an amount) is an `invalid` error naming the column.
pub fn typed(
    table: &Table,
    c: usize,
    s: &str,
    invalid: crate::error::ErrorType,
) -> Result<Value, FileError> {
    if s.is_empty() {
        return Ok(Value::Null);
    }
    let column = &table.columns[c];
    let bad = || {
        FileError::new(
            invalid,
            format!("{}.{} is not a number: {s:?}", table.name, column.name),
        )
    };
    Ok(match column.ty {
        ColType::Text | ColType::Timestamp | ColType::Bytes | ColType::Json => {
            Value::Text(s.into())
        }
        ColType::Integer | ColType::Id => Value::Int(s.parse().map_err(|_| bad())?),
        ColType::Numeric | ColType::Real => {
            let f = parse_decimal(s).ok_or_else(bad)?;
            // Text of 15 bytes or fewer cannot hold more digits: most amounts skip the count.
            if s.len() > 15 && significant_digits(s) > 15 {
                Value::Decimal(f, s.into())
            } else {
                Value::Num(f)
            }
        }
    })
}

/// Digits of a decimal that matter to its value: leading zeros and a fraction's trailing zeros
/// do not.
fn significant_digits(s: &str) -> usize {
    let s = s.trim_start_matches('-').trim_start_matches(['0', '.']);
    let s = if s.contains('.') {
        s.trim_end_matches('0')
    } else {
        s
    };
    s.bytes().filter(u8::is_ascii_digit).count()
}

/// A number of the only shape the fiscal schemas allow, `-?digits(.digits)?`, in one pass.
/// Up to 15 significant digits (every amount and quantity in practice) the value is the exact
/// mantissa divided by an exact power of ten, which IEEE division rounds correctly: the same
/// result as `str::parse`, which handles the rest.
pub(crate) fn parse_decimal(s: &str) -> Option<f64> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let mut mantissa: u64 = 0;
    let mut int_digits = 0usize;
    let mut frac_digits: Option<usize> = None;
    for b in digits.bytes() {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa
                    .saturating_mul(10)
                    .saturating_add(u64::from(b - b'0'));
                match &mut frac_digits {
                    Some(n) => *n += 1,
                    None => int_digits += 1,
                }
            }
            b'.' if frac_digits.is_none() => frac_digits = Some(0),
            _ => return None,
        }
    }
    if int_digits == 0 || frac_digits == Some(0) {
        return None;
    }
    let scale = frac_digits.unwrap_or(0);
    let value = if mantissa < (1 << 53) && scale < POW10.len() {
        mantissa as f64 / POW10[scale]
    } else {
        digits.parse().ok()?
    };
    Some(if negative { -value } else { value })
}

/// A lower-case letter without its accent (`ã` → `a`, `ç` → `c`, `ñ` → `n`), for matching
/// names and labels written with or without them; anything else as it is.
pub fn unaccent(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        'ñ' => 'n',
        c => c,
    }
}

/// A parsed file's content, or why there is none.
#[derive(Debug)]
pub enum Outcome {
    Docs(Vec<Doc>),
    /// A file of lines, each a record kept or rejected on its own (SAT metadata).
    Lines(Lines),
    /// A product catalog, streamed into the database by the writer (see `format::catalog`).
    Catalog(catalog::Load),
    /// No format reads it; for XML, what it is (its root element and namespace), recorded as
    /// the file's warning.
    Unsupported(Option<String>),
    /// Not read, by policy (a link leaving the inputs): recorded `unsupported` with this
    /// reason as its warning.
    Skipped(String),
    Failed(FileError),
}

impl Outcome {
    /// The documents to write, of a file of documents or of lines.
    pub fn docs(&self) -> Option<&[Doc]> {
        match self {
            Outcome::Docs(docs) | Outcome::Lines(Lines { docs, .. }) => Some(docs),
            _ => None,
        }
    }

    /// The same, to change.
    pub fn docs_mut(&mut self) -> Option<&mut Vec<Doc>> {
        match self {
            Outcome::Docs(docs) | Outcome::Lines(Lines { docs, .. }) => Some(docs),
            _ => None,
        }
    }
}

/// A file of lines, each a record of its own: the documents of the lines kept, and the lines
/// rejected, which the writer records in `rejected_rows` as it does a catalog's rows. Its ledger
/// row counts its lines ([`crate::ledger::RowCounts`]).
#[derive(Debug)]
pub struct Lines {
    pub docs: Vec<Doc>,
    pub rejected: Vec<Reject>,
}

/// A line or row left out of its file: a catalog's row that failed validation, a SAT metadata
/// line that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub line: u64,
    pub error_type: crate::error::ErrorType,
    /// What is wrong, starting with the line: `line 7: price is not a number: "12,50"`.
    pub message: String,
}

/// Which originals a batch keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Archive {
    /// None (`--no-archive`); also the library's default, so tests and benchmarks of the
    /// parsers alone pay nothing for it.
    #[default]
    Off,
    /// The fiscal XML documents: NF-e and their events, CFDI, Retenciones (`batchimp run`'s
    /// default).
    Xml,
    /// PDFs and pictures too (`--archive all`). Catalogs never: they are product lists whose
    /// rows a later catalog rewrites, not fiscal records, and may be gigabytes.
    All,
}

/// The kinds whose originals `--archive xml` keeps (a new fiscal XML format adds its kind here).
pub const XML_KINDS: [&str; 7] = [
    "nfe",
    "cfdi",
    "retenciones",
    "cte",
    "mdfe",
    "nfse",
    "nfse_abrasf",
];
/// The kinds `--archive all` keeps besides.
pub const OTHER_KINDS: [&str; 2] = ["pdf", "image"];

impl Archive {
    /// Whether a file of `kind` (as the ledger names kinds) is kept.
    pub fn keeps(self, kind: &str) -> bool {
        match self {
            Archive::Off => false,
            Archive::Xml => XML_KINDS.contains(&kind),
            Archive::All => XML_KINDS.contains(&kind) || OTHER_KINDS.contains(&kind),
        }
    }
}

/// Options that change how formats read documents. Shared by every worker by reference; the
/// text options are `Arc<str>`, so a copy for another run costs no allocation.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    /// Import NF-e whose access key has a wrong check digit, flagged `chave_valida = 0`, and
    /// CFDI and Retenciones whose stamp UUID is not a UUID, flagged `uuid_valido = 0`.
    pub allow_invalid_keys: bool,
    /// The workbook sheet catalogs are read from (`--sheet`); by default the first whose header
    /// names a SKU, a name and a price.
    pub sheet: Option<Arc<str>>,
    /// Catalogs' decimal separator (`--decimal-separator`); by default decided per file and
    /// column.
    pub decimal: Option<number::Convention>,
    /// The supplier catalogs belong to (`--supplier`).
    pub supplier: Option<Arc<str>>,
    /// Catalog headers the user maps, and fields they require (`--map`, `--require`).
    pub mapping: Arc<catalog::Mapping>,
    /// How PDFs and pictures are read: in this process by default; `batchimp run` reads them
    /// in a child.
    pub pdf_reader: pdf::Reader,
    /// When pages are OCR'd (`--ocr`). The library's default is `never` (codes only: tests,
    /// fuzzing and benchmarks do not depend on Tesseract); `batchimp run`'s is `auto`.
    pub ocr: pdf::ocr::Mode,
    /// Tesseract's languages (`--ocr-lang`).
    pub ocr_lang: Arc<str>,
    /// Which files' originals are compressed for the archive (`--archive`, `--no-archive`);
    /// the library's default keeps none.
    pub archive: Archive,
}

impl Default for ParseOptions {
    fn default() -> ParseOptions {
        ParseOptions {
            allow_invalid_keys: false,
            sheet: None,
            decimal: None,
            supplier: None,
            mapping: Arc::default(),
            pdf_reader: pdf::Reader::InProcess,
            ocr: pdf::ocr::Mode::Never,
            ocr_lang: pdf::scan::DEFAULT_LANG.into(),
            archive: Archive::Off,
        }
    }
}

/// What the parser gets besides the bytes: where they came from, to fill `path`/`sha256`, and
/// until when it may work.
pub struct Source<'a> {
    pub origin: &'a str,
    pub sha256: &'a str,
    pub deadline: std::time::Instant,
}

impl Source<'_> {
    /// `Err(timeout)` once the deadline has passed. Parsers call it every few thousand events.
    pub fn check_deadline(&self) -> Result<(), FileError> {
        if std::time::Instant::now() > self.deadline {
            return Err(self.timeout_error());
        }
        Ok(())
    }

    pub fn timeout_error(&self) -> FileError {
        timeout_error()
    }
}

/// The error of a file that took longer than `--file-timeout`.
fn timeout_error() -> FileError {
    FileError::new(
        crate::error::ErrorType::Timeout,
        "took longer than --file-timeout; skipped",
    )
}

/// Content-based identification of a file, computed once and shown to every format.
#[derive(Debug)]
pub struct Sniff<'a> {
    pub bytes: &'a [u8],
    /// For XML: local names of the first few elements, root first (prefixes stripped).
    pub xml_elements: Vec<xml::Name>,
    /// A coarse kind for files no format claims: `xml`, `pdf`, `image`, `zip`, `xlsx`... or
    /// `unknown`.
    pub generic_kind: &'static str,
}

/// A document kind batchimp imports.
pub trait Format: Sync {
    /// The kind name stored in the ledger and report (`nfe`).
    fn kind(&self) -> &'static str;
    /// Tables this format writes, created on first use.
    fn tables(&self) -> &'static [&'static Table];
    /// Whether this file is of this kind, from its content.
    fn detect(&self, sniff: &Sniff) -> bool;
    /// Parse the whole file (`sniff.bytes`) into documents; `sniff` is what `detect` saw.
    fn parse(&self, sniff: &Sniff, src: &Source, opts: &ParseOptions) -> Parsed;
    /// What [`read`] makes of the file: [`Format::parse`]'s documents, once each of their
    /// values fits its column ([`fits`]). A format whose file is a list of records, each kept
    /// or rejected on its own, gives [`Outcome::Lines`] instead.
    fn outcome(&self, sniff: &Sniff, src: &Source, opts: &ParseOptions) -> Outcome {
        let docs = self.parse(sniff, src, opts).and_then(|docs| {
            docs.iter().try_for_each(fits)?;
            Ok(docs)
        });
        match docs {
            Ok(docs) => Outcome::Docs(docs),
            Err(e) => Outcome::Failed(e),
        }
    }
}

/// Every format batchimp knows, in detection order.
pub static FORMATS: &[&dyn Format] = &[
    // Before NF-e: an NFS-e event's root is `evento` too (told apart by its namespace).
    &nfse::Nfse,
    &nfse_abrasf::NfseAbrasf,
    &nfe::Nfe,
    &cfdi::Cfdi,
    &retenciones::Retenciones,
    &cte::FORMAT,
    &mdfe::FORMAT,
    &sat_metadata::SatMetadata,
    &pdf::FORMAT,
    &image::FORMAT,
];

/// Every table of every format, each once (PDFs and pictures share `pdf_document`), for
/// migrations.
pub fn all_tables() -> impl Iterator<Item = &'static Table> {
    let mut seen = Vec::new();
    FORMATS
        .iter()
        .flat_map(|f| f.tables().iter().copied())
        .chain(catalog::TABLES.iter().copied())
        .filter(move |t| {
            let new = !seen.contains(&t.name);
            seen.push(t.name);
            new
        })
}

/// Identify a file from its first bytes.
///
/// `Err` only for content that claims to be XML but breaks before its root element: that is a
/// broken document, not an unsupported one.
pub fn sniff(bytes: &[u8]) -> Result<Sniff<'_>, FileError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let head = &body[start..];
    let mut sniff = Sniff {
        bytes,
        xml_elements: Vec::new(),
        generic_kind: "unknown",
    };
    if head.starts_with(b"<") {
        sniff.generic_kind = "xml";
        sniff.xml_elements = xml::first_elements(head, 4)?;
    } else if head.starts_with(b"%PDF-") {
        sniff.generic_kind = "pdf";
    } else if pdf::pixels::picture_kind(bytes).is_some() {
        sniff.generic_kind = "image";
    } else if head.starts_with(b"PK\x03\x04") {
        // Plain ZIPs are opened by the walker; what reaches here is an office document (or a
        // ZIP that could not be opened). Their part names are stored uncompressed.
        sniff.generic_kind = if contains(bytes, b"xl/workbook") {
            "xlsx"
        } else if contains(bytes, b"word/document") {
            "docx"
        } else {
            "zip"
        };
    } else if head.starts_with(b"\xD0\xCF\x11\xE0") {
        sniff.generic_kind = "xls";
    } else if !head[..head.len().min(1024)].contains(&0) {
        sniff.generic_kind = "text";
    }
    Ok(sniff)
}

/// Whether `needle` occurs in `haystack`.
pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The format that claims these bytes, if any.
pub fn detect(sniff: &Sniff) -> Option<&'static dyn Format> {
    FORMATS.iter().copied().find(|f| f.detect(sniff))
}

/// A catalog's header, for a file too large to read whole: its first bytes are text that no
/// other format claims, with a catalog's header.
pub fn catalog_head(head: &[u8], mapping: &catalog::Mapping) -> Option<catalog::Header> {
    let sniff = sniff(head).ok()?;
    if detect(&sniff).is_some() {
        return None;
    }
    catalog_header(&sniff, mapping)
}

/// The catalog header of a text file no format claimed, if it has one.
fn catalog_header(sniff: &Sniff, mapping: &catalog::Mapping) -> Option<catalog::Header> {
    let bytes = sniff.bytes;
    (sniff.generic_kind == "text")
        .then(|| catalog::detect(&bytes[..bytes.len().min(catalog::HEAD)], mapping))
        .flatten()
}

/// A workbook's kind and outcome: a catalog when one of its sheets holds one (`--sheet`),
/// `unsupported` when none does.
pub fn workbook(data: catalog::Data, opts: &ParseOptions) -> (&'static str, Outcome) {
    match catalog::xlsx::detect(&data, opts.sheet.as_deref(), &opts.mapping) {
        Ok(Some(header)) => (
            catalog::KIND,
            Outcome::Catalog(catalog::Load::new(header, data)),
        ),
        Ok(None) => ("xlsx", Outcome::Unsupported(None)),
        Err(e) => ("xlsx", Outcome::Failed(e)),
    }
}

/// Identify a file from its content and parse it with the format that claims it: the kind
/// (`None` for an empty file) and the outcome. May panic only through a parser bug; the
/// pipeline catches that, the fuzz targets look for it.
pub fn read(bytes: &[u8], src: &Source, opts: &ParseOptions) -> (Option<&'static str>, Outcome) {
    if bytes.is_empty() {
        let e = FileError::new(crate::error::ErrorType::EmptyFile, "the file is empty");
        return (None, Outcome::Failed(e));
    }
    let sniff = match sniff(bytes) {
        Ok(s) => s,
        Err(e) => return (Some("xml"), Outcome::Failed(e)),
    };
    let Some(f) = detect(&sniff) else {
        if sniff.generic_kind == "xlsx" {
            // A copy, as for a CSV catalog: a file within --max-file-size or a ZIP member.
            let (kind, outcome) = workbook(catalog::Data::Bytes(bytes.to_vec()), opts);
            return (Some(kind), outcome);
        }
        if sniff.generic_kind == "xls" && catalog::xlsx::is_encrypted(bytes) {
            return (Some("xlsx"), Outcome::Failed(catalog::xlsx::encrypted()));
        }
        if let Some(header) = catalog_header(&sniff, &opts.mapping) {
            // A copy (parsers borrow the bytes): at most 1 MiB from disk (larger catalogs are
            // streamed from their path), or a ZIP member within --max-file-size.
            let load = catalog::Load::new(header, catalog::Data::Bytes(bytes.to_vec()));
            return (Some(catalog::KIND), Outcome::Catalog(load));
        }
        if sniff.generic_kind == "text"
            && let Some(e) =
                catalog::near_miss(&bytes[..bytes.len().min(catalog::HEAD)], &opts.mapping)
        {
            return (Some(catalog::KIND), Outcome::Failed(e));
        }
        let what = (sniff.generic_kind == "xml").then(|| unsupported_xml(bytes));
        return (Some(sniff.generic_kind), Outcome::Unsupported(what));
    };
    (Some(f.kind()), f.outcome(&sniff, src, opts))
}

/// What an XML file no format reads is: `unsupported XML: <retConsSitNFe> in
/// http://www.portalfiscal.inf.br/nfe`, or `unsupported XML: <foo> (no namespace)`.
fn unsupported_xml(bytes: &[u8]) -> String {
    /// Most characters of a namespace quoted (a hostile one may be megabytes).
    const MAX: usize = 200;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    match xml::root_and_namespace(&body[start..]) {
        Some((root, _)) if root.len() > MAX => {
            format!("unsupported XML: a root element named in over {MAX} bytes")
        }
        Some((root, Some(ns))) => {
            let ns: String = match ns.char_indices().nth(MAX) {
                Some((cut, _)) => format!("{}…", &ns[..cut]),
                None => ns,
            };
            format!("unsupported XML: <{root}> in {ns}")
        }
        Some((root, None)) => format!("unsupported XML: <{root}> (no namespace)"),
        None => "unsupported XML: no root element".to_owned(),
    }
}

/// `value_too_long` when a value of the document is too long for its indexed column
/// ([`Table::check_length`]). One check for every format, driven by the tables' definitions,
/// before any database sees the rows: [`Format::outcome`] makes it of every document (a
/// format of lines, of each line's, rejecting the line).
pub fn fits(doc: &Doc) -> Result<(), FileError> {
    for row in &doc.rows {
        for (c, value) in row.values.iter().enumerate() {
            match value {
                Value::Text(s) => row.table.check_length(c, s)?,
                Value::Decimal(_, digits) => row.table.check_length(c, digits)?,
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_xml_names_a_sane_root() {
        assert_eq!(
            unsupported_xml(b"<r xmlns='urn:x'/>"),
            "unsupported XML: <r> in urn:x"
        );
        let long = format!("<{}/>", "a".repeat(5000));
        assert_eq!(
            unsupported_xml(long.as_bytes()),
            "unsupported XML: a root element named in over 200 bytes"
        );
        let ns = format!("<r xmlns='urn:{}'/>", "n".repeat(5000));
        assert!(unsupported_xml(ns.as_bytes()).ends_with("n…"));
    }

    #[test]
    fn decimals() {
        for ok in [
            "10.00",
            "0",
            "-1.5",
            "007",
            "0.1",
            "309.50",
            "9999999999.9999999999",
        ] {
            assert_eq!(parse_decimal(ok), Some(ok.parse::<f64>().unwrap()), "{ok}");
        }
        for bad in [
            "1,5", "", "1.", ".5", "abc", "-", "1.2.3", "+1", "1e5", " 1",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad}");
        }
    }

    #[test]
    fn long_decimals_keep_their_digits() {
        let t = &crate::format::nfe::nota::NFE_ITEM;
        let c = t.col("v_un_com");
        let e = crate::error::ErrorType::NfeInvalidField;
        assert_eq!(typed(t, c, "18.5000", e), Ok(Value::Num(18.5)));
        assert_eq!(typed(t, c, "0.0000000001", e), Ok(Value::Num(1e-10)));
        assert_eq!(
            typed(t, c, "12345678901.1234567891", e),
            Ok(Value::Decimal(
                12_345_678_901.123_457,
                "12345678901.1234567891".into()
            ))
        );
        assert_eq!(significant_digits("000123.4500"), 5);
        assert_eq!(significant_digits("-0.000000000000000012"), 2);
    }

    #[test]
    fn decimals_round_like_the_standard_parser() {
        // A deterministic sweep of mantissas and scales, compared bit for bit.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = 1 + (x % 17) as usize;
            let mantissa = (x >> 8) % 10u64.pow(digits as u32);
            let scale = ((x >> 4) % 16) as usize;
            let text = format!("{mantissa:0>width$}", width = scale + 1);
            let (int, frac) = text.split_at(text.len() - scale);
            let s = if scale == 0 {
                int.to_owned()
            } else {
                format!("{int}.{frac}")
            };
            assert_eq!(
                parse_decimal(&s).map(f64::to_bits),
                Some(s.parse::<f64>().unwrap().to_bits()),
                "{s}"
            );
        }
    }
}
