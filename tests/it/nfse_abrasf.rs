//! Municipal NFS-e (ABRASF) end to end: the public samples (fixtures/public, see SOURCES.md)
//! field by field against values read from their XML text, batchimp's own 2.02 list with a
//! namespace prefix, a cancellation in either order and inside a later copy of its NFS-e, and
//! the broken twins' error types.

use crate::freight::{assert_row, zip_of};
use crate::helpers::{Env, db_test, fixture, folder};

/// The first column of `sql`'s one row.
fn text(env: &Env, sql: &str) -> String {
    env.text(sql).unwrap_or_else(|| panic!("{sql}: NULL"))
}

/// Keys of the public samples, as `chave` joins them: the generating municipality
/// (`OrgaoGerador/CodigoMunicipio`), the provider's CNPJ, the NFS-e's number.
const K_BH: &str = "3106200-99999999000191-200900000000428";
const K_POA: &str = "4314902-99999999000191-201400000000015";
const K_ACBR_V1: &str = "3549805-09922226000158-3104";
const K_ACBR_V2: &str = "5002704-12345678000123-5";
/// batchimp's own: fixtures/nfse/abrasf-v2.02-lista-prefixo.xml, which
/// abrasf-cancelar-resposta.xml cancels (1501), and its provider with a CPF (77).
const K_1501: &str = "4106902-11222333000181-1501";
const K_77: &str = "4106902-52998224725-77";

