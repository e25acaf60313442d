//! Pages read from their pixels: a PDF page without a text layer (a scan), a PDF printout
//! whose text shows no key, and pictures (JPEG, PNG, TIFF, WebP photos and scans). Their
//! codes are read first ([`codes`]), then, for pages without text, their words by OCR
//! ([`ocr`]).
//!
//! A scanned PDF page is usually one embedded picture: that picture is read at its own
//! resolution and the scales [`codes::read`] tries (cheapest, and the decoder's best chance);
//! the page is rendered by hayro only when it holds no picture batchimp decodes: at 200 dpi,
//! then at 300 dpi if no code was found.

use super::codes::{self, Code};
pub use super::ocr::Mode;
use super::ocr::{self, Ocr};
use super::pixels::{self, Pixels};

use crate::error::{ErrorType, FileError};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Bounds on one PDF's reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Most bytes of text kept, all pages together (cut at a character boundary): 1 MiB, far
    /// above any invoice (a DANFE page is 3-6 KiB of text).
    pub max_text: usize,
    /// Most bytes one stream may inflate to (lopdf's own bound, checked as it inflates): a
    /// decompression bomb fails `too_large` here before the memory limit is needed.
    pub max_stream: usize,
    /// Most pages read for text; the page count is still the whole document's.
    pub max_pages: u32,
    /// The reader child's address-space limit (`RLIMIT_AS`); in-process reading ignores it.
    pub max_memory: u64,
}

impl Limits {
    /// Small bounds, for reading in a process without the reader child's memory limit (the
    /// fuzz targets): 64 KiB of text, 1 MiB a stream, 50 pages.
    pub const SMALL: Limits = Limits {
        max_text: 64 << 10,
        max_stream: 1 << 20,
        max_pages: 50,
        max_memory: 256 << 20,
    };
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_text: 1 << 20,
            max_stream: 64 << 20,
            max_pages: 2000,
            max_memory: 1 << 30,
        }
    }
}

/// What a PDF (or a picture) says about itself. Text fields are `None` when the document does
/// not set them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PdfInfo {
    pub pages: u32,
    pub title: Option<String>,
    pub author: Option<String>,
    pub producer: Option<String>,
    pub creator: Option<String>,
    /// As written: `D:YYYYMMDDHHmmSS...`.
    pub creation_date: Option<String>,
    /// Encrypted with an empty user password (readable without one).
    pub encrypted: bool,
    /// Every page's text in page order, a form feed between pages, cut at `Limits::max_text`.
    pub text: String,
    /// The text was cut at the cap (or pages past `max_pages` were not read).
    pub text_truncated: bool,
    /// Pages whose content could not be read (their text is missing).
    pub unreadable_pages: u32,
    /// Where the facts came from: a text layer, a scan's pixels, a picture.
    pub origin: Origin,
    /// The codes read from the pages' pixels, in page order.
    pub codes: Vec<Code>,
    /// Pages whose text came from OCR.
    pub ocr_pages: u32,
    /// The mean confidence (0-100) of their words; `None` when no page was OCR'd.
    pub ocr_confidence: Option<f32>,
    /// Why pages that needed OCR did not get it (Tesseract not installed...); `None` when
    /// every page that needed it got it.
    pub ocr_unavailable: Option<String>,
}

/// How pages are read from their pixels (`--ocr`, `--ocr-lang`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanOptions {
    pub ocr: Mode,
    /// Tesseract's languages, `+`-separated.
    pub lang: String,
}

/// Portuguese, Spanish and English: the languages of the documents batchimp reads.
pub const DEFAULT_LANG: &str = "por+spa+eng";

impl ScanOptions {
    /// Codes only, no OCR (`--ocr never`).
    pub fn codes_only() -> ScanOptions {
        ScanOptions {
            ocr: Mode::Never,
            ..ScanOptions::default()
        }
    }
}

impl Default for ScanOptions {
    fn default() -> ScanOptions {
        ScanOptions {
            ocr: Mode::Auto,
            lang: DEFAULT_LANG.to_owned(),
        }
    }
}

/// Where a printed document's facts came from: its text layer, a scan's pixels, a picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// A PDF with a text layer on at least one page.
    #[default]
    PdfText,
    /// A PDF whose pages have no text layer: pictures of paper.
    PdfScan,
    /// A JPEG, PNG, TIFF or WebP.
    Image,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::PdfText => "pdf_text",
            Origin::PdfScan => "pdf_scan",
            Origin::Image => "image",
        }
    }
}

/// Most pixels a rendered page may have: an A4 page at 300 dpi is 8.7 million.
const MAX_RENDER_PIXELS: f32 = 40e6;

