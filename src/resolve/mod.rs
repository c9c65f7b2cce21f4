//! Turning mutable refs into immutable ones.
//!
//! Fetching (I/O) lives in [`github`] and [`cache`]; choosing the commit and
//! its comment from a ref listing is pure and lives here.

pub mod actions;
pub mod batch;
pub mod cache;
pub mod commits;
pub mod docker_config;
pub mod files;
pub mod github;
pub mod http;
pub mod images;
pub mod memory;
pub mod network;
pub mod oci;
pub mod pktline;
pub mod tally;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::image::{ImageKey, ImageRef};
use crate::refs::{ActionRef, RepoId, is_object_id, is_safe_listed_ref};
use crate::version::most_specific;
use actions::Listings;
use commits::{CommitQuery, Commits};
use files::{Files, RemoteFile};
use images::{Digests, Indexes};

/// Answers what a run needs. The network implementation asks git servers,
/// registries and raw-file hosts; the in-memory one answers from a table,
/// so transforms can be tested without any server.
pub trait Resolver: Sync {
    /// Answer every need; what cannot be answered is an error per item.
    fn resolve(&self, needs: &Needs) -> Resolved;
    /// Requests sent so far, retries included.
    fn request_count(&self) -> usize {
        0
    }
    /// What each kind of answer cost so far, for `--verbose`; empty when
    /// the resolver does not count (the in-memory one).
    fn stats(&self) -> Vec<tally::KindStats> {
        Vec::new()
    }
    /// Resolution is over for this run (no round follows), so whatever
    /// shows its progress can go before the files are fixed.
    fn end(&self) {}
}

/// What must be fetched before transforms can produce edits.
#[derive(Debug, Default)]
pub struct Needs {
    pub repos: BTreeSet<RepoId>,
    /// Images by [`ImageRef::key`].
    pub images: BTreeMap<ImageKey, ImageRef>,
    /// Files of other repositories (remote actions, reusable workflows).
    pub files: BTreeSet<RemoteFile>,
    /// Remote actions (`false`) and reusable workflows (`true`) that only
    /// their files can explain: what later rounds fetch.
    pub remote_uses: BTreeSet<(ActionRef, bool)>,
    /// Commits pinned by SHA (audit): once their repositories' listings
    /// are known, those that are no branch or tag tip become `commits`.
    pub pinned_commits: BTreeSet<(RepoId, String)>,
    /// Pinned commits to look for in their repositories (audit).
    pub commits: BTreeSet<CommitQuery>,
    /// Images whose whole manifest is wanted, platforms and all (audit).
    pub indexes: BTreeMap<ImageKey, ImageRef>,
}

impl Needs {
    pub fn is_empty(&self) -> bool {
        self.repos.is_empty()
            && self.images.is_empty()
            && self.files.is_empty()
            && self.commits.is_empty()
            && self.indexes.is_empty()
    }

    /// Add what another file needs.
    pub fn merge(&mut self, other: Needs) {
        self.repos.extend(other.repos);
        self.images.extend(other.images);
        self.files.extend(other.files);
        self.remote_uses.extend(other.remote_uses);
        self.pinned_commits.extend(other.pinned_commits);
        self.commits.extend(other.commits);
        self.indexes.extend(other.indexes);
    }

    /// Drop what `resolved` already answers.
    pub fn retain_unresolved(&mut self, resolved: &Resolved) {
        self.repos
            .retain(|r| !resolved.listings.contains_key(&r.key()));
        self.images.retain(|k, _| !resolved.images.contains_key(k));
        self.files
            .retain(|f| !resolved.files.contains_key(&f.key()));
        self.commits
            .retain(|c| !resolved.commits.contains_key(&c.key()));
        self.indexes
            .retain(|k, _| !resolved.indexes.contains_key(k));
    }
}

/// Everything fetched for a run.
#[derive(Debug, Default)]
pub struct Resolved {
    pub listings: Listings,
    pub images: Digests,
    pub files: Files,
    pub commits: Commits,
    pub indexes: Indexes,
}

impl Resolved {
    /// Add the answers of a later round.
    pub fn merge(&mut self, more: Resolved) {
        self.listings.extend(more.listings);
        self.images.extend(more.images);
        self.files.extend(more.files);
        self.commits.extend(more.commits);
        self.indexes.extend(more.indexes);
    }
}

