//! Pictures as grey pixels: a scan's or a photo's pages decoded from JPEG, PNG, TIFF (every
//! page) and WebP, bounded before anything large is allocated. Barcode readers and OCR both
//! want luminance only, so every picture becomes one byte a pixel here.
//!
//! A hostile picture is one file's typed error: a header that declares more pixels than
//! [`Limits::max_pixels`] or more pages than [`Limits::max_pages`] is `too_large` before its
//! pixels are decoded; a truncated or damaged one is `image_corrupt`.

use crate::error::{ErrorType, FileError};
use std::io::Cursor;

/// One page of grey pixels, row by row, one byte each (0 black, 255 white).
#[derive(Clone, PartialEq, Eq)]
pub struct Pixels {
    pub width: u32,
    pub height: u32,
    pub luma: Vec<u8>,
}

impl std::fmt::Debug for Pixels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pixels({}x{})", self.width, self.height)
    }
}

impl Pixels {
    /// From interleaved samples of `channels` per pixel (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA),
    /// transparent pixels as white paper.
    pub fn from_samples(width: u32, height: u32, channels: usize, samples: &[u8]) -> Pixels {
        let luma = match channels {
            1 => samples.to_vec(),
            2 => samples
                .chunks_exact(2)
                .map(|p| over_white(p[0], p[1]))
                .collect(),
            3 => samples
                .chunks_exact(3)
                .map(|p| grey(p[0], p[1], p[2]))
                .collect(),
            _ => samples
                .chunks_exact(channels)
                .map(|p| over_white(grey(p[0], p[1], p[2]), p[3]))
                .collect(),
        };
        Pixels {
            width,
            height,
            luma,
        }
    }

    /// Scaled by `factor` (box filter down, nearest up): decoders find codes at some scales
    /// and not others.
    pub fn scaled(&self, factor: f32) -> Pixels {
        let w = ((self.width as f32 * factor).round() as u32).max(1);
        let h = ((self.height as f32 * factor).round() as u32).max(1);
        let (sw, sh) = (self.width as usize, self.height as usize);
        let mut luma = Vec::with_capacity(w as usize * h as usize);
        for y in 0..h as usize {
            let y0 = (y * sh / h as usize).min(sh - 1);
            let y1 = (((y + 1) * sh).div_ceil(h as usize)).clamp(y0 + 1, sh);
            for x in 0..w as usize {
                let x0 = (x * sw / w as usize).min(sw - 1);
                let x1 = (((x + 1) * sw).div_ceil(w as usize)).clamp(x0 + 1, sw);
                let mut sum = 0u32;
                for row in y0..y1 {
                    sum += self.luma[row * sw + x0..row * sw + x1]
                        .iter()
                        .map(|&v| u32::from(v))
                        .sum::<u32>();
                }
                luma.push((sum / ((y1 - y0) * (x1 - x0)) as u32) as u8);
            }
        }
        Pixels {
            width: w,
            height: h,
            luma,
        }
    }

    /// Each pixel the mean of the `2 * radius + 1` pixels above and below it: a barcode's bars
    /// run up and down, so this takes a photo's noise out of them without widening them.
    pub fn smoothed_vertically(&self, radius: u32) -> Pixels {
        let (w, h) = (self.width as usize, self.height as usize);
        let r = radius as usize;
        let mut luma = vec![0u8; w * h];
        let mut sums = vec![0u32; w];
        // A running sum per column over the window [y - r, y + r], clamped to the picture.
        for row in self.luma.chunks_exact(w).take(r.min(h)) {
            for (s, &v) in sums.iter_mut().zip(row) {
                *s += u32::from(v);
            }
        }
        for y in 0..h {
            if y + r < h {
                let row = &self.luma[(y + r) * w..(y + r + 1) * w];
                for (s, &v) in sums.iter_mut().zip(row) {
                    *s += u32::from(v);
                }
            }
            if y > r {
                let row = &self.luma[(y - r - 1) * w..(y - r) * w];
                for (s, &v) in sums.iter_mut().zip(row) {
                    *s -= u32::from(v);
                }
            }
            let n = (y + r).min(h - 1) - y.saturating_sub(r) + 1;
            for (out, s) in luma[y * w..(y + 1) * w].iter_mut().zip(&sums) {
                *out = (s / n as u32) as u8;
            }
        }
        Pixels {
            width: self.width,
            height: self.height,
            luma,
        }
    }

