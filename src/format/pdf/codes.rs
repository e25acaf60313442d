//! The machine-readable codes fiscal printouts carry, read from pixels with rxing (the ZXing
//! port), and what they say.
//!
//! A DANFE and a DACTE print their 44-digit access key as a Code 128 barcode; an NFC-e prints a
//! QR code whose URL holds the key (`?p=KEY|...`, or `chNFe=KEY` in layout 1); a CFDI and a
//! CFDI de Retenciones print a QR code whose URL holds `id=UUID&re=RFC&rr=RFC&tt=TOTAL`. A code
//! read from the page is exact where OCR guesses, so a key from a code beats one from text.
//!
//! Decoders are sensitive to scale: a barcode read at one resolution may not be at another, so
//! [`read`] tries a picture at its own size first and then at the scales [`scales`] names,
//! stopping at the first try that finds a code.

use super::find;
use super::pixels::Pixels;
use rxing::{BarcodeFormat, DecodeHints};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// One code read from a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Code {
    /// `code_128`, `qr_code`, `pdf_417`.
    pub format: String,
    /// What the code holds, as decoded.
    pub text: String,
    /// The page it was read from, from 1.
    pub page: u32,
}

/// The formats fiscal printouts use.
fn formats() -> HashSet<BarcodeFormat> {
    HashSet::from([
        BarcodeFormat::CODE_128,
        BarcodeFormat::QR_CODE,
        BarcodeFormat::PDF_417,
    ])
}

fn format_name(f: &BarcodeFormat) -> &'static str {
    match f {
        BarcodeFormat::CODE_128 => "code_128",
        BarcodeFormat::QR_CODE => "qr_code",
        BarcodeFormat::PDF_417 => "pdf_417",
        _ => "other",
    }
}

/// The scales a picture is tried at after its own, from its size: a large photo also at half
/// size (the decoder's binarizer sees a phone photo's fine noise as bars), a small picture
/// also half as large again (a 96-150 dpi picture's bars are too thin to tell apart).
pub fn scales(p: &Pixels) -> Vec<f32> {
    let long = p.width.max(p.height);
    let mut s = Vec::new();
    if long > 2400 {
        s.push(0.5);
    }
    if long < 1800 {
        s.push(1.5);
    }
    s
}

/// The codes on one page, in the order found, each text once: tried at the picture's size,
/// then lit evenly and smoothed up and down (a photo's shadow and noise out of a barcode's
/// bars), then that at [`scales`], until a try finds one. On 1,000 phone photos of a 150 dpi
/// DANFE (turned 3°, noisy, lit from one side): 0 read plain, 972 evened out, 1,000 with the
/// last try.
pub fn read(p: &Pixels, page: u32) -> Vec<Code> {
    let mut found = read_once(p, page);
    if found.is_empty() {
        let even = p.flattened().smoothed_vertically(3);
        found = read_once(&even, page);
        for s in scales(p) {
            if !found.is_empty() {
                break;
            }
            found = read_once(&even.scaled(s), page);
        }
    }
    found
}

/// One try of the decoder over the whole picture.
pub fn read_once(p: &Pixels, page: u32) -> Vec<Code> {
    if p.width < 8 || p.height < 8 {
        return Vec::new();
    }
    // rxing has panicked on crafted pictures in its history: a panic is "no code", not the
    // reader's death (the worker would record internal_error and lose the page's text).
    let results = std::panic::catch_unwind(|| {
        let mut hints = DecodeHints {
            PossibleFormats: Some(formats()),
            TryHarder: Some(true),
            ..DecodeHints::default()
        };
        rxing::helpers::detect_multiple_in_luma_with_hints(
            p.luma.clone(),
            p.width,
            p.height,
            &mut hints,
        )
    });
    let mut codes: Vec<Code> = Vec::new();
    if let Ok(Ok(results)) = results {
        for r in results {
            let text = r.getText().trim();
            if text.is_empty() || codes.iter().any(|c| c.text == text) {
                continue;
            }
            codes.push(Code {
                format: format_name(r.getBarcodeFormat()).to_owned(),
                text: text.to_owned(),
                page,
            });
        }
    }
    codes
}

/// What a page's codes say, each field from the first code that shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// An NF-e, NFC-e or CT-e access key with a right check digit.
    pub chave: Option<String>,
    /// A CFDI's (or Retenciones') UUID.
    pub uuid: Option<String>,
    /// The verification URL an NFC-e or CFDI QR code holds.
    pub url: Option<String>,
    /// A CFDI QR's issuer RFC (`re`).
    pub emisor_rfc: Option<String>,
    /// A CFDI QR's receiver RFC (`rr`; `nr` on a Retenciones' foreign receiver).
    pub receptor_rfc: Option<String>,
    /// A CFDI QR's total (`tt`).
    pub total: Option<f64>,
}

