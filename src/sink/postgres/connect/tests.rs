//! The connection settings: URL forms, the libpq environment, the password file, redaction,
//! and connecting to fake and TLS servers.

use super::*;
use crate::sink::postgres::tls::SSLMODES;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;

fn parse(url: &str, env: &[(&str, &str)]) -> Result<Settings> {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::parse(url, &|name| env.get(name).cloned())
}

fn ok(url: &str, env: &[(&str, &str)]) -> Settings {
    parse(url, env).unwrap()
}

fn err(url: &str, env: &[(&str, &str)]) -> String {
    parse(url, env).unwrap_err().to_string()
}

#[test]
fn full_url() {
    let s = ok("postgres://alice:s3cret@db.example.com:5433/sales", &[]);
    assert_eq!(
        (s.host.as_str(), s.port, s.user.as_str()),
        ("db.example.com", 5433, "alice")
    );
    assert_eq!(
        (s.password.as_deref(), s.dbname.as_str()),
        (Some("s3cret"), "sales")
    );
    assert_eq!(s.sslmode, SslMode::Prefer);
    assert_eq!(s.connect_timeout, Some(Duration::from_secs(10)));
    assert_eq!(s.application_name, "batchimp");
    assert_eq!(s.display(), "postgres://alice@db.example.com:5433/sales");
}

#[test]
fn url_forms() {
    let s = ok("postgresql://bob@h/db", &[]);
    assert_eq!(
        (s.port, s.password.is_none(), s.display().as_str()),
        (5432, true, "postgres://bob@h:5432/db")
    );
    let s = ok("POSTGRES://h:6000", &[("USER", "carol")]);
    assert_eq!(
        (s.user.as_str(), s.dbname.as_str(), s.port),
        ("carol", "carol", 6000)
    );
    let s = ok("postgres://al%40ice:p%40ss%2Fw%3A@h/my%20db", &[]);
    assert_eq!(
        (s.user.as_str(), s.password.as_deref()),
        ("al@ice", Some("p@ss/w:"))
    );
    assert_eq!(s.display(), "postgres://al%40ice@h:5432/my%20db");
    // An unencoded '@' in the password works; '/' does not, and the error hides it.
    assert_eq!(
        ok("postgres://u:p@ss@h/db", &[]).password.as_deref(),
        Some("p@ss")
    );
    let e = err("postgres://u:pa/ss@h/db", &[]);
    assert!(
        e.contains("percent-encoded") && !e.contains("pa/ss") && !e.contains("ss@"),
        "{e}"
    );
    let e = err("postgres://u:pass@h:x5/db", &[]);
    assert!(
        e.contains("invalid port \"x5\"") && !e.contains("pass"),
        "{e}"
    );
    let e = err("mysql://u:pass@h/db", &[]);
    assert!(e.contains("postgres://") && !e.contains("pass"), "{e}");
    assert!(err("postgres://h1,h2/db", &[]).contains("several hosts"));
    assert!(err("postgres://u@h/d%zzb", &[]).contains("hex digits"));
}

#[test]
fn socket_and_ipv6_hosts() {
    let s = ok("postgres://u@%2Fvar%2Frun%2Fpostgresql/db", &[]);
    assert_eq!(s.host, "/var/run/postgresql");
    assert!(s.is_socket());
    assert_eq!(
        s.display(),
        "postgres://u@%2Fvar%2Frun%2Fpostgresql:5432/db"
    );
    assert_eq!(
        ok("postgres:///db?host=/tmp", &[("USER", "u")]).host,
        "/tmp"
    );
    let s = ok("postgres://u@[::1]:6543/db", &[]);
    assert_eq!((s.host.as_str(), s.port), ("::1", 6543));
    assert_eq!(s.display(), "postgres://u@[::1]:6543/db");
    assert_eq!(ok("postgres://u@[fe80::1]/db", &[]).port, 5432);
    assert!(err("postgres://u@::1:5432/db", &[]).contains("brackets"));
    #[cfg(unix)]
    {
        let s = ok("postgres://u@%2Fno%2Fsuch%2Fdir:5433/db", &[]);
        let (kind, msg) = connect_error(&s);
        assert_eq!(kind, ConnectErrorKind::Refused);
        assert!(msg.ends_with(": no server at socket \"/no/such/dir/.s.PGSQL.5433\" (is the server running locally?)"), "{msg}");
    }
}

