//! The archive of originals (issue 30): every document file imported comes back from
//! `batchimp get` byte for byte, from SQLite and PostgreSQL alike; `--no-archive` keeps none.

use crate::helpers::{Env, db_test, fixture, fixtures};
use std::collections::BTreeSet;

/// Import `dirs`, then `get` every NF-e, CFDI and Retenciones file imported (or met as a
/// duplicate) by its SHA-256 and compare it with the file on disk; the number checked.
fn every_original_comes_back(env: &Env, dirs: &[String]) -> usize {
    // Corpus samples whose authors edited their keys are documents all the same.
    let mut args = vec!["--allow-invalid-keys"];
    args.extend(dirs.iter().map(String::as_str));
    let run = env.run(&args);
    let out = env.path("out.bin");
    let out_arg = out.display().to_string();
    let mut shas = BTreeSet::new();
    for f in run.report()["files"].as_array().expect("files") {
        let kind = f["kind"].as_str().unwrap_or("");
        let status = f["status"].as_str().unwrap();
        // The kinds `--archive xml`, the default, keeps.
        if !batchimp::format::XML_KINDS.contains(&kind)
            || !["imported", "duplicate"].contains(&status)
        {
            continue;
        }
        let sha = f["sha256"].as_str().unwrap();
        let path = f["path"].as_str().unwrap();
        let got = env.on_db(&["get", sha, "-o", &out_arg]);
        assert!(
            got.status.success(),
            "get {path}: {}",
            String::from_utf8_lossy(&got.stderr)
        );
        let original = std::fs::read(path).unwrap();
        assert!(std::fs::read(&out).unwrap() == original, "{path} differs");
        shas.insert(sha.to_owned());
    }
    // One original per distinct file: a copy of the same bytes adds nothing.
    assert_eq!(
        env.count("SELECT count(*) FROM originals"),
        shas.len() as i64
    );
    shas.len()
}

db_test! {
    /// Every corpus NF-e, event and CFDI (and the project's Retenciones) comes back
    /// byte-identical.
    fn corpus_originals_come_back_byte_identical(db) {
        let Some(corpus) = crate::corpus::corpus() else {
            return;
        };
        let env = Env::on(db);
        let mut dirs: Vec<String> = ["nfe", "nfe-events", "cfdi33", "cfdi40", "cfdi-nomina", "cfdi-pagos"]
            .iter()
            .map(|d| corpus.join(d))
            .filter(|p| p.is_dir())
            .map(|p| p.display().to_string())
            .collect();
        dirs.push(fixture("retenciones"));
        let checked = every_original_comes_back(&env, &dirs);
        assert!(checked >= 50, "{checked} originals checked");
        // Their issuers' certificates, in signatures and in CFDI's `Certificado`, were stored
        // apart, and all came back.
        for kind in ["nfe", "cfdi"] {
            let shared = format!(
                "SELECT count(*) FROM originals WHERE kind = '{kind}' AND codec = 'zstd-shared'"
            );
            assert!(env.count(&shared) >= 5, "{kind}");
        }
    }
}

db_test! {
    /// The project's own documents (NF-e, events, CFDI, Retenciones, CT-e, MDF-e, and the
    /// public freight samples) come back too.
    fn fixture_originals_come_back_byte_identical(db) {
        let env = Env::on(db);
        let dirs: Vec<String> = ["nfe", "eventos", "cfdi", "retenciones", "cte", "mdfe", "nfse", "public"]
            .iter()
            .map(|d| fixtures().join(d).display().to_string())
            .collect();
        assert!(every_original_comes_back(&env, &dirs) >= 10);
    }
}

