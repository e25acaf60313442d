//! Brazil's NFS-e in the national standard (Sistema Nacional NFS-e, namespace
//! `http://www.sped.fazenda.gov.br/nfse`, layouts 1.00 and 1.01): the `NFSe` the national
//! system generates, holding its `infNFSe` and the provider's `DPS/infDPS`; and its events
//! (`evento`, as registered; `pedRegEvento`, the request alone), all of kind `nfse`.
//!
//! One row in `nfse` per access key: the `Id` of `infNFSe` without its `NFS` prefix, 50
//! digits (municipality 7, environment 1, registration type 1, CNPJ/CPF 14, number 13,
//! year-month 4, code 9, mod-11 check digit 1: `TSIdNFSe` in the layout's XSD). A registered
//! cancellation (`e101101`, or `e105102`, cancelled by a substitute) sets `situacao` to
//! `cancelada` whichever arrives first. Namespaces and prefixes do not matter: one streaming
//! pass with a stack of local names, a leaf placed by the names above it.

use super::key::check_digit;
use super::leaves::{self, Leaves};
use super::xml::{self, Tag, Text};
use super::{
    AfterWrite, ColType, Doc, Format, ParseOptions, Parsed, Sniff, Source, Table, Value, col, typed,
};
use crate::error::{ErrorType, FileError};

use ColType::{Integer as I, Numeric as N, Text as T};

/// The national layout's namespace.
const NS: &str = "http://www.sped.fazenda.gov.br/nfse";

/// Marks an NFS-e `cancelada` when a registered cancellation for its key is stored. Run after
/// an NFS-e is written and after an event is written, so their order does not matter.
const MARK_CANCELLED: &str = "UPDATE nfse SET situacao = 'cancelada'
    WHERE chave {keys} AND situacao IS DISTINCT FROM 'cancelada' AND EXISTS (
        SELECT 1 FROM nfse_evento e WHERE e.chave = nfse.chave
            AND e.tp_evento IN ('101101', '105102') AND e.registrado = 1)";

/// `nfse`: one row per access key.
pub static NFSE: Table = Table {
    name: "nfse",
    columns: &[
        col("chave", T),
        col("chave_valida", I),
        col("versao", T),
        col("n_nfse", I),
        col("n_dfse", T),
        col("c_stat", I),
        col("amb_ger", I),
        col("tp_amb", I),
        col("dh_emi", T),
        col("dh_proc", T),
        col("d_compet", T),
        col("serie", T),
        col("n_dps", T),
        col("c_loc_emi", T),
        col("c_loc_incid", T),
        col("x_loc_incid", T),
        col("c_loc_prestacao", T),
        col("prest_cnpj", T),
        col("prest_cpf", T),
        col("prest_im", T),
        col("prest_nome", T),
        col("prest_c_mun", T),
        col("prest_uf", T),
        col("toma_cnpj", T),
        col("toma_cpf", T),
        col("toma_nif", T),
        col("toma_im", T),
        col("toma_nome", T),
        col("toma_c_mun", T),
        col("c_trib_nac", T),
        col("c_trib_mun", T),
        col("c_nbs", T),
        col("x_desc_serv", T),
        col("v_serv", N),
        col("v_desc_incond", N),
        col("v_desc_cond", N),
        col("v_ded_red", N),
        col("trib_issqn", I),
        col("v_bc", N),
        col("p_aliq_aplic", N),
        col("v_issqn", N),
        col("tp_ret_issqn", I),
        col("v_pis", N),
        col("v_cofins", N),
        col("tp_ret_pis_cofins", I),
        col("v_ret_irrf", N),
        col("v_ret_csll", N),
        col("v_ret_cp", N),
        col("v_total_ret", N),
        col("v_liq", N),
        col("situacao", T),
        col("path", T),
        col("sha256", T),
    ],
    primary_key: &["chave"],
    indexed: &["prest_cnpj", "toma_cnpj"],
    after_write: &[AfterWrite {
        sql: MARK_CANCELLED,
        reads: "nfse_evento",
    }],
    ..Table::BASE
};

