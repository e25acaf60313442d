//! CSV records from a byte stream, numbered by the line they start on.
//!
//! RFC 4180 as spreadsheets and ERPs write it: fields split on a delimiter; a field that starts
//! with `"` may hold delimiters, line breaks and `""` (one quote); records end at `\n` or
//! `\r\n`. Blank lines are skipped but counted, so a record's `line` is the line an editor shows
//! for it, which is what a user fixing a rejected row needs (the `csv` crate's positions drift
//! after blank lines and with CRLF). Lenient like spreadsheets: text after a closing quote is
//! kept, and a quote left open runs to the end of the input.

use std::io::{self, Read};

/// Bytes read from the input at once.
const BUFFER: usize = 256 * 1024;
/// Longest record, in bytes of its fields plus one a field: no product row comes near it, and
/// a quote never closed (or a line of nothing but delimiters) would otherwise gather the rest
/// of the input, however large, into one record.
pub const MAX_RECORD: usize = 1 << 20;

/// The error [`Records::read`] returns (inside an `io::Error`) for a record over
/// [`MAX_RECORD`].
#[derive(Debug)]
pub struct RecordTooLong {
    /// The line the record starts on.
    pub line: u64,
}

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the record starting on line {} is longer than {} KiB (a quote never closed?)",
            self.line,
            MAX_RECORD / 1024
        )
    }
}

impl std::error::Error for RecordTooLong {}

/// One record: its fields' bytes (quotes removed) and the line it starts on (1-based).
#[derive(Debug, Default, Clone)]
pub struct Record {
    data: Vec<u8>,
    ends: Vec<usize>,
    pub line: u64,
}

impl Record {
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The fields, in order.
    pub fn fields(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(s, e)| &self.data[s..e])
    }
}

/// Reads [`Record`]s from `R`.
pub struct Records<R> {
    input: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    delimiter: u8,
    /// The line of the next byte.
    line: u64,
}

impl<R: Read> Records<R> {
    /// Records from `input`, whose first byte is on line `first_line`.
    pub fn new(input: R, delimiter: u8, first_line: u64) -> Records<R> {
        Records {
            input,
            buf: vec![0; BUFFER].into_boxed_slice(),
            pos: 0,
            end: 0,
            delimiter,
            line: first_line,
        }
    }

    /// The next byte, without taking it; `None` at the end of the input.
    fn peek(&mut self) -> io::Result<Option<u8>> {
        if self.pos == self.end {
            self.end = loop {
                match self.input.read(&mut self.buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    r => break r?,
                }
            };
            self.pos = 0;
            if self.end == 0 {
                return Ok(None);
            }
        }
        Ok(Some(self.buf[self.pos]))
    }

    /// Read the next record into `rec`; `false` at the end of the input. A record over
    /// [`MAX_RECORD`] is an error ([`RecordTooLong`]).
    pub fn read(&mut self, rec: &mut Record) -> io::Result<bool> {
        rec.data.clear();
        rec.ends.clear();
        // Blank lines.
        loop {
            match self.peek()? {
                None => return Ok(false),
                Some(b'\n') => self.line += 1,
                Some(b'\r') => {}
                Some(_) => break,
            }
            self.pos += 1;
        }
        rec.line = self.line;
        let mut field_start = true;
        let mut quoted = false;
        loop {
            // The common case, a run of plain bytes (or of quoted ones), copied at once.
            let run = &self.buf[self.pos..self.end];
            let n = if quoted {
                memchr::memchr2(b'"', b'\n', run)
            } else {
                run.iter()
                    .position(|&b| b == self.delimiter || b == b'\n' || b == b'\r' || b == b'"')
            }
            .unwrap_or(run.len());
            if n > 0 {
                rec.data.extend_from_slice(&run[..n]);
                self.pos += n;
                field_start = false;
            }
            // Checked after each run and each single byte, before the end of the input can
            // close the record.
            if rec.data.len() + rec.ends.len() > MAX_RECORD {
                return Err(io::Error::other(RecordTooLong { line: rec.line }));
            }
            let Some(b) = self.peek()? else {
                rec.ends.push(rec.data.len());
                return Ok(true);
            };
            self.pos += 1;
            if quoted {
                match b {
                    b'"' => {
                        if self.peek()? == Some(b'"') {
                            self.pos += 1;
                            rec.data.push(b'"');
                        } else {
                            quoted = false;
                        }
                    }
                    b'\n' => {
                        self.line += 1;
                        rec.data.push(b);
                    }
                    _ => rec.data.push(b),
                }
                continue;
            }
            match b {
                b'"' if field_start => {
                    quoted = true;
                    field_start = false;
                }
                b'\n' => {
                    self.line += 1;
                    rec.ends.push(rec.data.len());
                    return Ok(true);
                }
                b'\r' if self.peek()? == Some(b'\n') => {}
                b if b == self.delimiter => {
                    rec.ends.push(rec.data.len());
                    field_start = true;
                }
                _ => {
                    rec.data.push(b);
                    field_start = false;
                }
            }
        }
    }
}

