//! An invoice's number, issue date, total and currency, found generically in its text by the
//! labels invoices print in Portuguese, Spanish, English, French and German ("Valor total",
//! "Total a pagar", "Invoice Number", "Montant TTC", "Rechnungsbetrag"...), not by a template
//! per issuer.
//!
//! A label's value is the rest of its line, or else the next non-empty line (table layouts
//! print the value under the label). A value must have the field's shape to count; one that
//! does not (an amount that reads two ways, `1.234`; a date that reads two ways, `05/10/2026`
//! under an English label) is not taken: a field not found is `None`, never a guess.

use super::find::fold_char;
use crate::format::number;

/// The fields found; `None` where the text does not show one.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Fields {
    pub number: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    pub total: Option<f64>,
    /// ISO 4217, only from a symbol or code printed with the total (or a currency label):
    /// a bare `$` says no currency.
    pub currency: Option<String>,
}

/// Labels, folded (lower case, no accents), most specific first. `(label, day_first)`: dates
/// after the label read day first (every language but English).
const NUMBER: &[&str] = &[
    "invoice number",
    "invoice no",
    "invoice nr",
    "invoice #",
    "numero de facture",
    "facture no",
    "facture n",
    "rechnungsnummer",
    "rechnungsnr",
    "rechnung nr",
    "numero de factura",
    "factura no",
    "factura n",
    "numero da fatura",
    "fatura no",
    "fatura n",
    "bill no",
    "receipt number",
    "receipt no",
    "booking id",
];
const DATE: &[(&str, bool)] = &[
    ("invoice date", false),
    ("date of issue", false),
    ("issue date", false),
    ("date de facture", true),
    ("date d'emission", true),
    ("fecha de emision", true),
    ("fecha de expedicion", true),
    ("rechnungsdatum", true),
    ("data de emissao", true),
    ("data da emissao", true),
    ("facture n", true),
    ("date", true),
    ("fecha", true),
    ("datum", true),
    ("data", true),
];
const TOTAL: &[&str] = &[
    "total a pagar",
    "valor total da nota",
    "valor total",
    "montant ttc",
    "total ttc",
    "net a payer",
    "somme a payer",
    "montant a payer",
    "rechnungsbetrag",
    "gesamtbetrag",
    "endbetrag",
    "importe total",
    "grand total",
    "total amount",
    "amount due",
    "total due",
    "invoice total",
    "total",
];
const CURRENCY: &[&str] = &["currency", "moneda", "devise", "wahrung", "moeda"];

/// The fields of an invoice's text.
pub fn fields(text: &str) -> Fields {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut f = Fields {
        number: find(&lines, NUMBER, invoice_number, &mut Vec::new()),
        ..Fields::default()
    };
    // A line a more specific label matched is not read again by a vaguer one ("Invoice
    // Date: 05/10/2026" is not read day first for holding "date").
    let mut claimed = Vec::new();
    for &(label, day_first) in DATE {
        if let Some(d) = find(&lines, &[label], |s| date(s, day_first), &mut claimed) {
            f.date = Some(d);
            break;
        }
    }
    if let Some(((total, currency), rest)) = find_with_rest(&lines, TOTAL, amount, &mut Vec::new())
    {
        f.total = Some(total);
        f.currency = currency.or_else(|| currency_of(&rest));
    }
    if f.currency.is_none() {
        f.currency = find(
            &lines,
            CURRENCY,
            |s| {
                s.split(|c: char| !c.is_ascii_alphabetic())
                    .find_map(|w| iso_code(&w.to_ascii_uppercase()))
            },
            &mut Vec::new(),
        );
    }
    f
}

/// The first value a label of `labels` (in their order) is followed by, on its line or the
/// next non-empty one. Lines in `claimed` are skipped; lines a label matches are added.
fn find<T>(
    lines: &[&str],
    labels: &[&str],
    value: impl Fn(&str) -> Option<T>,
    claimed: &mut Vec<usize>,
) -> Option<T> {
    find_with_rest(lines, labels, value, claimed).map(|(v, _)| v)
}

/// Labels too common to trust among other words ("Total facture", "Date limite de paiement",
/// "Order Date"): they must start their line, and the rest of it be empty, a value or a
/// currency.
const GENERIC: &[&str] = &["total", "date", "fecha", "datum", "data"];

