//! Brazil's municipal NFS-e in the ABRASF layout, which most municipalities' systems still
//! issue: `CompNfse` holding `Nfse/InfNfse` (layout 1.00: the service, its values and the
//! provider in `InfNfse` itself; layouts 2.01 to 2.04: the provider's declaration in
//! `DeclaracaoPrestacaoServico/InfDeclaracaoPrestacaoServico`, the municipality's own figures
//! in `ValoresNfse`), and after it, when the NFS-e was cancelled or replaced,
//! `NfseCancelamento` and `NfseSubstituicao`. Kind `nfse_abrasf`.
//!
//! Read with or without a namespace (`http://www.abrasf.org.br/nfse.xsd`, a provider's own
//! such as GINFES's, any prefix: one streaming pass over local names, a leaf placed by the
//! names above it), as a bare `CompNfse` or `Nfse`, or inside the web services' answers that
//! list them (`ConsultarNfseResposta`, `ConsultarLoteRpsResposta`, `GerarNfseResposta`,
//! `ConsultarNfseRpsResposta`, `EnviarLoteRpsSincronoResposta`, `ConsultarNfseServico*`...):
//! each `InfNfse` one document. A cancellation answer (`CancelarNfseResposta`, or an
//! `NfseCancelamento` alone) is a document of its own.
//!
//! An ABRASF NFS-e has no access key: it is identified by the municipality that generated it
//! (`OrgaoGerador/CodigoMunicipio`, else the provider's address's), its provider (CNPJ, else
//! CPF, else `IM` and the inscrição municipal) and its number, which `chave` joins:
//! `3106200-99999999000191-200900000000428`. A cancellation (`nfse_abrasf_cancelamento`,
//! keyed alike, from the `IdentificacaoNfse` of a cancellation answer, or from the `CompNfse`
//! that holds it) sets `situacao` to `cancelada` whichever arrives first.

use super::xml::{self, Event, Text};
use super::{
    AfterWrite, ColType, Doc, Format, ParseOptions, Row, Sniff, Source, Table, Value, col,
    contains, typed,
};
use crate::error::{ErrorType, FileError};

use ColType::{Integer as I, Numeric as N, Text as T};

/// The kind name.
pub const KIND: &str = "nfse_abrasf";

/// Marks an NFS-e `cancelada` when a cancellation of its key is stored. Run after an NFS-e is
/// written and after a cancellation is written, so their order does not matter.
const MARK_CANCELLED: &str = "UPDATE nfse_abrasf SET situacao = 'cancelada'
    WHERE chave {keys} AND situacao IS DISTINCT FROM 'cancelada' AND EXISTS (
        SELECT 1 FROM nfse_abrasf_cancelamento c WHERE c.chave = nfse_abrasf.chave)";

/// `nfse_abrasf`: one row per municipality, provider and number.
pub static NFSE_ABRASF: Table = Table {
    name: "nfse_abrasf",
    columns: &[
        col("chave", T),
        col("versao", T),
        col("numero", I),
        col("codigo_verificacao", T),
        col("data_emissao", T),
        col("competencia", T),
        col("natureza_operacao", I),
        col("exigibilidade_iss", I),
        col("regime_especial_tributacao", I),
        col("optante_simples_nacional", I),
        col("incentivo_fiscal", I),
        col("rps_numero", T),
        col("rps_serie", T),
        col("rps_tipo", I),
        col("data_emissao_rps", T),
        col("nfse_substituida", T),
        col("nfse_substituidora", T),
        col("c_mun_gerador", T),
        col("uf_gerador", T),
        col("prest_cnpj", T),
        col("prest_cpf", T),
        col("prest_im", T),
        col("prest_nome", T),
        col("prest_nome_fantasia", T),
        col("prest_c_mun", T),
        col("prest_uf", T),
        col("toma_cnpj", T),
        col("toma_cpf", T),
        col("toma_nif", T),
        col("toma_im", T),
        col("toma_nome", T),
        col("toma_c_mun", T),
        col("toma_uf", T),
        col("interm_cnpj", T),
        col("interm_cpf", T),
        col("interm_nome", T),
        col("item_lista_servico", T),
        col("codigo_cnae", T),
        col("codigo_tributacao_municipio", T),
        col("discriminacao", T),
        col("c_mun_prestacao", T),
        col("c_mun_incidencia", T),
        col("v_servicos", N),
        col("v_deducoes", N),
        col("v_pis", N),
        col("v_cofins", N),
        col("v_inss", N),
        col("v_ir", N),
        col("v_csll", N),
        col("outras_retencoes", N),
        col("iss_retido", I),
        col("responsavel_retencao", I),
        col("v_iss", N),
        col("v_iss_retido", N),
        col("base_calculo", N),
        col("aliquota", N),
        col("v_liquido", N),
        col("desconto_incondicionado", N),
        col("desconto_condicionado", N),
        col("v_credito", N),
        col("outras_informacoes", T),
        col("situacao", T),
        col("path", T),
        col("sha256", T),
    ],
    primary_key: &["chave"],
    // A municipal provider may be a person: `export --issuer CPF` finds it by its index too.
    indexed: &["prest_cnpj", "prest_cpf", "toma_cnpj"],
    after_write: &[AfterWrite {
        sql: MARK_CANCELLED,
        reads: "nfse_abrasf_cancelamento",
    }],
    ..Table::BASE
};

