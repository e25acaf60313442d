//! Catalogs in workbooks (XLSX): read from the sheet whose header names a SKU, a name and a
//! price, rows numbered as the spreadsheet shows them, cells typed as the sheet stores them;
//! hostile workbooks each fail alone with their type.

use crate::helpers::{Env, db_test, fixture};
use std::io::Write;

db_test! {
fn a_supplier_workbook_imports_from_its_catalog_sheet(db) {
    let env = Env::on(db);
    let run = env.run(&[&fixture("spreadsheet/planilha-fornecedor.xlsx")]);
    assert_eq!(run.code(), 1, "three rows are rejected: {}", run.stderr());
    let f = run.file("planilha-fornecedor.xlsx");
    assert_eq!(f["kind"], "catalog");
    assert_eq!(f["status"], "imported");
    assert_eq!((f["rows"].as_u64(), f["rows_rejected"].as_u64()), (Some(17), Some(3)));
    let rejected: Vec<(u64, &str, &str)> = f["rejected_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let error = r["error"].as_str().unwrap();
            (r["line"].as_u64().unwrap(), r["error_type"].as_str().unwrap(), error.rsplit(".xlsx: ").next().unwrap())
        })
        .collect();
    assert_eq!(
        rejected,
        [
            (10, "catalog_bad_price", "row 10: price is not a number: \"doze reais\""),
            (15, "catalog_missing_name", "row 15: name is empty"),
            (21, "catalog_bad_number", "row 21: stock is not a number: \"muito\""),
        ]
    );
    // SKUs stored as text keep their zeros; a numeric one reads as written; prices are the
    // sheet's numbers (a formula gives its cached value); `line` is the spreadsheet's row.
    let rows = env.rows(
        "SELECT sku, price, stock, line, extra FROM product WHERE line <= 6 ORDER BY line",
    );
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|r| r.into_iter().map(Option::unwrap_or_default).collect())
        .collect();
    assert_eq!(rows[0][..4], ["00123", "1.1", "0", "4"]);
    assert_eq!(rows[1][..4], ["4567", "3.45", "10", "5"]);
    assert_eq!(rows[2][..4], ["00125", "10.5", "20", "6"]);
    // Dates become ISO dates; columns batchimp does not map are kept.
    let extra: serde_json::Value = serde_json::from_str(&rows[0][4]).unwrap();
    assert_eq!(extra, serde_json::json!({"validade": "2027-03-31", "Marca": "Araújo"}));
    // docs/catalogs.md's query of an unmapped column, the same on both databases (issue 32:
    // it failed on PostgreSQL, where `extra` was text).
    crate::docs::documented(
        "docs/catalogs.md",
        "SELECT sku, extra ->> 'Marca' FROM product WHERE supplier_id = 'FORN-42'",
    );
    assert_eq!(
        env.text("SELECT extra ->> 'Marca' FROM product WHERE line = 4").unwrap(),
        "Araújo"
    );
    assert_eq!(env.count("SELECT count(*) FROM product"), 17);
}
}

db_test! {
fn sheet_chooses_the_sheet_and_a_missing_one_is_a_typed_error(db) {
    let env = Env::on(db);
    let book = fixture("spreadsheet/planilha-fornecedor.xlsx");
    let summary = env.run(&[&book, "--sheet", "Resumo"]);
    assert_eq!(summary.code(), 0, "{}", summary.stderr());
    assert_eq!(summary.file("planilha-fornecedor.xlsx")["status"], "unsupported", "no catalog on that sheet");
    let env = Env::on(db);
    let missing = env.run(&[&book, "--sheet", "Preços"]);
    let f = missing.file("planilha-fornecedor.xlsx");
    assert_eq!(f["error_type"], "catalog_sheet_not_found", "{f}");
    assert!(f["error"].as_str().unwrap().contains("no sheet named \"Preços\" (it has \"Resumo\", \"Produtos\")"), "{f}");
    let env = Env::on(db);
    let chosen = env.run(&[&book, "--sheet", "Produtos"]);
    assert_eq!(chosen.file("planilha-fornecedor.xlsx")["rows"], 17);
}
}

#[test]
fn hostile_workbooks_fail_alone_with_their_type() {
    let env = Env::new();
    let good = fixture("spreadsheet/planilha-fornecedor.xlsx");
    let mut args: Vec<String> = [
        "xlsx-bomb.xlsx",
        "xlsx-lying-size.xlsx",
        "xlsx-shared-strings-count.xlsx",
        "xlsx-huge-dimension.xlsx",
        "xlsx-truncated.xlsx",
        "xlsx-password.xlsx",
        "nao-e-planilha.xlsx",
    ]
    .iter()
    .map(|n| fixture(&format!("hostile/{n}")))
    .collect();
    args.push(good);
    let run = env.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(run.code(), 1);
    for (name, status, error_type) in [
        ("xlsx-bomb.xlsx", "failed", Some("zip_bomb")),
        ("xlsx-lying-size.xlsx", "failed", Some("zip_bomb")),
        (
            "xlsx-shared-strings-count.xlsx",
            "failed",
            Some("xlsx_corrupt"),
        ),
        ("xlsx-huge-dimension.xlsx", "imported", None),
        ("xlsx-truncated.xlsx", "failed", Some("zip_corrupt")),
        ("xlsx-password.xlsx", "failed", Some("xlsx_encrypted")),
        ("nao-e-planilha.xlsx", "unsupported", None),
        ("planilha-fornecedor.xlsx", "imported", None),
    ] {
        let f = run.file(name);
        assert_eq!(f["status"], status, "{name}: {f}");
        assert_eq!(f["error_type"].as_str(), error_type, "{name}: {f}");
    }
    // The workbook that declares a 16,384 × 1,048,576 grid holds one product, read in a blink.
    assert_eq!(
        env.text("SELECT name FROM product WHERE sku = 'HX-2'")
            .unwrap(),
        "Imenso"
    );
    assert!(
        run.file("xlsx-huge-dimension.xlsx")["duration_ms"]
            .as_f64()
            .unwrap()
            < 5000.0
    );
}