/// [`find`], with the rest of the label's line (a currency printed after a label: `Total EUR`).
///
/// Besides the rest of the line and the next non-empty line, a value is looked for in the
/// last column of the label's line (after a wide gap, as layout text keeps columns apart:
/// `TOTAL AMOUNT DUE ON August 3, 2014      $4.11`), and after a line holding only a
/// currency symbol (`Total` / `$` / `12.34`, each drawn on its own).
fn find_with_rest<T>(
    lines: &[&str],
    labels: &[&str],
    value: impl Fn(&str) -> Option<T>,
    claimed: &mut Vec<usize>,
) -> Option<(T, String)> {
    let folded: Vec<String> = lines
        .iter()
        .map(|l| l.chars().map(fold_char).collect())
        .collect();
    for label in labels {
        for i in 0..lines.len() {
            if claimed.contains(&i) {
                continue;
            }
            let Some(hit) = locate(&folded, i, label) else {
                continue;
            };
            claimed.push(i);
            // Same characters, one for one: the original line's rest.
            let rest: String = lines[hit.line]
                .chars()
                .skip(folded[hit.line][..hit.end].chars().count())
                .collect();
            let rest = rest.trim_start_matches(|c: char| {
                c.is_whitespace() || matches!(c, ':' | '#' | '°' | 'º' | '.' | '-')
            });
            let first = rest.split_whitespace().next().unwrap_or("");
            let label_alone = rest.is_empty()
                || rest.starts_with(|c: char| c.is_ascii_digit())
                || currency_of(first).is_some()
                || number::strip_currency(first).len() < first.len();
            if GENERIC.contains(label) && !(hit.starts_line && label_alone) {
                continue;
            }
            let last_column = rest.rsplit_once(COLUMN_GAP).map(|(_, c)| c.trim());
            if let Some(v) = value(rest).or_else(|| last_column.and_then(&value)) {
                return Some((v, rest.to_owned()));
            }
            if let Some(v) = below(&lines[hit.line + 1..], &value) {
                return Some((v, rest.to_owned()));
            }
        }
    }
    None
}

/// Spaces that part columns in layout text (a word gap is one).
const COLUMN_GAP: &str = "   ";

/// A value on the next non-empty line of `lines`, or on the one after when the next holds only
/// a currency symbol (kept before the value, for its currency).
fn below<T>(lines: &[&str], value: impl Fn(&str) -> Option<T>) -> Option<T> {
    let mut next = lines.iter().filter(|l| !l.is_empty());
    let first = next.next()?;
    if let Some(v) = value(first) {
        return Some(v);
    }
    let lone_currency = currency_of(first).is_some() || number::strip_currency(first).is_empty();
    if lone_currency && first.chars().count() <= 4 {
        return value(&format!("{first} {}", next.next()?));
    }
    None
}

/// Where a label ends: its line, the byte in that (folded) line after it, and whether it
/// starts the line (or the column) it begins on.
struct Hit {
    line: usize,
    end: usize,
    starts_line: bool,
}

