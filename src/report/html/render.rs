//! The page itself: each section (the batch, the counts, catalog rows, failures by type, parse
//! times, throughput, the slowest files, the failures table) written as HTML from the
//! aggregates, every ledger string escaped.

use super::aggregate::{Aggregate, DURATION_BINS, DURATION_EDGES_MS, slow_time};
use super::assets::{SCRIPT_BODY, SCRIPT_HEAD, STYLE, csp};
use super::charts::{Column, column_chart, row_chart};
use super::text::{bytes, count, edge, esc, instant, ms, seconds, width};
use super::{MAX_MESSAGE, SHOW_SLOWEST};
use crate::ledger::{BatchInfo, Status, Totals};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// The whole page.
pub fn render(batch: &BatchInfo, totals: &Totals, database: &str, agg: &Aggregate) -> String {
    let mut s = String::with_capacity(64 * 1024 + agg.failed.len() * 400);
    let mut charts = 0;
    let title = format!("batchimp report: batch {}", batch.batch_id);
    let body = render_body(batch, totals, database, agg, &mut charts);
    let _ = write!(
        s,
        concat!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
            "<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
            "<meta name=\"generator\" content=\"batchimp {version}\">\n",
            "<title>{title}</title>\n<style>{style}</style>\n<script>{head}</script>\n</head>\n",
            "<body data-rendered=\"pending\" data-errors=\"\" data-charts=\"{charts}\">\n<main>\n",
            "{body}</main>\n<script>{script}</script>\n</body>\n</html>\n"
        ),
        csp = csp(),
        version = env!("CARGO_PKG_VERSION"),
        title = esc(&title),
        style = STYLE,
        head = SCRIPT_HEAD,
        charts = charts,
        body = body,
        script = SCRIPT_BODY,
    );
    s
}

fn render_body(
    batch: &BatchInfo,
    totals: &Totals,
    database: &str,
    agg: &Aggregate,
    charts: &mut usize,
) -> String {
    let mut s = String::new();
    header(&mut s, batch, database, agg);
    counts(&mut s, batch, totals, agg);
    catalog_rows(&mut s, totals, agg);
    failures_by_type(&mut s, totals, charts);
    durations(&mut s, agg, charts);
    throughput(&mut s, agg, charts);
    slowest(&mut s, agg);
    failed_files(&mut s, totals, agg);
    s
}

fn header(s: &mut String, batch: &BatchInfo, database: &str, agg: &Aggregate) {
    let time = batch
        .processing_time_seconds
        .map_or("still running".to_owned(), seconds);
    // A completed batch with failed files (or rejected rows) is not all green: the badge says
    // how many failed, in the colour of something to look at.
    let (class, text) = match (batch.failed, batch.rows_rejected) {
        (0, 0) => (esc(&batch.status), esc(&batch.status)),
        (failed, rejected) if batch.status == "completed" => {
            let mut text = format!("completed, {failed} failed");
            if rejected > 0 {
                text.push_str(&format!(", {rejected} rows rejected"));
            }
            ("partial".to_owned(), text)
        }
        _ => (esc(&batch.status), esc(&batch.status)),
    };
    let _ = write!(
        s,
        r#"<header><h1>Batch {id} <span class="badge {class}" id="batch-status">{text}</span></h1>"#,
        id = batch.batch_id,
    );
    s.push_str("<dl>");
    let mut row = |k: &str, v: &str| {
        let _ = write!(s, "<dt>{k}</dt><dd>{}</dd>", esc(v));
    };
    row("database", database);
    row("inputs", &batch.inputs.join(" "));
    row("started", &batch.started_at);
    row("finished", batch.finished_at.as_deref().unwrap_or("-"));
    row("duration", &time);
    row("workers", &batch.workers.to_string());
    row("size", &bytes(agg.bytes));
    row(
        "worker time",
        &format!("{} reading and parsing", ms(agg.parse_ms)),
    );
    s.push_str("</dl></header>\n");
}

