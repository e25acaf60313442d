//! A real, throwaway PostgreSQL server for the integration tests.
//!
//! The PostgreSQL backend is only worth testing against the real thing: its SQL dialect, its
//! authentication (trust, SCRAM), TLS and what happens when the server goes away under a
//! running import. Each `PgServer` is a fresh cluster made with Debian's `initdb` in its own
//! temporary directory, listening on a free 127.0.0.1 port and on a unix socket in that
//! directory, with a role `batchimp` (superuser) and a database `batchimp` owned by it.
//!
//! - [`PgServer::start`] makes a private server (optionally with a password for TCP, or TLS);
//!   dropping it stops it and removes its directory.
//! - [`PgServer::shared`] is one plain, trust-auth server for the whole test process. Statics
//!   are never dropped, so every server also gets a detached watchdog (`sh` loop) that stops it
//!   and removes its directory once the test process is gone, even after a crash or SIGKILL.
//!
//! When the binaries are missing, `start`/`shared` print a SKIPPED line to stderr and return
//! `None` (tests then return early), unless `BATCHIMP_REQUIRE_POSTGRES=1` (set by CI), which
//! turns that into a panic. Server commands run as the `postgres` OS user via `runuser` when
//! the tests run as root (initdb refuses root), directly otherwise.
#![allow(dead_code)] // a harness: not every test uses every helper

use std::fs;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const SKIP_MSG: &str =
    "SKIPPED: PostgreSQL tests need Debian's postgresql package (initdb, pg_ctl)";
/// The application's role and default database.
pub const ROLE: &str = "batchimp";
/// How long a start/restart may take before the harness gives up with the log's tail.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// How to set up a private server.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `ssl=on` with a server certificate for DNS name `localhost` signed by a fresh CA
    /// (see [`PgServer::ca_cert`]). Plain TCP connections are still accepted.
    pub tls: bool,
    /// When set, TCP connections (to any role) need SCRAM-SHA-256 and role `batchimp` has this
    /// password. The unix socket stays trust (the harness's own admin connections use it).
    pub password: Option<String>,
    /// With `password`: TCP connections use the `password` method (the password in cleartext,
    /// AuthenticationCleartextPassword) instead of SCRAM.
    pub cleartext: bool,
}

/// A running throwaway PostgreSQL cluster. See the module docs.
#[derive(Debug)]
pub struct PgServer {
    /// The temp dir: socket dir, log, certificates; the cluster is in `data/`.
    dir: PathBuf,
    data: PathBuf,
    log: PathBuf,
    bin: PathBuf,
    /// Run server commands through `runuser -u postgres` (the tests run as root).
    as_postgres: bool,
    port: u16,
    password: Option<String>,
    ca: Option<PathBuf>,
}

impl PgServer {
    /// A private server. `None` (after a loud SKIPPED line on stderr) when PostgreSQL is not
    /// installed, unless `BATCHIMP_REQUIRE_POSTGRES=1`: then it panics. Panics with the
    /// server log's tail if the server cannot be set up.
    pub fn start(opts: Options) -> Option<PgServer> {
        let bin = match find_bin_dir() {
            Some(bin) => bin,
            None => {
                skip();
                return None;
            }
        };
        Some(PgServer::start_with(bin, opts))
    }

    /// The server shared by every test of this process: plain TCP, trust auth. Started on
    /// first use; stopped by its watchdog when the process ends. Do not stop or restart it
    /// (other tests run against it at the same time): use [`PgServer::start`] for that.
    pub fn shared() -> Option<&'static PgServer> {
        static SHARED: OnceLock<Option<PgServer>> = OnceLock::new();
        let server = SHARED
            .get_or_init(|| PgServer::start(Options::default()))
            .as_ref();
        if server.is_none() {
            // The first caller printed the SKIPPED line; say it for every skipped test.
            skip();
        }
        server
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's temp dir (unix socket, `server.log`, certificates; cluster in `data/`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `postgres://batchimp[:password]@127.0.0.1:PORT/DB`, with the password when the server
    /// has one.
    pub fn url(&self, db: &str) -> String {
        match &self.password {
            Some(pw) => self.url_with_password(db, pw),
            None => format!("postgres://{ROLE}@127.0.0.1:{}/{db}", self.port),
        }
    }

