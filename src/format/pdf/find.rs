//! Facts found in a PDF's text: the NF-e access key a DANFE prints, the UUID a CFDI's printed
//! representation shows, and what kind of document the text is. Only what the text proves is
//! returned; `None` means not found, never a guess.

use crate::format::key::is_valid_key;

/// The first NF-e access key in `text` that the XML importer would take as valid
/// ([`is_valid_key`]: its shape and its mod-11 check digit).
///
/// DANFEs print the key as eleven groups of four digits separated by spaces, and layouts
/// break it across lines; some print it in one run. Runs of digits (and capital letters: the
/// alphanumeric CNPJ of 2026) separated only by whitespace (dots too: some layouts print
/// `3518.0834...`) are joined, and every 44 characters starting at the start of a run are
/// tried. A window with a wrong check digit is ignored (a product code, a phone number...).
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
                .filter(|k| is_valid_key(k))
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

/// A character of a key: a digit, or a capital letter of an alphanumeric CNPJ.
fn key_char(b: u8) -> bool {
    b.is_ascii_digit() || b.is_ascii_uppercase()
}

/// Chains of runs of key characters joined by whitespace or dots, starting with a digit: their
/// characters and where each run starts.
fn chains(text: &str) -> impl Iterator<Item = (String, Vec<usize>)> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        loop {
            // A chain starts at a digit (a key starts with its UF code).
            while i < bytes.len() && !bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i >= bytes.len() {
                return None;
            }
            let (mut digits, mut starts) = (String::new(), Vec::new());
            loop {
                starts.push(digits.len());
                while i < bytes.len() && key_char(bytes[i]) {
                    digits.push(char::from(bytes[i]));
                    i += 1;
                }
                let mut j = i;
                while j < bytes.len() && (bytes[j].is_ascii_whitespace() || bytes[j] == b'.') {
                    j += 1;
                }
                if j > i && j < bytes.len() && key_char(bytes[j]) {
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

/// The CFDI's own UUID in `text` (8-4-4-4-12 hexadecimal digits), upper case as the `cfdi`
/// table stores it. Whitespace after a hyphen is allowed: printed representations break the
/// UUID across lines there.
///
/// A printout may show other CFDIs' UUIDs too (those it replaces or pays, under "CFDI
/// relacionado"): the one labelled as the fiscal folio ("Folio fiscal", "UUID", on its line
/// or the line above) wins; else the first with no label. One labelled as related is never
/// taken.
pub fn cfdi_uuid(text: &str) -> Option<String> {
    let found = uuids(text);
    let label = |at: usize| uuid_label(text, at, &found);
    let pick = |want: Label| found.iter().find(|(at, _)| label(*at) == want);
    pick(Label::Fiscal)
        .or_else(|| pick(Label::None))
        .map(|(_, u)| u.clone())
}

/// What the words before a UUID say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    /// The document's own: "Folio fiscal", "UUID".
    Fiscal,
    /// Another CFDI's: "CFDI relacionado", "UUID relacionado", "Tipo relación".
    Related,
    None,
}

/// Words that label a related CFDI's UUID, folded.
const RELATED: &[&str] = &["relacionad", "tipo relacion", "tipo de relacion"];

/// The label of the UUID at byte `at`: the words before it on its line, else on the line above
/// (a table prints the label over its value) unless that line holds a UUID of its own. A
/// "folio fiscal" right before the UUID is its label whatever the lines around say.
fn uuid_label(text: &str, at: usize, found: &[(usize, String)]) -> Label {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let before = squash(&fold(&text[line_start..at]));
    let above = line_above(text, line_start)
        // A line above holding a UUID is that UUID's line, not a label of this one.
        .filter(|(start, l)| {
            !found
                .iter()
                .any(|(u, _)| (*start..start + l.len()).contains(u))
        })
        .map(|(_, l)| squash(&fold(l)))
        .unwrap_or_default();
    let last = |s: &str, words: &[&str]| words.iter().filter_map(|w| s.rfind(w)).max();
    let (fiscal, related) = (last(&before, &["folio fiscal"]), last(&before, RELATED));
    if fiscal.is_some() && fiscal > related {
        return Label::Fiscal;
    }
    let related_near = related.is_some() || last(&above, RELATED).is_some();
    if related_near {
        Label::Related
    } else if [&before, &above]
        .iter()
        .any(|s| last(s, &["folio fiscal", "uuid"]).is_some())
    {
        Label::Fiscal
    } else {
        Label::None
    }
}

/// The last non-blank line before the line starting at byte `line_start`, with where it starts.
fn line_above(text: &str, line_start: usize) -> Option<(usize, &str)> {
    let mut end = line_start.checked_sub(1)?;
    loop {
        let start = text[..end].rfind('\n').map_or(0, |i| i + 1);
        let line = &text[start..end];
        if !line.trim().is_empty() {
            return Some((start, line));
        }
        end = start.checked_sub(1)?;
    }
}

/// Every UUID of `text`, upper case, with the byte where it starts.
fn uuids(text: &str) -> Vec<(usize, String)> {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let b = text.as_bytes();
    let mut found = Vec::new();
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
                found.push((start, uuid));
                start = i;
                continue;
            }
        }
        start += 1;
    }
    found
}

