//! PostgreSQL as the ledger's database ([`Conn`]): every parameter sent as text and cast by
//! its placeholder, each transaction naming the schema (`SET LOCAL search_path`), a connection
//! found lost made again and the transaction tried once more (unless its rows may already
//! have gone out).

use super::{Postgres, texts};
use crate::ledger::sql::{Conn, Mode, Query, Row, Tx};
use crate::schema::Dialect;
use anyhow::{Result, bail};
use postgres::Client;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::Type;

impl Row for postgres::Row {
    fn int(&self, i: usize) -> Result<Option<i64>> {
        Ok(match *self.columns()[i].type_() {
            Type::INT8 => self.try_get(i)?,
            Type::INT4 => self.try_get::<_, Option<i32>>(i)?.map(i64::from),
            Type::INT2 => self.try_get::<_, Option<i16>>(i)?.map(i64::from),
            Type::BOOL => self.try_get::<_, Option<bool>>(i)?.map(i64::from),
            ref other => bail!("column {i} is {other}, not an integer"),
        })
    }

    fn real(&self, i: usize) -> Result<Option<f64>> {
        Ok(match *self.columns()[i].type_() {
            Type::FLOAT8 => self.try_get(i)?,
            Type::FLOAT4 => self.try_get::<_, Option<f32>>(i)?.map(f64::from),
            _ => self.int(i)?.map(|v| v as f64),
        })
    }

    fn text(&self, i: usize) -> Result<Option<String>> {
        Ok(self.try_get(i)?)
    }

    fn bytes(&self, i: usize) -> Result<Option<Vec<u8>>> {
        Ok(self.try_get(i)?)
    }

    fn columns(&self) -> usize {
        self.len()
    }
}

/// The connection inside an open transaction.
struct Open<'a>(&'a mut Client);

impl Tx for Open<'_> {
    fn execute(&mut self, q: &Query) -> Result<u64> {
        let params: Vec<Option<String>> = q.params.iter().map(|p| p.as_text()).collect();
        Ok(self.0.execute_typed(&q.sql, &texts(&params))?)
    }

    fn query(&mut self, q: &Query, each: &mut dyn FnMut(&dyn Row) -> Result<()>) -> Result<()> {
        let params: Vec<Option<String>> = q.params.iter().map(|p| p.as_text()).collect();
        let mut rows = self.0.query_typed_raw(&q.sql, texts(&params))?;
        while let Some(r) = rows.next()? {
            each(&r)?;
        }
        Ok(())
    }
}

impl Conn for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn transaction(
        &mut self,
        mode: Mode,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>,
    ) -> Result<()> {
        let begin = match mode {
            Mode::Snapshot => self.sql.snapshot.clone(),
            Mode::Read | Mode::Write => self.sql.begin.clone(),
        };
        let mut attempt = 0;
        loop {
            let client = self.client()?;
            let result = client
                .batch_execute(&begin)
                .map_err(anyhow::Error::from)
                .and_then(|()| f(&mut Open(client)))
                .and_then(|()| Ok(client.batch_execute("COMMIT")?));
            let Err(e) = result else {
                return Ok(());
            };
            if !client.is_closed() {
                let _ = client.batch_execute("ROLLBACK");
                return Err(e);
            }
            self.client = None;
            attempt += 1;
            if attempt >= 2 || mode == Mode::Snapshot {
                return Err(e);
            }
        }
    }

    fn describe(&self) -> String {
        self.target.describe()
    }
}
