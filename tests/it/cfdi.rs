//! CFDI on the fixtures batchimp writes (tests/make_fixtures.py): every table's values, 3.2's
//! lower-case attributes, Pagos and Nómina, several stamps, invalid UUIDs under
//! `--allow-invalid-keys`, duplicates by UUID, and a ZIP mixing NF-e and CFDI.

use crate::helpers::{Db, Env, db_test, fixture};

const U40: &str = "9B1F0C7E-3A52-4D8E-9F10-2C4B6A8D0E11";
const U33: &str = "C0FFEE00-1234-4ABC-8DEF-0123456789AB";
const U32: &str = "5E2A4C10-7B3D-4F61-9A2E-D4C3B2A19080";
const UPAGO: &str = "A1B2C3D4-E5F6-4789-8ABC-DEF012345678";
const UNOM: &str = "D00DFEED-0000-4000-8000-000000000012";
const U2STAMPS: &str = "7A1E0D2C-5B4F-4E3A-9C8D-1F2E3D4C5B6A";

fn imported(db: Db) -> Env {
    let env = Env::on(db);
    let run = env.run(&[&fixture("cfdi")]);
    assert_eq!(run.code(), 1, "broken twins fail: {}", run.stderr());
    env
}

db_test! {
fn cfdi_40_header_concepts_taxes_and_related_documents(db) {
    let env = imported(db);
    let text = |sql: &str| env.text(sql).unwrap_or_default();
    let header = text(&format!(
        "SELECT version || '|' || serie || '|' || folio || '|' || fecha || '|' || fecha_timbrado
            || '|' || tipo_de_comprobante || '|' || moneda || '|' || sub_total || '|' || total
            || '|' || forma_pago || '|' || metodo_pago || '|' || lugar_expedicion || '|' || exportacion
            || '|' || emisor_rfc || '|' || emisor_nombre || '|' || emisor_regimen_fiscal
            || '|' || receptor_rfc || '|' || receptor_nombre || '|' || receptor_uso_cfdi
            || '|' || receptor_domicilio_fiscal || '|' || receptor_regimen_fiscal
            || '|' || total_impuestos_trasladados || '|' || total_impuestos_retenidos
            || '|' || no_certificado || '|' || no_certificado_sat || '|' || rfc_prov_certif
         FROM cfdi WHERE uuid = '{U40}'"
    ));
    assert_eq!(
        header,
        "4.0|F|1024|2026-10-14T12:30:00|2026-10-14T12:31:07|I|MXN|25500|29430|03|PUE|42501|01\
         |EKU9003173C9|ESCUELA KEMPER URGATE|601|MCI7306249Y1|MINDS CORP & ASOCIADOS|G03|06300|601\
         |4080|150|30001000000400002434|30001000000400002495|SPR190613I52"
    );
    assert!(
        text(&format!("SELECT path FROM cfdi WHERE uuid = '{U40}'"))
            .ends_with("cfdi/cfdi40-ingreso.xml")
    );
    let concepts = env.column(&format!(
            "SELECT n || ':' || clave_prod_serv || ':' || no_identificacion || ':'
                || cantidad || ':' || clave_unidad || ':' || unidad || ':' || descripcion || ':'
                || valor_unitario || ':' || importe || ':' || objeto_imp
             FROM cfdi_concepto WHERE uuid = '{U40}' ORDER BY n"
        ),
    );
    assert_eq!(
        concepts.join(" / "),
        "1:43211503:LAP-01:2:H87:Pieza:Computadora portátil 14\":12000:24000:02 / \
         2:81112101:SRV-7:1:E48:Servicio:Instalación y configuración:1500:1500:02"
    );
    // tipo is 'traslado' or 'retencion': lower-case ASCII sorts alike in every collation.
    let taxes = env.column(&format!(
            "SELECT coalesce(CAST(concepto AS TEXT), '-') || ':' || tipo
                || ':' || coalesce(CAST(base AS TEXT), '') || ':' || impuesto
                || ':' || coalesce(tipo_factor, '')
                || ':' || coalesce(CAST(tasa_o_cuota AS TEXT), '') || ':' || importe
             FROM cfdi_impuesto WHERE uuid = '{U40}'
             ORDER BY concepto IS NULL, concepto, tipo DESC"
        ),
    );
    assert_eq!(
        taxes.join(" / "),
        "1:traslado:24000:002:Tasa:0.16:3840 / 2:traslado:1500:002:Tasa:0.16:240 / \
         2:retencion:1500:001:Tasa:0.1:150 / -:traslado:25500:002:Tasa:0.16:4080 / \
         -:retencion::001:::150"
    );
    // Related documents keep their type; UUIDs are upper-cased so they join.
    assert_eq!(
        text(&format!(
            "SELECT tipo_relacion || ':' || uuid_relacionado FROM cfdi_relacionado WHERE uuid = '{U40}'"
        )),
        "04:0E7D6C5B-4A39-4281-9F0E-D1C2B3A49586"
    );
}
}

