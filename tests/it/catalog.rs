//! Product catalogs (CSV): recognised by their header, streamed into `product` by SKU, bad rows
//! rejected with their line, whole catalogs deduplicated by their bytes.

use crate::helpers::{Env, db_test, fixture, fixtures, xlsx_cells, xlsx_part};
use batchimp::format::csv::{Record, Records};
use std::io::Write;

db_test! {
fn catalogs_are_upserted_by_sku_and_bad_rows_rejected_with_their_line(db) {
    let env = Env::on(db);
    let run = env.run(&[&fixture("catalog")]);
    assert_eq!(run.code(), 1, "rows were rejected: {}", run.stderr());
    assert!(
        run.stderr().contains("; 3 catalog rows rejected"),
        "{}",
        run.stderr()
    );
    let totals = &run.report()["totals"];
    assert_eq!(totals["rows"], 7);
    assert_eq!(totals["rows_rejected"], 3);
    assert_eq!(totals["by_error_type"]["catalog_no_valid_rows"], 1);

    let latin1 = run.file("catalog/catalogo-latin1.csv");
    assert_eq!(latin1["kind"], "catalog");
    assert_eq!(latin1["status"], "imported");
    assert_eq!(latin1["rows"], 3);
    assert_eq!(latin1["rows_rejected"], 0);
    assert!(latin1.get("rejected_rows").is_none(), "{latin1}");

    let produtos = run.file("catalog/produtos-2026-10.csv");
    assert_eq!(produtos["status"], "imported");
    assert_eq!(produtos["rows"], 4);
    assert_eq!(produtos["rows_rejected"], 3);
    assert_eq!(
        produtos["warning"],
        "3 of 7 rows rejected (catalog_missing_sku: 1, catalog_missing_name: 1, catalog_bad_price: 1); see rejected_rows"
    );
    let rejected: Vec<(u64, &str)> = produtos["rejected_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["error_type"].as_str().unwrap(),
            )
        })
        .collect();
    // Line 4 holds the row whose description spans two lines; line 7 is blank.
    assert_eq!(
        rejected,
        [
            (6, "catalog_missing_sku"),
            (7, "catalog_bad_price"),
            (9, "catalog_missing_name")
        ]
    );
    let bad_price = &produtos["rejected_rows"][1]["error"];
    assert_eq!(
        bad_price.as_str().unwrap(),
        format!(
            "{}: line 7: price is not a number like 1234.56: \"12,50\"",
            fixture("catalog/produtos-2026-10.csv")
        )
    );

    let none = run.file("catalog/sem-linhas-validas.csv");
    assert_eq!(none["status"], "failed");
    assert_eq!(none["error_type"], "catalog_no_valid_rows");
    assert!(
        none["error"]
            .as_str()
            .unwrap()
            .starts_with(&fixture("catalog/sem-linhas-validas.csv")),
        "{none}"
    );
    let ncm = run.file("catalog/tabela-ncm.csv");
    assert_eq!(ncm["status"], "unsupported", "a reference table, no price");
    assert_eq!(ncm["kind"], "text");

    // Six SKUs: the Latin-1 catalog's three and the second catalog's four, one shared; the
    // later catalog in walk order set the shared one.
    assert_eq!(env.count("SELECT count(*) FROM product"), 6);
    let rows = env.rows(
        "SELECT p.price, p.stock, p.line, f.origin FROM product p JOIN files f ON f.id = p.file_id
         WHERE p.sku = '7891000100103'",
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row: Vec<String> = rows[0].iter().map(|c| c.clone().expect("not NULL")).collect();
    assert_eq!(row[..3], ["5.99", "120", "2"], "the later catalog's values");
    let origin = &row[3];
    assert!(origin.ends_with("produtos-2026-10.csv"), "{origin}");
    assert_eq!(
        env.text("SELECT name FROM product WHERE sku = 'SKU-0101'")
            .unwrap(),
        "Sabão em Pó 1kg"
    );
    assert_eq!(
        env.text("SELECT description FROM product WHERE sku = 'SKU-0003'")
            .unwrap(),
        "Linha sensível\nObs: manter em local seco"
    );
    assert_eq!(
        env.text("SELECT description FROM product WHERE sku = '7891000100202'")
            .unwrap(),
        "Caixa c/ 10 comprimidos, \"genérico\""
    );
    assert_eq!(
        env.count("SELECT count(*) FROM product WHERE sku = 'SKU-0007' AND stock IS NULL AND lead_time_days IS NULL"),
        1,
        "empty cells are NULL"
    );
    assert_eq!(
        env.count("SELECT count(*) FROM rejected_rows"),
        3,
        "a failed catalog leaves no rejected rows behind"
    );

    let out = env.on_db(&["report"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("catalog rows rejected: 3"), "{text}");
    assert!(
        text.contains("produtos-2026-10.csv: line 6: sku is empty"),
        "{text}"
    );
}
}

