//! SQLite as the ledger's database ([`Conn`]): statements with native binds, a transaction
//! begun as its [`Mode`] asks (the write lock at once for writes), or the writer's open
//! transaction when it holds one.

use super::*;
use crate::ledger::sql::{Conn, Mode, Param, Query, Row, Tx};

/// A value bound natively.
fn bind(p: &Param) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match p {
        Param::Int(v) => v.map_or(V::Null, V::Integer),
        Param::Real(v) => v.map_or(V::Null, V::Real),
        Param::Text(v) | Param::Time(v) => v.clone().map_or(V::Null, V::Text),
    }
}

impl Row for rusqlite::Row<'_> {
    fn int(&self, i: usize) -> Result<Option<i64>> {
        Ok(self.get(i)?)
    }
    fn real(&self, i: usize) -> Result<Option<f64>> {
        Ok(self.get(i)?)
    }
    fn text(&self, i: usize) -> Result<Option<String>> {
        Ok(self.get(i)?)
    }
    fn bytes(&self, i: usize) -> Result<Option<Vec<u8>>> {
        Ok(self.get(i)?)
    }
    fn columns(&self) -> usize {
        self.as_ref().column_count()
    }
}

/// The sink's connection, lent to the ledger's statements.
struct Borrowed<'a>(&'a Connection);

impl Tx for Borrowed<'_> {
    fn execute(&mut self, q: &Query) -> Result<u64> {
        let mut stmt = self.0.prepare_cached(&q.sql)?;
        Ok(stmt.execute(rusqlite::params_from_iter(q.params.iter().map(bind)))? as u64)
    }

    fn query(&mut self, q: &Query, each: &mut dyn FnMut(&dyn Row) -> Result<()>) -> Result<()> {
        let mut stmt = self.0.prepare_cached(&q.sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(q.params.iter().map(bind)))?;
        while let Some(r) = rows.next()? {
            each(r)?;
        }
        Ok(())
    }
}

impl Conn for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn transaction(
        &mut self,
        mode: Mode,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>,
    ) -> Result<()> {
        let conn = self.conn();
        if !conn.is_autocommit() {
            // The writer's open transaction: its statements join it.
            return f(&mut Borrowed(conn));
        }
        // Writes take the write lock at once: nothing changes between what they read and
        // what they write. Reads see one snapshot from their first statement (WAL).
        let begin = match mode {
            Mode::Write => "BEGIN IMMEDIATE",
            Mode::Read | Mode::Snapshot => "BEGIN",
        };
        conn.execute_batch(begin)?;
        match f(&mut Borrowed(conn)) {
            Ok(()) => Ok(conn.execute_batch("COMMIT")?),
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `prune` and `stats --since` reach a batch's files and their rejected rows through
    /// indexes, never by scanning the ledger (which grows by a row per file imported).
    #[test]
    fn prune_and_stats_find_a_batch_s_rows_by_index() {
        let dir = tempfile::tempdir().unwrap();
        let db = Sqlite::open(&dir.path().join("plan.db")).unwrap();
        let plan = |sql: &str| -> String {
            let mut stmt = db
                .conn()
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap();
            // Plans do not depend on values: a parameter that is there is bound.
            let n = stmt.parameter_count();
            let params = vec!["[1]"; n];
            let rows = stmt
                .query_map(rusqlite::params_from_iter(params), |r| {
                    r.get::<_, String>(3)
                })
                .unwrap();
            rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
        };
        let sql = crate::ledger::history::PruneSql::new(Dialect::Sqlite, false);
        // Covering or not is the planner's choice; the index is what matters.
        let by_batch = "INDEX files_batch_origin_stat (batch_id=?)";
        let by_file = "INDEX rejected_rows_file (file_id=?)";
        for (sql, uses) in [
            (&sql.delete_rejected, &[by_file, by_batch][..]),
            (&sql.count_rejected, &[by_file, by_batch]),
            (&sql.delete_files, &[by_batch]),
            (&sql.count_files, &[by_batch]),
            (
                &sql.delete_batches,
                &["USING INTEGER PRIMARY KEY (rowid=?)"],
            ),
        ] {
            let plan = plan(sql);
            for index in uses {
                assert!(plan.contains(index), "{sql}:\n{plan}");
            }
            assert!(!plan.contains("SCAN files"), "{sql}:\n{plan}");
            assert!(!plan.contains("SCAN rejected_rows"), "{sql}:\n{plan}");
        }
        let since = Some(std::time::SystemTime::UNIX_EPOCH);
        let stats = plan(&crate::ledger::history::stats(Dialect::Sqlite, since).sql);
        assert!(stats.contains(by_batch), "{stats}");
        assert!(!stats.contains("SCAN files"), "{stats}");
    }
}