    /// Lit evenly: each pixel divided by the paper's brightness around it (the brightest pixel
    /// of its 32-pixel block, interpolated between blocks), so a photo's shadow at one side
    /// does not move the black-and-white threshold a barcode row is read with.
    pub fn flattened(&self) -> Pixels {
        const BLOCK: usize = 32;
        let (w, h) = (self.width as usize, self.height as usize);
        let (bw, bh) = (w.div_ceil(BLOCK), h.div_ceil(BLOCK));
        let mut paper = vec![1u8; bw * bh];
        for y in 0..h {
            let row = &self.luma[y * w..(y + 1) * w];
            for (bx, chunk) in row.chunks(BLOCK).enumerate() {
                let m = chunk.iter().copied().max().unwrap_or(255);
                let cell = &mut paper[(y / BLOCK) * bw + bx];
                *cell = (*cell).max(m);
            }
        }
        let at = |bx: usize, by: usize| f32::from(paper[by.min(bh - 1) * bw + bx.min(bw - 1)]);
        let mut luma = Vec::with_capacity(w * h);
        for y in 0..h {
            let fy = ((y as f32 + 0.5) / BLOCK as f32 - 0.5).max(0.0);
            let (by, ty) = (fy as usize, fy.fract());
            for x in 0..w {
                let fx = ((x as f32 + 0.5) / BLOCK as f32 - 0.5).max(0.0);
                let (bx, tx) = (fx as usize, fx.fract());
                let top = at(bx, by) * (1.0 - tx) + at(bx + 1, by) * tx;
                let bottom = at(bx, by + 1) * (1.0 - tx) + at(bx + 1, by + 1) * tx;
                let bg = (top * (1.0 - ty) + bottom * ty).max(1.0);
                let v = f32::from(self.luma[y * w + x]);
                luma.push((v * 255.0 / bg).min(255.0) as u8);
            }
        }
        Pixels {
            width: self.width,
            height: self.height,
            luma,
        }
    }

    /// With a white margin of `border` pixels all round (the quiet zone a decoder needs).
    pub fn padded(&self, border: u32) -> Pixels {
        let w = self.width + 2 * border;
        let h = self.height + 2 * border;
        let mut luma = vec![255u8; w as usize * h as usize];
        for (y, row) in self.luma.chunks_exact(self.width as usize).enumerate() {
            let start = (y + border as usize) * w as usize + border as usize;
            luma[start..start + row.len()].copy_from_slice(row);
        }
        Pixels {
            width: w,
            height: h,
            luma,
        }
    }

    /// The resolution of a page this picture is, taking its shorter side as an A4 page's
    /// width (8.27 in): a photo's or an embedded scan's resolution is not known otherwise,
    /// and Tesseract judges character sizes by it.
    pub fn page_dpi(&self) -> u32 {
        (self.width.min(self.height) as f32 / 8.27).clamp(70.0, 600.0) as u32
    }

    /// As a binary PGM (netpbm P5): what Tesseract reads from its stdin without a codec.
    pub fn to_pgm(&self) -> Vec<u8> {
        let mut out = format!("P5\n{} {}\n255\n", self.width, self.height).into_bytes();
        out.extend_from_slice(&self.luma);
        out
    }
}

fn grey(r: u8, g: u8, b: u8) -> u8 {
    ((u32::from(r) * 299 + u32::from(g) * 587 + u32::from(b) * 114) / 1000) as u8
}

fn over_white(v: u8, alpha: u8) -> u8 {
    let a = u32::from(alpha);
    ((u32::from(v) * a + 255 * (255 - a)) / 255) as u8
}

/// Bounds on one picture's decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most pixels one page may declare: 100 million (a 50-megapixel phone photo is half).
    pub max_pixels: u64,
    /// Most pages a multi-page TIFF may hold.
    pub max_pages: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_pixels: 100_000_000,
            max_pages: 200,
        }
    }
}

/// The picture formats read, from their signatures: `jpeg`, `png`, `tiff`, `webp`.
pub fn picture_kind(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some("jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Some("tiff")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("webp")
    } else {
        None
    }
}

/// Call `f` with every page of a picture, in order (pages from 1), as grey pixels, each
/// turned upright by its EXIF orientation where the format carries one. One page is held at a
/// time: a TIFF of many pages costs one page's memory.
pub fn for_each_page(
    bytes: &[u8],
    limits: &Limits,
    mut f: impl FnMut(u32, Pixels) -> Result<(), FileError>,
) -> Result<(), FileError> {
    match picture_kind(bytes) {
        Some("tiff") => tiff_pages(bytes, limits, f),
        Some(kind) => f(1, single(bytes, kind, limits)?),
        None => Err(corrupt("not a JPEG, PNG, TIFF or WebP picture")),
    }
}

