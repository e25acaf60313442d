//! Printed documents: DANFEs (the printed NF-e), NFC-e and CC-e printouts, CFDI and Retenciones
//! printed representations and plain supplier invoices, as PDFs with a text layer, scanned
//! PDFs, and pictures (photos and scans: JPEG, PNG, TIFF, WebP; [`crate::format::image`]
//! registers them), one `pdf_document` row per distinct file: the one place for the paper
//! copies.
//!
//! A PDF is claimed by its `%PDF-` signature. Its facts (pages, metadata, text) are read by
//! [`read::read_pdf`]; a page without text (a scan), a picture's pages, and a printout whose
//! text shows no key are read from their pixels by [`scan`]: the codes printed on them
//! ([`codes`]: a DANFE's barcode, an NFC-e's or a CFDI's QR code), then their words by OCR
//! ([`ocr`], Tesseract). All of it runs in a child process by default ([`child`]): PDF and
//! picture readers have hung, blown their stack and aborted on crafted files, and a child's
//! death is one file's typed error, not the batch's. What the text and codes show (an access
//! key, a UUID, the kind of document) is found here in the parent by [`find`], from text the
//! child has already capped.

pub mod child;
pub mod codes;
pub mod fields;
pub mod find;
pub mod layout;
pub mod ocr;
pub mod pixels;
mod process;
pub mod read;
pub mod scan;

use super::link;
use super::{ColType, Doc, Format, ParseOptions, Parsed, Row, Sniff, Source, Table, Value, col};
use crate::error::FileError;
pub use read::read_pdf;
pub use scan::{Limits, PdfInfo};
pub use scan::{Origin, ScanOptions};

use ColType::{Integer as I, Numeric as N, Real as R, Text as T};

/// `pdf_document`: one row per distinct PDF or picture (byte-identical copies are
/// duplicates). `source` says where its facts come from: `pdf_text` (a text layer),
/// `pdf_scan` (a PDF of pictures, read from its pixels), `image` (a photo or scan).
/// `chave` and `uuid` are the NF-e key and CFDI UUID the page shows (a key only with a right
/// check digit); NULL when it shows none; `key_from` says whether they were read from a code
/// printed on the page (`code`, which wins) or from its text (`text`, the text layer or OCR). `linked` names the table that holds the
/// document the PDF prints (`nfe`; `nfe_evento` for a CC-e, the correction event; `cfdi`), set
/// whichever of the two arrives first, in the same batch or a later one; NULL while none does.
/// `invoice_number`, `issue_date` (`YYYY-MM-DD`), `total` and `currency` (ISO 4217) are found
/// by their labels in an `invoice`'s text ([`fields`]); NULL when not found, and for the
/// fiscal printouts, whose XML holds them.
pub static PDF_DOCUMENT: Table = Table {
    name: "pdf_document",
    columns: &[
        col("sha256", T),
        col("path", T),
        col("pages", I),
        col("title", T),
        col("author", T),
        col("producer", T),
        col("creator", T),
        col("creation_date", T),
        col("encrypted", I),
        col("document_type", T),
        col("chave", T),
        col("uuid", T),
        col("linked", T),
        col("invoice_number", T),
        col("issue_date", T),
        col("total", ColType::Numeric),
        col("currency", T),
        col("text_truncated", I),
        col("text", T),
        col("source", T),
        col("key_from", T),
        col("codes", T),
        col("qr_url", T),
        col("emisor_rfc", T),
        col("receptor_rfc", T),
        col("qr_total", N),
        col("ocr_confidence", R),
    ],
    primary_key: &["sha256"],
    indexed: &["chave", "uuid"],
    after_write: &[
        link::LINKS_STORED_NFE,
        link::LINKS_STORED_CCE,
        link::LINKS_STORED_CFDI,
        link::LINKS_STORED_RETENCION,
    ],
    ..Table::BASE
};

/// The `files.kind` of printed documents, as SQL: PDFs and pictures.
pub const PRINTED_KINDS: &str = "('pdf', 'image')";

/// Whether the batch imported a printed document: `SELECT EXISTS (...)`, `param` standing for
/// the batch id.
pub fn printed_in_batch_sql(param: &str) -> String {
    format!(
        "SELECT EXISTS (SELECT 1 FROM files
            WHERE batch_id = {param} AND kind IN {PRINTED_KINDS} AND status = 'imported')"
    )
}

