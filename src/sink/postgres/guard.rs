//! The stream under every TCP connection to PostgreSQL, between the socket and the driver. The
//! `postgres` crate has no hook for two things batchimp must decide itself, so they are done
//! here, on the bytes:
//!
//! - **Which authentication the password may go to.** A server (or whoever answers in its
//!   place) that asks for the password in cleartext gets it, unless the server was verified.
//!   The server's authentication requests are read here *before* the driver sees them, so a
//!   refused one ends the connection and the password is never sent. The rule is libpq's
//!   `require_auth`, with a safer default (see [`RequireAuth`]).
//! - **Deadlines.** A server that accepts and never answers would hang a run forever:
//!   `connect_timeout` covers the TCP connect only in the driver. Here a clock runs whenever
//!   an answer is due (from the TLS request to the first ReadyForQuery, then from each query
//!   until its ReadyForQuery): no byte either way for `connect_timeout` while connecting, or for
//!   `--db-timeout` afterwards, and the connection fails with a timeout. An idle connection
//!   owes nothing and never times out.
//!
//! To see every connection's bytes, the driver is told to use TLS by direct negotiation on
//! every TCP connection, and this connector does the real negotiation (`SSLRequest`, then
//! rustls or, when `sslmode` allows, plain TCP) itself.

use super::tls::SslMode;
use postgres::Socket;
use postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio_postgres_rustls::MakeRustlsConnect;

/// An authentication method, as libpq's `require_auth` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Cleartext password (AuthenticationCleartextPassword).
    Password,
    Md5,
    Gss,
    Sspi,
    ScramSha256,
    /// The server asks for nothing (trust).
    None,
}

const METHODS: [(&str, Method); 6] = [
    ("password", Method::Password),
    ("md5", Method::Md5),
    ("gss", Method::Gss),
    ("sspi", Method::Sspi),
    ("scram-sha-256", Method::ScramSha256),
    ("none", Method::None),
];

impl Method {
    fn name(self) -> &'static str {
        METHODS
            .iter()
            .find(|(_, m)| *m == self)
            .map_or("?", |(n, _)| n)
    }
}

/// libpq's `require_auth`: the methods the server may use (`password,scram-sha-256`), or
/// those it may not (`!password`). Not given, every method is allowed but one: a cleartext
/// password to a server whose certificate was not verified (plain TCP, or TLS under
/// `sslmode=prefer`/`require` without a root certificate), where whoever answers for the host
/// would read it. Over a unix socket nothing is checked (the server is local).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RequireAuth {
    /// Not given: the default rule above.
    #[default]
    Default,
    /// Only these.
    Only(Vec<Method>),
    /// Any but these.
    Not(Vec<Method>),
}

