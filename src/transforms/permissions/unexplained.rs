//! Why the permissions a job needs cannot be known, so the job is left on
//! the default token permissions.
//!
//! One typed value per reason instead of a formatted `String`: the analysis
//! passes reasons up through steps, composite actions and called workflows,
//! and only the report turns them into text. Each variant's message is the
//! exact text the report shows (tests compare it).

use super::remote::RemoteError;
use crate::refs::RefError;
use crate::yaml::SyntaxError;

/// Why what a job (or one of its steps, actions, scripts) needs from the
/// token cannot be known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unexplained {
    // --- Where in a job or composite action ---
    /// A step of a job or composite action (1-based), and why.
    #[error("step {step} (line {line}): {reason}")]
    Step {
        step: usize,
        line: usize,
        reason: Box<Unexplained>,
    },
    /// A step that names neither an action nor a script.
    #[error("neither `uses:` nor `run:` could be read")]
    NoUsesOrRun,
    /// An action not in the knowledge base, so judged harmless from its
    /// metadata, runs after actions/checkout left the token in
    /// `.git/config` (the checkout step is 1-based).
    #[error(
        "`{uses}` is not in the permissions knowledge base and runs after actions/checkout (step {checkout_step}) left its credentials in .git/config, with which it could push"
    )]
    AfterPersistedCredentials { uses: String, checkout_step: usize },

    // --- The knowledge base ---
    /// The knowledge base's own reason for an action (its `unknown` or
    /// `unknown_with_token` text).
    #[error("{0}")]
    KnowledgeBase(String),
    /// The script an action runs for the caller (its `run_input`).
    #[error("{action}: {reason}")]
    RunInput {
        action: String,
        reason: Box<Unexplained>,
    },

    // --- `uses:` of a step ---
    /// A `uses:` value that is not a valid reference.
    #[error(transparent)]
    Uses(#[from] RefError),
    /// A `uses:` built from an expression.
    #[error("`{0}` is only known at run time")]
    RunTimeOnly(String),
    /// A remote action the knowledge base does not know, whose `action.yml`
    /// could not be read (`reason` says why).
    #[error("`{action}` is not in the permissions knowledge base ({reason})")]
    ActionNotInKb {
        action: String,
        #[source]
        reason: Box<RemoteError>,
    },
    /// A `./` action inside a remote action's file.
    #[error("`{0}` inside a remote action names a file of that repository, which is not read")]
    LocalInRemoteAction(String),
    /// A local action without a readable `action.yml`.
    #[error(
        "local action `{0}` has no action.yml inside the repository (or it is over the size limit)"
    )]
    NoActionYml(String),
    /// A Docker image (`docker://…`) handed the token.
    #[error("`{0}` is given the workflow token")]
    DockerGivenToken(String),

    // --- An action read from its `action.yml` (`label` names it) ---
    /// A composite action that uses itself, or nesting too deep.
    #[error("{label} refers to itself")]
    ActionRecursion { label: String },
    /// Its `action.yml` is not valid YAML.
    #[error("{label}: {source}")]
    ActionYaml { label: String, source: SyntaxError },
    /// Its `action.yml` has no document.
    #[error("{label} is empty")]
    EmptyAction { label: String },
    /// Its `action.yml` has no `runs:`.
    #[error("{label} has no `runs:`")]
    NoRuns { label: String },
    /// A JavaScript or Docker action (`using`) handed the token.
    #[error("{label} ({using}) is given the workflow token")]
    ActionGivenToken { label: String, using: String },
    /// The steps of a composite action that cannot be explained.
    #[error("in {label}: {}", joined(.reasons))]
    InComposite {
        label: String,
        reasons: Vec<Unexplained>,
    },

    // --- Reusable workflows (`workflow` is the `uses:` value) ---
    /// A `./` workflow inside a remote workflow's file.
    #[error("`{0}` inside a remote workflow names a file of that repository, which is not read")]
    LocalInRemoteWorkflow(String),
    /// A local reusable workflow that cannot be read.
    #[error("reusable workflow `{0}` cannot be read")]
    WorkflowUnreadable(String),
    /// A remote reusable workflow the knowledge base does not know, whose
    /// file could not be read (`reason` says why).
    #[error("reusable workflow `{workflow}` is not in the permissions knowledge base ({reason})")]
    WorkflowNotInKb {
        workflow: String,
        #[source]
        reason: Box<RemoteError>,
    },
    /// A reusable workflow that calls itself, or nesting too deep.
    #[error("reusable workflow `{0}` calls itself")]
    WorkflowRecursion(String),
    /// A reusable workflow that is not valid YAML.
    #[error("reusable workflow `{workflow}`: {source}")]
    WorkflowYaml {
        workflow: String,
        source: SyntaxError,
    },
    /// A job of a reusable workflow that cannot be explained.
    #[error("reusable workflow `{workflow}`, job `{job}`: {}", joined(.reasons))]
    CalledJob {
        workflow: String,
        job: String,
        reasons: Vec<Unexplained>,
    },
    /// A reusable workflow that declares `read-all`/`write-all` (or another
    /// scalar), which cannot be granted scope by scope.
    #[error("reusable workflow `{workflow}` declares `permissions: {permissions}`")]
    WorkflowDeclaresAll {
        workflow: String,
        permissions: String,
    },

    // --- `run:` commands ---
    /// The token reaches a program (`0`) hardpin has no rule for.
    #[error("the workflow token reaches `{0}`, and hardpin cannot see what it does with it")]
    TokenReaches(String),
    /// `gh secret` / `gh variable` (the subcommand).
    #[error("`gh {0}` cannot be done with the workflow token (use an App token or a PAT)")]
    GhNeedsOtherToken(String),
    /// A `gh` command (its first words) with no rule.
    #[error("`gh {0}` is not in hardpin's rules")]
    GhNotInRules(String),
    /// A REST call (`who` made it) to an endpoint with no rule.
    #[error("`{0}` calls an endpoint hardpin's rules do not cover")]
    UncoveredEndpoint(String),

    // --- actions/github-script ---
    /// actions/github-script given a token other than the workflow's.
    #[error(
        "actions/github-script runs with its own `github-token`, whose grants hardpin cannot see"
    )]
    GithubScriptOwnToken,
    /// Its `script-file` cannot be read.
    #[error("actions/github-script's script-file `{0}` cannot be read")]
    ScriptFileUnreadable(String),
    /// Neither `script` nor a readable `script-file`.
    #[error("actions/github-script has no script hardpin can read")]
    NoScript,
    /// Why its script cannot be explained.
    #[error("actions/github-script: {0}")]
    GithubScript(Box<Unexplained>),
    /// The parser gave no tree.
    #[error("the script could not be parsed")]
    ScriptNotParsed,
    /// The script has syntax errors.
    #[error("the script does not parse as JavaScript")]
    NotJavaScript,
    /// An identifier that hands the token or a process out of sight.
    #[error("the script uses `{0}`, which hardpin cannot follow")]
    OpaqueIdentifier(String),
    /// A module that hands the token or a process out of sight.
    #[error("the script loads `{0}`, which hardpin cannot follow")]
    OpaqueModule(String),
    /// A use of the client (`expr`, the source text) that is not a plain
    /// REST call; `what` says how.
    #[error("the script uses `{expr}` in a way hardpin cannot follow ({what})")]
    UntraceableClient { expr: String, what: &'static str },
    /// `github.graphql`.
    #[error("the script calls github.graphql, whose needs hardpin cannot read")]
    Graphql,
    /// An Octokit method (`github.rest.<ns>.<method>`) with no rule.
    #[error("the script calls `{0}`, which hardpin's rules do not cover")]
    UncoveredOctokit(String),
}

