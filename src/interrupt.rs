//! Ctrl-C. The first press asks the run to stop taking new files: in-flight files finish, the
//! open transaction commits, the batch is marked `cancelled` and its report written. A second
//! press exits at once; the database rolls back the open transaction, so the ledger stays true.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Exit status after an interrupt (128 + SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Install the handler (once per process; later calls do nothing).
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        if REQUESTED.swap(true, Ordering::SeqCst) {
            eprintln!(
                "\nbatchimp: interrupted again; exiting now (uncommitted files will be redone by resume)"
            );
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
        eprintln!(
            "\nbatchimp: interrupted; finishing the files in progress (Ctrl-C again to exit now)"
        );
    });
}

/// Whether the user asked to stop.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}
