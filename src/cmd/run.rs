//! `batchimp run` (a new batch, or `--resume` an unfinished one), and the execution shared with
//! `resume` and `retry`: open the batch, run the pipeline, close it, write the report.

use super::{EXIT_FILES_FAILED, EXIT_OK};
use crate::cli::RunArgs;
use crate::config::{self, BatchOptions, ExecConfig, ReportDest};
use crate::interrupt::{self, EXIT_INTERRUPTED};
use crate::ledger::BatchStart;
use crate::ledger::Ledger;
use crate::ledger::sql::Conn;
use crate::ledger::{BatchInfo, BatchStatus, Notification, RowCounts, Status, Totals};
use crate::new_file::NewFile;
use crate::notify::{Notifier, Summary};
use crate::pipeline::{self, Ended, Plan, Recording};
use crate::printable::escape;
use crate::progress::Progress;
use crate::report::{self, counted};
use crate::sink::{self, Sink, Target};
use crate::source::Filter;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::PathBuf;

pub fn run(args: RunArgs) -> Result<u8> {
    config::check_inputs(&args.inputs)?;
    let mut exec = ExecConfig::new(&args.exec)?;
    exec.dry_run = args.dry_run;
    crate::log::init(&exec.log)?;
    let options = BatchOptions::from_args(&args.batch);
    let start = BatchStart {
        inputs: args
            .inputs
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        workers: exec.workers,
        options: options.to_json(),
        report: exec.report.to_column()?,
        token: BatchStart::token(),
    };
    let plan = config::plan(args.inputs, &options, &exec)?;
    if exec.dry_run {
        // A database in memory: a copy of the SQLite file, or empty. Nothing is locked,
        // written or created where --db points.
        let copy_of = match &exec.target {
            Target::Sqlite(path) => Some(path.as_path()),
            Target::Postgres(_) => {
                eprintln!(
                    "batchimp: dry run: PostgreSQL is not contacted; duplicates are found within these inputs only"
                );
                None
            }
        };
        check_report(&exec)?;
        let mut sink = crate::sink::sqlite::Sqlite::in_memory(copy_of)?;
        let batch = Ledger::of(&mut sink).start_batch(&start)?;
        return execute(&exec, &plan, &mut sink, batch, &Filter::All);
    }
    if let Some(group) = &args.group {
        check_report(&exec)?;
        return run_group(&exec, &plan, &start, group, args.lease);
    }
    let _lock = exec
        .target
        .lock_writer(exec.no_wait, &|m| eprintln!("{m}"))?;
    let mut sink = exec.target.open()?;
    // After the database opened (its own error comes first), before a batch is started.
    check_report(&exec)?;
    if args.resume {
        let cwd = std::env::current_dir()?.display().to_string();
        if let Some(batch) = sink.ledger().find_unfinished(&start, &cwd)? {
            if !exec.quiet {
                eprintln!("batchimp: resuming batch {batch}");
            }
            let mut exec = exec.clone();
            if let Some(info) = sink.ledger().batch(batch)?.filter(|_| !exec.report_asked) {
                exec.report = ReportDest::from_column(info.report.as_deref());
                check_report(&exec)?;
            }
            // Reopened before its ledger is read: see `Ledger::reopen_batch`.
            sink.ledger().reopen_batch(batch)?;
            let filter = Filter::Except {
                recorded: sink.ledger().recorded_origins(Some(batch), args.verify)?,
                verify: args.verify,
            };
            return execute(&exec, &plan, sink.as_mut(), batch, &filter);
        }
    }
    // Files recorded before and unchanged are left alone (a cron job over an inbox that
    // does not change), unless --recheck.
    let filter = if args.recheck {
        Filter::All
    } else {
        Filter::Unseen {
            seen: sink.ledger().recorded_origins(None, false)?,
            skipped: Default::default(),
        }
    };
    let batch = sink::retrying(sink.as_mut(), plan.db_retry(), "start a batch", |s| {
        s.ledger().start_batch(&start)
    })?;
    execute(&exec, &plan, sink.as_mut(), batch, &filter)
}

