//! Character data: references (the five predefined entities and character references, nothing
//! else: batchimp never reads a DTD), line-end normalisation, and an element's text assembled
//! across runs without copying the common single run.

use super::chars::{is_char, name_end};
use super::malformed;
use crate::error::{ErrorType, FileError};
use memchr::{memchr, memchr3};

/// The reference at the start of `raw` (`raw[0]` is `&`): the character it stands for and its
/// length through the `;`, or what is wrong with it.
pub(super) fn reference(raw: &[u8]) -> Result<(char, usize), String> {
    let no_reference = || "an `&` that starts no reference (write `&amp;`)".to_owned();
    let Some(semi) = memchr(b';', &raw[1..]) else {
        return Err(no_reference());
    };
    let name = &raw[1..1 + semi];
    let c = match name {
        b"lt" => '<',
        b"gt" => '>',
        b"amp" => '&',
        b"apos" => '\'',
        b"quot" => '"',
        [b'#', b'x', hex @ ..] => char_ref(name, hex, 16)?,
        [b'#', dec @ ..] => char_ref(name, dec, 10)?,
        _ if !name.is_empty() && name_end(name, 0) == name.len() => {
            return Err(format!(
                "&{}; names an entity XML does not predefine (batchimp reads no DTD)",
                String::from_utf8_lossy(name)
            ));
        }
        _ => return Err(no_reference()),
    };
    Ok((c, semi + 2))
}

/// The character of `&#…;` whose digits are `digits` in `radix`.
fn char_ref(name: &[u8], digits: &[u8], radix: u32) -> Result<char, String> {
    let bad = || {
        format!(
            "&{}; is not a character XML allows",
            String::from_utf8_lossy(name)
        )
    };
    if digits.is_empty() {
        return Err(bad());
    }
    let mut code: u32 = 0;
    for &d in digits {
        let v = char::from(d).to_digit(radix).ok_or_else(bad)?;
        code = code.saturating_mul(radix).saturating_add(v);
    }
    if !is_char(code) {
        return Err(bad());
    }
    char::from_u32(code).ok_or_else(bad)
}

/// A run of character data as written, between markup: a slice of the document, which was
/// checked as UTF-8 once as a whole.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    pub raw: &'a str,
    /// Whether it holds no reference and no CR: then it is its own text.
    pub plain: bool,
}

/// Bytes that end or interrupt a run of character data: `<`, `&`, `]` (of a `]]>`), and CR (a
/// line end to normalise).
static TEXT_STOP: [bool; 256] = {
    let mut t = [false; 256];
    t[b'<' as usize] = true;
    t[b'&' as usize] = true;
    t[b']' as usize] = true;
    t[b'\r' as usize] = true;
    t
};

/// Bytes looked at one by one before a vector search takes over: most of an invoice's runs
/// are a few bytes, shorter than a search's setup.
const SHORT_RUN: usize = 32;

/// The end of the character data that starts at `at` (the next `<`, or the end of the input),
/// checked on the way: its references resolve and it holds no `]]>`. Also whether the run is
/// plain (no reference, no CR), so its text needs no second look.
#[inline]
pub(super) fn run_end(b: &[u8], at: usize) -> Result<(usize, bool), FileError> {
    let mut i = at;
    let mut plain = true;
    loop {
        let head = &b[i..b.len().min(i + SHORT_RUN)];
        let stop = match head.iter().position(|&c| TEXT_STOP[usize::from(c)]) {
            Some(n) => i + n,
            None if i + SHORT_RUN >= b.len() => return Ok((b.len(), plain)),
            None => {
                let from = i + SHORT_RUN;
                let end = memchr3(b'<', b'&', b']', &b[from..]).map_or(b.len(), |n| from + n);
                plain &= memchr(b'\r', &b[i..end]).is_none();
                if end == b.len() {
                    return Ok((end, plain));
                }
                end
            }
        };
        i = stop;
        match b[i] {
            b'<' => return Ok((i, plain)),
            b'&' => {
                plain = false;
                i += reference(&b[i..]).map_err(|what| malformed(i, what))?.1;
            }
            b'\r' => {
                plain = false;
                i += 1;
            }
            _ if b[i..].starts_with(b"]]>") => {
                return Err(malformed(i, "`]]>` in text (write `]]&gt;`)"));
            }
            _ => i += 1,
        }
    }
}