/// `nfse_abrasf_cancelamento`: one confirmed cancellation per NFS-e key.
pub static NFSE_ABRASF_CANCELAMENTO: Table = Table {
    name: "nfse_abrasf_cancelamento",
    columns: &[
        col("chave", T),
        col("numero", I),
        col("c_mun", T),
        col("prest_cnpj", T),
        col("prest_cpf", T),
        col("prest_im", T),
        col("codigo_cancelamento", T),
        col("dh_cancelamento", T),
        col("path", T),
        col("sha256", T),
    ],
    primary_key: &["chave"],
    after_write: &[AfterWrite {
        sql: MARK_CANCELLED,
        reads: "nfse_abrasf",
    }],
    ..Table::BASE
};

static TABLES: &[&Table] = &[&NFSE_ABRASF, &NFSE_ABRASF_CANCELAMENTO];

/// The ABRASF NFS-e format.
pub struct NfseAbrasf;

/// How the web services' answers that may list NFS-e begin (`ConsultarNfseResposta`,
/// `GerarNfseResposta`, `CancelarNfseResposta`...).
const ANSWERS: [&[u8]; 6] = [
    b"Consultar",
    b"Gerar",
    b"Enviar",
    b"Recepcionar",
    b"Cancelar",
    b"Substituir",
];

impl Format for NfseAbrasf {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn tables(&self) -> &'static [&'static Table] {
        TABLES
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        let names: Vec<&[u8]> = sniff.xml_elements.iter().map(|n| n.as_bytes()).collect();
        match names.as_slice() {
            // `Nfse` as ABRASF spells it: the national layout's is `NFSe`.
            [b"CompNfse", ..] | [b"Nfse", b"InfNfse", ..] => true,
            [b"NfseCancelamento" | b"RetCancelamento", ..] => true,
            // An answer is a document when it lists one: one holding only its messages
            // (`ListaMensagemRetorno`) stays `unsupported`.
            [root, ..] if ANSWERS.iter().any(|a| root.starts_with(a)) => {
                contains(sniff.bytes, b"CompNfse")
                    || (root.starts_with(b"Cancelar") && contains(sniff.bytes, b"Confirmacao"))
            }
            _ => false,
        }
    }

    fn parse(
        &self,
        sniff: &Sniff,
        src: &Source,
        _opts: &ParseOptions,
    ) -> Result<Vec<Doc>, FileError> {
        let utf8 = xml::to_utf8(sniff.bytes)?;
        read(&utf8, src)
    }
}

/// A provider's identification leaf (`Cnpj` in 1.00, `CpfCnpj/Cnpj` or `CpfCnpj/Cpf` in 2.0x,
/// `InscricaoMunicipal`): its column, as the NFS-e names the provider, or filling an empty one
/// as its declaration does (2.0x; 2.04 names it there only).
fn provider_leaf(path: &[&[u8]]) -> Option<(&'static str, bool)> {
    for depth in [1, 2] {
        let Some(split) = path.len().checked_sub(depth) else {
            continue;
        };
        let (parent, id) = path.split_at(split);
        let fill_only = match parent {
            [.., b"PrestadorServico", b"IdentificacaoPrestador"] => false,
            [.., b"InfDeclaracaoPrestacaoServico", b"Prestador"] => true,
            _ => continue,
        };
        let column = match id {
            [b"Cnpj"] | [b"CpfCnpj", b"Cnpj"] => "prest_cnpj",
            [b"CpfCnpj", b"Cpf"] => "prest_cpf",
            [b"InscricaoMunicipal"] => "prest_im",
            _ => continue,
        };
        return Some((column, fill_only));
    }
    None
}

