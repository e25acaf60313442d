//! What Mexico's SAT documents share: a CFDI ([`super::cfdi`]) and a Retenciones
//! ([`super::retenciones`]) are both stamped XML documents whose data sits in attributes, and SAT's
//! metadata lists ([`super::sat_metadata`]) name CFDI by the same UUIDs.
//!
//! Here are the rules they are read by, once: how a document is told by its root and namespace
//! ([`is_sat_root`]), one streaming pass over its elements ([`Elements`], [`parse`]), attributes
//! matched to columns without regard to case ([`Attrs`], [`fill`]), the stamp that gives a
//! document its identity ([`Stamps`]) and the shapes of a UUID and an RFC. A document's errors
//! are a CFDI's (`cfdi_not_stamped`, `cfdi_invalid_uuid`, `cfdi_invalid_rfc`...), whichever
//! kind it is.

use super::xml::{self, Event, Tag};
use super::{
    ColType, Column, Doc, ParseOptions, Parsed, Row, Sniff, Source, Table, Value, col, contains,
    typed,
};
use crate::error::{ErrorType, FileError};

/// Attribute (lower-cased local name) → column, for one kind of element.
pub(super) type Attrs = &'static [(&'static str, usize)];

/// `attrs!(TABLE: "attribute" => "column", ...)`: an [`Attrs`] whose column names are checked
/// when compiling.
macro_rules! attrs {
    ($table:ident: $($attr:literal => $col:literal),* $(,)?) => {
        &[$(($attr, const { $table.col($col) })),*]
    };
}
pub(super) use attrs;

/// `stamp_attrs!(TABLE)`: the [`Attrs`] of the first `TimbreFiscalDigital`, for a main table
/// with the columns `uuid`, `fecha_timbrado`, `no_certificado_sat` and `rfc_prov_certif`.
macro_rules! stamp_attrs {
    ($table:ident) => {
        $crate::format::sat::attrs!($table:
            "uuid" => "uuid", "fechatimbrado" => "fecha_timbrado",
            "nocertificadosat" => "no_certificado_sat", "rfcprovcertif" => "rfc_prov_certif",
        )
    };
}
pub(super) use stamp_attrs;

/// The columns of a kind's related documents' table ([`related_table`]).
const RELATED_COLUMNS: &[Column] = &[
    col("uuid", ColType::Text),
    col("tipo_relacion", ColType::Text),
    col("uuid_relacionado", ColType::Text),
];

/// The table `name` of the documents a document of `parent` relates to, by UUID
/// (`uuid_relacionado`, upper-cased so it joins the main table's `uuid`).
pub(super) const fn related_table(name: &'static str, parent: &'static Table) -> Table {
    Table {
        name,
        columns: RELATED_COLUMNS,
        indexed: &["uuid", "uuid_relacionado"],
        parent: Some(parent),
        ..Table::BASE
    }
}

/// Whether the file is an XML document of SAT's whose root's local name is `root` and which
/// declares a namespace starting with `namespace` (without `http://`) in its first 64 KiB.
pub(super) fn is_sat_root(sniff: &Sniff, root: &[u8], namespace: &[u8]) -> bool {
    sniff
        .xml_elements
        .first()
        .is_some_and(|r| r.as_bytes() == root)
        && contains(&sniff.bytes[..sniff.bytes.len().min(64 * 1024)], namespace)
}

/// A SAT document being read: its main row, its stamps, and the first value that did not fit
/// its column (reported after the stamp is checked). The main table has the columns `uuid`,
/// `uuid_valido`, `version`, `path` and `sha256`.
pub(super) struct Head {
    pub table: &'static Table,
    pub values: Vec<Value>,
    pub stamps: Stamps,
    pub field_error: Option<FileError>,
}

impl Head {
    /// An empty main row of `table`.
    pub(super) fn new(table: &'static Table) -> Head {
        Head {
            table,
            values: row(table),
            stamps: Stamps::default(),
            field_error: None,
        }
    }

    /// The document's identity: its version, if one of `known` (`cfdi_unsupported_version`
    /// naming `what`, `CFDI`, if not), and its first stamp's UUID ([`Stamps::key`]).
    pub(super) fn identity(
        &self,
        what: &str,
        known: &[&str],
        opts: &ParseOptions,
    ) -> Result<Stamp, FileError> {
        let t = self.table;
        let version = version_of(&self.values[t.col("version")], what, known)?;
        self.stamps.key(
            &self.values[t.col("uuid")],
            &format!("{what} {version}"),
            opts,
        )
    }