db_test! {
fn public_abrasf_samples_field_by_field(db) {
    let env = Env::on(db);
    let dir = folder(&env, "in", &[
        "public/nfse-abrasf-v1.00-consultarlote-bh-nfse-java.xml",
        "public/nfse-abrasf-v1.00-gerarnfse-poa-nfse-java.xml",
        "public/nfse-abrasf-v1-cancelada-acbr.xml",
        "public/nfse-abrasf-v2.04-cancelada-acbr.xml",
    ]);
    let run = env.run(&[&dir]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.total("imported"), 4, "{}", run.stderr());
    for name in [
        "nfse-abrasf-v1.00-consultarlote-bh-nfse-java.xml",
        "nfse-abrasf-v1.00-gerarnfse-poa-nfse-java.xml",
        "nfse-abrasf-v1-cancelada-acbr.xml",
        "nfse-abrasf-v2.04-cancelada-acbr.xml",
    ] {
        assert_eq!(run.file(name)["kind"], "nfse_abrasf", "{name}");
    }
    assert_eq!(env.count("SELECT count(*) FROM nfse_abrasf"), 4);
    // The report's key: the NFS-e's, and its cancellation's when its CompNfse holds one.
    assert_eq!(run.file("nfse-abrasf-v1.00-consultarlote-bh-nfse-java.xml")["key"], K_BH);
    assert_eq!(
        run.file("nfse-abrasf-v2.04-cancelada-acbr.xml")["key"],
        format!("{K_ACBR_V2},{K_ACBR_V2}-cancelamento")
    );

    // Belo Horizonte's homologation answer (ABRASF 1.00 in its namespace, inside
    // ConsultarLoteRpsResposta/ListaNfse): ISS withheld, every withholding, an intermediary.
    assert_row(&env, "nfse_abrasf", K_BH, &[
        ("versao", Some("1.00")), ("numero", Some("200900000000428")),
        ("codigo_verificacao", Some("f9989")), ("data_emissao", Some("2009-09-28T09:36:40")),
        ("rps_numero", Some("1")), ("rps_serie", Some("A")), ("rps_tipo", Some("1")),
        ("data_emissao_rps", Some("2009-06-16")), ("natureza_operacao", Some("1")),
        ("regime_especial_tributacao", Some("6")), ("optante_simples_nacional", Some("1")),
        ("incentivo_fiscal", Some("2")), ("competencia", Some("2009-06-16T21:00:00")),
        ("exigibilidade_iss", None), ("nfse_substituida", None), ("nfse_substituidora", None),
        ("v_servicos", Some("1000.00")), ("v_deducoes", Some("10.00")), ("v_pis", Some("10.00")),
        ("v_cofins", Some("10.00")), ("v_inss", Some("10.00")), ("v_ir", Some("10.00")),
        ("v_csll", Some("10.00")), ("iss_retido", Some("1")), ("v_iss", Some("49.00")),
        ("v_iss_retido", Some("49.00")), ("outras_retencoes", Some("10.00")),
        ("base_calculo", Some("980.00")), ("aliquota", Some("5")), ("v_liquido", Some("871.00")),
        ("desconto_incondicionado", Some("10.00")), ("desconto_condicionado", Some("10.00")),
        ("v_credito", None),
        ("item_lista_servico", Some("11.01")), ("codigo_cnae", None),
        // Written with a line break and tabs before its closing tag.
        ("codigo_tributacao_municipio", Some("522310000")),
        ("discriminacao", Some("Teste.")), ("c_mun_prestacao", Some("3106200")),
        ("prest_cnpj", Some("99999999000191")), ("prest_cpf", None),
        ("prest_im", Some("1733160024")), ("prest_nome_fantasia", Some("SIATU - TESTE DE NOME FAN")),
        ("prest_c_mun", Some("3106200")), ("prest_uf", Some("MG")),
        ("toma_cnpj", Some("99999999000191")), ("toma_cpf", None), ("toma_im", Some("1733160032")),
        ("toma_nome", Some("INSCRICAO DE TESTE SIATU - D'AGUA -PAULINO'S")),
        // The taker's address has no municipality.
        ("toma_c_mun", None), ("toma_uf", None),
        ("interm_cnpj", Some("99999999000191")),
        ("interm_nome", Some("INSCRICAO DE TESTE SIATU - D'AGUA -PAULINO'S")),
        ("c_mun_gerador", Some("3106200")), ("uf_gerador", Some("MG")),
        ("situacao", Some("autorizada")),
    ]);
    let name = text(&env, &format!("SELECT prest_nome FROM nfse_abrasf WHERE chave = '{K_BH}'"));
    assert!(name.starts_with("INSCRICAO DE TESTE SIATU - D'AGUA -\n"), "{name:?}");
    assert!(name.ends_with("\tPAULINO'S"), "{name:?}");
    let note = text(&env, &format!("SELECT outras_informacoes FROM nfse_abrasf WHERE chave = '{K_BH}'"));
    assert!(note.starts_with("NFS-e gerada em ambiente de teste. N?O TEM"), "{note:?}");

    // Porto Alegre's answer to GerarNfse (1.00, its namespace): a taker with a CPF, ISS not
    // withheld, an aliquot written as a fraction.
    assert_row(&env, "nfse_abrasf", K_POA, &[
        ("versao", Some("1.00")), ("numero", Some("201400000000015")),
        ("codigo_verificacao", Some("f664a941")), ("data_emissao", Some("2014-11-18T11:05:21")),
        ("rps_numero", Some("201411181158")), ("rps_serie", Some("U")), ("rps_tipo", Some("1")),
        ("data_emissao_rps", Some("2014-11-18")), ("natureza_operacao", Some("1")),
        ("regime_especial_tributacao", None), ("optante_simples_nacional", Some("2")),
        ("incentivo_fiscal", Some("2")), ("competencia", Some("2014-11-18T11:05:08")),
        ("v_servicos", Some("10.00")), ("v_deducoes", None), ("v_pis", None),
        ("iss_retido", Some("2")), ("v_iss", Some("0.20")), ("v_iss_retido", None),
        ("base_calculo", Some("10.00")), ("aliquota", Some("0.02")), ("v_liquido", Some("10.00")),
        ("item_lista_servico", Some("1.06")), ("codigo_tributacao_municipio", Some("10600100")),
        ("discriminacao", Some("Teste")), ("c_mun_prestacao", Some("4314902")),
        ("prest_cnpj", Some("99999999000191")), ("prest_im", Some("99999820")),
        ("prest_nome", Some("Empresa de Testes")),
        ("prest_nome_fantasia", Some("Nome Fantasia da Empresa de Testes")),
        ("prest_c_mun", Some("4314902")), ("prest_uf", Some("RS")),
        ("toma_cnpj", None), ("toma_cpf", Some("98325434015")), ("toma_nome", Some("Diego")),
        ("toma_c_mun", Some("4314902")), ("toma_uf", Some("RS")),
        ("interm_cnpj", None), ("interm_cpf", None), ("interm_nome", None),
        ("c_mun_gerador", Some("4314902")), ("uf_gerador", Some("RS")),
        ("situacao", Some("autorizada")),
    ]);

    // ACBr's ABRASF 1 sample: no namespace, no `versao`; cancelled (Sucesso True, its date) and
    // replaced by NFS-e 300 in its CompNfse.
    assert_row(&env, "nfse_abrasf", K_ACBR_V1, &[
        ("versao", None), ("numero", Some("3104")), ("codigo_verificacao", Some("D12345EFG")),
        ("data_emissao", Some("2022-08-22T16:07:23")), ("rps_numero", Some("357")),
        ("rps_serie", Some("0")), ("rps_tipo", Some("1")), ("data_emissao_rps", Some("2022-08-22")),
        ("natureza_operacao", Some("1")), ("regime_especial_tributacao", Some("1")),
        ("optante_simples_nacional", Some("1")), ("incentivo_fiscal", Some("2")),
        ("competencia", Some("2022-08-22")), ("nfse_substituida", Some("2022")),
        ("nfse_substituidora", Some("300")), ("outras_informacoes", Some("Outras Informações")),
        ("v_servicos", Some("65")), ("v_deducoes", Some("1")), ("v_pis", Some("1")),
        ("v_cofins", Some("1")), ("v_inss", Some("1")), ("v_ir", Some("1")), ("v_csll", Some("1")),
        ("iss_retido", Some("2")), ("v_iss", Some("1")), ("outras_retencoes", Some("1")),
        ("base_calculo", Some("65")), ("aliquota", Some("2.5")), ("v_liquido", Some("39")),
        ("v_iss_retido", Some("10")), ("desconto_condicionado", Some("5")),
        ("desconto_incondicionado", Some("5")), ("v_credito", Some("10")),
        ("item_lista_servico", Some("102")), ("codigo_cnae", Some("12345")),
        ("codigo_tributacao_municipio", Some("01.02.00")),
        // Its `\n` are a backslash and an n, as written.
        ("discriminacao", Some("SERVIÇO TESTE Qtde :1,000 Total R$65,00\\nDinheiro. R$ 65,00 \\nMENSAGEM PADRÃO DA NFSE")),
        ("c_mun_prestacao", Some("3549805")),
        ("prest_cnpj", Some("09922226000158")), ("prest_im", Some("3063260")),
        ("prest_nome", Some("EMITENTE TESTE LTDA")), ("prest_nome_fantasia", Some("EMITENTE TESTE LTDA")),
        ("prest_c_mun", Some("3549805")), ("prest_uf", Some("SP")),
        ("toma_cpf", Some("12345678909")), ("toma_im", Some("1234")),
        ("toma_nome", Some("PANDA TESTES TESTES TESTES TESTES TESTES")),
        ("toma_c_mun", Some("4115200")), ("toma_uf", Some("PR")),
        ("interm_cpf", Some("12345678909")), ("interm_nome", Some("Nome do Intermediario")),
        ("c_mun_gerador", Some("3549805")), ("uf_gerador", Some("SP")),
        ("situacao", Some("cancelada")),
    ]);
    // The cancellation belongs to the NFS-e its CompNfse holds (its own IdentificacaoNfse,
    // test data, names NFS-e 10 of another CNPJ).
    assert_row(&env, "nfse_abrasf_cancelamento", K_ACBR_V1, &[
        ("numero", Some("3104")), ("c_mun", Some("3549805")), ("prest_cnpj", Some("09922226000158")),
        ("prest_im", Some("3063260")), ("codigo_cancelamento", Some("1")),
        ("dh_cancelamento", Some("2022-08-22T16:07:23")),
    ]);

    // ACBr's ABRASF 2.04 sample: no namespace; the municipality's figures (ValoresNfse), the
    // provider's declaration (its CNPJ there only), a foreign taker's NIF, cancelled.
    assert_row(&env, "nfse_abrasf", K_ACBR_V2, &[
        ("versao", Some("2.04")), ("numero", Some("5")), ("codigo_verificacao", Some("B01234A5F")),
        ("data_emissao", Some("2022-10-19T17:21:01.017")), ("nfse_substituida", Some("2022")),
        ("nfse_substituidora", Some("300")), ("outras_informacoes", Some(".")),
        ("base_calculo", Some("15.50")), ("aliquota", Some("5.00")), ("v_iss", Some("0.39")),
        ("v_liquido", Some("15.50")), ("v_credito", Some("10")),
        ("prest_nome", Some("EMITENTE TESTE")), ("prest_nome_fantasia", Some("EMITENTE TESTE")),
        ("prest_c_mun", Some("5300108")), ("prest_uf", Some("DF")),
        ("c_mun_gerador", Some("5002704")), ("uf_gerador", Some("MS")),
        ("rps_numero", Some("4")), ("rps_serie", Some("8")), ("rps_tipo", Some("1")),
        ("data_emissao_rps", Some("2022-10-19")), ("competencia", Some("2022-10-19")),
        ("v_servicos", Some("15.50")), ("v_deducoes", Some("1")), ("v_pis", Some("1")),
        ("v_cofins", Some("1")), ("v_inss", Some("1")), ("v_ir", Some("1")), ("v_csll", Some("1")),
        ("outras_retencoes", Some("1")), ("desconto_incondicionado", Some("1.00")),
        ("desconto_condicionado", Some("1.00")), ("v_iss_retido", None),
        ("iss_retido", Some("2")), ("responsavel_retencao", Some("1")),
        ("item_lista_servico", Some("17.01")), ("codigo_cnae", Some("6399200")),
        ("codigo_tributacao_municipio", Some("170")),
        ("discriminacao", Some("PLANEJAMENTO E PRODUCAO DE PAGINAS ELETRONICAS Obs: - ; Informacoes dos tributos totais incidentes (Lei Federal 12.741/2012). Total R$ = 2,08;")),
        ("c_mun_prestacao", Some("5300108")), ("exigibilidade_iss", Some("1")),
        ("c_mun_incidencia", Some("5300108")), ("natureza_operacao", None),
        ("prest_cnpj", Some("12345678000123")), ("prest_cpf", None), ("prest_im", Some("1234567")),
        ("toma_cpf", Some("12345678901")), ("toma_im", Some("1234567")), ("toma_nif", Some("123")),
        ("toma_nome", Some("TOMADOR TESTE")), ("toma_c_mun", Some("5300108")), ("toma_uf", Some("DF")),
        ("interm_cpf", Some("12345678909")), ("interm_nome", Some("Nome do Intermediario")),
        ("regime_especial_tributacao", Some("1")), ("optante_simples_nacional", Some("2")),
        ("incentivo_fiscal", Some("2")), ("situacao", Some("cancelada")),
    ]);
    assert_row(&env, "nfse_abrasf_cancelamento", K_ACBR_V2, &[
        ("numero", Some("5")), ("c_mun", Some("5002704")), ("prest_cnpj", Some("12345678000123")),
        ("codigo_cancelamento", Some("1")), ("dh_cancelamento", Some("2022-08-22T16:07:23")),
    ]);
    assert_eq!(env.count("SELECT count(*) FROM nfse_abrasf_cancelamento"), 2);
    // Nothing of the national NFS-e's tables.
    assert_eq!(env.count("SELECT count(*) FROM files WHERE kind = 'nfse'"), 0);
}
}