#[test]
fn query_parameters() {
    let url = "postgres://x@h/d?host=db2&port=7000&user=u%20v&password=pw&dbname=d2\
               &sslmode=verify-ca&sslrootcert=%2Fca.pem&connect_timeout=3&application_name=me";
    let s = ok(url, &[]);
    assert_eq!(
        (s.host.as_str(), s.port, s.user.as_str(), s.dbname.as_str()),
        ("db2", 7000, "u v", "d2")
    );
    assert_eq!(
        (s.password.as_deref(), s.sslmode),
        (Some("pw"), SslMode::VerifyCa)
    );
    assert_eq!(s.sslrootcert, Some(PathBuf::from("/ca.pem")));
    assert_eq!(
        (s.connect_timeout, s.application_name.as_str()),
        (Some(Duration::from_secs(3)), "me")
    );
    assert_eq!(
        ok("postgres://h/d?connect_timeout=0", &[]).connect_timeout,
        None
    );
    let e = err("postgres://u:pw@h/d?sslcert=x", &[]);
    assert!(
        e.contains("unknown parameter \"sslcert\"") && !e.contains("pw"),
        "{e}"
    );
    assert!(err("postgres://h/d?port=0", &[]).contains("invalid port"));
    assert!(err("postgres://h/d?connect_timeout=soon", &[]).contains("connect_timeout"));
}

#[test]
fn environment_fills_gaps_and_url_wins() {
    let env = [
        ("PGHOST", "envhost"),
        ("PGPORT", "5999"),
        ("PGUSER", "envuser"),
        ("PGPASSWORD", "envpw"),
        ("PGDATABASE", "envdb"),
        ("PGSSLMODE", "require"),
        ("PGCONNECT_TIMEOUT", "4"),
        ("PGAPPNAME", "envapp"),
        ("USER", "osuser"),
    ];
    let s = ok("postgres://", &env);
    assert_eq!(
        (s.host.as_str(), s.port, s.user.as_str(), s.dbname.as_str()),
        ("envhost", 5999, "envuser", "envdb")
    );
    assert_eq!(
        (s.password.as_deref(), s.sslmode),
        (Some("envpw"), SslMode::Require)
    );
    assert_eq!(
        (s.connect_timeout, s.application_name.as_str()),
        (Some(Duration::from_secs(4)), "envapp")
    );
    let s = ok("postgres://u:pw@h:1/db?sslmode=disable", &env);
    assert_eq!(
        (s.host.as_str(), s.port, s.user.as_str(), s.dbname.as_str()),
        ("h", 1, "u", "db")
    );
    assert_eq!(
        (s.password.as_deref(), s.sslmode),
        (Some("pw"), SslMode::Disable)
    );
    // Defaults when nothing is set.
    let s = ok("postgres://", &[]);
    assert_eq!(
        (s.host.as_str(), s.port, s.user.as_str(), s.dbname.as_str()),
        ("localhost", 5432, "postgres", "postgres")
    );
    assert_eq!(ok("postgres://", &[("LOGNAME", "lg")]).user, "lg");
    assert!(err("postgres://", &[("PGPORT", "x")]).contains("PGPORT"));
}

#[test]
fn sslmodes() {
    for (name, mode) in SSLMODES {
        assert_eq!(SslMode::parse(name).unwrap(), mode);
        assert_eq!(mode.as_str(), name);
    }
    let e = err("postgres://h/d?sslmode=verify", &[]);
    assert!(
        e.contains("disable, prefer, require, verify-ca, verify-full"),
        "{e}"
    );
    assert!(err("postgres://h/d", &[("PGSSLMODE", "allow")]).contains("invalid sslmode"));
    // sslrootcert=system: verify-full by default, weaker modes refused (as libpq).
    assert_eq!(
        ok("postgres://h/d?sslrootcert=system", &[]).sslmode,
        SslMode::VerifyFull
    );
    assert!(err("postgres://h/d?sslrootcert=system&sslmode=require", &[]).contains("weak sslmode"));
}

