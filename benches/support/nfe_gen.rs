//! batchimp's deterministic generator of realistic NF-e 4.00 files (`nfeProc` with items, taxes,
//! transport, payment, a signature block and a protocol), with the mix real folders have:
//! byte-identical duplicates, resends (same key, other bytes), broken files and Latin-1 ones.
//! The same seed and count always give the same bytes; a manifest says what a correct import
//! yields. Used by `examples/gen.rs` and `benches/pipeline.rs`.

// Shared by the example and the benches; each uses a part.
#![allow(dead_code)]

use batchimp::format::key::check_digit;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct GenOptions {
    pub count: u64,
    pub seed: u64,
    /// Write a folder here (by month: `2024-03/<key>-procNFe.xml`).
    pub out: Option<PathBuf>,
    /// Write one ZIP here with the same files.
    pub zip: Option<PathBuf>,
    pub dup_rate: f64,
    pub resend_rate: f64,
    pub bad_rate: f64,
    pub latin1_rate: f64,
}

impl Default for GenOptions {
    fn default() -> GenOptions {
        GenOptions {
            count: 1000,
            seed: 20240601,
            out: None,
            zip: None,
            dup_rate: 0.02,
            resend_rate: 0.005,
            bad_rate: 0.01,
            latin1_rate: 0.05,
        }
    }
}

/// What a correct importer must produce from the generated files.
#[derive(Debug, Default, Clone)]
pub struct Manifest {
    pub files: u64,
    pub bytes: u64,
    pub unique_docs: u64,
    pub items: u64,
    pub duplicates: u64,
    pub broken: u64,
    pub not_nfe: u64,
}

impl Manifest {
    pub fn to_json(&self) -> String {
        format!(
            "{{\"files\": {}, \"bytes\": {}, \"expected_unique_docs\": {}, \"expected_items\": {}, \"duplicates\": {}, \"broken\": {}, \"not_nfe\": {}}}\n",
            self.files,
            self.bytes,
            self.unique_docs,
            self.items,
            self.duplicates,
            self.broken,
            self.not_nfe
        )
    }
}

/// splitmix64: small, fast, and the same everywhere.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
    pub fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

const UFS: &[(&str, &str, &str, &str)] = &[
    ("SP", "35", "3550308", "São Paulo"),
    ("SP", "35", "3543402", "Ribeirão Preto"),
    ("RJ", "33", "3304557", "Rio de Janeiro"),
    ("MG", "31", "3106200", "Belo Horizonte"),
    ("PR", "41", "4106902", "Curitiba"),
    ("RS", "43", "4314902", "Porto Alegre"),
    ("SC", "42", "4205407", "Florianópolis"),
    ("BA", "29", "2927408", "Salvador"),
    ("GO", "52", "5208707", "Goiânia"),
    ("PE", "26", "2611606", "Recife"),
];
const NAME_A: &[&str] = &[
    "Comércio",
    "Indústria",
    "Distribuidora",
    "Atacadão",
    "Supermercados",
    "Farmácia",
    "Auto Peças",
    "Têxtil",
    "Laticínios",
    "Móveis",
];
const NAME_B: &[&str] = &[
    "São João",
    "Santa Luzia",
    "Irmãos Araújo",
    "Conceição",
    "Três Corações",
    "Ipê Amarelo",
    "Guimarães",
    "Gonçalves & Filhos",
    "Jequitibá",
    "Aliança",
];
const NAME_C: &[&str] = &["Ltda", "Ltda - ME", "S.A.", "Eireli", "Ltda - EPP"];
const PRODUCTS: &[(&str, &str, &str, f64)] = &[
    ("ARROZ BRANCO TIPO 1 5KG", "10063021", "FD", 24.9),
    ("FEIJÃO CARIOCA TIPO 1", "07133319", "FD", 8.5),
    ("CAFÉ TORRADO E MOÍDO 500G", "09012100", "UN", 18.9),
    ("AÇÚCAR REFINADO 1KG", "17019900", "FD", 5.2),
    ("ÓLEO DE SOJA REFINADO 900ML", "15079011", "CX", 120.0),
    ("LEITE UHT INTEGRAL 12X1L", "04012010", "CX", 62.0),
    ("SABONETE EM BARRA 90G", "34011190", "UN", 2.9),
    ("PAPEL HIGIÊNICO FOLHA DUPLA", "48181000", "PCT", 21.0),
    ("SMARTPHONE 128GB", "85171231", "UN", 1899.0),
    ("CADEIRA ESCRITÓRIO GIRATÓRIA", "94013000", "UN", 540.0),
    ("TÊNIS ESPORTIVO", "64041100", "PAR", 249.9),
    ("PNEU ARO 14 175/70", "40111000", "UN", 389.0),
    ("CIMENTO CP II 50KG", "25232910", "SC", 36.5),
    ("TINTA ACRÍLICA FOSCA 18L", "32091010", "GL", 329.0),
];