db_test! {
fn a_catalog_seen_again_is_a_duplicate_and_a_changed_one_updates_its_products(db) {
    let env = Env::on(db);
    let first = env.path("catalogo.csv");
    std::fs::write(
        &first,
        "sku;nome;preco\nA;Arroz 5kg;25.90\nB;Feijão 1kg;8.49\n",
    )
    .unwrap();
    assert_eq!(env.run(&[first.to_str().unwrap()]).code(), 0);

    let again = env.run(&[first.to_str().unwrap()]);
    assert_eq!(again.code(), 0);
    let f = again.file("catalogo.csv");
    assert_eq!(f["status"], "duplicate");
    assert_eq!(f["duplicate"], "identical");
    assert_eq!(f["duplicate_of"], first.to_str().unwrap());

    let changed = env.path("catalogo-novembro.csv");
    std::fs::write(
        &changed,
        "sku;nome;preco\nA;Arroz 5kg;27.50\nC;Óleo 900ml;7.99\n",
    )
    .unwrap();
    let run = env.run(&[changed.to_str().unwrap()]);
    assert_eq!(run.file("catalogo-novembro.csv")["status"], "imported");
    assert_eq!(env.count("SELECT count(*) FROM product"), 3);
    assert_eq!(
        env.count("SELECT count(*) FROM product WHERE sku = 'A' AND price = 27.5"),
        1,
        "the new price"
    );
    assert_eq!(
        env.count("SELECT count(*) FROM product WHERE sku = 'B' AND price = 8.49"),
        1,
        "a product the new catalog does not list stays"
    );
}
}

/// A catalog of `rows` generated rows, every 1000th with a price in Brazilian notation.
fn big_catalog(rows: usize) -> String {
    let mut csv = String::from("sku,name,description,price,stock\n");
    for i in 0..rows {
        let price = if i % 1000 == 999 {
            "\"1,99\"".to_owned()
        } else {
            format!("{}.{:02}", i % 500, i % 100)
        };
        csv.push_str(&format!(
            "SKU{i:07},Produto {i},\"Descrição longa, com vírgula, do produto {i}\",{price},{}\n",
            i % 77
        ));
    }
    csv
}