/// Where a leaf of `InfNfse` goes: its column, and whether it only fills an empty one (what
/// the provider declared, after what the NFS-e itself says).
fn leaf(path: &[&[u8]]) -> Option<(&'static str, bool)> {
    if let Some(provider) = provider_leaf(path) {
        return Some(provider);
    }
    let set = |c| Some((c, false));
    let if_empty = |c| Some((c, true));
    match path {
        [.., b"InfNfse", n] => match *n {
            b"Numero" => set("numero"),
            b"CodigoVerificacao" => set("codigo_verificacao"),
            b"DataEmissao" => set("data_emissao"),
            b"DataEmissaoRps" => set("data_emissao_rps"),
            b"NaturezaOperacao" => set("natureza_operacao"),
            b"RegimeEspecialTributacao" => set("regime_especial_tributacao"),
            b"OptanteSimplesNacional" => set("optante_simples_nacional"),
            b"IncentivadorCultural" => set("incentivo_fiscal"),
            b"Competencia" => set("competencia"),
            b"NfseSubstituida" => set("nfse_substituida"),
            b"OutrasInformacoes" => set("outras_informacoes"),
            b"ValorCredito" => set("v_credito"),
            _ => None,
        },
        // 1.00's `InfNfse/IdentificacaoRps`, 2.0x's `Rps/IdentificacaoRps`.
        [.., b"InfNfse" | b"Rps", b"IdentificacaoRps", n] => match *n {
            b"Numero" => set("rps_numero"),
            b"Serie" => set("rps_serie"),
            b"Tipo" => set("rps_tipo"),
            _ => None,
        },
        [.., b"InfDeclaracaoPrestacaoServico", b"Rps", b"DataEmissao"] => set("data_emissao_rps"),
        [.., b"InfDeclaracaoPrestacaoServico", n] => match *n {
            b"Competencia" => set("competencia"),
            b"RegimeEspecialTributacao" => set("regime_especial_tributacao"),
            b"OptanteSimplesNacional" => set("optante_simples_nacional"),
            b"IncentivoFiscal" => set("incentivo_fiscal"),
            _ => None,
        },
        // 2.0x: what the municipality computed wins over what the provider declared.
        [.., b"InfNfse", b"ValoresNfse", n] => match *n {
            b"BaseCalculo" => set("base_calculo"),
            b"Aliquota" => set("aliquota"),
            b"ValorIss" => set("v_iss"),
            b"ValorLiquidoNfse" => set("v_liquido"),
            _ => None,
        },
        [.., b"Servico", b"Valores", n] => match *n {
            b"ValorServicos" => set("v_servicos"),
            b"ValorDeducoes" => set("v_deducoes"),
            b"ValorPis" => set("v_pis"),
            b"ValorCofins" => set("v_cofins"),
            b"ValorInss" => set("v_inss"),
            b"ValorIr" => set("v_ir"),
            b"ValorCsll" => set("v_csll"),
            b"OutrasRetencoes" => set("outras_retencoes"),
            b"IssRetido" => set("iss_retido"),
            b"ValorIssRetido" => set("v_iss_retido"),
            b"DescontoIncondicionado" => set("desconto_incondicionado"),
            b"DescontoCondicionado" => set("desconto_condicionado"),
            b"ValorIss" => if_empty("v_iss"),
            b"Aliquota" => if_empty("aliquota"),
            b"BaseCalculo" => if_empty("base_calculo"),
            b"ValorLiquidoNfse" => if_empty("v_liquido"),
            _ => None,
        },
        [.., b"Servico", n] => match *n {
            b"IssRetido" => set("iss_retido"),
            b"ResponsavelRetencao" => set("responsavel_retencao"),
            b"ItemListaServico" => set("item_lista_servico"),
            b"CodigoCnae" => set("codigo_cnae"),
            b"CodigoTributacaoMunicipio" => set("codigo_tributacao_municipio"),
            b"Discriminacao" => set("discriminacao"),
            b"CodigoMunicipio" => set("c_mun_prestacao"),
            b"MunicipioIncidencia" => set("c_mun_incidencia"),
            b"ExigibilidadeISS" => set("exigibilidade_iss"),
            _ => None,
        },
        [.., b"PrestadorServico", n] => match *n {
            b"RazaoSocial" => set("prest_nome"),
            b"NomeFantasia" => set("prest_nome_fantasia"),
            _ => None,
        },
        [.., b"PrestadorServico", b"Endereco", n] => match *n {
            b"CodigoMunicipio" => set("prest_c_mun"),
            b"Uf" => set("prest_uf"),
            _ => None,
        },
        // The taker: `TomadorServico` (1.00, 2.04) or `Tomador` (2.01, 2.02).
        [
            ..,
            b"TomadorServico" | b"Tomador",
            b"IdentificacaoTomador",
            b"CpfCnpj",
            n,
        ] => match *n {
            b"Cnpj" => set("toma_cnpj"),
            b"Cpf" => set("toma_cpf"),
            _ => None,
        },
        [
            ..,
            b"TomadorServico" | b"Tomador",
            b"IdentificacaoTomador",
            b"InscricaoMunicipal",
        ] => set("toma_im"),
        [.., b"TomadorServico" | b"Tomador", n] => match *n {
            b"RazaoSocial" => set("toma_nome"),
            b"NifTomador" => set("toma_nif"),
            _ => None,
        },
        [.., b"TomadorServico" | b"Tomador", b"Endereco", n] => match *n {
            b"CodigoMunicipio" => set("toma_c_mun"),
            b"Uf" => set("toma_uf"),
            _ => None,
        },
        // The intermediary: `IntermediarioServico` (1.00), `Intermediario` (2.0x).
        [
            ..,
            b"IntermediarioServico" | b"Intermediario",
            b"RazaoSocial",
        ] => set("interm_nome"),
        [.., b"IntermediarioServico", b"CpfCnpj", n]
        | [
            ..,
            b"Intermediario",
            b"IdentificacaoIntermediario",
            b"CpfCnpj",
            n,
        ] => match *n {
            b"Cnpj" => set("interm_cnpj"),
            b"Cpf" => set("interm_cpf"),
            _ => None,
        },
        [.., b"InfNfse", b"OrgaoGerador", n] => match *n {
            b"CodigoMunicipio" => set("c_mun_gerador"),
            b"Uf" => set("uf_gerador"),
            _ => None,
        },
        _ => None,
    }
}

