//! The `img-mirror` binary: parse arguments, run, map the outcome to an exit code.

mod cli;

// The check of a large vars.yml builds and drops tens of thousands of small strings on
// two threads; mimalloc keeps that off the kernel's page-fault path.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
