//! Fetching the ref listings of every repository a run needs: deduplicated,
//! cached, and concurrent with a bound.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::StreamExt;

use super::RefListing;
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
    fn cache_key(&self, repo: &RepoId) -> String {
        format!("{}/{}", self.github.host(), repo.key())
    }

    /// One listing per unique repository (case-insensitive).
    pub async fn resolve(&self, repos: &BTreeSet<RepoId>) -> Listings {
        let mut unique: BTreeMap<String, &RepoId> = BTreeMap::new();
        for r in repos {
            unique.entry(r.key()).or_insert(r);
        }
        futures::stream::iter(unique)
            .map(|(key, repo)| async move { (key, self.resolve_one(repo).await.map(Arc::new)) })
            .buffer_unordered(self.concurrency.max(1))
            .collect()
            .await
    }

    async fn resolve_one(&self, repo: &RepoId) -> Result<RefListing, FetchError> {
        let key = self.cache_key(repo);
        if let Some(hit) = self.cache.get("refs-v1", &key, self.offline) {
            return Ok(hit);
        }
        if self.offline {
            return Err(FetchError::NotCached(repo.to_string()));
        }
        let listing = self.github.list_refs(repo).await?;
        self.cache.put("refs-v1", &key, &listing);
        Ok(listing)
    }
}