struct Party {
    doc: String,
    cpf: bool,
    name: String,
    uf: &'static (&'static str, &'static str, &'static str, &'static str),
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;")
}

fn party(r: &mut Rng, company: bool) -> Party {
    let uf = r.pick(UFS);
    if company {
        Party {
            doc: format!("{}0001{}", r.digits(8), r.digits(2)),
            cpf: false,
            name: format!("{} {} {}", r.pick(NAME_A), r.pick(NAME_B), r.pick(NAME_C)),
            uf,
        }
    } else {
        Party {
            doc: r.digits(11),
            cpf: true,
            name: format!(
                "{} {}",
                r.pick(&["João", "Maria", "José", "Antônio", "Márcia"]),
                r.pick(&["da Silva", "Araújo", "Gonçalves", "Simões"])
            ),
            uf,
        }
    }
}

fn ender(tag: &str, p: &Party, r: &mut Rng) -> String {
    format!(
        "<{tag}><xLgr>Rua {}</xLgr><nro>{}</nro><xBairro>Centro</xBairro><cMun>{}</cMun><xMun>{}</xMun><UF>{}</UF><CEP>{}</CEP><cPais>1058</cPais><xPais>BRASIL</xPais><fone>{}</fone></{tag}>",
        esc(r.pick::<&str>(&[
            "XV de Novembro",
            "das Acácias",
            "Getúlio Vargas",
            "São Sebastião"
        ])),
        1 + r.below(4999),
        p.uf.2,
        esc(p.uf.3),
        p.uf.0,
        r.digits(8),
        r.digits(10)
    )
}

