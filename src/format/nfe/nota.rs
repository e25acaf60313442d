//! NF-e and NFC-e documents: `nfeProc`, a bare `NFe`, or several in an `enviNFe` batch.
//!
//! One streaming pass of the XML scanner (`format::xml`): a stack of element local names (borrowed from the input,
//! so namespaces and prefixes do not matter), and each closing leaf element mapped by its parent
//! (and for taxes its grandparent) straight to a column index. Every `infNFe` starts a document;
//! a protocol (`infProt`) and the NFC-e's `infNFeSupl` are attached to the document they follow
//! or name.

use super::super::xml::{self, Event, Tag, Text};
use super::super::{AfterWrite, ColType, Doc, ParseOptions, Row, Source, Table, Value, col, typed};
use crate::error::{ErrorType, FileError};

use ColType::{Integer as I, Numeric as N, Text as T};

/// Marks an NF-e `cancelada` when a homologated cancellation event for its key is stored. Run
/// after an NF-e is written and after an event is written, so the order they arrive in (same
/// batch or not) does not matter. 110112 is the cancellation by substitution (NFC-e).
const MARK_CANCELLED: &str = "UPDATE nfe SET situacao = 'cancelada'
    WHERE chave {keys} AND situacao IS DISTINCT FROM 'cancelada' AND EXISTS (
        SELECT 1 FROM nfe_evento e WHERE e.chave = nfe.chave AND e.tp_evento IN ('110111', '110112')
            AND e.c_stat IN (135, 136, 155))";

/// After an NF-e is written: cancelled if its cancellation event came first.
pub const CANCELLED_BY_EARLIER_EVENT: AfterWrite = AfterWrite {
    sql: MARK_CANCELLED,
    reads: "nfe_evento",
};

/// After an event is written: the NF-e it cancels, if already stored.
pub const CANCELS_STORED_NFE: AfterWrite = AfterWrite {
    sql: MARK_CANCELLED,
    reads: "nfe",
};

/// A table of documents named by a SEFAZ access key (NF-e's, CT-e's, MDF-e's): one row per
/// key. The key and whether its check digit is right, the layout's version, the model and
/// series; the kind's own columns (`$own`); then its protocol's (`n_prot`, `c_stat`,
/// `dh_recbto` and `situacao`, which a later copy fills in when the stored one had none: a bare
/// document imported before the `*Proc` that follows it), `path` and `sha256`. `$after` are
/// the statements run after a row is written.
macro_rules! document_table {
    ($name:literal, [$($own:expr),* $(,)?], $after:expr) => {{
        use $crate::schema::{col, ColType::{Integer as I, Text as T}, Table};
        Table {
            name: $name,
            columns: &[
                col("chave", T),
                col("chave_valida", I),
                col("versao", T),
                col("mod", I),
                col("serie", I),
                $($own,)*
                col("n_prot", T),
                col("c_stat", I),
                col("dh_recbto", T),
                col("situacao", T),
                col("path", T),
                col("sha256", T),
            ],
            primary_key: &["chave"],
            enrich: &["n_prot", "c_stat", "dh_recbto", "situacao"],
            after_write: $after,
            ..Table::BASE
        }
    }};
}
pub(crate) use document_table;

/// The `nfe` table: one row per access key.
pub static NFE: Table = document_table!(
    "nfe",
    [
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
    ],
    &[
        CANCELLED_BY_EARLIER_EVENT,
        crate::format::link::LINKED_BY_EARLIER_PDF,
    ]
);

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

