//! SAT's CFDI de Retenciones e Información de Pagos, versions 1.0 and 2.0: the stamped document a
//! Mexican payer issues for the taxes it withheld (fees, rents, dividends, interest, payments
//! abroad, digital platforms...). Its own root (`Retenciones`), namespace
//! (`http://www.sat.gob.mx/esquemas/retencionpago/1` or `/2`) and tables.
//!
//! Read the way a CFDI is (by [`super::sat`]'s rules): one streaming pass over the attributes of
//! the elements known by their path from the root, local names only, attribute names matched
//! without regard to case, so 1.0's spellings (`RFCEmisor`, `montoTotOperacion`, `Ejerc`,
//! `NumCert`) sit beside 2.0's (`RfcE`, `MontoTotOperacion`, `Ejercicio`, `NoCertificado`).
//! Complements (`dividendos`, `pagosaextranjeros`, plataformas tecnológicas...) and addendas are
//! skipped. The identity is the stamp, with a CFDI's rules and error types: the first
//! `TimbreFiscalDigital`'s UUID, upper-cased; `cfdi_not_stamped` without one; a UUID that is not
//! one fails `cfdi_invalid_uuid`, or imports flagged `uuid_valido = 0` under
//! `--allow-invalid-keys`.

use super::sat::{
    self, Attrs, Elements, Head, at, attrs, check_rfc, fill, is_sat_root, related_table, row,
    stamp_attrs,
};
use super::xml::Tag;
use super::{ColType, Doc, Format, ParseOptions, Parsed, Sniff, Source, Table, Value, col};
use crate::error::FileError;

use ColType::{Integer as I, Numeric as N, Text as T};

/// `retencion`: one row per stamped UUID. Receiver columns are those of its `Nacional` (RFC,
/// CURP, fiscal address) or `Extranjero` (`num_reg_id_trib`) element; `receptor_nombre` either.
pub static RETENCION: Table = Table {
    name: "retencion",
    columns: &[
        col("uuid", T),
        col("uuid_valido", I),
        col("version", T),
        col("folio_int", T),
        col("fecha_exp", T),
        col("lugar_exp_retenc", T),
        col("cve_retenc", T),
        col("desc_retenc", T),
        col("emisor_rfc", T),
        col("emisor_nombre", T),
        col("emisor_regimen_fiscal", T),
        col("emisor_curp", T),
        col("receptor_nacionalidad", T),
        col("receptor_rfc", T),
        col("receptor_nombre", T),
        col("receptor_curp", T),
        col("receptor_num_reg_id_trib", T),
        col("receptor_domicilio_fiscal", T),
        col("mes_ini", I),
        col("mes_fin", I),
        col("ejercicio", I),
        col("monto_tot_operacion", N),
        col("monto_tot_grav", N),
        col("monto_tot_exent", N),
        col("monto_tot_ret", N),
        col("utilidad_bimestral", N),
        col("isr_correspondiente", N),
        col("no_certificado", T),
        col("fecha_timbrado", T),
        col("no_certificado_sat", T),
        col("rfc_prov_certif", T),
        col("path", T),
        col("sha256", T),
    ],
    primary_key: &["uuid"],
    after_write: &[crate::format::link::RETENCION_LINKED_BY_EARLIER_PDF],
    ..Table::BASE
};

/// `retencion_impuesto`: the taxes withheld (`Totales/ImpRetenidos`), `n` counting from 1.
/// `impuesto` is 1.0's `Impuesto` (`01` ISR, `02` IVA, `03` IEPS) or 2.0's `ImpuestoRet` (`001`,
/// `002`, `003`); `tipo_pago_ret` 1.0's words (`Pago provisional`) or 2.0's code.
pub static IMPUESTO: Table = Table {
    name: "retencion_impuesto",
    columns: &[
        col("uuid", T),
        col("n", I),
        col("base_ret", N),
        col("impuesto", T),
        col("monto_ret", N),
        col("tipo_pago_ret", T),
    ],
    indexed: &["uuid"],
    parent: Some(&RETENCION),
    ..Table::BASE
};