/// One authorized NF-e: (xml without declaration, key, items).
fn nfe(r: &mut Rng, emitters: &[(Party, String)], n: u64) -> (String, String, u64) {
    let (em, cert) = &emitters[r.below(emitters.len() as u64) as usize];
    let company = r.unit() < 0.75;
    let de = party(r, company);
    let (year, month) = (2023 + r.below(2), 1 + r.below(12));
    let k43 = format!(
        "{}{:02}{:02}{}55001{:09}1{}",
        em.uf.1,
        year % 100,
        month,
        em.doc,
        n % 1_000_000_000,
        r.digits(8)
    );
    let key = format!("{k43}{}", check_digit(&k43));
    let u = r.unit();
    let items = if u < 0.55 {
        1 + r.below(3)
    } else if u < 0.85 {
        4 + r.below(7)
    } else if u < 0.97 {
        11 + r.below(40)
    } else {
        51 + r.below(150)
    };
    let mut x = String::with_capacity(16 * 1024);
    let dh = format!(
        "{year}-{month:02}-{:02}T{:02}:{:02}:00-03:00",
        1 + r.below(28),
        8 + r.below(10),
        r.below(60)
    );
    write!(x, "<nfeProc xmlns=\"http://www.portalfiscal.inf.br/nfe\" versao=\"4.00\"><NFe xmlns=\"http://www.portalfiscal.inf.br/nfe\"><infNFe versao=\"4.00\" Id=\"NFe{key}\">").unwrap();
    write!(x, "<ide><cUF>{}</cUF><cNF>{}</cNF><natOp>Venda de mercadoria</natOp><mod>55</mod><serie>1</serie><nNF>{}</nNF><dhEmi>{dh}</dhEmi><dhSaiEnt>{dh}</dhSaiEnt><tpNF>1</tpNF><idDest>1</idDest><cMunFG>{}</cMunFG><tpImp>1</tpImp><tpEmis>1</tpEmis><cDV>{}</cDV><tpAmb>1</tpAmb><finNFe>1</finNFe><indFinal>0</indFinal><indPres>1</indPres><procEmi>0</procEmi><verProc>ERP 4.01</verProc></ide>",
        em.uf.1, &k43[35..43], n % 1_000_000_000, em.uf.2, &key[43..]).unwrap();
    write!(
        x,
        "<emit><CNPJ>{}</CNPJ><xNome>{}</xNome><xFant>{}</xFant>{}<IE>{}</IE><CRT>3</CRT></emit>",
        em.doc,
        esc(&em.name),
        esc(r.pick::<&str>(NAME_B)),
        ender("enderEmit", em, r),
        r.digits(12)
    )
    .unwrap();
    let tag = if de.cpf { "CPF" } else { "CNPJ" };
    write!(
        x,
        "<dest><{tag}>{}</{tag}><xNome>{}</xNome>{}<indIEDest>9</indIEDest></dest>",
        de.doc,
        esc(&de.name),
        ender("enderDest", &de, r)
    )
    .unwrap();
    let (mut v_prod, mut v_icms, mut v_ipi, mut v_pis, mut v_cofins) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for i in 1..=items {
        let (name, ncm, unit, price) = r.pick(PRODUCTS);
        let q = (1 + r.below(20)) as f64;
        let vu = (price * (0.8 + 0.4 * r.unit()) * 100.0).round() / 100.0;
        let vp = (q * vu * 100.0).round() / 100.0;
        let (icms, ipi, pis, cofins) = (vp * 0.18, vp * 0.05, vp * 0.0165, vp * 0.076);
        v_prod += vp;
        v_icms += (icms * 100.0).round() / 100.0;
        v_ipi += (ipi * 100.0).round() / 100.0;
        v_pis += (pis * 100.0).round() / 100.0;
        v_cofins += (cofins * 100.0).round() / 100.0;
        write!(x, "<det nItem=\"{i}\"><prod><cProd>{:05}</cProd><cEAN>789{}</cEAN><xProd>{}</xProd><NCM>{ncm}</NCM><CFOP>5102</CFOP><uCom>{unit}</uCom><qCom>{q:.4}</qCom><vUnCom>{vu:.10}</vUnCom><vProd>{vp:.2}</vProd><cEANTrib>SEM GTIN</cEANTrib><uTrib>{unit}</uTrib><qTrib>{q:.4}</qTrib><vUnTrib>{vu:.10}</vUnTrib><indTot>1</indTot></prod>",
            r.below(99999), r.digits(10), esc(name)).unwrap();
        write!(x, "<imposto><vTotTrib>{:.2}</vTotTrib><ICMS><ICMS00><orig>0</orig><CST>00</CST><modBC>3</modBC><vBC>{vp:.2}</vBC><pICMS>18.0000</pICMS><vICMS>{icms:.2}</vICMS></ICMS00></ICMS><IPI><cEnq>999</cEnq><IPITrib><CST>50</CST><vBC>{vp:.2}</vBC><pIPI>5.0000</pIPI><vIPI>{ipi:.2}</vIPI></IPITrib></IPI><PIS><PISAliq><CST>01</CST><vBC>{vp:.2}</vBC><pPIS>1.6500</pPIS><vPIS>{pis:.2}</vPIS></PISAliq></PIS><COFINS><COFINSAliq><CST>01</CST><vBC>{vp:.2}</vBC><pCOFINS>7.6000</pCOFINS><vCOFINS>{cofins:.2}</vCOFINS></COFINSAliq></COFINS></imposto></det>",
            vp * 0.31).unwrap();
    }
    let v_nf = v_prod + v_ipi;
    write!(x, "<total><ICMSTot><vBC>{v_prod:.2}</vBC><vICMS>{v_icms:.2}</vICMS><vICMSDeson>0.00</vICMSDeson><vFCP>0.00</vFCP><vBCST>0.00</vBCST><vST>0.00</vST><vFCPST>0.00</vFCPST><vFCPSTRet>0.00</vFCPSTRet><vProd>{v_prod:.2}</vProd><vFrete>0.00</vFrete><vSeg>0.00</vSeg><vDesc>0.00</vDesc><vII>0.00</vII><vIPI>{v_ipi:.2}</vIPI><vIPIDevol>0.00</vIPIDevol><vPIS>{v_pis:.2}</vPIS><vCOFINS>{v_cofins:.2}</vCOFINS><vOutro>0.00</vOutro><vNF>{v_nf:.2}</vNF></ICMSTot></total>").unwrap();
    write!(x, "<transp><modFrete>0</modFrete><vol><qVol>{}</qVol><esp>CAIXA</esp></vol></transp><pag><detPag><tPag>15</tPag><vPag>{v_nf:.2}</vPag></detPag></pag><infAdic><infCpl>Documento emitido por ME ou EPP optante pelo Simples Nacional. Pedido {}.</infCpl></infAdic></infNFe>",
        1 + r.below(40), r.digits(6)).unwrap();
    write!(x, "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignedInfo><CanonicalizationMethod Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"/><SignatureMethod Algorithm=\"http://www.w3.org/2000/09/xmldsig#rsa-sha1\"/><Reference URI=\"#NFe{key}\"><Transforms><Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/><Transform Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"/></Transforms><DigestMethod Algorithm=\"http://www.w3.org/2000/09/xmldsig#sha1\"/><DigestValue>{}=</DigestValue></Reference></SignedInfo><SignatureValue>{}</SignatureValue><KeyInfo><X509Data><X509Certificate>{cert}</X509Certificate></X509Data></KeyInfo></Signature></NFe>",
        b64(r, 27), b64(r, 344)).unwrap();
    write!(x, "<protNFe versao=\"4.00\"><infProt><tpAmb>1</tpAmb><verAplic>SP_NFE_PL009_V4</verAplic><chNFe>{key}</chNFe><dhRecbto>{dh}</dhRecbto><nProt>1{}</nProt><digVal>{}=</digVal><cStat>100</cStat><xMotivo>Autorizado o uso da NF-e</xMotivo></infProt></protNFe></nfeProc>",
        r.digits(14), b64(r, 27)).unwrap();
    (x, key, items)
}