db_test! {
fn stray_spaces_are_trimmed_and_32_lower_case_attributes_are_read(db) {
    let env = imported(db);
    let text = |sql: &str| env.text(sql).unwrap_or_default();
    assert_eq!(
        text(&format!(
            "SELECT emisor_rfc || '|' || receptor_rfc || '|' || total FROM cfdi WHERE uuid = '{U33}'"
        )),
        "AAA010101AAA|XAXX010101000|104.4",
        "Rfc=\" AAA010101AAA\" is stored trimmed"
    );
    assert_eq!(
        text(&format!(
            "SELECT version || '|' || serie || '|' || folio || '|' || forma_pago || '|' || metodo_pago
                || '|' || tipo_de_comprobante || '|' || sub_total || '|' || total || '|' || emisor_rfc
                || '|' || emisor_nombre || '|' || emisor_regimen_fiscal || '|' || receptor_rfc
                || '|' || total_impuestos_trasladados || '|' || no_certificado_sat
             FROM cfdi WHERE uuid = '{U32}'"
        )),
        "3.2|A|77|PAGO EN UNA SOLA EXHIBICION|Transferencia|ingreso|450|522|E&Ñ831019M53\
         |Exportadora Ñandú|Régimen General de Ley Personas Morales|GOMJ800101AB1|72|30001000000400002495"
    );
    assert_eq!(
        text(&format!(
            "SELECT cantidad || ':' || unidad || ':' || descripcion || ':' || valor_unitario || ':' || importe
             FROM cfdi_concepto WHERE uuid = '{U32}'"
        )),
        "3:Pieza:Cable HDMI 2 m:150:450"
    );
    assert_eq!(
        text(&format!(
            "SELECT impuesto || ':' || tasa_o_cuota || ':' || importe FROM cfdi_impuesto WHERE uuid = '{U32}'"
        )),
        "IVA:16:72",
        "3.2's tasa goes to tasa_o_cuota"
    );
    assert_eq!(
        env.count("SELECT count(*) FROM cfdi WHERE uuid = 'B0B0B0B0-1111-4222-8333-444455556666'"),
        1,
        "a file with a UTF-8 BOM imports"
    );
}
}

db_test! {
fn pagos_20_land_payments_and_the_invoices_they_settle(db) {
    let env = imported(db);
    assert_eq!(
        env.column(&format!(
                "SELECT n || ':' || fecha_pago || ':' || forma_de_pago_p || ':' || moneda_p
                    || ':' || coalesce(CAST(tipo_cambio_p AS TEXT), '') || ':' || monto
                 FROM cfdi_pago WHERE uuid = '{UPAGO}' ORDER BY n"
            )
        )
        .join(" / "),
        "1:2026-10-20T10:00:00:03:MXN:1:20000 / 2:2026-11-05T16:45:00:02:MXN::9684.4"
    );
    // Ordered by n_pago (one digit), then id_documento, a text: sorted in Rust, bytewise
    // whatever the database's collation.
    let mut documents = env.column(&format!(
            "SELECT n_pago || ':' || id_documento || ':' || num_parcialidad || ':'
                || imp_saldo_ant || ':' || imp_pagado || ':' || imp_saldo_insoluto || ':'
                || equivalencia_dr
             FROM cfdi_pago_docto WHERE uuid = '{UPAGO}'"
        ),
    );
    documents.sort();
    assert_eq!(
        documents.join(" / "),
        format!(
            "1:{U40}:1:29430:19745.6:9684.4:1 / 1:{U33}:1:104.4:104.4:0:1 / 2:{U40}:2:9684.4:9684.4:0:1"
        )
    );
    // What a user asks: how much of each invoice is paid, and what is left. The sums are the
    // database's; two decimals and the order by UUID (a text) are Rust's, alike for both.
    let cents = |v: &Option<String>| {
        let v: f64 = v.as_deref().expect("a number").parse().expect("a number");
        format!("{v:.2}")
    };
    let mut paid: Vec<String> = env
        .rows(
            "SELECT c.uuid, sum(d.imp_pagado), c.total, min(d.imp_saldo_insoluto)
             FROM cfdi c JOIN cfdi_pago_docto d ON d.id_documento = c.uuid
             GROUP BY c.uuid, c.total",
        )
        .iter()
        .map(|r| {
            let uuid = r[0].as_deref().unwrap();
            format!("{uuid}={}/{}/{}", cents(&r[1]), cents(&r[2]), cents(&r[3]))
        })
        .collect();
    paid.sort();
    assert_eq!(
        paid.join(" "),
        format!("{U40}=29430.00/29430.00/0.00 {U33}=104.40/104.40/0.00")
    );
}
}

