//! Any bytes through the picture reader, in this process: the same path the reader child runs
//! for a photo or a scan (signature, decoding with its limits, every page's codes). It must
//! return the facts or a typed error, never panic. OCR (Tesseract, not batchimp's code) is off.
#![no_main]

use batchimp::error::ErrorType;
use batchimp::format::pdf::{Limits, ScanOptions, pixels, read_any};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};

const LIMITS: Limits = Limits::SMALL;

fuzz_target!(|data: &[u8]| {
    let deadline = Instant::now() + Duration::from_secs(10);
    let scan = ScanOptions::codes_only();
    // Pictures only: what has no picture's signature is another target's.
    if pixels::picture_kind(data).is_none() {
        return;
    }
    match read_any(data, &LIMITS, &scan, deadline) {
        Ok(info) => assert!(info.pages >= 1, "a picture with no page: {info:?}"),
        Err(e) => assert!(
            matches!(
                e.error_type,
                ErrorType::ImageCorrupt | ErrorType::TooLarge | ErrorType::Timeout
            ),
            "untyped picture error: {e:?}"
        ),
    }
});