/// `retencion_relacionado`: the earlier Retenciones a 2.0 one relates to
/// (`CfdiRetenRelacionados`), its UUID upper-cased so it joins `retencion.uuid`.
pub static RELACIONADO: Table = related_table("retencion_relacionado", &RETENCION);

static HEADER: Attrs = attrs!(RETENCION:
    "version" => "version", "folioint" => "folio_int", "fechaexp" => "fecha_exp",
    "lugarexpretenc" => "lugar_exp_retenc", "cveretenc" => "cve_retenc",
    "descretenc" => "desc_retenc", "nocertificado" => "no_certificado",
    "numcert" => "no_certificado",
);
static EMISOR: Attrs = attrs!(RETENCION:
    "rfce" => "emisor_rfc", "rfcemisor" => "emisor_rfc", "nomdenrazsoce" => "emisor_nombre",
    "regimenfiscale" => "emisor_regimen_fiscal", "curpe" => "emisor_curp",
);
static RECEPTOR: Attrs = attrs!(RETENCION:
    "nacionalidadr" => "receptor_nacionalidad", "nacionalidad" => "receptor_nacionalidad",
);
static NACIONAL: Attrs = attrs!(RETENCION:
    "rfcr" => "receptor_rfc", "rfcrecep" => "receptor_rfc", "nomdenrazsocr" => "receptor_nombre",
    "curpr" => "receptor_curp", "domiciliofiscalr" => "receptor_domicilio_fiscal",
);
static EXTRANJERO: Attrs = attrs!(RETENCION:
    "numregidtribr" => "receptor_num_reg_id_trib", "numregidtrib" => "receptor_num_reg_id_trib",
    "nomdenrazsocr" => "receptor_nombre",
);
static PERIODO: Attrs = attrs!(RETENCION:
    "mesini" => "mes_ini", "mesfin" => "mes_fin", "ejercicio" => "ejercicio",
    "ejerc" => "ejercicio",
);
static TOTALES: Attrs = attrs!(RETENCION:
    "montototoperacion" => "monto_tot_operacion", "montototgrav" => "monto_tot_grav",
    "montototexent" => "monto_tot_exent", "montototret" => "monto_tot_ret",
    "utilidadbimestral" => "utilidad_bimestral", "isrcorrespondiente" => "isr_correspondiente",
);
static TIMBRE: Attrs = stamp_attrs!(RETENCION);
static IMPUESTO_ATTRS: Attrs = attrs!(IMPUESTO:
    "baseret" => "base_ret", "impuestoret" => "impuesto", "impuesto" => "impuesto",
    "montoret" => "monto_ret", "tipopagoret" => "tipo_pago_ret",
);
static RELACIONADO_ATTRS: Attrs = attrs!(RELACIONADO:
    "tiporelacion" => "tipo_relacion", "uuid" => "uuid_relacionado",
);

#[cfg(test)]
const H_UUID_VALIDO: usize = RETENCION.col("uuid_valido");
const H_EMISOR_RFC: usize = RETENCION.col("emisor_rfc");
const H_NACIONALIDAD: usize = RETENCION.col("receptor_nacionalidad");
const H_RECEPTOR_RFC: usize = RETENCION.col("receptor_rfc");
const X_N: usize = IMPUESTO.col("n");
const R_UUID: usize = RELACIONADO.col("uuid_relacionado");

/// The Retenciones format.
pub struct Retenciones;

impl Format for Retenciones {
    fn kind(&self) -> &'static str {
        "retenciones"
    }

    fn tables(&self) -> &'static [&'static Table] {
        static TABLES: [&Table; 3] = [&RETENCION, &IMPUESTO, &RELACIONADO];
        &TABLES
    }

    /// A Retenciones is an XML document whose root is `Retenciones` and which declares SAT's
    /// namespace for it (`http://www.sat.gob.mx/esquemas/retencionpago/1` or `/2`), under any
    /// prefix.
    fn detect(&self, sniff: &Sniff) -> bool {
        is_sat_root(
            sniff,
            b"Retenciones",
            b"www.sat.gob.mx/esquemas/retencionpago/",
        )
    }

    fn parse(&self, sniff: &Sniff, src: &Source, opts: &ParseOptions) -> Parsed {
        sat::parse(sniff, src, opts, Builder::new())
    }
}