/// Where a leaf of a cancellation's `Confirmacao` goes.
#[derive(Clone, Copy)]
enum CancelLeaf {
    Column(&'static str),
    /// `Sucesso`: some systems list a failed cancellation too.
    Success,
}

fn cancel_leaf(path: &[&[u8]]) -> Option<CancelLeaf> {
    use CancelLeaf::{Column, Success};
    Some(match path {
        [.., b"IdentificacaoNfse", n] => match *n {
            b"Numero" => Column("numero"),
            b"Cnpj" => Column("prest_cnpj"),
            b"InscricaoMunicipal" => Column("prest_im"),
            b"CodigoMunicipio" => Column("c_mun"),
            _ => return None,
        },
        [.., b"IdentificacaoNfse", b"CpfCnpj", n] => match *n {
            b"Cnpj" => Column("prest_cnpj"),
            b"Cpf" => Column("prest_cpf"),
            _ => return None,
        },
        [.., b"InfPedidoCancelamento", b"CodigoCancelamento"] => Column("codigo_cancelamento"),
        // 2.0x: `Confirmacao/DataHora`; 1.00: `DataHoraCancelamento`; some systems:
        // `InfConfirmacaoCancelamento/DataHora` beside `Sucesso`.
        [.., b"Confirmacao" | b"InfConfirmacaoCancelamento", n] => match *n {
            b"DataHora" | b"DataHoraCancelamento" => Column("dh_cancelamento"),
            b"Sucesso" => Success,
            _ => return None,
        },
        _ => return None,
    })
}

/// One NFS-e being read.
struct Builder {
    values: Vec<Value>,
    field_error: Option<FileError>,
    /// The cancellation its `CompNfse` holds, once read.
    cancel: Option<Cancel>,
}

/// One cancellation being read.
struct Cancel {
    values: Vec<Value>,
    field_error: Option<FileError>,
    /// `Sucesso` as written: `false` (or `0`) says the cancellation failed.
    success: Option<bool>,
}

impl Cancel {
    fn new() -> Cancel {
        Cancel {
            values: vec![Value::Null; NFSE_ABRASF_CANCELAMENTO.columns.len()],
            field_error: None,
            success: None,
        }
    }

