//! A mutation fuzzer on stable Rust, run by `cargo test`: the project's fixtures (and the corpus
//! when present) are flipped, cut, spliced and stuffed with XML and ZIP syntax, then read by the
//! kind detector, the parsers and the in-memory ZIP reader directly, with no panic catching in
//! between. Coverage-guided fuzzing of the same entry points is in `fuzz/` (cargo fuzz).

use batchimp::format::Outcome;
use batchimp::format::{self, ParseOptions, Source, catalog, xml};
use batchimp::source::{self, Filter, Job, JobSource, Limits};
use std::path::Path;
use std::time::{Duration, Instant};

fn seeds() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seeds = Vec::new();
    for dir in [
        "fixtures",
        "../shared/corpus/nfe",
        "../shared/corpus/nfe-events",
        "../shared/corpus/cfdi40",
        "../shared/corpus/cfdi-pagos",
        "../shared/corpus/cfdi-nomina",
    ] {
        for entry in walkdir::WalkDir::new(root.join(dir)).into_iter().flatten() {
            if entry.file_type().is_file() && entry.metadata().unwrap().len() < 200_000 {
                seeds.push(std::fs::read(entry.path()).unwrap());
            }
        }
    }
    seeds
}

struct Rng(u64);

impl Rng {
    /// A fixed seed, so `cargo test` fails or passes alike on every run and machine;
    /// `BATCHIMP_TEST_SEED` explores others (the seed is printed by the tests, to replay a
    /// failure), `BATCHIMP_TEST_SEED=clock` a new one each run.
    fn seeded() -> (u64, Rng) {
        const FIXED: u64 = 0x5eed_ba7c_41a9_0001;
        let seed = match std::env::var("BATCHIMP_TEST_SEED").ok().as_deref() {
            Some("clock") => {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            }
            Some(n) => n.parse().unwrap_or(FIXED),
            None => FIXED,
        };
        (seed, Rng(seed))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&[u8]] = &[
    b"<",
    b">",
    b"</",
    b"/>",
    b"&",
    b"&amp;",
    b"&#",
    b"&#x110000;",
    b"<![CDATA[",
    b"]]>",
    b"<!--",
    b"-->",
    b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>",
    b"<!DOCTYPE a [<!ENTITY b \"c\">]>",
    b"<infNFe Id=\"NFe\">",
    b"<det nItem=\"x\">",
    b"<infProt>",
    b"</infProt>",
    b"<nfeProc>",
    b"<NFe>",
    b"nfe:",
    b"<infEvento>",
    b"<retEvento><infEvento><cStat>135</cStat>",
    b"<tpEvento>110111</tpEvento>",
    b"<nSeqEvento>",
    b"<infInut>",
    b"<detPag>",
    b"<pag><tPag>",
    b"<cfdi:Comprobante xmlns:cfdi=\"http://www.sat.gob.mx/cfd/4\" Version=\"4.0\">",
    b"<tfd:TimbreFiscalDigital UUID=\"",
    b"<cfdi:Complemento>",
    b"<pago20:Pago Monto=\"",
    b"<nomina12:Nomina>",
    b"<cfdi:Concepto/>",
    b"<retenciones:Retenciones xmlns:retenciones=\"http://www.sat.gob.mx/esquemas/retencionpago/2\" Version=\"2.0\">",
    b"<retenciones:ImpRetenidos MontoRet=\"",
    b"<retenciones:Complemento>",
    b" Rfc=\"",
    b"\xEF\xBB\xBF",
    b"\xFF\xFE",
    b"\0",
    b"PK\x03\x04",
    b"PK\x01\x02",
    b"PK\x05\x06",
    b"\xC3",
    b"99999999999999999999999",
];

fn mutate(rng: &mut Rng, seed: &[u8], seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(6) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 => data.truncate(at),
            2 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                data.splice(at..at, t.iter().copied());
            }
            3 if !data.is_empty() => {
                let end = (at + rng.below(64)).min(data.len());
                data.drain(at.min(end)..end);
            }
            4 => {
                let other = &seeds[rng.below(seeds.len())];
                let from = rng.below(other.len());
                let len = rng.below(256).min(other.len() - from);
                data.splice(at..at, other[from..from + len].iter().copied());
            }
            _ => {
                let end = (at + rng.below(32)).min(data.len());
                let chunk = data[at.min(end)..end].to_vec();
                data.splice(
                    at..at,
                    chunk
                        .iter()
                        .copied()
                        .cycle()
                        .take(chunk.len() * rng.below(8)),
                );
            }
        }
    }
    data
}

