//! A page's text in layout order, as `pdftotext -layout` gives it: lines rebuilt from where
//! the glyphs are drawn, not from the order the content stream draws them in. Invoices draw
//! a label and its value in any order (the value first, the column of labels first...), and
//! lopdf's own extractor keeps that order, so "Total" and "12.34" drift apart; here a label
//! and the value beside it on the same baseline end on one line, columns kept apart by a run
//! of spaces.
//!
//! The content stream is walked once with the text state PDF 32000-1 §9.3-9.4 defines (text
//! and line matrices, character and word spacing, horizontal scaling, leading, rise, the CTM
//! with `q`/`Q`/`cm`, Form XObjects drawn by `Do`). Each shown string becomes a run placed
//! where it starts and ends, its width from the font's widths (`/Widths` and `/FirstChar`,
//! a Type0 font's `/W` and `/DW`) or, without them, Helvetica's (Courier's for a Courier
//! font). Runs are grouped into lines by baseline, sorted by x, and joined by spaces where
//! the gap between them is wide. The work is bounded (operations, runs, text, nesting) and
//! hostile numbers (NaN, infinities) cannot panic it.

use lopdf::content::{Content, Operation};
use lopdf::{DecompressError, Dictionary, Document, Encoding, Error, Object, ObjectId, Stream};
use std::collections::BTreeMap;

/// Most content operations walked on one page, forms included: far above any invoice (a
/// DANFE page is a few thousand).
const MAX_OPS: usize = 1_000_000;
/// Most runs (shown strings) kept on one page.
const MAX_RUNS: usize = 200_000;
/// Most bytes of text kept from one page's runs.
const MAX_TEXT: usize = 4 << 20;
/// Deepest `q` nesting tracked (deeper saves are counted, not stored).
const MAX_SAVES: usize = 64;
/// Deepest Form XObject nesting followed, and most forms drawn on one page.
const MAX_FORM_DEPTH: usize = 4;
const MAX_FORMS: usize = 256;
/// Most entries of a Type0 font's `/W` array read.
const MAX_CID_WIDTHS: usize = 20_000;

/// The text of page `number` (object `id`) in layout order; lopdf's own text of the page when
/// the layout gives none (fonts this walk cannot decode) or fails for any reason but a stream
/// inflating past `max_stream`, which is returned as lopdf's `MemoryLimitExceeded`, as
/// `Document::extract_text_with_limit` does.
pub fn page_text(
    doc: &Document,
    number: u32,
    id: ObjectId,
    max_stream: usize,
) -> lopdf::Result<String> {
    match layout_text(doc, id, max_stream) {
        Err(e) if is_bomb(&e) => Err(e),
        Ok(text) if text.chars().any(|c| !c.is_whitespace()) => Ok(text),
        _ => doc.extract_text_with_limit(&[number], max_stream),
    }
}

/// The page's text in layout order, without a fallback.
pub fn layout_text(doc: &Document, id: ObjectId, max_stream: usize) -> lopdf::Result<String> {
    let mut walk = Walk::new(doc, max_stream);
    let names = walk.fonts(doc.get_page_fonts(id)?)?;
    let (own, ids) = doc.get_page_resources(id)?;
    let resources: Vec<&Dictionary> = own
        .into_iter()
        .chain(ids.iter().filter_map(|r| doc.get_dictionary(*r).ok()))
        .collect();
    let content = doc.get_page_content_with_limit(id, max_stream)?;
    walk.content(&content, &names, &resources, 0)?;
    Ok(lines(walk.runs))
}

fn is_bomb(e: &Error) -> bool {
    matches!(
        e,
        Error::Decompress(DecompressError::MemoryLimitExceeded { .. })
    )
}

/// An affine matrix `[a b c d e f]`, row-vector convention as in the PDF specification.
type Matrix = [f64; 6];

const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `m × n`: `m` applied first.
fn mul(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

fn translate(x: f64, y: f64) -> Matrix {
    [1.0, 0.0, 0.0, 1.0, x, y]
}

fn apply(m: &Matrix, x: f64, y: f64) -> (f64, f64) {
    (x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5])
}