/// Where an element sits in an NF-e, worked out when it opens from where its parent sits and its
/// own name. A closing leaf is then matched only against the few fields of its group, and
/// subtrees batchimp does not read (signatures, addresses, volumes) cost one comparison per
/// element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// Outside any document: wrappers (`nfeProc`, `enviNFe`, `NFe`, `protNFe`...).
    Outside,
    /// Inside a document, in a part nothing is read from.
    Skipped,
    Doc,
    Ide,
    Emit,
    EnderEmit,
    Dest,
    EnderDest,
    Total,
    IcmsTot,
    IbsCbsTot,
    IbsTot,
    CbsTot,
    Transp,
    Transporta,
    Cobr,
    Dup,
    Pag,
    DetPag,
    Card,
    InfAdic,
    Det,
    Prod,
    Imposto,
    Icms,
    /// `ICMS00`, `ICMSSN102`...: the ICMS group's fields.
    IcmsGroup,
    Ipi,
    IpiGroup,
    Pis,
    PisGroup,
    Cofins,
    CofinsGroup,
    IbsCbs,
    GIbsCbs,
    GIbsUf,
    GIbsMun,
    GCbs,
    /// `infNFeSupl`: the NFC-e's QR code, after `infNFe`.
    Supl,
    /// `protNFe/infProt`.
    Prot,
}

impl At {
    /// Where a child named `name` of an element sitting at `self` sits.
    fn child(self, name: &[u8]) -> At {
        use At::*;
        match self {
            Outside => match name {
                b"infNFe" => Doc,
                b"infProt" => Prot,
                b"infNFeSupl" => Supl,
                _ => Outside,
            },
            Doc => match name {
                b"ide" => Ide,
                b"emit" => Emit,
                b"dest" => Dest,
                b"det" => Det,
                b"total" => Total,
                b"transp" => Transp,
                b"cobr" => Cobr,
                b"pag" => Pag,
                b"infAdic" => InfAdic,
                _ => Skipped,
            },
            Emit if name == b"enderEmit" => EnderEmit,
            Dest if name == b"enderDest" => EnderDest,
            Total => match name {
                b"ICMSTot" => IcmsTot,
                b"IBSCBSTot" => IbsCbsTot,
                _ => Skipped,
            },
            IbsCbsTot => match name {
                b"gIBS" => IbsTot,
                b"gCBS" => CbsTot,
                _ => Skipped,
            },
            Transp if name == b"transporta" => Transporta,
            Cobr if name == b"dup" => Dup,
            Pag => match name {
                b"detPag" => DetPag,
                b"card" => Card,
                _ => Skipped,
            },
            DetPag if name == b"card" => Card,
            Det => match name {
                b"prod" => Prod,
                b"imposto" => Imposto,
                _ => Skipped,
            },
            Imposto => match name {
                b"ICMS" => Icms,
                b"IPI" => Ipi,
                b"PIS" => Pis,
                b"COFINS" => Cofins,
                b"IBSCBS" => IbsCbs,
                _ => Skipped,
            },
            Icms => IcmsGroup,
            Ipi => IpiGroup,
            Pis => PisGroup,
            Cofins => CofinsGroup,
            IbsCbs if name == b"gIBSCBS" => GIbsCbs,
            GIbsCbs => match name {
                b"gIBSUF" => GIbsUf,
                b"gIBSMun" => GIbsMun,
                b"gCBS" => GCbs,
                _ => Skipped,
            },
            _ => Skipped,
        }
    }
}

/// The field a leaf named `name` fills when its parent sits at `parent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Header(usize),
    Item(usize),
    Payment(usize),
    Installment(usize),
}

