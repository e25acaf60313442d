//! batchimp's deterministic generator of product catalogs (CSV) shaped like an ERP export:
//! `sku,name,description,category,unit,price,stock,supplier_id,sanitary_certificate,
//! lead_time_days`, descriptions with commas, quotes and the odd line break (RFC 4180 quoted),
//! and a share of bad rows (no SKU, no name, a price like `12,50` or `R$ 9,90`). The same seed
//! and row count always give the same bytes; a manifest says what a correct import yields.
//! Used by `examples/gen.rs` and `benches/pipeline.rs`.

#![allow(dead_code)]

use crate::nfe_gen::Rng;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct CatalogOptions {
    pub rows: u64,
    pub seed: u64,
    pub bad_rate: f64,
}

impl Default for CatalogOptions {
    fn default() -> CatalogOptions {
        CatalogOptions {
            rows: 10_000,
            seed: 7,
            bad_rate: 0.01,
        }
    }
}

/// What a correct import of the generated catalog yields.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CatalogManifest {
    pub rows: u64,
    pub good: u64,
    pub bad: u64,
    pub bytes: u64,
}

impl CatalogManifest {
    pub fn to_json(&self) -> String {
        format!(
            "{{\"rows\": {}, \"good\": {}, \"bad\": {}, \"bytes\": {}}}\n",
            self.rows, self.good, self.bad, self.bytes
        )
    }
}

pub fn manifest_path(csv: &Path) -> PathBuf {
    let mut p = csv.as_os_str().to_owned();
    p.push(".manifest.json");
    PathBuf::from(p)
}

const CATEGORIES: &[&str] = &[
    "Medicamentos",
    "Higiene Pessoal",
    "Cosméticos",
    "Alimentos",
    "Bebidas",
    "Limpeza",
    "Ferragens",
    "Material Hospitalar",
    "Suplementos",
    "Pet Shop",
    "Papelaria",
    "Eletrônicos",
];
/// Categories whose products carry an ANVISA registration.
const REGULATED: &[&str] = &[
    "Medicamentos",
    "Cosméticos",
    "Material Hospitalar",
    "Suplementos",
    "Higiene Pessoal",
];
const UNITS: &[&str] = &["UN", "CX", "KG", "L", "PCT", "FR", "AMP", "TB", "PAR", "M"];
const WORDS: &[&str] = &[
    "comprimido",
    "revestido",
    "solução",
    "oral",
    "frasco",
    "caixa",
    "com",
    "unidades",
    "uso",
    "adulto",
    "infantil",
    "sabor",
    "morango",
    "menta",
    "hipoalergênico",
    "sem",
    "açúcar",
    "glúten",
    "embalagem",
    "econômica",
    "dermatologicamente",
    "testado",
    "validade",
    "24",
    "meses",
    "indicado",
    "para",
    "pele",
    "sensível",
    "alta",
    "concentração",
    "importado",
    "nacional",
    "premium",
    "linha",
    "profissional",
];
const NOUNS: &[&str] = &[
    "Dipirona",
    "Paracetamol",
    "Ibuprofeno",
    "Shampoo",
    "Condicionador",
    "Sabonete",
    "Creme Dental",
    "Protetor Solar",
    "Vitamina C",
    "Whey Protein",
    "Ração",
    "Álcool Gel",
    "Luva",
    "Seringa",
    "Gaze",
    "Caneta",
    "Fone",
    "Carregador",
    "Detergente",
    "Desinfetante",
    "Café",
    "Chá",
    "Biscoito",
    "Água",
];
const BAD_PRICES: &[&str] = &["12,50", "R$ 9,90", "N/A", "", "abc", "1.234,56", "--"];
const HEADER: &str = "sku,name,description,category,unit,price,stock,supplier_id,sanitary_certificate,lead_time_days\n";

/// A field as a CSV writer quotes it: only when it holds a comma, a quote or a line break.
fn field(out: &mut Vec<u8>, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push(b'"');
        out.extend_from_slice(s.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// Write the catalog to `path`; the manifest of what a correct import yields.
pub fn generate(o: &CatalogOptions, path: &Path) -> std::io::Result<CatalogManifest> {
    let mut r = Rng(o.seed);
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    w.write_all(HEADER.as_bytes())?;
    let mut m = CatalogManifest {
        rows: o.rows,
        bytes: HEADER.len() as u64,
        ..Default::default()
    };
    let mut line = Vec::with_capacity(512);
    for k in 0..o.rows {
        let name = format!(
            "{} {}{}{}",
            r.pick(NOUNS),
            r.pick(&["", "Plus ", "Max ", "Kids ", "Zero "]),
            1 + r.below(1000),
            r.pick(&["mg", "ml", "g", " un", ""])
        );
        let n_words = 6 + r.below(25);
        let mut desc = (0..n_words)
            .map(|_| *r.pick(WORDS))
            .collect::<Vec<_>>()
            .join(" ");
        desc[..1].make_ascii_uppercase();
        let u = r.unit();
        if u < 0.15 {
            desc.push_str(", embalagem \"econômica\"");
        } else if u < 0.25 {
            desc.push_str(", cx c/ 12, lote A");
        } else if u < 0.251 {
            desc.push_str("\nObs: manter em local seco");
        }
        let category = *r.pick(CATEGORIES);
        let cert = if REGULATED.contains(&category) && r.unit() < 0.9 {
            format!(
                "ANVISA {}.{}.{}.{}-{}",
                1 + r.below(9),
                1000 + r.below(9000),
                1000 + r.below(9000),
                100 + r.below(900),
                r.below(10)
            )
        } else {
            String::new()
        };
        let mut sku = format!("SKU{k:08}");
        let price_cents = 50 + r.below(250_000 - 50);
        let mut price = format!("{}.{:02}", price_cents / 100, price_cents % 100);
        let stock = r.below(50_001).to_string();
        let supplier = format!("SUP{:05}", 1 + r.below(5000));
        let lead = r.pick(&["1", "2", "3", "5", "7", "10", "15", "30", "45", "60"]);
        let unit = *r.pick(UNITS);
        let mut name = name;
        if r.unit() < o.bad_rate {
            m.bad += 1;
            match r.below(4) {
                0 => sku.clear(),
                1 => name.clear(),
                _ => price = r.pick(BAD_PRICES).to_string(),
            }
        } else {
            m.good += 1;
        }
        line.clear();
        for (i, f) in [
            sku.as_str(),
            &name,
            &desc,
            category,
            unit,
            &price,
            &stock,
            &supplier,
            &cert,
            lead,
        ]
        .into_iter()
        .enumerate()
        {
            if i > 0 {
                line.push(b',');
            }
            field(&mut line, f);
        }
        line.push(b'\n');
        w.write_all(&line)?;
        m.bytes += line.len() as u64;
    }
    w.flush()?;
    Ok(m)
}