db_test! {
    /// `get KEY` writes the one original of a key; a key resent with other bytes lists both
    /// (exit 2) and is got by either SHA-256; importing the same files again stores nothing.
    fn get_by_key_and_a_resend_listed(db) {
        let env = Env::on(db);
        let (nfe, cfdi, resent) = (
            fixture("nfe/nfce-model65.xml"),
            fixture("cfdi/cfdi40-ingreso.xml"),
            fixture("cfdi/cfdi40-ingreso_resent.xml"),
        );
        let run = env.run(&[&nfe, &cfdi, &resent]);
        assert_eq!(run.code(), 0, "{}", run.stderr());
        assert_eq!(run.file("cfdi40-ingreso_resent.xml")["status"], "duplicate");

        let key = run.file("nfce-model65.xml")["key"].as_str().unwrap().to_owned();
        let out = env.path("nfe.xml");
        let got = env.on_db(&["get", &key, "-o", &out.display().to_string()]);
        assert!(got.status.success(), "{}", String::from_utf8_lossy(&got.stderr));
        assert!(std::fs::read(&out).unwrap() == std::fs::read(&nfe).unwrap());

        let uuid = run.file("cfdi40-ingreso.xml")["key"].as_str().unwrap().to_owned();
        let listed = env.on_db(&["get", &uuid]);
        assert_eq!(listed.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&listed.stderr);
        for f in ["cfdi40-ingreso.xml", "cfdi40-ingreso_resent.xml"] {
            let sha = run.file(f)["sha256"].as_str().unwrap();
            assert!(stderr.contains(sha), "{sha} listed: {stderr}");
            let got = env.on_db(&["get", sha]);
            assert!(got.status.success());
            assert!(got.stdout == std::fs::read(fixture(&format!("cfdi/{f}"))).unwrap());
        }

        assert_eq!(env.count("SELECT count(*) FROM originals"), 3);
        assert_eq!(env.run(&[&nfe, &cfdi]).code(), 0);
        assert_eq!(env.count("SELECT count(*) FROM originals"), 3);
    }
}

db_test! {
    /// A batch run with `--no-archive` keeps no original, and `get` says why in one line.
    fn no_archive_keeps_none_and_get_says_so(db) {
        let env = Env::on(db);
        let nfe = fixture("nfe/nfce-model65.xml");
        let run = env.run(&["--no-archive", &nfe]);
        assert_eq!(run.code(), 0, "{}", run.stderr());
        assert_eq!(env.count("SELECT count(*) FROM originals"), 0);
        let key = run.file("nfce-model65.xml")["key"].as_str().unwrap().to_owned();
        let got = env.on_db(&["get", &key]);
        assert_eq!(got.status.code(), Some(2));
        assert!(got.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&got.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("--no-archive"), "{stderr}");
        let unknown = env.on_db(&["get", "35000000000000000000000000000000000000000000"]);
        assert_eq!(unknown.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&unknown.stderr).contains("no document"));
    }
}

/// `export -o party.zip` with `args`, which must succeed; the ZIP's entries, by name.
fn exported(env: &Env, args: &[&str]) -> std::collections::BTreeMap<String, Vec<u8>> {
    let zip = env.path("party.zip");
    let zip_arg = zip.display().to_string();
    let mut all = vec!["export", "-o", &zip_arg];
    all.extend(args);
    let out = env.on_db(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    zip_entries(&zip)
}

/// The entries of a ZIP, by name.
fn zip_entries(path: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut entry = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            (entry.name().to_owned(), bytes)
        })
        .collect()
}

