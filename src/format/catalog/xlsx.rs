//! Catalogs in spreadsheets (XLSX and XLSM workbooks), read with calamine's streaming cell
//! reader: one row at a time, so a million-row sheet takes no more memory than a ten-row one.
//!
//! A workbook is a ZIP of XML parts, and calamine trusts what they declare: a shared-strings
//! table that claims billions of entries makes it reserve that many before reading one
//! (calamine issue #684), and a part may inflate far past the size its ZIP header declares. So
//! before calamine opens a workbook, batchimp checks it ([`preflight`]): no member inflates
//! more than 250:1 or past its declared size (`zip_bomb`), the shared strings are at most
//! [`MAX_SHARED_STRINGS`] and hold as many entries as they claim could fit (`xlsx_corrupt`),
//! and no part is encrypted. Sheets are only ever streamed cell by cell: calamine's
//! `worksheet_range`, which allocates the whole declared grid (issue #693), is never called.
//! A password-protected workbook is an OLE file holding an `EncryptedPackage`: `xlsx_encrypted`.

use super::rows::{Row, Take};
use super::{Data, Header, Layout, MAX_LINES_BEFORE_HEADER, Mapping, columns, missing_one};
use crate::error::{ErrorType, FileError};
use calamine::{DataRef, Reader, Xlsx, XlsxError};
use std::io::{BufReader, Cursor, Read, Seek};

/// The largest shared-strings table read (inflated): a million distinct product names and
/// descriptions take ~100 MiB.
pub const MAX_SHARED_STRINGS: u64 = 512 << 20;
/// How much more than its compressed size a workbook part may inflate to (as ZIP members).
const MAX_RATIO: u64 = 250;
/// The smallest a shared string can be written (`<si/>`).
const MIN_STRING_BYTES: u64 = 5;

fn corrupt(what: impl std::fmt::Display) -> FileError {
    FileError::new(
        ErrorType::XlsxCorrupt,
        format!("not a readable workbook: {what}"),
    )
}

fn calamine_error(e: XlsxError) -> FileError {
    match e {
        XlsxError::Password => FileError::new(
            ErrorType::XlsxEncrypted,
            "the workbook is password-protected",
        ),
        e => corrupt(e),
    }
}

/// Whether these bytes are a password-protected Office document: an OLE compound file (what
/// Excel writes when a workbook has a password) holding an `EncryptedPackage` stream.
pub fn is_encrypted(bytes: &[u8]) -> bool {
    const OLE: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
    let name: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    bytes.starts_with(OLE) && bytes.windows(name.len()).any(|w| w == name)
}

/// Whether the ZIP at `path` is a workbook (it holds `xl/workbook.xml`). Reads only its
/// central directory.
pub fn is_workbook(path: &std::path::Path) -> bool {
    file(path)
        .ok()
        .and_then(|f| zip::ZipArchive::new(f).ok())
        .is_some_and(|z| z.index_for_name("xl/workbook.xml").is_some())
}

/// The error for a password-protected workbook.
pub fn encrypted() -> FileError {
    FileError::new(
        ErrorType::XlsxEncrypted,
        "a password-protected workbook (save it without a password to import it)",
    )
}

/// Check a workbook's ZIP before calamine reads it (see the module's documentation), and
/// rewind it.
fn preflight<R: Read + Seek>(mut input: R) -> Result<R, FileError> {
    let mut zip = zip::ZipArchive::new(&mut input).map_err(corrupt)?;
    if zip.index_for_name("xl/workbook.xml").is_none() {
        return Err(corrupt("no xl/workbook.xml"));
    }
    for i in 0..zip.len() {
        let member = zip.by_index_raw(i).map_err(corrupt)?;
        if member.encrypted() {
            return Err(encrypted());
        }
        let (size, packed) = (member.size(), member.compressed_size());
        if size > (1 << 20) && size / packed.max(1) > MAX_RATIO {
            return Err(bomb(member.name(), size, packed));
        }
    }
    if let Some(i) = zip.index_for_name("xl/sharedStrings.xml") {
        let member = zip.by_index(i).map_err(corrupt)?;
        let (name, declared) = (member.name().to_owned(), member.size());
        if declared > MAX_SHARED_STRINGS {
            return Err(FileError::new(
                ErrorType::TooLarge,
                format!(
                    "its shared strings inflate to {declared} bytes (batchimp reads at most {MAX_SHARED_STRINGS})"
                ),
            ));
        }
        let (inflated, head) = inflate_counting(member, declared).map_err(corrupt)?;
        if inflated > declared {
            return Err(FileError::new(
                ErrorType::ZipBomb,
                format!("{name} inflates past the {declared} bytes it declares"),
            ));
        }
        if let Some(count) = unique_count(&head)
            && count.saturating_mul(MIN_STRING_BYTES) > inflated
        {
            return Err(corrupt(format!(
                "its shared strings claim {count} entries in {inflated} bytes"
            )));
        }
    }
    // Sheets are streamed, but a sheet inflating past its declared size could still hold one
    // endless cell: each is inflated once here, counting.
    let sheets: Vec<usize> = (0..zip.len())
        .filter(|&i| {
            zip.name_for_index(i)
                .is_some_and(|n| n.starts_with("xl/worksheets/") && n.ends_with(".xml"))
        })
        .collect();
    for i in sheets {
        let member = zip.by_index(i).map_err(corrupt)?;
        let (name, declared) = (member.name().to_owned(), member.size());
        let (inflated, _) = inflate_counting(member, declared).map_err(corrupt)?;
        if inflated > declared {
            return Err(FileError::new(
                ErrorType::ZipBomb,
                format!("{name} inflates past the {declared} bytes it declares"),
            ));
        }
    }
    drop(zip);
    input.rewind().map_err(corrupt)?;
    Ok(input)
}

