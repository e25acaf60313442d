//! From `--db postgres://...` to a connected client. The URL and the libpq environment (PGHOST,
//! PGUSER, PGPASSWORD, ~/.pgpass, PGSSLMODE, ...) are resolved the way `psql` resolves them, so a
//! setup that works for `psql` works for batchimp; the connection uses TLS through rustls as
//! `sslmode` says. This file is also where the password stops: it goes to the server and nowhere
//! else. [`Settings::display`], `Debug`, [`redact`] and every error line leave it out, so the
//! sink, the ledger, reports and logs can show connection details freely.

pub use super::guard::RequireAuth;
use super::guard::{Connector, Rules};
use anyhow::{Result, anyhow, bail};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::error::Error as _;
use std::fmt::{self, Write as _};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// libpq's `sslmode`: whether to use TLS and how much of the server's certificate to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP only.
    Disable,
    /// TLS when the server offers it, plain otherwise; the certificate is not checked. The default.
    Prefer,
    /// TLS or fail; the certificate is not checked, unless a root certificate file exists
    /// (`sslrootcert` or ~/.postgresql/root.crt): then as `VerifyCa`, like libpq.
    Require,
    /// TLS; the certificate chain must lead to a root certificate. The host name is not checked.
    VerifyCa,
    /// TLS; the chain must lead to a root certificate and the certificate must name the host.
    VerifyFull,
}

const SSLMODES: [(&str, SslMode); 5] = [
    ("disable", SslMode::Disable),
    ("prefer", SslMode::Prefer),
    ("require", SslMode::Require),
    ("verify-ca", SslMode::VerifyCa),
    ("verify-full", SslMode::VerifyFull),
];

impl SslMode {
    /// Parse a libpq `sslmode` value; the error lists the valid ones.
    pub fn parse(text: &str) -> Result<SslMode> {
        match SSLMODES.iter().find(|(name, _)| *name == text) {
            Some((_, mode)) => Ok(*mode),
            None => bail!(
                "invalid sslmode \"{text}\" (valid: disable, prefer, require, verify-ca, verify-full)"
            ),
        }
    }

    /// The libpq spelling, as in `sslmode=verify-full`.
    pub fn as_str(self) -> &'static str {
        SSLMODES
            .iter()
            .find(|(_, mode)| *mode == self)
            .map_or("prefer", |(name, _)| name)
    }
}

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

/// What the URL itself says; `None` is left to the environment and the defaults.
#[derive(Default)]
struct Given {
    host: Option<String>,
    port: Option<u16>,
    user: Option<String>,
    password: Option<String>,
    dbname: Option<String>,
    sslmode: Option<String>,
    sslrootcert: Option<String>,
    connect_timeout: Option<String>,
    application_name: Option<String>,
    require_auth: Option<String>,
}

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
                let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .map_err(|e| tls_error(&e))?;
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(ChainOnly(webpki)))
            }
            (_, None) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyCert(provider))),
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

/// `sslmode=prefer`/`require` without a root file: any certificate, but the handshake must still
/// be signed by that certificate's key.
#[derive(Debug)]
struct AnyCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `sslmode=verify-ca`: webpki's checks, except that the certificate need not name the host
/// (webpki checks the name last, so the chain has been verified when that error comes).
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// All the certificates of a PEM file.
fn load_roots(path: &Path) -> Result<RootCertStore, String> {
    let shown = path.display();
    let file = std::fs::File::open(path)
        .map_err(|e| format!("cannot read root certificate file \"{shown}\": {e}"))?;
    let mut roots = RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut io::BufReader::new(file)) {
        let cert =
            cert.map_err(|e| format!("cannot read root certificate file \"{shown}\": {e}"))?;
        roots
            .add(cert)
            .map_err(|e| format!("bad certificate in \"{shown}\": {e}"))?;
    }
    if roots.is_empty() {
        return Err(format!(
            "no PEM certificates in root certificate file \"{shown}\""
        ));
    }
    Ok(roots)
}

/// The URL's own parts. Error texts never hold the user-info part.
fn parse_url(url: &str) -> Result<Given, String> {
    const ENCODE: &str = "a user name, password or value holding '@', '/', '?' or ':' must be \
        percent-encoded (%40, %2F, %3F, %3A)";
    let rest = ["postgres://", "postgresql://"]
        .iter()
        .find_map(|scheme| {
            let head = url.get(..scheme.len())?;
            head.eq_ignore_ascii_case(scheme)
                .then(|| &url[scheme.len()..])
        })
        .ok_or("it must start with postgres:// or postgresql://")?;
    // User info ends at the last '@' before the path, so an '@' in the password works.
    let slash = rest.find('/').unwrap_or(rest.len());
    let (userinfo, after) = match rest[..slash].rfind('@') {
        Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
        None => (None, rest),
    };
    let (hostport, tail) = after.split_at(after.find(['/', '?']).unwrap_or(after.len()));
    if tail.contains('@') {
        return Err(ENCODE.into());
    }
    let mut given = Given::default();
    if let Some(userinfo) = userinfo {
        let (user, password) = match userinfo.split_once(':') {
            Some((user, password)) => (user, Some(password)),
            None => (userinfo, None),
        };
        if user.contains(['/', '?']) {
            return Err(ENCODE.into());
        }
        given.user = Some(decode(user)?);
        given.password = password.map(decode).transpose()?;
    }
    let (host, port) = match hostport.strip_prefix('[') {
        Some(bracketed) => {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or("missing ']' after the IPv6 address")?;
            let port = match after {
                "" => None,
                _ => Some(after.strip_prefix(':').ok_or("unexpected text after ']'")?),
            };
            (host.to_string(), port)
        }
        None => match hostport.split_once(':') {
            Some((host, port)) => (decode(host)?, Some(port)),
            None => (decode(hostport)?, None),
        },
    };
    given.host = Some(host);
    given.port = port.filter(|p| !p.is_empty()).map(parse_port).transpose()?;
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    given.dbname = Some(decode(path.strip_prefix('/').unwrap_or(path))?);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (key, value) = (decode(key)?, decode(value)?);
        let slot = match key.as_str() {
            "host" => &mut given.host,
            "user" => &mut given.user,
            "password" => &mut given.password,
            "dbname" => &mut given.dbname,
            "sslmode" => &mut given.sslmode,
            "sslrootcert" => &mut given.sslrootcert,
            "connect_timeout" => &mut given.connect_timeout,
            "application_name" => &mut given.application_name,
            "require_auth" => &mut given.require_auth,
            "port" => {
                given.port = Some(parse_port(&value)?);
                continue;
            }
            _ => {
                return Err(format!(
                    "unknown parameter \"{key}\" (known: host, port, user, password, dbname, \
                     sslmode, sslrootcert, connect_timeout, application_name, require_auth)"
                ));
            }
        };
        *slot = Some(value);
    }
    Ok(given)
}

