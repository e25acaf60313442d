//! `batchimp template catalog`: the CSV template in each language imports as it stands, the
//! language follows the locale, and the XLSX template is a workbook with the localized headers,
//! typed cells, and never bytes on a terminal.
//!
//! SQLite only: these test the template, not the database (catalog.rs tests the import on both).

use crate::helpers::{Env, xlsx_cells, xlsx_part};

/// Each language's headers and the example row as the `product` table holds it.
const LANGS: [(&str, &str, [&str; 10], [&str; 10]); 3] = [
    (
        "pt",
        "Produtos",
        [
            "codigo",
            "nome",
            "descricao",
            "categoria",
            "unidade",
            "preco",
            "estoque",
            "fornecedor_id",
            "registro_anvisa",
            "prazo_entrega_dias",
        ],
        [
            "000123",
            "Dipirona Sódica 500 mg",
            "Caixa com 10 comprimidos, uso adulto",
            "Medicamentos",
            "CX",
            "12.5",
            "240",
            "FORN-0042",
            "1.0573.0012.001-3",
            "3",
        ],
    ),
    (
        "es",
        "Productos",
        [
            "codigo",
            "nombre",
            "descripcion",
            "categoria",
            "unidad",
            "precio",
            "existencia",
            "proveedor_id",
            "certificado_sanitario",
            "tiempo_entrega_dias",
        ],
        [
            "000456",
            "Paracetamol 500 mg",
            "Caja con 20 tabletas, vía oral",
            "Medicamentos",
            "CJA",
            "38.9",
            "150",
            "PROV-0107",
            "045M2019 SSA",
            "5",
        ],
    ),
    (
        "en",
        "Products",
        [
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
        ],
        [
            "000789",
            "Ibuprofen 200 mg",
            "Bottle of 100 tablets, for adults",
            "Pharmacy",
            "EA",
            "8.99",
            "75",
            "SUP-0031",
            "FDA 3012345678",
            "7",
        ],
    ),
];

/// `batchimp template catalog ARGS...`'s stdout, asserting it succeeded.
fn template(env: &Env, args: &[&str]) -> Vec<u8> {
    let run = env.cmd().args(["template", "catalog"]).args(args).assert();
    run.success().get_output().stdout.clone()
}

#[test]
fn the_csv_template_in_each_language_imports_its_example_row() {
    for (lang, _, headers, row) in LANGS {
        let env = Env::new();
        let csv = template(&env, &["--lang", lang]);
        let text = String::from_utf8(csv.clone()).expect("UTF-8");
        assert_eq!(text.lines().count(), 2, "a header and one row: {text}");
        assert_eq!(text.lines().next().unwrap(), headers.join(","));
        imports_its_example_row(&env, &format!("template-{lang}.csv"), &csv, row, lang);
    }
}

/// Import a template written to `name`: it is a catalog of one row, the example, which lands in
/// `product` with every value as written (on line or row 2).
fn imports_its_example_row(env: &Env, name: &str, bytes: &[u8], row: [&str; 10], lang: &str) {
    let path = env.path(name);
    std::fs::write(&path, bytes).unwrap();
    let run = env.run(&[path.to_str().unwrap()]);
    assert_eq!(run.code(), 0, "{lang}: {}", run.stderr());
    let file = run.file(name);
    assert_eq!(file["kind"], "catalog", "{lang}");
    assert_eq!(file["status"], "imported", "{lang}");
    assert_eq!(file["rows"], 1, "{lang}");
    assert_eq!(file["rows_rejected"], 0, "{lang}");
    let got = env.rows(
        "SELECT sku, name, description, category, unit, price, stock, supplier_id,
                sanitary_certificate, lead_time_days, line FROM product",
    );
    let want: Vec<Vec<Option<String>>> = vec![
        row.iter()
            .copied()
            .chain(["2"])
            .map(|v| Some(v.to_owned()))
            .collect(),
    ];
    assert_eq!(got, want, "{lang}: {name}");
}

