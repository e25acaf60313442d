//! Mexican CFDI (Comprobante Fiscal Digital por Internet): versions 3.2, 3.3 and 4.0, with the
//! Pagos 1.0/2.0 and Nómina 1.1/1.2 complements.
//!
//! A CFDI keeps its data in attributes, so one streaming pass reads the attributes of the
//! elements it knows, recognised by their path from the root (local names only: any prefix, any
//! namespace declaration, and whatever sits in `Addenda` or an unknown complement is skipped).
//! 3.2 spells its attributes in lower camel case (`version`, `rfc`, `formaDePago`): attribute
//! names are matched without regard to case, with the 3.2 spellings listed beside the current
//! ones. Values are trimmed (real files carry `Rfc=" AAA010101AAA"`).
//!
//! A document's identity is its stamp (`Complemento/TimbreFiscalDigital/@UUID`, upper-cased): a
//! CFDI without one is not a fiscal document yet and fails `cfdi_not_stamped`. A CFDI stamped
//! twice keeps its first stamp, the one SAT's validators read, and says so in the report; a
//! UUID that is not one fails `cfdi_invalid_uuid`, or imports flagged `uuid_valido = 0` under
//! `--allow-invalid-keys`. These rules, which Retenciones share, are [`super::sat`]'s.

use super::sat::{
    self, Attrs, Elements, Head, at, attrs, check_rfc, fill, is_sat_root, related_table, row,
    stamp_attrs,
};
use super::xml::Tag;
use super::{ColType, Doc, Format, ParseOptions, Parsed, Sniff, Source, Table, Value, col};
use crate::error::FileError;

use ColType::{Integer as I, Numeric as N, Text as T};

/// `cfdi`: one row per stamped UUID. `uuid_valido` is 0 for a UUID that is not one, imported
/// under `--allow-invalid-keys`; rows stored before the column existed had valid ones.
pub static CFDI: Table = Table {
    name: "cfdi",
    columns: &[
        col("uuid", T),
        col("uuid_valido", I).default("1"),
        col("version", T),
        col("serie", T),
        col("folio", T),
        col("fecha", T),
        col("fecha_timbrado", T),
        col("tipo_de_comprobante", T),
        col("moneda", T),
        col("tipo_cambio", N),
        col("sub_total", N),
        col("descuento", N),
        col("total", N),
        col("forma_pago", T),
        col("metodo_pago", T),
        col("lugar_expedicion", T),
        col("exportacion", T),
        col("emisor_rfc", T),
        col("emisor_nombre", T),
        col("emisor_regimen_fiscal", T),
        col("receptor_rfc", T),
        col("receptor_nombre", T),
        col("receptor_uso_cfdi", T),
        col("receptor_domicilio_fiscal", T),
        col("receptor_regimen_fiscal", T),
        col("total_impuestos_trasladados", N),
        col("total_impuestos_retenidos", N),
        col("no_certificado", T),
        col("no_certificado_sat", T),
        col("rfc_prov_certif", T),
        col("path", T),
        col("sha256", T),
        // 1 once the SAT's metadata says the UUID was cancelled (`format::sat_metadata`),
        // whichever arrived first; NULL otherwise. The date is the metadata's.
        col("cancelado", I),
        col("fecha_cancelacion", T),
    ],
    primary_key: &["uuid"],
    // A printed representation (PDF) stored before it; its cancellation stored before it.
    after_write: &[
        crate::format::link::CFDI_LINKED_BY_EARLIER_PDF,
        crate::format::sat_metadata::CANCELLED_BY_EARLIER_METADATA,
    ],
    ..Table::BASE
};

/// `cfdi_concepto`: the document's lines, `n` counting from 1.
pub static CONCEPTO: Table = Table {
    name: "cfdi_concepto",
    columns: &[
        col("uuid", T),
        col("n", I),
        col("clave_prod_serv", T),
        col("no_identificacion", T),
        col("cantidad", N),
        col("clave_unidad", T),
        col("unidad", T),
        col("descripcion", T),
        col("valor_unitario", N),
        col("importe", N),
        col("descuento", N),
        col("objeto_imp", T),
    ],
    indexed: &["uuid"],
    parent: Some(&CFDI),
    ..Table::BASE
};

