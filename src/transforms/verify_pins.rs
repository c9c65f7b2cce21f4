//! What `hardpin audit` checks in references that are already pinned:
//!
//! - HP004: the version comment names a tag that points at another commit;
//! - HP005: the commit is on no branch or tag of the repository that names
//!   it (an impostor commit from a fork);
//! - HP006: an image is pinned to one platform's manifest of the index its
//!   tag names.
//!
//! And `fix-comments` (`hardpin fix --fix-comments`), which rewrites a lying
//! comment to the tag that does point at the commit.

use std::ops::Range;

use super::pin_images::pinned_images;
use super::update_actions::{VersionPin, version_pins};
use super::{Outcome, Transform, listing};
use crate::diagnostics::{AllowedChanges, Applicability, Change, Edit, Severity};
use crate::image::ImageRef;
use crate::resolve::commits::{CommitKey, CommitQuery, MAX_REFS, Reachability};
use crate::resolve::{Needs, RefListing, Resolved};
use crate::rules::{HP004, HP005, HP006, Rule};
use crate::source::SourceFile;
use crate::version::{TagVersion, cmp_versions, most_specific};

const NAME: &str = "verify-pins";

/// `hardpin audit`'s checks of existing pins.
pub struct VerifyPins;

/// Pins found in one file.
pub struct Pins {
    actions: Vec<VersionPin>,
    images: Vec<(Range<usize>, ImageRef)>,
}

impl Transform for VerifyPins {
    type Found = Pins;

    fn name(&self) -> &'static str {
        NAME
    }

    fn collect(&self, file: &SourceFile, needs: &mut Needs) -> Pins {
        let actions = file
            .yaml()
            .map(|doc| version_pins(file, doc))
            .unwrap_or_default();
        for p in &actions {
            needs.repos.insert(p.action.repo.clone());
            needs
                .pinned_commits
                .insert((p.action.repo.clone(), p.action.git_ref.to_ascii_lowercase()));
        }
        let images = pinned_images(file);
        for (_, image) in &images {
            needs.indexes.insert(image.key(), image.clone());
        }
        Pins { actions, images }
    }

    /// A pinned commit that is no branch or tag tip is asked of the API,
    /// against the repository's branches and then its newest tags.
    fn more_needs(&self, needs: &Needs, resolved: &Resolved, more: &mut Needs) {
        for (repo, sha) in &needs.pinned_commits {
            let Some(Ok(listing)) = resolved.listings.get(&repo.key()) else {
                continue;
            };
            if is_tip(listing, sha) {
                continue;
            }
            more.commits.insert(CommitQuery {
                repo: repo.clone(),
                sha: sha.clone(),
                refs: refs_to_check(listing),
                of: listing.heads.len() + listing.tags.len(),
            });
        }
    }

    fn apply(&self, file: &SourceFile, found: &Pins, resolved: &Resolved) -> Outcome {
        let mut out = Outcome::default();
        for p in &found.actions {
            let what = format!("verify {}", p.action.name());
            let Some(listing) = listing(
                resolved,
                &p.action.repo,
                file,
                NAME,
                p.span.start,
                &what,
                &mut out,
            ) else {
                continue;
            };
            if let Some(m) = comment_mismatch(p, listing) {
                out.rule_finding(file, NAME, HP004, m.at.start, m.message(p), m.help());
            }
            check_reachable(file, p, listing, resolved, &mut out);
        }
        for (span, image) in &found.images {
            check_platform(file, span, image, resolved, &mut out);
        }
        out
    }
}

/// `hardpin fix --fix-comments`: a version comment that names a tag of
/// another commit is rewritten to the tag that names the pinned one.
pub struct FixComments;

impl Transform for FixComments {
    type Found = Vec<VersionPin>;

    fn name(&self) -> &'static str {
        "fix-comments"
    }

    fn collect(&self, file: &SourceFile, needs: &mut Needs) -> Vec<VersionPin> {
        let pins: Vec<VersionPin> = file
            .yaml()
            .map(|doc| version_pins(file, doc))
            .unwrap_or_default()
            .into_iter()
            .filter(|p| p.version.is_some())
            .collect();
        needs
            .repos
            .extend(pins.iter().map(|p| p.action.repo.clone()));
        pins
    }

    fn apply(&self, file: &SourceFile, found: &Vec<VersionPin>, resolved: &Resolved) -> Outcome {
        let mut out = Outcome::default();
        for p in found {
            let what = format!("check the comment of {}", p.action.name());
            let Some(listing) = listing(
                resolved,
                &p.action.repo,
                file,
                self.name(),
                p.span.start,
                &what,
                &mut out,
            ) else {
                continue;
            };
            let Some(m) = comment_mismatch(p, listing) else {
                continue;
            };
            let Some(actual) = m.actual.clone() else {
                out.rule_finding(file, self.name(), HP004, m.at.start, m.message(p), m.help());
                continue;
            };
            let (line, column) = crate::yaml::line_col(file.text(), m.at.start);
            out.fix(
                vec![Edit::replace(m.at.clone(), actual.clone())],
                Change {
                    transform: self.name(),
                    line,
                    column,
                    before: format!("# {}", m.claimed),
                    after: format!("# {actual}"),
                    why: format!(
                        "the pinned commit of {} is {actual}, not {}",
                        p.action.repo, m.claimed
                    ),
                    applicability: Applicability::Safe,
                },
                // A comment is not data: verification sees no change.
                AllowedChanges::default(),
            );
        }
        out
    }
}

/// A version comment that does not name the pinned commit.
struct Mismatch {
    claimed: String,
    /// Where the tag is in the comment.
    at: Range<usize>,
    /// The commit the claimed tag names, if it exists.
    tag_commit: Option<String>,
    /// The most specific version tag on the pinned commit, if any.
    actual: Option<String>,
}