fn passfile(text: &str, mode: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".pgpass");
    std::fs::write(&path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = mode;
    dir
}

#[test]
fn password_file() {
    let text = "# comment\n\
                other:*:*:*:nope\n\
                h:5432:db:u:first\n\
                h:5432:db:u:second\n\
                *:6000:*:u:wild\n\
                we\\:ird:*:d\\\\b:*:esc\\:aped:ignored\n\
                localhost:*:*:*:local\n\
                \\*:*:*:*:literal-star\n";
    let dir = passfile(text, 0o600);
    let home = dir.path().to_str().unwrap();
    let pw = |url: &str| ok(url, &[("HOME", home)]).password;
    assert_eq!(pw("postgres://u@h/db").as_deref(), Some("first"));
    assert_eq!(pw("postgres://u@any:6000/x").as_deref(), Some("wild"));
    assert_eq!(
        pw("postgres://u@we%3Aird/d%5Cb").as_deref(),
        Some("esc:aped")
    );
    assert_eq!(pw("postgres://z@%2Ftmp/db").as_deref(), Some("local"));
    assert_eq!(pw("postgres://z@%2A/db").as_deref(), Some("literal-star"));
    assert_eq!(pw("postgres://v@h/db"), None);
    // A given password wins; PGPASSFILE replaces ~/.pgpass.
    assert_eq!(pw("postgres://u:given@h/db").as_deref(), Some("given"));
    let file = dir.path().join(".pgpass");
    let s = ok(
        "postgres://u@h/db",
        &[("PGPASSFILE", file.to_str().unwrap())],
    );
    assert_eq!(s.password.as_deref(), Some("first"));
    assert!(s.has_password());
}

#[cfg(unix)]
#[test]
fn password_file_readable_by_others_is_ignored() {
    let dir = passfile("*:*:*:*:pw\n", 0o644);
    assert_eq!(
        ok(
            "postgres://u@h/db",
            &[("HOME", dir.path().to_str().unwrap())]
        )
        .password,
        None
    );
    let dir = passfile("*:*:*:*:pw\n", 0o600);
    assert_eq!(
        ok(
            "postgres://u@h/db",
            &[("HOME", dir.path().to_str().unwrap())]
        )
        .password
        .as_deref(),
        Some("pw")
    );
}

#[test]
fn password_never_shown() {
    let s = ok("postgres://u:hunter2@h/db?application_name=a", &[]);
    assert!(!s.display().contains("hunter2"));
    let debug = format!("{s:?}");
    assert!(
        !debug.contains("hunter2") && debug.contains("***"),
        "{debug}"
    );
    let e = s.fail(ConnectErrorKind::Other, "server said hunter2");
    assert_eq!(
        e.to_string(),
        "cannot connect to postgres://u@h:5432/db: server said ***"
    );
    // A password that is also the user name is not masked: that would give it away.
    let s = ok("postgres://postgres:postgres@h/db", &[]);
    assert!(
        s.fail(ConnectErrorKind::Other, "x")
            .to_string()
            .starts_with("cannot connect to postgres://postgres@")
    );
}

#[test]
fn redacting() {
    assert_eq!(redact("postgres://u:secret@h/db?x"), "postgres://u@h/db?x");
    assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    assert_eq!(redact("postgres://h/db"), "postgres://h/db");
    assert_eq!(redact("postgres://u:se@c/r?et@h/db"), "postgres://u@h/db");
    assert_eq!(redact("u:secret@h/db"), "u@h/db");
    assert_eq!(
        redact("postgres://h/db?sslmode=require&password=secret"),
        "postgres://h/db?sslmode=require&password=***"
    );
    assert_eq!(
        redact("postgres://h/db?pass%77ord=secret"),
        "postgres://h/db?pass%77ord=***"
    );
}

fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn connect_error(s: &Settings) -> (ConnectErrorKind, String) {
    let e = s.connect().err().expect("connect should fail");
    let e = e.downcast_ref::<ConnectError>().expect("a ConnectError");
    (e.kind(), e.to_string())
}

#[test]
fn connection_refused() {
    let port = closed_port();
    let s = ok(&format!("postgres://u:pw@127.0.0.1:{port}/db"), &[]);
    let (kind, msg) = connect_error(&s);
    assert_eq!(kind, ConnectErrorKind::Refused);
    assert_eq!(
        msg,
        format!(
            "cannot connect to postgres://u@127.0.0.1:{port}/db: connection refused (is the server running on 127.0.0.1 port {port}?)"
        )
    );
}

#[test]
fn verify_without_root_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().to_str().unwrap();
    let s = ok(
        &format!(
            "postgres://u@127.0.0.1:{}/db?sslmode=verify-full",
            closed_port()
        ),
        &[("HOME", home)],
    );
    let (kind, msg) = connect_error(&s);
    assert_eq!(kind, ConnectErrorKind::Tls);
    assert!(
        msg.contains("root certificate file")
            && msg.contains("root.crt")
            && msg.contains("does not exist; give sslrootcert=PATH or sslrootcert=system"),
        "{msg}"
    );
    let bad = dir.path().join("bad.pem");
    std::fs::write(&bad, "not a certificate\n").unwrap();
    let url = format!(
        "postgres://u@127.0.0.1:{}/db?sslmode=verify-ca&sslrootcert={}",
        closed_port(),
        bad.display()
    );
    let (kind, msg) = connect_error(&ok(&url, &[]));
    assert_eq!(kind, ConnectErrorKind::Tls);
    assert!(msg.contains("no PEM certificates"), "{msg}");
    // require without a root file does not need one; system roots always load.
    let s = ok(
        &format!(
            "postgres://u@127.0.0.1:{}/db?sslmode=require",
            closed_port()
        ),
        &[("HOME", home)],
    );
    assert_eq!(connect_error(&s).0, ConnectErrorKind::Refused);
    let s = ok(
        &format!(
            "postgres://u@127.0.0.1:{}/db?sslrootcert=system",
            closed_port()
        ),
        &[],
    );
    assert_eq!(connect_error(&s).0, ConnectErrorKind::Refused);
}

/// A one-shot server: reads the client's first message, answers `reply`, hangs up.
fn fake_server(reply: Vec<u8>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut len = [0; 4];
        stream.read_exact(&mut len).unwrap();
        let mut body = vec![0; u32::from_be_bytes(len) as usize - 4];
        stream.read_exact(&mut body).unwrap();
        stream.write_all(&reply).unwrap();
    });
    port
}

fn error_response(code: &str, message: &str) -> Vec<u8> {
    let body = format!("SFATAL\0VFATAL\0C{code}\0M{message}\0\0");
    let mut out = vec![b'E'];
    out.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
    out.extend_from_slice(body.as_bytes());
    out
}

#[test]
fn server_errors() {
    for (code, message, kind, says) in [
        (
            "28P01",
            "password authentication failed for user \"u\"",
            ConnectErrorKind::Auth,
            ": password authentication failed for user \"u\"",
        ),
        (
            "3D000",
            "database \"db\" does not exist",
            ConnectErrorKind::NoDatabase,
            ": database \"db\" does not exist",
        ),
        (
            "53300",
            "sorry, too many clients already",
            ConnectErrorKind::Other,
            ": sorry, too many clients already (SQLSTATE 53300)",
        ),
    ] {
        let port = fake_server(error_response(code, message));
        let (got, msg) = connect_error(&ok(
            &format!("postgres://u:pw@127.0.0.1:{port}/db?sslmode=disable"),
            &[],
        ));
        assert_eq!(got, kind, "{code}");
        assert_eq!(
            msg,
            format!("cannot connect to postgres://u@127.0.0.1:{port}/db{says}")
        );
    }
}

