//! The numbers people type into product catalogs, in either decimal convention: `1,234.56`
//! (decimal point: Mexico, the US) or `1.234,56` (decimal comma: Brazil, most of Europe), with
//! a currency and spaces around them. The fiscal XML formats need none of this (their schemas
//! allow `-?digits(.digits)?` only, read by `format::parse_decimal`); a spreadsheet exported
//! in Portuguese writes `12,50`, and guessing wrong turns a price of 1.234 into 1234.
//!
//! What a value is made of:
//! - around it, spaces and one currency symbol or code, before or after it (`R$ 9,90`,
//!   `$1,299.00`, `MX$1.234,50`, `US$ 3`, `€ 4`, `9,90 R$`, `BRL 12,00`), see
//!   [`strip_currency`];
//! - an optional sign, `-` (or `−`, U+2212) or `+`, before or after the currency
//!   (`-R$ 5,00`, `R$ -5,00`), never both;
//! - ASCII digits, at least one, with at most one decimal separator (`.` or `,`) followed by at
//!   least one digit; a value may start with it (`,5`, `.5`) but not end with it (`12,`);
//! - thousands separators only before the decimal separator and only in groups of exactly three
//!   digits after a first group of one to three that does not start with `0` (`1.234.567,89`,
//!   `1,234,567.89`, `1 234,56` with a space, a no-break space or a narrow no-break space), one
//!   kind of them in a value.
//!
//! Nothing else: no exponents, letters, `NaN` or `inf`, empty values, or values too large for a
//! double.
//!
//! What one value says about its column's convention, its [`Clue`]:
//! - `.` and `,` both present: the last one is the decimal separator ([`Clue::Point`],
//!   [`Clue::Comma`]), the other must group thousands;
//! - one of them present several times: thousands separators (`1.234.567` is
//!   [`Clue::Comma`], `1,234,567` is [`Clue::Point`]);
//! - one of them present once after space-separated thousands: the decimal separator
//!   (`1 234,567` is [`Clue::Comma`]);
//! - one of them present once, followed by exactly three digits and preceded by one to three
//!   digits that do not start with `0`: [`Clue::Either`] (`1,234` is 1234 with a decimal point
//!   and 1.234 with a decimal comma). `0,123` is [`Clue::Comma`] and `0.123` is [`Clue::Point`]
//!   because a thousands group never follows a leading 0, and `1234,567` is [`Clue::Comma`]
//!   because it never follows four digits;
//! - one of them present once otherwise: the decimal separator (`12,5`, `12.50`);
//! - neither: [`Clue::Plain`].
//!
//! A column's convention is decided from its first values ([`Votes`]), then each value is read
//! under it ([`parse`]): a value whose clue is the other convention contradicts the column, an
//! [`Clue::Either`] value is read by the column's. Values are converted by `str::parse::<f64>`
//! on their digits with a `.` for the decimal separator, so `1.234,56` is the same double as
//! `1234.56`.

use std::cmp::Ordering;
use std::fmt;

/// The decimal separator of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Convention {
    /// `1,234.56`
    Point,
    /// `1.234,56`
    Comma,
}

impl Convention {
    /// The convention's name in reports: `decimal point`, `decimal comma`.
    pub fn name(self) -> &'static str {
        match self {
            Convention::Point => "decimal point",
            Convention::Comma => "decimal comma",
        }
    }

    /// The decimal separator.
    fn separator(self) -> u8 {
        match self {
            Convention::Point => b'.',
            Convention::Comma => b',',
        }
    }

    fn other(self) -> Convention {
        match self {
            Convention::Point => Convention::Comma,
            Convention::Comma => Convention::Point,
        }
    }

    /// A number written in the convention, for messages.
    fn example(self) -> &'static str {
        match self {
            Convention::Point => "1,234.56",
            Convention::Comma => "1.234,56",
        }
    }

    /// The convention whose decimal separator is `b` (`.` or `,`).
    fn of_decimal(b: u8) -> Convention {
        if b == b',' {
            Convention::Comma
        } else {
            Convention::Point
        }
    }
}