/// `label` in folded line `i`, or begun at the end of line `i` and ended at the start of the
/// next non-empty line ("Valor total da" / "nota"): a label wrapped by the layout.
fn locate(folded: &[String], i: usize, label: &str) -> Option<Hit> {
    let line = &folded[i];
    if let Some(at) = find_label(line, label) {
        return Some(Hit {
            line: i,
            end: at + label.len(),
            // Or starts a column of the line (layout text).
            starts_line: at == 0 || line[..at].ends_with(COLUMN_GAP),
        });
    }
    let head_line = line.trim_end();
    let (j, next) = folded
        .iter()
        .enumerate()
        .skip(i + 1)
        .find(|(_, l)| !l.trim().is_empty())?;
    let indent = next.len() - next.trim_start().len();
    label.match_indices(' ').find_map(|(cut, _)| {
        let (head, tail) = (&label[..cut], &label[cut + 1..]);
        if !head_line.ends_with(head) {
            return None;
        }
        let at = head_line.len() - head.len();
        let whole_head = find_label(&head_line[at..], head).is_some();
        let word_before = head_line[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let whole_tail = find_label(next.trim_start(), tail) == Some(0);
        (whole_head && word_before && whole_tail).then(|| Hit {
            line: j,
            end: indent + tail.len(),
            starts_line: at == 0,
        })
    })
}

/// Where `label` starts in `line` as whole words; a line about a subtotal or a total before
/// taxes does not count for the generic "total".
fn find_label(line: &str, label: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(pos) = line[from..].find(label) {
        let at = from + pos;
        let end = at + label.len();
        let word_start = line[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let word_end = label.ends_with(['#', ' '])
            || line[end..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric());
        if word_start && word_end {
            if label == "total"
                && [
                    "sub", "ht", "net", "tax", "tva", "iva", "vat", "mwst", "ust",
                ]
                .iter()
                .any(|w| {
                    line.split(|c: char| !c.is_alphanumeric()).any(|t| t == *w)
                        || line.contains("subtotal")
                        || line.contains("sous-total")
                })
            {
                return None;
            }
            return Some(at);
        }
        from = end;
    }
    None
}

/// An invoice number: one token with a digit, of letters, digits and `-/._`.
fn invoice_number(s: &str) -> Option<String> {
    let token = s.split_whitespace().next()?;
    let token = token.trim_end_matches([',', ';', '.', ':']);
    let ok = (1..=40).contains(&token.len())
        && token.bytes().any(|b| b.is_ascii_digit())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'/' | b'_' | b'.'));
    (ok && date(token, true).is_none()).then(|| token.to_owned())
}

/// An amount with its currency, from the start of `s`: `EUR 1.234,56`, `56,02 €`, `R$ 76,67`,
/// `Rs 1939`. A value that reads two ways (`1.234`) is none.
fn amount(s: &str) -> Option<(f64, Option<String>)> {
    // The first run of number-ish characters, with what surrounds it for the currency.
    let start = s.find(|c: char| c.is_ascii_digit())?;
    let len = s[start..]
        .find(|c: char| {
            !(c.is_ascii_digit() || matches!(c, '.' | ',' | ' ' | '\u{a0}' | '\u{202f}'))
        })
        .unwrap_or(s.len() - start);
    let digits = s[start..start + len].trim_end_matches([' ', '.', ',']);
    let before = s[..start].trim();
    if before.chars().count() > 4 {
        return None;
    }
    let value = number::parse(digits, None).ok()?;
    let after = s[start + len..].trim_start();
    let currency =
        currency_of(before).or_else(|| currency_of(after.split_whitespace().next().unwrap_or("")));
    Some((value, currency))
}

/// The ISO code a symbol or code stands for; `$` alone stands for several.
fn currency_of(s: &str) -> Option<String> {
    let s = s.trim().trim_start_matches(['-', '(']);
    let code = match s {
        "R$" => "BRL",
        "€" => "EUR",
        "£" => "GBP",
        "US$" | "U$S" => "USD",
        "MX$" => "MXN",
        "₹" | "Rs" | "Rs." => "INR",
        s => return iso_code(&s.to_ascii_uppercase()),
    };
    Some(code.to_owned())
}

fn iso_code(s: &str) -> Option<String> {
    const CODES: &[&str] = &[
        "BRL", "MXN", "USD", "EUR", "GBP", "CHF", "ARS", "CLP", "COP", "PEN", "UYU", "CAD", "INR",
        "JPY", "CNY", "HKD", "AUD",
    ];
    CODES.contains(&s).then(|| s.to_owned())
}

