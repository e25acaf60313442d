//! Mexico's SAT metadata (Descarga Masiva): text separated by `~`, one line per CFDI issued or
//! received, with its header `Uuid~RfcEmisor~NombreEmisor~RfcReceptor~NombreReceptor~RfcPac~
//! FechaEmision~FechaCertificacionSat~Monto~EfectoComprobante~Estatus~FechaCancelacion` (newer
//! files add `RfcACuentaTerceros~NombreACuentaTerceros`), usually inside the ZIP the SAT
//! hands out. Recognised by that header, whatever the file's name. Kind `sat_metadata`.
//!
//! Each line is a row of `cfdi_metadata`, keyed by its UUID (upper case, as `cfdi` stores
//! it): the list of what exists, to compare with the CFDI downloaded. A later file that says a
//! UUID was cancelled (`Estatus` 0) updates its status and date (the table's `enrich`), and a
//! cancelled UUID marks the stored CFDI `cancelado` with its date, whichever arrives first.
//! A line that cannot be read (a UUID that is not one, a field count other than the header's,
//! an amount that is not a number, a value too long for its column) is left out and recorded,
//! with its line number and error type, in `rejected_rows`, as a catalog's rejected rows are
//! (the file's warning names the first few); a file with no line to keep fails. The package's
//! separate third-party list (`Uuid~RfcACuentaTerceros~NombreACuentaTerceros`) goes to
//! `cfdi_metadata_tercero`.

use super::{AfterWrite, ColType, Doc, Format, Lines, Outcome, ParseOptions, Parsed, Reject};
use super::{Sniff, Source, Table, Value, col, typed};
use crate::error::{ErrorType, FileError};

use ColType::{Integer as I, Numeric as N, Text as T};

/// The kind name.
pub const KIND: &str = "sat_metadata";

/// Marks a stored CFDI cancelled, with the date the metadata gives, when a metadata line says
/// so. Run after a CFDI is written and after metadata is, so their order does not matter.
const MARK_CANCELLED: &str = "UPDATE cfdi SET cancelado = 1, fecha_cancelacion = (
        SELECT m.fecha_cancelacion FROM cfdi_metadata m WHERE m.uuid = cfdi.uuid)
    WHERE uuid {keys} AND cancelado IS NULL AND EXISTS (
        SELECT 1 FROM cfdi_metadata m WHERE m.uuid = cfdi.uuid AND m.cancelado = 1)";

/// After a CFDI is written: the metadata stored before it that cancels it.
pub const CANCELLED_BY_EARLIER_METADATA: AfterWrite = AfterWrite {
    sql: MARK_CANCELLED,
    reads: "cfdi_metadata",
};

/// `cfdi_metadata`: one row per UUID.
pub static CFDI_METADATA: Table = Table {
    name: "cfdi_metadata",
    columns: &[
        col("uuid", T),
        col("rfc_emisor", T),
        col("nombre_emisor", T),
        col("rfc_receptor", T),
        col("nombre_receptor", T),
        col("rfc_pac", T),
        col("fecha_emision", T),
        col("fecha_certificacion_sat", T),
        col("monto", N),
        col("efecto_comprobante", T),
        col("estatus", I),
        col("fecha_cancelacion", T),
        col("rfc_a_cuenta_terceros", T),
        col("nombre_a_cuenta_terceros", T),
        // 1 when `estatus` is 0, else NULL: what a later file fills in.
        col("cancelado", I),
        col("line", I),
        col("path", T),
        col("sha256", T),
    ],
    primary_key: &["uuid"],
    indexed: &["rfc_emisor", "rfc_receptor"],
    enrich: &["cancelado", "estatus", "fecha_cancelacion", "line"],
    after_write: &[AfterWrite {
        sql: MARK_CANCELLED,
        reads: "cfdi",
    }],
    ..Table::BASE
};

/// `cfdi_metadata_tercero`: the package's separate list of the third parties on whose
/// behalf a CFDI was issued (`Uuid~RfcACuentaTerceros~NombreACuentaTerceros`, the
/// `_tercero.txt` beside the metadata), one row per UUID.
pub static CFDI_METADATA_TERCERO: Table = Table {
    name: "cfdi_metadata_tercero",
    columns: &[
        col("uuid", T),
        col("rfc_a_cuenta_terceros", T),
        col("nombre_a_cuenta_terceros", T),
        col("line", I),
        col("path", T),
        col("sha256", T),
    ],
    primary_key: &["uuid"],
    ..Table::BASE
};

static TABLES: &[&Table] = &[&CFDI_METADATA, &CFDI_METADATA_TERCERO];

/// The tables a file's header may start a list of, by the header's first names.
const STARTS: &[(&[u8], &Table)] = &[
    (b"uuid~rfcemisor~", &CFDI_METADATA),
    (b"uuid~rfcacuentaterceros~", &CFDI_METADATA_TERCERO),
];