/// `run --group NAME` (and `resume --group NAME`): join the group (creating it and its batch
/// when it is new), take chunks of its files until every chunk of the group is committed, and
/// say what this member did. The exit status is this member's: 1 when a file it recorded
/// failed; `report --group` gives the group's.
pub fn run_group(
    exec: &ExecConfig,
    plan: &Plan,
    start: &BatchStart,
    name: &str,
    lease: std::time::Duration,
) -> Result<u8> {
    let Target::Postgres(pg) = &exec.target else {
        anyhow::bail!(
            "--group needs a PostgreSQL database (--db postgres://...): a group is several processes, on one machine or many, loading into one server; a SQLite file has one writer at a time"
        );
    };
    if plan.max_errors.is_some() {
        anyhow::bail!(
            "--max-errors and --fail-fast stop one process, not a group; gate on `batchimp report --group {name}` instead"
        );
    }
    let listing = crate::group::listing(&plan.inputs, plan.walk.clone());
    let mut sink = crate::sink::postgres::Postgres::open(pg, true)?;
    let mut group = crate::group::Group::connect(pg, name, lease, plan.db_retry_for)?;
    let retry = plan.db_retry();
    let joined = group.join(&listing, &mut || {
        sink::retrying(&mut sink, retry, "start a batch", |s| {
            Ledger::of(s).start_batch(start)
        })
    })?;
    use crate::group::Joined;
    if let Joined::Joined(batch) = joined {
        let info = Ledger::of(&mut sink)
            .batch(batch)?
            .context("the group's batch vanished from the ledger")?;
        check_same_options(name, &info, start)?;
        group.spell_like(&plan.inputs, &info.inputs);
    }
    let batch = match joined {
        Joined::Finished(batch) => return close_finished_group(exec, &mut sink, name, batch),
        Joined::Created(batch) => {
            eprintln!(
                "batchimp: group {name}: batch {batch} started as member {} ({} files in {} chunks)",
                group.member, listing.jobs, group.chunks
            );
            batch
        }
        Joined::Joined(batch) => {
            Ledger::of(&mut sink).reopen_batch(batch)?;
            eprintln!(
                "batchimp: group {name}: member {} joins batch {batch}",
                group.member
            );
            batch
        }
    };
    interrupt::install();
    let progress = Progress::new(exec.progress);
    let recording = Recording::Member(&mut sink, &group);
    let result = pipeline::run(plan, &Filter::All, recording, batch, &progress);
    progress.finish();
    let mine = progress.counts();
    let rejoin = format!("run the same command again to rejoin group {name}");
    match result {
        Err(e) => {
            let _ = group.release();
            return Err(e.context(format!(
                "member {} of group {name} stopped; its unfinished chunks go back to the group; {rejoin}",
                group.member
            )));
        }
        Ok(Ended::Cancelled) => {
            let _ = group.release();
            eprintln!(
                "batchimp: member {} left group {name} (batch {batch}) after {} files; the other members go on; {rejoin}",
                group.member,
                mine.files()
            );
            return Ok(EXIT_INTERRUPTED);
        }
        Ok(_) => {}
    }
    // Every chunk is committed: one member closes the batch, writes the report and notifies.
    let (info, report_path) = if group.finish()? {
        close_batch(exec, &mut sink, batch, BatchStatus::Completed)?
    } else {
        let info = Ledger::of(&mut sink)
            .batch(batch)?
            .context("the batch vanished from the ledger")?;
        (info, None)
    };
    let member = format!(
        "this member ({}): {} files, {} imported, {} duplicate, {} failed, {} unsupported; {} database round trips to coordinate",
        group.member,
        mine.files(),
        mine.imported,
        mine.duplicate,
        mine.failed,
        mine.unsupported,
        group.round_trips.load(std::sync::atomic::Ordering::Relaxed)
    );
    say_group_completed(
        exec,
        &info,
        report_path.as_ref(),
        name,
        Some(&member),
        mine.failed == 0,
    );
    Ok(if mine.failed > 0 {
        EXIT_FILES_FAILED
    } else {
        EXIT_OK
    })
}

/// A member joins a group only with the options the group's batch was started with, where
/// they change what lands: otherwise the same inputs would land differently depending on which
/// member took which chunk.
fn check_same_options(name: &str, info: &BatchInfo, start: &BatchStart) -> Result<()> {
    let (Ok(group), Ok(mine)) = (
        BatchOptions::from_json(&info.options),
        BatchOptions::from_json(&start.options),
    ) else {
        anyhow::bail!(
            "group {name}'s batch {} was started by another batchimp version; name another group",
            info.batch_id
        );
    };
    if let Some((flag, mine, group)) = mine.first_difference(&group) {
        anyhow::bail!(
            "this member's {flag} is {mine:?} but group {name} loads with {group:?}; every member of a group must be given the same import options (or name another group)"
        );
    }
    Ok(())
}

