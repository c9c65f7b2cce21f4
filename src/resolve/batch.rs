//! Resolving many keys at once: each unique key once, served from the cache
//! when fresh, otherwise fetched, all in flight together up to a bound.

use std::collections::BTreeMap;
use std::future::Future;

use futures::StreamExt;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::cache::DiskCache;
use super::tally::{Finished, Tally};

/// How a batch consults the cache.
pub struct CachePolicy<'a> {
    pub cache: &'a DiskCache,
    pub namespace: &'a str,
    /// Use cached answers of any age and fetch nothing.
    pub offline: bool,
    /// Answers that never change (a file at a commit): any age is fresh.
    pub forever: bool,
    /// Counts each item as it is answered, for the progress bar and
    /// `--verbose`: this is the one place every fetch passes through.
    pub tally: &'a Tally,
}

/// Resolve every `(key, item)`, answering by the same keys. `cache_key`
/// names an item in the cache, which also holds what the answer depends on
/// (the server or endpoint asked); `not_cached` makes the error for an item
/// that is missing from the cache in offline mode. A cached value that fails
/// `valid` is treated as missing: the cache folder is outside data too.
#[allow(clippy::too_many_arguments)]
pub async fn resolve_all<K, I, V, E, F, Fut>(
    items: BTreeMap<K, I>,
    policy: CachePolicy<'_>,
    concurrency: usize,
    cache_key: impl Fn(&K, &I) -> String,
    not_cached: impl Fn(&I) -> E,
    valid: impl Fn(&V) -> bool,
    fetch: F,
) -> BTreeMap<K, Result<V, E>>
where
    K: Ord,
    V: Serialize + DeserializeOwned,
    F: Fn(I) -> Fut,
    Fut: Future<Output = Result<V, E>>,
{
    let policy = &policy;
    policy.tally.queue(items.len());
    let (fetch, not_cached, valid, cache_key) = (&fetch, &not_cached, &valid, &cache_key);
    futures::stream::iter(items)
        .map(|(key, item)| async move {
            let any_age = policy.offline || policy.forever;
            let stored = cache_key(&key, &item);
            let hit = policy.cache.get(policy.namespace, &stored, any_age);
            if let Some(hit) = hit.filter(|v| valid(v)) {
                policy.tally.finish(Finished::FromCache);
                return (key, Ok(hit));
            }
            if policy.offline {
                policy.tally.finish(Finished::Failed);
                return (key, Err(not_cached(&item)));
            }
            let result = fetch(item).await;
            if let Ok(v) = &result {
                policy.cache.put(policy.namespace, &stored, v);
            }
            policy.tally.finish(if result.is_ok() {
                Finished::Fetched
            } else {
                Finished::Failed
            });
            (key, result)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await
}
