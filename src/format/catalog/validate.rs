//! Validating one row: each field typed by the `product` column it fills (numbers in the
//! column's decimal convention), SKU, name, price and `--require`d fields present, the
//! supplier agreeing with `--supplier`, unmapped fields kept as JSON; or the typed reason the
//! row is rejected, with its line.

use super::chunk::{Cell, Chunk, Reject};
use super::rows::{Cell as Field, Row};
use super::{EXTRA, FILE_ID, Header, LINE, NAME, PRICE, PRODUCT, SKU, SUPPLIER, WIDTH, shown};
use crate::error::ErrorType;
use crate::format::ColType;
use crate::format::number::{self, Convention};

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
pub(super) fn validate(
    header: &Header,
    row: &Row,
    file_id: i64,
    chunk: &mut Chunk,
) -> Result<(), Reject> {
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
