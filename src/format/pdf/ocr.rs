//! Text from pixels, by Tesseract (`tesseract-ocr` and its language packs), run as a child
//! process: given the page as a PGM on its stdin, it answers a TSV of words with their boxes
//! and confidences on its stdout. The words are put back into lines by their positions (as
//! the PDF text is), so a label and its value stay on one line, and the page's mean word
//! confidence is kept.
//!
//! Tesseract is optional: where it is not installed a scan still gets its codes
//! ([`Ocr::Missing`]), and the batch says once how to install it. It runs with the file's
//! deadline and a memory limit: a hang is the file's `timeout`, a crash its `ocr_failed`.

use super::pixels::Pixels;
use crate::error::{ErrorType, FileError};
use serde::{Deserialize, Serialize};
use std::process::{Command, Stdio};
use std::time::Instant;

/// When pages are OCR'd (`--ocr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Pages without a text layer (scans, photos), when Tesseract is installed.
    #[default]
    Auto,
    /// Every page, a PDF's text pages too (their text layer is then replaced).
    Always,
    /// No page: codes only.
    Never,
}

/// What the OCR of a page gave.
#[derive(Debug)]
pub enum Ocr {
    Read {
        text: String,
        confidence: f32,
    },
    /// Tesseract is not installed (not on PATH).
    Missing,
    /// Tesseract ran but could not read the page (a language pack missing, say): why.
    Unavailable(String),
}

/// Why a scan was read for its codes only, where Tesseract is not installed.
pub const MISSING: &str = "tesseract is not installed";

/// Most bytes of Tesseract's output and error kept.
const OUTPUT_KEPT: u64 = 16 << 20;

/// OCR one page with Tesseract (`lang`: `por+spa+eng`), killed at `deadline`, its address
/// space limited to `max_memory`. `dpi` is the page's resolution, which Tesseract needs to
/// judge character sizes.
pub fn ocr(
    page: &Pixels,
    dpi: u32,
    lang: &str,
    deadline: Instant,
    max_memory: u64,
) -> Result<Ocr, FileError> {
    let spawned = Command::new("tesseract")
        .args(["stdin", "stdout", "--dpi", &dpi.to_string(), "-l", lang])
        .args(["--psm", "3", "tsv"])
        // One thread: batchimp already runs a reader a worker.
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Ocr::Missing),
        Err(e) => {
            return Err(FileError::new(
                ErrorType::OcrFailed,
                format!("cannot start tesseract: {e}"),
            ));
        }
    };
    limit(child.id(), max_memory, deadline);
    let pgm = page.to_pgm();
    let (status, out, err) =
        super::process::exchange(&mut child, &pgm, deadline, OUTPUT_KEPT, 4096);
    let Some(status) = status else {
        return Err(FileError::new(
            ErrorType::Timeout,
            "took longer than --file-timeout; tesseract was killed",
        ));
    };
    let last = err.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
    if !status.success() {
        if let Some(signal) = super::process::signal(status) {
            let why = if signal == 24 {
                return Err(FileError::new(
                    ErrorType::Timeout,
                    "took longer than --file-timeout; tesseract ran out of CPU time",
                ));
            } else if err.contains("std::bad_alloc") || err.contains("alloc") {
                format!(" (out of its {} MiB of memory)", max_memory >> 20)
            } else {
                String::new()
            };
            return Err(FileError::new(
                ErrorType::OcrFailed,
                format!("tesseract was killed by signal {signal}{why}: {last}"),
            ));
        }
        return Ok(Ocr::Unavailable(format!("tesseract {status}: {last}")));
    }
    let (text, confidence) = lines(&String::from_utf8_lossy(&out));
    Ok(Ocr::Read { text, confidence })
}

/// Limit Tesseract's address space and CPU time, as the PDF reader's are: set on the running
/// child (no code runs between fork and exec in batchimp). Best effort: the deadline holds.
#[cfg(target_os = "linux")]
fn limit(pid: u32, max_memory: u64, deadline: Instant) {
    let Ok(pid) = i32::try_from(pid) else { return };
    let cpu = deadline.saturating_duration_since(Instant::now()).as_secs() + 2;
    let _ = rlimit::prlimit(
        pid,
        rlimit::Resource::AS,
        Some((max_memory, max_memory)),
        None,
    );
    let _ = rlimit::prlimit(pid, rlimit::Resource::CPU, Some((cpu, cpu + 1)), None);
}

#[cfg(not(target_os = "linux"))]
fn limit(_: u32, _: u64, _: Instant) {}

/// One word of Tesseract's TSV.
struct Word<'a> {
    left: i64,
    top: i64,
    width: i64,
    height: i64,
    text: &'a str,
}

/// The words of a TSV put back into lines by position (top to bottom, left to right, a wide
/// gap kept as several spaces so columns stay apart), and the mean confidence of its words.
pub fn lines(tsv: &str) -> (String, f32) {
    let mut words = Vec::new();
    let (mut conf_sum, mut conf_n) = (0f64, 0u32);
    for line in tsv.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 12 || f[0] != "5" {
            continue;
        }
        let text = f[11].trim();
        let num = |i: usize| f[i].trim().parse::<f64>().unwrap_or(-1.0);
        if text.is_empty() {
            continue;
        }
        let conf = num(10);
        if conf >= 0.0 {
            conf_sum += conf;
            conf_n += 1;
        }
        words.push(Word {
            left: num(6) as i64,
            top: num(7) as i64,
            width: num(8) as i64,
            height: num(9).max(1.0) as i64,
            text,
        });
    }
    words.sort_by_key(|w| (w.top + w.height / 2, w.left));
    // Lines: a word joins the current line when its middle is within the line's band.
    let mut rows: Vec<Vec<&Word>> = Vec::new();
    for w in &words {
        let middle = w.top + w.height / 2;
        match rows.last_mut() {
            Some(row)
                if {
                    let top = row.iter().map(|w| w.top).min().unwrap_or(0);
                    let bottom = row.iter().map(|w| w.top + w.height).max().unwrap_or(0);
                    middle >= top && middle <= bottom
                } =>
            {
                row.push(w)
            }
            _ => rows.push(vec![w]),
        }
    }
    let mut text = String::new();
    for mut row in rows {
        row.sort_by_key(|w| w.left);
        let mut end = None;
        for w in row {
            if let Some(end) = end {
                // A gap wider than two character heights: a column apart.
                let gap = w.left - end;
                text.push_str(if gap > 2 * w.height { "    " } else { " " });
            }
            text.push_str(w.text);
            end = Some(w.left + w.width);
        }
        text.push('\n');
    }
    let confidence = if conf_n == 0 {
        0.0
    } else {
        (conf_sum / f64::from(conf_n)) as f32
    };
    (text.trim_end().to_owned(), confidence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_words_become_lines_by_position() {
        // Two blocks Tesseract reads apart (a label column and a value column), on one line.
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
            5\t1\t1\t1\t1\t1\t100\t100\t80\t20\t96.5\tTotal:\n\
            5\t1\t1\t1\t2\t1\t100\t140\t80\t20\t90\tDate:\n\
            5\t1\t2\t1\t1\t1\t600\t102\t90\t20\t93.5\t1.234,56\n\
            5\t1\t2\t1\t2\t1\t600\t141\t90\t20\t-1\t\n\
            4\t1\t2\t1\t2\t0\t600\t141\t90\t20\t-1\t\n";
        let (text, conf) = lines(tsv);
        assert_eq!(text, "Total:    1.234,56\nDate:");
        assert!((conf - 93.333).abs() < 0.01, "{conf}");
    }
}
