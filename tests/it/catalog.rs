//! Product catalogs (CSV): recognised by their header, streamed into `product` by SKU, bad rows
//! rejected with their line, whole catalogs deduplicated by their bytes.

use crate::helpers::{Db, Env, db_test, fixture, fixtures, xlsx_cells, xlsx_part};
use batchimp::format::csv::{Record, Records};
use std::io::Write;

db_test! {
fn catalogs_are_upserted_by_sku_and_bad_rows_rejected_with_their_line(db) {
    let env = Env::on(db);
    let run = env.run(&[&fixture("catalog")]);
    assert_eq!(run.code(), 1, "rows were rejected: {}", run.stderr());
    assert!(
        run.stderr().contains("; 3 rows rejected"),
        "{}",
        run.stderr()
    );
    let totals = &run.report()["totals"];
    assert_eq!(totals["rows"], 10);
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
            "{}: line 7: price is written with a decimal comma (1.234,56) where the column \
             uses a decimal point (1,234.56): \"12,50\"",
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

    // Ten products: the Latin-1 catalog's three (no supplier), the second catalog's four (with
    // their suppliers: its SKU shared with the first is another supplier's product), and the
    // Brazilian export's three.
    assert_eq!(env.count("SELECT count(*) FROM product"), 10);
    assert_eq!(produtos["decimal_separator"], "point");
    let brasil = run.file("catalog/precos-brasil.csv");
    assert_eq!(brasil["decimal_separator"], "comma");
    assert_eq!(
        env.rows("SELECT sku, price, stock FROM product WHERE sku LIKE 'BR-%' ORDER BY sku"),
        [
            [Some("BR-001".into()), Some("1234.56".into()), Some("12".into())],
            [Some("BR-002".into()), Some("9.9".into()), Some("1500".into())],
            [Some("BR-003".into()), Some("89.9".into()), Some("40".into())],
        ],
        "1.234,56 and R$ 9,90 read in the file's decimal-comma convention"
    );
    let rows = env.rows(
        "SELECT p.price, p.stock, p.line, f.origin FROM product p JOIN files f ON f.id = p.file_id
         WHERE p.sku = '7891000100103' AND p.supplier_id = 'SUP00001'",
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row: Vec<String> = rows[0].iter().map(|c| c.clone().expect("not NULL")).collect();
    assert_eq!(row[..3], ["5.99", "120", "2"], "the supplier's catalog's values");
    assert_eq!(
        env.text("SELECT price FROM product WHERE sku = '7891000100103' AND supplier_id = ''")
            .unwrap(),
        "5.49",
        "the catalog without suppliers keeps its own"
    );
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
    assert!(text.contains("\nrows rejected: 3"), "{text}");
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

db_test! {
fn a_changed_catalog_counts_its_rows_created_updated_unchanged_and_repeated(db) {
    let env = Env::on(db);
    let first = env.path("precos-outubro.csv");
    std::fs::write(
        &first,
        "sku;nome;preco\nA;Arroz 5kg;25,90\nB;Feijão 1kg;8,49\nC;Óleo 900ml;7,99\nD;Sal 1kg;2,00\n",
    )
    .unwrap();
    let run = env.run(&[first.to_str().unwrap()]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let f = run.file("precos-outubro.csv");
    assert_eq!(
        (&f["rows_created"], &f["rows_updated"], &f["rows_unchanged"]),
        (&4.into(), &0.into(), &0.into())
    );

    // A: a new price; B: as it was; C: a new name; E: new, listed twice (the second wins);
    // F: no name; D: not listed (it stays, uncounted).
    let second = env.path("precos-novembro.csv");
    std::fs::write(
        &second,
        "sku;nome;preco\nA;Arroz 5kg;27,50\nB;Feijão 1kg;8,49\nC;Óleo de soja 900ml;7,99\n\
         E;Café 500g;18,00\nF;;1,00\nE;Café 500g;17,50\n",
    )
    .unwrap();
    let run = env.run(&[second.to_str().unwrap()]);
    assert_eq!(run.code(), 1, "a row was rejected: {}", run.stderr());
    let f = run.file("precos-novembro.csv");
    let counts = [
        "rows",
        "rows_rejected",
        "rows_created",
        "rows_updated",
        "rows_unchanged",
        "rows_duplicate_in_file",
    ]
    .map(|k| f[k].as_u64().unwrap_or_else(|| panic!("{k} in {f}")));
    assert_eq!(counts, [5, 1, 1, 2, 1, 1], "{f}");
    assert_eq!(counts[0] + counts[1], 6, "every row counted once");
    let totals = &run.report()["totals"];
    assert_eq!(totals["rows_created"], 1);
    assert_eq!(totals["rows_duplicate_in_file"], 1);

    let listed: Vec<(u64, &str, &str)> = f["rejected_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["error_type"].as_str().unwrap(),
                r["error"].as_str().unwrap(),
            )
        })
        .collect();
    let origin = second.to_str().unwrap();
    assert_eq!(
        listed,
        [
            (
                5,
                "catalog_duplicate_in_file",
                format!("{origin}: line 5: SKU \"E\" comes again in line 7, which replaces it")
                    .as_str()
            ),
            (
                6,
                "catalog_missing_name",
                format!("{origin}: line 6: name is empty").as_str()
            ),
        ]
    );
    assert_eq!(
        f["warning"],
        "1 of 6 rows rejected (catalog_missing_name: 1); 1 row replaced by a later row with the \
         same SKU; see rejected_rows"
    );
    assert_eq!(
        env.text("SELECT CAST(price AS TEXT) FROM product WHERE sku = 'E'").as_deref(),
        Some("17.5"),
        "the later row of E wins"
    );
    assert_eq!(env.count("SELECT count(*) FROM product"), 5);
    // The ledger keeps the counts.
    assert_eq!(
        env.rows(
            "SELECT rows_created, rows_updated, rows_unchanged, rows_duplicate_in_file
             FROM files WHERE origin LIKE '%novembro%'"
        ),
        [["1", "2", "1", "1"].map(|s| Some(s.to_owned())).to_vec()]
    );
    let report = env.on_db(&["report", "2"]);
    let text = String::from_utf8_lossy(&report.stdout);
    assert!(
        text.contains(&format!(
            "{origin}: 6 rows: 1 created, 2 updated, 1 unchanged, 1 duplicate in file, 1 rejected"
        )),
        "{text}"
    );
    assert!(text.contains("comes again in line 7"), "{text}");

    // The products as stored, in another file (a price written another way): each unchanged.
    let third = env.path("precos-novembro-copia.csv");
    std::fs::write(
        &third,
        "sku;nome;preco\nA;Arroz 5kg;27,5\nB;Feijão 1kg;8,49\nC;Óleo de soja 900ml;7,99\n\
         E;Café 500g;17,50\n",
    )
    .unwrap();
    let run = env.run(&[third.to_str().unwrap()]);
    let f = run.file("precos-novembro-copia.csv");
    let counts = ["rows_created", "rows_updated", "rows_unchanged", "rows_duplicate_in_file"]
        .map(|k| f[k].as_u64().unwrap());
    assert_eq!(counts, [0, 0, 4, 0], "{f}");
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
    // The first product comes again at the end, chunks later: the later row wins.
    let csv = big_catalog(30_000) + "SKU0000000,Produto 0 revisto,,3.50,1\n";
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
    assert_eq!(f["rows"], 29_971);
    assert_eq!(f["rows_rejected"], 30);
    assert_eq!(f["rows_created"], 29_970);
    assert_eq!(f["rows_duplicate_in_file"], 1);
    assert_eq!(f["rejected_rows"][0]["line"], 2, "{}", f["rejected_rows"][0]);
    assert_eq!(
        env.text("SELECT name FROM product WHERE sku = 'SKU0000000'").as_deref(),
        Some("Produto 0 revisto")
    );
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
    assert_eq!(run.code(), 1, "rows were rejected: {}", run.stderr());
    let f = run.file("catalogos.zip!/catalogos/produtos-2026-10.csv");
    assert_eq!(
        (f["rows"].as_u64(), f["rows_rejected"].as_u64()),
        (Some(4), Some(3))
    );
    assert_eq!(env.count("SELECT count(*) FROM product"), 7);
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

db_test! {
fn products_are_keyed_by_supplier_and_sku(db) {
    let env = Env::on(db);
    // Two suppliers list SKU A-100; a third file names its supplier with --supplier.
    let both = env.path("fornecedores.csv");
    std::fs::write(
        &both,
        "proveedor_id;codigo;nombre;precio\nPROV-1;A-100;Tornillo;1,50\nPROV-2;A-100;Tornillo largo;2,75\n",
    )
    .unwrap();
    let run = env.run(&[both.to_str().unwrap()]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(
        env.rows("SELECT supplier_id, name, price FROM product WHERE sku = 'A-100' ORDER BY supplier_id"),
        [
            [Some("PROV-1".into()), Some("Tornillo".into()), Some("1.5".into())],
            [Some("PROV-2".into()), Some("Tornillo largo".into()), Some("2.75".into())],
        ]
    );
    let flagged = env.path("sem-fornecedor.csv");
    std::fs::write(&flagged, "sku,name,price\nA-100,Parafuso,3.10\nB-200,Porca,0.40\n").unwrap();
    let run = env.run(&[flagged.to_str().unwrap(), "--supplier", "FORN-9"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(
        env.column("SELECT sku FROM product WHERE supplier_id = 'FORN-9' ORDER BY sku"),
        ["A-100", "B-200"]
    );
    // A file whose own column disagrees with --supplier: those rows are rejected.
    let mixed = env.path("misto.csv");
    std::fs::write(
        &mixed,
        "supplier_id,sku,name,price\nFORN-9,C-300,Arruela,0.10\nOUTRO,D-400,Prego,0.05\n",
    )
    .unwrap();
    let run = env.run(&[mixed.to_str().unwrap(), "--supplier", "FORN-9"]);
    let f = run.file("misto.csv");
    assert_eq!((f["rows"].as_u64(), f["rows_rejected"].as_u64()), (Some(1), Some(1)));
    assert_eq!(f["rejected_rows"][0]["error_type"], "catalog_supplier_mismatch");
    assert!(
        f["rejected_rows"][0]["error"]
            .as_str()
            .unwrap()
            .ends_with("line 3: supplier_id is \"OUTRO\" where --supplier says \"FORN-9\""),
        "{f}"
    );
    // Without suppliers, a SKU is one product, as before (supplier '').
    let plain = env.path("simples.csv");
    std::fs::write(&plain, "sku,name,price\nA-100,Sem fornecedor,9\n").unwrap();
    env.run(&[plain.to_str().unwrap()]);
    assert_eq!(env.count("SELECT count(*) FROM product WHERE sku = 'A-100'"), 4);
    assert_eq!(
        env.text("SELECT name FROM product WHERE sku = 'A-100' AND supplier_id = ''").unwrap(),
        "Sem fornecedor"
    );
}
}

db_test! {
fn a_product_table_keyed_by_sku_alone_is_rebuilt_with_its_rows(db) {
    let env = Env::on(db);
    env.run(&[&fixture("catalog/catalogo-latin1.csv")]);
    // The table as batchimp made it before suppliers: keyed by SKU, supplier_id nullable.
    let old = "CREATE TABLE product_old AS SELECT * FROM product;
        DROP TABLE product;
        CREATE TABLE product (sku TEXT NOT NULL, name TEXT, description TEXT, category TEXT,
            unit TEXT, price NUMERIC, stock NUMERIC, supplier_id TEXT, sanitary_certificate TEXT,
            lead_time_days INTEGER, file_id INTEGER, line INTEGER, PRIMARY KEY (sku));
        INSERT INTO product SELECT sku, name, description, category, unit, price, stock,
            NULL, sanitary_certificate, lead_time_days, file_id, line FROM product_old;
        DROP TABLE product_old;";
    if env.is_postgres() {
        env.rows(&format!("{old} DELETE FROM schema_version;"));
    } else {
        env.conn()
            .execute_batch(&format!("{old} PRAGMA user_version = 0;"))
            .unwrap();
    }
    let run = env.run(&[&fixture("catalog/produtos-2026-10.csv")]);
    assert_eq!(run.code(), 1, "three rows are rejected: {}", run.stderr());
    assert_eq!(run.file("produtos-2026-10.csv")["status"], "imported");
    // The older rows are kept (supplier ''), beside the new catalog's four of its suppliers.
    assert_eq!(env.count("SELECT count(*) FROM product"), 7);
    assert_eq!(env.count("SELECT count(*) FROM product WHERE supplier_id = ''"), 3);
    assert_eq!(
        env.text("SELECT name FROM product WHERE sku = 'SKU-0101'").unwrap(),
        "Sabão em Pó 1kg"
    );
    assert_eq!(
        env.column("SELECT price FROM product WHERE sku = '7891000100103' ORDER BY supplier_id"),
        ["5.49", "5.99"]
    );
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

db_test! {
fn map_names_unknown_headers_and_require_makes_fields_mandatory(db) {
    let env = Env::on(db);
    let csv = env.path("fornecedor-x.csv");
    std::fs::write(
        &csv,
        "Ref. Fornecedor;Produto;preco;Registro MS;Obs\n\
         A-1;Dipirona 500mg;12,50;MS-123;frágil\n\
         A-2;Paracetamol 750mg;8,00;;\n\
         A-3;Ibuprofeno 400mg;15,00;MS-456;\n",
    )
    .unwrap();
    let other = env.path("sem-registro.csv");
    std::fs::write(&other, "sku;nome;preco\nB-1;Álcool 70%;9,90\n").unwrap();

    // Without the map, no header names a SKU: a catalog that almost matches, which says
    // which --map fixes it (issue 29).
    let run = env.run(&[csv.to_str().unwrap()]);
    let f = run.file("fornecedor-x.csv");
    assert_eq!(f["error_type"], "catalog_missing_column", "{f}");
    let fix = "--map 'Ref. Fornecedor=sku'";
    assert!(f["error"].as_str().unwrap().contains(fix), "{f}");

    let run = env.run(&[
        csv.to_str().unwrap(),
        other.to_str().unwrap(),
        "--map",
        "Ref. Fornecedor=sku",
        "--map",
        "registro ms = sanitary_certificate",
        "--require",
        "sanitary_certificate",
    ]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let f = run.file("fornecedor-x.csv");
    assert_eq!(f["status"], "imported", "{f}");
    assert_eq!((&f["rows"], &f["rows_rejected"]), (&2.into(), &1.into()));
    let rejected = &f["rejected_rows"][0];
    assert_eq!(rejected["line"], 3);
    assert_eq!(rejected["error_type"], "catalog_missing_field");
    assert_eq!(
        rejected["error"],
        format!(
            "{}: line 3: sanitary_certificate is empty (--require)",
            csv.display()
        )
    );
    assert_eq!(
        env.rows("SELECT sku, sanitary_certificate, extra ->> 'Obs' FROM product ORDER BY sku"),
        [
            [Some("A-1"), Some("MS-123"), Some("frágil")],
            [Some("A-3"), Some("MS-456"), None],
        ]
        .map(|r| r.map(|v| v.map(str::to_owned)).to_vec())
    );
    assert_eq!(env.count("SELECT count(*) FROM product WHERE extra IS NULL"), 1);
    let f = run.file("sem-registro.csv");
    assert_eq!(f["status"], "failed");
    assert_eq!(f["error_type"], "catalog_missing_column");
    assert_eq!(
        f["error"],
        format!(
            "{}: no column of its header (\"sku\", \"nome\", \"preco\") fills \
             sanitary_certificate (--require); name one with --map 'HEADER=sanitary_certificate'",
            other.display()
        )
    );

    // A field batchimp does not have is a usage error.
    let out = env.on_db(&["run", csv.to_str().unwrap(), "--map", "Ref=codigo"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"codigo\" is not a catalog field (the fields: sku, name,"),
        "{err}"
    );
    let out = env.on_db(&["run", csv.to_str().unwrap(), "--require", "registro"]);
    assert_eq!(out.status.code(), Some(2));
}
}

/// On a terminal, the progress bar counts a streaming catalog's rows while the one file is
/// still being written, and every frame fits the terminal's width (run in a pseudo-terminal
/// made by `script`, 80 and 120 columns wide).
#[test]
fn the_progress_bar_moves_with_a_streaming_catalogs_rows_and_fits_the_terminal() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no `script` to make a terminal");
        return;
    }
    let env = Env::new();
    let rows = 400_000;
    let dir = env.path("entrada");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("grande.csv"), big_catalog(rows)).unwrap();
    // A failure: its log line is printed above the bar, never inside a frame.
    std::fs::write(dir.join("vazio.xml"), "").unwrap();
    let bin = assert_cmd::cargo::cargo_bin("batchimp");
    for columns in [80, 120] {
        let _ = std::fs::remove_file(env.path("test.db"));
        let command = format!(
            "stty cols {columns}; {} run entrada --db test.db",
            bin.display()
        );
        let out = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .current_dir(env.path(""))
            .env_remove("NO_COLOR")
            .output()
            .expect("script runs");
        let screen = String::from_utf8_lossy(&out.stdout);
        // 1: the catalog's bad prices are rejected rows.
        assert_eq!(out.status.code(), Some(1), "{screen}");
        let lines: Vec<String> = screen.split(['\r', '\n']).map(without_escapes).collect();
        let failure = lines
            .iter()
            .find(|l| l.contains("vazio.xml"))
            .expect("the failure's log line");
        assert!(
            failure.starts_with("batchimp: failed: entrada/vazio.xml (empty_file)"),
            "{failure:?}"
        );
        let frames: Vec<&String> = lines.iter().filter(|f| f.contains(" files ")).collect();
        assert!(!frames.is_empty(), "{screen}");
        for f in &frames {
            assert!(
                f.trim_end().chars().count() <= columns,
                "{columns} columns: {} wide: {f:?}",
                f.chars().count()
            );
        }
        // Frames drawn while the catalog (1 file) streams: "0/1 files ... 123,456 rows".
        let counts: Vec<u64> = frames
            .iter()
            .filter_map(|f| {
                let before = f.split(" rows |").next().filter(|b| b.len() < f.len())?;
                before.rsplit(' ').next()?.replace(',', "").parse().ok()
            })
            .collect();
        assert!(
            counts.iter().any(|&n| n > 0 && n < rows as u64),
            "no frame counted rows part-way: {counts:?}\n{screen}"
        );
        assert!(
            counts.windows(2).all(|w| w[0] <= w[1]),
            "rows only go up: {counts:?}"
        );
    }
}

/// Terminal text without its escape sequences (`ESC [ ... letter`).
pub(crate) fn without_escapes(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// Issue 32: `extra` was text in PostgreSQL, where docs/catalogs.md's `extra ->> 'Marca'`
/// fails. A
/// table an older batchimp made keeps its rows and becomes jsonb.
#[test]
fn an_older_text_extra_becomes_jsonb_with_its_rows() {
    let Some(db) = Db::postgres() else {
        return;
    };
    let env = Env::on(db);
    let csv = env.path("extras.csv");
    std::fs::write(&csv, "sku,name,price,Marca\nA-1,Um,1,Acme\n").unwrap();
    env.run(&[csv.to_str().unwrap()]);
    env.rows(
        "ALTER TABLE product ALTER COLUMN extra TYPE text USING extra::text;
         DELETE FROM schema_version;",
    );
    std::fs::write(&csv, "sku,name,price,Marca\nB-2,Dois,2,Zeta\n").unwrap();
    let run = env.run(&[csv.to_str().unwrap()]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(
        env.text(
            "SELECT data_type FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = 'product'
                AND column_name = 'extra'"
        )
        .unwrap(),
        "jsonb"
    );
    assert_eq!(
        env.column("SELECT extra ->> 'Marca' FROM product ORDER BY sku"),
        ["Acme", "Zeta"]
    );
}

db_test! {
/// Issue 32: a catalog that fails as its rows are written (none valid) prints its `failed:`
/// line and counts toward `--max-errors` like any failed file.
fn a_catalog_failing_as_it_streams_is_a_failure_like_any(db) {
    let env = Env::on(db);
    let dir = env.path("entrada");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("a.csv"), "sku,name,price\nA,,x\nB,,y\n").unwrap();
    std::fs::write(dir.join("b.csv"), "sku,name,price\nC,,z\n").unwrap();
    std::fs::write(dir.join("c.xml"), "").unwrap();
    let out = env
        .cmd()
        .args(["run", "entrada", "--max-errors", "1", "--no-report"])
        .args(env.db_args())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("failed: entrada/a.csv (catalog_no_valid_rows): none of its 2 rows is valid"),
        "{err}"
    );
    assert!(err.contains("stopped after 1 failed file (--max-errors 1)"), "{err}");
    assert_eq!(env.column("SELECT origin FROM files"), ["entrada/a.csv"]);
}
}
