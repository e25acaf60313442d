//! Reading SQLite's ledger back: a batch's row, the batches (filtered), their files and
//! totals for reports, statistics across batches, and pruning old batches.

use super::*;

impl Sqlite {
    fn info(row: &rusqlite::Row) -> rusqlite::Result<BatchInfo> {
        let inputs: String = row.get("inputs")?;
        Ok(BatchInfo {
            batch_id: row.get("id")?,
            status: row.get("status")?,
            inputs: serde_json::from_str(&inputs).unwrap_or_else(|_| vec![inputs]),
            workers: row.get("workers")?,
            started_at: row.get("started_at")?,
            finished_at: row.get("finished_at")?,
            processing_time_seconds: row.get("processing_time_seconds")?,
            run_started_at: row.get("run_started_at")?,
            earlier_seconds: row.get::<_, Option<f64>>("earlier_seconds")?.unwrap_or(0.0),
            active_at: row.get("active_at")?,
            files: row.get("files")?,
            imported: row.get("imported")?,
            duplicate: row.get("duplicate")?,
            failed: row.get("failed")?,
            unsupported: row.get("unsupported")?,
            rows_rejected: row.get("rows_rejected")?,
            seen: row.get::<_, Option<u64>>("seen")?.unwrap_or(0),
            files_found: row.get::<_, Option<u64>>("files_found")?.unwrap_or(0),
            files_total: row.get("files_total")?,
            files_done: 0,
            pending: None,
            progress_percentage: None,
            files_per_second: None,
            eta_seconds: None,
            notification: Notification::from_column(row.get("notification")?),
            group: None,
            options: row.get("options")?,
            cwd: row.get("cwd")?,
            report: row.get("report")?,
        }
        .with_progress(&crate::time::now_rfc3339()))
    }

    pub(super) fn ledger_batch(&mut self, batch: i64) -> Result<Option<BatchInfo>> {
        Ok(self
            .conn()
            .query_row("SELECT * FROM batches WHERE id = ?1", [batch], Sqlite::info)
            .optional()?)
    }

    pub(super) fn ledger_batches(&mut self, filter: &BatchFilter) -> Result<Vec<BatchInfo>> {
        let q = history::batches(Dialect::Sqlite, "SELECT * FROM batches", filter);
        let mut stmt = self.conn().prepare(&q.sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(&q.params), Sqlite::info)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn ledger_stats(&mut self, since: Option<SystemTime>) -> Result<LedgerStats> {
        // One read transaction: the examples are of the files counted.
        self.in_tx("BEGIN", |conn| {
            let q = history::stats(Dialect::Sqlite, since);
            let mut stats = LedgerStats {
                totals: Totals::new(),
                ..LedgerStats::default()
            };
            let mut last_ids = BTreeMap::new();
            let mut stmt = conn.prepare(&q.sql)?;
            let mut rows = stmt.query(rusqlite::params_from_iter(&q.params))?;
            while let Some(r) = rows.next()? {
                let counts = row_counts(r, 6)?.unwrap_or_default();
                let key = (r.get(1)?, r.get(2)?, r.get(3)?);
                let files = r.get::<_, i64>(4)? as u64;
                stats.add(r.get(0)?, key, files, counts, r.get(5)?, &mut last_ids);
            }
            let ids: Vec<i64> = last_ids.values().copied().collect();
            let mut examples = HashMap::new();
            if !ids.is_empty() {
                let mut stmt = conn.prepare(&history::files_by_id(&ids))?;
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    let example = FailureExample {
                        batch_id: r.get(1)?,
                        path: r.get(2)?,
                        error: r.get(3)?,
                    };
                    examples.insert(r.get::<_, i64>(0)?, example);
                }
            }
            let examples = last_ids
                .into_iter()
                .filter_map(|(t, id)| Some((t, examples.remove(&id)?)))
                .collect();
            stats.rank_failures(examples);
            Ok(stats)
        })
    }

