//! NF-e and NFC-e documents: `nfeProc`, a bare `NFe`, or several in an `enviNFe` batch.
//!
//! One streaming pass with quick-xml: a stack of element local names (borrowed from the input,
//! so namespaces and prefixes do not matter), and each closing leaf element mapped by its parent
//! (and for taxes its grandparent) straight to a column index. Every `infNFe` starts a document;
//! a protocol (`infProt`) and the NFC-e's `infNFeSupl` are attached to the document they follow
//! or name.

use super::super::xml::{self, Name, Text};
use super::super::{ColType, Doc, ParseOptions, Row, Source, Table, Value, col, typed};
use crate::error::{ErrorType, FileError};
use quick_xml::events::{BytesStart, Event};

use ColType::{Integer as I, Numeric as N, Text as T};

/// Marks an NF-e `cancelada` when a homologated cancellation event for its key is stored. Run
/// after an NF-e is written and after an event is written, so the order they arrive in (same
/// batch or not) does not matter. 110112 is the cancellation by substitution (NFC-e).
pub const MARK_CANCELLED: &str = "UPDATE nfe SET situacao = 'cancelada'
    WHERE chave = ?1 AND situacao IS NOT 'cancelada' AND EXISTS (
        SELECT 1 FROM nfe_evento e WHERE e.chave = ?1 AND e.tp_evento IN ('110111', '110112')
            AND e.c_stat IN (135, 136, 155))";

/// The `nfe` table: one row per access key.
pub static NFE: Table = Table {
    name: "nfe",
    columns: &[
        col("chave", T),
        col("chave_valida", I),
        col("versao", T),
        col("mod", I),
        col("serie", I),
        col("n_nf", I),
        col("dh_emi", T),
        col("tp_nf", I),
        col("tp_amb", I),
        col("nat_op", T),
        col("emit_cnpj", T),
        col("emit_cpf", T),
        col("emit_ie", T),
        col("emit_nome", T),
        col("emit_uf", T),
        col("dest_cnpj", T),
        col("dest_cpf", T),
        col("dest_id_estrangeiro", T),
        col("dest_nome", T),
        col("dest_uf", T),
        col("v_bc", N),
        col("v_icms", N),
        col("v_st", N),
        col("v_prod", N),
        col("v_frete", N),
        col("v_seg", N),
        col("v_desc", N),
        col("v_ii", N),
        col("v_ipi", N),
        col("v_pis", N),
        col("v_cofins", N),
        col("v_outro", N),
        col("v_nf", N),
        col("v_tot_trib", N),
        col("v_ibs", N),
        col("v_cbs", N),
        col("mod_frete", I),
        col("transp_cnpj", T),
        col("transp_cpf", T),
        col("transp_nome", T),
        col("transp_uf", T),
        col("v_troco", N),
        col("inf_cpl", T),
        col("qr_code", T),
        col("url_chave", T),
        col("n_prot", T),
        col("c_stat", I),
        col("dh_recbto", T),
        col("situacao", T),
        col("path", T),
        col("sha256", T),
    ],
    primary_key: &["chave"],
    // A bare NFe imported first gets its protocol from the nfeProc that follows.
    enrich: &["n_prot", "c_stat", "dh_recbto", "situacao"],
    after_write: &[MARK_CANCELLED],
    ..Table::BASE
};

/// The `nfe_item` table: one row per `det`. No key on (chave, n_item): documents exist that
/// repeat an item number, and they are stored as written; a document is deduplicated as a whole.
pub static NFE_ITEM: Table = Table {
    name: "nfe_item",
    columns: &[
        col("chave", T),
        col("n_item", I),
        col("c_prod", T),
        col("c_ean", T),
        col("x_prod", T),
        col("ncm", T),
        col("cfop", T),
        col("u_com", T),
        col("q_com", N),
        col("v_un_com", N),
        col("v_prod", N),
        col("v_desc", N),
        col("orig", T),
        col("cst", T),
        col("csosn", T),
        col("v_bc", N),
        col("p_icms", N),
        col("v_icms", N),
        col("v_icms_st", N),
        col("ipi_cst", T),
        col("ipi_v_bc", N),
        col("p_ipi", N),
        col("v_ipi", N),
        col("pis_cst", T),
        col("pis_v_bc", N),
        col("p_pis", N),
        col("v_pis", N),
        col("cofins_cst", T),
        col("cofins_v_bc", N),
        col("p_cofins", N),
        col("v_cofins", N),
        col("v_tot_trib", N),
        col("ibs_cbs_cst", T),
        col("c_class_trib", T),
        col("ibs_cbs_v_bc", N),
        col("p_ibs_uf", N),
        col("v_ibs_uf", N),
        col("p_ibs_mun", N),
        col("v_ibs_mun", N),
        col("v_ibs", N),
        col("p_cbs", N),
        col("v_cbs", N),
    ],
    indexed: &["chave"],
    parent: Some(&NFE),
    ..Table::BASE
};