fn bomb(name: &str, size: u64, packed: u64) -> FileError {
    FileError::new(
        ErrorType::ZipBomb,
        format!("{name} would inflate {packed} bytes to {size} (more than {MAX_RATIO}:1)"),
    )
}

/// Inflate a member, at most one byte past `declared`: how many bytes it gave, and its first
/// 4 KiB.
fn inflate_counting(member: impl Read, declared: u64) -> std::io::Result<(u64, Vec<u8>)> {
    let mut limited = member.take(declared + 1);
    let mut head = vec![0; 4096];
    let mut n = 0;
    while n < head.len() {
        match limited.read(&mut head[n..])? {
            0 => break,
            k => n += k,
        }
    }
    head.truncate(n);
    let rest = std::io::copy(&mut limited, &mut std::io::sink())?;
    Ok((n as u64 + rest, head))
}

/// The `uniqueCount` (or `count`) attribute of a shared-strings table's `<sst>` element.
fn unique_count(head: &[u8]) -> Option<u64> {
    let sst = head.windows(4).position(|w| w == b"<sst")?;
    let tag = &head[sst..];
    let tag = &tag[..tag.iter().position(|&c| c == b'>')?];
    let at = tag.windows(13).position(|w| w == b"uniqueCount=\"")? + 13;
    let digits = &tag[at..];
    let end = digits.iter().position(|c| !c.is_ascii_digit())?;
    std::str::from_utf8(&digits[..end]).ok()?.parse().ok()
}

/// A workbook open for reading, whatever holds its bytes; checked first ([`preflight`]) unless
/// it was when its catalog sheet was found.
fn open<R: Read + Seek>(input: R, checked: bool) -> Result<Xlsx<R>, FileError> {
    let input = if checked { input } else { preflight(input)? };
    Xlsx::new(input).map_err(calamine_error)
}

/// The catalog header of a workbook: the first sheet (or the sheet named `sheet`) with a row,
/// within its first rows, that names a SKU, a name and a price. `Ok(None)`: a workbook, but no
/// catalog in it.
pub fn detect(
    data: &Data,
    sheet: Option<&str>,
    mapping: &Mapping,
) -> Result<Option<Header>, FileError> {
    guarded(|| match data {
        Data::Bytes(bytes) => {
            detect_in(open(Cursor::new(bytes.as_slice()), false)?, sheet, mapping)
        }
        Data::File(path) => detect_in(open(file(path)?, false)?, sheet, mapping),
    })
}

/// Run calamine on a workbook: a panic in it is a workbook it cannot read (`xlsx_corrupt`),
/// not a batchimp bug to report as `internal_error`.
fn guarded<T>(f: impl FnOnce() -> Result<T, FileError>) -> Result<T, FileError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(corrupt("the spreadsheet reader gave up on it")))
}

fn file(path: &std::path::Path) -> Result<BufReader<std::fs::File>, FileError> {
    std::fs::File::open(path)
        .map(BufReader::new)
        .map_err(|e| FileError::new(ErrorType::IoError, format!("cannot read the workbook: {e}")))
}

