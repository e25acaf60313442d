//! `batchimp report --html`: the page made from a real batch (every fixture, and a file whose
//! name is markup) says what the JSON report says, escapes the ledger's strings and loads
//! nothing; then a real headless Chromium renders it: charts drawn, no script error, nothing
//! blocked by its Content-Security-Policy, the failures filter working.

use crate::helpers::{Env, db_test, fixture};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A failing file whose name, were it not escaped, would be an image whose error handler marks
/// the page (and whose load the CSP would block).
const MARKUP_NAME: &str = "<img src=x onerror=document.body.setAttribute('data-pwned',1)>.xml";
const MARKUP_ESCAPED: &str =
    "&lt;img src=x onerror=document.body.setAttribute(&#39;data-pwned&#39;,1)&gt;.xml";

/// Every fixture plus `odd/<img ...>.xml` (a truncated NF-e) as batch 1; its JSON report.
fn batch_with_markup_name(env: &Env) -> Value {
    let odd = env.path("odd");
    std::fs::create_dir(&odd).unwrap();
    std::fs::copy(fixture("nfe/broken-truncated.xml"), odd.join(MARKUP_NAME)).unwrap();
    let run = env.run(&[&fixture(""), odd.to_str().unwrap()]);
    assert_eq!(run.code(), 1, "some files fail; stderr: {}", run.stderr());
    run.report().clone()
}