/// The table whose list these bytes start.
fn table_of(bytes: &[u8]) -> Option<&'static Table> {
    let b = body(bytes);
    STARTS
        .iter()
        .find(|(start, _)| b.len() >= start.len() && b[..start.len()].eq_ignore_ascii_case(start))
        .map(|(_, t)| *t)
}

/// Header names (lower case) and their columns.
const HEADER: &[(&str, &str)] = &[
    ("uuid", "uuid"),
    ("rfcemisor", "rfc_emisor"),
    ("nombreemisor", "nombre_emisor"),
    ("rfcreceptor", "rfc_receptor"),
    ("nombrereceptor", "nombre_receptor"),
    ("rfcpac", "rfc_pac"),
    ("fechaemision", "fecha_emision"),
    ("fechacertificacionsat", "fecha_certificacion_sat"),
    ("monto", "monto"),
    ("efectocomprobante", "efecto_comprobante"),
    ("estatus", "estatus"),
    ("fechacancelacion", "fecha_cancelacion"),
    ("rfcacuentaterceros", "rfc_a_cuenta_terceros"),
    ("nombreacuentaterceros", "nombre_a_cuenta_terceros"),
];

/// How many rejected lines the warning names.
const NAMED: usize = 10;

/// The SAT metadata format.
pub struct SatMetadata;

/// The text after a UTF-8 BOM.
fn body(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

impl Format for SatMetadata {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn tables(&self) -> &'static [&'static Table] {
        TABLES
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        sniff.generic_kind == "text" && table_of(sniff.bytes).is_some()
    }

    fn parse(&self, sniff: &Sniff, src: &Source, _opts: &ParseOptions) -> Parsed {
        read(sniff, src).map(|lines| lines.docs)
    }

    fn outcome(&self, sniff: &Sniff, src: &Source, _opts: &ParseOptions) -> Outcome {
        match read(sniff, src) {
            Ok(lines) => Outcome::Lines(lines),
            Err(e) => Outcome::Failed(e),
        }
    }
}

/// The file's lines: the documents of those kept, and those rejected.
fn read(sniff: &Sniff, src: &Source) -> Result<Lines, FileError> {
    let text = String::from_utf8_lossy(body(sniff.bytes));
    let lines = split_lines(&text);
    let t = table_of(sniff.bytes).unwrap_or(&CFDI_METADATA);
    let mut lines = lines.into_iter().enumerate();
    let Some((_, header)) = lines.next() else {
        return Err(no_valid_rows(0));
    };
    // Each field's column; `None`: a column batchimp does not read.
    let columns: Vec<Option<usize>> = header
        .split('~')
        .map(|h| {
            let h = h.trim().to_ascii_lowercase();
            HEADER
                .iter()
                .find(|(n, c)| *n == h && t.has(c))
                .map(|(_, c)| t.col(c))
        })
        .collect();
    let mut docs = Vec::new();
    let mut rejected: Vec<(usize, FileError)> = Vec::new();
    for (i, line) in lines {
        if i % 4096 == 0 {
            src.check_deadline()?;
        }
        if line.trim().is_empty() {
            continue;
        }
        match read_line(t, &line, i + 1, &columns, src) {
            Ok(doc) => docs.push(doc),
            Err(e) => rejected.push((i + 1, e)),
        }
    }
    if docs.is_empty() {
        return Err(no_valid_rows(rejected.len()));
    }
    if !rejected.is_empty() {
        let mut named: Vec<String> = rejected
            .iter()
            .take(NAMED)
            .map(|(n, e)| format!("line {n}: {e}"))
            .collect();
        if rejected.len() > NAMED {
            named.push(format!("and {} more", rejected.len() - NAMED));
        }
        let warning = format!(
            "{} of {} lines rejected: {}; see rejected_rows",
            rejected.len(),
            rejected.len() + docs.len(),
            named.join("; ")
        );
        if let Some(first) = docs.first_mut() {
            first.warning = Some(warning);
        }
    }
    let rejected = rejected
        .into_iter()
        .map(|(n, e)| Reject {
            line: n as u64,
            error_type: e.error_type,
            message: format!("line {n}: {}", e.message),
        })
        .collect();
    Ok(Lines { docs, rejected })
}

fn no_valid_rows(rejected: usize) -> FileError {
    FileError::new(
        ErrorType::SatMetadataNoValidRows,
        format!("SAT metadata without a valid line ({rejected} rejected)"),
    )
}