/// A date as `YYYY-MM-DD`: ISO, or day, month and year in digits (`28/11/2022`, `5.10.2026`)
/// read day first when `day_first` or when the first number cannot be a month, or with a
/// month name in one of the five languages (`02 Juillet 2015`, `August 3, 2014`).
fn date(s: &str, day_first: bool) -> Option<String> {
    let words: Vec<String> = s
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .take(8)
        .map(|w| w.chars().map(fold_char).collect())
        .collect();
    let first = words.first()?;
    let n: Vec<&str> = first.split(['/', '-', '.']).collect();
    let num = |s: &str| {
        s.parse::<u32>()
            .ok()
            .filter(|_| s.bytes().all(|b| b.is_ascii_digit()))
    };
    let (y, m, d) = if n.len() == 3 && n.iter().all(|p| num(p).is_some()) {
        let (a, b, c) = (num(n[0])?, num(n[1])?, num(n[2])?);
        if n[0].len() == 4 {
            (a, b, c)
        } else if n[2].len() == 4 {
            if day_first || a > 12 {
                (c, b, a)
            } else if b > 12 {
                (c, a, b)
            } else {
                return None;
            }
        } else {
            return None;
        }
    } else {
        // A month name with its day before or after it and the year after it; `de`, `du`,
        // `of` and dots aside.
        let words: Vec<&str> = words
            .iter()
            .map(|w| w.trim_end_matches('.'))
            .filter(|w| !matches!(*w, "de" | "du" | "of" | "le"))
            .collect();
        let mi = words.iter().position(|w| month(w).is_some())?;
        let day_of = |w: &&str| num(w).filter(|d| (1..=31).contains(d));
        let day = mi
            .checked_sub(1)
            .and_then(|i| words.get(i))
            .and_then(day_of)
            .or_else(|| words.get(mi + 1).and_then(day_of))?;
        let year = words[mi + 1..]
            .iter()
            .take(2)
            .find_map(|w| num(w).filter(|y| (1900..=2999).contains(y)))?;
        (year, month(words[mi])?, day)
    };
    ((1900..=2999).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d))
        .then(|| format!("{y:04}-{m:02}-{d:02}"))
}

