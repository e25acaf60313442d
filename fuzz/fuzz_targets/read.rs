//! Any bytes through the kind detector and whichever parser claims them (a catalog's rows
//! included): no input may panic.
#![no_main]

use batchimp::format::{self, ParseOptions, Source, catalog};
use batchimp::format::Outcome;
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};

fuzz_target!(|data: &[u8]| {
    let src = Source {
        origin: "fuzz.xml",
        sha256: "0",
        deadline: Instant::now() + Duration::from_secs(60),
    };
    for allow_invalid_keys in [false, true] {
        let (_, outcome) = format::read(data, &src, &ParseOptions { allow_invalid_keys, ..ParseOptions::default() });
        // A catalog's rows are read when the writer streams it: read them here too.
        if let Outcome::Catalog(load) = outcome {
            let _ = catalog::read(&load, 1, &mut catalog::Chunk::default, &mut |_| true);
        }
    }
});
