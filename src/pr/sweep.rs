//! `hardpin pr --repo OWNER/NAME …`: many repositories, no checkout. Each
//! is cloned bare and shallow into a temporary folder, fixed and published
//! as `hardpin pr` does in a checkout, with the same safety rules (the
//! lease, the branch never the base). A bounded number run at once; one
//! failing is reported without stopping the others, and a table at the end
//! says what became of each.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Published, Session, publish};
use crate::cli::{Format, PrArgs};
use crate::net::redact_url;
use crate::pipeline::{EXIT_ERROR, EXIT_OK};
use crate::printable::escape;
use crate::publish::PrError;
use crate::publish::git;
use crate::refs::RepoId;

/// What became of one repository.
struct Outcome {
    repo: String,
    result: Result<(Published, u8), PrError>,
}

pub(super) fn sweep(args: &PrArgs) -> Result<ExitCode, PrError> {
    let session = Session::new(args)?;
    let repos = repositories(args)?;
    let next = AtomicUsize::new(0);
    let done = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..usize::from(args.jobs).min(repos.len()) {
            scope.spawn(|| {
                while let Some(repo) = repos.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let result = one(repo, &session, args);
                    let outcome = Outcome {
                        repo: repo.to_string(),
                        result,
                    };
                    done.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(outcome);
                }
            });
        }
    });
    let mut outcomes = done
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    outcomes.sort_by(|a, b| a.repo.cmp(&b.repo));
    print_summary(args, &outcomes);
    let code = outcomes
        .iter()
        .map(|o| match &o.result {
            Ok((_, code)) => *code,
            Err(_) => EXIT_ERROR,
        })
        .max()
        .unwrap_or(EXIT_OK);
    Ok(ExitCode::from(code))
}

/// `--repo` and `--repos-file`, checked and without repeats, in order.
fn repositories(args: &PrArgs) -> Result<Vec<RepoId>, PrError> {
    let mut names = args.repos.clone();
    if let Some(file) = &args.repos_file {
        let text = std::fs::read_to_string(file)?;
        names.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string),
        );
    }
    let mut repos: Vec<RepoId> = Vec::new();
    for name in names {
        let repo = crate::refs::parse_repo(&name)
            .ok_or_else(|| PrError::RepoId(escape(&name).into_owned()))?;
        if !repos.iter().any(|r| r.key() == repo.key()) {
            repos.push(repo);
        }
    }
    Ok(repos)
}

/// Clone, fix and publish one repository.
fn one(repo: &RepoId, session: &Session, args: &PrArgs) -> Result<(Published, u8), PrError> {
    let url = format!(
        "{}/{}/{}.git",
        session.server.trim_end_matches('/'),
        repo.owner,
        repo.name
    );
    let dir = tempfile::tempdir()?;
    let clone = git::clone_bare(&url, dir.path(), &session.push_auth())?;
    publish(
        &clone,
        "origin",
        &repo.owner,
        &repo.name,
        session,
        args,
        false,
    )
}

/// The table of what became of each repository: on stdout, or on stderr
/// with `--format json` (whose stdout is a JSON list of the same).
fn print_summary(args: &PrArgs, outcomes: &[Outcome]) {
    let rows: Vec<(String, String)> = outcomes
        .iter()
        .map(|o| {
            let result = match &o.result {
                Ok((published, _)) => {
                    let lines = published.lines();
                    if lines.is_empty() {
                        "nothing to change".to_string()
                    } else {
                        lines.join("; ")
                    }
                }
                Err(e) => format!(
                    "error: {} ({})",
                    escape(&redact_url(&e.to_string())),
                    e.hint()
                ),
            };
            (escape(&o.repo).into_owned(), result)
        })
        .collect();
    if args.output.format == Format::Json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|(repo, result)| serde_json::json!({ "repository": repo, "result": result }))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&list).unwrap_or_default()
        );
        return;
    }
    let width = rows.iter().map(|(r, _)| r.len()).max().unwrap_or(0).max(10);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{:<width$}  result", "repository");
    for (repo, result) in &rows {
        let _ = writeln!(out, "{repo:<width$}  {result}");
    }
}
