//! What checkouts expose: the pull request's code checked out where the
//! base repository's secrets are (HP007), and the token left in the git
//! configuration for third-party actions to read (HP010).

use super::Hit;
use super::shell::{Command, commands};
use super::workflow::{Job, Step, Value, Workflow};

/// Triggers that run with the base repository's secrets and a write token
/// on behalf of a pull request.
const PRIVILEGED: &[&str] = &["pull_request_target", "workflow_run"];

/// Contexts that name the pull request's code, lowercase and without
/// blanks as [`expressions`] returns them.
const PR_HEAD: &[&str] = &[
    "github.event.pull_request.head.sha",
    "github.event.pull_request.head.ref",
    "github.event.pull_request.merge_commit_sha",
    "github.head_ref",
    "github.event.workflow_run.head_sha",
    "github.event.workflow_run.head_branch",
    "github.event.workflow_run.head_commit.id",
];

/// Contexts that name the fork the pull request comes from.
const PR_REPO: &[&str] = &[
    "github.event.pull_request.head.repo.full_name",
    "github.event.workflow_run.head_repository.full_name",
];

/// The bodies of the `${{ }}` expressions of `text`, lowercase (contexts
/// are case-insensitive) and without blanks.
fn expressions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let body = &rest[start + 3..];
        let end = body.find("}}").unwrap_or(body.len());
        out.push(
            body[..end]
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase(),
        );
        rest = &body[end..];
    }
    out
}

fn mentions(text: &str, contexts: &[&str]) -> bool {
    expressions(text)
        .iter()
        .any(|e| contexts.iter().any(|c| e.contains(c)))
}

/// A ref of a pull request: `refs/pull/<n>/head`, `pull/<n>/merge:local`,
/// the number written out or as an expression.
fn pull_ref(text: &str) -> bool {
    text.match_indices("pull/").any(|(i, m)| {
        let rest = &text[i + m.len()..];
        rest.find('/').is_some_and(|slash| {
            let after = &rest[slash..];
            after.starts_with("/head") || after.starts_with("/merge")
        })
    })
}

/// Does this value name the pull request's code?
fn names_pr_head(text: &str) -> bool {
    mentions(text, PR_HEAD) || pull_ref(text)
}

/// HP007: a privileged workflow that checks out the pull request's code.
pub fn untrusted(w: &Workflow) -> Vec<Hit> {
    let Some(trigger) = w.triggers.iter().find(|t| PRIVILEGED.contains(&t.as_str())) else {
        return Vec::new();
    };
    let mut hits = Vec::new();
    for job in &w.jobs {
        for step in &job.steps {
            let found = if step.uses_action("actions/checkout") {
                checkout_input(step)
            } else {
                run_checkout(step, job, w)
            };
            if let Some((value, what)) = found {
                hits.push(Hit {
                    rule: "HP007",
                    at: value.at,
                    message: format!(
                        "job `{}` checks out the pull request's code ({what}, line {}) in a workflow triggered by `{trigger}`",
                        job.id, step.line
                    ),
                    help: Some(
                        "check out the base here (the default) and build the pull request in a `pull_request` workflow without secrets; never run what a privileged workflow checks out".into(),
                    ),
                });
            }
        }
    }
    hits
}

/// `ref:` naming the head, else `repository:` naming the fork (whose
/// default branch is the contributor's code too).
fn checkout_input(step: &Step) -> Option<(&Value, String)> {
    if let Some(r) = step.input("ref").filter(|r| names_pr_head(&r.text)) {
        return Some((r, format!("`ref: {}`", r.text.trim())));
    }
    step.input("repository")
        .filter(|r| mentions(&r.text, PR_REPO))
        .map(|r| (r, format!("`repository: {}`", r.text.trim())))
}

/// A `run:` that fetches or checks out the pull request: `gh pr checkout`,
/// or a git command naming a pull request ref, a head context, or a
/// variable set from one.
fn run_checkout<'s>(step: &'s Step, job: &Job, w: &Workflow) -> Option<(&'s Value, String)> {
    let run = step.run.as_ref()?;
    let tainted: Vec<&str> = w
        .env
        .iter()
        .chain(&job.env)
        .chain(&step.env)
        .filter(|(_, v)| names_pr_head(&v.text))
        .map(|(k, _)| k.as_str())
        .collect();
    commands(&run.text)
        .iter()
        .find_map(|c| fetches_pr(c, &tainted))
        .map(|shown| (run, format!("`{shown}`")))
}

/// The command, as it is shown, when `c` fetches or checks out the pull
/// request.
fn fetches_pr(c: &Command, tainted: &[&str]) -> Option<String> {
    match c.program.as_str() {
        "gh" => (c.sub() == "pr" && c.args.get(1).is_some_and(|a| a == "checkout"))
            .then(|| "gh pr checkout".to_string()),
        "git" => {
            let i = git_subcommand(&c.args)?;
            let sub = c.args[i].as_str();
            let rest = c.args[i + 1..].join(" ");
            let names_head = names_pr_head(&rest) || tainted.iter().any(|v| refers_to(&rest, v));
            (matches!(sub, "fetch" | "checkout" | "switch" | "pull" | "worktree") && names_head)
                .then(|| format!("git {sub}"))
        }
        _ => None,
    }
}