/// Every tag and branch of a repository, tags peeled to the commit they name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefListing {
    pub tags: BTreeMap<String, String>,
    pub heads: BTreeMap<String, String>,
    /// Names left out because they are not safe to write (escaped).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
}

/// Where a ref was pinned, and the comment that tells a reader what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub commit: String,
    pub comment: String,
    /// The ref named both a tag and a branch; the tag won.
    pub ambiguous: bool,
    /// The ref is a branch: the workflow may have meant to follow it.
    pub branch: bool,
}

/// The ref is neither a tag nor a branch of the repository.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no tag or branch `{0}`")]
pub struct UnknownRef(pub String);

impl RefListing {
    /// Is this listing what a well-behaved server could have sent? Checked
    /// on everything loaded from the cache, which anyone with write access
    /// to the cache folder could have edited.
    pub fn is_valid(&self) -> bool {
        self.tags
            .iter()
            .chain(&self.heads)
            .all(|(name, id)| is_safe_listed_ref(name) && is_object_id(id))
            && self
                .skipped
                .iter()
                .all(|s| !s.chars().any(crate::printable::is_unsafe))
    }

    /// Pin `git_ref`: a tag wins over a branch of the same name (that is what
    /// GitHub runs). A tag's comment is the most specific version tag on the
    /// same commit; a branch's comment is the branch name.
    pub fn pin(&self, git_ref: &str) -> Result<Pin, UnknownRef> {
        let short = git_ref
            .strip_prefix("refs/tags/")
            .or_else(|| git_ref.strip_prefix("refs/heads/"))
            .unwrap_or(git_ref);
        let as_tag = (!git_ref.starts_with("refs/heads/"))
            .then(|| self.tags.get(short))
            .flatten();
        let as_branch = (!git_ref.starts_with("refs/tags/"))
            .then(|| self.heads.get(short))
            .flatten();
        match (as_tag, as_branch) {
            (Some(commit), branch) => {
                let same_commit: Vec<&str> = self
                    .tags
                    .iter()
                    .filter(|(_, c)| *c == commit)
                    .map(|(t, _)| t.as_str())
                    .collect();
                Ok(Pin {
                    commit: commit.clone(),
                    comment: most_specific(short, &same_commit).to_string(),
                    ambiguous: branch.is_some(),
                    branch: false,
                })
            }
            (None, Some(commit)) => Ok(Pin {
                commit: commit.clone(),
                comment: short.to_string(),
                ambiguous: false,
                branch: true,
            }),
            (None, None) => Err(UnknownRef(git_ref.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing() -> RefListing {
        let c = |n: u8| format!("{n:040x}");
        RefListing {
            tags: [
                ("v4", 1),
                ("v4.2", 1),
                ("v4.2.2", 1),
                ("v4.2.1", 2),
                ("main", 3),
            ]
            .into_iter()
            .map(|(t, n)| (t.to_string(), c(n)))
            .collect(),
            heads: [("main", 4), ("releases/v1", 5)]
                .into_iter()
                .map(|(t, n)| (t.to_string(), c(n)))
                .collect(),
            skipped: Vec::new(),
        }
    }

    #[test]
    fn tag_gets_most_specific_comment() {
        let p = listing().pin("v4").unwrap();
        assert_eq!(p.commit, format!("{:040x}", 1));
        assert_eq!(p.comment, "v4.2.2");
        assert!(!p.ambiguous);
    }

    #[test]
    fn branch_comment_is_branch() {
        let p = listing().pin("releases/v1").unwrap();
        assert_eq!(
            (p.commit, p.comment),
            (format!("{:040x}", 5), "releases/v1".into())
        );
    }

    #[test]
    fn tag_wins_over_branch_and_is_flagged() {
        let p = listing().pin("main").unwrap();
        assert_eq!(p.commit, format!("{:040x}", 3));
        assert!(p.ambiguous);
        let b = listing().pin("refs/heads/main").unwrap();
        assert_eq!(b.commit, format!("{:040x}", 4));
    }

    #[test]
    fn unknown_ref() {
        assert!(listing().pin("v9").is_err());
    }
}
