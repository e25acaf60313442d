//! The messages that travel with NF-e: events (`procEventoNFe`, a bare `evento`, the
//! `envEvento` request and `retEnvEvento` response batches), distribution summaries (`resNFe`,
//! `resEvento`) and number-range voiding (`inutNFe`, `procInutNFe`, `retInutNFe`).
//!
//! Each is a flat record of leaf elements. A request part (`evento/infEvento`,
//! `inutNFe/infInut`) and SEFAZ's answer (`retEvento/infEvento`, `retInutNFe/infInut`) are read
//! as separate records and joined by their key, so a request alone, an answer alone or both
//! together all make one row. Only a homologated answer (cStat 135/136/155) makes a
//! cancellation count: a request is not a fact.

use super::super::leaves::{self, Leaves};
use super::super::xml::{Tag, Text};
use super::super::{ColType, Doc, ParseOptions, Parsed, Source, Table, Value, col, typed};
use super::nota::CANCELS_STORED_NFE;
use crate::error::{ErrorType, FileError};

use ColType::{Integer as I, Text as T};

/// A table of SEFAZ events of one document kind (NF-e's, CT-e's, MDF-e's): one row per
/// (chave, tp_evento, n_seq_evento), whatever the type: unknown types are stored too. The
/// request's columns, then the kind's own (`$extra`, read from `detEvento`), then the answer's:
/// `c_stat`, `x_motivo`, `n_prot`, `dh_reg_evento` come from SEFAZ's answer and are NULL for a
/// request alone (a later copy with the answer fills them in). `$after` are the statements run
/// after a row is written (a cancellation applied to its document).
macro_rules! event_table {
    ($name:literal, [$($extra:literal),* $(,)?], $after:expr) => {{
        use $crate::schema::{col, ColType::{Integer as I, Text as T}, Table};
        Table {
            name: $name,
            columns: &[
                col("chave", T),
                col("tp_evento", T),
                col("n_seq_evento", I),
                col("chave_valida", I),
                col("desc_evento", T),
                col("dh_evento", T),
                col("c_orgao", T),
                col("tp_amb", I),
                col("autor_cnpj", T),
                col("autor_cpf", T),
                col("x_just", T),
                $(col($extra, T),)*
                col("c_stat", I),
                col("x_motivo", T),
                col("n_prot", T),
                col("dh_reg_evento", T),
                col("path", T),
                col("sha256", T),
            ],
            primary_key: &["chave", "tp_evento", "n_seq_evento"],
            enrich: &["c_stat", "x_motivo", "n_prot", "dh_reg_evento"],
            after_write: $after,
            ..Table::BASE
        }
    }};
}
pub(crate) use event_table;

/// `nfe_evento`: NF-e events; `x_correcao` is a CC-e's text.
pub static NFE_EVENTO: Table = event_table!(
    "nfe_evento",
    ["x_correcao"],
    &[
        CANCELS_STORED_NFE,
        crate::format::link::CCE_LINKED_BY_EARLIER_PDF,
    ]
);

/// `nfe_resumo`: `resNFe` distribution summaries, one row per key. A separate table, so a
/// summary never overwrites (or blocks) the full NF-e.
pub static NFE_RESUMO: Table = Table {
    name: "nfe_resumo",
    columns: &[
        col("chave", T),
        col("chave_valida", I),
        col("cnpj", T),
        col("cpf", T),
        col("x_nome", T),
        col("ie", T),
        col("dh_emi", T),
        col("tp_nf", I),
        col("v_nf", ColType::Numeric),
        col("dig_val", T),
        col("dh_recbto", T),
        col("n_prot", T),
        col("c_sit_nfe", I),
        col("path", T),
        col("sha256", T),
    ],
    primary_key: &["chave"],
    ..Table::BASE
};