/// `cfdi_impuesto`: transferred (`traslado`) and withheld (`retencion`) taxes, per concept
/// (`concepto` = its `n`) and for the whole document (`concepto` NULL).
pub static IMPUESTO: Table = Table {
    name: "cfdi_impuesto",
    columns: &[
        col("uuid", T),
        col("concepto", I),
        col("tipo", T),
        col("base", N),
        col("impuesto", T),
        col("tipo_factor", T),
        col("tasa_o_cuota", N),
        col("importe", N),
    ],
    indexed: &["uuid"],
    parent: Some(&CFDI),
    ..Table::BASE
};

/// `cfdi_relacionado`: documents this one relates to (credit notes, substitutions, payments).
pub static RELACIONADO: Table = related_table("cfdi_relacionado", &CFDI);

/// `cfdi_pago`: payments of a Pagos 1.0/2.0 complement, `n` counting from 1.
pub static PAGO: Table = Table {
    name: "cfdi_pago",
    columns: &[
        col("uuid", T),
        col("n", I),
        col("fecha_pago", T),
        col("forma_de_pago_p", T),
        col("moneda_p", T),
        col("tipo_cambio_p", N),
        col("monto", N),
    ],
    indexed: &["uuid"],
    parent: Some(&CFDI),
    ..Table::BASE
};

/// `cfdi_pago_docto`: the invoices a payment settles (`id_documento` is their UUID, upper-cased
/// so it joins `cfdi.uuid`). `equivalencia_dr` is Pagos 2.0's `EquivalenciaDR`, or 1.0's
/// `TipoCambioDR`.
pub static PAGO_DOCTO: Table = Table {
    name: "cfdi_pago_docto",
    columns: &[
        col("uuid", T),
        col("n_pago", I),
        col("id_documento", T),
        col("serie", T),
        col("folio", T),
        col("moneda_dr", T),
        col("equivalencia_dr", N),
        col("num_parcialidad", I),
        col("imp_saldo_ant", N),
        col("imp_pagado", N),
        col("imp_saldo_insoluto", N),
    ],
    indexed: &["uuid", "id_documento"],
    parent: Some(&CFDI),
    ..Table::BASE
};

/// `cfdi_nomina`: payroll complements (1.1 and 1.2), `n` counting from 1. For 1.1, which has no
/// document totals, `total_percepciones` and `total_deducciones` are the sums of their groups'
/// taxed and exempt totals.
pub static NOMINA: Table = Table {
    name: "cfdi_nomina",
    columns: &[
        col("uuid", T),
        col("n", I),
        col("version", T),
        col("tipo_nomina", T),
        col("fecha_pago", T),
        col("fecha_inicial_pago", T),
        col("fecha_final_pago", T),
        col("num_dias_pagados", N),
        col("total_percepciones", N),
        col("total_deducciones", N),
        col("total_otros_pagos", N),
        col("registro_patronal", T),
        col("curp", T),
        col("num_empleado", T),
    ],
    indexed: &["uuid"],
    parent: Some(&CFDI),
    ..Table::BASE
};

/// `cfdi_nomina_linea`: payroll lines, `clase` = `percepcion`, `deduccion` or `otro_pago`.
/// `importe` is the line's amount; when the line only has taxed and exempt parts (percepciones,
/// 1.1 deducciones) it is their sum.
pub static NOMINA_LINEA: Table = Table {
    name: "cfdi_nomina_linea",
    columns: &[
        col("uuid", T),
        col("n_nomina", I),
        col("clase", T),
        col("tipo", T),
        col("clave", T),
        col("concepto", T),
        col("importe_gravado", N),
        col("importe_exento", N),
        col("importe", N),
    ],
    indexed: &["uuid"],
    parent: Some(&CFDI),
    ..Table::BASE
};