/// A member (or `resume --group`) found group `name` finished: every chunk is committed. Its
/// batch is normally closed by the member that finished it; when that member was killed
/// before it could, the batch is still `running`, and is closed here (report and webhook
/// included). Otherwise there is nothing to do.
pub(super) fn close_finished_group(
    exec: &ExecConfig,
    sink: &mut dyn Sink,
    name: &str,
    batch: i64,
) -> Result<u8> {
    let info = sink
        .ledger()
        .batch(batch)?
        .context("the group's batch vanished from the ledger")?;
    if info.status != BatchStatus::Running.as_str() {
        eprintln!(
            "batchimp: group {name} finished already (batch {batch}); nothing to do (see batchimp report --group {name})"
        );
        return Ok(EXIT_OK);
    }
    eprintln!(
        "batchimp: group {name}: every file is recorded but batch {batch} was left open (the member closing it stopped); closing it"
    );
    let (info, report_path) = close_batch(exec, sink, batch, BatchStatus::Completed)?;
    say_group_completed(
        exec,
        &info,
        report_path.as_ref(),
        name,
        None,
        info.failed == 0,
    );
    Ok(exit_status(&info))
}

/// Say that group `name`'s batch completed: the batch's summary line, then `member` (what this
/// member did) when there is one. `quiet_ok`: nothing needs a look, so `-q` prints nothing.
fn say_group_completed(
    exec: &ExecConfig,
    info: &BatchInfo,
    report: Option<&PathBuf>,
    name: &str,
    member: Option<&str>,
    quiet_ok: bool,
) {
    let mut line = summary_line(info, None, report, &format!("group {name}: "));
    if let Some(member) = member {
        line = format!("{line}; {member}");
    }
    say_end(exec, info, BatchStatus::Completed, &line, report, quiet_ok);
}

/// Run the pipeline over `filter`'s share of the plan into `batch`, close the batch, notify the
/// webhook, write its report and say how it went. The exit status: 0, 1 (some files failed or
/// rows were rejected), 130 (interrupted); `Err` (exit 2) when the database failed. The
/// webhook never changes it.
pub fn execute(
    exec: &ExecConfig,
    plan: &Plan,
    sink: &mut dyn Sink,
    batch: i64,
    filter: &Filter,
) -> Result<u8> {
    let was_complete = sink
        .ledger()
        .batch(batch)?
        .is_some_and(|b| b.status == BatchStatus::Completed.as_str());
    interrupt::install();
    if let Some(info) = sink.ledger().batch(batch)? {
        tracing::info!(
            event = "batch_started",
            batch_id = batch,
            inputs = %info.inputs.join(" "),
            workers = exec.workers,
            dry_run = exec.dry_run,
            "batch {batch} started: {}",
            info.inputs.join(" ")
        );
    }
    let progress = Progress::new(exec.progress);
    let result = pipeline::run(plan, filter, Recording::Alone(sink), batch, &progress);
    progress.finish();
    let status = match &result {
        Ok(Ended::Completed) => BatchStatus::Completed,
        Ok(Ended::Cancelled) => BatchStatus::Cancelled,
        Ok(Ended::Stopped) => BatchStatus::Stopped,
        Err(_) => BatchStatus::Failed,
    };
    let resume_hint = format!("batchimp resume {batch} --db {}", exec.target.display());
    if let Err(e) = result {
        // Best effort: the ledger is already true (nothing uncommitted is recorded), this only
        // labels the batch. A full disk may refuse even that; resume works either way.
        let _ = sink.abandon();
        let _ = sink.ledger().finish_batch(batch, status);
        let e = e.context(format!(
            "batch {batch} stopped; files committed so far are in the ledger; once the cause is fixed, finish it with: {resume_hint}"
        ));
        if let Some(notifier) = exec.notify.as_ref().filter(|_| !exec.dry_run) {
            notify_failed(notifier, sink, batch, plan, &progress, &e);
        }
        return Err(e);
    }
    let seen = filter.seen();
    if seen > 0 {
        if progress.counts().files() == 0 && status == BatchStatus::Completed {
            return nothing_new(exec, sink, batch, seen);
        }
        sink.ledger().set_seen(batch, seen)?;
    }
    let untouched =
        was_complete && status == BatchStatus::Completed && progress.counts().files() == 0;
    if untouched && !exec.report_asked {
        // Resuming a complete batch found every file recorded: its ledger and report stand.
        let info = sink
            .ledger()
            .batch(batch)?
            .context("the batch vanished from the ledger")?;
        eprintln!("batchimp: batch {batch} is complete; nothing to do");
        eprintln!("{}", escape(&summary_line(&info, None, None, "")));
        return Ok(exit_status(&info));
    }
    let (info, report_path) = close_batch(exec, sink, batch, status)?;
    let what = if exec.dry_run {
        "dry run, nothing written: "
    } else {
        ""
    };
    let rows = sink.ledger().totals(batch)?.rows;
    let line = summary_line(&info, Some(&rows), report_path.as_ref(), what);
    let quiet_ok = exit_status(&info) == EXIT_OK && status == BatchStatus::Completed;
    say_end(exec, &info, status, &line, report_path.as_ref(), quiet_ok);
    if status == BatchStatus::Cancelled {
        eprintln!("batchimp: batch {batch} interrupted; finish it with: {resume_hint}");
        return Ok(EXIT_INTERRUPTED);
    }
    if status == BatchStatus::Stopped {
        let option = match exec.max_errors {
            _ if exec.fail_fast => "--fail-fast".to_owned(),
            Some(n) => format!("--max-errors {n}"),
            None => "--max-errors".to_owned(),
        };
        eprintln!(
            "batchimp: batch {batch} stopped after {} ({option}); finish it with: {resume_hint}",
            counted(info.failed, "failed file")
        );
        return Ok(EXIT_FILES_FAILED);
    }
    Ok(exit_status(&info))
}

