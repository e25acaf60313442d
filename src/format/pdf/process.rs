//! Talking to a child process (the PDF reader, Tesseract) under a deadline: its stdin written
//! and its stdout and stderr drained on threads of their own, its exit awaited until the
//! deadline, then killed.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// Write `input` to a child's stdin and read its stdout (at most `out_kept` bytes) and stderr
/// (at most `err_kept`) until it exits or `deadline` passes (then it is killed: `None`).
/// The pipes are drained by threads of their own: a child blocked writing a full pipe would
/// otherwise look hung. A child that dies early makes the write fail: ignored.
pub(crate) fn exchange(
    child: &mut std::process::Child,
    input: &[u8],
    deadline: Instant,
    out_kept: u64,
    err_kept: u64,
) -> (Option<std::process::ExitStatus>, Vec<u8>, String) {
    let (mut stdin, stdout, stderr) = (
        child.stdin.take().expect("piped"),
        child.stdout.take().expect("piped"),
        child.stderr.take().expect("piped"),
    );
    std::thread::scope(|s| {
        s.spawn(move || {
            let _ = stdin.write_all(input);
        });
        let out = s.spawn(move || {
            let mut out = Vec::new();
            let _ = stdout.take(out_kept).read_to_end(&mut out);
            out
        });
        let err = s.spawn(move || {
            let mut err = String::new();
            let _ = stderr.take(err_kept).read_to_string(&mut err);
            err
        });
        let status = wait(child, deadline);
        (
            status,
            out.join().unwrap_or_default(),
            err.join().unwrap_or_default(),
        )
    })
}

/// Wait for the child until `deadline`; `None` (the child killed) past it. Polls: a short
/// sleep first (most PDFs take a few milliseconds), growing to 20 ms.
pub(crate) fn wait(
    child: &mut std::process::Child,
    deadline: Instant,
) -> Option<std::process::ExitStatus> {
    let mut nap = Duration::from_micros(500);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(nap);
                nap = (nap * 2).min(Duration::from_millis(20));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

#[cfg(unix)]
pub(crate) fn signal(status: std::process::ExitStatus) -> Option<i32> {
    std::os::unix::process::ExitStatusExt::signal(&status)
}

#[cfg(not(unix))]
pub(crate) fn signal(_: std::process::ExitStatus) -> Option<i32> {
    None
}
