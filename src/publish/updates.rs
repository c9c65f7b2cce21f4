//! What `update` moved, as a reviewer wants to see it: per dependency, from
//! and to, the compare view, the releases in between, and whether a major
//! version was crossed. Also what `pr --group none` splits on: each
//! dependency's changes, branch and title.
//!
//! Everything is read back from the changes hardpin itself wrote
//! (`owner/repo@<sha> # v4.2.2`, `name:tag@sha256:…`) and from the tag
//! listings the run already fetched, so no transform knows about pull
//! requests.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Url;

use crate::diagnostics::Change;
use crate::image::ImageRef;
use crate::refs::{RepoId, RepoKey, UsesTarget, classify};
use crate::report::FileReport;
use crate::resolve::actions::Listings;
use crate::transforms::pin_images::UPDATE_NAME as UPDATE_IMAGES;
use crate::transforms::update_actions::NAME as UPDATE_ACTIONS;
use crate::version::{TagVersion, cmp_versions};

/// Releases (or tags) listed per update; the rest are only counted, so a
/// long-neglected pin does not make a body GitHub refuses.
pub const SHOWN: usize = 20;

/// What an update moves, and what gets a pull request of its own with
/// `--group none`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dependency {
    /// An action's repository: every action and path in it moves together.
    Action(RepoId),
    /// An image under one tag (`node:20-alpine`), written as in the file.
    Image { name: String, tag: String },
}

impl Dependency {
    /// What the dependency is filed under: repositories compare
    /// case-insensitively, as GitHub does.
    fn key(&self) -> String {
        match self {
            Dependency::Action(repo) => repo.key().to_string(),
            Dependency::Image { name, tag } => format!("{name}:{tag}"),
        }
    }

    /// The branch of its own pull request: `hardpin/update/<owner>-<repo>`,
    /// or the image with `/` and `:` as `-`. Always a valid ref name or
    /// refused later with the others ([`crate::refs::validate_ref`]).
    pub fn branch(&self) -> String {
        let tail = match self {
            Dependency::Action(repo) => format!("{}-{}", repo.owner, repo.name),
            Dependency::Image { name, tag } => format!("{name}:{tag}").replace(['/', ':'], "-"),
        };
        format!("hardpin/update/{tail}")
    }

    /// Is `change` one of this dependency's moves?
    pub fn owns(&self, change: &Change) -> bool {
        dependency_of(change).is_some_and(|d| d.key() == self.key())
    }
}

impl std::fmt::Display for Dependency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dependency::Action(repo) => write!(f, "{repo}"),
            Dependency::Image { name, tag } => write!(f, "{name}:{tag}"),
        }
    }
}

/// One move of one dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    pub dependency: Dependency,
    pub detail: Detail,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    Action(Box<ActionMove>),
    Image(ImageMove),
}

/// An action moved from one version tag to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionMove {
    pub from: String,
    pub to: String,
    pub from_sha: String,
    pub to_sha: String,
    /// The major version changed (`update --major`): read the release notes.
    pub major: bool,
    /// `{server}/{owner}/{repo}/compare/{from}...{to}`, when the server URL
    /// is one.
    pub compare: Option<Url>,
    /// `{server}/{owner}/{repo}/releases`.
    pub releases: Option<Url>,
    /// What lies in between, when anything tells.
    pub between: Option<Between>,
}

/// An image tag that now names another digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageMove {
    pub from: String,
    pub to: String,
}

/// The releases after `from` up to `to`, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Between {
    pub source: Source,
    pub shown: Vec<Release>,
    /// Left out after [`SHOWN`].
    pub more: usize,
}

/// Where [`Between`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The releases API: names and release notes.
    Releases,
    /// The tag listing: without a token, when the API failed, or when the
    /// repository publishes tags only.
    Tags,
}

/// A release (or a bare tag) of a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub tag: String,
    pub name: Option<String>,
    /// Its page: the API's `html_url`, or the tag's page on the server.
    pub url: Option<Url>,
}

/// The dependency an update change moves; `None` for every other change.
pub fn dependency_of(change: &Change) -> Option<Dependency> {
    match change.transform {
        UPDATE_ACTIONS => {
            let (value, _) = change.before.split_once(" # ")?;
            match classify(value) {
                Ok(UsesTarget::Pinned(action)) => Some(Dependency::Action(action.repo)),
                _ => None,
            }
        }
        UPDATE_IMAGES => {
            let image = ImageRef::parse(&change.before).ok()?;
            Some(Dependency::Image {
                tag: image.tag_or_latest().to_string(),
                name: image.name,
            })
        }
        _ => None,
    }
}