/// The batch's imported printouts that show a key or UUID, and how many of them are linked
/// now: `SELECT count(*), count(linked)`, `param` standing for the batch id. Run it only when
/// the batch has imported a printed document: a database that never held one may have no
/// `pdf_document` table.
pub fn linked_in_batch_sql(param: &str) -> String {
    format!(
        "SELECT count(*), count(p.linked) FROM files f JOIN pdf_document p ON p.sha256 = f.sha256
         WHERE f.batch_id = {param} AND f.kind IN {PRINTED_KINDS} AND f.status = 'imported'
           AND (p.chave IS NOT NULL OR p.uuid IS NOT NULL)"
    )
}

/// How PDFs are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reader {
    /// In this process: for tests, fuzzing and benchmarks. A hostile PDF can hang or crash it.
    #[default]
    InProcess,
    /// In a child process of this executable (`batchimp __read-pdf`), killed at the file's
    /// deadline, its memory limited: what `batchimp run` uses.
    Child,
}

/// The format of printed documents, one `pdf_document` row each: PDFs ([`FORMAT`]) and
/// pictures ([`super::image::FORMAT`]).
pub struct Printed {
    /// The kind, in the ledger and as the sniffer calls the files it claims
    /// ([`Sniff::generic_kind`]).
    pub kind: &'static str,
}

/// The PDF format: the files the sniffer calls `pdf`.
pub static FORMAT: Printed = Printed { kind: "pdf" };

impl Format for Printed {
    fn kind(&self) -> &'static str {
        self.kind
    }

    fn tables(&self) -> &'static [&'static Table] {
        static TABLES: [&Table; 1] = [&PDF_DOCUMENT];
        &TABLES
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        sniff.generic_kind == self.kind
    }

    fn parse(&self, sniff: &Sniff, src: &Source, opts: &ParseOptions) -> Parsed {
        read_printed(sniff.bytes, src, opts)
    }
}

/// A PDF's or a picture's `pdf_document` row, read the way `opts` says (in a child process
/// for `batchimp run`).
pub fn read_printed(
    bytes: &[u8],
    src: &Source,
    opts: &ParseOptions,
) -> Result<Vec<Doc>, FileError> {
    let default = Limits::default();
    // A PDF larger than a few hundred MiB (under a raised --max-file-size) needs room to be
    // held and parsed: four times its size.
    let limits = Limits {
        max_memory: default.max_memory.max(4 * bytes.len() as u64),
        ..default
    };
    let scan = ScanOptions {
        ocr: opts.ocr,
        lang: opts.ocr_lang.to_string(),
    };
    let info = match opts.pdf_reader {
        Reader::InProcess => read_any(bytes, &limits, &scan, src.deadline)?,
        Reader::Child => child::read(bytes, &limits, &scan, src.deadline)?,
    };
    Ok(vec![doc(info, src)])
}

/// Read a PDF or a picture in this process: what the reader child runs.
pub fn read_any(
    bytes: &[u8],
    limits: &Limits,
    scan: &ScanOptions,
    deadline: std::time::Instant,
) -> Result<PdfInfo, FileError> {
    if pixels::picture_kind(bytes).is_some() {
        scan::read_picture(bytes, limits, scan, deadline)
    } else {
        read_pdf(bytes, limits, scan, deadline)
    }
}

/// Text as databases take it: no NUL (PostgreSQL's text cannot hold one) nor other control
/// characters but line breaks, tabs and the form feed between pages.
fn clean(mut s: String) -> String {
    if s.contains(|c: char| c.is_control() && !matches!(c, '\n' | '\t' | '\u{c}')) {
        s.retain(|c| !c.is_control() || matches!(c, '\n' | '\t' | '\u{c}'));
    }
    s
}

