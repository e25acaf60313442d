//! Reading a PDF in a child process of this very executable, so that a PDF crafted to hang,
//! overflow the stack, exhaust memory or abort the reader costs one file, never the batch.
//!
//! Pictures (scans and photos) are read the same way: their decoders and the barcode reader
//! meet hostile bytes too, and OCR runs from the child, under its limits.
//!
//! The parent runs `batchimp __read-pdf <request>` (not a clap subcommand: it is caught before
//! argument parsing, so it appears in no help, man page or completion; the request is one JSON
//! [`Request`]), writes the PDF to its stdin and reads one JSON [`Reply`] from its stdout. The child first limits its own address
//! space (`RLIMIT_AS`, with the safe `rlimit` crate: no `pre_exec`, no unsafe code here) and
//! is killed by the parent at the file's deadline. However it dies, the parent types it:
//! killed at the deadline `timeout`, out of memory `too_large`, any other crash `pdf_corrupt`.

use super::process::{exchange, signal};
use super::scan::{Limits, PdfInfo, ScanOptions};
use crate::error::{ErrorType, FileError};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// The hidden first argument that makes batchimp a PDF reader.
pub const ARG: &str = "__read-pdf";

/// What the parent asks of the child, as its one argument.
#[derive(Debug, Serialize, Deserialize)]
struct Request {
    limits: Limits,
    scan: ScanOptions,
    /// The child's own CPU limit, past the deadline (see [`read`]).
    cpu_seconds: u64,
    /// Milliseconds until the file's deadline: the child bounds OCR by it.
    wall_ms: u64,
}

/// What the child writes on stdout.
#[derive(Debug, Serialize, Deserialize)]
enum Reply {
    Read(PdfInfo),
    Failed {
        error_type: ErrorType,
        message: String,
    },
}

/// Most bytes of the child's stderr kept, for the crash's message.
const STDERR_KEPT: u64 = 4096;

/// Read a PDF or a picture in a child process, killed at `deadline`.
pub fn read(
    bytes: &[u8],
    limits: &Limits,
    scan: &ScanOptions,
    deadline: Instant,
) -> Result<PdfInfo, FileError> {
    let exe = std::env::current_exe().map_err(|e| {
        FileError::new(
            ErrorType::InternalError,
            format!("cannot find batchimp's executable to read the PDF: {e}"),
        )
    })?;
    // The child's own CPU limit, past the deadline: should batchimp die (a second Ctrl-C, a
    // kill) while a reader spins, the orphan stops by itself.
    let left = deadline.saturating_duration_since(Instant::now());
    let request = Request {
        limits: *limits,
        scan: scan.clone(),
        cpu_seconds: left.as_secs() + 2,
        wall_ms: u64::try_from(left.as_millis()).unwrap_or(u64::MAX),
    };
    let picture = super::pixels::picture_kind(bytes).is_some();
    let mut command = Command::new(exe);
    command.env_clear().envs(child_env(std::env::vars_os()));
    let mut child = command
        .arg(ARG)
        .arg(serde_json::to_string(&request).expect("plain struct"))
        // The allocator reserves its arenas 1 GiB of address space at a time, more than the
        // reader's limit allows: small reservations, so the limit counts what is used.
        .env("MIMALLOC_ARENA_RESERVE", "4MiB")
        // Freed memory back to the system at once: a picture's decoding buffers are freed
        // before Tesseract starts, and two readers with their Tesseracts run at once.
        .env("MIMALLOC_PURGE_DELAY", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            FileError::new(
                ErrorType::InternalError,
                format!("cannot start the PDF reader process: {e}"),
            )
        })?;
    let (status, out, err) = exchange(&mut child, bytes, deadline, u64::MAX, STDERR_KEPT);
    let Some(status) = status else {
        return Err(FileError::new(
            ErrorType::Timeout,
            "took longer than --file-timeout; the PDF reader was killed",
        ));
    };
    if status.success()
        && let Ok(reply) = serde_json::from_slice::<Reply>(&out)
    {
        return match reply {
            Reply::Read(info) => Ok(info),
            Reply::Failed {
                error_type,
                message,
            } => Err(FileError::new(error_type, message)),
        };
    }
    Err(crashed(status, &err, limits, picture))
}

