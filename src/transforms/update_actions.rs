//! `update-actions`: SHA pins that carry a version comment move to the
//! newest release of the same major version (any major with `--major`),
//! SHA and comment together.
//!
//! ```yaml
//! - uses: actions/checkout@<sha of v4.1.0> # v4.1.0     # before
//! - uses: actions/checkout@<sha of v4.2.2> # v4.2.2     # after
//! ```
//! Pins without a version comment are reported, never guessed.

use std::ops::Range;

use super::pin_actions::uses_values;
use super::{Outcome, Transform, listing};
use crate::diagnostics::{AllowedChanges, Applicability, BUG_HINT, Change, Edit, Severity};
use crate::refs::{ActionRef, UsesTarget, classify};
use crate::resolve::{Needs, Resolved};
use crate::source::SourceFile;
use crate::version::{TagVersion, cmp_versions, newest_release};
use crate::yaml::{Scalar, YamlDoc};

pub struct UpdateActions {
    /// Cross major versions.
    pub major: bool,
}

/// The transform's name, which marks its changes in a report.
pub const NAME: &str = "update-actions";

/// A SHA pin and the version its comment names, found in the first pass.
pub struct VersionPin {
    /// The scalar's bytes.
    pub span: Range<usize>,
    pub action: ActionRef,
    /// The version token in the comment, and where it is.
    pub version: Option<(String, Range<usize>)>,
}

/// The `k`-th `# token` of a comment: several flow values on one line share
/// one comment, `# v1.0.0 # v2.0.0`, in order.
fn comment_token(
    doc: &YamlDoc,
    comment: tree_sitter::Node<'_>,
    k: usize,
) -> Option<(String, Range<usize>)> {
    let text = doc.text_of(comment);
    let hash = text.match_indices('#').map(|(i, _)| i).nth(k)?;
    let rest = &text[hash + 1..];
    let start = hash + 1 + (rest.len() - rest.trim_start().len());
    let token: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let at = comment.start_byte() + start;
    (!token.is_empty()).then(|| (token.clone(), at..at + token.len()))
}

/// Every `uses:` pinned to a full SHA, with the version its comment names.
pub(crate) fn version_pins(file: &SourceFile, doc: &YamlDoc) -> Vec<VersionPin> {
    let values = uses_values(file, doc);
    let mut out = Vec::new();
    for (i, (_, s)) in values.iter().enumerate() {
        let Ok(UsesTarget::Pinned(action)) = classify(&s.value) else {
            continue;
        };
        let row = s.node.end_position().row;
        // Earlier pinned values whose comment is the same one (same line, flow).
        let k = values[..i]
            .iter()
            .filter(|(_, o)| {
                o.node.end_position().row == row
                    && matches!(classify(&o.value), Ok(UsesTarget::Pinned(_)))
            })
            .count();
        let k = if crate::yaml::in_flow(s.node) { k } else { 0 };
        let version = doc
            .comment_for(s.node)
            .and_then(|c| comment_token(doc, c, k));
        out.push(VersionPin {
            span: s.node.byte_range(),
            action,
            version,
        });
    }
    out
}

impl Transform for UpdateActions {
    type Found = Vec<VersionPin>;

    fn name(&self) -> &'static str {
        NAME
    }

    fn collect(&self, file: &SourceFile, needs: &mut Needs) -> Vec<VersionPin> {
        let Some(doc) = file.yaml() else {
            return Vec::new();
        };
        let pins = version_pins(file, doc);
        for p in &pins {
            if p.version
                .as_ref()
                .is_some_and(|(v, _)| TagVersion::parse(v).is_some())
            {
                needs.repos.insert(p.action.repo.clone());
            }
        }
        pins
    }

    fn apply(&self, file: &SourceFile, found: &Vec<VersionPin>, resolved: &Resolved) -> Outcome {
        let mut out = Outcome::default();
        let Some(doc) = file.yaml() else { return out };
        for p in found {
            match doc.scalar_at(p.span.clone()) {
                Some(s) => self.update_one(file, p, &s, resolved, &mut out),
                None => out.finding(
                    file,
                    NAME,
                    p.span.start,
                    Severity::Error,
                    format!("lost track of {}", p.action),
                    Some(BUG_HINT),
                ),
            }
        }
        out
    }
}

impl UpdateActions {
    fn update_one(
        &self,
        file: &SourceFile,
        p: &VersionPin,
        scalar: &Scalar<'_>,
        resolved: &Resolved,
        out: &mut Outcome,
    ) {
        let at = p.span.start;
        let action = &p.action;
        let Some((current, token_span)) = p
            .version
            .as_ref()
            .filter(|(v, _)| TagVersion::parse(v).is_some())
        else {
            out.finding(
                file,
                NAME,
                at,
                Severity::Note,
                format!(
                    "{} is pinned without a version comment; not updated",
                    action.name()
                ),
                Some("write the version after the SHA (`# v4.2.2`) so hardpin can update it"),
            );
            return;
        };
        let what = format!("update {}", action.name());
        let Some(listing) = listing(resolved, &action.repo, file, NAME, at, &what, out) else {
            return;
        };
        let Some(newest) = newest_release(
            current,
            listing.tags.keys().map(String::as_str),
            !self.major,
        ) else {
            return;
        };
        let (Some(cur), Some(new)) = (TagVersion::parse(current), TagVersion::parse(newest)) else {
            return;
        };
        if cmp_versions(&new, &cur).is_le() {
            if listing
                .tags
                .get(current)
                .is_some_and(|c| !c.eq_ignore_ascii_case(&action.git_ref))
            {
                out.finding(
                    file,
                    NAME,
                    at,
                    Severity::Warning,
                    format!(
                        "tag {current} of {} no longer names the pinned commit",
                        action.repo
                    ),
                    Some("check why the tag moved before trusting either commit"),
                );
            }
            return;
        }
        let commit = &listing.tags[newest];
        let new_value = format!("{}@{commit}", action.name());
        let mut allowed = AllowedChanges::default();
        allowed
            .scalars
            .insert((scalar.value.clone(), new_value.clone()));
        out.fix(
            vec![
                Edit::replace(scalar.node.byte_range(), scalar.requote(&new_value)),
                Edit::replace(token_span.clone(), newest),
            ],
            Change {
                transform: NAME,
                line: scalar.node.start_position().row + 1,
                column: scalar.node.start_position().column + 1,
                before: format!("{} # {current}", scalar.value),
                after: format!("{new_value} # {newest}"),
                why: format!("{newest} is the newest release after {current}"),
                applicability: Applicability::Safe,
            },
            allowed,
        );
    }
}