/// `nfe_evento_resumo`: `resEvento` distribution summaries of events.
pub static NFE_EVENTO_RESUMO: Table = Table {
    name: "nfe_evento_resumo",
    columns: &[
        col("chave", T),
        col("tp_evento", T),
        col("n_seq_evento", I),
        col("chave_valida", I),
        col("x_evento", T),
        col("c_orgao", T),
        col("cnpj", T),
        col("cpf", T),
        col("dh_evento", T),
        col("dh_recbto", T),
        col("n_prot", T),
        col("path", T),
        col("sha256", T),
    ],
    primary_key: &["chave", "tp_evento", "n_seq_evento"],
    ..Table::BASE
};

/// `nfe_inutilizacao`: voided number ranges, one row per `id` (SEFAZ's `ID` + UF, year, CNPJ,
/// model, series and range).
pub static NFE_INUTILIZACAO: Table = Table {
    name: "nfe_inutilizacao",
    columns: &[
        col("id", T),
        col("c_uf", T),
        col("ano", T),
        col("cnpj", T),
        col("mod", I),
        col("serie", I),
        col("n_nf_ini", I),
        col("n_nf_fin", I),
        col("x_just", T),
        col("tp_amb", I),
        col("c_stat", I),
        col("x_motivo", T),
        col("n_prot", T),
        col("dh_recbto", T),
        col("path", T),
        col("sha256", T),
    ],
    primary_key: &["id"],
    enrich: &["c_stat", "x_motivo", "n_prot", "dh_recbto"],
    ..Table::BASE
};

/// The kinds of record, each a table and the part of it it fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `evento/infEvento`.
    EventRequest,
    /// `retEvento/infEvento`.
    EventAnswer,
    Summary,
    EventSummary,
    /// `inutNFe/infInut`.
    VoidRequest,
    /// `retInutNFe/infInut`.
    VoidAnswer,
}

impl Kind {
    /// The record an element starts, by its name and its parent's.
    fn of(parent: &[u8], name: &[u8]) -> Option<Kind> {
        Some(match (parent, name) {
            (b"evento", b"infEvento") => Kind::EventRequest,
            (b"retEvento", b"infEvento") => Kind::EventAnswer,
            (_, b"resNFe") => Kind::Summary,
            (_, b"resEvento") => Kind::EventSummary,
            (b"inutNFe", b"infInut") => Kind::VoidRequest,
            (b"retInutNFe", b"infInut") => Kind::VoidAnswer,
            _ => return None,
        })
    }

