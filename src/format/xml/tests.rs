//! Unit tests of the scanner: events, typed errors, the conformance checks one by one, the
//! scope of prefixes, the bounds on counts and the deadline.

use super::scope::Scope;
use super::*;
use std::time::Instant;

/// The events of `xml` in a compact notation, or the error's type and message.
fn scan(xml: &str) -> Result<Vec<String>, (ErrorType, String)> {
    let mut events = Events::new(xml);
    let mut out = Vec::new();
    loop {
        let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        match events.scan() {
            Ok(Event::Start(t)) => out.push(format!("<{}>", show(t.name()))),
            Ok(Event::Empty(t)) => out.push(format!("<{}/>", show(t.name()))),
            Ok(Event::End) => out.push("</>".into()),
            Ok(Event::Text(t)) => out.push(format!("'{}'", t.raw)),
            Ok(Event::CData(t)) => out.push(format!("[{t}]")),
            Ok(Event::Eof) => return Ok(out),
            Err(e) => return Err((e.error_type, e.message)),
        }
    }
}

fn error_of(xml: &str) -> ErrorType {
    scan(xml).expect_err(xml).0
}

#[test]
fn events_of_well_formed_xml() {
    let xml = "<?xml version=\"1.0\"?><!-- a <comment> --><a x=\"1>2\" y='3'>t&amp;u\
               <b/><c ><![CDATA[<raw>]]></c ><?pi ?></a>";
    assert_eq!(
        scan(xml).unwrap(),
        ["<a>", "'t&amp;u'", "<b/>", "<c>", "[<raw>]", "</>", "</>"]
    );
    assert_eq!(scan("\n<a/>\n<!-- end -->\n<?pi x?>\n").unwrap(), ["<a/>"]);
    assert_eq!(scan("<n:a xmlns:n='u'></n:a>").unwrap(), ["<n:a>", "</>"]);
}

#[test]
fn typed_errors() {
    use ErrorType::*;
    for (xml, expected) in [
        ("<a><b></a>", XmlMalformed),
        ("<a></b>", XmlMalformed),
        ("</a>", XmlMalformed),
        ("<a>< b</a>", XmlMalformed),
        ("<a><!FOO></a>", XmlMalformed),
        ("<!DOCTYPE a [<!ENTITY e 'x'>]><a/>", XmlDoctypeRejected),
        ("<!doctype a><a/>", XmlDoctypeRejected),
        ("<a>", XmlTruncated),
        ("<a><b>text", XmlTruncated),
        ("<a><b", XmlTruncated),
        ("<a x=\"1>", XmlTruncated),
        ("<a></b", XmlTruncated),
        ("<a></a ", XmlTruncated),
        ("<a><!-- never closed", XmlTruncated),
        ("<a><![CDATA[never closed", XmlTruncated),
        ("<a><!-", XmlTruncated),
        ("<a><?pi", XmlTruncated),
        ("<", XmlTruncated),
    ] {
        assert_eq!(error_of(xml), expected, "{xml}");
    }
    let deep = "<a>".repeat(MAX_DEPTH + 1);
    assert_eq!(error_of(&deep), ErrorType::XmlTooDeep);
    let ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
    assert!(scan(&ok).is_ok());
    let (_, message) = scan("<a><b></c></a>").unwrap_err();
    assert_eq!(
        message,
        "malformed XML at byte 6: </c> where </b> was expected"
    );
    let (_, message) = scan("<nfeProc><NFe>").unwrap_err();
    assert_eq!(message, "XML ends early (at byte 14) inside <NFe>");
}

