//! The `ignore` globs: paths, relative to the configuration's folder, that
//! are never read (fixtures, vendored code).
//!
//! `*` stays within one folder and `**` crosses folders, as in
//! `.gitignore`, so `tests/fixtures/**` means what it looks like. A path is
//! ignored when it or a folder above it matches, so both `vendor` and
//! `vendor/**` ignore everything in `vendor/`, and a walker can skip the
//! folder without listing it.

use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// The compiled globs.
#[derive(Debug, Clone)]
pub(super) struct IgnoreSet {
    set: GlobSet,
}

impl Default for IgnoreSet {
    fn default() -> Self {
        Self {
            set: GlobSet::empty(),
        }
    }
}

/// Builds an [`IgnoreSet`] one glob at a time, so a bad glob is reported
/// with its own position.
pub(super) struct IgnoreBuilder {
    builder: GlobSetBuilder,
}

impl Default for IgnoreBuilder {
    fn default() -> Self {
        Self {
            builder: GlobSetBuilder::new(),
        }
    }
}

impl IgnoreBuilder {
    pub(super) fn add(&mut self, glob: &str) -> Result<(), String> {
        if glob.starts_with('/') || Path::new(glob).is_absolute() {
            return Err("globs are relative to the configuration's folder".to_string());
        }
        let glob = glob.strip_prefix("./").unwrap_or(glob);
        let glob = glob.strip_suffix('/').unwrap_or(glob);
        if glob.is_empty() {
            return Err("it is empty".to_string());
        }
        let compiled = GlobBuilder::new(glob)
            .literal_separator(true)
            .build()
            .map_err(|e| e.kind().to_string())?;
        self.builder.add(compiled);
        Ok(())
    }

    pub(super) fn build(self) -> Result<IgnoreSet, String> {
        let set = self.builder.build().map_err(|e| e.to_string())?;
        Ok(IgnoreSet { set })
    }
}

impl IgnoreSet {
    /// Whether `path` (absolute and normalised) is `root` or below it and
    /// matched, itself or through a folder above it.
    pub(super) fn matches(&self, root: &Path, path: &Path) -> bool {
        let Ok(relative) = path.strip_prefix(root) else {
            return false;
        };
        relative
            .ancestors()
            .filter(|p| !p.as_os_str().is_empty())
            .any(|p| self.set.is_match(p))
    }
}

/// `path` made absolute (from the current folder) with `.` and `..`
/// removed by reading them, without touching the file system: symbolic
/// links are not resolved, so a path and the configuration's folder given
/// the same way compare equal.
pub(super) fn normalise(path: &Path) -> std::io::Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(globs: &[&str]) -> IgnoreSet {
        let mut b = IgnoreBuilder::default();
        for g in globs {
            b.add(g).unwrap();
        }
        b.build().unwrap()
    }

    #[test]
    fn globs_match_relative_to_the_root() {
        let root = Path::new("/repo");
        let s = set(&["tests/fixtures/**", "vendor", "*.generated.yml"]);
        assert!(s.matches(root, Path::new("/repo/tests/fixtures/a.yml")));
        assert!(s.matches(root, Path::new("/repo/tests/fixtures/deep/b/c.yml")));
        assert!(s.matches(root, Path::new("/repo/vendor/x/action.yml")));
        assert!(s.matches(root, Path::new("/repo/vendor")));
        assert!(s.matches(root, Path::new("/repo/ci.generated.yml")));
        // `*` stays in one folder.
        assert!(!s.matches(root, Path::new("/repo/sub/ci.generated.yml")));
        // The same names elsewhere, or outside the root, are not ignored.
        assert!(!s.matches(root, Path::new("/repo/src/tests/fixtures/a.yml")));
        assert!(!s.matches(root, Path::new("/other/vendor/a.yml")));
        assert!(!s.matches(root, Path::new("/repo")));
        assert!(!s.matches(root, Path::new("/repo/vendored/a.yml")));
    }

    #[test]
    fn leading_dot_slash_and_trailing_slash_are_dropped() {
        let root = Path::new("/repo");
        let s = set(&["./vendor/", "./a/**/*.yml"]);
        assert!(s.matches(root, Path::new("/repo/vendor/a")));
        assert!(s.matches(root, Path::new("/repo/a/b/c.yml")));
        assert!(s.matches(root, Path::new("/repo/a/c.yml")));
    }

    #[test]
    fn bad_globs_are_refused() {
        let mut b = IgnoreBuilder::default();
        assert!(b.add("/abs/**").is_err());
        assert!(b.add("").is_err());
        assert!(b.add("a/[b").is_err());
        assert!(b.add("a/{b,c").is_err());
    }

    #[test]
    fn normalise_reads_dots() {
        assert_eq!(
            normalise(Path::new("/a/./b/../c")).unwrap(),
            PathBuf::from("/a/c")
        );
        assert!(normalise(Path::new("rel")).unwrap().is_absolute());
    }
}