static HEADER: Attrs = attrs!(CFDI:
    "version" => "version", "serie" => "serie", "folio" => "folio", "fecha" => "fecha",
    "tipodecomprobante" => "tipo_de_comprobante", "moneda" => "moneda",
    "tipocambio" => "tipo_cambio", "subtotal" => "sub_total", "descuento" => "descuento",
    "total" => "total", "formapago" => "forma_pago", "formadepago" => "forma_pago",
    "metodopago" => "metodo_pago", "metododepago" => "metodo_pago",
    "lugarexpedicion" => "lugar_expedicion", "exportacion" => "exportacion",
    "nocertificado" => "no_certificado",
);
static EMISOR: Attrs = attrs!(CFDI:
    "rfc" => "emisor_rfc", "nombre" => "emisor_nombre",
    "regimenfiscal" => "emisor_regimen_fiscal",
);
/// 3.2: `Emisor/RegimenFiscal/@Regimen` (the first one).
static EMISOR_REGIMEN: Attrs = attrs!(CFDI: "regimen" => "emisor_regimen_fiscal");
static RECEPTOR: Attrs = attrs!(CFDI:
    "rfc" => "receptor_rfc", "nombre" => "receptor_nombre", "usocfdi" => "receptor_uso_cfdi",
    "domiciliofiscalreceptor" => "receptor_domicilio_fiscal",
    "regimenfiscalreceptor" => "receptor_regimen_fiscal",
);
static IMPUESTOS_TOTALES: Attrs = attrs!(CFDI:
    "totalimpuestostrasladados" => "total_impuestos_trasladados",
    "totalimpuestosretenidos" => "total_impuestos_retenidos",
);
static TIMBRE: Attrs = stamp_attrs!(CFDI);
static CONCEPTO_ATTRS: Attrs = attrs!(CONCEPTO:
    "claveprodserv" => "clave_prod_serv", "noidentificacion" => "no_identificacion",
    "cantidad" => "cantidad", "claveunidad" => "clave_unidad", "unidad" => "unidad",
    "descripcion" => "descripcion", "valorunitario" => "valor_unitario", "importe" => "importe",
    "descuento" => "descuento", "objetoimp" => "objeto_imp",
);
static IMPUESTO_ATTRS: Attrs = attrs!(IMPUESTO:
    "base" => "base", "impuesto" => "impuesto", "tipofactor" => "tipo_factor",
    "tasaocuota" => "tasa_o_cuota", "tasa" => "tasa_o_cuota", "importe" => "importe",
);
static PAGO_ATTRS: Attrs = attrs!(PAGO:
    "fechapago" => "fecha_pago", "formadepagop" => "forma_de_pago_p", "monedap" => "moneda_p",
    "tipocambiop" => "tipo_cambio_p", "monto" => "monto",
);
static DOCTO_ATTRS: Attrs = attrs!(PAGO_DOCTO:
    "iddocumento" => "id_documento", "serie" => "serie", "folio" => "folio",
    "monedadr" => "moneda_dr", "equivalenciadr" => "equivalencia_dr",
    "tipocambiodr" => "equivalencia_dr", "numparcialidad" => "num_parcialidad",
    "impsaldoant" => "imp_saldo_ant", "imppagado" => "imp_pagado",
    "impsaldoinsoluto" => "imp_saldo_insoluto",
);
static NOMINA_ATTRS: Attrs = attrs!(NOMINA:
    "version" => "version", "tiponomina" => "tipo_nomina", "fechapago" => "fecha_pago",
    "fechainicialpago" => "fecha_inicial_pago", "fechafinalpago" => "fecha_final_pago",
    "numdiaspagados" => "num_dias_pagados", "totalpercepciones" => "total_percepciones",
    "totaldeducciones" => "total_deducciones", "totalotrospagos" => "total_otros_pagos",
    // 1.1 keeps these on Nomina itself; 1.2 moved them to Nomina/Emisor and Nomina/Receptor.
    "registropatronal" => "registro_patronal", "curp" => "curp", "numempleado" => "num_empleado",
);
static NOMINA_EMISOR: Attrs = attrs!(NOMINA: "registropatronal" => "registro_patronal");
static NOMINA_RECEPTOR: Attrs = attrs!(NOMINA: "curp" => "curp", "numempleado" => "num_empleado");
static LINEA_ATTRS: Attrs = attrs!(NOMINA_LINEA:
    "tipopercepcion" => "tipo", "tipodeduccion" => "tipo", "tipootropago" => "tipo",
    "clave" => "clave", "concepto" => "concepto", "importegravado" => "importe_gravado",
    "importeexento" => "importe_exento", "importe" => "importe",
);