/// How a font measures its glyphs, in thousandths of the font size.
enum Widths {
    /// One byte per code: `/Widths` from `/FirstChar` (empty when the font has none).
    Simple { first: i64, widths: Vec<f64> },
    /// Two bytes per code (a Type0 font): `/W` ranges by first code, and `/DW`.
    Cid {
        default: f64,
        ranges: BTreeMap<u32, (u32, f64)>,
    },
}

/// A font of the page: how its bytes decode to text and how wide they are.
struct Font<'a> {
    /// `None`: its encoding cannot be read; its strings still move the text position.
    encoding: Option<Encoding<'a>>,
    widths: Widths,
    /// A Courier font: 600 per glyph when widths are missing.
    fixed: bool,
    /// Glyph space to text space (a Type3 font's `/FontMatrix`), times 1000.
    scale: f64,
}

impl Font<'_> {
    /// The width of one code, in thousandths of the font size. `ch` is the character it
    /// decodes to, when known, for the fallback metrics.
    fn width(&self, code: u32, ch: Option<char>) -> f64 {
        let w = match &self.widths {
            Widths::Simple { first, widths } => usize::try_from(i64::from(code) - first)
                .ok()
                .and_then(|i| widths.get(i).copied()),
            Widths::Cid { default, ranges } => Some(
                ranges
                    .range(..=code)
                    .next_back()
                    .filter(|(_, (last, _))| code <= *last)
                    .map_or(*default, |(_, (_, w))| *w),
            ),
        };
        match w {
            Some(w) if w.is_finite() && w > 0.0 => w * self.scale,
            _ if self.fixed => 600.0,
            _ => fallback_width(ch),
        }
    }
}

/// Helvetica's widths of printable ASCII (its AFM), the shape of most invoice text.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' '-'/'
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // '0'-'?'
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722,
    778, // '@'-'O'
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 'P'-'_'
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // '`'-'o'
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // 'p'-'~'
];

/// A glyph's width when the font gives none: Helvetica's for ASCII (and for an accented
/// letter, its base letter's), 556 (a digit's) otherwise.
fn fallback_width(ch: Option<char>) -> f64 {
    let base = ch.map(crate::format::unaccent);
    match base {
        Some(c @ ' '..='~') => f64::from(HELVETICA[c as usize - 32]),
        _ => 556.0,
    }
}

/// The text state that `q`/`Q` save with the CTM (§9.3.1).
#[derive(Clone, Copy)]
struct State {
    ctm: Matrix,
    char_spacing: f64,
    word_spacing: f64,
    /// `Tz / 100`.
    scaling: f64,
    leading: f64,
    rise: f64,
    /// Index in `Walk::fonts`; `None` before any `Tf` (or an unknown font).
    font: Option<usize>,
    size: f64,
}

impl Default for State {
    fn default() -> State {
        State {
            ctm: IDENTITY,
            char_spacing: 0.0,
            word_spacing: 0.0,
            scaling: 1.0,
            leading: 0.0,
            rise: 0.0,
            font: None,
            size: 0.0,
        }
    }
}

/// A shown string, placed on the page (device space).
#[derive(Debug, Clone, PartialEq)]
struct Run {
    x: f64,
    y: f64,
    /// Where the next glyph would start.
    end: f64,
    /// Height of the font on the page.
    size: f64,
    /// Drawn along the x axis (not rotated): only these are laid out in lines.
    horizontal: bool,
    text: String,
}

/// One walk of a page's content.
struct Walk<'a> {
    doc: &'a Document,
    max_stream: usize,
    /// Every font met, pages' and forms', indexed by `State::font`.
    fonts: Vec<Font<'a>>,
    state: State,
    saved: Vec<State>,
    /// `q`s past `MAX_SAVES` not yet closed.
    unsaved: usize,
    /// Saves a `Q` may not restore: the ones made before the form being drawn.
    floor: usize,
    text_matrix: Matrix,
    line_matrix: Matrix,
    ops: usize,
    forms: usize,
    text_len: usize,
    runs: Vec<Run>,
}

