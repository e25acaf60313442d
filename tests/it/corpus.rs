//! Conformance on the real NF-e and other samples in ../shared/corpus (run when it exists).
//!
//! Expected values come from an independent, deliberately naive reading of each XML (plain text
//! search for the tags), so the streaming parser is checked against something it does not share
//! code with.

use crate::helpers::Env;
use std::path::{Path, PathBuf};

/// Fixtures whose keys their authors edited, so the check digit is wrong (see corpus/NOTES.md).
const BAD_CHECK_DIGIT: &[&str] = &[
    "br_danfe__v2.00__nfe_with_ns.xml",
    "br_danfe__v2.00__nfe_without_ns.xml",
    "br_danfe__v3.10__nfe_simples_nacional_authorized.xml",
    "br_danfe__v4.00__nfce-authorized.xml",
    "sped-da__mod55-nfe-veiculo.xml",
    "sped-nfe__nfce_com_qrcode.xml",
    "sped-nfe__nfe_4.0.xml",
];
/// A schema example with placeholder values: not a document.
const PLACEHOLDER: &str = "sped-nfe__nfe_v4.00_PL_009q.xml";

pub(crate) fn corpus() -> Option<PathBuf> {
    crate::helpers::shared_dir("corpus", "nfe")
}

fn nfe_files(corpus: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus.join("nfe"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// What a naive reading of the XML says the NF-e holds.
#[derive(Debug)]
struct Expected {
    key: String,
    /// The issuer's CNPJ, or CPF for an individual.
    emit_id: String,
    v_nf: f64,
    items: i64,
}

fn expected(path: &Path) -> Expected {
    let xml = std::fs::read(path).unwrap();
    let xml = String::from_utf8_lossy(&xml);
    let inf = xml.find("infNFe").expect("infNFe");
    let id_at = inf + xml[inf..].find("Id=\"").expect("Id") + 4;
    let id = &xml[id_at..id_at + xml[id_at..].find('"').unwrap()];
    // From <emit> to </emit>: both end in "emit>".
    let start = xml.find("emit>").expect("emit");
    let end = start + 5 + xml[start + 5..].find("emit>").expect("</emit>");
    let emit = &xml[start..end];
    Expected {
        key: id.trim_start_matches("NFe").to_owned(),
        emit_id: tag_text(emit, "CNPJ")
            .or_else(|| tag_text(emit, "CPF"))
            .expect("issuer id"),
        v_nf: tag_text(&xml, "vNF").expect("vNF").parse().unwrap(),
        items: xml.matches("det nItem=").count() as i64,
    }
}

/// Text of the first `<name>` or `<prefix:name>` element.
fn tag_text(xml: &str, name: &str) -> Option<String> {
    let mut from = 0;
    while let Some(i) = xml[from..].find(&format!("{name}>")) {
        let at = from + i;
        let before = xml[..at].rfind('<')?;
        let between = &xml[before + 1..at];
        if !between.starts_with('/') && (between.is_empty() || between.ends_with(':')) {
            let start = at + name.len() + 1;
            let end = start + xml[start..].find('<')?;
            return Some(xml[start..end].trim().to_owned());
        }
        from = at + 1;
    }
    None
}

fn check_imported(env: &Env, path: &Path, valid_key: bool) {
    let e = expected(path);
    let conn = env.conn();
    let (cnpj, v_nf, valid): (String, f64, i64) = conn
        .query_row(
            "SELECT coalesce(emit_cnpj, emit_cpf), v_nf, chave_valida FROM nfe WHERE chave = ?1",
            [&e.key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap_or_else(|err| panic!("{}: key {} not imported: {err}", path.display(), e.key));
    let items: i64 = conn
        .query_row(
            "SELECT count(*) FROM nfe_item WHERE chave = ?1",
            [&e.key],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(cnpj, e.emit_id, "{}", path.display());
    assert_eq!(v_nf, e.v_nf, "{}", path.display());
    assert_eq!(items, e.items, "{}", path.display());
    assert_eq!(valid == 1, valid_key, "{}", path.display());
}

#[test]
fn every_corpus_nfe_imports_with_its_key_issuer_total_and_items() {
    let Some(corpus) = corpus() else { return };
    let env = Env::new();
    let run = env.run(&[corpus.join("nfe").to_str().unwrap()]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    for path in nfe_files(&corpus) {
        let name = path.file_name().unwrap().to_str().unwrap();
        let f = run.file(&format!("/{name}"));
        if BAD_CHECK_DIGIT.contains(&name) {
            assert_eq!(f["error_type"], "nfe_bad_check_digit", "{name}: {f}");
        } else if name == PLACEHOLDER {
            assert_eq!(f["status"], "failed", "{name}");
            assert!(
                f["error_type"].as_str().unwrap().starts_with("nfe_"),
                "{name}: {f}"
            );
        } else if f["status"] == "duplicate" {
            // Two corpus files carry the same key as another (a resend, a bare NFe and its
            // nfeProc): the first in walk order is imported.
            assert_eq!(f["duplicate"], "different", "{name}: {f}");
            assert_eq!(f["key"].as_str().unwrap(), expected(&path).key);
        } else {
            assert_eq!(f["status"], "imported", "{name}: {f}");
            check_imported(&env, &path, true);
        }
    }

    // Under --allow-invalid-keys the edited keys import, flagged, with the right values.
    let env = Env::new();
    let run = env.run(&[corpus.join("nfe").to_str().unwrap(), "--allow-invalid-keys"]);
    for name in BAD_CHECK_DIGIT {
        let f = run.file(&format!("/{name}"));
        assert_eq!(f["status"], "imported", "{name}: {f}");
        assert!(
            f["warning"].as_str().unwrap().contains("check digit"),
            "{name}"
        );
        check_imported(&env, &corpus.join("nfe").join(name), false);
    }
}

#[test]
fn every_corpus_file_is_accounted_for() {
    let Some(corpus) = corpus() else { return };
    let env = Env::new();
    let run = env.run(&[corpus.to_str().unwrap(), "--workers", "2"]);
    assert_eq!(
        run.code(),
        1,
        "some corpus files are broken on purpose: {}",
        run.stderr()
    );
    let on_disk = walkdir::WalkDir::new(&corpus)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && !e.file_name().to_string_lossy().starts_with('.'))
        .count();
    let files = run.report()["files"].as_array().unwrap();
    assert_eq!(files.len(), on_disk, "one report entry per file");
    assert!(files.iter().all(|f| f["error_type"] != "internal_error"));
    let by_kind = |kind: &str| files.iter().filter(|f| f["kind"] == kind).count();
    assert_eq!(by_kind("pdf"), 12);
    // Spreadsheets are documents, not archives to walk: each is a catalog, or a workbook
    // without one (a report, a summary, people: no SKU, name and price), or not a workbook.
    let mut xlsx: Vec<_> = files
        .iter()
        .filter(|f| f["path"].as_str().unwrap().ends_with(".xlsx"))
        .map(|f| {
            let name = f["path"].as_str().unwrap().rsplit('/').next().unwrap();
            (
                name,
                f["kind"].as_str().unwrap(),
                f["status"].as_str().unwrap(),
            )
        })
        .collect();
    xlsx.sort();
    assert_eq!(
        xlsx,
        [
            ("inventoryplanner-php__products.xlsx", "catalog", "imported"),
            (
                "sat-catalogos-populate__FooSample.xlsx",
                "xlsx",
                "unsupported"
            ),
            (
                "spreadsheet_to_json_cli__corrupt.xlsx",
                "text",
                "unsupported"
            ),
            (
                "spreadsheet_to_json_cli__header_gap.xlsx",
                "xlsx",
                "unsupported"
            ),
            (
                "spreadsheet_to_json_cli__multi_sheet.xlsx",
                "xlsx",
                "unsupported"
            ),
            (
                "spreadsheet_to_json_cli__products.xlsx",
                "catalog",
                "imported"
            ),
            (
                "spreadsheet_to_json_cli__sample-data-1.xlsx",
                "xlsx",
                "unsupported"
            ),
        ]
    );
    // Every PDF is read (the one without text with its no_text_layer warning). NF-e events,
    // CFDI and Retenciones (a kind of their own, whatever folder they sit in) are read.
    for f in files {
        let path = f["path"].as_str().unwrap();
        if path.contains("/pdf/") {
            assert_eq!(f["status"], "imported", "{f}");
        }
        if path.contains("/cfdi") {
            assert_eq!(f["kind"], "cfdi", "{f}");
        }
        if path.contains("/retenciones") {
            assert_eq!(f["kind"], "retenciones", "{f}");
        }
        if path.contains("/nfe-events/") {
            assert_eq!(f["kind"], "nfe", "{f}");
        }
    }
    // Product catalogs are imported; reference tables (SAT codes, the NCM table: no price) are
    // not catalogs. WooCommerce's variable products list no price of their own: rejected rows.
    let catalog = |name: &str| {
        files
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("{name} in the report"))
    };
    let woo = catalog("catalog/classic-commerce__sample_products.csv");
    assert_eq!(
        (woo["kind"].as_str(), woo["status"].as_str()),
        (Some("catalog"), Some("imported"))
    );
    assert_eq!(
        (woo["rows"].as_u64(), woo["rows_rejected"].as_u64()),
        (Some(21), Some(3))
    );
    assert!(
        woo["rejected_rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["error_type"] == "catalog_bad_price"),
        "{woo}"
    );
    let small = catalog("catalog/spreadsheet_to_json_cli__products.csv");
    assert_eq!(
        (small["status"].as_str(), small["rows"].as_u64()),
        (Some("imported"), Some(3))
    );
    // The same three products as a workbook land with the same values; so do an inventory
    // tool's four.
    let sheet = catalog("catalog/spreadsheet_to_json_cli__products.xlsx");
    assert_eq!(sheet["rows"], 3, "{sheet}");
    assert_eq!(
        env.rows(
            "SELECT sku, name, price, stock FROM product WHERE sku LIKE 'SKU00%' ORDER BY sku"
        ),
        [
            [
                Some("SKU001".into()),
                Some("Widget".into()),
                Some("9.99".into()),
                Some("100".into())
            ],
            [
                Some("SKU002".into()),
                Some("Gadget".into()),
                Some("19.5".into()),
                Some("50".into())
            ],
            [
                Some("SKU003".into()),
                Some("Gizmo".into()),
                Some("5".into()),
                Some("0".into())
            ],
        ]
    );
    let inventory = catalog("catalog/inventoryplanner-php__products.xlsx");
    assert_eq!(
        (
            inventory["rows"].as_u64(),
            inventory["rows_rejected"].as_u64()
        ),
        (Some(4), Some(0))
    );
    assert_eq!(
        env.text("SELECT price FROM product WHERE sku = 'my_sku_20'")
            .unwrap(),
        "75"
    );
    for table in [
        "pynfe__TabelaIBPTaxSP14.2.a.csv",
        "sat-catalogos-populate__cfdi40__c_ClaveProdServ.csv",
        "sat-catalogos-populate__cfdi40__c_ClaveUnidad.csv",
    ] {
        assert_eq!(catalog(table)["status"], "unsupported", "{table}");
    }
    assert_eq!(
        env.count("SELECT count(*) FROM product WHERE sku = 'cc-beanie' AND price = 20"),
        1
    );
}

/// What a naive reading of a CFDI says it holds: the stamp's UUID, the issuer's RFC, the total,
/// and how many concepts and related payment documents it lists.
#[derive(Debug)]
struct ExpectedCfdi {
    uuid: Option<String>,
    emisor_rfc: String,
    total: f64,
    conceptos: i64,
    doctos: i64,
}

/// The value of attribute `name` (any case) in the first element whose local name is `element`.
fn attr_of(xml: &str, element: &str, name: &str) -> Option<String> {
    let mut from = 0;
    while let Some(i) = xml[from..].find(element) {
        let at = from + i;
        from = at + 1;
        let before = xml[..at].rfind('<')?;
        let between = &xml[before + 1..at];
        let after = xml[at + element.len()..].chars().next()?;
        if between.starts_with('/') || !(between.is_empty() || between.ends_with(':')) {
            continue;
        }
        if !after.is_whitespace() && after != '>' && after != '/' {
            continue;
        }
        let end = at + xml[at..].find('>')?;
        let tag = &xml[at..end];
        let lower = tag.to_ascii_lowercase();
        let needle = format!(" {}=\"", name.to_ascii_lowercase());
        let needle_nl = |c: char| format!("{c}{}=\"", name.to_ascii_lowercase());
        let pos = lower
            .find(&needle)
            .or_else(|| lower.find(&needle_nl('\n')))
            .or_else(|| lower.find(&needle_nl('\t')))?;
        let start = pos + needle.len();
        let len = tag[start..].find('"')?;
        return Some(tag[start..start + len].trim().replace("&amp;", "&"));
    }
    None
}

/// How many elements with this local name (`<cfdi:Concepto ` or `<Concepto>`...).
fn elements(xml: &str, element: &str) -> i64 {
    xml.match_indices(element)
        .filter(|(at, _)| {
            let before = &xml[..*at];
            let open = before.rfind('<').unwrap_or(0);
            let between = &before[open + 1..];
            let next = xml[at + element.len()..].chars().next().unwrap_or(' ');
            !between.starts_with('/')
                && (between.is_empty() || (between.ends_with(':') && !between.contains(' ')))
                && (next.is_whitespace() || next == '>' || next == '/')
        })
        .count() as i64
}

fn expected_cfdi(path: &Path) -> ExpectedCfdi {
    let xml = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
    ExpectedCfdi {
        uuid: attr_of(&xml, "TimbreFiscalDigital", "UUID").map(|u| u.to_ascii_uppercase()),
        emisor_rfc: attr_of(&xml, "Emisor", "rfc").unwrap_or_default(),
        total: attr_of(&xml, "Comprobante", "total")
            .unwrap()
            .parse()
            .unwrap(),
        conceptos: elements(&xml, "Concepto"),
        doctos: elements(&xml, "DoctoRelacionado"),
    }
}

#[test]
fn every_corpus_cfdi_imports_with_its_uuid_issuer_total_concepts_and_payments() {
    let Some(corpus) = corpus() else { return };
    let (mut imported, mut pagos, mut nomina_11) = (0, 0, 0);
    // One database per folder: samples in different folders were copied from one another and
    // share UUIDs, and each folder's documents are what is checked.
    for dir in ["cfdi33", "cfdi40", "cfdi-pagos", "cfdi-nomina"] {
        let env = Env::new();
        let run = env.run(&[corpus.join(dir).to_str().unwrap()]);
        assert_eq!(run.code(), 1, "unstamped samples fail: {}", run.stderr());
        let conn = env.conn();
        let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        for path in paths {
            let name = format!("{dir}/{}", path.file_name().unwrap().to_str().unwrap());
            let f = run.file(&name);
            let e = expected_cfdi(&path);
            let Some(uuid) = &e.uuid else {
                assert_eq!(f["error_type"], "cfdi_not_stamped", "{name}: {f}");
                continue;
            };
            assert_eq!(f["key"].as_str(), Some(uuid.as_str()), "{name}: {f}");
            if f["status"] == "duplicate" {
                // Samples copied from one another share a UUID: the first in walk order wins.
                continue;
            }
            assert_eq!(f["status"], "imported", "{name}: {f}");
            imported += 1;
            let (rfc, total): (String, f64) = conn
                .query_row(
                    "SELECT emisor_rfc, total FROM cfdi WHERE uuid = ?1",
                    [uuid],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap_or_else(|err| panic!("{name}: {uuid} not imported: {err}"));
            assert_eq!(rfc, e.emisor_rfc, "{name}");
            assert_eq!(total, e.total, "{name}");
            let count = |table: &str| -> i64 {
                conn.query_row(
                    &format!("SELECT count(*) FROM {table} WHERE uuid = ?1"),
                    [uuid],
                    |r| r.get(0),
                )
                .unwrap()
            };
            assert_eq!(count("cfdi_concepto"), e.conceptos, "{name}");
            assert_eq!(count("cfdi_pago_docto"), e.doctos, "{name}");
            if e.doctos > 0 {
                pagos += 1;
                assert!(count("cfdi_pago") > 0, "{name}: payments land");
            }
        }
        nomina_11 += env.count_or_zero(
            "SELECT count(*) FROM cfdi_nomina n JOIN cfdi_nomina_linea l USING (uuid)
             WHERE n.version = '1.1'",
        );
    }
    assert!(imported >= 12, "only {imported} corpus CFDI imported");
    assert!(pagos >= 2, "Pagos 1.0 and 2.0 samples land their payments");
    assert!(nomina_11 > 5, "the 3.2 payroll sample lands its lines");
}

/// Every key a file names (`chNFe`), read naively.
fn ch_nfe(xml: &str) -> Vec<String> {
    xml.match_indices("<chNFe>")
        .map(|(at, _)| {
            let start = at + "<chNFe>".len();
            xml[start..start + xml[start..].find('<').unwrap()]
                .trim()
                .to_owned()
        })
        .collect()
}

#[test]
fn every_corpus_event_imports_and_cancellations_hold_in_either_order() {
    let Some(corpus) = corpus() else { return };
    let events_dir = corpus.join("nfe-events");
    let nfe_dir = corpus.join("nfe");
    let mut events: Vec<PathBuf> = std::fs::read_dir(&events_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    events.sort();

    // By default a file naming a key with a wrong check digit fails with that type, and only
    // those fail; under --allow-invalid-keys every one imports.
    let env = Env::new();
    let run = env.run(&[events_dir.to_str().unwrap()]);
    for path in &events {
        let xml = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        let name = path.file_name().unwrap().to_str().unwrap();
        let f = run.file(&format!("/{name}"));
        let keys = ch_nfe(&xml);
        let bad = keys
            .iter()
            .any(|k| !batchimp::format::key::check_digit_ok(k));
        if bad {
            assert_eq!(f["error_type"], "nfe_bad_check_digit", "{name}: {f}");
        } else {
            assert_eq!(f["status"], "imported", "{name}: {f}");
        }
    }
    let env = Env::new();
    let run = env.run(&[events_dir.to_str().unwrap(), "--allow-invalid-keys"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.total("imported") as usize, events.len());
    // The unknown event type is stored.
    assert_eq!(
        env.count("SELECT count(*) FROM nfe_evento WHERE tp_evento = '123456'"),
        1
    );
    assert_eq!(env.count("SELECT count(*) FROM nfe_inutilizacao"), 1);

    // Registered cancellations (110111 answered 135), read naively.
    let mut cancelled: Vec<String> = Vec::new();
    let mut requested: Vec<String> = Vec::new();
    for path in &events {
        let xml = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        if xml.contains("<tpEvento>110111</tpEvento>") {
            if xml.contains("<cStat>135</cStat>") {
                cancelled.push(ch_nfe(&xml)[0].clone());
            } else {
                requested.push(ch_nfe(&xml)[0].clone());
            }
        }
    }
    assert_eq!(cancelled.len(), 3, "{cancelled:?}");
    assert!(!requested.is_empty());

    // Separate batches, NF-e first and events first: the same outcome.
    for order in [[&nfe_dir, &events_dir], [&events_dir, &nfe_dir]] {
        let env = Env::new();
        for dir in order {
            env.run(&[dir.to_str().unwrap(), "--allow-invalid-keys"]);
        }
        for k in &cancelled {
            assert_eq!(
                env.text(&format!("SELECT situacao FROM nfe WHERE chave = '{k}'")),
                Some("cancelada".to_owned()),
                "{k} after {order:?}"
            );
        }
        for k in &requested {
            assert_ne!(
                env.text(&format!(
                    "SELECT (SELECT situacao FROM nfe WHERE chave = '{k}')"
                )),
                Some("cancelada".to_owned()),
                "a request never cancels {k}"
            );
        }
        assert_eq!(
            env.count("SELECT count(*) FROM nfe WHERE situacao = 'cancelada'"),
            cancelled.len() as i64,
            "nothing else is cancelled"
        );
    }
}

#[test]
fn corpus_tax_reform_nfe_keeps_its_ibs_and_cbs() {
    let Some(corpus) = corpus() else { return };
    let env = Env::new();
    let run = env.run(&[corpus
        .join("nfe/nfelib__nfe_reforma_tributaria.xml")
        .to_str()
        .unwrap()]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(
        env.text("SELECT CAST(v_ibs AS TEXT) || '|' || CAST(v_cbs AS TEXT) FROM nfe"),
        Some("50|87.29".to_owned())
    );
    assert_eq!(
        env.text(
            "SELECT ibs_cbs_cst || '|' || c_class_trib || '|' || ibs_cbs_v_bc || '|' || v_cbs
             FROM nfe_item WHERE n_item = 1"
        ),
        Some("000|000001|800|101".to_owned())
    );
    assert_eq!(env.count("SELECT count(*) FROM nfe_duplicata"), 3);
    assert_eq!(env.count("SELECT count(*) FROM nfe_pagamento"), 1);
}

/// The real-world samples give the same report and the same rows in PostgreSQL as in SQLite.
#[test]
fn the_corpus_lands_alike_in_sqlite_and_postgresql() {
    let Some(corpus) = corpus() else { return };
    let Some(pg) = crate::helpers::Db::postgres() else {
        return;
    };
    let input = corpus.to_str().unwrap();
    let (sqlite, postgres) = (Env::new(), Env::on(pg));
    let mut reports = Vec::new();
    for env in [&sqlite, &postgres] {
        let run = env.run(&[input, "--workers", "2"]);
        assert_eq!(run.code(), 1, "{}", run.stderr());
        let mut report = run.report().clone();
        for key in [
            "started_at",
            "finished_at",
            "processing_time_seconds",
            "files_per_second",
            "eta_seconds",
        ] {
            report[key] = serde_json::Value::Null;
        }
        for f in report["files"].as_array_mut().unwrap() {
            f["duration_ms"] = serde_json::Value::Null;
            f["recorded_at"] = serde_json::Value::Null;
        }
        reports.push(report);
    }
    assert_eq!(reports[0], reports[1], "the same report");
    let tables: Vec<&str> = batchimp::format::all_tables().map(|t| t.name).collect();
    for table in tables {
        let mut rows: Vec<Vec<Vec<Option<String>>>> = [&sqlite, &postgres]
            .iter()
            .map(|env| {
                let mut rows = env.rows(&format!("SELECT * FROM {table}"));
                rows.sort();
                rows
            })
            .collect();
        let pg_rows = rows.pop().unwrap();
        assert_eq!(rows[0].len(), pg_rows.len(), "{table}: rows");
        for (s, p) in rows[0].iter().zip(&pg_rows) {
            // By design one kind of cell differs: an amount of more significant digits than a
            // double holds (`9999999999.9999999999`) keeps them in PostgreSQL, where SQLite
            // has the nearest double; it must be that double.
            // And `extra` is JSON text in SQLite, jsonb (its own spacing and key order) in
            // PostgreSQL: the same document.
            let json = |s: &str| serde_json::from_str::<serde_json::Value>(s).ok();
            let alike = s.iter().zip(p).all(|(a, b)| {
                a == b
                    || matches!((a, b), (Some(a), Some(b))
                        if a.starts_with('{') && json(a).is_some() && json(a) == json(b))
                    || matches!((a, b), (Some(a), Some(b))
                        if b.len() > 16 && a.parse::<f64>().ok() == b.parse::<f64>().ok()
                            && a.parse::<f64>().is_ok())
            });
            assert!(alike, "{table}:\n{s:?}\n{p:?}");
        }
    }
}