#[cfg(test)]
const H_UUID: usize = CFDI.col("uuid");
#[cfg(test)]
const H_UUID_VALIDO: usize = CFDI.col("uuid_valido");
const H_EMISOR_RFC: usize = CFDI.col("emisor_rfc");
const H_EMISOR_REGIMEN: usize = CFDI.col("emisor_regimen_fiscal");
const H_RECEPTOR_RFC: usize = CFDI.col("receptor_rfc");
const C_N: usize = CONCEPTO.col("n");
const X_CONCEPTO: usize = IMPUESTO.col("concepto");
const X_TIPO: usize = IMPUESTO.col("tipo");
const R_TIPO: usize = RELACIONADO.col("tipo_relacion");
const R_UUID: usize = RELACIONADO.col("uuid_relacionado");
const P_N: usize = PAGO.col("n");
const D_N_PAGO: usize = PAGO_DOCTO.col("n_pago");
const D_ID: usize = PAGO_DOCTO.col("id_documento");
const M_N: usize = NOMINA.col("n");
const M_PERCEPCIONES: usize = NOMINA.col("total_percepciones");
const M_DEDUCCIONES: usize = NOMINA.col("total_deducciones");
const L_N_NOMINA: usize = NOMINA_LINEA.col("n_nomina");
const L_CLASE: usize = NOMINA_LINEA.col("clase");
const L_GRAVADO: usize = NOMINA_LINEA.col("importe_gravado");
const L_EXENTO: usize = NOMINA_LINEA.col("importe_exento");
const L_IMPORTE: usize = NOMINA_LINEA.col("importe");

/// The CFDI format.
pub struct Cfdi;

impl Format for Cfdi {
    fn kind(&self) -> &'static str {
        "cfdi"
    }

    fn tables(&self) -> &'static [&'static Table] {
        static TABLES: [&Table; 8] = [
            &CFDI,
            &CONCEPTO,
            &IMPUESTO,
            &RELACIONADO,
            &PAGO,
            &PAGO_DOCTO,
            &NOMINA,
            &NOMINA_LINEA,
        ];
        &TABLES
    }

    /// A CFDI is an XML document whose root is `Comprobante` and which declares SAT's CFDI
    /// namespace (`http://www.sat.gob.mx/cfd/3` or `/4`), under any prefix.
    fn detect(&self, sniff: &Sniff) -> bool {
        is_sat_root(sniff, b"Comprobante", b"www.sat.gob.mx/cfd/")
    }

    fn parse(&self, sniff: &Sniff, src: &Source, opts: &ParseOptions) -> Parsed {
        sat::parse(sniff, src, opts, Builder::new())
    }
}

/// One CFDI being read: the header row and the child rows by table, so each table's rows reach
/// the writer together.
struct Builder {
    /// The `cfdi` row, the stamps, the first value that did not fit.
    head: Head,
    conceptos: Vec<Vec<Value>>,
    impuestos: Vec<Vec<Value>>,
    relacionados: Vec<Vec<Value>>,
    pagos: Vec<Vec<Value>>,
    doctos: Vec<Vec<Value>>,
    nominas: Vec<Vec<Value>>,
    lineas: Vec<Vec<Value>>,
    /// `TipoRelacion` of the open `CfdiRelacionados`.
    tipo_relacion: Value,
}

