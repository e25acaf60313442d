//! Differential: batchimp's verdict on any bytes against roxmltree, an independent XML 1.0 and
//! namespaces parser. No document roxmltree rejects may be imported, and batchimp's reader
//! accepts nothing roxmltree rejects. (batchimp is stricter in places, e.g. it refuses every
//! DOCTYPE, so the other direction is not asserted.)
#![no_main]

use batchimp::format::xml;
use batchimp::format::{self, Outcome, ParseOptions, Source};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};

fuzz_target!(|data: &[u8]| {
    let src = Source {
        origin: "fuzz.xml",
        sha256: "0",
        deadline: Instant::now() + Duration::from_secs(60),
    };
    let (_, outcome) = format::read(data, &src, &ParseOptions { allow_invalid_keys: true, ..ParseOptions::default() });
    let imported = matches!(outcome, Outcome::Docs(_));
    let ours = xml::well_formed(data);
    assert!(!imported || ours.is_ok(), "imported but not well-formed: {ours:?}");
    if ours.is_err() {
        return;
    }
    // batchimp decoded it; roxmltree reads UTF-8 text only.
    let text = xml::to_utf8(data).expect("decoded by well_formed");
    if let Err(e) = roxmltree::Document::parse(&text) {
        // roxmltree 0.21 refuses an element named with the `xml` prefix (`<xml:a/>`), which the
        // Namespaces recommendation binds by definition; batchimp accepts it, as it should.
        if matches!(&e, roxmltree::Error::UnknownNamespace(prefix, _) if prefix == "xml") {
            return;
        }
        panic!("batchimp accepts what roxmltree rejects ({e}); imported: {imported}");
    }
});
