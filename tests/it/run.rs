//! `batchimp run` end to end on the project's fixtures.

use crate::docs::documented;
use crate::helpers::{Db, Env, db_test, fixture, fixtures};
use std::fs;

/// Every fixture and what must happen to it: path suffix, status, error_type.
const FIXTURE_OUTCOMES: &str = "
    catalog/catalogo-latin1.csv                       imported    -
    catalog/produtos-2026-10.csv                      imported    -
    catalog/precos-brasil.csv                         imported    -
    catalog/sem-linhas-validas.csv                    failed      catalog_no_valid_rows
    hostile/nao-e-planilha.xlsx                       unsupported -
    hostile/xlsx-bomb.xlsx                            failed      zip_bomb
    hostile/xlsx-huge-dimension.xlsx                  imported    -
    hostile/xlsx-lying-size.xlsx                      failed      zip_bomb
    hostile/xlsx-password.xlsx                        failed      xlsx_encrypted
    hostile/xlsx-shared-strings-count.xlsx            failed      xlsx_corrupt
    hostile/xlsx-truncated.xlsx                       failed      zip_corrupt
    spreadsheet/planilha-fornecedor.xlsx              imported    -
    catalog/tabela-ncm.csv                            unsupported -
    cfdi/broken-cfdi-amount-not-a-number.xml          failed      cfdi_invalid_field
    cfdi/broken-cfdi-bad-rfc.xml                      failed      cfdi_invalid_rfc
    cfdi/broken-cfdi-bad-uuid.xml                     failed      cfdi_invalid_uuid
    cfdi/broken-cfdi-not-stamped.xml                  failed      cfdi_not_stamped
    cfdi/broken-cfdi-version-2.2.xml                  failed      cfdi_unsupported_version
    cfdi/cfdi32-ingreso.xml                           imported    -
    cfdi/cfdi33-ingreso.xml                           imported    -
    cfdi/cfdi40-ingreso.xml                           imported    -
    cfdi/cfdi40-ingreso_resent.xml                    duplicate   -
    cfdi/cfdi40-nomina12.xml                          imported    -
    cfdi/cfdi40-pagos20.xml                           imported    -
    cfdi/cfdi40-two-stamps.xml                        imported    -
    cfdi/cfdi40-utf8-bom.xml                          imported    -
    cte/broken-cte-digito-verificador.xml             failed      cte_bad_check_digit
    cte/broken-cte-modelo-errado.xml                  failed      cte_invalid_key
    cte/broken-cte-sem-chave.xml                      failed      cte_missing_key
    cte/broken-cte-truncado.xml                       failed      xml_truncated
    cte/broken-cte-valor-invalido.xml                 failed      cte_invalid_field
    cte/broken-evento-cte-sem-chave.xml               failed      cte_missing_key
    cte/cte-v1.03-sem-protocolo.xml                   imported    -
    cte/cte-v4.00-cteProc.xml                         imported    -
    cte/cte-v4.00-sem-protocolo.xml                   imported    -
    cte/cteos-v4.00-cteOSProc.xml                     imported    -
    cte/evento-cancelamento-cte.xml                   imported    -
    mdfe/broken-evento-mdfe-sem-chave.xml             failed      mdfe_missing_key
    mdfe/broken-mdfe-digito-verificador.xml           failed      mdfe_bad_check_digit
    mdfe/broken-mdfe-modelo-errado.xml                failed      mdfe_invalid_key
    mdfe/broken-mdfe-sem-chave.xml                    failed      mdfe_missing_key
    mdfe/broken-mdfe-truncado.xml                     failed      xml_truncated
    mdfe/evento-cancelamento-mdfe.xml                 imported    -
    mdfe/evento-encerramento-mdfe.xml                 imported    -
    mdfe/mdfe-v3.00-mdfeProc.xml                      imported    -
    mdfe/mdfe-v3.00-sem-namespace.xml                 imported    -
    nfse/broken-evento-nfse-sem-chave.xml             failed      nfse_missing_key
    nfse/broken-nfse-chave-invalida.xml               failed      nfse_invalid_key
    nfse/broken-nfse-digito-verificador.xml           failed      nfse_bad_check_digit
    nfse/broken-nfse-sem-chave.xml                    failed      nfse_missing_key
    nfse/broken-nfse-truncado.xml                     failed      xml_truncated
    nfse/broken-nfse-valor-invalido.xml               failed      nfse_invalid_field
    nfse/evento-cancelamento-nfse.xml                 imported    -
    nfse/nfse-v1.01-retencoes.xml                     imported    -
    public/nfse-v1.00-prestador-cpf-nfse-php.xml      imported    -
    public/nfse-v1.01-autorizada-nfsen-php-sdk.xml    imported    -
    nfse/abrasf-cancelar-resposta.xml                 imported    -
    nfse/abrasf-v2.02-lista-prefixo.xml               imported    -
    nfse/broken-abrasf-cancelamento-sem-numero.xml    failed      nfse_abrasf_missing_key
    nfse/broken-abrasf-municipio-invalido.xml         failed      nfse_abrasf_invalid_key
    nfse/broken-abrasf-sem-numero.xml                 failed      nfse_abrasf_missing_key
    nfse/broken-abrasf-sem-prestador.xml              failed      nfse_abrasf_missing_key
    nfse/broken-abrasf-truncado.xml                   failed      xml_truncated
    nfse/broken-abrasf-valor-invalido.xml             failed      nfse_abrasf_invalid_field
    public/nfse-abrasf-v1-cancelada-acbr.xml          imported    -
    public/nfse-abrasf-v1.00-consultarlote-bh-nfse-java.xml imported -
    public/nfse-abrasf-v1.00-gerarnfse-poa-nfse-java.xml imported  -
    public/nfse-abrasf-v2.04-cancelada-acbr.xml       imported    -
    sat/broken-metadata-sem-linhas-validas.txt        failed      sat_metadata_no_valid_rows
    sat/metadata-recibidos-2026-10.txt                imported    -
    public/sat-metadata-sat-ws-descarga-masiva.txt    imported    -
    public/sat-metadata-terceros-sat-ws-descarga-masiva.zip!/FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF_01.txt imported    -
    public/sat-metadata-terceros-sat-ws-descarga-masiva.zip!/FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF_tercero.txt imported    -
    public/cte-evento-cce-sped-da.xml                 imported    -
    public/cte-v1.04-sped-cte.xml                     imported    -
    public/cte-v2.00-sped-cte.xml                     imported    -
    public/cte-v3.00-cteProc-sped-da.xml              imported    -
    public/cte-v3.00-sped-cte.xml                     imported    -
    public/cteos-v3.00-sped-da.xml                    imported    -
    public/mdfe-v1.00-sped-mdfe.xml                   imported    -
    public/mdfe-v3.00-sped-da.xml                     imported    -
    public/SOURCES.md                                 unsupported -
    eventos/broken-evento-digito-verificador.xml      failed      nfe_bad_check_digit
    eventos/broken-evento-sem-chave.xml               failed      nfe_missing_key
    eventos/cancelamento-antes-da-nfe.xml             imported    -
    eventos/cce-nfe-autorizada.xml                    imported    -
    eventos/evento-tipo-desconhecido.xml              imported    -
    eventos/inutilizacao.xml                          imported    -
    eventos/pedido-cancelamento-sem-retorno.xml       imported    -
    eventos/resumo-evento.xml                         imported    -
    eventos/resumo-nfe.xml                            imported    -
    eventos/retorno-lote-eventos.xml                  imported    -
    hostile/billion-laughs.xml                        failed      xml_doctype_rejected
    hostile/bomb-10gb.zip!/layer-0.zip!/zeros.xml     failed      zip_bomb
    hostile/bomb-10gb.zip!/layer-1.zip!/zeros.xml     failed      zip_bomb
    hostile/bomb-10gb.zip!/layer-2.zip!/zeros.xml     failed      zip_bomb
    hostile/bomb-10gb.zip!/layer-3.zip!/zeros.xml     failed      zip_bomb
    hostile/bomb-10gb.zip!/layer-4.zip!/zeros.xml     failed      zip_bomb
    hostile/bomb-10gb.zip!/layer-5.zip!/zeros.xml     failed      zip_bomb
    hostile/bomb-10gb.zip!/layer-6.zip!/zeros.xml     failed      zip_bomb
    hostile/bomb-10gb.zip!/layer-7.zip!/zeros.xml     failed      zip_bomb
    hostile/bomb-10gb.zip!/layer-8.zip!/zeros.xml     failed      zip_bomb
    hostile/bomb-10gb.zip!/layer-9.zip!/zeros.xml     failed      zip_bomb
    hostile/crc-mismatch.zip!/nota-danificada.xml     failed      zip_corrupt
    hostile/deep-nesting.xml                          failed      xml_too_deep
    hostile/encrypted.zip!/secreta.xml                failed      zip_encrypted
    hostile/lying-size.zip!/nota.xml                  failed      zip_bomb
    hostile/truncated.zip                             failed      zip_corrupt
    hostile/truncated.zip!/2026-10/35261012345678000195550010000020011200100108-nfe.xml imported    -
    hostile/truncated.zip!/2026-10/35261012345678000195550010000020021200200207-nfe.xml failed      zip_corrupt
    hostile/zip-slip.zip!/../../etc/cron.d/nota.xml   failed      zip_bad_name
    hostile/zip-slip.zip!//tmp/nota.xml               failed      zip_bad_name
    hostile/zip-slip.zip!/ok/35261012345678000195550010000020021200200207-nfe.xml imported    -
    nfe/broken-amount-not-a-number.xml                failed      nfe_invalid_field
    nfe/broken-bad-check-digit.xml                    failed      nfe_bad_check_digit
    nfe/broken-empty.xml                              failed      empty_file
    nfe/broken-invalid-utf8.xml                       failed      xml_encoding
    nfe/broken-key-not-44-digits.xml                  failed      nfe_invalid_key
    nfe/broken-malformed.xml                          failed      xml_malformed
    nfe/broken-missing-key.xml                        failed      nfe_missing_key
    malformed/cfdi-lt-in-attribute.xml                failed      xml_malformed
    malformed/nfe-attribute-without-value.xml         failed      xml_malformed
    malformed/nfe-char-reference-1.xml                failed      xml_malformed
    malformed/nfe-control-character.xml               failed      xml_malformed
    malformed/nfe-double-dash-in-comment.xml          failed      xml_malformed
    malformed/nfe-duplicate-attribute.xml             failed      xml_malformed
    malformed/nfe-text-after-root.xml                 failed      xml_malformed
    malformed/nfe-two-documents.xml                   failed      xml_malformed
    nfe/broken-truncated.xml                          failed      xml_truncated
    nfe/enviNFe-three-documents.xml                   imported    -
    nfe/nfce-model65.xml                              imported    -
    nfe/nfe-foreign-buyer.xml                         imported    -
    nfe/nfe-iso-8859-1.xml                            imported    -
    nfe/nfe-utf8-bom.xml                              imported    -
    nfe/nfe-v2.00-no-namespace.xml                    imported    -
    nfe/nfe-v3.10-prefixed-unsigned.xml               imported    -
    nfe/nfe-v3.10-prefixed-unsigned_authorized.xml    imported    -
    nfe/nfe-v4-authorized.xml                         imported    -
    nfe/nfe-v4-authorized_copy.xml                    duplicate   -
    nfe/nfe-v4-authorized_resent-same-key.xml         duplicate   -
    nfe/nfe-v4-cancelled-by-event.xml                 imported    -
    nfe/nfe-v4-full-alphanumeric-cnpj.xml             imported    -
    other/danfe.pdf                                   failed      pdf_corrupt
    other/leia-me.txt                                 unsupported -
    pdf/danfe-2p.pdf                                  imported    -
    pdf/invoice-flate.pdf                             imported    -
    image/cfdi-qr.png                                 imported    -
    image/danfe-barcode.jpg                           imported    -
    image/nfce-qr-two-pages.tif                       imported    -
    image/retenciones-qr.webp                         imported    -
    retenciones/broken-retenciones-not-stamped.xml    failed      cfdi_not_stamped
    retenciones/retenciones10-pago-al-extranjero.xml  imported    -
    retenciones/retenciones20-plataforma.xml          imported    -
    retenciones/retenciones20-plataforma_resent.xml   duplicate   -
    zip/mixto.zip!/cfdi/FACE0000-AAAA-4BBB-8CCC-DDDDEEEEFFFF.xml imported    -
    zip/mixto.zip!/nfe/35261012345678000195550010000020051200500504-nfe.xml imported    -
    zip/nested.zip!/35261012345678000195550010000020041200400405-nfe.xml imported    -
    zip/nested.zip!/inner.zip!/35261012345678000195550010000020031200300306-nfe.xml imported    -
    zip/notas-2026-10.zip!/2026-10/35261012345678000195550010000020011200100108-nfe.xml duplicate   -
    zip/notas-2026-10.zip!/2026-10/35261012345678000195550010000020021200200207-nfe.xml duplicate   -
    zip/notas-2026-10.zip!/2026-10/quebrado.xml       failed      xml_truncated
