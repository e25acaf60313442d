//! The `batchimp` binary: all of it lives in the library; see `cmd::main`.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    batchimp::cmd::main()
}