impl Mismatch {
    /// What to do: the rule's own advice (`--fix-comments`) when a tag names
    /// the pinned commit; else there is no true comment to write.
    fn help(&self) -> Option<&'static str> {
        self.actual.is_none().then_some(
            "no tag points at the pinned commit: pin a release with `hardpin update`, or check where the commit came from",
        )
    }

    fn message(&self, p: &VersionPin) -> String {
        let repo = &p.action.repo;
        let short = |c: &str| c.chars().take(12).collect::<String>();
        let names = match &self.tag_commit {
            Some(c) => format!("tag {} of {repo} is {}", self.claimed, short(c)),
            None => format!("{repo} has no tag {}", self.claimed),
        };
        let pinned = match &self.actual {
            Some(t) => format!("the pinned commit is {t}"),
            None => "no version tag points at the pinned commit".into(),
        };
        format!("the comment says {} but {names}; {pinned}", self.claimed)
    }
}

fn comment_mismatch(p: &VersionPin, listing: &RefListing) -> Option<Mismatch> {
    let (claimed, at) = p.version.as_ref()?;
    TagVersion::parse(claimed)?;
    let sha = p.action.git_ref.to_ascii_lowercase();
    let tag_commit = listing.tags.get(claimed).cloned();
    if tag_commit.as_deref() == Some(sha.as_str()) {
        return None;
    }
    let on_commit: Vec<&str> = listing
        .tags
        .iter()
        .filter(|(_, c)| **c == sha)
        .map(|(t, _)| t.as_str())
        .collect();
    let actual = Some(most_specific(claimed, &on_commit))
        .filter(|t| on_commit.contains(t))
        .map(str::to_string);
    Some(Mismatch {
        claimed: claimed.clone(),
        at: at.clone(),
        tag_commit,
        actual,
    })
}

fn is_tip(listing: &RefListing, sha: &str) -> bool {
    listing
        .heads
        .values()
        .chain(listing.tags.values())
        .any(|c| c.eq_ignore_ascii_case(sha))
}

/// Branches first (the usual home of a commit), then tags newest first,
/// at most [`MAX_REFS`].
fn refs_to_check(listing: &RefListing) -> Vec<String> {
    let mut heads: Vec<&String> = listing.heads.keys().collect();
    heads.sort_by_key(|h| !matches!(h.as_str(), "main" | "master"));
    let mut tags: Vec<(&String, Option<TagVersion>)> = listing
        .tags
        .keys()
        .map(|t| (t, TagVersion::parse(t)))
        .collect();
    tags.sort_by(|(_, a), (_, b)| match (a, b) {
        (Some(a), Some(b)) => cmp_versions(b, a),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    heads
        .into_iter()
        .chain(tags.into_iter().map(|(t, _)| t))
        .take(MAX_REFS)
        .cloned()
        .collect()
}

fn check_reachable(
    file: &SourceFile,
    p: &VersionPin,
    listing: &RefListing,
    resolved: &Resolved,
    out: &mut Outcome,
) {
    let sha = p.action.git_ref.to_ascii_lowercase();
    if is_tip(listing, &sha) {
        return;
    }
    let repo = &p.action.repo;
    let at = p.span.start;
    let hp005 = HP005;
    match resolved.commits.get(&CommitKey::new(repo, &sha)) {
        Some(Ok(Reachability::Reachable { .. })) | None => {}
        Some(Ok(Reachability::Unreachable { checked, of })) if checked == of => out.rule_finding(
            file,
            NAME,
            hp005,
            at,
            format!("{repo}@{sha} is on no branch or tag of {repo}: it may come from a fork"),
            Some("check where the commit came from, then pin a commit of the repository itself (`hardpin update`)"),
        ),
        Some(Ok(Reachability::Unreachable { checked, of })) => note(
            file,
            hp005,
            at,
            format!("{repo}@{sha} is on none of the {checked} refs of {repo} checked (of {of}); not verified further"),
            out,
        ),
        Some(Ok(Reachability::Unverified { reason })) => note(
            file,
            hp005,
            at,
            format!("could not verify that {repo}@{sha} belongs to {repo}: it is no branch or tag tip; {reason}"),
            out,
        ),
        Some(Err(e)) => out.finding(
            file,
            NAME,
            at,
            Severity::Error,
            format!("cannot verify {repo}@{sha}: {e}"),
            Some(e.hint()),
        ),
    }
}

/// An instance of `rule` at note severity: something could not be checked.
fn note(file: &SourceFile, rule: &Rule, at: usize, message: String, out: &mut Outcome) {
    let before = out.findings.len();
    out.rule_finding(file, NAME, rule, at, message, None);
    for f in &mut out.findings[before..] {
        f.severity = Severity::Note;
    }
}

fn check_platform(
    file: &SourceFile,
    span: &Range<usize>,
    image: &ImageRef,
    resolved: &Resolved,
    out: &mut Outcome,
) {
    let Some(pinned) = image.digest.as_deref() else {
        return;
    };
    match resolved.indexes.get(&image.key()) {
        Some(Ok(index))
            if index.digest != pinned && index.platforms.iter().any(|d| d == pinned) =>
        {
            out.rule_finding(
                file,
                NAME,
                HP006,
                span.start,
                format!(
                    "{image} is one platform's manifest of the {} index `{}` names ({} platforms)",
                    image.repository,
                    image.tag_or_latest(),
                    index.platforms.len()
                ),
                Some("pin the index digest: `hardpin update` moves it there"),
            );
        }
        Some(Err(e)) => out.finding(
            file,
            NAME,
            span.start,
            Severity::Error,
            format!("cannot verify {image}: {e}"),
            Some(e.hint()),
        ),
        _ => {}
    }
}
