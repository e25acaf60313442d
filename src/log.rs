//! Logs: what a run did, as events (`batch_started`, `file_failed`, `file_retried`,
//! `database_retry`, `batch_completed`...), through `tracing`. Text for people (`batchimp: ...`
//! lines on stderr, printed above the progress bar, never through it), or JSON lines for
//! machines (`--log-format json`: `timestamp`, `level`, `event`, `batch_id`, and `path`,
//! `error_type`, `error` where they apply), to stderr or `--log-file`.
//!
//! How much: failures and warnings by default, every batch and retry with `-v`, every file with
//! `-vv`; JSON logs and `--log-file` also carry the batch's start and end by default. `-q`
//! keeps failures only on stderr; a log file keeps its start and end lines under `-q` too.

use crate::progress;
use anyhow::{Context, Result};
use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// `batchimp: ...` lines, for people.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Where logs go and how much of them.
#[derive(Debug, Clone, Default)]
pub struct LogConfig {
    pub format: LogFormat,
    pub file: Option<PathBuf>,
    /// `-q` is -1, nothing 0, `-v` 1, `-vv` 2.
    pub verbosity: i8,
}

impl LogConfig {
    /// The most detailed level logged.
    ///
    /// A `--log-file` holds at least the batch's start and end besides its failures, whatever
    /// `-q` does: `-q` quiets the terminal, and a collector reading the file must tell a run
    /// that went fine from one that never ran. `-vv` still adds every file.
    fn level(&self) -> Level {
        let mut base = i16::from(self.verbosity) + i16::from(self.format == LogFormat::Json);
        if self.file.is_some() {
            base = base.max(1);
        }
        match base {
            i16::MIN..=0 => Level::WARN,
            1 => Level::INFO,
            2 => Level::DEBUG,
            _ => Level::TRACE,
        }
    }

    /// Whether an event at `level` is printed on stderr as a text line (`batchimp: ...`): then
    /// a line the same as the event's is not printed a second time.
    pub fn text_on_stderr(&self, level: Level) -> bool {
        self.file.is_none() && self.format == LogFormat::Text && level <= self.level()
    }

    /// Whether the end-of-run summary line goes to stderr as plain text too: not when JSON
    /// lines go there (the `batch_completed` event is the summary).
    pub fn plain_summary(&self) -> bool {
        self.format == LogFormat::Text || self.file.is_some()
    }
}

/// A file's failure (`file_failed`): `failed: PATH (TYPE): MESSAGE`. Logged where it is found:
/// by the writer for what the parse found, by the sink for what fails as it is written.
pub fn file_failed(batch: i64, path: &str, error_type: crate::error::ErrorType, message: &str) {
    tracing::warn!(
        event = "file_failed",
        batch_id = batch,
        path,
        error_type = error_type.as_str(),
        error = message,
        "failed: {path} ({error_type}): {message}"
    );
}

/// Install the logger for this process. Called once, before a batch runs.
pub fn init(config: &LogConfig) -> Result<()> {
    let level = config.level();
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(false);
    let result = match (&config.file, config.format) {
        (Some(path), format) => {
            let file = Mutex::new(open_log_file(path)?);
            match format {
                LogFormat::Json => builder
                    .json()
                    .flatten_event(true)
                    .with_target(false)
                    .with_current_span(false)
                    .with_span_list(false)
                    .with_writer(file)
                    .try_init(),
                LogFormat::Text => builder
                    .event_format(Plain {
                        timestamps: true,
                        no_retries: false,
                    })
                    .with_writer(file)
                    .try_init(),
            }
        }
        (None, LogFormat::Json) => builder
            .json()
            .flatten_event(true)
            .with_target(false)
            .with_current_span(false)
            .with_span_list(false)
            .with_writer(AboveTheBar)
            .try_init(),
        (None, LogFormat::Text) => builder
            .event_format(Plain {
                timestamps: false,
                no_retries: config.verbosity < 0,
            })
            .with_writer(AboveTheBar)
            .try_init(),
    };
    // A second init in one process (tests of the library) keeps the first logger.
    let _ = result;
    Ok(())
}

/// Open `--log-file` for appending, creating it. A symbolic link there is refused, not
/// followed: a link planted where the log goes must not make batchimp append to its target.
fn open_log_file(path: &std::path::Path) -> Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
    let opened = options.open(path);
    #[cfg(unix)]
    if matches!(&opened, Err(e) if e.raw_os_error() == Some(libc::ELOOP)) {
        anyhow::bail!(
            "cannot open log file {}: it is a symbolic link, which batchimp does not write through (remove it or name the file it points to)",
            crate::printable::escape(&path.display().to_string())
        );
    }
    opened.with_context(|| format!("cannot open log file {}", path.display()))
}

/// Whether text log lines on stderr may be colored (`--color`, `NO_COLOR`, a terminal).
static COLOR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn set_color(on: bool) {
    COLOR.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// `batchimp: <message>` (with the time first in a log file).
struct Plain {
    timestamps: bool,
    /// Leave out [`RETRY`] events (`-q` on the terminal: a retry that worked needs no look,
    /// and one that did not ends in an error that is printed).
    no_retries: bool,
}

/// The target of the events that say a database request is being retried.
pub const RETRY: &str = "batchimp::retry";

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if self.no_retries && event.metadata().target() == RETRY {
            return Ok(());
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        if self.timestamps {
            write!(writer, "{} ", crate::time::now_rfc3339())?;
        }
        // Messages say what they are (`failed: ...`, `cannot commit ...`); errors say so.
        let level = match *event.metadata().level() {
            Level::ERROR => "error: ",
            _ => "",
        };
        // One event, one line: a name holding a newline or an escape sequence (from a ZIP,
        // say) is shown escaped, never acted on by the terminal or forging a line.
        let text = crate::printable::escape(&message.0);
        // On a terminal that takes color, a failure stands out in red.
        let colored = !self.timestamps && COLOR.load(std::sync::atomic::Ordering::Relaxed);
        match text.strip_prefix("failed: ") {
            Some(rest) if colored => {
                writeln!(writer, "batchimp: {level}\x1b[31mfailed:\x1b[0m {rest}")
            }
            _ => writeln!(writer, "batchimp: {level}{text}"),
        }
    }
}

/// The `message` field of an event.
struct Message(String);

impl tracing::field::Visit for Message {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            self.0 = value.to_owned();
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

/// stderr, each line printed above the progress bar when one is drawn.
struct AboveTheBar;

impl<'a> MakeWriter<'a> for AboveTheBar {
    type Writer = LineBuffer;

    fn make_writer(&'a self) -> LineBuffer {
        LineBuffer(Vec::new())
    }
}

/// One event's text, printed whole when dropped.
struct LineBuffer(Vec<u8>);

impl Write for LineBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineBuffer {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            let text = String::from_utf8_lossy(&self.0);
            progress::eprint_above(text.trim_end_matches('\n'));
        }
    }
}
