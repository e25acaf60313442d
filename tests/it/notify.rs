//! `--notify URL`: a real HTTP server on 127.0.0.1 (a `TcpListener` in a thread, reading each
//! request whole and answering from a script) receives the batch's summary; the run's exit
//! status, the report and the ledger say what came of it, and the URL's secrets appear nowhere.

use crate::helpers::{Env, db_test, fixture};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How the webhook answers one request.
#[derive(Clone)]
enum Reply {
    /// A status line, extra header lines (`Retry-After: 1\r\n`), an empty body.
    Status(u16, &'static str),
    /// Never answer: the connection is held open until the server stops.
    Silent,
}

/// One request as the webhook read it.
#[derive(Debug, Clone)]
struct Request {
    /// When it had been read whole.
    at: Instant,
    /// `POST /hook HTTP/1.1`.
    line: String,
    /// Header names lower-cased.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

/// A webhook on 127.0.0.1 answering its `n`th request with `script[n]` (the last reply
/// repeats). It stops when dropped, and after a minute whatever happens.
struct Hook {
    /// `http://127.0.0.1:PORT/hook`.
    url: String,
    port: u16,
    seen: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Hook {
    fn start(script: Vec<Reply>) -> Hook {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (seen, stop) = (Arc::clone(&seen), Arc::clone(&stop));
            std::thread::spawn(move || serve(&listener, &script, &seen, &stop))
        };
        Hook {
            url: format!("http://127.0.0.1:{port}/hook"),
            port,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn requests(&self) -> Vec<Request> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Hook {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(listener: &TcpListener, script: &[Reply], seen: &Mutex<Vec<Request>>, stop: &AtomicBool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    // Connections the script says never to answer, open until the server stops.
    let mut held: Vec<TcpStream> = Vec::new();
    while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
        let mut stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            }
            Err(e) => panic!("accept: {e}"),
        };
        stream.set_nonblocking(false).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let Some(request) = read_request(&mut stream) else {
            continue;
        };
        let n = {
            let mut seen = seen.lock().unwrap();
            seen.push(request);
            seen.len() - 1
        };
        match script[n.min(script.len() - 1)] {
            Reply::Status(code, headers) => {
                let _ = write!(
                    stream,
                    "HTTP/1.1 {code} Scripted\r\n{headers}Content-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
            Reply::Silent => held.push(stream),
        }
    }
}

/// The request line, the headers and `Content-Length` bytes of body; `None` if the client
/// went away first.
fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut buf).ok().filter(|&n| n > 0)?;
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8(data[..head_end].to_vec()).expect("an ASCII head");
    let mut lines = head.split("\r\n");
    let line = lines.next().unwrap().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().expect("a length"));
    let mut body = data[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf).ok().filter(|&n| n > 0)?;
        body.extend_from_slice(&buf[..n]);
    }
    body.truncate(length);
    Some(Request {
        at: Instant::now(),
        line,
        headers,
        body,
    })
}

/// One NF-e that imports and one that fails: exit status 1 with or without a webhook.
fn inputs() -> [String; 2] {
    [
        fixture("nfe/nfe-v4-authorized.xml"),
        fixture("nfe/broken-truncated.xml"),
    ]
}

db_test! {
fn retried_until_delivered_and_recorded(db) {
    let hook = Hook::start(vec![
        Reply::Status(503, ""),
        Reply::Status(429, "Retry-After: 1\r\n"),
        Reply::Status(200, ""),
    ]);
    let env = Env::on(db);
    let [good, broken] = inputs();
    let run = env.run(&[&good, &broken, "--notify", &hook.url]);
    assert_eq!(run.code(), 1, "the exit status of one failed file; {}", run.stderr());
    assert!(!run.stderr().contains("warning"), "{}", run.stderr());

    let requests = hook.requests();
    assert_eq!(requests.len(), 3, "{requests:?}");
    for r in &requests {
        assert_eq!(r.line, "POST /hook HTTP/1.1");
        assert_eq!(r.header("content-type"), Some("application/json"));
        let agent = format!("batchimp/{}", env!("CARGO_PKG_VERSION"));
        assert_eq!(r.header("user-agent"), Some(agent.as_str()));
        let body = r.json();
        assert_eq!(body["batch_id"], 1, "{body}");
        assert_eq!(body["status"], "completed");
        assert_eq!(body["inputs"], json!([good, broken]));
        assert_eq!(body["totals"]["files"], 2);
        assert_eq!(body["totals"]["by_status"]["imported"], 1);
        assert_eq!(body["totals"]["by_status"]["failed"], 1);
        assert_eq!(body["totals"]["by_error_type"], json!({"xml_truncated": 1}));
        assert!(body["started_at"].is_string() && body["finished_at"].is_string());
        assert!(body["processing_time_seconds"].as_f64().is_some());
        assert_eq!(body["report"], env.path("report.json").display().to_string());
        assert!(body.get("files").is_none(), "no per-file list: {body}");
    }
    // 1 s of backoff after the 503, then the 429's Retry-After: 1.
    let gap = |i: usize| requests[i].at - requests[i - 1].at;
    assert!(gap(1) >= Duration::from_secs(1), "{:?}", gap(1));
    assert!(gap(2) >= Duration::from_secs(1), "{:?}", gap(2));

    let expected = json!({
        "url": hook.url, "delivered": true, "attempts": 3, "status": 200, "error": null
    });
    assert_eq!(run.report()["notification"], expected);
    // From the ledger: the same report, the same notification.
    let out = env.on_db(&["report", "1", "--json"]);
    let from_ledger: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(&from_ledger, run.report());
    let out = env.on_db(&["report", "1"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let line = format!("  webhook  {} delivered (HTTP 200) after 3 attempts", hook.url);
    assert!(text.contains(&line), "{text}");
    let out = env.on_db(&["list", "--json"]);
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["notification"], expected);

    // retry takes --notify as run does: it is how a batch runs, not stored with it.
    let again = Hook::start(vec![Reply::Status(204, "")]);
    let out = env.on_db(&["retry", "1", "-q", "--notify", &again.url]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(again.requests().len(), 1);
    assert_eq!(again.requests()[0].json()["batch_id"], 1);
    let out = env.on_db(&["report", "1", "--json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["notification"]["url"], again.url);
    assert_eq!(report["notification"]["status"], 204);
    // Without --notify nothing is sent, and the earlier notification is not the batch's.
    let out = env.on_db(&["retry", "1", "-q"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(again.requests().len(), 1);
    assert_eq!(hook.requests().len(), 3);
    let out = env.on_db(&["report", "1", "--json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["notification"], Value::Null);
}
}

#[test]
fn a_webhook_that_never_answers_costs_bounded_time_not_the_exit_status() {
    let [good, broken] = inputs();
    let without = Env::new().run(&[&good, &broken]);

    let hook = Hook::start(vec![Reply::Silent]);
    let env = Env::new();
    let start = Instant::now();
    let run = env.run(&[
        &good,
        &broken,
        "--notify",
        &hook.url,
        "--notify-timeout",
        "1s",
    ]);
    let took = start.elapsed();
    // 4 attempts of 1 s and 1 + 2 + 4 s between them.
    assert!(took < Duration::from_secs(20), "{took:?}");
    assert_eq!(run.code(), without.code(), "{}", run.stderr());
    let warning = format!(
        "batchimp: warning: notification to {} failed after 4 attempts: no answer within 1s",
        hook.url
    );
    assert!(run.stderr().contains(&warning), "{}", run.stderr());
    assert_eq!(hook.requests().len(), 4);
    let n = &run.report()["notification"];
    assert_eq!(n["delivered"], false, "{n}");
    assert_eq!(n["attempts"], 4);
    assert_eq!(n["status"], Value::Null);
    assert_eq!(n["error"], "no answer within 1s");
    assert_eq!(without.report()["notification"], Value::Null);
}

db_test! {
fn credentials_in_the_url_are_never_shown_or_stored(db) {
    // Not retried: a 401 would be the same answer again.
    let hook = Hook::start(vec![Reply::Status(401, "")]);
    let env = Env::on(db);
    let url = format!(
        "http://hookuser:s3cr3t-pw@127.0.0.1:{}/hook?token=t0k3n-value&x=1",
        hook.port
    );
    let shown = format!("http://***@127.0.0.1:{}/hook", hook.port);
    let [good, broken] = inputs();
    let run = env.run(&[&good, &broken, "--notify", &url]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let warning = format!(
        "batchimp: warning: notification to {shown} failed after 1 attempt: HTTP 401 Unauthorized"
    );
    assert!(run.stderr().contains(&warning), "{}", run.stderr());
    // The credentials went where they belong: to the webhook.
    let requests = hook.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].line, "POST /hook?token=t0k3n-value&x=1 HTTP/1.1");
    // base64("hookuser:s3cr3t-pw")
    assert_eq!(
        requests[0].header("authorization"),
        Some("Basic aG9va3VzZXI6czNjcjN0LXB3")
    );
    let n = &run.report()["notification"];
    assert_eq!(
        n,
        &json!({"url": shown, "delivered": false, "attempts": 1, "status": 401,
                "error": "HTTP 401 Unauthorized"})
    );

    // The same through the environment, as cron would keep it out of `ps`.
    let from_env = env
        .cmd()
        .env("BATCHIMP_NOTIFY", &url)
        .args(["run", &good, "-q", "--recheck", "--report", "-"])
        .args(env.db_args())
        .output()
        .unwrap();
    assert_eq!(from_env.status.code(), Some(0));
    assert_eq!(hook.requests().len(), 2);
    // A URL that cannot be read is refused before the batch starts, without repeating it.
    let out = env.on_db(&[
        "run",
        &good,
        "--notify",
        "https://hookuser:s3cr3t/pw@127.0.0.1/hook?token=t0k3n-value",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let refused = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(refused.contains("--notify: not a valid URL"), "{refused}");

    let mut seen = vec![
        run.stderr(),
        String::from_utf8_lossy(&run.output.stdout).into_owned(),
        std::fs::read_to_string(env.path("report.json")).unwrap(),
        String::from_utf8_lossy(&from_env.stdout).into_owned(),
        String::from_utf8_lossy(&from_env.stderr).into_owned(),
        refused,
    ];
    for args in [&["report", "1", "--json"][..], &["report", "2"], &["list", "--json"]] {
        let out = env.on_db(args);
        assert_eq!(out.status.code(), Some(0));
        seen.push(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    for row in env.rows("SELECT * FROM batches") {
        seen.push(format!("{row:?}"));
    }
    assert!(seen.iter().any(|t| t.contains(&shown)));
    for text in &seen {
        for secret in ["s3cr3t", "t0k3n", "hookuser"] {
            assert!(!text.contains(secret), "{secret} in: {text}");
        }
    }
}
}

/// SQLite-only: a database on a full filesystem (tmpfs) stops the batch (exit 2); the webhook
/// still hears that it failed, and why.
#[test]
fn a_batch_stopped_by_a_full_disk_is_notified_as_failed() {
    let env = Env::new();
    crate::testdata::dataset(&env.path("notas"), 1500);
    let mnt = env.path("small-disk");
    std::fs::create_dir_all(&mnt).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
        .arg(&mnt)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipping: cannot mount a small tmpfs here (needs root)");
        return;
    }
    struct Unmount<'a>(&'a std::path::Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _guard = Unmount(&mnt);
    let hook = Hook::start(vec![Reply::Status(200, "")]);
    let out = env
        .cmd()
        .args(["run", "notas", "-q", "--notify", &hook.url, "--db"])
        .arg(mnt.join("full.db"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("warning"), "{err}");
    let requests = hook.requests();
    assert_eq!(requests.len(), 1, "{err}");
    let body = requests[0].json();
    assert_eq!(body["batch_id"], 1, "{body}");
    assert_eq!(body["status"], "failed");
    assert_eq!(body["report"], Value::Null);
    let error = body["error"].as_str().unwrap();
    assert!(
        error.contains("full") && error.contains("batchimp resume 1"),
        "{error}"
    );
    assert!(body["totals"]["files"].as_u64().is_some(), "{body}");
}

/// A webhook behind a private CA: `--notify-ca` makes batchimp trust it; without the flag the
/// same webhook is a TLS failure (the public roots do not know the CA), never delivered.
#[test]
fn notify_ca_trusts_a_private_certificate_authority() {
    use rcgen::{CertificateParams, KeyPair};
    let ca = crate::pgserver::test_ca("batchimp webhook test CA");
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca).unwrap();

    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
        )
        .unwrap();
    let config = std::sync::Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let delivered = std::sync::Arc::new(Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&delivered);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let conn = rustls::ServerConnection::new(std::sync::Arc::clone(&config)).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, stream);
            let mut head = Vec::new();
            let mut buf = [0u8; 4096];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match tls.read(&mut buf) {
                    Ok(n) if n > 0 => head.extend_from_slice(&buf[..n]),
                    _ => break,
                }
            }
            if head.starts_with(b"POST /hook") {
                seen.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&head).into_owned());
                let _ = tls.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                let _ = tls.flush();
            }
        }
    });
    let env = Env::new();
    let ca_file = env.path("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let url = format!("https://localhost:{port}/hook");
    let good = fixture("nfe/nfe-v4-authorized.xml");

    let run = env.run(&[&good, "--notify", &url, "--notify-timeout", "3s"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        delivered.lock().unwrap().is_empty(),
        "delivered without the CA"
    );
    assert!(run.stderr().contains("warning"), "{}", run.stderr());

    let run = env.run(&[
        &good,
        "--notify",
        &url,
        "--notify-ca",
        ca_file.to_str().unwrap(),
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(delivered.lock().unwrap().len(), 1, "{}", run.stderr());
    assert!(!run.stderr().contains("warning"), "{}", run.stderr());

    // A file with no certificate is a usage error, before any work.
    std::fs::write(env.path("empty.pem"), "not a certificate\n").unwrap();
    let run = env.run(&[&good, "--notify", &url, "--notify-ca", "empty.pem"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(run.stderr().contains("no certificate"), "{}", run.stderr());
}

/// The server's `Retry-After` decides the wait, not the backoff: 3 s asked after the first
/// attempt, where the backoff alone would wait 1 s.
#[test]
fn retry_after_is_honoured() {
    let hook = Hook::start(vec![
        Reply::Status(503, "Retry-After: 3\r\n"),
        Reply::Status(200, ""),
    ]);
    let env = Env::new();
    let [good, _] = inputs();
    let run = env.run(&[&good, "--notify", &hook.url]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let requests = hook.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    let gap = requests[1].at - requests[0].at;
    assert!(gap >= Duration::from_secs(3), "waited {gap:?}");
}

/// A dry run changes nothing and tells no one: the webhook is not called.
#[test]
fn a_dry_run_does_not_notify() {
    let hook = Hook::start(vec![Reply::Status(200, "")]);
    let env = Env::new();
    let [good, broken] = inputs();
    let out = env.on_db(&["run", &good, &broken, "--dry-run", "--notify", &hook.url]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(hook.requests().is_empty(), "{:?}", hook.requests());
}

/// Issue 29, item 11: a webhook answering 501 Not Implemented (or 505) will answer the same
/// again: given up at once, not retried three times over seven seconds.
#[test]
fn a_webhook_answering_501_is_not_retried() {
    let hook = Hook::start(vec![Reply::Status(501, ""), Reply::Status(200, "")]);
    let env = Env::new();
    let [good, _] = inputs();
    let run = env.run(&[&good, "--notify", &hook.url]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(hook.requests().len(), 1);
    let n = &run.report()["notification"];
    assert_eq!(
        (&n["delivered"], &n["attempts"], &n["status"]),
        (&json!(false), &json!(1), &json!(501)),
        "{n}"
    );
}
