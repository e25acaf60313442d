//! Generate realistic NF-e test data, deterministically:
//!
//!     cargo run --release --example gen -- nfe --count 100000 --out DIR [--zip FILE] [--seed N]
//!
//! Writes `DIR.manifest.json` (or `FILE.manifest.json`) with what a correct import yields.

#[path = "../benches/support/nfe_gen.rs"]
mod nfe_gen;

use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() != Some("nfe") {
        eprintln!(
            "usage: gen nfe --count N (--out DIR | --zip FILE) [--seed N] [--dup-rate F] [--bad-rate F]"
        );
        std::process::exit(2);
    }
    let mut o = nfe_gen::GenOptions::default();
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
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
