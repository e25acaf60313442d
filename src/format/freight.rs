//! The reader Brazil's freight documents share: CT-e (and CT-e OS) and MDF-e are laid out
//! alike (an `inf*` element with the key in its `Id`, a protocol beside it, events in
//! `procEvento*` files), so [`crate::format::cte`] and [`crate::format::mdfe`] each describe
//! their layout ([`Layout`], [`EventLayout`]) and this module reads it.
//!
//! One streaming pass of the XML scanner with a stack of element local names (namespaces and
//! prefixes do not matter, so layouts with and without a namespace read alike). A leaf is
//! placed by its grandparent's, parent's and own names: enough to tell `rem/CNPJ` from
//! `emit/CNPJ` and `ide/toma3/toma` from CT-e OS's `toma/CNPJ`, while parts nothing is read
//! from (signatures, addresses, modal details) cost a lookup per element.

use super::leaves::{self, Leaves};
use super::nfe::evento::fill_missing;
use super::nfe::nota::protocol_target;
use super::nfe::{KeyRule, check_key};
use super::xml::{self, Tag, Text};
use super::{Doc, Format, ParseOptions, Parsed, Row, Sniff, Source, Table, Value, typed};
use crate::error::{ErrorType, FileError};

/// `mark_cancelled!("cte")`: the statement that marks a freight document of that table
/// `cancelada` when a homologated cancellation event (110111) for its key is stored in its
/// events' table (`cte_evento`). Run after a document is written and after an event is
/// written, so the order they arrive in (same batch or not) does not matter.
macro_rules! mark_cancelled {
    ($table:literal) => {
        concat!(
            "UPDATE ",
            $table,
            " SET situacao = 'cancelada'
    WHERE chave {keys} AND situacao IS DISTINCT FROM 'cancelada' AND EXISTS (
        SELECT 1 FROM ",
            $table,
            "_evento e WHERE e.chave = ",
            $table,
            ".chave AND e.tp_evento = '110111'
            AND e.c_stat IN (135, 136))"
        )
    };
}
pub(super) use mark_cancelled;

/// A freight document kind (`cte`, `mdfe`): its tables, the root elements of its documents
/// and of its events, and how each is laid out.
pub(super) struct Freight {
    pub kind: &'static str,
    pub tables: &'static [&'static Table],
    pub doc_roots: &'static [&'static [u8]],
    pub event_roots: &'static [&'static [u8]],
    pub docs: Layout,
    pub events: EventLayout,
}

impl Freight {
    /// Whether a file's root is one of this kind's events (`Some(true)`) or documents
    /// (`Some(false)`); `None`: neither.
    fn is_event(&self, sniff: &Sniff) -> Option<bool> {
        let root = sniff.xml_elements.first()?.as_bytes();
        if self.event_roots.contains(&root) {
            Some(true)
        } else {
            self.doc_roots.contains(&root).then_some(false)
        }
    }
}

impl Format for Freight {
    fn kind(&self) -> &'static str {
        self.kind
    }

    fn tables(&self) -> &'static [&'static Table] {
        self.tables
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        self.is_event(sniff).is_some()
    }

    fn parse(&self, sniff: &Sniff, src: &Source, opts: &ParseOptions) -> Parsed {
        let utf8 = xml::to_utf8(sniff.bytes)?;
        if self.is_event(sniff) == Some(true) {
            read_events(&utf8, src, opts, &self.events)
        } else {
            read_docs(&utf8, src, opts, &self.docs)
        }
    }
}

/// Where a leaf's text goes.
#[derive(Debug, Clone, Copy)]
pub(super) enum Target {
    /// A column of the document's main row.
    Head(usize),
    /// A column of the last row of a child table opened by an element ([`Layout::opens`]).
    Child(&'static Table, usize),
    /// A new row of a child table holding the text in a column, and a fixed text in another
    /// when given (a key the document lists, and what kind of document it names).
    List(&'static Table, usize, Option<(usize, &'static str)>),
}

/// Where a leaf inside a document goes, from its grandparent's, parent's and own names.
pub(super) type LeafPlace = fn(&[u8], &[u8], &[u8]) -> Option<Target>;

