# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_batchimp_global_optspecs
    string join \n color= config= h/help V/version
end

function __fish_batchimp_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_batchimp_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_batchimp_using_subcommand
    set -l cmd (__fish_batchimp_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c batchimp -n "__fish_batchimp_needs_command" -l color -d 'Color: auto, always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c batchimp -n "__fish_batchimp_needs_command" -l config -d 'Defaults for run\'s options from this TOML file instead of ./batchimp.toml' -r -F
complete -c batchimp -n "__fish_batchimp_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c batchimp -n "__fish_batchimp_needs_command" -s V -l version -d 'Print version'
complete -c batchimp -n "__fish_batchimp_needs_command" -f -a "run" -d 'Import files, folders and ZIP archives as one batch'
complete -c batchimp -n "__fish_batchimp_needs_command" -f -a "resume" -d 'Finish an interrupted batch: files already committed are skipped, the rest imported'
complete -c batchimp -n "__fish_batchimp_needs_command" -f -a "report" -d 'Show what happened to every file of a batch'
complete -c batchimp -n "__fish_batchimp_needs_command" -f -a "list" -d 'List batches, newest first: `list --status failed --since 7d --limit 20`'
complete -c batchimp -n "__fish_batchimp_needs_command" -f -a "stats" -d 'Totals across batches: files by kind, status and error type, files/s per batch, and the most frequent failures with an example file each'
complete -c batchimp -n "__fish_batchimp_needs_command" -f -a "prune" -d 'Remove old batches from the ledger (`batches`, their `files` and `rejected_rows`), never imported data: `prune --older-than 30d`'
complete -c batchimp -n "__fish_batchimp_needs_command" -f -a "get" -d 'Write an archived original, byte for byte, to a file or stdout: `get 35240612345678000190550010000012341000012345 -o nfe.xml`'
complete -c batchimp -n "__fish_batchimp_needs_command" -f -a "export" -d 'Write a ZIP of archived originals, chosen by kind, batch and start time, what an accountant sends an auditor: `export --kind nfe --since 2026-01-01 -o 2026.zip`'
complete -c batchimp -n "__fish_batchimp_needs_command" -f -a "reparse" -d 'Read the archived originals again with this version\'s parsers and rewrite their documents\' rows in place (new columns filled, corrected values), without the source files: `reparse --kind nfe`'
complete -c batchimp -n "__fish_batchimp_needs_command" -f -a "retry" -d 'Reprocess only the failed files of a batch (after a fix or a schema change)'
complete -c batchimp -n "__fish_batchimp_needs_command" -f -a "man" -d 'Print the man page, generated from these options: `batchimp man > batchimp.1`, and a subcommand\'s: `batchimp man run > batchimp-run.1`'
complete -c batchimp -n "__fish_batchimp_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c batchimp -n "__fish_batchimp_needs_command" -f -a "template" -d 'Print a ready-to-fill file that batchimp imports: `template catalog > produtos.csv`'
complete -c batchimp -n "__fish_batchimp_needs_command" -f -a "config" -d 'Show every option of run, its value and where it comes from: a flag, an environment variable, the config file (batchimp.toml, or --config FILE) or the built-in default'
complete -c batchimp -n "__fish_batchimp_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l group -d 'Load the inputs together with every other `batchimp run --group NAME` on the same inputs and PostgreSQL database, on this machine or others: each process takes chunks of files as it has room, and the database ends as one run would leave it. Join or start the group NAME; run it again to resume it. PostgreSQL only' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l lease -d 'With --group: how long a member\'s claim on a chunk lasts without renewal. A member that dies leaves its chunks to the others this long after' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l sheet -d 'Read catalogs from the workbook sheet with this name (default: the first sheet whose header names a SKU, a name and a price)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l decimal-separator -d 'The decimal separator of catalogs\' numbers written as text (`,` for 1.234,56, `.` for 1,234.56). By default each file\'s numeric columns decide from their values' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l supplier -d 'The supplier catalogs belong to, for files without a supplier_id column (a row whose own supplier_id differs is rejected). Products are keyed by supplier and SKU' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l map -d 'Map a catalog header to a field, e.g. \'Ref. Fornecedor=sku\' (repeatable)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l require -d 'Catalog fields every row must fill besides sku, name and price, comma-separated (e.g. sanitary_certificate): a row without one is rejected (catalog_missing_field), a catalog without such a column fails (catalog_missing_column)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l archive -d 'Which originals to keep, compressed, in the database (the archive `batchimp get` reads): xml keeps the fiscal XML (NF-e and their events, CFDI, Retenciones); all keeps PDFs and pictures too. Catalogs are never kept' -r -f -a "xml\t'NF-e and their events, CFDI and Retenciones'
all\t'PDFs and pictures too'"
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l max-file-size -d 'Largest file or ZIP member to read, uncompressed (e.g. 50MiB, 2GB)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l max-archive-size -d 'Most bytes one ZIP may inflate to, nested ZIPs included (zip_bomb past it)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l file-timeout -d 'Longest one file may take to read and parse (e.g. 60s, 500ms); slower files fail with error_type timeout' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l retries -d 'Retries of a transient error (an interrupted read, a busy database), with exponential backoff and jitter. Parse errors are never retried' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l ocr -d 'When scans and photos are read by OCR: auto, always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l ocr-lang -d 'Tesseract\'s languages for OCR, `+`-separated (see `tesseract --list-langs`)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l on-conflict -d 'A document whose key is stored already with other content: skip, replace or fail' -r -f -a "skip\t'Keep the stored copy; the file is a `duplicate` (`different`). A copy that only adds what the stored one lacks (the protocol of an NF-e first seen unsigned) enriches it'
replace\t'The new copy replaces the stored one, rows of every table included'
fail\t'The file fails with `key_conflict` and writes nothing (enriching still applies)'"
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l db -d 'The database: a SQLite file (created on first use) or a PostgreSQL URL' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l schema -d 'PostgreSQL only: the schema batchimp\'s tables live in, created when missing' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l db-timeout -d 'PostgreSQL only: the longest wait for the server to answer one request once connected (e.g. 10m, 30s; 0 for no limit). A server that stops answering is then a lost connection (see --db-retry-for) instead of a run that hangs. Connecting has its own limit: the URL\'s connect_timeout (default 10 s)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -s j -l workers -d 'Parser threads [default: the number of CPU cores]' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l report -d 'Where to write the JSON report; "-" for stdout' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l log-format -d 'Log lines as text for people, or as JSON objects (timestamp, level, event, batch_id, path, error_type, error) for log collectors' -r -f -a "text\t'`batchimp: ...` lines, for people'
json\t'One JSON object per line, for log collectors'"
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l log-file -d 'Append log lines to this file instead of stderr' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l db-retry-for -d 'How long a lost database connection (a server restarting, a failover, a network cut) is tried again, with pauses of 1, 2, 4 then 5 s, before the batch stops with exit status 2 (`resume` finishes it). Files not committed are redone, never lost or doubled' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l max-errors -d 'Stop taking files after N failed ones; `batchimp resume` finishes the batch' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l notify -d 'When the batch ends (completed, failed or cancelled), POST its summary as JSON to this http(s) URL. Retried on 429, 5xx (not 501, 505), connection errors and timeouts (4 attempts, 1, 2, 4 s apart or as Retry-After says); a webhook that stays down prints a warning and never changes the exit status. User info and query string are never shown or stored' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l notify-timeout -d 'The longest one --notify attempt may take, connecting to reading the answer (e.g. 10s, 500ms)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l notify-ca -d 'Trust the certificate authorities in this PEM file (instead of the public ones) for an https --notify webhook: a webhook behind a private CA' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l color -d 'Color: auto, always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l config -d 'Defaults for run\'s options from this TOML file instead of ./batchimp.toml' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l resume -d 'Finish the latest unfinished batch over these inputs, or start one'
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l verify -d 'With --resume: re-hash files the ledger already holds and redo those whose bytes changed (without it, an unchanged size and modification time is taken as unchanged)'
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l recheck -d 'Read every file again, as if new'
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l dry-run -d 'Read and validate everything, write the report, leave the database untouched'
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l hidden -d 'Also import hidden files and folders (names starting with a dot)'
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l follow-links -d 'Also read links whose target is outside the inputs (files read, folders walked). Without it such a link is recorded as unsupported, naming its target, and not read; links that stay inside the inputs are always followed'
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l allow-invalid-keys -d 'Import NF-e (and events and summaries naming them) whose access key has a wrong check digit, flagged chave_valida = 0, and CFDI and Retenciones whose stamp UUID is not 8-4-4-4-12 hexadecimal digits, flagged uuid_valido = 0'
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l no-archive -d 'Keep no originals in the database (the imported fields only; `batchimp get` then has nothing to give back)'
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l no-report -d 'Write no JSON report (the ledger keeps everything: `batchimp report` shows it later)'
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -s q -l quiet -d 'Print nothing unless something failed (for cron)'
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -s v -l verbose -d 'More log lines: -v each batch step and retry, -vv each file'
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l no-wait -d 'Fail at once if another batchimp is writing to the database, instead of waiting for it'
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -l fail-fast -d 'Stop at the first failed file (--max-errors 1)'
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c batchimp -n "__fish_batchimp_using_subcommand run" -s V -l version -d 'Print version'
complete -c batchimp -n "__fish_batchimp_using_subcommand resume" -l group -d 'The batch of group NAME (see `run --group`). `resume --group` joins the group as a member again; `retry --group` redoes the group\'s failed files in this one process' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand resume" -l db -d 'The database: a SQLite file (created on first use) or a PostgreSQL URL' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand resume" -l schema -d 'PostgreSQL only: the schema batchimp\'s tables live in, created when missing' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand resume" -l db-timeout -d 'PostgreSQL only: the longest wait for the server to answer one request once connected (e.g. 10m, 30s; 0 for no limit). A server that stops answering is then a lost connection (see --db-retry-for) instead of a run that hangs. Connecting has its own limit: the URL\'s connect_timeout (default 10 s)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand resume" -s j -l workers -d 'Parser threads [default: the number of CPU cores]' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand resume" -l report -d 'Where to write the JSON report; "-" for stdout' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand resume" -l log-format -d 'Log lines as text for people, or as JSON objects (timestamp, level, event, batch_id, path, error_type, error) for log collectors' -r -f -a "text\t'`batchimp: ...` lines, for people'
json\t'One JSON object per line, for log collectors'"
complete -c batchimp -n "__fish_batchimp_using_subcommand resume" -l log-file -d 'Append log lines to this file instead of stderr' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand resume" -l db-retry-for -d 'How long a lost database connection (a server restarting, a failover, a network cut) is tried again, with pauses of 1, 2, 4 then 5 s, before the batch stops with exit status 2 (`resume` finishes it). Files not committed are redone, never lost or doubled' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand resume" -l max-errors -d 'Stop taking files after N failed ones; `batchimp resume` finishes the batch' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand resume" -l notify -d 'When the batch ends (completed, failed or cancelled), POST its summary as JSON to this http(s) URL. Retried on 429, 5xx (not 501, 505), connection errors and timeouts (4 attempts, 1, 2, 4 s apart or as Retry-After says); a webhook that stays down prints a warning and never changes the exit status. User info and query string are never shown or stored' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand resume" -l notify-timeout -d 'The longest one --notify attempt may take, connecting to reading the answer (e.g. 10s, 500ms)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand resume" -l notify-ca -d 'Trust the certificate authorities in this PEM file (instead of the public ones) for an https --notify webhook: a webhook behind a private CA' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand resume" -l color -d 'Color: auto, always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c batchimp -n "__fish_batchimp_using_subcommand resume" -l config -d 'Defaults for run\'s options from this TOML file instead of ./batchimp.toml' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand resume" -l verify -d 'Resume only: re-hash files the ledger already holds and redo those whose bytes changed (without it, an unchanged size and modification time is taken as unchanged)'
complete -c batchimp -n "__fish_batchimp_using_subcommand resume" -l no-report -d 'Write no JSON report (the ledger keeps everything: `batchimp report` shows it later)'
complete -c batchimp -n "__fish_batchimp_using_subcommand resume" -s q -l quiet -d 'Print nothing unless something failed (for cron)'
complete -c batchimp -n "__fish_batchimp_using_subcommand resume" -s v -l verbose -d 'More log lines: -v each batch step and retry, -vv each file'
complete -c batchimp -n "__fish_batchimp_using_subcommand resume" -l no-wait -d 'Fail at once if another batchimp is writing to the database, instead of waiting for it'
complete -c batchimp -n "__fish_batchimp_using_subcommand resume" -l fail-fast -d 'Stop at the first failed file (--max-errors 1)'
complete -c batchimp -n "__fish_batchimp_using_subcommand resume" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c batchimp -n "__fish_batchimp_using_subcommand resume" -s V -l version -d 'Print version'
complete -c batchimp -n "__fish_batchimp_using_subcommand report" -l group -d 'Report group NAME\'s load (see `run --group`): its batch, with what each member did. Exits 1 when a file of the group failed' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand report" -l db -d 'The database: a SQLite file (created on first use) or a PostgreSQL URL' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand report" -l schema -d 'PostgreSQL only: the schema batchimp\'s tables live in, created when missing' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand report" -l db-timeout -d 'PostgreSQL only: the longest wait for the server to answer one request once connected (e.g. 10m, 30s; 0 for no limit). A server that stops answering is then a lost connection (see --db-retry-for) instead of a run that hangs. Connecting has its own limit: the URL\'s connect_timeout (default 10 s)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand report" -l html -d 'Write the report as one self-contained web page to FILE ("-" for stdout): counts, failures by error type, per-file parse times, throughput, the slowest files and a filterable table of the failures. It loads nothing from the network' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand report" -l color -d 'Color: auto, always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c batchimp -n "__fish_batchimp_using_subcommand report" -l config -d 'Defaults for run\'s options from this TOML file instead of ./batchimp.toml' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand report" -l json -d 'Print the full JSON report instead of the summary'
complete -c batchimp -n "__fish_batchimp_using_subcommand report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c batchimp -n "__fish_batchimp_using_subcommand report" -s V -l version -d 'Print version'
complete -c batchimp -n "__fish_batchimp_using_subcommand list" -l db -d 'The database: a SQLite file (created on first use) or a PostgreSQL URL' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand list" -l schema -d 'PostgreSQL only: the schema batchimp\'s tables live in, created when missing' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand list" -l db-timeout -d 'PostgreSQL only: the longest wait for the server to answer one request once connected (e.g. 10m, 30s; 0 for no limit). A server that stops answering is then a lost connection (see --db-retry-for) instead of a run that hangs. Connecting has its own limit: the URL\'s connect_timeout (default 10 s)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand list" -l status -d 'Only batches with this status (repeatable, or comma-separated). The batch\'s own status: `failed` lists batches a fatal error (the database) stopped; a completed batch may still hold failed files, counted in its FAILED column' -r -f -a "running\t'Still importing, or stopped without a trace (killed): `batchimp resume` finishes it'
completed\t'Every file accounted for'
failed\t'A fatal error (the database) stopped it'
cancelled\t'Interrupted by the user (Ctrl-C)'
stopped\t'Stopped taking files at `--max-errors` failures; `resume` finishes it'"
complete -c batchimp -n "__fish_batchimp_using_subcommand list" -l since -d 'Only batches started since a date (2026-11-01, UTC), an RFC 3339 time (2026-11-01T09:00:00-03:00) or an age (7d, 12h, 30m) measured back from now' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand list" -l limit -d 'At most this many batches, the newest' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand list" -l color -d 'Color: auto, always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c batchimp -n "__fish_batchimp_using_subcommand list" -l config -d 'Defaults for run\'s options from this TOML file instead of ./batchimp.toml' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand list" -l json -d 'Print the batches as JSON'
complete -c batchimp -n "__fish_batchimp_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c batchimp -n "__fish_batchimp_using_subcommand list" -s V -l version -d 'Print version'
complete -c batchimp -n "__fish_batchimp_using_subcommand stats" -l db -d 'The database: a SQLite file (created on first use) or a PostgreSQL URL' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand stats" -l schema -d 'PostgreSQL only: the schema batchimp\'s tables live in, created when missing' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand stats" -l db-timeout -d 'PostgreSQL only: the longest wait for the server to answer one request once connected (e.g. 10m, 30s; 0 for no limit). A server that stops answering is then a lost connection (see --db-retry-for) instead of a run that hangs. Connecting has its own limit: the URL\'s connect_timeout (default 10 s)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand stats" -l since -d 'Only batches started since a date (2026-11-01, UTC), an RFC 3339 time (2026-11-01T09:00:00-03:00) or an age (7d, 12h, 30m) measured back from now' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand stats" -l color -d 'Color: auto, always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c batchimp -n "__fish_batchimp_using_subcommand stats" -l config -d 'Defaults for run\'s options from this TOML file instead of ./batchimp.toml' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand stats" -l json -d 'Print the statistics as JSON'
complete -c batchimp -n "__fish_batchimp_using_subcommand stats" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c batchimp -n "__fish_batchimp_using_subcommand stats" -s V -l version -d 'Print version'
complete -c batchimp -n "__fish_batchimp_using_subcommand prune" -l db -d 'The database: a SQLite file (created on first use) or a PostgreSQL URL' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand prune" -l schema -d 'PostgreSQL only: the schema batchimp\'s tables live in, created when missing' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand prune" -l db-timeout -d 'PostgreSQL only: the longest wait for the server to answer one request once connected (e.g. 10m, 30s; 0 for no limit). A server that stops answering is then a lost connection (see --db-retry-for) instead of a run that hangs. Connecting has its own limit: the URL\'s connect_timeout (default 10 s)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand prune" -l older-than -d 'Prune batches that ended more than this long ago (30d, 12h), or before a date or an RFC 3339 time (2026-01-01, UTC)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand prune" -l color -d 'Color: auto, always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c batchimp -n "__fish_batchimp_using_subcommand prune" -l config -d 'Defaults for run\'s options from this TOML file instead of ./batchimp.toml' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand prune" -l keep-failed -d 'Keep batches that have a failed file, or whose status is failed (to retry them)'
complete -c batchimp -n "__fish_batchimp_using_subcommand prune" -l dry-run -d 'Count what would be pruned, remove nothing'
complete -c batchimp -n "__fish_batchimp_using_subcommand prune" -l json -d 'Print what was pruned as JSON on stdout'
complete -c batchimp -n "__fish_batchimp_using_subcommand prune" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c batchimp -n "__fish_batchimp_using_subcommand prune" -s V -l version -d 'Print version'
complete -c batchimp -n "__fish_batchimp_using_subcommand get" -s o -l output -d 'Write the original to FILE instead of stdout' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand get" -l db -d 'The database: a SQLite file (created on first use) or a PostgreSQL URL' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand get" -l schema -d 'PostgreSQL only: the schema batchimp\'s tables live in, created when missing' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand get" -l db-timeout -d 'PostgreSQL only: the longest wait for the server to answer one request once connected (e.g. 10m, 30s; 0 for no limit). A server that stops answering is then a lost connection (see --db-retry-for) instead of a run that hangs. Connecting has its own limit: the URL\'s connect_timeout (default 10 s)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand get" -l color -d 'Color: auto, always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c batchimp -n "__fish_batchimp_using_subcommand get" -l config -d 'Defaults for run\'s options from this TOML file instead of ./batchimp.toml' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c batchimp -n "__fish_batchimp_using_subcommand get" -s V -l version -d 'Print version'
complete -c batchimp -n "__fish_batchimp_using_subcommand export" -s o -l output -d 'The ZIP to write (replaced when it exists)' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand export" -l kind -d 'Only originals of these kinds (repeatable, or comma-separated)' -r -f -a "nfe\t''
cfdi\t''
retenciones\t''
cte\t''
mdfe\t''
nfse\t''
nfse_abrasf\t''
pdf\t''
image\t''"
complete -c batchimp -n "__fish_batchimp_using_subcommand export" -l batch -d 'Only originals imported (or met again) by this batch' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand export" -l since -d 'Only originals of batches started since a date (2026-11-01, UTC), an RFC 3339 time or an age (7d, 12h) measured back from now' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand export" -l until -d 'Only originals of batches started before a date, an RFC 3339 time or an age' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand export" -l issuer -d 'Only documents issued by this CNPJ, CPF or RFC (NF-e, CFDI, Retenciones), and their resends' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand export" -l receiver -d 'Only documents issued to this CNPJ, CPF or RFC, and their resends' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand export" -l db -d 'The database: a SQLite file (created on first use) or a PostgreSQL URL' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand export" -l schema -d 'PostgreSQL only: the schema batchimp\'s tables live in, created when missing' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand export" -l db-timeout -d 'PostgreSQL only: the longest wait for the server to answer one request once connected (e.g. 10m, 30s; 0 for no limit). A server that stops answering is then a lost connection (see --db-retry-for) instead of a run that hangs. Connecting has its own limit: the URL\'s connect_timeout (default 10 s)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand export" -l color -d 'Color: auto, always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c batchimp -n "__fish_batchimp_using_subcommand export" -l config -d 'Defaults for run\'s options from this TOML file instead of ./batchimp.toml' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand export" -l cancelled -d 'Only cancelled documents (an NF-e, CT-e, MDF-e or NFS-e whose cancellation was imported, a CFDI SAT\'s metadata lists as cancelled), with their events and resends'
complete -c batchimp -n "__fish_batchimp_using_subcommand export" -l not-cancelled -d 'Leave cancelled documents, their events and resends out'
complete -c batchimp -n "__fish_batchimp_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c batchimp -n "__fish_batchimp_using_subcommand export" -s V -l version -d 'Print version'
complete -c batchimp -n "__fish_batchimp_using_subcommand reparse" -l kind -d 'Only originals of these kinds (repeatable, or comma-separated)' -r -f -a "nfe\t''
cfdi\t''
retenciones\t''
cte\t''
mdfe\t''
nfse\t''
nfse_abrasf\t''
pdf\t''
image\t''"
complete -c batchimp -n "__fish_batchimp_using_subcommand reparse" -l db -d 'The database: a SQLite file (created on first use) or a PostgreSQL URL' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand reparse" -l schema -d 'PostgreSQL only: the schema batchimp\'s tables live in, created when missing' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand reparse" -l db-timeout -d 'PostgreSQL only: the longest wait for the server to answer one request once connected (e.g. 10m, 30s; 0 for no limit). A server that stops answering is then a lost connection (see --db-retry-for) instead of a run that hangs. Connecting has its own limit: the URL\'s connect_timeout (default 10 s)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand reparse" -s j -l workers -d 'Parser threads [default: the number of CPU cores]' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand reparse" -l report -d 'Where to write the JSON report; "-" for stdout' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand reparse" -l log-format -d 'Log lines as text for people, or as JSON objects (timestamp, level, event, batch_id, path, error_type, error) for log collectors' -r -f -a "text\t'`batchimp: ...` lines, for people'
json\t'One JSON object per line, for log collectors'"
complete -c batchimp -n "__fish_batchimp_using_subcommand reparse" -l log-file -d 'Append log lines to this file instead of stderr' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand reparse" -l db-retry-for -d 'How long a lost database connection (a server restarting, a failover, a network cut) is tried again, with pauses of 1, 2, 4 then 5 s, before the batch stops with exit status 2 (`resume` finishes it). Files not committed are redone, never lost or doubled' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand reparse" -l max-errors -d 'Stop taking files after N failed ones; `batchimp resume` finishes the batch' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand reparse" -l notify -d 'When the batch ends (completed, failed or cancelled), POST its summary as JSON to this http(s) URL. Retried on 429, 5xx (not 501, 505), connection errors and timeouts (4 attempts, 1, 2, 4 s apart or as Retry-After says); a webhook that stays down prints a warning and never changes the exit status. User info and query string are never shown or stored' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand reparse" -l notify-timeout -d 'The longest one --notify attempt may take, connecting to reading the answer (e.g. 10s, 500ms)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand reparse" -l notify-ca -d 'Trust the certificate authorities in this PEM file (instead of the public ones) for an https --notify webhook: a webhook behind a private CA' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand reparse" -l color -d 'Color: auto, always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c batchimp -n "__fish_batchimp_using_subcommand reparse" -l config -d 'Defaults for run\'s options from this TOML file instead of ./batchimp.toml' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand reparse" -l no-report -d 'Write no JSON report (the ledger keeps everything: `batchimp report` shows it later)'
complete -c batchimp -n "__fish_batchimp_using_subcommand reparse" -s q -l quiet -d 'Print nothing unless something failed (for cron)'
complete -c batchimp -n "__fish_batchimp_using_subcommand reparse" -s v -l verbose -d 'More log lines: -v each batch step and retry, -vv each file'
complete -c batchimp -n "__fish_batchimp_using_subcommand reparse" -l no-wait -d 'Fail at once if another batchimp is writing to the database, instead of waiting for it'
complete -c batchimp -n "__fish_batchimp_using_subcommand reparse" -l fail-fast -d 'Stop at the first failed file (--max-errors 1)'
complete -c batchimp -n "__fish_batchimp_using_subcommand reparse" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c batchimp -n "__fish_batchimp_using_subcommand reparse" -s V -l version -d 'Print version'
complete -c batchimp -n "__fish_batchimp_using_subcommand retry" -l group -d 'The batch of group NAME (see `run --group`). `resume --group` joins the group as a member again; `retry --group` redoes the group\'s failed files in this one process' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand retry" -l db -d 'The database: a SQLite file (created on first use) or a PostgreSQL URL' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand retry" -l schema -d 'PostgreSQL only: the schema batchimp\'s tables live in, created when missing' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand retry" -l db-timeout -d 'PostgreSQL only: the longest wait for the server to answer one request once connected (e.g. 10m, 30s; 0 for no limit). A server that stops answering is then a lost connection (see --db-retry-for) instead of a run that hangs. Connecting has its own limit: the URL\'s connect_timeout (default 10 s)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand retry" -s j -l workers -d 'Parser threads [default: the number of CPU cores]' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand retry" -l report -d 'Where to write the JSON report; "-" for stdout' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand retry" -l log-format -d 'Log lines as text for people, or as JSON objects (timestamp, level, event, batch_id, path, error_type, error) for log collectors' -r -f -a "text\t'`batchimp: ...` lines, for people'
json\t'One JSON object per line, for log collectors'"
complete -c batchimp -n "__fish_batchimp_using_subcommand retry" -l log-file -d 'Append log lines to this file instead of stderr' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand retry" -l db-retry-for -d 'How long a lost database connection (a server restarting, a failover, a network cut) is tried again, with pauses of 1, 2, 4 then 5 s, before the batch stops with exit status 2 (`resume` finishes it). Files not committed are redone, never lost or doubled' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand retry" -l max-errors -d 'Stop taking files after N failed ones; `batchimp resume` finishes the batch' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand retry" -l notify -d 'When the batch ends (completed, failed or cancelled), POST its summary as JSON to this http(s) URL. Retried on 429, 5xx (not 501, 505), connection errors and timeouts (4 attempts, 1, 2, 4 s apart or as Retry-After says); a webhook that stays down prints a warning and never changes the exit status. User info and query string are never shown or stored' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand retry" -l notify-timeout -d 'The longest one --notify attempt may take, connecting to reading the answer (e.g. 10s, 500ms)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand retry" -l notify-ca -d 'Trust the certificate authorities in this PEM file (instead of the public ones) for an https --notify webhook: a webhook behind a private CA' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand retry" -l color -d 'Color: auto, always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c batchimp -n "__fish_batchimp_using_subcommand retry" -l config -d 'Defaults for run\'s options from this TOML file instead of ./batchimp.toml' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand retry" -l no-report -d 'Write no JSON report (the ledger keeps everything: `batchimp report` shows it later)'
complete -c batchimp -n "__fish_batchimp_using_subcommand retry" -s q -l quiet -d 'Print nothing unless something failed (for cron)'
complete -c batchimp -n "__fish_batchimp_using_subcommand retry" -s v -l verbose -d 'More log lines: -v each batch step and retry, -vv each file'
complete -c batchimp -n "__fish_batchimp_using_subcommand retry" -l no-wait -d 'Fail at once if another batchimp is writing to the database, instead of waiting for it'
complete -c batchimp -n "__fish_batchimp_using_subcommand retry" -l fail-fast -d 'Stop at the first failed file (--max-errors 1)'
complete -c batchimp -n "__fish_batchimp_using_subcommand retry" -l verify -d 'Resume only: re-hash files the ledger already holds and redo those whose bytes changed (without it, an unchanged size and modification time is taken as unchanged)'
complete -c batchimp -n "__fish_batchimp_using_subcommand retry" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c batchimp -n "__fish_batchimp_using_subcommand retry" -s V -l version -d 'Print version'
complete -c batchimp -n "__fish_batchimp_using_subcommand man" -l config -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand man" -l color -d 'Color: auto, always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c batchimp -n "__fish_batchimp_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c batchimp -n "__fish_batchimp_using_subcommand man" -s V -l version -d 'Print version'
complete -c batchimp -n "__fish_batchimp_using_subcommand completions" -l config -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand completions" -l color -d 'Color: auto, always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c batchimp -n "__fish_batchimp_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c batchimp -n "__fish_batchimp_using_subcommand completions" -s V -l version -d 'Print version'
complete -c batchimp -n "__fish_batchimp_using_subcommand template; and not __fish_seen_subcommand_from catalog help" -l config -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand template; and not __fish_seen_subcommand_from catalog help" -l color -d 'Color: auto, always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c batchimp -n "__fish_batchimp_using_subcommand template; and not __fish_seen_subcommand_from catalog help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c batchimp -n "__fish_batchimp_using_subcommand template; and not __fish_seen_subcommand_from catalog help" -s V -l version -d 'Print version'
complete -c batchimp -n "__fish_batchimp_using_subcommand template; and not __fish_seen_subcommand_from catalog help" -f -a "catalog" -d 'A product catalog: a header naming every column batchimp reads, in your language, and one example row to overwrite'
complete -c batchimp -n "__fish_batchimp_using_subcommand template; and not __fish_seen_subcommand_from catalog help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c batchimp -n "__fish_batchimp_using_subcommand template; and __fish_seen_subcommand_from catalog" -l lang -d 'The language of the headers and the example row [default: from the locale, LC_ALL, LC_MESSAGES or LANG: pt* is pt, es* is es, anything else en]' -r -f -a "pt\t'Portuguese (Brazil): codigo, nome, preco...'
es\t'Spanish (Mexico): codigo, nombre, precio...'
en\t'English: the `product` table\'s column names'"
complete -c batchimp -n "__fish_batchimp_using_subcommand template; and __fish_seen_subcommand_from catalog" -l color -d 'Color: auto, always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c batchimp -n "__fish_batchimp_using_subcommand template; and __fish_seen_subcommand_from catalog" -l xlsx -d 'Write an Excel workbook (.xlsx) instead of CSV; stdout must be a file or a pipe'
complete -c batchimp -n "__fish_batchimp_using_subcommand template; and __fish_seen_subcommand_from catalog" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c batchimp -n "__fish_batchimp_using_subcommand template; and __fish_seen_subcommand_from catalog" -s V -l version -d 'Print version'
complete -c batchimp -n "__fish_batchimp_using_subcommand template; and __fish_seen_subcommand_from help" -f -a "catalog" -d 'A product catalog: a header naming every column batchimp reads, in your language, and one example row to overwrite'
complete -c batchimp -n "__fish_batchimp_using_subcommand template; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l group -d 'Load the inputs together with every other `batchimp run --group NAME` on the same inputs and PostgreSQL database, on this machine or others: each process takes chunks of files as it has room, and the database ends as one run would leave it. Join or start the group NAME; run it again to resume it. PostgreSQL only' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l lease -d 'With --group: how long a member\'s claim on a chunk lasts without renewal. A member that dies leaves its chunks to the others this long after' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l sheet -d 'Read catalogs from the workbook sheet with this name (default: the first sheet whose header names a SKU, a name and a price)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l decimal-separator -d 'The decimal separator of catalogs\' numbers written as text (`,` for 1.234,56, `.` for 1,234.56). By default each file\'s numeric columns decide from their values' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l supplier -d 'The supplier catalogs belong to, for files without a supplier_id column (a row whose own supplier_id differs is rejected). Products are keyed by supplier and SKU' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l map -d 'Map a catalog header to a field, e.g. \'Ref. Fornecedor=sku\' (repeatable)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l require -d 'Catalog fields every row must fill besides sku, name and price, comma-separated (e.g. sanitary_certificate): a row without one is rejected (catalog_missing_field), a catalog without such a column fails (catalog_missing_column)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l archive -d 'Which originals to keep, compressed, in the database (the archive `batchimp get` reads): xml keeps the fiscal XML (NF-e and their events, CFDI, Retenciones); all keeps PDFs and pictures too. Catalogs are never kept' -r -f -a "xml\t'NF-e and their events, CFDI and Retenciones'
all\t'PDFs and pictures too'"
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l max-file-size -d 'Largest file or ZIP member to read, uncompressed (e.g. 50MiB, 2GB)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l max-archive-size -d 'Most bytes one ZIP may inflate to, nested ZIPs included (zip_bomb past it)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l file-timeout -d 'Longest one file may take to read and parse (e.g. 60s, 500ms); slower files fail with error_type timeout' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l retries -d 'Retries of a transient error (an interrupted read, a busy database), with exponential backoff and jitter. Parse errors are never retried' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l ocr -d 'When scans and photos are read by OCR: auto, always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l ocr-lang -d 'Tesseract\'s languages for OCR, `+`-separated (see `tesseract --list-langs`)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l on-conflict -d 'A document whose key is stored already with other content: skip, replace or fail' -r -f -a "skip\t'Keep the stored copy; the file is a `duplicate` (`different`). A copy that only adds what the stored one lacks (the protocol of an NF-e first seen unsigned) enriches it'
replace\t'The new copy replaces the stored one, rows of every table included'
fail\t'The file fails with `key_conflict` and writes nothing (enriching still applies)'"
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l db -d 'The database: a SQLite file (created on first use) or a PostgreSQL URL' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l schema -d 'PostgreSQL only: the schema batchimp\'s tables live in, created when missing' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l db-timeout -d 'PostgreSQL only: the longest wait for the server to answer one request once connected (e.g. 10m, 30s; 0 for no limit). A server that stops answering is then a lost connection (see --db-retry-for) instead of a run that hangs. Connecting has its own limit: the URL\'s connect_timeout (default 10 s)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -s j -l workers -d 'Parser threads [default: the number of CPU cores]' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l report -d 'Where to write the JSON report; "-" for stdout' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l log-format -d 'Log lines as text for people, or as JSON objects (timestamp, level, event, batch_id, path, error_type, error) for log collectors' -r -f -a "text\t'`batchimp: ...` lines, for people'
json\t'One JSON object per line, for log collectors'"
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l log-file -d 'Append log lines to this file instead of stderr' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l db-retry-for -d 'How long a lost database connection (a server restarting, a failover, a network cut) is tried again, with pauses of 1, 2, 4 then 5 s, before the batch stops with exit status 2 (`resume` finishes it). Files not committed are redone, never lost or doubled' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l max-errors -d 'Stop taking files after N failed ones; `batchimp resume` finishes the batch' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l notify -d 'When the batch ends (completed, failed or cancelled), POST its summary as JSON to this http(s) URL. Retried on 429, 5xx (not 501, 505), connection errors and timeouts (4 attempts, 1, 2, 4 s apart or as Retry-After says); a webhook that stays down prints a warning and never changes the exit status. User info and query string are never shown or stored' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l notify-timeout -d 'The longest one --notify attempt may take, connecting to reading the answer (e.g. 10s, 500ms)' -r
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l notify-ca -d 'Trust the certificate authorities in this PEM file (instead of the public ones) for an https --notify webhook: a webhook behind a private CA' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l color -d 'Color: auto, always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l config -d 'Defaults for run\'s options from this TOML file instead of ./batchimp.toml' -r -F
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l json -d 'Print the options as JSON'
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l resume -d 'Finish the latest unfinished batch over these inputs, or start one'
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l verify -d 'With --resume: re-hash files the ledger already holds and redo those whose bytes changed (without it, an unchanged size and modification time is taken as unchanged)'
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l recheck -d 'Read every file again, as if new'
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l dry-run -d 'Read and validate everything, write the report, leave the database untouched'
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l hidden -d 'Also import hidden files and folders (names starting with a dot)'
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l follow-links -d 'Also read links whose target is outside the inputs (files read, folders walked). Without it such a link is recorded as unsupported, naming its target, and not read; links that stay inside the inputs are always followed'
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l allow-invalid-keys -d 'Import NF-e (and events and summaries naming them) whose access key has a wrong check digit, flagged chave_valida = 0, and CFDI and Retenciones whose stamp UUID is not 8-4-4-4-12 hexadecimal digits, flagged uuid_valido = 0'
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l no-archive -d 'Keep no originals in the database (the imported fields only; `batchimp get` then has nothing to give back)'
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l no-report -d 'Write no JSON report (the ledger keeps everything: `batchimp report` shows it later)'
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -s q -l quiet -d 'Print nothing unless something failed (for cron)'
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -s v -l verbose -d 'More log lines: -v each batch step and retry, -vv each file'
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l no-wait -d 'Fail at once if another batchimp is writing to the database, instead of waiting for it'
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -l fail-fast -d 'Stop at the first failed file (--max-errors 1)'
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c batchimp -n "__fish_batchimp_using_subcommand config" -s V -l version -d 'Print version'
complete -c batchimp -n "__fish_batchimp_using_subcommand help; and not __fish_seen_subcommand_from run resume report list stats prune get export reparse retry man completions template config help" -f -a "run" -d 'Import files, folders and ZIP archives as one batch'
complete -c batchimp -n "__fish_batchimp_using_subcommand help; and not __fish_seen_subcommand_from run resume report list stats prune get export reparse retry man completions template config help" -f -a "resume" -d 'Finish an interrupted batch: files already committed are skipped, the rest imported'
complete -c batchimp -n "__fish_batchimp_using_subcommand help; and not __fish_seen_subcommand_from run resume report list stats prune get export reparse retry man completions template config help" -f -a "report" -d 'Show what happened to every file of a batch'
complete -c batchimp -n "__fish_batchimp_using_subcommand help; and not __fish_seen_subcommand_from run resume report list stats prune get export reparse retry man completions template config help" -f -a "list" -d 'List batches, newest first: `list --status failed --since 7d --limit 20`'
complete -c batchimp -n "__fish_batchimp_using_subcommand help; and not __fish_seen_subcommand_from run resume report list stats prune get export reparse retry man completions template config help" -f -a "stats" -d 'Totals across batches: files by kind, status and error type, files/s per batch, and the most frequent failures with an example file each'
complete -c batchimp -n "__fish_batchimp_using_subcommand help; and not __fish_seen_subcommand_from run resume report list stats prune get export reparse retry man completions template config help" -f -a "prune" -d 'Remove old batches from the ledger (`batches`, their `files` and `rejected_rows`), never imported data: `prune --older-than 30d`'
complete -c batchimp -n "__fish_batchimp_using_subcommand help; and not __fish_seen_subcommand_from run resume report list stats prune get export reparse retry man completions template config help" -f -a "get" -d 'Write an archived original, byte for byte, to a file or stdout: `get 35240612345678000190550010000012341000012345 -o nfe.xml`'
complete -c batchimp -n "__fish_batchimp_using_subcommand help; and not __fish_seen_subcommand_from run resume report list stats prune get export reparse retry man completions template config help" -f -a "export" -d 'Write a ZIP of archived originals, chosen by kind, batch and start time, what an accountant sends an auditor: `export --kind nfe --since 2026-01-01 -o 2026.zip`'
complete -c batchimp -n "__fish_batchimp_using_subcommand help; and not __fish_seen_subcommand_from run resume report list stats prune get export reparse retry man completions template config help" -f -a "reparse" -d 'Read the archived originals again with this version\'s parsers and rewrite their documents\' rows in place (new columns filled, corrected values), without the source files: `reparse --kind nfe`'
complete -c batchimp -n "__fish_batchimp_using_subcommand help; and not __fish_seen_subcommand_from run resume report list stats prune get export reparse retry man completions template config help" -f -a "retry" -d 'Reprocess only the failed files of a batch (after a fix or a schema change)'
complete -c batchimp -n "__fish_batchimp_using_subcommand help; and not __fish_seen_subcommand_from run resume report list stats prune get export reparse retry man completions template config help" -f -a "man" -d 'Print the man page, generated from these options: `batchimp man > batchimp.1`, and a subcommand\'s: `batchimp man run > batchimp-run.1`'
complete -c batchimp -n "__fish_batchimp_using_subcommand help; and not __fish_seen_subcommand_from run resume report list stats prune get export reparse retry man completions template config help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c batchimp -n "__fish_batchimp_using_subcommand help; and not __fish_seen_subcommand_from run resume report list stats prune get export reparse retry man completions template config help" -f -a "template" -d 'Print a ready-to-fill file that batchimp imports: `template catalog > produtos.csv`'
complete -c batchimp -n "__fish_batchimp_using_subcommand help; and not __fish_seen_subcommand_from run resume report list stats prune get export reparse retry man completions template config help" -f -a "config" -d 'Show every option of run, its value and where it comes from: a flag, an environment variable, the config file (batchimp.toml, or --config FILE) or the built-in default'
complete -c batchimp -n "__fish_batchimp_using_subcommand help; and not __fish_seen_subcommand_from run resume report list stats prune get export reparse retry man completions template config help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c batchimp -n "__fish_batchimp_using_subcommand help; and __fish_seen_subcommand_from template" -f -a "catalog" -d 'A product catalog: a header naming every column batchimp reads, in your language, and one example row to overwrite'
