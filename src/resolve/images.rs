//! Fetching the digest of every image a run needs: deduplicated by
//! registry/repository:tag, cached, concurrent.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::batch::{CachePolicy, resolve_all};
use super::cache::DiskCache;
use super::oci::{ImageIndex, OciError, RegistryClient, is_digest};
use super::tally::Tally;
use crate::image::{ImageKey, ImageRef};

/// Digests by [`ImageRef::key`].
pub type Digests = BTreeMap<ImageKey, Result<String, OciError>>;

pub struct ImageResolver {
    pub registry: RegistryClient,
    pub cache: DiskCache,
    pub offline: bool,
    pub concurrency: usize,
    /// Counts what this resolver answers (shared with the progress bar).
    pub tally: Arc<Tally>,
}

/// Indexes by [`ImageRef::key`].
pub type Indexes = BTreeMap<ImageKey, Result<ImageIndex, OciError>>;

impl ImageResolver {
    /// Cached digests are keyed by the endpoint asked (scheme, host, port,
    /// mirror) as well as the image, so a mirror's or a plain-http answer
    /// never serves another endpoint.
    pub async fn resolve(&self, images: &BTreeMap<ImageKey, ImageRef>) -> Digests {
        resolve_all(
            images.clone(),
            self.policy("images-v2"),
            self.concurrency,
            |key, image| self.cache_key(key, image),
            |image| OciError::NotCached(image.key().to_string()),
            |d: &String| is_digest(d),
            |image| async move { self.registry.digest(&image).await },
        )
        .await
    }

    /// The manifests the tags name, with the platforms of each index.
    pub async fn resolve_indexes(&self, images: &BTreeMap<ImageKey, ImageRef>) -> Indexes {
        resolve_all(
            images.clone(),
            self.policy("indexes-v1"),
            self.concurrency,
            |key, image| self.cache_key(key, image),
            |image| OciError::NotCached(image.key().to_string()),
            ImageIndex::is_valid,
            |image| async move { self.registry.index(&image).await },
        )
        .await
    }

    fn policy<'a>(&'a self, namespace: &'a str) -> CachePolicy<'a> {
        CachePolicy {
            cache: &self.cache,
            namespace,
            offline: self.offline,
            forever: false,
            tally: &self.tally,
        }
    }

    fn cache_key(&self, key: &ImageKey, image: &ImageRef) -> String {
        let endpoint = self
            .registry
            .endpoint(&image.registry)
            .map_or_else(|_| "-".to_string(), |u| u.to_string());
        format!("{endpoint} {key}")
    }
}
