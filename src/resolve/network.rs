//! The resolver that asks the servers: git smart-HTTP for action refs,
//! registries for image digests, raw-file hosts for other repositories'
//! files. All three run at the same time, each with its own bounded
//! concurrency and cache.

use super::actions::ActionResolver;
use super::commits::CommitResolver;
use super::files::FileResolver;
use super::images::ImageResolver;
use super::tally::{KindStats, Tallies};
use super::{Needs, Resolved, Resolver};

pub struct NetworkResolver {
    pub actions: ActionResolver,
    pub images: ImageResolver,
    pub files: FileResolver,
    pub commits: CommitResolver,
    /// One runtime for the whole run: later rounds reuse its threads.
    pub runtime: tokio::runtime::Runtime,
    /// The three resolvers' tallies (each holds its own `Arc` of one), for
    /// a progress display to read while they count.
    pub tallies: std::sync::Arc<Tallies>,
}

impl NetworkResolver {
    /// The async runtime the resolvers run on.
    pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    }
}

impl Resolver for NetworkResolver {
    fn resolve(&self, needs: &Needs) -> Resolved {
        let (listings, images, files, commits, indexes) = self.runtime.block_on(async {
            tokio::join!(
                self.actions.resolve(&needs.repos),
                self.images.resolve(&needs.images),
                self.files.resolve(&needs.files),
                self.commits.resolve(&needs.commits),
                self.images.resolve_indexes(&needs.indexes),
            )
        });
        Resolved {
            listings,
            images,
            files,
            commits,
            indexes,
        }
    }

    fn request_count(&self) -> usize {
        self.actions.github.request_count()
            + self.images.registry.request_count()
            + self.files.request_count()
            + self.commits.request_count()
    }

    fn stats(&self) -> Vec<KindStats> {
        vec![
            KindStats {
                kind: "repositories",
                counts: self.tallies.repos.counts(),
                requests: self.actions.github.request_count(),
            },
            KindStats {
                kind: "images",
                counts: self.tallies.images.counts(),
                requests: self.images.registry.request_count(),
            },
            KindStats {
                kind: "files",
                counts: self.tallies.files.counts(),
                requests: self.files.request_count(),
            },
            KindStats {
                kind: "commits",
                counts: self.tallies.commits.counts(),
                requests: self.commits.request_count(),
            },
        ]
    }

    fn end(&self) {
        self.tallies.end();
    }
}
