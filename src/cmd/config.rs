//! `batchimp config`: what `run` would use for each option and why, so a surprising default
//! (a `batchimp.toml` two people edit, a `BATCHIMP_DB` left in a shell) is found in one look.

use super::EXIT_OK;
use crate::cli::ConfigArgs;
use crate::config_file::{DEFAULT_PATH, Resolved, Settings, Source};
use crate::printable::escape;
use anyhow::Result;
use serde::Serialize;
use serde_json::{Value, json};
use std::io::Write;

pub fn config(args: &ConfigArgs, settings: &Settings) -> Result<u8> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &to_json(settings))?;
        writeln!(out)?;
    } else {
        // On stderr: stdout is the table, one option a line, for grep and cut.
        match &settings.file {
            Some(file) => eprintln!("batchimp: config file {}", escape(file)),
            None => {
                eprintln!("batchimp: no config file ({DEFAULT_PATH} is not in the working folder)")
            }
        }
        write_table(&mut out, &settings.options)?;
    }
    out.flush()?;
    Ok(EXIT_OK)
}

/// One line an option: name, value, source, in aligned columns.
fn write_table(out: &mut dyn Write, options: &[Resolved]) -> Result<()> {
    let rows: Vec<(&str, String, String)> = options
        .iter()
        .map(|o| {
            (
                o.option.as_str(),
                escape(&value_text(o)).into_owned(),
                escape(&o.source.to_string()).into_owned(),
            )
        })
        .collect();
    let name_width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let value_width = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
    for (name, value, source) in rows {
        writeln!(out, "{name:name_width$}  {value:value_width$}  {source}")?;
    }
    Ok(())
}

/// A value as a person reads it: a list comma-separated, `(not set)` when there is none.
fn value_text(o: &Resolved) -> String {
    match (o.values.as_slice(), o.list) {
        ([], false) => "(not set)".into(),
        ([], true) => "(none)".into(),
        (values, _) => values.join(", "),
    }
}

/// One option in `--json`: `source` is `flag`, `env` (with `env`, the variable), `file` (with
/// `file` and `line`) or `default`; `value` a string, a list for options that take several, or
/// null when not set.
#[derive(Serialize)]
struct OptionJson<'a> {
    option: &'a str,
    value: Value,
    source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    env: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
}

#[derive(Serialize)]
struct ConfigJson<'a> {
    /// The config file read; null when there was none.
    config_file: Option<&'a str>,
    options: Vec<OptionJson<'a>>,
}

fn to_json(settings: &Settings) -> ConfigJson<'_> {
    let options: Vec<OptionJson> = settings
        .options
        .iter()
        .map(|o| {
            let value = match (o.list, o.values.first()) {
                (true, _) => json!(o.values),
                (false, Some(v)) => json!(v),
                (false, None) => Value::Null,
            };
            let mut entry = OptionJson {
                option: &o.option,
                value,
                source: "default",
                env: None,
                file: None,
                line: None,
            };
            match &o.source {
                Source::Flag => entry.source = "flag",
                Source::Env(name) => {
                    entry.source = "env";
                    entry.env = Some(name);
                }
                Source::File { path, line } => {
                    entry.source = "file";
                    entry.file = Some(path);
                    entry.line = Some(*line);
                }
                Source::Default => {}
            }
            entry
        })
        .collect();
    ConfigJson {
        config_file: settings.file.as_deref(),
        options,
    }
}
