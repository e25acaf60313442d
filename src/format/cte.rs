//! Brazil's CT-e (model 57) and CT-e OS (model 67), layouts 1.03, 1.04, 2.00, 3.00 and 4.00:
//! `cteProc`, a bare `CTe`, `cteOSProc` and a bare `CTeOS`, with or without their protocol;
//! and their events (`procEventoCTe`, `eventoCTe`, `retEventoCTe`), all of kind `cte`.
//!
//! What freight analysis needs is one row in `cte`: the parties (the payer, `toma`, resolved
//! to its CNPJ/CPF and name whichever party it is), the route, the amounts and the protocol.
//! The service's components and the cargo's quantities are child tables, and the NF-e keys a
//! CT-e carries go to `cte_nfe`, so freight per NF-e is one join whichever was stored first.
//! The reading itself is [`super::freight`]'s, shared with MDF-e.

use super::freight::{EventLayout, Freight, Layout, Target, mark_cancelled};
use super::nfe::KeyRule;
use super::nfe::evento::event_table;
use super::nfe::nota::document_table;
use super::{AfterWrite, ColType, Table, Value, col};
use crate::error::ErrorType;

use ColType::{Integer as I, Numeric as N, Text as T};

/// CT-e and CT-e OS keys: model 57 or 67.
pub const CTE_KEY: KeyRule = KeyRule {
    document: "CT-e",
    models: &["57", "67"],
    invalid: ErrorType::CteInvalidKey,
    bad_check_digit: ErrorType::CteBadCheckDigit,
};

/// Marks a CT-e `cancelada` when a homologated cancellation event (110111) for its key is
/// stored ([`mark_cancelled`]).
const MARK_CANCELLED: &str = mark_cancelled!("cte");

/// `cte`: one row per access key.
pub static CTE: Table = document_table!(
    "cte",
    [
        col("n_ct", I),
        col("dh_emi", T),
        col("tp_amb", I),
        col("tp_cte", I),
        col("cfop", T),
        col("nat_op", T),
        col("modal", T),
        col("tp_serv", I),
        col("c_mun_ini", T),
        col("uf_ini", T),
        col("c_mun_fim", T),
        col("uf_fim", T),
        col("toma", I),
        col("emit_cnpj", T),
        col("emit_cpf", T),
        col("emit_ie", T),
        col("emit_nome", T),
        col("emit_uf", T),
        col("rem_cnpj", T),
        col("rem_cpf", T),
        col("rem_nome", T),
        col("exped_cnpj", T),
        col("exped_cpf", T),
        col("exped_nome", T),
        col("receb_cnpj", T),
        col("receb_cpf", T),
        col("receb_nome", T),
        col("dest_cnpj", T),
        col("dest_cpf", T),
        col("dest_nome", T),
        col("toma_cnpj", T),
        col("toma_cpf", T),
        col("toma_nome", T),
        col("v_t_prest", N),
        col("v_rec", N),
        col("cst", T),
        col("v_bc", N),
        col("p_icms", N),
        col("v_icms", N),
        col("v_tot_trib", N),
        col("v_carga", N),
        col("pro_pred", T),
        col("x_desc_serv", T),
    ],
    &[AfterWrite {
        sql: MARK_CANCELLED,
        reads: "cte_evento",
    }]
);

/// `cte_componente`: the service's components (`vPrest/Comp`).
pub static CTE_COMPONENTE: Table = Table {
    name: "cte_componente",
    columns: &[
        col("chave", T),
        col("n", I),
        col("x_nome", T),
        col("v_comp", N),
    ],
    indexed: &["chave"],
    parent: Some(&CTE),
    ..Table::BASE
};

/// `cte_quantidade`: the cargo's quantities (`infCarga/infQ`; CT-e OS's `infServico/infQ`).
pub static CTE_QUANTIDADE: Table = Table {
    name: "cte_quantidade",
    columns: &[
        col("chave", T),
        col("n", I),
        col("c_unid", T),
        col("tp_med", T),
        col("q_carga", N),
    ],
    indexed: &["chave"],
    parent: Some(&CTE),
    ..Table::BASE
};

/// `cte_nfe`: the NF-e keys a CT-e carries (`infNFe/chave`), indexed both ways: a plain join
/// to `nfe` gives an NF-e's freight, whichever was stored first.
pub static CTE_NFE: Table = Table {
    name: "cte_nfe",
    columns: &[col("chave", T), col("n", I), col("chave_nfe", T)],
    indexed: &["chave", "chave_nfe"],
    parent: Some(&CTE),
    ..Table::BASE
};

/// `cte_evento`: CT-e events (see [`event_table`]).
pub static CTE_EVENTO: Table = event_table!(
    "cte_evento",
    [],
    &[AfterWrite {
        sql: MARK_CANCELLED,
        reads: "cte",
    }]
);

/// Column index in `cte`, computed at compile time.
macro_rules! h {
    ($name:literal) => {
        Target::Head(const { CTE.col($name) })
    };
}

/// The child table a row of which an element opens.
fn opens(parent: &[u8], name: &[u8]) -> Option<&'static Table> {
    match (parent, name) {
        (b"vPrest", b"Comp") => Some(&CTE_COMPONENTE),
        (b"infCarga" | b"infServico", b"infQ") => Some(&CTE_QUANTIDADE),
        _ => None,
    }
}

