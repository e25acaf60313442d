//! Values too long for what they are (a key, a UUID, a SKU, a ZIP member's name): each is its
//! file's (or catalog row's) `value_too_long`, decided before the database sees it, so that
//! PostgreSQL's btree limit (2704 bytes an index row) never stops a batch. And a PostgreSQL
//! database that cannot hold UTF-8 is refused when the run starts.

use crate::helpers::{Env, db_test, fixture};
use crate::pgserver::{PgServer, ROLE};
use std::io::Write;

/// 6,000 letters starting with `c`, more than twice PostgreSQL's index row limit: random, so
/// that the server cannot compress them below it (6,000 times the same letter it can).
fn long(c: char) -> String {
    let mut x: u32 = c as u32;
    std::iter::once(c)
        .chain((1..6000).map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            char::from(b'a' + ((x >> 16) % 26) as u8)
        }))
        .collect()
}

/// A folder with good files around the three hostile inputs of issue 26.
fn hostile_batch(env: &Env) -> std::path::PathBuf {
    let dir = env.path("entrada");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(
        fixture("cfdi/cfdi40-ingreso.xml"),
        dir.join("a-good-cfdi.xml"),
    )
    .unwrap();
    std::fs::copy(
        fixture("nfe/nfe-v4-authorized.xml"),
        dir.join("b-good-nfe.xml"),
    )
    .unwrap();
    // A stamped CFDI of its own UUID whose related CFDI's UUID is 6,000 characters.
    let cfdi = std::fs::read_to_string(fixture("cfdi/cfdi40-ingreso.xml"))
        .unwrap()
        .replace(
            "9b1f0c7e-3a52-4d8e-9f10-2c4b6a8d0e11",
            "11111111-2222-4333-8444-555555555555",
        )
        .replace("0e7d6c5b-4a39-4281-9f0e-d1c2b3a49586", &long('A'));
    std::fs::write(dir.join("c-hostile-cfdi.xml"), cfdi).unwrap();
    // A catalog with a SKU of 6,000 characters between two good rows.
    std::fs::write(
        dir.join("d-catalog.csv"),
        format!(
            "sku,name,price\nA-1,Good,10.00\n{},Bad,5.00\nA-2,Also good,3.00\n",
            long('S')
        ),
    )
    .unwrap();
    // A ZIP with a good member and one whose name is 6,000 characters.
    let mut zip = zip::ZipWriter::new(std::fs::File::create(dir.join("e-archive.zip")).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    zip.start_file("good/nomina.xml", opts).unwrap();
    zip.write_all(&std::fs::read(fixture("cfdi/cfdi40-pagos20.xml")).unwrap())
        .unwrap();
    zip.start_file(format!("{}.xml", long('m')), opts).unwrap();
    zip.write_all(&std::fs::read(fixture("cfdi/cfdi40-nomina12.xml")).unwrap())
        .unwrap();
    zip.finish().unwrap();
    std::fs::copy(
        fixture("cfdi/cfdi40-utf8-bom.xml"),
        dir.join("f-good-cfdi.xml"),
    )
    .unwrap();
    dir
}

db_test! {
fn values_too_long_for_an_index_fail_their_file_not_the_batch(db) {
    let env = Env::on(db);
    let dir = hostile_batch(&env);
    let run = env.run(&[dir.to_str().unwrap()]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let report = run.report();
    assert_eq!(report["totals"]["by_error_type"]["value_too_long"], 2, "{report}");

    let cfdi = run.file("c-hostile-cfdi.xml");
    assert_eq!(cfdi["status"], "failed");
    assert_eq!(cfdi["error_type"], "value_too_long");
    let error = cfdi["error"].as_str().unwrap();
    assert!(error.contains("c-hostile-cfdi.xml"), "{error}");
    assert!(error.contains("6000 bytes"), "{error}");
    assert!(error.len() < 500, "the value is not copied whole: {error}");

    // The member's origin is stored cut, saying so, and the member is never read.
    let files = report["files"].as_array().unwrap();
    let member: Vec<_> = files
        .iter()
        .filter(|f| f["path"].as_str().unwrap().contains("e-archive.zip!/m"))
        .collect();
    assert_eq!(member.len(), 1, "{files:?}");
    let member = member[0];
    assert_eq!(member["status"], "failed");
    assert_eq!(member["error_type"], "value_too_long");
    let path = member["path"].as_str().unwrap();
    assert!(path.len() <= 1000, "{} bytes", path.len());
    assert!(path.contains("cut"), "{path}");

    let catalog = run.file("d-catalog.csv");
    assert_eq!(catalog["status"], "imported");
    assert_eq!((catalog["rows"].as_u64(), catalog["rows_rejected"].as_u64()), (Some(2), Some(1)));
    assert_eq!(catalog["rejected_rows"][0]["line"], 3);
    assert_eq!(catalog["rejected_rows"][0]["error_type"], "value_too_long");

    // The good files are in; the hostile values are nowhere.
    for good in ["a-good-cfdi.xml", "b-good-nfe.xml", "f-good-cfdi.xml", "e-archive.zip!/good/nomina.xml"] {
        assert_eq!(run.file(good)["status"], "imported", "{good}");
    }
    assert_eq!(env.count("SELECT count(*) FROM product"), 2);
    assert_eq!(
        env.count("SELECT count(*) FROM cfdi WHERE upper(uuid) IN ('11111111-2222-4333-8444-555555555555', 'D00DFEED-0000-4000-8000-000000000012')"),
        0
    );
    assert_eq!(env.count("SELECT count(*) FROM cfdi_relacionado WHERE length(uuid_relacionado) > 1000"), 0);
    assert!(env.count("SELECT max(length(origin)) FROM files") <= 1000);

    // Neither resume nor retry is stuck: the retried files fail the same way, typed.
    let out = env.on_db(&["resume", "1", "-q"]);
    assert_ne!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let out = env.on_db(&["retry", "1", "-q", "--report", "retry.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let retried: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.path("retry.json")).unwrap()).unwrap();
    assert_eq!(retried["totals"]["by_error_type"]["value_too_long"], 2, "{retried}");
    assert_eq!(
        env.count("SELECT count(*) FROM files WHERE error_type = 'value_too_long'"),
        2,
        "retried files replace their rows"
    );
}
}

/// `CREATE DATABASE` with an encoding that cannot hold every UTF-8 character.
fn database_in(server: &PgServer, encoding: &str) -> String {
    let name = format!("enc_{}", encoding.to_lowercase());
    server
        .client("postgres")
        .batch_execute(&format!(
            "CREATE DATABASE {name} OWNER {ROLE} \
             ENCODING '{encoding}' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
        ))
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
    name
}

#[test]
fn a_postgres_database_that_cannot_hold_utf8_is_refused_at_the_start() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    for encoding in ["SQL_ASCII", "LATIN1"] {
        let db = database_in(server, encoding);
        let env = Env::new();
        let out = env
            .cmd()
            .args([
                "run",
                &fixture("cfdi/cfdi40-ingreso.xml"),
                "--db",
                &server.url(&db),
                "-q",
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{encoding}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.contains(encoding) && stderr.contains("UTF8"),
            "{stderr}"
        );
        // Refused before anything was made in it.
        let tables: i64 = server
            .client(&db)
            .query_one(
                "SELECT count(*) FROM pg_tables WHERE tablename = 'batches'",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(tables, 0, "{encoding}");
    }
}
