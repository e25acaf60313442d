//! Any bytes as a ZIP read in memory (nested archives, hostile names, bombs), each member then
//! read like a file: no input may panic.
#![no_main]

use batchimp::format::{self, ParseOptions, Source};
use batchimp::source::{self, Filter, Job, JobSource, Limits};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_file_size: 1 << 20,
        max_archive_size: 8 << 20,
        ..Limits::default()
    };
    let job = Job {
        origin: "fuzz.zip".into(),
        size: data.len() as u64,
        mtime: None,
        verify: None,
        source: JobSource::Bytes(data.to_vec()),
    };
    for item in source::load(job, &limits, &Filter::All, true, &format::catalog::NO_MAPPING) {
        if let Ok(bytes) = item.data {
            let src = Source {
                origin: &item.origin,
                sha256: "0",
                deadline: Instant::now() + Duration::from_secs(60),
            };
            let _ = format::read(&bytes, &src, &ParseOptions::default());
        }
    }
});
