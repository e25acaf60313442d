//! Scans and photos drawn by the tests themselves: a page's text rendered by hayro from a PDF
//! the tests write, the codes fiscal printouts carry (Code 128, QR, PDF417) written by rxing
//! and pasted as pixels, a "phone photo" of the page (turned 3°, noisy, lit unevenly), and the
//! containers they arrive in: PNG, JPEG, multi-page TIFF, WebP, and an image-only PDF.

use crate::pdfgen;
use rxing::{BarcodeFormat, MultiFormatWriter, Writer};
use std::io::Cursor;

/// Grey pixels, one byte each (0 black, 255 white).
#[derive(Clone)]
pub struct Canvas {
    pub width: u32,
    pub height: u32,
    pub luma: Vec<u8>,
}

/// A line of text on a page: its left, its baseline from the page's top (points) and its size.
pub struct Line<'a>(pub f32, pub f32, pub f32, pub &'a str);

/// An A4 page holding `lines` in Helvetica, rendered at `dpi`.
pub fn page(lines: &[Line], dpi: f32) -> Canvas {
    let mut content = Vec::new();
    for Line(x, y, size, text) in lines {
        pdfgen::show_text(&mut content, *size, *x, 842.0 - y, text);
    }
    let pdf = pdfgen::assemble(
        &[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
               /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
                .to_vec(),
            pdfgen::stream("", &content),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
                .to_vec(),
        ],
        "",
    );
    render(&pdf, 0, dpi)
}

/// A DANFE-like page at 150 dpi, its title and labels, without its barcode.
pub fn danfe_form() -> Canvas {
    page(
        &[
            Line(40.0, 60.0, 16.0, "DANFE"),
            Line(
                40.0,
                80.0,
                9.0,
                "DOCUMENTO AUXILIAR DA NOTA FISCAL ELETRONICA",
            ),
            Line(300.0, 110.0, 8.0, "CHAVE DE ACESSO"),
            Line(40.0, 300.0, 9.0, "DADOS DOS PRODUTOS / SERVICOS"),
            Line(40.0, 315.0, 9.0, "CAFE TORRADO E MOIDO 500G"),
        ],
        150.0,
    )
}

/// The DANFE-like page with `key` as its Code 128 barcode only (no key in its text).
pub fn danfe_page(key: &str) -> Canvas {
    let mut page = danfe_form();
    page.danfe_barcode(key);
    page
}

/// Page `index` of a PDF rendered by hayro at `dpi`, on white.
pub fn render(pdf: &[u8], index: usize, dpi: f32) -> Canvas {
    let doc = hayro::hayro_syntax::Pdf::new(pdf.to_vec()).expect("a PDF hayro opens");
    let page = &doc.pages()[index];
    let settings = hayro::PixmapSettings {
        x_scale: dpi / 72.0,
        y_scale: dpi / 72.0,
        bg_color: hayro::vello_cpu::color::palette::css::WHITE,
    };
    let map = hayro::render(
        page,
        &hayro::RenderCache::new(),
        &hayro::hayro_interpret::InterpreterSettings::default(),
        &hayro::RenderSettings::default(),
        &settings,
    );
    let rgba = map.data_as_u8_slice();
    Canvas {
        width: u32::from(map.width()),
        height: u32::from(map.height()),
        luma: rgba
            .chunks_exact(4)
            .map(|p| {
                ((u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114) / 1000)
                    as u8
            })
            .collect(),
    }
}

impl Canvas {
    pub fn blank(width: u32, height: u32) -> Canvas {
        Canvas {
            width,
            height,
            luma: vec![255; (width * height) as usize],
        }
    }

    /// Paint a module grid (`true` is dark) at (`x`, `y`), each module `module` pixels wide
    /// and `tall` pixels high.
    fn paint(&mut self, grid: &rxing::common::BitMatrix, x: u32, y: u32, module: u32, tall: u32) {
        for gy in 0..grid.getHeight() {
            for gx in 0..grid.getWidth() {
                if !grid.get(gx, gy) {
                    continue;
                }
                for dy in 0..tall {
                    for dx in 0..module {
                        let (px, py) = (x + gx * module + dx, y + gy * tall + dy);
                        if px < self.width && py < self.height {
                            self.luma[(py * self.width + px) as usize] = 0;
                        }
                    }
                }
            }
        }
    }

    /// A Code 128 barcode of `text` (a DANFE's key) at (`x`, `y`), bars `module` px a module.
    pub fn code128(&mut self, text: &str, x: u32, y: u32, module: u32, height: u32) {
        let grid = MultiFormatWriter
            .encode(text, &BarcodeFormat::CODE_128, 0, 1)
            .expect("Code 128");
        self.paint(&grid, x, y, module, height);
    }

    /// `key` as a DANFE prints it: a Code 128 below the form's "CHAVE DE ACESSO" label, two
    /// pixels a module (0.34 mm at 150 dpi, as real DANFEs print).
    pub fn danfe_barcode(&mut self, key: &str) {
        self.code128(key, 600, 250, 2, 90);
    }

    /// A QR code of `text` at (`x`, `y`), `module` px a module.
    pub fn qr(&mut self, text: &str, x: u32, y: u32, module: u32) {
        let grid = MultiFormatWriter
            .encode(text, &BarcodeFormat::QR_CODE, 0, 0)
            .expect("QR code");
        self.paint(&grid, x, y, module, module);
    }

    /// A PDF417 code of `text` at (`x`, `y`).
    pub fn pdf417(&mut self, text: &str, x: u32, y: u32, module: u32) {
        let grid = MultiFormatWriter
            .encode(text, &BarcodeFormat::PDF_417, 0, 0)
            .expect("PDF417");
        self.paint(&grid, x, y, module, 3 * module);
    }

