//! SAT metadata (Descarga Masiva) end to end: the public samples (fixtures/public, see
//! SOURCES.md) field by field, batchimp's own file with its hostile lines, a later file that
//! cancels, the cancellation applied to the stored CFDI in either order, and the README's
//! query of the invoices still to download.

use crate::freight::zip_of;
use crate::helpers::{Env, db_test, fixture, folder};
use std::fs;

/// The stamp UUID of fixtures/cfdi/cfdi40-ingreso.xml, which metadata-recibidos-2026-10.txt
/// says was cancelled.
const CANCELLED: &str = "9B1F0C7E-3A52-4D8E-9F10-2C4B6A8D0E11";

/// The row of `uuid` in `cfdi_metadata`, its columns as text.
fn metadata(env: &Env, uuid: &str, columns: &str) -> Vec<Option<String>> {
    let rows = env.rows(&format!(
        "SELECT {columns} FROM cfdi_metadata WHERE uuid = '{uuid}'"
    ));
    assert_eq!(rows.len(), 1, "{uuid}: {rows:?}");
    rows.into_iter().next().unwrap()
}

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

/// An amount as the databases print it (`1124.11`), compared as a number.
fn amount(v: &Option<String>) -> f64 {
    v.as_deref().unwrap().parse().unwrap()
}