";

fn fixture_outcomes() -> impl Iterator<Item = (&'static str, &'static str, Option<&'static str>)> {
    FIXTURE_OUTCOMES
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols[0], cols[1], Some(cols[2]).filter(|t| *t != "-"))
        })
}

const K_AUTHORIZED: &str = "35261012345678000195550010000010011100100101";

db_test! {
fn every_fixture_gets_its_status_and_error_type(db) {
    let env = Env::on(db);
    let run = env.run(&[&fixture("")]);
    assert_eq!(
        run.code(),
        1,
        "some files failed: exit 1; stderr: {}",
        run.stderr()
    );
    let files = run.report()["files"].as_array().unwrap();
    assert_eq!(
        files.len(),
        fixture_outcomes().count(),
        "one entry per file: {files:#?}"
    );
    for (suffix, status, error_type) in fixture_outcomes() {
        let f = run.file(suffix);
        assert_eq!(f["status"], status, "{suffix}: {f}");
        assert_eq!(f["error_type"].as_str(), error_type, "{suffix}: {f}");
        if error_type.is_some() {
            let msg = f["error"].as_str().unwrap();
            assert!(
                msg.contains(f["path"].as_str().unwrap()),
                "message names the file: {msg}"
            );
        }
    }
    let totals = &run.report()["totals"];
    assert_eq!(totals["files"], 161);
    // Two hostile ZIPs hold documents the clean ZIP holds too: the first in walk order wins.
    assert_eq!(run.total("imported"), 76);
    assert_eq!(run.total("duplicate"), 6);
    assert_eq!(run.total("failed"), 75);
    assert_eq!(run.total("unsupported"), 4);
    assert_eq!(totals["by_error_type"]["xml_truncated"], 6);
    assert_eq!(totals["by_error_type"]["zip_bomb"], 13);
    assert_eq!(totals["by_error_type"]["nfe_bad_check_digit"], 2);

    // The database holds exactly the imported documents, and the ledger agrees with the report.
    // 12 + the three of the wrapper + the full one + the one cancelled by an event; the bare
    // NF-e enriched by its nfeProc stays one row.
    assert_eq!(env.count("SELECT count(*) FROM nfe"), 17);
    assert_eq!(env.count("SELECT count(*) FROM cfdi"), 8);
    assert_eq!(env.count("SELECT count(*) FROM retencion"), 2);
    // Two PDFs and four pictures, each its code's document linked.
    assert_eq!(env.count("SELECT count(*) FROM pdf_document"), 6);
    assert_eq!(
        env.count("SELECT count(*) FROM pdf_document WHERE source = 'image' AND linked IS NOT NULL"),
        4
    );
    assert_eq!(
        env.count("SELECT count(*) FROM files WHERE status = 'imported'"),
        76
    );
    // SAT metadata: the public samples' 7 lines and batchimp's 3; it cancels one CFDI.
    assert_eq!(env.count("SELECT count(*) FROM cfdi_metadata"), 10);
    assert_eq!(env.count("SELECT count(*) FROM cfdi WHERE cancelado = 1"), 1);
    assert_eq!(env.count("SELECT count(*) FROM nfse"), 3);
    assert_eq!(
        env.count("SELECT count(*) FROM nfse WHERE situacao = 'cancelada'"),
        1
    );
    // Municipal (ABRASF): the four public samples and batchimp's two of a list; three
    // cancelled (two by their CompNfse, one by a cancellation answer).
    assert_eq!(env.count("SELECT count(*) FROM nfse_abrasf"), 6);
    assert_eq!(
        env.count("SELECT count(*) FROM nfse_abrasf WHERE situacao = 'cancelada'"),
        3
    );
    assert_eq!(
        env.count("SELECT count(*) FROM batches WHERE status = 'completed' AND failed = 75"),
        1
    );
}
}

