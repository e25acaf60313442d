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
    const LANES: usize = 32;
    #[inline(always)]
    fn forbidden(c: u8) -> u8 {
        u8::from(c < 0x20) & u8::from(c != b'\t') & u8::from(c != b'\n') & u8::from(c != b'\r')
    }
    let chunks = b.chunks_exact(LANES);
    let tail = chunks.remainder();
    let mut control = None;
    for (n, chunk) in chunks.enumerate() {
        // A branch-free OR over a fixed-size chunk, which the compiler vectorises; the exact
        // place only on a hit.
        if chunk.iter().fold(0, |any, &c| any | forbidden(c)) != 0 {
            control = chunk
                .iter()
                .position(|&c| forbidden(c) != 0)
                .map(|i| n * LANES + i);
            break;
        }
    }
    if control.is_none() {
        control = tail
            .iter()
            .position(|&c| forbidden(c) != 0)
            .map(|i| b.len() - tail.len() + i);
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

/// What an ASCII byte is in a name: 2 may start one, 1 may only continue one, 0 neither (`:`
/// is 2 with the [`COLON`] bit). Bytes of non-ASCII characters are 0 here and decided by
/// character.
const COLON: u8 = 4;

static NAME_BYTE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        t[c] = if b == b':' {
            2 | COLON
        } else if b == b'_' || b.is_ascii_alphabetic() {
            2
        } else if b == b'-' || b == b'.' || b.is_ascii_digit() {
            1
        } else {
            0
        };
        c += 1;
    }
    t
};

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
    let Some(rest) = b.get(at..) else { return at };
    match rest.first() {
        Some(&c) if NAME_BYTE[usize::from(c)] & 2 != 0 => {}
        Some(&c) if c >= 0x80 => return name_end_by_char(b, at),
        _ => return at,
    }
    let n = rest[1..]
        .iter()
        .position(|&c| NAME_BYTE[usize::from(c)] == 0)
        .map_or(rest.len(), |i| i + 1);
    match rest.get(n) {
        Some(&c) if c >= 0x80 => name_end_by_char(b, at),
        _ => at + n,
    }
}

/// [`name_end`], and whether the name holds a `:` (a prefix to check), found in the same pass.
#[inline]
pub fn qname_end(b: &[u8], at: usize) -> (usize, bool) {
    let Some(rest) = b.get(at..) else {
        return (at, false);
    };
    match rest.first() {
        Some(&c) if NAME_BYTE[usize::from(c)] & 2 != 0 => {}
        Some(&c) if c >= 0x80 => {
            let end = name_end_by_char(b, at);
            return (end, b[at..end].contains(&b':'));
        }
        _ => return (at, false),
    }
    // Every class but `:`'s has bit 2 clear: OR-ing them says whether one was a colon.
    let mut seen = NAME_BYTE[usize::from(rest[0])];
    let mut n = 1;
    while let Some(&c) = rest.get(n) {
        let class = NAME_BYTE[usize::from(c)];
        if class == 0 {
            break;
        }
        seen |= class;
        n += 1;
    }
    match rest.get(n) {
        Some(&c) if c >= 0x80 => {
            let end = name_end_by_char(b, at);
            (end, b[at..end].contains(&b':'))
        }
        _ => (at + n, seen & COLON != 0),
    }
}

/// [`name_end`] for a name with characters outside ASCII.
#[cold]
fn name_end_by_char(b: &[u8], at: usize) -> usize {
    let mut i = at;
    loop {
        let Some(&c) = b.get(i) else { return i };
        let first = i == at;
        let (ok, len) = if c < 0x80 {
            let class = NAME_BYTE[usize::from(c)];
            (class & 2 != 0 || (!first && class == 1), 1)
        } else {
            match decode(&b[i..]) {
                Some((ch, len)) if first => (is_name_start(ch), len),
                Some((ch, len)) => (is_name_char(ch), len),
                None => (false, 0),
            }
        };
        if !ok {
            return i;
        }
        i += len;
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
        let q = |s: &str| qname_end(s.as_bytes(), 0);
        assert_eq!(q("nfe:NFe>"), (7, true));
        assert_eq!(q("infNFe "), (6, false));
        assert_eq!(q(":a"), (2, true));
        assert_eq!(q("ação:b="), ("ação:b".len(), true));
        assert_eq!(q("ação="), ("ação".len(), false));
        assert_eq!(q("1a"), (0, false));
    }
}
