//! Unit tests of catalogs: headers recognised (and near misses named), rows typed or rejected,
//! decimal separators decided, and chunks streamed to the writer.

use super::*;
use crate::error::{ErrorType, FileError};
use crate::format::number::Convention;
use crate::format::{CellRef, Value};

fn load(csv: &str) -> Load {
    Load::new(
        detect(csv.as_bytes(), &NO_MAPPING).expect("a catalog"),
        Data::Bytes(csv.as_bytes().to_vec()),
    )
}

/// Every row's cells as owned values, the rejects, and the summary.
fn read_all(l: &Load) -> (Vec<Vec<Value>>, Vec<Reject>, Result<Summary, FileError>) {
    let (mut rows, mut rejects) = (Vec::new(), Vec::new());
    let summary = read(l, 7, &mut Chunk::default, &mut |c| {
        for i in 0..c.rows() {
            rows.push(
                c.cells(i..i + 1)
                    .map(|cell| match cell {
                        CellRef::Null => Value::Null,
                        CellRef::Int(i) => Value::Int(i),
                        CellRef::Num(f) => Value::Num(f),
                        CellRef::Decimal(f, d) => Value::Decimal(f, d.into()),
                        CellRef::Text(s) => Value::Text(s.into()),
                    })
                    .collect(),
            );
        }
        rejects.extend(c.rejects);
        true
    });
    (rows, rejects, summary)
}

fn rows(csv: &str) -> (Vec<Vec<Value>>, Vec<Reject>, Result<Summary, FileError>) {
    read_all(&load(csv))
}

#[test]
fn headers_in_three_languages_and_four_delimiters() {
    for head in [
        "sku,name,price\n",
        "SKU;Nome;Preço\r\n",
        "Clave\tNombre\tPrecio Unitario\n",
        "ID|Type|SKU|Name|Regular price|Stock\n",
        "\u{feff}Código,Produto,Preço de venda\n",
        "Catálogo de produtos\n\nsku,name,price\n",
    ] {
        assert!(detect(head.as_bytes(), &NO_MAPPING).is_some(), "{head:?}");
    }
    let h = detect(
        b"ID|Type|SKU|Name|Regular price|Stock\n1|x|A|B|2|3\n",
        &NO_MAPPING,
    )
    .unwrap();
    assert_eq!(
        h.layout,
        Layout::Csv {
            delimiter: b'|',
            body: 37
        }
    );
    assert_eq!(
        h.fields,
        vec![None, None, Some(SKU), Some(NAME), Some(PRICE), Some(6)]
    );
}

#[test]
fn headers_from_erps_and_shops() {
    for (head, price) in [
        (
            "Código;Descrição do Produto;Preço de Venda;Stock Quantity\n",
            2,
        ),
        ("sku,name,sell_price\n", 2),
        ("Código do produto;Nome do produto;Preço\n", 2),
        ("item_name,sale_price,sku,selling_price\n", 3),
        // WooCommerce: the sale price (a discount) is not the price.
        ("SKU,Name,Sale price,Regular price\n", 3),
    ] {
        let h = detect(head.as_bytes(), &NO_MAPPING).unwrap_or_else(|| panic!("{head:?}"));
        assert_eq!(h.fields[price], Some(PRICE), "{head:?}");
    }
    let h = detect(
        "Código;Descrição do Produto;Preço de Venda;Stock Quantity\n".as_bytes(),
        &NO_MAPPING,
    )
    .unwrap();
    assert_eq!(h.fields[3], Some(PRODUCT.col("stock")));
}