/// The index of the `quote` closing the attribute value that starts at `at` (`None` if the
/// input ends first), checked on the way: its references resolve and it holds no `<`.
#[inline]
pub(super) fn value_end(b: &[u8], at: usize, quote: u8) -> Result<Option<usize>, FileError> {
    let mut i = at;
    loop {
        let Some(n) = memchr3(quote, b'&', b'<', &b[i..]) else {
            return Ok(None);
        };
        i += n;
        match b[i] {
            b'<' => return Err(malformed(i, "a `<` in an attribute value (write `&lt;`)")),
            b'&' => i += reference(&b[i..]).map_err(|what| malformed(i, what))?.1,
            _ => return Ok(Some(i)),
        }
    }
}

/// Resolve the references in `raw` into `out`, normalising line ends (CR LF and a lone CR
/// become LF) and, for an attribute value, turning literal tab, CR and LF into spaces as XML
/// 1.0 §3.3.3 says (a character reference such as `&#10;` stays what it names).
pub(super) fn unescape_into(raw: &str, attribute: bool, out: &mut String) -> Result<(), FileError> {
    let b = raw.as_bytes();
    let mut i = 0;
    let mut plain = 0;
    while i < b.len() {
        let c = b[i];
        if !matches!(c, b'&' | b'\r' | b'\n' | b'\t') {
            i += 1;
            continue;
        }
        // `plain` and `i` are at ASCII bytes (or the ends): character boundaries.
        out.push_str(&raw[plain..i]);
        match c {
            b'&' => {
                let (ch, len) = reference(&b[i..]).map_err(|what| {
                    FileError::new(ErrorType::XmlMalformed, format!("malformed XML: {what}"))
                })?;
                out.push(ch);
                i += len;
            }
            b'\r' => {
                out.push(if attribute { ' ' } else { '\n' });
                i += if b.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
            }
            _ => {
                out.push(if attribute { ' ' } else { c as char });
                i += 1;
            }
        }
        plain = i;
    }
    out.push_str(&raw[plain..]);
    Ok(())
}

/// Whether an attribute value needs [`unescape_into`] (a reference or white space to
/// normalise); otherwise it is used as written.
pub(super) fn attribute_needs_work(raw: &str) -> bool {
    raw.bytes()
        .any(|c| matches!(c, b'&' | b'\r' | b'\n' | b'\t'))
}

/// One element's text, across text runs, references and CDATA. The common case, a single run
/// of plain text, stays a slice of the input: nothing is copied until it needs assembling.
#[derive(Default)]
pub struct Text<'a> {
    /// The text so far while it is one borrowed run.
    run: Option<&'a str>,
    /// The text once it needed assembling (several runs, a reference, a CR).
    assembled: Option<String>,
}

impl<'a> Text<'a> {
    #[inline]
    pub fn clear(&mut self) {
        self.run = None;
        self.assembled = None;
    }

    /// Whether there is no text (an element that only holds elements, or an empty one).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.run.is_none() && self.assembled.as_ref().is_none_or(String::is_empty)
    }

    /// Append character data as written (a [`Event::Text`](super::Event::Text)): its
    /// references are resolved here.
    #[inline]
    pub fn push(&mut self, run: Run<'a>) -> Result<(), FileError> {
        if run.plain {
            self.push_run(run.raw);
            return Ok(());
        }
        unescape_into(run.raw, false, self.assembling())
    }

    /// Append text taken as is but for line ends (a [`Event::CData`](super::Event::CData)).
    pub fn push_verbatim(&mut self, raw: &'a str) {
        if memchr(b'\r', raw.as_bytes()).is_none() {
            return self.push_run(raw);
        }
        let out = self.assembling();
        for (n, line) in raw.split('\r').enumerate() {
            if n > 0 {
                out.push('\n');
            }
            out.push_str(line.strip_prefix('\n').filter(|_| n > 0).unwrap_or(line));
        }
    }

    #[inline]
    fn push_run(&mut self, raw: &'a str) {
        if self.run.is_none() && self.assembled.is_none() {
            self.run = Some(raw);
        } else {
            self.assembling().push_str(raw);
        }
    }

    fn assembling(&mut self) -> &mut String {
        let run = self.run.take();
        self.assembled
            .get_or_insert_with(|| run.map(str::to_owned).unwrap_or_default())
    }

    /// The text, trimmed of white space (Unicode's, as `str::trim`).
    #[inline]
    pub fn get(&self) -> &str {
        let s = match (&self.assembled, self.run) {
            (Some(s), _) => s.as_str(),
            (None, Some(run)) => run,
            (None, None) => "",
        };
        // ASCII first, without decoding characters; only text that begins or ends outside
        // ASCII can have more (a no-break space).
        let t = s.trim_ascii();
        match (t.as_bytes().first(), t.as_bytes().last()) {
            (Some(&a), Some(&z)) if !a.is_ascii() || !z.is_ascii() => t.trim(),
            _ => t,
        }
    }
}