/// Is `change` an update (what `--group none` moves out of the fix's pull
/// request)?
pub fn is_update(change: &Change) -> bool {
    dependency_of(change).is_some()
}

/// Every change the reports' fixed files hold.
fn changes(reports: &[FileReport]) -> impl Iterator<Item = &Change> {
    reports
        .iter()
        .filter(|r| r.fixed.is_some())
        .flat_map(|r| &r.changes)
}

/// The dependencies the reports update, each once, in order.
pub fn dependencies(reports: &[FileReport]) -> Vec<Dependency> {
    let mut seen = BTreeMap::new();
    for d in changes(reports).filter_map(dependency_of) {
        seen.entry(d.key()).or_insert(d);
    }
    seen.into_values().collect()
}

/// The repositories whose actions moved: whose releases are worth asking for.
pub fn repositories(reports: &[FileReport]) -> Vec<RepoId> {
    dependencies(reports)
        .into_iter()
        .filter_map(|d| match d {
            Dependency::Action(repo) => Some(repo),
            Dependency::Image { .. } => None,
        })
        .collect()
}

/// The title of a dependency's own pull request: `Update actions/checkout
/// to v4.2.2`, `Update node:20 to sha256:0123456789ab`.
pub fn title(dependency: &Dependency, updates: &[Update]) -> String {
    let targets: BTreeSet<String> = updates
        .iter()
        .filter(|u| u.dependency.key() == dependency.key())
        .map(|u| match &u.detail {
            Detail::Action(a) => a.to.clone(),
            Detail::Image(i) => short_digest(&i.to).to_string(),
        })
        .collect();
    let targets: Vec<String> = targets.into_iter().collect();
    format!("Update {dependency} to {}", targets.join(", "))
}

/// `sha256:` and the first 12 hex digits: enough to tell digests apart.
pub fn short_digest(digest: &str) -> &str {
    let end = digest.find(':').map_or(0, |i| i + 1) + 12;
    digest.get(..end).unwrap_or(digest)
}

/// What the run's tag listings and the releases the API gave (by
/// repository; absent when it was not asked or failed) say about each move,
/// one per dependency, origin and target, in dependency order. `server` is
/// the GitHub server the links point to.
pub fn collect(
    reports: &[FileReport],
    server: Option<&Url>,
    listings: &Listings,
    releases: &BTreeMap<RepoKey, Vec<Release>>,
) -> Vec<Update> {
    let mut rows: BTreeMap<(String, String, String), Update> = BTreeMap::new();
    for c in changes(reports) {
        let Some(update) = parse(c, server, listings, releases) else {
            continue;
        };
        let (from, to) = match &update.detail {
            Detail::Action(a) => (a.from.clone(), a.to.clone()),
            Detail::Image(i) => (i.from.clone(), i.to.clone()),
        };
        rows.entry((update.dependency.key(), from, to))
            .or_insert(update);
    }
    rows.into_values().collect()
}

fn parse(
    change: &Change,
    server: Option<&Url>,
    listings: &Listings,
    releases: &BTreeMap<RepoKey, Vec<Release>>,
) -> Option<Update> {
    let dependency = dependency_of(change)?;
    let detail = match &dependency {
        Dependency::Action(repo) => Detail::Action(Box::new(action_move(
            change, repo, server, listings, releases,
        )?)),
        Dependency::Image { .. } => Detail::Image(ImageMove {
            from: ImageRef::parse(&change.before).ok()?.digest?,
            to: ImageRef::parse(&change.after).ok()?.digest?,
        }),
    };
    Some(Update { dependency, detail })
}

