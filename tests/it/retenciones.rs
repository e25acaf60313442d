//! CFDI de Retenciones e Información de Pagos (1.0 and 2.0) on the fixtures batchimp writes
//! (tests/make_fixtures.py): a kind of its own, its tables' values, the stamp rules it shares with
//! CFDI (`--allow-invalid-keys` included), and duplicates by UUID.

use crate::helpers::{Db, Env, db_test, fixture};

const U10: &str = "6D1C9A3E-2B7F-4E58-A9C0-15F3B2D4E6A7";
const U20: &str = "B7E4F2A1-0C3D-4E5F-8A9B-C1D2E3F40516";

fn imported(db: Db) -> Env {
    let env = Env::on(db);
    let run = env.run(&[&fixture("retenciones")]);
    assert_eq!(run.code(), 1, "the unstamped one fails: {}", run.stderr());
    for f in run.report()["files"].as_array().unwrap() {
        assert_eq!(f["kind"], "retenciones", "{f}");
    }
    env
}

db_test! {
fn retenciones_10_and_20_land_their_header_and_withheld_taxes(db) {
    let env = imported(db);
    let text = |sql: &str| env.text(sql).unwrap_or_default();
    // 1.0: lower camel case totals, Ejerc, NumCert, a foreign receiver, a TFD 1.0 stamp.
    assert_eq!(
        text(&format!(
            "SELECT uuid_valido || '|' || version || '|' || folio_int || '|' || fecha_exp
                || '|' || cve_retenc || '|' || desc_retenc || '|' || emisor_rfc
                || '|' || emisor_nombre || '|' || emisor_curp || '|' || receptor_nacionalidad
                || '|' || receptor_num_reg_id_trib || '|' || receptor_nombre || '|' || mes_ini
                || '|' || mes_fin || '|' || ejercicio || '|' || monto_tot_operacion
                || '|' || monto_tot_grav || '|' || monto_tot_exent || '|' || monto_tot_ret
                || '|' || no_certificado || '|' || fecha_timbrado || '|' || no_certificado_sat
                || '|' || coalesce(receptor_rfc, lugar_exp_retenc, rfc_prov_certif, '-')
             FROM retencion WHERE uuid = '{U10}'"
        )),
        "1|1.0|R-2021-014|2021-03-10T11:20:00-06:00|25|Asistencia técnica prestada desde el extranjero\
         |LOPA721015QX3|ALBERTO LÓPEZ PÉREZ|LOPA721015HDFPRL05|Extranjero|98-7654321\
         |NORTHWIND TRADERS LLC|1|2|2021|50000|50000|0|12500|30001000000400002434\
         |2021-03-10T11:21:45|00001000000403258748|-"
    );
    // 2.0: a national receiver with CURP and fiscal address, a TFD 1.1 stamp.
    assert_eq!(
        text(&format!(
            "SELECT uuid_valido || '|' || version || '|' || folio_int || '|' || fecha_exp
                || '|' || lugar_exp_retenc || '|' || cve_retenc || '|' || emisor_rfc
                || '|' || emisor_nombre || '|' || emisor_regimen_fiscal
                || '|' || receptor_nacionalidad || '|' || receptor_rfc || '|' || receptor_nombre
                || '|' || receptor_curp || '|' || receptor_domicilio_fiscal || '|' || mes_ini
                || '|' || mes_fin || '|' || ejercicio || '|' || monto_tot_operacion
                || '|' || monto_tot_grav || '|' || monto_tot_exent || '|' || monto_tot_ret
                || '|' || no_certificado || '|' || fecha_timbrado || '|' || no_certificado_sat
                || '|' || rfc_prov_certif
                || '|' || coalesce(desc_retenc, emisor_curp, receptor_num_reg_id_trib,
                                   CAST(utilidad_bimestral AS TEXT), '-')
             FROM retencion WHERE uuid = '{U20}'"
        )),
        "1|2.0|PT202610|2026-11-02T09:15:00|06600|26|PTE190510AB3|PLATAFORMA DE TRANSPORTE EJEMPLO\
         |601|Nacional|GOMJ800101AB1|JUAN GÓMEZ MARTÍNEZ|GOMJ800101HNLMRN09|64000|10|10|2026\
         |18500|18500|0|1868.5|30001000000400002434|2026-11-02T09:16:30|30001000000400002495\
         |SPR190613I52|-"
    );
    assert!(
        text(&format!("SELECT path FROM retencion WHERE uuid = '{U20}'"))
            .ends_with("retenciones/retenciones20-plataforma.xml")
    );
    let taxes = |uuid: &str| {
        env.column(&format!(
            "SELECT n || ':' || base_ret || ':' || impuesto || ':' || monto_ret || ':' || tipo_pago_ret
             FROM retencion_impuesto WHERE uuid = '{uuid}' ORDER BY n"
        ))
    };
    assert_eq!(taxes(U10), ["1:50000:01:12500:Pago definitivo"]);
    assert_eq!(taxes(U20), ["1:18500:001:388.5:03", "2:18500:002:1480:01"]);
    assert_eq!(
        env.column("SELECT uuid || ':' || tipo_relacion || ':' || uuid_relacionado FROM retencion_relacionado"),
        [format!("{U20}:04:3F2504E0-4F89-41D3-9A0C-0305E82C3301")],
        "2.0's related document, its UUID upper-cased so it joins"
    );
    // docs/tables.md's query: the taxes withheld from a receiver in a year, by tax.
    let mut by_tax = env.rows(&crate::docs::documented(
        "docs/tables.md",
        "SELECT i.impuesto, sum(i.monto_ret) AS retenido
         FROM retencion r JOIN retencion_impuesto i USING (uuid)
         WHERE r.receptor_rfc = 'GOMJ800101AB1' AND r.ejercicio = 2026 GROUP BY i.impuesto",
    ));
    by_tax.sort();
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(
        by_tax,
        [
            [some("001"), some("388.5")],
            [some("002"), some("1480")]
        ]
    );
}
}

