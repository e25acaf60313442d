//! Scans, photos and printouts end to end: pictures (PNG, JPEG, TIFF, WebP) and image-only
//! PDFs drawn by the tests ([`scangen`]) yield the key or UUID their codes hold and link to
//! their XML in either order, on both databases; hostile pictures are typed failures; with
//! Tesseract installed, an image-only invoice is OCR'd and its number, date and total found.

use crate::helpers::{Env, db_test, fixture};
use crate::scangen::{self, Canvas, Line};
use std::fs;

/// The key of `fixtures/nfe/nfe-v4-authorized.xml`.
const KEY: &str = "35261012345678000195550010000010011100100101";
/// The key of `fixtures/nfe/nfce-model65.xml`.
const NFCE_KEY: &str = "35261012345678000195650020000000031300300308";
/// The stamp of `fixtures/cfdi/cfdi40-ingreso.xml`.
const CFDI_UUID: &str = "9B1F0C7E-3A52-4D8E-9F10-2C4B6A8D0E11";
/// The stamp of `fixtures/retenciones/retenciones20-plataforma.xml`.
const RET_UUID: &str = "B7E4F2A1-0C3D-4E5F-8A9B-C1D2E3F40516";

/// A DANFE-like page at 150 dpi, its key as a Code 128 barcode only.
fn danfe_page() -> Canvas {
    scangen::danfe_page(KEY)
}

/// A photo of a receipt-sized paper with a QR code holding `url`.
fn qr_photo(title: &str, url: &str, seed: u64) -> Vec<u8> {
    let mut page = scangen::page(&[Line(40.0, 60.0, 14.0, title)], 100.0);
    page.qr(url, 120, 220, 5);
    page.photo(seed).jpeg(85)
}

fn nfce_url() -> String {
    format!("https://www.nfce.fazenda.sp.gov.br/qrcode?p={NFCE_KEY}|2|1|1|3A5D8F0E11C2B7")
}

fn cfdi_url(uuid: &str) -> String {
    format!(
        "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx?id={}\
         &re=EKU9003173C9&rr=MCI7306249Y1&tt=0000029430.000000&fe=c2VsbG8=",
        uuid.to_lowercase()
    )
}

/// Every printout of the tests, by file name.
fn printouts() -> Vec<(&'static str, Vec<u8>)> {
    let danfe = danfe_page();
    vec![
        ("danfe-150dpi.png", danfe.png()),
        ("danfe-photo.jpg", danfe.photo(7).jpeg(85)),
        (
            "danfe-scan.pdf",
            scangen::image_pdf(&danfe.jpeg(90), danfe.width, danfe.height),
        ),
        ("nfce-photo.jpg", qr_photo("NFC-e", &nfce_url(), 11)),
        (
            "cfdi-photo.jpg",
            qr_photo("CFDI 4.0", &cfdi_url(CFDI_UUID), 13),
        ),
        ("retenciones.webp", {
            let mut p = scangen::page(&[Line(40.0, 60.0, 14.0, "Retenciones")], 100.0);
            p.qr(&cfdi_url(RET_UUID), 120, 220, 5);
            p.webp()
        }),
    ]
}

fn write(env: &Env, dir: &str, files: &[(&str, Vec<u8>)]) -> String {
    let dir = env.path(dir);
    fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in files {
        fs::write(dir.join(name), bytes).unwrap();
    }
    dir.display().to_string()
}

const XMLS: [&str; 4] = [
    "nfe/nfe-v4-authorized.xml",
    "nfe/nfce-model65.xml",
    "cfdi/cfdi40-ingreso.xml",
    "retenciones/retenciones20-plataforma.xml",
];

