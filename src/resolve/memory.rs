//! A resolver that answers from tables in memory: what transform tests (and
//! anyone embedding hardpin with answers of their own) resolve against.
//! What is not in a table is "not found", exactly as a server would say.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::commits::{CommitKey, Reachability};
use super::files::FileKey;
use super::github::FetchError;
use super::oci::ImageIndex;
use super::oci::OciError;
use super::{Needs, RefListing, Resolved, Resolver};
use crate::image::ImageKey;
use crate::refs::RepoKey;

#[derive(Debug, Default)]
pub struct MemoryResolver {
    /// Ref listings by [`crate::refs::RepoId::key`].
    pub listings: BTreeMap<RepoKey, RefListing>,
    /// Index digests by [`crate::image::ImageRef::key`].
    pub images: BTreeMap<ImageKey, String>,
    /// File texts by [`super::files::RemoteFile::key`].
    pub files: BTreeMap<FileKey, String>,
    /// Where pinned commits are found, by [`super::commits::CommitQuery::key`].
    pub commits: BTreeMap<CommitKey, Reachability>,
    /// Whole manifests by [`crate::image::ImageRef::key`].
    pub indexes: BTreeMap<ImageKey, ImageIndex>,
    /// Items asked for: one per unique repository, image or file.
    asked: AtomicUsize,
}

impl Resolver for MemoryResolver {
    fn resolve(&self, needs: &Needs) -> Resolved {
        let mut resolved = Resolved::default();
        for repo in &needs.repos {
            let key = repo.key();
            let answer = self
                .listings
                .get(&key)
                .map(|l| Arc::new(l.clone()))
                .ok_or_else(|| FetchError::NotFound(repo.to_string()));
            resolved.listings.insert(key, answer);
        }
        for (key, image) in &needs.images {
            let answer = self
                .images
                .get(key)
                .cloned()
                .ok_or_else(|| OciError::NotFound {
                    image: image.to_string(),
                });
            resolved.images.insert(key.clone(), answer);
        }
        for file in &needs.files {
            let key = file.key();
            let answer = self
                .files
                .get(&key)
                .map(|t| Arc::new(t.clone()))
                .ok_or_else(|| FetchError::NotFound(format!("{}@{}", file.repo, file.commit)));
            resolved.files.insert(key, answer);
        }
        for q in &needs.commits {
            let answer = self
                .commits
                .get(&q.key())
                .cloned()
                .ok_or_else(|| FetchError::NotFound(q.repo.to_string()));
            resolved.commits.insert(q.key(), answer);
        }
        for (key, image) in &needs.indexes {
            let answer = self
                .indexes
                .get(key)
                .cloned()
                .ok_or_else(|| OciError::NotFound {
                    image: image.to_string(),
                });
            resolved.indexes.insert(key.clone(), answer);
        }
        self.asked.fetch_add(
            resolved.listings.len()
                + resolved.images.len()
                + resolved.files.len()
                + resolved.commits.len()
                + resolved.indexes.len(),
            Ordering::Relaxed,
        );
        resolved
    }

    fn request_count(&self) -> usize {
        self.asked.load(Ordering::Relaxed)
    }
}
