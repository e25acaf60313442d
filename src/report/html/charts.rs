//! The page's charts, drawn here as inline SVG (no chart library, nothing fetched): columns for
//! histograms and time series, rows for counts by label. Each says how many bars it drew, for
//! the page's render check.

use super::text::{count, esc};
use std::fmt::Write as _;

/// One bar of a column chart.
pub(super) struct Column {
    pub(super) value: u64,
    /// Under the bar; empty for none.
    pub(super) label: String,
    /// The tooltip.
    pub(super) title: String,
}

const CHART_W: f64 = 960.0;

/// A column chart as inline SVG. With `edge_labels`, the first label sits at the left edge and
/// the last at the right edge (times along an axis); otherwise each label is under its bar.
pub(super) fn column_chart(
    s: &mut String,
    id: &str,
    caption: &str,
    bars: &[Column],
    edge_labels: bool,
) {
    let (h, left, right, top, bottom) = (240.0, 56.0, 12.0, 12.0, 28.0);
    let plot_w = CHART_W - left - right;
    let plot_h = h - top - bottom;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let step = plot_w / bars.len().max(1) as f64;
    let bar_w = (step * 0.85).max(1.0);
    let _ = write!(
        s,
        r#"<svg class="chart" id="{id}" data-bars="{}" viewBox="0 0 {CHART_W} {h}" role="img" aria-label="{}">"#,
        bars.len(),
        esc(caption)
    );
    for (v, y) in [(max, top), (max / 2, top + plot_h / 2.0), (0, top + plot_h)] {
        if v == max / 2 && max < 2 {
            continue;
        }
        let _ = write!(
            s,
            r#"<line class="grid" x1="{left}" x2="{}" y1="{y}" y2="{y}"/><text class="axis" x="{}" y="{}" text-anchor="end">{}</text>"#,
            CHART_W - right,
            left - 6.0,
            y + 4.0,
            count(v)
        );
    }
    let n = bars.len();
    for (i, b) in bars.iter().enumerate() {
        let bh = b.value as f64 / max as f64 * plot_h;
        let x = left + i as f64 * step + (step - bar_w) / 2.0;
        let _ = write!(
            s,
            r#"<rect class="bar" x="{x:.1}" y="{:.1}" width="{bar_w:.1}" height="{bh:.1}"><title>{}</title></rect>"#,
            top + plot_h - bh,
            esc(&b.title)
        );
        if b.label.is_empty() {
            continue;
        }
        let (lx, anchor) = match (edge_labels, i) {
            (true, 0) if n > 1 => (left + i as f64 * step, "start"),
            (true, _) if i == n - 1 && n > 1 => (left + (i + 1) as f64 * step, "end"),
            _ => (left + (i as f64 + 0.5) * step, "middle"),
        };
        let _ = write!(
            s,
            r#"<text class="axis" x="{lx:.1}" y="{}" text-anchor="{anchor}">{}</text>"#,
            h - bottom + 16.0,
            esc(&b.label)
        );
    }
    s.push_str("</svg>\n");
}

/// A horizontal bar chart as inline SVG, one labelled row per `(label, value)`.
pub(super) fn row_chart(s: &mut String, id: &str, caption: &str, rows: &[(String, u64)]) {
    let (row_h, label_w, right) = (24.0, 260.0, 80.0);
    let h = rows.len() as f64 * row_h + 8.0;
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let _ = write!(
        s,
        r#"<svg class="chart" id="{id}" data-bars="{}" viewBox="0 0 {CHART_W} {h}" role="img" aria-label="{}">"#,
        rows.len(),
        esc(caption)
    );
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = 4.0 + i as f64 * row_h;
        let w = (*value as f64 / max as f64 * (CHART_W - label_w - right)).max(1.0);
        let _ = write!(
            s,
            concat!(
                r#"<g class="row" data-key="{key}" data-count="{value}">"#,
                r#"<text class="label" x="{lx}" y="{ty}" text-anchor="end">{key}</text>"#,
                r#"<rect class="bar" x="{label_w}" y="{y}" width="{w:.1}" height="{bh}"><title>{key}: {n}</title></rect>"#,
                r#"<text class="axis" x="{vx:.1}" y="{ty}">{n}</text></g>"#
            ),
            key = esc(label),
            value = value,
            n = count(*value),
            lx = label_w - 8.0,
            ty = y + 15.0,
            label_w = label_w,
            y = y,
            w = w,
            bh = row_h - 6.0,
            vx = label_w + w + 6.0,
        );
    }
    s.push_str("</svg>\n");
}