/// `batchimp report 1 --html report.html`; the page.
fn html_report(env: &Env) -> String {
    let out = env.on_db(&["report", "1", "--html", "report.html"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("batch 1: HTML report written to report.html"),
        "{stderr}"
    );
    std::fs::read_to_string(env.path("report.html")).unwrap()
}

/// The value of every `src=`/`href=` attribute (any case), quoted or not.
fn link_values(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut values = Vec::new();
    for attr in ["src=", "href="] {
        for (i, _) in lower.match_indices(attr) {
            let rest = lower[i + attr.len()..].trim_start_matches(['"', '\'']);
            values.push(rest.chars().take(40).collect());
        }
    }
    values
}

/// The page's Content-Security-Policy, from its `<meta>`.
fn meta_csp(html: &str) -> &str {
    let at = "<meta http-equiv=\"Content-Security-Policy\" content=\"";
    let start = html.find(at).expect("a CSP") + at.len();
    &html[start..start + html[start..].find('"').unwrap()]
}

/// The text of every inline `<script>` of a page.
fn inline_scripts(html: &str) -> Vec<&str> {
    html.split("<script>")
        .skip(1)
        .map(|s| &s[..s.find("</script>").expect("closed")])
        .collect()
}

db_test! {
fn html_report_shows_the_ledger_escaped_and_fetches_nothing(db) {
    let env = Env::on(db);
    let report = batch_with_markup_name(&env);
    let html = html_report(&env);
    let totals = &report["totals"];

    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..100]);
    // Scripts by hash only (the page's own, each named by its SHA-256), no form, no <base>.
    let csp = meta_csp(&html);
    assert!(!csp.contains("script-src 'unsafe-inline'"), "{csp}");
    assert!(
        csp.contains("form-action 'none'") && csp.contains("base-uri 'none'"),
        "{csp}"
    );
    let scripts = inline_scripts(&html);
    assert_eq!(scripts.len(), 2);
    for script in scripts {
        use base64::Engine as _;
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(script.as_bytes());
        let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
        assert!(csp.contains(&format!("'sha256-{b64}'")), "{csp}");
    }
    // The counts of the JSON report.
    assert!(html.contains(&format!(
        r#"data-status="files"><span class="n">{}</span>"#,
        totals["files"]
    )));
    for (status, n) in totals["by_status"].as_object().unwrap() {
        assert!(
            html.contains(&format!(r#"data-status="{status}"><span class="n">{n}</span>"#)),
            "{status}: {n}"
        );
    }
    // Issue 29: not a green "completed" beside the failed files.
    let failed = &totals["by_status"]["failed"];
    assert!(html.contains(&format!(
        r#"<span class="badge partial" id="batch-status">completed, {failed} failed, "#
    )));
    // Every failing error type: a bar with its count, and a choice of the filter.
    let by_type = totals["by_error_type"].as_object().unwrap();
    assert!(by_type.len() > 10, "{by_type:?}");
    for (t, n) in by_type {
        assert!(html.contains(&format!(r#"data-key="{t}" data-count="{n}""#)), "{t}: {n}");
        assert!(html.contains(&format!(r#"<option value="{t}">{t}</option>"#)), "{t}");
    }
    // Every failed file in the table, once.
    let failed = totals["by_status"]["failed"].as_u64().unwrap() as usize;
    assert_eq!(html.matches("<tr data-type=").count(), failed);
    for f in report["files"].as_array().unwrap() {
        if f["status"] == "failed" {
            let path = f["path"].as_str().unwrap();
            if !path.contains('<') {
                assert!(html.contains(&format!(r#"<td class="path">{path}</td>"#)), "{path}");
            }
        }
    }
    assert!(!html.contains("id=\"failed-more\""), "fewer failures than the cap");
    // Catalog rows, and the three charts.
    assert!(html.contains(&format!(
        r#"<tr data-rows="created"><td>created</td><td class="n">{}</td>"#,
        totals["rows_created"]
    )));
    for chart in ["chart-failures", "chart-durations", "chart-throughput"] {
        assert!(html.contains(&format!(r#"<svg class="chart" id="{chart}""#)), "{chart}");
    }

    // The file named with markup is text, wherever it shows.
    assert!(!html.contains("<img"), "markup from the ledger must be escaped");
    assert!(html.contains(&format!(r#"<td class="path">{}"#, env.path("odd").join("").display())));
    assert!(html.contains(MARKUP_ESCAPED));

    // Nothing from elsewhere: no remote src/href (there are none at all), no URL anywhere.
    for v in link_values(&html) {
        assert!(
            !v.starts_with("http:") && !v.starts_with("https:") && !v.starts_with("//"),
            "remote link: {v}"
        );
    }
    assert!(!html.contains("http://") && !html.contains("https://"));
    // The database as `describe()` names it; a PostgreSQL password never.
    let args = env.db_args();
    if env.is_postgres() {
        assert!(html.contains(&format!("(schema {})", args[3])));
        let url = &args[1];
        let userinfo = url["postgres://".len()..].split('@').next().unwrap();
        if let Some((_, password)) = userinfo.split_once(':') {
            assert!(!html.contains(password), "password in the page");
        }
    } else {
        assert!(html.contains(&format!("<dd>{}</dd>", env.db().display())));
    }

    // `--html -` writes the same page to stdout: it depends on the ledger only.
    let out = env.on_db(&["report", "1", "--html", "-"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout == html.as_bytes(), "stdout page differs from the file");
    // With --json it is a usage error, and writes nothing.
    let out = env.on_db(&["report", "1", "--html", "other.html", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
    assert!(!env.path("other.html").exists());
}
}

/// Debian's Chromium; `None` (saying why) when it is not installed, unless
/// `BATCHIMP_REQUIRE_CHROMIUM=1` makes that a failure (CI installs it).
fn chromium() -> Option<PathBuf> {
    let path = PathBuf::from("/usr/bin/chromium");
    if path.exists() {
        return Some(path);
    }
    if std::env::var("BATCHIMP_REQUIRE_CHROMIUM").as_deref() == Ok("1") {
        panic!("BATCHIMP_REQUIRE_CHROMIUM=1 but /usr/bin/chromium is not installed");
    }
    eprintln!("skipped: /usr/bin/chromium is not installed (apt-get install chromium)");
    None
}

struct Rendered {
    /// The DOM after the page's scripts ran.
    dom: String,
    stderr: String,
}

/// Open `page` (with `query`) in headless Chromium, dumping the DOM (and screenshotting to
/// `screenshot`).
fn render(
    chromium: &Path,
    home: &Path,
    page: &Path,
    query: &str,
    screenshot: Option<&Path>,
) -> Rendered {
    let mut cmd = assert_cmd::Command::new(chromium);
    cmd.env("HOME", home)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
            "--window-size=1280,2400",
        ])
        .arg(format!(
            "--user-data-dir={}",
            home.join("profile").display()
        ))
        .timeout(Duration::from_secs(60));
    if let Some(png) = screenshot {
        cmd.arg(format!("--screenshot={}", png.display()));
    }
    let out = cmd
        .arg("--dump-dom")
        .arg(format!("file://{}{query}", page.display()))
        .output()
        .expect("chromium runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "chromium failed: {stderr}");
    Rendered {
        dom: String::from_utf8(out.stdout).unwrap(),
        stderr,
    }
}

/// The `<body ...>` start tag of a dumped DOM.
fn body_tag(dom: &str) -> &str {
    let start = dom
        .find("<body")
        .unwrap_or_else(|| panic!("no body: {dom}"));
    let end = start + dom[start..].find('>').unwrap();
    &dom[start..=end]
}

/// The number in `data-shown` of the failures table: the rows the filter kept.
fn shown(dom: &str) -> usize {
    let at = dom.find("id=\"failed-table\"").expect("failures table");
    let tag = &dom[dom[..at].rfind('<').unwrap()..];
    let tag = &tag[..tag.find('>').unwrap()];
    let value = tag.split("data-shown=\"").nth(1).expect("data-shown");
    value[..value.find('"').unwrap()].parse().unwrap()
}

/// A visible failures row: `<tr data-type=...>` without `hidden`.
fn visible_rows(dom: &str) -> usize {
    dom.match_indices("<tr data-type=")
        .filter(|(i, _)| !dom[*i..*i + dom[*i..].find('>').unwrap()].contains("hidden"))
        .count()
}

// SQLite only: the browser sees the same page whatever the database.
#[test]
fn html_report_renders_in_headless_chromium() {
    let Some(chromium) = chromium() else {
        return;
    };
    let env = Env::new();
    let report = batch_with_markup_name(&env);
    html_report(&env);
    let page = env.path("report.html");
    let home = env.path("chromium-home");
    std::fs::create_dir(&home).unwrap();
    let png = env.path("report.png");

    let r = render(&chromium, &home, &page, "", Some(&png));
    let body = body_tag(&r.dom);
    assert!(
        body.contains("data-rendered=\"ok\""),
        "{body}\n{}",
        r.stderr
    );
    assert!(body.contains("data-errors=\"\""), "{body}");
    assert!(body.contains("data-charts=\"3\""), "{body}");
    assert!(!body.contains("data-pwned"), "a file name ran as script");
    assert!(!r.dom.contains("<img"), "a file name became an element");
    for line in r.stderr.lines() {
        assert!(
            !line.contains("CONSOLE") && !line.contains("Uncaught"),
            "console message: {line}"
        );
    }
    let failed = report["totals"]["by_status"]["failed"].as_u64().unwrap() as usize;
    assert_eq!(shown(&r.dom), failed, "no filter: every failure shown");
    assert_eq!(visible_rows(&r.dom), failed);
    let png = std::fs::read(&png).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );

    // The filter, set from the URL: by error type, then by text (any case) in path or message.
    let zip_corrupt = report["totals"]["by_error_type"]["zip_corrupt"]
        .as_u64()
        .unwrap() as usize;
    let r = render(&chromium, &home, &page, "?type=zip_corrupt", None);
    assert!(body_tag(&r.dom).contains("data-rendered=\"ok\""));
    assert_eq!(shown(&r.dom), zip_corrupt);
    assert_eq!(visible_rows(&r.dom), zip_corrupt);
    assert!(zip_corrupt > 1 && zip_corrupt < failed);
    let r = render(&chromium, &home, &page, "?filter=ONERROR", None);
    assert_eq!(shown(&r.dom), 1, "only the file named with markup");
    assert_eq!(visible_rows(&r.dom), 1);

    // A script that is not the page's own does not run, though inline (its hash is not in the
    // CSP), and the page still draws.
    let html = std::fs::read_to_string(&page).unwrap();
    let injected = html.replacen(
        "</main>",
        "</main>\n<script>document.body.setAttribute('data-injected', '1')</script>",
        1,
    );
    let tampered = env.path("tampered.html");
    std::fs::write(&tampered, injected).unwrap();
    let r = render(&chromium, &home, &tampered, "", None);
    let body = body_tag(&r.dom);
    assert!(
        !body.contains("data-injected"),
        "an injected inline script ran"
    );
    assert!(body.contains("data-rendered=\"ok\""), "{body}");
    assert!(body.contains("blocked: script-src"), "{body}");
}
