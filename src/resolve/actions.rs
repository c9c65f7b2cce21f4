//! Fetching the ref listings of every repository a run needs: deduplicated,
//! cached, and concurrent with a bound.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::RefListing;
use super::batch::{CachePolicy, resolve_all};
use super::cache::DiskCache;
use super::github::{FetchError, GitHubRefs};
use crate::refs::RepoId;

/// Listings by [`RepoId::key`].
pub type Listings = BTreeMap<String, Result<Arc<RefListing>, FetchError>>;

pub struct ActionResolver {
    pub github: GitHubRefs,
    pub cache: DiskCache,
    pub offline: bool,
    pub concurrency: usize,
}

impl ActionResolver {
    /// One listing per unique repository (case-insensitive).
    pub async fn resolve(&self, repos: &BTreeSet<RepoId>) -> Listings {
        let host = self.github.host();
        let mut unique: BTreeMap<String, &RepoId> = BTreeMap::new();
        for r in repos {
            unique.entry(format!("{host}/{}", r.key())).or_insert(r);
        }
        let policy = CachePolicy {
            cache: &self.cache,
            namespace: "refs-v1",
            offline: self.offline,
        };
        let fetched = resolve_all(
            unique,
            policy,
            self.concurrency,
            |repo| FetchError::NotCached(repo.to_string()),
            |repo| self.github.list_refs(repo),
        )
        .await;
        fetched
            .into_iter()
            .map(|(key, r)| (key[host.len() + 1..].to_string(), r.map(Arc::new)))
            .collect()
    }
}