/// The sum of the numeric attributes named (case-insensitively) in `names`; `None` if none is
/// present or one is not a number.
fn sum_attrs(e: &Tag, names: &[&str]) -> Result<Option<f64>, FileError> {
    let mut sum = None;
    for a in e.attributes() {
        let a = a?;
        let key = a.local();
        if names.iter().any(|n| key.eq_ignore_ascii_case(n.as_bytes())) {
            let v = a.value()?;
            match v.trim().parse::<f64>() {
                Ok(x) => sum = Some(sum.unwrap_or(0.0) + x),
                Err(_) => return Ok(None),
            }
        }
    }
    Ok(sum)
}

impl Builder {
    fn new() -> Builder {
        Builder {
            head: Head::new(&CFDI),
            conceptos: Vec::new(),
            impuestos: Vec::new(),
            relacionados: Vec::new(),
            pagos: Vec::new(),
            doctos: Vec::new(),
            nominas: Vec::new(),
            lineas: Vec::new(),
            tipo_relacion: Value::Null,
        }
    }
}

impl Elements for Builder {
    fn element(&mut self, stack: &[&[u8]], e: &Tag) -> Result<(), FileError> {
        const C: &[u8] = b"Comprobante";
        let name = e.local();
        let err = &mut self.head.field_error;
        let header = &mut self.head.values;
        match (stack.len(), name) {
            (0, b"Comprobante") => fill(e, &CFDI, HEADER, header, err)?,
            (1, b"Emisor") => fill(e, &CFDI, EMISOR, header, err)?,
            (1, b"Receptor") => fill(e, &CFDI, RECEPTOR, header, err)?,
            (1, b"Impuestos") => fill(e, &CFDI, IMPUESTOS_TOTALES, header, err)?,
            (1, b"CfdiRelacionados") => {
                self.tipo_relacion = e
                    .attr(b"TipoRelacion")?
                    .map_or(Value::Null, |s| Value::Text(s.into()))
            }
            (2, b"RegimenFiscal")
                if at(stack, &[C, b"Emisor"]) && header[H_EMISOR_REGIMEN] == Value::Null =>
            {
                fill(e, &CFDI, EMISOR_REGIMEN, header, err)?
            }
            (2, b"Concepto") if at(stack, &[C, b"Conceptos"]) => {
                let mut r = row(&CONCEPTO);
                fill(e, &CONCEPTO, CONCEPTO_ATTRS, &mut r, err)?;
                r[C_N] = Value::Int(self.conceptos.len() as i64 + 1);
                self.conceptos.push(r);
            }
            (2, b"CfdiRelacionado") if at(stack, &[C, b"CfdiRelacionados"]) => {
                let mut r = row(&RELACIONADO);
                r[R_TIPO] = self.tipo_relacion.clone();
                r[R_UUID] = e
                    .attr(b"UUID")?
                    .map_or(Value::Null, |u| Value::Text(u.to_ascii_uppercase().into()));
                self.relacionados.push(r);
            }
            // Every stamp is counted; only the first is read.
            (2, b"TimbreFiscalDigital")
                if at(stack, &[C, b"Complemento"]) && self.head.stamps.first(e)? =>
            {
                fill(e, &CFDI, TIMBRE, header, err)?
            }
            (2, b"Nomina") if at(stack, &[C, b"Complemento"]) => {
                let mut r = row(&NOMINA);
                fill(e, &NOMINA, NOMINA_ATTRS, &mut r, err)?;
                r[M_N] = Value::Int(self.nominas.len() as i64 + 1);
                self.nominas.push(r);
            }
            (3, b"Traslado" | b"Retencion") if at(stack, &[C, b"Impuestos", plural(name)]) => {
                self.impuesto(e, name, None)?
            }
            (3, b"Pago") if at(stack, &[C, b"Complemento", b"Pagos"]) => {
                let mut r = row(&PAGO);
                fill(e, &PAGO, PAGO_ATTRS, &mut r, err)?;
                r[P_N] = Value::Int(self.pagos.len() as i64 + 1);
                self.pagos.push(r);
            }
            (3, b"Emisor" | b"Receptor" | b"Percepciones" | b"Deducciones")
                if at(stack, &[C, b"Complemento", b"Nomina"]) =>
            {
                let nomina = self.nominas.last_mut().expect("Nomina open");
                match name {
                    b"Emisor" => fill(e, &NOMINA, NOMINA_EMISOR, nomina, err)?,
                    b"Receptor" => fill(e, &NOMINA, NOMINA_RECEPTOR, nomina, err)?,
                    b"Percepciones" if nomina[M_PERCEPCIONES] == Value::Null => {
                        let sum = sum_attrs(e, &["TotalGravado", "TotalExento"])?;
                        nomina[M_PERCEPCIONES] = sum.map_or(Value::Null, Value::amount);
                    }
                    b"Deducciones" if nomina[M_DEDUCCIONES] == Value::Null => {
                        let sum = sum_attrs(
                            e,
                            &[
                                "TotalGravado",
                                "TotalExento",
                                "TotalOtrasDeducciones",
                                "TotalImpuestosRetenidos",
                            ],
                        )?;
                        nomina[M_DEDUCCIONES] = sum.map_or(Value::Null, Value::amount);
                    }
                    _ => {}
                }
            }
            (4, b"DoctoRelacionado") if at(stack, &[C, b"Complemento", b"Pagos", b"Pago"]) => {
                let mut r = row(&PAGO_DOCTO);
                fill(e, &PAGO_DOCTO, DOCTO_ATTRS, &mut r, err)?;
                r[D_N_PAGO] = Value::Int(self.pagos.len() as i64);
                if let Value::Text(id) = &mut r[D_ID] {
                    id.make_ascii_uppercase();
                }
                self.doctos.push(r);
            }
            (4, b"Percepcion" | b"Deduccion" | b"OtroPago")
                if at(&stack[..3], &[C, b"Complemento", b"Nomina"])
                    && stack[3] == group_of(name) =>
            {
                let mut r = row(&NOMINA_LINEA);
                fill(e, &NOMINA_LINEA, LINEA_ATTRS, &mut r, err)?;
                r[L_N_NOMINA] = Value::Int(self.nominas.len() as i64);
                r[L_CLASE] = Value::Text(
                    match name {
                        b"Percepcion" => "percepcion",
                        b"Deduccion" => "deduccion",
                        _ => "otro_pago",
                    }
                    .into(),
                );
                if r[L_IMPORTE] == Value::Null {
                    let (g, x) = (r[L_GRAVADO].number(), r[L_EXENTO].number());
                    if g.is_some() || x.is_some() {
                        r[L_IMPORTE] = Value::amount(g.unwrap_or(0.0) + x.unwrap_or(0.0));
                    }
                }
                self.lineas.push(r);
            }
            (5, b"Traslado" | b"Retencion")
                if at(
                    stack,
                    &[C, b"Conceptos", b"Concepto", b"Impuestos", plural(name)],
                ) =>
            {
                let n = self.conceptos.len() as i64;
                self.impuesto(e, name, Some(n))?
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(self, src: &Source, opts: &ParseOptions) -> Result<Doc, FileError> {
        let stamp = self.head.identity("CFDI", &["3.2", "3.3", "4.0"], opts)?;
        check_rfc(&self.head.values[H_EMISOR_RFC], "issuer")?;
        check_rfc(&self.head.values[H_RECEPTOR_RFC], "receiver")?;
        let children = [
            (&CONCEPTO, self.conceptos),
            (&IMPUESTO, self.impuestos),
            (&RELACIONADO, self.relacionados),
            (&PAGO, self.pagos),
            (&PAGO_DOCTO, self.doctos),
            (&NOMINA, self.nominas),
            (&NOMINA_LINEA, self.lineas),
        ];
        self.head.into_doc(stamp, src, children)
    }
}

impl Builder {
    fn impuesto(&mut self, e: &Tag, name: &[u8], concepto: Option<i64>) -> Result<(), FileError> {
        let mut r = row(&IMPUESTO);
        fill(
            e,
            &IMPUESTO,
            IMPUESTO_ATTRS,
            &mut r,
            &mut self.head.field_error,
        )?;
        r[X_CONCEPTO] = concepto.map_or(Value::Null, Value::Int);
        r[X_TIPO] = Value::Text(
            if name == b"Traslado" {
                "traslado"
            } else {
                "retencion"
            }
            .into(),
        );
        self.impuestos.push(r);
        Ok(())
    }
}

/// `Traslados` for `Traslado`, `Retenciones` for `Retencion`.
fn plural(name: &[u8]) -> &'static [u8] {
    if name == b"Traslado" {
        b"Traslados"
    } else {
        b"Retenciones"
    }
}

/// The group element a payroll line sits in.
fn group_of(line: &[u8]) -> &'static [u8] {
    match line {
        b"Percepcion" => b"Percepciones",
        b"Deduccion" => b"Deducciones",
        _ => b"OtrosPagos",
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::error::ErrorType;
    use crate::format::Outcome;
    use std::time::{Duration, Instant};

    /// The documents `bytes` hold, or why none, as a batch reads them.
    pub(in crate::format) fn read(bytes: &[u8], opts: ParseOptions) -> Result<Vec<Doc>, FileError> {
        let src = Source {
            origin: "test.xml",
            sha256: "",
            deadline: Instant::now() + Duration::from_secs(60),
        };
        match crate::format::read(bytes, &src, &opts).1 {
            Outcome::Docs(docs) => Ok(docs),
            Outcome::Failed(e) => Err(e),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_first_of_several_stamps_is_the_documents() {
        let bytes = include_bytes!("../../fixtures/cfdi/cfdi40-two-stamps.xml");
        let docs = read(bytes, ParseOptions::default()).unwrap();
        let doc = &docs[0];
        assert_eq!(doc.key, "7A1E0D2C-5B4F-4E3A-9C8D-1F2E3D4C5B6A");
        let header = &doc.rows[0].values;
        assert_eq!(header[H_UUID], Value::Text(doc.key.as_str().into()));
        assert_eq!(
            header[CFDI.col("fecha_timbrado")],
            Value::Text("2026-10-14T12:31:07".into())
        );
        assert_eq!(header[H_UUID_VALIDO], Value::Int(1));
        let warning = doc.warning.as_deref().unwrap();
        assert!(
            warning.contains("several TimbreFiscalDigital stamps (2)"),
            "{warning}"
        );
        assert!(
            warning.contains("E4D3C2B1-A09F-4E8D-8C7B-6A5F4E3D2C1B"),
            "{warning}"
        );
    }

    #[test]
    fn a_uuid_that_is_not_one_imports_flagged_only_when_allowed() {
        let bytes = include_bytes!("../../fixtures/cfdi/broken-cfdi-bad-uuid.xml");
        let e = read(bytes, ParseOptions::default()).unwrap_err();
        assert_eq!(e.error_type, ErrorType::CfdiInvalidUuid);
        let allow = ParseOptions {
            allow_invalid_keys: true,
            ..ParseOptions::default()
        };
        let docs = read(bytes, allow.clone()).unwrap();
        assert_eq!(docs[0].key, "NO-ES-UN-UUID", "upper-cased like any UUID");
        assert_eq!(docs[0].rows[0].values[H_UUID_VALIDO], Value::Int(0));
        let warning = docs[0].warning.as_deref().unwrap();
        assert!(warning.contains("--allow-invalid-keys"), "{warning}");

        // No UUID at all is no stamp, whatever the options.
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let empty = text.replace("UUID=\"no-es-un-uuid\"", "UUID=\" \"");
        assert_ne!(empty, text);
        for opts in [ParseOptions::default(), allow] {
            let e = read(empty.as_bytes(), opts).unwrap_err();
            assert_eq!(e.error_type, ErrorType::CfdiNotStamped, "{e:?}");
        }
    }
}