/// Does `text` expand the variable `var` (`$VAR` or `${VAR}`)?
fn refers_to(text: &str, var: &str) -> bool {
    text.contains(&format!("${{{var}}}"))
        || text.match_indices(&format!("${var}")).any(|(i, m)| {
            !text[i + m.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// Where git's subcommand is, past its global options.
fn git_subcommand(args: &[String]) -> Option<usize> {
    let mut i = 0;
    while let Some(a) = args.get(i) {
        match a.as_str() {
            "-c" | "-C" | "--git-dir" | "--work-tree" => i += 2,
            a if a.starts_with('-') => i += 1,
            _ => return Some(i),
        }
    }
    None
}

/// HP010: `actions/checkout` that keeps the token in the git
/// configuration, followed in its job by a third-party action. Only
/// third-party `uses:` count: `run:` steps are the repository's own code,
/// and GitHub's own actions are trusted with the token anyway.
pub fn persisted(jobs: &[Job]) -> Vec<Hit> {
    let mut hits = Vec::new();
    for job in jobs {
        let mut pending: Vec<&Step> = Vec::new();
        for step in &job.steps {
            if step.uses_action("actions/checkout") && keeps_credentials(step) {
                pending.push(step);
                continue;
            }
            let Some(action) = step.action().filter(|a| is_third_party(a)) else {
                continue;
            };
            for checkout in pending.drain(..) {
                let Some(uses) = &checkout.uses else { continue };
                hits.push(Hit {
                    rule: "HP010",
                    at: uses.at,
                    message: format!(
                        "job `{}`: the checkout at line {} leaves the token in `.git/config`, and the third-party action `{action}` runs after it (line {})",
                        job.id, checkout.line, step.line
                    ),
                    help: Some(
                        "set `persist-credentials: false` unless a later step pushes with git"
                            .into(),
                    ),
                });
            }
        }
    }
    hits
}

/// `persist-credentials` is not `false`; an expression is not judged.
fn keeps_credentials(step: &Step) -> bool {
    match step.input("persist-credentials") {
        None => true,
        Some(v) => !v.text.contains("${{") && !v.text.trim().eq_ignore_ascii_case("false"),
    }
}

/// An action from outside GitHub's own organisations.
fn is_third_party(repo: &str) -> bool {
    !matches!(repo.split('/').next(), Some("actions" | "github"))
}

#[cfg(test)]
mod tests {
    use super::super::workflow::workflow;
    use super::*;
    use crate::yaml::YamlDoc;

    fn read(text: &str) -> Workflow {
        workflow(&YamlDoc::parse(text.into()).unwrap())
    }

    #[test]
    fn head_refs_in_any_spelling() {
        for v in [
            "${{ github.event.pull_request.head.sha }}",
            "${{github.HEAD_REF}}",
            "refs/pull/${{ github.event.number }}/merge",
            "${{ github.event.workflow_run.head_sha }}",
        ] {
            assert!(names_pr_head(v), "{v}");
        }
        for v in [
            "${{ github.sha }}",
            "${{ github.event.pull_request.base.sha }}",
            "main",
            "$HEAD_REF",
            "refs/heads/pull/x-merge",
            "pull/a/b/merge",
        ] {
            assert!(!names_pr_head(v), "{v}");
        }
    }

    #[test]
    fn run_commands_that_fetch_the_pull_request() {
        let w = read(
            "on: pull_request_target\njobs:\n  a:\n    steps:\n      - run: git fetch origin pull/${{ github.event.number }}/head:pr && git checkout pr\n      - run: gh pr checkout 1\n      - run: git checkout $SHA\n        env:\n          SHA: ${{ github.event.pull_request.head.sha }}\n      - run: git checkout main && git -C x fetch --depth 1\n",
        );
        let found: Vec<String> = untrusted(&w).into_iter().map(|h| h.message).collect();
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].contains("(`git fetch`, line 5)"), "{}", found[0]);
        assert!(found[1].contains("`gh pr checkout`"));
        assert!(found[2].contains("line 7"));
    }

    #[test]
    fn only_privileged_triggers() {
        let w = read(
            "on: [pull_request]\njobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n",
        );
        assert!(untrusted(&w).is_empty());
    }

    #[test]
    fn persisted_only_before_third_party_actions() {
        let w = read(
            "jobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/setup-node@v4\n      - run: npm ci\n      - uses: ./local\n      - uses: docker://alpine:3\n  b:\n    steps:\n      - uses: actions/checkout@v4\n        with: {persist-credentials: false}\n      - uses: some/action@v1\n  c:\n    steps:\n      - uses: actions/checkout@v4\n      - uses: Some/Action@v1\n      - uses: other/action@v1\n",
        );
        let hits = persisted(&w.jobs);
        assert_eq!(hits.len(), 1);
        assert!(
            hits[0].message.starts_with("job `c`"),
            "{}",
            hits[0].message
        );
        assert!(hits[0].message.contains("`some/action`"));
    }
}