db_test! {
fn nomina_12_lands_its_totals_employee_and_lines(db) {
    let env = imported(db);
    let text = |sql: &str| env.text(sql).unwrap_or_default();
    assert_eq!(
        text(&format!(
            "SELECT n || '|' || version || '|' || tipo_nomina || '|' || fecha_pago || '|'
                || fecha_inicial_pago || '|' || fecha_final_pago || '|' || num_dias_pagados || '|'
                || total_percepciones || '|' || total_deducciones || '|' || total_otros_pagos || '|'
                || registro_patronal || '|' || curp || '|' || num_empleado
             FROM cfdi_nomina WHERE uuid = '{UNOM}'"
        )),
        "1|1.2|O|2026-10-15|2026-10-01|2026-10-15|15|12500|1875.4|0|B5510768108|GOMJ800101HNLMRN09|0042"
    );
    // The lines have no number of their own. SQLite's rowid still shows they were written in
    // document order; PostgreSQL keeps no insertion order, so there they are compared as a set.
    let order = if env.is_postgres() { "" } else { "ORDER BY rowid" };
    let mut lines = env.column(&format!(
            "SELECT clase || ':' || tipo || ':' || clave || ':' || concepto
                || ':' || coalesce(CAST(importe_gravado AS TEXT), '')
                || ':' || coalesce(CAST(importe_exento AS TEXT), '') || ':' || importe
             FROM cfdi_nomina_linea WHERE uuid = '{UNOM}' {order}"
        ),
    );
    let mut expected = [
        "percepcion:001:P001:Sueldo:12000:0:12000",
        "percepcion:029:P029:Vales de despensa:0:500:500",
        "deduccion:002:D002:ISR:::1455.4",
        "deduccion:001:D001:IMSS:::420",
        "otro_pago:002:O002:Subsidio para el empleo:::0",
    ];
    if env.is_postgres() {
        lines.sort();
        expected.sort();
    }
    assert_eq!(lines, expected);
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM cfdi_concepto WHERE uuid = '{UNOM}'"
        )),
        1
    );
}
}

