//! `batchimp.toml`: defaults for `run`'s options, so a folder that is imported every day needs
//! only `batchimp run inputs/`. Part of reading the command line, like `cli`: its values become
//! the default values of `run`'s clap arguments before the command line is parsed for good, so
//! they go through the same value parsers as flags and lose to a flag or an environment
//! variable (clap's own order: command line, environment, default). Nothing here knows one
//! option from another: an option added to `run`, or a global option, can be set in the file
//! with no more code.
//!
//! ```toml
//! [run]
//! workers = 4
//! max-file-size = "100MiB"
//! hidden = true
//! map = ["Ref. Fornecedor=sku"]
//! ```

use crate::cli::{self, Cli};
use anyhow::{Context, Result, anyhow, bail};
use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, FromArgMatches};
use std::ffi::OsString;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The file read from the working folder when `--config` is not given; none is fine.
pub const DEFAULT_PATH: &str = "batchimp.toml";

/// The subcommands whose options the file may set, each a table of it (`[run]`), and the
/// subcommands that read each table (`config` shows what `run` would use).
const TABLES: &[(&str, &[&str])] = &[("run", &["run", "config"])];

/// The subcommands that take only the database from the `[run]` table (its `db` and
/// `schema`): they must find the database `run` used, whatever else the file sets for it.
const DB_READERS: &[&str] = &[
    "resume", "retry", "reparse", "report", "list", "stats", "prune", "get", "export",
];

/// The options of `[run]` that name the database.
const DB_OPTIONS: &[&str] = &["db", "schema"];

/// The command line, parsed with the config file's defaults, and what `batchimp config` shows.
#[derive(Debug)]
pub struct Invocation {
    pub cli: Cli,
    pub settings: Settings,
}

/// `run`'s options as resolved, for `batchimp config`.
#[derive(Debug, Default)]
pub struct Settings {
    /// The config file read, as the user would name it; `None` when there was none.
    pub file: Option<String>,
    /// Every option of `run`, in `run --help`'s order; empty unless the subcommand reads the
    /// `[run]` table.
    pub options: Vec<Resolved>,
}

/// One option's value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The long flag name, `max-file-size`.
    pub option: String,
    /// Its values as given (`100MiB`), a URL's password left out; empty when it is not set.
    pub values: Vec<String>,
    /// The option takes a list (`--map`, repeatable): shown as one.
    pub list: bool,
    pub source: Source,
}

/// Where an option's value came from, in the order that decides: the first that has one wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The command line.
    Flag,
    /// An environment variable, `BATCHIMP_DB`.
    Env(String),
    /// The config file, at this line.
    File { path: String, line: usize },
    /// The built-in default, or not set at all.
    Default,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Flag => f.write_str("flag"),
            Source::Env(name) => write!(f, "env {name}"),
            Source::File { path, line } => write!(f, "{path}:{line}"),
            Source::Default => f.write_str("default"),
        }
    }
}

/// A value the file gives an option, checked by the option's own value parser.
#[derive(Debug)]
struct Entry {
    /// The clap argument's id.
    id: String,
    /// A global option (defined on the top-level command, accepted by every subcommand).
    global: bool,
    line: usize,
    values: Vec<String>,
}

