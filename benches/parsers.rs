//! Micro-benchmarks (divan): each parser on real files, hashing, and the SQLite writer.
//!
//!     cargo bench --bench parsers
//!
//! Parsers run on the project's fixtures and, when ../shared/corpus exists, on every real NF-e
//! and CFDI there; the writer records 1,000 generated documents into a fresh database per sample.
//! PDFs (`cargo bench --bench parsers -- pdf`) are read in this process and in the isolated
//! reader child `batchimp run` uses: this bench binary serves as that child, as batchimp does.
//! Scans and photos (`-- scan`) are read for their codes alone and with OCR.

#[path = "support/nfe_gen.rs"]
mod nfe_gen;
#[allow(dead_code)]
#[path = "../tests/it/pdfgen.rs"]
mod pdfgen;
#[allow(dead_code)]
#[path = "../tests/it/scangen.rs"]
mod scangen;

use batchimp::format::pdf::{self, Reader};
use batchimp::format::{self, ParseOptions, Source};
use batchimp::ledger::BatchStart;
use batchimp::ledger::{Ledger, OnConflict, Processed};
use batchimp::pipeline;
use batchimp::sink::{Sink, sqlite::Sqlite};
use batchimp::source::Item;
use divan::counter::{BytesCount, ItemsCount};
use divan::{Bencher, black_box};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

/// batchimp's own allocator (`src/main.rs`): the parsers measured here allocate as they do in
/// the binary.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // The PDF reader child is this executable started with `__read-pdf`, as it is batchimp.
    if let Some(code) = pdf::child::serve_if_asked() {
        return code;
    }
    divan::main();
    std::process::ExitCode::SUCCESS
}

static FILES: LazyLock<Vec<(String, Vec<u8>)>> = LazyLock::new(|| {
    load(
        &[
            "fixtures/nfe",
            "fixtures/cfdi",
            "../shared/corpus/nfe",
            "../shared/corpus/cfdi33",
            "../shared/corpus/cfdi40",
            "../shared/corpus/cfdi-pagos",
            "../shared/corpus/cfdi-nomina",
        ],
        |dir| if dir.contains("cfdi") { "cfdi" } else { "nfe" },
    )
});

/// CT-e, CT-e OS, MDF-e and NFS-e (national and municipal ABRASF), documents and events:
/// batchimp's fixtures and the public samples.
static FREIGHT: LazyLock<Vec<(String, Vec<u8>)>> = LazyLock::new(|| {
    load(
        &[
            "fixtures/cte",
            "fixtures/mdfe",
            "fixtures/nfse",
            "fixtures/public",
        ],
        |dir| &dir["fixtures/".len()..],
    )
});

/// The files of some folders but their broken twins (and anything not XML), named
/// `<label>/<file name>` with the label `label` gives the folder.
fn load(dirs: &[&str], label: fn(&str) -> &str) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if !name.starts_with("broken") && name.ends_with(".xml") {
                files.push((format!("{}/{name}", label(dir)), std::fs::read(&p).unwrap()));
            }
        }
    }
    files
}

fn names() -> Vec<&'static str> {
    FILES.iter().map(|(n, _)| n.as_str()).collect()
}

fn bytes_of(name: &str) -> &'static [u8] {
    &FILES.iter().find(|(n, _)| n == name).unwrap().1
}

/// Sniff and parse one file (NF-e or CFDI), as the workers do.
#[divan::bench(args = names())]
fn read(bencher: Bencher, name: &str) {
    let bytes = bytes_of(name);
    let opts = ParseOptions {
        allow_invalid_keys: true,
        ..ParseOptions::default()
    };
    bencher.counter(BytesCount::new(bytes.len())).bench(|| {
        let src = Source {
            origin: name,
            sha256: "0",
            deadline: Instant::now() + Duration::from_secs(60),
        };
        black_box(format::read(black_box(bytes), &src, &opts))
    });
}

fn freight_names() -> Vec<&'static str> {
    FREIGHT.iter().map(|(n, _)| n.as_str()).collect()
}

/// Sniff and parse one CT-e, CT-e OS, MDF-e or NFS-e file (national or ABRASF; or one of their
/// events or cancellations), as the workers do; counted in documents, so divan reports
/// documents per second for each kind (`-- read_freight abrasf` for the ABRASF files alone).
#[divan::bench(args = freight_names())]
fn read_freight(bencher: Bencher, name: &str) {
    let bytes = &FREIGHT.iter().find(|(n, _)| n == name).unwrap().1;
    read_counted(bencher, name, bytes, |outcome| match outcome {
        format::Outcome::Docs(docs) => Some(docs.len()),
        _ => None,
    });
}