fn b64(r: &mut Rng, n: usize) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (0..n)
        .map(|_| char::from(A[r.below(64) as usize]))
        .collect()
}

/// Write the files (folder and/or ZIP) and return the manifest.
pub fn generate(o: &GenOptions) -> std::io::Result<Manifest> {
    let mut r = Rng(o.seed);
    let emitters: Vec<(Party, String)> = (0..200)
        .map(|_| (party(&mut r, true), b64(&mut r, 1600)))
        .collect();
    let mut zip = match &o.zip {
        Some(p) => Some(ZipOut::create(p)?),
        None => None,
    };
    let mut m = Manifest::default();
    let mut last: Option<(String, String)> = None;
    for i in 0..o.count {
        let u = r.unit();
        let (xml, name, latin1) = match (&last, u) {
            (Some((xml, key)), u) if u < o.dup_rate => {
                m.duplicates += 1;
                (xml.clone(), format!("{key}-copia-{i}"), false)
            }
            (Some((xml, key)), u) if u < o.dup_rate + o.resend_rate => {
                m.duplicates += 1;
                (
                    xml.replacen("Venda de mercadoria", "Venda de mercadoria (reenvio)", 1),
                    format!("{key}-reenvio-{i}"),
                    false,
                )
            }
            (_, u) if u < o.dup_rate + o.resend_rate + o.bad_rate => {
                let (xml, key, _) = nfe(&mut r, &emitters, i);
                let bad = match r.below(4) {
                    0 => {
                        m.broken += 1;
                        xml[..xml.len() / 2].to_owned()
                    }
                    1 => {
                        m.broken += 1;
                        xml.replacen(&format!(" Id=\"NFe{key}\""), "", 1).replacen(
                            &format!("<chNFe>{key}</chNFe>"),
                            "",
                            1,
                        )
                    }
                    2 => {
                        m.not_nfe += 1;
                        format!(
                            "<procEventoNFe xmlns=\"http://www.portalfiscal.inf.br/nfe\" versao=\"1.00\"><evento><infEvento><chNFe>{key}</chNFe><tpEvento>110111</tpEvento></infEvento></evento></procEventoNFe>"
                        )
                    }
                    _ => {
                        m.broken += 1;
                        xml.replacen("<natOp>", "<natOp>\u{FFFF}", 1)
                    }
                };
                (bad, format!("{key}-ruim"), false)
            }
            _ => {
                let (xml, key, items) = nfe(&mut r, &emitters, i);
                m.unique_docs += 1;
                m.items += items;
                last = Some((xml.clone(), key.clone()));
                (xml, format!("{key}-procNFe"), r.unit() < o.latin1_rate)
            }
        };
        let bytes: Vec<u8> = if latin1 {
            let mut b = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>".to_vec();
            b.extend(
                xml.chars()
                    .map(|c| if (c as u32) < 256 { c as u8 } else { b'?' }),
            );
            b
        } else if name.ends_with("-ruim") && xml.contains('\u{FFFF}') {
            let mut b = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>".to_vec();
            b.extend(xml.replacen('\u{FFFF}', "", 1).bytes());
            let at = b.iter().position(|&c| c == b'<').unwrap_or(0) + 200;
            b.insert(at.min(b.len()), 0xFF); // not UTF-8
            b
        } else {
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>{xml}").into_bytes()
        };
        let rel = format!("20{}-{}/{name}.xml", &name[2..4], &name[4..6]);
        if let Some(out) = &o.out {
            let path = out.join(&rel);
            fs::create_dir_all(path.parent().unwrap())?;
            fs::write(path, &bytes)?;
        }
        if let Some(z) = &mut zip {
            z.add(&rel, &bytes)?;
        }
        m.files += 1;
        m.bytes += bytes.len() as u64;
    }
    if let Some(z) = zip {
        z.finish()?;
    }
    Ok(m)
}

