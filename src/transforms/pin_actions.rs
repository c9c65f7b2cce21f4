//! `pin-actions`: mutable action refs become full commit SHAs.
//!
//! ```yaml
//! - uses: actions/checkout@v4            # before
//! - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
//! ```
//! The quote style is kept; the comment names the most specific version tag
//! on the commit (or the branch), ahead of any comment that was there.

use std::ops::Range;

use tree_sitter::Node;

use super::{Outcome, Transform, listing};
use crate::diagnostics::{AllowedChanges, Applicability, BUG_HINT, Change, Edit, Severity};
use crate::discover::FileKind;
use crate::refs::{ActionRef, RefError, UsesTarget, classify};
use crate::resolve::{Needs, Resolved};
use crate::source::SourceFile;
use crate::yaml::{Pair, Scalar, ScalarStyle, YamlDoc, pairs, scalar};

pub struct PinActions;

const NAME: &str = "pin-actions";

/// Where `uses:` means an action or reusable workflow.
fn uses_routes(kind: FileKind) -> &'static [&'static [&'static str]] {
    match kind {
        FileKind::Workflow => &[
            &["jobs", "*", "steps", "[]", "uses"],
            &["jobs", "*", "uses"],
        ],
        FileKind::Action => &[&["runs", "steps", "[]", "uses"]],
        FileKind::Dockerfile | FileKind::Compose => &[],
    }
}

/// The `uses:` pairs of a file with their scalar values.
pub(crate) fn uses_values<'t>(
    file: &'t SourceFile,
    doc: &'t YamlDoc,
) -> Vec<(Pair<'t>, Scalar<'t>)> {
    let routes = uses_routes(file.target.kind);
    pairs(doc)
        .into_iter()
        .filter(|p| routes.iter().any(|r| p.path_matches(r)))
        .filter_map(|p| {
            let s = scalar(doc, p.value?)?;
            Some((p, s))
        })
        .collect()
}

/// Every remote action reference of a file that is not pinned yet.
pub fn action_refs(file: &SourceFile) -> Vec<ActionRef> {
    let Some(doc) = file.yaml() else {
        return Vec::new();
    };
    uses_values(file, doc)
        .into_iter()
        .filter_map(|(_, s)| match classify(&s.value) {
            Ok(UsesTarget::Remote(a)) => Some(a),
            _ => None,
        })
        .collect()
}

/// A `uses:` value found in the first pass: a remote ref to pin, or one
/// that does not parse.
pub struct Site {
    /// The scalar's bytes.
    span: Range<usize>,
    action: Result<ActionRef, RefError>,
}

impl Transform for PinActions {
    type Found = Vec<Site>;

    fn name(&self) -> &'static str {
        NAME
    }

    fn collect(&self, file: &SourceFile, needs: &mut Needs) -> Vec<Site> {
        let Some(doc) = file.yaml() else {
            return Vec::new();
        };
        uses_values(file, doc)
            .into_iter()
            .filter_map(|(_, s)| {
                let action = match classify(&s.value) {
                    Ok(UsesTarget::Remote(a)) => Ok(a),
                    Err(e) => Err(e),
                    Ok(_) => return None,
                };
                if let Ok(a) = &action {
                    needs.repos.insert(a.repo.clone());
                }
                Some(Site {
                    span: s.node.byte_range(),
                    action,
                })
            })
            .collect()
    }

    fn apply(&self, file: &SourceFile, found: &Vec<Site>, resolved: &Resolved) -> Outcome {
        let mut out = Outcome::default();
        let Some(doc) = file.yaml() else { return out };
        for site in found {
            let at = site.span.start;
            match (&site.action, doc.scalar_at(site.span.clone())) {
                (Err(e), _) => out.finding(
                    file,
                    NAME,
                    at,
                    Severity::Error,
                    e.to_string(),
                    Some(e.hint()),
                ),
                (Ok(action), Some(s)) => pin_one(file, doc, &s, action, resolved, &mut out),
                (Ok(action), None) => out.finding(
                    file,
                    NAME,
                    at,
                    Severity::Error,
                    format!("lost track of {action}"),
                    Some(BUG_HINT),
                ),
            }
        }
        out
    }
}