#[test]
fn password_asked_but_none_given() {
    // AuthenticationCleartextPassword.
    let port = fake_server(vec![b'R', 0, 0, 0, 8, 0, 0, 0, 3]);
    let (kind, msg) = connect_error(&ok(
        &format!("postgres://u@127.0.0.1:{port}/db?sslmode=disable"),
        &[],
    ));
    assert_eq!(kind, ConnectErrorKind::Auth);
    assert!(
        msg.contains("asks for a password and none was given for user \"u\""),
        "{msg}"
    );
}

#[test]
fn tls_refused_or_broken() {
    let port = fake_server(b"N".to_vec());
    let (kind, msg) = connect_error(&ok(
        &format!("postgres://u@127.0.0.1:{port}/db?sslmode=require"),
        &[],
    ));
    assert_eq!(kind, ConnectErrorKind::NoTls);
    assert_eq!(
        msg,
        format!(
            "cannot connect to postgres://u@127.0.0.1:{port}/db: the server does not support TLS (sslmode=require)"
        )
    );
    // The server says yes to TLS, then hangs up.
    let port = fake_server(b"S".to_vec());
    let (kind, msg) = connect_error(&ok(
        &format!("postgres://u@127.0.0.1:{port}/db?sslmode=require"),
        &[],
    ));
    assert_eq!(kind, ConnectErrorKind::Tls);
    assert!(
        msg.starts_with(&format!(
            "cannot connect to postgres://u@127.0.0.1:{port}/db: TLS: "
        )),
        "{msg}"
    );
}

const CA_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBaDCCAQ+gAwIBAgIBATAKBggqhkjOPQQDAjAbMRkwFwYDVQQDDBBiYXRjaGlt
cCB0ZXN0IENBMCAXDTAwMDEwMTAwMDAwMFoYDzIxMDAwMTAxMDAwMDAwWjAbMRkw
FwYDVQQDDBBiYXRjaGltcCB0ZXN0IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcD
QgAEMEuTUuLa8FbrpYeYgFGiw/48JjiDUuK70U8wTR8HGVVhwiXT1P1pV6rjFYVl
oNqjfo3E63UdLTqucy5JFCTeaaNCMEAwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8B
Af8EBAMCAgQwHQYDVR0OBBYEFHjMXpQYofNDeh/oCqgfGwcvUf+QMAoGCCqGSM49
BAMCA0cAMEQCIFcx3Hf/EFnzkhDR9IxWhpbjV2faIn5u81sDxDGaWhYDAiB3J8Vo
QH455kLVwNGOZ+DItPvqvSE9sFVHx0tddKhHhg==
-----END CERTIFICATE-----
";
/// Issued by `CA_PEM` for `db.test` only (not 127.0.0.1), valid 2000-2100.
const SERVER_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBqjCCAU+gAwIBAgIBAjAKBggqhkjOPQQDAjAbMRkwFwYDVQQDDBBiYXRjaGlt
cCB0ZXN0IENBMCAXDTAwMDEwMTAwMDAwMFoYDzIxMDAwMTAxMDAwMDAwWjASMRAw
DgYDVQQDDAdkYi50ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEtKDb3Ur6
mD+/YMZuxeX+1nRDUtd3QU7wz4GHAD7FwncNTECS5aMwcUqpRyz6UWcKXtCE8vpU
D1RrxdBrlk/VgaOBijCBhzAMBgNVHRMBAf8EAjAAMBIGA1UdEQQLMAmCB2RiLnRl
c3QwEwYDVR0lBAwwCgYIKwYBBQUHAwEwDgYDVR0PAQH/BAQDAgeAMB0GA1UdDgQW
BBQqsVlO4yuMd0qtGXp4x90GnHWUtTAfBgNVHSMEGDAWgBR4zF6UGKHzQ3of6Aqo
HxsHL1H/kDAKBggqhkjOPQQDAgNJADBGAiEAhF2T45UcT2d7CyghpbWwf3lTdf09
4E82L/hqLtMVuz0CIQCs7ta7DHxachOZs37laRXEsy5JtrMHgDFrfzjQx8mt9w==
-----END CERTIFICATE-----
";
const SERVER_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgJZ5jpW/TVK3/j6sp
FfrJYmnpwN8euiQ1VC6iD4njQzShRANCAAS0oNvdSvqYP79gxm7F5f7WdENS13dB
TvDPgYcAPsXCdw1MQJLlozBxSqlHLPpRZwpe0ITy+lQPVGvF0GuWT9WB
-----END PRIVATE KEY-----
";

