//! NF-e in full on the fixtures batchimp writes (tests/make_fixtures.py): events and
//! cancellation in either order, wrappers, summaries, voiding, NFC-e, taxes, payments,
//! installments, the conflict policy, and the 2026 alphanumeric CNPJ.

use crate::helpers::{Env, db_test, fixture, fixtures, folder};
use std::fs;

/// The NF-e the fixture event `eventos/cancelamento-antes-da-nfe.xml` cancels.
const K_CANCELLED: &str = "35261012345678000195550010000010091100900904";
/// The bare NFe (`nfe-v3.10-prefixed-unsigned.xml`) and its nfeProc (`..._authorized.xml`).
const K_BARE: &str = "35261012345678000195550010000010021100200200";
const K_AUTHORIZED: &str = "35261012345678000195550010000010011100100101";
const K_WRAPPER: [&str; 3] = [
    "35261012345678000195550030000000111001100779",
    "35261012345678000195550030000000121001200843",
    "35261012345678000195550030000000131001300918",
];
const K_ALPHANUMERIC: &str = "35261012ABC34501DE35550010000010101101001009";
const K_NFCE: &str = "35261012345678000195650020000000031300300308";
/// The NF-e the unknown-type event and the event summary refer to; it never arrives.
const K_NEVER: &str = "41260999888777000166550010000000051500000055";

/// The NF-e's `situacao`; `None` when it is NULL or there is no such NF-e.
fn situacao(env: &Env, chave: &str) -> Option<String> {
    env.text(&format!(
        "SELECT (SELECT situacao FROM nfe WHERE chave = '{chave}')"
    ))
}