db_test! {
fn public_sat_metadata_samples_field_by_field(db) {
    let env = Env::on(db);
    let dir = folder(&env, "in", &[
        "public/sat-metadata-sat-ws-descarga-masiva.txt",
        "public/sat-metadata-terceros-sat-ws-descarga-masiva.zip",
    ]);
    let run = env.run(&[&dir]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let txt = run.file("sat-metadata-sat-ws-descarga-masiva.txt");
    assert_eq!(txt["kind"], "sat_metadata", "{txt}");
    assert_eq!(txt["status"], "imported", "{txt}");
    assert_eq!(txt["keys"].as_array().unwrap().len(), 2, "{txt}");
    let member = run.file("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF_01.txt");
    assert_eq!(member["kind"], "sat_metadata", "{member}");
    assert_eq!(env.count("SELECT count(*) FROM cfdi_metadata"), 7);
    // The third parties come in a file of their own, beside the metadata.
    let terceros = run.file("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF_tercero.txt");
    assert_eq!((&terceros["kind"], &terceros["status"]), (&"sat_metadata".into(), &"imported".into()));
    assert_eq!(
        env.rows("SELECT uuid, rfc_a_cuenta_terceros, nombre_a_cuenta_terceros, line FROM cfdi_metadata_tercero ORDER BY uuid"),
        [
            [s("11111111-AAAA-BBBB-0000-000000000002"), s("AAAA010101AA1"), s("PERSONA FISICA UNO"), s("4")],
            [s("11111111-AAAA-BBBB-0000-000000000003"), s("AAAA010101AA2"), s("PERSONA FISICA DOS"), s("3")],
            [s("11111111-AAAA-BBBB-0000-000000000004"), s("AAAA010101AA3"), s("PERSONA FISICA TRES"), s("2")],
        ]
    );

    let row = metadata(&env, "E7215E3B-2DC5-4A40-AB10-C902FF9258DF",
        "rfc_emisor, nombre_emisor, rfc_receptor, nombre_receptor, rfc_pac, fecha_emision, \
         fecha_certificacion_sat, monto, efecto_comprobante, estatus, fecha_cancelacion, cancelado, line");
    assert_eq!(row[..7], [
        s("XAXX010101000"), s("RAZON SOCIAL 1"), s("XAXX010101001"), s("RAZON SOCIAL 1 SA DE CV"),
        s("XAXX010101003"), s("2018-01-11 07:10:23"), s("2018-01-11 07:10:51"),
    ]);
    assert_eq!(amount(&row[7]), 1124.11);
    assert_eq!(row[8..], [s("I"), s("1"), None, None, s("2")]);
    let row = metadata(&env, "129C4D12-1415-4ACE-BE12-34E71C4EAB4E", "nombre_receptor, monto, line");
    assert_eq!(row[0], s("RAZON SOCIAL 2 SA DE CV"));
    assert_eq!(amount(&row[1]), 1485.17);
    // The ZIP's: mixed-case UUIDs stored in upper case, as `cfdi` stores them.
    let row = metadata(&env, "11111111-AAAA-BBBB-0000-000000000005", "nombre_emisor, rfc_receptor, fecha_certificacion_sat, monto");
    assert_eq!(row[..3], [s("Empresa Patito"), s("COSC8001137NA"), s("2022-01-01 11:40:22")]);
    assert_eq!(amount(&row[3]), 999_887.65);
}
}

db_test! {
fn sat_metadata_rejects_bad_lines_and_cancels_cfdi_either_order(db) {
    let env = Env::on(db);
    // The CFDI first, then the metadata that cancels it.
    let run = env.run(&[&fixture("cfdi/cfdi40-ingreso.xml")]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let run = env.run(&[&fixture("sat")]);
    assert_eq!(run.code(), 1, "the file without a valid line fails: {}", run.stderr());
    let f = run.file("metadata-recibidos-2026-10.txt");
    assert_eq!(f["status"], "imported", "{f}");
    assert_eq!(f["kind"], "sat_metadata", "{f}");
    let warning = f["warning"].as_str().unwrap();
    for part in [
        "3 of 6 lines rejected",
        "line 4: sat_metadata_invalid_uuid",
        "line 5: sat_metadata_field_count",
        "line 6: sat_metadata_invalid_field: cfdi_metadata.monto",
        "; see rejected_rows",
    ] {
        assert!(warning.contains(part), "{part}: {warning}");
    }
    // The rejected lines are rows of `rejected_rows`, counted as a catalog's are.
    let counts = ["rows", "rows_rejected", "rows_created", "rows_updated", "rows_unchanged"]
        .map(|c| f[c].as_u64());
    assert_eq!(counts, [Some(3), Some(3), Some(3), Some(0), Some(0)], "{f}");
    let listed: Vec<(u64, &str)> = f["rejected_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["error_type"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, [
        (4, "sat_metadata_invalid_uuid"),
        (5, "sat_metadata_field_count"),
        (6, "sat_metadata_invalid_field"),
    ]);
    assert_eq!(f["rejected_rows_by_error_type"]["sat_metadata_field_count"], 1, "{f}");
    assert_eq!(run.report()["totals"]["rows_rejected"], 3);
    assert_eq!(env.count("SELECT rows_rejected FROM batches WHERE id = 2"), 3, "the batch row too");
    let origin = fixture("sat/metadata-recibidos-2026-10.txt");
    assert_eq!(
        env.rows("SELECT r.line, r.error_type, r.error FROM rejected_rows r
                  JOIN files f ON f.id = r.file_id WHERE f.kind = 'sat_metadata' ORDER BY r.line"),
        [
            [s("4"), s("sat_metadata_invalid_uuid"),
             Some(format!("{origin}: line 4: cfdi_metadata.uuid is not a UUID: \"no-es-un-uuid\""))],
            [s("5"), s("sat_metadata_field_count"),
             Some(format!("{origin}: line 5: 3 fields, the header has 14"))],
            [s("6"), s("sat_metadata_invalid_field"),
             Some(format!("{origin}: line 6: cfdi_metadata.monto is not a number: \"12,50\""))],
        ]
    );
    // The text report lists them as it lists a catalog's.
    let out = env.on_db(&["report", "2"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("rows rejected: 3,"), "{text}");
    assert!(text.contains("line 5: 3 fields, the header has 14"), "{text}");
    let broken = run.file("broken-metadata-sem-linhas-validas.txt");
    assert_eq!(broken["error_type"], "sat_metadata_no_valid_rows", "{broken}");
    assert_eq!(env.count("SELECT count(*) FROM cfdi_metadata"), 3);
    assert_eq!(
        env.rows(&format!("SELECT cancelado, fecha_cancelacion FROM cfdi WHERE uuid = '{CANCELLED}'")),
        [[s("1"), s("2026-10-20 08:15:00")]]
    );
    // CR LF lines: the bare LF inside a name is dropped; the third party's columns read.
    let row = metadata(&env, "AAAAAAAA-1111-4222-8333-444444444444",
        "nombre_receptor, rfc_a_cuenta_terceros, nombre_a_cuenta_terceros, estatus, cancelado, line");
    assert_eq!(row, [s("MINDS CORP & ASOCIADOS"), s("XAXX010101000"), s("TERCERO EJEMPLO"), s("1"), None, s("3")]);

    // The README's query: metadata with no CFDI behind it, in force (still to download).
    let missing = env.column(
        "SELECT m.uuid FROM cfdi_metadata m LEFT JOIN cfdi c ON c.uuid = m.uuid
         WHERE c.uuid IS NULL AND m.estatus = 1 ORDER BY m.fecha_emision",
    );
    assert_eq!(missing, ["AAAAAAAA-1111-4222-8333-444444444444", "DDDDDDDD-1111-4222-8333-444444444444"]);

    // A later file cancels what an earlier one listed in force: status and date updated.
    let later = env.path("later.txt");
    let text = fs::read_to_string(fixture("sat/metadata-recibidos-2026-10.txt")).unwrap();
    let header = text.split("\r\n").next().unwrap();
    fs::write(&later, format!(
        "{header}\r\nAAAAAAAA-1111-4222-8333-444444444444~EKU9003173C9~ESCUELA KEMPER URGATE~MCI7306249Y1~MINDS CORP & ASOCIADOS~SPR190613I52~2026-10-15 09:00:00~2026-10-15 09:01:00~1160.00~I~0~2026-10-25 10:00:00~XAXX010101000~TERCERO EJEMPLO\r\n"
    )).unwrap();
    let run = env.run(&[later.to_str().unwrap()]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.file("later.txt")["conflict"], "enriched", "{}", run.report());
    let row = metadata(&env, "AAAAAAAA-1111-4222-8333-444444444444", "estatus, fecha_cancelacion, cancelado");
    assert_eq!(row, [s("0"), s("2026-10-25 10:00:00"), s("1")]);

    // The other order, the metadata inside a ZIP: the CFDI imported after it is cancelled.
    let env = Env::on(db);
    let zip = zip_of(&env, "descarga.zip", &[
        ("45C5C344-DA01-497A-9271-5AA3852EE6AE_01.txt", "sat/metadata-recibidos-2026-10.txt"),
    ]);
    let run = env.run(&[&zip]);
    assert_eq!(run.code(), 1, "rejected lines need a look: {}", run.stderr());
    assert_eq!(run.file("_01.txt")["kind"], "sat_metadata");
    assert_eq!(run.file("_01.txt")["rows_rejected"], 3);
    let run = env.run(&[&fixture("cfdi/cfdi40-ingreso.xml"), &fixture("cfdi/cfdi33-ingreso.xml")]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(
        env.rows("SELECT uuid, cancelado, fecha_cancelacion FROM cfdi ORDER BY uuid"),
        [
            [s("9B1F0C7E-3A52-4D8E-9F10-2C4B6A8D0E11"), s("1"), s("2026-10-20 08:15:00")],
            [s("C0FFEE00-1234-4ABC-8DEF-0123456789AB"), None, None],
        ]
    );
    // `export --cancelled` hands back the cancelled CFDI's original; `--not-cancelled` the other.
    for (flag, uuid, file) in [
        ("--cancelled", "9B1F0C7E-3A52-4D8E-9F10-2C4B6A8D0E11", "cfdi/cfdi40-ingreso.xml"),
        ("--not-cancelled", "C0FFEE00-1234-4ABC-8DEF-0123456789AB", "cfdi/cfdi33-ingreso.xml"),
    ] {
        let zip = env.path("chosen.zip");
        let out = env.on_db(&["export", "--kind", "cfdi", flag, "-o", zip.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let mut archive = zip::ZipArchive::new(fs::File::open(&zip).unwrap()).unwrap();
        let names: Vec<String> = archive.file_names().map(str::to_owned).collect();
        assert_eq!(names.len(), 2, "{flag}: {names:?}");
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut archive.by_name(&format!("{uuid}.xml")).unwrap(), &mut bytes)
            .unwrap();
        assert_eq!(bytes, fs::read(fixture(file)).unwrap(), "{flag}");
    }
}
}

db_test! {
fn resuming_a_changed_metadata_file_replaces_its_rejected_lines(db) {
    let env = Env::on(db);
    let dir = env.path("in");
    fs::create_dir_all(&dir).unwrap();
    let text = fs::read_to_string(fixture("sat/metadata-recibidos-2026-10.txt")).unwrap();
    fs::write(dir.join("m.txt"), &text).unwrap();
    let run = env.run(&["in"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert_eq!(run.file("m.txt")["rows_rejected"], 3);
    assert_eq!(env.count("SELECT count(*) FROM rejected_rows"), 3);

    // Two of the bad lines removed (another size: resume redoes the file); the bad amount is
    // line 4 now.
    let lines: Vec<&str> = text.split("\r\n").collect();
    let fixed: Vec<&str> = [&lines[..3], &lines[5..]].concat();
    fs::write(dir.join("m.txt"), fixed.join("\r\n")).unwrap();
    let out = env.on_db(&["resume", "1", "-q"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(env.count("SELECT count(*) FROM files WHERE origin = 'in/m.txt'"), 1, "its row replaced");
    assert_eq!(
        env.rows("SELECT r.line, r.error_type FROM rejected_rows r JOIN files f ON f.id = r.file_id"),
        [[s("4"), s("sat_metadata_invalid_field")]],
        "the replaced row's rejected lines are gone"
    );
    assert_eq!(
        env.rows("SELECT rows, rows_rejected FROM files WHERE origin = 'in/m.txt'"),
        [[s("3"), s("1")]]
    );
    assert_eq!(env.count("SELECT rows_rejected FROM batches WHERE id = 1"), 1);
    assert_eq!(env.count("SELECT count(*) FROM cfdi_metadata"), 3);
}
}