pub(super) fn utf8(b: &[u8]) -> Result<&str, FileError> {
    std::str::from_utf8(b)
        .map_err(|_| FileError::new(ErrorType::XmlEncoding, "invalid UTF-8 in text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run as the scanner gives it.
    fn run(raw: &str) -> Run<'_> {
        Run {
            raw,
            plain: !raw.contains(['&', '\r']),
        }
    }

    #[test]
    fn text_resolves_references_and_keeps_plain_runs_borrowed() {
        let mut text = Text::default();
        text.push(run(" plain ")).unwrap();
        assert!(text.assembled.is_none());
        assert_eq!(text.get(), "plain");
        text.clear();
        text.push(run("\u{a0} pão\u{a0}\n")).unwrap();
        assert_eq!(text.get(), "pão");
        text.clear();
        assert!(text.is_empty());
        text.push(run("A&amp;B &lt;&gt;&quot;&apos; &#233;&#xE9;&#0000065;"))
            .unwrap();
        text.push_verbatim(" <&amp;>");
        assert_eq!(text.get(), "A&B <>\"' ééA <&amp;>");
        for bad in [
            "a & b",
            "&nbsp;",
            "&#0;",
            "&#1;",
            "&#xD800;",
            "&#xFFFE;",
            "&#x110000;",
            "&#x;",
            "&#+65;",
            "&#x-41;",
            "&#99999999999999999999;",
        ] {
            let mut text = Text::default();
            let err = text.push(run(bad)).unwrap_err();
            assert_eq!(err.error_type, ErrorType::XmlMalformed, "{bad:?}");
        }
    }

    #[test]
    fn line_ends_are_normalised() {
        let mut text = Text::default();
        text.push(run("one\r\ntwo\rthree\n")).unwrap();
        text.push_verbatim("four\r\nfive\r");
        text.push(run("six")).unwrap();
        assert_eq!(text.get(), "one\ntwo\nthree\nfour\nfive\nsix");
        let mut out = String::new();
        unescape_into("a\tb\r\nc\nd&#10;e&#9;", true, &mut out).unwrap();
        assert_eq!(out, "a b c d\ne\t");
    }

    #[test]
    fn checks_name_the_place() {
        assert_eq!(run_end(b"a &amp; b ]] > ]<x", 0).unwrap(), (16, false));
        assert_eq!(run_end(b"no markup", 0).unwrap(), (9, true));
        assert_eq!(run_end(b"a\rb<", 0).unwrap(), (3, false));
        // Past the bytes looked at one by one: a vector search, the same answers.
        let long = format!("{}&lt;{}\r<", "x".repeat(40), "y".repeat(40));
        assert_eq!(
            run_end(long.as_bytes(), 0).unwrap(),
            (long.len() - 1, false)
        );
        let long = format!("{}<", "x".repeat(40));
        assert_eq!(run_end(long.as_bytes(), 0).unwrap(), (40, true));
        let long = format!("{}\r{}", "x".repeat(40), "z".repeat(40));
        assert_eq!(run_end(long.as_bytes(), 0).unwrap(), (81, false));
        let err = run_end(format!("{}]]>", "x".repeat(40)).as_bytes(), 0).unwrap_err();
        assert!(err.message.contains("at byte 40: `]]>`"), "{}", err.message);
        let err = run_end(b"<a>ab]]></a>", 3).unwrap_err();
        assert_eq!(
            err.message,
            "malformed XML at byte 5: `]]>` in text (write `]]&gt;`)"
        );
        assert_eq!(value_end(b"x=']]>' ", 3, b'\'').unwrap(), Some(6));
        assert_eq!(value_end(b"x='cut", 3, b'\'').unwrap(), None);
        let err = value_end(b"x=\"}ni,os<wr\"", 3, b'"').unwrap_err();
        assert_eq!(
            err.message,
            "malformed XML at byte 9: a `<` in an attribute value (write `&lt;`)"
        );
        let err = value_end(b"x=\"a &foo; b\"", 3, b'"').unwrap_err();
        assert!(
            err.message.contains("at byte 5: &foo; names an entity"),
            "{}",
            err.message
        );
    }
}
