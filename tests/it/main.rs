//! Integration tests: the real binary on real files, real ZIPs and a real SQLite database,
//! checking rows, report fields and exit codes.

// The benchmark's generators, to check what they write.
#[path = "../../benches/support/catalog_gen.rs"]
mod catalog_gen;
#[path = "../../benches/support/nfe_gen.rs"]
mod nfe_gen;
#[path = "../../benches/support/xlsx_gen.rs"]
mod xlsx_gen;

mod archive;
mod catalog;
mod cfdi;
mod chaos;
mod cli;
mod config;
mod corpus;
mod cron;
mod defaults;
mod docs;
mod flood;
mod freight;
mod fuzz;
mod group;
mod helpers;
mod html;
mod logs;
mod nfe;
mod nfse;
mod nfse_abrasf;
mod notify;
mod pdf;
mod pdfgen;
mod pgserver;
mod postgres;
mod promises;
mod reliability;
mod reports;
mod retenciones;
mod run;
mod sat;
mod scan;
mod scangen;
mod spreadsheet;
mod stats;
mod template;
mod testdata;
mod too_long;
#[cfg(unix)]
mod written;
mod xmlconf;
