//! Live progress on stderr: an indicatif bar with files done/total, files/s, ETA and the counts
//! by status, drawn only on a terminal and never with `--quiet`. Messages printed during a run go
//! through here so they do not tear the bar.

use crate::ledger::Counts;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The bar being drawn, if any: log lines are printed above it (see [`eprint_above`]).
static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Print a line on stderr above the progress bar (plainly without one).
pub fn eprint_above(msg: &str) {
    let bar = BAR.lock().map(|b| b.clone()).unwrap_or(None);
    match bar {
        Some(bar) => bar.suspend(|| eprintln!("{msg}")),
        None => eprintln!("{msg}"),
    }
}

pub struct Progress {
    bar: Option<ProgressBar>,
    counts: Mutex<Counts>,
    /// Catalog rows read so far, counted by the catalog reader as it streams.
    rows: Arc<AtomicU64>,
}

impl Progress {
    /// A bar when `visible`; otherwise a silent counter.
    pub fn new(visible: bool) -> Progress {
        let rows = Arc::new(AtomicU64::new(0));
        let shown = Arc::clone(&rows);
        let bar = visible.then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
            // One line whatever the terminal's width: the counts by status are cut to what is
            // left (`wide_msg`), and below 100 columns the bar itself goes.
            let columns = console::Term::stderr().size_checked().map_or(80, |(_, c)| c);
            let template = if columns >= 100 {
                "{spinner} {elapsed} [{bar:20}] {human_pos}/{human_len} {files} {rate} ETA {eta}{rows} | {wide_msg}"
            } else {
                "{spinner} {elapsed} {human_pos}/{human_len} {files} {rate} ETA {eta}{rows} | {wide_msg}"
            };
            bar.set_style(
                ProgressStyle::with_template(template)
                .expect("valid template")
                .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0}/s", s.per_sec());
                })
                .with_key("files", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = w.write_str(if s.len() == Some(1) { "file" } else { "files" });
                })
                .with_key("rows", move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let n = shown.load(Ordering::Relaxed);
                    if n > 0 {
                        let noun = if n == 1 { "row" } else { "rows" };
                        let _ = write!(w, ", {} {noun}", indicatif::HumanCount(n));
                    }
                })
                .progress_chars("=> "),
            );
            // Redrawn while nothing else moves it: a catalog of millions of rows is one file.
            bar.enable_steady_tick(Duration::from_millis(250));
            if let Ok(mut shared) = BAR.lock() {
                *shared = Some(bar.clone());
            }
            bar
        });
        Progress {
            bar,
            counts: Mutex::new(Counts::default()),
            rows,
        }
    }

    /// The counter catalog readers add their rows to.
    pub fn rows(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.rows)
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
            // Failures first: on a narrow terminal the end of the line is what is cut, and the
            // failed count is the one a person watches for.
            bar.set_message(format!(
                "{} failed, {} imported, {} duplicate, {} unsupported",
                counts.failed, counts.imported, counts.duplicate, counts.unsupported
            ));
        }
    }

    pub fn counts(&self) -> Counts {
        *self.counts.lock().expect("not poisoned")
    }

    /// Remove the bar; the final summary line replaces it.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            if let Ok(mut shared) = BAR.lock() {
                *shared = None;
            }
            bar.finish_and_clear();
        }
    }
}
