//! Integration tests: the real binary on real files, real ZIPs and a real SQLite database,
//! checking rows, report fields and exit codes.

mod catalog;
mod cfdi;
mod cli;
mod corpus;
mod fuzz;
mod helpers;
mod nfe;
mod pgserver;
mod postgres;
mod reliability;
mod retenciones;
mod run;
mod template;
mod testdata;
mod xmlconf;