db_test! {
/// Each printout yields its key or UUID from its code and ends linked to its document, whether
/// the printouts or the XML come first.
fn scans_and_photos_link_to_their_documents_in_either_order(db) {
    let printouts = printouts();
    for printouts_first in [true, false] {
        let env = Env::on(db);
        let dir = write(&env, "paper", &printouts);
        let xmls: Vec<String> = XMLS.iter().map(|x| fixture(x)).collect();
        let xmls: Vec<&str> = xmls.iter().map(String::as_str).collect();
        let runs: [Vec<&str>; 2] = if printouts_first {
            [vec![&dir, "--ocr", "never"], xmls.clone()]
        } else {
            [xmls.clone(), vec![&dir, "--ocr", "never"]]
        };
        for args in &runs {
            let run = env.run(args);
            assert_eq!(run.code(), 0, "{}", run.stderr());
        }
        let mut got = env.rows(
            "SELECT path, source, key_from, coalesce(chave, uuid), linked FROM pdf_document",
        );
        for row in &mut got {
            let path = row[0].take().unwrap();
            row[0] = Some(path.rsplit('/').next().unwrap().to_owned());
        }
        got.sort();
        let row = |name: &str, source: &str, key: &str, linked: &str| {
            [name, source, "code", key, linked].map(|s| Some(s.to_owned())).to_vec()
        };
        assert_eq!(
            got,
            [
                row("cfdi-photo.jpg", "image", CFDI_UUID, "cfdi"),
                row("danfe-150dpi.png", "image", KEY, "nfe"),
                row("danfe-photo.jpg", "image", KEY, "nfe"),
                row("danfe-scan.pdf", "pdf_scan", KEY, "nfe"),
                row("nfce-photo.jpg", "image", NFCE_KEY, "nfe"),
                row("retenciones.webp", "image", RET_UUID, "retencion"),
            ],
            "printouts first: {printouts_first}"
        );
        // The CFDI QR's other fields, and the NFC-e's URL.
        assert_eq!(
            env.rows(&format!(
                "SELECT emisor_rfc, receptor_rfc, qr_total FROM pdf_document
                 WHERE uuid = '{CFDI_UUID}'"
            )),
            [[Some("EKU9003173C9".into()), Some("MCI7306249Y1".into()), Some("29430".into())]]
        );
        assert_eq!(
            env.text(&format!("SELECT qr_url FROM pdf_document WHERE chave = '{NFCE_KEY}'")),
            Some(nfce_url())
        );
        assert_eq!(
            env.text("SELECT document_type FROM pdf_document WHERE path LIKE '%nfce-photo.jpg'")
                .as_deref(),
            Some("nfce")
        );
        // Kinds in the ledger: pictures are `image`.
        assert_eq!(
            env.count("SELECT count(*) FROM files WHERE kind = 'image' AND status = 'imported'"),
            5
        );
    }
}
}

