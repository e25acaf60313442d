//! NFS-e (national standard) end to end: the public samples (fixtures/public, see SOURCES.md)
//! field by field against values read from their XML text, batchimp's own fixture with every
//! withholding, a cancellation in either order, and the broken twins' error types.

use crate::freight::{assert_row, zip_of};
use crate::helpers::{Env, db_test, fixture, folder};

/// fixtures/nfse/nfse-v1.01-retencoes.xml, which evento-cancelamento-nfse.xml cancels.
const K_NFSE: &str = "35503081212345678000195000000000012326100000001231";

db_test! {
fn public_nfse_samples_field_by_field(db) {
    let env = Env::on(db);
    let dir = folder(&env, "in", &[
        "public/nfse-v1.00-prestador-cpf-nfse-php.xml",
        "public/nfse-v1.01-autorizada-nfsen-php-sdk.xml",
    ]);
    let run = env.run(&[&dir]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.total("imported"), 2, "{}", run.stderr());
    assert_eq!(run.file("nfse-v1.00-prestador-cpf-nfse-php.xml")["kind"], "nfse");

    // nfse-php's sample: a provider with a CPF (no CNPJ), ISS not withheld, no withholdings.
    let k = "23140031100006672992383000000000004625120025708585";
    assert_row(&env, "nfse", k, &[
        ("chave_valida", Some("1")), ("versao", Some("1.00")), ("n_nfse", Some("46")),
        ("n_dfse", Some("46")), ("c_stat", Some("100")), ("amb_ger", Some("1")),
        ("tp_amb", Some("1")), ("dh_emi", Some("2025-12-15T11:11:09-03:00")),
        ("dh_proc", Some("2025-12-15T11:11:09-03:00")), ("d_compet", Some("2025-12-15")),
        ("serie", Some("00001")), ("n_dps", Some("46")), ("c_loc_emi", Some("2314003")),
        ("c_loc_incid", Some("2314003")), ("x_loc_incid", Some("VARZEA ALEGRE")),
        ("c_loc_prestacao", Some("2314003")),
        ("prest_cnpj", None), ("prest_cpf", Some("06672992383")), ("prest_im", None),
        ("prest_nome", Some("NAGILA DE SOUSA FREITAS")), ("prest_c_mun", Some("2314003")),
        ("prest_uf", Some("CE")),
        ("toma_cnpj", Some("10237604000100")), ("toma_cpf", None),
        ("toma_nome", Some("FUNDO MUNICIPAL DE SAUDE - VARZEA ALEGRE")),
        ("toma_c_mun", Some("2314003")),
        ("c_trib_nac", Some("040601")), ("c_trib_mun", None), ("c_nbs", Some("123019100")),
        ("v_serv", Some("1850.00")), ("v_desc_incond", None), ("v_ded_red", None),
        ("trib_issqn", Some("1")), ("v_bc", Some("1850.00")), ("p_aliq_aplic", Some("5.00")),
        ("v_issqn", Some("92.50")), ("tp_ret_issqn", Some("2")),
        ("v_pis", None), ("v_ret_irrf", None), ("v_ret_csll", None), ("v_ret_cp", None),
        ("v_total_ret", None), ("v_liq", Some("1757.50")), ("situacao", Some("autorizada")),
    ]);
    let desc = env.text(&format!("SELECT x_desc_serv FROM nfse WHERE chave = '{k}'")).unwrap();
    assert!(desc.starts_with("(VALOR EMPENHADO PARA ATENDER DESPESAS"), "{desc}");
    assert!(desc.ends_with("CONTRATO DE Nº2024.03.06.1,)"), "trimmed: {desc:?}");

    // nfsen-php-sdk's sample (fictitious parties): discounts, PIS/COFINS and the federal
    // withholdings, an intermediary whose address must not be taken for the taker's.
    let k = "33033021211222333000181000000000001026010000010000";
    assert_row(&env, "nfse", k, &[
        ("chave_valida", Some("1")), ("versao", Some("1.01")), ("n_nfse", Some("10")),
        ("n_dfse", Some("9900001")), ("c_stat", Some("100")),
        ("dh_emi", Some("2026-01-15T14:00:00-03:00")), ("dh_proc", Some("2026-01-15T14:30:00-03:00")),
        ("d_compet", Some("2026-01-15")), ("serie", Some("20261")), ("n_dps", Some("5")),
        ("c_loc_emi", Some("3303302")), ("c_loc_incid", Some("3303302")),
        ("prest_cnpj", Some("11222333000181")), ("prest_im", Some("987654")),
        ("prest_nome", Some("EMPRESA EXEMPLO DESENVOLVIMENTO LTDA")),
        ("prest_c_mun", Some("3303302")), ("prest_uf", Some("RJ")),
        ("toma_cnpj", Some("91712343000134")), ("toma_im", Some("654321")),
        ("toma_nome", Some("CLIENTE FICTICIO COMERCIO S.A.")), ("toma_c_mun", Some("3550308")),
        ("c_loc_prestacao", Some("3303302")),
        ("c_trib_nac", Some("010700")), ("c_trib_mun", Some("007")),
        ("x_desc_serv", Some("Desenvolvimento de sistema de gestão empresarial - Contrato #2026-001")),
        ("v_serv", Some("1500.00")), ("v_desc_incond", Some("100.00")), ("v_desc_cond", Some("50.00")),
        ("trib_issqn", Some("1")), ("tp_ret_issqn", Some("2")),
        ("v_bc", Some("1350.00")), ("p_aliq_aplic", Some("2.00")), ("v_issqn", Some("27.00")),
        ("v_pis", Some("9.75")), ("v_cofins", Some("45.00")), ("tp_ret_pis_cofins", None),
        ("v_ret_cp", Some("15.00")), ("v_ret_irrf", Some("22.50")), ("v_ret_csll", Some("15.00")),
        ("v_total_ret", None), ("v_liq", Some("1292.75")),
    ]);
}
}