db_test! {
fn of_several_stamps_the_first_is_kept_and_the_report_says_so(db) {
    let env = Env::on(db);
    let run = env.run(&[&fixture("cfdi/cfdi40-two-stamps.xml")]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let f = run.file("cfdi/cfdi40-two-stamps.xml");
    assert_eq!(f["status"], "imported");
    assert_eq!(f["key"], U2STAMPS);
    let warning = f["warning"].as_str().expect("a warning");
    assert!(
        warning.contains("several TimbreFiscalDigital stamps")
            && warning.contains(&format!("the first, UUID {U2STAMPS}"))
            && warning.contains("E4D3C2B1-A09F-4E8D-8C7B-6A5F4E3D2C1B"),
        "{warning}"
    );
    assert_eq!(
        env.column("SELECT uuid || '|' || fecha_timbrado FROM cfdi"),
        [format!("{U2STAMPS}|2026-10-14T12:31:07")],
        "the first stamp's UUID and date, not the second's"
    );
    assert_eq!(
        env.text("SELECT warning FROM files").as_deref(),
        Some(warning),
        "the ledger keeps the warning too"
    );
}
}

db_test! {
fn under_allow_invalid_keys_a_uuid_that_is_not_one_imports_flagged(db) {
    let env = Env::on(db);
    let files = ["broken-cfdi-bad-uuid.xml", "cfdi40-ingreso.xml", "broken-cfdi-not-stamped.xml"]
        .map(|f| fixture(&format!("cfdi/{f}")));
    let mut args: Vec<&str> = files.iter().map(String::as_str).collect();
    args.push("--allow-invalid-keys");
    let run = env.run(&args);
    assert_eq!(run.code(), 1, "the unstamped one still fails: {}", run.stderr());
    let bad = run.file("cfdi/broken-cfdi-bad-uuid.xml");
    assert_eq!(bad["status"], "imported", "{bad}");
    assert_eq!(bad["key"], "NO-ES-UN-UUID");
    let warning = bad["warning"].as_str().expect("a warning");
    assert!(
        warning.contains("is not a UUID") && warning.contains("--allow-invalid-keys"),
        "{warning}"
    );
    assert_eq!(
        run.file("cfdi/broken-cfdi-not-stamped.xml")["error_type"],
        "cfdi_not_stamped",
        "no UUID is no stamp, whatever the options"
    );
    let mut rows = env.column("SELECT uuid || '|' || uuid_valido FROM cfdi");
    rows.sort();
    assert_eq!(rows, [format!("{U40}|1"), "NO-ES-UN-UUID|0".to_owned()]);
    assert_eq!(
        env.count("SELECT count(*) FROM cfdi_concepto WHERE uuid = 'NO-ES-UN-UUID'"),
        2,
        "its rows are imported with it"
    );
}
}

/// A database written before `uuid_valido` existed gets the column, 1 for the CFDI it holds
/// (batchimp then took valid UUIDs only).
#[test]
fn uuid_valido_is_added_to_an_older_cfdi_table_as_1() {
    let env = Env::new();
    env.run(&[&fixture("cfdi/cfdi40-ingreso.xml")]);
    env.conn()
        .execute_batch("ALTER TABLE cfdi DROP COLUMN uuid_valido; PRAGMA user_version = 0;")
        .unwrap();
    let run = env.run(&[&fixture("cfdi/cfdi33-ingreso.xml")]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let mut rows = env.column("SELECT uuid || '|' || uuid_valido FROM cfdi");
    rows.sort();
    assert_eq!(rows, [format!("{U40}|1"), format!("{U33}|1")]);
}

db_test! {
fn the_same_uuid_again_is_a_duplicate_and_broken_ones_write_nothing(db) {
    let env = Env::on(db);
    let run = env.run(&[&fixture("cfdi")]);
    let resent = run.file("cfdi/cfdi40-ingreso_resent.xml");
    assert_eq!(resent["status"], "duplicate");
    assert_eq!(resent["duplicate"], "different");
    assert!(
        resent["duplicate_of"]
            .as_str()
            .unwrap()
            .ends_with("cfdi/cfdi40-ingreso.xml")
    );
    assert_eq!(resent["key"], U40);
    // One row set per UUID: the resent copy added no concepts.
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM cfdi_concepto WHERE uuid = '{U40}'"
        )),
        2
    );
    // Nothing of a failed file is written.
    for uuid in [
        "11111111-2222-4333-8444-555555555555",
        "22222222-3333-4444-8555-666666666666",
        "33333333-4444-4555-8666-777777777777",
    ] {
        assert_eq!(
            env.count(&format!("SELECT count(*) FROM cfdi WHERE uuid = '{uuid}'")),
            0
        );
        assert_eq!(
            env.count(&format!(
                "SELECT count(*) FROM cfdi_concepto WHERE uuid = '{uuid}'"
            )),
            0
        );
    }

    // A second batch over the same folder: every stamped document is a duplicate now.
    let again = env.run(&[&fixture("cfdi")]);
    assert_eq!(again.total("imported"), 0);
    assert_eq!(again.total("duplicate"), 8);
    assert_eq!(
        again.file("cfdi/cfdi40-ingreso.xml")["duplicate"],
        "identical"
    );
    assert_eq!(env.count("SELECT count(*) FROM cfdi"), 7);
}
}

db_test! {
fn one_zip_mixing_nfe_and_cfdi_imports_both_kinds(db) {
    let env = Env::on(db);
    let run = env.run(&[&fixture("zip/mixto.zip")]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let cfdi = run.file("mixto.zip!/cfdi/FACE0000-AAAA-4BBB-8CCC-DDDDEEEEFFFF.xml");
    assert_eq!(cfdi["kind"], "cfdi");
    assert_eq!(cfdi["status"], "imported");
    assert_eq!(cfdi["key"], "FACE0000-AAAA-4BBB-8CCC-DDDDEEEEFFFF");
    let nfe = run.file("mixto.zip!/nfe/35261012345678000195550010000020051200500504-nfe.xml");
    assert_eq!(nfe["kind"], "nfe");
    assert_eq!(nfe["status"], "imported");
    assert_eq!(
        env.text("SELECT path FROM cfdi").unwrap(),
        format!(
            "{}!/cfdi/FACE0000-AAAA-4BBB-8CCC-DDDDEEEEFFFF.xml",
            fixture("zip/mixto.zip")
        )
    );
    assert_eq!(env.count("SELECT count(*) FROM nfe"), 1);
    assert_eq!(env.count("SELECT count(*) FROM cfdi_concepto"), 2);
}
}
