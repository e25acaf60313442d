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
        if !["nfe", "cfdi", "retenciones"].contains(&kind)
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
    }
}

db_test! {
    /// The project's own documents (NF-e, events, CFDI, Retenciones) come back too.
    fn fixture_originals_come_back_byte_identical(db) {
        let env = Env::on(db);
        let dirs: Vec<String> = ["nfe", "eventos", "cfdi", "retenciones"]
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