/// The variables the reader child inherits, of the `parent`'s: what it and Tesseract need
/// (`PATH` to find `tesseract`, `TESSDATA_PREFIX` and `OMP_*` to tune it, the locale) and
/// nothing else. The child reads hostile bytes: were it subverted, it must find no database
/// password (`PGPASSWORD`), webhook token (`BATCHIMP_NOTIFY`) or other secret to leak.
fn child_env(
    parent: impl Iterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
) -> impl Iterator<Item = (std::ffi::OsString, std::ffi::OsString)> {
    parent.filter(|(name, _)| {
        let Some(name) = name.to_str() else {
            return false;
        };
        // Windows cannot start a process without SYSTEMROOT.
        matches!(
            name,
            "PATH" | "TESSDATA_PREFIX" | "LANG" | "LC_ALL" | "LC_CTYPE" | "SYSTEMROOT"
        ) || name.starts_with("OMP_")
            || (cfg!(debug_assertions) && name == FAULT)
    })
}

/// The error of a child that died without a reply.
fn crashed(
    status: std::process::ExitStatus,
    stderr: &str,
    limits: &Limits,
    picture: bool,
) -> FileError {
    let what = if picture { "picture" } else { "PDF" };
    let last = stderr.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
    if stderr.contains("memory allocation of") {
        return FileError::new(
            ErrorType::TooLarge,
            format!(
                "reading the {what} needs more than {} MiB of memory: {last}",
                limits.max_memory >> 20
            ),
        );
    }
    // SIGXCPU: past its CPU limit, which the wall clock normally reaches first.
    if signal(status) == Some(24) {
        return FileError::new(
            ErrorType::Timeout,
            "took longer than --file-timeout; the reader ran out of CPU time",
        );
    }
    let how = signal(status).map_or_else(
        || format!("exited with {status}"),
        |s| format!("was killed by signal {s}"),
    );
    let why = if stderr.contains("overflowed its stack") {
        " (stack overflow: nested too deep)".to_owned()
    } else if last.is_empty() {
        String::new()
    } else {
        format!(": {last}")
    };
    let error_type = if picture {
        ErrorType::ImageCorrupt
    } else {
        ErrorType::PdfCorrupt
    };
    FileError::new(
        error_type,
        format!("the {what} reader {how}{why}; the {what} is damaged or crafted to crash readers"),
    )
}

/// Be the PDF reader when this process was started as one (`batchimp __read-pdf ...`): the
/// exit code then; `None` for every other command line.
pub fn serve_if_asked() -> Option<ExitCode> {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() != Some(ARG) {
        return None;
    }
    let Some(Ok(request)) = args.next().map(|a| serde_json::from_str::<Request>(&a)) else {
        eprintln!("batchimp: {ARG} takes one request");
        return Some(ExitCode::from(2));
    };
    // Ctrl-C reaches the whole process group: the reader finishes its file, and the batch,
    // draining, records it (the parent's first Ctrl-C lets in-flight files finish).
    let _ = ctrlc::set_handler(|| {});
    let deadline = Instant::now() + Duration::from_millis(request.wall_ms);
    limit(request.limits.max_memory, request.cpu_seconds);
    // Compiled into debug builds only (the tests'): a release build has no switch that makes
    // it fail or leak on purpose.
    #[cfg(debug_assertions)]
    if let Ok(fault) = std::env::var(FAULT) {
        fail_on_purpose(&fault);
    }
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
        eprintln!("batchimp: cannot read the PDF from stdin: {e}");
        return Some(ExitCode::from(2));
    }
    let reply = match super::read_any(&bytes, &request.limits, &request.scan, deadline) {
        Ok(info) => Reply::Read(info),
        Err(e) => Reply::Failed {
            error_type: e.error_type,
            message: e.message,
        },
    };
    let mut out = std::io::stdout().lock();
    let written = serde_json::to_writer(&mut out, &reply).is_ok() && out.flush().is_ok();
    Some(ExitCode::from(if written { 0 } else { 2 }))
}