/// The column of a document's main table that a leaf every freight layout has fills: the
/// identification's (`ide`) model, series, date, environment, modal and UFs of start and end,
/// and the issuer's (`emit`, `enderEmit/UF`). A layout's [`Layout::leaf`] places the rest.
pub(super) fn common_leaf(parent: &[u8], name: &[u8]) -> Option<&'static str> {
    Some(match (parent, name) {
        (b"ide", n) => match n {
            b"mod" => "mod",
            b"serie" => "serie",
            b"dhEmi" => "dh_emi",
            b"tpAmb" => "tp_amb",
            b"modal" => "modal",
            b"UFIni" => "uf_ini",
            b"UFFim" => "uf_fim",
            _ => return None,
        },
        (b"emit", n) => match n {
            b"CNPJ" => "emit_cnpj",
            b"CPF" => "emit_cpf",
            b"IE" => "emit_ie",
            b"xNome" => "emit_nome",
            _ => return None,
        },
        (b"enderEmit", b"UF") => "emit_uf",
        _ => return None,
    })
}

/// How a document kind is laid out. Its main table is a `document_table!` (`chave`, `versao`,
/// the protocol's columns...) with the columns [`common_leaf`] fills; its child tables start
/// with `chave` and `n` (the row's number in its document, from 1).
pub(super) struct Layout {
    pub main: &'static Table,
    /// The element that holds one document (`infCte`), and the prefix of its `Id` (`CTe`).
    pub doc: &'static [u8],
    pub id_prefix: &'static str,
    /// The element of a protocol (`infProt`) naming its document's key (`chCTe`).
    pub prot_key: &'static [u8],
    pub key: &'static KeyRule,
    pub missing_key: ErrorType,
    pub invalid_field: ErrorType,
    /// The child table a row of which an element opens, from its parent's name and its own.
    pub opens: fn(&[u8], &[u8]) -> Option<&'static Table>,
    /// Where a leaf inside a document goes.
    pub leaf: LeafPlace,
    /// The document's status from its protocol's cStat.
    pub situacao: fn(i64) -> &'static str,
    /// Last touches to a document's main row once read (columns worked out from others).
    pub complete: fn(&mut [Value]),
}

/// One document being read.
struct Builder {
    header: Vec<Value>,
    children: Vec<Row>,
    /// Rows so far of each child table.
    counts: Vec<(&'static Table, i64)>,
    /// The `Id` without its prefix; `None` when absent.
    id: Option<String>,
    /// The first value that did not fit its column. Reported after the key is checked, so a
    /// document with a bad key fails for its key.
    field_error: Option<FileError>,
}

impl Builder {
    fn set(&mut self, layout: &Layout, target: Target, text: &str) {
        let (table, c, row) = match target {
            Target::Head(c) => (layout.main, c, Some(&mut self.header)),
            Target::Child(table, c) => {
                let row = self
                    .children
                    .iter_mut()
                    .rev()
                    .find(|r| std::ptr::eq(r.table, table));
                (table, c, row.map(|r| &mut r.values))
            }
            Target::List(table, c, fixed) => {
                let mut values = self.child_row(table);
                if let Some((f, v)) = fixed {
                    values[f] = Value::Text(v.into());
                }
                self.children.push(Row { table, values });
                (table, c, self.children.last_mut().map(|r| &mut r.values))
            }
        };
        // A child's leaf outside its group (malformed, but harmless) has no row.
        let Some(row) = row else { return };
        match typed(table, c, text, layout.invalid_field) {
            Ok(v) => row[c] = v,
            Err(e) => drop(self.field_error.get_or_insert(e)),
        }
    }

