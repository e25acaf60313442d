//! The URL's own parts (`postgres://user:password@host:port/db?key=value`), percent-decoding
//! and encoding, and the URL as it may be shown: without its password.

use std::fmt::Write as _;

/// What the URL itself says; `None` is left to the environment and the defaults.
#[derive(Default)]
pub(super) struct Given {
    pub(super) host: Option<String>,
    pub(super) port: Option<u16>,
    pub(super) user: Option<String>,
    pub(super) password: Option<String>,
    pub(super) dbname: Option<String>,
    pub(super) sslmode: Option<String>,
    pub(super) sslrootcert: Option<String>,
    pub(super) connect_timeout: Option<String>,
    pub(super) application_name: Option<String>,
    pub(super) require_auth: Option<String>,
}

/// The URL's own parts. Error texts never hold the user-info part.
pub(super) fn parse_url(url: &str) -> Result<Given, String> {
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

pub(super) fn parse_port(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ if text.contains(':') => Err("an IPv6 address must be in brackets, as [::1]:5432".into()),
        _ => Err(format!("invalid port \"{text}\"")),
    }
}

/// Percent-decoding; the error does not show the text (it may be a password).
pub(super) fn decode(text: &str) -> Result<String, String> {
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
pub(super) fn encode(text: &str) -> String {
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