/// What the codes say.
pub fn facts(codes: &[Code]) -> Facts {
    let mut f = Facts::default();
    for c in codes {
        let text = c.text.as_str();
        let is_url = text.starts_with("http://") || text.starts_with("https://");
        if f.chave.is_none()
            && let Some(k) = key_in(text)
        {
            f.chave = Some(k);
            if is_url {
                f.url.get_or_insert_with(|| text.to_owned());
            }
        }
        // A CFDI QR: its parameters, whatever their order (CFDI 3.2 puts id last).
        let params = query(text);
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        if f.uuid.is_none()
            && let Some(id) = param("id")
            && let Some(uuid) = find::cfdi_uuid(&id)
        {
            f.uuid = Some(uuid);
            f.url.get_or_insert_with(|| text.to_owned());
            f.emisor_rfc = param("re").map(|s| s.to_uppercase());
            f.receptor_rfc = param("rr")
                .or_else(|| param("nr"))
                .map(|s| s.to_uppercase());
            f.total = param("tt").and_then(|t| t.parse::<f64>().ok());
        }
    }
    f
}

/// An access key a code holds: a Code 128's 44 digits, or the key in an NFC-e QR's URL
/// (`p=KEY|...` or `chNFe=KEY`), with a right check digit.
fn key_in(text: &str) -> Option<String> {
    let params = query(text);
    for (k, v) in &params {
        if k.eq_ignore_ascii_case("p") || k.eq_ignore_ascii_case("chNFe") {
            let digits: String = v
                .split('|')
                .next()
                .unwrap_or("")
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            if let Some(key) = find::nfe_key(&digits) {
                return Some(key);
            }
        }
    }
    // Not a URL: the code is the key itself (a DANFE's Code 128), or holds it.
    if params.is_empty() {
        return find::nfe_key(text);
    }
    None
}

/// A URL's query parameters, `%XX` decoded; empty when `text` has no `?`.
fn query(text: &str) -> Vec<(String, String)> {
    let Some((_, q)) = text.split_once('?') else {
        return Vec::new();
    };
    q.split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            Some((k.trim().to_owned(), percent_decoded(v)))
        })
        .collect()
}

fn percent_decoded(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| char::from(c).to_digit(16);
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(if b[i] == b'+' { b' ' } else { b[i] });
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "35180834128745000152550010000474281920007498";
    const UUID: &str = "9B1F0C7E-3A52-4D8E-9F10-2C4B6A8D0E11";

    fn code(text: &str) -> Code {
        Code {
            format: "qr_code".into(),
            text: text.into(),
            page: 1,
        }
    }

    #[test]
    fn danfe_barcode_is_the_key() {
        let f = facts(&[code(KEY)]);
        assert_eq!(f.chave.as_deref(), Some(KEY));
        assert_eq!(f.url, None);
        // A wrong check digit is no key.
        let bad = format!("{}0", &KEY[..43]);
        assert_eq!(facts(&[code(&bad)]).chave, None);
    }

    #[test]
    fn nfce_qr_urls_hold_the_key() {
        let v2 = format!("https://www.nfce.fazenda.sp.gov.br/qrcode?p={KEY}|2|1|1|ABCDEF0123");
        let f = facts(&[code(&v2)]);
        assert_eq!(f.chave.as_deref(), Some(KEY));
        assert_eq!(f.url.as_deref(), Some(v2.as_str()));
        let v1 = format!("http://nfce.sefaz.x.gov.br/consulta?chNFe={KEY}&nVersao=100&tpAmb=1");
        assert_eq!(facts(&[code(&v1)]).chave.as_deref(), Some(KEY));
    }

    #[test]
    fn cfdi_qr_holds_uuid_rfcs_and_total() {
        let url = "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx?\
                   id=9b1f0c7e-3a52-4d8e-9f10-2c4b6a8d0e11&re=AAA010101AAA&rr=XAXX010101000\
                   &tt=0000001234.560000&fe=Hs4tkw==";
        let f = facts(&[code(url)]);
        assert_eq!(f.uuid.as_deref(), Some(UUID));
        assert_eq!(f.emisor_rfc.as_deref(), Some("AAA010101AAA"));
        assert_eq!(f.receptor_rfc.as_deref(), Some("XAXX010101000"));
        assert_eq!(f.total, Some(1234.56));
        assert_eq!(f.chave, None);
        // CFDI 3.2 puts the id last; Retenciones names a foreign receiver nr.
        let old = format!("?re=AAA010101AAA&nr=FOREIGN1&tt=10.00&id={UUID}");
        let f = facts(&[code(&old)]);
        assert_eq!(f.uuid.as_deref(), Some(UUID));
        assert_eq!(f.receptor_rfc.as_deref(), Some("FOREIGN1"));
    }

    #[test]
    fn percent_escapes_decode() {
        assert_eq!(percent_decoded("a%7Cb+c%2"), "a|b c%2");
    }
}