impl<'a> Walk<'a> {
    fn new(doc: &'a Document, max_stream: usize) -> Walk<'a> {
        Walk {
            doc,
            max_stream,
            fonts: Vec::new(),
            state: State::default(),
            saved: Vec::new(),
            unsaved: 0,
            floor: 0,
            text_matrix: IDENTITY,
            line_matrix: IDENTITY,
            ops: 0,
            forms: 0,
            text_len: 0,
            runs: Vec::new(),
        }
    }

    /// Load fonts by resource name; their indexes in `self.fonts`.
    fn fonts(
        &mut self,
        dicts: BTreeMap<Vec<u8>, &'a Dictionary>,
    ) -> lopdf::Result<BTreeMap<Vec<u8>, usize>> {
        let mut names = BTreeMap::new();
        for (name, dict) in dicts {
            let font = font(self.doc, dict, self.max_stream)?;
            names.insert(name, self.fonts.len());
            self.fonts.push(font);
        }
        Ok(names)
    }

    /// Walk one content stream (the page's, or a form's at `depth`).
    fn content(
        &mut self,
        data: &[u8],
        names: &BTreeMap<Vec<u8>, usize>,
        resources: &[&'a Dictionary],
        depth: usize,
    ) -> lopdf::Result<()> {
        for op in Content::decode_iter(data) {
            let op = op?;
            self.ops += 1;
            if self.ops > MAX_OPS {
                break;
            }
            self.operation(&op, names, resources, depth)?;
        }
        Ok(())
    }

    fn operation(
        &mut self,
        op: &Operation,
        names: &BTreeMap<Vec<u8>, usize>,
        resources: &[&'a Dictionary],
        depth: usize,
    ) -> lopdf::Result<()> {
        let o = &op.operands;
        let n = |i: usize| o.get(i).and_then(number);
        let s = &mut self.state;
        match op.operator.as_str() {
            "q" if self.saved.len() < MAX_SAVES => self.saved.push(*s),
            "q" => self.unsaved += 1,
            "Q" if self.unsaved > 0 => self.unsaved -= 1,
            "Q" if self.saved.len() > self.floor => *s = self.saved.pop().unwrap_or(*s),
            "cm" => {
                if let Some(m) = matrix(o) {
                    s.ctm = mul(&m, &s.ctm);
                }
            }
            "BT" => {
                self.text_matrix = IDENTITY;
                self.line_matrix = IDENTITY;
            }
            "Tc" => s.char_spacing = n(0).unwrap_or(s.char_spacing),
            "Tw" => s.word_spacing = n(0).unwrap_or(s.word_spacing),
            "Tz" => s.scaling = n(0).map_or(s.scaling, |z| z / 100.0),
            "TL" => s.leading = n(0).unwrap_or(s.leading),
            "Ts" => s.rise = n(0).unwrap_or(s.rise),
            "Tf" => {
                s.font = o
                    .first()
                    .and_then(|f| f.as_name().ok())
                    .and_then(|f| names.get(f).copied());
                s.size = n(1).unwrap_or(s.size);
            }
            "Td" | "TD" => {
                if let (Some(x), Some(y)) = (n(0), n(1)) {
                    if op.operator == "TD" {
                        s.leading = -y;
                    }
                    self.next_line(x, y);
                }
            }
            "Tm" => {
                if let Some(m) = matrix(o) {
                    self.text_matrix = m;
                    self.line_matrix = m;
                }
            }
            "T*" => {
                let leading = s.leading;
                self.next_line(0.0, -leading);
            }
            "Tj" => self.show_operand(o.first()),
            "'" => {
                let leading = s.leading;
                self.next_line(0.0, -leading);
                self.show_operand(o.first());
            }
            "\"" => {
                s.word_spacing = n(0).unwrap_or(s.word_spacing);
                s.char_spacing = n(1).unwrap_or(s.char_spacing);
                self.next_line(0.0, -self.state.leading);
                self.show_operand(o.get(2));
            }
            "TJ" => {
                for item in o
                    .first()
                    .and_then(|a| a.as_array().ok())
                    .into_iter()
                    .flatten()
                {
                    match item {
                        Object::String(bytes, _) => self.show(bytes),
                        other => {
                            if let Some(k) = number(other) {
                                let s = &self.state;
                                self.advance(-k / 1000.0 * s.size * s.scaling);
                            }
                        }
                    }
                }
            }
            "Do" if depth < MAX_FORM_DEPTH => {
                if let Some(name) = o.first().and_then(|n| n.as_name().ok()) {
                    self.form(name, names, resources, depth)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// `Td`: a new line at an offset from the current line's start.
    fn next_line(&mut self, x: f64, y: f64) {
        self.line_matrix = mul(&translate(x, y), &self.line_matrix);
        self.text_matrix = self.line_matrix;
    }

    /// Move along the baseline by `tx` in text space.
    fn advance(&mut self, tx: f64) {
        self.text_matrix = mul(&translate(tx, 0.0), &self.text_matrix);
    }

    fn show_operand(&mut self, o: Option<&Object>) {
        if let Some(Object::String(bytes, _)) = o {
            self.show(bytes);
        }
    }

    /// Show a string: record its run and move past it.
    fn show(&mut self, bytes: &[u8]) {
        let s = self.state;
        let font = s.font.and_then(|f| self.fonts.get(f));
        let text = font
            .and_then(|f| f.encoding.as_ref())
            .and_then(|e| Document::decode_text(e, bytes).ok())
            .unwrap_or_default();
        let width = match font {
            Some(f) => advance(f, bytes, &text, &s),
            // No font: half an em per byte.
            None => bytes.len() as f64 * (0.5 * s.size + s.char_spacing) * s.scaling,
        };
        let at = mul(&self.text_matrix, &s.ctm);
        let (x, y) = apply(&at, 0.0, s.rise);
        self.advance(width);
        let after = mul(&self.text_matrix, &s.ctm);
        let (end, _) = apply(&after, 0.0, s.rise);
        let size = s.size.abs() * at[2].hypot(at[3]);
        let horizontal = at[1].abs() <= 0.1 * at[0].abs() && at[0] > 0.0;
        let keep = !text.trim().is_empty()
            && [x, y, end, size].iter().all(|v| v.is_finite())
            && self.runs.len() < MAX_RUNS
            && self.text_len + text.len() <= MAX_TEXT;
        if keep {
            self.text_len += text.len();
            self.runs.push(Run {
                x,
                y,
                end,
                size,
                horizontal,
                text,
            });
        }
    }

    /// Draw the Form XObject `name` of the current resources: its content walked in a saved
    /// state with its matrix, its own fonts and resources (the caller's when it has none).
    fn form(
        &mut self,
        name: &[u8],
        names: &BTreeMap<Vec<u8>, usize>,
        resources: &[&'a Dictionary],
        depth: usize,
    ) -> lopdf::Result<()> {
        let doc = self.doc;
        let Some(stream) = resources.iter().find_map(|r| xobject(doc, r, name)) else {
            return Ok(());
        };
        let is_form = stream.dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Form");
        if !is_form || self.forms >= MAX_FORMS {
            return Ok(());
        }
        self.forms += 1;
        let data = match stream.decompressed_content_with_limit(self.max_stream) {
            Ok(data) => data,
            Err(e) if is_bomb(&e) => return Err(e),
            Err(_) => return Ok(()),
        };
        let own: Option<&'a Dictionary> = stream
            .dict
            .get_deref(b"Resources", doc)
            .and_then(Object::as_dict)
            .ok();
        let form_fonts = own
            .and_then(|r| r.get_deref(b"Font", doc).and_then(Object::as_dict).ok())
            .map(|d| {
                d.iter()
                    .filter_map(|(k, v)| Some((k.clone(), deref_dict(doc, v)?)))
                    .collect::<BTreeMap<_, _>>()
            });
        let form_names = match form_fonts {
            Some(fonts) => self.fonts(fonts)?,
            None => names.clone(),
        };
        let form_resources: Vec<&'a Dictionary> = match own {
            Some(r) => vec![r],
            None => resources.to_vec(),
        };
        let (saved, text, line) = (self.state, self.text_matrix, self.line_matrix);
        let form_matrix = stream
            .dict
            .get(b"Matrix")
            .ok()
            .and_then(|m| m.as_array().ok());
        if let Some(m) = form_matrix.and_then(|m| matrix(m)) {
            self.state.ctm = mul(&m, &self.state.ctm);
        }
        // The form's `q`s do not outlive it.
        let (saves, unsaved, floor) = (self.saved.len(), self.unsaved, self.floor);
        (self.unsaved, self.floor) = (0, saves);
        let result = self.content(&data, &form_names, &form_resources, depth + 1);
        self.saved.truncate(saves);
        (self.unsaved, self.floor) = (unsaved, floor);
        (self.state, self.text_matrix, self.line_matrix) = (saved, text, line);
        result
    }
}

/// The width of a shown string in text space (§9.4.4): glyph widths, character spacing on
/// every glyph and word spacing on single-byte spaces, horizontally scaled.
fn advance(font: &Font, bytes: &[u8], text: &str, s: &State) -> f64 {
    let mut total = 0.0;
    match font.widths {
        Widths::Simple { .. } => {
            // One character per byte in the common case: the characters give the fallback
            // metrics.
            let chars: Vec<char> = text.chars().collect();
            let aligned = chars.len() == bytes.len();
            for (i, &b) in bytes.iter().enumerate() {
                let ch = if aligned { Some(chars[i]) } else { None };
                let w = font.width(u32::from(b), ch) / 1000.0 * s.size;
                let word = if b == b' ' { s.word_spacing } else { 0.0 };
                total += w + s.char_spacing + word;
            }
        }
        Widths::Cid { .. } => {
            for pair in bytes.chunks(2) {
                let code = pair.iter().fold(0u32, |c, b| c << 8 | u32::from(*b));
                total += font.width(code, None) / 1000.0 * s.size + s.char_spacing;
            }
        }
    }
    total * s.scaling
}

/// A font's encoding and metrics. Only a font stream inflating past `max_stream` fails: a
/// font whose encoding cannot be read keeps its metrics.
fn font<'a>(doc: &'a Document, dict: &'a Dictionary, max_stream: usize) -> lopdf::Result<Font<'a>> {
    let encoding = match dict.get_font_encoding_with_limit(doc, max_stream) {
        Ok(e) => Some(e),
        Err(e) if is_bomb(&e) => return Err(e),
        Err(_) => None,
    };
    let name = |d: &Dictionary, key: &[u8]| {
        d.get_deref(key, doc)
            .and_then(Object::as_name)
            .ok()
            .map(<[u8]>::to_vec)
    };
    let fixed = name(dict, b"BaseFont").is_some_and(|n| n.windows(7).any(|w| w == b"Courier"));
    let subtype = name(dict, b"Subtype");
    let widths = if subtype.as_deref() == Some(b"Type0") {
        let descendant = dict
            .get_deref(b"DescendantFonts", doc)
            .and_then(Object::as_array)
            .ok()
            .and_then(|a| a.first())
            .and_then(|d| deref_dict(doc, d));
        cid_widths(doc, descendant)
    } else {
        Widths::Simple {
            first: dict
                .get_deref(b"FirstChar", doc)
                .and_then(Object::as_i64)
                .unwrap_or(0),
            widths: dict
                .get_deref(b"Widths", doc)
                .and_then(Object::as_array)
                .map(|a| {
                    a.iter()
                        .take(256)
                        .map(|w| deref_number(doc, w).unwrap_or(0.0))
                        .collect()
                })
                .unwrap_or_default(),
        }
    };
    // A Type3 font's glyph space is its own: usually a thousandth of text space.
    let scale = if subtype.as_deref() == Some(b"Type3") {
        dict.get_deref(b"FontMatrix", doc)
            .and_then(Object::as_array)
            .ok()
            .and_then(|m| m.first())
            .and_then(number)
            .map_or(1.0, |a| a * 1000.0)
    } else {
        1.0
    };
    Ok(Font {
        encoding,
        widths,
        fixed,
        scale,
    })
}

/// A Type0 font's widths from its descendant: `/DW` (1000 when absent) and `/W`, whose
/// entries are `c [w1 w2 ...]` (widths from code `c` on) or `c_first c_last w`.
fn cid_widths(doc: &Document, descendant: Option<&Dictionary>) -> Widths {
    let default = descendant
        .and_then(|d| d.get_deref(b"DW", doc).ok())
        .and_then(number)
        .unwrap_or(1000.0);
    let mut ranges = BTreeMap::new();
    let w = descendant
        .and_then(|d| d.get_deref(b"W", doc).and_then(Object::as_array).ok())
        .map_or(&[][..], Vec::as_slice);
    let code = |o: &Object| {
        deref_number(doc, o)
            .filter(|c| (0.0..=f64::from(u32::MAX)).contains(c))
            .map(|c| c as u32)
    };
    let mut i = 0;
    while i < w.len() && ranges.len() < MAX_CID_WIDTHS {
        let Some(first) = code(&w[i]) else { break };
        match w.get(i + 1).map(|o| doc.dereference(o).map(|(_, o)| o)) {
            Some(Ok(Object::Array(list))) => {
                for (k, wd) in list.iter().take(MAX_CID_WIDTHS).enumerate() {
                    let c = first.saturating_add(k as u32);
                    ranges.insert(c, (c, deref_number(doc, wd).unwrap_or(default)));
                }
                i += 2;
            }
            Some(Ok(_)) => {
                let (Some(last), Some(wd)) = (
                    w.get(i + 1).and_then(code),
                    w.get(i + 2).and_then(|o| deref_number(doc, o)),
                ) else {
                    break;
                };
                ranges.insert(first, (last, wd));
                i += 3;
            }
            _ => break,
        }
    }
    Widths::Cid { default, ranges }
}

/// The stream of XObject `name` in a resource dictionary.
fn xobject<'a>(doc: &'a Document, resources: &'a Dictionary, name: &[u8]) -> Option<&'a Stream> {
    resources
        .get_deref(b"XObject", doc)
        .and_then(Object::as_dict)
        .ok()?
        .get_deref(name, doc)
        .and_then(Object::as_stream)
        .ok()
}

fn deref_dict<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Dictionary> {
    doc.dereference(o).ok()?.1.as_dict().ok()
}

fn deref_number(doc: &Document, o: &Object) -> Option<f64> {
    number(doc.dereference(o).ok()?.1)
}

/// A finite number operand.
fn number(o: &Object) -> Option<f64> {
    o.as_float().ok().map(f64::from).filter(|v| v.is_finite())
}

/// Six numbers: `cm`'s and `Tm`'s operands, a form's `/Matrix`.
fn matrix(o: &[Object]) -> Option<Matrix> {
    if o.len() != 6 {
        return None;
    }
    let mut m = IDENTITY;
    for (v, o) in m.iter_mut().zip(o) {
        *v = number(o)?;
    }
    Some(m)
}

/// The runs as lines, top to bottom, each left to right; rotated runs after them, in the
/// order they were drawn.
fn lines(runs: Vec<Run>) -> String {
    let (mut flat, rotated): (Vec<Run>, Vec<Run>) = runs.into_iter().partition(|r| r.horizontal);
    flat.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x.total_cmp(&b.x)));
    let mut out = String::new();
    let mut line: Vec<Run> = Vec::new();
    for run in flat {
        let same = line.first().is_some_and(|first| {
            let tolerance = 0.4 * first.size.min(run.size).max(1.0);
            first.y - run.y <= tolerance
        });
        if !same && !line.is_empty() {
            push_line(&mut out, std::mem::take(&mut line));
        }
        line.push(run);
    }
    push_line(&mut out, line);
    for run in rotated {
        push_line(&mut out, vec![run]);
    }
    out
}

/// One line's runs, joined by the gaps between them: none where they touch, one space for a
/// word's gap, more for a column's (one per half em, as a monospaced layout would).
fn push_line(out: &mut String, mut line: Vec<Run>) {
    if line.is_empty() {
        return;
    }
    line.sort_by(|a, b| a.x.total_cmp(&b.x));
    let mut text = String::new();
    let mut prev: Option<&Run> = None;
    for run in &line {
        if let Some(p) = prev {
            let em = p.size.max(run.size).max(1.0);
            // Text drawn twice, a hair apart (a fake bold): once.
            if run.text == p.text && (run.x - p.x).abs() < 0.2 * em {
                continue;
            }
            let gap = run.x - p.end;
            let spaces = if gap < 0.15 * em {
                0
            } else if gap < em {
                1
            } else {
                ((gap / (0.5 * em)).round() as usize).clamp(2, 80)
            };
            if spaces > 0 && !text.ends_with(' ') && !run.text.starts_with(' ') {
                text.extend(std::iter::repeat_n(' ', spaces));
            }
        }
        text.push_str(&run.text);
        prev = Some(run);
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(text.trim_end());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-page PDF: Helvetica as `/F1` (with `font_extra` in its dictionary) and this
    /// content stream.
    fn pdf(content: &str, font_extra: &str) -> Vec<u8> {
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
             /Resources << /Font << /F1 4 0 R >> /XObject << /X1 6 0 R >> >> /Contents 5 0 R >>"
                .to_owned(),
            format!(
                "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica \
                 /Encoding /WinAnsiEncoding {font_extra} >>"
            ),
            format!(
                "<< /Length {} >>\nstream\n{content}\nendstream",
                content.len() + 1
            ),
            format!(
                "<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] \
                 /Matrix [1 0 0 1 0 -100] /Length {} >>\nstream\n{FORM}\nendstream",
                FORM.len()
            ),
        ];
        let mut out = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for (i, body) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
        }
        let xref = out.len();
        out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", 7).as_bytes());
        for o in offsets {
            out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!("trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
        );
        out
    }

    const FORM: &str = "BT /F1 10 Tf 40 700 Td (Form) Tj ET";

    fn text_of(content: &str, font_extra: &str) -> String {
        let doc = Document::load_mem(&pdf(content, font_extra)).unwrap();
        let id = doc.get_pages()[&1];
        page_text(&doc, 1, id, 1 << 20).unwrap()
    }

    fn lopdf_text_of(content: &str) -> String {
        let doc = Document::load_mem(&pdf(content, "")).unwrap();
        doc.extract_text(&[1]).unwrap()
    }

    /// The value drawn before its label, at a larger x on the same baseline: content order
    /// puts it first (lopdf's text), layout order after its label.
    #[test]
    fn pdf_layout_value_drawn_before_its_label() {
        let content = "BT /F1 10 Tf 300 700 Td (12.34) Tj ET\n\
                       BT /F1 10 Tf 40 720 Td (ACME Ltd) Tj ET\n\
                       BT /F1 10 Tf 40 700 Td (Total due:) Tj ET";
        let lopdf = lopdf_text_of(content);
        assert!(lopdf.find("12.34") < lopdf.find("Total"), "{lopdf:?}");
        let text = text_of(content, "");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text:?}");
        assert_eq!(lines[0], "ACME Ltd");
        // A column's gap: several spaces, the value after its label.
        assert!(lines[1].starts_with("Total due:   "), "{text:?}");
        assert!(lines[1].ends_with(" 12.34"), "{text:?}");
    }

    /// Positions follow Tm, TD/T*/TL, TJ's kerning, Tc/Tw/Tz, Ts and the CTM of q/cm/Q.
    #[test]
    fn pdf_layout_follows_the_text_state() {
        // Two lines by TD then T*; a TJ whose big kerning opens a word gap; a run placed by
        // Tm after a cm that q/Q undoes.
        let content = "BT /F1 10 Tf 40 700 TD (one) Tj 0 -20 TD (two) Tj T* (three) Tj ET\n\
                       q 1 0 0 1 0 -500 cm BT /F1 10 Tf 1 0 0 1 40 600 Tm \
                       [(Hel) -20 (lo) -3000 (World)] TJ ET Q\n\
                       BT /F1 10 Tf 1 0 0 1 40 550 Tm 3 Ts (up) Tj ET";
        let text = text_of(content, "");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "one");
        assert_eq!(lines[1], "two");
        assert_eq!(lines[2], "three");
        assert_eq!(lines[3], "up");
        // 500 below by the CTM: the last line; "Hel" and "lo" touch, a kerning of 3 em
        // keeps "World" apart.
        assert!(lines[4].starts_with("Hello "), "{text:?}");
        assert!(lines[4].ends_with(" World"), "{text:?}");
    }

    /// Widths come from the font's /Widths when it has them: wide glyphs push the next run's
    /// gap closed (no space), narrow ones open it.
    #[test]
    fn pdf_layout_uses_the_font_widths() {
        // "AB" then "CD" drawn at x+12: with widths 600 at size 10, AB ends at x+12 (touching);
        // with widths 300 it ends at x+6, a word gap.
        let content = "BT /F1 10 Tf 40 700 Td (AB) Tj 12 0 Td (CD) Tj ET";
        assert_eq!(
            text_of(
                content,
                "/FirstChar 65 /LastChar 68 /Widths [600 600 600 600]"
            ),
            "ABCD"
        );
        assert_eq!(
            text_of(
                content,
                "/FirstChar 65 /LastChar 68 /Widths [300 300 300 300]"
            ),
            "AB CD"
        );
    }

    /// A Form XObject's text is drawn where its matrix and the CTM put it.
    #[test]
    fn pdf_layout_reads_form_xobjects() {
        let text = text_of(
            "BT /F1 10 Tf 40 650 Td (Middle) Tj ET\nq /X1 Do Q\nBT /F1 10 Tf 40 500 Td (Low) Tj ET",
            "",
        );
        // The form draws at 700 - 100 = 600: between the two runs.
        assert_eq!(text, "Middle\nForm\nLow");
    }

    /// Hostile numbers and unbalanced state neither panic nor loop.
    #[test]
    fn pdf_layout_survives_hostile_operands() {
        let huge = format!("1{}.0", "0".repeat(40));
        let content = format!(
            "Q Q BT /F9 {huge} Tf {huge} {huge} Td (a) Tj ET \
             BT /F1 10 Tf 0 0 0 0 0 0 Tm (b) Tj [(c) {huge} (d)] TJ ET \
             1 2 cm q q q BT /F1 -10 Tf 40 700 Td (e) ' 1 2 (f) \" ET"
        );
        let text = text_of(&content, "/FirstChar 300 /Widths [(x) -5]");
        assert!(text.contains('e') && text.contains('f'), "{text:?}");
    }

    /// Random sequences of operators and operands (a cheap fuzz run on every test run; the
    /// `pdf` fuzz target goes further): no panic, whatever the order.
    #[test]
    fn pdf_layout_random_operations_never_panic() {
        let tokens = [
            "q",
            "Q",
            "cm",
            "BT",
            "ET",
            "Tf",
            "/F1",
            "/X1",
            "Do",
            "Td",
            "TD",
            "Tm",
            "T*",
            "Tj",
            "TJ",
            "'",
            "\"",
            "Tc",
            "Tw",
            "Tz",
            "TL",
            "Ts",
            "(ab c)",
            "[(x) -300 (y) 5]",
            "0",
            "-1",
            "99999999999999999999",
            "0.0001",
            "10",
            "700",
            "[",
            "]",
            "<00ff>",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as usize
        };
        for _ in 0..500 {
            let content: Vec<&str> = (0..next() % 60)
                .map(|_| tokens[next() % tokens.len()])
                .collect();
            let pdf = pdf(&content.join(" "), "/FirstChar 32 /Widths [500 600]");
            let doc = Document::load_mem(&pdf).unwrap();
            let _ = page_text(&doc, 1, doc.get_pages()[&1], 1 << 20);
        }
    }

    /// Nothing the layout can read (no text shown): lopdf's text is not invented either.
    #[test]
    fn pdf_layout_blank_page() {
        assert_eq!(text_of("0 0 m 10 10 l S", ""), "");
    }
}
