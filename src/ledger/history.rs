//! Queries over the ledger's history, written once for both dialects: which batches `list`
//! shows, what `stats` adds up, what `prune` removes. The statements are the same for both
//! but for the parameters' spelling (`?1`, `$1::timestamptz`).
//!
//! Times are compared as the ledger stores them: RFC 3339 text in UTC with milliseconds in
//! SQLite (which compares such text in time order, every row having the same shape), and
//! `timestamptz` in PostgreSQL, given the same text.

use super::sql::{Param, Query};
use crate::ledger::BatchFilter;
use crate::schema::ColType;
use crate::schema::Dialect;
use std::fmt::Write as _;

/// `WHERE ...` on `batches` for a filter (empty when it keeps every batch), its parameters
/// numbered from 1.
fn batch_where(d: Dialect, filter: &BatchFilter) -> (String, Vec<Param>) {
    let mut conds = Vec::new();
    let mut params = Vec::new();
    if !filter.statuses.is_empty() {
        // The names come from an enum, never from the user's text: spelled out.
        let names: Vec<String> = filter
            .statuses
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        conds.push(format!("status IN ({})", names.join(", ")));
    }
    if let Some(since) = filter.since {
        params.push(Param::Time(Some(crate::time::rfc3339(since))));
        conds.push(format!(
            "started_at >= {}",
            d.param(params.len(), ColType::Timestamp)
        ));
    }
    if conds.is_empty() {
        (String::new(), params)
    } else {
        (format!(" WHERE {}", conds.join(" AND ")), params)
    }
}

/// The batches a filter keeps, newest first: `select` (`SELECT ... FROM batches`) with the
/// filter's conditions and limit.
pub fn batches(d: Dialect, select: &str, filter: &BatchFilter) -> Query {
    let (cond, params) = batch_where(d, filter);
    let mut sql = format!("{select}{cond} ORDER BY id DESC");
    if let Some(n) = filter.limit {
        let _ = write!(sql, " LIMIT {n}");
    }
    Query { sql, params }
}

/// The files of the batches started since a time (all files without one), counted by kind,
/// status, error type and conflict, with their catalog rows and the highest file id of each
/// group (to find an example of each error type). The files of a batch are found by the
/// index that leads with `batch_id`.
pub fn stats(d: Dialect, since: Option<std::time::SystemTime>) -> Query {
    let filter = BatchFilter {
        since,
        ..BatchFilter::default()
    };
    let (cond, params) = batch_where(d, &filter);
    let scope = if cond.is_empty() {
        String::new()
    } else {
        format!(" WHERE batch_id IN (SELECT id FROM batches{cond})")
    };
    // CAST: PostgreSQL's sum of bigints is a numeric; SQLite takes it as a no-op.
    let sums: Vec<String> = crate::ledger::RowCounts::COLUMNS
        .iter()
        .map(|c| format!("CAST(sum({c}) AS bigint)"))
        .collect();
    Query {
        sql: format!(
            "SELECT kind, status, error_type, conflict, count(*), max(id), {}
             FROM files{scope} GROUP BY kind, status, error_type, conflict",
            sums.join(", ")
        ),
        params,
    }
}

/// The files whose ids are given (examples of failures): id, batch, origin, error.
pub fn files_by_id(ids: &[i64]) -> String {
    // Ids read from the database a moment ago, as numbers: spelled out.
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!(
        "SELECT id, batch_id, origin, error FROM files WHERE id IN ({})",
        ids.join(", ")
    )
}