/// `nfe_pagamento`: one row per payment (`pag/detPag`, or `pag` in layout 3.10).
pub static NFE_PAGAMENTO: Table = Table {
    name: "nfe_pagamento",
    columns: &[
        col("chave", T),
        col("n", I),
        col("ind_pag", I),
        col("t_pag", T),
        col("x_pag", T),
        col("v_pag", N),
        col("tp_integra", I),
        col("card_cnpj", T),
        col("t_band", T),
        col("c_aut", T),
    ],
    indexed: &["chave"],
    parent: Some(&NFE),
    ..Table::BASE
};

/// `nfe_duplicata`: one row per installment (`cobr/dup`).
pub static NFE_DUPLICATA: Table = Table {
    name: "nfe_duplicata",
    columns: &[
        col("chave", T),
        col("n_dup", T),
        col("d_venc", T),
        col("v_dup", N),
    ],
    indexed: &["chave"],
    parent: Some(&NFE),
    ..Table::BASE
};

/// Column index in `nfe`, computed at compile time.
macro_rules! h {
    ($name:literal) => {
        const { NFE.col($name) }
    };
}

/// Column index in `nfe_item`, computed at compile time.
macro_rules! i {
    ($name:literal) => {
        const { NFE_ITEM.col($name) }
    };
}

/// Column index in `nfe_pagamento`, computed at compile time.
macro_rules! p {
    ($name:literal) => {
        const { NFE_PAGAMENTO.col($name) }
    };
}

const H_CHAVE: usize = NFE.col("chave");
const H_CHAVE_VALIDA: usize = NFE.col("chave_valida");
const H_VERSAO: usize = NFE.col("versao");
const H_N_PROT: usize = NFE.col("n_prot");
const H_C_STAT: usize = NFE.col("c_stat");
const H_DH_RECBTO: usize = NFE.col("dh_recbto");
const H_SITUACAO: usize = NFE.col("situacao");
const H_PATH: usize = NFE.col("path");
const H_SHA256: usize = NFE.col("sha256");
const I_CHAVE: usize = NFE_ITEM.col("chave");
const I_N_ITEM: usize = NFE_ITEM.col("n_item");
const P_N: usize = NFE_PAGAMENTO.col("n");