fn corrupt(why: impl std::fmt::Display) -> FileError {
    FileError::new(
        ErrorType::ImageCorrupt,
        format!("the picture cannot be decoded: {why}"),
    )
}

fn too_large(width: u64, height: u64, limits: &Limits) -> FileError {
    FileError::new(
        ErrorType::TooLarge,
        format!(
            "the picture declares {width} x {height} pixels, more than the {} million read",
            limits.max_pixels / 1_000_000
        ),
    )
}

/// The size a PNG's or a JPEG's header declares, read before any decoder runs (a decoder
/// may fail on what follows first, which would hide a giant as merely damaged).
fn declared_size(bytes: &[u8], kind: &str) -> Option<(u32, u32)> {
    let be32 = |i: usize| Some(u32::from_be_bytes(bytes.get(i..i + 4)?.try_into().ok()?));
    let be16 = |i: usize| {
        Some(u32::from(u16::from_be_bytes(
            bytes.get(i..i + 2)?.try_into().ok()?,
        )))
    };
    match kind {
        "png" if bytes.get(12..16) == Some(b"IHDR") => Some((be32(16)?, be32(20)?)),
        "jpeg" => {
            let mut i = 2;
            while i + 9 < bytes.len() {
                if bytes[i] != 0xFF {
                    return None;
                }
                let marker = bytes[i + 1];
                let len = be16(i + 2)? as usize;
                if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
                    return Some((be16(i + 7)?, be16(i + 5)?));
                }
                i += 2 + len;
            }
            None
        }
        _ => None,
    }
}

