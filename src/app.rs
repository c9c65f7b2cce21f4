//! `hardpin fix`, `update`, `audit` and `explain`: arguments in, a
//! [`Plan`] to the pipeline, the [`Run`](crate::pipeline::Run) to the
//! renderer. Wiring only.

use std::process::ExitCode;

use crate::cli::{AuditArgs, ExplainArgs, FixArgs, MinSeverity};
use crate::diagnostics::{Applicability, Severity};
use crate::pipeline::{EXIT_ERROR, Output, Plan, run};
use crate::progress::{self, Progress};
use crate::setup::{self, SetupError};
use crate::transforms::Mode;

/// Run `hardpin fix` (or `hardpin update`, with `Mode::Update`).
pub fn fix(args: &FixArgs, mode: Mode, major: bool) -> ExitCode {
    exit(try_fix(args, mode, major))
}

/// Run `hardpin audit`: the fix transforms (every fix, unsafe ones too, is
/// reported, none written) and the checks.
pub fn audit(args: &AuditArgs) -> ExitCode {
    exit(try_audit(args))
}

/// The exit code of a command, or its setup error printed.
fn exit(result: Result<u8, SetupError>) -> ExitCode {
    match result {
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
    let config = setup::config(&args.select, &args.paths)?;
    let transforms = setup::transforms(mode, major, &args.select, &config)?;
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
        config: &config,
    });
    drop(progress);
    crate::render::run(&run, &args.output);
    Ok(run.exit_code(args.check))
}

fn try_audit(args: &AuditArgs) -> Result<u8, SetupError> {
    let config = setup::config(&args.select, &args.paths)?;
    let transforms = setup::transforms(Mode::Audit, false, &args.select, &config)?;
    let resolver = setup::resolver(&args.resolve)?;
    let progress = Progress::start(resolver.tallies.clone(), progress::wanted(&args.output));
    let run = run(&Plan {
        paths: &args.paths,
        transforms: &transforms,
        resolver: &resolver,
        level: Applicability::Unsafe,
        output: Output::Nothing,
        config: &config,
    });
    drop(progress);
    let findings = crate::audit::findings(&run);
    crate::render::audit(&run, &findings, &args.output);
    let min = match args.min_severity {
        MinSeverity::Error => Severity::Error,
        MinSeverity::Warning => Severity::Warning,
        MinSeverity::Note => Severity::Note,
    };
    Ok(crate::audit::exit_code(&run, &findings, min))
}

/// `hardpin explain [RULE]`.
pub fn explain(args: &ExplainArgs) -> ExitCode {
    match &args.rule {
        None => {
            for r in crate::rules::RULES {
                println!("{}  {:<32} {}", r.id, r.name, r.summary);
            }
            ExitCode::SUCCESS
        }
        Some(id) => match crate::rules::rule(id) {
            Some(r) => {
                print!("{}", crate::rules::explain(r));
                ExitCode::SUCCESS
            }
            None => {
                eprintln!(
                    "{}",
                    crate::render::error(
                        "explain",
                        &format!("no rule `{id}`"),
                        "`hardpin explain` lists the rules"
                    )
                );
                ExitCode::from(EXIT_ERROR)
            }
        },
    }
}
