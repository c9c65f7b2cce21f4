//! Fetching the ref listings of every repository a run needs: deduplicated,
//! cached, and concurrent with a bound.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::RefListing;
use super::batch::{CachePolicy, resolve_all};
use super::cache::DiskCache;
use super::github::{FetchError, GitHubRefs};
use super::tally::Tally;
use crate::refs::{RepoId, RepoKey};

/// Listings by [`RepoId::key`].
pub type Listings = BTreeMap<RepoKey, Result<Arc<RefListing>, FetchError>>;

pub struct ActionResolver {
    pub github: GitHubRefs,
    pub cache: DiskCache,
    pub offline: bool,
    pub concurrency: usize,
    /// Counts what this resolver answers (shared with the progress bar).
    pub tally: Arc<Tally>,
}

impl ActionResolver {
    /// One listing per unique repository (case-insensitive). Cached
    /// listings are keyed by the server's scheme, host, port and path, so an
    /// answer from one server (or over plain http) never serves another.
    pub async fn resolve(&self, repos: &BTreeSet<RepoId>) -> Listings {
        let server = self.github.cache_origin();
        let mut unique: BTreeMap<RepoKey, &RepoId> = BTreeMap::new();
        for r in repos {
            unique.entry(r.key()).or_insert(r);
        }
        let policy = CachePolicy {
            cache: &self.cache,
            namespace: "refs-v2",
            offline: self.offline,
            forever: false,
            tally: &self.tally,
        };
        resolve_all(
            unique,
            policy,
            self.concurrency,
            |key, _| format!("{server}/{key}"),
            |repo| FetchError::NotCached(repo.to_string()),
            RefListing::is_valid,
            |repo| self.github.list_refs(repo),
        )
        .await
        .into_iter()
        .map(|(key, r)| (key, r.map(Arc::new)))
        .collect()
    }
}
