//! Brazilian NF-e and NFC-e (models 55 and 65; layouts 2.00, 3.10 and 4.00).
//!
//! One streaming pass over the XML with quick-xml: a stack of element local names (borrowed from
//! the input, so namespaces and prefixes such as `nfe:` do not matter), and each closing leaf
//! element mapped by (parent, name) straight to a column index. Wrappers (`nfeProc`, `enviNFe`)
//! are handled by the same pass: every `infNFe` starts a document, and a protocol (`infProt`) is
//! attached to the document whose key it names.

use super::xml::{self, Name, Text};
use super::{ColType, Column, Doc, Format, ParseOptions, Row, Sniff, Source, Table, Value, typed};
use crate::error::{ErrorType, FileError};
use quick_xml::events::{BytesStart, Event};

/// The `nfe` table: one row per access key.
pub static NFE: Table = Table {
    name: "nfe",
    columns: &[
        col("chave", ColType::Text),
        col("chave_valida", ColType::Integer),
        col("versao", ColType::Text),
        col("mod", ColType::Integer),
        col("serie", ColType::Integer),
        col("n_nf", ColType::Integer),
        col("dh_emi", ColType::Text),
        col("tp_nf", ColType::Integer),
        col("tp_amb", ColType::Integer),
        col("nat_op", ColType::Text),
        col("emit_cnpj", ColType::Text),
        col("emit_cpf", ColType::Text),
        col("emit_ie", ColType::Text),
        col("emit_nome", ColType::Text),
        col("emit_uf", ColType::Text),
        col("dest_cnpj", ColType::Text),
        col("dest_cpf", ColType::Text),
        col("dest_id_estrangeiro", ColType::Text),
        col("dest_nome", ColType::Text),
        col("dest_uf", ColType::Text),
        col("v_bc", ColType::Numeric),
        col("v_icms", ColType::Numeric),
        col("v_st", ColType::Numeric),
        col("v_prod", ColType::Numeric),
        col("v_frete", ColType::Numeric),
        col("v_seg", ColType::Numeric),
        col("v_desc", ColType::Numeric),
        col("v_ii", ColType::Numeric),
        col("v_ipi", ColType::Numeric),
        col("v_pis", ColType::Numeric),
        col("v_cofins", ColType::Numeric),
        col("v_outro", ColType::Numeric),
        col("v_nf", ColType::Numeric),
        col("v_tot_trib", ColType::Numeric),
        col("n_prot", ColType::Text),
        col("c_stat", ColType::Integer),
        col("dh_recbto", ColType::Text),
        col("path", ColType::Text),
        col("sha256", ColType::Text),
    ],
    primary_key: &["chave"],
    indexed: &[],
};

/// The `nfe_item` table: one row per `det`. No key on (chave, n_item): documents exist that
/// repeat an item number, and they are stored as written; a document is deduplicated as a whole.
pub static NFE_ITEM: Table = Table {
    name: "nfe_item",
    columns: &[
        col("chave", ColType::Text),
        col("n_item", ColType::Integer),
        col("c_prod", ColType::Text),
        col("c_ean", ColType::Text),
        col("x_prod", ColType::Text),
        col("ncm", ColType::Text),
        col("cfop", ColType::Text),
        col("u_com", ColType::Text),
        col("q_com", ColType::Numeric),
        col("v_un_com", ColType::Numeric),
        col("v_prod", ColType::Numeric),
        col("v_desc", ColType::Numeric),
        col("v_icms", ColType::Numeric),
        col("v_ipi", ColType::Numeric),
        col("v_pis", ColType::Numeric),
        col("v_cofins", ColType::Numeric),
    ],
    primary_key: &[],
    indexed: &["chave"],
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

const fn col(name: &'static str, ty: ColType) -> Column {
    Column { name, ty }
}

const H_CHAVE: usize = NFE.col("chave");
const H_CHAVE_VALIDA: usize = NFE.col("chave_valida");
const H_VERSAO: usize = NFE.col("versao");
const H_N_PROT: usize = NFE.col("n_prot");
const H_C_STAT: usize = NFE.col("c_stat");
const H_DH_RECBTO: usize = NFE.col("dh_recbto");
const H_PATH: usize = NFE.col("path");
const H_SHA256: usize = NFE.col("sha256");
const I_CHAVE: usize = NFE_ITEM.col("chave");
const I_N_ITEM: usize = NFE_ITEM.col("n_item");

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
        _ => match (grandparent, name) {
            (b"ICMS", b"vICMS") => i!("v_icms"),
            (b"IPI", b"vIPI") => i!("v_ipi"),
            (b"PIS", b"vPIS") => i!("v_pis"),
            (b"COFINS", b"vCOFINS") => i!("v_cofins"),
            _ => return None,
        },
    };
    Some(c)
}

/// The NF-e format.
pub struct Nfe;

