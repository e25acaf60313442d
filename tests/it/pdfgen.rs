//! A tiny PDF writer for the PDF tests: text pages in Helvetica, and the hostile shapes PDF
//! readers have choked on (a decompression bomb, a looping page tree, deep nesting).

/// A PDF of the given objects (`n 0 obj` bodies, numbered from 1; object 1 is the catalog),
/// with a right cross-reference table and `extra` in its trailer.
pub fn assemble(objects: &[Vec<u8>], extra: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R {extra} >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A stream object.
pub fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut s = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    s.extend_from_slice(data);
    s.extend_from_slice(b"\nendstream");
    s
}

/// A PDF whose pages hold these lines of text (Latin-1 only), with an Info dictionary.
pub fn text_pdf(pages: &[&[&str]], title: &str) -> Vec<u8> {
    let n = pages.len();
    // 1 catalog, 2 pages, 3 font, 4 info, then per page: page, content.
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 5 + 2 * i)).collect();
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).into_bytes(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_vec(),
        format!(
            "<< /Title ({title}) /Author (batchimp tests) /Producer (pdfgen.rs) \
             /Creator (batchimp) /CreationDate (D:20261005101500-03'00') >>"
        )
        .into_bytes(),
    ];
    for (i, lines) in pages.iter().enumerate() {
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
                 /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                6 + 2 * i
            )
            .into_bytes(),
        );
        let mut content = Vec::new();
        for (l, line) in lines.iter().enumerate() {
            show_text(&mut content, 10.0, 40.0, 800.0 - 14.0 * l as f32, line);
        }
        objects.push(stream("", &content));
    }
    assemble(&objects, "/Info 4 0 R")
}

/// A line of Latin-1 text in font `/F1` of `size` at (`x`, `y`), appended to a content stream.
pub fn show_text(content: &mut Vec<u8>, size: f32, x: f32, y: f32, text: &str) {
    content.extend_from_slice(format!("BT /F1 {size} Tf {x} {y} Td (").as_bytes());
    for c in text.chars() {
        let b = u8::try_from(u32::from(c)).expect("Latin-1 text");
        if matches!(b, b'(' | b')' | b'\\') {
            content.push(b'\\');
        }
        content.push(b);
    }
    content.extend_from_slice(b") Tj ET\n");
}

/// A one-page PDF whose content stream inflates to `gib` GiB of zeros: a stream compressed
/// once with sync flushes, its 1 MiB block repeated (cheap to make, as such bombs are).
pub fn bomb_pdf(gib: usize) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let mut c = Compress::new(Compression::best(), false);
    let mut block = Vec::with_capacity(8192);
    c.compress_vec(&vec![0u8; 1 << 20], &mut block, FlushCompress::Full)
        .unwrap();
    let mut data = vec![0x78, 0xda];
    for _ in 0..(gib << 10) {
        data.extend_from_slice(&block);
    }
    data.extend_from_slice(&[0x03, 0x00, 0, 0, 0, 0]);
    assemble(
        &[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_vec(),
            stream("/Filter /FlateDecode", &data),
        ],
        "",
    )
}

/// A page tree whose node is its own grandchild.
pub fn looping_pdf() -> Vec<u8> {
    assemble(
        &[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>".to_vec(),
        ],
        "",
    )
}

/// A page whose resources nest `depth` arrays deep.
pub fn deep_pdf(depth: usize) -> Vec<u8> {
    let mut nested = "[".repeat(depth).into_bytes();
    nested.extend_from_slice("]".repeat(depth).as_bytes());
    let mut page =
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Deep ".to_vec();
    page.extend_from_slice(&nested);
    page.extend_from_slice(b" >>");
    assemble(
        &[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            page,
            stream("", b"BT /F1 10 Tf 40 800 Td (deep) Tj ET"),
        ],
        "",
    )
}

/// A text PDF encrypted (standard handler, RC4) with a user password: the dictionary alone,
/// enough for a reader to ask for the password an empty one does not match.
pub fn password_pdf() -> Vec<u8> {
    let o = "<".to_owned() + &"4f".repeat(32) + ">";
    let u = "<".to_owned() + &"55".repeat(32) + ">";
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_vec(),
        stream("", b"\x8a\x11\x93garbled"),
    ];
    objects.push(format!("<< /Filter /Standard /V 1 /R 2 /O {o} /U {u} /P -44 >>").into_bytes());
    assemble(
        &objects,
        "/Encrypt 5 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>]",
    )
}

/// `pdf` encrypted for real (RC4, 128-bit key) by lopdf, with this user password; an empty
/// one opens without asking, as most "protected" invoices do.
pub fn encrypted(pdf: &[u8], user_password: &str) -> Vec<u8> {
    use lopdf::{EncryptionState, EncryptionVersion, Object, Permissions};
    let mut doc = lopdf::Document::load_mem(pdf).unwrap();
    let id = Object::string_literal(b"0123456789abcdef".to_vec());
    doc.trailer.set("ID", Object::Array(vec![id.clone(), id]));
    let version = EncryptionVersion::V2 {
        document: &doc,
        owner_password: "owner",
        user_password,
        key_length: 128,
        permissions: Permissions::default(),
    };
    let state = EncryptionState::try_from(version).unwrap();
    doc.encrypt(&state).unwrap();
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}