    /// A new row of a child table, numbered after the ones before it. Counted as they come,
    /// not by looking back: an MDF-e may list 20,000 keys.
    fn child_row(&mut self, table: &'static Table) -> Vec<Value> {
        let n = match self
            .counts
            .iter_mut()
            .find(|(t, _)| std::ptr::eq(*t, table))
        {
            Some((_, n)) => n,
            None => {
                self.counts.push((table, 0));
                &mut self.counts.last_mut().expect("pushed").1
            }
        };
        *n += 1;
        let mut values = vec![Value::Null; table.columns.len()];
        values[1] = Value::Int(*n);
        values
    }
}

/// A protocol (`infProt`): its document's key, number, status and time.
#[derive(Default)]
struct Prot {
    key: Option<String>,
    n_prot: Option<String>,
    c_stat: Option<String>,
    dh_recbto: Option<String>,
}

/// Read the documents of a file laid out as `layout` (already UTF-8).
fn read_docs(xml: &str, src: &Source, opts: &ParseOptions, layout: &Layout) -> Parsed {
    let mut reader = DocReader {
        layout,
        docs: Vec::new(),
        in_doc: None,
        prot: None,
    };
    leaves::walk(xml, src, &mut reader)?;
    let docs = reader.docs;
    if docs.is_empty() {
        return Err(FileError::new(
            layout.missing_key,
            format!(
                "no {} element",
                String::from_utf8_lossy(layout.doc).into_owned()
            ),
        ));
    }
    docs.into_iter()
        .map(|b| finish(b, layout, src, opts))
        .collect()
}

/// The documents of a file being read.
struct DocReader<'l> {
    layout: &'l Layout,
    docs: Vec<Builder>,
    /// The depth of the open document element, and of the open protocol.
    in_doc: Option<usize>,
    prot: Option<(Prot, usize)>,
}

impl Leaves for DocReader<'_> {
    fn open(&mut self, stack: &[&[u8]], e: &Tag) -> Result<(), FileError> {
        let layout = self.layout;
        let name = e.local();
        let parent = stack.last().copied().unwrap_or_default();
        if self.in_doc.is_none() && self.prot.is_none() {
            if name == layout.doc {
                let mut header = vec![Value::Null; layout.main.columns.len()];
                if let Some(v) = e.attr(b"versao")? {
                    header[layout.main.col("versao")] = Value::Text(v.into());
                }
                let id = e.attr(b"Id")?.map(|id| {
                    id.strip_prefix(layout.id_prefix)
                        .map(str::to_owned)
                        .unwrap_or(id)
                });
                self.docs.push(Builder {
                    header,
                    children: Vec::new(),
                    counts: Vec::new(),
                    id,
                    field_error: None,
                });
                self.in_doc = Some(stack.len());
            } else if name == b"infProt" {
                self.prot = Some((Prot::default(), stack.len()));
            }
        } else if self.in_doc.is_some()
            && let Some(table) = (layout.opens)(parent, name)
            && let Some(doc) = self.docs.last_mut()
        {
            let values = doc.child_row(table);
            doc.children.push(Row { table, values });
        }
        Ok(())
    }

    fn close(&mut self, stack: &[&[u8]], text: &Text) -> Result<(), FileError> {
        let layout = self.layout;
        let (&name, stack) = stack.split_last().expect("the scanner checks end tags");
        let depth = stack.len();
        if self.in_doc == Some(depth) {
            self.in_doc = None;
        } else if let Some((p, at)) = &mut self.prot {
            if *at == depth {
                let (p, _) = self.prot.take().expect("open");
                attach(&mut self.docs, layout, p)?;
            } else if !text.is_empty() {
                let v = Some(text.get().trim().to_owned());
                match name {
                    n if n == layout.prot_key => p.key = v,
                    b"nProt" => p.n_prot = v,
                    b"cStat" => p.c_stat = v,
                    b"dhRecbto" => p.dh_recbto = v,
                    _ => {}
                }
            }
        } else if self.in_doc.is_some() && !text.is_empty() {
            let parent = stack.last().copied().unwrap_or_default();
            let grand = stack.len().checked_sub(2).map_or(&b""[..], |i| stack[i]);
            let target = (layout.leaf)(grand, parent, name)
                .or_else(|| common_leaf(parent, name).map(|c| Target::Head(layout.main.col(c))));
            if let Some(target) = target
                && let Some(doc) = self.docs.last_mut()
            {
                doc.set(layout, target, text.get().trim());
            }
        }
        Ok(())
    }
}

