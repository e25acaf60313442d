//! The archive of originals read back (`batchimp get`, `batchimp export`): the `originals`
//! table of an existing database, opened for reading only, and the choice of originals by key,
//! UUID, SHA-256, batch, date or party. What is kept, and how, is [`crate::archive`]'s.

use crate::ledger::sql::{Conn, Mode, Param, Query, Row, RowExt};
use crate::schema::{ColType, Dialect};
use crate::sink::{Target, schema};
use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use std::rc::Rc;

/// An original as stored.
#[derive(Debug, Clone)]
pub struct Stored {
    pub sha256: String,
    pub kind: String,
    /// Bytes before compression.
    pub size: u64,
}

/// Reads the archive of an existing database (for `get`), never writing to it: through the
/// ledger's connection ([`Conn`]), so any database batchimp writes can be read back.
pub struct Reader {
    conn: Box<dyn Conn>,
}

/// A row of text cells (`None`: NULL).
type Texts = Vec<Option<String>>;

/// A statement written once for every database: its parameters are `$1`, `$2`... (a named
/// parameter SQLite numbers in order of appearance) and text.
fn query(sql: &str, params: &[&str]) -> Query {
    Query {
        sql: sql.to_owned(),
        params: params
            .iter()
            .map(|p| Param::Text(Some((*p).to_owned())))
            .collect(),
    }
}

impl Reader {
    /// Open `target` for reading; a missing SQLite file is an error.
    pub fn open(target: &Target) -> Result<Reader> {
        Ok(Reader {
            conn: target.open_reader()?,
        })
    }

    /// A query's rows, every cell as text (columns that are not text are cast to it).
    fn texts(&mut self, sql: &str, params: &[&str]) -> Result<Vec<Texts>> {
        let q = query(sql, params);
        self.conn.with(Mode::Read, |tx| {
            tx.all(&q, |r| (0..r.columns()).map(|i| r.text(i)).collect())
        })
    }

    /// Whether the database has an archive table at all (a database made before it has not).
    fn has_table(&mut self) -> Result<bool> {
        Ok(self.tables()?.contains("originals"))
    }

    /// The tables the database has (one made by an older batchimp lacks the newer kinds').
    fn tables(&mut self) -> Result<Tables> {
        let sql = match self.dialect() {
            Dialect::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
            Dialect::Postgres => {
                "SELECT table_name::text FROM information_schema.tables
                 WHERE table_schema = current_schema()"
            }
        };
        let rows = self.texts(sql, &[])?;
        Ok(rows
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect())
    }

    /// The originals stored for `wanted`: a SHA-256 (hex), or a document key (an NF-e access
    /// key, a CFDI or Retenciones UUID) found in the documents' tables or in the ledger (a
    /// resend whose bytes differ is a duplicate there, with its own original). Sorted by
    /// SHA-256. `Err` when the key is known but no original of it is stored.
    pub fn find(&mut self, wanted: &str) -> Result<Vec<Stored>> {
        let wanted = wanted.trim();
        let archived = self.has_table()?;
        let mut shas = String::from(
            "SELECT sha256 FROM files WHERE status IN ('imported', 'duplicate')
                AND (key = $1 OR key = upper($1) OR sha256 = lower($1))",
        );
        for t in crate::format::all_tables() {
            if let ([pk], true) = (t.primary_key, t.has("sha256")) {
                shas.push_str(&format!(
                    " UNION SELECT sha256 FROM \"{}\" WHERE \"{pk}\" IN ($1, upper($1))",
                    t.name
                ));
            }
        }
        let found = if archived {
            let sql = format!(
                "SELECT sha256, kind, CAST(size AS TEXT) FROM originals
                 WHERE sha256 = lower($1) OR sha256 IN ({shas}) ORDER BY sha256"
            );
            self.texts(&sql, &[wanted])?
        } else {
            Vec::new()
        };
        if found.is_empty() {
            let known = !self.texts(&shas, &[wanted])?.is_empty();
            if known {
                bail!(
                    "{wanted} was imported without its original (by a batch run with --no-archive, or before batchimp kept originals): nothing to get"
                );
            }
            bail!("no document or original {wanted} in the database");
        }
        Ok(found
            .into_iter()
            .map(|r| {
                let mut r = r.into_iter().map(Option::unwrap_or_default);
                Stored {
                    sha256: r.next().unwrap_or_default(),
                    kind: r.next().unwrap_or_default(),
                    size: r.next().and_then(|s| s.parse().ok()).unwrap_or(0),
                }
            })
            .collect())
    }