#[test]
fn headers_with_two_of_sku_name_and_price_say_which_is_missing() {
    let e = near_miss(
        "Código;Descrição;Preço de Venda\n1;Arroz;10,50\n".as_bytes(),
        &NO_MAPPING,
    )
    .expect("a near miss");
    assert_eq!(e.error_type, ErrorType::CatalogMissingColumn);
    assert!(e.message.contains("a product name (name)"), "{}", e.message);
    assert!(
        e.message.contains("--map 'Descrição=name'"),
        "{}",
        e.message
    );
    let e = near_miss(b"sku,name,custo\n", &NO_MAPPING).expect("a near miss");
    assert!(e.message.contains("--map 'custo=price'"), "{}", e.message);
    for head in [
        "codigo;ex;Tipo;descricao;NacionalFederal;ImportadoFederal\n",
        "c_ClaveProdServ,Descripción,Incluir IVA trasladado\n",
        "hello world\n",
        "sku,name,price\n",
    ] {
        assert_eq!(near_miss(head.as_bytes(), &NO_MAPPING), None, "{head:?}");
    }
    // --map fills the missing column: a catalog.
    let mapping = Mapping::new(&[("Descrição".into(), "name".into())], &[]).unwrap();
    assert!(detect("Código;Descrição;Preço de Venda\n".as_bytes(), &mapping).is_some());
}

#[test]
fn reference_tables_and_other_text_are_not_catalogs() {
    for head in [
        "codigo;ex;Tipo;descricao;NacionalFederal;ImportadoFederal\n",
        "c_ClaveProdServ,Descripción,Incluir IVA trasladado\n",
        "sku,name\nA,B\n",
        "hello world\n",
        "",
        "1\n2\n3\n4\n5\n6\n7\nsku,name,price\n",
    ] {
        assert_eq!(detect(head.as_bytes(), &NO_MAPPING), None, "{head:?}");
    }
}

#[test]
fn rows_are_typed_and_bad_ones_rejected_with_their_line() {
    let csv = "Title line\nsku,name,price,stock,lead_time_days\n\
               A1,Dipirona,12.50,10,3\n\
               \"A2\",\"Sabonete, \"\"neutro\"\"\nem barra\",0.99,,\n\
               ,Sem SKU,1.00,1,1\n\
               A4,,1.00,1,1\n\
               A5,Preço BR,\"12,50\",1,1\n\
               A6,Sem preço,,1,1\n\
               A7,Estoque,1.00,muito,1\n\
               A8,Prazo,1.00,1,2.5\n\
               A9,Curta,1.00\n\
               \n\
               A10,Negativo,-1,1,1\n";
    let (rows, rejects, summary) = rows(csv);
    let summary = summary.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0][..7],
        [
            Value::Text("A1".into()),
            Value::Text("Dipirona".into()),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Num(12.5),
            Value::Num(10.0)
        ]
    );
    assert_eq!(rows[0][LINE], Value::Int(3));
    assert_eq!(rows[0][FILE_ID], Value::Int(7));
    assert_eq!(
        rows[1][NAME],
        Value::Text("Sabonete, \"neutro\"\nem barra".into())
    );
    let got: Vec<(u64, &str)> = rejects
        .iter()
        .map(|r| (r.line, r.error_type.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (6, "catalog_missing_sku"),
            (7, "catalog_missing_name"),
            (8, "catalog_bad_price"),
            (9, "catalog_bad_price"),
            (10, "catalog_bad_number"),
            (11, "catalog_bad_number"),
            (12, "catalog_field_count"),
            (14, "catalog_bad_price"),
        ]
    );
    assert_eq!(
        rejects[2].message,
        "line 8: price is written with a decimal comma (1.234,56) where the column uses a \
         decimal point (1,234.56): \"12,50\""
    );
    assert_eq!(rejects[0].message, "line 6: sku is empty");
    assert_eq!(summary.rows, 2);
    assert_eq!(summary.rejected_total(), 8);
}

#[test]
fn messages_quote_at_most_40_characters_of_a_value() {
    let long = "9,".repeat(5000);
    let (_, rejects, _) = rows(&format!("sku,name,price\nA,B,{long:?}\n"));
    assert_eq!(
        rejects[0].message,
        format!("line 2: price is not a number: \"{}...\"", &long[..40])
    );
}

