#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use hardpin::cli::{Cli, Command};
use hardpin::transforms::Mode;
use hardpin::{app, generate};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Command::Fix(args) => app::fix(args, Mode::Fix, false),
        Command::Update(args) => app::fix(&args.run, Mode::Update, args.major),
        Command::Pr(args) => hardpin::pr::pr(args),
        Command::Audit(args) => app::audit(args),
        Command::Explain(args) => app::explain(args),
        Command::Completions { shell } => generate::print(|out| generate::completions(*shell, out)),
        Command::Man => generate::print(generate::man),
    }
}
