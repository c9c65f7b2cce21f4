//! Fetching the digest of every image a run needs: deduplicated by
//! registry/repository:tag, cached, concurrent.

use std::collections::BTreeMap;

use super::batch::{CachePolicy, resolve_all};
use super::cache::DiskCache;
use super::oci::{OciError, RegistryClient};
use crate::image::ImageRef;

/// Digests by [`ImageRef::key`].
pub type Digests = BTreeMap<String, Result<String, OciError>>;

pub struct ImageResolver {
    pub registry: RegistryClient,
    pub cache: DiskCache,
    pub offline: bool,
    pub concurrency: usize,
}

impl ImageResolver {
    pub async fn resolve(&self, images: &BTreeMap<String, ImageRef>) -> Digests {
        let policy = CachePolicy {
            cache: &self.cache,
            namespace: "images-v1",
            offline: self.offline,
        };
        resolve_all(
            images.clone(),
            policy,
            self.concurrency,
            |image| OciError::NotCached(image.key()),
            |image| async move { self.registry.digest(&image).await },
        )
        .await
    }
}