impl Format for Nfe {
    fn kind(&self) -> &'static str {
        "nfe"
    }

    fn tables(&self) -> &'static [&'static Table] {
        static TABLES: [&Table; 2] = [&NFE, &NFE_ITEM];
        &TABLES
    }

    /// An NF-e is an XML document whose root is `nfeProc`, `NFe` or the `enviNFe` batch, possibly
    /// inside a transport wrapper (`nfeDadosMsg`, a SOAP envelope).
    fn detect(&self, sniff: &Sniff) -> bool {
        let mut els = sniff.xml_elements.iter().map(Name::as_bytes);
        let is_nfe = |n: &[u8]| matches!(n, b"nfeProc" | b"NFe" | b"enviNFe");
        match els.next() {
            Some(root) if is_nfe(root) => true,
            Some(b"nfeDadosMsg" | b"Envelope") => els
                .find(|n| !matches!(*n, b"Header" | b"Body" | b"nfeDadosMsg" | b"idLote"))
                .is_some_and(is_nfe),
            _ => false,
        }
    }

    fn parse(
        &self,
        bytes: &[u8],
        src: &Source,
        opts: &ParseOptions,
    ) -> Result<Vec<Doc>, FileError> {
        let utf8 = xml::to_utf8(bytes)?;
        let parsed = parse_xml(&utf8, src)?;
        if parsed.is_empty() {
            return Err(FileError::new(
                ErrorType::NfeMissingKey,
                "no infNFe element",
            ));
        }
        parsed.into_iter().map(|b| b.finish(src, opts)).collect()
    }
}

/// One NF-e being read.
struct Builder {
    header: Vec<Value>,
    items: Vec<Vec<Value>>,
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
    // Depth of the open infNFe / det / infProt in `stack`, when one is open.
    let mut in_doc: Option<usize> = None;
    let mut in_item: Option<usize> = None;
    let mut prot: Option<Prot> = None;
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
                            doc.set_item(I_N_ITEM, &n);
                        }
                        in_item = Some(stack.len());
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
                } else if text.is_empty() {
                    // An element holding elements (or nothing): no column takes it.
                } else if in_item.is_some() {
                    let gp = if depth >= 2 {
                        stack[depth - 2].as_bytes()
                    } else {
                        b""
                    };
                    if let Some(c) = item_column(gp, parent, name) {
                        docs.last_mut().expect("doc open").set_item(c, text.get()?);
                    }
                } else if in_doc.is_some() {
                    if let Some(c) = header_column(parent, name) {
                        docs.last_mut()
                            .expect("doc open")
                            .set_header(c, text.get()?);
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
            id,
            field_error: None,
        })
    }

    fn set_header(&mut self, c: usize, text: &str) {
        match typed(&NFE, c, text, ErrorType::NfeInvalidField) {
            Ok(v) => self.header[c] = v,
            Err(e) => drop(self.field_error.get_or_insert(e)),
        }
    }

    fn set_item(&mut self, c: usize, text: &str) {
        match typed(&NFE_ITEM, c, text, ErrorType::NfeInvalidField) {
            Ok(v) => {
                *self
                    .items
                    .last_mut()
                    .expect("item open")
                    .get_mut(c)
                    .expect("column") = v
            }
            Err(e) => drop(self.field_error.get_or_insert(e)),
        }
    }

    fn finish(self, src: &Source, opts: &ParseOptions) -> Result<Doc, FileError> {
        let Builder {
            mut header,
            items,
            id,
            field_error,
        } = self;
        let key = id.filter(|k| !k.is_empty()).ok_or_else(|| {
            FileError::new(
                ErrorType::NfeMissingKey,
                "NF-e without an access key (infNFe/@Id)",
            )
        })?;
        if key.len() != 44 || !key.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FileError::new(
                ErrorType::NfeInvalidKey,
                format!("access key {key:?} is not 44 digits"),
            ));
        }
        let mut warning = None;
        let valid = check_digit_ok(&key);
        if !valid {
            let msg = format!(
                "access key {key} has a wrong check digit (expected {}, SEFAZ rejection 253)",
                check_digit(&key[..43])
            );
            if !opts.allow_invalid_keys {
                return Err(FileError::new(ErrorType::NfeBadCheckDigit, msg));
            }
            warning = Some(format!("{msg}; imported under --allow-invalid-keys"));
        }
        if let Some(e) = field_error {
            return Err(e);
        }
        header[H_CHAVE] = Value::Text(key.clone());
        header[H_CHAVE_VALIDA] = Value::Int(valid as i64);
        header[H_PATH] = Value::Text(src.origin.to_owned());
        header[H_SHA256] = Value::Text(src.sha256.to_owned());
        let mut rows = Vec::with_capacity(1 + items.len());
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
        Ok(Doc { key, rows, warning })
    }
}

/// The mod-11 check digit SEFAZ computes over the first 43 digits of an access key: weights 2..9
/// from the right, repeating; a remainder of 0 or 1 gives 0.
pub fn check_digit(first43: &str) -> u8 {
    let sum: u32 = first43
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * (2 + (i as u32 % 8)))
        .sum();
    match sum % 11 {
        0 | 1 => 0,
        r => (11 - r) as u8,
    }
}

/// Whether a 44-digit key's last digit is its check digit.
pub fn check_digit_ok(key: &str) -> bool {
    key.len() == 44 && check_digit(&key[..43]) == key.as_bytes()[43] - b'0'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_matches_sefaz_examples() {
        // Keys from authorized documents (their protocols prove SEFAZ accepted them).
        assert!(check_digit_ok(
            "35180834128745000152550010000474281920007498"
        ));
        assert!(check_digit_ok(
            "42220575277525000178550030000292481295366801"
        ));
        assert!(!check_digit_ok(
            "42220575277525000178550030000292481295366802"
        ));
    }
}
