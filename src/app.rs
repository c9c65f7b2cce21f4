//! `hardpin fix` and `hardpin update`: arguments in, a [`Plan`] to the
//! pipeline, the [`Run`](crate::pipeline::Run) to the renderer. Wiring only.

use std::process::ExitCode;

use crate::cli::FixArgs;
use crate::pipeline::{EXIT_ERROR, Output, Plan, run};
use crate::progress::{self, Progress};
use crate::setup::{self, SetupError};
use crate::transforms::Mode;

/// Run `hardpin fix` (or `hardpin update`, with `Mode::Update`).
pub fn fix(args: &FixArgs, mode: Mode, major: bool) -> ExitCode {
    match try_fix(args, mode, major) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!(
                "{}",
                crate::render::error("setup", &e.to_string(), e.hint())
            );
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn try_fix(args: &FixArgs, mode: Mode, major: bool) -> Result<u8, SetupError> {
    let transforms = setup::transforms(mode, major, &args.select)?;
    let resolver = setup::resolver(&args.resolve)?;
    let output = if args.dry_run || args.check {
        Output::Diff
    } else {
        Output::Write
    };
    let progress = Progress::start(resolver.tallies.clone(), progress::wanted(&args.output));
    let run = run(&Plan {
        paths: &args.paths,
        transforms: &transforms,
        resolver: &resolver,
        level: setup::fix_level(&args.select),
        output,
    });
    drop(progress);
    crate::render::run(&run, &args.output);
    Ok(run.exit_code(args.check))
}
