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
            ("user-password.pdf", pdfgen::encrypted(&invoice(), "secret")),
            ("no-password.pdf", pdfgen::encrypted(&danfe, "")),
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
    assert_eq!(outcome("user-password.pdf"), expect("pdf", "failed", "pdf_encrypted"));
    // Encrypted with an empty user password: read, flagged.
    assert_eq!(outcome("no-password.pdf"), expect("pdf", "imported", "-"));
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
    assert_eq!(
        row("fatura.bin", "pages, document_type, chave, invoice_number, issue_date, total, currency"),
        "1|invoice|NULL|INV-2026-0042|2026-10-05|1234.56|EUR"
    );
    assert_eq!(row("scan.pdf", "pages, document_type, text"), "1|other|NULL");
    let text = row("danfe.pdf", "text");
    assert!(text.contains("CHAVE DE ACESSO") && text.contains("CAFE TORRADO"), "{text}");
    assert_eq!(
        row("no-password.pdf", "encrypted, document_type, chave, title"),
        format!("1|danfe|{KEY}|DANFE 1001")
    );
    assert_eq!(env.count("SELECT count(*) FROM pdf_document"), 4);
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
    // Only the hang needs a short deadline; the others die by themselves, and a deadline
    // with room keeps a loaded machine from turning their death into a timeout.
    for (fault, timeout, error_type, says) in [
        ("hang", "3s", "timeout", "killed"),
        ("abort", "15s", "pdf_corrupt", "signal 6"),
        ("overflow", "15s", "pdf_corrupt", "stack overflow"),
        ("oom", "15s", "too_large", "1024 MiB"),
    ] {
        let started = std::time::Instant::now();
        let f = faulty_danfe(fault, timeout, &[]);
        let took = started.elapsed();
        assert_eq!(f["error_type"], error_type, "{fault}: {f}");
        assert!(f["error"].as_str().unwrap().contains(says), "{fault}: {f}");
        assert!(
            took < std::time::Duration::from_secs(20),
            "{fault}: {took:?}"
        );
    }
}

/// A DANFE read by a child made to fail by `fault` (with `--file-timeout timeout` and `vars`
/// in the environment): its entry in the report, the batch having exited with 1.
fn faulty_danfe(fault: &str, timeout: &str, vars: &[(&str, &str)]) -> serde_json::Value {
    let env = Env::new();
    let dir = write_all(&env, &[("danfe.pdf", danfe())]);
    let out = env
        .cmd()
        .env("BATCHIMP_TEST_PDF_READER_FAULT", fault)
        .envs(vars.iter().copied())
        .args(["run", &dir, "--file-timeout", timeout])
        .args(["--report", "r.json", "-q"])
        .args(env.db_args())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{fault}: {err}");
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(env.path("r.json")).unwrap()).unwrap();
    report["files"][0].clone()
}