/// fixtures/nfse/abrasf-v2.02-lista-prefixo.xml's NFS-e 1501 has these values.
fn assert_1501(env: &Env, situacao: &str) {
    assert_row(
        env,
        "nfse_abrasf",
        K_1501,
        &[
            ("versao", Some("2.02")),
            ("numero", Some("1501")),
            ("codigo_verificacao", Some("7K2P-QX9A")),
            ("data_emissao", Some("2026-09-10T14:32:05")),
            ("competencia", Some("2026-09-01")),
            ("rps_numero", Some("88")),
            ("rps_serie", Some("A1")),
            ("rps_tipo", Some("1")),
            ("data_emissao_rps", Some("2026-09-09")),
            // ValoresNfse's ISS, not the 99.99 the provider declared.
            ("base_calculo", Some("4800.00")),
            ("aliquota", Some("2.00")),
            ("v_iss", Some("96.00")),
            ("v_liquido", Some("4596.50")),
            ("v_credito", Some("0.00")),
            ("v_servicos", Some("5000.00")),
            ("v_deducoes", Some("200.00")),
            ("v_pis", Some("32.50")),
            ("v_cofins", Some("150.00")),
            ("v_inss", Some("0.00")),
            ("v_ir", Some("75.00")),
            ("v_csll", Some("50.00")),
            ("outras_retencoes", Some("0.00")),
            ("iss_retido", Some("1")),
            ("responsavel_retencao", Some("1")),
            ("item_lista_servico", Some("01.07")),
            ("codigo_cnae", Some("6204000")),
            ("codigo_tributacao_municipio", Some("010700")),
            ("discriminacao", Some("Suporte técnico <mensal> — setembro")),
            ("c_mun_prestacao", Some("4106902")),
            ("exigibilidade_iss", Some("1")),
            ("c_mun_incidencia", Some("4106902")),
            ("prest_cnpj", Some("11222333000181")),
            ("prest_im", Some("4455667")),
            ("prest_nome", Some("Oficina de Software Exemplo & Cia Ltda")),
            ("prest_nome_fantasia", Some("Oficina Exemplo")),
            ("prest_c_mun", Some("4106902")),
            ("prest_uf", Some("PR")),
            ("toma_cnpj", Some("49929194000284")),
            ("toma_nome", Some("Cliente Exemplo Comércio S.A.")),
            ("toma_c_mun", Some("3304557")),
            ("toma_uf", Some("RJ")),
            ("interm_cnpj", Some("60701190000104")),
            ("interm_nome", Some("Intermediária Exemplo Ltda")),
            ("regime_especial_tributacao", Some("6")),
            ("optante_simples_nacional", Some("2")),
            ("incentivo_fiscal", Some("2")),
            ("c_mun_gerador", Some("4106902")),
            ("uf_gerador", Some("PR")),
            ("situacao", Some(situacao)),
        ],
    );
}