/// A JPEG, PNG or WebP: its size checked from the header before it is decoded.
fn single(bytes: &[u8], kind: &str, limits: &Limits) -> Result<Pixels, FileError> {
    use image::ImageDecoder;
    if let Some((w, h)) = declared_size(bytes, kind)
        && u64::from(w) * u64::from(h) > limits.max_pixels
    {
        return Err(too_large(w.into(), h.into(), limits));
    }
    let format = match kind {
        "jpeg" => image::ImageFormat::Jpeg,
        "png" => image::ImageFormat::Png,
        _ => image::ImageFormat::WebP,
    };
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let mut bounds = image::Limits::default();
    // Room for the widest decode (RGBA, 16 bits a sample) of the most pixels allowed.
    bounds.max_alloc = Some(limits.max_pixels * 8);
    reader.limits(bounds);
    let mut decoder = reader.into_decoder().map_err(image_error)?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > limits.max_pixels {
        return Err(too_large(w.into(), h.into(), limits));
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut picture = image::DynamicImage::from_decoder(decoder).map_err(image_error)?;
    picture.apply_orientation(orientation);
    let grey = picture.into_luma8();
    Ok(Pixels {
        width: grey.width(),
        height: grey.height(),
        luma: grey.into_raw(),
    })
}

fn image_error(e: image::ImageError) -> FileError {
    match e {
        image::ImageError::Limits(l) => FileError::new(
            ErrorType::TooLarge,
            format!("the picture is too large to decode: {l}"),
        ),
        e => corrupt(e),
    }
}

/// Every page of a TIFF (scanners write one file a document, a page an image).
fn tiff_pages(
    bytes: &[u8],
    limits: &Limits,
    mut f: impl FnMut(u32, Pixels) -> Result<(), FileError>,
) -> Result<(), FileError> {
    use tiff::ColorType;
    use tiff::decoder::{Decoder, DecodingResult};
    let mut bounds = tiff::decoder::Limits::default();
    bounds.decoding_buffer_size = usize::try_from(limits.max_pixels * 8).unwrap_or(usize::MAX);
    bounds.intermediate_buffer_size = bounds.decoding_buffer_size;
    let mut decoder = Decoder::new(Cursor::new(bytes))
        .map_err(tiff_error)?
        .with_limits(bounds);
    let mut pages = 0;
    loop {
        if pages >= limits.max_pages {
            return Err(FileError::new(
                ErrorType::TooLarge,
                format!(
                    "the TIFF holds more than {} pages, the most read",
                    limits.max_pages
                ),
            ));
        }
        let (w, h) = decoder.dimensions().map_err(tiff_error)?;
        if u64::from(w) * u64::from(h) > limits.max_pixels {
            return Err(too_large(w.into(), h.into(), limits));
        }
        let color = decoder.colortype().map_err(tiff_error)?;
        let image = decoder.read_image().map_err(tiff_error)?;
        let DecodingResult::U8(samples) = image else {
            return Err(corrupt(format!("{color:?} samples are not read")));
        };
        let page = match color {
            ColorType::Gray(8) => Pixels::from_samples(w, h, 1, &samples),
            ColorType::GrayA(8) => Pixels::from_samples(w, h, 2, &samples),
            ColorType::RGB(8) => Pixels::from_samples(w, h, 3, &samples),
            ColorType::RGBA(8) => Pixels::from_samples(w, h, 4, &samples),
            ColorType::Gray(bits @ (1 | 2 | 4)) => unpack(w, h, bits, &samples),
            other => return Err(corrupt(format!("{other:?} pixels are not read"))),
        };
        pages += 1;
        f(pages, page)?;
        if !decoder.more_images() {
            break;
        }
        decoder.next_image().map_err(tiff_error)?;
    }
    Ok(())
}

/// Grey samples of 1, 2 or 4 bits, rows padded to a byte, spread to 8 bits (a fax scan's
/// bilevel pages: the TIFF decoder has already applied its white-is-zero photometry).
pub fn unpack(width: u32, height: u32, bits: u8, packed: &[u8]) -> Pixels {
    let per_byte = 8 / bits as usize;
    let row_bytes = (width as usize).div_ceil(per_byte);
    let max = (1u16 << bits) - 1;
    let mut luma = Vec::with_capacity(width as usize * height as usize);
    for row in packed.chunks(row_bytes).take(height as usize) {
        for x in 0..width as usize {
            let byte = row.get(x / per_byte).copied().unwrap_or(0);
            let shift = 8 - bits as usize * (x % per_byte + 1);
            let v = u16::from(byte >> shift) & max;
            luma.push((v * 255 / max) as u8);
        }
    }
    luma.resize(width as usize * height as usize, 255);
    Pixels {
        width,
        height,
        luma,
    }
}

fn tiff_error(e: tiff::TiffError) -> FileError {
    match e {
        tiff::TiffError::LimitsExceeded => FileError::new(
            ErrorType::TooLarge,
            "the TIFF is too large to decode".to_owned(),
        ),
        e => corrupt(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picture_signatures() {
        assert_eq!(picture_kind(b"\xFF\xD8\xFF\xE0"), Some("jpeg"));
        assert_eq!(picture_kind(b"\x89PNG\r\n\x1a\nxx"), Some("png"));
        assert_eq!(picture_kind(b"II*\0"), Some("tiff"));
        assert_eq!(picture_kind(b"MM\0*"), Some("tiff"));
        assert_eq!(picture_kind(b"RIFF\0\0\0\0WEBPVP8 "), Some("webp"));
        assert_eq!(picture_kind(b"RIFF\0\0\0\0WAVE"), None);
        assert_eq!(picture_kind(b"%PDF-1.4"), None);
    }

    #[test]
    fn scaling_averages_and_keeps_the_shape() {
        let p = Pixels {
            width: 4,
            height: 2,
            luma: vec![0, 255, 0, 255, 0, 255, 0, 255],
        };
        let half = p.scaled(0.5);
        assert_eq!((half.width, half.height), (2, 1));
        assert_eq!(half.luma, [127, 127]);
        let double = p.scaled(2.0);
        assert_eq!((double.width, double.height), (8, 4));
        assert_eq!(&double.luma[..4], [0, 0, 255, 255]);
    }

    #[test]
    fn bilevel_rows_unpack_to_grey() {
        // 10 pixels a row, two bytes a row: 1010000000 and 0000000001.
        let p = unpack(10, 2, 1, &[0b1010_0000, 0, 0, 0b0100_0000]);
        assert_eq!(p.luma[..3], [255, 0, 255]);
        assert_eq!(p.luma[19], 255);
        assert_eq!(p.luma[18], 0);
    }

    #[test]
    fn a_declared_giant_is_too_large_before_decoding() {
        // A PNG header of 100,000 x 100,000 pixels and nothing else of note.
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        let ihdr = [
            &100_000u32.to_be_bytes()[..],
            &100_000u32.to_be_bytes(),
            &[8, 0, 0, 0, 0],
        ]
        .concat();
        png.extend_from_slice(&ihdr);
        let crc = crc32fast::hash(&[&b"IHDR"[..], &ihdr].concat());
        png.extend_from_slice(&crc.to_be_bytes());
        let decode = |b: &[u8]| for_each_page(b, &Limits::default(), |_, _| Ok(())).unwrap_err();
        let e = decode(&png);
        assert_eq!(e.error_type, ErrorType::TooLarge, "{}", e.message);
        let e = decode(b"\xFF\xD8\xFF\xE0\0\x10JFIF");
        assert_eq!(e.error_type, ErrorType::ImageCorrupt, "{}", e.message);
    }
}
