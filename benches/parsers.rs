//! Micro-benchmarks (divan): each parser on real files, hashing, and the SQLite writer.
//!
//!     cargo bench --bench parsers
//!
//! Parsers run on the project's fixtures and, when ../shared/corpus exists, on every real NF-e
//! and CFDI there; the writer records 1,000 generated documents into a fresh database per sample.

#[path = "support/nfe_gen.rs"]
mod nfe_gen;

use batchimp::format::{self, ParseOptions, Source};
use batchimp::ledger::{OnConflict, Processed};
use batchimp::pipeline;
use batchimp::sink::{BatchStart, Sink, sqlite::Sqlite};
use batchimp::source::Item;
use divan::counter::BytesCount;
use divan::{Bencher, black_box};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

fn main() {
    divan::main();
}

static FILES: LazyLock<Vec<(String, Vec<u8>)>> = LazyLock::new(|| {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [
        "fixtures/nfe",
        "fixtures/cfdi",
        "../shared/corpus/nfe",
        "../shared/corpus/cfdi33",
        "../shared/corpus/cfdi40",
        "../shared/corpus/cfdi-pagos",
        "../shared/corpus/cfdi-nomina",
    ] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let kind = if dir.contains("cfdi") { "cfdi" } else { "nfe" };
            if !name.starts_with("broken") {
                files.push((format!("{kind}/{name}"), std::fs::read(&p).unwrap()));
            }
        }
    }
    files
});

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
            };
            let batch = sink.start_batch(&start).unwrap();
            (sink, batch, parse())
        })
        .bench_local_values(|(mut sink, batch, parsed)| {
            sink.begin().unwrap();
            for p in parsed {
                sink.record(batch, p, false, OnConflict::Skip).unwrap();
            }
            sink.commit(batch).unwrap();
        });
}
