//! batchimp: load folders and ZIPs of fiscal documents (NF-e, CFDI) and product catalogs (CSV,
//! XLSX) into a database, with a per-file ledger that accounts for every file.
//!
//! The data flow is visible in the module names:
//! `source` (folders, ZIPs → [`source::Item`]) → `format` (sniff, parse → [`format::Doc`]) →
//! `pipeline` (walker thread → rayon pool → one writer) → `sink` (database + ledger) → `report`.
#![forbid(unsafe_code)]

pub mod archive;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod config_file;
pub mod error;
pub mod format;
pub mod group;
pub mod interrupt;
pub mod ledger;
pub mod log;
pub mod new_file;
pub mod notify;
pub mod pipeline;
pub mod printable;
pub mod progress;
pub mod report;
pub mod schema;
pub mod sink;
pub mod source;
pub mod time;