    /// Whether it is a cancellation done: dated, and not said to have failed.
    fn confirmed(&self) -> bool {
        let t = &NFSE_ABRASF_CANCELAMENTO;
        self.success != Some(false) && self.values[t.col("dh_cancelamento")] != Value::Null
    }
}

/// A field's value into `values`: typed by its column, a bad one kept as the first error.
fn store(
    t: &Table,
    values: &mut [Value],
    field_error: &mut Option<FileError>,
    column: &str,
    if_empty: bool,
    text: &str,
) {
    let c = t.col(column);
    if text.is_empty() || (if_empty && values[c] != Value::Null) {
        return;
    }
    match typed(t, c, text, ErrorType::NfseAbrasfInvalidField) {
        Ok(v) => values[c] = v,
        Err(e) => drop(field_error.get_or_insert(e)),
    }
}

/// Read a file (already UTF-8): each `InfNfse` an NFS-e, with the cancellation of its
/// `CompNfse`; each `Confirmacao` of a cancellation outside one a cancellation of its own.
fn read(xml: &str, src: &Source) -> Result<Vec<Doc>, FileError> {
    let t = &NFSE_ABRASF;
    let mut events = xml::Events::new(xml);
    let mut stack: Vec<&[u8]> = Vec::with_capacity(24);
    let mut text = Text::default();
    let mut docs: Vec<Builder> = Vec::new();
    let mut alone: Vec<Cancel> = Vec::new();
    let mut versao: Option<String> = None;
    // The depths of the open `CompNfse`, `InfNfse` and cancellation `Confirmacao`.
    let mut comp: Option<usize> = None;
    let mut inf: Option<usize> = None;
    let mut confirmation: Option<usize> = None;
    // What the open `CompNfse` holds besides its NFS-e, and where its NFS-e begin in `docs`.
    let mut comp_first = 0;
    let mut comp_cancel: Option<Cancel> = None;
    let mut comp_replaced_by: Option<String> = None;
    let mut cancel = Cancel::new();
    loop {
        match events.next(src)? {
            Event::Start(e) => {
                let name = e.local();
                let parent = stack.last().copied().unwrap_or_default();
                if name == b"CompNfse" && comp.is_none() {
                    comp = Some(stack.len());
                    comp_first = docs.len();
                    comp_cancel = None;
                    comp_replaced_by = None;
                } else if name == b"Nfse" && inf.is_none() {
                    versao = e.attr(b"versao")?;
                } else if name == b"InfNfse" && inf.is_none() && confirmation.is_none() {
                    let mut values = vec![Value::Null; t.columns.len()];
                    if let Some(v) = versao.take().or(e.attr(b"versao")?) {
                        values[t.col("versao")] = Value::Text(v.as_str().into());
                    }
                    docs.push(Builder {
                        values,
                        field_error: None,
                        cancel: None,
                    });
                    inf = Some(stack.len());
                } else if name == b"Confirmacao"
                    && matches!(parent, b"NfseCancelamento" | b"Cancelamento")
                    && inf.is_none()
                    && confirmation.is_none()
                {
                    confirmation = Some(stack.len());
                    cancel = Cancel::new();
                }
                stack.push(name);
                text.clear();
            }
            Event::Text(s) => text.push(s)?,
            Event::CData(s) => text.push_verbatim(s),
            Event::End => {
                if !text.is_empty() {
                    let value = text.get().trim();
                    if inf.is_some() {
                        if let (Some((column, if_empty)), Some(doc)) =
                            (leaf(&stack), docs.last_mut())
                        {
                            store(
                                t,
                                &mut doc.values,
                                &mut doc.field_error,
                                column,
                                if_empty,
                                value,
                            );
                        }
                    } else if confirmation.is_some() {
                        match cancel_leaf(&stack) {
                            Some(CancelLeaf::Column(column)) => store(
                                &NFSE_ABRASF_CANCELAMENTO,
                                &mut cancel.values,
                                &mut cancel.field_error,
                                column,
                                false,
                                value,
                            ),
                            Some(CancelLeaf::Success) => {
                                let v = value.to_ascii_lowercase();
                                cancel.success = Some(!matches!(v.as_str(), "false" | "0"));
                            }
                            None => {}
                        }
                    } else if comp.is_some()
                        && matches!(
                            stack.as_slice(),
                            [
                                ..,
                                b"NfseSubstituicao",
                                b"SubstituicaoNfse",
                                b"NfseSubstituidora"
                            ]
                        )
                    {
                        comp_replaced_by = Some(value.to_owned());
                    }
                }
                stack.pop();
                let depth = stack.len();
                if inf == Some(depth) {
                    inf = None;
                } else if confirmation == Some(depth) {
                    confirmation = None;
                    let done = std::mem::replace(&mut cancel, Cancel::new());
                    if comp.is_some() {
                        comp_cancel = Some(done);
                    } else {
                        alone.push(done);
                    }
                } else if comp == Some(depth) {
                    comp = None;
                    for doc in &mut docs[comp_first..] {
                        if let Some(by) = &comp_replaced_by {
                            doc.values[t.col("nfse_substituidora")] = Value::Text(by.into());
                        }
                    }
                    // A `CompNfse` holds one NFS-e: its cancellation is that one's.
                    if let Some(doc) = docs[comp_first..].last_mut() {
                        doc.cancel = comp_cancel.take();
                    }
                }
                text.clear();
            }
            Event::Eof => break,
            Event::Empty(_) => {}
        }
    }
    let mut out = Vec::new();
    for b in docs {
        let (doc, cancel) = finish_nfse(b, src)?;
        out.push(doc);
        out.extend(cancel);
    }
    for c in alone {
        if let Some(e) = c.field_error {
            return Err(e);
        }
        if c.confirmed() {
            out.push(finish_cancel(c.values, None, src)?);
        }
    }
    if out.is_empty() {
        return Err(FileError::new(
            ErrorType::NfseAbrasfMissingKey,
            "no NFS-e (InfNfse) and no confirmed cancellation",
        ));
    }
    Ok(out)
}

/// An NFS-e's document, and its cancellation's when its `CompNfse` holds a confirmed one.
fn finish_nfse(b: Builder, src: &Source) -> Result<(Doc, Option<Doc>), FileError> {
    let t = &NFSE_ABRASF;
    if let Some(e) = b.field_error {
        return Err(e);
    }
    let mut values = b.values;
    let id = Identity::of(t, &values, &["c_mun_gerador", "prest_c_mun"]);
    let key = id.key(
        "an ABRASF NFS-e",
        "InfNfse/Numero",
        "OrgaoGerador/CodigoMunicipio",
    )?;
    let cancel = match b.cancel {
        Some(Cancel {
            field_error: Some(e),
            ..
        }) => return Err(e),
        Some(c) if c.confirmed() => Some(finish_cancel(c.values, Some(&id), src)?),
        _ => None,
    };
    let situacao = if cancel.is_some() {
        "cancelada"
    } else {
        "autorizada"
    };
    values[t.col("chave")] = Value::Text(key.as_str().into());
    values[t.col("situacao")] = Value::Text(situacao.into());
    values[t.col("path")] = Value::Text(src.origin.into());
    values[t.col("sha256")] = Value::Text(src.sha256.into());
    let doc = Doc {
        key,
        rows: vec![Row { table: t, values }],
        warning: None,
    };
    Ok((doc, cancel))
}

/// A cancellation's document: of the NFS-e `of` (the one its `CompNfse` holds), or of the
/// NFS-e its own `IdentificacaoNfse` names.
fn finish_cancel(
    mut values: Vec<Value>,
    of: Option<&Identity>,
    src: &Source,
) -> Result<Doc, FileError> {
    let t = &NFSE_ABRASF_CANCELAMENTO;
    let id = match of {
        Some(id) => {
            let put = |v: &Option<String>| match v {
                Some(s) => Value::Text(s.as_str().into()),
                None => Value::Null,
            };
            values[t.col("numero")] = id.number.map_or(Value::Null, Value::Int);
            values[t.col("c_mun")] = put(&id.municipality);
            values[t.col("prest_cnpj")] = put(&id.cnpj);
            values[t.col("prest_cpf")] = put(&id.cpf);
            values[t.col("prest_im")] = put(&id.im);
            id.clone()
        }
        None => Identity::of(t, &values, &["c_mun"]),
    };
    let key = id.key(
        "an ABRASF NFS-e cancellation",
        "IdentificacaoNfse/Numero",
        "IdentificacaoNfse/CodigoMunicipio",
    )?;
    values[t.col("chave")] = Value::Text(key.as_str().into());
    values[t.col("path")] = Value::Text(src.origin.into());
    values[t.col("sha256")] = Value::Text(src.sha256.into());
    Ok(Doc {
        // Told apart from its NFS-e's in the report and the ledger.
        key: format!("{key}-cancelamento"),
        rows: vec![Row { table: t, values }],
        warning: None,
    })
}

/// What identifies an ABRASF NFS-e.
#[derive(Clone)]
struct Identity {
    number: Option<i64>,
    municipality: Option<String>,
    cnpj: Option<String>,
    cpf: Option<String>,
    im: Option<String>,
}

impl Identity {
    /// What a row of `t` (`numero`, `prest_cnpj`, `prest_cpf`, `prest_im`) says identifies
    /// an NFS-e, its municipality the first of the `municipality` columns that has one.
    fn of(t: &Table, values: &[Value], municipality: &[&str]) -> Identity {
        let text = |c: &str| match &values[t.col(c)] {
            Value::Text(s) => Some(s.to_string()),
            _ => None,
        };
        Identity {
            number: match values[t.col("numero")] {
                Value::Int(n) => Some(n),
                _ => None,
            },
            municipality: municipality.iter().find_map(|c| text(c)),
            cnpj: text("prest_cnpj"),
            cpf: text("prest_cpf"),
            im: text("prest_im"),
        }
    }