db_test! {
    /// `export` of a filtered set holds exactly its originals, named by key (a resend by key
    /// and SHA-256), byte for byte, with a manifest; `--batch` and `--kind` choose.
    fn export_holds_exactly_the_chosen_originals(db) {
        let env = Env::on(db);
        let (cfdi, resent, nfe) = (
            fixture("cfdi/cfdi40-ingreso.xml"),
            fixture("cfdi/cfdi40-ingreso_resent.xml"),
            fixture("nfe/nfce-model65.xml"),
        );
        let first = env.run(&[&cfdi, &resent, &fixture("retenciones")]);
        assert_eq!(first.code(), 1, "{}", first.stderr());
        let second = env.run(&[&nfe]);
        assert_eq!(second.code(), 0, "{}", second.stderr());
        let uuid = first.file("cfdi40-ingreso.xml")["key"].as_str().unwrap().to_owned();
        let resent_sha = first.file("cfdi40-ingreso_resent.xml")["sha256"].as_str().unwrap().to_owned();

        let zip = env.path("cfdi.zip");
        let out = env.on_db(&["export", "--kind", "cfdi", "-o", &zip.display().to_string()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let entries = zip_entries(&zip);
        let names: Vec<&str> = entries.keys().map(String::as_str).collect();
        let resent_name = format!("{uuid}-{}.xml", &resent_sha[..12]);
        let mut expected = vec![format!("{uuid}.xml"), resent_name.clone(), "manifest.csv".into()];
        expected.sort();
        assert_eq!(names, expected);
        assert!(entries[&format!("{uuid}.xml")] == std::fs::read(&cfdi).unwrap());
        assert!(entries[&resent_name] == std::fs::read(&resent).unwrap());
        let manifest = String::from_utf8(entries["manifest.csv"].clone()).unwrap();
        assert_eq!(manifest.lines().count(), 3, "{manifest}");
        assert!(manifest.contains(&resent_sha), "{manifest}");

        // The second batch: its NF-e alone.
        let batch = env.text("SELECT CAST(max(id) AS TEXT) FROM batches").unwrap();
        let zip = env.path("batch.zip");
        let out = env.on_db(&["export", "--batch", &batch, "-o", &zip.display().to_string()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let entries = zip_entries(&zip);
        let key = second.file("nfce-model65.xml")["key"].as_str().unwrap();
        assert_eq!(entries.len(), 2, "{:?}", entries.keys());
        assert!(entries[&format!("{key}.xml")] == std::fs::read(&nfe).unwrap());

        // By issuer or receiver, resends included: the CFDI's RFCs, the NF-e's CNPJ.
        let names = |args: &[&str]| {
            let zip = env.path("party.zip");
            let mut all = vec!["export", "-o"];
            let zip_arg = zip.display().to_string();
            all.push(&zip_arg);
            all.extend(args);
            let out = env.on_db(&all);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            zip_entries(&zip).into_keys().collect::<Vec<_>>()
        };
        let cfdi_names = expected.clone();
        assert_eq!(names(&["--issuer", "EKU9003173C9"]), cfdi_names);
        assert_eq!(names(&["--receiver", "MCI7306249Y1"]), cfdi_names);
        let nfe_names = vec![format!("{key}.xml"), "manifest.csv".to_owned()];
        assert_eq!(names(&["--issuer", "12345678000195"]), nfe_names);
        assert_eq!(names(&["--issuer", "12345678000195", "--kind", "cfdi"]), vec!["manifest.csv"]);

        // Everything: the 2 CFDI, the Retenciones imported and the NF-e.
        let zip = env.path("all.zip");
        let out = env.on_db(&["export", "-o", &zip.display().to_string()]);
        assert!(out.status.success());
        let stored = env.count("SELECT count(*) FROM originals");
        assert_eq!(zip_entries(&zip).len() as i64, stored + 1);
    }
}

db_test! {
    /// `--cancelled` exports a cancelled NF-e with its cancellation event; `--not-cancelled`
    /// everything else; the two together are refused.
    fn export_chooses_cancelled_documents_or_the_others(db) {
        let env = Env::on(db);
        let (nfe, event, other) = (
            fixture("nfe/nfe-v4-cancelled-by-event.xml"),
            fixture("eventos/cancelamento-antes-da-nfe.xml"),
            fixture("nfe/nfce-model65.xml"),
        );
        let run = env.run(&[&event, &nfe, &other]);
        assert_eq!(run.code(), 0, "{}", run.stderr());
        let key = "35261012345678000195550010000010091100900904";
        assert_eq!(
            env.text(&format!("SELECT situacao FROM nfe WHERE chave = '{key}'")).as_deref(),
            Some("cancelada")
        );
        let export = |args: &[&str]| {
            let zip = env.path("chosen.zip");
            let zip_arg = zip.display().to_string();
            let mut all = vec!["export", "-o", zip_arg.as_str()];
            all.extend(args);
            let out = env.on_db(&all);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            zip_entries(&zip)
        };
        let cancelled = export(&["--cancelled"]);
        assert_eq!(cancelled.len(), 3, "{:?}", cancelled.keys());
        let mut bytes: Vec<&Vec<u8>> = cancelled
            .iter()
            .filter(|(name, _)| *name != "manifest.csv")
            .map(|(_, b)| b)
            .collect();
        bytes.sort();
        let mut want = [std::fs::read(&nfe).unwrap(), std::fs::read(&event).unwrap()];
        want.sort();
        assert_eq!(bytes, want.iter().collect::<Vec<_>>());

        let others = export(&["--not-cancelled"]);
        let other_key = run.file("nfce-model65.xml")["key"].as_str().unwrap().to_owned();
        let names: Vec<&str> = others.keys().map(String::as_str).collect();
        assert_eq!(names, [format!("{other_key}.xml").as_str(), "manifest.csv"]);
        assert!(others[&format!("{other_key}.xml")] == std::fs::read(&other).unwrap());

        let both = env.on_db(&["export", "-o", "x.zip", "--cancelled", "--not-cancelled"]);
        assert_eq!(both.status.code(), Some(2));
    }
}

/// `no_archive = true` in batchimp.toml turns the archive off like the flag; `--archive all`
/// keeps a PDF, which the default leaves out.
#[test]
fn the_config_key_turns_it_off_and_all_keeps_pdfs() {
    let env = Env::new();
    let nfe = fixture("nfe/nfce-model65.xml");
    std::fs::write(env.path("batchimp.toml"), "[run]\nno_archive = true\n").unwrap();
    assert_eq!(env.run(&[&nfe]).code(), 0);
    assert_eq!(env.count("SELECT count(*) FROM originals"), 0);
    std::fs::remove_file(env.path("batchimp.toml")).unwrap();

    let pdf = fixtures().join("pdf");
    let pdf = pdf.display().to_string();
    env.run(&[&pdf]);
    let pdfs = "SELECT count(*) FROM originals WHERE kind IN ('pdf', 'image')";
    assert_eq!(env.count(pdfs), 0);
    let run = env.run(&["--archive", "all", &pdf]);
    let imported = run.report()["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["kind"] == "pdf" && ["imported", "duplicate"].contains(&f["status"].as_str().unwrap())
        })
        .count();
    assert!(imported > 0);
    assert_eq!(env.count(pdfs), imported as i64);
}

/// Every row of the document tables a reparse rewrites, sorted within each table, for
/// comparing a database with itself before and after.
fn documents(env: &Env) -> Vec<Vec<Option<String>>> {
    let mut all = Vec::new();
    for table in [
        "nfe",
        "nfe_item",
        "nfe_evento",
        "cfdi",
        "cfdi_concepto",
        "retencion",
    ] {
        let mut rows = env.rows(&format!("SELECT * FROM {table}"));
        rows.sort();
        all.push(vec![Some(table.to_owned())]);
        all.extend(rows);
    }
    all
}

/// The project's documents (NF-e, events, CFDI with a resend, Retenciones) imported into `env`.
fn import_documents(env: &Env) -> crate::helpers::Run {
    let dirs: Vec<String> = ["nfe", "eventos", "cfdi", "retenciones"]
        .iter()
        .map(|d| fixtures().join(d).display().to_string())
        .collect();
    let args: Vec<&str> = dirs.iter().map(String::as_str).collect();
    let run = env.run(&args);
    assert!(run.report.is_some(), "{}", run.stderr());
    run
}

/// `batchimp reparse ARGS...` on `env`'s database, its report at `reparse.json`.
fn reparse(env: &Env, args: &[&str]) -> (std::process::Output, Option<serde_json::Value>) {
    let report = env.path("reparse.json");
    let _ = std::fs::remove_file(&report);
    let mut all = vec!["reparse", "-q", "--report", report.to_str().unwrap()];
    all.extend(args);
    let out = env.on_db(&all);
    let report = std::fs::read_to_string(&report)
        .ok()
        .map(|s| serde_json::from_str(&s).expect("report is JSON"));
    (out, report)
}

db_test! {
    /// Columns cleared and child rows deleted in the database come back from the archived
    /// originals, without the source files; the reparse is a batch of its own whose files are
    /// named `archive:<sha256>`; a second reparse changes nothing.
    fn reparse_restores_cleared_columns_and_twice_changes_nothing(db) {
        let env = Env::on(db);
        import_documents(&env);
        let before = documents(&env);
        let originals = env.count("SELECT count(*) FROM originals");
        assert!(originals >= 10, "{originals} originals");
        env.rows("UPDATE nfe SET emit_nome = NULL, v_nf = NULL");
        env.rows("UPDATE cfdi SET receptor_nombre = NULL");
        env.rows("UPDATE retencion SET path = NULL");
        env.rows("DELETE FROM nfe_item WHERE n_item = 1");
        assert_ne!(documents(&env), before);

        let (out, report) = reparse(&env, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert_eq!(documents(&env), before, "every document as first imported");
        let report = report.expect("a report");
        assert_eq!(report["inputs"], serde_json::json!(["archive:"]));
        let files = report["files"].as_array().unwrap();
        assert_eq!(files.len() as i64, originals);
        for f in files {
            let path = f["path"].as_str().unwrap();
            assert_eq!(path, format!("archive:{}", f["sha256"].as_str().unwrap()));
            assert!(["imported", "duplicate"].contains(&f["status"].as_str().unwrap()), "{f}");
        }
        // The resend of a CFDI stays a duplicate: the stored copy is the first file's.
        assert!(files.iter().any(|f| f["status"] == "duplicate"));

        let batches = env.count("SELECT count(*) FROM batches");
        let (again, _) = reparse(&env, &[]);
        assert_eq!(again.status.code(), Some(0), "{}", String::from_utf8_lossy(&again.stderr));
        assert_eq!(documents(&env), before, "a second reparse changes nothing");
        assert_eq!(env.count("SELECT count(*) FROM batches"), batches + 1);
        assert_eq!(env.count("SELECT count(*) FROM originals"), originals);
    }
}

db_test! {
    /// `--kind` reparses only that kind's originals.
    fn reparse_kind_touches_only_that_kind(db) {
        let env = Env::on(db);
        import_documents(&env);
        let cfdi_names = env.column("SELECT receptor_nombre FROM cfdi ORDER BY uuid");
        env.rows("UPDATE nfe SET emit_nome = NULL");
        env.rows("UPDATE cfdi SET receptor_nombre = NULL");
        let (out, report) = reparse(&env, &["--kind", "cfdi"]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(report.unwrap()["inputs"], serde_json::json!(["archive:cfdi"]));
        assert_eq!(env.column("SELECT receptor_nombre FROM cfdi ORDER BY uuid"), cfdi_names);
        assert_eq!(env.count("SELECT count(*) FROM nfe WHERE emit_nome IS NOT NULL"), 0);
    }
}

db_test! {
    /// A reparse cut short is finished by `resume` like any batch: the originals its ledger
    /// holds are skipped, the others read again.
    fn reparse_is_resumed_like_any_batch(db) {
        let env = Env::on(db);
        import_documents(&env);
        let before = documents(&env);
        let (out, _) = reparse(&env, &[]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let batch = env.count("SELECT max(id) FROM batches");
        // As if the run had stopped before recording the NF-e: their ledger rows gone, the
        // batch cancelled, their columns cleared since.
        env.rows(&format!(
            "DELETE FROM files WHERE batch_id = {batch} AND kind = 'nfe'"
        ));
        env.rows(&format!("UPDATE batches SET status = 'cancelled' WHERE id = {batch}"));
        let nfe_files = env.count("SELECT count(*) FROM originals WHERE kind = 'nfe'");
        env.rows("UPDATE nfe SET emit_nome = NULL");
        env.rows("UPDATE cfdi SET receptor_nombre = NULL");
        let batch = batch.to_string();
        let resumed = env.on_db(&["resume", &batch, "-q", "--no-report"]);
        assert_eq!(resumed.status.code(), Some(0), "{}", String::from_utf8_lossy(&resumed.stderr));
        // The NF-e were read again; the CFDI, recorded already, were not.
        assert_eq!(env.count("SELECT count(*) FROM nfe WHERE emit_nome IS NULL"), 0);
        assert_eq!(env.count("SELECT count(*) FROM cfdi WHERE receptor_nombre IS NOT NULL"), 0);
        assert_eq!(
            env.count(&format!("SELECT count(*) FROM files WHERE batch_id = {batch} AND kind = 'nfe'")),
            nfe_files
        );
        assert_eq!(env.text(&format!("SELECT status FROM batches WHERE id = {batch}")).as_deref(), Some("completed"));
        assert_ne!(documents(&env), before);
    }
}

db_test! {
    /// A database imported with `--no-archive` has nothing to read again: `reparse` refuses in
    /// one line saying how many files lack their original, and changes nothing.
    fn reparse_refuses_without_originals(db) {
        let env = Env::on(db);
        let nfe = fixture("nfe/nfce-model65.xml");
        let cfdi = fixture("cfdi/cfdi40-ingreso.xml");
        assert_eq!(env.run(&[&cfdi]).code(), 0);
        assert_eq!(env.run(&["--no-archive", &nfe]).code(), 0);
        let before = documents(&env);
        let (out, report) = reparse(&env, &[]);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("1 of 2"), "{stderr}");
        assert!(stderr.contains("--no-archive"), "{stderr}");
        assert!(report.is_none());
        assert_eq!(env.count("SELECT count(*) FROM batches"), 2);
        assert_eq!(documents(&env), before);
        // The kind whose originals are all there can be read again.
        let (out, _) = reparse(&env, &["--kind", "cfdi"]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

db_test! {
    /// An original damaged in the database fails its own file with `original_unreadable`
    /// (exit 1); the others are read again.
    fn reparse_damaged_original_fails_alone(db) {
        let env = Env::on(db);
        import_documents(&env);
        let damaged = env.text("SELECT min(sha256) FROM originals WHERE kind = 'nfe'").unwrap();
        env.rows(&format!("UPDATE originals SET size = size + 1 WHERE sha256 = '{damaged}'"));
        env.rows("UPDATE cfdi SET receptor_nombre = NULL");
        let (out, report) = reparse(&env, &[]);
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        let report = report.unwrap();
        let failed: Vec<_> = report["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["status"] == "failed")
            .collect();
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert_eq!(failed[0]["error_type"], "original_unreadable");
        let error = failed[0]["error"].as_str().unwrap();
        assert!(error.starts_with(&format!("archive:{damaged}")), "{error}");
        assert!(error.contains("damaged"), "{error}");
        assert_eq!(env.count("SELECT count(*) FROM cfdi WHERE receptor_nombre IS NULL"), 0);
    }
}

db_test! {
    /// An NFS-e's original is kept and exported by its provider (issuer) and its taker
    /// (receiver), and by `--cancelled` with its cancellation event.
    fn nfse_originals_by_provider_and_taker(db) {
        let env = Env::on(db);
        let nfse = fixture("nfse/nfse-v1.01-retencoes.xml");
        let run = env.run(&[&nfse, &fixture("nfse/evento-cancelamento-nfse.xml")]);
        assert_eq!(run.code(), 0, "{}", run.stderr());
        let key = run.file("nfse-v1.01-retencoes.xml")["key"].as_str().unwrap().to_owned();
        let names = |args: &[&str]| exported(&env, args);
        for args in [
            &["--issuer", "12345678000195"][..],
            &["--receiver", "49929194000284", "--kind", "nfse"][..],
        ] {
            let entries = names(args);
            assert!(entries[&format!("{key}.xml")] == std::fs::read(&nfse).unwrap(), "{args:?}");
        }
        assert_eq!(names(&["--receiver", "12345678000195"]).len(), 1, "the manifest alone");
        assert_eq!(env.count("SELECT count(*) FROM originals"), 2);
        // Cancelled by its event: `--cancelled` brings both, `--not-cancelled` neither.
        assert_eq!(names(&["--cancelled", "--kind", "nfse"]).len(), 3);
        assert_eq!(names(&["--not-cancelled", "--kind", "nfse"]).len(), 1);
    }
}

/// A SQLite database another batchimp version wrote (its schema version differs) is read by
/// `get`, `report` and `stats` as the next run would read it: brought up to date where it can
/// be written, its originals and ledger intact.
#[test]
fn another_version_s_database_is_read_after_its_upgrade() {
    let env = Env::new();
    let nfe = fixture("nfe/nfce-model65.xml");
    let run = env.run(&[&nfe]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let key = run.file("nfce-model65.xml")["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let batch = run.report()["batch_id"].as_i64().unwrap().to_string();
    let older = || {
        env.conn().pragma_update(None, "user_version", 1).unwrap();
    };

    older();
    let got = env.on_db(&["get", &key]);
    assert!(
        got.status.success(),
        "{}",
        String::from_utf8_lossy(&got.stderr)
    );
    assert!(got.stdout == std::fs::read(&nfe).unwrap());
    assert_ne!(env.count("PRAGMA user_version"), 1, "upgraded");

    older();
    let report = env.on_db(&["report", &batch, "--json"]);
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(report["totals"]["by_status"]["imported"], 1, "{report}");

    older();
    let stats = env.on_db(&["stats", "--json"]);
    assert!(
        stats.status.success(),
        "{}",
        String::from_utf8_lossy(&stats.stderr)
    );
}

db_test! {
    /// A municipal (ABRASF) NFS-e's original is kept and got by its key, and exported by its
    /// provider (CNPJ or CPF) and its taker, and by `--cancelled` with the file of its
    /// cancellation.
    fn nfse_abrasf_originals_by_key_provider_and_taker(db) {
        let env = Env::on(db);
        let list = fixture("nfse/abrasf-v2.02-lista-prefixo.xml");
        let cancel = fixture("nfse/abrasf-cancelar-resposta.xml");
        let bh = fixture("public/nfse-abrasf-v1.00-consultarlote-bh-nfse-java.xml");
        let run = env.run(&[&list, &cancel, &bh]);
        assert_eq!(run.code(), 0, "{}", run.stderr());
        assert_eq!(env.count("SELECT count(*) FROM originals WHERE kind = 'nfse_abrasf'"), 3);
        // By its key.
        let out = env.path("bh.xml");
        let got = env.on_db(&["get", "3106200-99999999000191-200900000000428", "-o", out.to_str().unwrap()]);
        assert!(got.status.success(), "{}", String::from_utf8_lossy(&got.stderr));
        assert!(std::fs::read(&out).unwrap() == std::fs::read(&bh).unwrap());

        let names = |args: &[&str]| exported(&env, args).into_keys().collect::<Vec<String>>();
        let list_entry = "4106902-11222333000181-1501+4106902-52998224725-77.xml";
        let cancel_entry = "4106902-11222333000181-1501-cancelamento.xml";
        for args in [
            &["--issuer", "11222333000181"][..],
            &["--receiver", "49929194000284", "--kind", "nfse_abrasf"][..],
            &["--cancelled", "--kind", "nfse_abrasf"][..],
        ] {
            assert_eq!(names(args), [list_entry, cancel_entry, "manifest.csv"], "{args:?}");
        }
        // The provider of NFS-e 77, by its CPF: the list, not the cancellation of 1501.
        assert_eq!(names(&["--issuer", "52998224725"]), [list_entry, "manifest.csv"]);
        assert_eq!(
            names(&["--not-cancelled", "--kind", "nfse_abrasf"]),
            ["3106200-99999999000191-200900000000428.xml", "manifest.csv"]
        );
    }
}

/// `xml` signed with `certificate`: an XML signature holding it, before the document's end.
fn signed(xml: &str, end: &str, certificate: &str) -> String {
    let signature = format!(
        "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignatureValue>c2lnbmVk\
         </SignatureValue><KeyInfo><X509Data><X509Certificate>{certificate}</X509Certificate>\
         </X509Data></KeyInfo></Signature>{end}"
    );
    assert!(xml.contains(end));
    xml.replacen(end, &signature, 1)
}

db_test! {
    /// An issuer's certificate, which each of its signed documents carries whole, is stored
    /// once for all of them; every original still comes back byte for byte (from `get`,
    /// `export` and `reparse`), `stats` counts the part's bytes, and a part gone is damage
    /// named in one line, never other bytes.
    fn an_issuer_s_certificate_is_stored_once(db) {
        let env = Env::on(db);
        let certificate: String = (0..1700u32)
            .map(|i| b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[(i * 7919 % 64) as usize] as char)
            .collect();
        let dir = env.path("signed");
        std::fs::create_dir_all(&dir).unwrap();
        let read = |f: &str| std::fs::read_to_string(fixture(f)).unwrap();
        let files = [
            ("a.xml", signed(&read("nfe/nfe-v4-authorized.xml"), "</NFe>", &certificate)),
            ("b.xml", signed(&read("nfe/nfce-model65.xml"), "</NFe>", &certificate)),
            // The same certificate wrapped in lines, as some signers write it: other bytes.
            ("c.xml", signed(&read("nfe/nfe-foreign-buyer.xml"), "</NFe>",
                &certificate.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("\n"))),
        ];
        for (name, xml) in &files {
            std::fs::write(dir.join(name), xml).unwrap();
        }
        let run = env.run(&[&dir.display().to_string()]);
        assert_eq!(run.code(), 0, "{}", run.stderr());
        assert_eq!(env.count("SELECT count(*) FROM originals WHERE codec = 'zstd-shared'"), 3);
        assert_eq!(env.count("SELECT count(*) FROM original_parts"), 2);
        // Each original is stored without it: smaller than the certificate alone.
        assert_eq!(env.count("SELECT count(*) FROM originals WHERE length(data) > 1000"), 0);

        let out = env.path("out.xml");
        for (name, xml) in &files {
            let sha = run.file(name)["sha256"].as_str().unwrap().to_owned();
            let got = env.on_db(&["get", &sha, "-o", &out.display().to_string()]);
            assert!(got.status.success(), "{}", String::from_utf8_lossy(&got.stderr));
            assert!(std::fs::read(&out).unwrap() == xml.as_bytes(), "{name} differs");
        }
        let zip = exported(&env, &[]);
        assert_eq!(zip.values().filter(|b| files.iter().any(|(_, x)| x.as_bytes() == b.as_slice())).count(), 3);

        let stats = env.on_db(&["stats", "--json"]);
        let stats: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
        let parts = env.count("SELECT sum(length(data)) FROM original_parts");
        let originals = env.count("SELECT sum(length(data)) FROM originals");
        assert_eq!(stats["archive"]["stored_bytes"].as_i64(), Some(parts + originals), "{stats}");

        env.rows("UPDATE nfe SET emit_nome = NULL");
        let (reparsed, _) = reparse(&env, &[]);
        assert!(reparsed.status.success(), "{}", String::from_utf8_lossy(&reparsed.stderr));
        assert_eq!(env.count("SELECT count(*) FROM nfe WHERE emit_nome IS NULL"), 0);

        env.rows("DELETE FROM original_parts");
        let sha = run.file("a.xml")["sha256"].as_str().unwrap().to_owned();
        let got = env.on_db(&["get", &sha]);
        assert_eq!(got.status.code(), Some(2));
        assert!(got.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&got.stderr);
        assert!(stderr.contains("damaged") && stderr.contains("not stored"), "{stderr}");
    }
}