db_test! {
fn an_nfse_with_withholdings_its_cancellation_either_order_and_broken_twins(db) {
    let env = Env::on(db);
    // The cancellation first: it waits for its NFS-e.
    let run = env.run(&[&fixture("nfse/evento-cancelamento-nfse.xml")]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.file("evento-cancelamento-nfse.xml")["kind"], "nfse");
    assert_eq!(env.count("SELECT count(*) FROM nfse_evento WHERE registrado = 1"), 1);

    let run = env.run(&[&fixture("nfse")]);
    assert_eq!(run.code(), 1, "the broken twins fail: {}", run.stderr());
    assert_row(&env, "nfse", K_NFSE, &[
        ("versao", Some("1.01")), ("n_nfse", Some("123")), ("n_dfse", Some("777")),
        ("dh_proc", Some("2026-10-15T10:20:30-03:00")), ("d_compet", Some("2026-10-01")),
        // The NFS-e's issuer wins over what the DPS says of its provider.
        ("prest_cnpj", Some("12345678000195")), ("prest_im", Some("1234567")),
        ("prest_nome", Some("Consultoria Exemplo & Filhos Ltda")),
        ("toma_cnpj", Some("49929194000284")), ("toma_c_mun", Some("3304557")),
        ("c_trib_nac", Some("170101")), ("c_trib_mun", Some("001")),
        ("x_desc_serv", Some("Consultoria <fiscal> de outubro")),
        ("v_serv", Some("10000.00")), ("v_desc_incond", Some("300.00")), ("v_ded_red", Some("200.00")),
        ("v_bc", Some("9500.00")), ("p_aliq_aplic", Some("5.00")), ("v_issqn", Some("475.00")),
        ("tp_ret_issqn", Some("2")), ("v_pis", Some("65.00")), ("v_cofins", Some("300.00")),
        ("tp_ret_pis_cofins", Some("1")), ("v_ret_cp", Some("110.00")),
        ("v_ret_irrf", Some("150.00")), ("v_ret_csll", Some("100.00")),
        ("v_total_ret", Some("1105.00")), ("v_liq", Some("8395.00")),
        ("situacao", Some("cancelada")),
    ]);
    assert_row(&env, "nfse_evento", K_NFSE, &[
        ("tp_evento", Some("101101")), ("n_ped_reg_evento", Some("1")), ("registrado", Some("1")),
        ("n_seq_evento", Some("1")), ("dh_proc", Some("2026-10-20T09:00:05-03:00")),
        ("dh_evento", Some("2026-10-20T09:00:00-03:00")), ("autor_cnpj", Some("12345678000195")),
        ("c_motivo", Some("1")), ("x_motivo", Some("Servico nao prestado: emitida em duplicidade")),
    ]);
    for (name, error_type) in [
        ("broken-nfse-sem-chave.xml", "nfse_missing_key"),
        ("broken-nfse-chave-invalida.xml", "nfse_invalid_key"),
        ("broken-nfse-digito-verificador.xml", "nfse_bad_check_digit"),
        ("broken-nfse-valor-invalido.xml", "nfse_invalid_field"),
        ("broken-nfse-truncado.xml", "xml_truncated"),
        ("broken-evento-nfse-sem-chave.xml", "nfse_missing_key"),
    ] {
        let f = run.file(name);
        assert_eq!(f["status"], "failed", "{f}");
        assert_eq!(f["error_type"], error_type, "{f}");
    }
    assert!(
        run.file("broken-nfse-valor-invalido.xml")["error"].as_str().unwrap().contains("nfse.v_issqn"),
        "the message names the field"
    );
    assert_eq!(env.count("SELECT count(*) FROM nfse"), 1);

    // The other order, in one ZIP: the NFS-e, then its cancellation as a request alone (not
    // a fact: it cancels nothing), then the registered event.
    let env = Env::on(db);
    let request = env.path("pedido.xml");
    let whole = std::fs::read_to_string(fixture("nfse/evento-cancelamento-nfse.xml")).unwrap();
    let start = whole.find("<pedRegEvento").unwrap();
    let end = whole.find("</pedRegEvento>").unwrap() + "</pedRegEvento>".len();
    let bare = whole[start..end].replacen(
        "<pedRegEvento ",
        "<pedRegEvento xmlns=\"http://www.sped.fazenda.gov.br/nfse\" ",
        1,
    );
    std::fs::write(&request, bare).unwrap();
    let zip = zip_of(&env, "nfse.zip", &[
        ("1-nfse.xml", "nfse/nfse-v1.01-retencoes.xml"),
    ]);
    let run = env.run(&[&zip, request.to_str().unwrap()]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(env.text(&format!("SELECT situacao FROM nfse WHERE chave = '{K_NFSE}'")).as_deref(), Some("autorizada"));
    assert_eq!(env.count("SELECT count(*) FROM nfse_evento WHERE registrado IS NULL"), 1);
    let run = env.run(&[&fixture("nfse/evento-cancelamento-nfse.xml")]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.file("evento-cancelamento-nfse.xml")["conflict"], "enriched", "{}", run.report());
    assert_eq!(env.text(&format!("SELECT situacao FROM nfse WHERE chave = '{K_NFSE}'")).as_deref(), Some("cancelada"));
    assert_eq!(env.count("SELECT count(*) FROM nfse_evento WHERE registrado = 1"), 1);
}
}
