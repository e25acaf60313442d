//! One module per subcommand, each a thin use of the pipeline, sinks and report. Errors become
//! exit codes here and only here.

pub mod config;
pub mod export;
pub mod get;
pub mod list;
pub mod prune;
pub mod reparse;
pub mod report;
pub mod resume;
pub mod run;
pub mod stats;
pub mod template;

use crate::cli::{self, Command};
use crate::config_file::{self, Invocation};
use anyhow::Result;
use std::io::Write;
use std::process::ExitCode;

/// Exit codes, a public interface: scripts branch on them.
pub const EXIT_OK: u8 = 0;
/// Some files failed; everything else was committed.
pub const EXIT_FILES_FAILED: u8 = 1;
/// Usage or fatal error.
pub const EXIT_FATAL: u8 = 2;

/// The whole program: parse arguments, dispatch, map errors to exit codes.
pub fn main() -> ExitCode {
    // A child process reading one PDF for a batch (format::pdf::child), before anything else.
    if let Some(code) = crate::format::pdf::child::serve_if_asked() {
        return code;
    }
    quiet_worker_panics();
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if argv.len() == 1 {
        // Bare `batchimp`: what to type, in a few lines, not the whole help (a usage error).
        eprint!("{SHORT_USAGE}");
        return ExitCode::from(EXIT_FATAL);
    }
    let invocation = match config_file::parse(argv) {
        Ok(invocation) => invocation,
        // Usage errors and --help: clap prints them and exits (2, or 0 for help).
        Err(e) => match e.downcast::<clap::Error>() {
            Ok(usage) => {
                if let Some(tip) = run_instead(&usage) {
                    eprint!("{tip}");
                    return ExitCode::from(EXIT_FATAL);
                }
                usage.exit()
            }
            Err(e) => {
                eprintln!("batchimp: {}", crate::printable::escape(&format!("{e:#}")));
                return ExitCode::from(EXIT_FATAL);
            }
        },
    };
    match dispatch(invocation) {
        Ok(code) => ExitCode::from(code),
        Err(e) if is_broken_pipe(&e) => ExitCode::from(EXIT_OK),
        Err(e) => {
            eprintln!("batchimp: {}", crate::printable::escape(&format!("{e:#}")));
            ExitCode::from(EXIT_FATAL)
        }
    }
}

/// What bare `batchimp` prints.
const SHORT_USAGE: &str = "\
Usage: batchimp <COMMAND> [OPTIONS]

  batchimp run inbox/             import a folder, ZIP or file as one batch
  batchimp report latest          what happened to every file of the last batch
  batchimp list                   the batches, newest first

More: batchimp --help, batchimp run -h, batchimp man run
";

/// `batchimp fixtures/`: the "subcommand" is a file or folder, so what was meant is `run`.
/// The message saying so (clap's own is "unrecognized subcommand").
fn run_instead(usage: &clap::Error) -> Option<String> {
    if usage.kind() != clap::error::ErrorKind::InvalidSubcommand {
        return None;
    }
    let clap::error::ContextValue::String(input) =
        usage.get(clap::error::ContextKind::InvalidSubcommand)?
    else {
        return None;
    };
    std::fs::symlink_metadata(input).ok()?;
    let input = crate::printable::escape(input);
    Some(format!(
        "error: {input:?} is not a command, but it is a file or folder there: to import it, run\n\n  batchimp run {input}\n\nFor more information, try 'batchimp --help'.\n"
    ))
}

fn dispatch(invocation: Invocation) -> Result<u8> {
    match invocation.cli.command {
        Command::Run(args) => run::run(args),
        Command::Resume(args) => resume::resume(args),
        Command::Retry(args) => resume::retry(args),
        Command::Report(args) => report::report(args),
        Command::List(args) => list::list(args),
        Command::Stats(args) => stats::stats(args),
        Command::Prune(args) => prune::prune(args),
        Command::Get(args) => get::get(args),
        Command::Export(args) => export::export(args),
        Command::Reparse(args) => reparse::reparse(args),
        Command::Config(args) => config::config(&args, &invocation.settings),
        Command::Template(args) => template::template(args),
        Command::Man { subcommand } => {
            let mut cmd = cli::command();
            cmd.build();
            let sections = crate::cli::man_sections(subcommand.as_deref());
            let page = match subcommand {
                None => cmd,
                Some(name) => {
                    let Some(sub) = cmd.find_subcommand(&name) else {
                        anyhow::bail!("no subcommand {name:?} (see batchimp --help)");
                    };
                    let full = format!("batchimp-{name}");
                    sub.clone()
                        .name(full.clone())
                        .display_name(full)
                        .bin_name(format!("batchimp {name}"))
                }
            };
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(page).render(&mut out)?;
            out.write_all(sections.as_bytes())?;
            Ok(EXIT_OK)
        }
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut cli::command(),
                "batchimp",
                &mut std::io::stdout(),
            );
            Ok(EXIT_OK)
        }
    }
}

/// A panic in a worker or a catalog's reader is caught and recorded as the file's error
/// (`internal_error`; `xlsx_corrupt` when the spreadsheet reader gave up); printing it too would
/// tear the progress bar. Panics anywhere else still print.
fn quiet_worker_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let worker = std::thread::current()
            .name()
            .is_some_and(|n| n.starts_with("batchimp-worker") || n == "batchimp-catalog");
        if !worker {
            default(info);
        }
    }));
}

/// `batchimp report --json | head` ends quietly. serde_json keeps the write's error inside its
/// own (its `source` skips it), so it is asked for the kind too.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    let broken = Some(std::io::ErrorKind::BrokenPipe);
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().map(std::io::Error::kind) == broken
            || c.downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == broken
    })
}