/// A workbook of `rows` products, written part by part with the zip crate (as
/// tests/make_fixtures.py writes the fixtures): inline strings, number cells.
fn workbook(rows: usize) -> Vec<u8> {
    let mut data = String::new();
    for i in 0..rows {
        let r = i + 2;
        data.push_str(&format!(
            r#"<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>W-{i:07}</t></is></c><c r="B{r}" t="inlineStr"><is><t>Produto número {i} de uma planilha grande</t></is></c><c r="C{r}"><v>{}.{:02}</v></c></row>"#,
            i % 1000,
            i % 100
        ));
    }
    workbook_of(&data)
}

/// A workbook of one sheet: a `sku, name, price` header row, then `rows` (`<row>` elements).
fn workbook_of(rows: &str) -> Vec<u8> {
    let sheet = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>sku</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c><c r="C1" t="inlineStr"><is><t>price</t></is></c></row>{rows}</sheetData></worksheet>"#
    );
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let parts = [
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_owned()),
        ("_rels/.rels", format!(r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#)),
        ("xl/workbook.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="{rel}"><sheets><sheet name="Grande" sheetId="1" r:id="rId1"/></sheets></workbook>"#)),
        ("xl/_rels/workbook.xml.rels", format!(r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#)),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    for (name, data) in parts {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(data.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    out.into_inner()
}

db_test! {
fn a_large_workbook_streams_from_disk(db) {
    let env = Env::on(db);
    let book = workbook(60_000);
    assert!(book.len() > 1 << 20, "past the size read whole: {}", book.len());
    let path = env.path("grande.xlsx");
    std::fs::write(&path, &book).unwrap();
    let run = env.run(&[path.to_str().unwrap()]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let f = run.file("grande.xlsx");
    assert_eq!((f["kind"].as_str(), f["rows"].as_u64()), (Some("catalog"), Some(60_000)));
    assert_eq!(env.count("SELECT count(*) FROM product"), 60_000);
    assert_eq!(env.text("SELECT price FROM product WHERE sku = 'W-0059999'").unwrap(), "999.99");
    assert_eq!(env.count("SELECT max(line) FROM product"), 60_001);
}
}

db_test! {
/// A NUL in a cell (`_x0000_` in the sheet's XML) is dropped as the cell is read, so both
/// databases store the same values (PostgreSQL's text cannot hold one) and the file's row
/// counts are what is stored: `A\0` and `A` are one SKU, the later row replacing the other.
fn a_nul_in_a_workbook_cell_is_treated_the_same_on_both_databases(db) {
    let env = Env::on(db);
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let rows: [[&str; 4]; 3] = [
        ["sku", "name", "price", "marca\0"],
        ["A\0", "Caf\0é", "1.5", "x\0y"],
        ["A", "Café", "2.5", "x\0y"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *cell).unwrap();
        }
    }
    std::fs::write(env.path("nul.xlsx"), book.save_to_buffer().unwrap()).unwrap();
    let run = env.run(&["nul.xlsx"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let f = run.file("nul.xlsx");
    assert_eq!(f["status"], "imported", "{f}");
    assert_eq!(
        [&f["rows"], &f["rows_created"], &f["rows_duplicate_in_file"]],
        [2, 1, 1],
        "{f}"
    );
    assert_eq!(
        env.rows("SELECT sku, name, price FROM product"),
        [[Some("A".to_owned()), Some("Café".to_owned()), Some("2.5".to_owned())]]
    );
    let extra: serde_json::Value =
        serde_json::from_str(&env.text("SELECT extra FROM product").unwrap()).unwrap();
    assert_eq!(extra, serde_json::json!({"marca": "xy"}));
}
}

db_test! {
/// Issue 29, item 11: a formula a program wrote and no spreadsheet computed has no saved
/// result; the row's error says so instead of calling the price empty.
fn a_formula_with_no_saved_result_is_said_so(db) {
    let env = Env::on(db);
    let rows = r#"<row r="2"><c r="A2" t="inlineStr"><is><t>F-1</t></is></c><c r="B2" t="inlineStr"><is><t>Computed</t></is></c><c r="C2"><f>1+1</f><v>2</v></c></row><row r="3"><c r="A3" t="inlineStr"><is><t>F-2</t></is></c><c r="B3" t="inlineStr"><is><t>Never computed</t></is></c><c r="C3"><f>C2*2</f></c></row><row r="4"><c r="A4" t="inlineStr"><is><t>F-3</t></is></c><c r="B4" t="inlineStr"><is><t>No price</t></is></c></row>"#;
    std::fs::write(env.path("formulas.xlsx"), workbook_of(rows)).unwrap();
    let run = env.run(&["formulas.xlsx"]);
    let f = run.file("formulas.xlsx");
    assert_eq!((&f["rows"], &f["rows_rejected"]), (&1.into(), &2.into()), "{f}");
    assert_eq!(env.text("SELECT price FROM product WHERE sku = 'F-1'").unwrap(), "2");
    let messages: Vec<&str> = f["rejected_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["error"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "formulas.xlsx: row 3: price is a formula with no saved result (open and save the workbook in a \
             spreadsheet program so it stores one)",
            "formulas.xlsx: row 4: price is empty"
        ],
        "{f}"
    );
}
}