/// Parse `argv` (program name first) with the config file's defaults. A usage error is a
/// `clap::Error` in the chain (for clap to print and exit with); a config file that cannot be
/// read, or says something wrong, is an error naming its file and line.
pub fn parse(argv: Vec<OsString>) -> Result<Invocation> {
    let color = cli::ColorWhen::from_argv(&argv);
    crate::log::set_color(color.stderr());
    let first = cli::command()
        .color(color.clap())
        .try_get_matches_from(&argv)?;
    let (sub, _) = first.subcommand().context("a subcommand is required")?;
    let tables: Vec<&str> = TABLES
        .iter()
        .filter(|(_, readers)| readers.contains(&sub))
        .map(|(table, _)| *table)
        .collect();
    let explicit = first.get_one::<PathBuf>("config");
    let db_only = DB_READERS.contains(&sub);
    // An explicit file is always read, so a wrong one is found whatever the subcommand; the
    // default file only by the subcommands that use it (a broken one stops `report` too, as
    // it may name the database `report` should read).
    let file = match explicit {
        Some(path) => read(path, true)?,
        None if !tables.is_empty() || db_only => read(Path::new(DEFAULT_PATH), false)?,
        None => None,
    };
    let mut built = cli::command();
    built.build();
    let mut entries: Vec<(&str, Vec<Entry>)> = Vec::new();
    if let Some((shown, text)) = &file {
        entries = check(shown, text, &built)?;
    }
    // The file's values become the defaults of the subcommand's arguments: clap then applies
    // them only when neither the command line nor the environment gives one.
    let given: Vec<&Entry> = entries
        .iter()
        .flat_map(|(t, e)| e.iter().map(move |e| (*t, e)))
        .filter(|(t, e)| {
            tables.contains(t) || (db_only && *t == "run" && DB_OPTIONS.contains(&e.id.as_str()))
        })
        .map(|(_, e)| e)
        .collect();
    let default = |a: clap::Arg, entry: &Entry| a.default_values(entry.values.clone());
    let mut cmd = cli::command().color(color.clap());
    for entry in given.iter().filter(|e| e.global) {
        cmd = cmd.mut_arg(entry.id.as_str(), |a| default(a, entry));
    }
    let cmd = cmd.mut_subcommand(sub, |mut c| {
        for entry in given.iter().filter(|e| !e.global) {
            c = c.mut_arg(entry.id.as_str(), |a| default(a, entry));
        }
        c
    });
    let matches = cmd.try_get_matches_from(&argv)?;
    let cli = Cli::from_arg_matches(&matches)?;
    let mut settings = Settings {
        file: file.as_ref().map(|(shown, _)| shown.clone()),
        options: Vec::new(),
    };
    if let Some(table) = tables.first()
        && let Some((_, sub_matches)) = matches.subcommand()
    {
        let given = entries
            .iter()
            .find(|(t, _)| t == table)
            .map_or(&[][..], |(_, e)| e.as_slice());
        let shown = settings.file.clone().unwrap_or_default();
        let table_cmd = built
            .find_subcommand(table)
            .expect("a table is a subcommand");
        settings.options = resolve(table_cmd, sub_matches, given, &shown);
    }
    Ok(Invocation { cli, settings })
}

/// The file as shown in messages, and its text; `None` when the default file is absent.
fn read(path: &Path, explicit: bool) -> Result<Option<(String, String)>> {
    let shown = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some((shown, text))),
        Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow!("cannot read config file {shown}: {e}")),
    }
}

/// Every entry of the file, checked against the options of the subcommands it configures.
fn check(shown: &str, text: &str, cmd: &clap::Command) -> Result<Vec<(&'static str, Vec<Entry>)>> {
    let at = |span: Range<usize>| format!("{shown}:{}", line_of(text, span.start));
    let doc = DeTable::parse(text).map_err(|e| match e.span() {
        Some(span) => anyhow!("{}: {}", at(span), e.message().trim_end()),
        None => anyhow!("{shown}: {}", e.message().trim_end()),
    })?;
    let mut keys: Vec<_> = doc.get_ref().iter().collect();
    keys.sort_by_key(|(k, _)| k.span().start);
    let mut out = Vec::new();
    for (key, value) in keys {
        let name = key.get_ref().as_ref();
        let table_names = TABLES
            .iter()
            .map(|(t, _)| format!("[{t}]"))
            .collect::<Vec<_>>()
            .join(", ");
        let Some(&(table, _)) = TABLES.iter().find(|(t, _)| *t == name) else {
            let sub = TABLES
                .iter()
                .find(|(t, _)| options(sub(cmd, t)).any(|a| matches_key(a, name)));
            bail!(
                "{}: {}",
                at(key.span()),
                match (value.get_ref(), sub) {
                    (DeValue::Table(_), _) => format!(
                        "unknown table [{name}] (only {table_names} can be configured for now)"
                    ),
                    (_, Some((t, _))) => format!("{name:?} is an option of {t}: put it in [{t}]"),
                    _ => format!("unknown key {name:?} (options go in a table: {table_names})"),
                }
            );
        };
        let DeValue::Table(entries) = value.get_ref() else {
            bail!("{}: {name} must be a table, [{name}]", at(key.span()));
        };
        let entries = entries_of(sub(cmd, table), table, entries, &|s| at(s), text)?;
        out.push((table, entries));
    }
    Ok(out)
}