/// `pdf_document.document_type`: what the text shows, from words every such document prints.
///
/// Words are matched with whitespace folded to one space, so a title broken over two lines
/// ("Nota Fiscal de⏎Consumidor") still matches.
pub fn document_type(text: &str, key: Option<&str>, uuid: Option<&str>) -> &'static str {
    let t = squash(&fold(text));
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

/// `text` with every run of whitespace (line breaks included) as one space, and the dashes
/// typesetting puts in words ("NFC‐e", with U+2010) as `-`: for matching words, not for
/// positions.
pub fn squash(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().map(|c| match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{ad}' => '-',
            c => c,
        }));
    }
    out
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

    /// Regression: a CFDI printout got the UUID of the CFDI it replaces (printed above, under
    /// "CFDI relacionado") instead of its own.
    #[test]
    fn pdf_uuid_is_the_folio_fiscal_not_a_related_cfdi() {
        let own = "9B1F0C7E-3A52-4D8E-9F10-2C4B6A8D0E11";
        let related = "11111111-2222-3333-4444-555555555555";
        // Labels on the UUIDs' lines.
        let text = format!(
            "CFDI Relacionado\nTipo relación: 04 Sustitución de los CFDI previos\n\
             UUID: {related}\nFolio fiscal: {}\n",
            own.to_lowercase()
        );
        assert_eq!(cfdi_uuid(&text).as_deref(), Some(own));
        // Labels over the values, as tables print them.
        let text = format!("UUID relacionado\n{related}\nFolio Fiscal (UUID)\n{own}\n");
        assert_eq!(cfdi_uuid(&text).as_deref(), Some(own));
        let text = format!("CFDI relacionado: {related}\nSello digital\n{own}\n");
        assert_eq!(cfdi_uuid(&text).as_deref(), Some(own));
        // Unlabelled: the first; only a related one: none.
        let text = format!("{own}\n{related}");
        assert_eq!(cfdi_uuid(&text).as_deref(), Some(own));
        assert_eq!(cfdi_uuid(&format!("UUID relacionado: {related}")), None);
    }

    /// The printout's key rule is the XML importer's: a key with an unusual UF code or month
    /// (which the XML side does not check) and a right check digit is a key on its DANFE
    /// too, and so is one with an alphanumeric CNPJ.
    #[test]
    fn pdf_key_rule_is_the_xml_rule() {
        use crate::format::ParseOptions;
        use crate::format::key::check_digit;
        use crate::format::nfe::{NFE_KEY, check_key};
        let opts = ParseOptions::default();
        for first43 in [
            // UF 99, month 13.
            "9926133412874500015255001000047428192000749",
            // Month 00.
            "3518003412874500015255001000047428192000749",
            // An alphanumeric CNPJ (the Receita Federal's example).
            "3526101 2ABC34501DE35550010000010011100100 10",
        ] {
            let first43 = first43.replace(' ', "");
            let key = format!("{first43}{}", check_digit(&first43));
            assert_eq!(check_key(&key, &NFE_KEY, &opts), Ok((true, None)), "{key}");
            let text = format!("CHAVE DE ACESSO\n{}\nConsulta", grouped(&key, " "));
            assert_eq!(nfe_key(&text).as_deref(), Some(key.as_str()));
        }
    }

    /// Regression: an NFC-e whose title wraps over two lines ("...Nota Fiscal de" /
    /// "Consumidor Eletrônica") was called a DANFE.
    #[test]
    fn pdf_nfce_title_over_two_lines() {
        let text =
            "DANFE NFC\u{2010}e - Documento Auxiliar da Nota Fiscal de\nConsumidor Eletrônica";
        assert_eq!(document_type(text, None, None), "nfce");
        let text = "Documento Auxiliar da Nota Fiscal de   \n  Consumidor Eletrônica";
        assert_eq!(document_type(text, None, None), "nfce");
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