fn pin_one(
    file: &SourceFile,
    doc: &YamlDoc,
    s: &Scalar<'_>,
    action: &ActionRef,
    resolved: &Resolved,
    out: &mut Outcome,
) {
    let at = s.node.start_byte();
    let Some(listing) = listing(
        resolved,
        &action.repo,
        file,
        NAME,
        at,
        &format!("pin {action}"),
        out,
    ) else {
        return;
    };
    let pin = match listing.pin(&action.git_ref) {
        Ok(p) => p,
        Err(e) => {
            out.finding(
                file,
                NAME,
                at,
                Severity::Error,
                format!("cannot pin {action}: {e} in {}", action.repo),
                Some("use a tag or branch that exists in the repository"),
            );
            return;
        }
    };
    if pin.ambiguous {
        out.finding(
            file,
            NAME,
            at,
            Severity::Warning,
            format!(
                "`{}` is both a tag and a branch of {}; pinned to the tag",
                action.git_ref, action.repo
            ),
            Some("check that the tag is the version you meant"),
        );
    }
    let new_ref = format!("{}@{}", action.name(), pin.commit);
    let (edits, new_value) = if s.style == ScalarStyle::Block {
        match block_edits(doc, s, &new_ref, &pin.comment) {
            Some(e) => e,
            None => {
                out.finding(
                    file,
                    NAME,
                    at,
                    Severity::Warning,
                    format!("{action} is written as a multi-line block scalar; not pinned"),
                    Some("write it on one line (`uses: owner/repo@ref`) and run hardpin again"),
                );
                return;
            }
        }
    } else {
        let mut edits = vec![Edit::replace(s.node.byte_range(), s.requote(&new_ref))];
        match comment_edit(doc, s.node, &pin.comment) {
            Some(edit) => edits.push(edit),
            None => out.finding(
                file,
                NAME,
                at,
                Severity::Note,
                format!(
                    "pinned {action} without a `# {}` comment: its line ends inside a multi-line value",
                    pin.comment
                ),
                None,
            ),
        }
        (edits, new_ref.clone())
    };
    let mut allowed = AllowedChanges::default();
    allowed.scalars.insert((s.value.clone(), new_value.clone()));
    if s.style == ScalarStyle::Block {
        // hardpin's reading of a block scalar keeps one final newline; the
        // second parser applies the chomping indicator (`|-` has none).
        allowed
            .scalars
            .insert((s.value.trim().to_string(), new_ref.clone()));
    }
    let (why, applicability) = if pin.branch {
        (
            format!(
                "`{}` is a branch: the pin stops following it, so updates come from `hardpin update` or a review",
                action.git_ref
            ),
            Applicability::Unsafe,
        )
    } else {
        (
            format!(
                "`{}` can be moved; the commit it names now cannot",
                action.git_ref
            ),
            Applicability::Safe,
        )
    };
    let change = Change {
        transform: NAME,
        line: s.node.start_position().row + 1,
        column: s.node.start_position().column + 1,
        before: s.value.trim().to_string(),
        after: format!("{new_ref} # {}", pin.comment),
        why,
        applicability,
    };
    out.fix(edits, change, allowed);
}

/// Pin a `uses: |` block scalar in its own style: the ref is replaced on
/// its content line and the comment goes on the header line (`uses: | # v4.2.2`),
/// the one place in a block scalar where a comment is not content. Returns the
/// edits and the new decoded value; `None` unless the value is one line.
fn block_edits(
    doc: &YamlDoc,
    s: &Scalar<'_>,
    new_ref: &str,
    comment: &str,
) -> Option<(Vec<Edit>, String)> {
    let old_ref = s.value.trim();
    let raw = doc.text_of(s.node);
    let header_end = raw.find('\n')?;
    let body = &raw[header_end..];
    if old_ref.contains('\n') || body.matches(old_ref).count() != 1 {
        return None;
    }
    let start = s.node.start_byte();
    let at = start + header_end + body.find(old_ref)?;
    let header = raw[..header_end].trim_end_matches('\r');
    let comment_edit = match header.find('#') {
        Some(hash) => Edit::insert(start + hash, format!("# {comment} ")),
        None => Edit::insert(start + header.trim_end().len(), format!(" # {comment}")),
    };
    Some((
        vec![
            Edit::replace(at..at + old_ref.len(), new_ref.to_string()),
            comment_edit,
        ],
        s.value.replacen(old_ref, new_ref, 1),
    ))
}

/// The edit that adds `# comment` for a value: before an existing trailing
/// comment, else after the value (block style) or at the end of its line
/// (flow style, where a comment after the value would swallow the rest).
/// `None` when that line ends inside a multi-line scalar.
fn comment_edit(doc: &YamlDoc, value: Node<'_>, comment: &str) -> Option<Edit> {
    if let Some(existing) = doc.comment_for(value) {
        return Some(Edit::insert(existing.start_byte(), format!("# {comment} ")));
    }
    if !crate::yaml::in_flow(value) {
        return Some(Edit::insert(value.end_byte(), format!(" # {comment}")));
    }
    let text = &doc.text;
    let eol = text[value.end_byte()..]
        .find('\n')
        .map_or(text.len(), |i| value.end_byte() + i);
    let line_end = text[..eol].trim_end_matches([' ', '\t', '\r']).len();
    let last = doc
        .root()
        .descendant_for_byte_range(line_end - 1, line_end)?;
    // The line ends inside a multi-line scalar: a comment would land in it.
    (last.end_byte() <= eol).then(|| Edit::insert(line_end, format!(" # {comment}")))
}