/// `nfse_evento`: NFS-e events, one row per key, type and request number. `registrado` is 1
/// for an event the national system registered (`evento`), NULL for a request alone
/// (`pedRegEvento`): only the former is a fact, and it fills a stored request's gaps.
pub static NFSE_EVENTO: Table = Table {
    name: "nfse_evento",
    columns: &[
        col("chave", T),
        col("tp_evento", T),
        col("n_ped_reg_evento", I),
        col("chave_valida", I),
        col("registrado", I),
        col("tp_amb", I),
        col("dh_evento", T),
        col("autor_cnpj", T),
        col("autor_cpf", T),
        col("x_desc", T),
        col("c_motivo", T),
        col("x_motivo", T),
        col("chave_substituta", T),
        col("n_seq_evento", I),
        col("dh_proc", T),
        col("n_dfe", T),
        col("path", T),
        col("sha256", T),
    ],
    primary_key: &["chave", "tp_evento", "n_ped_reg_evento"],
    enrich: &["registrado", "n_seq_evento", "dh_proc", "n_dfe"],
    after_write: &[AfterWrite {
        sql: MARK_CANCELLED,
        reads: "nfse",
    }],
    ..Table::BASE
};

/// The NFS-e format.
pub struct Nfse;

static TABLES: &[&Table] = &[&NFSE, &NFSE_EVENTO];

/// What a file's first elements say it is.
#[derive(Clone, Copy, PartialEq)]
enum Root {
    Doc,
    Event,
}

fn root(sniff: &Sniff) -> Option<Root> {
    let names: Vec<&[u8]> = sniff.xml_elements.iter().map(|n| n.as_bytes()).collect();
    let national = || {
        xml::root_and_namespace(head(sniff.bytes))
            .and_then(|(_, ns)| ns)
            .as_deref()
            == Some(NS)
    };
    match names.as_slice() {
        // Municipal systems name their own layouts `NFSe` too (`infNfse`, other namespaces):
        // the national one is told by its `infNFSe` or its namespace.
        [b"NFSe", b"infNFSe", ..] => Some(Root::Doc),
        [b"NFSe", ..] if national() => Some(Root::Doc),
        [b"pedRegEvento", ..] => Some(Root::Event),
        // NF-e's events are `evento` too: told apart by the namespace, or without one by the
        // national layout's first fields (NF-e's `infEvento` opens with `cOrgao`).
        [b"evento", b"infEvento", rest @ ..] => {
            let ours = national() || matches!(rest.first(), Some(&(b"verAplic" | b"ambGer")));
            ours.then_some(Root::Event)
        }
        _ => None,
    }
}

/// The bytes from the first `<` on (after a BOM and white space).
fn head(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b == b'<').unwrap_or(bytes.len());
    &bytes[start..]
}

impl Format for Nfse {
    fn kind(&self) -> &'static str {
        "nfse"
    }

    fn tables(&self) -> &'static [&'static Table] {
        TABLES
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        root(sniff).is_some()
    }

    fn parse(&self, sniff: &Sniff, src: &Source, opts: &ParseOptions) -> Parsed {
        let utf8 = xml::to_utf8(sniff.bytes)?;
        match root(sniff) {
            Some(Root::Event) => read_events(&utf8, src, opts),
            _ => read_docs(&utf8, src, opts),
        }
    }
}