/// What one value alone says about the convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clue {
    /// No `.` or `,` (`12`, `1 234`): fits either convention.
    Plain,
    /// Only a decimal point reads it (`12.50`, `1,234.5`, `1,234,567`).
    Point,
    /// Only a decimal comma reads it (`12,50`, `1.234,5`, `1.234.567`).
    Comma,
    /// One `.` or `,` before three digits (`1,234`): a number under both conventions, a
    /// different one under each.
    Either,
}

/// The clue of a value (after stripping currency and spaces), or `None` when it is not a number
/// at all. A number too large for a double (over 309 digits before the decimal separator)
/// still has a clue; [`parse`] rejects it.
pub fn clue(s: &str) -> Option<Clue> {
    let (_, digits) = unsigned(s)?;
    shape(digits)
}

/// Counts clues over the values of one column seen before deciding (the first rows of a file).
#[derive(Debug, Default, Clone)]
pub struct Votes {
    /// Values only a decimal point reads.
    point: usize,
    /// Values only a decimal comma reads.
    comma: usize,
}

impl Votes {
    /// Count one value of the column; values that are not numbers, or fit both conventions,
    /// count for neither.
    pub fn see(&mut self, s: &str) {
        match clue(s) {
            Some(Clue::Point) => self.point += 1,
            Some(Clue::Comma) => self.comma += 1,
            Some(Clue::Plain | Clue::Either) | None => {}
        }
    }

    /// The column's convention: what its values say; when they say nothing decisive (only Plain
    /// or Either values), `hint` (the caller passes Comma for a `;`-separated CSV, None
    /// otherwise). When values point both ways, the majority wins (ties: hint, else Point).
    ///
    /// `None`: undecided (no decisive value and no hint), so [`parse`] reads each value by its
    /// own clue and rejects [`Clue::Either`] values as [`NumberError::Ambiguous`].
    pub fn decide(&self, hint: Option<Convention>) -> Option<Convention> {
        if self.point == 0 && self.comma == 0 {
            return hint;
        }
        Some(match self.point.cmp(&self.comma) {
            Ordering::Greater => Convention::Point,
            Ordering::Less => Convention::Comma,
            Ordering::Equal => hint.unwrap_or(Convention::Point),
        })
    }
}

/// Why a value is not read as a number.
#[derive(Debug, Clone, PartialEq)]
pub enum NumberError {
    /// Not a number in either convention (`12,50,3`, `abc`, `1e5`, empty).
    NotANumber,
    /// A [`Clue::Either`] value in a column of undecided convention.
    Ambiguous,
    /// A value that only the other convention reads, in a column of this convention.
    Contradicts(Convention),
}

impl fmt::Display for NumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            NumberError::NotANumber => f.write_str("is not a number"),
            NumberError::Ambiguous => f.write_str(
                "could be read either way (1,234 as 1234 or 1.234) and the file gives no \
                 other clue (--decimal-separator decides)",
            ),
            NumberError::Contradicts(column) => write!(
                f,
                "is written with a {} ({}) where the column uses a {} ({})",
                column.other().name(),
                column.other().example(),
                column.name(),
                column.example()
            ),
        }
    }
}

/// The value of `s` under `convention` (None: undecided, so Either values are Ambiguous but
/// Point/Comma/Plain values are read by their own clue).
pub fn parse(s: &str, convention: Option<Convention>) -> Result<f64, NumberError> {
    let (negative, digits) = unsigned(s).ok_or(NumberError::NotANumber)?;
    let clue = shape(digits).ok_or(NumberError::NotANumber)?;
    let read_as = match (clue, convention) {
        (Clue::Plain, c) => c.unwrap_or(Convention::Point),
        (Clue::Either, None) => return Err(NumberError::Ambiguous),
        (Clue::Either, Some(c)) => c,
        (Clue::Point, Some(c @ Convention::Comma)) | (Clue::Comma, Some(c @ Convention::Point)) => {
            return Err(NumberError::Contradicts(c));
        }
        (Clue::Point, _) => Convention::Point,
        (Clue::Comma, _) => Convention::Comma,
    };
    let value = decimal(digits, read_as.separator()).ok_or(NumberError::NotANumber)?;
    // Negation is exact: the nearest double of -x is minus the nearest double of x.
    Ok(if negative { -value } else { value })
}

