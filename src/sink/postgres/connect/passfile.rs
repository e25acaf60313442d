//! libpq's password file (`~/.pgpass`, `PGPASSFILE`): the password for a host, port, database
//! and user, read the way libpq reads it.

use std::path::Path;

/// What the password file says for one connection.
pub(super) enum PassFile {
    Found(String),
    NoMatch,
    /// Group or others can read it: ignored, as libpq does.
    Insecure,
}

/// Look the connection up in a libpq password file. A socket directory also matches `localhost`
/// lines (libpq does so for its default socket directory).
pub(super) fn read_passfile(
    path: &Path,
    host: &str,
    port: u16,
    dbname: &str,
    user: &str,
) -> PassFile {
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
pub(super) fn passfile_fields(line: &str) -> Vec<(String, bool)> {
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

pub(super) fn warn_insecure(path: &Path) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        eprintln!(
            "warning: password file \"{}\" has group or world access and is ignored; \
             permissions should be u=rw (0600) or less",
            path.display()
        );
    });
}