/// Attach a protocol to the document it names, or to the only/last one when it names none.
fn attach(docs: &mut [Builder], layout: &Layout, p: Prot) -> Result<(), FileError> {
    let ids: Vec<Option<&str>> = docs.iter().map(|d| d.id.as_deref()).collect();
    let Some(i) = protocol_target(&ids, p.key.as_deref()) else {
        return Ok(());
    };
    let doc = &mut docs[i];
    if doc.id.is_none() {
        doc.id = p.key;
    }
    let t = layout.main;
    let text = |v: Option<String>| v.map_or(Value::Null, |s| Value::Text(s.into()));
    let c_stat = match p.c_stat {
        Some(s) => typed(t, t.col("c_stat"), &s, layout.invalid_field)?,
        None => Value::Null,
    };
    let h = &mut doc.header;
    h[t.col("situacao")] = match c_stat {
        Value::Int(c) => Value::Text((layout.situacao)(c).into()),
        _ => Value::Null,
    };
    h[t.col("c_stat")] = c_stat;
    h[t.col("n_prot")] = text(p.n_prot);
    h[t.col("dh_recbto")] = text(p.dh_recbto);
    Ok(())
}

fn finish(
    b: Builder,
    layout: &Layout,
    src: &Source,
    opts: &ParseOptions,
) -> Result<Doc, FileError> {
    let Builder {
        mut header,
        children,
        id,
        field_error,
        ..
    } = b;
    let t = layout.main;
    let key = id.filter(|k| !k.is_empty()).ok_or_else(|| {
        FileError::new(
            layout.missing_key,
            format!(
                "{} without an access key ({}/@Id)",
                layout.key.document,
                String::from_utf8_lossy(layout.doc)
            ),
        )
    })?;
    let (valid, warning) = check_key(&key, layout.key, opts)?;
    if let Some(e) = field_error {
        return Err(e);
    }
    header[t.col("chave")] = Value::Text(key.as_str().into());
    header[t.col("chave_valida")] = Value::Int(valid as i64);
    header[t.col("path")] = Value::Text(src.origin.into());
    header[t.col("sha256")] = Value::Text(src.sha256.into());
    (layout.complete)(&mut header);
    let mut rows = Vec::with_capacity(1 + children.len());
    rows.push(Row {
        table: t,
        values: header,
    });
    for mut child in children {
        child.values[0] = Value::Text(key.as_str().into());
        rows.push(child);
    }
    Ok(Doc { key, rows, warning })
}

/// How a kind's events are laid out. The event table has the columns `chave`, `tp_evento`,
/// `n_seq_evento`, `chave_valida`, `desc_evento`, `dh_evento`, `c_orgao`, `tp_amb`,
/// `autor_cnpj`, `autor_cpf`, `x_just`, `c_stat`, `x_motivo`, `n_prot`, `dh_reg_evento`,
/// `path`, `sha256`, and may have more, filled from `detEvento` ([`EventLayout::detail`]).
pub(super) struct EventLayout {
    pub table: &'static Table,
    /// The request's element (`eventoCTe`) and SEFAZ's answer's (`retEventoCTe`), each holding
    /// an `infEvento`.
    pub request: &'static [u8],
    pub answer: &'static [u8],
    /// The leaf holding the document's key (`chCTe`).
    pub key_leaf: &'static [u8],
    /// The digits of the sequence number in SEFAZ's event ID (`ID` + type + key + sequence):
    /// 3 for CT-e, 2 for MDF-e.
    pub seq_digits: usize,
    pub key: &'static KeyRule,
    pub missing_key: ErrorType,
    pub invalid_field: ErrorType,
    /// The column a leaf anywhere under the request's `detEvento` fills, by its name.
    pub detail: fn(&[u8]) -> Option<&'static str>,
}

