//! The writer's hot statements, prepared once and kept for the connection's life.
//!
//! A statement from rusqlite's cache is looked up by hashing its text, and every parameter is
//! cleared when it goes back (672 for a statement of 16 items), so a row binds only what it
//! sets. A kept statement keeps its bindings between executions instead: a row binds what it
//! sets and unbinds only what the previous row set and it leaves empty. Consecutive rows of a
//! table mostly fill the same columns, so that is rarely more than the binds themselves.

use crate::format::Table;
use crate::sink::schema::upsert_clause;
use anyhow::Result;
use rusqlite::{Connection, Statement, ToSql};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

self_cell::self_cell!(
    /// The connection with the statements kept for its life ([`Kept`]); the statements go
    /// before the connection.
    pub(super) struct Db {
        owner: Connection,
        #[covariant]
        dependent: Held,
    }
);

pub(super) type Held<'c> = HashMap<Key, Kept<'c>>;

/// Which kept statement.
#[derive(Clone, Copy)]
pub(super) enum Key {
    /// One row of a table; for a table with a key, skipped when its key is stored.
    Insert(&'static Table),
    /// `k` rows of a table in one statement (child rows: no key).
    Rows(&'static Table, usize),
    /// `k` rows of a keyed table, a row whose key is stored replacing its values.
    Upsert(&'static Table, usize),
}

impl Key {
    fn id(&self) -> (u8, &'static str, usize) {
        match *self {
            Key::Insert(t) => (0, t.name, 1),
            Key::Rows(t, k) => (1, t.name, k),
            Key::Upsert(t, k) => (2, t.name, k),
        }
    }

    fn sql(&self) -> String {
        match *self {
            Key::Insert(t) => insert_sql(t),
            Key::Rows(t, k) => insert_rows_sql(t, k),
            Key::Upsert(t, k) => upsert_sql(t, k),
        }
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.id() == other.id()
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.id().hash(h)
    }
}

impl Db {
    /// Run `run` with the kept statement `key`, prepared on first use.
    pub(super) fn kept<T>(
        &mut self,
        key: Key,
        run: impl FnOnce(&mut Kept<'_>) -> Result<T>,
    ) -> Result<T> {
        self.with_dependent_mut(|conn, held| {
            let kept = match held.entry(key) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let stmt = conn.prepare(&key.sql())?;
                    let bound = vec![false; stmt.parameter_count()];
                    e.insert(Kept { stmt, bound })
                }
            };
            run(kept)
        })
    }
}

/// A prepared statement with the parameters it holds a value for.
pub(super) struct Kept<'c> {
    stmt: Statement<'c>,
    bound: Vec<bool>,
}

impl Kept<'_> {
    /// Execute with `cells` as every parameter in order, `None` for NULL; the rows changed.
    pub(super) fn execute(
        &mut self,
        cells: impl Iterator<Item = Option<impl ToSql>>,
    ) -> Result<usize> {
        let mut n = 0;
        for (cell, bound) in cells.zip(self.bound.iter_mut()) {
            n += 1;
            match cell {
                Some(cell) => {
                    // Set first: a bind that fails leaves the parameter to be cleared next time.
                    *bound = true;
                    self.stmt.raw_bind_parameter(n, cell)?;
                }
                None if *bound => {
                    *bound = false;
                    self.stmt.raw_bind_parameter(n, rusqlite::types::Null)?;
                }
                None => {}
            }
        }
        debug_assert_eq!(n, self.bound.len(), "a value for every parameter");
        Ok(self.stmt.raw_execute()?)
    }
}

/// An insert of `k` rows at once (child tables: no key, no conflict; [`insert_sql`] adds the
/// conflict clause for one row of a keyed table).
fn insert_rows_sql(t: &Table, k: usize) -> String {
    let cols: Vec<String> = t
        .columns
        .iter()
        .map(|c| format!("\"{}\"", c.name))
        .collect();
    let n = t.columns.len();
    // Anonymous parameters, numbered in order by SQLite.
    let row = format!("({})", vec!["?"; n].join(","));
    let rows = vec![row; k];
    format!(
        "INSERT INTO \"{}\" ({}) VALUES {}",
        t.name,
        cols.join(", "),
        rows.join(",")
    )
}

/// The insert of one row; for a table with a key, a row whose key exists already is skipped
/// (the caller sees 0 rows changed).
fn insert_sql(t: &Table) -> String {
    let on_conflict = if t.primary_key.is_empty() {
        ""
    } else {
        " ON CONFLICT DO NOTHING"
    };
    format!("{}{on_conflict}", insert_rows_sql(t, 1))
}

/// An insert of `k` rows into a keyed table where a row whose key is stored already replaces
/// the stored values.
fn upsert_sql(t: &Table, k: usize) -> String {
    format!("{} {}", insert_rows_sql(t, k), upsert_clause(t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ColType, col};

    static T: Table = Table {
        name: "t",
        columns: &[col("a", ColType::Integer), col("b", ColType::Text)],
        ..Table::BASE
    };

    /// A kept statement holds the previous row's values: a column the next row leaves empty
    /// must be stored NULL, not the value before it.
    #[test]
    fn a_value_the_next_row_leaves_empty_is_not_carried_over() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (a, b)").unwrap();
        let mut db = Db::new(conn, |_| HashMap::new());
        let mut insert = |key: Key, rows: &[(i64, Option<&str>)]| {
            let cells = rows.iter().flat_map(|&(a, b)| {
                [
                    Some(rusqlite::types::Value::Integer(a)),
                    b.map(|b| b.to_owned().into()),
                ]
            });
            db.kept(key, |s| s.execute(cells)).unwrap()
        };
        assert_eq!(insert(Key::Insert(&T), &[(1, Some("x"))]), 1);
        assert_eq!(insert(Key::Insert(&T), &[(2, None)]), 1);
        assert_eq!(
            insert(Key::Rows(&T, 2), &[(3, Some("y")), (4, Some("z"))]),
            2
        );
        assert_eq!(insert(Key::Rows(&T, 2), &[(5, None), (6, Some("w"))]), 2);
        let stored: Vec<(i64, Option<String>)> = db
            .borrow_owner()
            .prepare("SELECT a, b FROM t ORDER BY a")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let b = |s: &str| Some(s.to_owned());
        let expected = [
            (1, b("x")),
            (2, None),
            (3, b("y")),
            (4, b("z")),
            (5, None),
            (6, b("w")),
        ];
        assert_eq!(stored, expected);
    }
}
