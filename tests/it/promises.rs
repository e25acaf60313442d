//! Documented behaviours that had no test of their own: cancellations by substitution and
//! SEFAZ's other homologation codes, `--on-conflict replace` replacing every child table of
//! NF-e, CFDI and Retenciones, and a parser's panic recorded as the file's `internal_error`. They guard the refactors of the pipeline and the sinks.

use crate::helpers::{Env, db_test, fixture};
use crate::reliability::assert_same;
use crate::testdata;

/// A `procEventoNFe` of type `tp` for `chave`, answered with `c_stat`.
fn event(chave: &str, tp: &str, c_stat: u32) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<procEventoNFe versao=\"1.00\" xmlns=\"http://www.portalfiscal.inf.br/nfe\">\
         <evento versao=\"1.00\"><infEvento Id=\"ID{tp}{chave}01\"><cOrgao>35</cOrgao><tpAmb>2</tpAmb>\
         <CNPJ>12345678000195</CNPJ><chNFe>{chave}</chNFe><dhEvento>2026-10-06T09:00:00-03:00</dhEvento>\
         <tpEvento>{tp}</tpEvento><nSeqEvento>1</nSeqEvento><verEvento>1.00</verEvento>\
         <detEvento versao=\"1.00\"><descEvento>Cancelamento</descEvento><nProt>135260000000001</nProt>\
         <xJust>Emitida por engano, substituida</xJust></detEvento></infEvento></evento>\
         <retEvento versao=\"1.00\"><infEvento><tpAmb>2</tpAmb><cOrgao>35</cOrgao><cStat>{c_stat}</cStat>\
         <xMotivo>Evento</xMotivo><chNFe>{chave}</chNFe><tpEvento>{tp}</tpEvento><nSeqEvento>1</nSeqEvento>\
         <dhRegEvento>2026-10-06T09:00:05-03:00</dhRegEvento><nProt>135260000009001</nProt></infEvento>\
         </retEvento></procEventoNFe>\n"
    )
}

db_test! {
/// 110111 (cancellation) and 110112 (cancellation by substitution) cancel an NF-e when SEFAZ
/// homologated them: cStat 135, 136 (registered, not linked) or 155 (late); a rejected event
/// (573, a duplicate) cancels nothing.
fn homologated_cancellations_of_either_type_cancel(db) {
    let env = Env::on(db);
    let dir = env.path("lote");
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("110111", 135, "cancelada"),
        ("110111", 136, "cancelada"),
        ("110111", 155, "cancelada"),
        ("110112", 135, "cancelada"),
        ("110112", 155, "cancelada"),
        ("110111", 573, "autorizada"),
        ("110112", 573, "autorizada"),
    ];
    for (i, (tp, c_stat, _)) in cases.iter().enumerate() {
        let n = 900 + i as u32;
        std::fs::write(dir.join(format!("{i}-nfe.xml")), testdata::nfe(n, 1, "Venda")).unwrap();
        std::fs::write(
            dir.join(format!("{i}-evento.xml")),
            event(&testdata::key(n), tp, *c_stat),
        )
        .unwrap();
    }
    let run = env.run(&["lote"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    for (i, (tp, c_stat, situacao)) in cases.iter().enumerate() {
        let chave = testdata::key(900 + i as u32);
        assert_eq!(
            env.text(&format!("SELECT situacao FROM nfe WHERE chave = '{chave}'")).as_deref(),
            Some(*situacao),
            "event {tp} answered {c_stat}"
        );
    }
}
}

/// Every row of every table batchimp writes documents to, as text, sorted: what a database
/// holds apart from its ledger.
fn documents(env: &Env) -> Vec<String> {
    let mut out = Vec::new();
    for table in batchimp::format::all_tables() {
        let mut rows: Vec<String> = env
            .rows(&format!("SELECT * FROM {}", table.name))
            .iter()
            .map(|r| format!("{}: {r:?}", table.name))
            .collect();
        rows.sort();
        out.append(&mut rows);
    }
    out
}

db_test! {
/// A resent document under `--on-conflict replace` leaves the database exactly as if only the
/// new copy had ever been imported: its row and every child row (items, payments, installments,
/// concepts, withholdings) replaced, none left over, none added.
fn on_conflict_replace_replaces_every_child_table(db) {
    let cases: [(&str, &[(&str, &str)]); 3] = [
        (
            "nfe/nfe-v4-full-alphanumeric-cnpj.xml",
            &[("<xProd>", "<xProd>REENVIO "), ("<dup>", "<dupX>"), ("</dup>", "</dupX>")],
        ),
        (
            "cfdi/cfdi40-ingreso.xml",
            &[("Descripcion=\"Instalación y configuración\"", "Descripcion=\"Reenvío\"")],
        ),
        (
            "retenciones/retenciones20-plataforma.xml",
            &[("MontoRet=\"388.50\"", "MontoRet=\"1.00\"")],
        ),
    ];
    for (original, edits) in cases {
        let first = std::fs::read_to_string(fixture(original)).unwrap();
        let mut resent = first.clone();
        for (from, to) in edits {
            assert!(resent.contains(from), "{original}: {from}");
            resent = resent.replacen(from, to, 1);
        }
        // The database that saw both copies, and one that saw only the second.
        let both = Env::on(db);
        let path = both.path("in/doc.xml");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &first).unwrap();
        assert_eq!(both.run(&["in"]).code(), 0, "{original}");
        std::fs::write(&path, &resent).unwrap();
        let run = both.run(&["in", "--on-conflict", "replace"]);
        assert_eq!(run.file("in/doc.xml")["conflict"], "replaced", "{original}");
        let only = Env::on(db);
        let path = only.path("in/doc.xml");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &resent).unwrap();
        assert_eq!(only.run(&["in"]).code(), 0, "{original}");
        assert_same(&documents(&only), &documents(&both), original);
    }
}
}

/// A parser that panics (a batchimp bug) fails that file with `internal_error`, and the batch
/// goes on. The panic is provoked by a switch compiled into debug builds only.
#[test]
fn a_parser_panic_is_the_files_internal_error() {
    let env = Env::new();
    let dir = env.path("in");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..3 {
        std::fs::write(dir.join(format!("{i}.xml")), testdata::nfe(i, 1, "Venda")).unwrap();
    }
    let out = env
        .cmd()
        .args(["run", "in", "--report", "report.json"])
        .args(env.db_args())
        .env(batchimp::pipeline::PANIC_SWITCH, "in/1.xml")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.path("report.json")).unwrap()).unwrap();
    assert_eq!(report["totals"]["by_status"]["imported"], 2, "{report}");
    let failed = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "in/1.xml")
        .unwrap();
    assert_eq!(failed["error_type"], "internal_error", "{failed}");
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("parser panicked"),
        "{failed}"
    );
    assert_eq!(env.count("SELECT count(*) FROM nfe"), 2);
}