db_test! {
fn a_cancellation_marks_its_nfe_whichever_arrives_first(db) {
    let event = "eventos/cancelamento-antes-da-nfe.xml";
    let nfe = "nfe/nfe-v4-cancelled-by-event.xml";

    // Same batch, the event first in walk order (eventos/ sorts before nfe/).
    let env = Env::on(db);
    let run = env.run(&[
        &folder(&env, "lote/eventos", &[event]),
        &folder(&env, "lote/nfe", &[nfe]),
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(situacao(&env, K_CANCELLED).as_deref(), Some("cancelada"));

    // Separate batches, both orders.
    for (first, second) in [(event, nfe), (nfe, event)] {
        let env = Env::on(db);
        assert_eq!(env.run(&[&fixture(first)]).code(), 0);
        let expected_before = if first == nfe {
            Some("autorizada")
        } else {
            None
        };
        assert_eq!(situacao(&env, K_CANCELLED).as_deref(), expected_before);
        assert_eq!(env.run(&[&fixture(second)]).code(), 0);
        assert_eq!(
            situacao(&env, K_CANCELLED).as_deref(),
            Some("cancelada"),
            "{first} then {second}"
        );
    }
}
}

db_test! {
fn events_are_stored_with_their_answer_and_only_registered_cancellations_count(db) {
    let env = Env::on(db);
    let run = env.run(&[&fixture("eventos"), &fixture("nfe")]);
    assert_eq!(run.code(), 1, "broken twins fail: {}", run.stderr());
    let text = |sql: &str| env.text(sql).unwrap_or_default();

    // The cancellation: request and SEFAZ's answer in one row.
    assert_eq!(
        text(&format!(
            "SELECT tp_evento || '|' || n_seq_evento || '|' || desc_evento || '|' || dh_evento || '|'
                || x_just || '|' || c_stat || '|' || n_prot || '|' || dh_reg_evento || '|' || autor_cnpj
             FROM nfe_evento WHERE chave = '{K_CANCELLED}'"
        )),
        "110111|1|Cancelamento|2026-10-06T09:00:00-03:00|Pedido cancelado pelo cliente antes do envio\
         |135|135260000009001|2026-10-06T09:00:05-03:00|12345678000195"
    );
    let f = run.file("eventos/cancelamento-antes-da-nfe.xml");
    assert_eq!(f["kind"], "nfe");
    assert_eq!(
        f["keys"][0],
        format!("ID110111{K_CANCELLED}01"),
        "an event's key is SEFAZ's event ID"
    );

    // A CC-e is stored with its correction and linked by key; it changes nothing else.
    assert_eq!(
        text(&format!(
            "SELECT x_correcao || '|' || c_stat FROM nfe_evento
             WHERE chave = '{K_AUTHORIZED}' AND tp_evento = '110110'"
        )),
        "Endereço de entrega: Rua das Flores, 200|135"
    );
    assert_eq!(situacao(&env, K_AUTHORIZED).as_deref(), Some("autorizada"));

    // A request without SEFAZ's answer is stored, and never cancels.
    assert_eq!(
        text(&format!(
            "SELECT coalesce(CAST(c_stat AS TEXT), 'none') FROM nfe_evento WHERE chave = '{K_BARE}'"
        )),
        "none"
    );
    assert_eq!(situacao(&env, K_BARE).as_deref(), Some("autorizada"));

    // A batch answer alone: the registered cancellation counts, the rejected one does not.
    let batch = run.file("eventos/retorno-lote-eventos.xml");
    assert_eq!(batch["keys"].as_array().unwrap().len(), 2);
    assert_eq!(situacao(&env, K_WRAPPER[0]).as_deref(), Some("cancelada"));
    assert_eq!(
        text(&format!(
            "SELECT c_stat || '|' || x_motivo FROM nfe_evento WHERE chave = '{}'",
            K_WRAPPER[1]
        )),
        "573|Rejeicao: Duplicidade de evento"
    );
    assert_eq!(
        situacao(&env, K_WRAPPER[1]),
        None,
        "a bare NFe has no status"
    );

    // An event of an unknown type, for an NF-e that never arrives: stored, queryable.
    assert_eq!(
        text(&format!(
            "SELECT tp_evento || '|' || desc_evento FROM nfe_evento WHERE chave = '{K_NEVER}'"
        )),
        "999999|Evento Futuro"
    );
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM nfe WHERE chave = '{K_NEVER}'"
        )),
        0
    );

    // Broken twins: typed, nothing written.
    assert_eq!(
        run.file("eventos/broken-evento-sem-chave.xml")["error_type"],
        "nfe_missing_key"
    );
    assert_eq!(
        run.file("eventos/broken-evento-digito-verificador.xml")["error_type"],
        "nfe_bad_check_digit"
    );
    assert_eq!(env.count("SELECT count(*) FROM nfe_evento"), 6);
}
}

db_test! {
fn summaries_never_overwrite_a_full_nfe_and_voiding_has_its_table(db) {
    let env = Env::on(db);
    // The full NF-e first, then its summary: both kept, each in its table.
    env.run(&[&fixture("nfe/nfe-v4-authorized.xml")]);
    let run = env.run(&[&fixture("eventos")]);
    assert_eq!(run.file("eventos/resumo-nfe.xml")["status"], "imported");
    assert_eq!(
        env.text(&format!(
            "SELECT CAST(v_nf AS TEXT) FROM nfe WHERE chave = '{K_AUTHORIZED}'"
        ))
        .unwrap(),
        "309.5",
        "the NF-e keeps its own total"
    );
    assert_eq!(
        env.text(&format!(
            "SELECT x_nome || '|' || v_nf || '|' || n_prot || '|' || c_sit_nfe FROM nfe_resumo
             WHERE chave = '{K_AUTHORIZED}'"
        ))
        .unwrap(),
        "Comércio São João Ltda|999.99|135260000000001|1"
    );
    assert_eq!(
        env.text(&format!(
            "SELECT tp_evento || '|' || x_evento || '|' || n_prot FROM nfe_evento_resumo
             WHERE chave = '{K_NEVER}'"
        ))
        .unwrap(),
        "210200|Confirmacao da Operacao|135260000009004"
    );
    assert_eq!(
        env.text(
            "SELECT id || '|' || c_uf || '|' || ano || '|' || cnpj || '|' || mod || '|' || serie
                || '|' || n_nf_ini || '|' || n_nf_fin || '|' || x_just || '|' || c_stat || '|'
                || n_prot || '|' || dh_recbto FROM nfe_inutilizacao"
        )
        .unwrap(),
        "ID35261234567800019555001000002000000002010|35|26|12345678000195|55|1|2000|2010\
         |Falha no sistema pulou a numeracao|102|135260000009005|2026-10-07T08:00:00-03:00"
    );
}
}

