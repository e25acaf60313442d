//! Photos and scans of invoices: JPEG, PNG, TIFF (every page) and WebP pictures, told by their
//! signatures. Each is read like a scanned PDF ([`super::pdf::scan`]): the codes printed on it
//! (a DANFE's barcode, an NFC-e's or a CFDI's QR code), then its words by OCR; its row goes to
//! `pdf_document` beside the PDFs, with `source = 'image'`, and links to the document it
//! prints the same way.

use super::pdf::{self, PDF_DOCUMENT};
use super::{Doc, Format, ParseOptions, Sniff, Source, Table};
use crate::error::FileError;

/// The picture format.
pub struct Image;

impl Format for Image {
    fn kind(&self) -> &'static str {
        "image"
    }

    fn tables(&self) -> &'static [&'static Table] {
        static TABLES: [&Table; 1] = [&PDF_DOCUMENT];
        &TABLES
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        sniff.generic_kind == "image"
    }

    fn parse(
        &self,
        sniff: &Sniff,
        src: &Source,
        opts: &ParseOptions,
    ) -> Result<Vec<Doc>, FileError> {
        pdf::read_printed(sniff.bytes, src, opts)
    }
}