/// Append `field` to `out` the way a `,`-separated CSV holds it: as it is, or quoted (its quotes
/// doubled) when it holds a comma, a quote or a line break. [`Records`] reads it back unchanged.
pub fn write_field(out: &mut Vec<u8>, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        out.push(b'"');
        out.extend_from_slice(field.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(field.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &str, delimiter: u8) -> Vec<(u64, Vec<String>)> {
        let mut r = Records::new(input.as_bytes(), delimiter, 1);
        let mut rec = Record::default();
        let mut out = Vec::new();
        while r.read(&mut rec).unwrap() {
            let fields = rec
                .fields()
                .map(|f| String::from_utf8(f.to_vec()).unwrap())
                .collect();
            out.push((rec.line, fields));
        }
        out
    }

    fn v(fields: &[&str]) -> Vec<String> {
        fields.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn written_fields_read_back_unchanged() {
        let fields = ["plain", "a, b", "say \"hi\"", "two\nlines", "cr\r", ""];
        let mut out = Vec::new();
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_field(&mut out, f);
        }
        assert_eq!(
            out,
            b"plain,\"a, b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\","
        );
        out.push(b'\n');
        assert_eq!(
            all(std::str::from_utf8(&out).unwrap(), b','),
            [(1, v(&fields))]
        );
    }

    #[test]
    fn records_are_numbered_by_the_line_they_start_on() {
        let input = "a,b\n1,2\n\n\"x\ny\",3\n\n\n4,\"5\"\n6,7";
        assert_eq!(
            all(input, b','),
            [
                (1, v(&["a", "b"])),
                (2, v(&["1", "2"])),
                (4, v(&["x\ny", "3"])),
                (8, v(&["4", "5"])),
                (9, v(&["6", "7"])),
            ]
        );
        let crlf = input.replace('\n', "\r\n");
        let got = all(&crlf, b',');
        assert_eq!(got.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2, 4, 8, 9]);
        assert_eq!(got[2].1, v(&["x\r\ny", "3"]));
    }

    #[test]
    fn quotes_delimiters_and_empty_fields() {
        assert_eq!(
            all("\"a;b\";\"say \"\"hi\"\"\";;x\n", b';'),
            [(1, v(&["a;b", "say \"hi\"", "", "x"]))]
        );
        assert_eq!(all(",\n", b','), [(1, v(&["", ""]))]);
        // Lenient: a quote inside a field is text; text after a closing quote is kept; an
        // open quote runs to the end.
        assert_eq!(
            all("ab\"c,\"d\"e,\"open\nrest", b','),
            [(1, v(&["ab\"c", "de", "open\nrest"]))]
        );
        assert_eq!(all("", b','), []);
        assert_eq!(all("\n\r\n", b','), []);
    }

    #[test]
    fn a_quote_never_closed_is_an_error_not_a_record_as_large_as_the_input() {
        // Long runs, line breaks one at a time (no run to copy), empty fields.
        for body in [
            format!("\"{}", "x".repeat(MAX_RECORD + 10)),
            format!("\"{}", "\n".repeat(MAX_RECORD + 10)),
            ",".repeat(MAX_RECORD + 10),
        ] {
            let input = format!("a,b\nc,{body}");
            let mut r = Records::new(input.as_bytes(), b',', 1);
            let mut rec = Record::default();
            assert!(r.read(&mut rec).unwrap());
            let e = r.read(&mut rec).unwrap_err();
            let too_long = e.get_ref().and_then(|e| e.downcast_ref::<RecordTooLong>());
            assert_eq!(too_long.map(|t| t.line), Some(2));
        }
    }

    #[test]
    fn records_span_buffer_refills() {
        // A reader that hands out one byte at a time exercises every refill point.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let Some((&b, rest)) = self.0.split_first() else {
                    return Ok(0);
                };
                buf[0] = b;
                self.0 = rest;
                Ok(1)
            }
        }
        let input = "a,\"b\"\"c\"\r\n\r\n\"d\r\ne\",f\r\n";
        let mut r = Records::new(Trickle(input.as_bytes()), b',', 10);
        let mut rec = Record::default();
        let mut got = Vec::new();
        while r.read(&mut rec).unwrap() {
            got.push((
                rec.line,
                rec.fields().map(|f| f.to_vec()).collect::<Vec<_>>(),
            ));
        }
        assert_eq!(
            got,
            [
                (10, vec![b"a".to_vec(), b"b\"c".to_vec()]),
                (12, vec![b"d\r\ne".to_vec(), b"f".to_vec()]),
            ]
        );
    }
}