impl RequireAuth {
    /// Parse libpq's syntax: methods separated by commas, all negated with `!` or none.
    pub fn parse(text: &str) -> Result<RequireAuth, String> {
        let names: Vec<&str> = text.split(',').map(str::trim).collect();
        let negated = names.iter().filter(|n| n.starts_with('!')).count();
        if negated != 0 && negated != names.len() {
            return Err(format!(
                "invalid require_auth \"{text}\": negative and positive methods cannot be mixed"
            ));
        }
        let methods = names
            .iter()
            .map(|n| {
                let n = n.trim_start_matches('!');
                METHODS.iter().find(|(name, _)| *name == n).map(|(_, m)| *m).ok_or_else(|| {
                    format!(
                        "invalid require_auth method \"{n}\" (valid: password, md5, gss, sspi, scram-sha-256, none; \"!\" before each to refuse them instead)"
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(match negated {
            0 => RequireAuth::Only(methods),
            _ => RequireAuth::Not(methods),
        })
    }

    /// Why `method` may not be used, or `None` when it may. `verified`: TLS with the server's
    /// certificate checked; `tls`: TLS at all; `sslmode` for the message.
    fn refuses(
        &self,
        method: Method,
        tls: bool,
        verified: bool,
        sslmode: SslMode,
    ) -> Option<String> {
        let given = |list: &[Method], not: bool| {
            let names: Vec<String> = list
                .iter()
                .map(|m| format!("{}{}", if not { "!" } else { "" }, m.name()))
                .collect();
            names.join(",")
        };
        let asked = match method {
            Method::None => "no authentication".to_owned(),
            m => format!("{} authentication", m.name()),
        };
        match self {
            RequireAuth::Only(list) if !list.contains(&method) => Some(format!(
                "the server asked for {asked}, which require_auth={} does not allow",
                given(list, false)
            )),
            RequireAuth::Not(list) if list.contains(&method) => Some(format!(
                "the server asked for {asked}, which require_auth={} does not allow",
                given(list, true)
            )),
            RequireAuth::Default if method == Method::Password && !verified => {
                let how = match tls {
                    true => "its certificate is not verified",
                    false => "the connection is not encrypted",
                };
                Some(format!(
                    "the server asks for the password in cleartext and {how} (sslmode={}); \
                     the password was not sent. Verify the server (sslmode=verify-full and \
                     sslrootcert), or allow it with require_auth=password in the URL",
                    sslmode.as_str()
                ))
            }
            _ => None,
        }
    }
}

/// What [`Connector`] checks, set per connection by `Settings`.
#[derive(Clone)]
pub struct Rules {
    pub sslmode: SslMode,
    /// A root certificate will check the server's (verify-*, or require with a root file).
    pub verified: bool,
    pub require_auth: RequireAuth,
    /// Only checked when there is a password to protect (without one the driver says that a
    /// password is needed, which is the better message).
    pub has_password: bool,
    /// Until the server is ready; `None`: no limit.
    pub connect_timeout: Option<Duration>,
    /// For each round trip after that; `None`: no limit.
    pub round_trip_timeout: Option<Duration>,
}

/// Why the connection was ended here: the text is the whole reason, for the one line.
#[derive(Debug)]
pub struct Refused(pub String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

fn refused(kind: io::ErrorKind, why: String) -> io::Error {
    io::Error::new(kind, Refused(why))
}

/// rustls's connector and stream, by the names the driver's traits give them (the crate keeps
/// its own names private).
type RustlsConnect = <MakeRustlsConnect as MakeTlsConnect<Timed>>::TlsConnect;
type RustlsStream = <RustlsConnect as TlsConnect<Timed>>::Stream;

/// What to say when the server ends the connection before it is ready.
pub const HUNG_UP: &str = "the server closed the connection before it was ready (is it a \
    PostgreSQL server, and does it accept connections from here?)";

fn hung_up() -> io::Error {
    refused(io::ErrorKind::UnexpectedEof, HUNG_UP.into())
}

/// The driver's TLS connector, which does the real TLS negotiation (see the module docs).
#[derive(Clone)]
pub struct Connector {
    tls: MakeRustlsConnect,
    rules: Arc<Rules>,
}

impl Connector {
    pub fn new(tls: MakeRustlsConnect, rules: Rules) -> Connector {
        Connector {
            tls,
            rules: Arc::new(rules),
        }
    }
}

impl MakeTlsConnect<Socket> for Connector {
    type Stream = Guarded;
    type TlsConnect = Connect;
    type Error = io::Error;

    fn make_tls_connect(&mut self, domain: &str) -> Result<Connect, io::Error> {
        let tls = match MakeTlsConnect::<Timed>::make_tls_connect(&mut self.tls, domain) {
            Ok(tls) => tls,
            Err(never) => match never {},
        };
        Ok(Connect {
            tls,
            rules: Arc::clone(&self.rules),
        })
    }
}

/// One connection's negotiation.
pub struct Connect {
    tls: RustlsConnect,
    rules: Arc<Rules>,
}

type Boxed<T> = Pin<Box<dyn Future<Output = io::Result<T>> + Send>>;

impl TlsConnect<Socket> for Connect {
    type Stream = Guarded;
    type Error = io::Error;
    type Future = Boxed<Guarded>;

    fn connect(self, socket: Socket) -> Self::Future {
        Box::pin(async move {
            let rules = self.rules;
            let clock = Clock::start(rules.connect_timeout);
            let mut raw = Timed {
                inner: socket,
                clock: Arc::clone(&clock),
            };
            let inner = if rules.sslmode == SslMode::Disable {
                Inner::Plain(raw)
            } else {
                // SSLRequest: length 8, code 80877103.
                raw.write_all(&[0, 0, 0, 8, 4, 210, 22, 47]).await?;
                let mut answer = [0];
                raw.read_exact(&mut answer)
                    .await
                    .map_err(|e| match e.kind() {
                        io::ErrorKind::UnexpectedEof => hung_up(),
                        _ => e,
                    })?;
                match answer[0] {
                    b'S' => Inner::Tls(Box::new(TlsConnect::connect(self.tls, raw).await?)),
                    b'N' if rules.sslmode == SslMode::Prefer => Inner::Plain(raw),
                    // The words the driver uses, which `classify` knows.
                    b'N' => return Err(io::Error::other("server does not support TLS")),
                    other => {
                        return Err(refused(
                            io::ErrorKind::InvalidData,
                            format!(
                                "the server is not a PostgreSQL server (it answered the TLS request with {:?})",
                                char::from(other)
                            ),
                        ));
                    }
                }
            };
            Ok(Guarded {
                inner,
                clock,
                rules,
                server: Framing::default(),
                client: Framing::startup(),
                auth: AuthSeen::default(),
            })
        })
    }
}

enum Inner {
    Plain(Timed),
    Tls(Box<RustlsStream>),
}

/// What the server's messages said about authentication so far.
#[derive(Default)]
struct AuthSeen {
    /// An authentication request came (before AuthenticationOk).
    asked: bool,
    /// The first ReadyForQuery came: connected, the auth rules are done.
    ready: bool,
}

/// The stream the driver reads and writes: checks the server's authentication requests and
/// keeps the clock informed of what is owed.
pub struct Guarded {
    inner: Inner,
    clock: Arc<Clock>,
    rules: Arc<Rules>,
    server: Framing,
    client: Framing,
    auth: AuthSeen,
}

impl Guarded {
    /// Look at the server's bytes before the driver does; `Err` ends the connection.
    fn inspect_server(&mut self, bytes: &[u8]) -> io::Result<()> {
        let tls = matches!(self.inner, Inner::Tls(_));
        let mut result = Ok(());
        let (auth, rules, clock) = (&mut self.auth, &self.rules, &self.clock);
        self.server.feed(bytes, &mut |kind, code| {
            if result.is_err() {
                return;
            }
            match kind {
                b'R' if !auth.ready => {
                    let method = match code {
                        Some(0) if auth.asked => return,
                        Some(0) => Method::None,
                        Some(3) => Method::Password,
                        Some(5) => Method::Md5,
                        Some(7 | 8) => Method::Gss,
                        Some(9) => Method::Sspi,
                        Some(10) => Method::ScramSha256,
                        // SASL continue/final: the method was decided at code 10.
                        _ => return,
                    };
                    auth.asked |= method != Method::None;
                    let checked = rules.has_password || rules.require_auth != RequireAuth::Default;
                    if let Some(why) = checked
                        .then(|| {
                            rules.require_auth.refuses(
                                method,
                                tls,
                                tls && rules.verified,
                                rules.sslmode,
                            )
                        })
                        .flatten()
                    {
                        result = Err(refused(io::ErrorKind::PermissionDenied, why));
                    }
                }
                b'Z' if !auth.ready => {
                    auth.ready = true;
                    clock.answered(rules.round_trip_timeout);
                }
                b'R' | b'E' | b'N' | b'v' | b'S' | b'K' if !auth.ready => {}
                _ if !auth.ready => {
                    result = Err(refused(
                        io::ErrorKind::InvalidData,
                        format!(
                            "the server is not a PostgreSQL server (it answered {:?})",
                            String::from_utf8_lossy(&bytes[..bytes.len().min(16)])
                        ),
                    ));
                }
                b'Z' => clock.answered(rules.round_trip_timeout),
                _ => {}
            }
        });
        result
    }
}

impl AsyncRead for Guarded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = match &mut self.inner {
            Inner::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        };
        if let Poll::Ready(Ok(())) = polled {
            if buf.filled().len() == before && !self.auth.ready {
                // The driver would say "bytes remaining on stream", or "unexpected EOF".
                return Poll::Ready(Err(hung_up()));
            }
            if let Err(e) = self.inspect_server(&buf.filled()[before..]) {
                // The driver never sees the request it would have answered.
                buf.set_filled(before);
                return Poll::Ready(Err(e));
            }
        }
        polled
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = match &mut self.inner {
            Inner::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        };
        if let Poll::Ready(Ok(n)) = polled {
            let clock = Arc::clone(&self.clock);
            self.client.feed(&buf[..n], &mut |kind, _| {
                // Each simple query, Sync and function call is answered by one ReadyForQuery.
                if matches!(kind, b'Q' | b'S' | b'F') {
                    clock.asked();
                }
            });
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.inner {
            Inner::Plain(s) => Pin::new(s).poll_flush(cx),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.inner {
            Inner::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

impl TlsStream for Guarded {
    fn channel_binding(&self) -> ChannelBinding {
        match &self.inner {
            Inner::Plain(_) => ChannelBinding::none(),
            Inner::Tls(s) => s.channel_binding(),
        }
    }
}

/// Where a byte stream of protocol messages (type byte, 4-byte length that counts itself,
/// body) is; the client's first message (startup) has no type byte.
#[derive(Default)]
struct Framing {
    /// The message's header so far (type and length; the length only, for startup), and the
    /// first 4 bytes of its body (an authentication request's code).
    head: Vec<u8>,
    /// Bytes of the body still to skip after `head`.
    left: usize,
    /// The next message has no type byte.
    untyped: bool,
}

impl Framing {
    fn startup() -> Framing {
        Framing {
            untyped: true,
            ..Framing::default()
        }
    }

    /// Walk `bytes`; for each message, `seen(type, code)` once its header (and, for `R`, its
    /// code) is known. The startup message reports type 0.
    fn feed(&mut self, mut bytes: &[u8], seen: &mut dyn FnMut(u8, Option<u32>)) {
        while !bytes.is_empty() {
            if self.left > 0 {
                let skip = self.left.min(bytes.len());
                self.left -= skip;
                bytes = &bytes[skip..];
                continue;
            }
            let typed = usize::from(!self.untyped);
            let kind = if self.untyped {
                0
            } else {
                self.head.first().copied().unwrap_or(0)
            };
            // Header, plus the code of an authentication request.
            let want = typed + 4 + if kind == b'R' { 4 } else { 0 };
            let take = (want.saturating_sub(self.head.len())).min(bytes.len());
            self.head.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            let kind = if self.untyped { 0 } else { self.head[0] };
            let need = typed + 4 + if kind == b'R' { 4 } else { 0 };
            if self.head.len() < need {
                continue;
            }
            let len = u32::from_be_bytes(self.head[typed..typed + 4].try_into().expect("4 bytes"));
            let code = (kind == b'R')
                .then(|| u32::from_be_bytes(self.head[5..9].try_into().expect("4 bytes")));
            seen(kind, code);
            let body_seen = self.head.len() - typed - 4;
            self.left = (len as usize).saturating_sub(4 + body_seen);
            self.head.clear();
            self.untyped = false;
        }
    }
}

/// The socket, timing what is owed (see [`Clock`]).
pub struct Timed {
    inner: Socket,
    clock: Arc<Clock>,
}

impl Drop for Timed {
    fn drop(&mut self) {
        self.clock.stop();
    }
}

impl AsyncRead for Timed {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(e) = self.clock.expired() {
            return Poll::Ready(Err(e));
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        match &polled {
            Poll::Ready(Ok(())) if buf.filled().len() > before => self.clock.progress(),
            Poll::Pending => self.clock.wake_with(cx.waker()),
            _ => {}
        }
        polled
    }
}

impl AsyncWrite for Timed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(e) = self.clock.expired() {
            return Poll::Ready(Err(e));
        }
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        match &polled {
            Poll::Ready(Ok(n)) if *n > 0 => self.clock.progress(),
            Poll::Pending => self.clock.wake_with(cx.waker()),
            _ => {}
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// One connection's deadline. While answers are owed (`owed > 0`), `limit` without a byte
/// either way expires it: a thread of its own (the driver's runtime has no timers) wakes the
/// task waiting on the socket, whose next poll fails with `TimedOut`.
pub struct Clock {
    state: Mutex<ClockState>,
    changed: Condvar,
}

struct ClockState {
    limit: Option<Duration>,
    /// ReadyForQuery messages owed; 1 while connecting.
    owed: u64,
    last_progress: Instant,
    waker: Option<Waker>,
    expired: Option<Duration>,
    /// Connecting still (the message names connect_timeout).
    connecting: bool,
    stopped: bool,
    /// The watcher waits with no deadline (no answer owed, or no limit): only a change can
    /// give it one.
    idle: bool,
}

impl Clock {
    fn start(limit: Option<Duration>) -> Arc<Clock> {
        let clock = Arc::new(Clock {
            state: Mutex::new(ClockState {
                limit,
                owed: 1,
                last_progress: Instant::now(),
                waker: None,
                expired: None,
                connecting: true,
                stopped: false,
                idle: false,
            }),
            changed: Condvar::new(),
        });
        let watch = Arc::clone(&clock);
        // A sleeping thread per connection (a run holds two or three): it only waits.
        let spawned = std::thread::Builder::new()
            .name("batchimp-db-deadline".into())
            .spawn(move || watch.watch());
        if spawned.is_err() {
            // No thread, no deadline: the connection still works.
            clock.lock().limit = None;
        }
        clock
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClockState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn watch(&self) {
        let mut state = self.lock();
        loop {
            if state.stopped || state.expired.is_some() {
                return;
            }
            let due = match state.limit {
                Some(limit) if state.owed > 0 => Some((state.last_progress + limit, limit)),
                _ => None,
            };
            state.idle = due.is_none();
            state = match due {
                None => self.changed.wait(state).unwrap_or_else(|e| e.into_inner()),
                Some((at, limit)) => {
                    let now = Instant::now();
                    if now >= at {
                        state.expired = Some(limit);
                        if let Some(waker) = state.waker.take() {
                            waker.wake();
                        }
                        return;
                    }
                    self.changed
                        .wait_timeout(state, at - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
    }

    fn expired(&self) -> Option<io::Error> {
        let state = self.lock();
        let limit = state.expired?;
        let secs = limit.as_secs_f64();
        let why = match state.connecting {
            true => format!(
                "the server did not answer within {secs} s (connect_timeout); is it a PostgreSQL server, and up?"
            ),
            false => format!("the server did not answer within {secs} s (--db-timeout)"),
        };
        Some(refused(io::ErrorKind::TimedOut, why))
    }

    /// A byte went either way. The deadline only moves later, so the watcher is not woken: it
    /// finds the new time when its wait for the old deadline ends (a COPY of megabytes would
    /// otherwise wake it at every write).
    fn progress(&self) {
        self.lock().last_progress = Instant::now();
    }

    fn wake_with(&self, waker: &Waker) {
        let mut state = self.lock();
        if !state.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
            state.waker = Some(waker.clone());
        }
    }

    /// A query (or Sync) was sent: one more ReadyForQuery owed.
    fn asked(&self) {
        let mut state = self.lock();
        if state.owed == 0 {
            state.last_progress = Instant::now();
        }
        state.owed += 1;
        // A watcher already waiting for a deadline finds this one when its wait ends.
        let idle = state.idle && state.limit.is_some();
        drop(state);
        if idle {
            self.changed.notify_one();
        }
    }

    /// A ReadyForQuery came; the first one ends connecting, and `--db-timeout` applies.
    fn answered(&self, round_trip: Option<Duration>) {
        let mut state = self.lock();
        let connected = state.connecting;
        if connected {
            state.connecting = false;
            state.limit = round_trip;
        }
        state.owed = state.owed.saturating_sub(1);
        drop(state);
        // The limit changed (it may be shorter now); otherwise nothing the watcher waits for
        // came sooner (no answer owed: it finds that when its wait ends).
        if connected {
            self.changed.notify_one();
        }
    }

    fn stop(&self) {
        self.lock().stopped = true;
        self.changed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every message `Framing` reports, fed `bytes` in pieces of `step`.
    fn messages(start: Framing, bytes: &[u8], step: usize) -> Vec<(u8, Option<u32>)> {
        let mut framing = start;
        let mut seen = Vec::new();
        for piece in bytes.chunks(step) {
            framing.feed(piece, &mut |kind, code| seen.push((kind, code)));
        }
        seen
    }

    #[test]
    fn framing_finds_messages_however_the_bytes_come() {
        // AuthenticationSASL (with a body past its code), ParameterStatus, ReadyForQuery.
        let mut server = vec![b'R', 0, 0, 0, 23, 0, 0, 0, 10];
        server.extend_from_slice(b"SCRAM-SHA-256\0\0");
        server.extend_from_slice(&[b'S', 0, 0, 0, 6, b'a', 0]);
        server.extend_from_slice(&[b'Z', 0, 0, 0, 5, b'I']);
        let want = vec![(b'R', Some(10)), (b'S', None), (b'Z', None)];
        for step in [1, 2, 3, 5, 9, 100] {
            assert_eq!(messages(Framing::default(), &server, step), want, "{step}");
        }
        // The client's startup message has no type byte; a query follows.
        let mut client = vec![0, 0, 0, 9, 0, 3, 0, 0, 0];
        client.extend_from_slice(&[b'Q', 0, 0, 0, 6, b';', 0]);
        for step in [1, 4, 7, 100] {
            assert_eq!(
                messages(Framing::startup(), &client, step),
                vec![(0, None), (b'Q', None)]
            );
        }
    }

    #[test]
    fn require_auth_as_libpq_spells_it() {
        use Method::*;
        assert_eq!(
            RequireAuth::parse("password,scram-sha-256"),
            Ok(RequireAuth::Only(vec![Password, ScramSha256]))
        );
        assert_eq!(
            RequireAuth::parse("!password,!md5"),
            Ok(RequireAuth::Not(vec![Password, Md5]))
        );
        assert!(
            RequireAuth::parse("!password,md5")
                .unwrap_err()
                .contains("mixed")
        );
        assert!(
            RequireAuth::parse("kerberos")
                .unwrap_err()
                .contains("valid: password")
        );
        let refuses = |rule: &RequireAuth, m, tls, verified| {
            rule.refuses(m, tls, verified, SslMode::Prefer).is_some()
        };
        let default = RequireAuth::Default;
        assert!(refuses(&default, Password, false, false));
        assert!(refuses(&default, Password, true, false));
        assert!(!refuses(&default, Password, true, true));
        assert!(!refuses(&default, Md5, false, false));
        let only = RequireAuth::parse("password").unwrap();
        assert!(!refuses(&only, Password, false, false));
        assert!(refuses(&only, ScramSha256, true, true));
        assert!(refuses(&only, None, true, true));
        let not = RequireAuth::parse("!none").unwrap();
        assert!(refuses(&not, None, true, true) && !refuses(&not, Password, false, false));
    }
}
