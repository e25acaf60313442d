//! From `--db postgres://...` to a connected client. The URL and the libpq environment (PGHOST,
//! PGUSER, PGPASSWORD, ~/.pgpass, PGSSLMODE, ...) are resolved the way `psql` resolves them, so a
//! setup that works for `psql` works for batchimp; the connection uses TLS through rustls as
//! `sslmode` says. This file is also where the password stops: it goes to the server and nowhere
//! else. [`Settings::display`], `Debug`, [`redact`] and every error line leave it out, so the
//! sink, the ledger, reports and logs can show connection details freely.

mod passfile;
#[cfg(test)]
mod tests;
mod url;

pub use super::guard::RequireAuth;
use super::guard::{Connector, Rules};
pub use super::tls::SslMode;
use super::tls::{Verifier, load_roots};
use anyhow::{Result, anyhow, bail};
use passfile::{PassFile, read_passfile, warn_insecure};
use rustls::{ClientConfig, RootCertStore};
use std::error::Error as _;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
pub use url::redact;
use url::{encode, parse_port, parse_url};

/// Where and how to connect. Build it with [`Settings::from_url`] (or [`Settings::parse`]); the
/// password is private so that it can only reach the server.
#[derive(Clone)]
pub struct Settings {
    /// Host name or IP address, or a unix-socket directory when it starts with `/`.
    pub host: String,
    /// TCP port, or the socket file's number (`.s.PGSQL.<port>`).
    pub port: u16,
    /// The role to log in as.
    pub user: String,
    password: Option<String>,
    /// The database to connect to.
    pub dbname: String,
    /// How much TLS (ignored for unix sockets, as in libpq).
    pub sslmode: SslMode,
    /// PEM file of root certificates for verify-* (`system`: the webpki-roots set).
    pub sslrootcert: Option<PathBuf>,
    /// Limit on each TCP connect; `None` waits as long as the OS does. Default 10 s.
    pub connect_timeout: Option<Duration>,
    /// Shown in `pg_stat_activity`; default `batchimp`.
    pub application_name: String,
    /// libpq's `require_auth`: which authentication the password may go to.
    pub require_auth: RequireAuth,
    /// Longest wait for an answer once connected (`--db-timeout`); `None`: no limit.
    pub round_trip_timeout: Option<Duration>,
    /// HOME, for ~/.postgresql/root.crt.
    home: Option<PathBuf>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("dbname", &self.dbname)
            .field("sslmode", &self.sslmode)
            .field("sslrootcert", &self.sslrootcert)
            .field("connect_timeout", &self.connect_timeout)
            .field("application_name", &self.application_name)
            .field("require_auth", &self.require_auth)
            .field("round_trip_timeout", &self.round_trip_timeout)
            .finish_non_exhaustive()
    }
}

/// Why [`Settings::connect`] failed, for callers that react differently (e.g. to a wrong
/// password). It is the error inside the `anyhow::Error`: `err.downcast_ref::<ConnectError>()`.
/// Its text is the one line for the user.
#[derive(Debug)]
pub struct ConnectError {
    kind: ConnectErrorKind,
    message: String,
}

/// The kinds of [`ConnectError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectErrorKind {
    /// Wrong password, no pg_hba.conf entry (SQLSTATE 28P01/28000), or a password was asked
    /// for and none was given.
    Auth,
    /// The database does not exist (3D000).
    NoDatabase,
    /// Nothing listens at host:port (or at the socket).
    Refused,
    /// The host name does not resolve.
    UnknownHost,
    /// The TCP connect timed out.
    Timeout,
    /// The TLS handshake failed, or the root certificates are missing or unreadable.
    Tls,
    /// TLS was required and the server does not offer it.
    NoTls,
    /// The server asked for an authentication `require_auth` (or its default) does not allow:
    /// the password was not sent.
    AuthRefused,
    /// Anything else.
    Other,
}