/// The `pdf_document` row of a PDF or picture read.
fn doc(mut info: PdfInfo, src: &Source) -> Doc {
    info.text = clean(info.text);
    for field in [
        &mut info.title,
        &mut info.author,
        &mut info.producer,
        &mut info.creator,
        &mut info.creation_date,
    ] {
        *field = field.take().map(clean).filter(|s| !s.is_empty());
    }
    let code = codes::facts(&info.codes);
    let text_key = find::nfe_key(&info.text);
    let text_uuid = find::cfdi_uuid(&info.text);
    let mut warnings = Vec::new();
    // A key from a code beats one from text; the two disagreeing is said, naming both.
    for (what, from_code, from_text) in [
        ("access key", &code.chave, &text_key),
        ("UUID", &code.uuid, &text_uuid),
    ] {
        if let (Some(c), Some(t)) = (from_code, from_text)
            && c != t
        {
            warnings.push(format!(
                "code_text_mismatch: the code printed on the page reads {what} {c}, the text \
                 {t}; the code's is kept"
            ));
        }
    }
    let key_from = if code.chave.is_some() || code.uuid.is_some() {
        Some("code")
    } else if text_key.is_some() || text_uuid.is_some() {
        Some("text")
    } else {
        None
    };
    let key = code.chave.clone().or(text_key);
    let uuid = code.uuid.clone().or(text_uuid);
    let has_text = info.text.chars().any(|c| !c.is_whitespace());
    let document_type = if has_text || key.is_some() || uuid.is_some() {
        find::document_type(&info.text, key.as_deref(), uuid.as_deref())
    } else {
        "other"
    };
    let text = |s: Option<String>| s.map_or(Value::Null, |s| Value::Text(s.into()));
    let t = &PDF_DOCUMENT;
    let mut values = vec![Value::Null; t.columns.len()];
    let mut set = |c: usize, v: Value| values[c] = v;
    set(t.col("sha256"), Value::Text(src.sha256.into()));
    set(t.col("path"), Value::Text(src.origin.into()));
    set(t.col("pages"), Value::Int(i64::from(info.pages)));
    set(t.col("title"), text(info.title));
    set(t.col("author"), text(info.author));
    set(t.col("producer"), text(info.producer));
    set(t.col("creator"), text(info.creator));
    set(t.col("creation_date"), text(info.creation_date));
    set(t.col("encrypted"), Value::Int(i64::from(info.encrypted)));
    set(t.col("document_type"), Value::Text(document_type.into()));
    set(t.col("chave"), text(key));
    set(t.col("uuid"), text(uuid));
    if document_type == "invoice" {
        let f = fields::fields(&info.text);
        set(t.col("invoice_number"), text(f.number));
        set(t.col("issue_date"), text(f.date));
        set(t.col("total"), f.total.map_or(Value::Null, Value::amount));
        set(t.col("currency"), text(f.currency));
    }
    set(
        t.col("text_truncated"),
        Value::Int(i64::from(info.text_truncated)),
    );
    set(t.col("text"), text(has_text.then_some(info.text)));
    set(t.col("source"), Value::Text(info.origin.as_str().into()));
    set(t.col("key_from"), text(key_from.map(str::to_owned)));
    let listed: Vec<String> = info
        .codes
        .iter()
        .map(|c| clean(format!("{} page {}: {}", c.format, c.page, c.text)))
        .collect();
    set(
        t.col("codes"),
        text((!listed.is_empty()).then(|| listed.join("\n"))),
    );
    set(t.col("qr_url"), text(code.url.map(clean)));
    set(t.col("emisor_rfc"), text(code.emisor_rfc.map(clean)));
    set(t.col("receptor_rfc"), text(code.receptor_rfc.map(clean)));
    set(
        t.col("qr_total"),
        code.total.map_or(Value::Null, Value::amount),
    );
    set(
        t.col("ocr_confidence"),
        info.ocr_confidence.map_or(Value::Null, |c| {
            Value::Num((f64::from(c) * 10.0).round() / 10.0)
        }),
    );
    if let Some(why) = &info.ocr_unavailable {
        ocr_unavailable_once(why);
    }
    if !has_text && key_from.is_none() {
        warnings.push(match (&info.ocr_unavailable, info.origin) {
            (Some(why), _) => format!(
                "no_text_layer: no text and no code found ({why}); imported without its fields"
            ),
            (None, Origin::Image) => {
                "no_text_found: no text and no code found in the picture; imported without its \
                 fields"
                    .to_owned()
            }
            (None, _) => {
                "no_text_layer: the PDF has no text (a scan?) and no code was found; imported \
                 without its fields"
                    .to_owned()
            }
        });
    } else if info.unreadable_pages > 0 {
        warnings.push(format!(
            "pdf_unreadable_pages: the text of {} of {} pages could not be read",
            info.unreadable_pages, info.pages
        ));
    }
    Doc {
        key: src.sha256.to_owned(),
        rows: vec![Row { table: t, values }],
        warning: (!warnings.is_empty()).then(|| warnings.join("; ")),
    }
}