/// A ZIP of these members, in this order.
fn zip_of(env: &Env, name: &str, members: &[(&str, Vec<u8>)]) -> String {
    use std::io::Write;
    let path = env.path(name);
    let mut zip = zip::ZipWriter::new(fs::File::create(&path).unwrap());
    for (member, bytes) in members {
        zip.start_file(*member, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
    path.display().to_string()
}

fn nfe_xml() -> Vec<u8> {
    fs::read(crate::helpers::fixture("nfe/nfe-v4-authorized.xml")).unwrap()
}

db_test! {
fn pdf_links_to_its_nfe_whichever_comes_first(db) {
    // In one ZIP, the DANFE before its NF-e.
    let env = Env::on(db);
    let zip = zip_of(&env, "nota.zip", &[("a-danfe.pdf", danfe()), ("b-nfe.xml", nfe_xml())]);
    assert_eq!(env.run(&[&zip]).code(), 0);
    assert_eq!(
        env.rows("SELECT chave, linked FROM pdf_document"),
        [[Some(KEY.to_owned()), Some("nfe".to_owned())]]
    );
    // The NF-e first, in one ZIP.
    let env = Env::on(db);
    let zip = zip_of(&env, "nota.zip", &[("a-nfe.xml", nfe_xml()), ("b-danfe.pdf", danfe())]);
    assert_eq!(env.run(&[&zip]).code(), 0);
    assert_eq!(env.text("SELECT linked FROM pdf_document").as_deref(), Some("nfe"));
    // In two batches, each order.
    let env = Env::on(db);
    let pdf = write_all(&env, &[("danfe.pdf", danfe())]);
    let run = env.run(&[&pdf]);
    assert_eq!(run.code(), 0);
    assert_eq!(env.text("SELECT linked FROM pdf_document"), None);
    // The report counts the batch's PDFs with and without their XML...
    assert_eq!(run.report()["totals"]["pdf_linked"], 0);
    assert_eq!(run.report()["totals"]["pdf_unlinked"], 1);
    assert_eq!(env.run(&[&crate::helpers::fixture("nfe/nfe-v4-authorized.xml")]).code(), 0);
    assert_eq!(env.text("SELECT linked FROM pdf_document").as_deref(), Some("nfe"));
    // ...as they stand when it is asked: the first batch's DANFE has found its NF-e since.
    let json = env.on_db(&["report", "1", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["totals"]["pdf_linked"], 1, "{json}");
    assert_eq!(json["totals"]["pdf_unlinked"], 0, "{json}");
    let text = String::from_utf8(env.on_db(&["report", "1"]).stdout).unwrap();
    assert!(text.contains("pdfs     1: 1 linked to their XML, 0 without it"), "{text}");
    let text = String::from_utf8(env.on_db(&["report", "2"]).stdout).unwrap();
    assert!(!text.contains("pdfs "), "a batch without PDFs: {text}");
    let env = Env::on(db);
    assert_eq!(env.run(&[&crate::helpers::fixture("nfe/nfe-v4-authorized.xml")]).code(), 0);
    assert_eq!(env.run(&[&pdf]).code(), 0);
    assert_eq!(env.text("SELECT linked FROM pdf_document").as_deref(), Some("nfe"));
}
}

db_test! {
fn pdf_links_to_its_cfdi(db) {
    const UUID: &str = "9B1F0C7E-3A52-4D8E-9F10-2C4B6A8D0E11";
    let pdf = pdfgen::text_pdf(
        &[&[
            "Este documento es una representacion impresa de un CFDI",
            "Folio fiscal: 9b1f0c7e-3a52-4d8e-",
            "9f10-2c4b6a8d0e11",
        ]],
        "CFDI",
    );
    let cfdi = fs::read(crate::helpers::fixture("cfdi/cfdi40-ingreso.xml")).unwrap();
    for members in [
        [("a.pdf", pdf.clone()), ("b.xml", cfdi.clone())],
        [("a.xml", cfdi.clone()), ("b.pdf", pdf.clone())],
    ] {
        let env = Env::on(db);
        let zip = zip_of(&env, "cfdi.zip", &members);
        assert_eq!(env.run(&[&zip]).code(), 0);
        assert_eq!(
            env.rows("SELECT document_type, uuid, linked FROM pdf_document"),
            [[Some("cfdi".to_owned()), Some(UUID.to_owned()), Some("cfdi".to_owned())]]
        );
    }
}
}

/// `/work/shared/corpus` (real PDFs from public repositories), when present.
fn corpus() -> Option<std::path::PathBuf> {
    crate::helpers::shared_dir("corpus", "pdf")
}

#[test]
fn pdf_corpus_document_types_and_keys() {
    let Some(corpus) = corpus() else { return };
    let env = Env::new();
    let run = env.run(&[corpus.join("pdf").to_str().unwrap()]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let mut got = env.rows(
        "SELECT path, document_type, coalesce(chave, '-'), pages FROM pdf_document ORDER BY path",
    );
    for row in &mut got {
        let path = row[0].take().unwrap();
        row[0] = Some(path.rsplit('/').next().unwrap().to_owned());
    }
    let got: Vec<String> = got
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(Option::unwrap)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(
        got,
        [
            // A blank page: imported, no text.
            "br_danfe__nfe_lib__issqn_render-without_issqn.pdf other - 1",
            "br_danfe__v1.00__cce.fixture.pdf cce 42150303883369000188550010000000381000000381 1",
            // Several DANFEs in one PDF, rendered without their keys as text: no key.
            "br_danfe__v3.10__multiples.xmls.on.the.same.pdf.pdf danfe - 2",
            "br_danfe__v3.10__nfe_simples_nacional.xml.fixture.pdf danfe - 1",
            // Its QR code holds a sample key (model 65, serial 123456789), its text another
            // (42200310845180000166550010000016291182910232): the code's wins, with a warning
            // naming both (below).
            "br_danfe__v4.00__rendered_nfce.fixture.pdf nfce 13130901144012000152651231234567891123456786 1",
            "invoice2data__AmazonWebServices.pdf invoice - 1",
            "invoice2data__FlipkartInvoice.pdf invoice - 1",
            "invoice2data__NetpresseInvoice.pdf invoice - 1",
            "invoice2data__QualityHosting.pdf invoice - 2",
            "invoice2data__free_fiber.pdf invoice - 2",
            "invoice2data__oyo.pdf invoice - 1",
            "sped-da__examples-nfe-test.pdf danfe 35150300822602000124550010009923461099234656 1",
        ]
    );
    // The invoices' fields, by their labels, read from the text in layout order. Numbers,
    // dates and totals are invoice2data's expected values for these PDFs
    // (github.com/invoice-x/invoice2data, tests/compare/<Name>.json: "invoice_number",
    // "date", "amount"), but one: Flipkart's number is printed `Invoice No : # BLR_...`,
    // and the JSON's `#BLR_...` keeps the `#` its template's pattern took; the number is
    // without it. Currencies are what the printout shows next to the total (a bare `$` says
    // none; invoice2data's templates set theirs), hence AWS's and Flipkart's `-`.
    let mut fields = env.column(
        "SELECT substr(path, instr(path, '__') + 2) || ' ' || coalesce(invoice_number, '-')
            || ' ' || coalesce(issue_date, '-') || ' ' || coalesce(CAST(total AS TEXT), '-')
            || ' ' || coalesce(currency, '-')
         FROM pdf_document WHERE document_type = 'invoice'",
    );
    fields.sort();
    assert_eq!(
        fields,
        [
            "AmazonWebServices.pdf 42183017 2014-08-03 4.11 -",
            "FlipkartInvoice.pdf BLR_WFLD20151000982590 2015-10-20 319 -",
            "NetpresseInvoice.pdf 2022089083 2022-11-28 56.02 EUR",
            "QualityHosting.pdf 30064443 2014-05-07 34.73 EUR",
            "free_fiber.pdf 562044387 2015-07-02 29.99 EUR",
            "oyo.pdf IBZY2087 2017-12-31 1939 INR",
        ]
    );
    assert!(
        run.file("issqn_render-without_issqn.pdf")["warning"]
            .as_str()
            .unwrap()
            .starts_with("no_text_layer")
    );
    let nfce = run.file("rendered_nfce.fixture.pdf")["warning"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        nfce.starts_with("code_text_mismatch")
            && nfce.contains("13130901144012000152651231234567891123456786")
            && nfce.contains("42200310845180000166550010000016291182910232"),
        "{nfce}"
    );
}

db_test! {
fn pdf_corpus_danfe_and_cce_link_whichever_comes_first(db) {
    let Some(corpus) = corpus() else { return };
    let path = |rel: &str| corpus.join(rel).display().to_string();
    let pairs = [
        ("pdf/sped-da__examples-nfe-test.pdf", "nfe/sped-da__mod55-nfe.xml", "nfe"),
        ("pdf/br_danfe__v1.00__cce.fixture.pdf", "nfe-events/br_danfe__v1.00__cce.xml", "nfe_evento"),
    ];
    for (pdf, xml, linked) in pairs {
        for order in [[pdf, xml], [xml, pdf]] {
            let env = Env::on(db);
            for input in order {
                let run = env.run(&[&path(input)]);
                assert_eq!(run.code(), 0, "{input}: {}", run.stderr());
            }
            assert_eq!(
                env.text("SELECT linked FROM pdf_document").as_deref(),
                Some(linked),
                "{order:?}"
            );
        }
    }
}
}

db_test! {
/// NULs in a PDF's text and metadata never reach the database (PostgreSQL's text cannot hold
/// one): lopdf drops them as it decodes, and `clean` would if it did not.
fn pdf_text_with_nul_imports_on_both_databases(db) {
    let env = Env::on(db);
    let pdf = pdfgen::text_pdf(&[&["Invoice\0 Number: 7\0"]], "A\0B");
    let dir = write_all(&env, &[("nul.pdf", pdf)]);
    let run = env.run(&[&dir]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(
        env.rows("SELECT text, title, invoice_number FROM pdf_document"),
        [[Some("Invoice Number: 7".to_owned()), Some("AB".to_owned()), Some("7".to_owned())]]
    );
}
}

/// Whether a PDF reader child (`batchimp __read-pdf`) runs in session `sid`.
fn reader_runs_in_session(sid: u32) -> bool {
    let Ok(procs) = fs::read_dir("/proc") else {
        return false;
    };
    procs.flatten().any(|p| {
        let cmdline = fs::read(p.path().join("cmdline")).unwrap_or_default();
        let is_reader = cmdline.split(|&b| b == 0).nth(1) == Some(b"__read-pdf".as_slice());
        // The session is the sixth field of `stat`, after the parenthesized command name.
        let stat = fs::read_to_string(p.path().join("stat")).unwrap_or_default();
        let session = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(3).map(str::to_owned));
        is_reader && session == Some(sid.to_string())
    })
}

/// `batchimp run DIR ARGS` with every PDF read slowly, in a process group of its own (setsid,
/// so the signal reaches batchimp and its readers and not this test); one Ctrl-C once a reader
/// runs (and a moment more for it to set its handler: a loaded machine may take longer than
/// any fixed wait to get there). Its output, and the time from the Ctrl-C to its end.
fn ctrl_c_while_reading(
    env: &Env,
    dir: &str,
    args: &[&str],
) -> (std::process::Output, std::time::Duration) {
    let child = std::process::Command::new("setsid")
        .arg(env.cmd().get_program())
        .args(["run", dir, "--quiet", "--report", "r.json"])
        .args(args)
        .args(env.db_args())
        .env("BATCHIMP_TEST_PDF_READER_FAULT", "slow")
        .current_dir(env.dir.path())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !reader_runs_in_session(child.id()) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "no PDF reader started"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let pressed = std::time::Instant::now();
    std::process::Command::new("kill")
        .args(["-INT", "--", &format!("-{}", child.id())])
        .status()
        .unwrap();
    (child.wait_with_output().unwrap(), pressed.elapsed())
}

/// Ctrl-C reaches every process of the terminal's group, PDF readers too: they finish their
/// file (which the draining batch records imported), not die of it as a `pdf_corrupt` crash.
#[test]
fn pdf_readers_outlive_the_first_ctrl_c() {
    let env = Env::new();
    let dir = write_all(&env, &[("danfe.pdf", danfe())]);
    let (out, _) = ctrl_c_while_reading(&env, &dir, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("interrupted; finishing the files in progress"),
        "{err}"
    );
    // Every file was walked, and none was left unread: the batch completes.
    assert_eq!(out.status.code(), Some(0), "{err}");
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(env.path("r.json")).unwrap()).unwrap();
    assert_eq!(report["files"][0]["status"], "imported", "{report}");
}

/// Issue 26: the reader child, which reads hostile bytes, is given what it needs (PATH for
/// tesseract, the locale) and no secret of the parent's environment. Its `env` fault (debug
/// builds) makes it fail saying the names it was given: the file's error lists them.
#[test]
fn pdf_reader_child_gets_no_secret_from_the_environment() {
    let vars = [
        ("PGPASSWORD", "pg-secret"),
        ("AWS_SECRET_ACCESS_KEY", "aws-secret"),
        ("BATCHIMP_NOTIFY_TIMEOUT", "1s"),
        ("LANG", "C.UTF-8"),
        ("OMP_THREAD_LIMIT", "1"),
    ];
    let f = faulty_danfe("env", "60s", &vars);
    let error = f["error"].as_str().unwrap();
    let names: Vec<&str> = error
        .split("environment: ")
        .nth(1)
        .unwrap_or_else(|| panic!("{error}"))
        .split(';')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    for needed in ["PATH", "LANG", "OMP_THREAD_LIMIT", "MIMALLOC_ARENA_RESERVE"] {
        assert!(names.contains(&needed), "{needed} missing: {names:?}");
    }
    for secret in [
        "PGPASSWORD",
        "AWS_SECRET_ACCESS_KEY",
        "BATCHIMP_NOTIFY_TIMEOUT",
        "HOME",
    ] {
        assert!(!names.contains(&secret), "{secret} given: {names:?}");
    }
}

/// Ctrl-C with many slow PDFs queued: the files being read finish, no new one starts, and the
/// batch ends `cancelled` (exit 130) at once, the rest left to `resume`; it used to read all
/// 60 (a minute here) and exit 0.
#[test]
fn ctrl_c_stops_queued_slow_pdfs_promptly() {
    let env = Env::new();
    let names: Vec<String> = (0..60).map(|i| format!("danfe-{i:02}.pdf")).collect();
    let files: Vec<(&str, Vec<u8>)> = names.iter().map(|n| (n.as_str(), danfe())).collect();
    let dir = write_all(&env, &files);
    let (out, after) = ctrl_c_while_reading(&env, &dir, &["--workers", "2"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    // The two in flight take up to 2 s each; a loaded machine gets some slack.
    assert!(
        after < std::time::Duration::from_secs(15),
        "{after:?} after Ctrl-C"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(env.path("r.json")).unwrap()).unwrap();
    assert_eq!(report["status"], "cancelled");
    let recorded = env.count("SELECT count(*) FROM files");
    assert_eq!(report["totals"]["files"], recorded);
    assert!(
        (1..=4).contains(&recorded),
        "{recorded} files read after Ctrl-C"
    );
}