#[test]
fn the_language_follows_the_locale_unless_given() {
    let env = Env::new();
    let header = |vars: &[(&str, &str)], args: &[&str]| {
        let mut cmd = env.cmd();
        for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            cmd.env_remove(var);
        }
        cmd.envs(vars.iter().copied());
        let out = cmd
            .args(["template", "catalog"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        text.split(',').next().unwrap().to_owned() + "," + text.split(',').nth(1).unwrap()
    };
    assert_eq!(header(&[("LANG", "pt_BR.UTF-8")], &[]), "codigo,nome");
    assert_eq!(header(&[("LANG", "es_MX.UTF-8")], &[]), "codigo,nombre");
    assert_eq!(header(&[("LANG", "C.UTF-8")], &[]), "sku,name");
    assert_eq!(header(&[], &[]), "sku,name");
    assert_eq!(
        header(&[("LANG", "pt_BR.UTF-8"), ("LC_ALL", "es_ES.UTF-8")], &[]),
        "codigo,nombre",
        "LC_ALL wins over LANG"
    );
    assert_eq!(
        header(&[("LANG", "pt_BR.UTF-8")], &["--lang", "en"]),
        "sku,name",
        "--lang wins over the locale"
    );
}

#[test]
fn the_xlsx_template_is_a_workbook_with_localized_headers_and_typed_cells() {
    let env = Env::new();
    for (lang, sheet_name, headers, row) in LANGS {
        let xlsx = template(&env, &["--lang", lang, "--xlsx"]);
        assert!(xlsx.starts_with(b"PK\x03\x04"), "{lang}: a ZIP");
        let workbook = xlsx_part(&xlsx, "xl/workbook.xml").expect("xl/workbook.xml");
        let workbook = roxmltree::Document::parse(&workbook).unwrap();
        let sheets: Vec<&str> = workbook
            .descendants()
            .filter(|n| n.tag_name().name() == "sheet")
            .map(|s| s.attribute("name").unwrap())
            .collect();
        assert_eq!(sheets, [sheet_name], "{lang}");

        let cells = xlsx_cells(&xlsx);
        for (col, (header, value)) in ('A'..).zip(headers.iter().zip(row)) {
            let cell = &cells[&format!("{col}1")];
            assert_eq!(
                (cell.value.as_str(), cell.string, cell.bold),
                (*header, true, true),
                "{lang}"
            );
            let cell = &cells[&format!("{col}2")];
            assert_eq!(cell.value, value, "{lang} {col}2");
            assert!(!cell.bold, "{lang} {col}2");
            // Price, stock and lead time are number cells; the rest, the SKU first, text.
            let number = matches!(col, 'F' | 'G' | 'J');
            assert_eq!(cell.string, !number, "{lang} {col}2 {}", cell.value);
        }
        assert_eq!(cells.len(), 20, "{lang}: a header and one row");
    }
}

#[test]
fn the_xlsx_template_imports_its_example_row_like_the_csv_one() {
    for (lang, _, _, row) in LANGS {
        let env = Env::new();
        let xlsx = template(&env, &["--lang", lang, "--xlsx"]);
        imports_its_example_row(&env, &format!("plantilla-{lang}.xlsx"), &xlsx, row, lang);
    }
}

#[test]
fn the_xlsx_template_is_not_written_to_a_terminal() {
    // script(1) (util-linux) gives the command a terminal for stdout.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: no script(1) to make a terminal");
        return;
    }
    let env = Env::new();
    let command = format!(
        "{} template catalog --xlsx --lang es",
        env!("CARGO_BIN_EXE_batchimp")
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(env.dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("batchimp: an XLSX workbook is binary and stdout is a terminal; redirect it to a file: batchimp template catalog --xlsx --lang es > plantilla.xlsx"),
        "{text}"
    );
    assert!(!text.contains("PK"), "no workbook bytes: {text}");
}