/// Reasons as the report lists them: joined by `; `.
fn joined(reasons: &[Unexplained]) -> String {
    reasons
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_reasons_read_as_before() {
        let step = |step, reason| Unexplained::Step {
            step,
            line: 7,
            reason: Box::new(reason),
        };
        let composite = Unexplained::InComposite {
            label: "local action `./a`".into(),
            reasons: vec![
                step(1, Unexplained::TokenReaches("make".into())),
                step(2, Unexplained::NoUsesOrRun),
            ],
        };
        assert_eq!(
            step(3, composite).to_string(),
            "step 3 (line 7): in local action `./a`: step 1 (line 7): the workflow token \
             reaches `make`, and hardpin cannot see what it does with it; step 2 (line 7): \
             neither `uses:` nor `run:` could be read"
        );
        let called = Unexplained::CalledJob {
            workflow: "./.github/workflows/w.yml".into(),
            job: "build".into(),
            reasons: vec![Unexplained::GithubScript(Box::new(
                Unexplained::UntraceableClient {
                    expr: "github.request".into(),
                    what: "a route built at run time",
                },
            ))],
        };
        assert_eq!(
            called.to_string(),
            "reusable workflow `./.github/workflows/w.yml`, job `build`: actions/github-script: \
             the script uses `github.request` in a way hardpin cannot follow (a route built at \
             run time)"
        );
    }
}