db_test! {
fn columns_hold_the_documents_values(db) {
    let env = Env::on(db);
    env.run(&[&fixture("nfe")]);
    let row = |sql: &str| env.text(sql);
    // nfeProc 4.00 with protocol.
    let k = K_AUTHORIZED;
    assert_eq!(
        row(&format!("SELECT emit_nome FROM nfe WHERE chave = '{k}'")).unwrap(),
        "Comércio São João Ltda"
    );
    assert_eq!(
        row(&format!("SELECT dest_nome FROM nfe WHERE chave = '{k}'")).unwrap(),
        "Distribuidora Araújo & Filhos S.A."
    );
    assert_eq!(
        row(&format!("SELECT n_prot FROM nfe WHERE chave = '{k}'")).unwrap(),
        "135260000000001"
    );
    assert_eq!(
        env.count(&format!("SELECT c_stat FROM nfe WHERE chave = '{k}'")),
        100
    );
    assert_eq!(
        env.count(&format!("SELECT n_nf FROM nfe WHERE chave = '{k}'")),
        1001
    );
    assert_eq!(
        env.count(&format!("SELECT mod FROM nfe WHERE chave = '{k}'")),
        55
    );
    assert_eq!(
        row(&format!("SELECT emit_uf FROM nfe WHERE chave = '{k}'")).unwrap(),
        "SP"
    );
    assert_eq!(
        row(&format!("SELECT dh_emi FROM nfe WHERE chave = '{k}'")).unwrap(),
        "2026-10-05T10:15:00-03:00"
    );
    // Amounts are numbers a user can add up.
    let number = |sql: &str| -> f64 {
        let text = row(sql).unwrap_or_else(|| panic!("{sql}: NULL"));
        text.parse()
            .unwrap_or_else(|e| panic!("{sql}: {text:?} is not a number: {e}"))
    };
    assert_eq!(
        number(&format!("SELECT v_nf FROM nfe WHERE chave = '{k}'")),
        309.5
    );
    // Stored as a number, not text (SQLite sorts text after every number).
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM nfe WHERE chave = '{k}' AND v_nf BETWEEN 309 AND 310"
        )),
        1
    );
    assert_eq!(
        number(&format!(
            "SELECT sum(v_prod) FROM nfe_item WHERE chave = '{k}'"
        )),
        309.5
    );
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM nfe_item WHERE chave = '{k}'"
        )),
        2
    );
    assert_eq!(
        row(&format!(
            "SELECT x_prod FROM nfe_item WHERE chave = '{k}' AND n_item = 1"
        ))
        .unwrap(),
        "CAFÉ TORRADO E MOÍDO 500G"
    );
    assert_eq!(
        row(&format!(
            "SELECT ncm FROM nfe_item WHERE chave = '{k}' AND n_item = 2"
        ))
        .unwrap(),
        "17019900"
    );
    assert_eq!(
        number(&format!(
            "SELECT v_icms FROM nfe_item WHERE chave = '{k}' AND n_item = 1"
        )),
        33.3
    );
    assert!(
        row(&format!("SELECT path FROM nfe WHERE chave = '{k}'"))
            .unwrap()
            .ends_with("nfe/nfe-v4-authorized.xml")
    );
    assert_eq!(
        row(&format!("SELECT sha256 FROM nfe WHERE chave = '{k}'"))
            .unwrap()
            .len(),
        64
    );

    // Accents right whatever the encoding: ISO-8859-1 and a UTF-8 BOM.
    for k in [
        "35261012345678000195550010000010051100500508",
        "35261012345678000195550010000010061100600607",
    ] {
        assert_eq!(
            row(&format!(
                "SELECT x_prod FROM nfe_item WHERE chave = '{k}' AND n_item = 2"
            ))
            .unwrap(),
            "AÇÚCAR REFINADO 1KG"
        );
    }
    // Layout 2.00 without a namespace: dEmi, a CPF buyer.
    let k = "31121011222333000181550010000000771770077000";
    assert_eq!(
        row(&format!("SELECT dh_emi FROM nfe WHERE chave = '{k}'")).unwrap(),
        "2026-10-05"
    );
    assert_eq!(
        row(&format!("SELECT dest_cpf FROM nfe WHERE chave = '{k}'")).unwrap(),
        "12345678909"
    );
    assert_eq!(
        row(&format!("SELECT emit_nome FROM nfe WHERE chave = '{k}'")).unwrap(),
        "Indústria Três Corações Ltda"
    );
    // `nfe:` prefix on every element, first unsigned without protocol, then enriched by its
    // nfeProc (tests/it/nfe.rs has the details).
    let k = "35261012345678000195550010000010021100200200";
    assert_eq!(
        row(&format!("SELECT versao FROM nfe WHERE chave = '{k}'")).unwrap(),
        "3.10"
    );
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM nfe_item WHERE chave = '{k}'"
        )),
        2
    );
    // NFC-e without dest.
    let k = "35261012345678000195650020000000031300300308";
    assert_eq!(
        env.count(&format!("SELECT mod FROM nfe WHERE chave = '{k}'")),
        65
    );
    assert_eq!(
        row(&format!("SELECT dest_nome FROM nfe WHERE chave = '{k}'")),
        None
    );
    // Foreign buyer.
    let k = "35261012345678000195550010000010071100700706";
    assert_eq!(
        row(&format!(
            "SELECT dest_id_estrangeiro FROM nfe WHERE chave = '{k}'"
        ))
        .unwrap(),
        "AR-20304050"
    );
    assert_eq!(
        env.count("SELECT count(*) FROM nfe WHERE chave_valida = 1"),
        12
    );
}
}

// SQLite only: page size and journal mode are SQLite file settings.
#[test]
fn new_databases_get_16k_pages_and_existing_ones_keep_theirs() {
    let env = Env::new();
    assert_eq!(env.run(&[&fixture("nfe/nfe-v4-authorized.xml")]).code(), 0);
    assert_eq!(env.count("PRAGMA page_size"), 16384);
    assert_eq!(env.text("PRAGMA journal_mode").as_deref(), Some("wal"));

    // A database made elsewhere with SQLite's default 4 KiB pages is used as it is.
    let old = Env::new();
    let conn = old.conn();
    conn.execute_batch(
        "PRAGMA page_size = 4096; CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('kept');",
    )
    .unwrap();
    drop(conn);
    let run = old.run(&[&fixture("nfe")]);
    assert_eq!(run.code(), 1, "the folder holds broken files");
    assert_eq!(old.count("PRAGMA page_size"), 4096);
    assert_eq!(old.text("SELECT x FROM notes").as_deref(), Some("kept"));
    let fresh = Env::new();
    fresh.run(&[&fixture("nfe")]);
    for table in ["nfe", "nfe_item"] {
        let sql = format!("SELECT count(*) FROM {table}");
        assert!(fresh.count(&sql) > 0);
        assert_eq!(old.count(&sql), fresh.count(&sql), "{table}");
    }
}

db_test! {
fn duplicates_are_never_imported_twice_across_batches(db) {
    let env = Env::on(db);
    let first = env.run(&[&fixture("nfe/nfe-v4-authorized.xml")]);
    assert_eq!(first.code(), 0);
    assert_eq!(first.file("nfe-v4-authorized.xml")["status"], "imported");

    let second = env.run(&[&fixture("nfe")]);
    let copy = second.file("nfe-v4-authorized_copy.xml");
    assert_eq!(copy["status"], "duplicate");
    assert_eq!(copy["duplicate"], "identical");
    let again = second.file("nfe/nfe-v4-authorized.xml");
    assert_eq!(again["status"], "duplicate", "seen in the earlier batch");
    assert_eq!(again["duplicate"], "identical");
    assert!(
        again["duplicate_of"]
            .as_str()
            .unwrap()
            .ends_with("nfe/nfe-v4-authorized.xml")
    );
    let resent = second.file("nfe-v4-authorized_resent-same-key.xml");
    assert_eq!(resent["status"], "duplicate");
    assert_eq!(resent["duplicate"], "different");
    assert_eq!(resent["key"], K_AUTHORIZED);

    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM nfe WHERE chave = '{K_AUTHORIZED}'"
        )),
        1
    );
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM nfe_item WHERE chave = '{K_AUTHORIZED}'"
        )),
        2
    );
    // The first import's content is kept.
    assert_eq!(
        env.text(&format!(
            "SELECT nat_op FROM nfe WHERE chave = '{K_AUTHORIZED}'"
        ))
        .unwrap(),
        "Venda de mercadoria"
    );

    // A third run of the same folder imports nothing new.
    let before = env.count("SELECT count(*) FROM nfe");
    let third = env.run(&[&fixture("nfe")]);
    assert_eq!(third.total("imported"), 0);
    assert_eq!(env.count("SELECT count(*) FROM nfe"), before);
    assert_eq!(env.count("SELECT count(*) FROM batches"), 3);
}
}