fn sub<'c>(cmd: &'c clap::Command, name: &str) -> &'c clap::Command {
    cmd.find_subcommand(name)
        .expect("every table is a subcommand")
}

/// The options a file may set: what has a long flag (global options too), but not `--help`,
/// `--version` or `--config` itself.
fn options(cmd: &clap::Command) -> impl Iterator<Item = &clap::Arg> {
    cmd.get_arguments().filter(|a| {
        a.get_long().is_some()
            && !a.is_positional()
            && a.get_id() != "config"
            && !matches!(
                a.get_action(),
                ArgAction::Help | ArgAction::HelpShort | ArgAction::HelpLong | ArgAction::Version
            )
    })
}

/// `max-file-size` and `max_file_size` both name `--max-file-size`.
fn matches_key(arg: &clap::Arg, key: &str) -> bool {
    arg.get_long() == Some(key.replace('_', "-").as_str())
}

/// Whether an option takes several values (`--map` repeated, `--require a,b`).
fn is_list(arg: &clap::Arg) -> bool {
    matches!(arg.get_action(), ArgAction::Append)
        || arg.get_num_args().is_some_and(|n| n.max_values() > 1)
        || arg.get_value_delimiter().is_some()
}

/// The entries of one table, each checked by its option's value parser.
fn entries_of(
    cmd: &clap::Command,
    table: &str,
    entries: &DeTable,
    at: &dyn Fn(Range<usize>) -> String,
    text: &str,
) -> Result<Vec<Entry>> {
    let mut sorted: Vec<_> = entries.iter().collect();
    sorted.sort_by_key(|(k, _)| k.span().start);
    let mut out = Vec::new();
    for (key, value) in sorted {
        let name = key.get_ref().as_ref();
        let Some(arg) = options(cmd).find(|a| matches_key(a, name)) else {
            let hint = if cmd
                .get_arguments()
                .any(|a| a.is_positional() && a.get_id() == name)
            {
                format!("{name} are given on the command line")
            } else {
                let best = options(cmd)
                    .filter_map(|a| a.get_long())
                    .map(|long| (strsim::jaro(&name.replace('_', "-"), long), long))
                    .max_by(|a, b| a.0.total_cmp(&b.0));
                match best {
                    Some((score, long)) if score > 0.7 => format!("did you mean {long}?"),
                    _ => format!("see batchimp {table} --help"),
                }
            };
            bail!(
                "{}: unknown option {name:?} for {table} ({hint})",
                at(key.span())
            );
        };
        let long = arg.get_long().expect("options have a long name");
        let at_value = at(value.span());
        let values = scalars(value).map_err(|why| anyhow!("{at_value}: --{long}: {why}"))?;
        if !is_list(arg) && values.len() != 1 {
            bail!("{at_value}: --{long} takes one value, not a list");
        }
        for v in &values {
            let parts: Vec<&str> = match arg.get_value_delimiter() {
                Some(d) => v.split(d).collect(),
                None => vec![v.as_str()],
            };
            for part in parts {
                if let Err(e) = validate(table, arg, part) {
                    bail!("{at_value}: --{long}: {part:?}: {}", why(&e));
                }
            }
        }
        out.push(Entry {
            id: arg.get_id().to_string(),
            global: arg.is_global_set(),
            line: line_of(text, key.span().start),
            values,
        });
    }
    Ok(out)
}

