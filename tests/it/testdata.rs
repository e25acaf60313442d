//! Test data made on the spot: many valid NF-e with their own keys, plus duplicates, resends and
//! broken files, in folders and a ZIP, deterministic for a given count.

use batchimp::format::key::check_digit;
use std::fs;
use std::io::Write;
use std::path::Path;

/// A valid access key for document number `n` (issuer and month fixed).
pub fn key(n: u32) -> String {
    let k43 = format!(
        "3526101234567800019555001{n:09}1{:08}",
        n.wrapping_mul(7919) % 100_000_000
    );
    let dv = check_digit(&k43);
    format!("{k43}{dv}")
}

/// An authorized NF-e 4.00 with `items` items.
pub fn nfe(n: u32, items: usize, nat_op: &str) -> String {
    let k = key(n);
    let mut dets = String::new();
    let mut total = 0.0;
    for i in 1..=items {
        let v = (i as f64) * 1.25 + f64::from(n % 100);
        total += v;
        dets.push_str(&format!(
            "<det nItem=\"{i}\"><prod><cProd>{i:05}</cProd><cEAN>SEM GTIN</cEAN><xProd>PRODUTO Nº {i} AÇÃO</xProd>\
             <NCM>22030000</NCM><CFOP>5102</CFOP><uCom>UN</uCom><qCom>1.0000</qCom><vUnCom>{v:.2}</vUnCom>\
             <vProd>{v:.2}</vProd></prod><imposto><ICMS><ICMS00><orig>0</orig><CST>00</CST><vBC>{v:.2}</vBC>\
             <pICMS>18.00</pICMS><vICMS>{:.2}</vICMS></ICMS00></ICMS></imposto></det>",
            v * 0.18
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<nfeProc versao=\"4.00\" xmlns=\"http://www.portalfiscal.inf.br/nfe\">\
         <NFe><infNFe versao=\"4.00\" Id=\"NFe{k}\"><ide><cUF>35</cUF><natOp>{nat_op}</natOp><mod>55</mod><serie>1</serie>\
         <nNF>{n}</nNF><dhEmi>2026-10-05T10:00:00-03:00</dhEmi><tpNF>1</tpNF><tpAmb>2</tpAmb></ide>\
         <emit><CNPJ>12345678000195</CNPJ><xNome>Comércio São João Ltda</xNome><enderEmit><UF>SP</UF></enderEmit></emit>\
         <dest><CNPJ>98765432000198</CNPJ><xNome>Cliente {n}</xNome><enderDest><UF>MG</UF></enderDest></dest>{dets}\
         <total><ICMSTot><vProd>{total:.2}</vProd><vNF>{total:.2}</vNF></ICMSTot></total></infNFe></NFe>\
         <protNFe versao=\"4.00\"><infProt><chNFe>{k}</chNFe><dhRecbto>2026-10-05T10:00:09-03:00</dhRecbto>\
         <nProt>1352600{n:08}</nProt><cStat>100</cStat></infProt></protNFe></nfeProc>\n"
    )
}

/// A product catalog of `rows` rows starting at SKU `first`, priced by `price_cents`, with a
/// price in Brazilian notation (rejected) every 500th row.
pub fn catalog(first: u32, rows: u32, price_cents: u32) -> String {
    let mut csv = String::from("sku;nome;descricao;preco;estoque\n");
    for i in first..first + rows {
        let price = if i % 500 == 499 {
            "12,50".to_owned()
        } else {
            format!("{}.{:02}", price_cents / 100 + i % 300, price_cents % 100)
        };
        csv.push_str(&format!(
            "P{i:06};Produto {i};\"Descrição do produto {i}; embalagem \"\"econômica\"\"\";{price};{}\n",
            i % 91
        ));
    }
    csv
}

/// `count` files under `dir` in folders of 100, with a duplicate every 50th file, a resend
/// (same key, other content) every 71st, a truncated file every 97th, a non-NF-e every 89th,
/// then two product catalogs (the first large enough to be streamed from disk, the second
/// updating some of its SKUs) and a ZIP of 200 more documents. Returns the number of files
/// written (ZIP members counted).
pub fn dataset(dir: &Path, count: u32) -> u32 {
    let mut written = 0;
    let catalogs = dir.join("catalogos");
    fs::create_dir_all(&catalogs).unwrap();
    fs::write(catalogs.join("a.csv"), catalog(0, 25_000, 990)).unwrap();
    fs::write(catalogs.join("b.csv"), catalog(24_000, 2_000, 1_490)).unwrap();
    written += 2;
    for i in 0..count {
        let folder = dir.join(format!("{:03}", i / 100));
        fs::create_dir_all(&folder).unwrap();
        let (name, body) = if i % 97 == 96 {
            let full = nfe(i, 3, "Venda");
            ("broken", full[..full.len() / 2].to_owned())
        } else if i % 89 == 88 {
            ("other", "<evento><chNFe>1</chNFe></evento>".to_owned())
        } else if i % 71 == 70 {
            ("resend", nfe(i - 1, 3, "Venda reenviada"))
        } else if i % 50 == 49 {
            ("dup", nfe(i - 1, 1 + (i as usize - 1) % 5, "Venda"))
        } else {
            ("nfe", nfe(i, 1 + i as usize % 5, "Venda"))
        };
        fs::write(folder.join(format!("{i:06}-{name}.xml")), body).unwrap();
        written += 1;
    }
    let zip_path = dir.join("lote.zip");
    let mut zip = zip::ZipWriter::new(fs::File::create(zip_path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..200 {
        zip.start_file(format!("lote/{i:04}.xml"), opts).unwrap();
        zip.write_all(nfe(1_000_000 + i, 2, "Venda").as_bytes())
            .unwrap();
        written += 1;
    }
    zip.finish().unwrap();
    written
}

/// Jobs per `--group` chunk: [`ordered`] lays its files out on chunk boundaries.
pub const CHUNK_JOBS: u32 = batchimp::group::CHUNK_JOBS as u32;

/// `chunks` folders `cNNN` of [`CHUNK_JOBS`] NF-e each, one group chunk per folder, built so
/// that the order chunks are committed in shows in the database: every 9th file of a chunk is a
/// byte-identical copy of the previous chunk's file of that number (which one is `duplicate`,
/// which one's origin the document keeps), and the next one re-sends, with other content, the
/// key of the file two chunks back (which content is kept). `slow_first`: the first chunk's
/// documents carry 40 items, so it takes a while to parse. Returns the number of files.
pub fn ordered(dir: &Path, chunks: u32, slow_first: bool) -> u32 {
    let n = |c: u32, i: u32| c * CHUNK_JOBS + i;
    for c in 0..chunks {
        let folder = dir.join(format!("c{c:03}"));
        fs::create_dir_all(&folder).unwrap();
        for i in 0..CHUNK_JOBS {
            let items = if slow_first && c == 0 {
                40
            } else {
                1 + i as usize % 5
            };
            let body = if c >= 1 && i % 9 == 0 {
                fs::read(dir.join(format!("c{:03}/{i:03}.xml", c - 1))).unwrap()
            } else if c >= 2 && i % 9 == 1 {
                nfe(n(c - 2, i), 2, "Venda reenviada").into_bytes()
            } else {
                nfe(n(c, i), items, "Venda").into_bytes()
            };
            fs::write(folder.join(format!("{i:03}.xml")), body).unwrap();
        }
    }
    chunks * CHUNK_JOBS
}