    /// The page as a phone photographs it: turned 3° about its centre, lit from one side
    /// (a quarter darker at the far edge), with sensor noise; the same for the same seed.
    pub fn photo(&self, seed: u64) -> Canvas {
        let (w, h) = (self.width as f32, self.height as f32);
        let (sin, cos) = 3f32.to_radians().sin_cos();
        let mut out = Canvas::blank(self.width, self.height);
        let mut x = seed | 1;
        for py in 0..self.height {
            for px in 0..self.width {
                let (dx, dy) = (px as f32 - w / 2.0, py as f32 - h / 2.0);
                let (sx, sy) = (
                    cos * dx + sin * dy + w / 2.0,
                    -sin * dx + cos * dy + h / 2.0,
                );
                let v = self.bilinear(sx, sy);
                let light = 1.0 - 0.25 * (px as f32 / w);
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let noise = (x % 41) as f32 - 20.0;
                out.luma[(py * self.width + px) as usize] =
                    (v * light + noise).clamp(0.0, 255.0) as u8;
            }
        }
        out
    }

    fn bilinear(&self, x: f32, y: f32) -> f32 {
        if x < 0.0 || y < 0.0 || x >= (self.width - 1) as f32 || y >= (self.height - 1) as f32 {
            return 255.0;
        }
        let (x0, y0) = (x as u32, y as u32);
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let at = |x: u32, y: u32| f32::from(self.luma[(y * self.width + x) as usize]);
        let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1, y0) * fx;
        let bottom = at(x0, y0 + 1) * (1.0 - fx) + at(x0 + 1, y0 + 1) * fx;
        top * (1.0 - fy) + bottom * fy
    }

    fn image(&self) -> image::GrayImage {
        image::GrayImage::from_raw(self.width, self.height, self.luma.clone()).unwrap()
    }

    pub fn png(&self) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        self.image()
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap();
        out.into_inner()
    }

    pub fn jpeg(&self, quality: u8) -> Vec<u8> {
        let mut out = Vec::new();
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
        self.image().write_with_encoder(encoder).unwrap();
        out
    }

    pub fn webp(&self) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let rgb = image::DynamicImage::ImageLuma8(self.image()).to_rgb8();
        rgb.write_to(&mut out, image::ImageFormat::WebP).unwrap();
        out.into_inner()
    }
}

/// A TIFF holding `pages`, one image each.
pub fn tiff(pages: &[&Canvas]) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let mut encoder = tiff::encoder::TiffEncoder::new(&mut out).unwrap();
    for p in pages {
        encoder
            .write_image::<tiff::encoder::colortype::Gray8>(p.width, p.height, &p.luma)
            .unwrap();
    }
    out.into_inner()
}

/// A one-page A4 PDF without text whose page is this JPEG (a scanner's PDF).
pub fn image_pdf(jpeg: &[u8], width: u32, height: u32) -> Vec<u8> {
    let content = b"q 595 0 0 842 0 0 cm /Im1 Do Q\n";
    pdfgen::assemble(
        &[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
               /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>"
                .to_vec(),
            pdfgen::stream("", content),
            pdfgen::stream(
                &format!(
                    "/Type /XObject /Subtype /Image /Width {width} /Height {height} \
                     /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode"
                ),
                jpeg,
            ),
        ],
        "",
    )
}

/// A one-page A4 PDF without text whose only content is a Code 128 of `text` drawn as vector
/// bars (a printout generator's barcode): no picture to take, the page must be rendered.
pub fn vector_barcode_pdf(text: &str) -> Vec<u8> {
    let grid = MultiFormatWriter
        .encode(text, &BarcodeFormat::CODE_128, 0, 1)
        .expect("Code 128");
    let mut content = String::from("0 g\n");
    let module = 1.0;
    for x in 0..grid.getWidth() {
        if grid.get(x, 0) {
            content.push_str(&format!(
                "{} 700 {module} 50 re f\n",
                60.0 + x as f32 * module
            ));
        }
    }
    pdfgen::assemble(
        &[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_vec(),
            pdfgen::stream("", content.as_bytes()),
        ],
        "",
    )
}

/// A one-page PDF with a text layer (`lines`) and, as a small embedded picture, a QR code of
/// `url` at one pixel a module (raw 8-bit grey samples, drawn 120 points wide): how CFDI and
/// NFC-e printouts carry their QR code.
pub fn text_pdf_with_qr(lines: &[&str], url: &str) -> Vec<u8> {
    let grid = MultiFormatWriter
        .encode(url, &BarcodeFormat::QR_CODE, 0, 0)
        .expect("QR code");
    let (w, h) = (grid.getWidth(), grid.getHeight());
    let samples: Vec<u8> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| if grid.get(x, y) { 0 } else { 255 })
        .collect();
    let mut content = b"q 120 0 0 120 400 650 cm /Qr Do Q\n".to_vec();
    for (i, line) in lines.iter().enumerate() {
        pdfgen::show_text(&mut content, 10.0, 40.0, 800.0 - 14.0 * i as f32, line);
    }
    pdfgen::assemble(
        &[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
               /Resources << /Font << /F1 5 0 R >> /XObject << /Qr 6 0 R >> >> \
               /Contents 4 0 R >>"
                .to_vec(),
            pdfgen::stream("", &content),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
                .to_vec(),
            pdfgen::stream(
                &format!(
                    "/Type /XObject /Subtype /Image /Width {w} /Height {h} \
                     /ColorSpace /DeviceGray /BitsPerComponent 8"
                ),
                &samples,
            ),
        ],
        "",
    )
}
