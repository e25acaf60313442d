//! `batchimp template catalog`: a ready-to-fill product catalog on stdout, so that a supplier or
//! a colleague starts from a file batchimp reads rather than guessing header names.
//!
//! It holds every column `product` gets from a catalog (all but `file_id` and `line`), named in
//! the user's language with names [`crate::format::catalog`] recognises, and one realistic row
//! showing what each column takes (a price written `12.50`, a whole number of days). CSV by
//! default; `--xlsx` writes a workbook whose cells are already typed (codes as text, so an SKU
//! typed later keeps its leading zeros; prices as numbers), which Excel users fill in without a
//! locale's separators getting in the way.

use super::EXIT_OK;
use crate::cli::{CatalogTemplateArgs, Lang, TemplateArgs};
use crate::format::csv;
use anyhow::{Context, Result};
use rust_xlsxwriter::{Format, Workbook};
use std::fmt;
use std::io::{IsTerminal, Write};

impl Lang {
    /// The user's language as the locale names it: the first of `LC_ALL`, `LC_MESSAGES` and
    /// `LANG` that is set (POSIX's order) starting with `pt` or `es`; English otherwise (`C`,
    /// `en_US.UTF-8`, nothing set). `var` reads an environment variable.
    pub fn from_locale(var: impl Fn(&str) -> Option<String>) -> Lang {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .into_iter()
            .filter_map(var)
            .find(|v| !v.is_empty())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if locale.starts_with("pt") {
            Lang::Pt
        } else if locale.starts_with("es") {
            Lang::Es
        } else {
            Lang::En
        }
    }

    fn flag(self) -> &'static str {
        match self {
            Lang::Pt => "pt",
            Lang::Es => "es",
            Lang::En => "en",
        }
    }
}

/// Columns of the template: `product`'s columns in its order, `file_id` and `line` left out.
const COLUMNS: usize = 10;

/// How a column's cells are typed in the workbook (the CSV writes them as they are).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A code (SKU, supplier, registration): text, whatever digits it holds.
    Code,
    Text,
    /// A price: a number shown with two decimals.
    Money,
    /// A quantity: a number.
    Number,
    /// A whole number.
    Whole,
}

/// `product`'s columns as the template types them, in [`Template::headers`]' order.
const KINDS: [Kind; COLUMNS] = [
    Kind::Code,   // sku
    Kind::Text,   // name
    Kind::Text,   // description
    Kind::Text,   // category
    Kind::Text,   // unit
    Kind::Money,  // price
    Kind::Number, // stock
    Kind::Code,   // supplier_id
    Kind::Code,   // sanitary_certificate
    Kind::Whole,  // lead_time_days
];

/// A template in one language.
struct Template {
    lang: Lang,
    /// The workbook's one sheet.
    sheet: &'static str,
    /// The file a user is told to redirect a workbook to.
    file: &'static str,
    /// A header for each of `product`'s columns, in its order.
    headers: [&'static str; COLUMNS],
    /// One row as its user would write it: prices with a decimal point, for now.
    example: [&'static str; COLUMNS],
}

static PT: Template = Template {
    lang: Lang::Pt,
    sheet: "Produtos",
    file: "modelo.xlsx",
    headers: [
        "codigo",
        "nome",
        "descricao",
        "categoria",
        "unidade",
        "preco",
        "estoque",
        "fornecedor_id",
        "registro_anvisa",
        "prazo_entrega_dias",
    ],
    example: [
        "000123",
        "Dipirona Sódica 500 mg",
        "Caixa com 10 comprimidos, uso adulto",
        "Medicamentos",
        "CX",
        "12.50",
        "240",
        "FORN-0042",
        "1.0573.0012.001-3",
        "3",
    ],
};

static ES: Template = Template {
    lang: Lang::Es,
    sheet: "Productos",
    file: "plantilla.xlsx",
    headers: [
        "codigo",
        "nombre",
        "descripcion",
        "categoria",
        "unidad",
        "precio",
        "existencia",
        "proveedor_id",
        "certificado_sanitario",
        "tiempo_entrega_dias",
    ],
    example: [
        "000456",
        "Paracetamol 500 mg",
        "Caja con 20 tabletas, vía oral",
        "Medicamentos",
        "CJA",
        "38.90",
        "150",
        "PROV-0107",
        "045M2019 SSA",
        "5",
    ],
};

static EN: Template = Template {
    lang: Lang::En,
    sheet: "Products",
    file: "template.xlsx",
    // The field names themselves.
    headers: crate::format::catalog::FIELDS,
    example: [
        "000789",
        "Ibuprofen 200 mg",
        "Bottle of 100 tablets, for adults",
        "Pharmacy",
        "EA",
        "8.99",
        "75",
        "SUP-0031",
        "FDA 3012345678",
        "7",
    ],
};

impl Template {
    fn of(lang: Lang) -> &'static Template {
        match lang {
            Lang::Pt => &PT,
            Lang::Es => &ES,
            Lang::En => &EN,
        }
    }

    /// UTF-8, `,`-separated, the header and the example row, fields quoted only when they must.
    fn csv(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for row in [&self.headers, &self.example] {
            for (i, field) in row.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                csv::write_field(&mut out, field);
            }
            out.push(b'\n');
        }
        out
    }

