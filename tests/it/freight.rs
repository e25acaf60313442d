//! CT-e, CT-e OS and MDF-e end to end: the public samples (fixtures/public, see SOURCES.md)
//! field by field against values read from their XML text, the layouts batchimp writes its own
//! fixtures for (tests/make_freight_fixtures.py), events in either order, the link to NF-e in
//! one ZIP whichever comes first, and the broken twins' error types.

use crate::helpers::{Env, db_test, fixture, fixtures, folder};
use std::fs;

/// fixtures/cte: the 4.00 CT-e with its protocol (carries `K_AUTHORIZED` and `K_BARE`), the
/// bare 4.00 one, the CT-e OS, the 1.03 one.
const K_CTE: &str = "35261049929194000284570010000005011501005018";
const K_CTE_BARE: &str = "35261049929194000284570010000005021502005027";
const K_CTE_OS: &str = "35261049929194000284670260000000081800000084";
const K_CTE_103: &str = "35110449929194000284570010000000171001700172";
/// fixtures/mdfe: the 3.00 MDF-e with its protocol, and the one without a namespace.
const K_MDFE: &str = "35261049929194000284580010000000771077000772";
const K_MDFE_NO_NS: &str = "35261049929194000284580010000000781078000781";
/// fixtures/nfe: the NF-e the 4.00 CT-e carries.
const K_AUTHORIZED: &str = "35261012345678000195550010000010011100100101";
const K_BARE: &str = "35261012345678000195550010000010021100200200";

/// Assert a row's columns, found by its key. An expected value with a decimal point is an
/// amount: compared as a number, since the databases print `1716.00` as `1716` or `1716.0`.
pub(crate) fn assert_row(env: &Env, table: &str, key: &str, expected: &[(&str, Option<&str>)]) {
    let columns: Vec<&str> = expected.iter().map(|(c, _)| *c).collect();
    let rows = env.rows(&format!(
        "SELECT {} FROM {table} WHERE chave = '{key}'",
        columns.join(", ")
    ));
    assert_eq!(rows.len(), 1, "{table} {key}: {rows:?}");
    for ((column, want), got) in expected.iter().zip(&rows[0]) {
        let same = match (want, got) {
            (Some(w), Some(g)) if w.contains('.') => {
                w.parse::<f64>().ok() == g.parse::<f64>().ok() || w == g
            }
            _ => want.as_deref() == got.as_deref(),
        };
        assert!(
            same,
            "{table}.{column} of {key}: want {want:?}, got {got:?}"
        );
    }
}

/// The rows of a child table of `key`, in their order, as text.
fn children(env: &Env, table: &str, columns: &str, key: &str) -> Vec<Vec<Option<String>>> {
    env.rows(&format!(
        "SELECT {columns} FROM {table} WHERE chave = '{key}' ORDER BY n"
    ))
}

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

/// A ZIP of fixtures, as members named in the given order.
pub(crate) fn zip_of(env: &Env, name: &str, members: &[(&str, &str)]) -> String {
    use std::io::Write;
    let path = env.path(name);
    let mut zip = zip::ZipWriter::new(fs::File::create(&path).unwrap());
    for (member, file) in members {
        zip.start_file(*member, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&fs::read(fixtures().join(file)).unwrap())
            .unwrap();
    }
    zip.finish().unwrap();
    path.display().to_string()
}