/// `s` without a currency symbol or code and surrounding spaces: "R$ 9,90" -> "9,90",
/// "$ 1,299.00" -> "1,299.00", "MX$1.234,50" -> "1.234,50", "US$ 3", "€ 4", "9,90 R$",
/// "BRL 12,00".
///
/// One currency, before or after the number (before wins), letters in any case (`r$`, `usd`).
/// Without one, `s` trimmed. A sign before the symbol (`-R$ 5,00`) leaves it in place, as a
/// slice cannot drop the symbol and keep the sign: [`clue`] and [`parse`] take the sign first.
pub fn strip_currency(s: &str) -> &str {
    let s = s.trim();
    // `get` is `None` where a cut would split a character, so no symbol matches there.
    let before = CURRENCIES.iter().find_map(|symbol| {
        let (head, rest) = s.get(..symbol.len()).zip(s.get(symbol.len()..))?;
        head.eq_ignore_ascii_case(symbol).then(|| rest.trim_start())
    });
    let after = || {
        CURRENCIES.iter().find_map(|symbol| {
            let cut = s.len().checked_sub(symbol.len())?;
            let (rest, tail) = s.get(..cut).zip(s.get(cut..))?;
            tail.eq_ignore_ascii_case(symbol).then(|| rest.trim_end())
        })
    };
    before.or_else(after).unwrap_or(s)
}

/// Currency symbols and ISO codes of the countries batchimp's users sell in, longest first so
/// that `AR$` is not taken for an `R$` after an `A`.
const CURRENCIES: &[&str] = &[
    "COL$", "US$", "U$S", "MX$", "AR$", "CL$", "BRL", "MXN", "USD", "EUR", "ARS", "CLP", "COP",
    "PEN", "UYU", "GBP", "R$", "C$", "S/", "$", "€", "£",
];

/// A value's sign (`true`: negative) and what is left for [`shape`] once the currency and the
/// spaces around it are gone; `None` for a sign both before and after the currency.
fn unsigned(s: &str) -> Option<(bool, &str)> {
    let (before, rest) = split_sign(s.trim());
    let (after, rest) = split_sign(strip_currency(rest));
    match (before, after) {
        (Some(_), Some(_)) => None,
        (sign, None) | (None, sign) => Some((sign == Some(true), rest)),
    }
}

/// A leading sign (`Some(true)`: minus) and what follows it, spaces trimmed.
fn split_sign(s: &str) -> (Option<bool>, &str) {
    if let Some(rest) = s.strip_prefix('-').or_else(|| s.strip_prefix('\u{2212}')) {
        (Some(true), rest.trim_start())
    } else if let Some(rest) = s.strip_prefix('+') {
        (Some(false), rest.trim_start())
    } else {
        (None, s)
    }
}

/// Whether `c` separates thousands as a space does.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}')
}

