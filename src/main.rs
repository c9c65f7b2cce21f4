#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use hardpin::app;
use hardpin::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Fix(args) => app::fix(args),
    };
    result.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        ExitCode::from(app::EXIT_ERROR)
    })
}