#[test]
fn not_well_formed() {
    for (xml, message) in [
        ("", "at byte 0: no root element"),
        ("<!-- only -->", "no root element"),
        ("<a b=\"x<y\"/>", "at byte 7: a `<` in an attribute value"),
        ("<a/><a/>", "at byte 4: <a> after the root element ended"),
        ("<a></a>text", "at byte 7: text after the root element"),
        ("text<a/>", "at byte 0: text before the root element"),
        ("<a x='1' x='2'/>", "<a> has attribute x twice"),
        ("<a>&#1;</a>", "&#1; is not a character XML allows"),
        (
            "<a>\u{1}</a>",
            "at byte 3: a character XML does not allow (U+0001)",
        ),
        ("<a b/>", "attribute b has no value"),
        ("<a b=c/>", "the value of b is not quoted"),
        ("<a b='1'c='2'/>", "unexpected `c` in <a>"),
        ("<a><!-- a -- b --></a>", "`--` inside a comment"),
        ("<a>]]></a>", "`]]>` in text"),
        (
            "<a>&nbsp;</a>",
            "&nbsp; names an entity XML does not predefine",
        ),
        ("<a>a & b</a>", "an `&` that starts no reference"),
        ("<a b='&bogus;'/>", "&bogus; names an entity"),
        ("<n:a/>", "the prefix of n:a is not declared"),
        ("<a n:b='1'/>", "the prefix of n:b is not declared"),
        ("<a:b:c xmlns:a='u'/>", "not a qualified name"),
        (
            "<a xmlns:n='u' xmlns:m='u' n:x='1' m:x='2'/>",
            "the same name in the same namespace",
        ),
        (
            "<a xmlns:n=''/>",
            "xmlns:n: a prefix bound to an empty namespace name",
        ),
        (
            "<a xmlns:xmlns='u'/>",
            "the prefix xmlns cannot be declared",
        ),
        ("<xmlns:a/>", "has the prefix xmlns"),
        (
            "<a><?xml version='1.0'?></a>",
            "an XML declaration that is not at the very start",
        ),
        (
            " <?xml version='1.0'?><a/>",
            "an XML declaration that is not at the very start",
        ),
        (
            "<?xml encoding='UTF-8'?><a/>",
            "the XML declaration has no version",
        ),
        ("<?xml version='2.0'?><a/>", "version \"2.0\" is not 1.x"),
        (
            "<?xml version='1.0' standalone='yes' encoding='UTF-8'?><a/>",
            "in that order",
        ),
        (
            "<?xml version='1.0'encoding='UTF-8'?><a/>",
            "unexpected `encoding=",
        ),
        (
            "<?xml version='1.0' standalone='maybe'?><a/>",
            "standalone is neither",
        ),
        ("<?1pi?><a/>", "without a target"),
        ("<?pi-x:y?><a/>", "target with a `:`"),
        (
            "<![CDATA[x]]><a/>",
            "a CDATA section outside the root element",
        ),
        ("<a></a b>", "unexpected `b` in an end tag"),
        ("<a>< b</a>", "a `<` that starts no element"),
        ("<1a/>", "a `<` that starts no element"),
    ] {
        let (ty, got) = scan(xml).expect_err(xml);
        assert_eq!(ty, ErrorType::XmlMalformed, "{xml}: {got}");
        assert!(got.contains(message), "{xml}: {got}");
    }
    // `<?pi?>` is fine: a target needs white space only before data.
    for ok in [
        "<?xml version='1.0' encoding='UTF-8' standalone='no' ?><a/>",
        "<?xml version=\"1.0\"?>\r\n<?pi?><?pi  data ?><a/>",
        "<a xmlns='u' xmlns:n='v' n:x='1' x='2'><n:b xml:lang='pt'/></a>",
        "<n:a xmlns:n='u' xmlns:m='v' n:x='1' m:x='2'><m:b/></n:a>",
        "<a><b xmlns:n='u'><n:c/></b><c xmlns:n='w'/></a>",
        "<a b='&#60;&lt;&amp;' c=\"]]>\">]] ]&gt; &#x10000;\u{FFFD}</a>",
        "<a><!----><!-- - --></a>",
        "<a x:y='1' xmlns:x='u'/>",
        // The `xml` prefix is bound by definition, on elements as on attributes.
        "<a><xml:b xml:lang='pt'/></a>",
    ] {
        assert!(scan(ok).is_ok(), "{ok}: {:?}", scan(ok));
    }
    assert_eq!(scan("<n:a xmlns:n='u'><b/></n:a>").unwrap().len(), 3);
    // A prefix declared on an element goes out of scope when it ends.
    let (_, got) = scan("<a><b xmlns:n='u'/><n:c/></a>").unwrap_err();
    assert!(got.contains("the prefix of n:c is not declared"), "{got}");
    // Messages cut what they quote.
    let long = format!("<{0}/><{0}/>", "x".repeat(100));
    assert!(
        scan(&long)
            .unwrap_err()
            .1
            .contains(&format!("<{}…>", "x".repeat(40)))
    );
}

