//! Logs: JSON lines with their events, text lines above the summary, a cron-quiet `-q`, and
//! `--log-file`.

use crate::helpers::{Env, fixture};

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect()
}

#[test]
fn json_logs_carry_each_event_with_its_fields() {
    let env = Env::new();
    let out = env
        .cmd()
        .args(["run", &fixture("nfe"), "--log-format", "json", "-v"])
        .args(env.db_args())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&String::from_utf8_lossy(&out.stderr));
    let events: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
    assert_eq!(events.first(), Some(&"batch_started"), "{events:?}");
    assert_eq!(events.last(), Some(&"batch_completed"), "{events:?}");
    let failed: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["event"] == "file_failed")
        .collect();
    assert_eq!(failed.len(), 8, "one per failed file");
    for l in &lines {
        assert!(l["timestamp"].is_string() && l["level"].is_string(), "{l}");
        assert_eq!(l["batch_id"], 1, "{l}");
    }
    let truncated = failed
        .iter()
        .find(|l| {
            l["path"]
                .as_str()
                .unwrap()
                .ends_with("broken-truncated.xml")
        })
        .expect("the truncated file");
    assert_eq!(truncated["error_type"], "xml_truncated");
    assert_eq!(truncated["level"], "WARN");
    assert!(
        truncated["error"]
            .as_str()
            .unwrap()
            .contains("XML ends early")
    );
    let end = lines.last().unwrap();
    assert_eq!(
        (&end["files"], &end["failed"]),
        (&21.into(), &8.into()),
        "{end}"
    );

    // Without -v a JSON log still says when the batch started and ended.
    let out = env
        .cmd()
        .args(["run", &fixture("cfdi"), "--log-format", "json"])
        .args(env.db_args())
        .output()
        .unwrap();
    let lines = json_lines(&String::from_utf8_lossy(&out.stderr));
    assert_eq!(lines[0]["event"], "batch_started");
    assert_eq!(lines.last().unwrap()["event"], "batch_completed");
}

#[test]
fn quiet_runs_print_nothing_unless_something_failed_and_log_files_take_the_lines() {
    let env = Env::new();
    let good = env.path("boas");
    std::fs::create_dir(&good).unwrap();
    std::fs::copy(fixture("nfe/nfce-model65.xml"), good.join("nota.xml")).unwrap();
    let out = env
        .cmd()
        .args(["run", good.to_str().unwrap(), "-q"])
        .args(env.db_args())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A failure: its line and the summary, even under -q.
    let out = env
        .cmd()
        .args(["run", &fixture("nfe/broken-empty.xml"), "-q"])
        .args(env.db_args())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(err.starts_with("batchimp: failed: "), "{err}");

    // --log-file: the log lines go there (appended), the summary stays on stderr.
    let log = env.path("batchimp.log");
    for _ in 0..2 {
        let out = env
            .cmd()
            .args([
                "run",
                &fixture("nfe/broken-empty.xml"),
                "--recheck",
                "--log-file",
            ])
            .arg(&log)
            .args(["--log-format", "json"])
            .args(env.db_args())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("completed: 1 file,"), "{err}");
    }
    let lines = json_lines(&std::fs::read_to_string(&log).unwrap());
    let events: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
    assert_eq!(
        events,
        [
            "batch_started",
            "file_failed",
            "batch_completed",
            "batch_started",
            "file_failed",
            "batch_completed"
        ]
    );
}

/// Issue 26: ZIP member names holding a newline, a carriage return, escape sequences or a C1
/// control, each a file that fails. Whatever batchimp prints as text shows them escaped: no
/// forged `batchimp:` line, no raw ESC (retitling or clearing the terminal), no CR.
#[test]
fn control_characters_in_names_are_escaped_in_text_output() {
    let env = Env::new();
    let zip_path = env.path("hostile.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    for name in [
        "m\nbatchimp: forged member.xml",
        "\x1b]0;pwned\x07\x1b[2Jt.xml",
        "cr\rx.xml",
        "nel\u{85}.xml",
    ] {
        zip.start_file(name, opts).unwrap();
        std::io::Write::write_all(&mut zip, b"<nfeProc><NFe>").unwrap();
    }
    zip.finish().unwrap();
    let log = env.path("text.log");
    let out = env
        .cmd()
        .args(["run", zip_path.to_str().unwrap(), "--log-file"])
        .arg(&log)
        .args(env.db_args())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // Without --log-file the failures go to stderr.
    let env2 = Env::new();
    let stderr = env2
        .cmd()
        .args(["run", zip_path.to_str().unwrap()])
        .args(env2.db_args())
        .output()
        .unwrap()
        .stderr;
    let report = env.on_db(&["report"]);
    assert_eq!(report.status.code(), Some(0));
    for (what, bytes) in [
        ("stderr", stderr),
        ("the text log", std::fs::read(&log).unwrap()),
        ("batchimp report", report.stdout),
    ] {
        let text = String::from_utf8(bytes).unwrap();
        for raw in ['\x1b', '\r', '\x07', '\u{85}'] {
            assert!(!text.contains(raw), "{raw:?} raw in {what}:\n{text}");
        }
        assert!(
            !text
                .lines()
                .any(|l| l.contains("forged member")
                    && !l.contains("m\\nbatchimp: forged member.xml")),
            "a forged line in {what}:\n{text}"
        );
        for escaped in [
            "hostile.zip!/m\\nbatchimp: forged member.xml",
            "hostile.zip!/\\x1b]0;pwned\\x07\\x1b[2Jt.xml",
            "hostile.zip!/cr\\rx.xml",
            "hostile.zip!/nel\\u{85}.xml",
        ] {
            assert!(text.contains(escaped), "{escaped} not in {what}:\n{text}");
        }
    }
}
