//! Facts found in a PDF's text: the NF-e access key a DANFE prints, the UUID a CFDI's printed
//! representation shows, and what kind of document the text is. Only what the text proves is
//! returned; `None` means not found, never a guess.

use crate::format::nfe::check_digit_ok;

/// The first NF-e access key in `text` whose mod-11 check digit is right.
///
/// DANFEs print the key as eleven groups of four digits separated by spaces, and layouts
/// break it across lines; some print it in one run. Runs of digits separated only by
/// whitespace (dots too: some layouts print `3518.0834...`) are joined, and every 44 digits
/// starting at the start of a run are tried. A 44-digit window with a wrong check digit is
/// ignored (a product code, a phone number...).
pub fn nfe_key(text: &str) -> Option<String> {
    nfe_keys(text).next()
}

/// Every valid key of `text`, in order, each once (a PDF may hold several DANFEs).
pub fn nfe_keys(text: &str) -> impl Iterator<Item = String> + '_ {
    let mut seen = Vec::new();
    chains(text)
        .flat_map(|(digits, starts)| {
            starts
                .into_iter()
                .filter_map(|s| digits.get(s..s + 44).map(str::to_owned))
                .filter(|k| is_key(k))
                .collect::<Vec<_>>()
        })
        .filter(move |k| {
            let new = !seen.contains(k);
            if new {
                seen.push(k.clone());
            }
            new
        })
}

/// A 44-digit key that can be one: a UF code SEFAZ uses, a month, model 55 or 65 (or another
/// fiscal model), and the right check digit.
fn is_key(k: &str) -> bool {
    let b = k.as_bytes();
    let uf = (b[0] - b'0') * 10 + (b[1] - b'0');
    let month = (b[4] - b'0') * 10 + (b[5] - b'0');
    (11..=53).contains(&uf) && (1..=12).contains(&month) && check_digit_ok(k)
}

/// Chains of digit runs joined by whitespace or dots: their digits and where each run starts.
fn chains(text: &str) -> impl Iterator<Item = (String, Vec<usize>)> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        loop {
            while i < bytes.len() && !bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i >= bytes.len() {
                return None;
            }
            let (mut digits, mut starts) = (String::new(), Vec::new());
            loop {
                starts.push(digits.len());
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    digits.push(char::from(bytes[i]));
                    i += 1;
                }
                let mut j = i;
                while j < bytes.len() && (bytes[j].is_ascii_whitespace() || bytes[j] == b'.') {
                    j += 1;
                }
                if j > i && j < bytes.len() && bytes[j].is_ascii_digit() {
                    i = j;
                } else {
                    break;
                }
            }
            if digits.len() >= 44 {
                return Some((digits, starts));
            }
        }
    })
}

/// The first CFDI UUID in `text` (8-4-4-4-12 hexadecimal digits), upper case as the `cfdi`
/// table stores it. Whitespace after a hyphen is allowed: printed representations break the
/// UUID across lines there.
pub fn cfdi_uuid(text: &str) -> Option<String> {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let b = text.as_bytes();
    let mut start = 0;
    while start < b.len() {
        let boundary = start == 0 || !b[start - 1].is_ascii_alphanumeric();
        if boundary && b[start].is_ascii_hexdigit() {
            let mut i = start;
            let mut uuid = String::with_capacity(36);
            let ok = GROUPS.iter().enumerate().all(|(g, &n)| {
                if g > 0 {
                    if b.get(i) != Some(&b'-') {
                        return false;
                    }
                    uuid.push('-');
                    i += 1;
                    while i < b.len() && b[i].is_ascii_whitespace() {
                        i += 1;
                    }
                }
                let group = &b[i..(i + n).min(b.len())];
                if group.len() < n || !group.iter().all(u8::is_ascii_hexdigit) {
                    return false;
                }
                uuid.extend(group.iter().map(|c| char::from(c.to_ascii_uppercase())));
                i += n;
                true
            });
            if ok && b.get(i).is_none_or(|c| !c.is_ascii_alphanumeric()) {
                return Some(uuid);
            }
        }
        start += 1;
    }
    None
}