#[test]
fn decimal_separators_are_decided_per_file_and_column() {
    // A Brazilian `;` export: decimal commas, thousands points, currency symbols.
    let (rows_br, rejects, _) =
        rows("sku;nome;preco;estoque\nA;Um;1.234,56;10\nB;Dois;R$ 9,90;1.500\nC;Tres;12;2,5\n");
    assert!(rejects.is_empty(), "{rejects:?}");
    let price = |r: &Vec<Value>| r[PRICE].clone();
    assert_eq!(
        rows_br.iter().map(price).collect::<Vec<_>>(),
        [Value::Num(1234.56), Value::Num(9.9), Value::Num(12.0)]
    );
    assert_eq!(rows_br[1][PRODUCT.col("stock")], Value::Num(1500.0));
    assert_eq!(rows_br[2][PRODUCT.col("stock")], Value::Num(2.5));
    assert_eq!(
        load("sku;nome;preco\nA;Um;1,50\n")
            .header
            .decimal_separator(),
        Some("comma")
    );
    // A `,` file that quotes its prices the American way.
    let (rows_us, _, _) = rows("sku,name,price\nA,One,\"$1,299.00\"\nB,Two,3.5\n");
    assert_eq!(rows_us[0][PRICE], Value::Num(1299.0));
    // `1,234` alone could be either: rejected, saying so, unless a flag decides.
    let (_, rejects, _) = rows("sku,name,price\nA,One,\"1,234\"\nB,Two,7\n");
    assert_eq!(rejects[0].error_type, ErrorType::CatalogBadPrice);
    assert!(
        rejects[0].message.contains("could be read either way"),
        "{}",
        rejects[0].message
    );
    let mut l = load("sku,name,price\nA,One,\"1,234\"\n");
    assert_eq!(l.header.decimal_separator(), None);
    l.header.set_decimal(Convention::Comma);
    let (got, _, _) = read_all(&l);
    assert_eq!(got[0][PRICE], Value::Num(1.234));
}

#[test]
fn unmapped_columns_are_kept_as_json() {
    let (got, _, _) = rows("sku,name,price,Marca,Peso (kg),\nA,One,1,Acme,\"0,5\",x\nB,Two,2,,,\n");
    assert_eq!(
        got[0][EXTRA],
        Value::Text(r#"{"Marca":"Acme","Peso (kg)":"0,5","column 6":"x"}"#.into())
    );
    assert_eq!(got[1][EXTRA], Value::Null);
}

#[test]
fn latin1_fields_are_decoded() {
    let mut csv = b"sku;nome;preco\n".to_vec();
    csv.extend_from_slice(b"X;Sab\xe3o;1.5\n");
    let l = Load::new(detect(&csv, &NO_MAPPING).unwrap(), Data::Bytes(csv.clone()));
    let (got, _, _) = read_all(&l);
    assert_eq!(got[0][NAME], Value::Text("Sabão".into()));
}

#[test]
fn a_catalog_with_no_valid_row_fails() {
    let (_, rejects, summary) = rows("sku,name,price\n,a,1\nb,,1\n");
    assert_eq!(rejects.len(), 2);
    let e = summary.unwrap_err();
    assert_eq!(e.error_type, ErrorType::CatalogNoValidRows);
    assert_eq!(
        e.message,
        "none of its 2 rows is valid (catalog_missing_sku: 1, catalog_missing_name: 1)"
    );
}

#[test]
fn stream_hands_every_chunk_to_the_writer_and_stops_when_it_fails() {
    let mut csv = String::from("sku,name,price\n");
    for i in 0..10_000 {
        csv.push_str(&format!("S{i},n,1\n"));
    }
    let l = load(&csv);
    let mut n = 0;
    let r: Result<_, ()> = stream(&l, 1, &mut |c| {
        n += c.rows();
        Ok(())
    });
    assert_eq!(r.unwrap().unwrap().rows, 10_000);
    assert_eq!(n, 10_000);
    let mut calls = 0;
    let r = stream(&l, 1, &mut |_| {
        calls += 1;
        Err("disk full")
    });
    assert_eq!(r.unwrap_err(), "disk full");
    assert_eq!(calls, 1);
}