/// One Retenciones being read.
struct Builder {
    /// The `retencion` row, the stamps, the first value that did not fit.
    head: Head,
    impuestos: Vec<Vec<Value>>,
    relacionados: Vec<Vec<Value>>,
}

impl Elements for Builder {
    fn element(&mut self, stack: &[&[u8]], e: &Tag) -> Result<(), FileError> {
        const R: &[u8] = b"Retenciones";
        let name = e.local();
        let err = &mut self.head.field_error;
        let header = &mut self.head.values;
        match (stack.len(), name) {
            (0, b"Retenciones") => fill(e, &RETENCION, HEADER, header, err)?,
            (1, b"Emisor") => fill(e, &RETENCION, EMISOR, header, err)?,
            (1, b"Receptor") => fill(e, &RETENCION, RECEPTOR, header, err)?,
            (1, b"Periodo") => fill(e, &RETENCION, PERIODO, header, err)?,
            (1, b"Totales") => fill(e, &RETENCION, TOTALES, header, err)?,
            (1, b"CfdiRetenRelacionados") => {
                let mut r = row(&RELACIONADO);
                fill(e, &RELACIONADO, RELACIONADO_ATTRS, &mut r, err)?;
                if let Value::Text(uuid) = &mut r[R_UUID] {
                    uuid.make_ascii_uppercase();
                }
                self.relacionados.push(r);
            }
            (2, b"Nacional" | b"Extranjero") if at(stack, &[R, b"Receptor"]) => {
                let nacional = name == b"Nacional";
                let attrs = if nacional { NACIONAL } else { EXTRANJERO };
                fill(e, &RETENCION, attrs, header, err)?;
                // Samples leave out the required Nacionalidad: the element says it.
                if header[H_NACIONALIDAD] == Value::Null {
                    let n = if nacional { "Nacional" } else { "Extranjero" };
                    header[H_NACIONALIDAD] = Value::Text(n.into());
                }
            }
            (2, b"ImpRetenidos") if at(stack, &[R, b"Totales"]) => {
                let mut r = row(&IMPUESTO);
                fill(e, &IMPUESTO, IMPUESTO_ATTRS, &mut r, err)?;
                r[X_N] = Value::Int(self.impuestos.len() as i64 + 1);
                self.impuestos.push(r);
            }
            // Every stamp is counted; only the first is read.
            (2, b"TimbreFiscalDigital")
                if at(stack, &[R, b"Complemento"]) && self.head.stamps.first(e)? =>
            {
                fill(e, &RETENCION, TIMBRE, header, err)?
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(self, src: &Source, opts: &ParseOptions) -> Result<Doc, FileError> {
        let stamp = self.head.identity("Retenciones", &["1.0", "2.0"], opts)?;
        let header = &self.head.values;
        check_rfc(&header[H_EMISOR_RFC], "issuer")?;
        // A foreign receiver has no RFC (its tax id is num_reg_id_trib).
        if header[H_NACIONALIDAD] != Value::Text("Extranjero".into()) {
            check_rfc(&header[H_RECEPTOR_RFC], "receiver")?;
        }
        let children = [
            (&IMPUESTO, self.impuestos),
            (&RELACIONADO, self.relacionados),
        ];
        self.head.into_doc(stamp, src, children)
    }
}

impl Builder {
    fn new() -> Builder {
        Builder {
            head: Head::new(&RETENCION),
            impuestos: Vec::new(),
            relacionados: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorType;
    use crate::format::cfdi::tests::read;

    /// `--allow-invalid-keys`.
    fn allow() -> ParseOptions {
        ParseOptions {
            allow_invalid_keys: true,
            ..ParseOptions::default()
        }
    }
    const V10: &[u8] =
        include_bytes!("../../fixtures/retenciones/retenciones10-pago-al-extranjero.xml");
    const V20: &[u8] = include_bytes!("../../fixtures/retenciones/retenciones20-plataforma.xml");

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    /// The one document of `xml`, read with `opts`.
    fn doc(xml: &str, opts: ParseOptions) -> Result<Doc, FileError> {
        Ok(read(xml.as_bytes(), opts)?.remove(0))
    }

    fn v20() -> String {
        String::from_utf8(V20.to_vec()).unwrap()
    }

    #[test]
    fn kind_is_told_by_root_and_namespace() {
        let src = Source {
            origin: "x.xml",
            sha256: "",
            deadline: std::time::Instant::now() + std::time::Duration::from_secs(60),
        };
        let kind = |bytes: &[u8]| crate::format::read(bytes, &src, &ParseOptions::default()).0;
        assert_eq!(kind(V10), Some("retenciones"));
        assert_eq!(kind(V20), Some("retenciones"));
        let cfdi = include_bytes!("../../fixtures/cfdi/cfdi40-ingreso.xml");
        assert_eq!(kind(cfdi), Some("cfdi"));
        // Someone else's Retenciones (no SAT namespace) is not SAT's.
        assert_eq!(kind(b"<Retenciones Version=\"2.0\"/>"), Some("xml"));
    }

    #[test]
    fn version_10_spellings() {
        let d = read(V10, ParseOptions::default()).unwrap().remove(0);
        assert_eq!(d.key, "6D1C9A3E-2B7F-4E58-A9C0-15F3B2D4E6A7");
        assert_eq!(d.warning, None);
        let h = &d.rows[0].values;
        let at = |c: &str| h[RETENCION.col(c)].clone();
        assert_eq!(at("uuid_valido"), Value::Int(1));
        assert_eq!(at("version"), text("1.0"));
        assert_eq!(at("emisor_rfc"), text("LOPA721015QX3"));
        assert_eq!(at("emisor_curp"), text("LOPA721015HDFPRL05"));
        assert_eq!(at("emisor_regimen_fiscal"), Value::Null);
        assert_eq!(at("receptor_nacionalidad"), text("Extranjero"));
        assert_eq!(at("receptor_num_reg_id_trib"), text("98-7654321"));
        assert_eq!(at("receptor_rfc"), Value::Null);
        assert_eq!(at("mes_ini"), Value::Int(1));
        assert_eq!(at("ejercicio"), Value::Int(2021));
        assert_eq!(at("monto_tot_ret"), Value::Num(12500.0));
        assert_eq!(at("no_certificado"), text("30001000000400002434"));
        assert_eq!(at("no_certificado_sat"), text("00001000000403258748"));
        assert_eq!(at("rfc_prov_certif"), Value::Null);
        let taxes: Vec<&Vec<Value>> = d.rows[1..].iter().map(|r| &r.values).collect();
        assert_eq!(
            taxes,
            [&vec![
                text(&d.key),
                Value::Int(1),
                Value::Num(50000.0),
                text("01"),
                Value::Num(12500.0),
                text("Pago definitivo")
            ]]
        );

        // A national receiver, 1.0's way (and the Nacionalidad samples leave out).
        let nacional = String::from_utf8(V10.to_vec()).unwrap().replace(
            "<retenciones:Receptor Nacionalidad=\"Extranjero\"><retenciones:Extranjero NumRegIdTrib=\"98-7654321\" NomDenRazSocR=\"NORTHWIND TRADERS LLC\"/>",
            "<retenciones:Receptor><retenciones:Nacional RFCRecep=\"GOMJ800101AB1\" NomDenRazSocR=\"JUAN GÓMEZ\" CURPR=\"GOMJ800101HNLMRN09\"/>",
        );
        let d = doc(&nacional, ParseOptions::default()).unwrap();
        let h = &d.rows[0].values;
        let at = |c: &str| h[RETENCION.col(c)].clone();
        assert_eq!(at("receptor_nacionalidad"), text("Nacional"));
        assert_eq!(at("receptor_rfc"), text("GOMJ800101AB1"));
        assert_eq!(at("receptor_curp"), text("GOMJ800101HNLMRN09"));
        assert_eq!(at("receptor_nombre"), text("JUAN GÓMEZ"));
        let bad = nacional.replace("GOMJ800101AB1", "GOMJ-800101");
        let e = doc(&bad, ParseOptions::default()).unwrap_err();
        assert_eq!(e.error_type, ErrorType::CfdiInvalidRfc, "{e:?}");
    }

    #[test]
    fn version_20_totals_taxes_and_related() {
        let xml = v20().replace(
            "MontoTotRet=\"1868.50\"",
            "MontoTotRet=\"1868.50\" UtilidadBimestral=\"9250.00\" ISRCorrespondiente=\"194.25\"",
        );
        let d = doc(&xml, ParseOptions::default()).unwrap();
        let h = &d.rows[0].values;
        let at = |c: &str| h[RETENCION.col(c)].clone();
        assert_eq!(at("lugar_exp_retenc"), text("06600"));
        assert_eq!(at("emisor_regimen_fiscal"), text("601"));
        assert_eq!(at("receptor_domicilio_fiscal"), text("64000"));
        assert_eq!(at("mes_fin"), Value::Int(10));
        assert_eq!(at("utilidad_bimestral"), Value::Num(9250.0));
        assert_eq!(at("isr_correspondiente"), Value::Num(194.25));
        assert_eq!(at("rfc_prov_certif"), text("SPR190613I52"));
        let tables: Vec<&str> = d.rows.iter().map(|r| r.table.name).collect();
        assert_eq!(
            tables,
            [
                "retencion",
                "retencion_impuesto",
                "retencion_impuesto",
                "retencion_relacionado"
            ]
        );
        assert_eq!(d.rows[2].values[IMPUESTO.col("impuesto")], text("002"));
        assert_eq!(
            d.rows[3].values,
            [
                text(&d.key),
                text("04"),
                text("3F2504E0-4F89-41D3-9A0C-0305E82C3301")
            ]
        );
    }

    #[test]
    fn stamps_follow_the_cfdi_rules() {
        let e = read(
            include_bytes!("../../fixtures/retenciones/broken-retenciones-not-stamped.xml"),
            allow(),
        )
        .unwrap_err();
        assert_eq!(e.error_type, ErrorType::CfdiNotStamped);
        assert!(e.message.contains("Retenciones 2.0"), "{e:?}");

        let bad = v20().replace("b7e4f2a1-0c3d-4e5f-8a9b-c1d2e3f40516", "sin-uuid");
        let e = doc(&bad, ParseOptions::default()).unwrap_err();
        assert_eq!(e.error_type, ErrorType::CfdiInvalidUuid);
        let d = doc(&bad, allow()).unwrap();
        assert_eq!(d.key, "SIN-UUID");
        assert_eq!(d.rows[0].values[H_UUID_VALIDO], Value::Int(0));
        assert!(d.warning.unwrap().contains("--allow-invalid-keys"));

        let twice = v20().replace(
            "</retenciones:Complemento>",
            "<tfd:TimbreFiscalDigital xmlns:tfd=\"http://www.sat.gob.mx/TimbreFiscalDigital\" UUID=\"0F0F0F0F-1111-4222-8333-444455556666\" FechaTimbrado=\"2026-11-03T00:00:00\"/></retenciones:Complemento>",
        );
        let d = doc(&twice, ParseOptions::default()).unwrap();
        assert_eq!(d.key, "B7E4F2A1-0C3D-4E5F-8A9B-C1D2E3F40516");
        assert_eq!(
            d.rows[0].values[RETENCION.col("fecha_timbrado")],
            text("2026-11-02T09:16:30")
        );
        assert!(
            d.warning
                .unwrap()
                .contains("0F0F0F0F-1111-4222-8333-444455556666")
        );

        let v3 = v20().replace("Version=\"2.0\"", "Version=\"3.0\"");
        let e = doc(&v3, ParseOptions::default()).unwrap_err();
        assert_eq!(e.error_type, ErrorType::CfdiUnsupportedVersion);
    }
}