#[test]
fn no_input_panics_the_detector_the_parsers_or_the_zip_reader() {
    let seeds = seeds();
    assert!(seeds.len() > 20);
    let (seed, mut rng) = Rng::seeded();
    let limits = Limits {
        max_file_size: 1 << 20,
        max_archive_size: 8 << 20,
        ..Limits::default()
    };
    let started = Instant::now();
    let mut runs = 0;
    while started.elapsed() < Duration::from_secs(4) {
        let pick = rng.below(seeds.len());
        let input = mutate(&mut rng, &seeds[pick], &seeds);
        let check = |bytes: &[u8]| {
            let src = Source {
                origin: "fuzz.xml",
                sha256: "0",
                deadline: Instant::now() + Duration::from_secs(60),
            };
            for allow_invalid_keys in [false, true] {
                let (_, outcome) = format::read(
                    bytes,
                    &src,
                    &ParseOptions {
                        allow_invalid_keys,
                        ..ParseOptions::default()
                    },
                );
                // A catalog's rows are read when the writer streams it: read them here too.
                if let Outcome::Catalog(load) = outcome {
                    let _ = catalog::read(&load, 1, &mut catalog::Chunk::default, &mut |_| true);
                }
            }
        };
        let result = std::panic::catch_unwind(|| {
            check(&input);
            let job = Job {
                origin: "fuzz.zip".into(),
                size: input.len() as u64,
                mtime: None,
                verify: None,
                source: JobSource::Bytes(input.clone()),
            };
            for item in source::load(job, &limits, &Filter::All, true, &catalog::NO_MAPPING) {
                if let Ok(bytes) = item.data {
                    check(&bytes);
                }
            }
        });
        if result.is_err() {
            let path = std::env::temp_dir().join(format!("batchimp-fuzz-crash-{seed}.bin"));
            std::fs::write(&path, &input).unwrap();
            panic!(
                "input saved to {} panicked; add it under fixtures/ as a regression",
                path.display()
            );
        }
        runs += 1;
    }
    eprintln!("{runs} mutated inputs, seed {seed}");
}

/// ZIPs on disk go through batchimp's own central directory reader (not the in-memory path
/// above): mutated archives, written to a folder and imported in one run, must each be
/// accounted for with a typed outcome, and nothing may panic.
#[test]
fn mutated_zip_files_on_disk_are_each_accounted_for() {
    let seeds: Vec<Vec<u8>> = walkdir::WalkDir::new(crate::helpers::fixtures())
        .into_iter()
        .flatten()
        .filter(|e| {
            e.path().extension().is_some_and(|x| x == "zip")
                && e.metadata().is_ok_and(|m| m.len() < 200_000)
        })
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect();
    assert!(seeds.len() >= 5);
    let (seed, mut rng) = Rng::seeded();
    let env = crate::helpers::Env::new();
    let dir = env.path("mutated");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..300 {
        let pick = rng.below(seeds.len());
        let input = mutate(&mut rng, &seeds[pick], &seeds);
        std::fs::write(dir.join(format!("m{i:03}.zip")), input).unwrap();
    }
    let run = env.run(&[dir.to_str().unwrap(), "--max-archive-size", "8MiB"]);
    assert!(
        matches!(run.code(), 0 | 1),
        "seed {seed}: exit {}: {}",
        run.code(),
        run.stderr()
    );
    assert!(
        !run.stderr().contains("panicked"),
        "seed {seed}: {}",
        run.stderr()
    );
    let files = run.report()["files"].as_array().unwrap();
    for i in 0..300 {
        let name = format!("/m{i:03}.zip");
        assert!(
            files
                .iter()
                .any(|f| f["path"].as_str().unwrap().contains(&name)),
            "seed {seed}: {name} not in the report"
        );
    }
    assert!(
        files.iter().all(|f| f["error_type"] != "internal_error"),
        "seed {seed}"
    );
}

/// Differential, on the same mutations: nothing batchimp imports or its XML reader accepts may
/// be rejected by roxmltree, an independent XML 1.0 and namespaces parser. (batchimp refuses
/// every DOCTYPE, so it may reject what roxmltree accepts.) `fuzz/` runs this coverage-guided
/// as the `wellformed` target.
#[test]
fn nothing_roxmltree_rejects_is_accepted_or_imported() {
    let seeds: Vec<Vec<u8>> = seeds()
        .into_iter()
        .filter(|s| s.starts_with(b"<") || s.starts_with(b"\xEF\xBB\xBF"))
        .collect();
    let (seed, mut rng) = Rng::seeded();
    let src = Source {
        origin: "fuzz.xml",
        sha256: "0",
        deadline: Instant::now() + Duration::from_secs(600),
    };
    let started = Instant::now();
    let (mut runs, mut accepted) = (0, 0);
    while started.elapsed() < Duration::from_secs(3) {
        let pick = rng.below(seeds.len());
        let input = mutate(&mut rng, &seeds[pick], &seeds);
        let opts = ParseOptions {
            allow_invalid_keys: true,
            ..ParseOptions::default()
        };
        let imported = matches!(format::read(&input, &src, &opts).1, Outcome::Docs(_));
        let ours = xml::well_formed(&input);
        runs += 1;
        if ours.is_err() {
            assert!(!imported, "seed {seed}: imported but {ours:?}");
            continue;
        }
        accepted += 1;
        let text = xml::to_utf8(&input).unwrap();
        let theirs = roxmltree::Document::parse(&text);
        if let Err(e) = theirs {
            let path = std::env::temp_dir().join(format!("batchimp-differential-{seed}.xml"));
            std::fs::write(&path, &input).unwrap();
            panic!(
                "batchimp accepts (imported: {imported}) what roxmltree rejects ({e}): {}",
                path.display()
            );
        }
    }
    eprintln!("{runs} mutated XML inputs, {accepted} well-formed, seed {seed}");
}