db_test! {
fn a_wrapper_imports_each_nfe_and_lists_every_key(db) {
    let env = Env::on(db);
    let run = env.run(&[&fixture("nfe/enviNFe-three-documents.xml")]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let f = run.file("enviNFe-three-documents.xml");
    assert_eq!(f["status"], "imported");
    let keys: Vec<&str> = f["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(keys, K_WRAPPER);
    for k in K_WRAPPER {
        assert_eq!(
            env.count(&format!(
                "SELECT count(*) FROM nfe_item WHERE chave = '{k}'"
            )),
            2,
            "{k}"
        );
    }
}
}

db_test! {
fn a_bare_nfe_is_enriched_by_its_nfeproc(db) {
    let env = Env::on(db);
    let bare = fixture("nfe/nfe-v3.10-prefixed-unsigned.xml");
    let proc = fixture("nfe/nfe-v3.10-prefixed-unsigned_authorized.xml");
    let first = env.run(&[&bare]);
    assert_eq!(first.file("unsigned.xml")["status"], "imported");
    assert_eq!(
        env.text(&format!("SELECT n_prot FROM nfe WHERE chave = '{K_BARE}'")),
        None
    );
    let second = env.run(&[&proc]);
    let f = second.file("unsigned_authorized.xml");
    assert_eq!(f["status"], "imported");
    assert_eq!(f["conflict"], "enriched");
    assert_eq!(f["duplicate"], serde_json::Value::Null);
    assert_eq!(f["duplicate_of"], bare.as_str());
    assert_eq!(second.report()["totals"]["by_conflict"]["enriched"], 1);
    let summary = env.on_db(&["report"]);
    let summary = String::from_utf8_lossy(&summary.stdout);
    assert!(
        summary.contains("stored copies met: 1 enriched"),
        "{summary}"
    );
    assert_eq!(
        env.text(&format!(
            "SELECT n_prot || '|' || c_stat || '|' || dh_recbto || '|' || situacao || '|' || path
             FROM nfe WHERE chave = '{K_BARE}'"
        ))
        .unwrap(),
        format!("135260000000001|100|2026-10-05T10:15:09-03:00|autorizada|{proc}")
    );
    // One document, its items once.
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM nfe_item WHERE chave = '{K_BARE}'"
        )),
        2
    );
    // The nfeProc again: nothing left to add, a duplicate.
    let third = env.run(&[&proc]);
    assert_eq!(third.file("unsigned_authorized.xml")["status"], "duplicate");
    assert_eq!(
        third.file("unsigned_authorized.xml")["duplicate"],
        "identical"
    );
}
}