impl ConnectError {
    /// What went wrong, for callers that handle some failures differently.
    pub fn kind(&self) -> ConnectErrorKind {
        self.kind
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConnectError {}

impl Settings {
    /// Parse `postgres://[user[:password]@][host][:port][/dbname][?param=value&...]` (or
    /// `postgresql://`), percent-decoded; `host` may be `[IPv6]` or `%2F`-encoded socket directory.
    /// Query parameters: host, port, user, password, dbname, sslmode, sslrootcert,
    /// connect_timeout, application_name, require_auth (they win over the URL's parts).
    ///
    /// What the URL leaves out comes from `env` as libpq does: PGHOST (else `localhost`), PGPORT
    /// (else 5432), PGUSER (else USER, LOGNAME, `postgres`), PGPASSWORD, PGDATABASE (else the
    /// user), PGSSLMODE (else `prefer`; `verify-full` with sslrootcert=system), PGSSLROOTCERT,
    /// PGCONNECT_TIMEOUT (else 10 s; 0 = none), PGAPPNAME (else `batchimp`), PGREQUIREAUTH
    /// (else [`RequireAuth::Default`]). With no password
    /// yet, the password file is read: PGPASSFILE else $HOME/.pgpass, lines
    /// `host:port:database:user:password` with `*`, `\:` and `\\`, first match wins; like libpq
    /// the file is ignored (with one warning on stderr) if group or others can read it.
    ///
    /// Errors show the URL through [`redact`], never the password.
    pub fn parse(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Settings> {
        let shown = redact(url);
        let given =
            parse_url(url).map_err(|why| anyhow!("invalid PostgreSQL URL {shown}: {why}"))?;
        let set = |s: &String| !s.is_empty();
        let pick = |v: Option<String>, var: &str| v.filter(set).or_else(|| env(var)).filter(set);

        let host = pick(given.host, "PGHOST").unwrap_or_else(|| "localhost".into());
        if host.contains(',') {
            bail!("invalid PostgreSQL URL {shown}: several hosts are not supported");
        }
        let port = match (given.port, env("PGPORT").filter(set)) {
            (Some(port), _) => port,
            (None, Some(text)) => parse_port(&text).map_err(|why| anyhow!("PGPORT: {why}"))?,
            (None, None) => 5432,
        };
        let user = pick(given.user, "PGUSER")
            .or_else(|| env("USER").filter(set))
            .or_else(|| env("LOGNAME").filter(set))
            .unwrap_or_else(|| "postgres".into());
        let dbname = pick(given.dbname, "PGDATABASE").unwrap_or_else(|| user.clone());
        let sslrootcert = pick(given.sslrootcert, "PGSSLROOTCERT");
        let system = sslrootcert.as_deref() == Some("system");
        let sslmode = match pick(given.sslmode, "PGSSLMODE").map(|m| SslMode::parse(&m)) {
            None if system => SslMode::VerifyFull,
            None => SslMode::Prefer,
            Some(Ok(mode)) if system && mode != SslMode::VerifyFull => bail!(
                "weak sslmode \"{}\" may not be used with sslrootcert=system (use \"verify-full\")",
                mode.as_str()
            ),
            Some(mode) => mode?,
        };
        let connect_timeout = match pick(given.connect_timeout, "PGCONNECT_TIMEOUT") {
            None => Some(Duration::from_secs(10)),
            Some(text) => {
                let secs: i64 = text.trim().parse().map_err(|_| {
                    anyhow!("invalid connect_timeout \"{text}\" (a number of seconds)")
                })?;
                u64::try_from(secs)
                    .ok()
                    .filter(|&s| s > 0)
                    .map(Duration::from_secs)
            }
        };
        let application_name =
            pick(given.application_name, "PGAPPNAME").unwrap_or_else(|| "batchimp".into());
        let home = env("HOME").filter(set).map(PathBuf::from);
        let require_auth = match pick(given.require_auth, "PGREQUIREAUTH") {
            None => RequireAuth::Default,
            Some(text) => RequireAuth::parse(&text).map_err(|why| anyhow!("{why}"))?,
        };

        let mut password = pick(given.password, "PGPASSWORD");
        if password.is_none() {
            let file = env("PGPASSFILE")
                .filter(set)
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(".pgpass")));
            if let Some(file) = file {
                match read_passfile(&file, &host, port, &dbname, &user) {
                    PassFile::Found(found) => password = Some(found),
                    PassFile::Insecure => warn_insecure(&file),
                    PassFile::NoMatch => {}
                }
            }
        }
        Ok(Settings {
            host,
            port,
            user,
            password,
            dbname,
            sslmode,
            sslrootcert: sslrootcert.map(PathBuf::from),
            connect_timeout,
            application_name,
            require_auth,
            round_trip_timeout: None,
            home,
        })
    }

    /// [`Settings::parse`] with the process environment.
    pub fn from_url(url: &str) -> Result<Settings> {
        Settings::parse(url, &|name| std::env::var(name).ok())
    }

    /// True when a password was found (URL, PGPASSWORD or password file).
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// True when `host` is a unix-socket directory (TLS is never used there, as in libpq).
    pub fn is_socket(&self) -> bool {
        self.host.starts_with('/')
    }

    /// `postgres://user@host:port/dbname`, what messages, reports, the ledger and logs show.
    /// Never holds the password. A socket directory shows `%2F`-encoded, IPv6 in brackets.
    pub fn display(&self) -> String {
        let host = if !self.is_socket() && self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            encode(&self.host)
        };
        format!(
            "postgres://{}@{host}:{}/{}",
            encode(&self.user),
            self.port,
            encode(&self.dbname)
        )
    }