db_test! {
fn a_large_catalog_is_streamed_from_disk_whatever_max_file_size(db) {
    let env = Env::on(db);
    let csv = big_catalog(30_000);
    assert!(
        csv.len() > 2 << 20,
        "over the size catalogs are streamed at"
    );
    std::fs::write(env.path("grande.csv"), &csv).unwrap();
    std::fs::write(env.path("grande.txt"), "x".repeat(3 << 20)).unwrap();
    let run = env.run(&[
        env.path("grande.csv").to_str().unwrap(),
        env.path("grande.txt").to_str().unwrap(),
        "--max-file-size",
        "1MiB",
    ]);
    let f = run.file("grande.csv");
    assert_eq!(f["status"], "imported", "{f}");
    assert_eq!(f["rows"], 29_970);
    assert_eq!(f["rows_rejected"], 30);
    assert_eq!(f["size"], csv.len() as u64);
    assert_eq!(
        f["sha256"],
        format!(
            "{:x}",
            <sha2::Sha256 as sha2::Digest>::digest(csv.as_bytes())
        )
    );
    assert_eq!(
        run.file("grande.txt")["error_type"],
        "too_large",
        "anything else over the limit is still refused"
    );
    assert_eq!(env.count("SELECT count(*) FROM product"), 29_970);
    assert_eq!(
        env.count("SELECT line FROM product WHERE sku = 'SKU0029998'"),
        30_000,
        "the header is line 1"
    );

    // Resuming the finished batch with --verify re-hashes the catalog and finds it unchanged:
    // its ledger row stays the same row.
    let ledger_id = "SELECT id FROM files WHERE origin LIKE '%grande.csv'";
    let id = env.count(ledger_id);
    let out = env.on_db(&["resume", "1", "--verify", "-q"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(env.count("SELECT count(*) FROM files"), 2);
    assert_eq!(env.count(ledger_id), id, "not recorded again");
}
}

db_test! {
fn a_catalog_inside_a_zip_is_imported_like_one_on_disk(db) {
    let env = Env::on(db);
    let zip_path = env.path("catalogos.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for name in ["catalogo-latin1.csv", "produtos-2026-10.csv"] {
        zip.start_file(format!("catalogos/{name}"), opts).unwrap();
        zip.write_all(&std::fs::read(fixtures().join("catalog").join(name)).unwrap())
            .unwrap();
    }
    zip.finish().unwrap();
    let run = env.run(&[zip_path.to_str().unwrap()]);
    assert_eq!(run.code(), 1, "rows were rejected");
    let f = run.file("catalogos.zip!/catalogos/produtos-2026-10.csv");
    assert_eq!(
        (f["rows"].as_u64(), f["rows_rejected"].as_u64()),
        (Some(4), Some(3))
    );
    assert_eq!(env.count("SELECT count(*) FROM product"), 6);
    assert_eq!(
        env.count("SELECT count(*) FROM product WHERE sku = '7891000100103' AND price = 5.99"),
        1
    );
}
}

db_test! {
fn a_catalog_broken_halfway_fails_whole_and_takes_back_the_rows_it_wrote(db) {
    // 10,000 good rows (written in chunks before the break is found), then a quote never
    // closed that would swallow the rest of the file into one record.
    let env = Env::on(db);
    let mut csv = big_catalog(10_000);
    csv.push_str("SKU9999999,\"Sem fim,");
    csv.push_str(&"texto sem aspas de fechamento ".repeat(40_000));
    std::fs::write(env.path("quebrado.csv"), &csv).unwrap();
    let run = env.run(&[env.path("quebrado.csv").to_str().unwrap()]);
    assert_eq!(run.code(), 1);
    let f = run.file("quebrado.csv");
    assert_eq!(f["status"], "failed", "{f}");
    assert_eq!(f["error_type"], "catalog_malformed");
    assert_eq!(
        f["error"],
        format!(
            "{}: the record starting on line 10002 is longer than 1024 KiB (a quote never closed?)",
            env.path("quebrado.csv").display()
        )
    );
    assert_eq!(
        env.count("SELECT count(*) FROM product"),
        0,
        "nothing of it stays"
    );
    assert_eq!(env.count("SELECT count(*) FROM rejected_rows"), 0);
}
}

// No database involved: the benchmark's XLSX catalog against its CSV twin.
#[test]
fn the_benchmarks_xlsx_catalog_holds_the_csv_catalogs_rows() {
    use crate::{catalog_gen, xlsx_gen};
    let env = Env::new();
    let o = catalog_gen::CatalogOptions {
        rows: 2000,
        seed: 11,
        bad_rate: 0.2,
    };
    let (csv, xlsx) = (env.path("c.csv"), env.path("c.xlsx"));
    let csv_manifest = catalog_gen::generate(&o, &csv).unwrap();
    let manifest = xlsx_gen::generate(&o, &xlsx).unwrap();
    xlsx_gen::check(&xlsx).unwrap();
    let bytes = std::fs::read(&xlsx).unwrap();
    assert_eq!(manifest.bytes, bytes.len() as u64);
    assert_eq!(
        (manifest.rows, manifest.good, manifest.bad),
        (csv_manifest.rows, csv_manifest.good, csv_manifest.bad)
    );
    assert!(manifest.bad > 300, "bad rows of every kind: {manifest:?}");
    assert!(xlsx_part(&bytes, xlsx_gen::SHEET_PART).is_some());

    let cells = xlsx_cells(&bytes);
    assert!(
        cells["A1"].value.starts_with("Distribuidora"),
        "a title row"
    );
    let mut records = Records::new(std::fs::File::open(&csv).unwrap(), b',', 1);
    let mut record = Record::default();
    let mut rows = 0;
    // The CSV's header is the workbook's second row, and each CSV row the row two below.
    while records.read(&mut record).unwrap() {
        let r = rows + 2;
        rows += 1;
        for (col, field) in ('A'..).zip(record.fields()) {
            let field = std::str::from_utf8(field).unwrap();
            let at = format!("{col}{r}");
            match cells.get(&at) {
                None => assert_eq!(field, "", "{at}: no cell"),
                Some(c) if c.string => assert_eq!(c.value, field, "{at}"),
                Some(c) => assert_eq!(
                    c.value.parse::<f64>().unwrap(),
                    field.parse::<f64>().unwrap(),
                    "{at}: a number cell"
                ),
            }
            // SKUs are text, good prices numbers.
            if col == 'A' && r > 2 && !field.is_empty() {
                assert!(cells[&at].string, "{at}");
            }
            if col == 'F' && r > 2 && field.parse::<f64>().is_ok() {
                assert!(!cells[&at].string, "{at}");
            }
        }
    }
    assert_eq!(rows, 2001);
    assert!(
        cells
            .keys()
            .all(|k| k[1..].parse::<usize>().unwrap() <= rows + 1),
        "no row past the CSV's last"
    );
    let again = env.path("again.xlsx");
    xlsx_gen::generate(&o, &again).unwrap();
    assert!(
        std::fs::read(&again).unwrap() == bytes,
        "the same options, the same bytes"
    );
}
