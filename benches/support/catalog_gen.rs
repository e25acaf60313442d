//! batchimp's deterministic generator of product catalogs (CSV) shaped like an ERP export:
//! `sku,name,description,category,unit,price,stock,supplier_id,sanitary_certificate,
//! lead_time_days`, descriptions with commas, quotes and the odd line break (RFC 4180 quoted),
//! and a share of bad rows (no SKU, no name, a price like `12,50` or `R$ 9,90`). The same seed
//! and row count always give the same bytes; a manifest says what a correct import yields.
//! Used by `examples/gen.rs` and `benches/pipeline.rs`; [`Rows`] is also the row source of the
//! XLSX writer in `xlsx_gen.rs`, so both formats hold the same catalog.

#![allow(dead_code)]

use crate::nfe_gen::Rng;
use batchimp::format::csv::write_field;
use std::fmt;
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
    /// Count `row` as a correct import would.
    pub fn count(&mut self, row: &Row) {
        if row.good {
            self.good += 1;
        } else {
            self.bad += 1;
        }
    }

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
const LEAD_TIMES: &[u32] = &[1, 2, 3, 5, 7, 10, 15, 30, 45, 60];
const HEADER: &str = "sku,name,description,category,unit,price,stock,supplier_id,sanitary_certificate,lead_time_days\n";

/// The catalog's column names, in its fields' order.
pub fn columns() -> impl Iterator<Item = &'static str> {
    HEADER.trim_end().split(',')
}

/// A row's price as its supplier wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Price {
    /// A good price, in cents: written `1234.56`.
    Cents(u64),
    /// One a correct import rejects (`12,50`, `R$ 9,90`, empty...).
    Bad(&'static str),
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Price::Cents(c) => write!(f, "{}.{:02}", c / 100, c % 100),
            Price::Bad(s) => f.write_str(s),
        }
    }
}

/// One generated product, whatever the file format. An empty text field is a missing value.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub sku: String,
    pub name: String,
    pub description: String,
    pub category: &'static str,
    pub unit: &'static str,
    pub price: Price,
    pub stock: u64,
    pub supplier_id: String,
    /// Empty for unregulated products.
    pub sanitary_certificate: String,
    pub lead_time_days: u32,
    /// Whether a correct import keeps it (it has a SKU, a name and a good price).
    pub good: bool,
}

/// The catalog's rows, in order: the same options always give the same rows.
pub struct Rows {
    r: Rng,
    next: u64,
    rows: u64,
    bad_rate: f64,
}

impl Rows {
    pub fn new(o: &CatalogOptions) -> Rows {
        Rows {
            r: Rng(o.seed),
            next: 0,
            rows: o.rows,
            bad_rate: o.bad_rate,
        }
    }
}

impl Iterator for Rows {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        if self.next == self.rows {
            return None;
        }
        let (r, k) = (&mut self.r, self.next);
        self.next += 1;
        // The draws' order is the catalog's: change it and every row after changes.
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
        let price = Price::Cents(50 + r.below(250_000 - 50));
        let stock = r.below(50_001);
        let supplier_id = format!("SUP{:05}", 1 + r.below(5000));
        let lead_time_days = *r.pick(LEAD_TIMES);
        let unit = *r.pick(UNITS);
        let mut row = Row {
            sku: format!("SKU{k:08}"),
            name,
            description: desc,
            category,
            unit,
            price,
            stock,
            supplier_id,
            sanitary_certificate: cert,
            lead_time_days,
            good: true,
        };
        if r.unit() < self.bad_rate {
            row.good = false;
            match r.below(4) {
                0 => row.sku.clear(),
                1 => row.name.clear(),
                _ => row.price = Price::Bad(r.pick::<&str>(BAD_PRICES)),
            }
        }
        Some(row)
    }
}

/// Write the catalog to `path`; the manifest of what a correct import yields.
pub fn generate(o: &CatalogOptions, path: &Path) -> std::io::Result<CatalogManifest> {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    w.write_all(HEADER.as_bytes())?;
    let mut m = CatalogManifest {
        rows: o.rows,
        bytes: HEADER.len() as u64,
        ..Default::default()
    };
    let mut line = Vec::with_capacity(512);
    for row in Rows::new(o) {
        m.count(&row);
        line.clear();
        for (i, f) in [
            row.sku.as_str(),
            &row.name,
            &row.description,
            row.category,
            row.unit,
            &row.price.to_string(),
            &row.stock.to_string(),
            &row.supplier_id,
            &row.sanitary_certificate,
            &row.lead_time_days.to_string(),
        ]
        .into_iter()
        .enumerate()
        {
            if i > 0 {
                line.push(b',');
            }
            write_field(&mut line, f);
        }
        line.push(b'\n');
        w.write_all(&line)?;
        m.bytes += line.len() as u64;
    }
    w.flush()?;
    Ok(m)
}
