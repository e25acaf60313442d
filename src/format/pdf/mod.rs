//! PDF invoices: DANFEs (the printed NF-e), NFC-e and CC-e printouts, CFDI printed
//! representations and plain supplier invoices, one `pdf_document` row per distinct PDF.
//!
//! A PDF is claimed by its `%PDF-` signature. Its facts (pages, metadata, text) are read by
//! [`read::read_pdf`], in a child process by default ([`child`]): PDF readers have hung, blown
//! their stack and aborted on crafted files, and a child's death is one file's typed error, not
//! the batch's. What the text shows (an access key, a UUID, the kind of document) is found here
//! in the parent by [`find`], from text the child has already capped.

pub mod child;
pub mod fields;
pub mod find;
pub mod read;

use super::{
    AfterWrite, ColType, Doc, Format, ParseOptions, Row, Sniff, Source, Table, Value, col,
};
use crate::error::FileError;
pub use read::{Limits, PdfInfo, read_pdf};

use ColType::{Integer as I, Text as T};

/// `pdf_document`: one row per distinct PDF (byte-identical copies are duplicates).
/// `chave` and `uuid` are the NF-e key and CFDI UUID the text shows (a key only with a right
/// check digit); NULL when the text shows none. `linked` names the table that holds the
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
    ],
    primary_key: &["sha256"],
    indexed: &["chave", "uuid"],
    after_write: &[LINKS_STORED_NFE, LINKS_STORED_CCE, LINKS_STORED_CFDI],
    ..Table::BASE
};

// Linking, both ways: after a PDF is written, to the document already stored; after a
// document is written, the PDFs already stored that print it. A CC-e printout names its
// NF-e's key too: it links to the correction event (110110), not to the NF-e.

/// After a PDF is written: the NF-e it prints, if stored.
const LINKS_STORED_NFE: AfterWrite = AfterWrite {
    sql: "UPDATE pdf_document SET linked = 'nfe' WHERE sha256 {keys} AND document_type <> 'cce'
        AND EXISTS (SELECT 1 FROM nfe n WHERE n.chave = pdf_document.chave)",
    reads: "nfe",
};

/// After a PDF is written: the CC-e event it prints, if stored.
const LINKS_STORED_CCE: AfterWrite = AfterWrite {
    sql:
        "UPDATE pdf_document SET linked = 'nfe_evento' WHERE sha256 {keys} AND document_type = 'cce'
        AND EXISTS (SELECT 1 FROM nfe_evento e WHERE e.chave = pdf_document.chave
            AND e.tp_evento = '110110')",
    reads: "nfe_evento",
};

/// After a PDF is written: the CFDI it prints, if stored.
const LINKS_STORED_CFDI: AfterWrite = AfterWrite {
    sql: "UPDATE pdf_document SET linked = 'cfdi' WHERE sha256 {keys}
        AND EXISTS (SELECT 1 FROM cfdi c WHERE c.uuid = pdf_document.uuid)",
    reads: "cfdi",
};

/// After an NF-e is written (its key): the PDFs stored before it that print it.
pub const LINKED_BY_EARLIER_PDF: AfterWrite = AfterWrite {
    sql: "UPDATE pdf_document SET linked = 'nfe' WHERE chave {keys} AND document_type <> 'cce'
        AND linked IS NULL",
    reads: "pdf_document",
};

/// After an NF-e event is written (its NF-e's key): the CC-e printouts stored before it.
pub const CCE_LINKED_BY_EARLIER_PDF: AfterWrite = AfterWrite {
    sql:
        "UPDATE pdf_document SET linked = 'nfe_evento' WHERE chave {keys} AND document_type = 'cce'
        AND linked IS NULL AND EXISTS (SELECT 1 FROM nfe_evento e
            WHERE e.chave = pdf_document.chave AND e.tp_evento = '110110')",
    reads: "pdf_document",
};

/// After a CFDI is written (its UUID): the PDFs stored before it that print it.
pub const CFDI_LINKED_BY_EARLIER_PDF: AfterWrite = AfterWrite {
    sql: "UPDATE pdf_document SET linked = 'cfdi' WHERE uuid {keys} AND linked IS NULL",
    reads: "pdf_document",
};

/// The batch's imported PDFs, and how many of them are linked now: `SELECT count(*),
/// count(linked)`, `param` standing for the batch id. Run it only when the batch has imported a
/// PDF: a database that never held one may have no `pdf_document` table.
pub fn linked_in_batch_sql(param: &str) -> String {
    format!(
        "SELECT count(*), count(p.linked) FROM files f JOIN pdf_document p ON p.sha256 = f.sha256
         WHERE f.batch_id = {param} AND f.kind = 'pdf' AND f.status = 'imported'"
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

/// The PDF format.
pub struct Pdf;

impl Format for Pdf {
    fn kind(&self) -> &'static str {
        "pdf"
    }

    fn tables(&self) -> &'static [&'static Table] {
        static TABLES: [&Table; 1] = [&PDF_DOCUMENT];
        &TABLES
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        sniff.generic_kind == "pdf"
    }

    fn parse(
        &self,
        sniff: &Sniff,
        src: &Source,
        opts: &ParseOptions,
    ) -> Result<Vec<Doc>, FileError> {
        let default = Limits::default();
        // A PDF larger than a few hundred MiB (under a raised --max-file-size) needs room to be
        // held and parsed: four times its size.
        let limits = Limits {
            max_memory: default.max_memory.max(4 * sniff.bytes.len() as u64),
            ..default
        };
        let info = match opts.pdf_reader {
            Reader::InProcess => read_pdf(sniff.bytes, &limits, Some(src.deadline))?,
            Reader::Child => child::read(sniff.bytes, &limits, src.deadline)?,
        };
        Ok(vec![doc(info, src)])
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

/// The `pdf_document` row of a PDF read.
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
    let key = find::nfe_key(&info.text);
    let uuid = find::cfdi_uuid(&info.text);
    let has_text = info.text.chars().any(|c| !c.is_whitespace());
    let document_type = if has_text {
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
    let warning = if !has_text {
        Some("no_text_layer: the PDF has no text (a scan?); imported without its fields".into())
    } else if info.unreadable_pages > 0 {
        Some(format!(
            "pdf_unreadable_pages: the text of {} of {} pages could not be read",
            info.unreadable_pages, info.pages
        ))
    } else {
        None
    };
    Doc {
        key: src.sha256.to_owned(),
        rows: vec![Row { table: t, values }],
        warning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