    /// A workbook of one sheet: the header row in bold and frozen, the example row with typed
    /// cells, and each column formatted for the rows a user adds below it.
    fn xlsx(&self) -> Result<Vec<u8>> {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.set_name(self.sheet)?;
        let bold = Format::new().set_bold();
        let format = |kind| match kind {
            Kind::Code => Some(Format::new().set_num_format("@")),
            Kind::Money => Some(Format::new().set_num_format("0.00")),
            Kind::Whole => Some(Format::new().set_num_format("0")),
            Kind::Text | Kind::Number => None,
        };
        for (col, ((header, value), kind)) in self
            .headers
            .iter()
            .zip(&self.example)
            .zip(KINDS)
            .enumerate()
        {
            let col = col as u16;
            // Cells written without a format of their own take their column's.
            if let Some(f) = format(kind) {
                sheet.set_column_format(col, &f)?;
            }
            sheet.write_string_with_format(0, col, *header, &bold)?;
            match kind {
                Kind::Code | Kind::Text => sheet.write_string(1, col, *value)?,
                Kind::Money | Kind::Number | Kind::Whole => {
                    let number: f64 = value
                        .parse()
                        .with_context(|| format!("batchimp bug: {header} example {value:?}"))?;
                    sheet.write_number(1, col, number)?
                }
            };
        }
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofit();
        Ok(workbook.save_to_buffer()?)
    }
}

/// `--xlsx` with stdout on a terminal: a workbook's bytes would garble it, so the user is told
/// how to send them to a file instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XlsxToTerminal {
    /// The command to type instead: `batchimp template catalog --xlsx --lang es > plantilla.xlsx`.
    pub instead: String,
}

impl fmt::Display for XlsxToTerminal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an XLSX workbook is binary and stdout is a terminal; redirect it to a file: {}",
            self.instead
        )
    }
}

impl std::error::Error for XlsxToTerminal {}

pub fn template(args: TemplateArgs) -> Result<u8> {
    match args {
        TemplateArgs::Catalog(args) => catalog(args),
    }
}

fn catalog(args: CatalogTemplateArgs) -> Result<u8> {
    let lang = args
        .lang
        .unwrap_or_else(|| Lang::from_locale(|k| std::env::var(k).ok()));
    let stdout = std::io::stdout();
    let terminal = stdout.is_terminal();
    write_catalog(lang, args.xlsx, &mut stdout.lock(), terminal)?;
    Ok(EXIT_OK)
}