impl EventLayout {
    /// The column a leaf directly under `infEvento` fills.
    fn column(&self, answer: bool, name: &[u8]) -> Option<&'static str> {
        Some(match name {
            n if n == self.key_leaf => "chave",
            b"tpEvento" => "tp_evento",
            b"nSeqEvento" => "n_seq_evento",
            b"dhEvento" => "dh_evento",
            b"cOrgao" => "c_orgao",
            b"tpAmb" => "tp_amb",
            b"CNPJ" if !answer => "autor_cnpj",
            b"CPF" if !answer => "autor_cpf",
            b"cStat" if answer => "c_stat",
            b"xMotivo" if answer => "x_motivo",
            b"nProt" if answer => "n_prot",
            b"dhRegEvento" if answer => "dh_reg_evento",
            b"xEvento" if answer => "desc_evento",
            _ => return None,
        })
    }
}

/// One event record: a request's or an answer's `infEvento`.
struct Record {
    answer: bool,
    values: Vec<Value>,
}

/// Read the events of a file laid out as `layout` (already UTF-8): a `procEvento*` (request
/// and answer), a request alone or an answer alone, each one row. Only an answer carries
/// SEFAZ's status: a request is not a fact.
fn read_events(xml: &str, src: &Source, opts: &ParseOptions, layout: &EventLayout) -> Parsed {
    let mut reader = EventReader {
        layout,
        records: Vec::new(),
        open: None,
        field_error: None,
    };
    leaves::walk(xml, src, &mut reader)?;
    let records = join_answers(layout.table, reader.records);
    if records.is_empty() {
        return Err(FileError::new(
            layout.missing_key,
            format!(
                "no event (infEvento in {} or {})",
                String::from_utf8_lossy(layout.request),
                String::from_utf8_lossy(layout.answer)
            ),
        ));
    }
    leaves::finish_all(records, reader.field_error, |r| {
        finish_event(r, layout, src, opts)
    })
}

/// The event records of a file being read.
struct EventReader<'l> {
    layout: &'l EventLayout,
    records: Vec<Record>,
    /// The open record, its depth, and the depth of its `detEvento` once open.
    open: Option<(Record, usize, Option<usize>)>,
    field_error: Option<FileError>,
}