/// The column of `nfse` a leaf fills, from the names above it (`path` ends with the leaf's),
/// and whether it only fills an empty one (the DPS's provider after the NFS-e's issuer).
fn leaf(path: &[&[u8]]) -> Option<(&'static str, bool)> {
    let (c, if_empty) = match path {
        [.., b"infNFSe", n] => match *n {
            b"nNFSe" => ("n_nfse", false),
            b"nDFSe" => ("n_dfse", false),
            b"cStat" => ("c_stat", false),
            b"ambGer" => ("amb_ger", false),
            b"dhProc" => ("dh_proc", false),
            b"cLocIncid" => ("c_loc_incid", false),
            b"xLocIncid" => ("x_loc_incid", false),
            _ => return None,
        },
        [.., b"infNFSe", b"emit", n] => (provider(n)?, false),
        [.., b"emit", b"enderNac", b"cMun"] => ("prest_c_mun", false),
        [.., b"emit", b"enderNac", b"UF"] => ("prest_uf", false),
        [.., b"infNFSe", b"valores", n] => match *n {
            b"vBC" => ("v_bc", false),
            b"pAliqAplic" => ("p_aliq_aplic", false),
            b"vISSQN" => ("v_issqn", false),
            b"vTotalRet" => ("v_total_ret", false),
            b"vLiq" => ("v_liq", false),
            _ => return None,
        },
        [.., b"infDPS", n] => match *n {
            b"tpAmb" => ("tp_amb", false),
            b"dhEmi" => ("dh_emi", false),
            b"serie" => ("serie", false),
            b"nDPS" => ("n_dps", false),
            b"dCompet" => ("d_compet", false),
            b"cLocEmi" => ("c_loc_emi", false),
            _ => return None,
        },
        [.., b"infDPS", b"prest", n] => (provider(n)?, true),
        [.., b"prest", b"end", b"endNac", b"cMun"] => ("prest_c_mun", true),
        [.., b"infDPS", b"toma", n] => match *n {
            b"CNPJ" => ("toma_cnpj", false),
            b"CPF" => ("toma_cpf", false),
            b"NIF" => ("toma_nif", false),
            b"IM" => ("toma_im", false),
            b"xNome" => ("toma_nome", false),
            _ => return None,
        },
        [.., b"toma", b"end", b"endNac", b"cMun"] => ("toma_c_mun", false),
        [.., b"serv", b"locPrest", b"cLocPrestacao"] => ("c_loc_prestacao", false),
        [.., b"serv", b"cServ", n] => match *n {
            b"cTribNac" => ("c_trib_nac", false),
            b"cTribMun" => ("c_trib_mun", false),
            b"cNBS" => ("c_nbs", false),
            b"xDescServ" => ("x_desc_serv", false),
            _ => return None,
        },
        [.., b"vServPrest", b"vServ"] => ("v_serv", false),
        [.., b"vDescCondIncond", b"vDescIncond"] => ("v_desc_incond", false),
        [.., b"vDescCondIncond", b"vDescCond"] => ("v_desc_cond", false),
        [.., b"vDedRed", b"vDR"] => ("v_ded_red", false),
        [.., b"tribMun", b"tribISSQN"] => ("trib_issqn", false),
        [.., b"tribMun", b"tpRetISSQN"] => ("tp_ret_issqn", false),
        [.., b"tribFed", b"piscofins", n] => match *n {
            b"vPis" => ("v_pis", false),
            b"vCofins" => ("v_cofins", false),
            b"tpRetPisCofins" => ("tp_ret_pis_cofins", false),
            _ => return None,
        },
        [.., b"tribFed", n] => match *n {
            b"vRetIRRF" => ("v_ret_irrf", false),
            b"vRetCSLL" => ("v_ret_csll", false),
            b"vRetCP" => ("v_ret_cp", false),
            _ => return None,
        },
        _ => return None,
    };
    Some((c, if_empty))
}

/// The column of `nfse` the provider's leaf `name` fills: the NFS-e's issuer (`emit`) and
/// the DPS's provider (`prest`) are the same party.
fn provider(name: &[u8]) -> Option<&'static str> {
    Some(match name {
        b"CNPJ" => "prest_cnpj",
        b"CPF" => "prest_cpf",
        b"IM" => "prest_im",
        b"xNome" => "prest_nome",
        _ => return None,
    })
}

/// One NFS-e being read.
struct Builder {
    values: Vec<Value>,
    id: Option<String>,
    field_error: Option<FileError>,
}