/// `pdf_document.document_type`: what the text shows, from words every such document prints.
pub fn document_type(text: &str, key: Option<&str>, uuid: Option<&str>) -> &'static str {
    let t = fold(text);
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if has(&["carta de corre", "cc-e"]) {
        "cce"
    } else if key.is_some_and(|k| &k[20..22] == "65")
        || has(&["nfc-e", "nota fiscal de consumidor"])
    {
        "nfce"
    } else if key.is_some() || has(&["danfe", "documento auxiliar da nota fiscal"]) {
        "danfe"
    } else if has(&["comprobante fiscal digital"])
        || (uuid.is_some() && has(&["cfdi", "folio fiscal"]))
    {
        "cfdi"
    } else if has(INVOICE_WORDS) {
        "invoice"
    } else {
        "other"
    }
}

/// The word for an invoice in the languages labels are read in.
const INVOICE_WORDS: &[&str] = &[
    "invoice",
    "factura",
    "facture",
    "rechnung",
    "fatura",
    "nota fiscal",
    "receipt",
    "recibo",
];

/// Lower case, common Latin accents removed, so labels match however they are written.
pub fn fold(text: &str) -> String {
    text.chars().map(fold_char).collect()
}

/// One character folded into one (so positions in a folded line are the original's).
pub fn fold_char(c: char) -> char {
    crate::format::unaccent(c.to_lowercase().next().unwrap_or(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "35180834128745000152550010000474281920007498";

    fn grouped(key: &str, sep: &str) -> String {
        key.as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(sep)
    }

    #[test]
    fn pdf_key_in_groups_of_four() {
        let text = format!("CHAVE DE ACESSO\n{}\nConsulta", grouped(KEY, " "));
        assert_eq!(nfe_key(&text).as_deref(), Some(KEY));
    }

    #[test]
    fn pdf_key_split_across_lines() {
        let g = grouped(KEY, " ");
        let (a, b) = g.split_at(24);
        let text = format!("Chave de acesso {a}\n  {b} PROTOCOLO");
        assert_eq!(nfe_key(&text).as_deref(), Some(KEY));
        assert_eq!(nfe_key(&format!("x{KEY}x")).as_deref(), Some(KEY));
        assert_eq!(nfe_key(&grouped(KEY, ".")).as_deref(), Some(KEY));
    }

    #[test]
    fn pdf_key_with_wrong_check_digit_is_ignored() {
        let bad = format!("{}9", &KEY[..43]);
        assert_eq!(nfe_key(&grouped(&bad, " ")), None);
        // Other numbers before the key do not hide it; numbers next to it are not glued in.
        let text = format!("Fone 11 3333 4444\n{}\n0001", grouped(KEY, " "));
        assert_eq!(nfe_key(&text).as_deref(), Some(KEY));
        // Each key once, in order.
        let two = format!("{KEY} e {KEY}");
        assert_eq!(nfe_keys(&two).count(), 1);
    }

    #[test]
    fn pdf_uuid() {
        let u = "9b1f0c7e-3a52-4d8e-9f10-2c4b6a8d0e11";
        assert_eq!(
            cfdi_uuid(&format!("Folio fiscal: {u}\n")).as_deref(),
            Some("9B1F0C7E-3A52-4D8E-9F10-2C4B6A8D0E11")
        );
        let broken = "Folio fiscal 9B1F0C7E-3A52-4D8E-\n9F10-2C4B6A8D0E11 ";
        assert_eq!(
            cfdi_uuid(broken).as_deref(),
            Some("9B1F0C7E-3A52-4D8E-9F10-2C4B6A8D0E11")
        );
        assert_eq!(cfdi_uuid("9b1f0c7e-3a52-4d8e-9f10-2c4b6a8d0e1"), None);
        assert_eq!(cfdi_uuid("x9b1f0c7e-3a52-4d8e-9f10-2c4b6a8d0e11"), None);
    }

    #[test]
    fn pdf_document_types() {
        assert_eq!(
            document_type("DANFE Documento Auxiliar", Some(KEY), None),
            "danfe"
        );
        assert_eq!(document_type("CARTA DE CORREÇÃO", Some(KEY), None), "cce");
        assert_eq!(document_type("Factura", None, None), "invoice");
        assert_eq!(document_type("Relatório", None, None), "other");
        let u = Some("9B1F0C7E-3A52-4D8E-9F10-2C4B6A8D0E11");
        assert_eq!(
            document_type(
                "Este documento es una representación impresa de un CFDI",
                None,
                u
            ),
            "cfdi"
        );
    }
}