fn parse_port(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ if text.contains(':') => Err("an IPv6 address must be in brackets, as [::1]:5432".into()),
        _ => Err(format!("invalid port \"{text}\"")),
    }
}

/// Percent-decoding; the error does not show the text (it may be a password).
fn decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let byte = text
                .get(i + 1..i + 3)
                .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            out.push(byte.ok_or("'%' must be followed by two hex digits (percent-encoding)")?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "percent-encoded text is not UTF-8".into())
}

/// Percent-encode what would confuse a reader of a URL; other text stays readable.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || c.is_whitespace() || "%@:/?#&=[]\\".contains(c) {
            for b in c.encode_utf8(&mut [0; 4]).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A URL fit to show: `postgres://u:secret@h/db?x` → `postgres://u@h/db?x`, and the value of a
/// `password=` parameter becomes `***`. For URLs that fail to parse: never show the raw text.
/// Everything up to the *last* '@' but the user name goes, so it errs on hiding too much.
pub fn redact(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    let rest = match rest.rfind('@') {
        Some(at) => {
            let user = rest[..at].split(':').next().unwrap_or("");
            format!("{user}@{}", &rest[at + 1..])
        }
        None => rest.to_string(),
    };
    let Some((head, query)) = rest.split_once('?') else {
        return format!("{scheme}{rest}");
    };
    let params: Vec<String> = query
        .split('&')
        .map(|pair| {
            let key = pair.split('=').next().unwrap_or("");
            match decode(key) {
                Ok(k) if k.eq_ignore_ascii_case("password") => format!("{key}=***"),
                Ok(_) => pair.to_string(),
                Err(_) => "***".to_string(),
            }
        })
        .collect();
    format!("{scheme}{head}?{}", params.join("&"))
}

enum PassFile {
    Found(String),
    NoMatch,
    /// Group or others can read it: ignored, as libpq does.
    Insecure,
}

/// Look the connection up in a libpq password file. A socket directory also matches `localhost`
/// lines (libpq does so for its default socket directory).
fn read_passfile(path: &Path, host: &str, port: u16, dbname: &str, user: &str) -> PassFile {
    let Ok(meta) = std::fs::metadata(path) else {
        return PassFile::NoMatch;
    };
    if !meta.is_file() {
        return PassFile::NoMatch;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            return PassFile::Insecure;
        }
    }
    let Ok(bytes) = std::fs::read(path) else {
        return PassFile::NoMatch;
    };
    let port = port.to_string();
    let host_matches =
        |field: &str| field == host || (host.starts_with('/') && field == "localhost");
    for line in String::from_utf8_lossy(&bytes).lines() {
        if line.starts_with('#') {
            continue;
        }
        let fields = passfile_fields(line);
        let [h, p, d, u, pass, ..] = fields.as_slice() else {
            continue;
        };
        let ok = |(text, any): &(String, bool), want: &dyn Fn(&str) -> bool| *any || want(text);
        if ok(h, &host_matches)
            && ok(p, &|f| f == port)
            && ok(d, &|f| f == dbname)
            && ok(u, &|f| f == user)
        {
            if pass.0.is_empty() {
                return PassFile::NoMatch;
            }
            return PassFile::Found(pass.0.clone());
        }
    }
    PassFile::NoMatch
}

/// Split a password-file line at unescaped ':'; each field unescaped, and whether it is `*`.
fn passfile_fields(line: &str) -> Vec<(String, bool)> {
    let mut fields = Vec::new();
    let (mut field, mut wildcard) = (String::new(), true);
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ':' => {
                let any = wildcard && field == "*";
                fields.push((std::mem::take(&mut field), any));
                wildcard = true;
            }
            '\\' => {
                field.extend(chars.next());
                wildcard = false;
            }
            _ => field.push(c),
        }
    }
    let any = wildcard && field == "*";
    fields.push((field, any));
    fields
}

fn warn_insecure(path: &Path) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        eprintln!(
            "warning: password file \"{}\" has group or world access and is ignored; \
             permissions should be u=rw (0600) or less",
            path.display()
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert!(
            err("postgres://h/d?sslrootcert=system&sslmode=require", &[]).contains("weak sslmode")
        );
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
        let certs: Vec<_> = rustls_pemfile::certs(&mut SERVER_PEM.as_bytes())
            .map(Result::unwrap)
            .collect();
        let key = rustls_pemfile::private_key(&mut SERVER_KEY.as_bytes())
            .unwrap()
            .unwrap();
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
}
