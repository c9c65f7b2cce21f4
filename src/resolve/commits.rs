//! Is a pinned commit on a branch or tag of the repository that names it?
//!
//! GitHub serves the commits of every fork under the parent repository's
//! name, so `owner/action@<sha>` may run code the owner never accepted (an
//! "impostor commit"). A SHA that is a branch or tag tip is settled by the
//! ref listing alone; any other is asked of the REST API's compare endpoint
//! against the repository's branches, then its tags (as zizmor does): the
//! commit is reachable from a ref when the comparison says the SHA is
//! `behind` it or `identical` to it. Answers are cached forever: a commit
//! that was reachable stays so unless history is rewritten.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::batch::{CachePolicy, resolve_all};
use super::cache::DiskCache;
use super::github::FetchError;
use super::http::HttpClient;
use super::tally::Tally;
use crate::refs::{RepoId, is_full_sha};
use crate::secret::Secret;

/// The most refs one commit is compared against: branches first, then the
/// newest tags. A commit on none of them is reported as not verified past
/// that many, never as an impostor.
pub const MAX_REFS: usize = 40;

/// A commit to look for in a repository, and where.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CommitQuery {
    pub repo: RepoId,
    /// 40 lower-case hex digits.
    pub sha: String,
    /// Branch and tag names to compare against, in order.
    pub refs: Vec<String>,
    /// How many refs the repository has (more than `refs` when capped).
    pub of: usize,
}

impl CommitQuery {
    pub fn key(&self) -> CommitKey {
        CommitKey(format!("{}@{}", self.repo.key(), self.sha))
    }
}

/// What reachability answers are filed under: `owner/name@sha`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommitKey(String);

impl CommitKey {
    pub fn new(repo: &RepoId, sha: &str) -> Self {
        Self(format!("{}@{}", repo.key(), sha.to_ascii_lowercase()))
    }
}

impl std::fmt::Display for CommitKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a commit was found, if anywhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Reachability {
    /// The commit is in the history of this ref.
    Reachable { from: String },
    /// In the history of none of the `checked` refs (of `of`).
    Unreachable { checked: usize, of: usize },
    /// Not asked (no token, an API that may not have it).
    Unverified { reason: String },
}

pub type Commits = BTreeMap<CommitKey, Result<Reachability, FetchError>>;

pub struct CommitResolver {
    pub http: Arc<HttpClient>,
    /// The REST API base (`https://api.github.com`, `{server}/api/v3`).
    pub api: reqwest::Url,
    /// Present only when it may be sent to `api` (https, or loopback).
    pub token: Option<Secret>,
    pub cache: DiskCache,
    pub offline: bool,
    pub concurrency: usize,
    /// Counts what this resolver answers (shared with the progress bar).
    pub tally: Arc<Tally>,
}

/// The largest compare answer read: its `status` comes first, but the
/// answer lists commits and files too.
const MAX_ANSWER: usize = 8 << 20;

impl CommitResolver {
    pub fn request_count(&self) -> usize {
        self.http.request_count()
    }

    pub async fn resolve(&self, queries: &BTreeSet<CommitQuery>) -> Commits {
        let Some(token) = &self.token else {
            // Not cached: a later run with a token must ask.
            let reason = "set GITHUB_TOKEN to let hardpin ask the GitHub API";
            return queries
                .iter()
                .map(|q| {
                    let answer = Reachability::Unverified {
                        reason: reason.into(),
                    };
                    (q.key(), Ok(answer))
                })
                .collect();
        };
        let items: BTreeMap<CommitKey, CommitQuery> =
            queries.iter().map(|q| (q.key(), q.clone())).collect();
        let api = self.api.as_str().trim_end_matches('/').to_string();
        resolve_all(
            items,
            CachePolicy {
                cache: &self.cache,
                namespace: "commits-v1",
                offline: self.offline,
                forever: true,
                tally: &self.tally,
            },
            self.concurrency,
            |key, _| format!("{api} {key}"),
            |q| FetchError::NotCached(format!("{}@{}", q.repo, q.sha)),
            |r: &Reachability| !matches!(r, Reachability::Unverified { .. }),
            |q| async move { self.check(&q, token).await },
        )
        .await
    }

    /// Compare the commit with each ref until one contains it.
    async fn check(&self, q: &CommitQuery, token: &Secret) -> Result<Reachability, FetchError> {
        let host = self.api.host_str().unwrap_or_default().to_string();
        if !is_full_sha(&q.sha) {
            return Err(FetchError::Protocol {
                repo: q.repo.to_string(),
                host,
                reason: format!("`{}` is not a commit id", q.sha),
            });
        }
        for r in &q.refs {
            let mut url = self.api.clone();
            url.path_segments_mut()
                .map_err(|()| FetchError::Protocol {
                    repo: q.repo.to_string(),
                    host: host.clone(),
                    reason: "the API URL cannot take a path".into(),
                })?
                .pop_if_empty()
                .extend([
                    "repos",
                    &q.repo.owner,
                    &q.repo.name,
                    "compare",
                    &format!("{r}...{}", q.sha),
                ]);
            let resp = self
                .http
                .fetch(
                    |c| {
                        c.get(url.clone())
                            .header(reqwest::header::ACCEPT, "application/vnd.github+json")
                            .header(reqwest::header::USER_AGENT, "hardpin")
                            .bearer_auth(token.expose())
                    },
                    MAX_ANSWER,
                )
                .await
                .map_err(|e| FetchError::Network {
                    host: host.clone(),
                    reason: e.to_string(),
                })?;
            match resp.status.as_u16() {
                200 => {
                    #[derive(Deserialize)]
                    struct Comparison {
                        status: String,
                    }
                    let c: Comparison =
                        serde_json::from_slice(&resp.body).map_err(|e| FetchError::Protocol {
                            repo: q.repo.to_string(),
                            host: host.clone(),
                            reason: format!("the comparison is not the expected JSON ({e})"),
                        })?;
                    if matches!(c.status.as_str(), "behind" | "identical") {
                        return Ok(Reachability::Reachable { from: r.clone() });
                    }
                }
                // The commit is not in this ref's network at all, or the
                // ref is gone: not from this ref.
                404 | 422 => {}
                401 | 403 => {
                    return Err(FetchError::Denied {
                        repo: q.repo.to_string(),
                        status: resp.status.as_u16(),
                    });
                }
                status => {
                    return Err(FetchError::Status {
                        repo: q.repo.to_string(),
                        host,
                        status,
                    });
                }
            }
        }
        Ok(Reachability::Unreachable {
            checked: q.refs.len(),
            of: q.of,
        })
    }
}