    pub(super) fn ledger_prune(&mut self, prune: &Prune) -> Result<Pruned> {
        // IMMEDIATE: no other writer between choosing the batches and deleting them (the
        // writer of a run waits for this transaction, as for another run's).
        let begin = if prune.dry_run {
            "BEGIN"
        } else {
            "BEGIN IMMEDIATE"
        };
        self.in_tx(begin, |conn| {
            let sql = PruneSql::new(Dialect::Sqlite, false);
            let cutoff = crate::time::rfc3339(prune.before);
            let old: Vec<PruneCandidate> = conn
                .prepare(&sql.candidates)?
                .query_map([cutoff], |r| {
                    Ok(PruneCandidate {
                        id: r.get(0)?,
                        status: r.get(1)?,
                        failed: r.get::<_, i64>(2)? as u64,
                        report: crate::ledger::ReportColumn {
                            batch_id: r.get(0)?,
                            report: r.get(3)?,
                            cwd: r.get(4)?,
                        },
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            let latest: (Option<i64>, Option<i64>) =
                conn.query_row(sql.latest, [], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let latest: Vec<i64> = [latest.0, latest.1].into_iter().flatten().collect();
            let mut pruned = prune.select(&old, &latest);
            if pruned.batch_ids.is_empty() {
                return Ok(pruned);
            }
            let ids = PruneSql::ids(Dialect::Sqlite, &pruned.batch_ids);
            let count = |sql: &str| -> Result<u64> {
                Ok(conn.query_row(sql, [&ids], |r| r.get::<_, i64>(0))? as u64)
            };
            if prune.dry_run {
                pruned.files = count(&sql.count_files)?;
                pruned.rejected_rows = count(&sql.count_rejected)?;
            } else {
                pruned.rejected_rows = conn.execute(&sql.delete_rejected, [&ids])? as u64;
                pruned.files = conn.execute(&sql.delete_files, [&ids])? as u64;
                conn.execute(&sql.delete_batches, [&ids])?;
            }
            Ok(pruned)
        })
    }

    pub(super) fn ledger_totals(&mut self, batch: i64) -> Result<Totals> {
        let mut totals = Totals::new();
        // One pass over the batch's ledger rows, however many counts the report shows.
        let mut stmt = self.conn().prepare_cached(
            "SELECT status, error_type, conflict, count(*), sum(rows), sum(rows_rejected),
                sum(rows_created), sum(rows_updated), sum(rows_unchanged),
                sum(rows_duplicate_in_file)
             FROM files WHERE batch_id = ?1 GROUP BY status, error_type, conflict",
        )?;
        let mut rows = stmt.query([batch])?;
        while let Some(r) = rows.next()? {
            let counts = row_counts(r, 4)?.unwrap_or_default();
            let files = r.get::<_, i64>(3)? as u64;
            totals.add((r.get(0)?, r.get(1)?, r.get(2)?), files, counts);
        }
        let has_pdf: bool = self.conn().query_row(
            &crate::format::pdf::printed_in_batch_sql("?1"),
            [batch],
            |r| r.get(0),
        )?;
        if has_pdf {
            let sql = crate::format::pdf::linked_in_batch_sql("?1");
            let (pdfs, linked) = self.conn().query_row(&sql, [batch], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
            })?;
            totals.pdf_linked = linked;
            totals.pdf_unlinked = pdfs - linked;
        }
        Ok(totals)
    }

    pub(super) fn ledger_for_each_file(
        &mut self,
        batch: i64,
        f: &mut dyn FnMut(FileEntry) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT origin, kind, status, error_type, error, duplicate, duplicate_of, warning,
                duration_ms, size, sha256, key, retries, conflict, id, decimal_separator,
                recorded_at, rows, rows_rejected, rows_created, rows_updated, rows_unchanged,
                rows_duplicate_in_file
             FROM files WHERE batch_id = ?1 ORDER BY origin, id",
        )?;
        let mut rejected = self.conn().prepare_cached(
            "SELECT line, error_type, error FROM rejected_rows WHERE file_id = ?1
             ORDER BY line LIMIT ?2",
        )?;
        let mut by_error_type = self.conn().prepare_cached(
            "SELECT error_type, count(*) FROM rejected_rows WHERE file_id = ?1 GROUP BY error_type",
        )?;
        let mut rows = stmt.query([batch])?;
        while let Some(r) = rows.next()? {
            let counts = row_counts(r, 17)?;
            let id: i64 = r.get(14)?;
            let mut by_type = BTreeMap::new();
            let rejected_rows = if counts.is_some_and(|c| c.listed() > 0) {
                let mut rows = by_error_type.query([id])?;
                while let Some(x) = rows.next()? {
                    by_type.insert(x.get(0)?, x.get::<_, i64>(1)? as u64);
                }
                rejected
                    .query_map([id, REJECTED_SAMPLE as i64], |x| {
                        Ok(RejectedRow {
                            line: x.get::<_, i64>(0)? as u64,
                            error_type: x.get(1)?,
                            error: x.get(2)?,
                        })
                    })?
                    .collect::<rusqlite::Result<_>>()?
            } else {
                Vec::new()
            };
            let key: Option<String> = r.get(11)?;
            let keys = key
                .as_deref()
                .map(|k| k.split(',').map(str::to_owned).collect())
                .unwrap_or_default();
            f(FileEntry {
                path: r.get(0)?,
                kind: r.get(1)?,
                status: r.get(2)?,
                error_type: r.get(3)?,
                error: r.get(4)?,
                duplicate: r.get(5)?,
                duplicate_of: r.get(6)?,
                warning: r.get(7)?,
                duration_ms: r.get(8)?,
                size: r.get::<_, i64>(9)? as u64,
                sha256: r.get(10)?,
                key,
                keys,
                retries: r.get(12)?,
                conflict: r.get(13)?,
                rows: counts,
                rejected_rows_truncated: counts
                    .is_some_and(|c| c.listed() > rejected_rows.len() as u64),
                rejected_rows,
                rejected_rows_by_error_type: by_type,
                decimal_separator: r.get(15)?,
                recorded_at: r.get(16)?,
            })?;
        }
        Ok(())
    }
}

/// The [`RowCounts`] in the six columns from `first`.
fn row_counts(r: &rusqlite::Row, first: usize) -> rusqlite::Result<Option<RowCounts>> {
    let mut v = [None; 6];
    for (i, slot) in v.iter_mut().enumerate() {
        *slot = r.get(first + i)?;
    }
    Ok(RowCounts::from_values(v))
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
        let sql = PruneSql::new(Dialect::Sqlite, false);
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
        let since = Some(SystemTime::UNIX_EPOCH);
        let stats = plan(&history::stats(Dialect::Sqlite, since).sql);
        assert!(stats.contains(by_batch), "{stats}");
        assert!(!stats.contains("SCAN files"), "{stats}");
    }
}