/// Sniff and read `bytes` as the workers do, counted in what `count` finds in the outcome (a
/// file it finds nothing in is a bug of the bench's inputs).
fn read_counted(
    bencher: Bencher,
    name: &str,
    bytes: &[u8],
    count: fn(&format::Outcome) -> Option<usize>,
) {
    let opts = ParseOptions::default();
    let read = || {
        let src = Source {
            origin: name,
            sha256: "0",
            deadline: Instant::now() + Duration::from_secs(60),
        };
        format::read(black_box(bytes), &src, &opts)
    };
    let outcome = read().1;
    let n = count(&outcome).unwrap_or_else(|| panic!("{name}: {outcome:?}"));
    bencher
        .counter(ItemsCount::new(n))
        .bench(|| black_box(read()));
}

/// SAT's metadata files (Descarga Masiva), batchimp's and the public samples.
static SAT_METADATA: LazyLock<Vec<(String, Vec<u8>)>> = LazyLock::new(|| {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["fixtures/sat", "fixtures/public"] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        paths.sort();
        for p in paths {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if !name.starts_with("broken") && name.ends_with(".txt") {
                files.push((format!("{dir}/{name}"), std::fs::read(&p).unwrap()));
            }
        }
    }
    files
});

fn sat_metadata_names() -> Vec<&'static str> {
    SAT_METADATA.iter().map(|(n, _)| n.as_str()).collect()
}

/// Sniff and read one SAT metadata file, as the workers do; counted in lines (kept or
/// rejected), so divan reports lines per second.
#[divan::bench(args = sat_metadata_names())]
fn read_sat_metadata(bencher: Bencher, name: &str) {
    let bytes = &SAT_METADATA.iter().find(|(n, _)| n == name).unwrap().1;
    read_counted(bencher, name, bytes, |outcome| match outcome {
        format::Outcome::Lines(lines) => Some(lines.docs.len() + lines.rejected.len()),
        _ => None,
    });
}

/// SHA-256 of a typical 14 KB NF-e.
#[divan::bench]
fn sha256_14kb(bencher: Bencher) {
    use sha2::Digest;
    let data = vec![b'x'; 14 * 1024];
    bencher
        .counter(BytesCount::new(data.len()))
        .bench(|| black_box(sha2::Sha256::digest(black_box(&data))));
}

static DOCS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let dir = std::env::temp_dir().join(format!("batchimp-bench-docs-{}", std::process::id()));
    let opts = nfe_gen::GenOptions {
        count: 1000,
        out: Some(dir.clone()),
        dup_rate: 0.0,
        resend_rate: 0.0,
        bad_rate: 0.0,
        ..Default::default()
    };
    nfe_gen::generate(&opts).unwrap();
    let docs = walkdir::WalkDir::new(&dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    docs
});

/// The writer alone: 1,000 parsed documents (about 10,000 items) recorded and committed into a
/// fresh SQLite database.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn writer_1000_docs(bencher: Bencher) {
    // Parsed again for every sample (outside the timing): the writer takes the files.
    let parse = || -> Vec<Processed> {
        DOCS.iter()
            .enumerate()
            .map(|(i, bytes)| {
                let item = Item {
                    origin: format!("doc-{i}.xml"),
                    size: bytes.len() as u64,
                    data: Ok(bytes.clone()),
                    retries: 0,
                    mtime: None,
                    stream: None,
                };
                pipeline::process(item, &ParseOptions::default(), Duration::from_secs(60))
            })
            .collect()
    };
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    bencher
        .with_inputs(|| {
            n += 1;
            let mut sink = Sqlite::open(&dir.path().join(format!("w{n}.db"))).unwrap();
            let start = BatchStart {
                inputs: vec!["bench".into()],
                workers: 1,
                options: "{}".into(),
                report: None,
                token: BatchStart::token(),
            };
            let batch = Ledger::of(&mut sink).start_batch(&start).unwrap();
            (sink, batch, parse())
        })
        .bench_local_values(|(mut sink, batch, parsed)| {
            sink.begin().unwrap();
            for p in parsed {
                sink.record(
                    batch,
                    p,
                    batchimp::sink::Put {
                        replace: false,
                        on_conflict: OnConflict::Skip,
                    },
                )
                .unwrap();
            }
            sink.commit(batch).unwrap();
        });
}

/// The PDFs read: the project's fixtures (`fixtures/**/*.pdf`: a stub with no page, a two-page
/// DANFE-like printout, a one-page invoice in a Flate stream) and a generated 20-page invoice.
static PDFS: LazyLock<Vec<(String, Vec<u8>)>> = LazyLock::new(|| {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut pdfs: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(&root)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "pdf"))
        .map(|e| {
            let name = e.path().strip_prefix(&root).unwrap().display().to_string();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    let invoice: &[&str] = &[
        "ACME Supplies Ltd",
        "Invoice Number: INV-2026-0042",
        "Invoice Date: 2026-10-05",
        "Total: EUR 1.234,56",
    ];
    pdfs.push((
        "gen/invoice-20p.pdf".into(),
        pdfgen::text_pdf(&[invoice; 20], "Invoice"),
    ));
    pdfs
});