/// The header column a leaf element fills, by its parent and its own local name.
fn header_column(parent: &[u8], name: &[u8]) -> Option<usize> {
    let c = match (parent, name) {
        (b"ide", b"mod") => h!("mod"),
        (b"ide", b"serie") => h!("serie"),
        (b"ide", b"nNF") => h!("n_nf"),
        (b"ide", b"dhEmi" | b"dEmi") => h!("dh_emi"),
        (b"ide", b"tpNF") => h!("tp_nf"),
        (b"ide", b"tpAmb") => h!("tp_amb"),
        (b"ide", b"natOp") => h!("nat_op"),
        (b"emit", b"CNPJ") => h!("emit_cnpj"),
        (b"emit", b"CPF") => h!("emit_cpf"),
        (b"emit", b"IE") => h!("emit_ie"),
        (b"emit", b"xNome") => h!("emit_nome"),
        (b"enderEmit", b"UF") => h!("emit_uf"),
        (b"dest", b"CNPJ") => h!("dest_cnpj"),
        (b"dest", b"CPF") => h!("dest_cpf"),
        (b"dest", b"idEstrangeiro") => h!("dest_id_estrangeiro"),
        (b"dest", b"xNome") => h!("dest_nome"),
        (b"enderDest", b"UF") => h!("dest_uf"),
        (b"ICMSTot", n) => match n {
            b"vBC" => h!("v_bc"),
            b"vICMS" => h!("v_icms"),
            b"vST" => h!("v_st"),
            b"vProd" => h!("v_prod"),
            b"vFrete" => h!("v_frete"),
            b"vSeg" => h!("v_seg"),
            b"vDesc" => h!("v_desc"),
            b"vII" => h!("v_ii"),
            b"vIPI" => h!("v_ipi"),
            b"vPIS" => h!("v_pis"),
            b"vCOFINS" => h!("v_cofins"),
            b"vOutro" => h!("v_outro"),
            b"vNF" => h!("v_nf"),
            b"vTotTrib" => h!("v_tot_trib"),
            _ => return None,
        },
        // 2026 tax reform totals (IBSCBSTot/gIBS/vIBS, IBSCBSTot/gCBS/vCBS).
        (b"gIBS", b"vIBS") => h!("v_ibs"),
        (b"gCBS", b"vCBS") => h!("v_cbs"),
        (b"transp", b"modFrete") => h!("mod_frete"),
        (b"transporta", b"CNPJ") => h!("transp_cnpj"),
        (b"transporta", b"CPF") => h!("transp_cpf"),
        (b"transporta", b"xNome") => h!("transp_nome"),
        (b"transporta", b"UF") => h!("transp_uf"),
        (b"pag", b"vTroco") => h!("v_troco"),
        (b"infAdic", b"infCpl") => h!("inf_cpl"),
        (b"infNFeSupl", b"qrCode") => h!("qr_code"),
        (b"infNFeSupl", b"urlChave") => h!("url_chave"),
        _ => return None,
    };
    Some(c)
}

/// The item column a leaf element inside `det` fills. Taxes sit one group deeper
/// (`imposto/ICMS/ICMS00/vICMS`), so the grandparent names the tax.
fn item_column(grandparent: &[u8], parent: &[u8], name: &[u8]) -> Option<usize> {
    let c = match (parent, name) {
        (b"prod", b"cProd") => i!("c_prod"),
        (b"prod", b"cEAN") => i!("c_ean"),
        (b"prod", b"xProd") => i!("x_prod"),
        (b"prod", b"NCM") => i!("ncm"),
        (b"prod", b"CFOP") => i!("cfop"),
        (b"prod", b"uCom") => i!("u_com"),
        (b"prod", b"qCom") => i!("q_com"),
        (b"prod", b"vUnCom") => i!("v_un_com"),
        (b"prod", b"vProd") => i!("v_prod"),
        (b"prod", b"vDesc") => i!("v_desc"),
        (b"imposto", b"vTotTrib") => i!("v_tot_trib"),
        // 2026 tax reform (IBS and CBS), kept when present.
        (b"IBSCBS", b"CST") => i!("ibs_cbs_cst"),
        (b"IBSCBS", b"cClassTrib") => i!("c_class_trib"),
        (b"gIBSCBS", b"vBC") => i!("ibs_cbs_v_bc"),
        (b"gIBSCBS", b"vIBS") => i!("v_ibs"),
        (b"gIBSUF", b"pIBSUF") => i!("p_ibs_uf"),
        (b"gIBSUF", b"vIBSUF") => i!("v_ibs_uf"),
        (b"gIBSMun", b"pIBSMun") => i!("p_ibs_mun"),
        (b"gIBSMun", b"vIBSMun") => i!("v_ibs_mun"),
        (b"gCBS", b"pCBS") => i!("p_cbs"),
        (b"gCBS", b"vCBS") => i!("v_cbs"),
        _ => match (grandparent, name) {
            (b"ICMS", b"orig") => i!("orig"),
            (b"ICMS", b"CST") => i!("cst"),
            (b"ICMS", b"CSOSN") => i!("csosn"),
            (b"ICMS", b"vBC") => i!("v_bc"),
            (b"ICMS", b"pICMS") => i!("p_icms"),
            (b"ICMS", b"vICMS") => i!("v_icms"),
            (b"ICMS", b"vICMSST") => i!("v_icms_st"),
            (b"IPI", b"CST") => i!("ipi_cst"),
            (b"IPI", b"vBC") => i!("ipi_v_bc"),
            (b"IPI", b"pIPI") => i!("p_ipi"),
            (b"IPI", b"vIPI") => i!("v_ipi"),
            (b"PIS", b"CST") => i!("pis_cst"),
            (b"PIS", b"vBC") => i!("pis_v_bc"),
            (b"PIS", b"pPIS") => i!("p_pis"),
            (b"PIS", b"vPIS") => i!("v_pis"),
            (b"COFINS", b"CST") => i!("cofins_cst"),
            (b"COFINS", b"vBC") => i!("cofins_v_bc"),
            (b"COFINS", b"pCOFINS") => i!("p_cofins"),
            (b"COFINS", b"vCOFINS") => i!("v_cofins"),
            _ => return None,
        },
    };
    Some(c)
}