/// A one-shot TLS server: answers the SSLRequest with 'S', does the handshake with
/// `SERVER_PEM`, reads the startup message and answers "database does not exist", so a
/// `NoDatabase` error proves the TLS connection was made.
fn tls_server() -> u16 {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(SERVER_PEM.as_bytes())
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_slice(SERVER_KEY.as_bytes()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || -> io::Result<()> {
        let (mut tcp, _) = listener.accept()?;
        tcp.read_exact(&mut [0; 8])?;
        tcp.write_all(b"S")?;
        let conn = rustls::ServerConnection::new(Arc::new(config)).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let mut len = [0; 4];
        tls.read_exact(&mut len)?;
        tls.read_exact(&mut vec![0; u32::from_be_bytes(len) as usize - 4])?;
        tls.write_all(&error_response("3D000", "database \"db\" does not exist"))?;
        tls.conn.send_close_notify();
        tls.flush()
    });
    port
}

#[test]
fn tls_modes() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, CA_PEM).unwrap();
    let home = [("HOME", dir.path().to_str().unwrap())];
    let try_mode = |query: &str| {
        let url = format!("postgres://u@127.0.0.1:{}/db?{query}", tls_server());
        connect_error(&ok(&url, &home))
    };
    let ca = ca.display();
    // Certificate not checked; chain checked but not the name: both connect.
    assert_eq!(try_mode("sslmode=require").0, ConnectErrorKind::NoDatabase);
    assert_eq!(try_mode("sslmode=prefer").0, ConnectErrorKind::NoDatabase);
    assert_eq!(
        try_mode(&format!("sslmode=verify-ca&sslrootcert={ca}")).0,
        ConnectErrorKind::NoDatabase
    );
    // The certificate is for db.test, not 127.0.0.1.
    let (kind, msg) = try_mode(&format!("sslmode=verify-full&sslrootcert={ca}"));
    assert_eq!(kind, ConnectErrorKind::Tls);
    assert!(
        msg.contains(": TLS: ") && msg.contains("not valid for name"),
        "{msg}"
    );
    // Not signed by a public root.
    let (kind, msg) = try_mode("sslrootcert=system");
    assert_eq!(kind, ConnectErrorKind::Tls);
    assert!(msg.contains("UnknownIssuer"), "{msg}");
    // require with ~/.postgresql/root.crt checks the chain, as libpq does.
    std::fs::create_dir(dir.path().join(".postgresql")).unwrap();
    std::fs::write(dir.path().join(".postgresql/root.crt"), SERVER_PEM).unwrap();
    assert_eq!(try_mode("sslmode=require").0, ConnectErrorKind::Tls);
    std::fs::write(dir.path().join(".postgresql/root.crt"), CA_PEM).unwrap();
    assert_eq!(try_mode("sslmode=require").0, ConnectErrorKind::NoDatabase);
    assert_eq!(
        try_mode("sslmode=verify-ca").0,
        ConnectErrorKind::NoDatabase
    );
}

#[test]
fn unknown_host() {
    let (kind, msg) = connect_error(&ok("postgres://u@no-such-host.invalid/db", &[]));
    assert_eq!(kind, ConnectErrorKind::UnknownHost, "{msg}");
    assert_eq!(
        msg,
        "cannot connect to postgres://u@no-such-host.invalid:5432/db: unknown host \"no-such-host.invalid\""
    );
}