db_test! {
fn on_conflict_replace_swaps_the_document_and_fail_writes_nothing(db) {
    let original = fixture("nfe/nfe-v4-authorized.xml");
    let resent = fixture("nfe/nfe-v4-authorized_resent-same-key.xml");
    let nat_op = |env: &Env| {
        env.text(&format!(
            "SELECT nat_op FROM nfe WHERE chave = '{K_AUTHORIZED}'"
        ))
    };

    // skip (the default): the stored copy stays.
    let env = Env::on(db);
    env.run(&[&original]);
    let run = env.run(&[&resent]);
    assert_eq!(run.file("resent-same-key.xml")["duplicate"], "different");
    assert_eq!(nat_op(&env).unwrap(), "Venda de mercadoria");

    // replace: the new copy, rows of every table replaced, not added.
    let env = Env::on(db);
    env.run(&[&original, &fixture("eventos/cce-nfe-autorizada.xml")]);
    let run = env.run(&[&resent, "--on-conflict", "replace"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let f = run.file("resent-same-key.xml");
    assert_eq!(f["status"], "imported");
    assert_eq!(f["conflict"], "replaced");
    assert_eq!(run.report()["totals"]["by_conflict"]["replaced"], 1);
    assert_eq!(f["duplicate_of"], original.as_str());
    assert_eq!(nat_op(&env).unwrap(), "Venda de mercadoria (reenvio)");
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM nfe_item WHERE chave = '{K_AUTHORIZED}'"
        )),
        2
    );
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM nfe_evento WHERE chave = '{K_AUTHORIZED}'"
        )),
        1,
        "events are documents of their own: a replaced NF-e keeps them"
    );
    // An identical copy is still only a duplicate.
    let run = env.run(&[&resent, "--on-conflict", "replace"]);
    assert_eq!(run.file("resent-same-key.xml")["duplicate"], "identical");

    // fail: the file fails with key_conflict; a wrapper with one conflicting NF-e writes none.
    let env = Env::on(db);
    env.run(&[&original]);
    let dir = env.path("lote");
    fs::create_dir_all(&dir).unwrap();
    let wrapper = fs::read_to_string(fixture("nfe/enviNFe-three-documents.xml")).unwrap();
    // The wrapper's second NF-e takes the stored key, with other content.
    fs::write(
        dir.join("envi.xml"),
        wrapper.replace(K_WRAPPER[1], K_AUTHORIZED),
    )
    .unwrap();
    let run = env.run(&[dir.to_str().unwrap(), &resent, "--on-conflict", "fail"]);
    assert_eq!(run.code(), 1);
    let f = run.file("resent-same-key.xml");
    assert_eq!(f["status"], "failed");
    assert_eq!(f["error_type"], "key_conflict");
    assert!(f["error"].as_str().unwrap().contains(K_AUTHORIZED), "{f}");
    let f = run.file("lote/envi.xml");
    assert_eq!(f["error_type"], "key_conflict", "{f}");
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM nfe WHERE chave IN ('{}', '{}')",
            K_WRAPPER[0], K_WRAPPER[2]
        )),
        0,
        "a failed file writes nothing"
    );
    assert_eq!(nat_op(&env).unwrap(), "Venda de mercadoria");
}
}

