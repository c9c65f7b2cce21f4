//! Remote actions and reusable workflows the knowledge base does not know:
//! which of their files must be fetched (at the commit the `uses:` names),
//! and reading them back for the analysis.
//!
//! Fetching happens in rounds: a composite action or reusable workflow read
//! in one round may call others, which the next round fetches.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::refs::{ActionRef, RepoId, UsesTarget, classify, is_full_sha};
use crate::resolve::files::RemoteFile;
use crate::resolve::github::FetchError;
use crate::resolve::{Needs, Resolved, UnknownRef};
use crate::yaml::YamlDoc;
use crate::yaml::route::{document, entries, get, items};
use crate::yaml::scalar;

use super::kb::Kb;

/// Why a remote action's or workflow's file is not there to read: a typed
/// value, which the analysis keeps inside its reason for leaving a job alone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    /// Not fetched (not wanted in any round, or nothing is fetched).
    #[error("`{0}` was not fetched")]
    NotFetched(ActionRef),
    /// Fetching it failed.
    #[error("cannot read `{action}`: {source}")]
    Unreadable {
        action: ActionRef,
        source: Box<FetchError>,
    },
    /// Its ref is not a commit, and its repository's refs were not listed.
    #[error("the refs of {0} were not listed")]
    NotListed(RepoId),
    /// Listing its repository's refs failed.
    #[error("cannot list {repo}: {source}")]
    CannotList {
        repo: RepoId,
        source: Box<FetchError>,
    },
    /// Its repository has no such tag or branch.
    #[error("{action}: {source}")]
    UnknownRef {
        action: ActionRef,
        source: UnknownRef,
    },
}

/// Reads files of other repositories for the analysis.
pub trait RemoteFiles: Sync {
    /// The text of the action's `action.yml` (`workflow_call`: the workflow
    /// file it names) at the commit its ref names, with a key that tells
    /// one file from another; `Err` says why it is not there.
    fn read(
        &self,
        action: &ActionRef,
        workflow_call: bool,
    ) -> Result<(String, Arc<String>), RemoteError>;
}

/// Nothing is fetched (tests of the analysis alone, `--offline` without a
/// cache): every remote file is missing.
pub struct NoRemote;

impl RemoteFiles for NoRemote {
    fn read(&self, action: &ActionRef, _: bool) -> Result<(String, Arc<String>), RemoteError> {
        Err(RemoteError::NotFetched(action.clone()))
    }
}

/// Where the file for `action` lives, once its ref is resolved to a commit.
enum Wanted {
    File(RemoteFile),
    /// Its repository's refs must be listed first.
    Listing,
    Failed(RemoteError),
}

fn wanted(action: &ActionRef, workflow_call: bool, resolved: &Resolved) -> Wanted {
    let commit = if is_full_sha(&action.git_ref) {
        action.git_ref.to_ascii_lowercase()
    } else {
        match resolved.listings.get(&action.repo.key()) {
            None => return Wanted::Listing,
            Some(Err(e)) => {
                return Wanted::Failed(RemoteError::CannotList {
                    repo: action.repo.clone(),
                    source: Box::new(e.clone()),
                });
            }
            Some(Ok(listing)) => match listing.pin(&action.git_ref) {
                Ok(pin) => pin.commit,
                Err(source) => {
                    return Wanted::Failed(RemoteError::UnknownRef {
                        action: action.clone(),
                        source,
                    });
                }
            },
        }
    };
    Wanted::File(RemoteFile {
        repo: action.repo.clone(),
        commit,
        path: action.path.clone().unwrap_or_default(),
        action: !workflow_call,
    })
}

impl RemoteFiles for Resolved {
    fn read(
        &self,
        action: &ActionRef,
        workflow_call: bool,
    ) -> Result<(String, Arc<String>), RemoteError> {
        match wanted(action, workflow_call, self) {
            Wanted::File(f) => match self.files.get(&f.key()) {
                Some(Ok(text)) => Ok((f.key().to_string(), text.clone())),
                Some(Err(e)) => Err(RemoteError::Unreadable {
                    action: action.clone(),
                    source: Box::new(e.clone()),
                }),
                None => Err(RemoteError::NotFetched(action.clone())),
            },
            Wanted::Listing => Err(RemoteError::NotListed(action.repo.clone())),
            Wanted::Failed(why) => Err(why),
        }
    }
}

/// The remote `uses:` of a parsed workflow or action file, with whether
/// each calls a reusable workflow.
fn remote_uses(doc: &YamlDoc) -> Vec<(ActionRef, bool)> {
    let Some(root) = document(doc) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut push = |node: Option<tree_sitter::Node<'_>>, workflow_call: bool| {
        let Some(value) = node.and_then(|n| scalar(doc, n)) else {
            return;
        };
        if let Ok(UsesTarget::Remote(a) | UsesTarget::Pinned(a)) = classify(&value.value) {
            found.push((a, workflow_call));
        }
    };
    if let Some(steps) = get(doc, root, "runs").and_then(|r| get(doc, r, "steps")) {
        for step in items(steps) {
            push(get(doc, step, "uses"), false);
        }
    }
    // A workflow or job that declares its permissions is left as it is:
    // what it calls need not be read.
    if get(doc, root, "permissions").is_some() {
        return found;
    }
    if let Some(jobs) = get(doc, root, "jobs") {
        for (_, _, job) in entries(doc, jobs) {
            let Some(job) = job.filter(|j| get(doc, *j, "permissions").is_none()) else {
                continue;
            };
            push(get(doc, job, "uses"), true);
            if let Some(steps) = get(doc, job, "steps") {
                for step in items(steps) {
                    push(get(doc, step, "uses"), false);
                }
            }
        }
    }
    found
}

/// The remote `uses:` of a workflow or fetched file that the knowledge base
/// does not explain: only their files can.
pub fn unexplained_uses(doc: &YamlDoc, kb: &Kb) -> Vec<(ActionRef, bool)> {
    remote_uses(doc)
        .into_iter()
        .filter(|(a, _)| kb.action_at(&a.name(), None).is_empty())
        .collect()
}

/// What the next round must fetch for `uses` (collected from the workflows
/// being fixed) and for the files fetched so far: listings of repositories
/// not yet listed, and the files themselves.
pub fn more_needs(
    uses: &BTreeSet<(ActionRef, bool)>,
    kb: &Kb,
    resolved: &Resolved,
    needs: &mut Needs,
) {
    let fetched: Vec<(ActionRef, bool)> = resolved
        .files
        .values()
        .filter_map(|r| r.as_ref().ok())
        .filter_map(|text| YamlDoc::parse(text.to_string()).ok())
        .flat_map(|doc| unexplained_uses(&doc, kb))
        .collect();
    for (action, workflow_call) in uses.iter().chain(&fetched) {
        match wanted(action, *workflow_call, resolved) {
            Wanted::Listing => {
                needs.repos.insert(action.repo.clone());
            }
            Wanted::File(f) if !resolved.files.contains_key(&f.key()) => {
                needs.files.insert(f);
            }
            Wanted::File(_) | Wanted::Failed(_) => {}
        }
    }
}
