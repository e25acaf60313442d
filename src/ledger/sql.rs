//! What the ledger needs of a database: a statement with its parameters ([`Query`]), run in a
//! transaction ([`Conn::transaction`]), its rows read by column ([`Row`]). Each database
//! implements these three small traits over its own driver; every ledger query is then written
//! once (`ledger::queries`), over the [`Dialect`] that renders its placeholders.

use crate::schema::{ColType, Dialect};
use anyhow::{Context, Result, bail};

/// One value bound to a statement. PostgreSQL gets each as text, cast by its placeholder
/// ([`Dialect::param`]); SQLite binds it natively.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Int(Option<i64>),
    Real(Option<f64>),
    Text(Option<String>),
    /// RFC 3339 text: a `timestamptz` in PostgreSQL.
    Time(Option<String>),
}

impl Param {
    fn ty(&self) -> ColType {
        match self {
            Param::Int(_) => ColType::Integer,
            Param::Real(_) => ColType::Real,
            Param::Text(_) => ColType::Text,
            Param::Time(_) => ColType::Timestamp,
        }
    }

    /// The value as PostgreSQL's driver gets it: text, or NULL.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Param::Int(v) => v.map(|v| v.to_string()),
            Param::Real(v) => v.map(|v| v.to_string()),
            Param::Text(v) | Param::Time(v) => v.clone(),
        }
    }
}

impl From<i64> for Param {
    fn from(v: i64) -> Param {
        Param::Int(Some(v))
    }
}

impl From<u64> for Param {
    fn from(v: u64) -> Param {
        Param::Int(Some(v as i64))
    }
}

impl From<Option<i64>> for Param {
    fn from(v: Option<i64>) -> Param {
        Param::Int(v)
    }
}

impl From<f64> for Param {
    fn from(v: f64) -> Param {
        Param::Real(Some(v))
    }
}

impl From<Option<f64>> for Param {
    fn from(v: Option<f64>) -> Param {
        Param::Real(v)
    }
}

impl From<&str> for Param {
    fn from(v: &str) -> Param {
        Param::Text(Some(v.to_owned()))
    }
}

impl From<String> for Param {
    fn from(v: String) -> Param {
        Param::Text(Some(v))
    }
}

impl From<Option<String>> for Param {
    fn from(v: Option<String>) -> Param {
        Param::Text(v)
    }
}

/// A statement rendered for one dialect, with its parameters in order.
#[derive(Debug, Clone)]
pub struct Query {
    pub sql: String,
    pub params: Vec<Param>,
}

impl Query {
    /// `template` with each `{}` a placeholder for the next of `params`, rendered for `d`
    /// (`?1`, `$1::bigint`). The template is batchimp's own text, never a user's: only the
    /// placeholders are filled in.
    pub fn new(d: Dialect, template: &str, params: Vec<Param>) -> Query {
        let mut parts = template.split("{}");
        let mut sql = parts.next().unwrap_or_default().to_owned();
        for (n, part) in parts.enumerate() {
            let p = params
                .get(n)
                .unwrap_or_else(|| panic!("batchimp bug: {template} lacks parameter {}", n + 1));
            sql.push_str(&d.param(n + 1, p.ty()));
            sql.push_str(part);
        }
        assert_eq!(
            template.matches("{}").count(),
            params.len(),
            "batchimp bug: {template} takes another number of parameters"
        );
        Query { sql, params }
    }

    /// A statement without parameters.
    pub fn text(sql: impl Into<String>) -> Query {
        Query {
            sql: sql.into(),
            params: Vec::new(),
        }
    }
}

/// One row of a result, read by column index.
pub trait Row {
    /// An integer column (a PostgreSQL `boolean` reads as 0 or 1).
    fn int(&self, i: usize) -> Result<Option<i64>>;
    fn real(&self, i: usize) -> Result<Option<f64>>;
    fn text(&self, i: usize) -> Result<Option<String>>;
    /// A BLOB (SQLite) or `bytea` (PostgreSQL) column.
    fn bytes(&self, i: usize) -> Result<Option<Vec<u8>>>;
    /// How many columns the row has.
    fn columns(&self) -> usize;
}