    /// Where the ledger saw an original come from (its first origin), for listing.
    pub fn origin(&mut self, sha256: &str) -> Result<Option<String>> {
        let rows = self.texts(
            "SELECT origin FROM files WHERE sha256 = $1 ORDER BY id LIMIT 1",
            &[sha256],
        )?;
        Ok(rows
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten()))
    }

    /// The original bytes of `sha256`, decompressed and checked against their digest.
    pub fn bytes(&mut self, sha256: &str) -> Result<Vec<u8>> {
        let sql = "SELECT o.sha256, o.kind, NULL, NULL, o.codec, o.dictionary, o.size, o.data,
                o.shared FROM originals o WHERE o.sha256 = $1";
        let mut found = None;
        self.stream(sql, &[sha256.to_owned()], &mut |packed| {
            found = Some(packed);
            Ok(false)
        })?;
        let found = found.with_context(|| format!("no original {sha256} in the database"))?;
        Ok(found.unpack()?.bytes)
    }

    /// Every original `filter` keeps, decompressed and checked, in the order of their entry
    /// names; streamed (see [`Reader::stream`]), so memory stays flat however many there are.
    pub fn for_each(
        &mut self,
        filter: &Filter,
        f: &mut dyn FnMut(Original) -> Result<()>,
    ) -> Result<()> {
        let tables = self.tables()?;
        let (sql, params) = filter.sql(self.dialect(), &tables);
        self.stream(&sql, &params, &mut |packed| {
            f(packed.unpack()?)?;
            Ok(true)
        })
    }

    /// Every original of `kinds` (every kind when empty), as stored, for `batchimp reparse`:
    /// in the order their files were first imported (so that a document is rewritten from
    /// its first file before a later one enriches it), each with that file's origin, or the
    /// `path` its documents hold when the ledger's rows were pruned. Streamed; `f` returns
    /// false to stop.
    pub fn for_each_to_reparse(
        &mut self,
        kinds: &[&'static str],
        f: &mut dyn FnMut(Packed) -> Result<bool>,
    ) -> Result<()> {
        let paths: Vec<String> = crate::format::all_tables()
            .filter(|t| t.primary_key.len() == 1 && t.has("sha256") && t.has("path"))
            .map(|t| {
                format!(
                    "(SELECT path FROM \"{}\" WHERE sha256 = o.sha256 LIMIT 1)",
                    t.name
                )
            })
            .collect();
        let sql = format!(
            "SELECT o.sha256, o.kind, f.key, COALESCE(f.origin, {paths}), o.codec, o.dictionary,
                o.size, o.data, o.shared
             FROM originals o
             LEFT JOIN (SELECT sha256, min(id) AS id FROM files
                 WHERE status IN ('imported', 'duplicate') AND origin NOT LIKE '{prefix}%'
                 GROUP BY sha256) first ON first.sha256 = o.sha256
             LEFT JOIN files f ON f.id = first.id{kinds}
             ORDER BY (first.id IS NULL), first.id, o.sha256",
            paths = paths.join(", "),
            prefix = crate::archive::ORIGIN_PREFIX,
            kinds = kinds_sql(" WHERE o.kind", kinds),
        );
        self.stream(&sql, &[], f)
    }

    /// Of the distinct files of `kinds` that imported documents (or met them), how many have
    /// no original stored, and how many there are: what `reparse` cannot read again.
    pub fn missing(&mut self, kinds: &[&'static str]) -> Result<(u64, u64)> {
        let stored = if self.has_table()? {
            "sha256 IN (SELECT sha256 FROM originals)"
        } else {
            "1 = 0"
        };
        let sql = format!(
            "SELECT CAST(count(DISTINCT CASE WHEN {stored} THEN NULL ELSE sha256 END) AS TEXT),
                CAST(count(DISTINCT sha256) AS TEXT)
             FROM files WHERE status IN ('imported', 'duplicate') AND sha256 IS NOT NULL{}",
            kinds_sql(" AND kind", kinds)
        );
        let [missing, files] = self.numbers(&sql)?;
        Ok((missing, files))
    }

    /// The archive's size: originals, bytes stored (compressed) and raw. A database made
    /// before the archive has none.
    pub fn size(&mut self) -> Result<crate::report::ArchiveStats> {
        let tables = self.tables()?;
        if !tables.contains(schema::ORIGINALS.name) {
            return Ok(crate::report::ArchiveStats::new(0, 0, 0));
        }
        // length() reads the stored size without the blob (SQLite's record header,
        // PostgreSQL's TOAST pointer): cheap however large the archive.
        let n = self.numbers(
            "SELECT CAST(count(*) AS TEXT), CAST(COALESCE(sum(length(data)), 0) AS TEXT),
                CAST(COALESCE(sum(size), 0) AS TEXT) FROM originals",
        )?;
        let [originals, stored, raw] = n;
        // The shared parts are stored bytes of the archive too.
        let [parts] = match tables.contains(schema::ORIGINAL_PARTS.name) {
            true => self.numbers(
                "SELECT CAST(COALESCE(sum(length(data)), 0) AS TEXT) FROM original_parts",
            )?,
            false => [0],
        };
        Ok(crate::report::ArchiveStats::new(
            originals,
            stored + parts,
            raw,
        ))
    }

    /// How many originals of `kinds` (every kind when empty) are stored.
    pub fn count(&mut self, kinds: &[&'static str]) -> Result<u64> {
        if !self.has_table()? {
            return Ok(0);
        }
        let sql = format!(
            "SELECT CAST(count(*) AS TEXT) FROM originals o{}",
            kinds_sql(" WHERE o.kind", kinds)
        );
        let [count] = self.numbers(&sql)?;
        Ok(count)
    }

    /// The first `N` cells of the one row `sql` returns, as numbers (cast to text; NULL or
    /// missing: 0).
    fn numbers<const N: usize>(&mut self, sql: &str) -> Result<[u64; N]> {
        let row = self.texts(sql, &[])?.into_iter().next().unwrap_or_default();
        let mut out = [0; N];
        for (n, cell) in out.iter_mut().zip(row) {
            *n = cell.and_then(|c| c.parse().ok()).unwrap_or(0);
        }
        Ok(out)
    }

    fn dialect(&self) -> Dialect {
        self.conn.dialect()
    }

    /// The rows of `sql` (whose columns are those of [`Packed`], in order) handed to `f` one
    /// at a time until it returns false, as the database sends them: memory stays flat
    /// however many there are. The archive's shared parts are read first, in the same
    /// snapshot: one a thousand documents of an issuer carry, read once.
    fn stream(
        &mut self,
        sql: &str,
        params: &[String],
        f: &mut dyn FnMut(Packed) -> Result<bool>,
    ) -> Result<()> {
        let params: Vec<&str> = params.iter().map(String::as_str).collect();
        let has_parts = self.tables()?.contains(schema::ORIGINAL_PARTS.name);
        // A database an older batchimp made has neither the parts nor the column that places
        // them: none of its originals has any.
        let sql = match has_parts {
            true => sql.to_owned(),
            false => sql.replace("o.shared", "NULL"),
        };
        let q = query(&sql, &params);
        let all_parts = query("SELECT sha256, data FROM original_parts", &[]);
        let mut more = true;
        self.conn.transaction(Mode::Snapshot, &mut |tx| {
            let mut parts = crate::archive::Parts::default();
            if has_parts {
                tx.query(&all_parts, &mut |r| {
                    parts.insert(r.text_of(0)?, r.bytes(1)?.unwrap_or_default());
                    Ok(())
                })?;
            }
            let parts = Rc::new(parts);
            tx.query(&q, &mut |r| {
                if more {
                    more = f(packed(r, &parts)?)?;
                }
                Ok(())
            })
        })
    }
}

/// An original as a row of [`Reader::stream`]'s queries has it.
fn packed(r: &dyn Row, parts: &Rc<crate::archive::Parts>) -> Result<Packed> {
    Ok(Packed {
        sha256: r.text_of(0)?,
        kind: r.text_of(1)?,
        key: r.text(2)?,
        origin: r.text(3)?,
        codec: r.text_of(4)?,
        dictionary: r.text(5)?,
        size: r.int_of(6)?,
        data: r.bytes(7)?.unwrap_or_default(),
        shared: r.text(8)?,
        parts: Rc::clone(parts),
    })
}

/// ` AND kind IN ('nfe', 'cfdi')` for `column` and `kinds` (nothing when empty): kinds come
/// from a fixed list of names, spelled into the SQL.
fn kinds_sql(column: &str, kinds: &[&'static str]) -> String {
    if kinds.is_empty() {
        return String::new();
    }
    let names: Vec<String> = kinds.iter().map(|k| format!("'{k}'")).collect();
    format!("{column} IN ({})", names.join(", "))
}

/// An original as the database holds it, compressed; [`Packed::unpack`] reads it.
pub struct Packed {
    pub sha256: String,
    pub kind: String,
    /// The document keys of the file that first brought it (comma-separated).
    pub key: Option<String>,
    /// Where it first came from (`None`: not known any more).
    pub origin: Option<String>,
    codec: String,
    dictionary: Option<String>,
    /// Bytes before compression.
    pub size: i64,
    data: Vec<u8>,
    shared: Option<String>,
    /// The archive's shared parts, which `shared` may name.
    parts: Rc<crate::archive::Parts>,
}

impl Packed {
    /// The original decompressed and checked against its SHA-256; `Err` when it is damaged
    /// or stored in a form this batchimp cannot read.
    pub fn unpack(self) -> Result<Original> {
        let stored = crate::archive::Stored {
            codec: &self.codec,
            dictionary: self.dictionary.as_deref(),
            size: self.size.max(0) as usize,
            data: &self.data,
            shared: self.shared.as_deref(),
        };
        let bytes = unpack(&self.sha256, stored, &self.parts)?;
        Ok(Original {
            sha256: self.sha256,
            kind: self.kind,
            key: self.key,
            origin: self.origin,
            bytes,
        })
    }
}

/// An original's bytes from its stored form, checked against their SHA-256.
fn unpack(
    sha256: &str,
    stored: crate::archive::Stored<'_>,
    parts: &crate::archive::Parts,
) -> Result<Vec<u8>> {
    let bytes = crate::archive::decompress(stored, parts)
        .map_err(|why| anyhow::anyhow!("original {sha256} {why}"))?;
    let digest = format!("{:x}", Sha256::digest(&bytes));
    if digest != sha256 || bytes.len() != stored.size {
        bail!("original {sha256} is damaged: its bytes do not match their SHA-256");
    }
    Ok(bytes)
}

/// An original read back for `export`.
pub struct Original {
    pub sha256: String,
    pub kind: String,
    /// The document keys of the file that first brought it (comma-separated).
    pub key: Option<String>,
    /// Where it first came from.
    pub origin: Option<String>,
    pub bytes: Vec<u8>,
}

/// Which originals `export` takes: of some kinds, of one batch, of batches started in a time
/// window. A condition left `None` (or empty) keeps everything.
#[derive(Debug, Default)]
pub struct Filter {
    /// Kinds, from a fixed list of names (spelled into the SQL).
    pub kinds: Vec<&'static str>,
    pub batch: Option<i64>,
    pub since: Option<std::time::SystemTime>,
    pub until: Option<std::time::SystemTime>,
    /// The issuer's CNPJ, CPF or RFC.
    pub issuer: Option<String>,
    /// The receiver's CNPJ, CPF or RFC.
    pub receiver: Option<String>,
    /// Only cancelled documents (`Some(true)`), or none of them (`Some(false)`).
    pub cancelled: Option<bool>,
}

/// The document tables `--issuer`, `--receiver` and `--cancelled` look in: the table, its key
/// column, the issuer's columns, the receiver's, its events' table (keyed by `chave`), and
/// the condition a cancelled document meets (`None`: it records no cancellation).
struct Documents {
    table: &'static str,
    key: &'static str,
    issuers: &'static [&'static str],
    receivers: &'static [&'static str],
    events: Option<&'static str>,
    cancelled: Option<&'static str>,
}

const DOCUMENTS: &[Documents] = &[
    Documents {
        table: "nfe",
        key: "chave",
        issuers: &["emit_cnpj", "emit_cpf"],
        receivers: &["dest_cnpj", "dest_cpf"],
        events: Some("nfe_evento"),
        cancelled: Some("situacao = 'cancelada'"),
    },
    Documents {
        table: "cfdi",
        key: "uuid",
        issuers: &["emisor_rfc"],
        receivers: &["receptor_rfc"],
        events: None,
        // Cancelled as SAT's metadata (the Descarga Masiva list) says.
        cancelled: Some("cancelado = 1"),
    },
    Documents {
        table: "retencion",
        key: "uuid",
        issuers: &["emisor_rfc"],
        receivers: &["receptor_rfc"],
        events: None,
        cancelled: None,
    },
    // A CT-e's receiver is whoever pays the freight (`toma`) or the cargo's recipient.
    Documents {
        table: "cte",
        key: "chave",
        issuers: &["emit_cnpj", "emit_cpf"],
        receivers: &["toma_cnpj", "toma_cpf", "dest_cnpj", "dest_cpf"],
        events: Some("cte_evento"),
        cancelled: Some("situacao = 'cancelada'"),
    },
    // A manifest has an issuer only.
    Documents {
        table: "mdfe",
        key: "chave",
        issuers: &["emit_cnpj", "emit_cpf"],
        receivers: &[],
        events: Some("mdfe_evento"),
        cancelled: Some("situacao = 'cancelada'"),
    },
    // An NFS-e's issuer is its provider; its receiver, the taker.
    Documents {
        table: "nfse",
        key: "chave",
        issuers: &["prest_cnpj", "prest_cpf"],
        receivers: &["toma_cnpj", "toma_cpf"],
        events: Some("nfse_evento"),
        cancelled: Some("situacao = 'cancelada'"),
    },
    // A municipal (ABRASF) NFS-e: the same parties; its cancellation, keyed alike.
    Documents {
        table: "nfse_abrasf",
        key: "chave",
        issuers: &["prest_cnpj", "prest_cpf"],
        receivers: &["toma_cnpj", "toma_cpf"],
        events: Some("nfse_abrasf_cancelamento"),
        cancelled: Some("situacao = 'cancelada'"),
    },
];

impl Documents {
    /// The originals of this table's documents that meet `cond`: each document's own file,
    /// every other file of its key (a resend), and its events' files.
    fn originals(&self, cond: &str, tables: &Tables) -> String {
        let (table, key) = (self.table, self.key);
        let keys = format!("SELECT \"{key}\" FROM \"{table}\" WHERE {cond}");
        let mut sql = format!(
            "SELECT sha256 FROM \"{table}\" WHERE {cond}
             UNION SELECT sha256 FROM files WHERE key IN ({keys})"
        );
        if let Some(events) = self.events.filter(|e| tables.contains(*e)) {
            sql.push_str(&format!(
                " UNION SELECT sha256 FROM \"{events}\" WHERE chave IN ({keys})"
            ));
        }
        sql
    }
}

/// `o.sha256` among the originals of the documents `select` gives a condition for (`None`:
/// that table has nothing to match), in the tables the database has; `NOT` among them when
/// `not`.
/// The database's tables, by name.
type Tables = std::collections::HashSet<String>;

fn among(select: impl Fn(&Documents) -> Option<String>, not: bool, tables: &Tables) -> String {
    let selects: Vec<String> = DOCUMENTS
        .iter()
        .filter(|d| tables.contains(d.table))
        .filter_map(|d| select(d).map(|cond| d.originals(&cond, tables)))
        .collect();
    if selects.is_empty() {
        // No table to look in: nothing is among them.
        return (if not { "1 = 1" } else { "1 = 0" }).to_owned();
    }
    let not = if not { "NOT " } else { "" };
    // `IS NOT NULL`: NOT IN over a set holding NULL would keep nothing.
    format!(
        "o.sha256 {not}IN (SELECT sha256 FROM ({}) c WHERE sha256 IS NOT NULL)",
        selects.join(" UNION ")
    )
}

/// The originals whose documents name `param` in the issuer's columns (`issuer`) or the
/// receiver's, with their resends and events.
fn party_sql(param: &str, issuer: bool, tables: &Tables) -> String {
    among(
        |d| {
            let columns = if issuer { d.issuers } else { d.receivers };
            let cond: Vec<String> = columns
                .iter()
                .map(|c| format!("\"{c}\" = {param}"))
                .collect();
            (!cond.is_empty()).then(|| cond.join(" OR "))
        },
        false,
        tables,
    )
}

/// The originals of cancelled documents, with their resends and events (or all the others).
fn cancelled_sql(cancelled: bool, tables: &Tables) -> String {
    among(|d| d.cancelled.map(str::to_owned), !cancelled, tables)
}

impl Filter {
    /// The query and its parameters: each original once, with the ledger row of the first
    /// file that brought it in the chosen batches, sorted by key, then the first imported first.
    fn sql(&self, d: Dialect, tables: &Tables) -> (String, Vec<String>) {
        let mut params = Vec::new();
        let mut conds = vec!["status IN ('imported', 'duplicate')".to_owned()];
        if let Some(b) = self.batch {
            params.push(b.to_string());
            let p = d.param(params.len(), ColType::Integer);
            conds.push(format!("batch_id = {p}"));
        }
        let mut started = Vec::new();
        for (at, op) in [(self.since, ">="), (self.until, "<")] {
            if let Some(at) = at {
                params.push(crate::time::rfc3339(at));
                let p = d.param(params.len(), ColType::Timestamp);
                started.push(format!("started_at {op} {p}"));
            }
        }
        if !started.is_empty() {
            conds.push(format!(
                "batch_id IN (SELECT id FROM batches WHERE {})",
                started.join(" AND ")
            ));
        }
        let mut chosen = Vec::new();
        if !self.kinds.is_empty() {
            chosen.push(kinds_sql("o.kind", &self.kinds));
        }
        for (party, issuer) in [(&self.issuer, true), (&self.receiver, false)] {
            if let Some(id) = party {
                params.push(id.trim().to_owned());
                chosen.push(party_sql(
                    &d.param(params.len(), ColType::Text),
                    issuer,
                    tables,
                ));
            }
        }
        if let Some(cancelled) = self.cancelled {
            chosen.push(cancelled_sql(cancelled, tables));
        }
        // What the originals themselves must meet: kind, party, cancelled or not.
        let chosen = if chosen.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", chosen.join(" AND "))
        };
        let sql = format!(
            "SELECT o.sha256, o.kind, f.key, f.origin, o.codec, o.dictionary, o.size, o.data,
                o.shared
             FROM originals o
             JOIN (SELECT sha256, min(id) AS id FROM files WHERE {} GROUP BY sha256) first
                ON first.sha256 = o.sha256
             JOIN files f ON f.id = first.id{chosen}
             ORDER BY f.key, f.id",
            conds.join(" AND ")
        );
        (sql, params)
    }
}
