//! Photos and scans of invoices: JPEG, PNG, TIFF (every page) and WebP pictures, told by their
//! signatures. Each is read like a scanned PDF ([`super::pdf::scan`]): the codes printed on it
//! (a DANFE's barcode, an NFC-e's or a CFDI's QR code), then its words by OCR; its row goes to
//! `pdf_document` beside the PDFs, with `source = 'image'`, and links to the document it
//! prints the same way. The format is a PDF's ([`Printed`]) but for the kind.

use super::pdf::Printed;

/// The picture format: the files the sniffer calls `image`.
pub static FORMAT: Printed = Printed { kind: "image" };