    fn table(self) -> &'static Table {
        match self {
            Kind::EventRequest | Kind::EventAnswer => &NFE_EVENTO,
            Kind::Summary => &NFE_RESUMO,
            Kind::EventSummary => &NFE_EVENTO_RESUMO,
            Kind::VoidRequest | Kind::VoidAnswer => &NFE_INUTILIZACAO,
        }
    }

    /// The column a leaf fills: `direct` says whether its parent is the record element itself
    /// (else it is `detEvento` or another group inside).
    fn column(self, direct: bool, parent: &[u8], name: &[u8]) -> Option<&'static str> {
        Some(match (self, direct, name) {
            (Kind::EventRequest | Kind::EventAnswer, true, n) => match n {
                b"chNFe" => "chave",
                b"tpEvento" => "tp_evento",
                b"nSeqEvento" => "n_seq_evento",
                b"dhEvento" => "dh_evento",
                b"cOrgao" => "c_orgao",
                b"tpAmb" => "tp_amb",
                b"CNPJ" if self == Kind::EventRequest => "autor_cnpj",
                b"CPF" if self == Kind::EventRequest => "autor_cpf",
                b"cStat" if self == Kind::EventAnswer => "c_stat",
                b"xMotivo" if self == Kind::EventAnswer => "x_motivo",
                b"nProt" if self == Kind::EventAnswer => "n_prot",
                b"dhRegEvento" if self == Kind::EventAnswer => "dh_reg_evento",
                b"xEvento" if self == Kind::EventAnswer => "desc_evento",
                _ => return None,
            },
            (Kind::EventRequest, false, n) if parent == b"detEvento" => match n {
                b"descEvento" => "desc_evento",
                b"xJust" => "x_just",
                b"xCorrecao" => "x_correcao",
                _ => return None,
            },
            (Kind::Summary, true, n) => match n {
                b"chNFe" => "chave",
                b"CNPJ" => "cnpj",
                b"CPF" => "cpf",
                b"xNome" => "x_nome",
                b"IE" => "ie",
                b"dhEmi" => "dh_emi",
                b"tpNF" => "tp_nf",
                b"vNF" => "v_nf",
                b"digVal" => "dig_val",
                b"dhRecbto" => "dh_recbto",
                b"nProt" => "n_prot",
                b"cSitNFe" => "c_sit_nfe",
                _ => return None,
            },
            (Kind::EventSummary, true, n) => match n {
                b"chNFe" => "chave",
                b"tpEvento" => "tp_evento",
                b"nSeqEvento" => "n_seq_evento",
                b"xEvento" => "x_evento",
                b"cOrgao" => "c_orgao",
                b"CNPJ" => "cnpj",
                b"CPF" => "cpf",
                b"dhEvento" => "dh_evento",
                b"dhRecbto" => "dh_recbto",
                b"nProt" => "n_prot",
                _ => return None,
            },
            (Kind::VoidRequest | Kind::VoidAnswer, true, n) => match n {
                b"cUF" => "c_uf",
                b"ano" => "ano",
                b"CNPJ" => "cnpj",
                b"mod" => "mod",
                b"serie" => "serie",
                b"nNFIni" => "n_nf_ini",
                b"nNFFin" => "n_nf_fin",
                b"tpAmb" => "tp_amb",
                b"xJust" if self == Kind::VoidRequest => "x_just",
                b"cStat" if self == Kind::VoidAnswer => "c_stat",
                b"xMotivo" if self == Kind::VoidAnswer => "x_motivo",
                b"nProt" if self == Kind::VoidAnswer => "n_prot",
                b"dhRecbto" if self == Kind::VoidAnswer => "dh_recbto",
                _ => return None,
            },
            _ => return None,
        })
    }
}

/// One record being read.
struct Record {
    kind: Kind,
    values: Vec<Value>,
}

impl Record {
    fn get(&self, column: &str) -> &Value {
        &self.values[self.kind.table().col(column)]
    }

