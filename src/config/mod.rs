//! The configuration file, `hardpin.toml`: what a repository tells hardpin
//! once instead of on every command line.
//!
//! Why TOML in a file at the root, rather than `.github/hardpin.yml`: the
//! permissions knowledge base, which the file extends, is TOML already;
//! the `toml` parser gives the exact position of every value, so every
//! mistake is reported with its line and column; TOML has no implicit
//! typing (`on` is not `true`, `3.10` is not `3.1`); and hardpin also
//! reads Dockerfiles and Compose files outside `.github/`, so the file
//! belongs next to the code, where other tools' configurations are found.
//!
//! The file is found by walking up from the target ([`Config::find`]) or
//! named with `--config` ([`Config::load`]). Keys are kebab-case and any
//! key hardpin does not know is an error: a misspelt `ignore` that was
//! silently dropped would pin or report exactly what the user excluded.
//!
//! ```toml
//! only = ["pin-actions"]                        # default --only (flags win)
//! skip = []                                     # default --skip
//! ignore = ["tests/fixtures/**", "vendor/**"]   # never read; relative to this folder
//! disable = ["HP011"]                           # audit rules never reported
//! permissions-kb = ["ci/kb.toml"]               # knowledge-base additions
//!
//! [[allow]]                                     # left unpinned on purpose
//! uses = "my-org/internal-action@main"
//! reason = "our own action, released from main"
//! [[allow]]
//! image = "postgres:16"
//! reason = "the test database follows its tag"
//!
//! [[trust]]                                     # tags allowed, branches still pinned
//! uses = "actions/*"
//! reason = "GitHub's own actions"
//! ```
//!
//! This module only reads and answers questions; applying the answers
//! (and the inline `# hardpin: ignore` comments, see [`suppress`](super::suppress))
//! is the commands' job.

mod error;
mod file;
mod names;
mod paths;
mod pattern;

use std::path::{Path, PathBuf};

pub use error::{ConfigError, Location};
pub use names::{TRANSFORM_NAMES, is_transform};

use crate::image::ImageRef;
use crate::refs::ActionRef;
use paths::{IgnoreSet, normalise};
use pattern::{ImagePattern, UsesPattern};

/// The configuration file's name.
pub const FILE_NAME: &str = "hardpin.toml";

/// A checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from; `None` for [`Config::empty`].
    pub path: Option<PathBuf>,
    /// The file's folder (absolute): `ignore` globs and knowledge-base
    /// paths are relative to it.
    pub root: PathBuf,
    /// Default `--only`; the command line, when it has any, wins.
    pub only: Vec<String>,
    /// Default `--skip`; the command line, when it has any, wins.
    pub skip: Vec<String>,
    /// Audit rules never reported, as their canonical ids (`HP011`).
    pub disable: Vec<&'static str>,
    /// Knowledge-base files to add, absolute; each exists when loaded.
    pub permissions_kb: Vec<PathBuf>,
    allow: Vec<Allow>,
    trust: Vec<Trust>,
    ignore: IgnoreSet,
}

/// Something left unpinned on purpose.
#[derive(Debug, Clone)]
struct Allow {
    target: Target,
    reason: String,
}

#[derive(Debug, Clone)]
enum Target {
    Uses(UsesPattern),
    Image(ImagePattern),
}

/// Actions whose tags are trusted.
#[derive(Debug, Clone)]
struct Trust {
    pattern: UsesPattern,
    reason: String,
}

impl Config {
    /// The configuration when there is no file: nothing ignored, allowed
    /// or disabled, so callers need not handle "no configuration" apart.
    pub fn empty(root: &Path) -> Self {
        Self {
            path: None,
            root: normalise(root).unwrap_or_else(|_| root.to_path_buf()),
            only: Vec::new(),
            skip: Vec::new(),
            disable: Vec::new(),
            permissions_kb: Vec::new(),
            allow: Vec::new(),
            trust: Vec::new(),
            ignore: IgnoreSet::default(),
        }
    }

    /// The nearest `hardpin.toml` at or above `start` (a file or a
    /// folder), read and checked. The walk stops at the top of the git
    /// repository (a folder holding `.git`), after looking there: a file
    /// above the repository belongs to someone else's project, or to the
    /// user's home, and would change results depending on where the
    /// repository was cloned.
    pub fn find(start: &Path) -> Result<Option<Self>, ConfigError> {
        let start = normalise(start).map_err(|source| ConfigError::Read {
            path: start.to_path_buf(),
            source,
        })?;
        let mut dir = if start.is_dir() {
            start.as_path()
        } else {
            match start.parent() {
                Some(parent) => parent,
                None => return Ok(None),
            }
        };
        loop {
            let candidate = dir.join(FILE_NAME);
            if candidate.is_file() {
                return Self::load(&candidate).map(Some);
            }
            if dir.join(".git").exists() {
                return Ok(None);
            }
            match dir.parent() {
                Some(parent) => dir = parent,
                None => return Ok(None),
            }
        }
    }

    /// Read and check the file at `path` (`--config FILE`). Errors name
    /// `path` as given, with the line and column of the mistake.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Check `text` as if it were the contents of `path` (only
    /// knowledge-base paths are looked at on disk).
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        file::parse(text, path)
    }

    /// Whether `path` is never to be read: it, or a folder above it, is
    /// matched by an `ignore` glob. A relative path is taken from the
    /// current folder, as the command line gives it; a path outside the
    /// root is never ignored.
    pub fn ignores(&self, path: &Path) -> bool {
        normalise(path).is_ok_and(|p| self.ignore.matches(&self.root, &p))
    }

    /// The reason `action` is allowed to stay as written, if an `[[allow]]`
    /// entry names it (the first that does).
    pub fn allowed_uses(&self, action: &ActionRef) -> Option<&str> {
        self.allow.iter().find_map(|a| match &a.target {
            Target::Uses(p) if p.matches(action) => Some(a.reason.as_str()),
            _ => None,
        })
    }

    /// The reason `image` is allowed to stay on its tag, if an `[[allow]]`
    /// entry names it (the first that does).
    pub fn allowed_image(&self, image: &ImageRef) -> Option<&str> {
        self.allow.iter().find_map(|a| match &a.target {
            Target::Image(p) if p.matches(image) => Some(a.reason.as_str()),
            _ => None,
        })
    }

    /// The reason `action`'s tags are trusted, if a `[[trust]]` entry names
    /// it. The ref is not looked at: whether it is a tag (trusted) or a
    /// branch (still pinned) is for the caller, which has resolved it.
    pub fn trusted(&self, action: &ActionRef) -> Option<&str> {
        self.trust
            .iter()
            .find(|t| t.pattern.matches(action))
            .map(|t| t.reason.as_str())
    }

    /// Whether audit rule `rule_id` (any case) is disabled.
    pub fn disabled(&self, rule_id: &str) -> bool {
        self.disable.iter().any(|d| d.eq_ignore_ascii_case(rule_id))
    }
}

#[cfg(test)]
mod tests;