/// The facts of a picture file: every page's codes, and its text by OCR.
pub fn read_picture(
    bytes: &[u8],
    limits: &Limits,
    opts: &ScanOptions,
    deadline: Instant,
) -> Result<PdfInfo, FileError> {
    let mut info = PdfInfo {
        origin: Origin::Image,
        ..PdfInfo::default()
    };
    let bounds = pixels::Limits {
        max_pages: limits.max_pages.min(pixels::Limits::default().max_pages),
        ..pixels::Limits::default()
    };
    pixels::for_each_page(bytes, &bounds, |page, p| {
        check(deadline)?;
        info.pages = page;
        info.codes.extend(codes::read(&p, page));
        if opts.ocr != Mode::Never {
            check(deadline)?;
            ocr_page(&p, p.page_dpi(), opts, limits, deadline, &mut info)?;
        }
        Ok(())
    })?;
    Ok(info)
}

fn check(deadline: Instant) -> Result<(), FileError> {
    if Instant::now() > deadline {
        return Err(FileError::new(
            ErrorType::Timeout,
            "took longer than --file-timeout; skipped",
        ));
    }
    Ok(())
}

/// OCR one page into `info`: its text appended (a form feed between pages), its confidence
/// counted; where Tesseract cannot run, why, once.
fn ocr_page(
    p: &Pixels,
    dpi: u32,
    opts: &ScanOptions,
    limits: &Limits,
    deadline: Instant,
    info: &mut PdfInfo,
) -> Result<(), FileError> {
    match ocr::ocr(p, dpi, &opts.lang, deadline, limits.max_memory)? {
        Ocr::Read { text, confidence } => {
            if !text.trim().is_empty() {
                if !info.text.is_empty() {
                    info.text.push('\u{c}');
                }
                info.text.push_str(&text);
            }
            let n = info.ocr_pages as f32;
            let mean = info.ocr_confidence.unwrap_or(0.0);
            info.ocr_confidence = Some((mean * n + confidence) / (n + 1.0));
            info.ocr_pages += 1;
        }
        Ocr::Missing => info.ocr_unavailable = Some(ocr::MISSING.to_owned()),
        Ocr::Unavailable(why) => info.ocr_unavailable = Some(why),
    }
    Ok(())
}

/// A PDF's pages, rendered on demand by hayro (parsed once, on the first page asked for).
pub struct Renderer<'a> {
    bytes: &'a [u8],
    pdf: Option<Option<hayro::hayro_syntax::Pdf>>,
}

impl<'a> Renderer<'a> {
    pub fn new(bytes: &'a [u8]) -> Renderer<'a> {
        Renderer { bytes, pdf: None }
    }

    /// Page `index` (from 0) at `dpi`, as grey pixels; `None` where hayro cannot open the
    /// document or has no such page.
    pub fn render(&mut self, index: usize, dpi: f32) -> Option<Pixels> {
        let pdf = self
            .pdf
            .get_or_insert_with(|| hayro::hayro_syntax::Pdf::new(self.bytes.to_vec()).ok())
            .as_ref()?;
        let page = pdf.pages().get(index)?;
        let (w, h) = page.render_dimensions();
        if !(w > 0.0 && h > 0.0) {
            return None;
        }
        let mut scale = dpi / 72.0;
        let pixels = w * h * scale * scale;
        if pixels > MAX_RENDER_PIXELS {
            scale *= (MAX_RENDER_PIXELS / pixels).sqrt();
        }
        let settings = hayro::PixmapSettings {
            x_scale: scale,
            y_scale: scale,
            bg_color: hayro::vello_cpu::color::palette::css::WHITE,
        };
        // A renderer's panic on a crafted page is "no picture", not the reader's death: the
        // page's text and the other pages still count.
        let map = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            hayro::render(
                page,
                &hayro::RenderCache::new(),
                &hayro::hayro_interpret::InterpreterSettings::default(),
                &hayro::RenderSettings::default(),
                &settings,
            )
        }))
        .ok()?;
        let (width, height) = (u32::from(map.width()), u32::from(map.height()));
        Some(Pixels::from_samples(
            width,
            height,
            4,
            map.data_as_u8_slice(),
        ))
    }
}

/// The page's largest embedded picture batchimp decodes, with its resolution across the
/// page's width; `None` when it holds none, or none as large as a scanned page.
pub fn embedded_picture(
    doc: &lopdf::Document,
    page_id: lopdf::ObjectId,
    limits: &Limits,
) -> Option<(Pixels, u32)> {
    let images = doc.get_page_images(page_id).ok()?;
    let img = images
        .iter()
        .filter(|i| i.width >= 300 && i.height >= 300)
        .max_by_key(|i| i.width.saturating_mul(i.height))?;
    let picture = decode_picture(doc, img, limits)?;
    let dpi = picture.page_dpi();
    Some((picture, dpi))
}