/// An update-actions change (`owner/repo@<sha> # v4.1.0` to `… # v4.2.2`)
/// with its links, and what lies between: the API's releases if any fall
/// in the range, else the listing's tags.
fn action_move(
    change: &Change,
    repo: &RepoId,
    server: Option<&Url>,
    listings: &Listings,
    releases: &BTreeMap<RepoKey, Vec<Release>>,
) -> Option<ActionMove> {
    let (old, from) = change.before.split_once(" # ")?;
    let (new, to) = change.after.split_once(" # ")?;
    let sha = |v: &str| v.rsplit_once('@').map(|(_, s)| s.to_string());
    let range = VersionRange {
        from: TagVersion::parse(from)?,
        to: TagVersion::parse(to)?,
    };
    let from_api = releases
        .get(&repo.key())
        .into_iter()
        .flatten()
        .filter_map(|r| Some((range.holds(&r.tag)?, r.clone())))
        .collect();
    let from_tags = || {
        let Some(Ok(listing)) = listings.get(&repo.key()) else {
            return Vec::new();
        };
        listing
            .tags
            .keys()
            .filter_map(|tag| range.holds(tag).map(|v| (v, tag)))
            // Floating tags (`v4`, `v4.2`) name releases listed already.
            .filter(|(v, _)| v.parts.len() == range.to.parts.len())
            .map(|(v, tag)| {
                let page = repo_url(server, repo, &["releases", "tag", tag]);
                let release = Release {
                    tag: tag.clone(),
                    name: None,
                    url: page,
                };
                (v, release)
            })
            .collect()
    };
    Some(ActionMove {
        from: from.to_string(),
        to: to.to_string(),
        from_sha: sha(old)?,
        to_sha: sha(new)?,
        major: range.from.parts.first() != range.to.parts.first(),
        compare: repo_url(server, repo, &["compare", &format!("{from}...{to}")]),
        releases: repo_url(server, repo, &["releases"]),
        between: newest_first(Source::Releases, from_api)
            .or_else(|| newest_first(Source::Tags, from_tags())),
    })
}

/// The releases an update crosses: after `from`, up to and with `to`.
struct VersionRange {
    from: TagVersion,
    to: TagVersion,
}

impl VersionRange {
    /// `tag`'s version if it is a release (no pre-release) in the range.
    fn holds(&self, tag: &str) -> Option<TagVersion> {
        TagVersion::parse(tag).filter(|v| {
            v.pre.is_none()
                && cmp_versions(v, &self.from).is_gt()
                && cmp_versions(v, &self.to).is_le()
        })
    }
}

/// The releases newest first, [`SHOWN`] of them; `None` when there are none.
fn newest_first(source: Source, mut all: Vec<(TagVersion, Release)>) -> Option<Between> {
    if all.is_empty() {
        return None;
    }
    all.sort_by(|a, b| cmp_versions(&b.0, &a.0));
    let more = all.len().saturating_sub(SHOWN);
    Some(Between {
        source,
        shown: all.into_iter().take(SHOWN).map(|(_, r)| r).collect(),
        more,
    })
}

