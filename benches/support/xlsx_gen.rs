//! The catalog of `catalog_gen.rs` as a supplier's Excel workbook: the same rows (from its
//! [`Rows`]), in one sheet under a title row, as real price lists come: SKUs and other codes as
//! text cells, prices as number cells formatted `#,##0.00` (a bad price such as `12,50` stays the
//! text its supplier typed), stock and lead time as numbers, missing values as absent cells.
//!
//! Written in rust_xlsxwriter's constant-memory mode: each row goes to a temporary file as it is
//! written, so a million rows take the memory of one. That mode stores strings inline in the sheet
//! (`t="inlineStr"`) rather than in `xl/sharedStrings.xml` as Excel does when it saves. The same
//! options always give the same bytes; the manifest's `bytes` is the workbook's size.
//! Used by `examples/gen.rs`.

#![allow(dead_code)]

use crate::catalog_gen::{CatalogManifest, CatalogOptions, Price, Rows, columns};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};
use std::io::Read;
use std::path::Path;

/// The one sheet's name.
pub const SHEET: &str = "Produtos";
/// The part that sheet is stored in.
pub const SHEET_PART: &str = "xl/worksheets/sheet1.xml";
/// Rows above the catalog's first: the title and the header.
pub const ROWS_ABOVE: u32 = 2;
/// Rows an Excel sheet holds.
pub const MAX_SHEET_ROWS: u64 = 1 << 20;

/// Write `rows` generated rows (seed `seed`, the CSV generator's default share of bad rows) to
/// the workbook `path`; the manifest of what a correct import yields.
pub fn write_catalog_xlsx(path: &Path, rows: usize, seed: u64) -> std::io::Result<CatalogManifest> {
    let o = CatalogOptions {
        rows: rows as u64,
        seed,
        ..Default::default()
    };
    generate(&o, path)
}

/// Write the catalog `o` describes to the workbook `path`: the rows `catalog_gen::generate`
/// writes to a CSV for the same options.
pub fn generate(o: &CatalogOptions, path: &Path) -> std::io::Result<CatalogManifest> {
    if o.rows + u64::from(ROWS_ABOVE) > MAX_SHEET_ROWS {
        return Err(std::io::Error::other(format!(
            "{} rows do not fit an Excel sheet ({} rows, {ROWS_ABOVE} above the catalog)",
            o.rows, MAX_SHEET_ROWS
        )));
    }
    let m = write(o, path).map_err(std::io::Error::other)?;
    Ok(CatalogManifest {
        bytes: std::fs::metadata(path)?.len(),
        ..m
    })
}

fn write(o: &CatalogOptions, path: &Path) -> Result<CatalogManifest, XlsxError> {
    let mut workbook = Workbook::new();
    // A fixed date, so that the same options give the same bytes.
    let created = ExcelDateTime::from_ymd(2026, 1, 1)?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
    // The sheet's rows wait in a temporary file beside the workbook (not in a /tmp that may be
    // memory) until it is zipped.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        workbook.set_tempdir(dir)?;
    }
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name(SHEET)?;
    for (col, width) in [14, 30, 60, 20, 8, 12, 10, 12, 26, 16]
        .into_iter()
        .enumerate()
    {
        sheet.set_column_width(col as u16, width)?;
    }
    let title = Format::new().set_bold().set_font_size(14);
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    sheet.write_string_with_format(
        0,
        0,
        format!(
            "Distribuidora Exemplo Ltda. — tabela de preços ({} itens, seed {})",
            o.rows, o.seed
        ),
        &title,
    )?;
    for (col, name) in columns().enumerate() {
        sheet.write_string_with_format(1, col as u16, name, &bold)?;
    }
    sheet.set_freeze_panes(ROWS_ABOVE, 0)?;

    let mut m = CatalogManifest {
        rows: o.rows,
        ..Default::default()
    };
    for (i, row) in Rows::new(o).enumerate() {
        m.count(&row);
        let r = ROWS_ABOVE + i as u32;
        for (col, text) in [
            (0, row.sku.as_str()),
            (1, &row.name),
            (2, &row.description),
            (3, row.category),
            (4, row.unit),
            (7, &row.supplier_id),
            (8, &row.sanitary_certificate),
        ] {
            if !text.is_empty() {
                sheet.write_string(r, col, text)?;
            }
        }
        match row.price {
            Price::Cents(c) => {
                sheet.write_number_with_format(r, 5, c as f64 / 100.0, &money)?;
            }
            Price::Bad("") => {}
            Price::Bad(typed) => {
                sheet.write_string(r, 5, typed)?;
            }
        }
        sheet.write_number(r, 6, row.stock as f64)?;
        sheet.write_number(r, 9, row.lead_time_days)?;
    }
    workbook.save(path)?;
    Ok(m)
}

/// Check that `path` is a workbook as [`generate`] writes it: a ZIP whose `xl/workbook.xml`
/// names the sheet [`SHEET`], stored in [`SHEET_PART`]. `Err` says what is wrong.
pub fn check(path: &Path) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| format!("not a ZIP: {e}"))?;
    let mut workbook = String::new();
    zip.by_name("xl/workbook.xml")
        .map_err(|e| format!("xl/workbook.xml: {e}"))?
        .read_to_string(&mut workbook)
        .map_err(|e| format!("xl/workbook.xml: {e}"))?;
    if !workbook.contains(&format!("<sheet name=\"{SHEET}\"")) {
        return Err(format!(
            "xl/workbook.xml names no sheet {SHEET}: {workbook}"
        ));
    }
    let sheet = zip
        .by_name(SHEET_PART)
        .map_err(|e| format!("{SHEET_PART}: {e}"))?;
    if sheet.size() == 0 {
        return Err(format!("{SHEET_PART} is empty"));
    }
    Ok(())
}