/// Reading non-NULL columns, with a message naming the column that was NULL.
pub trait RowExt: Row {
    fn int_of(&self, i: usize) -> Result<i64> {
        self.int(i)?
            .with_context(|| format!("column {i} is unexpectedly NULL"))
    }
    fn count_of(&self, i: usize) -> Result<u64> {
        Ok(self.int(i)?.unwrap_or(0).max(0) as u64)
    }
    fn text_of(&self, i: usize) -> Result<String> {
        self.text(i)?
            .with_context(|| format!("column {i} is unexpectedly NULL"))
    }
}

impl<R: Row + ?Sized> RowExt for R {}

/// What a transaction is for, which decides how it begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Reads of one moment. PostgreSQL tries it again once on a new connection when the
    /// old one was found lost.
    Read,
    /// Writes of the ledger: SQLite takes the write lock at its start (nothing changes
    /// between what it reads and what it writes); tried again once like `Read`.
    Write,
    /// Many reads that must agree (statistics, a report streamed page by page): one snapshot
    /// (PostgreSQL: REPEATABLE READ, READ ONLY). Never tried again: its rows may already have
    /// gone out.
    Snapshot,
}

/// Statements inside one transaction.
pub trait Tx {
    /// Run a statement; returns the rows it changed.
    fn execute(&mut self, q: &Query) -> Result<u64>;
    /// Run a query, handing each row to `each` as it comes.
    fn query(&mut self, q: &Query, each: &mut dyn FnMut(&dyn Row) -> Result<()>) -> Result<()>;
}

impl dyn Tx + '_ {
    /// The first row's value of `read`, `None` when there is no row.
    pub fn first<T>(
        &mut self,
        q: &Query,
        mut read: impl FnMut(&dyn Row) -> Result<T>,
    ) -> Result<Option<T>> {
        let mut first = None;
        self.query(q, &mut |r| {
            if first.is_none() {
                first = Some(read(r)?);
            }
            Ok(())
        })?;
        Ok(first)
    }

    /// The one row's value of `read`; an error when there is none.
    pub fn one<T>(&mut self, q: &Query, read: impl FnMut(&dyn Row) -> Result<T>) -> Result<T> {
        match self.first(q, read)? {
            Some(v) => Ok(v),
            None => bail!("no row from {}", q.sql),
        }
    }

    /// Every row, each read by `read`.
    pub fn all<T>(
        &mut self,
        q: &Query,
        mut read: impl FnMut(&dyn Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut all = Vec::new();
        self.query(q, &mut |r| {
            all.push(read(r)?);
            Ok(())
        })?;
        Ok(all)
    }
}

/// A database the ledger lives in.
pub trait Conn {
    fn dialect(&self) -> Dialect;
    /// Run `f` in a transaction, committed when it returns `Ok` and rolled back otherwise. A
    /// transaction the writer holds open (SQLite) takes `f`'s statements as they are.
    fn transaction(
        &mut self,
        mode: Mode,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>,
    ) -> Result<()>;
    /// Where the database is, for messages (never with a password).
    fn describe(&self) -> String;
}

impl dyn Conn + '_ {
    /// `f`'s value, from a transaction of its own.
    pub fn with<T>(
        &mut self,
        mode: Mode,
        mut f: impl FnMut(&mut dyn Tx) -> Result<T>,
    ) -> Result<T> {
        let mut out = None;
        self.transaction(mode, &mut |tx| {
            out = Some(f(tx)?);
            Ok(())
        })?;
        out.context("batchimp bug: a transaction ended without its value")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_rendered_for_each_dialect() {
        let q = |d| {
            Query::new(
                d,
                "UPDATE batches SET seen = {} WHERE id = {} AND started_at >= {}",
                vec![3u64.into(), 7i64.into(), Param::Time(Some("x".into()))],
            )
            .sql
        };
        assert_eq!(
            q(Dialect::Sqlite),
            "UPDATE batches SET seen = ?1 WHERE id = ?2 AND started_at >= ?3"
        );
        assert_eq!(
            q(Dialect::Postgres),
            "UPDATE batches SET seen = $1::bigint WHERE id = $2::bigint AND started_at >= $3::timestamptz"
        );
    }

    #[test]
    #[should_panic(expected = "another number of parameters")]
    fn a_template_and_its_parameters_must_agree() {
        Query::new(Dialect::Sqlite, "SELECT {}", vec![1i64.into(), 2i64.into()]);
    }
}
