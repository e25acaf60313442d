//! The `batchimp` binary: all of it lives in the library; see `cmd::main`.
#![forbid(unsafe_code)]

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    batchimp::cmd::main()
}
