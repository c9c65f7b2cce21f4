//! The patterns of `[[allow]]` and `[[trust]]` entries, for actions and
//! images. They are plain text with one wildcard, `*`, which matches any
//! run of characters (`/` included): these name things, not paths, and a
//! reader should not need glob rules to know what `my-org/*` covers.

use crate::image::ImageRef;
use crate::refs::ActionRef;

/// Whether `text` matches `pattern`, where `*` matches any run of
/// characters. Iterative with one backtrack point, so it is linear-ish and
/// cannot blow up on many stars.
pub(super) fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// An action pattern: `owner/repo[/path][@ref]`.
///
/// The name is compared without case, as GitHub does; the ref with case,
/// as git does. A name covers what is under it: `github/codeql-action`
/// covers `github/codeql-action/init`, since it is the same repository
/// and the same owner's code. Without `@ref`, any ref matches.
#[derive(Debug, Clone)]
pub(super) struct UsesPattern {
    /// Lower case.
    name: String,
    git_ref: Option<String>,
}

impl UsesPattern {
    /// `with_ref` is false for `[[trust]]`, which is about an action
    /// whatever tag it names.
    pub(super) fn parse(text: &str, with_ref: bool) -> Result<Self, &'static str> {
        let (name, git_ref) = match text.split_once('@') {
            Some((_, _)) if !with_ref => {
                return Err(
                    "a trusted action is named without `@ref`: its tags are what is trusted",
                );
            }
            Some((_, "")) => return Err("nothing after `@`"),
            Some((name, r)) => (name, Some(r)),
            None => (text, None),
        };
        if text.chars().any(char::is_whitespace) {
            return Err("it contains spaces");
        }
        let segments: Vec<&str> = name.split('/').collect();
        if segments.len() < 2 {
            return Err("it names no repository: write `owner/repo` or `owner/*`");
        }
        if segments.iter().any(|s| s.is_empty()) {
            return Err("it has an empty part between `/`");
        }
        let ok = |c: char| c.is_ascii_alphanumeric() || "-_.*".contains(c);
        if !name.chars().all(|c| ok(c) || c == '/') {
            return Err("names use letters, digits, `-`, `_`, `.` and `*`");
        }
        if git_ref.is_some_and(|r| r.contains('@')) {
            return Err("it has two `@`");
        }
        Ok(Self {
            name: name.to_ascii_lowercase(),
            git_ref: git_ref.map(str::to_string),
        })
    }

    pub(super) fn matches(&self, action: &ActionRef) -> bool {
        let name = action.name().to_ascii_lowercase();
        let name_ok = wildcard(&self.name, &name)
            || name
                .match_indices('/')
                .any(|(i, _)| wildcard(&self.name, &name[..i]));
        name_ok
            && self
                .git_ref
                .as_deref()
                .is_none_or(|r| wildcard(r, &action.git_ref))
    }
}

/// An image pattern: `name[:tag]`, as written in files.
///
/// Without `*` in the name, names are compared after normalisation, so
/// `postgres` also matches `docker.io/library/postgres`; with `*`, the
/// pattern is matched against the name as written and the normalised one.
/// Without a tag, any tag matches; an image written without a tag has the
/// tag `latest`.
#[derive(Debug, Clone)]
pub(super) struct ImagePattern {
    name: String,
    /// `registry/repository` when the name has no `*`.
    normalised: Option<String>,
    tag: Option<String>,
}