/// Run `value` through `arg`'s value parser, the one its flag goes through. clap keeps value
/// parsers to itself, but it parses default values with them: `table`'s subcommand, alone,
/// with `value` as the argument's default and nothing else required or read from the
/// environment, is parsed from an empty command line.
/// A global option is checked the same way on the top-level command, where it is defined.
fn validate(table: &str, arg: &clap::Arg, value: &str) -> Result<(), clap::Error> {
    let cmd = cli::command();
    let alone = if arg.is_global_set() {
        cmd
    } else {
        sub(&cmd, table).clone()
    };
    alone
        .subcommand_required(false)
        .arg_required_else_help(false)
        .mut_args(|a| a.required(false).env(None::<&str>))
        .mut_arg(arg.get_id(), |a| a.default_value(value.to_owned()))
        .try_get_matches_from([table])
        .map(drop)
}

/// A value as the strings a flag would take: a string as it is, a number or a boolean as
/// written, an array's elements each.
fn scalars(value: &Spanned<DeValue>) -> Result<Vec<String>, String> {
    let one = |v: &DeValue| -> Result<String, String> {
        Ok(match v {
            DeValue::String(s) => s.to_string(),
            DeValue::Integer(i) => i128::from_str_radix(i.as_str(), i.radix())
                .map_err(|e| format!("{}: {e}", i.as_str()))?
                .to_string(),
            DeValue::Float(f) => f.as_str().to_owned(),
            DeValue::Boolean(b) => b.to_string(),
            DeValue::Datetime(d) => d.to_string(),
            DeValue::Array(_) => return Err("a list inside a list".into()),
            DeValue::Table(_) => return Err("a table is not a value".into()),
        })
    };
    match value.get_ref() {
        DeValue::Array(items) => items.iter().map(|v| one(v.get_ref())).collect(),
        v => Ok(vec![one(v)?]),
    }
}