    fn text(&self, column: &str) -> Option<&str> {
        match self.get(column) {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// Parse a file of the NF-e message family (already UTF-8).
pub fn parse(xml: &str, src: &Source, opts: &ParseOptions) -> Parsed {
    let mut reader = Reader {
        records: Vec::new(),
        open: None,
        field_error: None,
    };
    leaves::walk(xml, src, &mut reader)?;
    let records = join_answers(reader.records);
    if records.is_empty() {
        return Err(FileError::new(
            ErrorType::NfeMissingKey,
            "no event, summary or voiding record (infEvento, resNFe, resEvento, infInut)",
        ));
    }
    leaves::finish_all(records, reader.field_error, |r| finish(r, src, opts))
}

/// The records of a file being read.
struct Reader {
    records: Vec<Record>,
    /// The open record and its depth in the stack of open elements.
    open: Option<(Record, usize)>,
    field_error: Option<FileError>,
}

impl Leaves for Reader {
    fn open(&mut self, stack: &[&[u8]], e: &Tag) -> Result<(), FileError> {
        let name = e.local();
        if self.open.is_none() {
            let parent = stack.last().copied().unwrap_or_default();
            if let Some(kind) = Kind::of(parent, name) {
                let values = vec![Value::Null; kind.table().columns.len()];
                self.open = Some((Record { kind, values }, stack.len()));
            }
        }
        Ok(())
    }

    fn close(&mut self, stack: &[&[u8]], text: &Text) -> Result<(), FileError> {
        let (&name, stack) = stack.split_last().expect("the scanner checks end tags");
        let depth = stack.len();
        if let Some((_, at)) = &self.open
            && *at == depth
        {
            self.records.push(self.open.take().expect("open").0);
        } else if let Some((record, at)) = &mut self.open
            && !text.is_empty()
        {
            let parent = stack.last().copied().unwrap_or_default();
            let direct = depth == *at + 1;
            if let Some(column) = record.kind.column(direct, parent, name) {
                let table = record.kind.table();
                let c = table.col(column);
                match typed(table, c, text.get(), ErrorType::NfeInvalidField) {
                    Ok(v) => record.values[c] = v,
                    Err(e) => drop(self.field_error.get_or_insert(e)),
                }
            }
        }
        Ok(())
    }
}

/// Fill each request with the answer that names it (same key, type and sequence); an answer
/// that names no request in the file stands alone.
fn join_answers(records: Vec<Record>) -> Vec<Record> {
    let (answers, mut out): (Vec<Record>, Vec<Record>) = records
        .into_iter()
        .partition(|r| matches!(r.kind, Kind::EventAnswer | Kind::VoidAnswer));
    for answer in answers {
        let request = match answer.kind {
            Kind::EventAnswer => out.iter_mut().find(|r| {
                r.kind == Kind::EventRequest
                    && ["chave", "tp_evento", "n_seq_evento"]
                        .iter()
                        .all(|c| r.get(c) == answer.get(c))
            }),
            _ => {
                let requests = out.iter().filter(|r| r.kind == Kind::VoidRequest).count();
                out.iter_mut().find(|r| {
                    r.kind == Kind::VoidRequest && (requests == 1 || void_id(r) == void_id(&answer))
                })
            }
        };
        match request {
            // The answer's status is what counts, not anything the request said.
            Some(request) => fill_missing(&mut request.values, answer.values),
            None => out.push(answer),
        }
    }
    out
}

/// A request's record completed by its answer's: each value the request lacks (NULL) taken
/// from the answer.
pub(crate) fn fill_missing(request: &mut [Value], answer: Vec<Value>) {
    for (v, a) in request.iter_mut().zip(answer) {
        if *v == Value::Null {
            *v = a;
        }
    }
}

/// SEFAZ's identifier of a voided range: `ID` + UF, year, CNPJ, model, series (3 digits), first
/// and last number (9 digits each).
fn void_id(r: &Record) -> Option<String> {
    let t = |c| r.text(c);
    let n = |c| match r.get(c) {
        Value::Int(i) => Some(*i),
        _ => None,
    };
    Some(format!(
        "ID{}{:0>2}{}{:02}{:03}{:09}{:09}",
        t("c_uf")?,
        t("ano")?,
        t("cnpj")?,
        n("mod")?,
        n("serie")?,
        n("n_nf_ini")?,
        n("n_nf_fin")?
    ))
}

fn finish(mut r: Record, src: &Source, opts: &ParseOptions) -> Result<Doc, FileError> {
    let table = r.kind.table();
    let mut warning = None;
    let key = if matches!(r.kind, Kind::VoidRequest | Kind::VoidAnswer) {
        let id = void_id(&r).ok_or_else(|| {
            FileError::new(
                ErrorType::NfeMissingKey,
                "number-range voiding without its UF, year, CNPJ, model, series or range",
            )
        })?;
        r.values[table.col("id")] = Value::Text(id.as_str().into());
        id
    } else {
        let chave = r
            .text("chave")
            .map(str::to_owned)
            .ok_or_else(|| FileError::new(ErrorType::NfeMissingKey, "record without chNFe"))?;
        let (valid, w) = super::check_key(&chave, &super::NFE_KEY, opts)?;
        warning = w;
        r.values[table.col("chave_valida")] = Value::Int(valid as i64);
        if table.primary_key.len() == 1 {
            chave
        } else {
            let (Some(tp), Value::Int(seq)) = (r.text("tp_evento"), r.get("n_seq_evento")) else {
                return Err(FileError::new(
                    ErrorType::NfeMissingKey,
                    format!("event for {chave} without tpEvento or nSeqEvento"),
                ));
            };
            // SEFAZ's event identifier.
            format!("ID{tp}{chave}{seq:02}")
        }
    };
    Ok(Doc::single(key, table, r.values, src, warning))
}
