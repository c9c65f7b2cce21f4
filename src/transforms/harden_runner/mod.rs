//! `harden-runner` (opt-in, `--only harden-runner`): the first step of each
//! job on a GitHub-hosted Linux runner becomes StepSecurity's harden-runner,
//! pinned by SHA, in audit mode.
//!
//! ```yaml
//! steps:
//!   - uses: step-security/harden-runner@<sha> # v2.10.1   # added
//!     with:
//!       egress-policy: audit
//!   - uses: actions/checkout@<sha> # v4.2.2
//! ```
//! Audit mode records every step's network egress and processes and blocks
//! nothing, so the job does what it did. It is not in the default set: it
//! adds an action to every job rather than pinning what is there. Jobs that
//! already run it are left alone, so a second run changes nothing; the ones
//! it cannot serve (other runners, reusable-workflow calls) get a note.

pub mod jobs;
pub mod step;

use super::{Outcome, Transform, listing};
use crate::diagnostics::{AllowedChanges, Applicability, Change, Edit, Severity};
use crate::discover::FileKind;
use crate::refs::RepoId;
use crate::resolve::{Needs, Resolved};
use crate::source::SourceFile;
use crate::version::newest_of;
use crate::yaml::layout::line_ending;
use jobs::{ACTION, Jobs, sort_jobs};

pub struct HardenRunner;

const NAME: &str = "harden-runner";

/// The repository whose releases are pinned.
fn repo() -> RepoId {
    RepoId {
        owner: "step-security".into(),
        name: "harden-runner".into(),
    }
}

impl Transform for HardenRunner {
    type Found = Jobs;

    fn name(&self) -> &'static str {
        NAME
    }

    fn collect(&self, file: &SourceFile, needs: &mut Needs) -> Jobs {
        let (FileKind::Workflow, Some(doc)) = (file.target.kind, file.yaml()) else {
            return Jobs::default();
        };
        let jobs = sort_jobs(doc);
        if !jobs.eligible.is_empty() {
            needs.repos.insert(repo());
        }
        jobs
    }

    fn apply(&self, file: &SourceFile, found: &Jobs, resolved: &Resolved) -> Outcome {
        let mut out = Outcome::default();
        for skip in &found.skipped {
            out.finding(
                file,
                NAME,
                skip.at,
                Severity::Note,
                format!(
                    "job `{}` left without harden-runner: {}",
                    skip.job, skip.reason
                ),
                None,
            );
        }
        let Some(first) = found.eligible.first() else {
            return out;
        };
        let what = format!("add {ACTION}");
        let Some(listing) = listing(resolved, &repo(), file, NAME, first.at, &what, &mut out)
        else {
            return out;
        };
        let Some(pin) = newest_of(listing.tags.keys().map(String::as_str))
            .and_then(|tag| listing.pin(tag).ok())
        else {
            out.finding(
                file,
                NAME,
                first.at,
                Severity::Error,
                format!("cannot {what}: {} has no release tag", repo()),
                Some("harden-runner is pinned to its newest release (a version tag)"),
            );
            return out;
        };
        let nl = line_ending(file.text());
        for site in &found.eligible {
            let mut allowed = AllowedChanges::default();
            allowed
                .inserted_items
                .insert(step::allowed_item(site, &pin));
            out.fix(
                vec![Edit::insert(site.at, step::lines(site, &pin, nl))],
                Change {
                    transform: NAME,
                    line: site.line,
                    column: 1,
                    before: String::new(),
                    after: format!(
                        "jobs.{}.steps[0]: {ACTION}@{} # {}",
                        site.job, pin.commit, pin.comment
                    ),
                    why: format!(
                        "records every step's network egress and processes ({ACTION}, egress-policy: {})",
                        step::EGRESS_POLICY
                    ),
                    applicability: Applicability::Safe,
                },
                allowed,
            );
        }
        out
    }
}
