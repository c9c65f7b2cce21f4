//! Version-like tag names (`v4`, `v4.2`, `v4.2.2`, `1.0.0-rc.1`) and the choice
//! of the tag that names a commit most precisely.

use std::cmp::Ordering;

/// A tag read as a version: an optional `v`, one to three numbers, and an
/// optional pre-release or build suffix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagVersion {
    pub parts: Vec<u64>,
    pub pre: Option<String>,
}

impl TagVersion {
    pub fn parse(tag: &str) -> Option<Self> {
        let body = tag.strip_prefix(['v', 'V']).unwrap_or(tag);
        let (core, pre) = match body.find(['-', '+']) {
            Some(i) => (&body[..i], Some(body[i + 1..].to_string())),
            None => (body, None),
        };
        let parts: Vec<u64> = core
            .split('.')
            .map(|p| p.parse().ok())
            .collect::<Option<_>>()?;
        if parts.is_empty()
            || parts.len() > 3
            || core.split('.').any(|p| p.is_empty() || p.starts_with('+'))
        {
            return None;
        }
        Some(Self { parts, pre })
    }

    /// Does `self` fall within `other`'s range (`4.2.2` within `4`)?
    pub fn within(&self, other: &TagVersion) -> bool {
        self.parts.starts_with(&other.parts)
    }
}

pub fn cmp_versions(a: &TagVersion, b: &TagVersion) -> Ordering {
    a.parts
        .cmp(&b.parts)
        // A release sorts above its pre-releases.
        .then_with(|| match (&a.pre, &b.pre) {
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => cmp_pre(x, y),
            (None, None) => Ordering::Equal,
        })
}

/// Pre-releases in SemVer's order (`rc.9` < `rc.10`, numbers below words),
/// as text where one is not a SemVer pre-release.
fn cmp_pre(a: &str, b: &str) -> Ordering {
    match (semver::Prerelease::new(a), semver::Prerelease::new(b)) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

/// Of `candidates` (tags on the same commit as `requested`), the most specific
/// version tag: `v4` → `v4.2.2`. Prefers tags within the requested range, then
/// more components, then releases over pre-releases, then the highest. Returns
/// `requested` itself when no candidate reads as a version.
pub fn most_specific<'a>(requested: &'a str, candidates: &[&'a str]) -> &'a str {
    let wanted = TagVersion::parse(requested);
    let key = |v: &TagVersion| {
        let inside = wanted.as_ref().is_none_or(|w| v.within(w));
        (inside, v.parts.len(), v.pre.is_none())
    };
    candidates
        .iter()
        .filter_map(|&tag| TagVersion::parse(tag).map(|v| (tag, v)))
        .max_by(|(_, a), (_, b)| key(a).cmp(&key(b)).then_with(|| cmp_versions(a, b)))
        .map_or(requested, |(tag, _)| tag)
}

/// The newest tag in `tags` that is a full release version within `range`
/// (same major when `same_major`), for `hardpin update`.
pub fn newest_release<'a>(
    current: &str,
    tags: impl IntoIterator<Item = &'a str>,
    same_major: bool,
) -> Option<&'a str> {
    let cur = TagVersion::parse(current)?;
    tags.into_iter()
        .filter_map(|t| TagVersion::parse(t).map(|v| (t, v)))
        .filter(|(_, v)| v.pre.is_none() && v.parts.len() == cur.parts.len())
        .filter(|(_, v)| !same_major || v.parts.first() == cur.parts.first())
        .max_by(|a, b| cmp_versions(&a.1, &b.1))
        .map(|(t, _)| t)
}

/// The highest release in `tags`, of any major (pre-releases and names
/// that are not versions left out), for a new pin of an action the file
/// does not name a version of yet. Of equal versions the most specific
/// wins (`v2.10.1` over `v2`).
pub fn newest_of<'a>(tags: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    tags.into_iter()
        .filter_map(|t| TagVersion::parse(t).map(|v| (t, v)))
        .filter(|(_, v)| v.pre.is_none())
        .max_by(|a, b| cmp_versions(&a.1, &b.1))
        .map(|(t, _)| t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!(TagVersion::parse("v4.2.2").unwrap().parts, [4, 2, 2]);
        assert_eq!(
            TagVersion::parse("1.0.0-rc.1").unwrap().pre.as_deref(),
            Some("rc.1")
        );
        assert!(TagVersion::parse("release-2024").is_none());
        assert!(TagVersion::parse("v1.2.3.4").is_none());
        assert!(TagVersion::parse("v").is_none());
    }

    #[test]
    fn picks_most_specific() {
        assert_eq!(most_specific("v4", &["v4", "v4.2", "v4.2.2"]), "v4.2.2");
        assert_eq!(most_specific("v4", &["v4", "v4.2.2", "v5.0.0"]), "v4.2.2");
        assert_eq!(
            most_specific("v2", &["v2", "v2.0.0-rc1", "v2.0.0"]),
            "v2.0.0"
        );
        assert_eq!(most_specific("main", &["v1.1.0", "v1.0.9"]), "v1.1.0");
        assert_eq!(most_specific("stable", &["stable", "latest"]), "stable");
    }

    #[test]
    fn pre_releases_in_semver_order() {
        let v = |t: &str| TagVersion::parse(t).unwrap();
        assert_eq!(
            cmp_versions(&v("1.0.0-rc.9"), &v("1.0.0-rc.10")),
            Ordering::Less
        );
        assert_eq!(
            cmp_versions(&v("1.0.0-alpha"), &v("1.0.0-alpha.1")),
            Ordering::Less
        );
        assert_eq!(
            cmp_versions(&v("1.0.0-1"), &v("1.0.0-alpha")),
            Ordering::Less
        );
        assert_eq!(cmp_versions(&v("1.0.0-rc.10"), &v("1.0.0")), Ordering::Less);
        assert_eq!(
            most_specific("v2", &["v2", "v2.0.0-rc.9", "v2.0.0-rc.10"]),
            "v2.0.0-rc.10"
        );
    }

    #[test]
    fn newest_of_any_major() {
        let tags = [
            "v2",
            "v2.10.1",
            "v2.9.0",
            "v3.0.0-rc.1",
            "main-build",
            "v1.99.0",
        ];
        assert_eq!(newest_of(tags), Some("v2.10.1"));
        assert_eq!(newest_of(["v2", "v1.0.0"]), Some("v2"));
        assert_eq!(newest_of(["v2.0.0", "v2"]), Some("v2.0.0"));
        assert_eq!(newest_of(["nightly", "v1.0.0-beta"]), None);
    }

    #[test]
    fn newest_in_major() {
        let tags = [
            "v4.1.0",
            "v4.2.2",
            "v4.10.0",
            "v5.0.0",
            "v4.11.0-beta",
            "v4",
        ];
        assert_eq!(newest_release("v4.1.0", tags, true), Some("v4.10.0"));
        assert_eq!(newest_release("v4.1.0", tags, false), Some("v5.0.0"));
    }
}