    /// Connect (blocking), with TLS as `sslmode` says. The error is a [`ConnectError`]: one line,
    /// `cannot connect to <display>: <why>`, without the password.
    pub fn connect(&self) -> Result<postgres::Client> {
        Ok(self.try_connect()?)
    }

    fn try_connect(&self) -> Result<postgres::Client, ConnectError> {
        use postgres::config::SslMode as Pg;
        let mut config = postgres::Config::new();
        config
            .user(&self.user)
            .dbname(&self.dbname)
            .port(self.port)
            .application_name(&self.application_name)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(60));
        if let Some(password) = &self.password {
            config.password(password);
        }
        if let Some(timeout) = self.connect_timeout {
            config.connect_timeout(timeout);
        }
        if self.is_socket() {
            // A local server: no TLS (as in libpq), no deadline, no rule on the password.
            socket_dir(&mut config, &self.host)
                .map_err(|why| self.fail(ConnectErrorKind::Other, why))?;
            config.ssl_mode(Pg::Disable);
            let (tls, _) = self.tls_config(SslMode::Disable)?;
            let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls);
            return config.connect(tls).map_err(|e| self.classify(&e));
        }
        config.host(&self.host);
        // The guard negotiates TLS itself (as `sslmode` says) to see every byte: the driver is
        // told to hand it the bare socket.
        config
            .ssl_mode(Pg::Require)
            .ssl_negotiation(postgres::config::SslNegotiation::Direct);
        let (tls, verified) = self.tls_config(self.sslmode)?;
        let connector = Connector::new(
            tokio_postgres_rustls::MakeRustlsConnect::new(tls),
            Rules {
                sslmode: self.sslmode,
                verified,
                require_auth: self.require_auth.clone(),
                has_password: self.password.is_some(),
                connect_timeout: self.connect_timeout,
                round_trip_timeout: self.round_trip_timeout,
            },
        );
        config.connect(connector).map_err(|e| self.classify(&e))
    }

    /// rustls with ring: any certificate for disable/prefer/require (signatures still checked),
    /// the chain for verify-ca (and require with a root file), chain and name for verify-full.
    /// True when the server's certificate is checked against a root.
    fn tls_config(&self, mode: SslMode) -> Result<(ClientConfig, bool), ConnectError> {
        let tls_error =
            |e: &dyn fmt::Display| self.fail(ConnectErrorKind::Tls, format!("TLS: {e}"));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error(&e))?;
        let roots = match mode {
            SslMode::Disable | SslMode::Prefer => None,
            _ => self.roots(mode)?,
        };
        let verified = roots.is_some();
        let builder = match (mode, roots) {
            (SslMode::VerifyFull, Some(roots)) => builder.with_root_certificates(roots),
            (_, Some(roots)) => {
                let verifier = Verifier::chain(roots, provider).map_err(|e| tls_error(&e))?;
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(verifier))
            }
            (_, None) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Verifier::any(provider))),
        };
        Ok((builder.with_no_client_auth(), verified))
    }

    /// The roots to check the server against; `None` for require without a root file.
    fn roots(&self, mode: SslMode) -> Result<Option<RootCertStore>, ConnectError> {
        let verify = matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull);
        let missing = |what: String| {
            let why = format!("{what}; give sslrootcert=PATH or sslrootcert=system");
            Err(self.fail(ConnectErrorKind::Tls, why))
        };
        let path = match (&self.sslrootcert, &self.home) {
            (Some(path), _) if path.as_os_str() == "system" => {
                let roots = webpki_roots::TLS_SERVER_ROOTS.to_vec();
                return Ok(Some(RootCertStore { roots }));
            }
            (Some(path), _) => path.clone(),
            (None, Some(home)) => home.join(".postgresql").join("root.crt"),
            (None, None) if verify => {
                return missing("no root certificate file (HOME is not set)".into());
            }
            (None, None) => return Ok(None),
        };
        if !path.exists() {
            if verify {
                return missing(format!(
                    "root certificate file \"{}\" does not exist",
                    path.display()
                ));
            }
            return Ok(None);
        }
        load_roots(&path)
            .map(Some)
            .map_err(|why| self.fail(ConnectErrorKind::Tls, format!("TLS: {why}")))
    }

    /// Turn the driver's error into the one line the user sees.
    fn classify(&self, e: &postgres::Error) -> ConnectError {
        use ConnectErrorKind::*;
        use postgres::error::SqlState;
        if let Some(db) = e.as_db_error() {
            let code = db.code();
            if *code == SqlState::INVALID_PASSWORD
                || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
            {
                return self.fail(Auth, db.message());
            }
            if *code == SqlState::INVALID_CATALOG_NAME {
                return self.fail(NoDatabase, db.message());
            }
            return self.fail(
                Other,
                format!("{} (SQLSTATE {})", db.message(), code.code()),
            );
        }
        // What the guard ended: the timeout, the refused authentication, a server that is not
        // PostgreSQL; its text is the reason.
        let guarded = std::iter::successors(Some(e as &dyn std::error::Error), |e| (*e).source())
            .filter_map(|e| e.downcast_ref::<io::Error>())
            .find_map(|io| {
                Some((
                    io.kind(),
                    io.get_ref()?.downcast_ref::<super::guard::Refused>()?,
                ))
            });
        if let Some((kind, refused)) = guarded {
            let kind = match kind {
                io::ErrorKind::TimedOut => Timeout,
                io::ErrorKind::PermissionDenied => AuthRefused,
                _ => Other,
            };
            return self.fail(kind, refused);
        }
        let top = e.to_string();
        let cause = e.source().map(ToString::to_string).unwrap_or_default();
        if top == "error performing TLS handshake" {
            if cause == "server does not support TLS" {
                let why = format!(
                    "the server does not support TLS (sslmode={})",
                    self.sslmode.as_str()
                );
                return self.fail(NoTls, why);
            }
            let hint = match cause.contains("UnknownIssuer") {
                true => " (not signed by a trusted root certificate; see sslrootcert)",
                false => "",
            };
            return self.fail(Tls, format!("TLS: {cause}{hint}"));
        }
        if top == "invalid configuration" && cause == "password missing" {
            let why = format!(
                "the server asks for a password and none was given for user \"{}\" (give it in the URL, PGPASSWORD or ~/.pgpass)",
                self.user
            );
            return self.fail(Auth, why);
        }
        if let Some(io) = e.source().and_then(|s| s.downcast_ref::<io::Error>()) {
            let text = io.to_string();
            let (host, port) = (&self.host, self.port);
            match io.kind() {
                io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound if self.is_socket() => {
                    let socket = Path::new(host).join(format!(".s.PGSQL.{port}"));
                    let why = format!(
                        "no server at socket \"{}\" (is the server running locally?)",
                        socket.display()
                    );
                    return self.fail(Refused, why);
                }
                io::ErrorKind::ConnectionRefused => {
                    let why = format!(
                        "connection refused (is the server running on {host} port {port}?)"
                    );
                    return self.fail(Refused, why);
                }
                io::ErrorKind::TimedOut => {
                    let after = self
                        .connect_timeout
                        .map(|t| format!(" after {} s", t.as_secs()));
                    let why = format!(
                        "timed out{} (is {host} port {port} reachable?)",
                        after.unwrap_or_default()
                    );
                    return self.fail(Timeout, why);
                }
                io::ErrorKind::ConnectionReset | io::ErrorKind::UnexpectedEof => {
                    return self.fail(Other, super::guard::HUNG_UP);
                }
                _ if text.contains("failed to lookup address")
                    || text.contains("could not resolve any addresses") =>
                {
                    return self.fail(UnknownHost, format!("unknown host \"{host}\""));
                }
                _ => {}
            }
        }
        let chain: Vec<String> =
            std::iter::successors(Some(e as &dyn std::error::Error), |e| (*e).source())
                .map(ToString::to_string)
                .collect();
        self.fail(Other, chain.join(": "))
    }

    /// `cannot connect to <display>: <why>` on one line; if the password text is in `why`
    /// (it should never be), it becomes `***`. Not when the password equals the user, host or
    /// database name: those are shown anyway, and masking them would give the password away.
    fn fail(&self, kind: ConnectErrorKind, why: impl fmt::Display) -> ConnectError {
        let mut why = why.to_string().replace(['\n', '\r'], " ");
        if let Some(password) = self.password.as_deref() {
            let public = [&self.user, &self.host, &self.dbname]
                .iter()
                .any(|s| s.contains(password));
            if !password.is_empty() && !public {
                why = why.replace(password, "***");
            }
        }
        let message = format!("cannot connect to {}: {why}", self.display());
        ConnectError { kind, message }
    }
}

#[cfg(unix)]
fn socket_dir(config: &mut postgres::Config, dir: &str) -> Result<(), &'static str> {
    config.host_path(dir);
    Ok(())
}

#[cfg(not(unix))]
fn socket_dir(_: &mut postgres::Config, _: &str) -> Result<(), &'static str> {
    Err("unix sockets are not supported on this system")
}
