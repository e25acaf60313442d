//! The documentation's links: every relative link of the Markdown files at the top of the
//! repository and in `docs/` names a file that exists, and every `#anchor` a heading of the file
//! it points into, by GitHub's rules for heading anchors. The README is the front door to the
//! topic pages; a page moved or a heading renamed must not leave a dead link behind.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The Markdown files checked: README.md, ARCHITECTURE.md, CHANGELOG.md and the others at the
/// top of the repository, and every page of `docs/`.
fn markdown_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [root.to_path_buf(), root.join("docs")] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// GitHub's anchor for a heading: its text lower-cased, punctuation other than `-` and `_`
/// dropped, each space a `-`. Markup (code spans, emphasis, a link's target) is not text.
fn slug(heading: &str) -> String {
    let text = without_link_targets(heading);
    text.trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// `[text](target)` becomes `text`.
fn without_link_targets(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(close) = rest.find("](") {
        let Some(end) = rest[close..].find(')') else {
            break;
        };
        out.push_str(&rest[..close]);
        rest = &rest[close + end + 1..];
    }
    out.push_str(rest);
    out
}

/// The lines that are prose: fenced code blocks left out.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fenced = false;
    let mut lines = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            lines.push((n + 1, line));
        }
    }
    lines
}

/// Every anchor a file's headings give, numbered as GitHub numbers a repeated one (`-1`, `-2`).
fn anchors(text: &str) -> HashSet<String> {
    let mut anchors = HashSet::new();
    for (_, line) in prose_lines(text) {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(&line[hashes..]);
        let mut anchor = base.clone();
        let mut n = 0;
        while anchors.contains(&anchor) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
        anchors.insert(anchor);
    }
    anchors
}

/// The targets of a line's inline links (`[text](target)`), code spans left out.
fn link_targets(line: &str) -> Vec<String> {
    let mut prose = String::new();
    for (i, part) in line.split('`').enumerate() {
        if i % 2 == 0 {
            prose.push_str(part);
        }
    }
    let mut targets = Vec::new();
    let mut rest = prose.as_str();
    while let Some(open) = rest.find("](") {
        rest = &rest[open + 2..];
        let end = rest.find([')', ' ']).unwrap_or(rest.len());
        targets.push(rest[..end].to_owned());
        rest = &rest[end..];
    }
    targets
}

/// The dead links of the documentation, one `file:line: target (why)` each.
fn dead_links(root: &Path) -> Vec<String> {
    let mut dead = Vec::new();
    for file in markdown_files(root) {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.strip_prefix(root).unwrap().display().to_string();
        for (n, line) in prose_lines(&text) {
            for target in link_targets(line) {
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let (path, anchor) = match target.split_once('#') {
                    Some((path, anchor)) => (path, Some(anchor)),
                    None => (target.as_str(), None),
                };
                let linked = if path.is_empty() {
                    file.clone()
                } else {
                    file.parent().unwrap().join(path)
                };
                if !linked.exists() {
                    dead.push(format!("{name}:{n}: {target} (no such file)"));
                    continue;
                }
                let Some(anchor) = anchor else { continue };
                let Ok(linked_text) = std::fs::read_to_string(&linked) else {
                    dead.push(format!(
                        "{name}:{n}: {target} (not a file to hold an anchor)"
                    ));
                    continue;
                };
                if !anchors(&linked_text).contains(anchor) {
                    dead.push(format!("{name}:{n}: {target} (no such heading)"));
                }
            }
        }
    }
    dead
}

/// `sql` as the documentation page `page` (a path from the repository's root) writes it: the
/// tests that run the documented queries (or check a documented example) take them from here, so a query edited on its page is
/// run as edited, and one moved to another page fails until its test names the new page.
/// White space is folded; the page's trailing `;` and `-- comment` are not part of the query.
pub fn documented(page: &str, sql: &str) -> String {
    let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(page)).unwrap();
    let wanted = fold(sql);
    let folded = fold(&text);
    // Whole: what follows it on the page ends a statement or a value.
    let whole = folded.match_indices(&wanted).any(|(at, _)| {
        matches!(
            folded[at + wanted.len()..].chars().next(),
            None | Some(';' | ' ' | ',' | '}')
        )
    });
    assert!(whole, "{page} no longer shows {wanted:?}");
    sql.to_owned()
}

#[test]
fn github_anchors_follow_its_rules() {
    assert_eq!(slug(" PDF, scans and photos"), "pdf-scans-and-photos");
    assert_eq!(
        slug(" Looking back: stats, list and prune"),
        "looking-back-stats-list-and-prune"
    );
    assert_eq!(slug(" `files` and `batch_id`"), "files-and-batch_id");
    assert_eq!(
        slug(" CFDI de Retenciones e Información"),
        "cfdi-de-retenciones-e-información"
    );
    assert_eq!(slug(" See [here](x.md) now"), "see-here-now");
    let repeated = anchors("# A\n\n## Notes\n\n## Notes\n\n```\n# not a heading\n```\n");
    assert_eq!(
        repeated,
        HashSet::from(["a".to_owned(), "notes".to_owned(), "notes-1".to_owned()])
    );
    assert_eq!(
        link_targets("see [a](docs/a.md#x), `[b](c)` and [d](#e)"),
        ["docs/a.md#x", "#e"]
    );
}

#[test]
fn the_checker_finds_a_dead_file_and_a_dead_anchor() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("docs")).unwrap();
    std::fs::write(
        dir.path().join("README.md"),
        "# Tool\n\n## Install\n\n[ok](#install), [gone](docs/gone.md), [bad](docs/a.md#nope), \
         [good](docs/a.md#a-topic)\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("docs/a.md"),
        "# A topic\n\n[back](../README.md#install) [up](../README.md#uninstall)\n",
    )
    .unwrap();
    assert_eq!(
        dead_links(dir.path()),
        [
            "README.md:5: docs/gone.md (no such file)",
            "README.md:5: docs/a.md#nope (no such heading)",
            "docs/a.md:3: ../README.md#uninstall (no such heading)",
        ]
    );
}

#[test]
fn no_dead_link_in_the_docs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dead = dead_links(root);
    assert!(dead.is_empty(), "dead links:\n{}", dead.join("\n"));
    // The README is the front door: every page of docs/ is one click from it.
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let linked: HashSet<String> = prose_lines(&readme)
        .into_iter()
        .flat_map(|(_, line)| link_targets(line))
        .map(|t| t.split('#').next().unwrap().to_owned())
        .collect();
    for page in markdown_files(root) {
        let name = page
            .strip_prefix(root)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        if name.starts_with("docs/") {
            assert!(linked.contains(&name), "README.md does not link to {name}");
        }
    }
}