/// The clue of an unsigned value's digits and separators, `None` if they do not make a number.
fn shape(s: &str) -> Option<Clue> {
    let (mut dots, mut commas, mut spaces, mut digits) = (0usize, 0usize, 0usize, 0usize);
    let mut last = None;
    for (i, c) in s.char_indices() {
        match c {
            '0'..='9' => digits += 1,
            '.' | ',' => {
                if c == '.' {
                    dots += 1;
                } else {
                    commas += 1;
                }
                last = Some((i, Convention::of_decimal(c as u8)));
            }
            c if is_space(c) => spaces += 1,
            _ => return None,
        }
    }
    let Some((at, last)) = last else {
        // Digits, maybe grouped by spaces.
        return (digits > 0 && (spaces == 0 || grouped(s, is_space))).then_some(Clue::Plain);
    };
    let (int, frac) = (&s[..at], &s[at + 1..]);
    let decimal_part = !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit());
    let other = char::from(last.other().separator());
    let clue = |c: Convention| match c {
        Convention::Point => Clue::Point,
        Convention::Comma => Clue::Comma,
    };
    let (n_last, n_other) = match last {
        Convention::Point => (dots, commas),
        Convention::Comma => (commas, dots),
    };
    match (n_last, n_other, spaces) {
        // Once: thousands or decimal when it may be either, else the decimal separator.
        (1, 0, 0) => decimal_part.then(|| {
            let thousands = frac.len() == 3 && (1..=3).contains(&int.len());
            if thousands && !int.starts_with('0') {
                Clue::Either
            } else {
                clue(last)
            }
        }),
        // Once after space-separated thousands: the decimal separator.
        (1, 0, _) => (decimal_part && grouped(int, is_space)).then_some(clue(last)),
        // Both kinds: the last is the decimal separator, found once, the other groups
        // thousands.
        (1, _, 0) => (decimal_part && grouped(int, |c| c == other)).then_some(clue(last)),
        // One kind, several times: thousands separators.
        (_, 0, 0) => {
            let thousands = char::from(last.separator());
            grouped(s, |c| c == thousands).then_some(clue(last.other()))
        }
        _ => None,
    }
}

/// Whether `s` is digits in thousands groups separated by `is_separator`: a first group of one
/// to three digits not starting with `0`, then groups of exactly three.
fn grouped(s: &str, is_separator: impl Fn(char) -> bool) -> bool {
    let mut groups = s.split(is_separator);
    let first = groups.next().unwrap_or("");
    let digits = |g: &str| g.bytes().all(|b| b.is_ascii_digit());
    (1..=3).contains(&first.len())
        && digits(first)
        && !first.starts_with('0')
        && groups.all(|g| g.len() == 3 && digits(g))
}