db_test! {
fn zip_given_directly_nested_zip_and_several_inputs_in_one_batch(db) {
    let env = Env::on(db);
    let run = env.run(&[
        &fixture("zip/nested.zip"),
        &fixture("zip/notas-2026-10.zip"),
        &fixture("nfe/nfce-model65.xml"),
    ]);
    assert_eq!(run.code(), 1, "quebrado.xml fails");
    let inner =
        run.file("nested.zip!/inner.zip!/35261012345678000195550010000020031200300306-nfe.xml");
    assert_eq!(inner["status"], "imported");
    assert_eq!(inner["key"], "35261012345678000195550010000020031200300306");
    assert_eq!(run.total("imported"), 5);
    assert_eq!(run.report()["inputs"].as_array().unwrap().len(), 3);
    assert_eq!(env.count("SELECT count(*) FROM batches"), 1);
    let path = env
        .text("SELECT path FROM nfe WHERE chave = '35261012345678000195550010000020031200300306'")
        .unwrap();
    assert!(
        path.ends_with(
            "zip/nested.zip!/inner.zip!/35261012345678000195550010000020031200300306-nfe.xml"
        ),
        "{path}"
    );
    // Read in place: nothing extracted next to the archives or in the workspace.
    let entries: Vec<_> = fs::read_dir(fixtures().join("zip")).unwrap().collect();
    assert_eq!(entries.len(), 3, "the three fixture ZIPs only");
}
}