    /// Like [`PgServer::url`] with the given password (percent-encoded), right or wrong.
    pub fn url_with_password(&self, db: &str, password: &str) -> String {
        format!(
            "postgres://{ROLE}:{}@127.0.0.1:{}/{db}",
            percent_encode(password),
            self.port
        )
    }

    /// Creates a fresh database owned by `batchimp` and returns its name (unique within the
    /// test process).
    pub fn create_database(&self) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(1);
        let name = format!("test_{}", NEXT.fetch_add(1, Ordering::Relaxed));
        self.client("postgres")
            .batch_execute(&format!("CREATE DATABASE {name} OWNER {ROLE}"))
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        name
    }

    /// A connected admin client to `db`: role `batchimp` (superuser) over the unix socket,
    /// which is trust on every server, so objects it creates belong to the application's role.
    pub fn client(&self, db: &str) -> postgres::Client {
        self.socket_config(ROLE, db)
            .connect(postgres::NoTls)
            .unwrap_or_else(|e| panic!("connecting to {db} over {}: {e}", self.dir.display()))
    }

    /// `pg_ctl restart -m fast`; returns once the server accepts connections again.
    pub fn restart(&self) {
        let log = self.log.to_str().expect("utf-8 path");
        let data = self.data.to_str().expect("utf-8 path");
        let t = READY_TIMEOUT.as_secs().to_string();
        let out = self
            .pg(
                "pg_ctl",
                &[
                    "restart", "-D", data, "-m", "fast", "-w", "-t", &t, "-l", log,
                ],
            )
            .output()
            .expect("running pg_ctl");
        self.check("pg_ctl restart", &out);
        self.wait_ready();
    }

    /// `pg_ctl stop -m fast`, waiting until the server is down.
    pub fn stop(&self) {
        let data = self.data.to_str().expect("utf-8 path");
        let t = READY_TIMEOUT.as_secs().to_string();
        let out = self
            .pg(
                "pg_ctl",
                &["stop", "-D", data, "-m", "fast", "-w", "-t", &t],
            )
            .output()
            .expect("running pg_ctl");
        self.check("pg_ctl stop", &out);
    }

    /// Starts the server again after [`PgServer::stop`], same port; returns once it accepts
    /// connections.
    pub fn start_again(&self) {
        let out = self.pg_ctl_start();
        self.check("pg_ctl start", &out);
        self.wait_ready();
    }

    /// For TLS servers: the CA certificate (PEM) that signed the server certificate, for
    /// `sslrootcert`. The server certificate names only DNS `localhost` (no IP SAN), so
    /// verify-full against `localhost` passes and against `127.0.0.1` fails on the name.
    pub fn ca_cert(&self) -> Option<&Path> {
        self.ca.as_deref()
    }

    /// The last lines of the server log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    // ----- setting up -----

    fn start_with(bin: PathBuf, opts: Options) -> PgServer {
        let as_postgres = running_as_root();
        let base = if as_postgres {
            // The postgres user must be able to traverse every parent of the dir.
            PathBuf::from("/tmp")
        } else {
            std::env::temp_dir()
        };
        let dir = tempfile::Builder::new()
            .prefix("batchimp-pg-")
            .tempdir_in(&base)
            .expect("creating the server's temp dir")
            .keep();
        let mut server = PgServer {
            data: dir.join("data"),
            log: dir.join("server.log"),
            dir,
            bin,
            as_postgres,
            port: 0,
            password: opts.password.clone(),
            ca: None,
        };
        // From here on, a panic drops `server`, which stops it and removes the dir; the
        // watchdog covers the process dying without unwinding.
        fs::set_permissions(&server.dir, fs::Permissions::from_mode(0o755)).expect("chmod dir");
        server.chown(&server.dir);
        server.spawn_watchdog();

        let data = server.data.to_str().expect("utf-8 path").to_owned();
        let out = server
            .pg(
                "initdb",
                &[
                    "-D",
                    &data,
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "--no-sync",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ],
            )
            .output()
            .expect("running initdb");
        server.check("initdb", &out);

        if opts.tls {
            server.write_certificates();
        }
        let mut hba = String::from("local all all trust\n");
        if opts.password.is_some() && opts.cleartext {
            hba.push_str("host all all 127.0.0.1/32 password\n");
        } else if opts.password.is_some() {
            hba.push_str("host all all 127.0.0.1/32 scram-sha-256\n");
        } else {
            hba.push_str("host all all 127.0.0.1/32 trust\n");
        }
        fs::write(server.data.join("pg_hba.conf"), hba).expect("writing pg_hba.conf");
        let base_conf = fs::read_to_string(server.data.join("postgresql.conf"))
            .expect("reading postgresql.conf");

        // A free port can be taken between our probe and the server's bind: retry on another.
        let mut attempts = 0;
        loop {
            attempts += 1;
            server.port = free_port();
            let conf = format!(
                "{base_conf}\n# batchimp test harness\n{}",
                server.settings(&opts)
            );
            fs::write(server.data.join("postgresql.conf"), conf).expect("writing postgresql.conf");
            let log_before = fs::metadata(&server.log).map(|m| m.len()).unwrap_or(0);
            let out = server.pg_ctl_start();
            if out.status.success() {
                break;
            }
            let log = fs::read(&server.log).unwrap_or_default();
            let new_log = String::from_utf8_lossy(&log[(log_before as usize).min(log.len())..]);
            let port_taken =
                new_log.contains("could not bind") || new_log.contains("Address already in use");
            if !port_taken || attempts >= 5 {
                server.check("pg_ctl start", &out);
            }
        }
        server.wait_ready();

        let role = match &opts.password {
            Some(pw) => format!(
                "CREATE ROLE {ROLE} SUPERUSER LOGIN PASSWORD '{}'",
                pw.replace('\'', "''")
            ),
            None => format!("CREATE ROLE {ROLE} SUPERUSER LOGIN"),
        };
        let mut admin = server
            .socket_config("postgres", "postgres")
            .connect(postgres::NoTls)
            .unwrap_or_else(|e| panic!("connecting as postgres: {e}\n{}", server.log_tail()));
        admin
            .batch_execute(&role)
            .and_then(|()| admin.batch_execute(&format!("CREATE DATABASE {ROLE} OWNER {ROLE}")))
            .unwrap_or_else(|e| panic!("creating role and database: {e}\n{}", server.log_tail()));
        server
    }

    /// Lines appended to postgresql.conf (the last setting of a name wins).
    fn settings(&self, opts: &Options) -> String {
        let mut s = format!(
            "listen_addresses = '127.0.0.1'\n\
             port = {}\n\
             unix_socket_directories = '{}'\n\
             max_connections = 50\n\
             shared_buffers = 64MB\n\
             logging_collector = off\n",
            self.port,
            self.dir.display()
        );
        if opts.password.is_some() {
            s.push_str("password_encryption = 'scram-sha-256'\n");
        }
        if opts.tls {
            s.push_str(&format!(
                "ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\n",
                self.dir.join("server.crt").display(),
                self.dir.join("server.key").display()
            ));
        }
        s
    }

    /// A CA and a server certificate for DNS name `localhost` (only) signed by it.
    fn write_certificates(&mut self) {
        use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose};
        let ca = test_ca("batchimp test CA");

        let mut params =
            CertificateParams::new(vec!["localhost".to_owned()]).expect("server cert params");
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().expect("server key");
        let cert = params
            .signed_by(&key, &ca)
            .expect("signing the server cert");

        let ca_path = self.dir.join("ca.crt");
        write_file(&ca_path, ca.pem().as_bytes(), 0o644);
        write_file(&self.dir.join("server.crt"), cert.pem().as_bytes(), 0o644);
        // PostgreSQL refuses a key readable by others or not owned by the server's user.
        let key_path = self.dir.join("server.key");
        write_file(&key_path, key.serialize_pem().as_bytes(), 0o600);
        for f in ["ca.crt", "server.crt", "server.key"] {
            self.chown(&self.dir.join(f));
        }
        self.ca = Some(ca_path);
    }

    /// A detached `sh` loop: once this test process is gone (and the server was not already
    /// dropped, i.e. its dir still exists), stop the server and remove its dir. It is in
    /// its own process group so that a Ctrl-C on the test run does not kill it too.
    fn spawn_watchdog(&self) {
        let pg_ctl = shell_quote(self.bin.join("pg_ctl").to_str().expect("utf-8 path"));
        let stop = if self.as_postgres {
            format!("runuser -u postgres -- {pg_ctl}")
        } else {
            pg_ctl
        };
        let script = format!(
            "pid={pid}; data={data}; dir={dir}\n\
             while kill -0 \"$pid\" 2>/dev/null && [ -d \"$dir\" ]; do sleep 0.5; done\n\
             if [ -d \"$dir\" ]; then\n\
             \x20 [ -f \"$data/postmaster.pid\" ] && {stop} stop -D \"$data\" -m immediate -w >/dev/null 2>&1\n\
             \x20 rm -rf \"$dir\"\n\
             fi\n",
            pid = std::process::id(),
            data = shell_quote(self.data.to_str().expect("utf-8 path")),
            dir = shell_quote(self.dir.to_str().expect("utf-8 path")),
        );
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(script)
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        scrub_pg_env(&mut cmd);
        // Never waited for: it outlives this process by design.
        drop(cmd.spawn().expect("starting the watchdog"));
    }

    // ----- running server commands -----

    /// A PostgreSQL program from the bin dir, as the postgres user when we are root.
    fn pg(&self, tool: &str, args: &[&str]) -> Command {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        // The postgres user may not be allowed into the test's current dir.
        cmd.args(args).current_dir(&self.dir).stdin(Stdio::null());
        scrub_pg_env(&mut cmd);
        cmd
    }

    fn pg_ctl_start(&self) -> Output {
        let log = self.log.to_str().expect("utf-8 path");
        let data = self.data.to_str().expect("utf-8 path");
        let t = READY_TIMEOUT.as_secs().to_string();
        // -l: the postmaster's output goes to the log, so it holds none of our pipes.
        self.pg("pg_ctl", &["start", "-D", data, "-w", "-t", &t, "-l", log])
            .output()
            .expect("running pg_ctl")
    }

    /// Panics with the command's output and the server log's tail when it failed.
    fn check(&self, what: &str, out: &Output) {
        if !out.status.success() {
            panic!(
                "{what} failed ({})\n--- stdout\n{}\n--- stderr\n{}\n--- server log ({}) tail\n{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                self.log.display(),
                self.log_tail()
            );
        }
    }

    /// Until both the TCP port and the unix socket answer (`select 1` as postgres).
    fn wait_ready(&self) {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let tcp = TcpStream::connect(("127.0.0.1", self.port));
            let sql = self
                .socket_config("postgres", "postgres")
                .connect(postgres::NoTls)
                .and_then(|mut c| c.simple_query("select 1").map(drop));
            let last_err = match (tcp, sql) {
                (Ok(_), Ok(())) => return,
                (Err(e), _) => format!("TCP 127.0.0.1:{}: {e}", self.port),
                (_, Err(e)) => format!("unix socket: {e}"),
            };
            if Instant::now() > deadline {
                panic!(
                    "PostgreSQL not ready after {READY_TIMEOUT:?}: {last_err}\n--- server log tail\n{}",
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn socket_config(&self, user: &str, db: &str) -> postgres::Config {
        let mut config = postgres::Config::new();
        config
            .host_path(&self.dir)
            .port(self.port)
            .user(user)
            .dbname(db)
            .connect_timeout(Duration::from_secs(10));
        config
    }

    fn chown(&self, path: &Path) {
        if self.as_postgres {
            let (uid, gid) = postgres_ids().expect("the postgres OS user");
            std::os::unix::fs::chown(path, Some(uid), Some(gid))
                .unwrap_or_else(|e| panic!("chown postgres {}: {e}", path.display()));
        }
    }
}

impl Drop for PgServer {
    /// `pg_ctl stop -m immediate` and remove the dir; never panics.
    fn drop(&mut self) {
        if self.data.join("postmaster.pid").exists()
            && let Some(data) = self.data.to_str()
        {
            let _ = self
                .pg("pg_ctl", &["stop", "-D", data, "-m", "immediate", "-w"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        // Removing the dir also tells the watchdog to exit quietly.
        let _ = fs::remove_dir_all(&self.dir);
    }
}

// ----- helpers -----

/// The highest-versioned `/usr/lib/postgresql/*/bin` that has initdb and pg_ctl; when root,
/// only if the postgres OS user exists too.
fn find_bin_dir() -> Option<PathBuf> {
    let mut best: Option<(u32, PathBuf)> = None;
    for entry in fs::read_dir("/usr/lib/postgresql").ok()?.flatten() {
        let Some(version) = entry
            .file_name()
            .to_str()
            .and_then(|v| v.split('.').next()?.parse::<u32>().ok())
        else {
            continue;
        };
        let bin = entry.path().join("bin");
        if bin.join("initdb").is_file()
            && bin.join("pg_ctl").is_file()
            && best.as_ref().is_none_or(|(v, _)| version > *v)
        {
            best = Some((version, bin));
        }
    }
    let bin = best?.1;
    if running_as_root() && postgres_ids().is_none() {
        return None;
    }
    Some(bin)
}

/// Prints the SKIPPED line straight to stderr (not through the test harness's capture), or
/// panics with it when CI requires PostgreSQL.
fn skip() {
    if std::env::var("BATCHIMP_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
        panic!("{SKIP_MSG} (and BATCHIMP_REQUIRE_POSTGRES=1)");
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("unnamed test")
        .to_owned();
    let _ = writeln!(std::io::stderr(), "{SKIP_MSG} [{test}]");
}

fn running_as_root() -> bool {
    // /proc/self belongs to the effective uid.
    match fs::metadata("/proc/self") {
        Ok(m) => m.uid() == 0,
        Err(_) => Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0"),
    }
}

fn postgres_ids() -> Option<(u32, u32)> {
    static IDS: OnceLock<Option<(u32, u32)>> = OnceLock::new();
    *IDS.get_or_init(|| {
        let id = |flag: &str| -> Option<u32> {
            let out = Command::new("id").args([flag, "postgres"]).output().ok()?;
            if !out.status.success() {
                return None;
            }
            String::from_utf8_lossy(&out.stdout).trim().parse().ok()
        };
        Some((id("-u")?, id("-g")?))
    })
}

fn free_port() -> u16 {
    let listener = TcpListener::bind(("127.0.0.1", 0)).expect("binding 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// libpq variables from the outer environment must not steer the server tools.
fn scrub_pg_env(cmd: &mut Command) {
    for (k, _) in std::env::vars_os() {
        if k.to_str().is_some_and(|k| k.starts_with("PG")) {
            cmd.env_remove(k);
        }
    }
}

fn write_file(path: &Path, bytes: &[u8], mode: u32) {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
    f.write_all(bytes)
        .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Percent-encodes everything but RFC 3986 unreserved characters (for a URL's userinfo).
fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ----- tests of the harness itself -----

#[test]
fn shared_server_answers_select_1() {
    let Some(pg) = PgServer::shared() else { return };
    let one: i32 = pg.client(ROLE).query_one("select 1", &[]).unwrap().get(0);
    assert_eq!(one, 1);
    // Over TCP, through the URL the binary will be given.
    let mut client = postgres::Client::connect(&pg.url(ROLE), postgres::NoTls).unwrap();
    let row = client
        .query_one(
            "select current_user::text, rolsuper from pg_roles where rolname = current_user",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, String>(0), ROLE);
    assert!(row.get::<_, bool>(1), "batchimp is a superuser");
    // Fresh databases are distinct and owned by batchimp.
    let (a, b) = (pg.create_database(), pg.create_database());
    assert_ne!(a, b);
    let mut client = postgres::Client::connect(&pg.url(&a), postgres::NoTls).unwrap();
    client.batch_execute("create table t (x int)").unwrap();
}

#[test]
fn password_server_checks_the_password() {
    // Characters that need percent-encoding in a URL, and a quote for the SQL literal.
    let password = "s3cr3t: p@ss/w'rd%";
    let Some(pg) = PgServer::start(Options {
        password: Some(password.to_owned()),
        ..Options::default()
    }) else {
        return;
    };
    let wrong = postgres::Client::connect(&pg.url_with_password(ROLE, "nope"), postgres::NoTls)
        .err()
        .expect("a wrong password is rejected");
    assert_eq!(
        wrong.code(),
        Some(&postgres::error::SqlState::INVALID_PASSWORD),
        "{wrong}"
    );
    let none = format!("postgres://{ROLE}@127.0.0.1:{}/{ROLE}", pg.port());
    assert!(postgres::Client::connect(&none, postgres::NoTls).is_err());

    let mut client = postgres::Client::connect(&pg.url(ROLE), postgres::NoTls).unwrap();
    let method: String = client
        .query_one(
            "select auth_method from pg_hba_file_rules where type = 'host' limit 1",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(method, "scram-sha-256");
    // The admin client still works (unix socket, trust).
    pg.client(ROLE).batch_execute("select 1").unwrap();
}

#[test]
fn tls_server_certificate_verifies_against_its_ca() {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    use std::sync::Arc;

    let Some(pg) = PgServer::start(Options {
        tls: true,
        ..Options::default()
    }) else {
        return;
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(pg.ca_cert().expect("a TLS server has a CA")).unwrap()
    {
        roots.add(cert.unwrap()).unwrap();
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connect = |host: &str| {
        postgres::Config::new()
            .host(host)
            .port(pg.port())
            .user(ROLE)
            .dbname(ROLE)
            .ssl_mode(postgres::config::SslMode::Require)
            .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls.clone()))
    };

    // verify-full against the name in the certificate.
    let mut client = connect("localhost").expect("TLS to localhost verifies");
    let ssl: bool = client
        .query_one(
            "select ssl from pg_stat_ssl where pid = pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(ssl, "the session is encrypted");
    // The certificate has no IP SAN: verification against 127.0.0.1 fails on the name.
    let err = connect("127.0.0.1").err().expect("no IP SAN for 127.0.0.1");
    assert!(
        format!("{err:?}").contains("NotValidForName"),
        "unexpected error: {err:?}"
    );
    // Plain TCP is still accepted (the hba `host` lines cover both).
    postgres::Client::connect(&pg.url(ROLE), postgres::NoTls).unwrap();
}

#[test]
fn restart_and_stop_keep_data_and_drop_cleans_up() {
    let Some(pg) = PgServer::start(Options::default()) else {
        return;
    };
    let db = pg.create_database();
    pg.client(&db)
        .batch_execute("create table kept (x int); insert into kept values (42)")
        .unwrap();
    let t = Instant::now();
    pg.restart();
    let restarted = t.elapsed();
    let x: i32 = pg
        .client(&db)
        .query_one("select x from kept", &[])
        .unwrap()
        .get(0);
    assert_eq!(x, 42);

    pg.stop();
    assert!(postgres::Client::connect(&pg.url(&db), postgres::NoTls).is_err());
    pg.start_again();
    let mut client = postgres::Client::connect(&pg.url(&db), postgres::NoTls).unwrap();
    let x: i32 = client.query_one("select x from kept", &[]).unwrap().get(0);
    assert_eq!(x, 42);
    drop(client);
    eprintln!("restart took {restarted:?}");

    let dir = pg.dir().to_owned();
    drop(pg);
    assert!(!dir.exists(), "{} removed on drop", dir.display());
}

/// A test process that dies without unwinding (SIGKILL, abort) leaves no server behind: the
/// watchdog stops it and removes its dir. The dying process is this test binary, re-run on
/// this very test with an environment variable that makes it the child.
#[test]
fn watchdog_cleans_up_after_a_crashed_test_process() {
    const CHILD: &str = "BATCHIMP_PGSERVER_WATCHDOG_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let pg = PgServer::start(Options::default()).expect("postgres present in the parent");
        println!("\nPGDIR={}", pg.dir().display());
        println!("PGPORT={}", pg.port());
        std::io::stdout().flush().unwrap();
        // Die like a crash: no unwinding, no destructors, no core dump.
        let _ = Command::new("kill")
            .args(["-KILL", &std::process::id().to_string()])
            .status();
        unreachable!("killed");
    }
    if find_bin_dir().is_none() {
        skip();
        return;
    }
    let name = format!(
        "{}::watchdog_cleans_up_after_a_crashed_test_process",
        module_path!().split_once("::").map_or("", |(_, m)| m)
    );
    let out = Command::new(std::env::current_exe().unwrap())
        .args([name.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success(), "the child is killed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let field = |key: &str| {
        stdout
            .lines()
            .find_map(|l| l.split_once(key).map(|(_, v)| v.trim()))
            .unwrap_or_else(|| {
                panic!(
                    "child printed no {key}\n{stdout}\n{}",
                    String::from_utf8_lossy(&out.stderr)
                )
            })
            .to_owned()
    };
    let dir = PathBuf::from(field("PGDIR="));
    let port: u16 = field("PGPORT=").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while dir.exists() || TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(
            Instant::now() < deadline,
            "server of the dead process still there: {} / port {port}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A certificate authority of the tests' own, named `name`, that signs server certificates.
pub fn test_ca(name: &str) -> rcgen::CertifiedIssuer<'static, rcgen::KeyPair> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, name);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    rcgen::CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("CA key"))
        .expect("self-signing the CA")
}
