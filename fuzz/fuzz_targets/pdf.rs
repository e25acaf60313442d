//! Any bytes through the PDF reader, in this process: the same `read_pdf` the reader child runs
//! for `batchimp run`. It must return the facts or a typed error, never panic. The child's
//! memory limit does not hold here, so the per-input limits are small (64 KiB of text, 1 MiB
//! per inflated stream, 50 pages): the fuzzer itself must not be OOM-killed.
#![no_main]

use batchimp::error::ErrorType;
use batchimp::format::pdf::{Limits, ScanOptions, read_pdf};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};

const LIMITS: Limits = Limits::SMALL;

fuzz_target!(|data: &[u8]| {
    let deadline = Instant::now() + Duration::from_secs(10);
    // Codes are read from pages without text (hayro renders them); OCR is Tesseract's, not
    // batchimp's code, and would only slow the fuzzer.
    let scan = ScanOptions::codes_only();
    match read_pdf(data, &LIMITS, &scan, deadline) {
        Ok(info) => {
            assert!(info.text.len() <= LIMITS.max_text, "text past its cap");
            assert!(
                info.unreadable_pages < info.pages,
                "read, with no readable page: {info:?}"
            );
        }
        Err(e) => assert!(
            matches!(
                e.error_type,
                ErrorType::PdfCorrupt
                    | ErrorType::PdfEncrypted
                    | ErrorType::TooLarge
                    | ErrorType::Timeout
            ),
            "untyped PDF error: {e:?}"
        ),
    }
});