#[test]
fn a_barcode_drawn_as_vector_bars_is_read_from_the_rendered_page() {
    let env = Env::new();
    let dir = write(
        &env,
        "in",
        &[("bars.pdf", scangen::vector_barcode_pdf(KEY))],
    );
    let run = env.run(&[&dir, "--ocr", "never"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(
        env.rows("SELECT source, key_from, chave, document_type FROM pdf_document"),
        [[
            Some("pdf_scan".to_owned()),
            Some("code".to_owned()),
            Some(KEY.to_owned()),
            Some("danfe".to_owned())
        ]]
    );
}

#[test]
fn every_page_of_a_tiff_is_read() {
    let env = Env::new();
    let blank = Canvas::blank(600, 800);
    let mut second = Canvas::blank(600, 800);
    second.qr(&cfdi_url(CFDI_UUID), 100, 100, 4);
    let mut third = Canvas::blank(900, 400);
    third.pdf417("PDF417 on the third page", 50, 50, 2);
    let dir = write(
        &env,
        "in",
        &[("scan.tif", scangen::tiff(&[&blank, &second, &third]))],
    );
    let run = env.run(&[&dir, "--ocr", "never"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(
        env.rows("SELECT pages, uuid, codes FROM pdf_document"),
        [[
            Some("3".to_owned()),
            Some(CFDI_UUID.to_owned()),
            Some(format!(
                "qr_code page 2: {}\npdf_417 page 3: PDF417 on the third page",
                cfdi_url(CFDI_UUID)
            ))
        ]]
    );
}

/// A giant declared size, a truncated JPEG, a TIFF of a thousand pages: typed failures, and
/// the batch imports the rest.
#[test]
fn hostile_pictures_are_typed_failures() {
    let env = Env::new();
    let mut giant = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    let ihdr = [
        &100_000u32.to_be_bytes()[..],
        &100_000u32.to_be_bytes(),
        &[8, 0, 0, 0, 0],
    ]
    .concat();
    giant.extend_from_slice(&ihdr);
    giant.extend_from_slice(&crc32fast::hash(&[&b"IHDR"[..], &ihdr].concat()).to_be_bytes());
    let photo = danfe_page().photo(3).jpeg(80);
    let truncated = photo[..photo.len() / 3].to_vec();
    let small = Canvas::blank(8, 8);
    let many: Vec<&Canvas> = std::iter::repeat_n(&small, 1000).collect();
    let dir = write(
        &env,
        "in",
        &[
            ("giant.png", giant),
            ("truncated.jpg", truncated),
            ("thousand-pages.tif", scangen::tiff(&many)),
            ("fine.png", danfe_page().png()),
            ("noise.png", b"\x89PNG\r\n\x1a\n garbage".to_vec()),
        ],
    );
    let run = env.run(&[&dir, "--ocr", "never"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let failed = |name: &str| {
        let f = run.file(name);
        (
            f["status"].as_str().unwrap().to_owned(),
            f["error_type"].as_str().unwrap_or("-").to_owned(),
        )
    };
    assert_eq!(failed("giant.png"), ("failed".into(), "too_large".into()));
    assert_eq!(
        failed("thousand-pages.tif"),
        ("failed".into(), "too_large".into())
    );
    assert_eq!(
        failed("noise.png"),
        ("failed".into(), "image_corrupt".into())
    );
    // A truncated JPEG decodes to a partial picture or fails: never a crash of the batch.
    let (status, error) = failed("truncated.jpg");
    assert!(
        status == "imported" || error == "image_corrupt",
        "{status} {error}"
    );
    assert_eq!(
        env.text("SELECT chave FROM pdf_document WHERE path LIKE '%fine.png'")
            .as_deref(),
        Some(KEY)
    );
}

/// Whether Tesseract with the Portuguese, Spanish and English packs is installed; without it
/// the OCR tests skip, saying so, unless `BATCHIMP_REQUIRE_TESSERACT` is set (CI installs it:
/// they must run there).
fn tesseract() -> bool {
    let langs = std::process::Command::new("tesseract")
        .arg("--list-langs")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let ok = ["por", "spa", "eng"]
        .iter()
        .all(|l| langs.lines().any(|x| x == *l));
    if !ok {
        assert!(
            std::env::var_os("BATCHIMP_REQUIRE_TESSERACT").is_none(),
            "BATCHIMP_REQUIRE_TESSERACT is set but tesseract with por, spa and eng is not installed"
        );
        eprintln!("skipping: tesseract with por, spa and eng is not installed");
    }
    ok
}

/// An invoice nobody printed a text layer for: its number, date and total are read by OCR.
#[test]
fn an_image_only_invoice_is_read_by_ocr() {
    if !tesseract() {
        return;
    }
    let env = Env::new();
    let page = scangen::page(
        &[
            Line(50.0, 70.0, 20.0, "ACME Supplies Ltd"),
            Line(50.0, 110.0, 14.0, "INVOICE"),
            Line(50.0, 150.0, 12.0, "Invoice Number: INV-2026-0042"),
            Line(50.0, 175.0, 12.0, "Invoice Date: 2026-10-05"),
            Line(50.0, 230.0, 12.0, "Coffee beans 500 g     2 x 10.00"),
            Line(50.0, 280.0, 12.0, "Total: EUR 1,234.56"),
        ],
        300.0,
    );
    let dir = write(
        &env,
        "in",
        &[
            ("invoice.png", page.png()),
            (
                "invoice-scan.pdf",
                scangen::image_pdf(&page.jpeg(90), page.width, page.height),
            ),
        ],
    );
    // A loaded machine (the whole suite on two cores) may take a while for two 300 dpi pages.
    let run = env.run(&[&dir, "--file-timeout", "300s"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(
        env.rows(
            "SELECT source, document_type, invoice_number, issue_date, total, currency
             FROM pdf_document ORDER BY source"
        ),
        [
            [
                "image",
                "invoice",
                "INV-2026-0042",
                "2026-10-05",
                "1234.56",
                "EUR"
            ],
            [
                "pdf_scan",
                "invoice",
                "INV-2026-0042",
                "2026-10-05",
                "1234.56",
                "EUR"
            ]
        ]
        .map(|r| r.map(|s| Some(s.to_owned())).to_vec())
    );
    let confidence: f64 = env
        .text("SELECT min(ocr_confidence) FROM pdf_document")
        .unwrap()
        .parse()
        .unwrap();
    assert!(confidence > 70.0, "{confidence}");
}

/// Without Tesseract a scan still gets its codes, and the batch says once how to install it.
#[test]
fn without_tesseract_scans_keep_their_codes_and_one_warning_says_so() {
    let env = Env::new();
    let dir = write(
        &env,
        "in",
        &[
            ("a.png", danfe_page().png()),
            ("b.jpg", danfe_page().photo(5).jpeg(85)),
        ],
    );
    let report = env.path("r.json");
    let out = env
        .cmd()
        .env("PATH", "/nonexistent")
        .args(["run", &dir, "--report"])
        .arg(&report)
        .args(env.db_args())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("tesseract is not installed").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("apt-get install tesseract-ocr"), "{stderr}");
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM pdf_document WHERE chave = '{KEY}'"
        )),
        2
    );
}

/// `fixtures/image/`: small pictures the fuzz targets start from, drawn by [`scangen`]. Each
/// holds the code its name says; `cargo test --test it write_image_fixtures -- --ignored`
/// draws them again.
const IMAGE_FIXTURES: [(&str, &str); 4] = [
    ("cfdi-qr.png", "uuid"),
    ("danfe-barcode.jpg", "chave"),
    ("nfce-qr-two-pages.tif", "chave"),
    ("retenciones-qr.webp", "uuid"),
];

fn image_fixtures() -> Vec<(&'static str, Vec<u8>)> {
    let mut cfdi = Canvas::blank(260, 260);
    cfdi.qr(&cfdi_url(CFDI_UUID), 10, 10, 2);
    let mut danfe = Canvas::blank(640, 140);
    danfe.code128(KEY, 20, 20, 2, 90);
    let mut nfce = Canvas::blank(240, 240);
    nfce.qr(&nfce_url(), 10, 10, 2);
    let mut ret = Canvas::blank(260, 260);
    ret.qr(&cfdi_url(RET_UUID), 10, 10, 2);
    vec![
        ("cfdi-qr.png", cfdi.png()),
        ("danfe-barcode.jpg", danfe.jpeg(90)),
        (
            "nfce-qr-two-pages.tif",
            scangen::tiff(&[&Canvas::blank(64, 64), &nfce]),
        ),
        ("retenciones-qr.webp", ret.webp()),
    ]
}

#[test]
#[ignore = "writes fixtures/image"]
fn write_image_fixtures() {
    let dir = crate::helpers::fixtures().join("image");
    fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in image_fixtures() {
        fs::write(dir.join(name), bytes).unwrap();
    }
}

/// The committed picture fixtures hold the codes their names say.
#[test]
fn image_fixtures_hold_their_codes() {
    let env = Env::new();
    let run = env.run(&[&fixture("image"), "--ocr", "never"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    for (name, column) in IMAGE_FIXTURES {
        assert_eq!(
            env.count(&format!(
                "SELECT count(*) FROM pdf_document WHERE path LIKE '%{name}' \
                 AND {column} IS NOT NULL AND key_from = 'code'"
            )),
            1,
            "{name}"
        );
    }
}

db_test! {
/// A CFDI printout with a text layer embeds its QR code as a small picture: the QR is read
/// (cheaply, nothing rendered), its UUID, RFCs and total stored, and the printout linked.
fn a_text_printouts_embedded_qr_code_is_read(db) {
    let env = Env::on(db);
    let pdf = scangen::text_pdf_with_qr(
        &[
            "Este documento es una representacion impresa de un CFDI",
            &format!("Folio fiscal: {CFDI_UUID}"),
            "Total: 29,430.00",
        ],
        &cfdi_url(CFDI_UUID),
    );
    let dir = write(&env, "in", &[("cfdi.pdf", pdf)]);
    let run = env.run(&[&dir, &fixture("cfdi/cfdi40-ingreso.xml")]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(
        env.rows(
            "SELECT source, key_from, uuid, emisor_rfc, receptor_rfc, qr_total, linked
             FROM pdf_document"
        ),
        [[
            Some("pdf_text".to_owned()),
            Some("code".to_owned()),
            Some(CFDI_UUID.to_owned()),
            Some("EKU9003173C9".to_owned()),
            Some("MCI7306249Y1".to_owned()),
            Some("29430".to_owned()),
            Some("cfdi".to_owned())
        ]]
    );
    assert_eq!(run.file("cfdi.pdf")["warning"], serde_json::Value::Null);
}
}