/// The codes in a text page's embedded pictures: a QR code a CFDI or an NFC-e printout embeds
/// as a small picture (often one pixel a module, drawn large by the page), enlarged and given
/// a white margin for the decoder. Cheap: nothing is rendered.
pub fn codes_in_pictures(
    doc: &lopdf::Document,
    page_id: lopdf::ObjectId,
    number: u32,
    limits: &Limits,
) -> Vec<codes::Code> {
    let Ok(images) = doc.get_page_images(page_id) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for img in images.iter().take(MAX_PICTURES_A_PAGE) {
        if img.width < 21 || img.height < 21 || img.width.saturating_mul(img.height) > 4_000_000 {
            continue;
        }
        let Some(p) = decode_picture(doc, img, limits) else {
            continue;
        };
        let long = p.width.max(p.height);
        let p = if long < 400 {
            p.scaled((400 / long) as f32 + 1.0)
        } else {
            p
        };
        found.extend(codes::read_once(&p.padded(16), number));
    }
    found
}

/// Most pictures of one text page searched for codes (a logo, a QR code, a signature...).
const MAX_PICTURES_A_PAGE: usize = 16;

/// One embedded picture as grey pixels: JPEG, or 8-bit grey or RGB and 1-bit grey samples,
/// deflated or not; `None` for anything else (the page is then rendered instead).
fn decode_picture(
    doc: &lopdf::Document,
    img: &lopdf::xobject::PdfImage,
    limits: &Limits,
) -> Option<Pixels> {
    let (w, h) = (
        u32::try_from(img.width).ok()?,
        u32::try_from(img.height).ok()?,
    );
    if u64::from(w) * u64::from(h) > pixels::Limits::default().max_pixels {
        return None;
    }
    let filters = img.filters.clone().unwrap_or_default();
    // The stream's bytes with its filters undone, within the stream limit.
    let inflated = || {
        doc.get_object(img.id)
            .ok()?
            .as_stream()
            .ok()?
            .decompressed_content_with_limit(limits.max_stream)
            .ok()
    };
    let picture = if filters.iter().any(|f| f == "DCTDecode") {
        let bytes = if filters.len() == 1 {
            img.content.to_vec()
        } else {
            inflated()?
        };
        let mut first = None;
        pixels::for_each_page(&bytes, &pixels::Limits::default(), |_, p| {
            first.get_or_insert(p);
            Ok(())
        })
        .ok()?;
        first?
    } else if filters.iter().all(|f| f == "FlateDecode") {
        let mask = img
            .origin_dict
            .get(b"ImageMask")
            .and_then(lopdf::Object::as_bool)
            .unwrap_or(false);
        let channels = match img.color_space.as_deref() {
            Some("DeviceGray" | "CalGray") => 1,
            Some("DeviceRGB" | "CalRGB") => 3,
            // A stencil mask: 1 bit a pixel, 0 painted (black on the page).
            None if mask => 1,
            _ => return None,
        };
        let bits = img.bits_per_component.unwrap_or(8);
        let samples = if filters.is_empty() {
            img.content.to_vec()
        } else {
            inflated()?
        };
        match (bits, channels) {
            (8, c) if samples.len() >= (w * h) as usize * c => {
                Pixels::from_samples(w, h, c, &samples[..(w * h) as usize * c])
            }
            (1, 1) if samples.len() >= w.div_ceil(8) as usize * h as usize => {
                // PDF's default Decode for grey: 0 is black.
                pixels::unpack(w, h, 1, &samples)
            }
            _ => return None,
        }
    } else {
        return None;
    };
    Some(picture)
}

/// Read a PDF page from its pixels into `info`: the codes on it (its picture, or else renders
/// at 200 and 300 dpi until one shows a code), and, when `ocr` says so, its text.
#[allow(clippy::too_many_arguments)]
pub fn pdf_page(
    doc: &lopdf::Document,
    page_id: lopdf::ObjectId,
    number: u32,
    renderer: &mut Renderer,
    ocr: bool,
    opts: &ScanOptions,
    limits: &Limits,
    deadline: Instant,
    info: &mut PdfInfo,
) -> Result<(), FileError> {
    let index = number.saturating_sub(1) as usize;
    let picture = embedded_picture(doc, page_id, limits);
    let mut found = Vec::new();
    let mut render_300 = None;
    match &picture {
        // A scanned page: its picture at its own resolution and the scales `codes::read`
        // tries (a render of the page would be the same picture, resampled, at a cost).
        Some((p, _)) => found = codes::read(p, number),
        None => {
            for dpi in [200.0, 300.0] {
                check(deadline)?;
                let Some(p) = renderer.render(index, dpi) else {
                    break;
                };
                found = codes::read_once(&p, number);
                if dpi == 300.0 {
                    render_300 = Some(p);
                }
                if !found.is_empty() {
                    break;
                }
            }
        }
    }
    info.codes.extend(found);
    if ocr && opts.ocr != Mode::Never {
        check(deadline)?;
        let page = match (picture, render_300) {
            (Some((p, dpi)), _) => Some((p, dpi)),
            (None, Some(p)) => Some((p, 300)),
            (None, None) => renderer.render(index, 300.0).map(|p| (p, 300)),
        };
        if let Some((p, dpi)) = page {
            ocr_page(&p, dpi, opts, limits, deadline, info)?;
        }
    }
    Ok(())
}
