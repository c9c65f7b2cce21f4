//! Fetching the digest of every image a run needs: deduplicated by
//! registry/repository:tag, cached, concurrent.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::batch::{CachePolicy, resolve_all};
use super::cache::DiskCache;
use super::oci::{OciError, RegistryClient, is_digest};
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

impl ImageResolver {
    /// Cached digests are keyed by the endpoint asked (scheme, host, port,
    /// mirror) as well as the image, so a mirror's or a plain-http answer
    /// never serves another endpoint.
    pub async fn resolve(&self, images: &BTreeMap<ImageKey, ImageRef>) -> Digests {
        let policy = CachePolicy {
            cache: &self.cache,
            namespace: "images-v2",
            offline: self.offline,
            forever: false,
            tally: &self.tally,
        };
        resolve_all(
            images.clone(),
            policy,
            self.concurrency,
            |key, image| {
                let endpoint = self
                    .registry
                    .endpoint(&image.registry)
                    .map_or_else(|_| "-".to_string(), |u| u.to_string());
                format!("{endpoint} {key}")
            },
            |image| OciError::NotCached(image.key().to_string()),
            |d: &String| is_digest(d),
            |image| async move { self.registry.digest(&image).await },
        )
        .await
    }
}
