//! The W3C XML Conformance Test Suite (`../shared/xmlconf`, when present) against batchimp's XML
//! reader: every not-wf case must be rejected and every well-formed one (`valid`, `invalid`)
//! accepted, for the cases without a DOCTYPE (a DOCTYPE is refused by policy, so those say
//! nothing about the reader). XML 1.1 cases and cases for editions before the fifth are
//! skipped.

use batchimp::error::ErrorType;
use batchimp::format::xml;
use std::path::{Path, PathBuf};

/// Cases where batchimp's verdict differs from the suite's, each with its reason.
const EXCEPTIONS: &[(&str, &str)] = &[
    (
        "o-p04pass1",
        "names with several colons (`A.-:̀·`) are XML 1.0 names but not qualified names: \
         batchimp requires namespace-well-formed XML, as every fiscal schema is",
    ),
    (
        "o-p05pass1",
        "the name `A:._-0` is an XML 1.0 name but not a qualified name (its local part starts \
         with `.`): batchimp requires namespace-well-formed XML",
    ),
];

struct Case {
    id: String,
    file: PathBuf,
    well_formed: bool,
    /// Whether the case is read without namespaces (`NAMESPACE="no"`): batchimp always
    /// requires namespace-well-formed documents, as fiscal XML is.
    namespaces: bool,
}

fn suite() -> Option<PathBuf> {
    crate::helpers::shared_dir("xmlconf", "xmlconf.xml")
}

/// The catalogues the master catalogue names (`<!ENTITY name SYSTEM "path">`).
fn catalogues(dir: &Path) -> Vec<PathBuf> {
    let master = std::fs::read_to_string(dir.join("xmlconf.xml")).unwrap();
    master
        .split("<!ENTITY")
        .skip(1)
        .filter_map(|decl| decl.split("SYSTEM").nth(1))
        .filter_map(|rest| rest.split('"').nth(1))
        .map(|path| dir.join(path))
        .collect()
}

fn cases(dir: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for catalogue in catalogues(dir) {
        // A catalogue is an external entity (several TEST elements without one root): it is read
        // inside an element of its own, without its text declaration.
        let text = std::fs::read_to_string(&catalogue).unwrap();
        let body = match text.strip_prefix("<?xml") {
            Some(rest) => &rest[rest.find("?>").unwrap() + 2..],
            None => &text,
        };
        let text = format!("<CATALOGUE>{body}</CATALOGUE>");
        let doc = roxmltree::Document::parse(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", catalogue.display()));
        let base = catalogue.parent().unwrap();
        for test in doc.descendants().filter(|n| n.has_tag_name("TEST")) {
            let attr = |name| test.attribute(name).unwrap_or("");
            let version = attr("VERSION");
            let edition = attr("EDITION");
            if version.contains("1.1") || (!edition.is_empty() && !edition.contains('5')) {
                continue;
            }
            let well_formed = match attr("TYPE") {
                "valid" | "invalid" => true,
                "not-wf" => false,
                _ => continue,
            };
            let file = base.join(attr("URI"));
            let bytes = std::fs::read(&file).unwrap();
            if xml::to_utf8(&bytes).is_ok_and(|t| contains(t.as_bytes(), b"<!DOCTYPE")) {
                continue;
            }
            cases.push(Case {
                id: attr("ID").to_owned(),
                file,
                well_formed,
                namespaces: attr("NAMESPACE") != "no",
            });
        }
    }
    cases
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn w3c_conformance_suite_without_doctype() {
    let Some(dir) = suite() else { return };
    let cases = cases(&dir);
    let (mut rejected, mut accepted, mut not_wf, mut wf) = (0, 0, 0, 0);
    let mut wrong = Vec::new();
    let mut by_type = std::collections::BTreeMap::new();
    for case in &cases {
        let bytes = std::fs::read(&case.file).unwrap();
        let verdict = xml::well_formed(&bytes);
        if let Err(e) = &verdict {
            assert_ne!(e.error_type, ErrorType::InternalError, "{}", case.id);
            *by_type.entry(e.error_type.as_str()).or_insert(0) += 1;
        }
        if case.well_formed {
            wf += 1;
            accepted += usize::from(verdict.is_ok());
        } else {
            not_wf += 1;
            rejected += usize::from(verdict.is_err());
        }
        let expected = EXCEPTIONS.iter().any(|(id, _)| *id == case.id);
        if verdict.is_ok() != case.well_formed && !expected {
            let what = match &verdict {
                Ok(()) => "accepted".to_owned(),
                Err(e) => format!("rejected: {}", e.message),
            };
            wrong.push(format!(
                "{} ({}, namespaces: {}): {what}",
                case.id,
                case.file.strip_prefix(&dir).unwrap().display(),
                case.namespaces
            ));
        }
    }
    eprintln!(
        "W3C XML conformance suite, cases without a DOCTYPE: {rejected} of {not_wf} not-wf rejected, \
         {accepted} of {wf} well-formed accepted ({} listed exceptions); rejected as {by_type:?}",
        EXCEPTIONS.len()
    );
    assert!(
        not_wf > 100 && wf > 25,
        "the suite was read: {not_wf} / {wf}"
    );
    assert!(
        wrong.is_empty(),
        "{} cases:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