/// Statements of `prune`, in one transaction: the candidates and the newest ids are read
/// (locking the candidates' rows in PostgreSQL, so that a `resume` reopening one waits), the
/// choice is made ([`crate::ledger::Prune::select`]), then the chosen batches' rows go, each
/// table with one statement over the list of batch ids ([`PruneSql::ids`], the one parameter
/// of every statement but the first).
pub struct PruneSql {
    /// Batches that ended before the cutoff (`$1`/`?1`): id, status, failed files.
    pub candidates: String,
    /// The highest batch id, and the batch holding the highest file id.
    pub latest: &'static str,
    /// How many files and rejected rows the batches hold (`--dry-run`).
    pub count_files: String,
    pub count_rejected: String,
    /// The deletes, children first: rejected rows (by `rejected_rows_file`), files (by
    /// `files_batch_origin_stat`, which leads with `batch_id`), batches (by primary key).
    pub delete_rejected: String,
    pub delete_files: String,
    pub delete_batches: String,
}

impl PruneSql {
    pub fn new(d: Dialect, lock: bool) -> PruneSql {
        // A list of ids in one parameter: a JSON array for SQLite, an array for PostgreSQL.
        let in_ids = match d {
            Dialect::Sqlite => "IN (SELECT value FROM json_each(?1))",
            Dialect::Postgres => "= ANY ($1::bigint[])",
        };
        let files_of = format!("SELECT id FROM files WHERE batch_id {in_ids}");
        let lock = if lock && d == Dialect::Postgres {
            " FOR UPDATE"
        } else {
            ""
        };
        PruneSql {
            candidates: format!(
                "SELECT id, status, failed, report, cwd FROM batches
                 WHERE coalesce(finished_at, started_at) < {} ORDER BY id{lock}",
                d.param(1, ColType::Timestamp)
            ),
            latest: "SELECT (SELECT max(id) FROM batches),
                        (SELECT batch_id FROM files ORDER BY id DESC LIMIT 1)",
            count_files: format!("SELECT count(*) FROM files WHERE batch_id {in_ids}"),
            count_rejected: format!(
                "SELECT count(*) FROM rejected_rows WHERE file_id IN ({files_of})"
            ),
            delete_rejected: format!("DELETE FROM rejected_rows WHERE file_id IN ({files_of})"),
            delete_files: format!("DELETE FROM files WHERE batch_id {in_ids}"),
            delete_batches: format!("DELETE FROM batches WHERE id {in_ids}"),
        }
    }

    /// The parameter naming the batches to prune.
    pub fn ids(d: Dialect, ids: &[i64]) -> String {
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        match d {
            Dialect::Sqlite => format!("[{}]", list.join(",")),
            Dialect::Postgres => format!("{{{}}}", list.join(",")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::BatchStatus;

    #[test]
    fn filters_render_per_dialect() {
        let filter = BatchFilter {
            statuses: vec![BatchStatus::Failed, BatchStatus::Cancelled],
            since: Some(std::time::SystemTime::UNIX_EPOCH),
            limit: Some(20),
        };
        let q = batches(Dialect::Postgres, "SELECT id FROM batches", &filter);
        assert_eq!(
            q.sql,
            "SELECT id FROM batches WHERE status IN ('failed', 'cancelled') \
             AND started_at >= $1::timestamptz ORDER BY id DESC LIMIT 20"
        );
        assert_eq!(
            q.params,
            [Param::Time(Some("1970-01-01T00:00:00.000Z".into()))]
        );
        let q = batches(
            Dialect::Sqlite,
            "SELECT id FROM batches",
            &BatchFilter::latest(),
        );
        assert_eq!(q.sql, "SELECT id FROM batches ORDER BY id DESC LIMIT 1");
        assert!(q.params.is_empty());
        assert!(!stats(Dialect::Sqlite, None).sql.contains("WHERE"));
        assert!(
            stats(Dialect::Sqlite, filter.since)
                .sql
                .contains("WHERE batch_id IN (SELECT id FROM batches WHERE started_at >= ?1)")
        );
        assert_eq!(PruneSql::ids(Dialect::Sqlite, &[1, 2]), "[1,2]");
        assert_eq!(PruneSql::ids(Dialect::Postgres, &[1, 2]), "{1,2}");
    }
}
