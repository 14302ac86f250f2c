//! The command-line layer: argument parsing, one file per subcommand, and all output.
//! Exit codes: 0 clean (warnings allowed), 1 findings or failures, 2 the tool could
//! not run. A closed pipe (`img-mirror check | head`) exits 0.

mod args;
mod check;
mod diff;
mod explain;
mod extract;
mod inspect;
mod json_lines;
mod logging;
mod mirror;
mod output;
mod pin;
mod post_upgrade;
mod prune;
mod reporter;
mod verify;
mod workspace;

use clap::Parser;

use args::{Cli, Command};

/// How a command ended, before it becomes an exit code.
pub enum Outcome {
    Clean,
    Findings,
}

/// Why a command could not do its job: printed on stderr, exit 2; or the reader of its
/// output went away (`img-mirror check | head`), which is no failure at all.
#[derive(Debug)]
pub enum Failure {
    Message(String),
    ClosedPipe,
}

impl Failure {
    pub fn message(text: impl Into<String>) -> Failure {
        Failure::Message(text.into())
    }
}

impl<E: std::error::Error> From<E> for Failure {
    fn from(error: E) -> Failure {
        Failure::Message(error.to_string())
    }
}

/// Runs the command line; the process's exit status.
pub fn main() -> u8 {
    let cli = Cli::parse();
    logging::init(cli.verbose);
    let result = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Extract(args) => extract::run(args),
        Command::Mirror(args) => mirror::run(args),
        Command::Diff(args) => diff::run(args),
        Command::PostUpgrade(args) => post_upgrade::run(args),
        Command::Pin(args) => pin::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Prune(args) => prune::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Explain(args) => explain::run(args),
    };
    match result {
        Ok(Outcome::Clean) | Err(Failure::ClosedPipe) => 0,
        Ok(Outcome::Findings) => 1,
        Err(Failure::Message(message)) => {
            output::error(&message);
            2
        }
    }
}