/// The finite double nearest to the digits of `s` with `separator` (`.` or `,`) for the decimal
/// separator, every other separator dropped; `s` has passed [`shape`].
fn decimal(s: &str, separator: u8) -> Option<f64> {
    let value: f64 = if separator == b'.' && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        s.parse().ok()?
    } else {
        let normalized: String = s
            .bytes()
            .filter_map(|b| match b {
                b'0'..=b'9' => Some(char::from(b)),
                _ if b == separator => Some('.'),
                _ => None,
            })
            .collect();
        normalized.parse().ok()?
    };
    value.is_finite().then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Convention::{Comma, Point};

    type R = Result<f64, NumberError>;
    const BAD: R = Err(NumberError::NotANumber);
    const AMB: R = Err(NumberError::Ambiguous);
    /// Under a decimal-point column, a value only a decimal comma reads.
    const NOT_P: R = Err(NumberError::Contradicts(Point));
    /// Under a decimal-comma column, a value only a decimal point reads.
    const NOT_C: R = Err(NumberError::Contradicts(Comma));

    /// Input, clue, and the value read undecided, under a decimal point, under a decimal comma.
    #[rustfmt::skip]
    const TABLE: &[(&str, Option<Clue>, R, R, R)] = &[
        // Decimal separator alone.
        ("12,50", Some(Clue::Comma), Ok(12.5), NOT_P, Ok(12.5)),
        ("12.50", Some(Clue::Point), Ok(12.5), Ok(12.5), NOT_C),
        ("12,5", Some(Clue::Comma), Ok(12.5), NOT_P, Ok(12.5)),
        ("1234.5678", Some(Clue::Point), Ok(1234.5678), Ok(1234.5678), NOT_C),
        ("1234,567", Some(Clue::Comma), Ok(1234.567), NOT_P, Ok(1234.567)),
        ("0,123", Some(Clue::Comma), Ok(0.123), NOT_P, Ok(0.123)),
        ("0.123", Some(Clue::Point), Ok(0.123), Ok(0.123), NOT_C),
        ("00,123", Some(Clue::Comma), Ok(0.123), NOT_P, Ok(0.123)),
        (",5", Some(Clue::Comma), Ok(0.5), NOT_P, Ok(0.5)),
        (".5", Some(Clue::Point), Ok(0.5), Ok(0.5), NOT_C),
        (",500", Some(Clue::Comma), Ok(0.5), NOT_P, Ok(0.5)),
        ("1,2345", Some(Clue::Comma), Ok(1.2345), NOT_P, Ok(1.2345)),
        // Plain.
        ("3", Some(Clue::Plain), Ok(3.0), Ok(3.0), Ok(3.0)),
        ("007", Some(Clue::Plain), Ok(7.0), Ok(7.0), Ok(7.0)),
        ("  42\t", Some(Clue::Plain), Ok(42.0), Ok(42.0), Ok(42.0)),
        ("1234567", Some(Clue::Plain), Ok(1234567.0), Ok(1234567.0), Ok(1234567.0)),
        // Either.
        ("1,234", Some(Clue::Either), AMB, Ok(1234.0), Ok(1.234)),
        ("1.234", Some(Clue::Either), AMB, Ok(1.234), Ok(1234.0)),
        ("999,000", Some(Clue::Either), AMB, Ok(999000.0), Ok(999.0)),
        ("-1,234", Some(Clue::Either), AMB, Ok(-1234.0), Ok(-1.234)),
        ("R$ 5.000", Some(Clue::Either), AMB, Ok(5.0), Ok(5000.0)),
        // Thousands with a decimal separator.
        ("1.234,56", Some(Clue::Comma), Ok(1234.56), NOT_P, Ok(1234.56)),
        ("1,234.56", Some(Clue::Point), Ok(1234.56), Ok(1234.56), NOT_C),
        ("1.234.567,89", Some(Clue::Comma), Ok(1234567.89), NOT_P, Ok(1234567.89)),
        ("1,234,567.89", Some(Clue::Point), Ok(1234567.89), Ok(1234567.89), NOT_C),
        ("1.234,567", Some(Clue::Comma), Ok(1234.567), NOT_P, Ok(1234.567)),
        ("1,000.5", Some(Clue::Point), Ok(1000.5), Ok(1000.5), NOT_C),
        // Thousands alone.
        ("1.234.567", Some(Clue::Comma), Ok(1234567.0), NOT_P, Ok(1234567.0)),
        ("1,234,567", Some(Clue::Point), Ok(1234567.0), Ok(1234567.0), NOT_C),
        // Spaces as thousands separators.
        ("1 234,56", Some(Clue::Comma), Ok(1234.56), NOT_P, Ok(1234.56)),
        ("1\u{a0}234,56", Some(Clue::Comma), Ok(1234.56), NOT_P, Ok(1234.56)),
        ("1\u{202f}234.5", Some(Clue::Point), Ok(1234.5), Ok(1234.5), NOT_C),
        ("1 234,567", Some(Clue::Comma), Ok(1234.567), NOT_P, Ok(1234.567)),
        ("1 234 567", Some(Clue::Plain), Ok(1234567.0), Ok(1234567.0), Ok(1234567.0)),
        ("12 345\u{a0}678,9", Some(Clue::Comma), Ok(12345678.9), NOT_P, Ok(12345678.9)),
        // Brazil.
        ("R$ 1.234,56", Some(Clue::Comma), Ok(1234.56), NOT_P, Ok(1234.56)),
        ("R$ 9,90", Some(Clue::Comma), Ok(9.9), NOT_P, Ok(9.9)),
        ("R$\u{a0}9,90", Some(Clue::Comma), Ok(9.9), NOT_P, Ok(9.9)),
        ("9,90 R$", Some(Clue::Comma), Ok(9.9), NOT_P, Ok(9.9)),
        ("BRL 12,00", Some(Clue::Comma), Ok(12.0), NOT_P, Ok(12.0)),
        ("r$12,00", Some(Clue::Comma), Ok(12.0), NOT_P, Ok(12.0)),
        // Mexico and others.
        ("$1,299.00", Some(Clue::Point), Ok(1299.0), Ok(1299.0), NOT_C),
        ("$ 1,299.00", Some(Clue::Point), Ok(1299.0), Ok(1299.0), NOT_C),
        ("MX$ 12.50", Some(Clue::Point), Ok(12.5), Ok(12.5), NOT_C),
        ("MX$1.234,50", Some(Clue::Comma), Ok(1234.5), NOT_P, Ok(1234.5)),
        ("MXN 1,299.00", Some(Clue::Point), Ok(1299.0), Ok(1299.0), NOT_C),
        ("1,299.00 usd", Some(Clue::Point), Ok(1299.0), Ok(1299.0), NOT_C),
        ("US$ 3", Some(Clue::Plain), Ok(3.0), Ok(3.0), Ok(3.0)),
        ("€ 4", Some(Clue::Plain), Ok(4.0), Ok(4.0), Ok(4.0)),
        ("12,00 €", Some(Clue::Comma), Ok(12.0), NOT_P, Ok(12.0)),
        ("5 AR$", Some(Clue::Plain), Ok(5.0), Ok(5.0), Ok(5.0)),
        // Signs.
        ("-5,00", Some(Clue::Comma), Ok(-5.0), NOT_P, Ok(-5.0)),
        ("-R$ 5,00", Some(Clue::Comma), Ok(-5.0), NOT_P, Ok(-5.0)),
        ("R$ -5,00", Some(Clue::Comma), Ok(-5.0), NOT_P, Ok(-5.0)),
        ("- R$ 5,00", Some(Clue::Comma), Ok(-5.0), NOT_P, Ok(-5.0)),
        ("-5,00 R$", Some(Clue::Comma), Ok(-5.0), NOT_P, Ok(-5.0)),
        ("+1.5", Some(Clue::Point), Ok(1.5), Ok(1.5), NOT_C),
        ("-$1,299.00", Some(Clue::Point), Ok(-1299.0), Ok(-1299.0), NOT_C),
        ("\u{2212}3,5", Some(Clue::Comma), Ok(-3.5), NOT_P, Ok(-3.5)),
        ("-.5", Some(Clue::Point), Ok(-0.5), Ok(-0.5), NOT_C),
        // Not numbers.
        ("12,50,3", None, BAD, BAD, BAD),
        ("1.2.3,4,5", None, BAD, BAD, BAD),
        ("abc", None, BAD, BAD, BAD),
        ("12a", None, BAD, BAD, BAD),
        ("--1", None, BAD, BAD, BAD),
        ("+-1", None, BAD, BAD, BAD),
        ("-R$ -5", None, BAD, BAD, BAD),
        ("1e5", None, BAD, BAD, BAD),
        ("", None, BAD, BAD, BAD),
        ("   ", None, BAD, BAD, BAD),
        (",", None, BAD, BAD, BAD),
        (".", None, BAD, BAD, BAD),
        ("-", None, BAD, BAD, BAD),
        ("R$", None, BAD, BAD, BAD),
        ("12,", None, BAD, BAD, BAD),
        ("12.", None, BAD, BAD, BAD),
        ("1,23.45", None, BAD, BAD, BAD),
        ("1.234,5.6", None, BAD, BAD, BAD),
        ("1.234,567,89", None, BAD, BAD, BAD),
        ("12.34.56", None, BAD, BAD, BAD),
        ("1,2345,678", None, BAD, BAD, BAD),
        ("0.123.456", None, BAD, BAD, BAD),
        ("1234.567.890", None, BAD, BAD, BAD),
        (".123,45", None, BAD, BAD, BAD),
        ("12 34", None, BAD, BAD, BAD),
        ("1  234", None, BAD, BAD, BAD),
        ("1 234.567,89", None, BAD, BAD, BAD),
        ("1 234,567,890", None, BAD, BAD, BAD),
        ("1 ,5", None, BAD, BAD, BAD),
        ("R$ 5 BRL", None, BAD, BAD, BAD),
        ("$$5", None, BAD, BAD, BAD),
        ("NaN", None, BAD, BAD, BAD),
        ("inf", None, BAD, BAD, BAD),
        ("1_000", None, BAD, BAD, BAD),
        ("١٢", None, BAD, BAD, BAD),
        ("(5,00)", None, BAD, BAD, BAD),
        ("5,00-", None, BAD, BAD, BAD),
    ];

    #[test]
    fn table() {
        for &(s, clue_, ref none, ref point, ref comma) in TABLE {
            assert_eq!(clue(s), clue_, "clue of {s:?}");
            assert_eq!(&parse(s, None), none, "{s:?} undecided");
            assert_eq!(&parse(s, Some(Point)), point, "{s:?} under a decimal point");
            assert_eq!(&parse(s, Some(Comma)), comma, "{s:?} under a decimal comma");
        }
    }

    #[test]
    fn currencies() {
        for (s, bare) in [
            ("R$ 9,90", "9,90"),
            ("$ 1,299.00", "1,299.00"),
            ("MX$1.234,50", "1.234,50"),
            ("US$ 3", "3"),
            ("€ 4", "4"),
            ("9,90 R$", "9,90"),
            ("BRL 12,00", "12,00"),
            ("  12,00\u{a0}EUR ", "12,00"),
            ("5 AR$", "5"),
            ("COL$ 5.000", "5.000"),
            (" 12,50 ", "12,50"),
            ("-R$ 5,00", "-R$ 5,00"),
            ("R$", ""),
            ("£", ""),
            ("", ""),
            ("R$ 5 BRL", "5 BRL"),
        ] {
            assert_eq!(strip_currency(s), bare, "{s:?}");
        }
    }

    #[test]
    fn same_double_as_the_standard_parser() {
        // A deterministic sweep: each number written with thousands separators in both
        // conventions reads as the same bits as its plain decimal-point text.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let int = (x >> 20) % 10u64.pow(1 + (x % 12) as u32);
            let scale = 1 + ((x >> 4) % 9) as usize;
            let frac = format!("{:0>scale$}", (x >> 8) % 10u64.pow(scale as u32));
            let plain: f64 = format!("{int}.{frac}").parse().unwrap();
            let grouped = |sep: char| {
                let digits = int.to_string();
                let mut out = String::new();
                for (i, d) in digits.chars().enumerate() {
                    if i > 0 && (digits.len() - i).is_multiple_of(3) {
                        out.push(sep);
                    }
                    out.push(d);
                }
                out
            };
            let point = format!("{}.{frac}", grouped(','));
            let comma = format!("{},{frac}", grouped('.'));
            let spaced = format!("{},{frac}", grouped('\u{a0}'));
            for (s, c) in [(&point, Point), (&comma, Comma), (&spaced, Comma)] {
                assert_eq!(
                    parse(s, Some(c)).map(f64::to_bits),
                    Ok(plain.to_bits()),
                    "{s}"
                );
            }
        }
    }

    #[test]
    fn too_large_for_a_double() {
        let huge = format!("1{}", "0".repeat(400));
        assert_eq!(clue(&huge), Some(Clue::Plain));
        assert_eq!(parse(&huge, None), BAD);
        assert_eq!(parse(&format!("{huge},5"), Some(Comma)), BAD);
    }

    #[test]
    fn clue_and_parse_agree_and_never_panic() {
        // Every string of up to five characters over an alphabet of digits, separators,
        // signs, spaces and currency: no panic, and the errors follow from the clue.
        const ALPHABET: [&str; 10] = ["0", "1", "2", ",", ".", " ", "\u{a0}", "-", "R$", "€"];
        let mut s = String::new();
        let mut count = 0;
        for n in 0..=5u32 {
            for mut k in 0..ALPHABET.len().pow(n) {
                s.clear();
                for _ in 0..n {
                    s.push_str(ALPHABET[k % ALPHABET.len()]);
                    k /= ALPHABET.len();
                }
                let c = clue(&s);
                for convention in [None, Some(Point), Some(Comma)] {
                    let expected = match (c, convention) {
                        (None, _) => Some(NumberError::NotANumber),
                        (Some(Clue::Either), None) => Some(NumberError::Ambiguous),
                        (Some(Clue::Point), Some(Comma)) => Some(NumberError::Contradicts(Comma)),
                        (Some(Clue::Comma), Some(Point)) => Some(NumberError::Contradicts(Point)),
                        _ => None,
                    };
                    let got = parse(&s, convention);
                    assert_eq!(
                        got.as_ref().err(),
                        expected.as_ref(),
                        "{s:?} {convention:?}"
                    );
                    assert!(got.is_err() || got.unwrap().is_finite());
                }
                count += usize::from(c.is_some());
            }
        }
        assert!(count > 1000, "{count}");
    }

    fn votes(values: &[&str]) -> Votes {
        let mut v = Votes::default();
        for s in values {
            v.see(s);
        }
        v
    }

    #[test]
    fn decisions() {
        // A clear comma decides; plain values say nothing.
        let v = votes(&["12,50", "3", "1.234,00"]);
        assert_eq!(v.decide(None), Some(Comma));
        assert_eq!(v.decide(Some(Point)), Some(Comma));
        // Only values that fit both: the hint, or nothing.
        let v = votes(&["1,234", "5,000", "7"]);
        assert_eq!(v.decide(None), None);
        assert_eq!(v.decide(Some(Comma)), Some(Comma));
        // Nothing seen, or nothing that is a number.
        assert_eq!(votes(&[]).decide(None), None);
        assert_eq!(votes(&["abc", ""]).decide(Some(Comma)), Some(Comma));
        // Mixed: the majority, whatever the hint.
        let v = votes(&["12.50", "3.99", "1,5", "R$ 1.000,00", "$4.20"]);
        assert_eq!(v.decide(None), Some(Point));
        assert_eq!(v.decide(Some(Comma)), Some(Point));
        let v = votes(&["12,50", "3,99", "0.5"]);
        assert_eq!(v.decide(None), Some(Comma));
        // A tie: the hint, else a decimal point.
        let v = votes(&["12.50", "1,5", "1,234"]);
        assert_eq!(v.decide(None), Some(Point));
        assert_eq!(v.decide(Some(Comma)), Some(Comma));
        // Thousands alone count for their convention.
        assert_eq!(votes(&["1.234.567", "1,234"]).decide(None), Some(Comma));
        assert_eq!(votes(&["1,234,567"]).decide(Some(Comma)), Some(Point));
    }

    #[test]
    fn messages() {
        assert_eq!(Point.name(), "decimal point");
        assert_eq!(Comma.name(), "decimal comma");
        assert_eq!(NumberError::NotANumber.to_string(), "is not a number");
        assert_eq!(
            NumberError::Ambiguous.to_string(),
            "could be read either way (1,234 as 1234 or 1.234) and the file gives no other \
             clue (--decimal-separator decides)"
        );
        assert_eq!(
            NumberError::Contradicts(Comma).to_string(),
            "is written with a decimal point (1,234.56) where the column uses a decimal comma \
             (1.234,56)"
        );
        assert_eq!(
            NumberError::Contradicts(Point).to_string(),
            "is written with a decimal comma (1.234,56) where the column uses a decimal point \
             (1,234.56)"
        );
    }
}