/// A new batch found only files recorded before, unchanged: it is removed again (the ledger,
/// and the database, stay as they were), no report is written and nobody is notified; one
/// line says so (none under `-q`: nothing needs a look), and the exit status is 0 — a
/// failure reported before is not reported again.
fn nothing_new(exec: &ExecConfig, sink: &mut dyn Sink, batch: i64, seen: u64) -> Result<u8> {
    sink.ledger().forget_batch(batch)?;
    let line = format!(
        "batchimp: nothing new: 0 files, {seen} seen (recorded before, unchanged; --recheck reads them again)"
    );
    tracing::info!(
        event = "batch_completed",
        batch_id = batch,
        status = "unchanged",
        files = 0,
        seen,
        "{}",
        line.trim_start_matches("batchimp: ")
    );
    if exec.log.plain_summary() && !exec.quiet {
        eprintln!("{line}");
    }
    Ok(EXIT_OK)
}

/// Close the batch with `status`, notify the webhook and write the report: the batch as the
/// ledger has it, and the report's path (`None` for stdout).
fn close_batch(
    exec: &ExecConfig,
    sink: &mut dyn Sink,
    batch: i64,
    status: BatchStatus,
) -> Result<(BatchInfo, Option<PathBuf>)> {
    sink.abandon()?;
    sink.ledger().finish_batch(batch, status)?;
    let mut info = sink
        .ledger()
        .batch(batch)?
        .context("the batch vanished from the ledger")?;
    // The report's file is created before the webhook is called, so that the summary can name
    // it, and written after, so that it can say what came of the webhook.
    let out = open_report(exec, &info);
    if let Some(notifier) = exec.notify.as_ref().filter(|_| !exec.dry_run) {
        let mut totals = sink.ledger().totals(batch)?;
        totals.seen = info.seen;
        let mut summary = Summary::new(&info, &totals);
        summary.report = match &out {
            Ok(ReportOut::File(path, _)) => Some(
                std::path::absolute(path)
                    .unwrap_or_else(|_| path.clone())
                    .display()
                    .to_string(),
            ),
            _ => None,
        };
        let notification = notify(notifier, &summary);
        if let Err(e) = sink.ledger().set_notification(batch, &notification) {
            eprintln!("batchimp: warning: cannot record the notification in the ledger: {e:#}");
        }
        info.notification = Some(notification);
    }
    let report_path = write_report(out?, sink, &info)?;
    Ok((info, report_path))
}

