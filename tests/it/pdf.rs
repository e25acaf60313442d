//! PDF invoices end to end: what `pdf_document` holds for a text invoice, a DANFE whose key
//! breaks across lines, a scan, and the typed failures (encrypted, truncated) and hostile PDFs
//! (decompression bomb, looping page tree, deep nesting) read in the isolated reader process.

use crate::helpers::{Env, db_test};
use crate::pdfgen;
use std::fs;

/// The key of `fixtures/nfe/nfe-v4-authorized.xml`.
const KEY: &str = "35261012345678000195550010000010011100100101";

/// The key in groups of four, broken after the sixth group as DANFE layouts do.
fn key_lines() -> (String, String) {
    let groups: Vec<&str> = (0..11).map(|i| &KEY[4 * i..4 * i + 4]).collect();
    (groups[..6].join(" "), groups[6..].join(" "))
}

fn danfe() -> Vec<u8> {
    let (a, b) = key_lines();
    pdfgen::text_pdf(
        &[
            &[
                "DANFE",
                "DOCUMENTO AUXILIAR DA NOTA FISCAL ELETRONICA",
                "CHAVE DE ACESSO",
                &a,
                &b,
                "Consulta de autenticidade no portal nacional da NF-e",
            ],
            &["DADOS DOS PRODUTOS / SERVICOS", "CAFE TORRADO E MOIDO 500G"],
        ],
        "DANFE 1001",
    )
}

fn invoice() -> Vec<u8> {
    pdfgen::text_pdf(
        &[&[
            "ACME Supplies Ltd",
            "Invoice Number: INV-2026-0042",
            "Invoice Date: 2026-10-05",
            "Total: EUR 1.234,56",
        ]],
        "Invoice INV-2026-0042",
    )
}

/// A folder of PDFs, one per case, run through `batchimp run`.
fn write_all(env: &Env, files: &[(&str, Vec<u8>)]) -> String {
    let dir = env.path("in");
    fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in files {
        fs::write(dir.join(name), bytes).unwrap();
    }
    dir.display().to_string()
}