/// The lines of a metadata file. The SAT ends lines with CR LF and has been seen to put a bare
/// LF inside a name: when the first line ends with CR LF, only CR LF ends a line and a bare LF
/// is dropped.
fn split_lines(text: &str) -> Vec<String> {
    let crlf = text
        .find('\n')
        .is_some_and(|i| i > 0 && text.as_bytes()[i - 1] == b'\r');
    if crlf {
        text.split("\r\n").map(|l| l.replace('\n', "")).collect()
    } else {
        text.split('\n').map(str::to_owned).collect()
    }
}

/// One line's document.
fn read_line(
    t: &'static Table,
    line: &str,
    n: usize,
    columns: &[Option<usize>],
    src: &Source,
) -> Result<Doc, FileError> {
    let fields: Vec<&str> = line.split('~').collect();
    if fields.len() != columns.len() {
        return Err(FileError::new(
            ErrorType::SatMetadataFieldCount,
            format!("{} fields, the header has {}", fields.len(), columns.len()),
        ));
    }
    let mut values = vec![Value::Null; t.columns.len()];
    for (field, c) in fields.iter().zip(columns) {
        if let Some(c) = *c {
            values[c] = typed(t, c, field.trim(), ErrorType::SatMetadataInvalidField)?;
        }
    }
    let uuid = match &values[t.col("uuid")] {
        Value::Text(u) if super::sat::is_uuid(u) => u.to_ascii_uppercase().to_string(),
        other => {
            let shown = match other {
                Value::Text(u) => u.chars().take(60).collect::<String>(),
                _ => String::new(),
            };
            return Err(FileError::new(
                ErrorType::SatMetadataInvalidUuid,
                format!("{}.uuid is not a UUID: {shown:?}", t.name),
            ));
        }
    };
    let estatus = t.has("estatus").then(|| t.col("estatus"));
    match estatus.map(|c| &values[c]) {
        Some(Value::Int(0)) => values[t.col("cancelado")] = Value::Int(1),
        Some(Value::Int(1) | Value::Null) | None => {}
        Some(_) => {
            return Err(FileError::new(
                ErrorType::SatMetadataInvalidField,
                "cfdi_metadata.estatus is neither 0 (cancelled) nor 1 (in force)",
            ));
        }
    }
    values[t.col("uuid")] = Value::Text(uuid.as_str().into());
    values[t.col("line")] = Value::Int(n as i64);
    let doc = Doc::single(uuid, t, values, src, None);
    // A value too long for its column rejects its line, not the file.
    super::fits(&doc)?;
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// What `text` reads as.
    fn outcome(text: &str) -> Outcome {
        let sniff = crate::format::sniff(text.as_bytes()).unwrap();
        let src = Source {
            origin: "m.txt",
            sha256: "0",
            deadline: Instant::now() + Duration::from_secs(60),
        };
        SatMetadata.outcome(&sniff, &src, &ParseOptions::default())
    }

    #[test]
    fn bad_lines_are_rejected_by_line_and_the_good_ones_kept() {
        let header = "Uuid~RfcEmisor~NombreEmisor~Monto";
        let long = "X".repeat(2000);
        let text = format!(
            "{header}\n\
             9b1f0c7e-3a52-4d8e-9f10-2c4b6a8d0e11~EKU9003173C9~ESCUELA~10.00\n\
             AAAAAAAA-1111-4222-8333-444444444444~EKU9003173C9\n\
             \n\
             BBBBBBBB-1111-4222-8333-444444444444~{long}~ESCUELA~1.00\n\
             CCCCCCCC-1111-4222-8333-444444444444~EKU9003173C9~ESCUELA~12,50\n"
        );
        let Outcome::Lines(lines) = outcome(&text) else {
            panic!("not lines");
        };
        let keys: Vec<&str> = lines.docs.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(keys, ["9B1F0C7E-3A52-4D8E-9F10-2C4B6A8D0E11"]);
        let rejected: Vec<(u64, &str)> = lines
            .rejected
            .iter()
            .map(|r| (r.line, r.error_type.as_str()))
            .collect();
        assert_eq!(
            rejected,
            [
                (3, "sat_metadata_field_count"),
                (5, "value_too_long"),
                (6, "sat_metadata_invalid_field"),
            ]
        );
        assert_eq!(
            lines.rejected[0].message,
            "line 3: 2 fields, the header has 4"
        );
        let warning = lines.docs[0].warning.as_deref().unwrap();
        assert!(
            warning.starts_with("3 of 4 lines rejected: line 3: "),
            "{warning}"
        );
        assert!(warning.ends_with("; see rejected_rows"), "{warning}");
    }

    #[test]
    fn a_file_without_a_good_line_fails() {
        let text = "Uuid~RfcEmisor\nno-es-un-uuid~EKU9003173C9\n";
        let Outcome::Failed(e) = outcome(text) else {
            panic!("not failed");
        };
        assert_eq!(e.error_type, ErrorType::SatMetadataNoValidRows);
    }
}