/// The batch's last log event: `batch_completed`, `batch_cancelled` or `batch_stopped`, with
/// its counts. Its level, for telling whether it was printed.
fn log_end(
    info: &BatchInfo,
    status: BatchStatus,
    line: &str,
    report: Option<&PathBuf>,
) -> tracing::Level {
    let message = line.trim_start_matches("batchimp: ");
    let report = report.map(|p| p.display().to_string());
    macro_rules! end {
        ($level:ident, $event:literal) => {
            tracing::$level!(
                event = $event,
                batch_id = info.batch_id,
                status = info.status.as_str(),
                files = info.files,
                imported = info.imported,
                duplicate = info.duplicate,
                failed = info.failed,
                unsupported = info.unsupported,
                rows_rejected = info.rows_rejected,
                seconds = info.processing_time_seconds,
                report,
                "{message}"
            )
        };
    }
    match status {
        BatchStatus::Cancelled => end!(warn, "batch_cancelled"),
        BatchStatus::Stopped => end!(warn, "batch_stopped"),
        _ => end!(info, "batch_completed"),
    }
    match status {
        BatchStatus::Cancelled | BatchStatus::Stopped => tracing::Level::WARN,
        _ => tracing::Level::INFO,
    }
}

/// Log the batch's end and print its summary `line`, once: not again when that log event
/// (`-v`, or a warning: stopped, cancelled) printed it on stderr already. cron-friendly: under
/// `-q` nothing is printed when `quiet_ok` (nothing needs a look).
fn say_end(
    exec: &ExecConfig,
    info: &BatchInfo,
    status: BatchStatus,
    line: &str,
    report: Option<&PathBuf>,
    quiet_ok: bool,
) {
    let logged = log_end(info, status, line, report);
    if exec.log.plain_summary() && !(exec.quiet && quiet_ok) && !exec.log.text_on_stderr(logged) {
        eprintln!("{}", escape(line));
    }
}

/// 1 when a file failed or a row (a catalog's, a SAT metadata line) was rejected: something
/// needs a look.
fn exit_status(info: &BatchInfo) -> u8 {
    if info.failed > 0 || info.rows_rejected > 0 {
        EXIT_FILES_FAILED
    } else {
        EXIT_OK
    }
}

/// `batchimp: batch 3 completed: ...`, `what` said before `batch` (`dry run, nothing
/// written: `, `group NAME: `).
/// `rows`: the batch's rows (catalogs', SAT metadata lines), said when a file of rows was read
/// (`None`: not said).
fn summary_line(
    info: &BatchInfo,
    rows: Option<&RowCounts>,
    report: Option<&PathBuf>,
    what: &str,
) -> String {
    let seconds = info.processing_time_seconds.unwrap_or(0.0);
    let rate = if seconds > 0.0 {
        info.files as f64 / seconds
    } else {
        0.0
    };
    let seen = match info.seen {
        0 => String::new(),
        n => format!(", {n} seen"),
    };
    let mut line = format!(
        "batchimp: {what}batch {} {}: {}, {} imported, {} duplicate, {} failed, {} unsupported{seen} in {seconds:.2} s ({rate:.0} files/s)",
        info.batch_id,
        info.status,
        counted(info.files, "file"),
        info.imported,
        info.duplicate,
        info.failed,
        info.unsupported
    );
    if let Some(r) = rows.filter(|r| r.rows > 0) {
        line.push_str(&format!(
            "; rows: {} created, {} updated, {} unchanged",
            r.rows_created, r.rows_updated, r.rows_unchanged
        ));
        if r.rows_duplicate_in_file > 0 {
            line.push_str(&format!(", {} duplicate in file", r.rows_duplicate_in_file));
        }
    }
    if info.rows_rejected > 0 {
        let rejected = counted(info.rows_rejected, "row");
        line.push_str(&format!("; {rejected} rejected"));
    }
    if let Some(path) = report {
        line.push_str(&format!("; report: {}", path.display()));
    }
    line
}

/// POST the summary (retrying as [`Notifier::send`] does), warn when it was not delivered.
fn notify(notifier: &Notifier, summary: &Summary) -> Notification {
    let notification = notifier.send(summary);
    if notification.delivered {
        tracing::info!(
            event = "notification_sent",
            batch_id = summary.batch_id,
            url = notification.url.as_str(),
            attempts = notification.attempts,
            "notification to {}",
            notification.describe()
        );
    } else {
        tracing::warn!(
            event = "notification_failed",
            batch_id = summary.batch_id,
            url = notification.url.as_str(),
            attempts = notification.attempts,
            error = notification.error.as_deref(),
            "warning: notification to {}",
            notification.describe()
        );
    }
    notification
}