db_test! {
fn pdf_documents_are_read_and_failures_typed(db) {
    let env = Env::on(db);
    let danfe = danfe();
    let scan = pdfgen::text_pdf(&[&[]], "Digitalizado");
    let dir = write_all(
        &env,
        &[
            ("danfe.pdf", danfe.clone()),
            ("fatura.bin", invoice()),
            ("invoice-copy.pdf", invoice()),
            ("scan.pdf", scan),
            ("encrypted.pdf", pdfgen::password_pdf()),
            ("truncated.pdf", danfe[..danfe.len() / 5].to_vec()),
        ],
    );
    let run = env.run(&[&dir]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let outcome = |name: &str| {
        let f = run.file(name);
        (
            f["kind"].as_str().unwrap_or("").to_owned(),
            f["status"].as_str().unwrap().to_owned(),
            f["error_type"].as_str().unwrap_or("-").to_owned(),
        )
    };
    let expect = |kind: &str, status: &str, error_type: &str| {
        (kind.to_owned(), status.to_owned(), error_type.to_owned())
    };
    assert_eq!(outcome("danfe.pdf"), expect("pdf", "imported", "-"));
    // Detected by its signature, not its name.
    assert_eq!(outcome("fatura.bin"), expect("pdf", "imported", "-"));
    assert_eq!(outcome("invoice-copy.pdf"), expect("pdf", "duplicate", "-"));
    assert_eq!(outcome("scan.pdf"), expect("pdf", "imported", "-"));
    assert!(
        run.file("scan.pdf")["warning"].as_str().unwrap().starts_with("no_text_layer"),
        "{}",
        run.file("scan.pdf")
    );
    assert_eq!(outcome("encrypted.pdf"), expect("pdf", "failed", "pdf_encrypted"));
    assert_eq!(outcome("truncated.pdf"), expect("pdf", "failed", "pdf_corrupt"));

    let row = |name: &str, columns: &str| {
        env.rows(&format!(
            "SELECT {columns} FROM pdf_document WHERE path LIKE '%/{name}'"
        ))
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no row for {name}"))
        .into_iter()
        .map(|v| v.unwrap_or_else(|| "NULL".into()))
        .collect::<Vec<_>>()
        .join("|")
    };
    assert_eq!(
        row("danfe.pdf", "pages, document_type, chave, uuid, encrypted, title, author, producer, creator, creation_date"),
        format!(
            "2|danfe|{KEY}|NULL|0|DANFE 1001|batchimp tests|pdfgen.rs|batchimp|D:20261005101500-03'00'"
        )
    );
    assert_eq!(row("fatura.bin", "pages, document_type, chave"), "1|invoice|NULL");
    assert_eq!(row("scan.pdf", "pages, document_type, text"), "1|other|NULL");
    let text = row("danfe.pdf", "text");
    assert!(text.contains("CHAVE DE ACESSO") && text.contains("CAFE TORRADO"), "{text}");
    assert_eq!(env.count("SELECT count(*) FROM pdf_document"), 3);
}
}

db_test! {
fn pdf_wrong_check_digit_is_no_key(db) {
    let env = Env::on(db);
    let bad = format!("{}{}", &KEY[..43], (KEY.as_bytes()[43] - b'0' + 1) % 10);
    let pdf = pdfgen::text_pdf(&[&["DANFE", "CHAVE DE ACESSO", &bad]], "DANFE");
    let dir = write_all(&env, &[("danfe-bad-key.pdf", pdf)]);
    let run = env.run(&[&dir]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(
        env.rows("SELECT document_type, chave FROM pdf_document"),
        [[Some("danfe".to_owned()), None]]
    );
}
}

/// Hostile PDFs, read in the isolated reader process: each fails alone, typed, in bounded
/// time, and the batch goes on to import the good PDF beside them.
#[test]
fn pdf_hostile_files_fail_alone() {
    let env = Env::new();
    let dir = write_all(
        &env,
        &[
            ("bomb-1gib.pdf", pdfgen::bomb_pdf(1)),
            ("looping-page-tree.pdf", pdfgen::looping_pdf()),
            ("deep-nesting.pdf", pdfgen::deep_pdf(200_000)),
            ("danfe.pdf", danfe()),
        ],
    );
    let started = std::time::Instant::now();
    let run = env.run(&[&dir]);
    let took = started.elapsed();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let outcome = |name: &str| {
        let f = run.file(name);
        format!(
            "{} {}",
            f["status"].as_str().unwrap(),
            f["error_type"].as_str().unwrap_or("-")
        )
    };
    assert_eq!(outcome("danfe.pdf"), "imported -");
    assert_eq!(
        outcome("bomb-1gib.pdf"),
        "failed too_large",
        "{}",
        run.file("bomb-1gib.pdf")
    );
    assert_eq!(
        outcome("looping-page-tree.pdf"),
        "failed pdf_corrupt",
        "{}",
        run.file("looping-page-tree.pdf")
    );
    assert_eq!(
        outcome("deep-nesting.pdf"),
        "failed pdf_corrupt",
        "{}",
        run.file("deep-nesting.pdf")
    );
    assert!(took < std::time::Duration::from_secs(60), "{took:?}");
}

/// The reader child dying every way PDF readers have died (made to, see `FAULT`): each death
/// is the file's typed error, and the batch ends normally.
#[test]
fn pdf_reader_child_deaths_are_typed() {
    for (fault, error_type, says) in [
        ("hang", "timeout", "killed"),
        ("abort", "pdf_corrupt", "signal 6"),
        ("overflow", "pdf_corrupt", "stack overflow"),
        ("oom", "too_large", "1024 MiB"),
    ] {
        let env = Env::new();
        let dir = write_all(&env, &[("danfe.pdf", danfe())]);
        let started = std::time::Instant::now();
        let out = env
            .cmd()
            .env("BATCHIMP_TEST_PDF_READER_FAULT", fault)
            .args([
                "run",
                &dir,
                "--file-timeout",
                "3s",
                "--report",
                "r.json",
                "-q",
            ])
            .args(env.db_args())
            .output()
            .unwrap();
        let took = started.elapsed();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{fault}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value =
            serde_json::from_slice(&fs::read(env.path("r.json")).unwrap()).unwrap();
        let f = &report["files"][0];
        assert_eq!(f["error_type"], error_type, "{fault}: {f}");
        assert!(f["error"].as_str().unwrap().contains(says), "{fault}: {f}");
        assert!(
            took < std::time::Duration::from_secs(20),
            "{fault}: {took:?}"
        );
    }
}