db_test! {
fn zip_members_are_taken_in_name_order_like_a_folder(db) {
    // Two copies of one NF-e, stored in the archive in reverse name order: as in a folder, the
    // first by name is imported and the other is its duplicate.
    let env = Env::on(db);
    let original = fs::read(fixture("nfe/nfe-v4-authorized.xml")).unwrap();
    let resent = fs::read(fixture("nfe/nfe-v4-authorized_resent-same-key.xml")).unwrap();
    let path = env.path("download.zip");
    let mut zip = zip::ZipWriter::new(fs::File::create(&path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    for (name, body) in [("b-resent.xml", &resent), ("a-original.xml", &original)] {
        zip.start_file(name, opts).unwrap();
        std::io::Write::write_all(&mut zip, body).unwrap();
    }
    zip.finish().unwrap();
    let run = env.run(&[path.to_str().unwrap()]);
    assert_eq!(
        run.file("download.zip!/a-original.xml")["status"],
        "imported"
    );
    let resent = run.file("download.zip!/b-resent.xml");
    assert_eq!(resent["status"], "duplicate");
    assert!(
        resent["duplicate_of"]
            .as_str()
            .unwrap()
            .ends_with("download.zip!/a-original.xml")
    );
}
}

db_test! {
/// `..\\..\\x.xml` escapes a Windows extraction folder as `../../x.xml` does: reported as
/// `zip_bad_name`, never taken for a hidden file (its first character is a dot) and skipped
/// unseen, in a ZIP on disk as in a ZIP inside it.
fn backslash_parent_member_names_are_zip_bad_name(db) {
    let env = Env::on(db);
    let nfe = fs::read(fixture("nfe/nfe-v4-authorized.xml")).unwrap();
    let zip_of = |members: &[(&str, &[u8])]| {
        let mut out = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        for (name, body) in members {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut zip, body).unwrap();
        }
        zip.finish().unwrap();
        out.into_inner()
    };
    let inner = zip_of(&[("..\\..\\z.xml", &nfe[..])]);
    let outer = zip_of(&[
        ("..\\..\\x.xml", &nfe[..]),
        (".h\\..\\..\\y.xml", &nfe[..]),
        ("inner.zip", &inner[..]),
        ("ok.xml", &nfe[..]),
    ]);
    fs::write(env.path("in.zip"), outer).unwrap();
    let run = env.run(&["in.zip"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    for bad in ["x.xml", "y.xml", "z.xml"] {
        assert_eq!(run.file(bad)["error_type"], "zip_bad_name", "{bad}");
    }
    assert_eq!(run.file("in.zip!/ok.xml")["status"], "imported");
}
}

db_test! {
fn zip_inside_a_folder_is_read_and_hidden_files_are_skipped_unless_asked(db) {
    let env = Env::on(db);
    let dir = env.path("downloads/2026");
    fs::create_dir_all(&dir).unwrap();
    fs::copy(
        fixtures().join("zip/notas-2026-10.zip"),
        dir.join("notas.zip"),
    )
    .unwrap();
    fs::copy(
        fixtures().join("nfe/nfe-v4-authorized.xml"),
        dir.join(".rascunho.xml"),
    )
    .unwrap();
    fs::create_dir_all(dir.join(".cache")).unwrap();
    fs::copy(
        fixtures().join("nfe/nfce-model65.xml"),
        dir.join(".cache/nfce.xml"),
    )
    .unwrap();

    let run = env.run(&["downloads"]);
    assert_eq!(
        run.file("downloads/2026/notas.zip!/2026-10/quebrado.xml")["error_type"],
        "xml_truncated"
    );
    assert_eq!(run.total("imported"), 2);
    assert_eq!(run.report()["totals"]["files"], 3, "hidden files skipped");

    let run = env.run(&["downloads", "--hidden"]);
    assert_eq!(run.report()["totals"]["files"], 5);
    assert_eq!(run.file(".rascunho.xml")["status"], "imported");
    assert_eq!(run.file(".cache/nfce.xml")["status"], "imported");
}
}

db_test! {
fn corrupt_zips_fail_alone_and_readable_members_still_import(db) {
    let env = Env::on(db);
    let good = fs::read(fixtures().join("zip/notas-2026-10.zip")).unwrap();
    // Not a ZIP past its magic number.
    fs::write(
        env.path("lixo.zip"),
        b"PK\x03\x04 this is not a zip archive at all",
    )
    .unwrap();
    // A member whose compressed bytes are damaged: its CRC (or inflate) fails, the others read.
    let mut damaged = good.clone();
    let at = find(
        &damaged,
        b"35261012345678000195550010000020011200100108-nfe.xml",
    )
    .unwrap()
        + 60;
    for b in &mut damaged[at..at + 40] {
        *b ^= 0x5a;
    }
    fs::write(env.path("danificado.zip"), &damaged).unwrap();

    let run = env.run(&["lixo.zip", "danificado.zip"]);
    assert_eq!(run.code(), 1);
    assert_eq!(run.file("lixo.zip")["error_type"], "zip_corrupt");
    assert_eq!(
        run.file("danificado.zip!/2026-10/35261012345678000195550010000020011200100108-nfe.xml")["error_type"],
        "zip_corrupt"
    );
    assert_eq!(
        run.file("danificado.zip!/2026-10/35261012345678000195550010000020021200200207-nfe.xml")["status"],
        "imported"
    );
}
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

db_test! {
fn invalid_check_digits_import_flagged_only_when_allowed(db) {
    let env = Env::on(db);
    let bad = fixture("nfe/broken-bad-check-digit.xml");
    let run = env.run(&[&bad]);
    assert_eq!(run.code(), 1);
    assert_eq!(env.count("SELECT count(*) FROM nfe"), 0);

    let run = env.run(&[&bad, "--allow-invalid-keys"]);
    assert_eq!(run.code(), 0);
    let f = run.file("broken-bad-check-digit.xml");
    assert_eq!(f["status"], "imported");
    assert!(
        f["warning"]
            .as_str()
            .unwrap()
            .contains("--allow-invalid-keys")
    );
    assert_eq!(
        env.count("SELECT count(*) FROM nfe WHERE chave_valida = 0"),
        1
    );
}
}

db_test! {
fn exit_codes_and_fatal_errors(db) {
    let env = Env::on(db);
    // All good: 0.
    assert_eq!(env.run(&[&fixture("nfe/nfe-v4-authorized.xml")]).code(), 0);
    // Only unsupported and duplicate files: still 0.
    assert_eq!(
        env.run(&[
            &fixture("other/leia-me.txt"),
            &fixture("nfe/nfe-v4-authorized_copy.xml")
        ])
        .code(),
        0
    );
    // A missing input: 2, one clear line, no batch opened.
    let out = env.on_db(&["run", "no/such/folder"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("batchimp: cannot read input no/such/folder"),
        "{err}"
    );
    assert_eq!(env.count("SELECT count(*) FROM batches"), 2);
    // A database that cannot be opened: 2. What "cannot be opened" means differs by design: a
    // SQLite file in a missing folder, a PostgreSQL database the server does not have.
    let (db_arg, message) = match db {
        Db::Sqlite => (
            "/nonexistent-dir/x.db".to_owned(),
            "cannot open SQLite database /nonexistent-dir/x.db".to_owned(),
        ),
        Db::Postgres(server) => {
            let url = server.url("no_such_database");
            let message = format!("cannot connect to {url}");
            (url, message)
        }
    };
    let out = env
        .cmd()
        .args(["run", &fixture("nfe"), "--db", &db_arg])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&message), "{err}");
    // Usage errors: 2.
    assert_eq!(
        env.cmd().args(["run"]).output().unwrap().status.code(),
        Some(2)
    );
    assert_eq!(
        env.cmd()
            .args(["run", ".", "--workers", "0"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
}
}

db_test! {
fn summary_line_and_default_report_path(db) {
    let env = Env::on(db);
    // SQLite: no --db, so the default database file is used. PostgreSQL has no default
    // database to fall back on here: the test's own schema.
    let db_args = if env.is_postgres() {
        env.db_args()
    } else {
        Vec::new()
    };
    let out = env
        .cmd()
        .args(["run", &fixture("nfe"), "--workers", "2"])
        .args(&db_args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    // Not a terminal: no bar; a line per failed file, then the summary line.
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 9, "{err}");
    assert!(
        lines[..8].iter().all(|l| l.starts_with("batchimp: failed: ")),
        "{err}"
    );
    assert!(lines[0].contains("broken-amount-not-a-number.xml (nfe_invalid_field): "), "{err}");
    assert!(
        err.contains(
            "batch 1 completed: 21 files, 11 imported, 2 duplicate, 8 failed, 0 unsupported"
        ),
        "{err}"
    );
    // Named after the database: `batchimp.db`, or PostgreSQL's database and schema.
    let name = match env.db_args().get(3) {
        Some(schema) => format!("batchimp-report-batchimp.{schema}-1.json"),
        None => "batchimp-report-batchimp.db-1.json".to_owned(),
    };
    assert!(err.contains(&format!("report: {name}")), "{err}");
    // The default database (SQLite) and report land in the working directory; on PostgreSQL
    // the report has no database file to sit beside, so the working directory it is too.
    assert_eq!(env.path("batchimp.db").exists(), !env.is_postgres());
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(env.path(&name)).unwrap())
            .unwrap();
    assert_eq!(report["batch_id"], 1);
    assert_eq!(report["workers"], 2);
    assert_eq!(report["status"], "completed");
}
}

db_test! {
fn report_to_stdout_matches_report_command(db) {
    let env = Env::on(db);
    let out = env.on_db(&["run", &fixture(""), "--report", "-"]);
    assert_eq!(out.status.code(), Some(1));
    let from_run: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let out = env.on_db(&["report", "1", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let from_report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(from_run, from_report);
    // Sorted by path, every field present.
    let paths: Vec<&str> = from_run["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    for field in [
        "path",
        "kind",
        "status",
        "error_type",
        "error",
        "duration_ms",
        "size",
        "sha256",
        "key",
        "retries",
    ] {
        assert!(from_run["files"][0].get(field).is_some(), "{field}");
    }
    for field in [
        "batch_id",
        "inputs",
        "started_at",
        "finished_at",
        "totals",
        "processing_time_seconds",
    ] {
        assert!(from_run.get(field).is_some(), "{field}");
    }
    assert!(from_run["processing_time_seconds"].as_f64().unwrap() >= 0.0);
}
}

db_test! {
fn symlink_loops_are_detected_not_followed_forever(db) {
    let env = Env::on(db);
    let dir = env.path("notas");
    fs::create_dir_all(dir.join("sub")).unwrap();
    fs::copy(
        fixtures().join("nfe/nfe-v4-authorized.xml"),
        dir.join("sub/a.xml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("sub/loop")).unwrap();
    let run = env.run(&["notas"]);
    assert_eq!(run.code(), 0);
    assert_eq!(run.report()["totals"]["files"], 1);
    assert!(run.stderr().contains("symlink loop"), "{}", run.stderr());
}
}

db_test! {
/// Links leaving the inputs are a decision: not read (an `unsupported` entry naming the link
/// and its target) unless `--follow-links`; links inside are followed, a linked folder inside
/// is walked once (at its place), and nothing about links fails the batch.
fn links_leaving_the_inputs_are_not_read_without_follow_links(db) {
    use std::os::unix::fs::symlink;
    let env = Env::on(db);
    let (dir, outside) = (env.path("in"), env.path("outside"));
    fs::create_dir_all(dir.join("real")).unwrap();
    fs::create_dir_all(outside.join("dir")).unwrap();
    let nfe = |name: &str, to: std::path::PathBuf| fs::copy(fixtures().join("nfe").join(name), to).unwrap();
    nfe("nfe-v4-authorized.xml", dir.join("a.xml"));
    nfe("nfce-model65.xml", dir.join("real/b.xml"));
    nfe("nfe-foreign-buyer.xml", outside.join("dir/c.xml"));
    fs::copy(
        fixtures().join("catalog/precos-brasil.csv"),
        outside.join("secret.csv"),
    )
    .unwrap();
    symlink(dir.join("a.xml"), dir.join("z-inside.xml")).unwrap();
    symlink(dir.join("real"), dir.join("m-linked")).unwrap();
    symlink(outside.join("secret.csv"), dir.join("o-secret.csv")).unwrap();
    symlink(outside.join("dir"), dir.join("p-outdir")).unwrap();

    let run = env.run(&["in"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.file("in/a.xml")["status"], "imported");
    assert_eq!(run.file("real/b.xml")["status"], "imported");
    assert_eq!(run.file("z-inside.xml")["status"], "duplicate", "read once more, never twice imported");
    assert_eq!(run.total("failed"), 0, "{}", run.stderr());
    assert_eq!(run.report()["totals"]["files"], 5, "m-linked is walked at its place only");
    for (link, target) in [("o-secret.csv", "outside/secret.csv"), ("p-outdir", "outside/dir")] {
        let entry = run.file(link);
        assert_eq!(entry["status"], "unsupported", "{entry}");
        let why = entry["warning"].as_str().unwrap_or_default();
        assert!(why.contains(link) && why.contains(target) && why.contains("--follow-links"), "{why}");
    }
    assert_eq!(env.count("SELECT count(*) FROM product"), 0, "the outside file was not read");
    assert_eq!(env.count("SELECT count(*) FROM nfe"), 2);

    let run = env.run(&["in", "--follow-links"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.file("o-secret.csv")["status"], "imported");
    assert_eq!(run.file("p-outdir/c.xml")["status"], "imported");
    assert!(env.count("SELECT count(*) FROM product") > 0);
    assert_eq!(env.count("SELECT count(*) FROM nfe"), 3);
}
}

db_test! {
fn unreadable_files_size_limits_and_timeouts_fail_alone(db) {
    let env = Env::on(db);
    let dir = env.path("in");
    fs::create_dir_all(&dir).unwrap();
    fs::copy(
        fixtures().join("nfe/nfe-v4-authorized.xml"),
        dir.join("a-ok.xml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(dir.join("gone.xml"), dir.join("b-dangling.xml")).unwrap();
    let fifo = dir.join("c-fifo.xml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let locked = dir.join("d-locked.xml");
    fs::copy(fixtures().join("nfe/nfce-model65.xml"), &locked).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let root_reads_anyway = fs::read(&locked).is_ok();
    // One NF-e with 20,000 items: slow enough to trip a 1 ms timeout.
    fs::write(
        dir.join("e-huge.xml"),
        crate::testdata::nfe(7, 20_000, "Venda"),
    )
    .unwrap();

    // 10 ms: far more than a small NF-e takes even on a loaded machine, far less than 20,000 items.
    let run = env.run(&["in", "--file-timeout", "10ms", "--max-file-size", "2MiB"]);
    assert_eq!(run.file("a-ok.xml")["status"], "imported");
    assert_eq!(run.file("b-dangling.xml")["error_type"], "io_error");
    let fifo = run.file("c-fifo.xml");
    assert_eq!(fifo["error_type"], "io_error", "never blocks on a FIFO");
    assert!(
        fifo["error"]
            .as_str()
            .unwrap()
            .contains("not a regular file")
    );
    if !root_reads_anyway {
        assert_eq!(run.file("d-locked.xml")["error_type"], "io_error");
    }
    assert_eq!(run.file("e-huge.xml")["error_type"], "too_large");

    let run = env.run(&["in/e-huge.xml", "--file-timeout", "1ms"]);
    assert_eq!(run.file("e-huge.xml")["error_type"], "timeout");
    let run = env.run(&["in/e-huge.xml"]);
    assert_eq!(run.file("e-huge.xml")["status"], "imported");
    assert_eq!(
        env.count(
            "SELECT count(*) FROM nfe_item WHERE chave = (SELECT chave FROM nfe WHERE n_nf = 7)"
        ),
        20_000
    );
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o644)).unwrap();
}
}

/// An NF-e root whose start tag holds `n` namespace declarations and as many prefixed
/// attributes (issue 26: 60,000 of each, 2 MB, took 18 s past a 1 s `--file-timeout`).
fn namespace_flood(n: usize) -> Vec<u8> {
    let mut xml = String::from("<NFe xmlns=\"http://www.portalfiscal.inf.br/nfe\"");
    for i in 0..n {
        xml.push_str(&format!(" xmlns:p{i}=\"urn:x:{i}\""));
    }
    for i in 0..n {
        xml.push_str(&format!(" p{i}:a=\"1\""));
    }
    xml.push_str("><infNFe versao=\"4.00\"/></NFe>");
    xml.into_bytes()
}

#[test]
fn namespace_floods_fail_fast_as_xml_too_complex() {
    let env = Env::new();
    let dir = env.path("in");
    fs::create_dir_all(&dir).unwrap();
    // 2 MB and 7 MB, the two files.
    fs::write(dir.join("flood-2mb.xml"), namespace_flood(60_000)).unwrap();
    fs::write(dir.join("flood-7mb.xml"), namespace_flood(200_000)).unwrap();
    // Within the per-element limit, many times over: 50 elements of 5,000 declarations and
    // 5,000 prefixed attributes each (7 MB). A scan of the declarations per prefix made this
    // over a billion comparisons.
    let mut xml = String::from("<NFe xmlns=\"http://www.portalfiscal.inf.br/nfe\">");
    for _ in 0..50 {
        xml.push_str("<x");
        for i in 0..5_000 {
            xml.push_str(&format!(" xmlns:p{i}=\"urn:{i}\""));
        }
        for i in 0..5_000 {
            xml.push_str(&format!(" p{i}:a=\"1\""));
        }
        xml.push_str("/>");
    }
    xml.push_str("</NFe>");
    assert!(xml.len() > 7_000_000);
    fs::write(dir.join("wide-7mb.xml"), xml).unwrap();

    for file in ["flood-2mb.xml", "flood-7mb.xml", "wide-7mb.xml"] {
        let started = std::time::Instant::now();
        let run = env.run(&[&format!("in/{file}"), "--file-timeout", "1s"]);
        let took = started.elapsed();
        let entry = run.file(file);
        assert!(took.as_secs_f64() < 3.0, "{file} took {took:?}: {entry}");
        if file.starts_with("flood") {
            assert_eq!(entry["error_type"], "xml_too_complex", "{entry}");
            let message = entry["error"].as_str().unwrap();
            assert!(message.contains("more than 10000 attributes"), "{message}");
            assert!(message.contains(file), "{message}");
        } else {
            // Within the limits: read to the end in linear time (an optimised build takes a
            // fraction of a second), or, on a slow unoptimised test build, stopped at its
            // deadline — never read for many seconds past it.
            let error_type = entry["error_type"].as_str().unwrap();
            assert!(
                ["nfe_missing_key", "timeout"].contains(&error_type),
                "{entry}"
            );
        }
    }
}

/// A stored ZIP written by hand, as a crafted one is: `locals` are (name, data) written one
/// after the other; `records` are the central directory's (name, index of the local header it
/// points at), any number of them at any header.
fn handmade_zip(locals: &[(&str, Vec<u8>)], records: &[(String, usize)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut headers = Vec::new();
    for (name, data) in locals {
        let (crc, len) = (crc32fast::hash(data), data.len() as u32);
        headers.push((out.len() as u32, crc, len));
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend([20, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // version, flags, stored, time, date
        for v in [crc, len, len] {
            out.extend(v.to_le_bytes());
        }
        out.extend((name.len() as u16).to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out.extend(name.as_bytes());
        out.extend(data);
    }
    let directory = out.len() as u32;
    for (name, i) in records {
        let (offset, crc, len) = headers[*i];
        out.extend(0x0201_4b50u32.to_le_bytes());
        out.extend([20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // made by, needed, flags, stored, time, date
        for v in [crc, len, len] {
            out.extend(v.to_le_bytes());
        }
        out.extend((name.len() as u16).to_le_bytes());
        out.extend([0; 12]); // extra, comment, disk, internal and external attributes
        out.extend(offset.to_le_bytes());
        out.extend(name.as_bytes());
    }
    let size = out.len() as u32 - directory;
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0; 4]);
    out.extend((records.len() as u16).to_le_bytes());
    out.extend((records.len() as u16).to_le_bytes());
    out.extend(size.to_le_bytes());
    out.extend(directory.to_le_bytes());
    out.extend([0; 2]);
    out
}

db_test! {
fn zip_entries_that_overlap_are_a_bomb_before_anything_is_inflated(db) {
    let env = Env::on(db);
    let dir = env.path("in");
    fs::create_dir_all(&dir).unwrap();
    let nfe = fs::read(fixtures().join("nfe/nfe-v4-authorized.xml")).unwrap();
    // 2,000 directory records pointing at one member (issue 26: at 40 MiB, 16 GiB inflated).
    let records: Vec<(String, usize)> = (0..2_000).map(|i| (format!("n{i:04}.xml"), 0)).collect();
    fs::write(
        dir.join("repeated.zip"),
        handmade_zip(&[("n0000.xml", nfe.clone())], &records),
    )
    .unwrap();
    // Fifield's overlap: each member's data is the next member's local header and data.
    // (`handmade_zip` without records: the local part, then a 22-byte end record to cut.)
    let local = |name: &str, data: Vec<u8>| {
        let mut zip = handmade_zip(&[(name, data)], &[]);
        zip.truncate(zip.len() - 22);
        zip
    };
    let fifield = local("a.xml", local("b.xml", local("c.xml", nfe.clone())));
    // Records: a.xml at 0; b.xml and c.xml at the headers inside it.
    let b_at = 30 + "a.xml".len();
    let c_at = b_at + 30 + "b.xml".len();
    let mut zip = fifield.clone();
    let directory = zip.len();
    for (name, at) in [("a.xml", 0), ("b.xml", b_at), ("c.xml", c_at)] {
        let local = &fifield[at..];
        zip.extend(0x0201_4b50u32.to_le_bytes());
        zip.extend([20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        zip.extend(&local[14..26]); // crc, compressed, size: as the local header has them
        zip.extend((name.len() as u16).to_le_bytes());
        zip.extend([0; 12]);
        zip.extend((at as u32).to_le_bytes());
        zip.extend(name.as_bytes());
    }
    let size = (zip.len() - directory) as u32;
    zip.extend(0x0605_4b50u32.to_le_bytes());
    zip.extend([0, 0, 0, 0, 3, 0, 3, 0]);
    zip.extend(size.to_le_bytes());
    zip.extend((directory as u32).to_le_bytes());
    zip.extend([0; 2]);
    fs::write(dir.join("fifield.zip"), zip).unwrap();
    // The same writer, members apart: imported.
    let other = fs::read(fixtures().join("nfe/nfce-model65.xml")).unwrap();
    fs::write(
        dir.join("legit.zip"),
        handmade_zip(
            &[("a.xml", nfe.clone()), ("b.xml", other)],
            &[("a.xml".into(), 0), ("b.xml".into(), 1)],
        ),
    )
    .unwrap();

    let started = std::time::Instant::now();
    let run = env.run(&["in"]);
    assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
    for (zip, first, second) in [
        ("repeated.zip", "n0000.xml", "n0001.xml"),
        ("fifield.zip", "a.xml", "b.xml"),
    ] {
        let entry = run.file(zip);
        assert_eq!(entry["error_type"], "zip_bomb", "{entry}");
        let message = entry["error"].as_str().unwrap();
        assert!(
            message.contains(&format!("members \"{first}\" and \"{second}\" share bytes")),
            "{message}"
        );
        let members = run.report()["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["path"].as_str().unwrap().contains(&format!("{zip}!/")))
            .count();
        assert_eq!(members, 0, "nothing in {zip} is read");
    }
    assert_eq!(run.file("legit.zip!/a.xml")["status"], "imported");
    assert_eq!(run.file("legit.zip!/b.xml")["status"], "imported");
    assert_eq!(env.count("SELECT count(*) FROM nfe"), 2);
}
}

db_test! {
fn files_are_recorded_in_walk_order_across_stat_batches(db) {
    // More files in one folder than the walker stats at once, with a folder, a link and a
    // missing link target among them: the ledger still records them in name order, each once.
    let env = Env::on(db);
    let dir = env.path("in");
    fs::create_dir_all(dir.join("f1000-sub")).unwrap();
    let mut expected = Vec::new();
    for i in 0..2_600 {
        let name = format!("f{i:04}.txt");
        fs::write(dir.join(&name), format!("nota {i}\n")).unwrap();
        expected.push(name);
    }
    fs::write(dir.join("f1000-sub/inner.txt"), "dentro\n").unwrap();
    expected.push("f1000-sub/inner.txt".into());
    std::os::unix::fs::symlink(dir.join("f0007.txt"), dir.join("f2000-link.txt")).unwrap();
    expected.push("f2000-link.txt".into());
    std::os::unix::fs::symlink(dir.join("nowhere.txt"), dir.join("f2001-dangling.txt")).unwrap();
    expected.push("f2001-dangling.txt".into());
    expected.sort();

    let run = env.run(&["in", "--workers", "2"]);
    assert_eq!(run.total("unsupported"), 2_602, "{}", run.stderr());
    assert_eq!(run.total("failed"), 1, "the dangling link");
    let recorded: Vec<(String, i64)> = env
        .rows("SELECT origin, size FROM files ORDER BY id")
        .into_iter()
        .map(|r| {
            let origin = r[0].clone().expect("origin");
            let size = r[1].as_deref().expect("size").parse().expect("a size");
            (origin, size)
        })
        .collect();
    let names: Vec<&str> = recorded
        .iter()
        .map(|(o, _)| o.strip_prefix("in/").unwrap())
        .collect();
    assert_eq!(names, expected);
    let size_of = |name: &str| recorded.iter().find(|(o, _)| o == name).unwrap().1;
    assert_eq!(size_of("in/f2599.txt"), "nota 2599\n".len() as i64);
    assert_eq!(size_of("in/f2000-link.txt"), "nota 7\n".len() as i64);
}
}

db_test! {
/// The example queries of the docs (docs/tables.md, docs/catalogs.md, docs/pdfs-and-scans.md)
/// run unchanged on both databases and find the same rows.
fn the_documented_queries_run_on_both_databases(db) {
    let env = Env::on(db);
    let run = env.run(&[&fixture("")]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    // docs/report.md's example is this run: its file counts and catalog rows are these.
    let totals = &run.report()["totals"];
    for part in [
        format!("\"files\": {}, \"seen\": 0", totals["files"]),
        format!("\"by_status\": {}", totals["by_status"]).replace(':', ": ").replace(',', ", "),
        format!("\"rows\": {}, \"rows_rejected\": {}", totals["rows"], totals["rows_rejected"]),
    ] {
        documented("docs/report.md", &part);
    }
    let cancelled = env.rows(&documented(
        "docs/tables.md",
        "SELECT n.chave, n.n_nf, n.v_nf, e.x_just, e.dh_reg_evento
         FROM nfe n JOIN nfe_evento e ON e.chave = n.chave AND e.tp_evento = '110111' AND e.c_stat = 135
         WHERE n.situacao = 'cancelada' AND n.dh_emi LIKE '2026-10%'",
    ));
    assert_eq!(cancelled.len(), 2, "{cancelled:?}");
    assert!(cancelled.iter().all(|r| r[2].as_deref() == Some("309.5")));
    let municipal = env.rows(&documented(
        "docs/tables.md",
        "SELECT n.chave, n.numero, n.v_servicos, c.dh_cancelamento
         FROM nfse_abrasf n JOIN nfse_abrasf_cancelamento c ON c.chave = n.chave
         ORDER BY c.dh_cancelamento",
    ));
    // ACBr's two samples (cancelled in their CompNfse, the same day), then batchimp's 1501.
    assert_eq!(municipal.len(), 3, "{municipal:?}");
    assert_eq!(municipal[2][0].as_deref(), Some("4106902-11222333000181-1501"));
    assert_eq!(municipal[2][3].as_deref(), Some("2026-09-15T10:00:00"));
    let mut paid = env.rows(&documented(
        "docs/tables.md",
        "SELECT c.uuid, c.total, sum(d.imp_pagado) AS pagado, min(d.imp_saldo_insoluto) AS saldo
         FROM cfdi c JOIN cfdi_pago_docto d ON d.id_documento = c.uuid GROUP BY c.uuid",
    ));
    paid.sort();
    assert_eq!(paid.len(), 2, "{paid:?}");
    assert_eq!(paid[1][0].as_deref(), Some("C0FFEE00-1234-4ABC-8DEF-0123456789AB"));
    let products = env.rows(&documented(
        "docs/catalogs.md",
        "SELECT sku, name, price FROM product WHERE category = 'Medicamentos' ORDER BY price DESC",
    ));
    assert_eq!(
        products,
        vec![vec![
            Some("7891000100202".to_owned()),
            Some("Dipirona 500mg".to_owned()),
            Some("8.75".to_owned())
        ]]
    );
    documented(
        "docs/catalogs.md",
        "SELECT line, error_type, error FROM rejected_rows ORDER BY file_id, line",
    );
    let rejected = env.column("SELECT line FROM rejected_rows ORDER BY file_id, line");
    // The CSV catalog's three, the SAT metadata's lines 4, 5 and 6, then the supplier
    // workbook's rows 10, 15 and 21.
    assert_eq!(rejected, ["6", "7", "9", "4", "5", "6", "10", "15", "21"]);
    // The DANFEs whose NF-e is missing (the fixture DANFE prints a key no fixture NF-e has),
    // and the NF-e with no DANFE.
    let orphans = env.rows(&documented(
        "docs/pdfs-and-scans.md",
        "SELECT path, chave FROM pdf_document WHERE document_type = 'danfe' AND linked IS NULL",
    ));
    assert_eq!(orphans.len(), 1, "{orphans:?}");
    assert!(orphans[0][0].as_deref().unwrap().ends_with("pdf/danfe-2p.pdf"));
    let without = env.column(&documented(
        "docs/pdfs-and-scans.md",
        "SELECT n.chave FROM nfe n
         WHERE NOT EXISTS (SELECT 1 FROM pdf_document p WHERE p.chave = n.chave AND p.linked = 'nfe')",
    ));
    // Every one but the two that pictures of fixtures/image print (a DANFE's barcode, an
    // NFC-e's QR code).
    assert_eq!(without.len() as i64, env.count("SELECT count(*) FROM nfe") - 2);
}
}

/// Files that are not well-formed XML fail `xml_malformed` with the byte offset and what was
/// wrong; none of their documents is imported, and the batch goes on.
#[test]
fn malformed_xml_fails_naming_the_offset_and_imports_nothing() {
    let env = Env::new();
    let run = env.run(&[&fixture("malformed"), &fixture("nfe/nfe-v4-authorized.xml")]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    for (name, at, what) in [
        (
            "cfdi-lt-in-attribute.xml",
            485,
            "a `<` in an attribute value",
        ),
        (
            "nfe-attribute-without-value.xml",
            55,
            "attribute versao has no value",
        ),
        (
            "nfe-char-reference-1.xml",
            229,
            "&#1; is not a character XML allows",
        ),
        (
            "nfe-control-character.xml",
            229,
            "a character XML does not allow (U+000B)",
        ),
        (
            "nfe-double-dash-in-comment.xml",
            126,
            "`--` inside a comment",
        ),
        (
            "nfe-duplicate-attribute.xml",
            39,
            "<nfeProc> has attribute versao twice",
        ),
        (
            "nfe-text-after-root.xml",
            2748,
            "text after the root element",
        ),
        (
            "nfe-two-documents.xml",
            2748,
            "an XML declaration after the root element ended (two documents in one file?)",
        ),
    ] {
        let f = run.file(&format!("malformed/{name}"));
        assert_eq!(f["status"], "failed", "{f}");
        assert_eq!(f["error_type"], "xml_malformed", "{f}");
        let message = f["error"].as_str().unwrap();
        assert!(
            message.contains(&format!("malformed XML at byte {at}: {what}")),
            "{message}"
        );
    }
    assert_eq!(run.total("imported"), 1);
    assert_eq!(env.count("SELECT count(*) FROM nfe"), 1);
    assert_eq!(env.count_or_zero("SELECT count(*) FROM cfdi"), 0);
}

/// Archives that give no member still appear in the report: an empty ZIP, and one whose end
/// record counts none of the records its central directory holds (found by the mutation fuzzer,
/// the archive vanished from the report).
#[test]
fn archives_that_list_no_member_are_accounted_for() {
    use std::io::Write;
    let env = Env::new();
    let dir = env.path("zips");
    fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, members: &[(&str, &[u8])]| -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        for (member, data) in members {
            zip.start_file(*member, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap();
        let bytes = out.into_inner();
        fs::write(dir.join(name), &bytes).unwrap();
        bytes
    };
    write("vazio.zip", &[]);
    let nfe = fs::read(fixture("nfe/nfe-v4-authorized.xml")).unwrap();
    let mut lying = write("contagem.zip", &[("nota.xml", &nfe)]);
    // The end record's "total entries" (10 bytes into its 22): 0, while "entries on this disk"
    // still says 1.
    let eocd = lying.len() - 22;
    lying[eocd + 10..eocd + 12].copy_from_slice(&[0, 0]);
    fs::write(dir.join("contagem.zip"), &lying).unwrap();

    let run = env.run(&[dir.to_str().unwrap()]);
    let empty = run.file("zips/vazio.zip");
    assert_eq!(
        (empty["status"].as_str(), empty["error_type"].as_str()),
        (Some("failed"), Some("empty_file")),
        "{empty}"
    );
    let counted = run.file("zips/contagem.zip");
    assert_eq!(counted["error_type"], "zip_corrupt", "{counted}");
    assert!(
        counted["error"]
            .as_str()
            .unwrap()
            .contains("two entry counts that disagree"),
        "{counted}"
    );
    // The member is recovered from its local header and imported.
    assert_eq!(
        run.file("zips/contagem.zip!/nota.xml")["status"],
        "imported"
    );
}

db_test! {
/// A monitoring job asking about a batch still running sees files done of the total, the
/// percentage, the rate and an ETA (the batch is frozen with SIGSTOP while it looks).
fn a_running_batch_reports_files_done_of_the_total_and_an_eta(db) {
    let env = Env::on(db);
    let dir = env.path("muitos");
    fs::create_dir(&dir).unwrap();
    let files = 20_000;
    for i in 0..files {
        fs::write(dir.join(format!("nota-{i:05}.txt")), format!("texto {i}\n")).unwrap();
    }
    let mut child = std::process::Command::new(env.cmd().get_program())
        .args(["run", dir.to_str().unwrap(), "--workers", "1", "-q"])
        .args(env.db_args())
        .current_dir(env.path(""))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn batchimp");
    let report = || -> Option<serde_json::Value> {
        let out = env.on_db(&["report", "1", "--json"]);
        serde_json::from_slice(&out.stdout).ok()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let seen = loop {
        if let Some(r) = report()
            && r["status"] == "running"
            && r["files_done"].as_u64().unwrap_or(0) > 0
            && r["files_total"].is_u64()
        {
            let kill = |sig: &str| {
                std::process::Command::new("kill")
                    .args([sig, &child.id().to_string()])
                    .status()
                    .unwrap();
            };
            kill("-STOP");
            let frozen = report().expect("a report while frozen");
            let text = env.on_db(&["report", "1"]);
            let list = env.on_db(&["list"]);
            kill("-CONT");
            break Some((frozen, text, list));
        }
        if child.try_wait().unwrap().is_some() || std::time::Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(child.wait().unwrap().success());
    let (r, text, list) = seen.expect("the batch was seen running with files done");
    let done = r["files_done"].as_u64().unwrap();
    assert_eq!(r["files_total"], files, "{r}");
    assert!(done < files, "{r}");
    assert_eq!(r["pending"], files - done, "{r}");
    let pct = r["progress_percentage"].as_f64().unwrap();
    let expected = (done as f64 * 1000.0 / files as f64).round() / 10.0;
    assert!((pct - expected).abs() < 1e-9, "{pct} vs {expected}");
    assert!(r["files_per_second"].as_f64().unwrap() > 0.0, "{r}");
    assert!(r["eta_seconds"].as_f64().is_some(), "{r}");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(&format!("progress {done} of {files} files ({pct:.1}%)")),
        "{text}"
    );
    assert!(text.contains("files/s, ETA "), "{text}");
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(list.contains(&format!("{done} ({:.0}%)", pct)), "{list}");

    // Once finished: every file done, nothing pending.
    let r = report().unwrap();
    assert_eq!(r["status"], "completed");
    assert_eq!((&r["files_done"], &r["pending"]), (&files.into(), &0.into()));
    assert_eq!(r["progress_percentage"], 100.0);
    assert!(r["eta_seconds"].is_null());
}
}

db_test! {
fn max_errors_stops_taking_files_and_resume_finishes_the_batch(db) {
    let env = Env::on(db);
    let all = env.run(&[&fixture("nfe")]);
    let total = all.report()["totals"]["files"].as_u64().unwrap();
    let failed_in_all = all.total("failed");
    assert!(failed_in_all >= 3, "the NF-e fixtures have failures");

    let env = Env::on(db);
    let run = env.run(&[&fixture("nfe"), "--fail-fast"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(
        run.stderr().contains("batch 1 stopped after 1 failed file (--fail-fast)"),
        "{}",
        run.stderr()
    );
    let r = run.report();
    assert_eq!(r["status"], "stopped");
    assert_eq!(r["totals"]["by_status"]["failed"], 1);
    let recorded = r["totals"]["files"].as_u64().unwrap();
    assert!(recorded < total, "{recorded} of {total}");
    // The failure is the last file recorded (walk order is name order in one folder).
    let files = r["files"].as_array().unwrap();
    assert_eq!(files.last().unwrap()["status"], "failed", "{r}");

    let out = env.on_db(&["resume", "1", "-q", "--max-errors", "1000"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report = env.on_db(&["report", "1", "--json"]);
    let r: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(r["status"], "completed");
    assert_eq!(r["totals"]["files"], total);
    assert_eq!(r["totals"]["by_status"]["failed"], failed_in_all);

    let env = Env::on(db);
    let run = env.run(&[&fixture("nfe"), "--max-errors", "3"]);
    assert_eq!(run.code(), 1);
    assert_eq!(run.report()["status"], "stopped");
    assert_eq!(run.total("failed"), 3);
}
}

#[test]
fn a_dry_run_reports_everything_and_leaves_the_database_untouched() {
    let env = Env::new();
    let db = env.db();
    // No database yet: none is created, and the report is the one a real run writes.
    let dry = env.run(&[&fixture("nfe"), "--dry-run"]);
    assert!(!db.exists(), "no database file created");
    assert!(
        dry.stderr()
            .contains("batchimp: dry run, nothing written: batch 1 completed"),
        "{}",
        dry.stderr()
    );
    let real = env.run(&[&fixture("nfe")]);
    assert_eq!(dry.code(), real.code());
    assert_eq!(dry.report()["totals"], real.report()["totals"]);

    // An existing database: byte-identical afterwards, and the dry run finds its duplicates.
    let before = fs::read(&db).unwrap();
    let wal = db.with_extension("db-wal");
    let wal_before = fs::read(&wal).ok();
    let dry = env.run(&[&fixture("nfe"), &fixture("cfdi"), "--dry-run"]);
    assert_eq!(
        fs::read(&db).unwrap(),
        before,
        "the database file is unchanged"
    );
    assert_eq!(fs::read(&wal).ok(), wal_before, "and its WAL");
    let totals = &dry.report()["totals"]["by_status"];
    let nfe_duplicates = dry.report()["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "nfe" && f["status"] == "duplicate")
        .count() as u64;
    assert_eq!(
        nfe_duplicates,
        real.total("imported") + real.total("duplicate"),
        "the NF-e imported before are duplicates: {totals}"
    );
    assert!(totals["imported"].as_u64().unwrap() > 0, "the CFDI are new");
    let ledger = env.count("SELECT count(*) FROM batches");
    assert_eq!(ledger, 1, "no ledger row for the dry run");

    // PostgreSQL is not even contacted.
    let out = env
        .cmd()
        .args(["run", &fixture("nfe"), "--dry-run", "-q"])
        .args([
            "--db",
            "postgres://nobody@127.0.0.1:1/nowhere",
            "--report",
            "-",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(real.code()));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["totals"], real.report()["totals"]);
}

/// An XML no format reads says what it is: its root element and namespace, so a batch of
/// status answers (`retConsSitNFe`) or a new layout is named, not a bare `unsupported`.
#[test]
fn an_unsupported_xml_names_its_root_and_namespace() {
    let env = Env::new();
    let dir = env.path("in");
    fs::create_dir_all(&dir).unwrap();
    let files = [
        (
            "a-consulta.xml",
            "<?xml version=\"1.0\"?>\n<retConsSitNFe versao=\"4.00\" xmlns=\"http://www.portalfiscal.inf.br/nfe\"><cStat>100</cStat></retConsSitNFe>",
            "unsupported XML: <retConsSitNFe> in http://www.portalfiscal.inf.br/nfe",
        ),
        (
            "b-plain.xml",
            "\u{feff}  <foo><bar/></foo>",
            "unsupported XML: <foo> (no namespace)",
        ),
        (
            "c-prefixed.xml",
            "<x:doc xmlns=\"urn:default\" xmlns:x=\"urn:prefixed\"/>",
            "unsupported XML: <doc> in urn:prefixed",
        ),
    ];
    for (name, text, _) in files {
        fs::write(dir.join(name), text).unwrap();
    }
    let run = env.run(&["in"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    for (name, _, want) in files {
        let f = run.file(name);
        assert_eq!(f["status"], "unsupported", "{f}");
        assert_eq!(f["kind"], "xml", "{f}");
        assert_eq!(f["warning"], want, "{f}");
    }
    let stored = env.column("SELECT warning FROM files WHERE status = 'unsupported' ORDER BY id");
    assert_eq!(stored.len(), 3, "{stored:?}");
    assert!(stored[0].contains("retConsSitNFe"), "{stored:?}");
}