    /// The key `municipality-provider-number` (the provider: its CNPJ, else its CPF, else
    /// `IM` and its inscrição municipal); `what` names the document, `number_at` and
    /// `municipality_at` where the fields would be, for the errors.
    fn key(&self, what: &str, number_at: &str, municipality_at: &str) -> Result<String, FileError> {
        let missing = |field: &str| {
            FileError::new(
                ErrorType::NfseAbrasfMissingKey,
                format!("{what} without {field}"),
            )
        };
        let invalid = |msg: String| FileError::new(ErrorType::NfseAbrasfInvalidKey, msg);
        let number = self
            .number
            .ok_or_else(|| missing(&format!("its number ({number_at})")))?;
        if number < 0 {
            return Err(invalid(format!("{what} numbered {number}, below zero")));
        }
        let municipality = self
            .municipality
            .as_deref()
            .ok_or_else(|| missing(&format!("its municipality ({municipality_at})")))?;
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        let shown = |s: &str| s.chars().take(40).collect::<String>();
        if !digits(municipality, 7) {
            return Err(invalid(format!(
                "{what}'s municipality code {:?} is not 7 digits (IBGE)",
                shown(municipality)
            )));
        }
        let provider = match (&self.cnpj, &self.cpf, &self.im) {
            (Some(cnpj), _, _) if digits(cnpj, 14) => cnpj.clone(),
            (Some(cnpj), _, _) => {
                return Err(invalid(format!(
                    "{what}'s provider CNPJ {:?} is not 14 digits",
                    shown(cnpj)
                )));
            }
            (None, Some(cpf), _) if digits(cpf, 11) => cpf.clone(),
            (None, Some(cpf), _) => {
                return Err(invalid(format!(
                    "{what}'s provider CPF {:?} is not 11 digits",
                    shown(cpf)
                )));
            }
            (None, None, Some(im)) => format!("IM{im}"),
            (None, None, None) => {
                return Err(missing("its provider's CNPJ, CPF or inscrição municipal"));
            }
        };
        Ok(format!("{municipality}-{provider}-{number}"))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Outcome, read as read_file};
    use super::*;