/// Read the NFS-e of a file (already UTF-8): each `infNFSe` one document.
fn read_docs(xml: &str, src: &Source, opts: &ParseOptions) -> Parsed {
    let t = &NFSE;
    let mut reader = DocReader {
        docs: Vec::new(),
        versao: None,
        in_doc: None,
    };
    leaves::walk(xml, src, &mut reader)?;
    let docs = reader.docs;
    if docs.is_empty() {
        return Err(FileError::new(
            ErrorType::NfseMissingKey,
            "no infNFSe element",
        ));
    }
    docs.into_iter()
        .map(|b| {
            let key = b.id.filter(|k| !k.is_empty()).ok_or_else(|| {
                FileError::new(
                    ErrorType::NfseMissingKey,
                    "NFS-e without an access key (infNFSe/@Id)",
                )
            })?;
            let (valid, warning) = check_key(&key, opts)?;
            if let Some(e) = b.field_error {
                return Err(e);
            }
            let mut values = b.values;
            values[t.col("chave")] = Value::Text(key.as_str().into());
            values[t.col("chave_valida")] = Value::Int(valid as i64);
            if let Value::Int(_) = values[t.col("c_stat")] {
                values[t.col("situacao")] = Value::Text("autorizada".into());
            }
            Ok(Doc::single(key, t, values, src, warning))
        })
        .collect()
}

/// The NFS-e of a file being read.
struct DocReader {
    docs: Vec<Builder>,
    /// The root `NFSe`'s `versao`.
    versao: Option<String>,
    /// The depth of the open `infNFSe`.
    in_doc: Option<usize>,
}

impl Leaves for DocReader {
    fn open(&mut self, stack: &[&[u8]], e: &Tag) -> Result<(), FileError> {
        let t = &NFSE;
        let name = e.local();
        if name == b"NFSe" {
            self.versao = e.attr(b"versao")?;
        } else if name == b"infNFSe" && self.in_doc.is_none() {
            let mut values = vec![Value::Null; t.columns.len()];
            if let Some(v) = &self.versao {
                values[t.col("versao")] = Value::Text(v.as_str().into());
            }
            let id = e
                .attr(b"Id")?
                .map(|id| id.strip_prefix("NFS").map(str::to_owned).unwrap_or(id));
            self.docs.push(Builder {
                values,
                id,
                field_error: None,
            });
            self.in_doc = Some(stack.len());
        }
        Ok(())
    }

    fn close(&mut self, stack: &[&[u8]], text: &Text) -> Result<(), FileError> {
        let t = &NFSE;
        if self.in_doc.is_some()
            && !text.is_empty()
            && let Some((column, if_empty)) = leaf(stack)
            && let Some(doc) = self.docs.last_mut()
        {
            let c = t.col(column);
            if !(if_empty && doc.values[c] != Value::Null) {
                match typed(t, c, text.get().trim(), ErrorType::NfseInvalidField) {
                    Ok(v) => doc.values[c] = v,
                    Err(e) => drop(doc.field_error.get_or_insert(e)),
                }
            }
        }
        if self.in_doc == Some(stack.len() - 1) {
            self.in_doc = None;
        }
        Ok(())
    }
}

/// Check an NFS-e access key: 50 digits whose last is the mod-11 check digit of the others
/// (the rule of NF-e's keys, over 49 digits). A wrong check digit is let in, flagged, under
/// `--allow-invalid-keys`.
pub fn check_key(key: &str, opts: &ParseOptions) -> Result<(bool, Option<String>), FileError> {
    if key.len() != 50 || !key.bytes().all(|b| b.is_ascii_digit()) {
        let shown: String = key.chars().take(60).collect();
        return Err(FileError::new(
            ErrorType::NfseInvalidKey,
            format!("NFS-e access key {shown:?} is not 50 digits"),
        ));
    }
    let expected = check_digit(&key[..49]);
    if key.as_bytes()[49] - b'0' == expected {
        return Ok((true, None));
    }
    let msg = format!("NFS-e access key {key} has a wrong check digit (expected {expected})");
    if !opts.allow_invalid_keys {
        return Err(FileError::new(ErrorType::NfseBadCheckDigit, msg));
    }
    Ok((
        false,
        Some(format!("{msg}; imported under --allow-invalid-keys")),
    ))
}