/// The catalog template in `lang` (a workbook when `xlsx`) to `out`, unless it is a workbook and
/// `out` is a `terminal`: then [`XlsxToTerminal`].
fn write_catalog(lang: Lang, xlsx: bool, out: &mut dyn Write, terminal: bool) -> Result<()> {
    let t = Template::of(lang);
    let bytes = if xlsx {
        if terminal {
            return Err(XlsxToTerminal {
                instead: format!(
                    "batchimp template catalog --xlsx --lang {} > {}",
                    t.lang.flag(),
                    t.file
                ),
            }
            .into());
        }
        t.xlsx()?
    } else {
        t.csv()
    };
    out.write_all(&bytes)?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::catalog::{self, PRODUCT};

    const ALL: [Lang; 3] = [Lang::Pt, Lang::Es, Lang::En];

    #[test]
    fn every_header_is_recognised_as_its_product_column() {
        for lang in ALL {
            let csv = Template::of(lang).csv();
            let header = catalog::detect(&csv, &catalog::NO_MAPPING).expect("a catalog");
            let want: Vec<Option<usize>> = (0..COLUMNS).map(Some).collect();
            assert_eq!(header.fields, want, "{lang:?}");
        }
        let names: Vec<&str> = PRODUCT.columns.iter().map(|c| c.name).collect();
        assert_eq!(
            EN.headers[..],
            names[..COLUMNS],
            "English: the column names"
        );
        assert_eq!(
            names[COLUMNS..],
            ["extra", "file_id", "line"],
            "all the rest are mapped (extra holds the columns batchimp does not map)"
        );
    }

    #[test]
    fn the_example_rows_numbers_are_numbers() {
        for lang in ALL {
            let t = Template::of(lang);
            for (value, kind) in t.example.iter().zip(KINDS) {
                match kind {
                    Kind::Money => assert!(value.parse::<f64>().is_ok() && value.contains('.')),
                    Kind::Number => assert!(value.parse::<f64>().is_ok(), "{value}"),
                    Kind::Whole => assert!(value.parse::<u32>().is_ok(), "{value}"),
                    Kind::Code | Kind::Text => assert!(!value.is_empty()),
                }
            }
        }
    }

    #[test]
    fn the_csv_quotes_fields_that_hold_a_comma() {
        assert_eq!(
            String::from_utf8(Template::of(Lang::Pt).csv()).unwrap(),
            "codigo,nome,descricao,categoria,unidade,preco,estoque,fornecedor_id,\
             registro_anvisa,prazo_entrega_dias\n\
             000123,Dipirona Sódica 500 mg,\"Caixa com 10 comprimidos, uso adulto\",\
             Medicamentos,CX,12.50,240,FORN-0042,1.0573.0012.001-3,3\n"
        );
    }

    #[test]
    fn the_language_comes_from_the_locale() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(name, _)| *name == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(Lang::from_locale(env(&[("LANG", "pt_BR.UTF-8")])), Lang::Pt);
        assert_eq!(Lang::from_locale(env(&[("LANG", "es_MX.UTF-8")])), Lang::Es);
        assert_eq!(Lang::from_locale(env(&[("LANG", "C.UTF-8")])), Lang::En);
        assert_eq!(Lang::from_locale(env(&[])), Lang::En);
        assert_eq!(
            Lang::from_locale(env(&[("LC_ALL", "es_ES.UTF-8"), ("LANG", "pt_BR.UTF-8")])),
            Lang::Es,
            "LC_ALL first"
        );
        assert_eq!(
            Lang::from_locale(env(&[("LC_ALL", ""), ("LANG", "pt_PT")])),
            Lang::Pt,
            "an empty variable is not set"
        );
    }

    #[test]
    fn a_workbook_is_not_written_to_a_terminal() {
        let mut out = Vec::new();
        let e = write_catalog(Lang::Es, true, &mut out, true).unwrap_err();
        assert_eq!(
            e.downcast_ref::<XlsxToTerminal>().unwrap().instead,
            "batchimp template catalog --xlsx --lang es > plantilla.xlsx"
        );
        assert!(out.is_empty());
        write_catalog(Lang::Es, false, &mut out, true).expect("CSV is text: fine on a terminal");
        write_catalog(Lang::Es, true, &mut Vec::new(), false).expect("a workbook to a file");
    }
}