/// The payment column a leaf fills: `detPag/*` (or `pag/*` in layout 3.10) and `card/*`.
fn payment_column(parent: &[u8], name: &[u8]) -> Option<usize> {
    let c = match (parent, name) {
        (b"detPag" | b"pag", b"indPag") => p!("ind_pag"),
        (b"detPag" | b"pag", b"tPag") => p!("t_pag"),
        (b"detPag" | b"pag", b"xPag") => p!("x_pag"),
        (b"detPag" | b"pag", b"vPag") => p!("v_pag"),
        (b"card", b"tpIntegra") => p!("tp_integra"),
        (b"card", b"CNPJ") => p!("card_cnpj"),
        (b"card", b"tBand") => p!("t_band"),
        (b"card", b"cAut") => p!("c_aut"),
        _ => return None,
    };
    Some(c)
}

/// The installment column a leaf inside `cobr/dup` fills.
fn installment_column(name: &[u8]) -> Option<usize> {
    NFE_DUPLICATA.columns.iter().position(|c| {
        matches!(
            (c.name, name),
            ("n_dup", b"nDup") | ("d_venc", b"dVenc") | ("v_dup", b"vDup")
        )
    })
}

/// What a document's status is from its protocol's cStat (cancellation by event is applied by
/// [`MARK_CANCELLED`] in the database).
fn situacao(c_stat: i64) -> &'static str {
    match c_stat {
        100 | 150 => "autorizada",
        101 | 151 | 155 => "cancelada",
        110 | 205 | 301 | 302 | 303 => "denegada",
        _ => "rejeitada",
    }
}

/// Parse a file of the NF-e document family (already UTF-8).
pub fn parse(bytes: &[u8], src: &Source, opts: &ParseOptions) -> Result<Vec<Doc>, FileError> {
    let parsed = parse_xml(bytes, src)?;
    if parsed.is_empty() {
        return Err(FileError::new(
            ErrorType::NfeMissingKey,
            "no infNFe element",
        ));
    }
    parsed.into_iter().map(|b| b.finish(src, opts)).collect()
}

/// One NF-e being read.
struct Builder {
    header: Vec<Value>,
    items: Vec<Vec<Value>>,
    payments: Vec<Vec<Value>>,
    installments: Vec<Vec<Value>>,
    /// `infNFe/@Id` without its "NFe" prefix; `None` when absent.
    id: Option<String>,
    /// The first value that did not fit its column. Reported after the key is checked, so a
    /// document with a bad key fails for its key.
    field_error: Option<FileError>,
}

/// A protocol (`infProt`) read; attached to its document when it closes.
#[derive(Default)]
struct Prot {
    ch_nfe: Option<String>,
    n_prot: Option<String>,
    c_stat: Option<String>,
    dh_recbto: Option<String>,
}