db_test! {
fn public_ct_e_samples_field_by_field(db) {
    let env = Env::on(db);
    let run = env.run(&[&fixture("public")]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    // The CT-e and MDF-e samples, the NFS-e (national and ABRASF) and the SAT metadata (a file
    // and a ZIP of two).
    assert_eq!(run.total("imported"), 17, "every sample: {}", run.stderr());
    assert_eq!(run.file("cte-v3.00-cteProc-sped-da.xml")["kind"], "cte");
    assert_eq!(run.file("mdfe-v1.00-sped-mdfe.xml")["kind"], "mdfe");

    // sped-da's cteProc 3.00: ICMS20, the payer is the recipient (toma3 = 3), a protocol that
    // says cancelled (cStat 101).
    let k = "24210231626841000132570010000007811746401259";
    assert_row(&env, "cte", k, &[
        ("versao", Some("3.00")), ("mod", Some("57")), ("serie", Some("1")), ("n_ct", Some("781")),
        ("dh_emi", Some("2021-02-08T03:00:00-03:00")), ("tp_amb", Some("1")), ("tp_cte", Some("0")),
        ("cfop", Some("6353")), ("nat_op", Some("PREST SERV TRANSP ESTABELECIMENTO COMERCIAL FOB")),
        ("modal", Some("01")), ("tp_serv", Some("0")),
        ("c_mun_ini", Some("2408003")), ("uf_ini", Some("RN")), ("c_mun_fim", Some("1100304")), ("uf_fim", Some("RO")),
        ("toma", Some("3")),
        ("emit_cnpj", Some("31626841000132")), ("emit_ie", Some("205015425")),
        ("emit_nome", Some("R. J. T. DOS SANTOS COM E REPRESENTACOES EIRELI")), ("emit_uf", Some("RN")),
        ("rem_cnpj", Some("31626841000132")), ("rem_nome", Some("R. J. T. DOS SANTOS COMERCIO E REPRESENTACOES EIRE")),
        ("exped_cnpj", None), ("receb_cnpj", None),
        ("dest_cnpj", Some("01318353000105")), ("dest_nome", Some("L T DE SOUSA eamp; CIA LTDA")),
        ("toma_cnpj", Some("01318353000105")), ("toma_cpf", None), ("toma_nome", Some("L T DE SOUSA eamp; CIA LTDA")),
        ("v_t_prest", Some("4840.42")), ("v_rec", Some("4840.42")),
        ("cst", Some("20")), ("v_bc", Some("2420.21")), ("p_icms", Some("12.00")), ("v_icms", Some("290.42")),
        ("v_carga", Some("1716.00")), ("pro_pred", Some("SAL")),
        ("n_prot", Some("324210000930048")), ("c_stat", Some("101")),
        ("dh_recbto", Some("2021-02-08T15:28:30-03:00")), ("situacao", Some("cancelada")),
        ("chave_valida", Some("1")),
    ]);
    assert_eq!(
        children(&env, "cte_quantidade", "c_unid, tp_med", k),
        [[s("01"), s("Peso Bruto")]]
    );
    assert_eq!(
        env.column(&format!("SELECT chave_nfe FROM cte_nfe WHERE chave = '{k}'")),
        ["24210234533611000117550010000005081684535350"]
    );

    // sped-da's cteOSProc 3.00: model 67, the payer in full (a CPF), a service, ICMSSN.
    let k = "41181010776992000105670260000000081307453250";
    assert_row(&env, "cte", k, &[
        ("versao", Some("3.00")), ("mod", Some("67")), ("serie", Some("26")), ("n_ct", Some("8")),
        ("tp_serv", Some("6")), ("uf_ini", Some("PR")), ("uf_fim", Some("SC")), ("c_mun_fim", Some("4203501")),
        ("toma", None), ("toma_cnpj", None), ("toma_cpf", Some("01234567890")),
        ("toma_nome", Some("CT-E EMITIDO EM AMBIENTE DE HOMOLOGACAO - SEM VALOR FISCAL")),
        ("emit_nome", Some("EMPRESA DEMONSTRACAO LTDA")),
        ("v_t_prest", Some("100.00")), ("v_rec", Some("100.00")), ("cst", Some("90")), ("v_icms", None),
        ("v_tot_trib", Some("0.00")), ("x_desc_serv", Some("SERVICO DE FRETE")),
        ("n_prot", Some("141180000087415")), ("c_stat", Some("100")), ("situacao", Some("autorizada")),
    ]);
    let q = children(&env, "cte_quantidade", "c_unid, q_carga", k);
    assert_eq!(q.len(), 1);
    assert_eq!(q[0][0], None);
    assert_eq!(q[0][1].as_deref().and_then(|v| v.parse::<f64>().ok()), Some(10.0));

    // sped-cte's bare CTe 3.00 (no protocol): a component, ICMS00, the NF-e it carries.
    let k = "41171099999999999999570020000024631000000108";
    assert_row(&env, "cte", k, &[
        ("versao", Some("3.00")), ("serie", Some("2")), ("n_ct", Some("2463")), ("cfop", Some("6352")),
        ("uf_fim", Some("SP")), ("c_mun_fim", Some("3523909")), ("rem_cnpj", Some("06539526000392")),
        ("dest_cnpj", Some("06539526000120")), ("toma_cnpj", Some("06539526000120")),
        ("v_t_prest", Some("3334.32")), ("v_bc", Some("3334.32")), ("p_icms", Some("12.0")),
        ("v_icms", Some("400.12")), ("v_tot_trib", Some("754.38")),
        ("v_carga", Some("130333.31")), ("pro_pred", Some("TUBOS PLASTICOS")),
        ("n_prot", None), ("c_stat", None), ("situacao", None),
    ]);
    let comp = children(&env, "cte_componente", "n, x_nome, v_comp", k);
    assert_eq!(comp.len(), 1);
    assert_eq!(comp[0][..2], [s("1"), s("FRETE VALOR")]);
    assert_eq!(comp[0][2].as_deref().and_then(|v| v.parse::<f64>().ok()), Some(3334.32));
    assert_eq!(
        children(&env, "cte_quantidade", "c_unid, tp_med", k),
        [[s("01"), s("ESTRADO")]]
    );
    assert_eq!(
        env.column(&format!("SELECT chave_nfe FROM cte_nfe WHERE chave = '{k}'")),
        ["43160472202112000136550000000010571048440722"]
    );

    // sped-cte's 2.00 (toma03; the sender a CPF) and 1.04 (its NF-e listed elsewhere).
    assert_row(&env, "cte", "43160981450900000132570010000000111000000100", &[
        ("versao", Some("2.00")), ("n_ct", Some("11")), ("toma", Some("3")), ("rem_cpf", Some("00670965065")),
        ("dest_cnpj", Some("81450900000132")), ("toma_cnpj", Some("81450900000132")),
        ("v_t_prest", Some("200.0")), ("v_icms", Some("34.0")), ("pro_pred", Some("ESPETOS")),
    ]);
    assert_row(&env, "cte", "51121006145774000197570010000000131004100705", &[
        ("versao", Some("1.04")), ("n_ct", Some("13")), ("cfop", Some("5357")),
        ("exped_cnpj", Some("06145774000197")), ("exped_nome", Some("INVIOSEG SEG PRIVADA LTDA")),
        ("toma_cnpj", Some("37442605000142")),
        ("v_t_prest", Some("50635.27")), ("v_rec", Some("59243.23")), ("v_icms", Some("8608.00")),
        ("v_carga", Some("4340300.00")), ("pro_pred", Some("VALORES E DOCUMENTOS")),
    ]);

    // sped-da's CC-e event (procEventoCTe without a namespace at its root; the answer's
    // sequence written `01`): stored, with SEFAZ's answer.
    let rows = env.rows(
        "SELECT chave, tp_evento, n_seq_evento, autor_cnpj, desc_evento, c_stat, n_prot, dh_reg_evento
         FROM cte_evento",
    );
    assert_eq!(rows, [[
        s("35170110142785000190570010000000011544529520"), s("110110"), s("1"), s("10142785000190"),
        s("Carta de Correcao"), s("135"), s("135170004447087"), s("2017-01-15T10:57:21-02:00"),
    ]]);
    assert_eq!(
        run.file("cte-evento-cce-sped-da.xml")["key"],
        format!("ID110110{}001", "35170110142785000190570010000000011544529520").as_str()
    );
}
}

db_test! {
fn public_mdf_e_samples_field_by_field(db) {
    let env = Env::on(db);
    let run = env.run(&[&fixture("public")]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    // sped-mdfe's MDF-e 1.00, without a namespace or protocol.
    let k = "41140581452880000139580010000000281611743166";
    assert_row(&env, "mdfe", k, &[
        ("versao", Some("1.00")), ("mod", Some("58")), ("serie", Some("1")), ("n_mdf", Some("28")),
        ("dh_emi", Some("2014-05-15T14:45:30")), ("tp_amb", Some("2")), ("tp_emit", Some("1")), ("modal", Some("1")),
        ("uf_ini", Some("PR")), ("uf_fim", Some("PR")),
        ("emit_cnpj", Some("81452880000139")), ("emit_ie", Some("3280006873")),
        ("emit_nome", Some("COMERCIO E TRANSPORTES WESSLING LTDA")), ("emit_uf", Some("PR")),
        ("q_cte", Some("1")), ("q_nfe", None), ("v_carga", Some("1000.00")), ("c_unid", Some("01")),
        ("q_carga", Some("1129.9400")), ("n_prot", None), ("situacao", None),
    ]);
    assert_eq!(
        children(&env, "mdfe_documento", "tipo, chave_doc", k),
        [[s("cte"), s("41130181452880000139570010000018971536074822")]]
    );
    // sped-da's mdfeProc 3.00, authorized.
    let k = "24201201243220000109580010000010891973448530";
    assert_row(&env, "mdfe", k, &[
        ("versao", Some("3.00")), ("n_mdf", Some("1089")), ("dh_emi", Some("2020-12-16T11:26:27-00:00")),
        ("uf_ini", Some("RN")), ("uf_fim", Some("RN")), ("emit_cnpj", Some("01243220000109")),
        ("emit_nome", Some("LEMOS E MARQUES LTDA")), ("emit_uf", Some("RN")),
        ("q_cte", Some("1")), ("v_carga", Some("1562.50")), ("q_carga", Some("15625.0000")),
        ("n_prot", Some("924200000006190")), ("c_stat", Some("100")),
        ("dh_recbto", Some("2020-12-16T11:26:28-03:00")), ("situacao", Some("autorizada")),
    ]);
    assert_eq!(
        children(&env, "mdfe_documento", "tipo, chave_doc", k),
        [[s("cte"), s("24201201243220000109570010000010821799163844")]]
    );
}
}

db_test! {
fn own_ct_e_layouts_4_00_os_and_1_03(db) {
    let env = Env::on(db);
    let run = env.run(&[&fixture("cte")]);
    assert_eq!(run.code(), 1, "the broken twins fail: {}", run.stderr());
    // 4.00 with its protocol; the payer another party named in full (toma4).
    assert_row(&env, "cte", K_CTE, &[
        ("versao", Some("4.00")), ("mod", Some("57")), ("n_ct", Some("501")), ("toma", Some("4")),
        ("toma_cnpj", Some("11222333000181")), ("toma_nome", Some("Operador Logístico Ltda")),
        ("rem_nome", Some("Comércio São João Ltda")), ("dest_nome", Some("Distribuidora Araújo & Filhos S.A.")),
        ("emit_nome", Some("Transportes Rápidos & Cia")),
        ("v_t_prest", Some("262.50")), ("v_icms", Some("31.50")), ("v_carga", Some("309.50")),
        ("pro_pred", Some("CAFÉ E AÇÚCAR")), ("c_stat", Some("100")),
    ]);
    let comp = children(&env, "cte_componente", "n, x_nome", K_CTE);
    assert_eq!(comp, [[s("1"), s("FRETE PESO")], [s("2"), s("PEDAGIO")]]);
    let q = children(&env, "cte_quantidade", "n, c_unid, tp_med", K_CTE);
    assert_eq!(q, [[s("1"), s("01"), s("PESO BRUTO")], [s("2"), s("03"), s("VOLUMES")]]);
    assert_eq!(
        env.column(&format!("SELECT chave_nfe FROM cte_nfe WHERE chave = '{K_CTE}' ORDER BY n")),
        [K_AUTHORIZED, K_BARE]
    );
    // Bare 4.00: the sender pays (toma3 = 0); no protocol.
    assert_row(&env, "cte", K_CTE_BARE, &[
        ("toma", Some("0")), ("toma_cnpj", Some("12345678000195")), ("toma_nome", Some("Comércio São João Ltda")),
        ("cst", Some("90")), ("n_prot", None), ("situacao", None),
    ]);
    // CT-e OS 4.00.
    assert_row(&env, "cte", K_CTE_OS, &[
        ("mod", Some("67")), ("toma_cnpj", Some("33444555000166")), ("toma_nome", Some("Turismo Serra Azul Ltda")),
        ("x_desc_serv", Some("TRANSPORTE DE PASSAGEIROS - FRETAMENTO")), ("v_t_prest", Some("1800.00")),
        ("situacao", Some("autorizada")),
    ]);
    // 1.03: ICMS as CST00, the cargo's value as vMerc, the NF-e key under rem.
    assert_row(&env, "cte", K_CTE_103, &[
        ("versao", Some("1.03")), ("toma_cnpj", Some("98765432000198")), ("cst", Some("00")),
        ("v_icms", Some("11.40")), ("v_carga", Some("4100.00")), ("pro_pred", Some("PECAS")),
    ]);
    assert_eq!(
        env.column(&format!("SELECT chave_nfe FROM cte_nfe WHERE chave = '{K_CTE_103}'")),
        ["35110412345678000195550010000003331000003339"]
    );
    // The broken twins: typed errors naming their file; nothing of theirs is stored.
    for (file, error_type) in [
        ("broken-cte-sem-chave.xml", "cte_missing_key"),
        ("broken-cte-digito-verificador.xml", "cte_bad_check_digit"),
        ("broken-cte-modelo-errado.xml", "cte_invalid_key"),
        ("broken-cte-valor-invalido.xml", "cte_invalid_field"),
        ("broken-cte-truncado.xml", "xml_truncated"),
        ("broken-evento-cte-sem-chave.xml", "cte_missing_key"),
    ] {
        let f = run.file(file);
        assert_eq!(f["status"], "failed", "{file}: {f}");
        assert_eq!(f["kind"], "cte", "{file}: {f}");
        assert_eq!(f["error_type"], error_type, "{file}: {f}");
        assert!(f["error"].as_str().unwrap().contains(file), "{f}");
    }
    assert!(
        run.file("broken-cte-modelo-errado.xml")["error"]
            .as_str()
            .unwrap()
            .contains("has model 55, not CT-e's 57 or 67")
    );
    assert_eq!(env.count("SELECT count(*) FROM cte"), 4);
}
}

db_test! {
fn a_ct_e_cancellation_marks_it_whichever_arrives_first(db) {
    let event = "cte/evento-cancelamento-cte.xml";
    let doc = "cte/cte-v4.00-cteProc.xml";
    let situacao = |env: &Env| env.text(&format!("SELECT (SELECT situacao FROM cte WHERE chave = '{K_CTE}')"));
    // Same batch, the event first in walk order.
    let env = Env::on(db);
    let run = env.run(&[&folder(&env, "lote/a", &[event]), &folder(&env, "lote/b", &[doc])]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(situacao(&env).as_deref(), Some("cancelada"));
    // Separate batches, both orders.
    for (first, second) in [(event, doc), (doc, event)] {
        let env = Env::on(db);
        assert_eq!(env.run(&[&fixture(first)]).code(), 0);
        let before = (first == doc).then_some("autorizada");
        assert_eq!(situacao(&env).as_deref(), before, "{first}");
        assert_eq!(env.run(&[&fixture(second)]).code(), 0);
        assert_eq!(situacao(&env).as_deref(), Some("cancelada"), "{first} then {second}");
    }
    let env = Env::on(db);
    let run = env.run(&[&fixture(event)]);
    assert_eq!(run.file("evento-cancelamento-cte.xml")["kind"], "cte");
    assert_eq!(
        run.file("evento-cancelamento-cte.xml")["key"],
        format!("ID110111{K_CTE}001").as_str()
    );
    assert_eq!(
        env.rows("SELECT tp_evento, x_just, c_stat, n_prot FROM cte_evento"),
        [[s("110111"), s("Frete contratado em duplicidade pelo cliente"), s("135"), s("135260000100099")]]
    );
}
}

db_test! {
fn a_ct_e_and_its_nf_e_in_one_zip_are_linked_in_either_order(db) {
    // docs/tables.md's query.
    let freight = &crate::docs::documented(
        "docs/tables.md",
        "SELECT n.chave, n.v_nf, c.chave AS cte, c.v_t_prest, c.emit_nome AS transportadora
    FROM nfe n JOIN cte_nfe l ON l.chave_nfe = n.chave JOIN cte c ON c.chave = l.chave
    WHERE c.situacao IS DISTINCT FROM 'cancelada'",
    );
    for members in [
        [("a-cte.xml", "cte/cte-v4.00-cteProc.xml"), ("b-nfe.xml", "nfe/nfe-v4-authorized.xml")],
        [("a-nfe.xml", "nfe/nfe-v4-authorized.xml"), ("b-cte.xml", "cte/cte-v4.00-cteProc.xml")],
    ] {
        let env = Env::on(db);
        let zip = zip_of(&env, "frete.zip", &members);
        let run = env.run(&[&zip]);
        assert_eq!(run.code(), 0, "{members:?}: {}", run.stderr());
        let rows = env.rows(freight);
        assert_eq!(rows.len(), 1, "{members:?}: {rows:?}");
        assert_eq!(rows[0][0], s(K_AUTHORIZED), "{members:?}");
        assert_eq!(rows[0][2], s(K_CTE), "{members:?}");
        assert_eq!(rows[0][4], s("Transportes Rápidos & Cia"), "{members:?}");
    }
}
}

db_test! {
fn mdf_e_closing_and_cancellation_whichever_arrives_first(db) {
    let situacao = |env: &Env, k: &str| env.text(&format!("SELECT (SELECT situacao FROM mdfe WHERE chave = '{k}')"));
    // The whole folder: events sort before the documents.
    let env = Env::on(db);
    let run = env.run(&[&fixture("mdfe")]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert_eq!(situacao(&env, K_MDFE).as_deref(), Some("encerrada"));
    assert_eq!(situacao(&env, K_MDFE_NO_NS).as_deref(), Some("cancelada"));
    assert_row(&env, "mdfe", K_MDFE, &[
        ("versao", Some("3.00")), ("modal", Some("1")), ("uf_ini", Some("SP")), ("uf_fim", Some("MG")),
        ("q_cte", Some("1")), ("q_nfe", Some("1")), ("v_carga", Some("309.50")), ("q_carga", Some("150.5000")),
        ("n_prot", Some("135260000100001")), ("c_stat", Some("100")),
    ]);
    assert_eq!(
        children(&env, "mdfe_documento", "tipo, chave_doc", K_MDFE),
        [[s("cte"), s(K_CTE)], [s("nfe"), s(K_AUTHORIZED)]]
    );
    assert_eq!(
        env.rows(&format!("SELECT dt_enc, c_uf_enc, c_mun_enc, c_stat FROM mdfe_evento WHERE chave = '{K_MDFE}'")),
        [[s("2026-10-09"), s("31"), s("3106200"), s("135")]]
    );
    for (file, error_type) in [
        ("broken-mdfe-sem-chave.xml", "mdfe_missing_key"),
        ("broken-mdfe-digito-verificador.xml", "mdfe_bad_check_digit"),
        ("broken-mdfe-modelo-errado.xml", "mdfe_invalid_key"),
        ("broken-mdfe-truncado.xml", "xml_truncated"),
        ("broken-evento-mdfe-sem-chave.xml", "mdfe_missing_key"),
    ] {
        let f = run.file(file);
        assert_eq!(f["kind"], "mdfe", "{file}: {f}");
        assert_eq!(f["error_type"], error_type, "{file}: {f}");
    }
    // The document first, then the closing: authorized, then closed; a cancellation after
    // the closing still wins.
    let env = Env::on(db);
    assert_eq!(env.run(&[&fixture("mdfe/mdfe-v3.00-mdfeProc.xml")]).code(), 0);
    assert_eq!(situacao(&env, K_MDFE).as_deref(), Some("autorizada"));
    assert_eq!(env.run(&[&fixture("mdfe/evento-encerramento-mdfe.xml")]).code(), 0);
    assert_eq!(situacao(&env, K_MDFE).as_deref(), Some("encerrada"));
    // The cancellation of the other MDF-e, before its document.
    assert_eq!(env.run(&[&fixture("mdfe/evento-cancelamento-mdfe.xml")]).code(), 0);
    assert_eq!(env.run(&[&fixture("mdfe/mdfe-v3.00-sem-namespace.xml")]).code(), 0);
    assert_eq!(situacao(&env, K_MDFE_NO_NS).as_deref(), Some("cancelada"));
}
}

db_test! {
fn a_bare_ct_e_cancelled_then_enriched_by_its_cte_proc_stays_cancelled(db) {
    let env = Env::on(db);
    let proc_xml = fs::read_to_string(fixtures().join("cte/cte-v4.00-cteProc.xml")).unwrap();
    let start = proc_xml.find("<CTe ").unwrap();
    let end = proc_xml.find("</CTe>").unwrap() + "</CTe>".len();
    let bare = env.path("bare.xml");
    fs::write(&bare, &proc_xml[start..end]).unwrap();
    assert_eq!(env.run(&[bare.to_str().unwrap()]).code(), 0);
    let row = |env: &Env| {
        env.rows(&format!("SELECT n_prot, situacao FROM cte WHERE chave = '{K_CTE}'"))
    };
    assert_eq!(row(&env), [[None, None]]);
    assert_eq!(env.run(&[&fixture("cte/evento-cancelamento-cte.xml")]).code(), 0);
    assert_eq!(row(&env), [[None, s("cancelada")]]);
    // The cteProc fills in the protocol the bare copy lacked; the cancellation stands.
    let run = env.run(&[&fixture("cte/cte-v4.00-cteProc.xml")]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.file("cte-v4.00-cteProc.xml")["conflict"], "enriched");
    assert_eq!(row(&env), [[s("135260000100001"), s("cancelada")]]);
    assert_eq!(env.count("SELECT count(*) FROM cte_componente"), 2);
}
}