fn detect_in<R: Read + Seek>(
    mut book: Xlsx<R>,
    sheet: Option<&str>,
    mapping: &Mapping,
) -> Result<Option<Header>, FileError> {
    let names = book.sheet_names();
    if let Some(wanted) = sheet
        && !names.iter().any(|n| n == wanted)
    {
        return Err(FileError::new(
            ErrorType::CatalogSheetNotFound,
            format!(
                "no sheet named {wanted:?} (it has {})",
                names
                    .iter()
                    .map(|n| format!("{n:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    // The first header that names two of SKU, name and price, when no sheet has a catalog.
    let mut near_miss = None;
    for name in names.iter().filter(|n| sheet.is_none_or(|s| s == *n)) {
        let mut cells = book.worksheet_cells_reader(name).map_err(calamine_error)?;
        let mut row = Row::default();
        let mut seen = 0;
        let mut found = None;
        let mut check = |row: &Row| {
            if row.is_blank() {
                return true;
            }
            seen += 1;
            let texts: Vec<_> = row.cells().map(|c| c.text().into_owned()).collect();
            if let Some(fields) = columns(texts.iter().map(String::as_str), mapping) {
                found = Some((row.line, fields, texts));
                return false;
            }
            if near_miss.is_none() {
                near_miss = missing_one(&texts, mapping).map(|e| {
                    FileError::new(e.error_type, format!("sheet {name:?}: {}", e.message))
                });
            }
            seen <= MAX_LINES_BEFORE_HEADER
        };
        each_row(&mut cells, &mut row, 0, None, &mut check)?;
        if let Some((line, fields, names)) = found {
            let layout = Layout::Sheet { name: name.clone() };
            let mut header = Header::new(layout, line, fields, names, mapping);
            // Numbers a sheet stores as numbers need no decision; text in numeric columns
            // (`12,50` typed as text) decides as in CSV, without a delimiter to hint.
            let width = header.fields.len();
            header.decide(None, &mut |take| {
                let _ = each_row(&mut cells, &mut row, line, Some(width), take);
            });
            return Ok(Some(header));
        }
    }
    near_miss.map_or(Ok(None), Err)
}

/// The rows of the sheet under `header`, each handed to `take` until it returns false. The
/// workbook was checked when [`detect`] found `header` in it.
pub fn rows(data: &Data, sheet: &str, header: &Header, take: &mut Take) -> Result<(), FileError> {
    guarded(|| match data {
        Data::Bytes(bytes) => rows_in(
            open(Cursor::new(bytes.as_slice()), true)?,
            sheet,
            header,
            take,
        ),
        Data::File(path) => rows_in(open(file(path)?, true)?, sheet, header, take),
    })
}

fn rows_in<R: Read + Seek>(
    mut book: Xlsx<R>,
    sheet: &str,
    header: &Header,
    take: &mut Take,
) -> Result<(), FileError> {
    let mut cells = book.worksheet_cells_reader(sheet).map_err(calamine_error)?;
    let mut row = Row::default();
    let width = header.fields.len();
    each_row(&mut cells, &mut row, header.line, Some(width), &mut |row| {
        take(row)
    })
}

/// Assemble the sheet's cells into rows after row `skip` (1-based; 0 skips none), of exactly
/// `width` fields each (the header's) or as many as the sheet gives, handing each to `take`
/// until it returns false. Rows are numbered as
/// the spreadsheet shows them; gaps between cells are empty fields.
fn each_row<R: Read + Seek>(
    cells: &mut calamine::XlsxCellReader<'_, R>,
    row: &mut Row,
    skip: u64,
    width: Option<usize>,
    take: &mut Take,
) -> Result<(), FileError> {
    let mut current: Option<u64> = None;
    while let Some(cell) = cells
        .next_cell_with_formula_metadata()
        .map_err(calamine_error)?
    {
        let (r, c) = cell.pos;
        let line = u64::from(r) + 1;
        if line <= skip {
            continue;
        }
        if current != Some(line) {
            if current.is_some() && !finish(row, width, take) {
                return Ok(());
            }
            row.clear(line);
            current = Some(line);
        }
        let c = c as usize;
        if width.is_some_and(|w| c >= w) || c < row.len() {
            continue;
        }
        row.resize(c);
        match (&cell.value, &cell.formula) {
            (DataRef::Empty, Some(_)) => row.push_uncomputed(),
            (value, _) => push(row, value),
        }
    }
    if current.is_some() {
        finish(row, width, take);
    }
    Ok(())
}

/// Hand a complete row to `take`, padded to the header's width.
fn finish(row: &mut Row, width: Option<usize>, take: &mut Take) -> bool {
    if let Some(width) = width {
        row.resize(width);
    }
    take(row)
}

/// One cell's value as a field: numbers stay numbers, dates become ISO text, formulas give their
/// cached values (which is what calamine reads), errors (`#N/A`) and booleans their text.
fn push(row: &mut Row, value: &DataRef<'_>) {
    match value {
        DataRef::Empty => row.push_empty(),
        DataRef::Int(i) => row.push_number(*i as f64),
        DataRef::Float(f) => row.push_number(*f),
        DataRef::String(s) => row.push_text(s),
        DataRef::SharedString(s) => row.push_text(s),
        DataRef::Bool(b) => row.push_text(if *b { "TRUE" } else { "FALSE" }),
        DataRef::DateTime(d) if d.is_datetime() => {
            let (y, m, day, h, min, s, _) = d.to_ymd_hms_milli();
            if (h, min, s) == (0, 0, 0) {
                row.push_text(&format!("{y:04}-{m:02}-{day:02}"));
            } else {
                row.push_text(&format!("{y:04}-{m:02}-{day:02}T{h:02}:{min:02}:{s:02}"));
            }
        }
        DataRef::DateTime(d) => row.push_number(d.as_f64()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => row.push_text(s),
        DataRef::Error(e) => row.push_text(&format!("#{e:?}")),
    }
}