fn parse_xml(bytes: &[u8], src: &Source) -> Result<Vec<Builder>, FileError> {
    let mut events = xml::Events::new(bytes);
    let mut stack: Vec<Name> = Vec::with_capacity(16);
    let mut text = Text::default();
    let mut docs: Vec<Builder> = Vec::new();
    // Depth of the open infNFe / det in `stack`, when one is open.
    let mut in_doc: Option<usize> = None;
    let mut in_item: Option<usize> = None;
    let mut prot: Option<Prot> = None;
    // Layout 3.10 repeats `pag` itself; 4.00 repeats `pag/detPag`. A row opened for a `pag`
    // that turns out to hold `detPag`s is dropped.
    let mut pag_row: Option<usize> = None;
    loop {
        match events.next(src)? {
            Event::Start(e) => {
                let name = Name::of(&e);
                match name.as_bytes() {
                    b"infNFe" if in_doc.is_none() => {
                        docs.push(Builder::start(&e)?);
                        in_doc = Some(stack.len());
                    }
                    b"det" if in_doc.is_some() && in_item.is_none() => {
                        let doc = docs.last_mut().expect("doc open");
                        doc.items.push(vec![Value::Null; NFE_ITEM.columns.len()]);
                        if let Some(n) = xml::attr(&e, b"nItem")? {
                            doc.set(&NFE_ITEM, I_N_ITEM, &n);
                        }
                        in_item = Some(stack.len());
                    }
                    b"pag" if in_doc.is_some() => {
                        let doc = docs.last_mut().expect("doc open");
                        pag_row = Some(doc.payments.len());
                        doc.payments.push(doc.payment_row());
                    }
                    b"detPag" if in_doc.is_some() => {
                        let doc = docs.last_mut().expect("doc open");
                        if let Some(r) = pag_row.take() {
                            doc.payments.truncate(r);
                        }
                        doc.payments.push(doc.payment_row());
                    }
                    b"dup" if in_doc.is_some() => {
                        let doc = docs.last_mut().expect("doc open");
                        doc.installments
                            .push(vec![Value::Null; NFE_DUPLICATA.columns.len()]);
                    }
                    b"infProt" => prot = Some(Prot::default()),
                    _ => {}
                }
                xml::push(&mut stack, name)?;
                text.clear();
            }
            Event::Text(t) => text.push(t.into_inner())?,
            Event::CData(t) => text.push(t.into_inner())?,
            Event::GeneralRef(r) => text.push_ref(&r)?,
            Event::End(_) => {
                let name = stack.pop().expect("quick-xml checks end names");
                let name = name.as_bytes();
                let depth = stack.len();
                let parent = stack.last().map_or(&b""[..], Name::as_bytes);
                if in_item == Some(depth) {
                    in_item = None;
                } else if in_doc == Some(depth) {
                    in_doc = None;
                } else if name == b"infProt" {
                    if let Some(p) = prot.take() {
                        attach(&mut docs, p)?;
                    }
                } else if name == b"pag" {
                    pag_row = None;
                } else if text.is_empty() {
                    // An element holding elements (or nothing): no column takes it.
                } else if in_item.is_some() {
                    let gp = if depth >= 2 {
                        stack[depth - 2].as_bytes()
                    } else {
                        b""
                    };
                    if let Some(c) = item_column(gp, parent, name) {
                        docs.last_mut()
                            .expect("doc open")
                            .set(&NFE_ITEM, c, text.get()?);
                    }
                } else if in_doc.is_some() || parent == b"infNFeSupl" {
                    // infNFeSupl (the NFC-e's QR code) follows infNFe, inside NFe.
                    let Some(doc) = docs.last_mut() else {
                        text.clear();
                        continue;
                    };
                    let text = text.get()?;
                    if let Some(c) = header_column(parent, name) {
                        doc.set(&NFE, c, text);
                    } else if let Some(c) = payment_column(parent, name) {
                        doc.set(&NFE_PAGAMENTO, c, text);
                    } else if parent == b"dup"
                        && let Some(c) = installment_column(name)
                    {
                        doc.set(&NFE_DUPLICATA, c, text);
                    }
                } else if let (Some(p), b"infProt") = (prot.as_mut(), parent) {
                    let v = Some(text.get()?.to_owned());
                    match name {
                        b"chNFe" => p.ch_nfe = v,
                        b"nProt" => p.n_prot = v,
                        b"cStat" => p.c_stat = v,
                        b"dhRecbto" => p.dh_recbto = v,
                        _ => {}
                    }
                }
                text.clear();
            }
            Event::Eof => {
                events.finish(&stack)?;
                return Ok(docs);
            }
            Event::Empty(_) | Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::DocType(_) => return Err(xml::doctype_rejected()),
        }
    }
}

