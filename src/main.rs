#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use hardpin::app;
use hardpin::cli::{Cli, Command};
use hardpin::transforms::Mode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Command::Fix(args) => app::fix(args, Mode::Fix, false),
        Command::Update(args) => app::fix(&args.run, Mode::Update, args.major),
        Command::Pr(args) => hardpin::pr::pr(args),
        Command::Audit(args) => app::audit(args),
        Command::Explain(args) => app::explain(args),
    }
}