    /// The document of `stamp`, once its parties are checked: the first value that did not fit
    /// fails it; its main row is given its identity and origin, then `children`'s rows follow.
    pub(super) fn into_doc<const N: usize>(
        self,
        stamp: Stamp,
        src: &Source,
        children: [(&'static Table, Vec<Vec<Value>>); N],
    ) -> Result<Doc, FileError> {
        if let Some(e) = self.field_error {
            return Err(e);
        }
        let t = self.table;
        let mut header = self.values;
        header[t.col("uuid")] = Value::Text(stamp.uuid.as_str().into());
        header[t.col("uuid_valido")] = Value::Int(stamp.valid as i64);
        header[t.col("path")] = Value::Text(src.origin.into());
        header[t.col("sha256")] = Value::Text(src.sha256.into());
        let rows = rows_of(t, header, &stamp.uuid, children);
        Ok(Doc {
            key: stamp.uuid,
            rows,
            warning: stamp.warning,
        })
    }
}

/// An empty row of `table`.
pub(super) fn row(table: &Table) -> Vec<Value> {
    vec![Value::Null; table.columns.len()]
}

/// Fill `row` from the element's attributes named in `attrs`. A value that does not fit its
/// column is kept in `field_error` (the first one), to be reported once the document's identity
/// is known to be right.
pub(super) fn fill(
    e: &Tag,
    table: &Table,
    attrs: Attrs,
    row: &mut [Value],
    field_error: &mut Option<FileError>,
) -> Result<(), FileError> {
    for a in e.attributes() {
        let a = a?;
        let key = a.local();
        let Some(&(_, c)) = attrs
            .iter()
            .find(|(name, _)| key.eq_ignore_ascii_case(name.as_bytes()))
        else {
            continue;
        };
        let v = a.value()?;
        match typed(table, c, v.trim(), ErrorType::CfdiInvalidField) {
            Ok(v) => row[c] = v,
            Err(e) => drop(field_error.get_or_insert(e)),
        }
    }
    Ok(())
}

/// Whether the open elements are exactly `path` (local names from the root).
pub(super) fn at(stack: &[&[u8]], path: &[&[u8]]) -> bool {
    stack == path
}

/// A document's rows: its main row (`header`, of `table`), then each child table's rows,
/// linked to it by its key (their first column).
fn rows_of<const N: usize>(
    table: &'static Table,
    header: Vec<Value>,
    key: &str,
    children: [(&'static Table, Vec<Vec<Value>>); N],
) -> Vec<Row> {
    let mut rows = vec![Row {
        table,
        values: header,
    }];
    for (table, table_rows) in children {
        for mut values in table_rows {
            values[0] = Value::Text(key.into());
            rows.push(Row { table, values });
        }
    }
    rows
}

/// The `TimbreFiscalDigital` stamps of a document (a CFDI, a Retenciones), counted as the
/// parser meets them. The first is the document's stamp, the one SAT's validators read; the
/// others are not read, only named in the report's warning.
#[derive(Debug, Default)]
pub(super) struct Stamps {
    /// Stamp elements met, with or without a UUID.
    count: usize,
    /// The UUIDs of the stamps after the first, as written (empty when one has none).
    others: Vec<String>,
}

/// A document's identity, from its first stamp.
#[derive(Debug)]
pub(super) struct Stamp {
    /// The first stamp's UUID, upper-cased: the document's key.
    pub uuid: String,
    /// Whether it is a UUID (8-4-4-4-12 hexadecimal digits); `false` only under
    /// `--allow-invalid-keys`.
    pub valid: bool,
    /// What the report says of the stamps: that there were several, that the UUID is not one.
    /// `None`: nothing to say.
    pub warning: Option<String>,
}

impl Stamps {
    /// A stamp element, `e`: whether it is the first, the one to read.
    pub(super) fn first(&mut self, e: &Tag) -> Result<bool, FileError> {
        self.count += 1;
        if self.count > 1 {
            self.others.push(e.attr(b"UUID")?.unwrap_or_default());
        }
        Ok(self.count == 1)
    }

    /// The document's identity from `uuid`, the value read from its first stamp's `UUID`.
    /// `what` names the document in errors (`CFDI 4.0`): `cfdi_not_stamped` without a UUID
    /// (whatever the options), `cfdi_invalid_uuid` when it is not one, unless
    /// `--allow-invalid-keys` lets it in.
    pub(super) fn key(
        &self,
        uuid: &Value,
        what: &str,
        opts: &ParseOptions,
    ) -> Result<Stamp, FileError> {
        let uuid = match uuid {
            Value::Text(u) => u.to_ascii_uppercase().into_string(),
            _ => {
                let why = if self.count > 0 {
                    "its TimbreFiscalDigital has no UUID"
                } else {
                    "no TimbreFiscalDigital in Complemento"
                };
                return Err(FileError::new(
                    ErrorType::CfdiNotStamped,
                    format!("{what} not stamped by a PAC: {why}"),
                ));
            }
        };
        let mut warnings = Vec::new();
        let valid = is_uuid(&uuid);
        if !valid {
            let msg = format!("stamp UUID {uuid:?} is not a UUID (8-4-4-4-12 hexadecimal digits)");
            if !opts.allow_invalid_keys {
                return Err(FileError::new(ErrorType::CfdiInvalidUuid, msg));
            }
            warnings.push(format!("{msg}; imported under --allow-invalid-keys"));
        }
        if self.count > 1 {
            warnings.push(format!(
                "several TimbreFiscalDigital stamps ({}): the first, UUID {uuid}, was imported; \
                 the others ({}) were ignored",
                self.count,
                self.others.join(", ")
            ));
        }
        let warning = (!warnings.is_empty()).then(|| warnings.join("; "));
        Ok(Stamp {
            uuid,
            valid,
            warning,
        })
    }
}

/// A document whose data sits in attributes (a CFDI, a Retenciones), shown its elements as they
/// open.
pub(super) trait Elements {
    /// An element opens (or an empty one appears) below the open elements `stack` (local names
    /// from the root).
    fn element(&mut self, stack: &[&[u8]], e: &Tag) -> Result<(), FileError>;

    /// The document, once every element has been shown.
    fn finish(self, src: &Source, opts: &ParseOptions) -> Result<Doc, FileError>;
}

/// The one document of a SAT file, read by `doc`.
pub(super) fn parse(
    sniff: &Sniff,
    src: &Source,
    opts: &ParseOptions,
    mut doc: impl Elements,
) -> Parsed {
    let utf8 = xml::to_utf8(sniff.bytes)?;
    walk(&utf8, src, &mut doc)?;
    Ok(vec![doc.finish(src, opts)?])
}

/// One streaming pass over `xml`, every element shown to `doc`.
fn walk(xml: &str, src: &Source, doc: &mut impl Elements) -> Result<(), FileError> {
    let mut events = xml::Events::new(xml);
    let mut stack: Vec<&[u8]> = Vec::with_capacity(16);
    loop {
        match events.next(src)? {
            Event::Start(e) => {
                doc.element(&stack, &e)?;
                stack.push(e.local());
            }
            Event::Empty(e) => doc.element(&stack, &e)?,
            Event::End => {
                stack.pop();
            }
            Event::Eof => return Ok(()),
            // The data is in attributes; text (addenda, stray whitespace) is not read.
            _ => {}
        }
    }
}

/// The document's version, `version` (its attribute's value), if it is one of `known`;
/// `cfdi_unsupported_version` naming `what` (`CFDI`) if not.
fn version_of(version: &Value, what: &str, known: &[&str]) -> Result<String, FileError> {
    match version {
        Value::Text(v) if known.contains(&v.as_str()) => Ok(v.to_string()),
        v => {
            let v = match v {
                Value::Text(v) => v.as_str(),
                _ => "",
            };
            let (last, others) = known.split_last().expect("known versions");
            Err(FileError::new(
                ErrorType::CfdiUnsupportedVersion,
                format!(
                    "{what} version {v:?} (batchimp reads {} and {last})",
                    others.join(", ")
                ),
            ))
        }
    }
}

/// `cfdi_invalid_rfc` unless `rfc`, the `who` party's (`issuer`, `receiver`), is an RFC.
pub(super) fn check_rfc(rfc: &Value, who: &str) -> Result<(), FileError> {
    match rfc {
        Value::Text(rfc) if is_rfc(rfc) => Ok(()),
        Value::Text(rfc) => Err(FileError::new(
            ErrorType::CfdiInvalidRfc,
            format!("{who} RFC {rfc:?} is not an RFC (3-4 letters, a yymmdd date, 3 characters)"),
        )),
        _ => Err(FileError::new(
            ErrorType::CfdiInvalidRfc,
            format!("no {who} RFC"),
        )),
    }
}

/// 8-4-4-4-12 hexadecimal digits.
pub(crate) fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// SAT's RFC shape (`t_RFC` in the CFDI schemas): 3 letters (companies) or 4 (people) from
/// A-Z, Ñ and &; a yymmdd date; two letters or digits and a digit or `A`.
pub fn is_rfc(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n != 12 && n != 13 {
        return false;
    }
    let (letters, rest) = chars.split_at(n - 9);
    let (date, homoclave) = rest.split_at(6);
    let digits = |cs: &[char]| -> Option<u32> {
        cs.iter()
            .try_fold(0u32, |acc, c| c.to_digit(10).map(|d| acc * 10 + d))
    };
    let (Some(month), Some(day), Some(_)) =
        (digits(&date[2..4]), digits(&date[4..6]), digits(&date[..2]))
    else {
        return false;
    };
    letters
        .iter()
        .all(|c| c.is_ascii_uppercase() || matches!(c, 'Ñ' | '&'))
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && homoclave[..2]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && (homoclave[2].is_ascii_digit() || homoclave[2] == 'A')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_shapes() {
        for ok in [
            "AAA010101AAA",
            "E&Ñ831019M53",
            "XIQB891116QE4",
            "XAXX010101000",
        ] {
            assert!(is_rfc(ok), "{ok}");
        }
        for bad in [
            "",
            "AAA010101AA",
            "aaa010101AAA",
            "AAA011301AAA",
            "AAA010132AAA",
            "AAA010101AAB",
            "A1A010101AAA",
            "AAAAA010101AAA",
        ] {
            assert!(!is_rfc(bad), "{bad}");
        }
    }

    #[test]
    fn uuids() {
        assert!(is_uuid("ED1752FE-E865-4FF2-BFE1-0F552E770DC9"));
        assert!(!is_uuid("ED1752FE-E865-4FF2-BFE1-0F552E770DC"));
        assert!(!is_uuid("ED1752FEXE865-4FF2-BFE1-0F552E770DC9"));
    }
}