/// For the tests of the isolation only, in debug builds only: makes the reader child die the
/// ways PDF readers have died (`hang`, `abort`, `overflow` its stack, `oom`), since no PDF at
/// hand makes lopdf do so; `slow` reads after two seconds; `env` fails saying the names of the
/// variables the child was given.
pub const FAULT: &str = "BATCHIMP_TEST_PDF_READER_FAULT";

#[cfg(debug_assertions)]
fn fail_on_purpose(fault: &str) {
    fn deep(n: u64) -> u64 {
        let frame = std::hint::black_box([n; 64]);
        if n == 0 { 0 } else { deep(n - 1) + frame[1] }
    }
    match fault {
        "hang" => loop {
            std::thread::sleep(Duration::from_secs(1));
        },
        "slow" => std::thread::sleep(Duration::from_secs(2)),
        "abort" => std::process::abort(),
        "env" => {
            let mut names: Vec<String> = std::env::vars_os()
                .map(|(k, _)| k.to_string_lossy().into_owned())
                .collect();
            names.sort();
            eprintln!("environment: {}", names.join(" "));
            std::process::exit(3);
        }
        "overflow" => {
            std::hint::black_box(deep(u64::MAX));
        }
        "oom" => {
            // Twice the limit at most: a limit not in force ends the test, not the machine.
            // Zeroed blocks come untouched from the OS: the address-space limit stops them
            // without a gigabyte written first, which on a loaded machine took past the
            // test's deadline.
            let mut held = Vec::new();
            for _ in 0..32 {
                held.push(std::hint::black_box(vec![0u8; 64 << 20]));
            }
        }
        _ => {}
    }
}

/// Limit this process's address space and CPU time; where that is impossible the parent's
/// wall clock still holds.
#[cfg(unix)]
fn limit(bytes: u64, cpu_seconds: u64) {
    if let Err(e) = rlimit::setrlimit(rlimit::Resource::AS, bytes, bytes) {
        eprintln!("batchimp: cannot limit the PDF reader's memory: {e}");
    }
    if let Err(e) = rlimit::setrlimit(rlimit::Resource::CPU, cpu_seconds, cpu_seconds + 1) {
        eprintln!("batchimp: cannot limit the PDF reader's CPU time: {e}");
    }
}

#[cfg(not(unix))]
fn limit(_: u64, _: u64) {}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn pdf_reader_deaths_are_typed() {
        let limits = Limits::default();
        let killed = |signal: i32| std::process::ExitStatus::from_raw(signal);
        let e = crashed(
            killed(6),
            "memory allocation of 67108864 bytes failed\n",
            &limits,
            false,
        );
        assert_eq!(e.error_type, ErrorType::TooLarge);
        assert!(e.message.contains("1024 MiB"), "{}", e.message);
        let e = crashed(
            killed(6),
            "thread 'main' has overflowed its stack\n",
            &limits,
            false,
        );
        assert_eq!(e.error_type, ErrorType::PdfCorrupt);
        assert!(
            e.message.contains("signal 6 (stack overflow"),
            "{}",
            e.message
        );
        assert_eq!(
            crashed(killed(11), "", &limits, false).error_type,
            ErrorType::PdfCorrupt
        );
        assert_eq!(
            crashed(killed(11), "", &limits, true).error_type,
            ErrorType::ImageCorrupt
        );
        assert_eq!(
            crashed(killed(24), "", &limits, false).error_type,
            ErrorType::Timeout
        );
        // A panic: exit status 101.
        let e = crashed(
            std::process::ExitStatus::from_raw(101 << 8),
            "panicked at x\n",
            &limits,
            false,
        );
        assert_eq!(e.error_type, ErrorType::PdfCorrupt);
        assert!(e.message.contains("panicked at x"), "{}", e.message);
    }
}