impl Leaves for EventReader<'_> {
    fn open(&mut self, stack: &[&[u8]], e: &Tag) -> Result<(), FileError> {
        let layout = self.layout;
        let name = e.local();
        let parent = stack.last().copied().unwrap_or_default();
        match &mut self.open {
            None if name == b"infEvento"
                && (parent == layout.request || parent == layout.answer) =>
            {
                let record = Record {
                    answer: parent == layout.answer,
                    values: vec![Value::Null; layout.table.columns.len()],
                };
                self.open = Some((record, stack.len(), None));
            }
            Some((_, at, det @ None)) if name == b"detEvento" && stack.len() == *at + 1 => {
                *det = Some(stack.len());
            }
            _ => {}
        }
        Ok(())
    }

    fn close(&mut self, stack: &[&[u8]], text: &Text) -> Result<(), FileError> {
        let (layout, table) = (self.layout, self.layout.table);
        let (&name, stack) = stack.split_last().expect("the scanner checks end tags");
        let depth = stack.len();
        match &mut self.open {
            Some((_, at, _)) if *at == depth => {
                self.records.push(self.open.take().expect("open").0);
            }
            Some((record, at, det)) if !text.is_empty() => {
                let column = match *det {
                    Some(d) if depth > d && !record.answer => (layout.detail)(name),
                    _ if depth == *at + 1 => layout.column(record.answer, name),
                    _ => None,
                };
                if let Some(column) = column {
                    let c = table.col(column);
                    match typed(table, c, text.get().trim(), layout.invalid_field) {
                        Ok(v) => record.values[c] = v,
                        Err(e) => drop(self.field_error.get_or_insert(e)),
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Fill each request with the answer that names it (same key, type and sequence); an answer
/// that names no request in the file stands alone. The answer's status is what counts.
fn join_answers(table: &Table, records: Vec<Record>) -> Vec<Record> {
    let ids = ["chave", "tp_evento", "n_seq_evento"].map(|c| table.col(c));
    let (answers, mut out): (Vec<Record>, Vec<Record>) =
        records.into_iter().partition(|r| r.answer);
    for answer in answers {
        let request = out
            .iter_mut()
            .find(|r| !r.answer && ids.iter().all(|&c| r.values[c] == answer.values[c]));
        match request {
            Some(request) => fill_missing(&mut request.values, answer.values),
            None => out.push(answer),
        }
    }
    out
}

fn finish_event(
    mut r: Record,
    layout: &EventLayout,
    src: &Source,
    opts: &ParseOptions,
) -> Result<Doc, FileError> {
    let t = layout.table;
    let missing = |what: &str| {
        FileError::new(
            layout.missing_key,
            format!("{} event without {what}", layout.key.document),
        )
    };
    let chave = match &r.values[t.col("chave")] {
        Value::Text(s) => s.to_string(),
        _ => return Err(missing(&String::from_utf8_lossy(layout.key_leaf))),
    };
    let (valid, warning) = check_key(&chave, layout.key, opts)?;
    let (Value::Text(tp), Value::Int(seq)) = (
        &r.values[t.col("tp_evento")],
        &r.values[t.col("n_seq_evento")],
    ) else {
        return Err(missing("tpEvento or nSeqEvento"));
    };
    // SEFAZ's event identifier.
    let key = format!("ID{tp}{chave}{seq:0w$}", w = layout.seq_digits);
    r.values[t.col("chave_valida")] = Value::Int(valid as i64);
    Ok(Doc::single(key, t, r.values, src, warning))
}

#[cfg(test)]
mod tests {
    use super::super::{Outcome, read};
    use super::*;
    use std::path::Path;

    fn fixture(rel: &str) -> Vec<u8> {
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures")
                .join(rel),
        )
        .unwrap()
    }

    /// The kind and documents of some bytes, or their error.
    fn parse(
        bytes: &[u8],
        opts: &ParseOptions,
    ) -> (Option<&'static str>, Result<Vec<Doc>, FileError>) {
        let src = Source {
            origin: "test.xml",
            sha256: "0",
            deadline: std::time::Instant::now() + std::time::Duration::from_secs(60),
        };
        let (kind, outcome) = read(bytes, &src, opts);
        let docs = match outcome {
            Outcome::Docs(docs) => Ok(docs),
            Outcome::Failed(e) => Err(e),
            other => panic!("{other:?}"),
        };
        (kind, docs)
    }

    fn value<'a>(doc: &'a Doc, column: &str) -> &'a Value {
        &doc.rows[0].values[doc.rows[0].table.col(column)]
    }

    #[test]
    fn every_broken_twin_is_its_error_type() {
        let opts = ParseOptions::default();
        for dir in ["cte", "mdfe"] {
            let root = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures")
                .join(dir);
            let mut seen = 0;
            for entry in std::fs::read_dir(root).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let Some(what) = name.strip_prefix("broken-") else {
                    continue;
                };
                let expected = match what {
                    _ if what.contains("truncado") => ErrorType::XmlTruncated,
                    _ if what.contains("sem-chave") && dir == "cte" => ErrorType::CteMissingKey,
                    _ if what.contains("sem-chave") => ErrorType::MdfeMissingKey,
                    _ if what.contains("digito") && dir == "cte" => ErrorType::CteBadCheckDigit,
                    _ if what.contains("digito") => ErrorType::MdfeBadCheckDigit,
                    _ if what.contains("modelo") && dir == "cte" => ErrorType::CteInvalidKey,
                    _ if what.contains("modelo") => ErrorType::MdfeInvalidKey,
                    _ if what.contains("valor") => ErrorType::CteInvalidField,
                    _ => panic!("{name}: which error?"),
                };
                let (kind, result) = parse(&std::fs::read(&path).unwrap(), &opts);
                assert_eq!(kind, Some(dir), "{name}");
                assert_eq!(
                    result.map(|_| ()).unwrap_err().error_type,
                    expected,
                    "{name}"
                );
                seen += 1;
            }
            assert!(seen >= 5, "{dir}: {seen}");
        }
    }

    #[test]
    fn allow_invalid_keys_waives_the_check_digit_not_the_model() {
        let opts = ParseOptions {
            allow_invalid_keys: true,
            ..ParseOptions::default()
        };
        let (_, docs) = parse(&fixture("cte/broken-cte-digito-verificador.xml"), &opts);
        let docs = docs.unwrap();
        assert_eq!(value(&docs[0], "chave_valida"), &Value::Int(0));
        assert!(
            docs[0]
                .warning
                .as_deref()
                .unwrap()
                .contains("--allow-invalid-keys")
        );
        let (_, result) = parse(&fixture("cte/broken-cte-modelo-errado.xml"), &opts);
        let e = result.map(|_| ()).unwrap_err();
        assert_eq!(e.error_type, ErrorType::CteInvalidKey);
        assert!(e.message.contains("model 55"), "{}", e.message);
        let (_, result) = parse(&fixture("mdfe/broken-mdfe-modelo-errado.xml"), &opts);
        let e = result.map(|_| ()).unwrap_err();
        assert_eq!(e.error_type, ErrorType::MdfeInvalidKey);
        assert!(
            e.message.contains("has model 57, not MDF-e's 58"),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_bare_cte_os_without_its_protocol() {
        let whole = String::from_utf8(fixture("cte/cteos-v4.00-cteOSProc.xml")).unwrap();
        let bare = &whole[whole.find("<CTeOS ").unwrap()..whole.find("<protCTe").unwrap()];
        let (kind, docs) = parse(bare.as_bytes(), &ParseOptions::default());
        assert_eq!(kind, Some("cte"));
        let doc = &docs.unwrap()[0];
        assert_eq!(doc.key, "35261049929194000284670260000000081800000084");
        assert_eq!(value(doc, "mod"), &Value::Int(67));
        assert_eq!(value(doc, "versao"), &Value::Text("4.00".into()));
        assert_eq!(value(doc, "n_prot"), &Value::Null);
        assert_eq!(value(doc, "situacao"), &Value::Null);
    }

    #[test]
    fn a_manifest_of_twenty_thousand_keys_numbers_each() {
        let whole = String::from_utf8(fixture("mdfe/mdfe-v3.00-mdfeProc.xml")).unwrap();
        let one = "<infCTe><chCTe>35261049929194000284570010000005011501005018</chCTe></infCTe>";
        let many = whole.replace(one, &one.repeat(20_000));
        let (_, docs) = parse(many.as_bytes(), &ParseOptions::default());
        let rows = &docs.unwrap()[0].rows;
        // The main row, 20,000 CT-e and the NF-e.
        assert_eq!(rows.len(), 20_002);
        assert_eq!(rows[20_000].values[1], Value::Int(20_000));
        assert_eq!(rows[20_001].values[1], Value::Int(20_001));
    }

    #[test]
    fn a_request_alone_has_no_status_and_an_answer_alone_has_one() {
        let opts = ParseOptions::default();
        let whole = String::from_utf8(fixture("cte/evento-cancelamento-cte.xml")).unwrap();
        let ret = whole.find("<retEventoCTe").unwrap();
        let end = whole.find("</procEventoCTe>").unwrap();
        let request = format!("{}</procEventoCTe>", &whole[..ret]);
        let (kind, docs) = parse(request.as_bytes(), &opts);
        assert_eq!(kind, Some("cte"));
        let docs = docs.unwrap();
        assert_eq!(value(&docs[0], "c_stat"), &Value::Null);
        assert_eq!(
            value(&docs[0], "x_just"),
            &Value::Text("Frete contratado em duplicidade pelo cliente".into())
        );
        let answer = format!(
            "<?xml version=\"1.0\"?>{}",
            &whole[ret..end].replacen(
                "<retEventoCTe ",
                "<retEventoCTe xmlns=\"http://www.portalfiscal.inf.br/cte\" ",
                1
            )
        );
        let (_, docs) = parse(answer.as_bytes(), &opts);
        let docs = docs.unwrap();
        assert_eq!(value(&docs[0], "c_stat"), &Value::Int(135));
        assert_eq!(value(&docs[0], "x_just"), &Value::Null);
        assert_eq!(
            docs[0].key,
            format!(
                "ID110111{}001",
                "35261049929194000284570010000005011501005018"
            )
        );
    }
}