/// Say once a process that scans are read for their codes only, and how to change that.
fn ocr_unavailable_once(why: &str) {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        let how = if why == ocr::MISSING {
            "install it (Debian, Ubuntu: apt-get install tesseract-ocr tesseract-ocr-por \
             tesseract-ocr-spa) to read their text, or pass --ocr never"
        } else {
            "check --ocr-lang against `tesseract --list-langs`, or pass --ocr never"
        };
        tracing::warn!(
            event = "ocr_unavailable",
            "scans and photos are read for their codes only: {why}; {how}"
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "35261012345678000195550010000010011100100101";
    const OTHER: &str = "35180834128745000152550010000474281920007498";

    fn src() -> Source<'static> {
        Source {
            origin: "x.jpg",
            sha256: "00",
            deadline: std::time::Instant::now(),
        }
    }

    fn cell<'a>(doc: &'a Doc, name: &str) -> &'a Value {
        &doc.rows[0].values[PDF_DOCUMENT.col(name)]
    }

    #[test]
    fn a_key_from_a_code_beats_the_text_and_the_mismatch_is_said() {
        let info = PdfInfo {
            pages: 1,
            origin: Origin::Image,
            text: format!("DANFE\nCHAVE DE ACESSO\n{OTHER}"),
            codes: vec![codes::Code {
                format: "code_128".into(),
                text: KEY.into(),
                page: 1,
            }],
            ocr_pages: 1,
            ocr_confidence: Some(91.26),
            ..PdfInfo::default()
        };
        let doc = doc(info, &src());
        assert_eq!(cell(&doc, "chave"), &Value::Text(KEY.into()));
        assert_eq!(cell(&doc, "key_from"), &Value::Text("code".into()));
        assert_eq!(cell(&doc, "source"), &Value::Text("image".into()));
        assert_eq!(cell(&doc, "ocr_confidence"), &Value::Num(91.3));
        assert_eq!(
            cell(&doc, "codes"),
            &Value::Text(format!("code_128 page 1: {KEY}").into())
        );
        let warning = doc.warning.unwrap();
        assert!(warning.starts_with("code_text_mismatch"), "{warning}");
        assert!(
            warning.contains(KEY) && warning.contains(OTHER),
            "{warning}"
        );
    }

    #[test]
    fn a_key_from_text_alone_says_so_and_agreement_is_no_warning() {
        let info = PdfInfo {
            pages: 1,
            text: format!("DANFE {KEY}"),
            ..PdfInfo::default()
        };
        let d = doc(info.clone(), &src());
        assert_eq!(cell(&d, "key_from"), &Value::Text("text".into()));
        assert_eq!(d.warning, None);
        let agreeing = PdfInfo {
            codes: vec![codes::Code {
                format: "code_128".into(),
                text: KEY.into(),
                page: 1,
            }],
            ..info
        };
        let d = doc(agreeing, &src());
        assert_eq!(cell(&d, "key_from"), &Value::Text("code".into()));
        assert_eq!(d.warning, None);
    }

    #[test]
    fn pdf_text_loses_nul_and_control_characters() {
        let info = PdfInfo {
            pages: 1,
            title: Some("\0\0".into()),
            author: Some("Jo\u{1}ão".into()),
            text: "Fatura\0 1\r\nTotal\u{c}p2".into(),
            ..PdfInfo::default()
        };
        let src = Source {
            origin: "x.pdf",
            sha256: "00",
            deadline: std::time::Instant::now(),
        };
        let doc = doc(info, &src);
        let row = &doc.rows[0];
        let t = &PDF_DOCUMENT;
        assert_eq!(row.values[t.col("title")], Value::Null);
        assert_eq!(row.values[t.col("author")], Value::Text("João".into()));
        assert_eq!(
            row.values[t.col("text")],
            Value::Text("Fatura 1\nTotal\u{c}p2".into())
        );
    }
}
