//! One pull request of a run: its branch, title, files and body; checked,
//! committed, pushed and opened or updated. `--group none` makes several,
//! each under the same rules (the branch is never the base, the push is a
//! lease).

use git2::Repository;

use super::api::Api;
use crate::cli::PrArgs;
use crate::publish::PrError;
use crate::publish::body::{commit_message, pr_body};
use crate::publish::git::{self, Base, PushAuth};
use crate::publish::pulls::{Opened, PullRequestSpec};
use crate::publish::updates::Update;
use crate::report::FileReport;

pub(super) struct Proposal {
    pub(super) branch: String,
    pub(super) title: String,
    /// Path (relative to the repository) and new text of each changed file.
    pub(super) files: Vec<(String, String)>,
    pub(super) message: String,
    pub(super) body: String,
}

impl Proposal {
    /// The pull request of a run's `reports` (paths relative to the
    /// repository); `None` when no file changed.
    pub(super) fn new(
        branch: String,
        title: String,
        reports: &[FileReport],
        updates: &[Update],
        command: &str,
    ) -> Option<Self> {
        let files: Vec<(String, String)> = reports
            .iter()
            .filter_map(|r| Some((r.path.to_string_lossy().to_string(), r.fixed.clone()?)))
            .collect();
        if files.is_empty() {
            return None;
        }
        Some(Self {
            message: commit_message(&title, reports),
            body: pr_body(reports, updates, command),
            branch,
            title,
            files,
        })
    }
}

/// Where the pull requests go: the repository, its remote and the base.
pub(super) struct Destination<'a> {
    pub(super) repo: &'a Repository,
    pub(super) remote: &'a str,
    pub(super) owner: &'a str,
    pub(super) name: &'a str,
    pub(super) base: &'a Base,
}

/// hardpin force-pushes `branch`: never onto what the pull request goes
/// into, the branch everyone works from, or the one checked out.
pub(super) fn guard(to: &Destination<'_>, branch: &str) -> Result<(), PrError> {
    crate::refs::validate_ref(branch).map_err(|_| PrError::BranchName(branch.to_string()))?;
    if branch == to.base.name || git::default_branch(to.repo, to.remote).as_deref() == Some(branch)
    {
        return Err(PrError::BranchIsBase(branch.to_string()));
    }
    if !to.repo.is_bare() && git::current_branch(to.repo).as_deref() == Some(branch) {
        return Err(PrError::OnBranch(branch.to_string()));
    }
    Ok(())
}

/// Commit `p` on the base, push it to its branch (a lease) and open or
/// update its pull request.
pub(super) fn open(
    to: &Destination<'_>,
    p: &Proposal,
    args: &PrArgs,
    auth: &PushAuth,
    api: &Api,
) -> Result<Opened, PrError> {
    guard(to, &p.branch)?;
    let sig = git::signature(to.repo, args.author.as_deref())?;
    let commit = git::commit(to.repo, to.base, &p.files, &sig, &p.message)?;
    git::push(to.repo, to.remote, commit, &p.branch, auth)?;
    api.open_or_update(&PullRequestSpec {
        owner: to.owner,
        repo: to.name,
        branch: &p.branch,
        base: &to.base.name,
        title: &p.title,
        body: &p.body,
        draft: args.draft,
        labels: &args.label,
    })
}
