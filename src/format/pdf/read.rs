//! Reading a PDF's facts (pages, metadata, encryption, text) with lopdf, behind one function,
//! [`read_pdf`], that runs the same way in-process (tests, fuzzing) and inside the reader child
//! process (`super::child`). Pages without a text layer, and printouts whose text shows no
//! key, are read from their pixels too ([`super::scan`]: codes, then OCR). Nothing here
//! interprets the text: that is `super::find`'s job, in the parent.

use super::scan::{self, Limits, Origin, PdfInfo, ScanOptions};
use crate::error::{ErrorType, FileError};
use std::time::Instant;

/// Read a PDF's facts. `deadline` is checked between pages (in the child the parent's wall
/// clock is the real bound) and bounds OCR.
pub fn read_pdf(
    bytes: &[u8],
    limits: &Limits,
    scan_options: &ScanOptions,
    deadline: Instant,
) -> Result<PdfInfo, FileError> {
    let mut renderer = scan::Renderer::new(bytes);
    let mut text_pages = 0;
    let options = lopdf::LoadOptions {
        max_decompressed_size: Some(limits.max_stream),
        ..lopdf::LoadOptions::default()
    };
    let doc = lopdf::Document::load_mem_with_options(bytes, options).map_err(load_error)?;
    // Encrypted, and the empty user password did not open it (lopdf then loads what it can
    // without decrypting: garbage, not the document).
    if doc.trailer.has(b"Encrypt") && !doc.was_encrypted() {
        return Err(encrypted());
    }
    let mut info = PdfInfo {
        encrypted: doc.was_encrypted(),
        ..PdfInfo::default()
    };
    if let Ok(dict) = doc
        .trailer
        .get(b"Info")
        .and_then(|o| doc.dereference(o))
        .and_then(|(_, o)| o.as_dict())
    {
        let field = |key: &[u8]| {
            dict.get(key)
                .ok()
                .and_then(|o| doc.dereference(o).ok())
                .and_then(|(_, o)| lopdf::decode_text_string(o).ok())
                .map(|s| s.trim_matches(char::from(0)).trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        info.title = field(b"Title");
        info.author = field(b"Author");
        info.producer = field(b"Producer");
        info.creator = field(b"Creator");
        info.creation_date = field(b"CreationDate");
    }
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(FileError::new(
            ErrorType::PdfCorrupt,
            "the PDF has no readable page tree",
        ));
    }
    info.pages = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    for (&number, &id) in pages.iter() {
        if number > limits.max_pages || info.text.len() >= limits.max_text {
            info.text_truncated = true;
            break;
        }
        if Instant::now() > deadline {
            return Err(FileError::new(
                ErrorType::Timeout,
                "took longer than --file-timeout; skipped",
            ));
        }
        // A page or content stream the file names but does not hold (a truncated file that
        // lopdf repaired): lopdf reads it as blank, which would pass for a scan.
        let missing = doc.get_dictionary(id).is_err()
            || doc
                .get_page_contents(id)
                .iter()
                .any(|c| doc.get_object(*c).is_err());
        if missing {
            info.unreadable_pages += 1;
            continue;
        }
        match super::layout::page_text(&doc, number, id, limits.max_stream) {
            Ok(page) => {
                let blank = page.trim().is_empty();
                let always = scan_options.ocr == scan::Mode::Always;
                if !blank && !always {
                    text_pages += 1;
                    if !info.text.is_empty() {
                        info.text.push('\u{c}');
                    }
                    info.text.push_str(page.trim_end());
                }
                // A scan, or a printout whose key is in its barcode only: its pixels. Other
                // text pages: the codes of their pictures (a CFDI's or an NFC-e's QR code).
                if !blank && !always {
                    info.codes
                        .extend(scan::codes_in_pictures(&doc, id, number, limits));
                }
                let coded = info.codes.iter().any(|c| c.page == number);
                if blank || always || (!coded && printout_without_key(&page)) {
                    scan::pdf_page(
                        &doc,
                        id,
                        number,
                        &mut renderer,
                        blank || always,
                        scan_options,
                        limits,
                        deadline,
                        &mut info,
                    )?;
                }
            }
            Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded {
                limit,
            })) => return Err(bomb(limit)),
            Err(_) => info.unreadable_pages += 1,
        }
    }
    info.origin = if text_pages > 0 {
        Origin::PdfText
    } else {
        Origin::PdfScan
    };
    if info.unreadable_pages == info.pages {
        return Err(FileError::new(
            ErrorType::PdfCorrupt,
            format!(
                "none of the PDF's {} pages can be read (truncated or damaged)",
                info.pages
            ),
        ));
    }
    if info.text.len() > limits.max_text {
        let mut cut = limits.max_text;
        while !info.text.is_char_boundary(cut) {
            cut -= 1;
        }
        info.text.truncate(cut);
        info.text_truncated = true;
    }
    Ok(info)
}

/// A page whose text says it is a fiscal printout (a DANFE, an NFC-e, a CC-e, a CFDI) but
/// shows no key nor UUID: generators that draw the key as a barcode only.
fn printout_without_key(page: &str) -> bool {
    use super::find;
    // The key and UUID first: they scan digits, where the kind folds the whole page.
    find::nfe_key(page).is_none()
        && find::cfdi_uuid(page).is_none()
        && matches!(
            find::document_type(page, None, None),
            "danfe" | "nfce" | "cce" | "cfdi"
        )
}

fn encrypted() -> FileError {
    FileError::new(
        ErrorType::PdfEncrypted,
        "the PDF is encrypted with a password (an empty user password is tried)",
    )
}

fn bomb(limit: usize) -> FileError {
    FileError::new(
        ErrorType::TooLarge,
        format!(
            "a PDF stream inflates past {} MiB (a decompression bomb?)",
            limit >> 20
        ),
    )
}

/// A load failure, typed.
fn load_error(e: lopdf::Error) -> FileError {
    match e {
        lopdf::Error::InvalidPassword | lopdf::Error::Decryption(_) => encrypted(),
        lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { limit }) => {
            bomb(limit)
        }
        e => FileError::new(
            ErrorType::PdfCorrupt,
            format!("the PDF cannot be read: {e}"),
        ),
    }
}