/// `{server}/{owner}/{repo}/{tail…}`, each part percent-encoded as a path
/// segment (a tag read from a comment may hold anything but whitespace).
fn repo_url(server: Option<&Url>, repo: &RepoId, tail: &[&str]) -> Option<Url> {
    let mut url = server?.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.path_segments_mut()
        .ok()?
        .pop_if_empty()
        .push(&repo.owner)
        .push(&repo.name)
        .extend(tail);
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Applicability;
    use crate::resolve::RefListing;
    use std::sync::Arc;

    fn sha(n: u8) -> String {
        format!("{n:040x}")
    }

    fn change(transform: &'static str, before: String, after: String) -> Change {
        Change {
            transform,
            line: 1,
            column: 1,
            before,
            after,
            why: String::new(),
            applicability: Applicability::Safe,
        }
    }

    fn report(changes: Vec<Change>) -> FileReport {
        FileReport {
            fixed: Some(String::new()),
            changes,
            ..FileReport::empty("ci.yml".into())
        }
    }

    fn checkout(from: &str, to: &str) -> Change {
        change(
            UPDATE_ACTIONS,
            format!("actions/checkout@{} # {from}", sha(1)),
            format!("actions/checkout@{} # {to}", sha(2)),
        )
    }

    fn listings(tags: &[&str]) -> Listings {
        let listing = RefListing {
            tags: tags.iter().map(|t| (t.to_string(), sha(3))).collect(),
            ..RefListing::default()
        };
        let repo = crate::refs::parse_repo("actions/checkout").unwrap();
        [(repo.key(), Ok(Arc::new(listing)))].into_iter().collect()
    }

    fn server() -> Url {
        Url::parse("https://ghe.example.com/").unwrap()
    }

    fn action(u: &Update) -> &ActionMove {
        match &u.detail {
            Detail::Action(a) => a,
            Detail::Image(_) => panic!("an image"),
        }
    }

    #[test]
    fn tags_between_without_releases() {
        let reports = [report(vec![checkout("v4.1.0", "v4.2.2")])];
        let tags = [
            "v4",
            "v4.1.0",
            "v4.1.1",
            "v4.2",
            "v4.2.2",
            "v4.3.0",
            "v4.2.0-rc.1",
        ];
        let updates = collect(
            &reports,
            Some(&server()),
            &listings(&tags),
            &BTreeMap::new(),
        );
        assert_eq!(updates.len(), 1);
        let a = action(&updates[0]);
        assert_eq!(
            a.compare.as_ref().unwrap().as_str(),
            "https://ghe.example.com/actions/checkout/compare/v4.1.0...v4.2.2"
        );
        assert!(!a.major);
        let between = a.between.as_ref().unwrap();
        assert_eq!(between.source, Source::Tags);
        let shown: Vec<&str> = between.shown.iter().map(|r| r.tag.as_str()).collect();
        assert_eq!(shown, ["v4.2.2", "v4.1.1"]);
        assert_eq!(
            between.shown[0].url.as_ref().unwrap().as_str(),
            "https://ghe.example.com/actions/checkout/releases/tag/v4.2.2"
        );
    }

    #[test]
    fn releases_win_and_are_capped() {
        let reports = [report(vec![checkout("v1.0.0", "v2.30.0")])];
        let mut releases: Vec<Release> = (0..=30)
            .map(|n| Release {
                tag: format!("v2.{n}.0"),
                name: Some(format!("Release {n}")),
                url: None,
            })
            .collect();
        releases.push(Release {
            tag: "v2.31.0".into(),
            name: None,
            url: None,
        });
        let repo = crate::refs::parse_repo("actions/checkout").unwrap();
        let by_repo = [(repo.key(), releases)].into_iter().collect();
        let updates = collect(&reports, None, &listings(&["v2.30.0"]), &by_repo);
        let a = action(&updates[0]);
        assert!(a.major);
        assert!(a.compare.is_none());
        let between = a.between.as_ref().unwrap();
        assert_eq!(between.source, Source::Releases);
        assert_eq!(between.shown.len(), SHOWN);
        assert_eq!(between.shown[0].tag, "v2.30.0");
        assert_eq!(between.more, 31 - SHOWN);
    }

    #[test]
    fn odd_tags_are_encoded_in_links() {
        let reports = [report(vec![checkout("v1.0.0-a)|b/c", "v1.0.1")])];
        let updates = collect(
            &reports,
            Some(&server()),
            &BTreeMap::new(),
            &BTreeMap::new(),
        );
        let url = action(&updates[0])
            .compare
            .as_ref()
            .unwrap()
            .as_str()
            .to_string();
        // `/` would be another segment; the rest is the body's to escape.
        assert!(url.ends_with("/compare/v1.0.0-a)|b%2Fc...v1.0.1"), "{url}");
    }

    #[test]
    fn dependencies_branches_and_titles() {
        let image = change(
            UPDATE_IMAGES,
            format!("ghcr.io/o/img:1.2@sha256:{}", "a".repeat(64)),
            format!("ghcr.io/o/img:1.2@sha256:{}", "b".repeat(64)),
        );
        let other = change(
            "pin-actions",
            "a/b@v1".into(),
            format!("a/b@{} # v1", sha(1)),
        );
        let reports = [report(vec![
            checkout("v4.1.0", "v4.2.2"),
            image.clone(),
            other.clone(),
            checkout("v4.1.0", "v4.2.2"),
        ])];
        let deps = dependencies(&reports);
        assert_eq!(deps.len(), 2);
        assert_eq!(deps[0].branch(), "hardpin/update/actions-checkout");
        assert_eq!(deps[1].branch(), "hardpin/update/ghcr.io-o-img-1.2");
        assert!(deps[1].owns(&image) && !deps[0].owns(&image) && !is_update(&other));
        let updates = collect(&reports, None, &BTreeMap::new(), &BTreeMap::new());
        assert_eq!(updates.len(), 2, "the same move twice is one row");
        assert_eq!(
            title(&deps[0], &updates),
            "Update actions/checkout to v4.2.2"
        );
        assert_eq!(
            title(&deps[1], &updates),
            "Update ghcr.io/o/img:1.2 to sha256:bbbbbbbbbbbb"
        );
        assert_eq!(repositories(&reports), [deps_repo()]);
    }

    fn deps_repo() -> RepoId {
        crate::refs::parse_repo("actions/checkout").unwrap()
    }
}