fn field(parent: At, name: &[u8]) -> Option<Field> {
    use At::*;
    use Field::{Header as H, Installment, Item as It, Payment as P};
    Some(match (parent, name) {
        (Ide, n) => H(match n {
            b"mod" => h!("mod"),
            b"serie" => h!("serie"),
            b"nNF" => h!("n_nf"),
            b"dhEmi" | b"dEmi" => h!("dh_emi"),
            b"tpNF" => h!("tp_nf"),
            b"tpAmb" => h!("tp_amb"),
            b"natOp" => h!("nat_op"),
            _ => return None,
        }),
        (Emit, n) => H(match n {
            b"CNPJ" => h!("emit_cnpj"),
            b"CPF" => h!("emit_cpf"),
            b"IE" => h!("emit_ie"),
            b"xNome" => h!("emit_nome"),
            _ => return None,
        }),
        (EnderEmit, b"UF") => H(h!("emit_uf")),
        (Dest, n) => H(match n {
            b"CNPJ" => h!("dest_cnpj"),
            b"CPF" => h!("dest_cpf"),
            b"idEstrangeiro" => h!("dest_id_estrangeiro"),
            b"xNome" => h!("dest_nome"),
            _ => return None,
        }),
        (EnderDest, b"UF") => H(h!("dest_uf")),
        (IcmsTot, n) => H(match n {
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
        }),
        // 2026 tax reform totals.
        (IbsTot, b"vIBS") => H(h!("v_ibs")),
        (CbsTot, b"vCBS") => H(h!("v_cbs")),
        (Transp, b"modFrete") => H(h!("mod_frete")),
        (Transporta, n) => H(match n {
            b"CNPJ" => h!("transp_cnpj"),
            b"CPF" => h!("transp_cpf"),
            b"xNome" => h!("transp_nome"),
            b"UF" => h!("transp_uf"),
            _ => return None,
        }),
        (InfAdic, b"infCpl") => H(h!("inf_cpl")),
        (Supl, b"qrCode") => H(h!("qr_code")),
        (Supl, b"urlChave") => H(h!("url_chave")),
        (Pag, b"vTroco") => H(h!("v_troco")),
        // Layout 3.10 repeats `pag` itself; 4.00 has `pag/detPag`.
        (Pag | DetPag, n) => P(match n {
            b"indPag" => p!("ind_pag"),
            b"tPag" => p!("t_pag"),
            b"xPag" => p!("x_pag"),
            b"vPag" => p!("v_pag"),
            _ => return None,
        }),
        (Card, n) => P(match n {
            b"tpIntegra" => p!("tp_integra"),
            b"CNPJ" => p!("card_cnpj"),
            b"tBand" => p!("t_band"),
            b"cAut" => p!("c_aut"),
            _ => return None,
        }),
        (Dup, n) => Installment(match n {
            b"nDup" => const { NFE_DUPLICATA.col("n_dup") },
            b"dVenc" => const { NFE_DUPLICATA.col("d_venc") },
            b"vDup" => const { NFE_DUPLICATA.col("v_dup") },
            _ => return None,
        }),
        (Prod, n) => It(match n {
            b"cProd" => i!("c_prod"),
            b"cEAN" => i!("c_ean"),
            b"xProd" => i!("x_prod"),
            b"NCM" => i!("ncm"),
            b"CFOP" => i!("cfop"),
            b"uCom" => i!("u_com"),
            b"qCom" => i!("q_com"),
            b"vUnCom" => i!("v_un_com"),
            b"vProd" => i!("v_prod"),
            b"vDesc" => i!("v_desc"),
            _ => return None,
        }),
        (Imposto, b"vTotTrib") => It(i!("v_tot_trib")),
        (IcmsGroup, n) => It(match n {
            b"orig" => i!("orig"),
            b"CST" => i!("cst"),
            b"CSOSN" => i!("csosn"),
            b"vBC" => i!("v_bc"),
            b"pICMS" => i!("p_icms"),
            b"vICMS" => i!("v_icms"),
            b"vICMSST" => i!("v_icms_st"),
            _ => return None,
        }),
        (IpiGroup, n) => It(match n {
            b"CST" => i!("ipi_cst"),
            b"vBC" => i!("ipi_v_bc"),
            b"pIPI" => i!("p_ipi"),
            b"vIPI" => i!("v_ipi"),
            _ => return None,
        }),
        (PisGroup, n) => It(match n {
            b"CST" => i!("pis_cst"),
            b"vBC" => i!("pis_v_bc"),
            b"pPIS" => i!("p_pis"),
            b"vPIS" => i!("v_pis"),
            _ => return None,
        }),
        (CofinsGroup, n) => It(match n {
            b"CST" => i!("cofins_cst"),
            b"vBC" => i!("cofins_v_bc"),
            b"pCOFINS" => i!("p_cofins"),
            b"vCOFINS" => i!("v_cofins"),
            _ => return None,
        }),
        // 2026 tax reform (IBS and CBS), kept when present.
        (IbsCbs, b"CST") => It(i!("ibs_cbs_cst")),
        (IbsCbs, b"cClassTrib") => It(i!("c_class_trib")),
        (GIbsCbs, b"vBC") => It(i!("ibs_cbs_v_bc")),
        (GIbsCbs, b"vIBS") => It(i!("v_ibs")),
        (GIbsUf, b"pIBSUF") => It(i!("p_ibs_uf")),
        (GIbsUf, b"vIBSUF") => It(i!("v_ibs_uf")),
        (GIbsMun, b"pIBSMun") => It(i!("p_ibs_mun")),
        (GIbsMun, b"vIBSMun") => It(i!("v_ibs_mun")),
        (GCbs, b"pCBS") => It(i!("p_cbs")),
        (GCbs, b"vCBS") => It(i!("v_cbs")),
        _ => return None,
    })
}