/// The column of `nfse_evento` a leaf fills, from the names above it.
fn event_leaf(path: &[&[u8]]) -> Option<&'static str> {
    Some(match path {
        [.., b"infPedReg", n] => match *n {
            b"tpAmb" => "tp_amb",
            b"dhEvento" => "dh_evento",
            b"CNPJAutor" => "autor_cnpj",
            b"CPFAutor" => "autor_cpf",
            b"chNFSe" => "chave",
            b"nPedRegEvento" => "n_ped_reg_evento",
            _ => return None,
        },
        [.., b"infPedReg", _, n] => match *n {
            b"xDesc" => "x_desc",
            b"cMotivo" => "c_motivo",
            b"xMotivo" => "x_motivo",
            b"chSubstituta" => "chave_substituta",
            _ => return None,
        },
        [.., b"evento", b"infEvento", n] => match *n {
            b"nSeqEvento" => "n_seq_evento",
            b"dhProc" => "dh_proc",
            b"nDFe" => "n_dfe",
            _ => return None,
        },
        _ => return None,
    })
}

/// Read the events of a file (already UTF-8): each `infPedReg` one row, registered when an
/// `evento`'s `infEvento` holds it.
fn read_events(xml: &str, src: &Source, opts: &ParseOptions) -> Parsed {
    let mut reader = EventReader {
        rows: Vec::new(),
        field_error: None,
        registered: None,
        request: None,
        current: vec![Value::Null; NFSE_EVENTO.columns.len()],
    };
    leaves::walk(xml, src, &mut reader)?;
    if reader.rows.is_empty() {
        return Err(FileError::new(
            ErrorType::NfseMissingKey,
            "no NFS-e event (infPedReg)",
        ));
    }
    leaves::finish_all(reader.rows, reader.field_error, |values| {
        finish_event(values, src, opts)
    })
}

/// The events of a file being read.
struct EventReader {
    rows: Vec<Vec<Value>>,
    field_error: Option<FileError>,
    /// The depth of the open `infEvento` (a registered event) and of the open `infPedReg`.
    registered: Option<usize>,
    request: Option<usize>,
    current: Vec<Value>,
}

impl Leaves for EventReader {
    fn open(&mut self, stack: &[&[u8]], e: &Tag) -> Result<(), FileError> {
        let t = &NFSE_EVENTO;
        let name = e.local();
        let parent = stack.last().copied().unwrap_or_default();
        if name == b"infEvento" && parent == b"evento" && self.registered.is_none() {
            self.registered = Some(stack.len());
            self.current = vec![Value::Null; t.columns.len()];
            self.current[t.col("registrado")] = Value::Int(1);
        } else if name == b"infPedReg" && self.request.is_none() {
            self.request = Some(stack.len());
            if self.registered.is_none() {
                self.current = vec![Value::Null; t.columns.len()];
            }
        } else if self.request.is_some_and(|d| d + 1 == stack.len())
            && let Some(tp) = name.strip_prefix(b"e")
            && tp.len() == 6
            && tp.iter().all(u8::is_ascii_digit)
        {
            self.current[t.col("tp_evento")] =
                Value::Text(String::from_utf8_lossy(tp).as_ref().into());
        }
        Ok(())
    }

    fn close(&mut self, stack: &[&[u8]], text: &Text) -> Result<(), FileError> {
        let t = &NFSE_EVENTO;
        if (self.registered.is_some() || self.request.is_some())
            && !text.is_empty()
            && let Some(column) = event_leaf(stack)
        {
            let c = t.col(column);
            match typed(t, c, text.get().trim(), ErrorType::NfseInvalidField) {
                Ok(v) => self.current[c] = v,
                Err(e) => drop(self.field_error.get_or_insert(e)),
            }
        }
        let depth = stack.len() - 1;
        if self.request == Some(depth) {
            self.request = None;
            if self.registered.is_none() {
                self.rows.push(std::mem::take(&mut self.current));
            }
        } else if self.registered == Some(depth) {
            self.registered = None;
            self.rows.push(std::mem::take(&mut self.current));
        }
        Ok(())
    }
}

fn finish_event(
    mut values: Vec<Value>,
    src: &Source,
    opts: &ParseOptions,
) -> Result<Doc, FileError> {
    let t = &NFSE_EVENTO;
    let missing = |what: &str| {
        FileError::new(
            ErrorType::NfseMissingKey,
            format!("NFS-e event without {what}"),
        )
    };
    let chave = match &values[t.col("chave")] {
        Value::Text(s) => s.to_string(),
        _ => return Err(missing("chNFSe")),
    };
    let (valid, warning) = check_key(&chave, opts)?;
    let (Value::Text(tp), Value::Int(n)) = (
        &values[t.col("tp_evento")],
        &values[t.col("n_ped_reg_evento")],
    ) else {
        return Err(missing("its type (e101101...) or nPedRegEvento"));
    };
    // The request's identifier, without its `PRE` prefix.
    let key = format!("{chave}{tp}{n:03}");
    values[t.col("chave_valida")] = Value::Int(valid as i64);
    Ok(Doc::single(key, t, values, src, warning))
}

