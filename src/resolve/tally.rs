//! Counting what resolution does while it does it: how many items each
//! resolver was asked for, how many are answered, and how (from the cache,
//! fetched, failed).
//!
//! Atomics, not a lock: the batch's futures count from the runtime's
//! threads while a progress display reads from its own, and neither may
//! wait on the other. Nothing here prints; `progress` draws the bar and
//! `render` prints the `--verbose` lines.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// How one item's answer came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    /// A cached answer (fresh, or of any age offline).
    FromCache,
    /// Fetched from its server.
    Fetched,
    /// Neither: the fetch failed, or offline and not cached.
    Failed,
}

/// The counts of one resolver (repositories, images or files).
#[derive(Debug, Default)]
pub struct Tally {
    queued: AtomicUsize,
    cached: AtomicUsize,
    fetched: AtomicUsize,
    failed: AtomicUsize,
}

/// A reading of a [`Tally`], or of several added up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub queued: usize,
    pub cached: usize,
    pub fetched: usize,
    pub failed: usize,
}

impl Counts {
    /// Items answered, one way or another.
    pub fn done(&self) -> usize {
        self.cached + self.fetched + self.failed
    }

    fn add(self, other: Counts) -> Counts {
        Counts {
            queued: self.queued + other.queued,
            cached: self.cached + other.cached,
            fetched: self.fetched + other.fetched,
            failed: self.failed + other.failed,
        }
    }
}

impl Tally {
    /// `n` more items will be answered (a batch is starting).
    pub fn queue(&self, n: usize) {
        self.queued.fetch_add(n, Ordering::Relaxed);
    }

    /// One item is answered.
    pub fn finish(&self, how: Finished) {
        let counter = match how {
            Finished::FromCache => &self.cached,
            Finished::Fetched => &self.fetched,
            Finished::Failed => &self.failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn counts(&self) -> Counts {
        Counts {
            queued: self.queued.load(Ordering::Relaxed),
            cached: self.cached.load(Ordering::Relaxed),
            fetched: self.fetched.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }
}

/// The tallies of the three resolvers of a network run, shared with the
/// resolvers (which count) and the progress display (which reads), and
/// whether resolution is over, so the display knows when to go.
#[derive(Debug, Default)]
pub struct Tallies {
    pub repos: Arc<Tally>,
    pub images: Arc<Tally>,
    pub files: Arc<Tally>,
    pub commits: Arc<Tally>,
    over: AtomicBool,
}

impl Tallies {
    /// All three added up: what a progress bar counts.
    pub fn total(&self) -> Counts {
        self.repos
            .counts()
            .add(self.images.counts())
            .add(self.files.counts())
            .add(self.commits.counts())
    }

    /// No round follows: the run has moved on from resolving.
    pub fn end(&self) {
        self.over.store(true, Ordering::Relaxed);
    }

    pub fn is_over(&self) -> bool {
        self.over.load(Ordering::Relaxed)
    }
}

/// What one kind of answer cost a run, for `--verbose`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindStats {
    /// `repositories`, `images` or `files`.
    pub kind: &'static str,
    pub counts: Counts,
    /// Requests sent for them, retries included.
    pub requests: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_add_up_every_resolver() {
        let t = Tallies::default();
        t.repos.queue(2);
        t.images.queue(1);
        t.repos.finish(Finished::FromCache);
        t.repos.finish(Finished::Fetched);
        t.images.finish(Finished::Failed);
        let total = t.total();
        assert_eq!((total.queued, total.done()), (3, 3));
        assert_eq!(
            t.repos.counts(),
            Counts {
                queued: 2,
                cached: 1,
                fetched: 1,
                failed: 0
            }
        );
        assert!(!t.is_over());
        t.end();
        assert!(t.is_over());
    }
}
