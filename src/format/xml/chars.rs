//! XML 1.0 (fifth edition) character classes: which characters a document may hold at all
//! (`Char`), which are white space (`S`), and which may start or continue a `Name`.

/// `S`: space, tab, line feed, carriage return (and nothing else: no form feed, no NBSP).
#[inline(always)]
pub fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// The index of the first byte at or after `i` that is not white space.
#[inline]
pub fn skip_space(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|&c| is_space(c)) {
        i += 1;
    }
    i
}

/// `Char`: the code points a document may hold.
pub fn is_char(c: u32) -> bool {
    matches!(c, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// The offset of the first character of valid UTF-8 `b` that is not a `Char`: a C0 control
/// other than tab, LF and CR, or U+FFFE / U+FFFF (valid UTF-8 holds no surrogates).
pub fn first_forbidden(b: &[u8]) -> Option<usize> {
    const LANES: usize = 64;
    let forbidden = |c: u8| c < 0x20 && c != b'\t' && c != b'\n' && c != b'\r';
    let mut control = None;
    for (n, chunk) in b.chunks(LANES).enumerate() {
        // An OR over the chunk, which the compiler vectorises; the exact place only on a hit.
        if chunk.iter().fold(false, |any, &c| any | forbidden(c)) {
            control = chunk
                .iter()
                .position(|&c| forbidden(c))
                .map(|i| n * LANES + i);
            break;
        }
    }
    let within = control.unwrap_or(b.len());
    let mut from = 0;
    // U+FFFE and U+FFFF are EF BF BE / EF BF BF; 0xEF is rare in Latin text.
    while let Some(i) = memchr::memchr(0xEF, &b[from..within]) {
        let at = from + i;
        if b.get(at + 1) == Some(&0xBF) && matches!(b.get(at + 2), Some(0xBE | 0xBF)) {
            return Some(at);
        }
        from = at + 1;
    }
    control
}

const fn ascii_names(start: bool) -> [bool; 128] {
    let mut t = [false; 128];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        t[c] = b == b':'
            || b == b'_'
            || b.is_ascii_alphabetic()
            || (!start && (b == b'-' || b == b'.' || b.is_ascii_digit()));
        c += 1;
    }
    t
}

static NAME_START: [bool; 128] = ascii_names(true);
static NAME_CHAR: [bool; 128] = ascii_names(false);

/// `NameStartChar`.
pub fn is_name_start(c: char) -> bool {
    matches!(c,
        ':' | 'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
        | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
        | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

/// `NameChar`.
pub fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// The end of the `Name` that starts at `at`: `at` itself when none starts there. A name cut
/// by the end of the input (or by a UTF-8 sequence cut there) ends where the input does.
#[inline]
pub fn name_end(b: &[u8], at: usize) -> usize {
    let mut i = at;
    loop {
        let Some(&c) = b.get(i) else { return i };
        let first = i == at;
        if c < 0x80 {
            let table = if first { &NAME_START } else { &NAME_CHAR };
            if !table[usize::from(c)] {
                return i;
            }
            i += 1;
            continue;
        }
        match decode(&b[i..]) {
            Some((ch, len))
                if (if first {
                    is_name_start(ch)
                } else {
                    is_name_char(ch)
                }) =>
            {
                i += len
            }
            _ => return i,
        }
    }
}

/// The character a UTF-8 sequence starts with, and its length.
fn decode(b: &[u8]) -> Option<(char, usize)> {
    let len = match b.first()? {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => return None,
    };
    let s = std::str::from_utf8(b.get(..len)?).ok()?;
    Some((s.chars().next()?, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_characters() {
        assert_eq!(first_forbidden(b"<a>\t\r\n ok</a>"), None);
        assert_eq!(first_forbidden(b"<a>\x01</a>"), Some(3));
        let long = [&[b'a'; 200][..], b"\x0c"].concat();
        assert_eq!(first_forbidden(&long), Some(200));
        assert_eq!(first_forbidden("<a>\u{FFFE}</a>".as_bytes()), Some(3));
        assert_eq!(first_forbidden("<a>\u{FFFF}\x01</a>".as_bytes()), Some(3));
        assert_eq!(first_forbidden("<a>\u{FFFD}\u{E000}ï</a>".as_bytes()), None);
    }

    #[test]
    fn names() {
        let end = |s: &str| name_end(s.as_bytes(), 0);
        assert_eq!(end("infNFe versao"), 6);
        assert_eq!(end("nfe:NFe>"), 7);
        assert_eq!(end("ação="), "ação".len());
        assert_eq!(end("x-1.2_b/"), 7);
        assert_eq!(end("1a"), 0);
        assert_eq!(end("-a"), 0);
        assert_eq!(end(" a"), 0);
        assert_eq!(end("a\u{B7}b"), "a\u{B7}b".len());
        assert_eq!(end("\u{B7}b"), 0);
        assert_eq!(end("a\u{D7}"), 1);
    }
}
