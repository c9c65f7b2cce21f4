//! Publishing a fix as a pull request: the commit and push (git2), the pull
//! request (octocrab), and the report that becomes its body.

pub mod body;
pub mod git;
pub mod pulls;
pub mod releases;
pub mod remote;
pub mod updates;

/// Why `hardpin pr` stopped. The user's repository is as it was.
///
/// Messages may quote URLs; print them through [`crate::net::redact_url`].
#[derive(Debug, thiserror::Error)]
pub enum PrError {
    #[error("{0} is not inside a git repository")]
    NotARepo(String),
    #[error("the working tree has uncommitted changes")]
    Dirty,
    #[error("no base branch: {0}")]
    NoBase(String),
    #[error("`{0}` is the branch checked out; hardpin will not move it")]
    OnBranch(String),
    #[error(
        "`{0}` is the base branch or the remote's default branch; hardpin force-pushes its branch and will not overwrite it"
    )]
    BranchIsBase(String),
    #[error(
        "`{branch}` on the remote ends in commit {commit}, which is not one hardpin made (or it moved while hardpin pushed); it was left as it is and nothing was pushed"
    )]
    BranchNotOurs { branch: String, commit: String },
    #[error(
        "the push goes to {url}, which is not the GitHub server {github} over https; the token was not sent"
    )]
    TokenWithheld { url: String, github: String },
    #[error(
        "the GitHub API URL {0} is not https (plain http is allowed only to a loopback address); the token was not sent"
    )]
    InsecureApi(String),
    #[error("invalid branch name `{0}`")]
    BranchName(String),
    #[error("invalid --author `{0}` (expected `Name <email>`)")]
    Author(String),
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error("the push to {remote} was refused: {message}")]
    Push { remote: String, message: String },
    #[error("the push was refused because the token may not change workflow files: {0}")]
    WorkflowScope(String),
    #[error("cannot tell which GitHub repository `{0}` is")]
    RepoId(String),
    #[error("no token: set GITHUB_TOKEN or GH_TOKEN")]
    NoToken,
    #[error("GitHub API: {0}")]
    Api(String),
    #[error("cannot prepare the base tree: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Setup(#[from] crate::setup::SetupError),
}

impl PrError {
    /// The `error[kind]` a user sees: a bad invocation is a setup error
    /// whichever command it came through.
    pub fn kind(&self) -> &'static str {
        match self {
            PrError::Setup(_) => "setup",
            _ => "pr",
        }
    }

    pub fn hint(&self) -> &'static str {
        match self {
            PrError::NotARepo(_) => "run it in a clone of the repository, or give its path",
            PrError::Dirty => {
                "commit or stash your changes first, or pass --allow-dirty (they are never touched)"
            }
            PrError::NoBase(_) => "name the base branch with --base",
            PrError::OnBranch(_) => "check out another branch, or choose another --branch",
            PrError::BranchIsBase(_) => {
                "choose another --branch (the default is hardpin/harden); the pull request is opened from it into the base"
            }
            PrError::BranchNotOurs { .. } => {
                "merge or move that work, then delete the branch on the remote, or choose another --branch"
            }
            PrError::TokenWithheld { .. } => {
                "check remote.<name>.pushurl and url.<base>.insteadOf / pushInsteadOf in git config, or --github-url"
            }
            PrError::InsecureApi(_) => "use an https URL for --github-api-url / GITHUB_API_URL",
            PrError::BranchName(_) | PrError::Author(_) => "see `hardpin pr --help`",
            PrError::Git(_) | PrError::Io(_) => "nothing was changed in your repository",
            PrError::Push { .. } => "check that the token or SSH key may push to the remote",
            PrError::WorkflowScope(_) => {
                "GITHUB_TOKEN cannot push changes to .github/workflows: use a GitHub App token with `workflows: write` or a token with the `workflow` scope"
            }
            PrError::RepoId(_) => "set GITHUB_REPOSITORY=owner/name",
            PrError::NoToken => {
                "the pull request is opened with the GitHub API, which needs a token"
            }
            PrError::Api(_) => {
                "check --github-api-url / GITHUB_API_URL and the token's pull-requests permission"
            }
            PrError::Setup(e) => e.hint(),
        }
    }
}