#[test]
fn the_whole_document_is_checked_from_the_first_event() {
    let utf8 = "<a>ok</a>\u{FFFF}";
    let mut events = Events::new(utf8);
    let err = events.scan().unwrap_err();
    assert_eq!(
        err.message,
        "malformed XML at byte 9: a character XML does not allow (\u{FFFF})"
    );
    assert!(well_formed(b"<?xml version='1.0' encoding='ISO-8859-1'?><a>\xe7</a>").is_ok());
    assert_eq!(
        well_formed(b"<a/>\n<b/>").unwrap_err().error_type,
        ErrorType::XmlMalformed
    );
}

#[test]
fn attributes() {
    let events = |xml: &'static str| {
        let mut ev = Events::new(xml);
        match ev.scan().unwrap() {
            Event::Start(t) | Event::Empty(t) => t,
            other => panic!("{other:?}"),
        }
    };
    let tag = events("<infNFe versao=\"4.00\"  n:Id = 'NFe35&amp;1' x=\" a>b \" xmlns:n='u'/>");
    assert_eq!(tag.local(), b"infNFe");
    assert_eq!(tag.attr(b"versao").unwrap().as_deref(), Some("4.00"));
    assert_eq!(tag.attr(b"Id").unwrap().as_deref(), Some("NFe35&1"));
    assert_eq!(tag.attr(b"x").unwrap().as_deref(), Some("a>b"));
    assert_eq!(tag.attr(b"missing").unwrap(), None);
    let keys: Vec<_> = tag.attributes().map(|a| a.unwrap().key).collect();
    assert_eq!(keys, [&b"versao"[..], b"n:Id", b"x", b"xmlns:n"]);
    for bad in ["<a b>", "<a b=c>", "<a =\"c\">", "<a b=\"&bogus;\">"] {
        let err = Events::new(bad).scan().unwrap_err();
        assert_eq!(err.error_type, ErrorType::XmlMalformed, "{bad}");
    }
}

#[test]
fn prefixes_are_found_by_hash_and_restored_when_their_element_ends() {
    let mut scope = Scope::default();
    assert_eq!(scope.uri(b"n"), None);
    scope.declare(b"n", b"u1");
    scope.declare(b"m", b"v");
    let outer = scope.len();
    scope.declare(b"n", b"u2");
    assert_eq!(scope.uri(b"n"), Some(&b"u2"[..]));
    assert_eq!(scope.uri(b"m"), Some(&b"v"[..]));
    scope.truncate(outer);
    assert_eq!(scope.uri(b"n"), Some(&b"u1"[..]));
    scope.truncate(0);
    assert_eq!((scope.uri(b"n"), scope.uri(b"m")), (None, None));
    // Past Scope::FEW the map takes over, and hands back when they go out of scope.
    for i in 0..40 {
        scope.declare(
            if i % 2 == 0 { b"n" } else { b"m" },
            if i == 39 { b"last" } else { b"u" },
        );
    }
    assert_eq!(scope.uri(b"m"), Some(&b"last"[..]));
    scope.truncate(39);
    assert_eq!(scope.uri(b"m"), Some(&b"u"[..]));
    scope.truncate(3);
    assert_eq!(
        (scope.uri(b"n"), scope.uri(b"m")),
        (Some(&b"u"[..]), Some(&b"u"[..]))
    );
    scope.truncate(0);
    // 100,000 prefixes in scope, each looked up: a scan of the bindings made this five
    // billion comparisons; hashed, it takes milliseconds even unoptimised.
    let names: Vec<String> = (0..100_000).map(|i| format!("p{i}")).collect();
    for n in &names {
        scope.declare(n.as_bytes(), b"u");
    }
    let started = Instant::now();
    assert!(names.iter().all(|n| scope.uri(n.as_bytes()).is_some()));
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    // Through the scanner: an inner declaration hides the outer one inside its element only.
    let (_, got) =
        scan("<a xmlns:n='u' xmlns:m='v'><b xmlns:n='v' n:x='1' m:x='2'/></a>").unwrap_err();
    assert!(got.contains("the same name in the same namespace"), "{got}");
    assert!(scan("<a xmlns:n='u' xmlns:m='v'><b xmlns:n='v'/><c n:x='1' m:x='2'/></a>").is_ok());
}

