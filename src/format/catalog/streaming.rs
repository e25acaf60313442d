//! Streaming a catalog: rows read and validated on a thread of their own into chunks of flat
//! cells, handed to the writer a chunk at a time, so that memory stays flat whatever the
//! catalog's size.

use super::chunk::Chunk;
use super::rows::{self, Row};
use super::validate::validate;
use super::{Header, Layout, tally, xlsx};
use crate::error::{ErrorType, FileError};
use std::collections::BTreeMap;
use std::io::{Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Rows handed to the writer at once...
pub const CHUNK_ROWS: usize = 4096;
/// ... or fewer when their text reaches this (rows can be long: up to a MiB each).
const CHUNK_TEXT: usize = 8 << 20;

/// Where a catalog's bytes are when the writer streams it.
#[derive(Debug)]
pub enum Data {
    /// Read whole by a worker (a ZIP member, or a file within `--max-file-size`).
    Bytes(Vec<u8>),
    /// Too large to hold: read again from disk while streaming.
    File(PathBuf),
}

/// A catalog recognised by a worker, to be streamed by the writer.
#[derive(Debug)]
pub struct Load {
    pub header: Header,
    pub data: Data,
    /// Counts the rows read as they are read (the progress bar shows it).
    pub rows_read: Arc<AtomicU64>,
}

impl Load {
    pub fn new(header: Header, data: Data) -> Load {
        Load {
            header,
            data,
            rows_read: Arc::default(),
        }
    }
}

/// What streaming a catalog found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Rows that passed validation (and were written).
    pub rows: u64,
    /// Rows rejected, by error type.
    pub rejected: BTreeMap<ErrorType, u64>,
    /// How the rows written met the stored products; counted by the writer.
    pub tally: tally::Tally,
}

impl Summary {
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }
}

/// Chunks between the reader and the writer: enough for each to work while the other does.
const CHUNKS_IN_FLIGHT: usize = 4;

/// Stream a catalog: a helper thread reads and validates rows, [`CHUNK_ROWS`] at a time, while
/// `write` takes each chunk on the calling thread (the writer, which owns the database).
/// `file_id` fills every row's `file_id`.
///
/// `Err`: `write` failed, and streaming stopped. `Ok(Err)`: the catalog could not be read to its
/// end (an I/O error, rows with no valid one among them); what `write` took must be undone.
pub fn stream<E>(
    load: &Load,
    file_id: i64,
    write: &mut dyn FnMut(&Chunk) -> Result<(), E>,
) -> Result<Result<Summary, FileError>, E> {
    std::thread::scope(|s| {
        let (full_tx, full_rx) = crossbeam_channel::bounded::<Chunk>(CHUNKS_IN_FLIGHT);
        // Written chunks go back to the reader, which refills them.
        let (empty_tx, empty_rx) = crossbeam_channel::bounded::<Chunk>(CHUNKS_IN_FLIGHT + 1);
        let reader = std::thread::Builder::new()
            .name("batchimp-catalog".into())
            .spawn_scoped(s, move || {
                let mut fresh = || empty_rx.try_recv().unwrap_or_default();
                read(load, file_id, &mut fresh, &mut |c| full_tx.send(c).is_ok())
            });
        let reader = match reader {
            Ok(r) => r,
            Err(e) => {
                return Ok(Err(FileError::new(
                    ErrorType::IoError,
                    format!("cannot start a thread to read the catalog: {e}"),
                )));
            }
        };
        let mut written = Ok(());
        for chunk in full_rx.iter() {
            written = write(&chunk);
            if written.is_err() {
                break;
            }
            let _ = empty_tx.try_send(chunk);
        }
        // Dropping the receiver stops the reader at its next chunk.
        drop(full_rx);
        let read = reader.join().unwrap_or_else(|panic| {
            Err(FileError::new(
                ErrorType::InternalError,
                format!("batchimp bug: the catalog reader panicked: {panic:?}"),
            ))
        });
        written.map(|()| read)
    })
}

/// Read and validate a catalog's rows into chunks from `fresh`, handing each to `send` once it
/// holds [`CHUNK_ROWS`] rows (or [`CHUNK_TEXT`] bytes of text), until `send` returns false.
pub fn read(
    load: &Load,
    file_id: i64,
    fresh: &mut dyn FnMut() -> Chunk,
    send: &mut dyn FnMut(Chunk) -> bool,
) -> Result<Summary, FileError> {
    let header = &load.header;
    if let Some(e) = header.missing_columns() {
        return Err(e);
    }
    let mut summary = Summary::default();
    let mut chunk = fresh();
    chunk.clear();
    let mut stopped = false;
    let mut take = |row: &Row| -> bool {
        if row.is_blank() {
            return true;
        }
        match validate(header, row, file_id, &mut chunk) {
            Ok(()) => summary.rows += 1,
            Err(reject) => {
                *summary.rejected.entry(reject.error_type).or_default() += 1;
                chunk.rejects.push(reject);
            }
        }
        if chunk.rows() + chunk.rejects.len() >= CHUNK_ROWS || chunk.text.len() >= CHUNK_TEXT {
            let rows = chunk.rows() + chunk.rejects.len();
            load.rows_read.fetch_add(rows as u64, Ordering::Relaxed);
            let full = std::mem::replace(&mut chunk, fresh());
            if !send(full) {
                stopped = true;
                return false;
            }
            chunk.clear();
        }
        true
    };
    match &header.layout {
        &Layout::Csv { delimiter, body } => {
            let io = |e: std::io::Error| {
                FileError::new(ErrorType::IoError, format!("cannot read the catalog: {e}"))
            };
            match &load.data {
                Data::Bytes(bytes) => {
                    let input = &bytes[(body as usize).min(bytes.len())..];
                    rows::csv(input, delimiter, header.line + 1, &mut take)?;
                }
                Data::File(path) => {
                    let mut file = std::fs::File::open(path).map_err(io)?;
                    file.seek(SeekFrom::Start(body)).map_err(io)?;
                    rows::csv(file, delimiter, header.line + 1, &mut take)?;
                }
            }
        }
        Layout::Sheet { name } => xlsx::rows(&load.data, name, header, &mut take)?,
    }
    if stopped {
        return Ok(summary);
    }
    let rows = chunk.rows() + chunk.rejects.len();
    load.rows_read.fetch_add(rows as u64, Ordering::Relaxed);
    if !chunk.is_empty() && !send(chunk) {
        return Ok(summary);
    }
    if summary.rows == 0 && summary.rejected_total() > 0 {
        return Err(FileError::new(
            ErrorType::CatalogNoValidRows,
            format!(
                "none of its {} rows is valid ({})",
                summary.rejected_total(),
                describe_rejected(&summary.rejected)
            ),
        ));
    }
    Ok(summary)
}

/// `missing_sku: 3, bad_price: 1`, for messages.
pub fn describe_rejected(rejected: &BTreeMap<ErrorType, u64>) -> String {
    rejected
        .iter()
        .map(|(t, n)| format!("{t}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
