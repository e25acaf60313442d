//! Brazilian NF-e and NFC-e (models 55 and 65; layouts 2.00, 3.10 and 4.00) and the messages
//! that travel with them in a SEFAZ download: events (cancellation, CC-e, manifestation...),
//! distribution summaries (`resNFe`, `resEvento`) and number-range voiding (`inutNFe`).
//!
//! A file is one family, told by its first NF-e element (after any `nfeDadosMsg`/SOAP
//! wrapper): documents are read by [`nota`], the other messages by [`evento`]. Both match
//! elements by local name, so namespaces and prefixes such as `nfe:` do not matter.

pub mod evento;
pub mod nota;

use super::xml::{self, Name};
use super::{Format, ParseOptions, Parsed, Sniff, Source, Table};
use crate::error::{ErrorType, FileError};
use crate::format::key::{check_digit, check_digit_ok, is_key_shape};

pub use nota::{NFE, NFE_DUPLICATA, NFE_ITEM, NFE_PAGAMENTO};

/// What a file holds, from its first NF-e element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// `nfeProc`, `NFe`, `enviNFe`: fiscal documents.
    Nota,
    /// Events, summaries and voiding.
    Message,
}

fn family(name: &[u8]) -> Option<Family> {
    match name {
        b"nfeProc" | b"NFe" | b"enviNFe" => Some(Family::Nota),
        b"procEventoNFe" | b"evento" | b"envEvento" | b"retEnvEvento" | b"retEvento"
        | b"resNFe" | b"resEvento" | b"inutNFe" | b"procInutNFe" | b"retInutNFe" => {
            Some(Family::Message)
        }
        _ => None,
    }
}

/// The family of the first elements of a file: the root, or what a transport wrapper holds.
fn family_of(elements: &[Name]) -> Option<Family> {
    let mut els = elements.iter().map(Name::as_bytes);
    match els.next()? {
        b"nfeDadosMsg" | b"nfeResultMsg" | b"Envelope" => els
            .find(|n| {
                !matches!(
                    *n,
                    b"Header" | b"Body" | b"nfeDadosMsg" | b"nfeResultMsg" | b"idLote"
                )
            })
            .and_then(family),
        root => family(root),
    }
}

/// The NF-e format.
pub struct Nfe;

impl Format for Nfe {
    fn kind(&self) -> &'static str {
        "nfe"
    }

    fn tables(&self) -> &'static [&'static Table] {
        static TABLES: [&Table; 8] = [
            &NFE,
            &NFE_ITEM,
            &NFE_PAGAMENTO,
            &NFE_DUPLICATA,
            &evento::NFE_EVENTO,
            &evento::NFE_RESUMO,
            &evento::NFE_EVENTO_RESUMO,
            &evento::NFE_INUTILIZACAO,
        ];
        &TABLES
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        family_of(&sniff.xml_elements).is_some()
    }

    fn parse(&self, sniff: &Sniff, src: &Source, opts: &ParseOptions) -> Parsed {
        let utf8 = xml::to_utf8(sniff.bytes)?;
        match family_of(&sniff.xml_elements) {
            Some(Family::Message) => evento::parse(&utf8, src, opts),
            _ => nota::parse(&utf8, src, opts),
        }
    }
}

/// Which documents an access key may name, and the error types their family reports. NF-e,
/// CT-e and MDF-e share the key's layout and check digit; a key's model (its characters
/// 21-22) tells them apart.
#[derive(Debug)]
pub struct KeyRule {
    /// What messages call the document (`NF-e`).
    pub document: &'static str,
    /// The models the key may carry. Empty: any. NF-e keys are not held to 55/65, as before
    /// CT-e and MDF-e existed here: a key found on a printout is not either (`key::is_valid_key`).
    pub models: &'static [&'static str],
    /// The error of a key that is not 44 characters or has a model not in `models`.
    pub invalid: ErrorType,
    /// The error of a wrong check digit.
    pub bad_check_digit: ErrorType,
}

/// The NF-e's (and NFC-e's) keys, and those their events and summaries name.
pub const NFE_KEY: KeyRule = KeyRule {
    document: "NF-e",
    models: &[],
    invalid: ErrorType::NfeInvalidKey,
    bad_check_digit: ErrorType::NfeBadCheckDigit,
};

/// Check an access key (of a document, or the one an event or summary names): 44 characters,
/// digits except the issuer's CNPJ, which may be alphanumeric from 2026; a model the `rule`
/// allows; and the mod-11 check digit. Returns whether the check digit is right, and the
/// warning to report when it is not but `--allow-invalid-keys` lets the document in.
pub fn check_key(
    key: &str,
    rule: &KeyRule,
    opts: &ParseOptions,
) -> Result<(bool, Option<String>), FileError> {
    if !is_key_shape(key) {
        return Err(FileError::new(
            rule.invalid,
            format!("access key {key:?} is not 44 digits (the CNPJ part may be alphanumeric)"),
        ));
    }
    let model = &key[20..22];
    if !rule.models.is_empty() && !rule.models.contains(&model) {
        return Err(FileError::new(
            rule.invalid,
            format!(
                "access key {key} has model {model}, not {}'s {}",
                rule.document,
                rule.models.join(" or ")
            ),
        ));
    }
    if check_digit_ok(key) {
        return Ok((true, None));
    }
    let msg = format!(
        "access key {key} has a wrong check digit (expected {}, SEFAZ rejection 253)",
        check_digit(&key[..43])
    );
    if !opts.allow_invalid_keys {
        return Err(FileError::new(rule.bad_check_digit, msg));
    }
    Ok((
        false,
        Some(format!("{msg}; imported under --allow-invalid-keys")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::key::{check_digit, check_digit_ok, is_key_shape};

    #[test]
    fn alphanumeric_cnpj_keys() {
        // CNPJ 12ABC34501DE35 (the Receita Federal's example): letters count as ASCII - 48.
        let first43 = [
            "35",
            "2610",
            "12ABC34501DE35",
            "55",
            "001",
            "000001001",
            "1",
            "10010010",
        ]
        .concat();
        let first43 = first43.as_str();
        assert_eq!(first43.len(), 43);
        let key = format!("{first43}{}", check_digit(first43));
        assert!(is_key_shape(&key), "{key}");
        assert!(check_digit_ok(&key));
        let opts = ParseOptions::default();
        assert_eq!(check_key(&key, &NFE_KEY, &opts), Ok((true, None)));
        // Letters outside the CNPJ, or lower case, are not a key.
        assert!(!is_key_shape(&key.replace("3526", "35A6")));
        assert!(!is_key_shape(&key.to_ascii_lowercase()));
    }
}