#[test]
fn absurd_counts_are_xml_too_complex() {
    let attrs = |n: usize| (0..n).map(|i| format!(" a{i}='1'")).collect::<String>();
    assert!(scan(&format!("<a{}/>", attrs(MAX_ATTRIBUTES))).is_ok());
    let (ty, got) = scan(&format!("<a{}/>", attrs(MAX_ATTRIBUTES + 1))).unwrap_err();
    assert_eq!(ty, ErrorType::XmlTooComplex);
    assert_eq!(got, "<a> has more than 10000 attributes");
    // Declarations in scope count across elements.
    let decls = |from: usize, n: usize| {
        (from..from + n)
            .map(|i| format!(" xmlns:p{i}='u'"))
            .collect::<String>()
    };
    let half = MAX_ATTRIBUTES / 2;
    let nested = |more: usize| format!("<a{}><b{}/></a>", decls(0, half), decls(half, more));
    assert!(scan(&nested(half)).is_ok());
    let (ty, got) = scan(&nested(half + 1)).unwrap_err();
    assert_eq!(ty, ErrorType::XmlTooComplex);
    assert_eq!(
        got,
        "<b> has more than 10000 namespace declarations in scope"
    );
    // Out of scope, they no longer count.
    let siblings = format!(
        "<a><b{}/><c{}/></a>",
        decls(0, half + 1),
        decls(0, half + 1)
    );
    assert!(scan(&siblings).is_ok());
}

#[test]
fn the_deadline_is_checked_inside_one_tag_and_after_big_events() {
    let src = |deadline| crate::format::Source {
        origin: "t.xml",
        sha256: "0",
        deadline,
    };
    let later = src(Instant::now() + std::time::Duration::from_secs(3600));
    let past = src(Instant::now());
    std::thread::sleep(std::time::Duration::from_millis(2));
    // The first event is checked.
    assert_eq!(
        Events::new("<a/>").next(&past).unwrap_err().error_type,
        ErrorType::Timeout
    );
    // Inside one start tag, every CHECK_ATTRIBUTES.
    let tag = format!(
        "<a{}/>",
        (0..5_000).map(|i| format!(" a{i}='1'")).collect::<String>()
    );
    let mut events = Events::new(&tag);
    events.deadline = Some(past.deadline);
    events.check_at = usize::MAX;
    assert_eq!(events.scan().unwrap_err().error_type, ErrorType::Timeout);
    // After CHECK_BYTES of text, however few events that was.
    let xml = format!("<a>{}<b/></a>", "x".repeat(CHECK_BYTES + 1));
    let mut events = Events::new(&xml);
    assert!(matches!(events.next(&later), Ok(Event::Start(_))));
    assert!(matches!(events.next(&past), Ok(Event::Text(_))));
    assert_eq!(
        events.next(&past).unwrap_err().error_type,
        ErrorType::Timeout
    );
}

#[test]
fn first_elements_reads_only_the_head() {
    let names = |xml: &str| -> Vec<String> {
        first_elements(xml.as_bytes(), 3)
            .unwrap()
            .iter()
            .map(|n| format!("{n:?}"))
            .collect()
    };
    assert_eq!(names("<a><b/><c>text</c><d/></a>"), ["a", "b", "c"]);
    assert_eq!(names("<x:a xmlns:x='u'><b>cut off"), ["a", "b"]);
    assert_eq!(
        first_elements(b"<!DOCTYPE a><a/>", 3)
            .unwrap_err()
            .error_type,
        ErrorType::XmlDoctypeRejected
    );
    assert_eq!(
        first_elements(b"  just text", 3).unwrap_err().error_type,
        ErrorType::XmlMalformed
    );
}