/// Whether a generated data set is already there (its manifest written last).
pub fn manifest_path(dir: &Path) -> PathBuf {
    let mut p = dir.as_os_str().to_owned();
    p.push(".manifest.json");
    PathBuf::from(p)
}

/// A minimal streaming ZIP writer (deflate, ZIP64 end records past 65,535 entries) with one
/// reused compressor: the zip crate's writer allocates a compressor per entry, which fragments
/// the heap to gigabytes over 100,000 entries.
struct ZipOut {
    out: std::io::BufWriter<fs::File>,
    offset: u64,
    central: Vec<u8>,
    entries: u64,
    deflate: flate2::Compress,
    buf: Vec<u8>,
}

impl ZipOut {
    fn create(path: &Path) -> std::io::Result<ZipOut> {
        Ok(ZipOut {
            out: std::io::BufWriter::new(fs::File::create(path)?),
            offset: 0,
            central: Vec::new(),
            entries: 0,
            deflate: flate2::Compress::new(flate2::Compression::new(6), false),
            buf: Vec::new(),
        })
    }

    fn add(&mut self, name: &str, data: &[u8]) -> std::io::Result<()> {
        self.deflate.reset();
        self.buf.clear();
        self.buf.reserve(data.len() / 2 + 1024);
        loop {
            let before = self.deflate.total_in() as usize;
            self.deflate
                .compress_vec(
                    &data[before..],
                    &mut self.buf,
                    flate2::FlushCompress::Finish,
                )
                .map_err(std::io::Error::other)?;
            if self.deflate.total_in() as usize == data.len()
                && self.buf.len() < self.buf.capacity()
            {
                break;
            }
            self.buf.reserve(64 * 1024);
        }
        let crc = crc32fast::hash(data);
        let (csize, usize_) = (self.buf.len() as u32, data.len() as u32);
        // DOS time 12:00, date 2026-10-31.
        let (time, date) = (12u16 << 11, ((2026 - 1980) << 9 | 10 << 5 | 31) as u16);
        let far = self.offset >= 0xFFFF_FFFF;
        // Method (deflate), time, date, CRC, sizes and name length: the same in both headers.
        let common = [
            (8, 2),
            (u64::from(time), 2),
            (u64::from(date), 2),
            (u64::from(crc), 4),
            (u64::from(csize), 4),
            (u64::from(usize_), 4),
            (name.len() as u64, 2),
        ];
        let mut local = Vec::with_capacity(30 + name.len());
        put(&mut local, &[(0x04034b50, 4), (20, 2), (0, 2)]);
        put(&mut local, &common);
        put(&mut local, &[(0, 2)]);
        local.extend_from_slice(name.as_bytes());
        put(
            &mut self.central,
            &[(0x02014b50, 4), (20, 2), (20, 2), (0, 2)],
        );
        put(&mut self.central, &common);
        put(
            &mut self.central,
            &[
                // A local header past 4 GiB: its offset goes in a ZIP64 extra field.
                (if far { 12 } else { 0 }, 2),
                (0, 2),
                (0, 2),
                (0, 2),
                (0, 4),
                (if far { 0xFFFF_FFFF } else { self.offset }, 4),
            ],
        );
        self.central.extend_from_slice(name.as_bytes());
        if far {
            self.central.extend_from_slice(&1u16.to_le_bytes());
            self.central.extend_from_slice(&8u16.to_le_bytes());
            self.central.extend_from_slice(&self.offset.to_le_bytes());
        }
        self.out.write_all(&local)?;
        self.out.write_all(&self.buf)?;
        self.offset += (local.len() + self.buf.len()) as u64;
        self.entries += 1;
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<()> {
        let cd_offset = self.offset;
        self.out.write_all(&self.central)?;
        let cd_size = self.central.len() as u64;
        let zip64 = self.entries > 0xFFFF || cd_offset + cd_size >= 0xFFFF_FFFF;
        let mut end = Vec::new();
        if zip64 {
            let eocd64 = cd_offset + cd_size;
            put(
                &mut end,
                &[
                    (0x06064b50u64, 4),
                    (44, 8),
                    (45, 2),
                    (45, 2),
                    (0, 4),
                    (0, 4),
                    (self.entries, 8),
                    (self.entries, 8),
                    (cd_size, 8),
                    (cd_offset, 8),
                    (0x07064b50, 4),
                    (0, 4),
                    (eocd64, 8),
                    (1, 4),
                ],
            );
        }
        let count = if zip64 { 0xFFFF } else { self.entries };
        put(
            &mut end,
            &[
                (0x06054b50u64, 4),
                (0, 2),
                (0, 2),
                (count, 2),
                (count, 2),
                (if zip64 { 0xFFFF_FFFF } else { cd_size }, 4),
                (if zip64 { 0xFFFF_FFFF } else { cd_offset }, 4),
                (0, 2),
            ],
        );
        self.out.write_all(&end)?;
        self.out.flush()
    }
}

/// Append little-endian fields, each `(value, width in bytes)`.
fn put(out: &mut Vec<u8>, fields: &[(u64, usize)]) {
    for &(v, n) in fields {
        out.extend_from_slice(&v.to_le_bytes()[..n]);
    }
}
