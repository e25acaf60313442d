//! Rows in PostgreSQL's COPY text format: the cheapest way to send many rows, one buffer a
//! table, written with no allocation per cell.

use crate::format::CellRef;
use std::io::Write;

/// One row's cells appended to `buf`: tab-separated, `\N` for NULL, newline-terminated.
pub fn row<'a>(buf: &mut Vec<u8>, cells: impl IntoIterator<Item = CellRef<'a>>) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            buf.push(b'\t');
        }
        cell_into(buf, cell);
    }
    buf.push(b'\n');
}

/// One cell. A number is written as the shortest decimal that reads back as the same double,
/// never with an exponent: the document's own value for any amount of up to 15 significant
/// digits; one with more keeps the digits it was written with.
pub fn cell_into(buf: &mut Vec<u8>, cell: CellRef<'_>) {
    match cell {
        CellRef::Null => buf.extend_from_slice(b"\\N"),
        CellRef::Int(i) => int(buf, i),
        CellRef::Num(f) => decimal(buf, f),
        CellRef::Decimal(_, digits) => buf.extend_from_slice(digits.as_bytes()),
        CellRef::Text(s) => text(buf, s),
    }
}

/// A number as the shortest decimal that reads back as the same double: found directly for
/// the amounts documents hold (a few decimal places), which is much cheaper than the general
/// algorithm `Display` uses for the rest.
fn decimal(buf: &mut Vec<u8>, f: f64) {
    const POW10: [f64; 10] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
    for (scale, &p) in POW10.iter().enumerate() {
        let x = f * p;
        if x.abs() >= 9_007_199_254_740_992.0 {
            break;
        }
        // To the nearest integer by a truncating cast (`f64::round` is a library call on
        // baseline x86-64). A value that rounds wrong fails the check below and goes on to
        // the next scale, or to `Display`: the digits are never wrong.
        let n = (x + 0.5f64.copysign(x)) as i64;
        if n as f64 / p == f {
            let (whole, frac) = (n / p as i64, (n % p as i64).unsigned_abs());
            if n < 0 && whole == 0 {
                buf.push(b'-');
            }
            int(buf, whole);
            if scale > 0 {
                // The fraction's digits, zeros in front included: `frac` < 10^scale.
                let mut digits = itoa::Buffer::new();
                let digits = digits.format(frac).as_bytes();
                buf.push(b'.');
                buf.resize(buf.len() + scale - digits.len(), b'0');
                buf.extend_from_slice(digits);
            }
            return;
        }
    }
    let _ = write!(buf, "{f}");
}

/// An integer's digits, without `fmt`'s machinery (the writer prints millions of them).
fn int(buf: &mut Vec<u8>, i: i64) {
    buf.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
}

/// Text, escaped: backslash, tab, newline and carriage return. A NUL, which PostgreSQL's text
/// cannot hold, is dropped.
fn text(buf: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    // Most text has nothing to escape: one pass the compiler vectorises (no early exit, so
    // it can), then one copy.
    let special = bytes
        .iter()
        .fold(false, |seen, &b| seen | (b == b'\\') | (b < b' '));
    if !special {
        buf.extend_from_slice(bytes);
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            0 => b"",
            _ => continue,
        };
        buf.extend_from_slice(&bytes[start..i]);
        buf.extend_from_slice(escaped);
        start = i + 1;
    }
    buf.extend_from_slice(&bytes[start..]);
}

/// A cell as the text a statement parameter takes (`None` for NULL).
pub fn param(cell: CellRef<'_>) -> Option<String> {
    match cell {
        CellRef::Null => None,
        CellRef::Int(i) => Some(i.to_string()),
        CellRef::Num(f) => {
            let mut buf = Vec::new();
            decimal(&mut buf, f);
            Some(String::from_utf8(buf).expect("ASCII digits"))
        }
        CellRef::Decimal(_, digits) => Some(digits.to_owned()),
        CellRef::Text(s) => Some(s.replace('\0', "")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_escaped_and_numbers_exact() {
        let mut buf = Vec::new();
        row(
            &mut buf,
            [
                CellRef::Text("a\tb\\c\nd\re\0f"),
                CellRef::Null,
                CellRef::Int(-7),
                CellRef::Num(1234.5),
                CellRef::Num(0.1),
                CellRef::Num(1e20),
                CellRef::Num("9999999999999.99".parse().unwrap()),
            ],
        );
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "a\\tb\\\\c\\nd\\ref\t\\N\t-7\t1234.5\t0.1\t100000000000000000000\t9999999999999.99\n"
        );
        assert_eq!(param(CellRef::Num(309.5)).as_deref(), Some("309.5"));
    }

    #[test]
    fn decimals_print_as_display_does() {
        // The fast path and the general one agree, sign and zeros included.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut values = vec![0.0, -0.5, -0.05, 0.1, 1e20, 1234.5678, -309.5, 0.3333333333];
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = (x >> 8) % 10u64.pow(1 + (x % 15) as u32);
            let scale = ((x >> 4) % 8) as i32;
            let v = digits as f64 / 10f64.powi(scale);
            values.push(if x & 1 == 0 { v } else { -v });
        }
        for v in values {
            let mut fast = Vec::new();
            decimal(&mut fast, v);
            let fast = String::from_utf8(fast).unwrap();
            let display = format!("{v}");
            let display = if display == "-0" {
                "0".to_owned()
            } else {
                display
            };
            assert_eq!(fast, display, "{v}");
        }
        assert_eq!(param(CellRef::Null), None);
    }
}