db_test! {
fn nfce_qr_code_taxes_payments_installments_transport_and_alphanumeric_cnpj(db) {
    let env = Env::on(db);
    let run = env.run(&[&fixture("nfe")]);
    assert_eq!(
        run.file("nfe-v4-full-alphanumeric-cnpj.xml")["status"],
        "imported"
    );
    let text = |sql: &str| env.text(sql).unwrap_or_default();

    // NFC-e: no buyer, the QR code and the consultation URL kept, card payment and change.
    assert_eq!(
        text(&format!(
            "SELECT coalesce(dest_cnpj, dest_cpf, 'sem destinatário') || '|' || qr_code || '|'
                || url_chave || '|' || v_troco FROM nfe WHERE chave = '{K_NFCE}'"
        )),
        format!(
            "sem destinatário|https://www.homologacao.nfce.fazenda.sp.gov.br/qrcode?p={K_NFCE}|2|2|1|3A5F\
             |https://www.homologacao.nfce.fazenda.sp.gov.br/consulta|2.05"
        )
    );
    assert_eq!(
        env.column(&format!(
                "SELECT n || ':' || coalesce(CAST(ind_pag AS TEXT), '') || ':' || t_pag
                    || ':' || v_pag || ':' || coalesce(CAST(tp_integra AS TEXT), '')
                    || ':' || coalesce(card_cnpj, '') || ':' || coalesce(t_band, '')
                    || ':' || coalesce(c_aut, '')
                 FROM nfe_pagamento WHERE chave = '{K_NFCE}' ORDER BY n"
            )
        )
        .join(" / "),
        "1:0:03:5:1:01027058000191:01:A1B2C3 / 2::01:5::::"
    );
    // Layout 3.10 payments (pag repeated itself).
    assert_eq!(
        text(&format!(
            "SELECT n || ':' || t_pag || ':' || v_pag FROM nfe_pagamento WHERE chave = '{K_BARE}'"
        )),
        "1:01:309.5"
    );

    // The 2026 alphanumeric CNPJ, in the key and the issuer.
    let k = K_ALPHANUMERIC;
    assert_eq!(
        text(&format!(
            "SELECT emit_cnpj || '|' || chave_valida || '|' || mod_frete || '|' || transp_cnpj || '|'
                || transp_nome || '|' || transp_uf || '|' || inf_cpl FROM nfe WHERE chave = '{k}'"
        )),
        "12ABC34501DE35|1|0|49929194000284|Transportes Rápidos & Cia|SP|Pedido 4471; entregar no depósito 2."
    );
    // Ordered by n_dup, a text, so in Rust (bytewise whatever the database's collation).
    let mut installments = env.column(&format!(
            "SELECT n_dup || ':' || d_venc || ':' || v_dup FROM nfe_duplicata WHERE chave = '{k}'"
        ),
    );
    installments.sort();
    assert_eq!(
        installments.join(" / "),
        "001:2026-11-05:103.17 / 002:2026-12-05:103.17 / 003:2027-01-05:103.16"
    );
    // Item taxes: ICMS, PIS, COFINS and the 2026 IBS/CBS group.
    assert_eq!(
        text(&format!(
            "SELECT orig || '|' || cst || '|' || v_bc || '|' || p_icms || '|' || v_icms || '|'
                || pis_cst || '|' || pis_v_bc || '|' || p_pis || '|' || v_pis || '|'
                || cofins_cst || '|' || cofins_v_bc || '|' || p_cofins || '|' || v_cofins || '|'
                || v_tot_trib || '|' || ibs_cbs_cst || '|' || c_class_trib || '|' || ibs_cbs_v_bc
                || '|' || p_ibs_uf || '|' || v_ibs_uf || '|' || v_ibs || '|' || p_cbs || '|' || v_cbs
             FROM nfe_item WHERE chave = '{k}' AND n_item = 1"
        )),
        "0|00|185|18|33.3|01|185|1.65|3.05|01|185|7.6|14.06|58.1|000|000001|185|0.1|0.19|0.19|0.9|1.67"
    );
}
}

db_test! {
/// An amount with more significant digits than a double holds keeps every one of them in
/// PostgreSQL's NUMERIC (SQLite stores the nearest double); shorter amounts are exact in both.
fn long_amounts_keep_every_digit_in_postgresql(db) {
    let env = Env::on(db);
    let xml = fs::read_to_string(fixtures().join("nfe/nfe-v4-cancelled-by-event.xml"))
        .unwrap()
        .replacen(
            "<vUnCom>18.5000</vUnCom>",
            "<vUnCom>12345678901.1234567891</vUnCom>",
            1,
        );
    let path = env.path("long.xml");
    fs::write(&path, xml).unwrap();
    let run = env.run(&[&path.display().to_string()]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let stored = env
        .text(&format!(
            "SELECT CAST(v_un_com AS TEXT) FROM nfe_item WHERE chave = '{K_CANCELLED}' AND n_item = 1"
        ))
        .unwrap();
    if env.is_postgres() {
        assert_eq!(stored, "12345678901.1234567891");
    } else {
        let v: f64 = stored.parse().unwrap();
        assert!((v - 12_345_678_901.123_457).abs() < 1e-3, "{stored}");
    }
    assert_eq!(
        env.text(&format!("SELECT CAST(v_nf AS TEXT) FROM nfe WHERE chave = '{K_CANCELLED}'"))
            .as_deref(),
        Some("309.5")
    );
}
}
