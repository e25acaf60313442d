//! Live progress on stderr: an indicatif bar with files done/total, files/s, ETA and the counts
//! by status, drawn only on a terminal and never with `--quiet`. Messages printed during a run go
//! through here so they do not tear the bar.

use crate::ledger::Counts;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::sync::Mutex;

pub struct Progress {
    bar: Option<ProgressBar>,
    counts: Mutex<Counts>,
}

impl Progress {
    /// A bar when `visible`; otherwise a silent counter.
    pub fn new(visible: bool) -> Progress {
        let bar = visible.then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {elapsed} [{bar:24}] {human_pos}/{human_len} files {rate} ETA {eta} | {msg}",
                )
                .expect("valid template")
                .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0}/s", s.per_sec());
                })
                .progress_chars("=> "),
            );
            bar
        });
        Progress {
            bar,
            counts: Mutex::new(Counts::default()),
        }
    }

    /// Whether a bar is drawn.
    pub fn is_visible(&self) -> bool {
        self.bar.is_some()
    }

    /// The number of files the walk will produce, once known.
    pub fn set_total(&self, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total.max(bar.position()));
        }
    }

    /// Files done (committed), by status.
    pub fn add(&self, done: Counts) {
        let mut counts = self.counts.lock().expect("not poisoned");
        counts.merge(&done);
        if let Some(bar) = &self.bar {
            let n = done.files();
            if bar.length().is_some_and(|len| bar.position() + n > len) {
                bar.set_length(bar.position() + n);
            }
            bar.inc(n);
            bar.set_message(format!(
                "{} imported, {} duplicate, {} failed, {} unsupported",
                counts.imported, counts.duplicate, counts.failed, counts.unsupported
            ));
        }
    }

    /// Print a line above the bar (or plainly to stderr without one).
    pub fn println(&self, msg: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{msg}")),
            None => eprintln!("{msg}"),
        }
    }

    pub fn counts(&self) -> Counts {
        *self.counts.lock().expect("not poisoned")
    }

    /// Remove the bar; the final summary line replaces it.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
