//! Text fit for a terminal or a text log. File names and ZIP member names come from the
//! documents batchimp reads, so they may hold a newline (a forged `batchimp:` line in a log), a
//! carriage return (a line overwritten) or an escape sequence (a terminal retitled or cleared).
//! Whatever batchimp prints as text goes through [`escape`], the way `ls` and ripgrep print
//! names; JSON output needs nothing of it (serde escapes every control character).

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with its control characters written as escapes: `\n`, `\r`, `\t`, `\x1b` for the
/// other ASCII controls (DEL included), `\u{85}` for C1 controls and for the invisible marks
/// that reorder text (bidirectional overrides and isolates). Everything else, backslashes
/// included (Windows paths), is left as it is; text with nothing to escape is not copied.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii() && hidden(c) => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if hidden(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A character a terminal acts on or a reader cannot see: C0 and C1 controls, DEL, and the
/// bidirectional marks, overrides and isolates ("Trojan Source").
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `1 file`, `2 files`: a count with its noun, singular for one. `noun` is the singular;
/// the plural adds an `s`.
pub fn counted(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_the_rest_kept() {
        assert!(matches!(escape("plain/ação.xml"), Cow::Borrowed(_)));
        assert_eq!(escape("C:\\in\\a.xml"), "C:\\in\\a.xml");
        assert_eq!(
            escape("m\nbatchimp: forged\r\t.xml"),
            "m\\nbatchimp: forged\\r\\t.xml"
        );
        assert_eq!(
            escape("\x1b]0;x\x07\x1b[2J\x7f"),
            "\\x1b]0;x\\x07\\x1b[2J\\x7f"
        );
        assert_eq!(escape("a\u{85}b\u{202e}c\0"), "a\\u{85}b\\u{202e}c\\x00");
    }
}
