//! Printouts and the fiscal XML they print find each other, whichever is stored first: the
//! statements run after a printout (PDF, scan, photo) is written link it to the document
//! already stored; those run after an NF-e, event, CFDI or Retenciones is written link the
//! printouts stored before it. Each table lists the ones it runs in its `after_write`.

use super::AfterWrite;

// A CC-e printout names its NF-e's key too: it links to the correction event (110110), not to
// the NF-e.

/// After a PDF is written: the NF-e it prints, if stored.
pub const LINKS_STORED_NFE: AfterWrite = AfterWrite {
    sql: "UPDATE pdf_document SET linked = 'nfe' WHERE sha256 {keys} AND document_type <> 'cce'
        AND EXISTS (SELECT 1 FROM nfe n WHERE n.chave = pdf_document.chave)",
    reads: "nfe",
};

/// After a PDF is written: the CC-e event it prints, if stored.
pub const LINKS_STORED_CCE: AfterWrite = AfterWrite {
    sql:
        "UPDATE pdf_document SET linked = 'nfe_evento' WHERE sha256 {keys} AND document_type = 'cce'
        AND EXISTS (SELECT 1 FROM nfe_evento e WHERE e.chave = pdf_document.chave
            AND e.tp_evento = '110110')",
    reads: "nfe_evento",
};

/// After a PDF is written: the CFDI it prints, if stored.
pub const LINKS_STORED_CFDI: AfterWrite = AfterWrite {
    sql: "UPDATE pdf_document SET linked = 'cfdi' WHERE sha256 {keys}
        AND EXISTS (SELECT 1 FROM cfdi c WHERE c.uuid = pdf_document.uuid)",
    reads: "cfdi",
};

/// After a PDF is written: the CFDI de Retenciones it prints, if stored.
pub const LINKS_STORED_RETENCION: AfterWrite = AfterWrite {
    sql: "UPDATE pdf_document SET linked = 'retencion' WHERE sha256 {keys}
        AND EXISTS (SELECT 1 FROM retencion r WHERE r.uuid = pdf_document.uuid)",
    reads: "retencion",
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

/// After a CFDI de Retenciones is written (its UUID): the printouts stored before it.
pub const RETENCION_LINKED_BY_EARLIER_PDF: AfterWrite = AfterWrite {
    sql: "UPDATE pdf_document SET linked = 'retencion' WHERE uuid {keys} AND linked IS NULL",
    reads: "pdf_document",
};
