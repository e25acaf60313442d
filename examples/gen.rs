//! Generate realistic test data, deterministically:
//!
//!     cargo run --release --example gen -- nfe --count 100000 --out DIR [--zip FILE] [--seed N]
//!     cargo run --release --example gen -- catalog --rows 1000000 --out FILE.csv [--seed N]
//!     cargo run --release --example gen -- catalog --rows 1000000 --out FILE.xlsx [--seed N]
//!     cargo run --release --example gen -- dictionary --count 2000 --out src/archive/nfe-1.zdict
//!
//! Writes `DIR.manifest.json` (or `FILE.manifest.json`) with what a correct import yields.

#[path = "../benches/support/catalog_gen.rs"]
mod catalog_gen;
#[path = "../benches/support/nfe_gen.rs"]
mod nfe_gen;
#[path = "../benches/support/xlsx_gen.rs"]
mod xlsx_gen;

use std::path::PathBuf;

const USAGE: &str =
    "usage: gen nfe --count N (--out DIR | --zip FILE) [--seed N] [--dup-rate F] [--bad-rate F]
       gen catalog --rows N --out (FILE.csv | FILE.xlsx) [--seed N] [--bad-rate F]
       gen dictionary --count N --out FILE [--seed N] [--size BYTES]";

fn main() {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("nfe") => nfe(args),
        Some("catalog") => catalog(args),
        Some("dictionary") => dictionary(args),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
}

/// The option pairs (`--flag value`) left on the command line.
fn pairs(mut args: impl Iterator<Item = String>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        out.push((flag, value));
    }
    out
}

fn catalog(args: impl Iterator<Item = String>) {
    let mut o = catalog_gen::CatalogOptions::default();
    let mut out = None;
    for (flag, value) in pairs(args) {
        match flag.as_str() {
            "--rows" => o.rows = value.parse().expect("--rows N"),
            "--seed" => o.seed = value.parse().expect("--seed N"),
            "--bad-rate" => o.bad_rate = value.parse().expect("--bad-rate F"),
            "--out" => out = Some(PathBuf::from(value)),
            other => panic!("unknown option {other}"),
        }
    }
    let out = out.expect("--out FILE.csv or FILE.xlsx");
    let xlsx = out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    let started = std::time::Instant::now();
    let m = if xlsx {
        let m = xlsx_gen::generate(&o, &out).expect("write the workbook");
        if let Err(e) = xlsx_gen::check(&out) {
            panic!("{}: {e}", out.display());
        }
        m
    } else {
        catalog_gen::generate(&o, &out).expect("write the catalog")
    };
    eprintln!(
        "{}: {} rows, {:.1} MB in {:.2?}",
        out.display(),
        m.rows,
        m.bytes as f64 / 1e6,
        started.elapsed()
    );
    std::fs::write(catalog_gen::manifest_path(&out), m.to_json()).expect("write the manifest");
    print!("{}", m.to_json());
}

fn nfe(args: impl Iterator<Item = String>) {
    let mut o = nfe_gen::GenOptions::default();
    for (flag, value) in pairs(args) {
        match flag.as_str() {
            "--count" => o.count = value.parse().expect("--count N"),
            "--seed" => o.seed = value.parse().expect("--seed N"),
            "--out" => o.out = Some(PathBuf::from(value)),
            "--zip" => o.zip = Some(PathBuf::from(value)),
            "--dup-rate" => o.dup_rate = value.parse().expect("--dup-rate F"),
            "--resend-rate" => o.resend_rate = value.parse().expect("--resend-rate F"),
            "--bad-rate" => o.bad_rate = value.parse().expect("--bad-rate F"),
            "--latin1-rate" => o.latin1_rate = value.parse().expect("--latin1-rate F"),
            other => panic!("unknown option {other}"),
        }
    }
    let target = o
        .out
        .clone()
        .or(o.zip.clone())
        .expect("--out DIR or --zip FILE");
    let m = nfe_gen::generate(&o).expect("write the files");
    std::fs::write(nfe_gen::manifest_path(&target), m.to_json()).expect("write the manifest");
    print!("{}", m.to_json());
}

/// Train the zstd dictionary the archive of originals ships for NF-e (`src/archive/`): from
/// `--count` generated NF-e (authorized and cancelled, as the generator mixes them), written
/// to a scratch folder and read back as samples. The seed differs from the benchmarks' so that
/// they measure documents the dictionary never saw.
fn dictionary(args: impl Iterator<Item = String>) {
    let mut o = nfe_gen::GenOptions {
        seed: 7,
        dup_rate: 0.0,
        resend_rate: 0.0,
        bad_rate: 0.0,
        ..nfe_gen::GenOptions::default()
    };
    let mut size = 110 * 1024;
    let mut out = None;
    for (flag, value) in pairs(args) {
        match flag.as_str() {
            "--count" => o.count = value.parse().expect("--count N"),
            "--seed" => o.seed = value.parse().expect("--seed N"),
            "--size" => size = value.parse().expect("--size BYTES"),
            "--out" => out = Some(PathBuf::from(value)),
            other => panic!("unknown option {other}"),
        }
    }
    let out = out.expect("--out FILE");
    let scratch = std::env::temp_dir().join(format!("batchimp-dict-{}", std::process::id()));
    o.out = Some(scratch.clone());
    nfe_gen::generate(&o).expect("write the samples");
    let mut samples = Vec::new();
    let mut stack = vec![scratch.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read the samples") {
            let path = entry.expect("read the samples").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "xml") {
                samples.push(std::fs::read(&path).expect("read a sample"));
            }
        }
    }
    samples.sort();
    std::fs::remove_dir_all(&scratch).ok();
    let dict = zstd::dict::from_samples(&samples, size).expect("train the dictionary");
    std::fs::write(&out, &dict).expect("write the dictionary");
    eprintln!(
        "{}: {} bytes from {} samples",
        out.display(),
        dict.len(),
        samples.len()
    );
}