/// Attach a protocol to the document it names, or to the only/last one when it names none.
fn attach(docs: &mut [Builder], p: Prot) -> Result<(), FileError> {
    let target = match &p.ch_nfe {
        Some(ch) => docs
            .iter()
            .position(|d| d.id.as_deref() == Some(ch.as_str()))
            .or_else(|| (docs.len() == 1 && docs[0].id.is_none()).then_some(0)),
        None => docs.len().checked_sub(1),
    };
    let Some(i) = target else { return Ok(()) };
    let doc = &mut docs[i];
    if doc.id.is_none() {
        doc.id = p.ch_nfe;
    }
    let h = &mut doc.header;
    h[H_N_PROT] = p.n_prot.map_or(Value::Null, Value::Text);
    h[H_C_STAT] = match p.c_stat {
        Some(s) => typed(&NFE, H_C_STAT, &s, ErrorType::NfeInvalidField)?,
        None => Value::Null,
    };
    h[H_SITUACAO] = match h[H_C_STAT] {
        Value::Int(c) => Value::Text(situacao(c).to_owned()),
        _ => Value::Null,
    };
    h[H_DH_RECBTO] = p.dh_recbto.map_or(Value::Null, Value::Text);
    Ok(())
}

impl Builder {
    fn start(e: &BytesStart) -> Result<Builder, FileError> {
        let mut header = vec![Value::Null; NFE.columns.len()];
        if let Some(v) = xml::attr(e, b"versao")? {
            header[H_VERSAO] = Value::Text(v);
        }
        let id =
            xml::attr(e, b"Id")?.map(|id| id.strip_prefix("NFe").map(str::to_owned).unwrap_or(id));
        Ok(Builder {
            header,
            items: Vec::new(),
            payments: Vec::new(),
            installments: Vec::new(),
            id,
            field_error: None,
        })
    }

    fn payment_row(&self) -> Vec<Value> {
        let mut row = vec![Value::Null; NFE_PAGAMENTO.columns.len()];
        row[P_N] = Value::Int(self.payments.len() as i64 + 1);
        row
    }

    /// Set column `c` of the header, or of the last row of a child table.
    fn set(&mut self, table: &'static Table, c: usize, text: &str) {
        let row = if std::ptr::eq(table, &NFE) {
            Some(&mut self.header)
        } else if std::ptr::eq(table, &NFE_ITEM) {
            self.items.last_mut()
        } else if std::ptr::eq(table, &NFE_PAGAMENTO) {
            self.payments.last_mut()
        } else {
            self.installments.last_mut()
        };
        // A payment leaf outside any `pag` group (malformed, but harmless) has no row.
        let Some(row) = row else { return };
        match typed(table, c, text, ErrorType::NfeInvalidField) {
            Ok(v) => row[c] = v,
            Err(e) => drop(self.field_error.get_or_insert(e)),
        }
    }

    fn finish(self, src: &Source, opts: &ParseOptions) -> Result<Doc, FileError> {
        let Builder {
            mut header,
            items,
            payments,
            installments,
            id,
            field_error,
        } = self;
        let key = id.filter(|k| !k.is_empty()).ok_or_else(|| {
            FileError::new(
                ErrorType::NfeMissingKey,
                "NF-e without an access key (infNFe/@Id)",
            )
        })?;
        let (valid, warning) = super::check_key(&key, opts)?;
        if let Some(e) = field_error {
            return Err(e);
        }
        header[H_CHAVE] = Value::Text(key.clone());
        header[H_CHAVE_VALIDA] = Value::Int(valid as i64);
        header[H_PATH] = Value::Text(src.origin.to_owned());
        header[H_SHA256] = Value::Text(src.sha256.to_owned());
        let mut rows = Vec::with_capacity(1 + items.len() + payments.len() + installments.len());
        rows.push(Row {
            table: &NFE,
            values: header,
        });
        for (i, mut item) in items.into_iter().enumerate() {
            item[I_CHAVE] = Value::Text(key.clone());
            if item[I_N_ITEM] == Value::Null {
                item[I_N_ITEM] = Value::Int(i as i64 + 1);
            }
            rows.push(Row {
                table: &NFE_ITEM,
                values: item,
            });
        }
        let others = payments
            .into_iter()
            .map(|r| (&NFE_PAGAMENTO, r))
            .chain(installments.into_iter().map(|r| (&NFE_DUPLICATA, r)));
        for (table, mut values) in others {
            values[0] = Value::Text(key.clone());
            rows.push(Row { table, values });
        }
        Ok(Doc { key, rows, warning })
    }
}