db_test! {
fn an_abrasf_list_its_cancellation_either_order_and_broken_twins(db) {
    let env = Env::on(db);
    // The cancellation first: it waits for its NFS-e.
    let run = env.run(&[&fixture("nfse/abrasf-cancelar-resposta.xml")]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let f = run.file("abrasf-cancelar-resposta.xml");
    assert_eq!(f["kind"], "nfse_abrasf");
    assert_eq!(f["key"], format!("{K_1501}-cancelamento"));
    // Its number written with leading zeros names NFS-e 1501.
    assert_row(&env, "nfse_abrasf_cancelamento", K_1501, &[
        ("numero", Some("1501")), ("c_mun", Some("4106902")), ("prest_cnpj", Some("11222333000181")),
        ("prest_cpf", None), ("prest_im", Some("4455667")), ("codigo_cancelamento", Some("2")),
        ("dh_cancelamento", Some("2026-09-15T10:00:00")),
    ]);

    let run = env.run(&[&fixture("nfse")]);
    assert_eq!(run.code(), 1, "the broken twins fail: {}", run.stderr());
    let f = run.file("abrasf-v2.02-lista-prefixo.xml");
    assert_eq!(f["status"], "imported");
    assert_eq!(f["key"], format!("{K_1501},{K_77}"));
    assert_1501(&env, "cancelada");
    // The provider with a CPF only: the key is made of it.
    assert_row(&env, "nfse_abrasf", K_77, &[
        ("numero", Some("77")), ("codigo_verificacao", Some("ab12cd34")),
        ("data_emissao", Some("2026-09-12T09:00:00-03:00")), ("prest_cnpj", None),
        ("prest_cpf", Some("52998224725")), ("prest_nome", Some("Maria Exemplo da Silva")),
        ("toma_cpf", Some("11144477735")), ("toma_nome", Some("João Exemplo")),
        ("v_servicos", Some("350.00")), ("base_calculo", Some("350.00")), ("aliquota", Some("5.00")),
        ("v_iss", Some("17.50")), ("v_liquido", Some("350.00")), ("iss_retido", Some("2")),
        ("responsavel_retencao", None), ("item_lista_servico", Some("08.02")),
        ("discriminacao", Some("Aulas particulares de violão")), ("interm_nome", None),
        ("regime_especial_tributacao", None), ("optante_simples_nacional", Some("1")),
        ("situacao", Some("autorizada")),
    ]);
    for (name, error_type) in [
        ("broken-abrasf-sem-numero.xml", "nfse_abrasf_missing_key"),
        ("broken-abrasf-sem-prestador.xml", "nfse_abrasf_missing_key"),
        ("broken-abrasf-cancelamento-sem-numero.xml", "nfse_abrasf_missing_key"),
        ("broken-abrasf-municipio-invalido.xml", "nfse_abrasf_invalid_key"),
        ("broken-abrasf-valor-invalido.xml", "nfse_abrasf_invalid_field"),
        ("broken-abrasf-truncado.xml", "xml_truncated"),
    ] {
        let f = run.file(name);
        assert_eq!(f["status"], "failed", "{f}");
        assert_eq!(f["kind"], "nfse_abrasf", "{f}");
        assert_eq!(f["error_type"], error_type, "{f}");
    }
    let error = |name: &str| run.file(name)["error"].as_str().unwrap().to_owned();
    assert!(error("broken-abrasf-valor-invalido.xml").contains("nfse_abrasf.v_servicos"));
    assert!(error("broken-abrasf-sem-numero.xml").contains("InfNfse/Numero"));
    assert!(error("broken-abrasf-sem-prestador.xml").contains("CNPJ, CPF or inscrição municipal"));
    assert!(error("broken-abrasf-municipio-invalido.xml").contains("\"31062\""));
    assert_eq!(env.count("SELECT count(*) FROM nfse_abrasf"), 2);

    // The other order, in one ZIP: the NFS-e, then its cancellation.
    let env = Env::on(db);
    let zip = zip_of(&env, "abrasf.zip", &[
        ("1-lista.xml", "nfse/abrasf-v2.02-lista-prefixo.xml"),
        ("2-cancelamento.xml", "nfse/abrasf-cancelar-resposta.xml"),
    ]);
    let run = env.run(&[&zip]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_1501(&env, "cancelada");
    assert_eq!(
        env.count("SELECT count(*) FROM nfse_abrasf WHERE situacao = 'cancelada'"),
        1
    );
}
}

db_test! {
/// An NFS-e downloaded again once cancelled (its CompNfse now holding NfseCancelamento) is the
/// same document, and a duplicate; its cancellation is new, and marks the stored copy.
fn a_later_copy_holding_its_cancellation_cancels_the_stored_one(db) {
    let env = Env::on(db);
    let run = env.run(&[&fixture("nfse/abrasf-v2.02-lista-prefixo.xml")]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_1501(&env, "autorizada");

    let list = std::fs::read_to_string(fixture("nfse/abrasf-v2.02-lista-prefixo.xml")).unwrap();
    let start = list.find("<ns2:CompNfse>").unwrap();
    let end = list.find("</ns2:CompNfse>").unwrap();
    let again = format!(
        "<ns2:ConsultarNfseRpsResposta xmlns:ns2=\"http://www.abrasf.org.br/nfse.xsd\">{}\
         <ns2:NfseCancelamento><ns2:Confirmacao><ns2:Pedido><ns2:InfPedidoCancelamento>\
         <ns2:IdentificacaoNfse><ns2:Numero>1501</ns2:Numero></ns2:IdentificacaoNfse>\
         <ns2:CodigoCancelamento>1</ns2:CodigoCancelamento></ns2:InfPedidoCancelamento>\
         </ns2:Pedido><ns2:DataHora>2026-09-30T08:15:00</ns2:DataHora></ns2:Confirmacao>\
         </ns2:NfseCancelamento></ns2:CompNfse></ns2:ConsultarNfseRpsResposta>",
        &list[start..end]
    );
    let path = env.path("consulta-1501.xml");
    std::fs::write(&path, again).unwrap();
    let run = env.run(&[path.to_str().unwrap()]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let f = run.file("consulta-1501.xml");
    assert_eq!(f["status"], "imported", "{f}");
    assert_1501(&env, "cancelada");
    assert_row(&env, "nfse_abrasf_cancelamento", K_1501, &[
        ("numero", Some("1501")), ("prest_cnpj", Some("11222333000181")),
        ("codigo_cancelamento", Some("1")), ("dh_cancelamento", Some("2026-09-30T08:15:00")),
    ]);
    // The stored NFS-e row is still the first copy's.
    let first = text(&env, &format!("SELECT path FROM nfse_abrasf WHERE chave = '{K_1501}'"));
    assert!(first.ends_with("abrasf-v2.02-lista-prefixo.xml"), "{first}");
}
}