#[cfg(test)]
mod tests {
    use super::super::{Outcome, read};
    use super::*;

    fn kind_and_error(xml: &str) -> (Option<&'static str>, Option<ErrorType>) {
        let src = Source {
            origin: "t.xml",
            sha256: "0",
            deadline: std::time::Instant::now() + std::time::Duration::from_secs(60),
        };
        let (kind, outcome) = read(xml.as_bytes(), &src, &ParseOptions::default());
        let error = match outcome {
            Outcome::Failed(e) => Some(e.error_type),
            _ => None,
        };
        (kind, error)
    }

    #[test]
    fn events_named_evento_are_told_apart() {
        // NF-e's own `evento` stays NF-e's.
        let nfe = "<evento xmlns=\"http://www.portalfiscal.inf.br/nfe\" versao=\"1.00\">\
            <infEvento Id=\"x\"><cOrgao>35</cOrgao><tpAmb>1</tpAmb></infEvento></evento>";
        assert_eq!(kind_and_error(nfe).0, Some("nfe"));
        // The national layout without its namespace, by its first fields.
        let bare = "<evento versao=\"1.01\"><infEvento Id=\"x\"><verAplic>1</verAplic>\
            <ambGer>2</ambGer></infEvento></evento>";
        assert_eq!(
            kind_and_error(bare),
            (Some("nfse"), Some(ErrorType::NfseMissingKey))
        );
        let ns =
            "<n:evento xmlns:n=\"http://www.sped.fazenda.gov.br/nfse\"><n:infEvento/></n:evento>";
        assert_eq!(
            kind_and_error(ns),
            (Some("nfse"), Some(ErrorType::NfseMissingKey))
        );
        // A root alone, a request without its type.
        assert_eq!(
            kind_and_error("<NFSe xmlns=\"http://www.sped.fazenda.gov.br/nfse\"/>"),
            (Some("nfse"), Some(ErrorType::NfseMissingKey))
        );
        // A municipal layout of the same root name is not this one.
        let fortaleza =
            "<NFSe xmlns=\"http://www.sefin.fortaleza.ce.gov.br/nfse\"><infNfse/></NFSe>";
        assert_eq!(kind_and_error(fortaleza), (Some("xml"), None));
        let key = "35503081212345678000195000000000012326100000001231";
        let request = format!(
            "<pedRegEvento><infPedReg><chNFSe>{key}</chNFSe><nPedRegEvento>1</nPedRegEvento>\
             </infPedReg></pedRegEvento>"
        );
        assert_eq!(
            kind_and_error(&request),
            (Some("nfse"), Some(ErrorType::NfseMissingKey))
        );
    }

    #[test]
    fn keys_are_fifty_digits_with_a_check_digit() {
        let opts = ParseOptions::default();
        let key = "35503081212345678000195000000000012326100000001231";
        assert_eq!(check_key(key, &opts), Ok((true, None)));
        for bad in [
            &key[..49],
            "3550308121234567800019500000000001232610000000123A",
        ] {
            let e = check_key(bad, &opts).unwrap_err();
            assert_eq!(e.error_type, ErrorType::NfseInvalidKey, "{bad}");
        }
        let wrong = format!("{}0", &key[..49]);
        let e = check_key(&wrong, &opts).unwrap_err();
        assert_eq!(e.error_type, ErrorType::NfseBadCheckDigit);
        assert!(e.message.contains("expected 1"), "{}", e.message);
        let lenient = ParseOptions {
            allow_invalid_keys: true,
            ..ParseOptions::default()
        };
        let (valid, warning) = check_key(&wrong, &lenient).unwrap();
        assert!(!valid && warning.unwrap().contains("--allow-invalid-keys"));
    }
}