db_test! {
fn an_unstamped_retenciones_fails_like_a_cfdi_and_writes_nothing(db) {
    let env = Env::on(db);
    let run = env.run(&[&fixture("retenciones/broken-retenciones-not-stamped.xml")]);
    assert_eq!(run.code(), 1);
    let f = run.file("retenciones/broken-retenciones-not-stamped.xml");
    assert_eq!(f["kind"], "retenciones");
    assert_eq!(f["status"], "failed");
    assert_eq!(f["error_type"], "cfdi_not_stamped");
    let error = f["error"].as_str().unwrap();
    assert!(
        error.contains("Retenciones 2.0 not stamped by a PAC"),
        "{error}"
    );
    assert_eq!(env.count_or_zero("SELECT count(*) FROM retencion"), 0);
    assert_eq!(env.count_or_zero("SELECT count(*) FROM retencion_impuesto"), 0);
}
}

db_test! {
fn under_allow_invalid_keys_a_uuid_that_is_not_one_imports_flagged(db) {
    let env = Env::on(db);
    let good = std::fs::read_to_string(fixture("retenciones/retenciones20-plataforma.xml")).unwrap();
    let bad = good.replace("b7e4f2a1-0c3d-4e5f-8a9b-c1d2e3f40516", "folio-del-pac-42");
    assert_ne!(bad, good);
    let path = env.path("retencion-uuid-invalido.xml");
    std::fs::write(&path, bad).unwrap();
    let path = path.to_str().unwrap();

    let run = env.run(&[path]);
    assert_eq!(run.file("retencion-uuid-invalido.xml")["error_type"], "cfdi_invalid_uuid");
    let run = env.run(&[path, &fixture("retenciones/retenciones10-pago-al-extranjero.xml"), "--allow-invalid-keys"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let f = run.file("retencion-uuid-invalido.xml");
    assert_eq!(f["status"], "imported");
    assert_eq!(f["key"], "FOLIO-DEL-PAC-42");
    assert!(f["warning"].as_str().unwrap().contains("--allow-invalid-keys"), "{f}");
    let mut rows = env.column("SELECT uuid || '|' || uuid_valido FROM retencion");
    rows.sort();
    assert_eq!(rows, [format!("{U10}|1"), "FOLIO-DEL-PAC-42|0".to_owned()]);
}
}

db_test! {
fn a_retenciones_resent_is_a_duplicate(db) {
    let env = imported(db);
    let again = env.run(&[&fixture("retenciones")]);
    assert_eq!(again.total("imported"), 0);
    assert_eq!(again.total("duplicate"), 3);
    assert_eq!(
        again.file("retenciones/retenciones10-pago-al-extranjero.xml")["duplicate"],
        "identical"
    );

    let env = Env::on(db);
    let run = env.run(&[
        &fixture("retenciones/retenciones20-plataforma.xml"),
        &fixture("retenciones/retenciones20-plataforma_resent.xml"),
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let resent = run.file("retenciones/retenciones20-plataforma_resent.xml");
    assert_eq!(resent["status"], "duplicate");
    assert_eq!(resent["duplicate"], "different");
    assert_eq!(resent["key"], U20);
    assert!(
        resent["duplicate_of"]
            .as_str()
            .unwrap()
            .ends_with("retenciones/retenciones20-plataforma.xml")
    );
    assert_eq!(env.count("SELECT count(*) FROM retencion"), 1);
    assert_eq!(
        env.count("SELECT count(*) FROM retencion_impuesto"),
        2,
        "the resent copy added no taxes"
    );
}
}
