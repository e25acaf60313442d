//! What the page carries inline, its stylesheet and its two scripts, and the
//! Content-Security-Policy that names those scripts by hash so that nothing else runs.

/// The page's Content-Security-Policy: nothing is loaded from anywhere; inline styles run,
/// images only from `data:` URLs (there are none today), and of scripts only the page's own
/// two, named by their hash: were a ledger string ever to slip past [`esc`](super::esc) as a `<script>`, a
/// browser would not run it. No form may post anywhere, no `<base>` may move the page's links.
pub fn csp() -> &'static str {
    static CSP: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        use base64::Engine as _;
        use sha2::{Digest, Sha256};
        let hash = |script: &str| {
            let digest = Sha256::digest(script.as_bytes());
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        };
        format!(
            "default-src 'none'; style-src 'unsafe-inline'; script-src {} {}; img-src data:; \
             form-action 'none'; base-uri 'none'",
            hash(SCRIPT_HEAD),
            hash(SCRIPT_BODY)
        )
    });
    &CSP
}

pub(super) const STYLE: &str = r#"
:root { color-scheme: light; --fg: #1d2433; --muted: #5b6475; --line: #d9dde5; --bg: #f6f7f9;
  --imported: #2f8f4e; --duplicate: #3a6fd8; --failed: #c8362f; --unsupported: #8a8f98; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg); }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 0 0 8px; }
h2.sub { font-size: 15px; margin-top: 14px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px;
  margin: 16px 0; }
.muted, .note { color: var(--muted); }
.note { margin: 8px 0 0; font-size: 13px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 13px;
  background: #e7eaf0; vertical-align: middle; }
.badge.completed { background: #dcefe2; color: #1f6a38; }
.badge.failed, .badge.cancelled { background: #f7dcda; color: #94231d; }
.badge.running, .badge.partial { background: #fdf0cc; color: #7a5a00; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0 0; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { flex: 1 1 140px; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px;
  border-top: 4px solid var(--muted); }
.card .n { display: block; font-size: 24px; font-weight: 600; }
.card.imported { border-top-color: var(--imported); }
.card.duplicate { border-top-color: var(--duplicate); }
.card.failed { border-top-color: var(--failed); }
.card.unsupported { border-top-color: var(--unsupported); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); position: sticky; top: 0; background: #fff; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.path, td.msg { overflow-wrap: anywhere; }
td.type { white-space: nowrap; }
.scroll { max-height: 36em; overflow: auto; border: 1px solid var(--line); border-radius: 6px; }
.controls { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; margin-bottom: 8px; }
.controls input { flex: 1 1 300px; padding: 5px 8px; font: inherit; }
.controls select { padding: 5px 8px; font: inherit; }
svg.chart { width: 100%; height: auto; display: block; }
svg .bar { fill: #4a72b0; }
svg#chart-failures .bar { fill: var(--failed); }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg text { font: 11px system-ui, sans-serif; fill: var(--muted); }
svg text.label { font-size: 12px; fill: var(--fg); }
"#;

/// Runs first: remembers any error and anything the CSP blocks, so the page can say whether it
/// rendered cleanly (`<body data-errors>`, read by the tests in a real browser).
pub(super) const SCRIPT_HEAD: &str = r#"
var reportErrors = [];
function noteError(m) {
  reportErrors.push(m);
  if (document.body) document.body.dataset.errors = reportErrors.join(' | ');
}
addEventListener('error', function (e) {
  noteError('error: ' + (e.message || (e.target && e.target.tagName) || 'unknown'));
}, true);
document.addEventListener('securitypolicyviolation', function (e) {
  noteError('blocked: ' + e.violatedDirective + ' ' + e.blockedURI);
});
"#;

/// The failures filter (a text box and an error-type select, both also read from `?filter=`
/// and `?type=` so a link can point at a selection), and the render check: every chart drawn
/// with the bars the page was written with, and laid out; the result in `<body
/// data-rendered>` (`ok`, or what is wrong).
pub(super) const SCRIPT_BODY: &str = r#"
(function () {
  var table = document.getElementById('failed-table');
  if (table) {
    var q = document.getElementById('failed-filter');
    var sel = document.getElementById('failed-type');
    var shown = document.getElementById('failed-shown');
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var texts = rows.map(function (tr) { return tr.textContent.toLowerCase(); });
    var apply = function () {
      var text = q.value.trim().toLowerCase(), type = sel.value, n = 0;
      rows.forEach(function (tr, i) {
        var keep = (!type || tr.dataset.type === type) && (!text || texts[i].indexOf(text) >= 0);
        tr.hidden = !keep;
        if (keep) n++;
      });
      shown.textContent = n.toLocaleString('en-US');
      table.dataset.shown = n;
    };
    var params = new URLSearchParams(location.search);
    if (params.has('filter')) q.value = params.get('filter');
    if (params.has('type')) sel.value = params.get('type');
    q.addEventListener('input', apply);
    sel.addEventListener('change', apply);
    apply();
  }
  addEventListener('load', function () {
    var bad = [], charts = document.querySelectorAll('svg.chart');
    if (charts.length !== +document.body.dataset.charts) {
      bad.push(charts.length + ' charts of ' + document.body.dataset.charts);
    }
    Array.prototype.forEach.call(charts, function (svg) {
      var got = svg.querySelectorAll('.bar').length, want = +svg.dataset.bars;
      var box = svg.getBoundingClientRect();
      if (got !== want || want === 0) bad.push(svg.id + ': ' + got + ' bars of ' + want);
      if (box.width < 100 || box.height < 20) bad.push(svg.id + ': not laid out');
    });
    document.body.dataset.rendered = bad.length ? bad.join('; ') : 'ok';
    document.body.dataset.errors = reportErrors.join(' | ');
  });
})();
"#;