/// A month's number from its name (folded, whole or its usual abbreviation).
fn month(w: &str) -> Option<u32> {
    const NAMES: [&[&str]; 12] = [
        &[
            "january", "jan", "janvier", "januar", "enero", "ene", "janeiro",
        ],
        &[
            "february",
            "feb",
            "fevrier",
            "fev",
            "februar",
            "febrero",
            "fevereiro",
        ],
        &["march", "mar", "mars", "marz", "marzo", "marco"],
        &["april", "apr", "avril", "avr", "abril", "abr"],
        &["may", "mai", "mayo", "maio"],
        &["june", "jun", "juin", "juni", "junio", "junho"],
        &["july", "jul", "juillet", "juli", "julio", "julho"],
        &["august", "aug", "aout", "agosto", "ago"],
        &[
            "september",
            "sep",
            "sept",
            "septembre",
            "septiembre",
            "setembro",
            "set",
        ],
        &[
            "october", "oct", "octobre", "oktober", "okt", "octubre", "outubro", "out",
        ],
        &["november", "nov", "novembre", "noviembre", "novembro"],
        &[
            "december",
            "dec",
            "decembre",
            "dezember",
            "dez",
            "diciembre",
            "dic",
            "dezembro",
        ],
    ];
    NAMES
        .iter()
        .position(|names| names.contains(&w))
        .map(|i| i as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_fields_english() {
        let f = fields(
            "ACME\nInvoice Number: INV-2026-0042\nInvoice Date: October 5, 2026\nSubtotal 1,000.00\nTotal: EUR 1,234.56\n",
        );
        assert_eq!(f.number.as_deref(), Some("INV-2026-0042"));
        assert_eq!(f.date.as_deref(), Some("2026-10-05"));
        assert_eq!(f.total, Some(1234.56));
        assert_eq!(f.currency.as_deref(), Some("EUR"));
    }

    #[test]
    fn pdf_fields_french_value_under_label() {
        let f = fields(
            "Facture n° 2022089083\nDate : 28/11/2022\nTotal HT :\n46,68 €\nTotal TTC :\n56,02 €\n",
        );
        assert_eq!(f.number.as_deref(), Some("2022089083"));
        assert_eq!(f.date.as_deref(), Some("2022-11-28"));
        assert_eq!(f.total, Some(56.02));
        assert_eq!(f.currency.as_deref(), Some("EUR"));
        let f = fields("Facture n°562044387 du 02 Juillet 2015");
        assert_eq!(f.number.as_deref(), Some("562044387"));
        assert_eq!(f.date.as_deref(), Some("2015-07-02"));
    }

    #[test]
    fn pdf_fields_german_portuguese_spanish() {
        let f = fields("Rechnungsnr. 4711\nRechnungsdatum 5.10.2026\nRechnungsbetrag 1.234,50 EUR");
        assert_eq!(
            (f.number.as_deref(), f.date.as_deref()),
            (Some("4711"), Some("2026-10-05"))
        );
        assert_eq!(
            (f.total, f.currency.as_deref()),
            (Some(1234.5), Some("EUR"))
        );
        let f = fields("DATA DA EMISSÃO\n14/01/2015\nVALOR TOTAL DA NOTA\n76,67");
        assert_eq!(f.date.as_deref(), Some("2015-01-14"));
        assert_eq!((f.total, f.currency), (Some(76.67), None));
        let f = fields(
            "Factura No. A-17\nFecha de emisión: 5 de octubre de 2026\nTotal a pagar: $ 1,160.00 MXN",
        );
        assert_eq!(f.number.as_deref(), Some("A-17"));
        assert_eq!(f.date.as_deref(), Some("2026-10-05"));
        assert_eq!(
            (f.total, f.currency.as_deref()),
            (Some(1160.0), Some("MXN"))
        );
    }

    /// Regression: a label wrapped over two lines by the layout ("Invoice" / "Number:",
    /// "Valor total da" / "nota") was not read.
    #[test]
    fn pdf_fields_label_split_over_lines() {
        let f = fields(
            "ACME\nInvoice\nNumber: INV-7\nDate de\n  facture : 28/11/2022\nValor total da\nnota 1.234,56",
        );
        assert_eq!(f.number.as_deref(), Some("INV-7"));
        assert_eq!(f.date.as_deref(), Some("2022-11-28"));
        assert_eq!(f.total, Some(1234.56));
        // Not a label cut in a word's middle, nor words that only follow each other.
        let f = fields("Pro-invoice\nnumbers: 42\nSubinvoice\nNumber 43");
        assert_eq!(f.number, None);
    }

    /// Regression: "Total" / "$" / "12.34" drawn as three runs, the symbol on a line of its
    /// own: the amount after it is the total.
    #[test]
    fn pdf_fields_total_after_a_lone_currency_symbol() {
        let f = fields("Invoice\nTotal\n$\n12.34\n");
        assert_eq!((f.total, f.currency), (Some(12.34), None));
        let f = fields("Rechnung\nGesamtbetrag\n€\n1.234,50\n");
        assert_eq!(
            (f.total, f.currency.as_deref()),
            (Some(1234.5), Some("EUR"))
        );
        // A word on the line after the label is no currency.
        assert_eq!(fields("Total\nNotes\n12.34").total, None);
    }

    /// In layout text a label's value may be the last column of its line, after words that
    /// are not it (a due date).
    #[test]
    fn pdf_fields_value_in_the_labels_last_column() {
        let f = fields("TOTAL AMOUNT DUE ON August 3 , 2014                   $4.11\n");
        assert_eq!(f.total, Some(4.11));
        let f = fields(
            "Somme à payer            29.99 € TTC\nBooking ID      Payment Mode\nIBZY2087    Cash",
        );
        assert_eq!((f.total, f.currency.as_deref()), (Some(29.99), Some("EUR")));
        assert_eq!(f.number.as_deref(), Some("IBZY2087"));
        // A vague label starting a column counts as starting its line.
        let f = fields("Guest Name: Sanjay            Date: 31/12/2017");
        assert_eq!(f.date.as_deref(), Some("2017-12-31"));
        assert_eq!(fields("Guest Name: Sanjay Date: 31/12/2017").date, None);
    }

    #[test]
    fn pdf_fields_never_guess() {
        // A date that reads two ways under an English label; an amount that reads two ways;
        // a bare dollar sign.
        let f = fields("Invoice Date: 05/10/2026\nTotal: 1.234\n");
        assert_eq!((f.date, f.total), (None, None));
        // A vague label among other words.
        let f = fields("Order Date: 20-10-2015\nDate limite de paiement le 05 Juillet 2015");
        assert_eq!(f.date, None);
        let f = fields("Total: $ 12.50");
        assert_eq!((f.total, f.currency), (Some(12.5), None));
        assert_eq!(fields("Nothing to see"), Fields::default());
    }
}