/// Where a leaf inside `infCte` goes, besides the ones every freight layout has
/// ([`super::freight::common_leaf`]).
fn leaf(grand: &[u8], parent: &[u8], name: &[u8]) -> Option<Target> {
    Some(match (parent, name) {
        (b"ide", n) => match n {
            b"nCT" => h!("n_ct"),
            b"tpCTe" => h!("tp_cte"),
            b"CFOP" => h!("cfop"),
            b"natOp" => h!("nat_op"),
            b"tpServ" => h!("tp_serv"),
            b"cMunIni" => h!("c_mun_ini"),
            b"cMunFim" => h!("c_mun_fim"),
            _ => return None,
        },
        // `toma03` (1.0x, 2.00), `toma3` (3.00+), `toma4` (another party; `toma` = 4).
        (b"toma03" | b"toma3" | b"toma4", b"toma") => h!("toma"),
        // The payer named in full: `ide/toma4` (CT-e), `infCte/toma` (CT-e OS).
        (b"toma4" | b"toma", n) if grand == b"ide" || grand == b"infCte" => match n {
            b"CNPJ" => h!("toma_cnpj"),
            b"CPF" => h!("toma_cpf"),
            b"xNome" => h!("toma_nome"),
            _ => return None,
        },
        (party @ (b"rem" | b"exped" | b"receb" | b"dest"), n) => {
            let c = match n {
                b"CNPJ" => 0,
                b"CPF" => 1,
                b"xNome" => 2,
                _ => return None,
            };
            let first = match party {
                b"rem" => const { CTE.col("rem_cnpj") },
                b"exped" => const { CTE.col("exped_cnpj") },
                b"receb" => const { CTE.col("receb_cnpj") },
                _ => const { CTE.col("dest_cnpj") },
            };
            Target::Head(first + c)
        }
        (b"vPrest", b"vTPrest") => h!("v_t_prest"),
        (b"vPrest", b"vRec") => h!("v_rec"),
        (b"Comp", b"xNome") => {
            Target::Child(&CTE_COMPONENTE, const { CTE_COMPONENTE.col("x_nome") })
        }
        (b"Comp", b"vComp") => {
            Target::Child(&CTE_COMPONENTE, const { CTE_COMPONENTE.col("v_comp") })
        }
        (b"imp", b"vTotTrib") => h!("v_tot_trib"),
        // `ICMS00`, `ICMS20`, `ICMSOutraUF`, `ICMSSN`... (1.03's `CST00` too).
        (_, n) if grand == b"ICMS" => match n {
            b"CST" => h!("cst"),
            b"vBC" | b"vBCOutraUF" => h!("v_bc"),
            b"pICMS" | b"pICMSOutraUF" => h!("p_icms"),
            b"vICMS" | b"vICMSOutraUF" => h!("v_icms"),
            _ => return None,
        },
        // 1.03's `vMerc`.
        (b"infCarga", b"vCarga" | b"vMerc") => h!("v_carga"),
        (b"infCarga", b"proPred") => h!("pro_pred"),
        (b"infServico", b"xDescServ") => h!("x_desc_serv"),
        (b"infQ", n) => Target::Child(
            &CTE_QUANTIDADE,
            match n {
                b"cUnid" => const { CTE_QUANTIDADE.col("c_unid") },
                b"tpMed" => const { CTE_QUANTIDADE.col("tp_med") },
                b"qCarga" => const { CTE_QUANTIDADE.col("q_carga") },
                _ => return None,
            },
        ),
        // `infDoc/infNFe` (2.00+), `rem/infNFe` (1.0x).
        (b"infNFe", b"chave") => Target::List(&CTE_NFE, const { CTE_NFE.col("chave_nfe") }, None),
        _ => return None,
    })
}

/// The payer's CNPJ/CPF and name, copied from the party `toma` (0-3) names: sender, shipper,
/// receiver, recipient. `toma` 4 (and CT-e OS) name the payer in full already.
fn resolve_payer(row: &mut [Value]) {
    let party = match row[const { CTE.col("toma") }] {
        Value::Int(0) => "rem",
        Value::Int(1) => "exped",
        Value::Int(2) => "receb",
        Value::Int(3) => "dest",
        _ => return,
    };
    let first = CTE.col(&format!("{party}_cnpj"));
    let toma = const { CTE.col("toma_cnpj") };
    for i in 0..3 {
        row[toma + i] = row[first + i].clone();
    }
}

/// The CT-e format: documents (`cteProc`, `CTe`, `cteOSProc`, `CTeOS`) and events.
pub(super) static FORMAT: Freight = Freight {
    kind: "cte",
    tables: &[
        &CTE,
        &CTE_COMPONENTE,
        &CTE_QUANTIDADE,
        &CTE_NFE,
        &CTE_EVENTO,
    ],
    doc_roots: &[b"cteProc", b"CTe", b"cteOSProc", b"CTeOS"],
    event_roots: &[b"procEventoCTe", b"eventoCTe", b"retEventoCTe"],
    docs: Layout {
        main: &CTE,
        doc: b"infCte",
        id_prefix: "CTe",
        prot_key: b"chCTe",
        key: &CTE_KEY,
        missing_key: ErrorType::CteMissingKey,
        invalid_field: ErrorType::CteInvalidField,
        opens,
        leaf,
        situacao: super::nfe::nota::situacao,
        complete: resolve_payer,
    },
    // Cancellation's `xJust` is read from `detEvento/evCancCTe`.
    events: EventLayout {
        table: &CTE_EVENTO,
        request: b"eventoCTe",
        answer: b"retEventoCTe",
        key_leaf: b"chCTe",
        seq_digits: 3,
        key: &CTE_KEY,
        missing_key: ErrorType::CteMissingKey,
        invalid_field: ErrorType::CteInvalidField,
        detail: |name| match name {
            b"descEvento" => Some("desc_evento"),
            b"xJust" => Some("x_just"),
            _ => None,
        },
    },
};