fn counts(s: &mut String, batch: &BatchInfo, totals: &Totals, agg: &Aggregate) {
    s.push_str(r#"<section id="counts"><h2>Files</h2><div class="cards">"#);
    let _ = write!(
        s,
        r#"<div class="card" data-status="files"><span class="n">{}</span>files</div>"#,
        count(totals.files)
    );
    for st in Status::ALL {
        let n = totals.by_status.get(st.as_str()).copied().unwrap_or(0);
        let _ = write!(
            s,
            r#"<div class="card {st}" data-status="{st}"><span class="n">{}</span>{st}</div>"#,
            count(n),
            st = st.as_str()
        );
    }
    s.push_str("</div>\n");
    if totals.files != batch.files {
        let _ = write!(
            s,
            r#"<p class="note">The batch row counts {} files; the ledger now holds {} (the batch is still running, or was resumed).</p>"#,
            count(batch.files),
            count(totals.files)
        );
    }
    if !totals.by_conflict.is_empty() {
        let list: Vec<String> = totals
            .by_conflict
            .iter()
            .map(|(c, n)| format!("{} {}", count(*n), esc(c)))
            .collect();
        let _ = write!(
            s,
            r#"<p class="note">Stored copies met: {} (see <code>--on-conflict</code>).</p>"#,
            list.join(", ")
        );
    }
    if !agg.by_kind.is_empty() {
        s.push_str(r#"<table id="kinds"><thead><tr><th>kind</th>"#);
        for st in Status::ALL {
            let _ = write!(s, r#"<th class="n">{}</th>"#, st.as_str());
        }
        s.push_str(r#"<th class="n">files</th></tr></thead><tbody>"#);
        for (kind, by) in &agg.by_kind {
            let _ = write!(s, "<tr><td>{}</td>", esc(kind));
            for n in by {
                let _ = write!(s, r#"<td class="n">{}</td>"#, count(*n));
            }
            let _ = write!(s, r#"<td class="n">{}</td></tr>"#, count(by.iter().sum()));
        }
        s.push_str("</tbody></table>");
    }
    s.push_str("</section>\n");
}

fn catalog_rows(s: &mut String, totals: &Totals, agg: &Aggregate) {
    let r = &totals.rows;
    if agg.catalogs == 0 && r.rows + r.rows_rejected == 0 {
        return;
    }
    let _ = write!(
        s,
        r#"<section id="catalog"><h2>Rows of catalogs and SAT metadata</h2><p>{} file(s) of rows imported.</p><table><tbody>"#,
        count(agg.catalogs)
    );
    for (name, n) in [
        ("rows", r.rows + r.rows_rejected),
        ("created", r.rows_created),
        ("updated", r.rows_updated),
        ("unchanged", r.rows_unchanged),
        ("duplicate in file", r.rows_duplicate_in_file),
        ("rejected", r.rows_rejected),
    ] {
        let _ = write!(
            s,
            r#"<tr data-rows="{name}"><td>{name}</td><td class="n">{}</td></tr>"#,
            count(n)
        );
    }
    s.push_str("</tbody></table>");
    if !agg.rejected_rows.is_empty() {
        s.push_str(
            r#"<h2 class="sub">Rows rejected or replaced, by error type</h2><table><tbody>"#,
        );
        for (t, n) in &agg.rejected_rows {
            let _ = write!(
                s,
                r#"<tr><td class="type">{}</td><td class="n">{}</td></tr>"#,
                esc(t),
                count(*n)
            );
        }
        s.push_str(r#"</tbody></table><p class="note">Every row is in the <code>rejected_rows</code> table; <code>batchimp report --json</code> lists the first 1,000 of each file.</p>"#);
    }
    s.push_str("</section>\n");
}

fn failures_by_type(s: &mut String, totals: &Totals, charts: &mut usize) {
    s.push_str(r#"<section id="failures-by-type"><h2>Failures by error type</h2>"#);
    if totals.by_error_type.is_empty() {
        s.push_str(r#"<p class="muted">No file failed.</p>"#);
    } else {
        let mut rows: Vec<(String, u64)> = totals
            .by_error_type
            .iter()
            .map(|(t, n)| (t.clone(), *n))
            .collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        row_chart(s, "chart-failures", "Failed files by error type", &rows);
        *charts += 1;
    }
    s.push_str("</section>\n");
}

fn durations(s: &mut String, agg: &Aggregate, charts: &mut usize) {
    s.push_str(r#"<section id="durations"><h2>Read and parse time per file</h2>"#);
    let used: Vec<usize> = (0..DURATION_BINS)
        .filter(|&i| agg.durations[i] > 0)
        .collect();
    let (Some(&lo), Some(&hi)) = (used.first(), used.last()) else {
        s.push_str(r#"<p class="muted">No files.</p></section>"#);
        return;
    };
    let bars: Vec<Column> = (lo..=hi)
        .map(|i| {
            let n = agg.durations[i];
            let range = match i {
                0 => format!("under {}", edge(DURATION_EDGES_MS[0])),
                _ if i == DURATION_BINS - 1 => {
                    format!("{} or more", edge(DURATION_EDGES_MS[i - 1]))
                }
                _ => format!(
                    "{} to {}",
                    edge(DURATION_EDGES_MS[i - 1]),
                    edge(DURATION_EDGES_MS[i])
                ),
            };
            Column {
                value: n,
                label: match i {
                    0 => format!("<{}", edge(DURATION_EDGES_MS[0])),
                    _ => edge(DURATION_EDGES_MS[i - 1]),
                },
                title: format!("{range}: {} files", count(n)),
            }
        })
        .collect();
    column_chart(
        s,
        "chart-durations",
        "Files by read and parse time",
        &bars,
        false,
    );
    *charts += 1;
    s.push_str(r#"<p class="note">Files per time bin, logarithmic: a bar counts the files from its label up to the next label. The time is a worker's, reading and parsing; writing is the writer's.</p></section>"#);
    s.push('\n');
}

fn throughput(s: &mut String, agg: &Aggregate, charts: &mut usize) {
    s.push_str(r#"<section id="throughput"><h2>Throughput</h2>"#);
    let t = &agg.throughput;
    match t.series() {
        None => s.push_str(
            r#"<p class="muted">No file has a recording time (ledgers written before batchimp kept <code>recorded_at</code>).</p>"#,
        ),
        Some(series) => {
            let n = series.counts.len();
            let bars: Vec<Column> = series
                .counts
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let from = series.start + i as i64 * series.width;
                    Column {
                        value: v,
                        label: if i == 0 {
                            instant(from)
                        } else if i == n - 1 {
                            instant(from + series.width)
                        } else {
                            String::new()
                        },
                        title: format!("{}: {} files", instant(from), count(v)),
                    }
                })
                .collect();
            let _ = write!(
                s,
                r#"<p>Files recorded by the writer per {}.</p>"#,
                width(series.width)
            );
            column_chart(s, "chart-throughput", "Files recorded over time", &bars, true);
            *charts += 1;
            let (first, last) = (t.first.unwrap_or(0), t.last.unwrap_or(0));
            let recorded = agg.files - t.missing;
            let span = (last - first) as f64 / 1000.0;
            let rate = if span > 0.0 {
                format!("{:.1} files/s", recorded as f64 / span)
            } else {
                "all at once".to_owned()
            };
            let peak = series.counts.iter().max().copied().unwrap_or(0);
            let _ = write!(
                s,
                r#"<p class="note">{} files from {} to {} ({}): {rate}; peak {} per {}.</p>"#,
                count(recorded),
                instant(first),
                instant(last),
                seconds(span),
                count(peak),
                width(series.width)
            );
        }
    }
    if t.missing > 0 {
        let _ = write!(
            s,
            r#"<p class="note" id="throughput-missing">{} file(s) without a recording time (ledger rows older than <code>recorded_at</code>) are left out.</p>"#,
            count(t.missing)
        );
    }
    s.push_str("</section>\n");
}

pub(super) fn slowest(s: &mut String, agg: &Aggregate) {
    let mut slow = agg.slowest.clone();
    crate::report::keep_slowest(&mut slow, SHOW_SLOWEST, slow_time);
    let _ = write!(
        s,
        r#"<section id="slowest"><h2>Slowest files</h2><table><thead><tr><th class="n">time</th><th>kind</th><th>status</th><th>path</th></tr></thead><tbody>"#
    );
    for e in slow {
        let _ = write!(
            s,
            r#"<tr><td class="n">{}</td><td>{}</td><td>{}</td><td class="path">{}</td></tr>"#,
            ms(e.duration_ms),
            esc(e.kind.as_deref().unwrap_or("-")),
            esc(&e.status),
            esc(&e.path)
        );
    }
    s.push_str("</tbody></table></section>\n");
}

fn failed_files(s: &mut String, totals: &Totals, agg: &Aggregate) {
    s.push_str(r#"<section id="failed"><h2>Failed files</h2>"#);
    if agg.failed.is_empty() {
        s.push_str(r#"<p class="muted">No file failed.</p></section>"#);
        s.push('\n');
        return;
    }
    let types: BTreeSet<&str> = totals
        .by_error_type
        .keys()
        .map(String::as_str)
        .chain(agg.failed.iter().map(|f| f.error_type.as_str()))
        .collect();
    s.push_str(concat!(
        r#"<div class="controls"><input id="failed-filter" type="search" placeholder="Filter by path or message" aria-label="Filter by path or message">"#,
        r#"<select id="failed-type" aria-label="Error type"><option value="">every error type</option>"#
    ));
    for t in types {
        let _ = write!(s, r#"<option value="{0}">{0}</option>"#, esc(t));
    }
    let _ = write!(
        s,
        r#"</select><span class="muted"><span id="failed-shown">{}</span> of {} shown</span></div>"#,
        count(agg.failed.len() as u64),
        count(agg.failed.len() as u64)
    );
    let _ = write!(
        s,
        r#"<div class="scroll"><table id="failed-table" data-shown="{}"><thead><tr><th>error type</th><th>path</th><th>message</th></tr></thead><tbody>"#,
        agg.failed.len()
    );
    for f in &agg.failed {
        // The message names the file first; the path has its own column.
        let msg = f.error.as_deref().unwrap_or("");
        let msg = msg
            .strip_prefix(f.path.as_str())
            .and_then(|m| m.strip_prefix(": "))
            .unwrap_or(msg);
        let cut: String = msg.chars().take(MAX_MESSAGE).collect();
        let more = if cut.len() < msg.len() { "…" } else { "" };
        let _ = write!(
            s,
            r#"<tr data-type="{t}"><td class="type">{t}</td><td class="path">{}</td><td class="msg">{}{more}</td></tr>"#,
            esc(&f.path),
            esc(&cut),
            t = esc(&f.error_type),
        );
    }
    s.push_str("</tbody></table></div>");
    let rest = agg.failed_total - agg.failed.len() as u64;
    if rest > 0 {
        let _ = write!(
            s,
            r#"<p class="note" id="failed-more">And {} more; <code>batchimp report --json</code> has them all.</p>"#,
            count(rest)
        );
    }
    s.push_str("</section>\n");
}