/// Why a value parser refused a value, without clap's "error:" and usage lines: the parser's
/// own message, else the values it takes.
fn why(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue};
    use std::error::Error as _;
    if let Some(source) = e.source() {
        return source.to_string();
    }
    if let Some(ContextValue::Strings(possible)) = e.get(ContextKind::ValidValue) {
        return format!("not one of {}", possible.join(", "));
    }
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default();
    first.strip_prefix("error: ").unwrap_or(first).to_owned()
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Every option of `table_cmd` as `matches` (of `run` or `config`) resolved it.
fn resolve(
    table_cmd: &clap::Command,
    matches: &ArgMatches,
    given: &[Entry],
    shown: &str,
) -> Vec<Resolved> {
    options(table_cmd)
        .map(|arg| {
            let id = arg.get_id().as_str();
            let source = match matches.value_source(id) {
                Some(ValueSource::CommandLine) => Source::Flag,
                Some(ValueSource::EnvVariable) => Source::Env(
                    arg.get_env()
                        .map(|e| e.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                ),
                _ => match given.iter().find(|e| e.id == id) {
                    Some(entry) => Source::File {
                        path: shown.to_owned(),
                        line: entry.line,
                    },
                    None => Source::Default,
                },
            };
            let values = matches
                .get_raw(id)
                .into_iter()
                .flatten()
                .map(|v| shown_value(&v.to_string_lossy()))
                .collect();
            Resolved {
                option: arg.get_long().expect("options have a long name").to_owned(),
                values,
                list: is_list(arg),
                source,
            }
        })
        .collect()
}

/// A value fit to print: any URL without its secrets, whatever the option. A database URL
/// loses its password (`postgres://u:pw@h/db` → `postgres://u@h/db`, its settings kept); any
/// other URL (the `--notify` webhook) is shown as every other output shows it, without user
/// info, query string or fragment (`https://h/hook?token=x` → `https://h/hook`).
fn shown_value(v: &str) -> String {
    let Some((scheme, _)) = v.split_once("://") else {
        return v.to_owned();
    };
    if scheme.eq_ignore_ascii_case("postgres") || scheme.eq_ignore_ascii_case("postgresql") {
        crate::sink::postgres::redact(v)
    } else {
        crate::notify::redact(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(text: &str) -> Result<Vec<(&'static str, Vec<Entry>)>> {
        let mut cmd = cli::command();
        cmd.build();
        check("batchimp.toml", text, &cmd)
    }

    fn err(text: &str) -> String {
        format!("{:#}", entries(text).unwrap_err())
    }

    #[test]
    fn values_become_flag_strings() {
        let got = entries(
            "# defaults\n[run]\nworkers = 4\nmax_file_size = \"100MiB\"\nhidden = true\nmap = [\"Ref=sku\", \"Nome=name\"]\nrequire = \"unit,stock\"\n",
        )
        .unwrap();
        let run = &got[0].1;
        let line = |id: &str| run.iter().find(|e| e.id == id).unwrap();
        assert_eq!(line("workers").values, ["4"]);
        assert_eq!(line("workers").line, 3);
        assert_eq!(line("max_file_size").values, ["100MiB"]);
        assert_eq!(line("hidden").values, ["true"]);
        assert_eq!(line("map").values, ["Ref=sku", "Nome=name"]);
        assert_eq!(line("require").values, ["unit,stock"]);
        assert_eq!(line("require").line, 7);
    }

    #[test]
    fn mistakes_name_the_line() {
        assert_eq!(
            err("[run]\nworkers = 2\nmax_file_sise = \"1MiB\"\n"),
            "batchimp.toml:3: unknown option \"max_file_sise\" for run (did you mean max-file-size?)"
        );
        assert!(
            err("[run]\n\nmax-file-size = \"lots\"\n")
                .starts_with("batchimp.toml:3: --max-file-size: \"lots\": not a size"),
        );
        assert_eq!(
            err("[run]\nworkers = 0\n"),
            "batchimp.toml:2: --workers: \"0\": 0 is not in 1..=512"
        );
        assert_eq!(
            err("[run]\non-conflict = \"merge\"\n"),
            "batchimp.toml:2: --on-conflict: \"merge\": not one of skip, replace, fail"
        );
        assert_eq!(
            err("[run]\nrequire = \"unit,colour\"\n")
                .split(": ")
                .take(3)
                .collect::<Vec<_>>(),
            ["batchimp.toml:2", "--require", "\"colour\""]
        );
        assert_eq!(
            err("[run]\nworkers = [1, 2]\n"),
            "batchimp.toml:2: --workers takes one value, not a list"
        );
        assert_eq!(
            err("workers = 4\n"),
            "batchimp.toml:1: \"workers\" is an option of run: put it in [run]"
        );
        assert_eq!(
            err("[report]\njson = true\n"),
            "batchimp.toml:1: unknown table [report] (only [run] can be configured for now)"
        );
        assert_eq!(
            err("[run]\ninputs = [\"a\"]\n"),
            "batchimp.toml:2: unknown option \"inputs\" for run (inputs are given on the command line)"
        );
        assert_eq!(
            err("[run]\nconfig = \"x.toml\"\n"),
            "batchimp.toml:2: unknown option \"config\" for run (see batchimp run --help)"
        );
        assert!(err("[run]\nworkers = \n").starts_with("batchimp.toml:2: "));
    }

    #[test]
    fn urls_never_show_a_password() {
        assert_eq!(
            shown_value("postgres://me:secret@db.example/imports"),
            "postgres://me@db.example/imports"
        );
        assert_eq!(shown_value("imports.db"), "imports.db");
    }
}
