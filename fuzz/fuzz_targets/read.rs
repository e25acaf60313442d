//! Any bytes through the kind detector and whichever parser claims them: no input may panic.
#![no_main]

use batchimp::format::{self, ParseOptions, Source};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};

fuzz_target!(|data: &[u8]| {
    let src = Source {
        origin: "fuzz.xml",
        sha256: "0",
        deadline: Instant::now() + Duration::from_secs(60),
    };
    for allow_invalid_keys in [false, true] {
        let _ = format::read(data, &src, &ParseOptions { allow_invalid_keys });
    }
});