/// What a document's status is from its protocol's cStat (cancellation by event is applied by
/// [`MARK_CANCELLED`] in the database).
pub(crate) fn situacao(c_stat: i64) -> &'static str {
    match c_stat {
        100 | 150 => "autorizada",
        101 | 151 | 155 => "cancelada",
        110 | 205 | 301 | 302 | 303 => "denegada",
        _ => "rejeitada",
    }
}

/// Parse a file of the NF-e document family (already UTF-8).
pub fn parse(xml: &str, src: &Source, opts: &ParseOptions) -> Result<Vec<Doc>, FileError> {
    let parsed = parse_xml(xml, src)?;
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

fn parse_xml(xml: &str, src: &Source) -> Result<Vec<Builder>, FileError> {
    let mut events = xml::Events::new(xml);
    // The open elements: their names (for messages) and where they sit.
    let mut stack: Vec<(&[u8], At)> = Vec::with_capacity(16);
    let mut text = Text::default();
    let mut docs: Vec<Builder> = Vec::new();
    let mut prot: Option<Prot> = None;
    // Layout 3.10 repeats `pag` itself; 4.00 repeats `pag/detPag`. A row opened for a `pag`
    // that turns out to hold `detPag`s is dropped.
    let mut pag_row: Option<usize> = None;
    loop {
        match events.next(src)? {
            Event::Start(e) => {
                let name = e.local();
                let parent = stack.last().map_or(At::Outside, |&(_, at)| at);
                let at = parent.child(name);
                match at {
                    At::Doc => docs.push(Builder::start(&e)?),
                    At::Det => {
                        let doc = docs.last_mut().expect("doc open");
                        doc.items.push(vec![Value::Null; NFE_ITEM.columns.len()]);
                        if let Some(n) = e.attr(b"nItem")? {
                            doc.set(Field::Item(I_N_ITEM), &n);
                        }
                    }
                    At::Pag => {
                        let doc = docs.last_mut().expect("doc open");
                        pag_row = Some(doc.payments.len());
                        doc.payments.push(doc.payment_row());
                    }
                    At::DetPag => {
                        let doc = docs.last_mut().expect("doc open");
                        if let Some(r) = pag_row.take() {
                            doc.payments.truncate(r);
                        }
                        doc.payments.push(doc.payment_row());
                    }
                    At::Dup => {
                        let doc = docs.last_mut().expect("doc open");
                        doc.installments
                            .push(vec![Value::Null; NFE_DUPLICATA.columns.len()]);
                    }
                    At::Prot => prot = Some(Prot::default()),
                    _ => {}
                }
                stack.push((name, at));
                text.clear();
            }
            Event::Text(t) => text.push(t)?,
            Event::CData(t) => text.push_verbatim(t),
            Event::End => {
                let (name, at) = stack.pop().expect("the scanner checks end tags");
                let parent = stack.last().map_or(At::Outside, |&(_, at)| at);
                match at {
                    At::Prot => {
                        if let Some(p) = prot.take() {
                            attach(&mut docs, p)?;
                        }
                    }
                    At::Pag => pag_row = None,
                    _ if text.is_empty() => {}
                    _ if parent == At::Prot => {
                        if let Some(p) = prot.as_mut() {
                            let v = Some(text.get().to_owned());
                            match name {
                                b"chNFe" => p.ch_nfe = v,
                                b"nProt" => p.n_prot = v,
                                b"cStat" => p.c_stat = v,
                                b"dhRecbto" => p.dh_recbto = v,
                                _ => {}
                            }
                        }
                    }
                    _ => {
                        if let Some(f) = field(parent, name)
                            && let Some(doc) = docs.last_mut()
                        {
                            doc.set(f, text.get());
                        }
                    }
                }
                text.clear();
            }
            Event::Eof => return Ok(docs),
            Event::Empty(_) => {}
        }
    }
}

/// Which of a file's documents (their keys as read, `None` when absent) a protocol naming
/// `key` belongs to: the one with that key, or the only one when it has none; the last when
/// the protocol names none. `None`: no document.
pub(crate) fn protocol_target(ids: &[Option<&str>], key: Option<&str>) -> Option<usize> {
    match key {
        Some(k) => ids
            .iter()
            .position(|id| *id == Some(k))
            .or_else(|| (ids.len() == 1 && ids[0].is_none()).then_some(0)),
        None => ids.len().checked_sub(1),
    }
}

/// Attach a protocol to the document it names, or to the only/last one when it names none.
fn attach(docs: &mut [Builder], p: Prot) -> Result<(), FileError> {
    let ids: Vec<Option<&str>> = docs.iter().map(|d| d.id.as_deref()).collect();
    let Some(i) = protocol_target(&ids, p.ch_nfe.as_deref()) else {
        return Ok(());
    };
    let doc = &mut docs[i];
    if doc.id.is_none() {
        doc.id = p.ch_nfe;
    }
    let h = &mut doc.header;
    h[H_N_PROT] = p.n_prot.map_or(Value::Null, |s| Value::Text(s.into()));
    h[H_C_STAT] = match p.c_stat {
        Some(s) => typed(&NFE, H_C_STAT, &s, ErrorType::NfeInvalidField)?,
        None => Value::Null,
    };
    h[H_SITUACAO] = match h[H_C_STAT] {
        Value::Int(c) => Value::Text(situacao(c).into()),
        _ => Value::Null,
    };
    h[H_DH_RECBTO] = p.dh_recbto.map_or(Value::Null, |s| Value::Text(s.into()));
    Ok(())
}

impl Builder {
    fn start(e: &Tag) -> Result<Builder, FileError> {
        let mut header = vec![Value::Null; NFE.columns.len()];
        if let Some(v) = e.attr(b"versao")? {
            header[H_VERSAO] = Value::Text(v.into());
        }
        let id = e
            .attr(b"Id")?
            .map(|id| id.strip_prefix("NFe").map(str::to_owned).unwrap_or(id));
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

    /// Set a field: a column of the header, or of the last row of a child table.
    fn set(&mut self, field: Field, text: &str) {
        let (table, c, row) = match field {
            Field::Header(c) => (&NFE, c, Some(&mut self.header)),
            Field::Item(c) => (&NFE_ITEM, c, self.items.last_mut()),
            Field::Payment(c) => (&NFE_PAGAMENTO, c, self.payments.last_mut()),
            Field::Installment(c) => (&NFE_DUPLICATA, c, self.installments.last_mut()),
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
        let (valid, warning) = super::check_key(&key, &super::NFE_KEY, opts)?;
        if let Some(e) = field_error {
            return Err(e);
        }
        header[H_CHAVE] = Value::Text(key.as_str().into());
        header[H_CHAVE_VALIDA] = Value::Int(valid as i64);
        header[H_PATH] = Value::Text(src.origin.into());
        header[H_SHA256] = Value::Text(src.sha256.into());
        let mut rows = Vec::with_capacity(1 + items.len() + payments.len() + installments.len());
        rows.push(Row {
            table: &NFE,
            values: header,
        });
        for (i, mut item) in items.into_iter().enumerate() {
            item[I_CHAVE] = Value::Text(key.as_str().into());
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
            values[0] = Value::Text(key.as_str().into());
            rows.push(Row { table, values });
        }
        Ok(Doc { key, rows, warning })
    }
}