impl ImagePattern {
    pub(super) fn parse(text: &str) -> Result<Self, &'static str> {
        if text.contains('@') {
            return Err("an image pinned to a digest needs no allowing; write `name[:tag]`");
        }
        if text.chars().any(char::is_whitespace) {
            return Err("it contains spaces");
        }
        // The tag follows the last `:` after the last `/` (a `:` before
        // that is a registry's port).
        let last_slash = text.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match text[last_slash..].rfind(':') {
            Some(i) => (&text[..last_slash + i], Some(&text[last_slash + i + 1..])),
            None => (text, None),
        };
        if name.is_empty() {
            return Err("it has no name");
        }
        if tag == Some("") {
            return Err("nothing after `:`");
        }
        let normalised = if name.contains('*') {
            None
        } else {
            let parsed = ImageRef::parse(name).map_err(|_| "not a valid image name")?;
            Some(format!("{}/{}", parsed.registry, parsed.repository))
        };
        Ok(Self {
            name: name.to_string(),
            normalised,
            tag: tag.map(str::to_string),
        })
    }

    pub(super) fn matches(&self, image: &ImageRef) -> bool {
        let normalised = format!("{}/{}", image.registry, image.repository);
        let name_ok = match &self.normalised {
            Some(n) => *n == normalised,
            None => wildcard(&self.name, &image.name) || wildcard(&self.name, &normalised),
        };
        name_ok
            && self
                .tag
                .as_deref()
                .is_none_or(|t| wildcard(t, image.tag_or_latest()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refs::{UsesTarget, classify};

    fn action(text: &str) -> ActionRef {
        match classify(text).unwrap() {
            UsesTarget::Remote(a) => a,
            other => panic!("not remote: {other:?}"),
        }
    }

    fn uses(pattern: &str) -> UsesPattern {
        UsesPattern::parse(pattern, true).unwrap()
    }

    fn image(pattern: &str) -> ImagePattern {
        ImagePattern::parse(pattern).unwrap()
    }

    #[test]
    fn wildcard_matches_runs_of_anything() {
        assert!(wildcard("a*", "a"));
        assert!(wildcard("a*", "a/b/c"));
        assert!(wildcard("*b*", "abc"));
        assert!(wildcard("a*c*e", "abcdcde"));
        assert!(wildcard("exact", "exact"));
        assert!(!wildcard("exact", "exactly"));
        assert!(!wildcard("a*c", "abd"));
        assert!(wildcard("**", ""));
        assert!(!wildcard("*a*a*a*a*a*b", &"a".repeat(200)));
    }

    #[test]
    fn an_exact_uses_pattern_needs_the_same_name_and_ref() {
        let p = uses("my-org/internal-action@main");
        assert!(p.matches(&action("my-org/internal-action@main")));
        assert!(p.matches(&action("My-Org/Internal-Action@main")));
        assert!(!p.matches(&action("my-org/internal-action@Main")));
        assert!(!p.matches(&action("my-org/internal-action@v1")));
        assert!(!p.matches(&action("my-org/internal-action-2@main")));
        assert!(!p.matches(&action("other/internal-action@main")));
    }

    #[test]
    fn a_uses_pattern_without_ref_matches_any_ref() {
        let p = uses("actions/checkout");
        assert!(p.matches(&action("actions/checkout@v4")));
        assert!(p.matches(&action("actions/checkout@main")));
        assert!(!p.matches(&action("actions/checkout-extra@v4")));
    }

    #[test]
    fn an_owner_pattern_covers_every_repository_and_path() {
        let p = uses("actions/*");
        assert!(p.matches(&action("actions/checkout@v4")));
        assert!(p.matches(&action("actions/cache/save@v4")));
        assert!(!p.matches(&action("actions-x/checkout@v4")));
        assert!(!p.matches(&action("github/codeql-action/init@v3")));
    }

    #[test]
    fn a_repository_pattern_covers_its_sub_actions() {
        let p = uses("github/codeql-action@v3");
        assert!(p.matches(&action("github/codeql-action/init@v3")));
        assert!(p.matches(&action("github/codeql-action/analyze@v3")));
        assert!(!p.matches(&action("github/codeql-action/init@v2")));
        let p = uses("github/codeql-action/init");
        assert!(p.matches(&action("github/codeql-action/init@v3")));
        assert!(!p.matches(&action("github/codeql-action/analyze@v3")));
    }

    #[test]
    fn a_ref_pattern_may_have_a_wildcard() {
        let p = uses("my-org/*@release/*");
        assert!(p.matches(&action("my-org/tool@release/1.2")));
        assert!(!p.matches(&action("my-org/tool@main")));
    }

    #[test]
    fn bad_uses_patterns_are_refused() {
        for bad in ["checkout", "a//b", "/a", "a/b@", "a/b@c@d", "a b/c", "a/b!"] {
            assert!(UsesPattern::parse(bad, true).is_err(), "{bad}");
        }
        assert!(UsesPattern::parse("actions/*@v4", false).is_err());
        assert!(UsesPattern::parse("actions/*", false).is_ok());
    }

    #[test]
    fn an_image_pattern_matches_as_written_and_normalised() {
        let p = image("postgres:16");
        assert!(p.matches(&ImageRef::parse("postgres:16").unwrap()));
        assert!(p.matches(&ImageRef::parse("docker.io/library/postgres:16").unwrap()));
        assert!(!p.matches(&ImageRef::parse("postgres:17").unwrap()));
        assert!(!p.matches(&ImageRef::parse("ghcr.io/x/postgres:16").unwrap()));
    }

    #[test]
    fn an_image_pattern_without_tag_matches_any_tag_and_latest() {
        let p = image("redis");
        assert!(p.matches(&ImageRef::parse("redis:7").unwrap()));
        assert!(p.matches(&ImageRef::parse("redis").unwrap()));
        let p = image("redis:latest");
        assert!(p.matches(&ImageRef::parse("redis").unwrap()));
        assert!(!p.matches(&ImageRef::parse("redis:7").unwrap()));
    }

    #[test]
    fn an_image_pattern_with_wildcards() {
        let p = image("ghcr.io/my-org/*");
        assert!(p.matches(&ImageRef::parse("ghcr.io/my-org/app:1").unwrap()));
        assert!(p.matches(&ImageRef::parse("ghcr.io/my-org/a/b").unwrap()));
        assert!(!p.matches(&ImageRef::parse("ghcr.io/other/app:1").unwrap()));
        let p = image("*/library/node:20-*");
        assert!(p.matches(&ImageRef::parse("node:20-alpine").unwrap()));
        assert!(!p.matches(&ImageRef::parse("node:22-alpine").unwrap()));
        let p = image("localhost:5000/app:*");
        assert!(p.matches(&ImageRef::parse("localhost:5000/app:dev").unwrap()));
    }

    #[test]
    fn bad_image_patterns_are_refused() {
        for bad in ["", ":16", "node:", "node@sha256:abc", "no de", "Node"] {
            assert!(ImagePattern::parse(bad).is_err(), "{bad:?}");
        }
    }
}
