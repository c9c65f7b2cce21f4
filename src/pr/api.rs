//! The GitHub API as one repository's `pr` uses it: releases for the
//! update section, then the pull requests. One client (the token goes to
//! the checked API base only) on a runtime of its own, since `pr` runs on
//! plain threads.

use std::collections::BTreeMap;
use std::time::Duration;

use octocrab::Octocrab;
use tokio::runtime::Runtime;

use super::Session;
use crate::publish::PrError;
use crate::publish::pulls::{self, Opened, PullRequestSpec};
use crate::publish::releases;
use crate::publish::updates::Release;
use crate::refs::{RepoId, RepoKey};

pub(super) struct Api {
    runtime: Runtime,
    crab: Octocrab,
}

impl Api {
    pub(super) fn new(session: &Session, timeout: Duration) -> Result<Self, PrError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let crab = {
            let _inside = runtime.enter();
            pulls::client(&session.api_base, &session.token, timeout)?
        };
        Ok(Self { runtime, crab })
    }

    /// The releases of each repository, where the API gave them. One that
    /// failed (no releases API on the server, no access) is left out: its
    /// update lists tags instead, and the pull request is still made.
    pub(super) fn releases(&self, repos: &[RepoId]) -> BTreeMap<RepoKey, Vec<Release>> {
        let asked = futures::future::join_all(
            repos
                .iter()
                .map(|repo| async move { (repo.key(), releases::list(&self.crab, repo).await) }),
        );
        self.runtime
            .block_on(asked)
            .into_iter()
            .filter_map(|(key, list)| Some((key, list.ok()?)))
            .collect()
    }

    pub(super) fn open_or_update(&self, spec: &PullRequestSpec<'_>) -> Result<Opened, PrError> {
        self.runtime
            .block_on(pulls::open_or_update(&self.crab, spec))
    }
}