/// Tell the webhook that the batch stopped on `error`, from the ledger when it can still be read,
/// else from what this run counted. Best effort all along: the database may be what failed.
fn notify_failed(
    notifier: &Notifier,
    sink: &mut dyn Sink,
    batch: i64,
    plan: &Plan,
    progress: &Progress,
    error: &anyhow::Error,
) {
    let message = format!("{error:#}");
    let info = sink.ledger().batch(batch).ok().flatten();
    let totals = info.as_ref().and_then(|_| sink.ledger().totals(batch).ok());
    let inputs: Vec<String> = plan
        .inputs
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let notification = match (&info, &totals) {
        (Some(info), Some(totals)) => {
            let mut summary = Summary::new(info, totals);
            summary.error = Some(message);
            notify(notifier, &summary)
        }
        _ => {
            let counts = progress.counts();
            let mut totals = Totals::new();
            for s in Status::ALL {
                totals
                    .by_status
                    .insert(s.as_str().to_owned(), counts.get(s));
            }
            totals.files = counts.files();
            let summary = Summary {
                batch_id: batch,
                status: BatchStatus::Failed.as_str(),
                started_at: None,
                finished_at: None,
                processing_time_seconds: None,
                inputs: &inputs,
                totals: &totals,
                report: None,
                error: Some(message),
            };
            notify(notifier, &summary)
        }
    };
    let _ = sink.ledger().set_notification(batch, &notification);
}

/// The report's destination, opened: a file created (its path can be named before it is
/// written), stdout, or nowhere (`--no-report`).
enum ReportOut {
    Stdout,
    File(PathBuf, NewFile),
    None,
}

/// Find a report that cannot be written before the batch starts, not once it has run: its
/// file is created where it will go, and removed again. (A default report's name holds the
/// batch id, not known yet: the folder is what is checked.) A device or a pipe the user
/// named is left alone: opening a FIFO would wait for its reader, and closing it would end
/// what the reader gets.
pub fn check_report(exec: &ExecConfig) -> Result<()> {
    let path = match &exec.report {
        ReportDest::Stdout | ReportDest::None => return Ok(()),
        ReportDest::File(p) => p.clone(),
        ReportDest::Default => exec
            .target
            .default_report(Some(0).filter(|_| !exec.dry_run)),
    };
    if crate::new_file::is_device(&path) {
        return Ok(());
    }
    NewFile::create(&path)
        .map(drop)
        .with_context(|| format!("cannot write report {}", path.display()))
}

/// Create the report's file where the user asked (nothing to do for stdout): a temporary file
/// beside it, renamed over it once written (a link planted there is replaced, not followed).
fn open_report(exec: &ExecConfig, info: &BatchInfo) -> Result<ReportOut> {
    let path = match &exec.report {
        ReportDest::Stdout => return Ok(ReportOut::Stdout),
        ReportDest::None => return Ok(ReportOut::None),
        ReportDest::File(p) => p.clone(),
        ReportDest::Default => exec
            .target
            .default_report(Some(info.batch_id).filter(|_| !exec.dry_run)),
    };
    let file = NewFile::create(&path)
        .with_context(|| format!("cannot write report {}", path.display()))?;
    Ok(ReportOut::File(path, file))
}

/// Write the JSON report; the path written, `None` for stdout.
fn write_report(out: ReportOut, sink: &mut dyn Conn, info: &BatchInfo) -> Result<Option<PathBuf>> {
    let (path, file) = match out {
        ReportOut::None => return Ok(None),
        ReportOut::Stdout => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            report::write_json(&mut out, sink, info, None)?;
            out.flush()?;
            return Ok(None);
        }
        ReportOut::File(path, file) => (path, file),
    };
    let mut file = file;
    let cannot = || format!("cannot write report {}", path.display());
    let mut out = std::io::BufWriter::new(file.file());
    report::write_json(&mut out, sink, info, None).with_context(cannot)?;
    out.flush().with_context(cannot)?;
    drop(out);
    file.commit().with_context(cannot)?;
    Ok(Some(path))
}