fn pdf_names() -> Vec<&'static str> {
    PDFS.iter().map(|(n, _)| n.as_str()).collect()
}

/// One printed document read as the workers read it (`format::read`: sniffed, then
/// `pdf_document` built) under `opts`. Failures (the stub fixture's `pdf_corrupt`) count too.
fn read_printed(bencher: Bencher, name: &str, bytes: &[u8], opts: ParseOptions) {
    bencher.counter(ItemsCount::new(1usize)).bench(|| {
        let src = Source {
            origin: name,
            sha256: "0",
            deadline: Instant::now() + Duration::from_secs(120),
        };
        black_box(format::read(black_box(bytes), &src, &opts))
    });
}

/// One PDF of [`PDFS`], its facts read by `reader`.
fn read_pdf(bencher: Bencher, name: &str, reader: Reader) {
    let bytes = &PDFS.iter().find(|(n, _)| n == name).unwrap().1;
    let opts = ParseOptions {
        pdf_reader: reader,
        ..ParseOptions::default()
    };
    read_printed(bencher, name, bytes, opts);
}

/// A PDF read in this process (tests, fuzzing).
#[divan::bench(args = pdf_names())]
fn pdf_in_process(bencher: Bencher, name: &str) {
    read_pdf(bencher, name, Reader::InProcess);
}

/// A PDF read in the isolated reader child, what `batchimp run` does: one process per PDF.
#[divan::bench(args = pdf_names(), sample_count = 30, sample_size = 3)]
fn pdf_child(bencher: Bencher, name: &str) {
    read_pdf(bencher, name, Reader::Child);
}

/// Printouts read from their pixels, drawn by the tests' generator: a DANFE-like page with its
/// key as a Code 128 only, as a 150 dpi PNG, as a phone photo (JPEG), as an image-only PDF (its
/// page one embedded JPEG), as a PDF whose barcode is vector bars (rendered by hayro), and the
/// same page with a text layer, for what a scan costs next to a text PDF.
static SCANS: LazyLock<Vec<(String, Vec<u8>)>> = LazyLock::new(|| {
    let key = "35261012345678000195550010000010011100100101";
    let page = scangen::danfe_page(key);
    let grouped: Vec<&str> = (0..11).map(|i| &key[4 * i..4 * i + 4]).collect();
    let text_lines = [
        "DANFE",
        "DOCUMENTO AUXILIAR DA NOTA FISCAL ELETRONICA",
        &grouped.join(" "),
        "CAFE TORRADO E MOIDO 500G      Total: 1.234,56",
    ];
    vec![
        ("danfe-150dpi.png".into(), page.png()),
        ("danfe-photo.jpg".into(), page.photo(7).jpeg(85)),
        (
            "danfe-scan.pdf".into(),
            scangen::image_pdf(&page.jpeg(90), page.width, page.height),
        ),
        (
            "danfe-vector-bars.pdf".into(),
            scangen::vector_barcode_pdf(key),
        ),
        (
            "danfe-text.pdf".into(),
            pdfgen::text_pdf(&[&text_lines], "DANFE"),
        ),
    ]
});

fn scan_names() -> Vec<&'static str> {
    SCANS.iter().map(|(n, _)| n.as_str()).collect()
}

fn read_scan(bencher: Bencher, name: &str, ocr: pdf::ocr::Mode) {
    let bytes = &SCANS.iter().find(|(n, _)| n == name).unwrap().1;
    let opts = ParseOptions {
        ocr,
        ..ParseOptions::default()
    };
    read_printed(bencher, name, bytes, opts);
}

/// One page read for its codes alone (`--ocr never`), in this process: pages per second.
#[divan::bench(args = scan_names(), sample_count = 10, sample_size = 1)]
fn scan_codes(bencher: Bencher, name: &str) {
    read_scan(bencher, name, pdf::ocr::Mode::Never);
}

/// One page read for its codes and then OCR'd by Tesseract (`--ocr auto`; a text PDF is not
/// OCR'd). Skipped where Tesseract is not installed.
#[divan::bench(args = scan_names(), sample_count = 5, sample_size = 1)]
fn scan_codes_and_ocr(bencher: Bencher, name: &str) {
    if std::process::Command::new("tesseract")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("scan_codes_and_ocr: tesseract is not installed; skipped");
        return;
    }
    read_scan(bencher, name, pdf::ocr::Mode::Auto);
}