    /// What reading `xml` as a file gives: its kind and outcome.
    fn read_xml(xml: &str) -> (Option<&'static str>, Outcome) {
        let src = Source {
            origin: "t.xml",
            sha256: "0",
            deadline: std::time::Instant::now() + std::time::Duration::from_secs(60),
        };
        read_file(xml.as_bytes(), &src, &ParseOptions::default())
    }

    fn outcome(xml: &str) -> (Option<&'static str>, Result<Vec<Doc>, ErrorType>) {
        let (kind, outcome) = read_xml(xml);
        let docs = match outcome {
            Outcome::Docs(docs) => Ok(docs),
            Outcome::Failed(e) => Err(e.error_type),
            other => panic!("{other:?}"),
        };
        (kind, docs)
    }

    fn outcome_kind(xml: &str) -> Option<&'static str> {
        read_xml(xml).0
    }

    fn cell<'a>(doc: &'a Doc, column: &str) -> &'a Value {
        let row = &doc.rows[0];
        &row.values[row.table.col(column)]
    }

    const MINIMAL: &str = "<CompNfse><Nfse><InfNfse><Numero>0042</Numero>\
        <PrestadorServico><IdentificacaoPrestador><InscricaoMunicipal>12.345-6</InscricaoMunicipal>\
        </IdentificacaoPrestador></PrestadorServico>\
        <OrgaoGerador><CodigoMunicipio>3550308</CodigoMunicipio></OrgaoGerador>\
        </InfNfse></Nfse></CompNfse>";

    #[test]
    fn keys_join_municipality_provider_and_number() {
        let (kind, docs) = outcome(MINIMAL);
        assert_eq!(kind, Some(KIND));
        let docs = docs.unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].key, "3550308-IM12.345-6-42");
        assert_eq!(
            cell(&docs[0], "situacao"),
            &Value::Text("autorizada".into())
        );
        // A CNPJ wins over the inscrição municipal.
        let cnpj = MINIMAL.replace(
            "<InscricaoMunicipal>",
            "<Cnpj>12345678000195</Cnpj><InscricaoMunicipal>",
        );
        assert_eq!(
            outcome(&cnpj).1.unwrap()[0].key,
            "3550308-12345678000195-42"
        );
    }

    #[test]
    fn what_is_not_an_nfse_stays_unsupported_or_fails_typed() {
        // An answer that lists no NFS-e is not one.
        let errors = "<ConsultarNfseResposta xmlns=\"http://www.abrasf.org.br/nfse.xsd\">\
            <ListaMensagemRetorno><MensagemRetorno><Codigo>E1</Codigo></MensagemRetorno>\
            </ListaMensagemRetorno></ConsultarNfseResposta>";
        assert_eq!(outcome_kind(errors), Some("xml"));
        // Nor is a request.
        let request =
            "<CancelarNfseEnvio><Pedido><InfPedidoCancelamento/></Pedido></CancelarNfseEnvio>";
        assert_eq!(outcome_kind(request), Some("xml"));
        // A failed cancellation is nothing to import.
        let failed = "<CancelarNfseResposta><RetCancelamento><NfseCancelamento><Confirmacao>\
            <InfConfirmacaoCancelamento><Sucesso>false</Sucesso><DataHora>2024-01-01T00:00:00\
            </DataHora></InfConfirmacaoCancelamento></Confirmacao></NfseCancelamento>\
            </RetCancelamento></CancelarNfseResposta>";
        assert_eq!(
            outcome(failed).1.unwrap_err(),
            ErrorType::NfseAbrasfMissingKey
        );
        for (xml, error) in [
            (
                MINIMAL.replace("<Numero>0042</Numero>", ""),
                ErrorType::NfseAbrasfMissingKey,
            ),
            (
                MINIMAL.replace("0042", "4x"),
                ErrorType::NfseAbrasfInvalidField,
            ),
            (
                MINIMAL.replace("0042", "-3"),
                ErrorType::NfseAbrasfInvalidKey,
            ),
            (
                MINIMAL.replace("3550308", "355030"),
                ErrorType::NfseAbrasfInvalidKey,
            ),
            (
                MINIMAL.replace(
                    "<InscricaoMunicipal>12.345-6</InscricaoMunicipal>",
                    "<Cnpj>123</Cnpj>",
                ),
                ErrorType::NfseAbrasfInvalidKey,
            ),
            (
                MINIMAL.replace("<InscricaoMunicipal>12.345-6</InscricaoMunicipal>", ""),
                ErrorType::NfseAbrasfMissingKey,
            ),
        ] {
            assert_eq!(outcome(&xml).1.unwrap_err(), error, "{xml}");
        }
    }

    #[test]
    fn a_providers_own_namespaces_and_prefixes_are_read_alike() {
        // GINFES's answer: ABRASF 1.00's names in its own namespaces, two prefixes.
        let ginfes = "<ns3:ConsultarNfseResposta \
            xmlns:ns3=\"http://www.ginfes.com.br/servico_consultar_nfse_resposta_v03.xsd\" \
            xmlns:ns4=\"http://www.ginfes.com.br/tipos_v03.xsd\"><ns3:ListaNfse><ns3:CompNfse>\
            <ns4:Nfse><ns4:InfNfse Id=\"n1\"><ns4:Numero>7</ns4:Numero>\
            <ns4:Servico><ns4:Valores><ns4:ValorServicos>120.50</ns4:ValorServicos>\
            </ns4:Valores></ns4:Servico><ns4:PrestadorServico><ns4:IdentificacaoPrestador>\
            <ns4:Cnpj>12345678000195</ns4:Cnpj></ns4:IdentificacaoPrestador>\
            </ns4:PrestadorServico><ns4:OrgaoGerador><ns4:CodigoMunicipio>3548500\
            </ns4:CodigoMunicipio></ns4:OrgaoGerador></ns4:InfNfse></ns4:Nfse></ns3:CompNfse>\
            </ns3:ListaNfse></ns3:ConsultarNfseResposta>";
        let (kind, docs) = outcome(ginfes);
        assert_eq!(kind, Some(KIND));
        let docs = docs.unwrap();
        assert_eq!(docs[0].key, "3548500-12345678000195-7");
        assert_eq!(cell(&docs[0], "v_servicos"), &Value::Num(120.5));
    }

    #[test]
    fn national_nfse_is_not_taken() {
        let national = "<NFSe xmlns=\"http://www.sped.fazenda.gov.br/nfse\"><infNFSe/></NFSe>";
        assert_eq!(outcome_kind(national), Some("nfse"));
    }
}
