//! Brazil's MDF-e (model 58), the manifest of a vehicle's cargo, layouts 1.00 and 3.00:
//! `mdfeProc` or a bare `MDFe`, with or without the namespace; and its events
//! (`procEventoMDFe`, `eventoMDFe`, `retEventoMDFe`), all of kind `mdfe`.
//!
//! One row in `mdfe` (modal, UFs of start and end, totals, protocol) and one in
//! `mdfe_documento` per CT-e, NF-e or MDF-e key it lists. Closing (`encerramento`, 110112)
//! and cancellation (110111) events set its `situacao` whichever arrives first. The reading
//! itself is [`super::freight`]'s, shared with CT-e.

use super::freight::{EventLayout, Freight, Layout, Target, mark_cancelled};
use super::nfe::KeyRule;
use super::nfe::evento::event_table;
use super::nfe::nota::document_table;
use super::{AfterWrite, ColType, Table, col};
use crate::error::ErrorType;

use ColType::{Integer as I, Numeric as N, Text as T};

/// MDF-e keys: model 58.
pub const MDFE_KEY: KeyRule = KeyRule {
    document: "MDF-e",
    models: &["58"],
    invalid: ErrorType::MdfeInvalidKey,
    bad_check_digit: ErrorType::MdfeBadCheckDigit,
};

/// Marks an MDF-e `encerrada` when a homologated closing event is stored, unless cancelled.
const MARK_CLOSED: &str = "UPDATE mdfe SET situacao = 'encerrada'
    WHERE chave {keys} AND situacao IS DISTINCT FROM 'cancelada'
        AND situacao IS DISTINCT FROM 'encerrada' AND EXISTS (
        SELECT 1 FROM mdfe_evento e WHERE e.chave = mdfe.chave AND e.tp_evento = '110112'
            AND e.c_stat IN (135, 136))";

/// Marks an MDF-e `cancelada` when a homologated cancellation event is stored
/// ([`mark_cancelled`]). Run after [`MARK_CLOSED`], so cancellation wins whatever order the
/// events came in.
const MARK_CANCELLED: &str = mark_cancelled!("mdfe");

/// `mdfe`: one row per access key.
pub static MDFE: Table = document_table!(
    "mdfe",
    [
        col("n_mdf", I),
        col("dh_emi", T),
        col("tp_amb", I),
        col("tp_emit", I),
        col("modal", T),
        col("uf_ini", T),
        col("uf_fim", T),
        col("emit_cnpj", T),
        col("emit_cpf", T),
        col("emit_ie", T),
        col("emit_nome", T),
        col("emit_uf", T),
        col("q_cte", I),
        col("q_nfe", I),
        col("q_mdfe", I),
        col("v_carga", N),
        col("c_unid", T),
        col("q_carga", N),
    ],
    &[
        AfterWrite {
            sql: MARK_CLOSED,
            reads: "mdfe_evento",
        },
        AfterWrite {
            sql: MARK_CANCELLED,
            reads: "mdfe_evento",
        },
    ]
);

/// `mdfe_documento`: the CT-e, NF-e and MDF-e keys an MDF-e lists
/// (`infDoc/infMunDescarga/infCTe/chCTe`, `infNFe/chNFe`, `infMDFeTransp/chMDFe`).
pub static MDFE_DOCUMENTO: Table = Table {
    name: "mdfe_documento",
    columns: &[
        col("chave", T),
        col("n", I),
        col("tipo", T),
        col("chave_doc", T),
    ],
    indexed: &["chave", "chave_doc"],
    parent: Some(&MDFE),
    ..Table::BASE
};

/// `mdfe_evento`: MDF-e events (see [`event_table`]); a closing event's date and place too.
pub static MDFE_EVENTO: Table = event_table!(
    "mdfe_evento",
    ["dt_enc", "c_uf_enc", "c_mun_enc"],
    &[
        AfterWrite {
            sql: MARK_CLOSED,
            reads: "mdfe",
        },
        AfterWrite {
            sql: MARK_CANCELLED,
            reads: "mdfe",
        },
    ]
);

/// Column index in `mdfe`, computed at compile time.
macro_rules! h {
    ($name:literal) => {
        Target::Head(const { MDFE.col($name) })
    };
}

/// A key `mdfe_documento` lists, of this kind.
const fn listed(tipo: &'static str) -> Target {
    Target::List(
        &MDFE_DOCUMENTO,
        MDFE_DOCUMENTO.col("chave_doc"),
        Some((MDFE_DOCUMENTO.col("tipo"), tipo)),
    )
}

/// Where a leaf inside `infMDFe` goes, besides the ones every freight layout has
/// ([`super::freight::common_leaf`]).
fn leaf(_grand: &[u8], parent: &[u8], name: &[u8]) -> Option<Target> {
    Some(match (parent, name) {
        (b"ide", b"nMDF") => h!("n_mdf"),
        (b"ide", b"tpEmit") => h!("tp_emit"),
        (b"tot", n) => match n {
            b"qCTe" => h!("q_cte"),
            b"qNFe" => h!("q_nfe"),
            b"qMDFe" => h!("q_mdfe"),
            b"vCarga" => h!("v_carga"),
            b"cUnid" => h!("c_unid"),
            b"qCarga" => h!("q_carga"),
            _ => return None,
        },
        // 1.00 also had `qCT` and `qNF` (paper documents) beside `qCTe` and `qNFe`.
        (b"infCTe", b"chCTe") => const { listed("cte") },
        (b"infNFe", b"chNFe") => const { listed("nfe") },
        (b"infMDFeTransp", b"chMDFe") => const { listed("mdfe") },
        _ => return None,
    })
}

/// An MDF-e's status from its protocol's cStat: NF-e's codes, and 132 (closed).
fn situacao(c_stat: i64) -> &'static str {
    match c_stat {
        132 => "encerrada",
        c => super::nfe::nota::situacao(c),
    }
}

/// The MDF-e format: documents (`mdfeProc`, `MDFe`) and events.
pub(super) static FORMAT: Freight = Freight {
    kind: "mdfe",
    tables: &[&MDFE, &MDFE_DOCUMENTO, &MDFE_EVENTO],
    doc_roots: &[b"mdfeProc", b"MDFe"],
    event_roots: &[b"procEventoMDFe", b"eventoMDFe", b"retEventoMDFe"],
    docs: Layout {
        main: &MDFE,
        doc: b"infMDFe",
        id_prefix: "MDFe",
        prot_key: b"chMDFe",
        key: &MDFE_KEY,
        missing_key: ErrorType::MdfeMissingKey,
        invalid_field: ErrorType::MdfeInvalidField,
        opens: |_, _| None,
        leaf,
        situacao,
        complete: |_| {},
    },
    // Closing's date and place come from `detEvento/evEncMDFe`.
    events: EventLayout {
        table: &MDFE_EVENTO,
        request: b"eventoMDFe",
        answer: b"retEventoMDFe",
        key_leaf: b"chMDFe",
        seq_digits: 2,
        key: &MDFE_KEY,
        missing_key: ErrorType::MdfeMissingKey,
        invalid_field: ErrorType::MdfeInvalidField,
        detail: |name| match name {
            b"descEvento" => Some("desc_evento"),
            b"xJust" => Some("x_just"),
            b"dtEnc" => Some("dt_enc"),
            b"cUF" => Some("c_uf_enc"),
            b"cMun" => Some("c_mun_enc"),
            _ => None,
        },
    },
};
